package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallMatcher;
import dev.aigateway.api.CallMatchers;
import dev.aigateway.api.Operation;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.ContentText;
import dev.aigateway.core.tokens.TokenCounter;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * What the OpenAI protocols share: paths under {@code /v1/} (and Azure OpenAI's {@code
 * /openai/deployments/{deployment}/} and {@code /openai/v1/}), JSON bodies read on their bytes by
 * {@link OpenAiRequest}, usage in a top-level {@code usage} member, streams of server-sent events
 * ending in {@code [DONE]}, errors as {@code {"error":{"message","type","param","code"}}}. Each
 * operation is one subclass: {@link OpenAiChatFormat}, {@link OpenAiCompletionsFormat}, {@link
 * OpenAiEmbeddingsFormat}, {@link OpenAiResponsesFormat}.
 *
 * <p>Azure OpenAI is a flavour of these formats, not formats of its own: it takes and answers the
 * same bodies, streams and errors, and differs only in where the deployment goes (the path, or the
 * body's model) and in the credential header. So recognition accepts its paths (the deployment
 * becomes the request's model when the body names none) and {@link #backendUrl} writes them for an
 * {@link BackendFlavor#AZURE_OPENAI} backend; everything else is shared.
 */
abstract class OpenAiFormat implements WireFormat {

  /** The OpenAI and Azure OpenAI request paths, as the public matcher reads them. */
  static final CallMatcher PATHS = CallMatchers.openAiAndAzure();

  private static final String ERROR_CONTENT_TYPE = "application/json; charset=utf-8";

  private final Operation operation;
  private final String name;
  private final List<String> pathEndings;
  private final AnswerDocuments.@Nullable Shape answers;

  /** The format of {@code operation}, its answers read as {@code answers} (null: not read). */
  OpenAiFormat(
      Operation operation,
      String name,
      String pathEnding,
      AnswerDocuments.@Nullable Shape answers) {
    this.operation = operation;
    this.name = name;
    this.pathEndings = List.of(pathEnding);
    this.answers = answers;
  }

  /** The OpenAI format of {@code operation}. */
  static OpenAiFormat of(Operation operation) {
    return switch (operation) {
      case CHAT_COMPLETIONS -> OpenAiChatFormat.INSTANCE;
      case COMPLETIONS -> OpenAiCompletionsFormat.INSTANCE;
      case EMBEDDINGS -> OpenAiEmbeddingsFormat.INSTANCE;
      case RESPONSES -> OpenAiResponsesFormat.INSTANCE;
      case MESSAGES ->
          throw new IllegalArgumentException("Anthropic's Messages API is not an OpenAI format");
      case GENERATE_CONTENT ->
          throw new IllegalArgumentException("Gemini's generateContent is not an OpenAI format");
      case EXECUTE_TOOL, INVOKE_AGENT ->
          throw new IllegalArgumentException(
              operation + " is a tool or agent call, not an LLM call");
    };
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final Operation operation() {
    return operation;
  }

  @Override
  public final List<String> pathEndings() {
    return pathEndings;
  }

  @Override
  public final @Nullable CallMatch recognise(
      String method, String path, Function<String, @Nullable String> headers) {
    CallMatch match = PATHS.match(method, path);
    return match != null && match.operation() == operation ? match : null;
  }

  @Override
  public final WireRequest readRequest(
      CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
    return new OpenAiRequest(this, match, request, maxParsedBodyBytes);
  }

  @Override
  public final long countPrompt(TokenCounter counter, WireRequest request) {
    if (request instanceof OpenAiRequest openAi) {
      return openAi.promptTokens(counter, operation);
    }
    return request.bodyUnderstood()
        ? PromptTokens.count(counter, request.model(), operation, request.body())
        : 0;
  }

  /** Chat and text completions report stream usage only when asked; the others always do. */
  @Override
  public final boolean asksForStreamUsage() {
    return operation == Operation.CHAT_COMPLETIONS || operation == Operation.COMPLETIONS;
  }

  @Override
  public final AnswerDocuments.@Nullable Shape answerShape() {
    return answers;
  }

  @Override
  public final ObservedBody observeDocument(
      InputStream upstream, BodyListener listener, BooleanSupplier callCanceled, int maxCopyBytes) {
    return new JsonBody(upstream, listener, callCanceled, maxCopyBytes);
  }

  /** Chat and completions chunks; the Responses API overrides it for its typed events. */
  @Override
  public ObservedBody observeStream(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      boolean hideUsage) {
    return new SseBody(upstream, listener, callCanceled, false, hideUsage);
  }

  /**
   * OpenAI's error shape, {@code {"error":{"message","type","param","code"}}}, with the type and
   * code OpenAI gives the same refusal: {@code insufficient_quota} for a spent quota, {@code
   * rate_limit_exceeded} of type {@code tokens} for a token rate and of type {@code requests} for a
   * request rate, {@code in_flight_limit_exceeded} of type {@code requests} for an in-flight cap,
   * {@code invalid_request_error} for a request at fault, {@code server_error} when no backend or
   * the token store is available. Every reason has its shape (no default: a new reason must be
   * given one here to compile). A content block is Azure OpenAI's answer to a prompt its content
   * filter refuses: code {@code content_filter}, and an {@code innererror} with {@code
   * ResponsibleAIPolicyViolation} and the {@code content_filter_result} of each category found.
   */
  @Override
  public final byte[] errorBody(LocalError error) {
    String[] typeAndCode =
        switch (error.reason()) {
          case TOKEN_QUOTA, REQUEST_QUOTA ->
              new String[] {"insufficient_quota", "insufficient_quota"};
          case TOKEN_RATE_LIMIT -> new String[] {"tokens", "rate_limit_exceeded"};
          case REQUEST_RATE_LIMIT -> new String[] {"requests", "rate_limit_exceeded"};
          case IN_FLIGHT_LIMIT -> new String[] {"requests", "in_flight_limit_exceeded"};
          case MODEL_NOT_FOUND -> new String[] {"invalid_request_error", "model_not_found"};
          case INVALID_REQUEST -> new String[] {"invalid_request_error", "invalid_request"};
          case NO_BACKEND_AVAILABLE -> new String[] {"server_error", "no_backend_available"};
          case TOKEN_STORE_UNAVAILABLE -> new String[] {"server_error", "token_store_unavailable"};
          case CONSUMER_THROTTLED -> new String[] {"requests", "consumer_throttled"};
          case CONSUMER_BLOCKED -> new String[] {"permission_error", "consumer_blocked"};
          case CONTENT_BLOCKED -> new String[] {"invalid_request_error", "content_filter"};
          case CONTENT_CHECK_UNAVAILABLE ->
              new String[] {"server_error", "content_check_unavailable"};
          case ACCESS_DENIED -> new String[] {"invalid_request_error", "access_denied"};
          case INVALID_TOKEN -> new String[] {"invalid_request_error", "invalid_token"};
          case TOOL_ARGUMENTS_TOO_LARGE ->
              new String[] {"invalid_request_error", "tool_arguments_too_large"};
          case BATCH_MEMBER_REFUSED ->
              new String[] {"invalid_request_error", "batch_member_refused"};
        };
    String type = typeAndCode[0];
    String code = typeAndCode[1];
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("message", error.message());
    body.put("type", type);
    body.put("param", error.param());
    body.put("code", error.code() != null ? error.code() : code);
    if (!error.findings().isEmpty()) {
      // Where Azure OpenAI reports its own content filter's verdict on a prompt it refuses.
      body.put("status", 400);
      body.put(
          "innererror",
          Map.of(
              "code",
              "ResponsibleAIPolicyViolation",
              "content_filter_result",
              new java.util.TreeMap<>(error.findings())));
    }
    try {
      return Json.MAPPER.writeValueAsBytes(Map.of("error", body));
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise a map of strings", e);
    }
  }

  /**
   * Azure's refusal of a prompt its content filter flagged ({@link FailedAnswers#promptFiltered}).
   */
  @Override
  public final boolean promptFiltered(byte[] body, int length) {
    return FailedAnswers.promptFiltered(body, length);
  }

  @Override
  public final boolean tellsPromptFiltered() {
    return true;
  }

  @Override
  public final String errorContentType() {
    return ERROR_CONTENT_TYPE;
  }

  /**
   * A choice cut off by the content filter, in a JSON document or a stream event ({@link
   * FailedAnswers}).
   */
  @Override
  public final boolean failedAnswer(byte[] body, boolean stream) {
    return FailedAnswers.failed(body, stream);
  }

  /**
   * A chat or completions stream with a choice that never gave a {@code finish_reason}, or an event
   * whose data is not JSON, read in one pass ({@link UnfinishedAnswers#choicesDefect}); another
   * stream (a Responses API stream is whole only with its {@code response.completed} or {@code
   * response.incomplete} event, which its readout waits for) only for its events' JSON.
   */
  @Override
  public final WireFormat.@Nullable AnswerDefect answerDefect(byte[] body, boolean eventStream) {
    if (!eventStream) {
      return null;
    }
    if (operation == Operation.CHAT_COMPLETIONS || operation == Operation.COMPLETIONS) {
      return UnfinishedAnswers.choicesDefect(body);
    }
    return UnfinishedAnswers.malformedEvents(body) ? AnswerDefect.MALFORMED : null;
  }

  @Override
  public final @Nullable Replayed replay(
      CachedResponse cached, boolean stream, boolean includeUsage) {
    return OpenAiReplay.replay(cached, operation, stream, includeUsage);
  }

  /**
   * OpenAI and OpenAI-compatible servers (and Amazon Bedrock, whose OpenAI-compatible endpoint is a
   * base URL ending in {@code /openai/v1}): {@code {base}/v1/{operation}}; Azure OpenAI v1: {@code
   * {base}/openai/v1/{operation}}; Azure OpenAI deployments: {@code
   * {base}/openai/deployments/{deployment}/{operation}?api-version=...} (a base already ending in
   * its {@code /v1} is used as is); Azure AI Foundry model inference: {@code
   * {base}/models/{operation}?api-version=...}; Gemini's OpenAI compatibility layer: {@code
   * {base}/v1beta/openai/{operation}}; Vertex AI's: {@code {base}/endpoints/openapi/{operation}}.
   */
  @Override
  public String backendUrl(
      BackendFlavor flavor, String baseUrl, @Nullable String apiVersion, String targetModel) {
    String suffix = operation.pathSuffix();
    return switch (flavor) {
      case OPENAI, OPENAI_COMPATIBLE, BEDROCK, ANTHROPIC ->
          (baseUrl.endsWith("/v1") ? baseUrl : baseUrl + "/v1") + "/" + suffix;
      case AZURE_OPENAI_V1 ->
          (baseUrl.endsWith("/openai/v1") ? baseUrl : baseUrl + "/openai/v1") + "/" + suffix;
      case AZURE_OPENAI ->
          baseUrl
              + "/openai/deployments/"
              + encode(targetModel)
              + "/"
              + suffix
              + "?api-version="
              + encode(apiVersion);
      case AZURE_AI_INFERENCE -> // the portal's endpoint ends in /models: used as it is
          (baseUrl.endsWith("/models") ? baseUrl : baseUrl + "/models")
              + "/"
              + suffix
              + "?api-version="
              + encode(apiVersion);
      case GEMINI -> baseUrl + "/v1beta/openai/" + suffix;
      case VERTEX_AI -> baseUrl + "/endpoints/openapi/" + suffix;
    };
  }

  /**
   * Every OpenAI-speaking flavour takes every OpenAI operation. Anthropic and Bedrock backends take
   * chat completions only (which the gateway translates for them); Gemini and Vertex AI backends
   * chat completions (translated) and embeddings (their OpenAI-compatible endpoints serve them),
   * but neither the Responses API nor legacy completions.
   */
  @Override
  public boolean servedBy(BackendFlavor flavor) {
    return switch (flavor) {
      case ANTHROPIC, BEDROCK -> operation == Operation.CHAT_COMPLETIONS;
      case GEMINI, VERTEX_AI ->
          operation == Operation.CHAT_COMPLETIONS || operation == Operation.EMBEDDINGS;
      default -> true;
    };
  }

  /** Every flavour but Azure OpenAI's deployment form, which names the deployment in the path. */
  @Override
  public boolean modelInBody(BackendFlavor flavor) {
    return flavor != BackendFlavor.AZURE_OPENAI;
  }

  @Override
  public final byte @Nullable [] bodyForBackend(
      WireRequest request, @Nullable String model, boolean askStreamUsage) {
    if (!(request instanceof OpenAiRequest openAi)) {
      throw new IllegalArgumentException(
          name + " cannot rewrite a request read by " + request.format().name());
    }
    return openAi.rewrittenBody(model, askStreamUsage && asksForStreamUsage());
  }

  @Override
  public final List<ContentText> promptTexts(WireRequest request) {
    return request.bodyUnderstood() && request.body() != null
        ? PromptTexts.of(request.body())
        : List.of();
  }

  @Override
  public final List<List<String>> promptTextParts(WireRequest request) {
    return request.bodyUnderstood() && request.body() != null
        ? PromptTexts.parts(request.body())
        : List.of();
  }

  @Override
  public final boolean readsPromptTexts() {
    return true;
  }

  @Override
  public final int messageCount(WireRequest request) {
    return request.bodyUnderstood() && request.body() != null
        ? PromptTexts.messageCount(request.body())
        : 0;
  }

  @Override
  public final byte @Nullable [] redactedBody(WireRequest request, UnaryOperator<String> redactor) {
    return PromptTexts.redact(request.rawBody(), PromptTexts.Shape.OPENAI, redactor);
  }

  @Override
  public final @Nullable WireRequest withBody(WireRequest request, byte[] body) {
    return request instanceof OpenAiRequest openAi ? openAi.withBody(body) : null;
  }

  /**
   * A chat chunk's {@code choices[].delta.content}, a completions chunk's {@code choices[].text},
   * each for its choice's {@code index}; a Responses API {@code response.output_text.delta} event's
   * {@code delta}.
   */
  @Override
  public final boolean readsEventTexts() {
    return true;
  }

  @Override
  public final void eventText(byte[] data, int from, int to, EventTexts sink) {
    JsonNode event = Json.parseOrNull(data, from, to - from);
    if (event == null || !event.isObject()) {
      return;
    }
    JsonNode choices = event.get("choices");
    if (choices != null && choices.isArray()) {
      for (JsonNode choice : choices) {
        JsonNode delta = choice.path("delta").path("content");
        JsonNode piece = delta.isTextual() ? delta : choice.path("text");
        if (piece.isTextual()) {
          sink.text(choice.path("index").asInt(0), piece.textValue());
        }
      }
      return;
    }
    JsonNode delta = event.get("delta");
    if ("response.output_text.delta".equals(event.path("type").textValue())
        && delta != null
        && delta.isTextual()) {
      sink.text(0, delta.textValue());
    }
  }

  /** A path or query component, spaces as {@code %20}. */
  static String encode(@Nullable String value) {
    return value == null
        ? ""
        : URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Override
  public final String toString() {
    return name;
  }
}
