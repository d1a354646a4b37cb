package dev.aigateway.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.LedgerEntry;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import dev.aigateway.store.tck.Concurrently;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The acceptance run: totals of a concurrent run equal the sums of the reported usage exactly. */
class UsageLedgerConcurrencyTest {

  private static final int CALLS = 10_000;
  private static final int THREADS = 16;
  private static final List<String> CONSUMERS =
      List.of("team-a", "team-b", "team-c", "team-d", "team-e");
  private static final List<String> MODELS = List.of("gpt-4o", "gpt-4o-mini-2024-07-18", "o3-mini");
  private static final PriceTable PRICES =
      PriceTable.builder()
          .model("gpt-4o", Price.perMillion("2.50", "1.25", "10.00"))
          .modelPrefix("gpt-4o-mini", Price.perMillion("0.15", "0.075", "0.60"))
          .model("o3-mini", Price.perMillion("1.10", "0.55", "4.40"))
          .build();
  // Across a month's end, within the default retention of 48 hourly windows.
  private static final Instant START = Instant.parse("2025-01-31T00:00:00Z");
  private static final long SPAN_SECONDS = 40 * 3_600;

  private static final List<GatewayEvent> EVENTS = events();

  private static List<GatewayEvent> events() {
    Random random = new Random(20250131);
    List<GatewayEvent> events = new ArrayList<>(CALLS);
    for (int i = 0; i < CALLS; i++) {
      String consumer = CONSUMERS.get(random.nextInt(CONSUMERS.size()));
      String model = MODELS.get(random.nextInt(MODELS.size()));
      Instant at = START.plusSeconds(random.nextInt((int) SPAN_SECONDS)).plusNanos(i);
      long input = random.nextInt(50_000);
      long output = random.nextInt(5_000);
      Usage usage =
          new Usage(
              input,
              output,
              input + output,
              random.nextInt((int) input + 1),
              random.nextInt((int) output + 1));
      if (i % 10 == 0) {
        events.add(LedgerEvents.rejected(consumer, model, at));
      } else if (i % 7 == 0) {
        events.add(LedgerEvents.estimated(consumer, model, at, usage));
      } else {
        events.add(LedgerEvents.reported(consumer, model, at, usage));
      }
    }
    Collections.shuffle(events, random); // arrival order is not time order
    return List.copyOf(events);
  }

  @Test
  void totalsOfAConcurrentRunEqualTheSumsOfTheReportedUsage() throws Exception {
    UsageLedger ledger = UsageLedger.builder().priceTable(PRICES).build();

    runConcurrently(ledger, () -> {});

    long input = 0;
    long cached = 0;
    long output = 0;
    long total = 0;
    long estimated = 0;
    BigDecimal cost = BigDecimal.ZERO;
    BigDecimal estimatedCost = BigDecimal.ZERO;
    for (GatewayEvent e : EVENTS) {
      Usage u = e.usage().tokens();
      if (e.usage().inputSource() == UsageSource.REPORTED) {
        input += u.inputTokens();
        cached += u.cachedInputTokens();
        output += u.outputTokens();
        total += u.totalTokens();
        cost = cost.add(PRICES.cost(e.requestedModel(), u).orElseThrow());
      } else if (e.usage().inputSource() == UsageSource.ESTIMATED) {
        estimated += u.totalTokens();
        estimatedCost = estimatedCost.add(PRICES.cost(e.requestedModel(), u).orElseThrow());
      }
    }
    assertThat(total).isPositive();
    assertThat(estimated).isPositive();
    for (QuotaPeriod period : UsageLedger.PERIODS) {
      List<LedgerEntry> rows = ledger.entries().stream().filter(r -> r.period() == period).toList();
      assertThat(rows.stream().mapToLong(LedgerEntry::calls).sum())
          .as("calls %s", period)
          .isEqualTo(CALLS);
      assertThat(rows.stream().mapToLong(LedgerEntry::inputTokens).sum()).isEqualTo(input);
      assertThat(rows.stream().mapToLong(LedgerEntry::cachedInputTokens).sum()).isEqualTo(cached);
      assertThat(rows.stream().mapToLong(LedgerEntry::outputTokens).sum()).isEqualTo(output);
      assertThat(rows.stream().mapToLong(LedgerEntry::totalTokens).sum())
          .as("tokens %s", period)
          .isEqualTo(total);
      assertThat(rows.stream().mapToLong(LedgerEntry::estimatedTokens).sum()).isEqualTo(estimated);
      assertThat(rows.stream().map(LedgerEntry::cost).reduce(BigDecimal.ZERO, BigDecimal::add))
          .as("cost %s", period)
          .isEqualByComparingTo(cost);
      assertThat(
              rows.stream()
                  .map(LedgerEntry::estimatedCost)
                  .reduce(BigDecimal.ZERO, BigDecimal::add))
          .isEqualByComparingTo(estimatedCost);
    }
  }

