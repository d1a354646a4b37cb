package dev.aigateway.core.translate;

import dev.aigateway.core.wire.SseEventFramer;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Splits a server-sent events stream into events as its bytes arrive: each event's {@code event:}
 * name (or null) and its {@code data:} lines joined by newlines, handed on at the blank line that
 * ends it (an event without data is skipped). Framed by an {@link SseEventFramer}: lines end in LF,
 * CRLF or CR; comments and other fields are skipped; an event is held up to {@link
 * #MAX_EVENT_BYTES}, and a larger one fails the translation (its bytes cannot be passed on as they
 * are in another protocol's stream).
 */
final class SseEvents {

  /** The largest event translated: as large as a whole document translated. */
  static final int MAX_EVENT_BYTES = TranslatedDocument.MAX_BYTES;

  private static final byte[] EVENT_FIELD = {'e', 'v', 'e', 'n', 't'};

  private final BiConsumer<@Nullable String, String> events;
  private final Framer framer = new Framer();

  SseEvents(BiConsumer<@Nullable String, String> events) {
    this.events = events;
  }

  /** The next bytes of the stream: every event they complete is handed on. */
  void feed(byte[] bytes, int from, int length) {
    framer.append(bytes, from, length);
  }

  /** The stream ended: an event not ended by its blank line is handed on all the same. */
  void end() {
    framer.end();
  }

  private final class Framer extends SseEventFramer {

    Framer() {
      super(SseEvents.MAX_EVENT_BYTES); // named: the framer's own bound is inherited here
    }

    @Override
    protected void event(
        byte[] buffer, int start, int end, int dataLines, int dataFrom, int dataTo) {
      if (dataLines == 0) {
        return;
      }
      String data;
      if (dataLines == 1) {
        data = new String(buffer, dataFrom, dataTo - dataFrom, StandardCharsets.UTF_8);
      } else {
        SseEventFramer.Data joined = SseEventFramer.dataOf(buffer, start, end);
        data =
            new String(
                joined.bytes(), joined.from(), joined.to() - joined.from(), StandardCharsets.UTF_8);
      }
      events.accept(SseEventFramer.fieldValue(buffer, start, end, EVENT_FIELD), data);
    }

    @Override
    protected void oversized(byte[] buffer, int from, int to) {
      throw new IllegalStateException(
          "an event of the backend's stream is larger than "
              + SseEvents.MAX_EVENT_BYTES
              + " bytes");
    }

    @Override
    protected void separator(byte[] buffer, int from, int to, boolean ofEvent) {
      // Nothing to pass on: the events are translated.
    }
  }
}
