package dev.aigateway.core.routing;

import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.core.concurrent.OrderedReporter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backend's circuit breaker: a small state machine on the injected clock. Thread-safe.
 *
 * <p>The router asks {@link #isAvailable()} while choosing (lock-free, changes nothing), then
 * {@link #tryAcquire()} for the chosen backend, which hands out a permit, and reports every
 * acquired call's verdict with its permit, by exactly one of {@link #onSuccess(long)}, {@link
 * #onFailure(long, Duration)} or {@link #onIgnored(long)}.
 *
 * <p>Closed, calls flow and their verdicts are counted in a sliding window of (up to) ten buckets
 * over the policy's interval, so memory is constant at any call rate. When the policy's condition
 * is met the breaker opens for the trip duration (or the tripping failure's retry-after, when
 * longer than zero). Once that has passed, the next {@link #tryAcquire()} half-opens it and is the
 * one probe let through: its success closes the breaker with an empty window, its failure opens it
 * again. A permit belongs to the state it was handed out in: a verdict that arrives after the
 * breaker moved on (a call acquired before a trip answering while open, half-open or closed again)
 * is stale and ignored, so only the probe's own verdict decides a half-open breaker.
 *
 * <p>Every state change is reported once to the transitions consumer, in order, after the breaker's
 * lock is let go: a consumer that takes its time (a listener paging someone over a slow network)
 * holds up the thread whose call made the change, never the other calls to the backend, whose
 * verdicts take the lock. The change is reported on that thread, or, while the consumer is still
 * being told of an earlier change, by the thread telling it, right after it. An exception from the
 * consumer is logged and dropped.
 *
 * <p>Resilience4j's breaker was considered; it cannot let the tripping failure set the open
 * duration (a backend's {@code Retry-After}), which is what the gateway needs most.
 */
public final class CircuitBreaker {

  private static final Logger log = LoggerFactory.getLogger(CircuitBreaker.class);

  /** Buckets of the sliding window: a verdict leaves it 0.9 to 1 interval after it happened. */
  static final int BUCKETS = 10;

  private final String backendId;
  private final CircuitBreakerPolicy policy;
  private final Clock clock;
  private final OrderedReporter<BreakerTransition> transitions;
  private final Object lock = new Object();

  // The window, guarded by lock. Bucket i holds epoch bucket bucketEpoch[i] (now / bucketMillis).
  private final long bucketMillis;
  private final long[] bucketEpoch;
  private final long[] bucketCalls;
  private final long[] bucketFailures;

  // Written under lock; read without it by the fast paths. Write order keeps lock-free readers
  // conservative: openUntilMillis before state = OPEN, probeInFlight before state = HALF_OPEN.
  private volatile BreakerState state = BreakerState.CLOSED;
  private volatile long openUntilMillis;
  private volatile boolean probeInFlight;

  /** Bumped by every state change, before the state is written; a permit is its value. */
  private volatile long generation;

  /**
   * The permit of the probe whose success last closed the breaker, and the generation it closed it
   * in (guarded by lock): a {@link #onLateFailure} of that probe opens the breaker again while
   * nothing changed since. -1 when none.
   */
  private long closingProbePermit = -1;

  private long closedByProbeGeneration = -1;

  /** What {@link #tryAcquire()} returns when it admits no call. */
  public static final long DENIED = -1;

  /**
   * A closed breaker with an empty window.
   *
   * @param backendId the backend's id, reported in transitions
   * @param transitions receives every state change; exceptions from it are logged and dropped
   */
  public CircuitBreaker(
      String backendId,
      CircuitBreakerPolicy policy,
      Clock clock,
      Consumer<BreakerTransition> transitions) {
    this.backendId = Objects.requireNonNull(backendId, "backendId");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.transitions =
        new OrderedReporter<>(
            Objects.requireNonNull(transitions, "transitions"), log, "breaker transition");
    // Saturated: an interval beyond what a long holds in milliseconds (ChronoUnit.FOREVER's) is a
    // window that never forgets a failure.
    long intervalMillis = Math.max(1, TimeUnit.MILLISECONDS.convert(policy.interval()));
    int buckets = (int) Math.min(BUCKETS, intervalMillis);
    this.bucketMillis = intervalMillis / buckets + (intervalMillis % buckets == 0 ? 0 : 1);
    this.bucketEpoch = new long[buckets];
    this.bucketCalls = new long[buckets];
    this.bucketFailures = new long[buckets];
    clearWindow();
  }

  /** The backend this breaker guards. */
  public String backendId() {
    return backendId;
  }

  /**
   * The current state. An open breaker whose trip has passed stays {@link BreakerState#OPEN} until
   * the next {@link #tryAcquire()} half-opens it.
   */
  public BreakerState state() {
    return state;
  }

  /**
   * Whether {@link #tryAcquire()} could succeed now; changes nothing and takes no lock. Another
   * thread may take the half-open probe between this and {@link #tryAcquire()}.
   */
  public boolean isAvailable() {
    BreakerState s = state;
    if (s == BreakerState.CLOSED) {
      return true;
    }
    if (s == BreakerState.HALF_OPEN) {
      return !probeInFlight;
    }
    return clock.millis() >= openUntilMillis;
  }

  /**
   * When a call could be acquired: now when closed or half-open with the probe slot free; else the
   * end of the trip (already past while a half-open probe is in flight).
   */
  public Instant availableAt() {
    BreakerState s = state;
    if (s == BreakerState.CLOSED || (s == BreakerState.HALF_OPEN && !probeInFlight)) {
      return clock.instant();
    }
    return Instant.ofEpochMilli(openUntilMillis);
  }

  /**
   * Admits a call and returns its permit (>= 0), or {@link #DENIED}. Closed: always. Open: never
   * before the trip has passed; at or after it the breaker half-opens and exactly one caller gets a
   * permit (the probe); others are denied until the probe's verdict. Every permit must be followed
   * by one verdict that hands it back ({@link #onSuccess(long)}, {@link #onFailure(long, Duration)}
   * or {@link #onIgnored(long)}).
   */
  public long tryAcquire() {
    long permit = generation; // read before the state: a change in between is seen as one
    if (state == BreakerState.CLOSED) {
      return permit;
    }
    long acquired;
    synchronized (lock) {
      acquired = acquireLocked();
    }
    transitions.report();
    return acquired;
  }

  /** {@link #tryAcquire()} past its lock-free path; called under the lock. */
  private long acquireLocked() {
    switch (state) {
      case CLOSED:
        return generation;
      case HALF_OPEN:
        if (probeInFlight) {
          return DENIED;
        }
        probeInFlight = true;
        return generation;
      default: // OPEN
        long now = clock.millis();
        if (now < openUntilMillis) {
          return DENIED;
        }
        probeInFlight = true;
        move(BreakerState.HALF_OPEN, now, null, "trip ended, probing", null);
        return generation;
    }
  }

  /**
   * An acquired call succeeded (the backend answered with a status that is not a failure).
   * Half-open: the probe succeeded, so the breaker closes with an empty window. A stale permit
   * (handed out before the breaker's last change) changes nothing.
   */
  public void onSuccess(long permit) {
    if (state == BreakerState.CLOSED && policy.failureCount() > 0) {
      return; // count mode keeps no successes
    }
    onOutcome(permit, false, null);
  }

  /**
   * An acquired call failed (a failure status, or a connection failure or timeout). Closed: it is
   * counted, and trips the breaker when the policy's condition is met. Half-open: the probe failed,
   * so the breaker opens again. Either way the trip lasts {@code retryAfter} (capped) when the
   * policy honours it and it is longer than zero, else the policy's trip duration. A stale permit
   * changes nothing.
   *
   * @param permit what {@link #tryAcquire()} returned for the call
   * @param retryAfter how long the backend asked to be left alone, or null when it did not say
   */
  public void onFailure(long permit, @Nullable Duration retryAfter) {
    onOutcome(permit, true, retryAfter);
  }

  /** Counts an acquired call's outcome, closing or opening a half-open breaker with its probe's. */
  private void onOutcome(long permit, boolean failed, @Nullable Duration retryAfter) {
    synchronized (lock) {
      onOutcomeLocked(permit, failed, retryAfter);
    }
    transitions.report();
  }

  private void onOutcomeLocked(long permit, boolean failed, @Nullable Duration retryAfter) {
    if (permit != generation) {
      return; // stale
    }
    long now = clock.millis();
    switch (state) {
      case CLOSED:
        record(now, failed);
        String condition = failed ? tripCondition(now) : null;
        if (condition != null) {
          open(now, retryAfter, condition);
        }
        break;
      case HALF_OPEN:
        if (failed) {
          open(now, retryAfter, "probe failed");
        } else {
          clearWindow();
          move(BreakerState.CLOSED, now, null, "probe succeeded", null);
          probeInFlight = false;
          closingProbePermit = permit;
          closedByProbeGeneration = generation;
        }
        break;
      default: // OPEN: a call acquired before the trip; stale
        break;
    }
  }

  /**
   * A call whose success was counted ({@link #onSuccess}, given when its answer's status or first
   * event arrived) turned out to have failed (its body reported an error): the verdict is
   * corrected, never counted twice. Closed: a failure is counted in place of the success (the call
   * itself was counted already) and trips the breaker when the policy's condition is met. A probe
   * whose success closed the breaker failed after all: the breaker opens again, as when a probe
   * fails, unless it changed since. A stale permit changes nothing.
   *
   * @param permit what {@link #tryAcquire()} returned for the call
   */
  public void onLateFailure(long permit) {
    synchronized (lock) {
      onLateFailureLocked(permit);
    }
    transitions.report();
  }

  private void onLateFailureLocked(long permit) {
    long now = clock.millis();
    if (state != BreakerState.CLOSED) {
      return; // opened since (or a stale permit of a probe that did not close it)
    }
    if (permit == closingProbePermit && generation == closedByProbeGeneration) {
      open(now, null, "probe failed");
      return;
    }
    if (permit != generation) {
      return; // stale
    }
    if (policy.failureCount() > 0) {
      record(now, true); // count mode kept no success to take back
    } else {
      recordLateFailure(now);
    }
    String condition = tripCondition(now);
    if (condition != null) {
      open(now, null, condition);
    }
  }

  /**
   * An acquired call ended without a verdict (for example the application cancelled it). Half-
   * open, the probe's own permit frees the probe slot for the next caller. Otherwise nothing is
   * counted.
   */
  public void onIgnored(long permit) {
    if (state != BreakerState.HALF_OPEN) {
      return;
    }
    synchronized (lock) {
      if (state == BreakerState.HALF_OPEN && permit == generation) {
        probeInFlight = false;
      }
    }
  }

  @Override
  public String toString() {
    return "CircuitBreaker{" + backendId + ", " + state + "}";
  }

  private void open(long now, Duration retryAfter, String why) {
    Duration openFor = policy.tripDuration(retryAfter);
    String reason = policy.setsTrip(retryAfter) ? why + "; retry-after from backend" : why;
    openUntilMillis = SharedHealth.saturatedAdd(now, SharedHealth.ceilMillis(openFor));
    clearWindow();
    move(BreakerState.OPEN, now, openFor, reason, null);
    probeInFlight = false;
  }

  /**
   * Another gateway instance's breaker for this backend tripped: this one opens for {@code openFor}
   * from now (on this breaker's clock), or an open one stays open at least that long; then it
   * half-opens as after any trip, so the signal's end is always honoured. A half-open breaker opens
   * again (its probe's verdict becomes stale). Reported with the signal's origin.
   */
  void tripFromSignal(Duration openFor, String origin) {
    synchronized (lock) {
      tripFromSignalLocked(openFor, origin);
    }
    transitions.report();
  }

  private void tripFromSignalLocked(Duration openFor, String origin) {
    long now = clock.millis();
    long until = SharedHealth.saturatedAdd(now, SharedHealth.ceilMillis(openFor));
    if (state == BreakerState.OPEN) {
      if (until > openUntilMillis) {
        openUntilMillis = until;
      }
      return;
    }
    openUntilMillis = until;
    clearWindow();
    move(BreakerState.OPEN, now, openFor, "tripped at instance " + origin, origin);
    probeInFlight = false;
  }

  /**
   * Another gateway instance's probe of this backend succeeded: an open breaker ends its trip now,
   * so the next call is its probe (it does not close unprobed: the other instance may reach the
   * backend by another path). Returns whether the trip was shortened.
   */
  boolean recoveredFromSignal() {
    synchronized (lock) {
      long now = clock.millis();
      if (state == BreakerState.OPEN && openUntilMillis > now) {
        openUntilMillis = now;
        return true;
      }
      return false;
    }
  }

  /** Changes state and queues it to be reported; called under the lock. */
  private void move(
      BreakerState to, long now, Duration openFor, String reason, @Nullable String origin) {
    BreakerState from = state;
    generation++; // before the state: see tryAcquire
    state = to;
    BreakerTransition transition =
        new BreakerTransition(
            backendId, from, to, Instant.ofEpochMilli(now), openFor, reason, origin);
    transitions.add(transition);
  }

  private void record(long now, boolean failed) {
    long epoch = Math.floorDiv(now, bucketMillis);
    int i = (int) Math.floorMod(epoch, (long) bucketEpoch.length);
    if (bucketEpoch[i] != epoch) {
      bucketEpoch[i] = epoch;
      bucketCalls[i] = 0;
      bucketFailures[i] = 0;
    }
    bucketCalls[i]++;
    if (failed) {
      bucketFailures[i]++;
    }
  }

  /**
   * Counts a failure for a call already counted as a success: in the current bucket when it holds a
   * success to take back, else as a failed call (so no bucket holds more failures than calls).
   */
  private void recordLateFailure(long now) {
    long epoch = Math.floorDiv(now, bucketMillis);
    int i = (int) Math.floorMod(epoch, (long) bucketEpoch.length);
    if (bucketEpoch[i] == epoch && bucketFailures[i] < bucketCalls[i]) {
      bucketFailures[i]++;
    } else {
      record(now, true);
    }
  }

  /** Why the window trips the breaker now, or null when it does not. */
  private String tripCondition(long now) {
    long epoch = Math.floorDiv(now, bucketMillis);
    long calls = 0;
    long failures = 0;
    for (int i = 0; i < bucketEpoch.length; i++) {
      if (bucketEpoch[i] > epoch - bucketEpoch.length && bucketEpoch[i] <= epoch) {
        calls += bucketCalls[i];
        failures += bucketFailures[i];
      }
    }
    if (policy.failureCount() > 0) {
      return failures >= policy.failureCount()
          ? failures + (failures == 1 ? " failure in " : " failures in ") + policy.interval()
          : null;
    }
    if (calls < policy.minimumCalls() || failures * 100.0 < policy.failureRatePercent() * calls) {
      return null;
    }
    return String.format(
        Locale.ROOT,
        "%.1f%% of %d calls failed in %s",
        failures * 100.0 / calls,
        calls,
        policy.interval());
  }

  private void clearWindow() {
    Arrays.fill(bucketEpoch, Long.MIN_VALUE);
  }
}
