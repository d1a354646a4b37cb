package dev.aigateway.core.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.KeyResolver;
import dev.aigateway.api.LlmRequest;
import dev.aigateway.api.Operation;
import dev.aigateway.api.spi.ResponseCacheStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.wire.WireFormat;
import dev.aigateway.core.wire.WireRequest;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The response cache: answers a repeated call from memory, without calling any backend. Immutable
 * once built; give it to {@link AiGateway.Builder#responseCache}.
 *
 * <pre>{@code
 * ResponseCache cache = ResponseCache.builder()
 *     .varyBy(KeyResolvers.header("x-tenant-id"))         // answers never cross tenants
 *     .store(InMemoryResponseCacheStore.builder()
 *         .maximumBytes(128L << 20).timeToLive(Duration.ofMinutes(30)).build())
 *     .storeIf(ResponseCache.temperatureAtMost(0.0))      // only deterministic calls
 *     .semantic(SemanticCache.builder(MiniLmEmbeddingModel.create()).build())
 *     .build();
 * }</pre>
 *
 * <p><b>Exact cache.</b> The key is a SHA-256 digest of what determines the answer: the operation,
 * the model (after the backend pool's traffic split, or the Azure deployment), the Azure deployment
 * the path names and the {@code api-version} the query names, the request headers the call's
 * protocol answers by (Bedrock InvokeModel's guardrail and trace headers), and the request body in
 * canonical form (object keys sorted, whitespace and number spelling normalised), without the
 * transport-only fields {@code stream}, {@code stream_options} and {@code user} ({@link
 * Builder#keyIgnores}). Entries live in a {@link ResponseCacheStore} under the call's vary-by
 * partition, so one partition never sees another's answers.
 *
 * <p><b>What is stored.</b> Only 200 answers that ended completely (a stream through its end
 * marker, a JSON document whole), of governed calls whose {@link Builder#storeIf rule} holds
 * (default: all) and that did not say {@code no-store}; at most {@link Builder#maximumEntryBytes}
 * each. A stream is stored by keeping a copy of its bytes as they pass to the application, never
 * delaying it.
 *
 * <p><b>Replay.</b> A hit answers in the form the call asks for: a stream ({@code "stream": true})
 * as server-sent events, with the usage chunk only if {@code stream_options.include_usage} asked
 * for it, otherwise JSON; whichever form it was stored from. Chat and text completions convert both
 * ways; the Responses API and embeddings replay only in the form they were stored in (the other
 * form is a miss, and its answer replaces the entry).
 *
 * <p><b>Accounting.</b> A hit settles the call's token reservation to zero by default ({@link
 * Builder#chargeHits}); its event carries the cache outcome and the tokens the hit saved, and a
 * response header ({@value #DEFAULT_OUTCOME_HEADER}) tells the application the outcome.
 *
 * <p><b>Per call.</b> A {@link dev.aigateway.api.CacheControl} tag or the {@value
 * #DEFAULT_CONTROL_HEADER} request header ({@code no-cache}, {@code no-store}) opts a call out; the
 * header is removed before the call is sent, as every gateway-only header is, unless the gateway is
 * built with {@code forwardGatewayHeaders(true)}.
 */
public final class ResponseCache {

  /** Default response header telling the application the cache outcome. */
  public static final String DEFAULT_OUTCOME_HEADER = "x-ai-gateway-cache";

  /** Default request header carrying per-call cache directives. */
  public static final String DEFAULT_CONTROL_HEADER = "x-ai-gateway-cache-control";

  /** Default largest body stored: 1 MiB. */
  public static final int DEFAULT_MAXIMUM_ENTRY_BYTES = 1 << 20;

  /** Default bound on a lookup's wait for the cache's parts: 2 s. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

  /** The longest {@link Builder#timeout} accepted. */
  private static final Duration MAX_TIMEOUT = Duration.ofDays(1);

  /** Body fields the exact key ignores by default: they change the transport, not the answer. */
  public static final Set<String> DEFAULT_KEY_IGNORES = Set.of("stream", "stream_options", "user");

  private final @Nullable KeyResolver varyBy;
  private final ResponseCacheStore store;
  private final Predicate<LlmRequest> storeIf;
  private final Set<String> keyIgnores;
  private final boolean exact;
  private final @Nullable SemanticCache semantic;
  private final boolean chargeHits;
  private final @Nullable String outcomeHeader;
  private final @Nullable String controlHeader;
  private final int maximumEntryBytes;

  /** The longest body a call keeps a copy of: the lower of the cache's bound and its store's. */
  private final int keptBodyBytes;

  private final Duration timeout;

  /** How the store is called: on the calling thread, or on threads of its own. */
  private final CachePart storePart;

  /** How the vector store is called; null without a semantic cache. */
  private final @Nullable CachePart vectorPart;

  /**
   * How the embedding model (and the false-hit guard, which embeds words with it) is called; null
   * without a semantic cache.
   */
  private final @Nullable CachePart modelPart;

  private ResponseCache(Builder b) {
    this.varyBy = b.varyBy;
    this.store = b.store != null ? b.store : InMemoryResponseCacheStore.create();
    this.storeIf = b.storeIf;
    this.keyIgnores = Set.copyOf(b.keyIgnores);
    this.exact = b.exact;
    this.semantic = b.semantic;
    this.chargeHits = b.chargeHits;
    this.outcomeHeader = b.outcomeHeader;
    this.controlHeader = b.controlHeader;
    this.maximumEntryBytes = b.maximumEntryBytes;
    int storeBound = store.maximumBodyBytes();
    if (storeBound < 0) {
      throw new IllegalArgumentException(
          "the response cache store "
              + store
              + " states a negative maximumBodyBytes: "
              + storeBound);
    }
    this.keptBodyBytes = Math.min(maximumEntryBytes, storeBound);
    this.timeout = b.timeout;
    this.storePart =
        CachePart.of(
            "response cache store",
            CachePart.direct(
                store instanceof InMemoryResponseCacheStore, store.callTimeout(), timeout));
    if (semantic == null) {
      this.vectorPart = null;
      this.modelPart = null;
    } else {
      this.vectorPart =
          CachePart.of(
              "vector store",
              CachePart.direct(
                  semantic.vectorStore() instanceof InMemoryVectorStore,
                  semantic.vectorStore().callTimeout(),
                  timeout));
      this.modelPart =
          CachePart.of(
              "embedding model",
              CachePart.direct(false, semantic.embeddingModel().callTimeout(), timeout));
    }
  }

  /** A builder, starting from the defaults (exact cache only, per consumer). */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A store rule: calls whose temperature is at most {@code max}, read where the call's protocol
   * sets it: the body's top-level {@code temperature} (OpenAI, Anthropic, Bedrock InvokeModel's
   * Anthropic, Meta and Mistral models), Gemini's {@code generationConfig.temperature}, Bedrock
   * Converse's (and Amazon Nova's) {@code inferenceConfig.temperature}, Amazon Titan's {@code
   * textGenerationConfig.temperature}. A call without a temperature counts as the OpenAI default,
   * 1.0; an embeddings call, which samples nothing (the same input gives the same vectors), counts
   * as 0.
   */
  public static Predicate<LlmRequest> temperatureAtMost(double max) {
    return request -> {
      if (request.operation() == Operation.EMBEDDINGS) {
        return 0 <= max;
      }
      Object temperature =
          request instanceof WireRequest wire
              ? temperature(wire)
              : request.parameter("temperature");
      double value = temperature instanceof Number n ? n.doubleValue() : 1.0;
      return value <= max;
    };
  }

  /** The first number at one of the call's format's {@link WireFormat#temperatureFields()}. */
  private static @Nullable Number temperature(WireRequest request) {
    ObjectNode body = request.body();
    if (body == null) {
      return null;
    }
    for (String pointer : request.format().temperatureFields()) {
      JsonNode value = body.at(pointer);
      if (value.isNumber()) {
        return value.numberValue();
      }
    }
    return null;
  }

  /** The partition resolver, or null to partition by consumer. */
  public @Nullable KeyResolver varyBy() {
    return varyBy;
  }

  public ResponseCacheStore store() {
    return store;
  }

  public Predicate<LlmRequest> storeIf() {
    return storeIf;
  }

  public Set<String> keyIgnores() {
    return keyIgnores;
  }

  /** Whether exact lookups are made (storing happens whenever any lookup is configured). */
  public boolean exact() {
    return exact;
  }

  /** The semantic cache, or null. */
  public @Nullable SemanticCache semantic() {
    return semantic;
  }

  /** Whether a hit is charged the tokens its answer originally cost (default: refunded). */
  public boolean chargeHits() {
    return chargeHits;
  }

  /** The outcome response header name, or null when none is added. */
  public @Nullable String outcomeHeader() {
    return outcomeHeader;
  }

  /** The per-call directive request header name, or null when only tags are read. */
  public @Nullable String controlHeader() {
    return controlHeader;
  }

  /**
   * The largest answer body stored, as configured ({@link Builder#maximumEntryBytes}); the store
   * may bound its entries lower ({@link ResponseCacheStore#maximumBodyBytes()}), and then a call
   * stops keeping a copy of its answer at the store's bound.
   */
  public int maximumEntryBytes() {
    return maximumEntryBytes;
  }

  /** The longest answer body a call keeps a copy of: the lower of the cache's and the store's. */
  int keptBodyBytes() {
    return keptBodyBytes;
  }

  /** How long a lookup waits for the cache's parts before the call goes on as a miss. */
  public Duration timeout() {
    return timeout;
  }

  CachePart storePart() {
    return storePart;
  }

  CachePart vectorPart() {
    return vectorPart;
  }

  CachePart modelPart() {
    return modelPart;
  }

  /** Whether any part is called on threads of its own, so that lookups keep a deadline. */
  boolean anyHandedOff() {
    return !storePart.direct()
        || (vectorPart != null && !vectorPart.direct())
        || (modelPart != null && !modelPart.direct());
  }

  @Override
  public String toString() {
    return "ResponseCache[exact="
        + exact
        + ", semantic="
        + semantic
        + ", store="
        + store
        + ", keyIgnores="
        + keyIgnores
        + ", chargeHits="
        + chargeHits
        + "]";
  }

  /** Configures a {@link ResponseCache}. Not thread-safe; {@link #build()} copies it. */
  public static final class Builder {
    private @Nullable KeyResolver varyBy;
    private ResponseCacheStore store;
    private Predicate<LlmRequest> storeIf = request -> true;
    private final Set<String> keyIgnores = new LinkedHashSet<>(DEFAULT_KEY_IGNORES);
    private boolean exact = true;
    private @Nullable SemanticCache semantic;
    private boolean chargeHits;
    private @Nullable String outcomeHeader = DEFAULT_OUTCOME_HEADER;
    private @Nullable String controlHeader = DEFAULT_CONTROL_HEADER;
    private int maximumEntryBytes = DEFAULT_MAXIMUM_ENTRY_BYTES;
    private Duration timeout = DEFAULT_TIMEOUT;

    private Builder() {}

    /**
     * What partitions the cache: a call only ever sees answers stored under the same value (a
     * tenant, a consumer, a user...). Default: the call's consumer. A resolver that yields nothing
     * puts the call in the partition {@code "unknown"}; a call whose resolver throws is neither
     * answered from the cache nor stored in it (no partition is known).
     */
    public Builder varyBy(KeyResolver varyBy) {
      this.varyBy = Objects.requireNonNull(varyBy, "varyBy");
      return this;
    }

    /** Where answers are kept. Default: an {@link InMemoryResponseCacheStore} with its defaults. */
    public Builder store(ResponseCacheStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * Which calls' answers may be stored. Default: every governed call (a 200 that ended
     * completely). {@link #temperatureAtMost(double)} keeps only deterministic ones.
     */
    public Builder storeIf(Predicate<LlmRequest> rule) {
      this.storeIf = Objects.requireNonNull(rule, "rule");
      return this;
    }

    /**
     * Replaces the top-level body fields the exact key ignores (default {@code stream}, {@code
     * stream_options}, {@code user}). Leave {@code user} out of the set to cache per end user.
     */
    public Builder keyIgnores(Set<String> fields) {
      Objects.requireNonNull(fields, "fields");
      for (String field : fields) {
        if (field == null || field.isBlank()) {
          throw new IllegalArgumentException("keyIgnores holds a blank field name: " + fields);
        }
      }
      keyIgnores.clear();
      keyIgnores.addAll(fields);
      return this;
    }

    /** Whether exact lookups are made (default true); off leaves only the semantic cache. */
    public Builder exact(boolean exact) {
      this.exact = exact;
      return this;
    }

    /** Adds semantic lookups after the exact one. */
    public Builder semantic(SemanticCache semantic) {
      this.semantic = Objects.requireNonNull(semantic, "semantic");
      return this;
    }

    /** Adds semantic lookups after the exact one. */
    public Builder semantic(SemanticCache.Builder semantic) {
      return semantic(semantic.build());
    }

    /**
     * Whether a hit is charged against token limits with the tokens its answer originally cost
     * (true), or refunded (false, the default: a hit used no backend tokens).
     */
    public Builder chargeHits(boolean charge) {
      this.chargeHits = charge;
      return this;
    }

    /**
     * The response header telling the outcome (default {@value
     * ResponseCache#DEFAULT_OUTCOME_HEADER}); null adds none.
     */
    public Builder outcomeHeader(@Nullable String name) {
      this.outcomeHeader = headerName(name, "outcomeHeader");
      return this;
    }

    /**
     * The request header with per-call directives (default {@value
     * ResponseCache#DEFAULT_CONTROL_HEADER}); null reads tags only. It is removed before the call
     * is sent unless the gateway forwards its gateway-only headers ({@code
     * AiGateway.Builder.forwardGatewayHeaders(true)}).
     */
    public Builder controlHeader(@Nullable String name) {
      this.controlHeader = headerName(name, "controlHeader");
      return this;
    }

    /**
     * The largest answer body stored (default 1 MiB, positive); larger ones pass, uncached. A store
     * that bounds its entries lower ({@link ResponseCacheStore#maximumBodyBytes()}) holds: a call
     * keeps a copy of its answer up to the lower of the two.
     */
    public Builder maximumEntryBytes(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maximumEntryBytes must be positive: " + bytes);
      }
      this.maximumEntryBytes = bytes;
      return this;
    }

    /**
     * How long a call's lookup waits, in all, for the cache's parts that may block: a {@link
     * ResponseCacheStore}, a {@link dev.aigateway.api.spi.VectorStore} or an {@link
     * dev.aigateway.api.spi.EmbeddingModel} other than the built-in in-memory ones (and the
     * false-hit guard, which embeds words with the model). Default {@link #DEFAULT_TIMEOUT}, 2 s. A
     * lookup that has not answered by then is a miss: the call goes on to the backend and its
     * event's {@link dev.aigateway.api.CacheInfo#failure()} says which part timed out.
     *
     * <p>Such parts are called on threads the cache keeps for each of them ({@value
     * CachePart#MAX_THREADS} at most per part, created on demand): a part that hangs holds at most
     * that many, and while it holds them all its lookups are misses at once, while the other parts
     * and the rest of the gateway keep their threads. A part that bounds its own calls within this
     * timeout ({@code callTimeout()}: the Redis stores return their command timeout), and the
     * in-memory ones, are called on the calling thread, without a hand-off. Storing an answer in a
     * part called on its own threads never holds the application's read of the answer: it is handed
     * to those threads (at most {@value CachePart#MAX_PENDING_WRITES} writes wait for a free one;
     * beyond that a write is dropped and logged), so a call made right after may not find it yet.
     *
     * @throws IllegalArgumentException when not positive, or longer than one day
     */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
        throw new IllegalArgumentException(
            "the response cache's timeout must be positive and at most "
                + MAX_TIMEOUT
                + " but was "
                + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    public ResponseCache build() {
      if (!exact && semantic == null) {
        throw new IllegalStateException(
            "exact(false) needs semantic(...): a cache with no lookup would only store");
      }
      return new ResponseCache(this);
    }

    private static @Nullable String headerName(@Nullable String name, String what) {
      if (name == null) {
        return null;
      }
      if (name.isBlank() || !name.chars().allMatch(c -> c > 32 && c < 127 && c != ':')) {
        throw new IllegalArgumentException(what + " is not a valid header name: '" + name + "'");
      }
      return name.toLowerCase(Locale.ROOT);
    }
  }
}
