package dev.aigateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class GatewayEventTest {

  private static GatewayEvent.Builder event() {
    return GatewayEvent.builder()
        .callId(1)
        .startedAt(Instant.parse("2026-06-01T10:00:00Z"))
        .operation(Operation.CHAT_COMPLETIONS)
        .consumer("anonymous")
        .outcome(CallOutcome.SUCCESS);
  }

  @Test
  void aCallNoLimitAppliedToHasNoLimitOutcome() {
    assertThat(event().build().limitOutcome()).isEqualTo(LimitOutcome.NONE);
  }

  @Test
  void aFailedStoreIsNamedInTheEventsText() {
    assertThat(event().limitOutcome(LimitOutcome.STORE_FAILED).build().toString())
        .contains("limit=STORE_FAILED");
    assertThat(event().limitOutcome(LimitOutcome.SETTLED).build().toString())
        .doesNotContain("limit=");
  }
}
