package dev.aigateway.core.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.Usage;
import dev.aigateway.core.tokens.TokenCounts;
import dev.aigateway.core.wire.FailedAnswers;
import dev.aigateway.core.wire.Json;
import dev.aigateway.core.wire.SafeUrls;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * OpenAI chat completions to Google Gemini ({@code models/{model}:generateContent}, {@code
 * :streamGenerateContent?alt=sse}; on Vertex AI under {@code publishers/google/models}; a model
 * named by its resource path, such as {@code tunedModels/{id}} or a Vertex {@code endpoints/{id}},
 * at that path) and back: system and developer messages become {@code systemInstruction}, the turns
 * {@code contents} ({@code user} and {@code model}) of parts (text, {@code inlineData} images,
 * {@code functionCall}, {@code functionResponse}), function tools {@code functionDeclarations}, the
 * sampling options {@code generationConfig}; answers, streamed responses, {@code usageMetadata} and
 * errors come back in OpenAI's shapes. Gemini gives function calls no ids: the answer's tool calls
 * get ids of the gateway's ({@code call_...}), and a later tool message is matched to its function
 * by that id.
 */
final class GeminiTranslator extends Translator {

  GeminiTranslator(Clock clock) {
    super(Target.GEMINI, clock);
  }

  @Override
  String url(BackendFlavor flavor, String base, String targetModel, boolean stream) {
    String method = stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
    String model = URLEncoder.encode(targetModel, StandardCharsets.UTF_8);
    // a model named by its resource path (tunedModels/..., endpoints/...) is called at that path,
    // unless a segment of it is empty or a dot segment
    String resource = targetModel.indexOf('/') > 0 ? SafeUrls.modelPath(targetModel) : null;
    String path = resource != null ? "/" + resource : null;
    if (flavor == BackendFlavor.VERTEX_AI) {
      return base + (path != null ? path : "/publishers/google/models/" + model) + method;
    }
    String versioned = base.endsWith("/v1beta") || base.endsWith("/v1") ? base : base + "/v1beta";
    return versioned + (path != null ? path : "/models/" + model) + method;
  }

