package dev.aigateway.core.wire;

import dev.aigateway.api.spi.CachedResponse;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Gemini answers from the cache in a call's framing. An answer stored in the framing asked for is
 * given back byte for byte; otherwise its responses (the document, each event's data, each array
 * element) are written out again: as events {@code data: {…}\r\n\r\n}, as Google sends them (each
 * response on one line, its pretty-printing's line breaks dropped), or as a JSON array. A stream is
 * never merged into one document: that call is a miss.
 */
final class GeminiReplay {

  private static final String EVENTS_TYPE = "text/event-stream";
  private static final String JSON_TYPE = "application/json; charset=UTF-8";
  private static final byte[] DATA = "data: ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] EVENT_END = {'\r', '\n', '\r', '\n'};
  private static final byte[] ELEMENT_SEPARATOR = {',', '\r', '\n'};

  private GeminiReplay() {}

  static @Nullable Replayed replay(CachedResponse cached, GeminiFormat.Framing framing) {
    byte[] body = cached.body();
    boolean storedEvents = cached.format() == CachedResponse.Format.SSE;
    boolean storedArray = !storedEvents && firstByte(body) == '[';
    return switch (framing) {
      case DOCUMENT ->
          storedEvents || storedArray || firstByte(body) != '{'
              ? null
              : new Replayed(body, JSON_TYPE);
      case EVENTS -> {
        if (storedEvents) {
          yield new Replayed(body, EVENTS_TYPE);
        }
        List<byte[]> responses = storedArray ? elements(body) : List.of(body);
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 16 * responses.size());
        for (byte[] response : responses) {
          out.writeBytes(DATA);
          writeOnOneLine(out, response);
          out.writeBytes(EVENT_END);
        }
        yield new Replayed(out.toByteArray(), EVENTS_TYPE);
      }
      case ARRAY -> {
        if (storedArray) {
          yield new Replayed(body, JSON_TYPE);
        }
        List<byte[]> responses = storedEvents ? eventData(body) : List.of(body);
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 4 * responses.size());
        out.write('[');
        for (int i = 0; i < responses.size(); i++) {
          if (i > 0) {
            out.writeBytes(ELEMENT_SEPARATOR);
          }
          out.writeBytes(responses.get(i));
        }
        out.write(']');
        yield new Replayed(out.toByteArray(), JSON_TYPE);
      }
    };
  }

  /**
   * Writes a JSON response on one line: without its line breaks, which Google's pretty-printed
   * documents and array elements have between their tokens (a JSON string holds none unescaped, so
   * none is inside a value). Written as they are, each line after the first would be an event line
   * that is no {@code data:} field, which a reader drops (leaving the event's data a broken
   * {@code "{"}), and Google's SDKs read each {@code data:} line as one response.
   */
  private static void writeOnOneLine(ByteArrayOutputStream out, byte[] response) {
    int from = 0;
    for (int i = 0; i < response.length; i++) {
      if (response[i] == '\n' || response[i] == '\r') {
        out.write(response, from, i - from);
        from = i + 1;
      }
    }
    out.write(response, from, response.length - from);
  }

  private static int firstByte(byte[] body) {
    for (byte b : body) {
      if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        return b;
      }
    }
    return -1;
  }

  /** The elements of a JSON array, each as its bytes. */
  static List<byte[]> elements(byte[] array) {
    JsonValueScanner scanner = new JsonValueScanner();
    List<byte[]> elements = new ArrayList<>();
    int start = -1;
    for (int i = 0; i < array.length; i++) {
      int seen = scanner.next(array[i]);
      if (seen == JsonValueScanner.VALUE_START) {
        start = i;
      } else if (seen == JsonValueScanner.VALUE_END && start >= 0) {
        elements.add(Arrays.copyOfRange(array, start, i + 1));
        start = -1;
      }
    }
    return elements;
  }

  /**
   * The data of each event of a stream (lines ending in CR, LF or CRLF; several data lines joined
   * by a line feed; one space after the colon dropped), skipping events without data and {@code
   * [DONE]}.
   */
  static List<byte[]> eventData(byte[] stream) {
    List<byte[]> data = new ArrayList<>();
    ByteArrayOutputStream event = new ByteArrayOutputStream();
    boolean hasData = false;
    int i = 0;
    while (i <= stream.length) {
      int end = i;
      while (end < stream.length && stream[end] != '\n' && stream[end] != '\r') {
        end++;
      }
      if (end == i) { // a blank line (or the end): the event is complete
        if (hasData && !isDone(event)) {
          data.add(event.toByteArray());
        }
        event.reset();
        hasData = false;
      } else if (end - i >= 5 && startsWith(stream, i, "data:")) {
        int from = i + 5;
        if (from < end && stream[from] == ' ') {
          from++;
        }
        if (hasData) {
          event.write('\n');
        }
        event.write(stream, from, end - from);
        hasData = true;
      }
      if (end >= stream.length) {
        if (hasData && !isDone(event)) {
          data.add(event.toByteArray());
        }
        break;
      }
      i = end + (stream[end] == '\r' && end + 1 < stream.length && stream[end + 1] == '\n' ? 2 : 1);
    }
    return data;
  }

  private static boolean isDone(ByteArrayOutputStream event) {
    return event.size() == 6
        && "[DONE]".equals(event.toString(java.nio.charset.StandardCharsets.US_ASCII));
  }

  private static boolean startsWith(byte[] bytes, int at, String prefix) {
    for (int k = 0; k < prefix.length(); k++) {
      if (bytes[at + k] != prefix.charAt(k)) {
        return false;
      }
    }
    return true;
  }
}
