package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.Usage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The stream readers that read events on their bytes (Anthropic's events, ConverseStream's deltas,
 * InvokeModel's base64 chunks) learn exactly what reading the same events as Jackson trees learns,
 * for the plain events they read themselves and for every oddly written one they leave to Jackson;
 * and the usage details of issue 15 (Gemini's modalities, Bedrock's cache writes).
 */
class ByteReadersTest {

  /** Anthropic events, plain and odd: escapes, Unicode, whitespace, duplicates, wrong types. */
  private static final List<String> ANTHROPIC_EVENTS =
      List.of(
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
              + "\"text\":\"Hello\"}}",
          "{ \"type\" : \"content_block_delta\" , \"index\": 0, \"delta\": {\"type\": "
              + "\"text_delta\", \"text\": \" world\" } }\n",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
              + "\"text\":\"a \\\"quote\\\"\\n\\u00e9\"}}",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
              + "\"text\":\"caf\u00e9 \uD83D\uDE00\"}}",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
              + "\"te\\u0078t\":\"escaped name\"}}",
          "{\"type\":\"ping\",\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
              + "\"text_delta\",\"text\":\"last type wins\"}}",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
              + "\"text\":42}}",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\"}}",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
              + "\"partial_json\":\"{\\\"city\\\": \"}}",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
              + "\"thinking\":\"Let me see.\"}}",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\","
              + "\"signature\":\"EqQBCgIYAhIM\"}}",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":\"not an object\"}",
          "{\"type\":\"content_block_delta\",\"index\":0}",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":7,\"text\":\"x\"}}",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
              + "\"text\":\"trailing\"}} {\"more\":1}",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
              + "\"text\":\"cut",
          "{\"type\":\"content_block_stop\",\"index\":0}",
          "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
              + "\"text\":\"\"}}",
          "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\","
              + "\"text\":\"Already \\\"here\\\" caf\u00e9\"}}",
          "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\","
              + "\"thinking\":\"Hmm.\",\"signature\":\"\"}}",
          "{\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\","
              + "\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{}}}",
          "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
              + "\"text\":7}}",
          "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\"}}",
          "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":\"text\"}",
          "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
              + "\"text\":\"a\",\"text\":\"b\"}}",
          "{\"type\":\"content_block_start\",\"content_block\":{\"type\":\"text\",\"text\":\"x\"},"
              + "\"usage\":{\"output_tokens\":3}}",
          "{\"type\":\"content_block_delta\",\"index\":0,\"content_block\":{\"type\":\"text\","
              + "\"text\":\"x\"},\"delta\":{\"type\":\"text_delta\",\"text\":\"y\"}}",
          "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{"
              + "\"inputTokenCount\":14,\"outputTokenCount\":18,\"invocationLatency\":611}}",
          "{\"type\": \"ping\"}",
          "{\"type\":\"message_stop\"}",
          "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":3}}",
          "{\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"usage\":{"
              + "\"input_tokens\":25,\"output_tokens\":1}}}",
          "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{"
              + "\"output_tokens\":15}}",
          "{\"type\": \"message_start\", \"message\": {\"id\": \"msg_1\", \"content\": [],"
              + " \"model\": \"claude-haiku-4-5\", \"usage\": {\"input_tokens\": 3,"
              + " \"cache_creation_input_tokens\": 1024, \"cache_read_input_tokens\": 2048,"
              + " \"output_tokens\": 1}}}",
          "{\"type\":\"message_start\",\"message\":{\"model\":\"claude-\\u0073onnet\"}}",
          "{\"type\":\"message_start\",\"message\":{\"model\":\"claud\u00e9\"}}",
          "{\"type\":\"message_start\",\"message\":\"not an object\"}",
          "{\"type\":\"message_start\",\"message\":{\"model\":7,\"usage\":{\"input_tokens\":-0,"
              + "\"output_tokens\":1.0,\"cache_read_input_tokens\":9223372036854775807}}}",
          "{\"type\":\"message_start\",\"message\":{\"model\":\"a\",\"model\":\"b\","
              + "\"usage\":[1]}}",
          "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":-3,"
              + "\"input_tokens\":99999999999999999999,\"cache_creation_input_tokens\":12}}",
          "{\"type\":\"message_delta\",\"index\":0,\"delta\":{\"stop_reason\":\"max_tokens\"}}",
          "{\"type\":\"message_delta\",\"usage\":\"none\"}",
          "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":4},\"usage\":{"
              + "\"output_tokens\":9,\"output_tokens\":1e1}}",
          "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":22},"
              + "\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":3}}",
          "{\"type\":\"message_delta\",\"message\":{},\"usage\":{\"output_tokens\":5}}",
          "{\"type\":\"content_block_delta\",\"usage\":{\"output_tokens\":5}}",
          "{\"type\":\"message_start\",\"message\":{\"mod\\u0065l\":\"claude-x\","
              + "\"usage\":{\"input_tokens\":4}}}",
          "{\"type\":\"message_start\",\"message\":{\"model\":\"claude-y\","
              + "\"usage\":{\"input\\u005ftokens\":6}}}",
          "{\"type\":\"message_delta\",\"usage\":{\"output\\u005ftokens\":8}}",
          "[1,2]",
          "");

  @Test
  void anthropicEventsReadOnTheirBytesTeachWhatTheirTreesTeach() {
    for (String event : ANTHROPIC_EVENTS) {
      ResponseReadout bytes = new ResponseReadout();
      ResponseReadout tree = new ResponseReadout();
      byte[] data = utf8("  " + event + "  ");

      new AnthropicUsage.StreamReader().read(bytes, data, 2, data.length - 2);
      JsonNode parsed = Json.parseOrNull(data, 2, data.length - 4);
      if (parsed != null) {
        new AnthropicUsage.StreamReader().read(tree, parsed);
      }

      assertSame(event, bytes, tree);
    }
  }

  @Test
  void aWholeAnthropicStreamOfRandomEventsReadsAsItsTrees() {
    Random random = new Random(15);
    for (int run = 0; run < 2000; run++) {
      AnthropicUsage.StreamReader onBytes = new AnthropicUsage.StreamReader();
      AnthropicUsage.StreamReader onTrees = new AnthropicUsage.StreamReader();
      ResponseReadout bytes = new ResponseReadout();
      ResponseReadout tree = new ResponseReadout();
      for (int i = 0; i < 12; i++) {
        byte[] data = utf8(ANTHROPIC_EVENTS.get(random.nextInt(ANTHROPIC_EVENTS.size())));
        onBytes.read(bytes, data, 0, data.length);
        JsonNode parsed = Json.parseOrNull(data, 0, data.length);
        if (parsed != null) {
          onTrees.read(tree, parsed);
        }
      }
      assertSame("run " + run, bytes, tree);
    }
  }

  /** Gemini responses, plain (as Google writes them) and odd. */
  private static final List<String> GEMINI_RESPONSES =
      List.of(
          "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hello\"}],\"role\": \"model\"},"
              + "\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 14,"
              + "\"candidatesTokenCount\": 1,\"totalTokenCount\": 15,\"promptTokensDetails\": "
              + "[{\"modality\": \"TEXT\",\"tokenCount\": 14}]},\"modelVersion\": "
              + "\"gemini-2.0-flash\",\"responseId\": \"abc\"}",
          "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" there\"},{\"text\":\"!\"}]},"
              + "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":566,"
              + "\"candidatesTokenCount\":120,\"totalTokenCount\":686,\"promptTokensDetails\":"
              + "[{\"modality\":\"AUDIO\",\"tokenCount\":300},{\"modality\":\"IMAGE\","
              + "\"tokenCount\":258},7],\"candidatesTokensDetails\":[{\"modality\":\"AUDIO\","
              + "\"tokenCount\":100},{\"modality\":\"IMAGE\",\"tokenCount\":20}]},"
              + "\"modelVersion\":\"gemini-2.5-pro\"}",
          "{\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":{"
              + "\"promptTokenCount\":8,\"totalTokenCount\":8}}",
          "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]}}],"
              + "\"usageMetadata\":{\"trafficType\":\"ON_DEMAND\"}}",
          "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a \\\"q\\\"\\n\\u00e9 caf\u00e9\"}]}}]}",
          "{\"candidates\":[{\"content\":{\"parts\":[{\"te\\u0078t\":\"escaped name\"}]}}]}",
          "{\"candidates\":[null,{\"content\":{\"parts\":[{\"text\":\"after null\"}]}}]}",
          "{\"candidates\":[{\"content\":{\"parts\":[7,{\"text\":\"after 7\"}]}}]}",
          "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\",\"text\":\"b\"}]}}]}",
          "{\"modelVersion\":\"a\",\"modelVersion\":\"gemini-2.0-flash\"}",
          "{\"modelVersion\":{\"x\":1},\"usageMetadata\":{\"promptTokenCount\":3}}",
          "{\"candidates\":{\"finishReason\":\"STOP\"},\"usageMetadata\":{\"promptTokenCount\":3}}",
          "{\"candidates\":[{\"finishReason\":{\"a\":1},\"content\":{}}]}",
          "{\"usageMetadata\":{\"promptTokenCount\":3.0,\"candidatesTokenCount\":-2,"
              + "\"totalTokenCount\":99999999999999999999}}",
          "{\"usageMetadata\":{\"promptTokenCount\":3,\"promptTokensDetails\":[{\"modality\":"
              + "\"\\u0041UDIO\",\"tokenCount\":2}]}}",
          "{\"usageMetadata\":{\"promptTokenCount\":3,\"promptTokenCount\":4}}",
          "{\"usageMetadata\":[1],\"promptFeedback\":{\"blockReason\":null}}",
          "{\"candidates\":[{\"finishReason\":\"STOP\"}]} trailing",
          "[{\"candidates\":[]}]",
          "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"cut\"",
          "");

  @Test
  void geminiResponsesReadOnTheirBytesTeachWhatTheParserTeaches() {
    for (String response : GEMINI_RESPONSES) {
      for (boolean known : new boolean[] {false, true}) {
        ResponseReadout bytes = new ResponseReadout();
        ResponseReadout parsed = new ResponseReadout();
        if (known) {
          bytes.learnUsage("gemini-2.0-flash", Usage.of(1, 1));
          parsed.learnUsage("gemini-2.0-flash", Usage.of(1, 1));
        }
        byte[] data = utf8("xx" + response + " \n");

        new GeminiResponses().read(bytes, data, 2, data.length - 2);
        GeminiFormat.readResponse(parsed, data, 2, data.length - 2);

        assertSame(response + (known ? " (usage known)" : ""), bytes, parsed);
      }
    }
  }

  @Test
  void plainEventsAreReadOnTheirBytesAndOddOnesAreLeftToTheParser() {
    for (int i = 0; i < 4; i++) {
      byte[] plain = utf8(GEMINI_RESPONSES.get(i));
      assertThat(geminiReadOnBytes(plain)).as(GEMINI_RESPONSES.get(i)).isTrue();
    }
    for (int i = 5; i < GEMINI_RESPONSES.size(); i++) {
      if (GEMINI_RESPONSES.get(i).startsWith("{\"usageMetadata\":[1]")) {
        continue; // values the parser skips whole: read on the bytes too
      }
      byte[] odd = utf8(GEMINI_RESPONSES.get(i));
      assertThat(geminiReadOnBytes(odd)).as(GEMINI_RESPONSES.get(i)).isFalse();
    }
    byte[] delta = utf8(ANTHROPIC_EVENTS.get(0));
    assertThat(
            new AnthropicUsage.StreamReader()
                .readBytes(new ResponseReadout(), delta, 0, delta.length))
        .isTrue();
    byte[] start =
        utf8(
            ANTHROPIC_EVENTS.get(
                ANTHROPIC_EVENTS.indexOf(
                    ANTHROPIC_EVENTS.stream()
                        .filter(e -> e.contains("message_start"))
                        .findFirst()
                        .get())));
    assertThat(
            new AnthropicUsage.StreamReader()
                .readBytes(new ResponseReadout(), start, 0, start.length))
        .isTrue();
    for (String odd :
        List.of(
            "{\"type\":\"message_start\",\"message\":{\"model\":\"claude-\\u0073onnet\"}}",
            "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":22},"
                + "\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":3}}",
            "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{}}")) {
      byte[] left = utf8(odd);
      assertThat(
              new AnthropicUsage.StreamReader()
                  .readBytes(new ResponseReadout(), left, 0, left.length))
          .as(odd)
          .isFalse();
    }
  }

  /** Whether a Gemini response is read on its bytes ({@link GeminiResponseWalk}), not parsed. */
  private static boolean geminiReadOnBytes(byte[] response) {
    GeminiResponseWalk walk = new GeminiResponseWalk();
    int end = walk.walk(response, 0, response.length);
    return end >= 0
        && StrictJson.skipSpace(response, end, response.length) == response.length
        && walk.learn(response, new ResponseReadout());
  }

  @Test
  void aTextBlocksStartAndClaudeOnBedrocksMetricsAfterUsageAreReadOnTheirBytes() {
    byte[] start =
        utf8(
            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
                + "\"text\":\"Hi\"}}");
    ResponseReadout readout = new ResponseReadout();
    AnthropicUsage.StreamReader reader = new AnthropicUsage.StreamReader();
    assertThat(reader.readBytes(readout, start, 0, start.length)).isTrue();
    assertThat(readout.text().toString()).isEqualTo("Hi");
    byte[] stop =
        utf8(
            "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{"
                + "\"inputTokenCount\":14,\"outputTokenCount\":18}}");
    assertThat(reader.readBytes(readout, stop, 0, stop.length)).isFalse(); // no usage yet
    readout.learnUsage("claude", new dev.aigateway.api.Usage(14, 18, 32, 0, 0));
    assertThat(reader.readBytes(readout, stop, 0, stop.length)).isTrue();
    assertThat(readout.complete()).isTrue();
  }

  @Test
  void converseDeltasReadOnTheirBytesAppendTheTextJacksonWouldRead() {
    assertThat(converseText("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hi\"},\"p\":\"ab\"}"))
        .isEqualTo("Hi");
    assertThat(converseText("{\"p\":\"abcd\",\"delta\":{\"text\":\"\\u0048i \\\"x\\\"\"}}"))
        .isEqualTo("Hi \"x\"");
    assertThat(converseText("{\"delta\":{\"text\":\"caf\u00e9\"},\"delta\":{\"text\":\"last\"}}"))
        .isEqualTo("last");
    assertThat(converseText("{\"delta\":{\"toolUse\":{\"input\":\"{\\\"a\\\":1}\"}}}"))
        .isEqualTo("{\"a\":1}");
    assertThat(converseText("{\"delta\":{\"reasoningContent\":{\"text\":\"hmm\"}}}"))
        .isEqualTo("hmm");
    assertThat(
            converseText(
                "{\"delta\":{\"text\":\"a\",\"toolUse\":{\"input\":\"b\"},"
                    + "\"reasoningContent\":{\"text\":\"c\"}}}"))
        .isEqualTo("abc");
    assertThat(converseText("{\"delta\":{\"te\\u0078t\":\"escaped name\"}}"))
        .isEqualTo("escaped name");
    assertThat(converseText("{\"delta\":{\"text\":5}}")).isEmpty();
    assertThat(converseText("{\"delta\":[\"text\"]}")).isEmpty();
    assertThat(converseText("{\"delta\":{\"text\":\"cut\"}")).isEmpty();
    assertThat(converseText("{\"delta\":{\"text\":\"garbage after\"}} x"))
        .isEqualTo("garbage after");
  }

  @Test
  void invokeChunksDecodeTheirBase64AsTheJdkDoes() {
    String json = "{\"type\":\"message_stop\"}";
    for (int pad = 0; pad < 3; pad++) {
      String model = json + " ".repeat(pad); // one, two and no padding characters
      String base64 = Base64.getEncoder().encodeToString(utf8(model));
      assertThat(decoded("{\"bytes\":\"" + base64 + "\",\"p\":\"abc\"}")).isEqualTo(model);
      assertThat(decoded("{\"bytes\":\"" + base64.replace("=", "") + "\"}")).isEqualTo(model);
    }
    String slashes = Base64.getEncoder().encodeToString(new byte[] {(byte) 0xff, (byte) 0xff});
    assertThat(slashes).contains("/");
    assertThat(decoded("{\"bytes\":\"" + slashes.replace("/", "\\/") + "\"}"))
        .isEqualTo(new String(new byte[] {(byte) 0xff, (byte) 0xff}, StandardCharsets.UTF_8));
    assertThat(decoded("{\"bytes\":\"ab!d\"}")).isNull();
    assertThat(decoded("{\"bytes\":\"Q===\"}")).isNull();
    assertThat(decoded("{\"bytes\":12}")).isNull();
    assertThat(decoded("{\"other\":\"QUJD\"}")).isNull();
  }

  @Test
  void aFrameIsReadWithoutItsPayloadCopiedAndSaysWhatItsHeadersSay() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(EventStreamMessage.event("contentBlockDelta", utf8("{\"a\":1}")).encode());
    out.writeBytes(
        new EventStreamMessage(
                java.util.Map.of(":event-type", 7, ":message-type", "event"), utf8("{}"))
            .encode());
    List<String> seen = new java.util.ArrayList<>();
    EventStreamDecoder decoder =
        EventStreamDecoder.ofFrames(
            frame ->
                seen.add(
                    frame.messageType()
                        + " "
                        + frame.eventType()
                        + " "
                        + new String(frame.payload(), StandardCharsets.UTF_8)),
            EventStreamDecoder.MAX_MESSAGE_BYTES);

    byte[] bytes = out.toByteArray();
    for (int i = 0; i < bytes.length; i++) {
      decoder.feed(bytes, i, 1);
    }

    assertThat(seen).containsExactly("event contentBlockDelta {\"a\":1}", "event null {}");
  }

  @Test
  void geminiCountsAudioAndImageTokensOfThePromptAndAudioOfTheAnswer() throws IOException {
    // The shape of the Gemini API reference's UsageMetadata, with a spoken prompt and an image.
    String usage =
        "{\"promptTokenCount\":566,\"candidatesTokenCount\":120,\"totalTokenCount\":686,"
            + "\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":8},"
            + "{\"modality\":\"AUDIO\",\"tokenCount\":300},{\"modality\":\"IMAGE\","
            + "\"tokenCount\":258}],\"candidatesTokensDetails\":[{\"modality\":\"AUDIO\","
            + "\"tokenCount\":100},{\"modality\":\"TEXT\",\"tokenCount\":20}]}";

    assertThat(geminiUsage(usage, null))
        .isEqualTo(new Usage(566, 120, 686, 0, 0, 0, 300, 100, 258));
  }

  @Test
  void geminiUsageWithTextOnlyDetailsHasNoModalityCountsAndARepeatIsTheSameUsage()
      throws IOException {
    String usage =
        "{\"promptTokenCount\":14,\"candidatesTokenCount\":3,\"totalTokenCount\":17,"
            + "\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":14}]}";
    Usage first = geminiUsage(usage, null);

    assertThat(first).isEqualTo(new Usage(14, 3, 17, 0, 0));
    assertThat(geminiUsage(usage, first)).isSameAs(first);
    assertThat(geminiUsage(usage.replace("17", "18"), first)).isNotSameAs(first);
  }

  @Test
  void bedrockConverseReportsCacheWriteTokens() {
    ResponseReadout readout = new ResponseReadout();
    // The Converse API reference's TokenUsage, with a prompt cache checkpoint written.
    byte[] answer =
        utf8(
            "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Hi\"}]}},"
                + "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":12,\"outputTokens\":5,"
                + "\"totalTokens\":1041,\"cacheReadInputTokens\":0,"
                + "\"cacheWriteInputTokens\":1024}}");

    BedrockConverseFormat.readAnswer(readout, answer, 0, answer.length);

    assertThat(readout.usage()).isEqualTo(new Usage(1036, 5, 1041, 0, 0, 1024, 0, 0, 0));
  }

  private static Usage geminiUsage(String usage, Usage previous) throws IOException {
    try (JsonParser p = Json.MAPPER.getFactory().createParser(usage)) {
      p.nextToken();
      return GeminiFormat.readUsage(p, previous);
    }
  }

  private static String converseText(String payload) {
    ResponseReadout readout = new ResponseReadout();
    BedrockConverseFormat.CONVERSE_STREAM
        .messageReader()
        .read(
            readout,
            EventStreamFrame.of(EventStreamMessage.event("contentBlockDelta", utf8(payload))));
    return readout.text().toString();
  }

  private static String decoded(String payload) {
    InvokeChunk chunk = new InvokeChunk();
    boolean read =
        chunk.read(EventStreamFrame.of(EventStreamMessage.event("chunk", utf8(payload))));
    return read ? new String(chunk.bytes(), 0, chunk.length(), StandardCharsets.UTF_8) : null;
  }

  /** That what a byte reader learnt equals what the tree reader learnt. */
  static void assertSame(String what, ResponseReadout bytes, ResponseReadout tree) {
    assertThat(bytes.text().toString()).as(what).isEqualTo(tree.text().toString());
    assertThat(bytes.usage()).as(what).isEqualTo(tree.usage());
    assertThat(bytes.model()).as(what).isEqualTo(tree.model());
    assertThat(bytes.complete()).as(what).isEqualTo(tree.complete());
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
