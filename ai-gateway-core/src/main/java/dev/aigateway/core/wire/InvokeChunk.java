package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/**
 * The model's JSON in one chunk of Bedrock's InvokeModelWithResponseStream: a {@code chunk} event
 * whose payload is {@code {"bytes":"<base64>"}} (Bedrock may add a padding member, {@code "p"}).
 *
 * <p>A payload written as Bedrock writes it ({@code {"bytes":"} first, the base64 without escapes
 * or line breaks, padded as RFC 4648 says or not at all, then members of other names) is decoded
 * in one pass over its bytes, the base64 checked as it is decoded, eight characters a step, into a
 * buffer reused from chunk to chunk; the units of four characters it begins with that repeat those
 * of the chunk before (a stream's events begin alike) are not decoded again. A long string (at
 * least {@link #JDK_RUN} characters not decoded already: a message's start, its last events) has
 * its whole units decoded by the JDK's decoder instead, an intrinsic several times faster on such
 * runs, from the array that keeps the units for the next chunk (the decoder takes whole arrays
 * only; the array holds only characters of the alphabet); when it refuses them, they are decoded
 * here, which refuses them in turn. The members after it
 * are walked as {@link ObjectMembers} walks them. Any other payload
 * is walked by {@link ObjectMembers} and its base64 decoded by the JDK's decoder, or, written
 * otherwise still (escapes in the string, characters the decoder refuses), read by Jackson and
 * decoded from the string. What is decoded is the same each way: the one-pass decoder takes only
 * what the JDK's takes, and decodes it as it does. One per stream; it serves one thread.
 */
final class InvokeChunk {

  private static final byte[] BYTES = ObjectMembers.quoted("bytes");

  /** How Bedrock's payload starts: the {@code bytes} member's name and its string's quote. */
  private static final byte[] BYTES_STRING = "{\"bytes\":\"".getBytes(StandardCharsets.US_ASCII);

  /** How Bedrock's padding member starts, after the {@code bytes} string. */
  private static final byte[] PADDING = ",\"p\":\"".getBytes(StandardCharsets.US_ASCII);

  private static final Base64.Decoder DECODER = Base64.getDecoder();

  /**
   * Per byte, its 6 bits in base64's alphabet (RFC 4648, not URL-safe) shifted to their place as
   * the first of a unit's four characters, or -1 when it is not in the alphabet.
   */
  private static final int[] FIRST = sixtets(18);

  /** As {@link #FIRST}, for a unit's second character. */
  private static final int[] SECOND = sixtets(12);

  /** As {@link #FIRST}, for a unit's third character. */
  private static final int[] THIRD = sixtets(6);

  /** As {@link #FIRST}, for a unit's last character: its 6 bits unshifted. */
  private static final int[] FOURTH = sixtets(0);

