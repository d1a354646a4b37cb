package dev.aigateway.api;

/**
 * What the token limits and their store did for a governed call, as its {@link GatewayEvent}'s
 * {@link LimitsInfo#outcome()} reports: whether the call was charged, and whether the store failed
 * it.
 */
public enum LimitOutcome {
  /**
   * No limit applied to the call, or it ended before limits were checked (a model no backend
   * serves, no backend available). Nothing was reserved or charged.
   */
  NONE,
  /**
   * Tokens were reserved before the call and settled after it: the counters were charged {@link
   * LimitsInfo#settledTokens()} (0 for a refunded call).
   */
  SETTLED,
  /** A limit rejected the call; nothing was taken from any counter. */
  REJECTED,
  /**
   * The store failed when reserving (it threw, answered nothing, or did not answer within the
   * gateway's store timeout): the call went on without a reservation (fail open) and nothing was
   * charged; {@link LimitsInfo#reservedTokens()} and {@link LimitsInfo#settledTokens()} are 0, and
   * no remaining-tokens header was sent.
   */
  STORE_FAILED,
  /**
   * Tokens were reserved, but the store failed when settling (it threw, or did not answer within
   * the store timeout, so the settlement may still land later): the counters may keep the
   * reservation ({@link LimitsInfo#reservedTokens()}) instead of {@link
   * LimitsInfo#settledTokens()}.
   */
  SETTLE_FAILED
}
