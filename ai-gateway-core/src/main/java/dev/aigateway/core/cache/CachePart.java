package dev.aigateway.core.cache;

import dev.aigateway.core.concurrent.BoundedThreads;
import java.lang.reflect.UndeclaredThrowableException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One part of the response cache that may block (a response cache store, a vector store, an
 * embedding model), as a call sees it: a part that does not answer never holds a lookup past its
 * deadline, and storing in it never holds the thread that stores.
 *
 * <p>A direct part (the in-memory stores, and a part that bounds its own calls within the cache's
 * timeout) is called on the calling thread: no hand-off. Any other is called on threads of its own,
 * at most {@link #MAX_THREADS}, created on demand and ended after 30 s idle: a part that hangs for
 * good holds at most that many, and while it holds all of them a lookup fails at once ({@link
 * Busy}) instead of starting another; the other parts have threads of their own. A write is handed
 * to those threads and not waited for; when every one is taken it waits in a backlog (at most
 * {@link #MAX_PENDING_WRITES}) that the threads run as they come free; beyond it, it is dropped and
 * logged. Thread-safe.
 */
final class CachePart {

  /** Threads at most per part: its calls at once, or calls a hung part can hold. */
  static final int MAX_THREADS = 32;

  /** Writes at most waiting for a thread of the part while every one is taken. */
  static final int MAX_PENDING_WRITES = 256;

  private static final Logger log = LoggerFactory.getLogger(CallCache.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Thrown by {@link #call} when every thread of the part is taken. */
  static final class Busy extends Exception {
    private static final long serialVersionUID = 1L;

    Busy(String what) {
      super("every thread of the " + what + " is taken", null, false, false);
    }
  }

  private final String what;
  private final @Nullable BoundedThreads threads;
  private final AtomicLong dropped = new AtomicLong();

  private CachePart(String what, @Nullable BoundedThreads threads) {
    this.what = what;
    this.threads = threads;
  }

  /**
   * The part {@code what} (for logs and thread names), called on the calling thread when {@code
   * direct}, else on threads of its own.
   */
  static CachePart of(String what, boolean direct) {
    String names = "ai-gateway-cache-" + what.replace(' ', '-') + "-";
    return new CachePart(
        what,
        direct
            ? null
            : new BoundedThreads(
                MAX_THREADS, MAX_PENDING_WRITES, () -> names + THREADS.incrementAndGet()));
  }

  /**
   * Whether a part of the given bound is called on the calling thread: the in-memory ones, and one
   * that bounds its own calls within the cache's timeout.
   */
  static boolean direct(boolean inMemory, @Nullable Duration ownBound, Duration timeout) {
    return inMemory || (ownBound != null && ownBound.compareTo(timeout) <= 0);
  }

  /** Whether this part is called on the calling thread. */
  boolean direct() {
    return threads == null;
  }

  /** The writes dropped so far because every thread was taken and the backlog full. */
  long droppedWrites() {
    return dropped.get();
  }

  /**
   * Runs {@code task} and returns its result: on the calling thread for a direct part, else on a
   * thread of the part, waiting for it until {@code deadlineNanos} ({@link System#nanoTime()}).
   *
   * @throws TimeoutException when the deadline passed first (also before the call)
   * @throws Busy when every thread of the part is taken
   * @throws InterruptedException when the calling thread was interrupted while waiting (its
   *     interrupt status is kept)
   * @throws Exception what the task threw
   */
  <T> T call(Callable<T> task, long deadlineNanos) throws Exception {
    if (threads == null) {
      return task.call();
    }
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      throw new TimeoutException("the lookup's time was up before the " + what + " was asked");
    }
    BoundedThreads.Pending<T> pending = new BoundedThreads.Pending<>(task, late -> {});
    if (!threads.start(pending)) {
      throw new Busy(what);
    }
    try {
      return pending.await(left, "the " + what, "the " + what + " did not answer within ");
    } catch (Exception | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new UndeclaredThrowableException(e);
    }
  }

  /**
   * Stores: runs {@code write} on the calling thread for a direct part, else hands it to a thread
   * of the part and returns at once. {@code write} must not throw (it logs its own failures).
   */
  void write(Runnable write) {
    if (threads == null) {
      write.run();
      return;
    }
    if (threads.start(write)) {
      return;
    }
    boolean queued =
        threads.queue(
            () -> {
              try {
                write.run();
              } catch (RuntimeException e) {
                log.warn("ai-gateway: a write to the {} failed: {}", what, e.getClass().getName());
              }
            });
    if (!queued) {
      long n = dropped.incrementAndGet();
      if (n == 1 || n % 1_000 == 0) {
        log.warn(
            "ai-gateway: the {}'s {} threads are all taken and {} writes wait for one; a write is"
                + " dropped ({} so far)",
            what,
            MAX_THREADS,
            MAX_PENDING_WRITES,
            n);
      }
    }
  }

  @Override
  public String toString() {
    return what + (threads == null ? " (direct)" : " (own threads)");
  }
}
