package dev.aigateway.api.spi;

import java.util.List;

/**
 * What a {@link TokenLimitStore} took for one admitted call: a handle the store makes, to be given
 * back to the same store's {@link TokenLimitStore#settle settle} when the call ends.
 *
 * <p>The handle is opaque: the store's own class keeps what settlement needs (the quota window each
 * charge was taken from, a lease, the keys of a remote counter, ...). Callers read only {@link
 * #charges()} and must not implement this interface to settle with: a store rejects a reservation
 * it did not make. {@link #EMPTY} is the one reservation every store accepts.
 */
public interface Reservation {

  /** A reservation of nothing (no limit applies to the call); settling it changes nothing. */
  Reservation EMPTY =
      new Reservation() {
        @Override
        public List<LimitCharge> charges() {
          return List.of();
        }

        @Override
        public String toString() {
          return "Reservation.EMPTY";
        }
      };

  /** What was taken, in the order the charges were given to {@code reserve}; immutable. */
  List<LimitCharge> charges();

  /**
   * The largest number of tokens reserved under any one limit that counts tokens (0 when none
   * does): what the call's telemetry reports as reserved.
   */
  default long reservedTokens() {
    List<LimitCharge> charges = charges();
    long max = 0;
    for (int i = 0;
        i < charges.size();
        i++) { // by index: no iterator per reservation (a few charges)
      LimitCharge charge = charges.get(i);
      if (charge.limit().unit() == LimitSpec.Unit.TOKENS) {
        max = Math.max(max, charge.amount());
      }
    }
    return max;
  }
}
