package dev.aigateway.spring;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.core.wire.SafeUrls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.util.unit.DataSize;

/**
 * The gateway's settings under {@code ai-gateway.*}. Each group maps onto a builder of the core
 * ({@code AiGateway.Builder}, {@code TokenLimit.Builder}, {@code BackendPool.Builder}, {@code
 * Backend.Builder}, {@code ResponseCache.Builder}, {@code PromptLog.Builder}); a setting left unset
 * keeps that builder's default. Values are checked when the gateway bean is built: a bad one fails
 * startup with a message naming the property.
 *
 * <pre>{@code
 * ai-gateway:
 *   consumer-key:
 *     header: x-consumer-id
 *   limits:
 *     - scope: consumer
 *       tokens-per-minute: 20000
 *     - scope: global
 *       quota: 5000000
 *       quota-period: monthly
 * }</pre>
 */
@ConfigurationProperties(prefix = AiGatewayProperties.PREFIX)
public class AiGatewayProperties {

  /** The prefix of every property of the gateway. */
  public static final String PREFIX = "ai-gateway";

  /** Whether the gateway bean is created at all. */
  private boolean enabled = true;

  /** Who is charged for a call. Unset: every call is charged to "anonymous". */
  private ConsumerKey consumerKey = new ConsumerKey();

  /** Token limits and quotas; every limit that applies to a call must admit it. */
  private List<Limit> limits = new ArrayList<>();

  /** A pool of backends every governed call is routed through. Unset: calls go where sent. */
  private Pool pool = new Pool();

  /** The response cache (exact match). */
  private Cache cache = new Cache();

  /** The prompt log: prompts and completions, redacted, logged off the call path. */
  private PromptLogging promptLog = new PromptLogging();

  /** Token metrics in the application's MeterRegistry, with the OpenTelemetry GenAI names. */
  private Metrics metrics = new Metrics();

  /**
   * Whether a rejection is thrown (GatewayRejectedException / TokenLimitExceededException from the
   * OkHttp call) instead of answered as the provider's error response.
   */
  private boolean throwOnRejection = false;

  /**
   * Output tokens reserved per choice when a request sets no maximum. Unset: the core's default
   * (1024).
   */
  private @Nullable Long defaultOutputAllowance;

  /**
   * Whether every okhttp3.OkHttpClient bean of the application is wrapped so its LLM calls are
   * governed.
   */
  private boolean wrapOkhttpBeans = true;

  /**
   * Whether Spring AI's OpenAI models (spring-ai-openai) and Anthropic chat model
   * (spring-ai-anthropic) are governed: the gateway's interceptor is added to the OkHttp clients
   * Spring AI's auto-configuration builds.
   */
  private boolean governSpringAi = true;

  /** Consumer access control: which consumer or role may make which call. */
  @NestedConfigurationProperty
  private SecurityProperties.Access access = new SecurityProperties.Access();

  /** Callers proved by a bearer JWT (needs ai-gateway-jwt on the class path). */
  @NestedConfigurationProperty private SecurityProperties.Jwt jwt = new SecurityProperties.Jwt();

  /** The access rules. */
  public SecurityProperties.Access getAccess() {
    return access;
  }

  /** Sets the access rules. */
  public void setAccess(SecurityProperties.Access access) {
    this.access = access;
  }

  /** The JWT caller resolver. */
  public SecurityProperties.Jwt getJwt() {
    return jwt;
  }

  /** Sets the JWT caller resolver. */
  public void setJwt(SecurityProperties.Jwt jwt) {
    this.jwt = jwt;
  }

  /** Whether the gateway bean is created at all. */
  public boolean isEnabled() {
    return enabled;
  }

  /** Sets whether the gateway bean is created at all. */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** Who is charged for a call. */
  public ConsumerKey getConsumerKey() {
    return consumerKey;
  }

  /** Sets who is charged for a call. */
  public void setConsumerKey(ConsumerKey consumerKey) {
    this.consumerKey = consumerKey;
  }

  /** The token limits and quotas, in order. */
  public List<Limit> getLimits() {
    return limits;
  }

  /** Sets the token limits and quotas. */
  public void setLimits(List<Limit> limits) {
    this.limits = limits;
  }

  /** The backend pool. */
  public Pool getPool() {
    return pool;
  }

  /** Sets the backend pool. */
  public void setPool(Pool pool) {
    this.pool = pool;
  }

  /** The response cache. */
  public Cache getCache() {
    return cache;
  }

