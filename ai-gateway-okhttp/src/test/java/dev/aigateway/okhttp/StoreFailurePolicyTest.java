package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayRejectedException;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.TokenLimitExceededException;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.core.limit.StoreBreakerPolicy;
import dev.aigateway.core.limit.StoreFailurePolicy;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the application sees when the token store is down, per failure policy, over real HTTP. */
class StoreFailurePolicyTest {

  private static final String CONSUMER = "x-consumer-id";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();
  private final ManualClock clock = new ManualClock(Instant.parse("2026-03-31T10:00:00Z"));
  private final DownStore store = new DownStore();

  @BeforeEach
  void setUp() throws Exception {
    server.start();
  }

  @AfterEach
  void tearDown() {
    store.released.countDown();
    server.close();
  }

  /**
   * A token store whose server is down: every reservation throws (or, when {@code blocks}, hangs
   * until the test ends), as a network store's client does. Settlements go to real counters.
   */
  private final class DownStore implements TokenLimitStore {
    final InMemoryTokenLimitStore counters =
        new InMemoryTokenLimitStore(clock, InMemoryTokenLimitStore.DEFAULT_SWEEP_INTERVAL);
    final AtomicInteger reserves = new AtomicInteger();
    final CountDownLatch released = new CountDownLatch(1);
    volatile boolean blocks;

    @Override
    public ReserveResult reserve(List<LimitCharge> charges) {
      reserves.incrementAndGet();
      if (blocks) {
        try {
          released.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      throw new IllegalStateException("Unable to connect to cache.internal:6379");
    }

    @Override
    public void settle(Reservation reservation, long[] actual) {
      counters.settle(reservation, actual);
    }
  }

  private OkHttpClient client(AiGateway.Builder gateway) {
    return OkHttpAiGateway.wrap(
        new OkHttpClient(),
        gateway
            .clock(clock)
            .listener(events)
            .consumerKey(KeyResolvers.header(CONSUMER))
            .tokenLimitStore(store)
            .tokenLimit(
                TokenLimit.perConsumer()
                    .tokensPerMinute(1_000)
                    .remainingTokensHeader("x-ratelimit-remaining-tokens"))
            .build());
  }

  private Request chat(int maxTokens) {
    return post(
        server.url("/v1/chat/completions").toString(),
        chatRequest("gpt-4o", "Hello there", "\"max_tokens\":" + maxTokens),
        CONSUMER,
        "team-a");
  }

  @Test
  void failClosedAnswers503InOpenAisErrorShapeWithoutCallingTheBackend() throws Exception {
    OkHttpClient client =
        client(AiGateway.builder().storeFailurePolicy(StoreFailurePolicy.failClosed()));

    try (Response response = client.newCall(chat(50)).execute()) {
      assertThat(response.code()).isEqualTo(503);
      assertThat(response.message()).isEqualTo("Service Unavailable");
      assertThat(response.header("Retry-After")).isEqualTo("5");
      assertThat(response.header("retry-after-ms")).isEqualTo("5000");
      assertThat(response.header("x-ai-gateway-rejected")).isEqualTo("token-store-unavailable");
      assertThat(response.header("x-ratelimit-remaining-tokens")).isNull();
      assertThat(response.header("Content-Type")).startsWith("application/json");
      JsonNode error = MAPPER.readTree(response.body().string()).get("error");
      assertThat(error.get("type").asText()).isEqualTo("server_error");
      assertThat(error.get("code").asText()).isEqualTo("token_store_unavailable");
      assertThat(error.get("message").asText())
          .contains("token limit store is unavailable")
          .doesNotContain("cache.internal");
    }

    assertThat(server.getRequestCount()).isZero();
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(event.status()).isEqualTo(503);
    assertThat(event.rejection()).isEqualTo(RejectionReason.TOKEN_STORE_UNAVAILABLE);
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.STORE_FAILED);
  }

