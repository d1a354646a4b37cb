package dev.aigateway.api.spi;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What one counter of a {@link TokenLimitStore} holds at one moment, as {@link
 * TokenLimitStore#peek} read it. A counter the store does not hold (never charged, or dropped once
 * it lost nothing) reads as untouched: nothing used, its whole capacity remaining.
 *
 * <ul>
 *   <li>a rate: {@code used} is what has not refilled yet (reservations not yet settled included),
 *       {@code resetsAt} when the bucket is full again, null when it is full;
 *   <li>a quota: {@code used} is what the current window holds, {@code resetsAt} the window's end
 *       (also for an untouched counter);
 *   <li>an in-flight limit: {@code used} is the slots calls hold now, {@code resetsAt} null (slots
 *       are freed by settlement, not by time).
 * </ul>
 *
 * @param counter the counter read
 * @param used units taken, at least 0; above the capacity when a settlement overdrew the counter
 * @param resetsAt see above
 */
public record CounterReading(CounterId counter, long used, @Nullable Instant resetsAt) {

  /**
   * Checks the reading.
   *
   * @throws IllegalArgumentException for a negative {@code used}
   */
  public CounterReading {
    Objects.requireNonNull(counter, "counter");
    if (used < 0) {
      throw new IllegalArgumentException(
          "used units of counter '" + counter.limit().id() + "' must be >= 0 but were " + used);
    }
  }

  /** A counter the store does not hold: nothing used. */
  public static CounterReading untouched(CounterId counter, @Nullable Instant resetsAt) {
    return new CounterReading(counter, 0, resetsAt);
  }

  /** The limit's capacity minus {@link #used()}: negative when the counter is overdrawn. */
  public long remaining() {
    long capacity = counter.limit().capacity();
    long difference = capacity - used;
    // capacity > 0 and used >= 0: only a huge used can overflow, towards Long.MIN_VALUE.
    return ((capacity ^ used) & (capacity ^ difference)) < 0 ? Long.MIN_VALUE : difference;
  }
}
