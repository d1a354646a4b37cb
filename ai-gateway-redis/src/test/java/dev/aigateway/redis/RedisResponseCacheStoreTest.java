package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.management.ThreadMXBean;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.ResponseCacheStore;
import dev.aigateway.store.tck.ResponseCacheStoreContract;
import dev.aigateway.store.tck.TimeControl;
import dev.aigateway.testing.ManualClock;
import dev.aigateway.testing.RedisServer;
import io.lettuce.core.RedisException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The response cache suite against a real redis-server, and what the Redis store adds to it. */
class RedisResponseCacheStoreTest extends ResponseCacheStoreContract {

  private static RedisServer server;
  private static RedisConnection redis;

  private ManualClock clock;
  private RedisResponseCacheStore redisStore;

  @BeforeAll
  static void startRedis() {
    server = RedisServer.start();
    redis =
        RedisConnection.builder().uri(server.uri()).commandTimeout(Duration.ofSeconds(2)).build();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
    server.close();
  }

  @Override
  protected ResponseCacheStore newStore() {
    server.command("FLUSHALL");
    clock = ManualClock.at("2026-11-24T10:00:00Z");
    redisStore = RedisResponseCacheStore.builder(redis).timeToLive(TTL).clock(clock).build();
    return redisStore;
  }

  @Override
  protected TimeControl time() {
    return clock::advance;
  }

  private byte[] rawKey(String partition, String key) {
    return redisStore.redisKey(partition, key);
  }

  private byte[] rawValue(String partition, String key) {
    return redis.bytes().sync().get(rawKey(partition, key));
  }

  @Test
  void entriesCarryARedisTimeToLive() {
    store.put("p", "k", entry("x"));

    long pttl = redis.bytes().sync().pttl(rawKey("p", "k"));

    assertThat(pttl).isBetween(TTL.toMillis() - 5_000, TTL.toMillis());
  }

  @Test
  void arbitraryPartitionsAndKeysAreSafe() {
    String partition = "tenant:a\n{x}*?\u0000\u00e9";
    String key = "k e y\r\n" + "z".repeat(5_000);
    store.put(partition, key, entry("odd"));

    assertThat(store.get(partition, key).orElseThrow().body())
        .isEqualTo("odd".getBytes(StandardCharsets.UTF_8));
    assertThat(new String(rawKey(partition, key), StandardCharsets.UTF_8))
        .matches("aigw:cache:[A-Za-z0-9_-]{43}");
  }

  @Test
  void aValueUnderTheSameRedisKeyButForAnotherPairIsAMiss() {
    // As if the digests of two pairs collided: b's value under a's Redis key.
    store.put("tenant-b", "k", entry("b's answer"));
    redis.bytes().sync().set(rawKey("tenant-a", "k"), rawValue("tenant-b", "k"));

    assertThat(store.get("tenant-a", "k")).isEmpty();
    assertThat(store.get("tenant-b", "k")).isPresent();
  }

  @Test
  void onlyAUsageWithCacheWriteAudioOrImageCountsTakesLayoutVersion2() {
    store.put("p", "plain", entry("x")); // readable by a release that knows version 1 only
    Usage detailed = new Usage(10, 2, 12, 0, 0, 4, 0, 0, 0);
    store.put(
        "p",
        "detailed",
        new CachedResponse(
            CachedResponse.Format.JSON, new byte[] {'y'}, null, detailed, Instant.EPOCH));

    assertThat(rawValue("p", "plain")[4]).isEqualTo((byte) 1);
    assertThat(rawValue("p", "detailed")[4]).isEqualTo((byte) 2);
    assertThat(store.get("p", "detailed").orElseThrow().usage()).isEqualTo(detailed);
    assertThat(store.get("p", "plain").orElseThrow().usage()).isEqualTo(Usage.of(3, 4));
  }

  @Test
  void corruptOrForeignValuesAreMissesAndCounted() {
    store.put("p", "k", entry("a good answer"));
    byte[] good = rawValue("p", "k");

    byte[][] bad = {
      "plain text someone else wrote".getBytes(StandardCharsets.UTF_8),
      new byte[0],
      Arrays.copyOf(good, good.length - 3), // cut short
      Arrays.copyOf(good, good.length + 1), // trailing byte
      withByte(good, 4, 99), // unknown version
      withByte(good, 5, 0x7f), // partition length now absurd
      expiringAtTheEndOfTime(good, "a good answer".length()), // beyond what an Instant holds
    };
    for (byte[] value : bad) {
      redis.bytes().sync().set(rawKey("p", "k"), value);
      assertThat(store.get("p", "k")).isEmpty();
    }
    assertThat(redisStore.malformedValues()).isEqualTo(bad.length);
  }

