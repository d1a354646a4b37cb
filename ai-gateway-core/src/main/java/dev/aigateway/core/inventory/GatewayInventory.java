package dev.aigateway.core.inventory;

import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.BreakerState;
import dev.aigateway.api.ConsumerSnapshot;
import dev.aigateway.api.spi.CounterReading;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.access.AccessRule;
import dev.aigateway.core.routing.RateLimitSnapshot;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.core.telemetry.Price;
import dev.aigateway.core.wire.SafeUrls;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a gateway governs, read at one moment ({@link #generatedAt()}): its backend pools and their
 * health, the models they serve and their prices, its limits, the consumers it has counted and
 * their current usage, its access rules, anomaly states, caches and content checks, and the
 * sections other parts of the gateway contribute (MCP servers, A2A agents). Immutable; {@link
 * #toJson()} writes it as the JSON document {@code docs/inventory.md} describes, key by key.
 *
 * <pre>{@code
 * GatewayInventory inventory = gateway.inventory();
 * for (GatewayInventory.ConsumerEntry consumer : inventory.consumers().entries()) {
 *   for (GatewayInventory.ConsumerLimit limit : consumer.limits()) {
 *     limit.counters().forEach(c -> log.info("{} {} {}", consumer.id(), c.spec().id(), c.reading()));
 *   }
 * }
 * }</pre>
 *
 * <p>It never holds a secret: backend URLs lose their user information and the values of their
 * query parameters, credentials are named by kind only, content checks by name only.
 */
public final class GatewayInventory {

  /** The key reserved for the MCP servers a gateway governs: an empty array until contributed. */
  public static final String MCP_SERVERS = "mcpServers";

  /** The key reserved for the A2A agents a gateway governs: an empty array until contributed. */
  public static final String AGENTS = "agents";

  /** The keys of the built-in sections, which no contributed section may take. */
  public static final Set<String> BUILT_IN_KEYS =
      Set.of(
          "generatedAt",
          "tokenStore",
          "pools",
          "models",
          "limits",
          "consumers",
          "access",
          "anomalies",
          "caches",
          "contentSafety");

  /**
   * {@code url} without what may be a secret, as the inventory lists every URL: no user
   * information, no fragment, and each query parameter's value replaced by {@code ***} (Azure's
   * {@code api-key}, a SAS signature). For sections that list URLs of their own.
   */
  public static String urlWithoutSecrets(String url) {
    return SafeUrls.withoutSecrets(url);
  }

  /**
   * A backend pool.
   *
   * @param name the pool's name
   * @param loadBalancing the strategy within a priority tier ({@code ROUND_ROBIN}, {@code
   *     WEIGHTED}, ...)
   * @param sharedHealth whether the pool shares backend health with other instances
   * @param backends its backends, in the order configured
   */
  public record Pool(
      String name, String loadBalancing, boolean sharedHealth, List<BackendEntry> backends) {

    /** Copies the backends. */
    public Pool {
      backends = List.copyOf(backends);
    }
  }

  /**
   * A backend, as configured, and its health in this gateway.
   *
   * @param id the backend's id
   * @param provider the provider's name as events give it ({@code openai}, {@code azure.ai.openai},
   *     ...)
   * @param flavor how calls are rewritten for it
   * @param url its base URL without user information, with each query parameter's value replaced by
   *     {@code ***}
   * @param apiVersion the Azure api-version or Anthropic version it sends, or null
   * @param models the application's model names, sorted, to this backend's models or deployments;
   *     empty when it serves every model under the name asked for
   * @param priority its priority tier (lower first)
   * @param weight its weight in weighted balancing
   * @param maxInFlight its in-flight cap, 0 for none
   * @param tokensPerMinute its known token capacity, 0 when unknown
   * @param requestsPerMinute its known request capacity, 0 when unknown
   * @param credential whose credential its calls carry: {@code gateway} (the backend's own, held by
   *     the gateway), {@code signed} (a request signer such as AWS SigV4), or {@code application}
   *     (the application's own headers)
   * @param health its live state in this gateway
   */
  public record BackendEntry(
      String id,
      String provider,
      BackendFlavor flavor,
      String url,
      @Nullable String apiVersion,
      Map<String, String> models,
      int priority,
      int weight,
      int maxInFlight,
      long tokensPerMinute,
      long requestsPerMinute,
      String credential,
      BackendHealth health) {

    /** Copies the models, keeping their order. */
    public BackendEntry {
      models = Collections.unmodifiableMap(new LinkedHashMap<>(models));
    }
  }

  /**
   * A backend's live state in this gateway.
   *
   * @param available whether it could take a call now (breaker not open, not cooling down; an
   *     in-flight cap may still turn a call away)
   * @param breaker its circuit breaker's state
   * @param breakerOpenUntil when an open breaker's trip ends, or null when it is not open
   * @param coolingDownUntil when its cool-down (after a 429, 503 or 529 with a retry-after) ends,
   *     or null when it is not cooling down
   * @param inFlight the attempts this gateway has in flight there
   * @param latencyMillis the moving average of its latency, or null before the first sample
   * @param rateLimits what its {@code x-ratelimit-*} headers said last, or null
   */
  public record BackendHealth(
      boolean available,
      BreakerState breaker,
      @Nullable Instant breakerOpenUntil,
      @Nullable Instant coolingDownUntil,
      int inFlight,
      @Nullable Double latencyMillis,
      @Nullable RateLimitSnapshot rateLimits) {}

  /**
   * A model the gateway knows of: one the pool maps, or one the price table prices by name.
   *
   * @param name the model name applications use
   * @param routes the backends that serve it and under which name, in pool order
   * @param price its price per million tokens, or null when none is configured
   */
  public record ModelEntry(String name, List<ModelRoute> routes, @Nullable Price price) {

    /** Copies the routes. */
    public ModelEntry {
      routes = List.copyOf(routes);
    }
  }

  /**
   * One backend serving a model.
   *
   * @param pool the backend's pool
   * @param backend the backend's id
   * @param target the backend's name for the model (its deployment on Azure)
   */
  public record ModelRoute(String pool, String backend, String target) {}

  /**
   * A configured limit.
   *
   * @param name its name
   * @param perConsumer whether it counts per consumer (else per a key of its own: model, tenant, a
   *     single global counter)
   * @param onlyFor the consumers it is restricted to; empty: every consumer
   * @param counters the counters it keeps per key: rates, quotas, in-flight caps
   */
  public record LimitEntry(
      String name, boolean perConsumer, Set<String> onlyFor, List<LimitSpec> counters) {

    /** Copies the sets and lists. */
    public LimitEntry {
      onlyFor = Set.copyOf(onlyFor);
      counters = List.copyOf(counters);
    }
  }

  /** Whether the consumers' usage is in the document, and why not. */
  public enum UsageStatus {
    /** Read from the token store. */
    INCLUDED,
    /** Not asked for ({@link InventoryOptions#includeUsage()}). */
    EXCLUDED,
    /** The token store cannot read counters without charging them. */
    UNSUPPORTED,
    /** The token store failed to answer; see {@link Consumers#usageProblem()}. */
    FAILED
  }

  /**
   * The consumers the gateway's limits have counted.
   *
   * @param tracked how many the gateway remembers (up to 10,000)
   * @param entries the most recently seen, at most {@link InventoryOptions#maxConsumers()}
   * @param usage whether their usage was read
   * @param usageProblem why usage is missing when the store failed (the exception's type), else
   *     null
   */
  public record Consumers(
      long tracked, List<ConsumerEntry> entries, UsageStatus usage, @Nullable String usageProblem) {

    /** Copies the entries. */
    public Consumers {
      entries = List.copyOf(entries);
    }
  }

  /**
   * A consumer and the limits that apply to it.
   *
   * @param id the consumer's id
   * @param lastSeen when its latest call was counted
   * @param limits each applicable limit, in the gateway's order
   */
  public record ConsumerEntry(String id, Instant lastSeen, List<ConsumerLimit> limits) {

    /** Copies the limits. */
    public ConsumerEntry {
      limits = List.copyOf(limits);
    }
  }

  /**
   * A limit as it applies to one consumer.
   *
   * @param limit the limit's name
   * @param counterKey the key it counted the consumer's latest call under
   * @param counters each of its counters and what it holds
   */
  public record ConsumerLimit(String limit, String counterKey, List<CounterUsage> counters) {

    /** Copies the counters. */
    public ConsumerLimit {
      counters = List.copyOf(counters);
    }
  }

  /**
   * One counter of a consumer's limit.
   *
   * @param spec the counter's settings
   * @param reading what it holds now, or null when usage was not read
   */
  public record CounterUsage(LimitSpec spec, @Nullable CounterReading reading) {}

  /**
   * The access policy, as configured.
   *
   * @param allowByDefault whether a call no rule names is allowed
   * @param rules the rules, in order
   */
  public record AccessEntry(boolean allowByDefault, List<AccessRule> rules) {

    /** Copies the rules. */
    public AccessEntry {
      rules = List.copyOf(rules);
    }
  }

  /**
   * The response cache.
   *
   * @param exact whether exact lookups are made
   * @param store the answer store's type
   * @param entries the answers held, where the store can count them in memory; else null
   * @param semantic the semantic cache, or null when there is none
   */
  public record Caches(
      boolean exact, String store, @Nullable Long entries, @Nullable SemanticEntry semantic) {}

  /**
   * The semantic cache.
   *
   * @param threshold the least similarity of a hit
   * @param embeddingModel the embedding model's name
   * @param vectorStore the vector store's type
   * @param entries the prompt vectors held, where the store counts them in memory; else null
   */
  public record SemanticEntry(
      double threshold, String embeddingModel, String vectorStore, @Nullable Long entries) {}

  /**
   * What a contributed section holds when reading it failed.
   *
   * @param error the failure's type
   */
  public record SectionError(String error) {}

  private final Instant generatedAt;
  private final String tokenStore;
  private final List<Pool> pools;
  private final List<ModelEntry> models;
  private final List<LimitEntry> limits;
  private final Consumers consumers;
  private final @Nullable AccessEntry access;
  private final @Nullable List<ConsumerSnapshot> anomalies;
  private final @Nullable Caches caches;
  private final ContentSafety.@Nullable Summary contentSafety;
  private final Map<String, @Nullable Object> sections;
  // Each section as written when it was read: what the document holds, whatever the values do
  // later.
  private final Map<String, TokenBuffer> writtenSections;

  GatewayInventory(
      Instant generatedAt,
      String tokenStore,
      List<Pool> pools,
      List<ModelEntry> models,
      List<LimitEntry> limits,
      Consumers consumers,
      @Nullable AccessEntry access,
      @Nullable List<ConsumerSnapshot> anomalies,
      @Nullable Caches caches,
      ContentSafety.@Nullable Summary contentSafety,
      Map<String, @Nullable Object> sections,
      Map<String, TokenBuffer> writtenSections) {
    this.generatedAt = generatedAt;
    this.tokenStore = tokenStore;
    this.pools = List.copyOf(pools);
    this.models = List.copyOf(models);
    this.limits = List.copyOf(limits);
    this.consumers = consumers;
    this.access = access;
    this.anomalies = anomalies == null ? null : List.copyOf(anomalies);
    this.caches = caches;
    this.contentSafety = contentSafety;
    this.sections = Collections.unmodifiableMap(new LinkedHashMap<>(sections));
    this.writtenSections = Collections.unmodifiableMap(new LinkedHashMap<>(writtenSections));
  }

  /**
   * Reads a gateway's inventory; what {@link AiGateway#inventory(InventoryOptions)} calls (use
   * that).
   *
   * @param source the parts of the gateway the inventory is read from
   * @param options what to include
   */
  public static GatewayInventory read(InventorySource source, InventoryOptions options) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(options, "options");
    return new InventoryReader(source, options).read();
  }

  /** When the inventory was read, on the gateway's clock. */
  public Instant generatedAt() {
    return generatedAt;
  }

  /** The token store's type. */
  public String tokenStore() {
    return tokenStore;
  }

  /** The backend pools (none when calls go where the application sends them). */
  public List<Pool> pools() {
    return pools;
  }

  /** The models the pools map or the price table prices, by name. */
  public List<ModelEntry> models() {
    return models;
  }

  /** The configured limits, in order. */
  public List<LimitEntry> limits() {
    return limits;
  }

  /** The consumers the limits have counted and their usage. */
  public Consumers consumers() {
    return consumers;
  }

  /** The access policy, or null when there is none. */
  public @Nullable AccessEntry access() {
    return access;
  }

  /**
   * The consumers anomaly detection tracks, most severe first (at most {@link
   * InventoryOptions#maxConsumers()}), or null without anomaly detection.
   */
  public @Nullable List<ConsumerSnapshot> anomalies() {
    return anomalies;
  }

  /** The response cache, or null when there is none. */
  public @Nullable Caches caches() {
    return caches;
  }

  /** The content checks, or null when nothing is checked. */
  public ContentSafety.@Nullable Summary contentSafety() {
    return contentSafety;
  }

  /**
   * The contributed sections by key, as read ({@link SectionError} where reading failed); always
   * holds {@link #MCP_SERVERS} and {@link #AGENTS} (empty lists until contributed). These are the
   * sections' own objects; the JSON documents hold them as they were written when read.
   */
  public Map<String, @Nullable Object> sections() {
    return sections;
  }

  /** The sections as written when they were read, in the order of {@link #sections()}. */
  Map<String, TokenBuffer> writtenSections() {
    return writtenSections;
  }

  /** The inventory as one compact JSON document (keys in {@code docs/inventory.md}). */
  public String toJson() {
    return InventoryJson.write(this, false);
  }

  /** The inventory as one indented JSON document, for people. */
  public String toPrettyJson() {
    return InventoryJson.write(this, true);
  }

  @Override
  public String toString() {
    return "GatewayInventory{generatedAt="
        + generatedAt
        + ", pools="
        + pools.size()
        + ", models="
        + models.size()
        + ", limits="
        + limits.size()
        + ", consumers="
        + consumers.entries().size()
        + ", sections="
        + sections.keySet()
        + "}";
  }
}
