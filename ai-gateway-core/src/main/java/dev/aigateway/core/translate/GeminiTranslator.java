package dev.aigateway.core.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.wire.Json;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * OpenAI chat completions to Google Gemini ({@code models/{model}:generateContent}, {@code
 * :streamGenerateContent?alt=sse}; on Vertex AI under {@code publishers/google/models}) and back:
 * system and developer messages become {@code systemInstruction}, the turns {@code contents}
 * ({@code user} and {@code model}) of parts (text, {@code inlineData} images, {@code functionCall},
 * {@code functionResponse}), function tools {@code functionDeclarations}, the sampling options
 * {@code generationConfig}; answers, streamed responses, {@code usageMetadata} and errors come back
 * in OpenAI's shapes. Gemini gives function calls no ids: the answer's tool calls get ids of the
 * gateway's ({@code call_...}), and a later tool message is matched to its function by that id.
 */
final class GeminiTranslator extends Translator {

  GeminiTranslator(Clock clock) {
    super(Target.GEMINI, clock);
  }

  @Override
  String url(Backend backend, String targetModel, boolean stream) {
    String method = stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
    String model = URLEncoder.encode(targetModel, StandardCharsets.UTF_8);
    String base = backend.baseUrl();
    if (backend.flavor() == BackendFlavor.VERTEX_AI) {
      return base + "/publishers/google/models/" + model + method;
    }
    String versioned = base.endsWith("/v1beta") || base.endsWith("/v1") ? base : base + "/v1beta";
    return versioned + "/models/" + model + method;
  }

