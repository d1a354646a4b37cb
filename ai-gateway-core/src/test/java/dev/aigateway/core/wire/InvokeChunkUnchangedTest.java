package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The decoded bytes a chunk leaves as the last one left them ({@link InvokeChunk#unchanged}) are
 * those bytes, and the Anthropic reader told of them ({@link
 * AnthropicUsage.StreamReader#readChunk}) learns what it learns when it compares every byte, and
 * what the tree reader learns: random streams of events that begin alike or not (deltas of several
 * types and indexes, texts with escapes and multi-byte characters, of any length, so that the
 * base64 is padded or not and long strings are decoded by the JDK's decoder), with Bedrock's
 * padding member or not, now and then a chunk written otherwise (escaped base64, a broken string)
 * or a frame that is not a chunk.
 */
class InvokeChunkUnchangedTest {

  private static final String[] DELTA_STARTS = {
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"",
    "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"",
    "{\"type\":\"content_block_delta\",\"index\":10,\"delta\":{\"type\":\"thinking_delta\","
        + "\"thinking\":\"",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
        + "\"partial_json\":\"",
    // as long as the first, a quote where its text's opens: a delta without text, nothing kept
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"texx\":\"",
  };

  private static final String[] OTHERS = {
    "{\"type\":\"content_block_stop\",\"index\":0}",
    "{\"type\":\"ping\"}",
    "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\","
        + "\"text\":\"\"}}",
    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":"
        + "{\"output_tokens\":9223372036854775807}}",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
        + "\"text\":\"x\"},\"extra\":1}",
  };

  private static String text(Random random) {
    String[] pieces = {"a", " word", "\\n", "\\\"", "\\u00e9", "é", "日本", "\\\\", "x", "0"};
    StringBuilder text = new StringBuilder();
    int n = random.nextInt(4) == 0 ? random.nextInt(200) : random.nextInt(8);
    for (int i = 0; i < n; i++) {
      text.append(pieces[random.nextInt(pieces.length)]);
    }
    return text.toString();
  }

  private static String event(Random random) {
    if (random.nextInt(6) == 0) {
      return OTHERS[random.nextInt(OTHERS.length)];
    }
    int start = random.nextInt(2) == 0 ? random.nextInt(DELTA_STARTS.length) : 0;
    return DELTA_STARTS[start] + text(random) + "\"}}";
  }

  private static EventStreamFrame frame(Random random, String event) {
    String base64 = Base64.getEncoder().encodeToString(event.getBytes(StandardCharsets.UTF_8));
    if (random.nextInt(3) == 0) {
      base64 = base64.replace("=", "");
    }
    String payload;
    switch (random.nextInt(12)) {
      case 0 -> payload = "{\"bytes\":\"" + base64.replace("/", "\\/") + "\"}"; // escaped
      case 1 -> payload = "{\"p\":\"abc\",\"bytes\":\"" + base64 + "\"}"; // another order
      case 2 -> payload = "{\"bytes\":\"" + base64 + "!\"}"; // refused
      default ->
          payload =
              "{\"bytes\":\""
                  + base64
                  + (random.nextBoolean()
                      ? "\"}"
                      : "\",\"p\":\"" + "abcdefgh".substring(random.nextInt(8)) + "\"}");
    }
    String type = random.nextInt(40) == 0 ? "other" : "chunk";
    return EventStreamFrame.of(
        EventStreamMessage.event(type, payload.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void bytesLeftUnchangedAreTheLastChunksAndReadAsWhenCompared() {
    Random random = new Random(1504);
    int skipped = 0;
    for (int s = 0; s < 400; s++) {
      InvokeChunk chunk = new InvokeChunk();
      AnthropicUsage.StreamReader told = new AnthropicUsage.StreamReader();
      AnthropicUsage.StreamReader comparing = new AnthropicUsage.StreamReader();
      AnthropicUsage.StreamReader tree = new AnthropicUsage.StreamReader();
      ResponseReadout toldOut = new ResponseReadout();
      ResponseReadout comparingOut = new ResponseReadout();
      ResponseReadout treeOut = new ResponseReadout();
      byte[] last = new byte[0];
      int events = 1 + random.nextInt(40);
      for (int e = 0; e < events; e++) {
        String event = event(random);
        EventStreamFrame frame = frame(random, event);
        if (!chunk.read(frame)) {
          continue;
        }
        byte[] decoded = Arrays.copyOf(chunk.bytes(), chunk.length());
        int unchanged = chunk.unchanged();
        assertThat(unchanged).isBetween(0, decoded.length);
        assertThat(
                unchanged <= last.length
                    && Arrays.equals(decoded, 0, unchanged, last, 0, unchanged))
            .as("stream %d, event %d: %d bytes unchanged", s, e, unchanged)
            .isTrue();
        last = decoded;
        if (unchanged > 0) {
          skipped++;
        }
        String where = "stream " + s + ", event " + e + ": " + event;
        if (!told.readChunk(toldOut, chunk.bytes(), 0, chunk.length(), frame, unchanged)) {
          told.read(toldOut, Json.parseOrNull(decoded, 0, decoded.length));
        }
        if (!comparing.readChunk(comparingOut, decoded.clone(), 0, decoded.length, frame, 0)) {
          comparing.read(comparingOut, Json.parseOrNull(decoded, 0, decoded.length));
        }
        tree.read(treeOut, Json.parseOrNull(decoded, 0, decoded.length));
        assertThat(toldOut.text().toString()).as(where).isEqualTo(treeOut.text().toString());
        assertThat(comparingOut.text().toString()).as(where).isEqualTo(treeOut.text().toString());
        assertThat(toldOut.usage()).as(where).isEqualTo(treeOut.usage());
        assertThat(toldOut.complete()).as(where).isEqualTo(treeOut.complete());
      }
    }
    assertThat(skipped).as("chunks read with bytes left unchanged").isGreaterThan(1_000);
  }
}
