package dev.aigateway.core.translate;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Splits a server-sent events stream into events as its bytes arrive: each event's {@code event:}
 * name (or null) and its {@code data:} lines joined by newlines, handed on at the blank line that
 * ends it. Lines end in LF or CRLF; comments and other fields are skipped.
 */
final class SseEvents {

  private final BiConsumer<@Nullable String, String> events;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private @Nullable String name;
  private @Nullable StringBuilder data;

  SseEvents(BiConsumer<@Nullable String, String> events) {
    this.events = events;
  }

  void feed(byte[] bytes, int from, int length) {
    for (int i = from; i < from + length; i++) {
      byte b = bytes[i];
      if (b == '\n') {
        line(line.toString(StandardCharsets.UTF_8));
        line.reset();
      } else {
        line.write(b);
      }
    }
  }

  /** The stream ended: an event not ended by its blank line is handed on all the same. */
  void end() {
    if (line.size() > 0) {
      line(line.toString(StandardCharsets.UTF_8));
      line.reset();
    }
    line("");
  }

  private void line(String text) {
    String l = text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    if (l.isEmpty()) {
      if (data != null) {
        events.accept(name, data.toString());
      }
      name = null;
      data = null;
      return;
    }
    if (l.startsWith(":")) {
      return;
    }
    int colon = l.indexOf(':');
    String field = colon < 0 ? l : l.substring(0, colon);
    String value = colon < 0 ? "" : l.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    if (field.equals("event")) {
      name = value;
    } else if (field.equals("data")) {
      if (data == null) {
        data = new StringBuilder(value);
      } else {
        data.append('\n').append(value);
      }
    }
  }
}
