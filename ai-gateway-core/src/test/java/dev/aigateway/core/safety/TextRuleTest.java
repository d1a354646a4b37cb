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
  void patternsFindEveryMatchUnderTheirCategory() {
    TextRule rule = TextRule.pattern("ticket", Pattern.compile("JIRA-\\d++"), SafetyAction.FLAG);
    Spans spans = new Spans();
    rule.finder().find("JIRA-1 and JIRA-22", spans);
    assertThat(spans.size()).isEqualTo(2);
    assertThat(spans.kind(1)).isEqualTo("ticket");
    assertThat(rule.check()).isEqualTo("deny-pattern");
  }
}
