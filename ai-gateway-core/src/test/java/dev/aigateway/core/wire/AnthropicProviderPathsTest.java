package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.core.adapter.PostedRequest;
import dev.aigateway.core.tokens.TokenCounter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Anthropic's Messages API on Amazon Bedrock (InvokeModel on a Claude model) and on Google Vertex
 * AI ({@code rawPredict}, {@code streamRawPredict}): recognition, allowance and Anthropic's prompt
 * estimate, usage from the message and from stream events (input from {@code message_start}, output
 * from {@code message_delta}, cache reads and writes), error shapes and replay. Bodies follow the
 * shapes of Bedrock's and Vertex AI's Claude documentation.
 */
class AnthropicProviderPathsTest {

  static final String BEDROCK_MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";
  static final String VERTEX_BASE =
      "https://us-east5-aiplatform.googleapis.com/v1/projects/acme/locations/us-east5";
  static final String VERTEX_MODEL = "claude-3-5-haiku@20241022";

  static final String BEDROCK_REQUEST =
      "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":512,"
          + "\"system\":\"You are a scientist\","
          + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello, Claude\"}]}";
  static final String VERTEX_REQUEST =
      "{\"anthropic_version\":\"vertex-2023-10-16\",\"max_tokens\":256,\"stream\":true,"
          + "\"system\":\"You are a scientist\","
          + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello, Claude\"}]}";

  /** A message as Anthropic answers (Bedrock's InvokeModel body, Vertex's rawPredict body). */
  static final String MESSAGE =
      "{\"id\":\"msg_bdrk_01\",\"type\":\"message\",\"role\":\"assistant\","
          + "\"model\":\"claude-3-5-haiku-20241022\","
          + "\"content\":[{\"type\":\"text\",\"text\":\"Hello! How can I help?\"}],"
          + "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
          + "\"usage\":{\"input_tokens\":14,\"cache_creation_input_tokens\":100,"
          + "\"cache_read_input_tokens\":2000,\"output_tokens\":9}}";

  /** Anthropic's stream events, in order, as JSON (no SSE framing). */
  static final String[] EVENTS = {
    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_bdrk_01\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"claude-3-5-haiku-20241022\",\"content\":[],"
        + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":14,"
        + "\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":2000,"
        + "\"output_tokens\":1}}}",
    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
        + "\"text\":\"\"}}",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
        + "\"text\":\"Hello!\"}}",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
        + "\"text\":\" How can I help?\"}}",
    "{\"type\":\"content_block_stop\",\"index\":0}",
    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
        + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":9}}",
  };

  /** Bedrock's last chunk: {@code message_stop} with its invocation metrics. */
  static final String BEDROCK_STOP =
      "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":14,"
          + "\"outputTokenCount\":9,\"invocationLatency\":611,\"firstByteLatency\":287,"
          + "\"cacheReadInputTokenCount\":2000,\"cacheWriteInputTokenCount\":100}}";

