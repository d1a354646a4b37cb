package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.ForwardingSource;
import okio.Okio;
import okio.Source;
import org.junit.jupiter.api.Test;

/**
 * The floor client of the CPU harness: it asks a streamed chat for usage and, hiding, gives the
 * application exactly the stream it would have had without asking; and a harness run with it
 * measures three clients without an error.
 */
class FloorInterceptorTest {

  private static final String CHAT = Workload.CHAT_PATH;

  @Test
  void hidingGivesTheStreamAsTheBackendSendsItWithoutUsageAndLeavesJsonUntouched()
      throws Exception {
    try (LoopbackBackend backend = LoopbackBackend.start(0, CpuHarness.Instrument.V1)) {
      OkHttpClient client = floorClient(FloorInterceptor.Mode.HIDE);
      String url = backend.baseUrl() + CHAT;

      String stream = body(client, Workload.post(url, Workload.shortChat(true), "c"));
      String json = body(client, Workload.post(url, Workload.shortChat(false), "c"));

      assertThat(stream)
          .isEqualTo(new String(CannedBackend.EVENTS, StandardCharsets.UTF_8))
          .doesNotContain("\"usage\"");
      assertThat(json).isEqualTo(new String(CannedBackend.COMPLETION, StandardCharsets.UTF_8));
      client.connectionPool().evictAll();
    }
  }

  @Test
  void askingWithoutHidingPassesTheUsageTheBackendWasAskedFor() throws Exception {
    try (LoopbackBackend backend = LoopbackBackend.start(0, CpuHarness.Instrument.V1)) {
      OkHttpClient asking = floorClient(FloorInterceptor.Mode.ASK);
      OkHttpClient stepping = floorClient(FloorInterceptor.Mode.STEP);
      String url = backend.baseUrl() + CHAT;

      String asked = body(asking, Workload.post(url, Workload.shortChat(true), "c"));
      String stepped = body(stepping, Workload.post(url, Workload.shortChat(true), "c"));

      assertThat(asked)
          .isEqualTo(new String(CannedBackend.EVENTS_WITH_USAGE, StandardCharsets.UTF_8))
          .contains("\"usage\":null")
          .contains("\"usage\":{\"prompt_tokens\":27");
      assertThat(stepped).isEqualTo(new String(CannedBackend.EVENTS, StandardCharsets.UTF_8));
      asking.connectionPool().evictAll();
    }
  }

  @Test
  void aStreamThatAsksForUsageItselfIsSentAndAnsweredAsItIs() throws Exception {
    byte[] asks =
        "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
            .getBytes(StandardCharsets.UTF_8);
    try (LoopbackBackend backend = LoopbackBackend.start(0, CpuHarness.Instrument.V1)) {
      OkHttpClient client = floorClient(FloorInterceptor.Mode.HIDE);

      String stream = body(client, Workload.post(backend.baseUrl() + CHAT, asks, "c"));

      assertThat(stream)
          .isEqualTo(new String(CannedBackend.EVENTS_WITH_USAGE, StandardCharsets.UTF_8));
      client.connectionPool().evictAll();
    }
  }

  @Test
  void eventsCutAcrossReadsAreHiddenAsWhole() throws Exception {
    byte[] stream = CannedBackend.EVENTS_WITH_USAGE;
    for (int piece : new int[] {1, 2, 7, 8, 9, 333}) {
      OkHttpClient client =
          floorClient(FloorInterceptor.Mode.HIDE)
              .newBuilder()
              .addInterceptor(chain -> inPieces(chain.request(), stream, piece))
              .build();

      String hidden =
          body(client, Workload.post("http://127.0.0.1:1" + CHAT, Workload.shortChat(true), "c"));

      assertThat(hidden)
          .as("read %d bytes at a time", piece)
          .isEqualTo(new String(CannedBackend.EVENTS, StandardCharsets.UTF_8));
    }
  }

