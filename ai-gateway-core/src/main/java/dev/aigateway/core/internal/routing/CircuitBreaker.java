package dev.aigateway.core.internal.routing;

import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.core.CircuitBreakerPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backend's circuit breaker: a small state machine on the injected clock. Failures are
 * counted in a sliding window of ten buckets, so memory is constant at any call rate.
 *
 * <p>Resilience4j was considered; its breaker does not let the tripping failure set the open
 * duration (a backend's {@code Retry-After}), which is what the gateway needs most, and the
 * machine is small.
 */
public final class CircuitBreaker {

  private static final Logger log = LoggerFactory.getLogger(CircuitBreaker.class);
  private static final int BUCKETS = 10;

  private final String backendId;
  private final CircuitBreakerPolicy policy;
  private final Clock clock;
  private final Consumer<BreakerTransition> transitions;
  private final long bucketMillis;
  private final long[] bucketStart = new long[BUCKETS];
  private final int[] calls = new int[BUCKETS];
  private final int[] failures = new int[BUCKETS];
  private volatile BreakerState state = BreakerState.CLOSED;
  private volatile long openUntilMillis;
  private boolean probeInFlight;

  public CircuitBreaker(String backendId, CircuitBreakerPolicy policy, Clock clock,
      Consumer<BreakerTransition> transitions) {
    this.backendId = backendId;
    this.policy = policy;
    this.clock = clock;
    this.transitions = transitions;
    this.bucketMillis = Math.max(1, policy.interval().toMillis() / BUCKETS);
  }

  public BreakerState state() {
    return state;
  }

  /** Whether {@link #tryAcquire()} could succeed now; changes nothing. */
  public boolean isAvailable() {
    BreakerState s = state;
    if (s == BreakerState.CLOSED) {
      return true;
    }
    if (s == BreakerState.OPEN) {
      return clock.millis() >= openUntilMillis;
    }
    synchronized (this) {
      return !probeInFlight;
    }
  }

  /** When the breaker may admit a call: now unless it is open (or its probe is in flight). */
  public Instant availableAt() {
    BreakerState s = state;
    if (s == BreakerState.OPEN) {
      return Instant.ofEpochMilli(Math.max(openUntilMillis, clock.millis()));
    }
    return clock.instant();
  }

  /**
   * Admits a call: always when closed; when open, once the trip has passed, exactly one caller
   * (the half-open probe) until the probe's verdict.
   */
  public boolean tryAcquire() {
    if (state == BreakerState.CLOSED) {
      return true;
    }
    BreakerTransition transition = null;
    boolean acquired;
    synchronized (this) {
      if (state == BreakerState.CLOSED) {
        return true;
      }
      if (state == BreakerState.OPEN) {
        if (clock.millis() < openUntilMillis) {
          return false;
        }
        transition = move(BreakerState.HALF_OPEN, null, "trip of " + tripText() + " ended");
      }
      acquired = !probeInFlight;
      probeInFlight = true;
    }
    report(transition);
    return acquired;
  }

  /** The call got a verdict of success (any response that is not a failure). */
  public void onSuccess() {
    if (state == BreakerState.CLOSED) {
      synchronized (this) {
        record(false);
      }
      return;
    }
    BreakerTransition transition = null;
    synchronized (this) {
      if (state == BreakerState.HALF_OPEN) {
        probeInFlight = false;
        clearWindow();
        transition = move(BreakerState.CLOSED, null, "probe succeeded");
      } else if (state == BreakerState.CLOSED) {
        record(false);
      }
    }
    report(transition);
  }

  /**
   * The call failed (failure status, connection failure or timeout).
   *
   * @param retryAfter how long the backend asked to be left alone, or null
   */
  public void onFailure(Duration retryAfter) {
    BreakerTransition transition = null;
    synchronized (this) {
      if (state == BreakerState.HALF_OPEN) {
        probeInFlight = false;
        transition = trip(retryAfter, "probe failed");
      } else if (state == BreakerState.CLOSED) {
        record(true);
        String reason = tripReason();
        if (reason != null) {
          transition = trip(retryAfter, reason);
        }
      }
    }
    report(transition);
  }

  /** The call ended without a verdict (cancelled); frees the half-open probe slot. */
  public void onIgnored() {
    synchronized (this) {
      if (state == BreakerState.HALF_OPEN) {
        probeInFlight = false;
      }
    }
  }

  private BreakerTransition trip(Duration retryAfter, String reason) {
    Duration openFor = policy.tripDuration(retryAfter);
    openUntilMillis = clock.millis() + openFor.toMillis();
    clearWindow();
    return move(BreakerState.OPEN, openFor, reason);
  }

  private BreakerTransition move(BreakerState to, Duration openFor, String reason) {
    BreakerState from = state;
    state = to;
    return new BreakerTransition(backendId, from, to, clock.instant(), openFor, reason);
  }

  private void report(BreakerTransition transition) {
    if (transition == null) {
      return;
    }
    try {
      transitions.accept(transition);
    } catch (RuntimeException e) {
      log.warn("ai-gateway: breaker transition listener failed for backend {}", backendId, e);
    }
  }

  private void record(boolean failed) {
    long now = clock.millis();
    long start = now - Math.floorMod(now, bucketMillis);
    int i = (int) Math.floorMod(start / bucketMillis, (long) BUCKETS);
    if (bucketStart[i] != start) {
      bucketStart[i] = start;
      calls[i] = 0;
      failures[i] = 0;
    }
    calls[i]++;
    if (failed) {
      failures[i]++;
    }
  }

  /** Why the window trips the breaker now, or null when it does not. */
  private String tripReason() {
    long now = clock.millis();
    long oldest = now - bucketMillis * BUCKETS;
    int windowCalls = 0;
    int windowFailures = 0;
    for (int i = 0; i < BUCKETS; i++) {
      if (bucketStart[i] > oldest) {
        windowCalls += calls[i];
        windowFailures += failures[i];
      }
    }
    if (policy.failureCount() > 0) {
      return windowFailures >= policy.failureCount()
          ? windowFailures + " failures in " + policy.interval() : null;
    }
    if (windowCalls < policy.minimumCalls()) {
      return null;
    }
    double percent = windowFailures * 100.0 / windowCalls;
    return percent >= policy.failureRatePercent()
        ? String.format(java.util.Locale.ROOT, "%.1f%% of %d calls failed in %s", percent,
            windowCalls, policy.interval()) : null;
  }

  private void clearWindow() {
    java.util.Arrays.fill(bucketStart, 0);
    java.util.Arrays.fill(calls, 0);
    java.util.Arrays.fill(failures, 0);
  }

  private String tripText() {
    return policy.tripDuration().toString();
  }
}
