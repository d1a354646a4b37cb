package dev.aigateway.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

  private static final Instant START = Instant.parse("2026-06-01T10:00:00Z");

  private final ManualClock clock = new ManualClock(START);
  private final List<BreakerTransition> transitions = new CopyOnWriteArrayList<>();

  private CircuitBreaker breaker(CircuitBreakerPolicy policy) {
    return new CircuitBreaker("b1", policy, clock, transitions::add);
  }

  /** 3 failures within 10 s trip it for 30 s. */
  private static CircuitBreakerPolicy threeIn10s() {
    return CircuitBreakerPolicy.builder()
        .failureCount(3, Duration.ofSeconds(10))
        .tripDuration(Duration.ofSeconds(30))
        .build();
  }

  /** Half or more of at least {@code minCalls} calls failing within 10 s trip it. */
  private static CircuitBreakerPolicy halfFailingIn10s(int minCalls) {
    return CircuitBreakerPolicy.builder().failureRate(50, minCalls, Duration.ofSeconds(10)).build();
  }

  private CircuitBreaker tripped() {
    CircuitBreaker breaker = breaker(threeIn10s());
    for (int i = 0; i < 3; i++) {
      failed(breaker, null);
    }
    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    return breaker;
  }

  /**
   * The permit of the call acquired last and not yet reported, or DENIED: a test acquires a call
   * (the probe, say) and reports its verdict later, as the gateway does.
   */
  private long permit = CircuitBreaker.DENIED;

  /** Acquires a call as the router does; keeps its permit for the verdict. */
  private boolean acquire(CircuitBreaker breaker) {
    long acquired = breaker.tryAcquire();
    if (acquired != CircuitBreaker.DENIED) {
      permit = acquired;
    }
    return acquired != CircuitBreaker.DENIED;
  }

  /** The permit of the call acquired and not reported yet, else of a call acquired now. */
  private long verdictPermit(CircuitBreaker breaker) {
    long p = permit != CircuitBreaker.DENIED ? permit : breaker.tryAcquire();
    permit = CircuitBreaker.DENIED;
    return p;
  }

  private void failed(CircuitBreaker breaker, Duration retryAfter) {
    breaker.onFailure(verdictPermit(breaker), retryAfter);
  }

  private void succeeded(CircuitBreaker breaker) {
    breaker.onSuccess(verdictPermit(breaker));
  }

  private void ignored(CircuitBreaker breaker) {
    breaker.onIgnored(verdictPermit(breaker));
  }

  private BreakerTransition last() {
    return transitions.get(transitions.size() - 1);
  }

  @Test
  void aTransitionsConsumerThatBlocksHoldsUpOnlyTheCallThatMadeTheChange() throws Exception {
    CountDownLatch told = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CircuitBreaker breaker =
        new CircuitBreaker(
            "b1",
            CircuitBreakerPolicy.builder()
                .failureCount(1, Duration.ofSeconds(10))
                .tripDuration(Duration.ofSeconds(30))
                .build(),
            clock,
            t -> {
              transitions.add(t);
              told.countDown();
              try {
                release.await(); // a listener paging someone over a slow network
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    long tripping = breaker.tryAcquire();
    long inFlight = breaker.tryAcquire();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> trip = pool.submit(() -> breaker.onFailure(tripping, null));
      assertThat(told.await(30, TimeUnit.SECONDS)).isTrue();

      // Another call to the backend ends, and the next one is refused, while the listener runs.
      Future<Long> next =
          pool.submit(
              () -> {
                breaker.onSuccess(inFlight);
                return breaker.tryAcquire();
              });
      assertThat(next.get(30, TimeUnit.SECONDS)).isEqualTo(CircuitBreaker.DENIED);
      assertThat(trip.isDone()).isFalse();

      release.countDown();
      trip.get(30, TimeUnit.SECONDS);
      assertThat(transitions)
          .extracting(BreakerTransition::from, BreakerTransition::to)
          .containsExactly(tuple(BreakerState.CLOSED, BreakerState.OPEN));
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void aConsumerThatFailsWithAnErrorStillHearsOfTheNextChange() {
    List<BreakerTransition> told = new ArrayList<>();
    CircuitBreaker breaker =
        new CircuitBreaker(
            "b1",
            threeIn10s(),
            clock,
            t -> {
              told.add(t);
              if (told.size() == 1) {
                throw new StackOverflowError(); // thrown on to the call, as before
              }
            });
    failed(breaker, null);
    failed(breaker, null);
    long third = breaker.tryAcquire();

    assertThatThrownBy(() -> breaker.onFailure(third, null)).isInstanceOf(StackOverflowError.class);
    clock.advance(Duration.ofSeconds(30));
    assertThat(acquire(breaker)).isTrue(); // the probe

    assertThat(told)
        .extracting(BreakerTransition::from, BreakerTransition::to)
        .containsExactly(
            tuple(BreakerState.CLOSED, BreakerState.OPEN),
            tuple(BreakerState.OPEN, BreakerState.HALF_OPEN));
  }

  // ---------------------------------------------------------------- count mode

  @Test
  void tripsOnTheNthFailureWithinTheInterval() {
    CircuitBreaker breaker = breaker(threeIn10s());
    failed(breaker, null);
    failed(breaker, null);
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);

    failed(breaker, null);

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    assertThat(acquire(breaker)).isFalse();
    assertThat(transitions)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.backendId()).isEqualTo("b1");
              assertThat(t.from()).isEqualTo(BreakerState.CLOSED);
              assertThat(t.to()).isEqualTo(BreakerState.OPEN);
              assertThat(t.at()).isEqualTo(START);
              assertThat(t.openFor()).isEqualTo(Duration.ofSeconds(30));
              assertThat(t.reason()).isEqualTo("3 failures in PT10S");
            });
  }

  @Test
  void failuresSpreadBeyondTheIntervalDoNotTrip() {
    CircuitBreaker breaker = breaker(threeIn10s());
    for (int i = 0; i < 6; i++) {
      failed(breaker, null);
      clock.advance(Duration.ofSeconds(6));
    }
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
    assertThat(transitions).isEmpty();
  }

  @Test
  void aFailureStillCountsJustInsideTheInterval() {
    CircuitBreaker breaker = breaker(threeIn10s());
    failed(breaker, null);
    clock.advance(Duration.ofSeconds(5));
    failed(breaker, null);
    clock.advance(Duration.ofMillis(4_999)); // 9.999 s after the first

    failed(breaker, null);

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
  }

  @Test
  void aFailureLeavesTheWindowOneIntervalLater() {
    CircuitBreaker breaker = breaker(threeIn10s());
    failed(breaker, null);
    clock.advance(Duration.ofSeconds(5));
    failed(breaker, null);
    clock.advance(Duration.ofSeconds(5)); // 10 s after the first

    failed(breaker, null);

    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
  }

  @Test
  void successesDoNotOffsetFailuresInCountMode() {
    CircuitBreaker breaker = breaker(threeIn10s());
    for (int i = 0; i < 3; i++) {
      failed(breaker, null);
      for (int j = 0; j < 100; j++) {
        succeeded(breaker);
      }
    }
    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
  }

  @Test
  void memoryStaysConstantAtAnyCallRate() {
    CircuitBreaker breaker = breaker(halfFailingIn10s(10));
    for (int i = 0; i < 1_000_000; i++) {
      succeeded(breaker); // a million calls in one bucket: counters, not a list of calls
      if (i % 1000 == 0) {
        clock.advance(Duration.ofMillis(7));
      }
    }
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
  }

  // ---------------------------------------------------------------- rate mode

  @Test
  void rateModeWaitsForTheMinimumNumberOfCalls() {
    CircuitBreaker breaker = breaker(halfFailingIn10s(4));
    failed(breaker, null);
    failed(breaker, null);
    succeeded(breaker);
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED); // 3 calls < 4

    failed(breaker, null); // 3 of 4 failed: 75%

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    assertThat(transitions.get(0).reason()).isEqualTo("75.0% of 4 calls failed in PT10S");
  }

  @Test
  void rateModeTripsExactlyAtThePercentage() {
    CircuitBreaker breaker = breaker(halfFailingIn10s(4));
    succeeded(breaker);
    succeeded(breaker);
    failed(breaker, null);
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);

    failed(breaker, null); // 2 of 4: 50%

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
  }

  @Test
  void rateModeStaysClosedBelowThePercentage() {
    CircuitBreaker breaker = breaker(halfFailingIn10s(4));
    for (int i = 0; i < 3; i++) {
      succeeded(breaker);
    }
    failed(breaker, null);
    failed(breaker, null); // 2 of 5: 40%

    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
  }

  @Test
  void rateModeForgetsCallsOutsideTheInterval() {
    CircuitBreaker breaker = breaker(halfFailingIn10s(4));
    for (int i = 0; i < 3; i++) {
      succeeded(breaker);
    }
    clock.advance(Duration.ofSeconds(10));
    failed(breaker, null);
    failed(breaker, null);
    failed(breaker, null);
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED); // 3 calls in the window < 4

    succeeded(breaker);
    failed(breaker, null);

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
  }

  @Test
  void ignoredCallsAreNotCounted() {
    CircuitBreaker breaker = breaker(halfFailingIn10s(2));
    failed(breaker, null);
    ignored(breaker);
    ignored(breaker);

    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
  }

  // ---------------------------------------------------------------- trip duration

  @Test
  void openBreakerRefusesCallsForTheTripDuration() {
    CircuitBreaker breaker = tripped();
    clock.advance(Duration.ofMillis(29_999));
    assertThat(breaker.isAvailable()).isFalse();
    assertThat(acquire(breaker)).isFalse();
    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);

    clock.advance(Duration.ofMillis(1));

    assertThat(breaker.isAvailable()).isTrue();
    assertThat(acquire(breaker)).isTrue();
  }

  @Test
  void retryAfterOfTheTrippingFailureSetsTheTripAndIsCapped() {
    CircuitBreaker breaker =
        breaker(
            CircuitBreakerPolicy.builder()
                .failureCount(1, Duration.ofSeconds(10))
                .maxTripDuration(Duration.ofMinutes(5))
                .build());
    failed(breaker, Duration.ofSeconds(7));
    assertThat(transitions.get(0).openFor()).isEqualTo(Duration.ofSeconds(7));
    assertThat(transitions.get(0).reason())
        .isEqualTo("1 failure in PT10S; retry-after from backend");
    assertThat(breaker.availableAt()).isEqualTo(clock.instant().plusSeconds(7));

    clock.advance(Duration.ofSeconds(7));
    assertThat(acquire(breaker)).isTrue();
    failed(breaker, Duration.ofHours(3));
    assertThat(last().openFor()).isEqualTo(Duration.ofMinutes(5));
    assertThat(breaker.availableAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(5)));
  }

  @Test
  void retryAfterOfEarlierFailuresDoesNotSetTheTrip() {
    CircuitBreaker breaker = breaker(threeIn10s());
    failed(breaker, Duration.ofSeconds(5));
    failed(breaker, Duration.ofSeconds(5));

    failed(breaker, null);

    assertThat(last().openFor()).isEqualTo(Duration.ofSeconds(30));
    assertThat(last().reason()).isEqualTo("3 failures in PT10S");
  }

  @Test
  void aFractionalRetryAfterKeepsTheBreakerOpenUntilItHasFullyPassed() {
    CircuitBreaker breaker =
        breaker(CircuitBreakerPolicy.builder().failureCount(1, Duration.ofSeconds(10)).build());
    failed(breaker, Duration.ofNanos(1_500_000)); // 1.5 ms

    clock.advance(Duration.ofMillis(1));
    assertThat(acquire(breaker)).isFalse();
    clock.advance(Duration.ofMillis(1));
    assertThat(acquire(breaker)).isTrue();
    assertThat(transitions.get(0).openFor()).isEqualTo(Duration.ofNanos(1_500_000));
  }

  @Test
  void aZeroRetryAfterOnTheTrippingFailureOpensForTheTripDuration() {
    CircuitBreaker breaker =
        breaker(
            CircuitBreakerPolicy.builder()
                .failureCount(1, Duration.ofSeconds(10))
                .tripDuration(Duration.ofSeconds(30))
                .build());
    failed(breaker, Duration.ZERO); // Retry-After: 0, or a date already past

    assertThat(transitions.get(0).openFor()).isEqualTo(Duration.ofSeconds(30));
    assertThat(transitions.get(0).reason()).isEqualTo("1 failure in PT10S");
    assertThat(breaker.isAvailable()).isFalse();
    assertThat(acquire(breaker)).isFalse();
    assertThat(breaker.availableAt()).isEqualTo(clock.instant().plusSeconds(30));

    clock.advance(Duration.ofSeconds(30));
    assertThat(acquire(breaker)).isTrue();
    failed(breaker, Duration.ofSeconds(-3));
    assertThat(last().openFor()).isEqualTo(Duration.ofSeconds(30));
    assertThat(breaker.availableAt()).isEqualTo(clock.instant().plusSeconds(30));
  }

  @Test
  void aSubMillisecondRetryAfterOnTheTrippingFailureOpensForTheTripDuration() {
    CircuitBreaker breaker =
        breaker(
            CircuitBreakerPolicy.builder()
                .failureCount(1, Duration.ofSeconds(10))
                .tripDuration(Duration.ofSeconds(30))
                .build());
    failed(breaker, Duration.ofNanos(300_000)); // retry-after-ms: 0.3

    assertThat(transitions.get(0).openFor()).isEqualTo(Duration.ofSeconds(30));
    assertThat(transitions.get(0).reason()).isEqualTo("1 failure in PT10S");
    clock.advance(Duration.ofMillis(1));
    assertThat(acquire(breaker)).isFalse();
    assertThat(breaker.availableAt()).isEqualTo(clock.instant().plusMillis(29_999));

    clock.advance(Duration.ofMillis(29_999));
    assertThat(acquire(breaker)).isTrue();
    failed(breaker, Duration.ofMillis(1)); // a millisecond is a wait the breaker keeps
    assertThat(last().openFor()).isEqualTo(Duration.ofMillis(1));
  }

  @Test
  void retryAfterIsIgnoredWhenNotHonoured() {
    CircuitBreaker breaker =
        breaker(
            CircuitBreakerPolicy.builder()
                .failureCount(1, Duration.ofSeconds(10))
                .honourRetryAfter(false)
                .tripDuration(Duration.ofSeconds(12))
                .build());
    failed(breaker, Duration.ofSeconds(99));
    assertThat(transitions.get(0).openFor()).isEqualTo(Duration.ofSeconds(12));
    assertThat(transitions.get(0).reason()).isEqualTo("1 failure in PT10S");
  }

  @Test
  void verdictsOfCallsAcquiredBeforeTheTripAreStaleWhileOpen() {
    CircuitBreaker breaker = breaker(threeIn10s());
    long before1 = breaker.tryAcquire();
    long before2 = breaker.tryAcquire();
    long before3 = breaker.tryAcquire();
    for (int i = 0; i < 3; i++) {
      failed(breaker, null);
    }

    breaker.onFailure(before1, Duration.ofHours(1));
    breaker.onSuccess(before2);
    breaker.onIgnored(before3);

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    assertThat(breaker.availableAt()).isEqualTo(START.plusSeconds(30));
    assertThat(transitions).hasSize(1);
  }

  @Test
  void aStaleSuccessArrivingWhileHalfOpenDoesNotDecideTheProbe() {
    CircuitBreaker breaker =
        breaker(
            CircuitBreakerPolicy.builder()
                .failureRate(50, 2, Duration.ofSeconds(10))
                .tripDuration(Duration.ofSeconds(30))
                .build());
    long slow = breaker.tryAcquire(); // a long call, still running when the breaker trips
    failed(breaker, null);
    failed(breaker, null);
    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    clock.advance(Duration.ofSeconds(30));
    long probe = breaker.tryAcquire();
    assertThat(breaker.state()).isEqualTo(BreakerState.HALF_OPEN);

    breaker.onSuccess(slow); // the old call answers now
    breaker.onIgnored(slow);

    assertThat(breaker.state()).as("only the probe decides").isEqualTo(BreakerState.HALF_OPEN);
    assertThat(breaker.tryAcquire())
        .as("the probe is still in flight")
        .isEqualTo(CircuitBreaker.DENIED);
    breaker.onFailure(probe, null);
    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    assertThat(last().reason()).isEqualTo("probe failed");
  }

  @Test
  void aStaleFailureArrivingWhileHalfOpenDoesNotReopen() {
    CircuitBreaker breaker = breaker(threeIn10s());
    long slow = breaker.tryAcquire();
    for (int i = 0; i < 3; i++) {
      failed(breaker, null);
    }
    clock.advance(Duration.ofSeconds(30));
    long probe = breaker.tryAcquire();

    breaker.onFailure(slow, Duration.ofMinutes(5));
    assertThat(breaker.state()).isEqualTo(BreakerState.HALF_OPEN);

    breaker.onSuccess(probe);
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
  }

  @Test
  void aVerdictFromBeforeTheLastTripIsNotCountedOnceClosedAgain() {
    CircuitBreaker breaker = breaker(threeIn10s());
    long[] old = {breaker.tryAcquire(), breaker.tryAcquire(), breaker.tryAcquire()};
    for (int i = 0; i < 3; i++) {
      failed(breaker, null);
    }
    clock.advance(Duration.ofSeconds(30));
    succeeded(breaker); // the probe closes it (fresh window)

    for (long permit : old) {
      breaker.onFailure(permit, null); // three old failures would trip a fresh window
    }

    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
  }

  // ---------------------------------------------------------------- half-open

  @Test
  void halfOpenLetsOneProbeThroughAndItsSuccessCloses() {
    CircuitBreaker breaker = tripped();
    clock.advance(Duration.ofSeconds(29));
    assertThat(breaker.isAvailable()).isFalse();
    clock.advance(Duration.ofSeconds(1));
    assertThat(breaker.isAvailable()).isTrue();

    assertThat(acquire(breaker)).isTrue();
    assertThat(breaker.state()).isEqualTo(BreakerState.HALF_OPEN);
    assertThat(acquire(breaker)).isFalse();
    assertThat(breaker.isAvailable()).isFalse();

    succeeded(breaker);

    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
    assertThat(acquire(breaker)).isTrue();
    assertThat(transitions)
        .extracting(BreakerTransition::to)
        .containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED);
    assertThat(transitions.get(2).reason()).isEqualTo("probe succeeded");
  }

  @Test
  void aLateFailureReplacesTheCallsSuccessInRateMode() {
    CircuitBreaker breaker = breaker(halfFailingIn10s(4));
    succeeded(breaker);
    succeeded(breaker);
    failed(breaker, null);
    long answered = breaker.tryAcquire();
    breaker.onSuccess(answered); // 1 of 4 failed
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);

    breaker.onLateFailure(answered); // its body was an error: 2 of 4, not 2 of 5

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    assertThat(transitions.get(0).reason()).startsWith("50.0% of 4 calls failed");
  }

  @Test
  void aLateFailureCountsInCountModeAndAStaleOneNothing() {
    CircuitBreaker breaker = breaker(threeIn10s());
    failed(breaker, null);
    long answered = breaker.tryAcquire();
    breaker.onSuccess(answered);
    breaker.onLateFailure(answered);
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
    failed(breaker, null); // the third failure

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    breaker.onLateFailure(answered); // stale: from before the trip
    assertThat(transitions).hasSize(1);
  }

  @Test
  void aProbeWhoseSuccessClosedTheBreakerButFailedLateOpensItAgain() {
    CircuitBreaker breaker = tripped();
    clock.advance(Duration.ofSeconds(30));
    long probe = breaker.tryAcquire();
    breaker.onSuccess(probe);
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);

    breaker.onLateFailure(probe);

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    assertThat(breaker.isAvailable()).isFalse();
    assertThat(transitions)
        .extracting(BreakerTransition::to, BreakerTransition::reason)
        .endsWith(
            tuple(BreakerState.CLOSED, "probe succeeded"),
            tuple(BreakerState.OPEN, "probe failed"));
  }

  @Test
  void isAvailableChangesNothing() {
    CircuitBreaker breaker = tripped();
    clock.advance(Duration.ofSeconds(30));

    assertThat(breaker.isAvailable()).isTrue();
    assertThat(breaker.isAvailable()).isTrue();

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    assertThat(transitions).hasSize(1);
  }

  @Test
  void aSuccessfulProbeStartsAFreshWindow() {
    CircuitBreaker breaker = breaker(threeIn10s());
    failed(breaker, null);
    failed(breaker, null);
    failed(breaker, null);
    clock.advance(Duration.ofSeconds(30));
    acquire(breaker);
    succeeded(breaker);

    failed(breaker, null);
    failed(breaker, null);

    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
  }

  @Test
  void aFailedProbeOpensTheBreakerAgain() {
    CircuitBreaker breaker = tripped();
    clock.advance(Duration.ofSeconds(30));
    acquire(breaker);

    failed(breaker, null);

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    assertThat(transitions.get(2).reason()).isEqualTo("probe failed");
    assertThat(transitions.get(2).openFor()).isEqualTo(Duration.ofSeconds(30));
    assertThat(acquire(breaker)).isFalse();
    assertThat(breaker.availableAt()).isEqualTo(clock.instant().plusSeconds(30));
  }

  @Test
  void aFailedProbeHonoursItsRetryAfter() {
    CircuitBreaker breaker = tripped();
    clock.advance(Duration.ofSeconds(30));
    acquire(breaker);

    failed(breaker, Duration.ofSeconds(90));

    assertThat(last().openFor()).isEqualTo(Duration.ofSeconds(90));
    assertThat(last().reason()).isEqualTo("probe failed; retry-after from backend");
  }

  @Test
  void anIgnoredProbeFreesTheSlot() {
    CircuitBreaker breaker = tripped();
    clock.advance(Duration.ofSeconds(30));
    assertThat(acquire(breaker)).isTrue();

    ignored(breaker);

    assertThat(breaker.state()).isEqualTo(BreakerState.HALF_OPEN);
    assertThat(breaker.isAvailable()).isTrue();
    assertThat(acquire(breaker)).isTrue();
    assertThat(acquire(breaker)).isFalse();
    assertThat(transitions).hasSize(2); // freeing the slot is no transition
  }

  @Test
  void exactlyOneOfManyRacingCallersGetsTheProbe() throws Exception {
    int threads = 16;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < 50; round++) {
        transitions.clear();
        CircuitBreaker breaker = tripped();
        clock.advance(Duration.ofSeconds(30));
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger acquired = new AtomicInteger();
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
          done.add(
              pool.submit(
                  () -> {
                    ready.countDown();
                    start.await();
                    if (breaker.tryAcquire() != CircuitBreaker.DENIED) {
                      acquired.incrementAndGet();
                    }
                    return null;
                  }));
        }
        assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
        start.countDown();
        for (Future<?> f : done) {
          f.get(10, TimeUnit.SECONDS);
        }

        assertThat(acquired).as("round %d", round).hasValue(1);
        assertThat(transitions)
            .extracting(BreakerTransition::to)
            .containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- transitions, availableAt

  @Test
  void transitionsAreReportedOnceEachInOrderWithReasons() {
    CircuitBreaker breaker = tripped();
    clock.advance(Duration.ofSeconds(30));
    acquire(breaker);
    failed(breaker, Duration.ofSeconds(5));
    clock.advance(Duration.ofSeconds(5));
    acquire(breaker);
    succeeded(breaker);

    assertThat(transitions)
        .extracting(BreakerTransition::from, BreakerTransition::to, BreakerTransition::reason)
        .containsExactly(
            tuple(BreakerState.CLOSED, BreakerState.OPEN, "3 failures in PT10S"),
            tuple(BreakerState.OPEN, BreakerState.HALF_OPEN, "trip ended, probing"),
            tuple(
                BreakerState.HALF_OPEN,
                BreakerState.OPEN,
                "probe failed; retry-after from backend"),
            tuple(BreakerState.OPEN, BreakerState.HALF_OPEN, "trip ended, probing"),
            tuple(BreakerState.HALF_OPEN, BreakerState.CLOSED, "probe succeeded"));
    assertThat(transitions)
        .extracting(BreakerTransition::at)
        .containsExactly(
            START,
            START.plusSeconds(30),
            START.plusSeconds(30),
            START.plusSeconds(35),
            START.plusSeconds(35));
    assertThat(transitions)
        .extracting(BreakerTransition::openFor)
        .containsExactly(Duration.ofSeconds(30), null, Duration.ofSeconds(5), null, null);
  }

  @Test
  void aThrowingTransitionListenerDoesNotBreakTheBreaker() {
    CircuitBreaker breaker =
        new CircuitBreaker(
            "b1",
            CircuitBreakerPolicy.builder().failureCount(1, Duration.ofSeconds(1)).build(),
            clock,
            t -> {
              throw new IllegalStateException("listener bug");
            });

    failed(breaker, null);
    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);

    clock.advance(Duration.ofSeconds(30));
    assertThat(acquire(breaker)).isTrue();
    succeeded(breaker);
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
  }

  @Test
  void availableAtIsNowWhileClosed() {
    CircuitBreaker breaker = breaker(threeIn10s());
    clock.advance(Duration.ofSeconds(3));

    assertThat(breaker.availableAt()).isEqualTo(START.plusSeconds(3));
  }

  @Test
  void availableAtIsTheEndOfTheTripWhileOpen() {
    CircuitBreaker breaker = tripped();
    clock.advance(Duration.ofSeconds(10));

    assertThat(breaker.availableAt()).isEqualTo(START.plusSeconds(30));
  }

  @Test
  void availableAtIsNowWhenTheProbeSlotIsFree() {
    CircuitBreaker breaker = tripped();
    clock.advance(Duration.ofSeconds(31));
    acquire(breaker);
    ignored(breaker);

    assertThat(breaker.availableAt()).isEqualTo(START.plusSeconds(31));
  }

  @Test
  void availableAtHasPassedWhileTheProbeIsInFlight() {
    CircuitBreaker breaker = tripped();
    clock.advance(Duration.ofSeconds(31));
    acquire(breaker);

    assertThat(breaker.availableAt()).isEqualTo(START.plusSeconds(30));
    assertThat(breaker.isAvailable()).isFalse();
  }

  @Test
  void anIntervalOfCenturiesOrForeverCountsEveryFailureAndTripsWithoutOverflow() {
    // A window longer than a long holds in milliseconds (ChronoUnit.FOREVER's) saturates: every
    // failure since the breaker's start counts, however long ago, and trip durations as long
    // saturate too (the breaker stays open "forever").
    for (Duration forever :
        List.of(
            java.time.temporal.ChronoUnit.FOREVER.getDuration(),
            Duration.ofSeconds(Long.MAX_VALUE),
            Duration.ofMillis(Long.MAX_VALUE))) {
      transitions.clear();
      CircuitBreaker breaker =
          breaker(
              CircuitBreakerPolicy.builder()
                  .failureCount(3, forever)
                  .tripDuration(forever)
                  .maxTripDuration(forever)
                  .build());
      failed(breaker, null);
      clock.advance(Duration.ofDays(3650));
      failed(breaker, null);
      assertThat(breaker.state()).as("%s", forever).isEqualTo(BreakerState.CLOSED);
      clock.advance(Duration.ofDays(3650));
      failed(breaker, forever);

      assertThat(breaker.state()).as("%s", forever).isEqualTo(BreakerState.OPEN);
      clock.advance(Duration.ofDays(36500));
      assertThat(acquire(breaker)).as("%s", forever).isFalse();
    }
  }
}
