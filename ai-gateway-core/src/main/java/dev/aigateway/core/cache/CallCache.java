package dev.aigateway.core.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.CacheControl;
import dev.aigateway.api.CacheInfo;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.Operation;
import dev.aigateway.api.SemanticHitGuard;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.VectorMatch;
import dev.aigateway.core.pipeline.StageFailures;
import dev.aigateway.core.wire.AzureApiVersions;
import dev.aigateway.core.wire.Replayed;
import dev.aigateway.core.wire.WireFormat;
import dev.aigateway.core.wire.WireRequest;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The response cache's part of one governed call: the lookup before it is sent, and storing its
 * answer after. Records the outcome for the call's event. Not thread-safe: one call drives it
 * (storing may run on the thread that finishes reading the body, after the lookup's thread is done
 * with it).
 *
 * <p>A store that fails, an embedding model that fails or an answer that cannot be replayed make
 * the call a miss; they are logged without content and never fail the call. A part that may block
 * (see {@link CachePart}) is waited for until the lookup's deadline ({@link ResponseCache#timeout}
 * after it began) at most, and storing in one is handed to its threads, never waited for.
 */
public final class CallCache {

  private static final Logger log = LoggerFactory.getLogger(CallCache.class);

  /** Partition used when the vary-by resolver yields nothing. */
  public static final String UNKNOWN_PARTITION = "unknown";

  private final ResponseCache config;
  private final WireRequest request;
  private final long callId;
  private final String partition;
  private final String model;
  private final CacheControl control;
  private CacheOutcome outcome = CacheOutcome.MISS;

  /**
   * The vector store is asked for the nearest prompts at any similarity, so that a miss reports the
   * best score found below the threshold (users tune the threshold from their own traffic).
   */
  private static final double ANY_SIMILARITY = -1.0;

  /**
   * How far below the threshold a score may come out and still reach it: a cosine computed in
   * floats is rounded (a unit vector of 384 dimensions scores up to 2.4e-7 away from 1 with
   * itself), so {@code threshold(1)} would otherwise miss the very same prompt about one time in
   * five.
   */
  static final double SCORE_ROUNDING = 1e-6;

  private double score = Double.NaN;
  private @Nullable String guardObjection;
  private @Nullable String semanticSkip;
  private long tokensSaved;
  private String key;
  private boolean keyFailed;

  /** Whether the last {@link #get} failed, rather than found nothing. */
  private boolean readFailed;

  /** The first part that failed the lookup ({@link CacheInfo#failure()}), or null. */
  private @Nullable String failure;

  /**
   * When the lookup stops waiting for parts called on their own threads ({@link System#nanoTime()}
   * ); far away when every part is called on the calling thread.
   */
  private long deadline = Long.MAX_VALUE;

  /** What the model answers for a prompt it would not read whole (not a vector). */
  private static final float[] NOT_READ_WHOLE = new float[0];

  private SemanticPrompt prompt;
  private String semanticPartition;
  private float[] vector;

  /**
   * Whether the prompt was looked at for embedding already: a call embeds once, so a model that
   * failed (or timed out) at the lookup is not asked again on the thread that reads the answer's
   * end.
   */
  private boolean embedTried;

  /**
   * @param partition the vary-by value (null: {@value #UNKNOWN_PARTITION})
   * @param model the model the call is for, after the pool's traffic split
   */
  public CallCache(
      ResponseCache config,
      WireRequest request,
      long callId,
      @Nullable String partition,
      @Nullable String model) {
    this.config = config;
    this.request = request;
    this.callId = callId;
    this.partition = partition == null || partition.isBlank() ? UNKNOWN_PARTITION : partition;
    this.model = model;
    CacheControl tagged = request.tag(CacheControl.class);
    // Every line of the header: "no-cache" and "no-store" on lines of their own both count.
    String header =
        config.controlHeader() == null ? null : allValues(request, config.controlHeader());
    this.control = CacheControl.parse(header).and(tagged);
    if (control.noCache()) {
      outcome = CacheOutcome.BYPASSED;
    }
  }

  /** A hit: the body to answer with, and what the cached answer had cost. */
  public record Hit(Replayed answer, CachedResponse cached) {}

