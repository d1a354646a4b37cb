package dev.aigateway.core.wire;

import java.io.ByteArrayOutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * One message of an AWS event stream ({@code application/vnd.amazon.eventstream}), the binary
 * framing of Amazon Bedrock's ConverseStream and InvokeModelWithResponseStream responses: a prelude
 * (total length, headers length, both big-endian 32-bit, and the prelude's CRC32), typed headers,
 * the payload, and the CRC32 of everything before it.
 *
 * <p>Header values keep their wire type as a Java type: {@code Boolean} (types 0 and 1), {@code
 * Byte} (2), {@code Short} (3), {@code Integer} (4), {@code Long} (5), {@code byte[]} (6), {@code
 * String} (7), {@link Instant} (8, milliseconds since the epoch) and {@link UUID} (9). Immutable.
 * {@link EventStreamDecoder} reads messages incrementally; {@link #encode()} writes one.
 */
public final class EventStreamMessage {

  /** The bytes of the prelude: total length, headers length, prelude CRC. */
  static final int PRELUDE_BYTES = 12;

  /** The smallest message: a prelude and a message CRC, no headers, no payload. */
  static final int MIN_BYTES = PRELUDE_BYTES + 4;

  private final Map<String, Object> headers;
  private final byte[] payload;

  /**
   * A message of {@code headers} (in order; values of the types listed above) and {@code payload}.
   *
   * @throws IllegalArgumentException for a header name longer than 255 UTF-8 bytes or a value of
   *     another type
   */
  public EventStreamMessage(Map<String, ?> headers, byte[] payload) {
    Map<String, Object> copy = new LinkedHashMap<>();
    headers.forEach(
        (name, value) -> {
          if (name.getBytes(StandardCharsets.UTF_8).length > 255) {
            throw new IllegalArgumentException("an event stream header name is at most 255 bytes");
          }
          if (!(value instanceof Boolean
              || value instanceof Byte
              || value instanceof Short
              || value instanceof Integer
              || value instanceof Long
              || value instanceof byte[]
              || value instanceof String
              || value instanceof Instant
              || value instanceof UUID)) {
            throw new IllegalArgumentException(
                "header " + name + " has a value no event stream header type holds: " + value);
          }
          copy.put(name, value);
        });
    this.headers = Collections.unmodifiableMap(copy);
    this.payload = Objects.requireNonNull(payload, "payload").clone();
  }

  private EventStreamMessage(byte[] payload, Map<String, Object> headers) {
    this.headers = Collections.unmodifiableMap(headers);
    this.payload = payload;
  }

  /**
   * A message of headers and a payload the decoder read (valid, and no one else's): both taken as
   * they are, not copied.
   */
  static EventStreamMessage read(Map<String, Object> headers, byte[] payload) {
    return new EventStreamMessage(payload, headers);
  }

  /**
   * An event: {@code :message-type} {@code event}, {@code :event-type} {@code eventType}, {@code
   * :content-type} {@code application/json}, and a JSON payload.
   */
  public static EventStreamMessage event(String eventType, byte[] jsonPayload) {
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put(":event-type", eventType);
    headers.put(":content-type", "application/json");
    headers.put(":message-type", "event");
    return new EventStreamMessage(headers, jsonPayload);
  }

  /** The headers, in the order they came. */
  public Map<String, Object> headers() {
    return headers;
  }

  /** A header's value if it is a string, else null. */
  public String stringHeader(String name) {
    return headers.get(name) instanceof String value ? value : null;
  }

  /** {@code :message-type}: {@code event}, {@code exception} or {@code error}; null when absent. */
  public String messageType() {
    return stringHeader(":message-type");
  }

  /** {@code :event-type} of an event, for example {@code contentBlockDelta} or {@code chunk}. */
  public String eventType() {
    return stringHeader(":event-type");
  }

  /** {@code :exception-type} of an exception, for example {@code throttlingException}. */
  public String exceptionType() {
    return stringHeader(":exception-type");
  }

  /** {@code :content-type} of the payload. */
  public String contentType() {
    return stringHeader(":content-type");
  }

  /** Whether the message reports a failure: an {@code exception} or {@code error} message. */
  public boolean isException() {
    String type = messageType();
    return "exception".equals(type) || "error".equals(type);
  }

  /**
   * The HTTP status Amazon Bedrock documents for the failure this message reports (the exceptions
   * of ConverseStream's and InvokeModelWithResponseStream's streams): 400 for {@code
   * validationException}, 408 for {@code modelTimeoutException}, 424 for {@code
   * modelStreamErrorException}, 429 for {@code throttlingException} (any type that names
   * throttling), 503 for {@code serviceUnavailableException}, 500 for {@code
   * internalServerException}, any other exception and an {@code error} message; 0 when the message
   * reports no failure ({@link #isException}).
   */
  public int exceptionStatus() {
    if (!isException()) {
      return 0;
    }
    String type = exceptionType();
    String lower = type == null ? "" : type.toLowerCase(Locale.ROOT);
    if (lower.contains("throttl")) {
      return 429;
    }
    return switch (lower) {
      case "validationexception" -> 400;
      case "modeltimeoutexception" -> 408;
      case "modelstreamerrorexception" -> 424;
      case "serviceunavailableexception" -> 503;
      default -> 500;
    };
  }

  /** The payload (a copy). */
  public byte[] payload() {
    return payload.clone();
  }

  /** The payload bytes themselves, for readers in this package. */
  byte[] payloadBytes() {
    return payload;
  }

  /** The message as it goes on the wire, both CRCs computed. */
  public byte[] encode() {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    headers.forEach((name, value) -> writeHeader(head, name, value));
    byte[] headerBytes = head.toByteArray();
    int total = PRELUDE_BYTES + headerBytes.length + payload.length + 4;
    byte[] out = new byte[total];
    putInt(out, 0, total);
    putInt(out, 4, headerBytes.length);
    putInt(out, 8, crc(out, 0, 8));
    System.arraycopy(headerBytes, 0, out, PRELUDE_BYTES, headerBytes.length);
    System.arraycopy(payload, 0, out, PRELUDE_BYTES + headerBytes.length, payload.length);
    putInt(out, total - 4, crc(out, 0, total - 4));
    return out;
  }

  private static void writeHeader(ByteArrayOutputStream out, String name, Object value) {
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    out.write(nameBytes.length);
    out.writeBytes(nameBytes);
    if (value instanceof Boolean b) {
      out.write(b ? 0 : 1);
    } else if (value instanceof Byte b) {
      out.write(2);
      out.write(b);
    } else if (value instanceof Short s) {
      out.write(3);
      writeLong(out, s, 2);
    } else if (value instanceof Integer i) {
      out.write(4);
      writeLong(out, i, 4);
    } else if (value instanceof Long l) {
      out.write(5);
      writeLong(out, l, 8);
    } else if (value instanceof byte[] bytes) {
      out.write(6);
      writeLong(out, bytes.length, 2);
      out.writeBytes(bytes);
    } else if (value instanceof String s) {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      out.write(7);
      writeLong(out, bytes.length, 2);
      out.writeBytes(bytes);
    } else if (value instanceof Instant t) {
      out.write(8);
      writeLong(out, t.toEpochMilli(), 8);
    } else if (value instanceof UUID u) {
      out.write(9);
      writeLong(out, u.getMostSignificantBits(), 8);
      writeLong(out, u.getLeastSignificantBits(), 8);
    }
  }

  private static void writeLong(ByteArrayOutputStream out, long value, int bytes) {
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
      out.write((int) (value >>> shift) & 0xff);
    }
  }

  static void putInt(byte[] b, int at, int value) {
    b[at] = (byte) (value >>> 24);
    b[at + 1] = (byte) (value >>> 16);
    b[at + 2] = (byte) (value >>> 8);
    b[at + 3] = (byte) value;
  }

  static int getInt(byte[] b, int at) {
    return (int) BIG_ENDIAN_INTS.get(b, at); // one load, where four bytes assembled took four
  }

  private static final VarHandle BIG_ENDIAN_INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

  static int crc(byte[] b, int from, int length) {
    CRC32 crc = new CRC32();
    crc.update(b, from, length);
    return (int) crc.getValue();
  }

  @Override
  public String toString() {
    // Payloads are application content: never print them.
    return "EventStreamMessage{"
        + messageType()
        + " "
        + (isException() ? exceptionType() : eventType())
        + ", "
        + payload.length
        + " payload bytes}";
  }
}
