package dev.aigateway.core.translate;

import static dev.aigateway.core.translate.Fixtures.tree;
import static dev.aigateway.core.translate.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.core.wire.EventStreamMessage;
import dev.aigateway.core.wire.Json;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The round trip, as a property over seeded random OpenAI requests of the supported field set:
 * translated for a target, answered by a fake backend of that target that reads the translated
 * request (it echoes the last user text and, when tools are offered, calls one), and translated
 * back, as JSON and as a stream handed over a few bytes at a time. What the table in {@code
 * docs/providers.md} says is kept must be: system texts, every message text in order, images, tool
 * calls (names, arguments, ids where the target keeps them), tool results, tools, sampling options;
 * and back: text, tool calls, finish reason and usage.
 */
@Tag("compute-bound")
class RoundTripPropertyTest {

  private static final int CASES = 250;
  private static final String[] WORDS = {
    "hello", "naïve", "漢字", "quote\"d", "back\\slash", "tab\there", "line\nbreak", "🙂", "42", " "
  };
  private static final String PNG = "iVBORw0KGgoAAAANSUhEUg==";

  /** What the generator put in a request, in order. */
  private static final class Expected {
    final List<String> system = new ArrayList<>();
    final List<String> texts = new ArrayList<>();
    final List<String> images = new ArrayList<>();
    final List<String> calls = new ArrayList<>(); // id|name|args
    final List<String> results = new ArrayList<>(); // id|content
    final List<String> tools = new ArrayList<>();
    String lastUserText = "";
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void translatedRequestsKeepWhatTheTableSaysAndAnswersComeBackWhole(Target target) {
    for (int seed = 0; seed < CASES; seed++) {
      Random random = new Random(seed * 31L + target.ordinal());
      Expected expected = new Expected();
      ObjectNode request = request(random, expected);
      String context = target + " seed " + seed + ": " + request;

      TranslatedRequest translated =
          Fixtures.translate(
              Fixtures.translator(target),
              ChatAnswer.bytes(request),
              "target-model",
              Fixtures.BACKENDS.get(target));
      Seen seen = read(target, tree(translated.body()), translated.url());

      assertThat(seen.system).as(context).isEqualTo(expected.system);
      assertThat(seen.texts).as(context).isEqualTo(expected.texts);
      assertThat(seen.images).as(context).isEqualTo(expected.images);
      assertThat(seen.calls)
          .as(context)
          .isEqualTo(target == Target.GEMINI ? withoutIds(expected.calls) : expected.calls);
      assertThat(seen.results)
          .as(context)
          .isEqualTo(target == Target.GEMINI ? namesOf(expected) : expected.results);
      assertThat(seen.tools).as(context).isEqualTo(expected.tools);
      for (int i = 1; i < seen.roles.size(); i++) {
        assertThat(seen.roles.get(i)).as(context).isNotEqualTo(seen.roles.get(i - 1));
      }
      assertThat(seen.roles.get(0)).as(context).isEqualTo("user");
      assertThat(seen.options).as(context).isEqualTo(options(request, target));

      // The fake backend answers from what it was sent.
      String echo = seen.lastUserText;
      boolean callsTool = !expected.tools.isEmpty() && random.nextBoolean();
      long input = random.nextInt(5000);
      long output = 1 + random.nextInt(500);
      long cached = target == Target.GEMINI ? random.nextInt((int) input + 1) : random.nextInt(300);
      boolean stream = request.path("stream").asBoolean();
      byte[] backend =
          stream
              ? streamAnswer(target, random, echo, callsTool, input, output, cached)
              : jsonAnswer(target, echo, callsTool, input, output, cached);
      byte[] back = Fixtures.answer(translated, backend);

      long prompt = target == Target.GEMINI ? input : input + cached;
      if (stream) {
        List<String> data = Fixtures.data(back);
        assertThat(Fixtures.streamedText(data)).as(context).isEqualTo(echo);
        assertThat(data.get(data.size() - 1)).as(context).isEqualTo("[DONE]");
        StringBuilder arguments = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String d : data.subList(0, data.size() - 1)) {
          JsonNode chunk = tree(utf8(d));
          assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk");
          arguments.append(chunk.at("/choices/0/delta/tool_calls/0/function/arguments").asText(""));
          if (chunk.at("/choices/0/finish_reason").isTextual()) {
            finish = chunk.at("/choices/0/finish_reason").asText();
          }
          if (chunk.has("usage")) {
            usage = chunk.get("usage");
          }
        }
        assertThat(finish).as(context).isEqualTo(callsTool ? "tool_calls" : "stop");
        if (callsTool) {
          assertThat(tree(utf8(arguments.toString())).path("echo").asText()).isEqualTo(echo);
        }
        if (request.at("/stream_options/include_usage").asBoolean()) {
          assertThat(usage).as(context).isNotNull();
          assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(prompt);
          assertThat(usage.path("completion_tokens").asLong()).isEqualTo(output);
          assertThat(usage.at("/prompt_tokens_details/cached_tokens").asLong()).isEqualTo(cached);
        } else {
          assertThat(usage).as(context).isNull();
        }
      } else {
        JsonNode answer = tree(back);
        assertThat(answer.at("/choices/0/message/content").asText("")).as(context).isEqualTo(echo);
        assertThat(answer.at("/choices/0/finish_reason").asText())
            .isEqualTo(callsTool ? "tool_calls" : "stop");
        if (callsTool) {
          JsonNode call = answer.at("/choices/0/message/tool_calls/0");
          assertThat(call.at("/function/name").asText()).isEqualTo("tool0");
          assertThat(tree(utf8(call.at("/function/arguments").asText())).path("echo").asText())
              .isEqualTo(echo);
        }
        assertThat(answer.at("/usage/prompt_tokens").asLong()).as(context).isEqualTo(prompt);
        assertThat(answer.at("/usage/completion_tokens").asLong()).isEqualTo(output);
        assertThat(answer.at("/usage/total_tokens").asLong()).isEqualTo(prompt + output);
        assertThat(answer.at("/usage/prompt_tokens_details/cached_tokens").asLong())
            .isEqualTo(cached);
      }
    }
  }

