package dev.aigateway.mcp;

import java.util.Objects;

/**
 * What a tool call against a REST API answered.
 *
 * @param status the HTTP status, or 0 when no HTTP answer came (the arguments were unusable, or the
 *     request failed: then {@code text} says why)
 * @param contentType the answer's media type, or an empty string
 * @param text the answer's body as text (JSON as the API sent it); for an error, the status and the
 *     body, or what went wrong
 * @param isError true for a non-2xx status, unusable arguments or a failed request
 */
public record ToolResult(int status, String contentType, String text, boolean isError) {

  /** Checks that nothing is null. */
  public ToolResult {
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(text, "text");
  }
}
