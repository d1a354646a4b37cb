package dev.aigateway.benchmarks;

import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.IOException;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * What request-volume limits add to a governed call, in process, against {@link CannedBackend}: the
 * same short chat (JSON answer, read whole) through three gateways that differ only in their limit,
 * measured in one run.
 *
 * <table>
 *   <caption>The benchmarks</caption>
 *   <tr><th>benchmark</th><th>the consumer's limit</th></tr>
 *   <tr><td>{@code tokens}</td><td>a token rate and a monthly token quota (the baseline: {@code
 *       GovernedCallBenchmark.governedNoEstimate}'s gateway)</td></tr>
 *   <tr><td>{@code tokensAndRequestsPerMinute}</td><td>the same and a requests-per-minute
 *       rate</td></tr>
 *   <tr><td>{@code tokensRequestsAndInFlight}</td><td>the same and an in-flight cap</td></tr>
 * </table>
 *
 * <p>The target: request limits add at most {@value #TARGET_ADDED_MICROS} µs per call. The
 * limits are generous enough never to reject. Run it with {@link #main}, which prints the added
 * time per call; see docs/benchmarks.md.
 */
public class RequestLimitBenchmark extends MicroBenchmark {

  /** The target for what request limits add per call. */
  static final double TARGET_ADDED_MICROS = 2.0;

  /** Requests per minute: about 16 million a second refill, so no call is ever rejected. */
  static final long REQUESTS_PER_MINUTE = 1_000_000_000L;

  /** Calls in flight at once: one benchmark thread never holds more than one. */
  static final int MAX_IN_FLIGHT = 64;

  private static final String URL = "http://127.0.0.1:9" + Workload.CHAT_PATH; // never dialled
  private static final String CONSUMER = "team-a";

  private AiGateway tokensGateway;
  private AiGateway requestsGateway;
  private AiGateway inFlightGateway;
  private OkHttpClient tokensClient;
  private OkHttpClient requestsClient;
  private OkHttpClient inFlightClient;
  private Request shortChat;

  /** Builds the clients once and checks that each gateway keeps the counters it says. */
  @Setup
  public void setUp() throws IOException {
    OkHttpClient base = new OkHttpClient();
    CannedBackend backend = new CannedBackend();
    tokensGateway = gateway(limit());
    requestsGateway = gateway(limit().requestsPerMinute(REQUESTS_PER_MINUTE));
    inFlightGateway =
        gateway(limit().requestsPerMinute(REQUESTS_PER_MINUTE).maxInFlight(MAX_IN_FLIGHT));
    tokensClient = Workload.withBackend(OkHttpAiGateway.wrap(base, tokensGateway), backend);
    requestsClient = Workload.withBackend(OkHttpAiGateway.wrap(base, requestsGateway), backend);
    inFlightClient = Workload.withBackend(OkHttpAiGateway.wrap(base, inFlightGateway), backend);
    shortChat = Workload.post(URL, Workload.shortChat(false), CONSUMER);
    tokens();
    tokensAndRequestsPerMinute();
    tokensRequestsAndInFlight();
    check(counters(tokensGateway) == 2, "the baseline keeps a token rate and a quota counter");
    check(counters(requestsGateway) == 3, "a request rate counter is kept beside them");
    check(counters(inFlightGateway) == 4, "an in-flight counter is kept beside those");
  }

  /** The baseline: a token rate and a monthly token quota. */
  @Benchmark
  public long tokens() throws IOException {
    return Workload.call(tokensClient, shortChat);
  }

  /** The baseline's limit with a requests-per-minute rate added. */
  @Benchmark
  public long tokensAndRequestsPerMinute() throws IOException {
    return Workload.call(requestsClient, shortChat);
  }

  /** The baseline's limit with a requests-per-minute rate and an in-flight cap added. */
  @Benchmark
  public long tokensRequestsAndInFlight() throws IOException {
    return Workload.call(inFlightClient, shortChat);
  }

  private static TokenLimit.Builder limit() {
    return TokenLimit.perConsumer()
        .tokensPerMinute(Workload.TOKENS_PER_MINUTE)
        .quota(Workload.MONTHLY_QUOTA, QuotaPeriod.MONTHLY)
        .estimatePromptTokens(false);
  }

  private static AiGateway gateway(TokenLimit.Builder limit) {
    return AiGateway.builder()
        .consumerKey(KeyResolvers.header(Workload.CONSUMER_HEADER))
        .tokenLimit(limit)
        .build();
  }

  private static int counters(AiGateway gateway) {
    return ((InMemoryTokenLimitStore) gateway.tokenLimitStore()).size();
  }

  /**
   * Runs the benchmark and prints what each request limit adds per call, from the same run.
   *
   * @param args JMH command-line options, such as {@code -f 2 -wi 5 -i 10 -prof gc}; by default
   *     every benchmark of this class with the settings of its annotations
   */
  public static void main(String[] args) throws Exception {
    Collection<RunResult> results = run(RequestLimitBenchmark.class, args);
    Map<String, RunResult> byName = byMethod(results);
    if (!byName.containsKey("tokens")) {
      return;
    }
    Result<?> base = byName.get("tokens").getPrimaryResult();
    System.out.println();
    for (String name : new String[] {"tokensAndRequestsPerMinute", "tokensRequestsAndInFlight"}) {
      if (!byName.containsKey(name)) {
        continue;
      }
      Result<?> with = byName.get(name).getPrimaryResult();
      double added = with.getScore() - base.getScore();
      double error = Math.hypot(finite(with.getScoreError()), finite(base.getScoreError()));
      System.out.printf(
          Locale.ROOT,
          "%-28s %8.2f us/call vs %8.2f: added %6.2f +- %5.2f us (target <= %.0f us: %s)%n",
          name,
          with.getScore(),
          base.getScore(),
          added,
          error,
          TARGET_ADDED_MICROS,
          added <= TARGET_ADDED_MICROS ? "met" : "MISSED");
    }
  }
}
