package dev.aigateway.core.limit;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.CounterId;
import dev.aigateway.api.spi.CounterReading;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import org.jspecify.annotations.Nullable;

/**
 * The default {@link TokenLimitStore}: counters in this JVM's memory, on the injected clock. Rates
 * are greedy token buckets kept exactly (the part of a unit refilled so far carries over; products
 * that would overflow a {@code long} are computed in full); quotas are fixed calendar windows;
 * in-flight limits count the slots their calls hold.
 *
 * <p>Atomicity across limits: a reservation locks the counters it touches in one global order
 * (their creation sequence), checks every one, then takes from every one, so concurrent calls never
 * deadlock and never admit more than a counter holds. Counters of idle keys are dropped by a sweep
 * that runs at most once per {@code sweepInterval}, on the calling thread, and only drops counters
 * whose loss changes nothing: a full bucket, a quota whose window has ended or that holds nothing,
 * an in-flight counter with no slot taken.
 *
 * <p>Counters saturate at {@link Long#MIN_VALUE} and {@link Long#MAX_VALUE} instead of wrapping
 * around, so a bogus usage report overdraws a counter as far as a {@code long} goes and never turns
 * it into a full one.
 *
 * <p>A counter belongs to its limit's id, kind and unit and a counter key, as in every store (see
 * {@link LimitSpec}): gateways that share this store and configure a limit of one id differently (a
 * gateway built again with a raised quota, say) count on the same counter. A reservation under a
 * changed setting keeps what the counter has used: a rate or quota takes its new capacity (a rate
 * also its new period; the part of a unit refilled so far is dropped), an in-flight limit its new
 * cap over the slots taken, a quota's window ends where it did and the next ones align in the new
 * zone.
 */
public final class InMemoryTokenLimitStore implements TokenLimitStore {

  /** How often idle counters are swept by default. */
  public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofMinutes(1);

  /** Marks a sum of charges beyond {@link Long#MAX_VALUE}: more than any counter holds. */
  private static final long BEYOND_LONG = -1;

  private final Clock clock;
  private final long sweepIntervalMillis;
  // Limit first, then counter key: no key string is built per call. Each spec (as configured) is
  // looked up as it is; specs of one id, kind and unit share the counters of their family.
  private final ConcurrentHashMap<LimitSpec, ConcurrentHashMap<String, Counter>> counters =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Family, ConcurrentHashMap<String, Counter>> families =
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
   * @param sweepInterval how often idle counters are looked for and dropped; one beyond a long of
   *     milliseconds ({@code ChronoUnit.FOREVER.getDuration()}) never sweeps
   */
  public InMemoryTokenLimitStore(Clock clock, Duration sweepInterval) {
    this.clock = Objects.requireNonNull(clock, "clock");
    if (sweepInterval.isNegative() || sweepInterval.isZero()) {
      throw new IllegalArgumentException("sweepInterval must be positive but was " + sweepInterval);
    }
    // Saturated: an interval beyond a long of milliseconds (ChronoUnit.FOREVER's) never sweeps.
    this.sweepIntervalMillis = TimeUnit.MILLISECONDS.convert(sweepInterval);
    this.nextSweepMillis = new AtomicLong(afterInterval(clock.millis()));
  }

  /** One sweep interval after {@code millis}, {@link Long#MAX_VALUE} where that overflows. */
  private long afterInterval(long millis) {
    return millis > Long.MAX_VALUE - sweepIntervalMillis
        ? Long.MAX_VALUE
        : millis + sweepIntervalMillis;
  }

  /** The number of counters currently held (for monitoring and tests). */
  public int size() {
    int size = 0;
    for (ConcurrentHashMap<String, Counter> byKey : families.values()) {
      size += byKey.size();
    }
    return size;
  }