  // ---- the generator ----

  private static String text(Random random) {
    StringBuilder s = new StringBuilder();
    int n = 1 + random.nextInt(4);
    for (int i = 0; i < n; i++) {
      s.append(WORDS[random.nextInt(WORDS.length)]);
    }
    return s.toString().isBlank() ? "x" : s.toString();
  }

  private static ObjectNode request(Random random, Expected expected) {
    ObjectNode request = Json.MAPPER.createObjectNode();
    request.put("model", "gpt-4o");
    ArrayNode messages = request.putArray("messages");
    int tools = random.nextInt(3);
    if (tools > 0) {
      ArrayNode list = request.putArray("tools");
      for (int t = 0; t < tools; t++) {
        ObjectNode function = list.addObject().put("type", "function").putObject("function");
        function.put("name", "tool" + t).put("description", text(random));
        function
            .putObject("parameters")
            .put("type", "object")
            .putObject("properties")
            .putObject("echo")
            .put("type", "string");
        expected.tools.add("tool" + t + "|" + function.get("parameters"));
      }
    }
    int systems = random.nextInt(3);
    for (int i = 0; i < systems; i++) {
      String s = text(random);
      messages.addObject().put("role", i == 0 ? "system" : "developer").put("content", s);
      expected.system.add(s);
    }
    int turns = 1 + random.nextInt(5);
    int callId = 0;
    for (int turn = 0; turn < turns; turn++) {
      userMessage(random, messages, expected);
      if (turn == turns - 1) {
        break;
      }
      ObjectNode assistant = messages.addObject().put("role", "assistant");
      String said = text(random);
      assistant.put("content", said);
      expected.texts.add(said);
      if (tools > 0 && random.nextBoolean()) {
        int calls = 1 + random.nextInt(2);
        ArrayNode toolCalls = assistant.putArray("tool_calls");
        List<String> ids = new ArrayList<>();
        for (int c = 0; c < calls; c++) {
          String id = "call_" + callId++;
          String name = "tool" + random.nextInt(tools);
          ObjectNode args = Json.MAPPER.createObjectNode().put("echo", text(random));
          ObjectNode call = toolCalls.addObject().put("id", id).put("type", "function");
          call.putObject("function").put("name", name).put("arguments", args.toString());
          expected.calls.add(id + "|" + name + "|" + args);
          ids.add(id + "|" + name);
        }
        for (String idAndName : ids) {
          String id = idAndName.substring(0, idAndName.indexOf('|'));
          String result =
              random.nextBoolean() ? "{\"ok\":" + random.nextInt(9) + "}" : text(random);
          messages.addObject().put("role", "tool").put("tool_call_id", id).put("content", result);
          expected.results.add(idAndName + "|" + result);
        }
      }
    }
    if (random.nextBoolean()) {
      request.put("temperature", random.nextInt(100) / 100.0);
    }
    if (random.nextBoolean()) {
      request.put("top_p", (1 + random.nextInt(100)) / 100.0);
    }
    if (random.nextBoolean()) {
      request.put(
          random.nextBoolean() ? "max_tokens" : "max_completion_tokens", 1 + random.nextInt(4000));
    }
    switch (random.nextInt(3)) {
      case 1 -> request.put("stop", "END");
      case 2 ->
          request
              .putArray("stop")
              .add("###")
              .add("\n\nUser:"); // Anthropic refuses white space alone
      default -> {}
    }
    if (random.nextBoolean()) {
      request.put("stream", true);
      if (random.nextBoolean()) {
        request.putObject("stream_options").put("include_usage", true);
      }
    }
    if (random.nextBoolean()) {
      request.put("user", "user-" + random.nextInt(100));
    }
    return request;
  }

