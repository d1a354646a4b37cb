package dev.aigateway.examples.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code text/event-stream} response, paced like a model generating tokens. The body is sent with
 * chunked transfer encoding and every event is flushed as it is written, so a client reads it while
 * the rest is still being "generated".
 */
final class EventStream implements AutoCloseable {

  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LINE_END = "\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EVENT_END = "\n\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

  private final ObjectMapper json;
  private final OutputStream out;
  private final Duration firstChunkDelay;
  private final Duration chunkDelay;
  private int sequenceNumber;

  EventStream(
      HttpExchange exchange, ObjectMapper json, Duration firstChunkDelay, Duration chunkDelay)
      throws IOException {
    this.json = json;
    this.firstChunkDelay = firstChunkDelay;
    this.chunkDelay = chunkDelay;
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    exchange.sendResponseHeaders(200, 0); // length 0: chunked, each flush() sends one chunk
    out = exchange.getResponseBody();
  }

  /** Waits the time to first token. */
  void awaitFirstToken() throws InterruptedIOException {
    sleep(firstChunkDelay);
  }

  /** Waits the time between two tokens. */
  void awaitNextToken() throws InterruptedIOException {
    sleep(chunkDelay);
  }

  /** Sends something for one piece of an answer. */
  @FunctionalInterface
  interface PieceSender {
    void send(String piece) throws IOException;
  }

  /**
   * Sends each piece of an answer with {@code sender}, waiting the chunk delay before each piece
   * after the first (the first token's wait is the caller's).
   */
  void sendPieces(List<String> pieces, PieceSender sender) throws IOException {
    for (int i = 0; i < pieces.size(); i++) {
      if (i > 0) {
        awaitNextToken();
      }
      sender.send(pieces.get(i));
    }
  }

  /** Writes and flushes {@code data: <json>}, the Chat Completions and Completions framing. */
  void data(JsonNode data) throws IOException {
    out.write(DATA);
    out.write(json.writeValueAsBytes(data));
    out.write(EVENT_END);
    out.flush();
  }

  /** Writes and flushes {@code data: [DONE]}. */
  void done() throws IOException {
    out.write(DONE);
    out.flush();
  }

  /**
   * A new Responses API event of this type, numbered in stream order; add its fields, then {@link
   * #send(ObjectNode) send} it.
   */
  ObjectNode newEvent(String type) {
    ObjectNode event = json.createObjectNode();
    event.put("type", type);
    event.put("sequence_number", sequenceNumber++);
    return event;
  }

  /** Writes and flushes {@code event: <type>} and {@code data: <json>}, the Responses framing. */
  void send(ObjectNode event) throws IOException {
    out.write(EVENT);
    out.write(event.get("type").textValue().getBytes(StandardCharsets.UTF_8));
    out.write(LINE_END);
    data(event);
  }

  /** Ends the chunked body. */
  @Override
  public void close() throws IOException {
    out.close();
  }

  static void sleep(Duration delay) throws InterruptedIOException {
    if (delay.isZero()) {
      return;
    }
    try {
      TimeUnit.NANOSECONDS.sleep(delay.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("local OpenAI server is closing");
    }
  }
}