  @Test
  void answersAboveTheEntryBoundAreNotStoredAndAreCounted() {
    RedisResponseCacheStore small =
        RedisResponseCacheStore.builder(redis).maximumEntryBytes(1_000).clock(clock).build();

    small.put("p", "small", entry("x".repeat(500)));
    small.put("p", "big", entry("x".repeat(1_000)));

    assertThat(small.get("p", "small")).isPresent();
    assertThat(small.get("p", "big")).isEmpty();
    assertThat(redis.bytes().sync().exists(rawKey("p", "big"))).isZero();
    assertThat(small.oversizedEntries()).isEqualTo(1);
  }

  @Test
  void anAnswerOverTheEntryBoundIsRefusedWithoutCopyingIt() {
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    CachedResponse huge =
        new CachedResponse(
            CachedResponse.Format.SSE,
            new byte[32 << 20],
            "gpt-4o",
            Usage.of(10, 20),
            Instant.EPOCH);
    store.put("p", "warm-up", entry("x")); // classes and the connection, not the huge answer

    long before = threads.getThreadAllocatedBytes(thread);
    store.put("p", "huge", huge); // 32 MiB over the default bound of 1 MiB
    long allocated = threads.getThreadAllocatedBytes(thread) - before;

    assertThat(redisStore.oversizedEntries()).isEqualTo(1);
    assertThat(redis.bytes().sync().exists(rawKey("p", "huge"))).isZero();
    assertThat(allocated).isLessThan(1 << 20); // encoding it would take 32 MiB, twice
  }

  @Test
  void theBodyBoundIsTheLongestBodyAnEntryWithinTheEntryBoundHolds() {
    RedisResponseCacheStore small =
        RedisResponseCacheStore.builder(redis).maximumEntryBytes(1_000).clock(clock).build();
    int longest = small.maximumBodyBytes();

    small.put("", "", bodyOf(longest));
    small.put("", "over", bodyOf(longest + 1));

    assertThat(small.get("", "").orElseThrow().body()).hasSize(longest);
    assertThat(small.get("", "over")).isEmpty();
    assertThat(small.oversizedEntries()).isEqualTo(1);
    assertThat(RedisResponseCacheStore.builder(redis).maximumEntryBytes(10).build())
        .returns(0, RedisResponseCacheStore::maximumBodyBytes);
  }

  private static CachedResponse bodyOf(int length) {
    return new CachedResponse(
        CachedResponse.Format.JSON, new byte[length], null, Usage.of(1, 2), Instant.EPOCH);
  }

  @Test
  void theBoundCountsTheValueExactlyAsItIsWritten() {
    Usage detailed = new Usage(10, 2, 12, 0, 0, 4, 0, 0, 0);
    int n = 0;
    for (String text :
        List.of("", "plain", "\u00e9t\u00e9 \u20ac \ud83d\ude00", "t\ud800", "\udc00x")) {
      for (CachedResponse r :
          List.of(
              entry(text),
              new CachedResponse(
                  CachedResponse.Format.JSON,
                  text.getBytes(StandardCharsets.UTF_8),
                  text,
                  detailed,
                  Instant.EPOCH))) {
        String partition = text + "p";
        String key = "k" + text + n++;
        byte[] value = RedisResponseCacheStore.encode(partition, key, r, Instant.EPOCH);
        assertThat(RedisResponseCacheStore.encodedBytes(partition, key, r))
            .as(text)
            .isEqualTo(value.length);
        RedisResponseCacheStore tight =
            RedisResponseCacheStore.builder(redis).maximumEntryBytes(value.length - 1).build();
        tight.put(partition, key, r);
        assertThat(tight.get(partition, key)).as(text).isEmpty();
        RedisResponseCacheStore exact =
            RedisResponseCacheStore.builder(redis).maximumEntryBytes(value.length).build();
        exact.put(partition, key, r);
        assertThat(exact.get(partition, key)).as(text).isPresent();
      }
    }
  }

  @Test
  void aNullModelAndLargeCountsRoundTrip() {
    CachedResponse odd =
        new CachedResponse(
            CachedResponse.Format.JSON,
            new byte[] {0, -1, 10, 13, 0},
            null,
            new Usage(Usage.MAX_TOKENS, 0, Long.MAX_VALUE, 7, 9),
            Instant.parse("1970-01-01T00:00:00.000000001Z"));

    store.put("p", "k", odd);

    CachedResponse read = store.get("p", "k").orElseThrow();
    assertThat(read.body()).isEqualTo(odd.body());
    assertThat(read.model()).isNull();
    assertThat(read.usage()).isEqualTo(odd.usage());
    assertThat(read.storedAt()).isEqualTo(odd.storedAt());
  }

