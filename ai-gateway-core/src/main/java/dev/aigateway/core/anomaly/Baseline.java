package dev.aigateway.core.anomaly;

/**
 * One signal's learnt baseline: an exponentially weighted mean and variance (Finch, "Incremental
 * calculation of weighted mean and variance", 2009), with the weight {@code max(alpha, 1/n)} so the
 * first samples form a plain running mean and variance. Not thread-safe: its profile's lock guards
 * it.
 */
final class Baseline {

  private final double alpha;
  private double mean;
  private double variance;
  private long samples;

  Baseline(int window) {
    this.alpha = 2.0 / (window + 1);
  }

  void learn(double x) {
    samples++;
    double a = Math.max(alpha, 1.0 / samples);
    double d = x - mean;
    double step = a * d;
    mean += step;
    variance = (1 - a) * (variance + d * step);
  }

  double mean() {
    return mean;
  }

  double deviation() {
    return Math.sqrt(Math.max(0, variance));
  }

  long samples() {
    return samples;
  }
}