  @Override
  ObjectNode requestBody(ChatRequest r, String targetModel) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    ArrayNode contents = body.putArray("contents");
    for (ChatRequest.Turn turn : r.turns) {
      ObjectNode content = contents.addObject();
      content.put("role", turn.role().equals("assistant") ? "model" : "user");
      ArrayNode parts = content.putArray("parts");
      for (ChatRequest.Part part : turn.parts()) {
        part(parts, part);
      }
    }
    if (!r.system.isEmpty()) {
      ArrayNode parts = body.putObject("systemInstruction").putArray("parts");
      for (String text : r.system) {
        if (!text.isEmpty()) {
          parts.addObject().put("text", text);
        }
      }
    }
    if (!r.tools.isEmpty()) {
      ArrayNode declarations = body.putArray("tools").addObject().putArray("functionDeclarations");
      for (ChatRequest.Tool tool : r.tools) {
        ObjectNode d = declarations.addObject();
        d.put("name", tool.name());
        if (tool.description() != null) {
          d.put("description", tool.description());
        }
        d.set("parameters", tool.parameters());
      }
      if (r.toolChoice != null) {
        ObjectNode config = body.putObject("toolConfig").putObject("functionCallingConfig");
        switch (r.toolChoice) {
          case "none" -> config.put("mode", "NONE");
          case "required" -> config.put("mode", "ANY");
          case "function" ->
              config.put("mode", "ANY").putArray("allowedFunctionNames").add(r.toolName);
          default -> config.put("mode", "AUTO");
        }
      }
    }
    ObjectNode generation = Json.MAPPER.createObjectNode();
    if (r.temperature != null) {
      generation.put("temperature", r.temperature);
    }
    if (r.topP != null) {
      generation.put("topP", r.topP);
    }
    if (r.maxTokens != null) {
      generation.put("maxOutputTokens", r.maxTokens);
    }
    if (!r.stop.isEmpty()) {
      ArrayNode stop = generation.putArray("stopSequences");
      r.stop.forEach(stop::add);
    }
    if (r.presencePenalty != null) {
      generation.put("presencePenalty", r.presencePenalty);
    }
    if (r.frequencyPenalty != null) {
      generation.put("frequencyPenalty", r.frequencyPenalty);
    }
    if (r.seed != null) {
      generation.put("seed", r.seed);
    }
    if (r.jsonObject) {
      generation.put("responseMimeType", "application/json");
    }
    if (!generation.isEmpty()) {
      body.set("generationConfig", generation);
    }
    return body;
  }

  private static void part(ArrayNode parts, ChatRequest.Part part) {
    if (part instanceof ChatRequest.Text t) {
      if (!t.text().isEmpty()) {
        parts.addObject().put("text", t.text());
      }
    } else if (part instanceof ChatRequest.Image image) {
      parts
          .addObject()
          .putObject("inlineData")
          .put("mimeType", image.mediaType())
          .put("data", image.data());
    } else if (part instanceof ChatRequest.ToolCall call) {
      parts
          .addObject()
          .putObject("functionCall")
          .put("name", call.name())
          .set("args", call.arguments());
    } else if (part instanceof ChatRequest.ToolResult result) {
      JsonNode parsed =
          Json.parseOrNull(
              result.content().getBytes(StandardCharsets.UTF_8),
              0,
              result.content().getBytes(StandardCharsets.UTF_8).length);
      ObjectNode response =
          parsed != null && parsed.isObject()
              ? (ObjectNode) parsed
              : Json.MAPPER.createObjectNode().put("content", result.content());
      parts
          .addObject()
          .putObject("functionResponse")
          .put("name", result.name())
          .set("response", response);
    }
  }

  static String finishReason(@Nullable String reason, boolean toolCalls) {
    if (reason == null) {
      return toolCalls ? "tool_calls" : "stop";
    }
    return switch (reason) {
      case "MAX_TOKENS" -> "length";
      case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY" ->
          "content_filter";
      default -> toolCalls ? "tool_calls" : "stop"; // STOP, OTHER, MALFORMED_FUNCTION_CALL, ...
    };
  }

  /** {@code usageMetadata} in OpenAI's terms, as the gateway's Gemini format counts it. */
  static @Nullable ChatUsage usage(@Nullable JsonNode metadata) {
    if (metadata == null || !metadata.isObject()) {
      return null;
    }
    long prompt = count(metadata.get("promptTokenCount"));
    long toolPrompt = count(metadata.get("toolUsePromptTokenCount"));
    long candidates = count(metadata.get("candidatesTokenCount"));
    long thoughts = count(metadata.get("thoughtsTokenCount"));
    long total = count(metadata.get("totalTokenCount"));
    long input = prompt + toolPrompt;
    long output = candidates + thoughts;
    return ChatUsage.of(
        input, output, total, count(metadata.get("cachedContentTokenCount")), thoughts);
  }

  @Override
  ChatAnswer answer(JsonNode doc, Context context) {
    ChatAnswer answer = new ChatAnswer();
    answer.id = orElse(text(doc.get("responseId")), context.fallbackId());
    answer.model = orElse(text(doc.get("modelVersion")), context.model());
    JsonNode candidate = doc.path("candidates").path(0);
    for (JsonNode part : candidate.path("content").path("parts")) {
      if (part.has("functionCall")) {
        JsonNode call = part.get("functionCall");
        answer.calls.add(
            new ChatAnswer.Call(
                callId(context, answer.calls.size()),
                call.path("name").asText(),
                ChatAnswer.compact(
                    call.has("args") ? call.get("args") : Json.MAPPER.createObjectNode())));
      } else if (part.has("text") && !part.path("thought").asBoolean(false)) {
        answer.text.append(part.get("text").asText(""));
      }
    }
    if (candidate.isMissingNode() && doc.path("promptFeedback").has("blockReason")) {
      answer.finishReason = "content_filter";
    } else {
      answer.finishReason =
          finishReason(text(candidate.get("finishReason")), !answer.calls.isEmpty());
    }
    answer.usage = usage(doc.get("usageMetadata"));
    return answer;
  }

  /** The id the gateway gives the {@code n}th function call of an answer. */
  private static String callId(Context context, int n) {
    return "call_" + context.fallbackId().substring("chatcmpl-".length()) + "_" + n;
  }

  @Override
  BackendError error(@Nullable JsonNode body, Function<String, @Nullable String> headers) {
    JsonNode error =
        body == null ? null : body.isArray() ? body.path(0).get("error") : body.get("error");
    return error == null
        ? new BackendError(null, null)
        : new BackendError(text(error.get("message")), text(error.get("status")));
  }

  @Override
  StreamDecoder decoder(ChunkWriter chunks, Context context) {
    return new Decoder(chunks, context);
  }

  private static String orElse(@Nullable String value, String fallback) {
    return value == null || value.isEmpty() ? fallback : value;
  }

  /** Gemini's server-sent responses, each a partial {@code GenerateContentResponse}. */
  private final class Decoder implements StreamDecoder {
    private final ChunkWriter chunks;
    private final Context context;
    private final SseEvents events = new SseEvents((name, data) -> event(data));
    private int calls;
    private @Nullable ChatUsage usage;
    private boolean blocked;

    Decoder(ChunkWriter chunks, Context context) {
      this.chunks = chunks;
      this.context = context;
    }

    @Override
    public void feed(byte[] bytes, int from, int length) {
      events.feed(bytes, from, length);
    }

    @Override
    public void end() {
      events.end();
      if (chunks.isDone()) {
        return;
      }
      if (!chunks.finished() && blocked) {
        chunks.finish("content_filter");
      }
      if (chunks.finished()) {
        if (usage != null) {
          chunks.usage(usage);
        }
        chunks.done();
      }
      // Without a finish reason the stream was cut short: no [DONE], as a truncated stream.
    }

    private void event(String data) {
      if (chunks.isDone()) {
        return;
      }
      JsonNode doc;
      try {
        doc = Json.MAPPER.readTree(data);
      } catch (IOException e) {
        throw new IllegalStateException("a Gemini stream event is not JSON", e);
      }
      if (doc == null) {
        return;
      }
      if (doc.has("error")) {
        int code = doc.path("error").path("code").asInt(500);
        chunks.error(errorBody(code, data.getBytes(StandardCharsets.UTF_8), header -> null));
        return;
      }
      chunks.identify(text(doc.get("responseId")), text(doc.get("modelVersion")));
      chunks.start();
      JsonNode candidate = doc.path("candidates").path(0);
      for (JsonNode part : candidate.path("content").path("parts")) {
        if (part.has("functionCall")) {
          JsonNode call = part.get("functionCall");
          chunks.toolCall(
              callId(context, calls++),
              call.path("name").asText(),
              ChatAnswer.compact(
                  call.has("args") ? call.get("args") : Json.MAPPER.createObjectNode()));
        } else if (part.has("text") && !part.path("thought").asBoolean(false)) {
          chunks.text(part.get("text").asText(""));
        }
      }
      if (doc.path("promptFeedback").has("blockReason")) {
        blocked = true;
      }
      ChatUsage reported = usage(doc.get("usageMetadata"));
      if (reported != null) {
        usage = reported; // each response carries the totals so far
      }
      String reason = text(candidate.get("finishReason"));
      if (reason != null) {
        chunks.finish(finishReason(reason, chunks.madeToolCalls()));
      }
    }
  }
}
