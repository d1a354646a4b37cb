package dev.aigateway.api;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One row of a usage ledger: what one consumer used of one model in one calendar window. Token
 * columns hold only usage the backend <b>reported</b>; usage the gateway had to estimate (a backend
 * that reported none, a truncated stream) is kept apart in {@link #estimatedTokens()} and {@link
 * #estimatedCost()}, never mixed in.
 *
 * @param periodStart the start of the window (aligned in the ledger's zone)
 * @param period the window's length: hourly, daily or monthly
 * @param consumer the consumer charged
 * @param model the model (the one the backend named, else the one requested)
 * @param calls governed calls, including rejected and failed ones that used nothing
 * @param inputTokens reported input tokens, cached ones included
 * @param cachedInputTokens reported input tokens served from the provider's prompt cache
 * @param outputTokens reported output tokens
 * @param totalTokens reported total tokens (what the calls were charged)
 * @param estimatedTokens total tokens of calls whose usage was estimated rather than reported
 * @param cost exact cost of the reported usage; null when no price applied, or when some of the
 *     reported usage had no price
 * @param estimatedCost exact cost of the estimated usage; null on the same terms as {@code cost}
 */
public record LedgerEntry(
    Instant periodStart,
    QuotaPeriod period,
    String consumer,
    String model,
    long calls,
    long inputTokens,
    long cachedInputTokens,
    long outputTokens,
    long totalTokens,
    long estimatedTokens,
    @Nullable BigDecimal cost,
    @Nullable BigDecimal estimatedCost) {

  public LedgerEntry {
    Objects.requireNonNull(periodStart, "periodStart");
    Objects.requireNonNull(period, "period");
    Objects.requireNonNull(consumer, "consumer");
    Objects.requireNonNull(model, "model");
    if (calls < 0
        || inputTokens < 0
        || cachedInputTokens < 0
        || outputTokens < 0
        || totalTokens < 0
        || estimatedTokens < 0) {
      throw new IllegalArgumentException(
          "ledger counts must be >= 0 but were calls="
              + calls
              + " input="
              + inputTokens
              + " cached="
              + cachedInputTokens
              + " output="
              + outputTokens
              + " total="
              + totalTokens
              + " estimated="
              + estimatedTokens
              + " for consumer '"
              + consumer
              + "', model '"
              + model
              + "'");
    }
  }

  /** True when the row holds reported tokens of any kind. */
  public boolean hasReportedTokens() {
    return inputTokens != 0 || cachedInputTokens != 0 || outputTokens != 0 || totalTokens != 0;
  }
}
