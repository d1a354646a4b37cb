package dev.aigateway.core.anomaly;

import dev.aigateway.api.ConsumerState;

/** What anomaly detection does with a consumer found far from its baseline on a signal. */
public enum AnomalyAction {
  /** Reports it (a transition to {@link ConsumerState#FLAGGED}, the inventory); calls go on. */
  FLAG(ConsumerState.FLAGGED),
  /**
   * Lowers its rate to its baseline times the throttle factor, for the action's duration; calls
   * beyond it get 429 ({@link ConsumerState#THROTTLED}).
   */
  THROTTLE(ConsumerState.THROTTLED),
  /** Refuses all its calls with 403 for the action's duration ({@link ConsumerState#BLOCKED}). */
  BLOCK(ConsumerState.BLOCKED);

  private final ConsumerState state;

  AnomalyAction(ConsumerState state) {
    this.state = state;
  }

  /** The state a consumer is put in by this action. */
  public ConsumerState state() {
    return state;
  }
}
