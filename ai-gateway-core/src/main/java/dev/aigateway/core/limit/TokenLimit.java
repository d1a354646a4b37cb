package dev.aigateway.core.limit;

import dev.aigateway.api.KeyResolver;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.core.pipeline.Exchange;
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
 * A limit on what one counter key may use: tokens (a rate per minute or any period, and/or a
 * calendar quota), requests (a rate per second, minute or any period, and/or a calendar quota), and
 * calls in flight at once. Counted per counter key (consumer, model, global, or any {@link
 * KeyResolver}). Immutable once built.
 *
 * <pre>{@code
 * TokenLimit perTeam = TokenLimit.perConsumer()
 *     .tokensPerMinute(20_000)                      // 429 + Retry-After when exceeded
 *     .quota(2_000_000, QuotaPeriod.MONTHLY)        // 403 until the 1st of next month (UTC)
 *     .requestsPerSecond(10)                        // 429 request-rate-limit + Retry-After
 *     .maxInFlight(4)                               // 429 in-flight-limit, Retry-After: 1
 *     .estimatePromptTokens(true)                   // reserve prompt + output allowance up front
 *     .remainingTokensHeader("x-ratelimit-remaining-tokens")
 *     .remainingRequestsHeader("x-ratelimit-remaining-requests")
 *     .build();
 * TokenLimit perModel = TokenLimit.perModel().tokensPerMinute(100_000).build();
 * TokenLimit everyone = TokenLimit.global().quota(50_000_000, QuotaPeriod.DAILY).build();
 * }</pre>
 *
 * <p>Before a call, every counter of every applicable limit must admit it, and then each takes its
 * share atomically (one atomic reservation in the {@link dev.aigateway.api.spi.TokenLimitStore}): a
 * call that any counter rejects takes nothing anywhere. A token counter takes the estimate (prompt
 * tokens plus the output allowance) and is settled to the tokens the backend reported (or, when it
 * reported none, to a local count); a request counter takes one request and keeps it if a backend
 * answered the call (any status), else refunds it; an in-flight counter takes one slot, freed when
 * the call ends however it ends (its body read or closed, a failure, a rejection after this stage,
 * a cancellation).
 *
 * <p>Each kind is one value per limit: a later setter replaces an earlier one of the same kind
 * ({@code requestsPerSecond(10).requestsPerMinute(300)} keeps 300 per minute). Two windows of the
 * same kind (10 per second and 300 per minute) are two limits with different {@linkplain
 * Builder#name names}.
 *
 * <p>The name {@code TokenLimit} predates request counting; it is kept because the store SPI
 * ({@code TokenLimitStore}), the exception ({@code TokenLimitExceededException}) and the gateway's
 * builder ({@code tokenLimit(..)}) share it.
 */
public final class TokenLimit {

  /** Counter key used when a limit's key resolves to nothing. */
  public static final String UNKNOWN_KEY = "unknown";

  /** The longest rate period: as many nanoseconds as a long holds (about 292 years). */
  public static final Duration MAX_RATE_PERIOD = Duration.ofNanos(Long.MAX_VALUE);

  /**
   * The {@code Retry-After} of a call refused by {@link Builder#maxInFlight}: one second, the
   * shortest the header can say. A slot frees whenever one of the key's calls ends, which no clock
   * can predict; a client that backs off longer is welcome to.
   */
  public static final Duration IN_FLIGHT_RETRY_AFTER =
      dev.aigateway.core.pipeline.Rejections.IN_FLIGHT_RETRY_AFTER;

  private final String name;
  private final @Nullable KeyResolver key;
  private final long ratePerPeriod;
  private final @Nullable Duration ratePeriod;
  private final long quota;
  private final @Nullable QuotaPeriod quotaPeriod;
  private final ZoneId quotaZone;
  private final long requestsPerPeriod;
  private final @Nullable Duration requestPeriod;
  private final long requestQuota;
  private final @Nullable QuotaPeriod requestQuotaPeriod;
  private final int maxInFlight;
  private final boolean estimatePromptTokens;
  private final @Nullable String remainingTokensHeader;
  private final @Nullable String remainingQuotaHeader;
  private final @Nullable String remainingRequestsHeader;
  private final @Nullable String tokensConsumedHeader;
  private final Set<String> consumers;
  private final List<LimitSpec> specs;
  private final boolean countsTokens;

  private TokenLimit(Builder b) {
    this.consumers = Set.copyOf(b.consumers);
    this.name = b.name;
    this.key = b.key;
    this.ratePerPeriod = b.ratePerPeriod;
    this.ratePeriod = b.ratePeriod;
    this.quota = b.quota;
    this.quotaPeriod = b.quotaPeriod;
    this.quotaZone = b.quotaZone;
    this.requestsPerPeriod = b.requestsPerPeriod;
    this.requestPeriod = b.requestPeriod;
    this.requestQuota = b.requestQuota;
    this.requestQuotaPeriod = b.requestQuotaPeriod;
    this.maxInFlight = b.maxInFlight;
    this.estimatePromptTokens = b.estimatePromptTokens;
    this.remainingTokensHeader = b.remainingTokensHeader;
    this.remainingQuotaHeader = b.remainingQuotaHeader;
    this.remainingRequestsHeader = b.remainingRequestsHeader;
    this.tokensConsumedHeader = b.tokensConsumedHeader;
    this.countsTokens = ratePeriod != null || quotaPeriod != null;
    // Token counters keep the ids they always had, so counters kept in a shared store survive.
    List<LimitSpec> list = new ArrayList<>(5);
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
    if (requestPeriod != null) {
      list.add(
          LimitSpec.rate(
              name + "/request-rate", LimitSpec.Unit.REQUESTS, requestsPerPeriod, requestPeriod));
    }
    if (requestQuotaPeriod != null) {
      list.add(
          LimitSpec.quota(
              name
                  + "/request-quota/"
                  + requestQuotaPeriod.name().toLowerCase(java.util.Locale.ROOT),
              LimitSpec.Unit.REQUESTS,
              requestQuota,
              requestQuotaPeriod,
              quotaZone));
    }
    if (maxInFlight > 0) {
      list.add(LimitSpec.inFlight(name + "/in-flight", maxInFlight));
    }
    this.specs = List.copyOf(list);
  }

  /** A limit counted per consumer (the gateway's consumer key). Named {@code consumer}. */
  public static Builder perConsumer() {
    return new Builder("consumer", null);
  }

  /**
   * A limit counted per model the call is served by. Named {@code model}. The key is the model the
   * call asks for (the body's {@code model}, which a backend pool routes by), except for an Azure
   * OpenAI deployment call sent where the application sent it (no backend pool): Azure serves the
   * path's deployment ({@code /openai/deployments/{deployment}/...}) whatever model the body names,
   * so such a call is counted under its deployment, and naming another model in the body does not
   * reach a fresh counter.
   */
  public static Builder perModel() {
    return new Builder("model", SERVED_MODEL);
  }

  /**
   * The key of {@link #perModel()} on its own: the Azure deployment the path names, else the model
   * the call asks for. A pooled call is keyed on the model asked for instead ({@link
   * #counterKey(boolean)}).
   */
  private static final KeyResolver SERVED_MODEL =
      new KeyResolver() {
        @Override
        public @Nullable String resolve(dev.aigateway.api.LlmRequest request) {
          return Exchange.requestedModel(request, false);
        }

        @Override
        public String toString() {
          return "served model";
        }
      };

  /** The model the call asks for: what a backend pool routes a call by, and so serves it with. */
  private static final KeyResolver ASKED_MODEL = request -> Exchange.requestedModel(request, true);

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

  /**
   * The resolver of the counter key, or null when the limit counts per consumer. For {@link
   * #perModel()}, the key of a call sent where the application sent it (no backend pool): the Azure
   * deployment the path names, else the model asked for.
   */
  public @Nullable KeyResolver counterKey() {
    return key;
  }

  /**
   * The resolver of a call's counter key, or null when the limit counts per consumer: {@link
   * #counterKey()}, except that a {@link #perModel()} limit keys a call a backend pool routes
   * ({@code pooled}) on the model asked for, which the pool routes by and serves, whatever
   * deployment the application's path names.
   */
  @Nullable KeyResolver counterKey(boolean pooled) {
    return pooled && key == SERVED_MODEL ? ASKED_MODEL : key;
  }

  /** Whether this limit applies to calls of the given consumer (see {@link Builder#onlyFor}). */
  public boolean appliesTo(String consumer) {
    return consumers.isEmpty() || consumers.contains(consumer);
  }

  /** The consumers the limit is restricted to ({@link Builder#onlyFor}); empty: every consumer. */
  public Set<String> onlyFor() {
    return consumers;
  }

  /** Whether the prompt is counted and reserved before the call (with the output allowance). */
  public boolean estimatePromptTokens() {
    return estimatePromptTokens;
  }

  /**
   * The counters this limit keeps per key, in this order: the token rate, the token quota, the
   * request rate, the request quota, the in-flight cap (each only when set). Their ids are the
   * limit's name followed by {@code /rate}, {@code /quota/<period>}, {@code /request-rate}, {@code
   * /request-quota/<period>} and {@code /in-flight}.
   */
  public List<LimitSpec> specs() {
    return specs;
  }

  /** Whether the limit counts tokens (a token rate or quota), so a call needs a token estimate. */
  boolean countsTokens() {
    return countsTokens;
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

  @Nullable String remainingRequestsHeader() {
    return remainingRequestsHeader;
  }

  @Override
  public String toString() {
    return "TokenLimit{"
        + name
        + (ratePeriod == null ? "" : ", " + ratePerPeriod + " tokens per " + ratePeriod)
        + (quotaPeriod == null ? "" : ", quota " + quota + " " + quotaPeriod + " in " + quotaZone)
        + (requestPeriod == null ? "" : ", " + requestsPerPeriod + " requests per " + requestPeriod)
        + (requestQuotaPeriod == null
            ? ""
            : ", request quota " + requestQuota + " " + requestQuotaPeriod + " in " + quotaZone)
        + (maxInFlight == 0 ? "" : ", at most " + maxInFlight + " in flight")
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

  /**
   * A response header name as HTTP allows it: visible ASCII without a colon. Checked when the limit
   * is built: OkHttp refuses any other name when the gateway adds the header to a response, which
   * would fail every admitted call with an {@link IllegalArgumentException} after its backend call.
   */
  private static String requireHeaderName(@Nullable String name, String what) {
    if (name == null
        || name.isEmpty()
        || !name.chars().allMatch(c -> c > ' ' && c < 0x7f && c != ':')) {
      throw new IllegalArgumentException(
          what
              + " must be a header name (visible ASCII characters, no blank or colon) but was '"
              + name
              + "'");
    }
    return name;
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
    private boolean quotaZoneSet;
    private long requestsPerPeriod;
    private @Nullable Duration requestPeriod;
    private long requestQuota;
    private @Nullable QuotaPeriod requestQuotaPeriod;
    private int maxInFlight;
    private boolean estimatePromptTokens = true;
    private @Nullable String remainingTokensHeader;
    private @Nullable String remainingQuotaHeader;
    private @Nullable String remainingRequestsHeader;
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
      checkRate(tokens, period, "tokens", "token");
      this.ratePerPeriod = tokens;
      this.ratePeriod = period;
      return this;
    }

    /** At most {@code requests} per second, refilling continuously; see {@link #requestsPer}. */
    public Builder requestsPerSecond(long requests) {
      return requestsPer(requests, Duration.ofSeconds(1));
    }

    /** At most {@code requests} per minute, refilling continuously; see {@link #requestsPer}. */
    public Builder requestsPerMinute(long requests) {
      return requestsPer(requests, Duration.ofMinutes(1));
    }

    /**
     * At most {@code requests} calls per {@code period} per counter key, refilling continuously (a
     * bucket of {@code requests} that refills one request every {@code period / requests}); a call
     * past it is answered 429 with reason {@link
     * dev.aigateway.api.RejectionReason#REQUEST_RATE_LIMIT REQUEST_RATE_LIMIT} and a {@code
     * Retry-After} of the time until one request fits. A call is counted when it is admitted and
     * refunded if no backend answered it (a cache hit, a failure to connect, a rejection later in
     * the pipeline). The bounds are those of {@link #tokensPer}. A later call (also of {@link
     * #requestsPerSecond} or {@link #requestsPerMinute}) replaces the rate.
     *
     * @throws IllegalArgumentException when a bound is broken; the message prints the value and the
     *     bound
     */
    public Builder requestsPer(long requests, Duration period) {
      checkRate(requests, period, "requests", "request");
      this.requestsPerPeriod = requests;
      this.requestPeriod = period;
      return this;
    }

    /**
     * At most {@code requests} calls per calendar {@code period} per counter key, in UTC unless
     * {@link #quotaZone} (one zone for both quotas); once spent, calls are answered with the
     * gateway's quota status (403 unless set to 429) and reason {@link
     * dev.aigateway.api.RejectionReason#REQUEST_QUOTA REQUEST_QUOTA} until the window ends. Counted
     * and refunded as {@link #requestsPer}. A later call replaces the request quota.
     */
    public Builder requestQuota(long requests, QuotaPeriod period) {
      if (requests <= 0) {
        throw new IllegalArgumentException("request quota must be > 0 but was " + requests);
      }
      this.requestQuota = requests;
      this.requestQuotaPeriod = Objects.requireNonNull(period, "period");
      return this;
    }

    /**
     * At most {@code calls} calls of one counter key in flight at once: from admission until the
     * call has ended (its body read to the end or closed, a failure, a cancellation, or a rejection
     * later in the pipeline). A call past it is answered 429 with reason {@link
     * dev.aigateway.api.RejectionReason#IN_FLIGHT_LIMIT IN_FLIGHT_LIMIT} and {@code Retry-After: 1}
     * ({@link #IN_FLIGHT_RETRY_AFTER}). Slots are never freed by time, only when calls end. A later
     * call replaces the cap.
     *
     * @throws IllegalArgumentException when {@code calls} is not positive
     */
    public Builder maxInFlight(int calls) {
      if (calls <= 0) {
        throw new IllegalArgumentException("max in-flight calls must be > 0 but was " + calls);
      }
      this.maxInFlight = calls;
      return this;
    }

    /**
     * At most {@code tokens} per calendar {@code period}, in UTC unless {@link #quotaZone}. A later
     * call replaces the quota.
     */
    public Builder quota(long tokens, QuotaPeriod period) {
      if (tokens <= 0) {
        throw new IllegalArgumentException("quota tokens must be > 0 but was " + tokens);
      }
      this.quota = tokens;
      this.quotaPeriod = Objects.requireNonNull(period, "period");
      return this;
    }

    /**
     * The zone the windows of the token and request quotas align in (default UTC). Gateways that
     * share a token limit store count a quota together only when they give it the same zone (zones
     * with one set of rules, such as {@code UTC} and {@link ZoneOffset#UTC}, are one): a gateway
     * with another zone counts its own windows on a counter of its own, so changing the zone starts
     * the quota afresh.
     */
    public Builder quotaZone(ZoneId zone) {
      this.quotaZone = Objects.requireNonNull(zone, "zone");
      this.quotaZoneSet = true;
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
     *
     * <p>Ids are read trimmed, as the gateway reads a call's consumer from any resolver (and as an
     * access rule reads its consumer). A consumer is only resolved with a consumer key or a caller
     * resolver that proves one: without either, the gateway refuses to be built with a limit only
     * for consumers other than {@code anonymous}.
     */
    public Builder onlyFor(String... consumerIds) {
      for (String id : consumerIds) {
        consumers.add(requireText(id, "consumer id").strip());
      }
      return this;
    }

    /**
     * Adds a response header with the rate's remaining tokens (off unless named). When several
     * counters of a call name one header, it carries the least any of them has left.
     *
     * @throws IllegalArgumentException for a name HTTP does not allow (a blank, a colon, a
     *     character outside visible ASCII)
     */
    public Builder remainingTokensHeader(String header) {
      this.remainingTokensHeader = requireHeaderName(header, "remainingTokensHeader");
      return this;
    }

    /**
     * Adds a response header with the quota's remaining tokens (off unless named). When several
     * counters of a call name one header, it carries the least any of them has left.
     *
     * @throws IllegalArgumentException for a name HTTP does not allow
     */
    public Builder remainingQuotaHeader(String header) {
      this.remainingQuotaHeader = requireHeaderName(header, "remainingQuotaHeader");
      return this;
    }

    /**
     * Adds a response header with the request rate's remaining requests for the counter key (off
     * unless named), for example {@code x-ratelimit-remaining-requests}.
     *
     * @throws IllegalArgumentException for a name HTTP does not allow
     */
    public Builder remainingRequestsHeader(String header) {
      this.remainingRequestsHeader = requireHeaderName(header, "remainingRequestsHeader");
      return this;
    }

    /**
     * Adds a response header with the tokens reserved for the call (off unless named).
     *
     * @throws IllegalArgumentException for a name HTTP does not allow
     */
    public Builder tokensConsumedHeader(String header) {
      this.tokensConsumedHeader = requireHeaderName(header, "tokensConsumedHeader");
      return this;
    }

    /**
     * Builds the limit; it must count something: a token rate or quota, a request rate or quota, or
     * calls in flight (any mix of them).
     *
     * @throws IllegalStateException when it counts nothing
     * @throws UnusedLimitSettingException when a setting belongs to a counter the limit does not
     *     have, so that it would never be used: {@link #quotaZone} without a quota, {@link
     *     #remainingTokensHeader} without a token rate, {@link #remainingQuotaHeader} without a
     *     token quota, {@link #remainingRequestsHeader} without a request rate, {@link
     *     #tokensConsumedHeader} without a token rate or quota
     */
    public TokenLimit build() {
      if (ratePeriod == null
          && quotaPeriod == null
          && requestPeriod == null
          && requestQuotaPeriod == null
          && maxInFlight == 0) {
        throw new IllegalStateException(
            "limit '"
                + name
                + "' needs tokensPerMinute(..), tokensPer(..), quota(..), requestsPerSecond(..),"
                + " requestsPerMinute(..), requestsPer(..), requestQuota(..) or maxInFlight(..)");
      }
      unusedWithout(
          UnusedLimitSettingException.Setting.QUOTA_ZONE,
          quotaZoneSet ? quotaZone : null,
          quotaPeriod != null || requestQuotaPeriod != null);
      unusedWithout(
          UnusedLimitSettingException.Setting.REMAINING_TOKENS_HEADER,
          remainingTokensHeader,
          ratePeriod != null);
      unusedWithout(
          UnusedLimitSettingException.Setting.REMAINING_QUOTA_HEADER,
          remainingQuotaHeader,
          quotaPeriod != null);
      unusedWithout(
          UnusedLimitSettingException.Setting.REMAINING_REQUESTS_HEADER,
          remainingRequestsHeader,
          requestPeriod != null);
      unusedWithout(
          UnusedLimitSettingException.Setting.TOKENS_CONSUMED_HEADER,
          tokensConsumedHeader,
          ratePeriod != null || quotaPeriod != null);
      return new TokenLimit(this);
    }

    /**
     * Refuses {@code setting}, set to {@code value} (null: not set), on a limit without the counter
     * it belongs to: the gateway would never send that header nor use that zone.
     */
    private void unusedWithout(
        UnusedLimitSettingException.Setting setting, @Nullable Object value, boolean hasCounter) {
      if (value != null && !hasCounter) {
        throw new UnusedLimitSettingException(name, setting, value);
      }
    }

    /**
     * Checks a rate: {@code units} per {@code period}, the period at most {@link #MAX_RATE_PERIOD}
     * and the rate at most one unit per nanosecond (refills are measured in nanoseconds).
     */
    private static void checkRate(long units, Duration period, String plural, String singular) {
      if (units <= 0) {
        throw new IllegalArgumentException(plural + " per period must be > 0 but was " + units);
      }
      Objects.requireNonNull(period, "period");
      if (period.isNegative() || period.isZero()) {
        throw new IllegalArgumentException(
            singular + " rate period must be positive but was " + period);
      }
      if (period.compareTo(MAX_RATE_PERIOD) > 0) {
        throw new IllegalArgumentException(
            singular
                + " rate period must be at most "
                + MAX_RATE_PERIOD
                + " (Long.MAX_VALUE nanoseconds) but was "
                + period);
      }
      if (units > period.toNanos()) {
        throw new IllegalArgumentException(
            plural
                + " per period must be at most "
                + period.toNanos()
                + " for a period of "
                + period
                + " (one "
                + singular
                + " per nanosecond: refills are measured in nanoseconds) but was "
                + units);
      }
    }
  }
}
