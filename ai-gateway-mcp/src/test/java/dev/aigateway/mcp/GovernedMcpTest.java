package dev.aigateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.core.AiGateway;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.Waiting;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The SDK's client over {@link GovernedMcp}'s transport, against a real SDK server. */
class GovernedMcpTest {

  /** What crossed the wire: the request as sent and the status and type of its answer. */
  record Exchange(
      String method,
      String path,
      okhttp3.Headers requestHeaders,
      String requestBody,
      int status,
      String contentType) {}

  private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();
  private final List<Exchange> deletes = new CopyOnWriteArrayList<>();
  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private TestMcpServer server(TestMcpServer server) {
    closeables.add(server);
    return server;
  }

  /** The application's client, wrapped by a gateway, with the exchanges recorded on the wire. */
  private OkHttpClient governedClient(Interceptor... outermost) {
    OkHttpClient.Builder base = new OkHttpClient.Builder();
    base.addNetworkInterceptor(
        chain -> {
          Buffer body = new Buffer();
          if (chain.request().body() != null) {
            chain.request().body().writeTo(body);
          }
          Response response = chain.proceed(chain.request());
          Exchange exchange =
              new Exchange(
                  chain.request().method(),
                  chain.request().url().encodedPath(),
                  chain.request().headers(),
                  body.readUtf8(),
                  response.code(),
                  String.valueOf(response.header("Content-Type")));
          exchanges.add(exchange);
          if (exchange.method().equals("DELETE")) {
            deletes.add(exchange);
          }
          return response;
        });
    OkHttpClient governed =
        OkHttpAiGateway.wrap(base.build(), AiGateway.builder().listener(events::add).build());
    OkHttpClient.Builder withOuter = governed.newBuilder();
    for (Interceptor interceptor : outermost) {
      withOuter.interceptors().add(0, interceptor);
    }
    return withOuter.build();
  }

  private McpSyncClient client(GovernedMcp.Builder transport) {
    McpSyncClient client =
        McpClient.sync(transport.build()).requestTimeout(Duration.ofSeconds(10)).build();
    closeables.add(client::closeGracefully);
    return client;
  }

  private static String text(CallToolResult result) {
    return ((TextContent) result.content().get(0)).text();
  }

  private List<Exchange> posts() {
    return exchanges.stream().filter(e -> e.method().equals("POST")).toList();
  }

  @Test
  void toolsAreListedAndCalledThroughTheOkHttpClientWithEventStreamAnswers() {
    TestMcpServer server = server(TestMcpServer.stateful());
    McpSyncClient client = client(GovernedMcp.builder(governedClient(), server.url()));

    assertThat(client.initialize().serverInfo().name()).isEqualTo("test-server");
    assertThat(client.listTools().tools())
        .extracting(Tool::name)
        .containsExactlyInAnyOrder("add", "echo", "slow", "fail", "progress", "sample");
    CallToolResult sum = client.callTool(call("add", Map.of("a", 2, "b", 3)));
    CallToolResult echo = client.callTool(call("echo", Map.of("text", "héllo")));

    assertThat(text(sum)).isEqualTo("5");
    assertThat(sum.isError()).isFalse();
    assertThat(text(echo)).isEqualTo("héllo");
    List<Exchange> posts = posts();
    assertThat(posts).extracting(Exchange::path).containsOnly(TestMcpServer.PATH);
    Exchange initialize = posts.get(0);
    assertThat(initialize.requestBody()).contains("\"method\":\"initialize\"");
    assertThat(initialize.requestHeaders().get("Accept"))
        .isEqualTo("application/json, text/event-stream");
    assertThat(initialize.requestHeaders().get("Mcp-Session-Id")).isNull();
    Exchange call =
        posts.stream().filter(e -> e.requestBody().contains("\"add\"")).findFirst().orElseThrow();
    assertThat(call.requestHeaders().get("Mcp-Session-Id")).isNotBlank();
    assertThat(call.requestHeaders().get("MCP-Protocol-Version")).isNotBlank();
    assertThat(call.contentType()).startsWith("text/event-stream");
    // This gateway governs no MCP server: it passes the traffic through untouched, unrecorded.
    assertThat(events).isEmpty();
  }

