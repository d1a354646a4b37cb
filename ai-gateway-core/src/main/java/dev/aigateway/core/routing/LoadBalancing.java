package dev.aigateway.core.routing;

import dev.aigateway.api.KeyResolver;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a backend pool picks a backend within one priority tier. Tiers always come first: a higher
 * tier number gets traffic only when every backend of the lower tiers that serves the model is
 * unavailable (breaker open, or cooling down after a 429). Each model's calls are balanced among
 * themselves: an application that alternates two models served by the same backends has each
 * model's calls spread over them, as if it called that model alone.
 *
 * <pre>{@code
 * LoadBalancing.roundRobin()                   // default: each available backend in turn
 * LoadBalancing.weighted()                     // by Backend.weight, smooth and deterministic
 * LoadBalancing.leastBusy()                    // fewest calls in flight
 * LoadBalancing.latencyAware()                 // lowest recent latency (time to first chunk for streams)
 * LoadBalancing.capacityAware()                // most headroom per the backends' x-ratelimit-* headers
 * LoadBalancing.sessionSticky(KeyResolvers.header("x-session-id"), LoadBalancing.weighted())
 * }</pre>
 */
public final class LoadBalancing {

  /** How long a session stays bound to its backend after its last call, by default. */
  public static final Duration DEFAULT_SESSION_IDLE = Duration.ofMinutes(30);

  /** How many sessions are remembered at most, by default. */
  public static final long DEFAULT_MAX_SESSIONS = 100_000;

  /** The strategies. */
  public enum Kind {
    ROUND_ROBIN,
    WEIGHTED,
    LEAST_BUSY,
    LATENCY_AWARE,
    CAPACITY_AWARE,
    SESSION_STICKY
  }

  private static final LoadBalancing ROUND_ROBIN = new LoadBalancing(Kind.ROUND_ROBIN, null, null);
  private static final LoadBalancing WEIGHTED = new LoadBalancing(Kind.WEIGHTED, null, null);
  private static final LoadBalancing LEAST_BUSY = new LoadBalancing(Kind.LEAST_BUSY, null, null);
  private static final LoadBalancing LATENCY_AWARE =
      new LoadBalancing(Kind.LATENCY_AWARE, null, null);
  private static final LoadBalancing CAPACITY_AWARE =
      new LoadBalancing(Kind.CAPACITY_AWARE, null, null);

  private final Kind kind;
  private final KeyResolver sessionKey;
  private final LoadBalancing within;

  private LoadBalancing(Kind kind, KeyResolver sessionKey, LoadBalancing within) {
    this.kind = kind;
    this.sessionKey = sessionKey;
    this.within = within;
  }

  /** Each available backend of the tier in turn (the default). */
  public static LoadBalancing roundRobin() {
    return ROUND_ROBIN;
  }

  /**
   * In proportion to {@link Backend#weight()}, by smooth weighted round-robin: deterministic, with
   * the backends interleaved (5:1:1 gives a a b a c a a, not a a a a a b c).
   */
  public static LoadBalancing weighted() {
    return WEIGHTED;
  }

  /** The backend with the fewest calls in flight through this gateway; ties in turn. */
  public static LoadBalancing leastBusy() {
    return LEAST_BUSY;
  }

  /**
   * The backend with the lowest moving average (EWMA) of recent latency: time to the first chunk
   * for streams, the whole response otherwise. A failed attempt (one its breaker counts as a
   * failure) is a sample of the pool's {@link Failover#firstEventTimeout()}, or of the time it took
   * when longer, so a backend that fails fast ranks behind those that answer instead of ahead of
   * them. Backends without a sample are tried first; so is, by one call, a backend whose last
   * sample is more than a minute old (latency ranked it last and sent no call there since), and
   * that call's sample starts its average afresh.
   */
  public static LoadBalancing latencyAware() {
    return LATENCY_AWARE;
  }

  /**
   * The backend with the most headroom, per the {@code x-ratelimit-remaining-tokens} / {@code
   * -requests} and reset headers it sent last (or its configured capacity before it sent any),
   * skipping backends whose remaining tokens cannot cover the call's estimate, or that have no
   * request left before their requests' reset (also when they sent no token counts), so traffic
   * moves away before a 429 happens. Counts sent without a reset (Azure OpenAI's) count for a
   * minute.
   */
  public static LoadBalancing capacityAware() {
    return CAPACITY_AWARE;
  }

  /**
   * Calls with the same session key stick to one backend while it is available, and move (and stick
   * again) when it is not (a call that fails over from it to another backend does not move the
   * session); a session is bound per model, so a session whose calls use several models (a large
   * one and a small one, each served by backends of its own) stays on one backend for each. Tiers
   * still come first: a session that moved to a later tier goes back to an earlier one as soon as a
   * backend there is available again. Calls without a session key, and the first call of a session,
   * are placed by {@code within}. The session key's headers are removed before sending.
   */
  public static LoadBalancing sessionSticky(KeyResolver sessionKey, LoadBalancing within) {
    Objects.requireNonNull(sessionKey, "sessionKey");
    Objects.requireNonNull(within, "within");
    if (within.kind == Kind.SESSION_STICKY) {
      throw new IllegalArgumentException("sessionSticky cannot wrap another sessionSticky");
    }
    return new LoadBalancing(Kind.SESSION_STICKY, sessionKey, within);
  }

  /** The strategy. */
  public Kind kind() {
    return kind;
  }

  /** For {@link Kind#SESSION_STICKY}: the session key; else null. */
  public @Nullable KeyResolver sessionKey() {
    return sessionKey;
  }

  /** For {@link Kind#SESSION_STICKY}: the strategy for unbound calls; else null. */
  public @Nullable LoadBalancing within() {
    return within;
  }

  @Override
  public String toString() {
    return kind == Kind.SESSION_STICKY
        ? "sessionSticky(" + within + ")"
        : kind.name().toLowerCase(java.util.Locale.ROOT);
  }
}
