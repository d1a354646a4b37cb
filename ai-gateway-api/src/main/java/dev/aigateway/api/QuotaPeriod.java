package dev.aigateway.api;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.Period;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.function.UnaryOperator;

/**
 * A calendar period for token quotas. Windows are fixed and aligned to the period's start in a
 * zone: an hourly quota resets on the hour, a daily one at midnight, a weekly one at Monday
 * midnight (ISO weeks), a monthly one on the 1st, a yearly one on January 1st.
 */
public enum QuotaPeriod {
  HOURLY(UnaryOperator.identity(), Period.ZERO) { // by the clock, not by the date
    @Override
    ZonedDateTime truncate(ZonedDateTime time) {
      return time.truncatedTo(ChronoUnit.HOURS);
    }

    @Override
    ZonedDateTime next(ZonedDateTime start) {
      // Not start + 1h: in zones with half-hour clock changes that misses the next local hour.
      ZonedDateTime next = start.plusHours(1).truncatedTo(ChronoUnit.HOURS);
      return next.isAfter(start) ? next : start.plusHours(2).truncatedTo(ChronoUnit.HOURS);
    }
  },
  DAILY(UnaryOperator.identity(), Period.ofDays(1)),
  WEEKLY(date -> date.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)), Period.ofWeeks(1)),
  MONTHLY(date -> date.withDayOfMonth(1), Period.ofMonths(1)),
  YEARLY(date -> date.withDayOfYear(1), Period.ofYears(1));

  /** The first day of the period that contains a date. */
  private final UnaryOperator<LocalDate> firstDay;

  /** How long a period is, in days, weeks, months or years. */
  private final Period length;

  QuotaPeriod(UnaryOperator<LocalDate> firstDay, Period length) {
    this.firstDay = firstDay;
    this.length = length;
  }

  /** The start of the window that contains {@code now}, in {@code zone}. */
  public Instant windowStart(Instant now, ZoneId zone) {
    return truncate(now.atZone(zone)).toInstant();
  }

  /** The end (exclusive) of the window that contains {@code now}: the next window's start. */
  public Instant windowEnd(Instant now, ZoneId zone) {
    return next(truncate(now.atZone(zone))).toInstant();
  }

  /** The start of the window that contains {@code time}: midnight of its period's first day. */
  ZonedDateTime truncate(ZonedDateTime time) {
    return startOfDay(firstDay.apply(time.toLocalDate()), time.getZone());
  }

  /** The start of the window after the one that starts at {@code start}. */
  ZonedDateTime next(ZonedDateTime start) {
    return startOfDay(start.toLocalDate().plus(length), start.getZone());
  }

  // atStartOfDay handles zones whose midnight does not exist on a DST change day.
  private static ZonedDateTime startOfDay(LocalDate date, ZoneId zone) {
    return date.atStartOfDay(zone);
  }
}
