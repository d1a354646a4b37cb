package dev.aigateway.api.spi;

import java.util.Objects;

/**
 * Tokens to take from one limit's counter for one counter key.
 *
 * @param limit the limit
 * @param counterKey the key the limit counts under for this call, for example a consumer id
 * @param tokens the tokens to reserve, >= 0; 0 admits the call as long as the counter is not spent
 */
public record LimitCharge(LimitSpec limit, String counterKey, long tokens) {
  public LimitCharge {
    Objects.requireNonNull(limit, "limit");
    Objects.requireNonNull(counterKey, "counterKey");
    if (tokens < 0) {
      throw new IllegalArgumentException("tokens must be >= 0 but was " + tokens);
    }
  }

  /** The tokens the counter must have left to admit this charge: {@code max(1, tokens)}. */
  public long required() {
    return Math.max(1, tokens);
  }
}
