package dev.aigateway.core.tokens;

import static dev.aigateway.core.tokens.TestJson.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.Operation;
import dev.aigateway.core.Prompts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenCounterChatTest {

  // The example conversation of the OpenAI cookbook "How to count tokens with tiktoken", section 6.
  private static final JsonNode COOKBOOK_MESSAGES =
      json(
          """
          [
            {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
            {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
            {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
            {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
            {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
            {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."}
          ]
          """);

  // The tools example of the same cookbook, section 7.
  private static final JsonNode COOKBOOK_TOOLS =
      json(
          """
          [{"type": "function", "function": {
             "name": "get_current_weather",
             "description": "Get the current weather in a given location",
             "parameters": {
               "type": "object",
               "properties": {
                 "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                 "unit": {"type": "string", "description": "The unit of temperature to return", "enum": ["celsius", "fahrenheit"]}
               },
               "required": ["location"]}}}]
          """);

  private static final JsonNode COOKBOOK_TOOL_MESSAGES =
      json(
          """
          [
            {"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
            {"role": "user", "content": "What's the weather like in San Francisco?"}
          ]
          """);

  private final TokenCounter counter = TokenCounter.defaults();

  @ParameterizedTest
  @ValueSource(strings = {"gpt-3.5-turbo", "gpt-4-0613", "gpt-4"})
  void cookbookConversationCounts129TokensWithCl100k(String model) {
    assertThat(chat(counter, model, COOKBOOK_MESSAGES, null)).isEqualTo(129);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt-4o", "gpt-4o-mini"})
  void cookbookConversationCounts124TokensWithO200k(String model) {
    assertThat(chat(counter, model, COOKBOOK_MESSAGES, null)).isEqualTo(124);
  }

  @Test
  void toolEstimateLiesBetweenOnceAndTwiceWhatTheApiReportedForTheCookbookToolsExample() {
    // The cookbook reports 105 prompt tokens from the API for gpt-3.5-turbo/gpt-4, 101 for gpt-4o.
    assertThat(chat(counter, "gpt-4", COOKBOOK_TOOL_MESSAGES, COOKBOOK_TOOLS))
        .isBetween(105, 2 * 105);
    assertThat(chat(counter, "gpt-4o", COOKBOOK_TOOL_MESSAGES, COOKBOOK_TOOLS))
        .isBetween(101, 2 * 101);
  }

  @Test
  void eachMessageCostsThreeTokensPlusItsStringsAndTheReplyIsPrimedWithThree() {
    JsonNode messages =
        json(
            """
            [{"role": "system", "content": "Answer in one word."},
             {"role": "user", "content": "Capital of France?"}]
            """);

    int expected =
        3
            + text("system")
            + text("Answer in one word.")
            + 3
            + text("user")
            + text("Capital of France?")
            + 3;
    assertThat(chat(counter, "gpt-4o", messages, null)).isEqualTo(expected);
  }

  @Test
  void aNamedMessageCostsOneMoreToken() {
    JsonNode messages = json("[{\"role\": \"user\", \"name\": \"alice\", \"content\": \"Hello\"}]");

    int expected = 3 + text("user") + text("alice") + 1 + text("Hello") + 3;
    assertThat(chat(counter, "gpt-4o", messages, null)).isEqualTo(expected);
  }

  @Test
  void toolCallsCountFunctionNameAndArgumentsAndToolCallIdCountsAsText() {
    JsonNode messages =
        json(
            """
            [{"role": "user", "content": "Weather in Paris?"},
             {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\\"city\\":\\"Paris\\"}"}}]},
             {"role": "tool", "tool_call_id": "call_1", "content": "18C, sunny"}]
            """);

    int expected =
        3
            + text("user")
            + text("Weather in Paris?")
            + 3
            + text("assistant")
            + text("get_weather")
            + text("{\"city\":\"Paris\"}")
            + 3
            + text("tool")
            + text("call_1")
            + text("18C, sunny")
            + 3;
    assertThat(chat(counter, "gpt-4o", messages, null)).isEqualTo(expected);
  }

  @Test
  void textPartsCountAsTextAndAnImagePartCountsTheImageBound() {
    JsonNode messages =
        json(
            """
            [{"role": "user", "content": [
               {"type": "text", "text": "What is in this picture?"},
               {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "high"}}]}]
            """);

    int expected =
        3 + text("user") + text("What is in this picture?") + TokenCounter.DEFAULT_IMAGE_TOKENS + 3;
    assertThat(chat(counter, "gpt-4o", messages, null)).isEqualTo(expected);
  }

  @Test
  void defaultImageBoundIsTheLargestHighDetailTilingOfGpt4o() {
    // 768 x 2048 after resizing: 2 x 4 tiles of 170 tokens plus 85 base tokens.
    assertThat(TokenCounter.DEFAULT_IMAGE_TOKENS).isEqualTo(1445);
  }

  @Test
  void audioFileAndUnknownPartsEachCountTheConfiguredImageBound() {
    TokenCounter bounded = TokenCounter.builder().imageTokens(1000).build();
    JsonNode messages =
        json(
            """
            [{"role": "user", "content": [
               {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
               {"type": "file", "file": {"file_id": "file-1"}},
               {"type": "hologram"}]}]
            """);

    int expected = 3 + text("user") + 3 * 1000 + 3;
    assertThat(chat(bounded, "gpt-4o", messages, null)).isEqualTo(expected);
  }

  @Test
  void messagesThatAreNotAnArrayCountZero() {
    assertThat(chat(counter, "gpt-4o", null, null)).isZero();
    assertThat(chat(counter, "gpt-4o", json("42"), null)).isZero();
    assertThat(chat(counter, "gpt-4o", json("\"hello\""), null)).isZero();
    assertThat(chat(counter, "gpt-4o", json("{\"role\": \"user\"}"), null)).isZero();
  }

  @Test
  void messagesThatAreNotObjectsAreSkipped() {
    JsonNode messages =
        json("[1, \"text\", null, [], true, {\"role\": \"user\", \"content\": \"Hi\"}]");

    int expected = 3 + text("user") + text("Hi") + 3;
    assertThat(chat(counter, "gpt-4o", messages, null)).isEqualTo(expected);
  }

  @Test
  void oddFieldValuesInsideAMessageCountZero() {
    JsonNode messages =
        json(
            """
            [{"role": "user", "content": 7, "tool_calls": 5, "function_call": [1],
              "extra": {"nested": "ignored"}, "flag": true},
             {"role": "user", "content": [3, null, {"type": "text"}]}]
            """);

    int expected = 3 + text("user") + 3 + text("user") + 3;
    assertThat(chat(counter, "gpt-4o", messages, null)).isEqualTo(expected);
  }

  @Test
  void toolDefinitionsAddTheirCompactJsonAndFixedOverheads() {
    JsonNode messages = json("[]");
    JsonNode function = COOKBOOK_TOOLS.get(0).get("function");

    int expected = 3 + 12 + 10 + text(function.toString());
    assertThat(chat(counter, "gpt-4o", messages, COOKBOOK_TOOLS)).isEqualTo(expected);
  }

  @Test
  void legacyFunctionsCountLikeTheSameToolsDefinitions() {
    JsonNode functions = json("[" + COOKBOOK_TOOLS.get(0).get("function") + "]");

    assertThat(chat(counter, "gpt-4o", COOKBOOK_TOOL_MESSAGES, functions))
        .isEqualTo(chat(counter, "gpt-4o", COOKBOOK_TOOL_MESSAGES, COOKBOOK_TOOLS));
  }

  @Test
  void oddToolsCountNothingOrOnlyTheirObjects() {
    assertThat(chat(counter, "gpt-4o", null, json("\"auto\""))).isZero();
    assertThat(chat(counter, "gpt-4o", null, json("[]"))).isZero();
    assertThat(chat(counter, "gpt-4o", null, json("[1, null]"))).isEqualTo(12);
  }

  // A chat request body of these messages and tools (each left out when null), as the API takes it.
  private static int chat(TokenCounter counter, String model, JsonNode messages, JsonNode tools) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    if (messages != null) {
      body.set("messages", messages);
    }
    if (tools != null) {
      body.set("tools", tools);
    }
    return Prompts.countTokens(counter, model, Operation.CHAT_COMPLETIONS, body.toString());
  }

  private int text(String text) {
    return counter.countText("gpt-4o", text);
  }
}
