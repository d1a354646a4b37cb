package dev.aigateway.core.translate;

import dev.aigateway.core.wire.GoogleRetryInfo;
import java.time.Duration;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A decoder of one backend protocol's stream into OpenAI chunks, which ends the OpenAI stream with
 * the backend's error event in OpenAI's error shape and keeps that event's own status and data for
 * the call to judge the attempt by ({@link #errorEventStatus}, {@link #errorEventRetryDelay}):
 * OpenAI's error event names no status, so a Gemini 503, an Anthropic {@code overloaded_error} or a
 * Bedrock {@code serviceUnavailableException} would otherwise all read as {@code server_error}'s
 * 500. Not thread-safe, as every decoder; the kept error is read on any thread.
 */
abstract class ChunkDecoder implements StreamDecoder {

  /** Where the OpenAI chunks go. */
  final ChunkWriter chunks;

  /** The stream's translator: its protocol and its error shape. */
  final Translator translator;

  /** The backend's error event that ended the stream, once one did. */
  private volatile @Nullable EndingError endingError;

  private record EndingError(int status, byte[] data) {}

  ChunkDecoder(Translator translator, ChunkWriter chunks) {
    this.translator = translator;
    this.chunks = chunks;
  }

  /**
   * Ends the OpenAI stream with the backend's error event, as OpenAI's error, status kept; the
   * event's own status and data are kept for {@link #errorEventStatus} and {@link
   * #errorEventRetryDelay}. Nothing once the stream is done.
   *
   * @param status the status the backend's protocol gives the error
   * @param data the error event's payload
   * @param headers the error's headers, as the translator's error shape reads them
   */
  final void error(int status, byte[] data, Function<String, @Nullable String> headers) {
    if (chunks.isDone()) {
      return;
    }
    endingError = new EndingError(status, data);
    chunks.error(translator.errorBody(status, data, headers));
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
}
