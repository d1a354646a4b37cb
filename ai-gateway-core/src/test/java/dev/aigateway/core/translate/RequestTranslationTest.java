package dev.aigateway.core.translate;

import static dev.aigateway.core.translate.Fixtures.body;
import static dev.aigateway.core.translate.Fixtures.translate;
import static dev.aigateway.core.translate.Fixtures.translator;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.core.routing.Backend;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** OpenAI chat requests translated for each target, field by field, and what is refused. */
class RequestTranslationTest {

  private static final String IMAGE = "data:image/png;base64,iVBORw0KGgo=";
  private static final String CONVERSATION =
      "{\"model\":\"gpt-4o\",\"messages\":["
          + "{\"role\":\"system\",\"content\":\"Be brief.\"},"
          + "{\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"Use metric.\"}]},"
          + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"},"
          + "{\"type\":\"image_url\",\"image_url\":{\"url\":\""
          + IMAGE
          + "\",\"detail\":\"low\"}}]},"
          + "{\"role\":\"user\",\"content\":\"And the weather?\"},"
          + "{\"role\":\"assistant\",\"content\":\"Checking.\",\"tool_calls\":[{\"id\":\"call_1\","
          + "\"type\":\"function\",\"function\":{\"name\":\"weather\","
          + "\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}}]},"
          + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"{\\\"c\\\":4}\"},"
          + "{\"role\":\"user\",\"content\":\"Thanks.\"}],"
          + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"weather\","
          + "\"description\":\"Weather now\",\"parameters\":{\"type\":\"object\","
          + "\"properties\":{\"city\":{\"type\":\"string\"}}}}}],"
          + "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"weather\"}},"
          + "\"temperature\":0.2,\"top_p\":0.9,\"max_completion_tokens\":300,\"max_tokens\":5,"
          + "\"stop\":\"STOP\",\"user\":\"u-42\",\"store\":true,\"metadata\":{\"k\":\"v\"}}";

  @Test
  void anthropicGetsSystemBlocksAlternatingTurnsImagesToolUseAndToolResult() {
    TranslatedRequest request = translate(Target.ANTHROPIC, CONVERSATION);
    JsonNode body = body(request);

    assertThat(request.url()).isEqualTo("https://api.anthropic.com/v1/messages");
    assertThat(request.headers()).containsEntry("anthropic-version", "2023-06-01");
    assertThat(body.path("model").asText()).isEqualTo("target-model");
    assertThat(body.at("/system/0/text").asText()).isEqualTo("Be brief.");
    assertThat(body.at("/system/1/text").asText()).isEqualTo("Use metric.");
    JsonNode messages = body.path("messages");
    assertThat(messages)
        .hasSize(3); // user turns merged; the tool result and "Thanks." one user turn
    assertThat(messages.at("/0/role").asText()).isEqualTo("user");
    assertThat(messages.at("/0/content/0/text").asText()).isEqualTo("What is this?");
    assertThat(messages.at("/0/content/1/source/type").asText()).isEqualTo("base64");
    assertThat(messages.at("/0/content/1/source/media_type").asText()).isEqualTo("image/png");
    assertThat(messages.at("/0/content/1/source/data").asText()).isEqualTo("iVBORw0KGgo=");
    assertThat(messages.at("/0/content/2/text").asText()).isEqualTo("And the weather?");
    assertThat(messages.at("/1/role").asText()).isEqualTo("assistant");
    assertThat(messages.at("/1/content/0/text").asText()).isEqualTo("Checking.");
    assertThat(messages.at("/1/content/1/type").asText()).isEqualTo("tool_use");
    assertThat(messages.at("/1/content/1/id").asText()).isEqualTo("call_1");
    assertThat(messages.at("/1/content/1/input/city").asText()).isEqualTo("Oslo");
    assertThat(messages.at("/2/content/0/type").asText()).isEqualTo("tool_result");
    assertThat(messages.at("/2/content/0/tool_use_id").asText()).isEqualTo("call_1");
    assertThat(messages.at("/2/content/0/content").asText()).isEqualTo("{\"c\":4}");
    assertThat(messages.at("/2/content/1/text").asText()).isEqualTo("Thanks.");
    assertThat(body.at("/tools/0/name").asText()).isEqualTo("weather");
    assertThat(body.at("/tools/0/input_schema/properties/city/type").asText()).isEqualTo("string");
    assertThat(body.at("/tool_choice/type").asText()).isEqualTo("tool");
    assertThat(body.at("/tool_choice/name").asText()).isEqualTo("weather");
    assertThat(body.path("max_tokens").asLong()).isEqualTo(300); // max_completion_tokens wins
    assertThat(body.path("temperature").asDouble()).isEqualTo(0.2);
    assertThat(body.path("top_p").asDouble()).isEqualTo(0.9);
    assertThat(body.at("/stop_sequences/0").asText()).isEqualTo("STOP");
    assertThat(body.at("/metadata/user_id").asText()).isEqualTo("u-42");
    assertThat(body.has("store")).isFalse();
    assertThat(body.has("stream")).isFalse();
  }

