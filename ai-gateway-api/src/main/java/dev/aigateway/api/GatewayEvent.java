package dev.aigateway.api;

import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Everything the gateway knows about one governed call once it has ended. Immutable. It never holds
 * credentials or message contents.
 *
 * <p>The call's own facts (who asked for which model, how it ended) are at the top level; each
 * stage of the pipeline reports its part as one group:
 *
 * <ul>
 *   <li>{@link #limits()}: what the token limits reserved, charged or rejected;
 *   <li>{@link #routing()}: the backend, the attempts and where the call was sent;
 *   <li>{@link #cache()}: what the response cache did;
 *   <li>{@link #usage()}: the tokens used, where their counts came from, what they cost;
 *   <li>{@link #timing()}: when the call started and how long its parts took;
 *   <li>{@link #anomaly()}: the consumer's anomaly state, when it was not normal.
 *   <li>{@link #safety()}: what content safety found (check, category) and did.
 * </ul>
 *
 * A stage that did not run for the call leaves its group at its {@code NONE} value.
 *
 * <pre>{@code
 * GatewayListener listener = event -> {
 *   if (event.cache().outcome().hit()) {
 *     saved.add(event.cache().tokensSaved());
 *   }
 *   spent.add(event.usage().tokens().totalTokens());
 * };
 * }</pre>
 */
public final class GatewayEvent {

  private final long callId;
  private final Operation operation;
  private final String consumer;
  private final @Nullable String requestedModel;
  private final @Nullable String responseModel;
  private final boolean stream;
  private final int status;
  private final CallOutcome outcome;
  private final @Nullable RejectionReason rejection;
  private final @Nullable String errorType;
  private final boolean contentFiltered;
  private final LimitsInfo limits;
  private final RoutingInfo routing;
  private final CacheInfo cache;
  private final UsageInfo usage;
  private final TimingInfo timing;
  private final AnomalyInfo anomaly;
  private final SafetyInfo safety;
  private final AccessInfo access;
  private final ToolCallInfo tool;

  private GatewayEvent(Builder b) {
    this.callId = b.callId;
    this.operation = Objects.requireNonNull(b.operation, "operation");
    this.consumer = Objects.requireNonNull(b.consumer, "consumer");
    this.requestedModel = b.requestedModel;
    this.responseModel = b.responseModel;
    this.stream = b.stream;
    this.status = b.status;
    this.outcome = Objects.requireNonNull(b.outcome, "outcome");
    this.rejection = b.rejection;
    this.errorType = b.errorType;
    this.contentFiltered = b.contentFiltered;
    this.limits = b.limits;
    this.routing = b.routing;
    this.cache = b.cache;
    this.usage = b.usage;
    this.timing = Objects.requireNonNull(b.timing, "timing");
    this.anomaly = b.anomaly;
    this.safety = b.safety;
    this.access = b.access;
    this.tool = b.tool;
  }

  /** A builder; used by the gateway (and by tests of listeners). */
  public static Builder builder() {
    return new Builder();
  }

  /** A process-unique, increasing id of the call. */
  public long callId() {
    return callId;
  }

  /** The operation the call matched. */
  public Operation operation() {
    return operation;
  }

  /** The consumer the call was charged to ({@code anonymous} when none was resolved). */
  public String consumer() {
    return consumer;
  }

  /**
   * The model the application asked for, or null when the request named none. A call sent straight
   * to an Azure OpenAI deployment ({@code /openai/deployments/{deployment}/...}, no backend pool)
   * names the path's deployment, which Azure serves whatever {@code model} the body writes (as
   * {@code TokenLimit.perModel()} counts it); a call a backend pool routes names the model its body
   * asks for, which the pool routes by.
   */
  public @Nullable String requestedModel() {
    return requestedModel;
  }

  /** The model the backend (or the cached answer) said answered, or null when unknown. */
  public @Nullable String responseModel() {
    return responseModel;
  }

  /** Whether the call was a server-sent-events stream. */
  public boolean stream() {
    return stream;
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
  public @Nullable RejectionReason rejection() {
    return rejection;
  }

  /**
   * A low-cardinality error type: the exception class name for failures, the status code for
   * backend errors ({@code error-answer} for a 2xx whose body reported an error), the reason's
   * header value for rejections; null on success.
   */
  public @Nullable String errorType() {
    return errorType;
  }

  /**
   * Whether the provider's content filter stopped the call; read on calls in OpenAI's shapes
   * (OpenAI, Azure OpenAI, Azure AI Foundry, OpenAI-compatible servers):
   *
   * <ul>
   *   <li>it cut the answer off: a choice that ended with {@code finish_reason: "content_filter"}
   *       (as Azure OpenAI ends an output its filter stops, in a JSON answer or a stream), or a
   *       Responses API response left incomplete with {@code incomplete_details.reason:
   *       "content_filter"}. Such a call ends {@link CallOutcome#SUCCESS} (a 200 with an answer,
   *       partial or empty), is charged what it used, and is never stored in the response cache;
   *   <li>it refused the prompt: a 400 whose JSON error has {@code code} {@code content_filter} or
   *       an {@code innererror} coded {@code ResponsibleAIPolicyViolation} (as Azure OpenAI and
   *       Azure AI Foundry answer). Such a call ends {@link CallOutcome#BACKEND_ERROR}, error type
   *       {@code 400}, charged nothing.
   * </ul>
   *
   * False for every other call, including an answer or prompt the gateway's own content safety
   * blocked ({@link #safety()}).
   */
  public boolean contentFiltered() {
    return contentFiltered;
  }

  /**
   * What the token limits reserved, charged or rejected; {@link LimitsInfo#NONE} when no limit
   * applied (or the gateway has none, or the call ended before limits were checked).
   */
  public LimitsInfo limits() {
    return limits;
  }

  /**
   * Where the call went: its backend and attempts when routed, else where the application sent it
   * ({@link RoutingInfo#direct}); {@link RoutingInfo#NONE} only when nothing was known.
   */
  public RoutingInfo routing() {
    return routing;
  }

  /**
   * What the response cache did; {@link CacheInfo#NONE} without a cache, for operations it does not
   * serve, and for calls that ended before it was consulted.
   */
  public CacheInfo cache() {
    return cache;
  }

  /** The tokens the call used, their sources and cost; {@link UsageInfo#NONE} when none were. */
  public UsageInfo usage() {
    return usage;
  }

  /** When the call started, how long it took, and how much of that was the gateway's. */
  public TimingInfo timing() {
    return timing;
  }

  /**
   * The consumer's anomaly state when the call was admitted (flagged, throttled, blocked); {@link
   * AnomalyInfo#NONE} for a normal consumer and without anomaly detection.
   */
  public AnomalyInfo anomaly() {
    return anomaly;
  }

  /**
   * What the content safety stage found and did; {@link SafetyInfo#NONE} without content safety and
   * for calls that ended before it ran.
   */
  public SafetyInfo safety() {
    return safety;
  }

  /**
   * What the access rules decided: the rule that allowed or denied the call and, when denied, the
   * check that failed; {@link AccessInfo#NONE} when the gateway has no access policy (or the call
   * ended before it was checked).
   */
  public AccessInfo access() {
    return access;
  }

  /**
   * The MCP tool call or A2A agent call this event reports ({@link Operation#EXECUTE_TOOL}, {@link
   * Operation#INVOKE_AGENT}); {@link ToolCallInfo#NONE} for an LLM call.
   */
  public ToolCallInfo tool() {
    return tool;
  }

  /**
   * The event on one line: ids, counts and categories, never counter keys, headers or contents.
   * Names from requests, backends or other instances (consumer, models, backend, error, ...) are
   * written with their control characters, line separators and text direction controls escaped
   * ({@code \n}, {@code \}{@code u0085}), each cut at 200 characters as written, the cut shown as
   * {@code …(+N chars)}: the text of a call whose model name holds a line break, or is a megabyte
   * long, is still one line of a few hundred characters.
   */
  @Override
  public String toString() {
    // Ids, counts and categories only: never counter keys, headers or contents.
    StringBuilder s =
        new StringBuilder(192)
            .append("GatewayEvent{call=")
            .append(callId)
            .append(", op=")
            .append(operation.conventionName())
            .append(", consumer=");
    LogText.append(s, consumer).append(", model=");
    LogText.append(s, requestedModel).append("->");
    LogText.append(s, responseModel)
        .append(", stream=")
        .append(stream)
        .append(", outcome=")
        .append(outcome)
        .append(", status=")
        .append(status)
        .append(", usage=")
        .append(usage.tokens())
        .append(" (")
        .append(usage.inputSource())
        .append('/')
        .append(usage.outputSource())
        .append(usage.capped() ? ", capped" : "")
        .append("), reserved=")
        .append(limits.reservedTokens())
        .append(", settled=")
        .append(limits.settledTokens());
    if (limits.outcome() != LimitOutcome.NONE
        && limits.outcome() != LimitOutcome.SETTLED
        && limits.outcome() != LimitOutcome.REJECTED) {
      s.append(", limit=").append(limits.outcome());
    }
    if (rejection != null) {
      s.append(", rejection=").append(rejection);
    }
    if (access.decision() == AccessInfo.Decision.DENIED) {
      LogText.append(s.append(", access="), access.rule()).append('/').append(access.check());
    }
    if (errorType != null) {
      LogText.append(s.append(", error="), errorType);
    }
    if (contentFiltered) {
      s.append(", contentFiltered");
    }
    if (routing.backendId() != null) {
      LogText.append(s.append(", backend="), routing.backendId())
          .append(", attempts=")
          .append(routing.attempts().size());
    }
    if (routing.failoverReason() != null) {
      LogText.append(s.append(", failover="), routing.failoverReason());
    }
    if (routing.variant() != null) {
      LogText.append(s.append(", variant="), routing.variant());
    }
    s.append(", latency=").append(timing.latency().toMillis()).append("ms");
    if (timing.timeToFirstChunk() != null) {
      s.append(", ttfc=").append(timing.timeToFirstChunk().toMillis()).append("ms");
    }
    if (cache.outcome() != CacheOutcome.NONE) {
      s.append(", cache=").append(cache.outcome().label());
      if (!Double.isNaN(cache.score())) {
        s.append(String.format(Locale.ROOT, "@%.3f", cache.score()));
      }
      if (cache.guardObjection() != null) {
        LogText.append(s.append('('), cache.guardObjection()).append(')');
      }
      if (cache.semanticSkip() != null) {
        LogText.append(s.append(", semanticSkip="), cache.semanticSkip());
      }
      if (cache.failure() != null) {
        LogText.append(s.append(", cacheFailure="), cache.failure());
      }
      if (cache.tokensSaved() != 0) {
        s.append(", saved=").append(cache.tokensSaved());
      }
    }
    if (anomaly.state() != ConsumerState.NORMAL) {
      s.append(", consumerState=").append(anomaly.state());
    }
    if (safety.outcome() != SafetyOutcome.NONE) {
      s.append(", safety=").append(safety.outcome().name().toLowerCase(Locale.ROOT));
      if (safety.check() != null) {
        LogText.append(s.append('('), safety.check()).append('/');
        LogText.append(s, safety.category()).append(')');
      }
    }
    if (tool != ToolCallInfo.NONE) {
      s.append(", ").append(tool.kind().name().toLowerCase(Locale.ROOT)).append('=');
      LogText.append(s, tool.target()).append('/');
      LogText.append(s, tool.method());
      if (tool.tool() != null) {
        LogText.append(s.append('/'), tool.tool());
      }
      s.append(", toolOutcome=").append(tool.outcome());
      if (tool.errorCode() != null) {
        s.append('(').append(tool.errorCode()).append(')');
      }
    }
    return s.append('}').toString();
  }

  /**
   * Builds a {@link GatewayEvent}: the call's own facts one by one, each stage's group whole.
   * {@link #operation}, {@link #consumer}, {@link #outcome} and {@link #timing} are required; a
   * group not set stays at its {@code NONE} value. Not thread-safe.
   */
  public static final class Builder {
    private long callId;
    private Operation operation;
    private String consumer;
    private @Nullable String requestedModel;
    private @Nullable String responseModel;
    private boolean stream;
    private int status;
    private CallOutcome outcome;
    private @Nullable RejectionReason rejection;
    private @Nullable String errorType;
    private boolean contentFiltered;
    private LimitsInfo limits = LimitsInfo.NONE;
    private AccessInfo access = AccessInfo.NONE;
    private RoutingInfo routing = RoutingInfo.NONE;
    private CacheInfo cache = CacheInfo.NONE;
    private UsageInfo usage = UsageInfo.NONE;
    private TimingInfo timing;
    private AnomalyInfo anomaly = AnomalyInfo.NONE;
    private SafetyInfo safety = SafetyInfo.NONE;
    private ToolCallInfo tool = ToolCallInfo.NONE;

    private Builder() {}

    /** See {@link GatewayEvent#callId()}. */
    public Builder callId(long callId) {
      this.callId = callId;
      return this;
    }

    /** See {@link GatewayEvent#operation()}. */
    public Builder operation(Operation operation) {
      this.operation = operation;
      return this;
    }

    /** See {@link GatewayEvent#consumer()}. */
    public Builder consumer(String consumer) {
      this.consumer = consumer;
      return this;
    }

    /** See {@link GatewayEvent#requestedModel()}. */
    public Builder requestedModel(@Nullable String requestedModel) {
      this.requestedModel = requestedModel;
      return this;
    }

    /** See {@link GatewayEvent#responseModel()}. */
    public Builder responseModel(@Nullable String responseModel) {
      this.responseModel = responseModel;
      return this;
    }

    /** See {@link GatewayEvent#stream()}. */
    public Builder stream(boolean stream) {
      this.stream = stream;
      return this;
    }

    /** See {@link GatewayEvent#status()}. */
    public Builder status(int status) {
      this.status = status;
      return this;
    }

    /** See {@link GatewayEvent#outcome()}. */
    public Builder outcome(CallOutcome outcome) {
      this.outcome = outcome;
      return this;
    }

    /** See {@link GatewayEvent#rejection()}. */
    public Builder rejection(@Nullable RejectionReason rejection) {
      this.rejection = rejection;
      return this;
    }

    /** See {@link GatewayEvent#errorType()}. */
    public Builder errorType(@Nullable String errorType) {
      this.errorType = errorType;
      return this;
    }

    /** See {@link GatewayEvent#contentFiltered()} (default false). */
    public Builder contentFiltered(boolean contentFiltered) {
      this.contentFiltered = contentFiltered;
      return this;
    }

    /** The token-limit stage's part (default {@link LimitsInfo#NONE}). */
    public Builder limits(LimitsInfo limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * The routing stage's part, or a direct call's destination (default {@link RoutingInfo#NONE}).
     */
    public Builder routing(RoutingInfo routing) {
      this.routing = Objects.requireNonNull(routing, "routing");
      return this;
    }

    /** The cache stage's part (default {@link CacheInfo#NONE}). */
    public Builder cache(CacheInfo cache) {
      this.cache = Objects.requireNonNull(cache, "cache");
      return this;
    }

    /** The call's usage and cost (default {@link UsageInfo#NONE}). */
    public Builder usage(UsageInfo usage) {
      this.usage = Objects.requireNonNull(usage, "usage");
      return this;
    }

    /** The call's timing; required. */
    public Builder timing(TimingInfo timing) {
      this.timing = Objects.requireNonNull(timing, "timing");
      return this;
    }

    /** The anomaly stage's part (default {@link AnomalyInfo#NONE}). */
    public Builder anomaly(AnomalyInfo anomaly) {
      this.anomaly = Objects.requireNonNull(anomaly, "anomaly");
      return this;
    }

    /** The content safety stage's part (default {@link SafetyInfo#NONE}). */
    public Builder safety(SafetyInfo safety) {
      this.safety = Objects.requireNonNull(safety, "safety");
      return this;
    }

    /** The access stage's part (default {@link AccessInfo#NONE}). */
    public Builder access(AccessInfo access) {
      this.access = Objects.requireNonNull(access, "access");
      return this;
    }

    /** The tool or agent call's group; see {@link GatewayEvent#tool()}. */
    public Builder tool(ToolCallInfo tool) {
      this.tool = Objects.requireNonNull(tool, "tool");
      return this;
    }

    /** Builds the event; the timing must have been set. */
    public GatewayEvent build() {
      return new GatewayEvent(this);
    }
  }
}
