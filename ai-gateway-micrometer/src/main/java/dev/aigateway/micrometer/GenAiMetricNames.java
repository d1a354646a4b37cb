package dev.aigateway.micrometer;

import org.jspecify.annotations.Nullable;

/**
 * Every metric name, attribute key and fixed attribute value that {@link GenAiMetrics} records, in
 * one place: the OpenTelemetry GenAI conventions are still moving, and a rename should be a
 * one-line change here.
 *
 * <p>The {@code gen_ai.*}, {@code server.*} and {@code error.type} names follow the <a
 * href="https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/">OpenTelemetry semantic
 * conventions for generative AI metrics</a>; the {@code ai_gateway.*} names are the gateway's own.
 *
 * <pre>{@code
 * double input = registry.get(GenAiMetricNames.Metric.TOKEN_USAGE.meterName())
 *     .tag(GenAiMetricNames.Attribute.TOKEN_TYPE.key(), GenAiMetricNames.TOKEN_TYPE_INPUT)
 *     .summary().totalAmount();
 * }</pre>
 */
public final class GenAiMetricNames {

  /** The value of an attribute the call did not have (no response model, no limit, success). */
  public static final String NONE = "none";

  /** The value that values beyond a dimension's limit of distinct values fold into. */
  public static final String OTHER = "other";

  /**
   * The {@code error.type} of a failed call that carried no error type of its own; the conventions'
   * fallback value.
   */
  public static final String ERROR_TYPE_OTHER = "_OTHER";

  /** {@code gen_ai.token.type} of input (prompt) tokens. */
  public static final String TOKEN_TYPE_INPUT = "input";

  /** {@code gen_ai.token.type} of output (completion) tokens. */
  public static final String TOKEN_TYPE_OUTPUT = "output";

  /** {@code gen_ai.token.type} of {@link Metric#TOKEN_USAGE_DETAIL}: input read from the cache. */
  public static final String TOKEN_TYPE_CACHE_READ = "cache_read";

  /** {@code gen_ai.token.type} of {@link Metric#TOKEN_USAGE_DETAIL}: input written to the cache. */
  public static final String TOKEN_TYPE_CACHE_CREATION = "cache_creation";

  /** {@code gen_ai.token.type} of {@link Metric#TOKEN_USAGE_DETAIL}: reasoning output. */
  public static final String TOKEN_TYPE_REASONING = "reasoning";

  /** {@code gen_ai.token.type} of {@link Metric#TOKEN_USAGE_DETAIL}: audio input. */
  public static final String TOKEN_TYPE_INPUT_AUDIO = "input_audio";

  /** {@code gen_ai.token.type} of {@link Metric#TOKEN_USAGE_DETAIL}: audio output. */
  public static final String TOKEN_TYPE_OUTPUT_AUDIO = "output_audio";

  /** {@code gen_ai.token.type} of {@link Metric#TOKEN_USAGE_DETAIL}: image input. */
  public static final String TOKEN_TYPE_INPUT_IMAGE = "input_image";

  /** {@code direction} of a drift where the reservation covered the settlement. */
  public static final String DRIFT_OVER = "over";

  /** {@code direction} of a drift where the call settled to more than was reserved. */
  public static final String DRIFT_UNDER = "under";

  private static final double[] TOKEN_BUCKETS = {
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864
  };

  private static final double[] SECONDS_BUCKETS = {
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92
  };

  private static final double[] NO_BUCKETS = {};
  private static final double[] SCORE_BUCKETS = {
    0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0
  };

  private GenAiMetricNames() {}

