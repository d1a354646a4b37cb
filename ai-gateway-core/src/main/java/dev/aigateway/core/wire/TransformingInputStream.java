package dev.aigateway.core.wire;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * A stream whose bytes are made from another's as the application reads: each time the bytes made
 * so far are all read, one read of the upstream is handed to {@link #transform} (or its end to
 * {@link #upstreamEnded}), which {@linkplain #emit emits} what came of it. So nothing is read ahead
 * of the application, and what one upstream read makes reaches it at once.
 *
 * <p>Subclasses decide only what the bytes become; this class holds the plumbing: the upstream read
 * into a reused buffer, the bytes made and not yet read (in one buffer, reused once read), {@link
 * #read()} without an allocation, {@link #available()} and {@link #close()}. Not thread-safe: one
 * stream, read by one thread at a time, as an {@link InputStream} is.
 */
public abstract class TransformingInputStream extends InputStream {

  /** How much is asked of the upstream in one read. */
  private static final int READ_BYTES = 8192;

  private static final byte[] NONE = {};

  /** The stream the bytes are made from. */
  protected final InputStream upstream;

  private final byte[] raw = new byte[READ_BYTES];

  /** Bytes made and not yet read: {@code ready[readyAt, readyEnd)}. */
  private byte[] ready = NONE;

  private int readyAt;
  private int readyEnd;

  /**
   * Whether nothing more is made: the upstream ended, or the subclass {@linkplain #finish ended}.
   */
  private boolean finished;

  /** The failure to throw once the bytes made before it are read ({@link #fail}), or null. */
  private IOException failure;

  /** A stream made from {@code upstream}'s bytes. */
  protected TransformingInputStream(InputStream upstream) {
    this.upstream = Objects.requireNonNull(upstream, "upstream");
  }

  /**
   * Makes what {@code bytes[from, to)}, the next bytes of the upstream, come to, and {@linkplain
   * #emit emits} it (possibly nothing yet).
   */
  protected abstract void transform(byte[] bytes, int from, int to) throws IOException;

  /** The upstream ended: emits what is left to make. Called once, unless {@link #finish} came. */
  protected abstract void upstreamEnded() throws IOException;

  /**
   * Reading the upstream failed with {@code failure}, which the application's read then throws: a
   * subclass that reports how the stream ended hears of it here first. Does nothing by default.
   */
  protected void upstreamFailed(IOException failure) {}

  /** Hands {@code bytes[from, to)} to the application, after what was emitted before. */
  protected final void emit(byte[] bytes, int from, int to) {
    int n = to - from;
    if (n <= 0) {
      return;
    }
    if (readyEnd + n > ready.length) {
      ready = Arrays.copyOf(ready, Math.max(readyEnd + n, ready.length * 2));
    }
    System.arraycopy(bytes, from, ready, readyEnd, n);
    readyEnd += n;
  }

  /**
   * Nothing more is made: the application reads what was emitted, then the end, and the upstream is
   * not read again.
   */
  protected final void finish() {
    finished = true;
  }

  /**
   * Nothing more is made, and the stream failed: the application reads what was emitted, then gets
   * {@code failure} (once), then the end.
   */
  protected final void fail(IOException failure) {
    finished = true;
    this.failure = failure;
  }

  /** Whether nothing more is made. */
  protected final boolean finished() {
    return finished;
  }

  /** Makes bytes until some are ready; false when none will come. */
  private boolean fill() throws IOException {
    while (readyAt == readyEnd) {
      if (finished) {
        IOException failed = failure;
        if (failed != null) {
          failure = null;
          throw failed;
        }
        return false;
      }
      readyAt = 0;
      readyEnd = 0;
      int n;
      try {
        n = upstream.read(raw, 0, raw.length);
      } catch (IOException e) {
        upstreamFailed(e);
        throw e;
      }
      if (n < 0) {
        finished = true;
        upstreamEnded();
      } else {
        transform(raw, 0, n);
      }
    }
    return true;
  }

  @Override
  public int read() throws IOException {
    return fill() ? ready[readyAt++] & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, readyEnd - readyAt);
    System.arraycopy(ready, readyAt, b, off, n);
    readyAt += n;
    return n;
  }

  /** The bytes made and not yet read: a read of up to this many does not block. */
  @Override
  public int available() {
    return readyEnd - readyAt;
  }

  /** Closes the upstream. */
  @Override
  public void close() throws IOException {
    upstream.close();
  }
}
