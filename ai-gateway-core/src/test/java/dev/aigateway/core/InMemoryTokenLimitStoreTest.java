package dev.aigateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The store contract on the in-memory store, plus what only it promises (sweeping, size). */
class InMemoryTokenLimitStoreTest extends TokenLimitStoreContract {

  private static final Duration SWEEP = Duration.ofMinutes(1);

  @Override
  protected TokenLimitStore newStore(Clock clock) {
    return new InMemoryTokenLimitStore(clock, SWEEP);
  }

  private InMemoryTokenLimitStore memory() {
    return (InMemoryTokenLimitStore) store;
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
  void negativeActualTokensAreRejectedOnSettle() {
    Reservation reservation =
        admitted(charge(rate(1000, Duration.ofMinutes(1)), "alice", 10));

    assertThatThrownBy(() -> store.settle(reservation, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void actualTokensAboveMaxTokensAreRejectedOnSettleNamingTheBound() {
    Reservation reservation =
        admitted(charge(rate(1000, Duration.ofMinutes(1)), "alice", 10));

    assertThatThrownBy(() -> store.settle(reservation, Usage.MAX_TOKENS + 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(String.valueOf(Usage.MAX_TOKENS + 1))
        .hasMessageContaining(String.valueOf(Usage.MAX_TOKENS));
  }

  @Test
  void settlingTheEmptyReservationIsANoOp() {
    store.settle(Reservation.EMPTY, 500);

    assertThat(memory().size()).isZero();
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
  void firstRejectingRateIsReportedWhenNoQuotaRejects() {
    LimitSpec fast = LimitSpec.rate("fast", 100, Duration.ofSeconds(10));
    LimitSpec slow = LimitSpec.rate("slow", 100, Duration.ofHours(1));
    reserve(charge(fast, "alice", 100), charge(slow, "alice", 100));

    ReserveResult result = reserve(charge(fast, "alice", 10), charge(slow, "alice", 10));

    assertThat(result.rejectedBy().limit()).isEqualTo(fast);
    assertThat(result.retryAfter()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void chargeLargerThanRateCapacityIsRejectedWithAWholeRefillPeriod() {
    LimitSpec limit = rate(100, Duration.ofMinutes(1));

    ReserveResult result = reserve(charge(limit, "alice", 101));

    assertThat(result.admitted()).isFalse();
    assertThat(result.retryAfter()).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void rateOverdraftStopsAtWhatItsRefillRepaysInSeventyThreeYears() {
    LimitSpec limit = rate(1000, Duration.ofMinutes(1));
    List<Reservation> inFlight = new java.util.ArrayList<>();
    for (int i = 0; i < 10; i++) {
      inFlight.add(admitted(charge(limit, "alice", 0)));
    }
    inFlight.forEach(reservation -> store.settle(reservation, Usage.MAX_TOKENS));

    ReserveResult after = reserve(charge(limit, "alice", 0));

    assertThat(after.retryAfter()).isBetween(Duration.ofDays(365 * 73), Duration.ofDays(365 * 74));
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

    store.settle(reservation, Usage.MAX_TOKENS);

    ReserveResult after = reserve(charge(limit, "alice", 0));
    assertThat(after.admitted()).isFalse();
    assertThat(after.retryAfter()).isPositive();
  }

  @Test
  void clockSteppingBackwardsNeitherRefillsNorLosesTheRefillReference() {
    LimitSpec limit = rate(600, Duration.ofMinutes(1)); // 10 tokens per second
    reserve(charge(limit, "alice", 600));
    clock.advance(Duration.ofMinutes(-10)); // a wall-clock correction
    long whileBehind = remaining(limit, "alice");

    clock.advance(Duration.ofMinutes(10).plusSeconds(30));

    assertThat(whileBehind).isZero();
    assertThat(remaining(limit, "alice")).isEqualTo(300);
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

    clock.advance(SWEEP); // both buckets refill completely
    triggerSweep();

    assertThat(memory().size()).isEqualTo(1); // only the trigger's own counter
  }

  @Test
  void sweepDropsQuotasWhoseWindowHasEnded() {
    clock.set(Instant.parse("2025-01-15T23:59:30Z"));
    LimitSpec limit = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    reserve(charge(limit, "alice", 700));

    clock.advance(SWEEP); // the day ended 30 s ago
    triggerSweep();

    assertThat(memory().size()).isEqualTo(1);
    assertThat(remaining(limit, "alice")).isEqualTo(1000);
  }

  @Test
  void sweepDropsQuotasWithNothingUsedInTheCurrentWindow() {
    LimitSpec limit = quota(1000, QuotaPeriod.DAILY, ZoneOffset.UTC);
    store.settle(admitted(charge(limit, "alice", 700)), 0);

    clock.advance(SWEEP);
    triggerSweep();

    assertThat(memory().size()).isEqualTo(1);
  }

  @Test
  void sweepDoesNotRunBeforeTheSweepInterval() {
    LimitSpec limit = rate(1000, Duration.ofSeconds(1));
    reserve(charge(limit, "alice", 500));

    clock.advance(SWEEP.minusMillis(1)); // the bucket is long full, but no sweep is due
    triggerSweep();

    assertThat(memory().size()).isEqualTo(2);
  }

  @Test
  void sweepKeepsABucketInUseWithItsState() {
    LimitSpec limit = rate(3600, Duration.ofHours(1)); // one token per second
    reserve(charge(limit, "alice", 1000));

    clock.advance(SWEEP); // +60
    triggerSweep();

    assertThat(memory().size()).isEqualTo(2);
    assertThat(remaining(limit, "alice")).isEqualTo(2660);
  }

  @Test
  void sweepKeepsAQuotaInUseInTheCurrentWindowWithItsState() {
    LimitSpec limit = quota(1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    reserve(charge(limit, "alice", 300));

    clock.advance(SWEEP);
    triggerSweep();

    assertThat(memory().size()).isEqualTo(2);
    assertThat(remaining(limit, "alice")).isEqualTo(700);
  }

  @Test
  void sweepKeepsAnOverdrawnBucket() {
    LimitSpec limit = rate(600, Duration.ofMinutes(10)); // one token per second
    store.settle(admitted(charge(limit, "alice", 600)), 1000); // -400

    clock.advance(SWEEP); // +60
    triggerSweep();

    assertThat(memory().size()).isEqualTo(2);
    assertThat(remaining(limit, "alice")).isEqualTo(-340);
  }

  @Test
  void sweepRunsAgainAfterEachInterval() {
    LimitSpec limit = rate(1000, Duration.ofMinutes(1));
    clock.advance(SWEEP);
    triggerSweep(); // the first sweep
    reserve(charge(limit, "alice", 500));

    clock.advance(SWEEP);
    triggerSweep(); // the second sweep drops alice's full bucket and the trigger's own

    assertThat(memory().size()).isEqualTo(1);
  }

  @Test
  void sweepsRacingWithReservationsAndSettlementsLoseNoTokens() throws Exception {
    // A sweep is due on every reserve; counters keep flipping between idle and in use.
    InMemoryTokenLimitStore sweeping = new InMemoryTokenLimitStore(clock, Duration.ofMillis(1));
    LimitSpec limit = quota(1_000_000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    int threads = 16;
    int iterations = 1000;
    runConcurrently(threads, thread -> {
      for (int i = 0; i < iterations; i++) {
        clock.advance(Duration.ofMillis(1));
        ReserveResult result =
            sweeping.reserve(List.of(charge(limit, "k" + (i % 4), 1)));
        sweeping.settle(result.reservation(), i % 10 == 0 ? 1 : 0); // keep one in ten
      }
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
  void settlementAfterItsCounterWasSweptChargesAFreshCounter() {
    LimitSpec limit = rate(1000, Duration.ofMinutes(1));
    Reservation nothingReserved = admitted(charge(limit, "alice", 0)); // the bucket stays full
    clock.advance(SWEEP);
    triggerSweep();
    int afterSweep = memory().size();

    store.settle(nothingReserved, 300);

    assertThat(afterSweep).isEqualTo(1);
    assertThat(remaining(limit, "alice")).isEqualTo(700);
  }
}