  private static final VarHandle LITTLE_ENDIAN_LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle BIG_ENDIAN_LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private static int[] sixtets(int shift) {
    int[] table = new int[256];
    Arrays.fill(table, -1);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int k = 0; k < alphabet.length(); k++) {
      table[alphabet.charAt(k)] = k << shift;
    }
    return table;
  }

  /** The names {@link #payload} looks for, made once (a chunk per stream shares them). */
  private static final byte[][] PAYLOAD_NAMES = {BYTES};

  /** No bytes: the starting value of the arrays made only when a chunk first needs them. */
  private static final byte[] NONE = new byte[0];

  /**
   * The walker of a payload not written as Bedrock writes it; made at the first such payload (a
   * stream of Bedrock's payloads never needs it).
   */
  private ObjectMembers payload;

  /** The event type last found to be {@code chunk}: the same string is not compared again. */
  private String chunkType;

  /** The decoded JSON, grown as a chunk needs (its first to the length of a stream's start). */
  private byte[] decoded = NONE;

  private byte[] source = NONE;
  private int length;

  /**
   * The whole units of four characters the last payload decoded in one pass began with, kept to 4 ×
   * {@link #keptUnits}: a chunk's units that repeat them (the events of a stream begin alike, and
   * base64 encodes each three bytes in their own unit) are decoded already, in the first 3 × {@link
   * #keptUnits} bytes of {@link #decoded}.
   */
  private byte[] kept = NONE;

  // kept holds only characters of the alphabet, whole units (its length a multiple of four): the
  // JDK's decoder reads it whole (decodeByJdk)

  private int keptUnits;

  /**
   * Decodes the model JSON of {@code frame}; false when the frame is another event or its payload
   * is not that shape (then nothing is to be read).
   */
  boolean read(EventStreamFrame frame) {
    String type = frame.eventType();
    if (type != chunkType) {
      if (!"chunk".equals(type)) {
        return false;
      }
      chunkType = type; // the decoder hands on the same string while the frames' headers repeat
    }
    byte[] bytes = frame.bytes();
    int from = frame.payloadFrom();
    int to = frame.payloadTo();
    if (startsAsBedrockWrites(bytes, from, to)) {
      int end = decodePlain(bytes, from + BYTES_STRING.length, to);
      if (TextTemplate.ends(bytes, padded(bytes, end, to), to)
          || TextTemplate.ends(bytes, TextTemplate.membersAfter(bytes, end, to, BYTES, 1), to)) {
        unchanged = Math.min(shared * 3, length);
        return true;
      }
    }
    unchanged = 0;
    keptUnits = 0; // what is decoded next is not what the kept units decode to
    if (payload == null) {
      payload = new ObjectMembers(PAYLOAD_NAMES);
    }
    if (payload.walk(bytes, from, to) && payload.startsWith(bytes, 0, '"')) {
      length = decode(bytes, payload.start(0) + 1, payload.end(0) - 1);
      if (length >= 0) {
        return true;
      }
    }
    byte[] read = decodedByJdk(bytes, from, to);
    if (read == null) {
      return false;
    }
    decoded = read;
    length = read.length;
    return true;
  }

  /**
   * Where the payload ends when the {@code bytes} string, ending at {@code at}, is followed only by
   * Bedrock's padding as Bedrock writes it, {@code ,"p":"} letters and digits {@code "}}: a member
   * that {@link TextTemplate#membersAfter} accepts too, checked here without its general walk; -1
   * for anything else.
   */
  private static int padded(byte[] bytes, int at, int to) {
    // ,"p" compared as one int, then :" (the name and the quote that opens its value)
    if (at < 0
        || to - at < PADDING.length + 2
        || (int) LITTLE_ENDIAN_INTS.get(bytes, at) != PADDING_START
        || bytes[at + 4] != ':'
        || bytes[at + 5] != '"') {
      return -1;
    }
    int i = at + PADDING.length;
    while (i < to && LETTER_OR_DIGIT[bytes[i] & 0xff]) {
      i++;
    }
    return i + 1 < to && bytes[i] == '"' && bytes[i + 1] == '}' ? i + 2 : -1;
  }

  /**
   * Whether {@code bytes[from, to)} starts with {@code {"bytes":"}, as Bedrock writes a payload:
   * its first eight bytes compared as one long, then the last two.
   */
  private static boolean startsAsBedrockWrites(byte[] bytes, int from, int to) {
    return to - from >= BYTES_STRING.length
        && (long) LITTLE_ENDIAN_LONGS.get(bytes, from) == BYTES_STRING_START
        && bytes[from + 8] == ':'
        && bytes[from + 9] == '"';
  }

  private static final VarHandle LITTLE_ENDIAN_INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  /** The first eight bytes of {@link #BYTES_STRING}, {@code {"bytes"}, as a little-endian long. */
  private static final long BYTES_STRING_START = (long) LITTLE_ENDIAN_LONGS.get(BYTES_STRING, 0);

  /** The first four bytes of {@link #PADDING}, {@code ,"p"}, as a little-endian int. */
  private static final int PADDING_START = (int) LITTLE_ENDIAN_INTS.get(PADDING, 0);

  /** Per byte, whether it is an ASCII letter or digit (the characters of Bedrock's padding). */
  private static final boolean[] LETTER_OR_DIGIT = new boolean[256];

  static {
    for (int b = 0; b < 256; b++) {
      LETTER_OR_DIGIT[b] = isLetterOrDigit((byte) b);
    }
  }

  private static boolean isLetterOrDigit(byte b) {
    return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9';
  }

  /**
   * How many of the first decoded bytes are those the last chunk decoded (by {@link #read}, which
   * returned true) left there: the units of four characters this chunk's string begins with that
   * repeat the last one's decode to the same bytes, in the same place.
   */
  int unchanged() {
    return unchanged;
  }

  private int unchanged;

  /** The units {@link #decodePlain} found in common with the last string decoded in one pass. */
  private int shared;

  /** The decoded JSON: {@link #bytes()} from 0 to {@link #length()}. */
  byte[] bytes() {
    return decoded;
  }

  int length() {
    return length;
  }

  /**
   * Decodes the base64 from {@code src[at]} up to the closing quote of its string into {@link
   * #decoded}, setting {@link #length}; returns where the string ends (after its quote), or -1 when
   * it is not base64 of the alphabet alone, in units of four, the last one of two or three
   * characters unpadded or padded to four with {@code =}, closed by a quote: the strings the JDK's
   * decoder takes without a character it refuses. It decodes them as the JDK's does (the bits of a
   * last unit's final character that make no whole byte are dropped, as there).
   */
  private int decodePlain(byte[] src, int at, int to) {
    int most = (to - at) / 4 * 3 + Long.BYTES;
    if (decoded.length < most) {
      decoded = Arrays.copyOf(decoded, Math.max(most, decoded.length * 2));
    }
    // the units this string shares with the last one decoded are decoded already
    int comparable = Math.min(keptUnits * 4, (to - at) & ~3);
    int differs = Arrays.mismatch(src, at, at + comparable, kept, 0, comparable);
    int same = (differs < 0 ? comparable : differs) / 4;
    shared = same;
    int run = to - at - same * 4 >= JDK_RUN + 2 ? jdkRun(src, at, to) : 0;
    if (run - same * 4 >= JDK_RUN) {
      // a long string: its whole units decoded by the JDK's decoder (an intrinsic) from the
      // first, and kept; when it refuses them (it may have written part of them), decoded here
      // from the first
      same = decodeByJdk(src, at, same, run);
    }
    int units = same;
    byte[] out = decoded;
    int o = units * 3;
    int i = at + units * 4;
    // Two units a step: eight characters read as one long, six bytes written as one (the last
    // two of which the next step overwrites; the buffer has room for them). A character outside
    // the alphabet (the closing quote, padding, or one refused) makes its unit's bits negative.
    for (; i + Long.BYTES <= to; i += Long.BYTES) {
      long chars = (long) LITTLE_ENDIAN_LONGS.get(src, i);
      int first = unit(chars);
      int second = unit(chars >>> 32);
      if ((first | second) < 0) {
        break;
      }
      BIG_ENDIAN_LONGS.set(out, o, (long) first << 40 | (long) second << 16);
      o += 6;
    }
    for (; i + 4 <= to; i += 4) {
      int bits =
          FIRST[src[i] & 0xff]
              | SECOND[src[i + 1] & 0xff]
              | THIRD[src[i + 2] & 0xff]
              | FOURTH[src[i + 3] & 0xff];
      if (bits < 0) {
        break;
      }
      out[o] = (byte) (bits >> 16);
      out[o + 1] = (byte) (bits >> 8);
      out[o + 2] = (byte) bits;
      o += 3;
    }
    keep(src, at + same * 4, i, same);
    int tail = 0;
    int bits = 0;
    while (tail < 3 && i + tail < to && FOURTH[src[i + tail] & 0xff] >= 0) {
      bits = bits << 6 | FOURTH[src[i + tail] & 0xff];
      tail++;
    }
    int j = i + tail;
    if (tail == 2) {
      out[o++] = (byte) (bits >> 4);
      if (j + 1 < to && src[j] == '=' && src[j + 1] == '=') {
        j += 2;
      }
    } else if (tail == 3) {
      out[o] = (byte) (bits >> 10);
      out[o + 1] = (byte) (bits >> 2);
      o += 2;
      if (j < to && src[j] == '=') {
        j++;
      }
    } else if (tail != 0) {
      return -1; // one character alone makes no byte: the JDK refuses it
    }
    if (j >= to || src[j] != '"') {
      return -1;
    }
    length = o;
    return j + 1;
  }

  /**
   * Characters of whole units, not decoded already, from which the JDK's decoder takes a string's
   * units: below, decoding eight characters a step here costs less than its call.
   */
  static final int JDK_RUN = 64;

  /**
   * The characters of the whole units of the base64 string starting at {@code src[at]}, as far as a
   * payload written as Bedrock writes it tells from its end ({@code "}} after the string, or
   * Bedrock's padding member {@code ,"p":"} letters and digits {@code "}}), its last unit left out
   * when it is padded; 0 when the payload does not end so. The characters are not looked at: the
   * JDK's decoder, which refuses any it does not decode, checks them.
   */
  private static int jdkRun(byte[] src, int at, int to) {
    if (to - at < JDK_RUN + 2 || src[to - 1] != '}' || src[to - 2] != '"') {
      return 0;
    }
    int quote = to - 2; // without padding member, the string's closing quote
    int k = to - 3;
    int stop = Math.max(at, to - 3 - MAX_PADDING);
    while (k > stop && isLetterOrDigit(src[k])) {
      k--;
    }
    if (k - 6 >= at
        && src[k] == '"'
        && src[k - 1] == ':'
        && src[k - 2] == '"'
        && src[k - 3] == 'p'
        && src[k - 4] == '"'
        && src[k - 5] == ',') {
      quote = k - 6;
    }
    if (src[quote] != '"') {
      return 0;
    }
    int run = (quote - at) & ~3;
    if (run > 0 && (quote - at & 3) == 0 && src[quote - 1] == '=') {
      run -= 4; // a padded last unit: decoded with the checks of the string's end
    }
    return run;
  }

  /** The longest padding member value looked for from a payload's end. */
  private static final int MAX_PADDING = 128;

  /**
   * Decodes the {@code run} characters at {@code src[at]} (whole units, the first {@code same} of
   * them kept already) into the start of {@link #decoded} with the JDK's decoder, from {@link
   * #kept}: the run is kept there, and the characters after it in the array are all of the alphabet
   * (kept before, or {@code A}s), which the decoder takes whole, so that it decodes the run and
   * bits after it that are not used. Returns the units kept and decoded: the run's, or, when the
   * decoder refuses it (a character out of the alphabet, padding; the run is then replaced by
   * {@code A}s in {@link #kept}), none; or {@code same}, nothing decoded, when {@link #kept} is
   * much longer than the run.
   */
  private int decodeByJdk(byte[] src, int at, int same, int run) {
    if (kept.length < run) {
      grow(run);
    } else if (kept.length > 2 * run + 256) {
      return same; // decoding the characters after it would cost more than the run
    }
    System.arraycopy(src, at + same * 4, kept, same * 4, run - same * 4);
    int most = kept.length / 4 * 3 + Long.BYTES;
    if (decoded.length < most) {
      decoded = Arrays.copyOf(decoded, Math.max(most, decoded.length * 2));
    }
    try {
      DECODER.decode(kept, decoded);
      keptUnits = run / 4;
      return run / 4;
    } catch (IllegalArgumentException e) {
      Arrays.fill(kept, 0, run, (byte) 'A');
      keptUnits = 0;
      return 0;
    }
  }

  /**
   * Makes {@link #kept} at least {@code size} characters long (a multiple of four), the new ones
   * {@code A}s: every character it holds is of the alphabet ({@link #decodeByJdk}).
   */
  private void grow(int size) {
    int old = kept.length;
    kept = Arrays.copyOf(kept, Math.max(size, old * 2));
    Arrays.fill(kept, old, kept.length, (byte) 'A');
  }

  /**
   * Keeps {@code src[from, to)}, whole units decoded into {@link #decoded}, after the first {@code
   * same} units kept.
   */
  private void keep(byte[] src, int from, int to, int same) {
    int start = same * 4;
    int end = start + to - from;
    if (kept.length < end) {
      grow(end);
    }
    System.arraycopy(src, from, kept, start, to - from);
    keptUnits = end / 4;
  }

  /** The 24 bits of the unit of four characters in the low 32 bits of {@code chars}, or -1. */
  private static int unit(long chars) {
    return FIRST[(int) chars & 0xff]
        | SECOND[(int) (chars >>> 8) & 0xff]
        | THIRD[(int) (chars >>> 16) & 0xff]
        | FOURTH[(int) (chars >>> 24) & 0xff];
  }

  /**
   * The model's JSON that the chunk payload {@code bytes[from, to)} carries, read by Jackson and
   * decoded by the JDK's decoder: the slow, general way, for readers that look at a chunk once
   * (content safety's screen, the cache's check of a stored stream); null when the payload is not
   * JSON, has no {@code bytes} string or that string is not base64.
   */
  static byte @Nullable [] decodedByJdk(byte[] bytes, int from, int to) {
    return decodedByJdk(Json.parseOrNull(bytes, from, to - from));
  }

  /**
   * The model's JSON that a chunk payload already read ({@code payload}) carries, as {@link
   * #decodedByJdk(byte[], int, int)} decodes it; null when it is null, has no {@code bytes} string
   * or that string is not base64.
   */
  static byte @Nullable [] decodedByJdk(@Nullable JsonNode payload) {
    JsonNode text = payload == null ? null : payload.get("bytes");
    if (text == null || !text.isTextual()) {
      return null;
    }
    try {
      return Base64.getDecoder().decode(text.textValue());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * Decodes the base64 of {@code src[from, to)} into {@link #decoded} with the JDK's decoder (an
   * intrinsic on most machines; it takes whole arrays only, so the characters are copied into
   * {@link #source}, kept while chunks keep its length); -1 when it is not base64 the JDK decodes.
   */
  private int decode(byte[] src, int from, int to) {
    int chars = to - from;
    if (source.length != chars) {
      source = new byte[chars];
    }
    System.arraycopy(src, from, source, 0, chars);
    int most = (chars + 3) / 4 * 3;
    if (decoded.length < most) {
      decoded = new byte[Math.max(most, decoded.length * 2)];
    }
    try {
      return DECODER.decode(source, decoded);
    } catch (IllegalArgumentException e) {
      return -1;
    }
  }
}
