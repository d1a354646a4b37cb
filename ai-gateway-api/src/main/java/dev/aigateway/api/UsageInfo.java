package dev.aigateway.api;

import java.math.BigDecimal;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The tokens one governed call used, where their counts came from and what they cost: part of its
 * {@link GatewayEvent} ({@link GatewayEvent#usage()}). {@link #NONE} when nothing was used (a
 * rejection, a cache hit, a call that failed before any answer).
 *
 * @param tokens the call's token usage; {@link Usage#ZERO} when nothing was used
 * @param inputSource where {@link Usage#inputTokens()} came from ({@link UsageSource#NONE} when
 *     nothing was used)
 * @param outputSource where {@link Usage#outputTokens()} came from ({@link UsageSource#NONE} when
 *     nothing was used)
 * @param capped true when a count of the call's usage was above {@link Usage#MAX_TOKENS}: reported
 *     so by the backend, or estimated so (a JSON answer not read to its end is settled on its
 *     output allowance, which may approach the bound). {@link #tokens()} holds each such count
 *     lowered to the bound, and the call was settled on the capped total, so the event and the
 *     token counters agree. A count that large is not a real one; the flag tells a listener it was
 *     not taken as it came.
 * @param cost what the usage cost per the gateway's price table (exact, in the table's currency),
 *     or null when the gateway has no price table, no price applies, or nothing was used
 */
public record UsageInfo(
    Usage tokens,
    UsageSource inputSource,
    UsageSource outputSource,
    boolean capped,
    @Nullable BigDecimal cost) {

  /** Nothing was used. */
  public static final UsageInfo NONE =
      new UsageInfo(Usage.ZERO, UsageSource.NONE, UsageSource.NONE, false, null);

  public UsageInfo {
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(inputSource, "inputSource");
    Objects.requireNonNull(outputSource, "outputSource");
  }

  /** True when any part of the usage was estimated locally rather than reported. */
  public boolean estimated() {
    return inputSource == UsageSource.ESTIMATED || outputSource == UsageSource.ESTIMATED;
  }
}