  /** Sets the response cache. */
  public void setCache(Cache cache) {
    this.cache = cache;
  }

  /** The prompt log. */
  public PromptLogging getPromptLog() {
    return promptLog;
  }

  /** Sets the prompt log. */
  public void setPromptLog(PromptLogging promptLog) {
    this.promptLog = promptLog;
  }

  /** The metrics settings. */
  public Metrics getMetrics() {
    return metrics;
  }

  /** Sets the metrics settings. */
  public void setMetrics(Metrics metrics) {
    this.metrics = metrics;
  }

  /** Whether a rejection is thrown instead of answered. */
  public boolean isThrowOnRejection() {
    return throwOnRejection;
  }

  /** Sets whether a rejection is thrown instead of answered. */
  public void setThrowOnRejection(boolean throwOnRejection) {
    this.throwOnRejection = throwOnRejection;
  }

  /** Output tokens reserved per choice when a request sets no maximum; null for the default. */
  public @Nullable Long getDefaultOutputAllowance() {
    return defaultOutputAllowance;
  }

  /** Sets the output tokens reserved per choice when a request sets no maximum. */
  public void setDefaultOutputAllowance(@Nullable Long defaultOutputAllowance) {
    this.defaultOutputAllowance = defaultOutputAllowance;
  }

  /** Whether the application's OkHttpClient beans are wrapped. */
  public boolean isWrapOkhttpBeans() {
    return wrapOkhttpBeans;
  }

  /** Sets whether the application's OkHttpClient beans are wrapped. */
  public void setWrapOkhttpBeans(boolean wrapOkhttpBeans) {
    this.wrapOkhttpBeans = wrapOkhttpBeans;
  }

  /** Whether Spring AI's OpenAI and Anthropic models are governed. */
  public boolean isGovernSpringAi() {
    return governSpringAi;
  }

  /** Sets whether Spring AI's OpenAI and Anthropic models are governed. */
  public void setGovernSpringAi(boolean governSpringAi) {
    this.governSpringAi = governSpringAi;
  }

  /** Who is charged for a call: set one of {@code header} and {@code api-key}. */
  public static class ConsumerKey {

    /** A request header whose value is the consumer id, for example x-consumer-id. */
    private @Nullable String header;

    /**
     * Whether the consumer is the fingerprint of the call's API key (key- and 12 hex digits of its
     * SHA-256; the key itself is never used as a counter key).
     */
    private boolean apiKey = false;

    /** The request header naming the consumer; null when unset. */
    public @Nullable String getHeader() {
      return header;
    }

    /** Sets the request header naming the consumer. */
    public void setHeader(@Nullable String header) {
      this.header = header;
    }

    /** Whether the consumer is the API key's fingerprint. */
    public boolean isApiKey() {
      return apiKey;
    }

    /** Sets whether the consumer is the API key's fingerprint. */
    public void setApiKey(boolean apiKey) {
      this.apiKey = apiKey;
    }
  }

  /** What a limit counts under. */
  public enum Scope {
    /** One counter per consumer. */
    CONSUMER,
    /** One counter per requested model. */
    MODEL,
    /** One counter for every call. */
    GLOBAL
  }

  /**
   * One limit: a token rate ({@code tokens-per-minute}, or {@code tokens-per} with {@code period}),
   * a calendar token quota ({@code quota} with {@code quota-period}), a request rate ({@code
   * requests-per-second} or {@code requests-per-minute}), a calendar request quota ({@code
   * request-quota} with {@code request-quota-period}), a cap on calls in flight ({@code
   * max-in-flight}), or any mix of them.
   */
  public static class Limit {

    /** The limit's name in rejections and events. Unset: the scope's default name. */
    private @Nullable String name;

    /** What the limit counts under: consumer, model or global. */
    private Scope scope = Scope.CONSUMER;

    /** At most this many tokens per minute, refilling continuously. */
    private @Nullable Long tokensPerMinute;

    /** At most this many tokens per {@code period}, refilling continuously. */
    private @Nullable Long tokensPer;

    /**
     * The period of {@code tokens-per}, for example 10s or 1h (at least 1s; a bare number is
     * milliseconds).
     */
    private @Nullable Duration period;

    /** At most this many tokens per calendar {@code quota-period}. */
    private @Nullable Long quota;

    /** The calendar period of {@code quota}: hourly, daily, weekly, monthly or yearly. */
    private @Nullable QuotaPeriod quotaPeriod;

