package dev.aigateway.mcp;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.DefaultServerTransportSecurityValidator;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Serves {@link OpenApiTools} as an MCP server over Streamable HTTP (the MCP Java SDK's server and
 * its servlet transport, in an embedded Tomcat): {@code tools/list} lists the API's operations and
 * {@code tools/call} makes the HTTP call through the tools' (governed) client, answering the API's
 * body as text content, a non-2xx status or failed request as a tool error.
 *
 * <pre>{@code
 * try (OpenApiMcpServer server = OpenApiMcpServer.start(petstoreTools, 8931)) {
 *   // MCP clients connect to server.url(): http://127.0.0.1:8931/mcp
 * }
 * }</pre>
 *
 * <p>It listens on loopback unless {@link Builder#host(String)} says otherwise: the tools carry the
 * API's credential, so exposing them further is a decision to take on purpose. A request that
 * carries an {@code Origin} (a browser's) is refused with 403 unless that origin is this machine
 * ({@code http://localhost}, {@code http://127.0.0.1}, {@code http://[::1]}, any port) or the
 * configured host, so a web page of another site cannot call the tools, not even after pointing its
 * own name at 127.0.0.1 (DNS rebinding). Clients that send no {@code Origin} are not affected.
 * Thread-safe.
 */
public final class OpenApiMcpServer implements AutoCloseable {

  /** The endpoint path by default. */
  public static final String DEFAULT_ENDPOINT = "/mcp";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ServletHost host;
  private final McpSyncServer server;
  private final String hostName;
  private final String endpoint;

  private OpenApiMcpServer(
      ServletHost host, McpSyncServer server, String hostName, String endpoint) {
    this.host = host;
    this.server = server;
    this.hostName = hostName;
    this.endpoint = endpoint;
  }

  /** Serves {@code tools} on loopback at {@code port} (0 for a free one), at {@code /mcp}. */
  public static OpenApiMcpServer start(OpenApiTools tools, int port) {
    return builder(tools).start(port);
  }

  /** A builder of a server of {@code tools}. */
  public static Builder builder(OpenApiTools tools) {
    return new Builder(tools);
  }

  /** The port it listens on. */
  public int port() {
    return host.port();
  }

  /** The MCP endpoint's URL, for clients. */
  public String url() {
    String shown = hostName.contains(":") ? "[" + hostName + "]" : hostName;
    return "http://" + shown + ":" + port() + endpoint;
  }

  /** Closes the MCP sessions and stops listening. */
  @Override
  public void close() {
    try {
      server.closeGracefully();
    } finally {
      host.close();
    }
  }

  private static CallToolResult callTool(
      OpenApiTools tools, String name, Map<String, Object> args) {
    ObjectNode arguments = JSON.valueToTree(args == null ? Map.of() : args);
    ToolResult result;
    try {
      result = tools.call(name, arguments);
    } catch (IOException e) {
      result = new ToolResult(0, "", "the request failed: " + e.getMessage(), true);
    }
    return CallToolResult.builder().addTextContent(result.text()).isError(result.isError()).build();
  }

  /** Configures an {@link OpenApiMcpServer}. Not thread-safe. */
  public static final class Builder {
    private final OpenApiTools tools;
    private String host = "127.0.0.1";
    private String endpoint = DEFAULT_ENDPOINT;
    private String name = "openapi-tools";
    private String version = "1.0";

    private Builder(OpenApiTools tools) {
      this.tools = Objects.requireNonNull(tools, "tools");
    }

    /** The address to listen on; {@code 127.0.0.1} by default. */
    public Builder host(String host) {
      Objects.requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("host is blank");
      }
      this.host = host;
      return this;
    }

    /** The endpoint path, starting with {@code /}; {@value #DEFAULT_ENDPOINT} by default. */
    public Builder endpoint(String endpoint) {
      Objects.requireNonNull(endpoint, "endpoint");
      if (!endpoint.startsWith("/") || endpoint.length() < 2 || endpoint.contains("*")) {
        throw new IllegalArgumentException(
            "endpoint must be a path such as /mcp but was '" + endpoint + "'");
      }
      this.endpoint = endpoint;
      return this;
    }

    /** The name and version the server tells clients at initialization. */
    public Builder serverInfo(String name, String version) {
      this.name = Objects.requireNonNull(name, "name");
      this.version = Objects.requireNonNull(version, "version");
      return this;
    }

    /**
     * Starts serving on {@code port} (0 for a free one).
     *
     * @throws IllegalStateException when it cannot listen there
     */
    public OpenApiMcpServer start(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be 0 to 65535 but was " + port);
      }
      HttpServletStreamableServerTransportProvider transport =
          HttpServletStreamableServerTransportProvider.builder()
              .mcpEndpoint(endpoint)
              .securityValidator(
                  DefaultServerTransportSecurityValidator.builder()
                      .allowedOrigins(allowedOrigins(host))
                      .build())
              .build();
      List<SyncToolSpecification> specifications = new ArrayList<>();
      for (ApiTool tool : tools.tools()) {
        Map<String, Object> schema;
        try {
          schema = JSON.readValue(tool.inputSchema(), new TypeReference<Map<String, Object>>() {});
        } catch (IOException e) {
          throw new IllegalStateException("the input schema of " + tool.name() + " is not JSON", e);
        }
        specifications.add(
            SyncToolSpecification.builder()
                .tool(
                    McpSchema.Tool.builder(tool.name(), schema)
                        .description(tool.description())
                        .build())
                .callHandler(
                    (exchange, request) -> callTool(tools, request.name(), request.arguments()))
                .build());
      }
      McpSyncServer server =
          McpServer.sync(transport)
              .serverInfo(name, version)
              .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
              .tools(specifications)
              .build();
      ServletHost servletHost;
      try {
        servletHost = ServletHost.start(host, port, endpoint, transport);
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      return new OpenApiMcpServer(servletHost, server, host, endpoint);
    }

    /** The browser origins allowed: this machine's, and the host listened on, on any port. */
    private static List<String> allowedOrigins(String host) {
      List<String> origins = new ArrayList<>();
      origins.add("http://localhost:*");
      origins.add("http://127.0.0.1:*");
      origins.add("http://[::1]:*");
      String shown = host.contains(":") ? "[" + host + "]" : host;
      String own = "http://" + shown + ":*";
      if (!origins.contains(own)) {
        origins.add(own);
      }
      return origins;
    }
  }
}
