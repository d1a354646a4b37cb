package dev.aigateway.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.CallOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * A server-sent-events response. Events are read as they pass; the stream is never buffered
 * beyond the one event in flight.
 *
 * <p>When the gateway itself asked the backend for usage ({@code stream_options.include_usage}),
 * the application must see the stream it would have seen without that option: this body then
 * holds each event until its terminating blank line, drops the usage-only chunk (empty
 * {@code choices}, usage set) and removes the {@code "usage":null} member OpenAI adds to every
 * other chunk. Otherwise bytes go to the application straight from the upstream read and a copy
 * is parsed.
 */
public final class SseBody extends ObservedBody {

  private final boolean responsesApi;
  private final boolean hideUsage;
  private byte[] pending = new byte[2048];
  private int pendingLength;
  private int scanFrom;
  private byte[] out = new byte[2048];
  private int outPosition;
  private int outLength;
  private byte[] readBuffer;
  private boolean upstreamEnded;

  public SseBody(InputStream upstream, BodyListener listener, BooleanSupplier callCanceled,
      boolean responsesApi, boolean hideUsage) {
    super(upstream, listener, callCanceled);
    this.responsesApi = responsesApi;
    this.hideUsage = hideUsage;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!hideUsage) {
      int n = readUpstream(b, off, len);
      if (n < 0) {
        streamEnded();
      } else {
        appendPending(b, off, n);
        processEvents();
      }
      return n;
    }
    while (outPosition == outLength) {
      if (upstreamEnded) {
        return -1;
      }
      if (readBuffer == null) {
        readBuffer = new byte[8192];
      }
      int n = readUpstream(readBuffer, 0, readBuffer.length);
      if (n < 0) {
        upstreamEnded = true;
        streamEnded();
      } else {
        appendPending(readBuffer, 0, n);
        processEvents();
      }
    }
    int n = Math.min(len, outLength - outPosition);
    System.arraycopy(out, outPosition, b, off, n);
    outPosition += n;
    return n;
  }

  private void streamEnded() {
    if (ended()) {
      return;
    }
    if (pendingLength > 0) {
      // A last event without its blank line: still read it, and pass it on as it came.
      handleEvent(pending, 0, pendingLength);
      pendingLength = 0;
      scanFrom = 0;
    }
    end(facts.complete() ? CallOutcome.SUCCESS : CallOutcome.TRUNCATED, null);
  }

  private void appendPending(byte[] b, int off, int n) {
    if (pendingLength + n > pending.length) {
      pending = Arrays.copyOf(pending, Math.max(pendingLength + n, pending.length * 2));
    }
    System.arraycopy(b, off, pending, pendingLength, n);
    pendingLength += n;
  }

  /** Handles every complete event in {@code pending}; an event ends at an empty line. */
  private void processEvents() {
    int eventStart = 0;
    int lineStart = scanFrom;
    for (int i = scanFrom; i < pendingLength; i++) {
      if (pending[i] != '\n') {
        continue;
      }
      int lineEnd = i > lineStart && pending[i - 1] == '\r' ? i - 1 : i;
      if (lineEnd == lineStart && lineStart > eventStart) {
        handleEvent(pending, eventStart, i + 1);
        eventStart = i + 1;
      } else if (lineEnd == lineStart) {
        eventStart = i + 1; // stray blank line between events
        emit(pending, lineStart, i + 1);
      }
      lineStart = i + 1;
    }
    if (eventStart > 0) {
      System.arraycopy(pending, eventStart, pending, 0, pendingLength - eventStart);
      pendingLength -= eventStart;
      lineStart -= eventStart;
    }
    scanFrom = Math.max(0, lineStart);
  }

  private void handleEvent(byte[] bytes, int start, int end) {
    String event = new String(bytes, start, end - start, StandardCharsets.UTF_8);
    String data = dataOf(event);
    if (data == null) {
      emit(bytes, start, end);
      return;
    }
    if (data.equals("[DONE]")) {
      facts.markComplete();
      emit(bytes, start, end);
      return;
    }
    JsonNode node = Json.parseOrNull(data);
    if (node == null || !node.isObject()) {
      emit(bytes, start, end);
      return;
    }
    if (responsesApi) {
      facts.readResponsesEvent(node);
      emit(bytes, start, end);
      return;
    }
    facts.readChunk(node);
    JsonNode usage = node.get("usage");
    if (!hideUsage || usage == null) {
      emit(bytes, start, end);
    } else if (usage.isObject() && node.path("choices").isArray()
        && node.path("choices").isEmpty()) {
      return; // the usage-only chunk the application did not ask for
    } else if (usage.isNull()) {
      String withoutUsage = UsageMember.removeTopLevelNull(data);
      emit(event.replace(data, withoutUsage).getBytes(StandardCharsets.UTF_8));
    } else {
      emit(bytes, start, end);
    }
  }

  /** The event's data: its {@code data:} lines joined by newlines, or null when it has none. */
  static String dataOf(String event) {
    StringBuilder data = null;
    int lineStart = 0;
    while (lineStart < event.length()) {
      int newline = event.indexOf('\n', lineStart);
      int lineEnd = newline < 0 ? event.length() : newline;
      int contentEnd = lineEnd > lineStart && event.charAt(lineEnd - 1) == '\r'
          ? lineEnd - 1 : lineEnd;
      if (event.startsWith("data:", lineStart)) {
        int valueStart = lineStart + 5;
        if (valueStart < contentEnd && event.charAt(valueStart) == ' ') {
          valueStart++;
        }
        String value = event.substring(valueStart, contentEnd);
        if (data == null) {
          data = new StringBuilder(value);
        } else {
          data.append('\n').append(value);
        }
      }
      lineStart = lineEnd + 1;
    }
    return data == null ? null : data.toString();
  }

  private void emit(byte[] bytes) {
    emit(bytes, 0, bytes.length);
  }

  private void emit(byte[] bytes, int start, int end) {
    if (!hideUsage) {
      return; // the application already received these bytes straight from upstream
    }
    int n = end - start;
    if (outPosition == outLength) {
      outPosition = 0;
      outLength = 0;
    }
    if (outLength + n > out.length) {
      out = Arrays.copyOf(out, Math.max(outLength + n, out.length * 2));
    }
    System.arraycopy(bytes, start, out, outLength, n);
    outLength += n;
  }

  @Override
  public int available() {
    return hideUsage ? outLength - outPosition : 0;
  }
}
