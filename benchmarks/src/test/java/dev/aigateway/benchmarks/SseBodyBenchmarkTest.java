package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SseBodyBenchmark} without JMH: the body shows the application the stream without usage.
 */
class SseBodyBenchmarkTest {

  @ParameterizedTest
  @ValueSource(strings = {"v1", "v2"})
  void bodyHidesUsageAndReadsIt(String instrument) throws Exception {
    SseBodyBenchmark benchmark = new SseBodyBenchmark();
    benchmark.instrument = instrument;
    benchmark.setUp(); // throws when the body did not read the usage or showed other bytes

    assertThat(benchmark.hiddenStream()).isEqualTo(CannedBackend.EVENTS.length);
    assertThat(benchmark.hiddenStreamInPlace()).isEqualTo(CannedBackend.EVENTS.length);
    assertThat(benchmark.plainEvents()).isEqualTo(CannedBackend.EVENTS_WITH_USAGE.length);
  }

  @Test
  void anInstrumentIsV1OrV2() {
    SseBodyBenchmark benchmark = new SseBodyBenchmark();
    benchmark.instrument = "v3";

    assertThatThrownBy(benchmark::setUp).hasMessageContaining("v1 or v2, not v3");
  }
}
