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
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.Operation;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.TokenLimitExceededException;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.Prompts;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TokenLimitTest {

  private static final String CONSUMER = "x-consumer-id";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();
  private final ManualClock clock = new ManualClock(Instant.parse("2026-03-31T23:58:00Z"));

  @BeforeEach
  void setUp() throws Exception {
    server.start();
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private OkHttpClient client(AiGateway.Builder builder) {
    return OkHttpAiGateway.wrap(new OkHttpClient(), builder.clock(clock).listener(events).build());
  }

  private Request chat(String consumer, String extra) {
    return post(
        server.url("/v1/chat/completions").toString(),
        chatRequest("gpt-4o", "Hello there", extra),
        CONSUMER,
        consumer);
  }

  private static long prompt() {
    return Prompts.countTokens(
        TokenCounter.defaults(),
        "gpt-4o",
        Operation.CHAT_COMPLETIONS,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]}");
  }

  /** A token store that blocks every call until the test ends. */
  private static final class HungStore implements TokenLimitStore {
    final CountDownLatch released = new CountDownLatch(1);

    @Override
    public ReserveResult reserve(List<LimitCharge> charges) {
      try {
        released.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("too late");
    }

    @Override
    public void settle(Reservation reservation, long[] actual) {}
  }

  @Test
  void aHungStoreNeitherHoldsTheCallPastItsCallTimeoutNorChargesIt() throws Exception {
    HungStore store = new HungStore();
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(20)).build(),
            AiGateway.builder()
                .clock(clock)
                .listener(events)
                .tokenLimitStore(store)
                .storeTimeout(Duration.ofMillis(50))
                .tokenLimit(
                    TokenLimit.perConsumer()
                        .tokensPerMinute(1000)
                        .remainingTokensHeader("x-remaining"))
                .build());
    server.enqueue(json(chatCompletion("gpt-4o", 4, 5)));

    try (Response response = client.newCall(chat("alice", "")).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.header("x-remaining")).isNull();
      response.body().string();
    } finally {
      store.released.countDown();
    }
    GatewayEvent event = events.next();
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.STORE_FAILED);
    assertThat(event.limits().settledTokens()).isZero();
    assertThat(event.timing().latency()).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void rateLimitAnswers429WithRetryAfterUntilEnoughTokensRefill() throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .consumerKey(KeyResolvers.header(CONSUMER))
                .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1000)));
    server.enqueue(json(chatCompletion("gpt-4o", 400, 500)));
    try (Response first = client.newCall(chat("team-a", "\"max_tokens\":50")).execute()) {
      assertThat(first.code()).isEqualTo(200);
      first.body().string();
    }
    events.next();
    long needed = prompt() + 300;

    try (Response second = client.newCall(chat("team-a", "\"max_tokens\":300")).execute()) {
      assertThat(second.code()).isEqualTo(429);
      assertThat(second.header("x-ai-gateway-rejected")).isEqualTo("token-rate-limit");
      long deficit = needed - 100;
      long expectedSeconds = (deficit * 60_000 / 1000 + 999) / 1000;
      assertThat(second.header("Retry-After")).isEqualTo(String.valueOf(expectedSeconds));
      JsonNode error = MAPPER.readTree(second.body().string()).get("error");
      assertThat(error.get("code").asText()).isEqualTo("rate_limit_exceeded");
      assertThat(error.get("type").asText()).isEqualTo("tokens");
      assertThat(error.get("message").asText())
          .contains("team-a")
          .contains("consumer")
          .contains("Retry after " + expectedSeconds + " s");
    }
    assertThat(server.getRequestCount()).isEqualTo(1);
    GatewayEvent rejected = events.next();
    assertThat(rejected.outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(rejected.rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
    assertThat(rejected.limits().counterKeys()).containsEntry("consumer", "team-a");

    clock.advance(Duration.ofSeconds((needed - 100) * 60 / 1000 + 1));
    server.enqueue(json(chatCompletion("gpt-4o", 10, 10)));
    try (Response third = client.newCall(chat("team-a", "\"max_tokens\":300")).execute()) {
      assertThat(third.code()).isEqualTo(200);
    }
  }

  @Test
  void consumersAreCountedApart() throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .consumerKey(KeyResolvers.header(CONSUMER))
                .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1000)));
    server.enqueue(json(chatCompletion("gpt-4o", 900, 100)));
    server.enqueue(json(chatCompletion("gpt-4o", 9, 1)));
    try (Response r = client.newCall(chat("team-a", "\"max_tokens\":5")).execute()) {
      r.body().string();
    }
    try (Response a = client.newCall(chat("team-a", "\"max_tokens\":5")).execute();
        Response b = client.newCall(chat("team-b", "\"max_tokens\":5")).execute()) {
      assertThat(a.code()).isEqualTo(429);
      assertThat(b.code()).isEqualTo(200);
    }
  }

  @Test
  void aGatewayBuiltAgainWithARaisedQuotaOnTheSameStoreKeepsWhatTheConsumerSpent()
      throws Exception {
    InMemoryTokenLimitStore store = new InMemoryTokenLimitStore(clock, Duration.ofMinutes(1));
    OkHttpClient before =
        client(
            AiGateway.builder()
                .consumerKey(KeyResolvers.header(CONSUMER))
                .tokenLimitStore(store)
                .tokenLimit(
                    TokenLimit.perConsumer()
                        .quota(1000, QuotaPeriod.MONTHLY)
                        .estimatePromptTokens(false)));
    server.enqueue(json(chatCompletion("gpt-4o", 600, 400)));
    try (Response r = before.newCall(chat("team-a", "")).execute()) {
      r.body().string();
    }
    events.next();
    // The configuration is reloaded: a new gateway on the same store, the quota raised by 500.
    OkHttpClient after =
        client(
            AiGateway.builder()
                .consumerKey(KeyResolvers.header(CONSUMER))
                .tokenLimitStore(store)
                .tokenLimit(
                    TokenLimit.perConsumer()
                        .quota(1500, QuotaPeriod.MONTHLY)
                        .remainingQuotaHeader("x-remaining-quota")
                        .estimatePromptTokens(false)));
    server.enqueue(json(chatCompletion("gpt-4o", 300, 300)));
    try (Response r = after.newCall(chat("team-a", "")).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.header("x-remaining-quota")).isEqualTo("500");
      r.body().string();
    }
    events.next();

    try (Response spent = after.newCall(chat("team-a", "")).execute()) {
      assertThat(spent.code()).isEqualTo(403);
      assertThat(spent.header("x-ai-gateway-rejected")).isEqualTo("token-quota");
    }
  }

  @Test
  void spentQuotaAnswers403UntilTheCalendarPeriodRollsOver() throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .consumerKey(KeyResolvers.header(CONSUMER))
                .tokenLimit(
                    TokenLimit.perConsumer()
                        .quota(1000, QuotaPeriod.MONTHLY)
                        .estimatePromptTokens(false)));
    server.enqueue(json(chatCompletion("gpt-4o", 600, 400)));
    try (Response r = client.newCall(chat("team-a", "")).execute()) {
      r.body().string();
    }
    events.next();

    try (Response spent = client.newCall(chat("team-a", "")).execute()) {
      assertThat(spent.code()).isEqualTo(403);
      assertThat(spent.header("x-ai-gateway-rejected")).isEqualTo("token-quota");
      assertThat(spent.header("Retry-After")).isEqualTo("120"); // 2026-04-01T00:00Z is 2 min away
      JsonNode error = MAPPER.readTree(spent.body().string()).get("error");
      assertThat(error.get("code").asText()).isEqualTo("insufficient_quota");
    }
    assertThat(events.next().rejection()).isEqualTo(RejectionReason.TOKEN_QUOTA);

    clock.set(Instant.parse("2026-04-01T00:00:00Z"));
    server.enqueue(json(chatCompletion("gpt-4o", 6, 4)));
    try (Response nextMonth = client.newCall(chat("team-a", "")).execute()) {
      assertThat(nextMonth.code()).isEqualTo(200);
    }
  }

  @Test
  void aSpentQuotaCanAnswer429InsufficientQuotaAsOpenAiDoes() throws Exception {
    AiGateway.Builder gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header(CONSUMER))
            .quotaRejectionStatus(429)
            .tokenLimit(
                TokenLimit.perConsumer()
                    .quota(1000, QuotaPeriod.MONTHLY)
                    .estimatePromptTokens(false));
    OkHttpClient client = client(gateway);
    server.enqueue(json(chatCompletion("gpt-4o", 600, 400)));
    try (Response r = client.newCall(chat("team-a", "")).execute()) {
      r.body().string();
    }
    events.next();

    try (Response spent = client.newCall(chat("team-a", "")).execute()) {
      assertThat(spent.code()).isEqualTo(429);
      assertThat(spent.header("x-ai-gateway-rejected")).isEqualTo("token-quota");
      assertThat(spent.header("Retry-After")).isEqualTo("120");
      JsonNode error = MAPPER.readTree(spent.body().string()).get("error");
      assertThat(error.get("code").asText()).isEqualTo("insufficient_quota");
      assertThat(error.get("type").asText()).isEqualTo("insufficient_quota");
    }
    GatewayEvent event = events.next();
    assertThat(event.rejection()).isEqualTo(RejectionReason.TOKEN_QUOTA);
    assertThat(event.status()).isEqualTo(429);

    OkHttpClient throwing = client(gateway.throwOnRejection(true)); // a new gateway: spend again
    server.enqueue(json(chatCompletion("gpt-4o", 600, 400)));
    try (Response r = throwing.newCall(chat("team-a", "")).execute()) {
      r.body().string();
    }
    assertThatThrownBy(() -> throwing.newCall(chat("team-a", "")).execute())
        .isInstanceOfSatisfying(
            TokenLimitExceededException.class,
            e -> {
              assertThat(e.status()).isEqualTo(429);
              assertThat(e.reason()).isEqualTo(RejectionReason.TOKEN_QUOTA);
            });
    assertThatThrownBy(() -> AiGateway.builder().quotaRejectionStatus(500))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("403 or 429");
  }

  @Test
  void quotaWindowsAlignInTheConfiguredZone() throws Exception {
    clock.set(Instant.parse("2026-05-10T21:30:00Z")); // 23:30 in Europe/Berlin (UTC+2)
    OkHttpClient client =
        client(
            AiGateway.builder()
                .tokenLimit(
                    TokenLimit.global()
                        .quota(100, QuotaPeriod.DAILY)
                        .quotaZone(java.time.ZoneId.of("Europe/Berlin"))
                        .estimatePromptTokens(false)));
    server.enqueue(json(chatCompletion("gpt-4o", 60, 40)));
    try (Response r = client.newCall(chat("x", "")).execute()) {
      r.body().string();
    }
    try (Response spent = client.newCall(chat("x", "")).execute()) {
      assertThat(spent.code()).isEqualTo(403);
      assertThat(spent.header("Retry-After")).isEqualTo("1800");
    }
  }

  @Test
  void aCallRejectedByOneLimitReservesNothingUnderTheOthers() throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .consumerKey(KeyResolvers.header(CONSUMER))
                .tokenLimit(
                    TokenLimit.perConsumer()
                        .tokensPerMinute(10_000)
                        .remainingTokensHeader("x-remaining-tokens"))
                .tokenLimit(TokenLimit.global().tokensPerMinute(100)));
    long needed = prompt() + 200;

    for (int i = 0; i < 3; i++) {
      try (Response rejected = client.newCall(chat("team-a", "\"max_tokens\":200")).execute()) {
        assertThat(rejected.code()).isEqualTo(429);
        assertThat(rejected.header("x-remaining-tokens")).isEqualTo("10000");
      }
    }
    server.enqueue(json(chatCompletion("gpt-4o", 10, 10)));
    try (Response admitted = client.newCall(chat("team-a", "\"max_tokens\":20")).execute()) {
      assertThat(admitted.code()).isEqualTo(200);
      assertThat(admitted.header("x-remaining-tokens"))
          .isEqualTo(String.valueOf(10_000 - (needed - 200 + 20)));
    }
  }

  @Test
  void backendFailureRefundsTheReservation() throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .tokenLimit(
                    TokenLimit.global()
                        .tokensPerMinute(1000)
                        .remainingTokensHeader("x-remaining-tokens")));
    server.enqueue(
        new MockResponse.Builder()
            .code(500)
            .body("{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}")
            .build());
    try (Response failed = client.newCall(chat("a", "\"max_tokens\":500")).execute()) {
      assertThat(failed.code()).isEqualTo(500);
      assertThat(failed.header("x-remaining-tokens"))
          .isEqualTo(String.valueOf(1000 - prompt() - 500));
    }
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(event.errorType()).isEqualTo("500");
    assertThat(event.limits().settledTokens()).isZero();

    server.enqueue(json(chatCompletion("gpt-4o", 1, 1)));
    try (Response next = client.newCall(chat("a", "\"max_tokens\":500")).execute()) {
      assertThat(next.header("x-remaining-tokens"))
          .isEqualTo(String.valueOf(1000 - prompt() - 500));
    }
  }

  @Test
  void connectionFailureRefundsTheReservationAndReportsTheFailure() throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .tokenLimit(
                    TokenLimit.global()
                        .tokensPerMinute(1000)
                        .remainingTokensHeader("x-remaining-tokens")));
    String deadUrl = server.url("/v1/chat/completions").toString();
    server.close();

    assertThatThrownBy(
            () ->
                client
                    .newCall(
                        post(deadUrl, chatRequest("gpt-4o", "Hello there", "\"max_tokens\":900")))
                    .execute())
        .isInstanceOf(java.io.IOException.class);
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo("java.net.ConnectException");
    assertThat(event.limits().settledTokens()).isZero();

    // Nothing stayed reserved: an identical reservation fits again.
    assertThatThrownBy(
            () ->
                client
                    .newCall(
                        post(deadUrl, chatRequest("gpt-4o", "Hello there", "\"max_tokens\":900")))
                    .execute())
        .isInstanceOf(java.net.ConnectException.class);
  }

  @Test
  void settlementChargesActualUsageNotTheEstimate() throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .tokenLimit(
                    TokenLimit.global()
                        .tokensPerMinute(10_000)
                        .remainingTokensHeader("x-remaining-tokens")
                        .tokensConsumedHeader("x-consumed")));
    server.enqueue(json(chatCompletion("gpt-4o", 1234, 766)));
    try (Response r = client.newCall(chat("a", "\"max_tokens\":100")).execute()) {
      assertThat(r.header("x-consumed")).isEqualTo(String.valueOf(prompt() + 100));
      r.body().string();
    }
    GatewayEvent event = events.next();
    assertThat(event.limits().reservedTokens()).isEqualTo(prompt() + 100);
    assertThat(event.limits().settledTokens()).isEqualTo(2000);

    server.enqueue(json(chatCompletion("gpt-4o", 1, 1)));
    try (Response r = client.newCall(chat("a", "\"max_tokens\":100")).execute()) {
      assertThat(r.header("x-remaining-tokens"))
          .isEqualTo(String.valueOf(10_000 - 2000 - prompt() - 100));
    }
  }

  @Test
  void aLegacyCompletionsCallReservesItsAllowanceForEachOfItsBestOfCompletions() throws Exception {
    // best_of completions are generated server-side (and billed), of which n are returned.
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.global().tokensPerMinute(100_000)));
    String request =
        "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Say hello\",\"max_tokens\":100,"
            + "\"best_of\":5,\"n\":2}";
    server.enqueue(
        json(
            "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"model\":"
                + "\"gpt-3.5-turbo-instruct\",\"choices\":[{\"text\":\"Hello\",\"index\":0},"
                + "{\"text\":\"Hi\",\"index\":1}],\"usage\":{\"prompt_tokens\":2,"
                + "\"completion_tokens\":410,\"total_tokens\":412}}"));
    try (Response r =
        client.newCall(post(server.url("/v1/completions").toString(), request)).execute()) {
      r.body().string();
    }
    long prompt =
        Prompts.countTokens(
            TokenCounter.defaults(), "gpt-3.5-turbo-instruct", Operation.COMPLETIONS, request);

    GatewayEvent event = events.next();
    assertThat(event.limits().reservedTokens()).isEqualTo(prompt + 5 * 100);
    assertThat(event.limits().settledTokens()).isEqualTo(412);
  }

  @Test
  void withoutEstimationACallIsAdmittedWhileTheCounterIsNotSpent() throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .tokenLimit(TokenLimit.global().tokensPerMinute(1000).estimatePromptTokens(false)));
    server.enqueue(json(chatCompletion("gpt-4o", 500, 499)));
    server.enqueue(json(chatCompletion("gpt-4o", 500, 500)));
    try (Response r = client.newCall(chat("a", "\"max_tokens\":4000")).execute()) {
      assertThat(r.code()).isEqualTo(200);
      r.body().string();
    }
    try (Response r = client.newCall(chat("a", "\"max_tokens\":4000")).execute()) {
      assertThat(r.code()).isEqualTo(200); // 1 token left is enough to be admitted
      r.body().string();
    }
    try (Response r = client.newCall(chat("a", "")).execute()) {
      assertThat(r.code()).isEqualTo(429); // overdrawn by 999: waits for the refill
      assertThat(r.header("Retry-After")).isEqualTo("60");
    }
  }

  @Test
  void throwingModeRaisesAnExceptionCarryingLimitKeyAndWait() throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .throwOnRejection(true)
                .consumerKey(KeyResolvers.header(CONSUMER))
                .tokenLimit(TokenLimit.perConsumer().name("team-tpm").tokensPerMinute(60)));

    assertThatThrownBy(() -> client.newCall(chat("team-a", "\"max_tokens\":100")).execute())
        .isInstanceOfSatisfying(
            TokenLimitExceededException.class,
            e -> {
              assertThat(e.limitName()).isEqualTo("team-tpm");
              assertThat(e.counterKey()).isEqualTo("team-a");
              assertThat(e.reason()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
              assertThat(e.requestedTokens()).isEqualTo(prompt() + 100);
              assertThat(e.retryAfter()).isEqualTo(Duration.ofMinutes(1));
              assertThat(e.getMessage()).contains("more than the limit's whole capacity");
            });
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void perModelLimitsCountEachModelApart() throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .tokenLimit(
                    TokenLimit.perModel().tokensPerMinute(1000).estimatePromptTokens(false)));
    server.enqueue(json(chatCompletion("gpt-4o", 999, 1)));
    server.enqueue(json(chatCompletion("gpt-4o-mini", 1, 1)));
    try (Response r = client.newCall(chat("a", "")).execute()) {
      r.body().string();
    }
    try (Response sameModel = client.newCall(chat("a", "")).execute();
        Response otherModel =
            client
                .newCall(
                    post(
                        server.url("/v1/chat/completions").toString(),
                        chatRequest("gpt-4o-mini", "Hi", "")))
                .execute()) {
      assertThat(sameModel.code()).isEqualTo(429);
      assertThat(otherModel.code()).isEqualTo(200);
    }
  }

  @Test
  void perModelLimitsCountADirectAzureDeploymentCallOnItsDeploymentWhateverTheBodyNames()
      throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .tokenLimit(
                    TokenLimit.perModel().tokensPerMinute(1000).estimatePromptTokens(false)));
    String deployment =
        server.url("/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21").toString();
    server.enqueue(json(chatCompletion("gpt-4o", 999, 1)));
    server.enqueue(json(chatCompletion("gpt-4o", 1, 1)));
    try (Response r = client.newCall(post(deployment, chatRequest("gpt-4o", "Hi", ""))).execute()) {
      r.body().string();
    }
    // Azure serves the path's deployment whatever model the body names: another name in the body
    // is the same deployment's tokens, not a fresh counter.
    try (Response renamed =
            client.newCall(post(deployment, chatRequest("not-a-deployment", "Hi", ""))).execute();
        Response otherDeployment =
            client
                .newCall(
                    post(
                        server
                            .url(
                                "/openai/deployments/gpt-4o-mini/chat/completions"
                                    + "?api-version=2024-10-21")
                            .toString(),
                        chatRequest("gpt-4o", "Hi", "")))
                .execute()) {
      assertThat(renamed.code()).isEqualTo(429);
      assertThat(otherDeployment.code()).isEqualTo(200);
    }
  }

  @Test
  void aPerModelLimitCountsUnderTheModelTheEventNamesAsRequested() throws Exception {
    // One rule names the model of a call for its per-model limit and for its event: the path's
    // deployment of a direct Azure call, the body's model of a call a pool routes.
    String deploymentPath = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";
    OkHttpClient direct =
        client(AiGateway.builder().tokenLimit(TokenLimit.perModel().tokensPerMinute(100_000)));
    OkHttpClient pooled =
        client(
            AiGateway.builder()
                .tokenLimit(TokenLimit.perModel().tokensPerMinute(100_000))
                .backendPool(
                    dev.aigateway.core.routing.BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.openAi(
                                "east", server.url("/v1/").toString()))));
    server.enqueue(json(chatCompletion("gpt-4o", 5, 1)));
    server.enqueue(json(chatCompletion("gpt-4o-mini", 5, 1)));

    for (OkHttpClient client : List.of(direct, pooled)) {
      try (Response response =
          client
              .newCall(
                  post(server.url(deploymentPath).toString(), chatRequest("gpt-4o-mini", "Hi", "")))
              .execute()) {
        assertThat(response.code()).isEqualTo(200);
        response.body().string();
      }
    }

    GatewayEvent directEvent = events.next();
    GatewayEvent pooledEvent = events.next();
    assertThat(directEvent.requestedModel()).isEqualTo("gpt-4o");
    assertThat(pooledEvent.requestedModel()).isEqualTo("gpt-4o-mini");
    for (GatewayEvent event : List.of(directEvent, pooledEvent)) {
      assertThat(event.limits().counterKeys())
          .as(event.toString())
          .containsExactly(java.util.Map.entry("model", event.requestedModel()));
    }
  }

  @Test
  void aDeploymentSpelledWithPercentEscapesIsTheSameDeploymentToItsLimit() throws Exception {
    // Azure decodes the path: /openai/deployments/gpt%2D4o/... is deployment gpt-4o.
    OkHttpClient client =
        client(
            AiGateway.builder()
                .tokenLimit(
                    TokenLimit.perModel().tokensPerMinute(1000).estimatePromptTokens(false)));
    server.enqueue(json(chatCompletion("gpt-4o", 999, 1)));
    server.enqueue(json(chatCompletion("gpt-4o", 1, 1)));
    String query = "/chat/completions?api-version=2024-10-21";
    try (Response r =
        client
            .newCall(
                post(
                    server.url("/openai/deployments/gpt-4o" + query).toString(),
                    chatRequest("gpt-4o", "Hi", "")))
            .execute()) {
      r.body().string();
    }
    try (Response escaped =
        client
            .newCall(
                post(
                    server.url("/openai/deployments/gpt%2D4o" + query).toString(),
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"))
            .execute()) {
      assertThat(escaped.request().url().encodedPath()).contains("gpt%2D4o");
      assertThat(escaped.code()).isEqualTo(429);
    }
    assertThat(events.all.get(1).requestedModel()).isEqualTo("gpt-4o");
  }

  @Test
  void consumersCanHaveDifferentLimits() throws Exception {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .consumerKey(KeyResolvers.header(CONSUMER))
                .tokenLimit(
                    TokenLimit.perConsumer()
                        .name("gold")
                        .tokensPerMinute(10_000)
                        .estimatePromptTokens(false)
                        .onlyFor("team-a"))
                .tokenLimit(
                    TokenLimit.perConsumer()
                        .name("bronze")
                        .tokensPerMinute(100)
                        .estimatePromptTokens(false)
                        .onlyFor("team-b")));
    for (int i = 0; i < 2; i++) {
      server.enqueue(json(chatCompletion("gpt-4o", 90, 10)));
    }
    for (String consumer : new String[] {"team-a", "team-b"}) {
      try (Response r = client.newCall(chat(consumer, "")).execute()) {
        r.body().string();
      }
    }
    assertThat(events.next().limits().counterKeys()).containsOnlyKeys("gold");
    assertThat(events.next().limits().counterKeys()).containsOnlyKeys("bronze");

    server.enqueue(json(chatCompletion("gpt-4o", 90, 10)));
    server.enqueue(json(chatCompletion("gpt-4o", 90, 10)));
    try (Response gold = client.newCall(chat("team-a", "")).execute();
        Response bronze = client.newCall(chat("team-b", "")).execute();
        Response unlimited = client.newCall(chat("team-c", "")).execute()) {
      assertThat(gold.code()).isEqualTo(200);
      assertThat(bronze.code()).isEqualTo(429);
      assertThat(unlimited.code()).isEqualTo(200);
    }
  }
}
