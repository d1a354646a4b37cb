package dev.aigateway.core.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.core.tokens.TokenCounts;
import dev.aigateway.core.wire.EventStreamDecoder;
import dev.aigateway.core.wire.EventStreamMessage;
import dev.aigateway.core.wire.FailedAnswers;
import dev.aigateway.core.wire.Json;
import java.io.IOException;
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
   * Refuses what Converse would refuse: a conversation that starts with the assistant, an image of
   * a type it does not take, and tool calls or results in a conversation that declares no tools
   * (Converse requires its {@code toolConfig} then).
   */
  private static void convertible(ChatRequest r) {
    if (r.turns.get(0).role().equals("assistant")) {
      throw ChatRequest.refused(
          "messages",
          "starts with an assistant message (after any system message): Amazon Bedrock Converse"
              + " takes only a conversation that starts with a user message");
    }
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
  String url(BackendFlavor flavor, String baseUrl, String targetModel, boolean stream) {
    return baseUrl
        + "/model/"
        + URLEncoder.encode(targetModel, StandardCharsets.UTF_8).replace("+", "%20")
        + (stream ? "/converse-stream" : "/converse");
  }

  @Override
  ObjectNode requestBody(ChatRequest r, String targetModel) {
    convertible(r);
    ObjectNode body = Json.MAPPER.createObjectNode();
    r.putTurns(body.putArray("messages"), role -> role, "content", BedrockTranslator::block);
    if (!r.system.isEmpty()) {
      ArrayNode system = body.putArray("system");
      for (String text : r.system) {
        if (!text.isEmpty()) {
          system.addObject().put("text", text);
        }
      }
      if (system.isEmpty()) {
        body.remove("system");
      }
    }
    ObjectNode inference = Json.MAPPER.createObjectNode();
    r.putSampling(inference, "maxTokens", "topP", "stopSequences");
    if (!inference.isEmpty()) {
      body.set("inferenceConfig", inference);
    }
    if (!r.tools.isEmpty()) {
      ObjectNode config = body.putObject("toolConfig");
      ArrayNode tools = config.putArray("tools");
      for (ChatRequest.Tool tool : r.tools) {
        tool.describe(tools.addObject().putObject("toolSpec"))
            .putObject("inputSchema")
            .set("json", tool.parameters());
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
          .put("toolUseId", ChatRequest.toolUseId(call.id()))
          .put("name", call.name())
          .set("input", call.arguments());
    } else if (part instanceof ChatRequest.ToolResult result) {
      ObjectNode r = content.addObject().putObject("toolResult");
      r.put("toolUseId", ChatRequest.toolUseId(result.callId()));
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

  /** Converse's usage counts, as {@link #usage} reads them. */
  private static final String[] USAGE_COUNTS = {
    "inputTokens", "outputTokens", "totalTokens", "cacheReadInputTokens", "cacheWriteInputTokens"
  };

  /**
   * The usage object at the reading in OpenAI's terms (its input excludes the cache's reads and
   * writes); null when it is not an object.
   */
  static @Nullable ChatUsage usage(BackendJson json) throws IOException {
    long[] n = json.counts(USAGE_COUNTS);
    if (n == null) {
      return null;
    }
    for (int i = 0; i < n.length; i++) {
      n[i] = Math.max(0, n[i]);
    }
    long read = n[3];
    long written = n[4];
    long prompt = TokenCounts.sum(TokenCounts.sum(n[0], read), written);
    return ChatUsage.of(
        prompt, n[1], Math.max(n[2], TokenCounts.sum(prompt, n[1])), read, 0, written);
  }

  @Override
  ChatAnswer answer(BackendJson json, Context context) throws IOException {
    ChatAnswer answer = new ChatAnswer();
    answer.id = context.fallbackId();
    answer.model = context.model();
    String stopReason = null;
    if (json.object()) {
      for (String member; (member = json.member()) != null; ) {
        switch (member) {
          case "output" -> output(json, answer);
          case "stopReason" -> stopReason = json.string();
          case "usage" -> answer.usage = usage(json);
          default -> {}
        }
      }
    }
    answer.finishReason = finishReason(stopReason);
    answer.failed = FailedAnswers.converseFailedStop(stopReason);
    return answer;
  }

  /** The text and tool uses of {@code output.message.content}, into {@code answer}. */
  private static void output(BackendJson json, ChatAnswer answer) throws IOException {
    if (json.object() && json.find("message")) {
      if (json.object() && json.find("content")) {
        if (json.array()) {
          while (json.element()) {
            Block block = Block.read(json, false);
            if (block.text != null) {
              answer.text.append(block.text);
            } else if (block.toolUse) {
              answer.call(block.toolUseId, block.name, block.input);
            }
          }
        }
        json.rest();
      }
      json.rest();
    }
  }

  /**
   * A content block: its {@code text}, or its {@code toolUse} (of a whole answer) or the tool use's
   * start or input fragment (of a stream).
   */
  private static final class Block {
    @Nullable String text;
    boolean toolUse;
    String toolUseId = "";
    String name = "";

    /** The tool use's {@code input}: compact JSON in an answer, a fragment in a stream delta. */
    @Nullable String input;

    /**
     * The block at the reading.
     *
     * @param streamed whether it is a stream's delta, whose input is a fragment of text
     */
    static Block read(BackendJson json, boolean streamed) throws IOException {
      Block block = new Block();
      if (json.object()) {
        for (String member; (member = json.member()) != null; ) {
          switch (member) {
            case "text" -> block.text = json.text("");
            case "toolUse" -> block.toolUse(json, streamed);
            default -> {}
          }
        }
      }
      return block;
    }

    private void toolUse(BackendJson json, boolean streamed) throws IOException {
      if (!json.object()) {
        return;
      }
      toolUse = true;
      for (String member; (member = json.member()) != null; ) {
        switch (member) {
          case "toolUseId" -> toolUseId = json.text("");
          case "name" -> name = json.text("");
          case "input" -> input = streamed ? json.text("") : json.compact();
          default -> {}
        }
      }
    }
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
    return new Decoder(this, chunks);
  }

  /** One event of ConverseStream, as far as the translation reads it. */
  private static final class Event {
    int blockIndex;
    @Nullable Block start;
    @Nullable Block delta;
    @Nullable String stopReason;
    @Nullable ChatUsage usage;

    /** The event of a frame's payload; null when it holds no JSON value. */
    static @Nullable Event read(BackendJson json) throws IOException {
      if (json.isEmpty()) {
        return null;
      }
      Event event = new Event();
      if (json.object()) {
        for (String member; (member = json.member()) != null; ) {
          switch (member) {
            case "contentBlockIndex" -> event.blockIndex = json.integer(0);
            case "start" -> event.start = Block.read(json, true);
            case "delta" -> event.delta = Block.read(json, true);
            case "stopReason" -> event.stopReason = json.string();
            case "usage" -> event.usage = usage(json);
            default -> {}
          }
        }
      }
      return event;
    }
  }

  /** ConverseStream's binary event stream, message by message, to OpenAI chunks. */
  private static final class Decoder extends ChunkDecoder {
    private final EventStreamDecoder messages = new EventStreamDecoder(this::message);

    /** Converse's content block index to the OpenAI tool call index, for toolUse blocks. */
    private final Map<Integer, Integer> toolIndex = new HashMap<>();

    private boolean stopped;

    /** Whether the stream's {@code messageStop} ended the answer as failed. */
    private volatile boolean failed;

    Decoder(BedrockTranslator translator, ChunkWriter chunks) {
      super(translator, chunks);
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
    public boolean failedAnswer() {
      return failed;
    }

    @Override
    public void end() {
      // A stream cut before its metadata event (after messageStop, with the usage) gets no [DONE],
      // as a truncated stream: its usage is lost.
    }

    private void message(EventStreamMessage message) {
      if (chunks.isDone()) {
        return;
      }
      byte[] payload = message.payload();
      if (message.isException()) {
        String type = message.exceptionType() != null ? message.exceptionType() : "error";
        error(
            message.exceptionStatus(),
            payload,
            name -> "x-amzn-ErrorType".equalsIgnoreCase(name) ? type : null);
        return;
      }
      Event event;
      try {
        event = BackendJson.read(payload, 0, payload.length, Event::read);
      } catch (IOException e) {
        return; // not JSON: an event the translation cannot read, passed over
      }
      if (event == null || message.eventType() == null) {
        return;
      }
      switch (message.eventType()) {
        case "messageStart" -> chunks.start();
        case "contentBlockStart" -> {
          if (event.start != null && event.start.toolUse) {
            toolIndex.put(
                event.blockIndex, chunks.toolCall(event.start.toolUseId, event.start.name, ""));
          }
        }
        case "contentBlockDelta" -> {
          Block delta = event.delta;
          if (delta != null && delta.text != null) {
            chunks.text(delta.text);
          } else if (delta != null && delta.toolUse) {
            Integer index = toolIndex.get(event.blockIndex);
            if (index != null && delta.input != null) {
              chunks.toolArguments(index, delta.input);
            }
          }
        }
        case "contentBlockStop" -> {
          Integer index = toolIndex.get(event.blockIndex);
          if (index != null) {
            chunks.endToolCall(index);
          }
        }
        case "messageStop" -> {
          stopped = true;
          failed = FailedAnswers.converseFailedStop(event.stopReason);
          chunks.finish(finishReason(event.stopReason));
        }
        case "metadata" -> {
          if (event.usage != null) {
            chunks.usage(event.usage);
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