  @Test
  void eachMonthlyRowEqualsItsConsumersAndModelsSumsPerCalendarMonth() throws Exception {
    UsageLedger ledger = UsageLedger.builder().priceTable(PRICES).build();

    runConcurrently(ledger, () -> {});

    Map<String, long[]> tokens = new HashMap<>();
    Map<String, BigDecimal> costs = new HashMap<>();
    for (GatewayEvent e : EVENTS) {
      String key =
          e.consumer()
              + "|"
              + e.requestedModel()
              + "|"
              + (e.timing().startedAt().isBefore(Instant.parse("2025-02-01T00:00:00Z"))
                  ? "01"
                  : "02");
      long[] sums = tokens.computeIfAbsent(key, k -> new long[2]);
      sums[0]++;
      if (e.usage().inputSource() == UsageSource.REPORTED) {
        sums[1] += e.usage().tokens().totalTokens();
        costs.merge(
            key,
            PRICES.cost(e.requestedModel(), e.usage().tokens()).orElseThrow(),
            BigDecimal::add);
      }
    }
    List<LedgerEntry> months =
        ledger.entries().stream().filter(r -> r.period() == QuotaPeriod.MONTHLY).toList();
    assertThat(months).hasSize(tokens.size()).hasSize(CONSUMERS.size() * MODELS.size() * 2);
    for (LedgerEntry row : months) {
      String key =
          row.consumer() + "|" + row.model() + "|" + row.periodStart().toString().substring(5, 7);
      assertThat(row.calls()).as(key).isEqualTo(tokens.get(key)[0]);
      assertThat(row.totalTokens()).as(key).isEqualTo(tokens.get(key)[1]);
      assertThat(row.cost()).as(key).isEqualByComparingTo(costs.get(key));
    }
  }

  @Test
  void aConcurrentRunGivesTheRowsOfARunOnOneThread() throws Exception {
    UsageLedger concurrent = UsageLedger.builder().priceTable(PRICES).build();
    UsageLedger sequential = UsageLedger.builder().priceTable(PRICES).build();

    runConcurrently(concurrent, () -> {});
    EVENTS.forEach(sequential::onEvent);

    assertThat(concurrent.entries())
        .hasSizeGreaterThan(2 * 15 + 40)
        .isEqualTo(sequential.entries());
  }