  @Test
  void theEventsOfAStreamedAnswerArriveAsTheServerSendsThem() {
    TestMcpServer server = server(TestMcpServer.stateful());
    List<Long> progressAt = new CopyOnWriteArrayList<>();
    McpSyncClient client =
        McpClient.sync(GovernedMcp.transport(governedClient(), server.url()))
            .requestTimeout(Duration.ofSeconds(10))
            .progressConsumer(progress -> progressAt.add(System.nanoTime()))
            .build();
    closeables.add(client::closeGracefully);
    client.initialize();

    CallToolResult result =
        client.callTool(
            CallToolRequest.builder("progress").arguments(Map.of()).progressToken("p-1").build());
    long answeredAt = System.nanoTime();

    assertThat(text(result)).isEqualTo("finished");
    assertThat(progressAt).hasSize(1);
    // The progress event was handed on when it came, not when the stream ended 2 s later (half
    // of that is left to a loaded machine's delays in handing it on).
    assertThat(Duration.ofNanos(answeredAt - progressAt.get(0)))
        .isGreaterThan(TestMcpServer.PROGRESS_TO_ANSWER.dividedBy(2));
  }

  @Test
  void aRequestWhoseAnswerDoesNotStartInTimeFailsWithTheJdkClientsTimeout() {
    TestMcpServer server = server(TestMcpServer.stateless());
    McpSyncClient client =
        client(
            GovernedMcp.builder(governedClient(), server.url())
                .requestTimeout(Duration.ofSeconds(1)));
    client.initialize();

    assertThatThrownBy(() -> client.callTool(call("slow", Map.of("millis", 3_000))))
        .satisfies(
            error -> {
              Throwable cause = error;
              while (cause != null && !(cause instanceof java.net.http.HttpTimeoutException)) {
                cause = cause.getCause();
              }
              assertThat(cause)
                  .as("an HttpTimeoutException among the causes of " + error)
                  .isNotNull();
            });
    // A quick tool still answers: the timeout is per request.
    assertThat(text(client.callTool(call("echo", Map.of("text", "quick"))))).isEqualTo("quick");
  }

  @Test
  void aStatelessServerAnswersAsJson() {
    TestMcpServer server = server(TestMcpServer.stateless());
    McpSyncClient client = client(GovernedMcp.builder(governedClient(), server.url()));

    client.initialize();
    CallToolResult sum = client.callTool(call("add", Map.of("a", 1.5, "b", 2)));

    assertThat(text(sum)).isEqualTo("3.5");
    Exchange call =
        posts().stream().filter(e -> e.requestBody().contains("\"add\"")).findFirst().orElseThrow();
    assertThat(call.contentType()).startsWith("application/json");
    assertThat(call.requestHeaders().get("Mcp-Session-Id")).isNull();
  }

  @Test
  void aFailingToolIsAToolErrorAndAnUnknownToolAnMcpError() {
    TestMcpServer server = server(TestMcpServer.stateful());
    McpSyncClient client = client(GovernedMcp.builder(governedClient(), server.url()));
    client.initialize();

    CallToolResult failed = client.callTool(call("fail", Map.of()));

    assertThat(failed.isError()).isTrue();
    assertThat(text(failed)).isEqualTo("the tool failed");
    assertThatThrownBy(() -> client.callTool(call("missing", Map.of())))
        .isInstanceOf(McpError.class)
        .hasMessageContaining("Unknown tool");
  }

