package dev.aigateway.core.translate;

import static dev.aigateway.core.translate.Fixtures.answer;
import static dev.aigateway.core.translate.Fixtures.data;
import static dev.aigateway.core.translate.Fixtures.sse;
import static dev.aigateway.core.translate.Fixtures.streamedText;
import static dev.aigateway.core.translate.Fixtures.translate;
import static dev.aigateway.core.translate.Fixtures.tree;
import static dev.aigateway.core.translate.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.Usage;
import dev.aigateway.core.wire.EventStreamMessage;
import dev.aigateway.core.wire.ResponseReadout;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Answers of each target (JSON, streams, errors) translated back to OpenAI chat completions. */
class AnswerTranslationTest {

  private static final String JSON_CALL =
      "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
  private static final String STREAM_CALL =
      "{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
          + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

  @Test
  void anAnthropicMessageBecomesAChatCompletionWithToolCallsAndCacheAwareUsage() {
    // The shape of Anthropic's documented tool-use answer.
    byte[] message =
        utf8(
            "{\"id\":\"msg_01Aq9w938a90dw8q\",\"model\":\"claude-sonnet-4-5\",\"stop_reason\":"
                + "\"tool_use\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":"
                + "\"I'll check.\"},{\"type\":\"tool_use\",\"id\":\"toolu_01A09q90qw90lq917835lq9\","
                + "\"name\":\"get_weather\",\"input\":{\"location\":\"San Francisco, CA\","
                + "\"unit\":\"celsius\"}}],\"usage\":{\"input_tokens\":100,"
                + "\"cache_creation_input_tokens\":20,\"cache_read_input_tokens\":30,"
                + "\"output_tokens\":40}}");

    JsonNode answer = tree(answer(translate(Target.ANTHROPIC, JSON_CALL), message));

    assertThat(answer.path("id").asText()).isEqualTo("msg_01Aq9w938a90dw8q");
    assertThat(answer.path("object").asText()).isEqualTo("chat.completion");
    assertThat(answer.path("created").asLong()).isEqualTo(Fixtures.CLOCK.millis() / 1000);
    assertThat(answer.at("/choices/0/message/content").asText()).isEqualTo("I'll check.");
    JsonNode call = answer.at("/choices/0/message/tool_calls/0");
    assertThat(call.path("id").asText()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
    assertThat(call.at("/function/name").asText()).isEqualTo("get_weather");
    assertThat(call.at("/function/arguments").asText())
        .isEqualTo("{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}");
    assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    assertThat(answer.at("/usage/prompt_tokens").asLong()).isEqualTo(150);
    assertThat(answer.at("/usage/completion_tokens").asLong()).isEqualTo(40);
    assertThat(answer.at("/usage/total_tokens").asLong()).isEqualTo(190);
    assertThat(answer.at("/usage/prompt_tokens_details/cached_tokens").asLong()).isEqualTo(30);
  }

  @ParameterizedTest(name = "anthropic {0} -> {1}")
  @CsvSource({
    "end_turn, stop",
    "stop_sequence, stop",
    "max_tokens, length",
    "tool_use, tool_calls",
    "refusal, content_filter"
  })
  void anthropicStopReasonsMapToFinishReasons(String stop, String finish) {
    assertThat(AnthropicTranslator.finishReason(stop)).isEqualTo(finish);
  }

  @ParameterizedTest(name = "bedrock {0} -> {1}")
  @CsvSource({
    "end_turn, stop",
    "stop_sequence, stop",
    "max_tokens, length",
    "tool_use, tool_calls",
    "guardrail_intervened, content_filter",
    "content_filtered, content_filter"
  })
  void bedrockStopReasonsMapToFinishReasons(String stop, String finish) {
    assertThat(BedrockTranslator.finishReason(stop)).isEqualTo(finish);
  }

  @ParameterizedTest(name = "gemini {0} -> {1}")
  @CsvSource({
    "STOP, stop",
    "MAX_TOKENS, length",
    "SAFETY, content_filter",
    "RECITATION, content_filter",
    "PROHIBITED_CONTENT, content_filter",
    "OTHER, stop"
  })
  void geminiFinishReasonsMapToFinishReasons(String reason, String finish) {
    assertThat(GeminiTranslator.finishReason(reason, false)).isEqualTo(finish);
  }

  @Test
  void aGeminiAnswerBlockedForItsPromptIsAContentFilterFinish() {
    byte[] blocked =
        utf8(
            "{\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":"
                + "{\"promptTokenCount\":8,\"totalTokenCount\":8}}");

    JsonNode answer = tree(answer(translate(Target.GEMINI, JSON_CALL), blocked));

    assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter");
    assertThat(answer.at("/usage/prompt_tokens").asLong()).isEqualTo(8);
    assertThat(answer.at("/usage/completion_tokens").asLong()).isZero();
  }

  @Test
  void aBedrockGuardrailAndItsCacheReadsCountAsOpenAiDoes() {
    byte[] converse =
        utf8(
            "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Sorry.\"}]}},"
                + "\"stopReason\":\"guardrail_intervened\",\"usage\":{\"inputTokens\":10,"
                + "\"outputTokens\":2,\"totalTokens\":27,\"cacheReadInputTokens\":10,"
                + "\"cacheWriteInputTokens\":5}}");

    JsonNode answer = tree(answer(translate(Target.BEDROCK, JSON_CALL), converse));

    assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter");
    assertThat(answer.at("/usage/prompt_tokens").asLong()).isEqualTo(25);
    assertThat(answer.at("/usage/completion_tokens").asLong()).isEqualTo(2);
    assertThat(answer.at("/usage/total_tokens").asLong()).isEqualTo(27);
    assertThat(answer.at("/usage/prompt_tokens_details/cached_tokens").asLong()).isEqualTo(10);
  }

  @Test
  void anAnthropicToolUseStreamBecomesToolCallChunksWithTheirArgumentsInPieces() {
    // Anthropic's documented event sequence for a streamed tool use.
    String stream =
        sse(
            "message_start",
            "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_014p7gG3wDgGV9EUtLvnow3U\","
                + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
                + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":472,\"output_tokens\":2},"
                + "\"content\":[],\"stop_reason\":null}}",
            "content_block_start",
            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
                + "\"text\":\"\"}}",
            "ping",
            "{\"type\": \"ping\"}",
            "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                + "\"text\":\"Okay, let's check\"}}",
            "content_block_stop",
            "{\"type\":\"content_block_stop\",\"index\":0}",
            "content_block_start",
            "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
                + "\"id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\",\"name\":\"get_weather\",\"input\":{}}}",
            "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
                + "\"partial_json\":\"\"}}",
            "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
                + "\"partial_json\":\"{\\\"location\\\": \\\"San Fra\"}}",
            "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
                + "\"partial_json\":\"ncisco, CA\\\"}\"}}",
            "content_block_stop",
            "{\"type\":\"content_block_stop\",\"index\":1}",
            "message_delta",
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\","
                + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}",
            "message_stop",
            "{\"type\":\"message_stop\"}");

    List<String> data = data(answer(translate(Target.ANTHROPIC, STREAM_CALL), utf8(stream)));

    assertThat(data.get(0)).contains("\"role\":\"assistant\"");
    assertThat(tree(utf8(data.get(0))).path("id").asText())
        .isEqualTo("msg_014p7gG3wDgGV9EUtLvnow3U");
    assertThat(streamedText(data)).isEqualTo("Okay, let's check");
    JsonNode open = tree(utf8(data.get(2))).at("/choices/0/delta/tool_calls/0");
    assertThat(open.path("index").asInt()).isZero();
    assertThat(open.path("id").asText()).isEqualTo("toolu_01T1x1fJ34qAmk2tNTrN7Up6");
    assertThat(open.at("/function/name").asText()).isEqualTo("get_weather");
    StringBuilder arguments = new StringBuilder();
    for (String d : data.subList(2, data.size() - 1)) {
      arguments.append(
          tree(utf8(d)).at("/choices/0/delta/tool_calls/0/function/arguments").asText(""));
    }
    assertThat(tree(utf8(arguments.toString())).path("location").asText())
        .isEqualTo("San Francisco, CA");
    JsonNode finish = tree(utf8(data.get(data.size() - 3)));
    assertThat(finish.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    JsonNode usage = tree(utf8(data.get(data.size() - 2)));
    assertThat(usage.path("choices")).isEmpty();
    assertThat(usage.at("/usage/prompt_tokens").asLong()).isEqualTo(472);
    assertThat(usage.at("/usage/completion_tokens").asLong()).isEqualTo(89);
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
  }

  @Test
  void geminiThoughtSignaturesOfFunctionCallsComeBackWithTheirToolCalls() {
    String gemini =
        "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"functionCall\":"
            + "{\"name\":\"weather\",\"args\":{\"city\":\"Oslo\"}},\"thoughtSignature\":"
            + "\"c2lnLTE=\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{"
            + "\"promptTokenCount\":5,\"candidatesTokenCount\":3,\"totalTokenCount\":8},"
            + "\"modelVersion\":\"gemini-3-pro-preview\",\"responseId\":\"r1\"}";

    JsonNode json = tree(answer(translate(Target.GEMINI, JSON_CALL), utf8(gemini)));
    List<String> data =
        data(answer(translate(Target.GEMINI, STREAM_CALL), utf8(sse(null, gemini))));

    JsonNode call = json.at("/choices/0/message/tool_calls/0");
    assertThat(call.at("/function/name").asText()).isEqualTo("weather");
    assertThat(call.at("/extra_content/google/thought_signature").asText()).isEqualTo("c2lnLTE=");
    JsonNode streamed =
        data.stream()
            .filter(d -> !d.equals("[DONE]"))
            .map(d -> tree(utf8(d)).at("/choices/0/delta/tool_calls/0"))
            .filter(JsonNode::isObject)
            .findFirst()
            .orElseThrow();
    assertThat(streamed.at("/function/name").asText()).isEqualTo("weather");
    assertThat(streamed.at("/function/arguments").asText()).isEqualTo("{\"city\":\"Oslo\"}");
    assertThat(streamed.at("/extra_content/google/thought_signature").asText())
        .isEqualTo("c2lnLTE=");
  }

  /** Numbers a double cannot hold, as a tool's arguments may carry them (amounts, ids). */
  private static final String EXACT_ARGS =
      "{\"amount\":12345678901234567890.25,\"rate\":0.100000000000000000000001,\"n\":1.50}";

  @Test
  void toolCallArgumentsKeepTheBackendsNumbersExactly() {
    String anthropic =
        "{\"id\":\"msg_1\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\","
            + "\"name\":\"pay\",\"input\":"
            + EXACT_ARGS
            + "}],\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":3,\"output_tokens\":4}}";
    String bedrock =
        "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"toolUse\":"
            + "{\"toolUseId\":\"t1\",\"name\":\"pay\",\"input\":"
            + EXACT_ARGS
            + "}}]}},\"stopReason\":\"tool_use\",\"usage\":{\"inputTokens\":3,\"outputTokens\":4}}";
    String gemini =
        "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"functionCall\":"
            + "{\"name\":\"pay\",\"args\":"
            + EXACT_ARGS
            + "}}]},\"finishReason\":\"STOP\"}]}";

    for (Map.Entry<Target, String> backend :
        Map.of(Target.ANTHROPIC, anthropic, Target.BEDROCK, bedrock, Target.GEMINI, gemini)
            .entrySet()) {
      JsonNode json =
          tree(answer(translate(backend.getKey(), JSON_CALL), utf8(backend.getValue())));
      assertThat(json.at("/choices/0/message/tool_calls/0/function/arguments").asText())
          .as(backend.getKey().label)
          .isEqualTo(EXACT_ARGS);
    }
    List<String> streamed =
        data(answer(translate(Target.GEMINI, STREAM_CALL), utf8(sse(null, gemini))));
    assertThat(
            streamed.stream()
                .filter(d -> !d.equals("[DONE]"))
                .map(d -> tree(utf8(d)).at("/choices/0/delta/tool_calls/0/function/arguments"))
                .filter(JsonNode::isTextual)
                .map(JsonNode::asText))
        .containsExactly(EXACT_ARGS);
  }

  @Test
  void aStreamCutShortEndsWithoutDoneSoTheGatewaySeesItTruncated() {
    String cut =
        sse(
            "message_start",
            "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":"
                + "{\"input_tokens\":5,\"output_tokens\":1}}}",
            "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                + "\"text\":\"Hel\"}}");

    List<String> anthropic = data(answer(translate(Target.ANTHROPIC, STREAM_CALL), utf8(cut)));
    List<String> gemini =
        data(
            answer(
                translate(Target.GEMINI, STREAM_CALL),
                utf8(
                    sse(
                        null,
                        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}]}}]}"))));

