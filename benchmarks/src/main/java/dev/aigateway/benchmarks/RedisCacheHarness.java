package dev.aigateway.benchmarks;

import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.ResponseCacheStore;
import dev.aigateway.api.spi.VectorStore;
import dev.aigateway.core.cache.InMemoryResponseCacheStore;
import dev.aigateway.core.cache.InMemoryVectorStore;
import dev.aigateway.redis.RedisConnection;
import dev.aigateway.redis.RedisResponseCacheStore;
import dev.aigateway.redis.RedisVectorStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;

/**
 * What the shared caches cost on a Redis of one's own (loopback in the measurements of {@code
 * docs/scale-out-caches.md}): Redis memory per cached answer and per prompt vector, the latency of
 * an exact-cache hit against the in-memory store, a semantic search, and how long a prompt stored
 * by one instance takes to reach another.
 *
 * <pre>
 * redis-server --port 6390 --save '' --appendonly no &amp;
 * java -cp "$(cat /tmp/cp.txt):benchmarks/target/classes" \
 *     dev.aigateway.benchmarks.RedisCacheHarness redis://127.0.0.1:6390
 * </pre>
 *
 * The Redis it is given is flushed first.
 */
public final class RedisCacheHarness {

  private static final int ENTRIES = 10_000;
  private static final int DIMENSIONS = 384;
  private static final int LOOKUPS = 100_000;

  private RedisCacheHarness() {}

  /**
   * Runs every measurement and prints the results.
   *
   * @param args the Redis URI (default {@code redis://127.0.0.1:6379}); it is flushed
   */
  public static void main(String[] args) throws Exception {
    String uri = args.length > 0 ? args[0] : "redis://127.0.0.1:6379";
    RedisClient client = RedisClient.create(uri);
    try (StatefulRedisConnection<String, String> admin = client.connect();
        RedisConnection redis =
            RedisConnection.builder().uri(uri).commandTimeout(Duration.ofSeconds(5)).build();
        RedisConnection other =
            RedisConnection.builder().uri(uri).commandTimeout(Duration.ofSeconds(5)).build()) {
      RedisCommands<String, String> r = admin.sync();
      r.flushall();
      answerMemory(r, redis);
      r.flushall();
      vectorMemoryAndSearch(r, redis);
      r.flushall();
      hitLatency(redis);
      r.flushall();
      sharingLag(redis, other);
    } finally {
      client.shutdown();
    }
  }

  private static CachedResponse answer(int bodyBytes, int seed) {
    byte[] body = new byte[bodyBytes];
    Arrays.fill(body, (byte) ('a' + seed % 26));
    return new CachedResponse(
        CachedResponse.Format.JSON, body, "gpt-4o-mini", Usage.of(120, 250), Instant.now());
  }

  private static long usedMemory(RedisCommands<String, String> r) {
    for (String line : r.info("memory").split("\r?\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).trim());
      }
    }
    throw new IllegalStateException("no used_memory in INFO");
  }

  private static String anyKey(RedisCommands<String, String> r, String match) {
    return r.scan(ScanArgs.Builder.matches(match).limit(1_000)).getKeys().get(0);
  }

  private static void answerMemory(RedisCommands<String, String> r, RedisConnection redis) {
    RedisResponseCacheStore store = RedisResponseCacheStore.builder(redis).build();
    long before = usedMemory(r);
    String partition = "tenant-a|sha256-of-the-vary-by";
    for (int i = 0; i < ENTRIES; i++) {
      store.put(partition, "K3m9T0aXc6o2yB1Q8wzFhJ5uVnRkLpE4sGdA7iYtMeq" + i, answer(1024, i));
    }
    long perEntry = (usedMemory(r) - before) / ENTRIES;
    long one = r.memoryUsage(anyKey(r, "aigw:cache:*"));
    System.out.printf(
        "cached answer, 1 KiB body: MEMORY USAGE %d bytes; used_memory per entry over %,d: %d bytes%n",
        one, ENTRIES, perEntry);
  }

