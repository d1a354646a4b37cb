package dev.aigateway.core.translate;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The translation's view of a provider's event stream: names and data, whatever the reads. */
class SseEventsTest {

  private final List<String> events = new ArrayList<>();
  private final SseEvents reader = new SseEvents((name, data) -> events.add(name + "=" + data));

  @Test
  void eventsAreHandedOnWithTheirNameAndJoinedDataWhicheverWayTheirLinesEnd() {
    byte[] stream =
        ("event: a\r\ndata: 1\r\ndata: 2\r\n\r\n"
                + ": keep-alive\n\n"
                + "data: 3\r\r"
                + "event: empty\n\n"
                + "data:\n\n"
                + "data: last")
            .getBytes(UTF_8);
    for (int cut = 0; cut <= stream.length; cut++) {
      events.clear();
      SseEvents reader = new SseEvents((name, data) -> events.add(name + "=" + data));
      reader.feed(stream, 0, cut);
      reader.feed(stream, cut, stream.length - cut);
      reader.end();

      assertThat(events)
          .as("cut at %d", cut)
          .containsExactly("a=1\n2", "null=3", "null=", "null=last");
      reader.end(); // nothing is left to hand on
      assertThat(events).hasSize(4);
    }
  }

  @Test
  void anEventLargerThanAWholeDocumentFailsTheTranslation() {
    byte[] piece = new byte[1 << 20];
    Arrays.fill(piece, (byte) 'x');
    byte[] start = "data: ".getBytes(UTF_8);
    reader.feed(start, 0, start.length);

    assertThatThrownBy(
            () -> {
              for (int i = 0; i <= SseEvents.MAX_EVENT_BYTES / piece.length; i++) {
                reader.feed(piece, 0, piece.length);
              }
            })
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("larger than " + SseEvents.MAX_EVENT_BYTES + " bytes");
    assertThat(events).isEmpty();
  }
}
