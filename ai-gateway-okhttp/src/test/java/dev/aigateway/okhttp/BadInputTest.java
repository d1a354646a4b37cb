package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static dev.aigateway.okhttp.Backend.sse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayRejectedException;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the gateway does with requests it cannot govern and with usage no counter can take: a local
 * 400 in OpenAI's shape for an output allowance above {@link Usage#MAX_TOKENS}; reported usage
 * above it capped, in the event and in the settlement alike.
 */
class BadInputTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Holds three calls at the bound, so none is rejected for want of tokens. */
  private static final TokenLimit WIDE =
      TokenLimit.global().quota(3 * Usage.MAX_TOKENS, QuotaPeriod.MONTHLY).build();

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();
  private final ManualClock clock = ManualClock.at("2026-06-15T12:00:00Z");
  private final InMemoryTokenLimitStore store =
      new InMemoryTokenLimitStore(clock, Duration.ofMinutes(1));

  @BeforeEach
  void setUp() throws Exception {
    server.start();
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  /** A gateway on the test's clock, store, wide limit and listener, to configure further. */
  private AiGateway.Builder gateway() {
    return AiGateway.builder()
        .clock(clock)
        .tokenLimitStore(store)
        .tokenLimit(WIDE)
        .listener(events);
  }

  private OkHttpClient client(boolean throwOnRejection) {
    return OkHttpAiGateway.wrap(
        new OkHttpClient(), gateway().throwOnRejection(throwOnRejection).build());
  }

  private Request chat(String extra) {
    return post(
        server.url("/v1/chat/completions").toString(), chatRequest("gpt-4o", "Hello there", extra));
  }

  private JsonNode error(Request request) throws Exception {
    try (Response response = client(false).newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(400);
      assertThat(response.header("x-ai-gateway-rejected")).isEqualTo("invalid-request");
      return MAPPER.readTree(response.body().string()).get("error");
    }
  }

  private long wideTokensLeft() {
    ReserveResult probe = store.reserve(List.of(new LimitCharge(WIDE.specs().get(0), "*", 0)));
    store.settle(probe.reservation(), new long[] {0});
    return probe.remaining().get(0);
  }

  @Test
  void aStageThatFailsReachesTheApplicationAsAnIOExceptionWithOneEventAndTheLimitRefunded()
      throws Exception {
    // An application's deny pattern that recurses on every repeated character overflows the stack
    // on a long prompt, inside the content safety stage.
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            gateway()
                .contentSafety(
                    dev.aigateway.core.safety.ContentSafety.builder()
                        .denyPattern(
                            "repeats",
                            java.util.regex.Pattern.compile("(a|b)*c"),
                            dev.aigateway.core.safety.SafetyAction.BLOCK))
                .build());
    long before = wideTokensLeft();
    Request request =
        post(
            server.url("/v1/chat/completions").toString(),
            chatRequest("gpt-4o", "a".repeat(200_000), "\"max_tokens\":10"));

    assertThatThrownBy(() -> client.newCall(request).execute())
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("could not be admitted");

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo(StackOverflowError.class.getName());
    assertThat(events.none()).isTrue();
    assertThat(server.getRequestCount()).isZero();
    assertThat(wideTokensLeft()).isEqualTo(before);
  }

  @Test
  void aKeyResolverThatThrowsAnErrorIsLoggedAndIgnoredLikeOneThatThrowsAnException()
      throws Exception {
    // README: "A listener or key resolver that throws is logged and ignored." An application's
    // resolver may throw an Error (an assert, a class that failed to load) as well as an exception;
    // the call goes on as the anonymous consumer, uncached by a vary-by that failed, as for an
    // exception, instead of the Error reaching the application with no event.
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            gateway()
                .consumerKey(
                    request -> {
                      throw new AssertionError("consumer header checked by an assert");
                    })
                .responseCache(
                    dev.aigateway.core.cache.ResponseCache.builder()
                        .varyBy(
                            request -> {
                              throw new NoClassDefFoundError("com/example/TenantDirectory");
                            }))
                .build());
    server.enqueue(json(Backend.chatCompletion("gpt-4o", 8, 2)));

    try (Response response = client.newCall(chat("")).execute()) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.consumer()).isEqualTo(AiGateway.ANONYMOUS);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aStageThatThrowsAnErrorEndsTheCallAsFailedWithAnIOExceptionAndOneEvent() throws Exception {
    // README: should any stage still fail while a call is admitted, the call ends FAILED with one
    // event and the application gets an IOException. A role resolver of the application's that
    // throws an AssertionError (not an exception) got the Error itself, and no event.
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            gateway()
                .roleResolver(
                    request -> {
                      throw new AssertionError("roles checked by an assert");
                    })
                .accessPolicy(dev.aigateway.core.access.AccessPolicy.allowByDefault())
                .build());
    long before = wideTokensLeft();

    assertThatThrownBy(() -> client.newCall(chat("")).execute())
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("could not be admitted")
        .hasCauseInstanceOf(AssertionError.class);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo(AssertionError.class.getName());
    assertThat(events.none()).isTrue();
    assertThat(server.getRequestCount()).isZero();
    assertThat(wideTokensLeft()).isEqualTo(before);
  }

  @Test
  void maxTokensAboveTheBoundIsAnswered400NamingTheFieldAndTheBound() throws Exception {
    JsonNode error = error(chat("\"max_tokens\":9223372036854775807"));

    assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.get("param").asText()).isEqualTo("max_tokens");
    assertThat(error.get("code").asText()).isEqualTo("integer_above_max_value");
    assertThat(error.get("message").asText())
        .contains("9223372036854775807")
        .contains(String.valueOf(Usage.MAX_TOKENS));
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void maxTokensBeyondALongIsAnswered400Too() throws Exception {
    JsonNode error = error(chat("\"max_completion_tokens\":99999999999999999999999"));

    assertThat(error.get("param").asText()).isEqualTo("max_completion_tokens");
  }

  @Test
  void choicesThatTakeTheDefaultAllowanceAboveTheBoundAreAnswered400NamingN() throws Exception {
    JsonNode error = error(chat("\"n\":2000000000"));

    assertThat(error.get("param").asText()).isEqualTo("n");
    assertThat(error.get("message").asText())
        .contains("2000000000 choices")
        .contains("default allowance");
  }

  @Test
  void choicesBeyondAnIntSaturateAndAreAnswered400NamingN() throws Exception {
    // Were n read as 1, the call would go to the backend with the default allowance.
    server.enqueue(json(completion("\"prompt_tokens\":8,\"completion_tokens\":2")));

    JsonNode error = error(chat("\"n\":3000000000"));

    assertThat(error.get("param").asText()).isEqualTo("n");
    assertThat(error.get("message").asText()).contains(Integer.MAX_VALUE + " or more choices");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void geminiCandidatesBeyondAnIntAreAnswered400NamingCandidateCount() throws Exception {
    server.enqueue(
        json(
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"},"
                + "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":3,"
                + "\"candidatesTokenCount\":1,\"totalTokenCount\":4}}"));
    String url = server.url("/v1beta/models/gemini-2.0-flash:generateContent").toString();

    try (Response response =
        client(false)
            .newCall(
                post(
                    url,
                    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]}],"
                        + "\"generationConfig\":{\"candidateCount\":1e10}}"))
            .execute()) {
      assertThat(response.code()).isEqualTo(400);
      assertThat(response.body().string()).contains("generationConfig.candidateCount");
    }
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void aBedrockMaxTokensBeyondALongIsAnswered400NotGivenTheDefaultAllowance() throws Exception {
    server.enqueue(
        json(
            "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Hi\"}]}},"
                + "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":3,\"outputTokens\":1,"
                + "\"totalTokens\":4}}"));

    try (Response response =
        client(false)
            .newCall(
                post(
                    server.url("/model/amazon.nova-lite-v1:0/converse").toString(),
                    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hi\"}]}],"
                        + "\"inferenceConfig\":{\"maxTokens\":99999999999999999999}}"))
            .execute()) {
      assertThat(response.code()).isEqualTo(400);
      assertThat(response.body().string()).contains("inferenceConfig.maxTokens");
    }
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void anUngovernableRequestEndsInOneRejectedEvent() throws Exception {
    error(chat("\"max_output_tokens\":1000000000001"));

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(event.rejection()).isEqualTo(RejectionReason.INVALID_REQUEST);
    assertThat(event.status()).isEqualTo(400);
    assertThat(event.limits().settledTokens()).isZero();
    assertThat(events.none()).isTrue();
  }

  @Test
  void anUngovernableRequestThrowsGatewayRejectedExceptionWhenConfiguredToThrow() {
    assertThatThrownBy(() -> client(true).newCall(chat("\"max_tokens\":1e19")).execute())
        .isInstanceOf(GatewayRejectedException.class)
        .hasMessageContaining("max_tokens")
        .satisfies(e -> assertThat(((GatewayRejectedException) e).status()).isEqualTo(400));
  }

  @Test
  void embeddingsIgnoreAnOutputAllowanceAboveTheBound() throws Exception {
    server.enqueue(
        json(
            "{\"data\":[],\"model\":\"text-embedding-3-small\","
                + "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}"));
    Request request =
        post(
            server.url("/v1/embeddings").toString(),
            "{\"model\":\"text-embedding-3-small\",\"input\":\"hi\","
                + "\"max_tokens\":9223372036854775807}");

    try (Response response = client(false).newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
  }

  @Test
  void aNegativeGeminiOutputAllowanceReadsAsAbsent() throws Exception {
    String answer =
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"},"
            + "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":3,"
            + "\"candidatesTokenCount\":1,\"totalTokenCount\":4}}";
    String url = server.url("/v1beta/models/gemini-2.0-flash:generateContent").toString();
    String contents = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hello there\"}]}]";
    server.enqueue(json(answer));
    server.enqueue(json(answer));

    read(post(url, contents + "}"));
    read(post(url, contents + ",\"generationConfig\":{\"maxOutputTokens\":-5}}"));

    assertThat(server.getRequestCount()).isEqualTo(2);
    long absent = events.next().limits().reservedTokens();
    assertThat(events.next().limits().reservedTokens()).isEqualTo(absent);
  }

  @Test
  void anOutputAllowanceAtTheBoundReservesTheBoundWithThePromptInside() throws Exception {
    server.enqueue(json(completion("\"prompt_tokens\":8,\"completion_tokens\":2")));

    try (Response response =
        client(false).newCall(chat("\"max_tokens\":" + Usage.MAX_TOKENS)).execute()) {
      response.body().string();
    }

    assertThat(events.next().limits().reservedTokens()).isEqualTo(Usage.MAX_TOKENS);
  }

  @Test
  void reportedUsageAboveTheBoundIsCappedInTheEventAndFlagged() throws Exception {
    server.enqueue(
        json(completion("\"prompt_tokens\":9223372036854775807,\"completion_tokens\":5")));

    read(chat(""));

    GatewayEvent event = events.next();
    assertThat(event.usage().tokens())
        .isEqualTo(new Usage(Usage.MAX_TOKENS, 5, Usage.MAX_TOKENS, 0, 0));
    assertThat(event.usage().capped()).isTrue();
    assertThat(event.limits().settledTokens()).isEqualTo(Usage.MAX_TOKENS);
  }

  @Test
  void reportedUsageAboveTheBoundSettlesTheCounterOnWhatTheEventSays() throws Exception {
    server.enqueue(
        json(
            completion(
                "\"prompt_tokens\":9223372036854775807,\"completion_tokens\":9223372036854775807")));

    read(chat(""));

    assertThat(wideTokensLeft())
        .isEqualTo(3 * Usage.MAX_TOKENS - events.next().limits().settledTokens());
  }

  @Test
  void streamedUsageAboveTheBoundIsCappedInTheEventAndTheSettlement() throws Exception {
    server.enqueue(
        sse(
            "data: {\"id\":\"c\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
                + "\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n"
                + "data: {\"id\":\"c\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":"
                + "{\"prompt_tokens\":4,\"completion_tokens\":9000000000000000000}}\n\n"
                + "data: [DONE]\n\n"));

    read(chat("\"stream\":true"));

    GatewayEvent event = events.next();
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(Usage.MAX_TOKENS);
    assertThat(event.usage().capped()).isTrue();
    assertThat(wideTokensLeft()).isEqualTo(3 * Usage.MAX_TOKENS - Usage.MAX_TOKENS);
  }

  /**
   * A reported count beyond a long (an integer JSON allows, which no Java number type the readers
   * use holds) is one above the bound: capped and flagged, in every format, never read as absent
   * (which charged the call on its estimate, unflagged).
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "OpenAI chat|/v1/chat/completions|{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"Hi\"}]}|{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":"
            + "\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
            + "\"Hi\"}}],\"usage\":{\"prompt_tokens\":99999999999999999999,\"completion_tokens\":1}}",
        "OpenAI Responses|/v1/responses|{\"model\":\"gpt-4o\",\"input\":\"Hi\"}|{\"id\":\"r1\","
            + "\"object\":\"response\",\"status\":\"completed\",\"model\":\"gpt-4o\",\"output\":[],"
            + "\"usage\":{\"input_tokens\":99999999999999999999,\"output_tokens\":1}}",
        "Anthropic|/v1/messages|{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":16,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}|{\"id\":\"m1\",\"type\":"
            + "\"message\",\"role\":\"assistant\",\"model\":\"claude-3-5-haiku-latest\",\"content\":"
            + "[{\"type\":\"text\",\"text\":\"Hi\"}],\"stop_reason\":\"end_turn\",\"usage\":"
            + "{\"input_tokens\":99999999999999999999,\"output_tokens\":1}}",
        "Gemini|/v1beta/models/gemini-2.0-flash:generateContent|{\"contents\":[{\"role\":\"user\","
            + "\"parts\":[{\"text\":\"Hi\"}]}]}|{\"candidates\":[{\"content\":{\"parts\":[{\"text\":"
            + "\"Hi\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":"
            + "{\"promptTokenCount\":99999999999999999999,\"candidatesTokenCount\":1}}",
        "Bedrock Converse|/model/amazon.nova-lite-v1:0/converse|{\"messages\":[{\"role\":\"user\","
            + "\"content\":[{\"text\":\"Hi\"}]}]}|{\"output\":{\"message\":{\"role\":\"assistant\","
            + "\"content\":[{\"text\":\"Hi\"}]}},\"stopReason\":\"end_turn\",\"usage\":"
            + "{\"inputTokens\":99999999999999999999,\"outputTokens\":1,\"totalTokens\":5}}"
      })
  void reportedUsageBeyondALongIsCappedAndFlaggedInEveryFormat(
      String format, String path, String request, String answer) throws Exception {
    server.enqueue(json(answer));

    read(post(server.url(path).toString(), request));

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens()).isNotNull();
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(Usage.MAX_TOKENS);
    assertThat(event.usage().capped()).isTrue();
    assertThat(event.limits().settledTokens()).isEqualTo(Usage.MAX_TOKENS);
  }

  @Test
  void streamedUsageBeyondALongIsCappedAndFlagged() throws Exception {
    server.enqueue(
        sse(
            "data: {\"id\":\"c\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
                + "\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n"
                + "data: {\"id\":\"c\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":"
                + "{\"prompt_tokens\":4,\"completion_tokens\":99999999999999999999}}\n\n"
                + "data: [DONE]\n\n"));

    read(chat("\"stream\":true"));

    GatewayEvent event = events.next();
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(Usage.MAX_TOKENS);
    assertThat(event.usage().capped()).isTrue();
  }

  @Test
  void plausibleReportedUsageIsNotFlagged() throws Exception {
    server.enqueue(json(completion("\"prompt_tokens\":8,\"completion_tokens\":2")));

    read(chat(""));

    GatewayEvent event = events.next();
    assertThat(event.usage().capped()).isFalse();
    assertThat(event.limits().settledTokens()).isEqualTo(10);
  }

  @Test
  void aJsonAnswerCutShortByAContentLengthThatLiesEndsTruncated() throws Exception {
    // The backend's Content-Length counts fewer bytes than its document: the client reads that
    // many, a clean end, and the application gets half a document.
    String answer = completion("\"prompt_tokens\":8,\"completion_tokens\":2");
    server.enqueue(
        new mockwebserver3.MockResponse.Builder()
            .code(200)
            .setHeader("Content-Type", "application/json")
            .body(answer)
            .setHeader("Content-Length", "40")
            .build());

    String appSaw;
    try (Response response = client(false).newCall(chat("\"max_tokens\":50")).execute()) {
      appSaw = response.body().string();
    }

    assertThat(appSaw).isEqualTo(answer.substring(0, 40));
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.usage().estimated()).isTrue();
  }

  @Test
  void aWholeAnswerThatIsNotJsonStillEndsAsASuccess() throws Exception {
    server.enqueue(
        new mockwebserver3.MockResponse.Builder()
            .code(200)
            .setHeader("Content-Type", "text/plain")
            .body("OK")
            .build());

    read(chat(""));

    assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  private void read(Request request) throws Exception {
    try (Response response = client(false).newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }
  }

  /** A chat completion whose usage object holds {@code counts}. */
  private static String completion(String counts) {
    return "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\",\"choices\":"
        + "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"}}],"
        + "\"usage\":{"
        + counts
        + "}}";
  }
}
