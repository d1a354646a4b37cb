package dev.aigateway.core.telemetry;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** Events as the gateway emits them, for ledger tests. */
final class LedgerEvents {

  private static final AtomicLong IDS = new AtomicLong();

  private LedgerEvents() {}

  /** A successful call whose usage the backend reported. */
  static GatewayEvent reported(String consumer, String model, Instant at, Usage usage) {
    return base(consumer, model, at)
        .usage(usage, UsageSource.REPORTED, UsageSource.REPORTED)
        .outcome(CallOutcome.SUCCESS)
        .status(200)
        .build();
  }

  /** A truncated call whose usage the gateway had to count itself. */
  static GatewayEvent estimated(String consumer, String model, Instant at, Usage usage) {
    return base(consumer, model, at)
        .usage(usage, UsageSource.ESTIMATED, UsageSource.ESTIMATED)
        .outcome(CallOutcome.TRUNCATED)
        .status(200)
        .build();
  }

  /** A call a quota rejected: no backend, no usage. */
  static GatewayEvent rejected(String consumer, String model, Instant at) {
    return base(consumer, model, at)
        .usage(Usage.ZERO, UsageSource.NONE, UsageSource.NONE)
        .outcome(CallOutcome.REJECTED)
        .rejection(RejectionReason.TOKEN_QUOTA)
        .status(403)
        .build();
  }

  static GatewayEvent.Builder base(String consumer, String model, Instant at) {
    return GatewayEvent.builder()
        .callId(IDS.incrementAndGet())
        .startedAt(at)
        .operation(Operation.CHAT_COMPLETIONS)
        .consumer(consumer)
        .requestedModel(model)
        .latency(Duration.ofMillis(42));
  }
}
