package dev.aigateway.core.limit;

import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.StoreTransition;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Request and in-flight counters of calls that are not LLM calls (MCP tool calls, A2A agent calls),
 * kept in the gateway's {@link TokenLimitStore} with the same atomic reservation, settlement and
 * failure handling ({@link StoreFailurePolicy}, store breaker) as the limit stage's. Public for the
 * library's own packages ({@code core.agent}); not part of the API.
 */
public final class CallCounters {

  private final GuardedStore store;

  /**
   * Counters in {@code store}, guarded as the gateway's limit stage guards it.
   *
   * @param timeout how long a call waits for a store other than the in-memory one
   * @param policy what a call gets when the store cannot reserve for it
   * @param breaker when to stop asking a failing store
   * @param clock the gateway's clock
   * @param transitions told of every change of the store's health
   */
  public CallCounters(
      TokenLimitStore store,
      Duration timeout,
      StoreFailurePolicy policy,
      StoreBreakerPolicy breaker,
      Clock clock,
      Consumer<StoreTransition> transitions) {
    this.store =
        new GuardedStore(
            store, timeout, GuardedStore.MAX_THREADS, policy, breaker, clock, transitions);
  }

  /**
   * Takes every charge or none, under the gateway's failure policy.
   *
   * @param charges one request per rate counter, one slot per in-flight counter
   * @param callId for logs
   */
  public Taken reserve(List<LimitCharge> charges, long callId) {
    GuardedStore.Reserved reserved = store.reserve(charges, callId);
    ReserveResult result = reserved.result();
    GuardedStore.Source source = reserved.source();
    LimitOutcome outcome =
        switch (source) {
          case STORE ->
              charges.isEmpty()
                  ? LimitOutcome.NONE
                  : result.admitted() ? LimitOutcome.SETTLED : LimitOutcome.REJECTED;
          case FALLBACK ->
              result.admitted() ? LimitOutcome.FALLBACK_SETTLED : LimitOutcome.FALLBACK_REJECTED;
          case FAILED_OPEN, FAILED_CLOSED -> LimitOutcome.STORE_FAILED;
        };
    if (source == GuardedStore.Source.FAILED_CLOSED) {
      return new Taken(null, null, store.policy().retryAfter(), outcome, source, true);
    }
    if (!result.admitted()) {
      return new Taken(null, result.rejectedBy(), result.retryAfter(), outcome, source, false);
    }
    return new Taken(result.reservation(), null, null, outcome, source, false);
  }

  /**
   * Settles what {@link #reserve} took: request counters keep their request when the call was sent
   * ({@code sent}), else refund it; in-flight slots are freed. Returns false when the store failed
   * to settle.
   */
  public boolean settle(Taken taken, boolean sent, long callId) {
    Reservation reservation = taken.reservation;
    if (reservation == null || reservation.charges().isEmpty()) {
      return true;
    }
    List<LimitCharge> charges = reservation.charges();
    long[] actual = new long[charges.size()];
    for (int i = 0; i < actual.length; i++) {
      LimitSpec spec = charges.get(i).limit();
      actual[i] = spec.kind() == LimitSpec.Kind.IN_FLIGHT ? 0 : sent ? charges.get(i).amount() : 0;
    }
    return store.settle(reservation, actual, taken.source, callId);
  }

  /** What a reservation took. Immutable. */
  public static final class Taken {
    private final @Nullable Reservation reservation;
    private final @Nullable LimitCharge rejectedBy;
    private final @Nullable Duration retryAfter;
    private final LimitOutcome outcome;
    private final GuardedStore.Source source;
    private final boolean storeUnavailable;

    Taken(
        @Nullable Reservation reservation,
        @Nullable LimitCharge rejectedBy,
        @Nullable Duration retryAfter,
        LimitOutcome outcome,
        GuardedStore.Source source,
        boolean storeUnavailable) {
      this.reservation = reservation;
      this.rejectedBy = rejectedBy;
      this.retryAfter = retryAfter;
      this.outcome = outcome;
      this.source = source;
      this.storeUnavailable = storeUnavailable;
    }

    /** Whether the call may go. */
    public boolean admitted() {
      return reservation != null;
    }

    /** The charge that refused the call, when a counter did (null when admitted). */
    public @Nullable LimitCharge rejectedBy() {
      return rejectedBy;
    }

    /** When to try again, for a refused call; null when admitted. */
    public @Nullable Duration retryAfter() {
      return retryAfter;
    }

    /** The limit outcome, as events report it. */
    public LimitOutcome outcome() {
      return outcome;
    }

    /** True when the store failed and the failure policy fails closed. */
    public boolean storeUnavailable() {
      return storeUnavailable;
    }
  }
}
