package dev.aigateway.micrometer;

import dev.aigateway.api.Attempt;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.LimitsInfo;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.RoutingInfo;
import dev.aigateway.api.TimingInfo;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageInfo;
import dev.aigateway.api.UsageSource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Canned events, as the gateway would emit them, and the groups tests vary them by. */
final class Events {

  private static final Instant STARTED = Instant.parse("2025-01-01T00:00:00Z");

  private Events() {}

  /**
   * A successful, non-streamed chat call sent directly to OpenAI, with reported usage 17 in / 5
   * out, 1041 tokens reserved and 22 settled.
   */
  static GatewayEvent.Builder chat() {
    return GatewayEvent.builder()
        .callId(1)
        .operation(Operation.CHAT_COMPLETIONS)
        .consumer("team-a")
        .requestedModel("gpt-4o")
        .responseModel("gpt-4o-2024-08-06")
        .routing(RoutingInfo.direct("openai", "api.openai.com", 443))
        .usage(usage(Usage.of(17, 5), UsageSource.REPORTED, UsageSource.REPORTED))
        .limits(limits(1041, 22, LimitOutcome.SETTLED))
        .status(200)
        .outcome(CallOutcome.SUCCESS)
        .timing(timing(Duration.ofMillis(300), null, Duration.ofNanos(40_000)));
  }

  /** A call a token limit rejected locally. */
  static GatewayEvent.Builder rejected(RejectionReason reason, String limit) {
    return GatewayEvent.builder()
        .callId(2)
        .operation(Operation.CHAT_COMPLETIONS)
        .consumer("team-a")
        .requestedModel("gpt-4o")
        .routing(RoutingInfo.direct("openai", null, 0))
        .status(reason.status())
        .outcome(CallOutcome.REJECTED)
        .rejection(reason)
        .errorType(reason.headerValue())
        .limits(new LimitsInfo(Map.of(), 0, 0, limit, LimitOutcome.REJECTED))
        .timing(timing(Duration.ofMillis(2), null, Duration.ofMillis(1)));
  }

  /** A call routed to {@code backendId} (an OpenAI backend) after {@code attempts}. */
  static RoutingInfo routed(String backendId, List<Attempt> attempts) {
    return new RoutingInfo(backendId, attempts, null, null, "openai", "api.openai.com", 443);
  }

  /** Limits that reserved and settled the given tokens with the given outcome. */
  static LimitsInfo limits(long reserved, long settled, LimitOutcome outcome) {
    return new LimitsInfo(Map.of(), reserved, settled, null, outcome);
  }

  /** Uncapped, unpriced usage. */
  static UsageInfo usage(Usage tokens, UsageSource input, UsageSource output) {
    return new UsageInfo(tokens, input, output, false, null);
  }

  /** The timing of a call started at the canned instant. */
  static TimingInfo timing(Duration latency, Duration timeToFirstChunk, Duration gatewayTime) {
    return new TimingInfo(STARTED, latency, timeToFirstChunk, gatewayTime);
  }
}
