package dev.aigateway.core.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ModelPatternTest {

  @Test
  void literalPatternMatchesOnlyThatModelIgnoringCase() {
    ModelPattern p = ModelPattern.compile("gpt-4o");
    assertThat(p.matches("gpt-4o")).isTrue();
    assertThat(p.matches("GPT-4o")).isTrue();
    assertThat(p.matches("gpt-4o-mini")).isFalse();
    assertThat(p.matches("xgpt-4o")).isFalse();
    assertThat(p.matches("gpt-4")).isFalse();
  }

  @Test
  void aPatternMatchesItsOwnTextWhateverItsLettersLowerCaseTo() {
    // 'İ' (U+0130) lower-cases to two characters, 'K' (Kelvin sign) to an ASCII 'k'.
    ToolAccess access =
        ToolAccess.allowByDefault().denyConsumer("bob", "İmport_*", "\u212Aill_*").build();
    assertThat(access.check("bob", java.util.Set.of(), "İmport_orders").allowed()).isFalse();
    assertThat(access.check("bob", java.util.Set.of(), "\u212Aill_job").allowed()).isFalse();
    assertThat(ModelPattern.compile("model-İ").matches("MODEL-İ")).isTrue();
    assertThat(ModelPattern.compile("*İ*").matches("xİy")).isTrue();
  }

  @Test
  void trailingStarIsAPrefix() {
    ModelPattern p = ModelPattern.compile("gpt-4o*");
    assertThat(p.matches("gpt-4o")).isTrue();
    assertThat(p.matches("gpt-4o-mini-2024-07-18")).isTrue();
    assertThat(p.matches("gpt-4")).isFalse();
    assertThat(p.matches("my-gpt-4o")).isFalse();
  }

  @Test
  void leadingStarIsASuffix() {
    ModelPattern p = ModelPattern.compile("*-mini");
    assertThat(p.matches("gpt-4o-mini")).isTrue();
    assertThat(p.matches("o4-mini")).isTrue();
    assertThat(p.matches("-mini")).isTrue();
    assertThat(p.matches("gpt-4o-mini-2024")).isFalse();
    assertThat(p.matches("mini")).isFalse();
  }

  @Test
  void innerStarsMatchRunsInOrder() {
    ModelPattern p = ModelPattern.compile("gpt-*-mini*");
    assertThat(p.matches("gpt-4o-mini")).isTrue();
    assertThat(p.matches("gpt-4.1-mini-2025")).isTrue();
    assertThat(p.matches("gpt-4o")).isFalse();
    assertThat(p.matches("gpt-mini")).isFalse(); // "gpt-" then "-mini" cannot overlap
    ModelPattern ends = ModelPattern.compile("a*a");
    assertThat(ends.matches("a")).isFalse();
    assertThat(ends.matches("aa")).isTrue();
    assertThat(ends.matches("aba")).isTrue();
  }

  @Test
  void loneStarMatchesEveryModelButNoModelAtAll() {
    ModelPattern p = ModelPattern.compile("*");
    assertThat(p.matches("anything")).isTrue();
    assertThat(p.matches("")).isTrue();
    assertThat(p.matches(null)).isFalse();
  }

  @Test
  void blankPatternIsRefusedWithTheValue() {
    assertThatThrownBy(() -> ModelPattern.compile(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("' '");
  }
}
