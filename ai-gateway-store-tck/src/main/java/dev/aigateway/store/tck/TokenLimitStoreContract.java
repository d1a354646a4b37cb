package dev.aigateway.store.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CounterId;
import dev.aigateway.api.spi.CounterReading;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.LimitSpec.Unit;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour every {@link TokenLimitStore} must show, as its javadoc states it: all-or-none
 * reservation across rates, quotas and in-flight limits of tokens and requests, exact settlement
 * per charge, settling once, refusing foreign reservations, refill and calendar windows, no
 * overflow, and no over-admission under concurrency.
 *
 * <p>To run it against a store, extend it in the store's tests and give the suite a fresh store and
 * a way to move that store's time:
 *
 * <pre>{@code
 * class MyTokenLimitStoreTest extends TokenLimitStoreContract {
 *   private ManualClock clock;                       // any Clock the test can move
 *
 *   @Override
 *   protected TokenLimitStore newStore(Instant start) {
 *     clock = new ManualClock(start);
 *     return new MyTokenLimitStore(clock);           // empty: no counters of earlier tests
 *   }
 *
 *   @Override
 *   protected TimeControl time() {
 *     return clock::advance;                         // or TimeControl.NONE, see below
 *   }
 * }
 * }</pre>
 *
 * A store that reads its time from somewhere a test cannot move (a Redis server's clock, as {@code
 * RedisTokenLimitStore} does) returns {@link TimeControl#NONE} from {@link #time()}: the tests
 * marked {@link NeedsTimeControl} (refill, waits, calendar windows) are then skipped, and the rest
 * still run on real time. Their rates refill one unit a minute or slower, so a test that takes
 * milliseconds sees none of it. A subclass may add its own tests, using the helpers here ({@link
 * #reserve}, {@link #settle}, {@link #remaining}, {@link #advance}, {@link #setTime}).
 */
public abstract class TokenLimitStoreContract {

  /** When each test starts, for a store whose time is controlled: a Wednesday, 10:00 UTC. */
  protected static final Instant START = Instant.parse("2025-01-15T10:00:00Z");

  /** A refill period slow enough that a test on real time sees no refill of 1,000 units. */
  protected static final Duration SLOW = Duration.ofDays(1);

  /** The store under test, fresh for every test. */
  protected TokenLimitStore store;

  private TimeControl time;
  private Instant now;

  /**
   * A fresh, empty store: no counters of other tests. Its time is {@code start} and stands still
   * until {@link #time()} moves it; a store whose time cannot be controlled ignores {@code start}.
   */
  protected abstract TokenLimitStore newStore(Instant start);

  /**
   * How to move the time of the store {@link #newStore} just made; called right after it. {@link
   * TimeControl#NONE} skips the tests that need time control.
   */
  protected abstract TimeControl time();

  /**
   * Whether the store names the refusing limit as the built-in stores do when several refuse a
   * call: by precedence (a spent quota, a busy rate, a full in-flight limit), among equals the one
   * with the longest wait. {@link ReserveResult}'s contract asks only that a refusing limit be
   * named with the longest wait; false (the default) checks only that.
   */
  protected boolean namesLimitsAsTheBuiltInStores() {
    return false;
  }

  @BeforeEach
  void createStore(TestInfo test) {
    now = START;
    store = newStore(START);
    time = time();
    Suites.skipWithoutTimeControl(time, test);
  }

  // ---------------------------------------------------------------- helpers

  /** Moves the store's time on. */
  protected void advance(Duration duration) {
    time.advance(duration);
    now = now.plus(duration);
  }

  /** Puts the store's time at {@code instant}, later or earlier than now. */
  protected void setTime(Instant instant) {
    advance(Duration.between(now, instant));
  }

  /** A token rate with an id unique to its settings. */
  protected static LimitSpec rate(long capacity, Duration period) {
    return LimitSpec.rate("rate-" + capacity + "-" + period, capacity, period);
  }

  /** A token quota with an id unique to its settings. */
  protected static LimitSpec quota(long capacity, QuotaPeriod period, ZoneId zone) {
    return LimitSpec.quota("quota-" + capacity + "-" + period + "-" + zone, capacity, period, zone);
  }

  /** An in-flight limit with an id unique to its capacity. */
  protected static LimitSpec inFlight(long capacity) {
    return LimitSpec.inFlight("in-flight-" + capacity, capacity);
  }

  /**
   * A rate and a quota of tokens, and of requests, each of 1,000 units: for the behaviour every
   * counter that counts units shares.
   */
  static Stream<Arguments> countingLimits() {
    return Stream.of(
        Arguments.of(LimitSpec.rate("tokens-per-day", 1000, SLOW)),
        Arguments.of(LimitSpec.quota("tokens-monthly", 1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC)),
        Arguments.of(LimitSpec.rate("requests-per-day", Unit.REQUESTS, 1000, SLOW)),
        Arguments.of(
            LimitSpec.quota(
                "requests-monthly", Unit.REQUESTS, 1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC)));
  }

  protected static LimitCharge charge(LimitSpec limit, String key, long amount) {
    return new LimitCharge(limit, key, amount);
  }

  /** Reserves the charges. */
  protected ReserveResult reserve(LimitCharge... charges) {
    return store.reserve(List.of(charges));
  }

  /** Reserves the charges and asserts they were admitted. */
  protected Reservation admitted(LimitCharge... charges) {
    ReserveResult result = reserve(charges);
    assertThat(result.admitted()).as("admitted %s", List.of(charges)).isTrue();
    return result.reservation();
  }

  /** Settles with one actual amount per charge. */
  protected void settle(Reservation reservation, long... actual) {
    store.settle(reservation, actual);
  }

  /**
   * The units a counter has left, read with a zero-amount charge (which takes nothing); for an
   * in-flight limit, its free slots.
   */
  protected long remaining(LimitSpec limit, String key) {
    boolean slot = limit.kind() == LimitSpec.Kind.IN_FLIGHT;
    ReserveResult probe = reserve(charge(limit, key, slot ? 1 : 0));
    if (!probe.admitted()) {
      return probe.remaining().get(0);
    }
    settle(probe.reservation(), 0);
    return probe.remaining().get(0) + (slot ? 1 : 0);
  }

  /**
   * The units each of {@code limits} has left for {@code key}, in order; see {@link #remaining}.
   */
  protected List<Long> remaining(String key, LimitSpec... limits) {
    List<Long> left = new ArrayList<>();
    for (LimitSpec limit : limits) {
      left.add(remaining(limit, key));
    }
    return left;
  }

  /** Asserts that {@code result} admitted its charges and left {@code remaining} of each. */
  protected static void assertAdmitted(ReserveResult result, long... remaining) {
    assertThat(result.admitted()).as("admitted").isTrue();
    assertThat(result.remaining()).as("remaining").containsExactly(box(remaining));
  }

  /** Asserts that {@code result} was rejected with {@code remaining} left of each charge. */
  protected static void assertRejected(ReserveResult result, long... remaining) {
    assertThat(result.admitted()).as("admitted").isFalse();
    assertThat(result.remaining()).as("remaining").containsExactly(box(remaining));
  }

  private static Long[] box(long[] values) {
    return Arrays.stream(values).boxed().toArray(Long[]::new);
  }

  /**
   * Reads counters with {@link TokenLimitStore#peek}; skips the test (a JUnit assumption) for a
   * store that does not implement it, since the method is optional.
   */
  protected List<CounterReading> peek(CounterId... counters) {
    try {
      return store.peek(List.of(counters));
    } catch (UnsupportedOperationException optional) {
      Assumptions.abort("the store does not implement peek: " + optional.getMessage());
      throw optional; // not reached
    }
  }

  /** Reads one counter with {@link #peek}. */
  protected CounterReading peek(LimitSpec limit, String key) {
    return peek(new CounterId(limit, key)).get(0);
  }

  /**
   * Each row for each of the {@link #countingLimits}: the row's first value (what the case is), the
   * limit, then the rest of the row.
   */
  static Stream<Arguments> forEachCountingLimit(Object[]... rows) {
    return countingLimits()
        .flatMap(
            limit ->
                Stream.of(rows)
                    .map(
                        row -> {
                          Object[] arguments = new Object[row.length + 1];
                          arguments[0] = row[0];
                          arguments[1] = limit.get()[0];
                          System.arraycopy(row, 1, arguments, 2, row.length - 1);
                          return Arguments.of(arguments);
                        }));
  }

  private static Object[] row(Object... values) {
    return values;
  }

  // ---------------------------------------------------------------- reserve

  @Test
  void emptyChargeListIsAdmittedWithTheEmptyReservation() {
    ReserveResult result = store.reserve(List.of());

    assertThat(result.admitted()).isTrue();
    assertThat(result.reservation()).isSameAs(Reservation.EMPTY);
    assertThat(result.remaining()).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("countingLimits")
  void reserveWithinCapacityAdmitsAndReportsRemainingAfterTheCharge(LimitSpec limit) {
    ReserveResult first = reserve(charge(limit, "alice", 300));
    ReserveResult second = reserve(charge(limit, "alice", 200));

    assertAdmitted(first, 700);
    assertAdmitted(second, 500);
    assertThat(second.reservation().charges()).containsExactly(charge(limit, "alice", 200));
  }

  @ParameterizedTest
  @MethodSource("countingLimits")
  void reserveOfTheWholeCapacityIsAdmittedAndOneMoreUnitIsNot(LimitSpec limit) {
    ReserveResult all = reserve(charge(limit, "alice", 1000));
    ReserveResult oneMore = reserve(charge(limit, "alice", 1));

    assertAdmitted(all, 0);
    assertThat(oneMore.admitted()).isFalse();
    assertThat(oneMore.rejectedBy()).isEqualTo(charge(limit, "alice", 1));
    assertThat(oneMore.reservation()).isNull();
  }

  @ParameterizedTest
  @MethodSource("countingLimits")
  void countersAreKeptPerCounterKey(LimitSpec limit) {
    reserve(charge(limit, "alice", 1000));

    assertThat(remaining(limit, "alice")).isZero();
    assertThat(remaining(limit, "bob")).isEqualTo(1000);
  }

  /**
   * Counter keys are the application's strings (a consumer id, a model name, any resolver's value):
   * separators, braces, spaces, any script, a very long key, and strings that are not well-formed
   * UTF-16 (an unpaired surrogate, which a text encoding would replace with '?') each name a
   * counter of their own.
   */
  @ParameterizedTest
  @MethodSource("countingLimits")
  void countersAreKeptPerCounterKeyWhateverItsCharacters(LimitSpec limit) {
    List<String> keys =
        List.of(
            "a?",
            "a\ud800",
            "a\udc00",
            "a\ud800\udc00",
            "a:b",
            "a",
            "{a}",
            "a b",
            "\u00e5l\u00efce \u2603",
            "x".repeat(10_000));
    for (int i = 0; i < keys.size(); i++) {
      admitted(charge(limit, keys.get(i), 10 * (i + 1)));
    }

    for (int i = 0; i < keys.size(); i++) {
      assertThat(remaining(limit, keys.get(i)))
          .as("counter of key %d", i)
          .isEqualTo(1000 - 10 * (i + 1));
    }
  }

  @ParameterizedTest
  @MethodSource("countingLimits")
  void chargesNamingOneCounterTwiceMustFitTogether(LimitSpec limit) {
    ReserveResult tooMuch = reserve(charge(limit, "alice", 600), charge(limit, "alice", 600));

    assertThat(tooMuch.admitted()).as("600 + 600 of 1000").isFalse();
    assertThat(remaining(limit, "alice")).isEqualTo(1000);

    ReserveResult fits = reserve(charge(limit, "alice", 400), charge(limit, "alice", 500));

    assertAdmitted(fits, 100, 100);
    assertThat(remaining(limit, "alice")).isEqualTo(100);

    settle(fits.reservation(), 300, 300); // each charge settles to 300: 600 in all
    assertThat(remaining(limit, "alice")).isEqualTo(400);
  }

  @Test
  void countersAreKeptPerLimitIdEvenForTheSameKey() {
    LimitSpec a = LimitSpec.rate("a", 1000, SLOW);
    LimitSpec b = LimitSpec.rate("b", 1000, SLOW);

    reserve(charge(a, "alice", 600));

    assertThat(remaining("alice", a, b)).containsExactly(400L, 1000L);
  }

  /**
   * Two gateways sharing a store may configure one limit id differently (a quota moved to another
   * zone or period, one service counting tokens where another counts requests). A quota counts in
   * the windows of its period and zone, and in its unit: quotas that differ in any of these are
   * counters of their own, so that neither resets nor spends the other's.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("quotasOfOneIdCountingOtherThings")
  void quotasOfOneIdAreKeptApartByZonePeriodAndUnit(String what, LimitSpec other) {
    LimitSpec daily = LimitSpec.quota("team/quota", 1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    admitted(charge(daily, "alice", 600));

    admitted(charge(other, "alice", 300));

    assertThat(remaining(daily, "alice")).as("the UTC daily token quota").isEqualTo(400);
    assertThat(remaining(other, "alice")).as(what).isEqualTo(700);
  }

  /**
   * A rate of tokens and a rate of requests of one id (two gateways sharing a store, one counting
   * tokens where the other counts requests) count different things: counters of their own.
   */
  @Test
  void ratesOfOneIdAreKeptApartByUnit() {
    LimitSpec tokens = LimitSpec.rate("team/rate", 1000, SLOW);
    LimitSpec requests = LimitSpec.rate("team/rate", Unit.REQUESTS, 1000, SLOW);
    admitted(charge(tokens, "alice", 600));

    admitted(charge(requests, "alice", 300));

    assertThat(remaining("alice", tokens, requests)).containsExactly(400L, 700L);
  }

  static Stream<Arguments> quotasOfOneIdCountingOtherThings() {
    return Stream.of(
        Arguments.of(
            "daily in Asia/Tokyo",
            LimitSpec.quota("team/quota", 1000, QuotaPeriod.DAILY, ZoneId.of("Asia/Tokyo"))),
        Arguments.of(
            "monthly in UTC",
            LimitSpec.quota("team/quota", 1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC)),
        Arguments.of(
            "daily requests in UTC",
            LimitSpec.quota("team/quota", Unit.REQUESTS, 1000, QuotaPeriod.DAILY, ZoneOffset.UTC)));
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
    assertThat(remaining("alice", rate, quota)).containsExactly(1000L, 100L);
  }

  @Test
  void rejectionByFirstLimitLeavesSecondLimitUnchanged() {
    LimitSpec small = rate(100, Duration.ofMinutes(1));
    LimitSpec large = rate(1000, Duration.ofMinutes(1));
    LimitCharge smallCharge = charge(small, "alice", 200);

    ReserveResult result = reserve(smallCharge, charge(large, "alice", 200));

    assertThat(result.rejectedBy()).isEqualTo(smallCharge);
    assertThat(remaining("alice", small, large)).containsExactly(100L, 1000L);
  }

  @Test
  void admissionAcrossTwoLimitsTakesFromBoth() {
    LimitSpec rate = rate(1000, SLOW);
    LimitSpec quota = quota(5000, QuotaPeriod.DAILY, ZoneOffset.UTC);

    ReserveResult result = reserve(charge(rate, "alice", 300), charge(quota, "alice", 300));

    assertAdmitted(result, 700, 4700);
    assertThat(remaining("alice", rate, quota)).containsExactly(700L, 4700L);
  }

  @Test
  void reservationListsItsChargesInTheOrderGiven() {
    List<LimitCharge> charges =
        List.of(
            charge(quota(5000, QuotaPeriod.DAILY, ZoneOffset.UTC), "alice", 300),
            charge(inFlight(4), "alice", 1),
            charge(LimitSpec.rate("rpm", Unit.REQUESTS, 60, SLOW), "alice", 1),
            charge(rate(1000, SLOW), "bob", 300));

    Reservation reservation = store.reserve(charges).reservation();

    assertThat(reservation.charges()).containsExactlyElementsOf(charges);
  }

  @Test
  void reservedTokensIsTheLargestChargeOfALimitThatCountsTokens() {
    Reservation reservation =
        admitted(
            charge(rate(1000, SLOW), "alice", 300),
            charge(quota(5000, QuotaPeriod.DAILY, ZoneOffset.UTC), "alice", 450),
            charge(LimitSpec.rate("rpm", Unit.REQUESTS, 600, SLOW), "alice", 500),
            charge(inFlight(4), "alice", 1));

    assertThat(reservation.reservedTokens()).isEqualTo(450);
  }

  // ---------------------------------------------------------------- zero-amount charges

  /** A counter taken to the second value and settled to the third, before a zero-amount charge. */
  static Stream<Arguments> zeroAmountCharges() {
    return forEachCountingLimit(
        row("admitted while one unit is left", 999L, 999L, true, 1L),
        row("rejected when the counter is exactly spent", 1000L, 1000L, false, 0L),
        row("rejected when the counter is overdrawn", 1000L, 1200L, false, -200L));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("zeroAmountCharges")
  void zeroAmountChargeIsAdmittedOnlyWhileAUnitIsLeft(
      String when, LimitSpec limit, long reserved, long used, boolean admitted, long left) {
    settle(admitted(charge(limit, "alice", reserved)), used);

    ReserveResult result = reserve(charge(limit, "alice", 0));

    assertThat(result.admitted()).isEqualTo(admitted);
    assertThat(result.remaining()).containsExactly(left);
  }

  // ---------------------------------------------------------------- settlement

  /** A charge reserved (second value), settled (third) and the units left after (fourth). */
  static Stream<Arguments> settlements() {
    return forEachCountingLimit(
        row("above the reservation charges the difference", 100L, 250L, 750L),
        row("beyond capacity overdraws the counter", 900L, 1300L, -300L),
        row("below the reservation refunds the difference", 500L, 200L, 800L),
        row("to zero refunds the whole reservation", 500L, 0L, 1000L),
        row("a zero-amount reservation charges what was used", 0L, 40L, 960L));
  }

  @ParameterizedTest(name = "settling {0}: {1}")
  @MethodSource("settlements")
  void settlingMovesTheCounterByTheDifferenceFromTheReservation(
      String what, LimitSpec limit, long reserved, long actual, long left) {
    Reservation reservation = admitted(charge(limit, "alice", reserved));

    settle(reservation, actual);

    assertThat(remaining(limit, "alice")).isEqualTo(left);
  }

  @Test
  @NeedsTimeControl
  void refundNeverLiftsARateAboveItsCapacity() {
    LimitSpec limit = rate(1000, Duration.ofMinutes(1));
    Reservation reservation = admitted(charge(limit, "alice", 500));
    advance(Duration.ofMinutes(1)); // the bucket is full again

    settle(reservation, 0);

    assertThat(remaining(limit, "alice")).isEqualTo(1000);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    // case, quota capacity, reserved on the rate and the quota, actual amounts, units left after
    "settlement applies to every charge, 5000, 300, 300, 120, 120, 880, 4880",
    "each charge moves by its own reserved amount, 1000, 100, 0, 60, 60, 940, 940",
    "each charge settles to its own actual amount, 5000, 300, 300, 120, 450, 880, 4550"
  })
  void settlingAReservationOfARateAndAQuotaSettlesEachChargeOnItsOwn(
      String what,
      long quotaCapacity,
      long rateReserved,
      long quotaReserved,
      long rateActual,
      long quotaActual,
      long rateLeft,
      long quotaLeft) {
    LimitSpec rate = rate(1000, SLOW);
    LimitSpec quota = quota(quotaCapacity, QuotaPeriod.DAILY, ZoneOffset.UTC);
    Reservation reservation =
        admitted(charge(rate, "alice", rateReserved), charge(quota, "alice", quotaReserved));

    settle(reservation, rateActual, quotaActual);

    assertThat(remaining("alice", rate, quota)).containsExactly(rateLeft, quotaLeft);
  }

  @Test
  void aRequestSettledToOneStaysCountedAndOneSettledToZeroIsRefunded() {
    LimitSpec requests =
        LimitSpec.quota("requests-daily", Unit.REQUESTS, 10, QuotaPeriod.DAILY, ZoneOffset.UTC);
    Reservation answered = admitted(charge(requests, "alice", 1));
    Reservation failed = admitted(charge(requests, "alice", 1));

    settle(answered, 1);
    settle(failed, 0);

    assertThat(remaining(requests, "alice")).isEqualTo(9);
  }

  @ParameterizedTest
  @MethodSource("countingLimits")
  void settlingTwiceChangesNothingTheSecondTime(LimitSpec limit) {
    Reservation reservation = admitted(charge(limit, "alice", 100));
    settle(reservation, 300);

    settle(reservation, 0);

    assertThat(remaining(limit, "alice")).isEqualTo(700);
  }

  @Test
  void concurrentSettlementsOfOneReservationApplyOnce() throws Exception {
    LimitSpec limit = quota(1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    Reservation reservation = admitted(charge(limit, "alice", 100));

    Concurrently.run(16, thread -> settle(reservation, 500));

    assertThat(remaining(limit, "alice")).isEqualTo(500);
  }

  @Test
  void settlingTheEmptyReservationChangesNothing() {
    LimitSpec limit = rate(1000, SLOW);
    reserve(charge(limit, "alice", 100));

    settle(Reservation.EMPTY);

    assertThat(remaining(limit, "alice")).isEqualTo(900);
  }

  @Test
  void settlingTheEmptyReservationWithAnAmountIsRejected() {
    assertThatThrownBy(() -> settle(Reservation.EMPTY, 5))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aReservationTheStoreDidNotMakeIsRejectedAndChangesNothing() {
    LimitSpec limit = rate(1000, SLOW);
    reserve(charge(limit, "alice", 100));
    Reservation forged = () -> List.of(charge(limit, "alice", 900));

    assertThatThrownBy(() -> settle(forged, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(remaining(limit, "alice")).isEqualTo(900);
  }

  @Test
  void settleNeedsOneAmountPerChargeAndLeavesTheReservationUnsettledOtherwise() {
    LimitSpec rate = rate(1000, SLOW);
    LimitSpec quota = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    Reservation reservation = admitted(charge(rate, "alice", 100), charge(quota, "alice", 100));

    assertThatThrownBy(() -> settle(reservation, 50)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> settle(reservation, 50, 50, 50))
        .isInstanceOf(IllegalArgumentException.class);
    settle(reservation, 50, 60);

    assertThat(remaining("alice", rate, quota)).containsExactly(950L, 940L);
  }

  @Test
  void aNegativeActualAmountIsRejectedAndChangesNothing() {
    LimitSpec rate = rate(1000, SLOW);
    LimitSpec quota = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    Reservation reservation = admitted(charge(rate, "alice", 100), charge(quota, "alice", 100));

    assertThatThrownBy(() -> settle(reservation, 0, -1))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(remaining("alice", rate, quota)).containsExactly(900L, 900L);
    settle(reservation, 0, 0); // still unsettled: the refund applies
    assertThat(remaining(rate, "alice")).isEqualTo(1000);
  }

  // ---------------------------------------------------------------- rate refill

  @ParameterizedTest(name = "after {0} s: {1} left")
  @CsvSource({"0, 0", "1, 10", "6, 60", "30, 300", "45, 450", "60, 600", "61, 600", "3600, 600"})
  @NeedsTimeControl
  void rateRefillsContinuouslyAndNeverAboveCapacity(long seconds, long expected) {
    LimitSpec limit = rate(600, Duration.ofMinutes(1)); // 10 tokens per second
    reserve(charge(limit, "alice", 600));

    advance(Duration.ofSeconds(seconds));

    assertThat(remaining(limit, "alice")).isEqualTo(expected);
  }

  @Test
  @NeedsTimeControl
  void halfAPeriodRefillsHalfTheCapacity() {
    LimitSpec limit = rate(20_000, Duration.ofMinutes(1));
    reserve(charge(limit, "alice", 20_000));

    advance(Duration.ofSeconds(30));

    assertThat(remaining(limit, "alice")).isEqualTo(10_000);
  }

  @Test
  @NeedsTimeControl
  void refillAccumulatesAcrossManySmallSteps() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1)); // one token per 100 ms
    reserve(charge(limit, "alice", 600));

    for (int i = 0; i < 300; i++) {
      advance(Duration.ofMillis(50)); // half a token each step
      remaining(limit, "alice");
    }

    assertThat(remaining(limit, "alice")).isEqualTo(150);
  }

  @Test
  @NeedsTimeControl
  void overdrawnRateRefillsFromBelowZero() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1));
    settle(admitted(charge(limit, "alice", 600)), 900); // -300

    advance(Duration.ofSeconds(40)); // +400

    assertThat(remaining(limit, "alice")).isEqualTo(100);
  }

  @Test
  @NeedsTimeControl
  void rateAdmitsAgainOnceEnoughHasRefilled() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1));
    reserve(charge(limit, "alice", 600));
    advance(Duration.ofSeconds(10));

    ReserveResult result = reserve(charge(limit, "alice", 100));

    assertAdmitted(result, 0);
  }

  @Test
  @NeedsTimeControl
  void requestRateRefillsOneRequestPerItsShareOfThePeriod() {
    LimitSpec limit = LimitSpec.rate("rpm", Unit.REQUESTS, 60, Duration.ofMinutes(1));
    for (int i = 0; i < 60; i++) {
      admitted(charge(limit, "alice", 1));
    }

    ReserveResult spent = reserve(charge(limit, "alice", 1));
    advance(Duration.ofSeconds(1));
    ReserveResult refilled = reserve(charge(limit, "alice", 1));

    assertThat(spent.admitted()).isFalse();
    assertThat(spent.retryAfter()).isEqualTo(Duration.ofSeconds(1));
    assertThat(refilled.admitted()).isTrue();
  }

  // ---------------------------------------------------------------- retry after

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    // case, reserved, settled to, then asked for, retry after (ms) at 10 tokens a second
    "the time to refill the deficit, 550, 550, 100, 5000",
    "the overdraft included, 600, 800, 100, 30000",
    "for a zero-amount charge the time to refill one unit, 600, 600, 0, 100"
  })
  @NeedsTimeControl
  void rateRetryAfterIsTheTimeToRefillWhatIsMissing(
      String what, long reserved, long used, long asked, long retryAfterMillis) {
    LimitSpec limit = rate(600, Duration.ofMinutes(1));
    settle(admitted(charge(limit, "alice", reserved)), used);

    ReserveResult result = reserve(charge(limit, "alice", asked));

    assertThat(result.admitted()).isFalse();
    assertThat(result.retryAfter()).isEqualTo(Duration.ofMillis(retryAfterMillis));
  }

  /** Two rates refuse: the wait answered is the longest, so a retry after it fits. */
  @Test
  @NeedsTimeControl
  void aCallTwoRatesRefuseWaitsForTheSlowerOneAndHearsOfIt() {
    LimitSpec fast = LimitSpec.rate("fast", 100, Duration.ofSeconds(10));
    LimitSpec slow = LimitSpec.rate("slow", 100, Duration.ofHours(1));
    reserve(charge(fast, "alice", 100), charge(slow, "alice", 100));

    ReserveResult result = reserve(charge(fast, "alice", 10), charge(slow, "alice", 10));

    // fast admits 10 in 1 s, slow in 6 min: the call fits in 6 min.
    assertThat(result.retryAfter()).isEqualTo(Duration.ofMinutes(6));
    if (namesLimitsAsTheBuiltInStores()) {
      assertThat(result.rejectedBy().limit()).isEqualTo(slow);
    } else {
      assertThat(result.rejectedBy().limit()).isIn(fast, slow);
    }
  }

  /** A spent quota and a busy rate refuse: the wait answered is the rate's, which is longer. */
  @Test
  @NeedsTimeControl
  void aSpentQuotaIsReportedWithTheWaitOfABusyRateThatFitsLater() {
    LimitSpec quota = quota(100, QuotaPeriod.HOURLY, ZoneOffset.UTC);
    LimitSpec rate = rate(100, Duration.ofDays(1));
    reserve(charge(quota, "alice", 100), charge(rate, "alice", 100));

    ReserveResult result = reserve(charge(quota, "alice", 10), charge(rate, "alice", 10));

    // The hour ends in 1 h; the rate admits 10 in 2.4 h.
    assertThat(result.retryAfter()).isEqualTo(Duration.ofMinutes(144));
    if (namesLimitsAsTheBuiltInStores()) {
      assertThat(result.rejectedBy().limit()).isEqualTo(quota);
    } else {
      assertThat(result.rejectedBy().limit()).isIn(quota, rate);
    }
  }

  @Test
  @NeedsTimeControl
  void rateAdmitsExactlyWhenItsRetryAfterHasPassed() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1));
    reserve(charge(limit, "alice", 580));
    Duration retryAfter = reserve(charge(limit, "alice", 100)).retryAfter(); // 80 short: 8 s

    advance(retryAfter.minusMillis(1));
    boolean admittedEarly = reserve(charge(limit, "alice", 100)).admitted();
    advance(Duration.ofMillis(1));
    boolean admittedOnTime = reserve(charge(limit, "alice", 100)).admitted();

    assertThat(retryAfter).isEqualTo(Duration.ofSeconds(8));
    assertThat(admittedEarly).isFalse();
    assertThat(admittedOnTime).isTrue();
  }

  // ---------------------------------------------------------------- quota windows

  static Stream<Arguments> quotaWindows() {
    return Stream.of(
        // period, zone, a time in the window, the next window's start
        Arguments.of(QuotaPeriod.MONTHLY, "UTC", "2025-01-15T10:00:00Z", "2025-02-01T00:00:00Z"),
        Arguments.of(QuotaPeriod.MONTHLY, "UTC", "2024-12-31T23:00:00Z", "2025-01-01T00:00:00Z"),
        Arguments.of(
            QuotaPeriod.MONTHLY,
            "Europe/Berlin",
            "2025-03-15T10:00:00Z",
            "2025-03-31T22:00:00Z"), // April 1st, 00:00 CEST
        Arguments.of(
            QuotaPeriod.MONTHLY,
            "America/New_York",
            "2025-11-15T12:00:00Z",
            "2025-12-01T05:00:00Z"), // 00:00 EST
        Arguments.of(
            QuotaPeriod.WEEKLY,
            "UTC",
            "2025-01-15T10:00:00Z",
            "2025-01-20T00:00:00Z"), // Wednesday -> Monday
        Arguments.of(
            QuotaPeriod.WEEKLY,
            "Europe/Berlin",
            "2025-01-15T10:00:00Z",
            "2025-01-19T23:00:00Z"), // Monday 00:00 CET
        Arguments.of(
            QuotaPeriod.WEEKLY,
            "Asia/Kolkata",
            "2025-01-19T18:00:00Z",
            "2025-01-19T18:30:00Z"), // Monday 00:00 IST
        Arguments.of(
            QuotaPeriod.DAILY,
            "Europe/Berlin",
            "2025-03-30T12:00:00Z",
            "2025-03-30T22:00:00Z"), // a 23-hour day
        // America/St_Johns fell back across midnight until 2011: on 2009-11-01 its clock read
        // 00:00 (-02:30) at 02:30Z, 00:01 at 02:31Z, then 23:01 of October 31st (-03:30) again.
        // A window starts when the clock first reads its midnight; the repeated hour belongs to
        // the window that started then.
        Arguments.of(
            QuotaPeriod.DAILY,
            "America/St_Johns",
            "2009-10-31T20:00:00Z",
            "2009-11-01T02:30:00Z"), // the first 00:00 of November 1st
        Arguments.of(
            QuotaPeriod.DAILY,
            "America/St_Johns",
            "2009-11-01T02:45:00Z", // 23:15 of October 31st, the second time round
            "2009-11-02T03:30:00Z"),
        Arguments.of(
            QuotaPeriod.MONTHLY,
            "America/Goose_Bay",
            "2009-11-01T03:30:00Z", // 23:30 of October 31st (-04:00), after 00:00 (-03:00)
            "2009-12-01T04:00:00Z"),
        Arguments.of(
            QuotaPeriod.DAILY,
            "America/Moncton",
            "2006-10-29T03:30:00Z", // 23:30 of October 28th (-04:00), after 00:00 (-03:00)
            "2006-10-30T04:00:00Z"),
        Arguments.of(QuotaPeriod.HOURLY, "UTC", "2025-01-15T10:59:00Z", "2025-01-15T11:00:00Z"),
        Arguments.of(
            QuotaPeriod.YEARLY, "Europe/Berlin", "2025-06-01T00:00:00Z", "2025-12-31T23:00:00Z"));
  }

  /** A quota of 1,000 units whose whole capacity was taken at {@code at}. */
  private LimitSpec spentQuota(QuotaPeriod period, String zone, String at) {
    setTime(Instant.parse(at));
    LimitSpec limit = quota(1000, period, ZoneId.of(zone));
    reserve(charge(limit, "alice", 1000));
    return limit;
  }

  @ParameterizedTest(name = "{0} in {1} at {2}")
  @MethodSource("quotaWindows")
  @NeedsTimeControl
  void spentQuotaRejectsWithRetryAfterUntilTheWindowEnd(
      QuotaPeriod period, String zone, String at, String nextStart) {
    LimitSpec limit = spentQuota(period, zone, at);

    ReserveResult result = reserve(charge(limit, "alice", 1));

    assertThat(result.admitted()).isFalse();
    assertThat(result.retryAfter())
        .isEqualTo(Duration.between(Instant.parse(at), Instant.parse(nextStart)));
  }

  @ParameterizedTest(name = "{0} in {1} at {2}")
  @MethodSource("quotaWindows")
  @NeedsTimeControl
  void spentQuotaStillRejectsOneMillisecondBeforeTheNextPeriod(
      QuotaPeriod period, String zone, String at, String nextStart) {
    LimitSpec limit = spentQuota(period, zone, at);

    setTime(Instant.parse(nextStart).minusMillis(1));
    ReserveResult result = reserve(charge(limit, "alice", 1));

    assertThat(result.admitted()).isFalse();
    assertThat(result.retryAfter()).isEqualTo(Duration.ofMillis(1));
  }

  @ParameterizedTest(name = "{0} in {1} at {2}")
  @MethodSource("quotaWindows")
  @NeedsTimeControl
  void spentQuotaResetsExactlyAtTheNextPeriodStartAndReservesInTheNewWindow(
      QuotaPeriod period, String zone, String at, String nextStart) {
    LimitSpec limit = spentQuota(period, zone, at);

    setTime(Instant.parse(nextStart));
    ReserveResult result = reserve(charge(limit, "alice", 1000));
    settle(result.reservation(), 400); // a refund to the window reserved in, which is current

    assertAdmitted(result, 0);
    assertThat(remaining(limit, "alice")).isEqualTo(600);
  }

  @Test
  @NeedsTimeControl
  void spentHourlyQuotaStaysSpentInTheRepeatedHalfHourOfAHalfHourDstZone() {
    setTime(Instant.parse("2025-04-05T15:05:00Z")); // 01:35 +10:30, the second time round
    LimitSpec limit = quota(100, QuotaPeriod.HOURLY, ZoneId.of("Australia/Lord_Howe"));
    reserve(charge(limit, "alice", 100));

    setTime(Instant.parse("2025-04-05T15:10:00Z"));
    ReserveResult result = reserve(charge(limit, "alice", 1));

    assertThat(result.admitted()).isFalse();
  }

  @Test
  @NeedsTimeControl
  void spentHourlyQuotaStaysSpentInTheQuarterHourAfterAQuarterHourZoneFallsBack() {
    // Pacific/Chatham falls back at 14:00Z from 03:45 (+13:45) to 02:45 (+12:45): its clock's
    // hour 02 starts again at 14:00Z and ends at 14:15Z.
    setTime(Instant.parse("2025-04-05T14:02:00Z"));
    LimitSpec limit = quota(100, QuotaPeriod.HOURLY, ZoneId.of("Pacific/Chatham"));
    reserve(charge(limit, "alice", 100));

    setTime(Instant.parse("2025-04-05T14:10:00Z"));
    ReserveResult result = reserve(charge(limit, "alice", 1));

    assertThat(result.admitted()).isFalse();
    assertThat(result.retryAfter()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  @NeedsTimeControl
  void spentDailyQuotaStaysSpentWhenTheClockFallsBackAcrossMidnight() {
    // America/St_Johns, 2009-11-01: 00:00 (-02:30) at 02:30Z, back to 23:01 (-03:30) at 02:31Z.
    setTime(Instant.parse("2009-11-01T02:30:30Z")); // 00:00:30 of November 1st
    LimitSpec limit = quota(100, QuotaPeriod.DAILY, ZoneId.of("America/St_Johns"));
    reserve(charge(limit, "alice", 100));

    setTime(Instant.parse("2009-11-01T03:00:00Z")); // 23:30 of October 31st, the second time
    ReserveResult result = reserve(charge(limit, "alice", 1));

    assertThat(result.admitted()).isFalse();
    assertThat(result.retryAfter()).isEqualTo(Duration.ofHours(24).plusMinutes(30));
  }

  @Test
  @NeedsTimeControl
  void overdrawnQuotaResetsAtTheNextPeriodStart() {
    LimitSpec limit = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    settle(admitted(charge(limit, "alice", 1000)), 5000);

    setTime(Instant.parse("2025-01-16T00:00:00Z"));

    assertThat(remaining(limit, "alice")).isEqualTo(1000);
  }

  @Test
  @NeedsTimeControl
  void quotaDoesNotRefillWithinItsWindow() {
    LimitSpec limit = quota(1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    reserve(charge(limit, "alice", 1000));

    setTime(Instant.parse("2025-01-31T23:00:00Z"));

    assertThat(remaining(limit, "alice")).isZero();
  }

  // ---------------------------------------------------------------- settlement across windows

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    // case, actual amount of January's reservation of 400, units left in February
    "a refund to the ended window is dropped, 100, 900",
    "an overrun is charged to the current window, 600, 700"
  })
  @NeedsTimeControl
  void settlementAfterTheQuotaWindowRolledOverMovesOnlyTheCurrentWindow(
      String what, long actual, long left) {
    LimitSpec limit = quota(1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    Reservation january = admitted(charge(limit, "alice", 400));
    setTime(Instant.parse("2025-02-01T00:00:00Z"));
    reserve(charge(limit, "alice", 100)); // February: 900 left

    settle(january, actual);

    assertThat(remaining(limit, "alice")).isEqualTo(left);
  }

  @Test
  @NeedsTimeControl
  void overrunAfterRolloverIsChargedEvenWhenNothingWasReservedInTheCurrentWindow() {
    LimitSpec limit = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    Reservation yesterday = admitted(charge(limit, "alice", 400));
    setTime(Instant.parse("2025-01-16T08:00:00Z"));

    settle(yesterday, 700);

    assertThat(remaining(limit, "alice")).isEqualTo(700);
  }

  @Test
  @NeedsTimeControl
  void settlementAfterRolloverDoesNotTouchTheRateOfTheSameReservation() {
    LimitSpec rate = rate(600, Duration.ofHours(1)); // slow refill: 10 per minute
    LimitSpec quota = quota(1000, QuotaPeriod.HOURLY, ZoneOffset.UTC);
    setTime(Instant.parse("2025-01-15T10:59:00Z"));
    Reservation reservation = admitted(charge(rate, "alice", 300), charge(quota, "alice", 300));
    setTime(Instant.parse("2025-01-15T11:00:00Z")); // rate refilled 10, quota rolled over

    settle(reservation, 100, 100);

    assertThat(remaining(rate, "alice")).isEqualTo(510); // 300 + 10 + 200 refunded
    assertThat(remaining(quota, "alice")).isEqualTo(1000); // refund to the old hour dropped
  }

  // ---------------------------------------------------------------- in flight

  @Test
  void inFlightLimitAdmitsUpToItsCapacityAndRejectsTheNextCall() {
    LimitSpec limit = inFlight(2);

    ReserveResult first = reserve(charge(limit, "alice", 1));
    ReserveResult second = reserve(charge(limit, "alice", 1));
    ReserveResult third = reserve(charge(limit, "alice", 1));

    assertThat(first.remaining()).containsExactly(1L);
    assertThat(second.remaining()).containsExactly(0L);
    assertThat(third.admitted()).isFalse();
    assertThat(third.rejectedBy()).isEqualTo(charge(limit, "alice", 1));
    assertThat(third.remaining()).containsExactly(0L);
  }

  @Test
  void fullInFlightLimitRejectsWithARetryAfterOfZero() {
    LimitSpec limit = inFlight(1);
    reserve(charge(limit, "alice", 1));

    ReserveResult result = reserve(charge(limit, "alice", 1));

    assertThat(result.retryAfter()).isEqualTo(Duration.ZERO);
  }

  @Test
  void settlingFreesTheInFlightSlot() {
    LimitSpec limit = inFlight(1);
    Reservation first = admitted(charge(limit, "alice", 1));

    settle(first, 0);
    ReserveResult next = reserve(charge(limit, "alice", 1));

    assertThat(next.admitted()).isTrue();
  }

  @Test
  void inFlightSlotsAreKeptPerCounterKey() {
    LimitSpec limit = inFlight(1);
    reserve(charge(limit, "alice", 1));

    assertThat(reserve(charge(limit, "bob", 1)).admitted()).isTrue();
    assertThat(remaining(limit, "alice")).isZero();
  }

  @Test
  @NeedsTimeControl
  void timeDoesNotFreeAnInFlightSlot() {
    LimitSpec limit = inFlight(1);
    reserve(charge(limit, "alice", 1));

    advance(Duration.ofDays(400));

    assertThat(reserve(charge(limit, "alice", 1)).admitted()).isFalse();
  }

  @Test
  void settlingTwiceFreesOneSlotOnly() {
    LimitSpec limit = inFlight(2);
    Reservation first = admitted(charge(limit, "alice", 1));
    admitted(charge(limit, "alice", 1));

    settle(first, 0);
    settle(first, 0);

    assertThat(reserve(charge(limit, "alice", 1)).admitted()).isTrue();
    assertThat(reserve(charge(limit, "alice", 1)).admitted()).isFalse();
  }

  @Test
  void aCallNamingOneInFlightLimitTwiceTakesTwoSlotsAndFreesBoth() {
    LimitSpec limit = inFlight(2);

    ReserveResult both = reserve(charge(limit, "alice", 1), charge(limit, "alice", 1));
    boolean thirdWhileHeld = reserve(charge(limit, "alice", 1)).admitted();
    settle(both.reservation(), 0, 0);

    assertThat(both.remaining()).containsExactly(0L, 0L);
    assertThat(thirdWhileHeld).isFalse();
    assertThat(remaining(limit, "alice")).isEqualTo(2);
  }

  @Test
  void anInFlightChargeMustSettleToZero() {
    LimitSpec limit = inFlight(1);
    Reservation reservation = admitted(charge(limit, "alice", 1));

    assertThatThrownBy(() -> settle(reservation, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThat(remaining(limit, "alice")).isZero();
  }

  @Test
  void fullInFlightLimitRejectsWithoutTakingTokensOrRequests() {
    LimitSpec tokens = rate(1000, SLOW);
    LimitSpec requests = LimitSpec.rate("rpd", Unit.REQUESTS, 100, SLOW);
    LimitSpec slots = inFlight(1);
    reserve(charge(slots, "alice", 1));
    LimitCharge slot = charge(slots, "alice", 1);

    ReserveResult result =
        reserve(charge(tokens, "alice", 300), charge(requests, "alice", 1), slot);

    assertThat(result.rejectedBy()).isEqualTo(slot);
    assertThat(remaining("alice", tokens, requests)).containsExactly(1000L, 100L);
  }

  @Test
  void spentTokenLimitRejectsWithoutTakingAnInFlightSlot() {
    LimitSpec tokens = rate(100, SLOW);
    LimitSpec slots = inFlight(2);
    reserve(charge(tokens, "alice", 100));

    ReserveResult result = reserve(charge(slots, "alice", 1), charge(tokens, "alice", 10));

    assertThat(result.admitted()).isFalse();
    assertThat(remaining(slots, "alice")).isEqualTo(2);
  }

  @Test
  void refundingAMixedReservationFreesTheSlotAndReturnsTokensAndRequests() {
    LimitSpec tokens = rate(1000, SLOW);
    LimitSpec requests =
        LimitSpec.quota("rpd", Unit.REQUESTS, 100, QuotaPeriod.DAILY, ZoneOffset.UTC);
    LimitSpec slots = inFlight(1);
    Reservation reservation =
        admitted(
            charge(tokens, "alice", 300), charge(requests, "alice", 1), charge(slots, "alice", 1));

    settle(reservation, 0, 0, 0);

    assertThat(remaining("alice", tokens, requests, slots)).containsExactly(1000L, 100L, 1L);
  }

  // ---------------------------------------------------------------- limits of a long, charges up
  // to the bound

  @Test
  void quotaOfLongMaxValueCountsEveryUnit() {
    LimitSpec limit = quota(Long.MAX_VALUE, QuotaPeriod.MONTHLY, ZoneOffset.UTC);

    ReserveResult first = reserve(charge(limit, "alice", Usage.MAX_TOKENS));
    ReserveResult second = reserve(charge(limit, "alice", 1));

    assertThat(first.remaining()).containsExactly(Long.MAX_VALUE - Usage.MAX_TOKENS);
    assertThat(second.remaining()).containsExactly(Long.MAX_VALUE - Usage.MAX_TOKENS - 1);
  }

  @Test
  @NeedsTimeControl // on real time, such a rate refills millions a microsecond
  void rateOfLongMaxValueCountsEveryUnit() {
    LimitSpec limit = rate(Long.MAX_VALUE, SLOW);

    ReserveResult first = reserve(charge(limit, "alice", Usage.MAX_TOKENS));

    assertThat(first.remaining()).containsExactly(Long.MAX_VALUE - Usage.MAX_TOKENS);
  }

  @Test
  @NeedsTimeControl
  void rateOfLongMaxValueRefillsExactly() {
    LimitSpec limit = rate(Long.MAX_VALUE, Duration.ofMinutes(1));
    reserve(charge(limit, "alice", Usage.MAX_TOKENS), charge(limit, "alice", Usage.MAX_TOKENS));

    advance(Duration.ofNanos(1_000));

    // Long.MAX_VALUE units a minute: 1,000 ns refill floor(1000 * MAX / 60e9) of the 2e12 taken.
    long refilled =
        java.math.BigInteger.valueOf(Long.MAX_VALUE)
            .multiply(java.math.BigInteger.valueOf(1_000))
            .divide(java.math.BigInteger.valueOf(60_000_000_000L))
            .longValueExact();
    assertThat(remaining(limit, "alice"))
        .isEqualTo(Long.MAX_VALUE - 2 * Usage.MAX_TOKENS + refilled);
  }

  @Test
  void inFlightLimitOfLongMaxValueCountsItsSlots() {
    ReserveResult result = reserve(charge(inFlight(Long.MAX_VALUE), "alice", 1));

    assertThat(result.remaining()).containsExactly(Long.MAX_VALUE - 1);
  }

  @Test
  void chargesWhoseSumIsBeyondTheCapacityAreRejectedAndTakeNothing() {
    LimitSpec limit = quota(Usage.MAX_TOKENS, QuotaPeriod.MONTHLY, ZoneOffset.UTC);

    ReserveResult result =
        reserve(charge(limit, "alice", Usage.MAX_TOKENS), charge(limit, "alice", 1));

    assertThat(result.admitted()).isFalse();
    assertThat(remaining(limit, "alice")).isEqualTo(Usage.MAX_TOKENS);
  }

  @ParameterizedTest
  @MethodSource("countingLimits")
  void overdraftsOfTheBoundOnEveryChargeStaySpentWithoutWrappingAround(LimitSpec limit) {
    Reservation reservation = admitted(charge(limit, "alice", 500), charge(limit, "alice", 500));

    settle(reservation, Usage.MAX_TOKENS, Usage.MAX_TOKENS);

    assertThat(remaining(limit, "alice")).isNegative();
    assertThat(reserve(charge(limit, "alice", 0)).admitted()).isFalse();
  }

  @Test
  void aLargeOverdraftOfASlowRateIsKeptExactly() {
    LimitSpec limit = rate(100, Duration.ofDays(365));
    Reservation reservation = admitted(charge(limit, "alice", 100));

    settle(reservation, 1_000_000_100L); // refilling it takes ten million years

    assertThat(remaining(limit, "alice")).isEqualTo(-1_000_000_000L);
  }

  // ---------------------------------------------------------------- concurrency

  @ParameterizedTest
  @MethodSource("countingLimits")
  void sixtyFourThreadsOnOneKeyAdmitExactlyWhatTheCapacityHolds(LimitSpec limit) throws Exception {
    int threads = 64;
    int attemptsPerThread = 50;
    AtomicInteger admissions = new AtomicInteger();
    Concurrently.run(
        threads,
        thread -> {
          for (int i = 0; i < attemptsPerThread; i++) {
            if (store.reserve(List.of(charge(limit, "shared", 10))).admitted()) {
              admissions.incrementAndGet();
            }
          }
        });

    assertThat(admissions.get()).isEqualTo(100); // 1000 / 10, with no measurable refill
    assertThat(remaining(limit, "shared")).isZero();
  }

  @Test
  void concurrentCallsNeverHoldMoreInFlightSlotsThanTheCapacity() throws Exception {
    LimitSpec limit = inFlight(3);
    AtomicInteger held = new AtomicInteger();
    AtomicInteger mostHeld = new AtomicInteger();
    AtomicInteger admissions = new AtomicInteger();

    Concurrently.run(
        16,
        thread -> {
          for (int i = 0; i < 500; i++) {
            ReserveResult result = store.reserve(List.of(charge(limit, "shared", 1)));
            if (result.admitted()) {
              admissions.incrementAndGet();
              mostHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
              Thread.yield();
              held.decrementAndGet(); // before the slot is freed, so an overlap shows
              store.settle(result.reservation(), new long[] {0});
            }
          }
        });

    assertThat(admissions.get()).isPositive();
    assertThat(mostHeld.get()).isBetween(1, 3);
    assertThat(remaining(limit, "shared")).isEqualTo(3);
  }

  @Test
  void concurrentCallsAcrossMixedLimitsAdmitExactlyWhatTheTightestOneHolds() throws Exception {
    LimitSpec tokens = rate(1000, SLOW);
    LimitSpec requests =
        LimitSpec.quota("requests-daily", Unit.REQUESTS, 60, QuotaPeriod.DAILY, ZoneOffset.UTC);
    LimitSpec slots = inFlight(4);
    AtomicInteger held = new AtomicInteger();
    AtomicInteger mostHeld = new AtomicInteger();
    AtomicInteger admissions = new AtomicInteger();

    Concurrently.run(
        16,
        thread -> {
          while (true) {
            ReserveResult result =
                store.reserve(
                    List.of(
                        charge(tokens, "shared", 10),
                        charge(requests, "shared", 1),
                        charge(slots, "shared", 1)));
            if (result.admitted()) {
              admissions.incrementAndGet();
              mostHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
              Thread.yield();
              held.decrementAndGet();
              store.settle(result.reservation(), new long[] {10, 1, 0});
            } else if (!result.rejectedBy().limit().equals(slots)) {
              return; // the request quota is spent; a full in-flight limit is worth retrying
            }
          }
        });

    assertThat(admissions.get()).isEqualTo(60);
    assertThat(mostHeld.get()).isBetween(1, 4);
    assertThat(remaining(tokens, "shared")).isEqualTo(400);
    assertThat(remaining(requests, "shared")).isZero();
    assertThat(remaining(slots, "shared")).isEqualTo(4);
  }

  @Test
  void concurrentReserveAndSettleOnOverlappingLimitsInAnyOrderNeitherDeadlocksNorLeaks()
      throws Exception {
    List<LimitSpec> limits =
        List.of(
            LimitSpec.rate("r1", 100, Duration.ofMinutes(1)),
            LimitSpec.rate("r2", Unit.REQUESTS, 100, Duration.ofHours(1)),
            LimitSpec.quota("q1", 100, QuotaPeriod.DAILY, ZoneOffset.UTC),
            LimitSpec.quota(
                "q2", Unit.REQUESTS, 100, QuotaPeriod.MONTHLY, ZoneId.of("Europe/Berlin")),
            LimitSpec.inFlight("f1", 3));
    List<String> keys = List.of("alice", "bob");
    AtomicInteger admissions = new AtomicInteger();

    Concurrently.run(
        16,
        thread -> {
          SplittableRandom random = new SplittableRandom(thread);
          for (int i = 0; i < 2000; i++) {
            // Two to five distinct limits, in a random order, on one of two keys each.
            List<LimitCharge> charges = new ArrayList<>();
            List<LimitSpec> shuffled = new ArrayList<>(limits);
            Collections.shuffle(shuffled, new Random(random.nextLong()));
            int count = 2 + random.nextInt(4);
            for (LimitSpec limit : shuffled.subList(0, count)) {
              long amount = limit.kind() == LimitSpec.Kind.IN_FLIGHT ? 1 : 1 + random.nextInt(9);
              charges.add(charge(limit, keys.get(random.nextInt(keys.size())), amount));
            }
            ReserveResult result = store.reserve(charges);
            if (result.admitted()) {
              admissions.incrementAndGet();
              store.settle(result.reservation(), new long[charges.size()]); // refund everything
            }
          }
        });

    assertThat(admissions.get()).isPositive();
    for (LimitSpec limit : limits) {
      for (String key : keys) {
        assertThat(remaining(limit, key)).as("%s/%s", limit.id(), key).isEqualTo(limit.capacity());
      }
    }
  }

  // ---------------------------------------------------------------- the bound: Usage.MAX_TOKENS

  /** A rate and a quota that hold three times the most a call is charged. */
  static Stream<Arguments> countersHoldingThreeMaximalCharges() {
    return Stream.of(
        Arguments.of(LimitSpec.rate("wide-rate", 3 * Usage.MAX_TOKENS, SLOW)),
        Arguments.of(
            LimitSpec.quota(
                "wide-quota", 3 * Usage.MAX_TOKENS, QuotaPeriod.MONTHLY, ZoneOffset.UTC)));
  }

  @ParameterizedTest
  @MethodSource("countersHoldingThreeMaximalCharges")
  @NeedsTimeControl // on real time, such a rate refills millions a second
  void chargesOfMaxTokensOnOneCounterAreTakenTogether(LimitSpec limit) {
    admitted(charge(limit, "alice", Usage.MAX_TOKENS), charge(limit, "alice", Usage.MAX_TOKENS));

    assertThat(remaining(limit, "alice")).isEqualTo(Usage.MAX_TOKENS);
  }

  @ParameterizedTest
  @MethodSource("countingLimits")
  void settlementsOfMaxTokensOverdrawTheCounterWithoutFailing(LimitSpec limit) {
    List<Reservation> inFlight = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      inFlight.add(admitted(charge(limit, "alice", 0)));
    }

    for (Reservation reservation : inFlight) {
      settle(reservation, Usage.MAX_TOKENS);
    }

    ReserveResult after = reserve(charge(limit, "alice", 0));
    assertThat(after.admitted()).isFalse();
    assertThat(after.remaining().get(0)).isNegative();
    assertThat(after.retryAfter()).isPositive();
  }

  // ---------------------------------------------------------------- peek

  static Stream<Arguments> everyKind() {
    return Stream.concat(countingLimits(), Stream.of(Arguments.of(inFlight(5))));
  }

  @Test
  void peekOfNoCountersReadsNothing() {
    assertThat(peek()).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("everyKind")
  void peekOfAnUntouchedCounterReadsItsWholeCapacityAndCreatesNothing(LimitSpec limit) {
    CounterReading first = peek(limit, "alice");
    CounterReading second = peek(limit, "alice");

    assertThat(first.counter()).isEqualTo(new CounterId(limit, "alice"));
    assertThat(first.used()).isZero();
    assertThat(first.remaining()).isEqualTo(limit.capacity());
    assertThat(second.used()).isZero();
    assertThat(remaining(limit, "alice")).isEqualTo(limit.capacity());
  }

  @ParameterizedTest
  @MethodSource("countingLimits")
  void peekReadsWhatReservationsAndSettlementsTookWithoutTakingAnything(LimitSpec limit) {
    Reservation open = admitted(charge(limit, "alice", 300));
    assertThat(peek(limit, "alice").used()).isEqualTo(300);

    Reservation done = admitted(charge(limit, "alice", 100));
    settle(done, 40);
    CounterReading reading = peek(limit, "alice");

    assertThat(reading.used()).isEqualTo(340);
    assertThat(reading.remaining()).isEqualTo(limit.capacity() - 340);
    assertThat(peek(limit, "alice").used()).as("a second read").isEqualTo(340);
    assertThat(peek(limit, "bob").used()).as("another key").isZero();
    settle(open, 0);
    assertThat(peek(limit, "alice").used()).isEqualTo(40);
  }

  @Test
  void peekReadsTheSlotsCallsHold() {
    LimitSpec limit = inFlight(3);
    Reservation first = admitted(charge(limit, "alice", 1));
    admitted(charge(limit, "alice", 1));

    assertThat(peek(limit, "alice").used()).isEqualTo(2);
    assertThat(peek(limit, "alice").remaining()).isEqualTo(1);
    assertThat(peek(limit, "alice").resetsAt()).isNull();
    settle(first, 0);
    assertThat(peek(limit, "alice").used()).isEqualTo(1);
  }

  @Test
  void peekReadsSeveralCountersInOrder() {
    LimitSpec rate = rate(1000, SLOW);
    LimitSpec quota = quota(2000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    admitted(charge(rate, "alice", 10), charge(quota, "alice", 20));

    List<CounterReading> readings =
        peek(
            new CounterId(quota, "alice"),
            new CounterId(rate, "alice"),
            new CounterId(rate, "bob"));

    assertThat(readings).extracting(CounterReading::used).containsExactly(20L, 10L, 0L);
    assertThat(readings.get(0).counter().limit()).isEqualTo(quota);
  }

  @Test
  void peekOfAnOverdrawnCounterReadsMoreUsedThanItsCapacity() {
    LimitSpec limit = quota(1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    settle(admitted(charge(limit, "alice", 10)), 1500);

    CounterReading reading = peek(limit, "alice");

    assertThat(reading.used()).isEqualTo(1500);
    assertThat(reading.remaining()).isEqualTo(-500);
  }

  @Test
  @NeedsTimeControl
  void peekOfAQuotaSaysWhenItsWindowEndsAndReadsTheNewWindowEmpty() {
    LimitSpec limit = quota(1000, QuotaPeriod.DAILY, ZoneId.of("Europe/Paris"));
    admitted(charge(limit, "alice", 300));

    // 10:00 UTC is 11:00 in Paris: the day ends at 23:00 UTC.
    Instant end = Instant.parse("2025-01-15T23:00:00Z");
    assertThat(peek(limit, "alice").resetsAt()).isEqualTo(end);
    assertThat(peek(limit, "bob").resetsAt()).as("untouched").isEqualTo(end);

    setTime(end);
    CounterReading next = peek(limit, "alice");
    assertThat(next.used()).isZero();
    assertThat(next.resetsAt()).isEqualTo(Instant.parse("2025-01-16T23:00:00Z"));
  }

  @Test
  @NeedsTimeControl
  void peekOfARateSaysWhenItIsFullAgainAndSeesItRefill() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1)); // 10 tokens a second
    admitted(charge(limit, "alice", 300));

    CounterReading reading = peek(limit, "alice");
    assertThat(reading.used()).isEqualTo(300);
    assertThat(reading.resetsAt()).isEqualTo(START.plusSeconds(30));

    advance(Duration.ofSeconds(10));
    assertThat(peek(limit, "alice").used()).isEqualTo(200);
    advance(Duration.ofSeconds(20));
    assertThat(peek(limit, "alice").used()).isZero();
    assertThat(peek(limit, "alice").resetsAt()).isNull();
    assertThat(peek(limit, "bob").resetsAt()).as("untouched").isNull();
  }
}