  /** What every fixture reports: 14 + 100 written + 2,000 read in, 9 out. */
  static final Usage EXPECTED = new Usage(2_114, 9, 2_123, 2_000, 0, 100, 0, 0, 0);

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The Bedrock stream of {@link #EVENTS} then {@link #BEDROCK_STOP}, one chunk each. */
  static byte[] bedrockStream() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String event : EVENTS) {
      out.writeBytes(BedrockFormatsTest.chunk(event));
    }
    out.writeBytes(BedrockFormatsTest.chunk(BEDROCK_STOP));
    return out.toByteArray();
  }

  /** The SSE stream Vertex sends: {@link #EVENTS} then {@code message_stop}, each named. */
  static byte[] vertexStream() {
    StringBuilder sse = new StringBuilder();
    for (String event : EVENTS) {
      String type = Json.parseOrNull(utf8(event), 0, utf8(event).length).path("type").asText();
      sse.append("event: ").append(type).append("\ndata: ").append(event).append("\n\n");
    }
    sse.append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    return utf8(sse.toString());
  }

  private static byte[] readAll(InputStream in) throws IOException {
    byte[] all = in.readAllBytes();
    in.close();
    return all;
  }

  private static WireRequest request(String url, String path, String body) {
    CallMatch match = WireFormats.defaults().recognise("POST", path, h -> null);
    assertThat(match).as(path).isNotNull();
    WireFormat format = WireFormats.defaults().formatFor(match, PostedRequest.of(url, body));
    return format.readRequest(match, PostedRequest.of(url, body), 1 << 20);
  }

  private static WireRequest bedrock(String operation, String body) {
    String path = "/model/" + BEDROCK_MODEL + "/" + operation;
    return request(BedrockFormatsTest.HOST + path, path, body);
  }

  private static String vertexPath(String method) {
    return "/v1/projects/acme/locations/us-east5/publishers/anthropic/models/"
        + VERTEX_MODEL
        + ":"
        + method;
  }

  private static WireRequest vertex(String method, String body) {
    String path = vertexPath(method);
    return request("https://us-east5-aiplatform.googleapis.com" + path, path, body);
  }

  @Test
  void claudeModelsOnBedrockAreReadAsAnthropicAndOtherModelsGenerically() {
    assertThat(bedrock("invoke", BEDROCK_REQUEST).format()).isSameAs(BedrockAnthropicFormat.INVOKE);
    assertThat(bedrock("invoke-with-response-stream", BEDROCK_REQUEST).format())
        .isSameAs(BedrockAnthropicFormat.INVOKE_STREAM);
    for (String model :
        new String[] {
          "us.anthropic.claude-3-5-haiku-20241022-v1:0",
          "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-haiku",
          "claude"
        }) {
      String path = "/model/" + model + "/invoke";
      WireRequest read = request(BedrockFormatsTest.HOST + path, path, BEDROCK_REQUEST);
      assertThat(read.format()).as(model).isSameAs(BedrockAnthropicFormat.INVOKE);
    }
    String llama = "/model/meta.llama3-70b-instruct-v1:0/invoke";
    assertThat(request(BedrockFormatsTest.HOST + llama, llama, "{\"prompt\":\"Hi\"}").format())
        .isSameAs(BedrockInvokeFormat.INVOKE);
    assertThat(
            BedrockAnthropicFormat.INVOKE.recognise(
                "GET", "/model/" + BEDROCK_MODEL + "/invoke", h -> null))
        .isNull();
  }

  @Test
  void aBedrockRequestReadsMaxTokensTheModelAndAnthropicsEstimate() {
    WireRequest read = bedrock("invoke", BEDROCK_REQUEST);

    assertThat(read.model()).isEqualTo(BEDROCK_MODEL);
    assertThat(read.stream()).isFalse();
    assertThat(read.provider()).isEqualTo("aws.bedrock");
    assertThat(read.maxOutputTokens()).hasValue(512);
    assertThat(read.maxOutputTokensField()).isEqualTo("max_tokens");
    // The token-counting guide's example: 14 real tokens, which Anthropic's estimate puts at 16.
    assertThat(read.format().countPrompt(TokenCounter.defaults(), read)).isEqualTo(16);
    assertThat(bedrock("invoke-with-response-stream", BEDROCK_REQUEST).stream()).isTrue();
  }

  @Test
  void aBedrockMessageReportsAnthropicsUsageWithCacheReadsAndWrites() throws IOException {
    Map<String, String> headers =
        Map.of(
            "x-amzn-bedrock-input-token-count", "14",
            "x-amzn-bedrock-output-token-count", "9");
    RecordingBodyListener listener = new RecordingBodyListener();
    ObservedBody body =
        BedrockAnthropicFormat.INVOKE.observeDocument(
            new ByteArrayInputStream(utf8(MESSAGE)),
            listener,
            () -> false,
            1 << 20,
            name -> headers.get(name.toLowerCase(java.util.Locale.ROOT)));

    assertThat(readAll(body)).isEqualTo(utf8(MESSAGE));

    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(EXPECTED);
    // a document that reports usage: its text is not read unless kept (ResponseReadout#text)
    assertThat(listener.onlyEnd().facts().text().toString()).isEmpty();

    RecordingBodyListener kept = new RecordingBodyListener();
    readAll(
        BedrockAnthropicFormat.INVOKE
            .observeDocument(
                new ByteArrayInputStream(utf8(MESSAGE)),
                kept,
                () -> false,
                1 << 20,
                name -> headers.get(name.toLowerCase(java.util.Locale.ROOT)))
            .keepText());
    assertThat(kept.onlyEnd().facts().usage()).isEqualTo(EXPECTED);
    assertThat(kept.onlyEnd().facts().text().toString()).isEqualTo("Hello! How can I help?");
  }

  @Test
  void aBedrockMessageWithoutUsageKeepsTheHeadersCounts() throws IOException {
    String noUsage = MESSAGE.substring(0, MESSAGE.indexOf(",\"usage\"")) + "}";
    Map<String, String> headers =
        Map.of(
            "x-amzn-bedrock-input-token-count", "14",
            "x-amzn-bedrock-output-token-count", "9");
    RecordingBodyListener listener = new RecordingBodyListener();
    readAll(
        BedrockAnthropicFormat.INVOKE.observeDocument(
            new ByteArrayInputStream(utf8(noUsage)),
            listener,
            () -> false,
            1 << 20,
            name -> headers.get(name.toLowerCase(java.util.Locale.ROOT))));

    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(Usage.of(14, 9));
  }

  @Test
  void aBedrockStreamSplitAtEveryReadSizeReadsUsageFromMessageStartAndMessageDelta()
      throws IOException {
    byte[] stream = bedrockStream();
    for (int size : new int[] {1, 5, 13, 4096}) {
      RecordingBodyListener listener = new RecordingBodyListener();
      ObservedBody body =
          BedrockAnthropicFormat.INVOKE_STREAM.observeStream(
              BedrockFormatsTest.inReadsOf(size, stream), listener, () -> false, false);

      assertThat(readAll(body)).isEqualTo(stream);

      assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(listener.onlyEnd().facts().usage()).as("read size %d", size).isEqualTo(EXPECTED);
      assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo("Hello! How can I help?");
    }
  }

  @Test
  void aBedrockStreamWithoutAnthropicUsageSettlesOnTheInvocationMetrics() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(BedrockFormatsTest.chunk(EVENTS[2]));
    out.writeBytes(BedrockFormatsTest.chunk(BEDROCK_STOP));
    RecordingBodyListener listener = new RecordingBodyListener();

    readAll(
        BedrockAnthropicFormat.INVOKE_STREAM.observeStream(
            new ByteArrayInputStream(out.toByteArray()), listener, () -> false, false));

    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(listener.onlyEnd().facts().usage())
        .isEqualTo(new Usage(2_114, 9, 2_123, 2_000, 0, 100, 0, 0, 0));
  }

  @Test
  void aBedrockStreamCutBeforeMessageDeltaIsTruncated() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < 3; i++) {
      out.writeBytes(BedrockFormatsTest.chunk(EVENTS[i]));
    }
    RecordingBodyListener listener = new RecordingBodyListener();

    readAll(
        BedrockAnthropicFormat.INVOKE_STREAM.observeStream(
            new ByteArrayInputStream(out.toByteArray()), listener, () -> false, false));

    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(listener.onlyEnd().facts().usage()).isNull();
    assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo("Hello!");
  }

  @Test
  void bedrockRefusalsAreBedrocksShapeAndStoredAnswersReplayAsStored() throws IOException {
    LocalError busy = new LocalError(RejectionReason.TOKEN_RATE_LIMIT, "Slow down.", null, null);
    assertThat(Json.MAPPER.readTree(BedrockAnthropicFormat.INVOKE.errorBody(busy)))
        .isEqualTo(Json.MAPPER.readTree("{\"message\":\"Slow down.\"}"));
    assertThat(BedrockAnthropicFormat.INVOKE.errorHeaders(busy))
        .containsEntry("x-amzn-ErrorType", "ThrottlingException");

    CachedResponse json =
        new CachedResponse(
            CachedResponse.Format.JSON, utf8(MESSAGE), null, EXPECTED, Instant.EPOCH);
    assertThat(BedrockAnthropicFormat.INVOKE.replay(json, false, false).body())
        .isEqualTo(utf8(MESSAGE));
    byte[] stream = bedrockStream();
    CachedResponse events =
        new CachedResponse(CachedResponse.Format.SSE, stream, null, EXPECTED, Instant.EPOCH);
    assertThat(BedrockAnthropicFormat.INVOKE_STREAM.replay(events, true, false).body())
        .isEqualTo(stream);
  }

  @Test
  void aVertexRawPredictPathWhoseColonIsPercentEncodedIsTheSameCall() {
    for (String encoding : new String[] {"%3A", "%3a"}) {
      String path =
          vertexPath("streamRawPredict")
              .replace(":streamRawPredict", encoding + "streamRawPredict");
      WireRequest streamed =
          request("https://us-east5-aiplatform.googleapis.com" + path, path, VERTEX_REQUEST);
      assertThat(streamed.format()).isSameAs(VertexAnthropicFormat.STREAM_RAW_PREDICT);
      assertThat(streamed.model()).isEqualTo(VERTEX_MODEL);
      assertThat(streamed.stream()).isTrue();
    }
  }

  @Test
  void vertexRawPredictPathsAreRecognisedWithTheModelFromThePath() {
    WireRequest raw =
        vertex("rawPredict", BEDROCK_REQUEST.replace("bedrock-2023-05-31", "vertex-2023-10-16"));
    WireRequest streamed = vertex("streamRawPredict", VERTEX_REQUEST);

    assertThat(raw.format()).isSameAs(VertexAnthropicFormat.RAW_PREDICT);
    assertThat(streamed.format()).isSameAs(VertexAnthropicFormat.STREAM_RAW_PREDICT);
    assertThat(raw.operation()).isEqualTo(Operation.MESSAGES);
    assertThat(raw.model()).isEqualTo(VERTEX_MODEL);
    assertThat(raw.provider()).isEqualTo("gcp.vertex_ai");
    assertThat(raw.stream()).isFalse();
    assertThat(streamed.stream()).isTrue();
    assertThat(raw.maxOutputTokens()).hasValue(512);
    assertThat(streamed.maxOutputTokens()).hasValue(256);
    assertThat(streamed.maxOutputTokensField()).isEqualTo("max_tokens");
    assertThat(raw.format().countPrompt(TokenCounter.defaults(), raw)).isEqualTo(16);

    assertThat(
            WireFormats.defaults()
                .recognise(
                    "POST",
                    "/v1/projects/acme/locations/us-east5/publishers/google/models/gemini:rawPredict",
                    h -> null))
        .as("another publisher's rawPredict is not Anthropic's")
        .isNull();
    assertThat(
            WireFormats.defaults()
                .recognise(
                    "POST",
                    "/v1/projects/acme/locations/us-east5/publishers/anthropic/models/:rawPredict",
                    h -> null))
        .isNull();
  }

  @Test
  void vertexAnswersReadAnthropicsUsageFromTheMessageAndTheEvents() throws IOException {
    RecordingBodyListener document = new RecordingBodyListener();
    readAll(
        VertexAnthropicFormat.RAW_PREDICT.observeDocument(
            new ByteArrayInputStream(utf8(MESSAGE)), document, () -> false, 1 << 20));
    assertThat(document.onlyEnd().facts().usage()).isEqualTo(EXPECTED);

    byte[] stream = vertexStream();
    for (int size : new int[] {1, 7, 4096}) {
      RecordingBodyListener listener = new RecordingBodyListener();
      ObservedBody body =
          VertexAnthropicFormat.STREAM_RAW_PREDICT.observeStream(
              BedrockFormatsTest.inReadsOf(size, stream), listener, () -> false, false);

      assertThat(readAll(body)).isEqualTo(stream);
      assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(listener.onlyEnd().facts().usage()).isEqualTo(EXPECTED);
    }
  }

  @Test
  void vertexRefusalsAreAnthropicsShapeAndAMessageReplaysAsAnthropicsEvents() throws IOException {
    LocalError tooMany =
        new LocalError(RejectionReason.INVALID_REQUEST, "max_tokens is too large.", null, null);
    JsonNode error = Json.MAPPER.readTree(VertexAnthropicFormat.RAW_PREDICT.errorBody(tooMany));
    assertThat(error.path("type").asText()).isEqualTo("error");
    assertThat(error.at("/error/type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.at("/error/message").asText()).isEqualTo("max_tokens is too large.");
    assertThat(VertexAnthropicFormat.RAW_PREDICT.errorContentType()).isEqualTo("application/json");

    CachedResponse json =
        new CachedResponse(
            CachedResponse.Format.JSON, utf8(MESSAGE), null, EXPECTED, Instant.EPOCH);
    Replayed asStream = VertexAnthropicFormat.STREAM_RAW_PREDICT.replay(json, true, false);
    assertThat(asStream.contentType()).startsWith("text/event-stream");
    RecordingBodyListener listener = new RecordingBodyListener();
    readAll(
        VertexAnthropicFormat.STREAM_RAW_PREDICT.observeStream(
            new ByteArrayInputStream(asStream.body()), listener, () -> false, false));
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(EXPECTED);
  }

  @Test
  void backendUrlsKeepTheMethodAndPutTheModelInThePath() {
    assertThat(
            VertexAnthropicFormat.STREAM_RAW_PREDICT.backendUrl(
                BackendFlavor.VERTEX_AI, VERTEX_BASE, null, "claude-sonnet-4@20250514"))
        .isEqualTo(
            VERTEX_BASE + "/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict");
    assertThat(VertexAnthropicFormat.RAW_PREDICT.modelInBody(BackendFlavor.VERTEX_AI)).isFalse();
    assertThat(
            BedrockAnthropicFormat.INVOKE_STREAM.backendUrl(
                BackendFlavor.BEDROCK, BedrockFormatsTest.HOST, null, BEDROCK_MODEL))
        .isEqualTo(
            BedrockFormatsTest.HOST
                + "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke-with-response-stream");
  }
}
