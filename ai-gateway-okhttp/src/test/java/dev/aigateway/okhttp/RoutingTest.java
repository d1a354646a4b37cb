package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.Attempt;
import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Credentials;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.spi.Credential;
import dev.aigateway.api.spi.CredentialProvider;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.CircuitBreakerPolicy;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.core.routing.LoadBalancing;
import dev.aigateway.core.routing.TrafficSplit;
import dev.aigateway.core.telemetry.LoggingListener;
import dev.aigateway.core.wire.SendFailedException;
import dev.aigateway.testing.Closing;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RoutingTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String SECRET_A = "sk-backend-a-SECRET";
  private static final String SECRET_B = "azure-key-b-SECRET";

  private final List<MockWebServer> servers = new ArrayList<>();
  private final RecordingListener events = new RecordingListener();
  private final List<BreakerTransition> transitions = new CopyOnWriteArrayList<>();
  private final ManualClock clock = new ManualClock(Instant.parse("2026-06-01T10:00:00Z"));
  private final MockWebServer appTarget = new MockWebServer();

  @BeforeEach
  void setUp() throws Exception {
    appTarget.start();
  }

  @AfterEach
  void tearDown() {
    servers.add(appTarget);
    Closing.inBackground(servers); // a server holding a late answer back would wait for it
  }

  /** A started backend server answering what is queued on it, closed after the test. */
  private MockWebServer server() throws Exception {
    MockWebServer server = new MockWebServer();
    server.start();
    servers.add(server);
    return server;
  }

  /** A backend server answering every call with {@code always}. */
  private MockWebServer server(MockResponse always) throws Exception {
    MockWebServer server = server();
    answerAlways(server, always);
    return server;
  }

  private static void answerAlways(MockWebServer server, MockResponse response) {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return response;
          }
        });
  }

  private static MockResponse ok(String backendName) {
    return new MockResponse.Builder()
        .code(200)
        .addHeader("Content-Type", "application/json")
        .addHeader("X-Served-By", backendName)
        .body(chatCompletion("gpt-4o", 5, 5))
        .build();
  }

  /** An error answer with the status {@code code} and an empty JSON object as its body. */
  private static MockResponse failure(int code) {
    return new MockResponse.Builder().code(code).body("{}").build();
  }

  /** An error answer with the status {@code code}, one header and an empty JSON object. */
  private static MockResponse failure(int code, String header, String value) {
    return new MockResponse.Builder().code(code).addHeader(header, value).body("{}").build();
  }

  private static dev.aigateway.core.routing.Backend.Builder openAi(
      String id, MockWebServer server) {
    return dev.aigateway.core.routing.Backend.openAiCompatible(id, server.url("/").toString());
  }

  private OkHttpClient client(BackendPool pool, AiGateway.Builder builder) {
    GatewayListener listener =
        new GatewayListener() {
          @Override
          public void onEvent(GatewayEvent event) {
            events.onEvent(event);
          }

          @Override
          public void onBreakerTransition(BreakerTransition transition) {
            transitions.add(transition);
          }
        };
    return OkHttpAiGateway.wrap(
        new OkHttpClient(), builder.clock(clock).backendPool(pool).listener(listener).build());
  }

  /** {@code base} wrapped by a gateway over {@code pool}, its events and transitions recorded. */
  private OkHttpClient client(OkHttpClient base, BackendPool pool) {
    GatewayListener listener =
        new GatewayListener() {
          @Override
          public void onEvent(GatewayEvent event) {
            events.onEvent(event);
          }

          @Override
          public void onBreakerTransition(BreakerTransition transition) {
            transitions.add(transition);
          }
        };
    return OkHttpAiGateway.wrap(
        base, AiGateway.builder().clock(clock).backendPool(pool).listener(listener).build());
  }

  private OkHttpClient client(BackendPool pool) {
    return client(pool, AiGateway.builder());
  }

  /** A client over a pool of {@code backends} with the default strategy, breaker and failover. */
  private OkHttpClient client(dev.aigateway.core.routing.Backend.Builder... backends) {
    BackendPool.Builder pool = BackendPool.builder();
    for (dev.aigateway.core.routing.Backend.Builder backend : backends) {
      pool.backend(backend);
    }
    return client(pool.build());
  }

  private Request chat(String model, String... headers) {
    return post(
        appTarget.url("/v1/chat/completions").toString(), chatRequest(model, "Hi", ""), headers);
  }

  private String servedBy(OkHttpClient client, Request request) throws Exception {
    try (Response response = client.newCall(request).execute()) {
      response.body().string();
      return response.code() == 200 ? response.header("X-Served-By") : "status " + response.code();
    }
  }

  @Test
  void roundRobinVisitsEachBackendInTurn() throws Exception {
    MockWebServer a = server(ok("a"));
    MockWebServer b = server(ok("b"));
    MockWebServer c = server(ok("c"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("a", a))
                .backend(openAi("b", b))
                .backend(openAi("c", c))
                .build());

    List<String> order = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      order.add(servedBy(client, chat("gpt-4o")));
    }

    assertThat(order).containsExactly("a", "b", "c", "a", "b", "c", "a", "b", "c");
    assertThat(appTarget.getRequestCount()).isZero();
  }

  /** A latency-aware pool whose breakers never trip in a test's few calls. */
  private static BackendPool latencyAwarePool(
      dev.aigateway.core.routing.Backend.Builder... backends) {
    BackendPool.Builder pool =
        BackendPool.builder()
            .loadBalancing(LoadBalancing.latencyAware())
            .circuitBreaker(
                CircuitBreakerPolicy.builder().failureCount(1_000, Duration.ofSeconds(10)));
    for (dev.aigateway.core.routing.Backend.Builder backend : backends) {
      pool.backend(backend);
    }
    return pool.build();
  }

  @Test
  void latencyAwareRanksABackendThatFailsFastBehindOneThatAnswers() throws Exception {
    MockWebServer failing = server(failure(500));
    MockWebServer answering = server(ok("answering"));
    OkHttpClient client =
        client(latencyAwarePool(openAi("failing", failing), openAi("answering", answering)));

    List<String> served = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      served.add(servedBy(client, chat("gpt-4o")));
    }

    // The unmeasured backend is tried first, once: its failure counts as a slow sample, so every
    // later call goes straight to the backend that answers instead of failing over from it.
    assertThat(served).containsOnly("answering");
    assertThat(failing.getRequestCount()).isEqualTo(1);
    assertThat(events.all.get(0).routing().failoverReason()).isEqualTo("500 from failing");
    assertThat(events.all.subList(1, 6))
        .allSatisfy(e -> assertThat(e.routing().attempts()).hasSize(1));
  }

  @Test
  void latencyAwareRanksABackendThatDropsItsConnectionsBehindOneThatAnswers() throws Exception {
    MockWebServer dropping =
        server(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
    MockWebServer answering = server(ok("answering"));
    OkHttpClient client =
        client(latencyAwarePool(openAi("dropping", dropping), openAi("answering", answering)));

    for (int i = 0; i < 6; i++) {
      assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("answering");
    }

    // One attempt ends without an answer at the dropping backend; the rest go straight on.
    assertThat(events.all.get(0).routing().attempts())
        .extracting(Attempt::backendId, Attempt::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("dropping", 0),
            org.assertj.core.groups.Tuple.tuple("answering", 200));
    assertThat(events.all.subList(1, 6))
        .allSatisfy(
            e ->
                assertThat(e.routing().attempts())
                    .extracting(Attempt::backendId)
                    .containsExactly("answering"));
  }

  @Test
  void weightedBalancingFollowsTheWeights() throws Exception {
    MockWebServer a = server(ok("a"));
    MockWebServer b = server(ok("b"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("a", a).weight(3))
                .backend(openAi("b", b).weight(1))
                .loadBalancing(LoadBalancing.weighted())
                .build());

    List<String> order = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      order.add(servedBy(client, chat("gpt-4o")));
    }

    assertThat(order).containsExactly("a", "a", "b", "a", "a", "a", "b", "a");
  }

  @Test
  void lowerTierGetsTrafficOnlyWhenTheWholeHigherTierIsUnavailable() throws Exception {
    MockWebServer p1 =
        server(
            new MockResponse.Builder()
                .code(429)
                .addHeader("Retry-After", "30")
                .body("{\"error\":{\"message\":\"slow down\",\"type\":\"requests\"}}")
                .build());
    MockWebServer p2 = server(ok("p2"));
    MockWebServer spare = server(ok("spare"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("p1", p1).priority(1))
                .backend(openAi("p2", p2).priority(1))
                .backend(openAi("spare", spare).priority(2))
                .build());

    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("p2"); // p1 429 -> p2, same tier
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("p2"); // p1 cools down 30 s
    assertThat(spare.getRequestCount()).isZero();

    answerAlways(p2, failure(429, "Retry-After", "10"));
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("spare");
    GatewayEvent spilled = lastEvent();
    assertThat(spilled.routing().backendId()).isEqualTo("spare");
    assertThat(spilled.routing().failoverReason()).isEqualTo("429 from p2");
    // Where it went at last
    assertThat(spilled.routing().serverAddress()).isEqualTo(spare.getHostName());
    assertThat(spilled.routing().serverPort()).isEqualTo(spare.getPort());
    assertThat(spilled.routing().provider()).isEqualTo("openai");

    clock.advance(Duration.ofSeconds(11)); // p2 has cooled down; p1 has not
    answerAlways(p2, ok("p2"));
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("p2");
  }

  @Test
  void anOverloaded529WithARetryAfterCoolsItsBackendDownAsA503Does() throws Exception {
    // Anthropic answers 529 (overloaded_error) when its API is busy for everyone, with a
    // retry-after when it says how long: the backend is left alone for that long.
    MockWebServer busy = server(failure(529, "retry-after", "20"));
    MockWebServer spare = server(ok("spare"));
    OkHttpClient client = client(openAi("busy", busy), openAi("spare", spare));

    for (int i = 0; i < 4; i++) {
      assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("spare");
    }
    assertThat(busy.getRequestCount()).as("calls sent to the overloaded backend").isEqualTo(1);
    assertThat(events.all.get(0).routing().failoverReason()).isEqualTo("529 from busy");

    clock.advance(Duration.ofSeconds(21)); // the wait it asked for is over
    answerAlways(busy, ok("busy"));
    List<String> after = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      after.add(servedBy(client, chat("gpt-4o")));
    }
    assertThat(after).contains("busy");
  }

  @Test
  void aModelOfDotsNeverLeadsAnAzureDeploymentCallOutOfItsDeploymentsPath() throws Exception {
    // An Azure backend without a model mapping puts the model the body asks for in the path as
    // the deployment. "." or ".." there is a dot segment, which the HTTP client resolves: the call
    // would go to {endpoint}/openai/chat/completions (or under an API Management base, above it),
    // not to a deployment. No Azure deployment has such a name: no backend serves the call.
    MockWebServer azure = server(ok("azure"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(
                    dev.aigateway.core.routing.Backend.azureOpenAi(
                        "apim", azure.url("/team-a").toString(), "2024-10-21"))
                .build());

    for (String model : new String[] {"..", "."}) {
      try (Response response = client.newCall(chat(model)).execute()) {
        assertThat(response.code()).as(model).isEqualTo(404);
        assertThat(response.header("x-ai-gateway-rejected"))
            .isEqualTo(RejectionReason.MODEL_NOT_FOUND.headerValue());
      }
    }
    assertThat(servedBy(client, chat("gpt-4.1"))).isEqualTo("azure"); // dots inside a name: fine
    assertThat(azure.getRequestCount()).isOne();
    assertThat(azure.takeRequest().getTarget())
        .isEqualTo("/team-a/openai/deployments/gpt-4.1/chat/completions?api-version=2024-10-21");
    assertThatThrownBy(
            () ->
                dev.aigateway.core.routing.Backend.azureOpenAi(
                        "east", azure.url("/").toString(), "2024-10-21")
                    .model("gpt-4o", ".."))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'..'");
  }

  @Test
  void anAzure429ThatSaysOnlyWhenItsTokensResetCoolsItsBackendDownThatLong() throws Exception {
    // Azure OpenAI answers some token-rate 429s without Retry-After or retry-after-ms: the wait is
    // in x-ratelimit-reset-tokens, in seconds.
    MockWebServer east =
        server(
            new MockResponse.Builder()
                .code(429)
                .addHeader("Content-Type", "application/json")
                .addHeader("x-ratelimit-reset-tokens", "30")
                .addHeader("x-ratelimit-remaining-tokens", "0")
                .addHeader("x-ratelimit-remaining-requests", "79")
                .body(
                    "{\"error\":{\"code\":\"429\",\"message\":\"Requests to the"
                        + " ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21"
                        + " have exceeded token rate limit of your current OpenAI S0 pricing tier.\"}}")
                .build());
    MockWebServer west = server(ok("west"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(
                    dev.aigateway.core.routing.Backend.azureOpenAi(
                            "east", east.url("/").toString(), "2024-10-21")
                        .model("gpt-4o", "gpt4o-east"))
                .backend(
                    dev.aigateway.core.routing.Backend.azureOpenAi(
                            "west", west.url("/").toString(), "2024-10-21")
                        .model("gpt-4o", "gpt4o-west"))
                .build());

    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("west"); // east 429 -> west
    for (int i = 0; i < 3; i++) {
      assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("west");
    }
    assertThat(east.getRequestCount()).as("calls east took while its tokens were spent").isOne();

    clock.advance(Duration.ofSeconds(31)); // east's tokens are back
    answerAlways(east, ok("east"));
    List<String> servedAfter = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      servedAfter.add(servedBy(client, chat("gpt-4o")));
    }
    assertThat(servedAfter).contains("east");
  }

  @Test
  void aYearLong429CoolDownLastsNoLongerThanTheMaxTripDuration() throws Exception {
    MockWebServer greedy = server(failure(429, "Retry-After", "31536000"));
    MockWebServer steady = server(ok("steady"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("greedy", greedy).priority(1))
                .backend(openAi("steady", steady).priority(2))
                .build());

    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("steady");
    clock.advance(CircuitBreakerPolicy.DEFAULT_MAX_TRIP_DURATION.minusSeconds(1));
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("steady");
    assertThat(greedy.getRequestCount()).isEqualTo(1);

    clock.advance(Duration.ofSeconds(2));
    answerAlways(greedy, ok("greedy"));
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("greedy");
  }

  @Test
  void failoverGivesTheAppASuccessWhileOneBackendIsHealthy() throws Exception {
    MockWebServer down = server(failure(503));
    MockWebServer up = server(ok("up"));
    OkHttpClient client =
        client(
            BackendPool.builder().backend(openAi("down", down)).backend(openAi("up", up)).build());

    for (int i = 0; i < 6; i++) {
      assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("up");
    }
    GatewayEvent first = firstEvent();
    assertThat(first.routing().attempts())
        .extracting(a -> a.backendId() + ":" + a.status())
        .containsExactly("down:503", "up:200");
    assertThat(first.routing().failoverReason()).isEqualTo("503 from down");
  }

  @Test
  void connectionFailuresFailOverToo() throws Exception {
    MockWebServer dead = server();
    MockWebServer up = server(ok("up"));
    String deadUrl = dead.url("/").toString();
    dead.close();
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(dev.aigateway.core.routing.Backend.openAi("dead", deadUrl))
                .backend(openAi("up", up))
                .build());

    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("up");
    assertThat(firstEvent().routing().attempts().get(0).errorType())
        .isEqualTo("java.net.ConnectException");
  }

  @Test
  void breakerTripsHonoursRetryAfterAndRecoversThroughHalfOpen() throws Exception {
    MockWebServer flaky = server(failure(500, "Retry-After", "20"));
    MockWebServer steady = server(ok("steady"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("flaky", flaky).priority(1))
                .backend(openAi("steady", steady).priority(2))
                .circuitBreaker(
                    CircuitBreakerPolicy.builder()
                        .failureCount(2, Duration.ofSeconds(10))
                        .tripDuration(Duration.ofSeconds(60))
                        .build())
                .build());

    servedBy(client, chat("gpt-4o"));
    servedBy(client, chat("gpt-4o")); // second failure trips the breaker for 20 s (Retry-After)
    assertThat(transitions).extracting(BreakerTransition::to).containsExactly(BreakerState.OPEN);
    assertThat(transitions.get(0).openFor()).isEqualTo(Duration.ofSeconds(20));
    int flakyCalls = flaky.getRequestCount();
    servedBy(client, chat("gpt-4o"));
    assertThat(flaky.getRequestCount()).isEqualTo(flakyCalls); // open: not called

    clock.advance(Duration.ofSeconds(21));
    answerAlways(flaky, ok("flaky"));
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("flaky"); // the half-open probe
    assertThat(transitions)
        .extracting(BreakerTransition::to)
        .containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED);
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("flaky");
  }

  @Test
  void allBackendsDownAnswers503WithTheSoonestRetryAfter() throws Exception {
    MockWebServer a = server(failure(429, "Retry-After", "40"));
    MockWebServer b = server(failure(429, "retry-after-ms", "12500"));
    OkHttpClient client =
        client(BackendPool.builder().backend(openAi("a", a)).backend(openAi("b", b)).build());

    try (Response first = client.newCall(chat("gpt-4o")).execute()) {
      assertThat(first.code()).isEqualTo(429); // both tried; the last answer goes to the app
    }
    try (Response down = client.newCall(chat("gpt-4o")).execute()) {
      assertThat(down.code()).isEqualTo(503);
      assertThat(down.header("x-ai-gateway-rejected")).isEqualTo("no-backend-available");
      assertThat(down.header("Retry-After")).isEqualTo("13");
      JsonNode error = MAPPER.readTree(down.body().string()).get("error");
      assertThat(error.get("code").asText()).isEqualTo("no_backend_available");
    }
    assertThat(a.getRequestCount() + b.getRequestCount()).isEqualTo(2);
    assertThat(lastEvent().rejection()).isEqualTo(RejectionReason.NO_BACKEND_AVAILABLE);
  }

  @Test
  void noRetryAfterAStreamStartedReachingTheApp() throws Exception {
    MockWebServer a = server();
    MockWebServer b = server();
    String full = Backend.chatStream("gpt-4o", true, 5, 5, true);
    answerAlways(a, Backend.sse(full.substring(0, full.indexOf("data:", 300))));
    answerAlways(b, ok("b"));
    OkHttpClient client =
        client(BackendPool.builder().backend(openAi("a", a)).backend(openAi("b", b)).build());

    try (Response response = client.newCall(streamedChat()).execute()) {
      assertThat(response.body().string()).doesNotContain("[DONE]");
    }
    assertThat(b.getRequestCount()).isZero();
    GatewayEvent event = lastEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.routing().attempts()).hasSize(1);
  }

  @Test
  void a503WithAnOutOfRangeRetryAfterFailsOverInsteadOfThrowingIntoTheApp() throws Exception {
    // OkHttp's own retry interceptor throws NumberFormatException reading this Retry-After
    MockWebServer hostile = server(failure(503, "Retry-After", "99999999999"));
    MockWebServer steady = server(ok("steady"));
    OkHttpClient client = client(openAi("hostile", hostile), openAi("steady", steady));

    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("steady");
    assertThat(lastEvent().routing().attempts())
        .extracting(a -> a.backendId() + ":" + a.errorType())
        .containsExactly("hostile:java.lang.NumberFormatException", "steady:null");
  }

  @Test
  void aClientExceptionOnTheOnlyAttemptReachesTheAppAsAnIoException() throws Exception {
    MockWebServer hostile = server(failure(503, "Retry-After", "99999999999"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("hostile", hostile))
                .failover(Failover.disabled())
                .build());

    assertThatThrownBy(() -> client.newCall(chat("gpt-4o")).execute())
        .isInstanceOf(SendFailedException.class)
        .hasCauseInstanceOf(NumberFormatException.class);
    assertThat(lastEvent().outcome()).isEqualTo(CallOutcome.FAILED);
  }

  private Request streamedChat() {
    return post(
        appTarget.url("/v1/chat/completions").toString(),
        chatRequest("gpt-4o", "Hi", "\"stream\":true"));
  }

  @Test
  void aStreamThatBreaksBeforeItsFirstEventFailsOver() throws Exception {
    MockWebServer broken =
        server(
            new MockResponse.Builder(Backend.sse(": keep-alive\n\n"))
                .onResponseBody(new SocketEffect.CloseSocket())
                .build());
    MockWebServer steady = server(Backend.sse(Backend.chatStream("gpt-4o", true, 5, 5, true)));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("broken", broken))
                .backend(openAi("steady", steady))
                .build());

    try (Response response = client.newCall(streamedChat()).execute()) {
      assertThat(response.body().string())
          .isEqualTo(Backend.chatStream("gpt-4o", false, 5, 5, true));
    }
    GatewayEvent event = lastEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.routing().attempts())
        .extracting(a -> a.backendId())
        .containsExactly("broken", "steady");
  }

  /** One backend, never retried, whose breaker opens on its first failure for a minute. */
  private static BackendPool lastAttemptPool(MockWebServer server) {
    return BackendPool.builder()
        .backend(openAi("only", server))
        .failover(Failover.disabled())
        .circuitBreaker(
            CircuitBreakerPolicy.builder()
                .failureCount(1, Duration.ofSeconds(10))
                .tripDuration(Duration.ofMinutes(1)))
        .build();
  }

  @Test
  void aStreamThatBreaksBeforeItsFirstEventOnTheLastAttemptIsAFailureForItsBreaker()
      throws Exception {
    MockWebServer broken =
        server(
            new MockResponse.Builder(Backend.sse(": keep-alive\n\n"))
                .onResponseBody(new SocketEffect.CloseSocket())
                .build());
    OkHttpClient client = client(lastAttemptPool(broken));

    try (Response response = client.newCall(streamedChat()).execute()) {
      assertThat(response.code()).isEqualTo(200); // handed on at once, as it came
      assertThatThrownBy(() -> response.body().string()).isInstanceOf(IOException.class);
    }

    assertThat(events.next().outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(transitions)
        .extracting(BreakerTransition::backendId, BreakerTransition::to)
        .containsExactly(org.assertj.core.api.Assertions.tuple("only", BreakerState.OPEN));
    assertThat(servedBy(client, streamedChat())).isEqualTo("status 503");
    assertThat(broken.getRequestCount()).isEqualTo(1);
  }

  @Test
  void aJsonAnswerWhoseBodyBreaksOffIsAFailureForItsBreaker() throws Exception {
    MockWebServer broken =
        server(ok("only").newBuilder().onResponseBody(new SocketEffect.CloseSocket()).build());
    OkHttpClient client = client(lastAttemptPool(broken));

    try (Response response = client.newCall(chat("gpt-4o")).execute()) {
      assertThat(response.code()).isEqualTo(200); // handed on with its headers
      assertThatThrownBy(() -> response.body().string()).isInstanceOf(IOException.class);
    }

    // The application got no answer: a failure for the backend, not the success its status said.
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(transitions)
        .extracting(BreakerTransition::backendId, BreakerTransition::to)
        .containsExactly(org.assertj.core.api.Assertions.tuple("only", BreakerState.OPEN));
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("status 503");
    assertThat(broken.getRequestCount()).isEqualTo(1);
  }

  @Test
  void aJsonAnswerTheApplicationClosesUnreadIsNoFailureForItsBreaker() throws Exception {
    MockWebServer backend = server(ok("only"));
    OkHttpClient client = client(lastAttemptPool(backend));

    try (Response response = client.newCall(chat("gpt-4o")).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }

    events.next();
    assertThat(transitions).isEmpty();
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("only");
  }

  @Test
  void aStreamThatEndsBeforeItsFirstEventOnTheLastAttemptIsAFailureForItsBreaker()
      throws Exception {
    MockWebServer empty = server(Backend.sse(": keep-alive\n\n"));
    OkHttpClient client = client(lastAttemptPool(empty));

    try (Response response = client.newCall(streamedChat()).execute()) {
      assertThat(response.body().string()).isEqualTo(": keep-alive\n\n");
    }

    assertThat(events.next().outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(transitions).extracting(BreakerTransition::to).containsExactly(BreakerState.OPEN);
  }

  @Test
  void aStreamThatBreaksAfterItsFirstEventOnTheLastAttemptIsASuccessForItsBreaker()
      throws Exception {
    MockWebServer broken = server();
    String stream = Backend.chatStream("gpt-4o", true, 5, 5, true);
    String firstEvent = stream.substring(0, stream.indexOf("\n\n") + 2);
    answerAlways(
        broken,
        // The socket closes halfway through the body: after the first event, within the comment.
        new MockResponse.Builder(
                Backend.sse(firstEvent + ": " + "x".repeat(2 * firstEvent.length()) + "\n\n"))
            .onResponseBody(new SocketEffect.CloseSocket())
            .build());
    OkHttpClient client = client(lastAttemptPool(broken));

    try (Response response = client.newCall(streamedChat()).execute()) {
      assertThatThrownBy(() -> response.body().string()).isInstanceOf(IOException.class);
    }

    assertThat(events.next().outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(transitions).isEmpty();
  }

  /**
   * A client over {@code backend} alone, whose breaker a 500 tripped and whose trip is over: the
   * next call is its probe, a stream whose first event comes 3 s after its headers; then {@code
   * later} answer, in order.
   */
  private OkHttpClient trippedWithASlowProbe(MockWebServer backend, MockResponse... later)
      throws Exception {
    backend.enqueue(new MockResponse.Builder().code(500).build()); // trips the breaker
    String stream = Backend.chatStream("gpt-4o", true, 5, 5, true);
    backend.enqueue(
        new MockResponse.Builder(Backend.sse(stream)).bodyDelay(3, TimeUnit.SECONDS).build());
    for (MockResponse answer : later) {
      backend.enqueue(answer);
    }
    OkHttpClient client = client(lastAttemptPool(backend));
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("status 500");
    events.next();
    clock.advance(Duration.ofMinutes(1)); // the trip is over: the next call is the probe
    return client;
  }

  @Test
  void aCallWhileTheOnlyBackendsProbeIsUndecidedIsToldToComeBackInASecond() throws Exception {
    MockWebServer backend = server();
    OkHttpClient client = trippedWithASlowProbe(backend);

    Call probe = client.newCall(streamedChat());
    try (Response response = probe.execute()) {
      assertThat(response.code()).isEqualTo(200); // its headers, and no event yet: undecided
      try (Response refused = client.newCall(chat("gpt-4o")).execute()) {
        assertThat(refused.code()).isEqualTo(503);
        // The trip's end has passed; the backend is free once the probe's verdict comes, which no
        // clock says: a second, as for a backend at its in-flight cap, not "now" over and over.
        assertThat(refused.header("Retry-After")).isEqualTo("1");
        assertThat(refused.header("retry-after-ms")).isEqualTo("1000");
        assertThat(refused.body().string()).contains("Retry after 1 s.");
      }
      GatewayEvent rejected = events.next();
      assertThat(rejected.rejection()).isEqualTo(RejectionReason.NO_BACKEND_AVAILABLE);
      assertThat(rejected.routing().attempts()).isEmpty();
      probe.cancel();
    }
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(events.none()).isTrue();
    assertThat(backend.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aProbeStreamCancelledBeforeItsFirstEventOnTheLastAttemptFreesTheProbe() throws Exception {
    MockWebServer backend = server();
    OkHttpClient client =
        trippedWithASlowProbe(backend, Backend.sse(Backend.chatStream("gpt-4o", true, 5, 5, true)));

    Call probe = client.newCall(streamedChat());
    try (Response response = probe.execute()) {
      assertThat(response.code()).isEqualTo(200); // its headers, and no event yet
      probe.cancel();
      assertThatThrownBy(() -> response.body().string()).isInstanceOf(IOException.class);
    }
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.CANCELLED);

    // No verdict for the backend: still half-open, and the probe's slot is free for the next call.
    assertThat(transitions)
        .extracting(BreakerTransition::to)
        .containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN);
    try (Response response = client.newCall(streamedChat()).execute()) {
      assertThat(response.body().string())
          .isEqualTo(Backend.chatStream("gpt-4o", false, 5, 5, true));
    }
    assertThat(transitions)
        .extracting(BreakerTransition::to)
        .containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED);
  }

  @Test
  void aCallCancelledWhileItsStreamIsHeldForItsFirstEventFailsWithOneCancelledEvent()
      throws Exception {
    MockWebServer held = server();
    MockWebServer other = server();
    String stream = Backend.chatStream("gpt-4o", true, 5, 5, true);
    answerAlways(
        held,
        new MockResponse.Builder(Backend.sse(": keep-alive\n\n" + stream))
            .throttleBody(": keep-alive\n\n".length(), 3, TimeUnit.SECONDS)
            .build());
    answerAlways(other, Backend.sse(stream));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("held", held))
                .backend(openAi("other", other))
                .circuitBreaker(
                    CircuitBreakerPolicy.builder().failureCount(1, Duration.ofSeconds(10)))
                .build());
    Call call = client.newCall(streamedChat());

    CompletableFuture<Object> executed = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                Response response = call.execute();
                response.close();
                executed.complete(response); // the app was handed a response
              } catch (Throwable e) {
                executed.complete(e);
              }
            });
    thread.setDaemon(true);
    thread.start();
    assertThat(held.takeRequest(5, TimeUnit.SECONDS)).isNotNull();
    Thread.sleep(300); // the keep-alive came; the first event is being waited for
    call.cancel();

    assertThat(executed.get(5, TimeUnit.SECONDS))
        .isInstanceOf(IOException.class)
        .hasFieldOrPropertyWithValue("message", "Canceled");
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.CANCELLED);
    Thread.sleep(100);
    assertThat(events.all).hasSize(1);
    assertThat(other.getRequestCount()).isZero();
    assertThat(transitions).isEmpty(); // no verdict against the backend
  }

  @Test
  void aStreamSilentPastTheFirstEventTimeoutFailsOver() throws Exception {
    MockWebServer silent =
        server(
            new MockResponse.Builder(Backend.sse(": keep-alive\n\n"))
                .bodyDelay(5, TimeUnit.SECONDS)
                .build());
    MockWebServer steady = server(Backend.sse(Backend.chatStream("gpt-4o", true, 5, 5, true)));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("silent", silent))
                .backend(openAi("steady", steady))
                .failover(Failover.builder().firstEventTimeout(Duration.ofSeconds(1)).build())
                .build());

    try (Response response = client.newCall(streamedChat()).execute()) {
      assertThat(response.body().string()).endsWith("data: [DONE]\n\n");
    }
    assertThat(lastEvent().routing().failoverReason())
        .isEqualTo("SocketTimeoutException from silent");
  }

  @Test
  void aHeldStreamReachesTheAppWithoutTheFirstEventDeadlineAndTakesTheAppsOwnTimeout()
      throws Exception {
    String stream = Backend.chatStream("gpt-4o", true, 5, 5, true);
    MockWebServer slow =
        server(
            Backend.sseBuilder(stream)
                .throttleBody(stream.indexOf("\n\n") + 2, 5, TimeUnit.SECONDS)
                .build());
    MockWebServer spare = server(Backend.sse(stream));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("slow", slow))
                .backend(openAi("spare", spare))
                .failover(Failover.builder().firstEventTimeout(Duration.ofSeconds(20)).build())
                .build());

    try (Response response = client.newCall(streamedChat()).execute()) {
      okio.BufferedSource source = response.body().source();
      assertThat(source.timeout().hasDeadline()).isFalse(); // the hold's bound was lifted
      source.timeout().timeout(100, TimeUnit.MILLISECONDS);
      assertThat(source.readUtf8Line()).startsWith("data: {");
      assertThatThrownBy(source::readUtf8).isInstanceOf(InterruptedIOException.class);
    }
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.routing().backendId()).isEqualTo("slow");
    assertThat(spare.getRequestCount()).isZero();
  }

  @Test
  void aHeldStreamSilentPastTheFirstEventTimeoutWithNoBackendLeftFailsTheCall() throws Exception {
    MockWebServer silent =
        server(
            new MockResponse.Builder(Backend.sse(": keep-alive\n\n"))
                .bodyDelay(5, TimeUnit.SECONDS)
                .build());
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("silent", silent))
                .failover(Failover.builder().firstEventTimeout(Duration.ofSeconds(1)).build())
                // its first failure opens the breaker: no backend is left to fail over to
                .circuitBreaker(
                    CircuitBreakerPolicy.builder().failureCount(1, Duration.ofSeconds(10)))
                .build());

    // Nothing of the stream reached the application: it gets the failure, not a 200 that breaks.
    assertThatThrownBy(() -> client.newCall(streamedChat()).execute().close())
        .isInstanceOf(java.net.SocketTimeoutException.class);
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo("java.net.SocketTimeoutException");
    assertThat(event.routing().attempts())
        .extracting(Attempt::backendId, Attempt::errorType)
        .containsExactly(
            org.assertj.core.api.Assertions.tuple("silent", "java.net.SocketTimeoutException"));
    assertThat(silent.getRequestCount()).isEqualTo(1);
  }

  @Test
  void aHeldStreamWhoseFirstEventIsAnErrorFailsOver() throws Exception {
    MockWebServer failing =
        server(
            Backend.sse(
                "data: {\"error\":{\"message\":\"The server had an error while processing your"
                    + " request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"
                    + "data: [DONE]\n\n"));
    MockWebServer steady = server(Backend.sse(Backend.chatStream("gpt-4o", true, 5, 5, true)));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("failing", failing))
                .backend(openAi("steady", steady))
                .circuitBreaker(
                    CircuitBreakerPolicy.builder().failureCount(1, Duration.ofSeconds(10)))
                .build());

    try (Response response = client.newCall(streamedChat()).execute()) {
      assertThat(response.body().string())
          .isEqualTo(Backend.chatStream("gpt-4o", false, 5, 5, true));
    }
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.routing().attempts())
        .extracting(Attempt::backendId, Attempt::status, Attempt::errorType)
        .containsExactly(
            org.assertj.core.api.Assertions.tuple("failing", 200, "error-event"),
            org.assertj.core.api.Assertions.tuple("steady", 200, null));
    assertThat(event.routing().attempts().get(0).succeeded()).isFalse();
    assertThat(event.routing().failoverReason()).isEqualTo("error event from failing");
    // The error event is a failure for the backend's breaker.
    assertThat(transitions)
        .extracting(BreakerTransition::backendId, BreakerTransition::to)
        .containsExactly(org.assertj.core.api.Assertions.tuple("failing", BreakerState.OPEN));
  }

  @Test
  void aJsonErrorAnswerSentWithA200IsAFailureForItsBreaker() throws Exception {
    MockWebServer failing =
        server(
            Backend.json(
                "{\"error\":{\"message\":\"The server had an error while processing your"
                    + " request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("failing", failing))
                .failover(Failover.disabled())
                .circuitBreaker(
                    CircuitBreakerPolicy.builder()
                        .failureCount(2, Duration.ofSeconds(10))
                        .tripDuration(Duration.ofMinutes(1)))
                .build());

    for (int i = 0; i < 2; i++) {
      try (Response response = client.newCall(chat("gpt-4o")).execute()) {
        assertThat(response.code()).isEqualTo(200);
        response.body().string();
      }
      GatewayEvent event = lastEvent();
      assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
      assertThat(event.errorType()).isEqualTo("error-answer");
    }
    // Two error answers: the breaker opened on its second failure, once, and no call reaches it.
    assertThat(transitions)
        .extracting(BreakerTransition::backendId, BreakerTransition::to)
        .containsExactly(org.assertj.core.api.Assertions.tuple("failing", BreakerState.OPEN));
    try (Response response = client.newCall(chat("gpt-4o")).execute()) {
      assertThat(response.code()).isEqualTo(503);
    }
    assertThat(failing.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aJsonErrorAnswerForTheCallersOwnMistakeIsNoFailureForItsBreaker() throws Exception {
    MockWebServer refusing =
        server(
            Backend.json(
                "{\"error\":{\"message\":\"bad temperature\","
                    + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}"));
    OkHttpClient client = client(lastAttemptPool(refusing));

    for (int i = 0; i < 2; i++) {
      try (Response response = client.newCall(chat("gpt-4o")).execute()) {
        response.body().string();
      }
      assertThat(lastEvent().outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    }
    assertThat(transitions).isEmpty();
    assertThat(refusing.getRequestCount()).isEqualTo(2);
  }

  @Test
  void anUnheldStreamWhoseFirstEventIsAnErrorIsAFailureForItsBreaker() throws Exception {
    MockWebServer failing =
        server(
            Backend.sse(
                "data: {\"error\":{\"message\":\"The server had an error while processing your"
                    + " request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"
                    + "data: [DONE]\n\n"));
    OkHttpClient client = client(lastAttemptPool(failing));

    try (Response response = client.newCall(streamedChat()).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.body().string()).contains("server_error");
    }
    GatewayEvent event = lastEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    // The last attempt's stream was handed on unheld; its error event is still a failure.
    assertThat(transitions)
        .extracting(BreakerTransition::backendId, BreakerTransition::to)
        .containsExactly(org.assertj.core.api.Assertions.tuple("only", BreakerState.OPEN));
  }

  @Test
  void aHeldStreamWhoseFirstEventIsAnInvalidRequestErrorIsHandedOnAsItCame() throws Exception {
    MockWebServer refusing = server();
    MockWebServer other = server();
    String refusal =
        "data: {\"error\":{\"object\":\"error\",\"message\":\"bad temperature\","
            + "\"type\":\"BadRequestError\",\"param\":null,\"code\":400}}\n\n"
            + "data: [DONE]\n\n";
    answerAlways(refusing, Backend.sse(refusal));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("refusing", refusing))
                .backend(openAi("other", other))
                .build());

    // A refusal of the request (400) would be the same anywhere: not failed over.
    try (Response response = client.newCall(streamedChat()).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.body().string()).isEqualTo(refusal);
    }
    assertThat(events.next().routing().attempts())
        .extracting(Attempt::backendId, Attempt::errorType)
        .containsExactly(org.assertj.core.api.Assertions.tuple("refusing", "error-event"));
    assertThat(other.getRequestCount()).isZero();
  }

  @Test
  void afterItsFirstEventAStreamIsNoLongerBoundByTheFirstEventTimeout() throws Exception {
    MockWebServer slow = server();
    String stream = Backend.chatStream("gpt-4o", true, 5, 5, true);
    int firstEvent = stream.indexOf("\n\n") + 2;
    answerAlways(
        slow,
        new MockResponse.Builder(Backend.sse(stream))
            // the first event at once, then a pause twice the first event timeout
            .throttleBody(Math.max(firstEvent, stream.length() - firstEvent), 2, TimeUnit.SECONDS)
            .build());
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("slow", slow))
                .backend(openAi("other", server()))
                .failover(Failover.builder().firstEventTimeout(Duration.ofSeconds(1)).build())
                .build());

    try (Response response = client.newCall(streamedChat()).execute()) {
      assertThat(response.body().string())
          .isEqualTo(Backend.chatStream("gpt-4o", false, 5, 5, true));
    }
    assertThat(lastEvent().routing().attempts()).hasSize(1);
    assertThat(lastEvent().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @Test
  void sessionsStickToOneBackendAndMoveWhenItFails() throws Exception {
    MockWebServer a = server(ok("a"));
    MockWebServer b = server(ok("b"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("a", a))
                .backend(openAi("b", b))
                .loadBalancing(
                    LoadBalancing.sessionSticky(
                        KeyResolvers.header("x-session"), LoadBalancing.roundRobin()))
                .build());

    String s1 = servedBy(client, chat("gpt-4o", "x-session", "s1"));
    String s2 = servedBy(client, chat("gpt-4o", "x-session", "s2"));
    assertThat(s1).isNotEqualTo(s2);
    for (int i = 0; i < 4; i++) {
      assertThat(servedBy(client, chat("gpt-4o", "x-session", "s1"))).isEqualTo(s1);
      assertThat(servedBy(client, chat("gpt-4o", "x-session", "s2"))).isEqualTo(s2);
    }
    MockWebServer s1Server = "a".equals(s1) ? a : b;
    answerAlways(s1Server, failure(429, "Retry-After", "60"));
    assertThat(servedBy(client, chat("gpt-4o", "x-session", "s1"))).isEqualTo(s2);
    assertThat(servedBy(client, chat("gpt-4o", "x-session", "s1"))).isEqualTo(s2);
    assertThat(s1Server.takeRequest().getHeaders().get("x-session")).isNull();
  }

  @Test
  void callsAreRewrittenExactlyForEachFlavourWithItsOwnCredential() throws Exception {
    MockWebServer openAi = server(ok("openai"));
    MockWebServer azure = server(ok("azure"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(
                    dev.aigateway.core.routing.Backend.openAi("openai", openAi.url("/").toString())
                        .model("smart", "gpt-4o-2024-11-20")
                        .credential(Credentials.apiKey(SECRET_A)))
                .backend(
                    dev.aigateway.core.routing.Backend.azureOpenAi(
                            "azure", azure.url("/").toString(), "2024-10-21")
                        .model("smart", "gpt4o-eastus")
                        .credential(Credentials.apiKey(SECRET_B)))
                .build());

    servedBy(client, chat("smart", "Authorization", "Bearer app-own-key"));
    servedBy(client, chat("smart", "Authorization", "Bearer app-own-key"));
    assertThat(lastEvent().routing().backendId()).isEqualTo("azure");
    assertThat(lastEvent().routing().provider()).isEqualTo("azure.ai.openai");
    assertThat(lastEvent().routing().serverPort()).isEqualTo(azure.getPort());

    RecordedRequest toOpenAi = openAi.takeRequest();
    assertThat(toOpenAi.getUrl().encodedPath()).isEqualTo("/v1/chat/completions");
    assertThat(toOpenAi.getHeaders().get("Authorization")).isEqualTo("Bearer " + SECRET_A);
    assertThat(MAPPER.readTree(toOpenAi.getBody().utf8()).get("model").asText())
        .isEqualTo("gpt-4o-2024-11-20");
    RecordedRequest toAzure = azure.takeRequest();
    assertThat(toAzure.getUrl().encodedPath())
        .isEqualTo("/openai/deployments/gpt4o-eastus/chat/completions");
    assertThat(toAzure.getUrl().queryParameter("api-version")).isEqualTo("2024-10-21");
    assertThat(toAzure.getHeaders().get("api-key")).isEqualTo(SECRET_B);
    assertThat(toAzure.getHeaders().get("Authorization")).isNull();
    assertThat(MAPPER.readTree(toAzure.getBody().utf8()).get("model").asText()).isEqualTo("smart");
  }

  /**
   * A base URL may carry query parameters a gateway in front of the models asks for (Azure API
   * Management's {@code subscription-key}, a proxy's region): every call keeps them, after its own
   * path and query.
   */
  @Test
  void aBaseUrlsQueryParametersGoWithEveryCall() throws Exception {
    MockWebServer openAi = server(ok("openai"));
    MockWebServer apim = server(ok("apim"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(
                    dev.aigateway.core.routing.Backend.openAiCompatible(
                        "proxy", openAi.url("/v1").toString() + "?region=eu&tier=a%20b"))
                .backend(
                    dev.aigateway.core.routing.Backend.azureOpenAi(
                            "apim",
                            apim.url("/aoai/").toString() + "?subscription-key=apim-KEY",
                            "2024-10-21")
                        .model("gpt-4o", "gpt4o-eastus"))
                .build());

    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("openai");
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("apim");

    RecordedRequest toProxy = openAi.takeRequest();
    assertThat(toProxy.getUrl().encodedPath()).isEqualTo("/v1/chat/completions");
    assertThat(toProxy.getUrl().encodedQuery()).isEqualTo("region=eu&tier=a%20b");
    RecordedRequest toApim = apim.takeRequest();
    assertThat(toApim.getUrl().encodedPath())
        .isEqualTo("/aoai/openai/deployments/gpt4o-eastus/chat/completions");
    assertThat(toApim.getUrl().encodedQuery())
        .isEqualTo("api-version=2024-10-21&subscription-key=apim-KEY");
  }

  @Test
  void azureV1FlavourPutsTheDeploymentInTheBody() throws Exception {
    MockWebServer azure = server(ok("azure"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(
                    dev.aigateway.core.routing.Backend.azureOpenAiV1(
                            "v1", azure.url("/").toString())
                        .model("gpt-4o", "my-deployment")
                        .credential(Credentials.bearerToken("entra-token")))
                .build());

    servedBy(
        client,
        post(
            appTarget
                .url("/openai/deployments/whatever/chat/completions" + "?api-version=2024-02-01")
                .toString(),
            chatRequest("gpt-4o", "Hi", "")));

    RecordedRequest sent = azure.takeRequest();
    assertThat(sent.getUrl().encodedPath()).isEqualTo("/openai/v1/chat/completions");
    assertThat(sent.getUrl().query()).isNull();
    assertThat(sent.getHeaders().get("Authorization")).isEqualTo("Bearer entra-token");
    assertThat(MAPPER.readTree(sent.getBody().utf8()).get("model").asText())
        .isEqualTo("my-deployment");
  }

  @Test
  void aModelNoBackendServesIsAnsweredLocallyWith404() throws Exception {
    MockWebServer a = server();
    OkHttpClient client =
        client(BackendPool.builder().backend(openAi("a", a).model("gpt-4o", "gpt-4o")).build());

    try (Response response = client.newCall(chat("gpt-5-ultra")).execute()) {
      assertThat(response.code()).isEqualTo(404);
      JsonNode error = MAPPER.readTree(response.body().string()).get("error");
      assertThat(error.get("code").asText()).isEqualTo("model_not_found");
      assertThat(error.get("message").asText()).contains("gpt-5-ultra");
    }
    assertThat(a.getRequestCount()).isZero();
  }

  @Test
  void aTrafficSplitSendsAShareOfConsumersToTheVariantAndSticks() throws Exception {
    MockWebServer a = server(ok("a"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("a", a))
                .split(TrafficSplit.forModel("gpt-4o").send(30, "gpt-4.1").build())
                .build(),
            AiGateway.builder().consumerKey(KeyResolvers.header("x-consumer")));

    int variants = 0;
    for (int i = 0; i < 30; i++) {
      servedBy(client, chat("gpt-4o", "x-consumer", "c" + i));
      GatewayEvent event = lastEvent();
      String model = MAPPER.readTree(a.takeRequest().getBody().utf8()).get("model").asText();
      if (event.routing().variant() != null) {
        variants++;
        assertThat(event.routing().variant()).isEqualTo("gpt-4.1");
        assertThat(model).isEqualTo("gpt-4.1");
      } else {
        assertThat(model).isEqualTo("gpt-4o");
      }
      servedBy(client, chat("gpt-4o", "x-consumer", "c" + i));
      assertThat(lastEvent().routing().variant()).isEqualTo(event.routing().variant());
      a.takeRequest();
    }
    assertThat(variants).isBetween(1, 29); // proportions: RouterTest, over 10,000 consumers
  }

  @Test
  void oneReservationPerCallNotPerAttempt() throws Exception {
    MockWebServer down = server(failure(500));
    MockWebServer up = server(ok("up"));
    OkHttpClient client =
        client(
            BackendPool.builder().backend(openAi("down", down)).backend(openAi("up", up)).build(),
            AiGateway.builder()
                .tokenLimit(
                    TokenLimit.global()
                        .tokensPerMinute(1_000)
                        .remainingTokensHeader("x-remaining")));

    try (Response response =
        client
            .newCall(
                post(
                    appTarget.url("/v1/chat/completions").toString(),
                    chatRequest("gpt-4o", "Hi", "\"max_tokens\":100")))
            .execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.header("x-remaining")).isEqualTo(String.valueOf(1000 - 8 - 100));
      response.body().string();
    }
    GatewayEvent event = lastEvent();
    assertThat(event.routing().attempts()).hasSize(2);
    assertThat(event.limits().reservedTokens()).isEqualTo(108);
    assertThat(event.limits().settledTokens()).isEqualTo(10);
  }

  @Test
  void credentialsNeverAppearInEventsOrLogLines() throws Exception {
    MockWebServer a = server(failure(500));
    MockWebServer b = server(ok("b"));
    List<String> lines = new CopyOnWriteArrayList<>();
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("a", a).credential(Credentials.apiKey(SECRET_A)))
                .backend(
                    dev.aigateway.core.routing.Backend.azureOpenAiV1("b", b.url("/").toString())
                        .credential(Credentials.apiKey(SECRET_B)))
                .build(),
            AiGateway.builder()
                .listener(event -> lines.add(LoggingListener.format(event) + " " + event))
                .listener(LoggingListener.create()));

    for (int i = 0; i < 3; i++) {
      servedBy(client, chat("gpt-4o"));
    }

    assertThat(lines).hasSize(3).noneMatch(l -> l.contains("SECRET"));
    assertThat(transitions.toString()).doesNotContain("SECRET");
    assertThat(
            BackendPool.builder()
                .backend(openAi("x", a).credential(Credentials.apiKey(SECRET_A)))
                .build()
                .toString())
        .doesNotContain("SECRET");
  }

  /**
   * A pool of one backend that always fails with 500, retried once after a backoff as long as the
   * deadline. The backoff is drawn at random below its ceiling (full jitter), so a ceiling of some
   * minutes falls under a second in one call of a few hundred: the ceiling is two centuries, and
   * the deadline is what bounds the backoff.
   */
  private BackendPool failingWithLongBackoff(MockWebServer server, Duration deadline) {
    answerAlways(server, failure(500));
    Duration centuries = Duration.ofDays(365L * 200);
    return BackendPool.builder()
        .backend(openAi("a", server))
        .failover(
            Failover.builder().maxAttempts(2).deadline(deadline).backoff(centuries, centuries))
        .build();
  }

  /** Answers every call after 3 s; the latch opens once a call arrived. */
  private static CountDownLatch answerLate(MockWebServer server) {
    CountDownLatch arrived = new CountDownLatch(1);
    MockResponse late = ok("late").newBuilder().headersDelay(3, TimeUnit.SECONDS).build();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            arrived.countDown();
            return late;
          }
        });
    return arrived;
  }

  /** Runs the call on a thread of its own: its response's status, or the failure it ended with. */
  private static CompletableFuture<Object> executeAside(Call call) {
    CompletableFuture<Object> ended = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try (Response response = call.execute()) {
                response.body().string();
                ended.complete(response.code());
              } catch (Throwable e) {
                ended.complete(e);
              }
            });
    thread.setDaemon(true);
    thread.start();
    return ended;
  }

  @Test
  void aCallCancelledDuringItsBackoffEndsPromptlyWithOneEvent() throws Exception {
    MockWebServer a = server();
    OkHttpClient client = client(failingWithLongBackoff(a, Duration.ofMinutes(30)));
    Call call = client.newCall(chat("gpt-4o"));

    CompletableFuture<Object> ended = executeAside(call);
    assertThat(a.takeRequest(5, TimeUnit.SECONDS)).isNotNull(); // the first attempt: a 500
    Thread.sleep(300); // the loop is in its backoff before retrying the only backend
    call.cancel();

    assertThat(ended.get(5, TimeUnit.SECONDS))
        .isInstanceOf(IOException.class)
        .hasFieldOrPropertyWithValue("message", "Canceled");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(event.errorType()).isEqualTo("cancelled");
    assertThat(event.usage().tokens().totalTokens()).isZero();
    assertThat(a.getRequestCount()).isEqualTo(1);
    Thread.sleep(100);
    assertThat(events.all).hasSize(1);
  }

  @Test
  void aCallCancelledAsARetryableAnswerArrivesIsNotPlannedOntoAnotherBackend() throws Exception {
    MockWebServer a = server(failure(503));
    MockWebServer b = server(ok("b"));
    AtomicInteger credentialsAsked = new AtomicInteger();
    CredentialProvider countingKey =
        () -> {
          credentialsAsked.incrementAndGet();
          return new Credential(Credential.Kind.API_KEY, SECRET_B);
        };
    // The application cancels the call the moment the 503's headers arrive.
    OkHttpClient cancelling =
        new OkHttpClient.Builder()
            .eventListener(
                new EventListener() {
                  @Override
                  public void responseHeadersEnd(Call call, Response response) {
                    if (response.code() == 503) {
                      call.cancel();
                    }
                  }
                })
            .build();
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            cancelling,
            AiGateway.builder()
                .clock(clock)
                .backendPool(
                    BackendPool.builder()
                        .backend(openAi("a", a).priority(1))
                        .backend(openAi("b", b).priority(2).credential(countingKey)))
                .listener(events)
                .build());

    assertThatThrownBy(() -> client.newCall(chat("gpt-4o")).execute())
        .isInstanceOf(IOException.class)
        .hasMessage("Canceled");

    GatewayEvent event = events.next(); // the call ends with the answer it had
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(event.errorType()).isEqualTo("503");
    assertThat(event.routing().attempts())
        .as("the attempts of a call cancelled as a's 503 arrived")
        .extracting(Attempt::backendId)
        .containsExactly("a");
    assertThat(event.routing().failoverReason()).isNull();
    assertThat(credentialsAsked).as("b's credential asked for a cancelled call").hasValue(0);
    assertThat(b.getRequestCount()).isZero();
    Thread.sleep(100);
    assertThat(events.all).hasSize(1);
  }

  @Test
  void aCallCancelledBeforeItsResponseHeadersEndsWithOneCancelledEventChargingNothing()
      throws Exception {
    MockWebServer a = server();
    CountDownLatch sent = answerLate(a);
    OkHttpClient client =
        client(
            BackendPool.builder().backend(openAi("a", a)).build(),
            AiGateway.builder()
                .tokenLimit(
                    TokenLimit.global()
                        .tokensPerMinute(1_000_000)
                        .requestsPerMinute(10)
                        .maxInFlight(1)));
    Call call = client.newCall(chat("gpt-4o"));

    CompletableFuture<Object> ended = executeAside(call);
    assertThat(sent.await(5, TimeUnit.SECONDS)).isTrue(); // sent; its headers are delayed
    Thread.sleep(200);
    call.cancel();

    assertThat(ended.get(5, TimeUnit.SECONDS))
        .isInstanceOf(IOException.class)
        .hasFieldOrPropertyWithValue("message", "Canceled");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(event.errorType()).isEqualTo("cancelled");
    assertThat(event.usage().tokens().totalTokens()).isZero();
    assertThat(event.limits().settledTokens()).isZero();
    assertThat(event.limits().settledRequests()).isZero();
    assertThat(event.routing().attempts()).hasSize(1);
    Thread.sleep(100);
    assertThat(events.all).hasSize(1);
    assertThat(transitions).isEmpty(); // no verdict against the backend
  }

  @Test
  void aDirectCallCancelledBeforeItsResponseHeadersEndsWithOneCancelledEvent() throws Exception {
    CountDownLatch sent = answerLate(appTarget);
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .clock(clock)
                .tokenLimit(TokenLimit.global().tokensPerMinute(1_000_000).maxInFlight(1))
                .listener(events)
                .build());
    Call call = client.newCall(chat("gpt-4o"));

    CompletableFuture<Object> ended = executeAside(call);
    assertThat(sent.await(5, TimeUnit.SECONDS)).isTrue();
    Thread.sleep(200);
    call.cancel();

    assertThat(ended.get(5, TimeUnit.SECONDS))
        .isInstanceOf(IOException.class)
        .hasFieldOrPropertyWithValue("message", "Canceled");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(event.usage().tokens().totalTokens()).isZero();
    assertThat(event.limits().settledTokens()).isZero();
    Thread.sleep(100);
    assertThat(events.all).hasSize(1);
  }

  @Test
  void theClientsCallTimeoutBeforeTheResponseHeadersFailsTheCall() throws Exception {
    MockWebServer a = server(ok("a").newBuilder().headersDelay(3, TimeUnit.SECONDS).build());
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient.Builder().callTimeout(Duration.ofMillis(500)).build(),
            AiGateway.builder()
                .clock(clock)
                .backendPool(BackendPool.builder().backend(openAi("a", a)).build())
                .listener(events)
                .build());

    CompletableFuture<Object> ended = executeAside(client.newCall(chat("gpt-4o")));

    assertThat(ended.get(5, TimeUnit.SECONDS))
        .isInstanceOf(InterruptedIOException.class)
        .hasFieldOrPropertyWithValue("message", "timeout");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo(InterruptedIOException.class.getName());
  }

  @Test
  void aBackendSilentUntilTheClientsCallTimeoutIsAFailureForItsBreaker() throws Exception {
    MockWebServer hung = server(ok("hung").newBuilder().headersDelay(5, TimeUnit.SECONDS).build());
    MockWebServer steady = server(ok("steady"));
    OkHttpClient client =
        client(
            new OkHttpClient.Builder().callTimeout(Duration.ofMillis(500)).build(),
            BackendPool.builder()
                .backend(openAi("hung", hung).priority(1))
                .backend(openAi("steady", steady).priority(2))
                .circuitBreaker(
                    CircuitBreakerPolicy.builder().failureCount(1, Duration.ofSeconds(10)).build())
                .build());

    CompletableFuture<Object> ended = executeAside(client.newCall(chat("gpt-4o")));

    assertThat(ended.get(10, TimeUnit.SECONDS))
        .isInstanceOf(InterruptedIOException.class)
        .hasFieldOrPropertyWithValue("message", "timeout");
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.FAILED);
    // The backend never answered within the call's time: a timeout, which trips its breaker as a
    // read timeout would, so the next calls go to the backend that answers.
    assertThat(transitions)
        .extracting(BreakerTransition::backendId, BreakerTransition::to)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("hung", BreakerState.OPEN));
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("steady");
    assertThat(hung.getRequestCount()).isEqualTo(1);
  }

  @Test
  void aStreamSilentUntilTheClientsCallTimeoutIsAFailureForItsBreaker() throws Exception {
    MockWebServer held = server();
    MockWebServer other = server();
    String stream = Backend.chatStream("gpt-4o", true, 5, 5, true);
    answerAlways(
        held,
        new MockResponse.Builder(Backend.sse(": keep-alive\n\n" + stream))
            .throttleBody(": keep-alive\n\n".length(), 5, TimeUnit.SECONDS)
            .build());
    answerAlways(other, Backend.sse(stream));
    OkHttpClient client =
        client(
            new OkHttpClient.Builder().callTimeout(Duration.ofMillis(800)).build(),
            BackendPool.builder()
                .backend(openAi("held", held).priority(1))
                .backend(openAi("other", other).priority(2))
                .circuitBreaker(
                    CircuitBreakerPolicy.builder().failureCount(1, Duration.ofSeconds(10)).build())
                .build());

    CompletableFuture<Object> ended = executeAside(client.newCall(streamedChat()));

    assertThat(ended.get(10, TimeUnit.SECONDS))
        .isInstanceOf(InterruptedIOException.class)
        .hasFieldOrPropertyWithValue("message", "timeout");
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(transitions)
        .extracting(BreakerTransition::backendId, BreakerTransition::to)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("held", BreakerState.OPEN));
    assertThat(other.getRequestCount()).isZero();
  }

  @Test
  void theClientsCallTimeoutWhileAStreamIsHeldForItsFirstEventFailsTheCall() throws Exception {
    MockWebServer held = server();
    MockWebServer other = server();
    String stream = Backend.chatStream("gpt-4o", true, 5, 5, true);
    answerAlways(
        held,
        new MockResponse.Builder(Backend.sse(": keep-alive\n\n" + stream))
            .throttleBody(": keep-alive\n\n".length(), 3, TimeUnit.SECONDS)
            .build());
    answerAlways(other, Backend.sse(stream));
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient.Builder().callTimeout(Duration.ofMillis(800)).build(),
            AiGateway.builder()
                .clock(clock)
                .backendPool(
                    BackendPool.builder()
                        .backend(openAi("held", held))
                        .backend(openAi("other", other))
                        .build())
                .listener(events)
                .build());

    CompletableFuture<Object> ended = executeAside(client.newCall(streamedChat()));

    assertThat(ended.get(5, TimeUnit.SECONDS))
        .isInstanceOf(InterruptedIOException.class)
        .hasFieldOrPropertyWithValue("message", "timeout");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo(InterruptedIOException.class.getName());
    assertThat(other.getRequestCount()).isZero();
  }

  @Test
  void theClientsCallTimeoutEndsACallInItsBackoff() throws Exception {
    MockWebServer a = server();
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(1)).build(),
            AiGateway.builder()
                .clock(clock)
                .backendPool(failingWithLongBackoff(a, Duration.ofMinutes(30)))
                .listener(events)
                .build());

    long started = System.nanoTime();
    CompletableFuture<Object> ended = executeAside(client.newCall(chat("gpt-4o")));

    Object end = ended.get(6, TimeUnit.SECONDS);
    long endedAfterMillis = (System.nanoTime() - started) / 1_000_000;
    // Should the call ever end otherwise, the attempts and their durations tell why: a retry
    // (a backoff cut short) or none (the call not moved on).
    assertThat(end)
        .as(
            () ->
                "the call's end after "
                    + endedAfterMillis
                    + " ms, "
                    + a.getRequestCount()
                    + " request(s) to the backend, events "
                    + events.all)
        .isInstanceOf(IOException.class);
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(a.getRequestCount()).isEqualTo(1);
  }

  @Test
  void aDeadlineLongerThanNanosecondsCountIsNoDeadline() throws Exception {
    MockWebServer a = server(failure(500));
    MockWebServer b = server(ok("b"));
    MockWebServer streaming = server(Backend.sse(Backend.chatStream("gpt-4o", true, 5, 5, true)));
    Failover.Builder forever = Failover.builder().deadline(ChronoUnit.FOREVER.getDuration());
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("a", a).priority(1))
                .backend(openAi("b", b).priority(2))
                .failover(forever)
                .build());
    OkHttpClient streams =
        client(
            BackendPool.builder()
                .backend(openAi("streaming", streaming))
                .failover(forever)
                .build());

    // The call moves on from a's 500 to b; a stream is held for its first event.
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("b");
    assertThat(events.next().routing().attempts())
        .extracting(Attempt::backendId, Attempt::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("a", 500),
            org.assertj.core.groups.Tuple.tuple("b", 200));
    try (Response response = streams.newCall(streamedChat()).execute()) {
      assertThat(response.body().string())
          .isEqualTo(Backend.chatStream("gpt-4o", false, 5, 5, true));
    }
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
    // So is a first-event timeout as long: the stream is held with no bound but the deadline.
    OkHttpClient patient =
        client(
            BackendPool.builder()
                .backend(openAi("streaming", streaming))
                .failover(Failover.builder().firstEventTimeout(ChronoUnit.FOREVER.getDuration()))
                .build());
    try (Response response = patient.newCall(streamedChat()).execute()) {
      assertThat(response.body().string())
          .isEqualTo(Backend.chatStream("gpt-4o", false, 5, 5, true));
    }
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @Test
  void aBackoffNeverOutlastsTheFailoverDeadline() throws Exception {
    MockWebServer a = server();
    OkHttpClient client = client(failingWithLongBackoff(a, Duration.ofSeconds(1)));

    CompletableFuture<Object> ended = executeAside(client.newCall(chat("gpt-4o")));

    // The retry starts by the deadline, a second after the call started, not minutes later.
    assertThat(ended.get(6, TimeUnit.SECONDS)).isEqualTo(500);
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
  }

  @Test
  void aListenerThrowingAnErrorOnABreakerTransitionNeverBreaksTheCall() throws Exception {
    MockWebServer bad = server(failure(500));
    MockWebServer good = server(ok("good"));
    GatewayListener broken =
        new GatewayListener() {
          @Override
          public void onEvent(GatewayEvent event) {}

          @Override
          public void onBreakerTransition(BreakerTransition transition) {
            throw new NoClassDefFoundError("a listener's missing class");
          }
        };
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi("bad", bad))
                .backend(openAi("good", good))
                .circuitBreaker(
                    CircuitBreakerPolicy.builder().failureCount(1, Duration.ofSeconds(10)))
                .build(),
            AiGateway.builder().listener(broken));

    // The breaker of "bad" opens on the call's first attempt; the failing listener is logged,
    // the call fails over as it would without it and the listeners after it are told.
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("good");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.routing().backendId()).isEqualTo("good");
    assertThat(events.none()).isTrue();
    assertThat(transitions)
        .extracting(BreakerTransition::backendId, BreakerTransition::to)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("bad", BreakerState.OPEN));
  }

  @Test
  void okHttpsOwnRepeatOfA503WithRetryAfterZeroOrOfA408IsOneAttempt() throws Exception {
    MockWebServer a = server();
    a.enqueue(failure(503, "Retry-After", "0"));
    a.enqueue(ok("a"));
    a.enqueue(failure(408));
    a.enqueue(ok("a"));
    a.enqueue(failure(408, "Retry-After", "1"));
    a.enqueue(failure(408));
    BackendPool pool =
        BackendPool.builder()
            .backend(openAi("a", a))
            .circuitBreaker(CircuitBreakerPolicy.builder().failureCount(1, Duration.ofSeconds(10)))
            .build();
    OkHttpClient client = client(pool);

    // OkHttp's RetryAndFollowUpInterceptor, below the gateway's interceptor, repeats the request
    // on the same backend at once: the gateway sees the second answer only.
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("a");
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("a");
    assertThat(a.getRequestCount()).isEqualTo(4);
    for (int i = 0; i < 2; i++) {
      GatewayEvent event = events.next();
      assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(event.routing().attempts())
          .extracting(Attempt::backendId, Attempt::status)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("a", 200));
    }
    assertThat(transitions).isEmpty(); // the breaker never heard the 503

    // A 408 that asks for a wait is not repeated: the gateway sees it.
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("status 408");
    assertThat(a.getRequestCount()).isEqualTo(5);
    assertThat(events.next().routing().attempts())
        .extracting(Attempt::backendId, Attempt::status)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("a", 408));

    // Without retryOnConnectionFailure, OkHttp repeats no 408: the gateway sees it.
    OkHttpClient noRepeats =
        OkHttpAiGateway.wrap(
            new OkHttpClient.Builder().retryOnConnectionFailure(false).build(),
            AiGateway.builder().clock(clock).backendPool(pool).listener(events).build());
    assertThat(servedBy(noRepeats, chat("gpt-4o"))).isEqualTo("status 408");
    assertThat(a.getRequestCount()).isEqualTo(6);
    assertThat(events.next().routing().attempts())
        .extracting(Attempt::backendId, Attempt::status)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("a", 408));
  }

  @Test
  void okHttpsOwnRepeatAfterAReusedConnectionDropsIsOneAttempt() throws Exception {
    MockWebServer a = server();
    a.enqueue(ok("a"));
    // The backend reads the whole request, then the connection drops before any answer.
    a.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
    a.enqueue(ok("a"));
    BackendPool pool =
        BackendPool.builder()
            .backend(openAi("a", a))
            .circuitBreaker(CircuitBreakerPolicy.builder().failureCount(1, Duration.ofSeconds(10)))
            .build();
    OkHttpClient client = client(pool);
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("a");
    events.next();

    // The second call goes out on the pooled connection of the first. OkHttp's
    // RetryAndFollowUpInterceptor, below the gateway's interceptor, sends it again on a new
    // connection to the same backend: the backend got the request twice, the gateway saw one
    // answer.
    assertThat(servedBy(client, chat("gpt-4o"))).isEqualTo("a");
    assertThat(a.getRequestCount()).isEqualTo(3);
    a.takeRequest();
    assertThat(a.takeRequest().getBody().utf8()).isEqualTo(a.takeRequest().getBody().utf8());
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.routing().attempts())
        .extracting(Attempt::backendId, Attempt::status)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("a", 200));
    assertThat(transitions).isEmpty(); // the breaker never heard of the dropped connection

    // Without retryOnConnectionFailure, the drop is the gateway's failed attempt: its breaker
    // hears it, and the call fails (no backend left).
    a.enqueue(ok("a"));
    a.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
    OkHttpClient noRepeats =
        OkHttpAiGateway.wrap(
            new OkHttpClient.Builder().retryOnConnectionFailure(false).build(),
            AiGateway.builder()
                .clock(clock)
                .backendPool(pool)
                .listener(events)
                .listener(
                    new GatewayListener() {
                      @Override
                      public void onEvent(GatewayEvent event) {}

                      @Override
                      public void onBreakerTransition(BreakerTransition transition) {
                        transitions.add(transition);
                      }
                    })
                .build());
    assertThat(servedBy(noRepeats, chat("gpt-4o"))).isEqualTo("a");
    events.next();
    assertThatThrownBy(() -> servedBy(noRepeats, chat("gpt-4o"))).isInstanceOf(IOException.class);
    assertThat(a.getRequestCount()).isEqualTo(5);
    assertThat(events.next().routing().attempts())
        .extracting(Attempt::backendId, Attempt::errorType)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("a", "java.io.IOException"));
    assertThat(transitions)
        .extracting(BreakerTransition::backendId, BreakerTransition::to)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("a", BreakerState.OPEN));
  }

  private GatewayEvent lastEvent() {
    return events.all.get(events.all.size() - 1);
  }

  private GatewayEvent firstEvent() {
    return events.all.get(0);
  }
}
