package dev.aigateway.core.wire;

import dev.aigateway.api.CallOutcome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * A server-sent-events response. Events are read as they pass; the stream is never buffered beyond
 * the one event in flight, and that one only up to a bound ({@link #MAX_EVENT_BYTES}): an event
 * larger than that is passed on untouched as its bytes come, without being read, so what it says
 * about usage and text is not learnt (the call is then settled on an estimate unless another event
 * reports usage). Lines end as the SSE specification allows: with a line feed, a carriage return,
 * or both.
 *
 * <p>When the gateway itself asked the backend for usage ({@code stream_options.include_usage}),
 * the application must see the stream it would have seen without that option: this body then holds
 * each event until its terminating blank line, drops the usage-only chunk (empty {@code choices},
 * usage set) and removes the {@code "usage":null} member OpenAI adds to every other chunk.
 * Otherwise bytes go to the application straight from the upstream read and a copy is parsed.
 *
 * <p>Events are handled as bytes: the data line is found in place and parsed by {@link
 * ResponseReadout} without being decoded to a string; an event that changes is passed on as its
 * bytes around the cut, any other as the bytes it came as.
 *
 * <p>A chat chunk that certainly carries no usage (nearly all of them) is not parsed: {@link
 * ChatChunkScanner} checks its bytes, finds its model and any {@code "usage":null} member to cut,
 * and the chunk is kept, to be read for its text only if the text is needed when the stream ended
 * ({@link ResponseReadout#deferChunk}). Bytes passed on and usage reported are the same as if every
 * chunk had been parsed as it came; only the text is left incomplete when usage was reported and
 * the text is not kept ({@link #keepText()}).
 */
public final class SseBody extends ObservedBody {

  private static final byte[] DATA_FIELD = {'d', 'a', 't', 'a', ':'};
  private static final byte[] DONE = {'[', 'D', 'O', 'N', 'E', ']'};

  /** {@link #chunkLikeKept} when too few bytes of the event are in to tell. */
  private static final int WAIT = -2;

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long NEWLINES = '\n' * ONES;
  private static final long RETURNS = '\r' * ONES;

  /**
   * The largest event read (4 MiB): far more than any chunk or Responses API event of a real
   * answer, and a bound on what one stream holds, whatever a backend sends.
   */
  public static final int MAX_EVENT_BYTES = 4 << 20;

  /** Reads each event's data; null for OpenAI chat and completions chunks, read here on bytes. */
  private final EventReader eventReader;

  private final boolean hideUsage;
  private final int maxEventBytes;
  private final UsageMember usageMember = new UsageMember();
  private final ChatChunkScanner chunkScanner = new ChatChunkScanner();

  /**
   * Events handled, then {@code [eventStart, length)}: the event in flight, then room for what
   * upstream sends next (hide mode reads straight into it). Grows only for a larger event.
   */
  private byte[] buffer = new byte[2048];

  /**
   * Hide mode: the pieces of the handled events' bytes still for the application, in order, each as
   * its start and end in {@link #buffer} (the events' bytes minus what is hidden); the piece being
   * read, where in it, and how many bytes are left in all. The buffer is compacted only once they
   * were all read.
   */
  private int[] pieces = new int[32];

  private int pieceCount;
  private int piece;
  private int piecePosition;
  private int pending;
  private int eventStart;
  private int lineStart;
  private int scanned;
  private int length;

  /** Data lines of the event in flight so far, and where the first one's value lies. */
  private int dataLines;

  private int dataFrom;
  private int dataTo;
  private boolean upstreamEnded;

  /** Whether the event in flight was tried as a chunk like the one kept. */
  private boolean triedLikeKept;

  /**
   * Whether the line before {@link #lineStart} ended in a carriage return that was the last byte
   * in: a line feed that comes next belongs to that line ending.
   */
  private boolean lineFeedMayFollow;

  /** Whether the last event handled was hidden from the application (the usage-only chunk). */
  private boolean lastEventHidden;

  /**
   * Whether the event in flight grew past the bound: its bytes are passed on as they come, not
   * kept, until its blank line; and whether its line in flight has bytes already passed on.
   */
  private boolean oversized;

  private boolean oversizedLineOpen;

  /**
   * Reads one event's data, as a stream of a {@link WireFormat} other than OpenAI's chat and
   * completions chunks has them: learns what it says into the readout ({@link
   * ResponseReadout#learnUsage}, {@link ResponseReadout#appendText}, {@link
   * ResponseReadout#markComplete}). Called on the reading thread, once per event, in order.
   */
  @FunctionalInterface
  public interface EventReader {

    /** Reads the event data {@code data[from, to)} (several data lines joined by newlines). */
    void read(ResponseReadout readout, byte[] data, int from, int to);
  }

  /**
   * A stream of OpenAI chat or completions chunks ({@code responsesApi} false: hides usage when
   * {@code hideUsage}), or of Responses API events ({@code responsesApi} true).
   */
  public SseBody(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      boolean responsesApi,
      boolean hideUsage) {
    this(upstream, listener, callCanceled, responsesApi, hideUsage, MAX_EVENT_BYTES);
  }

  /**
   * A stream whose events {@code eventReader} reads, passed on to the application unchanged; a
   * {@code [DONE]} data line marks it complete, as does the reader.
   */
  public SseBody(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      EventReader eventReader) {
    super(upstream, new ReadingKeptChunks(listener), callCanceled);
    this.eventReader = java.util.Objects.requireNonNull(eventReader, "eventReader");
    this.hideUsage = false;
    this.maxEventBytes = MAX_EVENT_BYTES;
  }

  /** As the public constructor, with another bound on the event in flight (for tests). */
  SseBody(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      boolean responsesApi,
      boolean hideUsage,
      int maxEventBytes) {
    super(upstream, new ReadingKeptChunks(listener), callCanceled);
    this.eventReader = responsesApi ? ResponseReadout::readResponsesEvent : null;
    this.hideUsage = hideUsage;
    this.maxEventBytes = maxEventBytes;
  }

  /**
   * Whether a response body is read as server-sent events: its {@code Content-Type} says so, or,
   * without one, the request asked for a stream.
   */
  public static boolean isEventStream(String contentType, boolean streamRequested) {
    return contentType != null
        ? contentType.regionMatches(true, 0, "text/event-stream", 0, 17)
        : streamRequested;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!hideUsage) {
      int n = readUpstream(b, off, len);
      if (n < 0) {
        streamEnded();
      } else {
        compact(n);
        System.arraycopy(b, off, buffer, length, n);
        length += n;
        processEvents();
      }
      return n;
    }
    while (pending == 0) {
      if (upstreamEnded) {
        return -1;
      }
      compact(1);
      int n = readUpstream(buffer, length, buffer.length - length);
      if (n < 0) {
        upstreamEnded = true;
        streamEnded();
      } else {
        length += n;
        processEvents();
      }
    }
    int wanted = Math.min(len, pending);
    for (int copied = 0; copied < wanted; ) {
      int from = Math.max(pieces[2 * piece], piecePosition);
      int n = Math.min(wanted - copied, pieces[2 * piece + 1] - from);
      System.arraycopy(buffer, from, b, off + copied, n);
      copied += n;
      piecePosition = from + n;
      if (piecePosition == pieces[2 * piece + 1]) {
        piece++;
      }
    }
    pending -= wanted;
    return wanted;
  }

  /**
   * Once the application has read every byte for it: moves the event in flight to the front and
   * makes room for at least {@code room} more bytes.
   */
  private void compact(int room) {
    pieceCount = 0;
    piece = 0;
    piecePosition = 0;
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
      buffer = Arrays.copyOf(buffer, Math.max(length + room, buffer.length * 2));
    }
  }

  private void streamEnded() {
    if (ended()) {
      return;
    }
    if (oversized) {
      emit(eventStart, length); // the rest of an event too large to read
      eventStart = length;
    } else if (length > eventStart) {
      // A last event without its blank line: still read it, and pass it on as it came.
      handleEvent(eventStart, length, dataOf(buffer, eventStart, length));
      eventStart = length;
    }
    end(readout.complete() ? CallOutcome.SUCCESS : CallOutcome.TRUNCATED, null);
  }

  /**
   * Handles every complete event in the buffer; an event ends at an empty line. An event in flight
   * that grew past the bound is passed on from then on, as it comes, to its end.
   */
  private void processEvents() {
    while (true) {
      if (lineFeedMayFollow && lineStart < length) {
        lineFeedMayFollow = false;
        if (buffer[lineStart] == '\n') {
          // It ends the line before with the carriage return: with the event in flight, or with
          // the event (or stray blank line) that line ended, passed on or hidden like it.
          if (lineStart == eventStart) {
            if (oversized || !lastEventHidden) {
              emit(lineStart, lineStart + 1);
            }
            eventStart++;
          }
          lineStart++;
          continue;
        }
      }
      if (lineStart == eventStart && !triedLikeKept && !oversized) {
        int next = chunkLikeKept();
        if (next >= 0) {
          eventStart = next;
          lineStart = next;
          continue;
        }
        triedLikeKept = next != WAIT; // else tried again when more bytes came, if still in time
      }
      int lineEnd = indexOfLineEnd(buffer, Math.max(scanned, lineStart), length);
      if (lineEnd < 0) {
        break;
      }
      int next = lineEnd + 1;
      if (buffer[lineEnd] == '\r') {
        if (next == length) {
          lineFeedMayFollow = true;
        } else if (buffer[next] == '\n') {
          next++;
        }
      }
      if (oversized) {
        emit(eventStart, next);
        eventStart = next;
        if (lineEnd == lineStart && !oversizedLineOpen) {
          oversized = false; // its blank line: the oversized event ends
          lastEventHidden = false;
          triedLikeKept = false;
        }
        oversizedLineOpen = false;
      } else if (lineEnd > lineStart) {
        noteLine(lineStart, lineEnd);
      } else if (lineStart > eventStart) {
        handleEvent(
            eventStart,
            next,
            switch (dataLines) {
              case 0 -> null;
              case 1 -> new Data(buffer, dataFrom, dataTo);
              default -> dataOf(buffer, eventStart, next); // rare: joined in a copy
            });
        eventStart = next;
        dataLines = 0;
        triedLikeKept = false;
      } else {
        emit(lineStart, next); // stray blank line between events
        lastEventHidden = false;
        eventStart = next;
        triedLikeKept = false;
      }
      lineStart = next;
    }
    scanned = length;
    if (oversized || length - eventStart > maxEventBytes) {
      passOnOversized();
    }
  }

  /**
   * Passes on the bytes in of the event in flight, which is larger than the bound, and keeps none
   * of them: it is not read, and it is never hidden.
   */
  private void passOnOversized() {
    if (!oversized) {
      oversized = true;
      lastEventHidden = false;
      dataLines = 0;
    }
    if (length > eventStart) {
      oversizedLineOpen |= lineStart < length;
      emit(eventStart, length);
      eventStart = length;
      lineStart = length;
    }
  }

  /**
   * Handles the event in flight at once when it is one data line holding a chat chunk like the one
   * {@link ChatChunkScanner} kept (as nearly all chunks of an answer are), and it is all in the
   * buffer: the chunk is found by comparing it with the one kept, which finds where its line ends
   * too, so the line need not be scanned for its end. Returns where the next event starts; {@link
   * #WAIT} when fewer bytes than such an event needs are in; or -1 when the event is to be handled
   * as any other. Either way, nothing was changed.
   */
  private int chunkLikeKept() {
    if (eventReader != null || !readout.defersChunks()) {
      return -1;
    }
    int available = length - eventStart;
    if (available < DATA_FIELD.length + chunkScanner.keptLength() + 2
        && (available < DATA_FIELD.length + 2 || buffer[length - 1] != '\n')) {
      // Fewer bytes than the kept chunk has, and the read did not end at a line end: more are
      // coming. A read that did end there (a backend flushing each event) may hold a whole chunk
      // with shorter text than the kept one, so it is tried now.
      return WAIT;
    }
    int valueStart = dataValueStart(buffer, eventStart, length);
    int usageValue =
        valueStart < 0
            ? ChatChunkScanner.OTHER
            : chunkScanner.readLikeKept(buffer, valueStart, length);
    if (usageValue == ChatChunkScanner.OTHER) {
      return -1;
    }
    // The event must end here: its one line (not ending in a carriage return), a blank one.
    int dataEnd = chunkScanner.end();
    int lineEnd = dataEnd < length && buffer[dataEnd] == '\r' ? dataEnd + 1 : dataEnd;
    int blankEnd = lineEnd + 1 < length && buffer[lineEnd + 1] == '\r' ? lineEnd + 2 : lineEnd + 1;
    if (blankEnd >= length) {
      chunkScanner.forgetLikeKept();
      return WAIT; // its last bytes are still to come: tried again when they came
    }
    if (buffer[lineEnd] != '\n'
        || (lineEnd == dataEnd && buffer[dataEnd - 1] == '\r')
        || buffer[blankEnd] != '\n') {
      chunkScanner.forgetLikeKept();
      return -1;
    }
    handleChunk(eventStart, blankEnd + 1, new Data(buffer, valueStart, dataEnd), usageValue);
    return blankEnd + 1;
  }

  /** Notes a data line of the event in flight, so that the usual one is not looked for again. */
  private void noteLine(int start, int end) {
    int valueStart = dataValueStart(buffer, start, end);
    if (valueStart >= 0 && dataLines++ == 0) {
      dataFrom = valueStart;
      dataTo = end;
    }
  }

  private void handleEvent(int start, int end, Data data) {
    lastEventHidden = false;
    if (data == null) {
      emit(start, end);
      return;
    }
    if (data.is(DONE)) {
      readout.markComplete();
      emit(start, end);
      return;
    }
    if (eventReader != null) {
      eventReader.read(readout, data.bytes(), data.from(), data.to());
      emit(start, end);
      return;
    }
    handleChunk(
        start,
        end,
        data,
        readout.defersChunks()
            ? chunkScanner.read(data.bytes(), data.from(), data.to())
            : ChatChunkScanner.OTHER);
  }

  /**
   * Handles the event {@code buffer[start, end)}, a chat chunk {@code data} that {@link
   * ChatChunkScanner} read as {@code usageValue}.
   */
  private void handleChunk(int start, int end, Data data, int usageValue) {
    lastEventHidden = false;
    if (!readChunk(data, usageValue) || !hideUsage) {
      emit(start, end);
    } else if (usageMember.usageOnly()) {
      lastEventHidden = true; // the usage-only chunk the application did not ask for
    } else if (usageMember.cutsNull() && data.bytes() == buffer) {
      emit(start, usageMember.cutFrom());
      emit(usageMember.cutTo(), end);
    } else {
      emit(start, end); // as before, data split over several lines (OpenAI never splits it)
    }
  }

  /**
   * Reads a chat chunk, noting its usage member: now, or, when it certainly carries no usage, only
   * if its text is needed at the end; the chunk that only reports usage is read on its bytes when
   * it can be. {@code usageValue} is what {@link ChatChunkScanner} read, or {@link
   * ChatChunkScanner#OTHER} when chunks are not deferred. Returns false when it is not a JSON
   * object.
   */
  private boolean readChunk(Data data, int usageValue) {
    byte[] bytes = data.bytes();
    if (usageValue == ChatChunkScanner.USAGE_ONLY) {
      readout.learnUsage(chunkScanner.model(), chunkScanner.usage());
      usageMember.noteUsageOnly();
      return true;
    }
    if (usageValue != ChatChunkScanner.OTHER
        && readout.deferChunk(
            bytes,
            data.from(),
            data.to(),
            chunkScanner.model(),
            chunkScanner.sharedStart(),
            chunkScanner.sharedEnd())) {
      usageMember.noteNull(bytes, data.from(), data.to(), usageValue);
      return true;
    }
    return readout.readChunk(bytes, data.from(), data.to(), usageMember);
  }

  /** Reads the chunks kept, if their text is needed, before the listener hears of the end. */
  private record ReadingKeptChunks(BodyListener listener) implements BodyListener {

    @Override
    public void firstBytes() {
      listener.firstBytes();
    }

    @Override
    public void bodyEnded(CallOutcome outcome, ResponseReadout readout, Throwable failure) {
      readout.streamEnded();
      listener.bodyEnded(outcome, readout, failure);
    }
  }

  /**
   * An event's data: the value of its one {@code data:} line, in place, or the values of its
   * several data lines joined by newlines, in a copy.
   */
  record Data(byte[] bytes, int from, int to) {

    boolean is(byte[] value) {
      return StrictJson.is(bytes, from, to, value);
    }
  }

  /** The data of the event in {@code event[start, end)}, or null when it has none. */
  static Data dataOf(byte[] event, int start, int end) {
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
   * is a {@code data:} line (after the colon and one optional space); -1 if it is not.
   */
  private static int dataValueStart(byte[] bytes, int start, int end) {
    if (!StrictJson.startsWith(bytes, start, end, DATA_FIELD)) {
      return -1;
    }
    int fieldEnd = start + DATA_FIELD.length;
    return fieldEnd < end && bytes[fieldEnd] == ' ' ? fieldEnd + 1 : fieldEnd;
  }

  /**
   * The index of the first line ending byte ({@code \n} or {@code \r}) in {@code bytes[from, to)},
   * or -1; eight bytes a step.
   */
  static int indexOfLineEnd(byte[] bytes, int from, int to) {
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

  /** Passes {@code buffer[from, to)} on to the application, after what it was passed before. */
  private void emit(int from, int to) {
    if (!hideUsage || from == to) {
      return; // the application already received these bytes straight from upstream
    }
    pending += to - from;
    if (pieceCount > 0 && pieces[2 * pieceCount - 1] == from) {
      pieces[2 * pieceCount - 1] = to; // goes on where the last piece ends, as most do
      return;
    }
    if (2 * pieceCount == pieces.length) {
      pieces = Arrays.copyOf(pieces, pieces.length * 2);
    }
    pieces[2 * pieceCount] = from;
    pieces[2 * pieceCount + 1] = to;
    pieceCount++;
  }

  @Override
  public int available() {
    return hideUsage ? pending : 0;
  }

  /** The bytes the body can hold now: what it holds of the stream is bounded by this (tests). */
  int capacity() {
    return buffer.length;
  }
}
