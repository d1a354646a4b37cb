package dev.aigateway.core.cache;

/** Dot products over contiguous float arrays, written for the JIT of Java 17. */
final class VectorMath {

  private VectorMath() {}

  /**
   * The dot product of {@code a[aOffset, aOffset + length)} and {@code b[bOffset, ...)}.
   *
   * <p>Eight independent accumulators: a single running sum is one long chain of dependent
   * additions (one per ~4 cycles), whereas eight chains keep the floating-point units busy. Java 17
   * without the incubating Vector API does not vectorise a float reduction, because that would
   * reorder the additions; splitting the sum ourselves is the reordering it may not do.
   */
  static float dot(float[] a, int aOffset, float[] b, int bOffset, int length) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    float s4 = 0;
    float s5 = 0;
    float s6 = 0;
    float s7 = 0;
    int i = 0;
    int upper = length & ~7;
    for (; i < upper; i += 8) {
      int x = aOffset + i;
      int y = bOffset + i;
      s0 += a[x] * b[y];
      s1 += a[x + 1] * b[y + 1];
      s2 += a[x + 2] * b[y + 2];
      s3 += a[x + 3] * b[y + 3];
      s4 += a[x + 4] * b[y + 4];
      s5 += a[x + 5] * b[y + 5];
      s6 += a[x + 6] * b[y + 6];
      s7 += a[x + 7] * b[y + 7];
    }
    for (; i < length; i++) {
      s0 += a[aOffset + i] * b[bOffset + i];
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }
}
