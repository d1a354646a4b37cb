package dev.aigateway.core.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/**
 * Reads AWS event stream messages ({@link EventStreamMessage}) from bytes fed in pieces of any
 * size, as they arrive: only the message in flight is held, and only up to a bound, so a stream
 * costs no more memory than its largest message, whatever a backend sends.
 *
 * <ul>
 *   <li>Both CRCs are checked. A prelude or message whose CRC does not match, or whose lengths or
 *       headers cannot be right, makes the decoder stop: it is {@link #corrupt()}, and everything
 *       fed after that is ignored (the bytes still reach the application; only the reading stops,
 *       since after a bad frame no boundary can be trusted).
 *   <li>A message longer than the bound (its prelude being sound) is skipped as its bytes come,
 *       without being held or read, and counted in {@link #oversized()}; the messages after it are
 *       read again.
 * </ul>
 *
 * <p>A message that arrives whole in one piece fed is read where it lies, without a copy (its CRC
 * computed there, once); only one split across pieces is held, in a buffer made when one first is.
 * A frame whose headers are byte for byte those of the frame before (a stream's messages mostly
 * repeat them) keeps the types read from them, without reading them again.
 *
 * <p>Not thread-safe: one reader feeds it.
 */
public final class EventStreamDecoder {

  /**
   * The largest message read (16 MiB, as AWS bounds an event stream message: 16 MiB of payload, 128
   * KiB of headers).
   */
  public static final int MAX_MESSAGE_BYTES = 16 << 20;

  /**
   * Reads each message as a frame ({@link EventStreamFrame}: the view the decoder reuses, valid
   * only during the call), so that a reader pays for no copy and no header map.
   */
  @FunctionalInterface
  public interface FrameReader {

    /** Reads {@code frame}, which must not be kept. */
    void read(EventStreamFrame frame);
  }

  /** String header names and values up to this many bytes are kept to be reused. */
  private static final int REUSED_STRING_BYTES = 64;

  private final Consumer<EventStreamMessage> messages;
  private final FrameReader frames;
  private final EventStreamFrame frame = new EventStreamFrame();
  private final CRC32 crc = new CRC32();

  /**
   * The room a decoder takes when it first holds a message (split across pieces fed), enough for
   * most messages of a model's stream.
   */
  private static final int INITIAL_BUFFER_BYTES = 256;

  /**
   * Header names and values read lately, reused when the same bytes come again: each in the slot
   * its bytes' hash picks, so that a string is looked up by one comparison. Made at the first
   * string read this way (a frame reader whose header values repeat may never need it).
   */
  private String[] recentStrings;

  /** The string value each frame header ({@link #MESSAGE_TYPE} ...) had last, indexed by it. */
  private final String[] lastKnown = new String[4];

  /** The bytes of each {@link #lastKnown} value, to compare a header's bytes with. */
  private final byte[][] lastKnownBytes = new byte[4][];

  /** Headers of up to this many bytes are kept to be compared with the next frame's. */
  private static final int MAX_KEPT_HEADERS_BYTES = 256;

  /** The headers of the last frame whose headers were read, to {@link #lastHeadersLength}. */
  private byte[] lastHeaders = NO_BYTES;

  /** How many bytes of {@link #lastHeaders} hold them; -1 before any. */
  private int lastHeadersLength = -1;

  private final int maxMessageBytes;

  /** Where a message is held while its bytes come in pieces. */
  private byte[] buffer = NO_BYTES;

  /**
   * {@link #buffer} before a message had to be held: a stream whose messages each come whole in one
   * piece fed never needs one.
   */
  private static final byte[] NO_BYTES = new byte[0];

  /**
   * The array the message being read lies in: {@link #buffer}, or the array fed when the message
   * came whole in it; null between messages.
   */
  private byte[] in;

  private int held;

  /** The length of the message in flight once its prelude is read, else -1. */
  private int total = -1;

  private int headersLength;

  /** Bytes of an oversized message still to skip. */
  private long skipping;

  private boolean corrupt;
  private String corruption;
  private int oversized;
  private long read;

  /** How many bytes were fed before the piece being read. */
  private long fedBefore;

  /** Where in the stream the message being handed on ends ({@link #messageEnd}). */
  private long messageEnd;

