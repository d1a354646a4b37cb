package dev.aigateway.core.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
