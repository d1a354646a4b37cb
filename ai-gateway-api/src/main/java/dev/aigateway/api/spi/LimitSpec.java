package dev.aigateway.api.spi;

import dev.aigateway.api.QuotaPeriod;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One counter a {@link TokenLimitStore} keeps per counter key. Three kinds:
 *
 * <ul>
 *   <li>{@link Kind#RATE}: a bucket of {@code capacity} units that refills continuously at {@code
 *       capacity} per {@code refillPeriod}, never above {@code capacity};
 *   <li>{@link Kind#QUOTA}: {@code capacity} units per calendar {@code quotaPeriod} window aligned
 *       in {@code zone};
 *   <li>{@link Kind#IN_FLIGHT}: at most {@code capacity} calls holding a reservation at once; a
 *       call takes one slot when it is admitted and frees it when it is settled.
 * </ul>
 *
 * Rates and quotas count either tokens or requests ({@link Unit}); an in-flight limit counts calls,
 * so its unit is always {@link Unit#REQUESTS}.
 *
 * <pre>{@code
 * LimitSpec tpm = LimitSpec.rate("team/rate", 20_000, Duration.ofMinutes(1));
 * LimitSpec rpm = LimitSpec.rate("team/rpm", LimitSpec.Unit.REQUESTS, 60, Duration.ofMinutes(1));
 * LimitSpec monthly = LimitSpec.quota("team/quota", 2_000_000, QuotaPeriod.MONTHLY, UTC);
 * LimitSpec concurrent = LimitSpec.inFlight("team/in-flight", 8);
 * }</pre>
 *
 * <p>Every value this constructor accepts is one every store must honour: capacities up to {@link
 * Long#MAX_VALUE} and refill periods up to {@link Long#MAX_VALUE} nanoseconds (about 292 years).
 * Anything else is rejected here, with the bad value in the message, so a limit a store could not
 * keep fails when it is built and never on a call.
 *
 * @param id unique among the gateway's limits; stores keep counters under (id, kind, unit, counter
 *     key), a quota's also under its period and zone (normalized), so that quotas of one id that
 *     count in other windows (gateways sharing a store, configured differently) never share a
 *     counter
 * @param kind rate, quota or in-flight
 * @param unit what rates and quotas count; {@link Unit#REQUESTS} for in-flight limits
 * @param capacity units per period (rate, quota) or concurrent calls (in-flight), > 0
 * @param refillPeriod for {@link Kind#RATE}: the time to refill a whole bucket; else null
 * @param quotaPeriod for {@link Kind#QUOTA}: the calendar period; else null
 * @param zone for {@link Kind#QUOTA}: the zone windows align in; else null
 */
public record LimitSpec(
    String id,
    Kind kind,
    Unit unit,
    long capacity,
    @Nullable Duration refillPeriod,
    @Nullable QuotaPeriod quotaPeriod,
    @Nullable ZoneId zone) {

  /** The kinds of counter. */
  public enum Kind {
    /** Units per sliding time, refilling continuously; exceeding it is a 429. */
    RATE,
    /** Units per calendar window; exceeding it is a 403 until the window ends. */
    QUOTA,
    /** Calls holding a reservation at once; a slot is freed when its call is settled. */
    IN_FLIGHT
  }

  /** What a rate or quota counts. */
  public enum Unit {
    /** Tokens: a call takes its estimate and settles to the tokens it used. */
    TOKENS,
    /** Requests: a call takes one and settles to one if a backend answered it, else to 0. */
    REQUESTS
  }

  /** The longest refill period a rate may have: {@link Long#MAX_VALUE} nanoseconds. */
  private static final Duration MAXIMUM_REFILL_PERIOD = Duration.ofNanos(Long.MAX_VALUE);

  /**
   * Checks the spec: a positive capacity, exactly the settings of its kind, and a refill period a
   * store can count in nanoseconds.
   *
   * @throws IllegalArgumentException naming the limit and the bad value
   */
  public LimitSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(unit, "unit");
    if (capacity <= 0) {
      throw new IllegalArgumentException(
          "capacity of limit '" + id + "' must be > 0 but was " + capacity);
    }
    switch (kind) {
      case RATE -> {
        Objects.requireNonNull(refillPeriod, "refillPeriod");
        if (refillPeriod.isNegative() || refillPeriod.isZero()) {
          throw new IllegalArgumentException(
              "refill period of limit '" + id + "' must be positive but was " + refillPeriod);
        }
        if (refillPeriod.compareTo(MAXIMUM_REFILL_PERIOD) > 0) {
          throw new IllegalArgumentException(
              "refill period of limit '"
                  + id
                  + "' must be at most "
                  + MAXIMUM_REFILL_PERIOD
                  + " (Long.MAX_VALUE ns) but was "
                  + refillPeriod);
        }
        requireAbsent(id, kind, "quotaPeriod", quotaPeriod);
        requireAbsent(id, kind, "zone", zone);
      }
      case QUOTA -> {
        Objects.requireNonNull(quotaPeriod, "quotaPeriod");
        Objects.requireNonNull(zone, "zone");
        requireAbsent(id, kind, "refillPeriod", refillPeriod);
      }
      case IN_FLIGHT -> {
        if (unit != Unit.REQUESTS) {
          throw new IllegalArgumentException(
              "in-flight limit '"
                  + id
                  + "' counts calls, so its unit must be REQUESTS but was "
                  + unit);
        }
        requireAbsent(id, kind, "refillPeriod", refillPeriod);
        requireAbsent(id, kind, "quotaPeriod", quotaPeriod);
        requireAbsent(id, kind, "zone", zone);
      }
    }
  }

  private static void requireAbsent(String id, Kind kind, String setting, @Nullable Object value) {
    if (value != null) {
      throw new IllegalArgumentException(
          "limit '"
              + id
              + "' is of kind "
              + kind
              + ", which has no "
              + setting
              + ", but "
              + setting
              + " was "
              + value);
    }
  }

  /**
   * Hashes the id, kind and unit only (equal specs have equal ids, kinds and units): stores look
   * counters up by spec on every call, and a record's own hash would walk every component each
   * time.
   */
  @Override
  public int hashCode() {
    return (31 * id.hashCode() + kind.ordinal()) * 31 + unit.ordinal();
  }

  /** A token rate: {@code capacity} tokens per {@code period}, refilling continuously. */
  public static LimitSpec rate(String id, long capacity, Duration period) {
    return rate(id, Unit.TOKENS, capacity, period);
  }

  /** A rate of {@code capacity} units per {@code period}, refilling continuously. */
  public static LimitSpec rate(String id, Unit unit, long capacity, Duration period) {
    return new LimitSpec(id, Kind.RATE, unit, capacity, period, null, null);
  }

  /** A token quota: {@code capacity} tokens per calendar {@code period} window in {@code zone}. */
  public static LimitSpec quota(String id, long capacity, QuotaPeriod period, ZoneId zone) {
    return quota(id, Unit.TOKENS, capacity, period, zone);
  }

  /** A quota of {@code capacity} units per calendar {@code period} window in {@code zone}. */
  public static LimitSpec quota(
      String id, Unit unit, long capacity, QuotaPeriod period, ZoneId zone) {
    return new LimitSpec(id, Kind.QUOTA, unit, capacity, null, period, zone);
  }

  /** At most {@code capacity} calls in flight at once (admitted and not yet settled). */
  public static LimitSpec inFlight(String id, long capacity) {
    return new LimitSpec(id, Kind.IN_FLIGHT, Unit.REQUESTS, capacity, null, null, null);
  }
}
