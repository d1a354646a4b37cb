package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.store.tck.TimeControl;
import dev.aigateway.store.tck.TokenLimitStoreContract;
import dev.aigateway.testing.RedisServer;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The published token limit suite against a real redis-server: once with the limit clock pinned by
 * the test hook (so every time-controlled test runs too), once on the server's own TIME.
 */
class RedisTokenLimitStoreContractTest extends TokenLimitStoreContract {

  private static RedisServer redis;
  private static RedisConnection connection;

  private AtomicLong micros;
  private RedisTokenLimitStore redisStore;

  @BeforeAll
  static void startRedis() {
    redis = RedisServer.start();
    connection =
        RedisConnection.builder()
            .uri(redis.uri())
            .keyPrefix("contract:")
            .commandTimeout(Duration.ofSeconds(2))
            .build();
  }

  @AfterAll
  static void stopRedis() {
    connection.close();
    redis.close();
  }

  @AfterEach
  void closeStore() {
    if (redisStore != null) {
      redisStore.close();
    }
  }

  @Override
  protected TokenLimitStore newStore(Instant start) {
    redis.command("FLUSHALL");
    micros = new AtomicLong(ChronoUnit.MICROS.between(Instant.EPOCH, start));
    redisStore = RedisTokenLimitStore.builder(connection).pinTimeForTests(micros::get).build();
    return redisStore;
  }

  @Override
  protected TimeControl time() {
    return duration -> micros.addAndGet(duration.toNanos() / 1000);
  }

  @Override
  protected boolean namesLimitsAsTheBuiltInStores() {
    return true;
  }

  @Test
  void aReservationOfAnotherRedisStoreIsRejected() {
    LimitSpec limit = inFlight(1);
    try (RedisTokenLimitStore other = RedisTokenLimitStore.builder(connection).build()) {
      Reservation elsewhere = other.reserve(List.of(charge(limit, "alice", 1))).reservation();

      assertThatThrownBy(() -> settle(elsewhere, 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("was not made by this store");
    }
  }

  @Test
  void rateOfLongMaxValueRefillsExactlyOverManyIrregularSteps() {
    LimitSpec limit = rate(Long.MAX_VALUE, Duration.ofHours(7).plusNanos(13));
    reserve(charge(limit, "alice", Usage.MAX_TOKENS), charge(limit, "alice", Usage.MAX_TOKENS));
    java.math.BigInteger periodNanos =
        java.math.BigInteger.valueOf(Duration.ofHours(7).plusNanos(13).toNanos());
    long elapsedMicros = 0;
    for (int step = 1; step <= 5; step++) {
      advance(Duration.ofNanos(step * 1_000L));
      elapsedMicros += step;
      long refilled =
          java.math.BigInteger.valueOf(Long.MAX_VALUE)
              .multiply(java.math.BigInteger.valueOf(elapsedMicros * 1000))
              .divide(periodNanos)
              .longValueExact();
      assertThat(remaining(limit, "alice"))
          .isEqualTo(Math.min(Long.MAX_VALUE, Long.MAX_VALUE - 2 * Usage.MAX_TOKENS + refilled));
    }
  }

  @Test
  void slowRateWithAnAwkwardCapacityRefillsExactlyAfterAGap() {
    // 7,777,777 tokens an hour: a / b = 7777777 / 3.6e9 per microsecond, whose products with a
    // ten-minute gap exceed 2^52, the script's long-division path.
    LimitSpec limit = rate(7_777_777, Duration.ofHours(1));
    reserve(charge(limit, "alice", 7_777_777));

    advance(Duration.ofMinutes(11).plusNanos(123_000));

    long elapsedNanos = Duration.ofMinutes(11).plusNanos(123_000).toNanos();
    long refilled =
        java.math.BigInteger.valueOf(7_777_777)
            .multiply(java.math.BigInteger.valueOf(elapsedNanos))
            .divide(java.math.BigInteger.valueOf(Duration.ofHours(1).toNanos()))
            .longValueExact();
    assertThat(remaining(limit, "alice")).isEqualTo(refilled);
  }

  @Test
  void quotaOfLongMaxValueRejectsOnlyWhatCannotFit() {
    LimitSpec limit = quota(Long.MAX_VALUE, QuotaPeriod.DAILY, ZoneOffset.UTC);
    for (int i = 0; i < 3; i++) {
      admitted(charge(limit, "alice", Usage.MAX_TOKENS));
    }

    ReserveResult next = reserve(charge(limit, "alice", 7));

    assertThat(next.admitted()).isTrue();
    assertThat(next.remaining()).containsExactly(Long.MAX_VALUE - 3 * Usage.MAX_TOKENS - 7);
  }

  @Test
  void everyKeyCarriesTheHashTagAndExpiresAndARefundLeavesNoKeyBehind() {
    LimitSpec rate = rate(1000, Duration.ofMinutes(1));
    LimitSpec quota = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    LimitSpec slots = inFlight(2);
    Reservation reservationOfLastCall =
        admitted(charge(rate, "alice", 10), charge(quota, "alice", 10), charge(slots, "alice", 1));

    assertThat(redis.command("DBSIZE"))
        .isEqualTo(":4"); // three counters and the store's pending set
    assertThat(
            redis.command(
                "EVAL", "return #redis.call('KEYS', ARGV[1])", "0", "contract:{limits}:*"))
        .isEqualTo(":4");
    for (String key :
        List.of(
            "contract:{limits}:r3:t:1000:60000000000:"
                + rate.id().length()
                + ":"
                + rate.id()
                + ":alice",
            "contract:{limits}:q3:t:daily:1:Z:" + quota.id().length() + ":" + quota.id() + ":alice",
            "contract:{limits}:f:" + slots.id().length() + ":" + slots.id() + ":alice",
            "contract:{limits}:pending:" + storeIdOf(reservationOfLastCall))) {
      long ttl = Long.parseLong(redis.command("PTTL", key).substring(1));
      assertThat(ttl).as(key).isPositive();
    }

    settle(reservationOfLastCall, 0, 0, 0);
    assertThat(redisStore.flush(Duration.ofSeconds(5))).isTrue(); // settlements do not wait

    // a full bucket, an empty quota, no slot, no reservation pending
    assertThat(redis.command("DBSIZE")).isEqualTo(":0");
  }

  /** The store part of a reservation id (before the dot): names the store's pending set. */
  private static String storeIdOf(Reservation reservation) {
    String id = ((RedisReservation) reservation).id;
    return id.substring(0, id.indexOf('.'));
  }

  /** The suite on the Redis server's own clock: the time-controlled tests are skipped. */
  @Nested
  class OnTheServerClock extends TokenLimitStoreContract {
    private RedisTokenLimitStore serverClockStore;

    @Override
    protected TokenLimitStore newStore(Instant start) {
      redis.command("FLUSHALL");
      serverClockStore = RedisTokenLimitStore.builder(connection).build();
      return serverClockStore;
    }

    @Override
    protected TimeControl time() {
      return TimeControl.NONE;
    }

    @AfterEach
    void closeServerClockStore() {
      serverClockStore.close();
    }
  }
}
