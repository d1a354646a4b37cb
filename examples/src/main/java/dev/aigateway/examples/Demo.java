package dev.aigateway.examples;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LedgerEntry;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.telemetry.Price;
import dev.aigateway.core.telemetry.PriceTable;
import dev.aigateway.core.telemetry.UsageLedger;
import dev.aigateway.examples.server.LocalOpenAiServer;
import dev.aigateway.micrometer.Dimension;
import dev.aigateway.micrometer.GenAiMetrics;
import dev.aigateway.okhttp.OkHttpAiGateway;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;

/**
 * The main demo: one wrapped {@link OkHttpClient}, three consumers with different limits, calls
 * streamed and not, against a local OpenAI-compatible server (no external service needed). Prints,
 * per consumer, the admitted and rejected calls and the tokens charged. Then runs {@link
 * FailoverDemo}: a backend pool whose primary throttles while the application carries on, and
 * {@link CacheDemo}: exact and semantic cache hits and the tokens they save.
 *
 * <p>Run it with {@code bash scripts/demo.sh}.
 */
public final class Demo {

  private static final MediaType JSON = MediaType.get("application/json");
  private static final String CONSUMER_HEADER = "x-consumer-id";
  private static final List<String> CONSUMERS = List.of("team-gold", "team-silver", "team-bronze");
  private static final int CALLS_PER_CONSUMER = 12;

  private Demo() {}

  public static void main(String[] args) throws Exception {
    try (LocalOpenAiServer server =
        LocalOpenAiServer.builder()
            .responseDelay(Duration.ofMillis(15))
            .firstChunkDelay(Duration.ofMillis(20))
            .chunkDelay(Duration.ofMillis(3))
            .completionWords(40)
            .start()) {
      System.out.println("Local OpenAI-compatible server at " + server.baseUrl());
      run(server);
    }

    System.out.println("\n" + "=".repeat(78));
    System.out.println("Backend pool: failover and circuit breaker (FailoverDemo)");
    System.out.println("=".repeat(78));
    FailoverDemo.run(System.out);

    System.out.println("\n" + "=".repeat(78));
    System.out.println("Response cache: exact and semantic hits, false-hit guard (CacheDemo)");
    System.out.println("=".repeat(78));
    CacheDemo.run(System.out);
  }

  static Map<String, ConsumerCounts> run(LocalOpenAiServer server) throws Exception {
    return run(server, new UsageLedger[1]);
  }

  /** Runs the demo; {@code ledgerOut[0]} receives the usage ledger it filled. */
  static Map<String, ConsumerCounts> run(LocalOpenAiServer server, UsageLedger[] ledgerOut)
      throws Exception {
    Map<String, ConsumerCounts> counts = new ConcurrentHashMap<>();
    CONSUMERS.forEach(c -> counts.put(c, new ConsumerCounts()));
    LongAdder estimated = new LongAdder();

    // Telemetry: illustrative prices (not real ones), a usage ledger, and Micrometer metrics.
    PriceTable prices =
        PriceTable.builder()
            .model("gpt-4o-mini", Price.perMillion("0.15", "0.075", "0.60"))
            .build();
    UsageLedger ledger = UsageLedger.builder().priceTable(prices).build();
    ledgerOut[0] = ledger;
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry).dimension("consumer", Dimension.consumer()).build();

