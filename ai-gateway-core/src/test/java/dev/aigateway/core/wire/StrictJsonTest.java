package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StrictJsonTest {

  /** Pieces of string content: plain, escaped, control, multi-byte, and invalid UTF-8. */
  private static final byte[][] PIECES = {
    bytes("a"),
    bytes("Hello team. "),
    bytes(" "),
    bytes("~"),
    bytes("\\n"),
    bytes("\\\""),
    bytes("\\u00e9"),
    bytes("\u00e9"),
    bytes("\u20ac"),
    bytes("\ud83d\ude00"),
    {0x01},
    {0x1f},
    {0x7f},
    {(byte) 0x80},
    {(byte) 0xff},
    {(byte) 0xc3},
    bytes("\\x"),
    bytes("\"")
  };

  /** The literals are accepted whole and exactly, cut anywhere or misspelt they are refused. */
  @Test
  void literalsAreAcceptedWholeAndExactly() {
    for (String literal : new String[] {"true", "false", "null"}) {
      byte[] json = bytes("[" + literal + "]");
      assertThat(StrictJson.NOT_NOTING.value(json, 1, json.length, 1))
          .isEqualTo(1 + literal.length());
      for (int cut = 1; cut < literal.length(); cut++) {
        byte[] shorter = bytes(literal.substring(0, cut));
        assertThat(StrictJson.NOT_NOTING.value(shorter, 0, shorter.length, 0)).isEqualTo(-1);
        byte[] within = bytes(literal);
        assertThat(StrictJson.NOT_NOTING.value(within, 0, cut, 0)).isEqualTo(-1);
      }
      for (int k = 1; k < literal.length(); k++) {
        byte[] misspelt = bytes(literal);
        misspelt[k] ^= 0x20; // another case
        assertThat(StrictJson.NOT_NOTING.value(misspelt, 0, misspelt.length, 0)).isEqualTo(-1);
      }
    }
  }

  /**
   * The scan for a quote, a backslash or a byte above ASCII stops where a look at each byte stops,
   * from every start and for every end, whatever the alignment.
   */
  @Test
  void quoteBackslashOrHighStopsWhereALookAtEachByteStops() {
    SplittableRandom random = new SplittableRandom(11);
    byte[] rare = {'"', '\\', (byte) 0x80, (byte) 0xa9, (byte) 0xc3, (byte) 0xff, 0x7f, 0x01};
    for (int run = 0; run < 3_000; run++) {
      byte[] bytes = new byte[random.nextInt(48)];
      for (int k = 0; k < bytes.length; k++) {
        bytes[k] =
            random.nextInt(10) == 0
                ? rare[random.nextInt(rare.length)]
                : (byte) (' ' + random.nextInt(95)); // printable ASCII, quote and backslash too
      }
      for (int from = 0; from <= bytes.length; from++) {
        int to = from + random.nextInt(bytes.length - from + 1);
        int expected = from;
        while (expected < to
            && bytes[expected] != '"'
            && bytes[expected] != '\\'
            && bytes[expected] >= 0) {
          expected++;
        }
        assertThat(StrictJson.quoteBackslashOrHigh(bytes, from, to))
            .as("from %d to %d", from, to)
            .isEqualTo(expected);
      }
    }
  }

  /**
   * Strings of every alignment, with any byte that needs a look anywhere in the eight-byte steps:
   * accepted exactly when Jackson reads them, and ending where Jackson's string ends.
   */
  @Test
  void stringEndsWhereJacksonsStringEnds() throws IOException {
    SplittableRandom random = new SplittableRandom(7);
    int accepted = 0;
    for (int run = 0; run < 20_000; run++) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int lead = random.nextInt(9);
      out.write(bytes(" ".repeat(lead) + "\"" + "x".repeat(random.nextInt(20))));
      for (int k = random.nextInt(4); k > 0; k--) {
        // mostly plain text, so the rare pieces land at every position of a step
        byte[] piece = random.nextInt(3) == 0 ? PIECES[random.nextInt(PIECES.length)] : PIECES[0];
        out.write(piece);
        out.write(bytes("y".repeat(random.nextInt(12))));
      }
      out.write(bytes("\" ,"));
      byte[] json = out.toByteArray();
      int end = StrictJson.string(json, lead, json.length, true);
      int jacksonEnd = jacksonStringEnd(json, lead);
      assertThat(end).as(new String(json, UTF_8)).isEqualTo(jacksonEnd);
      if (end > 0) {
        accepted++;
      }
    }
    assertThat(accepted).isGreaterThan(5_000);
  }

  /** Where the string at {@code from} ends when Jackson reads it, or -1 when it cannot. */
  private static int jacksonStringEnd(byte[] json, int from) {
    try (JsonParser p = Json.MAPPER.getFactory().createParser(json, from, json.length - from)) {
      if (p.nextToken() != JsonToken.VALUE_STRING) {
        return -1;
      }
      p.getText();
      return from + (int) p.currentLocation().getByteOffset();
    } catch (IOException e) {
      return -1;
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(UTF_8);
  }
}
