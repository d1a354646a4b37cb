package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UsageMemberTest {

  /**
   * The chunk as hiding usage passes it on when its usage is null: read as a stream chunk, then its
   * bytes without the cut; the input itself when nothing is cut.
   */
  private static String removeTopLevelNull(String json) {
    byte[] bytes = json.getBytes(UTF_8);
    UsageMember member = new UsageMember();
    new ResponseReadout().readChunk(bytes, 0, bytes.length, member);
    if (!member.cutsNull()) {
      return json;
    }
    return new String(bytes, 0, member.cutFrom(), UTF_8)
        + new String(bytes, member.cutTo(), bytes.length - member.cutTo(), UTF_8);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        // where | input | expected
        "start | {\"usage\":null,\"id\":\"c1\"} | {\"id\":\"c1\"}",
        "middle | {\"id\":\"c1\",\"usage\":null,\"model\":\"m\"} | {\"id\":\"c1\",\"model\":\"m\"}",
        "end | {\"id\":\"c1\",\"usage\":null} | {\"id\":\"c1\"}",
        "only member | {\"usage\":null} | {}",
      })
  void removesTopLevelNullUsageWithoutWhitespace(String where, String input, String expected) {
    assertThat(removeTopLevelNull(input)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "start | `{ \"usage\" : null , \"id\": \"c1\" }` | `{ \"id\": \"c1\" }`",
        "middle | `{\"id\": \"c1\", \"usage\": null, \"model\": \"m\"}`"
            + " | `{\"id\": \"c1\", \"model\": \"m\"}`",
        "end | `{\"id\": \"c1\" , \"usage\" :  null }` | `{\"id\": \"c1\"  }`",
        "only member | `{ \"usage\": null }` | `{  }`",
      })
  void removesTopLevelNullUsageWithSpaces(String where, String input, String expected) {
    assertThat(removeTopLevelNull(input)).isEqualTo(expected);
  }

  @Test
  void removesTopLevelNullUsageAcrossLinesAndTabs() {
    String input = "{\n\t\"id\": \"c1\",\n\t\"usage\":\tnull,\n\t\"model\": \"m\"\n}";

    assertThat(removeTopLevelNull(input)).isEqualTo("{\n\t\"id\": \"c1\",\n\t\"model\": \"m\"\n}");
  }

  @Test
  void removesOnlyTheMemberAfterNestedObjectsAndArrays() {
    String input =
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"}]\"}}],"
            + "\"usage\":null,\"x\":[1,[2]]}";

    assertThat(removeTopLevelNull(input))
        .isEqualTo("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"}]\"}}],\"x\":[1,[2]]}");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"choices\":[{\"delta\":{\"usage\":null}}]}",
        "{\"choices\":[{\"usage\":null}]}",
        "{\"meta\":{\"usage\":null},\"id\":\"c1\"}",
        "{\"arr\":[\"usage\",null]}",
      })
  void leavesNestedNullUsageAlone(String input) {
    assertThat(removeTopLevelNull(input)).isSameAs(input);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"content\":\"\\\"usage\\\":null\"}",
        "{\"content\":\"say \\\"usage\\\": null, please\",\"id\":\"c1\"}",
        "{\"note\":\"usage\",\"id\":\"c1\"}",
        "{\"path\":\"C:\\\\\",\"text\":\"\\\"usage\\\":null\"}",
      })
  void leavesUsageInsideStringsAlone(String input) {
    assertThat(removeTopLevelNull(input)).isSameAs(input);
  }

  @Test
  void stringValueEndingInABackslashDoesNotHideTheRealMember() {
    String input = "{\"path\":\"C:\\\\\",\"usage\":null}";

    assertThat(removeTopLevelNull(input)).isEqualTo("{\"path\":\"C:\\\\\"}");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"id\":\"c1\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}",
        "{\"usage\":0}",
        "{\"usage\":\"null\"}",
        "{\"usage\":[]}",
        "{\"usage\" : false}",
      })
  void leavesNonNullUsageAlone(String input) {
    assertThat(removeTopLevelNull(input)).isSameAs(input);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"id\":\"c1\",\"choices\":[]}",
        "{\"usages\":null}",
        "{\"usage_x\":null}",
        "{}",
        "",
      })
  void returnsTheInputItselfWhenThereIsNoTopLevelNullUsage(String input) {
    assertThat(removeTopLevelNull(input)).isSameAs(input);
  }

  @Test
  void keepsNonAsciiTextAroundTheRemovedMember() {
    String input = "{\"content\":\"Grüße 🌍\",\"usage\":null,\"model\":\"ü\"}";

    assertThat(removeTopLevelNull(input)).isEqualTo("{\"content\":\"Grüße 🌍\",\"model\":\"ü\"}");
  }

  @Test
  void resultOfARealChunkIsValidJsonWithTheOtherMembersIntact() throws Exception {
    String chunk =
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
            + "\"finish_reason\":null}],\"usage\":null}";

    String result = removeTopLevelNull(chunk);

    ObjectNode expected = (ObjectNode) Json.MAPPER.readTree(chunk);
    expected.remove("usage");
    assertThat(Json.MAPPER.readTree(result)).isEqualTo(expected);
  }

  // ---------------------------------------------------------------- as a JSON tree would read it

  @Test
  void cutsTheFirstNullMemberWhenTheLastUsageIsNull() {
    String input = "{\"usage\":{\"prompt_tokens\":1},\"usage\":null,\"usage\":null}";

    assertThat(removeTopLevelNull(input))
        .isEqualTo("{\"usage\":{\"prompt_tokens\":1},\"usage\":null}");
  }

  @Test
  void cutsNothingWhenALaterUsageIsNotNull() {
    String input = "{\"usage\":null,\"usage\":{\"prompt_tokens\":1}}";

    assertThat(removeTopLevelNull(input)).isSameAs(input);
  }

  @Test
  void leavesAKeyWrittenWithEscapesAlone() {
    String input = "{\"id\":\"c1\",\"\\u0075sage\":null}";

    assertThat(removeTopLevelNull(input)).isSameAs(input);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"id\":\"c1\",\"usage\":null",
        "{\"id\":\"c1\",\"usage\":nul}",
        "{\"id\":\"c1\" \"usage\":null}",
        "[{\"usage\":null}]",
      })
  void leavesMalformedOrNonObjectChunksAlone(String input) {
    assertThat(removeTopLevelNull(input)).isSameAs(input);
  }

  @Test
  void textAfterTheObjectIsIgnoredAsAJsonTreeIgnoresIt() {
    assertThat(removeTopLevelNull("{\"id\":\"c1\",\"usage\":null} trailing"))
        .isEqualTo("{\"id\":\"c1\"} trailing");
  }

  @Test
  void cutIsWhereTheChunkLiesInALargerBuffer() {
    byte[] buffer = "data: {\"id\":\"c1\",\"usage\":null}\n\n".getBytes(UTF_8);
    UsageMember member = new UsageMember();

    new ResponseReadout().readChunk(buffer, 6, buffer.length - 2, member);

    assertThat(member.cutsNull()).isTrue();
    assertThat(new String(buffer, member.cutFrom(), member.cutTo() - member.cutFrom(), UTF_8))
        .isEqualTo(",\"usage\":null");
  }

  // ---------------------------------------------------------------- the usage-only chunk

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "`{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}` | true",
        "`{\"usage\":{\"prompt_tokens\":1},\"choices\":[]}` | true",
        "`{\"choices\":[{\"index\":0}],\"usage\":{\"prompt_tokens\":1}}` | false",
        "`{\"usage\":{\"prompt_tokens\":1}}` | false",
        "`{\"choices\":{},\"usage\":{\"prompt_tokens\":1}}` | false",
        "`{\"choices\":[],\"usage\":null}` | false",
        "`{\"choices\":[],\"usage\":{}` | false",
        "`{\"choices\":[],\"usage\":{}}` | true",
      })
  void usageOnlyChunkIsAUsageObjectWithEmptyChoices(String chunk, boolean usageOnly) {
    byte[] bytes = chunk.getBytes(UTF_8);
    UsageMember member = new UsageMember();

    new ResponseReadout().readChunk(bytes, 0, bytes.length, member);

    assertThat(member.usageOnly()).isEqualTo(usageOnly);
  }

  @ParameterizedTest
  @ValueSource(strings = {"17", "\"17\"", "[]", "[1,2]", "true", "false", "0.5"})
  void aUsageThatIsNotAnObjectStillMakesTheChunkUsageOnly(String usage) {
    byte[] bytes = ("{\"choices\":[],\"usage\":" + usage + "}").getBytes(UTF_8);
    UsageMember member = new UsageMember();

    new ResponseReadout().readChunk(bytes, 0, bytes.length, member);

    assertThat(member.usageOnly()).isTrue();
  }

  @Test
  void eachChunkIsJudgedOnItsOwn() {
    UsageMember member = new UsageMember();
    ResponseReadout facts = new ResponseReadout();
    byte[] usageOnly = "{\"choices\":[],\"usage\":{\"prompt_tokens\":1}}".getBytes(UTF_8);
    byte[] plain = "{\"choices\":[]}".getBytes(UTF_8);

    facts.readChunk(usageOnly, 0, usageOnly.length, member);
    facts.readChunk(plain, 0, plain.length, member);

    assertThat(member.usageOnly()).isFalse();
    assertThat(member.cutsNull()).isFalse();
  }
}
