package dev.aigateway.okhttp;

import dev.aigateway.core.wire.ObservedBody;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import okio.Buffer;
import okio.Source;
import okio.Timeout;

/**
 * A governed call's body as an okio {@link Source}, the source of every {@link GovernedBody}: an
 * observed body, or what wraps one (content safety's screen of a stream). Reads straight into the
 * sink's free segment room; an observed body reads with {@link ObservedBody#readScratch}, which may
 * use that room past the bytes it returns (a body hiding usage frames its events there), so each
 * byte of the response is copied once on its way to the application. Not thread-safe, as a {@code
 * Source} is read by one thread at a time.
 *
 * <p>Its {@link #timeout} is the backend body's own: a timeout or deadline the application sets on
 * it bounds each read of the backend's bytes, as it does on a plain OkHttp response body, and the
 * read it ends fails with an {@code InterruptedIOException} (the call then ends as at a read
 * timeout). The gateway's own bound on a stream held for its first event is lifted before the
 * application gets the body.
 *
 * <p>A source the application drops without closing it (a response neither read to its end nor
 * closed) closes its body when the garbage collector finds it ({@link Dropped}): the call ends as a
 * body closed there would, with one event, and its reservation is settled.
 */
final class ObservedSource implements Source {

  private final InputStream body;

  /** The backend body's timeout, which bounds the reads {@link #body} makes of it. */
  private final Timeout timeout;

  private final Buffer.UnsafeCursor cursor = new Buffer.UnsafeCursor();

  /** Closes {@link #body} once, at {@link #close} or when this source is collected unclosed. */
  private final Cleaner.Cleanable closer;

  /**
   * @param body the observed body, which reads the backend's body
   * @param timeout the timeout of the backend body's source, which the application may set
   */
  ObservedSource(InputStream body, Timeout timeout) {
    this.body = body;
    this.timeout = timeout;
    this.closer = Dropped.closeWhenCollected(this, body);
  }

  @Override
  public long read(Buffer sink, long byteCount) throws IOException {
    if (byteCount < 0) {
      throw new IllegalArgumentException("byteCount < 0: " + byteCount);
    }
    if (byteCount == 0) {
      return 0;
    }
    long size = sink.size();
    try (Buffer.UnsafeCursor room = sink.readAndWriteUnsafe(cursor)) {
      room.expandBuffer(1); // room.data[room.start, room.end): free, in one segment
      int n = 0;
      try {
        int max = (int) Math.min(byteCount, room.end - room.start);
        n =
            body instanceof ObservedBody observed
                ? observed.readScratch(room.data, room.start, max)
                : body.read(room.data, room.start, max);
        return n;
      } finally {
        room.resizeBuffer(size + Math.max(n, 0)); // the sink keeps only what was read
        Reference.reachabilityFence(this); // not closed as dropped while a read is under way
      }
    }
  }

  @Override
  public Timeout timeout() {
    return timeout;
  }

  @Override
  public void close() throws IOException {
    try {
      body.close();
    } finally {
      closer.clean(); // closed already: the cleaner lets go of the body
    }
  }
}
