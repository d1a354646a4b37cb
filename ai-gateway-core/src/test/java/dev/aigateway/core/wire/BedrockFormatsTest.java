package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallOutcome;
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
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Bedrock's formats read alone: recognition, request reading and the prompt estimate, usage from
 * JSON, headers and event streams (cut at awkward boundaries, corrupt, failed), the error shape,
 * and replays that decode back. Bodies follow the shapes of the Bedrock API reference's examples.
 */
class BedrockFormatsTest {

  static final String HOST = "https://bedrock-runtime.us-east-1.amazonaws.com";
  static final String MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
  static final String ARN =
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku";
  static final String CONVERSE_REQUEST =
      "{\"system\":[{\"text\":\"You are a concise assistant.\"}],"
          + "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Name a primary colour.\"}]}],"
          + "\"inferenceConfig\":{\"maxTokens\":512,\"temperature\":0.5}}";
  static final String CONVERSE_ANSWER =
      "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Red.\"}]}},"
          + "\"stopReason\":\"end_turn\","
          + "\"usage\":{\"inputTokens\":21,\"outputTokens\":4,\"totalTokens\":2959,"
          + "\"cacheReadInputTokens\":2934,\"cacheWriteInputTokens\":0},"
          + "\"metrics\":{\"latencyMs\":412}}";

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] converseStream() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        EventStreamMessage.event("messageStart", utf8("{\"p\":\"abcd\",\"role\":\"assistant\"}"))
            .encode());
    out.writeBytes(
        EventStreamMessage.event(
                "contentBlockDelta",
                utf8("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Red\"},\"p\":\"abcdef\"}"))
            .encode());
    out.writeBytes(
        EventStreamMessage.event(
                "contentBlockDelta", utf8("{\"contentBlockIndex\":0,\"delta\":{\"text\":\".\"}}"))
            .encode());
    out.writeBytes(
        EventStreamMessage.event("contentBlockStop", utf8("{\"contentBlockIndex\":0}")).encode());
    out.writeBytes(
        EventStreamMessage.event("messageStop", utf8("{\"stopReason\":\"end_turn\"}")).encode());
    out.writeBytes(
        EventStreamMessage.event(
                "metadata",
                utf8(
                    "{\"metrics\":{\"latencyMs\":380},\"usage\":{\"inputTokens\":21,"
                        + "\"outputTokens\":4,\"totalTokens\":25}}"))
            .encode());
    return out.toByteArray();
  }

  static byte[] chunk(String modelJson) {
    String bytes = Base64.getEncoder().encodeToString(utf8(modelJson));
    return EventStreamMessage.event("chunk", utf8("{\"bytes\":\"" + bytes + "\",\"p\":\"ab\"}"))
        .encode();
  }

  static byte[] invokeStream() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        chunk(
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                + "\"text\":\"Blue\"}}"));
    out.writeBytes(
        chunk(
            "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{"
                + "\"inputTokenCount\":17,\"outputTokenCount\":9,\"invocationLatency\":512,"
                + "\"firstByteLatency\":301}}"));
    return out.toByteArray();
  }

  /** {@code bytes} handed out at most {@code size} a read. */
  static InputStream inReadsOf(int size, byte[] bytes) {
    return new ByteArrayInputStream(bytes) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, size));
      }
    };
  }

  private static byte[] readAll(InputStream in) throws IOException {
    byte[] all = in.readAllBytes();
    in.close();
    return all;
  }

  @Test
  void theFourOperationsAreRecognisedByTheirPathsWithTheModelInThePath() {
    WireFormats formats = WireFormats.defaults();
    for (String op :
        List.of("converse", "converse-stream", "invoke", "invoke-with-response-stream")) {
      String path = "/model/" + MODEL + "/" + op;
      CallMatch match = formats.recognise("POST", path, h -> null);
      assertThat(match).as(op).isNotNull();
      WireFormat format = formats.formatFor(match, PostedRequest.of(HOST + path, "{}"));
      assertThat(format.name()).startsWith("bedrock.");
      assertThat(format.readRequest(match, PostedRequest.of(HOST + path, "{}"), 1 << 20).model())
          .isEqualTo(MODEL);
    }
    assertThat(formats.recognise("GET", "/model/" + MODEL + "/converse", h -> null)).isNull();
    assertThat(formats.recognise("POST", "/model/converse", h -> null)).isNull();
    assertThat(formats.recognise("POST", "/v1/chat/completions", h -> null)).isNotNull();
  }

  @Test
  void anUrlEncodedArnIsTheModel() {
    String path = "/model/" + OpenAiFormat.encode(ARN) + "/converse";
    CallMatch match = WireFormats.defaults().recognise("POST", path, h -> null);

    WireRequest request =
        BedrockConverseFormat.CONVERSE.readRequest(
            match, PostedRequest.of(HOST + path, "{}"), 1024);

    assertThat(path).contains("arn%3Aaws%3Abedrock").contains("%2Fus.anthropic");
    assertThat(request.model()).isEqualTo(ARN);
    assertThat(request.provider()).isEqualTo("aws.bedrock");
  }

  @Test
  void aConverseRequestReadsItsAllowanceAndItsEstimateErrsHigh() {
    WireRequest request = converse(CONVERSE_REQUEST);
    TokenCounter counter = TokenCounter.defaults();

    long estimate = BedrockConverseFormat.CONVERSE.countPrompt(counter, request);

    assertThat(request.stream()).isFalse();
    assertThat(request.maxOutputTokens()).hasValue(512);
    assertThat(request.maxOutputTokensField()).isEqualTo("inferenceConfig.maxTokens");
    long plain =
        counter.countText(MODEL, "You are a concise assistant.")
            + counter.countText(MODEL, "Name a primary colour.");
    assertThat(estimate).isGreaterThan(plain + 8);
    assertThat(converse("not json").maxOutputTokens()).isEmpty();
    assertThat(BedrockConverseFormat.CONVERSE.countPrompt(counter, converse("not json"))).isZero();
  }

  @Test
  void aConverseTextDocumentCountsItsText() {
    String text =
        "The quarterly report shows revenue grew by twelve percent while costs fell; the board "
            .repeat(1_000);
    TokenCounter counter = TokenCounter.defaults();
    long textTokens = counter.countText(MODEL, text);
    String base64 = Base64.getEncoder().encodeToString(utf8(text));
    String[] sources = {
      "{\"bytes\":\"" + base64 + "\"}",
      "{\"text\":\"" + text + "\"}",
      "{\"content\":[{\"text\":\"" + text + "\"}]}"
    };
    for (String source : sources) {
      String body =
          "{\"messages\":[{\"role\":\"user\",\"content\":[{\"document\":{\"format\":\"txt\","
              + "\"name\":\"report\",\"source\":"
              + source
              + "}},{\"text\":\"Summarise it.\"}]}],\"inferenceConfig\":{\"maxTokens\":512}}";

      long estimate = BedrockConverseFormat.CONVERSE.countPrompt(counter, converse(body));

      assertThat(estimate).as(source.substring(0, 12)).isGreaterThanOrEqualTo(textTokens * 5 / 4);
    }
  }

  @Test
  void converseGuardContentCountsItsTextAndImage() {
    // A guardrail user wraps the input to check in guardContent blocks (system and messages):
    // that text is prompt as much as a text block's, and a guarded image costs as an image does.
    String text =
        "The quarterly report shows revenue grew by twelve percent while costs fell; the board "
            .repeat(200);
    TokenCounter counter = TokenCounter.defaults();
    long textTokens = counter.countText(MODEL, text);
    String guarded = "{\"guardContent\":{\"text\":{\"text\":\"" + text + "\"}}}";
    String image =
        "{\"guardContent\":{\"image\":{\"format\":\"png\",\"source\":{\"bytes\":\"iVBORw0KGgo=\"}}}}";
    String[] bodies = {
      "{\"system\":["
          + guarded
          + "],\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hi\"}]}]}",
      "{\"messages\":[{\"role\":\"user\",\"content\":[" + guarded + "]}]}",
      "{\"messages\":[{\"role\":\"user\",\"content\":[" + image + "]}]}"
    };
    long[] floors = {textTokens * 5 / 4, textTokens * 5 / 4, counter.imageTokens()};
    for (int k = 0; k < bodies.length; k++) {
      long estimate = promptEstimateTheStreamAgreesWith(counter, bodies[k]);

      assertThat(estimate).as(bodies[k].substring(0, 40)).isGreaterThanOrEqualTo(floors[k]);
    }
  }

  @Test
  void converseCitationsContentInTheHistoryCountsItsText() {
    // An answer that cited documents comes back as citationsContent; a conversation sends it back
    // as the assistant's turn, text the model reads again.
    String text = "Revenue grew by twelve percent while costs fell, the report says. ".repeat(200);
    TokenCounter counter = TokenCounter.defaults();
    long textTokens = counter.countText(MODEL, text);
    String body =
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Sum it up.\"}]},"
            + "{\"role\":\"assistant\",\"content\":[{\"citationsContent\":{\"content\":[{\"text\":\""
            + text
            + "\"}],\"citations\":[]}}]},"
            + "{\"role\":\"user\",\"content\":[{\"text\":\"Shorter.\"}]}]}";

    long estimate = promptEstimateTheStreamAgreesWith(counter, body);

    assertThat(estimate).isGreaterThanOrEqualTo(textTokens * 5 / 4);
  }

  @Test
  void converseSearchResultBlockCountsItsText() {
    // A searchResult block (retrieved content the model cites, AWS's SearchResultBlock: source,
    // title and content[].text) is prompt the model reads, in a message and in a tool's result.
    String text = "The quarterly report shows revenue up twelve percent, costs down. ".repeat(200);
    TokenCounter counter = TokenCounter.defaults();
    long textTokens = counter.countText(MODEL, text);
    String result =
        "{\"searchResult\":{\"source\":\"https://example.com/q3\",\"title\":\"Q3 report\","
            + "\"content\":[{\"text\":\""
            + text
            + "\"}],\"citations\":{\"enabled\":true}}}";
    String inMessage =
        "{\"messages\":[{\"role\":\"user\",\"content\":["
            + result
            + ",{\"text\":\"Sum it up.\"}]}]}";
    String inToolResult =
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"toolResult\":{\"toolUseId\":\"t1\","
            + "\"content\":["
            + result
            + "]}}]}]}";

    for (String body : List.of(inMessage, inToolResult)) {
      long estimate = promptEstimateTheStreamAgreesWith(counter, body);

      assertThat(estimate).as(body.substring(0, 60)).isGreaterThanOrEqualTo(textTokens * 5 / 4);
    }
  }

  @Test
  void conversePromptVariablesCountTheirText() {
    // Converse on a prompt from Prompt management: the caller's text is in promptVariables
    // ({"name": {"text": "..."}}), which the prompt's template embeds in what the model reads.
    String text = "The quarterly report shows revenue up twelve percent, costs down. ".repeat(200);
    TokenCounter counter = TokenCounter.defaults();
    long textTokens = counter.countText(MODEL, text);
    String body = "{\"promptVariables\":{\"report\":{\"text\":\"" + text + "\"}}}";

    long estimate = promptEstimateTheStreamAgreesWith(counter, body);

    assertThat(estimate).isGreaterThanOrEqualTo(textTokens * 5 / 4);
  }

  @Test
  void converseAudioBlockCountsAsMedia() {
    // An audio block (AWS's AudioBlock: format and source bytes or s3Location) is media the model
    // hears: the counter's image bound, as an image or a video.
    TokenCounter counter = TokenCounter.defaults();
    String audio =
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"audio\":{\"format\":\"mp3\","
            + "\"source\":{\"s3Location\":{\"uri\":\"s3://bucket/talk.mp3\"}}}},"
            + "{\"text\":\"Transcribe.\"}]}]}";
    String textOnly =
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Transcribe.\"}]}]}";

    long withAudio = promptEstimateTheStreamAgreesWith(counter, audio);
    long without = BedrockConverseFormat.CONVERSE.countPrompt(counter, converse(textOnly));

    assertThat(withAudio - without).isGreaterThanOrEqualTo(counter.imageTokens());
  }

  @Test
  void anInvokeRequestReadsTheProvidersAllowanceField() {
    String anthropic =
        "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":300,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    String titan = "{\"inputText\":\"Hello\",\"textGenerationConfig\":{\"maxTokenCount\":77}}";
    String llama = "{\"prompt\":\"Hello\",\"max_gen_len\":64}";

    assertThat(invoke(anthropic).maxOutputTokens()).hasValue(300);
    assertThat(invoke(titan).maxOutputTokens()).hasValue(77);
    assertThat(invoke(titan).maxOutputTokensField())
        .isEqualTo("textGenerationConfig.maxTokenCount");
    assertThat(invoke(llama).maxOutputTokens()).hasValue(64);
    assertThat(BedrockInvokeFormat.INVOKE.countPrompt(TokenCounter.defaults(), invoke(llama)))
        .isGreaterThan(TokenCounter.defaults().countText(MODEL, "Hello"));
  }

  @Test
  void aGptOssInvokeRequestReservesItsMaxCompletionTokens() {
    // OpenAI's gpt-oss models on Bedrock take OpenAI's chat completion body on InvokeModel, whose
    // output bound is max_completion_tokens (AWS's OpenAI model parameters page).
    String gptOss =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],"
            + "\"max_completion_tokens\":4000,\"temperature\":0.5}";

    assertThat(invoke(gptOss).maxOutputTokens()).hasValue(4000);
    assertThat(invoke(gptOss).maxOutputTokensField()).isEqualTo("max_completion_tokens");
  }

  @Test
  void aConverseAnswerWithCitationsAndNoUsageCountsItsCitedText() throws IOException {
    String answer =
        "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
            + "{\"citationsContent\":{\"content\":[{\"text\":\"Revenue grew.\"}],"
            + "\"citations\":[{\"sourceContent\":[{\"text\":\"q3 up\"}]}]}}]}},"
            + "\"stopReason\":\"end_turn\"}";
    RecordingBodyListener listener = new RecordingBodyListener();
    ObservedBody body =
        BedrockConverseFormat.CONVERSE.observeDocument(
            new ByteArrayInputStream(utf8(answer)), listener, () -> false, 1 << 20);

    readAll(body);

    assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo("Revenue grew.");
  }

  @Test
  void aConverseAnswersUsageCountsCacheReadsAsCachedInput() throws IOException {
    RecordingBodyListener listener = new RecordingBodyListener();
    ObservedBody body =
        BedrockConverseFormat.CONVERSE.observeDocument(
            inReadsOf(5, utf8(CONVERSE_ANSWER)), listener, () -> false, 1 << 20);

    assertThat(readAll(body)).isEqualTo(utf8(CONVERSE_ANSWER));

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
    // 21 uncached + 2934 read from the cache: the library's input includes cached tokens
    assertThat(end.facts().usage()).isEqualTo(new Usage(2955, 4, 2959, 2934, 0));
  }

  @Test
  void aConverseStreamSplitAtEveryReadSizePassesUnchangedAndReportsItsMetadataUsage()
      throws IOException {
    byte[] stream = converseStream();
    for (int size = 1; size <= 13; size++) {
      RecordingBodyListener listener = new RecordingBodyListener();
      ObservedBody body =
          BedrockConverseFormat.CONVERSE_STREAM.observeStream(
              inReadsOf(size, stream), listener, () -> false, false);

      assertThat(readAll(body)).isEqualTo(stream);

      RecordingBodyListener.End end = listener.onlyEnd();
      assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(end.facts().usage()).isEqualTo(Usage.of(21, 4));
      assertThat(end.facts().text().toString()).isEqualTo("Red.");
    }
  }

  @Test
  void aCorruptFrameStopsTheReadingButTheBytesStillPass() throws IOException {
    byte[] stream = converseStream();
    stream[stream.length - 10] ^= 0x40; // inside the metadata event's payload
    RecordingBodyListener listener = new RecordingBodyListener();
    EventStreamBody body =
        (EventStreamBody)
            BedrockConverseFormat.CONVERSE_STREAM.observeStream(
                inReadsOf(64, stream), listener, () -> false, false);

    assertThat(readAll(body)).isEqualTo(stream);

    assertThat(body.corrupt()).isTrue();
    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.facts().usage()).isNull(); // settled on an estimate of the text read
    assertThat(end.facts().text().toString()).isEqualTo("Red.");
    assertThat(end.outcome()).isEqualTo(CallOutcome.TRUNCATED);
  }

  @Test
  void aMessageAboveTheBoundPassesUncountedAndIsFlagged() throws IOException {
    byte[] big =
        EventStreamMessage.event(
                "contentBlockDelta",
                utf8("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"" + "x".repeat(3000) + "\"}}"))
            .encode();
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    all.writeBytes(big);
    all.writeBytes(converseStream());
    RecordingBodyListener listener = new RecordingBodyListener();
    EventStreamBody body =
        new EventStreamBody(
            inReadsOf(100, all.toByteArray()),
            listener,
            () -> false,
            BedrockConverseFormat.CONVERSE_STREAM.messageReader(),
            1024);

    assertThat(readAll(body)).isEqualTo(all.toByteArray());

    assertThat(body.oversizedMessages()).isEqualTo(1);
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(Usage.of(21, 4));
  }

  @Test
  void anExceptionMessageIsRecognisedAndTheStreamEndsTruncated() throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] stream = converseStream();
    all.write(stream, 0, EventStreamMessage.getInt(stream, 0)); // messageStart only
    all.writeBytes(
        new EventStreamMessage(
                Map.of(
                    ":message-type", "exception",
                    ":exception-type", "throttlingException",
                    ":content-type", "application/json"),
                utf8("{\"message\":\"Too many tokens, please wait before trying again.\"}"))
            .encode());
    RecordingBodyListener listener = new RecordingBodyListener();
    EventStreamBody body =
        (EventStreamBody)
            BedrockConverseFormat.CONVERSE_STREAM.observeStream(
                new ByteArrayInputStream(all.toByteArray()), listener, () -> false, false);

    readAll(body);

    assertThat(body.exceptionType()).isEqualTo("throttlingException");
    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.TRUNCATED);
  }

  @Test
  void invokeModelUsageComesFromTheResponseHeaders() throws IOException {
    String answer =
        "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"Blue.\"}],\"stop_reason\":\"end_turn\"}";
    Map<String, String> headers =
        Map.of(
            "x-amzn-bedrock-input-token-count", "17",
            "x-amzn-bedrock-output-token-count", "3");
    RecordingBodyListener listener = new RecordingBodyListener();
    ObservedBody body =
        BedrockInvokeFormat.INVOKE.observeDocument(
            new ByteArrayInputStream(utf8(answer)),
            listener,
            () -> false,
            1 << 20,
            name -> headers.get(name.toLowerCase(java.util.Locale.ROOT)));

    readAll(body);

    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(Usage.of(17, 3));
    assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo("Blue.");
  }

  @Test
  void anInvokeStreamReportsTheInvocationMetricsOfItsLastChunk() throws IOException {
    byte[] stream = invokeStream();
    for (int size : new int[] {1, 3, 7, 4096}) {
      RecordingBodyListener listener = new RecordingBodyListener();
      ObservedBody body =
          BedrockInvokeFormat.INVOKE_STREAM.observeStream(
              inReadsOf(size, stream), listener, () -> false, false);

      assertThat(readAll(body)).isEqualTo(stream);

      assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(listener.onlyEnd().facts().usage()).isEqualTo(Usage.of(17, 9));
      assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo("Blue");
    }
  }

  @Test
  void aChatModelsStreamCutBeforeItsMetricsCountsTheTextItStreamed() throws IOException {
    // Mistral Large's and AI21 Jamba's InvokeModel streams carry their text as a choice's
    // message.content or delta.content (AWS's model parameter pages); a stream that ends before
    // the last chunk's invocation metrics is settled on the text read, which must hold it.
    List<String> chunks =
        List.of(
            "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                + "\"Blue skies\"},\"stop_reason\":null}]}",
            "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Blue skies\"},"
                + "\"finish_reason\":null}]}");
    for (String modelJson : chunks) {
      RecordingBodyListener listener = new RecordingBodyListener();
      ObservedBody body =
          BedrockInvokeFormat.INVOKE_STREAM.observeStream(
              new ByteArrayInputStream(chunk(modelJson)), listener, () -> false, false);

      readAll(body);

      assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.TRUNCATED);
      assertThat(listener.onlyEnd().facts().text().toString())
          .as(modelJson)
          .isEqualTo("Blue skies");
    }
  }

  @Test
  void aChatModelsJsonAnswerWithoutCountHeadersCountsItsMessageContent() throws IOException {
    // Mistral Large's and AI21 Jamba's InvokeModel answers hold their text in
    // choices[].message.content; without Bedrock's count headers the call is settled on it.
    String answer =
        "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"Blue skies\"},\"finish_reason\":\"stop\"}]}";
    RecordingBodyListener listener = new RecordingBodyListener();
    ObservedBody body =
        BedrockInvokeFormat.INVOKE.observeDocument(
            new ByteArrayInputStream(utf8(answer)), listener, () -> false, 1 << 20, name -> null);

    readAll(body);

    assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo("Blue skies");
  }

  @Test
  void aLocalErrorIsBedrocksMessageWithItsErrorTypeHeader() throws IOException {
    LocalError busy = new LocalError(RejectionReason.TOKEN_RATE_LIMIT, "Slow down.", null, null);

    JsonNode body = Json.MAPPER.readTree(BedrockConverseFormat.CONVERSE.errorBody(busy));

    assertThat(body.size()).isEqualTo(1);
    assertThat(body.get("message").asText()).isEqualTo("Slow down.");
    assertThat(BedrockConverseFormat.CONVERSE.errorContentType()).isEqualTo("application/json");
    assertThat(BedrockConverseFormat.CONVERSE.errorHeaders(busy))
        .containsEntry("x-amzn-ErrorType", "ThrottlingException");
    assertThat(
            BedrockInvokeFormat.INVOKE.errorHeaders(
                new LocalError(RejectionReason.MODEL_NOT_FOUND, "No.", null, null)))
        .containsEntry("x-amzn-ErrorType", "ResourceNotFoundException");
  }

  @Test
  void everyLocalRefusalIsNamedAsTheBedrockExceptionOfItsStatus() {
    // An AWS SDK raises the exception x-amzn-ErrorType names: a client's refusal must never read
    // as a server fault (InternalServerException), nor a throttle as anything but a throttle.
    for (RejectionReason reason : RejectionReason.values()) {
      String type =
          BedrockConverseFormat.CONVERSE
              .errorHeaders(new LocalError(reason, "No.", null, null))
              .get("x-amzn-ErrorType");
      int status = reason.status();
      if (status == 429) {
        assertThat(type).as(reason.name()).isEqualTo("ThrottlingException");
      } else if (status == 400 || status == 413) {
        assertThat(type).as(reason.name()).isEqualTo("ValidationException");
      } else if (status == 401 || (status == 403 && !reason.name().endsWith("QUOTA"))) {
        assertThat(type).as(reason.name()).isEqualTo("AccessDeniedException");
      } else if (status == 503) {
        assertThat(type).as(reason.name()).isEqualTo("ServiceUnavailableException");
      }
      if (status < 500) {
        assertThat(type).as(reason.name()).isNotEqualTo("InternalServerException");
      }
    }
  }

  @Test
  void aStoredAnswerReplaysAsJsonAndAsValidStreamFramesThatDecodeBack() {
    CachedResponse json =
        new CachedResponse(
            CachedResponse.Format.JSON, utf8(CONVERSE_ANSWER), null, Usage.of(1, 1), Instant.EPOCH);

    Replayed asJson = BedrockConverseFormat.CONVERSE.replay(json, false, false);
    Replayed asStream = BedrockConverseFormat.CONVERSE_STREAM.replay(json, true, false);

    assertThat(asJson.body()).isEqualTo(utf8(CONVERSE_ANSWER));
    assertThat(asStream.contentType()).isEqualTo("application/vnd.amazon.eventstream");
    List<EventStreamMessage> events = BedrockReplay.messages(asStream.body());
    assertThat(events)
        .extracting(EventStreamMessage::eventType)
        .containsExactly(
            "messageStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata");
    ResponseReadout readout = new ResponseReadout();
    events.forEach(e -> BedrockConverseFormat.CONVERSE_STREAM.readMessage(readout, e));
    assertThat(readout.usage()).isEqualTo(new Usage(2955, 4, 2959, 2934, 0));
    assertThat(readout.text().toString()).isEqualTo("Red.");
  }

  @Test
  void anAnswerWithItsGuardrailTraceIsNotReplayedInTheFormThatWouldDropIt() throws IOException {
    // Asked with guardrailConfig.trace enabled, Converse answers with the guardrail's trace (and a
    // model may add additionalModelResponseFields); ConverseStream sends the trace in its metadata.
    String traced =
        CONVERSE_ANSWER.replace(
            ",\"metrics\"",
            ",\"trace\":{\"guardrail\":{\"modelOutput\":[\"Red.\"],\"outputAssessments\":{}}},"
                + "\"metrics\"");
    CachedResponse json =
        new CachedResponse(
            CachedResponse.Format.JSON, utf8(traced), null, Usage.of(1, 1), Instant.EPOCH);
    java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
    for (String[] event :
        new String[][] {
          {"messageStart", "{\"role\":\"assistant\"}"},
          {"contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Red.\"}}"},
          {"contentBlockStop", "{\"contentBlockIndex\":0}"},
          {"messageStop", "{\"stopReason\":\"end_turn\"}"},
          {
            "metadata",
            "{\"usage\":{\"inputTokens\":21,\"outputTokens\":4,\"totalTokens\":25},"
                + "\"metrics\":{\"latencyMs\":412},\"trace\":{\"guardrail\":{\"modelOutput\":"
                + "[\"Red.\"]}}}"
          }
        }) {
      stream.writeBytes(EventStreamMessage.event(event[0], utf8(event[1])).encode());
    }
    CachedResponse streamed =
        new CachedResponse(
            CachedResponse.Format.SSE, stream.toByteArray(), null, Usage.of(21, 4), Instant.EPOCH);

    assertThat(BedrockConverseFormat.CONVERSE_STREAM.replay(json, true, false)).isNull();
    assertThat(BedrockConverseFormat.CONVERSE.replay(streamed, false, false)).isNull();
    assertThat(BedrockConverseFormat.CONVERSE.replay(json, false, false).body())
        .isEqualTo(utf8(traced));
  }

  @Test
  void aStoredStreamReplaysReframedAndAsItsJsonAnswer() throws IOException {
    byte[] stream = converseStream();
    byte[] withTail = java.util.Arrays.copyOf(stream, stream.length + 2);
    withTail[stream.length] = '\n';
    withTail[stream.length + 1] = '\n'; // what a store may append to a stream it completes
    CachedResponse cached =
        new CachedResponse(
            CachedResponse.Format.SSE, withTail, null, Usage.of(21, 4), Instant.EPOCH);

    Replayed again = BedrockConverseFormat.CONVERSE_STREAM.replay(cached, true, false);
    Replayed asJson = BedrockConverseFormat.CONVERSE.replay(cached, false, false);

    assertThat(again.body()).isEqualTo(stream);
    JsonNode answer = Json.MAPPER.readTree(asJson.body());
    assertThat(answer.at("/output/message/content/0/text").asText()).isEqualTo("Red.");
    assertThat(answer.at("/usage/outputTokens").asInt()).isEqualTo(4);
    assertThat(BedrockInvokeFormat.INVOKE.replay(cached, false, false))
        .as("InvokeModel answers are not translated")
        .isNull();
    assertThat(BedrockInvokeFormat.INVOKE_STREAM.replay(cached, true, false).body())
        .isEqualTo(stream);
  }

  /**
   * The Converse request's prompt estimate, after asserting that the estimate on its parsed tree
   * and the one a streamed read of its bytes makes are the same.
   */
  private static long promptEstimateTheStreamAgreesWith(TokenCounter counter, String body) {
    WireRequest request = converse(body);
    long onTree = BedrockConverseFormat.CONVERSE.estimate(counter, MODEL, request.body());
    long streamed = BedrockConverseFormat.CONVERSE.streamedEstimate(counter, MODEL, utf8(body));
    assertThat(streamed).as("streamed estimate of " + body.substring(0, 40)).isEqualTo(onTree);
    return BedrockConverseFormat.CONVERSE.countPrompt(counter, request);
  }

  private static WireRequest converse(String body) {
    String url = HOST + "/model/" + MODEL + "/converse";
    CallMatch match =
        WireFormats.defaults().recognise("POST", "/model/" + MODEL + "/converse", h -> null);
    return BedrockConverseFormat.CONVERSE.readRequest(match, PostedRequest.of(url, body), 1 << 20);
  }

  private static WireRequest invoke(String body) {
    String url = HOST + "/model/" + MODEL + "/invoke";
    CallMatch match =
        WireFormats.defaults().recognise("POST", "/model/" + MODEL + "/invoke", h -> null);
    return BedrockInvokeFormat.INVOKE.readRequest(match, PostedRequest.of(url, body), 1 << 20);
  }
}
