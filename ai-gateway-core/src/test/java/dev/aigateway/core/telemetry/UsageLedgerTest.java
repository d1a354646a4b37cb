package dev.aigateway.core.telemetry;

import static dev.aigateway.core.telemetry.LedgerEvents.base;
import static dev.aigateway.core.telemetry.LedgerEvents.estimated;
import static dev.aigateway.core.telemetry.LedgerEvents.rejected;
import static dev.aigateway.core.telemetry.LedgerEvents.reported;
import static dev.aigateway.core.telemetry.LedgerEvents.reportedAs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.LedgerEntry;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageInfo;
import dev.aigateway.api.UsageSource;
import dev.aigateway.api.spi.LedgerRowsRefusedException;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class UsageLedgerTest {

  private static final Instant T = Instant.parse("2025-03-14T10:15:30Z");
  private static final PriceTable PRICES =
      PriceTable.builder()
          .model("gpt-4o", Price.perMillion("2.50", "1.25", "10.00"))
          .modelPrefix("gpt-4o-mini", Price.perMillion("0.15", "0.075", "0.60"))
          .build();

  private static LedgerEntry row(
      QuotaPeriod period,
      String start,
      String consumer,
      String model,
      long calls,
      long input,
      long cached,
      long output,
      long total,
      long estimated,
      String cost,
      String estimatedCost) {
    return new LedgerEntry(
        Instant.parse(start),
        period,
        consumer,
        model,
        calls,
        input,
        cached,
        output,
        total,
        estimated,
        cost == null ? null : new BigDecimal(cost),
        estimatedCost == null ? null : new BigDecimal(estimatedCost));
  }

  /** The rows of this period among these, in their order. */
  private static List<LedgerEntry> rowsOf(QuotaPeriod period, List<LedgerEntry> rows) {
    return rows.stream().filter(e -> e.period() == period).toList();
  }

  /** The month's row of team-a's calls of gpt-4o at {@link #T}. */
  private static LedgerEntry teamAGpt4oThisMonth(UsageLedger ledger) {
    return ledger.byModel("team-a", QuotaPeriod.MONTHLY, T).get("gpt-4o");
  }

  /** A ledger builder that keeps one window of each of the hour, the day and the month. */
  private static UsageLedger.Builder keepingOneWindowOfEachPeriod() {
    return UsageLedger.builder()
        .retain(QuotaPeriod.HOURLY, 1)
        .retain(QuotaPeriod.DAILY, 1)
        .retain(QuotaPeriod.MONTHLY, 1);
  }

  @Nested
  class Counting {

    /** The row of this period that the one call of Counting's first test leaves. */
    private LedgerEntry theOneCallsRow(QuotaPeriod period, String start) {
      return row(period, start, "team-a", "gpt-4o", 1, 1_000, 400, 200, 1_200, 0, "0.004", "0");
    }

    @Test
    void reportedUsageLandsInItsHourlyDailyAndMonthlyRows() {
      UsageLedger ledger = UsageLedger.builder().priceTable(PRICES).build();

      ledger.onEvent(reported("team-a", "gpt-4o", T, new Usage(1_000, 200, 1_200, 400, 50)));

      assertThat(ledger.entries())
          .containsExactly(
              theOneCallsRow(QuotaPeriod.HOURLY, "2025-03-14T10:00:00Z"),
              theOneCallsRow(QuotaPeriod.DAILY, "2025-03-14T00:00:00Z"),
              theOneCallsRow(QuotaPeriod.MONTHLY, "2025-03-01T00:00:00Z"));
    }

    @Test
    void callsOfOneConsumerAndModelAddUp() {
      UsageLedger ledger = UsageLedger.builder().priceTable(PRICES).build();

      ledger.onEvent(reported("team-a", "gpt-4o", T, Usage.of(100, 10)));
      ledger.onEvent(reported("team-a", "gpt-4o", T.plusSeconds(60), Usage.of(300, 30)));

      LedgerEntry month = teamAGpt4oThisMonth(ledger);
      assertThat(month.calls()).isEqualTo(2);
      assertThat(month.inputTokens()).isEqualTo(400);
      assertThat(month.outputTokens()).isEqualTo(40);
      assertThat(month.totalTokens()).isEqualTo(440);
      // (400 x 2.50 + 40 x 10.00) / 1,000,000
      assertThat(month.cost()).isEqualTo(new BigDecimal("0.0014"));
    }

    @Test
    void estimatedUsageIsKeptApartFromReportedUsage() {
      UsageLedger ledger = UsageLedger.builder().priceTable(PRICES).build();

      ledger.onEvent(reported("team-a", "gpt-4o", T, Usage.of(100, 10)));
      ledger.onEvent(estimated("team-a", "gpt-4o", T, Usage.of(1_000, 500)));

      LedgerEntry month = teamAGpt4oThisMonth(ledger);
      assertThat(month.calls()).isEqualTo(2);
      assertThat(month.inputTokens()).isEqualTo(100);
      assertThat(month.outputTokens()).isEqualTo(10);
      assertThat(month.totalTokens()).isEqualTo(110);
      assertThat(month.estimatedTokens()).isEqualTo(1_500);
      assertThat(month.cost()).isEqualTo(new BigDecimal("0.00035"));
      // (1,000 x 2.50 + 500 x 10.00) / 1,000,000
      assertThat(month.estimatedCost()).isEqualTo(new BigDecimal("0.0075"));
    }

    @Test
    void aCallWithOneSideReportedAndTheOtherEstimatedIsSplitBySide() {
      UsageLedger ledger = UsageLedger.builder().priceTable(PRICES).build();

      ledger.onEvent(
          base("team-a", "gpt-4o", T)
              .usage(
                  new UsageInfo(
                      new Usage(1_000, 300, 1_300, 200, 0),
                      UsageSource.REPORTED,
                      UsageSource.ESTIMATED,
                      false,
                      null))
              .outcome(CallOutcome.TRUNCATED)
              .build());

      LedgerEntry month = teamAGpt4oThisMonth(ledger);
      assertThat(month.inputTokens()).isEqualTo(1_000);
      assertThat(month.cachedInputTokens()).isEqualTo(200);
      assertThat(month.outputTokens()).isZero();
      assertThat(month.totalTokens()).isEqualTo(1_000);
      assertThat(month.estimatedTokens()).isEqualTo(300);
      assertThat(month.cost()).isEqualTo(new BigDecimal("0.00225"));
      assertThat(month.estimatedCost()).isEqualTo(new BigDecimal("0.003"));
    }

    @Test
    void rejectedAndFailedCallsCountAsCallsAndAddNoTokens() {
      UsageLedger ledger = UsageLedger.builder().priceTable(PRICES).build();

      ledger.onEvent(rejected("team-a", "gpt-4o", T));
      ledger.onEvent(
          base("team-a", "gpt-4o", T)
              .outcome(CallOutcome.FAILED)
              .errorType("java.net.ConnectException")
              .build());

      LedgerEntry month = teamAGpt4oThisMonth(ledger);
      assertThat(month.calls()).isEqualTo(2);
      assertThat(month.hasReportedTokens()).isFalse();
      assertThat(month.estimatedTokens()).isZero();
      assertThat(month.cost()).isZero();
    }

    @Test
    void theModelIsTheResponseModelElseTheRequestedOneElseUnknown() {
      UsageLedger ledger = UsageLedger.builder().build();

      ledger.onEvent(reportedAs("team-a", "gpt-4o", "gpt-4o-2024-11-20", T, Usage.of(1, 1)));
      ledger.onEvent(reported("team-a", "gpt-4o", T, Usage.of(2, 2)));
      ledger.onEvent(rejected("team-a", null, T));

      assertThat(ledger.byModel("team-a", QuotaPeriod.DAILY, T))
          .containsOnlyKeys("gpt-4o", "gpt-4o-2024-11-20", UsageLedger.UNKNOWN_MODEL);
    }

    @Test
    void anUnpricedResponseModelIsPricedAsTheRequestedModel() {
      UsageLedger ledger = UsageLedger.builder().priceTable(PRICES).build();

      ledger.onEvent(
          reportedAs("team-a", "gpt-4o", "gpt-4o-2024-11-20", T, Usage.of(1_000_000, 0)));

      assertThat(ledger.byModel("team-a", QuotaPeriod.DAILY, T).get("gpt-4o-2024-11-20").cost())
          .isEqualTo(new BigDecimal("2.5"));
    }

    @Test
    void aPrefixPricedSnapshotIsPricedAsItself() {
      UsageLedger ledger = UsageLedger.builder().priceTable(PRICES).build();

      ledger.onEvent(
          reportedAs("team-a", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", T, Usage.of(1_234_567, 0)));

      assertThat(ledger.total("team-a", QuotaPeriod.MONTHLY, T).cost())
          .isEqualTo(new BigDecimal("0.18518505"));
    }

    @Test
    void withoutAPriceTheCostIsNull() {
      UsageLedger ledger = UsageLedger.builder().build();

      ledger.onEvent(reported("team-a", "gpt-4o", T, Usage.of(10, 10)));
      ledger.onEvent(estimated("team-a", "gpt-4o", T, Usage.of(10, 10)));

      LedgerEntry month = teamAGpt4oThisMonth(ledger);
      assertThat(month.cost()).isNull();
      assertThat(month.estimatedCost()).isNull();
    }

    @Test
    void theListenerNeverThrowsIntoTheCall() {
      UsageLedger ledger = UsageLedger.builder().build();
      Usage huge = new Usage(0, 0, Long.MAX_VALUE, 0, 0);
      ledger.onEvent(reported("team-a", "gpt-4o", T, huge));

      assertThatCode(() -> ledger.onEvent(reported("team-a", "gpt-4o", T, huge)))
          .doesNotThrowAnyException();
      assertThatCode(() -> ledger.onEvent(null)).doesNotThrowAnyException();
    }
  }

  @Nested
  class Windows {

    @Test
    void aMonthEndsAtTheLastInstantBeforeMidnightUtc() {
      UsageLedger ledger = UsageLedger.builder().build();
      Instant lastOfJanuary = Instant.parse("2025-01-31T23:59:59.999999999Z");
      Instant firstOfFebruary = Instant.parse("2025-02-01T00:00:00Z");

      ledger.onEvent(reported("team-a", "m", lastOfJanuary, Usage.of(1, 0)));
      ledger.onEvent(reported("team-a", "m", firstOfFebruary, Usage.of(2, 0)));

      assertThat(ledger.entries())
          .extracting(e -> e.period() + " " + e.periodStart() + " " + e.inputTokens())
          .containsExactly(
              "HOURLY 2025-01-31T23:00:00Z 1", "HOURLY 2025-02-01T00:00:00Z 2",
              "DAILY 2025-01-31T00:00:00Z 1", "DAILY 2025-02-01T00:00:00Z 2",
              "MONTHLY 2025-01-01T00:00:00Z 1", "MONTHLY 2025-02-01T00:00:00Z 2");
    }

    @Test
    void windowsAlignInTheConfiguredZone() {
      UsageLedger ledger = UsageLedger.builder().zone(ZoneId.of("America/New_York")).build();
      // 23:59:59 and 00:00 local time on the last / first day of the month (UTC-5)
      Instant lastOfJanuary = Instant.parse("2025-02-01T04:59:59Z");
      Instant firstOfFebruary = Instant.parse("2025-02-01T05:00:00Z");

      ledger.onEvent(reported("team-a", "m", lastOfJanuary, Usage.of(1, 0)));
      ledger.onEvent(reported("team-a", "m", firstOfFebruary, Usage.of(2, 0)));

      assertThat(ledger.usage(QuotaPeriod.MONTHLY, lastOfJanuary))
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.periodStart()).isEqualTo(Instant.parse("2025-01-01T05:00:00Z"));
                assertThat(e.inputTokens()).isEqualTo(1);
              });
      assertThat(ledger.usage(QuotaPeriod.MONTHLY, firstOfFebruary))
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.periodStart()).isEqualTo(Instant.parse("2025-02-01T05:00:00Z"));
                assertThat(e.inputTokens()).isEqualTo(2);
              });
      assertThat(ledger.usage(QuotaPeriod.DAILY, lastOfJanuary))
          .singleElement()
          .extracting(LedgerEntry::periodStart)
          .isEqualTo(Instant.parse("2025-01-31T05:00:00Z"));
    }

    @Test
    void hoursAlignOnTheHalfHourInAZoneWithAHalfHourOffset() {
      UsageLedger ledger = UsageLedger.builder().zone(ZoneId.of("Asia/Kolkata")).build();

      ledger.onEvent(
          reported("team-a", "m", Instant.parse("2025-03-10T10:29:59Z"), Usage.of(1, 0)));
      ledger.onEvent(
          reported("team-a", "m", Instant.parse("2025-03-10T10:30:00Z"), Usage.of(2, 0)));

      assertThat(rowsOf(QuotaPeriod.HOURLY, ledger.entries()))
          .extracting(LedgerEntry::periodStart)
          .containsExactly(
              Instant.parse("2025-03-10T09:30:00Z"), Instant.parse("2025-03-10T10:30:00Z"));
    }

    @Test
    void aDayOfTwentyThreeHoursEndsAtTheNextLocalMidnight() {
      UsageLedger ledger = UsageLedger.builder().zone(ZoneId.of("Europe/Berlin")).build();
      // 2025-03-30: clocks go from 02:00 CET to 03:00 CEST; the day is 23 hours long

      ledger.onEvent(
          reported("team-a", "m", Instant.parse("2025-03-30T21:59:59Z"), Usage.of(1, 0)));
      ledger.onEvent(
          reported("team-a", "m", Instant.parse("2025-03-30T22:00:00Z"), Usage.of(2, 0)));

      assertThat(rowsOf(QuotaPeriod.DAILY, ledger.entries()))
          .extracting(e -> e.periodStart() + " " + e.inputTokens())
          .containsExactly("2025-03-29T23:00:00Z 1", "2025-03-30T22:00:00Z 2");
    }

    @Test
    void onlyHourlyDailyAndMonthlyWindowsAreKept() {
      UsageLedger ledger = UsageLedger.builder().build();

      assertThatThrownBy(() -> ledger.usage(QuotaPeriod.WEEKLY, T))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the ledger keeps [HOURLY, DAILY, MONTHLY] rows, not WEEKLY");
    }
  }

  @Nested
  class Queries {

    private final UsageLedger ledger = UsageLedger.builder().priceTable(PRICES).build();

    Queries() {
      ledger.onEvent(reported("team-a", "gpt-4o", T, Usage.of(1_000, 100)));
      ledger.onEvent(reported("team-a", "gpt-4o-mini", T, Usage.of(2_000, 200)));
      ledger.onEvent(reported("team-b", "gpt-4o", T, Usage.of(10, 1)));
      ledger.onEvent(reported("team-a", "gpt-4o", T.minusSeconds(86_400 * 20), Usage.of(5, 5)));
    }

    @Test
    void usageListsAWindowsRowsByConsumerAndModel() {
      assertThat(ledger.usage(QuotaPeriod.MONTHLY, T))
          .extracting(e -> e.consumer() + "/" + e.model() + "=" + e.totalTokens())
          .containsExactly("team-a/gpt-4o=1100", "team-a/gpt-4o-mini=2200", "team-b/gpt-4o=11");
    }

    @Test
    void byModelAnswersThisMonthsTokensOfOneConsumerPerModel() {
      assertThat(ledger.byModel("team-a", QuotaPeriod.MONTHLY, T))
          .containsOnlyKeys("gpt-4o", "gpt-4o-mini")
          .hasEntrySatisfying("gpt-4o", e -> assertThat(e.totalTokens()).isEqualTo(1_100))
          .hasEntrySatisfying("gpt-4o-mini", e -> assertThat(e.totalTokens()).isEqualTo(2_200));
      assertThat(ledger.byModel("nobody", QuotaPeriod.MONTHLY, T)).isEmpty();
    }

    @Test
    void totalSumsEveryModelOfAConsumer() {
      LedgerEntry total = ledger.total("team-a", QuotaPeriod.MONTHLY, T);

      assertThat(total.model()).isEqualTo(UsageLedger.ALL_MODELS);
      assertThat(total.periodStart()).isEqualTo(Instant.parse("2025-03-01T00:00:00Z"));
      assertThat(total.calls()).isEqualTo(2);
      assertThat(total.totalTokens()).isEqualTo(3_300);
      // (1,000 x 2.50 + 100 x 10.00 + 2,000 x 0.15 + 200 x 0.60) / 1,000,000
      assertThat(total.cost()).isEqualByComparingTo("0.00392");
    }

    @Test
    void theTotalOfAConsumerWithoutUsageIsZero() {
      LedgerEntry total = ledger.total("nobody", QuotaPeriod.DAILY, T);

      assertThat(total)
          .isEqualTo(
              new LedgerEntry(
                  Instant.parse("2025-03-14T00:00:00Z"),
                  QuotaPeriod.DAILY,
                  "nobody",
                  UsageLedger.ALL_MODELS,
                  0,
                  0,
                  0,
                  0,
                  0,
                  0,
                  null,
                  null));
    }

    @Test
    void byConsumerTotalsEachConsumer() {
      assertThat(ledger.byConsumer(QuotaPeriod.MONTHLY, T))
          .containsOnlyKeys("team-a", "team-b")
          .hasEntrySatisfying("team-a", e -> assertThat(e.totalTokens()).isEqualTo(3_300))
          .hasEntrySatisfying("team-b", e -> assertThat(e.totalTokens()).isEqualTo(11));
    }

    @Test
    void queriesAreForTheWindowContainingTheInstant() {
      assertThat(
              ledger
                  .total("team-a", QuotaPeriod.MONTHLY, T.minusSeconds(86_400 * 20))
                  .totalTokens())
          .isEqualTo(10);
      assertThat(ledger.total("team-a", QuotaPeriod.HOURLY, T.plusSeconds(3_600)).calls()).isZero();
    }

    @Test
    void aTotalCostIsUnknownWhenSomeUsageHadNoPrice() {
      ledger.onEvent(reported("team-a", "unpriced", T, Usage.of(1, 1)));

      assertThat(ledger.total("team-a", QuotaPeriod.MONTHLY, T).cost()).isNull();
    }

    @Test
    void anUnpricedModelWithoutUsageLeavesTheTotalCostKnown() {
      ledger.onEvent(rejected("team-a", "unpriced", T));

      assertThat(ledger.byModel("team-a", QuotaPeriod.MONTHLY, T).get("unpriced").cost()).isNull();
      assertThat(ledger.total("team-a", QuotaPeriod.MONTHLY, T).cost())
          .isEqualByComparingTo("0.00392");
    }
  }

  @Nested
  class BoundedModels {

    @Test
    void aConsumerNamingANewModelOnEveryCallGrowsTheWindowByTheBoundOnly() {
      UsageLedger ledger = UsageLedger.builder().maxModelsPerConsumer(3).build();

      for (int i = 0; i < 1_000; i++) {
        ledger.onEvent(reported("team-a", "model-" + i, T, Usage.of(10, 1)));
      }

      Map<String, LedgerEntry> byModel = ledger.byModel("team-a", QuotaPeriod.HOURLY, T);
      assertThat(byModel.keySet())
          .containsExactly("model-0", "model-1", "model-2", UsageLedger.OTHER_MODELS);
      assertThat(byModel.get(UsageLedger.OTHER_MODELS).calls()).isEqualTo(997);
      LedgerEntry total = ledger.total("team-a", QuotaPeriod.MONTHLY, T);
      assertThat(total.calls()).isEqualTo(1_000);
      assertThat(total.inputTokens()).isEqualTo(10_000);
      assertThat(total.outputTokens()).isEqualTo(1_000);
      assertThat(ledger.entries()).hasSize(3 * 4);
    }

    @Test
    void aModelKeptInTheWindowStillCountsInItsOwnRowAfterTheBoundIsReached() {
      UsageLedger ledger = UsageLedger.builder().maxModelsPerConsumer(2).build();

      ledger.onEvent(reported("team-a", "gpt-4o", T, Usage.of(1, 0)));
      ledger.onEvent(reported("team-a", "o3-mini", T, Usage.of(2, 0)));
      ledger.onEvent(reported("team-a", "made-up", T, Usage.of(4, 0)));
      ledger.onEvent(reported("team-a", "gpt-4o", T, Usage.of(8, 0)));

      Map<String, LedgerEntry> byModel = ledger.byModel("team-a", QuotaPeriod.DAILY, T);
      assertThat(byModel.get("gpt-4o").inputTokens()).isEqualTo(9);
      assertThat(byModel.get("o3-mini").inputTokens()).isEqualTo(2);
      assertThat(byModel.get(UsageLedger.OTHER_MODELS).inputTokens()).isEqualTo(4);
    }

    @Test
    void theBoundIsPerConsumerAndWindow() {
      UsageLedger ledger = UsageLedger.builder().maxModelsPerConsumer(1).build();
      Instant nextHour = T.plusSeconds(3_600);

      ledger.onEvent(reported("team-a", "a", T, Usage.of(1, 0)));
      ledger.onEvent(reported("team-b", "b", T, Usage.of(1, 0)));
      ledger.onEvent(reported("team-a", "c", nextHour, Usage.of(1, 0)));

      assertThat(ledger.byModel("team-a", QuotaPeriod.HOURLY, T)).containsOnlyKeys("a");
      assertThat(ledger.byModel("team-b", QuotaPeriod.HOURLY, T)).containsOnlyKeys("b");
      assertThat(ledger.byModel("team-a", QuotaPeriod.HOURLY, nextHour)).containsOnlyKeys("c");
      assertThat(ledger.byModel("team-a", QuotaPeriod.DAILY, T))
          .containsOnlyKeys("a", UsageLedger.OTHER_MODELS);
    }

    @Test
    void aModelNameLongerThanTheBoundCountsAsOtherAndTakesNoSlot() {
      UsageLedger ledger = UsageLedger.builder().maxModelsPerConsumer(1).build();
      String huge = "m".repeat(UsageLedger.MAX_MODEL_LENGTH + 1);

      ledger.onEvent(reported("team-a", huge, T, Usage.of(5, 0)));
      ledger.onEvent(reported("team-a", "gpt-4o", T, Usage.of(1, 0)));

      assertThat(ledger.byModel("team-a", QuotaPeriod.HOURLY, T))
          .containsOnlyKeys(UsageLedger.OTHER_MODELS, "gpt-4o");
      assertThat(ledger.byModel("team-a", QuotaPeriod.HOURLY, T).get("other").inputTokens())
          .isEqualTo(5);
      assertThat(ledger.entries()).extracting(LedgerEntry::model).doesNotContain(huge);
    }

    @Test
    void theSinkReceivesTheFoldedRows() throws IOException {
      List<LedgerEntry> written = new ArrayList<>();
      UsageLedger ledger =
          UsageLedger.builder().maxModelsPerConsumer(1).sink(written::addAll).build();

      ledger.onEvent(reported("team-a", "a", T, Usage.of(1, 0)));
      ledger.onEvent(reported("team-a", "b", T, Usage.of(2, 0)));
      ledger.onEvent(reported("team-a", "c", T, Usage.of(4, 0)));
      ledger.flush();

      assertThat(rowsOf(QuotaPeriod.HOURLY, written))
          .extracting(LedgerEntry::model, LedgerEntry::inputTokens)
          .containsExactly(tuple("a", 1L), tuple(UsageLedger.OTHER_MODELS, 6L));
    }

    @Test
    void aWindowDroppedFromMemoryFreesItsModelSlots() {
      UsageLedger ledger = keepingOneWindowOfEachPeriod().maxModelsPerConsumer(1).build();
      Instant nextMonth = T.plus(java.time.Duration.ofDays(40));

      ledger.onEvent(reported("team-a", "a", T, Usage.of(1, 0)));
      ledger.onEvent(reported("team-a", "b", nextMonth, Usage.of(1, 0)));

      assertThat(ledger.byModel("team-a", QuotaPeriod.MONTHLY, nextMonth)).containsOnlyKeys("b");
      assertThat(ledger.entries()).hasSize(3);
    }

    @Test
    void theBoundMustBePositive() {
      assertThatThrownBy(() -> UsageLedger.builder().maxModelsPerConsumer(0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("models per consumer must be >= 1 but was 0");
    }
  }

  @Nested
  class BoundedConsumers {

    @Test
    void aCallerNamingANewConsumerOnEveryCallGrowsEachWindowByTheDefaultBoundOnly() {
      UsageLedger ledger = UsageLedger.builder().build();
      int bound = 10_000; // the default

      for (int i = 0; i < bound + 50; i++) {
        ledger.onEvent(reported("consumer-" + i, "gpt-4o", T, Usage.of(10, 1)));
      }

      // one row per kept consumer and one "other" row, in each of the hour, the day and the month
      assertThat(ledger.entries().size()).isEqualTo(3 * (bound + 1));
      LedgerEntry other = ledger.total("other", QuotaPeriod.MONTHLY, T);
      assertThat(other.calls()).isEqualTo(50);
      assertThat(other.inputTokens()).isEqualTo(500);
      assertThat(ledger.byConsumer(QuotaPeriod.DAILY, T).values())
          .extracting(LedgerEntry::calls)
          .containsOnly(1L, 50L);
    }

    @Test
    void aConsumerKeptInTheWindowStillCountsInItsOwnRowsAfterTheBoundIsReached() {
      UsageLedger ledger = UsageLedger.builder().maxConsumersPerWindow(2).build();

      ledger.onEvent(reported("team-a", "gpt-4o", T, Usage.of(1, 0)));
      ledger.onEvent(reported("team-b", "gpt-4o", T, Usage.of(2, 0)));
      ledger.onEvent(reported("made-up", "gpt-4o", T, Usage.of(4, 0)));
      ledger.onEvent(reported("team-a", "o3-mini", T, Usage.of(8, 0)));
      ledger.onEvent(reported("made-up-2", "o3-mini", T, Usage.of(16, 0)));

      Map<String, LedgerEntry> byConsumer = ledger.byConsumer(QuotaPeriod.HOURLY, T);
      assertThat(byConsumer).containsOnlyKeys("team-a", "team-b", UsageLedger.OTHER_CONSUMERS);
      assertThat(byConsumer.get("team-a").inputTokens()).isEqualTo(9);
      assertThat(byConsumer.get("team-b").inputTokens()).isEqualTo(2);
      assertThat(ledger.byModel(UsageLedger.OTHER_CONSUMERS, QuotaPeriod.HOURLY, T))
          .containsOnlyKeys("gpt-4o", "o3-mini");
      assertThat(byConsumer.get(UsageLedger.OTHER_CONSUMERS).inputTokens()).isEqualTo(20);
    }

    @Test
    void theOtherConsumersModelsAreBoundedAsAnyConsumers() {
      UsageLedger ledger =
          UsageLedger.builder().maxConsumersPerWindow(1).maxModelsPerConsumer(1).build();

      ledger.onEvent(reported("team-a", "a", T, Usage.of(1, 0)));
      for (int i = 0; i < 100; i++) {
        ledger.onEvent(reported("caller-" + i, "model-" + i, T, Usage.of(1, 0)));
      }

      assertThat(ledger.byModel(UsageLedger.OTHER_CONSUMERS, QuotaPeriod.HOURLY, T))
          .containsOnlyKeys("model-0", UsageLedger.OTHER_MODELS);
      assertThat(ledger.total(UsageLedger.OTHER_CONSUMERS, QuotaPeriod.HOURLY, T).calls())
          .isEqualTo(100);
      assertThat(ledger.entries()).hasSize(3 * 3);
    }

    @Test
    void theBoundIsPerWindow() {
      UsageLedger ledger = keepingOneWindowOfEachPeriod().maxConsumersPerWindow(1).build();
      Instant nextHour = T.plusSeconds(3_600);
      Instant nextMonth = T.plus(java.time.Duration.ofDays(40));

      ledger.onEvent(reported("team-a", "gpt-4o", T, Usage.of(1, 0)));
      ledger.onEvent(reported("team-b", "gpt-4o", nextHour, Usage.of(1, 0)));
      assertThat(ledger.byConsumer(QuotaPeriod.HOURLY, nextHour)).containsOnlyKeys("team-b");
      assertThat(ledger.byConsumer(QuotaPeriod.DAILY, T))
          .containsOnlyKeys("team-a", UsageLedger.OTHER_CONSUMERS);

      ledger.onEvent(reported("team-c", "gpt-4o", nextMonth, Usage.of(1, 0)));
      assertThat(ledger.byConsumer(QuotaPeriod.MONTHLY, nextMonth)).containsOnlyKeys("team-c");
      assertThat(ledger.entries()).hasSize(3);
    }

    @Test
    void theSinkReceivesTheFoldedRows() throws IOException {
      List<LedgerEntry> written = new ArrayList<>();
      UsageLedger ledger =
          UsageLedger.builder().maxConsumersPerWindow(1).sink(written::addAll).build();

      ledger.onEvent(reported("team-a", "gpt-4o", T, Usage.of(1, 0)));
      ledger.onEvent(reported("x", "gpt-4o", T, Usage.of(2, 0)));
      ledger.onEvent(reported("y", "gpt-4o", T, Usage.of(4, 0)));
      ledger.flush();

      assertThat(rowsOf(QuotaPeriod.HOURLY, written))
          .extracting(LedgerEntry::consumer, LedgerEntry::inputTokens)
          .containsExactly(tuple(UsageLedger.OTHER_CONSUMERS, 6L), tuple("team-a", 1L));
    }

    @Test
    void theBoundMustBePositive() {
      assertThatThrownBy(() -> UsageLedger.builder().maxConsumersPerWindow(0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("consumers per window must be >= 1 but was 0");
    }
  }

  @Nested
  class Retention {

    private final Instant ten = Instant.parse("2025-03-14T10:00:00Z");

    @Test
    void onlyTheLatestHourlyWindowsAreKept() {
      UsageLedger ledger = UsageLedger.builder().retain(QuotaPeriod.HOURLY, 2).build();

      for (int hour = 0; hour < 5; hour++) {
        ledger.onEvent(reported("team-a", "m", ten.plusSeconds(3_600L * hour), Usage.of(1, 0)));
      }

      assertThat(rowsOf(QuotaPeriod.HOURLY, ledger.entries()))
          .extracting(LedgerEntry::periodStart)
          .containsExactly(
              Instant.parse("2025-03-14T13:00:00Z"), Instant.parse("2025-03-14T14:00:00Z"));
      assertThat(ledger.total("team-a", QuotaPeriod.DAILY, ten).inputTokens()).isEqualTo(5);
    }

    @Test
    void aLateEventForADroppedWindowIsNotCountedAgainButStillReachesTheSink() throws IOException {
      List<LedgerEntry> written = new ArrayList<>();
      UsageLedger ledger =
          UsageLedger.builder().retain(QuotaPeriod.HOURLY, 1).sink(written::addAll).build();

      ledger.onEvent(reported("team-a", "m", ten.plusSeconds(3_600), Usage.of(1, 0)));
      ledger.onEvent(reported("team-a", "m", ten, Usage.of(2, 0)));
      ledger.flush();

      assertThat(rowsOf(QuotaPeriod.HOURLY, ledger.entries()))
          .extracting(LedgerEntry::inputTokens)
          .containsExactly(1L);
      assertThat(rowsOf(QuotaPeriod.HOURLY, written))
          .extracting(LedgerEntry::inputTokens)
          .containsExactly(2L, 1L);
    }

    @Test
    void monthsAreCountedBackInCalendarMonths() {
      UsageLedger ledger =
          UsageLedger.builder()
              .retain(QuotaPeriod.MONTHLY, 2)
              .retain(QuotaPeriod.DAILY, Integer.MAX_VALUE)
              .build();

      ledger.onEvent(
          reported("team-a", "m", Instant.parse("2025-01-31T12:00:00Z"), Usage.of(1, 0)));
      ledger.onEvent(
          reported("team-a", "m", Instant.parse("2025-02-28T12:00:00Z"), Usage.of(1, 0)));
      ledger.onEvent(
          reported("team-a", "m", Instant.parse("2025-03-01T00:00:00Z"), Usage.of(1, 0)));

      assertThat(rowsOf(QuotaPeriod.MONTHLY, ledger.entries()))
          .extracting(LedgerEntry::periodStart)
          .containsExactly(
              Instant.parse("2025-02-01T00:00:00Z"), Instant.parse("2025-03-01T00:00:00Z"));
      assertThat(rowsOf(QuotaPeriod.DAILY, ledger.entries())).hasSize(3);
    }
  }

  @Nested
  class Sink {

    private final List<List<LedgerEntry>> writes = new ArrayList<>();

    /** A ledger whose sink throws what {@code failure} makes while {@code fail[0]}, else writes. */
    private UsageLedger failingWhile(boolean[] fail, Supplier<? extends Throwable> failure) {
      return UsageLedger.builder()
          .sink(
              entries -> {
                if (fail[0]) {
                  Throwable thrown = failure.get();
                  if (thrown instanceof IOException io) {
                    throw io;
                  }
                  if (thrown instanceof Error error) {
                    throw error;
                  }
                  throw (RuntimeException) thrown;
                }
                writes.add(entries);
              })
          .build();
    }

    @Test
    void flushHandsTheSinkTheRowsRecordedSinceTheLastFlush() throws IOException {
      UsageLedger ledger = UsageLedger.builder().priceTable(PRICES).sink(writes::add).build();
      ledger.onEvent(reported("team-a", "gpt-4o", T, Usage.of(1_000, 100)));

      assertThat(ledger.flush()).isEqualTo(3);
      assertThat(writes).singleElement().isEqualTo(ledger.entries());
    }

    @Test
    void eachFlushWritesDeltasNotRunningTotals() throws IOException {
      UsageLedger ledger = UsageLedger.builder().sink(writes::add).build();
      ledger.onEvent(reported("team-a", "m", T, Usage.of(1_000, 100)));
      ledger.flush();

      ledger.onEvent(reported("team-a", "m", T, Usage.of(5, 5)));
      ledger.onEvent(reported("team-b", "m", T, Usage.of(7, 7)));
      ledger.flush();

      assertThat(writes).hasSize(2);
      assertThat(rowsOf(QuotaPeriod.MONTHLY, writes.get(1)))
          .extracting(e -> e.consumer() + "=" + e.calls() + "/" + e.totalTokens())
          .containsExactly("team-a=1/10", "team-b=1/14");
      assertThat(ledger.total("team-a", QuotaPeriod.MONTHLY, T).totalTokens()).isEqualTo(1_110);
    }

    @Test
    void aFlushWithNothingNewDoesNotCallTheSink() throws IOException {
      UsageLedger ledger = UsageLedger.builder().sink(writes::add).build();
      ledger.onEvent(reported("team-a", "m", T, Usage.of(1, 1)));
      ledger.flush();

      assertThat(ledger.flush()).isZero();
      assertThat(writes).hasSize(1);
    }

    @Test
    void rowsASinkFailedToWriteAreWrittenWithTheNextFlush() throws IOException {
      boolean[] fail = {true};
      UsageLedger ledger = failingWhile(fail, () -> new IOException("database down"));
      ledger.onEvent(reported("team-a", "m", T, Usage.of(1, 1)));

      assertThatThrownBy(ledger::flush).isInstanceOf(IOException.class).hasMessage("database down");

      ledger.onEvent(reported("team-a", "m", T, Usage.of(2, 2)));
      fail[0] = false;
      assertThat(ledger.flush()).isEqualTo(3);
      assertThat(writes).hasSize(1);
      assertThat(writes.get(0))
          .allSatisfy(
              e -> {
                assertThat(e.calls()).isEqualTo(2);
                assertThat(e.totalTokens()).isEqualTo(6);
              });
    }

    @Test
    void rowsASinkFailedWithAnErrorToWriteAreWrittenWithTheNextFlush() throws IOException {
      boolean[] fail = {true};
      UsageLedger ledger = // a database driver missing a class, say
          failingWhile(fail, () -> new NoClassDefFoundError("org/example/jdbc/Driver"));
      ledger.onEvent(reported("team-a", "m", T, Usage.of(1, 1)));

      assertThatThrownBy(ledger::flush).isInstanceOf(NoClassDefFoundError.class);

      fail[0] = false;
      assertThat(ledger.flush()).isEqualTo(3);
      assertThat(writes).hasSize(1);
      assertThat(writes.get(0)).allSatisfy(e -> assertThat(e.totalTokens()).isEqualTo(2));
    }

    @Test
    void rowsTheSinkRefusesForGoodAreLeftOutAndTheOtherRowsAreWritten() throws IOException {
      UsageLedger ledger =
          UsageLedger.builder()
              .sink(
                  entries -> {
                    List<LedgerEntry> tooLong =
                        entries.stream().filter(e -> e.consumer().length() > 8).toList();
                    if (!tooLong.isEmpty()) {
                      throw new LedgerRowsRefusedException("consumer column holds 8", tooLong);
                    }
                    writes.add(entries);
                  })
              .build();
      ledger.onEvent(reported("team-a", "m", T, Usage.of(1, 1)));
      ledger.onEvent(reported("a-much-longer-team", "m", T, Usage.of(5, 5)));
      ledger.onEvent(reported("team-b", "m", T, Usage.of(2, 2)));

      assertThat(ledger.flush()).isEqualTo(6);
      assertThat(writes)
          .singleElement()
          .satisfies(
              rows ->
                  assertThat(rowsOf(QuotaPeriod.MONTHLY, rows))
                      .extracting(e -> e.consumer() + "=" + e.totalTokens())
                      .containsExactly("team-a=2", "team-b=4"));
      assertThat(ledger.refusedRows()).isEqualTo(3);

      ledger.onEvent(reported("team-a", "m", T, Usage.of(3, 3)));
      assertThat(ledger.flush()).isEqualTo(3);
      assertThat(writes.get(1)).allSatisfy(e -> assertThat(e.totalTokens()).isEqualTo(6));
      assertThat(ledger.total("a-much-longer-team", QuotaPeriod.MONTHLY, T).totalTokens())
          .isEqualTo(10);
    }

    @Test
    void aRefusalThatNamesNoRowOfTheWriteKeepsEveryRowForTheNextFlush() throws IOException {
      LedgerEntry stranger =
          row(
              QuotaPeriod.MONTHLY,
              "2025-03-01T00:00:00Z",
              "nobody",
              "m",
              1,
              1,
              0,
              0,
              1,
              0,
              null,
              null);
      boolean[] fail = {true};
      UsageLedger ledger =
          failingWhile(fail, () -> new LedgerRowsRefusedException("not ours", List.of(stranger)));
      ledger.onEvent(reported("team-a", "m", T, Usage.of(1, 1)));

      assertThatThrownBy(ledger::flush).isInstanceOf(LedgerRowsRefusedException.class);

      fail[0] = false;
      assertThat(ledger.flush()).isEqualTo(3);
      assertThat(ledger.refusedRows()).isZero();
    }

    @Test
    void flushWithoutASinkDoesNothing() throws IOException {
      UsageLedger ledger = UsageLedger.builder().build();
      ledger.onEvent(reported("team-a", "m", T, Usage.of(1, 1)));

      assertThat(ledger.flush()).isZero();
    }
  }

  @Nested
  class Building {

    @Test
    void aLaterSettingReplacesTheEarlierOne() throws IOException {
      List<List<LedgerEntry>> firstSink = new ArrayList<>();
      List<List<LedgerEntry>> secondSink = new ArrayList<>();
      UsageLedger ledger =
          UsageLedger.builder()
              .zone(ZoneId.of("Europe/Berlin"))
              .zone(ZoneId.of("UTC"))
              .retain(QuotaPeriod.HOURLY, 5)
              .retain(QuotaPeriod.HOURLY, 1)
              .sink(firstSink::add)
              .sink(secondSink::add)
              .build();

      ledger.onEvent(reported("team-a", "m", T, Usage.of(1, 1)));
      ledger.onEvent(reported("team-a", "m", T.plusSeconds(3600), Usage.of(1, 1)));
      ledger.flush();

      assertThat(firstSink).isEmpty();
      assertThat(secondSink).hasSize(1);
      // one hourly window kept (the second setting), days aligned in UTC (the second zone)
      assertThat(rowsOf(QuotaPeriod.HOURLY, ledger.entries()))
          .extracting(LedgerEntry::periodStart)
          .containsExactly(Instant.parse("2025-03-14T11:00:00Z"));
      assertThat(rowsOf(QuotaPeriod.DAILY, ledger.entries()))
          .extracting(LedgerEntry::periodStart)
          .containsExactly(Instant.parse("2025-03-14T00:00:00Z"));
    }

    @Test
    void retentionNeedsAtLeastOneWindowOfAKeptPeriod() {
      assertThatThrownBy(() -> UsageLedger.builder().retain(QuotaPeriod.DAILY, 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("DAILY windows to retain must be >= 1 but was 0");
      assertThatThrownBy(() -> UsageLedger.builder().retain(QuotaPeriod.YEARLY, 3))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the ledger keeps [HOURLY, DAILY, MONTHLY] rows, not YEARLY");
    }

    @Test
    void readsWell() {
      assertThat(UsageLedger.builder().build())
          .hasToString("UsageLedger{zone=Z, rows=0, retain={HOURLY=48, DAILY=62, MONTHLY=24}}");
    }
  }
}
