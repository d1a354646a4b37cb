package dev.aigateway.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Usage;
import java.time.Instant;
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
}
