package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** One call of each benchmark, without JMH: the set-up's own checks pass. */
class EmbeddingBenchmarkTest {

  @Test
  void eachBenchmarkDoesItsWork() throws Exception {
    EmbeddingBenchmark benchmark = new EmbeddingBenchmark();
    benchmark.setUp(); // throws when a benchmark would not measure what it says

    assertThat(benchmark.embedShortPrompt()).hasSize(384);
    assertThat(benchmark.embedLongPrompt()).hasSize(384);
    assertThat(benchmark.guardTypicalPair()).isEmpty();
  }
}
