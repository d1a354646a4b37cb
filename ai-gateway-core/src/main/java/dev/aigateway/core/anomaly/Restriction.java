package dev.aigateway.core.anomaly;

import dev.aigateway.api.AnomalyFinding;
import dev.aigateway.api.AnomalyInfo;
import dev.aigateway.api.ConsumerState;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A consumer's state other than normal, as the anomaly stage finds it in one map lookup. Immutable
 * but for its {@link Throttle}; a change of state or of {@code until} replaces it.
 *
 * @param info what a call's event says (made once, not per call)
 * @param untilMillis {@code until} on the gateway's clock, in epoch milliseconds
 * @param finding why, for an automatic restriction
 * @param reason why, for people
 * @param manual whether an operator made it
 * @param throttle the allowance of a throttled consumer, else null
 */
record Restriction(
    ConsumerState state,
    Instant since,
    Instant until,
    long untilMillis,
    @Nullable AnomalyFinding finding,
    String reason,
    boolean manual,
    @Nullable Throttle throttle,
    AnomalyInfo info) {

  static Restriction of(
      ConsumerState state,
      long since,
      long until,
      @Nullable AnomalyFinding finding,
      String reason,
      boolean manual,
      @Nullable Throttle throttle) {
    Instant from = Instant.ofEpochMilli(since);
    Instant to = Instant.ofEpochMilli(until);
    return new Restriction(
        state,
        from,
        to,
        until,
        finding,
        reason,
        manual,
        throttle,
        new AnomalyInfo(state, finding == null ? null : finding.signal(), from, to));
  }

  /** The same restriction, due later. */
  Restriction extendedTo(long until) {
    return of(state, since.toEpochMilli(), until, finding, reason, manual, throttle);
  }
}
