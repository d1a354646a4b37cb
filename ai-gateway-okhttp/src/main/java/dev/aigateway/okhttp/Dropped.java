package dev.aigateway.okhttp;

import java.io.Closeable;
import java.io.IOException;
import java.lang.ref.Cleaner;

/**
 * Closes what an application dropped without closing it, when the garbage collector finds it: a
 * governed response body ({@link ObservedSource}) or an SDK's response ({@link SdkResponse}), so
 * that its governed call still ends (one event, its reservation settled) and its connection is
 * released. One daemon thread for all of them.
 */
final class Dropped {

  private static final Cleaner CLEANER = Cleaner.create(Dropped::closerThread);

  private Dropped() {}

  /**
   * Closes {@code closeable} once {@code owner} is unreachable, unless the returned cleanable was
   * cleaned first (which closes it then). {@code closeable} must not reach {@code owner}, or the
   * owner never becomes unreachable.
   */
  static Cleaner.Cleanable closeWhenCollected(Object owner, Closeable closeable) {
    return CLEANER.register(owner, new Closer(closeable));
  }

  /** The cleaning action: holds what it closes, never its owner. */
  private static final class Closer implements Runnable {
    private final Closeable closeable;

    Closer(Closeable closeable) {
      this.closeable = closeable;
    }

    @Override
    public void run() {
      try {
        closeable.close();
      } catch (IOException e) {
        // closed either way; a body's end was reported before its close failed
      }
    }
  }

  private static Thread closerThread(Runnable runnable) {
    Thread thread = new Thread(runnable, "ai-gateway-dropped-response-closer");
    thread.setDaemon(true);
    return thread;
  }
}
