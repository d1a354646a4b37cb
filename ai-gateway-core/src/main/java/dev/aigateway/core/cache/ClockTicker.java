package dev.aigateway.core.cache;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Instant;
import java.time.InstantSource;

/**
 * Caffeine's time source read from a clock, so the stores' public configuration speaks {@code
 * java.time} while their engines keep Caffeine's nanosecond ticker.
 */
final class ClockTicker implements Ticker {

  private final InstantSource clock;

  private ClockTicker(InstantSource clock) {
    this.clock = clock;
  }

  static Ticker of(InstantSource clock) {
    return new ClockTicker(clock);
  }

  /** Nanoseconds since the epoch (a long holds them until the year 2262). */
  @Override
  public long read() {
    Instant now = clock.instant();
    return Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
  }
}
