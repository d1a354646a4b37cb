package dev.aigateway.core.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Counting a text on its characters in a buffer gives the count of the text as a string. */
@Tag("compute-bound")
class TokenCounterCharsTest {

  private static final String[] PIECES = {
    "user",
    "system",
    "assistant",
    "hello",
    " the",
    " weather",
    "Paris",
    "日本語",
    "🙂",
    "déjà",
    "\n",
    "  ",
    "<|endoftext|>",
    "x",
    "1234",
    "?!",
    "tool"
  };

  private final TokenCounter counter = TokenCounter.defaults();

  @Test
  void textsInABufferCountAsTheirStringsWhetherFoundOrNot() {
    Random random = new Random(42);
    // More distinct texts than the recent counts hold, each asked for several times, in a buffer
    // with other characters around it: hits, misses, and slots taken over by other texts.
    String[] texts = new String[3_000];
    for (int t = 0; t < texts.length; t++) {
      StringBuilder text = new StringBuilder();
      int pieces = random.nextInt(t % 10 == 0 ? 60 : 6);
      for (int k = 0; k < pieces; k++) {
        text.append(PIECES[random.nextInt(PIECES.length)]);
      }
      texts[t] = text.toString();
    }
    for (int n = 0; n < 20_000; n++) {
      String text = texts[random.nextInt(random.nextBoolean() ? 50 : texts.length)];
      TokenEncoding encoding =
          random.nextBoolean() ? TokenEncoding.O200K_BASE : TokenEncoding.CL100K_BASE;
      int before = random.nextInt(3);
      char[] buffer = ("ab".substring(0, before) + text + "zz").toCharArray();

      assertThat(counter.countText(encoding, buffer, before, text.length()))
          .as("%s in %s", text, encoding)
          .isEqualTo(counter.countText(encoding, text));
    }
  }

  @Test
  void textsDifferingInOneCharacterCountApart() {
    char[] first = "hello there".toCharArray();
    char[] second = "hello therefore and more".toCharArray();

    int short1 = counter.countText(TokenEncoding.O200K_BASE, first, 0, first.length);
    int long2 = counter.countText(TokenEncoding.O200K_BASE, second, 0, second.length);

    assertThat(short1).isEqualTo(counter.countText(TokenEncoding.O200K_BASE, "hello there"));
    assertThat(long2)
        .isEqualTo(counter.countText(TokenEncoding.O200K_BASE, "hello therefore and more"));
    assertThat(counter.countText(TokenEncoding.O200K_BASE, first, 0, 0)).isZero();
  }

