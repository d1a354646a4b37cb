package dev.aigateway.core.inventory;

import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.aigateway.api.BreakerState;
import dev.aigateway.api.ConsumerSnapshot;
import dev.aigateway.api.spi.CounterId;
import dev.aigateway.api.spi.CounterReading;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.ResponseCacheStore;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.api.spi.VectorStore;
import dev.aigateway.core.access.AccessPolicy;
import dev.aigateway.core.anomaly.Anomalies;
import dev.aigateway.core.cache.InMemoryResponseCacheStore;
import dev.aigateway.core.cache.InMemoryVectorStore;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.cache.SemanticCache;
import dev.aigateway.core.inventory.GatewayInventory.BackendEntry;
import dev.aigateway.core.inventory.GatewayInventory.BackendHealth;
import dev.aigateway.core.inventory.GatewayInventory.ConsumerEntry;
import dev.aigateway.core.inventory.GatewayInventory.ConsumerLimit;
import dev.aigateway.core.inventory.GatewayInventory.Consumers;
import dev.aigateway.core.inventory.GatewayInventory.CounterUsage;
import dev.aigateway.core.inventory.GatewayInventory.LimitEntry;
import dev.aigateway.core.inventory.GatewayInventory.ModelEntry;
import dev.aigateway.core.inventory.GatewayInventory.ModelRoute;
import dev.aigateway.core.inventory.GatewayInventory.Pool;
import dev.aigateway.core.inventory.GatewayInventory.UsageStatus;
import dev.aigateway.core.limit.LimitStage;
import dev.aigateway.core.limit.SeenConsumer;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.BackendState;
import dev.aigateway.core.routing.RouteStage;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.core.safety.SafetyStage;
import dev.aigateway.core.telemetry.PriceTable;
import dev.aigateway.core.wire.SafeUrls;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads one inventory of a gateway: each section from the part of the gateway that holds it. */
final class InventoryReader {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayInventory.class);

  private final InventorySource source;
  private final @Nullable Anomalies anomalies;
  private final @Nullable PriceTable prices;
  private final InventoryOptions options;
  private RouteStage.@Nullable PoolFactory routing;
  private LimitStage.@Nullable LimitsFactory limiting;
  private SafetyStage.@Nullable SafetyFactory safety;
  private final List<InventorySection> contributed = new ArrayList<>();
  private final Map<String, TokenBuffer> writtenSections = new LinkedHashMap<>();

  InventoryReader(InventorySource source, InventoryOptions options) {
    this.source = source;
    this.anomalies = source.anomalies();
    this.prices = source.priceTable();
    this.options = options;
  }

  GatewayInventory read() {
    for (Object stage : source.stageFactories()) {
      if (stage instanceof RouteStage.PoolFactory f) {
        routing = f;
      } else if (stage instanceof LimitStage.LimitsFactory f) {
        limiting = f;
      } else if (stage instanceof SafetyStage.SafetyFactory f) {
        safety = f;
      }
      if (stage instanceof InventorySection section) {
        contributed.add(section);
      }
    }
    contributed.addAll(source.sections());
    Instant now = source.clock().instant();
    List<Pool> pools = pools();
    AccessPolicy policy = source.accessPolicy();
    return new GatewayInventory(
        now,
        source.tokenLimitStore().getClass().getSimpleName(),
        pools,
        models(),
        limits(),
        consumers(),
        policy == null
            ? null
            : new GatewayInventory.AccessEntry(policy.allowsByDefault(), policy.rules()),
        anomalies(),
        caches(),
        contentSafety(),
        sections(),
        writtenSections);
  }

  // ---------------------------------------------------------------- pools and models

  private List<Pool> pools() {
    if (routing == null) {
      return List.of();
    }
    BackendPool pool = routing.router().pool();
    Map<String, BackendState> states = new HashMap<>();
    for (BackendState state : routing.router().backends()) {
      states.put(state.id(), state);
    }
    long nowMillis = source.clock().millis();
    List<BackendEntry> backends = new ArrayList<>();
    for (Backend backend : pool.backends()) {
      backends.add(backend(backend, states.get(backend.id()), nowMillis));
    }
    return List.of(
        new Pool(
            pool.name(),
            pool.loadBalancing().kind().name(),
            pool.sharedHealth() != null,
            backends));
  }

  private static BackendEntry backend(Backend backend, BackendState state, long nowMillis) {
    BreakerState breaker = state.breaker().state();
    long coolDownUntil = state.coolDownUntilMillis();
    double latency = state.latencyEwmaNanos();
    BackendHealth health =
        new BackendHealth(
            state.available(nowMillis),
            breaker,
            breaker == BreakerState.OPEN ? state.breaker().availableAt() : null,
            coolDownUntil > nowMillis ? Instant.ofEpochMilli(coolDownUntil) : null,
            state.inFlight(),
            Double.isNaN(latency) ? null : latency / 1e6,
            state.rateLimits());
    return new BackendEntry(
        backend.id(),
        backend.flavor().providerName(),
        backend.flavor(),
        SafeUrls.withoutSecrets(backend.baseUrl()),
        backend.apiVersion(),
        new TreeMap<>(backend.models()), // the backend holds them unordered
        backend.priority(),
        backend.weight(),
        backend.maxInFlight(),
        backend.tokensPerMinute(),
        backend.requestsPerMinute(),
        backend.signer() != null
            ? "signed"
            : backend.credential() != null ? "gateway" : "application",
        health);
  }

  private List<ModelEntry> models() {
    Map<String, List<ModelRoute>> routes = new TreeMap<>();
    if (prices != null) {
      prices.models().keySet().forEach(model -> routes.put(model, new ArrayList<>()));
    }
    List<Backend> servingAny = new ArrayList<>();
    String poolName = "";
    if (routing != null) {
      BackendPool pool = routing.router().pool();
      poolName = pool.name();
      for (Backend backend : pool.backends()) {
        if (backend.models().isEmpty()) {
          servingAny.add(backend);
        }
        backend.models().keySet().forEach(model -> routes.putIfAbsent(model, new ArrayList<>()));
      }
      for (Map.Entry<String, List<ModelRoute>> model : routes.entrySet()) {
        for (Backend backend : pool.backends()) {
          if (backend.serves(model.getKey())) {
            String target = backend.targetModel(model.getKey());
            model
                .getValue()
                .add(
                    new ModelRoute(
                        poolName, backend.id(), target == null ? model.getKey() : target));
          }
        }
      }
    }
    List<ModelEntry> models = new ArrayList<>(routes.size());
    routes.forEach(
        (name, served) ->
            models.add(
                new ModelEntry(
                    name, served, prices == null ? null : prices.price(name).orElse(null))));
    return models;
  }

  // ---------------------------------------------------------------- limits and consumers

  private List<LimitEntry> limits() {
    List<LimitEntry> limits = new ArrayList<>();
    for (TokenLimit limit : source.limits()) {
      limits.add(
          new LimitEntry(limit.name(), limit.counterKey() == null, limit.onlyFor(), limit.specs()));
    }
    return limits;
  }

  private Consumers consumers() {
    if (limiting == null) {
      return new Consumers(
          0, List.of(), options.includeUsage() ? UsageStatus.INCLUDED : UsageStatus.EXCLUDED, null);
    }
    long tracked = limiting.consumerCount();
    List<SeenConsumer> seen = limiting.consumers(options.maxConsumers());
    Map<CounterId, @Nullable CounterReading> readings = new LinkedHashMap<>();
    for (SeenConsumer consumer : seen) {
      for (TokenLimit limit : source.limits()) {
        String key = consumer.counterKeys().get(limit.name());
        if (key != null && limit.appliesTo(consumer.consumer())) {
          for (LimitSpec spec : limit.specs()) {
            readings.put(new CounterId(spec, key), null);
          }
        }
      }
    }
    UsageStatus status = UsageStatus.EXCLUDED;
    String problem = null;
    if (options.includeUsage()) {
      status = UsageStatus.INCLUDED;
      try {
        peek(source.tokenLimitStore(), readings);
      } catch (UnsupportedOperationException e) {
        status = UsageStatus.UNSUPPORTED;
        readings.replaceAll((id, reading) -> null);
      } catch (RuntimeException e) {
        status = UsageStatus.FAILED;
        problem = e.getClass().getName();
        readings.replaceAll((id, reading) -> null);
        LOG.warn(
            "ai-gateway: the inventory could not read usage from token store {}",
            source.tokenLimitStore(),
            e);
      }
    }
    List<ConsumerEntry> entries = new ArrayList<>(seen.size());
    for (SeenConsumer consumer : seen) {
      List<ConsumerLimit> limits = new ArrayList<>();
      for (TokenLimit limit : source.limits()) {
        String key = consumer.counterKeys().get(limit.name());
        if (key == null || !limit.appliesTo(consumer.consumer())) {
          continue;
        }
        List<CounterUsage> counters = new ArrayList<>(limit.specs().size());
        for (LimitSpec spec : limit.specs()) {
          counters.add(new CounterUsage(spec, readings.get(new CounterId(spec, key))));
        }
        limits.add(new ConsumerLimit(limit.name(), key, counters));
      }
      entries.add(new ConsumerEntry(consumer.consumer(), consumer.lastSeen(), limits));
    }
    return new Consumers(tracked, entries, status, problem);
  }

  /** Reads every counter, {@link InventoryOptions#COUNTERS_PER_READ} per store call. */
  private static void peek(TokenLimitStore store, Map<CounterId, @Nullable CounterReading> into) {
    List<CounterId> ids = new ArrayList<>(into.keySet());
    for (int from = 0; from < ids.size(); from += InventoryOptions.COUNTERS_PER_READ) {
      List<CounterId> batch =
          ids.subList(from, Math.min(ids.size(), from + InventoryOptions.COUNTERS_PER_READ));
      List<CounterReading> read = store.peek(batch);
      if (read.size() != batch.size()) {
        throw new IllegalStateException(
            "token store "
                + store
                + " answered "
                + read.size()
                + " readings for "
                + batch.size()
                + " counters");
      }
      for (int i = 0; i < batch.size(); i++) {
        into.put(batch.get(i), read.get(i));
      }
    }
  }

  // ---------------------------------------------------------------- other sections

  private @Nullable List<ConsumerSnapshot> anomalies() {
    if (anomalies == null) {
      return null;
    }
    List<ConsumerSnapshot> all = anomalies.inventory();
    return all.size() <= options.maxConsumers() ? all : all.subList(0, options.maxConsumers());
  }

  private GatewayInventory.@Nullable Caches caches() {
    ResponseCache cache = source.responseCache();
    if (cache == null) {
      return null;
    }
    ResponseCacheStore store = cache.store();
    SemanticCache semantic = cache.semantic();
    GatewayInventory.SemanticEntry semanticEntry = null;
    if (semantic != null) {
      VectorStore vectors = semantic.vectorStore();
      semanticEntry =
          new GatewayInventory.SemanticEntry(
              semantic.threshold(),
              semantic.embeddingModel().name(),
              vectors.getClass().getSimpleName(),
              vectors instanceof InMemoryVectorStore local ? local.size() : null);
    }
    return new GatewayInventory.Caches(
        cache.exact(),
        store.getClass().getSimpleName(),
        store instanceof InMemoryResponseCacheStore local ? local.size() : null,
        semanticEntry);
  }

  private ContentSafety.@Nullable Summary contentSafety() {
    return safety == null ? null : safety.safety().summary();
  }

  /**
   * The contributed sections, each under its key; a section that cannot take its key (the key is
   * null, fails, is built-in or taken by an earlier section) is reported as failed under its type's
   * name instead, so that one bad section hides no other.
   */
  private Map<String, @Nullable Object> sections() {
    // The keys first, each read once, so that a failed section's name never takes a usable key.
    Map<String, InventorySection> byKey = new HashMap<>();
    List<@Nullable String> keys = new ArrayList<>(contributed.size());
    List<@Nullable RuntimeException> problems = new ArrayList<>(contributed.size());
    for (InventorySection section : contributed) {
      try {
        String key = ownKey(section, byKey);
        byKey.put(key, section);
        keys.add(key);
        problems.add(null);
      } catch (RuntimeException e) {
        keys.add(null);
        problems.add(e);
      }
    }
    Map<String, @Nullable Object> sections = new LinkedHashMap<>();
    put(sections, GatewayInventory.MCP_SERVERS, List.of());
    put(sections, GatewayInventory.AGENTS, List.of());
    for (int i = 0; i < contributed.size(); i++) {
      InventorySection section = contributed.get(i);
      String key = keys.get(i);
      RuntimeException problem = problems.get(i);
      if (key == null || problem != null) {
        String failed = failedKey(section, sections, byKey);
        LOG.warn(
            "ai-gateway: inventory section {} has no usable key; it is listed as failed under '{}'",
            section,
            failed,
            problem);
        put(sections, failed, new GatewayInventory.SectionError(problem.getClass().getName()));
        continue;
      }
      Object value;
      TokenBuffer written;
      try {
        value = section.read(options);
        written = InventoryJson.written(value);
      } catch (RuntimeException e) {
        LOG.warn("ai-gateway: inventory section '{}' ({}) could not be read", key, section, e);
        value = new GatewayInventory.SectionError(e.getClass().getName());
        written = InventoryJson.written(value);
      }
      sections.put(key, value);
      writtenSections.put(key, written);
    }
    return sections;
  }

  private void put(Map<String, @Nullable Object> sections, String key, Object value) {
    sections.put(key, value);
    writtenSections.put(key, InventoryJson.written(value));
  }

  /** The section's key, read once: non-null, not built-in, not taken by an earlier section. */
  private static String ownKey(InventorySection section, Map<String, InventorySection> byKey) {
    String key = section.key();
    if (key == null) {
      throw new NullPointerException("inventory section " + section + " returned a null key");
    }
    if (GatewayInventory.BUILT_IN_KEYS.contains(key)) {
      throw new IllegalArgumentException(
          "inventory section " + section + " takes the built-in key '" + key + "'");
    }
    InventorySection earlier = byKey.get(key);
    if (earlier != null) {
      throw new IllegalArgumentException(
          "inventory sections " + earlier + " and " + section + " both take key '" + key + "'");
    }
    return key;
  }

  /**
   * Where a section without a usable key is listed: its type's name, numbered if that is taken (by
   * a section listed already, a usable key or a built-in one).
   */
  private static String failedKey(
      InventorySection section, Map<String, ?> listed, Map<String, ?> usable) {
    String name = section.getClass().getName();
    String key = name;
    for (int n = 2;
        listed.containsKey(key)
            || usable.containsKey(key)
            || GatewayInventory.BUILT_IN_KEYS.contains(key);
        n++) {
      key = name + "#" + n;
    }
    return key;
  }
}
