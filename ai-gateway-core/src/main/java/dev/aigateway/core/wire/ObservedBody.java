package dev.aigateway.core.wire;

import dev.aigateway.api.CallOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * A response body the application reads through the gateway. Subclasses learn usage from the bytes
 * as they pass; this base class reports, exactly once, how the body ended: read to its end, closed
 * early by the application (cancelled), or failed while being read (truncated, or cancelled when
 * the application cancelled the call; a read failed by a timeout, the client's call timeout
 * included, is truncated). The application gets only {@link IOException}s from it: an unchecked
 * exception of the upstream's (a client's bug) reaches it wrapped in one, the body ended by it.
 */
public abstract class ObservedBody extends InputStream {

  protected final InputStream upstream;
  protected final ResponseReadout readout = new ResponseReadout();
  private final BodyListener listener;
  private final BooleanSupplier callCanceled;

  /** Whether the body's end was reported: set once, by the first report ({@link #REPORTED}). */
  private volatile boolean reported;

  private static final VarHandle REPORTED;

  /**
   * Where the reading thread is, for a {@link #close} from another thread (an application that
   * cancels a stream it reads on another thread): {@link #IDLE} (no read under way, or a read
   * waiting on upstream), {@link #HANDLING} (a read handles the bytes upstream gave it, which it
   * will hand on), or {@link #CLOSE_PENDING} (closed while it did: that read reports the close as
   * it returns, so the call ends as what it handed on says, the end marker included).
   */
  private volatile int readState;

  private static final int IDLE = 0;
  private static final int HANDLING = 1;
  private static final int CLOSE_PENDING = 2;

  private static final VarHandle READ_STATE;