  @Test
  void bedrockGetsConverseBlocksImageBytesToolConfigAndInferenceConfig() {
    TranslatedRequest request = translate(Target.BEDROCK, CONVERSATION);
    JsonNode body = body(request);

    assertThat(request.url())
        .isEqualTo("https://bedrock-runtime.us-east-1.amazonaws.com/model/target-model/converse");
    assertThat(body.at("/system/0/text").asText()).isEqualTo("Be brief.");
    assertThat(body.at("/system/1/text").asText()).isEqualTo("Use metric.");
    JsonNode messages = body.path("messages");
    assertThat(messages).hasSize(3);
    assertThat(messages.at("/0/content/1/image/format").asText()).isEqualTo("png");
    assertThat(messages.at("/0/content/1/image/source/bytes").asText()).isEqualTo("iVBORw0KGgo=");
    assertThat(messages.at("/1/content/1/toolUse/toolUseId").asText()).isEqualTo("call_1");
    assertThat(messages.at("/1/content/1/toolUse/input/city").asText()).isEqualTo("Oslo");
    assertThat(messages.at("/2/content/0/toolResult/toolUseId").asText()).isEqualTo("call_1");
    assertThat(messages.at("/2/content/0/toolResult/content/0/text").asText())
        .isEqualTo("{\"c\":4}");
    assertThat(body.at("/toolConfig/tools/0/toolSpec/name").asText()).isEqualTo("weather");
    assertThat(body.at("/toolConfig/tools/0/toolSpec/inputSchema/json/type").asText())
        .isEqualTo("object");
    assertThat(body.at("/toolConfig/toolChoice/tool/name").asText()).isEqualTo("weather");
    assertThat(body.at("/inferenceConfig/maxTokens").asLong()).isEqualTo(300);
    assertThat(body.at("/inferenceConfig/temperature").asDouble()).isEqualTo(0.2);
    assertThat(body.at("/inferenceConfig/topP").asDouble()).isEqualTo(0.9);
    assertThat(body.at("/inferenceConfig/stopSequences/0").asText()).isEqualTo("STOP");
  }

  @Test
  void geminiGetsContentsPartsFunctionDeclarationsAndGenerationConfig() {
    TranslatedRequest request = translate(Target.GEMINI, CONVERSATION);
    JsonNode body = body(request);

    assertThat(request.url())
        .isEqualTo(
            "https://generativelanguage.googleapis.com/v1beta/models/target-model:generateContent");
    assertThat(body.at("/systemInstruction/parts/0/text").asText()).isEqualTo("Be brief.");
    assertThat(body.at("/systemInstruction/parts/1/text").asText()).isEqualTo("Use metric.");
    JsonNode contents = body.path("contents");
    assertThat(contents).hasSize(3);
    assertThat(contents.at("/0/role").asText()).isEqualTo("user");
    assertThat(contents.at("/0/parts/1/inlineData/mimeType").asText()).isEqualTo("image/png");
    assertThat(contents.at("/1/role").asText()).isEqualTo("model");
    assertThat(contents.at("/1/parts/1/functionCall/name").asText()).isEqualTo("weather");
    assertThat(contents.at("/1/parts/1/functionCall/args/city").asText()).isEqualTo("Oslo");
    assertThat(contents.at("/2/parts/0/functionResponse/name").asText()).isEqualTo("weather");
    assertThat(contents.at("/2/parts/0/functionResponse/response/c").asInt()).isEqualTo(4);
    assertThat(body.at("/tools/0/functionDeclarations/0/name").asText()).isEqualTo("weather");
    assertThat(body.at("/toolConfig/functionCallingConfig/mode").asText()).isEqualTo("ANY");
    assertThat(body.at("/toolConfig/functionCallingConfig/allowedFunctionNames/0").asText())
        .isEqualTo("weather");
    assertThat(body.at("/generationConfig/maxOutputTokens").asLong()).isEqualTo(300);
    assertThat(body.at("/generationConfig/temperature").asDouble()).isEqualTo(0.2);
    assertThat(body.at("/generationConfig/topP").asDouble()).isEqualTo(0.9);
    assertThat(body.at("/generationConfig/stopSequences/0").asText()).isEqualTo("STOP");
  }

