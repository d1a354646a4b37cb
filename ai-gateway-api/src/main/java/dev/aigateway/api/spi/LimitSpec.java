package dev.aigateway.api.spi;

import dev.aigateway.api.QuotaPeriod;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Objects;

/**
 * One counter a {@link TokenLimitStore} keeps per counter key: either a rate (a bucket of
 * {@code capacity} tokens that refills continuously at {@code capacity} per {@code refillPeriod})
 * or a calendar quota ({@code capacity} tokens per fixed {@code quotaPeriod} window aligned in
 * {@code zone}).
 *
 * @param id unique among the gateway's limits; stores keep counters under (id, counter key)
 * @param kind rate or quota
 * @param capacity tokens per period, > 0
 * @param refillPeriod for {@link Kind#RATE}: the time to refill a whole bucket; else null
 * @param quotaPeriod for {@link Kind#QUOTA}: the calendar period; else null
 * @param zone for {@link Kind#QUOTA}: the zone windows align in; else null
 */
public record LimitSpec(
    String id, Kind kind, long capacity, Duration refillPeriod, QuotaPeriod quotaPeriod,
    ZoneId zone) {

  /** The two kinds of counter. */
  public enum Kind {
    /** Tokens per sliding time, refilling continuously; exceeding it is a 429. */
    RATE,
    /** Tokens per calendar window; exceeding it is a 403 until the window ends. */
    QUOTA
  }

  public LimitSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity of limit '" + id + "' must be > 0 but was "
          + capacity);
    }
    if (kind == Kind.RATE) {
      Objects.requireNonNull(refillPeriod, "refillPeriod");
      if (refillPeriod.isNegative() || refillPeriod.isZero()) {
        throw new IllegalArgumentException("refill period of limit '" + id
            + "' must be positive but was " + refillPeriod);
      }
    } else {
      Objects.requireNonNull(quotaPeriod, "quotaPeriod");
      Objects.requireNonNull(zone, "zone");
    }
  }

  /**
   * Hashes the id and kind only (equal specs have equal ids and kinds): stores look counters up by
   * spec on every call, and a record's own hash would walk every component each time.
   */
  @Override
  public int hashCode() {
    return 31 * id.hashCode() + kind.ordinal();
  }

  /** A rate: {@code capacity} tokens per {@code period}, refilling continuously. */
  public static LimitSpec rate(String id, long capacity, Duration period) {
    return new LimitSpec(id, Kind.RATE, capacity, period, null, null);
  }

  /** A calendar quota: {@code capacity} tokens per {@code period} window in {@code zone}. */
  public static LimitSpec quota(String id, long capacity, QuotaPeriod period, ZoneId zone) {
    return new LimitSpec(id, Kind.QUOTA, capacity, null, period, zone);
  }
}
