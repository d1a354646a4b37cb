package dev.aigateway.core.wire;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.core.wire.SseEventFramer.Data;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

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
 * Otherwise bytes go to the application straight from the upstream read.
 *
 * <p>Either way upstream is read into the application's buffer and the events are framed there
 * ({@link SseEventFramer#frameInPlace}), so each byte is copied once on its way, as without the
 * gateway: only the start of an event that a read did not end is copied aside (when hiding, it is
 * put back in front of the next read, and not passed on before its event is whole). When hiding,
 * reading in place writes bytes of the buffer past those returned (what was hidden, or an event not
 * whole yet), so it is done only for {@link #readScratch} (the OkHttp adapter's okio source reading
 * into a segment's free tail); {@link #read(byte[], int, int)} keeps {@link java.io.InputStream}'s
 * contract and is served from the body's own buffer, as is a read with too little room.
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

  private static final byte[] DONE = {'[', 'D', 'O', 'N', 'E', ']'};

  private static final int[] NO_PIECES = {};

  /** The length of {@code data:}, the start of a chunk's one data line. */
  private static final int DATA_PREFIX = 5;

  /**
   * The largest event read (4 MiB): far more than any chunk or Responses API event of a real
   * answer, and a bound on what one stream holds, whatever a backend sends.
   */
  public static final int MAX_EVENT_BYTES = SseEventFramer.MAX_EVENT_BYTES;

  /**
   * The framer's first buffer size when it reads from upstream itself (hide mode, an application
   * reading into a buffer too small to read in place): room for a chat chunk and its usage-only
   * chunk, as most streams are read (one event per read). A read that fills all the room it had
   * grows it, up to {@link #READ_CAPACITY}; so does an event that does not fit. Made only then:
   * events read in place need it only for the start of an event a read did not end.
   */
  private static final int INITIAL_CAPACITY = 512;

  /**
   * The most bytes of an event in flight that are put back in front of a read in place (hide mode):
   * the start of a chat chunk that a read did not end. A larger event goes on being read into the
   * framer's buffer, so that its bytes are not copied back and forth at every read.
   */
  private static final int MAX_HELD_IN_PLACE = INITIAL_CAPACITY;

  /** The buffer size up to which reads that fill their room grow it (hide mode). */
  private static final int READ_CAPACITY = 2048;

  /**
   * The least room a read from upstream is given (hide mode): read in place when the application's
   * buffer has that much room past the bytes the framer holds; else into the framer's buffer, which
   * grows for it.
   */
  private static final int MIN_READ_ROOM = 128;

  /** Reads each event's data; null for OpenAI chat and completions chunks, read here on bytes. */
  private final EventReader eventReader;

  /** The event reader when it can read events before they are framed, else null. */
  private final @Nullable OneLineReader oneLineReader;

  /** Framer buffers of streams that ended, for the next streams' framers. */
  private static final SparePool<byte[]> SPARE_BUFFERS = new SparePool<>();

  /** The largest framer buffer kept for another stream. */
  static final int MOST_SPARE_BUFFER = 16 << 10;

  private final boolean hideUsage;
  private final UsageMember usageMember = new UsageMember();
  private final ChatChunkScanner chunkScanner = new ChatChunkScanner();

  /**
   * Frames the events, where they were read (the application's buffer), or in its own buffer: the
   * start of an event a read did not end, and, when the application's buffer is too small to read
   * in place while hiding, the events handled, then the event in flight, then room for what
   * upstream sends next (read straight into it).
   */
  private final Framer framer;

  /**
   * Set (with release) by the thread that read the upstream's end, once it framed the last bytes:
   * from then on no read frames anything, so the stream's scratch state can be given back.
   */
  @SuppressWarnings("unused") // through READ_TO_END
  private boolean readToEnd;

  private static final VarHandle READ_TO_END;

  static {
    try {
      READ_TO_END = MethodHandles.lookup().findVarHandle(SseBody.class, "readToEnd", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * Hide mode, reading into the framer's own buffer: the pieces of the handled events' bytes still
   * for the application, in order, each as its start and end in that buffer (the events' bytes
   * minus what is hidden); the piece being read, where in it, and how many bytes are left in all.
   * The buffer is compacted only once they were all read. Empty until a piece is noted (never when
   * nothing is hidden: the application reads upstream's bytes; nor when every read is in place).
   */
  private int[] pieces;

  private int pieceCount;

  /**
   * Hide mode, while bytes read in place are framed ({@link #readInPlace}): the application's
   * buffer, null otherwise; and where in it the bytes passed on so far end (they are moved to its
   * front as they are passed on, instead of being noted as pieces).
   */
  private byte[] inPlace;

  private int packedTo;
  private int piece;
  private int piecePosition;
  private int pending;
  private boolean upstreamEnded;

  /** Hide mode: the buffer size wanted for the next read from upstream. */
  private int readCapacity = INITIAL_CAPACITY;

  /**
   * The cut of the {@code "usage":null} member of the chunk the scanner kept, from its usage value
   * ({@link #noteNull}); {@link #cutOfKept} tells which kept chunk it is of, 0 for none.
   */
  private int cutOfKept;

  private int cutFromValue;
  private int cutToValue;

  /** Whether the last event handled was hidden from the application (the usage-only chunk). */
  private boolean lastEventHidden;

  /**
   * Whether a chat stream's end marker ({@code [DONE]}) was read: the stream is over, as the SDKs
   * that stop reading there see it, so the events a backend sends after it are passed on as they
   * came but not read (their usage, text or error would count for an answer the application never
   * took).
   */
  private boolean doneRead;

  /**
   * Where the bytes of the event {@link #chunkLikeKept} last left unread are known to hold no line
   * ending up to (the framer need not scan them for one), until the framer is told; else -1.
   */
  private int lineFreeBefore = -1;

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
   * An {@link EventReader} that can read an event of one data line before the framer looked for the
   * line's end: reading the value (as comparing it with one it kept does) finds where it ends, so
   * the line is not scanned for its end. The body offers it each event in flight ({@link
   * SseEventFramer#eventAt}); when it finds the value's end, the body checks that the line ends
   * there and a blank line follows (each ending a line feed, or a carriage return and a line feed),
   * and only then has it learn the value ({@link #readFound}). An event it does not find, or one
   * framed otherwise (a lone carriage return, other lines, bytes still to come), is framed and read
   * as any other ({@link EventReader#read}), so what is learnt is the same either way.
   */
  interface OneLineReader extends EventReader {

    /**
     * The length of the value of an event the reader would read now before framing (so that the
     * start of one is waited on until that many bytes or a line end came), or -1 when it would read
     * none.
     */
    int expectedLength();

    /**
     * Whether the value starting at {@code data[from]}, with the bytes in up to {@code to}, is one
     * the reader reads before framing, holding no line ending: returns the index after it, or -1
     * (too few bytes in to tell, or a value it does not read so). Learns nothing.
     */
    int valueEnd(byte[] data, int from, int to);

    /**
     * Learns the value {@link #valueEnd} just found, {@code data[from, to)}: the whole data of an
     * event, proven whole and plainly framed, as {@link #read} would learn it.
     */
    void readFound(ResponseReadout readout, byte[] data, int from, int to);
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
    super(upstream, listener, callCanceled);
    this.eventReader = java.util.Objects.requireNonNull(eventReader, "eventReader");
    this.oneLineReader = eventReader instanceof OneLineReader reader ? reader : null;
    this.hideUsage = false;
    this.pieces = NO_PIECES;
    this.framer = new Framer(MAX_EVENT_BYTES);
  }

  /** As the public constructor, with another bound on the event in flight (for tests). */
  SseBody(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      boolean responsesApi,
      boolean hideUsage,
      int maxEventBytes) {
    super(upstream, listener, callCanceled);
    this.eventReader = responsesApi ? ResponseReadout::readResponsesEvent : null;
    this.oneLineReader = null;
    this.hideUsage = hideUsage;
    this.pieces = NO_PIECES;
    this.framer = new Framer(maxEventBytes);
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

  /**
   * Keeps {@link java.io.InputStream}'s contract: no byte of {@code b} past those returned is
   * written.
   */
  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    return read(b, off, len, false);
  }

  /**
   * Hide mode reads upstream into {@code b} and frames the bytes there ({@link #readInPlace}), so
   * bytes of {@code b} past those returned may have been written.
   */
  @Override
  public int readScratch(byte[] b, int off, int len) throws IOException {
    return read(b, off, len, true);
  }

  private int read(byte[] b, int off, int len, boolean scratch) throws IOException {
    if (len == 0) {
      return 0;
    }
    try {
      return readEvents(b, off, len, scratch);
    } finally {
      readDone();
    }
  }

  private int readEvents(byte[] b, int off, int len, boolean scratch) throws IOException {
    if (!hideUsage) {
      int n = readUpstream(b, off, len);
      if (n < 0) {
        streamEnded();
        giveBackBuffer(); // the stream's bytes are all in the application's buffers
      } else if (framer.held() == 0) {
        framer.frameInPlace(b, off, off + n); // copies only the start of an event not ended
      } else {
        framer.append(b, off, n);
      }
      return n;
    }
    while (pending == 0) {
      if (upstreamEnded) {
        giveBackBuffer(); // every byte of the stream was handed on
        return -1;
      }
      pieceCount = 0;
      piece = 0;
      piecePosition = 0;
      int held = framer.held();
      if (scratch && held <= MAX_HELD_IN_PLACE && len - held >= MIN_READ_ROOM) {
        // As much as a read into the body's own buffer would take: a body closed early has read
        // ahead of the application no further than it did (an end marker read is a success).
        int room = Math.min(len - held, Math.max(MIN_READ_ROOM, readCapacity - held));
        int n = readInPlace(b, off, held, room);
        if (n > 0) {
          return n;
        }
        continue;
      }
      framer.compact(Math.max(MIN_READ_ROOM, readCapacity - framer.length()));
      byte[] buffer = framer.buffer();
      int room = buffer.length - framer.length();
      int n = readUpstream(buffer, framer.length(), room);
      if (n < 0) {
        upstreamEnded = true;
        streamEnded();
      } else {
        if (n == room && buffer.length < READ_CAPACITY) {
          readCapacity = Math.min(READ_CAPACITY, 2 * buffer.length); // upstream has more at once
        }
        framer.appended(n);
      }
    }
    byte[] buffer = framer.buffer();
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
   * Hide mode, reading into the application's buffer from {@code b[off]}, which has room for the
   * {@code held} bytes the framer holds (the start of the event in flight) and {@code room} more:
   * copies the held bytes there, reads up to {@code room} bytes from upstream after them, frames
   * the bytes where they are, and moves what is for the application (the events read, minus what is
   * hidden) to the front; the start of an event that the read did not end goes back to the framer
   * and is not the application's yet. Returns how many bytes are for the application, or 0 (none: a
   * hidden chunk, a part of an event, or the end of the stream, when what the framer held is
   * {@linkplain #pending pending} in its buffer). So each byte is copied from upstream to the
   * application once, as without the gateway, save the bytes after a cut (moved) and those of an
   * event split between reads; bytes of {@code b} after those returned may have been written.
   */
  private int readInPlace(byte[] b, int off, int held, int room) throws IOException {
    if (held > 0) {
      framer.copyHeld(b, off);
    }
    int n = readUpstream(b, off + held, room);
    if (n < 0) {
      upstreamEnded = true;
      streamEnded(); // what the framer held is passed on from its own buffer
      return 0;
    }
    if (n == room && readCapacity < READ_CAPACITY) {
      readCapacity = Math.min(READ_CAPACITY, 2 * readCapacity); // upstream has more at once
    }
    inPlace = b;
    packedTo = off;
    try {
      int end = off + held + n;
      if (held == 0 && framer.atRest()) {
        chunksInPlace(b, off, end);
      } else {
        framer.frameInPlace(b, off, end);
      }
    } finally {
      inPlace = null;
    }
    return packedTo - off;
  }

  /**
   * Frames {@code b[from, to)}, bytes read in place while the framer was {@linkplain
   * SseEventFramer#atRest at rest}: each chat chunk at their start that {@link #chunkLikeKept}
   * reads (as nearly all of an answer's are, one per read) is handled here, without the framer, as
   * the framer would have had it handled; the framer is handed the rest, from the first event that
   * this did not read, told what its offer gave.
   */
  private void chunksInPlace(byte[] b, int from, int to) {
    int at = from;
    while (at < to) {
      int next = chunkLikeKept(b, at, to);
      if (next < 0) {
        int free = lineFreeBefore;
        lineFreeBefore = -1;
        framer.frameInPlaceOffered(b, at, to, next, free);
        return;
      }
      at = next;
    }
  }

  /**
   * Gives the framer's buffer back for another stream, cleared, once the stream ended and the
   * application was handed every byte: called by the thread reading the stream, so no read of it is
   * under way. A buffer grown past {@link #MOST_SPARE_BUFFER} is left to the garbage collector.
   */
  private void giveBackBuffer() {
    byte[] buffer = framer.takeBuffer();
    if (buffer.length == 0 || buffer.length > MOST_SPARE_BUFFER) {
      return;
    }
    Arrays.fill(buffer, (byte) 0);
    SPARE_BUFFERS.giveBack(buffer);
  }

  private void streamEnded() {
    if (ended()) {
      return;
    }
    framer.end(); // a last event without its blank line is still read, and passed on as it came
    READ_TO_END.setRelease(this, true); // nothing of the stream is framed after this
    end(readout.complete() ? CallOutcome.SUCCESS : CallOutcome.TRUNCATED, null);
  }

  /** Frames the events: reads them, and passes on the bytes between them as they are. */
  private final class Framer extends SseEventFramer {

    /** Whether the framer looked for a spare buffer already (once a stream). */
    private boolean lookedForSpare;

    Framer(int maxEventBytes) {
      super(maxEventBytes, 0);
    }

    /** The first buffer a stream needs is a spare one, when one is there and large enough. */
    @Override
    protected byte[] newBuffer(int size) {
      if (!lookedForSpare) {
        lookedForSpare = true;
        byte[] spare = SPARE_BUFFERS.take();
        if (spare != null) {
          if (spare.length >= size) {
            return spare;
          }
          SPARE_BUFFERS.giveBack(spare);
        }
      }
      return new byte[size];
    }

    @Override
    protected void event(
        byte[] buffer, int start, int end, int dataLines, int dataFrom, int dataTo) {
      if (dataLines == 0) {
        lastEventHidden = false;
        emit(start, end);
      } else if (dataLines == 1) {
        handleEvent(buffer, start, end, buffer, dataFrom, dataTo);
      } else {
        Data joined = SseEventFramer.dataOf(buffer, start, end); // rare: joined in a copy
        handleEvent(buffer, start, end, joined.bytes(), joined.from(), joined.to());
      }
    }

    @Override
    protected void oversized(byte[] buffer, int from, int to) {
      lastEventHidden = false; // never read, never hidden
      eventArrived();
      emit(from, to);
    }

    @Override
    protected void separator(byte[] buffer, int from, int to, boolean ofEvent) {
      // The line feed of a hidden event's ending is hidden with it.
      if (!ofEvent || !lastEventHidden) {
        emit(from, to);
      }
    }

    @Override
    protected int eventAt(byte[] buffer, int start, int length) {
      if (oneLineReader != null) {
        return oneLineEvent(buffer, start, length);
      }
      int next = chunkLikeKept(buffer, start, length);
      if (next < 0 && lineFreeBefore >= 0) {
        noLineEndBefore(lineFreeBefore);
        lineFreeBefore = -1;
      }
      return next;
    }
  }

  /**
   * Handles the event in flight at once when it is one data line holding a chat chunk like the one
   * {@link ChatChunkScanner} kept (as nearly all chunks of an answer are), and it is all in the
   * buffer: the chunk is found by comparing it with the one kept, which finds where its line ends
   * too, so the line need not be scanned for its end. So is a chunk of a shape learnt in another
   * stream (found by the shape, and read from it), and the stream's end marker ({@link
   * #doneEvent}). Returns where the next event starts; {@link SseEventFramer#WAIT} when fewer bytes
   * than such an event needs are in; or {@link SseEventFramer#UNREAD} when the event is to be
   * handled as any other. Either way, nothing was changed.
   */
  private int chunkLikeKept(byte[] buffer, int eventStart, int length) {
    if (eventReader != null || !readout.defersChunks() || doneRead) {
      return SseEventFramer.UNREAD;
    }
    if (tooFewFor(chunkScanner.keptLength(), buffer, eventStart, length)) {
      return SseEventFramer.WAIT;
    }
    int valueStart = SseEventFramer.dataValueStart(buffer, eventStart, length);
    if (valueStart < 0) {
      return SseEventFramer.UNREAD;
    }
    if (valueStart < length && buffer[valueStart] == '[') {
      // No chunk (an object) starts so: the stream's end marker, or an event framed as any other.
      return doneEvent(buffer, eventStart, valueStart, length);
    }
    int usageValue = chunkScanner.readLikeKept(buffer, valueStart, length);
    if (usageValue == ChatChunkScanner.OTHER) {
      // A chunk of a shape learnt in another stream (its first, its finish chunk...) ends where
      // the shape says: read as any other chunk once its line is found to end there, from the
      // shape found, without being compared with the kept chunk again.
      int shapeEnd = chunkScanner.shapeEnd(buffer, valueStart, length);
      int next = shapeEnd < 0 ? SseEventFramer.UNREAD : endOfOneLineEvent(buffer, shapeEnd, length);
      if (next >= 0) {
        handleChunk(
            buffer,
            eventStart,
            next,
            buffer,
            valueStart,
            shapeEnd,
            chunkScanner.readShapeFound(buffer, valueStart, shapeEnd));
        return next;
      }
      chunkScanner.forgetShapeFound();
      // Its first bytes are the kept chunk's, which has no line break, or its bytes up to where a
      // shape without one ends: its line end is after.
      lineFreeBefore = Math.max(valueStart + chunkScanner.sameAsKept(), shapeEnd);
      return next == SseEventFramer.WAIT ? next : SseEventFramer.UNREAD;
    }
    int dataEnd = chunkScanner.end();
    int next = endOfOneLineEvent(buffer, dataEnd, length);
    if (next < 0) {
      chunkScanner.forgetLikeKept();
      return next;
    }
    if (usageValue == ChatChunkScanner.NO_USAGE || cutOfKept == chunkScanner.keptCount()) {
      deferLikeKept(buffer, eventStart, next, valueStart, dataEnd, usageValue);
    } else {
      handleChunk(buffer, eventStart, next, buffer, valueStart, dataEnd, usageValue);
    }
    return next;
  }

  /**
   * Handles the event in flight at once when it is the stream's end marker, one data line {@code
   * [DONE]} (its value at {@code buffer[valueStart]}) plainly framed, as {@link #handleEvent} would
   * once the framer framed it: the last event of a stream then reaches neither the framer nor the
   * scanner. Returns as {@link #chunkLikeKept} does; nothing is changed unless it returns an
   * offset.
   */
  private int doneEvent(byte[] buffer, int eventStart, int valueStart, int length) {
    if (!StrictJson.startsWith(buffer, valueStart, length, DONE)) {
      return SseEventFramer.UNREAD;
    }
    int next = endOfOneLineEvent(buffer, valueStart + DONE.length, length);
    if (next >= 0) {
      lastEventHidden = false;
      eventArrived();
      readout.markComplete();
      doneRead = true;
      emit(eventStart, next);
    }
    return next;
  }

  /**
   * Handles the event {@code buffer[start, end)}, a chat chunk {@code buffer[from, to)} found like
   * the one the scanner kept, with no usage member ({@code usageValue} {@link
   * ChatChunkScanner#NO_USAGE}) or with its null usage value at {@code usageValue}, whose cut is
   * known from the kept chunk's ({@link #noteNull}): as {@link #handleChunk} would, without noting
   * the cut in {@link #usageMember} to find it there again.
   */
  private void deferLikeKept(byte[] buffer, int start, int end, int from, int to, int usageValue) {
    lastEventHidden = false;
    eventArrived();
    if (chunkScanner.likeKeptMayBeFiltered()) {
      readout.noteIfFiltered(buffer, from, to); // a string it does not share is "content_filter"
    }
    if (!readout.deferChunk(
        buffer,
        from,
        to,
        chunkScanner.model(),
        chunkScanner.sharedStart(),
        chunkScanner.sharedEnd())) {
      // The chunks kept overflowed: this one and every later one are read at once.
      passOn(start, end, true, readout.readChunk(buffer, from, to, usageMember));
    } else if (usageValue >= 0) {
      emit(start, usageValue + cutFromValue);
      emit(usageValue + cutToValue, end);
    } else {
      emit(start, end);
    }
  }

  /**
   * Handles the event in flight at once when the {@link OneLineReader} finds its one data line's
   * value, all in the buffer, and the event ends right after it; learns nothing otherwise. Returns
   * as {@link #chunkLikeKept} does.
   */
  private int oneLineEvent(byte[] buffer, int eventStart, int length) {
    OneLineReader reader = oneLineReader;
    int expected = reader.expectedLength();
    if (expected < 0 || doneRead) {
      return SseEventFramer.UNREAD;
    }
    if (tooFewFor(expected, buffer, eventStart, length)) {
      return SseEventFramer.WAIT;
    }
    int valueStart = SseEventFramer.dataValueStart(buffer, eventStart, length);
    int dataEnd = valueStart < 0 ? -1 : reader.valueEnd(buffer, valueStart, length);
    if (dataEnd < 0) {
      return SseEventFramer.UNREAD;
    }
    int next = endOfOneLineEvent(buffer, dataEnd, length);
    if (next < 0) {
      return next; // nothing was learnt
    }
    lastEventHidden = false;
    eventArrived();
    reader.readFound(readout, buffer, valueStart, dataEnd);
    emit(eventStart, next);
    return next;
  }

  /**
   * Whether the bytes in of the event in flight, {@code buffer[eventStart, length)}, are too few to
   * hold one data line with a value of about {@code expected} bytes and its blank line, and the
   * read did not end at a line end: more are coming, so the event is offered again when they came.
   * A read that did end there (a backend flushing each event) may hold a whole event with a shorter
   * value, so it is tried now.
   */
  private static boolean tooFewFor(int expected, byte[] buffer, int eventStart, int length) {
    int available = length - eventStart;
    return available < DATA_PREFIX + expected + 2
        && (available < DATA_PREFIX + 2 || buffer[length - 1] != '\n');
  }

  /**
   * Where the event whose one data line's value ends at {@code buffer[dataEnd]} ends, when it ends
   * there: that line's ending, then a blank line, each a line feed or a carriage return and a line
   * feed. Returns the index after the blank line; {@link SseEventFramer#WAIT} when its last bytes
   * are not in yet ({@code length}); {@link SseEventFramer#UNREAD} for any other bytes there (a
   * lone carriage return, another line), the event then framed as any other.
   */
  private static int endOfOneLineEvent(byte[] buffer, int dataEnd, int length) {
    int lineEnd = dataEnd < length && buffer[dataEnd] == '\r' ? dataEnd + 1 : dataEnd;
    int blankEnd = lineEnd + 1 < length && buffer[lineEnd + 1] == '\r' ? lineEnd + 2 : lineEnd + 1;
    if (blankEnd >= length) {
      return SseEventFramer.WAIT; // its last bytes are still to come: tried again when they came
    }
    if (buffer[lineEnd] != '\n'
        || (lineEnd == dataEnd && buffer[dataEnd - 1] == '\r')
        || buffer[blankEnd] != '\n') {
      return SseEventFramer.UNREAD;
    }
    return blankEnd + 1;
  }

  /**
   * Handles the event {@code buffer[start, end)}, whose data is {@code data[from, to)}: in place in
   * the buffer, or joined in a copy.
   */
  private void handleEvent(byte[] buffer, int start, int end, byte[] data, int from, int to) {
    lastEventHidden = false;
    eventArrived();
    if (doneRead) {
      emit(start, end);
      return;
    }
    if (StrictJson.is(data, from, to, DONE)) {
      readout.markComplete();
      doneRead = eventReader == null; // a chat stream's end; other formats read on
      emit(start, end);
      return;
    }
    if (eventReader != null) {
      eventReader.read(readout, data, from, to);
      emit(start, end);
      return;
    }
    handleChunk(
        buffer,
        start,
        end,
        data,
        from,
        to,
        readout.defersChunks()
            ? chunkScanner.read(data, from, to, data == buffer) // a line in place has no break
            : ChatChunkScanner.OTHER);
  }

  /**
   * Handles the event {@code buffer[start, end)}, a chat chunk {@code data[from, to)} that {@link
   * ChatChunkScanner} read as {@code usageValue}.
   */
  private void handleChunk(
      byte[] buffer, int start, int end, byte[] data, int from, int to, int usageValue) {
    // A chunk found like the one kept is searched only when a string it does not share with it is
    // "content_filter" (ChatChunkScanner.likeKeptMayBeFiltered); every other chunk is searched.
    if (usageValue == ChatChunkScanner.OTHER
        || !chunkScanner.likeKept()
        || chunkScanner.likeKeptMayBeFiltered()) {
      readout.noteIfFiltered(data, from, to);
    }
    passOn(start, end, data == buffer, readChunk(data, from, to, usageValue));
  }

  /**
   * Passes on the event {@code [start, end)} of the buffer, a chat chunk just read ({@code read}
   * false when it is not a JSON object), whose data lies in the buffer ({@code inBuffer}) or in a
   * copy, as what {@link #usageMember} noted of it says: hidden, cut, or whole.
   */
  private void passOn(int start, int end, boolean inBuffer, boolean read) {
    lastEventHidden = false;
    eventArrived();
    if (!read || !hideUsage) {
      emit(start, end);
    } else if (usageMember.usageOnly()) {
      lastEventHidden = true; // the usage-only chunk the application did not ask for
    } else if (usageMember.cutsNull() && inBuffer) {
      emit(start, usageMember.cutFrom());
      emit(usageMember.cutTo(), end);
    } else {
      emit(start, end); // as before, data split over several lines (OpenAI never splits it)
    }
  }

  /**
   * Reads a chat chunk {@code bytes[from, to)}, noting its usage member: now, or, when it certainly
   * carries no usage, only if its text is needed at the end; the chunk that only reports usage is
   * read on its bytes when it can be. {@code usageValue} is what {@link ChatChunkScanner} read, or
   * {@link ChatChunkScanner#OTHER} when chunks are not deferred. Returns false when it is not a
   * JSON object.
   */
  private boolean readChunk(byte[] bytes, int from, int to, int usageValue) {
    if (usageValue == ChatChunkScanner.USAGE_ONLY) {
      readout.learnUsage(chunkScanner.model(), chunkScanner.usage());
      usageMember.noteUsageOnly();
      return true;
    }
    if (usageValue != ChatChunkScanner.OTHER
        && readout.deferChunk(
            bytes,
            from,
            to,
            chunkScanner.model(),
            chunkScanner.sharedStart(),
            chunkScanner.sharedEnd())) {
      noteNull(bytes, from, to, usageValue);
      return true;
    }
    return readout.readChunk(bytes, from, to, usageMember);
  }

  /**
   * Notes the null usage members of the chunk {@code bytes[from, to)} that {@link ChatChunkScanner}
   * read ({@link UsageMember#noteNull}). A chunk like the one the scanner kept has the bytes around
   * its first usage member (from the comma before it to the one after) as that chunk has them, for
   * none of them are in a value string: its cut lies where the kept one's did, from its usage
   * value, so it is not looked for again.
   */
  private void noteNull(byte[] bytes, int from, int to, int usageValue) {
    if (usageValue >= 0 && chunkScanner.likeKept() && cutOfKept == chunkScanner.keptCount()) {
      usageMember.noteNullCut(usageValue + cutFromValue, usageValue + cutToValue);
      return;
    }
    usageMember.noteNull(bytes, from, to, usageValue);
    if (usageValue >= 0 && !chunkScanner.likeKept() && usageMember.cutsNull()) {
      cutOfKept = chunkScanner.keptCount(); // the chunk just kept
      cutFromValue = usageMember.cutFrom() - usageValue;
      cutToValue = usageMember.cutTo() - usageValue;
    }
  }

  /** Reads the chunks kept, if their text is needed, before the listener hears of the end. */
  @Override
  protected void ending() {
    // Read to its end by the reading thread: its scratch state may serve another stream. Ended
    // otherwise (closed or stopped, perhaps from another thread while a read is under way), it is
    // left to the garbage collector.
    boolean readToEnd = (boolean) READ_TO_END.getAcquire(this);
    readout.streamEnded(readToEnd);
    if (readToEnd) {
      chunkScanner.giveBack();
    }
  }

  /**
   * Whether the application was handed the stream's end marker line, {@code data: [DONE]} and its
   * line ending, which the framer holds as the event in flight for want of its blank line: bytes go
   * to the application as they come unless usage is hidden (then an event is handed on only once
   * whole, and the framer holds none that the application has). Called as the body is closed, when
   * no read handles bytes.
   */
  @Override
  protected boolean endMarkerHandedOn() {
    int held = framer.held();
    if (hideUsage || held == 0) {
      return false;
    }
    byte[] buffer = framer.buffer();
    int end = framer.length();
    int start = end - held;
    int lineEnd = indexOfLineEnd(buffer, start, end);
    if (lineEnd < 0) {
      return false; // the line has not ended: more of its value may come
    }
    int after =
        buffer[lineEnd] == '\r' && lineEnd + 1 < end && buffer[lineEnd + 1] == '\n'
            ? lineEnd + 2
            : lineEnd + 1;
    int valueStart = SseEventFramer.dataValueStart(buffer, start, lineEnd);
    return after == end && valueStart >= 0 && StrictJson.is(buffer, valueStart, lineEnd, DONE);
  }

  /**
   * The index of the first line ending byte ({@code \n} or {@code \r}) in {@code bytes[from, to)},
   * or -1 ({@link SseEventFramer#indexOfLineEnd}).
   */
  static int indexOfLineEnd(byte[] bytes, int from, int to) {
    return SseEventFramer.indexOfLineEnd(bytes, from, to);
  }

  /** Passes {@code buffer[from, to)} on to the application, after what it was passed before. */
  private void emit(int from, int to) {
    if (!hideUsage || from == to) {
      return; // the application already received these bytes straight from upstream
    }
    if (inPlace != null) {
      // Read in place: what was passed before is at the front, up to packedTo, which is never
      // after from (bytes are only taken out); nothing before from is read again.
      if (from != packedTo) {
        System.arraycopy(
            inPlace, from, inPlace, packedTo, to - from); // after a cut or a hidden chunk
      }
      packedTo += to - from;
      return;
    }
    pending += to - from;
    if (pieceCount > 0 && pieces[2 * pieceCount - 1] == from) {
      pieces[2 * pieceCount - 1] = to; // goes on where the last piece ends, as most do
      return;
    }
    if (2 * pieceCount == pieces.length) {
      pieces = Arrays.copyOf(pieces, Math.max(32, pieces.length * 2)); // made at the first piece
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
    return framer.capacity();
  }
}
