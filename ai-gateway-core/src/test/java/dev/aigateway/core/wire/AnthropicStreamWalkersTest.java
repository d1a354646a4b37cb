package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Anthropic's stream readers share one set of walkers per thread ({@link
 * AnthropicUsage.StreamReader.Walkers}), lent for one event's reading: readers of several streams
 * read in turn on one thread, or on several threads at once, learn what reading every event as a
 * Jackson tree learns, and a set lent already is not lent again.
 */
class AnthropicStreamWalkersTest {

  @Test
  void streamsReadEventByEventInTurnOnOneThreadLearnWhatTheirTreesTeach() {
    Random random = new Random(2024);
    for (int run = 0; run < 300; run++) {
      int streams = 2 + random.nextInt(4);
      List<List<String>> events = new ArrayList<>();
      List<AnthropicUsage.StreamReader> onBytes = new ArrayList<>();
      List<AnthropicUsage.StreamReader> onTrees = new ArrayList<>();
      List<ResponseReadout> bytes = new ArrayList<>();
      List<ResponseReadout> trees = new ArrayList<>();
      for (int s = 0; s < streams; s++) {
        events.add(StreamTemplatesTest.anthropicEvents(random, 12));
        onBytes.add(new AnthropicUsage.StreamReader());
        onTrees.add(new AnthropicUsage.StreamReader());
        bytes.add(new ResponseReadout());
        trees.add(new ResponseReadout());
      }
      for (int e = 0; e < 12; e++) {
        for (int s = 0; s < streams; s++) {
          String event = events.get(s).get(e);
          read(onBytes.get(s), bytes.get(s), onTrees.get(s), trees.get(s), event);
          ByteReadersTest.assertSame(
              "run " + run + ", stream " + s + ", " + event, bytes.get(s), trees.get(s));
        }
      }
    }
  }

  @Test
  void streamsReadOnSeveralThreadsAtOnceLearnWhatTheirTreesTeach() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        long seed = 77 + t;
        done.add(
            threads.submit(
                () -> {
                  Random random = new Random(seed);
                  for (int run = 0; run < 400; run++) {
                    AnthropicUsage.StreamReader onBytes = new AnthropicUsage.StreamReader();
                    AnthropicUsage.StreamReader onTrees = new AnthropicUsage.StreamReader();
                    ResponseReadout bytes = new ResponseReadout();
                    ResponseReadout tree = new ResponseReadout();
                    for (String event : StreamTemplatesTest.anthropicEvents(random, 12)) {
                      read(onBytes, bytes, onTrees, tree, event);
                      ByteReadersTest.assertSame("seed " + seed + ", " + event, bytes, tree);
                    }
                  }
                }));
      }
      for (Future<?> each : done) {
        each.get();
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void aSetLentAlreadyIsNotLentAgainUntilGivenBack() throws Exception {
    AnthropicUsage.StreamReader.Walkers first = AnthropicUsage.StreamReader.Walkers.lend();
    AnthropicUsage.StreamReader.Walkers second = AnthropicUsage.StreamReader.Walkers.lend();
    assertThat(second).isNotSameAs(first);
    second.giveBack();
    first.giveBack();
    AnthropicUsage.StreamReader.Walkers again = AnthropicUsage.StreamReader.Walkers.lend();
    assertThat(again).isSameAs(first);
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      AnthropicUsage.StreamReader.Walkers elsewhere =
          other
              .submit(
                  () -> {
                    AnthropicUsage.StreamReader.Walkers lent =
                        AnthropicUsage.StreamReader.Walkers.lend();
                    lent.giveBack();
                    return lent;
                  })
              .get();
      assertThat(elsewhere).isNotSameAs(again);
    } finally {
      other.shutdownNow();
      again.giveBack();
    }
  }

  private static void read(
      AnthropicUsage.StreamReader onBytes,
      ResponseReadout bytes,
      AnthropicUsage.StreamReader onTrees,
      ResponseReadout tree,
      String event) {
    byte[] data = (" " + event + "  ").getBytes(StandardCharsets.UTF_8);
    onBytes.read(bytes, data, 1, data.length - 2);
    JsonNode parsed = Json.parseOrNull(data, 1, data.length - 3);
    if (parsed != null) {
      onTrees.read(tree, parsed);
    }
  }
}
