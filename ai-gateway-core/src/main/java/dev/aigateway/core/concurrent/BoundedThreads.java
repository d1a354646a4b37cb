package dev.aigateway.core.concurrent;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The own threads of a part that may block (the token store, a cache store, a vector store, an
 * embedding model), so that a call into it never holds its caller past a deadline: at most {@code
 * maxThreads} daemon threads, created on demand and ended after 30 s idle, with no queue (a task
 * finds an idle thread or a new one, or is refused at once), and a backlog of at most {@code
 * maxBacklog} tasks that found every thread taken and need not be waited for (writes, settlements),
 * which the threads run as they come free. A caller waits for a task through a {@link Pending},
 * which it may abandon. Thread-safe.
 *
 * <p>Internal to the library, not API: public only so that the library's packages share it; may
 * change in any release.
 */
public final class BoundedThreads {

  private final ThreadPoolExecutor threads;
  private final int maxBacklog;
  private final ConcurrentLinkedQueue<Runnable> backlog = new ConcurrentLinkedQueue<>();
  private final AtomicInteger backlogSize = new AtomicInteger();

  /**
   * @param maxThreads threads at most: tasks running at once, or tasks a hung part can hold
   * @param maxBacklog tasks at most waiting in the backlog for a thread
   * @param threadName the name of each new thread (asked once a thread)
   */
  public BoundedThreads(int maxThreads, int maxBacklog, Supplier<String> threadName) {
    this.maxBacklog = maxBacklog;
    this.threads =
        new ThreadPoolExecutor(
            0,
            maxThreads,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            runnable -> {
              Thread thread = new Thread(runnable, threadName.get());
              thread.setDaemon(true);
              return thread;
            });
  }

  /** The threads at most. */
  public int maxThreads() {
    return threads.getMaximumPoolSize();
  }

  /**
   * Starts {@code task} on a thread, which then runs the backlog; false when every thread is taken
   * (the task did not start).
   */
  public boolean start(Runnable task) {
    try {
      threads.execute(
          () -> {
            try {
              task.run();
            } finally {
              runBacklog();
            }
          });
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  /**
   * Puts {@code task}, which found every thread taken, in the backlog, to run when a thread comes
   * free; false when the backlog is full (the task is not kept). A task in the backlog must handle
   * its own failures: one that throws ends the run of the backlog on that thread.
   */
  public boolean queue(Runnable task) {
    if (backlogSize.incrementAndGet() > maxBacklog) {
      backlogSize.decrementAndGet();
      return false;
    }
    backlog.add(task);
    // A thread that finished between the rejection and the add may have found the backlog empty:
    // one more try, which finds that thread idle, or leaves the backlog to the threads still busy
    // (each runs it when its own task is done).
    start(() -> {});
    return true;
  }

  /** Runs the tasks waiting for a thread, on this one. */
  private void runBacklog() {
    Runnable task;
    while ((task = backlog.poll()) != null) {
      backlogSize.decrementAndGet();
      task.run();
    }
  }

  /**
   * A task on one of the threads ({@link #start} it), which its caller waits for or abandons.
   *
   * @param <T> what the task returns
   */
  public static final class Pending<T> implements Runnable {
    private static final int WAITING = 0;
    private static final int DONE = 1;
    private static final int ABANDONED = 2;

    private final Callable<T> task;
    private final Consumer<? super T> late;
    private final AtomicInteger state = new AtomicInteger(WAITING);
    private final CountDownLatch done = new CountDownLatch(1);
    // Written before state leaves WAITING; read only after seeing it did.
    private T result;
    private Throwable failure;

    /**
     * @param task the task
     * @param late gets the task's result, on the task's thread, when it comes after its caller
     *     stopped waiting (not when the task failed)
     */
    public Pending(Callable<T> task, Consumer<? super T> late) {
      this.task = task;
      this.late = late;
    }

    @Override
    public void run() {
      try {
        result = task.call();
      } catch (Throwable e) {
        failure = e;
      }
      if (state.compareAndSet(WAITING, DONE)) {
        done.countDown();
      } else if (failure == null) {
        late.accept(result); // the caller went on without it
      }
    }

    /**
     * Waits for the task at most {@code timeoutNanos} and returns its result, or throws what it
     * threw.
     *
     * @param waitedFor what the task calls, for the message of an interruption ("the token store")
     * @param timedOut the message of a timeout, before the time waited ("no answer within ")
     * @throws TimeoutException when the task did not end in time (it is abandoned)
     * @throws InterruptedException when the calling thread was interrupted while waiting (the task
     *     is abandoned; the interrupt status is kept)
     * @throws Throwable what the task threw
     */
    public T await(long timeoutNanos, String waitedFor, String timedOut) throws Throwable {
      boolean interrupted = false;
      try {
        done.await(timeoutNanos, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
      if (state.compareAndSet(WAITING, ABANDONED)) {
        if (interrupted) {
          Thread.currentThread().interrupt();
          throw new InterruptedException("interrupted while waiting for " + waitedFor);
        }
        throw new TimeoutException(timedOut + Duration.ofNanos(timeoutNanos));
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      if (failure != null) {
        throw failure;
      }
      return result;
    }
  }
}
