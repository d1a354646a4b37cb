package dev.aigateway.core.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/** A backend's live state in one gateway: breaker, cooldown, calls in flight, latency, headroom. */
public final class BackendState {

  private static final double EWMA_WEIGHT = 0.2;

  /**
   * How long a latency sample speaks for its backend: a backend whose last sample is older was not
   * picked for that long (latency balancing sent its calls elsewhere), so nothing says how fast it
   * is now; it counts as unmeasured until one call has been sent to measure it again.
   */
  static final long LATENCY_SAMPLE_LIFETIME_MILLIS = 60_000;

  /** Far enough in the past that a backend never probed counts as not probed lately. */
  private static final long NEVER = Long.MIN_VALUE / 4;

  private final Backend backend;
  private final CircuitBreaker breaker;
  private final int tierIndex;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile long coolDownUntilMillis;
  private volatile double latencyEwmaNanos = Double.NaN;
  private volatile long latencySampledAtMillis = NEVER;
  private volatile long latencyProbedAtMillis = NEVER;
  private volatile RateLimitSnapshot rateLimits;

  BackendState(Backend backend, CircuitBreaker breaker, int tierIndex) {
    this.backend = backend;
    this.breaker = breaker;
    this.tierIndex = tierIndex;
  }

  public Backend backend() {
    return backend;
  }

  public String id() {
    return backend.id();
  }

  public CircuitBreaker breaker() {
    return breaker;
  }

  int tierIndex() {
    return tierIndex;
  }

  /** Whether the backend may take a call now: breaker not open and not cooling down. */
  public boolean available(long nowMillis) {
    return nowMillis >= coolDownUntilMillis && breaker.isAvailable();
  }

  /** When the backend may take a call again. */
  public Instant availableAt() {
    Instant breakerAt = breaker.availableAt();
    Instant coolDownAt = Instant.ofEpochMilli(coolDownUntilMillis);
    return breakerAt.isAfter(coolDownAt) ? breakerAt : coolDownAt;
  }

  /**
   * Keeps traffic off the backend for {@code duration} from {@code nowMillis} (it answered 429 with
   * a retry-after, capped by the caller), in whole milliseconds rounded up, as a breaker's trip and
   * the other instances keep it (0.5 ms is 1 ms, never none); a duration past the clock's range
   * saturates.
   */
  public void coolDown(long nowMillis, Duration duration) {
    long millis = SharedHealth.ceilMillis(duration);
    long until = nowMillis + millis;
    coolDownUntil(((nowMillis ^ until) & (millis ^ until)) < 0 ? Long.MAX_VALUE : until);
  }

  /**
   * Keeps traffic off the backend until then (it answered 429 with a retry-after); an earlier end
   * than the current one changes nothing.
   */
  public void coolDownUntil(long untilMillis) {
    synchronized (this) {
      if (untilMillis > coolDownUntilMillis) {
        coolDownUntilMillis = untilMillis;
      }
    }
  }

  /**
   * When the backend's last cool-down ends, in epoch milliseconds (0 before any; in the past once
   * it has ended).
   */
  public long coolDownUntilMillis() {
    return coolDownUntilMillis;
  }

  /** The attempts this gateway has in flight at the backend. */
  public int inFlight() {
    return inFlight.get();
  }

  /** Whether the backend has as many attempts in flight as its {@link Backend#maxInFlight} cap. */
  public boolean atCapacity() {
    int cap = backend.maxInFlight();
    return cap > 0 && inFlight.get() >= cap;
  }

  /** Counts an attempt in flight, whatever the backend's cap. */
  public void callStarted() {
    inFlight.incrementAndGet();
  }

