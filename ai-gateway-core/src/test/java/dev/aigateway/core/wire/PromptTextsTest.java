package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.spi.ContentText;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The texts of a request, and their redaction on the body's bytes. */
class PromptTextsTest {

  private static final String CHAT =
      "{\"model\":\"gpt-4o\",\"temperature\":0.70,\"messages\":["
          + "{\"role\":\"system\",\"content\":\"Be brief.\"},"
          + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"mail a@b.io \\u00e9\"},"
          + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/a@b.io\"}}]},"
          + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"doc a@b.io\"}],"
          + "\"max_tokens\":1e3,\"user\":\"a@b.io\"}";

  private static ObjectNode tree(String json) {
    return (ObjectNode) Json.parseOrNull(json.getBytes(StandardCharsets.UTF_8), 0, json.length());
  }

  @Test
  void textsAreMessageContentsWithTheirRoles() {
    List<ContentText> texts = PromptTexts.of(tree(CHAT));
    assertThat(texts)
        .extracting(ContentText::role, ContentText::text)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("system", "Be brief."),
            org.assertj.core.groups.Tuple.tuple("user", "mail a@b.io é"),
            org.assertj.core.groups.Tuple.tuple("tool", "doc a@b.io"));
    assertThat(texts.get(2).document()).isTrue();
    assertThat(PromptTexts.messageCount(tree(CHAT))).isEqualTo(3);
  }

  @Test
  void responsesAndCompletionsInputsAreTexts() {
    assertThat(PromptTexts.of(tree("{\"input\":\"hi\",\"instructions\":\"sys\"}")))
        .extracting(ContentText::text)
        .containsExactly("hi", "sys");
    assertThat(PromptTexts.of(tree("{\"prompt\":[\"a\",\"b\"],\"input\":[[1,2]]}")))
        .extracting(ContentText::text)
        .containsExactly("a", "b");
  }

  @Test
  void redactionRewritesOnlyTheTextsThatChangeAndKeepsEveryOtherByte() {
    byte[] body = CHAT.getBytes(StandardCharsets.UTF_8);
    byte[] redacted = PromptTexts.redact(body, t -> t.replace("a@b.io", "[E]"));
    String out = new String(redacted, StandardCharsets.UTF_8);
    assertThat(out)
        .isEqualTo(
            CHAT.replace("mail a@b.io \\u00e9", "mail [E] é").replace("doc a@b.io", "doc [E]"));
    // numbers as written, the image URL and the user field untouched, still valid JSON
    assertThat(out).contains("\"temperature\":0.70").contains("1e3").contains("https://x/a@b.io");
    JsonNode parsed = Json.parseOrNull(redacted, 0, redacted.length);
    assertThat(parsed.path("user").textValue()).isEqualTo("a@b.io");
  }

  @Test
  void nothingToRedactIsNull() {
    byte[] body = CHAT.getBytes(StandardCharsets.UTF_8);
    assertThat(PromptTexts.redact(body, t -> t)).isNull();
    assertThat(PromptTexts.redact("not json".getBytes(StandardCharsets.UTF_8), t -> "x")).isNull();
  }

  @Test
  void quotesAndControlCharactersInAReplacementStayValidJson() {
    byte[] body = "{\"prompt\":\"x\"}".getBytes(StandardCharsets.UTF_8);
    byte[] redacted = PromptTexts.redact(body, t -> "say \"hi\"\n\\");
    assertThat(Json.parseOrNull(redacted, 0, redacted.length).path("prompt").textValue())
        .isEqualTo("say \"hi\"\n\\");
  }

  @Test
  void anthropicTextsAreTheSystemPromptAndMessageContentsWithToolResultsAsATools() {
    String body =
        "{\"model\":\"claude-sonnet-4\",\"max_tokens\":9,"
            + "\"system\":[{\"type\":\"text\",\"text\":\"Be brief.\"},"
            + "{\"type\":\"text\",\"text\":\"Be kind.\"}],"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi a@b.io\"},"
            + "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\","
            + "\"name\":\"look\",\"input\":{\"q\":\"a@b.io\"}}]},"
            + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"doc a@b.io\"}]}]}],"
            + "\"metadata\":{\"user_id\":\"a@b.io\"}}";
    ObjectNode tree = tree(body);
    assertThat(PromptTexts.of(tree, PromptTexts.Shape.ANTHROPIC))
        .extracting(ContentText::role, ContentText::text)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("system", "Be brief."),
            org.assertj.core.groups.Tuple.tuple("system", "Be kind."),
            org.assertj.core.groups.Tuple.tuple("user", "hi a@b.io"),
            org.assertj.core.groups.Tuple.tuple("tool", "doc a@b.io"));
    assertThat(PromptTexts.parts(tree, PromptTexts.Shape.ANTHROPIC))
        .containsExactly(List.of("Be brief.", "Be kind."));
    assertThat(PromptTexts.messageCount(tree, PromptTexts.Shape.ANTHROPIC)).isEqualTo(3);

    byte[] redacted =
        PromptTexts.redact(
            body.getBytes(StandardCharsets.UTF_8),
            PromptTexts.Shape.ANTHROPIC,
            t -> t.replace("a@b.io", "[E]"));
    // the texts masked; the tool's arguments and the metadata are not texts, and stay
    assertThat(new String(redacted, StandardCharsets.UTF_8))
        .isEqualTo(body.replace("hi a@b.io", "hi [E]").replace("doc a@b.io", "doc [E]"));
  }

  @Test
  void geminiTextsAreThePartsOfContentsAndOfTheSystemInstruction() {
    String body =
        "{\"system_instruction\":{\"parts\":[{\"text\":\"Be brief.\"}]},"
            + "\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"say the fo\"},"
            + "{\"text\":\"rbidden word\"},{\"inlineData\":{\"mimeType\":\"image/png\","
            + "\"data\":\"AAAA\"}}]},{\"role\":\"model\",\"parts\":[{\"text\":\"ok\"}]}],"
            + "\"generationConfig\":{\"temperature\":0.70}}";
    ObjectNode tree = tree(body);
    assertThat(PromptTexts.of(tree, PromptTexts.Shape.GEMINI))
        .extracting(ContentText::role, ContentText::text)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("system", "Be brief."),
            org.assertj.core.groups.Tuple.tuple("user", "say the fo"),
            org.assertj.core.groups.Tuple.tuple("user", "rbidden word"),
            org.assertj.core.groups.Tuple.tuple("model", "ok"));
    assertThat(PromptTexts.parts(tree, PromptTexts.Shape.GEMINI))
        .containsExactly(List.of("say the fo", "rbidden word"));
    assertThat(PromptTexts.messageCount(tree, PromptTexts.Shape.GEMINI)).isEqualTo(2);
    byte[] redacted =
        PromptTexts.redact(
            body.getBytes(StandardCharsets.UTF_8),
            PromptTexts.Shape.GEMINI,
            t -> t.replace("brief", "short"));
    assertThat(new String(redacted, StandardCharsets.UTF_8))
        .isEqualTo(body.replace("Be brief.", "Be short."));
  }
}
