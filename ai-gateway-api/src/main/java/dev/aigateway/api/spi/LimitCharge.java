package dev.aigateway.api.spi;

import dev.aigateway.api.Usage;
import java.util.Objects;

/**
 * Tokens to take from one limit's counter for one counter key.
 *
 * @param limit the limit
 * @param counterKey the key the limit counts under for this call, for example a consumer id
 * @param tokens the tokens to reserve, from 0 to {@link Usage#MAX_TOKENS}; 0 admits the call as
 *     long as the counter is not spent
 */
public record LimitCharge(LimitSpec limit, String counterKey, long tokens) {
  public LimitCharge {
    Objects.requireNonNull(limit, "limit");
    Objects.requireNonNull(counterKey, "counterKey");
    if (tokens < 0 || tokens > Usage.MAX_TOKENS) {
      throw new IllegalArgumentException("tokens must be between 0 and " + Usage.MAX_TOKENS
          + " (Usage.MAX_TOKENS) but was " + tokens);
    }
  }

  /** The tokens the counter must have left to admit this charge: {@code max(1, tokens)}. */
  public long required() {
    return Math.max(1, tokens);
  }
}