  private static void userMessage(Random random, ArrayNode messages, Expected expected) {
    ObjectNode user = messages.addObject().put("role", "user");
    String last = null;
    if (random.nextBoolean()) {
      last = text(random);
      user.put("content", last);
      expected.texts.add(last);
    } else {
      ArrayNode parts = user.putArray("content");
      int n = 1 + random.nextInt(3);
      for (int i = 0; i < n; i++) {
        if (random.nextInt(3) == 0) {
          parts
              .addObject()
              .put("type", "image_url")
              .putObject("image_url")
              .put("url", "data:image/png;base64," + PNG);
          expected.images.add("image/png|" + PNG);
        } else {
          last = text(random);
          parts.addObject().put("type", "text").put("text", last);
          expected.texts.add(last);
        }
      }
      if (last == null) {
        last = text(random);
        parts.addObject().put("type", "text").put("text", last);
        expected.texts.add(last);
      }
    }
    expected.lastUserText = last;
  }

  private static List<String> withoutIds(List<String> calls) {
    List<String> out = new ArrayList<>();
    for (String c : calls) {
      out.add(c.substring(c.indexOf('|') + 1));
    }
    return out;
  }

  /** Gemini's results name the function, not the call: name|content. */
  private static List<String> namesOf(Expected expected) {
    List<String> out = new ArrayList<>();
    for (String r : expected.results) {
      String rest = r.substring(r.indexOf('|') + 1);
      String name = rest.substring(0, rest.indexOf('|'));
      String content = rest.substring(rest.indexOf('|') + 1);
      JsonNode parsed = Json.parseOrNull(utf8(content), 0, utf8(content).length);
      out.add(
          name
              + "|"
              + (parsed != null && parsed.isObject()
                  ? parsed.toString()
                  : Json.MAPPER.createObjectNode().put("content", content).toString()));
    }
    return out;
  }

  /** The sampling options and the stream flag, as one comparable line. */
  private static String options(ObjectNode request, Target target) {
    long max =
        request.has("max_completion_tokens")
            ? request.get("max_completion_tokens").asLong()
            : request.has("max_tokens")
                ? request.get("max_tokens").asLong()
                : target == Target.ANTHROPIC ? AnthropicTranslator.DEFAULT_MAX_TOKENS : -1;
    List<String> stop = new ArrayList<>();
    JsonNode s = request.get("stop");
    if (s != null) {
      if (s.isTextual()) {
        stop.add(s.asText());
      } else {
        s.forEach(v -> stop.add(v.asText()));
      }
    }
    return request.path("temperature").asDouble(-1)
        + " "
        + request.path("top_p").asDouble(-1)
        + " "
        + max
        + " "
        + stop
        + " "
        + request.path("stream").asBoolean(false);
  }

  // ---- reading the translated request, as the fake backend ----

  private static final class Seen {
    final List<String> system = new ArrayList<>();
    final List<String> texts = new ArrayList<>();
    final List<String> images = new ArrayList<>();
    final List<String> calls = new ArrayList<>();
    final List<String> results = new ArrayList<>();
    final List<String> tools = new ArrayList<>();
    final List<String> roles = new ArrayList<>();
    String lastUserText = "";
    String options;
  }

