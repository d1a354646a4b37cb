package dev.aigateway.okhttp;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.aigateway.core.wire.EventStreamMessage;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Seeded generators of malformed and extreme traffic of every protocol but OpenAI's own (which
 * {@link HostileTraffic} makes): Anthropic Messages (also on Vertex AI), Gemini generateContent and
 * streamGenerateContent (server-sent events and a JSON array), Bedrock Converse, ConverseStream,
 * InvokeModel and its stream (binary event streams with bad checksums, lengths and cut frames),
 * Azure's Responses API, OpenAI chat calls that a pool translates for an Anthropic, Gemini or
 * Bedrock backend, and MCP and A2A JSON-RPC (batches, huge ids, wrong types, answers as events).
 * The same seed always gives the same traffic.
 */
final class HostileProviderTraffic {

  /** A protocol a case speaks: how the application calls, and how the backend answers. */
  enum Protocol {
    ANTHROPIC,
    VERTEX_ANTHROPIC,
    GEMINI,
    GEMINI_SSE,
    GEMINI_ARRAY,
    CONVERSE,
    CONVERSE_STREAM,
    INVOKE_CLAUDE,
    INVOKE_CLAUDE_STREAM,
    INVOKE_OTHER,
    INVOKE_OTHER_STREAM,
    AZURE_RESPONSES,
    /** OpenAI's chat completions, direct or on an Azure deployment (for the cache's replays). */
    OPENAI_CHAT,
    /** An OpenAI chat call to a pool whose backend speaks Anthropic's Messages API. */
    TO_ANTHROPIC,
    /** An OpenAI chat call to a pool whose backend speaks Gemini's API. */
    TO_GEMINI,
    /** An OpenAI chat call to a pool whose backend speaks Bedrock's Converse API. */
    TO_BEDROCK,
    MCP,
    A2A;

    boolean agent() {
      return this == MCP || this == A2A;
    }

    boolean translated() {
      return this == TO_ANTHROPIC || this == TO_GEMINI || this == TO_BEDROCK;
    }
  }

  static final String EVENT_STREAM = "application/vnd.amazon.eventstream";

  private static final String CLAUDE_ON_BEDROCK = "anthropic.claude-3-haiku-20240307-v1:0";
  private static final String LLAMA_ON_BEDROCK = "meta.llama3-8b-instruct-v1:0";

  private final HostileTraffic base;
  private final Random random;

  HostileProviderTraffic(long seed) {
    this.base = new HostileTraffic(seed);
    this.random = base.random();
  }

  Random random() {
    return random;
  }

  /** A protocol, each about as often as the others. */
  Protocol protocol() {
    Protocol[] all = Protocol.values();
    return all[random.nextInt(all.length)];
  }

  /** The path the application calls for {@code protocol}. */
  String path(Protocol protocol) {
    return switch (protocol) {
      case ANTHROPIC -> "/v1/messages";
      case VERTEX_ANTHROPIC ->
          "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5"
              + (random.nextBoolean() ? ":rawPredict" : ":streamRawPredict");
      case GEMINI -> "/v1beta/models/" + geminiModel() + ":generateContent";
      case GEMINI_SSE -> "/v1beta/models/" + geminiModel() + ":streamGenerateContent?alt=sse";
      case GEMINI_ARRAY -> "/v1beta/models/" + geminiModel() + ":streamGenerateContent";
      case CONVERSE -> "/model/" + bedrockModel() + "/converse";
      case CONVERSE_STREAM -> "/model/" + bedrockModel() + "/converse-stream";
      case INVOKE_CLAUDE -> "/model/" + CLAUDE_ON_BEDROCK + "/invoke";
      case INVOKE_CLAUDE_STREAM -> "/model/" + CLAUDE_ON_BEDROCK + "/invoke-with-response-stream";
      case INVOKE_OTHER -> "/model/" + LLAMA_ON_BEDROCK + "/invoke";
      case INVOKE_OTHER_STREAM -> "/model/" + LLAMA_ON_BEDROCK + "/invoke-with-response-stream";
      case AZURE_RESPONSES ->
          random.nextBoolean()
              ? "/openai/deployments/dep-1/responses?api-version=2025-04-01-preview"
              : "/openai/v1/responses";
      case OPENAI_CHAT ->
          random.nextBoolean()
              ? "/v1/chat/completions"
              : "/openai/deployments/dep-1/chat/completions?api-version=2024-10-21";
      case TO_ANTHROPIC, TO_GEMINI, TO_BEDROCK -> "/v1/chat/completions";
      case MCP -> "/mcp";
      case A2A -> "/a2a";
    };
  }

