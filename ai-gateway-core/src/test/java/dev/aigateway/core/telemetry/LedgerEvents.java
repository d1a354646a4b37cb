package dev.aigateway.core.telemetry;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.TimingInfo;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageInfo;
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
        .usage(new UsageInfo(usage, UsageSource.REPORTED, UsageSource.REPORTED, false, null))
        .outcome(CallOutcome.SUCCESS)
        .status(200)
        .build();
  }

  /**
   * A successful call whose usage the backend reported, answered by {@code responseModel} (a
   * snapshot of the requested {@code model}, say).
   */
  static GatewayEvent reportedAs(
      String consumer, String model, String responseModel, Instant at, Usage usage) {
    return base(consumer, model, at)
        .responseModel(responseModel)
        .usage(new UsageInfo(usage, UsageSource.REPORTED, UsageSource.REPORTED, false, null))
        .outcome(CallOutcome.SUCCESS)
        .status(200)
        .build();
  }

  /** A truncated call whose usage the gateway had to count itself. */
  static GatewayEvent estimated(String consumer, String model, Instant at, Usage usage) {
    return base(consumer, model, at)
        .usage(new UsageInfo(usage, UsageSource.ESTIMATED, UsageSource.ESTIMATED, false, null))
        .outcome(CallOutcome.TRUNCATED)
        .status(200)
        .build();
  }

  /** A call a quota rejected: no backend, no usage. */
  static GatewayEvent rejected(String consumer, String model, Instant at) {
    return base(consumer, model, at)
        .usage(new UsageInfo(Usage.ZERO, UsageSource.NONE, UsageSource.NONE, false, null))
        .outcome(CallOutcome.REJECTED)
        .rejection(RejectionReason.TOKEN_QUOTA)
        .status(403)
        .build();
  }

  static GatewayEvent.Builder base(String consumer, String model, Instant at) {
    return GatewayEvent.builder()
        .callId(IDS.incrementAndGet())
        .timing(new TimingInfo(at, Duration.ofMillis(42), null, Duration.ZERO))
        .operation(Operation.CHAT_COMPLETIONS)
        .consumer(consumer)
        .requestedModel(model);
  }
}