  /**
   * Counts an attempt in flight if the backend's cap leaves room for it; false (nothing counted)
   * when the backend is at its cap.
   */
  public boolean tryCallStarted() {
    int cap = backend.maxInFlight();
    if (cap == 0) {
      inFlight.incrementAndGet();
      return true;
    }
    while (true) {
      int now = inFlight.get();
      if (now >= cap) {
        return false;
      }
      if (inFlight.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  /** An attempt counted by {@link #callStarted} or {@link #tryCallStarted} has ended. */
  public void callEnded() {
    inFlight.decrementAndGet();
  }

  /**
   * The moving average of latency in nanoseconds (a failed attempt counts as the failover's
   * first-event timeout: {@link LoadBalancing#latencyAware()}), NaN before the first sample.
   */
  public double latencyEwmaNanos() {
    return latencyEwmaNanos;
  }

  /**
   * Adds a latency sample taken at {@code nowMillis} (the gateway's clock); a sample that follows
   * one older than {@link #LATENCY_SAMPLE_LIFETIME_MILLIS} starts the average again, as the old one
   * says nothing of the backend now. A lost update under a race only drops one sample.
   */
  public void recordLatency(long nanos, long nowMillis) {
    double current = latencyEwmaNanos;
    latencyEwmaNanos =
        Double.isNaN(current) || sampleOutlived(nowMillis)
            ? nanos
            : current + EWMA_WEIGHT * (nanos - current);
    latencySampledAtMillis = nowMillis;
  }

  /**
   * The latency that ranks this backend at {@code nowMillis}: its moving average, or NaN (tried
   * first, as a backend never measured is) when its last sample is older than {@link
   * #LATENCY_SAMPLE_LIFETIME_MILLIS} and no call was sent to measure it again within that time.
   * Without this, a backend whose one failure counted as a slow sample was never picked again, so
   * it never gave the sample that would show it answering again.
   */
  double latencyForBalancing(long nowMillis) {
    double ewma = latencyEwmaNanos;
    if (!Double.isNaN(ewma)
        && sampleOutlived(nowMillis)
        && nowMillis - latencyProbedAtMillis >= LATENCY_SAMPLE_LIFETIME_MILLIS) {
      return Double.NaN;
    }
    return ewma;
  }

  /**
   * Latency balancing picked this backend at {@code nowMillis} while its sample had outlived its
   * lifetime: the call measures it, so other calls rank it on its old average meanwhile instead of
   * all going to it as unmeasured.
   */
  void latencyProbed(long nowMillis) {
    latencyProbedAtMillis = nowMillis;
  }

  private boolean sampleOutlived(long nowMillis) {
    return nowMillis - latencySampledAtMillis >= LATENCY_SAMPLE_LIFETIME_MILLIS;
  }

  public RateLimitSnapshot rateLimits() {
    return rateLimits;
  }

  public void rateLimits(RateLimitSnapshot snapshot) {
    if (snapshot != null) {
      rateLimits = snapshot;
    }
  }

  /**
   * Remaining tokens as a share of the limit, per the last rate-limit headers still within their
   * reset time; 1 when unknown. Negative when the call's estimate does not fit, or when no request
   * is left before the requests' reset (whatever is known of the tokens: a backend may send its
   * request counts alone, or its token window may have reset before its request window).
   */
  double headroom(long estimate, long nowMillis) {
    RateLimitSnapshot limits = rateLimits;
    if (limits != null
        && limits.remainingRequests() == 0
        && (limits.requestsResetAt() == null
            || limits.requestsResetAt().toEpochMilli() > nowMillis)) {
      return -1;
    }
    long limit;
    long remaining;
    if (limits != null
        && limits.remainingTokens() >= 0
        && (limits.tokensResetAt() == null || limits.tokensResetAt().toEpochMilli() > nowMillis)) {
      remaining = limits.remainingTokens();
      limit = limits.limitTokens() > 0 ? limits.limitTokens() : Math.max(remaining, 1);
    } else if (backend.tokensPerMinute() > 0) {
      return estimate > backend.tokensPerMinute() ? -1 : 1;
    } else {
      return 1;
    }
    if (remaining < estimate) {
      return -1;
    }
    return (double) remaining / limit;
  }
}