  /** Looks the call up: exact first, then semantic. Null on a miss (of any kind). */
  public @Nullable Hit lookup() {
    if (control.noCache() || !request.bodyUnderstood()) {
      return null;
    }
    if (config.anyHandedOff()) {
      deadline = System.nanoTime() + config.timeout().toNanos();
    }
    if (config.exact() && key() != null) {
      CachedResponse cached = get(key);
      if (cached != null) {
        Replayed answer = replay(cached);
        if (answer != null) {
          return hit(CacheOutcome.EXACT_HIT, answer, cached, Double.NaN);
        }
      }
    }
    return config.semantic() == null ? null : semanticLookup(config.semantic());
  }

  private Hit semanticLookup(SemanticCache semantic) {
    if (!embed(semantic)) {
      return null;
    }
    List<VectorMatch> matches;
    try {
      String space = semanticPartition;
      float[] query = vector;
      matches =
          config
              .vectorPart()
              .call(
                  () ->
                      semantic
                          .vectorStore()
                          .nearest(space, query, semantic.candidates(), ANY_SIMILARITY),
                  deadline);
      if (matches == null) {
        throw new IllegalStateException("the vector store answered null");
      }
    } catch (Exception | Error e) {
      StageFailures.rethrowIfFatal(e);
      failed(e, CacheInfo.VECTOR_STORE_TIMEOUT, CacheInfo.VECTOR_STORE_FAILED);
      log.warn(
          "ai-gateway: vector store failed on call {}; treating it as a miss: {}", callId, why(e));
      return null;
    }
    if (!matches.isEmpty()) {
      score = matches.get(0).score(); // best first: a miss reports how close it came
    }
    for (VectorMatch match : matches) {
      if (Double.isNaN(match.score())) {
        continue; // a store's NaN is no similarity, so never one of at least the threshold
      }
      if (match.score() < semantic.threshold() - SCORE_ROUNDING) {
        break;
      }
      Optional<String> objection =
          objection(semantic.guard(), match.text(), prompt.text(), match.score());
      if (objection.isPresent()) {
        if (guardObjection == null) {
          guardObjection = objection.get();
          score = match.score();
          outcome = CacheOutcome.GUARDED_MISS;
        }
        continue;
      }
      CachedResponse cached = get(match.id());
      if (cached == null) {
        if (readFailed) {
          // The store did not answer (logged): the answer may well be there, so its prompt stays,
          // and a store that fails one read is not asked for the other candidates' answers.
          return null;
        }
        cached = removeStaleVector(semantic, match); // its answer expired or was evicted
        if (cached == null) {
          continue;
        }
      }
      Replayed answer = replay(cached);
      if (answer != null) {
        guardObjection = null;
        return hit(CacheOutcome.SEMANTIC_HIT, answer, cached, match.score());
      }
    }
    return null;
  }

  private Optional<String> objection(
      SemanticHitGuard guard, String cached, String incoming, double similarity) {
    try {
      // With the model: the default guard embeds words with it.
      Optional<String> objection =
          config.modelPart().call(() -> guard.objection(cached, incoming, similarity), deadline);
      return objection == null ? Optional.empty() : objection;
    } catch (Exception | Error e) {
      StageFailures.rethrowIfFatal(e);
      failed(e, CacheInfo.GUARD_TIMEOUT, CacheInfo.GUARD_FAILED);
      log.warn(
          "ai-gateway: semantic hit guard {} failed on call {}; not serving the hit: {}",
          guard,
          callId,
          why(e));
      return Optional.of("guard_failed");
    }
  }

