package dev.aigateway.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.ConsumerTransition;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.Operation;
import dev.aigateway.api.TimingInfo;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageInfo;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.anomaly.AnomalyDetection;
import dev.aigateway.core.telemetry.UsageLedger;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A consumer id is chosen by the caller (a header, a key resolver): the gateway's own WARN lines
 * that name one write it as the call log does, escaped and cut, so it can neither forge a line nor
 * make one a megabyte long. Read from what slf4j-simple writes to standard error.
 */
class LoggedConsumerNamesTest {

  /** A consumer id that would start a line of its own, and turn the rest of its line round. */
  private static final String FORGING =
      "team-a\nai-gateway: listener ok\u202e" + "x".repeat(100_000);

  @Test
  void aListenerFailingOnAConsumerTransitionIsLoggedWithTheConsumerEscapedAndCut() {
    AiGateway gateway =
        AiGateway.builder()
            .anomalyDetection(AnomalyDetection.builder())
            .listener(
                new GatewayListener() {
                  @Override
                  public void onEvent(GatewayEvent event) {}

                  @Override
                  public void onConsumerTransition(ConsumerTransition transition) {
                    throw new IllegalStateException("listener down");
                  }
                })
            .build();

    String logged =
        stderrOf(() -> gateway.anomalies().block(FORGING, "operator", Duration.ofMinutes(5)));

    assertWrittenAsALogLine(logged, "failed on a transition of consumer");
  }

  @Test
  void theUsageLedgersWarningOfTooManyModelsShowsTheConsumerEscapedAndCut() {
    UsageLedger ledger = UsageLedger.builder().maxModelsPerConsumer(1).build();
    Instant at = Instant.parse("2026-12-01T10:00:00Z");

    String logged =
        stderrOf(
            () -> {
              ledger.onEvent(event(1, at, "gpt-4o"));
              ledger.onEvent(event(2, at, "o3-mini"));
            });

    assertWrittenAsALogLine(logged, "used more than 1 models");
  }

  private static void assertWrittenAsALogLine(String logged, String what) {
    String line =
        logged.lines().filter(l -> l.contains(what)).findFirst().orElseThrow(AssertionError::new);
    assertThat(line).contains("team-a\\nai-gateway: listener ok\\u202e").contains("chars)");
    assertThat(line.length()).isLessThan(1_000);
    assertThat(logged).doesNotContain("\u202e").doesNotContain("\nai-gateway: listener ok");
  }

  private static GatewayEvent event(long id, Instant at, String model) {
    return GatewayEvent.builder()
        .callId(id)
        .timing(new TimingInfo(at, Duration.ofMillis(5), null, Duration.ZERO))
        .operation(Operation.CHAT_COMPLETIONS)
        .consumer(FORGING)
        .requestedModel(model)
        .usage(
            new UsageInfo(Usage.of(3, 1), UsageSource.REPORTED, UsageSource.REPORTED, false, null))
        .outcome(CallOutcome.SUCCESS)
        .status(200)
        .build();
  }

  private static String stderrOf(Runnable action) {
    PrintStream err = System.err;
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    System.setErr(new PrintStream(written, true, StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.setErr(err);
    }
    return written.toString(StandardCharsets.UTF_8);
  }
}