  @Test
  void closingTheClientDeletesItsSession() throws Exception {
    TestMcpServer server = server(TestMcpServer.stateful());
    McpSyncClient client =
        McpClient.sync(GovernedMcp.transport(governedClient(), server.url())).build();
    client.initialize();
    String session =
        posts().stream()
            .map(e -> e.requestHeaders().get("Mcp-Session-Id"))
            .filter(id -> id != null)
            .findFirst()
            .orElseThrow();

    assertThat(client.closeGracefully()).isTrue();

    List<Exchange> sent = Waiting.forSize(deletes, 1, Duration.ofSeconds(5));
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).requestHeaders().get("Mcp-Session-Id")).isEqualTo(session);
    assertThat(sent.get(0).status()).isLessThan(300);
  }

  @Test
  void headersAreSentWithEveryRequestAndTheSupplierIsAskedEachTime() {
    TestMcpServer server = server(TestMcpServer.stateful());
    AtomicInteger tokens = new AtomicInteger();
    McpSyncClient client =
        client(
            GovernedMcp.builder(governedClient(), server.url())
                .header("x-consumer-id", "agents")
                .headers(() -> Map.of("Authorization", "Bearer t" + tokens.incrementAndGet())));

    client.initialize();
    client.callTool(call("echo", Map.of("text", "x")));

    assertThat(posts())
        .allSatisfy(e -> assertThat(e.requestHeaders().get("x-consumer-id")).isEqualTo("agents"));
    assertThat(posts())
        .extracting(e -> e.requestHeaders().get("Authorization"))
        .doesNotHaveDuplicates()
        .allSatisfy(value -> assertThat(value).startsWith("Bearer t"));
  }

  @Test
  void theHeadersGoToTheEndpointsOriginOnlyNotWithARedirectElsewhere() throws Exception {
    // The endpoint moved to another host: every request is redirected there (307 keeps the method
    // and body). The server's credential stays with the origin it was configured for.
    try (mockwebserver3.MockWebServer front = new mockwebserver3.MockWebServer();
        mockwebserver3.MockWebServer elsewhere = new mockwebserver3.MockWebServer()) {
      elsewhere.setDispatcher(new MovedServer());
      elsewhere.start();
      front.setDispatcher(
          new mockwebserver3.Dispatcher() {
            @Override
            public mockwebserver3.MockResponse dispatch(mockwebserver3.RecordedRequest request) {
              return new mockwebserver3.MockResponse.Builder()
                  .code(307)
                  .addHeader("Location", elsewhere.url("/mcp"))
                  .build();
            }
          });
      front.start();
      McpSyncClient client =
          client(
              GovernedMcp.builder(governedClient(), front.url("/mcp").toString())
                  .header("X-Api-Key", "s3cr3t-key")
                  .headers(() -> Map.of("X-Session-Token", "s3cr3t-token")));

      client.initialize();

      assertThat(front.getRequestCount()).isPositive();
      for (int i = front.getRequestCount(); i > 0; i--) {
        mockwebserver3.RecordedRequest sent = front.takeRequest();
        assertThat(sent.getHeaders().get("X-Api-Key")).isEqualTo("s3cr3t-key");
        assertThat(sent.getHeaders().get("X-Session-Token")).isEqualTo("s3cr3t-token");
      }
      assertThat(elsewhere.getRequestCount()).isPositive();
      for (int i = elsewhere.getRequestCount(); i > 0; i--) {
        mockwebserver3.RecordedRequest moved = elsewhere.takeRequest();
        assertThat(moved.getHeaders().get("X-Api-Key")).isNull();
        assertThat(moved.getHeaders().get("X-Session-Token")).isNull();
      }
    }
  }

  /** Answers initialize as a stateless MCP server does, and accepts notifications. */
  private static final class MovedServer extends mockwebserver3.Dispatcher {
    @Override
    public mockwebserver3.MockResponse dispatch(mockwebserver3.RecordedRequest request) {
      if (!"POST".equals(request.getMethod())) {
        return new mockwebserver3.MockResponse.Builder().code(405).build();
      }
      try {
        com.fasterxml.jackson.databind.JsonNode body =
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(request.getBody().utf8());
        if (!"initialize".equals(body.path("method").asText())) {
          return new mockwebserver3.MockResponse.Builder().code(202).build();
        }
        return new mockwebserver3.MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/json")
            .body(
                "{\"jsonrpc\":\"2.0\",\"id\":"
                    + body.get("id")
                    + ",\"result\":{\"protocolVersion\":"
                    + body.path("params").path("protocolVersion")
                    + ",\"capabilities\":{},\"serverInfo\":{\"name\":\"moved\",\"version\":\"1\"}}}")
            .build();
      } catch (java.io.IOException e) {
        return new mockwebserver3.MockResponse.Builder().code(400).build();
      }
    }
  }

  @Test
  void aFixedHeaderReplacesAnEarlierOneWhoseNameDiffersOnlyInCase() {
    TestMcpServer server = server(TestMcpServer.stateful());
    GovernedMcp.Builder transport =
        GovernedMcp.builder(governedClient(), server.url())
            .header("authorization", "Bearer old")
            .header("Authorization", "Bearer new");
    // Many names, so that an outcome depending on an unordered map's order cannot pass by chance.
    for (int i = 0; i < 16; i++) {
      transport.header("x-key-" + i, "old").header("X-Key-" + i, "new");
    }
    McpSyncClient client = client(transport);

    client.initialize();

    assertThat(posts())
        .isNotEmpty()
        .allSatisfy(
            e -> {
              assertThat(e.requestHeaders().values("Authorization")).containsExactly("Bearer new");
              for (int i = 0; i < 16; i++) {
                assertThat(e.requestHeaders().values("X-Key-" + i))
                    .as("X-Key-" + i)
                    .containsExactly("new");
              }
            });
  }

  @Test
  void aGatewayRefusalOfAToolCallIsAnMcpErrorWithTheGatewaysMessage() {
    TestMcpServer server = server(TestMcpServer.stateful());
    Interceptor refuseToolCalls =
        GatewayRefusal.of(
            "\"name\":\"add\"",
            "7",
            "{\"error\":{\"message\":\"tool add: 5 calls per minute spent\"}}");
    McpSyncClient client =
        client(GovernedMcp.builder(governedClient(refuseToolCalls), server.url()));
    client.initialize();

    assertThatThrownBy(() -> client.callTool(call("add", Map.of("a", 1, "b", 1))))
        .isInstanceOfSatisfying(
            McpError.class,
            error -> {
              assertThat(error.getMessage())
                  .contains("rate_limited", "429", "tool add: 5 calls per minute spent");
              assertThat(error.getJsonRpcError().code()).isEqualTo(GatewayRejections.REJECTED_CODE);
              assertThat(error.getJsonRpcError().data())
                  .isEqualTo(
                      Map.of("reason", "rate_limited", "status", 429, "retryAfterMillis", 7000));
            });
    // The session is intact: the next call goes through.
    assertThat(text(client.callTool(call("echo", Map.of("text", "still here")))))
        .isEqualTo("still here");
  }

  @Test
  void withRejectionsLeftAsHttpErrorsTheSdkReportsTheStatus() {
    TestMcpServer server = server(TestMcpServer.stateful());
    Interceptor refuseToolCalls = GatewayRefusal.of("\"tools/call\"", null, "{}");
    McpSyncClient client =
        client(
            GovernedMcp.builder(governedClient(refuseToolCalls), server.url())
                .rejectionsAsJsonRpcErrors(false));
    client.initialize();

    assertThatThrownBy(() -> client.callTool(call("add", Map.of("a", 1, "b", 1))))
        .hasMessageContaining("429");
  }

  @Test
  void anInterceptorThatThrowsFailsTheCallInsteadOfLeavingItWaiting() {
    TestMcpServer server = server(TestMcpServer.stateful());
    Interceptor broken =
        chain -> {
          Buffer body = new Buffer();
          if (chain.request().body() != null) {
            chain.request().body().writeTo(body);
          }
          if (body.readUtf8().contains("\"tools/call\"")) {
            throw new IllegalStateException("interceptor broke");
          }
          return chain.proceed(chain.request());
        };
    McpSyncClient client = client(GovernedMcp.builder(governedClient(broken), server.url()));
    client.initialize();
    long start = System.nanoTime();

    assertThatThrownBy(() -> client.callTool(call("echo", Map.of("text", "x"))))
        .satisfies(
            error -> {
              StringBuilder causes = new StringBuilder();
              for (Throwable t = error; t != null; t = t.getCause()) {
                causes.append(t).append('\n');
              }
              assertThat(causes.toString()).contains("interceptor broke");
            });
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void aRequestHeaderOkHttpRefusesFailsTheCallWithoutQuotingItsValue() {
    // The JDK's request builder takes bytes 0x80-0xFF in a header value; OkHttp refuses them and
    // its error quotes the value of any header but Authorization and Cookie.
    String key = "mcp-key-SECRET-\u00e9";
    TestMcpServer server = server(TestMcpServer.stateful());
    McpSyncClient client =
        client(
            GovernedMcp.builder(governedClient(), server.url())
                .sdkOptions(
                    sdk ->
                        sdk.httpRequestCustomizer(
                            (request, method, uri, body, context) ->
                                request.header("X-Api-Key", key))));

    assertThatThrownBy(client::initialize)
        .satisfies(
            error -> {
              StringBuilder causes = new StringBuilder();
              for (Throwable t = error; t != null; t = t.getCause()) {
                causes.append(t).append('\n');
              }
              assertThat(causes.toString()).contains("X-Api-Key").doesNotContain("SECRET");
            });
  }

  @Test
  void severalThreadsCallToolsAtOnceOnOneClient() throws Exception {
    TestMcpServer server = server(TestMcpServer.stateful());
    McpSyncClient client = client(GovernedMcp.builder(governedClient(), server.url()));
    client.initialize();
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long start = System.nanoTime();
      List<Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        int n = i;
        answers.add(
            pool.submit(
                () -> {
                  String slow = text(client.callTool(call("slow", Map.of("millis", 1_500))));
                  String sum = text(client.callTool(call("add", Map.of("a", n, "b", 100))));
                  return slow + ":" + sum;
                }));
      }
      for (int i = 0; i < threads; i++) {
        assertThat(answers.get(i).get()).isEqualTo("done:" + (100 + i));
      }
      // Eight 1.5 s calls overlapped instead of queueing one behind the other (12 s); the bound
      // leaves a loaded machine room for the calls' own work.
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theBuilderRefusesWhatIsNotAnHttpEndpoint() {
    OkHttpClient client = new OkHttpClient();
    assertThatThrownBy(() -> GovernedMcp.builder(client, "ftp://host/mcp"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ftp://host/mcp");
    assertThatThrownBy(
            () -> GovernedMcp.builder(client, "http://h/mcp").readTimeout(Duration.ofSeconds(-1)))
        .hasMessageContaining("-1");
    assertThatThrownBy(
            () ->
                GovernedMcp.builder(client, "http://h/mcp")
                    .sdkOptions(sdk -> sdk.customizeClient(b -> b.followRedirects(null)))
                    .build())
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("OkHttpClient");
  }

  @Test
  void aRefusedEndpointIsNamedWithoutItsCredentials() {
    OkHttpClient client = new OkHttpClient();
    for (String url :
        List.of(
            "ftp://bob:pw-SECRET@host/mcp",
            "htps://host/mcp?api_key=key-SECRET",
            "http:///mcp?api_key=key-SECRET",
            "http://host/m cp?api_key=key-SECRET")) {
      assertThatThrownBy(() -> GovernedMcp.builder(client, url))
          .as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .satisfies(
              e -> {
                for (Throwable t = e; t != null; t = t.getCause()) {
                  assertThat(t.getMessage()).as(url).doesNotContain("SECRET");
                }
              });
    }
  }

  private static CallToolRequest call(String tool, Map<String, Object> arguments) {
    return CallToolRequest.builder(tool).arguments(arguments).build();
  }
}
