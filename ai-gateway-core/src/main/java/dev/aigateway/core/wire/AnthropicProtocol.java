package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.Operation;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.ContentText;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
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
   * error type Anthropic gives the same refusal, for every refusal the gateway makes: {@code
   * rate_limit_error} for a spent rate or quota of tokens or requests, an in-flight cap or a
   * throttled consumer (all usage limits; the status, 429 or 403, decides which SDK exception is
   * thrown), {@code permission_error} for a call the access rules deny or a blocked consumer,
   * {@code authentication_error} for a refused bearer token, {@code not_found_error} for a model no
   * backend serves, {@code invalid_request_error} for a request at fault (a prompt content safety
   * blocks among them), {@code request_too_large} for tool arguments above their bound, {@code
   * overloaded_error} when no backend is available (Anthropic's word for "no capacity now, retry";
   * the status stays 503 with its {@code Retry-After}, which Anthropic's SDKs retry as they retry
   * 529), and {@code api_error} when the token store or a content check is unavailable.
   */
  @Override
  default byte[] errorBody(LocalError error) {
    String type =
        switch (error.reason()) {
          case TOKEN_RATE_LIMIT,
              TOKEN_QUOTA,
              REQUEST_RATE_LIMIT,
              REQUEST_QUOTA,
              IN_FLIGHT_LIMIT,
              CONSUMER_THROTTLED ->
              "rate_limit_error";
          case ACCESS_DENIED, CONSUMER_BLOCKED -> "permission_error";
          case INVALID_TOKEN -> "authentication_error";
          case MODEL_NOT_FOUND -> "not_found_error";
          case INVALID_REQUEST, CONTENT_BLOCKED, BATCH_MEMBER_REFUSED -> "invalid_request_error";
          case TOOL_ARGUMENTS_TOO_LARGE -> "request_too_large";
          case NO_BACKEND_AVAILABLE -> "overloaded_error";
          case TOKEN_STORE_UNAVAILABLE, CONTENT_CHECK_UNAVAILABLE -> "api_error";
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

  /**
   * A message Claude's classifiers stopped ({@code stop_reason: "refusal"}): its text is partial or
   * none, so the response cache does not keep it.
   */
  @Override
  default boolean failedAnswer(byte[] body, boolean stream) {
    return FailedAnswers.anthropicRefused(body, stream);
  }

  /**
   * A message without a stop reason (a stream's {@code message_delta} never gave one), or a turn
   * the API paused ({@code stop_reason: "pause_turn"}, the client meant to continue it): no whole
   * answer; or a stream with an event whose data is not JSON. One pass ({@link
   * UnfinishedAnswers#anthropicDefect}).
   */
  @Override
  default @Nullable AnswerDefect answerDefect(byte[] body, boolean eventStream) {
    return UnfinishedAnswers.anthropicDefect(body, eventStream);
  }

  @Override
  default AnswerDocuments.Shape answerShape() {
    return AnswerDocuments.Shape.ANTHROPIC_MESSAGES;
  }

  /**
   * The texts content safety checks: the {@code system} prompt and {@code messages[].content} (a
   * string, text blocks, a {@code tool_result}'s content as a tool's), by {@link
   * PromptTexts.Shape#ANTHROPIC}.
   */
  @Override
  default List<ContentText> promptTexts(WireRequest request) {
    ObjectNode body = request.bodyUnderstood() ? request.body() : null;
    return body == null ? List.of() : PromptTexts.of(body, PromptTexts.Shape.ANTHROPIC);
  }

  @Override
  default List<List<String>> promptTextParts(WireRequest request) {
    ObjectNode body = request.bodyUnderstood() ? request.body() : null;
    return body == null ? List.of() : PromptTexts.parts(body, PromptTexts.Shape.ANTHROPIC);
  }

  @Override
  default boolean readsPromptTexts() {
    return true;
  }

  @Override
  default int messageCount(WireRequest request) {
    ObjectNode body = request.bodyUnderstood() ? request.body() : null;
    return body == null ? 0 : PromptTexts.messageCount(body, PromptTexts.Shape.ANTHROPIC);
  }

  @Override
  default byte @Nullable [] redactedBody(WireRequest request, UnaryOperator<String> redactor) {
    return PromptTexts.redact(request.rawBody(), PromptTexts.Shape.ANTHROPIC, redactor);
  }

  /**
   * A {@code content_block_delta} event's {@code text_delta} text: Anthropic streams one message,
   * so every text is answer 0's (its text blocks are read as one text, as the model wrote them).
   * Tool input and thinking deltas are not answer text.
   */
  @Override
  default boolean readsEventTexts() {
    return true;
  }

  @Override
  default void eventText(byte[] data, int from, int to, EventTexts sink) {
    deltaText(data, from, to, sink);
  }

  /**
   * Hands {@code sink} the text of Anthropic's stream event {@code data[from, to)} when it is a
   * {@code content_block_delta} with a {@code text_delta}, as answer 0's (its own API's and Claude
   * on Bedrock's chunks).
   */
  static void deltaText(byte[] data, int from, int to, EventTexts sink) {
    JsonNode event = Json.parseOrNull(data, from, to - from);
    if (event == null
        || !event.isObject()
        || !"content_block_delta".equals(event.path("type").textValue())) {
      return;
    }
    JsonNode delta = event.path("delta");
    JsonNode text = delta.path("text");
    if ("text_delta".equals(delta.path("type").textValue()) && text.isTextual()) {
      sink.text(0, text.textValue());
    }
  }

  /**
   * Anthropic's {@code error} event, as its API ends a stream that fails mid-way: {@code event:
   * error} and the {@link #errorBody} ({@code {"type":"error","error":{"type","message"}}}), which
   * Anthropic's SDKs raise as the error of its type.
   */
  @Override
  default byte[] streamErrorEvent(LocalError error) {
    byte[] body = errorBody(error);
    byte[] head = "event: error\ndata: ".getBytes(StandardCharsets.US_ASCII);
    byte[] event = new byte[head.length + body.length + 2];
    System.arraycopy(head, 0, event, 0, head.length);
    System.arraycopy(body, 0, event, head.length, body.length);
    event[event.length - 2] = '\n';
    event[event.length - 1] = '\n';
    return event;
  }
}
