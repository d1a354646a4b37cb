package dev.aigateway.core.agent;

import dev.aigateway.core.access.ToolAccess;
import dev.aigateway.core.safety.ContentSafety;
import java.util.Objects;

/**
 * What the builders of an {@link McpServer} and an {@link A2aAgent} share: who may call what, the
 * limits of every call to the peer, and whether its counters are kept per consumer. Setters
 * validate at once; a later call of a setter replaces what an earlier one set. Not thread-safe.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class PeerBuilder<B extends PeerBuilder<B>> {
  ToolAccess access = ToolAccess.allowAll();
  final ToolPolicy.Builder policy = ToolPolicy.builder();
  boolean perConsumer = true;

  PeerBuilder() {}

  /** This builder, as its own type. */
  abstract B self();

  /**
   * Who may call what (default: everyone, everything): tool names of an MCP server, JSON-RPC
   * methods of an A2A agent.
   */
  public B access(ToolAccess access) {
    this.access = Objects.requireNonNull(access, "access");
    return self();
  }

  /** Builds and sets the access rules; see {@link #access(ToolAccess)}. */
  public B access(ToolAccess.Builder access) {
    return access(access.build());
  }

  /** Calls per minute to the whole peer (all its tools or methods together). */
  public B callsPerMinute(long calls) {
    policy.callsPerMinute(calls);
    return self();
  }

  /** Calls in flight at once to the whole peer (a streamed answer holds its slot until it ends). */
  public B maxInFlight(int calls) {
    policy.maxInFlight(calls);
    return self();
  }

  /** The largest {@code params} of any call to the peer, in bytes. */
  public B maxArgumentBytes(long bytes) {
    policy.maxArgumentBytes(bytes);
    return self();
  }

  /**
   * Checks what every call sends and what comes back; see {@link ToolPolicy.Builder#contentChecks}.
   */
  public B contentChecks(ContentSafety safety) {
    policy.contentChecks(safety);
    return self();
  }

  /** Builds and sets the content checks; see {@link #contentChecks(ContentSafety)}. */
  public B contentChecks(ContentSafety.Builder safety) {
    return contentChecks(safety.build());
  }

  /**
   * True (default): counters are kept per consumer (peer × tool × consumer). False: one counter per
   * peer and per tool, shared by every consumer.
   */
  public B perConsumer(boolean perConsumer) {
    this.perConsumer = perConsumer;
    return self();
  }
}
