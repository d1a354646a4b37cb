package dev.aigateway.core.limit;

import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A token store that really fails, on demand: it keeps real counters (an {@link
 * InMemoryTokenLimitStore}) and, depending on its mode, reserves in them, throws, or blocks until
 * released. It can fail a given number of reservations and then recover. Counts what reached it.
 * Thread-safe.
 */
final class FaultyStore implements TokenLimitStore {

  /** What a reservation does. */
  enum Mode {
    /** Reserves in the counters. */
    HEALTHY,
    /** Throws, as a store whose server is down does. */
    THROWING,
    /** Blocks until {@link #release()}, then throws: a store whose server stopped answering. */
    BLOCKING,
    /** Reserves in the counters after {@link #SLOWNESS}: an answer that may come too late. */
    SLOW
  }

  /** How long a {@link Mode#SLOW} reservation takes. */
  static final Duration SLOWNESS = Duration.ofMillis(30);

  final InMemoryTokenLimitStore counters;
  final AtomicInteger reserves = new AtomicInteger();
  final AtomicInteger settlements = new AtomicInteger();
  private final CountDownLatch released = new CountDownLatch(1);
  private volatile Mode mode = Mode.HEALTHY;
  private final AtomicInteger failuresLeft = new AtomicInteger(-1);
  private volatile boolean settleFails;

  FaultyStore(Clock clock) {
    this.counters =
        new InMemoryTokenLimitStore(clock, InMemoryTokenLimitStore.DEFAULT_SWEEP_INTERVAL);
  }

  FaultyStore mode(Mode mode) {
    this.mode = mode;
    this.failuresLeft.set(-1);
    return this;
  }

  /** Fails the next {@code n} reservations in {@code mode}, then is healthy. */
  FaultyStore failNext(int n, Mode mode) {
    this.mode = mode;
    this.failuresLeft.set(n);
    return this;
  }

  /** Whether settlements throw. */
  FaultyStore settleFails(boolean fails) {
    this.settleFails = fails;
    return this;
  }

  /** Lets every blocked and future blocking reservation go on (and fail). */
  void release() {
    released.countDown();
  }

  @Override
  public ReserveResult reserve(List<LimitCharge> charges) {
    reserves.incrementAndGet();
    Mode now = mode;
    if (now != Mode.HEALTHY
        && failuresLeft.get() >= 0
        && failuresLeft.getAndUpdate(left -> left > 0 ? left - 1 : 0) == 0) {
      now = Mode.HEALTHY; // its failures are used up
    }
    switch (now) {
      case THROWING:
        throw new IllegalStateException("connection refused: redis://:secret@cache:6379");
      case BLOCKING:
        try {
          released.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("timed out");
      case SLOW:
        try {
          Thread.sleep(SLOWNESS.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return counters.reserve(charges);
      default:
        return counters.reserve(charges);
    }
  }

  @Override
  public void settle(Reservation reservation, long[] actual) {
    settlements.incrementAndGet();
    if (settleFails) {
      throw new IllegalStateException("connection refused");
    }
    counters.settle(reservation, actual);
  }
}
