package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.api.Usage;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.tokens.TokenCounts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What Amazon Bedrock's runtime operations share: {@code POST /model/{modelId}/{operation}} (the
 * model ID URL-encoded in the path, so an inference profile or provisioned-model ARN may be the
 * model), streams in AWS's binary event stream framing ({@link EventStreamBody}), errors as {@code
 * {"message":"..."}} with the error's name in the {@code x-amzn-ErrorType} header. One instance per
 * path ending, so that {@link #backendUrl} writes the operation the application called: {@link
 * BedrockConverseFormat} ({@code converse}, {@code converse-stream}) and {@link
 * BedrockInvokeFormat} ({@code invoke}, {@code invoke-with-response-stream}).
 *
 * <p>The model travels in the path, never in the body, so a call is rewritten for a backend by its
 * URL alone and its body goes out as the application wrote it; a signing backend signs it again.
 * Usage is reported as the library counts it: input includes the tokens read from and written to
 * Bedrock's prompt cache (Bedrock reports them apart from {@code inputTokens}), and the tokens read
 * from it are the cached input tokens.
 */
abstract class BedrockFormat implements ModelInPath {

  /**
   * A stream with a frame that does not decode or is cut off, or whose payload is not JSON ({@link
   * UnfinishedAnswers#malformedFrames}).
   */
  @Override
  public @Nullable AnswerDefect answerDefect(byte[] body, boolean eventStream) {
    return eventStream && UnfinishedAnswers.malformedFrames(body, UnfinishedAnswers::jsonPayload)
        ? AnswerDefect.MALFORMED
        : null;
  }

  /** The error type header Bedrock (and every AWS JSON protocol) names an error in. */
  static final String ERROR_TYPE_HEADER = "x-amzn-ErrorType";

  static final String JSON_TYPE = "application/json";

  /** The response headers of InvokeModel's token counts. */
  static final String INPUT_TOKENS_HEADER = "X-Amzn-Bedrock-Input-Token-Count";

  static final String OUTPUT_TOKENS_HEADER = "X-Amzn-Bedrock-Output-Token-Count";
  static final String CACHE_READ_HEADER = "X-Amzn-Bedrock-Cache-Read-Input-Token-Count";
  static final String CACHE_WRITE_HEADER = "X-Amzn-Bedrock-Cache-Write-Input-Token-Count";

  /**
   * The request headers InvokeModel's answers depend on besides its body ({@link #cacheHeaders}).
   */
  private static final List<String> INVOKE_CACHE_HEADERS =
      List.of(
          "X-Amzn-Bedrock-GuardrailIdentifier",
          "X-Amzn-Bedrock-GuardrailVersion",
          "X-Amzn-Bedrock-Trace");

  private static final String MODEL_SEGMENT = "/model/";

  private final String name;
  private final String ending;
  private final List<String> pathEndings;
  private final boolean stream;
  private final List<String> allowanceFields;
  private final RequestMembers allowanceReader;

