package dev.aigateway.core.wire;

import java.io.ByteArrayOutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Splits a server-sent-events byte stream into its events as the bytes arrive, for every reader of
 * such a stream in the library (the observed body, the answers of tool and agent calls, the answer
 * screen of content safety, the translation of a provider's stream).
 *
 * <p>Lines end as the SSE specification allows: with a line feed, a carriage return, or both; an
 * event ends at the empty line after it, and is handed to {@link #event} at once, as that line's
 * ending arrives. The line feed that may follow a carriage return (in this read or the next)
 * belongs to that line ending: when the carriage return ended an event, the line feed is handed on
 * after the event as a {@linkplain #separator separator}, so an event is the same bytes whatever
 * the reads. Data lines ({@code data:} with its value after one optional space, or a bare {@code
 * data}, an empty value) are noted as they pass, so an event's single data line is found in place
 * without a second scan. A UTF-8 byte-order mark that starts the stream is ignored, as the
 * specification has it: it is handed on as a {@linkplain #separator separator}, not as the start of
 * the first event's first line.
 *
 * <p>Only the event in flight is held, and that one only up to a bound: an event larger than that
 * (its lines and empty line) is handed on {@linkplain #oversized untouched} as its bytes come, and
 * is not read, whatever the reads it came in. An event the stream ends without its blank line is
 * still read, when the stream {@linkplain #end() ends}. Memory is bounded by the bound and the
 * largest read, whatever the stream holds.
 *
 * <p>A reader of such a stream extends this class with what it does with events and with the bytes
 * between them. The framer owns the buffer it reads: a reader either {@linkplain #append appends}
 * bytes read elsewhere (copying them), reads straight into {@link #buffer()} after {@link #compact}
 * and reports them with {@link #appended}, or, when the framer {@linkplain #holdsNothing holds
 * nothing}, has bytes it read into an array of its own framed where they are ({@link
 * #frameInPlace}). Offsets handed to the methods are valid until the next {@link #compact} or
 * {@link #append}. Not thread-safe: one stream, read by one thread at a time.
 */
public abstract class SseEventFramer {

  /** {@link #eventAt} has not read the event: it is framed as any other. */
  public static final int UNREAD = -1;

  /** {@link #eventAt}: too few bytes of the event are in to tell; asked again later. */
  public static final int WAIT = -2;

  /** The length of the field name {@code data}. */
  private static final int DATA_FIELD = 4;

  /** Values of {@link #carriageReturn}. */
  private static final byte NO_CR = 0;

  private static final byte CR_OF_LINE = 1;
  private static final byte CR_OF_EVENT = 2;

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  /** The four bytes {@code data} read as one little-endian int. */
  private static final int DATA_INT = 'd' | 'a' << 8 | 't' << 16 | 'a' << 24;

  private static final long ONES = 0x0101010101010101L;
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long NEWLINES = '\n' * ONES;
  private static final long RETURNS = '\r' * ONES;

  /**
   * An event's data: the value of its one data line, in place, or the values of its several data
   * lines joined by line feeds, in a copy.
   */
  public record Data(byte[] bytes, int from, int to) {

    /** Whether the data is exactly {@code value}. */
    public boolean is(byte[] value) {
      return StrictJson.is(bytes, from, to, value);
    }
  }

  private final int maxEventBytes;

  /** The buffer's first size, unless a reader sets its own. */
  private static final int INITIAL_CAPACITY = 2048;

  /**
   * Handled events, then {@code [eventStart, length)}: the event in flight, then room for what
   * comes next. Grows only for a larger event or read.
   */
  private byte[] buffer;

  private int length;
  private int eventStart;
  private int lineStart;

  /** The bytes before this hold no line ending after {@link #lineStart}. */
  private int scanned;

  /** Data lines of the event in flight so far, and where the first one's value lies. */
  private int dataLines;

  private int dataFrom;
  private int dataTo;

  /**
   * Whether the line before {@link #lineStart} ended in a carriage return that was the last byte
   * looked at, so that a line feed that comes next belongs to that line ending ({@link #NO_CR} when
   * not): {@link #CR_OF_LINE}, or {@link #CR_OF_EVENT} when that line was the empty line ending an
   * event handed to {@link #event}.
   */
  private byte carriageReturn;

  /** The UTF-8 byte-order mark, which is ignored at the stream's start. */
  private static final byte[] BYTE_ORDER_MARK = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  /** Whether the stream's first bytes were looked at for a {@link #BYTE_ORDER_MARK}. */
  private boolean started;

  /** Whether the event in flight was offered to {@link #eventAt} already. */
  private boolean offered;

  /**
   * Whether the event in flight was offered with the bytes in now, and answered {@link #WAIT}
   * ({@link #frameInPlaceOffered}): it is offered again only when more bytes came.
   */
  private boolean offerLater;

  /**
   * Whether the event in flight grew past the bound: its bytes are passed on as they come, not
   * kept, until its empty line; and whether its line in flight has bytes already passed on.
   */
  private boolean oversized;

  private boolean oversizedLineOpen;

  /**
   * The bound on an event read, unless a reader sets its own (4 MiB): far more than any chunk or
   * event of a real answer, and a bound on what one stream holds, whatever a backend sends.
   */
  public static final int MAX_EVENT_BYTES = 4 << 20;

  /** A framer reading events of up to {@link #MAX_EVENT_BYTES} bytes. */
  protected SseEventFramer() {
    this(MAX_EVENT_BYTES);
  }

  /** A framer reading events of up to {@code maxEventBytes} bytes. */
  protected SseEventFramer(int maxEventBytes) {
    this(maxEventBytes, INITIAL_CAPACITY);
  }

  /**
   * A framer reading events of up to {@code maxEventBytes} bytes, whose buffer starts at {@code
   * initialCapacity} bytes (it grows as larger events or reads need; 0 for a reader that frames
   * most bytes {@linkplain #frameInPlace in place}, so that the buffer is made only when needed).
   */
  protected SseEventFramer(int maxEventBytes, int initialCapacity) {
    if (maxEventBytes < 1) {
      throw new IllegalArgumentException("maxEventBytes must be positive: " + maxEventBytes);
    }
    if (initialCapacity < 0) {
      throw new IllegalArgumentException("initialCapacity must be >= 0: " + initialCapacity);
    }
    this.maxEventBytes = maxEventBytes;
    this.buffer = initialCapacity == 0 ? NO_BYTES : new byte[initialCapacity];
  }

  /** The buffer of a framer made without one, until it needs one. */
  private static final byte[] NO_BYTES = {};

  /**
   * A new buffer of at least {@code size} bytes, for the framer to grow into (its bytes are
   * overwritten before they are read). By default a new array; a framer that reuses buffers returns
   * one of its own.
   */
  protected byte[] newBuffer(int size) {
    return new byte[size];
  }

  /**
   * Takes the framer's buffer away, once its stream has ended and every byte it held was handed on:
   * the framer holds nothing and has no buffer after this (it makes one if it frames again).
   * Returns the buffer, or an empty array when it had none.
   */
  protected final byte[] takeBuffer() {
    byte[] taken = buffer;
    buffer = NO_BYTES;
    length = 0;
    eventStart = 0;
    lineStart = 0;
    scanned = 0;
    dataFrom = 0;
    dataTo = 0;
    return taken;
  }

  /**
   * An event is whole: {@code buffer[start, end)}, its lines and the empty line that ends it (a
   * last event the stream ended without one: its bytes to the end). It has {@code dataLines} data
   * lines; the first one's value is {@code buffer[dataFrom, dataTo)} (when there are several,
   * {@link #dataOf} joins them).
   */
  protected abstract void event(
      byte[] buffer, int start, int end, int dataLines, int dataFrom, int dataTo);

  /**
   * Bytes of an event larger than the bound, to pass on untouched: the event is not read. Its bytes
   * come in order, in as many calls as reads, until the empty line that ends it.
   */
  protected abstract void oversized(byte[] buffer, int from, int to);

  /**
   * Bytes between events, to pass on as they are: an empty line with no event before it, or the
   * line feed after a carriage return that ended a line of one ({@code ofEvent} true when that line
   * was the empty line ending the event last handed to {@link #event}: it belongs to that event's
   * ending).
   */
  protected abstract void separator(byte[] buffer, int from, int to, boolean ofEvent);

  /**
   * Offered the event starting at {@code buffer[start]} before it is framed, with the bytes in up
   * to {@code length}: a reader that can tell where such an event ends handles it here and returns
   * where the next one starts; else {@link #UNREAD} (the event is framed as any other, and not
   * offered again) or {@link #WAIT} (offered again when more bytes came). Nothing is changed when
   * it does not return an offset.
   */
  protected int eventAt(byte[] buffer, int start, int length) {
    return UNREAD;
  }

  /**
   * Tells the framer, from {@link #eventAt}, that the bytes of the event it was offered before
   * {@code index} hold no line ending (they are known to be those of a line without one), so that
   * the event's first line end is looked for from there.
   */
  protected final void noLineEndBefore(int index) {
    scanned = Math.max(scanned, Math.min(index, length));
  }

  /** The buffer the framer reads; bytes for it go at {@link #length()}, after {@link #compact}. */
  public byte[] buffer() {
    return buffer;
  }

  /** How many bytes of {@link #buffer()} are in (handled or held). */
  public int length() {
    return length;
  }

  /** The bytes the framer can hold now: bounded by the bound and the largest read (tests). */
  public int capacity() {
    return buffer.length;
  }

  /**
   * Moves the event in flight to the front of the buffer, forgetting the handled bytes before it,
   * and makes room for at least {@code room} more bytes. Offsets handed out before are void.
   */
  public void compact(int room) {
    if (eventStart > 0) {
      System.arraycopy(buffer, eventStart, buffer, 0, length - eventStart);
      length -= eventStart;
      lineStart -= eventStart;
      scanned -= eventStart;
      dataFrom -= eventStart;
      dataTo -= eventStart;
      eventStart = 0;
    }
    if (length + room > buffer.length) {
      byte[] grown = newBuffer(Math.max(length + room, buffer.length * 2));
      System.arraycopy(buffer, 0, grown, 0, length);
      buffer = grown;
    }
  }

  /**
   * Frames {@code n} bytes written into {@link #buffer()} at {@link #length()}, handing on every
   * event they complete.
   */
  public void appended(int n) {
    if (n < 0 || n > buffer.length - length) {
      throw new IndexOutOfBoundsException("appended " + n + " bytes with room for " + room());
    }
    length += n;
    frame();
  }

  /**
   * How many bytes the framer holds: the start of the event in flight, which the bytes framed so
   * far did not end (0 between events).
   */
  public int held() {
    return length - eventStart;
  }

  /** Copies the bytes the framer {@linkplain #held holds} to {@code bytes[at, at + held())}. */
  public void copyHeld(byte[] bytes, int at) {
    System.arraycopy(buffer, eventStart, bytes, at, length - eventStart);
  }

  /**
   * Frames bytes where the caller read them, in an array of its own: {@code bytes[from, to)}, which
   * start with the bytes the framer {@linkplain #held holds} ({@link #copyHeld copied} there) and
   * go on with the bytes that came next. The events they complete and the bytes between them are
   * handed on with offsets into {@code bytes}, valid until this returns. The bytes of the event
   * they leave in flight are then copied into the framer's buffer, to be framed with what comes
   * next; nothing else is copied. Events are the same as if the bytes after those held had been
   * {@linkplain #append appended}.
   */
  public void frameInPlace(byte[] bytes, int from, int to) {
    frameInPlace(bytes, from, to, -1);
  }

  /**
   * Whether the framer is between events: it holds nothing, no line feed is due to end a line
   * before, and no event is in flight. A reader may then handle events it finds at the start of
   * bytes of its own as {@link #eventAt} would, and hand the framer the rest ({@link
   * #frameInPlaceOffered}): the events are the same as if the framer had framed all the bytes.
   */
  public boolean atRest() {
    return length == eventStart && carriageReturn == NO_CR && !oversized && !offered;
  }

  /**
   * As {@link #frameInPlace(byte[], int, int)}, when the framer is {@linkplain #atRest at rest},
   * for bytes whose first event the reader has already offered itself as {@link #eventAt} would be
   * offered it, with the bytes in up to {@code to}: it returned {@code offeredAs} ({@link #UNREAD},
   * or {@link #WAIT}: offered again when more bytes came, not now), having found the bytes before
   * {@code noLineEndBefore} to hold no line ending (-1 when it found none). So the event is framed
   * as it would have been, without being offered twice.
   */
  public void frameInPlaceOffered(
      byte[] bytes, int from, int to, int offeredAs, int noLineEndBefore) {
    if (!atRest()) {
      throw new IllegalStateException("the framer holds an event");
    }
    if (offeredAs == WAIT) {
      offerLater = true;
    } else if (offeredAs == UNREAD) {
      offered = true;
    } else {
      throw new IllegalArgumentException("offered as " + offeredAs);
    }
    frameInPlace(bytes, from, to, noLineEndBefore);
  }

  private void frameInPlace(byte[] bytes, int from, int to, int noLineEndBefore) {
    int shift = from - eventStart;
    byte[] own = buffer;
    buffer = bytes;
    length = to;
    eventStart = from;
    lineStart += shift;
    scanned += shift;
    dataFrom += shift;
    dataTo += shift;
    if (noLineEndBefore >= 0) {
      noLineEndBefore(noLineEndBefore);
    }
    try {
      frame();
    } finally {
      int held = length - eventStart;
      if (held > own.length) {
        own = newBuffer(Math.max(held, own.length * 2)); // what it held is in bytes now
      }
      System.arraycopy(bytes, eventStart, own, 0, held);
      lineStart -= eventStart;
      scanned -= eventStart;
      dataFrom -= eventStart;
      dataTo -= eventStart;
      eventStart = 0;
      length = held;
      buffer = own;
    }
  }

  /** Copies {@code bytes[from, from + n)} in and frames them ({@link #compact} first). */
  public void append(byte[] bytes, int from, int n) {
    compact(n);
    System.arraycopy(bytes, from, buffer, length, n);
    length += n;
    frame();
  }

  private int room() {
    return buffer.length - length;
  }

  /**
   * The stream ended: the rest of an oversized event is passed on, and an event without its empty
   * line is handed on as it is.
   */
  public void end() {
    if (oversized) {
      oversized = false;
      if (length > eventStart) {
        oversized(buffer, eventStart, length); // the rest of an event too large to read
      }
    } else if (length > eventStart) {
      if (lineStart < length) {
        noteLine(lineStart, length);
      }
      int start = eventStart;
      eventStart = length;
      lineStart = length;
      event(buffer, start, length, dataLines, dataFrom, dataTo);
    }
    eventStart = length;
    lineStart = length;
    dataLines = 0;
  }

  /**
   * Hands on every event complete in the buffer. An event in flight that grew past the bound is
   * passed on from then on, as it comes, to its end.
   */
  private void frame() {
    if (!started && !skipByteOrderMark()) {
      return; // the bytes in may still be the start of a byte-order mark
    }
    while (true) {
      if (carriageReturn != NO_CR && lineStart < length) {
        boolean ofEvent = carriageReturn == CR_OF_EVENT;
        carriageReturn = NO_CR;
        if (buffer[lineStart] == '\n') {
          // It ends the line before with the carriage return: of the event in flight, or of what
          // that line ended (an event, or an empty line of its own), passed on after it.
          if (lineStart == eventStart) {
            if (oversized) {
              oversized(buffer, lineStart, lineStart + 1);
            } else {
              separator(buffer, lineStart, lineStart + 1, ofEvent);
            }
            eventStart++;
          }
          lineStart++;
          continue;
        }
      }
      if (lineStart == eventStart && eventStart < length && !offered && !oversized) {
        int next;
        if (offerLater) {
          offerLater = false; // offered already with these bytes: it waits for more
          next = WAIT;
        } else {
          next = eventAt(buffer, eventStart, length);
        }
        if (next >= 0) {
          eventStart = next;
          lineStart = next;
          continue;
        }
        offered = next != WAIT; // else offered again when more bytes came
      }
      int lineEnd = indexOfLineEnd(buffer, Math.max(scanned, lineStart), length);
      if (lineEnd < 0) {
        break;
      }
      int next = lineEnd + 1;
      carriageReturn = buffer[lineEnd] == '\r' ? CR_OF_LINE : NO_CR;
      if (!oversized && next - eventStart > maxEventBytes) {
        beginOversized(); // this line takes the event past the bound, whatever the reads were
      }
      if (oversized) {
        oversized(buffer, eventStart, next);
        eventStart = next;
        if (lineEnd == lineStart && !oversizedLineOpen) {
          oversized = false; // its empty line: the oversized event ends
          offered = false;
        }
        oversizedLineOpen = false;
      } else if (lineEnd > lineStart) {
        noteLine(lineStart, lineEnd);
      } else if (lineStart > eventStart) {
        int start = eventStart;
        eventStart = next;
        if (carriageReturn == CR_OF_LINE) {
          carriageReturn = CR_OF_EVENT; // a line feed next is passed on as of this event
        }
        offered = false;
        int lines = dataLines;
        dataLines = 0;
        event(buffer, start, next, lines, dataFrom, dataTo);
      } else {
        eventStart = next;
        offered = false;
        separator(buffer, lineStart, next, false); // an empty line between events
      }
      lineStart = next;
    }
    scanned = length;
    if (oversized || length - eventStart > maxEventBytes) {
      passOnOversized();
    }
  }

  /**
   * At the stream's start, passes a {@link #BYTE_ORDER_MARK} there on as a separator, so that the
   * line after it is read as the first line. False while the bytes in are too few to tell.
   */
  private boolean skipByteOrderMark() {
    int in = Math.min(length - eventStart, BYTE_ORDER_MARK.length);
    for (int k = 0; k < in; k++) {
      if (buffer[eventStart + k] != BYTE_ORDER_MARK[k]) {
        started = true;
        return true;
      }
    }
    if (in < BYTE_ORDER_MARK.length) {
      return false;
    }
    started = true;
    int from = eventStart;
    eventStart += BYTE_ORDER_MARK.length;
    lineStart = eventStart;
    separator(buffer, from, eventStart, false);
    return true;
  }

  /**
   * Passes on the bytes in of the event in flight, which is larger than the bound, and keeps none
   * of them: it is not read.
   */
  private void passOnOversized() {
    if (!oversized) {
      beginOversized();
    }
    if (length > eventStart) {
      oversizedLineOpen |= lineStart < length;
      int start = eventStart;
      eventStart = length;
      lineStart = length;
      oversized(buffer, start, length);
    }
  }

  /** The event in flight is larger than the bound: it is passed on from its start, unread. */
  private void beginOversized() {
    oversized = true;
    oversizedLineOpen = false;
    dataLines = 0;
  }

  /** Notes a data line of the event in flight, so that its one data line is found in place. */
  private void noteLine(int start, int end) {
    int valueStart = dataValueStart(buffer, start, end);
    if (valueStart >= 0 && dataLines++ == 0) {
      dataFrom = valueStart;
      dataTo = end;
    }
  }

  /** The data of the event in {@code event[start, end)}, or null when it has no data line. */
  public static @Nullable Data dataOf(byte[] event, int start, int end) {
    Data first = null;
    ByteArrayOutputStream joined = null;
    int lineStart = start;
    while (lineStart < end) {
      int lineEnd = indexOfLineEnd(event, lineStart, end);
      int contentEnd = lineEnd < 0 ? end : lineEnd;
      int valueStart = dataValueStart(event, lineStart, contentEnd);
      if (valueStart >= 0 && first == null) {
        first = new Data(event, valueStart, contentEnd);
      } else if (valueStart >= 0) {
        if (joined == null) {
          joined = new ByteArrayOutputStream();
          joined.write(event, first.from(), first.to() - first.from());
        }
        joined.write('\n');
        joined.write(event, valueStart, contentEnd - valueStart);
      }
      lineStart = lineEnd < 0 ? end : lineEnd + 1;
      if (lineEnd >= 0 && event[lineEnd] == '\r' && lineStart < end && event[lineStart] == '\n') {
        lineStart++;
      }
    }
    return joined == null ? first : new Data(joined.toByteArray(), 0, joined.size());
  }

  /**
   * Where the value of the line {@code bytes[start, end)} (its line ending excluded) starts if it
   * is a data line: after {@code data:} and one optional space, or at the end of a bare {@code
   * data}; -1 if it is not one.
   */
  public static int dataValueStart(byte[] bytes, int start, int end) {
    if (end - start < DATA_FIELD || (int) INTS.get(bytes, start) != DATA_INT) {
      return -1;
    }
    int colon = start + DATA_FIELD;
    if (colon == end) {
      return end; // "data" alone: a data line with an empty value
    }
    if (bytes[colon] != ':') {
      return -1;
    }
    return colon + 1 < end && bytes[colon + 1] == ' ' ? colon + 2 : colon + 1;
  }

  /**
   * The value of the first {@code field} line (such as {@code event}) of the event {@code
   * event[start, end)}, after its colon and one optional space; null when it has none.
   */
  public static @Nullable String fieldValue(byte[] event, int start, int end, byte[] field) {
    int lineStart = start;
    while (lineStart < end) {
      int lineEnd = indexOfLineEnd(event, lineStart, end);
      int contentEnd = lineEnd < 0 ? end : lineEnd;
      int colon = lineStart + field.length;
      if (StrictJson.startsWith(event, lineStart, contentEnd, field)
          && (colon == contentEnd || event[colon] == ':')) {
        int from = Math.min(colon + 1, contentEnd);
        if (from < contentEnd && event[from] == ' ') {
          from++;
        }
        return new String(event, from, contentEnd - from, StandardCharsets.UTF_8);
      }
      lineStart = lineEnd < 0 ? end : lineEnd + 1;
    }
    return null;
  }

  /**
   * The index of the first line ending byte ({@code \n} or {@code \r}) in {@code bytes[from, to)},
   * or -1; eight bytes a step.
   */
  public static int indexOfLineEnd(byte[] bytes, int from, int to) {
    int i = from;
    for (; i <= to - Long.BYTES; i += Long.BYTES) {
      long word = (long) LONGS.get(bytes, i);
      long feeds = word ^ NEWLINES;
      long returns = word ^ RETURNS;
      // A byte of feeds (returns) is zero where a line feed (carriage return) was; the lowest
      // flag of each marks its first one, so the lowest of both marks the first of either.
      long zeros = ((feeds - ONES) & ~feeds | (returns - ONES) & ~returns) & HIGH_BITS;
      if (zeros != 0) {
        return i + (Long.numberOfTrailingZeros(zeros) >>> 3);
      }
    }
    for (; i < to; i++) {
      if (bytes[i] == '\n' || bytes[i] == '\r') {
        return i;
      }
    }
    return -1;
  }
}
