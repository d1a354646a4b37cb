package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Base64;

/**
 * The model's JSON in one chunk of Bedrock's InvokeModelWithResponseStream: a {@code chunk} event
 * whose payload is {@code {"bytes":"<base64>"}} (Bedrock may add a padding member, {@code "p"}).
 * The payload is read on its bytes ({@link ObjectMembers}) and the base64 decoded into a buffer
 * reused from chunk to chunk, so a chunk costs no tree, no string and no array; a payload written
 * otherwise (escapes in the string, no padding where it belongs) is read by Jackson and the JDK's
 * decoder, and what is decoded is the same. One per stream; it serves one thread.
 *
 * <p>The JDK's {@link Base64.Decoder} decodes only into an array of its own or from a whole array,
 * so the common case is decoded here (standard alphabet, whole quanta, padding only at the end) and
 * anything else is left to it.
 */
final class InvokeChunk {

  private static final byte[] BYTES = ObjectMembers.quoted("bytes");
  private static final int[] ALPHABET = new int[128];

  static {
    Arrays.fill(ALPHABET, -1);
    String letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < letters.length(); i++) {
      ALPHABET[letters.charAt(i)] = i;
    }
  }

  private final ObjectMembers payload = new ObjectMembers(BYTES);
  private byte[] decoded = new byte[512];
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
    if (payload.walk(bytes, frame.payloadFrom(), frame.payloadTo())
        && payload.startsWith(bytes, 0, '"')) {
      length = decode(bytes, payload.start(0) + 1, payload.end(0) - 1);
      if (length >= 0) {
        return true;
      }
    }
    byte[] read = decodedByJdk(bytes, frame.payloadFrom(), frame.payloadTo());
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
   * Decodes the base64 of {@code src[from, to)} into {@link #decoded}; -1 when it is not whole
   * quanta of the standard alphabet with padding only at its end.
   */
  private int decode(byte[] src, int from, int to) {
    int chars = to - from;
    if (chars % 4 != 0) {
      return -1;
    }
    int most = chars / 4 * 3;
    if (decoded.length < most) {
      decoded = new byte[Math.max(most, decoded.length * 2)];
    }
    int out = 0;
    for (int i = from; i < to; i += 4) {
      int a = sextet(src[i]);
      int b = sextet(src[i + 1]);
      boolean last = i + 4 == to;
      if (last && src[i + 3] == '=') {
        if (src[i + 2] == '=') {
          if ((a | b) < 0) {
            return -1;
          }
          decoded[out++] = (byte) (a << 2 | b >> 4);
          return out;
        }
        int c = sextet(src[i + 2]);
        if ((a | b | c) < 0) {
          return -1;
        }
        decoded[out++] = (byte) (a << 2 | b >> 4);
        decoded[out++] = (byte) (b << 4 | c >> 2);
        return out;
      }
      int c = sextet(src[i + 2]);
      int d = sextet(src[i + 3]);
      if ((a | b | c | d) < 0) {
        return -1;
      }
      int bits = a << 18 | b << 12 | c << 6 | d;
      decoded[out++] = (byte) (bits >> 16);
      decoded[out++] = (byte) (bits >> 8);
      decoded[out++] = (byte) bits;
    }
    return out;
  }

  private static int sextet(byte b) {
    return b < 0 ? -1 : ALPHABET[b];
  }
}
