package dev.aigateway.api;

/**
 * The state of one backend's circuit breaker, as {@link BreakerTransition}s report it.
 *
 * <pre>
 *   CLOSED ──(failure condition met)──▶ OPEN ──(open time elapsed, next call)──▶ HALF_OPEN
 *     ▲                                  ▲                                          │
 *     └──────────(probe succeeded)───────┼──────────────────────────────────────────┤
 *                                        └─────────────(probe failed)───────────────┘
 * </pre>
 */
public enum BreakerState {
  /** Calls flow; failures are counted in a sliding window. */
  CLOSED,
  /** The backend takes no calls until the open time has elapsed. */
  OPEN,
  /** The open time has elapsed: one call (the probe) is let through to decide. */
  HALF_OPEN
}
