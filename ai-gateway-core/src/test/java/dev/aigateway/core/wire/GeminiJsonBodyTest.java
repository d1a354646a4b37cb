package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A Gemini answer that is not an event stream, read by {@link GeminiJsonBody} (elements and the
 * document read on their bytes where they lie when they arrive in one read, against the template
 * when they match it, else copied while they arrive) learns what the parser learns reading each
 * element the scanner finds, one by one ({@link GeminiFormat#readResponse}, or {@link
 * GeminiFormat#readDocument} for the one document): random array streams and documents (escapes,
 * counts near and beyond {@link Long#MAX_VALUE}, members in any order, usage missing, cut and
 * trailing responses), split into reads at every offset and in small pieces.
 */
class GeminiJsonBodyTest {

  @Test
  void anArrayStreamTeachesWhatTheParserTeachesAtEverySplit() throws IOException {
    Random random = new Random(1516);
    for (int stream = 0; stream < 300; stream++) {
      boolean keepText = random.nextInt(8) == 0;
      List<String> responses = responses(random);
      StringBuilder array = new StringBuilder("[");
      for (int i = 0; i < responses.size(); i++) {
        array.append(i == 0 ? "" : random.nextBoolean() ? ",\r\n" : ",").append(responses.get(i));
      }
      byte[] body = utf8(array.append(random.nextInt(10) == 0 ? "" : "]").toString());
      ResponseReadout expected = reference(body, keepText);
      String what = new String(body, StandardCharsets.UTF_8);
      assertSame(what, read(body, keepText, body.length), expected);
      if (stream < 8) {
        for (int split = 1; split < body.length; split++) {
          assertSame(what + " split at " + split, read(body, keepText, split), expected);
        }
      } else {
        for (int k = 0; k < 4; k++) {
          assertSame(what, read(body, keepText, 1 + random.nextInt(body.length)), expected);
        }
        assertSame(what + " in pieces", pieces(body, keepText, random), expected);
      }
    }
  }

  @Test
  void aDocumentTeachesWhatTheParserTeachesAtEverySplit() throws IOException {
    Random random = new Random(1517);
    for (int run = 0; run < 1_000; run++) {
      boolean keepText = random.nextInt(4) == 0;
      String response =
          random.nextBoolean()
              ? GeminiResponsesTest.Shape.random(random).response(random, 0, random.nextBoolean())
              : reordered(random, 0, random.nextBoolean());
      byte[] body = utf8((random.nextInt(4) == 0 ? " \n" : "") + response);
      ResponseReadout expected = reference(body, keepText);
      assertSame(response, read(body, keepText, body.length), expected);
      int[] splits =
          run < 30
              ? java.util.stream.IntStream.range(1, body.length).toArray()
              : new int[] {1 + random.nextInt(body.length)};
      for (int split : splits) {
        assertSame(response + " split at " + split, read(body, keepText, split), expected);
      }
    }
  }

  /** A stream's responses: one shape for all (as Google writes them), or members in any order. */
  private static List<String> responses(Random random) {
    int count = 1 + random.nextInt(12);
    List<String> responses = new ArrayList<>();
    GeminiResponsesTest.Shape shape = GeminiResponsesTest.Shape.random(random);
    boolean reordered = random.nextInt(3) == 0;
    for (int i = 0; i < count; i++) {
      responses.add(
          reordered
              ? reordered(random, i, i == count - 1)
              : shape.response(random, i, i == count - 1));
    }
    return responses;
  }

  private static final String[] COUNTS = {
    "0",
    "7",
    "123456789012345678",
    "999999999999999999",
    "1000000000000000000",
    "9223372036854775807",
    "9223372036854775808",
    "-1",
    "2.5"
  };

  /**
   * A response whose members (and those of its usage) come in a random order, with a count near or
   * beyond {@link Long#MAX_VALUE} now and then, and usage missing now and then.
   */
  private static String reordered(Random random, int event, boolean last) {
    List<String> members = new ArrayList<>();
    members.add(
        "\"candidates\":[{\"index\":0,"
            + (last ? "\"finishReason\":\"STOP\"," : "")
            + "\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"w"
            + event
            + (random.nextInt(5) == 0 ? " caf\u00e9 \\\"q\\\"" : "")
            + "\"}]}}]");
    if (random.nextInt(5) > 0) {
      List<String> usage = new ArrayList<>();
      usage.add("\"promptTokenCount\":" + count(random, "9"));
      usage.add("\"candidatesTokenCount\":" + count(random, Integer.toString(event + 1)));
      usage.add("\"totalTokenCount\":" + count(random, Integer.toString(event + 10)));
      if (random.nextBoolean()) {
        usage.add("\"promptTokensDetails\":[{\"tokenCount\":9,\"modality\":\"AUDIO\"}]");
      }
      if (random.nextInt(4) == 0) {
        usage.add("\"trafficType\":\"ON_DEMAND\"");
      }
      Collections.shuffle(usage, random);
      members.add("\"usageMetadata\":{" + String.join(",", usage) + "}");
    }
    members.add("\"modelVersion\":\"gemini-2.5-flash\"");
    members.add("\"responseId\":\"r" + event + "\"");
    Collections.shuffle(members, random);
    return "{" + String.join(",", members) + "}";
  }

  private static String count(Random random, String plain) {
    return random.nextInt(6) == 0 ? COUNTS[random.nextInt(COUNTS.length)] : plain;
  }

  /** What the parser learns reading each value the scanner finds in {@code body}, one by one. */
  private static ResponseReadout reference(byte[] body, boolean keepText) {
    ResponseReadout readout = new ResponseReadout();
    if (keepText) {
      readout.keepText();
    }
    JsonValueScanner scanner = new JsonValueScanner();
    int start = -1;
    for (int i = 0; i < body.length; i++) {
      switch (scanner.next(body[i])) {
        case JsonValueScanner.VALUE_START -> start = i;
        case JsonValueScanner.VALUE_END -> {
          if (scanner.array()) {
            GeminiFormat.readResponse(readout, body, start, i + 1);
          } else {
            GeminiFormat.readDocument(readout, body, start, i + 1);
            readout.markComplete();
          }
        }
        case JsonValueScanner.ARRAY_END -> readout.markComplete();
        default -> {}
      }
    }
    readout.streamEnded();
    return readout;
  }

  private static ResponseReadout read(byte[] body, boolean keepText, int split) throws IOException {
    return observe(
        new SequenceInputStream(
            new ByteArrayInputStream(body, 0, split),
            new ByteArrayInputStream(body, split, body.length - split)),
        body,
        keepText);
  }

  private static ResponseReadout pieces(byte[] body, boolean keepText, Random random)
      throws IOException {
    int[] sizes = new int[1 + random.nextInt(4)];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = 1 + random.nextInt(7);
    }
    return observe(new PiecewiseInputStream(body, sizes), body, keepText);
  }

  private static ResponseReadout observe(InputStream upstream, byte[] body, boolean keepText)
      throws IOException {
    RecordingBodyListener listener = new RecordingBodyListener();
    ObservedBody observed = new GeminiJsonBody(upstream, listener, () -> false, 1 << 20);
    if (keepText) {
      observed.keepText();
    }
    assertThat(observed.readAllBytes()).isEqualTo(body);
    observed.close();
    return listener.onlyEnd().facts();
  }

  private static void assertSame(String what, ResponseReadout read, ResponseReadout expected) {
    assertThat(read.usage()).as(what).isEqualTo(expected.usage());
    assertThat(read.model()).as(what).isEqualTo(expected.model());
    assertThat(read.complete()).as(what).isEqualTo(expected.complete());
    assertThat(read.text().toString()).as(what).isEqualTo(expected.text().toString());
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
