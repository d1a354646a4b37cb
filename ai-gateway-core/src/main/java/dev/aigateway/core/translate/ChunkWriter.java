package dev.aigateway.core.translate;

import static java.nio.charset.StandardCharsets.US_ASCII;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.aigateway.core.wire.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.BitSet;
import org.jspecify.annotations.Nullable;

/**
 * Writes an OpenAI chat completions stream ({@code chat.completion.chunk} events, a usage-only
 * chunk when the request asked for usage, {@code data: [DONE]}) from what a decoder of another
 * protocol's stream reads, event by event, into the bytes the application reads next.
 *
 * <p>Chunks are written straight to bytes: the part every chunk of the answer shares (its id,
 * object, created and model) once, the fixed parts as constants, and only the strings of each delta
 * through one Jackson generator (so escaping is Jackson's, byte for byte what writing a tree gave).
 * No tree is built per chunk.
 */
final class ChunkWriter {

  private static final byte[] DATA = ascii("data: ");
  private static final byte[] EVENT_END = ascii("\n\n");
  private static final byte[] DONE = ascii("data: [DONE]\n\n");
  private static final byte[] CHOICE = ascii(",\"choices\":[{\"index\":0,\"delta\":");
  private static final byte[] ROLE = ascii("{\"role\":\"assistant\",\"content\":\"\"}");
  private static final byte[] CONTENT = ascii("{\"content\":");
  private static final byte[] CALL_INDEX = ascii("{\"tool_calls\":[{\"index\":");
  private static final byte[] CALL_ID = ascii(",\"id\":");
  private static final byte[] CALL_NAME = ascii(",\"type\":\"function\",\"function\":{\"name\":");
  private static final byte[] CALL_ARGUMENTS = ascii(",\"arguments\":");
  private static final byte[] FRAGMENT = ascii(",\"function\":{\"arguments\":");
  private static final byte[] CALL_END = ascii("}}]}");
  private static final byte[] CALL_SIGNATURE =
      ascii("},\"extra_content\":{\"google\":{\"thought_signature\":");
  private static final byte[] SIGNATURE_END = ascii("}}}]}");
  private static final byte[] EMPTY_DELTA = ascii("{}");
  private static final byte[] FINISH = ascii(",\"logprobs\":null,\"finish_reason\":");
  private static final byte[] NULL = ascii("null");
  private static final byte[] CHOICE_END = ascii("}]}");
  private static final byte[] USAGE = ascii(",\"choices\":[],\"usage\":");
  private static final byte[] OBJECT_END = ascii("}");

  private final ByteArrayOutputStream out;
  private final long created;
  private final boolean includeUsage;
  private String id;
  private String model;

  /**
   * Writes the chunks' strings to {@link #out}, escaped as Jackson escapes; made after {@link
   * #head}, whose own generator then has handed its buffer back for this one to take.
   */
  private @Nullable JsonGenerator json;

  /** {@code {"id":...,"object":"chat.completion.chunk","created":...,"model":...}}, unclosed. */
  private byte @Nullable [] head;

  private boolean started;
  private boolean finished;
  private boolean done;
  private int toolCalls;

