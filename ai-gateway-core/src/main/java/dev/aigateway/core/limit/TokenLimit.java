package dev.aigateway.core.limit;

import dev.aigateway.api.KeyResolver;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A token limit: a rate (tokens per minute, or per any period) and/or a calendar quota (tokens per
 * hour, day, week, month or year), counted per counter key. Immutable once built.
 *
 * <pre>{@code
 * TokenLimit perTeam = TokenLimit.perConsumer()
 *     .tokensPerMinute(20_000)                      // 429 + Retry-After when exceeded
 *     .quota(2_000_000, QuotaPeriod.MONTHLY)        // 403 until the 1st of next month (UTC)
 *     .estimatePromptTokens(true)                   // reserve prompt + output allowance up front
 *     .remainingTokensHeader("x-ratelimit-remaining-tokens")
 *     .build();
 * TokenLimit perModel = TokenLimit.perModel().tokensPerMinute(100_000).build();
 * TokenLimit everyone = TokenLimit.global().quota(50_000_000, QuotaPeriod.DAILY).build();
 * }</pre>
 *
 * <p>Before a call, every applicable limit must admit it, and then each reserves the estimate
 * (prompt tokens plus the output allowance) atomically: a call that any limit rejects reserves
 * nothing anywhere. After the call each reservation is settled to the tokens the backend reported
 * (or, when it reported none, to a local count).
 */
public final class TokenLimit {

  /** Counter key used when a limit's key resolves to nothing. */
  public static final String UNKNOWN_KEY = "unknown";

  /** The longest rate period: as many nanoseconds as a long holds (about 292 years). */
  public static final Duration MAX_RATE_PERIOD = Duration.ofNanos(Long.MAX_VALUE);

  private final String name;
  private final @Nullable KeyResolver key;
  private final long ratePerPeriod;
  private final @Nullable Duration ratePeriod;
  private final long quota;
  private final @Nullable QuotaPeriod quotaPeriod;
  private final ZoneId quotaZone;
  private final boolean estimatePromptTokens;
  private final @Nullable String remainingTokensHeader;
  private final @Nullable String remainingQuotaHeader;
  private final @Nullable String tokensConsumedHeader;
  private final Set<String> consumers;
  private final List<LimitSpec> specs;

  private TokenLimit(Builder b) {
    this.consumers = Set.copyOf(b.consumers);
    this.name = b.name;
    this.key = b.key;
    this.ratePerPeriod = b.ratePerPeriod;
    this.ratePeriod = b.ratePeriod;
    this.quota = b.quota;
    this.quotaPeriod = b.quotaPeriod;
    this.quotaZone = b.quotaZone;
    this.estimatePromptTokens = b.estimatePromptTokens;
    this.remainingTokensHeader = b.remainingTokensHeader;
    this.remainingQuotaHeader = b.remainingQuotaHeader;
    this.tokensConsumedHeader = b.tokensConsumedHeader;
    List<LimitSpec> list = new ArrayList<>(2);
    if (ratePeriod != null) {
      list.add(LimitSpec.rate(name + "/rate", ratePerPeriod, ratePeriod));
    }
    if (quotaPeriod != null) {
      list.add(
          LimitSpec.quota(
              name + "/quota/" + quotaPeriod.name().toLowerCase(java.util.Locale.ROOT),
              quota,
              quotaPeriod,
              quotaZone));
    }
    this.specs = List.copyOf(list);
  }

  /** A limit counted per consumer (the gateway's consumer key). Named {@code consumer}. */
  public static Builder perConsumer() {
    return new Builder("consumer", null);
  }

  /**
   * A limit counted per requested model (body model, else Azure deployment). Named {@code model}.
   */
  public static Builder perModel() {
    return new Builder("model", dev.aigateway.api.KeyResolvers.model());
  }

  /** One limit shared by every governed call. Named {@code global}. */
  public static Builder global() {
    return new Builder("global", request -> "*");
  }