    /**
     * The zone quota windows align in, for example Europe/Paris; needs quota or request-quota.
     * Unset: UTC.
     */
    private @Nullable String quotaZone;

    /**
     * Whether the prompt is counted and reserved with the output allowance before the call (true),
     * or calls are admitted while the counter is not spent and charged afterwards (false).
     */
    private boolean estimatePromptTokens = true;

    /** Applies the limit only to these consumers. Empty: every call. */
    private List<String> onlyFor = new ArrayList<>();

    /** A response header with the token rate's remaining tokens; needs a token rate. */
    private @Nullable String remainingTokensHeader;

    /** A response header with the token quota's remaining tokens; needs quota. */
    private @Nullable String remainingQuotaHeader;

    /** A response header with the tokens reserved for the call; needs a token rate or quota. */
    private @Nullable String tokensConsumedHeader;

    /** At most this many requests per second, refilling continuously. */
    private @Nullable Long requestsPerSecond;

    /** At most this many requests per minute, refilling continuously. */
    private @Nullable Long requestsPerMinute;

    /** At most this many requests per calendar {@code request-quota-period}. */
    private @Nullable Long requestQuota;

    /** The calendar period of {@code request-quota}: hourly, daily, weekly, monthly or yearly. */
    private @Nullable QuotaPeriod requestQuotaPeriod;

    /** At most this many calls in flight at once per counter key. */
    private @Nullable Integer maxInFlight;

    /**
     * A response header with the request rate's remaining requests; needs requests-per-second or
     * requests-per-minute (a request quota has no header).
     */
    private @Nullable String remainingRequestsHeader;

    /** Requests per second; null when unset. */
    public @Nullable Long getRequestsPerSecond() {
      return requestsPerSecond;
    }

    /** Sets the requests per second. */
    public void setRequestsPerSecond(@Nullable Long requestsPerSecond) {
      this.requestsPerSecond = requestsPerSecond;
    }

    /** Requests per minute; null when unset. */
    public @Nullable Long getRequestsPerMinute() {
      return requestsPerMinute;
    }

    /** Sets the requests per minute. */
    public void setRequestsPerMinute(@Nullable Long requestsPerMinute) {
      this.requestsPerMinute = requestsPerMinute;
    }

    /** Requests per {@link #getRequestQuotaPeriod() request quota period}; null when unset. */
    public @Nullable Long getRequestQuota() {
      return requestQuota;
    }

    /** Sets the request quota. */
    public void setRequestQuota(@Nullable Long requestQuota) {
      this.requestQuota = requestQuota;
    }

    /** The calendar period of the request quota; null when unset. */
    public @Nullable QuotaPeriod getRequestQuotaPeriod() {
      return requestQuotaPeriod;
    }

    /** Sets the calendar period of the request quota. */
    public void setRequestQuotaPeriod(@Nullable QuotaPeriod requestQuotaPeriod) {
      this.requestQuotaPeriod = requestQuotaPeriod;
    }

    /** Calls in flight at once; null when unset. */
    public @Nullable Integer getMaxInFlight() {
      return maxInFlight;
    }

    /** Sets the calls in flight at once. */
    public void setMaxInFlight(@Nullable Integer maxInFlight) {
      this.maxInFlight = maxInFlight;
    }

    /** The remaining-requests header; null when unset. */
    public @Nullable String getRemainingRequestsHeader() {
      return remainingRequestsHeader;
    }

    /** Sets the remaining-requests header. */
    public void setRemainingRequestsHeader(@Nullable String remainingRequestsHeader) {
      this.remainingRequestsHeader = remainingRequestsHeader;
    }

    /** The limit's name; null for the scope's default. */
    public @Nullable String getName() {
      return name;
    }

    /** Sets the limit's name. */
    public void setName(@Nullable String name) {
      this.name = name;
    }

    /** What the limit counts under. */
    public Scope getScope() {
      return scope;
    }

    /** Sets what the limit counts under. */
    public void setScope(Scope scope) {
      this.scope = scope;
    }

    /** Tokens per minute; null when unset. */
    public @Nullable Long getTokensPerMinute() {
      return tokensPerMinute;
    }

    /** Sets the tokens per minute. */
    public void setTokensPerMinute(@Nullable Long tokensPerMinute) {
      this.tokensPerMinute = tokensPerMinute;
    }

    /** Tokens per {@link #getPeriod() period}; null when unset. */
    public @Nullable Long getTokensPer() {
      return tokensPer;
    }

    /** Sets the tokens per period. */
    public void setTokensPer(@Nullable Long tokensPer) {
      this.tokensPer = tokensPer;
    }

