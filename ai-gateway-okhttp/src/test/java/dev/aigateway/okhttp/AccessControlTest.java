package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.AccessCheck;
import dev.aigateway.api.AccessInfo;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayRejectedException;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.RoleResolver;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.access.AccessPolicy;
import dev.aigateway.core.limit.TokenLimit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

/** Access rules end to end: real OkHttp, MockWebServer as the backend. */
class AccessControlTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();
  private final List<RecordedRequest> received = new java.util.concurrent.CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            received.add(request);
            return Backend.json(chatCompletion("gpt-4o-mini", 7, 3));
          }
        });
    server.start();
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private AiGateway.Builder gateway() {
    return AiGateway.builder()
        .listener(events)
        .consumerKey(KeyResolvers.header("x-consumer-id"))
        .roleResolver(RoleResolver.header("x-roles"))
        .accessPolicy(
            AccessPolicy.denyByDefault()
                .role(
                    "analyst",
                    rule -> rule.models("gpt-4o-mini*").streaming(false).maxOutputTokens(1_000))
                .role("engineer", rule -> rule.models("gpt-4o*"))
                .consumer("batch", rule -> rule.operations(Operation.EMBEDDINGS)));
  }

  private Response send(OkHttpClient client, String consumer, String roles, String body)
      throws Exception {
    return client
        .newCall(
            post(
                server.url("/v1/chat/completions").toString(),
                body,
                "x-consumer-id",
                consumer,
                "x-roles",
                roles))
        .execute();
  }

  @Test
  void deniedCallNeverReachesTheBackendAndAnswers403InOpenAisShape() throws Exception {
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway().build());

    try (Response response =
        send(client, "u1", "analyst", chatRequest("gpt-4o", "Hi", "\"max_tokens\":50"))) {
      assertThat(response.code()).isEqualTo(403);
      assertThat(response.header("x-ai-gateway-rejected")).isEqualTo("access-denied");
      assertThat(response.header("x-should-retry")).isEqualTo("false");
      JsonNode error = JSON.readTree(response.body().string()).get("error");
      assertThat(error.get("code").asText()).isEqualTo("access_denied");
      assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
      assertThat(error.get("param").asText()).isEqualTo("model");
      assertThat(error.get("message").asText())
          .contains("'u1'")
          .contains("'role:analyst'")
          .contains("(model)")
          .contains("gpt-4o");
    }

    assertThat(server.getRequestCount()).isZero();
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(event.status()).isEqualTo(403);
    assertThat(event.rejection()).isEqualTo(RejectionReason.ACCESS_DENIED);
    assertThat(event.access())
        .isEqualTo(new AccessInfo(AccessInfo.Decision.DENIED, "role:analyst", AccessCheck.MODEL));
    assertThat(event.toString()).contains("access=role:analyst/MODEL");
  }

  @Test
  void aDeniedAnthropicOrGeminiCallIsAnsweredInItsProvidersErrorShape() throws Exception {
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway().build());
    String anthropic =
        "{\"model\":\"claude-sonnet-4\",\"max_tokens\":50,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    try (Response response =
        client
            .newCall(post(server.url("/v1/messages").toString(), anthropic, "x-consumer-id", "u1"))
            .execute()) {
      assertThat(response.code()).isEqualTo(403);
      assertThat(response.header("x-ai-gateway-rejected")).isEqualTo("access-denied");
      JsonNode body = JSON.readTree(response.body().string());
      assertThat(body.path("type").asText()).isEqualTo("error");
      assertThat(body.path("error").path("type").asText()).isEqualTo("permission_error");
      assertThat(body.path("error").path("message").asText()).contains("'u1'");
    }
    assertThat(events.next().rejection()).isEqualTo(RejectionReason.ACCESS_DENIED);

    String gemini = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]}]}";
    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1beta/models/gemini-2.5-flash:generateContent").toString(),
                    gemini,
                    "x-consumer-id",
                    "u1"))
            .execute()) {
      assertThat(response.code()).isEqualTo(403);
      JsonNode error = JSON.readTree(response.body().string()).path("error");
      assertThat(error.path("status").asText()).isEqualTo("PERMISSION_DENIED");
    }
    assertThat(events.next().rejection()).isEqualTo(RejectionReason.ACCESS_DENIED);
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void allowedCallReachesTheBackendWithoutTheGatewayHeaders() throws Exception {
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway().build());

    try (Response response =
        send(client, "u1", "analyst", chatRequest("gpt-4o-mini", "Hi", "\"max_tokens\":50"))) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }

    assertThat(received).hasSize(1);
    assertThat(received.get(0).getHeaders().get("x-roles")).isNull();
    assertThat(received.get(0).getHeaders().get("x-consumer-id")).isNull();
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.access())
        .isEqualTo(new AccessInfo(AccessInfo.Decision.ALLOWED, "role:analyst", null));
  }

  @Test
  void rolesOnSeparateHeaderLinesAllCountAsOneCommaSeparatedLineWould() throws Exception {
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway().build());
    okhttp3.Request twoLines =
        post(
                server.url("/v1/chat/completions").toString(),
                chatRequest("gpt-4o", "Hi", "\"max_tokens\":50"),
                "x-consumer-id",
                "u1")
            .newBuilder()
            .addHeader("x-roles", "analyst")
            .addHeader("x-roles", "engineer")
            .build();

    try (Response response = client.newCall(twoLines).execute()) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }

    assertThat(received).hasSize(1);
    assertThat(received.get(0).getHeaders().values("x-roles")).isEmpty();
    assertThat(events.next().access())
        .isEqualTo(new AccessInfo(AccessInfo.Decision.ALLOWED, "role:engineer", null));
  }

  @Test
  void deniedStreamIsAnsweredBeforeAnyTokenIsReserved() throws Exception {
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)).build());

    try (Response response =
        send(
            client,
            "u1",
            "analyst",
            chatRequest("gpt-4o-mini", "Hi", "\"max_tokens\":50,\"stream\":true"))) {
      assertThat(response.code()).isEqualTo(403);
      assertThat(response.body().string()).contains("\"param\":\"stream\"");
    }

    GatewayEvent event = events.next();
    assertThat(event.access().check()).isEqualTo(AccessCheck.STREAM);
    assertThat(event.limits().reservedTokens()).isZero();
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void throwingGatewaysThrowTheDenialAsAnIoException() {
    OkHttpClient client =
        OkHttpAiGateway.wrap(new OkHttpClient(), gateway().throwOnRejection(true).build());

    assertThatThrownBy(
            () -> send(client, "nobody", "", chatRequest("gpt-4o", "Hi", "\"max_tokens\":5")))
        .isInstanceOf(GatewayRejectedException.class)
        .hasMessageContaining("policy denies by default")
        .satisfies(
            e ->
                assertThat(((GatewayRejectedException) e).reason())
                    .isEqualTo(RejectionReason.ACCESS_DENIED));
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void manyThreadsWithMixedConsumersGetExactlyTheirRulesDecisions() throws Exception {
    int threads = 32;
    int callsPerThread = 20;
    okhttp3.Dispatcher dispatcher = new okhttp3.Dispatcher();
    dispatcher.setMaxRequests(threads);
    dispatcher.setMaxRequestsPerHost(threads);
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient.Builder()
                .dispatcher(dispatcher)
                .connectionPool(new ConnectionPool(threads, 1, TimeUnit.MINUTES))
                .build(),
            gateway().build());
    // Each thread is one caller; what each may do is known in advance.
    String[][] callers = {
      {"analyst", "gpt-4o-mini", "true"},
      {"analyst", "gpt-4o", "false"},
      {"engineer", "gpt-4o", "true"},
      {"", "gpt-4o-mini", "false"},
    };
    AtomicInteger wrong = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<int[]>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String[] caller = callers[t % callers.length];
      String consumer = "c" + t;
      results.add(
          pool.submit(
              () -> {
                int ok = 0;
                int denied = 0;
                for (int i = 0; i < callsPerThread; i++) {
                  try (Response response =
                      send(
                          client,
                          consumer,
                          caller[0],
                          chatRequest(caller[1], "Hi " + i, "\"max_tokens\":10"))) {
                    response.body().string();
                    boolean expectAllowed = Boolean.parseBoolean(caller[2]);
                    if (response.code() == 200) {
                      ok++;
                    } else if (response.code() == 403) {
                      denied++;
                    }
                    if ((response.code() == 200) != expectAllowed) {
                      wrong.incrementAndGet();
                    }
                  }
                }
                return new int[] {ok, denied};
              }));
    }
    int ok = 0;
    int denied = 0;
    for (Future<int[]> f : results) {
      int[] r = f.get(60, TimeUnit.SECONDS);
      ok += r[0];
      denied += r[1];
    }
    pool.shutdown();

    assertThat(wrong.get()).isZero();
    assertThat(ok).isEqualTo(threads / 2 * callsPerThread);
    assertThat(denied).isEqualTo(threads / 2 * callsPerThread);
    assertThat(server.getRequestCount()).isEqualTo(ok);
    // One event per call, each with its own consumer and the decision its rules give.
    for (int i = 0; i < threads * callsPerThread; i++) {
      GatewayEvent event = events.next();
      int t = Integer.parseInt(event.consumer().substring(1));
      boolean expectAllowed = Boolean.parseBoolean(callers[t % callers.length][2]);
      assertThat(event.access().decision())
          .isEqualTo(expectAllowed ? AccessInfo.Decision.ALLOWED : AccessInfo.Decision.DENIED);
    }
    assertThat(events.none()).isTrue();
  }

  @Test
  void anAzureDeploymentInThePathIsCheckedEvenWhenTheBodyNamesAnAllowedModel() throws Exception {
    // Azure OpenAI serves the deployment the path names and ignores a model in the body, so a
    // caller allowed only gpt-4o-mini must not reach the gpt-4o deployment by naming gpt-4o-mini.
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway().build());
    String url =
        server.url("/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21").toString();

    try (Response response =
        client
            .newCall(
                post(
                    url,
                    chatRequest("gpt-4o-mini", "Hi", "\"max_tokens\":50"),
                    "x-consumer-id",
                    "u1",
                    "x-roles",
                    "analyst"))
            .execute()) {
      assertThat(response.code()).isEqualTo(403);
      assertThat(response.body().string()).contains("deployment 'gpt-4o'");
    }

    assertThat(server.getRequestCount()).isZero();
    assertThat(events.next().access())
        .isEqualTo(new AccessInfo(AccessInfo.Decision.DENIED, "role:analyst", AccessCheck.MODEL));
  }
}
