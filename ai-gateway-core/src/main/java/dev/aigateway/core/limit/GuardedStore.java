package dev.aigateway.core.limit;

import dev.aigateway.api.StoreTransition;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.concurrent.BoundedThreads;
import dev.aigateway.core.pipeline.CallLog;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * The token store as a call sees it: a store that throws (any exception, or an error other than a
 * {@link VirtualMachineError}), answers nothing or nonsense, or blocks, never fails a call by
 * surprise or holds it past the gateway's store timeout. Such a reservation gets the gateway's
 * {@link StoreFailurePolicy}: the call goes on without its limits (fail open), is refused (fail
 * closed), or is counted in the {@link LocalFallback} on a share of each limit; its event says so.
 *
 * <p>The built-in {@link InMemoryTokenLimitStore} never blocks on I/O and is called on the calling
 * thread; so is a store whose {@link TokenLimitStore#callTimeout()} is within the store timeout,
 * since it cannot hold the call longer (no hand-off per call). Any other store is called on the
 * gateway's own store threads, and the call waits for it at most the store timeout. Those threads
 * are bounded ({@link #MAX_THREADS}): a store that hangs for good holds at most that many, and
 * while all of them are taken every call gets the policy at once instead of starting another. A
 * reservation that lands after its call gave up waiting is refunded there and then, so a slow store
 * loses no tokens to calls it admitted too late; a settlement that lands late still counts, and a
 * settlement made while every store thread is taken waits in a backlog (at most {@link
 * #MAX_BACKLOG}; beyond it, it is logged and dropped) that the store threads run as they come free,
 * instead of being lost. Any other store also has a {@link StoreBreaker}: after enough failed
 * reservations in a row, reservations skip the store (and its timeout) until a probe finds it
 * healthy. Settlements are always attempted. Thread-safe.
 *
 * <p>A gateway builds one guard for its store ({@link #of}) and hands it to everything that counts
 * in that store (the limit stage and the {@link CallCounters} of MCP and agent calls), so the store
 * has one breaker, one health state and one stream of {@link StoreTransition}s, whichever kind of
 * call finds it failing. Public for the library's own packages, not part of the API: only its
 * factory is public, so outside {@code core.limit} a guard can be built and handed on but not used.
 */
public final class GuardedStore {

  /** Store threads at most: calls in a store at once, or calls a hung store can hold. */
  static final int MAX_THREADS = 64;

  /** Settlements at most waiting for a store thread while every one is taken. */
  static final int MAX_BACKLOG = 65_536;

  // Logged under the call's name, where an application configures the gateway's call logging.
  private static final Logger log = CallLog.logger();
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Who answered a reservation. */
  enum Source {
    /** The store: its result stands (admitted or rejected). */
    STORE,
    /** The store failed and the local fallback answered (admitted or rejected). */
    FALLBACK,
    /** The store failed and the call goes on with nothing reserved. */
    FAILED_OPEN,
    /** The store failed and the call is to be refused. */
    FAILED_CLOSED
  }

  /**
   * What {@link #reserve} came to.
   *
   * @param result the answer; when the store failed without a fallback, an admission with nothing
   *     reserved (for {@link Source#FAILED_CLOSED} too: the caller refuses the call)
   * @param source who answered
   * @param charges the charges as the answer's store took them: the call's own, or the fallback's
   *     charges on its share of each limit (same order)
   */
  record Reserved(ReserveResult result, Source source, List<LimitCharge> charges) {
    /** Whether the store failed (threw, answered nothing or nonsense, not in time, or skipped). */
    boolean failed() {
      return source != Source.STORE;
    }
  }

  private final TokenLimitStore store;
  private final long timeoutNanos;
  private final StoreFailurePolicy policy;

  /**
   * The store threads; null when the store is called on the calling thread (the in-memory store, or
   * one that bounds its own calls within the store timeout).
   */
  private final BoundedThreads threads;

  /** The store's breaker; null for the in-memory store, which cannot be down. */
  private final StoreBreaker breaker;

  /** Where calls are counted while the store fails; null unless the policy falls back. */
  private final LocalFallback fallback;

  /** A guard that fails open, with the default breaker, on the system clock (tests). */
  GuardedStore(TokenLimitStore store, Duration timeout) {
    this(store, timeout, MAX_THREADS);
  }

  /** A guard that fails open, with the default breaker, on the system clock (tests). */
  GuardedStore(TokenLimitStore store, Duration timeout, int maxThreads) {
    this(
        store,
        timeout,
        maxThreads,
        StoreFailurePolicy.failOpen(),
        StoreBreakerPolicy.defaults(),
        Clock.systemUTC(),
        transition -> {});
  }

  /**
   * The guard of a gateway's token store: build one per store and share it.
   *
   * @param store the gateway's token store
   * @param timeout how long a call waits for a store other than the in-memory one
   * @param policy what a call gets when the store cannot reserve for it
   * @param breaker when to stop asking a failing store other than the in-memory one
   * @param clock the gateway's clock (breaker cool-downs, the fallback's counters)
   * @param transitions told of every change of the store's health
   */
  public static GuardedStore of(
      TokenLimitStore store,
      Duration timeout,
      StoreFailurePolicy policy,
      StoreBreakerPolicy breaker,
      Clock clock,
      Consumer<StoreTransition> transitions) {
    return new GuardedStore(store, timeout, MAX_THREADS, policy, breaker, clock, transitions);
  }

  /**
   * @param transitions told of every change of the store's health (see {@link StoreBreaker})
   */
  GuardedStore(
      TokenLimitStore store,
      Duration timeout,
      int maxThreads,
      StoreFailurePolicy policy,
      StoreBreakerPolicy breakerPolicy,
      Clock clock,
      Consumer<StoreTransition> transitions) {
    this.store = store;
    this.timeoutNanos = timeout.toNanos();
    this.policy = policy;
    boolean inMemory = store instanceof InMemoryTokenLimitStore;
    Duration ownBound = store.callTimeout();
    boolean boundsItself = ownBound != null && ownBound.compareTo(timeout) <= 0;
    this.threads =
        inMemory || boundsItself
            ? null
            : new BoundedThreads(
                maxThreads,
                MAX_BACKLOG,
                () -> "ai-gateway-token-store-" + THREADS.incrementAndGet());
    this.breaker =
        inMemory
            ? null
            : new StoreBreaker(
                breakerPolicy,
                policy,
                clock,
                store.getClass().getName(),
                transitions,
                StoreBreaker.LOG);
    this.fallback =
        policy.mode() == StoreFailurePolicy.Mode.FALL_BACK_TO_LOCAL
            ? new LocalFallback(policy.share(), clock)
            : null;
  }

  /** The failure policy this guard applies. */
  StoreFailurePolicy policy() {
    return policy;
  }

  /** Reserves every charge or none; see {@link TokenLimitStore#reserve}. */
  Reserved reserve(List<LimitCharge> charges, long callId) {
    if (charges.isEmpty()) {
      return new Reserved(
          ReserveResult.admitted(Reservation.EMPTY, List.of()), Source.STORE, charges);
    }
    long permit = breaker == null ? 0 : breaker.acquire();
    if (permit == StoreBreaker.SKIP) {
      return storeFailed(charges, callId, null); // the breaker logged why, once
    }
    ReserveResult result;
    try {
      result =
          threads == null
              ? store.reserve(charges)
              : onStoreThread(() -> store.reserve(charges), this::refundLate);
    } catch (VirtualMachineError e) {
      failed(permit, e); // a probe must not stay out for good
      throw e;
    } catch (Throwable e) {
      failed(permit, e);
      return storeFailed(charges, callId, why(e));
    }
    if (result == null || result.remaining().size() != charges.size()) {
      if (result != null && result.admitted()) {
        refund(result.reservation(), callId);
      }
      String why = "no answer, or one that does not fit the charges";
      if (breaker != null) {
        breaker.failed(permit, why);
      }
      return storeFailed(charges, callId, why);
    }
    if (breaker != null) {
      breaker.succeeded(permit);
    }
    return new Reserved(result, Source.STORE, charges);
  }

  /**
   * Settles a reservation; see {@link TokenLimitStore#settle}. A reservation the fallback made
   * settles to the fallback; any other is attempted in the store whatever its breaker says. Returns
   * false when the store failed (or did not answer in time; the settlement may then still land).
   */
  boolean settle(Reservation reservation, long[] actual, Source source, long callId) {
    try {
      if (source == Source.FALLBACK) {
        fallback.settle(reservation, actual);
      } else if (threads == null) {
        store.settle(reservation, actual);
      } else {
        BoundedThreads.Pending<Boolean> pending =
            new BoundedThreads.Pending<>(
                () -> {
                  store.settle(reservation, actual);
                  return Boolean.TRUE;
                },
                settled -> {});
        if (!threads.start(pending)) {
          return queueSettlement(reservation, actual, callId);
        }
        await(pending);
      }
      return true;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      log.warn(
          "ai-gateway: the token {} failed to settle call {} to {}: {}",
          source == Source.FALLBACK ? "store's local fallback" : "store",
          callId,
          java.util.Arrays.toString(actual),
          why(e));
      return false;
    }
  }

  private void failed(long permit, Throwable e) {
    if (breaker != null) {
      breaker.failed(permit, why(e));
    }
  }

  /**
   * Applies the failure policy to a call the store could not reserve for.
   *
   * @param why why the store failed, for the log; null when the breaker skipped the store (its
   *     transition was logged once; a line per call would flood the log)
   */
  private Reserved storeFailed(List<LimitCharge> charges, long callId, String why) {
    if (why != null) {
      log.warn(
          "ai-gateway: the token store failed to reserve for call {}; {}: {}",
          callId,
          switch (policy.mode()) {
            case FAIL_OPEN -> "admitting it without a reservation";
            case FAIL_CLOSED -> "rejecting it (fail closed)";
            case FALL_BACK_TO_LOCAL -> "counting it in the local fallback";
          },
          why);
    }
    if (fallback != null) {
      List<LimitCharge> local = fallback.charges(charges);
      return new Reserved(fallback.reserve(local), Source.FALLBACK, local);
    }
    return new Reserved(
        ReserveResult.admitted(
            Reservation.EMPTY, java.util.Collections.nCopies(charges.size(), 0L)),
        policy.mode() == StoreFailurePolicy.Mode.FAIL_CLOSED
            ? Source.FAILED_CLOSED
            : Source.FAILED_OPEN,
        charges);
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
    BoundedThreads.Pending<T> pending = new BoundedThreads.Pending<>(task, late);
    if (!threads.start(pending)) {
      throw new RejectedExecutionException("every token store thread is taken");
    }
    return await(pending);
  }

  /** Waits for a store call on a store thread up to the timeout. */
  private <T> T await(BoundedThreads.Pending<T> pending) throws Throwable {
    return pending.await(timeoutNanos, "the token store", "no answer within ");
  }

  /**
   * Puts a settlement that found every store thread taken in the backlog, to run when one comes
   * free; false (not settled yet), or when the backlog is full, dropped with a log line.
   */
  private boolean queueSettlement(Reservation reservation, long[] actual, long callId) {
    boolean queued =
        threads.queue(
            () -> {
              try {
                store.settle(reservation, actual);
              } catch (VirtualMachineError e) {
                throw e;
              } catch (Throwable e) {
                log.warn(
                    "ai-gateway: the token store failed to settle call {} to {}: {}",
                    callId,
                    java.util.Arrays.toString(actual),
                    why(e));
              }
            });
    if (!queued) {
      log.warn(
          "ai-gateway: the token store's {} store threads are all taken and {} settlements wait"
              + " for one; call {}'s settlement to {} is dropped",
          threads.maxThreads(),
          MAX_BACKLOG,
          callId,
          java.util.Arrays.toString(actual));
    }
    return false;
  }

  /** Why a store call failed, for the log: the exception's class (its message may hold secrets). */
  private static String why(Throwable e) {
    return e instanceof TimeoutException ? e.getMessage() : e.getClass().getName();
  }
}