    /** The period of {@code tokens-per}; null when unset. */
    public @Nullable Duration getPeriod() {
      return period;
    }

    /** Sets the period of {@code tokens-per}. */
    public void setPeriod(@Nullable Duration period) {
      this.period = period;
    }

    /** The quota's tokens; null when unset. */
    public @Nullable Long getQuota() {
      return quota;
    }

    /** Sets the quota's tokens. */
    public void setQuota(@Nullable Long quota) {
      this.quota = quota;
    }

    /** The quota's calendar period; null when unset. */
    public @Nullable QuotaPeriod getQuotaPeriod() {
      return quotaPeriod;
    }

    /** Sets the quota's calendar period. */
    public void setQuotaPeriod(@Nullable QuotaPeriod quotaPeriod) {
      this.quotaPeriod = quotaPeriod;
    }

    /** The zone quota windows align in; null for UTC. */
    public @Nullable String getQuotaZone() {
      return quotaZone;
    }

    /** Sets the zone quota windows align in. */
    public void setQuotaZone(@Nullable String quotaZone) {
      this.quotaZone = quotaZone;
    }

    /** Whether the prompt is estimated and reserved up front. */
    public boolean isEstimatePromptTokens() {
      return estimatePromptTokens;
    }

    /** Sets whether the prompt is estimated and reserved up front. */
    public void setEstimatePromptTokens(boolean estimatePromptTokens) {
      this.estimatePromptTokens = estimatePromptTokens;
    }

    /** The consumers the limit applies to; empty for every call. */
    public List<String> getOnlyFor() {
      return onlyFor;
    }

    /** Sets the consumers the limit applies to. */
    public void setOnlyFor(List<String> onlyFor) {
      this.onlyFor = onlyFor;
    }

    /** The remaining-tokens response header; null for none. */
    public @Nullable String getRemainingTokensHeader() {
      return remainingTokensHeader;
    }

    /** Sets the remaining-tokens response header. */
    public void setRemainingTokensHeader(@Nullable String remainingTokensHeader) {
      this.remainingTokensHeader = remainingTokensHeader;
    }

    /** The remaining-quota response header; null for none. */
    public @Nullable String getRemainingQuotaHeader() {
      return remainingQuotaHeader;
    }

    /** Sets the remaining-quota response header. */
    public void setRemainingQuotaHeader(@Nullable String remainingQuotaHeader) {
      this.remainingQuotaHeader = remainingQuotaHeader;
    }

    /** The tokens-consumed response header; null for none. */
    public @Nullable String getTokensConsumedHeader() {
      return tokensConsumedHeader;
    }

    /** Sets the tokens-consumed response header. */
    public void setTokensConsumedHeader(@Nullable String tokensConsumedHeader) {
      this.tokensConsumedHeader = tokensConsumedHeader;
    }
  }

  /** The backend pool: on when it has at least one backend. */
  public static class Pool {

    /** The pool's name in events and logs. Unset: the core's default. */
    private @Nullable String name;

    /** The backends, tried by priority tier, balanced within a tier. */
    private List<BackendEntry> backends = new ArrayList<>();

    /** How a tier's backends share calls. */
    private Balancing loadBalancing = Balancing.ROUND_ROBIN;

    /**
     * A request header that pins a session to one backend (session-sticky balancing within {@code
     * load-balancing}). Unset: no stickiness.
     */
    private @Nullable String sessionHeader;

    /** Failover across backends. */
    private FailoverSettings failover = new FailoverSettings();

    /** The pool's name; null for the default. */
    public @Nullable String getName() {
      return name;
    }

    /** Sets the pool's name. */
    public void setName(@Nullable String name) {
      this.name = name;
    }

    /** The backends. */
    public List<BackendEntry> getBackends() {
      return backends;
    }

    /** Sets the backends. */
    public void setBackends(List<BackendEntry> backends) {
      this.backends = backends;
    }

    /** The balancing strategy. */
    public Balancing getLoadBalancing() {
      return loadBalancing;
    }

    /** Sets the balancing strategy. */
    public void setLoadBalancing(Balancing loadBalancing) {
      this.loadBalancing = loadBalancing;
    }

    /** The session header for sticky sessions; null for none. */
    public @Nullable String getSessionHeader() {
      return sessionHeader;
    }

    /** Sets the session header for sticky sessions. */
    public void setSessionHeader(@Nullable String sessionHeader) {
      this.sessionHeader = sessionHeader;
    }

