package dev.aigateway.api.spi;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Keeps the counters of rate limits, calendar quotas and in-flight limits, per (limit, counter
 * key). A call is admitted with {@link #reserve} before it is sent and settled with {@link #settle}
 * when it ends:
 *
 * <pre>{@code
 * ReserveResult result = store.reserve(List.of(
 *     new LimitCharge(tokensPerMinute, "team-a", 1_200),   // the token estimate
 *     new LimitCharge(requestsPerMinute, "team-a", 1),     // one request
 *     new LimitCharge(inFlight, "team-a", 1)));            // one slot
 * if (result.admitted()) {
 *   // ... the call ...
 *   store.settle(result.reservation(), new long[] {950, 1, 0}); // used 950 tokens, 1 request
 * }
 * }</pre>
 *
 * <p>Guarantees every implementation must give (the in-memory default is the reference, and the
 * suite {@code dev.aigateway.store.tck.TokenLimitStoreContract} in {@code ai-gateway-store-tck}
 * checks them):
 *
 * <ul>
 *   <li><b>All or nothing.</b> {@link #reserve} admits only when every charge's counter has at
 *       least {@link LimitCharge#required()} units left (for an in-flight limit: a free slot), and
 *       then takes every charge's amount atomically with respect to every other reserve and settle;
 *       otherwise it takes nothing anywhere. Charges that name the same limit and counter key take
 *       from that one counter together: it must have their amounts' sum left (at least 1), and each
 *       settles on its own, so the counter counts the call once per charge.
 *   <li><b>Exact settlement, per charge.</b> {@link #settle} moves each charge's counter by the
 *       difference between that charge's actual amount and its reserved amount, without an
 *       admission check, so a rate or quota may go below zero (the overdraft delays later calls).
 *       Quota windows: the difference applies to the window the units were reserved in while it is
 *       current; once it has ended, a refund is dropped and an extra charge goes to the current
 *       window. An in-flight charge is always settled to 0: its slot is freed.
 *   <li><b>Once.</b> A reservation is settled at most once: the first valid {@code settle} applies,
 *       every later one (also a concurrent one) changes nothing.
 *   <li><b>Own handles only.</b> {@code settle} accepts {@link Reservation#EMPTY} and the
 *       reservations this store made; any other throws {@link IllegalArgumentException}. Arguments
 *       are checked before anything changes: a rejected {@code settle} leaves the reservation
 *       unsettled.
 *   <li><b>Rates refill continuously</b> ({@code capacity} per refill period, never above
 *       capacity); <b>quotas reset</b> at each calendar window start; <b>in-flight slots</b> are
 *       freed only by settlement, never by time.
 *   <li><b>No overflow.</b> Every {@link LimitSpec} is honoured, capacities up to {@link
 *       Long#MAX_VALUE} included. Sums of charges and overdrafts saturate instead of wrapping
 *       around: a sum beyond {@code Long.MAX_VALUE} is more than any counter holds.
 *   <li><b>Any amount up to the bound.</b> Charges and settlements are between 0 and {@link
 *       dev.aigateway.api.Usage#MAX_TOKENS} (the gateway never passes more); a store takes any of
 *       them, however many calls overdraw a counter, and never fails on the arithmetic. The bound
 *       also keeps sums of many charges exact in stores that compute in doubles (2^53).
 *   <li><b>Bounded state.</b> Counters of idle keys may be dropped once dropping them loses nothing
 *       (a full bucket, an ended window, an in-flight counter with no slot taken).
 *   <li><b>Thread-safe</b>, and fast enough for the hot path.
 * </ul>
 */
public interface TokenLimitStore {

  /**
   * Reserves every charge or none. Never throws for a limit that rejects the call: the result says
   * which charge was rejected and when to retry.
   *
   * @param charges one per applicable limit; an empty list admits with {@link Reservation#EMPTY}
   */
  ReserveResult reserve(List<LimitCharge> charges);

  /**
   * Settles an admitted call: each charge's counter moves by its actual amount minus its reserved
   * amount. Settle every admitted reservation once (a later settle of the same reservation changes
   * nothing); a refund (a call that failed) settles every charge to 0.
   *
   * @param reservation what {@link #reserve} of this store returned, or {@link Reservation#EMPTY}
   * @param actual per charge, in the order of {@link Reservation#charges()}, the units the call
   *     used: tokens for a token limit, 0 or 1 for a request limit, always 0 for an in-flight limit
   *     (its slot is freed); the store reads the array during the call only
   * @throws IllegalArgumentException if this store did not make the reservation, if {@code actual}
   *     does not have one amount per charge, or if an amount is negative or above {@link
   *     dev.aigateway.api.Usage#MAX_TOKENS} (or not 0 for an in-flight charge); nothing changes
   *     then
   */
  void settle(Reservation reservation, long[] actual);

  /**
   * The longest any {@link #reserve} or {@link #settle} of this store can take, when the store
   * enforces that bound itself (for example with a client-side command timeout) and throws once it
   * passes; {@code null}, the default, when it does not.
   *
   * <p>The gateway must not let a store hold a call past its store timeout. A store that bounds its
   * own calls within that timeout is called on the calling thread; any other store is called on the
   * gateway's store threads, which costs a thread hand-off (a wake-up and a context switch) per
   * reservation and settlement.
   *
   * @return the bound, positive; or null when the store does not bound its calls
   */
  default @Nullable Duration callTimeout() {
    return null;
  }

  /**
   * Reads counters without changing them: nothing is charged, no counter is created, no expiry is
   * extended, so reading is safe for an inventory or a dashboard at any time. A counter the store
   * does not hold reads as {@linkplain CounterReading#untouched untouched}. Each reading is of one
   * moment; readings of one call are as consistent as the store can make them cheaply (the
   * in-memory store reads each counter under its lock, a Redis store reads them all in one
   * read-only script).
   *
   * <p>Optional: the default throws {@link UnsupportedOperationException}, so a store written
   * before this method still compiles; the gateway's inventory then lists limits without usage.
   *
   * @param counters the counters to read
   * @return one reading per counter, in order
   * @throws UnsupportedOperationException when the store cannot read counters without charging
   */
  default List<CounterReading> peek(List<CounterId> counters) {
    throw new UnsupportedOperationException(
        getClass().getName() + " cannot read its counters without charging them (no peek)");
  }

  /**
   * The first checks every {@link #settle} makes: neither argument is null, and {@link
   * Reservation#EMPTY} settles nothing (its amounts are still checked: there must be none).
   *
   * <pre>{@code
   * public void settle(Reservation reservation, long[] actual) {
   *   if (TokenLimitStore.settlesNothing(reservation, actual)) {
   *     return;
   *   }
   *   if (!(reservation instanceof MyHandle handle) || handle.store != this) {
   *     throw TokenLimitStore.foreignReservation(reservation);
   *   }
   *   long[] deltas = TokenLimitStore.settlementDeltas(handle.charges(), actual);
   *   ...
   * }
   * }</pre>
   *
   * @return true for {@link Reservation#EMPTY}, which the caller then settles by doing nothing
   * @throws IllegalArgumentException when {@code reservation} is empty but {@code actual} is not
   */
  static boolean settlesNothing(Reservation reservation, long[] actual) {
    java.util.Objects.requireNonNull(reservation, "reservation");
    java.util.Objects.requireNonNull(actual, "actual");
    if (reservation == Reservation.EMPTY) {
      settlementDeltas(List.of(), actual);
      return true;
    }
    return false;
  }

  /**
   * The exception {@link #settle} throws for a reservation another store (or no store) made.
   *
   * @param reservation the reservation that is not the store's own
   */
  static IllegalArgumentException foreignReservation(Reservation reservation) {
    return new IllegalArgumentException(
        "reservation "
            + reservation
            + " was not made by this store; settle a reservation with the store whose reserve"
            + " returned it");
  }

  /**
   * Checks a settlement's amounts against the charges of a reservation and returns, per charge, the
   * actual amount minus the reserved one: what {@link #settle} applies to each counter. One place
   * for the rules every store checks before it changes anything.
   *
   * @param charges the reservation's charges
   * @param actual the amounts given to {@link #settle}
   * @return per charge, {@code actual[i] - charges.get(i).amount()} (an in-flight charge: minus its
   *     slot)
   * @throws IllegalArgumentException if {@code actual} does not have one amount per charge, an
   *     amount is negative or above {@link dev.aigateway.api.Usage#MAX_TOKENS}, or an in-flight
   *     charge's amount is not 0
   */
  static long[] settlementDeltas(List<LimitCharge> charges, long[] actual) {
    checkSettlement(charges, actual);
    long[] deltas = new long[actual.length];
    for (int i = 0; i < actual.length; i++) {
      deltas[i] = actual[i] - charges.get(i).amount();
    }
    return deltas;
  }

  /**
   * Checks a settlement's amounts against the charges of a reservation, as {@link
   * #settlementDeltas} does, without making the array of differences: for a store that applies
   * {@code actual[i] - charges.get(i).amount()} to each counter as it goes.
   *
   * @param charges the reservation's charges
   * @param actual the amounts given to {@link #settle}
   * @throws IllegalArgumentException if {@code actual} does not have one amount per charge, an
   *     amount is negative or above {@link dev.aigateway.api.Usage#MAX_TOKENS}, or an in-flight
   *     charge's amount is not 0
   */
  static void checkSettlement(List<LimitCharge> charges, long[] actual) {
    if (actual.length != charges.size()) {
      throw new IllegalArgumentException(
          "settle needs one actual amount per charge: "
              + charges.size()
              + " charges but "
              + actual.length
              + " amounts");
    }
    for (int i = 0; i < actual.length; i++) {
      LimitCharge charge = charges.get(i);
      if (actual[i] < 0 || actual[i] > dev.aigateway.api.Usage.MAX_TOKENS) {
        throw new IllegalArgumentException(
            "actual amount "
                + i
                + " (limit '"
                + charge.limit().id()
                + "') must be between 0 and "
                + dev.aigateway.api.Usage.MAX_TOKENS
                + " (Usage.MAX_TOKENS) but was "
                + actual[i]);
      }
      if (charge.limit().kind() == LimitSpec.Kind.IN_FLIGHT && actual[i] != 0) {
        throw new IllegalArgumentException(
            "actual amount "
                + i
                + " (in-flight limit '"
                + charge.limit().id()
                + "') must be 0, since settling frees the slot, but was "
                + actual[i]);
      }
    }
  }
}
