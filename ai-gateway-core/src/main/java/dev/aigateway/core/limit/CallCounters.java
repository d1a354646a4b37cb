package dev.aigateway.core.limit;

import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Request and in-flight counters of calls that are not LLM calls (MCP tool calls, A2A agent calls),
 * kept in the gateway's {@link TokenLimitStore} through the limit stage's own {@link GuardedStore}:
 * the same atomic reservation, settlement and failure handling ({@link StoreFailurePolicy}, store
 * breaker), and one health state for the store whichever kind of call finds it failing. Public for
 * the library's own packages ({@code core.agent}); not part of the API.
 */
public final class CallCounters {

  private final GuardedStore store;

  /**
   * Counters in the gateway's guarded store: the same guard (breaker, health, failure policy) as
   * its limit stage's.
   */
  public CallCounters(GuardedStore store) {
    this.store = Objects.requireNonNull(store, "store");
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
