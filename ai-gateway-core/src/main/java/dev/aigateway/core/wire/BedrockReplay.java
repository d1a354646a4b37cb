package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Cached Bedrock answers written again: an event stream re-framed message by message (each with
 * correct CRCs, whatever the stored copy ended in), a Converse answer turned into the
 * ConverseStream events it would have streamed, and a ConverseStream turned back into a Converse
 * answer.
 */
final class BedrockReplay {

  private BedrockReplay() {}

  /** The whole, valid messages of a stored event stream; empty when none could be read. */
  static List<EventStreamMessage> messages(byte[] stream) {
    List<EventStreamMessage> messages = new ArrayList<>();
    EventStreamDecoder decoder = new EventStreamDecoder(messages::add);
    decoder.feed(stream, 0, stream.length);
    return messages;
  }

  /**
   * The stored stream's messages re-framed (only whole, valid ones: a copy cut short, or with bytes
   * appended after its last frame, replays as the messages it holds); null when it holds none, or
   * holds an exception.
   */
  static byte @Nullable [] reframed(byte[] stream) {
    List<EventStreamMessage> messages = messages(stream);
    if (messages.isEmpty() || messages.stream().anyMatch(EventStreamMessage::isException)) {
      return null;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(stream.length);
    for (EventStreamMessage message : messages) {
      out.writeBytes(message.encode());
    }
    return out.toByteArray();
  }

  /**
   * The ConverseStream events of a Converse answer: {@code messageStart}, per text block a {@code
   * contentBlockDelta} and {@code contentBlockStop}, {@code messageStop} with the stop reason, and
   * {@code metadata} with the answer's usage. Null when the answer holds anything but text (tool
   * use, images: their stream events are not rebuilt), or a guardrail's {@code trace} or a model's
   * {@code additionalModelResponseFields}, which the events written would not carry.
   */
  static byte @Nullable [] converseAsStream(byte[] document) {
    JsonNode answer = Json.parseOrNull(document, 0, document.length);
    JsonNode message = answer == null ? null : answer.path("output").get("message");
    if (message == null
        || !message.path("content").isArray()
        || saysSomething(answer.get("trace"))
        || saysSomething(answer.get("additionalModelResponseFields"))) {
      return null; // the events written carry neither a guardrail's trace nor a model's fields
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(document.length * 2);
    ObjectNode start = Json.MAPPER.createObjectNode();
    start.put("role", message.path("role").asText("assistant"));
    write(out, "messageStart", start);
    int index = 0;
    for (JsonNode block : message.get("content")) {
      JsonNode text = block.get("text");
      if (text == null || !text.isTextual() || block.size() != 1) {
        return null;
      }
      ObjectNode delta = Json.MAPPER.createObjectNode();
      delta.put("contentBlockIndex", index);
      delta.putObject("delta").put("text", text.textValue());
      write(out, "contentBlockDelta", delta);
      ObjectNode stop = Json.MAPPER.createObjectNode();
      stop.put("contentBlockIndex", index);
      write(out, "contentBlockStop", stop);
      index++;
    }
    ObjectNode stop = Json.MAPPER.createObjectNode();
    stop.put("stopReason", answer.path("stopReason").asText("end_turn"));
    write(out, "messageStop", stop);
    ObjectNode metadata = Json.MAPPER.createObjectNode();
    if (answer.get("usage") instanceof ObjectNode usage) {
      metadata.set("usage", usage);
    }
    metadata.putObject("metrics").put("latencyMs", 0);
    write(out, "metadata", metadata);
    return out.toByteArray();
  }

  /**
   * The Converse answer a stored ConverseStream amounts to: its text blocks, stop reason and usage.
   * Null when it holds anything but text, a guardrail's {@code trace} or a model's {@code
   * additionalModelResponseFields} (the answer assembled would drop them), or did not end with its
   * {@code metadata}.
   */
  static byte @Nullable [] streamAsConverse(byte[] stream) {
    List<EventStreamMessage> messages = messages(stream);
    List<StringBuilder> blocks = new ArrayList<>();
    String role = "assistant";
    String stopReason = null;
    JsonNode usage = null;
    boolean ended = false;
    for (EventStreamMessage m : messages) {
      byte[] payload = m.payloadBytes();
      JsonNode event = Json.parseOrNull(payload, 0, payload.length);
      if (m.isException() || event == null || m.eventType() == null) {
        return null;
      }
      switch (m.eventType()) {
        case "messageStart" -> role = event.path("role").asText(role);
        case "contentBlockStart" -> {
          return null; // tool use
        }
        case "contentBlockDelta" -> {
          JsonNode text = event.path("delta").get("text");
          int index = event.path("contentBlockIndex").asInt(-1);
          if (text == null || !text.isTextual() || index < 0 || index > blocks.size()) {
            return null;
          }
          if (index == blocks.size()) {
            blocks.add(new StringBuilder());
          }
          blocks.get(index).append(text.textValue());
        }
        case "messageStop" -> {
          if (saysSomething(event.get("additionalModelResponseFields"))) {
            return null; // the answer assembled does not carry them
          }
          stopReason = event.path("stopReason").asText(null);
        }
        case "metadata" -> {
          if (saysSomething(event.get("trace"))) {
            return null; // nor a guardrail's trace
          }
          usage = event.get("usage");
          ended = true;
        }
        default -> {}
      }
    }
    if (!ended) {
      return null;
    }
    ObjectNode answer = Json.MAPPER.createObjectNode();
    ObjectNode message = answer.putObject("output").putObject("message");
    message.put("role", role);
    ArrayNode content = message.putArray("content");
    blocks.forEach(block -> content.addObject().put("text", block.toString()));
    answer.put("stopReason", stopReason != null ? stopReason : "end_turn");
    if (usage != null) {
      answer.set("usage", usage);
    }
    answer.putObject("metrics").put("latencyMs", 0);
    try {
      return Json.MAPPER.writeValueAsBytes(answer);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise a tree", e);
    }
  }

  /** Whether a member's value is there and not null, nor an empty object or array. */
  private static boolean saysSomething(@Nullable JsonNode value) {
    return value != null && !value.isNull() && !(value.isContainerNode() && value.isEmpty());
  }

  private static void write(ByteArrayOutputStream out, String eventType, ObjectNode payload) {
    try {
      out.writeBytes(
          EventStreamMessage.event(eventType, Json.MAPPER.writeValueAsBytes(payload)).encode());
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise a tree", e);
    }
  }
}
