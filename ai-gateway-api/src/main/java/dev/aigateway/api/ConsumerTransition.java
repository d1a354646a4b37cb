package dev.aigateway.api;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One state change of a consumer under anomaly detection, delivered to {@link
 * GatewayListener#onConsumerTransition}: flagged, throttled or blocked (automatically or by an
 * operator), escalated, released, or an operator's block put in place of a block in force (from
 * {@link ConsumerState#BLOCKED} to {@link ConsumerState#BLOCKED}, {@code manual}, with the new
 * {@code until} and reason).
 *
 * <pre>{@code
 * public void onConsumerTransition(ConsumerTransition t) {
 *   if (t.to() == ConsumerState.BLOCKED) {
 *     alerts.raise(t.consumer() + " blocked until " + t.until() + ": " + t.reason());
 *   }
 * }
 * }</pre>
 *
 * @param consumer the consumer's id
 * @param from the state before
 * @param to the state after; equal to {@code from} only for an operator's block that replaces a
 *     block in force ({@code manual}, both {@link ConsumerState#BLOCKED})
 * @param at when the change happened, per the gateway's clock
 * @param until when the consumer is due for release when {@code to} is not {@link
 *     ConsumerState#NORMAL}, otherwise null
 * @param finding the measurement behind an automatic change out of {@link ConsumerState#NORMAL} or
 *     an escalation; null for a release and a manual block
 * @param manual whether an operator made the change ({@code block} or {@code release})
 * @param reason why, for people: the finding described, the operator's reason, {@code "signals back
 *     below the release level"} or {@code "released by the operator"}
 */
public record ConsumerTransition(
    String consumer,
    ConsumerState from,
    ConsumerState to,
    Instant at,
    @Nullable Instant until,
    @Nullable AnomalyFinding finding,
    boolean manual,
    String reason) {

  /**
   * Validates the transition: it changes state (but for an operator's block replacing a block);
   * {@code until} is required exactly when the consumer is restricted after it.
   */
  public ConsumerTransition {
    Objects.requireNonNull(consumer, "consumer");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(reason, "reason");
    if (!(manual && from == ConsumerState.BLOCKED && to == ConsumerState.BLOCKED)) {
      Transitions.requireChange(from, to); // an operator may replace a block with one of theirs
    }
    Transitions.requireWhen(
        "until", until, to != ConsumerState.NORMAL, "the consumer is restricted", to);
    if (until != null && until.isBefore(at)) {
      throw new IllegalArgumentException(
          "until must not be before at (" + at + ") but was " + until);
    }
  }
}