  /** A decoder handing each whole, valid message to {@code messages}, in order. */
  public EventStreamDecoder(Consumer<EventStreamMessage> messages) {
    this(messages, MAX_MESSAGE_BYTES);
  }

  /**
   * As {@link #EventStreamDecoder(Consumer)}, reading messages of up to {@code maxMessageBytes}.
   */
  public EventStreamDecoder(Consumer<EventStreamMessage> messages, int maxMessageBytes) {
    this(messages, null, maxMessageBytes);
  }

  /**
   * A decoder handing each whole, valid message of up to {@code maxMessageBytes} to {@code frames}
   * as a frame, in order.
   */
  public static EventStreamDecoder ofFrames(FrameReader frames, int maxMessageBytes) {
    return new EventStreamDecoder(null, frames, maxMessageBytes);
  }

  private EventStreamDecoder(
      Consumer<EventStreamMessage> messages, FrameReader frames, int maxMessageBytes) {
    if (maxMessageBytes < EventStreamMessage.MIN_BYTES) {
      throw new IllegalArgumentException(
          "an event stream message takes at least "
              + EventStreamMessage.MIN_BYTES
              + " bytes, but the bound was "
              + maxMessageBytes);
    }
    this.messages = messages;
    this.frames = frames;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Reads {@code bytes[from, from + length)}, handing on every message they complete. */
  public void feed(byte[] bytes, int from, int length) {
    int at = from;
    int end = from + length;
    while (at < end && !corrupt) {
      if (skipping > 0) {
        int n = (int) Math.min(skipping, end - at);
        skipping -= n;
        at += n;
        continue;
      }
      if (held == 0 && total < 0 && end - at >= EventStreamMessage.PRELUDE_BYTES) {
        // A message starts here with its prelude whole: read where it lies, and the whole
        // message too when it is all here (most are); else held from here on.
        if (!readPrelude(bytes, at)) {
          at += corrupt ? 0 : EventStreamMessage.PRELUDE_BYTES; // oversized: skipped from here
          continue;
        }
        if (end - at >= total) {
          int message = total;
          messageEnd = fedBefore + (at - from) + message;
          readMessage(bytes, at);
          at += message;
          continue;
        }
      }
      int want = total < 0 ? EventStreamMessage.PRELUDE_BYTES : total;
      int n = Math.min(want - held, end - at);
      ensure(held + n);
      System.arraycopy(bytes, at, buffer, held, n);
      held += n;
      at += n;
      if (held < want) {
        continue;
      }
      if (total < 0) {
        if (!readPrelude(buffer, 0) && !corrupt) {
          held = 0; // oversized: skipped from here
        }
      } else {
        messageEnd = fedBefore + (at - from);
        readMessage(buffer, 0);
        if (buffer != null && buffer.length > 64 * 1024) {
          buffer = NO_BYTES; // a large message passed: do not keep its room
        }
      }
    }
    fedBefore += length;
  }

  /**
   * Where in the stream (counted in bytes fed) the message being handed on ends: valid only while
   * its frame or message is being read.
   */
  long messageEnd() {
    return messageEnd;
  }

  /**
   * How many bytes of a message not yet whole are held: the last bytes fed, which a later piece
   * completes (or the stream ends without).
   */
  int heldBytes() {
    return held;
  }

  /**
   * Reads the prelude at {@code src[at]}: true when the message is to be read ({@link #total} and
   * {@link #headersLength} set), false when the decoder stopped or the message is to be skipped.
   */
  private boolean readPrelude(byte[] src, int at) {
    // the two lengths read as one long, which the prelude's CRC is computed from too
    long lengths = (long) LITTLE_ENDIAN_LONGS.get(src, at);
    int length = Integer.reverseBytes((int) lengths);
    int headers = Integer.reverseBytes((int) (lengths >>> 32));
    int crc = EventStreamMessage.getInt(src, at + 8);
    if (crc != preludeCrc(lengths)) {
      stop("the prelude CRC of message " + (read + 1) + " does not match");
      return false;
    }
    long totalLength = length & 0xffffffffL;
    long headersBytes = headers & 0xffffffffL;
    if (totalLength < EventStreamMessage.MIN_BYTES
        || headersBytes > totalLength - EventStreamMessage.MIN_BYTES) {
      stop("message " + (read + 1) + " has impossible lengths");
      return false;
    }
    if (totalLength > maxMessageBytes) {
      oversized++;
      skipping = totalLength - EventStreamMessage.PRELUDE_BYTES;
      return false;
    }
    total = (int) totalLength;
    headersLength = (int) headersBytes;
    return true;
  }

  /**
   * Reads the whole message of {@link #total} bytes at {@code src[at]}, its prelude read. Its CRC
   * is checked first, unless the frame reader asked for the check to be left to it ({@link
   * #leaveCrcToReader}) and the message's headers are byte for byte those of the last frame whose
   * headers were read (whose message's CRC was checked): the frame is then handed on unchecked
   * ({@link EventStreamFrame#checked}).
   */
  private void readMessage(byte[] src, int at) {
    int length = total;
    in = src;
    int headersFrom = at + EventStreamMessage.PRELUDE_BYTES;
    boolean same = messages == null && sameHeaders(headersFrom);
    boolean unchecked = same && crcLeftToReader;
    if (!unchecked && !crcMatches(src, at, length)) {
      in = null;
      stop("the message CRC of message " + (read + 1) + " does not match");
      return;
    }
    Map<String, Object> headers = messages != null ? new LinkedHashMap<>() : null;
    if (!same && !readHeaders(headers, headersFrom)) {
      in = null;
      stop("the headers of message " + (read + 1) + " are malformed");
      return;
    }
    int payloadFrom = headersFrom + headersLength;
    int payloadTo = at + length - 4;
    read++;
    held = 0;
    total = -1;
    in = null;
    if (messages != null) {
      messages.accept(
          EventStreamMessage.read(headers, Arrays.copyOfRange(src, payloadFrom, payloadTo)));
    } else {
      frame.payload(src, payloadFrom, payloadTo);
      frame.unchecked(unchecked ? this : null, at, length);
      frames.read(frame);
      frame.payload(null, 0, 0);
      frame.unchecked(null, 0, 0);
    }
  }

  /** Whether the message of {@code length} bytes at {@code src[at]} ends with its CRC. */
  private boolean crcMatches(byte[] src, int at, int length) {
    return EventStreamMessage.getInt(src, at + length - 4) == crc(src, at, length - 4);
  }

  /**
   * Checks the CRC of the message of {@code length} bytes at {@code src[at]}, handed on unchecked
   * as the frame being read: true when it matches; when it does not, the decoder stops as it stops
   * when a message fails its CRC before it is handed on (the message not counted as read), and
   * false.
   */
  boolean checkHandedOn(byte[] src, int at, int length) {
    if (crcMatches(src, at, length)) {
      return true;
    }
    read--;
    stop("the message CRC of message " + (read + 1) + " does not match");
    return false;
  }

  /**
   * Whether a message whose headers repeat those of the last frame whose headers were read is
   * handed on with its CRC unchecked, for the frame reader to check ({@link
   * EventStreamFrame#checked}) before it relies on the message's content; false (every CRC checked
   * before its message is handed on) unless {@link #leaveCrcToReader} said otherwise. A decoder of
   * {@link EventStreamMessage}s checks every CRC.
   */
  private boolean crcLeftToReader;

  /**
   * Says whether the messages fed from now on that repeat the last headers read are handed on with
   * their CRC unchecked, for the frame reader to check before it relies on their content ({@link
   * EventStreamFrame#checked}). Only a message whose headers were read (its CRC checked) sets the
   * headers repeated; a message with other headers is checked before it is handed on.
   */
  void leaveCrcToReader(boolean leave) {
    crcLeftToReader = leave;
  }

  /**
   * The CRC-32 of the eight bytes of lengths at {@code src[at]}, as {@link CRC32} computes it, by
   * slicing: the eight bytes read as one {@code long}, each looked up in its own table ({@link
   * #CRC_TABLES}), the eight look-ups independent of one another (a byte-at-a-time table makes each
   * wait for the one before). For so few bytes, cheaper than a call to {@link CRC32}'s intrinsic.
   */
  static int preludeCrc(byte[] src, int at) {
    return preludeCrc((long) LITTLE_ENDIAN_LONGS.get(src, at));
  }

  /** As {@link #preludeCrc(byte[], int)}, of the eight bytes read as one little-endian long. */
  private static int preludeCrc(long bytes) {
    int low = ~0 ^ (int) bytes;
    int high = (int) (bytes >>> 32);
    int[] t = CRC_TABLES;
    return ~(t[7 * 256 + (low & 0xff)]
        ^ t[6 * 256 + (low >>> 8 & 0xff)]
        ^ t[5 * 256 + (low >>> 16 & 0xff)]
        ^ t[4 * 256 + (low >>> 24)]
        ^ t[3 * 256 + (high & 0xff)]
        ^ t[2 * 256 + (high >>> 8 & 0xff)]
        ^ t[256 + (high >>> 16 & 0xff)]
        ^ t[high >>> 24]);
  }

  private static final VarHandle LITTLE_ENDIAN_LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * Eight tables of 256 entries, one after the other: the first, per byte, CRC-32's remainder (the
   * reflected polynomial 0xEDB88320, as {@link CRC32}'s); table k, the remainder of a byte followed
   * by k zero bytes, so that a byte k places before the end of the eight is looked up in table k.
   */
  private static final int[] CRC_TABLES = new int[8 * 256];

  static {
    for (int n = 0; n < 256; n++) {
      int c = n;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? 0xEDB88320 ^ c >>> 1 : c >>> 1;
      }
      CRC_TABLES[n] = c;
    }
    for (int table = 1; table < 8; table++) {
      for (int n = 0; n < 256; n++) {
        int before = CRC_TABLES[(table - 1) * 256 + n];
        CRC_TABLES[table * 256 + n] = before >>> 8 ^ CRC_TABLES[before & 0xff];
      }
    }
  }