  @Test
  void geminiStreamsGoToStreamGenerateContentAsSseAndVertexUnderPublishers() {
    String stream =
        "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    Backend vertex =
        Backend.vertexAi(
                "vertex",
                "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4")
            .build();

    assertThat(translate(Target.GEMINI, stream).url())
        .endsWith("/v1beta/models/target-model:streamGenerateContent?alt=sse");
    assertThat(
            Fixtures.translate(
                    translator(Target.GEMINI), Fixtures.utf8(stream), "gemini-2.5-pro", vertex)
                .url())
        .isEqualTo(
            "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4"
                + "/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse");
    assertThat(translate(Target.BEDROCK, stream).url()).endsWith("/converse-stream");
    assertThat(body(translate(Target.ANTHROPIC, stream)).path("stream").asBoolean()).isTrue();
  }

  /**
   * A model mapped to a resource path of its own (a tuned model on the Gemini API, a tuned model's
   * endpoint on Vertex AI) is called at that path, as an untranslated Gemini call to it is: not
   * under {@code models/} with its slash escaped, a URL that names no model.
   */
  @Test
  void geminiModelsNamedByTheirResourcePathAreCalledAtThatPath() {
    String stream =
        "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    String json = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    String location =
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4";
    Backend vertex = Backend.vertexAi("vertex", location).build();
    Translator gemini = translator(Target.GEMINI);

    assertThat(
            Fixtures.translate(gemini, Fixtures.utf8(json), "tunedModels/my-tuned", Fixtures.GEMINI)
                .url())
        .isEqualTo(
            "https://generativelanguage.googleapis.com/v1beta/tunedModels/my-tuned:generateContent");
    assertThat(
            Fixtures.translate(gemini, Fixtures.utf8(stream), "endpoints/1234567890", vertex).url())
        .isEqualTo(location + "/endpoints/1234567890:streamGenerateContent?alt=sse");
    assertThat(
            Fixtures.translate(
                    gemini, Fixtures.utf8(json), "endpoints/../../../../other/endpoints/1", vertex)
                .url())
        .as("dot segments would lead the call out of the backend's project: one model instead")
        .isEqualTo(
            location
                + "/publishers/google/models/endpoints%2F..%2F..%2F..%2F..%2Fother%2Fendpoints%2F1"
                + ":generateContent");
  }

  @Test
  void toolCallArgumentsToolResultsAndSchemasKeepTheirNumbersExactly() {
    String request =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Pay.\"},"
            + "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
            + "\"function\":{\"name\":\"pay\",\"arguments\":"
            + "\"{\\\"amount\\\":12345678901234567890.25,\\\"rate\\\":1.50}\"}}]},"
            + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\","
            + "\"content\":\"{\\\"balance\\\":98765432109876543210.75}\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"pay\",\"parameters\":"
            + "{\"type\":\"object\",\"properties\":{\"amount\":{\"type\":\"number\","
            + "\"maximum\":99999999999999999999.99}}}}}]}";

    for (Target target : Target.values()) {
      String body = new String(translate(target, request).body(), StandardCharsets.UTF_8);
      assertThat(body)
          .as(target.label)
          .contains("12345678901234567890.25")
          .contains("1.50")
          .contains("99999999999999999999.99");
    }
    assertThat(new String(translate(Target.GEMINI, request).body(), StandardCharsets.UTF_8))
        .contains("\"response\":{\"balance\":98765432109876543210.75}");
  }

