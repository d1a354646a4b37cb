package dev.aigateway.core.limit;

import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's local stand-in for a failing token store: an {@link InMemoryTokenLimitStore} whose
 * every limit holds a share of the configured capacity (rounded down, at least 1). Its counters
 * live as long as the gateway, so successive outages draw on the same local budget. Thread-safe.
 */
final class LocalFallback {

  private final double share;
  private final InMemoryTokenLimitStore store;
  // One entry per configured limit spec: bounded by the configuration.
  private final ConcurrentHashMap<LimitSpec, LimitSpec> shares = new ConcurrentHashMap<>();

  LocalFallback(double share, Clock clock) {
    this.share = share;
    this.store = new InMemoryTokenLimitStore(clock, InMemoryTokenLimitStore.DEFAULT_SWEEP_INTERVAL);
  }

  /** The charges as the fallback takes them: on its share of each limit. */
  List<LimitCharge> charges(List<LimitCharge> charges) {
    List<LimitCharge> local = new ArrayList<>(charges.size());
    for (LimitCharge charge : charges) {
      LimitSpec spec = shares.computeIfAbsent(charge.limit(), this::share);
      local.add(new LimitCharge(spec, charge.counterKey(), charge.amount()));
    }
    return local;
  }

  /** Reserves charges made by {@link #charges}; see {@link InMemoryTokenLimitStore#reserve}. */
  ReserveResult reserve(List<LimitCharge> localCharges) {
    return store.reserve(localCharges);
  }

  /** Settles a reservation the fallback made. */
  void settle(Reservation reservation, long[] actual) {
    store.settle(reservation, actual);
  }

  private LimitSpec share(LimitSpec spec) {
    return new LimitSpec(
        spec.id(),
        spec.kind(),
        spec.unit(),
        sharedCapacity(spec.capacity(), share),
        spec.refillPeriod(),
        spec.quotaPeriod(),
        spec.zone());
  }

  /**
   * {@code share} of a capacity, rounded down, at least 1 (a limit never becomes a wall). The share
   * is taken as its shortest decimal form ({@code 0.29}, not the binary double just below it), so
   * 29% of 100 is 29.
   */
  static long sharedCapacity(long capacity, double share) {
    if (share >= 1) {
      return capacity;
    }
    long shared =
        BigDecimal.valueOf(share)
            .multiply(BigDecimal.valueOf(capacity))
            .setScale(0, RoundingMode.FLOOR)
            .longValueExact(); // share < 1, so it fits
    return Math.max(1, shared);
  }
}