  @Override
  ObjectNode requestBody(ChatRequest r, String targetModel) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    r.putTurns(
        body.putArray("contents"),
        role -> role.equals("assistant") ? "model" : "user",
        "parts",
        GeminiTranslator::part);
    if (!r.system.isEmpty()) {
      ArrayNode parts = body.putObject("systemInstruction").putArray("parts");
      for (String text : r.system) {
        if (!text.isEmpty()) {
          parts.addObject().put("text", text);
        }
      }
      if (parts.isEmpty()) {
        body.remove("systemInstruction"); // Gemini refuses a content without parts
      }
    }
    if (!r.tools.isEmpty()) {
      ArrayNode declarations = body.putArray("tools").addObject().putArray("functionDeclarations");
      for (ChatRequest.Tool tool : r.tools) {
        tool.describe(declarations.addObject()).set("parameters", tool.parameters());
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
    r.putSampling(generation, "maxOutputTokens", "topP", "stopSequences");
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
      ObjectNode functionCall = parts.addObject();
      functionCall.putObject("functionCall").put("name", call.name()).set("args", call.arguments());
      if (call.thoughtSignature() != null) {
        functionCall.put("thoughtSignature", call.thoughtSignature()); // Gemini 3 needs it back
      }
    } else if (part instanceof ChatRequest.ToolResult result) {
      JsonNode parsed = ChatRequest.exactTreeOrNull(result.content());
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
    if (reason.equals("MAX_TOKENS")) {
      return "length";
    }
    if (FailedAnswers.isGeminiFiltered(reason)) {
      return "content_filter"; // the filters' reasons (the cache stores no native answer with one)
    }
    return toolCalls ? "tool_calls" : "stop"; // STOP, OTHER, MALFORMED_FUNCTION_CALL, ...
  }

  /** {@code usageMetadata}'s counts, as {@link #usage} reads them. */
  private static final String[] USAGE_COUNTS = {
    "promptTokenCount",
    "toolUsePromptTokenCount",
    "candidatesTokenCount",
    "thoughtsTokenCount",
    "totalTokenCount",
    "cachedContentTokenCount"
  };

  /**
   * The {@code usageMetadata} at the reading in OpenAI's terms; null when not an object or when it
   * holds no count (Vertex AI's early chunks carry only {@code trafficType}): such a response
   * reports no usage, as the gateway reads it on Gemini's own API, rather than zero tokens.
   */
  static @Nullable ChatUsage usage(BackendJson json) throws IOException {
    long[] n = json.counts(USAGE_COUNTS);
    if (n == null) {
      return null;
    }
    boolean any = false;
    for (int i = 0; i < n.length; i++) {
      any |= n[i] >= 0;
      n[i] = Math.max(0, n[i]);
    }
    if (!any) {
      return null;
    }
    long thoughts = n[3];
    return ChatUsage.of(
        TokenCounts.sum(n[0], n[1]), TokenCounts.sum(n[2], thoughts), n[4], n[5], thoughts, 0);
  }

  @Override
  ChatAnswer answer(BackendJson json, Context context) throws IOException {
    Response response = Response.read(json);
    ChatAnswer answer = new ChatAnswer();
    if (response.failed) {
      // Google's error under a 2xx (a proxy's, or a stream's error as a document)
      answer.errorStatus =
          response.errorCode >= 400 && response.errorCode <= 599 ? response.errorCode : 500;
      return answer;
    }
    answer.id = orElse(response.id, context.fallbackId());
    answer.model = orElse(response.model, context.model());
    for (Part part : response.parts) {
      if (part.text() != null) {
        answer.text.append(part.text());
      } else {
        answer.call(
            callId(context, answer.calls.size()),
            part.name(),
            part.arguments(),
            part.thoughtSignature());
      }
    }
    if (!response.candidate && response.blocked) {
      answer.finishReason = "content_filter";
    } else {
      answer.finishReason = finishReason(response.finishReason, !answer.calls.isEmpty());
    }
    answer.failed = response.failedFinish();
    answer.usage = response.usage;
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

  /**
   * A text part, or a function call (its name and arguments: compact JSON, null when absent; and
   * its {@code thoughtSignature}, null when absent).
   */
  private record Part(
      @Nullable String text,
      String name,
      @Nullable String arguments,
      @Nullable String thoughtSignature) {}

  /**
   * One {@code GenerateContentResponse} (a whole answer, or one of a stream's), as far as the
   * translation reads it: the first candidate's parts, thought parts left out.
   */
  private static final class Response {
    @Nullable String id;
    @Nullable String model;
    final List<Part> parts = new ArrayList<>();
    boolean candidate;
    @Nullable String finishReason;
    boolean blocked;
    @Nullable ChatUsage usage;

    /**
     * Whether the candidate finished by a reason by which Gemini ends one that failed (any but
     * {@code STOP} and {@code MAX_TOKENS}), or the prompt was blocked: no answer to give again.
     */
    boolean failedFinish() {
      return (finishReason != null && !FailedAnswers.isGeminiAnswered(finishReason))
          || (!candidate && blocked);
    }

    /** Whether the response is an error, and its {@code code} (500 when it gives none). */
    boolean failed;

    int errorCode;

    static Response read(BackendJson json) throws IOException {
      Response response = new Response();
      if (json.object()) {
        for (String member; (member = json.member()) != null; ) {
          switch (member) {
            case "responseId" -> response.id = json.string();
            case "modelVersion" -> response.model = json.string();
            case "candidates" -> response.candidates(json);
            case "promptFeedback" -> response.blocked |= json.has("blockReason");
            case "usageMetadata" -> response.usage = usage(json);
            case "error" -> {
              response.failed = true;
              response.errorCode = errorCode(json);
            }
            default -> {}
          }
        }
      }
      return response;
    }

    private void candidates(BackendJson json) throws IOException {
      if (!json.array() || !json.element()) {
        return;
      }
      candidate = true;
      if (json.object()) {
        for (String member; (member = json.member()) != null; ) {
          switch (member) {
            case "content" -> {
              if (json.object() && json.find("parts")) {
                if (json.array()) {
                  while (json.element()) {
                    part(json);
                  }
                }
                json.rest();
              }
            }
            case "finishReason" -> finishReason = json.string();
            default -> {}
          }
        }
      }
      json.rest(); // the other candidates
    }

    private void part(BackendJson json) throws IOException {
      String text = null;
      boolean thought = false;
      boolean call = false;
      String name = "";
      String arguments = null;
      String signature = null;
      if (json.object()) {
        for (String member; (member = json.member()) != null; ) {
          switch (member) {
            case "text" -> text = json.text("");
            case "thought" -> thought = json.bool();
            case "thoughtSignature" -> signature = json.string();
            case "functionCall" -> {
              call = true;
              if (json.object()) {
                for (String m; (m = json.member()) != null; ) {
                  switch (m) {
                    case "name" -> name = json.text("");
                    case "args" -> arguments = json.compact();
                    default -> {}
                  }
                }
              }
            }
            default -> {}
          }
        }
      }
      if (call) {
        parts.add(new Part(null, name, arguments, signature));
      } else if (text != null && !thought) {
        parts.add(new Part(text, "", null, null));
      }
    }

    private static int errorCode(BackendJson json) throws IOException {
      int code = 500;
      if (json.object() && json.find("code")) {
        code = json.integer(500);
        json.rest();
      }
      return code;
    }
  }

  /** Gemini's server-sent responses, each a partial {@code GenerateContentResponse}. */
  private final class Decoder extends SseDecoder {
    private final Context context;
    private int calls;

    /** The totals so far of the latest response that carried them; read on any thread. */
    private volatile @Nullable ChatUsage usage;

    private boolean blocked;

    /** Whether a response ended the answer as failed ({@link Response#failedFinish}). */
    private volatile boolean failed;

    Decoder(ChunkWriter chunks, Context context) {
      super(GeminiTranslator.this, chunks);
      this.context = context;
    }

    @Override
    public void end() {
      super.end();
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

    /**
     * The usage Gemini's latest response reported (each carries the totals so far), so a stream cut
     * before its last response is charged the tokens produced until then, as a Gemini stream on
     * Gemini's own API is.
     */
    @Override
    public @Nullable Usage reportedUsage() {
      ChatUsage latest = usage;
      return latest == null ? null : latest.gatewayUsage();
    }

    @Override
    public boolean failedAnswer() {
      return failed;
    }

    @Override
    void event(@Nullable String name, String data) throws IOException {
      Response response = BackendJson.read(data, Response::read);
      if (response.failed) {
        error(response.errorCode, data);
        return;
      }
      chunks.identify(response.id, response.model);
      chunks.start();
      for (Part part : response.parts) {
        if (part.text() != null) {
          chunks.text(part.text());
        } else {
          chunks.toolCall(
              callId(context, calls++),
              part.name(),
              part.arguments() == null ? "{}" : part.arguments(),
              part.thoughtSignature());
        }
      }
      blocked |= response.blocked;
      failed |= response.blocked || response.failedFinish();
      if (response.usage != null) {
        usage = response.usage; // each response carries the totals so far
      }
      if (response.finishReason != null) {
        chunks.finish(finishReason(response.finishReason, chunks.madeToolCalls()));
      }
    }
  }
}
