package dev.aigateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.AiGateway;
import dev.aigateway.okhttp.OkHttpAiGateway;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The MCP server of a REST API's tools, answering the real SDK client. */
class OpenApiMcpServerTest {

  private final OkHttpClient governed =
      OkHttpAiGateway.wrap(new OkHttpClient(), AiGateway.builder().build());
  private PetsApi api;
  private OpenApiMcpServer server;
  private McpSyncClient client;

  @BeforeEach
  void start() throws Exception {
    api = new PetsApi();
    OpenApiTools tools =
        OpenApiTools.builder(governed)
            .document(PetsApi.document())
            .baseUrl(api.baseUrl())
            .header("Authorization", "Bearer pets-test-token")
            .build();
    server = OpenApiMcpServer.builder(tools).serverInfo("pets", "1.0").start(0);
    client =
        McpClient.sync(GovernedMcp.transport(governed, server.url()))
            .requestTimeout(Duration.ofSeconds(10))
            .build();
    client.initialize();
  }

  @AfterEach
  void stop() {
    client.closeGracefully();
    server.close();
    api.close();
  }

  private static String text(CallToolResult result) {
    return ((TextContent) result.content().get(0)).text();
  }

  @Test
  void theApisOperationsAreListedAsToolsWithTheirSchemas() {
    assertThat(client.getServerInfo().name()).isEqualTo("pets");
    List<Tool> tools = client.listTools().tools();

    assertThat(tools)
        .extracting(Tool::name)
        .containsExactlyInAnyOrder("getPet", "delete_pets_petId", "list_pets", "createPet");
    Tool create =
        tools.stream().filter(t -> t.name().equals("createPet")).findFirst().orElseThrow();
    assertThat(create.description()).isEqualTo("Create a pet");
    assertThat(create.inputSchema()).containsEntry("type", "object");
    assertThat(create.inputSchema().get("required")).isEqualTo(List.of("body"));
    assertThat(server.url()).startsWith("http://127.0.0.1:").endsWith("/mcp");
  }

  @Test
  void aToolCallIsTheHttpCallOnTheApi() {
    CallToolResult pet =
        client.callTool(call("getPet", Map.of("petId", "7", "fields", List.of("name"))));
    CallToolResult created =
        client.callTool(call("createPet", Map.of("body", Map.of("name", "Tom"))));

    assertThat(pet.isError()).isFalse();
    assertThat(text(pet)).isEqualTo("{\"id\":\"7\",\"name\":\"Rex\"}");
    assertThat(created.isError()).isFalse();
    assertThat(text(created)).isEqualTo("{\"name\":\"Tom\"}");
    assertThat(api.requests).hasSize(2);
    RecordedRequest get = api.requests.get(0);
    assertThat(get.getMethod()).isEqualTo("GET");
    assertThat(get.getUrl().encodedPath()).isEqualTo("/api/pets/7");
    assertThat(get.getUrl().queryParameter("fields")).isEqualTo("name");
    assertThat(get.getHeaders().get("Authorization")).isEqualTo("Bearer pets-test-token");
    RecordedRequest post = api.requests.get(1);
    assertThat(post.getMethod()).isEqualTo("POST");
    assertThat(post.getBody().utf8()).isEqualTo("{\"name\":\"Tom\"}");
  }

  @Test
  void anErrorStatusIsAToolErrorWithStatusAndBody() {
    CallToolResult missing = client.callTool(call("getPet", Map.of("petId", "99")));

    assertThat(missing.isError()).isTrue();
    assertThat(text(missing)).contains("HTTP 404").contains("no such pet");
    assertThat(api.requests)
        .extracting(r -> r.getUrl().encodedPath())
        .containsExactly("/api/pets/99");
  }

  @Test
  void severalClientThreadsCallAtOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<CallToolResult>> results = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        String id = i % 3 == 0 ? "7" : "n" + i;
        results.add(pool.submit(() -> client.callTool(call("getPet", Map.of("petId", id)))));
      }
      for (int i = 0; i < 24; i++) {
        assertThat(results.get(i).get().isError()).isEqualTo(i % 3 != 0);
      }
      assertThat(api.requests).hasSize(24);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aWebPageOfAnotherOriginCannotOpenASession() throws Exception {
    // what a page on another site sends after DNS rebinding points its name at 127.0.0.1
    int port = okhttp3.HttpUrl.get(server.url()).port();
    String initialize =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
            + "\"clientInfo\":{\"name\":\"page\",\"version\":\"1\"}}}";
    OkHttpClient browser = new OkHttpClient();
    okhttp3.Request.Builder request =
        new okhttp3.Request.Builder()
            .url(server.url())
            .header("Accept", "application/json, text/event-stream")
            .post(
                okhttp3.RequestBody.create(initialize, okhttp3.MediaType.get("application/json")));

    try (okhttp3.Response fromElsewhere =
            browser
                .newCall(
                    request
                        .header("Host", "evil.example:" + port)
                        .header("Origin", "http://evil.example:" + port)
                        .build())
                .execute();
        okhttp3.Response fromLocalPage =
            browser
                .newCall(request.header("Origin", "http://localhost:" + port).build())
                .execute()) {
      assertThat(fromElsewhere.code()).isEqualTo(403);
      assertThat(fromElsewhere.header("Mcp-Session-Id")).isNull();
      assertThat(fromLocalPage.code()).isEqualTo(200);
    }
  }

  private static CallToolRequest call(String tool, Map<String, Object> arguments) {
    return CallToolRequest.builder(tool).arguments(arguments).build();
  }
}
