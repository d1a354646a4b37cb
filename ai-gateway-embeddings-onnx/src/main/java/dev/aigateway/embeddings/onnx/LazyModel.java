package dev.aigateway.embeddings.onnx;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One of LangChain4j's in-process ONNX models, created on first use and then shared. LangChain4j
 * loads each model in a static initialiser, which the JVM never runs twice: once loading failed,
 * every later attempt fails the same way, so the first cause is kept and reported each time.
 */
final class LazyModel {

  private final String name;
  private final int dimensions;
  private final String prefix;
  private final LoadedOnce<dev.langchain4j.model.embedding.EmbeddingModel> model;
  private final @Nullable TokenizerReach reach;
  private final LongAdder tokenized = new LongAdder();

  /**
   * A model not loaded yet.
   *
   * @param name the model's name, in every failure's message
   * @param dimensions the length every vector must have
   * @param prefix what is put before every text
   * @param requirement what loading needs, said when it fails
   * @param factory creates the LangChain4j model (which loads it)
   * @param truncatingTokenizer the class-path resource of the model's tokenizer when that tokenizer
   *     truncates texts (LangChain4j then embeds only what it keeps), or null when the model reads
   *     every text whole (LangChain4j embeds a long text in windows and averages them)
   */
  LazyModel(
      String name,
      int dimensions,
      String prefix,
      String requirement,
      Supplier<dev.langchain4j.model.embedding.EmbeddingModel> factory,
      @Nullable String truncatingTokenizer) {
    this.name = name;
    this.reach = truncatingTokenizer == null ? null : new TokenizerReach(name, truncatingTokenizer);
    this.dimensions = dimensions;
    this.prefix = prefix;
    this.model =
        new LoadedOnce<>(
            factory::get,
            failure ->
                "could not load the "
                    + name
                    + " embedding model ("
                    + requirement
                    + " for "
                    + System.getProperty("os.name")
                    + "/"
                    + System.getProperty("os.arch")
                    + "): "
                    + failure);
  }

  /** The embedding of {@code prefix + text}, checked for its length. */
  float[] embed(String text) throws IOException {
    Objects.requireNonNull(text, "text");
    dev.langchain4j.model.embedding.EmbeddingModel loaded = loaded();
    // A model whose tokenizer truncates is given only what that tokenizer reads (a huge text would
    // otherwise be tokenized whole, for pieces dropped after the first 128).
    String given =
        reach == null
            ? prefix + text
            : ReadableText.of(prefix + text, TokenizerReach.PIECES).text();
    tokenized.add(given.length());
    float[] vector;
    try {
      vector = loaded.embed(TokenizerReach.wellFormed(given)).content().vector();
    } catch (RuntimeException e) {
      throw new IOException(
          name + " could not embed a text of " + text.length() + " characters: " + e, e);
    }
    if (vector.length != dimensions) {
      throw new IOException(
          name + " returned " + vector.length + " dimensions, expected " + dimensions);
    }
    return vector;
  }

  /**
   * How many of {@code text}'s leading characters {@link #embed} reads (the prefix not counted):
   * all of them unless the model's tokenizer truncates; loads that tokenizer alone on first use.
   */
  int charactersRead(String text) throws IOException {
    Objects.requireNonNull(text, "text");
    if (reach == null) {
      return text.length();
    }
    return Math.max(0, reach.charactersRead(prefix + text) - prefix.length());
  }

  /** How many characters this has given the model's tokenizers so far (what bounds their work). */
  long charactersTokenized() {
    return tokenized.sum() + (reach == null ? 0 : reach.charactersTokenized());
  }

  /**
   * The model, loaded now unless it is already. Unless the application has set DJL's {@value
   * MiniLmEmbeddingModel#OPT_OUT_TRACKING} itself, it is set to {@code true} first.
   */
  dev.langchain4j.model.embedding.EmbeddingModel loaded() throws IOException {
    return model.get();
  }
}
