package dev.aigateway.redis;

import dev.aigateway.api.spi.LimitSpec;
import java.math.BigInteger;
import java.time.Duration;

/**
 * A rate's refill speed as the script needs it: {@code a/b} units per microsecond in lowest terms,
 * passed as {@code q = floor(a/b)}, {@code r = a mod b} and {@code b}, so the script's refill is
 * exact integer arithmetic in doubles whatever the capacity (up to {@link Long#MAX_VALUE}). When
 * {@code b} would reach 2^52 (a refill period above about 52 days whose length shares few factors
 * with the capacity) both terms are halved until it fits: the rate is then kept to within one part
 * in 2^51, rounded down.
 */
record RateTerms(
    BigInteger a, BigInteger b, String q, String r, String bText, String microsPerUnit) {

  private static final BigInteger THOUSAND = BigInteger.valueOf(1000);
  private static final BigInteger TWO_53 = BigInteger.ONE.shiftLeft(53);

  static RateTerms of(LimitSpec rate) {
    BigInteger a = BigInteger.valueOf(rate.capacity()).multiply(THOUSAND);
    BigInteger b = BigInteger.valueOf(rate.refillPeriod().toNanos());
    BigInteger gcd = a.gcd(b);
    a = a.divide(gcd);
    b = b.divide(gcd);
    while (b.bitLength() > 52) {
      a = a.shiftRight(1);
      b = b.shiftRight(1);
    }
    if (a.signum() == 0) {
      a = BigInteger.ONE;
    }
    BigInteger[] split = a.divideAndRemainder(b);
    // A whole part of 2^53 units a microsecond or more refills any bucket the script can hold.
    BigInteger q = split[0].min(TWO_53);
    double micros = b.doubleValue() / a.doubleValue();
    return new RateTerms(
        a,
        b,
        q.toString(),
        split[1].toString(),
        b.toString(),
        String.format(java.util.Locale.ROOT, "%.17g", micros * (1 + 1e-9)));
  }

  /**
   * The time until {@code required} units are left in a bucket of {@code capacity} that has {@code
   * used} units taken and {@code progress} (in 1/b of a unit) towards the next; rounded up to the
   * microsecond. A charge the bucket can never hold waits a whole period, as in memory.
   */
  Duration waitFor(LimitSpec rate, long used, long progress, long required) {
    BigInteger available = BigInteger.valueOf(rate.capacity()).subtract(BigInteger.valueOf(used));
    BigInteger needed = BigInteger.valueOf(required);
    if (required > rate.capacity() || needed.compareTo(available) <= 0) {
      return rate.refillPeriod();
    }
    BigInteger fraction =
        needed.subtract(available).multiply(b).subtract(BigInteger.valueOf(progress));
    BigInteger[] split = fraction.divideAndRemainder(a);
    BigInteger micros = split[1].signum() == 0 ? split[0] : split[0].add(BigInteger.ONE);
    BigInteger nanos = micros.multiply(THOUSAND);
    return Duration.ofNanos(nanos.min(BigInteger.valueOf(Long.MAX_VALUE)).longValueExact());
  }
}
