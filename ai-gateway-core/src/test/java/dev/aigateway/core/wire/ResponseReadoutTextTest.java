package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link ResponseReadout#appendJsonString}: the text Jackson reads from the string, appended. */
class ResponseReadoutTextTest {

  /** Pieces of string content that {@link StrictJson} accepts: plain, escapes, multi-byte. */
  private static final String[] PIECES = {
    "a",
    "Hello team, ",
    " ",
    "~",
    "\\\"",
    "\\\\",
    "\\/",
    "\\n",
    "\\t",
    "\\u00e9",
    "\\uD83D\\uDE00",
    "\u00e9",
    "\u20ac",
    "\ud83d\ude00",
    "\u007f"
  };

  /**
   * Strings of every length, with an escape or a multi-byte character at every place of the
   * eight-byte steps (or none), inside a larger array: the text appended after what was there is
   * the one Jackson reads.
   */
  @Test
  void appendsTheTextJacksonReadsWhateverTheStringHolds() {
    SplittableRandom random = new SplittableRandom(3);
    int plain = 0;
    for (int run = 0; run < 5_000; run++) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int lead = random.nextInt(9);
      out.writeBytes("{".repeat(lead).getBytes(UTF_8));
      out.write('"');
      int length = random.nextInt(40);
      int at = random.nextInt(3) == 0 ? -1 : random.nextInt(length + 1);
      String odd = PIECES[random.nextInt(PIECES.length)];
      for (int k = 0; k <= length; k++) {
        if (k == at) {
          out.writeBytes(odd.getBytes(UTF_8));
        } else if (k < length) {
          char c = (char) (' ' + random.nextInt(95)); // printable ASCII
          out.write(c == '"' || c == '\\' ? 'q' : c);
        }
      }
      out.write('"');
      int end = out.size();
      out.writeBytes("},".getBytes(UTF_8));
      byte[] json = out.toByteArray();
      assertThat(StrictJson.string(json, lead, json.length, true)).isEqualTo(end);
      plain += at < 0 ? 1 : 0;

      ResponseReadout readout = new ResponseReadout();
      readout.appendText("before|");
      readout.appendJsonString(json, lead, end);

      assertThat(readout.text().toString())
          .as(new String(json, UTF_8))
          .isEqualTo("before|" + Json.stringOrEmpty(json, lead, end - lead));
    }
    assertThat(plain).isGreaterThan(1_000); // strings without an odd piece
  }

  /**
   * Texts appended one after another, plain strings (kept as bytes) mixed with strings with escapes
   * or beyond ASCII and with text appended as characters, the text asked for at random times (twice
   * at once): every time, the text is all that was appended, in order, and asking for it changes
   * nothing appended after.
   */
  @Test
  void keepsEveryAppendedTextInOrderWhenAskedAtAnyTime() {
    SplittableRandom random = new SplittableRandom(11);
    int plainStrings = 0;
    for (int run = 0; run < 2_000; run++) {
      ResponseReadout readout = new ResponseReadout();
      StringBuilder expected = new StringBuilder();
      int appends = random.nextInt(60);
      for (int a = 0; a < appends; a++) {
        int kind = random.nextInt(8);
        if (kind == 0) {
          String piece = "chars" + a + "\u00e9";
          readout.appendText(piece);
          expected.append(piece);
        } else {
          StringBuilder content = new StringBuilder();
          int length = random.nextInt(kind == 1 ? 80 : 12);
          for (int k = 0; k < length; k++) {
            char c = (char) (' ' + random.nextInt(95));
            content.append(c == '"' || c == '\\' ? 'q' : c);
          }
          if (kind == 2) {
            content.insert(
                random.nextInt(content.length() + 1), PIECES[random.nextInt(PIECES.length)]);
          } else {
            plainStrings++;
          }
          byte[] json = ("[\"" + content + "\"]").getBytes(UTF_8);
          readout.appendJsonString(json, 1, json.length - 1);
          expected.append(Json.stringOrEmpty(json, 1, json.length - 2));
        }
        if (random.nextInt(10) == 0) {
          assertThat(readout.text().toString()).isEqualTo(expected.toString());
          assertThat(readout.text().toString()).isEqualTo(expected.toString());
        }
      }
      assertThat(readout.text().toString()).isEqualTo(expected.toString());
    }
    assertThat(plainStrings).isGreaterThan(20_000);
  }
}
