package dev.aigateway.api;

/**
 * What anomaly detection does with a consumer's calls, in order of severity. A consumer starts
 * {@link #NORMAL}; it moves to another state when its usage is far from its learnt baseline (or an
 * operator blocks it), and back to {@link #NORMAL} when released. Every change reaches {@link
 * GatewayListener#onConsumerTransition}.
 */
public enum ConsumerState {
  /** Calls go on; the consumer's usage is learnt into its baseline. */
  NORMAL,
  /** Calls go on; the consumer is reported (an event, the inventory) but not slowed. */
  FLAGGED,
  /**
   * Calls go on within a lower rate (the consumer's baseline times a factor); calls beyond it get
   * 429 {@link RejectionReason#CONSUMER_THROTTLED} with {@code Retry-After}.
   */
  THROTTLED,
  /** Every call gets 403 {@link RejectionReason#CONSUMER_BLOCKED} until released. */
  BLOCKED;

  /** Whether this state is more severe than {@code other}. */
  public boolean moreSevereThan(ConsumerState other) {
    return ordinal() > other.ordinal();
  }
}
