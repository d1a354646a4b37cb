package dev.aigateway.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.Usage;
import java.math.BigDecimal;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PriceTableTest {

  private static final Price GPT_4O = Price.perMillion("2.50", "1.25", "10.00");
  private static final Price GPT_4O_MINI = Price.perMillion("0.15", "0.075", "0.60");

  // ---------------------------------------------------------------- arithmetic

  @Test
  void costIsExactWithDecimalPrices() {
    // 0.15 per million x 1,234,567 tokens = 0.18518505, not 0.18518504999999998
    assertThat(GPT_4O_MINI.cost(Usage.of(1_234_567, 0))).isEqualTo(new BigDecimal("0.18518505"));
  }

  @Test
  void cachedInputTokensAreChargedAtTheCachedPriceAndTheRestAtTheInputPrice() {
    Usage usage = new Usage(1_000, 200, 1_200, 400, 0);

    // (600 x 2.50 + 400 x 1.25 + 200 x 10.00) / 1,000,000
    assertThat(GPT_4O.cost(usage)).isEqualTo(new BigDecimal("0.004"));
  }

  @Test
  void reasoningTokensArePartOfTheOutputAndNotChargedTwice() {
    Usage withReasoning = new Usage(0, 1_000, 1_000, 0, 800);

    assertThat(GPT_4O.cost(withReasoning))
        .isEqualTo(GPT_4O.cost(Usage.of(0, 1_000)))
        .isEqualTo(new BigDecimal("0.01"));
  }

  @Test
  void promptCacheReadsAndWritesArePricedApartFromPlainInput() {
    // Claude Sonnet 4.5 as Anthropic lists it: 3 input, 0.30 cache hits, 3.75 five-minute cache
    // writes, 15 output per million tokens.
    Price sonnet = Price.perMillion("3", "0.30", "15").withCacheWrite("3.75");
    Usage usage = new Usage(189_107, 393, 189_500, 1_000, 0, 188_086, 0, 0, 0);

    // (21 x 3 + 1,000 x 0.30 + 188,086 x 3.75 + 393 x 15) / 1,000,000
    assertThat(sonnet.cost(usage)).isEqualTo(new BigDecimal("0.7115805"));
    assertThat(sonnet.toString()).contains("cacheWrite=3.75");
  }

  @Test
  void withoutACacheWritePriceWritesCostPlainInput() {
    Usage usage = new Usage(1_000, 0, 1_000, 0, 0, 400, 0, 0, 0);

    assertThat(GPT_4O.cost(usage)).isEqualTo(GPT_4O.cost(Usage.of(1_000, 0)));
  }

  @Test
  void moreCachedThanInputTokensChargesAllInputAtTheCachedPrice() {
    Usage odd = new Usage(100, 0, 100, 250, 0);

    assertThat(GPT_4O.cost(odd)).isEqualTo(new BigDecimal("0.000125"));
  }

  @Test
  void sumsOfTenthsStayExactWhereDoublesDrift() {
    Price tenth = Price.perMillion("0.1", "0.1", "0.2");
    BigDecimal sum = BigDecimal.ZERO;
    for (int i = 0; i < 1_000; i++) {
      sum = sum.add(tenth.cost(Usage.of(1_000_000, 1_000_000)));
    }

    assertThat(sum).isEqualByComparingTo("300");
  }

  @Test
  void hugeUsageDoesNotOverflow() {
    Price price = Price.perMillion("1000000", "1000000", "1000000");
    Usage usage = new Usage(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, 0, 0);

    assertThat(price.cost(usage))
        .isEqualByComparingTo(BigDecimal.valueOf(Long.MAX_VALUE).multiply(BigDecimal.valueOf(2)));
  }

  @Test
  void costIsNeverRoundedOnlyFreedOfTrailingZeros() {
    assertThat(Price.perMillion("3", "3", "3").cost(Usage.of(1, 0)))
        .isEqualTo(new BigDecimal("0.000003"));
    assertThat(Price.perMillion("0.123456789", "0", "0").cost(Usage.of(7, 0)))
        .isEqualTo(new BigDecimal("0.000000864197523"));
    assertThat(Price.perMillion("2.50", "0", "0").cost(Usage.of(400_000, 0)))
        .isEqualTo(new BigDecimal("1"));
  }

  @Test
  void wholeAmountsAreNeverInExponentForm() {
    BigDecimal cost =
        Price.perMillion(new BigDecimal("1E+7"), BigDecimal.ZERO, BigDecimal.ZERO)
            .cost(Usage.of(1_000_000, 0));

    assertThat(cost).isEqualTo(new BigDecimal("10000000"));
    assertThat(cost.toString()).isEqualTo("10000000");
  }

  @Test
  void zeroUsageCostsZero() {
    assertThat(GPT_4O.cost(Usage.ZERO)).isZero();
  }

  @Test
  void twoPricesMeanNoCacheDiscount() {
    Price price = Price.perMillion("2", "8");

    assertThat(price.cachedInput()).isEqualTo(price.input()).isEqualTo(new BigDecimal("2"));
    assertThat(price.cost(new Usage(1_000, 0, 1_000, 1_000, 0)))
        .isEqualTo(price.cost(Usage.of(1_000, 0)));
  }

  // ---------------------------------------------------------------- lookup

  @Test
  void anExactModelIsPriced() {
    PriceTable table = PriceTable.builder().model("gpt-4o", GPT_4O).build();

    assertThat(table.price("gpt-4o")).contains(GPT_4O);
    assertThat(table.cost("gpt-4o", Usage.of(1_000_000, 0))).contains(new BigDecimal("2.5"));
  }

  @Test
  void anUnknownModelHasNoPriceAndNoCost() {
    PriceTable table = PriceTable.builder().model("gpt-4o", GPT_4O).build();

    assertThat(table.price("gpt-4o-2024-11-20")).isEmpty();
    assertThat(table.cost("claude", Usage.of(10, 10))).isEmpty();
    assertThat(table.cost(null, Usage.of(10, 10))).isEmpty();
  }

  @Test
  void theLongestMatchingPrefixWins() {
    PriceTable table =
        PriceTable.builder()
            .modelPrefix("gpt-4o", GPT_4O)
            .modelPrefix("gpt-4o-mini", GPT_4O_MINI)
            .build();

    assertThat(table.price("gpt-4o-mini-2024-07-18")).contains(GPT_4O_MINI);
    assertThat(table.price("gpt-4o-2024-11-20")).contains(GPT_4O);
    assertThat(table.price("gpt-4")).isEmpty();
  }

  @Test
  void anExactEntryBeatsAnyPrefix() {
    Price special = Price.perMillion("1", "1", "1");
    PriceTable table =
        PriceTable.builder()
            .modelPrefix("gpt-4o-mini", GPT_4O_MINI)
            .model("gpt-4o-mini-2024-07-18", special)
            .build();

    assertThat(table.price("gpt-4o-mini-2024-07-18")).contains(special);
    assertThat(table.price("gpt-4o-mini")).contains(GPT_4O_MINI);
  }

  @Test
  void modelNamesAreCaseSensitive() {
    PriceTable table = PriceTable.builder().model("gpt-4o", GPT_4O).build();

    assertThat(table.price("GPT-4o")).isEmpty();
  }

  @Test
  void anEmptyTablePricesNothing() {
    assertThat(PriceTable.builder().build().cost("gpt-4o", Usage.of(1, 1)))
        .isEqualTo(Optional.empty());
  }

  // ---------------------------------------------------------------- validation

  @Test
  void negativePricesAreRejectedWithTheValue() {
    assertThatThrownBy(() -> Price.perMillion("2.50", "-0.01", "10"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cached input price per million tokens must be >= 0 but was -0.01");
  }

  @Test
  void pricesOfAbsurdMagnitudeAreRejectedWhenBuilt() {
    // The cost of every call is computed on the calling thread as it ends: 1E+20000000 would take
    // minutes to write out in whole digits there, and 1E-2147483647 overflows BigDecimal's scale
    // when moved by six places (an ArithmeticException in place of the call's event).
    assertThatThrownBy(() -> Price.perMillion("1E+20000000", "0", "0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "input price per million tokens must be below 1E+18 but has 20000001 digits"
                + " before the decimal point");
    assertThatThrownBy(() -> Price.perMillion("1", "1E-2147483647", "1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "cached input price per million tokens may have at most 64 decimal places but has"
                + " 2147483647");
    assertThatThrownBy(() -> Price.perMillion("1", "1").withCacheWrite("1e19"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("cache write price per million tokens must be below 1E+18");
    // The extremes still allowed cost what they should.
    Price largest = Price.perMillion("999999999999999999", "0." + "0".repeat(63) + "1", "0");
    assertThat(largest.cost(new Usage(2_000_000, 0, 2_000_000, 1_000_000, 0)))
        .isEqualTo(new BigDecimal("999999999999999999." + "0".repeat(63) + "1"));
    assertThat(Price.perMillion("0E+40", "0E-90", "1.5" + "0".repeat(100)).cost(Usage.of(2, 2)))
        .isEqualTo(new BigDecimal("0.000003"));
  }

  @Test
  void pricesThatAreNotNumbersAreRejectedWithTheValue() {
    assertThatThrownBy(() -> Price.perMillion("$2.50", "1", "1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("input price must be a decimal number")
        .hasMessageContaining("\"$2.50\"");
  }

  @Test
  void missingPricesAreRejectedWithTheirName() {
    assertThatThrownBy(() -> Price.perMillion("1", null, "1"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("cached input price");
    assertThatThrownBy(() -> new Price(BigDecimal.ONE, BigDecimal.ONE, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("output price");
  }

  @Test
  void blankModelNamesAreRejected() {
    assertThatThrownBy(() -> PriceTable.builder().model(" ", GPT_4O))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("model name must be non-blank but was ' '");
    assertThatThrownBy(() -> PriceTable.builder().modelPrefix(null, GPT_4O))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("model prefix must be non-blank but was 'null'");
  }

  @Test
  void aModelPricedTwiceFailsFast() {
    assertThatThrownBy(
            () -> PriceTable.builder().model("gpt-4o", GPT_4O).model("gpt-4o", GPT_4O_MINI))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "model 'gpt-4o' was already priced at Price{input=2.50, cachedInput=1.25, "
                + "output=10.00 per million tokens}");
  }

  @Test
  void theSameNameMayBeAnExactModelAndAPrefix() {
    PriceTable table =
        PriceTable.builder().model("gpt-4o", GPT_4O).modelPrefix("gpt-4o", GPT_4O_MINI).build();

    assertThat(table.price("gpt-4o")).contains(GPT_4O);
    assertThat(table.price("gpt-4o-x")).contains(GPT_4O_MINI);
  }

  @Test
  void readsWell() {
    PriceTable table =
        PriceTable.builder()
            .model("b", Price.perMillion("1", "2"))
            .model("a", Price.perMillion("3", "4"))
            .modelPrefix("c", Price.perMillion("5", "6"))
            .build();

    assertThat(table)
        .hasToString(
            "PriceTable{"
                + "a=Price{input=3, cachedInput=3, output=4 per million tokens}, "
                + "b=Price{input=1, cachedInput=1, output=2 per million tokens}, "
                + "c*=Price{input=5, cachedInput=5, output=6 per million tokens}}");
    assertThat(PriceTable.builder().build()).hasToString("PriceTable{}");
  }
}
