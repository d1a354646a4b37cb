package dev.aigateway.benchmarks;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.redis.RedisConnection;
import dev.aigateway.redis.RedisTokenLimitStore;
import dev.aigateway.testing.RedisServer;
import java.io.IOException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The Redis token limit store on a loopback redis-server that the harness starts itself:
 *
 * <ol>
 *   <li>reserve + settle per second from one JVM at N callers, each call charging a token rate, a
 *       monthly quota and an in-flight limit of one of 100 consumers (Lettuce sends the callers'
 *       scripts over its one connection as they come, without waiting for earlier answers);
 *   <li>latency of one governed call (wrapped OkHttp client, canned backend, the {@link Workload}
 *       gateway), p50 and p99 at one caller, with the Redis store and with the in-memory store;
 *   <li>Redis memory per idle counter key ({@code MEMORY USAGE}) for each kind of counter.
 * </ol>
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.RedisLimitHarness 16 10 3
 * </pre>
 *
 * Arguments: callers (16), measured seconds (10), warm-up seconds (3).
 */
public final class RedisLimitHarness {

  private static final String URL = "http://127.0.0.1:9" + Workload.CHAT_PATH; // never dialled
  private static final LimitSpec RATE =
      LimitSpec.rate("bench/rate", 10_000_000_000L, Duration.ofMinutes(1));
  private static final LimitSpec QUOTA =
      LimitSpec.quota("bench/quota", Long.MAX_VALUE / 2, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
  static final LimitSpec SLOTS = LimitSpec.inFlight("bench/in-flight", 1_000_000);
  // Slow enough that a bucket is still refilling when its memory is read.
  private static final LimitSpec SLOW_RATE =
      LimitSpec.rate("bench/slow", 1_000_000, Duration.ofDays(1));

  public static void main(String[] args) throws Exception {
    int callers = args.length > 0 ? Integer.parseInt(args[0]) : 16;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int warmUp = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection =
            RedisConnection.builder()
                .uri(redis.uri())
                .commandTimeout(Duration.ofSeconds(2))
                .build();
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      System.out.printf(
          Locale.ROOT,
          "redis-server %s on loopback, %d cores%n",
          redis.command("INFO", "server").isEmpty() ? "?" : version(redis),
          Runtime.getRuntime().availableProcessors());

      throughput(store, callers, warmUp); // warm-up
      redis.command("CONFIG", "RESETSTAT");
      double perSecond = throughput(store, callers, seconds);
      System.out.printf(
          Locale.ROOT,
          "reserve+settle (3 counters each), %d callers: %.0f /s; Redis CPU per script run: %s us"
              + " (INFO commandstats, evalsha)%n",
          callers,
          perSecond,
          scriptMicros(redis));

      long[] memory = latencies(new InMemoryTokenLimitStore(), 20_000);
      long[] onRedis = latencies(store, 20_000);
      report("in-memory store", memory);
      report("Redis store    ", onRedis);
      System.out.printf(
          Locale.ROOT,
          "added by Redis per governed call: p50 %.1f us, p99 %.1f us%n",
          (percentile(onRedis, 50) - percentile(memory, 50)) / 1_000.0,
          (percentile(onRedis, 99) - percentile(memory, 99)) / 1_000.0);

      idleKeyMemory(redis, store);
    }
  }

  private static String version(RedisServer redis) {
    return redis.command("EVAL", "return redis.REDIS_VERSION", "0");
  }

  /** Reserve + settle operations per second over {@code seconds}, at {@code callers} threads. */
  static double throughput(TokenLimitStore store, int callers, int seconds)
      throws InterruptedException {
    LongAdder done = new LongAdder();
    AtomicBoolean stop = new AtomicBoolean();
    Thread[] threads = new Thread[callers];
    for (int t = 0; t < callers; t++) {
      int caller = t;
      threads[t] =
          new Thread(
              () -> {
                long i = caller;
                while (!stop.get()) {
                  String consumer = "team-" + (i++ % 100);
                  ReserveResult result =
                      store.reserve(
                          List.of(
                              new LimitCharge(RATE, consumer, 600),
                              new LimitCharge(QUOTA, consumer, 600),
                              new LimitCharge(SLOTS, consumer, 1)));
                  store.settle(result.reservation(), new long[] {450, 450, 0});
                  done.increment();
                }
              });
      threads[t].start();
    }
    long started = System.nanoTime();
    Thread.sleep(seconds * 1_000L);
    stop.set(true);
    for (Thread thread : threads) {
      thread.join();
    }
    return done.sum() / ((System.nanoTime() - started) / 1e9);
  }

