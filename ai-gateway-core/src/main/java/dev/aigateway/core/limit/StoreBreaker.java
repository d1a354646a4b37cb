package dev.aigateway.core.limit;

import dev.aigateway.api.StoreState;
import dev.aigateway.api.StoreTransition;
import dev.aigateway.core.concurrent.OrderedReporter;
import dev.aigateway.core.pipeline.CallLog;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * The token store's breaker: a small state machine ({@link StoreState}) over reservations, on the
 * gateway's clock. Each reservation asks {@link #acquire()} for a permit (the state's generation)
 * and hands it back with its verdict; a verdict from before the last change of state (a slow call
 * that started while the store was healthy) is ignored, so it can neither open the breaker twice
 * nor close it while a probe is out. Every change is logged once (under the lock) and reported
 * once, in order, after the lock is let go: a listener that takes its time (pages someone over a
 * slow network) holds up the call whose reservation made the change, never the other calls, which
 * every reservation's permit would otherwise make wait for it. The change is reported on the thread
 * of that call, or, while the listeners are still being told of an earlier change, by the thread
 * telling them, right after it. Thread-safe.
 */
final class StoreBreaker {

  /** What {@link #acquire()} answers when the store must not be called. */
  static final long SKIP = -1;

  // Logged under the call's name, where an application configures the gateway's call logging.
  static final Logger LOG = CallLog.logger();

  private final Logger log;
  private final StoreBreakerPolicy policy;
  private final StoreFailurePolicy failurePolicy;
  private final Clock clock;
  private final String store;
  private final OrderedReporter<StoreTransition> transitions;

  private StoreState state = StoreState.HEALTHY;
  private long generation;
  private int failures;
  private Duration coolDown;
  private long coolDownEndsMillis;

  StoreBreaker(
      StoreBreakerPolicy policy,
      StoreFailurePolicy failurePolicy,
      Clock clock,
      String store,
      Consumer<StoreTransition> transitions,
      Logger log) {
    this.log = log;
    this.policy = policy;
    this.failurePolicy = failurePolicy;
    this.clock = clock;
    this.store = store;
    this.transitions = new OrderedReporter<>(transitions, log, "store transition");
    this.coolDown = policy.coolDown();
  }

  /**
   * A permit to call the store, or {@link #SKIP}: while failing and the cool-down lasts, and while
   * a probe is out. The first call after the cool-down becomes the probe.
   */
  long acquire() {
    long permit;
    synchronized (this) {
      permit = acquireLocked();
    }
    transitions.report();
    return permit;
  }

  private long acquireLocked() {
    switch (state) {
      case HEALTHY:
        return generation;
      case FAILING:
        if (clock.millis() < coolDownEndsMillis) {
          return SKIP;
        }
        move(StoreState.PROBING, null, "cool-down of " + coolDown + " passed");
        return generation;
      default: // PROBING: its probe is out
        return SKIP;
    }
  }

  /** The store answered the reservation of {@code permit}. */
  void succeeded(long permit) {
    synchronized (this) {
      succeededLocked(permit);
    }
    transitions.report();
  }

  private void succeededLocked(long permit) {
    if (permit != generation) {
      return;
    }
    if (state == StoreState.HEALTHY) {
      failures = 0;
    } else if (state == StoreState.PROBING) {
      failures = 0;
      coolDown = policy.coolDown();
      move(StoreState.HEALTHY, null, "probe succeeded");
    }
  }

  /** The store failed the reservation of {@code permit}; {@code why} is free of secrets. */
  void failed(long permit, String why) {
    synchronized (this) {
      failedLocked(permit, why);
    }
    transitions.report();
  }

  private void failedLocked(long permit, String why) {
    if (permit != generation) {
      return;
    }
    if (state == StoreState.HEALTHY) {
      if (++failures >= policy.failureThreshold()) {
        coolDown = policy.coolDown();
        open(
            failures == 1
                ? "reservation failed: " + why
                : failures + " reservations failed in a row; last: " + why);
      }
    } else if (state == StoreState.PROBING) {
      coolDown = policy.nextCoolDown(coolDown);
      open("probe failed: " + why);
    }
  }

  /** The current state, for tests and logs. */
  synchronized StoreState state() {
    return state;
  }

  private void open(String reason) {
    failures = 0;
    long now = clock.millis();
    long length = coolDown.toMillis();
    coolDownEndsMillis = now > Long.MAX_VALUE - length ? Long.MAX_VALUE : now + length;
    move(StoreState.FAILING, coolDown, reason);
  }

  /** Changes state, logs it and queues it to be reported; called under the lock. */
  private void move(StoreState to, Duration openFor, String reason) {
    StoreState from = state;
    generation++;
    state = to;
    boolean fallback =
        to != StoreState.HEALTHY
            && failurePolicy.mode() == StoreFailurePolicy.Mode.FALL_BACK_TO_LOCAL;
    StoreTransition transition =
        new StoreTransition(store, from, to, clock.instant(), openFor, fallback, reason);
    switch (to) {
      case FAILING ->
          log.warn(
              "ai-gateway: token store {} is failing ({}); for {} {}, then one call probes it",
              store,
              reason,
              openFor,
              failurePolicy.describe());
      case PROBING -> log.info("ai-gateway: token store {}: {}; one call probes it", store, reason);
      case HEALTHY ->
          log.info(
              "ai-gateway: token store {} is healthy again ({}); it counts calls again",
              store,
              reason);
    }
    transitions.add(transition);
  }
}