  private static Seen read(Target target, JsonNode body, String url) {
    Seen seen = new Seen();
    List<String> stop = new ArrayList<>();
    java.util.Map<String, String> callNames = new java.util.HashMap<>();
    switch (target) {
      case ANTHROPIC -> {
        body.path("system").forEach(b -> seen.system.add(b.path("text").asText()));
        for (JsonNode m : body.path("messages")) {
          String role = m.path("role").asText();
          seen.roles.add(role);
          for (JsonNode b : m.path("content")) {
            switch (b.path("type").asText()) {
              case "text" -> text(seen, role, b.path("text").asText());
              case "image" ->
                  seen.images.add(
                      b.at("/source/media_type").asText() + "|" + b.at("/source/data").asText());
              case "tool_use" -> {
                seen.calls.add(
                    b.path("id").asText() + "|" + b.path("name").asText() + "|" + b.get("input"));
                callNames.put(b.path("id").asText(), b.path("name").asText());
              }
              case "tool_result" ->
                  seen.results.add(
                      b.path("tool_use_id").asText()
                          + "|"
                          + callNames.get(b.path("tool_use_id").asText())
                          + "|"
                          + b.path("content").asText());
              default -> throw new AssertionError("unexpected block " + b);
            }
          }
        }
        body.path("tools")
            .forEach(t -> seen.tools.add(t.path("name").asText() + "|" + t.get("input_schema")));
        body.path("stop_sequences").forEach(v -> stop.add(v.asText()));
        seen.options =
            body.path("temperature").asDouble(-1)
                + " "
                + body.path("top_p").asDouble(-1)
                + " "
                + body.path("max_tokens").asLong(-1)
                + " "
                + stop
                + " "
                + body.path("stream").asBoolean(false);
      }
      case BEDROCK -> {
        body.path("system").forEach(b -> seen.system.add(b.path("text").asText()));
        for (JsonNode m : body.path("messages")) {
          String role = m.path("role").asText();
          seen.roles.add(role);
          for (JsonNode b : m.path("content")) {
            if (b.has("text")) {
              text(seen, role, b.path("text").asText());
            } else if (b.has("image")) {
              seen.images.add(
                  "image/"
                      + b.at("/image/format").asText()
                      + "|"
                      + b.at("/image/source/bytes").asText());
            } else if (b.has("toolUse")) {
              JsonNode u = b.get("toolUse");
              seen.calls.add(
                  u.path("toolUseId").asText()
                      + "|"
                      + u.path("name").asText()
                      + "|"
                      + u.get("input"));
              callNames.put(u.path("toolUseId").asText(), u.path("name").asText());
            } else if (b.has("toolResult")) {
              JsonNode r = b.get("toolResult");
              seen.results.add(
                  r.path("toolUseId").asText()
                      + "|"
                      + callNames.get(r.path("toolUseId").asText())
                      + "|"
                      + r.at("/content/0/text").asText());
            } else {
              throw new AssertionError("unexpected block " + b);
            }
          }
        }
        body.at("/toolConfig/tools")
            .forEach(
                t ->
                    seen.tools.add(
                        t.at("/toolSpec/name").asText()
                            + "|"
                            + t.at("/toolSpec/inputSchema/json")));
        JsonNode inference = body.path("inferenceConfig");
        inference.path("stopSequences").forEach(v -> stop.add(v.asText()));
        seen.options =
            inference.path("temperature").asDouble(-1)
                + " "
                + inference.path("topP").asDouble(-1)
                + " "
                + inference.path("maxTokens").asLong(-1)
                + " "
                + stop
                + " "
                + url.contains("stream");
      }
      case GEMINI -> {
        body.at("/systemInstruction/parts").forEach(p -> seen.system.add(p.path("text").asText()));
        for (JsonNode c : body.path("contents")) {
          String role = c.path("role").asText().equals("model") ? "assistant" : "user";
          seen.roles.add(role);
          for (JsonNode p : c.path("parts")) {
            if (p.has("text")) {
              text(seen, role, p.path("text").asText());
            } else if (p.has("inlineData")) {
              seen.images.add(
                  p.at("/inlineData/mimeType").asText() + "|" + p.at("/inlineData/data").asText());
            } else if (p.has("functionCall")) {
              seen.calls.add(
                  p.at("/functionCall/name").asText() + "|" + p.at("/functionCall/args"));
            } else if (p.has("functionResponse")) {
              seen.results.add(
                  p.at("/functionResponse/name").asText()
                      + "|"
                      + p.at("/functionResponse/response"));
            } else {
              throw new AssertionError("unexpected part " + p);
            }
          }
        }
        body.at("/tools/0/functionDeclarations")
            .forEach(d -> seen.tools.add(d.path("name").asText() + "|" + d.get("parameters")));
        JsonNode generation = body.path("generationConfig");
        generation.path("stopSequences").forEach(v -> stop.add(v.asText()));
        seen.options =
            generation.path("temperature").asDouble(-1)
                + " "
                + generation.path("topP").asDouble(-1)
                + " "
                + generation.path("maxOutputTokens").asLong(-1)
                + " "
                + stop
                + " "
                + url.contains("stream");
      }
    }
    return seen;
  }

