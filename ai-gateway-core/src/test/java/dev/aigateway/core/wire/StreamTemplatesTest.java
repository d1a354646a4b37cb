package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The stream readers that read a delta against the last one walked ({@link TextTemplate}: Anthropic
 * events, also inside Claude on Bedrock's chunks, and ConverseStream deltas) and the one-pass
 * base64 decoding of Bedrock's chunks ({@link InvokeChunk}) learn exactly what reading every event
 * as a Jackson tree learns: on random streams whose deltas are mostly written alike, with odd ones
 * among them (escapes, whitespace, members before and after the text, duplicates, cut or trailing
 * bytes, values that are not strings), whole and split at every offset.
 */
@Tag("compute-bound")
class StreamTemplatesTest {

  private static final String[] ANTHROPIC_PREFIXES = {
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":",
    "{\"type\":\"content_block_delta\",\"index\":12,\"delta\":{\"type\":\"text_delta\",\"text\":",
    "{ \"type\": \"content_block_delta\", \"index\": 0, \"delta\": { \"type\": \"text_delta\","
        + " \"text\": ",
    "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"thinking_delta\","
        + "\"thinking\":",
    "{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\","
        + "\"partial_json\":",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
        + "\"thinking\":",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\","
        + "\"signature\":",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"x\":[1,{\"y\":null}],"
        + "\"type\":\"text_delta\",\"text\":",
    "{\"type\":\"content_block_delta\",\"extra\":1,\"index\":0,\"delta\":{\"type\":\"text_delta\","
        + "\"text\":",
    "{\"type\":\"ping\",\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
        + "\"text_delta\",\"text\":",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
        + "\"first\",\"text\":",
    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":",
    "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":",
  };

  private static final String[] TEXTS = {
    "\"Hello\"",
    "\" world\"",
    "\"\"",
    "\" team,\"",
    "\"a \\\"q\\\"\\n\\u00e9\"",
    "\"caf\u00e9 \uD83D\uDE00\"",
    "\"tab\tinside\"",
    "\"bad \\x escape\"",
    "\"\\ud83d\\ude00\"",
    "42",
    "null",
    "{\"text\":\"nested\"}",
    "\"cut",
    "\"" + "long ".repeat(40) + "\"",
  };

  private static final String[] ANTHROPIC_SUFFIXES = {
    "}}",
    "}}",
    "}}",
    "} }\n",
    "}}  ",
    "},\"index\":3}",
    ",\"text\":\"dup\"}}",
    ",\"type\":\"text_delta\"}}",
    "}}x",
    "}",
    "}}}",
    "},\"usage\":{\"output_tokens\":5}}",
    ",\"citations\":[]}}",
    "",
  };

  private static final String[] OTHER_ANTHROPIC_EVENTS = {
    "{\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"usage\":{"
        + "\"input_tokens\":25,\"cache_read_input_tokens\":3,\"output_tokens\":1}}}",
    "{\"type\":\"content_block_stop\",\"index\":0}",
    "{\"type\":\"ping\"}",
    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{"
        + "\"output_tokens\":15}}",
    "{\"type\":\"message_stop\"}",
    "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":14,"
        + "\"outputTokenCount\":18,\"invocationLatency\":611}}",
  };

  @Test
  void anthropicDeltasReadAgainstTheLastOneTeachWhatTheirTreesTeach() {
    Random random = new Random(1515);
    for (int run = 0; run < 3000; run++) {
      AnthropicUsage.StreamReader onBytes = new AnthropicUsage.StreamReader();
      AnthropicUsage.StreamReader onTrees = new AnthropicUsage.StreamReader();
      ResponseReadout bytes = new ResponseReadout();
      ResponseReadout tree = new ResponseReadout();
      for (String event : anthropicEvents(random, 16)) {
        byte[] data = utf8("  " + event + " ");
        onBytes.read(bytes, data, 2, data.length - 1);
        JsonNode parsed = Json.parseOrNull(data, 2, data.length - 3);
        if (parsed != null) {
          onTrees.read(tree, parsed);
        }
        ByteReadersTest.assertSame("run " + run + ", " + event, bytes, tree);
      }
    }
  }

  @Test
  void claudeOnBedrockStreamsSplitAtEveryOffsetTeachWhatTheirTreesTeach() {
    Random random = new Random(4242);
    for (int run = 0; run < 12; run++) {
      List<String> events = anthropicEvents(random, 10);
      ByteArrayOutputStream stream = new ByteArrayOutputStream();
      ResponseReadout expected = new ResponseReadout();
      AnthropicUsage.StreamReader onTrees = new AnthropicUsage.StreamReader();
      for (String event : events) {
        String payload = chunkPayload(random, utf8(event));
        stream.writeBytes(EventStreamMessage.event("chunk", utf8(payload)).encode());
        byte[] decoded = decodedAsJacksonAndTheJdkDo(payload);
        JsonNode parsed = decoded == null ? null : Json.parseOrNull(decoded, 0, decoded.length);
        if (parsed != null) {
          onTrees.read(expected, parsed);
          if (expected.usage() == null) {
            BedrockInvokeFormat.learnMetrics(expected, parsed);
          }
        }
      }
      byte[] bytes = stream.toByteArray();
      for (int split = 0; split <= bytes.length; split++) {
        ResponseReadout readout = new ResponseReadout();
        EventStreamBody.MessageReader reader = BedrockAnthropicFormat.INVOKE_STREAM.messageReader();
        EventStreamDecoder decoder =
            EventStreamDecoder.ofFrames(
                frame -> reader.read(readout, frame), EventStreamDecoder.MAX_MESSAGE_BYTES);
        decoder.feed(bytes, 0, split);
        decoder.feed(bytes, split, bytes.length - split);
        assertThat(decoder.corrupt()).isFalse();
        ByteReadersTest.assertSame("run " + run + ", split at " + split, readout, expected);
      }
    }
  }

  /**
   * A chunk's payload for {@code json}: mostly as Bedrock writes it (its base64, padded, then a
   * padding member), else written otherwise: unpadded, with escapes, whitespace, members before, a
   * duplicate, or broken base64.
   */
  private static String chunkPayload(Random random, byte[] json) {
    String base64 = Base64.getEncoder().encodeToString(json);
    String pad =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0".substring(random.nextInt(50));
    return switch (random.nextInt(14)) {
      case 0 -> "{\"bytes\":\"" + base64.replace("=", "") + "\"}";
      case 1 -> "{\"bytes\":\"" + base64.replace("/", "\\/") + "\",\"p\":\"" + pad + "\"}";
      case 2 -> "{ \"bytes\" : \"" + base64 + "\" , \"p\":\"" + pad + "\" }";
      case 3 -> "{\"p\":\"" + pad + "\",\"bytes\":\"" + base64 + "\"}";
      case 4 -> "{\"bytes\":\"" + base64 + "\",\"bytes\":\"" + base64 + "\"}";
      case 5 -> "{\"bytes\":\"" + base64 + "\",\"p\":[1,{\"q\":null}],\"r\":-0.5e3}";
      case 6 -> "{\"bytes\":\"" + base64 + "=\",\"p\":\"" + pad + "\"}";
      case 7 -> "{\"bytes\":\"" + base64 + "\",\"p\":\"" + pad + "\"}\n";
      default -> "{\"bytes\":\"" + base64 + "\",\"p\":\"" + pad + "\"}";
    };
  }

  @Test
  void chunksDecodeTheirBase64AsJacksonAndTheJdkDo() {
    Random random = new Random(64);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    String odd = "==\"\\-_ \n.!\u00e9";
    String[] afters = {
      "\"}",
      "\",\"p\":\"ab-c\"}",
      "\",\"p\":\"ab\"} ",
      "\",\"p\":\"ab\"}}",
      "\",\"p\":\"ab\"",
      "\",\"p\":\"\"}",
      "\",\"p\":\"ab\",\"bytes\":\"QUJD\"}",
      "\",\"p\":\"abc\"}",
      "\" }",
      "\",\"bytes\":\"QUJD\"}",
      "\",\"p\":tru}",
      "\"",
      "\"}x",
      "\",\"p\\u0041\":1}",
      "\",\"p\":{\"a\":[1,2,{\"b\":\"\\n\"}]}} ",
    };
    String shared = Base64.getEncoder().encodeToString(utf8(ANTHROPIC_PREFIXES[0]));
    InvokeChunk chunk = new InvokeChunk();
    for (int n = 0; n < 60_000; n++) {
      StringBuilder text = new StringBuilder();
      if (random.nextInt(3) == 0) {
        byte[] raw = new byte[random.nextInt(40)];
        random.nextBytes(raw);
        text.append(Base64.getEncoder().encodeToString(raw));
        if (random.nextBoolean()) {
          int cut = random.nextInt(text.length() + 1);
          text.setLength(cut);
        }
      } else {
        int length = random.nextInt(14);
        for (int k = 0; k < length; k++) {
          text.append(
              random.nextInt(12) == 0
                  ? odd.charAt(random.nextInt(odd.length()))
                  : alphabet.charAt(random.nextInt(alphabet.length())));
        }
      }
      if (random.nextInt(4) == 0) {
        text.append("=".repeat(random.nextInt(3)));
      }
      if (random.nextBoolean()) {
        // begun as the chunks before: the units decoded already are reused
        text.insert(0, shared.substring(0, random.nextInt(shared.length() + 1)));
      }
      String payload = "{\"bytes\":\"" + text + afters[random.nextInt(afters.length)];
      byte[] expected = decodedAsJacksonAndTheJdkDo(payload);
      boolean read =
          chunk.read(EventStreamFrame.of(EventStreamMessage.event("chunk", utf8(payload))));
      assertThat(read).as(payload).isEqualTo(expected != null);
      if (read) {
        byte[] decoded = java.util.Arrays.copyOf(chunk.bytes(), chunk.length());
        assertThat(decoded).as(payload).isEqualTo(expected);
      }
    }
  }

  @Test
  void everyBytesOfEveryLengthDecodeAsTheJdkDecodesThem() {
    Random random = new Random(3);
    InvokeChunk chunk = new InvokeChunk();
    for (int length = 0; length < 600; length++) {
      for (int k = 0; k < 20; k++) {
        byte[] raw = new byte[length];
        random.nextBytes(raw);
        String base64 = Base64.getEncoder().encodeToString(raw);
        for (String text : List.of(base64, base64.replace("=", ""))) {
          String payload = "{\"bytes\":\"" + text + "\",\"p\":\"abcd\"}";
          assertThat(
                  chunk.read(EventStreamFrame.of(EventStreamMessage.event("chunk", utf8(payload)))))
              .isTrue();
          assertThat(java.util.Arrays.copyOf(chunk.bytes(), chunk.length())).isEqualTo(raw);
        }
      }
    }
  }

  private static final String[] CONVERSE_PREFIXES = {
    "{\"contentBlockIndex\":0,\"delta\":{\"text\":",
    "{\"contentBlockIndex\":0,\"delta\":{\"text\":",
    "{\"contentBlockIndex\":0,\"delta\":{\"text\":",
    "{\"contentBlockIndex\":3,\"delta\":{\"text\":",
    "{\"contentBlockIndex\":0, \"delta\": {\"text\": ",
    "{\"p\":\"abc\",\"contentBlockIndex\":0,\"delta\":{\"text\":",
    "{\"delta\":{\"toolUse\":{\"input\":\"x\"},\"text\":",
    "{\"delta\":{\"reasoningContent\":{\"text\":\"r\"},\"text\":",
    "{\"delta\":{\"text\":\"first\"},\"delta\":{\"text\":",
    "{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":",
    "{\"contentBlockIndex\":0,\"delta\":{\"reasoningContent\":{\"text\":",
  };

  private static final String[] CONVERSE_SUFFIXES = {
    "},\"p\":\"abcdef\"}",
    "},\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL0\"}",
    "},\"p\":\"ab\"}",
    "}}",
    "} , \"p\" : \"x\" }  ",
    "},\"delta\":{\"text\":\"later\"}}",
    ",\"toolUse\":{\"input\":\"y\"}},\"p\":\"a\"}",
    "},\"p\":\"a\"",
    "},\"p\":\"a\"}x",
    "},\"p\":[1,{\"q\":true}],\"contentBlockIndex\":0}",
    "},\"p\":\"a\\u0041\"}",
    "},\"p\\u0041\":\"a\"}",
    "},\"p\":tru}",
    "}}}",
    "",
  };

  @Test
  void converseDeltasReadAgainstTheLastOneAppendWhatTheirTreesHold() {
    Random random = new Random(2525);
    for (int run = 0; run < 3000; run++) {
      EventStreamBody.MessageReader reader = BedrockConverseFormat.CONVERSE_STREAM.messageReader();
      ResponseReadout bytes = new ResponseReadout();
      StringBuilder expected = new StringBuilder();
      for (String payload : converseDeltas(random, 16)) {
        reader.read(
            bytes,
            EventStreamFrame.of(EventStreamMessage.event("contentBlockDelta", utf8(payload))));
        appendTreeText(expected, payload);
        assertThat(bytes.text().toString())
            .as("run %d, %s", run, payload)
            .isEqualTo(expected.toString());
      }
    }
  }

  @Test
  void converseStreamsSplitAtEveryOffsetAppendWhatTheirTreesHold() {
    Random random = new Random(77);
    for (int run = 0; run < 12; run++) {
      ByteArrayOutputStream stream = new ByteArrayOutputStream();
      StringBuilder expected = new StringBuilder();
      for (String payload : converseDeltas(random, 10)) {
        stream.writeBytes(EventStreamMessage.event("contentBlockDelta", utf8(payload)).encode());
        appendTreeText(expected, payload);
      }
      stream.writeBytes(
          EventStreamMessage.event(
                  "metadata", utf8("{\"usage\":{\"inputTokens\":14,\"outputTokens\":18}}"))
              .encode());
      byte[] bytes = stream.toByteArray();
      for (int split = 0; split <= bytes.length; split++) {
        ResponseReadout readout = new ResponseReadout();
        EventStreamBody.MessageReader reader =
            BedrockConverseFormat.CONVERSE_STREAM.messageReader();
        EventStreamDecoder decoder =
            EventStreamDecoder.ofFrames(
                frame -> reader.read(readout, frame), EventStreamDecoder.MAX_MESSAGE_BYTES);
        decoder.feed(bytes, 0, split);
        decoder.feed(bytes, split, bytes.length - split);
        assertThat(readout.text().toString())
            .as("split at %d", split)
            .isEqualTo(expected.toString());
        assertThat(readout.usage().inputTokens()).isEqualTo(14);
        assertThat(readout.complete()).isTrue();
      }
    }
  }

  @Test
  void aTemplateKeepsTheBytesUpToTheQuoteAndChecksWhatCloses() {
    TextTemplate template = new TextTemplate();
    byte[] first = utf8("{\"delta\":{\"text\":\"Hi\"},\"p\":\"ab\"}");
    assertThat(template.quote(first, 0, first.length)).isEqualTo(-1); // nothing kept yet
    template.keep(first, 0, 17);
    byte[] next = utf8("xx{\"delta\":{\"text\":\" there\"},\"p\":\"abcdef\"}");
    assertThat(template.quote(next, 2, next.length)).isEqualTo(19);
    int end = StrictJson.string(next, 19, next.length, true);
    int closed = TextTemplate.closes(next, end, next.length);
    assertThat(closed).isEqualTo(next.length - 14);
    byte[] delta = ObjectMembers.quoted("delta");
    assertThat(TextTemplate.membersAfter(next, closed, next.length, delta, 1))
        .isEqualTo(next.length);
    byte[] again = utf8("{\"delta\":{\"text\":\"a\"},\"delta\":{}}");
    int againClosed =
        TextTemplate.closes(again, StrictJson.string(again, 17, again.length, true), again.length);
    assertThat(TextTemplate.membersAfter(again, againClosed, again.length, delta, 1)).isEqualTo(-1);
    byte[] other = utf8("{\"delta\":{\"tex\":\"Hi\"}}");
    assertThat(template.quote(other, 0, other.length)).isEqualTo(-1);
    assertThat(TextTemplate.ends(next, next.length, next.length)).isTrue();
    assertThat(TextTemplate.ends(next, -1, next.length)).isFalse();
  }

  static List<String> anthropicEvents(Random random, int count) {
    List<String> events = new ArrayList<>();
    int prefix = random.nextInt(ANTHROPIC_PREFIXES.length);
    for (int i = 0; i < count; i++) {
      if (random.nextInt(6) == 0) {
        events.add(OTHER_ANTHROPIC_EVENTS[random.nextInt(OTHER_ANTHROPIC_EVENTS.length)]);
        continue;
      }
      if (random.nextInt(4) == 0) {
        prefix = random.nextInt(ANTHROPIC_PREFIXES.length); // mostly written alike
      }
      String text =
          random.nextInt(3) == 0 ? TEXTS[random.nextInt(TEXTS.length)] : plainText(random);
      String suffix =
          random.nextInt(3) == 0
              ? ANTHROPIC_SUFFIXES[random.nextInt(ANTHROPIC_SUFFIXES.length)]
              : "}}";
      events.add(ANTHROPIC_PREFIXES[prefix] + text + suffix);
    }
    return events;
  }

  private static List<String> converseDeltas(Random random, int count) {
    List<String> deltas = new ArrayList<>();
    int prefix = random.nextInt(CONVERSE_PREFIXES.length);
    for (int i = 0; i < count; i++) {
      if (random.nextInt(4) == 0) {
        prefix = random.nextInt(CONVERSE_PREFIXES.length);
      }
      String text =
          random.nextInt(3) == 0 ? TEXTS[random.nextInt(TEXTS.length)] : plainText(random);
      String suffix =
          random.nextInt(3) == 0
              ? CONVERSE_SUFFIXES[random.nextInt(CONVERSE_SUFFIXES.length)]
              : "},\"p\":\"" + "abcdefghij".substring(random.nextInt(10)) + "\"}";
      // the last two prefixes hold the text one object deeper: close it first
      deltas.add(CONVERSE_PREFIXES[prefix] + text + (prefix >= 9 ? "}" : "") + suffix);
    }
    return deltas;
  }

  /** A delta's plain text: a quoted word or two, as models stream them. */
  private static String plainText(Random random) {
    String[] words = {"Hello", " team", ",", " good", " to", " see", " you", ""};
    return "\"" + words[random.nextInt(words.length)] + words[random.nextInt(words.length)] + "\"";
  }

  /** What ConverseStream's reader appends for a delta read as a tree. */
  private static void appendTreeText(StringBuilder text, String payload) {
    byte[] data = utf8(payload);
    JsonNode event = Json.parseOrNull(data, 0, data.length);
    JsonNode delta = event == null ? null : event.get("delta");
    if (delta != null) {
      appendTextual(text, delta.get("text"));
      appendTextual(text, delta.path("toolUse").get("input"));
      appendTextual(text, delta.path("reasoningContent").get("text"));
    }
  }

  private static void appendTextual(StringBuilder text, JsonNode node) {
    if (node != null && node.isTextual()) {
      text.append(node.textValue());
    }
  }

  /** The bytes a chunk's payload decodes to as read by Jackson and decoded by the JDK, or null. */
  static byte[] decodedAsJacksonAndTheJdkDo(String payload) {
    return decodedAsJacksonAndTheJdkDo(utf8(payload));
  }

  /** As {@link #decodedAsJacksonAndTheJdkDo(String)}, of a payload's bytes. */
  static byte[] decodedAsJacksonAndTheJdkDo(byte[] data) {
    JsonNode event = Json.parseOrNull(data, 0, data.length);
    JsonNode text = event == null ? null : event.get("bytes");
    if (text == null || !text.isTextual()) {
      return null;
    }
    try {
      return Base64.getDecoder().decode(text.textValue());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
