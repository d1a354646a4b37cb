package dev.aigateway.api;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;

/**
 * A calendar period for token quotas. Windows are fixed and aligned to the period's start in a
 * zone: an hourly quota resets on the hour, a daily one at midnight, a weekly one at Monday
 * midnight (ISO weeks), a monthly one on the 1st, a yearly one on January 1st.
 */
public enum QuotaPeriod {
  HOURLY {
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
  DAILY {
    @Override
    ZonedDateTime truncate(ZonedDateTime time) {
      return startOfDay(time.toLocalDate(), time.getZone());
    }

    @Override
    ZonedDateTime next(ZonedDateTime start) {
      return startOfDay(start.toLocalDate().plusDays(1), start.getZone());
    }
  },
  WEEKLY {
    @Override
    ZonedDateTime truncate(ZonedDateTime time) {
      LocalDate monday =
          time.toLocalDate().with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
      return startOfDay(monday, time.getZone());
    }

    @Override
    ZonedDateTime next(ZonedDateTime start) {
      return startOfDay(start.toLocalDate().plusWeeks(1), start.getZone());
    }
  },
  MONTHLY {
    @Override
    ZonedDateTime truncate(ZonedDateTime time) {
      return startOfDay(time.toLocalDate().withDayOfMonth(1), time.getZone());
    }

    @Override
    ZonedDateTime next(ZonedDateTime start) {
      return startOfDay(start.toLocalDate().plusMonths(1), start.getZone());
    }
  },
  YEARLY {
    @Override
    ZonedDateTime truncate(ZonedDateTime time) {
      return startOfDay(time.toLocalDate().withDayOfYear(1), time.getZone());
    }

    @Override
    ZonedDateTime next(ZonedDateTime start) {
      return startOfDay(start.toLocalDate().plusYears(1), start.getZone());
    }
  };

  /** The start of the window that contains {@code now}, in {@code zone}. */
  public Instant windowStart(Instant now, ZoneId zone) {
    return truncate(now.atZone(zone)).toInstant();
  }

  /** The end (exclusive) of the window that contains {@code now}: the next window's start. */
  public Instant windowEnd(Instant now, ZoneId zone) {
    return next(truncate(now.atZone(zone))).toInstant();
  }

  abstract ZonedDateTime truncate(ZonedDateTime time);

  abstract ZonedDateTime next(ZonedDateTime start);

  // atStartOfDay handles zones whose midnight does not exist on a DST change day.
  private static ZonedDateTime startOfDay(LocalDate date, ZoneId zone) {
    return date.atStartOfDay(zone);
  }
}
