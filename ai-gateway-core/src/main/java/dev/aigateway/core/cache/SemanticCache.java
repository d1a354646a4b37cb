package dev.aigateway.core.cache;

import dev.aigateway.api.SemanticHitGuard;
import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.api.spi.VectorStore;
import java.util.Objects;

/**
 * The semantic part of the {@link ResponseCache}: answers a call whose prompt means the same as a
 * cached one, worded differently. Immutable once built.
 *
 * <pre>{@code
 * SemanticCache semantic = SemanticCache.builder(MiniLmEmbeddingModel.create())
 *     .threshold(0.90)            // cosine similarity needed for a hit
 *     .lastMessages(1)            // embed the last user/assistant message
 *     .maxMessages(10)            // longer conversations skip the semantic cache
 *     .build();
 * }</pre>
 *
 * <p>How a lookup goes (after an exact miss): the last {@link Builder#lastMessages N} messages of
 * the conversation (system messages left out unless {@link Builder#ignoreSystemMessages} is off),
 * or the prompt or input text, are embedded with the {@link EmbeddingModel}. Everything else that
 * determines the answer (model, sampling parameters, tools, response format, the earlier messages,
 * the system messages) must be identical: it is digested into the vector partition, together with
 * the vary-by value and the model's name. The nearest cached prompts in that partition with a
 * similarity of at least the threshold are offered to the {@link SemanticHitGuard}, best first; the
 * first it does not object to is served. When it objected to all, the call is a guarded miss.
 *
 * <p>Calls with non-text content (images, audio, files), calls with more than {@link
 * Builder#maxMessages} messages and, unless {@link Builder#truncatedPrompts} is on, calls whose
 * embedded text is longer than the embedding model reads ({@link EmbeddingModel#charactersRead}:
 * their endings would not reach the vector) are not looked up or stored semantically (the exact
 * cache still applies). An embedding failure makes that call a miss, logged, never a failed call.
 */
public final class SemanticCache {

  /** Default similarity threshold; chosen from the evaluation in {@code docs/semantic-eval.md}. */
  public static final double DEFAULT_THRESHOLD = 0.78;

  /** Default number of trailing messages embedded. */
  public static final int DEFAULT_LAST_MESSAGES = 1;

  /** Default largest conversation looked up semantically. */
  public static final int DEFAULT_MAX_MESSAGES = 10;

  /** Default number of nearest prompts offered to the guard. */
  public static final int DEFAULT_CANDIDATES = 3;

  private final EmbeddingModel embeddingModel;
  private final VectorStore vectorStore;
  private final SemanticHitGuard guard;
  private final double threshold;
  private final int lastMessages;
  private final int maxMessages;
  private final boolean ignoreSystemMessages;
  private final int candidates;
  private final boolean truncatedPrompts;

  private SemanticCache(Builder b) {
    this.embeddingModel = b.embeddingModel;
    this.vectorStore =
        b.vectorStore != null ? b.vectorStore : InMemoryVectorStore.builder().build();
    this.guard = b.guard != null ? b.guard : AlignmentGuard.builder(b.embeddingModel).build();
    this.threshold = b.threshold;
    this.lastMessages = b.lastMessages;
    this.maxMessages = b.maxMessages;
    this.ignoreSystemMessages = b.ignoreSystemMessages;
    this.candidates = b.candidates;
    this.truncatedPrompts = b.truncatedPrompts;
  }

  /** A builder for prompts embedded by {@code embeddingModel}. */
  public static Builder builder(EmbeddingModel embeddingModel) {
    return new Builder(embeddingModel);
  }

  public EmbeddingModel embeddingModel() {
    return embeddingModel;
  }

  public VectorStore vectorStore() {
    return vectorStore;
  }

  public SemanticHitGuard guard() {
    return guard;
  }

  public double threshold() {
    return threshold;
  }

  public int lastMessages() {
    return lastMessages;
  }

  public int maxMessages() {
    return maxMessages;
  }

  public boolean ignoreSystemMessages() {
    return ignoreSystemMessages;
  }

  public int candidates() {
    return candidates;
  }

  /** Whether prompts the embedding model does not read whole are looked up and stored too. */
  public boolean truncatedPrompts() {
    return truncatedPrompts;
  }