  @Override
  public ReserveResult reserve(List<LimitCharge> charges) {
    if (charges.isEmpty()) {
      return ReserveResult.admitted(Reservation.EMPTY, List.of());
    }
    List<LimitCharge> taken = List.copyOf(charges);
    long now = nowNanos();
    sweepIfDue(now);
    Counter[] locked = lockAll(taken);
    try {
      LimitCharge rejectedBy = null;
      Duration rejectedWait = null;
      Duration retryAfter = null;
      for (int i = 0; i < taken.size(); i++) {
        LimitCharge charge = taken.get(i);
        Counter counter = locked[i];
        counter.use(charge.limit(), now);
        long left = counter.remaining(now);
        long together = amountOnCounter(taken, locked, i);
        long required = together == BEYOND_LONG ? Long.MAX_VALUE : Math.max(1, together);
        boolean fits = together != BEYOND_LONG && left >= required;
        if (fits) {
          continue;
        }
        // The call fits once every counter that refuses it does: the longest of their waits.
        Duration wait = counter.waitFor(required, now);
        if (rejectedBy == null
            || precedence(charge) > precedence(rejectedBy)
            || (precedence(charge) == precedence(rejectedBy) && wait.compareTo(rejectedWait) > 0)) {
          rejectedBy = charge;
          rejectedWait = wait;
        }
        if (retryAfter == null || wait.compareTo(retryAfter) > 0) {
          retryAfter = wait;
        }
      }
      // What each counter holds is read again for the result, at the same instant: a counter read
      // twice at one instant holds the same (a rate refills only when time has passed), and after
      // the takes it holds what it held less every charge on it (they fit, so nothing saturates).
      if (rejectedBy != null) {
        return ReserveResult.rejected(rejectedBy, retryAfter, remaining(locked, now));
      }
      // The window starts of the first two charges in locals, an array only beyond them.
      long firstStart = 0;
      long secondStart = 0;
      long[] moreStarts = taken.size() > 2 ? new long[taken.size() - 2] : null;
      for (int i = 0; i < taken.size(); i++) {
        long start = locked[i].take(taken.get(i).amount(), now);
        if (i == 0) {
          firstStart = start;
        } else if (i == 1) {
          secondStart = start;
        } else {
          moreStarts[i - 2] = start;
        }
      }
      return ReserveResult.admitted(
          new Lease(this, taken, locked, firstStart, secondStart, moreStarts),
          remaining(locked, now));
    } finally {
      unlockAll(locked);
    }
  }

  /**
   * Which rejection a call hears about when several limits reject it: a spent quota (403, waiting
   * for the window) before a busy rate (429 with an exact wait) before a full in-flight limit (free
   * whenever a call ends); among equals, the one with the longest wait, else the first. The wait
   * the call is answered with is the longest of every refusing counter's: before it, retrying is
   * refused again.
   */
  private static int precedence(LimitCharge charge) {
    return switch (charge.limit().kind()) {
      case QUOTA -> 2;
      case RATE -> 1;
      case IN_FLIGHT -> 0;
    };
  }

  /**
   * The units every charge on the counter of charge {@code i} takes together: its own amount, or
   * the sum when a call names the same limit and key more than once ({@link #BEYOND_LONG} past a
   * long). Computed where it is needed, so a reservation makes no array of sums.
   */
  private static long amountOnCounter(List<LimitCharge> charges, Counter[] locked, int i) {
    long sum = 0;
    for (int j = 0; j < locked.length && sum != BEYOND_LONG; j++) {
      if (locked[j] == locked[i]) {
        long amount = charges.get(j).amount();
        sum = sum > Long.MAX_VALUE - amount ? BEYOND_LONG : sum + amount;
      }
    }
    return sum;
  }

  /**
   * Settles a reservation this store made, once; see {@link TokenLimitStore#settle}.
   *
   * @throws IllegalArgumentException for a reservation of another store (or of none), or amounts
   *     that do not fit its charges
   */
  @Override
  public void settle(Reservation reservation, long[] actual) {
    if (TokenLimitStore.settlesNothing(reservation, actual)) {
      return;
    }
    if (!(reservation instanceof Lease lease) || lease.store != this) {
      throw TokenLimitStore.foreignReservation(reservation);
    }
    // Checked as settlementDeltas checks; each difference is taken where it is applied, so a
    // settlement makes no array of them.
    TokenLimitStore.checkSettlement(lease.charges, actual);
    if (!Lease.SETTLED.compareAndSet(lease, false, true)) {
      return; // settled before: a reservation is settled once
    }
    long now = nowNanos();
    Counter[] locked = lockForSettlement(lease);
    try {
      for (int i = 0; i < actual.length; i++) {
        long delta = actual[i] - lease.charges.get(i).amount();
        if (delta != 0) {
          locked[i].adjust(delta, lease.windowStart(i), now);
        }
      }
    } finally {
      unlockAll(locked);
    }
  }

