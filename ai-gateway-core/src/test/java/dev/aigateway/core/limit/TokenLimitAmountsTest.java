package dev.aigateway.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.LimitSpec.Unit;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the gateway reserves and settles per kind of counter. */
class TokenLimitAmountsTest {

  private static final LimitSpec TOKEN_RATE = LimitSpec.rate("tpm", 10_000, Duration.ofMinutes(1));
  private static final LimitSpec TOKEN_QUOTA =
      LimitSpec.quota("monthly", 1_000_000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
  private static final LimitSpec REQUEST_RATE =
      LimitSpec.rate("rpm", Unit.REQUESTS, 60, Duration.ofMinutes(1));
  private static final LimitSpec REQUEST_QUOTA =
      LimitSpec.quota("rpd", Unit.REQUESTS, 1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
  private static final LimitSpec IN_FLIGHT = LimitSpec.inFlight("in-flight", 4);

  private static final List<LimitCharge> ONE_OF_EACH =
      List.of(
          new LimitCharge(TOKEN_RATE, "alice", 1200),
          new LimitCharge(TOKEN_QUOTA, "alice", 1200),
          new LimitCharge(REQUEST_RATE, "alice", 1),
          new LimitCharge(REQUEST_QUOTA, "alice", 1),
          new LimitCharge(IN_FLIGHT, "alice", 1));

  @Test
  void tokenCountersReserveTheEstimate() {
    assertThat(TokenLimit.reservedAmount(TOKEN_RATE, 1200)).isEqualTo(1200);
    assertThat(TokenLimit.reservedAmount(TOKEN_QUOTA, 0)).isZero();
  }

  @Test
  void requestCountersAndInFlightLimitsReserveOneWhateverTheEstimate() {
    assertThat(TokenLimit.reservedAmount(REQUEST_RATE, 1200)).isEqualTo(1);
    assertThat(TokenLimit.reservedAmount(REQUEST_QUOTA, 0)).isEqualTo(1);
    assertThat(TokenLimit.reservedAmount(IN_FLIGHT, 1200)).isEqualTo(1);
  }

  @Test
  void aCallABackendAnsweredSettlesItsTokensOneRequestAndFreesItsSlot() {
    assertThat(TokenLimit.actualAmounts(ONE_OF_EACH, 950, true)).containsExactly(950, 950, 1, 1, 0);
  }

  @Test
  void aCallNoBackendAnsweredRefundsItsRequestsAndFreesItsSlot() {
    assertThat(TokenLimit.actualAmounts(ONE_OF_EACH, 0, false)).containsExactly(0, 0, 0, 0, 0);
  }

  @Test
  void aCacheHitChargedForItsTokensCountsNoRequest() {
    assertThat(TokenLimit.actualAmounts(ONE_OF_EACH, 300, false))
        .containsExactly(300, 300, 0, 0, 0);
  }
}
