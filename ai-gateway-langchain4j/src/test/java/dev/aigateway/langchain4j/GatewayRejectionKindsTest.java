package dev.aigateway.langchain4j;

import static dev.aigateway.testing.OpenAiBodies.completion;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.aigateway.api.Caller;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.access.AccessPolicy;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.testing.Closing;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.ContentFilteredException;
import dev.langchain4j.exception.InternalServerException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.NonRetriableException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every kind of gateway refusal reaches LangChain4j's real OpenAI models (sync and streaming) as
 * the exception of LangChain4j's own hierarchy its models throw for the same status from the
 * provider, with the gateway's reason, status and wait on it; and whether LangChain4j retries it
 * follows whether a retry can fix it soon.
 */
class GatewayRejectionKindsTest {

  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private MockWebServer backend;

  @BeforeEach
  void startBackend() throws Exception {
    backend = new MockWebServer();
    backend.start();
  }

  @AfterEach
  void stopBackend() throws Exception {
    Closing.inBackground(backend);
  }

  private AiGateway.Builder gateway() {
    return AiGateway.builder()
        .consumerKey(KeyResolvers.header("x-consumer-id"))
        .listener(events::add);
  }

  private ChatModel chatModel(AiGateway gateway, String modelName, int maxRetries) {
    return OpenAiChatModel.builder()
        .httpClientBuilder(GovernedHttpClientBuilder.of(gateway))
        .baseUrl(backend.url("/v1").toString())
        .apiKey("sk-test-not-a-real-key")
        .modelName(modelName)
        .maxTokens(50)
        .maxRetries(maxRetries)
        .customHeaders(Map.of("x-consumer-id", "team-a"))
        .build();
  }

  private StreamingChatModel streamingModel(AiGateway gateway, String modelName) {
    return OpenAiStreamingChatModel.builder()
        .httpClientBuilder(GovernedHttpClientBuilder.of(gateway))
        .baseUrl(backend.url("/v1").toString())
        .apiKey("sk-test-not-a-real-key")
        .modelName(modelName)
        .maxTokens(50)
        .customHeaders(Map.of("x-consumer-id", "team-a"))
        .build();
  }

  /** The refusal of one sync and one streamed call, for a gateway answering or throwing it. */
  private List<Throwable> refusals(AiGateway.Builder configured, String prompt, String modelName)
      throws Exception {
    AiGateway answering = configured.throwOnRejection(false).build();
    Throwable sync = catchThrowable(() -> chatModel(answering, modelName, 0).chat(prompt));
    Throwable streamed = streamError(streamingModel(answering, modelName), prompt);
    AiGateway throwing = configured.throwOnRejection(true).build();
    Throwable thrownSync = catchThrowable(() -> chatModel(throwing, modelName, 0).chat(prompt));
    Throwable thrownStreamed = streamError(streamingModel(throwing, modelName), prompt);
    assertThat(backend.getRequestCount()).isZero(); // the gateway answered every one itself
    return List.of(sync, streamed, thrownSync, thrownStreamed);
  }

  private static Throwable streamError(StreamingChatModel model, String prompt) throws Exception {
    CompletableFuture<Throwable> error = new CompletableFuture<>();
    model.chat(
        prompt,
        new StreamingChatResponseHandler() {
          @Override
          public void onCompleteResponse(ChatResponse response) {
            error.completeExceptionally(new AssertionError("answered: " + response));
          }

          @Override
          public void onError(Throwable failure) {
            error.complete(failure);
          }
        });
    return error.get(20, TimeUnit.SECONDS);
  }

  private static void assertRejection(
      Throwable error, Class<?> langChain4jType, int status, RejectionReason reason) {
    assertThat(error).isInstanceOf(langChain4jType).isInstanceOf(GatewayRejection.class);
    GatewayRejection rejection = (GatewayRejection) error;
    assertThat(rejection.statusCode()).isEqualTo(status);
    assertThat(rejection.reason()).isEqualTo(reason);
    assertThat(error.getMessage()).contains(reason.headerValue()).doesNotContain("sk-test");
  }

