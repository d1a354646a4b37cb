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

  private static final Instant AT = Instant.parse("2026-06-01T10:00:00Z");

  /** East's breaker opened for 30 s by a trip signal from {@code origin}. */
  private static BreakerTransition trippedAt(String origin) {
    return new BreakerTransition(
        "east",
        BreakerState.CLOSED,
        BreakerState.OPEN,
        AT,
        Duration.ofSeconds(30),
        "tripped at instance " + origin,
        origin);
  }

  @Test
  void aTransitionSaysWhetherAnotherInstanceCausedIt() {
    BreakerTransition local =
        new BreakerTransition(
            "east", BreakerState.CLOSED, BreakerState.OPEN, AT, Duration.ofSeconds(30), "3 fails");
    BreakerTransition remote = trippedAt("gw-a");

    assertThat(local.origin()).isNull();
    assertThat(local.remote()).isFalse();
    assertThat(remote.remote()).isTrue();
    assertThat(remote.origin()).isEqualTo("gw-a");
  }

  /** What another instance could put in a signal on the channel to forge a log line. */
  private static final String FORGED = "gw-a\n2026-06-01 10:00:00 ERROR admin password reset\u202e";

  @Test
  void aSignalShowsItsNamesOnOneLineEscapedAsTheLogsWriteThem() {
    HealthSignal signal =
        new HealthSignal(
            "chat\r",
            "east\u2028",
            HealthSignal.Kind.TRIPPED,
            UNTIL,
            Duration.ofSeconds(30),
            FORGED);

    assertThat(signal.toString())
        .isEqualTo(
            "HealthSignal[pool=chat\\r, backendId=east\\u2028, kind=TRIPPED,"
                + " until=2026-06-01T10:00:30Z, remaining=PT30S, origin=gw-a\\n2026-06-01 10:00:00"
                + " ERROR admin password reset\\u202e]");
    assertThat(
            new HealthSignal(
                    "chat",
                    "east",
                    HealthSignal.Kind.COOL_DOWN,
                    UNTIL,
                    Duration.ZERO,
                    "x".repeat(5000))
                .toString())
        .hasSizeLessThan(400)
        .contains("…(+4800 chars)");
  }

  @Test
  void aTransitionAnotherInstanceCausedShowsItsOriginAndReasonOnOneLine() {
    assertThat(trippedAt(FORGED).toString())
        .isEqualTo(
            "BreakerTransition[backendId=east, from=CLOSED, to=OPEN, at=2026-06-01T10:00:00Z,"
                + " openFor=PT30S, reason=tripped at instance gw-a\\n2026-06-01 10:00:00 ERROR"
                + " admin password reset\\u202e, origin=gw-a\\n2026-06-01 10:00:00 ERROR admin"
                + " password reset\\u202e]");
    assertThat(
            new BreakerTransition(
                    "east", BreakerState.HALF_OPEN, BreakerState.CLOSED, AT, null, "ok")
                .toString())
        .isEqualTo(
            "BreakerTransition[backendId=east, from=HALF_OPEN, to=CLOSED, at=2026-06-01T10:00:00Z,"
                + " openFor=null, reason=ok, origin=null]");
  }
}
