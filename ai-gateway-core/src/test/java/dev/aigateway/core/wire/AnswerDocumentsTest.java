package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.core.wire.AnswerDocuments.Shape;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Each provider's JSON answer: its texts read, and the answer withheld in its own shape. */
class AnswerDocumentsTest {

  private static byte[] bytes(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  private static JsonNode tree(byte[] json) {
    return Json.parseOrNull(json, 0, json.length);
  }

  @Test
  void chatAnswersGiveEachChoicesContentAndAreWithheldAsAzureFiltersACompletion() {
    byte[] doc =
        bytes(
            "{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":["
                + "{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"one\"},\"finish_reason\":\"stop\"},"
                + "{\"index\":1,\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"two\"}],"
                + "\"tool_calls\":[{\"id\":\"t\"}]},\"finish_reason\":\"tool_calls\"}],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}");

    assertThat(AnswerDocuments.texts(Shape.OPENAI_CHAT, doc)).containsExactly("one", "two");
    JsonNode withheld = tree(AnswerDocuments.withheld(Shape.OPENAI_CHAT, doc, "hate"));
    for (JsonNode choice : withheld.path("choices")) {
      assertThat(choice.path("finish_reason").textValue()).isEqualTo("content_filter");
      assertThat(choice.path("message").path("content").isNull()).isTrue();
      assertThat(choice.path("message").has("tool_calls")).isFalse();
      assertThat(choice.path("content_filter_results").path("hate").path("filtered").booleanValue())
          .isTrue();
    }
    assertThat(withheld.path("choices")).hasSize(2);
    assertThat(withheld.path("usage").path("total_tokens").intValue()).isEqualTo(3);
    assertThat(withheld.path("id").textValue()).isEqualTo("c");
  }

  @Test
  void completionsResponsesAnthropicGeminiAndBedrockAnswersAreReadAndWithheld() {
    byte[] completions =
        bytes("{\"choices\":[{\"index\":0,\"text\":\"done\",\"finish_reason\":\"stop\"}]}");
    assertThat(AnswerDocuments.texts(Shape.OPENAI_COMPLETIONS, completions))
        .containsExactly("done");
    JsonNode c = tree(AnswerDocuments.withheld(Shape.OPENAI_COMPLETIONS, completions, "x"));
    assertThat(c.path("choices").path(0).path("text").textValue()).isEmpty();
    assertThat(c.path("choices").path(0).path("finish_reason").textValue())
        .isEqualTo("content_filter");

    byte[] responses =
        bytes(
            "{\"object\":\"response\",\"status\":\"completed\",\"output\":[{\"type\":\"message\","
                + "\"content\":[{\"type\":\"output_text\",\"text\":\"hi\"}]}]}");
    assertThat(AnswerDocuments.texts(Shape.OPENAI_RESPONSES, responses)).containsExactly("hi");
    JsonNode r = tree(AnswerDocuments.withheld(Shape.OPENAI_RESPONSES, responses, "x"));
    assertThat(r.path("status").textValue()).isEqualTo("incomplete");
    assertThat(r.path("incomplete_details").path("reason").textValue()).isEqualTo("content_filter");
    assertThat(r.path("output").isEmpty()).isTrue();

    byte[] anthropic =
        bytes(
            "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
                + "{\"type\":\"tool_use\",\"name\":\"f\",\"input\":{}},{\"type\":\"text\",\"text\":\"b\"}],"
                + "\"stop_reason\":\"end_turn\"}");
    assertThat(AnswerDocuments.texts(Shape.ANTHROPIC_MESSAGES, anthropic))
        .containsExactly("a", "b");
    JsonNode a = tree(AnswerDocuments.withheld(Shape.ANTHROPIC_MESSAGES, anthropic, "x"));
    assertThat(a.path("stop_reason").textValue()).isEqualTo("refusal");
    assertThat(a.path("content").isEmpty()).isTrue();

    byte[] gemini =
        bytes(
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"g1\"},{\"text\":\"g2\"}]},"
                + "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"totalTokenCount\":4}}");
    assertThat(AnswerDocuments.texts(Shape.GEMINI, gemini)).containsExactly("g1", "g2");
    JsonNode g = tree(AnswerDocuments.withheld(Shape.GEMINI, gemini, "x"));
    assertThat(g.path("candidates").path(0).path("finishReason").textValue()).isEqualTo("SAFETY");
    assertThat(g.path("candidates").path(0).has("content")).isFalse();
    assertThat(g.path("usageMetadata").path("totalTokenCount").intValue()).isEqualTo(4);

    byte[] bedrock =
        bytes(
            "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"br\"}]}},"
                + "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":1,\"outputTokens\":1,"
                + "\"totalTokens\":2}}");
    assertThat(AnswerDocuments.texts(Shape.BEDROCK_CONVERSE, bedrock)).containsExactly("br");
    JsonNode b = tree(AnswerDocuments.withheld(Shape.BEDROCK_CONVERSE, bedrock, "x"));
    assertThat(b.path("stopReason").textValue()).isEqualTo("content_filtered");
    assertThat(b.path("output").path("message").path("content").isEmpty()).isTrue();
    assertThat(b.path("usage").path("totalTokens").intValue()).isEqualTo(2);
  }

  @Test
  void aConverseAnswerWithCitationsHasTheTextOfItsCitationsContent() {
    // Converse with citations on a document: the answer's text comes in citationsContent blocks
    // (AWS's CitationsContentBlock: content[].text generated, citations[] quoting the source).
    byte[] cited =
        bytes(
            "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
                + "{\"citationsContent\":{\"content\":[{\"text\":\"Revenue grew.\"}],"
                + "\"citations\":[{\"title\":\"Report\",\"sourceContent\":[{\"text\":\"q3 up\"}],"
                + "\"location\":{\"documentChar\":{\"documentIndex\":0,\"start\":0,\"end\":5}}}]}},"
                + "{\"text\":\"That is all.\"}]}},\"stopReason\":\"end_turn\","
                + "\"usage\":{\"inputTokens\":1,\"outputTokens\":1,\"totalTokens\":2}}");

    assertThat(AnswerDocuments.texts(Shape.BEDROCK_CONVERSE, cited))
        .containsExactly("Revenue grew.", "That is all.");
  }

  @Test
  void anAnswerTooLargeToHoldIsWithheldAsAMinimalDocumentOfItsShape() {
    for (Shape shape : Shape.values()) {
      JsonNode withheld = tree(AnswerDocuments.withheld(shape, null, "too-large"));
      assertThat(withheld).as(shape.name()).isNotNull();
      assertThat(withheld.isObject()).isTrue();
    }
    JsonNode chat = tree(AnswerDocuments.withheld(Shape.OPENAI_CHAT, null, "too-large"));
    assertThat(chat.path("object").textValue()).isEqualTo("chat.completion");
    assertThat(chat.path("choices").path(0).path("finish_reason").textValue())
        .isEqualTo("content_filter");
    assertThat(AnswerDocuments.texts(Shape.OPENAI_CHAT, bytes("not json"))).isEmpty();
    assertThat(AnswerDocuments.texts(Shape.OPENAI_CHAT, bytes("[1,2]"))).isEmpty();
  }
}