  @Test
  void aContentBlockIsLangChain4jsContentFilteredException() throws Exception {
    AiGateway.Builder gateway =
        gateway().contentSafety(ContentSafety.builder().denyWords("codename-zebra"));

    for (Throwable error : refusals(gateway, "Tell me about codename-zebra", "gpt-4o")) {
      assertRejection(error, ContentFilteredException.class, 400, RejectionReason.CONTENT_BLOCKED);
    }
  }

  @Test
  void anInvalidTokenIsLangChain4jsAuthenticationException() throws Exception {
    AiGateway.Builder gateway =
        gateway().callerResolver(request -> Caller.refused("the token has expired"));

    for (Throwable error : refusals(gateway, "Say hello", "gpt-4o")) {
      assertRejection(error, AuthenticationException.class, 401, RejectionReason.INVALID_TOKEN);
    }
  }

  @Test
  void anAccessDenialIsLangChain4jsAuthenticationException() throws Exception {
    AiGateway.Builder gateway =
        gateway()
            .accessPolicy(
                AccessPolicy.denyByDefault().consumer("team-a", rule -> rule.models("gpt-4o")));

    for (Throwable error : refusals(gateway, "Say hello", "o1-pro")) {
      assertRejection(error, AuthenticationException.class, 403, RejectionReason.ACCESS_DENIED);
    }
  }

  @Test
  void aModelNoBackendServesIsLangChain4jsModelNotFoundException() throws Exception {
    AiGateway.Builder gateway =
        gateway()
            .backendPool(
                BackendPool.builder()
                    .backend(
                        Backend.openAi("only", backend.url("/").toString())
                            .model("gpt-4o", "gpt-4o")));

    for (Throwable error : refusals(gateway, "Say hello", "no-such-model")) {
      assertRejection(error, ModelNotFoundException.class, 404, RejectionReason.MODEL_NOT_FOUND);
    }
  }

