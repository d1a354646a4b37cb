package dev.aigateway.core.limit;

import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.adapter.GovernedCall;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token store as a call sees it: a store that throws (any exception, or an error other than a
 * {@link VirtualMachineError}), answers nothing or nonsense, or blocks, never fails a call or holds
 * it past the gateway's store timeout. The call goes on without its limits (fail open), and its
 * event says the store failed.
 *
 * <p>The built-in {@link InMemoryTokenLimitStore} never blocks on I/O and is called on the calling
 * thread. Any other store is called on the gateway's own store threads, and the call waits for it
 * at most the store timeout. Those threads are bounded ({@link #MAX_THREADS}): a store that hangs
 * for good holds at most that many, and while all of them are taken every call fails open at once
 * instead of starting another. A reservation that lands after its call gave up waiting is refunded
 * there and then, so a slow store loses no tokens to calls it admitted too late; a settlement that
 * lands late still counts. Thread-safe.
 */
final class GuardedStore {

  /** Store threads at most: calls in a store at once, or calls a hung store can hold. */
  static final int MAX_THREADS = 64;

  // Logged under the call's name, where an application configures the gateway's call logging.
  private static final Logger log = LoggerFactory.getLogger(GovernedCall.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  /**
   * What {@link #reserve} came to.
   *
   * @param result the store's decision; when the store failed, an admission with nothing reserved
   * @param failed whether the store failed (threw, answered nothing or nonsense, or not in time)
   */
  record Reserved(ReserveResult result, boolean failed) {}

  private final TokenLimitStore store;
  private final long timeoutNanos;

  /** The store threads; null when the store is called on the calling thread. */
  private final ThreadPoolExecutor threads;

  GuardedStore(TokenLimitStore store, Duration timeout) {
    this(store, timeout, MAX_THREADS);
  }

  GuardedStore(TokenLimitStore store, Duration timeout, int maxThreads) {
    this.store = store;
    this.timeoutNanos = timeout.toNanos();
    this.threads =
        store instanceof InMemoryTokenLimitStore
            ? null
            : new ThreadPoolExecutor(
                0, maxThreads, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), storeThreads());
  }

  /** Reserves every charge or none; see {@link TokenLimitStore#reserve}. */
  Reserved reserve(List<LimitCharge> charges, long callId) {
    if (charges.isEmpty()) {
      return new Reserved(ReserveResult.admitted(Reservation.EMPTY, List.of()), false);
    }
    ReserveResult result;
    try {
      result =
          threads == null
              ? store.reserve(charges)
              : onStoreThread(() -> store.reserve(charges), this::refundLate);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      return failedOpen(charges, callId, e);
    }
    if (result == null || result.remaining().size() != charges.size()) {
      if (result != null && result.admitted()) {
        refund(result.reservation(), callId);
      }
      return failedOpen(charges, callId, null);
    }
    return new Reserved(result, false);
  }

  /**
   * Settles a reservation; see {@link TokenLimitStore#settle}. Returns false when the store failed
   * (or did not answer in time; the settlement may then still land).
   */
  boolean settle(Reservation reservation, long[] actual, long callId) {
    try {
      if (threads == null) {
        store.settle(reservation, actual);
      } else {
        onStoreThread(
            () -> {
              store.settle(reservation, actual);
              return Boolean.TRUE;
            },
            settled -> {});
      }
      return true;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      log.warn(
          "ai-gateway: the token store failed to settle call {} to {}: {}",
          callId,
          java.util.Arrays.toString(actual),
          why(e));
      return false;
    }
  }

  private Reserved failedOpen(List<LimitCharge> charges, long callId, Throwable failure) {
    log.warn(
        "ai-gateway: the token store failed to reserve for call {}; admitting it without a "
            + "reservation: {}",
        callId,
        failure == null ? "no answer, or one that does not fit the " + "charges" : why(failure));
    return new Reserved(
        ReserveResult.admitted(
            Reservation.EMPTY, java.util.Collections.nCopies(charges.size(), 0L)),
        true);
  }

  /** A reservation a call stopped waiting for: it never charges anything. */
  private void refundLate(ReserveResult late) {
    if (late != null && late.admitted()) {
      refund(late.reservation(), -1);
    }
  }

  private void refund(Reservation reservation, long callId) {
    if (reservation.charges().isEmpty()) {
      return;
    }
    try {
      store.settle(reservation, new long[reservation.charges().size()]);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      log.warn(
          "ai-gateway: the token store failed to refund a reservation of call {}: {}",
          callId < 0 ? "(answered too late)" : callId,
          why(e));
    }
  }

  /**
   * Runs {@code task} on a store thread and waits for it up to the timeout. When the caller stops
   * waiting (timeout, interruption), {@code late} gets the task's result once it comes, on the
   * store thread.
   */
  private <T> T onStoreThread(Callable<T> task, Consumer<T> late) throws Throwable {
    Pending<T> pending = new Pending<>(task, late);
    threads.execute(pending); // RejectedExecutionException when every store thread is taken
    return pending.await(timeoutNanos);
  }

  /** A store call on a store thread, which its caller waits for or abandons. */
  private static final class Pending<T> implements Runnable {
    private static final int WAITING = 0;
    private static final int DONE = 1;
    private static final int ABANDONED = 2;

    private final Callable<T> task;
    private final Consumer<T> late;
    private final AtomicInteger state = new AtomicInteger(WAITING);
    private final CountDownLatch done = new CountDownLatch(1);
    // Written before state leaves WAITING; read only after seeing it did.
    private T result;
    private Throwable failure;

    Pending(Callable<T> task, Consumer<T> late) {
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

    T await(long timeoutNanos) throws Throwable {
      boolean interrupted = false;
      try {
        done.await(timeoutNanos, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
      if (state.compareAndSet(WAITING, ABANDONED)) {
        if (interrupted) {
          Thread.currentThread().interrupt();
          throw new InterruptedException("interrupted while waiting for the token store");
        }
        throw new TimeoutException("no answer within " + Duration.ofNanos(timeoutNanos));
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

  /** Why a store call failed, for the log: the exception's class (its message may hold secrets). */
  private static String why(Throwable e) {
    return e instanceof TimeoutException ? e.getMessage() : e.getClass().getName();
  }

  private static ThreadFactory storeThreads() {
    return runnable -> {
      Thread thread = new Thread(runnable, "ai-gateway-token-store-" + THREADS.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
