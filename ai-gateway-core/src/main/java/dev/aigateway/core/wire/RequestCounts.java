package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import org.jspecify.annotations.Nullable;

/**
 * How request bodies' counts read (output allowances, choices), one rule for every format: a count
 * too large for its type saturates, so an absurd request stays above every bound (and is answered
 * 400) instead of reading as absent or as 1.
 */
final class RequestCounts {

  private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

  private RequestCounts() {}

  /**
   * A count as a JSON tree holds it: a non-negative whole number ({@code 7} or {@code 7.0}), {@link
   * Long#MAX_VALUE} for a positive one beyond a long (a big integer or an exponent such as {@code
   * 1e19}), or -1 for anything else (absent, null, negative, fractional, not a number). An integer
   * reads as {@link UsageCounts#of(JsonNode)} reads it; the decimal and exponent forms only here.
   */
  static long count(@Nullable JsonNode value) {
    if (value == null || !value.isNumber()) {
      return -1;
    }
    if (value.isIntegralNumber()) {
      return UsageCounts.of(value); // a whole number reads as a reported usage count does
    }
    // A request may write a count as 7.0 or 1e3, which a reported usage count may not.
    if (value.isBigDecimal()) {
      BigDecimal d = value.decimalValue();
      if (d.signum() < 0 || d.stripTrailingZeros().scale() > 0) {
        return -1;
      }
      return d.compareTo(LONG_MAX) >= 0 ? Long.MAX_VALUE : d.longValueExact();
    }
    double d = value.doubleValue(); // infinite when beyond a double
    if (d >= Long.MAX_VALUE) {
      return Long.MAX_VALUE;
    }
    return d >= 0 && d == Math.rint(d) ? (long) d : -1;
  }

  /**
   * The choices a count asks for: itself when positive, {@link Integer#MAX_VALUE} when beyond an
   * int (so that the allowance it multiplies stays above the bound rather than reading as one
   * choice), 1 when absent or not positive.
   */
  static int choices(long count) {
    return count > Integer.MAX_VALUE ? Integer.MAX_VALUE : count > 0 ? (int) count : 1;
  }
}