    /** The failover settings. */
    public FailoverSettings getFailover() {
      return failover;
    }

    /** Sets the failover settings. */
    public void setFailover(FailoverSettings failover) {
      this.failover = failover;
    }
  }

  /** The balancing strategies of a pool. */
  public enum Balancing {
    /** Each available backend of the tier in turn. */
    ROUND_ROBIN,
    /** Smooth weighted round-robin by each backend's weight. */
    WEIGHTED,
    /** The backend with the fewest calls in flight. */
    LEAST_BUSY,
    /** The backend with the lowest recent latency. */
    LATENCY_AWARE,
    /** The backend with the most reported capacity left. */
    CAPACITY_AWARE
  }

  /** The wire flavour of a backend. */
  public enum Flavor {
    /** OpenAI ({@code https://api.openai.com}); the key is sent as a bearer token. */
    OPENAI,
    /** An OpenAI-compatible server; the key is sent as a bearer token. */
    OPENAI_COMPATIBLE,
    /** Azure OpenAI in deployment form (needs {@code api-version}); the key as api-key. */
    AZURE,
    /** Azure OpenAI through its /openai/v1 API; the key as api-key. */
    AZURE_V1,
    /**
     * Azure AI Foundry's model inference API ({@code /models/chat/completions}, needs {@code
     * api-version}); the key as api-key.
     */
    AZURE_AI_INFERENCE,
    /**
     * Anthropic ({@code https://api.anthropic.com}); the key as x-api-key; an optional {@code
     * api-version} is sent as anthropic-version on every call.
     */
    ANTHROPIC,
    /**
     * The Google Gemini API ({@code https://generativelanguage.googleapis.com}); the key as
     * x-goog-api-key.
     */
    GEMINI,
    /**
     * Amazon Bedrock's runtime ({@code https://bedrock-runtime.{region}.amazonaws.com}, needs
     * {@code region}); every request is signed with AWS Signature Version 4, with the AWS SDK's
     * default credential chain when {@code ai-gateway-aws} is on the class path, else the process
     * environment's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN. Takes no
     * api-key, oauth or entra-id.
     */
    BEDROCK
  }

  /** One backend of the pool. */
  public static class BackendEntry {

    /** The backend's id, unique within the pool. */
    private @Nullable String id;

    /** The backend's base URL, for example https://api.openai.com. */
    private @Nullable String url;

    /**
     * The backend's flavour: openai, openai-compatible, azure, azure-v1, azure-ai-inference,
     * anthropic, gemini or bedrock.
     */
    private Flavor flavor = Flavor.OPENAI;

    /**
     * The api-version of an azure backend (for example 2024-10-21) or an azure-ai-inference one
     * (for example 2024-05-01-preview); the anthropic-version of an anthropic backend (for example
     * 2023-06-01; unset: the application's own header is kept).
     */
    private @Nullable String apiVersion;

    /** The AWS region a bedrock backend signs its requests for, for example us-east-1. */
    private @Nullable String region;

    /**
     * The models it serves: the application's model name to the backend's model or deployment.
     * Empty: it serves every model under the requested name.
     */
    private Map<String, String> models = new LinkedHashMap<>();

    /**
     * The key sent to this backend in place of the application's (for example ${AZURE_OPENAI_KEY}).
     * Unset: the application's own credential headers are sent.
     */
    private @Nullable String apiKey;

    /** The priority tier: a higher number gets traffic only when lower tiers are down. */
    private @Nullable Integer priority;

    /** The weight for weighted balancing (needs load-balancing: weighted). */
    private @Nullable Integer weight;

    /**
     * The backend's known token capacity per minute (for example a provisioned deployment's TPM),
     * read by capacity-aware balancing only (needs load-balancing: capacity-aware): a call whose
     * reserved tokens do not fit goes to another backend until the backend reports its own
     * x-ratelimit headers. Not a limit: the gateway counts no tokens per backend (use
     * max-in-flight, or an ai-gateway.limits entry).
     */
    private long tokensPerMinute;

    /**
     * Set when {@code requests-per-minute} was given: no balancing reads a backend's request rate
     * and the gateway counts no requests per backend, so the value fails startup (it has no getter,
     * so it is not in the IDE metadata).
     */
    private @Nullable Long requestsPerMinute;

    /** At most this many of the gateway's calls in flight at the backend at once. Unset: no cap. */
    private @Nullable Integer maxInFlight;

