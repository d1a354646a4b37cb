package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.spi.VectorMatch;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Small set-ups of each case, without JMH: filled, searchable, and as exact as they say. */
class SemanticLookupBenchmarkTest {

  @ParameterizedTest(name = "{0}, {1}")
  @CsvSource({
    "clustered, exact",
    "clustered, approximate",
    "random, exact",
    "random, approximate",
    "random, default"
  })
  void eachCaseFindsTheBestThreeWithTheRecallItClaims(String vectors, String search) {
    SemanticLookupBenchmark benchmark = new SemanticLookupBenchmark();
    benchmark.entries = 1_000;
    benchmark.vectors = vectors;
    benchmark.search = search;
    benchmark.setUp(); // throws when the store is short of entries, or exact but not exact

    List<VectorMatch> matches = benchmark.nearest();

    assertThat(matches).hasSize(SemanticLookupBenchmark.LIMIT);
    assertThat(matches.get(0).score()).isGreaterThanOrEqualTo(matches.get(2).score());
    assertThat(benchmark.recall).isGreaterThanOrEqualTo(search.equals("approximate") ? 0.9 : 1.0);
  }
}
