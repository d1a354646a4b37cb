package dev.aigateway.core.telemetry;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.LedgerEntry;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import java.math.BigDecimal;
import org.jspecify.annotations.Nullable;

/**
 * An immutable sum of usage: a ledger row's value, or one event's contribution to it. Rows are
 * updated by replacing their tally with {@code old.plus(delta)} inside {@code
 * ConcurrentHashMap.merge}, which is atomic per row, so the sums (costs included) are exact under
 * any concurrency.
 *
 * <p>A cost is null until a price applied; {@code unpriced} records that some usage had no price,
 * which makes the row's cost unknown for good.
 */
record UsageTotals(
    long calls,
    long inputTokens,
    long cachedInputTokens,
    long outputTokens,
    long totalTokens,
    long estimatedTokens,
    @Nullable BigDecimal cost,
    boolean unpriced,
    @Nullable BigDecimal estimatedCost,
    boolean estimatedUnpriced) {

  /** One call's contribution; {@code price} is null when its model has no price. */
  static UsageTotals of(GatewayEvent event, @Nullable Price price) {
    Usage usage = event.usage().tokens();
    UsageSource in = event.usage().inputSource();
    UsageSource out = event.usage().outputSource();
    boolean anyReported = in == UsageSource.REPORTED || out == UsageSource.REPORTED;
    boolean anyEstimated = in == UsageSource.ESTIMATED || out == UsageSource.ESTIMATED;
    Usage reported;
    Usage estimated;
    if (!anyEstimated) {
      reported = anyReported ? usage : Usage.ZERO;
      estimated = Usage.ZERO;
    } else if (!anyReported) {
      reported = Usage.ZERO;
      estimated = usage;
    } else { // one side reported, the other estimated: split by side
      reported = side(usage, in == UsageSource.REPORTED, out == UsageSource.REPORTED);
      estimated = side(usage, in == UsageSource.ESTIMATED, out == UsageSource.ESTIMATED);
    }
    return new UsageTotals(
        1,
        reported.inputTokens(),
        reported.cachedInputTokens(),
        reported.outputTokens(),
        reported.totalTokens(),
        estimated.totalTokens(),
        price == null ? null : price.cost(reported),
        price == null && hasTokens(reported),
        price == null ? null : price.cost(estimated),
        price == null && hasTokens(estimated));
  }

  /** A row read back (or a row to total): its cost is unknown when it has usage but no cost. */
  static UsageTotals of(LedgerEntry e) {
    return new UsageTotals(
        e.calls(),
        e.inputTokens(),
        e.cachedInputTokens(),
        e.outputTokens(),
        e.totalTokens(),
        e.estimatedTokens(),
        e.cost(),
        e.cost() == null && e.hasReportedTokens(),
        e.estimatedCost(),
        e.estimatedCost() == null && e.estimatedTokens() != 0);
  }

  /** The exact sum of two tallies. */
  UsageTotals plus(UsageTotals o) {
    return new UsageTotals(
        Math.addExact(calls, o.calls),
        Math.addExact(inputTokens, o.inputTokens),
        Math.addExact(cachedInputTokens, o.cachedInputTokens),
        Math.addExact(outputTokens, o.outputTokens),
        Math.addExact(totalTokens, o.totalTokens),
        Math.addExact(estimatedTokens, o.estimatedTokens),
        add(cost, o.cost),
        unpriced || o.unpriced,
        add(estimatedCost, o.estimatedCost),
        estimatedUnpriced || o.estimatedUnpriced);
  }

  LedgerEntry toEntry(RowKey key) {
    return new LedgerEntry(
        key.start(),
        key.period(),
        key.consumer(),
        key.model(),
        calls,
        inputTokens,
        cachedInputTokens,
        outputTokens,
        totalTokens,
        estimatedTokens,
        unpriced ? null : plain(cost),
        estimatedUnpriced ? null : plain(estimatedCost));
  }

  /** Like {@link Price#cost}: no trailing zeros (sums bring them back), never exponent form. */
  private static BigDecimal plain(BigDecimal value) {
    if (value == null) {
      return null;
    }
    BigDecimal stripped = value.stripTrailingZeros();
    return stripped.scale() < 0 ? stripped.setScale(0) : stripped;
  }

  private static Usage side(Usage usage, boolean input, boolean output) {
    long in = input ? usage.inputTokens() : 0;
    long out = output ? usage.outputTokens() : 0;
    return new Usage(
        in,
        out,
        in + out,
        input ? usage.cachedInputTokens() : 0,
        output ? usage.reasoningTokens() : 0,
        input ? usage.cacheWriteInputTokens() : 0,
        input ? usage.audioInputTokens() : 0,
        output ? usage.audioOutputTokens() : 0,
        input ? usage.imageInputTokens() : 0);
  }

  private static boolean hasTokens(Usage u) {
    return u.inputTokens() != 0 || u.outputTokens() != 0 || u.totalTokens() != 0;
  }

  private static BigDecimal add(BigDecimal a, BigDecimal b) {
    return a == null ? b : b == null ? a : a.add(b);
  }
}
