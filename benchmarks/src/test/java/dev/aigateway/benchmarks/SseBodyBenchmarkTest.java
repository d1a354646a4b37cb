package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@link SseBodyBenchmark} without JMH: the body shows the application the stream without usage.
 */
class SseBodyBenchmarkTest {

  @Test
  void bodyHidesUsageAndReadsIt() throws Exception {
    SseBodyBenchmark benchmark = new SseBodyBenchmark();
    benchmark.setUp(); // throws when the body did not read the usage or showed other bytes

    assertThat(benchmark.hiddenStream()).isEqualTo(CannedBackend.EVENTS.length);
    assertThat(benchmark.hiddenStreamInPlace()).isEqualTo(CannedBackend.EVENTS.length);
    assertThat(benchmark.plainEvents()).isEqualTo(CannedBackend.EVENTS_WITH_USAGE.length);
  }
}