  /** Embeds the call's prompt once; false when the call is not for the semantic cache. */
  private boolean embed(SemanticCache semantic) {
    if (vector != null) {
      return true;
    }
    if (semanticSkip != null || embedTried) {
      return false; // once a call: a model that failed is not asked again when storing
    }
    embedTried = true;
    if (prompt == null) {
      prompt = semanticPrompt(semantic);
      if (prompt == null) {
        return false;
      }
    }
    float[] raw;
    try {
      String text = prompt.text();
      raw = config.modelPart().call(() -> embedding(semantic, text), deadline);
    } catch (Exception | Error e) {
      StageFailures.rethrowIfFatal(e);
      failed(e, CacheInfo.EMBEDDING_TIMEOUT, CacheInfo.EMBEDDING_FAILED);
      log.warn(
          "ai-gateway: embedding model {} failed on call {}; treating it as a miss: {}",
          semantic.embeddingModel().name(),
          callId,
          why(e));
      prompt = null;
      return false;
    }
    if (raw == NOT_READ_WHOLE) {
      semanticSkip = CacheInfo.PROMPT_NOT_READ_WHOLE; // its ending would go unread
      prompt = null;
      return false;
    }
    vector = Vectors.normalised(raw);
    if (vector == null) {
      prompt = null;
      return false;
    }
    semanticPartition = semanticPartition(semantic, prompt, vector.length);
    return true;
  }

  /** The call's prompt as the semantic cache embeds it; null when it has none to embed. */
  private @Nullable SemanticPrompt semanticPrompt(SemanticCache semantic) {
    return SemanticPrompt.of(
        request.operation(),
        request.format().semanticBody(request),
        semantic.lastMessages(),
        semantic.maxMessages(),
        semantic.ignoreSystemMessages(),
        config.keyIgnores());
  }

  /**
   * The model's embedding of {@code text}, or {@link #NOT_READ_WHOLE} when the model would not read
   * it whole and such prompts are left out.
   */
  private static float[] embedding(SemanticCache semantic, String text) throws Exception {
    if (!semantic.truncatedPrompts()
        && semantic.embeddingModel().charactersRead(text) < text.length()) {
      return NOT_READ_WHOLE;
    }
    return semantic.embeddingModel().embed(text);
  }

  /** The vector space of the prompt: everything of the call but the embedded text. */
  private String semanticPartition(SemanticCache semantic, SemanticPrompt prompt, int dimensions) {
    return varyingHeaders(
            deployment(
                new CanonicalDigest()
                    .add("partition", partition)
                    .add("embedding-model", semantic.embeddingModel().name())
                    .add("operation", request.format().cacheProtocol())
                    .add("model", model)))
        .add("dimensions", String.valueOf(dimensions))
        .add(prompt.context())
        .key();
  }

  /** Records the first part that failed the lookup: timed out (or busy), or failed. */
  private void failed(Throwable e, String timedOut, String threw) {
    if (failure == null) {
      failure =
          e instanceof java.util.concurrent.TimeoutException || e instanceof CachePart.Busy
              ? timedOut
              : threw;
    }
  }

  /**
   * Why a part failed, for the log: the gateway's own words for a timeout, else the exception's
   * class (a store's message may name its address or credentials).
   */
  private static String why(Throwable e) {
    return e instanceof java.util.concurrent.TimeoutException || e instanceof CachePart.Busy
        ? e.getMessage()
        : e.getClass().getName();
  }

  private Hit hit(CacheOutcome kind, Replayed answer, CachedResponse cached, double similarity) {
    outcome = kind;
    score = similarity;
    tokensSaved = cached.usage().totalTokens();
    return new Hit(answer, cached);
  }

  private Replayed replay(CachedResponse cached) {
    return request.format().replay(cached, request.stream(), request.includeUsageRequested());
  }

  /**
   * The answer stored under {@code entryKey}, or null: when there is none, and when the store
   * failed to answer ({@link #readFailed} then tells which).
   */
  private CachedResponse get(String entryKey) {
    readFailed = false;
    try {
      CachePart part = config.storePart();
      // The in-memory store is read here and now: a hit pays for no task and no hand-off.
      return (part.direct()
              ? config.store().get(partition, entryKey)
              : part.call(() -> config.store().get(partition, entryKey), deadline))
          .orElse(null);
    } catch (Exception | Error e) {
      StageFailures.rethrowIfFatal(e);
      readFailed = true;
      failed(e, CacheInfo.STORE_TIMEOUT, CacheInfo.STORE_FAILED);
      log.warn(
          "ai-gateway: response cache store failed on call {}; treating it as a miss: {}",
          callId,
          why(e));
      return null;
    }
  }

