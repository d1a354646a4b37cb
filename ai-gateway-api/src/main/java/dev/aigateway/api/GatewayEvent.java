package dev.aigateway.api;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the gateway knows about one governed call once it has ended. Immutable. It never holds
 * credentials or message contents.
 */
public final class GatewayEvent {

  private final long callId;
  private final Instant startedAt;
  private final Operation operation;
  private final String consumer;
  private final Map<String, String> counterKeys;
  private final String requestedModel;
  private final String responseModel;
  private final boolean stream;
  private final Usage usage;
  private final UsageSource inputSource;
  private final UsageSource outputSource;
  private final boolean usageCapped;
  private final long reservedTokens;
  private final long settledTokens;
  private final LimitOutcome limitOutcome;
  private final int status;
  private final CallOutcome outcome;
  private final RejectionReason rejection;
  private final String errorType;
  private final Duration latency;
  private final Duration timeToFirstChunk;
  private final String backendId;
  private final List<Attempt> attempts;
  private final String failoverReason;
  private final String variant;
  private final String provider;
  private final String serverAddress;
  private final int serverPort;
  private final String rejectedLimit;
  private final Duration gatewayTime;
  private final BigDecimal cost;
  private final CacheOutcome cacheOutcome;
  private final double cacheScore;
  private final String cacheGuard;
  private final long tokensSaved;

  private GatewayEvent(Builder b) {
    this.callId = b.callId;
    this.startedAt = Objects.requireNonNull(b.startedAt, "startedAt");
    this.operation = Objects.requireNonNull(b.operation, "operation");
    this.consumer = Objects.requireNonNull(b.consumer, "consumer");
    this.counterKeys = Collections.unmodifiableMap(new LinkedHashMap<>(b.counterKeys));
    this.requestedModel = b.requestedModel;
    this.responseModel = b.responseModel;
    this.stream = b.stream;
    this.usage = Objects.requireNonNull(b.usage, "usage");
    this.inputSource = Objects.requireNonNull(b.inputSource, "inputSource");
    this.outputSource = Objects.requireNonNull(b.outputSource, "outputSource");
    this.usageCapped = b.usageCapped;
    this.reservedTokens = b.reservedTokens;
    this.settledTokens = b.settledTokens;
    this.limitOutcome = Objects.requireNonNull(b.limitOutcome, "limitOutcome");
    this.status = b.status;
    this.outcome = Objects.requireNonNull(b.outcome, "outcome");
    this.rejection = b.rejection;
    this.errorType = b.errorType;
    this.latency = Objects.requireNonNull(b.latency, "latency");
    this.timeToFirstChunk = b.timeToFirstChunk;
    this.backendId = b.backendId;
    this.attempts = List.copyOf(b.attempts);
    this.failoverReason = b.failoverReason;
    this.variant = b.variant;
    this.provider = b.provider;
    this.serverAddress = b.serverAddress;
    this.serverPort = b.serverPort;
    this.rejectedLimit = b.rejectedLimit;
    this.gatewayTime = b.gatewayTime;
    this.cost = b.cost;
    this.cacheOutcome = Objects.requireNonNull(b.cacheOutcome, "cacheOutcome");
    this.cacheScore = b.cacheScore;
    this.cacheGuard = b.cacheGuard;
    this.tokensSaved = b.tokensSaved;
  }

  /** A builder; used by the gateway (and by tests of listeners). */
  public static Builder builder() {
    return new Builder();
  }

  /** A process-unique, increasing id of the call. */
  public long callId() {
    return callId;
  }

  /** When the gateway started handling the call. */
  public Instant startedAt() {
    return startedAt;
  }

  /** The operation the call matched. */
  public Operation operation() {
    return operation;
  }

  /** The consumer the call was charged to ({@code anonymous} when none was resolved). */
  public String consumer() {
    return consumer;
  }

  /** Each applied limit's name and the counter key it counted under, in configuration order. */
  public Map<String, String> counterKeys() {
    return counterKeys;
  }

  /** The model the application asked for, or null when the request named none. */
  public String requestedModel() {
    return requestedModel;
  }

