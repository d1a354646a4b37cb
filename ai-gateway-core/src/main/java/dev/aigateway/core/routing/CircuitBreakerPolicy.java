package dev.aigateway.core.routing;

import java.time.Duration;
import java.util.Objects;
import java.util.function.IntPredicate;
import org.jspecify.annotations.Nullable;

/**
 * When a backend's circuit breaker trips and for how long. Every backend of a pool gets its own
 * breaker from this policy. Immutable and thread-safe.
 *
 * <pre>{@code
 * CircuitBreakerPolicy.builder()
 *     .failureCount(3, Duration.ofSeconds(10))      // 3 failures within 10 s trip it ...
 *     .tripDuration(Duration.ofSeconds(30))         // ... for 30 s, unless the backend says
 *     .build();
 * CircuitBreakerPolicy.builder()
 *     .failureRate(50, 20, Duration.ofMinutes(1))   // half of >= 20 calls within a minute failed
 *     .failureStatuses(CircuitBreakerPolicy.DEFAULT_FAILURE_STATUSES.or(s -> s == 408))
 *     .build();
 * }</pre>
 *
 * <p>A failure is a response with a failure status (default 429 and 5xx) or, unless disabled, a
 * connection failure or timeout. Failures are counted in a sliding window of ten buckets over the
 * interval, so a failure leaves the window between 0.9 and 1 interval after it happened. When the
 * failure that trips the breaker carries a retry-after ({@code Retry-After} in seconds or as a
 * date, {@code retry-after-ms}, {@code x-ms-retry-after-ms}) of a millisecond or more, that
 * duration is the trip duration, capped by {@link Builder#maxTripDuration}. After the trip one
 * probe call tests the backend (half-open): success closes the breaker, failure opens it again.
 *
 * <p>A 429, 503 or 529 (overloaded) with a retry-after also keeps its backend out for that long
 * ({@link #coolDown}), without waiting for the breaker to trip; that cool-down is capped by the
 * same {@link Builder#maxTripDuration}, so no backend can ask to be left alone for longer. A 429
 * without a retry-after is taken to ask for the reset of the rate-limit window it spent ({@code
 * x-ratelimit-reset-tokens} or {@code -reset-requests} where the matching remaining count is 0 or
 * not sent), as some of Azure OpenAI's token-rate 429s give their wait.
 *
 * <p>Both are kept in whole milliseconds, a fraction rounded up: a trip or cool-down of 1.5 ms
 * lasts 2 ms, a cool-down of 0.5 ms ({@code retry-after-ms: 0.5}) 1 ms, never none. A retry-after
 * under a millisecond (zero, a date already past, {@code retry-after-ms: 0.3}) asks for no wait a
 * breaker could honour, so it does not set a trip: the trip is {@link #tripDuration()}, as without
 * one; a zero retry-after cools its backend down for no time.
 */
public final class CircuitBreakerPolicy {

  /** Failure statuses unless set: 429 (too many requests) and every 5xx. */
  public static final IntPredicate DEFAULT_FAILURE_STATUSES =
      status -> status == 429 || status >= 500;

  /** Whether connection failures and timeouts count as failures, unless set. */
  public static final boolean DEFAULT_TRIP_ON_CONNECTION_FAILURES = true;

  /** Failures within {@link #DEFAULT_INTERVAL} that trip the breaker, unless a mode is set. */
  public static final int DEFAULT_FAILURE_COUNT = 5;

  /** The window failures are counted in, unless a mode is set. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

  /** How long a tripped breaker stays open when the backend does not say, unless set. */
  public static final Duration DEFAULT_TRIP_DURATION = Duration.ofSeconds(30);

  /** Whether the tripping failure's retry-after sets the trip duration, unless set. */
  public static final boolean DEFAULT_HONOUR_RETRY_AFTER = true;

  /**
   * The shortest retry-after that sets a trip: a shorter one asks for no wait a trip could last.
   */
  private static final Duration SHORTEST_TRIP_RETRY_AFTER = Duration.ofMillis(1);

  /** The longest trip a backend's retry-after may ask for, unless set. */
  public static final Duration DEFAULT_MAX_TRIP_DURATION = Duration.ofHours(1);

  private static final CircuitBreakerPolicy DEFAULTS = builder().build();

  private final IntPredicate failureStatuses;
  private final boolean tripOnConnectionFailures;
  private final int failureCount;
  private final double failureRatePercent;
  private final int minimumCalls;
  private final Duration interval;
  private final Duration tripDuration;
  private final boolean honourRetryAfter;
  private final Duration maxTripDuration;

