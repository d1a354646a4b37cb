package dev.aigateway.core.routing;

import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.spi.BackendHealthChannel;
import dev.aigateway.api.spi.HealthSignal;
import java.lang.ref.WeakReference;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One router's link to a {@link BackendHealthChannel}: announces what the router's own calls found
 * (a cool-down, a breaker tripping or recovering) and applies what other instances announce.
 * Thread-safe.
 *
 * <p>A received cool-down or trip keeps the backend unavailable for the signal's remaining time,
 * counted on this router's clock from when it arrived and capped by the pool's {@code
 * maxTripDuration}; a trip then ends in a probe, as a local one does. A received recovery ends an
 * open breaker's trip at once (the next call is its probe). Signals of another pool, of an unknown
 * backend or of this router itself are ignored, and nothing received is ever announced again.
 *
 * <p>The channel holds this object only weakly: once its gateway is unreachable, the next signal
 * closes the subscription, so discarded gateways do not pile up on a long-lived channel.
 */
final class SharedHealth {

  private static final Logger LOG = LoggerFactory.getLogger(SharedHealth.class);

  /**
   * A cool-down is announced only when it ends more than this after the last one announced or
   * received for the backend: a burst of 429s becomes one signal, not one per call.
   */
  static final long ANNOUNCE_SLACK_MILLIS = 1_000;

  private static final SecureRandom IDS = new SecureRandom();

  private final BackendHealthChannel channel;
  private final String pool;
  private final String origin;
  private final Clock clock;
  private final Duration maxTripDuration;
  private final Logger log;
  private final Map<String, BackendState> backends = new HashMap<>();
  private final Map<String, AtomicLong> knownCoolDownEnd = new HashMap<>();
  private final AtomicBoolean publishFailing = new AtomicBoolean();
  private final Receiver receiver = new Receiver(this);

  SharedHealth(BackendHealthChannel channel, BackendPool pool, Clock clock, Logger log) {
    this.channel = channel;
    this.pool = pool.name();
    this.origin = newOrigin();
    this.clock = clock;
    this.maxTripDuration = pool.circuitBreaker().maxTripDuration();
    this.log = log;
  }

  SharedHealth(BackendHealthChannel channel, BackendPool pool, Clock clock) {
    this(channel, pool, clock, LOG);
  }

  /** Starts receiving for these backends (the router's, once built); call once. */
  void start(List<BackendState> states) {
    for (BackendState state : states) {
      backends.put(state.id(), state);
      knownCoolDownEnd.put(state.id(), new AtomicLong(Long.MIN_VALUE));
    }
    receiver.subscription = channel.subscribe(receiver);
  }

  /** The id this router's signals carry. */
  String origin() {
    return origin;
  }

  /** The router's own call cooled a backend down (already applied locally): tells the others. */
  void cooledDown(BackendState state, long nowMillis, Duration duration) {
    AtomicLong known = knownCoolDownEnd.get(state.id());
    long until = saturatedAdd(nowMillis, ceilMillis(duration));
    long previous;
    do {
      previous = known.get();
      if (previous != Long.MIN_VALUE && until <= saturatedAdd(previous, ANNOUNCE_SLACK_MILLIS)) {
        return;
      }
    } while (!known.compareAndSet(previous, until));
    publish(
        new HealthSignal(
            pool,
            state.id(),
            HealthSignal.Kind.COOL_DOWN,
            Instant.ofEpochMilli(until),
            duration,
            origin));
  }

  /**
   * A breaker of the router changed state (called under its lock): a trip or a recovery that the
   * router's own calls caused is announced; a change a signal caused never is.
   */
  void breakerMoved(BreakerTransition t) {
    if (t.remote()) {
      return;
    }
    if (t.to() == BreakerState.OPEN && t.openFor() != null) {
      Instant until =
          Instant.ofEpochMilli(saturatedAdd(t.at().toEpochMilli(), ceilMillis(t.openFor())));
      publish(
          new HealthSignal(
              pool, t.backendId(), HealthSignal.Kind.TRIPPED, until, t.openFor(), origin));
    } else if (t.from() == BreakerState.HALF_OPEN && t.to() == BreakerState.CLOSED) {
      publish(
          new HealthSignal(
              pool, t.backendId(), HealthSignal.Kind.RECOVERED, t.at(), Duration.ZERO, origin));
    }
  }

  /** Applies another instance's signal. */
  void receive(HealthSignal signal) {
    if (signal.origin().equals(origin) || !signal.pool().equals(pool)) {
      return;
    }
    BackendState state = backends.get(signal.backendId());
    if (state == null) {
      return;
    }
    Duration remaining =
        signal.remaining().compareTo(maxTripDuration) > 0 ? maxTripDuration : signal.remaining();
    switch (signal.kind()) {
      case COOL_DOWN:
        if (!remaining.isZero()) {
          long until = saturatedAdd(clock.millis(), ceilMillis(remaining));
          state.coolDownUntil(until);
          knownCoolDownEnd.get(state.id()).accumulateAndGet(until, Math::max);
        }
        break;
      case TRIPPED:
        if (!remaining.isZero()) {
          state.breaker().tripFromSignal(remaining, signal.origin());
        }
        break;
      default: // RECOVERED
        state.breaker().recoveredFromSignal();
        break;
    }
  }

  private void publish(HealthSignal signal) {
    try {
      channel.publish(signal);
      if (publishFailing.compareAndSet(true, false)) {
        log.info("ai-gateway: backend health signals of pool '{}' are published again", pool);
      }
    } catch (RuntimeException e) {
      // The channel broke its contract (publish must not throw); the call goes on regardless.
      if (publishFailing.compareAndSet(false, true)) {
        log.warn(
            "ai-gateway: backend health channel {} failed to publish for pool '{}'; this instance"
                + " keeps its own view until it works again: {}",
            channel,
            pool,
            e.getClass().getName());
      }
    }
  }

  private static String newOrigin() {
    return "gw-" + Long.toUnsignedString(IDS.nextLong(), 36);
  }

  static long ceilMillis(Duration d) {
    try {
      long millis = d.toMillis();
      return d.minusMillis(millis).isZero() ? millis : Math.addExact(millis, 1);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : sum;
  }

  /** What the channel holds: a weak link, so that the channel does not keep a gateway alive. */
  private static final class Receiver implements Consumer<HealthSignal> {
    private final WeakReference<SharedHealth> target;
    volatile BackendHealthChannel.@Nullable Subscription subscription;

    Receiver(SharedHealth target) {
      this.target = new WeakReference<>(target);
    }

    @Override
    public void accept(HealthSignal signal) {
      SharedHealth health = target.get();
      if (health == null) {
        BackendHealthChannel.Subscription s = subscription;
        if (s != null) {
          s.close();
        }
        return;
      }
      try {
        health.receive(signal);
      } catch (RuntimeException e) {
        health.log.warn(
            "ai-gateway: could not apply backend health signal {} to pool '{}'",
            signal,
            health.pool,
            e);
      }
    }
  }
}
