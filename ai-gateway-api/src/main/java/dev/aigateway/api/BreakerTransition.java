package dev.aigateway.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One state change of a backend's circuit breaker, delivered to {@link
 * GatewayListener#onBreakerTransition}.
 *
 * <pre>{@code
 * public void onBreakerTransition(BreakerTransition t) {
 *   if (t.to() == BreakerState.OPEN) {
 *     log.warn("backend {} out for {}: {}", t.backendId(), t.openFor(), t.reason());
 *   }
 * }
 * }</pre>
 *
 * <p>{@link #toString()} writes the backend id, the reason and the origin through {@link LogText}:
 * a transition another instance caused carries its id, which was read from a shared channel.
 *
 * @param backendId the backend whose breaker changed
 * @param from the state before
 * @param to the state after; never equal to {@code from}
 * @param at when the change happened, per the gateway's clock
 * @param openFor how long the breaker stays open when {@code to} is {@link BreakerState#OPEN},
 *     otherwise null
 * @param reason why, for people: for example {@code "5 failures in PT10S"}, {@code "probe failed;
 *     retry-after from backend"}, {@code "probe succeeded"}
 * @param origin null when this gateway's own calls caused the change; else the id of the gateway
 *     instance whose shared health signal did (see {@code BackendPool.Builder.sharedHealth})
 */
public record BreakerTransition(
    String backendId,
    BreakerState from,
    BreakerState to,
    Instant at,
    @Nullable Duration openFor,
    String reason,
    @Nullable String origin) {

  /** A transition this gateway's own calls caused ({@code origin} null). */
  public BreakerTransition(
      String backendId,
      BreakerState from,
      BreakerState to,
      Instant at,
      @Nullable Duration openFor,
      String reason) {
    this(backendId, from, to, at, openFor, reason, null);
  }

  /** Validates the transition; {@code openFor} is required exactly when opening. */
  public BreakerTransition {
    Objects.requireNonNull(backendId, "backendId");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(reason, "reason");
    Transitions.requireChange(from, to);
    Transitions.requireDurationWhen("openFor", openFor, to == BreakerState.OPEN, "opening", to);
  }

  /** Whether another gateway instance's signal caused the change ({@code origin} is set). */
  public boolean remote() {
    return origin != null;
  }

  /**
   * The transition as the record's own form would show it, with its backend id, reason and origin
   * escaped and cut by {@link LogText}, so a logged transition stays one line of bounded length.
   */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(160).append("BreakerTransition[backendId=");
    LogText.append(s, backendId)
        .append(", from=")
        .append(from)
        .append(", to=")
        .append(to)
        .append(", at=")
        .append(at)
        .append(", openFor=")
        .append(openFor)
        .append(", reason=");
    LogText.append(s, reason).append(", origin=");
    return LogText.append(s, origin).append(']').toString();
  }
}
