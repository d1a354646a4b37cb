package dev.aigateway.benchmarks;

import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okio.Buffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * The cost of the governed call path, in process, against a backend that costs nothing ({@link
 * CannedBackend}, the last application interceptor): each benchmark is one call made, its whole
 * body read and the response closed. Every governed benchmark has a plain twin that sends the same
 * request through the same client without the gateway; the overhead of the gateway is the
 * difference between the two, per call.
 *
 * <table>
 *   <caption>The pairs</caption>
 *   <tr><th>plain</th><th>governed</th><th>what the gateway does</th></tr>
 *   <tr><td>{@code plain}</td><td>{@code governedNoEstimate}</td><td>short chat, JSON answer:
 *       parse the request, resolve the consumer, reserve and settle two counters (rate and
 *       monthly quota), read usage from the answer</td></tr>
 *   <tr><td>{@code plainLongPrompt}</td><td>{@code governedLongPromptNoEstimate}</td><td>the
 *       same with a prompt of about 1,000 tokens (parsing a larger body)</td></tr>
 *   <tr><td>{@code plainLongPrompt}</td><td>{@code governedWithEstimate}</td><td>the same, and
 *       the prompt counted with jtokkit before the call</td></tr>
 *   <tr><td>{@code plainStream}</td><td>{@code governedStream}</td><td>short chat streamed as
 *       {@value CannedBackend#STREAM_CHUNKS} chunks: the gateway asks for usage, reads every
 *       chunk, and hides the usage from the application</td></tr>
 * </table>
 *
 * <p>Run it with {@link #main}, which prints the overhead per pair; see docs/benchmarks.md.
 */
public class GovernedCallBenchmark extends MicroBenchmark {

  /** The target for the gateway's overhead per call, token estimation excluded. */
  static final double TARGET_OVERHEAD_MICROS = 5.0;

  /** The access issue's target for what ten access rules add to a governed call. */
  static final double TARGET_ACCESS_MICROS = 2.0;

  /** The role the access benchmark's caller has: its rule is the last of ten applicable ones. */
  private static final String ACCESS_ROLE = "engineer";

  /** Prompt tokens of the long prompt. */
  static final int LONG_PROMPT_TOKENS = 1_000;

  private static final List<Pair> PAIRS =
      List.of(
          new Pair("plain", "governedNoEstimate", "short chat, JSON", true),
          new Pair("plain", "governedShortWithEstimate", "short chat, JSON, estimated", false),
          new Pair(
              "plainLongPrompt", "governedLongPromptNoEstimate", "1k-token prompt, JSON", true),
          new Pair(
              "plainLongPrompt", "governedWithEstimate", "1k-token prompt, JSON, estimated", false),
          new Pair("plainStream", "governedStream", "short chat, SSE 20 chunks", true),
          new Pair(
              "plainStreamPaced",
              "governedStreamPaced",
              "short chat, SSE 20 chunks, one per read",
              true),
          new Pair(
              "governedNoEstimate",
              "governedWithAccess",
              "short chat, JSON, 10 access rules",
              TARGET_ACCESS_MICROS));

  private static final String URL = "http://127.0.0.1:9" + Workload.CHAT_PATH; // never dialled
  private static final String CONSUMER = "team-a";

  private OkHttpClient plainClient;
  private OkHttpClient noEstimateClient;
  private OkHttpClient estimateClient;
  private OkHttpClient plainPacedClient;
  private OkHttpClient noEstimatePacedClient;
  private Request shortChat;
  private Request longChat;
  private Request shortStream;
  private AiGateway noEstimate;
  private AiGateway estimate;
  private OkHttpClient accessClient;
  private Request shortChatWithRole;

  /** Builds the clients and requests once, and checks that each pair measures what it says. */
  @Setup
  public void setUp() throws IOException {
    OkHttpClient base = new OkHttpClient();
    CannedBackend backend = new CannedBackend();
    noEstimate = Workload.gateway(false);
    estimate = Workload.gateway(true);
    plainClient = Workload.withBackend(base, backend);
    noEstimateClient = Workload.withBackend(OkHttpAiGateway.wrap(base, noEstimate), backend);
    estimateClient = Workload.withBackend(OkHttpAiGateway.wrap(base, estimate), backend);
    CannedBackend paced = new CannedBackend(true);
    plainPacedClient = Workload.withBackend(base, paced);
    noEstimatePacedClient = Workload.withBackend(OkHttpAiGateway.wrap(base, noEstimate), paced);
    accessClient =
        Workload.withBackend(OkHttpAiGateway.wrap(base, Workload.gatewayWithAccess()), backend);

    shortChat = Workload.post(URL, Workload.shortChat(false), CONSUMER);
    shortStream = Workload.post(URL, Workload.shortChat(true), CONSUMER);
    byte[] longBody = Workload.chat(Workload.promptOfTokens(LONG_PROMPT_TOKENS), false);
    longChat = Workload.post(URL, longBody, CONSUMER);
    shortChatWithRole =
        shortChat.newBuilder().header(Workload.ROLES_HEADER, "viewer, " + ACCESS_ROLE).build();
    verify(base, backend, Workload.promptTokens(longBody));
  }

  /** Short chat, no gateway. */
  @Benchmark
  public long plain() throws IOException {
    return Workload.call(plainClient, shortChat);
  }

  /** Short chat, governed; the prompt is not counted. */
  @Benchmark
  public long governedNoEstimate() throws IOException {
    return Workload.call(noEstimateClient, shortChat);
  }

  /** Short chat, governed; the prompt is counted before the call (the load harness's case). */
  @Benchmark
  public long governedShortWithEstimate() throws IOException {
    return Workload.call(estimateClient, shortChat);
  }

  /**
   * Short chat, governed as {@link #governedNoEstimate} plus an access policy of ten rules, roles
   * read from a header; the caller's allowing rule is checked last.
   */
  @Benchmark
  public long governedWithAccess() throws IOException {
    return Workload.call(accessClient, shortChatWithRole);
  }

  /** A prompt of about 1,000 tokens, no gateway. */
  @Benchmark
  public long plainLongPrompt() throws IOException {
    return Workload.call(plainClient, longChat);
  }

  /** A prompt of about 1,000 tokens, governed; the prompt is not counted. */
  @Benchmark
  public long governedLongPromptNoEstimate() throws IOException {
    return Workload.call(noEstimateClient, longChat);
  }

  /** A prompt of about 1,000 tokens, governed; the prompt is counted before the call. */
  @Benchmark
  public long governedWithEstimate() throws IOException {
    return Workload.call(estimateClient, longChat);
  }

  /** Short chat streamed, no gateway. */
  @Benchmark
  public long plainStream() throws IOException {
    return Workload.call(plainClient, shortStream);
  }

  /** Short chat streamed, governed: stream usage asked for, read and hidden. */
  @Benchmark
  public long governedStream() throws IOException {
    return Workload.call(noEstimateClient, shortStream);
  }

  /** Short chat streamed one event per read (as from a socket), no gateway. */
  @Benchmark
  public long plainStreamPaced() throws IOException {
    return Workload.call(plainPacedClient, shortStream);
  }

  /** Short chat streamed one event per read, governed: usage asked for, read and hidden. */
  @Benchmark
  public long governedStreamPaced() throws IOException {
    return Workload.call(noEstimatePacedClient, shortStream);
  }

  /**
   * Fails the run unless the governed clients govern (counters kept, stream usage asked for and
   * hidden) and every pair reads the body its application would see.
   */
  private void verify(OkHttpClient base, CannedBackend backend, int longPromptTokens)
      throws IOException {
    List<String> sentBodies = new ArrayList<>();
    Interceptor recorder =
        chain -> {
          Buffer body = new Buffer();
          chain.request().body().writeTo(body);
          sentBodies.add(body.readUtf8());
          return chain.proceed(chain.request());
        };
    OkHttpClient recorded =
        OkHttpAiGateway.wrap(base, noEstimate)
            .newBuilder()
            .addInterceptor(recorder)
            .addInterceptor(backend)
            .build();
    String appStream = read(recorded, shortStream);
    check(
        sentBodies.get(0).contains("\"include_usage\":true"),
        "the gateway did not ask the backend for stream usage: " + sentBodies.get(0));
    check(
        appStream.equals(read(plainClient, shortStream)),
        "the governed stream differs from the plain one: " + appStream);
    check(
        appStream.equals(new String(CannedBackend.EVENTS, StandardCharsets.UTF_8)),
        "the application did not see the stream it asked for: " + appStream);
    check(
        read(noEstimatePacedClient, shortStream).equals(appStream)
            && read(plainPacedClient, shortStream).equals(appStream),
        "a stream read one event at a time differs from the whole one");
    check(
        read(accessClient, shortChatWithRole).equals(read(plainClient, shortChat)),
        "the call with access rules differs from the plain one");
    try (Response denied = accessClient.newCall(shortChat).execute()) {
      check(denied.code() == 403, "a caller without roles should be denied: " + denied.code());
    }
    check(
        read(noEstimateClient, shortChat).equals(read(plainClient, shortChat)),
        "the governed JSON answer differs from the plain one");
    check(
        read(estimateClient, longChat).equals(read(plainClient, longChat)),
        "the governed long answer differs from the plain one");
    check(
        ((InMemoryTokenLimitStore) noEstimate.tokenLimitStore()).size() == 2
            && ((InMemoryTokenLimitStore) estimate.tokenLimitStore()).size() == 2,
        "each gateway should keep a rate and a quota counter for " + CONSUMER);
    check(
        longPromptTokens >= LONG_PROMPT_TOKENS && longPromptTokens < LONG_PROMPT_TOKENS * 11 / 10,
        "the long prompt should be about "
            + LONG_PROMPT_TOKENS
            + " tokens but is "
            + longPromptTokens);
  }

  private static String read(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      check(response.code() == 200, "expected 200 but was " + response.code());
      return response.body().string();
    }
  }

  /**
   * Runs the benchmark and prints, per pair, plain and governed time per call, the overhead and the
   * ratio, all from the same run.
   *
   * @param args JMH command-line options, such as {@code -f 1 -wi 3 -i 5 -prof gc}; by default
   *     every benchmark of this class with the settings of its annotations
   */
  public static void main(String[] args) throws Exception {
    Collection<RunResult> results = run(GovernedCallBenchmark.class, args);
    System.out.println();
    System.out.print(overheadTable(results));
  }

  private static String overheadTable(Collection<RunResult> results) {
    Map<String, RunResult> byName = byMethod(results);
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "%-34s %17s %17s %17s %7s %15s %15s%n",
            "pair",
            "plain us/call",
            "governed us/call",
            "overhead us",
            "ratio",
            "plain B/call",
            "governed B/call"));
    for (Pair pair : PAIRS) {
      RunResult plain = byName.get(pair.plain());
      RunResult governed = byName.get(pair.governed());
      if (plain == null || governed == null) {
        continue;
      }
      if (plain.getParams().getMode() != Mode.AverageTime
          || governed.getParams().getMode() != Mode.AverageTime) {
        out.append(pair.label()).append(": overhead is computed for -bm avgt only\n");
        continue;
      }
      Result<?> p = plain.getPrimaryResult();
      Result<?> g = governed.getPrimaryResult();
      double overhead = g.getScore() - p.getScore();
      double error = Math.hypot(finite(p.getScoreError()), finite(g.getScoreError()));
      String verdict =
          !Double.isNaN(pair.target())
              ? String.format(
                  Locale.ROOT,
                  "  target <= %.0f us: %s",
                  pair.target(),
                  overhead <= pair.target() ? "met" : "MISSED")
              : "  (no target: includes estimation)";
      out.append(
          String.format(
              Locale.ROOT,
              "%-34s %9.2f +- %4.2f %9.2f +- %4.2f %9.2f +- %4.2f %6.2fx %15s %15s%s%n",
              pair.label(),
              p.getScore(),
              finite(p.getScoreError()),
              g.getScore(),
              finite(g.getScoreError()),
              overhead,
              error,
              g.getScore() / p.getScore(),
              allocated(plain),
              allocated(governed),
              verdict));
    }
    return out.toString();
  }

  /** A plain benchmark, its governed twin, and whether the overhead target applies to them. */
  /** Two benchmarks compared; {@code target} the most the second may add, NaN for none. */
  private record Pair(String plain, String governed, String label, double target) {
    Pair(String plain, String governed, String label, boolean targetApplies) {
      this(plain, governed, label, targetApplies ? TARGET_OVERHEAD_MICROS : Double.NaN);
    }
  }

  /** Bytes allocated per call, when the run used {@code -prof gc}. */
  private static String allocated(RunResult result) {
    Map<String, ?> secondaries = result.getSecondaryResults(); // JMH declares raw Result values
    for (Map.Entry<String, ?> secondary : secondaries.entrySet()) {
      if (secondary.getKey().endsWith("gc.alloc.rate.norm")) {
        return String.format(Locale.ROOT, "%.0f", ((Result<?>) secondary.getValue()).getScore());
      }
    }
    return "-";
  }
}
