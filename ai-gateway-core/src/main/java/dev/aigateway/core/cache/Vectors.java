package dev.aigateway.core.cache;

import org.jspecify.annotations.Nullable;

/** Small vector helpers for the semantic cache (and its tests and benchmarks). */
public final class Vectors {

  private Vectors() {}

  /** A unit-length copy of {@code v}; null when it is empty, zero or not finite. */
  public static float @Nullable [] normalised(float @Nullable [] v) {
    if (v == null || v.length == 0) {
      return null;
    }
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    if (!(sum > 0) || Double.isInfinite(sum)) {
      return null;
    }
    double scale = 1.0 / Math.sqrt(sum);
    float[] unit = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      unit[i] = (float) (v[i] * scale);
    }
    return unit;
  }
}