  @Test
  void systemMessagesWithoutTextSendNoEmptySystemToAnyTarget() {
    String request =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"\"},"
            + "{\"role\":\"developer\",\"content\":[]},{\"role\":\"user\",\"content\":\"Hi\"}]}";

    assertThat(body(translate(Target.ANTHROPIC, request)).has("system")).isFalse();
    assertThat(body(translate(Target.BEDROCK, request)).has("system")).isFalse();
    assertThat(body(translate(Target.GEMINI, request)).has("systemInstruction")).isFalse();
  }

  @Test
  void aMessageOfEmptyTextPartsSendsNoTurnWithoutContent() {
    String request =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
            + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"\"}]},"
            + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"\"},"
            + "{\"type\":\"text\",\"text\":\"Still there?\"}]}]}";

    for (Target target : Target.values()) {
      JsonNode turns =
          body(translate(target, request)).path(target == Target.GEMINI ? "contents" : "messages");
      assertThat(turns.size()).as(target.label).isEqualTo(1);
      assertThat(turns.path(0).path(target == Target.GEMINI ? "parts" : "content").size())
          .as(target.label)
          .isEqualTo(2);
    }
  }

  /**
   * Anthropic ("text content blocks must contain non-whitespace text") and Bedrock Converse ("The
   * text field in the ContentBlock object ... is blank") refuse a text block of nothing but white
   * space: an assistant turn that answered "\n\n" before its tool call, replayed as history, must
   * not fail every later call of the conversation.
   */
  @Test
  void textOfNothingButWhiteSpaceIsNotSentAsABlockToTargetsThatRefuseIt() {
    String request =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\" \"},"
            + "{\"role\":\"user\",\"content\":\"Weather?\"},"
            + "{\"role\":\"assistant\",\"content\":\"\\n\\n\",\"tool_calls\":[{\"id\":\"call_1\","
            + "\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{}\"}}]},"
            + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"4 degrees\"},"
            + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Thanks.\"},"
            + "{\"type\":\"text\",\"text\":\" \\t\"}]}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"weather\"}}]}";

    for (Target target : new Target[] {Target.ANTHROPIC, Target.BEDROCK}) {
      JsonNode body = body(translate(target, request));
      assertThat(body.has("system")).as(target.label).isFalse();
      JsonNode assistant = body.at("/messages/1/content");
      assertThat(assistant.size()).as(target.label).isEqualTo(1);
      assertThat(assistant.path(0).has("text")).as(target.label).isFalse();
      JsonNode user = body.at("/messages/2/content");
      assertThat(user.size()).as(target.label).isEqualTo(2); // the tool result, "Thanks."
      assertThat(user.path(1).path("text").asText()).as(target.label).isEqualTo("Thanks.");
    }
    // Gemini takes such text: it goes out as the application wrote it.
    JsonNode gemini = body(translate(Target.GEMINI, request));
    assertThat(gemini.at("/contents/1/parts/0/text").asText()).isEqualTo("\n\n");
  }

  @Test
  void aToolWithAnEmptyDescriptionGoesOutWithoutOne() {
    // Bedrock Converse refuses an empty toolSpec.description (its minimum length is 1).
    String request =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"now\","
            + "\"description\":\"\",\"parameters\":{\"type\":\"object\"}}}]}";

    assertThat(
            body(translate(Target.BEDROCK, request))
                .at("/toolConfig/tools/0/toolSpec")
                .has("description"))
        .isFalse();
    assertThat(body(translate(Target.ANTHROPIC, request)).at("/tools/0").has("description"))
        .isFalse();
    assertThat(
            body(translate(Target.GEMINI, request))
                .at("/tools/0/functionDeclarations/0")
                .has("description"))
        .isFalse();
  }

