package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LedgerEntry;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LedgerRowsRefusedException;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.telemetry.Price;
import dev.aigateway.core.telemetry.PriceTable;
import dev.aigateway.core.telemetry.UsageLedger;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.RedisServer;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Shared usage totals on a real redis-server. */
class RedisLedgerSinkTest {

  private static final Instant DAY = Instant.parse("2026-11-24T00:00:00Z");
  private static final PriceTable PRICES =
      PriceTable.builder().modelPrefix("gpt-4o", Price.perMillion("2.50", "1.25", "10.00")).build();

  private static RedisServer server;
  private static RedisConnection redis;

  @BeforeAll
  static void startRedis() {
    server = RedisServer.start();
    redis = connection(Duration.ofSeconds(2));
    RedisVectorStoreTest.warmUp(redis);
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
    server.close();
  }

  @BeforeEach
  void empty() {
    server.command("FLUSHALL");
  }

  private static RedisConnection connection(Duration timeout) {
    return RedisConnection.builder().uri(server.uri()).commandTimeout(timeout).build();
  }

  private static LedgerEntry row(
      String consumer, String model, long calls, long in, long out, String cost) {
    return new LedgerEntry(
        DAY,
        QuotaPeriod.DAILY,
        consumer,
        model,
        calls,
        in,
        0,
        out,
        in + out,
        0,
        cost == null ? null : new BigDecimal(cost),
        null);
  }

  @Test
  void usageOfTwoGatewayInstancesSumsExactly() throws Exception {
    try (MockWebServer backend = new MockWebServer();
        RedisConnection redisA = connection(Duration.ofSeconds(2));
        RedisConnection redisB = connection(Duration.ofSeconds(2))) {
      backend.start();
      UsageLedger ledgerA =
          UsageLedger.builder()
              .priceTable(PRICES)
              .sink(RedisLedgerSink.builder(redisA).build())
              .build();
      UsageLedger ledgerB =
          UsageLedger.builder()
              .priceTable(PRICES)
              .sink(RedisLedgerSink.builder(redisB).build())
              .build();
      OkHttpClient a = client(ledgerA);
      OkHttpClient b = client(ledgerB);
      int calls = 0;
      for (int i = 1; i <= 12; i++) {
        OkHttpClient client = i % 3 == 0 ? b : a;
        String team = i % 2 == 0 ? "team-a" : "team-b";
        backend.enqueue(
            Backend.chatCompletion(i % 4 == 0 ? "gpt-4o-mini" : "gpt-4o", 7 * i, 3 * i, "ok"));
        Backend.post(
            client, backend, Backend.chat("gpt-4o", "question " + i), "x-consumer-id", team);
        calls++;
        if (i % 5 == 0) { // flushes in between, as a scheduler would
          ledgerA.flush();
          ledgerB.flush();
        }
      }
      ledgerA.flush();
      ledgerB.flush();

      Instant now = Instant.now();
      for (QuotaPeriod period :
          List.of(QuotaPeriod.HOURLY, QuotaPeriod.DAILY, QuotaPeriod.MONTHLY)) {
        Instant start = period.windowStart(now, ZoneOffset.UTC);
        List<LedgerEntry> expected = sum(ledgerA.usage(period, now), ledgerB.usage(period, now));
        List<LedgerEntry> shared = RedisLedgerSink.builder(redis).build().totals(period, start);
        assertThat(shared).isEqualTo(expected);
        assertThat(shared.stream().mapToLong(LedgerEntry::calls).sum()).isEqualTo(calls);
      }
      assertThat(
              RedisLedgerSink.builder(redis)
                  .build()
                  .totals(QuotaPeriod.DAILY, QuotaPeriod.DAILY.windowStart(now, ZoneOffset.UTC)))
          .allSatisfy(e -> assertThat(e.cost()).isNotNull());
    }
  }

  private OkHttpClient client(UsageLedger ledger) {
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .listener(ledger)
            .build();
    return OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
  }

