package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link EventStreamFramer}: every byte handed on once, in order, messages whole. */
class EventStreamFramerTest {

  private static byte[] frame(String eventType, String json) {
    return EventStreamMessage.event(eventType, json.getBytes(StandardCharsets.UTF_8)).encode();
  }

  /** What a framer handed on: the bytes in order, and each piece as message or unread. */
  private static final class Recording extends EventStreamFramer {
    final ByteArrayOutputStream all = new ByteArrayOutputStream();
    final List<String> pieces = new ArrayList<>();

    Recording(int max) {
      super(max);
    }

    @Override
    protected void message(byte[] bytes, int from, int to, EventStreamFrame frame) {
      all.write(bytes, from, to - from);
      pieces.add(frame.eventType() + ":" + (to - from));
    }

    @Override
    protected void unread(byte[] bytes, int from, int to) {
      all.write(bytes, from, to - from);
      if (!pieces.isEmpty() && pieces.get(pieces.size() - 1).startsWith("unread:")) {
        int before = Integer.parseInt(pieces.remove(pieces.size() - 1).substring(7));
        pieces.add("unread:" + (before + to - from));
      } else {
        pieces.add("unread:" + (to - from));
      }
    }
  }

  private static Recording fed(byte[] stream, int max, Random random) {
    Recording framer = new Recording(max);
    int at = 0;
    while (at < stream.length) {
      int n = Math.min(stream.length - at, 1 + random.nextInt(40));
      framer.append(stream, at, n);
      at += n;
    }
    framer.end();
    return framer;
  }

  @Test
  void messagesAnOversizedOneAndACutTailAreHandedOnInOrderWhateverThePieces() {
    byte[] a = frame("contentBlockDelta", "{\"delta\":{\"text\":\"Hello\"}}");
    byte[] big = frame("contentBlockDelta", "{\"delta\":{\"text\":\"" + "x".repeat(200) + "\"}}");
    byte[] b = frame("messageStop", "{\"stopReason\":\"end_turn\"}");
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.writeBytes(a);
    stream.writeBytes(big);
    stream.writeBytes(b);
    stream.write(b, 0, 20); // a message the stream ended inside
    byte[] bytes = stream.toByteArray();
    for (int seed = 0; seed < 50; seed++) {
      Recording framer = fed(bytes, 200, new Random(seed));
      assertThat(framer.all.toByteArray()).isEqualTo(bytes);
      assertThat(framer.pieces)
          .containsExactly(
              "contentBlockDelta:" + a.length,
              "unread:" + big.length,
              "messageStop:" + b.length,
              "unread:20");
    }
  }

  @Test
  void theRestOfAStreamAfterACorruptFrameIsHandedOnUnread() {
    byte[] a = frame("contentBlockDelta", "{\"delta\":{\"text\":\"Hello\"}}");
    byte[] bad = frame("contentBlockDelta", "{\"delta\":{\"text\":\"there\"}}");
    bad[bad.length - 1] ^= 1; // its message CRC
    byte[] b = frame("messageStop", "{}");
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.writeBytes(a);
    stream.writeBytes(bad);
    stream.writeBytes(b);
    byte[] bytes = stream.toByteArray();
    for (int seed = 0; seed < 50; seed++) {
      Recording framer = fed(bytes, 1 << 20, new Random(seed));
      assertThat(framer.all.toByteArray()).isEqualTo(bytes);
      assertThat(framer.corrupt()).isTrue();
      assertThat(framer.pieces)
          .containsExactly("contentBlockDelta:" + a.length, "unread:" + (bad.length + b.length));
    }
  }
}