  private int crc(byte[] src, int from, int length) {
    crc.reset();
    crc.update(src, from, length);
    return (int) crc.getValue();
  }

  /**
   * Whether the headers at {@code in[from]} are byte for byte those of the last frame whose headers
   * were read ({@link #lastHeaders}): then the frame keeps the types read from them (a stream's
   * messages mostly repeat their headers).
   */
  private boolean sameHeaders(int from) {
    int length = headersLength;
    if (lastHeadersLength != length || length < Long.BYTES) {
      return length > 0
          && lastHeadersLength == length
          && Arrays.equals(in, from, from + length, lastHeaders, 0, length);
    }
    // eight bytes a step, the last step ending at the last byte (a stream's headers, 60 to 100
    // bytes, are compared sooner so than by a call to Arrays.equals)
    byte[] kept = lastHeaders;
    int last = length - Long.BYTES;
    for (int i = 0; i < last; i += Long.BYTES) {
      if ((long) LITTLE_ENDIAN_LONGS.get(in, from + i) != (long) LITTLE_ENDIAN_LONGS.get(kept, i)) {
        return false;
      }
    }
    return (long) LITTLE_ENDIAN_LONGS.get(in, from + last)
        == (long) LITTLE_ENDIAN_LONGS.get(kept, last);
  }

