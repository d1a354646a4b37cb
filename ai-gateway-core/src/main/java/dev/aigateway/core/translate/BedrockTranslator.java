package dev.aigateway.core.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.wire.EventStreamDecoder;
import dev.aigateway.core.wire.EventStreamMessage;
import dev.aigateway.core.wire.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * OpenAI chat completions to Amazon Bedrock Converse ({@code /model/{modelId}/converse}, {@code
 * /converse-stream}) and back: system and developer messages become {@code system}, the turns
 * {@code messages} of content blocks (text, {@code image} bytes, {@code toolUse}, {@code
 * toolResult}), function tools {@code toolConfig}, the sampling options {@code inferenceConfig};
 * answers, the binary event stream (decoded as it arrives), usage and errors come back in OpenAI's
 * shapes. The backend's signer signs the translated request.
 */
final class BedrockTranslator extends Translator {

  private static final Map<String, String> IMAGE_FORMATS =
      Map.of("image/png", "png", "image/jpeg", "jpeg", "image/gif", "gif", "image/webp", "webp");

  BedrockTranslator(Clock clock) {
    super(Target.BEDROCK, clock);
  }

  @Override
  public void check(ObjectNode openAiRequest) {
    convertible(ChatRequest.read(openAiRequest, Target.BEDROCK));
  }

  /**
   * Refuses what Converse would refuse: an image of a type it does not take, and tool calls or
   * results in a conversation that declares no tools (Converse requires its {@code toolConfig}
   * then).
   */
  private static void convertible(ChatRequest r) {
    for (int t = 0; t < r.turns.size(); t++) {
      for (ChatRequest.Part part : r.turns.get(t).parts()) {
        if ((part instanceof ChatRequest.ToolCall || part instanceof ChatRequest.ToolResult)
            && r.tools.isEmpty()) {
          throw ChatRequest.refused(
              "tools",
              "must list the functions the conversation's tool calls use: Amazon Bedrock Converse"
                  + " takes tool calls and results only with their tools");
        }
        if (part instanceof ChatRequest.Image image
            && !IMAGE_FORMATS.containsKey(image.mediaType())) {
          throw ChatRequest.refused(
              "messages",
              "holds an image of type '"
                  + image.mediaType()
                  + "', which Amazon Bedrock Converse does not take (png, jpeg, gif and webp)");
        }
      }
    }
  }

  @Override
  String url(Backend backend, String targetModel, boolean stream) {
    return backend.baseUrl()
        + "/model/"
        + URLEncoder.encode(targetModel, StandardCharsets.UTF_8).replace("+", "%20")
        + (stream ? "/converse-stream" : "/converse");
  }

  @Override
  ObjectNode requestBody(ChatRequest r, String targetModel) {
    convertible(r);
    ObjectNode body = Json.MAPPER.createObjectNode();
    ArrayNode messages = body.putArray("messages");
    for (ChatRequest.Turn turn : r.turns) {
      ObjectNode message = messages.addObject();
      message.put("role", turn.role());
      ArrayNode content = message.putArray("content");
      for (ChatRequest.Part part : turn.parts()) {
        block(content, part);
      }
    }
    if (!r.system.isEmpty()) {
      ArrayNode system = body.putArray("system");
      for (String text : r.system) {
        if (!text.isEmpty()) {
          system.addObject().put("text", text);
        }
      }
    }
    ObjectNode inference = Json.MAPPER.createObjectNode();
    if (r.maxTokens != null) {
      inference.put("maxTokens", r.maxTokens);
    }
    if (r.temperature != null) {
      inference.put("temperature", r.temperature);
    }
    if (r.topP != null) {
      inference.put("topP", r.topP);
    }
    if (!r.stop.isEmpty()) {
      ArrayNode stop = inference.putArray("stopSequences");
      r.stop.forEach(stop::add);
    }
    if (!inference.isEmpty()) {
      body.set("inferenceConfig", inference);
    }
    if (!r.tools.isEmpty()) {
      ObjectNode config = body.putObject("toolConfig");
      ArrayNode tools = config.putArray("tools");
      for (ChatRequest.Tool tool : r.tools) {
        ObjectNode spec = tools.addObject().putObject("toolSpec");
        spec.put("name", tool.name());
        if (tool.description() != null) {
          spec.put("description", tool.description());
        }
        spec.putObject("inputSchema").set("json", tool.parameters());
      }
      if (r.toolChoice != null) {
        ObjectNode choice = config.putObject("toolChoice");
        switch (r.toolChoice) {
          case "required" -> choice.putObject("any");
          case "function" -> choice.putObject("tool").put("name", r.toolName);
          default -> choice.putObject("auto");
        }
      }
    }
    return body;
  }

  private static void block(ArrayNode content, ChatRequest.Part part) {
    if (part instanceof ChatRequest.Text t) {
      if (!t.text().isEmpty()) {
        content.addObject().put("text", t.text());
      }
    } else if (part instanceof ChatRequest.Image image) {
      ObjectNode img = content.addObject().putObject("image");
      img.put("format", IMAGE_FORMATS.get(image.mediaType()));
      img.putObject("source").put("bytes", image.data());
    } else if (part instanceof ChatRequest.ToolCall call) {
      content
          .addObject()
          .putObject("toolUse")
          .put("toolUseId", call.id())
          .put("name", call.name())
          .set("input", call.arguments());
    } else if (part instanceof ChatRequest.ToolResult result) {
      ObjectNode r = content.addObject().putObject("toolResult");
      r.put("toolUseId", result.callId());
      r.putArray("content").addObject().put("text", result.content());
    }
  }

