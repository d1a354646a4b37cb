package dev.aigateway.redis;

import java.time.Duration;
import java.util.Objects;

/** The checks the stores' builders share; each names the setting and the bad value. */
final class Settings {

  private Settings() {}

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
}