  @Test
  void aRangeOutsideTheBufferIsRefused() {
    assertThatThrownBy(() -> counter.countText(TokenEncoding.O200K_BASE, new char[3], 2, 2))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void asciiTextsAsBytesCountAsTheirStringsAndAsTheirCharacters() {
    Random random = new Random(7);
    String[] ascii = {"user", "system", "hello", " the", " weather", "Paris", "\n", "  ", "x"};
    for (int n = 0; n < 20_000; n++) {
      StringBuilder text = new StringBuilder();
      int pieces = random.nextInt(n % 10 == 0 ? 80 : 6); // some past the recent counts' length
      for (int k = 0; k < pieces; k++) {
        text.append(ascii[random.nextInt(ascii.length)]);
      }
      String t = text.toString();
      TokenEncoding encoding =
          random.nextBoolean() ? TokenEncoding.O200K_BASE : TokenEncoding.CL100K_BASE;
      int before = random.nextInt(3);
      byte[] bytes = ("ab".substring(0, before) + t + "zz").getBytes(StandardCharsets.US_ASCII);
      char[] chars = t.toCharArray();
      // Asked first on bytes or first on characters: each finds what the other counted.
      boolean bytesFirst = random.nextBoolean();
      int first =
          bytesFirst
              ? counter.countAsciiText(encoding, bytes, before, t.length())
              : counter.countText(encoding, chars, 0, chars.length);
      int second =
          bytesFirst
              ? counter.countText(encoding, chars, 0, chars.length)
              : counter.countAsciiText(encoding, bytes, before, t.length());

      assertThat(first).as("%s in %s", t, encoding).isEqualTo(counter.countText(encoding, t));
      assertThat(second).isEqualTo(first);
    }
  }

  @Test
  void bytesThatAreNotAsciiAreRefused() {
    byte[] utf8 = "déjà vu".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> counter.countAsciiText(TokenEncoding.O200K_BASE, utf8, 0, utf8.length))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> counter.countAsciiText(TokenEncoding.O200K_BASE, new byte[3], 2, 2))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(counter.countAsciiText(TokenEncoding.O200K_BASE, utf8, 0, 0)).isZero();
    // The ASCII end of the same bytes is counted: " vu".
    assertThat(counter.countAsciiText(TokenEncoding.O200K_BASE, utf8, 6, 3))
        .isEqualTo(counter.countText(TokenEncoding.O200K_BASE, " vu"))
        .isPositive();
  }

  @Test
  void asciiTextsOfEveryLengthAndOneByteApartCountApart() {
    // Every length around the eight-byte steps and the recent counts' bound, every place of a
    // changed byte (the last step reads bytes read before), asked twice each: found, then not
    // confused with a text one byte apart, in either encoding.
    String base =
        "The quick brown fox jumps over the lazy dog while 12 tired cats watch, "
            + "and then the dog sleeps; the fox runs off to the woods near the old mill.";
    for (int length = 1; length <= 140; length++) {
      String text = base.repeat(2).substring(0, length);
      for (int at = 0; at < length; at++) {
        char[] changed = text.toCharArray();
        changed[at] = changed[at] == 'z' ? 'q' : 'z';
        String other = new String(changed);
        for (TokenEncoding encoding :
            new TokenEncoding[] {TokenEncoding.O200K_BASE, TokenEncoding.R50K_BASE}) {
          for (int ask = 0; ask < 2; ask++) {
            assertThat(countBytes(encoding, text, at % 3))
                .as("%s in %s", text, encoding)
                .isEqualTo(counter.countText(encoding, text));
            assertThat(countBytes(encoding, other, at % 4))
                .as("%s in %s", other, encoding)
                .isEqualTo(counter.countText(encoding, other));
          }
        }
      }
    }
  }

  @Test
  void oneAsciiTextCountsInEachEncodingApart() {
    // Texts whose counts differ between the two encodings, asked alternately: each encoding's own.
    String[] texts = {"  indented   code\t\tlines  ", "numbers 1234567890123 and   spaces"};
    for (String text : texts) {
      int o200k = counter.countText(TokenEncoding.O200K_BASE, text);
      int r50k = counter.countText(TokenEncoding.R50K_BASE, text);
      for (int n = 0; n < 4; n++) {
        assertThat(countBytes(TokenEncoding.O200K_BASE, text, n)).isEqualTo(o200k);
        assertThat(countBytes(TokenEncoding.R50K_BASE, text, n)).isEqualTo(r50k);
      }
    }
    assertThat(countBytes(TokenEncoding.O200K_BASE, texts[0], 0))
        .isNotEqualTo(countBytes(TokenEncoding.R50K_BASE, texts[0], 0));
  }

  @Test
  void aByteAboveAsciiAnywhereIsRefused() {
    for (int length = 1; length <= 140; length++) {
      for (int at = 0; at < length; at++) {
        byte[] bytes = "a".repeat(length + 2).getBytes(StandardCharsets.US_ASCII);
        bytes[1 + at] = (byte) 0xC3;
        int place = at;
        assertThatThrownBy(
                () -> counter.countAsciiText(TokenEncoding.O200K_BASE, bytes, 1, bytes.length - 2))
            .as("a high byte at %d of %d", place, length)
            .isInstanceOf(IllegalArgumentException.class);
      }
    }
  }

  @Test
  void threadsCountingAsciiTextsThatShareSlotsEachGetTheirTextsCount() throws Exception {
    // More texts than slots, asked by several threads at once: every answer is the text's own.
    List<String> texts = new ArrayList<>();
    Random random = new Random(11);
    for (int t = 0; t < 3_000; t++) {
      StringBuilder text = new StringBuilder();
      int words = 1 + random.nextInt(12);
      for (int w = 0; w < words; w++) {
        text.append(' ').append(Integer.toString(random.nextInt(1 << 20), 36));
      }
      texts.add(text.toString());
    }
    int[] expected =
        texts.stream().mapToInt(t -> counter.countText(TokenEncoding.CL100K_BASE, t)).toArray();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> wrong = new ArrayList<>();
      for (int thread = 0; thread < 4; thread++) {
        int seed = thread;
        wrong.add(
            pool.submit(
                () -> {
                  Random own = new Random(seed);
                  int mismatches = 0;
                  for (int n = 0; n < 30_000; n++) {
                    int t = own.nextInt(texts.size());
                    if (countBytes(TokenEncoding.CL100K_BASE, texts.get(t), n % 3) != expected[t]) {
                      mismatches++;
                    }
                  }
                  return mismatches;
                }));
      }
      for (Future<Integer> mismatches : wrong) {
        assertThat(mismatches.get(120, TimeUnit.SECONDS)).isZero();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void asciiTextsThatDifferInTheirFirstByteOnlyCountApart() {
    // Many texts one first byte apart, asked in a random order: those that share a slot replace
    // each other there, and each is still found with its own count.
    List<String> texts = new ArrayList<>();
    String[] rests = {
      "ello", "123 main street", "nd so on", "\tthe end", ".json file", "ping pong"
    };
    for (String rest : rests) {
      for (char first = ' '; first < 0x7f; first++) {
        texts.add(first + rest);
      }
    }
    int[] expected =
        texts.stream().mapToInt(t -> counter.countText(TokenEncoding.O200K_BASE, t)).toArray();
    Random random = new Random(3);
    for (int n = 0; n < 20_000; n++) {
      int t = random.nextInt(texts.size());
      assertThat(countBytes(TokenEncoding.O200K_BASE, texts.get(t), n % 3))
          .as(texts.get(t))
          .isEqualTo(expected[t]);
    }
  }

  /** The ASCII {@code text} counted on its bytes, {@code before} bytes into a larger array. */
  private int countBytes(TokenEncoding encoding, String text, int before) {
    byte[] bytes =
        ("xyz".repeat(2).substring(0, before) + text + "q").getBytes(StandardCharsets.US_ASCII);
    return counter.countAsciiText(encoding, bytes, before, text.length());
  }
}