  /** The tool calls (by index) that some arguments were written for. */
  private final BitSet argued = new BitSet();

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
    open();
    out.writeBytes(ROLE);
    close(null);
  }

  void text(String text) {
    if (text.isEmpty()) {
      return;
    }
    start();
    open();
    out.writeBytes(CONTENT);
    string(text);
    out.writeBytes(OBJECT_END);
    close(null);
  }

  /** Opens a tool call; returns its index among the answer's tool calls. */
  int toolCall(String callId, String name, String arguments) {
    return toolCall(callId, name, arguments, null);
  }

  /**
   * Opens a tool call that carries Gemini's {@code thoughtSignature} (null for none), as Gemini's
   * own OpenAI-compatible API gives it: {@code extra_content.google.thought_signature}; returns its
   * index among the answer's tool calls.
   */
  int toolCall(String callId, String name, String arguments, @Nullable String thoughtSignature) {
    start();
    int index = toolCalls++;
    if (!arguments.isEmpty()) {
      argued.set(index);
    }
    open();
    out.writeBytes(CALL_INDEX);
    number(index);
    out.writeBytes(CALL_ID);
    string(callId);
    out.writeBytes(CALL_NAME);
    string(name);
    out.writeBytes(CALL_ARGUMENTS);
    string(arguments);
    if (thoughtSignature == null) {
      out.writeBytes(CALL_END);
    } else {
      out.writeBytes(CALL_SIGNATURE);
      string(thoughtSignature);
      out.writeBytes(SIGNATURE_END);
    }
    close(null);
    return index;
  }

  void toolArguments(int index, String fragment) {
    if (fragment.isEmpty()) {
      return;
    }
    argued.set(index);
    open();
    out.writeBytes(CALL_INDEX);
    number(index);
    out.writeBytes(FRAGMENT);
    string(fragment);
    out.writeBytes(CALL_END);
    close(null);
  }

  /**
   * The tool call at {@code index} is whole: when no arguments came for it (a function without
   * parameters, whose input Anthropic streams as nothing but an empty fragment, and Bedrock as
   * none), its arguments are the empty object, as OpenAI gives them, not the empty string an
   * application's JSON parser refuses.
   */
  void endToolCall(int index) {
    if (index >= 0 && index < toolCalls && !argued.get(index)) {
      toolArguments(index, "{}");
    }
  }

  boolean madeToolCalls() {
    return toolCalls > 0;
  }

  void finish(String reason) {
    if (finished) {
      return;
    }
    start();
    for (int i = argued.nextClearBit(0); i < toolCalls; i = argued.nextClearBit(i + 1)) {
      endToolCall(i); // a call whose block never said it ended
    }
    finished = true;
    open();
    out.writeBytes(EMPTY_DELTA);
    close(reason);
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
      out.writeBytes(DATA);
      out.writeBytes(head());
      out.writeBytes(USAGE);
      try {
        JsonGenerator json = json();
        usage.write(json);
        json.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      out.writeBytes(OBJECT_END);
      out.writeBytes(EVENT_END);
    }
    out.writeBytes(DONE);
    release();
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
    out.writeBytes(DATA);
    out.writeBytes(openAiError);
    out.writeBytes(EVENT_END);
    release();
  }

  /** Hands the generator's buffer back to Jackson's pool: nothing is written after the end. */
  private void release() {
    if (json == null) {
      return;
    }
    try {
      json.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private JsonGenerator json() throws IOException {
    if (json == null) {
      json = Json.MAPPER.getFactory().createGenerator(out);
      json.setRootValueSeparator(null); // the chunks' strings follow one another in the bytes
    }
    return json;
  }

  /** {@code data: } and a chunk up to its delta. */
  private void open() {
    out.writeBytes(DATA);
    out.writeBytes(head());
    out.writeBytes(CHOICE);
  }

  /** The chunk's end after its delta: its finish reason, or null. */
  private void close(@Nullable String finishReason) {
    out.writeBytes(FINISH);
    if (finishReason == null) {
      out.writeBytes(NULL);
    } else {
      string(finishReason);
    }
    out.writeBytes(CHOICE_END);
    out.writeBytes(EVENT_END);
  }

  /** The chunks' shared start; fixed by the first chunk (identify has no effect after it). */
  private byte[] head() {
    if (head == null) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(96);
      try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(bytes)) {
        ChatAnswer.head(g, id, "chat.completion.chunk", created, model);
        g.writeEndObject();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      byte[] whole = bytes.toByteArray();
      head = Arrays.copyOf(whole, whole.length - 1); // open: each chunk goes on after it
    }
    return head;
  }

  private void string(String value) {
    try {
      JsonGenerator json = json();
      json.writeString(value);
      json.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void number(int value) {
    out.writeBytes(ascii(Integer.toString(value)));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(US_ASCII);
  }
}
