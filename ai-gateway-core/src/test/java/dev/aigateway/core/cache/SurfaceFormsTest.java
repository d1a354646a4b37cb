package dev.aigateway.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SurfaceFormsTest {

  private static final GuardLexicon LEXICON = new GuardLexicon(List.of(), List.of(), List.of());

  /** The kinds found for each side's differing words. */
  private static SurfaceForms.Kind[][] explain(
      List<String> a, String promptA, List<String> b, String promptB) {
    SurfaceForms.Kind[] ka = new SurfaceForms.Kind[a.size()];
    SurfaceForms.Kind[] kb = new SurfaceForms.Kind[b.size()];
    SurfaceForms.explain(
        a, ka, b, kb, AlignedPrompt.tokens(promptB), PromptMarkers.of(promptB, LEXICON));
    SurfaceForms.explain(
        b, kb, a, ka, AlignedPrompt.tokens(promptA), PromptMarkers.of(promptA, LEXICON));
    return new SurfaceForms.Kind[][] {ka, kb};
  }

  @Test
  void anInitialismAndTheWordsItSpellsAreOneThing() {
    SurfaceForms.Kind[][] k =
        explain(
            List.of("bcd"),
            "What does a BCD do on a dive?",
            List.of("buoyancy", "control", "device"),
            "What does a buoyancy control device do on a dive?");

    assertThat(k[0]).containsExactly(SurfaceForms.Kind.ABBREVIATION);
    assertThat(k[1]).containsOnly(SurfaceForms.Kind.ABBREVIATION);
  }

  @Test
  void anInitialismTheOtherSideDoesNotSpellStaysUnexplained() {
    SurfaceForms.Kind[][] k =
        explain(
            List.of("bcd"),
            "What does a BCD do on a dive?",
            List.of("weight", "belt"),
            "What does a weight belt do on a dive?");

    assertThat(k[0]).containsOnlyNulls();
    assertThat(k[1]).containsOnlyNulls();
  }

  @Test
  void listedAbbreviationsNumeronymsAndClippedWordsAreExplained() {
    SurfaceForms.Kind[][] k =
        explain(
            List.of("js"),
            "Write a JS function",
            List.of("javascript"),
            "Write a JavaScript function");
    assertThat(k[0]).containsExactly(SurfaceForms.Kind.ABBREVIATION);
    assertThat(k[1]).containsExactly(SurfaceForms.Kind.ABBREVIATION);

    assertThat(SurfaceForms.pairKind("k8s", "kubernetes"))
        .isEqualTo(SurfaceForms.Kind.ABBREVIATION);
    assertThat(SurfaceForms.pairKind("k8s", "keys")).isNull();
    assertThat(SurfaceForms.pairKind("avg", "average")).isEqualTo(SurfaceForms.Kind.CLIPPING);
    assertThat(SurfaceForms.pairKind("info", "information")).isEqualTo(SurfaceForms.Kind.CLIPPING);
    assertThat(SurfaceForms.pairKind("cat", "dog")).isNull();
  }

  @Test
  void britishAndAmericanSpellingsUnitsTyposAndCompoundsAreExplained() {
    assertThat(SurfaceForms.pairKind("colour", "color")).isEqualTo(SurfaceForms.Kind.SPELLING);
    assertThat(SurfaceForms.pairKind("summarise", "summarize"))
        .isEqualTo(SurfaceForms.Kind.SPELLING);
    assertThat(SurfaceForms.pairKind("centimetres", "centimeters"))
        .isEqualTo(SurfaceForms.Kind.SPELLING);
    assertThat(SurfaceForms.pairKind("travelled", "traveled"))
        .isEqualTo(SurfaceForms.Kind.SPELLING);
    assertThat(SurfaceForms.american("hour")).isEqualTo("hour");
    assertThat(SurfaceForms.pairKind("km", "kilometres")).isEqualTo(SurfaceForms.Kind.UNIT);
    assertThat(SurfaceForms.pairKind("prelimnary", "preliminary"))
        .isEqualTo(SurfaceForms.Kind.TYPO);
    assertThat(SurfaceForms.pairKind("compreses", "compresses")).isEqualTo(SurfaceForms.Kind.TYPO);
    assertThat(SurfaceForms.pairKind("fresh", "stale")).isNull();

    SurfaceForms.Kind[][] k =
        explain(
            List.of("glassblowing"),
            "What is a marver used for in glassblowing?",
            List.of("glass", "blowing"),
            "what is a marver used for in glass blowing");
    assertThat(k[0]).containsExactly(SurfaceForms.Kind.COMPOUND);
    assertThat(k[1]).containsOnly(SurfaceForms.Kind.COMPOUND);
  }

  @Test
  void functionWordsAreCountedByClass() {
    List<String> a = AlignedPrompt.tokens("Move the files from A to B and C");
    List<String> b = AlignedPrompt.tokens("Move the files into A to B or C");

    assertThat(SurfaceForms.classDiffering(a, b, SurfaceForms.PREPOSITIONS::contains)).isEqualTo(2);
    assertThat(SurfaceForms.classDiffering(a, b, SurfaceForms.CONJUNCTIONS::contains)).isEqualTo(2);
    assertThat(SurfaceForms.classDiffering(a, b, SurfaceForms.QUANTIFIERS::contains)).isZero();
  }

  @Test
  void sharedWordsSwappedAroundAPivotAreSeen() {
    assertThat(
            SurfaceForms.swappedAroundPivot(
                List.of("inflation", "lead", "rate"), List.of("rate", "lead", "inflation")))
        .isTrue();
    assertThat(
            SurfaceForms.swappedAroundPivot(
                List.of("inflation", "lead", "rate"), List.of("inflation", "lead", "rate")))
        .isFalse();
    assertThat(
            SurfaceForms.swappedAroundPivot(
                List.of("inflation", "lead", "rate"), List.of("lead", "inflation", "rate")))
        .isFalse();
  }

  @Test
  void quantitiesCompareByValueInBaseUnits() {
    assertThat(exact("Convert 2 kilometres to miles.", "Convert 2000 metres to miles.")).isTrue();
    assertThat(exact("Store 1 TB of backups", "Store 1,000 GB of backups")).isTrue();
    assertThat(exact("Convert 2 kilometres to miles.", "Convert 200 metres to miles.")).isFalse();
    assertThat(SurfaceForms.sameQuantities(List.of("7", "3|ord"), List.of("3|ord", "7"), false))
        .isTrue();
    assertThat(SurfaceForms.sameQuantities(List.of("7", "3|ord"), List.of("7"), true)).isFalse();
    // without conversions, rounding and binary prefixes are differences
    assertThat(exact("run 5 miles", "run 8 km")).isFalse();
    assertThat(exact("set a JVM heap of 2 GB", "set a JVM heap of 2048 MB")).isFalse();
  }

  @Test
  void quantitiesInOtherUnitsOfOneBaseMatchWithinRounding() {
    assertThat(same("set a JVM heap of 2 GB", "set a JVM heap of 2048 MB")).isTrue();
    assertThat(same("expire after 1 hour", "expire after 3600 seconds")).isTrue();
    assertThat(same("a 2 hour layover", "a 120 minute layover")).isTrue();
    assertThat(same("run 5 miles", "run 8 km")).isTrue();
    assertThat(same("a 5 lb bag", "a 2.27 kg bag")).isTrue();
    assertThat(same("he is 6 feet tall", "he is 183 cm tall")).isTrue();
    // the same unit must give the same value; other units must agree within rounding
    assertThat(same("a 100 GB disk", "a 101 GB disk")).isFalse();
    assertThat(same("my image is 1.2 GB", "my image is 120 MB")).isFalse();
    assertThat(same("run 5 miles", "run 5 km")).isFalse();
    assertThat(same("wait 30 seconds", "wait 30 minutes")).isFalse();
    assertThat(same("a 5 lb bag", "a 5 km bag")).isFalse();
  }

  private static boolean same(String a, String b) {
    return SurfaceForms.sameQuantities(
        PromptMarkers.of(a, LEXICON).numbers, PromptMarkers.of(b, LEXICON).numbers, true);
  }

  private static boolean exact(String a, String b) {
    return SurfaceForms.sameQuantities(
        PromptMarkers.of(a, LEXICON).numbers, PromptMarkers.of(b, LEXICON).numbers, false);
  }

  @Test
  void theNormalWordsLeaveOutCaseContractionsNumbersUnitsAndSpelling() {
    assertThat(normal("Tell the client we can't meet on Friday."))
        .isEqualTo(normal("tell the client we cannot meet on Friday"));
    assertThat(normal("Write a fifty-word product description."))
        .isEqualTo(normal("Write a 50 word product description"));
    assertThat(normal("How many meters does 1 cm represent?"))
        .isEqualTo(normal("How many metres does one centimetre represent?"));
    assertThat(normal("What colour is it?")).isEqualTo(normal("What color is it?"));
    assertThat(normal("Translate this into French"))
        .isNotEqualTo(normal("Translate this into Spanish"));
  }

  @Test
  void oneFunctionWordOfOneClassSwappedIsSeen() {
    assertThat(
            SurfaceForms.oneFunctionWordSwapped(
                normal("Find rows that are unpaid and old"),
                normal("find rows that are unpaid or old")))
        .isTrue();
    assertThat(
            SurfaceForms.oneFunctionWordSwapped(
                normal("Increase it to 8%"), normal("Increase it by 8%")))
        .isTrue();
    assertThat(
            SurfaceForms.oneFunctionWordSwapped(
                normal("Find rows that are unpaid and old"),
                normal("Find rows that are unpaid and new")))
        .isFalse();
    assertThat(
            SurfaceForms.oneFunctionWordSwapped(
                normal("Move it to the left and up"), normal("Move it by the left or up")))
        .isFalse();
    assertThat(normal("Calculate 15% of 2,400."))
        .isEqualTo(normal("Calculate fifteen percent of 2400"));
    assertThat(normal("Wake me at 5:30 am")).isNotEqualTo(normal("Wake me at 5:30 pm"));
  }

  private static List<String> normal(String prompt) {
    return SurfaceForms.normalWords(prompt, LEXICON);
  }
}
