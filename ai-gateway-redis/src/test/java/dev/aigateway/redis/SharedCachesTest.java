package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.SemanticHitGuard;
import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.cache.SemanticCache;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.RedisServer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two gateway instances (each with its own Redis connection, stores and OkHttp client) sharing one
 * Redis: what one cached, the other serves, exactly and semantically.
 */
class SharedCachesTest {

  private final MockWebServer backend = new MockWebServer();
  private final ChosenVectors embeddings = new ChosenVectors();
  private RedisServer server;
  private Instance a;
  private Instance b;

  @BeforeEach
  void start() throws Exception {
    backend.start();
    server = RedisServer.start();
    a = new Instance();
    b = new Instance();
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    server.close();
    backend.close();
  }

  /** One application instance: its connection, its stores, its gateway and client. */
  private final class Instance implements AutoCloseable {
    final RedisConnection redis =
        RedisConnection.builder().uri(server.uri()).commandTimeout(Duration.ofSeconds(2)).build();
    final RedisVectorStore vectors;
    final RedisResponseCacheStore answers;
    final BlockingQueue<GatewayEvent> events = new LinkedBlockingQueue<>();
    final OkHttpClient client;

    Instance() {
      this(RedisResponseCacheStore.DEFAULT_MAXIMUM_ENTRY_BYTES);
    }

    Instance(int maximumEntryBytes) {
      RedisVectorStoreTest.warmUp(redis);
      vectors = RedisVectorStore.builder(redis).timeToLive(Duration.ofMinutes(5)).build();
      answers =
          RedisResponseCacheStore.builder(redis)
              .timeToLive(Duration.ofMinutes(5))
              .maximumEntryBytes(maximumEntryBytes)
              .build();
      AiGateway gateway =
          AiGateway.builder()
              .consumerKey(KeyResolvers.header("x-consumer-id"))
              .listener(events::add)
              .responseCache(
                  ResponseCache.builder()
                      .store(answers)
                      .semantic(
                          SemanticCache.builder(embeddings)
                              .vectorStore(vectors)
                              .threshold(0.9)
                              .guard(SemanticHitGuard.NONE)))
              .build();
      client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    }

    String ask(String prompt) throws Exception {
      return Backend.post(
          client, backend, Backend.chat("gpt-4o", prompt), "x-consumer-id", "team-a");
    }

    GatewayEvent event() throws InterruptedException {
      GatewayEvent event = events.poll(5, TimeUnit.SECONDS);
      assertThat(event).as("an event").isNotNull();
      return event;
    }

    @Override
    public void close() {
      vectors.close();
      redis.close();
    }
  }

  @Test
  void anAnswerCachedThroughOneInstanceIsServedByTheOther() throws Exception {
    backend.enqueue(Backend.chatCompletion("gpt-4o", 20, 30, "Use the reset link."));

    String first = a.ask("How do I reset my password?");
    String second = b.ask("How do I reset my password?");

    assertThat(second).isEqualTo(first);
    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(a.event().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    GatewayEvent hit = b.event();
    assertThat(hit.cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(hit.cache().tokensSaved()).isEqualTo(50);
  }

  @Test
  void aParaphraseOfAPromptStoredByOneInstanceIsASemanticHitOnTheOther() throws Exception {
    embeddings.put("How do I reset my password?", new float[] {1, 0, 0});
    embeddings.put("How can I reset my password?", new float[] {0.95f, 0.3122f, 0});
    backend.enqueue(Backend.chatCompletion("gpt-4o", 20, 30, "Use the reset link."));

    String first = a.ask("How do I reset my password?");
    long start = System.nanoTime();
    while (b.vectors.localSize() == 0) { // the follower brings A's prompt over
      // (how fast it does is RedisVectorStoreTest's; this bound only ends a failed wait)
      assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(10).toNanos());
      Thread.sleep(1);
    }
    String second = b.ask("How can I reset my password?");

    assertThat(second).isEqualTo(first);
    assertThat(backend.getRequestCount()).isEqualTo(1);
    a.event();
    GatewayEvent hit = b.event();
    assertThat(hit.cache().outcome()).isEqualTo(CacheOutcome.SEMANTIC_HIT);
    assertThat(hit.cache().score()).isCloseTo(0.95, within(1e-3));
  }

  @Test
  void anAnswerAboveTheStoresEntryBoundIsNeitherCopiedForItNorHandedToIt() throws Exception {
    // The cache's own bound is 1 MiB; the store's, 16 KiB, is the lower and is the one that holds.
    Instance small = new Instance(16 * 1024);
    try {
      String text = "x".repeat(64 * 1024);
      backend.enqueue(Backend.chatCompletion("gpt-4o", 20, 30, text));
      backend.enqueue(Backend.chatCompletion("gpt-4o", 20, 30, text));

      assertThat(small.ask("Write a long story.")).contains(text);
      assertThat(small.event().cache().outcome()).isEqualTo(CacheOutcome.MISS);
      assertThat(small.ask("Write a long story.")).contains(text);
      assertThat(small.event().cache().outcome()).isEqualTo(CacheOutcome.MISS);

      assertThat(backend.getRequestCount()).isEqualTo(2);
      // The store never saw the answer: the gateway stopped keeping a copy at the store's bound.
      assertThat(small.answers.oversizedEntries()).isZero();
      assertThat(small.answers.maximumBodyBytes()).isLessThan(16 * 1024);
    } finally {
      small.close();
    }
  }

  @Test
  void withRedisDownCallsGoToTheBackendAndSucceed() throws Exception {
    backend.enqueue(Backend.chatCompletion("gpt-4o", 20, 30, "first"));
    backend.enqueue(Backend.chatCompletion("gpt-4o", 20, 30, "second"));
    server.stop();

    String first = a.ask("Hello?");
    String second = b.ask("Hello?");

    assertThat(first).contains("first");
    assertThat(second).contains("second");
    assertThat(a.event().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(b.event().cache().outcome()).isEqualTo(CacheOutcome.MISS);
  }

  /** An embedding model whose vectors the test chooses (unknown texts point elsewhere). */
  private static final class ChosenVectors implements EmbeddingModel {
    private final Map<String, float[]> vectors = new ConcurrentHashMap<>();

    void put(String text, float[] vector) {
      vectors.put(text, vector);
    }

    @Override
    public Duration callTimeout() {
      return Duration.ZERO; // in process: called on the calling thread
    }

    @Override
    public float[] embed(String text) {
      float[] vector = vectors.get(text);
      return vector != null ? vector : new float[] {0, 0, 1};
    }

    @Override
    public String name() {
      return "chosen-vectors";
    }
  }
}
