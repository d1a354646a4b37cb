package dev.aigateway.benchmarks;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.redis.RedisConnection;
import dev.aigateway.redis.RedisTokenLimitStore;
import dev.aigateway.testing.RedisServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
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
 *   <li>reserve + settle per second from one JVM at each of the given numbers of callers, each call
 *       charging a token rate, a monthly quota and an in-flight limit of one of 100 consumers, with
 *       the script runs per pair, Redis's CPU per pair and the commands the scripts called per pair
 *       (the store batches what arrives while a script is in flight, so all three fall as callers
 *       rise), and the bytes every thread of the JVM allocated per pair (load does not change it);
 *   <li>latency of one governed call (wrapped OkHttp client, canned backend, the {@link Workload}
 *       gateway), p50 and p99 at one caller, with the in-memory store, the Redis store (called on
 *       the caller's thread: it bounds its own calls) and the Redis store behind the gateway's
 *       store-thread hand-off (as any store without {@code callTimeout()} is called), in one run;
 *   <li>Redis memory per idle counter key ({@code MEMORY USAGE}) for each kind of counter;
 *   <li>optionally, reserve + settle per second at each number of callers with reservations on the
 *       caller's thread turned on and off, alternated in the same JVM for the given rounds.
 * </ol>
 *
 * <pre>
 * bash scripts/bench-redis.sh            # builds, then runs this with 1,4,16 callers
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.RedisLimitHarness 1,4,16 10 3
 * </pre>
 *
 * Arguments: callers, comma-separated (1,4,16), measured seconds each (10), warm-up seconds (3),
 * rounds of the on/off comparison (0: none). The machine's load average is printed at the start and
 * the end: the numbers mean little when other processes compete for the cores.
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
    int[] callerCounts =
        Arrays.stream((args.length > 0 ? args[0] : "1,4,16").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int warmUp = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    int onOffRounds = args.length > 3 ? Integer.parseInt(args[3]) : 0;
    System.out.printf(Locale.ROOT, "load average at start: %s%n", loadAverage());
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection =
            RedisConnection.builder()
                .uri(redis.uri())
                // within the gateway's store timeout (1 s): the store is called on the caller's
                // thread; generous for a loaded machine
                .commandTimeout(Duration.ofSeconds(1))
                .build();
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      connection.connect(); // the first connection of a JVM is slow: not part of any number
      System.out.printf(
          Locale.ROOT,
          "redis-server %s on loopback, %d cores%n",
          version(redis),
          Runtime.getRuntime().availableProcessors());

      for (int callers : callerCounts) {
        throughput(store, callers, warmUp); // warm-up
        store.flush(Duration.ofSeconds(10));
        redis.command("CONFIG", "RESETSTAT");
        double[] measured = throughputAndPairs(store, callers, seconds);
        store.flush(Duration.ofSeconds(10));
        long[] scripts = scriptStats(redis);
        double pairs = measured[1];
        System.out.printf(
            Locale.ROOT,
            "reserve+settle (3 counters each), %2d callers: %7.0f /s; script runs per pair %.2f,"
                + " Redis CPU per pair %.1f us, commands per pair %.1f (INFO commandstats);"
                + " JVM bytes allocated per pair %.0f%n",
            callers,
            measured[0],
            scripts[0] / pairs,
            scripts[1] / pairs,
            scripts[2] / pairs,
            measured[2] / pairs);
      }

      int calls = 20_000;
      long[] memory = latencies(new InMemoryTokenLimitStore(), calls);
      long[] onRedis = latencies(store, calls);
      long[] handedOff = latencies(new HandedOff(store), calls);
      report("in-memory store                   ", memory);
      report("Redis store, caller's thread      ", onRedis);
      report("Redis store, store-thread hand-off", handedOff);
      added("Redis store, caller's thread      ", onRedis, memory);
      added("Redis store, store-thread hand-off", handedOff, memory);

      idleKeyMemory(redis, store);

      for (int callers : callerCounts) {
        for (int round = 1; round <= onOffRounds; round++) {
          for (boolean onCallerThread : new boolean[] {false, true}) {
            try (RedisTokenLimitStore compared =
                RedisTokenLimitStore.builder(connection)
                    .reserveOnCallerThread(onCallerThread)
                    .build()) {
              throughput(compared, callers, warmUp);
              System.out.printf(
                  Locale.ROOT,
                  "round %d, %2d callers, reservations on the caller's thread %-5s: %7.0f /s%n",
                  round,
                  callers,
                  onCallerThread ? "on" : "off",
                  throughput(compared, callers, seconds));
            }
          }
        }
      }
    }
    System.out.printf(Locale.ROOT, "load average at end: %s%n", loadAverage());
  }

  /** The Redis store as the gateway calls a store that does not bound its own calls. */
  private record HandedOff(TokenLimitStore store) implements TokenLimitStore {
    @Override
    public ReserveResult reserve(List<LimitCharge> charges) {
      return store.reserve(charges);
    }

    @Override
    public void settle(Reservation reservation, long[] actual) {
      store.settle(reservation, actual);
    }
  }

  private static void added(String name, long[] sorted, long[] baseline) {
    System.out.printf(
        Locale.ROOT,
        "added per governed call, %s: p50 %.1f us, p99 %.1f us (p50 ratio %.1fx)%n",
        name,
        (percentile(sorted, 50) - percentile(baseline, 50)) / 1_000.0,
        (percentile(sorted, 99) - percentile(baseline, 99)) / 1_000.0,
        percentile(sorted, 50) / (double) percentile(baseline, 50));
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException | RuntimeException e) {
      return "(unknown: " + e.getClass().getSimpleName() + ")";
    }
  }

  private static String version(RedisServer redis) {
    return redis.command("EVAL", "return redis.REDIS_VERSION", "0");
  }

  /** Reserve + settle operations per second over {@code seconds}, at {@code callers} threads. */
  static double throughput(TokenLimitStore store, int callers, int seconds)
      throws InterruptedException {
    return throughputAndPairs(store, callers, seconds)[0];
  }

  /**
   * Reserve + settle pairs per second, the pairs done, and the bytes every thread of the JVM
   * allocated meanwhile (callers, Lettuce's event loop, the store's timer), over {@code seconds}.
   */
  private static double[] throughputAndPairs(TokenLimitStore store, int callers, int seconds)
      throws InterruptedException {
    LongAdder callersAllocated = new LongAdder();
    long othersBefore = allocatedByLiveThreads();
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
                callersAllocated.add(allocatedByThisThread());
              });
      threads[t].start();
    }
    long started = System.nanoTime();
    Thread.sleep(seconds * 1_000L);
    stop.set(true);
    for (Thread thread : threads) {
      thread.join();
    }
    long pairs = done.sum();
    double elapsed = (System.nanoTime() - started) / 1e9;
    long allocated = callersAllocated.sum() + allocatedByLiveThreads() - othersBefore;
    return new double[] {pairs / elapsed, pairs, allocated};
  }

  private static com.sun.management.ThreadMXBean threads() {
    return (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  }

  private static long allocatedByThisThread() {
    return threads().getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  /** Bytes allocated so far by the threads alive now (-1 entries: threads that ended meanwhile). */
  private static long allocatedByLiveThreads() {
    long sum = 0;
    for (long bytes : threads().getThreadAllocatedBytes(threads().getAllThreadIds())) {
      sum += Math.max(0, bytes);
    }
    return sum;
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
        redis.command(
            "MEMORY",
            "USAGE",
            "aigw:{limits}:r3:t:1000000:86400000000000:10:bench/slow:consumer-1"),
        redis.command(
            "MEMORY", "USAGE", "aigw:{limits}:q3:t:monthly:1:Z:11:bench/quota:consumer-1"));
    store.reserve(List.of(new LimitCharge(SLOTS, "held", 1))); // one slot held: a sorted set
    System.out.printf(
        Locale.ROOT,
        "MEMORY USAGE in-flight key with one slot: %s, the store's pending set with one id: %s%n",
        redis.command("MEMORY", "USAGE", "aigw:{limits}:f:15:bench/in-flight:held"),
        redis.command(
            "EVAL",
            "local k = redis.call('KEYS', 'aigw:{limits}:pending:*')[1]"
                + " return redis.call('MEMORY', 'USAGE', k)",
            "0"));
  }

  /**
   * Script runs (FCALL, EVALSHA, EVAL) and their microseconds in all, and the commands the scripts
   * called (every other command counted since the last CONFIG RESETSTAT, but the harness's own),
   * from INFO commandstats.
   */
  private static long[] scriptStats(RedisServer redis) {
    String reply =
        redis.command(
            "EVAL",
            "local s = redis.call('INFO', 'commandstats') local runs, usec, inside = 0, 0, 0"
                + " for name, c, u in string.gmatch(s, 'cmdstat_([%a|]+):calls=(%d+),usec=(%d+)')"
                + " do if name:find('^eval') or name:find('^fcall') then"
                + " runs = runs + tonumber(c) usec = usec + tonumber(u)"
                + " elseif not (name:find('^config') or name:find('^info') or name:find('^hello')"
                + " or name:find('^client') or name:find('^ping') or name:find('^function')) then"
                + " inside = inside + tonumber(c) end end"
                + " return runs .. ' ' .. usec .. ' ' .. inside",
            "0");
    String[] parts = reply.split(" ");
    return new long[] {
      Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2])
    };
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