  /**
   * Anthropic and Bedrock Converse take a tool use id of letters, digits, "_" and "-" only (Bedrock
   * up to 64 of them), where OpenAI-compatible servers give ids such as Kimi's
   * "functions.get_weather:0": a conversation that holds one must still reach them, each call and
   * its result under one id they take, distinct calls under distinct ids.
   */
  @Test
  void toolCallIdsTheTargetWouldRefuseGoOutInItsAlphabetEachCallStillMatchedToItsResult() {
    String long100 = "x".repeat(100);
    String request =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
            + "{\"role\":\"assistant\",\"tool_calls\":["
            + "{\"id\":\"functions.weather:0\",\"type\":\"function\",\"function\":{\"name\":"
            + "\"weather\",\"arguments\":\"{}\"}},"
            + "{\"id\":\"functions.weather:1\",\"type\":\"function\",\"function\":{\"name\":"
            + "\"weather\",\"arguments\":\"{}\"}},"
            + "{\"id\":\""
            + long100
            + "\",\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{}\"}}]},"
            + "{\"role\":\"tool\",\"tool_call_id\":\"functions.weather:1\",\"content\":\"b\"},"
            + "{\"role\":\"tool\",\"tool_call_id\":\"functions.weather:0\",\"content\":\"a\"},"
            + "{\"role\":\"tool\",\"tool_call_id\":\""
            + long100
            + "\",\"content\":\"c\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"weather\"}}]}";

    JsonNode anthropic = body(translate(Target.ANTHROPIC, request)).path("messages");
    JsonNode bedrock = body(translate(Target.BEDROCK, request)).path("messages");
    String[] anthropicCalls = new String[3];
    String[] bedrockCalls = new String[3];
    for (int i = 0; i < 3; i++) {
      anthropicCalls[i] = anthropic.at("/1/content/" + i + "/id").asText();
      bedrockCalls[i] = bedrock.at("/1/content/" + i + "/toolUse/toolUseId").asText();
      assertThat(anthropicCalls[i]).matches("[a-zA-Z0-9_-]{1,64}");
      assertThat(bedrockCalls[i]).matches("[a-zA-Z0-9_-]{1,64}");
    }
    assertThat(anthropicCalls).doesNotHaveDuplicates();
    assertThat(bedrockCalls).doesNotHaveDuplicates();
    // The results, in the order the application gave them: call 1, call 0, call 2.
    int[] answered = {1, 0, 2};
    for (int i = 0; i < 3; i++) {
      assertThat(anthropic.at("/2/content/" + i + "/tool_use_id").asText())
          .isEqualTo(anthropicCalls[answered[i]]);
      assertThat(bedrock.at("/2/content/" + i + "/toolResult/toolUseId").asText())
          .isEqualTo(bedrockCalls[answered[i]]);
    }
  }

  @Test
  void aJpgDataUrlIsSentAsTheImageJpegEveryTargetNames() {
    String request =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
            + "\"image_url\":{\"url\":\"data:image/JPG;base64,/9j/4AAQ\"}}]}]}";

    assertThat(
            body(translate(Target.ANTHROPIC, request))
                .at("/messages/0/content/0/source/media_type")
                .asText())
        .isEqualTo("image/jpeg");
    assertThat(
            body(translate(Target.BEDROCK, request))
                .at("/messages/0/content/0/image/format")
                .asText())
        .isEqualTo("jpeg");
    assertThat(
            body(translate(Target.GEMINI, request))
                .at("/contents/0/parts/0/inlineData/mimeType")
                .asText())
        .isEqualTo("image/jpeg");
  }

  @Test
  void whiteSpaceStopSequencesAreRefusedForAnthropicAndEmptyOnesLeftOut() {
    String request =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
            + "\"stop\":[\"END\",\"\",\"\\n\"]}";

    assertRefused(Target.ANTHROPIC, request, "stop[2]");
    assertRefused(
        Target.ANTHROPIC,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stop\":\" \"}",
        "stop");
    assertThat(body(translate(Target.GEMINI, request)).at("/generationConfig/stopSequences"))
        .containsExactly(new TextNode("END"), new TextNode("\n"));
    assertThat(
            body(translate(Target.ANTHROPIC, request.replace(",\"\\n\"", "")))
                .path("stop_sequences"))
        .containsExactly(new TextNode("END"));
  }

