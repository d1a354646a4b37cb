package dev.aigateway.core.agent;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The answer of a governed JSON-RPC POST as the application reads it. An event stream is framed
 * event by event (an event is held only until its blank line, at most {@link #MAX_EVENT_BYTES};
 * each is handed to the call, which passes it on unchanged or rewritten); a JSON answer is either
 * passed on as it comes while a bounded copy is kept to read at its end, or, when the call may
 * rewrite it, held whole (at most {@link #MAX_HELD_BYTES}) and handed on at its end.
 */
final class AnswerStream extends InputStream {

  /** The largest event held for reading; a larger one passes unread. */
  static final int MAX_EVENT_BYTES = 4 << 20;

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

    /** The answer ended: its end was read, the application closed it, or reading failed. */
    void ended(boolean complete, @Nullable IOException failure);
  }

  private final InputStream upstream;
  private final Reader reader;
  private final boolean sse;
  private final boolean hold;
  private final byte[] chunk = new byte[8192];

  // Bytes ready for the application.
  private byte[] out = new byte[0];
  private int outPos;
  private int outLen;

  // The event or document being gathered.
  private byte[] held = new byte[1024];
  private int heldLen;
  private boolean overflow;

  // SSE line state.
  private int lineLength;
  private boolean afterCr;

  private boolean eof;
  private boolean ended;

  AnswerStream(InputStream upstream, Reader reader, boolean sse, boolean hold) {
    this.upstream = upstream;
    this.reader = reader;
    this.sse = sse;
    this.hold = hold;
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
    while (outPos == outLen) {
      if (eof) {
        return -1;
      }
      fill();
    }
    int n = Math.min(len, outLen - outPos);
    System.arraycopy(out, outPos, b, off, n);
    outPos += n;
    return n;
  }

  @Override
  public int available() {
    return outLen - outPos;
  }

  private void fill() throws IOException {
    int n;
    try {
      n = upstream.read(chunk, 0, chunk.length);
    } catch (IOException e) {
      end(false, e);
      throw e;
    }
    outPos = 0;
    outLen = 0;
    if (n < 0) {
      finish();
      eof = true;
      end(true, null);
      return;
    }
    if (sse) {
      frame(chunk, n);
    } else if (hold) {
      gather(chunk, 0, n);
    } else {
      emit(chunk, 0, n);
      if (!overflow) {
        gather(chunk, 0, n);
      }
    }
  }

  private void finish() {
    if (sse) {
      if (heldLen > 0) {
        emit(held, 0, heldLen); // an unterminated last event passes as it is
        heldLen = 0;
      }
      return;
    }
    byte[] document = overflow ? null : Arrays.copyOf(held, heldLen);
    byte[] pass = reader.document(document, hold && !overflow);
    if (hold && !overflow) {
      emit(pass, 0, pass.length);
    }
  }

  /** Frames SSE bytes into events: LF, CRLF or CR end a line; an empty line ends an event. */
  private void frame(byte[] bytes, int n) {
    int passFrom = -1; // start of bytes passed through while an oversized event streams
    for (int i = 0; i < n; i++) {
      byte c = bytes[i];
      if (afterCr && c == '\n') {
        afterCr = false; // the LF of a CRLF already counted at its CR
        if (overflow || heldLen == 0) {
          if (passFrom < 0) {
            emit(bytes, i, 1);
          }
        } else {
          gatherEvent(bytes, i);
        }
        continue;
      }
      afterCr = c == '\r';
      boolean lineEnd = c == '\n' || c == '\r';
      if (overflow) {
        if (passFrom < 0) {
          passFrom = i;
        }
      } else {
        gatherEvent(bytes, i);
      }
      if (!lineEnd) {
        lineLength++;
        continue;
      }
      boolean blank = lineLength == 0;
      lineLength = 0;
      if (!blank) {
        continue;
      }
      if (overflow) {
        if (passFrom >= 0) {
          emit(bytes, passFrom, i + 1 - passFrom);
        }
        passFrom = -1;
        overflow = false;
      } else {
        byte[] event = Arrays.copyOf(held, heldLen);
        heldLen = 0;
        byte[] pass = reader.event(event);
        emit(pass, 0, pass.length);
      }
    }
    if (overflow && passFrom >= 0) {
      emit(bytes, passFrom, n - passFrom);
    }
  }

  private void gatherEvent(byte[] bytes, int i) {
    if (heldLen >= MAX_EVENT_BYTES) {
      emit(held, 0, heldLen); // too large to read: what came passes, the rest streams through
      heldLen = 0;
      overflow = true;
      emit(bytes, i, 1);
      return;
    }
    gather(bytes, i, 1);
  }

  private void gather(byte[] bytes, int off, int n) {
    if (!sse && heldLen + n > MAX_HELD_BYTES) {
      if (hold) {
        // Too large to hold for a rewrite: what came passes on, the rest streams through unread.
        emit(held, 0, heldLen);
        emit(bytes, off, n);
        heldLen = 0;
        overflow = true;
        return;
      }
      overflow = true;
      heldLen = 0;
      held = new byte[0];
      return;
    }
    if (overflow && hold) {
      emit(bytes, off, n);
      return;
    }
    if (heldLen + n > held.length) {
      held = Arrays.copyOf(held, Math.max(heldLen + n, held.length * 2));
    }
    System.arraycopy(bytes, off, held, heldLen, n);
    heldLen += n;
  }

  private void emit(byte[] bytes, int off, int n) {
    if (n == 0) {
      return;
    }
    if (outLen + n > out.length) {
      out = Arrays.copyOf(out, Math.max(outLen + n, Math.max(8192, out.length * 2)));
    }
    System.arraycopy(bytes, off, out, outLen, n);
    outLen += n;
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
      upstream.close();
    } finally {
      end(false, null);
    }
  }
}
