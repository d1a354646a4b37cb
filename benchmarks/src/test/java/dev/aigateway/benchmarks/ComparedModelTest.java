package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The names {@code SemanticCacheEvaluation --model} takes; no model is loaded here. */
class ComparedModelTest {

  @Test
  void eachModelIsChosenByItsOptionName() {
    assertThat(ComparedModel.of("minilm")).isSameAs(ComparedModel.MINILM);
    assertThat(ComparedModel.of("bge-small")).isSameAs(ComparedModel.BGE_SMALL);
    assertThat(ComparedModel.of("bge-small-q")).isSameAs(ComparedModel.BGE_SMALL_Q);
    assertThat(ComparedModel.of("e5-small-q")).isSameAs(ComparedModel.E5_SMALL_Q);
  }

  @Test
  void anUnknownNameIsRejectedNamingTheOptions() {
    assertThatThrownBy(() -> ComparedModel.of("bge-large"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bge-large")
        .hasMessageContaining("minilm|bge-small|bge-small-q|e5-small-q");
  }
}
