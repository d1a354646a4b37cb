package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Each benchmark once, without JMH: both read the whole answer and the consumer is tracked. */
class AnomalyDetectionBenchmarkTest {

  @Test
  void bothCallsReadTheAnswerAndTheDetectingGatewayTracksTheConsumer() throws Exception {
    AnomalyDetectionBenchmark benchmark = new AnomalyDetectionBenchmark();
    benchmark.setUp();

    assertThat(benchmark.withoutDetection()).isEqualTo(CannedBackend.COMPLETION.length);
    assertThat(benchmark.withDetection()).isEqualTo(CannedBackend.COMPLETION.length);

    assertThat(benchmark.learntBuckets()).isZero(); // tracked, still in its first bucket
    benchmark.checkTheConsumerStayedNormal();
  }
}
