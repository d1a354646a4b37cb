package dev.aigateway.core.translate;

import dev.aigateway.core.wire.GoogleRetryInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A decoder of a server-sent events stream whose events each carry one JSON document (Anthropic's
 * and Gemini's streams): the stream is split into events as its bytes arrive, and each event, until
 * the OpenAI stream is done, is handed to {@link #event}. Not thread-safe, as every decoder.
 */
abstract class SseDecoder implements StreamDecoder {

  /** Where the OpenAI chunks go. */
  final ChunkWriter chunks;

  private final Translator translator;
  private final SseEvents events = new SseEvents(this::accept);

  /**
   * @param translator the stream's translator: its protocol and its error shape
   */
  SseDecoder(Translator translator, ChunkWriter chunks) {
    this.translator = translator;
    this.chunks = chunks;
  }

  @Override
  public void feed(byte[] bytes, int from, int length) {
    events.feed(bytes, from, length);
  }

  @Override
  public void end() {
    events.end();
  }

  /**
   * One event of the stream.
   *
   * @param name the event's {@code event:} name, null when it has none
   * @param data the event's data: JSON
   * @throws IOException when the data is not JSON
   */
  abstract void event(@Nullable String name, String data) throws IOException;

  /**
   * The backend's error event that ended the stream, once one did: its status and data, read by
   * {@link #errorEventStatus} and {@link #errorEventRetryDelay}.
   */
  private volatile @Nullable EndingError endingError;

  private record EndingError(int status, byte[] data) {}

  /**
   * Ends the OpenAI stream with the backend's error event, as OpenAI's error, status kept; the
   * event's own status and data are kept for the call to judge the attempt by ({@link
   * #errorEventStatus}), as OpenAI's error shape has no room for them.
   */
  final void error(int status, String data) {
    if (chunks.isDone()) {
      return;
    }
    byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
    endingError = new EndingError(status, bytes);
    chunks.error(translator.errorBody(status, bytes, header -> null));
  }

  @Override
  public int errorEventStatus() {
    EndingError error = endingError;
    return error == null ? 0 : error.status();
  }

  @Override
  public @Nullable Duration errorEventRetryDelay() {
    EndingError error = endingError;
    return error == null ? null : GoogleRetryInfo.retryDelay(error.data(), error.data().length);
  }

  private void accept(@Nullable String name, String data) {
    if (chunks.isDone()) {
      return;
    }
    try {
      event(name, data);
    } catch (IOException e) {
      throw new IllegalStateException(
          "an event of the " + translator.protocol() + " stream is not JSON", e);
    }
  }
}
