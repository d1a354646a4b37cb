package dev.aigateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.GatewayRejectedException;
import dev.aigateway.core.pipeline.Rejection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;

/**
 * Turns the gateway's refusal of a JSON-RPC request (an HTTP error carrying the gateway's {@code
 * x-ai-gateway-rejected} header, or the {@link GatewayRejectedException} a gateway configured to
 * throw raises) into the JSON-RPC error answer to that request, so the MCP SDK fails the request
 * with an {@code McpError} that carries the gateway's message, instead of a bare transport error
 * naming only the status. Anything else passes unchanged: errors of the MCP server itself, and
 * refusals of a notification or of the event stream (nothing could carry an answer), which the SDK
 * handles as its own transport does.
 */
final class GatewayRejections implements OkHttpBackedHttpClient.ResponseRewriter {

  /** The JSON-RPC error code of a gateway refusal: in the range JSON-RPC leaves to servers. */
  static final int REJECTED_CODE = -32000;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType APPLICATION_JSON = MediaType.get("application/json");
  private static final int MAX_MESSAGE_CHARS = 1_000;

  private final boolean enabled;

  GatewayRejections(boolean enabled) {
    this.enabled = enabled;
  }

  @Override
  public Response rewrite(Request request, byte @Nullable [] requestBody, Response response)
      throws IOException {
    String reason = response.header(Rejection.REJECTED_HEADER);
    if (!enabled || reason == null || response.code() < 400) {
      return response;
    }
    JsonNode id = requestId(requestBody);
    if (id == null) {
      return response;
    }
    String body;
    try (response) {
      body = response.body() == null ? "" : response.body().string();
    }
    Duration wait = Rejection.declaredWait(response::header);
    return answer(request, id, reason, response.code(), message(body), wait);
  }

  @Override
  public @Nullable Response onFailure(
      Request request, byte @Nullable [] requestBody, IOException failure) {
    if (!enabled || !(failure instanceof GatewayRejectedException rejected)) {
      return null;
    }
    JsonNode id = requestId(requestBody);
    if (id == null) {
      return null;
    }
    String message = rejected.getMessage() == null ? "" : rejected.getMessage();
    return answer(
        request,
        id,
        rejected.reason().headerValue(),
        rejected.status(),
        message,
        rejected.retryAfter());
  }

  private static Response answer(
      Request request,
      JsonNode id,
      String reason,
      int status,
      String message,
      @Nullable Duration wait) {
    ObjectNode error = JSON.createObjectNode();
    error.put("code", REJECTED_CODE);
    error.put(
        "message",
        "Rejected by the AI gateway ("
            + reason
            + ", HTTP "
            + status
            + ")"
            + (message.isEmpty() ? "" : ": " + message));
    ObjectNode data = error.putObject("data");
    data.put("reason", reason);
    data.put("status", status);
    if (wait != null) {
      data.put("retryAfterMillis", wait.toMillis());
    }
    ObjectNode answer = JSON.createObjectNode();
    answer.put("jsonrpc", "2.0");
    answer.set("id", id);
    answer.set("error", error);
    return new Response.Builder()
        .request(request)
        .protocol(Protocol.HTTP_1_1)
        .code(200)
        .message("OK")
        .header(Rejection.REJECTED_HEADER, reason)
        .body(
            ResponseBody.create(
                answer.toString().getBytes(StandardCharsets.UTF_8), APPLICATION_JSON))
        .build();
  }

  /** The id of a JSON-RPC request, or null for a notification, a response or no JSON-RPC body. */
  private static @Nullable JsonNode requestId(byte @Nullable [] body) {
    if (body == null) {
      return null;
    }
    try {
      JsonNode message = JSON.readTree(body);
      if (message == null
          || !message.isObject()
          || !message.has("method")
          || !message.hasNonNull("id")) {
        return null;
      }
      return message.get("id");
    } catch (IOException notJson) {
      return null;
    }
  }

  /** The refusal's words from its body, in whichever provider error shape it was written. */
  private static String message(String body) {
    String text = body.strip();
    try {
      JsonNode tree = JSON.readTree(text);
      if (tree != null) {
        JsonNode error = tree.path("error");
        if (error.path("message").isTextual()) {
          text = error.path("message").asText();
        } else if (error.isTextual()) {
          text = error.asText();
        } else if (tree.path("message").isTextual()) {
          text = tree.path("message").asText();
        }
      }
    } catch (IOException notJson) {
      // the body itself, shortened below
    }
    return text.length() > MAX_MESSAGE_CHARS ? text.substring(0, MAX_MESSAGE_CHARS) + "…" : text;
  }
}
