package dev.aigateway.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CircuitBreakerPolicyTest {

  // ---------------------------------------------------------------- defaults

  @Test
  void defaultsTripAfterFiveFailuresInTenSecondsForThirtySeconds() {
    CircuitBreakerPolicy policy = CircuitBreakerPolicy.defaults();

    assertThat(policy.failureCount())
        .isEqualTo(CircuitBreakerPolicy.DEFAULT_FAILURE_COUNT)
        .isEqualTo(5);
    assertThat(policy.interval())
        .isEqualTo(CircuitBreakerPolicy.DEFAULT_INTERVAL)
        .isEqualTo(Duration.ofSeconds(10));
    assertThat(policy.tripDuration())
        .isEqualTo(CircuitBreakerPolicy.DEFAULT_TRIP_DURATION)
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(policy.maxTripDuration())
        .isEqualTo(CircuitBreakerPolicy.DEFAULT_MAX_TRIP_DURATION)
        .isEqualTo(Duration.ofHours(1));
    assertThat(policy.honoursRetryAfter()).isTrue();
    assertThat(policy.tripsOnConnectionFailures()).isTrue();
    assertThat(policy.failureRatePercent()).isZero();
    assertThat(policy.minimumCalls()).isZero();
  }

  @ParameterizedTest
  @ValueSource(ints = {429, 500, 502, 503, 504, 599})
  void defaultFailureStatusesAre429And5xx(int status) {
    assertThat(CircuitBreakerPolicy.defaults().isFailureStatus(status)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(ints = {200, 201, 204, 301, 400, 401, 403, 404, 408, 413, 428, 499})
  void otherStatusesAreNotFailuresByDefault(int status) {
    assertThat(CircuitBreakerPolicy.defaults().isFailureStatus(status)).isFalse();
  }

  @Test
  void aBuilderStartsFromTheDefaults() {
    assertThat(CircuitBreakerPolicy.builder().build())
        .hasToString(CircuitBreakerPolicy.defaults().toString());
  }

  @Test
  void defaultsReadWell() {
    assertThat(CircuitBreakerPolicy.defaults())
        .hasToString(
            "CircuitBreakerPolicy{"
                + "failureCount(5, PT10S), trip PT30S or retry-after up to PT1H}");
  }

  // ---------------------------------------------------------------- settings

  @Test
  void failureStatusesReplaceTheDefault() {
    CircuitBreakerPolicy policy =
        CircuitBreakerPolicy.builder().failureStatuses(status -> status == 503).build();

    assertThat(policy.isFailureStatus(503)).isTrue();
    assertThat(policy.isFailureStatus(429)).isFalse();
    assertThat(policy.isFailureStatus(500)).isFalse();
  }

  @Test
  void failureStatusesCanExtendTheDefault() {
    CircuitBreakerPolicy policy =
        CircuitBreakerPolicy.builder()
            .failureStatuses(CircuitBreakerPolicy.DEFAULT_FAILURE_STATUSES.or(s -> s == 408))
            .build();

    assertThat(policy.isFailureStatus(408)).isTrue();
    assertThat(policy.isFailureStatus(429)).isTrue();
  }

  @Test
  void connectionFailuresCanBeIgnored() {
    assertThat(
            CircuitBreakerPolicy.builder()
                .tripOnConnectionFailures(false)
                .build()
                .tripsOnConnectionFailures())
        .isFalse();
  }

  @Test
  void countModeSetsCountAndInterval() {
    CircuitBreakerPolicy policy =
        CircuitBreakerPolicy.builder().failureCount(3, Duration.ofSeconds(20)).build();

    assertThat(policy.failureCount()).isEqualTo(3);
    assertThat(policy.interval()).isEqualTo(Duration.ofSeconds(20));
    assertThat(policy.failureRatePercent()).isZero();
  }

  @Test
  void rateModeSetsPercentMinimumCallsAndInterval() {
    CircuitBreakerPolicy policy =
        CircuitBreakerPolicy.builder().failureRate(50, 20, Duration.ofMinutes(1)).build();

    assertThat(policy.failureCount()).isZero();
    assertThat(policy.failureRatePercent()).isEqualTo(50.0);
    assertThat(policy.minimumCalls()).isEqualTo(20);
    assertThat(policy.interval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(policy)
        .hasToString(
            "CircuitBreakerPolicy{failureRate(50, 20, PT1M), trip PT30S "
                + "or retry-after up to PT1H}");
  }

  @Test
  void tripDurationUsesTheRetryAfterWhenHonoured() {
    CircuitBreakerPolicy policy =
        CircuitBreakerPolicy.builder()
            .tripDuration(Duration.ofSeconds(30))
            .maxTripDuration(Duration.ofMinutes(5))
            .build();

    assertThat(policy.tripDuration(null)).isEqualTo(Duration.ofSeconds(30));
    assertThat(policy.tripDuration(Duration.ofSeconds(7))).isEqualTo(Duration.ofSeconds(7));
    assertThat(policy.tripDuration(Duration.ofHours(2))).isEqualTo(Duration.ofMinutes(5));
    assertThat(policy.tripDuration(Duration.ZERO)).isEqualTo(Duration.ofSeconds(30));
    assertThat(policy.tripDuration(Duration.ofSeconds(-3))).isEqualTo(Duration.ofSeconds(30));
    assertThat(policy.tripDuration(Duration.ofNanos(300_000))).isEqualTo(Duration.ofSeconds(30));
    assertThat(policy.tripDuration(Duration.ofMillis(1))).isEqualTo(Duration.ofMillis(1));
  }

  @Test
  void tripDurationIgnoresTheRetryAfterWhenNotHonoured() {
    CircuitBreakerPolicy policy =
        CircuitBreakerPolicy.builder()
            .honourRetryAfter(false)
            .tripDuration(Duration.ofSeconds(12))
            .build();

    assertThat(policy.honoursRetryAfter()).isFalse();
    assertThat(policy.tripDuration(Duration.ofSeconds(99))).isEqualTo(Duration.ofSeconds(12));
    assertThat(policy).hasToString("CircuitBreakerPolicy{failureCount(5, PT10S), trip PT12S}");
  }

  @Test
  void aCoolDownIsTheRetryAfterCappedLikeATrip() {
    CircuitBreakerPolicy policy =
        CircuitBreakerPolicy.builder().maxTripDuration(Duration.ofMinutes(5)).build();

    assertThat(policy.coolDown(Duration.ofSeconds(7))).isEqualTo(Duration.ofSeconds(7));
    assertThat(policy.coolDown(Duration.ofDays(365))).isEqualTo(Duration.ofMinutes(5));
    assertThat(policy.coolDown(Duration.ofSeconds(-3))).isEqualTo(Duration.ZERO);
  }

  @Test
  void aCoolDownIsCappedEvenWhenTripsIgnoreTheRetryAfter() {
    CircuitBreakerPolicy policy = CircuitBreakerPolicy.builder().honourRetryAfter(false).build();

    assertThat(policy.coolDown(Duration.ofSeconds(31_536_000)))
        .isEqualTo(CircuitBreakerPolicy.DEFAULT_MAX_TRIP_DURATION);
  }

  // ---------------------------------------------------------------- one trip condition

  @Test
  void failureRateAfterFailureCountReplacesTheTripCondition() {
    CircuitBreakerPolicy policy =
        CircuitBreakerPolicy.builder()
            .failureCount(3, Duration.ofSeconds(10))
            .failureRate(50, 20, Duration.ofMinutes(1))
            .build();

    assertThat(policy.failureCount()).isZero();
    assertThat(policy.failureRatePercent()).isEqualTo(50);
    assertThat(policy.minimumCalls()).isEqualTo(20);
    assertThat(policy.interval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(policy.toString()).contains("failureRate(50, 20, PT1M)");
  }

  @Test
  void failureCountAfterFailureRateReplacesTheTripCondition() {
    CircuitBreakerPolicy policy =
        CircuitBreakerPolicy.builder()
            .failureRate(12.5, 20, Duration.ofMinutes(1))
            .failureCount(3, Duration.ofSeconds(10))
            .build();

    assertThat(policy.failureCount()).isEqualTo(3);
    assertThat(policy.failureRatePercent()).isZero();
    assertThat(policy.minimumCalls()).isZero();
    assertThat(policy.interval()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void aSecondFailureCountReplacesTheFirst() {
    CircuitBreakerPolicy policy =
        CircuitBreakerPolicy.builder()
            .failureCount(3, Duration.ofSeconds(10))
            .failureCount(4, Duration.ofSeconds(20))
            .build();

    assertThat(policy.failureCount()).isEqualTo(4);
    assertThat(policy.interval()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void aRejectedConditionLeavesTheBuilderUnchanged() {
    CircuitBreakerPolicy.Builder builder = CircuitBreakerPolicy.builder();
    assertThatThrownBy(() -> builder.failureCount(0, Duration.ofSeconds(10)))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(builder.failureCount(2, Duration.ofSeconds(10)).build().failureCount()).isEqualTo(2);
  }

  // ---------------------------------------------------------------- validation

  @Test
  void failureCountMustBePositive() {
    assertThatThrownBy(() -> CircuitBreakerPolicy.builder().failureCount(0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failure count must be >= 1 but was 0");
  }

  @Test
  void intervalMustBeAtLeastAMillisecond() {
    assertThatThrownBy(() -> CircuitBreakerPolicy.builder().failureCount(1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failure interval must be at least 1 ms but was PT0S");
    assertThatThrownBy(
            () -> CircuitBreakerPolicy.builder().failureRate(50, 1, Duration.ofSeconds(-5)))
        .hasMessage("failure interval must be at least 1 ms but was PT-5S");
    assertThatThrownBy(() -> CircuitBreakerPolicy.builder().failureCount(1, Duration.ofNanos(5)))
        .hasMessage("failure interval must be at least 1 ms but was PT0.000000005S");
  }

  @ParameterizedTest
  @ValueSource(doubles = {0, -1, 100.01, Double.NaN, Double.POSITIVE_INFINITY})
  void failureRateMustBeAPercentage(double percent) {
    assertThatThrownBy(
            () -> CircuitBreakerPolicy.builder().failureRate(percent, 10, Duration.ofSeconds(10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failure rate must be in (0, 100] percent but was " + percent);
  }

  @Test
  void aHundredPercentIsAllowed() {
    assertThat(
            CircuitBreakerPolicy.builder()
                .failureRate(100, 1, Duration.ofSeconds(1))
                .build()
                .failureRatePercent())
        .isEqualTo(100.0);
  }

  @Test
  void minimumCallsMustBePositive() {
    assertThatThrownBy(
            () -> CircuitBreakerPolicy.builder().failureRate(50, 0, Duration.ofSeconds(10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minimum calls must be >= 1 but was 0");
  }

  @Test
  void tripDurationMustBePositive() {
    assertThatThrownBy(() -> CircuitBreakerPolicy.builder().tripDuration(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("trip duration must be positive but was PT0S");
  }

  @Test
  void maxTripDurationMustBePositive() {
    assertThatThrownBy(() -> CircuitBreakerPolicy.builder().maxTripDuration(Duration.ofMinutes(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max trip duration must be positive but was PT-1M");
  }

  @Test
  void nullsAreRejectedByName() {
    CircuitBreakerPolicy.Builder builder = CircuitBreakerPolicy.builder();

    assertThatThrownBy(() -> builder.failureStatuses(null)).hasMessage("statuses");
    assertThatThrownBy(() -> builder.failureCount(1, null)).hasMessage("interval");
    assertThatThrownBy(() -> builder.tripDuration(null)).hasMessage("trip duration");
    assertThatThrownBy(() -> builder.maxTripDuration(null)).hasMessage("max trip duration");
  }
}
