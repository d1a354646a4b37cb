package dev.aigateway.core.limit;

import java.time.Duration;
import java.util.Objects;

/**
 * When the gateway stops asking a failing token store, and for how long. After {@link
 * Builder#failureThreshold failureThreshold} reservations in a row have failed (thrown, answered
 * nothing or nonsense, or not within the store timeout), the store is left alone for a cool-down:
 * every call gets the {@link StoreFailurePolicy} at once, without paying the store timeout. Then
 * one call probes the store: success makes it healthy again, failure starts a cool-down twice as
 * long as the last one, up to {@link Builder#maxCoolDown maxCoolDown}. Immutable and thread-safe.
 *
 * <pre>{@code
 * AiGateway.builder()
 *     .tokenLimitStore(redis)
 *     .storeBreaker(StoreBreakerPolicy.builder()
 *         .failureThreshold(3)                    // 3 failed reservations in a row ...
 *         .coolDown(Duration.ofMillis(500))       // ... leave the store alone for 0.5 s,
 *         .maxCoolDown(Duration.ofSeconds(10)))   // doubling per failed probe up to 10 s
 *     .build();
 * }</pre>
 *
 * <p>Only reservations count: settlements are always attempted (they may succeed while reservations
 * fail, and a store that replays them needs them), and their failures show as {@link
 * dev.aigateway.api.LimitOutcome#SETTLE_FAILED}. The gateway's built-in {@link
 * InMemoryTokenLimitStore} has no breaker: it does no I/O, so it cannot be down.
 */
public final class StoreBreakerPolicy {

  /** Reservations failed in a row that open the breaker, unless set: 5. */
  public static final int DEFAULT_FAILURE_THRESHOLD = 5;

  /** The first cool-down after the breaker opens, unless set: 1 s. */
  public static final Duration DEFAULT_COOL_DOWN = Duration.ofSeconds(1);

  /** The longest cool-down, however many probes failed, unless set: 30 s. */
  public static final Duration DEFAULT_MAX_COOL_DOWN = Duration.ofSeconds(30);

  private static final Duration MAX = Duration.ofDays(1);
  private static final StoreBreakerPolicy DEFAULTS = builder().build();

  private final int failureThreshold;
  private final Duration coolDown;
  private final Duration maxCoolDown;

  private StoreBreakerPolicy(Builder b) {
    this.failureThreshold = b.failureThreshold;
    this.coolDown = b.coolDown;
    this.maxCoolDown = b.maxCoolDown;
  }

  /** The defaults: 5 failed reservations in a row, a 1 s cool-down doubling up to 30 s. */
  public static StoreBreakerPolicy defaults() {
    return DEFAULTS;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Reservations failed in a row that open the breaker. */
  public int failureThreshold() {
    return failureThreshold;
  }

  /** The first cool-down after the breaker opens. */
  public Duration coolDown() {
    return coolDown;
  }

  /** The longest cool-down. */
  public Duration maxCoolDown() {
    return maxCoolDown;
  }

  /** The cool-down after a failed probe that followed one of {@code last}: doubled, capped. */
  Duration nextCoolDown(Duration last) {
    return last.compareTo(maxCoolDown.dividedBy(2)) >= 0 ? maxCoolDown : last.multipliedBy(2);
  }

  @Override
  public String toString() {
    return "StoreBreakerPolicy{failureThreshold="
        + failureThreshold
        + ", coolDown="
        + coolDown
        + ", maxCoolDown="
        + maxCoolDown
        + "}";
  }

  /** Builds a {@link StoreBreakerPolicy}; settings are validated as they are made. */
  public static final class Builder {
    private int failureThreshold = DEFAULT_FAILURE_THRESHOLD;
    private Duration coolDown = DEFAULT_COOL_DOWN;
    private Duration maxCoolDown = DEFAULT_MAX_COOL_DOWN;

    private Builder() {}

    /** Reservations failed in a row that open the breaker (default 5), at least 1. */
    public Builder failureThreshold(int failures) {
      if (failures < 1) {
        throw new IllegalArgumentException("failureThreshold must be >= 1 but was " + failures);
      }
      this.failureThreshold = failures;
      return this;
    }

    /**
     * The first cool-down after the breaker opens (default 1 s): positive, at most one day. Each
     * failed probe doubles it, up to {@link #maxCoolDown}.
     */
    public Builder coolDown(Duration coolDown) {
      this.coolDown = check("coolDown", coolDown);
      return this;
    }

    /** The longest cool-down (default 30 s): positive, at most one day. */
    public Builder maxCoolDown(Duration maxCoolDown) {
      this.maxCoolDown = check("maxCoolDown", maxCoolDown);
      return this;
    }

    /**
     * Builds the policy.
     *
     * @throws IllegalArgumentException when the cool-down is longer than the longest cool-down
     */
    public StoreBreakerPolicy build() {
      if (coolDown.compareTo(maxCoolDown) > 0) {
        throw new IllegalArgumentException(
            "coolDown ("
                + coolDown
                + ") must not be longer than maxCoolDown ("
                + maxCoolDown
                + ")");
      }
      return new StoreBreakerPolicy(this);
    }

    private static Duration check(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero() || value.compareTo(MAX) > 0) {
        throw new IllegalArgumentException(
            name + " must be positive and at most " + MAX + " but was " + value);
      }
      return value;
    }
  }
}