  static String finishReason(@Nullable String stopReason) {
    if (stopReason == null) {
      return "stop";
    }
    return switch (stopReason) {
      case "max_tokens", "model_context_window_exceeded" -> "length";
      case "tool_use" -> "tool_calls";
      case "guardrail_intervened", "content_filtered" -> "content_filter";
      default -> "stop"; // end_turn, stop_sequence
    };
  }

  /** Bedrock's usage in OpenAI's terms: its input excludes the cache's reads and writes. */
  static @Nullable ChatUsage usage(@Nullable JsonNode usage) {
    if (usage == null || !usage.isObject()) {
      return null;
    }
    long read = count(usage.get("cacheReadInputTokens"));
    long prompt =
        count(usage.get("inputTokens")) + read + count(usage.get("cacheWriteInputTokens"));
    long output = count(usage.get("outputTokens"));
    return ChatUsage.of(
        prompt, output, Math.max(count(usage.get("totalTokens")), prompt + output), read, 0);
  }

  @Override
  ChatAnswer answer(JsonNode doc, Context context) {
    ChatAnswer answer = new ChatAnswer();
    answer.id = context.fallbackId();
    answer.model = context.model();
    for (JsonNode block : doc.path("output").path("message").path("content")) {
      if (block.has("text")) {
        answer.text.append(block.get("text").asText(""));
      } else if (block.has("toolUse")) {
        JsonNode use = block.get("toolUse");
        answer.calls.add(
            new ChatAnswer.Call(
                use.path("toolUseId").asText(),
                use.path("name").asText(),
                ChatAnswer.compact(
                    use.has("input") ? use.get("input") : Json.MAPPER.createObjectNode())));
      }
    }
    answer.finishReason = finishReason(text(doc.get("stopReason")));
    answer.usage = usage(doc.get("usage"));
    return answer;
  }

  @Override
  BackendError error(@Nullable JsonNode body, Function<String, @Nullable String> headers) {
    String type = headers.apply("x-amzn-ErrorType");
    if (type != null && type.indexOf(':') > 0) {
      type = type.substring(0, type.indexOf(':'));
    }
    String message =
        body == null ? null : text(body.has("message") ? body.get("message") : body.get("Message"));
    return new BackendError(message, type);
  }

  @Override
  StreamDecoder decoder(ChunkWriter chunks, Context context) {
    return new Decoder(chunks);
  }

  /** ConverseStream's binary event stream, message by message, to OpenAI chunks. */
  private final class Decoder implements StreamDecoder {
    private final ChunkWriter chunks;
    private final EventStreamDecoder messages = new EventStreamDecoder(this::message);

    /** Converse's content block index to the OpenAI tool call index, for toolUse blocks. */
    private final Map<Integer, Integer> toolIndex = new HashMap<>();

    private boolean stopped;

    Decoder(ChunkWriter chunks) {
      this.chunks = chunks;
    }

    @Override
    public void feed(byte[] bytes, int from, int length) {
      messages.feed(bytes, from, length);
      if (messages.corrupt()) {
        throw new IllegalStateException(
            "the Bedrock event stream is corrupt: " + messages.corruption());
      }
    }

    @Override
    public void end() {
      // A stream cut before messageStop gets no [DONE], as a truncated stream.
      if (stopped && !chunks.isDone()) {
        chunks.done();
      }
    }

    private void message(EventStreamMessage message) {
      if (chunks.isDone()) {
        return;
      }
      byte[] payload = message.payload();
      JsonNode event = Json.parseOrNull(payload, 0, payload.length);
      if (message.isException()) {
        String type = message.exceptionType() != null ? message.exceptionType() : "error";
        int status = type.toLowerCase(java.util.Locale.ROOT).contains("throttl") ? 429 : 500;
        chunks.error(
            errorBody(
                status, payload, name -> "x-amzn-ErrorType".equalsIgnoreCase(name) ? type : null));
        return;
      }
      if (event == null || message.eventType() == null) {
        return;
      }
      switch (message.eventType()) {
        case "messageStart" -> chunks.start();
        case "contentBlockStart" -> {
          JsonNode use = event.path("start").path("toolUse");
          if (use.isObject()) {
            toolIndex.put(
                event.path("contentBlockIndex").asInt(),
                chunks.toolCall(use.path("toolUseId").asText(), use.path("name").asText(), ""));
          }
        }
        case "contentBlockDelta" -> {
          JsonNode delta = event.path("delta");
          if (delta.has("text")) {
            chunks.text(delta.get("text").asText(""));
          } else if (delta.has("toolUse")) {
            Integer index = toolIndex.get(event.path("contentBlockIndex").asInt());
            if (index != null) {
              chunks.toolArguments(index, delta.path("toolUse").path("input").asText(""));
            }
          }
        }
        case "messageStop" -> {
          stopped = true;
          chunks.finish(finishReason(text(event.get("stopReason"))));
        }
        case "metadata" -> {
          ChatUsage usage = usage(event.get("usage"));
          if (usage != null) {
            chunks.usage(usage);
          }
          if (stopped) {
            chunks.done();
          }
        }
        default -> {}
      }
    }
  }
}
