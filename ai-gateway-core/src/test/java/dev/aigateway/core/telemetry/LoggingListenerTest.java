package dev.aigateway.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.RoutingInfo;
import dev.aigateway.api.Usage;
import dev.aigateway.testing.CapturingLogger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The call log's line: one line per call, whatever the call's names hold. */
class LoggingListenerTest {

  @Test
  void aModelOrConsumerWithLineBreaksStaysOnTheCallsOneLineEscaped() {
    // The requested model comes from the request body, the response model from the backend.
    GatewayEvent event =
        LedgerEvents.reported(
            "team-a\u0007",
            "gpt-4o\r\nai-gateway call=1 op=chat consumer=admin model=gpt-4o outcome=SUCCESS",
            Instant.parse("2025-01-15T10:00:00Z"),
            Usage.of(10, 5));

    String line = LoggingListener.format(event);

    assertThat(line).doesNotContain("\r", "\n", "\u0007");
    assertThat(line)
        .contains(
            "consumer=team-a\\u0007 model=gpt-4o\\r\\nai-gateway call=1 op=chat consumer=admin");
  }

  @Test
  void aMegabyteModelOrConsumerIsCutOnTheLineAndTheCutIsShown() {
    // A consumer header and a model name are the caller's: each may be a megabyte.
    String consumer = "c".repeat(1 << 20);
    String model = "m".repeat(1 << 20);
    GatewayEvent event =
        LedgerEvents.base(consumer, model, Instant.parse("2025-01-15T10:00:00Z"))
            .responseModel("r".repeat(1 << 20))
            .routing(
                new RoutingInfo(
                    "b".repeat(1 << 20),
                    List.of(),
                    "f".repeat(1 << 20),
                    "v".repeat(1 << 20),
                    null,
                    null,
                    0))
            .errorType("\u0007".repeat(1 << 20)) // each escaped as six characters
            .outcome(dev.aigateway.api.CallOutcome.BACKEND_ERROR)
            .status(500)
            .build();

    String line = LoggingListener.format(event);

    assertThat(line.length()).isLessThan(4_000);
    assertThat(line)
        .contains(" consumer=" + "c".repeat(200) + "…(+" + ((1 << 20) - 200) + " chars) model=")
        .contains(" model=" + "m".repeat(200) + "…(+" + ((1 << 20) - 200) + " chars)->")
        .contains(" backend=" + "b".repeat(200) + "…(+")
        .contains(" error=" + "\\u0007".repeat(33) + "…(+" + ((1 << 20) - 33) + " chars)");
  }

  @Test
  void otherLineBreaksAndTextDirectionControlsAreEscapedToo() {
    // NEL (U+0085) ends a line for many log readers; a right-to-left override shows the rest of
    // the line reversed, so a forged tail can read as something else.
    GatewayEvent event =
        LedgerEvents.reported(
            "team-a\u0085ai-gateway call=1",
            "gpt-4o\u202egpt-4o-mini\u2066x\u061c",
            Instant.parse("2025-01-15T10:00:00Z"),
            Usage.of(10, 5));

    String line = LoggingListener.format(event);

    assertThat(line).doesNotContain("\u0085", "\u202e", "\u2066", "\u061c");
    assertThat(line)
        .contains(
            "consumer=team-a\\u0085ai-gateway call=1 model=gpt-4o\\u202egpt-4o-mini\\u2066x\\u061c");
  }

  @Test
  void aBreakerTransitionFromAnotherInstanceIsLoggedOnOneLine() {
    // The origin is another instance's id, read from a shared health message.
    CapturingLogger logger = new CapturingLogger("calls");
    String origin = "gw-2\nai-gateway breaker backend=east CLOSED->OPEN" + "x".repeat(1 << 20);

    LoggingListener.to(logger)
        .onBreakerTransition(
            new BreakerTransition(
                "east\r",
                BreakerState.CLOSED,
                BreakerState.OPEN,
                Instant.parse("2025-01-15T10:00:00Z"),
                Duration.ofSeconds(30),
                "tripped at instance " + origin,
                origin));

    assertThat(logger.warnings()).hasSize(1);
    String line = logger.warnings().get(0);
    assertThat(line).doesNotContain("\n", "\r").hasSizeLessThan(2_000);
    assertThat(line)
        .startsWith(
            "ai-gateway breaker backend=east\\r CLOSED->OPEN for=30000ms reason=\"tripped at"
                + " instance gw-2\\nai-gateway breaker")
        .contains(" origin=gw-2\\nai-gateway breaker backend=east CLOSED->OPEN");
  }
}
