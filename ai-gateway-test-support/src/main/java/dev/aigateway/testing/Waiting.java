package dev.aigateway.testing;

import java.time.Duration;
import java.util.List;

/** Waits for what another thread adds, for tests (events arrive when a call ends, maybe later). */
public final class Waiting {

  private Waiting() {}

  /**
   * Waits until {@code list} (a thread-safe list another thread adds to) holds at least {@code
   * count} elements or {@code timeout} passes, then returns a copy of what it holds; the caller
   * asserts on it.
   */
  public static <T> List<T> forSize(List<T> list, int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (list.size() < count && System.nanoTime() < deadline) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return List.copyOf(list);
  }
}