  /**
   * Reads counters without changing what they hold and without creating any; see {@link
   * TokenLimitStore#peek}. Each counter is read under its lock (a rate is refilled to now, a quota
   * moved to the current window, as any access does); counters of one call are read one after the
   * other, not atomically together.
   */
  @Override
  public List<CounterReading> peek(List<CounterId> ids) {
    Instant at = clock.instant();
    long now = nowNanos(at);
    List<CounterReading> readings = new ArrayList<>(ids.size());
    for (CounterId id : ids) {
      ConcurrentHashMap<String, Counter> byKey = counters.get(id.limit());
      if (byKey == null) {
        byKey = families.get(Family.of(id.limit())); // configured otherwise where it was counted
      }
      Counter counter = byKey == null ? null : byKey.get(id.counterKey());
      CounterReading reading = null;
      if (counter != null) {
        counter.lock();
        try {
          if (!counter.dropped) { // a dropped counter lost nothing: it reads as untouched
            reading = counter.read(id, now, at);
          }
        } finally {
          counter.unlock();
        }
      }
      readings.add(reading != null ? reading : untouched(id, at));
    }
    return readings;
  }

  private static CounterReading untouched(CounterId id, Instant at) {
    LimitSpec spec = id.limit();
    return CounterReading.untouched(
        id,
        spec.kind() == LimitSpec.Kind.QUOTA ? spec.quotaPeriod().windowEnd(at, spec.zone()) : null);
  }

  /** The clock's time in epoch nanoseconds, saturated beyond what a long holds (year 2262). */
  private long nowNanos() {
    return nowNanos(clock.instant());
  }

  private static long nowNanos(Instant now) {
    long seconds = now.getEpochSecond();
    if (seconds >= Long.MAX_VALUE / 1_000_000_000L) {
      return Long.MAX_VALUE;
    }
    if (seconds <= Long.MIN_VALUE / 1_000_000_000L) {
      return Long.MIN_VALUE;
    }
    return seconds * 1_000_000_000L + now.getNano();
  }

  /**
   * Locks the counters of all charges in one global order (their creation sequence); retries when a
   * sweep dropped one meanwhile.
   */
  private Counter[] lockAll(List<LimitCharge> charges) {
    while (true) {
      Counter[] byCharge = new Counter[charges.size()];
      for (int i = 0; i < byCharge.length; i++) {
        LimitCharge charge = charges.get(i);
        byCharge[i] = counter(charge.limit(), charge.counterKey());
      }
      if (lock(byCharge)) {
        return byCharge;
      }
    }
  }

  /**
   * Locks a settlement's counters: those its reservation took from, when no sweep dropped any since
   * (they are then still the live ones, and are not looked up again), else the live ones.
   */
  private Counter[] lockForSettlement(Lease lease) {
    return lock(lease.counters) ? lease.counters : lockAll(lease.charges);
  }

  /**
   * Locks the given counters (one per charge) in the global order; returns false, having unlocked
   * them, when a sweep dropped one of them.
   */
  private static boolean lock(Counter[] byCharge) {
    if (byCharge.length == 2) {
      return lockPair(byCharge[0], byCharge[1]);
    }
    Counter[] ordered = distinctInKeyOrder(byCharge);
    int lockedCount = 0;
    boolean stale = false;
    for (Counter counter : ordered) {
      counter.lock();
      lockedCount++;
      if (counter.dropped) {
        stale = true;
        break;
      }
    }
    if (!stale) {
      return true;
    }
    for (int i = 0; i < lockedCount; i++) {
      ordered[i].unlock();
    }
    return false;
  }