  /** The rows of two ledgers added up per consumer and model, as one ledger would hold them. */
  private static List<LedgerEntry> sum(List<LedgerEntry> a, List<LedgerEntry> b) {
    Map<String, LedgerEntry> rows = new TreeMap<>();
    List<LedgerEntry> all = new ArrayList<>(a);
    all.addAll(b);
    for (LedgerEntry e : all) {
      rows.merge(
          e.consumer() + "\u0000" + e.model(),
          e,
          (x, y) ->
              new LedgerEntry(
                  x.periodStart(),
                  x.period(),
                  x.consumer(),
                  x.model(),
                  x.calls() + y.calls(),
                  x.inputTokens() + y.inputTokens(),
                  x.cachedInputTokens() + y.cachedInputTokens(),
                  x.outputTokens() + y.outputTokens(),
                  x.totalTokens() + y.totalTokens(),
                  x.estimatedTokens() + y.estimatedTokens(),
                  x.cost() == null || y.cost() == null
                      ? null
                      : x.cost().add(y.cost()).stripTrailingZeros(),
                  x.estimatedCost() == null || y.estimatedCost() == null
                      ? null
                      : x.estimatedCost().add(y.estimatedCost()).stripTrailingZeros()));
    }
    return new ArrayList<>(rows.values());
  }

  @Test
  void costsAddUpExactlyWithCarriesAndUnpricedUsageMakesACostUnknown() throws Exception {
    RedisLedgerSink sink = RedisLedgerSink.builder(redis).build();

    sink.write(List.of(row("t", "m", 1, 10, 5, "0.999999999999"), row("t", "u", 1, 10, 5, null)));
    sink.write(
        List.of(row("t", "m", 1, 10, 5, "12345678.000000000002"), row("t", "u", 1, 0, 0, null)));

    List<LedgerEntry> totals = sink.totals(QuotaPeriod.DAILY, DAY);
    assertThat(totals).hasSize(2);
    assertThat(totals.get(0).cost()).isEqualByComparingTo("12345679.000000000001");
    assertThat(totals.get(0).calls()).isEqualTo(2);
    assertThat(totals.get(1).model()).isEqualTo("u");
    assertThat(totals.get(1).cost()).isNull();
    assertThat(totals.get(1).calls()).isEqualTo(2);
  }

