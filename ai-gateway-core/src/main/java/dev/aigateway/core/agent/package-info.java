/**
 * Governance of agents' tool and peer calls made through a wrapped client: JSON-RPC calls to
 * configured MCP servers (Streamable HTTP: {@code initialize}, {@code tools/list}, {@code
 * tools/call}, batches, JSON and SSE answers) and A2A agents ({@code message/send}, {@code
 * message/stream}, {@code tasks/get}, {@code tasks/cancel}, the agent card). Configure with {@link
 * dev.aigateway.core.agent.McpServer} and {@link dev.aigateway.core.agent.A2aAgent} on the
 * gateway's builder; per-tool access ({@link dev.aigateway.core.access.ToolAccess}), calls per
 * minute, in-flight caps, argument size caps and content checks apply per server and per tool; one
 * event per call. {@link dev.aigateway.core.agent.AgentInventory} lists the tools and agent cards
 * seen. {@link dev.aigateway.core.agent.AgentGovernance} and {@link
 * dev.aigateway.core.agent.AgentCall} are public for the client adapters only. See {@code
 * docs/agents.md}.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core.agent;

import org.jspecify.annotations.NullMarked;
