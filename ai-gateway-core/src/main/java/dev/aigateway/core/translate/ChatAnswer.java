package dev.aigateway.core.translate;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.core.wire.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One answer read from a backend of another protocol, written as an OpenAI {@code chat.completion}
 * document: the text, the tool calls (arguments as JSON strings), the finish reason and the usage.
 * Written with a Jackson generator straight to bytes, in the member order OpenAI writes.
 */
final class ChatAnswer {

  /**
   * A tool call of the answer: its id, function name and arguments as a JSON string, and Gemini's
   * {@code thoughtSignature} for it (null for none).
   */
  record Call(String id, String name, String arguments, @Nullable String thoughtSignature) {}

  String id = "";
  String model = "";
  final StringBuilder text = new StringBuilder();
  final List<Call> calls = new ArrayList<>();
  String finishReason = "stop";
  @Nullable ChatUsage usage;

  /**
   * Whether the backend ended the answer as failed, whatever {@link #finishReason} says ({@link
   * dev.aigateway.core.pipeline.AnswerTranslation#failedAnswer}); not written.
   */
  boolean failed;

  /**
   * The status of the error the backend's 2xx document is in place of an answer (Gemini's {@code
   * {"error":{...}}}), 0 when it is an answer: translated as the backend's error, not as an empty
   * completion.
   */
  int errorStatus;

  /** Adds a tool call; {@code arguments} null (the backend gave none) is the empty object. */
  void call(String id, String name, @Nullable String arguments) {
    call(id, name, arguments, null);
  }

  /**
   * Adds a tool call that carries Gemini's {@code thoughtSignature}, written as Gemini's own
   * OpenAI-compatible API writes it: {@code extra_content.google.thought_signature}.
   */
  void call(String id, String name, @Nullable String arguments, @Nullable String thoughtSignature) {
    calls.add(new Call(id, name, arguments == null ? "{}" : arguments, thoughtSignature));
  }

  byte[] toJson(long created) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + text.length());
    try (JsonGenerator json = Json.MAPPER.getFactory().createGenerator(out)) {
      head(json, id, "chat.completion", created, model);
      json.writeArrayFieldStart("choices");
      json.writeStartObject();
      json.writeNumberField("index", 0);
      json.writeObjectFieldStart("message");
      json.writeStringField("role", "assistant");
      if (text.isEmpty() && !calls.isEmpty()) {
        json.writeNullField("content");
      } else {
        json.writeStringField("content", text.toString());
      }
      json.writeNullField("refusal");
      if (!calls.isEmpty()) {
        json.writeArrayFieldStart("tool_calls");
        for (Call call : calls) {
          json.writeStartObject();
          json.writeStringField("id", call.id());
          json.writeStringField("type", "function");
          json.writeObjectFieldStart("function");
          json.writeStringField("name", call.name());
          json.writeStringField("arguments", call.arguments());
          json.writeEndObject();
          if (call.thoughtSignature() != null) {
            json.writeObjectFieldStart("extra_content");
            json.writeObjectFieldStart("google");
            json.writeStringField("thought_signature", call.thoughtSignature());
            json.writeEndObject();
            json.writeEndObject();
          }
          json.writeEndObject();
        }
        json.writeEndArray();
      }
      json.writeEndObject();
      json.writeNullField("logprobs");
      json.writeStringField("finish_reason", finishReason);
      json.writeEndObject();
      json.writeEndArray();
      if (usage != null) {
        json.writeFieldName("usage");
        usage.write(json);
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Opens an OpenAI answer or chunk: its {@code id}, {@code object}, {@code created} and {@code
   * model}, the members every one starts with.
   */
  static void head(JsonGenerator json, String id, String object, long created, String model)
      throws IOException {
    json.writeStartObject();
    json.writeStringField("id", id);
    json.writeStringField("object", object);
    json.writeNumberField("created", created);
    json.writeStringField("model", model);
  }

  static byte[] bytes(JsonNode node) {
    try {
      return Json.MAPPER.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