    // The gateway: who the consumer is, the limits per consumer tier, one event per call.
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header(CONSUMER_HEADER))
            .tokenLimit(
                TokenLimit.perConsumer().name("gold").tokensPerMinute(100_000).onlyFor("team-gold"))
            .tokenLimit(
                TokenLimit.perConsumer()
                    .name("silver")
                    .tokensPerMinute(600)
                    .onlyFor("team-silver")
                    .remainingTokensHeader("x-ratelimit-remaining-tokens"))
            .tokenLimit(
                TokenLimit.perConsumer()
                    .name("bronze")
                    .quota(800, QuotaPeriod.DAILY)
                    .estimatePromptTokens(false)
                    .onlyFor("team-bronze"))
            .defaultOutputAllowance(256)
            .priceTable(prices)
            .listener(ledger)
            .listener(metrics)
            .listener(event -> counts.get(event.consumer()).add(event))
            .listener(
                event -> {
                  if (event.usage().estimated()) {
                    estimated.increment();
                  }
                })
            .build();

    // The application's own client, wrapped once; pool, dispatcher and timeouts are kept.
    OkHttpClient appClient = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(30)).build();
    OkHttpClient client = OkHttpAiGateway.wrap(appClient, gateway);

    System.out.println("\nA streamed answer, as the application reads it chunk by chunk:");
    streamOnce(client, server);

    ExecutorService pool = Executors.newFixedThreadPool(CONSUMERS.size());
    List<Future<?>> work = new ArrayList<>();
    for (String consumer : CONSUMERS) {
      work.add(
          pool.submit(
              () -> {
                for (int i = 0; i < CALLS_PER_CONSUMER; i++) {
                  call(client, server, consumer, i);
                }
                return null;
              }));
    }
    for (Future<?> f : work) {
      f.get(2, TimeUnit.MINUTES);
    }
    pool.shutdown();

    print(counts);
    System.out.println(
        "  calls settled on an estimate instead of reported usage: " + estimated.sum());
    printUsageReport(ledger);
    printMetrics(registry);
    appClient.dispatcher().executorService().shutdown();
    appClient.connectionPool().evictAll();
    return counts;
  }

  private static void printUsageReport(UsageLedger ledger) {
    System.out.println(
        "\nUsage this month, per consumer and model (from the usage ledger; prices"
            + " are illustrative):");
    System.out.printf(
        Locale.ROOT,
        "  %-12s %-12s %6s %8s %8s %8s %14s%n",
        "consumer",
        "model",
        "calls",
        "input",
        "output",
        "total",
        "cost");
    List<LedgerEntry> rows = new ArrayList<>(ledger.usage(QuotaPeriod.MONTHLY, Instant.now()));
    rows.sort(
        java.util.Comparator.comparing(LedgerEntry::consumer).thenComparing(LedgerEntry::model));
    for (LedgerEntry row : rows) {
      System.out.printf(
          Locale.ROOT,
          "  %-12s %-12s %6d %8d %8d %8d %14s%n",
          row.consumer(),
          row.model(),
          row.calls(),
          row.inputTokens(),
          row.outputTokens(),
          row.totalTokens(),
          row.cost() == null ? "-" : row.cost().toPlainString());
    }
    System.out.println(
        "  (calls include the rejected ones, which used nothing; the tokens a response cache saves"
            + " are in each event's cache().tokensSaved(), which the cache part below prints)");
  }

  private static void printMetrics(SimpleMeterRegistry registry) {
    System.out.println(
        "\nMetrics recorded (Micrometer SimpleMeterRegistry, OpenTelemetry GenAI" + " names):");
    for (String type : List.of("input", "output")) {
      double tokens =
          registry
              .find("gen_ai.client.token.usage")
              .tag("gen_ai.token.type", type)
              .summaries()
              .stream()
              .mapToDouble(s -> s.totalAmount())
              .sum();
      long calls =
          registry
              .find("gen_ai.client.token.usage")
              .tag("gen_ai.token.type", type)
              .summaries()
              .stream()
              .mapToLong(s -> s.count())
              .sum();
      System.out.printf(
          Locale.ROOT,
          "  gen_ai.client.token.usage{gen_ai.token.type=%s}: %d " + "calls, %.0f tokens%n",
          type,
          calls,
          tokens);
    }
    registry.find("gen_ai.client.operation.duration").timers().stream()
        .mapToLong(t -> t.count())
        .reduce(Long::sum)
        .ifPresent(
            count ->
                System.out.printf(
                    Locale.ROOT, "  gen_ai.client.operation.duration: %d calls timed%n", count));
    registry.find("gen_ai.client.operation.time_to_first_chunk").timers().stream()
        .mapToLong(t -> t.count())
        .reduce(Long::sum)
        .ifPresent(
            count ->
                System.out.printf(
                    Locale.ROOT,
                    "  gen_ai.client.operation.time_to_first_chunk: %d streams%n",
                    count));
    registry
        .find("ai_gateway.rejections")
        .counters()
        .forEach(
            c ->
                System.out.printf(
                    Locale.ROOT,
                    "  ai_gateway.rejections{reason=%s, limit=%s}: %.0f%n",
                    c.getId().getTag("reason"),
                    c.getId().getTag("limit"),
                    c.count()));
  }

  private static void streamOnce(OkHttpClient client, LocalOpenAiServer server) throws IOException {
    Request request = chatRequest(server, "team-gold", "Tell me about in-process gateways.", true);
    try (Response response = client.newCall(request).execute()) {
      BufferedSource source = response.body().source();
      int events = 0;
      int withUsage = 0;
      String line;
      while ((line = source.readUtf8Line()) != null) {
        if (line.startsWith("data: ")) {
          events++;
          withUsage += line.contains("\"usage\"") ? 1 : 0;
          if (events <= 3) {
            System.out.println("  " + (line.length() > 110 ? line.substring(0, 110) + "…" : line));
          }
        }
      }
      System.out.println(
          "  … "
              + events
              + " events in all, "
              + withUsage
              + " of them with a usage"
              + " field: the app did not ask for usage, so it sees none, while the gateway asked the"
              + " backend for it and settled on it.");
    }
  }

  private static void call(
      OkHttpClient client, LocalOpenAiServer server, String consumer, int index)
      throws IOException {
    boolean stream = index % 2 == 1;
    Request request =
        chatRequest(
            server,
            consumer,
            "Question " + index + " from " + consumer + ": summarise our quarterly numbers.",
            stream);
    try (Response response = client.newCall(request).execute()) {
      response.body().string(); // read to the end: streamed or not, the call is then settled
    }
  }

  private static Request chatRequest(
      LocalOpenAiServer server, String consumer, String prompt, boolean stream) {
    String body =
        "{\"model\":\"gpt-4o-mini\",\"max_tokens\":120,\"stream\":"
            + stream
            + ",\"messages\":[{\"role\":\"system\",\"content\":\"You are concise.\"},"
            + "{\"role\":\"user\",\"content\":\""
            + prompt
            + "\"}]}";
    return new Request.Builder()
        .url(server.url("/v1/chat/completions"))
        .header(CONSUMER_HEADER, consumer)
        .header("Authorization", "Bearer sk-demo-not-a-real-key")
        .post(RequestBody.create(body, JSON))
        .build();
  }

  private static void print(Map<String, ConsumerCounts> counts) {
    System.out.println("\nPer consumer (gold: 100k TPM; silver: 600 TPM; bronze: 800 a day):");
    System.out.printf(
        Locale.ROOT,
        "  %-12s %9s %9s %9s %9s %12s%n",
        "consumer",
        "admitted",
        "rejected",
        "streamed",
        "tokens",
        "429 / 403");
    for (String consumer : CONSUMERS) {
      ConsumerCounts t = counts.get(consumer);
      System.out.printf(
          Locale.ROOT,
          "  %-12s %9d %9d %9d %9d %6d / %-4d%n",
          consumer,
          t.admitted.sum(),
          t.rejected.sum(),
          t.streamed.sum(),
          t.tokens.sum(),
          t.rateLimited.sum(),
          t.quotaSpent.sum());
    }
  }

  /** Per-consumer counts, filled from gateway events. */
  static final class ConsumerCounts {
    final LongAdder admitted = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder streamed = new LongAdder();
    final LongAdder tokens = new LongAdder();
    final LongAdder rateLimited = new LongAdder();
    final LongAdder quotaSpent = new LongAdder();

    void add(GatewayEvent event) {
      if (event.outcome() == CallOutcome.REJECTED) {
        rejected.increment();
        (event.status() == 429 ? rateLimited : quotaSpent).increment();
        return;
      }
      admitted.increment();
      if (event.stream()) {
        streamed.increment();
      }
      tokens.add(event.limits().settledTokens());
    }
  }
}