  @Override
  public String toString() {
    return "SemanticCache[model="
        + embeddingModel.name()
        + ", threshold="
        + threshold
        + ", lastMessages="
        + lastMessages
        + ", maxMessages="
        + maxMessages
        + ", ignoreSystemMessages="
        + ignoreSystemMessages
        + ", guard="
        + guard
        + (truncatedPrompts ? ", truncatedPrompts=true" : "")
        + "]";
  }

  /** Configures a {@link SemanticCache}. Not thread-safe; {@link #build()} copies it. */
  public static final class Builder {
    private final EmbeddingModel embeddingModel;
    private VectorStore vectorStore;
    private SemanticHitGuard guard;
    private double threshold = DEFAULT_THRESHOLD;
    private int lastMessages = DEFAULT_LAST_MESSAGES;
    private int maxMessages = DEFAULT_MAX_MESSAGES;
    private boolean ignoreSystemMessages = true;
    private int candidates = DEFAULT_CANDIDATES;
    private boolean truncatedPrompts;

    private Builder(EmbeddingModel embeddingModel) {
      this.embeddingModel = Objects.requireNonNull(embeddingModel, "embeddingModel");
    }

    /** Where the prompt vectors live. Default: an {@link InMemoryVectorStore} with its defaults. */
    public Builder vectorStore(VectorStore store) {
      this.vectorStore = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * The last check before a hit is served. Default: an {@link AlignmentGuard} over this cache's
     * embedding model (which asks {@link FalseHitGuard#defaults()} too); {@code
     * FalseHitGuard.defaults()} alone is the guard of earlier versions; {@link
     * SemanticHitGuard#NONE} turns it off (not recommended).
     */
    public Builder guard(SemanticHitGuard guard) {
      this.guard = Objects.requireNonNull(guard, "guard");
      return this;
    }

    /**
     * The cosine similarity a cached prompt needs to be a hit, in (0, 1]; a score less than 1e-6
     * below it (the rounding of a cosine computed in floats) reaches it, so {@code 1} serves the
     * same prompt only, and always.
     */
    public Builder threshold(double threshold) {
      if (!(threshold > 0 && threshold <= 1)) {
        throw new IllegalArgumentException("threshold must be in (0, 1]: " + threshold);
      }
      this.threshold = threshold;
      return this;
    }

    /** How many trailing messages are embedded (default 1: the last one). */
    public Builder lastMessages(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("lastMessages must be at least 1: " + count);
      }
      this.lastMessages = count;
      return this;
    }

    /** Conversations with more messages than this skip the semantic cache (default 10). */
    public Builder maxMessages(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("maxMessages must be at least 1: " + count);
      }
      this.maxMessages = count;
      return this;
    }

    /**
     * Whether system (and developer) messages are left out of the embedded text (default true).
     * Either way they must match exactly for a hit: left out, they are part of the partition.
     */
    public Builder ignoreSystemMessages(boolean ignore) {
      this.ignoreSystemMessages = ignore;
      return this;
    }

    /** How many nearest prompts the guard may look at, best first (default 3). */
    public Builder candidates(int count) {
      if (count < 1 || count > 100) {
        throw new IllegalArgumentException("candidates must be in [1, 100]: " + count);
      }
      this.candidates = count;
      return this;
    }

    /**
     * Whether a prompt longer than the embedding model reads ({@link EmbeddingModel#charactersRead}
     * less than its length) is looked up and stored semantically (default false: it is not, and its
     * event's {@code semanticSkip} says {@code prompt_not_read_whole}; the exact cache still serves
     * it). On, two long prompts that begin alike for as long as the model reads (all-MiniLM-L6-v2:
     * 128 word pieces, about 90 English words) embed to the same vector however they end, and only
     * the guard can tell them apart.
     */
    public Builder truncatedPrompts(boolean lookUp) {
      this.truncatedPrompts = lookUp;
      return this;
    }

    public SemanticCache build() {
      if (lastMessages > maxMessages) {
        throw new IllegalStateException(
            "lastMessages (" + lastMessages + ") is more than maxMessages (" + maxMessages + ")");
      }
      return new SemanticCache(this);
    }
  }
}
