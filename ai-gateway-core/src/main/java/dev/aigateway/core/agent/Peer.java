package dev.aigateway.core.agent;

import dev.aigateway.api.ToolCallInfo;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.core.access.ToolAccess;
import dev.aigateway.core.safety.ContentSafety;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A configured MCP server or A2A agent as the governance uses it: its access, its policy and its
 * tools', and their counters (built once).
 */
final class Peer {

  /**
   * A2A methods whose answer is a stream of responses that all carry the request's id: A2A 0.x's
   * names and A2A 1.0's ({@code SendStreamingMessage}, {@code SubscribeToTask}, the names of its
   * gRPC binding). Any A2A request answered with an event stream is read as one too (see {@link
   * AgentCall}).
   */
  static final Set<String> A2A_STREAMING =
      Set.of("message/stream", "tasks/resubscribe", "SendStreamingMessage", "SubscribeToTask");

  /**
   * A2A operations by both of their method names: A2A 0.x's and A2A 1.0's (its gRPC binding's),
   * each mapped to the other. Access rules written for one version's names govern the other's
   * clients too, so an agent that serves both cannot be called past a deny entry by the name not
   * written.
   */
  private static final Map<String, List<String>> A2A_OTHER_NAMES = otherNames();

  private static Map<String, List<String>> otherNames() {
    String[][] pairs = {
      {"message/send", "SendMessage"},
      {"message/stream", "SendStreamingMessage"},
      {"tasks/get", "GetTask"},
      {"tasks/list", "ListTasks"},
      {"tasks/cancel", "CancelTask"},
      {"tasks/resubscribe", "SubscribeToTask"},
      {"tasks/pushNotificationConfig/set", "CreateTaskPushNotificationConfig"},
      {"tasks/pushNotificationConfig/get", "GetTaskPushNotificationConfig"},
      {"tasks/pushNotificationConfig/list", "ListTaskPushNotificationConfig"},
      {"tasks/pushNotificationConfig/list", "ListTaskPushNotificationConfigs"},
      {"tasks/pushNotificationConfig/delete", "DeleteTaskPushNotificationConfig"},
      {"agent/getAuthenticatedExtendedCard", "GetExtendedAgentCard"},
    };
    Map<String, List<String>> names = new java.util.HashMap<>();
    for (String[] pair : pairs) {
      names.computeIfAbsent(pair[0], k -> new ArrayList<>()).add(pair[1]);
      names.computeIfAbsent(pair[1], k -> new ArrayList<>()).add(pair[0]);
    }
    names.replaceAll((k, v) -> List.copyOf(v));
    return Map.copyOf(names);
  }

  final ToolCallInfo.Kind kind;
  final String name;
  final ToolAccess access;
  final ToolPolicy policy;
  final Map<String, ToolPolicy> tools;
  final boolean perConsumer;
  final boolean filterToolsList;
  final List<LimitSpec> specs;
  final Map<String, List<LimitSpec>> toolSpecs;

  /** The server's content checks and every tool's, once each (see {@link #anyChecks()}). */
  private final List<ContentSafety> anyChecks;

  Peer(McpServer server) {
    this(
        ToolCallInfo.Kind.MCP,
        server.name(),
        server.access(),
        server.policy(),
        server.tools(),
        server.perConsumer(),
        server.filterToolsList());
  }

  Peer(A2aAgent agent) {
    this(
        ToolCallInfo.Kind.A2A,
        agent.id(),
        agent.access(),
        agent.policy(),
        Map.of(),
        agent.perConsumer(),
        false);
  }

  private Peer(
      ToolCallInfo.Kind kind,
      String name,
      ToolAccess access,
      ToolPolicy policy,
      Map<String, ToolPolicy> tools,
      boolean perConsumer,
      boolean filterToolsList) {
    this.kind = kind;
    this.name = name;
    this.access = access;
    this.policy = policy;
    // A tool's policy applies to its name in any case, as access patterns match it (a server may
    // match names so too): the name a call gives is looked up ignoring case.
    Map<String, ToolPolicy> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    byName.putAll(tools);
    this.tools = Collections.unmodifiableMap(byName);
    this.perConsumer = perConsumer;
    this.filterToolsList = filterToolsList;
    String prefix = (kind == ToolCallInfo.Kind.MCP ? "mcp:" : "a2a:") + name;
    this.specs = specs(prefix, policy);
    Map<String, List<LimitSpec>> byTool = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    tools.forEach(
        (tool, toolPolicy) -> byTool.put(tool, specs(prefix + "/tool:" + tool, toolPolicy)));
    this.toolSpecs = Collections.unmodifiableMap(byTool);
    java.util.LinkedHashSet<ContentSafety> all = new java.util.LinkedHashSet<>(checks(null));
    for (ToolPolicy tool : tools.values()) {
      if (tool.contentChecks() != null) {
        all.add(tool.contentChecks());
      }
    }
    this.anyChecks = List.copyOf(all);
  }