  private static void text(Seen seen, String role, String text) {
    seen.texts.add(text);
    if (role.equals("user")) {
      seen.lastUserText = text;
    }
  }

  // ---- the fake backends' answers ----

  private static byte[] jsonAnswer(
      Target target, String echo, boolean callsTool, long input, long output, long cached) {
    ObjectNode args = Json.MAPPER.createObjectNode().put("echo", echo);
    ObjectNode doc = Json.MAPPER.createObjectNode();
    switch (target) {
      case ANTHROPIC -> {
        doc.put("id", "msg_1").put("type", "message").put("role", "assistant").put("model", "c");
        ArrayNode content = doc.putArray("content");
        content.addObject().put("type", "text").put("text", echo);
        if (callsTool) {
          content
              .addObject()
              .put("type", "tool_use")
              .put("id", "toolu_1")
              .put("name", "tool0")
              .set("input", args);
        }
        doc.put("stop_reason", callsTool ? "tool_use" : "end_turn");
        doc.putObject("usage")
            .put("input_tokens", input)
            .put("cache_read_input_tokens", cached)
            .put("cache_creation_input_tokens", 0)
            .put("output_tokens", output);
      }
      case BEDROCK -> {
        ArrayNode content =
            doc.putObject("output")
                .putObject("message")
                .put("role", "assistant")
                .putArray("content");
        content.addObject().put("text", echo);
        if (callsTool) {
          content
              .addObject()
              .putObject("toolUse")
              .put("toolUseId", "tooluse_1")
              .put("name", "tool0")
              .set("input", args);
        }
        doc.put("stopReason", callsTool ? "tool_use" : "end_turn");
        doc.putObject("usage")
            .put("inputTokens", input)
            .put("outputTokens", output)
            .put("totalTokens", input + cached + output)
            .put("cacheReadInputTokens", cached);
      }
      case GEMINI -> {
        ObjectNode candidate = doc.putArray("candidates").addObject();
        ArrayNode parts = candidate.putObject("content").put("role", "model").putArray("parts");
        parts.addObject().put("text", echo);
        if (callsTool) {
          parts.addObject().putObject("functionCall").put("name", "tool0").set("args", args);
        }
        candidate.put("finishReason", "STOP");
        doc.putObject("usageMetadata")
            .put("promptTokenCount", input)
            .put("candidatesTokenCount", output)
            .put("totalTokenCount", input + output)
            .put("cachedContentTokenCount", cached);
      }
    }
    return ChatAnswer.bytes(doc);
  }

  private static List<String> pieces(Random random, String s) {
    List<String> out = new ArrayList<>();
    int at = 0;
    while (at < s.length()) {
      int end = Math.min(s.length(), at + 1 + random.nextInt(4));
      if (end < s.length() && Character.isHighSurrogate(s.charAt(end - 1))) {
        end++;
      }
      out.add(s.substring(at, end));
      at = end;
    }
    return out;
  }

