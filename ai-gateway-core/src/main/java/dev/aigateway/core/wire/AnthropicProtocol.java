package dev.aigateway.core.wire;

import dev.aigateway.api.Operation;
import dev.aigateway.api.spi.CachedResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * What the formats that speak Anthropic's Messages protocol over HTTP share, whatever the path
 * ({@link AnthropicMessagesFormat} on Anthropic's own API, {@link VertexAnthropicFormat} on Vertex
 * AI): the operation, answers read by {@link AnthropicUsage} (a message document, or server-sent
 * events that report usage unasked), Anthropic's error shape, replay in Anthropic's shapes ({@link
 * AnthropicReplay}) and its answer shape for content safety. Each format keeps its own paths,
 * request reading, estimate and backend URLs. (Claude on Bedrock shares the readers, but not the
 * framing, errors or replay: {@link BedrockAnthropicFormat}.)
 */
interface AnthropicProtocol extends WireFormat {

  /** The {@code Content-Type} of Anthropic's errors. */
  String ERROR_CONTENT_TYPE = "application/json";

  @Override
  default Operation operation() {
    return Operation.MESSAGES;
  }

  /**
   * The {@code anthropic-beta} header: it turns on features (a longer output, another tool version,
   * a larger context) that change what the same body is answered with, so the response cache keys a
   * call by it when the call has it.
   */
  @Override
  default List<String> cacheHeaders() {
    return BETA_HEADER;
  }

  /** The request header that names the beta features a call asks for. */
  List<String> BETA_HEADER = List.of("anthropic-beta");

  /** Anthropic's streams report usage unasked. */
  @Override
  default boolean asksForStreamUsage() {
    return false;
  }

  @Override
  default ObservedBody observeDocument(
      InputStream upstream, BodyListener listener, BooleanSupplier callCanceled, int maxCopyBytes) {
    return new JsonBody(
        upstream, listener, callCanceled, maxCopyBytes, AnthropicUsage::readDocument);
  }

  @Override
  default ObservedBody observeStream(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      boolean hideUsage) {
    return new SseBody(upstream, listener, callCanceled, new AnthropicUsage.StreamReader());
  }

  /**
   * Anthropic's error shape, {@code {"type":"error","error":{"type":...,"message":...}}}, with the
   * error type Anthropic gives the same refusal: {@code rate_limit_error} for a token rate or a
   * spent quota (both are usage limits; the status, 429 or 403, decides which SDK exception is
   * thrown), {@code not_found_error} for a model no backend serves, {@code invalid_request_error}
   * for a request at fault, {@code overloaded_error} when no backend is available (Anthropic's word
   * for "no capacity now, retry"; the status stays 503 with its {@code Retry-After}, which
   * Anthropic's SDKs retry as they retry 529), and {@code api_error} when the token store is
   * unavailable.
   */
  @Override
  default byte[] errorBody(LocalError error) {
    String type =
        switch (error.reason()) {
          case TOKEN_RATE_LIMIT, TOKEN_QUOTA -> "rate_limit_error";
          case MODEL_NOT_FOUND -> "not_found_error";
          case INVALID_REQUEST -> "invalid_request_error";
          case NO_BACKEND_AVAILABLE -> "overloaded_error";
          case TOKEN_STORE_UNAVAILABLE -> "api_error";
          default -> throw new IllegalArgumentException("no error shape for " + error.reason());
        };
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("type", type);
    detail.put("message", error.message());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "error");
    body.put("error", detail);
    try {
      return Json.MAPPER.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise a map of strings", e);
    }
  }

  @Override
  default String errorContentType() {
    return ERROR_CONTENT_TYPE;
  }

  @Override
  default @Nullable Replayed replay(CachedResponse cached, boolean stream, boolean includeUsage) {
    return AnthropicReplay.replay(cached, stream);
  }

  @Override
  default AnswerDocuments.Shape answerShape() {
    return AnswerDocuments.Shape.ANTHROPIC_MESSAGES;
  }
}