  private static List<LimitSpec> specs(String id, ToolPolicy policy) {
    List<LimitSpec> list = new ArrayList<>(2);
    if (policy.callsPerMinute() > 0) {
      list.add(
          LimitSpec.rate(
              id + "/request-rate",
              LimitSpec.Unit.REQUESTS,
              policy.callsPerMinute(),
              Duration.ofMinutes(1)));
    }
    if (policy.maxInFlight() > 0) {
      list.add(LimitSpec.inFlight(id + "/in-flight", policy.maxInFlight()));
    }
    return List.copyOf(list);
  }

  /** The tool's own policy (its name compared ignoring case, as access patterns do), or null. */
  @Nullable ToolPolicy tool(@Nullable String tool) {
    return tool == null ? null : tools.get(tool);
  }

  /**
   * The name access rules are checked on: the tool (MCP {@code tools/call}) or the method (A2A).
   */
  @Nullable String accessName(String method, @Nullable String tool) {
    if (kind == ToolCallInfo.Kind.A2A) {
      return method;
    }
    return "tools/call".equals(method) ? tool : null;
  }

  /**
   * What the access entries decide for a call named {@code name} ({@link #accessName}). An A2A
   * method is checked under each of its names (A2A 0.x's and 1.0's, {@code tasks/cancel} and {@code
   * CancelTask}): a deny entry matching any of them refuses, else an allow entry matching any of
   * them allows, else the default, as for one name.
   */
  ToolAccess.Decision access(String consumer, Set<String> roles, String name) {
    List<String> others =
        kind == ToolCallInfo.Kind.A2A ? A2A_OTHER_NAMES.getOrDefault(name, List.of()) : List.of();
    ToolAccess.Decision decision = access.check(consumer, roles, name);
    if (others.isEmpty() || (!decision.allowed() && !byDefault(decision))) {
      return decision;
    }
    ToolAccess.Decision allowing = decision.allowed() && !byDefault(decision) ? decision : null;
    for (String other : others) {
      ToolAccess.Decision alias = access.check(consumer, roles, other);
      if (!alias.allowed() && !byDefault(alias)) {
        return alias; // a deny entry matches the other name
      }
      if (allowing == null && alias.allowed() && !byDefault(alias)) {
        allowing = alias;
      }
    }
    return allowing != null ? allowing : decision;
  }

  private static boolean byDefault(ToolAccess.Decision decision) {
    return ToolAccess.DEFAULT_RULE.equals(decision.rule());
  }

  /**
   * Whether an MCP {@code tools/call} without a name the gateway can read is refused: some access
   * entry or tool policy could apply to the tool the server would run (a server may read the name
   * where the gateway does not, e.g. {@code "Name"} in Go), so it fails closed. Without access
   * entries, allowed by default, and without tool policies, nothing depends on the name.
   */
  boolean needsToolName(String method) {
    return kind == ToolCallInfo.Kind.MCP
        && "tools/call".equals(method)
        && (!access.allowsEverything() || !tools.isEmpty());
  }

  /** The smallest argument cap that applies, or 0. */
  long maxArgumentBytes(@Nullable ToolPolicy toolPolicy) {
    long server = policy.maxArgumentBytes();
    long tool = toolPolicy == null ? 0 : toolPolicy.maxArgumentBytes();
    if (server == 0) {
      return tool;
    }
    return tool == 0 ? server : Math.min(server, tool);
  }

  /** The content checks that apply: the server's, then the tool's. */
  List<ContentSafety> checks(@Nullable ToolPolicy toolPolicy) {
    ContentSafety server = policy.contentChecks();
    ContentSafety tool = toolPolicy == null ? null : toolPolicy.contentChecks();
    if (server == null) {
      return tool == null ? List.of() : List.of(tool);
    }
    return tool == null ? List.of(server) : List.of(server, tool);
  }

  /**
   * Every content check that may apply to a result whose request is not known (one a server replays
   * on an MCP GET stream): the server's, then each tool's, once each.
   */
  List<ContentSafety> anyChecks() {
    return anyChecks;
  }

  /** Whether a tools/list answer may need filtering for some caller. */
  boolean filtersToolsList() {
    return filterToolsList && !access.allowsEverything();
  }

  boolean streaming(String method) {
    return kind == ToolCallInfo.Kind.A2A && A2A_STREAMING.contains(method);
  }
}
