package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * The CPU harness against a loopback backend (here in this JVM; the script starts it in its own):
 * every call whole, every wrapped call governed, and the backend answering as OpenAI does.
 */
class CpuHarnessTest {

  @Test
  void aTinyRunMeasuresBothClientsAndGovernsEveryWrappedCall() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (LoopbackBackend backend = LoopbackBackend.start(0)) {
      CpuHarness.Report report =
          CpuHarness.run(
              new CpuHarness.Settings(
                  backend.baseUrl(),
                  Duration.ofMillis(200),
                  4,
                  Duration.ofMillis(50),
                  CpuHarness.Mix.MIXED),
              new PrintStream(printed, true, StandardCharsets.UTF_8));

      assertThat(report.errors()).isZero();
      assertThat(report.wrappedCalls()).isPositive().isEqualTo(report.events());
      assertThat(report.clean()).isTrue();
      // the gateway's per-call objects: a wrapped call allocates more than a plain one
      assertThat(report.addedBytes().median()).isPositive();
      assertThat(report.ratio().median()).isPositive();
      assertThat(report.plainCpu().median()).isPositive();
      String text = printed.toString(StandardCharsets.UTF_8);
      assertThat(text).contains("pair   4 (wrapped first)").contains("RESULT added_cpu_us ");
    }
  }

  @Test
  void theBackendStreamsOnlyWhenAskedAndAddsUsageOnlyWhenAsked() throws Exception {
    OkHttpClient client = new OkHttpClient();
    try (LoopbackBackend backend = LoopbackBackend.start(0)) {
      String url = backend.baseUrl() + Workload.CHAT_PATH;
      String json = body(client, Workload.post(url, Workload.shortChat(false), "c"));
      String stream = body(client, Workload.post(url, Workload.shortChat(true), "c"));
      String withUsage =
          body(
              client,
              Workload.post(
                  url,
                  "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
                      .getBytes(StandardCharsets.UTF_8),
                  "c"));

      assertThat(json).startsWith("{").contains("\"usage\":{\"prompt_tokens\":27");
      assertThat(stream)
          .startsWith("data: ")
          .endsWith("data: [DONE]\n\n")
          .doesNotContain("\"usage\"");
      assertThat(stream.split("\n\n")).hasSize(CannedBackend.STREAM_CHUNKS + 1);
      assertThat(withUsage).contains("\"usage\":null").contains("\"usage\":{\"prompt_tokens\"");
    } finally {
      client.connectionPool().evictAll();
    }
  }

  @Test
  void argumentsAreUrlWarmUpPairsRoundAndMix() {
    CpuHarness.Settings settings =
        CpuHarness.Settings.parse(new String[] {"http://127.0.0.1:8080/", "2.5", "7", "300"});

    assertThat(settings.baseUrl()).isEqualTo("http://127.0.0.1:8080");
    assertThat(settings.warmUp()).isEqualTo(Duration.ofMillis(2500));
    assertThat(settings.pairs()).isEqualTo(7);
    assertThat(settings.round()).isEqualTo(Duration.ofMillis(300));
    assertThat(settings.mix()).isEqualTo(CpuHarness.Mix.MIXED);
    assertThat(
            CpuHarness.Settings.parse(new String[] {"http://127.0.0.1:1", "1", "1", "1", "json"})
                .mix())
        .isEqualTo(CpuHarness.Mix.JSON);
    assertThatThrownBy(() -> CpuHarness.Settings.parse(new String[] {"http://example.com"}))
        .hasMessageContaining("loopback backend");
    assertThatThrownBy(
            () -> CpuHarness.Settings.parse(new String[] {"http://127.0.0.1:1", "1", "0"}))
        .hasMessageContaining("pairs must be at least 1 but was 0");
  }

  @Test
  void spreadGivesMedianQuartilesAndMean() {
    CpuHarness.Spread spread = CpuHarness.Spread.of(new double[] {4, 1, 3, 2, 5});

    assertThat(spread.median()).isEqualTo(3);
    assertThat(spread.q1()).isEqualTo(2);
    assertThat(spread.q3()).isEqualTo(4);
    assertThat(spread.mean()).isEqualTo(3);
  }

  private static String body(OkHttpClient client, Request request) throws Exception {
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      return response.body().string();
    }
  }
}
