package dev.aigateway.core.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.core.wire.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One answer read from a backend of another protocol, written as an OpenAI {@code chat.completion}
 * document: the text, the tool calls (arguments as JSON strings), the finish reason and the usage.
 */
final class ChatAnswer {

  /** A tool call of the answer: its id, function name and arguments as a JSON string. */
  record Call(String id, String name, String arguments) {}

  String id = "";
  String model = "";
  final StringBuilder text = new StringBuilder();
  final List<Call> calls = new ArrayList<>();
  String finishReason = "stop";
  @Nullable ChatUsage usage;

  byte[] toJson(long created) {
    ObjectNode doc = Json.MAPPER.createObjectNode();
    doc.put("id", id);
    doc.put("object", "chat.completion");
    doc.put("created", created);
    doc.put("model", model);
    ArrayNode choices = doc.putArray("choices");
    ObjectNode choice = choices.addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    if (text.isEmpty() && !calls.isEmpty()) {
      message.putNull("content");
    } else {
      message.put("content", text.toString());
    }
    message.putNull("refusal");
    if (!calls.isEmpty()) {
      ArrayNode toolCalls = message.putArray("tool_calls");
      for (Call call : calls) {
        ObjectNode c = toolCalls.addObject();
        c.put("id", call.id());
        c.put("type", "function");
        c.putObject("function").put("name", call.name()).put("arguments", call.arguments());
      }
    }
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason);
    if (usage != null) {
      doc.set("usage", usage.toJson());
    }
    return bytes(doc);
  }

  static String compact(JsonNode node) {
    try {
      return Json.MAPPER.writeValueAsString(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] bytes(JsonNode node) {
    try {
      return Json.MAPPER.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
