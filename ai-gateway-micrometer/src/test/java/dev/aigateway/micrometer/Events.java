package dev.aigateway.micrometer;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import java.time.Duration;
import java.time.Instant;

/** Canned events, as the gateway would emit them. */
final class Events {

  private Events() {}

  /** A successful, non-streamed chat call with reported usage 17 in / 5 out. */
  static GatewayEvent.Builder chat() {
    return GatewayEvent.builder()
        .callId(1)
        .startedAt(Instant.parse("2025-01-01T00:00:00Z"))
        .operation(Operation.CHAT_COMPLETIONS)
        .consumer("team-a")
        .requestedModel("gpt-4o")
        .responseModel("gpt-4o-2024-08-06")
        .provider("openai")
        .server("api.openai.com", 443)
        .usage(Usage.of(17, 5), UsageSource.REPORTED, UsageSource.REPORTED)
        .reservedTokens(1041)
        .settledTokens(22)
        .status(200)
        .outcome(CallOutcome.SUCCESS)
        .latency(Duration.ofMillis(300))
        .gatewayTime(Duration.ofNanos(40_000));
  }

  /** A call a token limit rejected locally. */
  static GatewayEvent.Builder rejected(RejectionReason reason, String limit) {
    return GatewayEvent.builder()
        .callId(2)
        .startedAt(Instant.parse("2025-01-01T00:00:00Z"))
        .operation(Operation.CHAT_COMPLETIONS)
        .consumer("team-a")
        .requestedModel("gpt-4o")
        .provider("openai")
        .status(reason.status())
        .outcome(CallOutcome.REJECTED)
        .rejection(reason)
        .errorType(reason.headerValue())
        .rejectedLimit(limit)
        .latency(Duration.ofMillis(2))
        .gatewayTime(Duration.ofMillis(1));
  }
}