  /**
   * The format of the operation ending in {@code ending}, whose body's output bound is the first of
   * {@code allowanceFields} (JSON pointers, in the order they are looked for) holding a whole
   * number.
   */
  BedrockFormat(String name, String ending, boolean stream, List<String> allowanceFields) {
    this.name = name;
    this.ending = ending;
    this.pathEndings = List.of(ending);
    this.stream = stream;
    this.allowanceFields = allowanceFields;
    this.allowanceReader = RequestMembers.of(allowanceFields);
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final Operation operation() {
    return Operation.CHAT_COMPLETIONS;
  }

  @Override
  public final List<String> pathEndings() {
    return pathEndings;
  }

  /** Whether the operation answers with an event stream (its path says so, not its body). */
  final boolean streams() {
    return stream;
  }

  @Override
  public final @Nullable CallMatch recognise(
      String method, String path, Function<String, @Nullable String> headers) {
    if (!"POST".equals(method)) {
      return null;
    }
    PathModel read = pathModel(path);
    return read.model() != null && read.reads()
        ? new CallMatch(Operation.CHAT_COMPLETIONS, null)
        : null;
  }

  /**
   * A path read last: its model ({@link #modelIn}) and whether this format reads it ({@link
   * #readsModel}).
   */
  private record PathModel(String path, @Nullable String model, boolean reads) {}

  /**
   * The last path read, kept so that recognising a call and reading its request, and the next calls
   * to the same model, do not cut, decode and compare the path again. Immutable, so that threads
   * that read it see a whole one.
   */
  private volatile @Nullable PathModel lastPath;

  private PathModel pathModel(String path) {
    PathModel last = lastPath;
    if (last != null && last.path().equals(path)) {
      return last;
    }
    String model = modelInPath(path);
    PathModel read = new PathModel(path, model, model != null && readsModel(model));
    lastPath = read;
    return read;
  }

  /**
   * Whether this format reads calls to {@code model} (the decoded model ID of the path): every
   * model by default; a format for one provider's bodies narrows it.
   */
  boolean readsModel(String model) {
    return true;
  }

  /**
   * The model ID in {@code path} ({@code .../model/{modelId}/{ending}}), decoded; null when the
   * path is not one of this operation's.
   */
  final @Nullable String modelIn(String path) {
    return pathModel(path).model();
  }

  private @Nullable String modelInPath(String path) {
    int end = path.length();
    if (end > 0 && path.charAt(end - 1) == '/') {
      end--;
    }
    int endingStart = end - ending.length();
    if (endingStart < 1
        || path.charAt(endingStart - 1) != '/'
        || !path.regionMatches(endingStart, ending, 0, ending.length())) {
      return null;
    }
    int model = path.indexOf(MODEL_SEGMENT);
    int modelStart = model + MODEL_SEGMENT.length();
    if (model < 0 || modelStart >= endingStart - 1) {
      return null;
    }
    return decode(path.substring(modelStart, endingStart - 1));
  }

  @Override
  public final WireRequest readRequest(
      CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
    return new BedrockRequest(this, match, request, maxParsedBodyBytes);
  }

  /**
   * The body members that bound the output, as JSON pointers, in the order they are looked for; the
   * first holding a whole number is the allowance per call.
   */
  final List<String> allowanceFields() {
    return allowanceFields;
  }

  /** Reads the {@link #allowanceFields()} of a body without a tree. */
  final RequestMembers allowanceReader() {
    return allowanceReader;
  }

  @Override
  public final ObservedBody observeDocument(
      InputStream upstream, BodyListener listener, BooleanSupplier callCanceled, int maxCopyBytes) {
    return observeDocument(upstream, listener, callCanceled, maxCopyBytes, name -> null);
  }

  /**
   * The answer read by {@link #documentReader()}; the token counts of Bedrock's response headers
   * (InvokeModel's, {@code X-Amzn-Bedrock-Input-Token-Count} and the others) are learnt first and
   * stand when the document reports no usage.
   */
  @Override
  public final ObservedBody observeDocument(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      int maxCopyBytes,
      Function<String, @Nullable String> responseHeaders) {
    JsonBody body = new JsonBody(upstream, listener, callCanceled, maxCopyBytes, documentReader());
    body.readout.learnUsage(null, headerUsage(responseHeaders));
    return body;
  }

  /** The usage InvokeModel reports in its response headers; null without an input count. */
  static @Nullable Usage headerUsage(Function<String, @Nullable String> headers) {
    return usage(
        headerCount(headers, INPUT_TOKENS_HEADER),
        headerCount(headers, OUTPUT_TOKENS_HEADER),
        -1,
        headerCount(headers, CACHE_READ_HEADER),
        headerCount(headers, CACHE_WRITE_HEADER));
  }

  private static long headerCount(Function<String, @Nullable String> headers, String name) {
    String value = headers.apply(name);
    if (value == null) {
      return -1;
    }
    String digits = value.trim();
    if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    return Long.parseLong(digits);
  }

  /**
   * InvokeModel and its stream, whose answers are shaped by the model's provider ({@link
   * BedrockConverseFormat} names its own protocol).
   */
  @Override
  public String cacheProtocol() {
    return "bedrock.invoke";
  }

  /**
   * InvokeModel's guardrail (which may answer in the model's place) and its trace (which the answer
   * then carries), named in headers rather than in the model's body; Converse names them in its
   * body.
   */
  @Override
  public List<String> cacheHeaders() {
    return INVOKE_CACHE_HEADERS;
  }

  /** Reads this operation's JSON answer, once it is whole. */
  abstract JsonBody.DocumentReader documentReader();

  /**
   * Where content safety reads this format's prompt texts (Converse's content blocks, Claude on
   * Bedrock's Messages request), or null when its body is the model's own and is not read.
   */
  PromptTexts.@Nullable Shape promptShape() {
    return null;
  }

  /**
   * Where content safety reads the prompt texts of {@code request}: {@link #promptShape()} by
   * default; InvokeModel on a model other than Claude picks the shape of the model's body.
   */
  PromptTexts.@Nullable Shape promptShape(WireRequest request) {
    return promptShape();
  }

  /** The prompt texts content safety checks, by {@link #promptShape(WireRequest)}. */
  @Override
  public final List<dev.aigateway.api.spi.ContentText> promptTexts(WireRequest request) {
    PromptTexts.Shape shape = promptShape(request);
    ObjectNode body = shape != null && request.bodyUnderstood() ? request.body() : null;
    return body == null ? List.of() : PromptTexts.of(body, shape);
  }

  @Override
  public final List<List<String>> promptTextParts(WireRequest request) {
    PromptTexts.Shape shape = promptShape(request);
    ObjectNode body = shape != null && request.bodyUnderstood() ? request.body() : null;
    return body == null ? List.of() : PromptTexts.parts(body, shape);
  }

  @Override
  public final boolean readsPromptTexts() {
    return promptShape() != null;
  }

  @Override
  public final boolean readsPromptTexts(WireRequest request) {
    return promptShape(request) != null;
  }

  /**
   * The body with its prompt texts rewritten (content safety's redaction), unless the application
   * signed it: a SigV4 signature of the application's ({@code Authorization: AWS4-HMAC-SHA256 ...}
   * or a presigned URL's {@code X-Amz-Signature}) covers the body, and a rewritten body would be
   * refused by AWS, so then null, and content safety refuses the call rather than send the data. An
   * unsigned body is the gateway's to sign (a backend's {@code signer}, after this stage) or is
   * sent with a key that does not cover it.
   */
  @Override
  public final byte @Nullable [] redactedBody(
      WireRequest request, java.util.function.UnaryOperator<String> redactor) {
    PromptTexts.Shape shape = promptShape(request);
    if (shape == null || signedByApplication(request)) {
      return null;
    }
    return PromptTexts.redact(request.rawBody(), shape, redactor);
  }

  @Override
  public final @Nullable WireRequest withBody(WireRequest request, byte[] body) {
    return request instanceof BedrockRequest bedrock && !signedByApplication(request)
        ? bedrock.withBody(body)
        : null;
  }

  /** Whether the application's request carries a SigV4 signature, which covers its body. */
  static boolean signedByApplication(WireRequest request) {
    for (String authorization : request.headers("Authorization")) {
      if (authorization.regionMatches(true, 0, "AWS4-", 0, 5)) {
        return true;
      }
    }
    String url = request.url();
    int query = url.indexOf('?');
    return query >= 0
        && url.substring(query).toLowerCase(java.util.Locale.ROOT).contains("x-amz-signature=");
  }

  @Override
  public final int messageCount(WireRequest request) {
    PromptTexts.Shape shape = promptShape(request);
    ObjectNode body = shape != null && request.bodyUnderstood() ? request.body() : null;
    return body == null ? 0 : PromptTexts.messageCount(body, shape);
  }

  @Override
  public final boolean asksForStreamUsage() {
    return false;
  }

  /**
   * The prompt estimate of this operation's body ({@link #estimate}); 0 when it is not JSON.
   * Counted off the bytes ({@link #streamedEstimate}) when no stage built the body's tree and the
   * operation reads bodies that way, else on the tree: the same count.
   */
  @Override
  public final long countPrompt(TokenCounter counter, WireRequest request) {
    if (!request.bodyUnderstood()) {
      return 0;
    }
    if (request instanceof TreeRequest tree && !tree.treeBuilt()) {
      long streamed = streamedEstimate(counter, request.model(), request.rawBody());
      if (streamed >= 0) {
        return streamed;
      }
    }
    ObjectNode body = request.body();
    return body == null ? 0 : estimate(counter, request.model(), body);
  }

  /** The prompt tokens of {@code body}, a call to {@code model}. */
  abstract long estimate(TokenCounter counter, @Nullable String model, ObjectNode body);

  /**
   * The same count as {@link #estimate} read off the body's bytes without a tree, or -1 when this
   * operation does not read bodies that way or leaves this one to the tree (the default: -1).
   */
  long streamedEstimate(TokenCounter counter, @Nullable String model, byte[] body) {
    return -1;
  }

  /** A 2xx answer is an event stream when its type says so, else when the operation streams. */
  @Override
  public final boolean isStream(@Nullable String contentType, boolean streamRequested) {
    return contentType != null ? EventStreamBody.isEventStream(contentType) : stream;
  }

  /** The first event stream message, by its prelude's length. */
  @Override
  public final HeldBody holdFirstEvent(
      InputStream upstream, int maxBytes, @Nullable String contentType) {
    return HeldBody.holdFirstFrame(upstream, maxBytes);
  }

  @Override
  public final ObservedBody observeStream(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      boolean hideUsage) {
    return new EventStreamBody(upstream, listener, callCanceled, messageReader());
  }

  /**
   * The reader of one stream's messages, asked once per stream: a new one each time, since readers
   * keep buffers (and some, state) from message to message.
   */
  abstract EventStreamBody.MessageReader messageReader();

  /** Reads one event stream message as the first of a stream (tests; streams read frames). */
  final void readMessage(ResponseReadout readout, EventStreamMessage message) {
    messageReader().read(readout, EventStreamFrame.of(message));
  }

  /** Bedrock's streams are AWS event streams, cut into messages. */
  @Override
  public final boolean framesEventStream() {
    return true;
  }

  /**
   * An exception message, as Bedrock ends a stream that fails mid-way: {@code :message-type} {@code
   * exception}, {@code :exception-type} {@code validationException} (a modelled exception of both
   * ConverseStream and InvokeModelWithResponseStream, which the AWS SDKs raise as {@code
   * ValidationException}), {@code :content-type} {@code application/json}, and the {@link
   * #errorBody} ({@code {"message":"..."}}) as its payload, with both CRCs.
   */
  @Override
  public final byte[] streamErrorEvent(LocalError error) {
    Map<String, Object> headers = new java.util.LinkedHashMap<>();
    headers.put(":message-type", "exception");
    headers.put(":exception-type", STREAM_ERROR_TYPE);
    headers.put(":content-type", JSON_TYPE);
    return new EventStreamMessage(headers, errorBody(error)).encode();
  }

  /** The exception a stream the gateway stops ends with ({@link #streamErrorEvent}). */
  static final String STREAM_ERROR_TYPE = "validationException";

  /**
   * Bedrock's error shape: {@code {"message":"..."}}, the error's name in {@code x-amzn-ErrorType}
   * ({@link #errorHeaders}), as the AWS SDKs read it.
   */
  @Override
  public final byte[] errorBody(LocalError error) {
    try {
      return Json.MAPPER.writeValueAsBytes(Map.of("message", error.message()));
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise a map of strings", e);
    }
  }

  @Override
  public final String errorContentType() {
    return JSON_TYPE;
  }

  /**
   * The exception Bedrock names for the same refusal, which the AWS SDKs raise: {@code
   * ThrottlingException} for a busy rate (tokens, requests, calls in flight, a throttled consumer),
   * {@code ServiceQuotaExceededException} for a spent quota, {@code ValidationException} for a
   * request at fault (a bound, a prompt content safety blocked, tool arguments too large), {@code
   * AccessDeniedException} for a caller refused (a blocked consumer, access denied, a bad token),
   * {@code ResourceNotFoundException} for a model no backend serves, {@code ConflictException} for
   * a batch member refused, {@code ServiceUnavailableException} when no backend, the token store or
   * a content check is available. No refusal of the gateway's reads as a server fault ({@code
   * InternalServerException}).
   */
  @Override
  public final Map<String, String> errorHeaders(LocalError error) {
    String type =
        switch (error.reason()) {
          case TOKEN_RATE_LIMIT, REQUEST_RATE_LIMIT, IN_FLIGHT_LIMIT, CONSUMER_THROTTLED ->
              "ThrottlingException";
          case TOKEN_QUOTA, REQUEST_QUOTA -> "ServiceQuotaExceededException";
          case INVALID_REQUEST, CONTENT_BLOCKED, TOOL_ARGUMENTS_TOO_LARGE -> "ValidationException";
          case CONSUMER_BLOCKED, ACCESS_DENIED, INVALID_TOKEN -> "AccessDeniedException";
          case MODEL_NOT_FOUND -> "ResourceNotFoundException";
          case BATCH_MEMBER_REFUSED -> "ConflictException";
          case NO_BACKEND_AVAILABLE, TOKEN_STORE_UNAVAILABLE, CONTENT_CHECK_UNAVAILABLE ->
              "ServiceUnavailableException";
        };
    return Map.of(ERROR_TYPE_HEADER, type);
  }

  /** Bedrock backends, and OpenAI-compatible servers (proxies); no other. */
  @Override
  public boolean servedBy(BackendFlavor flavor) {
    return flavor == BackendFlavor.BEDROCK || flavor == BackendFlavor.OPENAI_COMPATIBLE;
  }

  /**
   * {@code {endpoint}/model/{modelId}/{operation}}, the model ID URL-encoded, for every flavour.
   */
  @Override
  public final String backendUrl(
      BackendFlavor flavor, String baseUrl, @Nullable String apiVersion, String targetModel) {
    return baseUrl + MODEL_SEGMENT + OpenAiFormat.encode(targetModel) + "/" + ending;
  }

  /**
   * Usage from Bedrock's counts in the library's terms: input includes the cache's reads and writes
   * (which Bedrock reports apart from the input), cached input is the cache's reads, cache-write
   * input the cache's writes, total at least input plus output. Null when no input count is given.
   */
  static @Nullable Usage usage(
      long input, long output, long total, long cacheRead, long cacheWrite) {
    if (input < 0) {
      return null;
    }
    long allInput =
        TokenCounts.sum(TokenCounts.sum(input, Math.max(cacheRead, 0)), Math.max(cacheWrite, 0));
    long out = Math.max(output, 0);
    long sum = TokenCounts.sum(allInput, out);
    return new Usage(
        allInput,
        out,
        Math.max(total, sum),
        Math.max(cacheRead, 0),
        0,
        Math.max(cacheWrite, 0),
        0,
        0,
        0);
  }

  /**
   * A whole, non-negative number member of {@code node} ({@link Long#MAX_VALUE} when beyond a
   * long), else -1: {@link UsageCounts#of}.
   */
  static long count(@Nullable JsonNode node, String field) {
    return UsageCounts.of(node == null ? null : node.get(field));
  }

  /** Percent-decodes a path segment ({@code +} stays a plus). */
  static String decode(String segment) {
    if (segment.indexOf('%') < 0) {
      return segment;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(segment.length());
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      int hi;
      int lo;
      if (c == '%'
          && i + 2 < segment.length()
          && (hi = Character.digit(segment.charAt(i + 1), 16)) >= 0
          && (lo = Character.digit(segment.charAt(i + 2), 16)) >= 0) {
        out.write(hi << 4 | lo);
        i += 2;
      } else {
        out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Override
  public final String toString() {
    return name;
  }
}
