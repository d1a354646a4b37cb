package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.Operation;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class OpenAiReplayTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static CachedResponse stored(CachedResponse.Format format, String body) {
    return new CachedResponse(
        format, body.getBytes(StandardCharsets.UTF_8), "gpt-4o", Usage.of(10, 5), Instant.EPOCH);
  }

  private static String text(Replayed replayed) {
    return new String(replayed.body(), StandardCharsets.UTF_8);
  }

  private static final String TOOL_CALL_DOCUMENT =
      "{\"id\":\"c1\",\"object\":\"chat.completion\","
          + "\"created\":7,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
          + "\"assistant\",\"content\":null,\"refusal\":null,\"tool_calls\":[{\"id\":\"call_1\","
          + "\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":"
          + "\"{\\\"city\\\":\\\"Oslo\\\"}\"}}]},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}],"
          + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15},"
          + "\"system_fingerprint\":\"fp\"}";

  @Test
  void toolCallsSurviveJsonToStreamToJson() throws Exception {
    Replayed stream =
        OpenAiReplay.replay(
            stored(CachedResponse.Format.JSON, TOOL_CALL_DOCUMENT),
            Operation.CHAT_COMPLETIONS,
            true,
            true);
    assertThat(stream.contentType()).startsWith("text/event-stream");

    Replayed back =
        OpenAiReplay.replay(
            stored(CachedResponse.Format.SSE, text(stream)),
            Operation.CHAT_COMPLETIONS,
            false,
            false);

    assertThat(JSON.readTree(back.body())).isEqualTo(JSON.readTree(TOOL_CALL_DOCUMENT));
  }

  private static final String SAFE =
      "{\"hate\":{\"filtered\":false,\"severity\":\"safe\"},"
          + "\"violence\":{\"filtered\":false,\"severity\":\"safe\"}}";

  private static final String LOW_VIOLENCE =
      "{\"hate\":{\"filtered\":false,\"severity\":\"safe\"},"
          + "\"violence\":{\"filtered\":false,\"severity\":\"low\"}}";

  /** An Azure OpenAI answer: prompt filter results, and each choice's content filter results. */
  private static final String AZURE_DOCUMENT =
      "{\"id\":\"chatcmpl-A\",\"object\":\"chat.completion\",\"created\":1733,"
          + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
          + "\"assistant\",\"content\":\"Hello there\",\"refusal\":null},\"logprobs\":null,"
          + "\"finish_reason\":\"stop\",\"content_filter_results\":"
          + SAFE
          + "}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11},"
          + "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":"
          + SAFE
          + "}]}";

  /** An Azure OpenAI stream, its chunks' content filter results {@code second} the second's. */
  private static String azureStream(String second) {
    String head =
        "\"created\":1733,\"id\":\"chatcmpl-A\",\"model\":\"gpt-4o-2024-08-06\","
            + "\"object\":\"chat.completion.chunk\"";
    return "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
        + "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":"
        + SAFE
        + "}]}\n\n"
        + "data: {\"choices\":[{\"content_filter_results\":{},\"delta\":{\"content\":\"\","
        + "\"role\":\"assistant\"},\"finish_reason\":null,\"index\":0}],"
        + head
        + "}\n\n"
        + "data: {\"choices\":[{\"content_filter_results\":"
        + SAFE
        + ",\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null,\"index\":0}],"
        + head
        + "}\n\n"
        + "data: {\"choices\":[{\"content_filter_results\":"
        + second
        + ",\"delta\":{\"content\":\" there\"},\"finish_reason\":null,\"index\":0}],"
        + head
        + "}\n\n"
        + "data: {\"choices\":[{\"content_filter_results\":{},\"delta\":{},"
        + "\"finish_reason\":\"stop\",\"index\":0}],"
        + head
        + "}\n\n"
        + "data: {\"choices\":[],"
        + head
        + ",\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n\n"
        + "data: [DONE]\n\n";
  }

  @Test
  void anAzureStreamAnsweringAJsonCallKeepsItsFilterResults() throws Exception {
    Replayed back =
        OpenAiReplay.replay(
            stored(CachedResponse.Format.SSE, azureStream(SAFE)),
            Operation.CHAT_COMPLETIONS,
            false,
            false);

    JsonNode document = JSON.readTree(back.body());
    assertThat(document.path("prompt_filter_results"))
        .isEqualTo(JSON.readTree(AZURE_DOCUMENT).path("prompt_filter_results"));
    assertThat(document.at("/choices/0/content_filter_results")).isEqualTo(JSON.readTree(SAFE));
    assertThat(document.at("/choices/0/message/content").asText()).isEqualTo("Hello there");
  }

  @Test
  void anAzureStreamWhoseChunksWereFilteredDifferentlyIsNotMadeOneJsonAnswer() {
    // One set of results for the whole answer would say what Azure never said of it.
    assertThat(
            OpenAiReplay.replay(
                stored(CachedResponse.Format.SSE, azureStream(LOW_VIOLENCE)),
                Operation.CHAT_COMPLETIONS,
                false,
                false))
        .isNull();
  }

  @Test
  void anAzureJsonAnswerReplayedAsAStreamKeepsItsFilterResults() throws Exception {
    Replayed stream =
        OpenAiReplay.replay(
            stored(CachedResponse.Format.JSON, AZURE_DOCUMENT),
            Operation.CHAT_COMPLETIONS,
            true,
            true);
    JsonNode promptResults = null;
    JsonNode contentResults = null;
    for (String data : OpenAiReplay.dataOf(stream.body())) {
      JsonNode chunk = JSON.readTree(data);
      if (chunk.has("prompt_filter_results")) {
        promptResults = chunk.get("prompt_filter_results");
      }
      JsonNode choice = chunk.path("choices").path(0);
      if (choice.path("delta").path("content").asText().equals("Hello there")) {
        contentResults = choice.get("content_filter_results");
      }
    }
    assertThat(promptResults)
        .isEqualTo(JSON.readTree(AZURE_DOCUMENT).path("prompt_filter_results"));
    assertThat(contentResults).isEqualTo(JSON.readTree(SAFE));

    Replayed back =
        OpenAiReplay.replay(
            stored(CachedResponse.Format.SSE, text(stream)),
            Operation.CHAT_COMPLETIONS,
            false,
            false);
    assertThat(JSON.readTree(back.body())).isEqualTo(JSON.readTree(AZURE_DOCUMENT));
  }

  @Test
  void streamedToolCallArgumentsAreJoined() throws Exception {
    String stream =
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
            + "\"tool_calls\":[{\"index\":0,\"id\":\"call_9\",\"type\":\"function\",\"function\":"
            + "{\"name\":\"f\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n"
            + "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
            + "\"function\":{\"arguments\":\"{\\\"a\\\":\"}}]},\"finish_reason\":null}]}\n\n"
            + "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
            + "\"function\":{\"arguments\":\"1}\"}}]},\"finish_reason\":null}]}\n\n"
            + "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":"
            + "\"tool_calls\"}]}\n\n"
            + "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
            + "\"completion_tokens\":4,\"total_tokens\":7}}\n\ndata: [DONE]\n\n";

    JsonNode document =
        JSON.readTree(
            OpenAiReplay.replay(
                    stored(CachedResponse.Format.SSE, stream),
                    Operation.CHAT_COMPLETIONS,
                    false,
                    false)
                .body());

    JsonNode call = document.at("/choices/0/message/tool_calls/0");
    assertThat(call.path("id").asText()).isEqualTo("call_9");
    assertThat(call.at("/function/name").asText()).isEqualTo("f");
    assertThat(call.at("/function/arguments").asText()).isEqualTo("{\"a\":1}");
    assertThat(document.at("/choices/0/message/content").isNull()).isTrue();
    assertThat(document.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
  }

  @Test
  void severalChoicesKeepTheirIndexes() throws Exception {
    String document =
        "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"A\","
            + "\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"},{\"index\":1,"
            + "\"message\":{\"role\":\"assistant\",\"content\":\"B\",\"refusal\":null},\"logprobs\":"
            + "null,\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":1,"
            + "\"completion_tokens\":2,\"total_tokens\":3}}";

    assertStreamedAndAssembledUnchanged(document);
  }

  @Test
  void aRefusalStreamedAndAssembledAgainHasNullContentAsTheBackendSendsIt() throws Exception {
    // OpenAI answers a refusal with content null: an SDK would read "" as text that is there
    String document =
        "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,"
            + "\"refusal\":\"I can't help with that.\"},\"logprobs\":null,\"finish_reason\":"
            + "\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
            + "\"total_tokens\":3}}";

    assertStreamedAndAssembledUnchanged(document);
  }

  /** A chat document replayed as a stream, and that stream assembled again, is the document. */
  private static void assertStreamedAndAssembledUnchanged(String document) throws Exception {
    Replayed stream =
        OpenAiReplay.replay(
            stored(CachedResponse.Format.JSON, document), Operation.CHAT_COMPLETIONS, true, true);
    Replayed back =
        OpenAiReplay.replay(
            stored(CachedResponse.Format.SSE, text(stream)),
            Operation.CHAT_COMPLETIONS,
            false,
            false);

    assertThat(JSON.readTree(back.body())).isEqualTo(JSON.readTree(document));
  }

  @Test
  void textCompletionsConvertBothWays() throws Exception {
    String document =
        "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,"
            + "\"model\":\"gpt-3.5-turbo-instruct\",\"choices\":[{\"index\":0,\"text\":\"Once upon\","
            + "\"logprobs\":null,\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":3,"
            + "\"completion_tokens\":2,\"total_tokens\":5}}";

    Replayed stream =
        OpenAiReplay.replay(
            stored(CachedResponse.Format.JSON, document), Operation.COMPLETIONS, true, false);
    assertThat(text(stream)).contains("\"text\":\"Once upon\"").doesNotContain("usage");
    Replayed withUsage =
        OpenAiReplay.replay(
            stored(CachedResponse.Format.JSON, document), Operation.COMPLETIONS, true, true);
    JsonNode back =
        JSON.readTree(
            OpenAiReplay.replay(
                    stored(CachedResponse.Format.SSE, text(withUsage)),
                    Operation.COMPLETIONS,
                    false,
                    false)
                .body());

    assertThat(back.at("/choices/0/text").asText()).isEqualTo("Once upon");
    assertThat(back.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    assertThat(back.path("object").asText()).isEqualTo("text_completion");
    assertThat(back.at("/usage/total_tokens").asInt()).isEqualTo(5);
  }

  @Test
  void formsThatCannotConvertAreNotServed() {
    CachedResponse responsesStream =
        stored(
            CachedResponse.Format.SSE,
            "event: response.completed\ndata: {\"type\":\"response.completed\"}\n\n");

    assertThat(OpenAiReplay.replay(responsesStream, Operation.RESPONSES, false, false)).isNull();
    assertThat(
            OpenAiReplay.replay(
                stored(CachedResponse.Format.JSON, "{}"), Operation.EMBEDDINGS, true, false))
        .isNull();
    assertThat(
            OpenAiReplay.replay(
                stored(CachedResponse.Format.JSON, "not json"),
                Operation.CHAT_COMPLETIONS,
                true,
                false))
        .isNull();
  }

  @Test
  void aStoredStreamWithoutUsageCannotAnswerAJsonCallWhoseAnswerHasUsage() {
    String withoutUsage =
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
            + "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

    assertThat(
            OpenAiReplay.replay(
                stored(CachedResponse.Format.SSE, withoutUsage),
                Operation.CHAT_COMPLETIONS,
                false,
                false))
        .as("a miss: the backend's JSON answer reports its usage")
        .isNull();
  }

  @Test
  void aStoredStreamWithoutUsageCannotAnswerACallThatAsksForIt() {
    String chunk =
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
            + "\"finish_reason\":\"stop\"}]%U}\n\n";
    String withoutUsage = chunk.replace("%U", "") + "data: [DONE]\n\n";
    String withUsage =
        chunk.replace("%U", ",\"usage\":null")
            + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
            + "\"completion_tokens\":1,\"total_tokens\":4}}\n\ndata: [DONE]\n\n";

    assertThat(
            OpenAiReplay.replay(
                stored(CachedResponse.Format.SSE, withoutUsage),
                Operation.CHAT_COMPLETIONS,
                true,
                true))
        .as("a miss: the backend sends the usage chunk asked for")
        .isNull();
    assertThat(
            text(
                OpenAiReplay.replay(
                    stored(CachedResponse.Format.SSE, withoutUsage),
                    Operation.CHAT_COMPLETIONS,
                    true,
                    false)))
        .isEqualTo(withoutUsage);
    assertThat(
            text(
                OpenAiReplay.replay(
                    stored(CachedResponse.Format.SSE, withUsage),
                    Operation.CHAT_COMPLETIONS,
                    true,
                    true)))
        .isEqualTo(withUsage);
  }

  @Test
  void sameFormReplaysTheStoredBytes() {
    String stream = "event: response.output_text.delta\ndata: {\"delta\":\"x\"}\n\n";
    CachedResponse cached = stored(CachedResponse.Format.SSE, stream);

    assertThat(text(OpenAiReplay.replay(cached, Operation.RESPONSES, true, false)))
        .isEqualTo(stream);
  }

  @Test
  void dataLinesAreJoinedAndDoneIsLeftOut() {
    byte[] stream =
        "data: {\"a\":\r\ndata: 1}\r\n\r\n: comment\n\ndata: [DONE]\n\n"
            .getBytes(StandardCharsets.UTF_8);

    assertThat(OpenAiReplay.dataOf(stream)).containsExactly("{\"a\":\n1}");
  }
}