  private static void vectorMemoryAndSearch(RedisCommands<String, String> r, RedisConnection redis)
      throws Exception {
    Random random = new Random(1);
    float[][] vectors = new float[ENTRIES][];
    for (int i = 0; i < ENTRIES; i++) {
      vectors[i] = unit(random);
    }
    long before = usedMemory(r);
    try (RedisVectorStore store = RedisVectorStore.builder(redis).build()) {
      for (int i = 0; i < ENTRIES; i++) {
        store.add("tenant-a|gpt-4o-mini|digest", "entry-" + i, vectors[i], prompt(i));
      }
      long perEntry = (usedMemory(r) - before) / ENTRIES;
      long one = r.memoryUsage(anyKey(r, "aigw:{vectors}:e:*"));
      long log = r.memoryUsage("aigw:{vectors}:log");
      long index = r.memoryUsage("aigw:{vectors}:index") + r.memoryUsage("aigw:{vectors}:expiry");
      System.out.printf(
          "vector entry, %d dimensions + a 60-character prompt: MEMORY USAGE %d bytes (entry"
              + " hash); indexes %d bytes (%d per entry); change stream %d bytes (%d per change);"
              + " used_memory per entry over %,d: %d bytes%n",
          DIMENSIONS, one, index, index / ENTRIES, log, log / ENTRIES, ENTRIES, perEntry);
      InMemoryVectorStore inMemory = InMemoryVectorStore.builder().build();
      for (int i = 0; i < ENTRIES; i++) {
        inMemory.add("tenant-a|gpt-4o-mini|digest", "entry-" + i, vectors[i], prompt(i));
      }
      System.out.printf(
          "semantic search of %,d entries (best 3): shared p50 %.1f us, in-memory p50 %.1f us%n",
          ENTRIES, searchP50(store, random), searchP50(inMemory, random));
    }
  }

  private static double searchP50(VectorStore store, Random random) {
    int n = 2_000;
    long[] nanos = new long[n];
    for (int i = -500; i < n; i++) {
      float[] query = unit(random);
      long start = System.nanoTime();
      store.nearest("tenant-a|gpt-4o-mini|digest", query, 3, 0.5);
      if (i >= 0) {
        nanos[i] = System.nanoTime() - start;
      }
    }
    Arrays.sort(nanos);
    return nanos[n / 2] / 1_000.0;
  }

  private static void hitLatency(RedisConnection redis) {
    ResponseCacheStore shared = RedisResponseCacheStore.builder(redis).build();
    ResponseCacheStore inMemory = InMemoryResponseCacheStore.create();
    for (int i = 0; i < 1_000; i++) {
      shared.put("p", "key-" + i, answer(1024, i));
      inMemory.put("p", "key-" + i, answer(1024, i));
    }
    long[] redisNanos = hits(shared);
    long[] memoryNanos = hits(inMemory);
    System.out.printf(
        "exact-cache hit (store get of a 1 KiB answer), %,d lookups: Redis p50 %.1f us, p99 %.1f"
            + " us; in-memory p50 %.2f us, p99 %.2f us%n",
        LOOKUPS,
        redisNanos[LOOKUPS / 2] / 1_000.0,
        redisNanos[LOOKUPS * 99 / 100] / 1_000.0,
        memoryNanos[LOOKUPS / 2] / 1_000.0,
        memoryNanos[LOOKUPS * 99 / 100] / 1_000.0);
  }

  private static long[] hits(ResponseCacheStore store) {
    long[] nanos = new long[LOOKUPS];
    for (int i = -20_000; i < LOOKUPS; i++) {
      String key = "key-" + Math.floorMod(i, 1_000);
      long start = System.nanoTime();
      if (store.get("p", key).isEmpty()) {
        throw new IllegalStateException("expected a hit for " + key);
      }
      if (i >= 0) {
        nanos[i] = System.nanoTime() - start;
      }
    }
    Arrays.sort(nanos);
    return nanos;
  }

  private static void sharingLag(RedisConnection a, RedisConnection b) throws Exception {
    Random random = new Random(2);
    int n = 200;
    long[] nanos = new long[n];
    try (RedisVectorStore storeA = RedisVectorStore.builder(a).name("lag").build();
        RedisVectorStore storeB = RedisVectorStore.builder(b).name("lag").build()) {
      for (int i = 0; i < n; i++) {
        float[] v = unit(random);
        long start = System.nanoTime();
        storeA.add("p", "e" + i, v, "prompt " + i);
        while (storeB.nearest("p", v, 1, 0.999).isEmpty()) {
          Thread.onSpinWait();
        }
        nanos[i] = System.nanoTime() - start;
        Thread.sleep(5);
      }
    }
    Arrays.sort(nanos);
    System.out.printf(
        "prompt stored by instance A found by instance B (add included), %d adds: p50 %.2f ms,"
            + " p99 %.2f ms, max %.2f ms%n",
        n, nanos[n / 2] / 1e6, nanos[n * 99 / 100] / 1e6, nanos[n - 1] / 1e6);
  }

  private static String prompt(int i) {
    String base = "How do I reset the password of my account on the web site #" + i;
    return base.length() > 60 ? base.substring(0, 60) : base;
  }

  private static float[] unit(Random random) {
    float[] v = new float[DIMENSIONS];
    double sum = 0;
    for (int i = 0; i < DIMENSIONS; i++) {
      v[i] = (float) random.nextGaussian();
      sum += v[i] * v[i];
    }
    float scale = (float) (1 / Math.sqrt(sum));
    for (int i = 0; i < DIMENSIONS; i++) {
      v[i] *= scale;
    }
    return v;
  }
}
