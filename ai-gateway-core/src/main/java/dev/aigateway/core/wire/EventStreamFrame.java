package dev.aigateway.core.wire;

import java.util.Arrays;

/**
 * One AWS event stream message as {@link EventStreamDecoder} reads it for the gateway's own
 * readers: the string headers they look at and the payload, in place in the decoder's buffer, with
 * nothing copied. A frame is a view that the decoder reuses for the next message: it is valid only
 * during the call it is handed to, and must not be kept. {@link EventStreamMessage} is the
 * immutable message, with every header.
 */
public final class EventStreamFrame {

  private String messageType;
  private String eventType;
  private String exceptionType;
  private byte[] bytes;
  private int payloadFrom;
  private int payloadTo;

  EventStreamFrame() {}

  /** A frame of {@code message}, its payload not copied. */
  static EventStreamFrame of(EventStreamMessage message) {
    EventStreamFrame frame = new EventStreamFrame();
    byte[] payload = message.payloadBytes();
    frame.set(message.messageType(), message.eventType(), message.exceptionType());
    frame.payload(payload, 0, payload.length);
    return frame;
  }

  void set(String messageType, String eventType, String exceptionType) {
    this.messageType = messageType;
    this.eventType = eventType;
    this.exceptionType = exceptionType;
    this.exception = "exception".equals(messageType) || "error".equals(messageType);
  }

  /**
   * Whether {@link #messageType} is {@code exception} or {@code error}: found when the types are
   * set (once per headers read, where frames whose headers repeat are asked it one by one).
   */
  private boolean exception;

  void payload(byte[] bytes, int from, int to) {
    this.bytes = bytes;
    this.payloadFrom = from;
    this.payloadTo = to;
  }

  /**
   * The decoder that handed this frame on without checking its message's CRC, the message's place
   * in {@link #bytes} and its length; null when the CRC was checked before the frame was handed on.
   */
  private EventStreamDecoder uncheckedBy;

  private int messageFrom;
  private int messageLength;

  /** Whether the CRC checked by {@link #checked} did not match. */
  private boolean failed;

  void unchecked(EventStreamDecoder decoder, int from, int length) {
    this.uncheckedBy = decoder;
    this.messageFrom = from;
    this.messageLength = length;
    this.failed = false;
  }

  /**
   * Whether the message's CRC matches, checked now when the decoder handed the frame on without
   * checking it (a frame reader that asked for this checks it before it relies on anything but what
   * an unchecked message may serve: {@link EventStreamDecoder#leaveCrcToReader}). When it does not
   * match, the decoder stops as it stops on a message that fails its CRC before it is handed on:
   * the frame must not be read further, and nothing after it is handed on.
   */
  boolean checked() {
    EventStreamDecoder decoder = uncheckedBy;
    if (decoder != null) {
      uncheckedBy = null;
      failed = !decoder.checkHandedOn(bytes, messageFrom, messageLength);
    }
    return !failed;
  }

  /** The length of the whole message (prelude, headers, payload and CRC). */
  int messageLength() {
    return messageLength;
  }

  /** Whether the message's CRC is not checked yet ({@link #checked}). */
  boolean unchecked() {
    return uncheckedBy != null;
  }

  /** {@code :message-type}: {@code event}, {@code exception} or {@code error}; null when absent. */
  public String messageType() {
    return messageType;
  }

  /** {@code :event-type} of an event, for example {@code contentBlockDelta} or {@code chunk}. */
  public String eventType() {
    return eventType;
  }

  /** {@code :exception-type} of an exception, for example {@code throttlingException}. */
  public String exceptionType() {
    return exceptionType;
  }

  /** Whether the message reports a failure: an {@code exception} or {@code error} message. */
  public boolean isException() {
    return exception;
  }

  /** A copy of the payload. */
  public byte[] payload() {
    return Arrays.copyOfRange(bytes, payloadFrom, payloadTo);
  }

  /** The array the payload lies in, from {@link #payloadFrom} to {@link #payloadTo}. */
  byte[] bytes() {
    return bytes;
  }

  int payloadFrom() {
    return payloadFrom;
  }

  int payloadTo() {
    return payloadTo;
  }

  @Override
  public String toString() {
    // Payloads are application content: never print them.
    return "EventStreamFrame{"
        + messageType
        + " "
        + (isException() ? exceptionType : eventType)
        + ", "
        + (payloadTo - payloadFrom)
        + " payload bytes}";
  }
}
