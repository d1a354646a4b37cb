package dev.aigateway.api.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitSpec.Kind;
import dev.aigateway.api.spi.LimitSpec.Unit;
import java.time.Duration;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class LimitSpecTest {

  @Test
  void shorthandRatesAndQuotasCountTokens() {
    assertThat(LimitSpec.rate("tpm", 100, Duration.ofMinutes(1)).unit()).isEqualTo(Unit.TOKENS);
    assertThat(LimitSpec.quota("q", 100, QuotaPeriod.DAILY, ZoneOffset.UTC).unit())
        .isEqualTo(Unit.TOKENS);
  }

  @Test
  void inFlightLimitCountsRequestsAndHasNoPeriod() {
    LimitSpec spec = LimitSpec.inFlight("f", 8);

    assertThat(spec.kind()).isEqualTo(Kind.IN_FLIGHT);
    assertThat(spec.unit()).isEqualTo(Unit.REQUESTS);
    assertThat(spec.refillPeriod()).isNull();
    assertThat(spec.quotaPeriod()).isNull();
    assertThat(spec.zone()).isNull();
  }

  @Test
  void capacityMustBePositive() {
    assertThatThrownBy(() -> LimitSpec.inFlight("f", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("capacity of limit 'f' must be > 0 but was 0");
  }

  @Test
  void capacityMayBeLongMaxValue() {
    assertThat(LimitSpec.rate("r", Long.MAX_VALUE, Duration.ofNanos(1)).capacity())
        .isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void refillPeriodMustBePositive() {
    assertThatThrownBy(() -> LimitSpec.rate("r", 10, Duration.ZERO))
        .hasMessage("refill period of limit 'r' must be positive but was PT0S");
  }

  @Test
  void refillPeriodMustFitInLongNanoseconds() {
    assertThatThrownBy(() -> LimitSpec.rate("r", 10, Duration.ofDays(400 * 365)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be at most PT2562047H47M16.854775807S")
        .hasMessageEndingWith("but was PT3504000H");
  }

  @Test
  void inFlightLimitMustCountRequests() {
    assertThatThrownBy(() -> new LimitSpec("f", Kind.IN_FLIGHT, Unit.TOKENS, 4, null, null, null))
        .hasMessage(
            "in-flight limit 'f' counts calls, so its unit must be REQUESTS but was " + "TOKENS");
  }

  @Test
  void settingsOfAnotherKindAreRejected() {
    assertThatThrownBy(
            () ->
                new LimitSpec(
                    "r", Kind.RATE, Unit.TOKENS, 4, Duration.ofMinutes(1), QuotaPeriod.DAILY, null))
        .hasMessage(
            "limit 'r' is of kind RATE, which has no quotaPeriod, but quotaPeriod was " + "DAILY");
    assertThatThrownBy(
            () ->
                new LimitSpec(
                    "q",
                    Kind.QUOTA,
                    Unit.TOKENS,
                    4,
                    Duration.ofMinutes(1),
                    QuotaPeriod.DAILY,
                    ZoneOffset.UTC))
        .hasMessage(
            "limit 'q' is of kind QUOTA, which has no refillPeriod, but refillPeriod was "
                + "PT1M");
    assertThatThrownBy(
            () -> new LimitSpec("f", Kind.IN_FLIGHT, Unit.REQUESTS, 4, null, null, ZoneOffset.UTC))
        .hasMessage("limit 'f' is of kind IN_FLIGHT, which has no zone, but zone was Z");
  }

  @Test
  void specsOfAnotherUnitAreNotEqual() {
    LimitSpec tokens = LimitSpec.rate("r", Unit.TOKENS, 60, Duration.ofMinutes(1));
    LimitSpec requests = LimitSpec.rate("r", Unit.REQUESTS, 60, Duration.ofMinutes(1));

    assertThat(tokens).isNotEqualTo(requests);
    assertThat(tokens).isEqualTo(LimitSpec.rate("r", 60, Duration.ofMinutes(1)));
    assertThat(tokens.hashCode())
        .isEqualTo(LimitSpec.rate("r", 60, Duration.ofMinutes(1)).hashCode());
  }
}
