package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.BreakerState;
import dev.aigateway.core.routing.BackendState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The benchmark's set-up makes each strategy do the work it is measured for, without JMH. */
class BackendSelectionBenchmarkTest {

  private static BackendSelectionBenchmark benchmark(
      String strategy, String layout, String breaker) {
    BackendSelectionBenchmark benchmark = new BackendSelectionBenchmark();
    benchmark.strategy = strategy;
    benchmark.layout = layout;
    benchmark.breaker = breaker;
    benchmark.setUp(); // throws when a layout does not route as it says
    return benchmark;
  }

  private static Map<String, Integer> picks(BackendSelectionBenchmark benchmark, int calls) {
    Map<String, Integer> picks = new HashMap<>();
    for (int i = 0; i < calls; i++) {
      picks.merge(benchmark.select().id(), 1, Integer::sum);
    }
    return picks;
  }

  @ParameterizedTest(name = "{0}, {1}, {2} breaker")
  @CsvSource({
    "roundRobin, 1x10, count",
    "weighted, 2x5, rate",
    "leastBusy, 2x5-tier1-down, count",
    "latencyAware, 1x10, rate",
    "capacityAware, 2x5-tier1-down, rate"
  })
  void everyCombinationSetsUpAndLeavesBreakersClosed(
      String strategy, String layout, String breaker) {
    BackendSelectionBenchmark benchmark = benchmark(strategy, layout, breaker);
    picks(benchmark, 1_000);
    assertThat(benchmark.router().backends())
        .allMatch(b -> b.breaker().state() == BreakerState.CLOSED);
  }

  @Test
  void roundRobinVisitsAllTenBackends() {
    assertThat(picks(benchmark("roundRobin", "1x10", "count"), 10))
        .hasSize(10)
        .allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
  }

  @Test
  void weightedSharesByWeights() {
    Map<String, Integer> picks = picks(benchmark("weighted", "1x10", "count"), 55);
    for (int i = 0; i < BackendSelectionBenchmark.BACKENDS; i++) {
      assertThat(picks.get("b" + i)).as("b%d, weight %d", i, i + 1).isEqualTo(i + 1);
    }
  }

  @Test
  void scoredStrategiesEachPreferADifferentBackend() {
    // Fewest in flight, lowest latency and most tokens left are on three different backends.
    assertThat(picks(benchmark("leastBusy", "1x10", "count"), 20)).containsOnlyKeys("b1");
    assertThat(picks(benchmark("latencyAware", "1x10", "count"), 20)).containsOnlyKeys("b3");
    assertThat(picks(benchmark("capacityAware", "1x10", "count"), 20)).containsOnlyKeys("b6");
  }

  @Test
  void withTierOneDownCallsGoToTierTwo() {
    BackendSelectionBenchmark benchmark = benchmark("roundRobin", "2x5-tier1-down", "count");
    assertThat(picks(benchmark, 10)).containsOnlyKeys("b5", "b6", "b7", "b8", "b9");
    List<BackendState> tierOne = benchmark.router().backends().subList(0, 5);
    assertThat(tierOne).noneMatch(b -> b.available(System.currentTimeMillis()));
  }
}
