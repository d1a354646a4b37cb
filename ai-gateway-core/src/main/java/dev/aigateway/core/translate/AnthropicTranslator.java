package dev.aigateway.core.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.wire.Json;
import java.io.IOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * OpenAI chat completions to Anthropic Messages ({@code POST /v1/messages}) and back: the system
 * and developer messages become {@code system}, the turns {@code messages} of content blocks (text,
 * base64 or URL images, {@code tool_use}, {@code tool_result}), function tools {@code tools} with
 * their {@code input_schema}; answers, SSE events ({@code message_start}, {@code content_block_*},
 * {@code message_delta}, {@code message_stop}, {@code error}), usage and errors come back in
 * OpenAI's shapes.
 */
final class AnthropicTranslator extends Translator {

  /** The output allowance sent when the OpenAI request sets none: Anthropic requires one. */
  static final long DEFAULT_MAX_TOKENS = 4096;

  /** The {@code anthropic-version} sent when the backend pins none. */
  static final String DEFAULT_VERSION = "2023-06-01";

  AnthropicTranslator(Clock clock) {
    super(Target.ANTHROPIC, clock);
  }

  @Override
  String url(Backend backend, String targetModel, boolean stream) {
    String base = backend.baseUrl();
    return (base.endsWith("/v1") ? base : base + "/v1") + "/messages";
  }

  @Override
  Map<String, String> headers(Backend backend) {
    return Map.of(
        "anthropic-version", backend.apiVersion() != null ? backend.apiVersion() : DEFAULT_VERSION);
  }

