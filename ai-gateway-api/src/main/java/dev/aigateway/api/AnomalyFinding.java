package dev.aigateway.api;

import java.util.Locale;
import java.util.Objects;

/**
 * Why anomaly detection judged a consumer anomalous: the signal, what it measured, and the baseline
 * and threshold it was judged against.
 *
 * @param signal the signal that was out of bounds
 * @param observed the consumer's recent value, in the signal's {@link AnomalySignal#unit()}
 * @param baseline the mean of the consumer's learnt baseline
 * @param deviation the standard deviation of the baseline
 * @param threshold the value {@code observed} exceeded: the largest of the baseline plus the
 *     configured number of deviations, the baseline times the configured ratio, and the signal's
 *     absolute floor
 */
public record AnomalyFinding(
    AnomalySignal signal, double observed, double baseline, double deviation, double threshold) {

  /** Validates the finding. */
  public AnomalyFinding {
    Objects.requireNonNull(signal, "signal");
  }

  /**
   * For people, for example {@code "request_rate 412 calls/min above threshold 60 (baseline 40 ±
   * 5)"}.
   */
  public String describe() {
    return String.format(
        Locale.ROOT,
        "%s %s %s above threshold %s (baseline %s ± %s)",
        signal.label(),
        number(observed),
        signal.unit(),
        number(threshold),
        number(baseline),
        number(deviation));
  }

  private static String number(double value) {
    return Math.abs(value) >= 100 || value == Math.rint(value)
        ? String.format(Locale.ROOT, "%.0f", value)
        : String.format(Locale.ROOT, "%.3g", value);
  }
}