    /** OAuth 2.0 client credentials for this backend, in place of an api-key. */
    private SecurityProperties.OAuth oauth = new SecurityProperties.OAuth();

    /** A Microsoft Entra ID credential for this backend (needs ai-gateway-azure-identity). */
    private SecurityProperties.EntraId entraId = new SecurityProperties.EntraId();

    /** The OAuth client credentials. */
    public SecurityProperties.OAuth getOauth() {
      return oauth;
    }

    /** Sets the OAuth client credentials. */
    public void setOauth(SecurityProperties.OAuth oauth) {
      this.oauth = oauth;
    }

    /** The Entra ID credential. */
    public SecurityProperties.EntraId getEntraId() {
      return entraId;
    }

    /** Sets the Entra ID credential. */
    public void setEntraId(SecurityProperties.EntraId entraId) {
      this.entraId = entraId;
    }

    /**
     * The backend's settings, its api-key masked, its URL without user information or query values.
     */
    @Override
    public String toString() {
      return "BackendEntry{id="
          + id
          + ", url="
          + (url == null ? null : SafeUrls.withoutSecrets(url))
          + ", flavor="
          + flavor
          + (region == null ? "" : ", region=" + region)
          + ", api-key="
          + (apiKey == null ? null : SecurityProperties.MASK)
          + ", oauth="
          + oauth
          + ", entra-id="
          + entraId.isEnabled()
          + "}";
    }

    /** The in-flight cap; null when unset. */
    public @Nullable Integer getMaxInFlight() {
      return maxInFlight;
    }

    /** Sets the in-flight cap. */
    public void setMaxInFlight(@Nullable Integer maxInFlight) {
      this.maxInFlight = maxInFlight;
    }

    /** The backend's id; null when unset. */
    public @Nullable String getId() {
      return id;
    }

    /** Sets the backend's id. */
    public void setId(@Nullable String id) {
      this.id = id;
    }

    /** The base URL; null when unset. */
    public @Nullable String getUrl() {
      return url;
    }

    /** Sets the base URL. */
    public void setUrl(@Nullable String url) {
      this.url = url;
    }

    /** The flavour. */
    public Flavor getFlavor() {
      return flavor;
    }

    /** Sets the flavour. */
    public void setFlavor(Flavor flavor) {
      this.flavor = flavor;
    }

    /** The Azure api-version or the anthropic-version; null when unset. */
    public @Nullable String getApiVersion() {
      return apiVersion;
    }

    /** Sets the Azure api-version or the anthropic-version. */
    public void setApiVersion(@Nullable String apiVersion) {
      this.apiVersion = apiVersion;
    }

    /** The AWS region of a bedrock backend; null when unset. */
    public @Nullable String getRegion() {
      return region;
    }

    /** Sets the AWS region of a bedrock backend. */
    public void setRegion(@Nullable String region) {
      this.region = region;
    }

    /** The model map. */
    public Map<String, String> getModels() {
      return models;
    }

    /** Sets the model map. */
    public void setModels(Map<String, String> models) {
      this.models = models;
    }

    /** The backend's key; null when unset. */
    public @Nullable String getApiKey() {
      return apiKey;
    }

    /** Sets the backend's key. */
    public void setApiKey(@Nullable String apiKey) {
      this.apiKey = apiKey;
    }

    /** The priority tier; null for the default. */
    public @Nullable Integer getPriority() {
      return priority;
    }

    /** Sets the priority tier. */
    public void setPriority(@Nullable Integer priority) {
      this.priority = priority;
    }

    /** The weight; null for the default. */
    public @Nullable Integer getWeight() {
      return weight;
    }

    /** Sets the weight. */
    public void setWeight(@Nullable Integer weight) {
      this.weight = weight;
    }

    /** The known tokens per minute (0: unknown), for capacity-aware balancing. */
    public long getTokensPerMinute() {
      return tokensPerMinute;
    }

    /** Sets the known tokens per minute, for capacity-aware balancing. */
    public void setTokensPerMinute(long tokensPerMinute) {
      this.tokensPerMinute = tokensPerMinute;
    }

    /**
     * Refused: a backend's requests per minute is neither read by any balancing nor counted, so a
     * value set here fails startup naming what to use instead ({@code max-in-flight} on the
     * backend, or a {@code requests-per-minute} limit under {@code ai-gateway.limits}). Bound only
     * to be refused; it has no getter and no IDE metadata.
     */
    public void setRequestsPerMinute(long requestsPerMinute) {
      this.requestsPerMinute = requestsPerMinute;
    }

