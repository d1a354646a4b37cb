package dev.aigateway.benchmarks;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ByteString;
import okio.Okio;
import okio.Source;
import okio.Timeout;

/**
 * The floor under any wrapper that counts a streamed chat's tokens exactly, as an OkHttp application
 * interceptor: what such a wrapper cannot avoid doing at the HTTP level, and nothing else, for
 * {@link CpuHarness}'s third client ({@code --floor=}). OpenAI reports a stream's usage only when
 * the request asks for it ({@code stream_options.include_usage}); then it adds {@code
 * "usage":null} to every chunk and sends one more chunk, with the usage, which the wrapper must
 * hide so that the application sees the stream it asked for. The least work for that is:
 *
 * <ul>
 *   <li>read the request's body to tell a streamed chat ({@code "stream":true}) that does not ask
 *       for usage itself, and send that one with {@code "stream_options":{"include_usage":true}}
 *       spliced in before its closing brace (a new body and a new {@link Request});
 *   <li>pass the answer on event by event, each once its blank line has come (each byte looked at
 *       once, eight at a time, for a line feed): a chunk that ends in {@code ,"usage":null}} loses
 *       those 13 bytes (its bytes copied once, from upstream's segment to the application's
 *       buffer, as the gateway copies them), the chunk with the usage ({@code "usage":{}) is
 *       dropped, any other event passes as it came (a new {@link Response} with the new body).
 * </ul>
 *
 * <p>It reads nothing else: no usage numbers, no model, no prompt, no JSON answer (a JSON answer
 * always carries its usage and passes through untouched), no event, no limit. {@link Mode} gives
 * the three floors, each a part of the next one's work.
 *
 * <p>{@link Extra} adds known work to every call of the floor (CPU spent on arithmetic alone, and
 * short-lived objects of a known size), so that an instrument can be calibrated: what it reports
 * for that work beside the socket, against what it costs in process, tells whether the instrument
 * magnifies CPU time or allocation (docs/benchmarks.md: CPU time beside the socket costs what it
 * costs in process, allocation three to four times as much).
 */
final class FloorInterceptor implements Interceptor {

  /** How much of the floor's work the interceptor does. */
  enum Mode {
    /** Nothing but the interceptor's step in OkHttp's chain: {@code proceed(request)}. */
    STEP,
    /**
     * Asks a streamed chat for usage and passes the answer on as it came: the application sees the
     * {@code "usage":null} members and the usage chunk (no wrapper may do this; the bytes the
     * backend sends and the client reads are those of {@link #HIDE}).
     */
    ASK,
    /**
     * Asks a streamed chat for usage and hides it: the application sees the stream it asked for.
     */
    HIDE;

    private static final String FLAG = "--floor=";

    /** The floor {@code args} name ({@code --floor=step|ask|hide}); null when they name none. */
    static Mode of(String[] args) {
      String name = CpuHarness.option(args, FLAG, null, "STEP", "ASK", "HIDE");
      return name == null ? null : valueOf(name);
    }

    static boolean names(String arg) {
      return arg.startsWith(FLAG);
    }
  }

  /**
   * Known work added to each call of the floor, before anything else the floor does: {@code
   * spinSteps} steps of a xorshift generator (arithmetic on one register: no memory, no
   * allocation), then {@code garbageBytes} of short-lived objects ({@value #OBJECT_BYTES}-byte
   * arrays, as many as fit; each kept until 1,024 later ones have replaced it, so that none can be
   * optimised away).
   *
   * @param spinSteps xorshift steps per call, not negative
   * @param garbageBytes bytes of objects allocated per call, not negative
   */
  record Extra(int spinSteps, int garbageBytes) {

    /** No added work. */
    static final Extra NONE = new Extra(0, 0);

    /** The size of each object allocated: a {@code byte[32]} on a 64-bit JVM. */
    static final int OBJECT_BYTES = 48;

    private static final String FLAG = "--floor-extra=";

    Extra {
      if (spinSteps < 0 || garbageBytes < 0) {
        throw new IllegalArgumentException(
            "extra work is spin steps and garbage bytes, neither negative, but was "
                + spinSteps
                + " and "
                + garbageBytes);
      }
    }

    /**
     * The extra work {@code args} name ({@code --floor-extra=spin=N,bytes=M}, either part
     * optional); {@link #NONE} when they name none.
     */
    static Extra of(String[] args) {
      return CpuHarness.lastOption(args, FLAG, NONE, Extra::parse);
    }

    /** {@code spin=N,bytes=M}, either part optional, as {@code --floor-extra=} takes it. */
    static Extra parse(String text) {
      int spin = 0;
      int bytes = 0;
      for (String part : text.split(",")) {
        int equals = part.indexOf('=');
        String name = equals < 0 ? part : part.substring(0, equals);
        String value = equals < 0 ? "" : part.substring(equals + 1);
        try {
          switch (name) {
            case "spin" -> spin = Integer.parseInt(value);
            case "bytes" -> bytes = Integer.parseInt(value);
            default -> throw new IllegalArgumentException();
          }
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              FLAG + " takes spin=STEPS,bytes=BYTES (either optional), not " + text, e);
        }
      }
      return new Extra(spin, bytes);
    }

