package dev.aigateway.examples.store;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.store.tck.TimeControl;
import dev.aigateway.store.tck.TokenLimitStoreContract;
import dev.aigateway.testing.ManualClock;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The published token limit store suite, run against a store written outside the core: once on a
 * clock the tests move, and once on the system clock, where the tests that need time control are
 * skipped.
 */
class SimpleTokenLimitStoreTest extends TokenLimitStoreContract {

  private ManualClock clock;

  @Override
  protected TokenLimitStore newStore(Instant start) {
    clock = new ManualClock(start);
    return new SimpleTokenLimitStore(clock);
  }

  @Override
  protected TimeControl time() {
    return clock::advance;
  }

  @Test
  void aReservationOfAnotherStoreIsRejected() {
    LimitSpec limit = inFlight(1);
    Reservation elsewhere =
        new SimpleTokenLimitStore(clock).reserve(List.of(charge(limit, "alice", 1))).reservation();

    assertThatThrownBy(() -> settle(elsewhere, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("was not made by this store");
  }

  /** The suite on real time, as a store that reads a server's clock would run it. */
  @Nested
  class OnTheSystemClock extends TokenLimitStoreContract {
    @Override
    protected TokenLimitStore newStore(Instant start) {
      return new SimpleTokenLimitStore(Clock.systemUTC());
    }

    @Override
    protected TimeControl time() {
      return TimeControl.NONE;
    }
  }
}
