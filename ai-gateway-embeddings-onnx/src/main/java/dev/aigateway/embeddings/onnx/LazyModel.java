package dev.aigateway.embeddings.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.aigateway.api.spi.EmbeddingModel;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;

/**
 * One of the in-process ONNX models (a {@link BertEncoder} over a model file of LangChain4j's
 * jars), created on first use and then shared by the {@link EmbeddingModel}s {@link Shared#acquire}
 * hands out, until {@link #close()} releases its native session and tokenizers. Loading that failed
 * once fails the same way again: the first cause is kept and reported each time. Thread-safe:
 * {@link #close()} waits for the calls running and fails every later one with an {@link
 * IllegalStateException}.
 */
final class LazyModel {

  private final String name;
  private final int dimensions;
  private final String prefix;
  private final LoadedOnce<BertEncoder> model;
  private final TokenizerReach reach;
  private final @Nullable WordVectorSession words;
  private final LongAdder tokenized = new LongAdder();
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private volatile boolean closed;

  /**
   * A model not loaded yet.
   *
   * @param name the model's name, in every failure's message
   * @param dimensions the length every vector must have
   * @param prefix what is put before every text
   * @param requirement what loading needs, said when it fails
   * @param modelResource the ONNX file's absolute class-path resource
   * @param tokenizerResource the tokenizer's ({@code tokenizer.json}) absolute class-path resource
   * @param clsPooling whether a text's vector is its first marker's, else the mean of its pieces'
   * @param truncates whether the tokenizer truncates texts (to {@link TokenizerReach#PIECES}
   *     pieces, so the model reads only their beginning), else the model reads a text in windows,
   *     averaged, at most {@link BertEncoder#MOST_WINDOWS} of them
   * @param words the word vectors over the same model file, closed with this model, or null
   */
  LazyModel(
      String name,
      int dimensions,
      String prefix,
      String requirement,
      String modelResource,
      String tokenizerResource,
      boolean clsPooling,
      boolean truncates,
      @Nullable WordVectorSession words) {
    this.name = name;
    this.reach = new TokenizerReach(name, tokenizerResource, !truncates);
    this.words = words;
    this.dimensions = dimensions;
    this.prefix = prefix;
    this.model =
        new LoadedOnce<>(
            () -> BertEncoder.load(modelResource, tokenizerResource, clsPooling),
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

  /** A call on the model, which the model's closing waits for. */
  interface Use<R> {
    R call() throws IOException;
  }

  /**
   * {@code use} called unless the model is closed; {@link #close()} waits until it returns.
   *
   * @throws IllegalStateException when the model is closed
   */
  <R> R use(Use<R> use) throws IOException {
    Lock read = lock.readLock();
    read.lock();
    try {
      if (closed) {
        throw closedFailure(name);
      }
      return use.call();
    } finally {
      read.unlock();
    }
  }

  /** The failure of a call on a closed model. */
  static IllegalStateException closedFailure(String name) {
    return new IllegalStateException(
        "the " + name + " embedding model is closed: create another to embed again");
  }

  /** The embedding of {@code prefix + text}, checked for its length. */
  float[] embed(String text) throws IOException {
    Objects.requireNonNull(text, "text");
    return use(
        () -> {
          BertEncoder loaded = model.get();
          // The tokenizer is given only what the model reads (a huge text would otherwise be
          // tokenized whole, for pieces dropped after the first 128 or the last window read).
          String given = ReadableText.of(prefix + text, reach.pieces()).text();
          tokenized.add(given.length());
          float[] vector;
          try {
            vector = loaded.embed(TokenizerReach.wellFormed(given));
          } catch (OrtException | RuntimeException e) {
            throw new IOException(
                name + " could not embed a text of " + text.length() + " characters: " + e, e);
          }
          if (vector.length != dimensions) {
            throw new IOException(
                name + " returned " + vector.length + " dimensions, expected " + dimensions);
          }
          return vector;
        });
  }

  /**
   * How many of {@code text}'s leading characters {@link #embed} reads (the prefix not counted):
   * all of them unless the model's tokenizer truncates, or the text has more windows than the model
   * reads; loads that tokenizer alone on first use.
   */
  int charactersRead(String text) throws IOException {
    Objects.requireNonNull(text, "text");
    return use(() -> Math.max(0, reach.charactersRead(prefix + text) - prefix.length()));
  }

  /** The word vectors over the same model file (null when this model has none). */
  @Nullable WordVectorSession words() {
    return words;
  }

  /** How many characters this has given the model's tokenizers so far (what bounds their work). */
  long charactersTokenized() {
    return tokenized.sum()
        + reach.charactersTokenized()
        + (words == null ? 0 : words.charactersTokenized());
  }

  /**
   * The model, loaded now unless it is already. Unless the application has set DJL's {@value
   * MiniLmEmbeddingModel#OPT_OUT_TRACKING} itself, it is set to {@code true} first.
   *
   * @throws IllegalStateException when the model is closed
   */
  void load() throws IOException {
    use(model::get);
  }

  /** The model's session when it is loaded, else null: for tests that check it is closed. */
  @Nullable OrtSession sessionIfLoaded() {
    BertEncoder loaded = model.ifLoaded();
    return loaded == null ? null : loaded.session();
  }

  /** Whether {@link #close()} was called. */
  boolean closed() {
    return closed;
  }

  /**
   * Releases the native session and tokenizers loaded (once: later calls do nothing), after the
   * calls running have returned; every later call fails with an {@link IllegalStateException}.
   *
   * @throws IllegalStateException when ONNX Runtime fails to release a session (the model is closed
   *     all the same)
   */
  void close() {
    Lock write = lock.writeLock();
    write.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      OrtException failure = null;
      BertEncoder loaded = model.ifLoaded();
      if (loaded != null) {
        try {
          loaded.close();
        } catch (OrtException e) {
          failure = e;
        }
      }
      reach.close();
      if (words != null) {
        try {
          words.close();
        } catch (OrtException e) {
          failure = failure == null ? e : failure;
        }
      }
      if (failure != null) {
        throw new IllegalStateException(
            "could not release the native session of " + name + ": " + failure, failure);
      }
    } finally {
      write.unlock();
    }
  }

  /**
   * The models handed out for one model: each {@link #acquire} shares the one loaded (created on
   * the first), and the last {@link #release} closes it, so the next {@link #acquire} creates a new
   * one, loaded again on first use. Thread-safe.
   */
  static final class Shared {

    private final java.util.function.Supplier<LazyModel> factory;
    private @Nullable LazyModel current;
    private int holders;

    /**
     * @param factory creates the model, not loaded yet
     */
    Shared(java.util.function.Supplier<LazyModel> factory) {
      this.factory = factory;
    }

    /** The model shared now, held once more. */
    synchronized LazyModel acquire() {
      LazyModel model = current;
      if (model == null) {
        model = factory.get();
        current = model;
      }
      holders++;
      return model;
    }

    /** Holds {@code model} once less, closing it when no one holds it any more. */
    synchronized void release(LazyModel model) {
      if (model != current) {
        return;
      }
      if (--holders == 0) {
        current = null;
        model.close();
      }
    }
  }

  /**
   * One instance's hold on the model a {@link Shared} shares: the model while the hold is open;
   * closing it lets go of the model once (the last hold closes the model).
   */
  static final class Hold {

    private final Shared shared;
    private final LazyModel model;
    private final String name;
    private final java.util.concurrent.atomic.AtomicBoolean closed =
        new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Holds the model {@code shared} shares now; {@code name} names it in a closed call's error.
     */
    Hold(Shared shared, String name) {
      this.shared = shared;
      this.model = shared.acquire();
      this.name = name;
    }

    /** The model held, open or not. */
    LazyModel model() {
      return model;
    }

    /**
     * The model held.
     *
     * @throws IllegalStateException once the hold is closed
     */
    LazyModel open() {
      if (closed.get()) {
        throw closedFailure(name);
      }
      return model;
    }

    /** Lets go of the model; closing again does nothing more. */
    void close() {
      if (closed.compareAndSet(false, true)) {
        shared.release(model);
      }
    }
  }
}