  private String geminiModel() {
    return base.pick(new String[] {"gemini-2.0-flash", "gemini-2.5-pro", "g%2Fx", "x"});
  }

  private String bedrockModel() {
    return base.pick(
        new String[] {
          CLAUDE_ON_BEDROCK, "amazon.nova-lite-v1:0", "anthropic.claude%3Ax", LLAMA_ON_BEDROCK
        });
  }

  /** Whether the application's call for {@code protocol} on {@code path} asks for a stream. */
  static boolean streamed(Protocol protocol, String path, byte[] body) {
    String text = new String(body, 0, Math.min(body.length, 100_000), UTF_8);
    return switch (protocol) {
      case GEMINI_SSE, GEMINI_ARRAY, CONVERSE_STREAM, INVOKE_CLAUDE_STREAM, INVOKE_OTHER_STREAM ->
          true;
      case GEMINI, CONVERSE, INVOKE_CLAUDE, INVOKE_OTHER -> false;
      case VERTEX_ANTHROPIC -> path.endsWith(":streamRawPredict");
      case MCP, A2A -> text.contains("message/stream") || text.contains("tools/call");
      default -> text.contains("\"stream\":true");
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Requests

  /**
   * A request body for {@code protocol}: usually plausible with odd members, now and then bytes.
   */
  byte[] request(Protocol protocol) {
    if (protocol == Protocol.OPENAI_CHAT) {
      return base.request();
    }
    int shape = random.nextInt(16);
    byte[] body =
        switch (shape) {
          case 0 -> new byte[0];
          case 1 ->
              HostileTraffic.utf8(
                  base.pick(
                      new String[] {
                        "null", "[]", "{", "{}", "\"x\"", "[{}]", "[1,", "{\"messages\":}"
                      }));
          case 2 -> HostileTraffic.utf8(HostileTraffic.deep(50 + random.nextInt(2000)));
          default -> HostileTraffic.utf8(requestJson(protocol));
        };
    return random.nextInt(6) == 0 ? base.mutate(body) : body;
  }

  private String requestJson(Protocol protocol) {
    Map<String, String> members = new LinkedHashMap<>();
    switch (protocol) {
      case ANTHROPIC, VERTEX_ANTHROPIC, INVOKE_CLAUDE, INVOKE_CLAUDE_STREAM -> {
        if (protocol == Protocol.ANTHROPIC) {
          maybe(members, "model", base.pick(new String[] {"\"claude-sonnet-4-5\"", "1", "null"}));
        } else {
          maybe(members, "anthropic_version", "\"bedrock-2023-05-31\"");
        }
        maybe(members, "max_tokens", base.count());
        maybe(members, "messages", anthropicMessages());
        maybe(
            members,
            "system",
            random.nextBoolean()
                ? HostileTraffic.quoted(base.text())
                : "[{\"type\":\"text\",\"text\":" + textOrValue() + "}]");
        maybe(members, "stream", streamFlag());
        maybe(members, "tools", "[{\"name\":\"f\",\"input_schema\":" + base.value(2) + "}]");
        maybe(members, "thinking", "{\"type\":\"enabled\",\"budget_tokens\":" + base.count() + "}");
      }
      case GEMINI, GEMINI_SSE, GEMINI_ARRAY, TO_GEMINI -> {
        if (protocol == Protocol.TO_GEMINI) {
          return openAiChat();
        }
        maybe(
            members,
            "contents",
            random.nextInt(6) == 0
                ? base.value(3)
                : "[{\"role\":\"user\",\"parts\":[{\"text\":"
                    + textOrValue()
                    + "},"
                    + base.value(1)
                    + "]}]");
        maybe(
            members,
            "generationConfig",
            random.nextInt(6) == 0
                ? base.value(2)
                : "{\"maxOutputTokens\":"
                    + base.count()
                    + ",\"candidateCount\":"
                    + base.count()
                    + ",\"thinkingConfig\":{\"thinkingBudget\":"
                    + base.count()
                    + "}}");
        maybe(members, "systemInstruction", "{\"parts\":[{\"text\":" + textOrValue() + "}]}");
      }
      case CONVERSE, CONVERSE_STREAM -> {
        maybe(
            members,
            "messages",
            random.nextInt(6) == 0
                ? base.value(3)
                : "[{\"role\":\"user\",\"content\":[{\"text\":"
                    + textOrValue()
                    + "},"
                    + base.value(1)
                    + "]}]");
        maybe(
            members,
            "inferenceConfig",
            random.nextInt(6) == 0 ? base.value(2) : "{\"maxTokens\":" + base.count() + "}");
        maybe(members, "system", "[{\"text\":" + textOrValue() + "}]");
        maybe(members, "additionalModelRequestFields", base.value(2));
      }
      case INVOKE_OTHER, INVOKE_OTHER_STREAM -> {
        maybe(members, "prompt", textOrValue());
        maybe(members, "max_gen_len", base.count());
        maybe(members, "temperature", base.number());
      }
      case AZURE_RESPONSES -> {
        maybe(members, "model", base.pick(new String[] {"\"gpt-4o\"", "null", "7"}));
        maybe(members, "input", random.nextBoolean() ? textOrValue() : anthropicMessages());
        maybe(members, "instructions", textOrValue());
        maybe(members, "max_output_tokens", base.count());
        maybe(members, "stream", streamFlag());
      }
      case TO_ANTHROPIC, TO_BEDROCK -> {
        return openAiChat();
      }
      case MCP, A2A -> {
        return rpc(protocol);
      }
    }
    List<String> written = new ArrayList<>();
    members.forEach((name, value) -> written.add(HostileTraffic.quoted(name) + ":" + value));
    if (random.nextInt(5) == 0) {
      written.add("\"x" + random.nextInt(9) + "\":" + base.value(3));
    }
    java.util.Collections.shuffle(written, random);
    return "{" + String.join(",", written) + "}";
  }

  /** An OpenAI chat request, as an application sends one that a pool translates. */
  private String openAiChat() {
    if (random.nextInt(3) != 0) {
      // one the target can express: its answer is what this case is about
      return "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":"
          + HostileTraffic.quoted(random.nextInt(4) == 0 ? "Hi" : base.text() + "x")
          + "}]"
          + (random.nextBoolean() ? ",\"max_tokens\":" + (1 + random.nextInt(4000)) : "")
          + (random.nextBoolean() ? ",\"stream\":true" : "")
          + (random.nextBoolean() ? ",\"stream_options\":{\"include_usage\":true}" : "")
          + "}";
    }
    List<String> members = new ArrayList<>();
    members.add(
        "\"model\":" + (random.nextInt(8) == 0 ? base.value(0) : HostileTraffic.quoted("gpt-4o")));
    if (random.nextInt(8) != 0) {
      members.add("\"messages\":" + chatMessages());
    }
    for (String field : new String[] {"max_tokens", "max_completion_tokens", "n"}) {
      if (random.nextInt(3) == 0) {
        members.add(HostileTraffic.quoted(field) + ":" + base.count());
      }
    }
    if (random.nextInt(2) == 0) {
      members.add("\"stream\":" + streamFlag());
    }
    if (random.nextInt(4) == 0) {
      members.add(
          "\"stream_options\":"
              + base.pick(new String[] {"{\"include_usage\":true}", "null", "[]", "7"}));
    }
    if (random.nextInt(5) == 0) {
      members.add("\"stop\":" + base.pick(new String[] {"\"END\"", "[\"a\",1]", "7", "{}"}));
    }
    if (random.nextInt(5) == 0) {
      members.add("\"temperature\":" + base.number());
    }
    if (random.nextInt(6) == 0) {
      members.add(
          "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
              + textOrValue()
              + ",\"parameters\":"
              + base.value(2)
              + "}}]");
    }
    if (random.nextInt(6) == 0) {
      members.add("\"response_format\":" + base.value(2));
    }
    java.util.Collections.shuffle(members, random);
    return "{" + String.join(",", members) + "}";
  }

  private String chatMessages() {
    if (random.nextInt(8) == 0) {
      return base.value(3);
    }
    StringBuilder list = new StringBuilder("[");
    int count = 1 + random.nextInt(3);
    for (int i = 0; i < count; i++) {
      String role =
          random.nextInt(6) == 0
              ? base.value(0)
              : HostileTraffic.quoted(
                  base.pick(new String[] {"user", "system", "assistant", "tool", "developer"}));
      list.append(i == 0 ? "" : ",")
          .append("{\"role\":")
          .append(role)
          .append(",\"content\":")
          .append(
              random.nextInt(5) == 0
                  ? "[{\"type\":\"text\",\"text\":"
                      + textOrValue()
                      + "},{\"type\":\"image_url\",\"image_url\":"
                      + base.value(1)
                      + "}]"
                  : textOrValue())
          .append(
              random.nextInt(8) == 0
                  ? ",\"tool_calls\":[{\"id\":"
                      + base.value(0)
                      + ",\"function\":{\"name\":\"f\",\"arguments\":"
                      + base.value(1)
                      + "}}]"
                  : "")
          .append("}");
    }
    return list.append("]").toString();
  }

  private String anthropicMessages() {
    if (random.nextInt(8) == 0) {
      return base.value(3);
    }
    return "[{\"role\":\"user\",\"content\":"
        + (random.nextBoolean()
            ? textOrValue()
            : "[{\"type\":\"text\",\"text\":"
                + textOrValue()
                + "},{\"type\":"
                + base.value(0)
                + "},"
                + base.value(1)
                + "]")
        + "}]";
  }

  private String streamFlag() {
    return base.pick(new String[] {"true", "true", "true", "false", "\"true\"", "1", "null"});
  }

  private String textOrValue() {
    return random.nextInt(8) == 0 ? base.value(2) : HostileTraffic.quoted(base.text());
  }

  /** An id as JSON-RPC peers write them, and as they should not. */
  private String rpcId() {
    return random.nextInt(3) == 0
        ? base.pick(
            new String[] {
              "null",
              "\"a\"",
              "\"\"",
              "1.5",
              "-0",
              "true",
              "[]",
              "{}",
              "9223372036854775807",
              "9223372036854775808",
              "123456789012345678901234567890",
              "1e400",
              "\"" + base.longText(random.nextInt(3000)) + "\""
            })
        : random.nextInt(4) == 0 ? base.number() : String.valueOf(random.nextInt(100));
  }

  private String rpc(Protocol protocol) {
    if (random.nextInt(5) == 0) {
      StringBuilder batch = new StringBuilder("[");
      int n = random.nextInt(5);
      for (int i = 0; i < n; i++) {
        batch.append(i == 0 ? "" : ",").append(rpcMessage(protocol));
      }
      return batch.append(random.nextInt(8) == 0 ? ",1,null" : "").append("]").toString();
    }
    return rpcMessage(protocol);
  }

  private String rpcMessage(Protocol protocol) {
    List<String> members = new ArrayList<>();
    if (random.nextInt(8) != 0) {
      members.add("\"jsonrpc\":" + (random.nextInt(8) == 0 ? base.value(0) : "\"2.0\""));
    }
    if (random.nextInt(6) != 0) {
      members.add("\"id\":" + rpcId());
    }
    String method =
        protocol == Protocol.MCP
            ? base.pick(
                new String[] {
                  "tools/call", "tools/call", "tools/call", "tools/list", "initialize", "ping"
                })
            : base.pick(new String[] {"message/send", "message/stream", "tasks/get", "x/y"});
    members.add(
        "\"method\":" + (random.nextInt(10) == 0 ? base.value(0) : HostileTraffic.quoted(method)));
    String params =
        protocol == Protocol.MCP
            ? "{\"name\":"
                + (random.nextInt(6) == 0
                    ? base.value(1)
                    : HostileTraffic.quoted(base.pick(new String[] {"get_issue", "delete_repo"})))
                + ",\"arguments\":"
                + (random.nextInt(4) == 0 ? base.value(3) : "{\"q\":" + textOrValue() + "}")
                + "}"
            : "{\"message\":{\"role\":\"user\",\"messageId\":"
                + rpcId()
                + ",\"parts\":[{\"kind\":\"text\",\"text\":"
                + textOrValue()
                + "}]}}";
    if (random.nextInt(8) != 0) {
      members.add("\"params\":" + (random.nextInt(8) == 0 ? base.value(2) : params));
    }
    java.util.Collections.shuffle(members, random);
    return "{" + String.join(",", members) + "}";
  }

  // ---------------------------------------------------------------------------------------------
  // Answers

  /** The backend's answer to a call of {@code protocol} that asked for a stream, or not. */
  HostileTraffic.Answer answer(Protocol protocol, boolean streamAsked) {
    int code = random.nextInt(12) == 0 ? base.pick(new int[] {400, 429, 500, 503, 204}) : 200;
    boolean stream = random.nextInt(8) == 0 ? !streamAsked : streamAsked;
    String contentType;
    byte[] body;
    boolean binary = false;
    switch (protocol) {
      case ANTHROPIC, VERTEX_ANTHROPIC, TO_ANTHROPIC -> {
        contentType = stream ? "text/event-stream" : "application/json";
        body = HostileTraffic.utf8(stream ? anthropicStream() : anthropicDocument());
      }
      case GEMINI, GEMINI_SSE, GEMINI_ARRAY, TO_GEMINI -> {
        boolean sse =
            protocol == Protocol.GEMINI_SSE || protocol == Protocol.TO_GEMINI && streamAsked;
        if (stream && (sse || protocol == Protocol.GEMINI && random.nextBoolean())) {
          contentType = "text/event-stream";
          body = HostileTraffic.utf8(geminiSse());
        } else if (stream) {
          contentType = "application/json";
          body = HostileTraffic.utf8(geminiArray());
        } else {
          contentType = "application/json";
          body = HostileTraffic.utf8(geminiDocument());
        }
      }
      case CONVERSE, CONVERSE_STREAM, TO_BEDROCK -> {
        contentType = stream ? EVENT_STREAM : "application/json";
        body = stream ? converseStream() : HostileTraffic.utf8(converseDocument());
        binary = stream;
      }
      case INVOKE_CLAUDE, INVOKE_CLAUDE_STREAM -> {
        contentType = stream ? EVENT_STREAM : "application/json";
        body = stream ? invokeStream(true) : HostileTraffic.utf8(anthropicDocument());
        binary = stream;
      }
      case INVOKE_OTHER, INVOKE_OTHER_STREAM -> {
        contentType = stream ? EVENT_STREAM : "application/json";
        body = stream ? invokeStream(false) : HostileTraffic.utf8(llamaDocument());
        binary = stream;
      }
      case AZURE_RESPONSES -> {
        return base.answer(streamAsked, true);
      }
      case OPENAI_CHAT -> {
        return base.answer(streamAsked, false);
      }
      default -> {
        contentType = stream ? "text/event-stream" : "application/json";
        body = HostileTraffic.utf8(stream ? rpcStream() : rpcDocument());
      }
    }
    if (random.nextInt(12) == 0) {
      contentType =
          base.pick(new String[] {"text/plain", "application/octet-stream", "TEXT/EVENT-STREAM"});
    } else if (random.nextInt(20) == 0) {
      contentType = null;
    }
    if (random.nextInt(binary ? 3 : 6) == 0) {
      body = binary ? breakFrames(body) : base.mutate(body);
    }
    return new HostileTraffic.Answer(
        code,
        contentType,
        body,
        random.nextInt(15) == 0,
        random.nextInt(3) == 0 ? 1 + random.nextInt(random.nextBoolean() ? 8 : 300) : 0);
  }

  /** A count in an answer: plausible, absurd, or of the wrong type. */
  private String n() {
    return base.usageCount();
  }

  private String anthropicUsage() {
    List<String> members = new ArrayList<>();
    if (random.nextInt(6) != 0) {
      members.add("\"input_tokens\":" + n());
    }
    if (random.nextInt(6) != 0) {
      members.add("\"output_tokens\":" + n());
    }
    if (random.nextInt(3) == 0) {
      members.add("\"cache_read_input_tokens\":" + n());
    }
    if (random.nextInt(3) == 0) {
      members.add("\"cache_creation_input_tokens\":" + n());
    }
    if (random.nextInt(8) == 0) {
      members.add("\"server_tool_use\":" + base.value(2));
    }
    return usageObject(members);
  }

  /**
   * Counts named {@code names}, each there two times in three, in an object in a random order; one
   * time in ten a value of any kind instead.
   */
  private String usage(String... names) {
    List<String> members = new ArrayList<>();
    for (String name : names) {
      if (random.nextInt(3) != 0) {
        members.add(HostileTraffic.quoted(name) + ":" + n());
      }
    }
    return usageObject(members);
  }

  /** {@code members} shuffled into an object; one time in ten a value of any kind instead. */
  private String usageObject(List<String> members) {
    java.util.Collections.shuffle(members, random);
    return random.nextInt(10) == 0 ? base.value(1) : "{" + String.join(",", members) + "}";
  }

  private String anthropicDocument() {
    return switch (random.nextInt(12)) {
      case 0 -> base.pick(new String[] {"", "null", "[]", "{", "{\"usage\":"});
      case 1 -> HostileTraffic.deep(100 + random.nextInt(2000));
      default ->
          "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
              + (random.nextInt(8) == 0 ? base.value(0) : "\"claude-sonnet-4-5\"")
              + ",\"content\":[{\"type\":\"text\",\"text\":"
              + textOrValue()
              + "}],\"stop_reason\":"
              + base.pick(new String[] {"\"end_turn\"", "\"max_tokens\"", "null", "1"})
              + (random.nextInt(8) == 0 ? "" : ",\"usage\":" + anthropicUsage())
              + "}";
    };
  }

  private String anthropicStream() {
    StringBuilder body = new StringBuilder();
    String end = random.nextInt(5) == 0 ? "\r\n" : "\n";
    if (random.nextInt(8) != 0) {
      sse(
          body,
          end,
          "message_start",
          "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":"
              + (random.nextInt(8) == 0 ? base.value(0) : "\"claude-sonnet-4-5\"")
              + ",\"usage\":"
              + anthropicUsage()
              + "}}");
    }
    sse(
        body,
        end,
        "content_block_start",
        "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
            + "\"text\":\"\"}}");
    int deltas = random.nextInt(5);
    for (int i = 0; i < deltas; i++) {
      if (random.nextInt(8) == 0) {
        body.append(base.garbageEvent(end));
        continue;
      }
      String delta =
          "{\"type\":\"content_block_delta\",\"index\":"
              + (random.nextInt(10) == 0 ? base.value(0) : "0")
              + ",\"delta\":{\"type\":\"text_delta\",\"text\":"
              + textOrValue()
              + "}}";
      sse(body, end, "content_block_delta", random.nextInt(6) == 0 ? base.edit(delta) : delta);
    }
    if (random.nextInt(4) != 0) {
      sse(
          body,
          end,
          "message_delta",
          "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":"
              + anthropicUsage()
              + "}");
    }
    if (random.nextInt(10) == 0) {
      sse(
          body,
          end,
          "error",
          "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
              + textOrValue()
              + "}}");
    }
    if (random.nextInt(4) != 0) {
      sse(body, end, "message_stop", "{\"type\":\"message_stop\"}");
    }
    return body.toString();
  }

  private static void sse(StringBuilder body, String end, String event, String data) {
    body.append("event: ").append(event).append(end).append("data: ").append(data);
    body.append(end).append(end);
  }

  private String geminiUsage() {
    return usage(
        "promptTokenCount",
        "candidatesTokenCount",
        "totalTokenCount",
        "thoughtsTokenCount",
        "cachedContentTokenCount",
        "toolUsePromptTokenCount");
  }

  private String geminiChunk() {
    return "{\"candidates\":"
        + (random.nextInt(10) == 0
            ? base.value(2)
            : "[{\"content\":{\"parts\":[{\"text\":"
                + textOrValue()
                + "}],\"role\":\"model\"},\"index\":0}]")
        + (random.nextInt(3) == 0 ? "" : ",\"usageMetadata\":" + geminiUsage())
        + ",\"modelVersion\":"
        + (random.nextInt(8) == 0 ? base.value(0) : "\"gemini-2.0-flash\"")
        + "}";
  }

  private String geminiDocument() {
    return switch (random.nextInt(12)) {
      case 0 -> base.pick(new String[] {"", "null", "[]", "{", "{\"usageMetadata\":"});
      case 1 -> HostileTraffic.deep(100 + random.nextInt(2000));
      default -> geminiChunk();
    };
  }

  private String geminiSse() {
    StringBuilder body = new StringBuilder();
    String end = random.nextInt(5) == 0 ? "\r\n" : "\n";
    int chunks = random.nextInt(5);
    for (int i = 0; i < chunks; i++) {
      if (random.nextInt(8) == 0) {
        body.append(base.garbageEvent(end));
        continue;
      }
      String chunk = geminiChunk();
      body.append("data: ").append(random.nextInt(6) == 0 ? base.edit(chunk) : chunk);
      body.append(end).append(end);
    }
    return body.toString();
  }

  private String geminiArray() {
    StringBuilder body = new StringBuilder("[");
    int chunks = random.nextInt(5);
    for (int i = 0; i < chunks; i++) {
      String chunk = random.nextInt(10) == 0 ? base.value(2) : geminiChunk();
      body.append(i == 0 ? "" : ",\r\n").append(random.nextInt(8) == 0 ? base.edit(chunk) : chunk);
    }
    if (random.nextInt(5) != 0) {
      body.append("]");
    }
    return body.toString();
  }

  private String converseUsage() {
    return usage(
        "inputTokens",
        "outputTokens",
        "totalTokens",
        "cacheReadInputTokens",
        "cacheWriteInputTokens");
  }

  private String converseDocument() {
    return switch (random.nextInt(12)) {
      case 0 -> base.pick(new String[] {"", "null", "[]", "{", "{\"usage\":"});
      case 1 -> HostileTraffic.deep(100 + random.nextInt(2000));
      default ->
          "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":"
              + textOrValue()
              + "}]}},\"stopReason\":\"end_turn\""
              + (random.nextInt(8) == 0 ? "" : ",\"usage\":" + converseUsage())
              + ",\"metrics\":{\"latencyMs\":"
              + base.number()
              + "}}";
    };
  }

  private byte[] converseStream() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    frame(out, "messageStart", "{\"role\":\"assistant\"}");
    int deltas = random.nextInt(5);
    for (int i = 0; i < deltas; i++) {
      frame(
          out,
          random.nextInt(12) == 0 ? "unknownEvent" : "contentBlockDelta",
          random.nextInt(10) == 0
              ? base.value(2)
              : "{\"contentBlockIndex\":0,\"delta\":{\"text\":" + textOrValue() + "}}");
    }
    if (random.nextInt(3) != 0) {
      frame(out, "messageStop", "{\"stopReason\":\"end_turn\"}");
    }
    if (random.nextInt(10) == 0) {
      exception(out, "throttlingException");
    }
    if (random.nextInt(4) != 0) {
      frame(
          out,
          "metadata",
          "{\"usage\":" + converseUsage() + ",\"metrics\":{\"latencyMs\":" + base.number() + "}}");
    }
    return out.toByteArray();
  }

  private String llamaDocument() {
    return switch (random.nextInt(10)) {
      case 0 -> base.pick(new String[] {"", "null", "[]", "{"});
      default ->
          "{\"generation\":"
              + textOrValue()
              + ",\"prompt_token_count\":"
              + n()
              + ",\"generation_token_count\":"
              + n()
              + ",\"stop_reason\":\"stop\"}";
    };
  }

  private byte[] invokeStream(boolean claude) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<String> payloads = new ArrayList<>();
    if (claude) {
      for (String event : anthropicStream().split("\r?\n\r?\n")) {
        int data = event.indexOf("data: ");
        if (data >= 0) {
          payloads.add(event.substring(data + 6));
        }
      }
    } else {
      int chunks = 1 + random.nextInt(4);
      for (int i = 0; i < chunks; i++) {
        payloads.add("{\"generation\":" + textOrValue() + "}");
      }
    }
    if (random.nextInt(4) != 0 && !payloads.isEmpty()) {
      String last = payloads.remove(payloads.size() - 1);
      String metrics =
          "\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":"
              + n()
              + ",\"outputTokenCount\":"
              + n()
              + "}";
      payloads.add(
          last.endsWith("}") ? last.substring(0, last.length() - 1) + "," + metrics + "}" : last);
    }
    for (String payload : payloads) {
      String bytes =
          random.nextInt(12) == 0
              ? base.pick(new String[] {"\"!!not base64\"", "1", "null", "\"\""})
              : "\"" + Base64.getEncoder().encodeToString(HostileTraffic.utf8(payload)) + "\"";
      frame(out, "chunk", "{\"bytes\":" + bytes + "}");
    }
    if (random.nextInt(10) == 0) {
      exception(out, "modelStreamErrorException");
    }
    return out.toByteArray();
  }

