package dev.aigateway.redis;

import java.time.Duration;
import java.util.Objects;

/** The checks the stores' builders share; each names the setting and the bad value. */
final class Settings {

  private Settings() {}

  /**
   * The longest anything is kept in Redis, 10<sup>15</sup> ms (about 31,700 years): Redis refuses
   * an expiry near the end of its clock, and the scripts add times to the server's in doubles,
   * exact below 2<sup>53</sup>.
   */
  static final Duration LONGEST_KEPT = Duration.ofMillis(1_000_000_000_000_000L);

  /** {@code d}, at most {@link #LONGEST_KEPT}: a longer time to live is kept that long. */
  static Duration keptInRedis(Duration d) {
    return d.compareTo(LONGEST_KEPT) > 0 ? LONGEST_KEPT : d;
  }

  /**
   * {@code value}, if it is at least one millisecond (Redis expiries count milliseconds).
   *
   * @throws IllegalArgumentException naming the setting and the value otherwise
   */
  static Duration atLeastOneMilli(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.compareTo(Duration.ofMillis(1)) < 0) {
      throw new IllegalArgumentException(name + " must be at least 1 ms but was " + value);
    }
    return value;
  }

  /**
   * {@code value}, if it is at least {@code minimum}.
   *
   * @throws IllegalArgumentException naming the setting and the value otherwise
   */
  static long atLeast(String name, long value, long minimum) {
    if (value < minimum) {
      throw new IllegalArgumentException(
          name + " must be at least " + minimum + " but was " + value);
    }
    return value;
  }

  /** The longest command or connect timeout a connection takes: one hour. */
  static final Duration LONGEST_TIMEOUT = Duration.ofHours(1);

  /**
   * {@code value}, if it is positive and at most {@link #LONGEST_TIMEOUT}: a Redis command or
   * connection that may take longer would hold the governed calls waiting on it as long.
   *
   * @throws IllegalArgumentException naming the setting and the value otherwise
   */
  static Duration timeout(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero() || value.compareTo(LONGEST_TIMEOUT) > 0) {
      throw new IllegalArgumentException(
          name + " must be positive and at most " + LONGEST_TIMEOUT + " but was " + value);
    }
    return value;
  }
}
