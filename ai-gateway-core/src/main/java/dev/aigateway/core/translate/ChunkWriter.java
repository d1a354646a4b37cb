package dev.aigateway.core.translate;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.core.wire.Json;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Writes an OpenAI chat completions stream ({@code chat.completion.chunk} events, a usage-only
 * chunk when the request asked for usage, {@code data: [DONE]}) from what a decoder of another
 * protocol's stream reads, event by event, into the bytes the application reads next.
 */
final class ChunkWriter {

  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

  private final ByteArrayOutputStream out;
  private final long created;
  private final boolean includeUsage;
  private String id;
  private String model;
  private boolean started;
  private boolean finished;
  private boolean done;
  private int toolCalls;
  private @Nullable ChatUsage usage;

  ChunkWriter(
      ByteArrayOutputStream out, long created, boolean includeUsage, String id, String model) {
    this.out = out;
    this.created = created;
    this.includeUsage = includeUsage;
    this.id = id;
    this.model = model;
  }

  /** The answer's id and model, when the backend names them before the first chunk. */
  void identify(@Nullable String id, @Nullable String model) {
    if (!started) {
      if (id != null && !id.isEmpty()) {
        this.id = id;
      }
      if (model != null && !model.isEmpty()) {
        this.model = model;
      }
    }
  }

  /** The first chunk, naming the assistant's role (written once, before any other). */
  void start() {
    if (started) {
      return;
    }
    started = true;
    ObjectNode delta = Json.MAPPER.createObjectNode();
    delta.put("role", "assistant");
    delta.put("content", "");
    chunk(delta, null);
  }

  void text(String text) {
    if (text.isEmpty()) {
      return;
    }
    start();
    chunk(Json.MAPPER.createObjectNode().put("content", text), null);
  }

  /** Opens a tool call; returns its index among the answer's tool calls. */
  int toolCall(String callId, String name, String arguments) {
    start();
    int index = toolCalls++;
    ObjectNode delta = Json.MAPPER.createObjectNode();
    ObjectNode call = delta.putArray("tool_calls").addObject();
    call.put("index", index);
    call.put("id", callId);
    call.put("type", "function");
    call.putObject("function").put("name", name).put("arguments", arguments);
    chunk(delta, null);
    return index;
  }

  void toolArguments(int index, String fragment) {
    if (fragment.isEmpty()) {
      return;
    }
    ObjectNode delta = Json.MAPPER.createObjectNode();
    ObjectNode call = delta.putArray("tool_calls").addObject();
    call.put("index", index);
    call.putObject("function").put("arguments", fragment);
    chunk(delta, null);
  }

  boolean madeToolCalls() {
    return toolCalls > 0;
  }

  void finish(String reason) {
    if (finished) {
      return;
    }
    start();
    finished = true;
    chunk(Json.MAPPER.createObjectNode(), reason);
  }

  boolean finished() {
    return finished;
  }

  void usage(ChatUsage usage) {
    this.usage = usage;
  }

  /** Ends the stream: the usage chunk (when asked for and known), then {@code [DONE]}. */
  void done() {
    if (done) {
      return;
    }
    done = true;
    if (includeUsage && usage != null) {
      ObjectNode doc = head();
      doc.putArray("choices");
      doc.set("usage", usage.toJson());
      event(doc);
    }
    out.writeBytes(DONE);
  }

  boolean isDone() {
    return done;
  }

  /**
   * An error the backend reported mid-stream, as OpenAI ends a stream it fails: one error event.
   */
  void error(byte[] openAiError) {
    if (done) {
      return;
    }
    done = true;
    out.writeBytes("data: ".getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(openAiError);
    out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
  }

  private void chunk(ObjectNode delta, @Nullable String finishReason) {
    ObjectNode doc = head();
    ArrayNode choices = doc.putArray("choices");
    ObjectNode choice = choices.addObject();
    choice.put("index", 0);
    choice.set("delta", delta);
    choice.putNull("logprobs");
    if (finishReason == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finishReason);
    }
    event(doc);
  }

  private ObjectNode head() {
    ObjectNode doc = Json.MAPPER.createObjectNode();
    doc.put("id", id);
    doc.put("object", "chat.completion.chunk");
    doc.put("created", created);
    doc.put("model", model);
    return doc;
  }

  private void event(ObjectNode doc) {
    out.writeBytes("data: ".getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(ChatAnswer.bytes(doc));
    out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
  }
}
