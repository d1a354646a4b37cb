package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.testing.RedisServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The store's time is the Redis server's: two stores whose JVM clocks are hours apart (the clock
 * only proposes quota windows) see one window and one wait, those of the server's clock.
 */
class ServerTimeTest {

  @Test
  void storesWithSkewedJvmClocksShareTheServersQuotaWindow() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection =
            RedisConnection.builder()
                .uri(redis.uri())
                .commandTimeout(Duration.ofSeconds(5))
                .build();
        RedisTokenLimitStore ahead =
            RedisTokenLimitStore.builder(connection)
                .jvmClock(Clock.offset(Clock.systemUTC(), Duration.ofHours(3).plusMinutes(17)))
                .build();
        RedisTokenLimitStore behind =
            RedisTokenLimitStore.builder(connection)
                .jvmClock(Clock.offset(Clock.systemUTC(), Duration.ofHours(-5)))
                .build()) {
      LimitSpec hourly =
          LimitSpec.quota("hourly", 100, QuotaPeriod.HOURLY, ZoneId.of("Asia/Kolkata"));
      Instant serverNow = serverTime(redis);
      Instant nextHour = serverNow.truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1));
      if (Duration.between(serverNow, nextHour).toSeconds() < 10) {
        Thread.sleep(Duration.between(serverNow, nextHour).toMillis() + 100); // not at the edge
        serverNow = serverTime(redis);
        nextHour = serverNow.truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1));
      }
      // Kolkata is UTC+05:30: its hours start at hh:30 UTC.
      Instant windowEnd = QuotaPeriod.HOURLY.windowEnd(serverNow, ZoneId.of("Asia/Kolkata"));

      ReserveResult spent = ahead.reserve(List.of(new LimitCharge(hourly, "alice", 100)));
      ReserveResult refused = behind.reserve(List.of(new LimitCharge(hourly, "alice", 1)));
      ReserveResult refusedAgain = ahead.reserve(List.of(new LimitCharge(hourly, "alice", 1)));

      assertThat(spent.admitted()).isTrue();
      assertThat(refused.admitted()).isFalse();
      assertThat(refusedAgain.admitted()).isFalse();
      Duration expectedWait = Duration.between(serverNow, windowEnd);
      for (ReserveResult result : List.of(refused, refusedAgain)) {
        assertThat(result.retryAfter())
            .isBetween(
                expectedWait.minusSeconds(30), expectedWait.plusSeconds(1)); // a busy machine
      }
    }
  }

  private static Instant serverTime(RedisServer redis) {
    String seconds = redis.command("EVAL", "return tonumber(redis.call('TIME')[1])", "0");
    return Instant.ofEpochSecond(Long.parseLong(seconds.substring(1)));
  }
}