  /**
   * Reads the headers of the message in flight, at {@code in[from]}: the frame's string headers,
   * and every header into {@code into} unless it is null. Returns false when they do not parse.
   */
  private boolean readHeaders(Map<String, Object> into, int from) {
    String messageType = null;
    String eventType = null;
    String exceptionType = null;
    int at = from;
    int end = at + headersLength;
    while (at < end) {
      int nameLength = in[at++] & 0xff;
      if (nameLength == 0 || at + nameLength + 1 > end) {
        return false;
      }
      int nameAt = at;
      String name = into != null ? string(at, nameLength) : null;
      at += nameLength;
      int type = in[at++];
      int size;
      switch (type) {
        case 0, 1 -> size = 0;
        case 2 -> size = 1;
        case 3 -> size = 2;
        case 4 -> size = 4;
        case 5, 8 -> size = 8;
        case 9 -> size = 16;
        case 6, 7 -> {
          if (at + 2 > end) {
            return false;
          }
          size = 2 + ((in[at] & 0xff) << 8 | in[at + 1] & 0xff);
        }
        default -> {
          return false;
        }
      }
      if (at + size > end) {
        return false;
      }
      int known = known(nameAt, nameLength);
      Object value =
          type != 7
              ? into != null ? value(type, at, size) : null
              : into != null
                  ? string(at + 2, size - 2)
                  : known != UNKNOWN ? knownValue(known, at + 2, size - 2) : null;
      if (known != UNKNOWN) {
        // a frame's string header: its value, kept only when it is a string
        String text = value instanceof String string ? string : null;
        switch (known) {
          case MESSAGE_TYPE -> messageType = text;
          case EVENT_TYPE -> eventType = text;
          default -> exceptionType = text;
        }
      }
      if (into != null) {
        into.put(name, value);
      }
      at += size;
    }
    frame.set(messageType, eventType, exceptionType);
    if (into == null && headersLength <= MAX_KEPT_HEADERS_BYTES) {
      if (lastHeaders.length < headersLength) {
        lastHeaders = new byte[Math.max(headersLength, 2 * lastHeaders.length)];
      }
      System.arraycopy(in, from, lastHeaders, 0, headersLength);
      lastHeadersLength = headersLength;
    } else {
      lastHeadersLength = -1; // the frame's types are not those of the headers kept
    }
    return true;
  }

