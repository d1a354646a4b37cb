package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An event that matches a shape learnt from another ({@link EventShapes}) is one the walk accepts,
 * and its walkers are given exactly the notes the walk leaves: random events of one structure with
 * other values (strings with escapes and multi-byte characters, counts near {@code Long.MAX_VALUE},
 * numbers the walk refuses, values of another kind), bytes changed, dropped or added anywhere, cut
 * anywhere; Anthropic's stream reader, which reads events by learnt shapes, learns from streams of
 * events written alike what their trees teach.
 */
@Tag("compute-bound")
class EventShapesTest {

  private static final String[] NAMES = {
    "type",
    "index",
    "delta",
    "usage",
    "message",
    "content_block",
    "model",
    "text",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "other",
    "id",
    "typ\\u0065"
  };

  /** A walker tree as Anthropic's stream reader nests it. */
  private static ObjectMembers tree() {
    byte[][] counts = AnthropicUsage.StreamReader.COUNT_NAMES;
    ObjectMembers message =
        new ObjectMembers(q("model"), q("usage")).nest(1, new ObjectMembers(counts));
    return new ObjectMembers(
            q("type"),
            q("index"),
            q("delta"),
            q("usage"),
            q("message"),
            q("content_block"),
            q("amazon-bedrock-invocationMetrics"))
        .nest(2, new ObjectMembers(q("type"), q("text"), q("partial_json"), q("thinking")))
        .nest(3, new ObjectMembers(counts))
        .nest(4, message)
        .nest(5, new ObjectMembers(q("type"), q("text"), q("thinking")));
  }

  @Test
  void anEventMatchingAShapeIsWalkedWithTheNotesTheShapeGives() {
    Random random = new Random(4141);
    ObjectMembers[] byShape = tree().tree();
    ObjectMembers walked = tree();
    ObjectMembers[] byWalk = walked.tree();
    int[] shifts = new int[EventShapes.MAX_HOLES + 1];
    int matched = 0;
    int learnt = 0;
    int walkedNotMatched = 0;
    for (int n = 0; n < 20_000; n++) {
      long structure = random.nextLong();
      byte[] first = utf8(event(new Random(structure), random));
      if (!walked.walk(first, 0, first.length)) {
        continue;
      }
      EventShapes shapes = new EventShapes();
      shapes.learn(first, 0, first.length, byWalk);
      for (int k = 0; k < 6; k++) {
        byte[] other = mutated(random, utf8(event(new Random(structure), random)));
        int from = random.nextInt(3);
        byte[] data = new byte[other.length + from + random.nextInt(3)];
        System.arraycopy(other, 0, data, from, other.length);
        int to = from + other.length;
        boolean byShapes = shapes.read(data, from, to, byShape, shifts);
        boolean byWalking = walked.walk(data, from, to);
        String json = new String(data, from, to - from, StandardCharsets.UTF_8);
        if (!byShapes) {
          walkedNotMatched += byWalking ? 1 : 0;
          continue;
        }
        matched++;
        assertThat(byWalking).as(json).isTrue();
        for (int w = 0; w < byWalk.length; w++) {
          for (int p = 0; p < byWalk[w].places(); p++) {
            assertThat(byShape[w].noted(p))
                .as("%s: walker %d place %d", json, w, p)
                .isEqualTo(byWalk[w].noted(p));
          }
          assertThat(byShape[w].hasOthers()).as(json).isEqualTo(byWalk[w].hasOthers());
          assertThat(byShape[w].hasDuplicates()).as(json).isEqualTo(byWalk[w].hasDuplicates());
        }
      }
      learnt++;
    }
    assertThat(matched).as("events matched").isGreaterThan(12_000);
    assertThat(walkedNotMatched).as("events walked, not matched").isGreaterThan(12_000);
    assertThat(learnt).as("shapes learnt").isGreaterThan(9_000);
  }

  @Test
  void streamsOfEventsWrittenAlikeTeachWhatTheirTreesTeach() {
    Random random = new Random(5151);
    for (int run = 0; run < 3_000; run++) {
      AnthropicUsage.StreamReader onBytes = new AnthropicUsage.StreamReader();
      AnthropicUsage.StreamReader onTrees = new AnthropicUsage.StreamReader();
      ResponseReadout bytes = new ResponseReadout();
      ResponseReadout tree = new ResponseReadout();
      for (String event : stream(random)) {
        byte[] data = utf8(event);
        if (random.nextInt(30) == 0) {
          data = mutated(random, data);
        }
        onBytes.read(bytes, data, 0, data.length);
        JsonNode parsed = Json.parseOrNull(data, 0, data.length);
        if (parsed != null) {
          onTrees.read(tree, parsed);
        }
        String json = new String(data, StandardCharsets.UTF_8);
        assertThat(bytes.text().toString()).as(json).isEqualTo(tree.text().toString());
        assertThat(bytes.usage()).as(json).isEqualTo(tree.usage());
        assertThat(bytes.model()).as(json).isEqualTo(tree.model());
        assertThat(bytes.complete()).as(json).isEqualTo(tree.complete());
      }
    }
  }

