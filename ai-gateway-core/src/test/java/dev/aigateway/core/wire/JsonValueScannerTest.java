package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link JsonValueScanner#find}, which skips the text of strings eight bytes a step, reports what
 * {@link JsonValueScanner#next} reports byte by byte, at the same bytes, whatever pieces the body
 * arrives in.
 */
class JsonValueScannerTest {

  private static final String[] PIECES = {
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\r\n",
    "\"",
    "\\\"",
    "\\\\",
    "\\",
    "a",
    "text with words ",
    "é",
    "日本",
    "🙂",
    "{\"a\":[1,2]}",
    "\"}]{[\"",
    "0",
    "true",
    "\"plain string of some length\""
  };

  @Test
  void findReportsWhatNextReportsAtTheSameBytes() {
    Random random = new Random(42);
    for (int n = 0; n < 3_000; n++) {
      byte[] body = body(random);
      List<String> expected = new ArrayList<>();
      JsonValueScanner bytewise = new JsonValueScanner();
      for (int i = 0; i < body.length; i++) {
        int result = bytewise.next(body[i]);
        if (result != JsonValueScanner.NONE) {
          expected.add(i + ":" + result);
        }
      }
      List<String> found = new ArrayList<>();
      JsonValueScanner bulk = new JsonValueScanner();
      int from = 0;
      while (from < body.length) {
        int to = Math.min(body.length, from + 1 + random.nextInt(40));
        for (int i = bulk.find(body, from, to); i < to; i = bulk.find(body, i + 1, to)) {
          found.add(i + ":" + bulk.found());
        }
        from = to;
      }
      assertThat(found).as(new String(body, StandardCharsets.UTF_8)).isEqualTo(expected);
      assertThat(bulk.array()).isEqualTo(bytewise.array());
    }
  }

  @Test
  void anArrayStreamsElementsAndEnds() {
    byte[] body =
        "[{\"t\":\"a \\\" } ] {\"},\r\n{\"t\":\"b\\\\\"}]".getBytes(StandardCharsets.UTF_8);
    JsonValueScanner scanner = new JsonValueScanner();
    List<Integer> results = new ArrayList<>();
    for (int i = scanner.find(body, 0, body.length);
        i < body.length;
        i = scanner.find(body, i + 1, body.length)) {
      results.add(scanner.found());
    }
    assertThat(results)
        .containsExactly(
            JsonValueScanner.VALUE_START,
            JsonValueScanner.VALUE_END,
            JsonValueScanner.VALUE_START,
            JsonValueScanner.VALUE_END,
            JsonValueScanner.ARRAY_END);
    assertThat(scanner.array()).isTrue();
  }

  private static byte[] body(Random random) {
    StringBuilder out = new StringBuilder(random.nextBoolean() ? "[" : "{");
    for (int k = random.nextInt(60); k > 0; k--) {
      out.append(PIECES[random.nextInt(PIECES.length)]);
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }
}
