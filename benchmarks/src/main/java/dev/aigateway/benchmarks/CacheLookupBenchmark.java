package dev.aigateway.benchmarks;

import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.CallCache;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.wire.ClientRequest;
import dev.aigateway.core.wire.OpenAiRequest;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.IOException;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Setup;

/**
 * The exact cache's lookup, and a cache hit end to end.
 *
 * <ul>
 *   <li>{@code exactLookupShortChat} / {@code exactLookupLongPrompt}: what a hit costs the gateway
 *       before it answers: the request body parsed to a tree, its canonical SHA-256 key, the
 *       in-memory store read (100,000 other entries in the partition's store), and the answer
 *       prepared (JSON replayed as stored). A fresh request view per call, as in the gateway.
 *   <li>{@code hitThroughWrappedClient} against {@code plainCannedBackend}: a whole call through
 *       OkHttp answered by the cache, next to the same call answered by an in-process backend that
 *       costs nothing; the hit needs no backend at all.
 * </ul>
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main
 * CacheLookupBenchmark}. Results in docs/benchmarks.md.
 */
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g"}) // the other settings: MicroBenchmark's
public class CacheLookupBenchmark extends MicroBenchmark {

  /** The target for an exact lookup. */
  static final double TARGET_MICROS = 2.0;

  private static final String URL = "http://127.0.0.1:9" + Workload.CHAT_PATH; // never dialled
  private static final CallMatch CHAT = new CallMatch(Operation.CHAT_COMPLETIONS, null);
  private static final int OTHER_ENTRIES = 100_000;

  private ResponseCache cache;
  private byte[] shortBody;
  private byte[] longBody;
  private OkHttpClient plainClient;
  private OkHttpClient cachingClient;
  private Request shortChat;

  @Setup
  public void setUp() throws IOException {
    cache =
        ResponseCache.builder()
            .store(
                dev.aigateway.core.cache.InMemoryResponseCacheStore.builder()
                    .maximumBytes(1L << 30)
                    .build())
            .build();
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(dev.aigateway.api.KeyResolvers.header(Workload.CONSUMER_HEADER))
            .responseCache(cache)
            .build();
    CannedBackend backend = new CannedBackend();
    OkHttpClient base = new OkHttpClient();
    plainClient = base.newBuilder().addInterceptor(backend).build();
    cachingClient =
        OkHttpAiGateway.wrap(base, gateway).newBuilder().addInterceptor(backend).build();
    shortBody = Workload.shortChat(false);
    longBody =
        Workload.chat(Workload.promptOfTokens(GovernedCallBenchmark.LONG_PROMPT_TOKENS), false);
    shortChat = Workload.post(URL, shortBody, "team-a");
    // Fill the store with other answers, then store the two measured ones through the gateway.
    for (int i = 0; i < OTHER_ENTRIES; i++) {
      Workload.call(
          cachingClient,
          Workload.post(URL, Workload.chat("question number " + i, false), "team-a"));
    }
    Workload.call(cachingClient, shortChat);
    Workload.call(cachingClient, Workload.post(URL, longBody, "team-a"));
    check(lookup(shortBody) != null, "the short chat is not an exact hit");
    check(lookup(longBody) != null, "the long chat is not an exact hit");
  }

  @Benchmark
  public Object exactLookupShortChat() {
    return lookup(shortBody);
  }

  @Benchmark
  public Object exactLookupLongPrompt() {
    return lookup(longBody);
  }

  @Benchmark
  public long plainCannedBackend() throws IOException {
    return Workload.call(plainClient, shortChat);
  }

  @Benchmark
  public long hitThroughWrappedClient() throws IOException {
    return Workload.call(cachingClient, shortChat);
  }

  private CallCache.Hit lookup(byte[] body) {
    OpenAiRequest request = new OpenAiRequest(CHAT, new Body(body), 8 << 20);
    return new CallCache(cache, request, 1, "team-a", request.model()).lookup();
  }

  /** A request as an adapter hands it to the gateway. */
  private record Body(byte[] body) implements ClientRequest {
    @Override
    public String method() {
      return "POST";
    }

    @Override
    public String url() {
      return URL;
    }

    @Override
    public String header(String name) {
      return null;
    }

    @Override
    public <T> T tag(Class<? extends T> type) {
      return null;
    }
  }
}
