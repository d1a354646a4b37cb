package dev.aigateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class QuotaPeriodTest {

  @ParameterizedTest(name = "{0} in {1} at {2}: [{3}, {4})")
  @CsvSource({
    // period, zone, now, window start, window end
    "HOURLY, UTC, 2025-03-10T10:15:30Z, 2025-03-10T10:00:00Z, 2025-03-10T11:00:00Z",
    "HOURLY, UTC, 2025-03-10T10:00:00Z, 2025-03-10T10:00:00Z, 2025-03-10T11:00:00Z",
    "HOURLY, UTC, 2024-12-31T23:59:59.999Z, 2024-12-31T23:00:00Z, 2025-01-01T00:00:00Z",
    "HOURLY, Asia/Kolkata, 2025-03-10T10:15:30Z, 2025-03-10T09:30:00Z, 2025-03-10T10:30:00Z",
    "DAILY, UTC, 2025-03-10T10:15:30Z, 2025-03-10T00:00:00Z, 2025-03-11T00:00:00Z",
    "DAILY, UTC, 2025-03-10T00:00:00Z, 2025-03-10T00:00:00Z, 2025-03-11T00:00:00Z",
    "DAILY, UTC, 2024-12-31T23:59:59.999Z, 2024-12-31T00:00:00Z, 2025-01-01T00:00:00Z",
    "DAILY, Europe/Berlin, 2025-01-15T22:59:59.999Z, 2025-01-14T23:00:00Z, 2025-01-15T23:00:00Z",
    "DAILY, Europe/Berlin, 2025-01-15T23:00:00Z, 2025-01-15T23:00:00Z, 2025-01-16T23:00:00Z",
    "DAILY, Asia/Tokyo, 2025-01-15T16:00:00Z, 2025-01-15T15:00:00Z, 2025-01-16T15:00:00Z",
    "WEEKLY, UTC, 2025-01-15T10:00:00Z, 2025-01-13T00:00:00Z, 2025-01-20T00:00:00Z",
    "WEEKLY, UTC, 2025-01-13T00:00:00Z, 2025-01-13T00:00:00Z, 2025-01-20T00:00:00Z",
    "WEEKLY, UTC, 2025-01-19T23:59:59.999Z, 2025-01-13T00:00:00Z, 2025-01-20T00:00:00Z",
    "WEEKLY, Europe/Berlin, 2025-01-19T23:30:00Z, 2025-01-19T23:00:00Z, 2025-01-26T23:00:00Z",
    "WEEKLY, America/Los_Angeles, 2025-01-20T07:59:00Z, 2025-01-13T08:00:00Z, 2025-01-20T08:00:00Z",
    "MONTHLY, UTC, 2025-01-15T10:00:00Z, 2025-01-01T00:00:00Z, 2025-02-01T00:00:00Z",
    "MONTHLY, UTC, 2024-02-29T23:59:59Z, 2024-02-01T00:00:00Z, 2024-03-01T00:00:00Z",
    "MONTHLY, UTC, 2025-02-28T12:00:00Z, 2025-02-01T00:00:00Z, 2025-03-01T00:00:00Z",
    "MONTHLY, Europe/Berlin, 2025-03-31T22:30:00Z, 2025-03-31T22:00:00Z, 2025-04-30T22:00:00Z",
    "MONTHLY, America/New_York, 2025-11-15T12:00:00Z, 2025-11-01T04:00:00Z, 2025-12-01T05:00:00Z",
    "YEARLY, UTC, 2025-06-15T12:00:00Z, 2025-01-01T00:00:00Z, 2026-01-01T00:00:00Z",
    "YEARLY, UTC, 2024-12-31T23:59:59.999Z, 2024-01-01T00:00:00Z, 2025-01-01T00:00:00Z",
    "YEARLY, UTC, 2025-01-01T00:00:00Z, 2025-01-01T00:00:00Z, 2026-01-01T00:00:00Z",
    "YEARLY, Europe/Berlin, 2024-12-31T23:30:00Z, 2024-12-31T23:00:00Z, 2025-12-31T23:00:00Z",
    "YEARLY, Europe/Berlin, 2024-12-31T22:59:59Z, 2023-12-31T23:00:00Z, 2024-12-31T23:00:00Z"
  })
  void windowStartsAndEndsAtThePeriodBoundaries(
      QuotaPeriod period, String zone, String now, String start, String end) {
    assertWindow(period, zone, now, start, end);
  }

  @ParameterizedTest(name = "{0} in {1} at {2}: [{3}, {4})")
  @CsvSource({
    // Europe/Berlin springs forward on 2025-03-30 at 01:00Z (02:00 CET -> 03:00 CEST).
    "HOURLY, Europe/Berlin, 2025-03-30T00:30:00Z, 2025-03-30T00:00:00Z, 2025-03-30T01:00:00Z",
    "HOURLY, Europe/Berlin, 2025-03-30T01:30:00Z, 2025-03-30T01:00:00Z, 2025-03-30T02:00:00Z",
    "DAILY, Europe/Berlin, 2025-03-30T12:00:00Z, 2025-03-29T23:00:00Z, 2025-03-30T22:00:00Z",
    "DAILY, Europe/Berlin, 2025-03-29T12:00:00Z, 2025-03-28T23:00:00Z, 2025-03-29T23:00:00Z",
    "WEEKLY, Europe/Berlin, 2025-03-27T12:00:00Z, 2025-03-23T23:00:00Z, 2025-03-30T22:00:00Z",
    "MONTHLY, Europe/Berlin, 2025-03-15T12:00:00Z, 2025-02-28T23:00:00Z, 2025-03-31T22:00:00Z",
    // Europe/Berlin falls back on 2025-10-26 at 01:00Z (03:00 CEST -> 02:00 CET).
    "HOURLY, Europe/Berlin, 2025-10-26T00:30:00Z, 2025-10-26T00:00:00Z, 2025-10-26T01:00:00Z",
    "HOURLY, Europe/Berlin, 2025-10-26T01:30:00Z, 2025-10-26T01:00:00Z, 2025-10-26T02:00:00Z",
    "DAILY, Europe/Berlin, 2025-10-26T12:00:00Z, 2025-10-25T22:00:00Z, 2025-10-26T23:00:00Z",
    "WEEKLY, Europe/Berlin, 2025-10-22T12:00:00Z, 2025-10-19T22:00:00Z, 2025-10-26T23:00:00Z",
    "MONTHLY, Europe/Berlin, 2025-10-15T12:00:00Z, 2025-09-30T22:00:00Z, 2025-10-31T23:00:00Z",
    // Sao Paulo's midnight did not exist on 2018-11-04: its day started at 01:00 (-02:00).
    "DAILY, America/Sao_Paulo, 2018-11-04T12:00:00Z, 2018-11-04T03:00:00Z, 2018-11-05T02:00:00Z",
    "DAILY, America/Sao_Paulo, 2018-11-03T12:00:00Z, 2018-11-03T03:00:00Z, 2018-11-04T03:00:00Z"
  })
  void windowFollowsDaylightSavingChanges(
      QuotaPeriod period, String zone, String now, String start, String end) {
    assertWindow(period, zone, now, start, end);
  }

  @ParameterizedTest(name = "{0} in {1} on {2}: {3}")
  @CsvSource({
    "DAILY, Europe/Berlin, 2025-03-30T12:00:00Z, PT23H",
    "DAILY, Europe/Berlin, 2025-10-26T12:00:00Z, PT25H",
    "DAILY, Europe/Berlin, 2025-06-01T12:00:00Z, PT24H",
    "WEEKLY, Europe/Berlin, 2025-03-27T12:00:00Z, PT167H",
    "WEEKLY, Europe/Berlin, 2025-10-22T12:00:00Z, PT169H",
    "HOURLY, Europe/Berlin, 2025-10-26T00:30:00Z, PT1H",
    "YEARLY, UTC, 2024-06-01T00:00:00Z, PT8784H",
    "YEARLY, UTC, 2025-06-01T00:00:00Z, PT8760H"
  })
  void windowLengthFollowsTheCalendar(
      QuotaPeriod period, String zone, String now, Duration expected) {
    Instant at = Instant.parse(now);
    ZoneId z = ZoneId.of(zone);

    Duration length = Duration.between(period.windowStart(at, z), period.windowEnd(at, z));

    assertThat(length).isEqualTo(expected);
  }

  static Stream<Arguments> periodsZonesAndInstants() {
    String[] zones = {
      "UTC",
      "Europe/Berlin",
      "America/New_York",
      "Asia/Kolkata",
      "Australia/Lord_Howe",
      "America/Sao_Paulo",
      "Pacific/Apia"
    };
    Instant first = Instant.parse("2024-12-25T00:00:00Z");
    Stream.Builder<Arguments> all = Stream.builder();
    for (QuotaPeriod period : QuotaPeriod.values()) {
      for (String zone : zones) {
        all.add(Arguments.of(period, zone, first));
        all.add(Arguments.of(period, zone, Instant.parse("2025-03-30T00:59:59.999Z")));
        all.add(Arguments.of(period, zone, Instant.parse("2025-10-26T01:00:00Z")));
      }
    }
    return all.build();
  }

  @ParameterizedTest(name = "{0} in {1} from {2}")
  @MethodSource("periodsZonesAndInstants")
  void windowContainsNowAndEachEndIsTheNextWindowsStart(
      QuotaPeriod period, String zone, Instant from) {
    ZoneId z = ZoneId.of(zone);
    Instant now = from;
    for (int i = 0; i < 60; i++) { // walk sixty consecutive windows
      Instant start = period.windowStart(now, z);
      Instant end = period.windowEnd(now, z);

      assertThat(start).isBeforeOrEqualTo(now);
      assertThat(end).isAfter(now);
      assertThat(period.windowStart(end, z)).isEqualTo(end);
      assertThat(period.windowStart(end.minusNanos(1), z)).isEqualTo(start);
      now = end.plusSeconds(i * 97L % 3000); // somewhere in the next window
    }
  }

  // Australia/Lord_Howe moves its clocks by half an hour: on 2025-04-06 from 02:00 (+11:00)
  // back to 01:30 (+10:30), i.e. at 2025-04-05T15:00Z; on 2025-10-05 from 02:00 (+10:30) on to
  // 02:30 (+11:00), i.e. at 2025-10-04T15:30Z. Truncating to the local hour and then adding one
  // elapsed hour does not give the next local hour there.

  @Test
  void hourlyWindowContainsNowInTheRepeatedHalfHourOfAHalfHourDstZone() {
    Instant now = Instant.parse("2025-04-05T15:10:00Z");
    ZoneId lordHowe = ZoneId.of("Australia/Lord_Howe");

    Instant end = QuotaPeriod.HOURLY.windowEnd(now, lordHowe);

    assertThat(end).isAfter(now);
  }

  @Test
  void hourlyWindowEndIsTheNextWindowsStartAcrossAHalfHourDstJump() {
    Instant now = Instant.parse("2025-10-04T15:45:00Z");
    ZoneId lordHowe = ZoneId.of("Australia/Lord_Howe");

    Instant end = QuotaPeriod.HOURLY.windowEnd(now, lordHowe);

    assertThat(QuotaPeriod.HOURLY.windowStart(end, lordHowe)).isEqualTo(end);
  }

  // Pacific/Chatham (+12:45 / +13:45) falls back at 2025-04-05T14:00Z, from 03:45 to 02:45: its
  // hour 02 then starts at an instant when the clock read 02:45, at the other offset 02:00 was an
  // hour and 45 minutes earlier. Antarctica/Casey jumped from +08 to +11 at 2020-10-03T16:01Z
  // (00:01 to 03:01): the local hour 03:00 lies in the gap.
  @ParameterizedTest(name = "{0}: [{2}, {3}) at {1}")
  @CsvSource({
    "Pacific/Chatham, 2025-04-05T13:59:59.999Z, 2025-04-05T13:15:00Z, 2025-04-05T14:00:00Z",
    "Pacific/Chatham, 2025-04-05T14:00:00Z, 2025-04-05T14:00:00Z, 2025-04-05T14:15:00Z",
    "Pacific/Chatham, 2025-04-05T14:10:00Z, 2025-04-05T14:00:00Z, 2025-04-05T14:15:00Z",
    "Pacific/Chatham, 2025-04-05T14:15:00Z, 2025-04-05T14:15:00Z, 2025-04-05T15:15:00Z",
    "Antarctica/Casey, 2020-10-03T16:01:00Z, 2020-10-03T16:01:00Z, 2020-10-03T17:00:00Z",
    "Antarctica/Casey, 2020-10-03T16:00:59Z, 2020-10-03T16:00:00Z, 2020-10-03T16:01:00Z"
  })
  void anHourlyWindowHoldsNowWhereTheClockChangesBetweenItsHours(
      String zone, String now, String start, String end) {
    assertWindow(QuotaPeriod.HOURLY, zone, now, start, end);
  }

  @ParameterizedTest(name = "{0} in {1}")
  @MethodSource("periodsAndZonesThatChangeTheirClocks")
  void everyWindowAroundEveryClockChangeHoldsItsInstantsAndMeetsTheNext(
      QuotaPeriod period, String zone) {
    ZoneId z = ZoneId.of(zone);
    java.time.zone.ZoneOffsetTransition change =
        z.getRules().nextTransition(Instant.parse("1970-01-01T00:00:00Z"));
    int checked = 0;
    while (change != null && change.getInstant().isBefore(Instant.parse("2030-01-01T00:00:00Z"))) {
      for (long minutes = -180; minutes <= 180; minutes += 5) {
        for (long nanos : new long[] {-1, 0, 1}) {
          Instant now = change.getInstant().plusSeconds(minutes * 60).plusNanos(nanos);
          Instant start = period.windowStart(now, z);
          Instant end = period.windowEnd(now, z);

          assertThat(start).as("start at %s", now).isBeforeOrEqualTo(now);
          assertThat(end).as("end at %s", now).isAfter(now);
          assertThat(period.windowStart(end, z)).as("next start at %s", now).isEqualTo(end);
          assertThat(period.windowStart(end.minusNanos(1), z))
              .as("start at the end of the window of %s", now)
              .isEqualTo(start);
          assertThat(period.windowEnd(start.minusNanos(1), z))
              .as("end of the window before that of %s", now)
              .isEqualTo(start);
          checked++;
        }
      }
      change = z.getRules().nextTransition(change.getInstant());
    }
    assertThat(checked).isPositive();
  }

  static Stream<Arguments> periodsAndZonesThatChangeTheirClocks() {
    String[] zones = {
      "Pacific/Chatham",
      "Antarctica/Casey",
      "Australia/Lord_Howe",
      "America/St_Johns", // fell back across midnight, at 00:01, until 2011
      "America/Goose_Bay", // so did Goose Bay until 2010,
      "America/Moncton", // and Moncton until 2006
      "Europe/Berlin",
      "America/Santiago"
    };
    Stream.Builder<Arguments> all = Stream.builder();
    for (QuotaPeriod period : QuotaPeriod.values()) {
      for (String zone : zones) {
        all.add(Arguments.of(period, zone));
      }
    }
    return all.build();
  }

  private static void assertWindow(
      QuotaPeriod period, String zone, String now, String start, String end) {
    Instant at = Instant.parse(now);
    ZoneId z = ZoneId.of(zone);

    assertThat(period.windowStart(at, z)).as("start").isEqualTo(Instant.parse(start));
    assertThat(period.windowEnd(at, z)).as("end").isEqualTo(Instant.parse(end));
  }
}
