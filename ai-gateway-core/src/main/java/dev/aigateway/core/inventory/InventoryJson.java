package dev.aigateway.core.inventory;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.aigateway.api.ConsumerSnapshot;
import dev.aigateway.api.SignalReading;
import dev.aigateway.api.spi.CounterReading;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.core.access.AccessRule;
import dev.aigateway.core.inventory.GatewayInventory.BackendEntry;
import dev.aigateway.core.inventory.GatewayInventory.BackendHealth;
import dev.aigateway.core.inventory.GatewayInventory.ConsumerEntry;
import dev.aigateway.core.inventory.GatewayInventory.ConsumerLimit;
import dev.aigateway.core.inventory.GatewayInventory.CounterUsage;
import dev.aigateway.core.inventory.GatewayInventory.LimitEntry;
import dev.aigateway.core.inventory.GatewayInventory.ModelEntry;
import dev.aigateway.core.inventory.GatewayInventory.ModelRoute;
import dev.aigateway.core.inventory.GatewayInventory.Pool;
import dev.aigateway.core.routing.RateLimitSnapshot;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.core.telemetry.Price;
import dev.aigateway.core.wire.Json;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Writes an inventory as JSON with Jackson's streaming generator: every key named here, in the
 * order {@code docs/inventory.md} lists them; longs as exact integers, prices as exact decimals,
 * instants and durations as ISO 8601 strings (UTC), absent values as null.
 */
final class InventoryJson {

  private InventoryJson() {}

  static String write(GatewayInventory inventory, boolean pretty) {
    StringWriter out = new StringWriter();
    try (JsonGenerator json = Json.MAPPER.getFactory().createGenerator(out)) {
      if (pretty) {
        json.useDefaultPrettyPrinter();
      }
      document(json, inventory);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to a string failed", e);
    }
    return out.toString();
  }

