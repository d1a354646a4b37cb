package dev.aigateway.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the limits did for one governed call: the limit stage's part of its {@link GatewayEvent}
 * ({@link GatewayEvent#limits()}). {@link #NONE} when no limit applied to the call, the gateway has
 * none, or the call ended before limits were checked.
 *
 * @param counterKeys each applied limit's name and the counter key it counted under, in
 *     configuration order; empty when no limit applied
 * @param reservedTokens tokens reserved before the call (the estimate; per limit, the largest
 *     reservation), in the store or, for {@link LimitOutcome#FALLBACK_SETTLED}, in the local
 *     fallback; 0 when nothing was reserved ({@link LimitOutcome#NONE}, {@link
 *     LimitOutcome#REJECTED}, {@link LimitOutcome#STORE_FAILED}, {@link
 *     LimitOutcome#FALLBACK_REJECTED})
 * @param settledTokens tokens finally charged to the counters after the call (the local fallback's
 *     for {@link LimitOutcome#FALLBACK_SETTLED}); 0 for a refunded call and whenever nothing was
 *     charged ({@link LimitOutcome#NONE}, {@link LimitOutcome#REJECTED}, {@link
 *     LimitOutcome#STORE_FAILED}, {@link LimitOutcome#FALLBACK_REJECTED})
 * @param rejectedLimit the name of the limit that rejected the call, or null when none did
 * @param outcome what the limits and their store did: charged the call, rejected it, failed ({@link
 *     LimitOutcome#STORE_FAILED}: nothing charged), or left it to the local fallback ({@link
 *     LimitOutcome#FALLBACK_SETTLED}, {@link LimitOutcome#FALLBACK_REJECTED})
 * @param reservedRequests requests reserved before the call under the limits that count requests (a
 *     rate or quota of requests): 1 when any did, else 0; 0 when nothing was reserved, as for
 *     {@code reservedTokens}
 * @param settledRequests requests finally charged after the call: 1 when a request was reserved and
 *     a backend answered the call (any status, on any of its attempts: a 503 it failed over from
 *     counts), 0 when it was refunded (no backend answered: a cache hit, a failure on every
 *     attempt, a rejection later in the pipeline) or nothing was charged
 * @param inFlightSlots how many in-flight caps the call held a slot of while it ran (all freed when
 *     it ended); 0 when none applied or nothing was reserved
 */
public record LimitsInfo(
    Map<String, String> counterKeys,
    long reservedTokens,
    long settledTokens,
    @Nullable String rejectedLimit,
    LimitOutcome outcome,
    long reservedRequests,
    long settledRequests,
    int inFlightSlots) {

  /** No limit applied to the call: nothing reserved, charged or rejected. */
  public static final LimitsInfo NONE = new LimitsInfo(Map.of(), 0, 0, null, LimitOutcome.NONE);

  /** The class of {@link Collections#singletonMap}: immutable, one entry, no order to keep. */
  private static final Class<?> SINGLETON_MAP = Collections.singletonMap("", "").getClass();

  /** The class of {@link Collections#emptyMap}. */
  private static final Class<?> EMPTY_MAP = Collections.emptyMap().getClass();

  /**
   * Checks the group.
   *
   * @throws IllegalArgumentException for a negative count
   */
  public LimitsInfo {
    counterKeys = unmodifiable(Objects.requireNonNull(counterKeys, "counterKeys"));
    Objects.requireNonNull(outcome, "outcome");
    if (reservedRequests < 0 || settledRequests < 0 || inFlightSlots < 0) {
      throw new IllegalArgumentException(
          "request counts must be >= 0 but were reservedRequests="
              + reservedRequests
              + ", settledRequests="
              + settledRequests
              + ", inFlightSlots="
              + inFlightSlots);
    }
  }

  /**
   * The group of a call whose limits counted tokens only: no request reserved or charged, no
   * in-flight slot held.
   */
  public LimitsInfo(
      Map<String, String> counterKeys,
      long reservedTokens,
      long settledTokens,
      @Nullable String rejectedLimit,
      LimitOutcome outcome) {
    this(counterKeys, reservedTokens, settledTokens, rejectedLimit, outcome, 0, 0, 0);
  }

  /**
   * The counter keys as an unmodifiable map of their own, in the given order: a copy, unless they
   * are already a map that cannot change and has at most one entry (a call under one limit), which
   * is kept as it is.
   */
  private static Map<String, String> unmodifiable(Map<String, String> keys) {
    Class<?> type = keys.getClass();
    if (type == SINGLETON_MAP || type == EMPTY_MAP) {
      return keys;
    }
    return Collections.unmodifiableMap(new LinkedHashMap<>(keys));
  }
}
