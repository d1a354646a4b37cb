package dev.aigateway.core.tokens;

import static dev.aigateway.core.tokens.TestJson.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.Operation;
import dev.aigateway.core.Prompts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class TokenCounterPromptTest {

  private static final String MODEL = "gpt-4o";

  private final TokenCounter counter = TokenCounter.defaults();

  @ParameterizedTest
  @EnumSource(Operation.class)
  void nullBodyCountsZero(Operation operation) {
    assertThat(Prompts.countTokens(counter, MODEL, operation, null)).isZero();
  }

  @ParameterizedTest
  @EnumSource(Operation.class)
  void bodyWithoutItsInputFieldCountsZero(Operation operation) {
    assertThat(Prompts.countTokens(counter, MODEL, operation, "{\"model\": \"gpt-4o\"}")).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"[]", "42", "\"text\"", "null", "true"})
  void bodyThatIsNotAnObjectCountsZero(String body) {
    for (Operation operation : Operation.values()) {
      assertThat(Prompts.countTokens(counter, MODEL, operation, body)).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(Operation.class)
  void inputFieldsOfTheWrongTypeCountZero(Operation operation) {
    String body =
        """
            {"messages": 1, "tools": {"a": 1}, "functions": "x", "prompt": {"a": "b"},
             "suffix": 3, "input": {"a": "b"}, "instructions": ["x"]}
            """;

    assertThat(Prompts.countTokens(counter, MODEL, operation, body)).isZero();
  }

  @Test
  void nullOperationCountsZero() {
    assertThat(Prompts.countTokens(counter, MODEL, null, "{\"prompt\": \"hi\"}")).isZero();
  }

  @Test
  void chatCompletionsCountMessagesAndTools() {
    String body =
        """
            {"model": "gpt-4o",
             "messages": [{"role": "user", "content": "What's the weather in Paris?"}],
             "tools": [{"type": "function", "function": {"name": "get_weather",
                        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]}
            """;

    assertThat(Prompts.countTokens(counter, MODEL, Operation.CHAT_COMPLETIONS, body))
        .isEqualTo(chat(member(body, "messages")) + chat(member(body, "tools")))
        .isGreaterThan(chat(member(body, "messages")));
  }

  @Test
  void chatCompletionsCountLegacyFunctions() {
    String body =
        """
            {"messages": [{"role": "user", "content": "Hi"}],
             "functions": [{"name": "get_weather", "parameters": {"type": "object"}}]}
            """;

    assertThat(Prompts.countTokens(counter, MODEL, Operation.CHAT_COMPLETIONS, body))
        .isEqualTo(chat(member(body, "messages")) + chat(member(body, "functions")))
        .isGreaterThan(chat(member(body, "messages")));
  }

  @Test
  void bodyModelChoosesTheEncodingWhenNoModelIsGiven() {
    String body = "{\"model\": \"gpt-4\", \"input\": \"お誕生日おめでとう\"}";

    assertThat(Prompts.countTokens(counter, null, Operation.EMBEDDINGS, body)).isEqualTo(9);
    assertThat(Prompts.countTokens(counter, "gpt-4o", Operation.EMBEDDINGS, body)).isEqualTo(8);
  }

  @Test
  void chatCompletionsCountAResponseFormatSchema() {
    // Structured outputs: the backend renders the schema into the prompt and bills it.
    String body =
        """
            {"model": "gpt-4o",
             "messages": [{"role": "user", "content": "Name a city."}],
             "response_format": {"type": "json_schema", "json_schema": {"name": "city",
                "strict": true, "schema": {"type": "object", "properties": {
                "name": {"type": "string", "description": "The city's name in English"},
                "country": {"type": "string"}}, "required": ["name", "country"],
                "additionalProperties": false}}}}
            """;
    JsonNode schema = json(body).get("response_format").get("json_schema");

    assertThat(Prompts.countTokens(counter, MODEL, Operation.CHAT_COMPLETIONS, body))
        .isEqualTo(chat(member(body, "messages")) + text(schema.toString()));
    // json_object and text formats carry no schema: nothing more
    String jsonObject =
        body.substring(0, body.indexOf("\"response_format\""))
            + "\"response_format\": {\"type\": \"json_object\"}}";
    assertThat(Prompts.countTokens(counter, MODEL, Operation.CHAT_COMPLETIONS, jsonObject))
        .isEqualTo(chat(member(body, "messages")));
  }

  @Test
  void responsesCountATextFormatSchema() {
    String body =
        """
            {"input": "Name a city.",
             "text": {"format": {"type": "json_schema", "name": "city", "strict": true,
                "schema": {"type": "object", "properties": {"name": {"type": "string"}},
                "required": ["name"], "additionalProperties": false}}}}
            """;
    JsonNode format = json(body).get("text").get("format");

    assertThat(Prompts.countTokens(counter, MODEL, Operation.RESPONSES, body))
        .isEqualTo(3 + text("user") + text("Name a city.") + 3 + text(format.toString()));
  }

  @Test
  void completionsCountAPromptString() {
    String body = "{\"prompt\": \"Say this is a test\"}";

    assertThat(Prompts.countTokens(counter, MODEL, Operation.COMPLETIONS, body))
        .isEqualTo(text("Say this is a test"));
  }

  @Test
  void completionsCountPromptStringsAndSuffix() {
    String body = "{\"prompt\": [\"def add(a, b):\", \"def sub(a, b):\"], \"suffix\": \"# end\"}";

    assertThat(Prompts.countTokens(counter, MODEL, Operation.COMPLETIONS, body))
        .isEqualTo(text("def add(a, b):") + text("def sub(a, b):") + text("# end"));
  }

  @Test
  void completionsCountTokenIdsByTheirLength() {
    assertThat(
            Prompts.countTokens(counter, MODEL, Operation.COMPLETIONS, "{\"prompt\": [1, 2, 3]}"))
        .isEqualTo(3);
    assertThat(
            Prompts.countTokens(
                counter, MODEL, Operation.COMPLETIONS, "{\"prompt\": [[1, 2], [3]]}"))
        .isEqualTo(3);
  }

  @Test
  void embeddingsCountAnInputString() {
    assertThat(
            Prompts.countTokens(
                counter, MODEL, Operation.EMBEDDINGS, "{\"input\": \"hello world\"}"))
        .isEqualTo(text("hello world"));
  }

  @Test
  void embeddingsCountAnArrayOfStrings() {
    String body = "{\"input\": [\"first text\", \"second text\"]}";

    assertThat(Prompts.countTokens(counter, MODEL, Operation.EMBEDDINGS, body))
        .isEqualTo(text("first text") + text("second text"));
  }

  @Test
  void embeddingsCountTokenIdsAndArraysOfTokenIdsByLength() {
    assertThat(
            Prompts.countTokens(counter, MODEL, Operation.EMBEDDINGS, "{\"input\": [9906, 1917]}"))
        .isEqualTo(2);
    assertThat(
            Prompts.countTokens(
                counter, MODEL, Operation.EMBEDDINGS, "{\"input\": [[9906, 1917], [15339, 1, 2]]}"))
        .isEqualTo(5);
  }

  @Test
  void embeddingsSkipOddElements() {
    String body = "{\"input\": [\"hello\", {\"a\": 1}, null, 1.5, true, [\"x\", {}]]}";

    assertThat(Prompts.countTokens(counter, MODEL, Operation.EMBEDDINGS, body))
        .isEqualTo(text("hello") + text("x"));
  }

  @Test
  void responsesCountInstructionsAndStringInputAsMessages() {
    String body = "{\"instructions\": \"Talk like a pirate.\", \"input\": \"Hello there\"}";

    int expected =
        3
            + text("developer")
            + text("Talk like a pirate.")
            + 3
            + text("user")
            + text("Hello there")
            + 3;
    assertThat(Prompts.countTokens(counter, MODEL, Operation.RESPONSES, body)).isEqualTo(expected);
  }

  @Test
  void responsesCountMessageItemsWithContentParts() {
    String body =
        """
            {"input": [
               {"role": "user", "content": [
                  {"type": "input_text", "text": "Describe this image."},
                  {"type": "input_image", "image_url": "https://example.com/a.png"}]},
               {"type": "message", "id": "msg_123", "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": "A cat.", "annotations": []}]},
               {"role": "user", "content": "Thanks"}]}
            """;

    int expected =
        3
            + text("user")
            + text("Describe this image.")
            + TokenCounter.DEFAULT_IMAGE_TOKENS
            + 3
            + text("assistant")
            + text("A cat.")
            + 3
            + text("user")
            + text("Thanks")
            + 3;
    assertThat(Prompts.countTokens(counter, MODEL, Operation.RESPONSES, body)).isEqualTo(expected);
  }

  @Test
  void responsesCountFunctionCallItemsByTheirStringFields() {
    String body =
        """
            {"input": [
               {"type": "function_call", "id": "fc_1", "call_id": "call_1",
                "name": "get_weather", "arguments": "{\\"city\\":\\"Paris\\"}", "status": "completed"},
               {"type": "function_call_output", "call_id": "call_1", "output": "18C"}]}
            """;

    int expected =
        3
            + text("call_1")
            + text("get_weather")
            + 1
            + text("{\"city\":\"Paris\"}")
            + 3
            + text("call_1")
            + text("18C")
            + 3;
    assertThat(Prompts.countTokens(counter, MODEL, Operation.RESPONSES, body)).isEqualTo(expected);
  }

  @Test
  void responsesCountFlatToolDefinitions() {
    String body =
        """
            {"input": "Hi",
             "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}},
                       {"type": "web_search"}]}
            """;
    JsonNode tools = json(body).get("tools");

    int expected =
        3
            + text("user")
            + text("Hi")
            + 3
            + 12
            + 10
            + text(tools.get(0).toString())
            + 10
            + text(tools.get(1).toString());
    assertThat(Prompts.countTokens(counter, MODEL, Operation.RESPONSES, body)).isEqualTo(expected);
  }

  @Test
  void responsesSkipInputItemsThatAreNotObjects() {
    String body = "{\"input\": [1, null, [\"x\"], \"loose text\"]}";

    assertThat(Prompts.countTokens(counter, MODEL, Operation.RESPONSES, body))
        .isEqualTo(3 + text("loose text"));
  }

  @Test
  void malformedJsonCountsZero() {
    for (Operation operation : Operation.values()) {
      assertThat(Prompts.countTokens(counter, MODEL, operation, "{\"prompt\": \"hi\"")).isZero();
      assertThat(Prompts.countTokens(counter, MODEL, operation, "")).isZero();
    }
  }

  // A chat request body holding only one member of another body.
  private int chat(String member) {
    return Prompts.countTokens(counter, MODEL, Operation.CHAT_COMPLETIONS, member);
  }

  private static String member(String body, String name) {
    return "{\"" + name + "\": " + json(body).get(name) + "}";
  }

  private int text(String text) {
    return counter.countText(MODEL, text);
  }
}
