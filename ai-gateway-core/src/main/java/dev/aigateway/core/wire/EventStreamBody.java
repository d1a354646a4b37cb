package dev.aigateway.core.wire;

import dev.aigateway.api.CallOutcome;
import java.io.InputStream;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * A response body in AWS's binary event stream framing ({@code
 * application/vnd.amazon.eventstream}): bytes go to the application straight from the upstream
 * read, unchanged, while an {@link EventStreamDecoder} reads a copy message by message and a {@link
 * MessageReader} learns what each says. Only the message in flight is held, up to {@link
 * EventStreamDecoder#MAX_MESSAGE_BYTES}.
 *
 * <p>What cannot be read is passed on all the same and flagged: a message above the bound ({@link
 * #oversizedMessages()}) is skipped unread; a frame that fails its CRC ({@link #corrupt()}) stops
 * the reading for the rest of the stream, which is then settled on an estimate unless usage came
 * before it. An {@code exception} message (a stream that failed at the backend, {@code
 * throttlingException}, {@code modelStreamErrorException}, ...) is recorded ({@link
 * #exceptionType()}) and leaves the body incomplete, so the call ends {@code TRUNCATED}.
 */
public final class EventStreamBody extends ObservedBody {

  /** The {@code Content-Type} of an AWS event stream. */
  public static final String CONTENT_TYPE = "application/vnd.amazon.eventstream";

  /**
   * Reads one event stream message of a {@link WireFormat}: learns what it says into the readout.
   * Called on the reading thread, once per whole, valid message, in order, with a frame that is
   * valid only during the call.
   */
  @FunctionalInterface
  public interface MessageReader {

    /** Reads {@code message}, which must not be kept. */
    void read(ResponseReadout readout, EventStreamFrame message);

    /**
     * Whether this reader checks a message's CRC itself ({@link EventStreamFrame#checked}) before
     * it learns from the message anything but generated text (which serves only to estimate output
     * tokens when no usage comes): then a message whose headers repeat the last ones read is handed
     * on unchecked, unless the body's bytes are kept for the response cache or its text for the
     * prompt log (then every CRC is checked first). False by default: every CRC is checked before
     * its message is handed on.
     */
    default boolean checksCrcItself() {
      return false;
    }
  }

  private final EventStreamDecoder decoder;
  private final MessageReader reader;

  /** Whether {@link #reader} checks the CRC of a message it relies on itself. */
  private final boolean crcLeftToReader;

  private String exceptionType;

  /** A body whose messages {@code reader} reads, each up to the default bound. */
  public EventStreamBody(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      MessageReader reader) {
    this(upstream, listener, callCanceled, reader, EventStreamDecoder.MAX_MESSAGE_BYTES);
  }

  /** As the public constructor, with another bound on a message (for tests). */
  EventStreamBody(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      MessageReader reader,
      int maxMessageBytes) {
    super(upstream, listener, callCanceled);
    this.reader = Objects.requireNonNull(reader, "reader");
    this.decoder = EventStreamDecoder.ofFrames(this::handle, maxMessageBytes);
    this.crcLeftToReader = reader.checksCrcItself();
  }

  /** Whether {@code contentType} is the AWS event stream's. */
  public static boolean isEventStream(String contentType) {
    return contentType != null
        && contentType.regionMatches(true, 0, CONTENT_TYPE, 0, CONTENT_TYPE.length());
  }

  private void handle(EventStreamFrame message) {
    eventArrived();
    if (message.isException()) {
      if (!message.checked()) {
        return; // the reading stopped, as on any message that fails its CRC
      }
      if (exceptionType == null) {
        exceptionType = message.exceptionType() != null ? message.exceptionType() : "error";
      }
      return;
    }
    if (exceptionType == null) {
      reader.read(readout, message);
    }
  }

  @Override
  protected void passed(byte[] b, int off, int n, int requested) {
    if (!ended()) {
      // a message's content serves only the gateway's estimate unless the bytes are kept for the
      // cache or the text for the prompt log: only then may its reader check its CRC itself
      decoder.leaveCrcToReader(crcLeftToReader && !capturing() && !readout.keepsText());
      decoder.feed(b, off, n);
    }
  }

  /** A stream that reported an exception ends truncated, however it ended. */
  @Override
  protected void upstreamEnded() {
    end(
        readout.complete() && exceptionType == null ? CallOutcome.SUCCESS : CallOutcome.TRUNCATED,
        null);
  }

  /** Whether a frame failed its CRC or framing checks, so that the rest was passed on unread. */
  public boolean corrupt() {
    return decoder.corrupt();
  }

  /** How many messages were passed on unread for being above the bound. */
  public int oversizedMessages() {
    return decoder.oversized();
  }

  /** The {@code :exception-type} of the first exception message, or null when none came. */
  public String exceptionType() {
    return exceptionType;
  }
}
