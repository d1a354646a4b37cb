package dev.aigateway.core.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.core.CircuitBreakerPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

  private final TestClock clock = new TestClock(Instant.parse("2026-06-01T10:00:00Z"));
  private final List<BreakerTransition> transitions = new CopyOnWriteArrayList<>();

  private CircuitBreaker breaker(CircuitBreakerPolicy policy) {
    return new CircuitBreaker("b1", policy, clock, transitions::add);
  }

  private static CircuitBreakerPolicy threeIn10s() {
    return CircuitBreakerPolicy.builder().failureCount(3, Duration.ofSeconds(10))
        .tripDuration(Duration.ofSeconds(30)).build();
  }

  @Test
  void tripsOnTheNthFailureWithinTheInterval() {
    CircuitBreaker breaker = breaker(threeIn10s());
    breaker.onFailure(null);
    breaker.onFailure(null);
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);

    breaker.onFailure(null);

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    assertThat(breaker.tryAcquire()).isFalse();
    assertThat(transitions).singleElement().satisfies(t -> {
      assertThat(t.from()).isEqualTo(BreakerState.CLOSED);
      assertThat(t.to()).isEqualTo(BreakerState.OPEN);
      assertThat(t.openFor()).isEqualTo(Duration.ofSeconds(30));
      assertThat(t.reason()).isEqualTo("3 failures in PT10S");
    });
  }

  @Test
  void failuresSpreadBeyondTheIntervalDoNotTrip() {
    CircuitBreaker breaker = breaker(threeIn10s());
    for (int i = 0; i < 6; i++) {
      breaker.onFailure(null);
      clock.advance(Duration.ofSeconds(6));
    }
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
  }

  @Test
  void rateModeWaitsForTheMinimumNumberOfCalls() {
    CircuitBreaker breaker = breaker(CircuitBreakerPolicy.builder()
        .failureRate(50, 4, Duration.ofSeconds(10)).build());
    breaker.onFailure(null);
    breaker.onFailure(null);
    breaker.onSuccess();
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED); // 3 calls < 4

    breaker.onFailure(null); // 3 of 4 failed: 75%

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    assertThat(transitions.get(0).reason()).startsWith("75.0% of 4 calls");
  }

  @Test
  void retryAfterOfTheTrippingFailureSetsTheTripAndIsCapped() {
    CircuitBreaker breaker = breaker(CircuitBreakerPolicy.builder()
        .failureCount(1, Duration.ofSeconds(10)).maxTripDuration(Duration.ofMinutes(5)).build());
    breaker.onFailure(Duration.ofSeconds(7));
    assertThat(transitions.get(0).openFor()).isEqualTo(Duration.ofSeconds(7));
    assertThat(breaker.availableAt()).isEqualTo(clock.instant().plusSeconds(7));

    clock.advance(Duration.ofSeconds(7));
    assertThat(breaker.tryAcquire()).isTrue();
    breaker.onFailure(Duration.ofHours(3));
    assertThat(transitions.get(transitions.size() - 1).openFor())
        .isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void retryAfterIsIgnoredWhenNotHonoured() {
    CircuitBreaker breaker = breaker(CircuitBreakerPolicy.builder()
        .failureCount(1, Duration.ofSeconds(10)).honourRetryAfter(false)
        .tripDuration(Duration.ofSeconds(12)).build());
    breaker.onFailure(Duration.ofSeconds(99));
    assertThat(transitions.get(0).openFor()).isEqualTo(Duration.ofSeconds(12));
  }

  @Test
  void halfOpenLetsOneProbeThroughAndItsSuccessCloses() {
    CircuitBreaker breaker = breaker(threeIn10s());
    for (int i = 0; i < 3; i++) {
      breaker.onFailure(null);
    }
    clock.advance(Duration.ofSeconds(29));
    assertThat(breaker.isAvailable()).isFalse();
    clock.advance(Duration.ofSeconds(1));
    assertThat(breaker.isAvailable()).isTrue();

    assertThat(breaker.tryAcquire()).isTrue();
    assertThat(breaker.state()).isEqualTo(BreakerState.HALF_OPEN);
    assertThat(breaker.tryAcquire()).isFalse();
    assertThat(breaker.isAvailable()).isFalse();

    breaker.onSuccess();

    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
    assertThat(breaker.tryAcquire()).isTrue();
    assertThat(transitions).extracting(BreakerTransition::to)
        .containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED);
    assertThat(transitions.get(2).reason()).isEqualTo("probe succeeded");
  }

  @Test
  void aFailedProbeOpensTheBreakerAgain() {
    CircuitBreaker breaker = breaker(threeIn10s());
    for (int i = 0; i < 3; i++) {
      breaker.onFailure(null);
    }
    clock.advance(Duration.ofSeconds(30));
    breaker.tryAcquire();

    breaker.onFailure(null);

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    assertThat(transitions.get(2).reason()).isEqualTo("probe failed");
    assertThat(breaker.tryAcquire()).isFalse();
  }

  @Test
  void anIgnoredProbeFreesTheSlot() {
    CircuitBreaker breaker = breaker(threeIn10s());
    for (int i = 0; i < 3; i++) {
      breaker.onFailure(null);
    }
    clock.advance(Duration.ofSeconds(30));
    assertThat(breaker.tryAcquire()).isTrue();

    breaker.onIgnored();

    assertThat(breaker.tryAcquire()).isTrue();
  }

  @Test
  void exactlyOneOfManyRacingCallersGetsTheProbe() throws Exception {
    CircuitBreaker breaker = breaker(threeIn10s());
    for (int i = 0; i < 3; i++) {
      breaker.onFailure(null);
    }
    clock.advance(Duration.ofSeconds(30));
    int threads = 16;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    AtomicInteger acquired = new AtomicInteger();
    for (int i = 0; i < threads; i++) {
      pool.submit(() -> {
        start.await();
        if (breaker.tryAcquire()) {
          acquired.incrementAndGet();
        }
        return null;
      });
    }
    start.countDown();
    pool.shutdown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

    assertThat(acquired).hasValue(1);
  }

  @Test
  void aThrowingTransitionListenerDoesNotBreakTheBreaker() {
    CircuitBreaker breaker = new CircuitBreaker("b1", CircuitBreakerPolicy.builder()
        .failureCount(1, Duration.ofSeconds(1)).build(), clock, t -> {
          throw new IllegalStateException("listener bug");
        });

    breaker.onFailure(null);

    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
  }
}