    /** The refused {@code requests-per-minute}; null when unset. */
    @Nullable Long requestsPerMinuteGiven() {
      return requestsPerMinute;
    }
  }

  /** Failover across a pool's backends. */
  public static class FailoverSettings {

    /** Whether a failed attempt (429, 5xx, connection failure) is retried on the next backend. */
    private boolean enabled = true;

    /** Attempts per call, the first included. Unset: the core's default. */
    private @Nullable Integer maxAttempts;

    /** The time all attempts of one call may take, at least 1s (write the unit). Unset: 60s. */
    private @Nullable Duration deadline;

    /**
     * The first backoff before retrying the same backend; a bare number is milliseconds. Unset:
     * 200ms.
     */
    private @Nullable Duration backoff;

    /** The longest backoff; a bare number is milliseconds. Unset: 2s. */
    private @Nullable Duration maxBackoff;

    /**
     * How long a stream is held for its first event before it fails over; a bare number is
     * milliseconds. Unset: 30s.
     */
    private @Nullable Duration firstEventTimeout;

    /** Whether failover is on. */
    public boolean isEnabled() {
      return enabled;
    }

    /** Sets whether failover is on. */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /** Attempts per call; null for the default. */
    public @Nullable Integer getMaxAttempts() {
      return maxAttempts;
    }

    /** Sets the attempts per call. */
    public void setMaxAttempts(@Nullable Integer maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    /** The deadline; null for the default. */
    public @Nullable Duration getDeadline() {
      return deadline;
    }

    /** Sets the deadline. */
    public void setDeadline(@Nullable Duration deadline) {
      this.deadline = deadline;
    }

    /** The first backoff; null for the default. */
    public @Nullable Duration getBackoff() {
      return backoff;
    }

    /** Sets the first backoff. */
    public void setBackoff(@Nullable Duration backoff) {
      this.backoff = backoff;
    }

    /** The longest backoff; null for the default. */
    public @Nullable Duration getMaxBackoff() {
      return maxBackoff;
    }

    /** Sets the longest backoff. */
    public void setMaxBackoff(@Nullable Duration maxBackoff) {
      this.maxBackoff = maxBackoff;
    }

    /** The first-event timeout; null for the default. */
    public @Nullable Duration getFirstEventTimeout() {
      return firstEventTimeout;
    }

    /** Sets the first-event timeout. */
    public void setFirstEventTimeout(@Nullable Duration firstEventTimeout) {
      this.firstEventTimeout = firstEventTimeout;
    }

    /** Whether any setting but {@code enabled} is set. */
    boolean configured() {
      return maxAttempts != null
          || deadline != null
          || backoff != null
          || maxBackoff != null
          || firstEventTimeout != null;
    }
  }

  /**
   * The response cache (exact lookups, in memory unless a ResponseCacheStore bean exists). Off
   * unless {@code enabled: true}; its other settings without {@code enabled} fail startup (with
   * {@code enabled: false} they are kept unused, as a profile turning the cache off would).
   */
  public static class Cache {

    /** Whether repeated calls are answered from the cache. */
    private boolean enabled = false;

    /** Whether {@code enabled} was set at all (its other settings without it fail startup). */
    private boolean enabledGiven;

    /**
     * How long an answer is kept (in-memory store), for example 30m (at least 1s; a bare number is
     * milliseconds). Unset: 1h.
     */
    private @Nullable Duration ttl;

    /**
     * The in-memory store's size bound, for example 256MB (a bare number is bytes). Unset: 64 MiB.
     */
    private @Nullable DataSize maximumBytes;

    /**
     * A request header whose value partitions the cache: a call only sees answers stored under the
     * same value. Unset: the consumer.
     */
    private @Nullable String varyByHeader;

    /** Whether a hit is charged the tokens its answer cost (default: refunded). */
    private boolean chargeHits = false;

    /**
     * Answers larger than this pass uncached, for example 2MB (a bare number is bytes; under 2
     * GiB). Unset: 1 MiB.
     */
    private @Nullable DataSize maximumEntryBytes;

    /** Whether the cache is on. */
    public boolean isEnabled() {
      return enabled;
    }

    /** Sets whether the cache is on. */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
      this.enabledGiven = true;
    }

    /** Whether {@code enabled} was set (to true or false). */
    boolean enabledGiven() {
      return enabledGiven;
    }

    /** Whether any setting but {@code enabled} is set. */
    boolean configured() {
      return ttl != null
          || maximumBytes != null
          || varyByHeader != null
          || chargeHits
          || maximumEntryBytes != null;
    }

