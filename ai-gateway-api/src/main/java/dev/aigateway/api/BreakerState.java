package dev.aigateway.api;

/**
 * The state of one backend's circuit breaker, as {@link BreakerTransition}s report it. The
 * transitions are:
 *
 * <ul>
 *   <li>{@code CLOSED -> OPEN}: the failure condition was met within the window;
 *   <li>{@code OPEN -> HALF_OPEN}: the trip has passed and a call was admitted as the probe;
 *   <li>{@code HALF_OPEN -> CLOSED}: the probe succeeded;
 *   <li>{@code HALF_OPEN -> OPEN}: the probe failed.
 * </ul>
 */
public enum BreakerState {
  /** Calls flow; their failures are counted in a sliding window. */
  CLOSED,
  /** The backend takes no calls until the trip has passed. */
  OPEN,
  /** The trip has passed: one call (the probe) is let through, and its outcome decides. */
  HALF_OPEN
}
