package dev.aigateway.benchmarks;

import dev.aigateway.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;

/**
 * The floor under the Redis token store's latency: one loopback {@code PING} round trip, at one
 * caller, through the two clients the store uses, side by side in alternating rounds on a
 * redis-server the harness starts itself:
 *
 * <ul>
 *   <li>Lettuce, {@code async().ping().get()}: the caller hands the command to Lettuce's event
 *       loop, which writes it; the event loop reads the reply and wakes the caller (the path of a
 *       batch sent through the shared connection);
 *   <li>Jedis, {@code Connection.ping()}: the caller writes the command and blocks reading the
 *       reply on its own socket (the path of a reservation sent while the store is idle).
 * </ul>
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.RedisRoundTripHarness 20000 4
 * </pre>
 *
 * Arguments: round trips per client and round (20000), rounds (4). Prints p50 and p99 per client
 * and round, and the load average at the start and the end.
 */
public final class RedisRoundTripHarness {

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    System.out.printf(Locale.ROOT, "load average at start: %s%n", loadAverage());
    try (RedisServer redis = RedisServer.start()) {
      RedisClient client = RedisClient.create(redis.uri());
      try (StatefulRedisConnection<String, String> lettuce = client.connect();
          Connection jedis = new Connection(new HostAndPort("127.0.0.1", redis.port()))) {
        RedisAsyncCommands<String, String> async = lettuce.async();
        for (int i = 0; i < calls; i++) { // warm-up
          async.ping().get();
          jedis.ping();
        }
        for (int round = 1; round <= rounds; round++) {
          long[] viaEventLoop = viaEventLoop(async, calls);
          long[] onCallerThread = onCallerThread(jedis, calls);
          System.out.printf(
              Locale.ROOT,
              "round %d: PING, Lettuce async + get p50 %.1f us p99 %.1f us;"
                  + " Jedis on the caller's thread p50 %.1f us p99 %.1f us%n",
              round,
              percentile(viaEventLoop, 50),
              percentile(viaEventLoop, 99),
              percentile(onCallerThread, 50),
              percentile(onCallerThread, 99));
        }
      } finally {
        client.shutdown();
      }
    }
    System.out.printf(Locale.ROOT, "load average at end: %s%n", loadAverage());
  }

  /** {@code calls} PINGs through Lettuce's event loop: the nanoseconds of each, sorted. */
  static long[] viaEventLoop(RedisAsyncCommands<String, String> async, int calls)
      throws InterruptedException, ExecutionException {
    long[] nanos = new long[calls];
    for (int i = 0; i < calls; i++) {
      long started = System.nanoTime();
      async.ping().get();
      nanos[i] = System.nanoTime() - started;
    }
    Arrays.sort(nanos);
    return nanos;
  }

  /** {@code calls} PINGs written and read on this thread: the nanoseconds of each, sorted. */
  static long[] onCallerThread(Connection jedis, int calls) {
    long[] nanos = new long[calls];
    for (int i = 0; i < calls; i++) {
      long started = System.nanoTime();
      if (!jedis.ping()) {
        throw new IllegalStateException("PING was not answered PONG");
      }
      nanos[i] = System.nanoTime() - started;
    }
    Arrays.sort(nanos);
    return nanos;
  }

  private static double percentile(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) ((long) sorted.length * p / 100))] / 1_000.0;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException | RuntimeException e) {
      return "(unknown: " + e.getClass().getSimpleName() + ")";
    }
  }

  private RedisRoundTripHarness() {}
}
