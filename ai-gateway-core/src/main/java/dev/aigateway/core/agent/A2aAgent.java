package dev.aigateway.core.agent;

import dev.aigateway.core.access.ToolAccess;

/**
 * An A2A agent whose JSON-RPC calls the gateway governs: every POST to its URL made through a
 * wrapped client ({@code message/send}, {@code message/stream}, {@code tasks/get}, {@code
 * tasks/cancel}, {@code tasks/resubscribe}, ...), and GETs of its agent card ({@code
 * /.well-known/agent-card.json} on the agent's origin), which pass untouched and are remembered in
 * the gateway's {@link AgentInventory}. Immutable and thread-safe.
 *
 * <pre>{@code
 * A2aAgent planner = A2aAgent.builder("planner", "https://agents.example.com/a2a/planner")
 *     .access(ToolAccess.denyByDefault().allowRole("agent-runner", "*"))   // patterns of methods
 *     .callsPerMinute(60)
 *     .maxInFlight(4)
 *     .build();
 * AiGateway.builder().agent(planner).build();
 * }</pre>
 *
 * <p>Streamed answers ({@code message/stream}, {@code tasks/resubscribe}) reach the application
 * byte for byte as they arrive, unless content checks are configured on results (then an event
 * whose result is blocked is replaced by a JSON-RPC error).
 */
public final class A2aAgent {

  /** Where the agent card is served, on the agent's origin. */
  public static final String AGENT_CARD_PATH = "/.well-known/agent-card.json";

  private final String id;
  private final Endpoint endpoint;
  private final Endpoint cardEndpoint;
  private final ToolAccess access;
  private final ToolPolicy policy;
  private final boolean perConsumer;

  private A2aAgent(Builder b) {
    this.id = b.id;
    this.endpoint = b.endpoint;
    this.cardEndpoint = b.endpoint.withPath(AGENT_CARD_PATH);
    this.access = b.access;
    this.policy = b.policy.build();
    this.perConsumer = b.perConsumer;
  }

  /**
   * An agent with the id {@code id} (in events, metrics and counter keys; unique in a gateway) at
   * its JSON-RPC endpoint {@code url}.
   */
  public static Builder builder(String id, String url) {
    return new Builder(McpServer.requireName(id), url);
  }

  /** The agent's id. */
  public String id() {
    return id;
  }

  /** The JSON-RPC endpoint URL, normalised. */
  public String url() {
    return endpoint.toString();
  }

  /** The agent card's URL, normalised. */
  public String cardUrl() {
    return cardEndpoint.toString();
  }

  Endpoint endpoint() {
    return endpoint;
  }

  Endpoint cardEndpoint() {
    return cardEndpoint;
  }

  /** Who may call which method. */
  public ToolAccess access() {
    return access;
  }

  /** The agent's limits and checks. */
  public ToolPolicy policy() {
    return policy;
  }

  /** Whether counters are kept per consumer (the default) rather than shared by all. */
  public boolean perConsumer() {
    return perConsumer;
  }

  @Override
  public String toString() {
    return "A2aAgent{" + id + " at " + endpoint + ", " + access + ", " + policy + "}";
  }

  /** Builds an {@link A2aAgent}; setters validate at once. */
  public static final class Builder extends PeerBuilder<Builder> {
    private final String id;
    private final Endpoint endpoint;

    private Builder(String id, String url) {
      this.id = id;
      this.endpoint = Endpoint.parse(url, "A2A agent '" + id + "'");
    }

    @Override
    Builder self() {
      return this;
    }

    /** Builds the agent's configuration. */
    public A2aAgent build() {
      return new A2aAgent(this);
    }
  }
}