  /** The model the backend said answered, or null when unknown. */
  public String responseModel() {
    return responseModel;
  }

  /** Whether the call was a server-sent-events stream. */
  public boolean stream() {
    return stream;
  }

  /** The call's token usage; {@link Usage#ZERO} when nothing was used. */
  public Usage usage() {
    return usage;
  }

  /** Where {@link Usage#inputTokens()} came from. */
  public UsageSource inputSource() {
    return inputSource;
  }

  /** Where {@link Usage#outputTokens()} came from. */
  public UsageSource outputSource() {
    return outputSource;
  }

  /** True when any part of the usage was estimated locally rather than reported. */
  public boolean usageEstimated() {
    return inputSource == UsageSource.ESTIMATED || outputSource == UsageSource.ESTIMATED;
  }

  /**
   * True when a count of the call's usage was above {@link Usage#MAX_TOKENS}: reported so by the
   * backend, or estimated so (a JSON answer not read to its end is settled on its output allowance,
   * which may approach the bound). {@link #usage()} holds each such count lowered to the bound, and
   * the call was settled on the capped total, so the event and the token counters agree. A count
   * that large is not a real one; the flag tells a listener it was not taken as it came.
   */
  public boolean usageCapped() {
    return usageCapped;
  }

  /** Tokens reserved before the call (the estimate, per limit the largest reservation). */
  public long reservedTokens() {
    return reservedTokens;
  }

  /**
   * Tokens finally charged after the call (0 for refunded calls, and for calls the store failed to
   * reserve for: see {@link #limitOutcome()}).
   */
  public long settledTokens() {
    return settledTokens;
  }

  /**
   * What the token limits and their store did for the call: charged it, rejected it, or failed
   * ({@link LimitOutcome#STORE_FAILED}: admitted without limits, nothing charged).
   */
  public LimitOutcome limitOutcome() {
    return limitOutcome;
  }

  /** The HTTP status the application received (synthetic for rejections), 0 when none. */
  public int status() {
    return status;
  }

  /** How the call ended. */
  public CallOutcome outcome() {
    return outcome;
  }

  /** Why the gateway rejected the call, or null when it did not. */
  public RejectionReason rejection() {
    return rejection;
  }

  /**
   * A low-cardinality error type: the exception class name for failures, the status code for
   * backend errors, the reason's header value for rejections; null on success.
   */
  public String errorType() {
    return errorType;
  }

  /** From the start of handling to the end of the body (or the failure). */
  public Duration latency() {
    return latency;
  }

  /** For streams, from the start of handling to the first body bytes; otherwise null. */
  public Duration timeToFirstChunk() {
    return timeToFirstChunk;
  }

  /** The backend that answered (the last one tried), or null when the call was not routed. */
  public String backendId() {
    return backendId;
  }

  /** Every try against a backend, in order; empty when the call was not routed. */
  public List<Attempt> attempts() {
    return attempts;
  }

  /**
   * Why the call moved away from its first backend (for example {@code "429 from ptu-east"}), or
   * null when it did not.
   */
  public String failoverReason() {
    return failoverReason;
  }

  /**
   * The traffic-split variant the call was sent to (the model it was routed as), or null when no
   * split applied.
   */
  public String variant() {
    return variant;
  }

  /**
   * The provider, as the OpenTelemetry GenAI conventions name it ({@code openai}, {@code
   * azure.ai.openai}), or null when unknown.
   */
  public String provider() {
    return provider;
  }

  /** The host the call was sent to (the backend's, when routed), or null when none was. */
  public String serverAddress() {
    return serverAddress;
  }

  /** The port the call was sent to, or 0 when none was. */
  public int serverPort() {
    return serverPort;
  }

  /** The name of the token limit that rejected the call, or null. */
  public String rejectedLimit() {
    return rejectedLimit;
  }

  /**
   * The time the gateway itself spent on the call (admission, routing, settlement), not counting
   * the backend or the application; reading usage from body bytes as they pass is not included.
   */
  public Duration gatewayTime() {
    return gatewayTime;
  }

