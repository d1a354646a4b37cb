package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.spi.CachedResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Turns a cached Anthropic message into the body a call asks for.
 *
 * <ul>
 *   <li>Same form: replayed byte for byte (Anthropic streams report usage unasked, so nothing is
 *       hidden).
 *   <li>JSON to stream: the event sequence Anthropic sends, each with its {@code event:} line:
 *       {@code message_start} (the message without content, with its input counts and {@code
 *       output_tokens} 0), per content block {@code content_block_start}, one {@code
 *       content_block_delta} per citation of a text block ({@code citations_delta}) and one with
 *       the block's whole text ({@code text_delta}), tool input ({@code input_json_delta}) or
 *       thinking ({@code thinking_delta}, then its {@code signature_delta}), {@code
 *       content_block_stop}; then {@code message_delta} (stop reason and sequence, the usage) and
 *       {@code message_stop}.
 *   <li>Stream to JSON: {@code message_start}'s message with the blocks assembled by index (text,
 *       thinking and signature concatenated, tool input parsed from its concatenated JSON) and
 *       {@code message_delta}'s stop reason, stop sequence and usage. A stream that did not end in
 *       {@code message_stop} is not converted (a miss).
 * </ul>
 */
final class AnthropicReplay {

  static final String JSON_TYPE = "application/json";
  static final String SSE_TYPE = "text/event-stream; charset=utf-8";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private AnthropicReplay() {}

  /** The body for a call that asks for a stream or not; null when it cannot be given so. */
  static @Nullable Replayed replay(CachedResponse cached, boolean stream) {
    boolean storedStream = cached.format() == CachedResponse.Format.SSE;
    if (storedStream == stream) {
      return new Replayed(cached.body(), stream ? SSE_TYPE : JSON_TYPE);
    }
    try {
      if (stream) {
        JsonNode message = Json.MAPPER.readTree(cached.body());
        return message instanceof ObjectNode object
            ? new Replayed(toStream(object), SSE_TYPE)
            : null;
      }
      ObjectNode message = toMessage(cached.body());
      return message == null
          ? null
          : new Replayed(Json.MAPPER.writeValueAsBytes(message), JSON_TYPE);
    } catch (IOException | RuntimeException e) {
      return null; // not a message this reads: a miss, never a broken answer
    }
  }

