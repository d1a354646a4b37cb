package dev.aigateway.core.limit;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the gateway does with a call whose token store fails to reserve (throws, answers nothing or
 * nonsense, or not within the store timeout), or is not asked because the {@linkplain
 * StoreBreakerPolicy store breaker} is open. Immutable and thread-safe.
 *
 * <pre>{@code
 * // Default: the call goes on, uncounted (availability first).
 * AiGateway.builder().tokenLimitStore(redis).storeFailurePolicy(StoreFailurePolicy.failOpen());
 * // No uncounted call ever reaches a backend: 503, Retry-After 5 s.
 * AiGateway.builder().tokenLimitStore(redis).storeFailurePolicy(StoreFailurePolicy.failClosed());
 * // Each of 4 replicas keeps a quarter of every limit in memory while the store is down.
 * AiGateway.builder().tokenLimitStore(redis)
 *     .storeFailurePolicy(StoreFailurePolicy.fallBackToLocal(1.0 / 4));
 * }</pre>
 *
 * <p>Each policy's call says so in its event ({@link dev.aigateway.api.LimitsInfo#outcome()}):
 *
 * <ul>
 *   <li>{@link #failOpen()}: admitted, nothing reserved or charged; {@code STORE_FAILED};
 *   <li>{@link #failClosed()}: answered locally with 503 in OpenAI's error shape (code {@code
 *       token_store_unavailable}, {@code Retry-After}), or, with {@code throwOnRejection(true)}, a
 *       {@link dev.aigateway.api.GatewayRejectedException} of reason {@link
 *       dev.aigateway.api.RejectionReason#TOKEN_STORE_UNAVAILABLE}; {@code STORE_FAILED} and the
 *       event's rejection says {@code TOKEN_STORE_UNAVAILABLE};
 *   <li>{@link #fallBackToLocal(double)}: reserved in an in-memory store of the gateway whose
 *       limits hold the given share of each configured limit, and settled there; {@code
 *       FALLBACK_SETTLED}, or {@code FALLBACK_REJECTED} (429/403 as usual) when the share is spent.
 * </ul>
 *
 * <p>Settlements of reservations the store made are always attempted in the store, whatever its
 * state; a reservation the fallback made always settles to the fallback.
 */
public final class StoreFailurePolicy {

  /** How long a fail-closed rejection asks the client to wait, unless set: 5 s. */
  public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(5);

  private static final Duration MAX_RETRY_AFTER = Duration.ofDays(1);
  private static final StoreFailurePolicy FAIL_OPEN =
      new StoreFailurePolicy(Mode.FAIL_OPEN, null, 0);
  private static final StoreFailurePolicy FAIL_CLOSED =
      new StoreFailurePolicy(Mode.FAIL_CLOSED, DEFAULT_RETRY_AFTER, 0);

  /** The three policies. */
  public enum Mode {
    /** Admit the call without a reservation; nothing is charged. */
    FAIL_OPEN,
    /** Reject the call with 503 (or the rejection exception). */
    FAIL_CLOSED,
    /**
     * Reserve and settle the call in the gateway's local fallback store, on a share of each limit.
     */
    FALL_BACK_TO_LOCAL
  }

  private final Mode mode;
  private final @Nullable Duration retryAfter;
  private final double share;

  private StoreFailurePolicy(Mode mode, @Nullable Duration retryAfter, double share) {
    this.mode = mode;
    this.retryAfter = retryAfter;
    this.share = share;
  }

  /**
   * Admits a call the store cannot count, without a reservation (the default): limits are not
   * enforced while the store fails, and the application stays up.
   */
  public static StoreFailurePolicy failOpen() {
    return FAIL_OPEN;
  }

  /**
   * Rejects a call the store cannot count with 503, asking the client to retry after {@link
   * #DEFAULT_RETRY_AFTER} (5 s): no call reaches a backend uncounted.
   */
  public static StoreFailurePolicy failClosed() {
    return FAIL_CLOSED;
  }

  /**
   * Rejects a call the store cannot count with 503, asking the client to retry after {@code
   * retryAfter} ({@code Retry-After} in whole seconds, rounded up; {@code retry-after-ms}).
   *
   * @param retryAfter positive, at most one day
   */
  public static StoreFailurePolicy failClosed(Duration retryAfter) {
    Objects.requireNonNull(retryAfter, "retryAfter");
    if (retryAfter.isNegative()
        || retryAfter.isZero()
        || retryAfter.compareTo(MAX_RETRY_AFTER) > 0) {
      throw new IllegalArgumentException(
          "retryAfter must be positive and at most " + MAX_RETRY_AFTER + " but was " + retryAfter);
    }
    return new StoreFailurePolicy(Mode.FAIL_CLOSED, retryAfter, 0);
  }

  /**
   * Counts a call the store cannot count in the gateway's own in-memory store, whose every limit
   * holds {@code share} of the configured capacity (rounded down, at least 1): with several
   * replicas sharing the store, {@code 1.0 / replicas} keeps their sum within the global limit. A
   * rate keeps its period (so it also refills at {@code share} of the speed); a quota keeps its
   * calendar window; an in-flight limit keeps {@code share} of its slots. The fallback's counters
   * live as long as the gateway, across outages: a quota's fallback share is spent once per window,
   * not once per outage.
   *
   * @param share greater than 0, at most 1
   */
  public static StoreFailurePolicy fallBackToLocal(double share) {
    if (!(share > 0 && share <= 1)) {
      throw new IllegalArgumentException(
          "share must be greater than 0 and at most 1 (for example 1.0 / replicas) but was "
              + share);
    }
    return new StoreFailurePolicy(Mode.FALL_BACK_TO_LOCAL, null, share);
  }

  /** Which policy this is. */
  public Mode mode() {
    return mode;
  }

  /** For {@link Mode#FAIL_CLOSED}, how long the client is asked to wait; else null. */
  public @Nullable Duration retryAfter() {
    return retryAfter;
  }

  /** For {@link Mode#FALL_BACK_TO_LOCAL}, the share of each limit kept locally; else 0. */
  public double share() {
    return share;
  }

  /** What calls get while the store fails, for log lines. */
  String describe() {
    return switch (mode) {
      case FAIL_OPEN -> "calls are admitted without limits (fail open)";
      case FAIL_CLOSED -> "calls are rejected with 503 (fail closed)";
      case FALL_BACK_TO_LOCAL ->
          String.format(
              Locale.ROOT, "calls are limited locally on %s of each limit", percent(share));
    };
  }

  private static String percent(double share) {
    return new java.math.BigDecimal(share * 100)
            .round(new java.math.MathContext(4))
            .stripTrailingZeros()
            .toPlainString()
        + "%";
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof StoreFailurePolicy p
        && p.mode == mode
        && Objects.equals(p.retryAfter, retryAfter)
        && Double.compare(p.share, share) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(mode, retryAfter, share);
  }

  @Override
  public String toString() {
    return switch (mode) {
      case FAIL_OPEN -> "StoreFailurePolicy{failOpen}";
      case FAIL_CLOSED -> "StoreFailurePolicy{failClosed, retryAfter=" + retryAfter + "}";
      case FALL_BACK_TO_LOCAL -> "StoreFailurePolicy{fallBackToLocal, share=" + share + "}";
    };
  }
}
