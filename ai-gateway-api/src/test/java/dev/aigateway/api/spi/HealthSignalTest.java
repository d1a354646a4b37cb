package dev.aigateway.api.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HealthSignalTest {

  private static final Instant UNTIL = Instant.parse("2026-06-01T10:00:30Z");

  private static HealthSignal tripped(Duration remaining) {
    return new HealthSignal("chat", "east", HealthSignal.Kind.TRIPPED, UNTIL, remaining, "gw-a");
  }

  @Test
  void agingTakesTheElapsedTimeOffTheRemainderButNeverBelowZeroAndKeepsTheRest() {
    HealthSignal signal = tripped(Duration.ofSeconds(30));

    assertThat(signal.aged(Duration.ofSeconds(10)))
        .isEqualTo(
            new HealthSignal(
                "chat", "east", HealthSignal.Kind.TRIPPED, UNTIL, Duration.ofSeconds(20), "gw-a"));
    assertThat(signal.aged(Duration.ofMinutes(5)).remaining()).isZero();
    assertThat(signal.aged(Duration.ZERO)).isSameAs(signal);
    assertThat(signal.aged(Duration.ofSeconds(-3))).isSameAs(signal);
  }

  @Test
  void refusesBlankNamesAndANegativeRemainderNamingTheField() {
    assertThatThrownBy(() -> tripped(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("remaining must be >= 0 but was PT-0.001S");
    assertThatThrownBy(
            () ->
                new HealthSignal(
                    " ", "east", HealthSignal.Kind.COOL_DOWN, UNTIL, Duration.ZERO, "gw-a"))
        .hasMessageContaining("pool must not be blank");
    assertThatThrownBy(
            () ->
                new HealthSignal(
                    "chat", "east", HealthSignal.Kind.COOL_DOWN, UNTIL, Duration.ZERO, ""))
        .hasMessageContaining("origin must not be blank");
    assertThatThrownBy(
            () ->
                new HealthSignal(
                    "chat", null, HealthSignal.Kind.RECOVERED, UNTIL, Duration.ZERO, "o"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("backendId");
  }

  @Test
  void aTransitionSaysWhetherAnotherInstanceCausedIt() {
    Instant at = Instant.parse("2026-06-01T10:00:00Z");
    BreakerTransition local =
        new BreakerTransition(
            "east", BreakerState.CLOSED, BreakerState.OPEN, at, Duration.ofSeconds(30), "3 fails");
    BreakerTransition remote =
        new BreakerTransition(
            "east",
            BreakerState.CLOSED,
            BreakerState.OPEN,
            at,
            Duration.ofSeconds(30),
            "tripped at instance gw-a",
            "gw-a");

    assertThat(local.origin()).isNull();
    assertThat(local.remote()).isFalse();
    assertThat(remote.remote()).isTrue();
    assertThat(remote.origin()).isEqualTo("gw-a");
  }
}
