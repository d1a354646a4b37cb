package dev.aigateway.benchmarks;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link StreamLayerCost}: every way of reading reads the whole stream, line by line. */
class StreamLayerCostTest {

  @Test
  void everyWayReadsEveryLineOfTheStream() throws Exception {
    byte[] events = CannedBackend.EVENTS_WITH_USAGE;
    int[] ends = LoopbackBackend.eventEnds(events);
    String text = new String(events, UTF_8);
    long characters = text.replace("\n", "").length(); // the lines without their line feeds

    for (String way : StreamLayerCost.WAYS) {
      assertThat(StreamLayerCost.readLines(way, events, ends)).as(way).isEqualTo(characters);
    }
  }

  @Test
  void streamsReadInReadsOfAnySizeAreReadWhole() throws Exception {
    byte[] events = "data: a\n\ndata: bc\n\ndata: [DONE]\n\n".getBytes(UTF_8);
    int[] everyByte = new int[events.length];
    for (int i = 0; i < events.length; i++) {
      everyByte[i] = i + 1;
    }

    for (String way : StreamLayerCost.WAYS) {
      assertThat(StreamLayerCost.readLines(way, events, everyByte)).as(way).isEqualTo(27);
    }
  }

  @Test
  void anUnknownWayIsRefused() {
    assertThatThrownBy(() -> StreamLayerCost.readLines("mapped", new byte[0], new int[0]))
        .hasMessageContaining("no such way: mapped");
  }

  @Test
  void mainRunsItsRounds() throws Exception {
    StreamLayerCost.main(new String[] {"20", "2"}); // throws when the ways read different text
  }
}
