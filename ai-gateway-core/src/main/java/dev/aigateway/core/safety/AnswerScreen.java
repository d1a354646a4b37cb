package dev.aigateway.core.safety;

import dev.aigateway.core.wire.EventStreamFrame;
import dev.aigateway.core.wire.EventStreamFramer;
import dev.aigateway.core.wire.ObservedBody;
import dev.aigateway.core.wire.SseEventFramer;
import dev.aigateway.core.wire.TransformingInputStream;
import dev.aigateway.core.wire.WireFormat;
import dev.aigateway.core.wire.WireRequest;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A streamed answer as the application reads it when content safety screens answers. Events pass
 * one by one, each as soon as it is whole: its text (the format's {@link WireFormat#eventText}) is
 * added to the window of the answer it continues (each choice of a call that asks for several has
 * its own, since their chunks come interleaved), and the event that fills a window (or the first
 * without text after some, such as the finishing chunk or {@code [DONE]}) waits for the window's
 * check. On a block, that event and everything after it are dropped: the application reads one
 * error event in the provider's stream shape, then the end, and the observed body is {@linkplain
 * ObservedBody#stop stopped} so the call is charged for what was read. The observed body's end is
 * {@linkplain ObservedBody#holdEnd held back} until the last text was checked, so that a block in
 * the stream's last bytes is what the call's event says. A window keeps only the overlap between
 * checks (moved back to the start of a word it would cut, by at most a window, so a word that comes
 * a token at a time is read from its start), so memory is bounded by the windows (one per answer,
 * at most {@value #MAX_ANSWERS}) and the event in flight (an event above {@value #MAX_EVENT_BYTES}
 * bytes is passed on unread, as the observed body treats it). Events are framed by an {@link
 * SseEventFramer}; a last event the stream ended without its blank line is screened as any other.
 * An AWS event stream (Bedrock's: {@link WireFormat#framesEventStream}) is cut into its messages by
 * an {@link EventStreamFramer} instead, each message an event whose texts {@link
 * WireFormat#frameText} reads, passed whole as it came; what is not a message read (one above the
 * decoder's bound, the rest after a corrupt frame, a message the stream ended inside) passes as it
 * came, and the error event is the format's exception message.
 *
 * <p>A window that ends inside a word (on a letter or digit, diacritics over it and letters beyond
 * the BMP included) is not judged yet: the event that filled it is held back, with what follows it,
 * until the next event comes (or the stream ends), and the window is judged then with that event's
 * text, so a word the window cut ({@code ass|ignment}) is judged whole, and a cut word that is
 * whole after all never reaches the application before the error event. Each window waits so at
 * most once, and only when no event is held back already: an answer in a script without spaces
 * holds one event back at a time, never more.
 */
final class AnswerScreen extends TransformingInputStream {

  static final int MAX_EVENT_BYTES = SseEventFramer.MAX_EVENT_BYTES;

  /**
   * The most answers screened apart (OpenAI's largest {@code n}); the texts of choices beyond them
   * share the last one's window.
   */
  static final int MAX_ANSWERS = 128;

  private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

  private final SafetyStage stage;
  private final WireFormat format;

  /** The call whose answer is screened (its model names the shape of Bedrock InvokeModel's). */
  private final WireRequest request;

  private final ObservedBody observed;
  private final int window;
  private final int overlap;

  /** The stream's framing: server-sent events, or an AWS event stream's messages. */
  private final SseEventFramer framer;

  private final EventStreamFramer frames;

  /** The answers the stream carried text for, in the order their first text came. */
  private Answer[] answers = {new Answer(0)};

  private int answerCount = 1;

  /** Whether the answer was blocked: nothing more passes but the error event. */
  private boolean blocked;

  /**
   * The event (and its separator) held back while an answer's window that ends inside a word waits
   * for the next event ({@link Answer#cut}); null when none is.
   */
  private java.io.ByteArrayOutputStream held;

  AnswerScreen(
      SafetyStage stage,
      WireRequest request,
      ObservedBody observed,
      InputStream source,
      int window,
      int overlap) {
    super(source);
    this.stage = stage;
    this.request = request;
    this.format = request.format();
    this.observed = observed;
    this.window = window;
    this.overlap = overlap;
    this.frames = format.framesEventStream() ? new Frames() : null;
    this.framer = frames == null ? new Framer() : null;
    observed.holdEnd(); // released once the last text was checked (upstreamEnded)
  }

  @Override
  protected void transform(byte[] bytes, int from, int to) {
    if (frames != null) {
      frames.append(bytes, from, to - from);
    } else {
      framer.append(bytes, from, to - from);
    }
  }

  @Override
  protected void upstreamEnded() {
    try {
      if (frames != null) {
        frames.end(); // the bytes of a message the stream ended inside, unread
      } else {
        framer.end(); // a last event without its blank line is checked before it passes
      }
      for (int i = 0; i < answerCount && !blocked; i++) {
        answers[i].cut = false;
        if (answers[i].unchecked > 0) {
          check(answers[i]); // the rest of the text, before the application reads the end
        }
      }
      if (!blocked) {
        releaseHeld();
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
      textCame = false;
      if (dataLines == 1) {
        readText(buffer, dataFrom, dataTo);
      } else if (dataLines > 1) {
        SseEventFramer.Data data = SseEventFramer.dataOf(buffer, start, end);
        readText(data.bytes(), data.from(), data.to());
      }
      screened(buffer, start, end);
    }

    private void readText(byte[] bytes, int from, int to) {
      if (!Arrays.equals(bytes, from, to, DONE, 0, DONE.length)) {
        format.eventText(bytes, from, to, texts);
      }
    }

    @Override
    protected void oversized(byte[] buffer, int from, int to) {
      passedUnread(buffer, from, to);
    }

    @Override
    protected void separator(byte[] buffer, int from, int to, boolean ofEvent) {
      if (blocked) {
        return;
      }
      if (held != null) {
        holdBack(buffer, from, to); // it follows the event held back
      } else {
        emit(buffer, from, to);
      }
    }
  }

  /**
   * An AWS event stream's messages are screened as events are (Bedrock's streams, whose texts the
   * format reads off each message's frame: {@link WireFormat#frameText}); what is not a message
   * read (one above the bound, the rest after a frame that failed its checks) passes as it came.
   */
  private final class Frames extends EventStreamFramer {

    @Override
    protected void message(byte[] bytes, int from, int to, EventStreamFrame frame) {
      if (blocked) {
        return;
      }
      textCame = false;
      format.frameText(request, frame, texts);
      screened(bytes, from, to);
    }

    @Override
    protected void unread(byte[] bytes, int from, int to) {
      passedUnread(bytes, from, to);
    }
  }

  /** Whether the event being read carried text. */
  private boolean textCame;

  /** Where the format hands the answer texts of the event being read. */
  private final WireFormat.EventTexts texts = this::text;

  /**
   * Passes {@code event[start, end)}, whose texts were read, on, holds it back, or stops the stream
   * before it, as the windows' checks decide.
   */
  private void screened(byte[] event, int start, int end) {
    // With text, the answers whose window it filled are checked (all of them at the last event:
    // the stream ended, nothing comes after it); without, the first event with none after some
    // (a finishing event) waits until the rest of every answer's text was checked.
    // A window left waiting because it ended inside a word is judged now, with this event's
    // text; a window this event fills that ends inside a word waits for the next event.
    boolean last = textCame && finished();
    boolean hold = false;
    for (int i = 0; i < answerCount; i++) {
      Answer answer = answers[i];
      if (answer.unchecked > 0 && (answer.cut || !textCame || last || answer.unchecked >= window)) {
        if (!answer.cut && textCame && !last && held == null && endsInsideWord(answer.text)) {
          answer.cut = true;
          hold = true;
          continue;
        }
        answer.cut = false;
        if (check(answer)) {
          return; // what was held back is dropped with the rest
        }
      }
    }
    if (hold) {
      holdBack(event, start, end);
    } else {
      releaseHeld();
      emit(event, start, end);
    }
  }

  /** Bytes passed on unread (an event above the bound): the windows waiting are judged first. */
  private void passedUnread(byte[] bytes, int from, int to) {
    if (!blocked && judgeCut()) {
      releaseHeld();
      emit(bytes, from, to);
    }
  }

  private void text(int choice, String delta) {
    if (delta.isEmpty()) {
      return;
    }
    Answer answer = answer(choice);
    answer.text.append(delta);
    answer.unchecked += delta.length();
    textCame = true;
  }

  /**
   * Whether {@code text} ends inside a word: it ends on a letter or a digit, as the deny lists read
   * one (a mathematical letter, a letter under diacritics included).
   */
  private static boolean endsInsideWord(StringBuilder text) {
    return TextRule.WordList.endsOnLetter(text);
  }

  /** Keeps {@code bytes[from, to)} back until the window waiting for the next event is judged. */
  private void holdBack(byte[] bytes, int from, int to) {
    if (held == null) {
      held = new java.io.ByteArrayOutputStream(to - from + 2);
    }
    held.write(bytes, from, to - from);
  }

  /** Passes on what was held back, once its window was judged clean. */
  private void releaseHeld() {
    if (held != null) {
      byte[] bytes = held.toByteArray();
      held = null;
      emit(bytes, 0, bytes.length);
    }
  }

  /**
   * Judges the windows left waiting for the next event, as they are (an event passed unread came
   * instead); returns false when one was blocked.
   */
  private boolean judgeCut() {
    for (int i = 0; i < answerCount; i++) {
      Answer answer = answers[i];
      if (answer.cut) {
        answer.cut = false;
        if (answer.unchecked > 0 && check(answer)) {
          return false;
        }
      }
    }
    return true;
  }

  /** The answer of choice {@code choice}, made when its first text comes. */
  private Answer answer(int choice) {
    for (int i = 0; i < answerCount; i++) {
      if (answers[i].choice == choice) {
        return answers[i];
      }
    }
    if (answerCount == MAX_ANSWERS) {
      return answers[answerCount - 1];
    }
    if (answerCount == answers.length) {
      answers = Arrays.copyOf(answers, Math.min(MAX_ANSWERS, answerCount * 2));
    }
    return answers[answerCount++] = new Answer(choice);
  }

  /** Checks an answer's window; on a block stops the stream and returns true. */
  private boolean check(Answer answer) {
    StringBuilder text = answer.text;
    byte[] withheld = stage.screenAnswer(text.toString(), answer.context);
    answer.unchecked = 0;
    if (text.length() > overlap + 1) {
      // A word the overlap would cut is kept whole (up to a window more): the tokens still to come
      // may complete it, and a word is only found from its start.
      int kept =
          TextRule.WordList.uncutFrom(
              text, text.length() - overlap, Math.max(1, text.length() - overlap - window));
      text.delete(0, kept - 1);
      answer.context = 1;
    }
    if (withheld == null) {
      return false;
    }
    blocked = true;
    held = null; // what was held back never reaches the application
    finish();
    emit(withheld, 0, withheld.length);
    observed.stop(SafetyStage.ANSWER_BLOCKED);
    return true;
  }

  /** One answer's text in the stream: its window, and what of it is not checked yet. */
  private static final class Answer {
    final int choice;
    final StringBuilder text = new StringBuilder();
    int unchecked;

    /**
     * How many characters at the start of {@link #text} are context only (0 or 1): the character
     * before the overlap, kept so a word the overlap cuts is not taken to start where it was cut.
     */
    int context;

    /** Whether the window ended inside a word and waits for the next event to be judged. */
    boolean cut;

    Answer(int choice) {
      this.choice = choice;
    }
  }
}
