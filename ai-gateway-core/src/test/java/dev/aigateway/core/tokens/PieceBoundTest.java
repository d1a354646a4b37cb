package dev.aigateway.core.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import com.knuddels.jtokkit.api.Encoding;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Tag("compute-bound")
class PieceBoundTest {

  private static final Encoding O200K = SharedEncodings.get(TokenEncoding.O200K_BASE);
  private static final Encoding CL100K = SharedEncodings.get(TokenEncoding.CL100K_BASE);

  /** Characters by the class the encodings' pieces follow; some strings are pairs or more. */
  private static final String[][] CLASSES = {
    {"a", "b", "e", "s", "t", "Z", "Q", "é", "ü", "ß", "ж", "日", "語", "e\u0301", "ǅ"},
    {"0", "7", "9", "٣", "²", "Ⅻ"},
    {" ", " ", "\t", "\n", "\r\n", "\u00a0"},
    {"!", "\"", "'", ".", ",", "-", "/", "{", "}", "’", "@", "€", "\uD83D\uDE00", "\u0000"},
    {"'s", "'ll", "'T", "'ve"}
  };

  @Test
  void textWithoutLongRunsIsCountedExactlyAsTheEncodingCountsIt() {
    Random random = new Random(7);
    for (int i = 0; i < 1_000; i++) {
      String text = text(random, 40, 12);
      for (Encoding encoding : new Encoding[] {O200K, CL100K}) {
        assertThat(PieceBound.count(encoding, text))
            .as("%s in %s", text, encoding.getName())
            .isEqualTo(encoding.countTokensOrdinary(text));
      }
    }
  }

  /**
   * With a bound of a few characters nearly every run is counted by its size, and every cut falls
   * where one class meets another: the count must never be below the encoding's.
   */
  @Test
  void runsPastTheBoundAreCountedNoLowerThanTheEncodingCountsThem() {
    Random random = new Random(11);
    int cut = 0;
    for (int i = 0; i < 4_000; i++) {
      String text = text(random, 12, 16);
      int maxRun = 1 + random.nextInt(8);
      for (Encoding encoding : new Encoding[] {O200K, CL100K}) {
        long bounded = PieceBound.count(encoding, text, maxRun);
        long exact = encoding.countTokensOrdinary(text);
        assertThat(bounded)
            .as("%s (runs up to %d) in %s", text, maxRun, encoding.getName())
            .isGreaterThanOrEqualTo(exact);
        cut += bounded > exact ? 1 : 0;
      }
    }
    assertThat(cut).as("texts with a run past the bound").isGreaterThan(1_000);
  }

  @Test
  void aRunPastTheBoundCountsItsUtf8BytesAndTheTwoEdges() {
    String run = "ж".repeat(PieceBound.MAX_EXACT_RUN + 1);

    assertThat(PieceBound.count(O200K, run))
        .isEqualTo(run.getBytes(StandardCharsets.UTF_8).length + PieceBound.RUN_EDGE_TOKENS);
  }

  @Test
  void aRunAtTheBoundIsEncoded() {
    String run = "x".repeat(PieceBound.MAX_EXACT_RUN);

    assertThat(PieceBound.count(O200K, run)).isEqualTo(O200K.countTokensOrdinary(run));
  }

  /** Encoding it took 3.9 s and 250 MB per megabyte, and 15 MB exhausted a 1 GB heap. */
  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void fifteenMegabytesWithoutWhitespaceAreCountedByTheirSize() {
    String line = "q".repeat(15_000_000);

    assertThat(PieceBound.count(O200K, line)).isEqualTo(15_000_000L + PieceBound.RUN_EDGE_TOKENS);
  }

  @Test
  void digitsNeverMakeALongRun() {
    String digits = "1234567890".repeat(100);

    assertThat(PieceBound.count(CL100K, digits)).isEqualTo(CL100K.countTokensOrdinary(digits));
  }

  @Test
  void unpairedSurrogatesCountAsTheReplacementCharacter() {
    assertThat(PieceBound.count(O200K, "lone \uD800 and \uDC00 swapped \uDFFF\uD800"))
        .isEqualTo(O200K.countTokensOrdinary("lone \uFFFD and \uFFFD swapped \uFFFD\uFFFD"));
  }

  @Test
  void anUnpairedSurrogateInARunPastTheBoundCountsThreeBytes() {
    String run = "!".repeat(PieceBound.MAX_EXACT_RUN) + "\uD800";

    assertThat(PieceBound.count(O200K, run))
        .isEqualTo(PieceBound.MAX_EXACT_RUN + 3 + PieceBound.RUN_EDGE_TOKENS);
  }

  /** Runs of random classes, each up to {@code runLength} characters, at most {@code runs}. */
  private static String text(Random random, int runs, int runLength) {
    StringBuilder text = new StringBuilder();
    int count = 1 + random.nextInt(runs);
    for (int r = 0; r < count; r++) {
      String[] members = CLASSES[random.nextInt(CLASSES.length)];
      int length = 1 + random.nextInt(runLength);
      boolean repeat = random.nextBoolean(); // one character repeated, or a mix of the class
      String first = members[random.nextInt(members.length)];
      for (int k = 0; k < length; k++) {
        text.append(repeat ? first : members[random.nextInt(members.length)]);
      }
    }
    return text.toString();
  }
}
