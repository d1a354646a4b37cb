package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.chatStream;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static dev.aigateway.okhttp.Backend.sse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.CacheInfo;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.SemanticHitGuard;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.api.spi.ResponseCacheStore;
import dev.aigateway.api.spi.VectorMatch;
import dev.aigateway.api.spi.VectorStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.InMemoryResponseCacheStore;
import dev.aigateway.core.cache.InMemoryVectorStore;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.cache.SemanticCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.telemetry.LoggingListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A response cache store, vector store or embedding model of the application's that blocks (its
 * network is down, it hangs) never holds the governed call: a lookup is a miss once the cache's
 * timeout has passed, storing never holds the application's read, and the threads a hung part holds
 * are bounded and its own.
 */
class BlockingCachePartTest {

  /** Generous for a loaded machine: every wait in these tests ends on a condition before it. */
  private static final long WAIT_SECONDS = 30;

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();

  /** Released at the end: every part that blocks waits on it. */
  private final CountDownLatch never = new CountDownLatch(1);

  private final ExecutorService app = Executors.newCachedThreadPool();

  @BeforeEach
  void setUp() throws Exception {
    server.start();
  }

  @AfterEach
  void tearDown() {
    never.countDown();
    app.shutdownNow();
    server.close();
  }

  private OkHttpClient clientWith(ResponseCache.Builder cache) {
    AiGateway gateway =
        AiGateway.builder()
            .tokenLimit(TokenLimit.perConsumer().quota(1_000_000, QuotaPeriod.DAILY))
            .listener(events)
            .responseCache(cache)
            .build();
    return OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
  }

  private String url() {
    return server.url("/v1/chat/completions").toString();
  }

