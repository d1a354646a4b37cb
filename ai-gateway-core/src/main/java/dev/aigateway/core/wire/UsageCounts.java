package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import org.jspecify.annotations.Nullable;

/**
 * How the usage readers read a reported count from a JSON tree, one rule for every format: a whole,
 * non-negative number is itself; one beyond a {@code long} saturates to {@link Long#MAX_VALUE}, so
 * that it is capped at {@link dev.aigateway.api.Usage#MAX_TOKENS} and the event flags it ({@code
 * usage().capped()}) as any count above the bound, instead of reading as absent and leaving the
 * call charged on its estimate; anything else (absent, negative, fractional, not a number) is -1.
 * The byte readers read the same ({@link ObjectMembers#count}), and so do the request readers an
 * integer ({@link RequestCounts#count}, which also takes {@code 7.0} and {@code 1e3}). Google's
 * counts may also be written as strings of digits ({@link #ofDigits}).
 */
public final class UsageCounts {

  private UsageCounts() {}

  /** The count {@code value} holds, as the class describes; -1 when it holds none. */
  static long of(@Nullable JsonNode value) {
    if (value == null || !value.isIntegralNumber()) {
      return -1;
    }
    if (!value.canConvertToLong()) {
      return of(value.bigIntegerValue());
    }
    long n = value.longValue();
    return n >= 0 ? n : -1;
  }

  /** A whole number beyond a {@code long}: {@link Long#MAX_VALUE} when positive, else -1. */
  static long of(BigInteger beyond) {
    return beyond.signum() > 0 ? Long.MAX_VALUE : -1;
  }

  /**
   * A count written as a JSON string, as the proto3 JSON mapping allows for an integer field
   * (Google writes an int64 so, {@code "promptTokenCount": "12"}, and Vertex AI writes some counts
   * so): a string of ASCII digits is the number it spells, {@link Long#MAX_VALUE} beyond a {@code
   * long} (read without overflow, however many digits); anything else (empty, a sign, spaces, a
   * fraction, an exponent, other text) is -1, absent.
   */
  public static long ofDigits(String text) {
    int length = text.length();
    if (length == 0) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      int digit = c - '0';
      value =
          value > (Long.MAX_VALUE - digit) / 10 ? Long.MAX_VALUE : value * 10 + digit; // saturates
    }
    return value;
  }
}
