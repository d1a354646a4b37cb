package dev.aigateway.embeddings.onnx;

import java.io.IOException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Something native loaded on first use and then shared, whose first failure is kept and reported on
 * every later use (a native session or library that failed once fails the same way again). Before
 * loading, DJL's {@value MiniLmEmbeddingModel#OPT_OUT_TRACKING} is set to {@code true} unless the
 * application has set it itself. Thread-safe.
 *
 * @param <T> what is loaded
 */
final class LoadedOnce<T> {

  /** Loads the value; any exception or linkage error it throws is kept as the failure. */
  interface Loader<T> {
    T load() throws Exception;
  }

  private final Loader<T> loader;
  private final Function<Throwable, String> failureMessage;
  private final Object lock = new Object();
  private volatile @Nullable T value;
  private @Nullable Throwable failure;

  /**
   * @param loader loads the value, once
   * @param failureMessage the message of the {@link IOException} every use throws once loading
   *     failed, given the failure
   */
  LoadedOnce(Loader<T> loader, Function<Throwable, String> failureMessage) {
    this.loader = loader;
    this.failureMessage = failureMessage;
  }

  /** The value when it was loaded, else null (nothing is loaded). */
  @Nullable T ifLoaded() {
    return value;
  }

  /**
   * The value, loaded now unless it is already.
   *
   * @throws IOException when loading failed, now or before (its cause the first failure)
   */
  T get() throws IOException {
    T current = value;
    if (current != null) {
      return current;
    }
    synchronized (lock) {
      if (value == null && failure == null) {
        try {
          if (System.getenv(MiniLmEmbeddingModel.OPT_OUT_TRACKING) == null
              && System.getProperty(MiniLmEmbeddingModel.OPT_OUT_TRACKING) == null) {
            System.setProperty(MiniLmEmbeddingModel.OPT_OUT_TRACKING, "true");
          }
          value = loader.load();
        } catch (Exception | LinkageError e) {
          failure = e;
        }
      }
      current = value;
      if (current == null) {
        throw new IOException(failureMessage.apply(failure), failure);
      }
      return current;
    }
  }
}