  private static final int UNKNOWN = 0;
  private static final int MESSAGE_TYPE = 1;
  private static final int EVENT_TYPE = 2;
  private static final int EXCEPTION_TYPE = 3;

  private static final byte[] MESSAGE_TYPE_NAME = ":message-type".getBytes(StandardCharsets.UTF_8);
  private static final byte[] EVENT_TYPE_NAME = ":event-type".getBytes(StandardCharsets.UTF_8);
  private static final byte[] EXCEPTION_TYPE_NAME =
      ":exception-type".getBytes(StandardCharsets.UTF_8);

  /**
   * Which of the frame's headers the name {@code in[at, at + length)} is, read on its bytes (no
   * string made): {@link #MESSAGE_TYPE}, {@link #EVENT_TYPE}, {@link #EXCEPTION_TYPE} or {@link
   * #UNKNOWN}. The three names differ in length, so the length picks the one to compare with.
   */
  private int known(int at, int length) {
    byte[] name;
    int kind;
    if (length == MESSAGE_TYPE_NAME.length) {
      name = MESSAGE_TYPE_NAME;
      kind = MESSAGE_TYPE;
    } else if (length == EVENT_TYPE_NAME.length) {
      name = EVENT_TYPE_NAME;
      kind = EVENT_TYPE;
    } else if (length == EXCEPTION_TYPE_NAME.length) {
      name = EXCEPTION_TYPE_NAME;
      kind = EXCEPTION_TYPE;
    } else {
      return UNKNOWN;
    }
    return Arrays.equals(in, at, at + length, name, 0, length) ? kind : UNKNOWN;
  }

  /**
   * The string value of the frame header {@code known}, {@code in[at, at + length)}: the value the
   * last frame gave it when the bytes are the same (a stream's messages repeat their types), else
   * as {@link #string} reads it.
   */
  private String knownValue(int known, int at, int length) {
    byte[] last = lastKnownBytes[known];
    if (last != null && last.length == length && sameBytes(last, at)) {
      return lastKnown[known];
    }
    for (int k = 0; k < COMMON_VALUES.length; k++) {
      byte[] common = COMMON_VALUE_BYTES[k];
      if (common.length == length && sameBytes(common, at)) {
        // a value most streams carry: the constant, with its bytes, nothing made
        lastKnown[known] = COMMON_VALUES[k];
        lastKnownBytes[known] = common;
        return COMMON_VALUES[k];
      }
    }
    String read = string(at, length);
    if (length <= REUSED_STRING_BYTES) {
      lastKnown[known] = read;
      lastKnownBytes[known] = Arrays.copyOfRange(in, at, at + length);
    }
    return read;
  }

