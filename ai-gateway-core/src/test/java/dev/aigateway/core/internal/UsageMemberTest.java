package dev.aigateway.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UsageMemberTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      // where | input | expected
      "start | {\"usage\":null,\"id\":\"c1\"} | {\"id\":\"c1\"}",
      "middle | {\"id\":\"c1\",\"usage\":null,\"model\":\"m\"} | {\"id\":\"c1\",\"model\":\"m\"}",
      "end | {\"id\":\"c1\",\"usage\":null} | {\"id\":\"c1\"}",
      "only member | {\"usage\":null} | {}",
  })
  void removesTopLevelNullUsageWithoutWhitespace(String where, String input, String expected) {
    assertThat(UsageMember.removeTopLevelNull(input)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "start | `{ \"usage\" : null , \"id\": \"c1\" }` | `{ \"id\": \"c1\" }`",
      "middle | `{\"id\": \"c1\", \"usage\": null, \"model\": \"m\"}`"
          + " | `{\"id\": \"c1\", \"model\": \"m\"}`",
      "end | `{\"id\": \"c1\" , \"usage\" :  null }` | `{\"id\": \"c1\"  }`",
      "only member | `{ \"usage\": null }` | `{  }`",
  })
  void removesTopLevelNullUsageWithSpaces(String where, String input, String expected) {
    assertThat(UsageMember.removeTopLevelNull(input)).isEqualTo(expected);
  }

  @Test
  void removesTopLevelNullUsageAcrossLinesAndTabs() {
    String input = "{\n\t\"id\": \"c1\",\n\t\"usage\":\tnull,\n\t\"model\": \"m\"\n}";

    assertThat(UsageMember.removeTopLevelNull(input))
        .isEqualTo("{\n\t\"id\": \"c1\",\n\t\"model\": \"m\"\n}");
  }

  @Test
  void removesOnlyTheMemberAfterNestedObjectsAndArrays() {
    String input = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"}]\"}}],"
        + "\"usage\":null,\"x\":[1,[2]]}";

    assertThat(UsageMember.removeTopLevelNull(input))
        .isEqualTo("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"}]\"}}],\"x\":[1,[2]]}");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"choices\":[{\"delta\":{\"usage\":null}}]}",
      "{\"choices\":[{\"usage\":null}]}",
      "{\"meta\":{\"usage\":null},\"id\":\"c1\"}",
      "{\"arr\":[\"usage\",null]}",
  })
  void leavesNestedNullUsageAlone(String input) {
    assertThat(UsageMember.removeTopLevelNull(input)).isSameAs(input);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"content\":\"\\\"usage\\\":null\"}",
      "{\"content\":\"say \\\"usage\\\": null, please\",\"id\":\"c1\"}",
      "{\"note\":\"usage\",\"id\":\"c1\"}",
      "{\"path\":\"C:\\\\\",\"text\":\"\\\"usage\\\":null\"}",
  })
  void leavesUsageInsideStringsAlone(String input) {
    assertThat(UsageMember.removeTopLevelNull(input)).isSameAs(input);
  }

  @Test
  void stringValueEndingInABackslashDoesNotHideTheRealMember() {
    String input = "{\"path\":\"C:\\\\\",\"usage\":null}";

    assertThat(UsageMember.removeTopLevelNull(input)).isEqualTo("{\"path\":\"C:\\\\\"}");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"id\":\"c1\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}",
      "{\"usage\":0}",
      "{\"usage\":\"null\"}",
      "{\"usage\":[]}",
      "{\"usage\" : false}",
  })
  void leavesNonNullUsageAlone(String input) {
    assertThat(UsageMember.removeTopLevelNull(input)).isSameAs(input);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"id\":\"c1\",\"choices\":[]}",
      "{\"usages\":null}",
      "{\"usage_x\":null}",
      "{}",
      "",
  })
  void returnsTheInputItselfWhenThereIsNoTopLevelNullUsage(String input) {
    assertThat(UsageMember.removeTopLevelNull(input)).isSameAs(input);
  }

  @Test
  void keepsNonAsciiTextAroundTheRemovedMember() {
    String input = "{\"content\":\"Grüße 🌍\",\"usage\":null,\"model\":\"ü\"}";

    assertThat(UsageMember.removeTopLevelNull(input))
        .isEqualTo("{\"content\":\"Grüße 🌍\",\"model\":\"ü\"}");
  }

  @Test
  void resultOfARealChunkIsValidJsonWithTheOtherMembersIntact() throws Exception {
    String chunk = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
        + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
        + "\"finish_reason\":null}],\"usage\":null}";

    String result = UsageMember.removeTopLevelNull(chunk);

    ObjectNode expected = (ObjectNode) Json.MAPPER.readTree(chunk);
    expected.remove("usage");
    assertThat(Json.MAPPER.readTree(result)).isEqualTo(expected);
  }
}
