package dev.aigateway.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the token limits did for one governed call: the token-limit stage's part of its {@link
 * GatewayEvent} ({@link GatewayEvent#limits()}). {@link #NONE} when no limit applied to the call,
 * the gateway has none, or the call ended before limits were checked.
 *
 * @param counterKeys each applied limit's name and the counter key it counted under, in
 *     configuration order; empty when no limit applied
 * @param reservedTokens tokens reserved before the call (the estimate; per limit, the largest
 *     reservation); 0 when nothing was reserved ({@link LimitOutcome#NONE}, {@link
 *     LimitOutcome#REJECTED}, {@link LimitOutcome#STORE_FAILED})
 * @param settledTokens tokens finally charged to the counters after the call; 0 for a refunded call
 *     and whenever nothing was charged ({@link LimitOutcome#NONE}, {@link LimitOutcome#REJECTED},
 *     {@link LimitOutcome#STORE_FAILED})
 * @param rejectedLimit the name of the limit that rejected the call, or null when none did
 * @param outcome what the limits and their store did: charged the call, rejected it, or failed
 *     ({@link LimitOutcome#STORE_FAILED}: admitted without limits, nothing charged)
 */
public record LimitsInfo(
    Map<String, String> counterKeys,
    long reservedTokens,
    long settledTokens,
    @Nullable String rejectedLimit,
    LimitOutcome outcome) {

  /** No limit applied to the call: nothing reserved, charged or rejected. */
  public static final LimitsInfo NONE = new LimitsInfo(Map.of(), 0, 0, null, LimitOutcome.NONE);

  public LimitsInfo {
    counterKeys =
        Collections.unmodifiableMap(
            new LinkedHashMap<>(Objects.requireNonNull(counterKeys, "counterKeys")));
    Objects.requireNonNull(outcome, "outcome");
  }
}