  /**
   * Removes the vector of a match whose answer is gone (expired or evicted). A call of the same
   * prompt may have stored a fresh answer and added its vector between the read that found the
   * answer gone and this removal, which would then take the fresh vector away: so the answer is
   * read again after the removal, and when one is there now its prompt goes back into the vector
   * store (embedded again: the same text gives the same vector) and the answer is returned, to
   * serve this call. Null when the answer is still gone (or the read failed).
   */
  private @Nullable CachedResponse removeStaleVector(SemanticCache semantic, VectorMatch match) {
    removeVector(semantic, match.id());
    CachedResponse stored = get(match.id());
    if (stored == null) {
      return null;
    }
    try {
      float[] again =
          Vectors.normalised(
              config
                  .modelPart()
                  .call(() -> semantic.embeddingModel().embed(match.text()), deadline));
      if (again != null) {
        String space = semanticPartition;
        config
            .vectorPart()
            .call(
                () -> {
                  semantic.vectorStore().add(space, match.id(), again, match.text());
                  return null;
                },
                deadline);
      }
    } catch (Exception | Error e) {
      StageFailures.rethrowIfFatal(e);
      log.warn(
          "ai-gateway: could not put back the prompt of an answer stored meanwhile on call {}: {}",
          callId,
          why(e));
    }
    return stored;
  }

  private void removeVector(SemanticCache semantic, String id) {
    try {
      String space = semanticPartition;
      config
          .vectorPart()
          .call(
              () -> {
                semantic.vectorStore().remove(space, id);
                return null;
              },
              deadline);
    } catch (Exception | Error e) {
      StageFailures.rethrowIfFatal(e);
      log.debug("ai-gateway: vector store could not remove a stale entry: {}", why(e));
    }
  }

  /** The exact key, computed once; null when the body cannot be keyed. */
  private String key() {
    if (key == null && !keyFailed) {
      ObjectNode body = request.body();
      if (body == null) {
        keyFailed = true;
        return null;
      }
      key =
          varyingHeaders(
                  deployment(
                      new CanonicalDigest()
                          .add("operation", request.format().cacheProtocol())
                          .add("model", model)))
              .addMembers(body, config.keyIgnores(), "model") // the model is keyed above
              .key();
    }
    return key;
  }

  /**
   * Adds the Azure deployment the path names, when it names one: the deployment answers the call
   * whatever model the body names, so two deployments never share an answer; and the {@code
   * api-version} the query names, when it names one. Nothing is added otherwise, so keys of calls
   * without them stay as they were.
   */
  private CanonicalDigest deployment(CanonicalDigest digest) {
    String deployment = request.deployment();
    if (deployment != null) {
      digest.add("deployment", deployment);
    }
    // Azure's api-version chooses what the service answers (its fields and features): two
    // versions never share an answer. Only Azure's URLs carry one, so other keys stay as they were.
    String apiVersion = AzureApiVersions.of(request.url());
    return apiVersion == null ? digest : digest.add("api-version", apiVersion);
  }

  /**
   * Adds the request headers the call's format answers by besides its body ({@link
   * dev.aigateway.core.wire.WireFormat#cacheHeaders}), those the call has: a Bedrock InvokeModel
   * call asked under a guardrail never shares an answer with one asked without it (or under
   * another). Nothing is added for a header the call does not have, so other keys stay as they
   * were.
   */
  private CanonicalDigest varyingHeaders(CanonicalDigest digest) {
    List<String> headers = request.format().cacheHeaders();
    for (int i = 0; i < headers.size(); i++) {
      String name = headers.get(i);
      // Every line: a feature asked for on a header line of its own changes the answer too.
      String value = allValues(request, name);
      if (value != null) {
        digest.add(name, value);
      }
    }
    return digest;
  }

  /**
   * A header's values, its lines joined by commas as HTTP reads them (one line's value as it is),
   * or null when the request does not have it.
   */
  private static @Nullable String allValues(WireRequest request, String name) {
    List<String> values = request.headers(name);
    return switch (values.size()) {
      case 0 -> null;
      case 1 -> values.get(0);
      default -> String.join(", ", values);
    };
  }

