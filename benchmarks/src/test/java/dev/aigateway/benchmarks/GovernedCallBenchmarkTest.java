package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One call of each benchmark, without JMH: the set-up's own checks pass and bodies are whole. */
class GovernedCallBenchmarkTest {

  private final GovernedCallBenchmark benchmark = new GovernedCallBenchmark();

  @BeforeEach
  void setUp() throws Exception {
    benchmark.setUp(); // throws when a pair would not measure what it says
  }

  @Test
  void governedJsonCallsReadTheSameAnswerAsPlainOnes() throws Exception {
    long answer = CannedBackend.COMPLETION.length;
    assertThat(benchmark.plain()).isEqualTo(answer);
    assertThat(benchmark.governedNoEstimate()).isEqualTo(answer);
    assertThat(benchmark.governedShortWithEstimate()).isEqualTo(answer);
    assertThat(benchmark.plainLongPrompt()).isEqualTo(answer);
    assertThat(benchmark.governedLongPromptNoEstimate()).isEqualTo(answer);
    assertThat(benchmark.governedWithEstimate()).isEqualTo(answer);
  }

  @Test
  void governedStreamReadsTheStreamWithoutTheUsageTheGatewayAskedFor() throws Exception {
    assertThat(benchmark.plainStream()).isEqualTo(CannedBackend.EVENTS.length);
    assertThat(benchmark.governedStream()).isEqualTo(CannedBackend.EVENTS.length);
    assertThat(benchmark.plainStreamPaced()).isEqualTo(CannedBackend.EVENTS.length);
    assertThat(benchmark.governedStreamPaced()).isEqualTo(CannedBackend.EVENTS.length);
    assertThat(CannedBackend.EVENTS_WITH_USAGE.length).isGreaterThan(CannedBackend.EVENTS.length);
  }
}
