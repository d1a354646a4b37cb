package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The long base64 strings of Bedrock's chunks, whose whole units the JDK's decoder decodes ({@link
 * InvokeChunk#JDK_RUN}), decode as Jackson and the JDK decode them, or are refused as they refuse
 * them: strings of every length up to well beyond a run, in random order (so that a chunk's
 * decoding array is reused for shorter and longer strings), padded or not, broken now and then by a
 * character out of the alphabet at any place (in the run, in its last unit, in the padding),
 * followed by Bedrock's padding member or not, a long one, or other members.
 */
@Tag("compute-bound")
class InvokeChunkRunsTest {

  private static final String[] AFTERS = {
    "\",\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\"}",
    "\",\"p\":\"abcd\"}",
    "\"}",
    "\",\"p\":\"\"}",
    "\",\"p\":\"" + "a1".repeat(70) + "\"}",
    "\",\"p\":\"ab-cd\"}",
    "\",\"p\":\"abcd\"} ",
    "\",\"p\":\"abcd\",\"bytes\":\"QUJD\"}",
    "\",\"q\":\"abcd\"}",
    "\",\"p\":\"abcd\"",
    "\",\"p\":7}",
    "\"p\":\"abcd\"}",
    "\",\"\"p\":\"abcd\"}",
  };

  private static final String ODD = "=\"\\-_ \n.!\u00e9";

  @Test
  void longStringsDecodeAsJacksonAndTheJdkDecodeThem() {
    Random random = new Random(9696);
    InvokeChunk chunk = new InvokeChunk();
    int decodedLong = 0;
    for (int n = 0; n < 30_000; n++) {
      int length = random.nextInt(4) == 0 ? random.nextInt(60) : random.nextInt(1_500);
      byte[] raw = new byte[length];
      random.nextBytes(raw);
      StringBuilder text = new StringBuilder(Base64.getEncoder().encodeToString(raw));
      if (random.nextInt(3) == 0) {
        text.setLength(text.length() - (text.length() - text.toString().replace("=", "").length()));
      }
      int broken = random.nextInt(6);
      if (broken == 0 && text.length() > 0) {
        text.setCharAt(random.nextInt(text.length()), ODD.charAt(random.nextInt(ODD.length())));
      } else if (broken == 1 && text.length() > 4) {
        // in the last unit, or just before it
        int at = text.length() - 1 - random.nextInt(6);
        text.setCharAt(Math.max(0, at), ODD.charAt(random.nextInt(ODD.length())));
      } else if (broken == 2) {
        text.setLength(Math.max(0, text.length() - random.nextInt(3)));
      }
      String payload =
          "{\"bytes\":\""
              + text
              + (random.nextInt(3) == 0 ? AFTERS[random.nextInt(AFTERS.length)] : AFTERS[0]);
      byte[] expected = StreamTemplatesTest.decodedAsJacksonAndTheJdkDo(payload);
      boolean read =
          chunk.read(EventStreamFrame.of(EventStreamMessage.event("chunk", utf8(payload))));
      assertThat(read).as(payload).isEqualTo(expected != null);
      if (read) {
        assertThat(Arrays.copyOf(chunk.bytes(), chunk.length())).as(payload).isEqualTo(expected);
        if (expected.length > InvokeChunk.JDK_RUN) {
          decodedLong++;
        }
      }
    }
    assertThat(decodedLong).isGreaterThan(10_000);
  }

  @Test
  void chunksOfAStreamBeginningAlikeDecodeAsTheJdkDecodesThem() {
    Random random = new Random(4711);
    for (int stream = 0; stream < 300; stream++) {
      InvokeChunk chunk = new InvokeChunk();
      for (int n = 0; n < 30; n++) {
        // events that begin alike, of any length: the units they share are not decoded again
        String json =
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                + "\"text\":\""
                + "word ".repeat(random.nextInt(random.nextBoolean() ? 8 : 200))
                + "\"}}";
        String base64 = Base64.getEncoder().encodeToString(utf8(json));
        String payload = "{\"bytes\":\"" + base64 + AFTERS[random.nextInt(3)];
        assertThat(
                chunk.read(EventStreamFrame.of(EventStreamMessage.event("chunk", utf8(payload)))))
            .isTrue();
        assertThat(new String(chunk.bytes(), 0, chunk.length(), StandardCharsets.UTF_8))
            .isEqualTo(json);
      }
    }
  }

  /**
   * A payload as Bedrock writes it, {@code {"bytes":"} base64 {@code ","p":"} letters and digits
   * {@code "}}, with each byte of its start, of its padding member and of the padding's value
   * changed in turn to every byte value (letters, digits, punctuation, bytes beyond ASCII): each
   * reads as Jackson and the JDK read it (the start and the padding's name are compared many bytes
   * at a time, the padding's characters looked up in a table).
   */
  @Test
  void everyByteOfBedrocksStartAndPaddingChangedReadsAsJacksonAndTheJdkReadIt() {
    String json = "{\"type\":\"content_block_stop\",\"index\":0}";
    String base64 = Base64.getEncoder().encodeToString(utf8(json));
    String[] afters = {"\",\"p\":\"abcXYZ019\"}", "\",\"p\":\"\"}", "\"}"};
    int read = 0;
    int refused = 0;
    for (String after : afters) {
      byte[] clean = utf8("{\"bytes\":\"" + base64 + after);
      int base64From = "{\"bytes\":\"".length();
      int base64To = base64From + base64.length();
      for (int at = 0; at < clean.length; at++) {
        if (at >= base64From && at < base64To) {
          continue; // the base64 itself: the other tests change it
        }
        for (int value = 0; value < 256; value++) {
          byte[] payload = clean.clone();
          payload[at] = (byte) value;
          // a fresh chunk and one that read the clean payload just before
          InvokeChunk fresh = new InvokeChunk();
          InvokeChunk warm = new InvokeChunk();
          warm.read(EventStreamFrame.of(EventStreamMessage.event("chunk", clean)));
          String text = new String(payload, StandardCharsets.ISO_8859_1);
          byte[] expected = StreamTemplatesTest.decodedAsJacksonAndTheJdkDo(payload);
          for (InvokeChunk chunk : new InvokeChunk[] {fresh, warm}) {
            boolean ok =
                chunk.read(EventStreamFrame.of(EventStreamMessage.event("chunk", payload)));
            assertThat(ok).as(text).isEqualTo(expected != null);
            if (ok) {
              assertThat(Arrays.copyOf(chunk.bytes(), chunk.length())).as(text).isEqualTo(expected);
            }
          }
          if (expected != null) {
            read++;
          } else {
            refused++;
          }
        }
      }
    }
    assertThat(read).isGreaterThan(100);
    assertThat(refused).isGreaterThan(1_000);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
