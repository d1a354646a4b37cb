package dev.aigateway.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.LlmRequest;
import dev.aigateway.api.Operation;
import dev.aigateway.core.ClientRequest;
import java.io.IOException;
import java.util.OptionalLong;

/**
 * The gateway's view of a matched request. The body is parsed on first use, at most once; bodies
 * larger than the configured bound, or not a JSON object, read as "not understood".
 */
public final class RequestView implements LlmRequest {

  private static final String[] OUTPUT_ALLOWANCE_FIELDS =
      {"max_completion_tokens", "max_tokens", "max_output_tokens"};

  private final CallMatch match;
  private final ClientRequest request;
  private final int maxParsedBodyBytes;
  private ObjectNode body;
  private boolean parsed;

  public RequestView(CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
    this.match = match;
    this.request = request;
    this.maxParsedBodyBytes = maxParsedBodyBytes;
  }

  /** The parsed body, or null when it is not a JSON object (or too large to parse). */
  public synchronized ObjectNode body() {
    if (!parsed) {
      parsed = true;
      byte[] bytes = request.body();
      if (bytes.length <= maxParsedBodyBytes) {
        JsonNode node = Json.parseOrNull(bytes, 0, bytes.length);
        body = node instanceof ObjectNode ? (ObjectNode) node : null;
      }
    }
    return body;
  }

  /** The body bytes exactly as the application sent them. */
  public byte[] rawBody() {
    return request.body();
  }

  /**
   * The body rewritten for sending: {@code model} replaced (when {@code model} is not null) and
   * {@code stream_options.include_usage} set (when asked); null when nothing changes or the body
   * cannot be rewritten (not understood), so the application's bytes go out unchanged.
   */
  public byte[] rewrittenBody(String model, boolean includeUsage) {
    ObjectNode parsedBody = body();
    if (parsedBody == null || (!includeUsage
        && (model == null || model.equals(Json.text(parsedBody, "model"))))) {
      return null;
    }
    ObjectNode copy = parsedBody.deepCopy();
    if (model != null) {
      copy.put("model", model);
    }
    if (includeUsage) {
      JsonNode options = copy.get("stream_options");
      ObjectNode streamOptions = options instanceof ObjectNode
          ? (ObjectNode) options : copy.putObject("stream_options");
      streamOptions.put("include_usage", true);
    }
    try {
      return Json.MAPPER.writeValueAsBytes(copy);
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public Operation operation() {
    return match.operation();
  }

  @Override
  public String method() {
    return request.method();
  }

  @Override
  public String url() {
    return request.url();
  }

  @Override
  public String header(String name) {
    return request.header(name);
  }

  @Override
  public <T> T tag(Class<? extends T> type) {
    return request.tag(type);
  }

  @Override
  public String deployment() {
    return match.deployment();
  }

  @Override
  public String model() {
    String model = Json.text(body(), "model");
    return model != null && !model.isBlank() ? model : match.deployment();
  }

  @Override
  public boolean stream() {
    ObjectNode b = body();
    return b != null && b.path("stream").asBoolean(false);
  }

  @Override
  public boolean includeUsageRequested() {
    ObjectNode b = body();
    return b != null && b.path("stream_options").path("include_usage").asBoolean(false);
  }

  @Override
  public OptionalLong maxOutputTokens() {
    ObjectNode b = body();
    if (b != null) {
      for (String field : OUTPUT_ALLOWANCE_FIELDS) {
        JsonNode value = b.get(field);
        if (value != null && value.canConvertToLong() && value.longValue() >= 0) {
          return OptionalLong.of(value.longValue());
        }
      }
    }
    return OptionalLong.empty();
  }

  @Override
  public int choices() {
    ObjectNode b = body();
    JsonNode n = b == null ? null : b.get("n");
    return n != null && n.canConvertToInt() && n.intValue() > 0 ? n.intValue() : 1;
  }

  @Override
  public boolean bodyUnderstood() {
    return body() != null;
  }
}