  /**
   * A limit counted under any key of the call, for example a tenant header.
   *
   * @param name the limit's name, unique in a gateway; it appears in rejections and events
   */
  public static Builder per(String name, KeyResolver key) {
    return new Builder(requireName(name), Objects.requireNonNull(key, "key"));
  }

  /** The limit's name, unique within a gateway. */
  public String name() {
    return name;
  }

  /** The resolver of the counter key, or null when the limit counts per consumer. */
  public @Nullable KeyResolver counterKey() {
    return key;
  }

  /** Whether this limit applies to calls of the given consumer (see {@link Builder#onlyFor}). */
  public boolean appliesTo(String consumer) {
    return consumers.isEmpty() || consumers.contains(consumer);
  }

  /** Whether the prompt is counted and reserved before the call (with the output allowance). */
  public boolean estimatePromptTokens() {
    return estimatePromptTokens;
  }

  /** The counters this limit keeps per key: a rate, a quota, or both. */
  public List<LimitSpec> specs() {
    return specs;
  }

  /**
   * What a call takes from {@code spec} when it is admitted: its token estimate from a counter of
   * tokens, one request from a counter of requests, one slot from an in-flight limit (whose unit is
   * always requests).
   */
  static long reservedAmount(LimitSpec spec, long estimatedTokens) {
    return spec.unit() == LimitSpec.Unit.REQUESTS ? 1 : estimatedTokens;
  }

  /**
   * Per charge, what a call that has ended used, to settle its reservation with: the call's tokens
   * for a counter of tokens (0 refunds a failed call), one request if a backend answered the call
   * (else 0: refunded), and 0 for an in-flight slot (freed).
   */
  static long[] actualAmounts(List<LimitCharge> charges, long tokens, boolean backendAnswered) {
    long[] actual = new long[charges.size()];
    for (int i = 0; i < actual.length; i++) {
      LimitSpec spec = charges.get(i).limit();
      if (spec.kind() != LimitSpec.Kind.IN_FLIGHT) {
        actual[i] = spec.unit() == LimitSpec.Unit.TOKENS ? tokens : backendAnswered ? 1 : 0;
      }
    }
    return actual;
  }

  @Nullable String remainingTokensHeader() {
    return remainingTokensHeader;
  }

  @Nullable String remainingQuotaHeader() {
    return remainingQuotaHeader;
  }

  @Nullable String tokensConsumedHeader() {
    return tokensConsumedHeader;
  }

  @Override
  public String toString() {
    return "TokenLimit{"
        + name
        + (ratePeriod == null ? "" : ", " + ratePerPeriod + " tokens per " + ratePeriod)
        + (quotaPeriod == null ? "" : ", quota " + quota + " " + quotaPeriod + " in " + quotaZone)
        + (consumers.isEmpty() ? "" : ", only for " + consumers)
        + ", estimatePromptTokens="
        + estimatePromptTokens
        + "}";
  }

  private static String requireName(String name) {
    return requireText(name, "limit name");
  }