  /**
   * Whether a 200 answer to this call should be kept: not {@code no-store}, the body was understood
   * and the store rule holds.
   */
  public boolean storable() {
    if (control.noStore() || !request.bodyUnderstood() || key() == null) {
      return false;
    }
    try {
      return config.storeIf().test(request);
    } catch (RuntimeException e) {
      log.warn(
          "ai-gateway: cache store rule failed on call {}; not storing: {}", callId, e.toString());
      return false;
    }
  }

  /**
   * Stores the call's complete answer (and, for the semantic cache, its prompt vector), unless it
   * failed all the same: the provider's content filter cut it off, or the model's failure ended it
   * ({@link dev.aigateway.core.wire.WireFormat#failedAnswer}); an answer whose body reports an
   * error never comes here ({@code CacheStage} leaves it out).
   *
   * @param stream whether {@code body} is an event stream
   * @param body the backend's bytes, whole
   * @param responseModel the model that answered, or null
   * @param usage what the call used
   * @param now the time of storing
   */
  public void store(
      boolean stream, byte[] body, @Nullable String responseModel, Usage usage, Instant now) {
    if (failedAnswer(stream, body)) {
      return; // a 200 the content filter cut off, or the model failed, is no answer to give again
    }
    if (stream) {
      body = endingEvent(body);
    }
    CachedResponse cached =
        new CachedResponse(
            stream ? CachedResponse.Format.SSE : CachedResponse.Format.JSON,
            body,
            responseModel,
            usage,
            now);
    SemanticCache semantic = config.semantic();
    Runnable then = null;
    if (semantic != null) {
      if (vector == null && config.modelPart().direct()) {
        embed(semantic); // the lookup did not (no-cache): a model of the calling thread embeds now
      }
      if (vector != null) {
        then = addVector(semantic, semanticPartition, vector, prompt.text());
      } else if (!embedTried && semanticSkip == null) {
        then = embedThenAdd(semantic); // on the model's threads, after the answer is stored
      }
    }
    // Nothing of this call's state is used by the writes: they may run after its event.
    String entryPartition = partition;
    String entryKey = key;
    long id = callId;
    Runnable next = then;
    config
        .storePart()
        .write(
            () -> {
              try {
                config.store().put(entryPartition, entryKey, cached);
              } catch (RuntimeException | Error e) {
                StageFailures.rethrowIfFatal(e);
                log.warn(
                    "ai-gateway: response cache store failed to store call {}: {}",
                    id,
                    e.getClass().getName());
                return;
              }
              if (next != null) {
                next.run();
              }
            });
  }

  /** Adds the call's prompt vector to the vector store (on its threads, when it has its own). */
  private Runnable addVector(SemanticCache semantic, String space, float[] v, String text) {
    String entryKey = key;
    long id = callId;
    return () ->
        config
            .vectorPart()
            .write(
                () -> {
                  try {
                    semantic.vectorStore().add(space, entryKey, v, text);
                  } catch (RuntimeException | Error e) {
                    StageFailures.rethrowIfFatal(e);
                    log.warn(
                        "ai-gateway: vector store failed to store call {}: {}",
                        id,
                        e.getClass().getName());
                  }
                });
  }

  /**
   * Embeds the call's prompt on the model's threads, then adds it to the vector store: for a call
   * the lookup did not embed (no-cache) when the model has threads of its own. Null when the call
   * is not for the semantic cache.
   */
  private @Nullable Runnable embedThenAdd(SemanticCache semantic) {
    SemanticPrompt text = semanticPrompt(semantic);
    if (text == null) {
      return null;
    }
    long id = callId;
    return () ->
        config
            .modelPart()
            .write(
                () -> {
                  float[] v;
                  try {
                    v = Vectors.normalised(embedding(semantic, text.text()));
                  } catch (Exception | Error e) {
                    StageFailures.rethrowIfFatal(e);
                    log.warn(
                        "ai-gateway: embedding model {} failed on call {}; its prompt is not"
                            + " cached semantically: {}",
                        semantic.embeddingModel().name(),
                        id,
                        e.getClass().getName());
                    return;
                  }
                  if (v == null || v.length == 0) {
                    return; // no vector, or a prompt the model does not read whole
                  }
                  addVector(semantic, semanticPartition(semantic, text, v.length), v, text.text())
                      .run();
                });
  }

