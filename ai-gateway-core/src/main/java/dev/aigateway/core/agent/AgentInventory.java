package dev.aigateway.core.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.core.wire.Json;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * What a gateway knows of the MCP servers and A2A agents it governs: the configured ones, the tools
 * each server listed in the {@code tools/list} answers that passed through it (as the server sent
 * them, before any filtering), and the agent cards fetched through it. Read-only for applications;
 * thread-safe; always current (a later answer replaces what an earlier one said of the same tool or
 * card). Kept in memory only, per gateway, at most {@link #MAX_TOOLS_PER_SERVER} tools per server.
 */
public final class AgentInventory {

  /** The largest agent card remembered, in bytes. */
  public static final int MAX_CARD_BYTES = 1 << 20;

  /**
   * The most tools remembered per server: past it, the tool first seen is forgotten (and learnt
   * again, as new, when a later {@code tools/list} lists it), so that a server whose tool names
   * change from list to list cannot grow the inventory without bound.
   */
  public static final int MAX_TOOLS_PER_SERVER = 4_096;

  private final List<String> servers;
  private final List<String> agents;
  private final Clock clock;
  private final ConcurrentHashMap<String, Map<String, SeenTool>> tools = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, SeenAgentCard> cards = new ConcurrentHashMap<>();

  AgentInventory(List<String> servers, List<String> agents, Clock clock) {
    this.servers = List.copyOf(servers);
    this.agents = List.copyOf(agents);
    this.clock = clock;
  }

  /** An inventory of a gateway that governs no MCP server or agent. */
  public static AgentInventory empty() {
    return new AgentInventory(List.of(), List.of(), Clock.systemUTC());
  }

  /** The names of the configured MCP servers, in the order they were added. */
  public List<String> servers() {
    return servers;
  }

  /** The ids of the configured A2A agents, in the order they were added. */
  public List<String> agents() {
    return agents;
  }

  /**
   * The tools {@code server} has listed so far, in the order first seen; empty until a {@code
   * tools/list} answer has passed.
   *
   * @throws IllegalArgumentException when no server of that name is configured
   */
  public List<SeenTool> tools(String server) {
    if (!servers.contains(server)) {
      throw new IllegalArgumentException(
          "no MCP server named '" + server + "' is configured; the servers are " + servers);
    }
    Map<String, SeenTool> seen = tools.get(server);
    if (seen == null) {
      return List.of();
    }
    synchronized (seen) {
      return List.copyOf(seen.values());
    }
  }

  /** The card of one agent, once fetched through the gateway. */
  public Optional<SeenAgentCard> agentCard(String agent) {
    return Optional.ofNullable(cards.get(agent));
  }

  /** Every agent card fetched so far, by agent id. */
  public Map<String, SeenAgentCard> agentCards() {
    return Map.copyOf(cards);
  }

  /** The name an agent's card gives it, or null. */
  @Nullable String agentName(String agent) {
    SeenAgentCard card = cards.get(agent);
    return card == null ? null : card.name();
  }

  void toolsListed(String server, List<JsonNode> definitions) {
    Map<String, SeenTool> seen = tools.computeIfAbsent(server, k -> boundedToolMap());
    Instant now = clock.instant();
    synchronized (seen) {
      for (JsonNode definition : definitions) {
        String name = definition.path("name").textValue();
        if (name != null) {
          seen.put(
              name,
              new SeenTool(
                  name, definition.path("description").textValue(), definition.toString(), now));
        }
      }
    }
  }

  /** Tools by name in the order first seen, at most {@link #MAX_TOOLS_PER_SERVER}. */
  private static Map<String, SeenTool> boundedToolMap() {
    return new LinkedHashMap<>() {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, SeenTool> eldest) {
        return size() > MAX_TOOLS_PER_SERVER;
      }
    };
  }

  void cardFetched(A2aAgent agent, byte[] card) {
    JsonNode node = Json.parseOrNull(card, 0, card.length);
    if (node == null || !node.isObject()) {
      return; // not a card: nothing to remember
    }
    cards.put(
        agent.id(),
        new SeenAgentCard(
            agent.id(),
            agent.cardUrl(),
            node.path("name").textValue(),
            node.path("version").textValue(),
            new String(card, StandardCharsets.UTF_8),
            clock.instant()));
  }

  @Override
  public String toString() {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (String server : servers) {
      counts.put(server, tools(server).size());
    }
    return "AgentInventory{tools="
        + counts
        + ", agents="
        + agents
        + ", cards="
        + cards.keySet()
        + "}";
  }

  /**
   * A tool a server listed.
   *
   * @param name the tool's name
   * @param description its description, if it has one
   * @param definition the tool's whole definition as JSON (name, description, input schema, ...)
   * @param seenAt when it was last listed
   */
  public record SeenTool(
      String name, @Nullable String description, String definition, Instant seenAt) {}

  /**
   * An agent card fetched through the gateway.
   *
   * @param agent the agent's configured id
   * @param url where the card was fetched
   * @param name the card's {@code name}, if any
   * @param version the card's {@code version}, if any
   * @param card the card as the agent served it (JSON)
   * @param seenAt when it was fetched
   */
  public record SeenAgentCard(
      String agent,
      String url,
      @Nullable String name,
      @Nullable String version,
      String card,
      Instant seenAt) {}

  static List<JsonNode> list(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    array.forEach(out::add);
    return out;
  }
}
