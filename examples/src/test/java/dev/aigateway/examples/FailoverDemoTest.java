package dev.aigateway.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.examples.FailoverDemo.Call;
import dev.aigateway.examples.FailoverDemo.Phase;
import dev.aigateway.examples.FailoverDemo.Summary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs the demo once (about six seconds: it waits out the primary's Retry-After for real). */
class FailoverDemoTest {

  private static Summary summary;
  private static String output;

  @BeforeAll
  static void runDemo() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    summary = FailoverDemo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    output = bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theApplicationSeesNoFailedCall() {
    assertThat(summary.failedCalls()).isZero();
    assertThat(summary.calls()).allMatch(Call::ok);
    assertThat(summary.calls()).anyMatch(Call::stream).anyMatch(c -> !c.stream());
    assertThat(output).contains("failed calls seen by the app   0");
  }

  @Test
  void thePrimaryTakesTheTrafficBeforeItThrottles() {
    assertThat(summary.callsIn(Phase.STEADY))
        .isNotEmpty()
        .allMatch(c -> c.backendId().equals(FailoverDemo.PRIMARY));
  }

  @Test
  void trafficMovesToTheSecondaryWhileThePrimaryThrottles() {
    List<Call> throttled = summary.callsIn(Phase.THROTTLED);
    assertThat(throttled).isNotEmpty().allMatch(c -> c.backendId().equals(FailoverDemo.SECONDARY));
    // Each 429 failed over within its call; the other calls went to the secondary directly.
    assertThat(throttled.stream().filter(c -> c.failoverReason() != null))
        .hasSize(FailoverDemo.THROTTLED_ANSWERS)
        .allMatch(c -> c.failoverReason().equals("429 from " + FailoverDemo.PRIMARY))
        .allMatch(c -> c.attempts().size() == 2);
    assertThat(summary.failovers()).isEqualTo(FailoverDemo.THROTTLED_ANSWERS);
  }

  @Test
  void thePrimarysBreakerOpensThenClosesAfterAProbe() {
    assertThat(summary.transitions()).allMatch(t -> t.backendId().equals(FailoverDemo.PRIMARY));
    BreakerTransition first = summary.transitions().get(0);
    assertThat(first.to()).isEqualTo(BreakerState.OPEN);
    assertThat(first.openFor()).isPositive();
    // Three failures trip it; the fourth 429 answers the first probe; the second probe closes it.
    assertThat(summary.breakerStates())
        .containsExactly(
            BreakerState.OPEN,
            BreakerState.HALF_OPEN,
            BreakerState.OPEN,
            BreakerState.HALF_OPEN,
            BreakerState.CLOSED);
  }

  @Test
  void trafficReturnsToThePrimaryOnceItsBreakerCloses() {
    assertThat(summary.callsIn(Phase.RECOVERED))
        .isNotEmpty()
        .allMatch(c -> c.backendId().equals(FailoverDemo.PRIMARY))
        .allMatch(c -> c.failoverReason() == null);
  }

  @Test
  void theTimelineShowsFailoversAndTransitions() {
    assertThat(output)
        .contains("429 from ptu-primary -> failed over to paygo-secondary")
        .contains("breaker ptu-primary CLOSED -> OPEN for 1000 ms")
        .contains("breaker ptu-primary HALF_OPEN -> CLOSED (probe succeeded)");
  }
}