  /** The meters, with their unit and, for histograms, the conventions' bucket boundaries. */
  public enum Metric {
    /**
     * Tokens per call as the backend reported them; one value per token type. Histogram, unit
     * {@code {token}}.
     */
    TOKEN_USAGE(
        "gen_ai.client.token.usage",
        "{token}",
        "Number of input and output tokens used, as the backend reported them",
        TOKEN_BUCKETS),
    /**
     * Tokens per call that the gateway counted itself because the backend reported none; never
     * mixed into {@link #TOKEN_USAGE}. Histogram, unit {@code {token}}.
     */
    ESTIMATED_TOKEN_USAGE(
        "ai_gateway.token.usage.estimated",
        "{token}",
        "Number of input and output tokens the gateway estimated because none were reported",
        TOKEN_BUCKETS),
    /** From the start of handling to the end of the body or the failure. Timer, seconds. */
    OPERATION_DURATION(
        "gen_ai.client.operation.duration", "s", "GenAI operation duration", SECONDS_BUCKETS),
    /** For streams only: from the start of handling to the first chunk. Timer, seconds. */
    TIME_TO_FIRST_CHUNK(
        "gen_ai.client.operation.time_to_first_chunk",
        "s",
        "Time to receive the first chunk of a streamed response",
        SECONDS_BUCKETS),
    /** Calls the gateway answered itself instead of sending them on. Counter. */
    REJECTIONS(
        "ai_gateway.rejections",
        null,
        "Calls the gateway rejected locally, by reason and limit",
        NO_BUCKETS),
    /**
     * Calls the provider's content filter stopped ({@code GatewayEvent.contentFiltered()}): an
     * answer it cut off under a 200, or a prompt it refused with a 400. Counter.
     */
    CONTENT_FILTERED(
        "ai_gateway.content_filtered",
        null,
        "Calls whose answer the provider's content filter cut off, or whose prompt it refused",
        NO_BUCKETS),
    /** Tries against a backend, per backend and result. Counter. */
    ATTEMPTS("ai_gateway.attempts", null, "Tries of routed calls against a backend", NO_BUCKETS),
    /** Moves of a call from one backend to another. Counter. */
    FAILOVERS(
        "ai_gateway.failovers", null, "Moves of a call from one backend to another", NO_BUCKETS),
    /** A backend's breaker state: 0 closed, 1 half-open, 2 open. Gauge. */
    BREAKER_STATE(
        "ai_gateway.breaker.state",
        null,
        "Circuit breaker state of a backend: 0 closed, 1 half-open, 2 open",
        NO_BUCKETS),
    /** Breaker state changes, per backend, from and to. Counter. */
    BREAKER_TRANSITIONS(
        "ai_gateway.breaker.transitions",
        null,
        "Circuit breaker state changes of a backend",
        NO_BUCKETS),
    /**
     * The token store's health as its store breaker sees it: 0 healthy, 1 probing, 2 failing.
     * Gauge, per {@code store}; registered when the store first changes state.
     */
    TOKEN_STORE_STATE(
        "ai_gateway.token_store.state",
        null,
        "Health of the token store: 0 healthy, 1 probing, 2 failing",
        NO_BUCKETS),
    /** The token store's health changes, per store, from and to. Counter. */
    TOKEN_STORE_TRANSITIONS(
        "ai_gateway.token_store.transitions",
        null,
        "Health changes of the token store (failing, probing, healthy again)",
        NO_BUCKETS),
    /**
     * Calls the token store failed, by {@code gen_ai.operation.name} and {@code outcome}, what the
     * gateway did instead ({@code store_failed}: nothing charged, the call admitted under fail open
     * or refused under fail closed; {@code settle_failed}; {@code fallback_settled}; {@code
     * fallback_rejected}; see {@code LimitOutcome}). Counter.
     */
    TOKEN_STORE_FAILURES(
        "ai_gateway.token_store.failures",
        null,
        "Calls the token store failed, by what the gateway did instead",
        NO_BUCKETS),
    /**
     * Per settled call, how far the settlement was from the reservation, as an absolute number of
     * tokens with a {@code direction}. Distribution summary, unit {@code {token}}.
     */
    RESERVATION_DRIFT(
        "ai_gateway.reservation.drift",
        "{token}",
        "Distance between the tokens reserved before a call and those settled after it",
        NO_BUCKETS),
    /** The time the gateway itself added to a call. Timer, seconds. */
    GATEWAY_TIME(
        "ai_gateway.gateway.time",
        "s",
        "Time the gateway itself spent on a call (admission, routing, settlement)",
        NO_BUCKETS),
    /**
     * Calls the response cache looked at, by {@code outcome} ({@code miss}, {@code exact_hit},
     * {@code semantic_hit}, {@code guarded_miss}, {@code bypassed}). Counter.
     */
    CACHE_LOOKUPS("ai_gateway.cache.lookups", null, "Cache lookups by outcome", NO_BUCKETS),
    /**
     * Per cache hit, the tokens its answer cost when it was first produced. Distribution summary,
     * unit {@code {token}}.
     */
    CACHE_TOKENS_SAVED(
        "ai_gateway.cache.tokens.saved", "{token}", "Tokens that cache hits saved", NO_BUCKETS),
    /**
     * Per semantic lookup that compared a cached prompt, the best cosine similarity found, by
     * {@code outcome} ({@code semantic_hit}, {@code miss}: below the threshold, {@code
     * guarded_miss}: refused by the guard). Distribution summary, unit 1; buckets every 0.05 from
     * 0.5, so the threshold can be read off real traffic.
     */
    CACHE_SEMANTIC_SCORE(
        "ai_gateway.cache.semantic.score",
        "1",
        "Best cosine similarity of a semantic cache lookup, by outcome",
        SCORE_BUCKETS),
    /**
     * Calls the semantic cache neither looked up nor stored semantically, by {@code reason} ({@code
     * prompt_not_read_whole}: the prompt is longer than the embedding model reads; see {@code
     * CacheInfo#semanticSkip}). Counter.
     */
    CACHE_SEMANTIC_SKIPS(
        "ai_gateway.cache.semantic.skips",
        null,
        "Calls kept out of the semantic cache, by reason",
        NO_BUCKETS),
    /**
     * Cache lookups a part of the cache failed or did not answer in time, making them misses, by
     * {@code reason} ({@code store_timeout}, {@code embedding_timeout}, {@code
     * vector_store_timeout}, {@code guard_timeout}, {@code store_failed}, ...; see {@code
     * CacheInfo#failure}). Counter.
     */
    CACHE_FAILURES(
        "ai_gateway.cache.failures",
        null,
        "Cache lookups a part of the cache failed or timed out, by reason",
        NO_BUCKETS),
    /**
     * Anomaly-state changes of consumers, by {@code from}, {@code to} ({@code normal}, {@code
     * flagged}, {@code throttled}, {@code blocked}) and {@code signal}. Counter.
     */
    CONSUMER_TRANSITIONS(
        "ai_gateway.consumer.transitions",
        null,
        "Anomaly-state changes of consumers (flagged, throttled, blocked, released)",
        NO_BUCKETS),
    /**
     * Calls on which content safety acted, by {@code check} (for example {@code pii.email}, {@code
     * azure-prompt-shields}), {@code category} (for example {@code EMAIL}, {@code jailbreak}) and
     * {@code action} ({@code flagged}, {@code redacted}, {@code blocked}, {@code answer_blocked},
     * {@code check_failed}, {@code check_failed_closed}). Counter; calls that passed every check
     * are not counted.
     */
    SAFETY_ACTIONS(
        "ai_gateway.safety.actions",
        null,
        "Calls on which content safety acted, by check, category and action",
        NO_BUCKETS),
    /**
     * Per call that asked external content checks, the time they took in all (the prompt's, and the
     * answer's windows). Timer, seconds.
     */
    SAFETY_CHECK_DURATION(
        "ai_gateway.safety.check.duration",
        "s",
        "Time the external content safety checks of a call took",
        NO_BUCKETS),
    /**
     * Reported tokens per call of a kind that is part of the input or output already counted in
     * {@link #TOKEN_USAGE}, by {@code gen_ai.token.type}: {@code cache_read} and {@code
     * cache_creation} (input read from and written to the provider's prompt cache; the conventions'
     * {@code gen_ai.usage.cache_read.input_tokens} and {@code
     * gen_ai.usage.cache_creation.input_tokens}), {@code reasoning} (output), {@code input_audio},
     * {@code output_audio}, {@code input_image}. A separate meter so that summing {@link
     * #TOKEN_USAGE} never counts a token twice; a kind is recorded only when the call reported
     * some. Histogram, unit {@code {token}}.
     */
    TOKEN_USAGE_DETAIL(
        "ai_gateway.token.usage.detail",
        "{token}",
        "Reported input and output tokens of a kind: prompt-cache reads and writes, reasoning,"
            + " audio, image",
        TOKEN_BUCKETS),
    /**
     * An MCP request's duration as the gateway saw it, from the POST to its response (or its
     * refusal), by {@code mcp.method.name}, {@code gen_ai.tool.name}, {@code gen_ai.operation.name}
     * ({@code execute_tool} for {@code tools/call}), {@code error.type} and {@code
     * rpc.response.status_code} (the JSON-RPC error code), {@code ai_gateway.mcp.server} and {@code
     * outcome}. The OpenTelemetry MCP conventions' client metric. Timer, seconds.
     */
    MCP_OPERATION_DURATION(
        "mcp.client.operation.duration",
        "s",
        "Duration of an MCP request as observed on the client, until its response",
        SECONDS_BUCKETS),
    /**
     * An A2A agent call's duration (a stream's until its end), by {@code gen_ai.operation.name}
     * ({@code invoke_agent}), {@code gen_ai.agent.id}, {@code gen_ai.agent.name}, {@code
     * rpc.method}, {@code error.type}, {@code rpc.response.status_code} and {@code outcome}. The
     * conventions define no A2A metric yet: the gateway's own name. Timer, seconds.
     */
    AGENT_OPERATION_DURATION(
        "ai_gateway.agent.operation.duration",
        "s",
        "Duration of an A2A agent call, until its response or the end of its stream",
        SECONDS_BUCKETS),
    /**
     * Bytes of a tool or agent call's arguments ({@code direction=arguments}) and of its answer's
     * result or error ({@code direction=result}), by {@code kind} ({@code mcp}, {@code a2a}) and
     * {@code target} (the server or agent). Distribution summary, unit {@code By}.
     */
    TOOL_PAYLOAD_SIZE(
        "ai_gateway.tool.payload.size",
        "By",
        "Bytes of MCP tool and A2A agent call arguments and results",
        NO_BUCKETS);

