package dev.aigateway.core.agent;

import dev.aigateway.core.access.ToolAccess;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An MCP server reached over Streamable HTTP whose calls the gateway governs: every JSON-RPC POST
 * to its URL (same scheme, host, port and path) made through a wrapped client. Per server and per
 * tool: who may call which tool ({@link ToolAccess}), calls per minute and in flight (per consumer
 * by default), argument size caps and content checks. Immutable and thread-safe.
 *
 * <pre>{@code
 * McpServer github = McpServer.builder("github", "https://mcp.example.com/mcp")
 *     .access(ToolAccess.denyByDefault().allowRole("developer", "*").denyRole("intern", "delete_*"))
 *     .callsPerMinute(120)                                // the whole server, per consumer
 *     .maxArgumentBytes(64 * 1024)
 *     .tool("create_issue", ToolPolicy.builder().callsPerMinute(10).maxInFlight(2))
 *     .build();
 * AiGateway.builder().mcpServer(github).build();
 * }</pre>
 *
 * <p>Server-wide settings and a tool's own both apply to that tool's calls: a call must fit the
 * server's counters and the tool's (reserved together, all or none), and the smaller size cap.
 * {@code tools/list} answers are filtered so a consumer sees only the tools it may call, unless
 * {@link Builder#filterToolsList(boolean)} turns that off.
 */
public final class McpServer {

  private final String name;
  private final Endpoint endpoint;
  private final ToolAccess access;
  private final ToolPolicy policy;
  private final Map<String, ToolPolicy> tools;
  private final boolean perConsumer;
  private final boolean filterToolsList;

  private McpServer(Builder b) {
    this.name = b.name;
    this.endpoint = b.endpoint;
    this.access = b.access;
    this.policy = b.policy.build();
    this.tools = Map.copyOf(b.tools);
    this.perConsumer = b.perConsumer;
    this.filterToolsList = b.filterToolsList;
  }

  /**
   * A server named {@code name} (in events, metrics and counter keys; unique in a gateway) at the
   * Streamable HTTP endpoint {@code url} (for example {@code https://mcp.example.com/mcp}).
   */
  public static Builder builder(String name, String url) {
    return new Builder(requireName(name), url);
  }

  /** The server's name. */
  public String name() {
    return name;
  }

  /** The endpoint URL, normalised ({@code scheme://host:port/path}). */
  public String url() {
    return endpoint.toString();
  }

  Endpoint endpoint() {
    return endpoint;
  }

  /** Who may call which tool. */
  public ToolAccess access() {
    return access;
  }

  /** The server-wide limits and checks. */
  public ToolPolicy policy() {
    return policy;
  }

  /** The policies of single tools, by tool name. */
  public Map<String, ToolPolicy> tools() {
    return tools;
  }

  /** Whether counters are kept per consumer (the default) rather than shared by all. */
  public boolean perConsumer() {
    return perConsumer;
  }

  /** Whether {@code tools/list} answers are filtered to the tools the consumer may call. */
  public boolean filterToolsList() {
    return filterToolsList;
  }

  @Override
  public String toString() {
    return "McpServer{"
        + name
        + " at "
        + endpoint
        + ", "
        + access
        + ", "
        + policy
        + ", tools="
        + tools
        + "}";
  }

  static String requireName(String name) {
    if (name == null || name.isBlank() || name.contains("/")) {
      throw new IllegalArgumentException(
          "a server or agent name must be non-blank and contain no '/' but was '" + name + "'");
    }
    return name;
  }

  /** Builds an {@link McpServer}; setters validate at once. */
  public static final class Builder extends PeerBuilder<Builder> {
    private final String name;
    private final Endpoint endpoint;
    private final Map<String, ToolPolicy> tools = new LinkedHashMap<>();
    private boolean filterToolsList = true;

    private Builder(String name, String url) {
      this.name = name;
      this.endpoint = Endpoint.parse(url, "MCP server '" + name + "'");
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * Adds the policy of one tool, by its name; a tool's policy is set once. It applies to a call
     * naming the tool in any case ({@code GET_ISSUE} for {@code get_issue}), as access patterns
     * match names, so two names that differ only in case are refused.
     */
    public Builder tool(String toolName, ToolPolicy toolPolicy) {
      if (toolName == null || toolName.isBlank()) {
        throw new IllegalArgumentException(
            "a tool name must be non-blank but was '" + toolName + "'");
      }
      Objects.requireNonNull(toolPolicy, "toolPolicy");
      for (Map.Entry<String, ToolPolicy> earlier : tools.entrySet()) {
        if (earlier.getKey().equalsIgnoreCase(toolName)) {
          throw new IllegalArgumentException(
              "tool '"
                  + toolName
                  + "' of MCP server '"
                  + name
                  + "' already has "
                  + earlier.getValue()
                  + (earlier.getKey().equals(toolName)
                      ? ""
                      : " as '"
                          + earlier.getKey()
                          + "' (tool policies apply to a name in any case)"));
        }
      }
      tools.put(toolName, toolPolicy);
      return this;
    }

    /** Builds and adds the policy of one tool; see {@link #tool(String, ToolPolicy)}. */
    public Builder tool(String toolName, ToolPolicy.Builder toolPolicy) {
      return tool(toolName, toolPolicy.build());
    }

    /**
     * True (default): {@code tools/list} answers are rewritten so each consumer sees only the tools
     * its access allows (only {@code result.tools} changes; everything else is passed byte for
     * byte). False: they pass untouched.
     */
    public Builder filterToolsList(boolean filter) {
      this.filterToolsList = filter;
      return this;
    }

    /** Builds the server's configuration. */
    public McpServer build() {
      return new McpServer(this);
    }
  }
}
