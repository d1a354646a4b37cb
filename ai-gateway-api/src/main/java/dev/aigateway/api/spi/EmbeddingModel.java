package dev.aigateway.api.spi;

import java.io.IOException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Turns a prompt into a vector for the semantic cache.
 *
 * <p>Implementations: an OpenAI-compatible {@code /v1/embeddings} backend called through the
 * gateway ({@code dev.aigateway.okhttp.OkHttpEmbeddingModel}), or an in-process ONNX sentence model
 * ({@code ai-gateway-embeddings-onnx}). The gateway normalises the vectors to unit length, so an
 * implementation may return them at any scale.
 *
 * <p>Must be thread-safe. A failure ({@link IOException} or a runtime exception) makes the semantic
 * cache skip that call (a miss that is not stored); the call itself goes on.
 */
public interface EmbeddingModel {

  /**
   * The embedding of {@code text}; every call returns vectors of the same length.
   *
   * @throws IOException when the model (or the service behind it) cannot answer
   */
  float[] embed(String text) throws IOException;

  /**
   * How many of {@code text}'s leading characters {@link #embed} reads: {@code text.length()} when
   * it reads the whole text (the default), fewer when the model cuts a long text short (for example
   * all-MiniLM-L6-v2 reads a text's first 128 word pieces). Two texts that begin alike for as long
   * as the model reads get the same vector however they go on, so the semantic cache keeps a text
   * the model does not read whole out of its lookups unless told otherwise. A model that cuts texts
   * short must override this; one that reads everything (splitting a long text into windows, say)
   * keeps the default.
   *
   * @throws IOException when the model cannot tell (for example its tokenizer cannot be loaded)
   * @throws NullPointerException when {@code text} is null
   */
  default int charactersRead(String text) throws IOException {
    return text.length();
  }

  /**
   * A stable name of the model (for example {@code all-MiniLM-L6-v2}). Vectors of different models
   * are never compared: the name is part of the semantic cache's partition.
   */
  String name();

  /**
   * The longest any call of this model can take, when it enforces that bound itself (for example
   * with a client-side command or call timeout) and throws once it passes; {@code null}, the
   * default, when it does not.
   *
   * <p>The gateway must not let the response cache hold a call past the cache's timeout ({@code
   * ResponseCache.Builder.timeout}). A model that bounds its own calls within that timeout is
   * called on the calling thread; any other (but the built-in in-memory one) is called on threads
   * of the cache's own, which costs a thread hand-off per call, and a lookup waits for it at most
   * the cache's timeout.
   *
   * <p>A model that computes in process and waits on nothing outside it (no network, no file, no
   * lock another party may hold), whose work is bounded by the length of text it reads, returns
   * {@link Duration#ZERO}: it is called on the calling thread whatever the cache's timeout, as a
   * hand-off would only add to its time, and the cache's own threads (a few dozen a part) would
   * otherwise cap how many callers can look up at once.
   *
   * @return the bound, positive; {@link Duration#ZERO} for a model that computes in process and
   *     never waits; or null when the model does not bound its calls
   */
  default @Nullable Duration callTimeout() {
    return null;
  }
}
