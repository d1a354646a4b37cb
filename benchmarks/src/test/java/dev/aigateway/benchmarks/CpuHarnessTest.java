package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okio.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The CPU harness against a loopback backend (here in this JVM; the script starts it in its own):
 * every call whole, every wrapped call governed, and the backend answering as OpenAI does.
 */
class CpuHarnessTest {

  @ParameterizedTest
  @EnumSource(CpuHarness.Instrument.class)
  void aTinyRunMeasuresBothClientsAndGovernsEveryWrappedCall(CpuHarness.Instrument instrument)
      throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (LoopbackBackend backend = LoopbackBackend.start(0, instrument)) {
      CpuHarness.Report report =
          CpuHarness.run(
              new CpuHarness.Settings(
                  backend.baseUrl(),
                  Duration.ofMillis(200),
                  4,
                  Duration.ofMillis(50),
                  CpuHarness.Mix.MIXED,
                  instrument),
              new PrintStream(printed, true, StandardCharsets.UTF_8));

      assertThat(report.errors()).isZero();
      assertThat(report.wrappedCalls()).isPositive().isEqualTo(report.events());
      assertThat(report.clean()).isTrue();
      // the gateway's per-call objects: a wrapped call allocates more than a plain one
      assertThat(report.addedBytes().median()).isPositive();
      assertThat(report.ratio().median()).isPositive();
      assertThat(report.plainCpu().median()).isPositive();
      String text = printed.toString(StandardCharsets.UTF_8);
      assertThat(text)
          .contains("pair   4 (wrapped first)")
          .contains("RESULT added_cpu_us ")
          .contains("instrument " + instrument.name().toLowerCase(Locale.ROOT));
    }
  }

  @Test
  void theSecondInstrumentBuildsEveryRequestAnewAndAlikeTheFirstReusesOne() throws Exception {
    byte[] chat = Workload.shortChat(false);
    byte[] streamed = Workload.shortChat(true);
    String url = "http://127.0.0.1:1" + Workload.CHAT_PATH;
    CpuHarness.Calls v2 = new CpuHarness.Calls(url, chat, streamed, CpuHarness.Instrument.V2);
    CpuHarness.Calls v1 = new CpuHarness.Calls(url, chat, streamed, CpuHarness.Instrument.V1);

    Request first = v2.next(false);
    Request second = v2.next(false);
    assertThat(second).isNotSameAs(first);
    assertThat(second.body()).isNotSameAs(first.body());
    for (Request request : new Request[] {first, second, v1.next(false)}) {
      assertThat(request.method()).isEqualTo("POST");
      assertThat(request.url().toString()).isEqualTo(url);
      assertThat(request.header(Workload.CONSUMER_HEADER)).isEqualTo("team-0");
      assertThat(request.headers().size()).isEqualTo(1);
      assertThat(request.body().contentType().toString()).isEqualTo("application/json");
      assertThat(sent(request)).isEqualTo(chat);
    }
    assertThat(sent(v2.next(true))).isEqualTo(streamed);
    assertThat(sent(v1.next(true))).isEqualTo(streamed);
    assertThat(v1.next(false)).isSameAs(v1.next(false));
    assertThat(v1.next(true)).isSameAs(v1.next(true)).isNotSameAs(v1.next(false));
  }

  @Test
  void theSecondInstrumentsBackendGivesEachAnswerItsOwnIdAndTheFirstsTheCannedOne()
      throws Exception {
    OkHttpClient client = new OkHttpClient();
    try (LoopbackBackend v2 = LoopbackBackend.start(0, CpuHarness.Instrument.V2);
        LoopbackBackend v1 = LoopbackBackend.start(0, CpuHarness.Instrument.V1)) {
      String json = Workload.CHAT_PATH;
      byte[] chat = Workload.shortChat(false);
      byte[] streamed = Workload.shortChat(true);
      String a = body(client, Workload.post(v2.baseUrl() + json, chat, "c"));
      String b = body(client, Workload.post(v2.baseUrl() + json, chat, "c"));
      String stream = body(client, Workload.post(v2.baseUrl() + json, streamed, "c"));

      assertThat(a).hasSize(CannedBackend.COMPLETION.length).isNotEqualTo(b);
      assertThat(id(a))
          .isNotEqualTo(id(b))
          .hasSize(id(CannedBackend.COMPLETION))
          .startsWith("chatcmpl-");
      assertThat(stream).hasSize(CannedBackend.EVENTS.length);
      String[] chunks = stream.split("\n\n");
      assertThat(chunks).hasSize(CannedBackend.STREAM_CHUNKS + 1);
      for (int i = 0; i < CannedBackend.STREAM_CHUNKS; i++) {
        assertThat(id(chunks[i])).isEqualTo(id(chunks[0])).isNotEqualTo(id(a)).isNotEqualTo(id(b));
      }
      assertThat(body(client, Workload.post(v1.baseUrl() + json, chat, "c")))
          .isEqualTo(body(client, Workload.post(v1.baseUrl() + json, chat, "c")))
          .isEqualTo(new String(CannedBackend.COMPLETION, StandardCharsets.UTF_8));
      assertThat(body(client, Workload.post(v1.baseUrl() + json, streamed, "c")))
          .isEqualTo(new String(CannedBackend.EVENTS, StandardCharsets.UTF_8));
    } finally {
      client.connectionPool().evictAll();
    }
  }

  @Test
  void theInstrumentIsNamedByAFlagAnywhereAndIsTheSecondUnlessNamed() {
    assertThat(CpuHarness.Instrument.of(new String[] {"x", "--instrument=v1", "y"}))
        .isEqualTo(CpuHarness.Instrument.V1);
    assertThat(CpuHarness.Instrument.of(new String[] {"--instrument=V2"}))
        .isEqualTo(CpuHarness.Instrument.V2);
    assertThat(CpuHarness.Instrument.of(new String[] {"x"})).isEqualTo(CpuHarness.Instrument.V2);
    assertThat(CpuHarness.Instrument.without(new String[] {"x", "--instrument=v1", "y"}))
        .containsExactly("x", "y");
    assertThatThrownBy(() -> CpuHarness.Instrument.of(new String[] {"--instrument=v3"}))
        .hasMessageContaining("v1 or v2, not v3");
    CpuHarness.Settings settings =
        CpuHarness.Settings.parse(
            new String[] {"--instrument=v1", "http://127.0.0.1:8080", "1", "2", "3", "stream"});
    assertThat(settings.instrument()).isEqualTo(CpuHarness.Instrument.V1);
    assertThat(settings.mix()).isEqualTo(CpuHarness.Mix.STREAM);
    assertThat(settings.pairs()).isEqualTo(2);
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
    assertThat(settings.instrument()).isEqualTo(CpuHarness.Instrument.V2);
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

  @ParameterizedTest
  @EnumSource(
      value = CpuHarness.Clients.class,
      names = {"PLAIN", "WRAPPED"})
  void oneClientOnlyRunsEveryRoundWithItAndTheThreadsAreBrokenDown(CpuHarness.Clients clients)
      throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (LoopbackBackend backend = LoopbackBackend.start(0, CpuHarness.Instrument.V2)) {
      CpuHarness.Report report =
          CpuHarness.run(
              new CpuHarness.Settings(
                  backend.baseUrl(),
                  Duration.ofMillis(100),
                  3,
                  Duration.ofMillis(50),
                  CpuHarness.Mix.MIXED,
                  CpuHarness.Instrument.V2,
                  true,
                  clients),
              new PrintStream(printed, true, StandardCharsets.UTF_8));

      String kind = clients.name().toLowerCase(Locale.ROOT);
      String text = printed.toString(StandardCharsets.UTF_8);
      assertThat(report.clean()).isTrue();
      assertThat(report.errors()).isZero();
      // every call went through the one client: all of them governed, or none
      if (clients == CpuHarness.Clients.WRAPPED) {
        // both rounds of every pair (and the warm-up's) went through the gateway
        assertThat(report.wrappedCalls()).isPositive().isEqualTo(report.events());
      } else {
        assertThat(report.wrappedCalls()).isZero();
        assertThat(report.events()).isZero();
      }
      assertThat(text).contains("clients: " + kind).contains("ONLY " + kind + " cpu_us ");
      if (CpuHarnessThreads.available()) {
        assertThat(text)
            .contains("calls, " + kind + " only; user and kernel time")
            .contains("THREADS " + kind + " caller user_us ")
            .contains("THREADS " + kind + " process user_us ")
            .doesNotContain(
                "THREADS " + (clients == CpuHarness.Clients.PLAIN ? "wrapped" : "plain"));
        String caller =
            text.lines()
                .filter(line -> line.startsWith("THREADS " + kind + " caller "))
                .findFirst()
                .orElseThrow();
        // the caller made every call: it was on a CPU for some time each call
        double onCpu = Double.parseDouble(caller.replaceAll(".* on_cpu_us (\\S+) .*", "$1"));
        assertThat(onCpu).isPositive();
      }
    }
  }

  @Test
  void bothClientsAlternatingBreakTheirThreadsDownSideBySide() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (LoopbackBackend backend = LoopbackBackend.start(0, CpuHarness.Instrument.V2)) {
      CpuHarness.Report report =
          CpuHarness.run(
              CpuHarness.Settings.parse(
                  new String[] {backend.baseUrl(), "0.1", "2", "50", "json", "--threads"}),
              new PrintStream(printed, true, StandardCharsets.UTF_8));

      assertThat(report.clean()).isTrue();
      assertThat(report.wrappedCalls()).isPositive();
      String text = printed.toString(StandardCharsets.UTF_8);
      assertThat(text).contains("clients: alternate").doesNotContain("ONLY ");
      if (CpuHarnessThreads.available()) {
        assertThat(text)
            .contains("plain calls, ")
            .contains("caller on cpu")
            .contains("watchdog voluntary switches")
            .contains("THREADS plain caller ")
            .contains("THREADS wrapped caller ")
            .contains("THREADS wrapped process ");
      } else {
        assertThat(text).contains("no breakdown by thread");
      }
    }
  }

  @Test
  void optionsAreFlagsAnywhere() {
    CpuHarness.Settings settings =
        CpuHarness.Settings.parse(
            new String[] {"--only=wrapped", "http://127.0.0.1:1", "--threads", "1", "2"});

    assertThat(settings.clients()).isEqualTo(CpuHarness.Clients.WRAPPED);
    assertThat(settings.threads()).isTrue();
    assertThat(settings.pairs()).isEqualTo(2);
    CpuHarness.Settings plain = CpuHarness.Settings.parse(new String[] {"http://127.0.0.1:1"});
    assertThat(plain.clients()).isEqualTo(CpuHarness.Clients.ALTERNATE);
    assertThat(plain.threads()).isFalse();
    assertThatThrownBy(
            () -> CpuHarness.Settings.parse(new String[] {"http://127.0.0.1:1", "--only=both"}))
        .hasMessageContaining("plain or wrapped");
    assertThatThrownBy(
            () -> CpuHarness.Settings.parse(new String[] {"http://127.0.0.1:1", "--thread"}))
        .hasMessageContaining("unknown option --thread");
  }

  @Test
  void spreadGivesMedianQuartilesAndMean() {
    CpuHarness.Spread spread = CpuHarness.Spread.of(new double[] {4, 1, 3, 2, 5});

    assertThat(spread.median()).isEqualTo(3);
    assertThat(spread.q1()).isEqualTo(2);
    assertThat(spread.q3()).isEqualTo(4);
    assertThat(spread.mean()).isEqualTo(3);
  }

  /** The id of the first {@code "id":"...")} in {@code json}. */
  private static String id(String json) {
    int start = json.indexOf("\"id\":\"") + "\"id\":\"".length();
    return json.substring(start, json.indexOf('"', start));
  }

  private static int id(byte[] json) {
    return id(new String(json, StandardCharsets.UTF_8)).length();
  }

  private static byte[] sent(Request request) throws Exception {
    Buffer buffer = new Buffer();
    request.body().writeTo(buffer);
    return buffer.readByteArray();
  }

  private static String body(OkHttpClient client, Request request) throws Exception {
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      return response.body().string();
    }
  }
}