  /**
   * Whether the format finds the answer cut off, not saying that each of its answers finished, or a
   * stream's event, element or frame not well-formed; a check that throws counts as one.
   */
  private boolean failedAnswer(boolean stream, byte[] body) {
    try {
      if (request.format().failedAnswer(request, body, stream)) {
        log.debug(
            "ai-gateway: call {} answered 200 with an answer that failed (cut off by a content"
                + " filter, or ended by the model's failure); not storing",
            callId);
      } else {
        WireFormat.AnswerDefect defect = request.format().answerDefect(body, stream);
        if (defect == null) {
          return false;
        }
        log.debug(
            defect == WireFormat.AnswerDefect.UNFINISHED
                ? "ai-gateway: call {} answered with an answer that did not say it finished (a"
                    + " choice without its finish reason); not storing"
                : "ai-gateway: call {} answered with an event, element or frame that is not"
                    + " well-formed; not storing",
            callId);
      }
    } catch (RuntimeException e) {
      log.warn(
          "ai-gateway: reading call {}'s answer before storing failed; not storing: {}",
          callId,
          e.toString());
    }
    return true;
  }

  /**
   * A stream read up to its end marker may lack the blank line after it (the application closed the
   * body there): complete it, so a replay ends with a whole event.
   */
  private static byte[] endingEvent(byte[] body) {
    int n = body.length;
    if (n >= 2 && body[n - 1] == '\n' && (body[n - 2] == '\n' || body[n - 2] == '\r')) {
      return body;
    }
    byte[] ending = n >= 1 && body[n - 1] == '\n' ? new byte[] {'\n'} : new byte[] {'\n', '\n'};
    byte[] whole = java.util.Arrays.copyOf(body, n + ending.length);
    System.arraycopy(ending, 0, whole, n, ending.length);
    return whole;
  }

  /**
   * The largest body worth keeping a copy of while it passes: the lower of the cache's bound and
   * its store's.
   */
  public int maximumEntryBytes() {
    return config.keptBodyBytes();
  }

  public CacheOutcome outcome() {
    return outcome;
  }

  public double score() {
    return score;
  }

  public @Nullable String guardObjection() {
    return guardObjection;
  }

  /**
   * Why the semantic cache neither looked this call up nor stored its prompt ({@link
   * CacheInfo#PROMPT_NOT_READ_WHOLE}), or null.
   */
  public @Nullable String semanticSkip() {
    return semanticSkip;
  }

  /** The first part that failed the lookup ({@link CacheInfo#failure()}), or null. */
  public @Nullable String failure() {
    return failure;
  }

  public long tokensSaved() {
    return tokensSaved;
  }

  /** The value of the outcome response header. */
  public String headerValue() {
    return outcome.label();
  }

  /**
   * Whether the call is answered from state the server keeps and changes with every call, so that
   * the cache takes no part in it (no lookup, no store): a Responses API call naming a {@code
   * conversation}, whose items the server puts before the call's input and adds its turn to. The
   * same body a turn later asks about a longer conversation, and an answer from the cache would
   * leave the conversation without its turn. ({@code previous_response_id} names a response, which
   * does not change: such calls are cached as any other.)
   */
  public static boolean answeredFromServerState(WireRequest request) {
    if (request.operation() != Operation.RESPONSES || !request.bodyUnderstood()) {
      return false;
    }
    ObjectNode body = request.body();
    JsonNode conversation = body == null ? null : body.get("conversation");
    return conversation != null && !conversation.isNull();
  }

  /** Whether the operation is one the cache serves at all. */
  public static boolean serves(Operation operation) {
    return switch (operation) {
      case CHAT_COMPLETIONS, COMPLETIONS, EMBEDDINGS, RESPONSES, MESSAGES, GENERATE_CONTENT -> true;
      case EXECUTE_TOOL, INVOKE_AGENT -> false;
    };
  }
}
