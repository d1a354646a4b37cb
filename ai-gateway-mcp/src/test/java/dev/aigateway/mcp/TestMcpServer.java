package dev.aigateway.mcp;

import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpStatelessSyncServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStatelessServerTransport;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real MCP server built with the SDK, on loopback: tools {@code add}, {@code echo}, {@code slow}
 * (answers after 300 ms or the given millis) and {@code fail} (answers a tool error), served over
 * Streamable HTTP, the stateful server also {@code progress} (a progress notification, then the
 * answer 500 ms later) and {@code sample} (asks the client's LLM through {@code
 * sampling/createMessage} and answers its text, or the failure as a tool error), either stateful
 * (sessions; answers as event streams) or stateless (answers as JSON).
 */
final class TestMcpServer implements AutoCloseable {

  static final String PATH = "/mcp";

  /** How long the "progress" tool answers after its progress notification. */
  static final Duration PROGRESS_TO_ANSWER = Duration.ofSeconds(2);

  private final ServletHost host;
  private final Runnable server;
  private final Map<String, AtomicInteger> calls;

  private TestMcpServer(ServletHost host, Runnable server, Map<String, AtomicInteger> calls) {
    this.host = host;
    this.server = server;
    this.calls = calls;
  }

  /** How many calls of {@code tool} reached the server's tool handler. */
  int calls(String tool) {
    AtomicInteger count = calls.get(tool);
    return count == null ? 0 : count.get();
  }

  private static void count(Map<String, AtomicInteger> calls, String tool) {
    calls.computeIfAbsent(tool, t -> new AtomicInteger()).incrementAndGet();
  }

  String url() {
    return "http://127.0.0.1:" + host.port() + PATH;
  }

  static TestMcpServer stateful() {
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    HttpServletStreamableServerTransportProvider transport =
        HttpServletStreamableServerTransportProvider.builder().mcpEndpoint(PATH).build();
    McpServer.SyncSpecification<?> spec =
        McpServer.sync(transport)
            .serverInfo("test-server", "1.0")
            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build());
    for (TestTool tool : TestTool.values()) {
      spec.tools(
          SyncToolSpecification.builder()
              .tool(tool.tool())
              .callHandler(
                  (exchange, request) -> {
                    count(calls, tool.tool().name());
                    return tool.call(request.arguments());
                  })
              .build());
    }
    spec.tools(
        SyncToolSpecification.builder()
            .tool(
                Tool.builder("progress", Map.of("type", "object", "properties", Map.of()))
                    .description("Reports progress, then answers 2 s later")
                    .build())
            .callHandler(
                (exchange, request) -> {
                  Object token =
                      request.meta() == null ? null : request.meta().get("progressToken");
                  if (token != null) {
                    exchange.progressNotification(
                        McpSchema.ProgressNotification.builder(token, 0.5)
                            .total(1.0)
                            .message("half way")
                            .build());
                  }
                  try {
                    Thread.sleep(PROGRESS_TO_ANSWER.toMillis());
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  return text("finished", false);
                })
            .build());
    spec.tools(
        SyncToolSpecification.builder()
            .tool(
                Tool.builder(
                        "sample",
                        Map.of(
                            "type",
                            "object",
                            "properties",
                            Map.of("a", Map.of("type", "string"), "b", Map.of("type", "string"))))
                    .description("Asks the client's LLM to summarize 'a b' and answers its text")
                    .build())
            .callHandler(
                (exchange, request) -> {
                  count(calls, "sample");
                  String prompt =
                      "Summarize "
                          + request.arguments().get("a")
                          + " "
                          + request.arguments().get("b");
                  try {
                    McpSchema.CreateMessageResult sampled =
                        exchange.createMessage(
                            McpSchema.CreateMessageRequest.builder(
                                    List.of(
                                        new McpSchema.SamplingMessage(
                                            McpSchema.Role.USER,
                                            new McpSchema.TextContent(prompt))),
                                    100)
                                .build());
                    return text(((McpSchema.TextContent) sampled.content()).text(), false);
                  } catch (RuntimeException e) {
                    return text("sampling failed: " + e.getMessage(), true);
                  }
                })
            .build());
    McpSyncServer server = spec.build();
    ServletHost host = ServletHost.start("127.0.0.1", 0, PATH, transport);
    return new TestMcpServer(host, server::close, calls);
  }

  static TestMcpServer stateless() {
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    HttpServletStatelessServerTransport transport =
        HttpServletStatelessServerTransport.builder().messageEndpoint(PATH).build();
    McpServer.StatelessSyncSpecification spec =
        McpServer.sync(transport)
            .serverInfo("test-stateless-server", "1.0")
            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build());
    for (TestTool tool : TestTool.values()) {
      spec.tools(
          McpStatelessServerFeatures.SyncToolSpecification.builder()
              .tool(tool.tool())
              .callHandler(
                  (context, request) -> {
                    count(calls, tool.tool().name());
                    return tool.call(request.arguments());
                  })
              .build());
    }
    McpStatelessSyncServer server = spec.build();
    ServletHost host = ServletHost.start("127.0.0.1", 0, PATH, transport);
    return new TestMcpServer(host, server::close, calls);
  }

  @Override
  public void close() {
    server.run();
    host.close();
  }

  enum TestTool {
    ADD(
        "add",
        "Adds two numbers",
        Map.of("a", Map.of("type", "number"), "b", Map.of("type", "number")),
        List.of("a", "b"),
        args -> text(format(number(args, "a") + number(args, "b")), false)),
    ECHO(
        "echo",
        "Echoes its text",
        Map.of("text", Map.of("type", "string")),
        List.of("text"),
        args -> text(String.valueOf(args.get("text")), false)),
    SLOW(
        "slow",
        "Answers after 300 ms, or after the given millis",
        Map.of("millis", Map.of("type", "integer")),
        List.of(),
        args -> {
          try {
            Thread.sleep(args.get("millis") instanceof Number n ? n.longValue() : 300);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return text("done", false);
        }),
    FAIL("fail", "Always fails", Map.of(), List.of(), args -> text("the tool failed", true));

    private final String name;
    private final String description;
    private final Map<String, Object> properties;
    private final List<String> required;
    private final Function<Map<String, Object>, CallToolResult> handler;

    TestTool(
        String name,
        String description,
        Map<String, Object> properties,
        List<String> required,
        Function<Map<String, Object>, CallToolResult> handler) {
      this.name = name;
      this.description = description;
      this.properties = properties;
      this.required = required;
      this.handler = handler;
    }

    Tool tool() {
      return Tool.builder(
              name, Map.of("type", "object", "properties", properties, "required", required))
          .description(description)
          .build();
    }

    CallToolResult call(Map<String, Object> arguments) {
      return handler.apply(arguments == null ? Map.of() : arguments);
    }
  }

  private static double number(Map<String, Object> args, String name) {
    return ((Number) args.get(name)).doubleValue();
  }

  private static String format(double value) {
    return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
  }

  private static CallToolResult text(String text, boolean error) {
    return CallToolResult.builder().addTextContent(text).isError(error).build();
  }
}
