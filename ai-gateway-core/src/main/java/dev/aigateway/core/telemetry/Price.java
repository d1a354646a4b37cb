package dev.aigateway.core.telemetry;

import dev.aigateway.api.Usage;
import java.math.BigDecimal;
import java.util.Objects;

/**
 * What one model costs, per million tokens, in whatever currency the prices are given in. Exact:
 * prices are {@link BigDecimal}s, and {@link #cost(Usage)} neither rounds nor goes through {@code
 * double}. The gateway ships no prices; they are always the user's.
 *
 * <pre>{@code
 * Price gpt4o = Price.perMillion("2.50", "1.25", "10.00");  // input, cached input, output
 * BigDecimal cost = gpt4o.cost(new Usage(1_000, 200, 1_200, 400, 0));
 * // (600 x 2.50 + 400 x 1.25 + 200 x 10.00) / 1,000,000 = 0.004
 * }</pre>
 *
 * <p>Providers that charge for writing the prompt cache (Anthropic: 1.25 times input for a five
 * minute entry) take that price apart: {@code Price.perMillion("3", "0.30", "15").withCacheWrite(
 * "3.75")}.
 *
 * @param input price of one million input tokens not served from the provider's prompt cache
 * @param cachedInput price of one million input tokens read from the prompt cache
 * @param output price of one million output tokens (reasoning tokens are output tokens)
 * @param cacheWrite price of one million input tokens written to the prompt cache
 * @throws IllegalArgumentException when a price is negative, is 10^18 or more, or has more than 64
 *     decimal places (trailing zeros aside): none of these is a price, and their costs could not be
 *     computed in reasonable time
 */
public record Price(
    BigDecimal input, BigDecimal cachedInput, BigDecimal output, BigDecimal cacheWrite) {

  private static final int PER_MILLION_DIGITS = 6;

  /** Prices per million tokens are below 10^18 ... */
  private static final int MAX_WHOLE_DIGITS = 18;

  /** ... and have at most 64 decimal places (trailing zeros aside). */
  private static final int MAX_DECIMAL_PLACES = 64;

  public Price {
    requirePrice(input, "input");
    requirePrice(cachedInput, "cached input");
    requirePrice(output, "output");
    requirePrice(cacheWrite, "cache write");
  }

  /**
   * Prices per million tokens whose cache writes cost plain input.
   *
   * @param input price of one million input tokens not served from the prompt cache
   * @param cachedInput price of one million input tokens read from the prompt cache
   * @param output price of one million output tokens
   */
  public Price(BigDecimal input, BigDecimal cachedInput, BigDecimal output) {
    this(input, cachedInput, output, input);
  }

  /**
   * This price with input tokens written to the provider's prompt cache ({@link
   * Usage#cacheWriteInputTokens()}) at {@code perMillion}, a decimal string.
   *
   * @throws IllegalArgumentException when the price is not a decimal number, is negative, is 10^18
   *     or more, or has more than 64 decimal places
   */
  public Price withCacheWrite(String perMillion) {
    return new Price(input, cachedInput, output, parse(perMillion, "cache write"));
  }

  /**
   * Prices per million tokens, given as decimal strings so they stay exact: {@code
   * Price.perMillion("0.15", "0.075", "0.60")}.
   *
   * @throws IllegalArgumentException when a price is not a decimal number, is negative, is 10^18 or
   *     more, or has more than 64 decimal places
   */
  public static Price perMillion(String input, String cachedInput, String output) {
    return new Price(
        parse(input, "input"), parse(cachedInput, "cached input"), parse(output, "output"));
  }

  /** Prices per million tokens: input, cached input, output. */
  public static Price perMillion(BigDecimal input, BigDecimal cachedInput, BigDecimal output) {
    return new Price(input, cachedInput, output);
  }

  /** Prices per million tokens for a model without a cache discount: cached input costs input. */
  public static Price perMillion(String input, String output) {
    BigDecimal in = parse(input, "input");
    return new Price(in, in, parse(output, "output"));
  }

  /**
   * The exact cost of {@code usage}: {@code ((input - cached - written) x input price + cached x
   * cached price + written x cache-write price + output x output price) / 1,000,000}. Cached (read)
   * and written tokens are part of the input tokens; a usage that reports more of them than input
   * tokens is charged its input at the cached price first, then the cache-write price. The result
   * is never rounded, only written without trailing zeros ({@code 0.004}, not {@code 0.00400000};
   * never in exponent form); round where you present it, for example {@code cost.setScale(2,
   * RoundingMode.HALF_EVEN)}.
   */
  public BigDecimal cost(Usage usage) {
    Objects.requireNonNull(usage, "usage");
    long cached = Math.min(usage.cachedInputTokens(), usage.inputTokens());
    long written = Math.min(usage.cacheWriteInputTokens(), usage.inputTokens() - cached);
    BigDecimal perMillion =
        input
            .multiply(BigDecimal.valueOf(usage.inputTokens() - cached - written))
            .add(cachedInput.multiply(BigDecimal.valueOf(cached)))
            .add(cacheWrite.multiply(BigDecimal.valueOf(written)))
            .add(output.multiply(BigDecimal.valueOf(usage.outputTokens())));
    BigDecimal cost = perMillion.movePointLeft(PER_MILLION_DIGITS).stripTrailingZeros();
    // A negative scale (1E+1 for ten) would print in exponent form; whole amounts get scale 0.
    return cost.scale() < 0 ? cost.setScale(0) : cost;
  }

  @Override
  public String toString() {
    return "Price{input="
        + input.toPlainString()
        + ", cachedInput="
        + cachedInput.toPlainString()
        + ", output="
        + output.toPlainString()
        + (cacheWrite.compareTo(input) == 0 ? "" : ", cacheWrite=" + cacheWrite.toPlainString())
        + " per million tokens}";
  }

  private static BigDecimal parse(String price, String what) {
    if (price == null) {
      throw new NullPointerException(what + " price");
    }
    try {
      return new BigDecimal(price.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          what + " price must be a decimal number such as \"2.50\"" + " but was \"" + price + "\"",
          e);
    }
  }

  private static void requirePrice(BigDecimal price, String what) {
    Objects.requireNonNull(price, () -> what + " price");
    if (price.signum() < 0) {
      throw new IllegalArgumentException(
          what + " price per million tokens must be >= 0 but was " + price.toPlainString());
    }
    // Every call's cost is computed and written out whole as the call ends: a price of millions
    // of digits (1E+20000000) would hold the calling thread for minutes, and one whose scale is
    // near Integer.MAX_VALUE overflows when moved by six places. Neither is a price.
    BigDecimal stripped = price.stripTrailingZeros();
    long wholeDigits = (long) stripped.precision() - stripped.scale();
    if (wholeDigits > MAX_WHOLE_DIGITS) {
      throw new IllegalArgumentException(
          what
              + " price per million tokens must be below 1E+"
              + MAX_WHOLE_DIGITS
              + " but has "
              + wholeDigits
              + " digits before the decimal point");
    }
    if (stripped.scale() > MAX_DECIMAL_PLACES) {
      throw new IllegalArgumentException(
          what
              + " price per million tokens may have at most "
              + MAX_DECIMAL_PLACES
              + " decimal places but has "
              + stripped.scale());
    }
  }
}
