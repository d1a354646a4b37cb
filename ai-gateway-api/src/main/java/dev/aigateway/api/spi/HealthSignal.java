package dev.aigateway.api.spi;

import dev.aigateway.api.LogText;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What one gateway instance tells the others about a backend of a pool, over a {@link
 * BackendHealthChannel}: it is cooling down after a {@code 429}, its breaker tripped, or its
 * breaker closed again after a successful probe.
 *
 * <p>A signal carries its end twice: {@code until}, an instant on the sender's clock, and {@code
 * remaining}, how long was left when it was sent. Receivers count from {@code remaining} on their
 * own clock (so clock skew between hosts does not matter); {@code until} is for people and logs. A
 * {@link Kind#RECOVERED} signal has {@code remaining} zero and {@code until} the moment it was
 * sent.
 *
 * <p>{@link #toString()} writes its names through {@link LogText}: a signal read from a shared
 * channel is another process's text, and the gateway logs it in the rare case a receiver fails.
 *
 * @param pool the name of the backend pool the backend belongs to ({@code BackendPool.name()})
 * @param backendId the backend's id within that pool
 * @param kind what happened
 * @param until when the backend is available again, per the sender's clock
 * @param remaining how long the backend stays unavailable, from when the signal was sent; never
 *     negative
 * @param origin the id of the gateway instance that sent it, so an instance ignores its own
 */
public record HealthSignal(
    String pool, String backendId, Kind kind, Instant until, Duration remaining, String origin) {

  /** What a {@link HealthSignal} reports. */
  public enum Kind {
    /** The backend asked for a pause ({@code 429} or {@code 503} with a retry-after). */
    COOL_DOWN,
    /** The backend's circuit breaker opened. */
    TRIPPED,
    /** The backend's circuit breaker closed again: a probe call succeeded. */
    RECOVERED
  }

  /** Validates the signal: names not blank, {@code remaining} not negative. */
  public HealthSignal {
    requireName(pool, "pool");
    requireName(backendId, "backendId");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(until, "until");
    Objects.requireNonNull(remaining, "remaining");
    requireName(origin, "origin");
    if (remaining.isNegative()) {
      throw new IllegalArgumentException("remaining must be >= 0 but was " + remaining);
    }
  }

  /**
   * The same signal with {@code elapsed} less remaining (never below zero): what a channel that
   * held a signal for a while (a queue, a reconnect) passes on, so waiting never lengthens a pause.
   */
  public HealthSignal aged(Duration elapsed) {
    Objects.requireNonNull(elapsed, "elapsed");
    if (elapsed.isNegative() || elapsed.isZero() || remaining.isZero()) {
      return this;
    }
    Duration left = remaining.compareTo(elapsed) > 0 ? remaining.minus(elapsed) : Duration.ZERO;
    return new HealthSignal(pool, backendId, kind, until, left, origin);
  }

  /**
   * The signal as the record's own form would show it, with its pool, backend id and origin escaped
   * and cut by {@link LogText}, so a logged signal stays one line of bounded length.
   */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(128).append("HealthSignal[pool=");
    LogText.append(s, pool).append(", backendId=");
    LogText.append(s, backendId)
        .append(", kind=")
        .append(kind)
        .append(", until=")
        .append(until)
        .append(", remaining=")
        .append(remaining)
        .append(", origin=");
    return LogText.append(s, origin).append(']').toString();
  }

  private static void requireName(String value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
  }
}