    private final String meterName;
    private final @Nullable String unit;
    private final String description;
    private final double[] buckets;

    Metric(String meterName, @Nullable String unit, String description, double[] buckets) {
      this.meterName = meterName;
      this.unit = unit;
      this.description = description;
      this.buckets = buckets;
    }

    /** The meter's name, for example {@code gen_ai.client.token.usage}. */
    public String meterName() {
      return meterName;
    }

    /**
     * The unit: {@code {token}} (set as the base unit of token summaries), {@code s} (timers, which
     * each registry exports in its own base time unit), or null for counts and gauges.
     */
    public @Nullable String unit() {
      return unit;
    }

    /** The meter's description. */
    public String description() {
      return description;
    }

    /**
     * The explicit histogram bucket boundaries the conventions recommend, in the meter's unit;
     * empty when the meter publishes no buckets. A copy.
     */
    public double[] histogramBuckets() {
      return buckets.clone();
    }
  }

  /** The attribute (tag) keys. */
  public enum Attribute {
    /** The operation, for example {@code chat} or {@code embeddings}. */
    OPERATION_NAME("gen_ai.operation.name"),
    /** The provider, for example {@code openai} or {@code azure.ai.openai}. */
    PROVIDER_NAME("gen_ai.provider.name"),
    /** The model the application asked for. */
    REQUEST_MODEL("gen_ai.request.model"),
    /** The model the backend said answered. */
    RESPONSE_MODEL("gen_ai.response.model"),
    /** The host the call was sent to. */
    SERVER_ADDRESS("server.address"),
    /** The port the call was sent to. */
    SERVER_PORT("server.port"),
    /** {@code input} or {@code output}. */
    TOKEN_TYPE("gen_ai.token.type"),
    /** Why a call failed; {@code none} when it did not. */
    ERROR_TYPE("error.type"),
    /** A rejection's reason (its {@code x-ai-gateway-rejected} value) or a failover's cause. */
    REASON("reason"),
    /** The name of the token limit that rejected a call. */
    LIMIT("limit"),
    /** A backend's id. */
    BACKEND("backend"),
    /** The token store's class name. */
    STORE("store"),
    /** The HTTP status a backend answered an attempt with. */
    STATUS("status"),
    /** Where a failover or a breaker, token store or consumer transition came from. */
    FROM("from"),
    /** Where a failover or a breaker, token store or consumer transition went to. */
    TO("to"),
    /** How a call ended, for example {@code success} or {@code rejected}. */
    OUTCOME("outcome"),
    /** {@code over} or {@code under}: the sign of a reservation drift. */
    DIRECTION("direction"),
    /** The anomaly signal behind a consumer's transition, for example {@code request_rate}. */
    SIGNAL("signal"),
    /** The content safety check that acted. */
    CHECK("check"),
    /** What a content safety check found. */
    CATEGORY("category"),
    /** What content safety did, for example {@code blocked} or {@code redacted}. */
    ACTION("action"),
    /** An MCP request's JSON-RPC method, for example {@code tools/call}. */
    MCP_METHOD_NAME("mcp.method.name"),
    /** The tool of an MCP {@code tools/call}. */
    TOOL_NAME("gen_ai.tool.name"),
    /** The configured name of the MCP server a request went to (the gateway's own key). */
    MCP_SERVER("ai_gateway.mcp.server"),
    /** An A2A agent's configured id. */
    AGENT_ID("gen_ai.agent.id"),
    /** An A2A agent's name from its agent card, else its id. */
    AGENT_NAME("gen_ai.agent.name"),
    /** An A2A call's JSON-RPC method, for example {@code message/send}. */
    RPC_METHOD("rpc.method"),
    /** The JSON-RPC error code a tool or agent call was answered with. */
    RPC_STATUS_CODE("rpc.response.status_code"),
    /** {@code mcp} or {@code a2a}. */
    KIND("kind"),
    /** The MCP server or A2A agent of a payload size. */
    TARGET("target");

    private final String key;

    Attribute(String key) {
      this.key = key;
    }

    /** The tag key, for example {@code gen_ai.request.model}. */
    public String key() {
      return key;
    }
  }
}
