package dev.aigateway.core.safety;

import dev.aigateway.core.wire.ObservedBody;
import dev.aigateway.core.wire.SseEventFramer;
import dev.aigateway.core.wire.TransformingInputStream;
import dev.aigateway.core.wire.WireFormat;
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
 * stopped} so the call is charged for what was read. The observed body's end is {@linkplain
 * ObservedBody#holdEnd held back} until the last text was checked, so that a block in the stream's
 * last bytes is what the call's event says. The window keeps only the overlap between checks, so
 * memory is bounded by the window and the event in flight (an event above {@value #MAX_EVENT_BYTES}
 * bytes is passed on unread, as the observed body treats it). Events are framed by an {@link
 * SseEventFramer}; a last event the stream ended without its blank line is screened as any other.
 */
final class AnswerScreen extends TransformingInputStream {

  static final int MAX_EVENT_BYTES = SseEventFramer.MAX_EVENT_BYTES;
  private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

  private final SafetyStage stage;
  private final WireFormat format;
  private final ObservedBody observed;
  private final int window;
  private final int overlap;
  private final StringBuilder text = new StringBuilder();
  private final Framer framer = new Framer();
  private int unchecked;

  /**
   * How many characters at the start of {@link #text} are context only (0 or 1): the character
   * before the overlap, kept so a word the overlap cuts is not taken to start where it was cut.
   */
  private int context;

  /** Whether the answer was blocked: nothing more passes but the error event. */
  private boolean blocked;

  AnswerScreen(
      SafetyStage stage,
      WireFormat format,
      ObservedBody observed,
      InputStream source,
      int window,
      int overlap) {
    super(source);
    this.stage = stage;
    this.format = format;
    this.observed = observed;
    this.window = window;
    this.overlap = overlap;
    observed.holdEnd(); // released once the last text was checked (upstreamEnded)
  }

  @Override
  protected void transform(byte[] bytes, int from, int to) {
    framer.append(bytes, from, to - from);
  }

  @Override
  protected void upstreamEnded() {
    try {
      framer.end(); // a last event without its blank line is checked before it passes
      if (!blocked && unchecked > 0) {
        check(); // the rest of the text, before the application reads the end
      }
    } finally {
      observed.releaseEnd(); // the call ends as the checks decided (stopped on a block)
    }
  }

  /** Events are screened; what is not one passes as it came, until the stream is stopped. */
  private final class Framer extends SseEventFramer {

    @Override
    protected void event(
        byte[] buffer, int start, int end, int dataLines, int dataFrom, int dataTo) {
      if (blocked) {
        return;
      }
      String delta = null;
      if (dataLines == 1) {
        delta = textOf(buffer, dataFrom, dataTo);
      } else if (dataLines > 1) {
        SseEventFramer.Data data = SseEventFramer.dataOf(buffer, start, end);
        delta = textOf(data.bytes(), data.from(), data.to());
      }
      if (delta != null && !delta.isEmpty()) {
        text.append(delta);
        unchecked += delta.length();
        // The last event (the stream ended) waits for the check too: nothing comes after it.
        if ((unchecked >= window || finished()) && check()) {
          return;
        }
      } else if (unchecked > 0 && check()) {
        return; // a finishing event: the rest of the text is checked before it passes
      }
      emit(buffer, start, end);
    }

    @Override
    protected void oversized(byte[] buffer, int from, int to) {
      if (!blocked) {
        emit(buffer, from, to);
      }
    }

    @Override
    protected void separator(byte[] buffer, int from, int to, boolean ofEvent) {
      if (!blocked) {
        emit(buffer, from, to);
      }
    }
  }

  /** The text an event's data {@code bytes[from, to)} adds to the answer; null for none. */
  private String textOf(byte[] bytes, int from, int to) {
    return Arrays.equals(bytes, from, to, DONE, 0, DONE.length)
        ? null
        : format.eventText(bytes, from, to);
  }

  /** Checks the window; on a block stops the stream and returns true. */
  private boolean check() {
    byte[] withheld = stage.screenAnswer(text.toString(), context);
    unchecked = 0;
    if (text.length() > overlap + 1) {
      text.delete(0, text.length() - overlap - 1);
      context = 1;
    }
    if (withheld == null) {
      return false;
    }
    blocked = true;
    finish();
    emit(withheld, 0, withheld.length);
    observed.stop(SafetyStage.ANSWER_BLOCKED);
    return true;
  }
}
