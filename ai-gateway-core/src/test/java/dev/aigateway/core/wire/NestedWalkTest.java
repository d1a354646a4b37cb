package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A walk with a nested walker ({@link ObjectMembers#nest}) notes what a walk of the outer object
 * and a separate walk of the member's object note, and refuses exactly what one of them refuses (or
 * a nested member that comes twice); Anthropic's stream reader, which walks each event once that
 * way, learns from random events (members in any order, duplicated, escaped names, odd counts and
 * values) what the events' Jackson trees teach.
 */
@Tag("compute-bound")
class NestedWalkTest {

  private static final byte[] A = ObjectMembers.quoted("a");
  private static final byte[] B = ObjectMembers.quoted("b");
  private static final byte[] C = ObjectMembers.quoted("c");
  private static final byte[] X = ObjectMembers.quoted("x");
  private static final byte[] Y = ObjectMembers.quoted("y");

  @Test
  void aNestedWalkNotesWhatAWalkAndASeparateWalkOfTheMembersObjectNote() {
    Random random = new Random(1717);
    ObjectMembers inner = new ObjectMembers(X, Y);
    ObjectMembers outer = new ObjectMembers(A, B, C).nest(1, inner);
    ObjectMembers plainOuter = new ObjectMembers(A, B, C);
    ObjectMembers plainInner = new ObjectMembers(X, Y);
    int accepted = 0;
    for (int n = 0; n < 40_000; n++) {
      String json = object(random, new String[] {"a", "b", "c", "d", "\\u0062"}, 0, true);
      byte[] data = utf8("  " + json + " ");
      boolean nestedWalk = outer.walk(data, 1, data.length);
      boolean plainWalk = plainOuter.walk(data, 1, data.length);
      int bCount = plainWalk ? topLevelBs(json) : 0;
      boolean bObject = plainWalk && plainOuter.startsWith(data, 1, '{');
      boolean innerWalk = bObject && plainInner.walk(data, plainOuter.start(1), plainOuter.end(1));
      boolean expected = plainWalk && bCount <= 1 && (!bObject || innerWalk);
      assertThat(nestedWalk).as(json).isEqualTo(expected);
      if (!nestedWalk) {
        continue;
      }
      accepted++;
      for (int k = 0; k < 3; k++) {
        assertThat(outer.start(k)).as(json).isEqualTo(plainOuter.start(k));
        assertThat(outer.end(k)).as(json).isEqualTo(plainOuter.end(k));
      }
      assertThat(outer.hasOthers()).as(json).isEqualTo(plainOuter.hasOthers());
      assertThat(outer.hasDuplicates()).as(json).isEqualTo(plainOuter.hasDuplicates());
      for (int k = 0; k < 2; k++) {
        assertThat(inner.start(k)).as(json).isEqualTo(bObject ? plainInner.start(k) : -1);
        assertThat(inner.end(k)).as(json).isEqualTo(bObject ? plainInner.end(k) : -1);
      }
      if (bObject) {
        assertThat(inner.hasOthers()).as(json).isEqualTo(plainInner.hasOthers());
        assertThat(inner.hasDuplicates()).as(json).isEqualTo(plainInner.hasDuplicates());
      }
    }
    assertThat(accepted).isGreaterThan(5_000);
  }

  /**
   * How many members named {@code b} the object {@code json} (one a plain walk accepted: no name
   * written with escapes) has at its top.
   */
  private static int topLevelBs(String json) {
    int count = 0;
    int depth = 0;
    boolean inString = false;
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        if (depth == 1 && json.startsWith("\"b\"", i)) {
          int colon = i + 3;
          while (colon < json.length() && json.charAt(colon) == ' ') {
            colon++;
          }
          if (colon < json.length() && json.charAt(colon) == ':') {
            count++;
          }
        }
        inString = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        depth--;
      }
    }
    return count;
  }

  @Test
  void anthropicEventsOfRandomMembersTeachWhatTheirTreesTeach() {
    Random random = new Random(2929);
    int readOnBytes = 0;
    for (int run = 0; run < 4_000; run++) {
      AnthropicUsage.StreamReader onBytes = new AnthropicUsage.StreamReader();
      AnthropicUsage.StreamReader onTrees = new AnthropicUsage.StreamReader();
      ResponseReadout bytes = new ResponseReadout();
      ResponseReadout tree = new ResponseReadout();
      for (int i = 0; i < 8; i++) {
        String event = event(random);
        byte[] data = utf8(" " + event + "\n");
        ResponseReadout probe = new ResponseReadout();
        if (new AnthropicUsage.StreamReader().readBytes(probe, data, 1, data.length - 1)) {
          readOnBytes++;
        }
        onBytes.read(bytes, data, 1, data.length - 1);
        JsonNode parsed = Json.parseOrNull(data, 1, data.length - 2);
        if (parsed != null) {
          onTrees.read(tree, parsed);
        }
        assertThat(bytes.text().toString()).as(event).isEqualTo(tree.text().toString());
        assertThat(bytes.usage()).as(event).isEqualTo(tree.usage());
        assertThat(bytes.model()).as(event).isEqualTo(tree.model());
        assertThat(bytes.complete()).as(event).isEqualTo(tree.complete());
      }
    }
    assertThat(readOnBytes).as("events read on their bytes").isGreaterThan(4_000);
  }

  private static final String[] TYPES = {
    "message_start",
    "message_start",
    "message_delta",
    "message_delta",
    "content_block_start",
    "content_block_delta",
    "message_stop",
    "ping",
  };

  /** An Anthropic event of random members, mostly the ones its type has, in any order. */
  private static String event(Random random) {
    String type = TYPES[random.nextInt(TYPES.length)];
    List<String> members = new ArrayList<>();
    members.add("\"type\":\"" + type + "\"");
    switch (type) {
      case "message_start" -> members.add("\"message\":" + message(random));
      case "message_delta" -> {
        members.add("\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null}");
        members.add("\"usage\":" + usage(random));
      }
      case "content_block_start" -> {
        members.add("\"index\":0");
        members.add("\"content_block\":" + block(random));
      }
      case "content_block_delta" -> {
        members.add("\"index\":0");
        members.add(
            "\"delta\":{\"type\":\"text_delta\",\"text\":"
                + text(random)
                + oddMember(random)
                + "}");
      }
      default -> {
        if (random.nextBoolean()) {
          members.add("\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":14}");
        }
      }
    }
    int odd = random.nextInt(4);
    for (int k = 0; k < odd; k++) {
      members.add(
          switch (random.nextInt(8)) {
            case 0 -> "\"message\":" + message(random);
            case 1 -> "\"usage\":" + usage(random);
            case 2 -> "\"content_block\":" + block(random);
            case 3 -> "\"delta\":{\"type\":\"text_delta\",\"text\":" + text(random) + "}";
            case 4 -> "\"type\":\"" + TYPES[random.nextInt(TYPES.length)] + "\"";
            case 5 -> "\"other\":" + value(random, 1);
            case 6 -> "\"message\":" + value(random, 1);
            default -> "\"usage\":" + value(random, 1);
          });
    }
    if (random.nextInt(3) == 0) {
      java.util.Collections.shuffle(members, random);
    }
    String event = "{" + String.join(random.nextInt(5) == 0 ? " , " : ",", members) + "}";
    return random.nextInt(40) == 0 ? event.substring(0, random.nextInt(event.length())) : event;
  }

  private static String message(Random random) {
    List<String> members = new ArrayList<>();
    members.add("\"id\":\"msg_01\"");
    members.add("\"type\":\"message\"");
    members.add(
        "\"model\":"
            + switch (random.nextInt(8)) {
              case 0 -> "\"claude-\\u0073onnet\"";
              case 1 -> "\"claud\u00e9\"";
              case 2 -> "7";
              case 3 -> "null";
              default -> "\"claude-3-5-haiku-20241022\"";
            });
    members.add("\"content\":[]");
    members.add("\"stop_reason\":null");
    members.add("\"usage\":" + usage(random));
    if (random.nextInt(5) == 0) {
      members.add(
          switch (random.nextInt(5)) {
            case 0 -> "\"usage\":" + usage(random);
            case 1 -> "\"model\":\"claude-other\"";
            case 2 -> "\"mod\\u0065l\":\"claude-x\"";
            case 3 -> "\"nested\":{\"usage\":{\"input_tokens\":99},\"a\":[{\"b\":{}}]}";
            default -> "\"usage\":" + value(random, 2);
          });
    }
    if (random.nextInt(3) == 0) {
      java.util.Collections.shuffle(members, random);
    }
    return random.nextInt(12) == 0 ? value(random, 1) : "{" + String.join(",", members) + "}";
  }

  private static final String[] COUNTS = {
    "14",
    "0",
    "-0",
    "1.0",
    "1e1",
    "-3",
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999",
    "\"5\"",
    "null",
    "2048",
  };

  private static final String[] COUNT_NAMES = {
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "input\\u005ftokens",
    "other_tokens",
  };

  private static String usage(Random random) {
    if (random.nextInt(12) == 0) {
      return value(random, 2);
    }
    List<String> members = new ArrayList<>();
    int n = 1 + random.nextInt(5);
    for (int k = 0; k < n; k++) {
      String name =
          random.nextInt(4) == 0
              ? COUNT_NAMES[random.nextInt(COUNT_NAMES.length)]
              : COUNT_NAMES[random.nextInt(4)];
      String count = random.nextInt(3) == 0 ? COUNTS[random.nextInt(COUNTS.length)] : "" + k * 7;
      members.add("\"" + name + "\":" + (random.nextInt(10) == 0 ? " " : "") + count);
    }
    return "{" + String.join(",", members) + "}";
  }

  private static String block(Random random) {
    return switch (random.nextInt(6)) {
      case 0 -> "{\"type\":\"thinking\",\"thinking\":" + text(random) + ",\"signature\":\"\"}";
      case 1 -> "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"f\",\"input\":{}}";
      case 2 -> "{\"type\":\"text\",\"te\\u0078t\":\"x\"}";
      case 3 -> value(random, 1);
      default -> "{\"type\":\"text\",\"text\":" + text(random) + oddMember(random) + "}";
    };
  }

  private static String oddMember(Random random) {
    return switch (random.nextInt(8)) {
      case 0 -> ",\"text\":\"dup\"";
      case 1 -> ",\"citations\":[]";
      default -> "";
    };
  }

  private static String text(Random random) {
    return switch (random.nextInt(8)) {
      case 0 -> "\"a \\\"q\\\"\\n\\u00e9\"";
      case 1 -> "\"caf\u00e9\"";
      case 2 -> "42";
      case 3 -> "\"\"";
      default -> "\" word" + random.nextInt(100) + "\"";
    };
  }

  /** A random JSON value (or, now and then, bytes that are not one). */
  private static String value(Random random, int depth) {
    return switch (random.nextInt(depth > 3 ? 6 : 9)) {
      case 0 -> "\"s\"";
      case 1 -> "\"e\\u00e9\\\"\"";
      case 2 -> COUNTS[random.nextInt(COUNTS.length)];
      case 3 -> "true";
      case 4 -> "null";
      case 5 -> random.nextInt(10) == 0 ? "nul" : "[]";
      case 6 -> "[" + value(random, depth + 1) + "," + value(random, depth + 1) + "]";
      default -> object(random, new String[] {"x", "y", "z", "\\u0078"}, depth + 1, false);
    };
  }

  /** A random object of members named from {@code names}, values random. */
  private static String object(Random random, String[] names, int depth, boolean outer) {
    int n = random.nextInt(5);
    StringBuilder json = new StringBuilder("{");
    for (int k = 0; k < n; k++) {
      if (k > 0) {
        json.append(random.nextInt(6) == 0 ? " , " : ",");
      }
      String name = names[random.nextInt(names.length)];
      json.append('"').append(name).append('"').append(random.nextInt(6) == 0 ? " : " : ":");
      if (outer && name.equals("b") && random.nextInt(3) > 0) {
        json.append(object(random, new String[] {"x", "y", "w", "\\u0079"}, depth + 1, false));
      } else {
        json.append(value(random, depth + 1));
      }
    }
    json.append('}');
    return random.nextInt(50) == 0
        ? json.substring(0, random.nextInt(json.length()))
        : json.toString();
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