  /** The stream Anthropic would have sent for {@code message}. */
  static byte[] toStream(ObjectNode message) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ObjectNode start = message.deepCopy();
    start.set("content", NODES.arrayNode());
    start.putNull("stop_reason");
    start.putNull("stop_sequence");
    JsonNode usage = message.get("usage");
    if (usage instanceof ObjectNode u) {
      ObjectNode startUsage = u.deepCopy();
      startUsage.put("output_tokens", 0);
      start.set("usage", startUsage);
    }
    event(out, "message_start", object("message_start").set("message", start));
    JsonNode content = message.get("content");
    int index = 0;
    if (content != null && content.isArray()) {
      for (JsonNode block : content) {
        writeBlock(out, index++, block);
      }
    }
    ObjectNode delta = NODES.objectNode();
    delta.set(
        "stop_reason",
        message.path("stop_reason").isMissingNode()
            ? NODES.nullNode()
            : message.get("stop_reason"));
    delta.set(
        "stop_sequence",
        message.path("stop_sequence").isMissingNode()
            ? NODES.nullNode()
            : message.get("stop_sequence"));
    ObjectNode messageDelta = object("message_delta");
    messageDelta.set("delta", delta);
    if (usage != null && usage.isObject()) {
      messageDelta.set("usage", usage);
    }
    event(out, "message_delta", messageDelta);
    event(out, "message_stop", object("message_stop"));
    return out.toByteArray();
  }

  private static void writeBlock(ByteArrayOutputStream out, int index, JsonNode block)
      throws IOException {
    String type = block.path("type").asText("");
    ObjectNode startBlock = block.deepCopy();
    List<ObjectNode> deltas = new ArrayList<>(2);
    switch (type) {
      case "text" -> {
        startBlock.put("text", "");
        startBlock.remove("citations");
        // Each citation of the block is a citations_delta of its own, before the text it cites.
        JsonNode citations = block.get("citations");
        if (citations != null && citations.isArray()) {
          for (JsonNode citation : citations) {
            ObjectNode delta = NODES.objectNode();
            delta.put("type", "citations_delta");
            delta.set("citation", citation);
            deltas.add(delta);
          }
        }
        deltas.add(delta("text_delta", "text", block.path("text").asText("")));
      }
      case "thinking" -> {
        startBlock.put("thinking", "");
        startBlock.put("signature", "");
        deltas.add(delta("thinking_delta", "thinking", block.path("thinking").asText("")));
        if (block.hasNonNull("signature")) {
          deltas.add(delta("signature_delta", "signature", block.get("signature").asText()));
        }
      }
      case "tool_use", "server_tool_use" -> {
        startBlock.set("input", NODES.objectNode());
        JsonNode input = block.get("input");
        deltas.add(
            delta("input_json_delta", "partial_json", input == null ? "" : input.toString()));
      }
      default -> {
        // a block Anthropic sends whole in its start event (redacted thinking, tool results)
      }
    }
    ObjectNode start = object("content_block_start");
    start.put("index", index);
    start.set("content_block", startBlock);
    event(out, "content_block_start", start);
    for (ObjectNode delta : deltas) {
      ObjectNode event = object("content_block_delta");
      event.put("index", index);
      event.set("delta", delta);
      event(out, "content_block_delta", event);
    }
    ObjectNode stop = object("content_block_stop");
    stop.put("index", index);
    event(out, "content_block_stop", stop);
  }

  private static ObjectNode delta(String type, String field, String value) {
    ObjectNode delta = NODES.objectNode();
    delta.put("type", type);
    delta.put(field, value);
    return delta;
  }

  private static ObjectNode object(String type) {
    ObjectNode node = NODES.objectNode();
    node.put("type", type);
    return node;
  }

  private static void event(ByteArrayOutputStream out, String name, JsonNode data)
      throws IOException {
    out.writeBytes(("event: " + name + "\ndata: ").getBytes(StandardCharsets.UTF_8));
    out.writeBytes(Json.MAPPER.writeValueAsBytes(data));
    out.writeBytes(new byte[] {'\n', '\n'});
  }

  /** The message a stream assembles to, or null when it did not end in {@code message_stop}. */
  static @Nullable ObjectNode toMessage(byte[] stream) throws IOException {
    ObjectNode message = null;
    TreeMap<Integer, ObjectNode> blocks = new TreeMap<>();
    TreeMap<Integer, StringBuilder> toolInputs = new TreeMap<>();
    // A block's text, thinking and signature as their deltas come, set on the block at the end:
    // appended to a builder, not re-made on every delta (which cost the square of a long answer).
    TreeMap<Integer, Map<String, StringBuilder>> texts = new TreeMap<>();
    boolean stopped = false;
    for (String data : dataOf(new String(stream, StandardCharsets.UTF_8))) {
      JsonNode event = Json.MAPPER.readTree(data);
      if (event == null || !event.isObject()) {
        continue;
      }
      int index = event.path("index").asInt(-1);
      switch (event.path("type").asText("")) {
        case "message_start" -> {
          JsonNode m = event.get("message");
          message = m instanceof ObjectNode o ? o.deepCopy() : null;
        }
        case "content_block_start" -> {
          JsonNode block = event.get("content_block");
          if (block instanceof ObjectNode o && index >= 0) {
            blocks.put(index, o.deepCopy());
            texts.remove(index);
          }
        }
        case "content_block_delta" -> {
          ObjectNode block = blocks.get(index);
          JsonNode delta = event.path("delta");
          if (block == null) {
            return null;
          }
          switch (delta.path("type").asText("")) {
            case "text_delta" -> append(texts, index, block, "text", delta.path("text"));
            case "thinking_delta" ->
                append(texts, index, block, "thinking", delta.path("thinking"));
            case "signature_delta" ->
                append(texts, index, block, "signature", delta.path("signature"));
            case "input_json_delta" ->
                toolInputs
                    .computeIfAbsent(index, i -> new StringBuilder())
                    .append(delta.path("partial_json").asText(""));
            case "citations_delta" -> {
              JsonNode citations = block.get("citations");
              ArrayNode list = citations instanceof ArrayNode a ? a : block.putArray("citations");
              list.add(delta.path("citation"));
            }
            default -> {
              return null; // a delta this does not know how to assemble
            }
          }
        }
        case "message_delta" -> {
          if (message == null) {
            return null;
          }
          JsonNode delta = event.path("delta");
          for (var member : delta.properties()) {
            message.set(member.getKey(), member.getValue());
          }
          JsonNode usage = event.get("usage");
          if (usage instanceof ObjectNode u) {
            ObjectNode merged =
                message.get("usage") instanceof ObjectNode existing
                    ? existing
                    : message.putObject("usage");
            merged.setAll(u);
          }
        }
        case "message_stop" -> stopped = true;
        default -> {
          // ping, content_block_stop
        }
      }
    }
    if (message == null || !stopped) {
      return null;
    }
    for (var text : texts.entrySet()) {
      ObjectNode block = blocks.get(text.getKey());
      text.getValue().forEach((field, value) -> block.put(field, value.toString()));
    }
    for (var input : toolInputs.entrySet()) {
      String json = input.getValue().toString();
      blocks
          .get(input.getKey())
          .set("input", json.isEmpty() ? NODES.objectNode() : Json.MAPPER.readTree(json));
    }
    ArrayNode content = message.putArray("content");
    blocks.values().forEach(content::add);
    return message;
  }

  /**
   * Appends a delta's text to the block's {@code field}, begun with what the block started with.
   */
  private static void append(
      Map<Integer, Map<String, StringBuilder>> texts,
      int index,
      ObjectNode block,
      String field,
      JsonNode text) {
    texts
        .computeIfAbsent(index, i -> new java.util.HashMap<>(4))
        .computeIfAbsent(field, f -> new StringBuilder(block.path(f).asText("")))
        .append(text.asText(""));
  }

  /** The data of each event of a stream (several data lines joined by newlines). */
  private static List<String> dataOf(String stream) {
    List<String> events = new ArrayList<>();
    StringBuilder data = null;
    for (String line : stream.split("\r\n|\r|\n", -1)) {
      if (line.isEmpty()) {
        if (data != null) {
          events.add(data.toString());
          data = null;
        }
      } else if (line.startsWith("data:")) {
        String value = line.substring(line.length() > 5 && line.charAt(5) == ' ' ? 6 : 5);
        data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
      }
    }
    if (data != null) {
      events.add(data.toString());
    }
    return events;
  }
}
