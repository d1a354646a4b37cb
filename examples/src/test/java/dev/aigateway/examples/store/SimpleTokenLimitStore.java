package dev.aigateway.examples.store;

import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A token limit store written only against the SPI, to show what it takes: every counter in one map
 * behind one lock, and every amount a {@link BigInteger}, so nothing can overflow. Its test runs
 * the published {@code TokenLimitStoreContract}. It keeps every counter forever and serialises all
 * calls; the in-memory store of {@code ai-gateway-core} is the one to use.
 */
final class SimpleTokenLimitStore implements TokenLimitStore {

  private final Clock clock;
  private final Map<CounterKey, Counter> counters = new HashMap<>();

  SimpleTokenLimitStore(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public synchronized ReserveResult reserve(List<LimitCharge> charges) {
    if (charges.isEmpty()) {
      return ReserveResult.admitted(Reservation.EMPTY, List.of());
    }
    Instant now = clock.instant();
    Map<CounterKey, BigInteger> together = new HashMap<>();
    for (LimitCharge charge : charges) {
      together.merge(CounterKey.of(charge), BigInteger.valueOf(charge.amount()), BigInteger::add);
    }
    BigInteger[] left = new BigInteger[charges.size()];
    List<Long> remaining = new ArrayList<>();
    for (int i = 0; i < charges.size(); i++) {
      left[i] = counter(charges.get(i)).left(now);
      remaining.add(toLong(left[i]));
    }
    // Refused when any limit refuses; the wait is the longest of theirs, since the call fits only
    // once every one admits it (the contract: a client retrying after it is not refused again).
    LimitCharge refusedBy = null;
    Duration wait = Duration.ZERO;
    for (int i = 0; i < charges.size(); i++) {
      LimitCharge charge = charges.get(i);
      BigInteger required = together.get(CounterKey.of(charge)).max(BigInteger.ONE);
      if (left[i].compareTo(required) < 0) {
        Duration its = counter(charge).waitFor(required, now);
        if (refusedBy == null || its.compareTo(wait) > 0) {
          refusedBy = charge;
          wait = its;
        }
      }
    }
    if (refusedBy != null) {
      return ReserveResult.rejected(refusedBy, wait, remaining);
    }
    long[] windowStarts = new long[charges.size()];
    for (int i = 0; i < charges.size(); i++) {
      LimitCharge charge = charges.get(i);
      windowStarts[i] = counter(charge).take(BigInteger.valueOf(charge.amount()), now);
      remaining.set(i, toLong(left[i].subtract(together.get(CounterKey.of(charge)))));
    }
    return ReserveResult.admitted(new Ticket(this, List.copyOf(charges), windowStarts), remaining);
  }

  @Override
  public synchronized void settle(Reservation reservation, long[] actual) {
    if (TokenLimitStore.settlesNothing(reservation, actual)) {
      return;
    }
    if (!(reservation instanceof Ticket ticket) || ticket.store != this) {
      throw TokenLimitStore.foreignReservation(reservation);
    }
    long[] deltas = TokenLimitStore.settlementDeltas(ticket.charges, actual);
    if (ticket.settled) {
      return;
    }
    ticket.settled = true;
    Instant now = clock.instant();
    for (int i = 0; i < deltas.length; i++) {
      counter(ticket.charges.get(i))
          .adjust(BigInteger.valueOf(deltas[i]), ticket.windowStarts[i], now);
    }
  }

  private Counter counter(LimitCharge charge) {
    return counters.computeIfAbsent(
        CounterKey.of(charge),
        key ->
            switch (key.limit().kind()) {
              case RATE -> new Rate(key.limit(), clock.instant());
              case QUOTA -> new Quota(key.limit());
              case IN_FLIGHT -> new InFlight(key.limit());
            });
  }

  private static long toLong(BigInteger value) {
    return value
        .max(BigInteger.valueOf(Long.MIN_VALUE))
        .min(BigInteger.valueOf(Long.MAX_VALUE))
        .longValue();
  }

  private static BigInteger nanosBetween(Instant from, Instant to) {
    Duration between = Duration.between(from, to);
    return BigInteger.valueOf(between.getSeconds())
        .multiply(BigInteger.valueOf(1_000_000_000L))
        .add(BigInteger.valueOf(between.getNano()));
  }

  private record CounterKey(LimitSpec limit, String key) {
    static CounterKey of(LimitCharge charge) {
      return new CounterKey(charge.limit(), charge.counterKey());
    }
  }

  /** This store's reservation; {@code settled} is guarded by the store's lock. */
  private static final class Ticket implements Reservation {
    final SimpleTokenLimitStore store;
    final List<LimitCharge> charges;
    final long[] windowStarts;
    boolean settled;

    Ticket(SimpleTokenLimitStore store, List<LimitCharge> charges, long[] windowStarts) {
      this.store = store;
      this.charges = charges;
      this.windowStarts = windowStarts;
    }

    @Override
    public List<LimitCharge> charges() {
      return charges;
    }

    @Override
    public String toString() {
      return "SimpleTokenLimitStore.Ticket" + charges;
    }
  }

  private interface Counter {
    BigInteger left(Instant now);

    Duration waitFor(BigInteger required, Instant now);

    /** Takes the units and returns the quota window they came from (0 for other kinds). */
    long take(BigInteger amount, Instant now);

    void adjust(BigInteger delta, long windowStart, Instant now);
  }

  /**
   * A greedy bucket kept as {@code level}, units times nanoseconds of the period: it gains {@code
   * capacity} every nanosecond up to {@code capacity * period}, and {@code floor(level / period)}
   * units are left.
   */
  private static final class Rate implements Counter {
    private final Duration refillPeriod;
    private final BigInteger capacity;
    private final BigInteger period;
    private final BigInteger full;
    private BigInteger level;
    private Instant refilledAt;

    Rate(LimitSpec spec, Instant now) {
      this.refillPeriod = spec.refillPeriod();
      this.capacity = BigInteger.valueOf(spec.capacity());
      this.period = nanosBetween(Instant.EPOCH, Instant.EPOCH.plus(refillPeriod));
      this.full = capacity.multiply(period);
      this.level = full;
      this.refilledAt = now;
    }

    private void refill(Instant now) {
      if (now.isAfter(refilledAt)) { // a clock that stepped back refills nothing
        level = level.add(nanosBetween(refilledAt, now).multiply(capacity)).min(full);
        refilledAt = now;
      }
    }

    @Override
    public BigInteger left(Instant now) {
      refill(now);
      return level.subtract(level.mod(period)).divide(period); // floor, also below zero
    }

    @Override
    public Duration waitFor(BigInteger required, Instant now) {
      refill(now);
      if (required.compareTo(capacity) > 0) {
        return refillPeriod; // never fits
      }
      BigInteger[] split = required.multiply(period).subtract(level).divideAndRemainder(capacity);
      BigInteger nanos = split[1].signum() > 0 ? split[0].add(BigInteger.ONE) : split[0];
      return Duration.ofNanos(toLong(nanos));
    }

    @Override
    public long take(BigInteger amount, Instant now) {
      refill(now);
      level = level.subtract(amount.multiply(period));
      return 0;
    }

    @Override
    public void adjust(BigInteger delta, long windowStart, Instant now) {
      refill(now);
      level = level.subtract(delta.multiply(period)).min(full);
    }
  }

  private static final class Quota implements Counter {
    private final LimitSpec spec;
    private long windowStart = Long.MIN_VALUE;
    private long windowEnd = Long.MIN_VALUE;
    private BigInteger used = BigInteger.ZERO;

    Quota(LimitSpec spec) {
      this.spec = spec;
    }

    private void roll(Instant now) {
      long millis = now.toEpochMilli();
      if (millis < windowStart || millis >= windowEnd) {
        windowStart = spec.quotaPeriod().windowStart(now, spec.zone()).toEpochMilli();
        windowEnd = spec.quotaPeriod().windowEnd(now, spec.zone()).toEpochMilli();
        used = BigInteger.ZERO;
      }
    }

    @Override
    public BigInteger left(Instant now) {
      roll(now);
      return BigInteger.valueOf(spec.capacity()).subtract(used);
    }

    @Override
    public Duration waitFor(BigInteger required, Instant now) {
      roll(now);
      return Duration.ofMillis(windowEnd - now.toEpochMilli());
    }

    @Override
    public long take(BigInteger amount, Instant now) {
      roll(now);
      used = used.add(amount);
      return windowStart;
    }

    @Override
    public void adjust(BigInteger delta, long windowStart, Instant now) {
      roll(now);
      if (windowStart == this.windowStart) {
        used = used.add(delta).max(BigInteger.ZERO);
      } else if (delta.signum() > 0) {
        used = used.add(delta); // the reserved window ended: an overrun counts in this one
      }
    }
  }

  private static final class InFlight implements Counter {
    private final BigInteger capacity;
    private BigInteger held = BigInteger.ZERO;

    InFlight(LimitSpec spec) {
      this.capacity = BigInteger.valueOf(spec.capacity());
    }

    @Override
    public BigInteger left(Instant now) {
      return capacity.subtract(held);
    }

    @Override
    public Duration waitFor(BigInteger required, Instant now) {
      return Duration.ZERO;
    }

    @Override
    public long take(BigInteger amount, Instant now) {
      held = held.add(amount);
      return 0;
    }

    @Override
    public void adjust(BigInteger delta, long windowStart, Instant now) {
      held = held.add(delta).max(BigInteger.ZERO);
    }
  }
}