  @Test
  void aRateLimitThatCanClearSoonIsLangChain4jsRateLimitExceptionWithTheGatewaysWait()
      throws Exception {
    backend.enqueue(json(completion("first", 80, 10)));
    AiGateway gateway =
        gateway()
            .tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofSeconds(1)))
            .build();
    chatModel(gateway, "gpt-4o", 0).chat("Say hello");

    Throwable sync = catchThrowable(() -> chatModel(gateway, "gpt-4o", 0).chat("Say hello"));
    Throwable streamed = streamError(streamingModel(gateway, "gpt-4o"), "Say hello");

    for (Throwable error : List.of(sync, streamed)) {
      assertRejection(error, RateLimitException.class, 429, RejectionReason.TOKEN_RATE_LIMIT);
      assertThat(((GatewayRejection) error).retryAfter())
          .isPositive()
          .isLessThanOrEqualTo(Duration.ofSeconds(1));
    }
  }

  @Test
  void noBackendAvailableForAShortWhileIsLangChain4jsRetriedInternalServerException()
      throws Exception {
    // a call holds the backend's only in-flight slot for a moment: the next is refused 503 with
    // a 1 s wait, which LangChain4j's first retry (after about 1 s) outlasts
    AiGateway gateway =
        gateway()
            .backendPool(
                BackendPool.builder()
                    .backend(Backend.openAi("only", backend.url("/").toString()).maxInFlight(1)))
            .build();
    backend.enqueue(held("held"));
    CompletableFuture<String> held =
        CompletableFuture.supplyAsync(() -> chatModel(gateway, "gpt-4o", 0).chat("Say hello"));
    backend.takeRequest(10, TimeUnit.SECONDS); // the held call is in flight

    Throwable refused = catchThrowable(() -> chatModel(gateway, "gpt-4o", 0).chat("Say hello"));
    Throwable streamed = streamError(streamingModel(gateway, "gpt-4o"), "Say hello");

    for (Throwable error : List.of(refused, streamed)) {
      assertRejection(
          error, InternalServerException.class, 503, RejectionReason.NO_BACKEND_AVAILABLE);
      assertThat(((GatewayRejection) error).retryAfter()).isEqualTo(Duration.ofSeconds(1));
    }
    assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo("held");

    backend.enqueue(held("held again"));
    backend.enqueue(json(completion("retried", 10, 2)));
    CompletableFuture<String> heldAgain =
        CompletableFuture.supplyAsync(() -> chatModel(gateway, "gpt-4o", 0).chat("Say hello"));
    backend.takeRequest(10, TimeUnit.SECONDS);

    assertThat(chatModel(gateway, "gpt-4o", 2).chat("Say hello")).isEqualTo("retried");
    assertThat(heldAgain.get(10, TimeUnit.SECONDS)).isEqualTo("held again");
  }

  private static MockResponse held(String answer) {
    return json(completion(answer, 10, 2)).setHeadersDelay(400, TimeUnit.MILLISECONDS);
  }

  @Test
  void aCallThatCanNeverFitIsNotRetriedEvenWhenTheGatewayThrowsItsRefusal() throws Exception {
    // max_tokens 50 is above the limit's whole capacity of 40: no wait lets the call fit, though
    // the refusal declares a wait (the limit's 1 s period) within maxRetryWait
    AiGateway.Builder gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPer(40, Duration.ofSeconds(1)));

    for (Throwable error : refusals(gateway, "Say hello", "gpt-4o")) {
      assertRejection(error, NonRetriableException.class, 429, RejectionReason.TOKEN_RATE_LIMIT);
      assertThat(error).isInstanceOf(GatewayRejectionException.class);
    }
    AiGateway throwing = gateway.throwOnRejection(true).build();
    events.clear();
    catchThrowable(() -> chatModel(throwing, "gpt-4o", 2).chat("Say hello"));
    assertThat(events).hasSize(1); // refused once, not retried into the same refusal
  }

  @Test
  void aSpentQuotaIsANonRetriableGatewayRejection() throws Exception {
    AiGateway gateway =
        gateway()
            .tokenLimit(TokenLimit.perConsumer().quota(60, dev.aigateway.api.QuotaPeriod.MONTHLY))
            .build();

    for (Throwable error : quotaRefusals(gateway)) {
      assertRejection(error, NonRetriableException.class, 403, RejectionReason.TOKEN_QUOTA);
      assertThat(error).isInstanceOf(GatewayRejectionException.class);
    }
  }

  @Test
  void aSpentQuotaAnsweredAs429IsNonRetriableEvenWhenItsWindowEndsWithinMaxRetryWait()
      throws Exception {
    // half a second before the day's end: the quota's declared wait is within maxRetryWait (1 s)
    Clock beforeMidnight = Clock.fixed(Instant.parse("2026-03-09T23:59:59.500Z"), ZoneOffset.UTC);
    AiGateway gateway =
        gateway()
            .clock(beforeMidnight)
            .quotaRejectionStatus(429)
            .tokenLimit(TokenLimit.perConsumer().quota(60, dev.aigateway.api.QuotaPeriod.DAILY))
            .build();

    for (Throwable error : quotaRefusals(gateway)) {
      // the same kind as the quota's default 403: a spent quota is never LangChain4j-retried
      assertRejection(error, NonRetriableException.class, 429, RejectionReason.TOKEN_QUOTA);
      assertThat(error).isInstanceOf(GatewayRejectionException.class);
      assertThat(((GatewayRejection) error).retryAfter()).isEqualTo(Duration.ofMillis(500));
    }
  }

  /** One answered call that spends the gateway's 60-token quota, then a sync and a streamed one. */
  private List<Throwable> quotaRefusals(AiGateway gateway) throws Exception {
    backend.enqueue(json(completion("first", 40, 10)));
    chatModel(gateway, "gpt-4o", 0).chat("Say hello");
    Throwable sync = catchThrowable(() -> chatModel(gateway, "gpt-4o", 2).chat("Say hello"));
    Throwable streamed = streamError(streamingModel(gateway, "gpt-4o"), "Say hello");
    assertThat(backend.getRequestCount()).isEqualTo(1);
    return List.of(sync, streamed);
  }

  private static MockResponse json(String body) {
    return new MockResponse().setHeader("content-type", "application/json").setBody(body);
  }
}