  /**
   * What the call's usage cost per the gateway's price table (exact, in the table's currency), or
   * null when no price applies or nothing was used.
   */
  public BigDecimal cost() {
    return cost;
  }

  /** What the response cache did for the call ({@link CacheOutcome#NONE} without a cache). */
  public CacheOutcome cacheOutcome() {
    return cacheOutcome;
  }

  /**
   * The cosine similarity of the nearest cached prompt for a semantic hit or guarded miss (the one
   * served, or the best one the guard refused), or {@code NaN} when the semantic cache compared
   * nothing.
   */
  public double cacheScore() {
    return cacheScore;
  }

  /**
   * The false-hit guard's objection for a {@link CacheOutcome#GUARDED_MISS} (a category such as
   * {@code negation}, {@code number}, {@code entity}), else null. Never contains prompt text.
   */
  public String cacheGuard() {
    return cacheGuard;
  }

  /**
   * The tokens a cache hit saved: the total tokens the cached answer cost when it was first
   * produced; 0 for anything but a hit.
   */
  public long tokensSaved() {
    return tokensSaved;
  }

  @Override
  public String toString() {
    return "GatewayEvent{call="
        + callId
        + ", op="
        + operation.conventionName()
        + ", consumer="
        + consumer
        + ", model="
        + requestedModel
        + "->"
        + responseModel
        + ", stream="
        + stream
        + ", outcome="
        + outcome
        + ", status="
        + status
        + ", usage="
        + usage
        + " ("
        + inputSource
        + "/"
        + outputSource
        + (usageCapped ? ", capped" : "")
        + "), reserved="
        + reservedTokens
        + ", settled="
        + settledTokens
        + (limitOutcome == LimitOutcome.STORE_FAILED || limitOutcome == LimitOutcome.SETTLE_FAILED
            ? ", limit=" + limitOutcome
            : "")
        + (rejection == null ? "" : ", rejection=" + rejection)
        + (errorType == null ? "" : ", error=" + errorType)
        + (backendId == null ? "" : ", backend=" + backendId + ", attempts=" + attempts.size())
        + (failoverReason == null ? "" : ", failover=" + failoverReason)
        + (variant == null ? "" : ", variant=" + variant)
        + ", latency="
        + latency.toMillis()
        + "ms"
        + (timeToFirstChunk == null ? "" : ", ttfc=" + timeToFirstChunk.toMillis() + "ms")
        + (cacheOutcome == CacheOutcome.NONE
            ? ""
            : ", cache="
                + cacheOutcome.label()
                + (Double.isNaN(cacheScore)
                    ? ""
                    : String.format(java.util.Locale.ROOT, "@%.3f", cacheScore))
                + (cacheGuard == null ? "" : "(" + cacheGuard + ")")
                + (tokensSaved == 0 ? "" : ", saved=" + tokensSaved))
        + "}";
  }

  /** Builds a {@link GatewayEvent}. Not thread-safe. */
  public static final class Builder {
    private long callId;
    private Instant startedAt;
    private Operation operation;
    private String consumer;
    private Map<String, String> counterKeys = Map.of();
    private String requestedModel;
    private String responseModel;
    private boolean stream;
    private Usage usage = Usage.ZERO;
    private UsageSource inputSource = UsageSource.NONE;
    private UsageSource outputSource = UsageSource.NONE;
    private boolean usageCapped;
    private long reservedTokens;
    private long settledTokens;
    private LimitOutcome limitOutcome = LimitOutcome.NONE;
    private int status;
    private CallOutcome outcome;
    private RejectionReason rejection;
    private String errorType;
    private Duration latency = Duration.ZERO;
    private Duration timeToFirstChunk;
    private String backendId;
    private List<Attempt> attempts = List.of();
    private String failoverReason;
    private String variant;
    private String provider;
    private String serverAddress;
    private int serverPort;
    private String rejectedLimit;
    private Duration gatewayTime = Duration.ZERO;
    private BigDecimal cost;
    private CacheOutcome cacheOutcome = CacheOutcome.NONE;
    private double cacheScore = Double.NaN;
    private String cacheGuard;
    private long tokensSaved;

