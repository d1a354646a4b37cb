package dev.aigateway.api.spi;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What {@link TokenLimitStore#reserve(List)} decided. Never thrown: the hot path returns a result.
 *
 * @param reservation the store's handle for what it took, when admitted; null when rejected
 *     (nothing was taken)
 * @param rejectedBy the charge whose limit rejected the call; null when admitted
 * @param retryAfter when rejected, how long until the rejecting limit can admit the charge ({@link
 *     Duration#ZERO} for an in-flight limit, which frees a slot whenever a call ends); when several
 *     limits reject the call, the longest of their waits (the call fits only once every one admits
 *     it), so a client retrying after it is not refused again by a limit it was not told of. The
 *     built-in stores name the limit by precedence (a spent quota, a busy rate, a full in-flight
 *     limit) and among equals the one with the longest wait. Null when admitted
 * @param remaining per charge, the units the counter has left after the decision (may be negative
 *     when earlier calls overdrew it); for an in-flight limit, its free slots
 */
public record ReserveResult(
    @Nullable Reservation reservation,
    @Nullable LimitCharge rejectedBy,
    @Nullable Duration retryAfter,
    List<Long> remaining) {

  public ReserveResult {
    remaining = List.copyOf(remaining);
    if ((reservation == null) == (rejectedBy == null)) {
      throw new IllegalArgumentException("exactly one of reservation and rejectedBy must be set");
    }
    if (rejectedBy != null) {
      Objects.requireNonNull(retryAfter, "retryAfter");
    }
  }

  /** An admission. */
  public static ReserveResult admitted(Reservation reservation, List<Long> remaining) {
    return new ReserveResult(reservation, null, null, remaining);
  }

  /** A rejection; nothing was reserved anywhere. */
  public static ReserveResult rejected(LimitCharge by, Duration retryAfter, List<Long> remaining) {
    return new ReserveResult(null, by, retryAfter, remaining);
  }

  /** Whether every limit admitted the call. */
  public boolean admitted() {
    return reservation != null;
  }
}
