package dev.aigateway.core.safety;

import dev.aigateway.core.wire.ObservedBody;
import dev.aigateway.core.wire.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A streamed answer as the application reads it when content safety screens answers. Events pass
 * one by one, each as soon as it is whole: its text (the format's {@link WireFormat#eventText}) is
 * added to the window, and the event that fills the window (or the first without text after some,
 * such as the finishing chunk or {@code [DONE]}) waits for the window's check. On a block, that
 * event and everything after it are dropped: the application reads one error event in the
 * provider's stream shape, then the end, and the observed body is {@linkplain ObservedBody#stop
 * stopped} so the call is charged for what was read. The window keeps only the overlap between
 * checks, so memory is bounded by the window and the event in flight (an event above {@value
 * #MAX_EVENT_BYTES} bytes is passed on unread, as the observed body treats it).
 */
final class AnswerScreen extends InputStream {

  static final int MAX_EVENT_BYTES = 4 << 20;
  private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

  private final SafetyStage stage;
  private final WireFormat format;
  private final ObservedBody observed;
  private final InputStream source;
  private final int window;
  private final int overlap;
  private final StringBuilder text = new StringBuilder();
  private int unchecked;

  /** Bytes read from the source, not yet handled: {@code [0, inLength)}. */
  private byte[] in = new byte[4096];

  private int inLength;
  private int scanned;

  /** Bytes for the application: {@code [outPosition, outLength)}. */
  private byte[] out = new byte[4096];

  private int outPosition;
  private int outLength;
  private boolean sourceEnded;
  private boolean stopped;

  AnswerScreen(
      SafetyStage stage,
      WireFormat format,
      ObservedBody observed,
      InputStream source,
      int window,
      int overlap) {
    this.stage = stage;
    this.format = format;
    this.observed = observed;
    this.source = source;
    this.window = window;
    this.overlap = overlap;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (outPosition == outLength) {
      if (stopped || sourceEnded) {
        return -1;
      }
      fill();
    }
    int n = Math.min(len, outLength - outPosition);
    System.arraycopy(out, outPosition, b, off, n);
    outPosition += n;
    return n;
  }

  @Override
  public int available() {
    return outLength - outPosition;
  }

  @Override
  public void close() throws IOException {
    source.close();
  }

  /** Reads what the source has and handles every event that is now whole. */
  private void fill() throws IOException {
    outPosition = 0;
    outLength = 0;
    if (inLength == in.length) {
      in = Arrays.copyOf(in, in.length * 2);
    }
    int n = source.read(in, inLength, in.length - inLength);
    if (n < 0) {
      sourceEnded = true;
      // The rest of a stream that ended without a blank line: check what is left, then pass it.
      if (unchecked > 0 && check()) {
        return;
      }
      emit(in, 0, inLength);
      inLength = 0;
      return;
    }
    inLength += n;
    int start = 0;
    int end;
    while ((end = eventEnd(start)) > 0) {
      if (handle(start, end)) {
        inLength = 0;
        return; // stopped
      }
      start = end;
    }
    System.arraycopy(in, start, in, 0, inLength - start);
    inLength -= start;
    scanned = Math.max(0, scanned - start);
    if (inLength > MAX_EVENT_BYTES) {
      emit(in, 0, inLength); // an event too large to read: passed on unread
      inLength = 0;
      scanned = 0;
    }
  }

  /** The end of the event starting at {@code start} (after its blank line), or -1. */
  private int eventEnd(int start) {
    for (int i = Math.max(start, scanned); i < inLength; i++) {
      byte c = in[i];
      if (c == '\n' && i + 1 < inLength && in[i + 1] == '\n') {
        return i + 2;
      }
      if (c == '\n' && i + 2 < inLength && in[i + 1] == '\r' && in[i + 2] == '\n') {
        return i + 3;
      }
      if (c == '\r' && i + 1 < inLength && in[i + 1] == '\r') {
        return i + 2;
      }
    }
    scanned = Math.max(start, inLength - 2);
    return -1;
  }

  /** Handles the event {@code in[start, end)}; true when the stream was stopped. */
  private boolean handle(int start, int end) {
    byte[] data = dataOf(start, end);
    String delta = data == null || isDone(data) ? null : format.eventText(data, 0, data.length);
    if (delta != null && !delta.isEmpty()) {
      text.append(delta);
      unchecked += delta.length();
      if (unchecked >= window && check()) {
        return true;
      }
    } else if (unchecked > 0 && check()) {
      return true; // a finishing event: the rest of the text is checked before it passes
    }
    emit(in, start, end);
    return false;
  }

  /** Checks the window; on a block stops the stream and returns true. */
  private boolean check() {
    byte[] blocked = stage.screenAnswer(text.toString());
    unchecked = 0;
    if (text.length() > overlap) {
      text.delete(0, text.length() - overlap);
    }
    if (blocked == null) {
      return false;
    }
    stopped = true;
    emit(blocked, 0, blocked.length);
    observed.stop(SafetyStage.ANSWER_BLOCKED);
    return true;
  }

  private static boolean isDone(byte[] data) {
    return Arrays.equals(data, DONE);
  }

  /** The event's data lines' values joined by newlines, or null when it has none. */
  private byte[] dataOf(int start, int end) {
    byte[] joined = null;
    int line = start;
    while (line < end) {
      int lineEnd = line;
      while (lineEnd < end && in[lineEnd] != '\n' && in[lineEnd] != '\r') {
        lineEnd++;
      }
      if (lineEnd - line >= 5
          && in[line] == 'd'
          && in[line + 1] == 'a'
          && in[line + 2] == 't'
          && in[line + 3] == 'a'
          && in[line + 4] == ':') {
        int from = line + 5 < lineEnd && in[line + 5] == ' ' ? line + 6 : line + 5;
        byte[] value = Arrays.copyOfRange(in, from, lineEnd);
        if (joined == null) {
          joined = value;
        } else {
          byte[] both = Arrays.copyOf(joined, joined.length + 1 + value.length);
          both[joined.length] = '\n';
          System.arraycopy(value, 0, both, joined.length + 1, value.length);
          joined = both;
        }
      }
      line = lineEnd + 1;
    }
    return joined;
  }

  private void emit(byte[] bytes, int from, int to) {
    int n = to - from;
    if (n <= 0) {
      return;
    }
    if (outLength + n > out.length) {
      out = Arrays.copyOf(out, Math.max(out.length * 2, outLength + n));
    }
    System.arraycopy(bytes, from, out, outLength, n);
    outLength += n;
  }
}
