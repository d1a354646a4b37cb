package dev.aigateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.testing.ManualClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour every {@link TokenLimitStore} must show, as its javadoc states it. Subclass and
 * implement {@link #newStore(Clock)} to run the suite against another store (for example Redis);
 * the clock is a {@link ManualClock} the tests move by hand, so nothing sleeps.
 */
public abstract class TokenLimitStoreContract {

  /** A Wednesday in January, 10:00 UTC. */
  static final Instant START = Instant.parse("2025-01-15T10:00:00Z");

  protected ManualClock clock;
  protected TokenLimitStore store;

  /** A fresh, empty store that reads time from {@code clock}. */
  protected abstract TokenLimitStore newStore(Clock clock);

  @BeforeEach
  void createStore() {
    clock = new ManualClock(START);
    store = newStore(clock);
  }

  // ---------------------------------------------------------------- helpers

  static LimitSpec rate(long capacity, Duration period) {
    return LimitSpec.rate("rate-" + capacity + "-" + period, capacity, period);
  }

  static LimitSpec quota(long capacity, QuotaPeriod period, ZoneId zone) {
    return LimitSpec.quota("quota-" + capacity + "-" + period + "-" + zone, capacity, period, zone);
  }

  /** One rate and one quota of the same capacity, for behaviour both kinds share. */
  static Stream<Arguments> bothKinds() {
    return Stream.of(
        Arguments.of(LimitSpec.rate("tpm", 1000, Duration.ofMinutes(1))),
        Arguments.of(LimitSpec.quota("monthly", 1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC)));
  }

  static LimitCharge charge(LimitSpec limit, String key, long tokens) {
    return new LimitCharge(limit, key, tokens);
  }

  ReserveResult reserve(LimitCharge... charges) {
    return store.reserve(List.of(charges));
  }

  Reservation admitted(LimitCharge... charges) {
    ReserveResult result = reserve(charges);
    assertThat(result.admitted()).as("admitted %s", List.of(charges)).isTrue();
    return result.reservation();
  }

  /** The counter's tokens left, read with a zero-token charge (which takes nothing). */
  long remaining(LimitSpec limit, String key) {
    ReserveResult probe = reserve(charge(limit, key, 0));
    if (probe.admitted()) {
      store.settle(probe.reservation(), 0);
    }
    return probe.remaining().get(0);
  }

  // ---------------------------------------------------------------- reserve

  @Test
  void emptyChargeListIsAdmittedWithTheEmptyReservation() {
    ReserveResult result = store.reserve(List.of());

    assertThat(result.admitted()).isTrue();
    assertThat(result.reservation()).isEqualTo(Reservation.EMPTY);
    assertThat(result.remaining()).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("bothKinds")
  void reserveWithinCapacityAdmitsAndReportsRemainingAfterTheCharge(LimitSpec limit) {
    ReserveResult first = reserve(charge(limit, "alice", 300));
    ReserveResult second = reserve(charge(limit, "alice", 200));

    assertThat(first.admitted()).isTrue();
    assertThat(first.remaining()).containsExactly(700L);
    assertThat(second.admitted()).isTrue();
    assertThat(second.remaining()).containsExactly(500L);
    assertThat(second.reservation().charges()).containsExactly(charge(limit, "alice", 200));
  }

  @ParameterizedTest
  @MethodSource("bothKinds")
  void reserveOfTheWholeCapacityIsAdmittedAndOneMoreTokenIsNot(LimitSpec limit) {
    ReserveResult all = reserve(charge(limit, "alice", 1000));
    ReserveResult oneMore = reserve(charge(limit, "alice", 1));

    assertThat(all.admitted()).isTrue();
    assertThat(all.remaining()).containsExactly(0L);
    assertThat(oneMore.admitted()).isFalse();
    assertThat(oneMore.rejectedBy()).isEqualTo(charge(limit, "alice", 1));
    assertThat(oneMore.reservation()).isNull();
  }

  @ParameterizedTest
  @MethodSource("bothKinds")
  void countersAreKeptPerCounterKey(LimitSpec limit) {
    reserve(charge(limit, "alice", 1000));

    assertThat(remaining(limit, "alice")).isZero();
    assertThat(remaining(limit, "bob")).isEqualTo(1000);
  }

  @ParameterizedTest
  @MethodSource("bothKinds")
  void chargesNamingOneCounterTwiceMustFitTogether(LimitSpec limit) {
    ReserveResult tooMuch = reserve(charge(limit, "alice", 600), charge(limit, "alice", 600));

    assertThat(tooMuch.admitted()).as("600 + 600 of 1000").isFalse();
    assertThat(remaining(limit, "alice")).isEqualTo(1000);

    ReserveResult fits = reserve(charge(limit, "alice", 400), charge(limit, "alice", 500));

    assertThat(fits.admitted()).isTrue();
    assertThat(fits.remaining()).containsExactly(100L, 100L);
    assertThat(remaining(limit, "alice")).isEqualTo(100);

    store.settle(fits.reservation(), 300); // each charge settles to 300: 600 in all
    assertThat(remaining(limit, "alice")).isEqualTo(400);
  }

  @Test
  void countersAreKeptPerLimitIdEvenForTheSameKey() {
    LimitSpec a = LimitSpec.rate("a", 1000, Duration.ofMinutes(1));
    LimitSpec b = LimitSpec.rate("b", 1000, Duration.ofMinutes(1));

    reserve(charge(a, "alice", 600));

    assertThat(remaining(a, "alice")).isEqualTo(400);
    assertThat(remaining(b, "alice")).isEqualTo(1000);
  }

  @Test
  void rejectionBySecondLimitLeavesFirstLimitUnchanged() {
    LimitSpec rate = rate(1000, Duration.ofMinutes(1));
    LimitSpec quota = quota(100, QuotaPeriod.DAILY, ZoneOffset.UTC);
    LimitCharge rateCharge = charge(rate, "alice", 200);
    LimitCharge quotaCharge = charge(quota, "alice", 200);

    ReserveResult result = reserve(rateCharge, quotaCharge);

    assertThat(result.admitted()).isFalse();
    assertThat(result.rejectedBy()).isEqualTo(quotaCharge);
    assertThat(result.remaining()).containsExactly(1000L, 100L);
    assertThat(remaining(rate, "alice")).isEqualTo(1000);
    assertThat(remaining(quota, "alice")).isEqualTo(100);
  }

  @Test
  void rejectionByFirstLimitLeavesSecondLimitUnchanged() {
    LimitSpec small = rate(100, Duration.ofMinutes(1));
    LimitSpec large = rate(1000, Duration.ofMinutes(1));
    LimitCharge smallCharge = charge(small, "alice", 200);

    ReserveResult result = reserve(smallCharge, charge(large, "alice", 200));

    assertThat(result.rejectedBy()).isEqualTo(smallCharge);
    assertThat(remaining(small, "alice")).isEqualTo(100);
    assertThat(remaining(large, "alice")).isEqualTo(1000);
  }

  @Test
  void admissionAcrossTwoLimitsTakesFromBothAndRecordsEachWindow() {
    LimitSpec rate = rate(1000, Duration.ofMinutes(1));
    LimitSpec quota = quota(5000, QuotaPeriod.DAILY, ZoneOffset.UTC);

    ReserveResult result = reserve(charge(rate, "alice", 300), charge(quota, "alice", 300));

    assertThat(result.admitted()).isTrue();
    assertThat(result.remaining()).containsExactly(700L, 4700L);
    assertThat(result.reservation().windowStarts())
        .containsExactly(0L, Instant.parse("2025-01-15T00:00:00Z").toEpochMilli());
  }

  // ---------------------------------------------------------------- zero-token charges

  @ParameterizedTest
  @MethodSource("bothKinds")
  void zeroTokenChargeIsAdmittedWhileOneTokenIsLeft(LimitSpec limit) {
    reserve(charge(limit, "alice", 999));

    ReserveResult result = reserve(charge(limit, "alice", 0));

    assertThat(result.admitted()).isTrue();
    assertThat(result.remaining()).containsExactly(1L);
  }

  @ParameterizedTest
  @MethodSource("bothKinds")
  void zeroTokenChargeIsRejectedWhenTheCounterIsExactlySpent(LimitSpec limit) {
    reserve(charge(limit, "alice", 1000));

    ReserveResult result = reserve(charge(limit, "alice", 0));

    assertThat(result.admitted()).isFalse();
    assertThat(result.remaining()).containsExactly(0L);
  }

  @ParameterizedTest
  @MethodSource("bothKinds")
  void zeroTokenChargeIsRejectedWhenTheCounterIsOverdrawn(LimitSpec limit) {
    Reservation reservation = admitted(charge(limit, "alice", 1000));
    store.settle(reservation, 1200);

    ReserveResult result = reserve(charge(limit, "alice", 0));

    assertThat(result.admitted()).isFalse();
    assertThat(result.remaining()).containsExactly(-200L);
  }

  // ---------------------------------------------------------------- settlement

  @ParameterizedTest
  @MethodSource("bothKinds")
  void settlingAboveTheReservationChargesTheDifference(LimitSpec limit) {
    Reservation reservation = admitted(charge(limit, "alice", 100));

    store.settle(reservation, 250);

    assertThat(remaining(limit, "alice")).isEqualTo(750);
  }

  @ParameterizedTest
  @MethodSource("bothKinds")
  void settlingBeyondCapacityOverdrawsTheCounter(LimitSpec limit) {
    Reservation reservation = admitted(charge(limit, "alice", 900));

    store.settle(reservation, 1300);

    assertThat(remaining(limit, "alice")).isEqualTo(-300);
  }

  @ParameterizedTest
  @MethodSource("bothKinds")
  void settlingBelowTheReservationRefundsTheDifference(LimitSpec limit) {
    Reservation reservation = admitted(charge(limit, "alice", 500));

    store.settle(reservation, 200);

    assertThat(remaining(limit, "alice")).isEqualTo(800);
  }

  @ParameterizedTest
  @MethodSource("bothKinds")
  void settlingToZeroRefundsTheWholeReservation(LimitSpec limit) {
    Reservation reservation = admitted(charge(limit, "alice", 500));

    store.settle(reservation, 0);

    assertThat(remaining(limit, "alice")).isEqualTo(1000);
  }

  // ---------------------------------------------------------------- the bound: Usage.MAX_TOKENS

  /** A rate and a quota that hold three times the most a call is charged. */
  static Stream<Arguments> bothKindsHoldingThreeCalls() {
    return Stream.of(
        Arguments.of(LimitSpec.rate("wide-rate", 3 * Usage.MAX_TOKENS, Duration.ofHours(1))),
        Arguments.of(LimitSpec.quota("wide-quota", 3 * Usage.MAX_TOKENS, QuotaPeriod.MONTHLY,
            ZoneOffset.UTC)));
  }

  @ParameterizedTest
  @MethodSource("bothKindsHoldingThreeCalls")
  void chargesOfMaxTokensOnOneCounterAreTakenTogether(LimitSpec limit) {
    admitted(charge(limit, "alice", Usage.MAX_TOKENS), charge(limit, "alice", Usage.MAX_TOKENS));

    assertThat(remaining(limit, "alice")).isEqualTo(Usage.MAX_TOKENS);
  }

  @ParameterizedTest
  @MethodSource("bothKinds")
  void settlementsOfMaxTokensOverdrawTheCounterWithoutFailing(LimitSpec limit) {
    List<Reservation> inFlight = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      inFlight.add(admitted(charge(limit, "alice", 0)));
    }

    for (Reservation reservation : inFlight) {
      store.settle(reservation, Usage.MAX_TOKENS);
    }

    ReserveResult after = reserve(charge(limit, "alice", 0));
    assertThat(after.admitted()).isFalse();
    assertThat(after.remaining().get(0)).isNegative();
    assertThat(after.retryAfter()).isPositive();
  }

  @ParameterizedTest
  @MethodSource("bothKinds")
  void settlingAZeroTokenReservationChargesWhatWasUsed(LimitSpec limit) {
    Reservation reservation = admitted(charge(limit, "alice", 0));

    store.settle(reservation, 40);

    assertThat(remaining(limit, "alice")).isEqualTo(960);
  }

  @Test
  void refundNeverLiftsARateAboveItsCapacity() {
    LimitSpec limit = rate(1000, Duration.ofMinutes(1));
    Reservation reservation = admitted(charge(limit, "alice", 500));
    clock.advance(Duration.ofMinutes(1)); // the bucket is full again

    store.settle(reservation, 0);

    assertThat(remaining(limit, "alice")).isEqualTo(1000);
  }

  @Test
  void settlementAppliesToEveryChargeOfTheReservation() {
    LimitSpec rate = rate(1000, Duration.ofMinutes(1));
    LimitSpec quota = quota(5000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    Reservation reservation = admitted(charge(rate, "alice", 300), charge(quota, "alice", 300));

    store.settle(reservation, 120);

    assertThat(remaining(rate, "alice")).isEqualTo(880);
    assertThat(remaining(quota, "alice")).isEqualTo(4880);
  }

  @Test
  void settlementMovesEachChargeByItsOwnReservedTokens() {
    LimitSpec a = rate(1000, Duration.ofMinutes(1));
    LimitSpec b = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    Reservation reservation = admitted(charge(a, "alice", 100), charge(b, "alice", 0));

    store.settle(reservation, 60);

    assertThat(remaining(a, "alice")).isEqualTo(940);
    assertThat(remaining(b, "alice")).isEqualTo(940);
  }

  // ---------------------------------------------------------------- rate refill

  @ParameterizedTest(name = "after {0} s: {1} left")
  @CsvSource({
      "0, 0",
      "1, 10",
      "6, 60",
      "30, 300",
      "45, 450",
      "60, 600",
      "61, 600",
      "3600, 600"})
  void rateRefillsContinuouslyAndNeverAboveCapacity(long seconds, long expected) {
    LimitSpec limit = rate(600, Duration.ofMinutes(1)); // 10 tokens per second
    reserve(charge(limit, "alice", 600));

    clock.advance(Duration.ofSeconds(seconds));

    assertThat(remaining(limit, "alice")).isEqualTo(expected);
  }

  @Test
  void halfAPeriodRefillsHalfTheCapacity() {
    LimitSpec limit = rate(20_000, Duration.ofMinutes(1));
    reserve(charge(limit, "alice", 20_000));

    clock.advance(Duration.ofSeconds(30));

    assertThat(remaining(limit, "alice")).isEqualTo(10_000);
  }

  @Test
  void refillAccumulatesAcrossManySmallSteps() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1)); // one token per 100 ms
    reserve(charge(limit, "alice", 600));

    for (int i = 0; i < 300; i++) {
      clock.advance(Duration.ofMillis(50)); // half a token each step
      remaining(limit, "alice");
    }

    assertThat(remaining(limit, "alice")).isEqualTo(150);
  }

  @Test
  void overdrawnRateRefillsFromBelowZero() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1));
    store.settle(admitted(charge(limit, "alice", 600)), 900); // -300

    clock.advance(Duration.ofSeconds(40)); // +400

    assertThat(remaining(limit, "alice")).isEqualTo(100);
  }

  @Test
  void rateAdmitsAgainOnceEnoughHasRefilled() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1));
    reserve(charge(limit, "alice", 600));
    clock.advance(Duration.ofSeconds(10));

    ReserveResult result = reserve(charge(limit, "alice", 100));

    assertThat(result.admitted()).isTrue();
    assertThat(result.remaining()).containsExactly(0L);
  }

  // ---------------------------------------------------------------- retry after

  @Test
  void rateRetryAfterIsTheTimeToRefillTheDeficit() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1)); // 10 tokens per second
    reserve(charge(limit, "alice", 550)); // 50 left

    ReserveResult result = reserve(charge(limit, "alice", 100)); // 50 short

    assertThat(result.admitted()).isFalse();
    assertThat(result.retryAfter()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void rateRetryAfterIncludesTheOverdraft() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1));
    store.settle(admitted(charge(limit, "alice", 600)), 800); // -200

    ReserveResult result = reserve(charge(limit, "alice", 100)); // 300 short

    assertThat(result.retryAfter()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void rateRetryAfterForAZeroTokenChargeIsTheTimeToRefillOneToken() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1));
    reserve(charge(limit, "alice", 600));

    ReserveResult result = reserve(charge(limit, "alice", 0));

    assertThat(result.retryAfter()).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void rateAdmitsExactlyWhenItsRetryAfterHasPassed() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1));
    reserve(charge(limit, "alice", 580));
    Duration retryAfter = reserve(charge(limit, "alice", 100)).retryAfter(); // 80 short: 8 s

    clock.advance(retryAfter.minusMillis(1));
    boolean admittedEarly = reserve(charge(limit, "alice", 100)).admitted();
    clock.advance(Duration.ofMillis(1));
    boolean admittedOnTime = reserve(charge(limit, "alice", 100)).admitted();

    assertThat(retryAfter).isEqualTo(Duration.ofSeconds(8));
    assertThat(admittedEarly).isFalse();
    assertThat(admittedOnTime).isTrue();
  }

  // ---------------------------------------------------------------- quota windows

  static Stream<Arguments> quotaWindows() {
    return Stream.of(
        // period, zone, a time in the window, the next window's start
        Arguments.of(QuotaPeriod.MONTHLY, "UTC",
            "2025-01-15T10:00:00Z", "2025-02-01T00:00:00Z"),
        Arguments.of(QuotaPeriod.MONTHLY, "UTC",
            "2024-12-31T23:00:00Z", "2025-01-01T00:00:00Z"),
        Arguments.of(QuotaPeriod.MONTHLY, "Europe/Berlin",
            "2025-03-15T10:00:00Z", "2025-03-31T22:00:00Z"), // April 1st, 00:00 CEST
        Arguments.of(QuotaPeriod.MONTHLY, "America/New_York",
            "2025-11-15T12:00:00Z", "2025-12-01T05:00:00Z"), // 00:00 EST
        Arguments.of(QuotaPeriod.WEEKLY, "UTC",
            "2025-01-15T10:00:00Z", "2025-01-20T00:00:00Z"), // Wednesday -> Monday
        Arguments.of(QuotaPeriod.WEEKLY, "Europe/Berlin",
            "2025-01-15T10:00:00Z", "2025-01-19T23:00:00Z"), // Monday 00:00 CET
        Arguments.of(QuotaPeriod.WEEKLY, "Asia/Kolkata",
            "2025-01-19T18:00:00Z", "2025-01-19T18:30:00Z"), // Monday 00:00 IST
        Arguments.of(QuotaPeriod.DAILY, "Europe/Berlin",
            "2025-03-30T12:00:00Z", "2025-03-30T22:00:00Z"), // a 23-hour day
        Arguments.of(QuotaPeriod.HOURLY, "UTC",
            "2025-01-15T10:59:00Z", "2025-01-15T11:00:00Z"),
        Arguments.of(QuotaPeriod.YEARLY, "Europe/Berlin",
            "2025-06-01T00:00:00Z", "2025-12-31T23:00:00Z"));
  }

  @ParameterizedTest(name = "{0} in {1} at {2}")
  @MethodSource("quotaWindows")
  void spentQuotaRejectsWithRetryAfterUntilTheWindowEnd(
      QuotaPeriod period, String zone, String now, String nextStart) {
    clock.set(Instant.parse(now));
    LimitSpec limit = quota(1000, period, ZoneId.of(zone));
    reserve(charge(limit, "alice", 1000));

    ReserveResult result = reserve(charge(limit, "alice", 1));

    assertThat(result.admitted()).isFalse();
    assertThat(result.retryAfter())
        .isEqualTo(Duration.between(Instant.parse(now), Instant.parse(nextStart)));
  }

  @ParameterizedTest(name = "{0} in {1} at {2}")
  @MethodSource("quotaWindows")
  void spentQuotaStillRejectsOneMillisecondBeforeTheNextPeriod(
      QuotaPeriod period, String zone, String now, String nextStart) {
    clock.set(Instant.parse(now));
    LimitSpec limit = quota(1000, period, ZoneId.of(zone));
    reserve(charge(limit, "alice", 1000));

    clock.set(Instant.parse(nextStart).minusMillis(1));
    ReserveResult result = reserve(charge(limit, "alice", 1));

    assertThat(result.admitted()).isFalse();
    assertThat(result.retryAfter()).isEqualTo(Duration.ofMillis(1));
  }

  @ParameterizedTest(name = "{0} in {1} at {2}")
  @MethodSource("quotaWindows")
  void spentQuotaResetsExactlyAtTheNextPeriodStart(
      QuotaPeriod period, String zone, String now, String nextStart) {
    clock.set(Instant.parse(now));
    LimitSpec limit = quota(1000, period, ZoneId.of(zone));
    reserve(charge(limit, "alice", 1000));

    clock.set(Instant.parse(nextStart));
    ReserveResult result = reserve(charge(limit, "alice", 1000));

    assertThat(result.admitted()).isTrue();
    assertThat(result.remaining()).containsExactly(0L);
    assertThat(result.reservation().windowStarts())
        .containsExactly(Instant.parse(nextStart).toEpochMilli());
  }

  @Test
  void spentHourlyQuotaStaysSpentInTheRepeatedHalfHourOfAHalfHourDstZone() {
    clock.set(Instant.parse("2025-04-05T15:05:00Z")); // 01:35 +10:30, the second time round
    LimitSpec limit = quota(100, QuotaPeriod.HOURLY, ZoneId.of("Australia/Lord_Howe"));
    reserve(charge(limit, "alice", 100));

    clock.set(Instant.parse("2025-04-05T15:10:00Z"));
    ReserveResult result = reserve(charge(limit, "alice", 1));

    assertThat(result.admitted()).isFalse();
  }

  @Test
  void overdrawnQuotaResetsAtTheNextPeriodStart() {
    LimitSpec limit = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    store.settle(admitted(charge(limit, "alice", 1000)), 5000);

    clock.set(Instant.parse("2025-01-16T00:00:00Z"));

    assertThat(remaining(limit, "alice")).isEqualTo(1000);
  }

  @Test
  void quotaDoesNotRefillWithinItsWindow() {
    LimitSpec limit = quota(1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    reserve(charge(limit, "alice", 1000));

    clock.set(Instant.parse("2025-01-31T23:00:00Z"));

    assertThat(remaining(limit, "alice")).isZero();
  }

  // ---------------------------------------------------------------- settlement across windows

  @Test
  void refundAfterTheQuotaWindowRolledOverIsDropped() {
    LimitSpec limit = quota(1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    Reservation january = admitted(charge(limit, "alice", 400));
    clock.set(Instant.parse("2025-02-01T00:00:00Z"));
    reserve(charge(limit, "alice", 100)); // February: 900 left

    store.settle(january, 100); // would refund 300 to January, which has ended

    assertThat(remaining(limit, "alice")).isEqualTo(900);
  }

  @Test
  void overrunAfterTheQuotaWindowRolledOverIsChargedToTheCurrentWindow() {
    LimitSpec limit = quota(1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    Reservation january = admitted(charge(limit, "alice", 400));
    clock.set(Instant.parse("2025-02-01T00:00:00Z"));
    reserve(charge(limit, "alice", 100)); // February: 900 left

    store.settle(january, 600); // 200 more than reserved

    assertThat(remaining(limit, "alice")).isEqualTo(700);
  }

  @Test
  void overrunAfterRolloverIsChargedEvenWhenNothingWasReservedInTheCurrentWindow() {
    LimitSpec limit = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    Reservation yesterday = admitted(charge(limit, "alice", 400));
    clock.set(Instant.parse("2025-01-16T08:00:00Z"));

    store.settle(yesterday, 700);

    assertThat(remaining(limit, "alice")).isEqualTo(700);
  }

  @Test
  void settlementAfterRolloverDoesNotTouchTheRateOfTheSameReservation() {
    LimitSpec rate = rate(600, Duration.ofHours(1)); // slow refill: 10 per minute
    LimitSpec quota = quota(1000, QuotaPeriod.HOURLY, ZoneOffset.UTC);
    clock.set(Instant.parse("2025-01-15T10:59:00Z"));
    Reservation reservation = admitted(charge(rate, "alice", 300), charge(quota, "alice", 300));
    clock.set(Instant.parse("2025-01-15T11:00:00Z")); // rate refilled 10, quota rolled over

    store.settle(reservation, 100);

    assertThat(remaining(rate, "alice")).isEqualTo(510); // 300 + 10 + 200 refunded
    assertThat(remaining(quota, "alice")).isEqualTo(1000); // refund to the old hour dropped
  }

  // ---------------------------------------------------------------- concurrency

  @ParameterizedTest
  @MethodSource("bothKinds")
  void sixtyFourThreadsOnOneKeyAdmitExactlyWhatTheCapacityHolds(LimitSpec limit)
      throws Exception {
    int threads = 64;
    int attemptsPerThread = 50;
    AtomicInteger admissions = new AtomicInteger();
    runConcurrently(threads, thread -> {
      for (int i = 0; i < attemptsPerThread; i++) {
        if (store.reserve(List.of(charge(limit, "shared", 10))).admitted()) {
          admissions.incrementAndGet();
        }
      }
    });

    assertThat(admissions.get()).isEqualTo(100); // 1000 / 10, the clock is frozen
    assertThat(remaining(limit, "shared")).isZero();
  }

  @Test
  void concurrentReserveAndSettleOnOverlappingLimitsInAnyOrderNeitherDeadlocksNorLeaks()
      throws Exception {
    List<LimitSpec> limits = List.of(
        LimitSpec.rate("r1", 100, Duration.ofMinutes(1)),
        LimitSpec.rate("r2", 100, Duration.ofHours(1)),
        LimitSpec.quota("q1", 100, QuotaPeriod.DAILY, ZoneOffset.UTC),
        LimitSpec.quota("q2", 100, QuotaPeriod.MONTHLY, ZoneId.of("Europe/Berlin")));
    List<String> keys = List.of("alice", "bob");
    AtomicInteger admissions = new AtomicInteger();

    runConcurrently(16, thread -> {
      SplittableRandom random = new SplittableRandom(thread);
      for (int i = 0; i < 2000; i++) {
        // Two to four distinct limits, in a random order, on one of two keys each.
        List<LimitCharge> charges = new ArrayList<>();
        List<LimitSpec> shuffled = new ArrayList<>(limits);
        Collections.shuffle(shuffled, new Random(random.nextLong()));
        int count = 2 + random.nextInt(3);
        for (LimitSpec limit : shuffled.subList(0, count)) {
          charges.add(charge(limit, keys.get(random.nextInt(keys.size())), 1 + random.nextInt(9)));
        }
        ReserveResult result = store.reserve(charges);
        if (result.admitted()) {
          admissions.incrementAndGet();
          store.settle(result.reservation(), 0); // refund everything
        }
      }
    });

    assertThat(admissions.get()).isPositive();
    for (LimitSpec limit : limits) {
      for (String key : keys) {
        assertThat(remaining(limit, key)).as("%s/%s", limit.id(), key).isEqualTo(100);
      }
    }
  }

  /** Runs {@code body} on {@code threads} threads started together; fails after 20 seconds. */
  static void runConcurrently(int threads, ThreadBody body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads, runnable -> {
      Thread thread = new Thread(runnable, "store-contract");
      thread.setDaemon(true); // a deadlocked worker must not keep the JVM alive
      return thread;
    });
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          start.await();
          body.run(thread);
          return null;
        }));
      }
      start.countDown();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      for (Future<?> future : futures) {
        future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @FunctionalInterface
  interface ThreadBody {
    void run(int thread) throws Exception;
  }
}