  @Test
  void redisErrorsSurfaceAsRuntimeExceptionsWithoutTheBody() throws Exception {
    try (RedisConnection down = RedisConnection.builder().uri("redis://127.0.0.1:1").build()) {
      RedisResponseCacheStore unreachable = RedisResponseCacheStore.builder(down).build();

      assertThatThrownBy(() -> unreachable.get("p", "k")).isInstanceOf(RedisException.class);
      assertThatThrownBy(() -> unreachable.put("p", "k", entry("secret answer")))
          .isInstanceOf(RedisException.class)
          .hasMessageNotContaining("secret answer");
    }
  }

  @Test
  void redisMaxmemoryBoundsTheCacheAndWritesKeepSucceeding() {
    try (RedisServer small =
            RedisServer.start(List.of("--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"));
        RedisConnection connection =
            RedisConnection.builder()
                .uri(small.uri())
                .commandTimeout(Duration.ofSeconds(2))
                .build()) {
      RedisVectorStoreTest.warmUp(connection);
      RedisResponseCacheStore bounded =
          RedisResponseCacheStore.builder(connection).clock(clock).build();

      for (int i = 0; i < 8_000; i++) { // about 11 MB of answers into 4 MB
        bounded.put("p", "k" + i, entry(i + "x".repeat(1_000)));
      }

      long keys = connection.bytes().sync().dbsize();
      assertThat(keys).isBetween(100L, 4_000L);
      assertThat(bounded.get("p", "k7999")).isPresent(); // the latest stays
      // Redis evicts by sampled LRU, an approximation: most of the oldest answers went, though
      // any one of them may have survived its samples.
      int oldestKept = 0;
      for (int i = 0; i < 100; i++) {
        if (bounded.get("p", "k" + i).isPresent()) {
          oldestKept++;
        }
      }
      assertThat(oldestKept).isLessThan(50);
    }
  }

  @Test
  void aTimeToLiveLongerThanRedisTakesKeepsEntriesForAsLongAsRedisCan() {
    // "for good", as the in-memory store takes it: Redis refuses an expiry that far away
    for (Duration forever :
        List.of(
            Duration.ofMillis(Long.MAX_VALUE),
            java.time.temporal.ChronoUnit.FOREVER.getDuration())) {
      RedisResponseCacheStore kept =
          RedisResponseCacheStore.builder(redis).timeToLive(forever).clock(clock).build();

      kept.put("p", "kept", entry("x"));

      assertThat(kept.get("p", "kept")).isPresent();
      assertThat(redis.bytes().sync().pttl(rawKey("p", "kept")))
          .isGreaterThan(Duration.ofDays(365L * 10_000).toMillis());
      assertThat(kept.timeToLive()).isEqualTo(forever);
    }
  }

  @Test
  void itsCallsAreBoundedByTheCommandTimeoutSoTheCacheCallsItWithoutAHandOff() {
    assertThat(RedisResponseCacheStore.builder(redis).build().callTimeout())
        .isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void settingsAreChecked() {
    assertThatThrownBy(() -> RedisResponseCacheStore.builder(redis).timeToLive(Duration.ZERO))
        .hasMessageContaining("timeToLive must be at least 1 ms but was PT0S");
    assertThatThrownBy(() -> RedisResponseCacheStore.builder(redis).maximumEntryBytes(0))
        .hasMessageContaining("maximumEntryBytes must be at least 1 but was 0");
  }

  /**
   * {@code value} with its expiry (the last fields before the body and its length) at {@code
   * Long.MAX_VALUE} seconds and 1,999,999,999 nanoseconds, which no {@code Instant} can hold.
   */
  private static byte[] expiringAtTheEndOfTime(byte[] value, int bodyLength) {
    byte[] copy = value.clone();
    int seconds = copy.length - bodyLength - 4 - 4 - 8;
    java.nio.ByteBuffer.wrap(copy)
        .putLong(seconds, Long.MAX_VALUE)
        .putInt(seconds + 8, 1_999_999_999);
    return copy;
  }

  private static byte[] withByte(byte[] value, int index, int b) {
    byte[] copy = value.clone();
    copy[index] = (byte) b;
    return copy;
  }
}
