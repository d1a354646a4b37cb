package dev.aigateway.core.tokens;

/**
 * Arithmetic on token counts (never negative) that saturates at {@link Long#MAX_VALUE} instead of
 * overflowing: counts come from requests and backends, and an absurd one must stay absurdly large,
 * never turn negative. Bounding such a count is left to the caller ({@link
 * dev.aigateway.api.Usage#MAX_TOKENS}).
 */
public final class TokenCounts {

  private TokenCounts() {}

  /** {@code a + b}, or {@link Long#MAX_VALUE} when that does not fit; both {@code >= 0}. */
  public static long sum(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }

  /** {@code a × b}, or {@link Long#MAX_VALUE} when that does not fit; both {@code >= 0}. */
  public static long product(long a, long b) {
    long high = Math.multiplyHigh(a, b);
    long product = a * b;
    return high != 0 || product < 0 ? Long.MAX_VALUE : product;
  }
}