  /**
   * The frame headers' values nearly every stream carries ({@code :message-type} {@code event},
   * InvokeModelWithResponseStream's {@code chunk}, ConverseStream's event types), taken as these
   * constants rather than made again by each stream's decoder.
   */
  private static final String[] COMMON_VALUES = {
    "event",
    "chunk",
    "messageStart",
    "contentBlockStart",
    "contentBlockDelta",
    "contentBlockStop",
    "messageStop",
    "metadata"
  };

  /** The UTF-8 bytes of each of {@link #COMMON_VALUES}; never written. */
  private static final byte[][] COMMON_VALUE_BYTES = new byte[COMMON_VALUES.length][];

  static {
    for (int k = 0; k < COMMON_VALUES.length; k++) {
      COMMON_VALUE_BYTES[k] = COMMON_VALUES[k].getBytes(StandardCharsets.UTF_8);
    }
  }

  /**
   * Whether {@code in} holds {@code known} at {@code at}; a plain loop, which beats {@code
   * Arrays.equals} on ranges this short (header values such as {@code chunk}, {@code event}).
   */
  private boolean sameBytes(byte[] known, int at) {
    for (int i = 0; i < known.length; i++) {
      if (in[at + i] != known[i]) {
        return false;
      }
    }
    return true;
  }

  private Object value(int type, int at, int size) {
    return switch (type) {
      case 0 -> Boolean.TRUE;
      case 1 -> Boolean.FALSE;
      case 2 -> in[at];
      case 3 -> (short) number(at, 2);
      case 4 -> (int) number(at, 4);
      case 5 -> number(at, 8);
      case 6 -> Arrays.copyOfRange(in, at + 2, at + size);
      case 8 -> Instant.ofEpochMilli(number(at, 8));
      default -> new UUID(number(at, 8), number(at + 8, 8));
    };
  }

  /**
   * The UTF-8 text of {@code in[at, at + length)}: a string read lately when it has the same
   * characters (names and types repeat from message to message), else a new one, kept in place of
   * the one its slot held.
   */
  private String string(int at, int length) {
    if (length > REUSED_STRING_BYTES) {
      return new String(in, at, length, StandardCharsets.UTF_8);
    }
    int hash = length;
    for (int i = at, end = at + length; i < end; i++) {
      hash = 31 * hash + in[i];
    }
    if (recentStrings == null) {
      recentStrings = new String[32];
    }
    int slot = (hash ^ hash >>> 16) & (recentStrings.length - 1);
    String recent = recentStrings[slot];
    if (recent != null && sameAscii(recent, at, length)) {
      return recent;
    }
    String read = new String(in, at, length, StandardCharsets.UTF_8);
    recentStrings[slot] = read;
    return read;
  }

  /** Whether {@code known} is the ASCII text of {@code in[at, at + length)}. */
  private boolean sameAscii(String known, int at, int length) {
    if (known.length() != length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      byte b = in[at + i];
      if (b < 0 || known.charAt(i) != b) {
        return false;
      }
    }
    return true;
  }

  private long number(int at, int bytes) {
    long value = 0;
    for (int i = 0; i < bytes; i++) {
      value = value << 8 | (in[at + i] & 0xff);
    }
    // sign-extend the narrower types, as their Java types hold them
    int unused = 64 - 8 * bytes;
    return unused == 0 ? value : value << unused >> unused;
  }

  private void ensure(int size) {
    if (size > buffer.length) {
      int doubled = Math.max(INITIAL_BUFFER_BYTES, buffer.length * 2);
      buffer = Arrays.copyOf(buffer, Math.max(size, Math.min(maxMessageBytes, doubled)));
    }
  }

  private void stop(String why) {
    corrupt = true;
    corruption = why;
    buffer = null;
    held = 0;
  }

  /** Whether a frame failed its checks, so that nothing more is read. */
  public boolean corrupt() {
    return corrupt;
  }

  /** Why the decoder stopped ({@link #corrupt()}), or null. */
  public String corruption() {
    return corruption;
  }

  /** How many messages were skipped unread for being longer than the bound. */
  public int oversized() {
    return oversized;
  }

  /** How many messages were read whole and handed on. */
  public long messagesRead() {
    return read;
  }

  /**
   * Whether bytes of a message that has not arrived whole are held (the stream ended mid-frame).
   */
  public boolean midMessage() {
    return !corrupt && (held > 0 || skipping > 0);
  }
}