  @Test
  void aMarkerKeptAsLongAsADurationGoesStillLetsEveryWriteThroughOnce() throws Exception {
    // "As long as possible": the longest whose milliseconds fit a long, and the longest Duration.
    for (Duration longest :
        List.of(Duration.ofMillis(Long.MAX_VALUE), ChronoUnit.FOREVER.getDuration())) {
      server.command("FLUSHALL");
      RedisLedgerSink sink = RedisLedgerSink.builder(redis).markerTimeToLive(longest).build();

      sink.write(List.of(row("t", "m", 1, 10, 5, "0.5")));
      sink.write(List.of(row("t", "m", 2, 20, 10, "1")));

      assertThat(sink.totals(QuotaPeriod.DAILY, DAY))
          .as("%s", longest)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.calls()).isEqualTo(3);
                assertThat(e.inputTokens()).isEqualTo(30);
                assertThat(e.cost()).isEqualByComparingTo("1.5");
              });
    }
  }

  @Test
  void namesWithSeparatorsReadBackAsWritten() throws Exception {
    RedisLedgerSink sink = RedisLedgerSink.builder(redis).build();
    String consumer = "team|a:12:x\u00e9";
    String model = "7:gpt|4o";

    sink.write(List.of(row(consumer, model, 1, 1, 1, "0.5")));

    LedgerEntry read = sink.totals(QuotaPeriod.DAILY, DAY).get(0);
    assertThat(read.consumer()).isEqualTo(consumer);
    assertThat(read.model()).isEqualTo(model);
  }

  @Test
  void namesWithUnpairedSurrogatesKeepRowsOfTheirOwnAndReadBackAsWritten() throws Exception {
    RedisLedgerSink sink = RedisLedgerSink.builder(redis).build();

    // UTF-8 carries a lone surrogate as '?': these three rows would add up as one
    sink.write(
        List.of(
            row("team\ud800", "gpt-4o", 1, 10, 1, "0.5"),
            row("team?", "gpt-4o", 2, 20, 2, "0.25"),
            row("team?", "gpt-4o\udc00", 4, 40, 4, null)));

    assertThat(sink.totals(QuotaPeriod.DAILY, DAY))
        .extracting(LedgerEntry::consumer, LedgerEntry::model, LedgerEntry::calls)
        .containsExactlyInAnyOrder(
            tuple("team\ud800", "gpt-4o", 1L),
            tuple("team?", "gpt-4o", 2L),
            tuple("team?", "gpt-4o\udc00", 4L));
  }

  @Test
  void aWriteThatTimedOutButWasAppliedIsNotCountedTwiceWhenRetried() throws Exception {
    try (RedisConnection slow = connection(Duration.ofMillis(100))) {
      RedisVectorStoreTest.warmUp(slow);
      RedisLedgerSink sink = RedisLedgerSink.builder(slow).build();
      RedisLedgerSink reader = RedisLedgerSink.builder(redis).build(); // patient reads
      LedgerEntry first = row("t", "m", 3, 30, 10, "0.25");

      CompletableFuture<String> busy = blockRedisFor(Duration.ofMillis(600));
      assertThatThrownBy(() -> sink.write(List.of(first))).isInstanceOf(IOException.class);
      busy.join();
      // Redis ran the write after all, once it was free again.
      assertThat(reader.totals(QuotaPeriod.DAILY, DAY)).containsExactly(first);

      // The ledger hands the failed rows over again, summed with newer usage.
      sink.write(List.of(row("t", "m", 5, 50, 20, "0.5"), row("t", "other", 1, 1, 1, "0.1")));

      assertThat(reader.totals(QuotaPeriod.DAILY, DAY))
          .containsExactly(row("t", "m", 5, 50, 20, "0.5"), row("t", "other", 1, 1, 1, "0.1"));
    }
  }

  @Test
  void aWriteThatNeverReachedRedisIsWrittenWholeWhenRetried() throws Exception {
    RedisServer own = RedisServer.start();
    try (RedisConnection connection =
        RedisConnection.builder().uri(own.uri()).commandTimeout(Duration.ofSeconds(2)).build()) {
      RedisVectorStoreTest.warmUp(connection);
      RedisLedgerSink sink = RedisLedgerSink.builder(connection).build();
      own.stop();
      assertThatThrownBy(() -> sink.write(List.of(row("t", "m", 3, 30, 10, "0.25"))))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("could not write 1 ledger rows");
      own.restart();

      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (true) {
        try {
          sink.write(List.of(row("t", "m", 5, 50, 20, "0.5")));
          break;
        } catch (IOException reconnecting) {
          if (System.nanoTime() > deadline) {
            throw reconnecting;
          }
          Thread.sleep(50);
        }
      }

      assertThat(sink.totals(QuotaPeriod.DAILY, DAY))
          .containsExactly(row("t", "m", 5, 50, 20, "0.5"));
    } finally {
      own.close();
    }
  }

  @Test
  void aWriteWithAWindowKeyAnotherWriterMadeWritesNoRowAndIsWrittenOnceWhenRetried()
      throws Exception {
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS); // kept 7 days from its start
    LedgerEntry daily = row("t", "m", 3, 30, 10, "0.25");
    LedgerEntry hourly =
        new LedgerEntry(hour, QuotaPeriod.HOURLY, "t", "m", 3, 30, 0, 10, 40, 0, null, null);
    RedisLedgerSink sink = RedisLedgerSink.builder(redis).build();
    // The hourly window's key holds a string something else wrote; the daily window's is fine.
    server.command("SET", sink.windowKey(QuotaPeriod.HOURLY, hour), "not a hash");

    assertThatThrownBy(() -> sink.write(List.of(daily, hourly)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(sink.windowKey(QuotaPeriod.HOURLY, hour))
        .hasMessageContaining("nothing was written");
    // All or nothing: the daily row was not added either.
    assertThat(sink.totals(QuotaPeriod.DAILY, DAY)).isEmpty();

    // Once the key is gone, the ledger's retry of the same rows adds each once.
    server.command("DEL", sink.windowKey(QuotaPeriod.HOURLY, hour));
    sink.write(List.of(daily, hourly));
    assertThat(sink.totals(QuotaPeriod.DAILY, DAY)).containsExactly(daily);
    assertThat(sink.totals(QuotaPeriod.HOURLY, hour)).containsExactly(hourly);
  }

  @Test
  void aTotalAnotherWriterLeftNotAnIntegerIsReplacedAndEveryRowIsCountedOnce() throws Exception {
    RedisLedgerSink sink = RedisLedgerSink.builder(redis).build();
    LedgerEntry first = row("t", "a", 1, 10, 5, "0.25");
    LedgerEntry second = row("t", "b", 2, 20, 10, "0.5");
    String key = sink.windowKey(QuotaPeriod.DAILY, DAY);
    // Something else wrote text into fields of the window the ledger owns.
    server.command("HSET", key, "in|1:tb", "lots", "c.u|1:tb", "1.5", "c.f|1:tb", " 7");

    // The foreign values read as absent, not as a failure of the whole read.
    assertThat(sink.totals(QuotaPeriod.DAILY, DAY))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.inputTokens()).isZero();
              assertThat(e.cost()).isNull();
            });

    sink.write(List.of(first, second));
    // The ledger hands the same rows over again only after a failed write; none failed.
    sink.write(List.of(row("t", "a", 1, 1, 1, "0.25")));

    assertThat(sink.totals(QuotaPeriod.DAILY, DAY))
        .containsExactly(row("t", "a", 2, 11, 6, "0.5"), second);
  }

  @Test
  void aWriteThatWouldOverflowATotalWritesNoRowAndSaysWhich() throws Exception {
    RedisLedgerSink sink = RedisLedgerSink.builder(redis).build();
    LedgerEntry first = row("t", "a", 1, 10, 5, "0.25");
    LedgerEntry second = row("t", "b", 2, 20, 10, "0.5");
    String key = sink.windowKey(QuotaPeriod.DAILY, DAY);
    server.command("HSET", key, "out|1:tb", Long.toString(Long.MAX_VALUE - 3));

    assertThatThrownBy(() -> sink.write(List.of(first, second)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("out|1:tb")
        .hasMessageContaining("nothing was written");
    // All or nothing: the first row was not added either.
    assertThat(sink.totals(QuotaPeriod.DAILY, DAY))
        .extracting(LedgerEntry::model, LedgerEntry::calls)
        .containsExactly(tuple("b", 0L));
  }

  @Test
  void aCostBeyondWhatATotalHoldsFailsTheWriteWithAnIOExceptionNamingTheRowBeforeAnyIsWritten()
      throws Exception {
    RedisLedgerSink sink = RedisLedgerSink.builder(redis).build();
    LedgerEntry fine = row("t", "a", 1, 10, 5, "0.25");

    for (String cost :
        List.of(
            "18446744073709551616.5", // beyond a long of whole units
            "9000000000000000000.000000000001", // beyond the most a total holds, 9e18
            "-9223372036854775809")) {
      LedgerEntry absurd = row("t\nforged", "b", 1, 10, 5, cost);
      assertThatThrownBy(() -> sink.write(List.of(fine, absurd)))
          .as(cost)
          .isInstanceOfSatisfying(
              LedgerRowsRefusedException.class,
              e -> assertThat(e.refused()).containsExactly(absurd))
          .hasMessageContaining("t\\nforged")
          .hasMessageContaining("model b")
          .hasMessageContaining(cost)
          .hasMessageContaining("nothing was written");
      assertThat(sink.totals(QuotaPeriod.DAILY, DAY)).isEmpty();
    }
    // the bound itself fits, and the next write goes on as usual
    sink.write(List.of(fine, row("t", "b", 1, 10, 5, "9000000000000000000")));
    assertThat(sink.totals(QuotaPeriod.DAILY, DAY))
        .extracting(LedgerEntry::model, LedgerEntry::cost)
        .containsExactly(
            tuple("a", new BigDecimal("0.25")), tuple("b", new BigDecimal("9000000000000000000")));
  }

  @Test
  void windowsExpireAfterTheirRetention() throws Exception {
    Instant hour = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.HOURS);
    RedisLedgerSink sink =
        RedisLedgerSink.builder(redis).retain(QuotaPeriod.HOURLY, Duration.ofDays(2)).build();

    sink.write(
        List.of(
            new LedgerEntry(hour, QuotaPeriod.HOURLY, "t", "m", 1, 1, 0, 1, 2, 0, null, null),
            row("t", "m", 1, 1, 1, null)));

    long hourlyTtl = redis.strings().sync().pttl(sink.windowKey(QuotaPeriod.HOURLY, hour));
    assertThat(Duration.ofMillis(hourlyTtl))
        .isBetween(Duration.ofDays(2).minusHours(1).minusMinutes(1), Duration.ofDays(2));
  }

  /** Keeps Redis busy in a Lua loop for {@code duration}, so commands queue behind it. */
  private static CompletableFuture<String> blockRedisFor(Duration duration) throws Exception {
    CompletableFuture<String> done =
        CompletableFuture.supplyAsync(
            () ->
                server.command(
                    "EVAL",
                    "local t = redis.call('TIME') local until_ = t[1] * 1000000 + t[2] + "
                        + duration.toNanos() / 1000
                        + " while true do local n = redis.call('TIME')"
                        + " if n[1] * 1000000 + n[2] >= until_ then break end end return 1",
                    "0"));
    Thread.sleep(100); // the script is running
    return done;
  }
}
