package dev.aigateway.core.translate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * A decoder of a server-sent events stream whose events each carry one JSON document (Anthropic's
 * and Gemini's streams): the stream is split into events as its bytes arrive, and each event, until
 * the OpenAI stream is done, is handed to {@link #event}. Not thread-safe, as every decoder.
 */
abstract class SseDecoder extends ChunkDecoder {

  private final SseEvents events = new SseEvents(this::accept);

  /**
   * @param translator the stream's translator: its protocol and its error shape
   */
  SseDecoder(Translator translator, ChunkWriter chunks) {
    super(translator, chunks);
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

  /** Ends the OpenAI stream with the backend's error event ({@link ChunkDecoder#error}). */
  final void error(int status, String data) {
    error(status, data.getBytes(StandardCharsets.UTF_8), header -> null);
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
