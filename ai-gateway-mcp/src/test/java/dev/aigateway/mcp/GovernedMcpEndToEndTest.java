package dev.aigateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.ToolCallInfo;
import dev.aigateway.api.ToolCallInfo.Outcome;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.access.ToolAccess;
import dev.aigateway.core.agent.AgentGovernance;
import dev.aigateway.core.agent.McpServer;
import dev.aigateway.core.agent.ToolPolicy;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.ManualClock;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The real SDK client, over {@link GovernedMcp}'s transport, through a gateway that governs the
 * real SDK server it calls ({@code .mcpServer(..)} for the server's URL): filtering, access,
 * limits, caps, content checks and one event per JSON-RPC request, end to end.
 */
class GovernedMcpEndToEndTest {

  private static final String CONSUMER_HEADER = "x-consumer-id";

  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private final List<String> wire = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final ManualClock clock = ManualClock.at("2026-12-04T12:00:00Z");

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private TestMcpServer statefulServer() {
    TestMcpServer server = TestMcpServer.stateful();
    closeables.add(server);
    return server;
  }

  /**
   * The application's OkHttp client wrapped by a gateway governing {@code url} as MCP server
   * "tools"; a network interceptor records each exchange that reached the wire as "METHOD status".
   */
  private OkHttpClient governed(
      String url, UnaryOperator<McpServer.Builder> policy, Interceptor... outermost) {
    AiGateway gateway =
        AiGateway.builder()
            .clock(clock)
            .consumerKey(KeyResolvers.header(CONSUMER_HEADER))
            .listener(events::add)
            .mcpServer(policy.apply(McpServer.builder("tools", url)))
            .build();
    OkHttpClient base =
        new OkHttpClient.Builder()
            .addNetworkInterceptor(
                chain -> {
                  Response response = chain.proceed(chain.request());
                  wire.add(chain.request().method() + " " + response.code());
                  return response;
                })
            .build();
    OkHttpClient.Builder client = OkHttpAiGateway.wrap(base, gateway).newBuilder();
    for (Interceptor interceptor : outermost) {
      client.interceptors().add(0, interceptor);
    }
    return client.build();
  }

  /** An SDK client whose every request names {@code consumer} through the header supplier. */
  private McpSyncClient client(OkHttpClient governed, String url, String consumer) {
    McpSyncClient client =
        McpClient.sync(
                GovernedMcp.builder(governed, url)
                    .headers(() -> Map.of(CONSUMER_HEADER, consumer))
                    .build())
            .requestTimeout(Duration.ofSeconds(10))
            .build();
    closeables.add(client::closeGracefully);
    client.initialize();
    return client;
  }

  private static CallToolRequest call(String tool, Map<String, Object> arguments) {
    return CallToolRequest.builder(tool).arguments(arguments).build();
  }

  private static String text(CallToolResult result) {
    return ((TextContent) result.content().get(0)).text();
  }

  private static McpError mcpError(Throwable error) {
    assertThat(error).isInstanceOf(McpError.class);
    return (McpError) error;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(McpError error) {
    assertThat(error.getJsonRpcError().data()).isInstanceOf(Map.class);
    return (Map<String, Object>) error.getJsonRpcError().data();
  }

  private List<ToolCallInfo> toolEvents() {
    return events.stream().map(GatewayEvent::tool).toList();
  }

  private List<ToolCallInfo> callsOf(String tool) {
    return toolEvents().stream().filter(t -> tool.equals(t.tool())).toList();
  }

  @Test
  void toolsListIsFilteredPerConsumerFromTheSuppliedHeader() {
    TestMcpServer server = statefulServer();
    OkHttpClient governed =
        governed(
            server.url(),
            s ->
                s.access(
                    ToolAccess.denyByDefault()
                        .allowConsumer("alice", "*")
                        .allowConsumer("bob", "echo", "add")));

    McpSyncClient alice = client(governed, server.url(), "alice");
    McpSyncClient bob = client(governed, server.url(), "bob");

    assertThat(alice.listTools().tools())
        .extracting(Tool::name)
        .containsExactlyInAnyOrder("add", "echo", "slow", "fail", "progress", "sample");
    assertThat(bob.listTools().tools())
        .extracting(Tool::name)
        .containsExactlyInAnyOrder("add", "echo");
    assertThat(events)
        .filteredOn(e -> e.tool().method().equals("tools/list"))
        .extracting(GatewayEvent::consumer)
        .containsExactlyInAnyOrder("alice", "bob");
  }

  @Test
  void oneEventPerJsonRpcRequestAndNoneForNotificationsTheListenStreamOrTheDelete()
      throws Exception {
    TestMcpServer server = statefulServer();
    OkHttpClient governed = governed(server.url(), s -> s);
    McpSyncClient client =
        McpClient.sync(
                GovernedMcp.builder(governed, server.url())
                    .headers(() -> Map.of(CONSUMER_HEADER, "alice"))
                    .build())
            .requestTimeout(Duration.ofSeconds(10))
            .build();

    client.initialize();
    client.listTools();
    CallToolResult sum = client.callTool(call("add", Map.of("a", 2, "b", 3)));
    assertThat(text(sum)).isEqualTo("5");
    assertThat(client.closeGracefully()).isTrue();

    // The DELETE that ends the session reached the server; the notification was sent too.
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (wire.stream().noneMatch(w -> w.startsWith("DELETE ")) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(wire).anyMatch(w -> w.startsWith("DELETE 2"));
    assertThat(wire).anyMatch(w -> w.startsWith("POST 202")); // notifications/initialized
    assertThat(wire).as("the SDK's listen stream").anyMatch(w -> w.startsWith("GET 200"));
    assertThat(toolEvents())
        .extracting(ToolCallInfo::method)
        .containsExactly("initialize", "tools/list", "tools/call");
    assertThat(toolEvents())
        .allSatisfy(
            t -> {
              assertThat(t.kind()).isEqualTo(ToolCallInfo.Kind.MCP);
              assertThat(t.target()).isEqualTo("tools");
              assertThat(t.outcome()).isEqualTo(Outcome.OK);
            });
    GatewayEvent toolCall = events.get(2);
    assertThat(toolCall.consumer()).isEqualTo("alice");
    assertThat(toolCall.requestedModel()).isEqualTo("tools");
    assertThat(toolCall.tool().tool()).isEqualTo("add");
    assertThat(toolCall.tool().sessionId()).isNotBlank();
    assertThat(toolCall.tool().argumentBytes()).isGreaterThan(10);
    assertThat(toolCall.tool().resultBytes()).isGreaterThan(10);
    assertThat(toolCall.timing().latency()).isPositive();
    // A little later still: nothing else (listen stream, DELETE) produced an event.
    Thread.sleep(200);
    assertThat(events).hasSize(3);
  }

  @Test
  void aDeniedToolIsAnMcpErrorWithTheGatewaysCodeAndTheServerNeverSeesIt() {
    TestMcpServer server = statefulServer();
    McpSyncClient bob =
        client(
            governed(
                server.url(),
                s -> s.access(ToolAccess.allowByDefault().denyConsumer("bob", "fail"))),
            server.url(),
            "bob");

    Throwable thrown = catchThrowable(() -> bob.callTool(call("fail", Map.of())));

    McpError error = mcpError(thrown);
    assertThat(error.getJsonRpcError().code()).isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    assertThat(error.getMessage()).contains("fail", "tools", "bob");
    assertThat(data(error)).containsEntry("tool", "fail");
    assertThat(server.calls("fail")).isZero();
    assertThat(callsOf("fail"))
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.outcome()).isEqualTo(Outcome.DENIED);
              assertThat(t.errorCode()).isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
            });
    // The session is still usable after the refusal.
    assertThat(text(bob.callTool(call("echo", Map.of("text", "still here")))))
        .isEqualTo("still here");
    assertThat(server.calls("echo")).isEqualTo(1);
  }

  @Test
  void aDeniedToolCallEncodedInUtf16IsRefusedLikeItsUtf8Form() throws Exception {
    TestMcpServer server = TestMcpServer.stateless();
    closeables.add(server);
    OkHttpClient client =
        governed(
            server.url(), s -> s.access(ToolAccess.allowByDefault().denyConsumer("bob", "echo")));
    String call =
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
            + "\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}";

    // The SDK's server reads the body in the charset its Content-Type names, so this is the same
    // call as its UTF-8 form, and the same deny entry must refuse it.
    for (Charset charset :
        List.of(StandardCharsets.UTF_8, StandardCharsets.UTF_16, StandardCharsets.UTF_16LE)) {
      okhttp3.Request request =
          new okhttp3.Request.Builder()
              .url(server.url())
              .header(CONSUMER_HEADER, "bob")
              .header("Accept", "application/json, text/event-stream")
              .post(
                  okhttp3.RequestBody.create(
                      call.getBytes(charset),
                      MediaType.get("application/json; charset=" + charset.name())))
              .build();
      try (Response response = client.newCall(request).execute()) {
        String answer = response.body().string();
        assertThat(answer)
            .as(charset.name())
            .contains("\"code\":" + AgentGovernance.ACCESS_DENIED_CODE);
      }
    }
    assertThat(server.calls("echo")).isZero();
    assertThat(callsOf("echo"))
        .hasSize(3)
        .allSatisfy(t -> assertThat(t.outcome()).isEqualTo(Outcome.DENIED));
  }

  @Test
  void aDeniedToolCallFollowedByMoreTextIsRefused() throws Exception {
    TestMcpServer server = TestMcpServer.stateless();
    closeables.add(server);
    OkHttpClient client =
        governed(
            server.url(), s -> s.access(ToolAccess.allowByDefault().denyConsumer("bob", "echo")));
    String call =
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
            + "\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}";

    // The SDK's server reads the first JSON value of the body and ignores what follows it.
    for (String body : List.of(call + " x", call + call, call + "]", call + "{")) {
      okhttp3.Request request =
          new okhttp3.Request.Builder()
              .url(server.url())
              .header(CONSUMER_HEADER, "bob")
              .header("Accept", "application/json, text/event-stream")
              .post(okhttp3.RequestBody.create(body, MediaType.get("application/json")))
              .build();
      try (Response response = client.newCall(request).execute()) {
        assertThat(response.body().string()).as(body).doesNotContain("\"result\"");
      }
    }
    assertThat(server.calls("echo")).as("calls the server ran").isZero();
  }

  @Test
  void aDeniedToolCallNamingAnotherJsonRpcVersionIsRefused() throws Exception {
    TestMcpServer server = TestMcpServer.stateless();
    closeables.add(server);
    OkHttpClient client =
        governed(
            server.url(), s -> s.access(ToolAccess.allowByDefault().denyConsumer("bob", "echo")));
    String call =
        "\"id\":7,\"method\":\"tools/call\","
            + "\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}";

    // The SDK's server runs a request whatever its jsonrpc member holds, if it holds something.
    for (String version : List.of("\"1.0\"", "2.0", "\"2\"", "true")) {
      okhttp3.Request request =
          new okhttp3.Request.Builder()
              .url(server.url())
              .header(CONSUMER_HEADER, "bob")
              .header("Accept", "application/json, text/event-stream")
              .post(
                  okhttp3.RequestBody.create(
                      "{\"jsonrpc\":" + version + "," + call, MediaType.get("application/json")))
              .build();
      try (Response response = client.newCall(request).execute()) {
        assertThat(response.body().string())
            .as(version)
            .contains("\"code\":" + AgentGovernance.ACCESS_DENIED_CODE);
      }
    }
    assertThat(server.calls("echo")).as("calls the server ran").isZero();
    assertThat(callsOf("echo"))
        .hasSize(4)
        .allSatisfy(t -> assertThat(t.outcome()).isEqualTo(Outcome.DENIED));
  }

  @Test
  void aDeniedToolCallToTheServersPathWithRepeatedSlashesIsRefused() throws Exception {
    TestMcpServer server = TestMcpServer.stateless();
    closeables.add(server);
    OkHttpClient client =
        governed(
            server.url(), s -> s.access(ToolAccess.allowByDefault().denyConsumer("bob", "echo")));
    String call =
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
            + "\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}";
    String origin = server.url().substring(0, server.url().length() - TestMcpServer.PATH.length());

    // Tomcat merges repeated slashes before it maps a path to the SDK's servlet.
    for (String path : List.of("/mcp", "//mcp", "/mcp//", "///mcp/", "/x/../mcp")) {
      okhttp3.Request request =
          new okhttp3.Request.Builder()
              .url(origin + path)
              .header(CONSUMER_HEADER, "bob")
              .header("Accept", "application/json, text/event-stream")
              .post(okhttp3.RequestBody.create(call, MediaType.get("application/json")))
              .build();
      try (Response response = client.newCall(request).execute()) {
        assertThat(response.body().string())
            .as(path)
            .contains("\"code\":" + AgentGovernance.ACCESS_DENIED_CODE);
      }
    }
    assertThat(server.calls("echo")).as("calls the server ran").isZero();
    assertThat(callsOf("echo"))
        .hasSize(5)
        .allSatisfy(t -> assertThat(t.outcome()).isEqualTo(Outcome.DENIED));
  }

  @Test
  void aRateLimitedToolIsRefusedWithRetryAfterUntilTheClockMoves() {
    TestMcpServer server = statefulServer();
    McpSyncClient client =
        client(
            governed(server.url(), s -> s.tool("add", ToolPolicy.builder().callsPerMinute(2))),
            server.url(),
            "alice");

    client.callTool(call("add", Map.of("a", 1, "b", 1)));
    client.callTool(call("add", Map.of("a", 1, "b", 2)));
    Throwable thrown = catchThrowable(() -> client.callTool(call("add", Map.of("a", 1, "b", 3))));

    McpError error = mcpError(thrown);
    assertThat(error.getJsonRpcError().code()).isEqualTo(AgentGovernance.LIMITED_CODE);
    assertThat(data(error)).containsEntry("reason", "request-rate-limit").containsKey("retryAfter");
    assertThat(((Number) data(error).get("retryAfter")).longValue()).isBetween(1L, 60L);
    assertThat(server.calls("add")).isEqualTo(2);
    // Other tools are not limited by the tool's rate.
    assertThat(text(client.callTool(call("echo", Map.of("text", "x"))))).isEqualTo("x");

    clock.advance(Duration.ofMinutes(1));

    assertThat(text(client.callTool(call("add", Map.of("a", 2, "b", 2))))).isEqualTo("4");
    assertThat(server.calls("add")).isEqualTo(3);
    assertThat(callsOf("add"))
        .extracting(ToolCallInfo::outcome)
        .containsExactly(Outcome.OK, Outcome.OK, Outcome.LIMITED, Outcome.OK);
  }

  @Test
  void theInFlightCapRefusesConcurrentCallsBeyondItAndFreesItsSlots() throws Exception {
    TestMcpServer server = statefulServer();
    McpSyncClient client =
        client(
            governed(server.url(), s -> s.tool("slow", ToolPolicy.builder().maxInFlight(2))),
            server.url(),
            "alice");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Object>> calls = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        calls.add(
            pool.submit(
                () -> {
                  start.await();
                  try {
                    return text(client.callTool(call("slow", Map.of("millis", 1_500))));
                  } catch (McpError e) {
                    return e;
                  }
                }));
      }
      start.countDown();
      List<Object> results = new ArrayList<>();
      for (Future<Object> call : calls) {
        results.add(call.get());
      }

      assertThat(results).filteredOn("done"::equals).hasSize(2);
      assertThat(results)
          .filteredOn(McpError.class::isInstance)
          .hasSize(2)
          .allSatisfy(
              e -> {
                McpError refused = (McpError) e;
                assertThat(refused.getJsonRpcError().code())
                    .isEqualTo(AgentGovernance.LIMITED_CODE);
                assertThat(data(refused)).containsEntry("reason", "in-flight-limit");
              });
    } finally {
      pool.shutdownNow();
    }
    assertThat(server.calls("slow")).isEqualTo(2);
    // The slots were given back when the answers ended.
    assertThat(text(client.callTool(call("slow", Map.of("millis", 10))))).isEqualTo("done");
  }

  @Test
  void argumentsOverTheCapAreRefusedBeforeSending() {
    TestMcpServer server = statefulServer();
    McpSyncClient client =
        client(
            governed(server.url(), s -> s.tool("echo", ToolPolicy.builder().maxArgumentBytes(200))),
            server.url(),
            "alice");

    Throwable thrown =
        catchThrowable(() -> client.callTool(call("echo", Map.of("text", "x".repeat(500)))));

    McpError error = mcpError(thrown);
    assertThat(error.getJsonRpcError().code()).isEqualTo(AgentGovernance.TOO_LARGE_CODE);
    assertThat(data(error)).containsEntry("maxArgumentBytes", 200);
    assertThat(server.calls("echo")).isZero();
    assertThat(callsOf("echo"))
        .extracting(ToolCallInfo::outcome)
        .containsExactly(Outcome.TOO_LARGE);
    assertThat(text(client.callTool(call("echo", Map.of("text", "short"))))).isEqualTo("short");
  }

  @Test
  void argumentsAContentCheckBlocksAreNeverSent() {
    TestMcpServer server = statefulServer();
    McpSyncClient client =
        client(
            governed(
                server.url(),
                s -> s.contentChecks(ContentSafety.builder().denyWords("project falcon"))),
            server.url(),
            "alice");

    Throwable thrown =
        catchThrowable(() -> client.callTool(call("echo", Map.of("text", "about Project Falcon"))));

    McpError error = mcpError(thrown);
    assertThat(error.getJsonRpcError().code()).isEqualTo(AgentGovernance.CONTENT_BLOCKED_CODE);
    assertThat(error.getMessage()).doesNotContain("Falcon");
    assertThat(server.calls("echo")).isZero();
    assertThat(callsOf("echo")).extracting(ToolCallInfo::outcome).containsExactly(Outcome.BLOCKED);
    assertThat(text(client.callTool(call("echo", Map.of("text", "harmless")))))
        .isEqualTo("harmless");
  }

  @Test
  void aServersSamplingRequestAndTheClientsAnswerAreCheckedBothWays() throws InterruptedException {
    // The server's tool asks the client's LLM (sampling/createMessage) on the call's stream and
    // the client POSTs the LLM's answer back. A prompt the checks stop (the server joins two
    // harmless arguments into "project falcon") never reaches the client's LLM: the SDK client
    // answers the renamed request "method not found" and the server's request fails at once. An
    // answer the checks stop never reaches the server: it gets the gateway's error instead.
    TestMcpServer server = statefulServer();
    List<String> prompts = new CopyOnWriteArrayList<>();
    McpSyncClient client =
        McpClient.sync(
                GovernedMcp.builder(
                        governed(
                            server.url(),
                            s ->
                                s.contentChecks(
                                    ContentSafety.builder().denyWords("project falcon"))),
                        server.url())
                    .headers(() -> Map.of(CONSUMER_HEADER, "alice"))
                    .build())
            .requestTimeout(Duration.ofSeconds(10))
            .capabilities(McpSchema.ClientCapabilities.builder().sampling().build())
            .sampling(
                request -> {
                  String prompt = ((TextContent) request.messages().get(0).content()).text();
                  prompts.add(prompt);
                  return McpSchema.CreateMessageResult.builder(
                          McpSchema.Role.ASSISTANT, "Project Falcon ships in May", "m")
                      .build();
                })
            .build();
    closeables.add(client::closeGracefully);
    client.initialize();

    CallToolResult stopped = client.callTool(call("sample", Map.of("a", "project", "b", "falcon")));
    CallToolResult answered = client.callTool(call("sample", Map.of("a", "issue", "b", "7")));

    assertThat(stopped.isError()).isTrue();
    assertThat(text(stopped)).startsWith("sampling failed");
    assertThat(prompts).containsExactly("Summarize issue 7"); // the first never reached the LLM
    assertThat(answered.isError()).isTrue();
    assertThat(text(answered))
        .startsWith("sampling failed")
        .contains("blocked by the content check deny-words")
        .doesNotContainIgnoringCase("falcon");
    // The answer's event ends when its own POST is answered (202), which may come after the
    // tool's result the server sent once it had the answer: wait for it (at most 10 s).
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    List<GatewayEvent> sampling = samplingEvents();
    while (sampling.size() < 4 && System.nanoTime() < deadline) {
      Thread.sleep(20);
      sampling = samplingEvents();
    }
    assertThat(sampling)
        .extracting(e -> e.tool().outcome())
        .containsExactly(Outcome.BLOCKED, Outcome.ERROR, Outcome.OK, Outcome.BLOCKED);
    assertThat(sampling.get(1).tool().errorCode()).isEqualTo(-32601);
    assertThat(callsOf("sample"))
        .extracting(ToolCallInfo::outcome)
        .containsExactly(Outcome.OK, Outcome.OK);
  }

  /** The events of sampling/createMessage requests and answers, in their order. */
  private List<GatewayEvent> samplingEvents() {
    return events.stream().filter(e -> e.tool().method().equals("sampling/createMessage")).toList();
  }

  @Test
  void localJsonRpcErrorsPassUnchangedWhileHttpRefusalsAreMappedOnce() {
    TestMcpServer server = statefulServer();
    // An interceptor in front of the gateway refuses "add" the way the gateway refuses LLM calls:
    // an HTTP error with the rejection header. The gateway itself denies "fail" locally.
    Interceptor httpRefusal =
        GatewayRefusal.of("\"name\":\"add\"", "3", "{\"error\":{\"message\":\"quota spent\"}}");
    McpSyncClient client =
        client(
            governed(
                server.url(),
                s -> s.access(ToolAccess.allowByDefault().denyConsumer("alice", "fail")),
                httpRefusal),
            server.url(),
            "alice");

    McpError local = mcpError(catchThrowable(() -> client.callTool(call("fail", Map.of()))));
    McpError mapped =
        mcpError(catchThrowable(() -> client.callTool(call("add", Map.of("a", 1, "b", 1)))));

    assertThat(local.getJsonRpcError().code()).isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    assertThat(local.getMessage()).doesNotContain("Rejected by the AI gateway");
    assertThat(data(local)).doesNotContainKey("status");
    assertThat(mapped.getJsonRpcError().code()).isEqualTo(GatewayRejections.REJECTED_CODE);
    assertThat(mapped.getMessage()).contains("rate_limited", "429", "quota spent");
    assertThat(data(mapped)).containsEntry("retryAfterMillis", 3000);
    assertThat(server.calls("fail") + server.calls("add")).isZero();
    assertThat(text(client.callTool(call("echo", Map.of("text", "ok"))))).isEqualTo("ok");
  }

  @Test
  void aServerWideLimitCountsInitializeAndARefusedInitializeIsAnMcpError() {
    TestMcpServer server = statefulServer();
    OkHttpClient governed = governed(server.url(), s -> s.callsPerMinute(2));
    McpSyncClient first = client(governed, server.url(), "alice");
    first.listTools();

    McpError limitedCall =
        mcpError(catchThrowable(() -> first.callTool(call("echo", Map.of("text", "x")))));
    McpSyncClient second =
        McpClient.sync(
                GovernedMcp.builder(governed, server.url())
                    .headers(() -> Map.of(CONSUMER_HEADER, "alice"))
                    .build())
            .requestTimeout(Duration.ofSeconds(10))
            .build();
    closeables.add(second::closeGracefully);
    Throwable refusedInitialize = catchThrowable(second::initialize);

    assertThat(limitedCall.getJsonRpcError().code()).isEqualTo(AgentGovernance.LIMITED_CODE);
    Throwable cause = refusedInitialize;
    while (cause != null && !(cause instanceof McpError)) {
      cause = cause.getCause();
    }
    assertThat(cause).as("an McpError among the causes of " + refusedInitialize).isNotNull();
    assertThat(((McpError) cause).getJsonRpcError().code()).isEqualTo(AgentGovernance.LIMITED_CODE);
    assertThat(server.calls("echo")).isZero();
    assertThat(toolEvents())
        .extracting(ToolCallInfo::method, ToolCallInfo::outcome)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("initialize", Outcome.OK),
            org.assertj.core.groups.Tuple.tuple("tools/list", Outcome.OK),
            org.assertj.core.groups.Tuple.tuple("tools/call", Outcome.LIMITED),
            org.assertj.core.groups.Tuple.tuple("initialize", Outcome.LIMITED));

    clock.advance(Duration.ofMinutes(1));

    // The SDK's transport took the refused initialize's answer (no Mcp-Session-Id) as a session
    // without id, so the client whose initialize was refused cannot start a session again: a new
    // client can.
    McpSyncClient third = client(governed, server.url(), "alice");
    assertThat(text(third.callTool(call("echo", Map.of("text", "later"))))).isEqualTo("later");
  }

  @Test
  void theEmbeddedTomcatRegistersNoMBeans() throws Exception {
    statefulServer();

    assertThat(
            java.lang.management.ManagementFactory.getPlatformMBeanServer()
                .queryNames(new javax.management.ObjectName("Tomcat:*"), null))
        .isEmpty();
  }

  @Test
  void anOpenApiDerivedServerIsGovernedTheSameWay() throws Exception {
    PetsApi api = new PetsApi();
    closeables.add(api::close);
    OpenApiTools tools =
        OpenApiTools.builder(new OkHttpClient())
            .document(PetsApi.document())
            .baseUrl(api.baseUrl())
            .build();
    OpenApiMcpServer server = OpenApiMcpServer.builder(tools).serverInfo("pets", "1.0").start(0);
    closeables.add(server::close);
    McpSyncClient client =
        client(
            governed(
                server.url(),
                s -> s.access(ToolAccess.allowByDefault().denyConsumer("alice", "delete_*"))),
            server.url(),
            "alice");

    assertThat(client.listTools().tools())
        .extracting(Tool::name)
        .containsExactlyInAnyOrder("getPet", "list_pets", "createPet");
    McpError denied =
        mcpError(
            catchThrowable(() -> client.callTool(call("delete_pets_petId", Map.of("petId", "7")))));
    CallToolResult pet = client.callTool(call("getPet", Map.of("petId", "7")));

    assertThat(denied.getJsonRpcError().code()).isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
    assertThat(pet.isError()).isFalse();
    assertThat(api.requests)
        .extracting(r -> r.getMethod() + " " + r.getUrl().encodedPath())
        .containsExactly("GET /api/pets/7");
    assertThat(callsOf("delete_pets_petId"))
        .extracting(ToolCallInfo::outcome)
        .containsExactly(Outcome.DENIED);
    assertThat(callsOf("getPet")).extracting(ToolCallInfo::outcome).containsExactly(Outcome.OK);
  }
}
