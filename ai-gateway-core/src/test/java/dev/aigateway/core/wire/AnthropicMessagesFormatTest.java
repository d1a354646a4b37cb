package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.testing.AnthropicBodies;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What the Anthropic Messages format reads from answers, and what it writes. */
class AnthropicMessagesFormatTest {

  private static final AnthropicMessagesFormat FORMAT = AnthropicMessagesFormat.INSTANCE;

  /** A tool-use answer as Anthropic's tool-use guide shows it. */
  private static final String TOOL_USE_STREAM =
      "event: message_start\n"
          + "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_014p7gG3wDgGV9EUtLvnow3U\","
          + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-opus-4-1\",\"content\":[],"
          + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":472,"
          + "\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":2000,\"output_tokens\":2}}}\n"
          + "\n"
          + "event: content_block_start\n"
          + "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
          + "\"text\":\"\"}}\n\n"
          + "event: content_block_delta\n"
          + "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
          + "\"text\":\"Okay, let's check.\"}}\n\n"
          + "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
          + "event: content_block_start\n"
          + "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
          + "\"id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\",\"name\":\"get_weather\",\"input\":{}}}\n\n"
          + "event: content_block_delta\n"
          + "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
          + "\"partial_json\":\"{\\\"location\\\":\"}}\n\n"
          + "event: content_block_delta\n"
          + "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
          + "\"partial_json\":\" \\\"San Francisco, CA\\\"}\"}}\n\n"
          + "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
          + "event: message_delta\n"
          + "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\","
          + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}\n\n"
          + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

  private static RecordingBodyListener.End readStream(String stream) throws IOException {
    RecordingBodyListener listener = new RecordingBodyListener();
    try (InputStream body =
        FORMAT.observeStream(
            new ByteArrayInputStream(stream.getBytes(UTF_8)), listener, () -> false, false)) {
      assertThat(new String(body.readAllBytes(), UTF_8)).isEqualTo(stream);
    }
    return listener.onlyEnd();
  }

  private static RecordingBodyListener.End readDocument(String document) throws IOException {
    RecordingBodyListener listener = new RecordingBodyListener();
    try (InputStream body =
        FORMAT.observeDocument(
            new ByteArrayInputStream(document.getBytes(UTF_8)), listener, () -> false, 1 << 20)) {
      body.readAllBytes();
    }
    return listener.onlyEnd();
  }

  private static CachedResponse cached(CachedResponse.Format format, String body) {
    return new CachedResponse(format, body.getBytes(UTF_8), null, Usage.ZERO, Instant.EPOCH);
  }

  @Test
  void aStreamsUsageIsItsStartInputWithCacheCountsAndItsDeltaOutput() throws IOException {
    RecordingBodyListener.End end = readStream(TOOL_USE_STREAM);

    assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(end.facts().model()).isEqualTo("claude-opus-4-1");
    assertThat(end.facts().usage()).isEqualTo(new Usage(2_572, 89, 2_661, 2_000, 0, 100, 0, 0, 0));
  }

  @Test
  void countsAMessageDeltaReportsAgainWinOverTheStartsOnes() throws IOException {
    String stream =
        AnthropicBodies.stream(25, 15, "Hi")
            .replace(
                "\"usage\":{\"output_tokens\":15}",
                "\"usage\":{\"input_tokens\":30,\"cache_read_input_tokens\":5,\"output_tokens\":15}");

    assertThat(readStream(stream).facts().usage())
        .isEqualTo(new Usage(35, 15, 50, 5, 0, 0, 0, 0, 0));
  }

  @Test
  void aStreamEndingInAnErrorEventIsNotComplete() throws IOException {
    String stream =
        "event: message_start\n"
            + "data: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\","
            + "\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
            + "event: error\n"
            + "data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
            + "\"message\":\"Overloaded\"}}\n\n";

    RecordingBodyListener.End end = readStream(stream);

    assertThat(end.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(end.facts().usage()).as("no message_delta: settled on an estimate").isNull();
  }

  @Test
  void aMessageDocumentsUsageModelAndText() throws IOException {
    RecordingBodyListener.End end =
        readDocument(AnthropicBodies.message("Hi! My name is Claude.", 2095, 503));

    assertThat(end.facts().usage()).isEqualTo(Usage.of(2095, 503));
    assertThat(end.facts().model()).isEqualTo("claude-sonnet-4-5-20250929");
    assertThat(end.facts().complete()).isTrue();
  }

  @Test
  void errorsAreInAnthropicsShapeWithItsErrorTypes() throws IOException {
    JsonNode error =
        Json.MAPPER.readTree(
            FORMAT.errorBody(
                new LocalError(RejectionReason.NO_BACKEND_AVAILABLE, "none left", null, null)));

    assertThat(error.toString())
        .isEqualTo(
            "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"none left\"}}");
    assertThat(
            Json.MAPPER
                .readTree(
                    FORMAT.errorBody(
                        new LocalError(RejectionReason.MODEL_NOT_FOUND, "no such", "model", null)))
                .at("/error/type")
                .asText())
        .isEqualTo("not_found_error");
  }

  @Test
  void aToolUseStreamIsAssembledIntoTheMessageAnthropicWouldHaveAnswered() throws IOException {
    Replayed replayed =
        FORMAT.replay(cached(CachedResponse.Format.SSE, TOOL_USE_STREAM), false, false);

    JsonNode message = Json.MAPPER.readTree(replayed.body());
    assertThat(replayed.contentType()).isEqualTo("application/json");
    assertThat(message.get("stop_reason").asText()).isEqualTo("tool_use");
    assertThat(message.at("/content/0/text").asText()).isEqualTo("Okay, let's check.");
    assertThat(message.at("/content/1/name").asText()).isEqualTo("get_weather");
    assertThat(message.at("/content/1/input/location").asText()).isEqualTo("San Francisco, CA");
    assertThat(message.at("/usage/input_tokens").asLong()).isEqualTo(472);
    assertThat(message.at("/usage/cache_read_input_tokens").asLong()).isEqualTo(2000);
    assertThat(message.at("/usage/output_tokens").asLong()).isEqualTo(89);
  }

  @Test
  void aMessageTurnedIntoAStreamAndBackIsTheSameMessageAndReadsTheSameUsage() throws IOException {
    String document =
        Json.MAPPER.writeValueAsString(AnthropicReplay.toMessage(TOOL_USE_STREAM.getBytes(UTF_8)));

    Replayed stream = FORMAT.replay(cached(CachedResponse.Format.JSON, document), true, false);
    ObjectNode back = AnthropicReplay.toMessage(stream.body());

    assertThat(back).isEqualTo(Json.MAPPER.readTree(document));
    assertThat(readStream(new String(stream.body(), UTF_8)).facts().usage())
        .isEqualTo(readDocument(document).facts().usage());
  }

  @Test
  void aMessageWithCitationsTurnedIntoAStreamKeepsThem() throws IOException {
    // An answer grounded in documents cites them per text block; Anthropic streams each citation
    // as a citations_delta of the block.
    String document =
        "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
            + "\"claude-sonnet-4-5\",\"content\":[{\"type\":\"text\",\"text\":\"According to "
            + "the document, \"},{\"type\":\"text\",\"text\":\"the grass is green\",\"citations\":"
            + "[{\"type\":\"char_location\",\"cited_text\":\"The grass is green.\","
            + "\"document_index\":0,\"document_title\":\"Example\",\"start_char_index\":0,"
            + "\"end_char_index\":20}]}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
            + "\"usage\":{\"input_tokens\":610,\"output_tokens\":12}}";

    Replayed stream = FORMAT.replay(cached(CachedResponse.Format.JSON, document), true, false);

    assertThat(new String(stream.body(), UTF_8)).contains("\"type\":\"citations_delta\"");
    assertThat(AnthropicReplay.toMessage(stream.body())).isEqualTo(Json.MAPPER.readTree(document));
  }

  @Test
  void aStreamThatNeverStoppedIsNotTurnedIntoAMessage() {
    String cut = TOOL_USE_STREAM.substring(0, TOOL_USE_STREAM.indexOf("event: message_stop"));

    assertThat(FORMAT.replay(cached(CachedResponse.Format.SSE, cut), false, false)).isNull();
  }

  @Test
  void aLongStreamOfThinkingAndTextDeltasIsAssembledWhole() throws IOException {
    StringBuilder stream = new StringBuilder();
    event(
        stream,
        "message_start",
        "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
            + "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],"
            + "\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}");
    event(
        stream,
        "content_block_start",
        "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
            + "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}");
    StringBuilder thinking = new StringBuilder();
    for (int i = 0; i < 500; i++) {
      thinking.append("step ").append(i).append(". ");
      event(
          stream,
          "content_block_delta",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
              + "\"thinking_delta\",\"thinking\":\"step "
              + i
              + ". \"}}");
    }
    event(
        stream,
        "content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
            + "\"signature_delta\",\"signature\":\"sig-A\"}}");
    event(
        stream,
        "content_block_start",
        "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
            + "{\"type\":\"text\",\"text\":\"Answer:\"}}");
    StringBuilder text = new StringBuilder("Answer:");
    for (int i = 0; i < 5_000; i++) {
      text.append(" w").append(i);
      event(
          stream,
          "content_block_delta",
          "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
              + "\"text_delta\",\"text\":\" w"
              + i
              + "\"}}");
    }
    event(
        stream,
        "message_delta",
        "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
            + "\"usage\":{\"output_tokens\":9000}}");
    event(stream, "message_stop", "{\"type\":\"message_stop\"}");

    ObjectNode message = AnthropicReplay.toMessage(stream.toString().getBytes(UTF_8));

    assertThat(message).isNotNull();
    assertThat(message.at("/content/0/thinking").asText()).isEqualTo(thinking.toString());
    assertThat(message.at("/content/0/signature").asText()).isEqualTo("sig-A");
    assertThat(message.at("/content/1/text").asText()).isEqualTo(text.toString());
    assertThat(message.at("/stop_reason").asText()).isEqualTo("end_turn");
    assertThat(message.at("/usage/output_tokens").asLong()).isEqualTo(9000);
  }

  private static void event(StringBuilder stream, String name, String data) {
    stream.append("event: ").append(name).append("\ndata: ").append(data).append("\n\n");
  }
}
