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
 * integer ({@link RequestCounts#count}, which also takes {@code 7.0} and {@code 1e3}).
 */
final class UsageCounts {

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
}
