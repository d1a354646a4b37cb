package dev.aigateway.core.safety;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Deny lists: whole words, any case; patterns: every match. */
class TextRuleTest {

  private static int matches(TextRule rule, String text) {
    Spans spans = new Spans();
    rule.finder().find(text, spans);
    return spans.size();
  }

  @Test
  void wordsMatchWholeWordsInAnyCase() {
    TextRule rule = TextRule.words("secret", List.of("falcon", "top secret"), SafetyAction.BLOCK);
    assertThat(matches(rule, "Tell me about Project FALCON.")).isEqualTo(1);
    assertThat(matches(rule, "this is Top Secret stuff")).isEqualTo(1);
    assertThat(matches(rule, "falconry and falcons are fine")).isZero();
    assertThat(matches(rule, "top secretary")).isZero();
  }

  @Test
  void aPhraseIsFoundWhateverWhiteSpaceSeparatesItsWords() {
    TextRule rule = TextRule.words("secret", List.of("project falcon"), SafetyAction.BLOCK);
    // A line break (wrapped text), a tab, two spaces or a no-break space between the words.
    for (String text :
        List.of(
            "about project\nfalcon today",
            "about Project\r\n  Falcon.",
            "about project\tfalcon",
            "about project  falcon",
            "about project\u00A0falcon")) {
      assertThat(matches(rule, text)).as(text).isEqualTo(1);
    }
    assertThat(matches(rule, "about projectfalcon")).isZero();
    assertThat(matches(rule, "about project falconry")).isZero();
    assertThat(matches(rule, "about project, falcon")).isZero();
  }

  @Test
  void aWordIsFoundThroughInvisibleCharactersAndFullWidthLetters() {
    // A model reads these as the word itself: zero-width spaces and joiners, a soft hyphen or a
    // word joiner inside it, or its letters in their full-width forms.
    TextRule rule = TextRule.words("secret", List.of("project falcon"), SafetyAction.BLOCK);
    for (String text :
        List.of(
            "about project fal\u200Bcon today",
            "about p\u200Dr\u200Co\u2060j\u00ADect falcon",
            "about project\u200B falcon",
            "about project \uFEFFfalcon",
            "about \uFF50\uFF52\uFF4F\uFF4A\uFF45\uFF43\uFF54 \uFF26\uFF21\uFF2C\uFF23\uFF2F\uFF2E",
            "about \uFF30roject\u3000falcon")) {
      Spans spans = new Spans();
      rule.finder().find(text, spans);
      assertThat(spans.size()).as(text).isEqualTo(1);
      assertThat(text.substring(spans.start(0), spans.end(0)))
          .as("the span covers the word whole, for redaction")
          .startsWith(text.substring(6, 7))
          .doesNotEndWith(" ");
      assertThat(spans.end(0)).as(text).isIn(text.length(), text.indexOf(" today"));
    }
    assertThat(matches(rule, "about project\u200Bfalcon")).isZero(); // no space between
    assertThat(matches(rule, "about project falc\u200Bonry")).isZero();
  }

  @Test
  void aWordIsFoundInTheLettersAModelReadsAsItsOwn() {
    // Mathematical letters (NFKC maps them to ASCII, as the personal-data detectors read them),
    // letters whose case folds to an ASCII one (the Kelvin sign, the long s) at the start of a
    // word as inside it, and combining marks laid over its letters (strike-through, accents): a
    // model reads each as the word.
    TextRule rule = TextRule.words("secret", List.of("project falcon"), SafetyAction.BLOCK);
    for (String text :
        List.of(
            "about \uD835\uDC29\uD835\uDC2B\uD835\uDC28\uD835\uDC23\uD835\uDC1E\uD835\uDC1C"
                + "\uD835\uDC2D \uD835\uDC1F\uD835\uDC1A\uD835\uDC25\uD835\uDC1C\uD835\uDC28"
                + "\uD835\uDC27 today",
            "about project f\u0336a\u0336l\u0336c\u0336o\u0336n\u0336 today",
            "about pro\u0301ject falco\u0303n today")) {
      Spans spans = new Spans();
      rule.finder().find(text, spans);
      assertThat(spans.size()).as(text).isEqualTo(1);
      assertThat(spans.start(0)).as(text).isEqualTo(6);
      assertThat(spans.end(0))
          .as("the span covers the word whole, for redaction")
          .isEqualTo(text.indexOf(" today"));
    }
    TextRule secret = TextRule.words("secret", List.of("secret", "kill"), SafetyAction.BLOCK);
    assertThat(matches(secret, "a \u017Fecret")).as("long s first").isEqualTo(1);
    assertThat(matches(secret, "a \u212Aill")).as("Kelvin sign first").isEqualTo(1);
    assertThat(matches(secret, "a s\u0336ecretary")).isZero();
    assertThat(
            matches(
                secret,
                "a \uD835\uDC2C\uD835\uDC1E\uD835\uDC1C\uD835\uDC2B\uD835\uDC1E"
                    + "\uD835\uDC2D\uD835\uDC1A\uD835\uDC2B\uD835\uDC32"))
        .isZero(); // secretary
  }

