package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * An event stream held back until its first event has arrived, then read as if it had not been: the
 * held bytes first, then the rest of the stream as it comes (or, when the stream ended or failed
 * while held, its end or its failure).
 *
 * <p>The first event is the first one with a field other than a comment ({@code data:}, {@code
 * event:}, …) ended by its blank line; comments and blank lines before it (keep-alives such as
 * {@code : PROCESSING}) are held with it. Lines end as SSE allows: LF, CR or CRLF. A JSON array
 * stream (Gemini's {@code streamGenerateContent} without {@code alt=sse}) is held until its first
 * element closed instead ({@link #holdFirstElement}).
 */
public final class HeldBody extends InputStream {

  /** How holding ended. */
  public enum Held {
    /** The first event arrived whole. */
    FIRST_EVENT,
    /** The stream ended before its first event. */
    ENDED,
    /** Reading failed before the first event ({@link #failure()}). */
    FAILED,
    /** The bytes before the first event reached the bound: held no longer. */
    TOO_LARGE
  }

  /**
   * The held bytes' first room: a chat stream's first event (its role chunk, a message start) and
   * the comments before it fit, and what a read brings past it is read on from there; larger first
   * events grow it, twice as large a step.
   */
  static final int FIRST_ROOM = 512;

  private final InputStream upstream;
  private byte[] held = new byte[FIRST_ROOM];
  private int count;
  private int position;
  private Held outcome;
  private IOException failure;

  /** Where the first server-sent event ends in {@link #held} (its blank line), or -1. */
  private int firstEventEnd = -1;

  /**
   * Where the first element of a held JSON array stream (or the one object) begins and ends in
   * {@link #held}, its end -1 when none was held whole.
   */
  private int elementStart;

  private int elementEnd = -1;

  /** Where the first message of a held AWS event stream ends in {@link #held}, or -1. */
  private int firstFrameEnd = -1;

  private HeldBody(InputStream upstream) {
    this.upstream = upstream;
  }

  /**
   * Reads {@code upstream} until its first event arrived whole, it ended or failed, or {@code
   * maxBytes} were read. Never throws: a failure is {@link #failure()}, thrown again by the first
   * read that reaches it; an unchecked exception from {@code upstream} is a failure too, a {@link
   * SendFailedException} with it as its cause.
   */
  public static HeldBody holdFirstEvent(InputStream upstream, int maxBytes) {
    HeldBody body = new HeldBody(upstream);
    body.hold(maxBytes);
    return body;
  }

  /**
   * Reads {@code upstream}, an AWS event stream ({@code application/vnd.amazon.eventstream}), until
   * its first message arrived whole (as its prelude's total length counts it), it ended or failed,
   * or {@code maxBytes} were read. The frame's CRCs are not checked here; the body that reads it
   * does. Never throws, as {@link #holdFirstEvent}.
   */
  public static HeldBody holdFirstFrame(InputStream upstream, int maxBytes) {
    HeldBody body = new HeldBody(upstream);
    body.holdFrame(maxBytes);
    return body;
  }

  /**
   * Reads {@code upstream}, a JSON array whose elements arrive one by one (Gemini's {@code
   * streamGenerateContent} without {@code alt=sse}), until its first element arrived whole, it
   * ended or failed, or {@code maxBytes} were read; the first element is its first event ({@link
   * #firstEventErrorStatus} reads it: Google's error, {@code {"error":{...}}}, is an error event).
   * The array's closing bracket (an empty array) ends holding too; so does a body that is one JSON
   * object once it closed (it is its first event), and one that is neither an array nor an object
   * at its first byte (held no further). Only bytes up to the first element's end are held for
   * certain: a read may bring more of the stream with it. Never throws, as {@link #holdFirstEvent}.
   */
  public static HeldBody holdFirstElement(InputStream upstream, int maxBytes) {
    HeldBody body = new HeldBody(upstream);
    body.holdElement(maxBytes);
    return body;
  }

  /**
   * Reads {@code upstream}, a small answer such as an error document, until it ended or failed, or
   * {@code maxBytes} were read; then reads as if it had not been. Never throws, as {@link
   * #holdFirstEvent}; {@link #whole()} gives the bytes of a body that ended within the bound.
   */
  public static HeldBody holdWhole(InputStream upstream, int maxBytes) {
    HeldBody body = new HeldBody(upstream);
    while (body.readMore(maxBytes) >= 0) {
      // read on until the body ends, fails or reaches the bound
    }
    return body;
  }

  /**
   * The held bytes when the body ended while held ({@link Held#ENDED}), else null; the array may be
   * longer than the body ({@link #heldLength()}). Not to be changed.
   */
  public byte @org.jspecify.annotations.Nullable [] whole() {
    return outcome == Held.ENDED && position == 0 ? held : null;
  }

  /** How many bytes are held. */
  public int heldLength() {
    return count;
  }

  private void holdFrame(int maxBytes) {
    long frameEnd = -1;
    while (true) {
      if (frameEnd < 0 && count >= 4) {
        frameEnd = EventStreamMessage.getInt(held, 0) & 0xffffffffL;
      }
      if (frameEnd >= 0 && count >= frameEnd) {
        outcome = Held.FIRST_EVENT;
        firstFrameEnd = (int) frameEnd;
        return;
      }
      if (readMore(maxBytes) < 0) {
        return;
      }
    }
  }

  /**
   * Reads what upstream has next into {@link #held} (grown as needed, up to {@code maxBytes}) and
   * returns how many bytes came; -1 when nothing more will, the outcome set: too large, failed, or
   * ended.
   */
  private int readMore(int maxBytes) {
    if (count >= maxBytes) {
      outcome = Held.TOO_LARGE;
      return -1;
    }
    if (count == held.length) {
      held = Arrays.copyOf(held, Math.min(maxBytes, held.length * 2));
    }
    int n;
    try {
      n = upstream.read(held, count, Math.min(held.length, maxBytes) - count);
    } catch (IOException e) {
      outcome = Held.FAILED;
      failure = e;
      return -1;
    } catch (RuntimeException e) {
      // An unchecked exception from the body's source (a client's bug, a hostile answer) fails the
      // attempt as a broken connection does: an IOException naming it, never the exception itself.
      outcome = Held.FAILED;
      failure = new SendFailedException(null, e);
      return -1;
    }
    if (n < 0) {
      outcome = Held.ENDED;
      return -1;
    }
    count += n;
    return n;
  }

  private void holdElement(int maxBytes) {
    JsonValueScanner scanner = new JsonValueScanner();
    while (true) {
      int n = readMore(maxBytes);
      if (n < 0) {
        return;
      }
      for (int i = scanner.find(held, count - n, count);
          i < count;
          i = scanner.find(held, i + 1, count)) {
        switch (scanner.found()) {
          case JsonValueScanner.VALUE_START -> elementStart = i;
          case JsonValueScanner.VALUE_END -> {
            elementEnd = i + 1;
            outcome = Held.FIRST_EVENT;
            return;
          }
          case JsonValueScanner.ARRAY_END -> {
            outcome = Held.FIRST_EVENT; // an empty array: a stream that said nothing, whole
            return;
          }
          default -> {}
        }
      }
      if (scanner.neither()) {
        outcome = Held.FIRST_EVENT; // no JSON array: held no further, read as it comes
        return;
      }
    }
  }

  private void hold(int maxBytes) {
    int lineStart = 0;
    boolean fields = false;
    boolean lineFeedMayFollow = false;
    while (true) {
      int n = readMore(maxBytes);
      if (n < 0) {
        return;
      }
      int from = count - n;
      if (lineFeedMayFollow && from < count) {
        lineFeedMayFollow = false;
        if (held[from] == '\n' && lineStart == from) {
          lineStart = from + 1; // the end of the line that ended with a carriage return
        }
      }
      for (int end; (end = SseBody.indexOfLineEnd(held, Math.max(from, lineStart), count)) >= 0; ) {
        if (end == lineStart && fields) {
          outcome = Held.FIRST_EVENT;
          firstEventEnd = end;
          return;
        }
        fields |= end > lineStart && held[lineStart] != ':';
        lineStart = end + 1;
        if (held[end] == '\r') {
          if (lineStart == count) {
            lineFeedMayFollow = true;
          } else if (held[lineStart] == '\n') {
            lineStart++;
          }
        }
      }
    }
  }

  /** The bytes of {@code "error"}, without which an event's data is no error. */
  private static final byte[] ERROR = "\"error\"".getBytes(StandardCharsets.US_ASCII);

  /**
   * Whether the held first server-sent event reports an error instead of beginning an answer, and
   * the status it stands for; 0 when it does not (or no event was held). An error event is one
   * named {@code error} ({@code event: error}), or one whose data is a JSON object with a top-level
   * {@code error} object (OpenAI, Azure OpenAI, vLLM and other OpenAI-compatible servers, Gemini,
   * Anthropic's {@code {"type":"error","error":{...}}}) or of {@code "type":"error"} (the Responses
   * API's error event). Some backends answer a failure so, with a 200, as a stream's first event.
   *
   * <p>The status is the error's own HTTP status where it gives one (a numeric {@code code} or
   * {@code status} from 400 to 599, as vLLM and Gemini write it), else the one its type or code
   * names ({@code rate_limit…} 429, {@code overloaded…} 529, {@code invalid_request…} or {@code
   * BadRequest…} 400, {@code authentication…} 401, {@code permission…} 403, {@code not_found…} 404,
   * {@code request_too_large} 413), else 500: the backend failed to produce the answer.
   *
   * <p>The first message of an AWS event stream ({@link #holdFirstFrame}) is an error event when it
   * is an exception (Bedrock's {@code throttlingException}, ...), read with its CRCs checked: the
   * status is the one Bedrock documents for it ({@link EventStreamMessage#exceptionStatus}).
   */
  public int firstEventErrorStatus() {
    if (firstFrameEnd >= 0 && held != null) {
      EventStreamMessage[] first = new EventStreamMessage[1];
      new EventStreamDecoder(message -> first[0] = message).feed(held, 0, firstFrameEnd);
      return first[0] == null ? 0 : first[0].exceptionStatus();
    }
    if (elementEnd >= 0 && held != null) {
      byte[] element = Arrays.copyOfRange(held, elementStart, elementEnd);
      return contains(element, ERROR) ? errorStatusOf(element) : 0;
    }
    if (firstEventEnd < 0 || held == null) {
      return 0;
    }
    byte[] bytes = firstEventData();
    boolean named = firstEventNamed;
    int status = named || contains(bytes, ERROR) ? errorStatusOf(bytes) : 0;
    return status == 0 && named ? 500 : status;
  }

  /**
   * The wait the held first event asks for when it is Google's error ({@link
   * #firstEventErrorStatus}): the {@code retryDelay} of its {@code google.rpc.RetryInfo} detail, as
   * a Gemini or Vertex AI stream that fails before its first chunk sends it ({@link
   * GoogleRetryInfo}); null when no event was held or it asks for no wait.
   */
  public @org.jspecify.annotations.Nullable Duration firstEventRetryDelay() {
    if (elementEnd >= 0 && held != null) {
      byte[] element = Arrays.copyOfRange(held, elementStart, elementEnd);
      return GoogleRetryInfo.retryDelay(element, element.length);
    }
    if (firstEventEnd < 0 || held == null) {
      return null;
    }
    byte[] bytes = firstEventData();
    return GoogleRetryInfo.retryDelay(bytes, bytes.length);
  }

  /** Whether the first event {@link #firstEventData} read last is named {@code error}. */
  private boolean firstEventNamed;

  /**
   * The held first event's data: its {@code data:} lines' values, joined by line feeds; notes in
   * {@link #firstEventNamed} whether the event is named {@code error} ({@code event: error}).
   */
  private byte[] firstEventData() {
    boolean named = false;
    ByteArrayOutputStream data = null;
    int lineStart = 0;
    while (lineStart < firstEventEnd) {
      int end = SseBody.indexOfLineEnd(held, lineStart, firstEventEnd);
      if (end < 0) {
        end = firstEventEnd;
      }
      if (startsWith(lineStart, end, "event:")) {
        named |= "error".equals(value(lineStart + 6, end));
      } else if (startsWith(lineStart, end, "data:")) {
        int from = lineStart + 5;
        if (from < end && held[from] == ' ') {
          from++;
        }
        if (data == null) {
          data = new ByteArrayOutputStream(end - from);
        } else {
          data.write('\n');
        }
        data.write(held, from, end - from);
      }
      lineStart = end + 1;
      if (held[end] == '\r' && lineStart < firstEventEnd && held[lineStart] == '\n') {
        lineStart++;
      }
    }
    firstEventNamed = named;
    return data == null ? new byte[0] : data.toByteArray();
  }

  /**
   * The status of the error {@code data} reports (see {@link #firstEventErrorStatus}), 0 when it is
   * no JSON object reporting one. Only its top-level members are read, each value but {@code error}
   * skipped, so a long first event that is no error (a Responses API {@code response.created},
   * whose response has {@code "error":null}) costs no tree.
   */
  private static int errorStatusOf(byte[] data) {
    try (JsonParser p = Json.MAPPER.getFactory().createParser(data)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return 0;
      }
      ObjectNode top = Json.MAPPER.createObjectNode();
      for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
        JsonToken value = p.nextToken();
        if (name.equals("error") && value == JsonToken.START_OBJECT) {
          return errorStatus(p.readValueAsTree());
        }
        if (value.isScalarValue() && (name.equals("type") || name.equals("code"))) {
          top.set(name, p.readValueAsTree());
        } else {
          p.skipChildren();
        }
      }
      return "error".equals(top.path("type").textValue()) ? errorStatus(top) : 0;
    } catch (IOException | RuntimeException e) {
      return 0; // not JSON: no error document either
    }
  }

  /**
   * The status an error object stands for (see {@link #firstEventErrorStatus}): its {@code code} or
   * {@code status} when that is one, else the status its type names, else 500.
   */
  static int errorStatus(JsonNode error) {
    for (String field : new String[] {"code", "status"}) {
      JsonNode value = error.get(field);
      if (value != null && value.canConvertToInt()) {
        int status = value.asInt();
        if (status >= 400 && status <= 599) {
          return status;
        }
      }
    }
    String named = error.path("type").asText("") + " " + error.path("code").asText("");
    String kind = named.toLowerCase(Locale.ROOT);
    if (kind.contains("rate_limit")) {
      return 429;
    }
    if (kind.contains("overloaded")) {
      return 529;
    }
    if (kind.contains("invalid_request") || kind.contains("badrequest")) {
      return 400;
    }
    if (kind.contains("authentication")) {
      return 401;
    }
    if (kind.contains("permission")) {
      return 403;
    }
    if (kind.contains("not_found")) {
      return 404;
    }
    if (kind.contains("request_too_large")) {
      return 413;
    }
    if (kind.contains("timeout")) {
      return 504;
    }
    return 500;
  }

  private boolean startsWith(int from, int end, String field) {
    if (end - from < field.length()) {
      return false;
    }
    for (int i = 0; i < field.length(); i++) {
      if (held[from + i] != field.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private String value(int from, int end) {
    int start = from < end && held[from] == ' ' ? from + 1 : from;
    return new String(held, start, end - start, StandardCharsets.UTF_8);
  }

  private static boolean contains(byte[] bytes, byte[] part) {
    outer:
    for (int i = 0; i + part.length <= bytes.length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (bytes[i + j] != part[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** How holding ended. */
  public Held outcome() {
    return outcome;
  }

  /** Why reading failed while holding, or null. */
  public IOException failure() {
    return failure;
  }

  /** How a stream that ended while held (or failed) ended, as an exception to report. */
  public IOException endedEarly() {
    return failure != null ? failure : new EOFException("the stream ended before its first event");
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (position < count) {
      int n = Math.min(len, count - position);
      System.arraycopy(held, position, b, off, n);
      position += n;
      if (position == count) {
        held = null; // served: let it go
      }
      return n;
    }
    if (failure != null) {
      throw failure;
    }
    return outcome == Held.ENDED ? -1 : upstream.read(b, off, len);
  }

  @Override
  public int read() throws IOException {
    if (position < count) {
      int b = held[position++] & 0xff;
      if (position == count) {
        held = null;
      }
      return b;
    }
    if (failure != null) {
      throw failure;
    }
    return outcome == Held.ENDED ? -1 : upstream.read();
  }

  @Override
  public int available() throws IOException {
    return position < count
        ? count - position
        : failure != null || outcome == Held.ENDED ? 0 : upstream.available();
  }

  @Override
  public void close() throws IOException {
    upstream.close();
  }
}