  private void frame(ByteArrayOutputStream out, String type, String payload) {
    out.writeBytes(EventStreamMessage.event(type, HostileTraffic.utf8(payload)).encode());
  }

  private void exception(ByteArrayOutputStream out, String type) {
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put(":message-type", "exception");
    headers.put(":exception-type", type);
    headers.put(":content-type", "application/json");
    out.writeBytes(
        new EventStreamMessage(headers, HostileTraffic.utf8("{\"message\":\"slow down\"}"))
            .encode());
  }

  /**
   * Binary event stream frames broken as a network or a broken backend breaks them: a flipped byte
   * (in a length, a checksum, a header or the payload), a huge or tiny declared length, a cut
   * frame, garbage between frames.
   */
  private byte[] breakFrames(byte[] frames) {
    byte[] broken = frames.clone();
    if (broken.length == 0) {
      return base.mutate(broken);
    }
    int at = random.nextInt(broken.length);
    switch (random.nextInt(6)) {
      case 0 -> broken[at] ^= (byte) (1 << random.nextInt(8));
      case 1 -> {
        // the first frame's total length, or its headers' length
        int field = random.nextBoolean() ? 0 : 4;
        if (broken.length >= 8) {
          int length =
              base.pick(new int[] {0, 1, 15, 16, 17, Integer.MAX_VALUE, -1, 16 * 1024 * 1024 + 1});
          broken[field] = (byte) (length >>> 24);
          broken[field + 1] = (byte) (length >>> 16);
          broken[field + 2] = (byte) (length >>> 8);
          broken[field + 3] = (byte) length;
        }
      }
      case 2 -> {
        byte[] cut = new byte[at];
        System.arraycopy(broken, 0, cut, 0, at);
        return cut;
      }
      default -> {
        return base.mutate(broken);
      }
    }
    return broken;
  }