  private CircuitBreakerPolicy(Builder b) {
    this.failureStatuses = b.failureStatuses;
    this.tripOnConnectionFailures = b.tripOnConnectionFailures;
    this.failureCount = b.failureCount;
    this.failureRatePercent = b.failureRatePercent;
    this.minimumCalls = b.minimumCalls;
    this.interval = b.interval;
    this.tripDuration = b.tripDuration;
    this.honourRetryAfter = b.honourRetryAfter;
    this.maxTripDuration = b.maxTripDuration;
  }

  /**
   * The defaults: 5 failures (429, 5xx, connection failures, timeouts) within 10 s trip the breaker
   * for 30 s, or for the backend's retry-after up to 1 h.
   */
  public static CircuitBreakerPolicy defaults() {
    return DEFAULTS;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether a response status counts as a failure. */
  public boolean isFailureStatus(int status) {
    return failureStatuses.test(status);
  }

  /** Whether connection failures and timeouts count as failures. */
  public boolean tripsOnConnectionFailures() {
    return tripOnConnectionFailures;
  }

  /** In count mode, the failures within {@link #interval()} that trip it; 0 in rate mode. */
  public int failureCount() {
    return failureCount;
  }

  /** In rate mode, the failure percentage (0 to 100] that trips it; 0 in count mode. */
  public double failureRatePercent() {
    return failureRatePercent;
  }

  /** In rate mode, the calls within the interval needed before the rate counts; 0 in count mode. */
  public int minimumCalls() {
    return minimumCalls;
  }

  /** The sliding window failures (and, in rate mode, calls) are counted in. */
  public Duration interval() {
    return interval;
  }

  /** How long a trip lasts when the backend does not say how long. */
  public Duration tripDuration() {
    return tripDuration;
  }

  /** Whether the tripping failure's retry-after sets the trip duration. */
  public boolean honoursRetryAfter() {
    return honourRetryAfter;
  }

  /** The longest trip, or 429 cool-down, a backend's retry-after may ask for. */
  public Duration maxTripDuration() {
    return maxTripDuration;
  }

  /**
   * How long a trip lasts when the failure that causes it carried {@code retryAfter}: the
   * retry-after capped by {@link #maxTripDuration()} when honoured ({@link #setsTrip}), else {@link
   * #tripDuration()}. A retry-after under a millisecond ({@code Retry-After: 0}, a date already
   * past, {@code retry-after-ms: 0.3}) asks for no wait, which would leave the breaker open for no
   * time (or one millisecond): the trip is then {@link #tripDuration()}.
   *
   * @param retryAfter the backend's retry-after, or null when it sent none
   */
  public Duration tripDuration(@Nullable Duration retryAfter) {
    return setsTrip(retryAfter) ? capped(retryAfter) : tripDuration;
  }

  /**
   * Whether {@code retryAfter} sets the trip's duration ({@link #tripDuration(Duration)}): it is
   * honoured and a millisecond or longer.
   */
  boolean setsTrip(@Nullable Duration retryAfter) {
    return retryAfter != null
        && honourRetryAfter
        && retryAfter.compareTo(SHORTEST_TRIP_RETRY_AFTER) >= 0;
  }

  /**
   * How long a backend that answered 429, 503 or 529 with {@code retryAfter} is kept out of the
   * pool: the retry-after capped by {@link #maxTripDuration()} (a negative one counts as zero),
   * whether or not the policy honours retry-afters for trips. The backend's state keeps it in whole
   * milliseconds, rounded up (0.5 ms keeps the backend out for 1 ms).
   */
  public Duration coolDown(Duration retryAfter) {
    Objects.requireNonNull(retryAfter, "retryAfter");
    return retryAfter.isNegative() ? Duration.ZERO : capped(retryAfter);
  }

  private Duration capped(Duration retryAfter) {
    return retryAfter.compareTo(maxTripDuration) > 0 ? maxTripDuration : retryAfter;
  }

  @Override
  public String toString() {
    return "CircuitBreakerPolicy{"
        + condition(failureCount, failureRatePercent, minimumCalls, interval)
        + ", trip "
        + tripDuration
        + (honourRetryAfter ? " or retry-after up to " + maxTripDuration : "")
        + (failureStatuses == DEFAULT_FAILURE_STATUSES ? "" : ", custom failure statuses")
        + (tripOnConnectionFailures ? "" : ", connection failures ignored")
        + "}";
  }

  private static String condition(int count, double percent, int minimumCalls, Duration interval) {
    return count > 0
        ? "failureCount(" + count + ", " + interval + ")"
        : "failureRate(" + percentText(percent) + ", " + minimumCalls + ", " + interval + ")";
  }

  private static String percentText(double percent) {
    return percent == Math.rint(percent) ? String.valueOf((long) percent) : String.valueOf(percent);
  }

  /**
   * Builds a {@link CircuitBreakerPolicy}. Fails fast on a bad value. Each setter replaces what an
   * earlier call set; {@link #failureCount} and {@link #failureRate} set one thing, the trip
   * condition, so the later of the two wins.
   */
  public static final class Builder {
    private IntPredicate failureStatuses = DEFAULT_FAILURE_STATUSES;
    private boolean tripOnConnectionFailures = DEFAULT_TRIP_ON_CONNECTION_FAILURES;
    private int failureCount = DEFAULT_FAILURE_COUNT;
    private double failureRatePercent;
    private int minimumCalls;
    private Duration interval = DEFAULT_INTERVAL;
    private Duration tripDuration = DEFAULT_TRIP_DURATION;
    private boolean honourRetryAfter = DEFAULT_HONOUR_RETRY_AFTER;
    private Duration maxTripDuration = DEFAULT_MAX_TRIP_DURATION;

    private Builder() {}

    /**
     * Which response statuses are failures, replacing the default (429 and 5xx). Statuses that are
     * not failures count as successes.
     */
    public Builder failureStatuses(IntPredicate statuses) {
      this.failureStatuses = Objects.requireNonNull(statuses, "statuses");
      return this;
    }

    /** Whether connection failures and timeouts are failures (default true). */
    public Builder tripOnConnectionFailures(boolean trip) {
      this.tripOnConnectionFailures = trip;
      return this;
    }

    /**
     * Count mode (the default, 5 in 10 s): trip when {@code failures} failures happened within
     * {@code interval}, whatever the number of successes.
     *
     * @throws IllegalArgumentException when {@code failures} is below 1 or {@code interval} is
     *     shorter than a millisecond
     */
    public Builder failureCount(int failures, Duration interval) {
      if (failures < 1) {
        throw new IllegalArgumentException("failure count must be >= 1 but was " + failures);
      }
      Duration window = requireInterval(interval);
      this.failureCount = failures;
      this.failureRatePercent = 0;
      this.minimumCalls = 0;
      this.interval = window;
      return this;
    }

    /**
     * Rate mode: trip when at least {@code percent} of the calls within {@code interval} failed,
     * once there were at least {@code minimumCalls} calls within it.
     *
     * @param percent in (0, 100]; for example 50 for half of the calls
     * @throws IllegalArgumentException when {@code percent} is outside (0, 100], {@code
     *     minimumCalls} below 1 or {@code interval} shorter than a millisecond
     */
    public Builder failureRate(double percent, int minimumCalls, Duration interval) {
      if (!(percent > 0 && percent <= 100)) {
        throw new IllegalArgumentException(
            "failure rate must be in (0, 100] percent but was " + percent);
      }
      if (minimumCalls < 1) {
        throw new IllegalArgumentException("minimum calls must be >= 1 but was " + minimumCalls);
      }
      Duration window = requireInterval(interval);
      this.failureCount = 0;
      this.failureRatePercent = percent;
      this.minimumCalls = minimumCalls;
      this.interval = window;
      return this;
    }

    /** How long a trip lasts when the backend does not say how long (default 30 s); positive. */
    public Builder tripDuration(Duration duration) {
      this.tripDuration = requirePositive(duration, "trip duration");
      return this;
    }

    /**
     * Whether the retry-after of the failure that trips the breaker is the trip duration (default
     * true), capped by {@link #maxTripDuration}; a retry-after under a millisecond (zero included)
     * trips for {@link #tripDuration}. False: always {@link #tripDuration}.
     */
    public Builder honourRetryAfter(boolean honour) {
      this.honourRetryAfter = honour;
      return this;
    }

    /**
     * The longest trip, or 429 cool-down, a backend's retry-after may ask for (default 1 h);
     * positive.
     */
    public Builder maxTripDuration(Duration max) {
      this.maxTripDuration = requirePositive(max, "max trip duration");
      return this;
    }

    /** Builds the policy. */
    public CircuitBreakerPolicy build() {
      return new CircuitBreakerPolicy(this);
    }

    private static Duration requireInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.compareTo(Duration.ofMillis(1)) < 0) {
        throw new IllegalArgumentException(
            "failure interval must be at least 1 ms but was " + interval);
      }
      return interval;
    }

    private static Duration requirePositive(Duration value, String what) {
      Objects.requireNonNull(value, what);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(what + " must be positive but was " + value);
      }
      return value;
    }
  }
}
