package dev.aigateway.core.agent;

import dev.aigateway.core.inventory.GatewayInventory;
import dev.aigateway.core.inventory.InventoryOptions;
import dev.aigateway.core.inventory.InventorySection;
import dev.aigateway.core.safety.ContentSafety;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The MCP servers and A2A agents a gateway governs, as its {@linkplain
 * dev.aigateway.core.AiGateway#inventory() inventory} lists them under {@code mcpServers} and
 * {@code agents}: each one's configuration (URL without secrets, limits, access rules, the names of
 * its content checks) beside what the gateway has seen of it (the tools a server listed, the card
 * an agent served). The typed values of those two sections; never a credential, a deny word or a
 * tool's arguments.
 */
public final class AgentSections {

  private AgentSections() {}

  /**
   * The limits of a server, an agent or one tool.
   *
   * @param callsPerMinute calls allowed per minute, 0 when unlimited
   * @param maxInFlight calls allowed at once, 0 when unlimited
   * @param maxArgumentBytes the largest {@code params} in bytes, 0 when unlimited
   * @param contentChecks the names of the content checks run on arguments and results
   */
  public record Policy(
      long callsPerMinute, int maxInFlight, long maxArgumentBytes, List<String> contentChecks) {

    /** Copies the check names. */
    public Policy {
      contentChecks = List.copyOf(contentChecks);
    }

    static Policy of(ToolPolicy policy) {
      ContentSafety checks = policy.contentChecks();
      return new Policy(
          policy.callsPerMinute(),
          policy.maxInFlight(),
          policy.maxArgumentBytes(),
          checks == null
              ? List.of()
              : checks.summary().checks().stream().map(ContentSafety.Check::name).toList());
    }
  }

  /**
   * A tool a server listed through the gateway.
   *
   * @param name the tool's name
   * @param description its description, if it gave one
   * @param seenAt when a {@code tools/list} answer last listed it
   */
  public record Tool(String name, @Nullable String description, Instant seenAt) {}

  /**
   * One governed MCP server.
   *
   * @param name its configured name (events' server name)
   * @param url its URL without secrets
   * @param perConsumer whether its limits count per consumer (else for all consumers together)
   * @param filterToolsList whether {@code tools/list} answers are filtered per consumer
   * @param access its access rules (patterns of tool names per consumer or role)
   * @param limits the limits of every call to it
   * @param toolLimits the limits of named tools, beside the server's
   * @param toolsListed the tools it has listed so far, in the order first seen
   */
  public record Server(
      String name,
      String url,
      boolean perConsumer,
      boolean filterToolsList,
      String access,
      Policy limits,
      Map<String, Policy> toolLimits,
      List<Tool> toolsListed) {

    /** Copies the collections. */
    public Server {
      toolLimits = Map.copyOf(toolLimits);
      toolsListed = List.copyOf(toolsListed);
    }
  }

  /**
   * One governed A2A agent.
   *
   * @param id its configured id
   * @param url its JSON-RPC URL without secrets
   * @param cardUrl where its agent card is served, without secrets
   * @param name the name its card gives it, once the card was fetched through the gateway
   * @param version the version its card gives, likewise
   * @param cardSeenAt when its card was last fetched through the gateway, or null
   * @param perConsumer whether its limits count per consumer
   * @param access its access rules (patterns of JSON-RPC methods per consumer or role)
   * @param limits the limits of every call to it
   */
  public record Agent(
      String id,
      String url,
      String cardUrl,
      @Nullable String name,
      @Nullable String version,
      @Nullable Instant cardSeenAt,
      boolean perConsumer,
      String access,
      Policy limits) {}

  /** The two sections of a gateway that governs {@code servers} and {@code agents}. */
  static List<InventorySection> of(
      List<McpServer> servers, List<A2aAgent> agents, AgentInventory seen) {
    List<McpServer> serverList = List.copyOf(servers);
    List<A2aAgent> agentList = List.copyOf(agents);
    return List.of(
        section(GatewayInventory.MCP_SERVERS, options -> servers(serverList, seen)),
        section(GatewayInventory.AGENTS, options -> agents(agentList, seen)));
  }

  static List<Server> servers(List<McpServer> servers, AgentInventory seen) {
    return servers.stream()
        .map(
            server -> {
              Map<String, Policy> toolLimits = new LinkedHashMap<>();
              server.tools().forEach((tool, policy) -> toolLimits.put(tool, Policy.of(policy)));
              return new Server(
                  server.name(),
                  GatewayInventory.urlWithoutSecrets(server.url()),
                  server.perConsumer(),
                  server.filterToolsList(),
                  server.access().toString(),
                  Policy.of(server.policy()),
                  toolLimits,
                  seen.tools(server.name()).stream()
                      .map(tool -> new Tool(tool.name(), tool.description(), tool.seenAt()))
                      .toList());
            })
        .toList();
  }

  static List<Agent> agents(List<A2aAgent> agents, AgentInventory seen) {
    return agents.stream()
        .map(
            agent -> {
              AgentInventory.SeenAgentCard card = seen.agentCard(agent.id()).orElse(null);
              return new Agent(
                  agent.id(),
                  GatewayInventory.urlWithoutSecrets(agent.url()),
                  GatewayInventory.urlWithoutSecrets(agent.cardUrl()),
                  card == null ? null : card.name(),
                  card == null ? null : card.version(),
                  card == null ? null : card.seenAt(),
                  agent.perConsumer(),
                  agent.access().toString(),
                  Policy.of(agent.policy()));
            })
        .toList();
  }

  private interface Reader {
    Object read(InventoryOptions options);
  }

  private static InventorySection section(String key, Reader reader) {
    return new InventorySection() {
      @Override
      public String key() {
        return key;
      }

      @Override
      public Object read(InventoryOptions options) {
        return reader.read(options);
      }

      @Override
      public String toString() {
        return "AgentSections{" + key + "}";
      }
    };
  }
}
