package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Credentials;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.testing.GeminiBodies;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Google Gemini (Gemini API and Vertex AI) and Azure AI Foundry calls through a real OkHttp client
 * and MockWebServer: recognised, limited and charged exactly the usage the answer reports, refused
 * in the provider's error shape, routed with failover, answered from the cache, streams passed on
 * byte for byte.
 */
class GeminiAndFoundryTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String JSON_TYPE = "application/json; charset=UTF-8";
  private static final Usage ANSWER_USAGE = new Usage(15, 52, 67, 5, 12);
  private static final Usage STREAM_USAGE = new Usage(15, 41, 56, 0, 0);

  private final MockWebServer app = new MockWebServer();
  private final MockWebServer second = new MockWebServer();
  private final RecordingListener events = new RecordingListener();

  @BeforeEach
  void setUp() throws Exception {
    app.start();
    second.start();
  }

  @AfterEach
  void tearDown() {
    app.close();
    second.close();
  }

  private OkHttpClient client(AiGateway.Builder gateway) {
    return OkHttpAiGateway.wrap(new OkHttpClient(), gateway.listener(events).build());
  }

  private Request gemini(String pathAndQuery, String... headers) {
    return post(app.url("/").toString() + pathAndQuery.substring(1), GeminiBodies.REQUEST, headers);
  }

  private static MockResponse answer(String contentType, String body) {
    return new MockResponse.Builder()
        .code(200)
        .addHeader("Content-Type", contentType)
        .body(body)
        .build();
  }

  private static String call(OkHttpClient client, Request request) throws Exception {
    try (Response response = client.newCall(request).execute()) {
      return response.body().string();
    }
  }

  @Test
  void aGenerateContentCallIsChargedExactlyItsReportedUsage() throws Exception {
    app.enqueue(answer(JSON_TYPE, GeminiBodies.ANSWER));
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    String body = call(client, gemini(GeminiBodies.GENERATE_PATH, "x-goog-api-key", "app-key"));

    assertThat(body).isEqualTo(GeminiBodies.ANSWER);
    GatewayEvent event = events.next();
    assertThat(event.requestedModel()).isEqualTo(GeminiBodies.MODEL);
    assertThat(event.responseModel()).isEqualTo("gemini-2.0-flash-001");
    assertThat(event.usage().tokens()).isEqualTo(ANSWER_USAGE);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.limits().settledTokens()).isEqualTo(67);
    assertThat(event.limits().reservedTokens()).isGreaterThan(200); // prompt estimate + allowance
    assertThat(event.routing().provider()).isEqualTo("gcp.gemini");
    RecordedRequest sent = app.takeRequest(5, TimeUnit.SECONDS);
    assertThat(sent.getHeaders().get("x-goog-api-key")).isEqualTo("app-key");
    assertThat(sent.getBody().utf8()).isEqualTo(GeminiBodies.REQUEST);
  }

  @Test
  void aCallWhoseMethodColonIsPercentEncodedIsGovernedAsTheSameCall() throws Exception {
    app.enqueue(answer(JSON_TYPE, GeminiBodies.ANSWER));
    app.enqueue(answer("text/event-stream", GeminiBodies.EVENTS));
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    String encoded = GeminiBodies.GENERATE_PATH.replace(":", "%3A");
    assertThat(call(client, gemini(encoded))).isEqualTo(GeminiBodies.ANSWER);
    assertThat(events.all)
        .as("a POST to models/gemini-2.0-flash%%3AgenerateContent is Gemini's generateContent")
        .hasSize(1);
    GatewayEvent event = events.next();
    assertThat(event.requestedModel()).isEqualTo(GeminiBodies.MODEL);
    assertThat(event.usage().tokens()).isEqualTo(ANSWER_USAGE);
    String stream = GeminiBodies.STREAM_PATH.replace(":", "%3a") + "?alt=sse";
    assertThat(call(client, gemini(stream))).isEqualTo(GeminiBodies.EVENTS);
    assertThat(events.all).hasSize(2);
    assertThat(events.next().usage().tokens()).isEqualTo(STREAM_USAGE);
    assertThat(app.takeRequest(5, TimeUnit.SECONDS).getTarget()).isEqualTo(encoded);
  }

  @Test
  void anEventStreamPassesByteForByteAndIsChargedItsLastChunksUsage() throws Exception {
    app.enqueue(answer("text/event-stream", GeminiBodies.EVENTS));
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    String body = call(client, gemini(GeminiBodies.STREAM_PATH + "?alt=sse"));

    assertThat(body).isEqualTo(GeminiBodies.EVENTS);
    GatewayEvent event = events.next();
    assertThat(event.stream()).isTrue();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens()).isEqualTo(STREAM_USAGE);
    assertThat(event.limits().settledTokens()).isEqualTo(56);
    assertThat(app.takeRequest(5, TimeUnit.SECONDS).getTarget())
        .isEqualTo(GeminiBodies.STREAM_PATH + "?alt=sse");
  }

  @Test
  void anArrayStreamPassesByteForByteAndIsChargedItsLastChunksUsage() throws Exception {
    app.enqueue(answer(JSON_TYPE, GeminiBodies.ARRAY));
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    String body = call(client, gemini(GeminiBodies.STREAM_PATH));

    assertThat(body).isEqualTo(GeminiBodies.ARRAY);
    GatewayEvent event = events.next();
    assertThat(event.stream()).isTrue();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens()).isEqualTo(STREAM_USAGE);
    assertThat(event.limits().settledTokens()).isEqualTo(56);
  }

  @Test
  void aCallOverItsLimitIsRefusedInGooglesErrorShapeWithoutReachingGoogle() throws Exception {
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(50)));

    try (Response response = client.newCall(gemini(GeminiBodies.GENERATE_PATH)).execute()) {
      JsonNode error = MAPPER.readTree(response.body().string()).get("error");

      assertThat(response.code()).isEqualTo(429);
      assertThat(response.header("Content-Type")).startsWith("application/json");
      assertThat(error.get("code").asInt()).isEqualTo(429);
      assertThat(error.get("status").asText()).isEqualTo("RESOURCE_EXHAUSTED");
      assertThat(error.get("message").asText()).isNotBlank();
    }
    assertThat(events.next().rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
    assertThat(app.getRequestCount()).isZero();
  }

  @Test
  void aGeminiKeyInTheQueryIsTheCallersKeyForApiKeyLimitsAndIsNeverReported() throws Exception {
    for (int i = 0; i < 3; i++) {
      app.enqueue(answer(JSON_TYPE, GeminiBodies.ANSWER));
    }
    String alice = "AIzaSyAlice-query-key-SECRET";
    String bob = "AIzaSyBob-query-key-SECRET";
    OkHttpClient client =
        client(
            AiGateway.builder()
                .consumerKey(dev.aigateway.api.KeyResolvers.apiKey())
                .tokenLimit(TokenLimit.perConsumer().requestsPerMinute(1)));

    assertThat(call(client, gemini(GeminiBodies.GENERATE_PATH + "?key=" + alice)))
        .isEqualTo(GeminiBodies.ANSWER);
    GatewayEvent first = events.next();
    assertThat(first.consumer())
        .as("keyed by the fingerprint of the key in ?key=, as of one in x-goog-api-key")
        .startsWith("key-")
        .doesNotContain("SECRET");
    // the same key in the header is the same caller
    try (Response response =
        client.newCall(gemini(GeminiBodies.GENERATE_PATH, "x-goog-api-key", alice)).execute()) {
      assertThat(response.code()).as("alice's one request a minute is spent").isEqualTo(429);
    }
    assertThat(events.next().consumer()).isEqualTo(first.consumer());
    assertThat(call(client, gemini(GeminiBodies.GENERATE_PATH + "?alt=json&key=" + bob)))
        .as("bob, another key, has his own allowance")
        .isEqualTo(GeminiBodies.ANSWER);
    assertThat(events.next().consumer()).isNotEqualTo(first.consumer()).doesNotContain("SECRET");
  }

  @Test
  void anAllowanceAboveTheBoundIsRefusedNamingGeminisField() throws Exception {
    OkHttpClient client = client(AiGateway.builder());
    Request huge =
        post(
            app.url(GeminiBodies.GENERATE_PATH.substring(1)).toString(),
            GeminiBodies.REQUEST.replace("200", "10000000000000"));

    try (Response response = client.newCall(huge).execute()) {
      JsonNode error = MAPPER.readTree(response.body().string()).get("error");

      assertThat(response.code()).isEqualTo(400);
      assertThat(error.get("status").asText()).isEqualTo("INVALID_ARGUMENT");
      assertThat(error.get("message").asText()).contains("generationConfig.maxOutputTokens");
    }
  }

  @Test
  void aStreamFailsOverBetweenTwoGeminiBackendsWithEachOnesKeyAndModel() throws Exception {
    app.enqueue(new MockResponse.Builder().code(503).body("{}").build());
    second.enqueue(answer("text/event-stream", GeminiBodies.EVENTS));
    OkHttpClient client =
        client(
            AiGateway.builder()
                .backendPool(
                    BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.gemini(
                                    "east", app.url("/").toString())
                                .model(GeminiBodies.MODEL, "gemini-2.0-flash-001")
                                .credential(Credentials.apiKey("key-east"))
                                .priority(1))
                        .backend(
                            dev.aigateway.core.routing.Backend.gemini(
                                    "west", second.url("/").toString())
                                .model(GeminiBodies.MODEL, "gemini-2.5-flash")
                                .credential(Credentials.apiKey("key-west"))
                                .priority(2))));

    String body =
        call(
            client,
            post(
                "https://generativelanguage.googleapis.com"
                    + GeminiBodies.STREAM_PATH
                    + "?alt=sse&key=app-key",
                GeminiBodies.REQUEST,
                "x-goog-api-key",
                "app-key"));

    assertThat(body).isEqualTo(GeminiBodies.EVENTS);
    RecordedRequest east = app.takeRequest(5, TimeUnit.SECONDS);
    RecordedRequest west = second.takeRequest(5, TimeUnit.SECONDS);
    assertThat(east.getTarget())
        .isEqualTo("/v1beta/models/gemini-2.0-flash-001:streamGenerateContent?alt=sse");
    assertThat(east.getHeaders().get("x-goog-api-key")).isEqualTo("key-east");
    assertThat(west.getTarget())
        .isEqualTo("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    assertThat(west.getHeaders().values("x-goog-api-key")).containsExactly("key-west");
    assertThat(west.getBody().utf8()).isEqualTo(GeminiBodies.REQUEST);
    GatewayEvent event = events.next();
    assertThat(event.routing().backendId()).isEqualTo("west");
    assertThat(event.routing().attempts()).hasSize(2);
    assertThat(event.routing().provider()).isEqualTo("gcp.gemini");
    assertThat(event.usage().tokens()).isEqualTo(STREAM_USAGE);
  }

  @Test
  void aModelWhosePathSegmentHidesDotSegmentsStaysUnderTheModelsCollection() throws Exception {
    // The model segment, percent-decoded, is "gemini-2.0-flash/../../tunedModels/secret": the call
    // must reach the backend as that (unknown) model, not as the tuned model the dots lead to.
    app.enqueue(answer(JSON_TYPE, GeminiBodies.ANSWER));
    OkHttpClient client =
        client(
            AiGateway.builder()
                .backendPool(
                    BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.gemini(
                                    "east", app.url("/").toString())
                                .credential(Credentials.apiKey("key-east")))));

    call(
        client,
        gemini("/v1beta/models/gemini-2.0-flash%2F..%2F..%2FtunedModels%2Fsecret:generateContent"));

    RecordedRequest sent = app.takeRequest(5, TimeUnit.SECONDS);
    assertThat(sent.getTarget())
        .isEqualTo(
            "/v1beta/models/gemini-2.0-flash%2F..%2F..%2FtunedModels%2Fsecret:generateContent");
  }

  @Test
  void aVertexBackendGetsItsProjectPathAndABearerToken() throws Exception {
    app.enqueue(answer(JSON_TYPE, GeminiBodies.ANSWER));
    String base = app.url("/v1/projects/my-project/locations/us-central1").toString();
    OkHttpClient client =
        client(
            AiGateway.builder()
                .backendPool(
                    BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.vertexAi("vertex", base)
                                .credential(Credentials.bearerToken("ya29.token")))));

    call(client, gemini(GeminiBodies.GENERATE_PATH, "x-goog-api-key", "app-key"));

    RecordedRequest sent = app.takeRequest(5, TimeUnit.SECONDS);
    assertThat(sent.getTarget())
        .isEqualTo(
            "/v1/projects/my-project/locations/us-central1/publishers/google/models/"
                + GeminiBodies.MODEL
                + ":generateContent");
    assertThat(sent.getHeaders().get("Authorization")).isEqualTo("Bearer ya29.token");
    assertThat(sent.getHeaders().get("x-goog-api-key")).as("the app's key is not sent").isNull();
    GatewayEvent event = events.next();
    assertThat(event.routing().provider()).isEqualTo("gcp.vertex_ai");
    assertThat(event.usage().tokens()).isEqualTo(ANSWER_USAGE);
  }

  /**
   * A Gemini 429 as Google sends it: no {@code Retry-After} header, the wait in the body's {@code
   * google.rpc.RetryInfo} detail.
   */
  private static MockResponse quotaExhausted(String retryDelay) {
    return new MockResponse.Builder()
        .code(429)
        .addHeader("Content-Type", JSON_TYPE)
        .body(quotaBody(retryDelay))
        .build();
  }

  private static String quotaBody(String retryDelay) {
    return "{\n  \"error\": {\n    \"code\": 429,\n    \"message\": \"You exceeded your current"
        + " quota, please check your plan and billing details.\",\n    \"status\":"
        + " \"RESOURCE_EXHAUSTED\",\n    \"details\": [\n      {\"@type\":"
        + " \"type.googleapis.com/google.rpc.QuotaFailure\", \"violations\":"
        + " [{\"quotaMetric\":"
        + " \"generativelanguage.googleapis.com/generate_content_free_tier_requests\","
        + " \"quotaId\": \"GenerateRequestsPerMinutePerProjectPerModel-FreeTier\","
        + " \"quotaValue\": \"15\"}]},\n      {\"@type\":"
        + " \"type.googleapis.com/google.rpc.Help\", \"links\": [{\"description\":"
        + " \"Learn more about Gemini API quotas\", \"url\":"
        + " \"https://ai.google.dev/gemini-api/docs/rate-limits\"}]},\n      {\"@type\":"
        + " \"type.googleapis.com/google.rpc.RetryInfo\", \"retryDelay\": \""
        + retryDelay
        + "\"}\n    ]\n  }\n}\n";
  }

  private static void answerAlways(MockWebServer server, MockResponse response) {
    server.setDispatcher(
        new mockwebserver3.Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return response;
          }
        });
  }

  /**
   * A client whose gateway's pool holds two Gemini backends, east ({@code app}) first and west
   * ({@code second}) after it, each with its own key, on {@code clock}.
   */
  private OkHttpClient eastThenWest(ManualClock clock) {
    return client(AiGateway.builder().clock(clock).backendPool(eastThenWestPool()));
  }

  /**
   * A client whose gateway's pool holds two Gemini backends, east ({@code app}) first and west
   * ({@code second}) after it, each with its own key, failing over as {@code failover} says.
   */
  private OkHttpClient eastThenWest(Failover failover) {
    return client(AiGateway.builder().backendPool(eastThenWestPool().failover(failover)));
  }

  /** A pool of two Gemini backends, east ({@code app}) first and west ({@code second}) after it. */
  private BackendPool.Builder eastThenWestPool() {
    return BackendPool.builder()
        .backend(
            dev.aigateway.core.routing.Backend.gemini("east", app.url("/").toString())
                .credential(Credentials.apiKey("key-east"))
                .priority(1))
        .backend(
            dev.aigateway.core.routing.Backend.gemini("west", second.url("/").toString())
                .credential(Credentials.apiKey("key-west"))
                .priority(2));
  }

  @Test
  void anArrayStreamThatBreaksBeforeItsFirstElementFailsOver() throws Exception {
    // Without alt=sse the stream is one JSON array: held until its first element is whole, as an
    // event stream is held until its first event, so a stream that breaks before it fails over.
    // The socket closes halfway through the body: within the first (and only) element.
    String first = GeminiBodies.chunks()[0];
    answerAlways(
        app,
        new MockResponse.Builder(answer(JSON_TYPE, "[" + first + "\n]"))
            .onResponseBody(new SocketEffect.CloseSocket())
            .build());
    answerAlways(second, answer(JSON_TYPE, GeminiBodies.ARRAY));
    OkHttpClient client = eastThenWest(Failover.builder().build());

    assertThat(call(client, gemini(GeminiBodies.STREAM_PATH))).isEqualTo(GeminiBodies.ARRAY);
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.routing().attempts())
        .extracting(a -> a.backendId())
        .containsExactly("east", "west");
    assertThat(event.usage().tokens()).isEqualTo(STREAM_USAGE);
  }

  @Test
  void anArrayStreamWhoseFirstElementIsAnErrorFailsOver() throws Exception {
    // Google's error as the array's first element, after a 200: no answer began, so the call
    // moves on as it does for an event stream whose first event is the error.
    String overloaded =
        "[{\n  \"error\": {\n    \"code\": 503,\n    \"message\": \"The model is overloaded."
            + " Please try again later.\",\n    \"status\": \"UNAVAILABLE\"\n  }\n}\n]";
    answerAlways(app, answer(JSON_TYPE, overloaded));
    answerAlways(second, answer(JSON_TYPE, GeminiBodies.ARRAY));
    OkHttpClient client = eastThenWest(Failover.builder().build());

    assertThat(call(client, gemini(GeminiBodies.STREAM_PATH))).isEqualTo(GeminiBodies.ARRAY);
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.routing().failoverReason()).isEqualTo("error event from east");
    assertThat(event.routing().attempts())
        .extracting(a -> a.backendId())
        .containsExactly("east", "west");
  }

  @Test
  void anArrayStreamSilentPastTheFirstEventTimeoutFailsOver() throws Exception {
    answerAlways(
        app,
        new MockResponse.Builder(answer(JSON_TYPE, GeminiBodies.ARRAY))
            .bodyDelay(5, TimeUnit.SECONDS)
            .build());
    answerAlways(second, answer(JSON_TYPE, GeminiBodies.ARRAY));
    OkHttpClient client =
        eastThenWest(Failover.builder().firstEventTimeout(Duration.ofSeconds(1)).build());

    assertThat(call(client, gemini(GeminiBodies.STREAM_PATH))).isEqualTo(GeminiBodies.ARRAY);
    assertThat(events.next().routing().failoverReason())
        .isEqualTo("SocketTimeoutException from east");
  }

  @Test
  void aHeldArrayStreamReachesTheAppAfterItsFirstElementNotWhole() throws Exception {
    // Only the first element is held: the application reads it while the backend still holds the
    // rest back.
    assumeTrue(okhttp3.OkHttp.VERSION.startsWith("5."), "needs OkHttp 5's MockResponseBody");
    String firstElement = "[" + GeminiBodies.chunks()[0];
    String rest = GeminiBodies.ARRAY.substring(firstElement.length());
    CountDownLatch firstRead = new CountDownLatch(1);
    answerAlways(
        app,
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", JSON_TYPE)
            .body(
                new mockwebserver3.MockResponseBody() {
                  @Override
                  public long getContentLength() {
                    return GeminiBodies.ARRAY.getBytes(StandardCharsets.UTF_8).length;
                  }

                  @Override
                  public void writeTo(okio.BufferedSink sink) throws IOException {
                    sink.writeUtf8(firstElement).flush();
                    try {
                      // the rest only once the app has read the first element (or after 30 s)
                      firstRead.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                    sink.writeUtf8(rest).flush();
                  }
                })
            .build());
    OkHttpClient client = eastThenWest(Failover.builder().build());

    long began = System.nanoTime();
    try (Response response = client.newCall(gemini(GeminiBodies.STREAM_PATH)).execute()) {
      InputStream body = response.body().byteStream();
      byte[] head = new byte[firstElement.length()];
      for (int read = 0; read < head.length; ) {
        int n = body.read(head, read, head.length - read);
        assertThat(n).isPositive();
        read += n;
      }
      long waitedMillis = (System.nanoTime() - began) / 1_000_000;
      firstRead.countDown();
      assertThat(new String(head, StandardCharsets.UTF_8)).isEqualTo(firstElement);
      // a stream held past its first element would have come only after the backend's 30 s
      assertThat(waitedMillis).isLessThan(20_000);
      assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(rest);
    }
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens()).isEqualTo(STREAM_USAGE);
    assertThat(second.getRequestCount()).isZero();
  }

  @Test
  void aGemini429sRetryDelayInItsBodyCoolsItsBackendDownForThatLong() throws Exception {
    ManualClock clock = new ManualClock(Instant.parse("2026-06-01T10:00:00Z"));
    answerAlways(app, quotaExhausted("12s"));
    answerAlways(second, answer(JSON_TYPE, GeminiBodies.ANSWER));
    OkHttpClient client = eastThenWest(clock);

    assertThat(call(client, gemini(GeminiBodies.GENERATE_PATH))).isEqualTo(GeminiBodies.ANSWER);
    assertThat(events.next().routing().failoverReason()).isEqualTo("429 from east");
    assertThat(call(client, gemini(GeminiBodies.GENERATE_PATH))).isEqualTo(GeminiBodies.ANSWER);
    assertThat(app.getRequestCount())
        .as("east asked for 12 s of quiet in its RetryInfo: the next call goes straight to west")
        .isEqualTo(1);
    assertThat(events.next().routing().attempts()).hasSize(1);

    clock.advance(Duration.ofSeconds(13));
    call(client, gemini(GeminiBodies.GENERATE_PATH));
    assertThat(app.getRequestCount()).as("east has cooled down").isEqualTo(2);
  }

  @Test
  void aStreamsFirstEventErrorWithRetryInfoCoolsItsBackendDownForThatLong() throws Exception {
    // A stream that Google fails after its 200 but before any chunk: Google's 429 error, RetryInfo
    // and all, as the stream's first event.
    ManualClock clock = new ManualClock(Instant.parse("2026-06-01T10:00:00Z"));
    String quota = quotaBody("12s").replace("\n", "");
    answerAlways(app, answer("text/event-stream", "data: " + quota + "\r\n\r\n"));
    answerAlways(second, answer("text/event-stream", GeminiBodies.EVENTS));
    OkHttpClient client = eastThenWest(clock);
    Request stream = gemini(GeminiBodies.STREAM_PATH + "?alt=sse");

    assertThat(call(client, stream)).isEqualTo(GeminiBodies.EVENTS);
    assertThat(events.next().routing().failoverReason()).isEqualTo("error event from east");
    assertThat(call(client, stream)).isEqualTo(GeminiBodies.EVENTS);
    assertThat(app.getRequestCount())
        .as(
            "east asked for 12 s of quiet in its error event's RetryInfo: the next call goes to west")
        .isEqualTo(1);
    assertThat(events.next().routing().attempts()).hasSize(1);

    clock.advance(Duration.ofSeconds(13));
    call(client, stream);
    assertThat(app.getRequestCount()).as("east has cooled down").isEqualTo(2);
  }

  @Test
  void aGemini429IsHandedOnWholeAndItsFractionalRetryDelayIsTheGatewaysNextAnswer()
      throws Exception {
    ManualClock clock = new ManualClock(Instant.parse("2026-06-01T10:00:00Z"));
    answerAlways(app, quotaExhausted("1.5s"));
    OkHttpClient client =
        client(
            AiGateway.builder()
                .clock(clock)
                .backendPool(
                    BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.gemini(
                                    "only", app.url("/").toString())
                                .credential(Credentials.apiKey("key-only")))));

    try (Response response = client.newCall(gemini(GeminiBodies.GENERATE_PATH)).execute()) {
      assertThat(response.code()).isEqualTo(429);
      assertThat(response.body().string())
          .as("the application reads Google's own error, RetryInfo and all")
          .isEqualTo(quotaBody("1.5s"));
    }
    try (Response response = client.newCall(gemini(GeminiBodies.GENERATE_PATH)).execute()) {
      assertThat(response.code()).isEqualTo(503);
      assertThat(response.header("Retry-After")).isEqualTo("2");
      JsonNode error = MAPPER.readTree(response.body().string()).get("error");
      assertThat(error.get("status").asText()).isEqualTo("UNAVAILABLE");
    }
    assertThat(app.getRequestCount()).isEqualTo(1);
    clock.advance(Duration.ofMillis(1600));
    try (Response response = client.newCall(gemini(GeminiBodies.GENERATE_PATH)).execute()) {
      assertThat(response.code()).isEqualTo(429);
    }
    assertThat(app.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aCachedDocumentIsReplayedAsJsonAndAsEitherStreamFraming() throws Exception {
    app.enqueue(answer(JSON_TYPE, GeminiBodies.ANSWER));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));

    call(client, gemini(GeminiBodies.GENERATE_PATH));
    String fromCache = call(client, gemini(GeminiBodies.GENERATE_PATH));
    String asEvents = call(client, gemini(GeminiBodies.STREAM_PATH + "?alt=sse"));
    String asArray = call(client, gemini(GeminiBodies.STREAM_PATH));

    assertThat(app.getRequestCount()).isEqualTo(1);
    assertThat(fromCache).isEqualTo(GeminiBodies.ANSWER);
    assertThat(asEvents)
        .as("Google's pretty-printed document, one event on one data line, as Google streams it")
        .isEqualTo("data: " + GeminiBodies.ANSWER.replace("\n", "") + "\r\n\r\n");
    assertThat(MAPPER.readTree(asEvents.substring(6)))
        .isEqualTo(MAPPER.readTree(GeminiBodies.ANSWER));
    assertThat(asArray).isEqualTo("[" + GeminiBodies.ANSWER + "]");
    events.next();
    GatewayEvent hit = events.next();
    assertThat(hit.cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(hit.cache().tokensSaved()).isEqualTo(67);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
  }

  @Test
  void anAnswerGeminisSafetyFilterCutIsNeverStored() throws Exception {
    // Gemini stops a candidate its safety filter (or recitation check) flags under the 200 it
    // began with: finishReason SAFETY, the text partial or none.
    String cut =
        "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Elara found\"}],"
            + "\"role\": \"model\"},\"finishReason\": \"SAFETY\",\"safetyRatings\": [{\"category\":"
            + " \"HARM_CATEGORY_DANGEROUS_CONTENT\",\"probability\": \"HIGH\",\"blocked\": true}]}],"
            + "\"usageMetadata\": {\"promptTokenCount\": 15,\"candidatesTokenCount\": 2,"
            + "\"totalTokenCount\": 17},\"modelVersion\": \"gemini-2.0-flash-001\"}";
    app.enqueue(answer(JSON_TYPE, cut));
    app.enqueue(answer(JSON_TYPE, GeminiBodies.ANSWER));
    app.enqueue(answer("text/event-stream", "data: " + cut + "\r\n\r\n"));
    app.enqueue(answer("text/event-stream", GeminiBodies.EVENTS));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    Request events = gemini(GeminiBodies.STREAM_PATH + "?alt=sse");

    assertThat(call(client, gemini(GeminiBodies.GENERATE_PATH))).isEqualTo(cut);
    assertThat(call(client, gemini(GeminiBodies.GENERATE_PATH))).isEqualTo(GeminiBodies.ANSWER);
    // the whole answer was stored: the streaming call is answered from it, so forget it first
    client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    assertThat(call(client, events)).isEqualTo("data: " + cut + "\r\n\r\n");
    assertThat(call(client, events)).isEqualTo(GeminiBodies.EVENTS);

    assertThat(app.getRequestCount()).isEqualTo(4);
  }

  @ParameterizedTest
  @ValueSource(strings = {"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"})
  void anImageAnswerGeminisFiltersStoppedIsNeverStored(String reason) throws Exception {
    // An image model (gemini-2.5-flash-image) stops a candidate whose generated image its filters
    // flag under the 200 it began with: no image, the same call asked again may well get one.
    String stopped =
        "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Here is the cat\"}],"
            + "\"role\": \"model\"},\"finishReason\": \""
            + reason
            + "\",\"index\": 0}],"
            + "\"usageMetadata\": {\"promptTokenCount\": 9,\"candidatesTokenCount\": 4,"
            + "\"totalTokenCount\": 13},\"modelVersion\": \"gemini-2.5-flash-image\"}";
    app.enqueue(answer(JSON_TYPE, stopped));
    app.enqueue(answer(JSON_TYPE, GeminiBodies.ANSWER));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));

    assertThat(call(client, gemini(GeminiBodies.GENERATE_PATH))).isEqualTo(stopped);
    assertThat(call(client, gemini(GeminiBodies.GENERATE_PATH)))
        .as("the answer stopped by " + reason + " was not stored")
        .isEqualTo(GeminiBodies.ANSWER);
    assertThat(app.getRequestCount()).isEqualTo(2);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "MALFORMED_FUNCTION_CALL",
        "UNEXPECTED_TOOL_CALL",
        "TOO_MANY_TOOL_CALLS",
        "MALFORMED_RESPONSE",
        "MISSING_THOUGHT_SIGNATURE",
        "OTHER",
        "LANGUAGE",
        "NO_IMAGE",
        "IMAGE_OTHER",
        "MODEL_ARMOR",
        "FINISH_REASON_UNSPECIFIED"
      })
  void anAnswerThatFailedToFinishIsChargedOnceAndNeverStored(String reason) throws Exception {
    // Gemini ends a candidate it could not complete under the 200 it began with: a function call
    // it wrote wrong (MALFORMED_FUNCTION_CALL, no part at all), a tool it may not call, ... The
    // same call asked again may well be answered.
    String failed =
        "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Let me look\"}],"
            + "\"role\": \"model\"},\"finishReason\": \""
            + reason
            + "\",\"index\": 0}],"
            + "\"usageMetadata\": {\"promptTokenCount\": 15,\"candidatesTokenCount\": 3,"
            + "\"totalTokenCount\": 18},\"modelVersion\": \"gemini-2.5-flash\"}";
    app.enqueue(answer(JSON_TYPE, failed));
    app.enqueue(answer(JSON_TYPE, GeminiBodies.ANSWER));
    app.enqueue(answer("text/event-stream", "data: " + failed + "\r\n\r\n"));
    app.enqueue(answer("text/event-stream", GeminiBodies.EVENTS));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));

    assertThat(call(client, gemini(GeminiBodies.GENERATE_PATH))).isEqualTo(failed);
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(15, 3));
    assertThat(event.cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(call(client, gemini(GeminiBodies.GENERATE_PATH)))
        .as("the answer that ended " + reason + " was not stored")
        .isEqualTo(GeminiBodies.ANSWER);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    Request stream = gemini(GeminiBodies.STREAM_PATH + "?alt=sse");
    assertThat(call(client, stream)).isEqualTo("data: " + failed + "\r\n\r\n");
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(call(client, stream))
        .as("the stream that ended " + reason + " was not stored")
        .isEqualTo(GeminiBodies.EVENTS);
    events.next();
    assertThat(app.getRequestCount()).isEqualTo(4);
    assertThat(events.all).as("one event per call").hasSize(4);
  }

  @Test
  void anArrayStreamThatEndsInAnErrorElementIsNeverStored() throws Exception {
    // Without alt=sse, Google ends a stream that failed after its 200 with the error as the
    // array's last element, then closes the array.
    String failed =
        "[{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Elara found\"}],"
            + "\"role\": \"model\"}}],\"usageMetadata\": {\"promptTokenCount\": 15,"
            + "\"totalTokenCount\": 15},\"modelVersion\": \"gemini-2.0-flash-001\"}\n"
            + ",\r\n{\n  \"error\": {\n    \"code\": 500,\n    \"message\": \"An internal error"
            + " has occurred. Please retry or report in"
            + " https://developers.generativeai.google/guide/troubleshooting\",\n    \"status\":"
            + " \"INTERNAL\"\n  }\n}\n]";
    app.enqueue(answer(JSON_TYPE, failed));
    app.enqueue(answer(JSON_TYPE, GeminiBodies.ARRAY));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    Request array = gemini(GeminiBodies.STREAM_PATH);

    assertThat(call(client, array)).isEqualTo(failed);
    assertThat(call(client, array))
        .as("the stream that failed was not stored")
        .isEqualTo(GeminiBodies.ARRAY);
    assertThat(app.getRequestCount()).isEqualTo(2);
  }

  @Test
  void anEventStreamWithAnErrorEventAfterItsFirstIsAnErrorAnswerNeverStored() throws Exception {
    // With alt=sse, a stream that failed after its 200 ends with Google's error as an event.
    String failed =
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Elara found\"}],"
            + "\"role\": \"model\"}}],\"usageMetadata\": {\"promptTokenCount\": 15,"
            + "\"totalTokenCount\": 15},\"modelVersion\": \"gemini-2.0-flash-001\"}\r\n\r\n"
            + "data: {\"error\": {\"code\": 503, \"message\": \"The model is overloaded.\","
            + " \"status\": \"UNAVAILABLE\"}}\r\n\r\n";
    app.enqueue(answer("text/event-stream", failed));
    app.enqueue(answer("text/event-stream", GeminiBodies.EVENTS));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    Request events = gemini(GeminiBodies.STREAM_PATH + "?alt=sse");

    assertThat(call(client, events)).isEqualTo(failed);
    GatewayEvent first = this.events.next();
    assertThat(first.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(first.errorType()).isEqualTo("error-answer");
    assertThat(call(client, events))
        .as("the stream that failed was not stored")
        .isEqualTo(GeminiBodies.EVENTS);
    assertThat(app.getRequestCount()).isEqualTo(2);
  }

  @Test
  void theTemperatureStoreRuleReadsGenerationConfig() throws Exception {
    for (int i = 0; i < 3; i++) {
      app.enqueue(answer(JSON_TYPE, GeminiBodies.ANSWER));
    }
    OkHttpClient client =
        client(
            AiGateway.builder()
                .responseCache(
                    ResponseCache.builder().storeIf(ResponseCache.temperatureAtMost(0.2))));
    String url = app.url(GeminiBodies.GENERATE_PATH).toString();
    String creative = GeminiBodies.REQUEST; // generationConfig.temperature 1.0
    String exact = GeminiBodies.REQUEST.replace("\"temperature\":1.0", "\"temperature\":0");

    for (String body : List.of(creative, creative, exact, exact)) {
      call(client, post(url, body));
    }

    assertThat(app.getRequestCount()).isEqualTo(3);
    events.next();
    events.next();
    events.next();
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
  }

  @Test
  void aStoredArrayStreamIsReplayedByteForByteAndAsEvents() throws Exception {
    app.enqueue(answer(JSON_TYPE, GeminiBodies.ARRAY));
    app.enqueue(answer(JSON_TYPE, GeminiBodies.ANSWER));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));

    call(client, gemini(GeminiBodies.STREAM_PATH));
    String replayed = call(client, gemini(GeminiBodies.STREAM_PATH));
    String asEvents = call(client, gemini(GeminiBodies.STREAM_PATH + "?alt=sse"));
    String asDocument = call(client, gemini(GeminiBodies.GENERATE_PATH));

    assertThat(replayed).isEqualTo(GeminiBodies.ARRAY);
    assertThat(asEvents).isEqualTo(GeminiBodies.EVENTS);
    assertThat(app.getRequestCount())
        .as("a stream is not merged into a document: that call went to Google")
        .isEqualTo(2);
    assertThat(asDocument).isEqualTo(GeminiBodies.ANSWER);
  }

  @Test
  void anEventStreamWithACandidateThatNeverFinishedIsNeverStored() throws Exception {
    // With candidateCount 2 each candidate ends with its own finishReason, in a chunk of its own or
    // beside the other's. An event stream has no end marker but those: a stream that lost the
    // second candidate's last chunks (to a proxy, or the service's failure) and still ended after
    // the first candidate's finish does not hold the second's whole answer.
    String both =
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Red\"}],"
            + "\"role\": \"model\"}},{\"content\": {\"parts\": [{\"text\": \"Blue\"}],"
            + "\"role\": \"model\"},\"index\": 1}],\"modelVersion\": \"gemini-2.0-flash-001\"}"
            + "\r\n\r\n";
    String firstEnds =
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" it is.\"}],"
            + "\"role\": \"model\"},\"finishReason\": \"STOP\"}],\"usageMetadata\":"
            + " {\"promptTokenCount\": 5,\"candidatesTokenCount\": 4,\"totalTokenCount\": 9},"
            + "\"modelVersion\": \"gemini-2.0-flash-001\"}\r\n\r\n";
    String secondEnds =
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \", surely.\"}],"
            + "\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 1}],"
            + "\"usageMetadata\": {\"promptTokenCount\": 5,\"candidatesTokenCount\": 6,"
            + "\"totalTokenCount\": 11},\"modelVersion\": \"gemini-2.0-flash-001\"}\r\n\r\n";
    app.enqueue(answer("text/event-stream", both + firstEnds));
    app.enqueue(answer("text/event-stream", both + firstEnds + secondEnds));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    Request stream = gemini(GeminiBodies.STREAM_PATH + "?alt=sse");

    assertThat(call(client, stream)).isEqualTo(both + firstEnds);
    events.next();
    assertThat(call(client, stream)).isEqualTo(both + firstEnds + secondEnds);
    assertThat(events.next().cache().outcome())
        .as("the stream whose second candidate never finished was not stored")
        .isEqualTo(CacheOutcome.MISS);
    // the whole one was: each candidate finished, in chunks of their own
    assertThat(call(client, stream)).isEqualTo(both + firstEnds + secondEnds);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(app.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aStoredEventStreamIsReplayedByteForByte() throws Exception {
    app.enqueue(answer("text/event-stream", GeminiBodies.EVENTS));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));

    call(client, gemini(GeminiBodies.STREAM_PATH + "?alt=sse"));
    String replayed = call(client, gemini(GeminiBodies.STREAM_PATH + "?alt=sse"));

    assertThat(replayed).isEqualTo(GeminiBodies.EVENTS);
    assertThat(app.getRequestCount()).isEqualTo(1);
    events.next();
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
  }

  @Test
  void anAzureAiFoundryCallIsGovernedWithItsModelFromTheBody() throws Exception {
    app.enqueue(answer("application/json", chatCompletion("Phi-4", 9, 4)));
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    call(
        client,
        post(
            app.url("/models/chat/completions?api-version=2024-05-01-preview").toString(),
            chatRequest("Phi-4", "Hi", ""),
            "api-key",
            "foundry-key"));

    GatewayEvent event = events.next();
    assertThat(event.requestedModel()).isEqualTo("Phi-4");
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(9, 4));
    assertThat(event.limits().settledTokens()).isEqualTo(13);
    assertThat(event.routing().provider()).isEqualTo("azure.ai.inference");
  }

  @Test
  void aFoundryBackendGetsItsModelsPathApiVersionAndApiKey() throws Exception {
    second.enqueue(answer("application/json", chatCompletion("DeepSeek-R1", 9, 4)));
    OkHttpClient client =
        client(
            AiGateway.builder()
                .backendPool(
                    BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.azureAiInference(
                                    "foundry", second.url("/").toString(), "2024-05-01-preview")
                                .model("gpt-4o", "DeepSeek-R1")
                                .credential(Credentials.apiKey("foundry-key")))));

    call(client, post(app.url("/v1/chat/completions").toString(), chatRequest("gpt-4o", "Hi", "")));

    RecordedRequest sent = second.takeRequest(5, TimeUnit.SECONDS);
    assertThat(sent.getTarget())
        .isEqualTo("/models/chat/completions?api-version=2024-05-01-preview");
    assertThat(sent.getHeaders().get("api-key")).isEqualTo("foundry-key");
    assertThat(MAPPER.readTree(sent.getBody().utf8()).get("model").asText())
        .isEqualTo("DeepSeek-R1");
    assertThat(events.next().routing().provider()).isEqualTo("azure.ai.inference");
  }

  @Test
  void aFoundryStreamIsNeverAskedForItsUsageAndIsChargedItsEstimateOnce() throws Exception {
    // The model inference API has no stream_options: an unknown member is refused with a 400 unless
    // the caller sets extra-parameters: pass-through. The gateway does not ask, at any api-version
    // (2025-04-01 is the stable one), through a pool or direct, and settles the stream on its
    // estimate, once.
    String stream = Backend.chatStream("DeepSeek-R1", false, 0, 0, true);
    OkHttpClient pooled =
        client(
            AiGateway.builder()
                .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000))
                .backendPool(
                    BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.azureAiInference(
                                    "foundry", second.url("/").toString(), "2025-04-01")
                                .credential(Credentials.apiKey("foundry-key")))));
    OkHttpClient direct =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));
    String request = chatRequest("DeepSeek-R1", "Hi", "\"stream\":true");

    second.enqueue(answer("text/event-stream", stream));
    String viaPool = call(pooled, post(app.url("/v1/chat/completions").toString(), request));
    app.enqueue(answer("text/event-stream", stream));
    String sentDirect =
        call(
            direct,
            post(
                app.url("/models/chat/completions?api-version=2025-04-01").toString(),
                request,
                "api-key",
                "foundry-key"));

    assertThat(second.takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .as("pooled")
        .isEqualTo(request);
    assertThat(app.takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .as("direct")
        .isEqualTo(request);
    assertThat(viaPool).isEqualTo(stream);
    assertThat(sentDirect).isEqualTo(stream);
    for (String route : new String[] {"pooled", "direct"}) {
      GatewayEvent event = events.next();
      assertThat(event.outcome()).as(route).isEqualTo(CallOutcome.SUCCESS);
      assertThat(event.usage().outputSource()).as(route).isEqualTo(UsageSource.ESTIMATED);
      assertThat(event.limits().settledTokens())
          .as(route)
          .isEqualTo(event.usage().tokens().totalTokens());
    }
    assertThat(events.none()).as("one event a call").isTrue();
  }

  @Test
  void aFoundryBackendWhoseEndpointEndsInModelsIsNotGivenASecondModelsSegment() throws Exception {
    // The Foundry portal shows the model inference endpoint as
    // https://{resource}.services.ai.azure.com/models, which is what its SDKs are given: such a
    // base URL is used as it is, as an OpenAI base ending in /v1 is.
    for (String base : new String[] {"/models", "/models/", "/"}) {
      second.enqueue(answer("application/json", chatCompletion("DeepSeek-R1", 9, 4)));
      OkHttpClient client =
          client(
              AiGateway.builder()
                  .backendPool(
                      BackendPool.builder()
                          .backend(
                              dev.aigateway.core.routing.Backend.azureAiInference(
                                      "foundry", second.url(base).toString(), "2024-05-01-preview")
                                  .credential(Credentials.apiKey("foundry-key")))));

      call(
          client,
          post(app.url("/v1/chat/completions").toString(), chatRequest("DeepSeek-R1", "Hi", "")));

      assertThat(second.takeRequest(5, TimeUnit.SECONDS).getTarget())
          .as(base)
          .isEqualTo("/models/chat/completions?api-version=2024-05-01-preview");
      assertThat(events.next().status()).isEqualTo(200);
    }
  }

  @Test
  void anAzureOpenAiResponsesCallWithAnApiVersionIsGoverned() throws Exception {
    app.enqueue(
        answer(
            "application/json",
            "{\"id\":\"resp_1\",\"object\":\"response\",\"model\":\"gpt-4o\",\"output\":[],"
                + "\"usage\":{\"input_tokens\":7,\"output_tokens\":3,\"total_tokens\":10}}"));
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    call(
        client,
        post(
            app.url("/openai/responses?api-version=2025-04-01-preview").toString(),
            "{\"model\":\"my-gpt4o\",\"input\":\"Hi\"}"));

    GatewayEvent event = events.next();
    assertThat(event.requestedModel()).isEqualTo("my-gpt4o");
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(7, 3));
    assertThat(event.routing().provider()).isEqualTo("azure.ai.openai");
  }
}