  @Test
  void theSinkReceivesEveryCallOnceWhileFlushesRunConcurrently() throws Exception {
    List<LedgerEntry> written = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger writes = new AtomicInteger();
    UsageLedger ledger =
        UsageLedger.builder()
            .priceTable(PRICES)
            .sink(
                entries -> {
                  writes.incrementAndGet();
                  written.addAll(entries);
                })
            .build();

    runConcurrently(
        ledger,
        () -> {
          try {
            ledger.flush();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
    ledger.flush();

    assertThat(writes.get()).isGreaterThan(1);
    Map<String, LedgerEntry> summed = new HashMap<>();
    for (LedgerEntry e : written) {
      summed.merge(
          e.period() + "|" + e.periodStart() + "|" + e.consumer() + "|" + e.model(),
          e,
          UsageLedgerConcurrencyTest::plus);
    }
    List<LedgerEntry> rows = ledger.entries();
    assertThat(summed).hasSize(rows.size());
    for (LedgerEntry row : rows) {
      LedgerEntry sum =
          summed.get(
              row.period() + "|" + row.periodStart() + "|" + row.consumer() + "|" + row.model());
      assertThat(sum)
          .usingRecursiveComparison()
          .withComparatorForType(BigDecimal::compareTo, BigDecimal.class)
          .isEqualTo(row);
    }
  }

  private static LedgerEntry plus(LedgerEntry a, LedgerEntry b) {
    return new LedgerEntry(
        a.periodStart(),
        a.period(),
        a.consumer(),
        a.model(),
        a.calls() + b.calls(),
        a.inputTokens() + b.inputTokens(),
        a.cachedInputTokens() + b.cachedInputTokens(),
        a.outputTokens() + b.outputTokens(),
        a.totalTokens() + b.totalTokens(),
        a.estimatedTokens() + b.estimatedTokens(),
        a.cost().add(b.cost()),
        a.estimatedCost().add(b.estimatedCost()));
  }

  /** Feeds every event from {@value #THREADS} threads while {@code alongside} runs in a loop. */
  @Test
  void aCallRecordedAsAnotherPrunesItsWindowLeavesNoRowOfThatWindow() {
    Usage usage = new Usage(10, 5, 15, 0, 0);
    Instant tenOClock = Instant.parse("2025-03-14T10:00:00Z");
    // The interleaving: a call of 10:45 has read the windows kept, then a call of 13:00 records and
    // drops the hourly window of 10:00 before the first call's rows are added.
    AtomicBoolean interleave = new AtomicBoolean();
    AtomicReference<UsageLedger> built = new AtomicReference<>();
    UsageLedger ledger =
        UsageLedger.builder()
            .retain(QuotaPeriod.HOURLY, 2)
            .afterCutoffsRead(
                () -> {
                  if (interleave.getAndSet(false)) {
                    built
                        .get()
                        .onEvent(
                            LedgerEvents.reported(
                                "team-b", "gpt-4o", tenOClock.plusSeconds(3 * 3_600), usage));
                  }
                })
            .build();
    built.set(ledger);
    ledger.onEvent(LedgerEvents.reported("team-a", "gpt-4o", tenOClock.plusSeconds(60), usage));
    interleave.set(true);

    ledger.onEvent(
        LedgerEvents.reported("team-a", "gpt-4o", tenOClock.plusSeconds(45 * 60), usage));

    assertThat(ledger.entries())
        .filteredOn(row -> row.period() == QuotaPeriod.HOURLY)
        .as("hourly rows after the window of 10:00 was dropped")
        .extracting(LedgerEntry::periodStart)
        .containsOnly(Instant.parse("2025-03-14T13:00:00Z"));
  }

  private static void runConcurrently(UsageLedger ledger, Runnable alongside) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
    try {
      CountDownLatch go = new CountDownLatch(1);
      AtomicInteger next = new AtomicInteger();
      AtomicBoolean done = new AtomicBoolean();
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        workers.add(
            pool.submit(
                () -> {
                  go.await();
                  for (int i = next.getAndIncrement(); i < CALLS; i = next.getAndIncrement()) {
                    ledger.onEvent(EVENTS.get(i));
                  }
                  return null;
                }));
      }
      Future<?> side =
          pool.submit(
              () -> {
                go.await();
                while (!done.get()) {
                  alongside.run();
                  Thread.onSpinWait();
                }
                return null;
              });
      go.countDown();
      for (Future<?> worker : workers) {
        worker.get(60, TimeUnit.SECONDS);
      }
      done.set(true);
      side.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void sixteenThreadsNamingNewModelsKeepTheBoundExactlyAndEveryCallCounted() throws Exception {
    UsageLedger ledger = UsageLedger.builder().maxModelsPerConsumer(50).build();
    Instant at = Instant.parse("2025-03-14T10:15:30Z");
    int perThread = 500;
    Concurrently.run(
        THREADS,
        thread -> {
          for (int i = 0; i < perThread; i++) {
            // models repeat across threads, so threads race to make the same new row
            String model = "m-" + ((i * 7 + thread) % 200);
            ledger.onEvent(LedgerEvents.reported("team-a", model, at, Usage.of(1, 0)));
          }
        });

    for (QuotaPeriod period : UsageLedger.PERIODS) {
      Map<String, LedgerEntry> byModel = ledger.byModel("team-a", period, at);
      assertThat(byModel).as("rows %s", period).hasSize(51).containsKey(UsageLedger.OTHER_MODELS);
      assertThat(byModel.values().stream().mapToLong(LedgerEntry::calls).sum())
          .as("calls %s", period)
          .isEqualTo((long) THREADS * perThread);
    }
  }

  @Test
  void sixteenThreadsNamingNewConsumersKeepTheBoundExactlyAndEveryCallCounted() throws Exception {
    UsageLedger ledger = UsageLedger.builder().maxConsumersPerWindow(50).build();
    Instant at = Instant.parse("2025-03-14T10:15:30Z");
    int perThread = 500;
    Concurrently.run(
        THREADS,
        thread -> {
          for (int i = 0; i < perThread; i++) {
            // consumers repeat across threads, so threads race to take the same new slot
            String consumer = "c-" + ((i * 7 + thread) % 200);
            ledger.onEvent(LedgerEvents.reported(consumer, "gpt-4o", at, Usage.of(1, 0)));
          }
        });

    for (QuotaPeriod period : UsageLedger.PERIODS) {
      Map<String, LedgerEntry> byConsumer = ledger.byConsumer(period, at);
      assertThat(byConsumer)
          .as("consumers %s", period)
          .hasSize(51)
          .containsKey(UsageLedger.OTHER_CONSUMERS);
      assertThat(byConsumer.values().stream().mapToLong(LedgerEntry::calls).sum())
          .as("calls %s", period)
          .isEqualTo((long) THREADS * perThread);
    }
  }
}