  @Test
  void failClosedThrowsTheRejectionWhenConfiguredTo() throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .throwOnRejection(true)
                .storeFailurePolicy(StoreFailurePolicy.failClosed(Duration.ofSeconds(2))));

    assertThatThrownBy(() -> client.newCall(chat(50)).execute())
        .isInstanceOfSatisfying(
            GatewayRejectedException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(RejectionReason.TOKEN_STORE_UNAVAILABLE);
              assertThat(e.status()).isEqualTo(503);
              assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(2));
              assertThat(e.getMessage()).contains("Retry after 2 s");
            });
    assertThat(server.getRequestCount()).isZero();
    assertThat(events.next().rejection()).isEqualTo(RejectionReason.TOKEN_STORE_UNAVAILABLE);
  }

  @Test
  void whileTheBreakerIsOpenFailClosedAnswersAtOnceWithoutAskingTheStore() throws Exception {
    store.blocks = true;
    OkHttpClient client =
        client(
            AiGateway.builder()
                .storeTimeout(Duration.ofMillis(500))
                .storeBreaker(StoreBreakerPolicy.builder().failureThreshold(1))
                .storeFailurePolicy(StoreFailurePolicy.failClosed()));
    try (Response first = client.newCall(chat(50)).execute()) {
      assertThat(first.code()).isEqualTo(503); // after waiting out the store timeout
    }

    long started = System.nanoTime();
    for (int i = 0; i < 10; i++) {
      try (Response next = client.newCall(chat(50)).execute()) {
        assertThat(next.code()).isEqualTo(503);
      }
    }

    // Waiting for the store each time would take 5 s.
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(2_500));
    assertThat(store.reserves).hasValue(1);
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void theLocalFallbackAdmitsItsShareAndAnswers429Beyond() throws Exception {
    OkHttpClient client =
        client(AiGateway.builder().storeFailurePolicy(StoreFailurePolicy.fallBackToLocal(0.5)));
    server.enqueue(json(chatCompletion("gpt-4o", 10, 390)));

    try (Response first = client.newCall(chat(400)).execute()) {
      assertThat(first.code()).isEqualTo(200);
      assertThat(first.header("x-ratelimit-remaining-tokens")).isNotNull();
      first.body().string();
    }
    GatewayEvent admitted = events.next();
    assertThat(admitted.limits().outcome()).isEqualTo(LimitOutcome.FALLBACK_SETTLED);
    assertThat(admitted.limits().settledTokens()).isEqualTo(400);

    try (Response second = client.newCall(chat(400)).execute()) {
      assertThat(second.code()).isEqualTo(429);
      assertThat(second.header("x-ai-gateway-rejected")).isEqualTo("token-rate-limit");
      assertThat(second.header("Retry-After")).isNotNull();
      assertThat(second.header("x-should-retry")).isNull();
      JsonNode error = MAPPER.readTree(second.body().string()).get("error");
      assertThat(error.get("code").asText()).isEqualTo("rate_limit_exceeded");
      assertThat(error.get("message").asText())
          .contains("(500 tokens per PT1M)")
          .contains("100 left")
          .contains("local share of the limit");
    }
    GatewayEvent rejected = events.next();
    assertThat(rejected.limits().outcome()).isEqualTo(LimitOutcome.FALLBACK_REJECTED);
    assertThat(rejected.limits().rejectedLimit()).isEqualTo("consumer");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void aFallbackRejectionIsThrownAsATokenLimitExceededException() throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .throwOnRejection(true)
                .storeFailurePolicy(StoreFailurePolicy.fallBackToLocal(0.25)));

    assertThatThrownBy(() -> client.newCall(chat(300)).execute())
        .isInstanceOfSatisfying(
            TokenLimitExceededException.class,
            e -> {
              assertThat(e.status()).isEqualTo(429);
              assertThat(e.limitName()).isEqualTo("consumer");
              assertThat(e.counterKey()).isEqualTo("team-a");
            });
  }
}
