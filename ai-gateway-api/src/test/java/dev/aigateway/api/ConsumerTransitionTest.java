package dev.aigateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ConsumerTransitionTest {

  private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");
  private static final AnomalyFinding FINDING =
      new AnomalyFinding(AnomalySignal.REQUEST_RATE, 412, 40, 5, 120);

  @Test
  void aRestrictionSaysUntilWhen() {
    ConsumerTransition t =
        new ConsumerTransition(
            "alice",
            ConsumerState.NORMAL,
            ConsumerState.THROTTLED,
            AT,
            AT.plusSeconds(600),
            FINDING,
            false,
            FINDING.describe());

    assertThat(t.reason())
        .isEqualTo("request_rate 412 calls/min above threshold 120 (baseline 40 ± 5)");
  }

  @Test
  void untilIsRequiredExactlyWhenTheConsumerIsRestricted() {
    assertThatThrownBy(
            () ->
                new ConsumerTransition(
                    "alice",
                    ConsumerState.NORMAL,
                    ConsumerState.BLOCKED,
                    AT,
                    null,
                    null,
                    true,
                    "x"))
        .hasMessage("until must be set when the consumer is restricted but was null");
    assertThatThrownBy(
            () ->
                new ConsumerTransition(
                    "alice",
                    ConsumerState.BLOCKED,
                    ConsumerState.NORMAL,
                    AT,
                    AT,
                    null,
                    true,
                    "released"))
        .hasMessage(
            "until must be null unless the consumer is restricted, but was " + AT + " for NORMAL");
    assertThatThrownBy(
            () ->
                new ConsumerTransition(
                    "alice",
                    ConsumerState.NORMAL,
                    ConsumerState.FLAGGED,
                    AT,
                    AT.minusSeconds(1),
                    FINDING,
                    false,
                    "x"))
        .hasMessageStartingWith("until must not be before at");
  }

  @Test
  void aTransitionMustChangeState() {
    assertThatThrownBy(
            () ->
                new ConsumerTransition(
                    "alice",
                    ConsumerState.FLAGGED,
                    ConsumerState.FLAGGED,
                    AT,
                    AT,
                    FINDING,
                    false,
                    "x"))
        .hasMessage("a transition must change state but went from FLAGGED to FLAGGED");
  }

  @Test
  void onlyAnOperatorsBlockMayReplaceABlock() {
    ConsumerTransition replaced =
        new ConsumerTransition(
            "alice",
            ConsumerState.BLOCKED,
            ConsumerState.BLOCKED,
            AT,
            AT.plusSeconds(3600),
            null,
            true,
            "confirmed: key leaked");

    assertThat(replaced.manual()).isTrue();
    assertThatThrownBy(
            () ->
                new ConsumerTransition(
                    "alice",
                    ConsumerState.BLOCKED,
                    ConsumerState.BLOCKED,
                    AT,
                    AT.plusSeconds(600),
                    FINDING,
                    false,
                    "x"))
        .hasMessage("a transition must change state but went from BLOCKED to BLOCKED");
  }

  @Test
  void snapshotsCopyTheirSignals() {
    java.util.Map<AnomalySignal, SignalReading> signals = new java.util.HashMap<>();
    signals.put(AnomalySignal.TOKEN_RATE, new SignalReading(10, 5, 1, 3));
    ConsumerSnapshot snapshot =
        new ConsumerSnapshot(
            "alice", ConsumerState.NORMAL, null, null, null, null, false, AT, signals);
    signals.clear();

    assertThat(snapshot.recent(AnomalySignal.TOKEN_RATE)).isEqualTo(10);
    assertThat(snapshot.recent(AnomalySignal.REQUEST_RATE)).isNaN();
    assertThatThrownBy(() -> snapshot.signals().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
