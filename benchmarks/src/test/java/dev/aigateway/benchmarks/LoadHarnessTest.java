package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A tiny run of the harness: bounded, error-free, and every wrapped call governed. */
class LoadHarnessTest {

  @Test
  void aTinyRunMeasuresBothClientsWithoutErrors() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    LoadHarness.Report report =
        LoadHarness.run(
            new LoadHarness.Settings(2, Duration.ofSeconds(5), 1, 40, CpuHarness.Mix.MIXED),
            new PrintStream(printed, true, StandardCharsets.UTF_8));

    assertThat(report.plain().requests()).isEqualTo(40);
    assertThat(report.wrapped().requests()).isEqualTo(40);
    assertThat(report.plain().errors() + report.wrapped().errors()).isZero();
    // warm-up and measured wrapped rounds, each call with the usage the server reported
    assertThat(report.governedCalls()).isEqualTo(80);
    assertThat(report.usageReported()).isEqualTo(80);
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("wrapped/plain: throughput");
  }

  @Test
  void argumentsAreCallersSecondsRoundsMaxRequestsAndMix() {
    LoadHarness.Settings settings = LoadHarness.Settings.parse(new String[] {"8", "2.5", "4"});
    LoadHarness.Settings streams =
        LoadHarness.Settings.parse(new String[] {"8", "2.5", "4", "1000", "stream"});

    assertThat(settings.callers()).isEqualTo(8);
    assertThat(settings.round()).isEqualTo(Duration.ofMillis(2500));
    assertThat(settings.rounds()).isEqualTo(4);
    assertThat(settings.maxRequestsPerRound())
        .isEqualTo(LoadHarness.DEFAULT_MAX_REQUESTS_PER_ROUND);
    assertThat(settings.mix()).isEqualTo(CpuHarness.Mix.MIXED);
    assertThat(streams.maxRequestsPerRound()).isEqualTo(1000);
    assertThat(streams.mix()).isEqualTo(CpuHarness.Mix.STREAM);
    assertThatThrownBy(() -> LoadHarness.Settings.parse(new String[] {"0"}))
        .hasMessageContaining("callers must be at least 1 but was 0");
  }
}