    private Builder() {}

    /**
     * The cache's part of the event.
     *
     * @param outcome what the cache did
     * @param score the semantic similarity, or {@code NaN}
     * @param guard the guard's objection category, or null
     * @param tokensSaved the tokens a hit saved, else 0
     */
    public Builder cache(CacheOutcome outcome, double score, String guard, long tokensSaved) {
      this.cacheOutcome = Objects.requireNonNull(outcome, "outcome");
      this.cacheScore = score;
      this.cacheGuard = guard;
      this.tokensSaved = tokensSaved;
      return this;
    }

    public Builder cost(BigDecimal cost) {
      this.cost = cost;
      return this;
    }

    public Builder provider(String provider) {
      this.provider = provider;
      return this;
    }

    public Builder server(String address, int port) {
      this.serverAddress = address;
      this.serverPort = port;
      return this;
    }

    public Builder rejectedLimit(String rejectedLimit) {
      this.rejectedLimit = rejectedLimit;
      return this;
    }

    public Builder gatewayTime(Duration gatewayTime) {
      this.gatewayTime = Objects.requireNonNull(gatewayTime, "gatewayTime");
      return this;
    }

    public Builder backendId(String backendId) {
      this.backendId = backendId;
      return this;
    }

    public Builder attempts(List<Attempt> attempts) {
      this.attempts = Objects.requireNonNull(attempts, "attempts");
      return this;
    }

    public Builder failoverReason(String failoverReason) {
      this.failoverReason = failoverReason;
      return this;
    }

    public Builder variant(String variant) {
      this.variant = variant;
      return this;
    }

    public Builder callId(long callId) {
      this.callId = callId;
      return this;
    }

    public Builder startedAt(Instant startedAt) {
      this.startedAt = startedAt;
      return this;
    }

    public Builder operation(Operation operation) {
      this.operation = operation;
      return this;
    }

    public Builder consumer(String consumer) {
      this.consumer = consumer;
      return this;
    }

    public Builder counterKeys(Map<String, String> counterKeys) {
      this.counterKeys = Objects.requireNonNull(counterKeys, "counterKeys");
      return this;
    }

    public Builder requestedModel(String requestedModel) {
      this.requestedModel = requestedModel;
      return this;
    }

    public Builder responseModel(String responseModel) {
      this.responseModel = responseModel;
      return this;
    }

    public Builder stream(boolean stream) {
      this.stream = stream;
      return this;
    }

    public Builder usage(Usage usage, UsageSource inputSource, UsageSource outputSource) {
      this.usage = usage;
      this.inputSource = inputSource;
      this.outputSource = outputSource;
      return this;
    }

    /** Whether reported usage was capped at {@link Usage#MAX_TOKENS} (see the event's getter). */
    public Builder usageCapped(boolean usageCapped) {
      this.usageCapped = usageCapped;
      return this;
    }

    public Builder reservedTokens(long reservedTokens) {
      this.reservedTokens = reservedTokens;
      return this;
    }

    public Builder settledTokens(long settledTokens) {
      this.settledTokens = settledTokens;
      return this;
    }

    /** What the limits and their store did (default {@link LimitOutcome#NONE}). */
    public Builder limitOutcome(LimitOutcome limitOutcome) {
      this.limitOutcome = limitOutcome;
      return this;
    }

    public Builder status(int status) {
      this.status = status;
      return this;
    }

    public Builder outcome(CallOutcome outcome) {
      this.outcome = outcome;
      return this;
    }

    public Builder rejection(RejectionReason rejection) {
      this.rejection = rejection;
      return this;
    }

    public Builder errorType(String errorType) {
      this.errorType = errorType;
      return this;
    }

    public Builder latency(Duration latency) {
      this.latency = latency;
      return this;
    }

    public Builder timeToFirstChunk(Duration timeToFirstChunk) {
      this.timeToFirstChunk = timeToFirstChunk;
      return this;
    }

    public GatewayEvent build() {
      return new GatewayEvent(this);
    }
  }
}