  @Override
  ObjectNode requestBody(ChatRequest r, String targetModel) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("model", targetModel);
    body.put("max_tokens", r.maxTokens != null ? r.maxTokens : DEFAULT_MAX_TOKENS);
    if (!r.system.isEmpty()) {
      ArrayNode system = body.putArray("system");
      for (String text : r.system) {
        if (!text.isEmpty()) {
          system.addObject().put("type", "text").put("text", text);
        }
      }
      if (system.isEmpty()) {
        body.remove("system");
      }
    }
    ArrayNode messages = body.putArray("messages");
    for (ChatRequest.Turn turn : r.turns) {
      ObjectNode message = messages.addObject();
      message.put("role", turn.role());
      ArrayNode content = message.putArray("content");
      for (ChatRequest.Part part : turn.parts()) {
        block(content, part);
      }
    }
    if (r.stream) {
      body.put("stream", true);
    }
    if (r.temperature != null) {
      body.put("temperature", r.temperature);
    }
    if (r.topP != null) {
      body.put("top_p", r.topP);
    }
    if (!r.stop.isEmpty()) {
      ArrayNode stop = body.putArray("stop_sequences");
      r.stop.forEach(stop::add);
    }
    if (!r.tools.isEmpty()) {
      ArrayNode tools = body.putArray("tools");
      for (ChatRequest.Tool tool : r.tools) {
        ObjectNode t = tools.addObject();
        t.put("name", tool.name());
        if (tool.description() != null) {
          t.put("description", tool.description());
        }
        t.set("input_schema", tool.parameters());
      }
    }
    if (r.toolChoice != null || r.serialToolCalls) {
      ObjectNode choice = Json.MAPPER.createObjectNode();
      String type = r.toolChoice == null ? "auto" : r.toolChoice;
      switch (type) {
        case "required" -> choice.put("type", "any");
        case "function" -> choice.put("type", "tool").put("name", r.toolName);
        default -> choice.put("type", type);
      }
      if (r.serialToolCalls && !type.equals("none")) {
        choice.put("disable_parallel_tool_use", true);
      }
      if (!r.tools.isEmpty()) {
        body.set("tool_choice", choice);
      }
    }
    if (r.user != null) {
      body.putObject("metadata").put("user_id", r.user);
    }
    return body;
  }

  private static void block(ArrayNode content, ChatRequest.Part part) {
    if (part instanceof ChatRequest.Text t) {
      if (!t.text().isEmpty()) {
        content.addObject().put("type", "text").put("text", t.text());
      }
    } else if (part instanceof ChatRequest.Image image) {
      ObjectNode source = content.addObject().put("type", "image").putObject("source");
      if (image.url() != null) {
        source.put("type", "url").put("url", image.url());
      } else {
        source.put("type", "base64").put("media_type", image.mediaType()).put("data", image.data());
      }
    } else if (part instanceof ChatRequest.ToolCall call) {
      content
          .addObject()
          .put("type", "tool_use")
          .put("id", call.id())
          .put("name", call.name())
          .set("input", call.arguments());
    } else if (part instanceof ChatRequest.ToolResult result) {
      content
          .addObject()
          .put("type", "tool_result")
          .put("tool_use_id", result.callId())
          .put("content", result.content());
    }
  }

  static String finishReason(@Nullable String stopReason) {
    if (stopReason == null) {
      return "stop";
    }
    return switch (stopReason) {
      case "max_tokens", "model_context_window_exceeded" -> "length";
      case "tool_use" -> "tool_calls";
      case "refusal" -> "content_filter";
      default -> "stop"; // end_turn, stop_sequence, pause_turn
    };
  }

  /** Anthropic's usage in OpenAI's terms: its input excludes the cache's reads and writes. */
  static ChatUsage usage(long input, long output, long cacheWrite, long cacheRead) {
    long prompt = input + cacheWrite + cacheRead;
    return ChatUsage.of(prompt, output, prompt + output, cacheRead, 0);
  }

  @Override
  ChatAnswer answer(JsonNode doc, Context context) {
    ChatAnswer answer = new ChatAnswer();
    answer.id = orElse(text(doc.get("id")), context.fallbackId());
    answer.model = orElse(text(doc.get("model")), context.model());
    for (JsonNode block : doc.path("content")) {
      switch (block.path("type").asText()) {
        case "text" -> answer.text.append(block.path("text").asText(""));
        case "tool_use" ->
            answer.calls.add(
                new ChatAnswer.Call(
                    block.path("id").asText(),
                    block.path("name").asText(),
                    ChatAnswer.compact(
                        block.has("input") ? block.get("input") : Json.MAPPER.createObjectNode())));
        default -> {} // thinking and server tool blocks have no OpenAI chat equivalent
      }
    }
    answer.finishReason = finishReason(text(doc.get("stop_reason")));
    JsonNode usage = doc.get("usage");
    if (usage != null && usage.isObject()) {
      answer.usage =
          usage(
              count(usage.get("input_tokens")),
              count(usage.get("output_tokens")),
              count(usage.get("cache_creation_input_tokens")),
              count(usage.get("cache_read_input_tokens")));
    }
    return answer;
  }

  @Override
  BackendError error(@Nullable JsonNode body, Function<String, @Nullable String> headers) {
    JsonNode error = body == null ? null : body.get("error");
    return error == null
        ? new BackendError(null, null)
        : new BackendError(text(error.get("message")), text(error.get("type")));
  }

  @Override
  StreamDecoder decoder(ChunkWriter chunks, Context context) {
    return new Decoder(chunks);
  }

  private static String orElse(@Nullable String value, String fallback) {
    return value == null || value.isEmpty() ? fallback : value;
  }

  /** Anthropic's message stream, event by event, to OpenAI chunks. */
  private final class Decoder implements StreamDecoder {
    private final ChunkWriter chunks;
    private final SseEvents events = new SseEvents(this::event);

    /** Anthropic's content block index to the OpenAI tool call index, for tool_use blocks. */
    private final Map<Integer, Integer> toolIndex = new HashMap<>();

    private long input;
    private long cacheWrite;
    private long cacheRead;
    private long output;
    private boolean usageSeen;
    private @Nullable String stopReason;

    Decoder(ChunkWriter chunks) {
      this.chunks = chunks;
    }

    @Override
    public void feed(byte[] bytes, int from, int length) {
      events.feed(bytes, from, length);
    }

    @Override
    public void end() {
      events.end();
    }

    private void event(@Nullable String name, String data) {
      if (chunks.isDone()) {
        return;
      }
      JsonNode event;
      try {
        event = Json.MAPPER.readTree(data);
      } catch (IOException e) {
        throw new IllegalStateException("an Anthropic stream event is not JSON", e);
      }
      if (event == null) {
        return;
      }
      String type = event.path("type").asText(name == null ? "" : name);
      switch (type) {
        case "message_start" -> {
          JsonNode message = event.path("message");
          chunks.identify(text(message.get("id")), text(message.get("model")));
          readUsage(message.path("usage"));
          chunks.start();
        }
        case "content_block_start" -> {
          JsonNode block = event.path("content_block");
          int index = event.path("index").asInt();
          if ("tool_use".equals(block.path("type").asText())) {
            JsonNode input = block.get("input");
            String arguments =
                input == null || (input.isObject() && input.isEmpty())
                    ? ""
                    : ChatAnswer.compact(input);
            toolIndex.put(
                index,
                chunks.toolCall(block.path("id").asText(), block.path("name").asText(), arguments));
          } else if ("text".equals(block.path("type").asText())) {
            chunks.text(block.path("text").asText(""));
          }
        }
        case "content_block_delta" -> {
          JsonNode delta = event.path("delta");
          switch (delta.path("type").asText()) {
            case "text_delta" -> chunks.text(delta.path("text").asText(""));
            case "input_json_delta" -> {
              Integer index = toolIndex.get(event.path("index").asInt());
              if (index != null) {
                chunks.toolArguments(index, delta.path("partial_json").asText(""));
              }
            }
            default -> {} // thinking and signature deltas have no OpenAI chat equivalent
          }
        }
        case "message_delta" -> {
          String reason = text(event.path("delta").get("stop_reason"));
          if (reason != null) {
            stopReason = reason;
          }
          readUsage(event.path("usage"));
        }
        case "message_stop" -> {
          chunks.finish(finishReason(stopReason));
          if (usageSeen) {
            chunks.usage(usage(input, output, cacheWrite, cacheRead));
          }
          chunks.done();
        }
        case "error" -> {
          JsonNode error = event.path("error");
          String errorType = text(error.get("type"));
          int status = "overloaded_error".equals(errorType) ? 529 : 500;
          chunks.error(errorBody(status, ChatAnswer.bytes(event), header -> null));
        }
        default -> {} // ping, content_block_stop
      }
    }

    /** Counts in a usage object; later events repeat or raise earlier ones (they are totals). */
    private void readUsage(JsonNode usage) {
      if (!usage.isObject()) {
        return;
      }
      if (usage.has("input_tokens")) {
        input = count(usage.get("input_tokens"));
        usageSeen = true;
      }
      if (usage.has("cache_creation_input_tokens")) {
        cacheWrite = count(usage.get("cache_creation_input_tokens"));
      }
      if (usage.has("cache_read_input_tokens")) {
        cacheRead = count(usage.get("cache_read_input_tokens"));
      }
      if (usage.has("output_tokens")) {
        output = count(usage.get("output_tokens"));
        usageSeen = true;
      }
    }
  }
}