    static boolean names(String arg) {
      return arg.startsWith(FLAG);
    }

    /** Whether this adds any work. */
    boolean any() {
      return spinSteps > 0 || garbageBytes > 0;
    }

    @Override
    public String toString() {
      return "spin=" + spinSteps + ",bytes=" + garbageBytes;
    }
  }

  private static final byte[] STREAM = ascii("\"stream\":true");
  private static final byte[] INCLUDE_USAGE = ascii("\"include_usage\"");
  private static final byte[] ASK_FOR_USAGE = ascii(",\"stream_options\":{\"include_usage\":true}");
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long LINE_FEEDS = 0x0A0A0A0A0A0A0A0AL;
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final ByteString NULL_USAGE_END = ByteString.encodeUtf8(",\"usage\":null}\n\n");
  private static final byte[] NULL_USAGE_END_BYTES = NULL_USAGE_END.toByteArray();
  private static final ByteString USAGE_OBJECT = ByteString.encodeUtf8("\"usage\":{");

  /** The bytes of {@code ,"usage":null} cut from a chunk: all of its end but {@code }\n\n}. */
  private static final int NULL_USAGE = NULL_USAGE_END.size() - 3;

  private final Mode mode;

  private final Extra extra;

  /** The objects {@link #extra} allocated lately, so that none is optimised away. */
  private final Object[] garbage = new Object[1024];

  private int nextGarbage;

  /** The spin's last value, so that it is not optimised away. */
  private long spun = 1;

  /**
   * The last {@code Content-Type} of an answer and its parse: a backend answers with one or two.
   */
  private volatile MediaTypeSeen seen = new MediaTypeSeen("", null);

  private record MediaTypeSeen(String value, MediaType type) {}

  FloorInterceptor(Mode mode) {
    this(mode, Extra.NONE);
  }

  FloorInterceptor(Mode mode, Extra extra) {
    this.mode = mode;
    this.extra = extra;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    if (extra.any()) {
      spendExtra();
    }
    Request request = chain.request();
    RequestBody body = request.body();
    if (mode == Mode.STEP || body == null) {
      return chain.proceed(request);
    }
    Buffer read = new Buffer();
    body.writeTo(read);
    byte[] bytes = read.readByteArray();
    if (indexOf(bytes, STREAM) < 0 || indexOf(bytes, INCLUDE_USAGE) >= 0) {
      return chain.proceed(request); // JSON, or a stream that asks for usage itself: untouched
    }
    Request asking =
        request
            .newBuilder()
            .method(request.method(), RequestBody.create(askForUsage(bytes), body.contentType()))
            .build();
    Response response = chain.proceed(asking);
    if (mode == Mode.ASK || !response.isSuccessful()) {
      return response;
    }
    ResponseBody answer = response.body();
    return response
        .newBuilder()
        .body(
            ResponseBody.create(
                Okio.buffer(new HidingSource(answer.source())),
                mediaType(response.header("Content-Type")),
                -1))
        .build();
  }

  /**
   * Does {@link #extra}'s work. Racy when calls run on several threads (a slot may be written twice
   * and another not at all), which changes nothing: the objects are garbage either way.
   */
  private void spendExtra() {
    long x = spun;
    for (int i = extra.spinSteps(); i > 0; i--) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
    }
    spun = x;
    int slot = nextGarbage;
    for (int n = extra.garbageBytes() / Extra.OBJECT_BYTES; n > 0; n--) {
      garbage[slot++ & (garbage.length - 1)] = new byte[Extra.OBJECT_BYTES - 16];
    }
    nextGarbage = slot;
  }

  /** The spin's value after the calls so far (1 before any). */
  long spun() {
    return spun;
  }

  /** The body with {@link #ASK_FOR_USAGE} spliced in before its last closing brace. */
  static byte[] askForUsage(byte[] body) {
    int close = body.length - 1;
    while (close >= 0 && body[close] != '}') {
      close--;
    }
    if (close < 0) {
      return body; // not a JSON object: sent as it is
    }
    byte[] asking = new byte[body.length + ASK_FOR_USAGE.length];
    System.arraycopy(body, 0, asking, 0, close);
    System.arraycopy(ASK_FOR_USAGE, 0, asking, close, ASK_FOR_USAGE.length);
    System.arraycopy(body, close, asking, close + ASK_FOR_USAGE.length, body.length - close);
    return asking;
  }

  private MediaType mediaType(String value) {
    if (value == null) {
      return null;
    }
    MediaTypeSeen last = seen;
    if (!value.equals(last.value())) {
      last = new MediaTypeSeen(value, MediaType.parse(value));
      seen = last;
    }
    return last.type();
  }

  /** The first line feed in {@code data[from, to)}, or -1; eight bytes a step. */
  static int lineFeed(byte[] data, int from, int to) {
    int i = from;
    for (; i + Long.BYTES <= to; i += Long.BYTES) {
      long x = (long) LONGS.get(data, i) ^ LINE_FEEDS;
      long found = (x - ONES) & ~x & HIGH_BITS; // the lowest flag marks the first line feed
      if (found != 0) {
        return i + (Long.numberOfTrailingZeros(found) >>> 3);
      }
    }
    for (; i < to; i++) {
      if (data[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static int indexOf(byte[] bytes, byte[] pattern) {
    outer:
    for (int i = 0; i <= bytes.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (bytes[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /**
   * The answer's events, each passed on once whole, without the usage the application did not ask
   * for. Each byte is looked at once for the blank lines; a chunk's last 16 bytes are compared with
   * {@code ,"usage":null}\n\n}; only an event that does not end so (the usage chunk, {@code
   * [DONE]}) is searched for {@code "usage":{}. An event larger than the application's read (never
   * a chat chunk, against reads of 8 KiB) is passed on in pieces, and would not be dropped if it
   * were the usage chunk.
   */
  private static final class HidingSource implements Source {
    private final BufferedSource upstream;
    private final Buffer.UnsafeCursor cursor = new Buffer.UnsafeCursor();

    /** How many bytes of the event in flight were looked at without finding its end. */
    private long scanned;

    HidingSource(BufferedSource upstream) {
      this.upstream = upstream;
    }

    @Override
    public long read(Buffer sink, long byteCount) throws IOException {
      Buffer in = upstream.getBuffer();
      while (true) {
        long length = eventLength(in);
        if (length < 0) {
          scanned = in.size();
          if (upstream.request(in.size() + 1)) {
            continue;
          }
          // the stream's end: what is left (an event without its blank line) passes as it is
          long left = in.size();
          scanned = 0;
          return left == 0 ? -1 : passOn(in, sink, left);
        }
        scanned = 0;
        if (length > byteCount) {
          // larger than the read: passed on in pieces, the end of it still cut when it comes
          return passOn(in, sink, Math.min(byteCount, Math.max(1, length - NULL_USAGE_END.size())));
        }
        if (cutInOneSegment(in, sink, (int) length)) {
          return length - NULL_USAGE;
        }
        if (length >= NULL_USAGE_END.size()
            && in.rangeEquals(length - NULL_USAGE_END.size(), NULL_USAGE_END)) {
          long kept = length - NULL_USAGE_END.size();
          sink.write(in, kept);
          in.skip(NULL_USAGE);
          sink.write(in, NULL_USAGE_END.size() - NULL_USAGE);
          return kept + NULL_USAGE_END.size() - NULL_USAGE;
        }
        long usage = in.indexOf(USAGE_OBJECT, 0, length);
        if (usage < 0) {
          return passOn(in, sink, length);
        }
        in.skip(length); // the usage chunk: read, not passed on
      }
    }

    /**
     * Passes on the first event of {@code in}, {@code length} bytes that end in {@code
     * ,"usage":null}\n\n}, without that member, when the event lies in one segment (as an event
     * that came in one read does): compared and copied from that segment's array. False, having
     * done nothing, for any other event.
     */
    private boolean cutInOneSegment(Buffer in, Buffer sink, int length) throws IOException {
      int tail = NULL_USAGE_END_BYTES.length;
      if (length < tail) {
        return false;
      }
      try (Buffer.UnsafeCursor segment = in.readUnsafe(cursor)) {
        segment.seek(0);
        byte[] data = segment.data;
        int start = segment.start;
        if (segment.end - start < length
            || !Arrays.equals(
                data, start + length - tail, start + length, NULL_USAGE_END_BYTES, 0, tail)) {
          return false;
        }
        sink.write(data, start, length - tail);
        sink.write(data, start + length - tail + NULL_USAGE, tail - NULL_USAGE);
      }
      in.skip(length);
      return true;
    }

    /**
     * The length of the first event in {@code in} up to its blank line, or -1 when its blank line
     * has not come yet. Looks at each byte from {@link #scanned} on once, eight at a time for a
     * line feed.
     */
    private long eventLength(Buffer in) {
      long from = Math.max(0, scanned - 1); // a line feed at the end may start the blank line
      try (Buffer.UnsafeCursor segment = in.readUnsafe(cursor)) {
        boolean afterLineFeed = false;
        for (int got = segment.seek(from); got > 0; got = segment.next()) {
          byte[] data = segment.data;
          int end = segment.end;
          int i = segment.start;
          if (afterLineFeed && data[i] == '\n') {
            return segment.offset + 1;
          }
          while ((i = lineFeed(data, i, end)) >= 0) {
            if (i + 1 < end) {
              if (data[i + 1] == '\n') {
                return segment.offset + (i + 2 - segment.start);
              }
              i++;
            } else {
              afterLineFeed = true;
              break;
            }
          }
          if (i < 0) {
            afterLineFeed = false;
          }
        }
      }
      return -1;
    }

    private static long passOn(Buffer in, Buffer sink, long count) {
      sink.write(in, count);
      return count;
    }

    @Override
    public Timeout timeout() {
      return upstream.timeout();
    }

    @Override
    public void close() throws IOException {
      upstream.close();
    }
  }
}
