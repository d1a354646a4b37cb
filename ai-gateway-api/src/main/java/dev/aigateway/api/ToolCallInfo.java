package dev.aigateway.api;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One JSON-RPC call to a configured MCP server or A2A agent, as its {@link GatewayEvent} reports it
 * ({@link GatewayEvent#tool()}). Names, ids, sizes and codes only: never arguments, results or
 * headers.
 *
 * @param kind MCP server or A2A agent
 * @param target the configured name of the server, or id of the agent
 * @param agentName an A2A agent's name from its agent card once the gateway has seen it, else null
 * @param method the JSON-RPC method ({@code tools/call}, {@code tools/list}, {@code message/send},
 *     ...)
 * @param tool the tool's name for {@code tools/call}, else null
 * @param rpcId the JSON-RPC request id as its JSON text ({@code 7}, {@code "a-1"})
 * @param sessionId the MCP session ({@code Mcp-Session-Id}) the call was made in, or null
 * @param outcome how the call ended
 * @param errorCode the JSON-RPC error code of the answer (the server's, or the gateway's for a call
 *     it answered itself), else null
 * @param argumentBytes the size of the request's {@code params} in bytes (0 when it has none)
 * @param resultBytes the size of the answer's {@code result} or {@code error} in bytes as the
 *     application received it (a stream: the sum over its events), 0 when none arrived
 */
public record ToolCallInfo(
    Kind kind,
    String target,
    @Nullable String agentName,
    String method,
    @Nullable String tool,
    String rpcId,
    @Nullable String sessionId,
    Outcome outcome,
    @Nullable Integer errorCode,
    long argumentBytes,
    long resultBytes) {

  /** No tool or agent call: an LLM call's event. */
  public static final ToolCallInfo NONE =
      new ToolCallInfo(Kind.NONE, "", null, "", null, "", null, Outcome.NONE, null, 0, 0);

  /** Validates the required parts. */
  public ToolCallInfo {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(rpcId, "rpcId");
    Objects.requireNonNull(outcome, "outcome");
  }

  /** What was called. */
  public enum Kind {
    /** Not a tool or agent call. */
    NONE,
    /** A JSON-RPC request to an MCP server over Streamable HTTP. */
    MCP,
    /** A JSON-RPC request to an A2A agent. */
    A2A
  }

  /** How a tool or agent call ended. */
  public enum Outcome {
    /** Not a tool or agent call. */
    NONE,
    /** The server answered with a result. */
    OK,
    /** The server answered with a JSON-RPC error ({@link #errorCode()}). */
    ERROR,
    /** The gateway refused the call: no access rule allows it. Answered locally. */
    DENIED,
    /** A calls-per-minute limit or in-flight cap refused the call. Answered locally. */
    LIMITED,
    /** The arguments exceed the size cap. Answered locally. */
    TOO_LARGE,
    /**
     * A content check blocked the arguments (answered locally, never sent) or the result (the
     * application got a JSON-RPC error in its place).
     */
    BLOCKED,
    /**
     * Not sent because another member of its batch was refused, or because another request of its
     * batch has the same id (answered locally), or because the gateway failed while admitting it
     * (the call's outcome is then {@code FAILED}, its error type the failure's).
     */
    NOT_SENT,
    /** The server answered with an HTTP error status, not a JSON-RPC answer. */
    HTTP_ERROR,
    /** The call failed before an answer arrived (connection, timeout). */
    TRANSPORT_ERROR,
    /**
     * The application closed or cancelled the answer before the call's response arrived, or the
     * client cancelled the request ({@code notifications/cancelled}) and the answer ended without
     * its response.
     */
    CANCELLED,
    /** The answer ended without a response for this call. */
    NO_RESPONSE
  }
}