  private static byte[] streamAnswer(
      Target target,
      Random random,
      String echo,
      boolean callsTool,
      long input,
      long output,
      long cached) {
    String args = Json.MAPPER.createObjectNode().put("echo", echo).toString();
    StringBuilder sse = new StringBuilder();
    ByteArrayOutputStream binary = new ByteArrayOutputStream();
    switch (target) {
      case ANTHROPIC -> {
        event(
            sse,
            "message_start",
            Json.MAPPER
                .createObjectNode()
                .put("type", "message_start")
                .set(
                    "message",
                    Json.MAPPER
                        .createObjectNode()
                        .put("id", "msg_1")
                        .put("model", "c")
                        .set(
                            "usage",
                            Json.MAPPER
                                .createObjectNode()
                                .put("input_tokens", input)
                                .put("cache_read_input_tokens", cached)
                                .put("output_tokens", 1))));
        event(
            sse,
            "content_block_start",
            tree(
                utf8(
                    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")));
        for (String p : pieces(random, echo)) {
          ObjectNode e =
              Json.MAPPER.createObjectNode().put("type", "content_block_delta").put("index", 0);
          e.putObject("delta").put("type", "text_delta").put("text", p);
          event(sse, "content_block_delta", e);
        }
        if (callsTool) {
          event(
              sse,
              "content_block_start",
              tree(
                  utf8(
                      "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"tool0\",\"input\":{}}}")));
          for (String p : pieces(random, args)) {
            ObjectNode e =
                Json.MAPPER.createObjectNode().put("type", "content_block_delta").put("index", 1);
            e.putObject("delta").put("type", "input_json_delta").put("partial_json", p);
            event(sse, "content_block_delta", e);
          }
        }
        ObjectNode delta = Json.MAPPER.createObjectNode().put("type", "message_delta");
        delta.putObject("delta").put("stop_reason", callsTool ? "tool_use" : "end_turn");
        delta.putObject("usage").put("output_tokens", output);
        event(sse, "message_delta", delta);
        event(sse, "message_stop", tree(utf8("{\"type\":\"message_stop\"}")));
      }
      case GEMINI -> {
        List<String> ps = pieces(random, echo);
        for (int i = 0; i < ps.size(); i++) {
          ObjectNode doc = Json.MAPPER.createObjectNode();
          ObjectNode candidate = doc.putArray("candidates").addObject();
          ArrayNode parts = candidate.putObject("content").put("role", "model").putArray("parts");
          parts.addObject().put("text", ps.get(i));
          boolean last = i == ps.size() - 1;
          if (last && callsTool) {
            parts
                .addObject()
                .putObject("functionCall")
                .put("name", "tool0")
                .set("args", tree(utf8(args)));
          }
          if (last) {
            candidate.put("finishReason", "STOP");
          }
          doc.putObject("usageMetadata")
              .put("promptTokenCount", input)
              .put("candidatesTokenCount", last ? output : i)
              .put("cachedContentTokenCount", cached);
          event(sse, null, doc);
        }
      }
      case BEDROCK -> {
        frame(binary, "messageStart", "{\"role\":\"assistant\"}");
        for (String p : pieces(random, echo)) {
          ObjectNode e = Json.MAPPER.createObjectNode().put("contentBlockIndex", 0);
          e.putObject("delta").put("text", p);
          frame(binary, "contentBlockDelta", e.toString());
        }
        if (callsTool) {
          frame(
              binary,
              "contentBlockStart",
              "{\"contentBlockIndex\":1,\"start\":{\"toolUse\":{\"toolUseId\":\"tooluse_1\",\"name\":\"tool0\"}}}");
          for (String p : pieces(random, args)) {
            ObjectNode e = Json.MAPPER.createObjectNode().put("contentBlockIndex", 1);
            e.putObject("delta").putObject("toolUse").put("input", p);
            frame(binary, "contentBlockDelta", e.toString());
          }
        }
        frame(
            binary,
            "messageStop",
            "{\"stopReason\":\"" + (callsTool ? "tool_use" : "end_turn") + "\"}");
        ObjectNode metadata = Json.MAPPER.createObjectNode();
        metadata
            .putObject("usage")
            .put("inputTokens", input)
            .put("outputTokens", output)
            .put("totalTokens", input + cached + output)
            .put("cacheReadInputTokens", cached);
        frame(binary, "metadata", metadata.toString());
        return binary.toByteArray();
      }
    }
    return utf8(sse.toString());
  }

  private static void event(StringBuilder sse, String name, JsonNode data) {
    if (name != null) {
      sse.append("event: ").append(name).append('\n');
    }
    sse.append("data: ").append(data).append("\n\n");
  }

  private static void frame(ByteArrayOutputStream out, String type, String json) {
    out.writeBytes(EventStreamMessage.event(type, utf8(json)).encode());
  }
}
