package dev.aigateway.mcp;

import java.util.Objects;

/**
 * One operation of a REST API offered as a tool.
 *
 * @param name the tool's name: the operation id, or method and path, in the characters MCP and
 *     OpenAI both allow ({@code [A-Za-z0-9_-]}, at most 64)
 * @param description the operation's summary and description, or its method and path
 * @param method the HTTP method
 * @param path the path template, as the document writes it ({@code /pets/{petId}})
 * @param inputSchema the JSON Schema of the arguments, as JSON text: an object whose properties are
 *     the path, query and header parameters and, for a request body, {@code body}
 */
public record ApiTool(
    String name, String description, String method, String path, String inputSchema) {

  /** Checks that nothing is null. */
  public ApiTool {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(inputSchema, "inputSchema");
  }
}
