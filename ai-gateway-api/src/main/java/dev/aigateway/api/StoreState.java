package dev.aigateway.api;

/**
 * The health of the gateway's token store as its store breaker sees it, reported in {@link
 * StoreTransition}s. The transitions are:
 *
 * <ul>
 *   <li>{@code HEALTHY -> FAILING}: enough reservations in a row failed (threw, answered nothing or
 *       nonsense, or not within the store timeout);
 *   <li>{@code FAILING -> PROBING}: the cool-down has passed and one call was let through to the
 *       store as the probe;
 *   <li>{@code PROBING -> HEALTHY}: the probe's reservation succeeded;
 *   <li>{@code PROBING -> FAILING}: the probe failed; the next cool-down is longer.
 * </ul>
 */
public enum StoreState {
  /** Every call reserves in the store; failures in a row are counted. */
  HEALTHY,
  /**
   * The store is not called for reservations until the cool-down has passed; every call gets the
   * gateway's store-failure policy at once (admitted uncounted, refused, or limited locally).
   */
  FAILING,
  /**
   * The cool-down has passed: one call's reservation tests the store; the others get the failure
   * policy until it answers.
   */
  PROBING
}
