package dev.aigateway.core.routing;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

/**
 * When and how a routed call moves to another backend. A call is retried only before any byte of a
 * response reached the application: on a retryable status (default 429 and 5xx), a connection
 * failure or a timeout, an exception from the client while sending, or a stream that ends or breaks
 * before its first event. It moves to the next available backend it has not tried; only when none
 * is left does it retry one already tried, after a jittered backoff.
 *
 * <p>A streamed answer (server-sent events) is held until its first event has arrived whole (an
 * event with a field other than a comment, ended by its blank line), at most {@link
 * #firstEventTimeout()}, so that a stream that breaks, ends or stays silent before it says anything
 * is failed over too; from its first event on it reaches the application chunk by chunk as it
 * arrives, and it is never retried once released. The bound applies only while another attempt
 * could still follow (attempts and deadline left); a stream that times out is a timeout for the
 * backend's breaker. A held stream that ends, breaks or times out when no other attempt can follow
 * after all (no backend left available) fails the call with that failure, an {@code IOException},
 * nothing of it having reached the application. The last possible attempt's stream is not held: it
 * reaches the application as it arrives, and counts as a failure for its backend's breaker when it
 * ends or breaks before its first event.
 *
 * <pre>{@code
 * Failover.builder().maxAttempts(4).deadline(Duration.ofSeconds(20)).build()
 * Failover.builder().firstEventTimeout(Duration.ofMinutes(2)).build() // slow reasoning models
 * Failover.disabled()   // one attempt only
 * }</pre>
 */
public final class Failover {

  /** Attempts per call unless set (the first one included). */
  public static final int DEFAULT_MAX_ATTEMPTS = 3;

  /** No new attempt starts after this long since the call started, unless set. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);

  /**
   * The ceiling of the first backoff before retrying a backend already tried, unless set: the
   * backoff is drawn at random below it ({@link #backoff(int, double)}).
   */
  public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(200);

  /** The largest ceiling of a backoff, unless set. */
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(2);

  /** How long a stream may take to send its first event before the call moves on, unless set. */
  public static final Duration DEFAULT_FIRST_EVENT_TIMEOUT = Duration.ofSeconds(30);

  private static final IntPredicate DEFAULT_RETRY_STATUSES = s -> s == 429 || s >= 500;
  private static final Failover DEFAULTS = builder().build();
  private static final Failover DISABLED = builder().maxAttempts(1).build();

  private final int maxAttempts;
  private final Duration deadline;
  private final IntPredicate retryStatuses;
  private final Duration backoff;
  private final Duration maxBackoff;
  private final Duration firstEventTimeout;

  /**
   * The deadline and the first-event timeout in nanoseconds, {@link Long#MAX_VALUE} for one longer
   * than a long counts (292 years: {@code ChronoUnit.FOREVER.getDuration()}, a deadline meant as
   * none), which a call compares with the time it has taken.
   */
  private final long deadlineNanos;

  private final long firstEventTimeoutNanos;

  private Failover(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.deadline = b.deadline;
    this.retryStatuses = b.retryStatuses;
    this.backoff = b.backoff;
    this.maxBackoff = b.maxBackoff;
    this.firstEventTimeout = b.firstEventTimeout;
    this.deadlineNanos = TimeUnit.NANOSECONDS.convert(deadline);
    this.firstEventTimeoutNanos = TimeUnit.NANOSECONDS.convert(firstEventTimeout);
  }

  /**
   * 3 attempts, 60 s deadline, retry on 429 and 5xx, 200 ms to 2 s jittered backoff, 30 s for a
   * stream's first event.
   */
  public static Failover defaults() {
    return DEFAULTS;
  }

  /** One attempt: no failover. */
  public static Failover disabled() {
    return DISABLED;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Attempts per call, the first included. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /**
   * No attempt starts later than this after the call started: a backoff that would end later is cut
   * short to end by then.
   */
  public Duration deadline() {
    return deadline;
  }

  /** {@link #deadline()} in nanoseconds, at most {@link Long#MAX_VALUE}. */
  long deadlineNanos() {
    return deadlineNanos;
  }

  /**
   * How long a streamed answer may take, from its headers, to send its first event before the call
   * moves on to another attempt (while one could still follow).
   */
  public Duration firstEventTimeout() {
    return firstEventTimeout;
  }

  /** {@link #firstEventTimeout()} in nanoseconds, at most {@link Long#MAX_VALUE}. */
  long firstEventTimeoutNanos() {
    return firstEventTimeoutNanos;
  }

  /** Whether a response status moves the call to another attempt. */
  public boolean retriesOn(int status) {
    return retryStatuses.test(status);
  }

  /**
   * The backoff before retrying an already-tried backend: full jitter over {@code min(max, backoff
   * * 2^(retry - 1))}, using {@code random} in [0, 1).
   */
  public Duration backoff(int retryOfSameBackend, double random) {
    long max = TimeUnit.NANOSECONDS.convert(maxBackoff);
    int doublings = Math.min(20, Math.max(0, retryOfSameBackend - 1));
    long first = TimeUnit.NANOSECONDS.convert(backoff);
    // first * 2^doublings, or the maximum where that would pass it (or overflow)
    long ceiling = first > (max >> doublings) ? max : first << doublings;
    return Duration.ofNanos((long) (ceiling * random));
  }

  /** Builds a {@link Failover}. */
  public static final class Builder {
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration deadline = DEFAULT_DEADLINE;
    private IntPredicate retryStatuses = DEFAULT_RETRY_STATUSES;
    private Duration backoff = DEFAULT_BACKOFF;
    private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
    private Duration firstEventTimeout = DEFAULT_FIRST_EVENT_TIMEOUT;

    private Builder() {}

    /** Attempts per call, the first included (>= 1). */
    public Builder maxAttempts(int attempts) {
      if (attempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be >= 1 but was " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /**
     * No new attempt after this long since the call started. One longer than 292 years (what a long
     * holds in nanoseconds, such as {@code ChronoUnit.FOREVER.getDuration()}) is no deadline.
     */
    public Builder deadline(Duration deadline) {
      Objects.requireNonNull(deadline, "deadline");
      if (deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException("deadline must be positive but was " + deadline);
      }
      this.deadline = deadline;
      return this;
    }

    /** Which statuses move the call on (default 429 and 5xx). */
    public Builder retryOn(IntPredicate statuses) {
      this.retryStatuses = Objects.requireNonNull(statuses, "statuses");
      return this;
    }

    /**
     * The backoff before retrying a backend already tried: its n-th retry waits a time drawn at
     * random between zero and {@code min(max, first * 2^(n - 1))} (full jitter), so {@code first}
     * and {@code max} are ceilings, not waits (a ceiling of ten minutes waits under a second once
     * in some six hundred retries). No backoff lasts past the {@link Builder#deadline deadline}.
     */
    public Builder backoff(Duration first, Duration max) {
      Objects.requireNonNull(first, "first");
      Objects.requireNonNull(max, "max");
      if (first.isNegative() || max.compareTo(first) < 0) {
        throw new IllegalArgumentException(
            "backoff needs 0 <= first <= max but was first=" + first + ", max=" + max);
      }
      this.backoff = first;
      this.maxBackoff = max;
      return this;
    }

    /**
     * How long a streamed answer may take to send its first event before the call moves on (default
     * 30 s). Raise it for models that think long before they answer, together with the client's
     * read timeout.
     */
    public Builder firstEventTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("firstEventTimeout must be positive but was " + timeout);
      }
      this.firstEventTimeout = timeout;
      return this;
    }

    /** Builds the policy. */
    public Failover build() {
      return new Failover(this);
    }
  }
}
