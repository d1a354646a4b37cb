package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Operation;
import dev.aigateway.api.spi.CachedResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Turns a cached answer into the body a call asked for: JSON or a server-sent-event stream,
 * whichever form the answer was stored in.
 *
 * <ul>
 *   <li>Same form: JSON is replayed byte for byte; a stream too, except that the usage-only chunk
 *       (and the {@code "usage":null} members OpenAI adds to every other chunk) is removed when the
 *       call did not ask for {@code stream_options.include_usage}, exactly as the gateway hides
 *       them from a live stream. A chat or completions stream stored without usage (the gateway did
 *       not ask for it) cannot answer a call that asks for it: a miss.
 *   <li>JSON to stream (chat and text completions): a role chunk, one content chunk per choice
 *       (tool calls whole), a finish chunk per choice, the usage chunk if asked for, then {@code
 *       [DONE]}.
 *   <li>Stream to JSON (chat and text completions): the chunks assembled into the completion
 *       document the backend would have answered: text concatenated per choice, tool-call arguments
 *       concatenated per call, finish reasons and usage kept. A stream stored without usage cannot
 *       give the {@code usage} every JSON answer has: a miss.
 *   <li>An answer with token log probabilities ({@code logprobs}), or a chat message or delta
 *       member the conversions do not carry (a legacy {@code function_call}, {@code audio}, a
 *       server's {@code reasoning_content}, {@code annotations}), is not converted: a miss.
 * </ul>
 */
final class OpenAiReplay {

  static final String JSON_TYPE = "application/json";
  static final String SSE_TYPE = "text/event-stream; charset=utf-8";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final BodyListener IGNORED =
      new BodyListener() {
        @Override
        public void firstBytes() {}

        @Override
        public void bodyEnded(CallOutcome outcome, ResponseReadout readout, Throwable failure) {}
      };

  private OpenAiReplay() {}

  /**
   * The body for a call of {@code operation} that asks for a stream or not, or null when this
   * answer cannot be given in that form (the call is then a miss).
   */
  static @Nullable Replayed replay(
      CachedResponse cached, Operation operation, boolean stream, boolean includeUsage) {
    boolean storedStream = cached.format() == CachedResponse.Format.SSE;
    try {
      if (storedStream == stream) {
        if (!stream) {
          return new Replayed(cached.body(), JSON_TYPE);
        }
        boolean asksUsage =
            operation == Operation.CHAT_COMPLETIONS || operation == Operation.COMPLETIONS;
        if (asksUsage && includeUsage && !reportsUsage(cached.body())) {
          return null; // stored without the usage chunk this call asks for: the backend sends it
        }
        boolean hide = asksUsage && !includeUsage;
        return new Replayed(hide ? withoutUsage(cached.body()) : cached.body(), SSE_TYPE);
      }
      if (operation != Operation.CHAT_COMPLETIONS && operation != Operation.COMPLETIONS) {
        return null;
      }
      boolean chat = operation == Operation.CHAT_COMPLETIONS;
      if (carriesUnconverted(cached, chat)) {
        return null; // the conversion would drop part of the answer (log probabilities, audio...)
      }
      if (stream) {
        JsonNode document = Json.MAPPER.readTree(cached.body());
        return document instanceof ObjectNode object
            ? new Replayed(toStream(object, chat, includeUsage), SSE_TYPE)
            : null;
      }
      ObjectNode document = assemble(cached.body(), chat);
      // A JSON answer always reports usage: a stream stored without it cannot give one (a miss).
      return document == null || !document.has("usage")
          ? null
          : new Replayed(Json.MAPPER.writeValueAsBytes(document), JSON_TYPE);
    } catch (IOException | RuntimeException e) {
      return null; // an answer that cannot be converted is not served
    }
  }

  /**
   * The members of a chat answer's message (JSON) or of its chunks' deltas (stream) that the
   * conversions carry over; an answer with any other one is not converted.
   */
  /**
   * The members in which Azure OpenAI annotates the prompt (a JSON answer's, a stream's first
   * chunk's): its content filter results, under their current and their earlier name. Both
   * conversions carry them.
   */
  private static final List<String> PROMPT_FILTER_MEMBERS =
      List.of("prompt_filter_results", "prompt_annotations");

  /** The member of a choice in which Azure OpenAI gives its content filter results. */
  private static final String CONTENT_FILTER_RESULTS = "content_filter_results";

  private static final Set<String> CONVERTED_MESSAGE_MEMBERS =
      Set.of("role", "content", "refusal", "tool_calls");

  /**
   * Whether the stored answer holds what a conversion to the other form would drop: token log
   * probabilities in any choice, or (chat) a message or delta member other than its role, content,
   * refusal and tool calls that says something (not null, not empty), such as a legacy {@code
   * function_call}, spoken {@code audio}, a server's {@code reasoning_content} or {@code
   * annotations}, or content that is not a string (a list of parts, as some servers answer); or (a
   * stored stream) a tool call the assembly would not give whole ({@link #assembledWhole}).
   */
  private static boolean carriesUnconverted(CachedResponse cached, boolean chat)
      throws IOException {
    boolean storedStream = cached.format() == CachedResponse.Format.SSE;
    List<JsonNode> documents = new ArrayList<>();
    if (storedStream) {
      for (String data : dataOf(cached.body())) {
        documents.add(Json.MAPPER.readTree(data));
      }
    } else {
      documents.add(Json.MAPPER.readTree(cached.body()));
    }
    String message = storedStream ? "delta" : "message";
    for (JsonNode document : documents) {
      for (JsonNode choice : document.path("choices")) {
        if (saysSomething(choice.get("logprobs"))) {
          return true;
        }
        if (chat) {
          for (var member : choice.path(message).properties()) {
            String name = member.getKey();
            JsonNode value = member.getValue();
            if (!saysSomething(value)) {
              continue;
            }
            if (!CONVERTED_MESSAGE_MEMBERS.contains(name)
                || (name.equals("content") && !value.isTextual())) {
              return true; // content as a list of parts: the conversions carry text only
            }
            if (storedStream && name.equals("tool_calls") && !assembledWhole(value)) {
              return true; // a streamed call's member the assembly would leave out
            }
          }
        }
      }
    }
    return false;
  }

  /** The members of a tool call a stream's assembly carries (besides its {@code function}). */
  private static final Set<String> ASSEMBLED_CALL_MEMBERS = Set.of("index", "id", "type");

  /** The members of a tool call's {@code function} a stream's assembly carries. */
  private static final Set<String> ASSEMBLED_FUNCTION_MEMBERS = Set.of("name", "arguments");

  /**
   * Whether every tool call of a streamed delta is a function call of only the members a stream's
   * assembly carries: its {@code index}, {@code id}, {@code type} and {@code function}'s {@code
   * name} and {@code arguments}. A member besides them that says something (such as Gemini's {@code
   * extra_content.google.thought_signature}, which the next turn must send back, or a custom tool
   * call's {@code custom} input) would be left out of the assembled call.
   */
  private static boolean assembledWhole(JsonNode toolCalls) {
    for (JsonNode call : toolCalls) {
      for (var member : call.properties()) {
        String name = member.getKey();
        JsonNode value = member.getValue();
        if (!saysSomething(value) || ASSEMBLED_CALL_MEMBERS.contains(name)) {
          continue;
        }
        if (!name.equals("function")) {
          return false;
        }
        for (var field : value.properties()) {
          if (saysSomething(field.getValue())
              && !ASSEMBLED_FUNCTION_MEMBERS.contains(field.getKey())) {
            return false;
          }
        }
      }
      JsonNode type = call.get("type");
      if (saysSomething(type) && !"function".equals(type.asText())) {
        return false;
      }
    }
    return true;
  }

  /** Whether a member's value is there and not null, nor an empty string, array or object. */
  private static boolean saysSomething(@Nullable JsonNode value) {
    if (value == null || value.isNull()) {
      return false;
    }
    if (value.isTextual()) {
      return !value.textValue().isEmpty();
    }
    return !value.isContainerNode() || !value.isEmpty();
  }

  /** Whether a stored chat or completions stream reports usage (its usage chunk, or any other). */
  private static boolean reportsUsage(byte[] stream) throws IOException {
    ResponseReadout[] read = new ResponseReadout[1];
    BodyListener listener =
        new BodyListener() {
          @Override
          public void firstBytes() {}

          @Override
          public void bodyEnded(CallOutcome outcome, ResponseReadout readout, Throwable failure) {
            read[0] = readout;
          }
        };
    try (SseBody body =
        new SseBody(new ByteArrayInputStream(stream), listener, () -> false, false, false)) {
      body.transferTo(OutputStream.nullOutputStream());
    }
    return read[0] != null && read[0].usage() != null;
  }

  private static byte[] withoutUsage(byte[] stream) throws IOException {
    try (SseBody body =
        new SseBody(new ByteArrayInputStream(stream), IGNORED, () -> false, false, true)) {
      return body.readAllBytes();
    }
  }

  // ---- JSON to stream ----

  private static byte[] toStream(ObjectNode document, boolean chat, boolean includeUsage)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(document.toString().length() * 2);
    // Azure OpenAI gives a stream's prompt filter results in a chunk of their own, before any
    // choice.
    ObjectNode promptFilter = null;
    for (String member : PROMPT_FILTER_MEMBERS) {
      JsonNode results = document.get(member);
      if (saysSomething(results)) {
        if (promptFilter == null) {
          promptFilter = header(document, chat);
          promptFilter.putArray("choices");
        }
        promptFilter.set(member, results);
      }
    }
    if (promptFilter != null) {
      event(out, promptFilter);
    }
    JsonNode choices = document.path("choices");
    for (JsonNode choice : choices) {
      int index = choice.path("index").asInt(0);
      // A choice's content filter results go with the chunk that carries its content (the only
      // one with any), as Azure OpenAI gives them with each chunk of content.
      JsonNode filterResults = choice.get(CONTENT_FILTER_RESULTS);
      if (!saysSomething(filterResults)) {
        filterResults = null;
      }
      if (chat) {
        JsonNode message = choice.path("message");
        ObjectNode roleDelta = NODES.objectNode();
        roleDelta.put("role", message.path("role").asText("assistant"));
        JsonNode text = message.get("content");
        if (text != null && text.isTextual()) {
          roleDelta.put("content", "");
        } else {
          roleDelta.putNull("content");
        }
        event(out, chunk(document, chat, index, roleDelta, null, includeUsage));
        ObjectNode delta = NODES.objectNode();
        JsonNode content = message.get("content");
        if (content != null && content.isTextual() && !content.textValue().isEmpty()) {
          delta.set("content", content);
        }
        JsonNode refusal = message.get("refusal");
        if (refusal != null && refusal.isTextual()) {
          delta.set("refusal", refusal);
        }
        JsonNode toolCalls = message.get("tool_calls");
        if (toolCalls != null && toolCalls.isArray() && !toolCalls.isEmpty()) {
          ArrayNode calls = delta.putArray("tool_calls");
          int i = 0;
          for (JsonNode call : toolCalls) {
            ObjectNode indexed = NODES.objectNode();
            indexed.put("index", i++);
            call.properties().forEach(f -> indexed.set(f.getKey(), f.getValue()));
            calls.add(indexed);
          }
        }
        if (!delta.isEmpty()) {
          event(
              out,
              withFilterResults(
                  chunk(document, chat, index, delta, null, includeUsage), filterResults));
          filterResults = null;
        }
        event(
            out,
            withFilterResults(
                chunk(
                    document,
                    chat,
                    index,
                    NODES.objectNode(),
                    choice.get("finish_reason"),
                    includeUsage),
                filterResults));
      } else {
        ObjectNode text = NODES.objectNode();
        text.set("text", choice.path("text").isTextual() ? choice.get("text") : NODES.textNode(""));
        event(
            out,
            withFilterResults(
                chunk(document, chat, index, text, null, includeUsage), filterResults));
        ObjectNode end = NODES.objectNode();
        end.put("text", "");
        event(out, chunk(document, chat, index, end, choice.get("finish_reason"), includeUsage));
      }
    }
    JsonNode usage = document.get("usage");
    if (includeUsage && usage != null && usage.isObject()) {
      ObjectNode last = header(document, chat);
      last.putArray("choices");
      last.set("usage", usage);
      event(out, last);
    }
    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /** {@code chunk} with its one choice's content filter results, when there are any. */
  private static ObjectNode withFilterResults(ObjectNode chunk, @Nullable JsonNode results) {
    if (results != null) {
      ((ObjectNode) chunk.path("choices").path(0)).set(CONTENT_FILTER_RESULTS, results);
    }
    return chunk;
  }

  private static ObjectNode header(ObjectNode document, boolean chat) {
    ObjectNode chunk = NODES.objectNode();
    copy(document, chunk, "id");
    chunk.put("object", chat ? "chat.completion.chunk" : "text_completion");
    copy(document, chunk, "created");
    copy(document, chunk, "model");
    copy(document, chunk, "service_tier");
    copy(document, chunk, "system_fingerprint");
    return chunk;
  }

  private static ObjectNode chunk(
      ObjectNode document,
      boolean chat,
      int index,
      ObjectNode body,
      JsonNode finishReason,
      boolean includeUsage) {
    ObjectNode chunk = header(document, chat);
    ObjectNode choice = chunk.putArray("choices").addObject();
    choice.put("index", index);
    if (chat) {
      choice.set("delta", body);
    } else {
      body.properties().forEach(f -> choice.set(f.getKey(), f.getValue()));
    }
    choice.putNull("logprobs");
    choice.set("finish_reason", finishReason == null ? NODES.nullNode() : finishReason);
    if (includeUsage) {
      chunk.putNull("usage");
    }
    return chunk;
  }

  private static void event(ByteArrayOutputStream out, ObjectNode chunk) throws IOException {
    out.write("data: ".getBytes(StandardCharsets.US_ASCII));
    out.write(Json.MAPPER.writeValueAsBytes(chunk));
    out.write("\n\n".getBytes(StandardCharsets.US_ASCII));
  }

  private static void copy(JsonNode from, ObjectNode to, String field) {
    JsonNode value = from.get(field);
    if (value != null && !value.isNull()) {
      to.set(field, value);
    }
  }

  // ---- stream to JSON ----

  /**
   * The stream's chunks assembled into one completion document; null when it has none, or when the
   * chunks of one choice carry different content filter results (Azure OpenAI's, which rate each
   * chunk's content: the document would have to say one thing of the whole answer that Azure never
   * said).
   */
  static ObjectNode assemble(byte[] stream, boolean chat) throws IOException {
    ObjectNode first = null;
    JsonNode usage = null;
    Map<String, JsonNode> promptFilter = new LinkedHashMap<>(2);
    Map<Integer, ChoiceParts> choices = new TreeMap<>();
    for (String data : dataOf(stream)) {
      JsonNode chunk = Json.MAPPER.readTree(data);
      if (!(chunk instanceof ObjectNode object)) {
        continue;
      }
      // The document's id, model... come from the first chunk naming its completion: Azure
      // OpenAI opens a stream with one of prompt filter results, its id and model empty.
      if (first == null || (!namesCompletion(first) && namesCompletion(object))) {
        first = object;
      }
      JsonNode chunkUsage = object.get("usage");
      if (chunkUsage != null && chunkUsage.isObject()) {
        usage = chunkUsage;
      }
      for (String member : PROMPT_FILTER_MEMBERS) {
        JsonNode results = object.get(member);
        if (saysSomething(results)) {
          promptFilter.putIfAbsent(member, results);
        }
      }
      for (JsonNode choice : object.path("choices")) {
        ChoiceParts parts =
            choices.computeIfAbsent(choice.path("index").asInt(0), i -> new ChoiceParts());
        parts.add(choice, chat);
      }
    }
    if (first == null) {
      return null;
    }
    for (ChoiceParts parts : choices.values()) {
      if (parts.filterResultsDiffer) {
        return null;
      }
    }
    ObjectNode document = NODES.objectNode();
    copy(first, document, "id");
    document.put("object", chat ? "chat.completion" : "text_completion");
    copy(first, document, "created");
    copy(first, document, "model");
    ArrayNode array = document.putArray("choices");
    choices.forEach((index, parts) -> array.add(parts.toChoice(index, chat)));
    if (usage != null) {
      document.set("usage", usage);
    }
    promptFilter.forEach(document::set);
    copy(first, document, "service_tier");
    copy(first, document, "system_fingerprint");
    return document;
  }

  private static boolean namesCompletion(JsonNode chunk) {
    JsonNode id = chunk.get("id");
    return id != null && id.isTextual() && !id.textValue().isEmpty();
  }

  /** The data of each event of a stream, multi-line data joined, {@code [DONE]} left out. */
  static List<String> dataOf(byte[] stream) {
    List<String> events = new ArrayList<>();
    String text = new String(stream, StandardCharsets.UTF_8);
    StringBuilder data = null;
    for (String line : text.split("\r\n|\r|\n", -1)) {
      if (line.isEmpty()) {
        if (data != null) {
          String payload = data.toString();
          if (!payload.equals("[DONE]")) {
            events.add(payload);
          }
          data = null;
        }
        continue;
      }
      if (line.startsWith("data:")) {
        String value = line.substring(5);
        if (value.startsWith(" ")) {
          value = value.substring(1);
        }
        if (data == null) {
          data = new StringBuilder(value);
        } else {
          data.append('\n').append(value);
        }
      }
    }
    if (data != null && !data.toString().equals("[DONE]")) {
      events.add(data.toString());
    }
    return events;
  }

  /** What the chunks of one choice said so far. */
  private static final class ChoiceParts {
    String role;
    final StringBuilder content = new StringBuilder();
    StringBuilder refusal;
    final Map<Integer, ToolCallParts> toolCalls = new TreeMap<>();
    JsonNode finishReason = NODES.nullNode();

    /** The content filter results the choice's chunks carry (all the same), or null: none. */
    JsonNode filterResults;

    /** Whether two chunks of the choice carry different content filter results. */
    boolean filterResultsDiffer;

    void add(JsonNode choice, boolean chat) {
      JsonNode finish = choice.get("finish_reason");
      if (finish != null && !finish.isNull()) {
        finishReason = finish;
      }
      JsonNode results = choice.get(CONTENT_FILTER_RESULTS);
      if (saysSomething(results)) {
        if (filterResults == null) {
          filterResults = results;
        } else if (!filterResults.equals(results)) {
          filterResultsDiffer = true;
        }
      }
      if (!chat) {
        JsonNode text = choice.get("text");
        if (text != null && text.isTextual()) {
          content.append(text.textValue());
        }
        return;
      }
      JsonNode delta = choice.path("delta");
      if (delta.path("role").isTextual()) {
        role = delta.get("role").textValue();
      }
      JsonNode text = delta.get("content");
      if (text != null && text.isTextual()) {
        content.append(text.textValue());
      }
      JsonNode refused = delta.get("refusal");
      if (refused != null && refused.isTextual()) {
        if (refusal == null) {
          refusal = new StringBuilder();
        }
        refusal.append(refused.textValue());
      }
      for (JsonNode call : delta.path("tool_calls")) {
        toolCalls.computeIfAbsent(call.path("index").asInt(0), i -> new ToolCallParts()).add(call);
      }
    }

    ObjectNode toChoice(int index, boolean chat) {
      ObjectNode choice = NODES.objectNode();
      choice.put("index", index);
      if (chat) {
        ObjectNode message = choice.putObject("message");
        message.put("role", role == null ? "assistant" : role);
        // A tool-calling or refusing answer with no text has null content, as the backend sends
        // it (an SDK would read "" as text that is there).
        if (content.length() > 0 || (toolCalls.isEmpty() && refusal == null)) {
          message.put("content", content.toString());
        } else {
          message.putNull("content");
        }
        if (refusal != null) {
          message.put("refusal", refusal.toString());
        } else {
          message.putNull("refusal");
        }
        if (!toolCalls.isEmpty()) {
          ArrayNode calls = message.putArray("tool_calls");
          toolCalls.values().forEach(call -> calls.add(call.toCall()));
        }
      } else {
        choice.put("text", content.toString());
      }
      choice.putNull("logprobs");
      choice.set("finish_reason", finishReason);
      if (filterResults != null) {
        choice.set(CONTENT_FILTER_RESULTS, filterResults);
      }
      return choice;
    }
  }

  /** One streamed tool call: its id, type and name come once, its arguments in pieces. */
  private static final class ToolCallParts {
    String id;
    String type;
    String name;
    final StringBuilder arguments = new StringBuilder();

    void add(JsonNode call) {
      if (call.path("id").isTextual()) {
        id = call.get("id").textValue();
      }
      if (call.path("type").isTextual()) {
        type = call.get("type").textValue();
      }
      JsonNode function = call.path("function");
      if (function.path("name").isTextual()) {
        name = function.get("name").textValue();
      }
      if (function.path("arguments").isTextual()) {
        arguments.append(function.get("arguments").textValue());
      }
    }

    ObjectNode toCall() {
      ObjectNode call = NODES.objectNode();
      if (id != null) {
        call.put("id", id);
      }
      call.put("type", type == null ? "function" : type);
      ObjectNode function = call.putObject("function");
      function.put("name", name);
      function.put("arguments", arguments.toString());
      return call;
    }
  }
}
