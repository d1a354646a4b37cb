package dev.aigateway.core.anomaly;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.ConsumerState;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Usage;
import dev.aigateway.core.adapter.Admission;
import dev.aigateway.core.adapter.Rejection;
import dev.aigateway.core.pipeline.CallStage;
import dev.aigateway.core.pipeline.Exchange;
import dev.aigateway.core.pipeline.Rejections;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The anomaly stage: before the call, checks its consumer's state (a normal consumer costs one map
 * lookup); a blocked consumer gets 403, a throttled one 429 beyond its lowered rate. When the call
 * ends, its usage and outcome feed the consumer's profile, which may change its state.
 */
public final class AnomalyStage implements CallStage {

  private final Exchange exchange;
  private final Anomalies anomalies;
  private @Nullable Restriction restriction;
  private boolean refused;

  private AnomalyStage(Exchange exchange, Anomalies anomalies) {
    this.exchange = exchange;
    this.anomalies = anomalies;
  }

  /** The stage for a gateway's anomaly detection, or null when it has none. */
  public static CallStage.@Nullable Factory of(@Nullable Anomalies anomalies) {
    if (anomalies == null) {
      return null;
    }
    return new CallStage.Factory() {
      @Override
      public CallStage begin(Exchange exchange) {
        return new AnomalyStage(exchange, anomalies);
      }

      /** Every phase; its end records the call's usage. */
      @Override
      public int phases() {
        return ALL_PHASES | USAGE;
      }
    };
  }

  @Override
  public @Nullable Admission admit() {
    Restriction r = anomalies.restriction(exchange.consumer());
    if (r == null) {
      return null; // the fast path: a normal consumer
    }
    return admitRestricted(r);
  }

  private @Nullable Admission admitRestricted(Restriction found) {
    long now = anomalies.now();
    Restriction r = anomalies.review(exchange.consumer(), found, now);
    restriction = r;
    if (r == null || r.state() == ConsumerState.FLAGGED) {
      return null;
    }
    Rejection rejection;
    if (r.state() == ConsumerState.BLOCKED) {
      rejection =
          Rejections.consumerBlocked(
              exchange.request().format(),
              exchange.consumer(),
              r.until(),
              Duration.ofMillis(Math.max(0, r.untilMillis() - now)),
              r.manual() ? null : r.reason());
    } else {
      long wait = r.throttle().tryAcquire(now);
      if (wait == 0) {
        return null;
      }
      // A debt can take longer to repay than the throttle lasts: it is reviewed at its end.
      wait = Math.min(wait, Math.max(1, r.untilMillis() - now));
      rejection =
          Rejections.consumerThrottled(
              exchange.request().format(),
              exchange.consumer(),
              r.throttle().requestsPerMinute(),
              Duration.ofMillis(wait),
              r.reason());
    }
    refused = true;
    return exchange.rejected(rejection);
  }

  @Override
  public void end() {
    CallOutcome outcome = exchange.outcome();
    Usage usage = exchange.usage();
    anomalies.record(
        exchange.consumer(),
        exchange.request().model(),
        refused,
        outcome == CallOutcome.BACKEND_ERROR
            || outcome == CallOutcome.FAILED
            || outcome == CallOutcome.TRUNCATED,
        outcome == CallOutcome.REJECTED,
        usage.totalTokens(),
        usage.inputTokens());
  }

  @Override
  public void describe(GatewayEvent.Builder event) {
    if (restriction != null) {
      event.anomaly(restriction.info());
    }
  }
}
