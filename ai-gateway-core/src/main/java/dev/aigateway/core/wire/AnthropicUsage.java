package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.Usage;
import dev.aigateway.core.tokens.TokenCounts;
import org.jspecify.annotations.Nullable;

/**
 * Reads usage, model and text from Anthropic Messages answers: one message document, or a stream's
 * events one by one ({@link StreamReader}, one per stream). Input tokens include the ones read from
 * and written to the prompt cache (see {@link AnthropicMessagesFormat}).
 */
final class AnthropicUsage {

  private AnthropicUsage() {}

  /** Reads a whole message: its model, usage and text. */
  static void readDocument(ResponseReadout readout, byte[] document, int from, int to) {
    JsonNode message = Json.parseOrNull(document, from, to - from);
    if (message == null || !message.isObject()) {
      return;
    }
    Counts counts = new Counts();
    boolean reported = counts.read(message.get("usage"));
    readout.learnUsage(message.path("model").textValue(), reported ? counts.usage() : null);
    JsonNode content = message.get("content");
    if (content != null && content.isArray()) {
      for (JsonNode block : content) {
        appendBlock(readout, block);
      }
    }
    readout.markComplete();
  }

  /**
   * The usage of a {@code usage} object, or null when it holds no token count: input = {@code
   * input_tokens} + {@code cache_creation_input_tokens} + {@code cache_read_input_tokens}.
   */
  static @Nullable Usage of(@Nullable JsonNode usage) {
    Counts counts = new Counts();
    return counts.read(usage) ? counts.usage() : null;
  }

  private static void appendBlock(ResponseReadout readout, JsonNode block) {
    String type = block.path("type").asText("");
    switch (type) {
      case "text" -> readout.appendText(block.path("text").asText(""));
      case "thinking" -> readout.appendText(block.path("thinking").asText(""));
      case "tool_use", "server_tool_use" -> {
        readout.appendText(block.path("name").asText(""));
        JsonNode input = block.get("input");
        if (input != null) {
          readout.appendText(input.toString());
        }
      }
      default -> {
        // redacted thinking, tool results of server tools: no text to estimate with
      }
    }
  }

  /** Anthropic's four counts, as last reported; -1 when not reported. */
  private static final class Counts {
    long input = -1;
    long output = -1;
    long cacheWrite = -1;
    long cacheRead = -1;

    /** Takes the counts {@code usage} reports; returns whether it reported any. */
    boolean read(@Nullable JsonNode usage) {
      if (usage == null || !usage.isObject()) {
        return false;
      }
      boolean any = false;
      long value;
      if ((value = count(usage, "input_tokens")) >= 0) {
        input = value;
        any = true;
      }
      if ((value = count(usage, "output_tokens")) >= 0) {
        output = value;
        any = true;
      }
      if ((value = count(usage, "cache_creation_input_tokens")) >= 0) {
        cacheWrite = value;
        any = true;
      }
      if ((value = count(usage, "cache_read_input_tokens")) >= 0) {
        cacheRead = value;
        any = true;
      }
      return any;
    }

    Usage usage() {
      long written = Math.max(cacheWrite, 0);
      long read = Math.max(cacheRead, 0);
      long in = TokenCounts.sum(TokenCounts.sum(Math.max(input, 0), written), read);
      long out = Math.max(output, 0);
      return new Usage(in, out, TokenCounts.sum(in, out), read, 0, written, 0, 0, 0);
    }

    private static long count(JsonNode usage, String name) {
      JsonNode value = usage.get(name);
      return value != null && value.isIntegralNumber() && value.canConvertToLong()
          ? Math.max(-1, value.longValue())
          : -1;
    }
  }

  /**
   * Reads one stream's events: remembers {@code message_start}'s model and counts, takes each
   * {@code message_delta}'s counts over them and learns the usage then, appends the text of each
   * delta, and marks the stream complete at {@code message_stop}. One per stream; called on the
   * reading thread only.
   */
  static final class StreamReader implements SseBody.EventReader {
    private final Counts counts = new Counts();
    private @Nullable String model;

    @Override
    public void read(ResponseReadout readout, byte[] data, int from, int to) {
      JsonNode event = Json.parseOrNull(data, from, to - from);
      if (event != null) {
        read(readout, event);
      }
    }

    /** Reads one event already parsed (Bedrock carries them inside its own stream's chunks). */
    void read(ResponseReadout readout, JsonNode event) {
      if (!event.isObject()) {
        return;
      }
      switch (event.path("type").asText("")) {
        case "message_start" -> {
          JsonNode message = event.path("message");
          model = message.path("model").textValue();
          counts.read(message.get("usage"));
          readout.learnUsage(model, null);
        }
        case "content_block_start" -> appendBlock(readout, event.path("content_block"));
        case "content_block_delta" -> {
          JsonNode delta = event.path("delta");
          switch (delta.path("type").asText("")) {
            case "text_delta" -> readout.appendText(delta.path("text").asText(""));
            case "input_json_delta" -> readout.appendText(delta.path("partial_json").asText(""));
            case "thinking_delta" -> readout.appendText(delta.path("thinking").asText(""));
            default -> {
              // signature_delta, citations_delta: nothing the model generated as text
            }
          }
        }
        case "message_delta" -> {
          if (counts.read(event.get("usage"))) {
            readout.learnUsage(model, counts.usage());
          }
        }
        case "message_stop" -> readout.markComplete();
        default -> {
          // ping, content_block_stop, error: nothing to learn
        }
      }
    }
  }
}
