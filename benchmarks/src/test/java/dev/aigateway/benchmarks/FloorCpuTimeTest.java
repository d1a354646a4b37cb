package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The in-process floor measure: every client's calls whole, every gateway call governed. */
class FloorCpuTimeTest {

  @Test
  void aTinyRunTimesEveryClientWithoutAnError() {
    FloorCpuTime.Result result = FloorCpuTime.run(4, 20, CpuHarness.Mix.MIXED);

    assertThat(result.errors()).isZero();
    // every round made its calls through the gateway too: 4 rounds of 20
    assertThat(result.gatewayCalls()).isEqualTo(4 * 20).isEqualTo(result.events());
    assertThat(result.clean()).isTrue();
    assertThat(result.cpuMicros()).hasSize(FloorCpuTime.CLIENTS.length);
    assertThat(java.util.Arrays.stream(result.cpuMicros()).min().orElseThrow()).isPositive();
    // the gateway reads and counts what the plain client does not: it allocates more per call
    assertThat(result.bytes()[4]).isGreaterThan(result.bytes()[0]);
  }
}
