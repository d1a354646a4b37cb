package dev.aigateway.core.concurrent;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * Tells a consumer of the changes a state machine makes under its lock, once each, in the order
 * they were made, after the lock is let go: a consumer that takes its time (a listener paging
 * someone over a slow network) holds up the thread whose call made the change, never the other
 * threads, which need the lock. The owner {@link #add}s each change under its lock, then, without
 * it, calls {@link #report} (whether or not it added any: nothing queued costs a look at an empty
 * queue). A change is reported on the thread that made it, or, while the consumer is still being
 * told of an earlier change, by the thread telling it, right after it. An exception from the
 * consumer is logged and dropped; an error is thrown on once the changes queued are reported.
 * Thread-safe.
 *
 * <p>Internal to the library, not API: public only so that the library's packages share it; may
 * change in any release.
 *
 * @param <T> a change
 */
public final class OrderedReporter<T> {

  private final Consumer<? super T> consumer;
  private final Logger log;
  private final String what;

  /** The changes added and not yet reported, oldest first. */
  private final Queue<T> unreported = new ConcurrentLinkedQueue<>();

  /**
   * Whether a thread is telling the consumer: it reports until the queue is empty, so changes are
   * reported one at a time, in order; a thread that finds another reporting leaves its changes to
   * it, and the reporting thread looks at the queue once more after it let go, so none is left
   * behind.
   */
  private final AtomicBoolean reporting = new AtomicBoolean();

  /**
   * @param consumer told of every change
   * @param log where a failure of the consumer is logged
   * @param what the consumer, for that log line ("breaker transition" logs "the breaker transition
   *     consumer failed on …")
   */
  public OrderedReporter(Consumer<? super T> consumer, Logger log, String what) {
    this.consumer = consumer;
    this.log = log;
    this.what = what;
  }

  /** Queues a change to be reported; called under the owner's lock, in the order of the changes. */
  public void add(T change) {
    unreported.add(change);
  }

  /**
   * Reports the queued changes, in order. Unless another thread is reporting (it then reports these
   * too, after the ones before them), this thread reports until none is left. Called without the
   * owner's lock, after anything that may have added a change.
   */
  public void report() {
    Error failed = null;
    while (!unreported.isEmpty() && reporting.compareAndSet(false, true)) {
      try {
        for (T change = unreported.poll(); change != null; change = unreported.poll()) {
          try {
            consumer.accept(change);
          } catch (RuntimeException e) {
            log.warn("ai-gateway: the {} consumer failed on {}", what, change, e);
          } catch (Error e) {
            // Thrown on once the changes queued are reported: thrown at once, it would leave them
            // for the next change's thread to report, out of their time.
            failed = failed == null ? e : failed;
          }
        }
      } finally {
        reporting.set(false);
      }
    }
    if (failed != null) {
      throw failed;
    }
  }
}
