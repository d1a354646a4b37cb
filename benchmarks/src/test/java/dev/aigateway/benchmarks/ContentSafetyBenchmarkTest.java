package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** One call of each benchmark, without JMH: both clients answer alike, the scan finds 3. */
class ContentSafetyBenchmarkTest {

  @Test
  void theBenchmarksMeasureWhatTheySay() throws Exception {
    ContentSafetyBenchmark benchmark = new ContentSafetyBenchmark();
    benchmark.setUp();
    long answer = CannedBackend.COMPLETION.length;
    assertThat(benchmark.governedShort()).isEqualTo(answer);
    assertThat(benchmark.governedShortWithSafety()).isEqualTo(answer);
    assertThat(benchmark.piiScan1kTokens()).isEqualTo(3);
  }
}
