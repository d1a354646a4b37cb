package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Base64;

/**
 * The model's JSON in one chunk of Bedrock's InvokeModelWithResponseStream: a {@code chunk} event
 * whose payload is {@code {"bytes":"<base64>"}} (Bedrock may add a padding member, {@code "p"}).
 * The payload is read on its bytes ({@link ObjectMembers}) and the base64 decoded by the JDK's
 * decoder (an intrinsic on most machines) into a buffer reused from chunk to chunk; the decoder
 * takes whole arrays only, so the characters are copied into an array kept while chunks keep its
 * length. A payload written otherwise (escapes in the string, characters the decoder refuses) is
 * read by Jackson and decoded from the string, and what is decoded is the same: a string without
 * escapes is its bytes. One per stream; it serves one thread.
 */
final class InvokeChunk {

  private static final byte[] BYTES = ObjectMembers.quoted("bytes");
  private static final Base64.Decoder DECODER = Base64.getDecoder();

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
