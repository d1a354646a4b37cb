package dev.aigateway.core.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.core.wire.Json;
import dev.aigateway.core.wire.UsageCounts;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The streaming reading of backend JSON reads each value as Jackson's tree reads it, so that the
 * translations that moved from trees to {@link BackendJson} say the same.
 */
class BackendJsonTest {

  private static final String[] VALUES = {
    "\"text\"",
    "\"\"",
    "\"12\"",
    "\" true\"",
    "\"é\\n\\u0000\"",
    "0",
    "7",
    "-3",
    "42.9",
    "-0.5",
    "1e3",
    "9223372036854775807",
    "9223372036854775808",
    "123456789012345678901234567890",
    "12345678901234567890.25",
    "1.50",
    "1e300",
    "true",
    "false",
    "null",
    "{}",
    "[]",
    "{\"a\":[1,{\"b\":null}],\"c\":1.10}",
    "[1,\"x\",{}]"
  };

  @Test
  void everyValueIsReadAsTheTreeReadsIt() throws IOException {
    for (String value : VALUES) {
      String doc = "{\"before\":[1,{\"x\":2}],\"v\":" + value + ",\"after\":\"end\"}";
      JsonNode tree = Json.MAPPER.readTree(doc).get("v");

      String string = read(doc, BackendJson::string);
      String text = read(doc, json -> json.text("fallback"));
      long count = read(doc, BackendJson::count);
      int integer = read(doc, json -> json.integer(500));
      boolean bool = read(doc, BackendJson::bool);
      String compact = read(doc, BackendJson::compact);

      assertThat(string).as(value).isEqualTo(Translator.text(tree));
      assertThat(text).as(value).isEqualTo(tree.isContainerNode() ? "" : tree.asText("fallback"));
      assertThat(count)
          .as(value)
          .isEqualTo(
              tree.isTextual()
                  ? Math.max(0, UsageCounts.ofDigits(tree.textValue())) // Google's "12"
                  : tree.canConvertToLong()
                      ? Math.max(0, tree.asLong())
                      : tree.isNumber() && tree.decimalValue().signum() > 0 ? Long.MAX_VALUE : 0);
      assertThat(integer).as(value).isEqualTo(tree.asInt(500));
      assertThat(bool).as(value).isEqualTo(tree.asBoolean(false));
      assertThat(compact)
          .as(value)
          .isEqualTo(Json.MAPPER.writeValueAsString(ChatRequest.EXACT.readTree(doc).get("v")));
    }
  }

  @Test
  void membersLeftUnreadAreSkippedWhateverTheyHold() throws IOException {
    Random random = new Random(7);
    for (int round = 0; round < 300; round++) {
      StringBuilder doc = new StringBuilder("{");
      List<String> names = new ArrayList<>();
      for (int i = random.nextInt(6); i >= 0; i--) {
        String name = "m" + i;
        names.add(name);
        doc.append('"').append(name).append("\":").append(VALUES[random.nextInt(VALUES.length)]);
        doc.append(i > 0 ? "," : "");
      }
      doc.append('}');

      List<String> seen = new ArrayList<>();
      BackendJson.read(
          doc.toString(),
          json -> {
            if (json.object()) {
              for (String member; (member = json.member()) != null; ) {
                seen.add(member);
                if (random.nextBoolean()) {
                  json.compact(); // read some, leave the others
                }
              }
            }
            return null;
          });

      assertThat(seen).as(doc.toString()).isEqualTo(names);
    }
  }

  @Test
  void findAndRestReadOneMemberOfANestedObject() throws IOException {
    String doc =
        "{\"output\":{\"x\":[{}],\"message\":{\"content\":\"c\",\"y\":1},\"z\":2},\"n\":5}";

    List<String> read =
        BackendJson.read(
            doc,
            json -> {
              List<String> found = new ArrayList<>();
              json.object();
              for (String member; (member = json.member()) != null; ) {
                if (member.equals("output") && json.object() && json.find("message")) {
                  if (json.object() && json.find("content")) {
                    found.add(json.string());
                    json.rest();
                  }
                  json.rest();
                } else if (member.equals("n")) {
                  found.add(Long.toString(json.count()));
                }
              }
              return found;
            });

    assertThat(read).containsExactly("c", "5");
  }

  @Test
  void countsAreReadByNameInOnePass() throws IOException {
    long[] counts =
        BackendJson.read(
            "{\"b\":2,\"skip\":{\"a\":9},\"a\":\"x\",\"c\":-4,\"e\":null}",
            json -> json.counts("a", "b", "d", "e"));

    long[] none = BackendJson.read("[1]", json -> json.counts("a"));

    assertThat(counts).containsExactly(0, 2, -1, -1);
    assertThat(none).isNull();
  }

  private static <T> T read(String doc, BackendJson.Reader<T> value) throws IOException {
    return BackendJson.read(
        doc,
        json -> {
          T read = null;
          json.object();
          for (String member; (member = json.member()) != null; ) {
            if (member.equals("v")) {
              read = value.read(json);
            }
          }
          return read;
        });
  }
}
