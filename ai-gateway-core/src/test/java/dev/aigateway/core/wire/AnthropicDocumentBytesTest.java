package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.Usage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Anthropic's message document read on its bytes ({@link AnthropicUsage.DocumentBytes}) learns
 * exactly what reading it as a Jackson tree learns ({@link AnthropicUsage#readTree}), or learns
 * nothing and leaves it to the tree: on random documents whose members come in any order, with odd
 * ones among them (escapes, whitespace, duplicates, values that are not strings, tool uses, counts
 * near {@code Long.MAX_VALUE}, cut and trailing bytes).
 */
class AnthropicDocumentBytesTest {

  private static final String[] MODELS = {
    "\"claude-3-5-haiku-20241022\"",
    "\"claude-3-5-haiku-20241022\"",
    "\"claude-sonnet-4\"",
    "\"\"",
    "\"claude\\u002d3\"",
    "\"caf\u00e9\"",
    "null",
    "12",
    "{\"a\":1}",
  };

  private static final String[] COUNTS = {
    "14",
    "0",
    "18",
    "-0",
    "-3",
    "1.5",
    "2e3",
    "\"7\"",
    "null",
    "9223372036854775807",
    "9223372036854775806",
    "9223372036854775808",
    "92233720368547758070",
    "true",
  };

  private static final String[] COUNT_NAMES = {
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "service_tier",
    "input_\\u0074okens",
  };

  private static final String[] TEXTS = {
    "\"Hello there team\"",
    "\" world\"",
    "\"\"",
    "\"a \\\"q\\\"\\n\\u00e9\"",
    "\"caf\u00e9 \uD83D\uDE00\"",
    "\"\\ud83d\\ude00\"",
    "5",
    "null",
    "true",
    "[1,2]",
    "{\"x\":\"y\"}",
  };

  private static final String[] BLOCK_TYPES = {
    "\"text\"",
    "\"text\"",
    "\"text\"",
    "\"thinking\"",
    "\"redacted_thinking\"",
    "\"tool_use\"",
    "\"server_tool_use\"",
    "\"web_search_tool_result\"",
    "\"te\\u0078t\"",
    "\"tool\\u005fuse\"",
    "7",
    "null",
  };

  @Test
  void documentsReadOnTheirBytesTeachWhatTheirTreesTeach() {
    Random random = new Random(1515);
    int onBytes = 0;
    for (int run = 0; run < 20_000; run++) {
      String document = document(random);
      byte[] data = (" " + document + "\n").getBytes(StandardCharsets.UTF_8);
      int from = random.nextInt(3) == 0 ? 0 : 1;
      int to = random.nextInt(3) == 0 ? data.length : data.length - 1;
      if (random.nextInt(20) == 0) {
        to = from + random.nextInt(to - from + 1); // cut
      }
      int before = random.nextInt(4); // 0: usage from the response headers; 1: text kept
      ResponseReadout bytes = readout(before);
      boolean read = new AnthropicUsage.DocumentBytes().read(bytes, data, from, to);
      ResponseReadout tree = readout(before);
      AnthropicUsage.readTree(tree, data, from, to);
      if (read) {
        onBytes++;
        String what =
            "run " + run + ": " + new String(data, from, to - from, StandardCharsets.UTF_8);
        assertThat(bytes.text().toString()).as(what).isEqualTo(tree.text().toString());
        assertThat(bytes.usage()).as(what).isEqualTo(tree.usage());
        assertThat(bytes.model()).as(what).isEqualTo(tree.model());
        assertThat(bytes.complete()).as(what).isEqualTo(tree.complete());
      } else {
        assertThat(bytes.text().toString()).isEmpty();
        assertThat(bytes.usage()).isEqualTo(readout(before).usage());
        assertThat(bytes.model()).isNull();
        assertThat(bytes.complete()).isFalse();
      }
      ResponseReadout whole = readout(before);
      AnthropicUsage.readDocument(whole, data, from, to);
      assertThat(whole.text().toString()).isEqualTo(tree.text().toString());
      assertThat(whole.usage()).isEqualTo(tree.usage());
      assertThat(whole.model()).isEqualTo(tree.model());
      assertThat(whole.complete()).isEqualTo(tree.complete());
    }
    assertThat(onBytes).isGreaterThan(4_000);
  }

  @Test
  void aPlainAnswerIsReadOnItsBytes() {
    byte[] data =
        ("{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-5-haiku\","
                + "\"content\":[{\"type\":\"thinking\",\"thinking\":\"hm\",\"signature\":\"s\"},"
                + "{\"type\":\"text\",\"text\":\"Hello \\\"team\\\"\"}],\"stop_reason\":\"end_turn\","
                + "\"usage\":{\"input_tokens\":14,\"cache_creation_input_tokens\":2,"
                + "\"cache_read_input_tokens\":3,\"output_tokens\":18}}")
            .getBytes(StandardCharsets.UTF_8);
    ResponseReadout readout = readout(1); // the text kept, as for the prompt log
    assertThat(new AnthropicUsage.DocumentBytes().read(readout, data, 0, data.length)).isTrue();
    assertThat(readout.text().toString()).isEqualTo("hmHello \"team\"");
    assertThat(readout.model()).isEqualTo("claude-3-5-haiku");
    assertThat(readout.usage().inputTokens()).isEqualTo(19);
    assertThat(readout.usage().outputTokens()).isEqualTo(18);
    assertThat(readout.usage().cachedInputTokens()).isEqualTo(3);
    assertThat(readout.usage().cacheWriteInputTokens()).isEqualTo(2);
    assertThat(readout.complete()).isTrue();
  }

  private static final Usage HEADER_USAGE = new Usage(5, 6, 11, 0, 0, 0, 0, 0, 0);

  private static ResponseReadout readout(int before) {
    ResponseReadout readout = new ResponseReadout();
    if (before == 0) {
      readout.learnUsage(null, HEADER_USAGE);
    } else if (before == 1) {
      readout.keepText();
    }
    return readout;
  }

  @Test
  void theTextIsNotReadWhenUsageIsKnownAndItIsNotKept() {
    byte[] data =
        ("{\"model\":\"m\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}],"
                + "\"usage\":{\"input_tokens\":1,\"output_tokens\":2}}")
            .getBytes(StandardCharsets.UTF_8);
    ResponseReadout counted = readout(2);
    AnthropicUsage.readDocument(counted, data, 0, data.length);
    assertThat(counted.text().toString()).isEmpty();
    assertThat(counted.usage().outputTokens()).isEqualTo(2);
    ResponseReadout kept = readout(1);
    AnthropicUsage.readDocument(kept, data, 0, data.length);
    assertThat(kept.text().toString()).isEqualTo("Hi");
    ResponseReadout fromHeaders = readout(0);
    byte[] uncounted =
        "{\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]}".getBytes(StandardCharsets.UTF_8);
    AnthropicUsage.readDocument(fromHeaders, uncounted, 0, uncounted.length);
    assertThat(fromHeaders.text().toString()).isEmpty();
    assertThat(fromHeaders.usage()).isEqualTo(HEADER_USAGE);
    ResponseReadout estimated = readout(2);
    AnthropicUsage.readDocument(estimated, uncounted, 0, uncounted.length);
    assertThat(estimated.text().toString()).isEqualTo("Hi");
  }

  @Test
  void aDocumentLongerThanStrictJsonTakesIsLeftToTheTree() {
    String text = "a".repeat(StrictJson.MAX_LENGTH);
    byte[] data =
        ("{\"model\":\"m\",\"content\":[{\"type\":\"text\",\"text\":\"" + text + "\"}]}")
            .getBytes(StandardCharsets.UTF_8);
    ResponseReadout bytes = new ResponseReadout();
    assertThat(new AnthropicUsage.DocumentBytes().read(bytes, data, 0, data.length)).isFalse();
    assertThat(bytes.complete()).isFalse();
    ResponseReadout whole = new ResponseReadout();
    AnthropicUsage.readDocument(whole, data, 0, data.length);
    assertThat(whole.text().toString()).isEqualTo(text);
    assertThat(whole.model()).isEqualTo("m");
    assertThat(whole.complete()).isTrue();
  }

  private static String document(Random random) {
    List<String> members = new ArrayList<>();
    members.add("\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\"");
    members.add("\"type\":\"message\"");
    members.add("\"role\":\"assistant\"");
    if (random.nextInt(10) > 0) {
      members.add("\"model\":" + pick(random, MODELS));
    }
    if (random.nextInt(10) > 0) {
      members.add("\"content\":" + content(random));
    }
    if (random.nextInt(10) > 0) {
      members.add("\"usage\":" + usage(random));
    }
    members.add("\"stop_reason\":\"end_turn\",\"stop_sequence\":null");
    if (random.nextInt(8) == 0) {
      members.add(
          pick(
                  random,
                  new String[] {"\"model\":", "\"usage\":", "\"content\":", "\"m\\u006fdel\":"})
              + pick(random, new String[] {"\"other\"", "{\"output_tokens\":3}", "[]", "1"}));
    }
    if (random.nextInt(2) == 0) {
      Collections.shuffle(members, random);
    }
    String space = random.nextInt(6) == 0 ? " \n" : "";
    String document = "{" + space + String.join("," + space, members) + space + "}";
    switch (random.nextInt(30)) {
      case 0 -> document = document + "}";
      case 1 -> document = document + " x";
      case 2 -> document = "[" + document + "]";
      case 3 -> document = document.replace("\"role\"", "\"role");
      default -> {}
    }
    return document;
  }

  private static String content(Random random) {
    switch (random.nextInt(12)) {
      case 0:
        return "[]";
      case 1:
        return "\"text\"";
      case 2:
        return "null";
      default:
        break;
    }
    List<String> blocks = new ArrayList<>();
    int n = 1 + random.nextInt(random.nextInt(4) == 0 ? 9 : 2);
    for (int i = 0; i < n; i++) {
      if (random.nextInt(15) == 0) {
        blocks.add(pick(random, new String[] {"1", "\"text\"", "[{\"type\":\"text\"}]", "null"}));
        continue;
      }
      List<String> members = new ArrayList<>();
      if (random.nextInt(12) > 0) {
        members.add("\"type\":" + pick(random, BLOCK_TYPES));
      }
      if (random.nextInt(6) > 0) {
        members.add("\"text\":" + (random.nextInt(3) > 0 ? TEXTS[0] : pick(random, TEXTS)));
      }
      if (random.nextInt(4) == 0) {
        members.add("\"thinking\":" + pick(random, TEXTS));
      }
      if (random.nextInt(4) == 0) {
        members.add("\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\",\"n\":[1,2.5]}");
      }
      if (random.nextInt(10) == 0) {
        members.add("\"text\":" + pick(random, TEXTS));
      }
      if (random.nextInt(10) == 0) {
        members.add("\"t\\u0065xt\":\"escaped name\"");
      }
      if (random.nextInt(2) == 0) {
        Collections.shuffle(members, random);
      }
      blocks.add("{" + String.join(",", members) + "}");
    }
    return "[" + String.join(random.nextInt(5) == 0 ? " , " : ",", blocks) + "]";
  }

  private static String usage(Random random) {
    if (random.nextInt(15) == 0) {
      return pick(random, new String[] {"null", "[]", "\"usage\"", "{}"});
    }
    List<String> members = new ArrayList<>();
    int n = random.nextInt(6);
    for (int i = 0; i < n; i++) {
      String value = random.nextInt(3) > 0 ? COUNTS[random.nextInt(3)] : pick(random, COUNTS);
      String name =
          random.nextInt(8) > 0 ? COUNT_NAMES[random.nextInt(4)] : pick(random, COUNT_NAMES);
      members.add("\"" + name + "\":" + value);
    }
    return "{" + String.join(",", members) + "}";
  }

  private static String pick(Random random, String[] choices) {
    return choices[random.nextInt(choices.length)];
  }
}