  /** The body the application reads, on a thread of its own, waited for at most WAIT_SECONDS. */
  private String body(OkHttpClient client, String json) throws Exception {
    Future<String> read =
        app.submit(
            () -> {
              try (Response response = client.newCall(post(url(), json)).execute()) {
                return response.body().string();
              }
            });
    return read.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  private void waitFor(CountDownLatch latch) throws InterruptedException {
    assertThat(latch.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
  }

  /** A store whose chosen methods block until the test ends. */
  private final class BlockingStore implements ResponseCacheStore {
    final InMemoryResponseCacheStore inner = InMemoryResponseCacheStore.create();
    final CountDownLatch getEntered = new CountDownLatch(1);
    final AtomicInteger putsEntered = new AtomicInteger();
    final java.util.Set<Thread> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final CountDownLatch putEntered = new CountDownLatch(1);
    volatile boolean blockGet;
    volatile boolean blockPut;

    @Override
    public Optional<CachedResponse> get(String partition, String key) {
      getEntered.countDown();
      threads.add(Thread.currentThread());
      if (blockGet) {
        await();
      }
      return inner.get(partition, key);
    }

    @Override
    public void put(String partition, String key, CachedResponse response) {
      putsEntered.incrementAndGet();
      putEntered.countDown();
      threads.add(Thread.currentThread());
      if (blockPut) {
        await();
      }
      inner.put(partition, key, response);
    }

    @Override
    public void remove(String partition, String key) {
      inner.remove(partition, key);
    }

    private void await() {
      try {
        never.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Test
  void aStoreThatNeverAnswersALookupMakesTheCallAMissThatReachesTheBackend() throws Exception {
    BlockingStore store = new BlockingStore();
    store.blockGet = true;
    OkHttpClient client =
        clientWith(ResponseCache.builder().store(store).timeout(Duration.ofMillis(200)));
    String answer = chatCompletion("gpt-4o", 12, 30);
    server.enqueue(json(answer));

    assertThat(body(client, chatRequest("gpt-4o", "What is 2+2?", ""))).isEqualTo(answer);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(event.cache().failure()).isEqualTo(CacheInfo.STORE_TIMEOUT);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(42);
    assertThat(event.limits().settledTokens()).isEqualTo(42);
    assertThat(LoggingListener.format(event)).contains(" cache=miss cache_failure=store_timeout ");
    assertThat(event.toString()).contains("cacheFailure=store_timeout");
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(events.none()).isTrue(); // exactly one event
  }

  @Test
  void aStoreThatNeverFinishesAWriteHoldsNeitherTheAnswerNorItsEvent() throws Exception {
    BlockingStore store = new BlockingStore();
    store.blockPut = true;
    OkHttpClient client =
        clientWith(ResponseCache.builder().store(store).timeout(Duration.ofMillis(200)));
    String json = chatCompletion("gpt-4o", 12, 30);
    String stream = chatStream("gpt-4o", true, 12, 30, true);
    server.enqueue(json(json));
    server.enqueue(sse(stream));

    assertThat(body(client, chatRequest("gpt-4o", "What is 2+2?", ""))).isEqualTo(json);
    waitFor(store.putEntered);
    GatewayEvent first = events.next();
    assertThat(first.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(first.cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(first.cache().failure()).isNull();
    assertThat(first.limits().settledTokens()).isEqualTo(42);

    assertThat(body(client, chatRequest("gpt-4o", "Say hello", "\"stream\":true")))
        .contains("\"Hello\"")
        .contains("[DONE]");
    GatewayEvent second = events.next();
    assertThat(second.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(second.stream()).isTrue();
    assertThat(events.none()).isTrue();
  }

  @Test
  void writesThatPileUpOnAHungStoreHoldBoundedThreadsAndEveryCallEnds() throws Exception {
    BlockingStore store = new BlockingStore();
    store.blockPut = true;
    OkHttpClient client =
        clientWith(ResponseCache.builder().store(store).timeout(Duration.ofMillis(200)));
    // More writes than the store's threads and its backlog of writes together.
    int calls = 320;
    for (int i = 0; i < calls; i++) {
      server.enqueue(json(chatCompletion("gpt-4o", 3, 4)));
    }

    for (int i = 0; i < calls; i++) {
      body(client, chatRequest("gpt-4o", "Question " + i, ""));
    }

    for (int i = 0; i < calls; i++) {
      assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
    }
    assertThat(events.none()).isTrue();
    // Each hung write holds a thread of the store's own, and no more of them than its bound; the
    // writes beyond its threads and its backlog were dropped, not queued without end.
    assertThat(store.putsEntered.get()).isBetween(1, 32);
    assertThat(store.threads)
        .hasSize(store.putsEntered.get())
        .allMatch(t -> t.getName().startsWith("ai-gateway-cache-response-cache-store-"));
  }

  @Test
  void lookupsOnAStoreWhoseThreadsAreAllHeldAreMissesAtOnce() throws Exception {
    BlockingStore store = new BlockingStore();
    store.blockGet = true;
    OkHttpClient client =
        clientWith(ResponseCache.builder().store(store).timeout(Duration.ofMillis(100)));
    int calls = 40; // more than the store's threads: the later lookups find them all held
    for (int i = 0; i < calls; i++) {
      server.enqueue(json(chatCompletion("gpt-4o", 3, 4)));
    }

    for (int i = 0; i < calls; i++) {
      body(client, chatRequest("gpt-4o", "Question " + i, ""));
    }

    for (int i = 0; i < calls; i++) {
      GatewayEvent event = events.next();
      assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(event.cache().failure()).isEqualTo(CacheInfo.STORE_TIMEOUT);
    }
    assertThat(store.threads.size()).isBetween(1, 32);
  }

  /**
   * A store that bounds its own calls within the cache's timeout is called on the call's thread.
   */
  @Test
  void aStoreThatBoundsItsOwnCallsIsCalledOnTheCallingThreadAndWrittenBeforeTheEvent()
      throws Exception {
    List<String> threads = new ArrayList<>();
    InMemoryResponseCacheStore inner = InMemoryResponseCacheStore.create();
    ResponseCacheStore bounded =
        new ResponseCacheStore() {
          @Override
          public Optional<CachedResponse> get(String partition, String key) {
            synchronized (threads) {
              threads.add(Thread.currentThread().getName());
            }
            return inner.get(partition, key);
          }

          @Override
          public void put(String partition, String key, CachedResponse response) {
            synchronized (threads) {
              threads.add(Thread.currentThread().getName());
            }
            inner.put(partition, key, response);
          }

          @Override
          public void remove(String partition, String key) {
            inner.remove(partition, key);
          }

          @Override
          public Duration callTimeout() {
            return Duration.ofMillis(50);
          }
        };
    OkHttpClient client =
        clientWith(ResponseCache.builder().store(bounded).timeout(Duration.ofMillis(200)));
    server.enqueue(json(chatCompletion("gpt-4o", 12, 30)));
    String request = chatRequest("gpt-4o", "What is 2+2?", "");

    body(client, request);
    events.next();
    body(client, request); // stored before the first call's event: found at once

    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(threads).hasSize(3).noneMatch(name -> name.startsWith("ai-gateway-cache-"));
  }

  /** An embedding model whose chosen prompts block until the test ends. */
  private final class BlockingModel implements EmbeddingModel {
    final CountDownLatch entered = new CountDownLatch(1);
    volatile boolean block = true;

    /**
     * Whether the model says it computes in process and never waits ({@link Duration#ZERO}), so
     * that it runs on the calling thread: for a test of another part, whose timeout the model's
     * hand-off would otherwise share on a loaded machine.
     */
    volatile boolean inProcess;

    @Override
    public Duration callTimeout() {
      return inProcess ? Duration.ZERO : null;
    }

    @Override
    public float[] embed(String text) {
      entered.countDown();
      if (block) {
        try {
          never.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return new float[] {1, 0, 0};
    }

    @Override
    public String name() {
      return "blocking";
    }
  }

  @Test
  void anEmbeddingModelThatNeverAnswersMakesTheCallAMissAndTheExactCacheStillServes()
      throws Exception {
    BlockingModel model = new BlockingModel();
    OkHttpClient client =
        clientWith(
            ResponseCache.builder()
                .timeout(Duration.ofMillis(200))
                .semantic(SemanticCache.builder(model).guard(SemanticHitGuard.NONE)));
    String answer = chatCompletion("gpt-4o", 12, 30);
    server.enqueue(json(answer));
    String request = chatRequest("gpt-4o", "What is 2+2?", "");

    assertThat(body(client, request)).isEqualTo(answer);
    GatewayEvent miss = events.next();
    assertThat(miss.cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(miss.cache().failure()).isEqualTo(CacheInfo.EMBEDDING_TIMEOUT);

    assertThat(body(client, request)).isEqualTo(answer); // stored whole, found exactly
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void aVectorStoreThatNeverAnswersMakesTheCallAMissWhileTheOtherPartsKeepTheirThreads()
      throws Exception {
    CountDownLatch searched = new CountDownLatch(1);
    java.util.Set<Thread> searchers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    InMemoryVectorStore inner = InMemoryVectorStore.builder().build();
    VectorStore hung =
        new VectorStore() {
          @Override
          public void add(String partition, String id, float[] vector, String text) {
            inner.add(partition, id, vector, text);
          }

          @Override
          public List<VectorMatch> nearest(
              String partition, float[] vector, int limit, double minScore) {
            searched.countDown();
            searchers.add(Thread.currentThread());
            try {
              never.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return List.of();
          }

          @Override
          public void remove(String partition, String id) {
            inner.remove(partition, id);
          }

          @Override
          public long size() {
            return inner.size();
          }
        };
    BlockingModel model = new BlockingModel();
    model.block = false;
    // On the calling thread: only the vector store's hand-off waits on the 100 ms budget (a model
    // handed off too missed it now and then on a loaded machine, failing embedding_timeout).
    model.inProcess = true;
    BlockingStore store = new BlockingStore(); // healthy, on threads of its own
    OkHttpClient client =
        clientWith(
            ResponseCache.builder()
                .store(store)
                .timeout(Duration.ofMillis(100))
                .semantic(
                    SemanticCache.builder(model).vectorStore(hung).guard(SemanticHitGuard.NONE)));
    int calls = 40; // more than the vector store's threads
    for (int i = 0; i < calls; i++) {
      server.enqueue(json(chatCompletion("gpt-4o", 3, 4)));
    }
    for (int i = 0; i < calls; i++) {
      body(client, chatRequest("gpt-4o", "Question " + i, ""));
      GatewayEvent event = events.next();
      assertThat(event.cache().outcome()).isEqualTo(CacheOutcome.MISS);
      assertThat(event.cache().failure()).isEqualTo(CacheInfo.VECTOR_STORE_TIMEOUT);
    }
    waitFor(searched);
    assertThat(searchers.size()).isBetween(1, 32);
    assertThat(searchers).allMatch(t -> t.getName().startsWith("ai-gateway-cache-vector-store-"));

    // The answers are in the healthy store (written on its threads, so perhaps a little after the
    // call's event): an identical call is soon answered from it, while the vector store hangs.
    String again = chatRequest("gpt-4o", "Question 0", "");
    GatewayEvent hit = null;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (System.nanoTime() < until) {
      server.enqueue(json(chatCompletion("gpt-4o", 3, 4)));
      body(client, again);
      hit = events.next();
      if (hit.cache().outcome() == CacheOutcome.EXACT_HIT) {
        break;
      }
      Thread.onSpinWait();
    }
    assertThat(hit.cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(hit.cache().failure()).isNull();
  }

  @Test
  void theTimeoutMustBePositive() {
    assertThatThrownBy(() -> ResponseCache.builder().timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout must be positive")
        .hasMessageContaining("PT0S");
    assertThatThrownBy(() -> ResponseCache.builder().timeout(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout must be positive");
    assertThatThrownBy(() -> ResponseCache.builder().timeout(Duration.ofDays(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most PT24H");
    assertThat(ResponseCache.builder().build().timeout()).isEqualTo(Duration.ofSeconds(2));
  }
}
