package dev.aigateway.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.Operation;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SemanticPromptTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> IGNORED = Set.of("stream", "stream_options", "user");

  private static SemanticPrompt chat(String json, int last, int max, boolean ignoreSystem)
      throws Exception {
    return SemanticPrompt.of(
        Operation.CHAT_COMPLETIONS,
        (ObjectNode) JSON.readTree(json),
        last,
        max,
        ignoreSystem,
        IGNORED);
  }

  private static final String CONVERSATION =
      "{\"model\":\"m\",\"stream\":true,\"messages\":["
          + "{\"role\":\"system\",\"content\":\"Be brief.\"},"
          + "{\"role\":\"user\",\"content\":\"Hi\"},"
          + "{\"role\":\"assistant\",\"content\":\"Hello!\"},"
          + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Reset my\"},"
          + "{\"type\":\"text\",\"text\":\"password\"}]}]}";

  @Test
  void embedsTheLastMessageAndKeepsTheRestAsContext() throws Exception {
    SemanticPrompt prompt = chat(CONVERSATION, 1, 10, true);

    assertThat(prompt.text()).isEqualTo("Reset my\npassword");
    assertThat(prompt.context().path("messages")).hasSize(3);
    assertThat(prompt.context().has("stream")).isFalse();
    assertThat(prompt.context().path("model").asText()).isEqualTo("m");
  }

  @Test
  void embedsSeveralMessagesWithTheirRolesSkippingSystemMessages() throws Exception {
    SemanticPrompt prompt = chat(CONVERSATION, 3, 10, true);

    assertThat(prompt.text()).isEqualTo("user: Hi\nassistant: Hello!\nuser: Reset my\npassword");
    assertThat(prompt.context().path("messages")).hasSize(1);
  }

  @Test
  void systemMessagesCanBeEmbeddedToo() throws Exception {
    assertThat(chat(CONVERSATION, 4, 10, false).text()).startsWith("system: Be brief.");
  }

  @Test
  void longConversationsImagesAndToolTrafficAreNotForTheSemanticCache() throws Exception {
    assertThat(chat(CONVERSATION, 1, 3, true)).isNull();
    assertThat(
            chat(
                "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                    + "\"image_url\":{\"url\":\"x\"}}]}]}",
                1,
                10,
                true))
        .isNull();
    assertThat(
            chat(
                "{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"1\",\"content\":\"x\"}]}",
                1,
                10,
                true))
        .isNull();
    assertThat(chat("{\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}", 1, 10, true))
        .isNull();
    assertThat(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"  \"}]}", 1, 10, true))
        .isNull();
  }

  @Test
  void completionPromptsAndResponsesInputsAreEmbedded() throws Exception {
    SemanticPrompt completion =
        SemanticPrompt.of(
            Operation.COMPLETIONS,
            (ObjectNode) JSON.readTree("{\"model\":\"m\",\"prompt\":[\"Say hi\"]}"),
            1,
            10,
            true,
            IGNORED);
    SemanticPrompt responses =
        SemanticPrompt.of(
            Operation.RESPONSES,
            (ObjectNode)
                JSON.readTree("{\"model\":\"m\",\"instructions\":\"x\",\"input\":\"Say hi\"}"),
            1,
            10,
            true,
            IGNORED);

    assertThat(completion.text()).isEqualTo("Say hi");
    assertThat(responses.text()).isEqualTo("Say hi");
    assertThat(responses.context().path("instructions").asText()).isEqualTo("x");
    assertThat(
            SemanticPrompt.of(
                Operation.EMBEDDINGS,
                (ObjectNode) JSON.readTree("{\"input\":\"x\"}"),
                1,
                10,
                true,
                IGNORED))
        .isNull();
  }
}
