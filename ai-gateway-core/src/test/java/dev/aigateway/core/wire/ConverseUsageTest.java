package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.Usage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bedrock Converse answers and ConverseStream {@code metadata} events read on their bytes ({@link
 * ConverseUsage}) teach what their Jackson trees teach: random documents with absent, repeated and
 * oddly written members, counts near and beyond {@link Long#MAX_VALUE}, negative, fractional and
 * non-numeric counts, escapes, whitespace, and documents that are not whole objects.
 */
class ConverseUsageTest {

  private static final String[] COUNT_NAMES = {
    "inputTokens", "outputTokens", "totalTokens", "cacheReadInputTokens", "cacheWriteInputTokens"
  };

  private static final String[] VALUES = {
    "0",
    "7",
    "14",
    "1024",
    "-0",
    "-3",
    "1.0",
    "1e2",
    "12E-1",
    "0.5",
    "123456789012345678",
    "999999999999999999",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "99999999999999999999",
    "-9223372036854775808",
    "\"5\"",
    "null",
    "true",
    "{}",
    "[1]",
    "{\"inputTokens\":3}"
  };

  private static final String[] TEXTS = {
    "Hello", "", "a \\\"quote\\\"\\n", "caf\u00e9 \uD83D\uDE00", "\\u00e9", "{\\\"usage\\\":1}"
  };

  @Test
  void answersReadOnTheirBytesTeachWhatTheirTreesTeach() {
    Random random = new Random(1515);
    int readOnBytes = 0;
    for (int i = 0; i < 20_000; i++) {
      String document = answer(random);
      byte[] data = ("xx" + document + "yy").getBytes(StandardCharsets.UTF_8);
      int to = data.length - 2;
      boolean keep = random.nextInt(8) == 0;

      ResponseReadout read = new ResponseReadout();
      ResponseReadout tree = new ResponseReadout();
      if (keep) {
        read.keepText();
        tree.keepText();
      }
      BedrockConverseFormat.readAnswer(read, data, 2, to);
      BedrockConverseFormat.readAnswerTree(tree, data, 2, to);

      assertThat(read.usage()).as(document).isEqualTo(tree.usage());
      assertThat(read.model()).as(document).isEqualTo(tree.model());
      assertThat(read.complete()).as(document).isEqualTo(tree.complete());
      if (tree.usage() == null || keep) {
        // a document's text is promised only when it reports no usage, or when it is kept
        assertThat(read.text().toString()).as(document).isEqualTo(tree.text().toString());
      }

      ConverseUsage bytes = new ConverseUsage();
      if (bytes.read(data, 2, to)) {
        readOnBytes++;
        JsonNode node = Json.parseOrNull(data, 2, to - 2);
        assertThat(node).as(document).isNotNull();
        assertThat(node.isObject()).as(document).isTrue();
        assertThat(bytes.usage())
            .as(document)
            .isEqualTo(BedrockConverseFormat.usage(node.get("usage")));
      }
    }
    assertThat(readOnBytes).as("documents read on their bytes").isGreaterThan(10_000);
  }

  @Test
  void metadataEventsReadOnTheirBytesTeachWhatTheirTreesTeach() {
    Random random = new Random(15);
    for (int i = 0; i < 5_000; i++) {
      String payload = metadata(random);
      ResponseReadout read = new ResponseReadout();
      ResponseReadout tree = new ResponseReadout();
      byte[] data = payload.getBytes(StandardCharsets.UTF_8);

      BedrockConverseFormat.CONVERSE_STREAM
          .messageReader()
          .read(read, EventStreamFrame.of(EventStreamMessage.event("metadata", data)));
      BedrockConverseFormat.readMetadataTree(tree, data, 0, data.length);

      assertThat(read.usage()).as(payload).isEqualTo(tree.usage());
      assertThat(read.complete()).as(payload).isEqualTo(tree.complete());
    }
  }

  @Test
  void countsAreReadAsJacksonReadsTheirNumbers() {
    assertThat(count("0")).isZero();
    assertThat(count("-0")).isZero();
    assertThat(count("-1")).isEqualTo(-1);
    assertThat(count("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
    // beyond a long: saturated (then capped at Usage.MAX_TOKENS and flagged), never absent
    assertThat(count("9223372036854775808")).isEqualTo(Long.MAX_VALUE);
    assertThat(count("10000000000000000000")).isEqualTo(Long.MAX_VALUE);
    assertThat(count("-9223372036854775809")).isEqualTo(-1);
    assertThat(count("2.0")).isEqualTo(-1);
    assertThat(count("2e0")).isEqualTo(-1);
    assertThat(count("\"2\"")).isEqualTo(-1);
    assertThat(count("null")).isEqualTo(-1);
  }

  @Test
  void aPlainAnswerIsReadOnItsBytesWithItsCacheCounts() {
    byte[] answer =
        ("{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Hi\"}]}},"
                + "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":12,\"outputTokens\":5,"
                + "\"totalTokens\":1041,\"cacheReadInputTokens\":0,"
                + "\"cacheWriteInputTokens\":1024},\"metrics\":{\"latencyMs\":310}}")
            .getBytes(StandardCharsets.UTF_8);
    ConverseUsage bytes = new ConverseUsage();

    assertThat(bytes.read(answer, 0, answer.length)).isTrue();
    assertThat(bytes.usage()).isEqualTo(new Usage(1036, 5, 1041, 0, 0, 1024, 0, 0, 0));
  }

  private static long count(String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    return ObjectMembers.count(bytes, 0, bytes.length);
  }

  private static String answer(Random random) {
    List<String> members = new ArrayList<>();
    if (random.nextInt(6) > 0) {
      StringBuilder content = new StringBuilder("[");
      int parts = random.nextInt(3);
      for (int p = 0; p < parts; p++) {
        content.append(p == 0 ? "" : ",");
        content.append(
            switch (random.nextInt(6)) {
              case 0 ->
                  "{\"toolUse\":{\"toolUseId\":\"t1\",\"name\":\"f\",\"input\":{\"a\":1.50}}}";
              case 1 ->
                  "{\"reasoningContent\":{\"reasoningText\":{\"text\":\""
                      + TEXTS[random.nextInt(TEXTS.length)]
                      + "\"}}}";
              case 2 -> "\"not a block\"";
              default -> "{\"text\":\"" + TEXTS[random.nextInt(TEXTS.length)] + "\"}";
            });
      }
      content.append(']');
      String message =
          random.nextInt(10) == 0
              ? "{\"content\":{\"a\":{\"text\":\"values of an object\"}}}"
              : "{\"role\":\"assistant\",\"content\":" + content + "}";
      members.add("\"output\":{\"message\":" + message + "}");
    }
    members.add("\"stopReason\":\"end_turn\"");
    int usages = random.nextInt(8) == 0 ? 2 : random.nextInt(8) == 0 ? 0 : 1;
    for (int u = 0; u < usages; u++) {
      members.add("\"usage\":" + (random.nextInt(15) == 0 ? "[1]" : usage(random)));
    }
    if (random.nextBoolean()) {
      members.add("\"metrics\":{\"latencyMs\":" + random.nextInt(1000) + "}");
    }
    if (random.nextInt(5) == 0) {
      Collections.shuffle(members, random);
    }
    return whole(random, members);
  }

  private static String metadata(Random random) {
    List<String> members = new ArrayList<>();
    if (random.nextInt(10) > 0) {
      members.add("\"usage\":" + usage(random));
    }
    members.add("\"metrics\":{\"latencyMs\":" + random.nextInt(1000) + "}");
    if (random.nextInt(10) == 0) {
      members.add("\"usage\":{\"inputTokens\":1}");
    }
    Collections.shuffle(members, random);
    return whole(random, members);
  }

  private static String usage(Random random) {
    List<String> counts = new ArrayList<>();
    for (String name : COUNT_NAMES) {
      if (random.nextInt(5) == 0) {
        continue;
      }
      String value =
          random.nextInt(4) == 0
              ? VALUES[random.nextInt(VALUES.length)]
              : "" + (7 + random.nextInt(100));
      String written = random.nextInt(30) == 0 ? name.replace("Tokens", "\\u0054okens") : name;
      counts.add("\"" + written + "\"" + (random.nextInt(10) == 0 ? " : " : ":") + value);
      if (random.nextInt(25) == 0) {
        counts.add("\"" + name + "\":" + VALUES[random.nextInt(VALUES.length)]);
      }
    }
    if (random.nextInt(5) == 0) {
      counts.add("\"serverToolUsage\":{\"webSearch\":2}");
    }
    Collections.shuffle(counts, random);
    return "{" + String.join(random.nextInt(10) == 0 ? " , " : ",", counts) + "}";
  }

  private static String whole(Random random, List<String> members) {
    String object = "{" + String.join(",", members) + "}";
    return switch (random.nextInt(40)) {
      case 0 -> object.substring(0, random.nextInt(object.length())); // cut
      case 1 -> object + " {\"more\":1}";
      case 2 -> "[" + object + "]";
      case 3 -> " \n" + object + "\n ";
      case 4 -> "";
      default -> object;
    };
  }
}
