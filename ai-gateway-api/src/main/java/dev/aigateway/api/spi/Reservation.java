package dev.aigateway.api.spi;

import java.util.List;

/**
 * Tokens a store took for one admitted call, to be settled exactly once with
 * {@link TokenLimitStore#settle(Reservation, long)}.
 *
 * @param charges what was taken, in the order given to {@code reserve}
 * @param windowStarts per charge, the epoch millisecond start of the quota window the tokens were
 *     taken from (0 for rate limits); settlement adjusts that window only while it is current
 */
public record Reservation(List<LimitCharge> charges, List<Long> windowStarts) {
  public Reservation {
    charges = List.copyOf(charges);
    windowStarts = List.copyOf(windowStarts);
    if (charges.size() != windowStarts.size()) {
      throw new IllegalArgumentException("one window start per charge: " + charges.size()
          + " charges but " + windowStarts.size() + " window starts");
    }
  }

  /** A reservation of nothing (no limit applies to the call). */
  public static final Reservation EMPTY = new Reservation(List.of(), List.of());

  /** The largest number of tokens reserved under any one limit. */
  public long reservedTokens() {
    long max = 0;
    for (LimitCharge charge : charges) {
      max = Math.max(max, charge.tokens());
    }
    return max;
  }
}
