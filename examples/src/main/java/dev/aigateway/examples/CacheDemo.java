package dev.aigateway.examples;

import dev.aigateway.api.CacheInfo;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.cache.SemanticCache;
import dev.aigateway.embeddings.onnx.MiniLmEmbeddingModel;
import dev.aigateway.examples.server.LocalOpenAiServer;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * The response cache: an exact hit, a hit replayed as a stream, a semantic hit found by the
 * in-process all-MiniLM-L6-v2 model, and near misses the false-hit guard keeps from being served
 * the wrong answer. Prints per call the outcome, similarity, time and the tokens the hit saved.
 *
 * <p>Runs with the main demo ({@code bash scripts/demo.sh}); needs no external service.
 */
public final class CacheDemo {

  private static final MediaType JSON = MediaType.get("application/json");
  private static final String CONSUMER_HEADER = "x-consumer-id";

  /** The calls the demo makes, in order: prompt, and whether it asks for a stream. */
  static final List<Step> STEPS =
      List.of(
          new Step("How do I reset my password?", false, "first time: the backend answers"),
          new Step("How do I reset my password?", false, "the same call: an exact hit"),
          new Step("How do I reset my password?", true, "the same, streamed: replayed as SSE"),
          new Step("How can I reset my password?", false, "reworded: a semantic hit"),
          new Step("How do I enable two-factor authentication?", false, "a new question"),
          new Step(
              "How do I disable two-factor authentication?",
              false,
              "the opposite: must not get the enable answer"),
          new Step("Ship order 1042 to Paris.", false, "a new request"),
          new Step(
              "Ship order 1043 to Paris.", false, "another order: must not get 1042's answer"));

  private CacheDemo() {}

  public static void main(String[] args) throws Exception {
    run(System.out);
  }

  /** One call of the demo. */
  record Step(String prompt, boolean stream, String what) {}

  /**
   * What the demo saw.
   *
   * @param outcomes the cache outcome of each step, in order
   * @param tokensSaved the tokens all hits saved
   * @param backendCalls the calls that reached the backend
   */
  record Summary(List<CacheOutcome> outcomes, long tokensSaved, long backendCalls) {}

  /** Runs the demo against its own local server, printing to {@code out}. */
  public static Summary run(PrintStream out) throws IOException, InterruptedException {
    try (LocalOpenAiServer server =
        LocalOpenAiServer.builder()
            .completionWords(30)
            .responseDelay(Duration.ofMillis(40))
            .firstChunkDelay(Duration.ofMillis(40))
            .chunkDelay(Duration.ofMillis(2))
            .start()) {
      return run(out, server);
    }
  }

  private static Summary run(PrintStream out, LocalOpenAiServer server)
      throws IOException, InterruptedException {
    BlockingQueue<GatewayEvent> events = new LinkedBlockingQueue<>();
    MiniLmEmbeddingModel model = MiniLmEmbeddingModel.create();
    long loading = System.nanoTime();
    model.load(); // loads the ONNX model now rather than on the first lookup
    out.printf(
        Locale.ROOT,
        "Embedding model %s loaded in %d ms (in process, no API).%n",
        model.name(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - loading));

    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header(CONSUMER_HEADER))
            .responseCache(ResponseCache.builder().semantic(SemanticCache.builder(model)))
            .listener(events::add)
            .build();
    OkHttpClient appClient = new OkHttpClient();
    OkHttpClient client = OkHttpAiGateway.wrap(appClient, gateway);

    out.printf(
        Locale.ROOT,
        "%n  %-46s %-7s %-24s %6s %6s %7s  %s%n",
        "prompt",
        "form",
        "cache",
        "score",
        "ms",
        "saved",
        "");
    List<CacheOutcome> outcomes = new ArrayList<>();
    long saved = 0;
    for (Step step : STEPS) {
      long start = System.nanoTime();
      String header;
      try (Response response = client.newCall(request(server, step)).execute()) {
        response.body().string();
        header = response.header(ResponseCache.DEFAULT_OUTCOME_HEADER);
      }
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      GatewayEvent event = events.poll(5, TimeUnit.SECONDS);
      if (event == null) {
        throw new IllegalStateException("no event for " + step.prompt());
      }
      CacheInfo cache = event.cache();
      outcomes.add(cache.outcome());
      saved += cache.tokensSaved();
      String score =
          Double.isNaN(cache.score()) ? "" : String.format(Locale.ROOT, "%.3f", cache.score());
      String label =
          cache.outcome().label()
              + (cache.guardObjection() == null ? "" : " (" + cache.guardObjection() + ")");
      out.printf(
          Locale.ROOT,
          "  %-46s %-7s %-24s %6s %6d %7d  %s [header: %s]%n",
          '"' + step.prompt() + '"',
          step.stream() ? "stream" : "json",
          label,
          score,
          millis,
          cache.tokensSaved(),
          step.what(),
          header);
    }
    out.printf(
        Locale.ROOT,
        "%n  %d calls, %d reached the backend; the cache saved %d tokens.%n",
        STEPS.size(),
        server.requestCount(),
        saved);
    appClient.dispatcher().executorService().shutdown();
    appClient.connectionPool().evictAll();
    return new Summary(List.copyOf(outcomes), saved, server.requestCount());
  }

  static Request request(LocalOpenAiServer server, Step step) {
    String body =
        "{\"model\":\"gpt-4o-mini\",\"stream\":"
            + step.stream()
            + ",\"messages\":[{\"role\":\"system\",\"content\":\"You are a support assistant.\"},"
            + "{\"role\":\"user\",\"content\":\""
            + step.prompt()
            + "\"}]}";
    return new Request.Builder()
        .url(server.url("/v1/chat/completions"))
        .header(CONSUMER_HEADER, "support-bot")
        .header("Authorization", "Bearer sk-demo-not-a-real-key")
        .post(RequestBody.create(body, JSON))
        .build();
  }
}