  /**
   * Locks the two counters of a call (a rate and a quota, say) in the global order, or the one when
   * both are the same, as {@link #lockAll} does without an array of its own; returns false, having
   * unlocked them, when a sweep dropped one meanwhile.
   */
  private static boolean lockPair(Counter first, Counter second) {
    if (first == second) {
      first.lock();
      if (first.dropped) {
        first.unlock();
        return false;
      }
      return true;
    }
    Counter low = first.sequence < second.sequence ? first : second;
    Counter high = low == first ? second : first;
    low.lock();
    if (low.dropped) {
      low.unlock();
      return false;
    }
    high.lock();
    if (high.dropped) {
      high.unlock();
      low.unlock();
      return false;
    }
    return true;
  }

  /** Unlocks each distinct counter once; the order does not matter, so nothing is sorted. */
  private static void unlockAll(Counter[] byCharge) {
    for (int i = 0; i < byCharge.length; i++) {
      boolean repeat = false;
      for (int j = 0; j < i && !repeat; j++) {
        repeat = byCharge[j] == byCharge[i];
      }
      if (!repeat) {
        byCharge[i].unlock();
      }
    }
  }

  /**
   * What each of the locked counters holds at {@code now}, one per charge, as the immutable list a
   * result holds (no list of its own for one or two, no array of counts).
   */
  private static List<Long> remaining(Counter[] locked, long now) {
    return switch (locked.length) {
      case 1 -> List.of(locked[0].remaining(now));
      case 2 -> List.of(locked[0].remaining(now), locked[1].remaining(now));
      default -> {
        Long[] boxed = new Long[locked.length];
        for (int i = 0; i < locked.length; i++) {
          boxed[i] = locked[i].remaining(now);
        }
        yield List.of(boxed);
      }
    };
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
      byKey =
          counters.computeIfAbsent(
              spec, s -> families.computeIfAbsent(Family.of(s), f -> new ConcurrentHashMap<>()));
    }
    Counter counter = byKey.get(key);
    return counter != null ? counter : byKey.computeIfAbsent(key, k -> newCounter(k, spec));
  }

  private Counter newCounter(String key, LimitSpec spec) {
    long sequence = counterSequence.incrementAndGet();
    return switch (spec.kind()) {
      case RATE -> new RateCounter(key, spec, sequence);
      case QUOTA -> new QuotaCounter(key, spec, sequence);
      case IN_FLIGHT -> new InFlightCounter(key, spec, sequence);
    };
  }

  private void sweepIfDue(long now) {
    long nowMillis = Math.floorDiv(now, 1_000_000L);
    long due = nextSweepMillis.get();
    if (nowMillis < due || !nextSweepMillis.compareAndSet(due, afterInterval(nowMillis))) {
      return;
    }
    for (ConcurrentHashMap<String, Counter> byKey : families.values()) {
      for (Counter counter : byKey.values()) {
        if (counter.tryLock()) {
          try {
            if (counter.idle(now)) {
              counter.dropped = true;
              byKey.remove(counter.key, counter);
            }
          } finally {
            counter.unlock();
          }
        }
      }
    }
  }

  static long saturatedAdd(long a, long b) {
    long sum = a + b;
    // Overflow only when both operands have the sign the sum lacks.
    return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : sum;
  }

  static long saturatedSubtract(long a, long b) {
    long difference = a - b;
    // Overflow only when the operands' signs differ and the result's differs from a's.
    return ((a ^ b) & (a ^ difference)) < 0
        ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE)
        : difference;
  }

  /**
   * What a counter belongs to besides its key: a limit's id, kind and unit, and for a quota the
   * windows it counts in (its period and zone, normalized: {@code UTC} and {@code Z} are one zone).
   * Two quotas of one id in other zones or periods are counters of their own, so that neither is
   * counted in the other's windows. The other settings (capacity, a rate's period) may differ
   * between gateways sharing the store; the counter follows the reservation's.
   */
  private record Family(
      String id,
      LimitSpec.Kind kind,
      LimitSpec.Unit unit,
      @Nullable QuotaPeriod period,
      @Nullable ZoneId zone) {
    static Family of(LimitSpec spec) {
      ZoneId zone = spec.zone();
      return new Family(
          spec.id(),
          spec.kind(),
          spec.unit(),
          spec.quotaPeriod(),
          zone == null ? null : zone.normalized());
    }
  }

  /**
   * This store's reservation: its charges, the quota window each was taken from, and whether it has
   * been settled.
   */
  static final class Lease implements Reservation {
    private final InMemoryTokenLimitStore store;
    private final List<LimitCharge> charges;

    /**
     * The window starts of the first two charges, held as they are (a rate and a quota: the common
     * call), and of the others in an array made only for a third charge.
     */
    private final long firstWindowStart;

    private final long secondWindowStart;
    private final long @Nullable [] moreWindowStarts;

    /** The counters the charges were taken from, to settle on unless a sweep dropped one. */
    private final Counter[] counters;

    /** {@link #settled}, set once (compare-and-set): no object of its own per reservation. */
    private static final VarHandle SETTLED;

    static {
      try {
        SETTLED = MethodHandles.lookup().findVarHandle(Lease.class, "settled", boolean.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private volatile boolean settled;

    /**
     * A lease of {@code charges} taken from {@code counters}, with the window start of each charge:
     * the first two as they are, the others (a third charge on) in {@code moreWindowStarts}.
     */
    Lease(
        InMemoryTokenLimitStore store,
        List<LimitCharge> charges,
        Counter[] counters,
        long firstWindowStart,
        long secondWindowStart,
        long @Nullable [] moreWindowStarts) {
      this.store = store;
      this.charges = charges;
      this.counters = counters;
      this.firstWindowStart = firstWindowStart;
      this.secondWindowStart = secondWindowStart;
      this.moreWindowStarts = moreWindowStarts;
    }

    @Override
    public List<LimitCharge> charges() {
      return charges;
    }

    /** Per charge, the epoch millisecond the quota window started (0 for other kinds). */
    long windowStart(int charge) {
      return switch (charge) {
        case 0 -> firstWindowStart;
        case 1 -> secondWindowStart;
        default -> moreWindowStarts[charge - 2];
      };
    }

    @Override
    public String toString() {
      return "InMemoryTokenLimitStore.Lease" + charges + (settled ? ", settled" : "");
    }
  }

  /**
   * A counter, which is its own lock (a reservation locks its counters in their {@link #sequence}
   * order): the lock's state is a field of the counter, so locking reaches no other object, and
   * keeps no owner (a counter is never locked twice by one thread: a call's counters are locked
   * once each, in order, and a sweep only tries the ones no reservation of its thread holds).
   * Waiting threads queue as with any {@link java.util.concurrent.locks.Lock}.
   */
  @SuppressWarnings("serial") // never serialized
  private abstract static class Counter extends AbstractQueuedSynchronizer {
    final String key;

    /** The settings the counter counts by: its latest reservation's (read under its lock). */
    LimitSpec spec;

    final long sequence;
    boolean dropped;

    Counter(String key, LimitSpec spec, long sequence) {
      this.key = key;
      this.spec = spec;
      this.sequence = sequence;
    }

    /**
     * Counts by {@code charged} from now on when a reservation names settings other than the
     * counter's (a limit of its id configured otherwise); called under the counter's lock.
     */
    final void use(LimitSpec charged, long now) {
      if (charged != spec && !charged.equals(spec)) {
        reconfigure(charged, now);
        spec = charged;
      }
    }

    /**
     * Takes {@code next}'s settings, keeping what the counter has used. By default nothing to do: a
     * quota and an in-flight limit read their capacity from {@link #spec}.
     */
    void reconfigure(LimitSpec next, long now) {}

    /** Locks the counter, waiting as long as another thread holds it. */
    final void lock() {
      acquire(1);
    }

    /** Locks the counter when no thread holds it; never waits. */
    final boolean tryLock() {
      return tryAcquire(1);
    }

    /** Unlocks the counter, which the calling thread locked. */
    final void unlock() {
      release(1);
    }

    @Override
    protected final boolean tryAcquire(int units) {
      return compareAndSetState(0, 1);
    }

    @Override
    protected final boolean tryRelease(int units) {
      if (getState() != 1) {
        throw new IllegalMonitorStateException("a counter unlocked while not locked");
      }
      setState(0);
      return true;
    }

    /** Units left at {@code now} (epoch nanoseconds); negative when overdrawn. */
    abstract long remaining(long now);

    /** How long until {@code required} units are left; called after {@link #remaining}. */
    abstract Duration waitFor(long required, long now);

    /** Takes units (already checked) and returns the quota window they were taken from. */
    abstract long take(long amount, long now);

    /** Moves the counter by a settlement's difference, without an admission check. */
    abstract void adjust(long delta, long windowStart, long now);

    /** Whether dropping this counter now would change nothing. */
    abstract boolean idle(long now);

    /** What the counter holds at {@code now} ({@code at} as an instant), under its lock. */
    abstract CounterReading read(CounterId id, long now, Instant at);
  }

  /**
   * A greedy token bucket: {@code capacity} units per {@code period}, one unit every {@code period
   * / capacity}, never above capacity. {@code progress} keeps the refill towards the next unit, in
   * units times nanoseconds, so refill is exact however often it is read.
   */
  private static final class RateCounter extends Counter {
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private long capacity;
    private long periodNanos;
    private long available;
    private long progress; // in [0, periodNanos)
    private long refilledAt = Long.MIN_VALUE;

    RateCounter(String key, LimitSpec spec, long sequence) {
      super(key, spec, sequence);
      this.capacity = spec.capacity();
      this.periodNanos = spec.refillPeriod().toNanos();
      this.available = capacity;
    }

    private void refill(long now) {
      if (now <= refilledAt) {
        return; // the same instant, or the clock stepped back: keep the reference time
      }
      long elapsed = now - refilledAt;
      refilledAt = now;
      if (available >= capacity) {
        return; // a full bucket gains nothing (and progress is 0)
      }
      if (elapsed < 0) {
        elapsed = Long.MAX_VALUE; // now - Long.MIN_VALUE overflowed
      }
      long units;
      long low = elapsed * capacity;
      if (Math.multiplyHigh(elapsed, capacity) == 0
          && low >= 0
          && low <= Long.MAX_VALUE - progress) {
        long total = low + progress;
        units = total / periodNanos;
        progress = total % periodNanos;
      } else {
        BigInteger[] split =
            BigInteger.valueOf(elapsed)
                .multiply(BigInteger.valueOf(capacity))
                .add(BigInteger.valueOf(progress))
                .divideAndRemainder(BigInteger.valueOf(periodNanos));
        units = split[0].min(LONG_MAX).longValueExact();
        progress = split[1].longValueExact();
      }
      available = saturatedAdd(available, units);
      if (available >= capacity) {
        available = capacity;
        progress = 0;
      }
    }

    @Override
    long remaining(long now) {
      refill(now);
      return available;
    }

    /**
     * The used part of the bucket stays used under the new capacity (a raised one adds to what is
     * left, a lowered one takes from it), at the new refill speed from now on; the part of a unit
     * refilled so far is dropped.
     */
    @Override
    void reconfigure(LimitSpec next, long now) {
      refill(now);
      long used = saturatedSubtract(capacity, available);
      capacity = next.capacity();
      periodNanos = next.refillPeriod().toNanos();
      progress = 0;
      available = saturatedSubtract(capacity, used);
    }

    @Override
    Duration waitFor(long required, long now) {
      refill(now);
      if (required > capacity || required <= available) {
        // It can never fit (more than the capacity, or a sum beyond a long); a whole period keeps
        // retrying clients from spinning.
        return spec.refillPeriod();
      }
      // The wait until available * period + progress reaches required * period, rounded up.
      long deficit = required - available; // > 0; overflows only for an extreme overdraft
      long low = deficit * periodNanos;
      if (deficit > 0 && Math.multiplyHigh(deficit, periodNanos) == 0 && low >= 0) {
        long needed = low - progress;
        return Duration.ofNanos(needed / capacity + (needed % capacity == 0 ? 0 : 1));
      }
      BigInteger needed =
          BigInteger.valueOf(required)
              .subtract(BigInteger.valueOf(available))
              .multiply(BigInteger.valueOf(periodNanos))
              .subtract(BigInteger.valueOf(progress));
      BigInteger[] split = needed.divideAndRemainder(BigInteger.valueOf(capacity));
      BigInteger nanos = split[1].signum() == 0 ? split[0] : split[0].add(BigInteger.ONE);
      return Duration.ofNanos(nanos.min(LONG_MAX).longValueExact());
    }

    @Override
    long take(long amount, long now) {
      refill(now);
      available = saturatedSubtract(available, amount);
      return 0;
    }

    @Override
    void adjust(long delta, long windowStart, long now) {
      refill(now);
      available = delta > 0 ? saturatedSubtract(available, delta) : saturatedAdd(available, -delta);
      if (available >= capacity) {
        available = capacity; // a refund never lifts a bucket above its capacity
        progress = 0;
      }
    }

    @Override
    boolean idle(long now) {
      refill(now);
      return available >= capacity;
    }

    @Override
    CounterReading read(CounterId id, long now, Instant at) {
      refill(now);
      if (available >= capacity) {
        return CounterReading.untouched(id, null);
      }
      Duration untilFull = waitFor(capacity, now);
      Instant full;
      try {
        full = at.plus(untilFull);
      } catch (java.time.DateTimeException | ArithmeticException beyond) {
        full = Instant.MAX;
      }
      return new CounterReading(id, saturatedSubtract(capacity, available), full);
    }
  }

  private static final class QuotaCounter extends Counter {
    private long windowStart = Long.MIN_VALUE;
    private long windowEnd = Long.MIN_VALUE;
    private long used;

    QuotaCounter(String key, LimitSpec spec, long sequence) {
      super(key, spec, sequence);
    }

    /**
     * Moves on to the window holding {@code now} once the current one has ended; returns {@code
     * now} in epoch milliseconds. A clock stepped back into an earlier window stays in the current
     * one, with what it holds (as a rate keeps its refill reference): going back would start the
     * earlier window from nothing, and forward again the current one.
     */
    private long roll(long now) {
      long millis = Math.floorDiv(now, 1_000_000L);
      if (millis >= windowEnd) {
        Instant instant = Instant.ofEpochMilli(millis);
        windowStart = spec.quotaPeriod().windowStart(instant, spec.zone()).toEpochMilli();
        windowEnd = spec.quotaPeriod().windowEnd(instant, spec.zone()).toEpochMilli();
        used = 0;
      }
      return millis;
    }

    @Override
    long remaining(long now) {
      roll(now);
      return spec.capacity() - used; // both >= 0: no overflow
    }

    @Override
    Duration waitFor(long required, long now) {
      long millis = roll(now);
      return Duration.ofMillis(windowEnd - millis);
    }

    @Override
    long take(long amount, long now) {
      roll(now);
      used = saturatedAdd(used, amount);
      return windowStart;
    }

    @Override
    void adjust(long delta, long windowStart, long now) {
      roll(now);
      if (windowStart == this.windowStart) {
        used = Math.max(0, saturatedAdd(used, delta));
      } else if (delta > 0) {
        used = saturatedAdd(used, delta); // the reservation's window has ended: overrun lands here
      }
    }

    @Override
    boolean idle(long now) {
      return Math.floorDiv(now, 1_000_000L) >= windowEnd || used == 0;
    }

    @Override
    CounterReading read(CounterId id, long now, Instant at) {
      roll(now);
      return new CounterReading(id, Math.max(0, used), Instant.ofEpochMilli(windowEnd));
    }
  }

  /** Slots held by calls in flight; settlement frees them, time does not. */
  private static final class InFlightCounter extends Counter {
    private long held;

    InFlightCounter(String key, LimitSpec spec, long sequence) {
      super(key, spec, sequence);
    }

    @Override
    long remaining(long now) {
      return spec.capacity() - held;
    }

    @Override
    Duration waitFor(long required, long now) {
      return Duration.ZERO; // a slot frees whenever a call ends, which no clock can tell
    }

    @Override
    long take(long amount, long now) {
      held += amount; // checked to fit: held + amount <= capacity
      return 0;
    }

    @Override
    void adjust(long delta, long windowStart, long now) {
      held = Math.max(0, held + delta); // delta is minus the slots the settled call held
    }

    @Override
    boolean idle(long now) {
      return held == 0;
    }

    @Override
    CounterReading read(CounterId id, long now, Instant at) {
      return new CounterReading(id, held, null);
    }
  }
}
