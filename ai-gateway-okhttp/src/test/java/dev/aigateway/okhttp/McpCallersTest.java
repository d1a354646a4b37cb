package dev.aigateway.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Caller;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.RoleResolver;
import dev.aigateway.api.ToolCallInfo;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.access.ToolAccess;
import dev.aigateway.core.agent.AgentGovernance;
import dev.aigateway.core.agent.McpServer;
import dev.aigateway.core.limit.StoreFailurePolicy;
import java.io.IOException;
import java.util.List;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * MCP governance with the gateway's callers (roles, refused credentials), the gateway headers, the
 * server's HTTP errors and a failing limit store.
 */
class McpCallersTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  private static final String CALL =
      "{\"jsonrpc\":\"2.0\",\"id\":\"c-1\",\"method\":\"tools/call\","
          + "\"params\":{\"name\":\"delete_repo\",\"arguments\":{}}}";
  private static final String RESULT =
      "{\"jsonrpc\":\"2.0\",\"id\":\"c-1\",\"result\":{\"content\":[]}}";

  private final RecordingListener events = new RecordingListener();
  private MockWebServer server;

  @BeforeEach
  void start() throws IOException {
    server = new MockWebServer();
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private McpServer.Builder github() {
    return McpServer.builder("github", server.url("/mcp").toString())
        .access(ToolAccess.allowByDefault().denyRole("intern", "delete_*"));
  }

  private Response post(OkHttpClient client, String roles) throws IOException {
    return client
        .newCall(
            new Request.Builder()
                .url(server.url("/mcp"))
                .header("x-consumer-id", "ivan")
                .header("x-roles", roles)
                .post(RequestBody.create(CALL, JSON_TYPE))
                .build())
        .execute();
  }

  @Test
  void rolesComeFromTheGatewaysRoleResolverAndItsHeadersAreNotSent() throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .roleResolver(RoleResolver.header("x-roles"))
            .listener(events)
            .mcpServer(github())
            .build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    server.enqueue(
        new MockResponse.Builder()
            .addHeader("Content-Type", "application/json")
            .body(RESULT)
            .build());

    try (Response denied = post(client, "intern")) {
      JsonNode error = JSON.readTree(denied.body().string());
      assertThat(error.get("id").asText()).isEqualTo("c-1");
      assertThat(error.path("error").path("data").path("rule").asText())
          .isEqualTo("deny:role:intern");
    }
    try (Response allowed = post(client, "developer")) {
      assertThat(allowed.body().string()).isEqualTo(RESULT);
    }

    assertThat(server.getRequestCount()).isEqualTo(1);
    var sent = server.takeRequest();
    assertThat(sent.getHeaders().get("x-consumer-id")).isNull();
    assertThat(sent.getHeaders().get("x-roles")).isNull();
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
  }

  @Test
  void aGetStreamWithARefusedCredentialShowsNoConsumersTools() throws Exception {
    // A GET stream on which the server replays a tools/list answer is filtered for the caller the
    // GET names; with its credential refused it names none, whatever consumer header it carries,
    // so the replayed list shows only what anyone may call (here nothing).
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .callerResolver(request -> Caller.refused("the token has expired"))
            .listener(events)
            .mcpServer(
                McpServer.builder("github", server.url("/mcp").toString())
                    .access(ToolAccess.denyByDefault().allowConsumer("ivan", "*")))
            .build();
    server.enqueue(
        new MockResponse.Builder()
            .addHeader("Content-Type", "text/event-stream")
            .body(
                "id: e2\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":"
                    + "[{\"name\":\"delete_repo\",\"inputSchema\":{}}]}}\n\n")
            .build());

    String replay;
    try (Response response =
        OkHttpAiGateway.wrap(new OkHttpClient(), gateway)
            .newCall(
                new Request.Builder()
                    .url(server.url("/mcp"))
                    .header("x-consumer-id", "ivan")
                    .header("Accept", "text/event-stream")
                    .header("Mcp-Session-Id", "s-1")
                    .header("Last-Event-ID", "e1")
                    .build())
            .execute()) {
      replay = response.body().string();
    }

    assertThat(replay).doesNotContain("delete_repo").contains("\"tools\":[]");
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.OK);
  }

  @Test
  void aRefusedCredentialRefusesTheToolCall() throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .callerResolver(request -> Caller.refused("the token has expired"))
            .listener(events)
            .mcpServer(github())
            .build();

    try (Response refused = post(OkHttpAiGateway.wrap(new OkHttpClient(), gateway), "")) {
      JsonNode error = JSON.readTree(refused.body().string());
      assertThat(error.path("error").path("code").asInt())
          .isEqualTo(AgentGovernance.ACCESS_DENIED_CODE);
      assertThat(error.path("error").path("message").asText()).contains("the token has expired");
    }
    assertThat(server.getRequestCount()).isZero();
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.DENIED);
  }

  @Test
  void anHttpErrorOfTheServerPassesUntouchedAndEndsTheEventAtOnce() throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .roleResolver(dev.aigateway.api.RoleResolver.header("x-roles"))
            .listener(events)
            .mcpServer(github())
            .build();
    server.enqueue(new MockResponse.Builder().code(404).body("session not found").build());

    try (Response response = post(OkHttpAiGateway.wrap(new OkHttpClient(), gateway), "")) {
      assertThat(response.code()).isEqualTo(404);
      assertThat(response.body().string()).isEqualTo("session not found");
    }
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(event.status()).isEqualTo(404);
    assertThat(event.tool().outcome()).isEqualTo(ToolCallInfo.Outcome.HTTP_ERROR);
  }

  @Test
  void aFailingLimitStoreRefusesUnderAFailClosedPolicy() throws Exception {
    TokenLimitStore broken =
        new TokenLimitStore() {
          @Override
          public ReserveResult reserve(List<LimitCharge> charges) {
            throw new IllegalStateException("store down");
          }

          @Override
          public void settle(Reservation reservation, long[] actual) {
            throw new IllegalStateException("store down");
          }
        };
    AiGateway gateway =
        AiGateway.builder()
            .tokenLimitStore(broken)
            .storeFailurePolicy(StoreFailurePolicy.failClosed())
            .roleResolver(dev.aigateway.api.RoleResolver.header("x-roles"))
            .listener(events)
            .mcpServer(github().callsPerMinute(5))
            .build();

    try (Response refused = post(OkHttpAiGateway.wrap(new OkHttpClient(), gateway), "")) {
      JsonNode error = JSON.readTree(refused.body().string());
      assertThat(error.path("error").path("code").asInt())
          .isEqualTo(AgentGovernance.UNAVAILABLE_CODE);
      assertThat(error.path("error").path("data").path("retryAfter").asLong()).isPositive();
    }
    assertThat(server.getRequestCount()).isZero();
    assertThat(events.next().tool().outcome()).isEqualTo(ToolCallInfo.Outcome.LIMITED);
  }
}
