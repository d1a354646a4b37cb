package dev.aigateway.store.tck;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs one body on many threads at once, as the suites' concurrency tests do; for a store's own
 * concurrency tests too.
 *
 * <pre>{@code
 * Concurrently.run(16, thread -> {
 *   for (int i = 0; i < 1000; i++) {
 *     store.reserve(List.of(new LimitCharge(limit, "k" + thread, 1)));
 *   }
 * });
 * }</pre>
 */
public final class Concurrently {

  private Concurrently() {}

  /**
   * Runs {@code body} on {@code threads} threads started together and waits for all. Throws the
   * first failure of a thread, or a {@link java.util.concurrent.TimeoutException} after 20 seconds
   * (a deadlock); the threads are daemons, so a stuck one never keeps the JVM alive.
   */
  public static void run(int threads, Body body) throws Exception {
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            runnable -> {
              Thread thread = new Thread(runnable, "store-contract");
              thread.setDaemon(true);
              return thread;
            });
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  body.run(thread);
                  return null;
                }));
      }
      start.countDown();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      for (Future<?> future : futures) {
        future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** The work of one thread. */
  @FunctionalInterface
  public interface Body {

    /**
     * Does one thread's share.
     *
     * @param thread the thread's number, from 0
     */
    void run(int thread) throws Exception;
  }
}