  /** Whether {@link #close} was called: a read that upstream answers after it hands nothing on. */
  private volatile boolean closed;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      REPORTED = lookup.findVarHandle(ObservedBody.class, "reported", boolean.class);
      READ_STATE = lookup.findVarHandle(ObservedBody.class, "readState", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private boolean sawBytes;

  /** Whether a stream's first event arrived ({@link #eventArrived}). */
  private boolean sawEvent;

  /** The reason the body is being withheld from the application, or null. */
  private String withheld;

  /** A copy of every upstream byte, for the response cache; null when not kept. */
  private byte[] capture;

  private int captured;
  private int captureLimit;

  /** The buffer of {@link #read()}, made at its first call. */
  private byte[] one;

  /** Whether the upstream's end is held back until {@link #releaseEnd} ({@link #holdEnd}). */
  private boolean holdsEnd;

  /** How the upstream's end, held back, would end the body; null when none is held. */
  private volatile CallOutcome heldEnd;

  protected ObservedBody(
      InputStream upstream, BodyListener listener, BooleanSupplier callCanceled) {
    this.upstream = upstream;
    this.listener = listener;
    this.callCanceled = callCanceled;
  }

  /** Also keeps the generated text when usage is reported (the prompt log needs it). */
  public ObservedBody keepText() {
    readout.keepText();
    return this;
  }

  /**
   * Also keeps a copy of the bytes the backend sends, up to {@code maxBytes} (a longer body keeps
   * nothing), for {@link #captured()}.
   */
  public ObservedBody capture(int maxBytes) {
    captureLimit = maxBytes;
    capture = new byte[Math.min(maxBytes, 4096)];
    return this;
  }

  /**
   * Whether the backend's bytes are being kept for {@link #captured()} (asked, and not too long so
   * far).
   */
  protected final boolean capturing() {
    return capture != null;
  }

  /** The backend's bytes read so far, when {@link #capture} was asked and they fit; else null. */
  public byte[] captured() {
    return capture == null ? null : Arrays.copyOf(capture, captured);
  }

  private void keepCopy(byte[] buffer, int offset, int n) {
    if (captured + n > captureLimit) {
      capture = null; // too large to cache: stop copying
      return;
    }
    if (captured + n > capture.length) {
      capture =
          Arrays.copyOf(
              capture, Math.min(captureLimit, Math.max(captured + n, capture.length * 2)));
    }
    System.arraycopy(buffer, offset, capture, captured, n);
    captured += n;
  }

  /**
   * Reads from upstream, reporting the first bytes and turning a failure into the body's end.
   * Called within a read, which ends with {@link #readDone}: from its return until then the read is
   * handling the bytes, and a {@link #close} from another thread is reported when it is done.
   * Upstream's answer to a read that the body was closed during is not handed on: the read fails as
   * a read of a closed body does, the body having ended as closed.
   */
  protected final int readUpstream(byte[] buffer, int offset, int length) throws IOException {
    if (readState != IDLE && !READ_STATE.compareAndSet(this, HANDLING, IDLE)) {
      throw closedWhileHandling(); // closed while this read handled what upstream gave before
    }
    int n;
    try {
      n = upstream.read(buffer, offset, length);
    } catch (IOException | RuntimeException e) {
      // A client that ends a call at its own timeout by cancelling it (OkHttp's callTimeout)
      // fails the read with an InterruptedIOException: the body ended early, as at a read
      // timeout, and the application cancelled nothing.
      boolean canceled = callCanceled.getAsBoolean() && !(e instanceof InterruptedIOException);
      end(canceled ? CallOutcome.CANCELLED : CallOutcome.TRUNCATED, e);
      throw asIoException(e);
    }
    readState = HANDLING;
    if (closed) {
      // Closed while upstream was read (the close has ended the body, or left it to this read):
      // what upstream gave is not the application's.
      if (!READ_STATE.compareAndSet(this, HANDLING, IDLE)) {
        throw closedWhileHandling();
      }
      throw new IOException("the response body was closed");
    }
    if (n > 0) {
      if (capture != null) {
        keepCopy(buffer, offset, n);
      }
      if (!sawBytes) {
        sawBytes = true;
        listener.firstBytes();
      }
    }
    return n;
  }

  /**
   * Ends a read: a {@link #close} from another thread while it handled upstream's bytes is reported
   * now, as those bytes, handed on, say (a success when the end marker was among them).
   */
  protected final void readDone() {
    if (readState != IDLE && !READ_STATE.compareAndSet(this, HANDLING, IDLE)) {
      readState = IDLE;
      closedNow();
    }
  }

  /** Reports a close left to the read that handled bytes then; the failure that read throws. */
  private IOException closedWhileHandling() {
    readState = IDLE;
    closedNow();
    return new IOException("the response body was closed");
  }

  /**
   * The failure of a read from upstream as the application gets it: an {@link IOException} as it
   * came; an unchecked one (a client's bug, a source read after it was closed) wrapped in one, so
   * that the application gets only the exception a read declares. Its message names the unchecked
   * exception's class only (its own message may say anything).
   */
  private static IOException asIoException(Exception e) {
    return e instanceof IOException io
        ? io
        : new IOException("reading the response body failed: " + e.getClass().getName(), e);
  }

  /** A stream's event arrived: the first one is told to the listener. */
  protected final void eventArrived() {
    if (!sawEvent) {
      sawEvent = true;
      listener.firstEvent();
    }
  }

  /**
   * Reports the end of the body; only the first call counts. A body being {@linkplain #withhold
   * withheld} ends as stopped, however its reading ended.
   */
  protected final void end(CallOutcome outcome, Throwable failure) {
    if (holdsEnd && failure == null && heldEnd == null && !reported) {
      heldEnd = outcome; // reported when released, closed or stopped
      return;
    }
    report(outcome, failure);
  }

  /** Reports the body's end to the listener; only the first report counts. */
  private void report(CallOutcome outcome, Throwable failure) {
    heldEnd = null;
    if (REPORTED.compareAndSet(this, false, true)) {
      ending();
      if (withheld != null && failure == null) {
        listener.bodyEnded(CallOutcome.TRUNCATED, readout, new Stopped(withheld));
      } else {
        listener.bodyEnded(outcome, readout, failure);
      }
    }
  }

  /** Whether the body has ended: its end was reported, or is {@linkplain #holdEnd held}. */
  protected final boolean ended() {
    return reported || heldEnd != null;
  }

  /**
   * Holds the end of the upstream back: when the backend's body has been read to its end, the
   * body's end is reported only at {@link #releaseEnd}, when the body is closed, or as {@linkplain
   * #stop stopped} (which it may still be). For a stage that reads this body and checks the last
   * bytes after their end was read (content safety's answer screen), so that the call's one event
   * says what the check decided. Failures are reported at once, as ever.
   */
  public final void holdEnd() {
    holdsEnd = true;
  }

  /** Reports the upstream's end {@linkplain #holdEnd held back}; nothing when none is held. */
  public final void releaseEnd() {
    CallOutcome held = heldEnd;
    if (held != null) {
      report(held, null);
    }
  }

  /**
   * Reads from upstream into the application's buffer: each piece that came goes to {@link
   * #passed}, and the upstream's end to {@link #upstreamEnded} unless the body ended already. The
   * reading of the bodies that pass bytes on unchanged and watch them as they go.
   */
  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    try {
      int n = readUpstream(b, off, len);
      if (n < 0) {
        if (!ended()) {
          upstreamEnded();
        }
      } else if (n > 0) {
        passed(b, off, n, len);
      }
      return n;
    } finally {
      readDone();
    }
  }

  /**
   * Reads as {@link #read(byte[], int, int)}, except that bytes of {@code b} after those returned,
   * up to {@code off + len}, may have been written: for a caller that treats that room as free,
   * such as an adapter reading into an okio segment's free tail. A body that hides part of what
   * upstream sends (a server-sent event stream with hidden usage) then reads upstream straight into
   * {@code b} and frames the bytes there, so each byte is copied once; {@code read} keeps {@link
   * InputStream}'s contract (the rest of {@code b} unaffected) and copies through the body's own
   * buffer instead. By default the same as {@code read}.
   */
  public int readScratch(byte[] b, int off, int len) throws IOException {
    return read(b, off, len);
  }

