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
   * gateway's store timeout), or was not asked because its breaker is open: nothing was charged;
   * {@link LimitsInfo#reservedTokens()} and {@link LimitsInfo#settledTokens()} are 0, and no
   * remaining-tokens header was sent. Under the default policy (fail open) the call went on without
   * a reservation; under fail closed it was rejected, and the event's {@link
   * GatewayEvent#rejection()} is {@link RejectionReason#TOKEN_STORE_UNAVAILABLE}.
   */
  STORE_FAILED,
  /**
   * Tokens were reserved, but the store failed when settling (it threw, or did not answer within
   * the store timeout, or every store thread was taken, so the settlement may still land later):
   * the counters may keep the reservation ({@link LimitsInfo#reservedTokens()}) instead of {@link
   * LimitsInfo#settledTokens()}.
   */
  SETTLE_FAILED,
  /**
   * The store failed (or its breaker is open), and the gateway's local fallback store reserved the
   * call on its share of the limits and settled it after the call: the fallback's counters were
   * charged {@link LimitsInfo#settledTokens()}; the store itself was charged nothing.
   */
  FALLBACK_SETTLED,
  /**
   * The store failed (or its breaker is open), and the gateway's local fallback store rejected the
   * call: its share of a limit had too few tokens left ({@link LimitsInfo#rejectedLimit()} names
   * the limit). Nothing was taken from any counter.
   */
  FALLBACK_REJECTED
}
