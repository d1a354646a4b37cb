/**
 * The MCP Java SDK through the governed OkHttp client: {@link dev.aigateway.mcp.GovernedMcp} makes
 * the SDK's Streamable HTTP client transport send over an {@code OkHttpClient}; {@link
 * dev.aigateway.mcp.OpenApiTools} turns a REST API described by OpenAPI 3 into tools, served to MCP
 * clients by {@link dev.aigateway.mcp.OpenApiMcpServer} and offered to OpenAI models as function
 * tools, every tool call an HTTP call through the governed client.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.mcp;

import org.jspecify.annotations.NullMarked;
