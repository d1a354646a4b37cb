package dev.aigateway.core.anomaly;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.ConsumerState;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Usage;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.CallStage;
import dev.aigateway.core.pipeline.Exchange;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.pipeline.Rejections;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The anomaly stage: before the call, checks its consumer's state (a normal consumer costs one map
 * lookup); a blocked consumer gets 403, a throttled one 429 beyond its lowered rate. When the call
 * ends, its usage and outcome feed the consumer's profile, which may change its state. A call that
 * a stage before it refused (the allowance check, access control) never reaches it: the stage's
 * {@linkplain #witness witness}, right inside telemetry, feeds such a call into the profile as a
 * rejected one, so a consumer flooding the gateway with calls it refuses is seen.
 */
public final class AnomalyStage implements CallStage {

  private final Exchange exchange;
  private final Anomalies anomalies;
  private @Nullable Restriction restriction;
  private boolean refused;

  /** Whether this stage's admission ran: its own end then records the call. */
  private boolean reached;

  /** The throttle this call took a request of, or null: given back if a later stage refuses it. */
  private @Nullable Throttle took;

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

  /**
   * The witness of the anomaly stage of a gateway with anomaly detection, or null when it has none:
   * placed before every stage that may refuse a call ahead of the anomaly stage, its end records
   * each call the anomaly stage never saw (as a rejected one, or a failed one when a stage failed),
   * on the consumer the call had when it ended. It only ends.
   */
  public static CallStage.@Nullable Factory witness(@Nullable Anomalies anomalies) {
    if (anomalies == null) {
      return null;
    }
    return new CallStage.Factory() {
      @Override
      public CallStage begin(Exchange exchange) {
        return new Witness(exchange, anomalies);
      }

      @Override
      public int phases() {
        return END;
      }
    };
  }

  /** Records a call the anomaly stage did not see. */
  private static final class Witness implements CallStage {
    private final Exchange exchange;
    private final Anomalies anomalies;

    Witness(Exchange exchange, Anomalies anomalies) {
      this.exchange = exchange;
      this.anomalies = anomalies;
    }

    @Override
    public void end() {
      for (CallStage stage : exchange.stages()) {
        if (stage instanceof AnomalyStage anomaly && anomaly.reached) {
          return; // its own end recorded the call
        }
      }
      record(exchange, anomalies, false);
    }
  }

  @Override
  public @Nullable Admission admit() {
    reached = true;
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
        took = r.throttle();
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
    if (took != null && exchange.outcome() == CallOutcome.REJECTED) {
      took.refund(); // refused after this stage (content safety, routing, limits): nothing used
    }
    record(exchange, anomalies, refused);
  }

  private static void record(Exchange exchange, Anomalies anomalies, boolean refused) {
    CallOutcome outcome = exchange.outcome();
    Usage usage = exchange.usage();
    anomalies.record(
        exchange.consumer(),
        exchange.requestedModel(), // a direct Azure call's deployment, as its event names it
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
