package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Gemini's and Converse's bodies as the semantic cache reads them: text conversations only. */
class SemanticBodiesTest {

  private static ObjectNode json(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return (ObjectNode) Json.parseOrNull(bytes, 0, bytes.length);
  }

  @Test
  void geminiContentsBecomeMessagesAndTheRestStaysAsItIs() {
    ObjectNode view =
        SemanticBodies.gemini(
            json(
                "{\"systemInstruction\":{\"parts\":[{\"text\":\"Be brief.\"}]},\"contents\":["
                    + "{\"parts\":[{\"text\":\"Hi\"}]},{\"role\":\"model\",\"parts\":[{\"text\":"
                    + "\"Hello\"}]},{\"role\":\"user\",\"parts\":[{\"text\":\"a\"},{\"text\":\"b\"}]}],"
                    + "\"generationConfig\":{\"temperature\":0}}"));
    assertThat(view)
        .isEqualTo(
            json(
                "{\"systemInstruction\":{\"parts\":[{\"text\":\"Be brief.\"}]},"
                    + "\"generationConfig\":{\"temperature\":0},\"messages\":["
                    + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]},"
                    + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"}]},"
                    + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
                    + "{\"type\":\"text\",\"text\":\"b\"}]}]}"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"inlineData\":{\"data\":\"AA\"}}]}]}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"a\",\"thought\":true}]}]}",
        "{\"contents\":[{\"role\":\"function\",\"parts\":[{\"text\":\"a\"}]}]}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[]}]}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":7}]}]}",
        "{\"contents\":[]}",
        "{\"contents\":\"Hi\"}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"a\"}]}],\"messages\":[]}"
      })
  void aGeminiCallThatIsNotATextConversationHasNoView(String body) {
    assertThat(SemanticBodies.gemini(json(body))).isNull();
  }

  @Test
  void converseContentBlocksBecomeTextParts() {
    JsonNode view =
        SemanticBodies.converse(
            json(
                "{\"system\":[{\"text\":\"Be brief.\"}],\"messages\":[{\"role\":\"user\","
                    + "\"content\":[{\"text\":\"Hi\"}]}],\"inferenceConfig\":{\"maxTokens\":9}}"));
    assertThat(view)
        .isEqualTo(
            json(
                "{\"system\":[{\"text\":\"Be brief.\"}],\"inferenceConfig\":{\"maxTokens\":9},"
                    + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                    + "\"text\":\"Hi\"}]}]}"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"image\":{\"format\":\"png\"}}]}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"},{\"cachePoint\":{}}]}]}",
        "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"toolUse\":{\"name\":\"f\"}}]}]}",
        "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"a\"}]}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}",
        "{\"system\":[{\"text\":\"a\"}]}"
      })
  void aConverseCallThatIsNotATextConversationHasNoView(String body) {
    assertThat(SemanticBodies.converse(json(body))).isNull();
  }
}
