package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** One call of each benchmark, without JMH: the set-up's own checks pass and bodies are whole. */
class RequestLimitBenchmarkTest {

  @Test
  void everyGatewayAnswersTheWholeCannedAnswer() throws Exception {
    RequestLimitBenchmark benchmark = new RequestLimitBenchmark();
    benchmark.setUp(); // throws when a gateway does not keep the counters it should

    long answer = CannedBackend.COMPLETION.length;
    assertThat(benchmark.tokens()).isEqualTo(answer);
    assertThat(benchmark.tokensAndRequestsPerMinute()).isEqualTo(answer);
    assertThat(benchmark.tokensRequestsAndInFlight()).isEqualTo(answer);
  }
}
