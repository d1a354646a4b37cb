package dev.aigateway.core.safety;

import static org.assertj.core.api.Assertions.assertThat;

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
  void patternsFindEveryMatchUnderTheirCategory() {
    TextRule rule = TextRule.pattern("ticket", Pattern.compile("JIRA-\\d++"), SafetyAction.FLAG);
    Spans spans = new Spans();
    rule.finder().find("JIRA-1 and JIRA-22", spans);
    assertThat(spans.size()).isEqualTo(2);
    assertThat(spans.kind(1)).isEqualTo("ticket");
    assertThat(rule.check()).isEqualTo("deny-pattern");
  }
}