  @Test
  void aLineFeedIsFoundWhereverItIsAmongTheBytesLookedAt() {
    for (int length = 0; length <= 20; length++) {
      byte[] data = new byte[length + 3];
      java.util.Arrays.fill(data, (byte) 'a');
      assertThat(FloorInterceptor.lineFeed(data, 1, length + 1)).isEqualTo(-1);
      for (int at = 1; at < length + 1; at++) {
        data[at] = '\n';
        data[length + 2] = '\n'; // beyond the bytes looked at
        assertThat(FloorInterceptor.lineFeed(data, 1, length + 1)).isEqualTo(at);
        data[at] = (byte) 0x8a; // a byte that differs from a line feed in its top bit only
        assertThat(FloorInterceptor.lineFeed(data, 1, length + 1)).isEqualTo(-1);
        data[at] = 'a';
      }
    }
  }

  @Test
  void theRequestAsksForUsageBeforeItsLastClosingBrace() {
    assertThat(text(FloorInterceptor.askForUsage(bytes("{\"stream\":true}\n"))))
        .isEqualTo("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}\n");
    assertThat(text(FloorInterceptor.askForUsage(bytes("not json")))).isEqualTo("not json");
  }

  @Test
  void aRunWithTheFloorMeasuresThreeClientsWithoutAnError() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (LoopbackBackend backend = LoopbackBackend.start(0, CpuHarness.Instrument.V2)) {
      CpuHarness.Report report =
          CpuHarness.run(
              CpuHarness.Settings.parse(
                  new String[] {backend.baseUrl(), "0.2", "6", "40", "mixed", "--floor=hide"}),
              new PrintStream(printed, true, StandardCharsets.UTF_8));

      assertThat(report.clean()).isTrue();
      assertThat(report.errors()).isZero();
      assertThat(report.wrappedCalls()).isPositive().isEqualTo(report.events());
      CpuHarness.FloorFigures floor = report.floor();
      assertThat(floor).isNotNull();
      assertThat(floor.mode()).isEqualTo(FloorInterceptor.Mode.HIDE);
      assertThat(floor.ratio().median()).isPositive();
      // the floor reads each request's body into a new array and wraps each stream
      assertThat(floor.addedBytes().median()).isPositive();
      String text = printed.toString(StandardCharsets.UTF_8);
      assertThat(text)
          .contains("clients: alternate, floor hide")
          .contains("pair   6 floor: ")
          .contains("FLOOR hide added_cpu_us ")
          .contains("RESULT added_cpu_us ");
    }
  }

  @Test
  void theFloorIsNamedByAFlagAndMeasuredOnlyBesideBothClients() {
    assertThat(
            CpuHarness.Settings.parse(new String[] {"http://127.0.0.1:1", "--floor=ask"}).floor())
        .isEqualTo(FloorInterceptor.Mode.ASK);
    assertThat(CpuHarness.Settings.parse(new String[] {"http://127.0.0.1:1"}).floor()).isNull();
    assertThatThrownBy(
            () -> CpuHarness.Settings.parse(new String[] {"http://127.0.0.1:1", "--floor=none"}))
        .hasMessageContaining("--floor= takes step or ask or hide, not none");
    assertThatThrownBy(
            () ->
                CpuHarness.Settings.parse(
                    new String[] {"http://127.0.0.1:1", "--floor=hide", "--only=plain"}))
        .hasMessageContaining("not with --only=");
  }

  @Test
  void extraWorkIsNamedByAFlagOfSpinStepsAndBytes() {
    assertThat(FloorInterceptor.Extra.parse("spin=2000,bytes=2400"))
        .isEqualTo(new FloorInterceptor.Extra(2000, 2400));
    assertThat(FloorInterceptor.Extra.parse("bytes=96"))
        .isEqualTo(new FloorInterceptor.Extra(0, 96));
    assertThat(FloorInterceptor.Extra.parse("spin=5").any()).isTrue();
    assertThat(FloorInterceptor.Extra.parse("spin=0,bytes=0").any()).isFalse();
    for (String wrong : new String[] {"spin=-1", "heat=3", "spin=x", "bytes", ""}) {
      assertThatThrownBy(() -> FloorInterceptor.Extra.parse(wrong))
          .as(wrong)
          .isInstanceOf(IllegalArgumentException.class);
    }
    CpuHarness.Settings settings =
        CpuHarness.Settings.parse(
            new String[] {"http://127.0.0.1:1", "--floor=hide", "--floor-extra=spin=7,bytes=480"});
    assertThat(settings.floorExtra()).isEqualTo(new FloorInterceptor.Extra(7, 480));
    assertThat(CpuHarness.Settings.parse(new String[] {"http://127.0.0.1:1"}).floorExtra())
        .isEqualTo(FloorInterceptor.Extra.NONE);
    assertThatThrownBy(
            () ->
                CpuHarness.Settings.parse(
                    new String[] {"http://127.0.0.1:1", "--floor-extra=spin=7"}))
        .hasMessageContaining("name one (--floor=)");
  }

  @Test
  void extraWorkSpinsAndAllocatesOnEveryCallAndChangesNothingTheApplicationSees() throws Exception {
    try (LoopbackBackend backend = LoopbackBackend.start(0, CpuHarness.Instrument.V1)) {
      FloorInterceptor extra =
          new FloorInterceptor(FloorInterceptor.Mode.HIDE, new FloorInterceptor.Extra(3, 4_800));
      OkHttpClient client = new OkHttpClient.Builder().addInterceptor(extra).build();
      OkHttpClient none = floorClient(FloorInterceptor.Mode.HIDE);
      String url = backend.baseUrl() + CHAT;
      com.sun.management.ThreadMXBean threads =
          (com.sun.management.ThreadMXBean)
              java.lang.management.ManagementFactory.getThreadMXBean();
      long thread = Thread.currentThread().getId();
      long[] bytes = new long[2];
      for (int round = 0; round < 3; round++) {
        for (int k = 0; k < 2; k++) {
          long before = threads.getThreadAllocatedBytes(thread);
          for (int i = 0; i < 50; i++) {
            assertThat(
                    body(k == 0 ? none : client, Workload.post(url, Workload.shortChat(true), "c")))
                .isEqualTo(new String(CannedBackend.EVENTS, StandardCharsets.UTF_8));
          }
          bytes[k] = threads.getThreadAllocatedBytes(thread) - before;
        }
      }
      // 100 objects of 48 bytes a call on top of what the floor allocates without them, give or
      // take the few dozen bytes a call by which two clients' allocation differs before the JIT
      assertThat((bytes[1] - bytes[0]) / 50).isBetween(4_500L, 5_100L);
      // three xorshift steps a call from 1, over the 150 calls made with the extra work
      long x = 1;
      for (int i = 0; i < 3 * 150; i++) {
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
      }
      assertThat(extra.spun()).isEqualTo(x);
      client.connectionPool().evictAll();
      none.connectionPool().evictAll();
    }
  }

  /** A 200 streamed answer of {@code stream}, whose body hands out {@code piece} bytes a read. */
  private static Response inPieces(Request request, byte[] stream, int piece) {
    Buffer all = new Buffer().write(stream);
    Source pieces =
        new ForwardingSource(all) {
          @Override
          public long read(Buffer sink, long byteCount) throws java.io.IOException {
            return super.read(sink, Math.min(byteCount, piece));
          }
        };
    return new Response.Builder()
        .request(request)
        .protocol(Protocol.HTTP_1_1)
        .code(200)
        .message("OK")
        .header("Content-Type", "text/event-stream")
        .body(ResponseBody.create(Okio.buffer(pieces), MediaType.get("text/event-stream"), -1))
        .build();
  }

  private static OkHttpClient floorClient(FloorInterceptor.Mode mode) {
    return new OkHttpClient.Builder().addInterceptor(new FloorInterceptor(mode)).build();
  }

  private static String body(OkHttpClient client, Request request) throws Exception {
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      return response.body().string();
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
