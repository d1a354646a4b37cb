package dev.aigateway.core.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Counting a text on its characters in a buffer gives the count of the text as a string. */
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
}
