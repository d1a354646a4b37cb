package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.CallMatch;
import java.util.List;

/**
 * A Vertex AI {@code rawPredict} / {@code streamRawPredict} call to an Anthropic model as {@link
 * VertexAnthropicFormat} reads it: the model from the path, decoded ({@code
 * claude-sonnet-4@20250514}), the allowance from {@code max_tokens}, the body parsed whole on first
 * use (never above the gateway's bound).
 */
final class VertexAnthropicRequest extends TreeRequest {

  private static final List<String> ALLOWANCE = List.of("/max_tokens");
  private static final RequestMembers ALLOWANCE_READER = RequestMembers.of(ALLOWANCE);

  private final VertexAnthropicFormat format;

  VertexAnthropicRequest(
      VertexAnthropicFormat format,
      CallMatch match,
      ClientRequest request,
      int maxParsedBodyBytes) {
    super(format, format.modelIn(request.encodedPath()), match, request, maxParsedBodyBytes);
    this.format = format;
  }

  /** This request with {@code body} in place of the application's bytes (a redacted prompt). */
  VertexAnthropicRequest withBody(byte[] body) {
    return new VertexAnthropicRequest(format, match, clientWith(body), maxParsedBodyBytes());
  }

  /** {@code gcp.vertex_ai}, as the OpenTelemetry GenAI conventions name Vertex AI. */
  @Override
  public String provider() {
    return "gcp.vertex_ai";
  }

  /** {@code streamRawPredict}, or a body setting {@code stream} to true. */
  @Override
  public boolean stream() {
    if (format.streams()) {
      return true;
    }
    ObjectNode body = body();
    return body != null && body.path("stream").asBoolean(false);
  }

  @Override
  List<String> allowanceFields() {
    return ALLOWANCE;
  }

  @Override
  RequestMembers memberReader() {
    return ALLOWANCE_READER;
  }
}