    /** The time to live; null for the default. */
    public @Nullable Duration getTtl() {
      return ttl;
    }

    /** Sets the time to live. */
    public void setTtl(@Nullable Duration ttl) {
      this.ttl = ttl;
    }

    /** The in-memory store's size bound; null for the default. */
    public @Nullable DataSize getMaximumBytes() {
      return maximumBytes;
    }

    /** Sets the in-memory store's size bound. */
    public void setMaximumBytes(@Nullable DataSize maximumBytes) {
      this.maximumBytes = maximumBytes;
    }

    /** The partitioning header; null for the consumer. */
    public @Nullable String getVaryByHeader() {
      return varyByHeader;
    }

    /** Sets the partitioning header. */
    public void setVaryByHeader(@Nullable String varyByHeader) {
      this.varyByHeader = varyByHeader;
    }

    /** Whether hits are charged. */
    public boolean isChargeHits() {
      return chargeHits;
    }

    /** Sets whether hits are charged. */
    public void setChargeHits(boolean chargeHits) {
      this.chargeHits = chargeHits;
    }

    /** The largest cached answer; null for the default. */
    public @Nullable DataSize getMaximumEntryBytes() {
      return maximumEntryBytes;
    }

    /** Sets the largest cached answer. */
    public void setMaximumEntryBytes(@Nullable DataSize maximumEntryBytes) {
      this.maximumEntryBytes = maximumEntryBytes;
    }
  }

  /**
   * The prompt log (logger dev.aigateway.prompts, INFO). Off unless {@code enabled: true}; its
   * other settings without {@code enabled} fail startup (with {@code enabled: false} they are
   * unused), and so do they beside the application's own PromptLog bean, which the gateway writes
   * to in place of the one these settings describe.
   */
  public static class PromptLogging {

    /** Whether prompts and completions are logged, redacted. */
    private boolean enabled = false;

    /** Whether {@code enabled} was set at all (its other settings without it fail startup). */
    private boolean enabledGiven;

    /** Only calls of these consumers. Empty: every consumer. */
    private List<String> consumers = new ArrayList<>();

    /** Only calls for these models. Empty: every model. */
    private List<String> models = new ArrayList<>();

    /** The share of calls logged, from 0 to 1. Unset: every call. */
    private @Nullable Double sampleRate;

    /**
     * The longest logged part (prompt or completion), for example 16KB (a bare number is bytes;
     * under 2 GiB). Unset: the core's default.
     */
    private @Nullable DataSize maxPartBytes;

    /** Whether the prompt log is on. */
    public boolean isEnabled() {
      return enabled;
    }

    /** Sets whether the prompt log is on. */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
      this.enabledGiven = true;
    }

    /** Whether {@code enabled} was set (to true or false). */
    boolean enabledGiven() {
      return enabledGiven;
    }

    /** Whether any setting but {@code enabled} is set. */
    boolean configured() {
      return !consumers.isEmpty()
          || !models.isEmpty()
          || sampleRate != null
          || maxPartBytes != null;
    }

    /** The consumers logged; empty for all. */
    public List<String> getConsumers() {
      return consumers;
    }

    /** Sets the consumers logged. */
    public void setConsumers(List<String> consumers) {
      this.consumers = consumers;
    }

    /** The models logged; empty for all. */
    public List<String> getModels() {
      return models;
    }

    /** Sets the models logged. */
    public void setModels(List<String> models) {
      this.models = models;
    }

    /** The sample rate; null for every call. */
    public @Nullable Double getSampleRate() {
      return sampleRate;
    }

    /** Sets the sample rate. */
    public void setSampleRate(@Nullable Double sampleRate) {
      this.sampleRate = sampleRate;
    }

    /** The longest logged part; null for the default. */
    public @Nullable DataSize getMaxPartBytes() {
      return maxPartBytes;
    }

    /** Sets the longest logged part. */
    public void setMaxPartBytes(@Nullable DataSize maxPartBytes) {
      this.maxPartBytes = maxPartBytes;
    }
  }

  /** Token metrics. */
  public static class Metrics {

    /**
     * Whether calls are recorded in the application's MeterRegistry (when it has one; of several,
     * the primary one, and several without one fail startup).
     */
    private boolean enabled = true;

    /** Whether metrics are recorded. */
    public boolean isEnabled() {
      return enabled;
    }

    /** Sets whether metrics are recorded. */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }
}