    assertThat(streamedText(anthropic)).isEqualTo("Hel");
    assertThat(anthropic).doesNotContain("[DONE]");
    assertThat(streamedText(gemini)).isEqualTo("Hel");
    assertThat(gemini).doesNotContain("[DONE]");
  }

  @Test
  void anErrorEventMidStreamEndsTheStreamWithAnOpenAiErrorEvent() {
    String stream =
        sse(
            "message_start",
            "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":"
                + "{\"input_tokens\":5,\"output_tokens\":1}}}",
            "error",
            "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");

    List<String> data = data(answer(translate(Target.ANTHROPIC, STREAM_CALL), utf8(stream)));

    JsonNode error = tree(utf8(data.get(data.size() - 1))).path("error");
    assertThat(error.path("message").asText()).isEqualTo("Overloaded");
    assertThat(error.path("code").asText()).isEqualTo("overloaded_error");
    assertThat(error.path("type").asText()).isEqualTo("server_error");
    assertThat(data).doesNotContain("[DONE]");
  }

  /** Anthropic's error types mid-stream keep the statuses Anthropic answers them with. */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "invalid_request_error, invalid_request_error",
    "authentication_error, authentication_error",
    "permission_error, permission_error",
    "not_found_error, invalid_request_error",
    "request_too_large, invalid_request_error",
    "rate_limit_error, rate_limit_error",
    "api_error, server_error",
    "timeout_error, server_error",
    "overloaded_error, server_error",
  })
  void anAnthropicErrorEventMidStreamKeepsItsKind(String anthropicType, String openAiType) {
    String stream =
        sse(
            "message_start",
            "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":"
                + "{\"input_tokens\":5,\"output_tokens\":1}}}",
            "error",
            "{\"type\":\"error\",\"error\":{\"type\":\""
                + anthropicType
                + "\",\"message\":\"m\"}}");

    List<String> data = data(answer(translate(Target.ANTHROPIC, STREAM_CALL), utf8(stream)));

    JsonNode error = tree(utf8(data.get(data.size() - 1))).path("error");
    assertThat(error.path("code").asText()).isEqualTo(anthropicType);
    assertThat(error.path("type").asText()).isEqualTo(openAiType);
    assertThat(data).doesNotContain("[DONE]");
  }

  /** The arguments of each streamed tool call, its fragments joined, by the call's index. */
  private static Map<Integer, String> streamedArguments(List<String> data) {
    Map<Integer, String> arguments = new java.util.TreeMap<>();
    for (String d : data) {
      if (d.equals("[DONE]")) {
        continue;
      }
      for (JsonNode call : tree(utf8(d)).at("/choices/0/delta/tool_calls")) {
        arguments.merge(
            call.path("index").asInt(), call.at("/function/arguments").asText(""), String::concat);
      }
    }
    return arguments;
  }

  @Test
  void aStreamedToolCallWithoutInputHasTheEmptyObjectForArguments() {
    // A tool without parameters: Anthropic streams no input but an empty fragment, Bedrock none.
    String anthropic =
        sse(
            "message_start",
            "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":"
                + "{\"input_tokens\":30,\"output_tokens\":1}}}",
            "content_block_start",
            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\","
                + "\"id\":\"toolu_1\",\"name\":\"get_random_number\",\"input\":{}}}",
            "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
                + "\"partial_json\":\"\"}}",
            "content_block_stop",
            "{\"type\":\"content_block_stop\",\"index\":0}",
            "content_block_start",
            "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
                + "\"id\":\"toolu_2\",\"name\":\"weather\",\"input\":{}}}",
            "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
                + "\"partial_json\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}}",
            "content_block_stop",
            "{\"type\":\"content_block_stop\",\"index\":1}",
            "message_delta",
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},"
                + "\"usage\":{\"output_tokens\":20}}",
            "message_stop",
            "{\"type\":\"message_stop\"}");
    byte[] bedrock =
        Fixtures.concat(
            EventStreamMessage.event("messageStart", utf8("{\"role\":\"assistant\"}")).encode(),
            EventStreamMessage.event(
                    "contentBlockStart",
                    utf8(
                        "{\"contentBlockIndex\":0,\"start\":{\"toolUse\":{\"toolUseId\":\"t1\","
                            + "\"name\":\"get_random_number\"}}}"))
                .encode(),
            EventStreamMessage.event("contentBlockStop", utf8("{\"contentBlockIndex\":0}"))
                .encode(),
            EventStreamMessage.event("messageStop", utf8("{\"stopReason\":\"tool_use\"}")).encode(),
            EventStreamMessage.event(
                    "metadata",
                    utf8("{\"usage\":{\"inputTokens\":30,\"outputTokens\":20,\"totalTokens\":50}}"))
                .encode());

    assertThat(
            streamedArguments(
                data(answer(translate(Target.ANTHROPIC, STREAM_CALL), utf8(anthropic)))))
        .containsExactly(Map.entry(0, "{}"), Map.entry(1, "{\"city\":\"Oslo\"}"));
    assertThat(streamedArguments(data(answer(translate(Target.BEDROCK, STREAM_CALL), bedrock))))
        .containsExactly(Map.entry(0, "{}"));
  }

  @Test
  void aBedrockStreamCutBeforeItsMetadataEndsWithoutDoneSoItsLostUsageIsNotASuccess() {
    byte[] cut =
        Fixtures.concat(
            EventStreamMessage.event("messageStart", utf8("{\"role\":\"assistant\"}")).encode(),
            EventStreamMessage.event(
                    "contentBlockDelta",
                    utf8("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hel\"}}"))
                .encode(),
            EventStreamMessage.event("messageStop", utf8("{\"stopReason\":\"end_turn\"}"))
                .encode()); // the metadata event, which carries the usage, never came

    List<String> data = data(answer(translate(Target.BEDROCK, STREAM_CALL), cut));

    assertThat(data).doesNotContain("[DONE]");
    assertThat(streamedText(data)).isEqualTo("Hel");
    assertThat(tree(utf8(data.get(data.size() - 1))).at("/choices/0/finish_reason").asText())
        .isEqualTo("stop");
  }

  @Test
  void backendErrorsBecomeOpenAiErrorsInEveryTarget() {
    JsonNode anthropic =
        tree(
            answer(
                translate(Target.ANTHROPIC, JSON_CALL),
                400,
                utf8(
                    "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                        + "\"message\":\"max_tokens: too large\"}}"),
                name -> null));
    JsonNode gemini =
        tree(
            answer(
                translate(Target.GEMINI, JSON_CALL),
                429,
                utf8(
                    "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted\","
                        + "\"status\":\"RESOURCE_EXHAUSTED\"}}"),
                name -> null));
    JsonNode bedrock =
        tree(
            answer(
                translate(Target.BEDROCK, JSON_CALL),
                429,
                utf8("{\"message\":\"Too many requests, please wait before trying again.\"}"),
                name ->
                    name.equalsIgnoreCase("x-amzn-ErrorType")
                        ? "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"
                        : null));

    assertThat(anthropic.at("/error/type").asText()).isEqualTo("invalid_request_error");
    assertThat(anthropic.at("/error/message").asText()).isEqualTo("max_tokens: too large");
    assertThat(gemini.at("/error/type").asText()).isEqualTo("rate_limit_error");
    assertThat(gemini.at("/error/code").asText()).isEqualTo("RESOURCE_EXHAUSTED");
    assertThat(bedrock.at("/error/code").asText()).isEqualTo("ThrottlingException");
    assertThat(bedrock.at("/error/message").asText()).startsWith("Too many requests");
    assertThat(translate(Target.GEMINI, STREAM_CALL).answer().contentType(429, "application/json"))
        .isEqualTo("application/json");
    assertThat(
            translate(Target.BEDROCK, STREAM_CALL)
                .answer()
                .contentType(200, "application/vnd.amazon.eventstream"))
        .isEqualTo("text/event-stream");
  }

  @Test
  void aJsonAnswerThatIsNoJsonObjectFailsTheReadInsteadOfInventingAnEmptyCompletion() {
    for (Target target : Target.values()) {
      for (String backendBody : new String[] {"", " \n", "null", "[]", "\"ok\"", "42"}) {
        TranslatedRequest request = translate(target, JSON_CALL);
        InputStream body =
            request
                .answer()
                .body(
                    200,
                    "application/json",
                    name -> null,
                    new ByteArrayInputStream(utf8(backendBody)));

        assertThatThrownBy(body::readAllBytes)
            .as(target.label + " answering '" + backendBody + "'")
            .isInstanceOf(IOException.class)
            .hasMessageContaining("could not be translated");
      }
    }
  }

  @Test
  void aCorruptBedrockEventStreamFailsTheReadInsteadOfInventingAnAnswer() {
    byte[] frame =
        EventStreamMessage.event("messageStart", utf8("{\"role\":\"assistant\"}")).encode();
    frame[frame.length - 1] ^= 0x5a; // the message CRC no longer matches
    TranslatedRequest request = translate(Target.BEDROCK, STREAM_CALL);
    InputStream body =
        request.answer().body(200, null, name -> null, new ByteArrayInputStream(frame));

    assertThatThrownBy(body::readAllBytes)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("could not be translated");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "validationException, 400, invalid_request_error",
    "throttlingException, 429, rate_limit_error",
    "modelStreamErrorException, 424, server_error",
    "modelTimeoutException, 408, server_error",
    "internalServerException, 500, server_error",
    "serviceUnavailableException, 503, server_error",
  })
  void aBedrockExceptionMidStreamKeepsTheStatusBedrockDocumentsForIt(
      String exception, int status, String type) {
    byte[] stream =
        Fixtures.concat(
            EventStreamMessage.event("messageStart", utf8("{\"role\":\"assistant\"}")).encode(),
            new EventStreamMessage(
                    Map.of(
                        ":message-type", "exception",
                        ":exception-type", exception,
                        ":content-type", "application/json"),
                    utf8("{}"))
                .encode());

    List<String> data = data(answer(translate(Target.BEDROCK, STREAM_CALL), stream));

    JsonNode error = tree(utf8(data.get(data.size() - 1))).path("error");
    assertThat(error.path("code").asText()).isEqualTo(exception);
    assertThat(error.path("type").asText()).isEqualTo(type);
    assertThat(error.path("message").asText())
        .isEqualTo("Amazon Bedrock Converse backend answered " + status);
    assertThat(data).doesNotContain("[DONE]");
  }

  @Test
  void chunksAreReadyAsSoonAsTheBackendEventThatCarriesThemIsWhole() throws IOException {
    TranslatedRequest request = translate(Target.ANTHROPIC, STREAM_CALL);
    String first =
        sse(
            "message_start",
            "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":"
                + "{\"input_tokens\":5,\"output_tokens\":1}}}");
    // A backend that has sent only its first event and then blocks: reading must not wait for more.
    InputStream backend =
        new InputStream() {
          private final ByteArrayInputStream sent = new ByteArrayInputStream(utf8(first));

          @Override
          public int read() {
            throw new UnsupportedOperationException();
          }

          @Override
          public int read(byte[] b, int off, int len) {
            int n = sent.read(b, off, len);
            if (n < 0) {
              throw new AssertionError("the translation read past the first event");
            }
            return n;
          }
        };
    InputStream body = request.answer().body(200, null, name -> null, backend);

    byte[] buffer = new byte[4096];
    int n = body.read(buffer, 0, buffer.length);

    String chunk = new String(buffer, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    assertThat(chunk).startsWith("data: {").contains("\"role\":\"assistant\"").endsWith("\n\n");
  }

  // ---------------------------------------------------------------- cache writes

  /**
   * What the gateway's OpenAI usage reader takes from a translated answer's usage object (its
   * reading on bytes is checked against this one in {@code UsageBytesTest}).
   */
  private static Usage readBack(JsonNode usage) {
    return ResponseReadout.parseUsage(usage);
  }

  @Test
  void anthropicCacheCreationTokensComeBackAsCacheWritesInAJsonAnswer() {
    byte[] message =
        utf8(
            "{\"id\":\"msg_1\",\"model\":\"claude-sonnet-4-5\",\"stop_reason\":\"end_turn\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}],\"usage\":{"
                + "\"input_tokens\":100,\"cache_creation_input_tokens\":40,"
                + "\"cache_read_input_tokens\":20,\"output_tokens\":10}}");

    JsonNode usage = tree(answer(translate(Target.ANTHROPIC, JSON_CALL), message)).path("usage");

    assertThat(usage.at("/prompt_tokens_details/cache_write_tokens").asLong()).isEqualTo(40);
    assertThat(readBack(usage)).isEqualTo(new Usage(160, 10, 170, 20, 0, 40, 0, 0, 0));
  }

  @Test
  void anthropicCacheCreationTokensComeBackAsCacheWritesInAStream() {
    String stream =
        sse(
            "message_start",
            "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":"
                + "{\"input_tokens\":100,\"cache_creation_input_tokens\":40,"
                + "\"cache_read_input_tokens\":20,\"output_tokens\":1}}}",
            "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                + "\"text\":\"Hi\"}}",
            "message_delta",
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                + "\"usage\":{\"output_tokens\":10}}",
            "message_stop",
            "{\"type\":\"message_stop\"}");

    List<String> data = data(answer(translate(Target.ANTHROPIC, STREAM_CALL), utf8(stream)));

    JsonNode usage = tree(utf8(data.get(data.size() - 2))).path("usage");
    assertThat(readBack(usage)).isEqualTo(new Usage(160, 10, 170, 20, 0, 40, 0, 0, 0));
  }

  @Test
  void chunksDecodedInTheReadThatMeetsACorruptFrameReachTheApplicationBeforeItsException()
      throws IOException {
    byte[] corrupt =
        EventStreamMessage.event(
                "contentBlockDelta", utf8("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"lo\"}}"))
            .encode();
    corrupt[corrupt.length - 1] ^= 0x5a; // the message CRC no longer matches
    byte[] stream =
        Fixtures.concat(
            EventStreamMessage.event("messageStart", utf8("{\"role\":\"assistant\"}")).encode(),
            EventStreamMessage.event(
                    "contentBlockDelta",
                    utf8("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hel\"}}"))
                .encode(),
            corrupt);
    InputStream body =
        translate(Target.BEDROCK, STREAM_CALL)
            .answer()
            .body(200, null, name -> null, new ByteArrayInputStream(stream)); // one read

    java.io.ByteArrayOutputStream read = new java.io.ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    IOException failure = null;
    try {
      for (int n; (n = body.read(buffer)) != -1; ) {
        read.write(buffer, 0, n);
      }
    } catch (IOException e) {
      failure = e;
    }

    assertThat(streamedText(data(read.toByteArray()))).isEqualTo("Hel");
    assertThat(failure).isNotNull().hasMessageContaining("could not be translated");
    assertThat(body.read()).isEqualTo(-1);
  }

  @Test
  void anthropicMessageDeltaCountsGivenAsNullKeepTheMessageStartCounts() {
    // Anthropic's message_delta names every count, those it does not report as null.
    String stream =
        sse(
            "message_start",
            "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":"
                + "{\"input_tokens\":100,\"cache_creation_input_tokens\":40,"
                + "\"cache_read_input_tokens\":20,\"output_tokens\":1}}}",
            "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                + "\"text\":\"Hi\"}}",
            "message_delta",
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":"
                + "{\"input_tokens\":null,\"output_tokens\":10,\"cache_read_input_tokens\":null,"
                + "\"cache_creation_input_tokens\":null}}",
            "message_stop",
            "{\"type\":\"message_stop\"}");

    List<String> data = data(answer(translate(Target.ANTHROPIC, STREAM_CALL), utf8(stream)));

    JsonNode usage = tree(utf8(data.get(data.size() - 2))).path("usage");
    assertThat(readBack(usage)).isEqualTo(new Usage(160, 10, 170, 20, 0, 40, 0, 0, 0));
  }

  @Test
  void bedrockCacheWriteInputTokensComeBackAsCacheWritesInAJsonAnswer() {
    byte[] converse =
        utf8(
            "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Hi\"}]}},"
                + "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":100,"
                + "\"outputTokens\":10,\"totalTokens\":170,\"cacheReadInputTokens\":20,"
                + "\"cacheWriteInputTokens\":40}}");

    JsonNode usage = tree(answer(translate(Target.BEDROCK, JSON_CALL), converse)).path("usage");

    assertThat(usage.at("/prompt_tokens_details/cache_write_tokens").asLong()).isEqualTo(40);
    assertThat(readBack(usage)).isEqualTo(new Usage(160, 10, 170, 20, 0, 40, 0, 0, 0));
  }

  @Test
  void bedrockCacheWriteInputTokensComeBackAsCacheWritesInAStream() {
    byte[] stream =
        Fixtures.concat(
            EventStreamMessage.event("messageStart", utf8("{\"role\":\"assistant\"}")).encode(),
            EventStreamMessage.event(
                    "contentBlockDelta",
                    utf8("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hi\"}}"))
                .encode(),
            EventStreamMessage.event("messageStop", utf8("{\"stopReason\":\"end_turn\"}")).encode(),
            EventStreamMessage.event(
                    "metadata",
                    utf8(
                        "{\"usage\":{\"inputTokens\":100,\"outputTokens\":10,\"totalTokens\":170,"
                            + "\"cacheReadInputTokens\":20,\"cacheWriteInputTokens\":40}}"))
                .encode());

    List<String> data = data(answer(translate(Target.BEDROCK, STREAM_CALL), stream));

    JsonNode usage = tree(utf8(data.get(data.size() - 2))).path("usage");
    assertThat(readBack(usage)).isEqualTo(new Usage(160, 10, 170, 20, 0, 40, 0, 0, 0));
  }

  @Test
  void anAnswerWithoutCacheWritesHasExactlyOpenAisUsageShape() {
    byte[] message =
        utf8(
            "{\"id\":\"msg_1\",\"model\":\"c\",\"content\":[],\"usage\":{\"input_tokens\":5,"
                + "\"cache_creation_input_tokens\":0,\"output_tokens\":1}}");

    JsonNode usage = tree(answer(translate(Target.ANTHROPIC, JSON_CALL), message)).path("usage");

    assertThat(usage.toString())
        .isEqualTo(
            "{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":0},"
                + "\"completion_tokens_details\":{\"reasoning_tokens\":0}}");
  }

  // ---------------------------------------------------------------- absurd counts

  /**
   * Counts near {@link Long#MAX_VALUE}, which the gateway caps and charges when it reads them from
   * the backend's own protocol, stay absurdly large in translation: summed without overflow, never
   * turned negative (which the usage reader would take for no usage, settling on an estimate).
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "ANTHROPIC|{\"id\":\"m\",\"model\":\"c\",\"content\":[],\"usage\":{"
            + "\"input_tokens\":9223372036854775807,\"cache_read_input_tokens\":10,"
            + "\"output_tokens\":5}}",
        "BEDROCK|{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[]}},"
            + "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":9223372036854775807,"
            + "\"outputTokens\":5,\"cacheReadInputTokens\":10}}",
        "GEMINI|{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]},"
            + "\"finishReason\":\"STOP\"}],\"usageMetadata\":{"
            + "\"promptTokenCount\":9223372036854775807,\"toolUsePromptTokenCount\":10,"
            + "\"candidatesTokenCount\":5}}"
      })
  void countsNearLongMaxValueSaturateInsteadOfTurningNegative(Target target, String backend) {
    JsonNode usage = tree(answer(translate(target, JSON_CALL), utf8(backend))).path("usage");

    Usage read = readBack(usage);
    assertThat(read).isNotNull();
    assertThat(read.inputTokens()).isEqualTo(Long.MAX_VALUE);
    assertThat(read.outputTokens()).isEqualTo(5);
    assertThat(read.totalTokens()).isEqualTo(Long.MAX_VALUE);
  }

  /**
   * A count beyond a {@code long} is read as the native formats read it ({@code UsageCounts}):
   * saturated, so the call is charged the cap and its event flags it, not charged nothing.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "ANTHROPIC|{\"id\":\"m\",\"model\":\"c\",\"content\":[],\"usage\":{"
            + "\"input_tokens\":99999999999999999999,\"output_tokens\":5}}",
        "BEDROCK|{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[]}},"
            + "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":99999999999999999999,"
            + "\"outputTokens\":5}}",
        "GEMINI|{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]},"
            + "\"finishReason\":\"STOP\"}],\"usageMetadata\":{"
            + "\"promptTokenCount\":99999999999999999999,\"candidatesTokenCount\":5}}"
      })
  void countsBeyondALongSaturateAsTheNativeFormatsReadThemInsteadOfReadingAsZero(
      Target target, String backend) {
    JsonNode usage = tree(answer(translate(target, JSON_CALL), utf8(backend))).path("usage");

    Usage read = readBack(usage);
    assertThat(read).isNotNull();
    assertThat(read.inputTokens()).isEqualTo(Long.MAX_VALUE);
    assertThat(read.outputTokens()).isEqualTo(5);
  }

  @Test
  void geminiCountsWrittenAsStringsAreTranslatedAsTheNumbersTheySpell() {
    // The proto3 JSON mapping lets Google write a count as a string; Vertex AI writes some so.
    String backend =
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]},"
            + "\"finishReason\":\"STOP\"}],\"usageMetadata\":{"
            + "\"promptTokenCount\":\"12\",\"candidatesTokenCount\":\"5\","
            + "\"thoughtsTokenCount\":\"99999999999999999999\",\"totalTokenCount\":\"x\"}}";

    JsonNode usage = tree(answer(translate(Target.GEMINI, JSON_CALL), utf8(backend))).path("usage");

    Usage read = readBack(usage);
    assertThat(read).isNotNull();
    assertThat(read.inputTokens()).isEqualTo(12);
    assertThat(read.outputTokens()).isEqualTo(Long.MAX_VALUE);
    assertThat(read.reasoningTokens()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void aStreamedCountBeyondALongSaturatesInsteadOfReadingAsZero() {
    String stream =
        sse(
            "message_start",
            "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":"
                + "{\"input_tokens\":123456789012345678901234567890,\"output_tokens\":1}}}",
            "message_delta",
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                + "\"usage\":{\"output_tokens\":7}}",
            "message_stop",
            "{\"type\":\"message_stop\"}");

    List<String> data = data(answer(translate(Target.ANTHROPIC, STREAM_CALL), utf8(stream)));

    Usage read = readBack(tree(utf8(data.get(data.size() - 2))).path("usage"));
    assertThat(read.inputTokens()).isEqualTo(Long.MAX_VALUE);
    assertThat(read.outputTokens()).isEqualTo(7);
  }
}
