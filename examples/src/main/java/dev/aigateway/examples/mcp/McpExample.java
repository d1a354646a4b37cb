package dev.aigateway.examples.mcp;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.aigateway.core.AiGateway;
import dev.aigateway.mcp.GovernedMcp;
import dev.aigateway.mcp.OpenApiMcpServer;
import dev.aigateway.mcp.OpenApiTools;
import dev.aigateway.mcp.ToolMessage;
import dev.aigateway.okhttp.OkHttpAiGateway;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;

/**
 * A REST API as MCP tools and as OpenAI tools, every call through the governed OkHttp client: a
 * small weather API (the JDK's HTTP server on loopback) described by an OpenAPI 3 document is
 * served as an MCP server ({@link OpenApiMcpServer}, the MCP Java SDK's server side); the SDK's own
 * client, over {@link GovernedMcp}'s transport, lists its tools and calls one; then the same tools
 * are offered as OpenAI function tools and a model's tool call (written out here, no model is
 * asked) is run. Needs no network; {@link #main} prints what happened, {@link #run} returns it.
 */
public final class McpExample {

  /** What the example saw. */
  public record Outcome(
      List<String> toolNames,
      String mcpAnswer,
      String openAiTools,
      List<ToolMessage> toolMessages) {}

  static final String OPENAPI =
      """
      openapi: 3.0.3
      info: {title: Weather, version: "1.0"}
      paths:
        /weather/{city}:
          get:
            operationId: getWeather
            summary: The current weather in a city
            parameters:
              - {name: city, in: path, required: true, schema: {type: string}}
              - {name: units, in: query, schema: {type: string, enum: [metric, imperial]}}
      """;

  private McpExample() {}

  /** Runs the example and prints what happened. */
  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the example against local servers, printing to {@code out}. */
  public static Outcome run(PrintStream out) {
    HttpServer weatherApi = weatherApi();
    // The application's client, governed: MCP and REST calls made through it pass the gateway.
    OkHttpClient governed = OkHttpAiGateway.wrap(new OkHttpClient(), AiGateway.builder().build());
    try {
      String baseUrl = "http://127.0.0.1:" + weatherApi.getAddress().getPort();
      OpenApiTools tools =
          OpenApiTools.builder(governed)
              .document(OPENAPI)
              .baseUrl(baseUrl)
              .header("Authorization", "Bearer weather-example-token")
              .build();
      try (OpenApiMcpServer server = OpenApiMcpServer.start(tools, 0)) {
        McpSyncClient client =
            McpClient.sync(GovernedMcp.transport(governed, server.url()))
                .requestTimeout(Duration.ofSeconds(10))
                .build();
        try {
          client.initialize();
          List<String> names = client.listTools().tools().stream().map(Tool::name).toList();
          out.println("MCP tools at " + server.url() + ": " + names);
          CallToolResult result =
              client.callTool(call("getWeather", Map.of("city", "Oslo", "units", "metric")));
          String answer = ((TextContent) result.content().get(0)).text();
          out.println("getWeather(Oslo) over MCP: " + answer);

          String openAiTools = tools.openAiTools();
          out.println("As OpenAI tools: " + openAiTools);
          String modelAnswer =
              """
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                "function":{"name":"getWeather","arguments":"{\\"city\\":\\"Lima\\"}"}}]}
              """;
          List<ToolMessage> messages = tools.executeToolCalls(modelAnswer);
          messages.forEach(m -> out.println("Follow-up message: " + m.toJson()));
          return new Outcome(names, answer, openAiTools, messages);
        } finally {
          client.closeGracefully();
        }
      }
    } finally {
      weatherApi.stop(0);
    }
  }

  private static HttpServer weatherApi() {
    try {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext("/weather/", McpExample::weather);
      server.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void weather(HttpExchange exchange) throws IOException {
    String city = exchange.getRequestURI().getPath().substring("/weather/".length());
    String query = exchange.getRequestURI().getQuery();
    boolean imperial = query != null && query.contains("units=imperial");
    String body =
        "{\"city\":\""
            + city
            + "\",\"temperature\":"
            + (imperial ? 59 : 15)
            + ",\"sky\":\"clear\"}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static CallToolRequest call(String tool, Map<String, Object> arguments) {
    return CallToolRequest.builder(tool).arguments(arguments).build();
  }
}