  private static void document(JsonGenerator json, GatewayInventory inventory) throws IOException {
    json.writeStartObject();
    json.writeStringField("generatedAt", inventory.generatedAt().toString());
    json.writeStringField("tokenStore", inventory.tokenStore());
    json.writeArrayFieldStart("pools");
    for (Pool pool : inventory.pools()) {
      pool(json, pool);
    }
    json.writeEndArray();
    json.writeArrayFieldStart("models");
    for (ModelEntry model : inventory.models()) {
      model(json, model);
    }
    json.writeEndArray();
    json.writeArrayFieldStart("limits");
    for (LimitEntry limit : inventory.limits()) {
      json.writeStartObject();
      json.writeStringField("name", limit.name());
      json.writeBooleanField("perConsumer", limit.perConsumer());
      strings(json, "onlyFor", new TreeSet<>(limit.onlyFor()));
      json.writeArrayFieldStart("counters");
      for (LimitSpec spec : limit.counters()) {
        json.writeStartObject();
        spec(json, spec);
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeEndObject();
    }
    json.writeEndArray();
    consumers(json, inventory.consumers());
    access(json, inventory.access());
    anomalies(json, inventory.anomalies());
    caches(json, inventory.caches());
    contentSafety(json, inventory.contentSafety());
    for (Map.Entry<String, TokenBuffer> section : inventory.writtenSections().entrySet()) {
      json.writeFieldName(section.getKey());
      section.getValue().serialize(json);
    }
    json.writeEndObject();
  }

  private static void pool(JsonGenerator json, Pool pool) throws IOException {
    json.writeStartObject();
    json.writeStringField("name", pool.name());
    json.writeStringField("loadBalancing", pool.loadBalancing());
    json.writeBooleanField("sharedHealth", pool.sharedHealth());
    json.writeArrayFieldStart("backends");
    for (BackendEntry b : pool.backends()) {
      json.writeStartObject();
      json.writeStringField("id", b.id());
      json.writeStringField("provider", b.provider());
      json.writeStringField("flavor", b.flavor().name());
      json.writeStringField("url", b.url());
      json.writeStringField("apiVersion", b.apiVersion());
      json.writeObjectFieldStart("models");
      for (Map.Entry<String, String> model : b.models().entrySet()) {
        json.writeStringField(model.getKey(), model.getValue());
      }
      json.writeEndObject();
      json.writeBooleanField("servesAnyModel", b.models().isEmpty());
      json.writeNumberField("priority", b.priority());
      json.writeNumberField("weight", b.weight());
      json.writeNumberField("maxInFlight", b.maxInFlight());
      json.writeNumberField("tokensPerMinute", b.tokensPerMinute());
      json.writeNumberField("requestsPerMinute", b.requestsPerMinute());
      json.writeStringField("credential", b.credential());
      health(json, b.health());
      json.writeEndObject();
    }
    json.writeEndArray();
    json.writeEndObject();
  }

  private static void health(JsonGenerator json, BackendHealth h) throws IOException {
    json.writeObjectFieldStart("health");
    json.writeBooleanField("available", h.available());
    json.writeStringField("breaker", h.breaker().name());
    instant(json, "breakerOpenUntil", h.breakerOpenUntil());
    instant(json, "coolingDownUntil", h.coolingDownUntil());
    json.writeNumberField("inFlight", h.inFlight());
    if (h.latencyMillis() == null) {
      json.writeNullField("latencyMillis");
    } else {
      json.writeNumberField("latencyMillis", h.latencyMillis());
    }
    RateLimitSnapshot limits = h.rateLimits();
    if (limits == null) {
      json.writeNullField("rateLimits");
    } else {
      json.writeObjectFieldStart("rateLimits");
      json.writeNumberField("limitTokens", limits.limitTokens());
      json.writeNumberField("remainingTokens", limits.remainingTokens());
      instant(json, "tokensResetAt", limits.tokensResetAt());
      json.writeNumberField("limitRequests", limits.limitRequests());
      json.writeNumberField("remainingRequests", limits.remainingRequests());
      instant(json, "requestsResetAt", limits.requestsResetAt());
      json.writeEndObject();
    }
    json.writeEndObject();
  }

  private static void model(JsonGenerator json, ModelEntry model) throws IOException {
    json.writeStartObject();
    json.writeStringField("name", model.name());
    json.writeArrayFieldStart("routes");
    for (ModelRoute route : model.routes()) {
      json.writeStartObject();
      json.writeStringField("pool", route.pool());
      json.writeStringField("backend", route.backend());
      json.writeStringField("target", route.target());
      json.writeEndObject();
    }
    json.writeEndArray();
    Price price = model.price();
    if (price == null) {
      json.writeNullField("price");
    } else {
      json.writeObjectFieldStart("price");
      json.writeNumberField("input", price.input());
      json.writeNumberField("cachedInput", price.cachedInput());
      json.writeNumberField("output", price.output());
      json.writeNumberField("cacheWrite", price.cacheWrite());
      json.writeEndObject();
    }
    json.writeEndObject();
  }

  private static void spec(JsonGenerator json, LimitSpec spec) throws IOException {
    json.writeStringField("id", spec.id());
    json.writeStringField("kind", spec.kind().name());
    json.writeStringField("unit", spec.unit().name());
    json.writeNumberField("capacity", spec.capacity());
    json.writeStringField(
        "period", spec.refillPeriod() == null ? null : spec.refillPeriod().toString());
    json.writeStringField(
        "quotaPeriod", spec.quotaPeriod() == null ? null : spec.quotaPeriod().name());
    json.writeStringField("zone", spec.zone() == null ? null : spec.zone().getId());
  }

  private static void consumers(JsonGenerator json, GatewayInventory.Consumers consumers)
      throws IOException {
    json.writeObjectFieldStart("consumers");
    json.writeNumberField("tracked", consumers.tracked());
    json.writeNumberField("listed", consumers.entries().size());
    json.writeStringField("usage", consumers.usage().name());
    json.writeStringField("usageProblem", consumers.usageProblem());
    json.writeArrayFieldStart("entries");
    for (ConsumerEntry consumer : consumers.entries()) {
      json.writeStartObject();
      json.writeStringField("id", consumer.id());
      instant(json, "lastSeen", consumer.lastSeen());
      json.writeArrayFieldStart("limits");
      for (ConsumerLimit limit : consumer.limits()) {
        json.writeStartObject();
        json.writeStringField("limit", limit.limit());
        json.writeStringField("counterKey", limit.counterKey());
        json.writeArrayFieldStart("counters");
        for (CounterUsage counter : limit.counters()) {
          json.writeStartObject();
          spec(json, counter.spec());
          CounterReading reading = counter.reading();
          if (reading == null) {
            json.writeNullField("used");
            json.writeNullField("remaining");
            json.writeNullField("resetsAt");
          } else {
            json.writeNumberField("used", reading.used());
            json.writeNumberField("remaining", reading.remaining());
            instant(json, "resetsAt", reading.resetsAt());
          }
          json.writeEndObject();
        }
        json.writeEndArray();
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeEndObject();
    }
    json.writeEndArray();
    json.writeEndObject();
  }

  private static void access(JsonGenerator json, GatewayInventory.@Nullable AccessEntry access)
      throws IOException {
    if (access == null) {
      json.writeNullField("access");
      return;
    }
    json.writeObjectFieldStart("access");
    json.writeStringField("default", access.allowByDefault() ? "allow" : "deny");
    json.writeArrayFieldStart("rules");
    for (AccessRule rule : access.rules()) {
      json.writeStartObject();
      json.writeStringField("name", rule.name());
      json.writeStringField("subject", rule.subject().name());
      json.writeStringField("subjectId", rule.subjectId());
      strings(json, "models", rule.models());
      strings(json, "operations", rule.operations().stream().map(Enum::name).sorted().toList());
      strings(json, "backends", new TreeSet<>(rule.backends()));
      json.writeBooleanField("streaming", rule.streaming());
      if (rule.maxOutputTokens().isPresent()) {
        json.writeNumberField("maxOutputTokens", rule.maxOutputTokens().getAsLong());
      } else {
        json.writeNullField("maxOutputTokens");
      }
      json.writeEndObject();
    }
    json.writeEndArray();
    json.writeEndObject();
  }

  private static void anomalies(JsonGenerator json, @Nullable Collection<ConsumerSnapshot> all)
      throws IOException {
    if (all == null) {
      json.writeNullField("anomalies");
      return;
    }
    json.writeArrayFieldStart("anomalies");
    for (ConsumerSnapshot c : all) {
      json.writeStartObject();
      json.writeStringField("consumer", c.consumer());
      json.writeStringField("state", c.state().name());
      instant(json, "since", c.since());
      instant(json, "until", c.until());
      json.writeStringField("reason", c.reason());
      json.writeBooleanField("manual", c.manual());
      instant(json, "lastSeen", c.lastSeen());
      json.writeObjectFieldStart("signals");
      for (var signal : c.signals().entrySet()) {
        SignalReading reading = signal.getValue();
        json.writeObjectFieldStart(signal.getKey().name());
        number(json, "recent", reading.recent());
        number(json, "baseline", reading.baseline());
        number(json, "deviation", reading.deviation());
        json.writeNumberField("samples", reading.samples());
        json.writeEndObject();
      }
      json.writeEndObject();
      json.writeEndObject();
    }
    json.writeEndArray();
  }

  private static void caches(JsonGenerator json, GatewayInventory.@Nullable Caches caches)
      throws IOException {
    if (caches == null) {
      json.writeNullField("caches");
      return;
    }
    json.writeObjectFieldStart("caches");
    json.writeBooleanField("exact", caches.exact());
    json.writeStringField("store", caches.store());
    count(json, "entries", caches.entries());
    GatewayInventory.SemanticEntry semantic = caches.semantic();
    if (semantic == null) {
      json.writeNullField("semantic");
    } else {
      json.writeObjectFieldStart("semantic");
      number(json, "threshold", semantic.threshold());
      json.writeStringField("embeddingModel", semantic.embeddingModel());
      json.writeStringField("vectorStore", semantic.vectorStore());
      count(json, "entries", semantic.entries());
      json.writeEndObject();
    }
    json.writeEndObject();
  }

  private static void contentSafety(JsonGenerator json, ContentSafety.@Nullable Summary safety)
      throws IOException {
    if (safety == null) {
      json.writeNullField("contentSafety");
      return;
    }
    json.writeObjectFieldStart("contentSafety");
    json.writeNumberField("maxPromptTokens", safety.maxPromptTokens());
    json.writeNumberField("maxMessages", safety.maxMessages());
    json.writeArrayFieldStart("checks");
    for (ContentSafety.Check check : safety.checks()) {
      json.writeStartObject();
      json.writeStringField("name", check.name());
      json.writeStringField("reads", check.reads());
      json.writeStringField("action", check.action().name());
      json.writeEndObject();
    }
    json.writeEndArray();
    json.writeStringField("checkTimeout", safety.checkTimeout().toString());
    json.writeBooleanField("failClosed", safety.failClosed());
    json.writeNumberField("answerWindowChars", safety.answerWindowChars());
    json.writeEndObject();
  }

  // ---------------------------------------------------------------- helpers

  private static void instant(JsonGenerator json, String name, @Nullable Instant at)
      throws IOException {
    json.writeStringField(name, at == null ? null : at.toString());
  }

  private static void count(JsonGenerator json, String name, @Nullable Long count)
      throws IOException {
    if (count == null) {
      json.writeNullField(name);
    } else {
      json.writeNumberField(name, count);
    }
  }

  private static void number(JsonGenerator json, String name, double value) throws IOException {
    if (Double.isFinite(value)) {
      json.writeNumberField(name, value);
    } else {
      json.writeNullField(name); // JSON has no NaN
    }
  }

  private static void strings(JsonGenerator json, String name, Collection<String> values)
      throws IOException {
    json.writeArrayFieldStart(name);
    for (String value : values) {
      json.writeString(value);
    }
    json.writeEndArray();
  }

  /**
   * How deep a contributed section's value may nest (records, maps, lists, arrays): far more than
   * any catalogue needs, few enough that writing it never runs a thread out of stack.
   */
  static final int MAX_SECTION_DEPTH = 64;

  /**
   * A contributed section's value written now, into tokens the document replays: the check that it
   * is made only of what {@link #value} writes, holds no container inside itself and nests at most
   * {@link #MAX_SECTION_DEPTH} deep, and the document's copy of it, so that the document is the
   * section as read (not as its live state is when the document is written) and a section that
   * cannot be written fails when it is read, not half-way through a document.
   *
   * @throws IllegalArgumentException when it cannot be written
   */
  static TokenBuffer written(@Nullable Object value) {
    TokenBuffer tokens = new TokenBuffer(Json.MAPPER, false);
    try {
      value(tokens, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return tokens;
  }

  /** A contributed section's value: records, maps, collections, arrays of objects and scalars. */
  private static void value(JsonGenerator json, @Nullable Object value) throws IOException {
    value(json, value, Collections.newSetFromMap(new IdentityHashMap<>()));
  }

  /**
   * Writes {@code value}; {@code enclosing} holds the containers it is nested in, so that one
   * holding itself (directly or through others) is refused rather than written without end.
   */
  private static void value(JsonGenerator json, @Nullable Object value, Set<Object> enclosing)
      throws IOException {
    if (value == null) {
      json.writeNull();
    } else if (value instanceof CharSequence s) {
      json.writeString(s.toString());
    } else if (value instanceof Boolean b) {
      json.writeBoolean(b);
    } else if (value instanceof Long
        || value instanceof Integer
        || value instanceof Short
        || value instanceof Byte) {
      json.writeNumber(((Number) value).longValue());
    } else if (value instanceof BigInteger n) {
      json.writeNumber(n);
    } else if (value instanceof BigDecimal n) {
      json.writeNumber(n);
    } else if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (Double.isFinite(d)) {
        json.writeNumber(d);
      } else {
        json.writeNull();
      }
    } else if (value instanceof Enum<?> e) {
      json.writeString(e.name());
    } else if (value instanceof Instant || value instanceof Duration) {
      json.writeString(value.toString());
    } else if (value instanceof Map<?, ?>
        || value instanceof Iterable<?>
        || value instanceof Object[]
        || value instanceof Record) {
      enter(enclosing, value);
      container(json, value, enclosing);
      enclosing.remove(value);
    } else {
      throw new IllegalArgumentException(
          "an inventory section holds a "
              + value.getClass().getName()
              + ", which it cannot write; give records, maps, lists, strings, numbers, booleans,"
              + " enums, instants or durations");
    }
  }

  private static void enter(Set<Object> enclosing, Object container) {
    if (enclosing.size() >= MAX_SECTION_DEPTH) {
      throw new IllegalArgumentException(
          "an inventory section nests deeper than "
              + MAX_SECTION_DEPTH
              + " levels (at a "
              + container.getClass().getName()
              + ")");
    }
    if (!enclosing.add(container)) {
      throw new IllegalArgumentException(
          "an inventory section holds a "
              + container.getClass().getName()
              + " inside itself, which it cannot write");
    }
  }

  private static void container(JsonGenerator json, Object value, Set<Object> enclosing)
      throws IOException {
    if (value instanceof Map<?, ?> map) {
      json.writeStartObject();
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        json.writeFieldName(String.valueOf(entry.getKey()));
        value(json, entry.getValue(), enclosing);
      }
      json.writeEndObject();
    } else if (value instanceof Iterable<?> items) {
      json.writeStartArray();
      for (Object item : items) {
        value(json, item, enclosing);
      }
      json.writeEndArray();
    } else if (value instanceof Object[] items) {
      json.writeStartArray();
      for (Object item : items) {
        value(json, item, enclosing);
      }
      json.writeEndArray();
    } else {
      Record record = (Record) value;
      json.writeStartObject();
      for (RecordComponent component : record.getClass().getRecordComponents()) {
        json.writeFieldName(component.getName());
        value(json, component(record, component), enclosing);
      }
      json.writeEndObject();
    }
  }

  private static @Nullable Object component(Record record, RecordComponent component) {
    try {
      var accessor = component.getAccessor();
      accessor.trySetAccessible();
      return accessor.invoke(record);
    } catch (IllegalAccessException e) {
      throw new IllegalArgumentException(
          "the accessor of " + component + " of an inventory section is not accessible", e);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException(
          "the accessor of " + component + " of an inventory section failed", e.getCause());
    }
  }
}
