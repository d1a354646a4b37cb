package dev.aigateway.core.agent;

import dev.aigateway.core.wire.Json;
import dev.aigateway.core.wire.SseEventFramer;
import dev.aigateway.core.wire.TransformingInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The answer of a governed JSON-RPC POST as the application reads it. An event stream is framed
 * event by event by an {@link SseEventFramer} (an event is held only until its blank line, at most
 * {@link #MAX_EVENT_BYTES}; each is handed to the call, which passes it on unchanged or rewritten;
 * a larger one passes unread, unless the call must read it, when the answer fails there instead; a
 * last event without its blank line is handed to the call too, and passes as it came unless the
 * call rewrites it); a JSON answer is either passed on as it comes while a bounded copy is kept to
 * read at its end, or, when the call may rewrite it, held whole (at most {@link #MAX_HELD_BYTES}; a
 * larger one fails there, unless the call lets it pass unread) and handed on at its end. A JSON
 * answer passed as it came that is closed once what arrived is a whole JSON value (as a JSON parser
 * reads it, never reading the stream's end) is read as ended there, once the application has read
 * all of it.
 */
final class AnswerStream extends TransformingInputStream {

  /**
   * The largest event held for reading; a larger one passes unread (or, when the call must read it,
   * ends the answer).
   */
  static final int MAX_EVENT_BYTES = SseEventFramer.MAX_EVENT_BYTES;

  /** The largest JSON answer read or held. */
  static final int MAX_HELD_BYTES = 16 << 20;

  /** What the stream tells its call. */
  interface Reader {
    /** A complete SSE event (with its blank line); returns the bytes to pass on. */
    byte[] event(byte[] event);

    /**
     * A complete JSON answer (null when it was larger than the bound); returns the bytes to pass on
     * when the answer was held, else its return is ignored.
     */
    byte[] document(byte @Nullable [] document, boolean held);

    /**
     * An event too large to read begins: null to pass it on unread, or the failure to end the
     * answer with instead (an answer that must be read to be checked or filtered is not passed
     * unread).
     */
    default @Nullable IOException oversized(String what) {
      return null;
    }

    /**
     * The answer cannot be read at all ({@code what}: in a {@code Content-Encoding} the gateway
     * does not inflate): null to pass it on unread, or the failure to end the answer with instead,
     * asked before anything of it passes.
     */
    default @Nullable IOException unreadable(String what) {
      return null;
    }

    /**
     * A held answer is whole: null to hand it to {@link #document}, or the failure to end the
     * answer with instead (it cannot be read for sure), before anything of it passes.
     */
    default @Nullable IOException refuses(byte[] document) {
      return null;
    }

    /**
     * The reader itself failed on the answer (an unexpected exception, or a stack overflow in a
     * check): returns the failure that ends the answer, which {@link #ended} is then told of.
     */
    default IOException failed(Throwable failure) {
      return new IOException(
          "ai-gateway: the answer could not be read: " + failure.getClass().getName(), failure);
    }

    /** The answer ended: its end was read, the application closed it, or reading failed. */
    void ended(boolean complete, @Nullable IOException failure);
  }

  /**
   * Thrown by a {@link Reader}'s {@link Reader#event} or {@link Reader#document} that will not pass
   * what it was given (it cannot be checked or filtered for sure): nothing of it passes, and the
   * application's read throws {@link #failure} after what passed before; {@link Reader#ended} is
   * told of it.
   */
  static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What the application's read throws. */
    final IOException failure;

    Refused(IOException failure) {
      super(failure.getMessage(), null, false, false);
      this.failure = failure;
    }
  }

  private final Reader reader;
  private final boolean hold;

  /** Frames an event stream; null for a JSON answer. */
  private final @Nullable Framer framer;

  // The JSON document being gathered.
  private byte[] held = new byte[1024];
  private int heldLen;
  private boolean overflow;

  private boolean ended;

  /** An event too large to read was refused: nothing more passes. */
  private boolean refused;

  /** An event too large to read was passed on unread: so will any later one. */
  private boolean passUnread;

  /**
   * Why the answer cannot be read at all (its {@code Content-Encoding}), or null: such an answer is
   * neither framed nor held, and passes unread unless the reader refuses it.
   */
  private final @Nullable String unreadable;

  /** Whether the reader was asked about an {@link #unreadable} answer. */
  private boolean askedUnreadable;

  AnswerStream(InputStream upstream, Reader reader, boolean sse, boolean hold) {
    this(upstream, reader, sse, hold, null);
  }

  /**
   * @param unreadable why the answer cannot be read at all (in a {@code Content-Encoding} the
   *     gateway does not inflate), or null when it can
   */
  AnswerStream(
      InputStream upstream, Reader reader, boolean sse, boolean hold, @Nullable String unreadable) {
    super(upstream);
    this.reader = reader;
    this.unreadable = unreadable;
    this.hold = hold && unreadable == null;
    this.framer = sse && unreadable == null ? new Framer() : null;
    if (unreadable != null) {
      overflow = true; // nothing of it is gathered: it ends as an answer too large to read
      held = new byte[0];
    }
  }

  /**
   * Asks the reader, once, whether an unreadable answer may pass; returns false when it may not
   * (the answer has then failed and ended).
   */
  private boolean unreadablePasses() {
    if (unreadable == null) {
      return true;
    }
    if (askedUnreadable) {
      return !refused;
    }
    askedUnreadable = true;
    IOException failure = reader.unreadable(unreadable);
    if (failure != null) {
      refused = true;
      fail(failure);
      end(false, failure);
      return false;
    }
    return true;
  }

  @Override
  protected void transform(byte[] bytes, int from, int to) {
    try {
      transformGuarded(bytes, from, to);
    } catch (RuntimeException | StackOverflowError e) {
      broke(e);
    }
  }

  /**
   * The reader failed: nothing more passes, and the application's read throws an {@link
   * IOException} whose cause is the failure, after what passed before.
   */
  private void broke(Throwable e) {
    if (e instanceof Refused refusal) {
      // The reader will not pass what it was given: the answer ends here, after what passed.
      refused = true;
      fail(refusal.failure);
      end(false, refusal.failure);
      return;
    }
    IOException failure = reader.failed(e);
    refused = true;
    fail(failure);
    end(false, failure);
  }

  private void transformGuarded(byte[] bytes, int from, int to) {
    if (!unreadablePasses()) {
      return;
    }
    if (framer != null) {
      framer.append(bytes, from, to - from);
    } else if (hold) {
      gather(bytes, from, to - from);
    } else {
      emit(bytes, from, to);
      if (!overflow) {
        gather(bytes, from, to - from);
      }
    }
  }

  @Override
  protected void upstreamEnded() {
    try {
      if (!unreadablePasses()) {
        return;
      }
      if (framer != null) {
        framer.end();
      } else {
        byte[] document = overflow ? null : Arrays.copyOf(held, heldLen);
        if (hold && document != null) {
          IOException failure = reader.refuses(document);
          if (failure != null) {
            refused = true;
            fail(failure);
            end(false, failure);
            return;
          }
        }
        byte[] pass = reader.document(document, hold && !overflow);
        if (hold && !overflow) {
          emit(pass, 0, pass.length);
        }
      }
    } catch (RuntimeException | StackOverflowError e) {
      broke(e);
      return;
    }
    end(true, null);
  }

  @Override
  protected void upstreamFailed(IOException failure) {
    end(false, failure);
  }

  /** The events of an event stream go to the call; what is not an event passes as it came. */
  private final class Framer extends SseEventFramer {

    @Override
    protected void event(
        byte[] buffer, int start, int end, int dataLines, int dataFrom, int dataTo) {
      if (refused) {
        return;
      }
      byte[] event = Arrays.copyOfRange(buffer, start, end);
      if (!finished()) {
        byte[] pass = reader.event(event);
        emit(pass, 0, pass.length);
        return;
      }
      // A last event without its blank line: read as a whole one, passed as it came unless
      // rewritten (a rewritten event ends in its blank line).
      byte last = event[event.length - 1];
      boolean lineEnded = last == '\n' || last == '\r';
      byte[] whole = Arrays.copyOf(event, event.length + (lineEnded ? 1 : 2));
      whole[event.length] = lineEnded ? last : (byte) '\n';
      whole[whole.length - 1] = lineEnded ? last : (byte) '\n';
      byte[] pass = reader.event(whole);
      if (pass == whole) {
        emit(event, 0, event.length);
      } else {
        emit(pass, 0, pass.length);
      }
    }

    @Override
    protected void oversized(byte[] buffer, int from, int to) {
      if (refused) {
        return;
      }
      if (!passUnread) {
        IOException failure =
            reader.oversized("an event larger than " + MAX_EVENT_BYTES + " bytes");
        if (failure != null) {
          // Not passed unread: the answer ends here, with the failure after the events before.
          refused = true;
          fail(failure);
          AnswerStream.this.end(false, failure);
          return;
        }
      }
      passUnread = true; // no answer that must be read is left: none will be
      emit(buffer, from, to);
    }

    @Override
    protected void separator(byte[] buffer, int from, int to, boolean ofEvent) {
      if (refused) {
        return;
      }
      emit(buffer, from, to);
    }
  }

  private void gather(byte[] bytes, int off, int n) {
    if (heldLen + n > MAX_HELD_BYTES) {
      if (hold && !overflow) {
        IOException failure = reader.oversized("more than " + MAX_HELD_BYTES + " bytes");
        if (failure != null) {
          // Not passed unread: nothing of it passes, and the answer fails.
          held = new byte[0];
          heldLen = 0;
          overflow = true;
          refused = true;
          fail(failure);
          end(false, failure);
          return;
        }
      }
      if (hold) {
        // Too large to hold for a rewrite: what came passes on, the rest streams through unread.
        emit(held, 0, heldLen);
        emit(bytes, off, off + n);
        heldLen = 0;
        overflow = true;
        return;
      }
      overflow = true;
      heldLen = 0;
      held = new byte[0];
      return;
    }
    if (refused) {
      return;
    }
    if (overflow && hold) {
      emit(bytes, off, off + n);
      return;
    }
    if (heldLen + n > held.length) {
      held = Arrays.copyOf(held, Math.max(heldLen + n, held.length * 2));
    }
    System.arraycopy(bytes, off, held, heldLen, n);
    heldLen += n;
  }

  private void end(boolean complete, @Nullable IOException failure) {
    if (!ended) {
      ended = true;
      reader.ended(complete, failure);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      super.close();
    } finally {
      if (!ended && readWhole()) {
        // Closed by a reader that stops at the value's end (a JSON parser reads one value and
        // closes without reading the end of the stream): the answer was read whole.
        upstreamEnded();
      }
      end(false, null);
    }
  }

  /**
   * Whether a JSON answer passed as it came has been read whole: what arrived is one complete JSON
   * value, and the application has read all of it (an answer that arrived whole but was read only
   * in part before the close was cancelled, as the LLM path's JSON body ends one). (A held answer
   * reaches the application only at its end; an event stream's events are read as they end.)
   */
  private boolean readWhole() {
    return framer == null
        && !hold
        && !overflow
        && !refused
        && heldLen > 0
        && available() == 0
        && Json.parseOrNull(held, 0, heldLen) != null;
  }
}