  @Test
  void claudeOnBedrockStreamsSplitAnywhereReadAsWhole() {
    Random random = new Random(6161);
    for (int run = 0; run < 6; run++) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (String event : stream(random)) {
        String base64 = java.util.Base64.getEncoder().encodeToString(utf8(event));
        out.writeBytes(
            EventStreamMessage.event("chunk", utf8("{\"bytes\":\"" + base64 + "\",\"p\":\"ab\"}"))
                .encode());
      }
      byte[] stream = out.toByteArray();
      ResponseReadout whole = read(stream, stream.length);
      for (int split = 1; split < stream.length; split++) {
        ResponseReadout pieces = read(stream, split);
        assertThat(pieces.usage()).isEqualTo(whole.usage());
        assertThat(pieces.model()).isEqualTo(whole.model());
        assertThat(pieces.text().toString()).isEqualTo(whole.text().toString());
        assertThat(pieces.complete()).isEqualTo(whole.complete());
      }
      assertThat(whole.usage()).isNotNull();
      assertThat(whole.complete()).isTrue();
    }
  }

  @Test
  void aCountIsReadAsItsJacksonNodeReadsIt() {
    Random random = new Random(7171);
    String[] near = {"9223372036854775807", "9223372036854775808", "9223372036854775799"};
    for (int n = 0; n < 100_000; n++) {
      String number =
          switch (random.nextInt(6)) {
            case 0 -> near[random.nextInt(near.length)];
            case 1 -> Long.toString(random.nextLong());
            case 2 -> (random.nextBoolean() ? "-" : "") + random.nextInt(1000) + ".5";
            case 3 -> random.nextInt(1000) + (random.nextBoolean() ? "e" : "E") + random.nextInt(9);
            case 4 -> "-0";
            default -> Long.toString(random.nextLong() >>> random.nextInt(64));
          };
      if (random.nextInt(10) == 0) {
        number = number + random.nextInt(10);
      }
      byte[] data = utf8(number);
      if (StrictJson.NOT_NOTING.value(data, 0, data.length, 0) != data.length) {
        continue; // (a leading zero: not a value the walk accepts)
      }
      JsonNode node = Json.parseOrNull(data, 0, data.length);
      assertThat(ObjectMembers.count(data, 0, data.length))
          .as(number)
          .isEqualTo(UsageCounts.of(node));
    }
  }

  /** Reads Claude on Bedrock's {@code stream} fed in pieces of {@code piece} bytes. */
  private static ResponseReadout read(byte[] stream, int piece) {
    ResponseReadout readout = new ResponseReadout();
    EventStreamBody.MessageReader reader = BedrockAnthropicFormat.INVOKE_STREAM.messageReader();
    EventStreamDecoder decoder =
        EventStreamDecoder.ofFrames(
            frame -> reader.read(readout, frame), EventStreamDecoder.MAX_MESSAGE_BYTES);
    for (int at = 0; at < stream.length; at += piece) {
      decoder.feed(stream, at, Math.min(piece, stream.length - at));
    }
    return readout;
  }

  /** The events of one stream as Anthropic writes them, its values random. */
  private static String[] stream(Random random) {
    String model = random.nextInt(5) == 0 ? "claude-\\u0073onnet" : "claude-" + random.nextInt(3);
    String[] words = {" a", " b\\n", " \\\"c\\\"", " caf\u00e9", ""};
    String[] events = new String[9];
    events[0] =
        "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_"
            + Long.toHexString(random.nextLong())
            + "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\""
            + model
            + "\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":"
            + "{\"input_tokens\":"
            + count(random)
            + ",\"cache_creation_input_tokens\":"
            + count(random)
            + ",\"cache_read_input_tokens\":"
            + count(random)
            + ",\"output_tokens\":1}}}";
    events[1] =
        "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
            + "\"text\":\""
            + words[random.nextInt(words.length)]
            + "\"}}";
    for (int k = 2; k < 6; k++) {
      events[k] =
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
              + "\"text\":\""
              + words[random.nextInt(words.length)]
              + "\"}}";
    }
    events[6] = "{\"type\":\"content_block_stop\",\"index\":0}";
    events[7] =
        "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
            + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":"
            + count(random)
            + "}}";
    events[8] =
        "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{"
            + "\"inputTokenCount\":"
            + count(random)
            + ",\"outputTokenCount\":18}}";
    return events;
  }

  private static final String[] COUNTS = {
    "0",
    "-0",
    "7",
    "1.5",
    "1e3",
    "-2",
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999",
    "01",
    "1.",
    "-",
    "\"3\"",
    "null",
    "12345",
  };

  private static String count(Random random) {
    return random.nextInt(3) == 0
        ? COUNTS[random.nextInt(COUNTS.length)]
        : Integer.toString(random.nextInt(100_000));
  }

  /**
   * An event whose structure (names, nesting, kinds of values, spacing) {@code structure} draws and
   * whose strings and numbers {@code values} draws (and, now and then, a value of another kind).
   */
  private static String event(Random structure, Random values) {
    return object(structure, values, 0);
  }

  private static String object(Random structure, Random values, int depth) {
    int n = structure.nextInt(depth == 0 ? 6 : 4);
    StringBuilder json = new StringBuilder(structure.nextInt(8) == 0 ? " {" : "{");
    for (int k = 0; k < n; k++) {
      if (k > 0) {
        json.append(structure.nextInt(8) == 0 ? " , " : ",");
      }
      json.append('"').append(NAMES[structure.nextInt(NAMES.length)]).append("\":");
      json.append(value(structure, values, depth + 1));
    }
    return json.append(structure.nextInt(10) == 0 ? "} " : "}").toString();
  }

  private static String value(Random structure, Random values, int depth) {
    int kind = structure.nextInt(depth > 3 ? 4 : 7);
    if (values.nextInt(25) == 0) {
      kind = values.nextInt(4); // another kind than the structure's
    }
    return switch (kind) {
      case 0, 1 -> string(values);
      case 2 -> COUNTS[values.nextInt(COUNTS.length)];
      case 3 -> structure.nextBoolean() ? "null" : "true";
      case 4 -> "[" + value(structure, values, depth + 1) + "]";
      default -> object(structure, values, depth);
    };
  }

  private static String string(Random values) {
    return switch (values.nextInt(9)) {
      case 0 -> "\"\"";
      case 1 -> "\"a\\\"b\\\\\"";
      case 2 -> "\"\\u00e9t\u00e9\"";
      case 3 -> "\"\ud83d\ude00 emoji\"";
      case 4 -> "\"bad \\x escape\"";
      case 5 -> "\"message_start\"";
      default -> "\"s" + Long.toString(values.nextLong() >>> values.nextInt(64), 36) + "\"";
    };
  }

  private static final byte[] ODD_BYTES = {
    '"',
    '\\',
    ',',
    ':',
    '}',
    '{',
    '[',
    ']',
    ' ',
    'a',
    '0',
    '9',
    '-',
    '.',
    'e',
    1,
    (byte) 0xc3,
    (byte) 0x80,
    (byte) 0xff
  };

  /** {@code data}, or now and then with a byte changed, dropped or added, or cut short. */
  private static byte[] mutated(Random random, byte[] data) {
    int at = data.length == 0 ? 0 : random.nextInt(data.length);
    byte odd = ODD_BYTES[random.nextInt(ODD_BYTES.length)];
    switch (random.nextInt(8)) {
      case 0 -> {
        byte[] changed = data.clone();
        if (changed.length > 0) {
          changed[at] = odd;
        }
        return changed;
      }
      case 1 -> {
        byte[] dropped = new byte[Math.max(0, data.length - 1)];
        System.arraycopy(data, 0, dropped, 0, at);
        System.arraycopy(data, at + 1, dropped, at, data.length - at - 1);
        return data.length == 0 ? data : dropped;
      }
      case 2 -> {
        byte[] added = new byte[data.length + 1];
        System.arraycopy(data, 0, added, 0, at);
        added[at] = odd;
        System.arraycopy(data, at, added, at + 1, data.length - at);
        return added;
      }
      case 3 -> {
        return java.util.Arrays.copyOf(data, at);
      }
      default -> {
        return data;
      }
    }
  }

  private static byte[] q(String name) {
    return ObjectMembers.quoted(name);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
