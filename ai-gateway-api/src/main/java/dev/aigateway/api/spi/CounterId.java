package dev.aigateway.api.spi;

import java.util.Objects;

/**
 * One counter of a {@link TokenLimitStore}: a limit and the key it counts under, as {@link
 * TokenLimitStore#peek} reads it.
 *
 * @param limit the limit
 * @param counterKey the key the limit counts under, for example a consumer id
 */
public record CounterId(LimitSpec limit, String counterKey) {

  /** Checks that neither part is null. */
  public CounterId {
    Objects.requireNonNull(limit, "limit");
    Objects.requireNonNull(counterKey, "counterKey");
  }
}