  @Test
  void aConversationThatStartsWithTheAssistantIsRefusedForBedrock() {
    String request =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"Be kind.\"},"
            + "{\"role\":\"assistant\",\"content\":\"Hello! How can I help?\"},"
            + "{\"role\":\"user\",\"content\":\"Tell me a joke.\"}]}";

    assertRefused(Target.BEDROCK, request, "messages");
    assertThatThrownBy(
            () ->
                translator(Target.BEDROCK)
                    .check((ObjectNode) Fixtures.tree(Fixtures.utf8(request))))
        .isInstanceOf(TranslationRefusedException.class);
  }

  @Test
  void anthropicGetsADefaultOutputAllowanceAndThePinnedVersion() {
    Backend pinned = Backend.anthropic("c", "https://api.anthropic.com/v1", "2024-01-01").build();
    TranslatedRequest request =
        Fixtures.translate(
            translator(Target.ANTHROPIC),
            Fixtures.utf8(
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"),
            "claude",
            pinned);

    assertThat(body(request).path("max_tokens").asLong())
        .isEqualTo(AnthropicTranslator.DEFAULT_MAX_TOKENS);
    assertThat(request.headers()).containsEntry("anthropic-version", "2024-01-01");
    assertThat(request.url()).isEqualTo("https://api.anthropic.com/v1/messages");
  }

  @Test
  void toolChoicesMapToEachTarget() {
    String tools =
        ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{}}}]";
    String base = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]" + tools;
    assertThat(
            body(translate(Target.ANTHROPIC, base + ",\"tool_choice\":\"required\"}"))
                .at("/tool_choice/type")
                .asText())
        .isEqualTo("any");
    assertThat(
            body(translate(Target.ANTHROPIC, base + ",\"tool_choice\":\"none\"}"))
                .at("/tool_choice/type")
                .asText())
        .isEqualTo("none");
    assertThat(
            body(translate(Target.ANTHROPIC, base + ",\"parallel_tool_calls\":false}"))
                .at("/tool_choice/disable_parallel_tool_use")
                .asBoolean())
        .isTrue();
    assertThat(
            body(translate(Target.BEDROCK, base + ",\"tool_choice\":\"auto\"}"))
                .at("/toolConfig/toolChoice")
                .has("auto"))
        .isTrue();
    assertThat(
            body(translate(Target.BEDROCK, base + ",\"tool_choice\":\"required\"}"))
                .at("/toolConfig/toolChoice")
                .has("any"))
        .isTrue();
    assertThat(
            body(translate(Target.GEMINI, base + ",\"tool_choice\":\"none\"}"))
                .at("/toolConfig/functionCallingConfig/mode")
                .asText())
        .isEqualTo("NONE");
  }

  @Test
  void geminiTakesPenaltiesSeedAndJsonObjectThatTheOthersRefuse() {
    String request =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
            + "\"presence_penalty\":0.5,\"frequency_penalty\":0.25,\"seed\":7,"
            + "\"response_format\":{\"type\":\"json_object\"}}";
    JsonNode config = body(translate(Target.GEMINI, request)).path("generationConfig");

    assertThat(config.path("presencePenalty").asDouble()).isEqualTo(0.5);
    assertThat(config.path("frequencyPenalty").asDouble()).isEqualTo(0.25);
    assertThat(config.path("seed").asLong()).isEqualTo(7);
    assertThat(config.path("responseMimeType").asText()).isEqualTo("application/json");
    assertRefused(Target.ANTHROPIC, request, "presence_penalty");
    assertRefused(Target.BEDROCK, request, "presence_penalty");
  }

  @Test
  void aTemperatureAboveOneIsRefusedForAnthropicAndBedrockWhoseRangeEndsThere() {
    // OpenAI takes 0 to 2; Anthropic Messages and Bedrock Converse take 0 to 1 and answer more with
    // a 400 of their own, after a failover that should not have gone to them.
    String request =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
            + "\"temperature\":";

    assertRefused(Target.ANTHROPIC, request + "1.5}", "temperature");
    assertRefused(Target.BEDROCK, request + "1.01}", "temperature");
    assertThatThrownBy(
            () ->
                translator(Target.ANTHROPIC)
                    .check((ObjectNode) Fixtures.tree(Fixtures.utf8(request + "2}"))))
        .isInstanceOf(TranslationRefusedException.class)
        .hasMessageContaining("from 0 to 1");
    assertThat(body(translate(Target.ANTHROPIC, request + "1}")).path("temperature").asDouble())
        .isEqualTo(1.0);
    assertThat(
            body(translate(Target.BEDROCK, request + "0.7}"))
                .at("/inferenceConfig/temperature")
                .asDouble())
        .isEqualTo(0.7);
    assertThat(
            body(translate(Target.GEMINI, request + "1.5}"))
                .at("/generationConfig/temperature")
                .asDouble())
        .isEqualTo(1.5);
  }

  @Test
  void aSeedBeyondGeminisThirtyTwoBitsIsRefusedRatherThanSentForGeminiToRefuse() {
    // OpenAI takes a 64-bit seed; Gemini's generationConfig.seed is an int32, and answers a larger
    // one with a 400 of its own, after a failover that should not have gone to it.
    String request =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"seed\":";

    assertRefused(Target.GEMINI, request + "4294967296}", "seed");
    assertRefused(Target.GEMINI, request + "-2147483649}", "seed");
    assertThatThrownBy(
            () ->
                translator(Target.GEMINI)
                    .check((ObjectNode) Fixtures.tree(Fixtures.utf8(request + "1234567890123}"))))
        .isInstanceOf(TranslationRefusedException.class)
        .hasMessageContaining("32-bit");
    assertThat(
            body(translate(Target.GEMINI, request + "-2147483648}"))
                .at("/generationConfig/seed")
                .asLong())
        .isEqualTo(Integer.MIN_VALUE);
    assertThat(
            body(translate(Target.GEMINI, request + "2147483647}"))
                .at("/generationConfig/seed")
                .asLong())
        .isEqualTo(Integer.MAX_VALUE);
  }

  @ParameterizedTest(name = "{0}: {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "ANTHROPIC | ,\"n\":2 | n",
        "BEDROCK | ,\"n\":2 | n",
        "GEMINI | ,\"n\":2 | n",
        "GEMINI | ,\"logprobs\":true | logprobs",
        "ANTHROPIC | ,\"top_logprobs\":2 | top_logprobs",
        "ANTHROPIC | ,\"logit_bias\":{\"1\":2} | logit_bias",
        "GEMINI | ,\"audio\":{\"voice\":\"alloy\"} | audio",
        "BEDROCK | ,\"modalities\":[\"text\"] | modalities",
        "ANTHROPIC | ,\"reasoning_effort\":\"low\" | reasoning_effort",
        "ANTHROPIC | ,\"some_new_field\":1 | some_new_field",
        "GEMINI | ,\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{}} | response_format",
        "ANTHROPIC | ,\"response_format\":{\"type\":\"json_object\"} | response_format",
        "ANTHROPIC | ,\"seed\":1 | seed",
        "BEDROCK | ,\"parallel_tool_calls\":false | parallel_tool_calls",
        "GEMINI | ,\"parallel_tool_calls\":false | parallel_tool_calls",
        "BEDROCK | ,\"tool_choice\":\"none\" | tool_choice",
        "ANTHROPIC | ,\"tools\":[{\"type\":\"web_search\"}] | tools[0].type",
        "ANTHROPIC | ,\"functions\":[] | functions",
        "ANTHROPIC | ,\"max_tokens\":1.5 | max_tokens",
        "BEDROCK | ,\"max_completion_tokens\":2.5 | max_completion_tokens",
        "GEMINI | ,\"max_tokens\":0.5 | max_tokens",
        "GEMINI | ,\"seed\":1.5 | seed",
        "BEDROCK | ,\"n\":1.5 | n",
      })
  void fieldsATargetHasNoEquivalentOfAreRefusedByName(Target target, String extra, String param) {
    assertRefused(
        target,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]" + extra + "}",
        param);
  }

  @Test
  void aGeminiThoughtSignatureOnAToolCallGoesBackToGemini() {
    String request =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
            + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\","
            + "\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":"
            + "\"{\\\"city\\\":\\\"Oslo\\\"}\"},\"extra_content\":{\"google\":"
            + "{\"thought_signature\":\"c2lnLTE=\"}}}]},"
            + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"3 degrees\"}]}";

    JsonNode part = body(translate(Target.GEMINI, request)).at("/contents/1/parts/0");

    assertThat(part.at("/functionCall/name").asText()).isEqualTo("weather");
    assertThat(part.at("/functionCall/args/city").asText()).isEqualTo("Oslo");
    assertThat(part.path("thoughtSignature").asText()).isEqualTo("c2lnLTE=");
  }

  @Test
  void messageContentsATargetCannotTakeAreRefusedWithTheirPath() {
    String url =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
            + "\"image_url\":{\"url\":\"https://example.com/cat.png\"}}]}]}";
    assertRefused(Target.BEDROCK, url, "messages[0].content[0].image_url.url");
    assertRefused(Target.GEMINI, url, "messages[0].content[0].image_url.url");
    assertThat(
            body(translate(Target.ANTHROPIC, url)).at("/messages/0/content/0/source/url").asText())
        .isEqualTo("https://example.com/cat.png");
    assertRefused(
        Target.ANTHROPIC,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\","
            + "\"input_audio\":{}}]}]}",
        "messages[0].content[0].type");
    assertRefused(
        Target.GEMINI,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"function\",\"content\":\"x\",\"name\":\"f\"}]}",
        "messages[0].role");
    assertRefused(
        Target.ANTHROPIC,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"nope\","
            + "\"content\":\"x\"}]}",
        "messages[0].tool_call_id");
    assertRefused(
        Target.BEDROCK,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
            + "\"image_url\":{\"url\":\"data:image/tiff;base64,AAAA\"}}]}]}",
        "messages");
    assertRefused(
        Target.ANTHROPIC,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\","
            + "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{oops\"}}]}]}",
        "messages[0].tool_calls[0].function.arguments");
    assertRefused(
        Target.BEDROCK,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Go.\"},"
            + "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\","
            + "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}]}",
        "tools");
    assertRefused(
        Target.GEMINI,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
            + "{\"role\":\"assistant\",\"content\":\"Let me look.\",\"tool_calls\":\"f\"}]}",
        "messages[1].tool_calls");
  }

  @Test
  void theAdmissionCheckRefusesWhatTheTranslationWould() {
    ObjectNode request =
        (ObjectNode)
            Fixtures.tree(
                Fixtures.utf8(
                    "{\"model\":\"m\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));
    assertThatThrownBy(() -> translator(Target.GEMINI).check(request))
        .isInstanceOf(TranslationRefusedException.class)
        .hasMessageContaining("'n' must be 1")
        .hasMessageContaining("Google Gemini");
    request.remove("n");
    translator(Target.GEMINI).check(request); // no refusal
  }

  @Test
  void theAdmissionCheckAndTheTranslationReadWholeNumbersAlike() throws Exception {
    for (String extra :
        new String[] {
          ",\"n\":1.0000000000000000001",
          ",\"max_tokens\":64.00000000000000000001",
          ",\"seed\":7.000000000000000000001"
        }) {
      String request =
          "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]" + extra + "}";
      ObjectNode tree = (ObjectNode) Fixtures.tree(Fixtures.utf8(request));
      translator(Target.GEMINI).check(tree); // the gateway's tree: doubles
      assertThat(translate(Target.GEMINI, request).body()).as(extra).isNotEmpty();
    }
  }

  @Test
  void onlyOpenAiChatCallsToBackendsOfAnotherProtocolAreTranslated() {
    assertThat(Fixtures.TRANSLATIONS.forFlavor(BackendFlavor.OPENAI)).isNull();
    assertThat(Fixtures.TRANSLATIONS.forFlavor(BackendFlavor.AZURE_OPENAI)).isNull();
    assertThat(Fixtures.TRANSLATIONS.forFlavor(BackendFlavor.VERTEX_AI))
        .isSameAs(Fixtures.TRANSLATIONS.forFlavor(BackendFlavor.GEMINI));
  }

  private static void assertRefused(Target target, String request, String param) {
    assertThatThrownBy(() -> translate(target, request))
        .isInstanceOfSatisfying(
            TranslationRefusedException.class, e -> assertThat(e.param()).isEqualTo(param))
        .hasMessageContaining("'" + param + "'")
        .hasMessageContaining("docs/providers.md");
  }
}
