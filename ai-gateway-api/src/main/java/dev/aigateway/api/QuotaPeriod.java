package dev.aigateway.api;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.Period;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.time.zone.ZoneOffsetTransition;
import java.util.function.UnaryOperator;

/**
 * A calendar period for token quotas. Windows are fixed and aligned to the period's start in a
 * zone: an hourly quota resets on the hour (and where the zone's clock changes its offset in the
 * middle of an hour, there too), a daily one at midnight, a weekly one at Monday midnight (ISO
 * weeks), a monthly one on the 1st, a yearly one on January 1st. Where a clock reads a midnight
 * twice (it fell back across it), the window starts at the first.
 */
public enum QuotaPeriod {
  HOURLY(UnaryOperator.identity(), Period.ZERO) { // by the clock, not by the date
    /**
     * The latest instant at or before {@code time} when the zone's clock read a whole hour, or
     * changed its offset: the clock's hour at {@code time}'s offset, unless the clock changed since
     * (then the change). Truncating the local time and resolving it in the zone again would not do:
     * in a zone whose clock changes by a quarter or half hour (Pacific/Chatham,
     * Australia/Lord_Howe) or by hours at once (Antarctica/Casey) that local hour may lie in a gap
     * (resolved later than {@code time}) or at the other offset (an hour or more earlier).
     */
    @Override
    ZonedDateTime truncate(ZonedDateTime time) {
      Instant hour = time.toOffsetDateTime().truncatedTo(ChronoUnit.HOURS).toInstant();
      ZoneOffsetTransition change = time.getZone().getRules().previousTransition(after(time));
      Instant start =
          change != null && change.getInstant().isAfter(hour) ? change.getInstant() : hour;
      return start.atZone(time.getZone());
    }

    /**
     * The next whole hour of the clock after {@code start} at its offset, unless the clock changes
     * its offset first (then the change).
     */
    @Override
    ZonedDateTime next(ZonedDateTime start) {
      Instant hour =
          start.toOffsetDateTime().truncatedTo(ChronoUnit.HOURS).plusHours(1).toInstant();
      ZoneOffsetTransition change = start.getZone().getRules().nextTransition(start.toInstant());
      Instant end =
          change != null && change.getInstant().isBefore(hour) ? change.getInstant() : hour;
      return end.atZone(start.getZone());
    }

    /** The instant just after {@code time}, so that a change at {@code time} counts as before. */
    private Instant after(ZonedDateTime time) {
      return time.toInstant().plusNanos(1);
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

  /**
   * The start of the window that contains {@code time}: midnight of its period's first day, unless
   * the next window has started already. That happens in the hour a clock falls back across
   * midnight (America/St_Johns, America/Goose_Bay and America/Moncton changed at 00:01 until 2011,
   * Antarctica/Casey at 02:00 in 2010): the clock reads the new day's midnight first, then the
   * previous day's last hour again; that repeated hour belongs to the window that began at the
   * first midnight, so that windows follow one another and a spent quota stays spent.
   */
  ZonedDateTime truncate(ZonedDateTime time) {
    ZonedDateTime start = startOfDay(firstDay.apply(time.toLocalDate()), time.getZone());
    for (ZonedDateTime next = next(start); !next.isAfter(time); next = next(start)) {
      start = next;
    }
    return start;
  }

  /** The start of the window after the one that starts at {@code start}. */
  ZonedDateTime next(ZonedDateTime start) {
    return startOfDay(start.toLocalDate().plus(length), start.getZone());
  }

  // atStartOfDay handles zones whose midnight does not exist on a DST change day, and takes the
  // earlier offset where midnight is repeated: the first time the clock reads it.
  private static ZonedDateTime startOfDay(LocalDate date, ZoneId zone) {
    return date.atStartOfDay(zone);
  }
}