  private static String requireText(@Nullable String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must be non-blank but was '" + value + "'");
    }
    return value;
  }

  /** Builds a {@link TokenLimit}; fails fast on bad or repeated settings. */
  public static final class Builder {
    private String name;
    private final @Nullable KeyResolver key;
    private long ratePerPeriod;
    private @Nullable Duration ratePeriod;
    private long quota;
    private @Nullable QuotaPeriod quotaPeriod;
    private ZoneId quotaZone = ZoneOffset.UTC;
    private boolean estimatePromptTokens = true;
    private @Nullable String remainingTokensHeader;
    private @Nullable String remainingQuotaHeader;
    private @Nullable String tokensConsumedHeader;
    private final Set<String> consumers = new LinkedHashSet<>();

    private Builder(String name, @Nullable KeyResolver key) {
      this.name = name;
      this.key = key;
    }

    /** Renames the limit (names must be unique within one gateway). */
    public Builder name(String name) {
      this.name = requireName(name);
      return this;
    }

    /** At most {@code tokens} per minute, refilling continuously. */
    public Builder tokensPerMinute(long tokens) {
      return tokensPer(tokens, Duration.ofMinutes(1));
    }

    /**
     * At most {@code tokens} per {@code period}, refilling continuously. The period is at most
     * {@link #MAX_RATE_PERIOD}, and the rate at most one token per nanosecond (refills are measured
     * in nanoseconds: 60,000,000,000 tokens per minute). A later call replaces the rate.
     *
     * @throws IllegalArgumentException when a bound is broken; the message prints the value and the
     *     bound
     */
    public Builder tokensPer(long tokens, Duration period) {
      if (tokens <= 0) {
        throw new IllegalArgumentException("tokens per period must be > 0 but was " + tokens);
      }
      Objects.requireNonNull(period, "period");
      if (period.isNegative() || period.isZero()) {
        throw new IllegalArgumentException("rate period must be positive but was " + period);
      }
      if (period.compareTo(MAX_RATE_PERIOD) > 0) {
        throw new IllegalArgumentException(
            "rate period must be at most "
                + MAX_RATE_PERIOD
                + " (Long.MAX_VALUE nanoseconds) but was "
                + period);
      }
      if (tokens > period.toNanos()) {
        throw new IllegalArgumentException(
            "tokens per period must be at most "
                + period.toNanos()
                + " for a period of "
                + period
                + " (one token per nanosecond: refills are measured in nanoseconds) but was "
                + tokens);
      }
      this.ratePerPeriod = tokens;
      this.ratePeriod = period;
      return this;
    }

    /** At most {@code tokens} per calendar {@code period}, in UTC unless {@link #quotaZone}. */
    public Builder quota(long tokens, QuotaPeriod period) {
      if (tokens <= 0) {
        throw new IllegalArgumentException("quota tokens must be > 0 but was " + tokens);
      }
      this.quota = tokens;
      this.quotaPeriod = Objects.requireNonNull(period, "period");
      return this;
    }

    /** The zone quota windows align in (default UTC). */
    public Builder quotaZone(ZoneId zone) {
      this.quotaZone = Objects.requireNonNull(zone, "zone");
      return this;
    }

    /**
     * True (default): count the prompt before the call and reserve it plus the output allowance, so
     * a call that would overrun is rejected up front. False: admit while the counter is not spent,
     * and charge the reported usage afterwards.
     */
    public Builder estimatePromptTokens(boolean estimate) {
      this.estimatePromptTokens = estimate;
      return this;
    }

    /**
     * Applies the limit only to calls of these consumers (default: every call), so consumers can
     * have different limits:
     *
     * <pre>{@code
     * .tokenLimit(TokenLimit.perConsumer().name("gold").tokensPerMinute(50_000).onlyFor("team-a"))
     * .tokenLimit(TokenLimit.perConsumer().name("bronze").tokensPerMinute(2_000)
     *     .onlyFor("team-b", "team-c"))
     * }</pre>
     */
    public Builder onlyFor(String... consumerIds) {
      for (String id : consumerIds) {
        consumers.add(requireText(id, "consumer id"));
      }
      return this;
    }

    /** Adds a response header with the rate's remaining tokens (off unless named). */
    public Builder remainingTokensHeader(String header) {
      this.remainingTokensHeader = requireText(header, "header name");
      return this;
    }

    /** Adds a response header with the quota's remaining tokens (off unless named). */
    public Builder remainingQuotaHeader(String header) {
      this.remainingQuotaHeader = requireText(header, "header name");
      return this;
    }

    /** Adds a response header with the tokens reserved for the call (off unless named). */
    public Builder tokensConsumedHeader(String header) {
      this.tokensConsumedHeader = requireText(header, "header name");
      return this;
    }

    /** Builds the limit; it must have a rate, a quota, or both. */
    public TokenLimit build() {
      if (ratePeriod == null && quotaPeriod == null) {
        throw new IllegalStateException(
            "token limit '" + name + "' needs tokensPerMinute(..), tokensPer(..) or quota(..)");
      }
      return new TokenLimit(this);
    }
  }
}
