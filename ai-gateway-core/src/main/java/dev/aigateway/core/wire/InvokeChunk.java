package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * The model's JSON in one chunk of Bedrock's InvokeModelWithResponseStream: a {@code chunk} event
 * whose payload is {@code {"bytes":"<base64>"}} (Bedrock may add a padding member, {@code "p"}).
 *
 * <p>A payload written as Bedrock writes it ({@code {"bytes":"} first, the base64 without escapes
 * or line breaks, padded as RFC 4648 says or not at all, then members of other names) is decoded
 * in one pass over its bytes, the base64 checked as it is decoded, into a buffer reused from chunk
 * to chunk; the members after it are walked as {@link ObjectMembers} walks them. Any other payload
 * is walked by {@link ObjectMembers} and its base64 decoded by the JDK's decoder, or, written
 * otherwise still (escapes in the string, characters the decoder refuses), read by Jackson and
 * decoded from the string. What is decoded is the same each way: the one-pass decoder takes only
 * what the JDK's takes, and decodes it as it does. One per stream; it serves one thread.
 */
final class InvokeChunk {

  private static final byte[] BYTES = ObjectMembers.quoted("bytes");

  /** How Bedrock's payload starts: the {@code bytes} member's name and its string's quote. */
  private static final byte[] BYTES_STRING = "{\"bytes\":\"".getBytes(StandardCharsets.US_ASCII);

  private static final Base64.Decoder DECODER = Base64.getDecoder();

  /** Per byte, its 6 bits in base64's alphabet (RFC 4648, not URL-safe), or -1. */
  private static final int[] SIXTETS = new int[256];

  static {
    Arrays.fill(SIXTETS, -1);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int k = 0; k < alphabet.length(); k++) {
      SIXTETS[alphabet.charAt(k)] = k;
    }
  }

  private final ObjectMembers payload = new ObjectMembers(BYTES);
  private byte[] decoded = new byte[512];
  private byte[] source = new byte[0];
  private int length;

  /**
   * Decodes the model JSON of {@code frame}; false when the frame is another event or its payload
   * is not that shape (then nothing is to be read).
   */
  boolean read(EventStreamFrame frame) {
    if (!"chunk".equals(frame.eventType())) {
      return false;
    }
    byte[] bytes = frame.bytes();
    int from = frame.payloadFrom();
    int to = frame.payloadTo();
    if (StrictJson.startsWith(bytes, from, to, BYTES_STRING)) {
      int end = decodePlain(bytes, from + BYTES_STRING.length, to);
      if (TextTemplate.ends(bytes, TextTemplate.membersAfter(bytes, end, to, BYTES, 1), to)) {
        return true;
      }
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
    int most = (to - at) / 4 * 3 + 3;
    if (decoded.length < most) {
      decoded = new byte[Math.max(most, decoded.length * 2)];
    }
    byte[] out = decoded;
    int[] sixtets = SIXTETS;
    int o = 0;
    int i = at;
    for (; i + 4 <= to; i += 4) {
      int bits =
          sixtets[src[i] & 0xff] << 18
              | sixtets[src[i + 1] & 0xff] << 12
              | sixtets[src[i + 2] & 0xff] << 6
              | sixtets[src[i + 3] & 0xff];
      if (bits < 0) {
        break; // a character outside the alphabet: the quote, padding, or one refused
      }
      out[o] = (byte) (bits >> 16);
      out[o + 1] = (byte) (bits >> 8);
      out[o + 2] = (byte) bits;
      o += 3;
    }
    int tail = 0;
    int bits = 0;
    while (tail < 3 && i + tail < to && sixtets[src[i + tail] & 0xff] >= 0) {
      bits = bits << 6 | sixtets[src[i + tail] & 0xff];
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

  private static byte[] decodedByJdk(byte[] bytes, int from, int to) {
    JsonNode event = Json.parseOrNull(bytes, from, to - from);
    JsonNode text = event == null ? null : event.get("bytes");
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
