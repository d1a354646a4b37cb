package dev.aigateway.core.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CounterId;
import dev.aigateway.api.spi.CounterReading;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.store.tck.Concurrently;
import dev.aigateway.store.tck.TimeControl;
import dev.aigateway.store.tck.TokenLimitStoreContract;
import dev.aigateway.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The store contract on the in-memory store, plus what only it promises (sweeping, size). */
class InMemoryTokenLimitStoreTest extends TokenLimitStoreContract {

  private static final Duration SWEEP = Duration.ofMinutes(1);

  private ManualClock clock;

  @Override
  protected TokenLimitStore newStore(Instant start) {
    clock = new ManualClock(start);
    return new InMemoryTokenLimitStore(clock, SWEEP);
  }

  @Override
  protected TimeControl time() {
    return clock::advance;
  }

  @Override
  protected boolean namesLimitsAsTheBuiltInStores() {
    return true;
  }

  private InMemoryTokenLimitStore memory() {
    return (InMemoryTokenLimitStore) store;
  }

  private static final int RACING_THREADS = 16;
  private static final int RACING_CALLS = 1000;

  /** One call of a race: the thread's number and the call's. */
  private interface RacingCall {
    void run(int thread, int call);
  }

  /**
   * Makes {@value #RACING_CALLS} calls on each of {@value #RACING_THREADS} threads at once, the
   * clock a millisecond later before each.
   */
  private void race(RacingCall call) throws Exception {
    Concurrently.run(
        RACING_THREADS,
        thread -> {
          for (int i = 0; i < RACING_CALLS; i++) {
            clock.advance(Duration.ofMillis(1));
            call.run(thread, i);
          }
        });
  }

  /** Any reserve runs a due sweep first; this one touches a counter of its own. */
  private void triggerSweep() {
    reserve(charge(LimitSpec.rate("sweep-trigger", 10, Duration.ofMinutes(1)), "t", 0));
  }

  // ---------------------------------------------------------------- construction and arguments

