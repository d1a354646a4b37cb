package dev.aigateway.core.wire;

import java.util.Arrays;

/**
 * Cuts an AWS event stream ({@code application/vnd.amazon.eventstream}) fed in pieces of any size
 * into its messages, as they arrive, for a reader that passes the stream on message by message
 * (content safety's answer screen): each whole, valid message is handed to {@link #message} with
 * its bytes as they came and its frame ({@link EventStreamDecoder} reads it: both CRCs checked),
 * and every byte that is not such a message (one above the decoder's bound, the rest of a stream
 * after a frame that failed its checks, the bytes of a message the stream ended inside) to {@link
 * #unread}, in stream order, so that nothing is lost. Only the message in flight is held.
 *
 * <p>Not thread-safe: one reader feeds it.
 */
public abstract class EventStreamFramer {

  private final EventStreamDecoder decoder;

  /** The bytes fed and not yet handed on: {@code pending[0, pendingLength)}. */
  private byte[] pending = new byte[256];

  private int pendingLength;

  /** Where in the stream {@code pending[0]} lies. */
  private long pendingBase;

  /** How many bytes at the start of {@link #pending} were handed on during the current feed. */
  private int handedOn;

  /** Whether the decoder stopped: the rest of the stream is handed on unread. */
  private boolean unreadFromNowOn;

  /** A framer reading messages of up to {@code maxMessageBytes}. */
  protected EventStreamFramer(int maxMessageBytes) {
    this.decoder = EventStreamDecoder.ofFrames(this::frame, maxMessageBytes);
  }

  /** A framer reading messages of up to {@link EventStreamDecoder#MAX_MESSAGE_BYTES}. */
  protected EventStreamFramer() {
    this(EventStreamDecoder.MAX_MESSAGE_BYTES);
  }

  /**
   * One whole, valid message: {@code bytes[from, to)} as it came, and its frame (valid only during
   * the call; neither may be kept).
   */
  protected abstract void message(byte[] bytes, int from, int to, EventStreamFrame frame);

  /** Bytes that are not a message read: {@code bytes[from, to)}, to be passed on as they came. */
  protected abstract void unread(byte[] bytes, int from, int to);

  /** Reads {@code bytes[from, from + n)}, handing on every message they complete. */
  public final void append(byte[] bytes, int from, int n) {
    if (unreadFromNowOn) {
      unread(bytes, from, from + n);
      return;
    }
    if (pendingLength + n > pending.length) {
      pending = Arrays.copyOf(pending, Math.max(pendingLength + n, pending.length * 2));
    }
    System.arraycopy(bytes, from, pending, pendingLength, n);
    pendingLength += n;
    handedOn = 0;
    decoder.feed(bytes, from, n);
    // what the decoder does not hold as the start of a message is no message it will hand on
    int keep = decoder.corrupt() ? 0 : decoder.heldBytes();
    int last = pendingLength - keep;
    if (last > handedOn) {
      unread(pending, handedOn, last);
    }
    System.arraycopy(pending, last, pending, 0, keep);
    pendingBase += last;
    pendingLength = keep;
    handedOn = 0;
    if (pending.length > 64 * 1024 && keep <= 256) {
      pending = Arrays.copyOf(pending, 256); // a large message passed: do not keep its room
    }
    if (decoder.corrupt()) {
      unreadFromNowOn = true;
    }
  }

  /** The stream ended: the bytes of a message it ended inside are handed on unread. */
  public final void end() {
    if (pendingLength > 0) {
      int length = pendingLength;
      pendingLength = 0;
      pendingBase += length;
      unread(pending, 0, length);
    }
  }

  /** Whether a frame failed its checks, so that the rest of the stream is handed on unread. */
  public final boolean corrupt() {
    return decoder.corrupt();
  }

  private void frame(EventStreamFrame frame) {
    int end = (int) (decoder.messageEnd() - pendingBase);
    int start = end - frame.messageLength();
    if (start > handedOn) {
      unread(pending, handedOn, start); // a message above the bound, skipped by the decoder
    }
    handedOn = end;
    message(pending, start, end, frame);
  }
}