  /**
   * Watches {@code b[off, off + n)}, bytes just read from upstream for the application, which asked
   * for up to {@code requested}.
   */
  protected void passed(byte[] b, int off, int n, int requested) {}

  /**
   * The upstream ended (and the body had not): by default the body ends, as a success when its end
   * marker or whole document was read, else truncated.
   */
  protected void upstreamEnded() {
    end(readout.complete() ? CallOutcome.SUCCESS : CallOutcome.TRUNCATED, null);
  }

  @Override
  public int available() throws IOException {
    try {
      return upstream.available();
    } catch (RuntimeException e) {
      throw asIoException(e);
    }
  }

  @Override
  public final int read() throws IOException {
    if (one == null) {
      one = new byte[1];
    }
    int n;
    do {
      n = read(one, 0, 1);
    } while (n == 0);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  /**
   * Closes the body. A body closed after its end marker was read ({@code [DONE]}, {@code
   * response.completed}, or a complete JSON document) ended normally, even when the application
   * never read the end of the stream itself, as SDKs that stop at {@code [DONE]} do (also when it
   * closed at the {@code data: [DONE]} line, before that event's blank line came); closed before
   * that, the call was cancelled. Closed on another thread while a read handles the bytes upstream
   * gave it, the body ends when that read returns, as what it handed on says (a success when the
   * end marker was among them); while a read waits on upstream, at once, and that read hands
   * nothing more on.
   */
  @Override
  public void close() throws IOException {
    closed = true;
    try {
      upstream.close();
    } catch (RuntimeException e) {
      throw asIoException(e);
    } finally {
      int state;
      while ((state = readState) != CLOSE_PENDING) {
        if (state == IDLE) {
          closedNow();
          break;
        }
        if (READ_STATE.compareAndSet(this, HANDLING, CLOSE_PENDING)) {
          break; // the read under way reports it (readDone)
        }
      }
    }
  }

  /** Ends the body as closed now, unless it ended already. */
  private void closedNow() {
    if (heldEnd != null) {
      releaseEnd();
    } else if (!ended()) {
      closing();
      report(
          readout.complete() || endMarkerHandedOn() ? CallOutcome.SUCCESS : CallOutcome.CANCELLED,
          null);
    }
  }

  /**
   * Whether the application, closing the body, was handed its end marker although the body has not
   * read it whole yet (a stream's {@code data: [DONE]} line, whose blank line had not come): it
   * read the answer to its end. By default false.
   */
  protected boolean endMarkerHandedOn() {
    return false;
  }

  /**
   * Ends the body early on the gateway's own decision (content safety blocked the answer): closes
   * upstream and reports the end as {@link CallOutcome#TRUNCATED} with what was read so far, so the
   * call is charged for the tokens up to there; {@code reason} becomes the event's error type.
   * Nothing happens when the body had ended already (an end {@linkplain #holdEnd held back} has
   * not: the body then ends stopped).
   */
  public final void stop(String reason) {
    try {
      upstream.close();
    } catch (IOException | RuntimeException e) {
      // the body ends either way
    } finally {
      if (!reported) {
        if (heldEnd == null) {
          closing(); // not when the upstream's end was read: the body was read to its end
        }
        report(CallOutcome.TRUNCATED, new Stopped(reason));
      }
    }
  }

  /**
   * Reads the rest of the body, which the application will never see (content safety withheld the
   * answer), so that what the backend reported (usage, model) is learnt, then ends it as {@link
   * #stop} does: {@link CallOutcome#TRUNCATED}, {@code reason} as the error type, so the call is
   * charged the backend's reported usage and its answer is not cached. Nothing happens when the
   * body had ended already.
   *
   * @throws IOException when reading the rest fails (the body has then ended as failed)
   */
  public final void withhold(String reason) throws IOException {
    if (ended()) {
      return;
    }
    withheld = reason;
    byte[] buffer = new byte[8192];
    try {
      while (read(buffer, 0, buffer.length) >= 0) {
        // drained: the readout learns as the bytes pass
      }
    } finally {
      stop(reason);
    }
  }

  /** How a body {@linkplain #stop stopped} by the gateway ended: its reason, as the error type. */
  public static final class Stopped extends Exception {
    private static final long serialVersionUID = 1L;

    Stopped(String reason) {
      super(reason, null, false, false);
    }
  }

  /** Called when the application closes the body before its end was reported. */
  protected void closing() {}

  /** Called once, as the body's end is reported, before the listener hears of it. */
  protected void ending() {}
}