  @Test
  void nonPositiveSweepIntervalIsRejected() {
    assertThatThrownBy(() -> new InMemoryTokenLimitStore(clock, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sweepInterval");
  }

  @Test
  void aSweepIntervalOfCenturiesOrForeverNeverSweeps() {
    // Longer than a long of milliseconds (ChronoUnit.FOREVER's), the interval saturates: no sweep
    // is ever due, rather than the store failing to build or sweeping on every call.
    for (Duration forever :
        List.of(
            java.time.temporal.ChronoUnit.FOREVER.getDuration(),
            Duration.ofSeconds(Long.MAX_VALUE),
            Duration.ofMillis(Long.MAX_VALUE))) {
      store = new InMemoryTokenLimitStore(clock, forever);
      LimitSpec limit = rate(1000, Duration.ofMinutes(1));
      reserve(charge(limit, "alice", 500));

      advance(Duration.ofDays(3650)); // the bucket refills completely: a sweep would drop it
      triggerSweep();

      assertThat(memory().size()).as("%s", forever).isEqualTo(2);
    }
  }

  @Test
  void settlingTheEmptyReservationIsANoOp() {
    settle(Reservation.EMPTY);

    assertThat(memory().size()).isZero();
  }

  @Test
  void actualAmountsAboveMaxTokensAreRejectedOnSettleNamingTheBound() {
    Reservation reservation = admitted(charge(rate(1000, Duration.ofMinutes(1)), "alice", 10));

    assertThatThrownBy(() -> store.settle(reservation, new long[] {Usage.MAX_TOKENS + 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(String.valueOf(Usage.MAX_TOKENS + 1))
        .hasMessageContaining(String.valueOf(Usage.MAX_TOKENS));
  }

  @Test
  void aReservationOfAnotherInMemoryStoreIsRejectedNamingTheProblem() {
    InMemoryTokenLimitStore other = new InMemoryTokenLimitStore(clock, SWEEP);
    LimitSpec limit = rate(1000, Duration.ofMinutes(1));
    Reservation elsewhere = other.reserve(List.of(charge(limit, "alice", 100))).reservation();

    assertThatThrownBy(() -> settle(elsewhere, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("was not made by this store");
  }

  @Test
  void reservationRecordsTheQuotaWindowOfEachCharge() {
    LimitSpec rate = rate(1000, Duration.ofMinutes(1));
    LimitSpec quota = quota(5000, QuotaPeriod.DAILY, ZoneOffset.UTC);

    Reservation reservation = admitted(charge(rate, "alice", 300), charge(quota, "alice", 300));

    InMemoryTokenLimitStore.Lease lease = (InMemoryTokenLimitStore.Lease) reservation;
    assertThat(lease.windowStart(0)).isZero();
    assertThat(lease.windowStart(1))
        .isEqualTo(Instant.parse("2025-01-15T00:00:00Z").toEpochMilli());
  }

  @Test
  void aReservationOfFourChargesKeepsEachChargesWindowAndSettlesEachInIt() {
    LimitSpec rate = rate(1000, Duration.ofMinutes(1));
    LimitSpec daily = quota(5000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    LimitSpec monthly = quota(9000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    LimitSpec hourly = quota(7000, QuotaPeriod.HOURLY, ZoneOffset.UTC);
    setTime(Instant.parse("2025-01-31T23:30:00Z"));

    Reservation reservation =
        admitted(
            charge(rate, "alice", 300),
            charge(daily, "alice", 300),
            charge(monthly, "alice", 300),
            charge(hourly, "alice", 300));

    InMemoryTokenLimitStore.Lease lease = (InMemoryTokenLimitStore.Lease) reservation;
    assertThat(lease.windowStart(0)).isZero();
    assertThat(lease.windowStart(1))
        .isEqualTo(Instant.parse("2025-01-31T00:00:00Z").toEpochMilli());
    assertThat(lease.windowStart(2))
        .isEqualTo(Instant.parse("2025-01-01T00:00:00Z").toEpochMilli());
    assertThat(lease.windowStart(3))
        .isEqualTo(Instant.parse("2025-01-31T23:00:00Z").toEpochMilli());
    // Every window has ended when the call settles: a refund lands nowhere, an overrun in the new
    // window of each quota, whichever place its charge has.
    setTime(Instant.parse("2025-02-01T00:10:00Z"));
    settle(reservation, 300, 500, 100, 400);

    ReserveResult after =
        reserve(charge(daily, "alice", 0), charge(monthly, "alice", 0), charge(hourly, "alice", 0));
    assertThat(after.remaining()).containsExactly(5000L - 200, 9000L, 7000L - 100);
  }

  @Test
  void whatEachCounterHoldsIsReportedAsBeforeAndAfterEveryChargeOnItWhateverTheCharges() {
    Random random = new Random(20261205);
    LimitSpec[] specs = {
      rate(5_000, Duration.ofMinutes(1)),
      quota(20_000, QuotaPeriod.DAILY, ZoneOffset.UTC),
      inFlight(6),
      LimitSpec.rate("requests", LimitSpec.Unit.REQUESTS, 40, Duration.ofMinutes(1))
    };
    String[] keys = {"alice", "bob"};
    List<Reservation> open = new ArrayList<>();
    int admittedCount = 0;
    int rejectedCount = 0;
    for (int call = 0; call < 3_000; call++) {
      clock.advance(Duration.ofMillis(random.nextInt(40)));
      int count = 1 + random.nextInt(5);
      List<LimitCharge> charges = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        LimitSpec spec = specs[random.nextInt(specs.length)];
        long amount =
            spec.kind() == LimitSpec.Kind.IN_FLIGHT
                ? 1
                : spec.unit() == LimitSpec.Unit.REQUESTS ? 1 : random.nextInt(900);
        charges.add(charge(spec, keys[random.nextInt(keys.length)], amount));
      }
      // What each counter held, read at the reservation's instant before it.
      long[] before = new long[count];
      for (int i = 0; i < count; i++) {
        before[i] = left(charges.get(i));
      }
      ReserveResult result = store.reserve(charges);
      for (int i = 0; i < count; i++) {
        long onCounter = 0;
        for (LimitCharge other : charges) {
          if (other.limit().equals(charges.get(i).limit())
              && other.counterKey().equals(charges.get(i).counterKey())) {
            onCounter += other.amount();
          }
        }
        assertThat(result.remaining().get(i))
            .as("call %d, charge %d of %s", call, i, charges)
            .isEqualTo(result.admitted() ? before[i] - onCounter : before[i]);
      }
      if (result.admitted()) {
        admittedCount++;
        open.add(result.reservation());
      } else {
        rejectedCount++;
      }
      if (!open.isEmpty() && random.nextInt(3) > 0) {
        Reservation settled = open.remove(random.nextInt(open.size()));
        long[] actual = new long[settled.charges().size()];
        for (int i = 0; i < actual.length; i++) {
          LimitSpec spec = settled.charges().get(i).limit();
          actual[i] =
              spec.kind() == LimitSpec.Kind.IN_FLIGHT
                  ? 0
                  : spec.unit() == LimitSpec.Unit.REQUESTS ? 1 : random.nextInt(1200);
        }
        settle(settled, actual);
      }
    }
    assertThat(admittedCount).isGreaterThan(300);
    assertThat(rejectedCount).isGreaterThan(300);
  }

  /** What the counter of {@code charge} holds now, read without taking anything from it. */
  private long left(LimitCharge charge) {
    CounterReading reading =
        store.peek(List.of(new CounterId(charge.limit(), charge.counterKey()))).get(0);
    return charge.limit().capacity() - reading.used();
  }

  @Test
  void reservationSaysWhenItHasBeenSettled() {
    Reservation reservation = admitted(charge(inFlight(1), "alice", 1));

    String before = reservation.toString();
    settle(reservation, 0);

    assertThat(before).doesNotContain("settled");
    assertThat(reservation.toString()).endsWith(", settled");
  }

  // ---------------------------------------------------------------- rejection details

  @Test
  void spentQuotaIsReportedBeforeABusyRate() {
    LimitSpec rate = rate(100, Duration.ofMinutes(1));
    LimitSpec quota = quota(100, QuotaPeriod.DAILY, ZoneOffset.UTC);
    reserve(charge(rate, "alice", 100), charge(quota, "alice", 100));

    ReserveResult result = reserve(charge(rate, "alice", 10), charge(quota, "alice", 10));

    assertThat(result.rejectedBy().limit()).isEqualTo(quota);
    assertThat(result.retryAfter()).isEqualTo(Duration.ofHours(14)); // until midnight UTC
    assertThat(result.remaining()).containsExactly(0L, 0L);
  }

  @Test
  void busyRateIsReportedBeforeAFullInFlightLimit() {
    LimitSpec slots = inFlight(1);
    LimitSpec rate = rate(100, Duration.ofMinutes(1));
    reserve(charge(slots, "alice", 1), charge(rate, "alice", 100));

    ReserveResult result = reserve(charge(slots, "alice", 1), charge(rate, "alice", 10));

    assertThat(result.rejectedBy().limit()).isEqualTo(rate);
    assertThat(result.retryAfter()).isEqualTo(Duration.ofSeconds(6));
  }

  @Test
  void theFirstOfRatesWithEqualWaitsIsReported() {
    LimitSpec first = LimitSpec.rate("first", 100, Duration.ofMinutes(1));
    LimitSpec second = LimitSpec.rate("second", 100, Duration.ofMinutes(1));
    reserve(charge(first, "alice", 100), charge(second, "alice", 100));

    ReserveResult result = reserve(charge(first, "alice", 10), charge(second, "alice", 10));

    assertThat(result.rejectedBy().limit()).isEqualTo(first);
    assertThat(result.retryAfter()).isEqualTo(Duration.ofSeconds(6));
  }

  @Test
  void chargeLargerThanRateCapacityIsRejectedWithAWholeRefillPeriod() {
    LimitSpec limit = rate(100, Duration.ofMinutes(1));

    ReserveResult result = reserve(charge(limit, "alice", 101));

    assertThat(result.admitted()).isFalse();
    assertThat(result.retryAfter()).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void fastestRateRefillsOneTokenPerNanosecond() {
    LimitSpec limit = rate(60_000_000_000L, Duration.ofMinutes(1));
    admitted(charge(limit, "alice", 60_000_000_000L));

    clock.advance(Duration.ofSeconds(1));

    assertThat(remaining(limit, "alice")).isEqualTo(1_000_000_000L);
  }

  @Test
  void slowestRateTakesAnOverdraftOfMaxTokensAndStaysSpent() {
    LimitSpec limit = rate(1, TokenLimit.MAX_RATE_PERIOD);
    Reservation reservation = admitted(charge(limit, "alice", 1));

    store.settle(reservation, new long[] {Usage.MAX_TOKENS});

    ReserveResult after = reserve(charge(limit, "alice", 0));
    assertThat(after.admitted()).isFalse();
    assertThat(after.retryAfter()).isPositive();
  }

  @Test
  void chargesAboveTheCapacityOfAFullRateAreRejectedWithAWholeRefillPeriod() {
    LimitSpec limit = rate(Usage.MAX_TOKENS, Duration.ofMinutes(1));

    ReserveResult result =
        reserve(charge(limit, "alice", Usage.MAX_TOKENS), charge(limit, "alice", 1));

    assertThat(result.admitted()).isFalse();
    assertThat(result.retryAfter()).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void retryAfterAnOverdraftBeyondWhatNanosecondsCountSaturates() {
    LimitSpec limit = rate(100, Duration.ofDays(365));
    settle(admitted(charge(limit, "alice", 100)), 1_000_000_100L);

    ReserveResult result = reserve(charge(limit, "alice", 1));

    assertThat(result.retryAfter()).isEqualTo(Duration.ofNanos(Long.MAX_VALUE));
  }

  @Test
  void clockSteppingBackwardsNeitherRefillsNorLosesTheRefillReference() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1)); // 10 tokens per second
    reserve(charge(limit, "alice", 600));
    advance(Duration.ofMinutes(-10)); // a wall-clock correction
    long whileBehind = remaining(limit, "alice");

    advance(Duration.ofMinutes(10).plusSeconds(30));

    assertThat(whileBehind).isZero();
    assertThat(remaining(limit, "alice")).isEqualTo(300);
  }

  @Test
  void clockSteppingBackIntoTheEndedQuotaWindowKeepsWhatTheCurrentOneHolds() {
    LimitSpec limit = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    reserve(charge(limit, "alice", 1000)); // January 15th spent
    setTime(Instant.parse("2025-01-16T00:00:10Z"));
    reserve(charge(limit, "alice", 1000)); // January 16th spent
    advance(Duration.ofSeconds(-20)); // a wall-clock correction back into the 15th

    ReserveResult whileBehind = reserve(charge(limit, "alice", 1));
    advance(Duration.ofSeconds(30)); // the 16th again
    ReserveResult after = reserve(charge(limit, "alice", 1));

    assertThat(whileBehind.admitted()).isFalse();
    assertThat(after.admitted()).isFalse();
    assertThat(remaining(limit, "alice")).isZero();
  }

  // ---------------------------------------------------------------- idle sweep

  @Test
  void countersAreCreatedPerLimitAndKey() {
    LimitSpec rate = rate(1000, Duration.ofMinutes(1));
    LimitSpec quota = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);

    reserve(charge(rate, "alice", 1), charge(quota, "alice", 1));
    reserve(charge(rate, "bob", 1));

    assertThat(memory().size()).isEqualTo(3);
  }

  @Test
  void sweepDropsFullBucketsAfterTheSweepInterval() {
    LimitSpec limit = rate(1000, Duration.ofMinutes(1));
    reserve(charge(limit, "alice", 500));
    reserve(charge(limit, "bob", 800));

    advance(SWEEP); // both buckets refill completely
    triggerSweep();

    assertThat(memory().size()).isEqualTo(1); // only the trigger's own counter
  }

  @Test
  void sweepDropsQuotasWhoseWindowHasEnded() {
    setTime(Instant.parse("2025-01-15T23:59:30Z"));
    LimitSpec limit = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    reserve(charge(limit, "alice", 700));

    advance(SWEEP); // the day ended 30 s ago
    triggerSweep();

    assertThat(memory().size()).isEqualTo(1);
    assertThat(remaining(limit, "alice")).isEqualTo(1000);
  }

  @Test
  void sweepDropsQuotasWithNothingUsedInTheCurrentWindow() {
    LimitSpec limit = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    settle(admitted(charge(limit, "alice", 700)), 0);

    advance(SWEEP);
    triggerSweep();

    assertThat(memory().size()).isEqualTo(1);
  }

  @Test
  void sweepDropsInFlightCountersWithNoSlotTaken() {
    LimitSpec limit = inFlight(2);
    settle(admitted(charge(limit, "alice", 1)), 0);

    advance(SWEEP);
    triggerSweep();

    assertThat(memory().size()).isEqualTo(1);
  }

  @Test
  void sweepKeepsAnInFlightCounterWithASlotTaken() {
    LimitSpec limit = inFlight(2);
    Reservation held = admitted(charge(limit, "alice", 1));

    advance(SWEEP);
    triggerSweep();

    assertThat(memory().size()).isEqualTo(2);
    assertThat(remaining(limit, "alice")).isEqualTo(1);
    settle(held, 0);
    assertThat(remaining(limit, "alice")).isEqualTo(2);
  }

  @Test
  void sweepDoesNotRunBeforeTheSweepInterval() {
    LimitSpec limit = rate(1000, Duration.ofSeconds(1));
    reserve(charge(limit, "alice", 500));

    advance(SWEEP.minusMillis(1)); // the bucket is long full, but no sweep is due
    triggerSweep();

    assertThat(memory().size()).isEqualTo(2);
  }

  @Test
  void sweepKeepsABucketInUseWithItsState() {
    LimitSpec limit = rate(3600, Duration.ofHours(1)); // one token per second
    reserve(charge(limit, "alice", 1000));

    advance(SWEEP); // +60
    triggerSweep();

    assertThat(memory().size()).isEqualTo(2);
    assertThat(remaining(limit, "alice")).isEqualTo(2660);
  }

  @Test
  void sweepKeepsAQuotaInUseInTheCurrentWindowWithItsState() {
    LimitSpec limit = quota(1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    reserve(charge(limit, "alice", 300));

    advance(SWEEP);
    triggerSweep();

    assertThat(memory().size()).isEqualTo(2);
    assertThat(remaining(limit, "alice")).isEqualTo(700);
  }

  @Test
  void sweepKeepsAnOverdrawnBucket() {
    LimitSpec limit = rate(600, Duration.ofMinutes(10)); // one token per second
    settle(admitted(charge(limit, "alice", 600)), 1000); // -400

    advance(SWEEP); // +60
    triggerSweep();

    assertThat(memory().size()).isEqualTo(2);
    assertThat(remaining(limit, "alice")).isEqualTo(-340);
  }

  @Test
  void sweepRunsAgainAfterEachInterval() {
    LimitSpec limit = rate(1000, Duration.ofMinutes(1));
    advance(SWEEP);
    triggerSweep(); // the first sweep
    reserve(charge(limit, "alice", 500));

    advance(SWEEP);
    triggerSweep(); // the second sweep drops alice's full bucket and the trigger's own

    assertThat(memory().size()).isEqualTo(1);
  }

  @Test
  void sweepsRacingWithReservationsAndSettlementsLoseNoTokens() throws Exception {
    // A sweep is due on every reserve; counters keep flipping between idle and in use.
    InMemoryTokenLimitStore sweeping = new InMemoryTokenLimitStore(clock, Duration.ofMillis(1));
    LimitSpec limit = quota(1_000_000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    int threads = RACING_THREADS;
    int iterations = RACING_CALLS;
    race(
        (thread, i) -> {
          ReserveResult result = sweeping.reserve(List.of(charge(limit, "k" + (i % 4), 1)));
          sweeping.settle(result.reservation(), new long[] {i % 10 == 0 ? 1 : 0}); // keep 1 in 10
        });

    long[] kept = new long[4];
    for (int i = 0; i < iterations; i++) {
      kept[i % 4] += i % 10 == 0 ? threads : 0;
    }
    for (int k = 0; k < 4; k++) {
      ReserveResult probe = sweeping.reserve(List.of(charge(limit, "k" + k, 0)));
      assertThat(probe.remaining()).as("k%d", k).containsExactly(1_000_000L - kept[k]);
    }
  }

  @Test
  void sweepsRacingWithCallsOfTwoCountersInEitherOrderLoseNoTokensAndNeverDeadlock()
      throws Exception {
    // Two quotas per call, named in either order, or one of them twice: the pair is locked in
    // the counters' order whichever way the call names them, and relocked when a sweep dropped one.
    InMemoryTokenLimitStore sweeping = new InMemoryTokenLimitStore(clock, Duration.ofMillis(1));
    LimitSpec first = quota(1_000_000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    LimitSpec second = quota(2_000_000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    int threads = RACING_THREADS;
    int iterations = RACING_CALLS;
    race(
        (thread, i) -> {
          String key = "k" + (i % 2);
          List<LimitCharge> charges =
              switch ((thread + i) % 3) {
                case 0 -> List.of(charge(first, key, 1), charge(second, key, 1));
                case 1 -> List.of(charge(second, key, 1), charge(first, key, 1));
                default -> List.of(charge(first, key, 1), charge(first, key, 1));
              };
          ReserveResult result = sweeping.reserve(charges);
          assertThat(result.admitted()).isTrue();
          long keep = i % 10 == 0 ? 1 : 0;
          sweeping.settle(result.reservation(), new long[] {keep, keep}); // keep 1 in 10
        });

    long[] keptFirst = new long[2];
    long[] keptSecond = new long[2];
    for (int thread = 0; thread < threads; thread++) {
      for (int i = 0; i < iterations; i++) {
        if (i % 10 == 0) {
          boolean same = (thread + i) % 3 == 2;
          keptFirst[i % 2] += same ? 2 : 1;
          keptSecond[i % 2] += same ? 0 : 1;
        }
      }
    }
    for (int k = 0; k < 2; k++) {
      ReserveResult probe =
          sweeping.reserve(List.of(charge(first, "k" + k, 0), charge(second, "k" + k, 0)));
      assertThat(probe.remaining())
          .as("k%d", k)
          .containsExactly(1_000_000L - keptFirst[k], 2_000_000L - keptSecond[k]);
    }
  }

  @Test
  void settlementAfterItsCounterWasSweptChargesAFreshCounter() {
    LimitSpec limit = rate(1000, Duration.ofMinutes(1));
    Reservation nothingReserved = admitted(charge(limit, "alice", 0)); // the bucket stays full
    advance(SWEEP);
    triggerSweep();
    int afterSweep = memory().size();

    settle(nothingReserved, 300);

    assertThat(afterSweep).isEqualTo(1);
    assertThat(remaining(limit, "alice")).isEqualTo(700);
  }

  @Test
  void settlementAfterOneOfItsTwoCountersWasSweptChargesItAFreshOneAndTheOtherItsOwn() {
    LimitSpec rate = rate(1000, Duration.ofMinutes(1));
    LimitSpec quota = quota(1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    // The bucket stays full (swept); the quota holds the 200 reserved (kept).
    Reservation reserved = admitted(charge(rate, "alice", 0), charge(quota, "alice", 200));
    advance(SWEEP);
    triggerSweep();
    int afterSweep = memory().size();

    settle(reserved, 300, 300);

    assertThat(afterSweep).isEqualTo(2); // the quota and the sweep trigger's bucket
    assertThat(remaining(rate, "alice")).isEqualTo(700);
    assertThat(remaining(quota, "alice")).isEqualTo(700);
  }

  @Test
  void settlementOfCountersNoSweepDroppedChargesThem() {
    LimitSpec rate = rate(1000, Duration.ofMinutes(1));
    LimitSpec quota = quota(1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    Reservation reserved = admitted(charge(rate, "bob", 200), charge(quota, "bob", 200));

    settle(reserved, 50, 50);

    assertThat(memory().size()).isEqualTo(2);
    assertThat(remaining(rate, "bob")).isEqualTo(950);
    assertThat(remaining(quota, "bob")).isEqualTo(950);
  }

  // ---------------------------------------------------------------- saturating arithmetic

  // ---------------------------------------------------------------- a limit configured anew

  /*
   * Gateways that share this store count a limit under its id and counter key, as every store
   * does, whatever its capacity: a gateway built again with a changed capacity (a configuration
   * reload) keeps what the old one counted.
   */

  @Test
  void aQuotaWhoseCapacityIsRaisedKeepsWhatWasUsed() {
    LimitSpec before =
        LimitSpec.quota("team/quota/monthly", 1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    LimitSpec after =
        LimitSpec.quota("team/quota/monthly", 1500, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    settle(admitted(charge(before, "a", 900)), 800);

    assertRejected(reserve(charge(after, "a", 800)), 700);
    assertAdmitted(reserve(charge(after, "a", 700)), 0);
  }

  @Test
  void aRateWhoseCapacityIsLoweredKeepsWhatWasUsedAndNeverHoldsMoreThanItsCapacity() {
    LimitSpec before = LimitSpec.rate("team/rate", 1000, SLOW);
    LimitSpec after = LimitSpec.rate("team/rate", 500, SLOW);
    settle(admitted(charge(before, "a", 300)), 300);

    assertRejected(reserve(charge(after, "a", 201)), 200);
    assertAdmitted(reserve(charge(after, "a", 200)), 0);
    // Back to the old capacity: what is used stays used.
    assertThat(remaining(before, "a")).isEqualTo(500);
  }

  @Test
  void anInFlightLimitWhoseCapacityIsLoweredCountsTheSlotsTakenBefore() {
    LimitSpec before = LimitSpec.inFlight("team/in-flight", 4);
    LimitSpec after = LimitSpec.inFlight("team/in-flight", 2);
    Reservation first = admitted(charge(before, "a", 1));
    Reservation second = admitted(charge(before, "a", 1));

    assertRejected(reserve(charge(after, "a", 1)), 0);
    settle(first, 0);
    settle(second, 0);
    assertThat(remaining(after, "a")).isEqualTo(2);
    assertThat(memory().size()).isEqualTo(1);
  }

  @Test
  void saturatedAddStopsAtTheEndsOfALong() {
    assertThat(InMemoryTokenLimitStore.saturatedAdd(Long.MAX_VALUE - 1, 5))
        .isEqualTo(Long.MAX_VALUE);
    assertThat(InMemoryTokenLimitStore.saturatedAdd(Long.MIN_VALUE + 1, -5))
        .isEqualTo(Long.MIN_VALUE);
    assertThat(InMemoryTokenLimitStore.saturatedAdd(-7, 5)).isEqualTo(-2);
  }

  @Test
  void saturatedSubtractStopsAtTheEndsOfALong() {
    assertThat(InMemoryTokenLimitStore.saturatedSubtract(Long.MIN_VALUE + 1, 5))
        .isEqualTo(Long.MIN_VALUE);
    assertThat(InMemoryTokenLimitStore.saturatedSubtract(Long.MAX_VALUE - 1, -5))
        .isEqualTo(Long.MAX_VALUE);
    assertThat(InMemoryTokenLimitStore.saturatedSubtract(0, Long.MIN_VALUE))
        .isEqualTo(Long.MAX_VALUE);
    assertThat(InMemoryTokenLimitStore.saturatedSubtract(-7, 5)).isEqualTo(-12);
  }
}