  private String rpcResult() {
    return base.pick(
        new String[] {
          "{\"content\":[{\"type\":\"text\",\"text\":" + textOrValue() + "}]}",
          "{\"tools\":[{\"name\":\"get_issue\"},{\"name\":"
              + base.value(0)
              + "},"
              + base.value(1)
              + "]}",
          "{\"kind\":\"message\",\"parts\":[{\"kind\":\"text\",\"text\":" + textOrValue() + "}]}",
          base.value(2)
        });
  }

  private String rpcAnswer() {
    List<String> members = new ArrayList<>();
    members.add("\"jsonrpc\":\"2.0\"");
    if (random.nextInt(6) != 0) {
      members.add("\"id\":" + rpcId());
    }
    if (random.nextInt(6) == 0) {
      members.add("\"error\":{\"code\":" + base.number() + ",\"message\":" + textOrValue() + "}");
    } else {
      members.add("\"result\":" + rpcResult());
    }
    java.util.Collections.shuffle(members, random);
    return "{" + String.join(",", members) + "}";
  }

  private String rpcDocument() {
    return switch (random.nextInt(10)) {
      case 0 -> base.pick(new String[] {"", "null", "[]", "{", "[1,2]"});
      case 1 -> "[" + rpcAnswer() + "," + rpcAnswer() + "]";
      case 2 -> HostileTraffic.deep(100 + random.nextInt(2000));
      default -> rpcAnswer();
    };
  }

  private String rpcStream() {
    StringBuilder body = new StringBuilder();
    String end = random.nextInt(5) == 0 ? "\r\n" : "\n";
    int events = random.nextInt(4);
    for (int i = 0; i < events; i++) {
      if (random.nextInt(6) == 0) {
        body.append(base.garbageEvent(end));
        continue;
      }
      String data = rpcAnswer();
      body.append(random.nextBoolean() ? "event: message" + end : "")
          .append("data: ")
          .append(random.nextInt(6) == 0 ? base.edit(data) : data)
          .append(end)
          .append(end);
    }
    return body.toString();
  }

  private void maybe(Map<String, String> members, String name, String value) {
    if (random.nextInt(4) != 0) {
      members.put(name, value);
    }
  }
}
