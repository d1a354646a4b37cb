package dev.aigateway.core;

import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.internal.TokenCounts;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.SynchronizationStrategy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The default {@link TokenLimitStore}: counters in this JVM's memory. Rates are Bucket4j buckets
 * (greedy refill) on the injected clock; quotas are fixed calendar windows.
 *
 * <p>Atomicity across limits: a reservation locks the counters it touches in one global order
 * (their creation sequence), checks every one, then takes from every one, so concurrent calls
 * never deadlock and never admit more than a counter holds. Counters of idle keys are dropped by a sweep that runs
 * at most once per {@code sweepInterval}, on the calling thread, and only drops counters whose
 * loss changes nothing: a full bucket, or a quota whose window has ended.
 *
 * <p>Arithmetic never fails: quota counters saturate at {@link Long#MAX_VALUE} tokens used, and a
 * rate counter owes at most what its refill repays in a quarter of 292 years (Bucket4j refuses a
 * debt it cannot express as a wait in nanoseconds); an overdraft beyond that is not kept, and the
 * counter stays spent for some 73 years either way.
 */
public final class InMemoryTokenLimitStore implements TokenLimitStore {

  /** How often idle counters are swept by default. */
  public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofMinutes(1);

  private final Clock clock;
  private final TimeMeter timeMeter;
  private final long sweepIntervalMillis;
  // Limit first, then counter key: no key string is built per call.
  private final ConcurrentHashMap<LimitSpec, ConcurrentHashMap<String, Counter>> counters =
      new ConcurrentHashMap<>();
  private final AtomicLong counterSequence = new AtomicLong();
  private final AtomicLong nextSweepMillis;

  /** A store on the system UTC clock. */
  public InMemoryTokenLimitStore() {
    this(Clock.systemUTC(), DEFAULT_SWEEP_INTERVAL);
  }

  /**
   * A store on the given clock (inject a controllable clock in tests).
   *
   * @param sweepInterval how often idle counters are looked for and dropped
   */
  public InMemoryTokenLimitStore(Clock clock, Duration sweepInterval) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.timeMeter = new ClockTimeMeter(clock);
    if (sweepInterval.isNegative() || sweepInterval.isZero()) {
      throw new IllegalArgumentException("sweepInterval must be positive but was " + sweepInterval);
    }
    this.sweepIntervalMillis = sweepInterval.toMillis();
    this.nextSweepMillis = new AtomicLong(clock.millis() + sweepIntervalMillis);
  }

  /** The number of counters currently held (for monitoring and tests). */
  public int size() {
    int size = 0;
    for (ConcurrentHashMap<String, Counter> byKey : counters.values()) {
      size += byKey.size();
    }
    return size;
  }

  @Override
  public ReserveResult reserve(List<LimitCharge> charges) {
    if (charges.isEmpty()) {
      return ReserveResult.admitted(Reservation.EMPTY, List.of());
    }
    long now = clock.millis();
    sweepIfDue(now);
    Counter[] locked = lockAll(charges);
    try {
      long[] together = tokensPerCounter(charges, locked);
      List<Long> remaining = new ArrayList<>(charges.size());
      LimitCharge rejectedBy = null;
      Duration retryAfter = null;
      for (int i = 0; i < charges.size(); i++) {
        LimitCharge charge = charges.get(i);
        Counter counter = locked[i];
        long left = counter.remaining(now);
        remaining.add(left);
        long required = Math.max(1, together[i]);
        if (left < required) {
          Duration wait = counter.waitFor(required, now);
          // A spent quota (403) is reported before a busy rate (429): waiting helps the latter.
          if (rejectedBy == null || (charge.limit().kind() == LimitSpec.Kind.QUOTA
              && rejectedBy.limit().kind() == LimitSpec.Kind.RATE)) {
            rejectedBy = charge;
            retryAfter = wait;
          }
        }
      }
      if (rejectedBy != null) {
        return ReserveResult.rejected(rejectedBy, retryAfter, remaining);
      }
      List<Long> windows = new ArrayList<>(charges.size());
      for (int i = 0; i < charges.size(); i++) {
        windows.add(locked[i].take(charges.get(i).tokens(), now));
        remaining.set(i, remaining.get(i) - together[i]);
      }
      return ReserveResult.admitted(new Reservation(charges, windows), remaining);
    } finally {
      unlockAll(locked);
    }
  }

  /**
   * Per charge, the tokens every charge on its counter takes together: its own tokens, or the
   * sum when a call names the same limit and key more than once.
   */
  private static long[] tokensPerCounter(List<LimitCharge> charges, Counter[] locked) {
    long[] together = new long[locked.length];
    for (int i = 0; i < locked.length; i++) {
      for (int j = 0; j < locked.length; j++) {
        if (locked[j] == locked[i]) {
          together[i] = TokenCounts.sum(together[i], charges.get(j).tokens());
        }
      }
    }
    return together;
  }

  @Override
  public void settle(Reservation reservation, long actualTokens) {
    if (actualTokens < 0 || actualTokens > Usage.MAX_TOKENS) {
      throw new IllegalArgumentException("actualTokens must be between 0 and " + Usage.MAX_TOKENS
          + " (Usage.MAX_TOKENS) but was " + actualTokens);
    }
    List<LimitCharge> charges = reservation.charges();
    if (charges.isEmpty()) {
      return;
    }
    long now = clock.millis();
    Counter[] locked = lockAll(charges);
    try {
      for (int i = 0; i < charges.size(); i++) {
        long delta = actualTokens - charges.get(i).tokens();
        if (delta != 0) {
          locked[i].adjust(delta, reservation.windowStarts().get(i), now);
        }
      }
    } finally {
      unlockAll(locked);
    }
  }

  /**
   * Locks the counters of all charges in one global order (their creation sequence); retries
   * when a sweep dropped one meanwhile.
   */
  private Counter[] lockAll(List<LimitCharge> charges) {
    while (true) {
      Counter[] byCharge = new Counter[charges.size()];
      for (int i = 0; i < byCharge.length; i++) {
        LimitCharge charge = charges.get(i);
        byCharge[i] = counter(charge.limit(), charge.counterKey());
      }
      Counter[] ordered = distinctInKeyOrder(byCharge);
      int lockedCount = 0;
      boolean stale = false;
      for (Counter counter : ordered) {
        counter.lock.lock();
        lockedCount++;
        if (counter.dropped) {
          stale = true;
          break;
        }
      }
      if (!stale) {
        return byCharge;
      }
      for (int i = 0; i < lockedCount; i++) {
        ordered[i].lock.unlock();
      }
    }
  }

  private static void unlockAll(Counter[] byCharge) {
    for (Counter counter : distinctInKeyOrder(byCharge)) {
      counter.lock.unlock();
    }
  }

  private static Counter[] distinctInKeyOrder(Counter[] byCharge) {
    if (byCharge.length == 1) {
      return byCharge;
    }
    Counter[] ordered = byCharge.clone();
    int n = 0;
    // Insertion sort by sequence, dropping repeats: a call has a handful of counters.
    for (Counter counter : byCharge) {
      int at = n;
      boolean repeat = false;
      for (int j = 0; j < n; j++) {
        if (ordered[j] == counter) {
          repeat = true;
          break;
        }
      }
      if (repeat) {
        continue;
      }
      while (at > 0 && ordered[at - 1].sequence > counter.sequence) {
        ordered[at] = ordered[at - 1];
        at--;
      }
      ordered[at] = counter;
      n++;
    }
    return n == ordered.length ? ordered : Arrays.copyOf(ordered, n);
  }

  /** The live counter for a limit and key; looked up first, so no lambda is made per call. */
  private Counter counter(LimitSpec spec, String key) {
    ConcurrentHashMap<String, Counter> byKey = counters.get(spec);
    if (byKey == null) {
      byKey = counters.computeIfAbsent(spec, s -> new ConcurrentHashMap<>());
    }
    Counter counter = byKey.get(key);
    return counter != null ? counter : byKey.computeIfAbsent(key, k -> newCounter(k, spec));
  }

  private Counter newCounter(String key, LimitSpec spec) {
    long sequence = counterSequence.incrementAndGet();
    return spec.kind() == LimitSpec.Kind.RATE ? new RateCounter(key, spec, timeMeter, sequence)
        : new QuotaCounter(key, spec, sequence);
  }

  private void sweepIfDue(long now) {
    long due = nextSweepMillis.get();
    if (now < due || !nextSweepMillis.compareAndSet(due, now + sweepIntervalMillis)) {
      return;
    }
    for (ConcurrentHashMap<String, Counter> byKey : counters.values()) {
      for (Counter counter : byKey.values()) {
        if (counter.lock.tryLock()) {
          try {
            if (counter.idle(now)) {
              counter.dropped = true;
              byKey.remove(counter.key, counter);
            }
          } finally {
            counter.lock.unlock();
          }
        }
      }
    }
  }

  private abstract static class Counter {
    final String key;
    final LimitSpec spec;
    final long sequence;
    final ReentrantLock lock = new ReentrantLock();
    boolean dropped;

    Counter(String key, LimitSpec spec, long sequence) {
      this.key = key;
      this.spec = spec;
      this.sequence = sequence;
    }

    abstract long remaining(long now);

    abstract Duration waitFor(long tokens, long now);

    /** Takes tokens (already checked) and returns the window they were taken from. */
    abstract long take(long tokens, long now);

    abstract void adjust(long delta, long window, long now);

    /** Whether dropping this counter now would change nothing. */
    abstract boolean idle(long now);
  }

  private static final class RateCounter extends Counter {
    /**
     * The longest a debt may take to repay: Bucket4j refuses to go further into debt than it can
     * express in nanoseconds to wait (292 years); a quarter of that leaves room for a refill
     * period and the wait for a whole capacity on top.
     */
    private static final long MAX_DEBT_NANOS = Long.MAX_VALUE / 4;

    private final Bucket bucket;
    /** The tokens this counter may owe at most: what its refill repays in MAX_DEBT_NANOS. */
    private final long maxDebt;

    RateCounter(String key, LimitSpec spec, TimeMeter timeMeter, long sequence) {
      super(key, spec, sequence);
      this.maxDebt = java.math.BigInteger.valueOf(MAX_DEBT_NANOS)
          .multiply(java.math.BigInteger.valueOf(spec.capacity()))
          .divide(java.math.BigInteger.valueOf(spec.refillPeriod().toNanos()))
          .min(java.math.BigInteger.valueOf(Long.MAX_VALUE / 4)).longValueExact();
      // The store's own lock serialises every access, so the bucket needs no synchronisation.
      this.bucket = Bucket.builder()
          .addLimit(limit -> limit.capacity(spec.capacity())
              .refillGreedy(spec.capacity(), spec.refillPeriod()))
          .withCustomTimePrecision(timeMeter)
          .withSynchronizationStrategy(SynchronizationStrategy.NONE)
          .build();
    }

    @Override
    long remaining(long now) {
      return bucket.getAvailableTokens();
    }

    @Override
    Duration waitFor(long tokens, long now) {
      if (tokens > spec.capacity()) {
        // It can never fit; a whole period keeps retrying clients from spinning.
        return spec.refillPeriod();
      }
      EstimationProbe probe = bucket.estimateAbilityToConsume(tokens);
      return Duration.ofNanos(probe.getNanosToWaitForRefill());
    }

    @Override
    long take(long tokens, long now) {
      overdraw(tokens);
      return 0;
    }

    @Override
    void adjust(long delta, long window, long now) {
      if (delta > 0) {
        overdraw(delta);
      } else {
        bucket.addTokens(-delta);
      }
    }

    /** Takes tokens without an admission check, down to {@link #maxDebt} below zero at most. */
    private void overdraw(long tokens) {
      long available = bucket.getAvailableTokens(); // negative when in debt, never below -maxDebt
      long room = available >= 0 ? TokenCounts.sum(available, maxDebt) : available + maxDebt;
      long taken = Math.min(tokens, room);
      if (taken > 0) {
        bucket.consumeIgnoringRateLimits(taken);
      }
    }

    @Override
    boolean idle(long now) {
      return bucket.getAvailableTokens() >= spec.capacity();
    }
  }

  private static final class QuotaCounter extends Counter {
    private long windowStart = Long.MIN_VALUE;
    private long windowEnd = Long.MIN_VALUE;
    private long used;

    QuotaCounter(String key, LimitSpec spec, long sequence) {
      super(key, spec, sequence);
    }

    private void roll(long now) {
      if (now >= windowEnd || now < windowStart) {
        Instant instant = Instant.ofEpochMilli(now);
        windowStart = spec.quotaPeriod().windowStart(instant, spec.zone()).toEpochMilli();
        windowEnd = spec.quotaPeriod().windowEnd(instant, spec.zone()).toEpochMilli();
        used = 0;
      }
    }

    @Override
    long remaining(long now) {
      roll(now);
      return spec.capacity() - used;
    }

    @Override
    Duration waitFor(long tokens, long now) {
      roll(now);
      return Duration.ofMillis(windowEnd - now);
    }

    @Override
    long take(long tokens, long now) {
      roll(now);
      used = TokenCounts.sum(used, tokens);
      return windowStart;
    }

    @Override
    void adjust(long delta, long window, long now) {
      roll(now);
      if (window == windowStart) {
        used = delta > 0 ? TokenCounts.sum(used, delta) : Math.max(0, used + delta);
      } else if (delta > 0) {
        used = TokenCounts.sum(used, delta); // the reservation's window has ended: this one's
      }
    }

    @Override
    boolean idle(long now) {
      return now >= windowEnd || used == 0;
    }
  }

  private static final class ClockTimeMeter implements TimeMeter {
    private final Clock clock;

    ClockTimeMeter(Clock clock) {
      this.clock = clock;
    }

    @Override
    public long currentTimeNanos() {
      Instant now = clock.instant();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Override
    public boolean isWallClockBased() {
      return true;
    }
  }
}
