package dev.aigateway.core.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.Usage;
import dev.aigateway.core.tokens.TokenCounts;
import dev.aigateway.core.wire.Json;
import dev.aigateway.core.wire.UnfinishedAnswers;
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
  String url(BackendFlavor flavor, String base, String targetModel, boolean stream) {
    return (base.endsWith("/v1") ? base : base + "/v1") + "/messages";
  }

  @Override
  Map<String, String> headers(@Nullable String apiVersion) {
    return Map.of("anthropic-version", apiVersion != null ? apiVersion : DEFAULT_VERSION);
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
    r.putTurns(body.putArray("messages"), role -> role, "content", AnthropicTranslator::block);
    if (r.stream) {
      body.put("stream", true);
    }
    r.putSampling(body, null, "top_p", "stop_sequences");
    if (!r.tools.isEmpty()) {
      ArrayNode tools = body.putArray("tools");
      for (ChatRequest.Tool tool : r.tools) {
        tool.describe(tools.addObject()).set("input_schema", tool.parameters());
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
          .put("id", ChatRequest.toolUseId(call.id()))
          .put("name", call.name())
          .set("input", call.arguments());
    } else if (part instanceof ChatRequest.ToolResult result) {
      content
          .addObject()
          .put("type", "tool_result")
          .put("tool_use_id", ChatRequest.toolUseId(result.callId()))
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
    long prompt = TokenCounts.sum(TokenCounts.sum(input, cacheWrite), cacheRead);
    return ChatUsage.of(prompt, output, TokenCounts.sum(prompt, output), cacheRead, 0, cacheWrite);
  }

  @Override
  ChatAnswer answer(BackendJson json, Context context) throws IOException {
    ChatAnswer answer = new ChatAnswer();
    String id = null;
    String model = null;
    String stopReason = null;
    if (json.object()) {
      for (String member; (member = json.member()) != null; ) {
        switch (member) {
          case "id" -> id = json.string();
          case "model" -> model = json.string();
          case "stop_reason" -> stopReason = json.string();
          case "usage" -> {
            long[] counts = counts(json);
            answer.usage = counts == null ? null : usage(counts);
          }
          case "content" -> {
            if (json.array()) {
              while (json.element()) {
                Block block = Block.read(json);
                switch (block.type) {
                  case "text" -> answer.text.append(block.text);
                  case "tool_use" -> answer.call(block.id, block.name, block.input);
                  default -> {} // thinking and server tool blocks have no OpenAI chat equivalent
                }
              }
            }
          }
          default -> {}
        }
      }
    }
    answer.id = orElse(id, context.fallbackId());
    answer.model = orElse(model, context.model());
    answer.finishReason = finishReason(stopReason);
    answer.failed = !UnfinishedAnswers.isAnthropicFinished(stopReason); // a paused turn: stop too
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

  /** The counts of Anthropic's {@code usage} object, in this order. */
  private static final String[] USAGE_COUNTS = {
    "input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"
  };

  /** The usage object at the reading: its {@link #USAGE_COUNTS}, -1 if not given; or null. */
  private static long @Nullable [] counts(BackendJson json) throws IOException {
    return json.counts(USAGE_COUNTS);
  }

  /** {@link #USAGE_COUNTS} in OpenAI's terms, a count not given as 0. */
  private static ChatUsage usage(long[] counts) {
    return usage(
        Math.max(0, counts[0]),
        Math.max(0, counts[1]),
        Math.max(0, counts[2]),
        Math.max(0, counts[3]));
  }

  /** {@link #USAGE_COUNTS} in the gateway's terms, as the usage chunk they make is read. */
  private static Usage gatewayUsage(long[] counts) {
    return usage(counts).gatewayUsage();
  }

  /** A content block (of an answer's {@code content}, or a stream's {@code content_block}). */
  private static final class Block {
    String type = "";
    String text = "";
    String id = "";
    String name = "";

    /** The tool use's {@code input} as compact JSON; null when absent. */
    @Nullable String input;

    static Block read(BackendJson json) throws IOException {
      Block block = new Block();
      if (json.object()) {
        for (String member; (member = json.member()) != null; ) {
          switch (member) {
            case "type" -> block.type = json.text("");
            case "text" -> block.text = json.text("");
            case "id" -> block.id = json.text("");
            case "name" -> block.name = json.text("");
            case "input" -> block.input = json.compact();
            default -> {}
          }
        }
      }
      return block;
    }
  }

  /** One event of Anthropic's message stream, as far as the translation reads it. */
  private static final class Event {
    String type;
    int index;
    @Nullable String messageId;
    @Nullable String messageModel;
    long @Nullable [] messageUsage;
    @Nullable Block block;
    String deltaType = "";
    String deltaText = "";
    String partialJson = "";
    @Nullable String stopReason;
    long @Nullable [] usage;
    @Nullable String errorType;

    private Event(String type) {
      this.type = type;
    }

    /** The event of {@code data}; its type, when the data names none, the SSE event's name. */
    static Event read(@Nullable String name, BackendJson json) throws IOException {
      Event event = new Event(name == null ? "" : name);
      if (!json.object()) {
        return event;
      }
      for (String member; (member = json.member()) != null; ) {
        switch (member) {
          case "type" -> event.type = json.text(event.type);
          case "index" -> event.index = json.integer(0);
          case "message" -> event.message(json);
          case "content_block" -> event.block = Block.read(json);
          case "delta" -> event.delta(json);
          case "usage" -> event.usage = counts(json);
          case "error" -> event.errorType = errorType(json);
          default -> {}
        }
      }
      return event;
    }

    private void message(BackendJson json) throws IOException {
      if (json.object()) {
        for (String member; (member = json.member()) != null; ) {
          switch (member) {
            case "id" -> messageId = json.string();
            case "model" -> messageModel = json.string();
            case "usage" -> messageUsage = counts(json);
            default -> {}
          }
        }
      }
    }

    private void delta(BackendJson json) throws IOException {
      if (json.object()) {
        for (String member; (member = json.member()) != null; ) {
          switch (member) {
            case "type" -> deltaType = json.text("");
            case "text" -> deltaText = json.text("");
            case "partial_json" -> partialJson = json.text("");
            case "stop_reason" -> stopReason = json.string();
            default -> {}
          }
        }
      }
    }

    private static @Nullable String errorType(BackendJson json) throws IOException {
      String type = null;
      if (json.object()) {
        for (String member; (member = json.member()) != null; ) {
          if (member.equals("type")) {
            type = json.string();
          }
        }
      }
      return type;
    }
  }

  /** Anthropic's message stream, event by event, to OpenAI chunks. */
  private final class Decoder extends SseDecoder {

    /** Anthropic's content block index to the OpenAI tool call index, for tool_use blocks. */
    private final Map<Integer, Integer> toolIndex = new HashMap<>();

    /** The counts so far: later events repeat or raise earlier ones (they are totals). */
    private final long[] totals = {-1, -1, -1, -1};

    private boolean usageSeen;
    private @Nullable String stopReason;

    /**
     * Whether the message stopped without a stop reason, or paused ({@code pause_turn}): its OpenAI
     * finish reason, {@code stop}, does not show that it is not the call's whole answer.
     */
    private volatile boolean unfinished;

    /** The input counts {@code message_start} reported, for a stream cut before its usage. */
    private volatile @Nullable Usage startUsage;

    /** The counts the last {@code message_delta} reported, for a stream cut before its stop. */
    private volatile @Nullable Usage reportedUsage;

    Decoder(ChunkWriter chunks) {
      super(AnthropicTranslator.this, chunks);
    }

    @Override
    void event(@Nullable String name, String data) throws IOException {
      Event event = BackendJson.read(data, json -> Event.read(name, json));
      switch (event.type) {
        case "message_start" -> {
          chunks.identify(event.messageId, event.messageModel);
          readUsage(event.messageUsage);
          if (usageSeen) {
            startUsage = gatewayUsage(totals);
          }
          chunks.start();
        }
        case "content_block_start" -> {
          Block block = event.block != null ? event.block : new Block();
          if ("tool_use".equals(block.type)) {
            String arguments = block.input == null || block.input.equals("{}") ? "" : block.input;
            toolIndex.put(event.index, chunks.toolCall(block.id, block.name, arguments));
          } else if ("text".equals(block.type)) {
            chunks.text(block.text);
          }
        }
        case "content_block_delta" -> {
          switch (event.deltaType) {
            case "text_delta" -> chunks.text(event.deltaText);
            case "input_json_delta" -> {
              Integer index = toolIndex.get(event.index);
              if (index != null) {
                chunks.toolArguments(index, event.partialJson);
              }
            }
            default -> {} // thinking and signature deltas have no OpenAI chat equivalent
          }
        }
        case "content_block_stop" -> {
          Integer index = toolIndex.get(event.index);
          if (index != null) {
            chunks.endToolCall(index);
          }
        }
        case "message_delta" -> {
          if (event.stopReason != null) {
            stopReason = event.stopReason;
          }
          readUsage(event.usage);
          if (event.usage != null && usageSeen) {
            reportedUsage = gatewayUsage(totals);
          }
        }
        case "message_stop" -> {
          unfinished = !UnfinishedAnswers.isAnthropicFinished(stopReason);
          chunks.finish(finishReason(stopReason));
          if (reportedUsage != null) {
            // message_delta's counts: message_start's output count alone is a running count, not
            // the answer's, and a stream without them is charged its text, as on Anthropic's API
            chunks.usage(usage(totals));
          }
          chunks.done();
        }
        case "error" -> {
          error(errorStatus(event.errorType), data);
        }
        default -> {} // ping
      }
    }

    @Override
    public boolean failedAnswer() {
      return unfinished;
    }

    @Override
    public @Nullable Usage reportedUsage() {
      return reportedUsage;
    }

    @Override
    public @Nullable Usage startUsage() {
      return startUsage;
    }

    private void readUsage(long @Nullable [] usage) {
      if (usage == null) {
        return;
      }
      usageSeen |= usage[0] >= 0 || usage[1] >= 0; // input or output
      for (int i = 0; i < totals.length; i++) {
        if (usage[i] >= 0) {
          totals[i] = usage[i];
        }
      }
    }
  }

  /**
   * The status Anthropic answers an error of {@code type} with (its errors page), for an error
   * event in a stream that had already answered 200: 500 for a type it does not list.
   */
  static int errorStatus(@Nullable String type) {
    if (type == null) {
      return 500;
    }
    return switch (type) {
      case "invalid_request_error" -> 400;
      case "authentication_error" -> 401;
      case "billing_error" -> 402;
      case "permission_error" -> 403;
      case "not_found_error" -> 404;
      case "request_too_large" -> 413;
      case "rate_limit_error" -> 429;
      case "timeout_error" -> 504;
      case "overloaded_error" -> 529;
      default -> 500; // api_error and any other
    };
  }
}