  /** Per governed call, the nanoseconds it took, sorted; one caller, after a warm-up. */
  static long[] latencies(TokenLimitStore store, int calls) throws IOException {
    AiGateway gateway = Workload.gateway(store);
    OkHttpClient client =
        OkHttpAiGateway.wrap(new OkHttpClient(), gateway)
            .newBuilder()
            .addInterceptor(new CannedBackend())
            .build();
    Request call = Workload.post(URL, Workload.shortChat(false), "team-a");
    for (int i = 0; i < calls / 2; i++) {
      read(client, call);
    }
    long[] nanos = new long[calls];
    for (int i = 0; i < calls; i++) {
      long started = System.nanoTime();
      read(client, call);
      nanos[i] = System.nanoTime() - started;
    }
    Arrays.sort(nanos);
    return nanos;
  }

  private static void read(OkHttpClient client, Request call) throws IOException {
    try (Response response = client.newCall(call).execute()) {
      if (response.code() != 200) {
        throw new IllegalStateException("governed call answered " + response.code());
      }
      response.body().bytes();
    }
  }

  private static long percentile(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) ((long) sorted.length * p / 100))];
  }

  private static void report(String name, long[] sorted) {
    System.out.printf(
        Locale.ROOT,
        "governed call, %s: p50 %.1f us, p99 %.1f us%n",
        name,
        percentile(sorted, 50) / 1_000.0,
        percentile(sorted, 99) / 1_000.0);
  }

  /** Bytes per counter key left behind by a call that was settled above nothing. */
  private static void idleKeyMemory(RedisServer redis, RedisTokenLimitStore store) {
    redis.command("FLUSHALL");
    int keys = 10_000;
    long before = usedMemory(redis);
    for (int i = 0; i < keys; i++) {
      String consumer = "consumer-" + i;
      ReserveResult result =
          store.reserve(
              List.of(
                  new LimitCharge(SLOW_RATE, consumer, 1_000),
                  new LimitCharge(QUOTA, consumer, 1_000),
                  new LimitCharge(SLOTS, consumer, 1)));
      store.settle(result.reservation(), new long[] {800, 800, 0}); // the slot is freed
    }
    long after = usedMemory(redis);
    System.out.printf(
        Locale.ROOT,
        "idle counters of %d consumers (a rate and a quota each; freed slots leave no key):"
            + " %.0f bytes per consumer (used_memory), MEMORY USAGE rate key %s, quota key %s%n",
        keys,
        (after - before) / (double) keys,
        redis.command("MEMORY", "USAGE", "aigw:{limits}:r:10:bench/slow:consumer-1"),
        redis.command("MEMORY", "USAGE", "aigw:{limits}:q:11:bench/quota:consumer-1"));
    store.reserve(List.of(new LimitCharge(SLOTS, "held", 1))); // one slot held: a sorted set
    System.out.printf(
        Locale.ROOT,
        "MEMORY USAGE in-flight key with one slot: %s, pending marker: %s%n",
        redis.command("MEMORY", "USAGE", "aigw:{limits}:f:15:bench/in-flight:held"),
        redis.command(
            "EVAL",
            "local k = redis.call('KEYS', 'aigw:{limits}:p:*')[1]"
                + " return redis.call('MEMORY', 'USAGE', k)",
            "0"));
  }

  /** The server's mean microseconds per EVALSHA, from INFO commandstats. */
  private static String scriptMicros(RedisServer redis) {
    return redis.command(
        "EVAL",
        "return string.match(redis.call('INFO', 'commandstats'),"
            + " 'cmdstat_evalsha:[^\\r]*usec_per_call=([%d%.]+)')",
        "0");
  }

  private static long usedMemory(RedisServer redis) {
    return Long.parseLong(
        redis
            .command(
                "EVAL",
                "return tonumber(string.match(redis.call('INFO', 'memory'),"
                    + " 'used_memory:(%d+)'))",
                "0")
            .substring(1));
  }

  private RedisLimitHarness() {}
}