  @Test
  void aWordIsFoundInTheCompatibilityLettersNfkcSpellsAsAscii() {
    // The mathematical alphabets' letters that live in the BMP's letterlike symbols (italic h is
    // U+210E, so every word with an h in mathematical italic uses it), circled letters, the Latin
    // ligatures (one character, two or three letters) and modifier letters: NFKC spells each as
    // ASCII letters, and a model reads the word.
    TextRule rule =
        TextRule.words("secret", List.of("hush", "falcon", "profit"), SafetyAction.BLOCK);
    for (String word :
        List.of(
            "\u210E\uD835\uDC62\uD835\uDC60\u210E", // hush in mathematical italic
            "\u24D5\u24D0\u24DB\u24D2\u24DE\u24DD", // circled falcon
            "\u24BB\u24B6\u24C1\u24B8\u24C4\u24C3", // circled FALCON
            "pro\uFB01t", // the fi ligature
            "\u1DA0\u1D43lcon")) { // modifier f and a
      String text = "about " + word + " today";
      Spans spans = new Spans();
      rule.finder().find(text, spans);
      assertThat(spans.size()).as(text).isEqualTo(1);
      assertThat(spans.start(0)).as(text).isEqualTo(6);
      assertThat(spans.end(0)).as("the whole word, for redaction").isEqualTo(6 + word.length());
    }
    // Still whole words: the letters go on past the word, or a ligature spells past its end.
    assertThat(matches(rule, "\u24D5\u24D0\u24DB\u24D2\u24DE\u24DD\u24E1\u24E8")).isZero();
    assertThat(matches(rule, "pro\uFB01table")).isZero();
    assertThat(matches(rule, "pro\uFB03")).isZero();
    // A sign NFKC spells as letters that is no letter itself ends a word, as before.
    assertThat(matches(rule, "Falcon\u2122 and profit\u2122")).isEqualTo(2);
    // A deny word written with a ligature is found written out, and the other way round.
    TextRule ligature = TextRule.words("secret", List.of("\uFB01re"), SafetyAction.BLOCK);
    assertThat(matches(ligature, "open fire")).isEqualTo(1);
    assertThat(matches(ligature, "open \uFB01re")).isEqualTo(1);
  }

  @Test
  void aLongRunOfCombiningMarksIsScannedInTimeThatGrowsWithItsLength() {
    // Each position of a run of combining marks looked back over the whole run before it to tell
    // whether a word may start there: a prompt of a million marks (two megabytes) took minutes.
    TextRule rule = TextRule.words("secret", List.of("falcon"), SafetyAction.BLOCK);
    String text = "falcon e" + "\u0301".repeat(1_000_000) + " falcon";
    Spans spans = new Spans();

    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> rule.finder().find(text, spans));

    assertThat(spans.size()).isEqualTo(2);
    assertThat(spans.start(1)).isEqualTo(text.length() - "falcon".length());
  }

  @Test
  void patternsFindEveryMatchUnderTheirCategory() {
    TextRule rule = TextRule.pattern("ticket", Pattern.compile("JIRA-\\d++"), SafetyAction.FLAG);
    Spans spans = new Spans();
    rule.finder().find("JIRA-1 and JIRA-22", spans);
    assertThat(spans.size()).isEqualTo(2);
    assertThat(spans.kind(1)).isEqualTo("ticket");
    assertThat(rule.check()).isEqualTo("deny-pattern");
  }
}
