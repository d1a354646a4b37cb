package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.CallMatch;
import dev.aigateway.core.adapter.ClientRequest;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * A Vertex AI {@code rawPredict} / {@code streamRawPredict} call to an Anthropic model as {@link
 * VertexAnthropicFormat} reads it: the model from the path, the allowance from {@code max_tokens},
 * the body parsed whole on first use (never above the gateway's bound).
 */
final class VertexAnthropicRequest extends TreeRequest {

  private final VertexAnthropicFormat format;
  private final @Nullable String model;

  VertexAnthropicRequest(
      VertexAnthropicFormat format,
      CallMatch match,
      ClientRequest request,
      int maxParsedBodyBytes) {
    super(match, request, maxParsedBodyBytes);
    this.format = format;
    this.model = format.modelIn(request.encodedPath());
  }

  @Override
  public WireFormat format() {
    return format;
  }

  /** {@code gcp.vertex_ai}, as the OpenTelemetry GenAI conventions name Vertex AI. */
  @Override
  public String provider() {
    return "gcp.vertex_ai";
  }

  @Override
  public @Nullable String maxOutputTokensField() {
    return maxOutputTokens().isPresent() ? "max_tokens" : null;
  }

  /** Vertex has no deployments; the publisher model is the {@link #model()}. */
  @Override
  public @Nullable String deployment() {
    return null;
  }

  /** The model from the path, decoded ({@code claude-sonnet-4@20250514}). */
  @Override
  public @Nullable String model() {
    return model;
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

  /** Anthropic's streams always report usage; nothing is asked for. */
  @Override
  public boolean includeUsageRequested() {
    return false;
  }

  @Override
  public OptionalLong maxOutputTokens() {
    ObjectNode body = body();
    JsonNode value = body == null ? null : body.get("max_tokens");
    return value != null
            && value.isIntegralNumber()
            && value.canConvertToLong()
            && value.longValue() >= 0
        ? OptionalLong.of(value.longValue())
        : OptionalLong.empty();
  }

  @Override
  public int choices() {
    return 1;
  }

  @Override
  public boolean bodyUnderstood() {
    return body() != null;
  }
}
