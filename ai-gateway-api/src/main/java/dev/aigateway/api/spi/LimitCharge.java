package dev.aigateway.api.spi;

import dev.aigateway.api.Usage;
import java.util.Objects;

/**
 * What one call takes from one limit's counter for one counter key, in the limit's {@linkplain
 * LimitSpec#unit() unit}: tokens, requests, or (for an in-flight limit) one slot.
 *
 * @param limit the limit
 * @param counterKey the key the limit counts under for this call, for example a consumer id
 * @param amount the units to reserve, from 0 to {@link Usage#MAX_TOKENS} (the one bound for every
 *     unit); 0 admits the call as long as the counter is not spent. An in-flight charge always
 *     holds exactly one slot, so its amount must be 1.
 */
public record LimitCharge(LimitSpec limit, String counterKey, long amount) {

  /**
   * Checks the charge.
   *
   * @throws IllegalArgumentException for a negative amount, or an in-flight amount other than 1
   */
  public LimitCharge {
    Objects.requireNonNull(limit, "limit");
    Objects.requireNonNull(counterKey, "counterKey");
    if (amount < 0 || amount > Usage.MAX_TOKENS) {
      throw new IllegalArgumentException(
          "amount charged to limit '"
              + limit.id()
              + "' must be between 0 and "
              + Usage.MAX_TOKENS
              + " (Usage.MAX_TOKENS) but was "
              + amount);
    }
    if (limit.kind() == LimitSpec.Kind.IN_FLIGHT && amount != 1) {
      throw new IllegalArgumentException(
          "a call holds one slot of in-flight limit '"
              + limit.id()
              + "', so its amount must be 1 but was "
              + amount);
    }
  }

  /** The units the counter must have left to admit this charge: {@code max(1, amount)}. */
  public long required() {
    return Math.max(1, amount);
  }
}
