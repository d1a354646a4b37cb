package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.telemetry.LoggingListener;
import dev.aigateway.testing.ManualClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConcurrencyAndSecretsTest {

  private static final String API_KEY = "sk-proj-SECRET0123456789abcdef";

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();

  @BeforeEach
  void setUp() throws Exception {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return Backend.json(chatCompletion("gpt-4o", 7, 3));
          }
        });
    server.start();
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  @Test
  void manyThreadsOnOneKeyNeverAdmitMoreThanTheLimitAndEveryCallIsSettled() throws Exception {
    int threads = 64;
    int callsPerThread = 8;
    AiGateway gateway =
        AiGateway.builder()
            .clock(new ManualClock(java.time.Instant.parse("2026-01-01T00:00:00Z")))
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .tokenLimit(
                TokenLimit.perConsumer().tokensPerMinute(100_000).estimatePromptTokens(false))
            .tokenLimit(TokenLimit.global().name("shared").tokensPerMinute(2_000))
            .listener(events)
            .build();
    okhttp3.Dispatcher dispatcher = new okhttp3.Dispatcher();
    dispatcher.setMaxRequests(threads);
    dispatcher.setMaxRequestsPerHost(threads);
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient.Builder()
                .dispatcher(dispatcher)
                .connectionPool(new ConnectionPool(threads, 1, TimeUnit.MINUTES))
                .build(),
            gateway);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<Integer>> admitted = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      admitted.add(
          pool.submit(
              () -> {
                int ok = 0;
                for (int i = 0; i < callsPerThread; i++) {
                  try (Response response =
                      client
                          .newCall(
                              post(
                                  server.url("/v1/chat/completions").toString(),
                                  chatRequest("gpt-4o", "Hi", "\"max_tokens\":2"),
                                  "x-consumer-id",
                                  "same"))
                          .execute()) {
                    response.body().string();
                    if (response.code() == 200) {
                      ok++;
                    }
                  }
                }
                return ok;
              }));
    }
    int total = 0;
    for (Future<Integer> f : admitted) {
      total += f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();

    // Each admitted call reserves 8 (prompt) + 2 (max_tokens) = 10 of the frozen 2,000: exactly
    // 200 fit, then settle to the reported 10 leaves nothing to refund.
    assertThat(total).isEqualTo(200);
    assertThat(server.getRequestCount()).isEqualTo(200);
    List<GatewayEvent> all = new ArrayList<>();
    for (int i = 0; i < threads * callsPerThread; i++) {
      all.add(events.next());
    }
    assertThat(all)
        .filteredOn(e -> e.outcome() == CallOutcome.SUCCESS)
        .hasSize(200)
        .allSatisfy(e -> assertThat(e.limits().settledTokens()).isEqualTo(10));
    assertThat(all)
        .filteredOn(e -> e.outcome() == CallOutcome.REJECTED)
        .hasSize(threads * callsPerThread - 200);
  }

  @Test
  void apiKeysNeverAppearInEventsLogLinesOrRejections() throws Exception {
    List<String> lines = new ArrayList<>();
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.apiKey())
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(12))
            .listener(event -> lines.add(LoggingListener.format(event)))
            .listener(event -> lines.add(event.toString()))
            .listener(LoggingListener.create())
            .listener(events)
            .build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);

    try (Response admitted =
        client
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    chatRequest("gpt-4o", "Hi", "\"max_tokens\":2"),
                    "Authorization",
                    "Bearer " + API_KEY))
            .execute()) {
      lines.add(admitted.body().string());
    }
    try (Response rejected =
        client
            .newCall(
                post(
                    server.url("/openai/deployments/d/chat/" + "completions").toString(),
                    chatRequest("gpt-4o", "Hi", "\"max_tokens\":2"),
                    "api-key",
                    API_KEY))
            .execute()) {
      lines.add(rejected.body().string());
      lines.add(rejected.headers().toString());
    }

    assertThat(server.takeRequest().getHeaders().get("Authorization"))
        .isEqualTo("Bearer " + API_KEY);
    GatewayEvent first = events.next();
    assertThat(first.consumer()).startsWith("key-").hasSize(16);
    assertThat(lines)
        .isNotEmpty()
        .noneMatch(line -> line.contains(API_KEY) || line.contains("SECRET"));
  }

  @Test
  void aKeyResolverThatFailsWithASecretInItsMessageIsLoggedWithoutIt() throws Exception {
    // A resolver that parses a token may fail with the token in its message; the gateway logs the
    // failure (slf4j-simple writes to System.err) and goes on without a key.
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(
                request -> {
                  throw new IllegalStateException("cannot read the tenant of token " + API_KEY);
                })
            .listener(events)
            .build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    java.io.PrintStream err = System.err;
    java.io.ByteArrayOutputStream logged = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(logged, true, java.nio.charset.StandardCharsets.UTF_8));
    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    chatRequest("gpt-4o", "Hi", "\"max_tokens\":2")))
            .execute()) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    } finally {
      System.setErr(err);
    }

    assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
    String log = logged.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(log).contains("key resolver").contains("IllegalStateException");
    assertThat(log).doesNotContain(API_KEY).doesNotContain("SECRET");
  }
}
