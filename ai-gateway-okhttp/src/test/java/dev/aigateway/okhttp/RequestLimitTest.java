package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.chatStream;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Request rates and in-flight caps end to end: OkHttp through the gateway to MockWebServer backends
 * that count what reaches them (calls per consumer, calls at once).
 */
class RequestLimitTest {

  private static final String CONSUMER = "x-consumer-id";
  private static final String WANTS_STREAM = "x-test-stream";

  /** The caller, for the backend to count by (the gateway need not pass its consumer key on). */
  private static final String CALLER = "x-test-caller";

  private static final int THREADS = 24;

  private final ManualClock clock = new ManualClock(Instant.parse("2026-05-04T09:00:00Z"));
  private final RecordingListener events = new RecordingListener();
  private final List<MockWebServer> servers = new ArrayList<>();
  private final ExecutorService callers = Executors.newFixedThreadPool(THREADS);

  @AfterEach
  void tearDown() throws Exception {
    callers.shutdownNow();
    for (MockWebServer server : servers) {
      server.close();
    }
  }

  /**
   * A backend that counts the calls it is sent per consumer and how many it works on at once; while
   * its gate is closed, each call waits at the backend until the gate opens.
   */
  private static final class CountingBackend extends Dispatcher {
    final Map<String, AtomicInteger> byConsumer = new ConcurrentHashMap<>();
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();
    final AtomicInteger total = new AtomicInteger();
    volatile CountDownLatch gate = new CountDownLatch(0);
    volatile long workMillis;

    @Override
    public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
      int now = active.incrementAndGet();
      mostAtOnce.accumulateAndGet(now, Math::max);
      total.incrementAndGet();
      String consumer = request.getHeaders().get(CALLER);
      byConsumer
          .computeIfAbsent(consumer == null ? "-" : consumer, c -> new AtomicInteger())
          .incrementAndGet();
      try {
        gate.await(30, TimeUnit.SECONDS);
        if (workMillis > 0) {
          Thread.sleep(workMillis);
        }
      } finally {
        active.decrementAndGet();
      }
      return request.getHeaders().get(WANTS_STREAM) != null
          ? Backend.sse(chatStream("gpt-4o", true, 7, 8, true))
          : Backend.json(chatCompletion("gpt-4o", 7, 3));
    }

    int calls(String consumer) {
      AtomicInteger n = byConsumer.get(consumer);
      return n == null ? 0 : n.get();
    }
  }

  private MockWebServer start(CountingBackend backend) throws IOException {
    MockWebServer server = new MockWebServer();
    server.setDispatcher(backend);
    server.start();
    servers.add(server);
    return server;
  }

  private OkHttpClient client(AiGateway.Builder gateway) {
    okhttp3.Dispatcher dispatcher = new okhttp3.Dispatcher();
    dispatcher.setMaxRequests(THREADS * 2);
    dispatcher.setMaxRequestsPerHost(THREADS * 2);
    return OkHttpAiGateway.wrap(
        new OkHttpClient.Builder()
            .dispatcher(dispatcher)
            .connectionPool(new ConnectionPool(THREADS * 2, 1, TimeUnit.MINUTES))
            .build(),
        gateway.clock(clock).consumerKey(KeyResolvers.header(CONSUMER)).listener(events).build());
  }

  private static Request chat(MockWebServer server, String consumer) {
    return post(
        server.url("/v1/chat/completions").toString(),
        chatRequest("gpt-4o", "Hi", "\"max_tokens\":3"),
        CONSUMER,
        consumer,
        CALLER,
        consumer);
  }

  private static Request streamedChat(MockWebServer server, String consumer) {
    return post(
        server.url("/v1/chat/completions").toString(),
        chatRequest("gpt-4o", "Hi", "\"stream\":true"),
        CONSUMER,
        consumer,
        CALLER,
        consumer,
        WANTS_STREAM,
        "1");
  }

  /** What one caller saw: 200s, and the rejections by reason header. */
  private record Tally(int ok, Map<String, Integer> rejected, List<String> retryAfters) {}

  private Future<Tally> caller(OkHttpClient client, Request request, int calls, long pauseMillis) {
    return callers.submit(
        () -> {
          int ok = 0;
          Map<String, Integer> rejected = new ConcurrentHashMap<>();
          List<String> retryAfters = new ArrayList<>();
          for (int i = 0; i < calls; i++) {
            try (Response response = client.newCall(request).execute()) {
              response.body().string();
              if (response.code() == 200) {
                ok++;
              } else {
                rejected.merge(
                    response.code() + " " + response.header("x-ai-gateway-rejected"),
                    1,
                    Integer::sum);
                retryAfters.add(response.header("Retry-After"));
              }
            }
            if (pauseMillis > 0) {
              Thread.sleep(pauseMillis);
            }
          }
          return new Tally(ok, rejected, retryAfters);
        });
  }

  @Test
  void aFloodingConsumerIsThrottledByItsRequestRateWhileTheOthersKeepTheirThroughput()
      throws Exception {
    CountingBackend backend = new CountingBackend();
    MockWebServer server = start(backend);
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().requestsPerMinute(20)));
    // The clock stands still, so no request refills during the test: each consumer has 20.
    List<Future<Tally>> flood = new ArrayList<>();
    for (int t = 0; t < 16; t++) {
      flood.add(caller(client, chat(server, "flood"), 25, 0));
    }
    List<Future<Tally>> steadyA = new ArrayList<>();
    List<Future<Tally>> steadyB = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      steadyA.add(caller(client, chat(server, "steady-a"), 10, 1));
      steadyB.add(caller(client, chat(server, "steady-b"), 10, 1));
    }

    int floodOk = 0;
    int floodRejected = 0;
    for (Future<Tally> f : flood) {
      Tally tally = f.get(60, TimeUnit.SECONDS);
      floodOk += tally.ok();
      floodRejected += tally.rejected().getOrDefault("429 request-rate-limit", 0);
      assertThat(tally.rejected().keySet()).isSubsetOf("429 request-rate-limit");
      assertThat(tally.retryAfters()).containsOnly("3"); // 20 a minute: one every 3 s
    }
    for (List<Future<Tally>> steady : List.of(steadyA, steadyB)) {
      int ok = 0;
      for (Future<Tally> f : steady) {
        Tally tally = f.get(60, TimeUnit.SECONDS);
        ok += tally.ok();
        assertThat(tally.rejected()).isEmpty();
      }
      assertThat(ok).isEqualTo(20);
    }

    assertThat(floodOk).isEqualTo(20);
    assertThat(floodRejected).isEqualTo(16 * 25 - 20);
    assertThat(backend.calls("flood")).isEqualTo(20);
    assertThat(backend.calls("steady-a")).isEqualTo(20);
    assertThat(backend.calls("steady-b")).isEqualTo(20);
    List<GatewayEvent> all = new ArrayList<>();
    for (int i = 0; i < 16 * 25 + 40; i++) {
      all.add(events.next());
    }
    assertThat(all)
        .filteredOn(e -> e.outcome() == CallOutcome.SUCCESS)
        .hasSize(60)
        .allSatisfy(e -> assertThat(e.limits().settledRequests()).isEqualTo(1));
    assertThat(all)
        .filteredOn(e -> e.outcome() == CallOutcome.REJECTED)
        .hasSize(16 * 25 - 20)
        .allSatisfy(
            e -> {
              assertThat(e.consumer()).isEqualTo("flood");
              assertThat(e.rejection()).isEqualTo(RejectionReason.REQUEST_RATE_LIMIT);
            });
  }

  @Test
  void aConsumersInFlightCapIsNeverExceededAtTheBackend() throws Exception {
    CountingBackend backend = new CountingBackend();
    MockWebServer server = start(backend);
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().maxInFlight(3)));

    // Three calls wait at the backend; every other call of the consumer is refused meanwhile.
    backend.gate = new CountDownLatch(1);
    List<Future<Tally>> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(caller(client, chat(server, "team-a"), 1, 0));
    }
    awaitActive(backend, 3);
    Tally refused = caller(client, chat(server, "team-a"), 5, 0).get(30, TimeUnit.SECONDS);
    Future<Tally> other = caller(client, chat(server, "team-b"), 1, 0);
    assertThat(refused.ok()).isZero();
    assertThat(refused.rejected()).containsEntry("429 in-flight-limit", 5);
    assertThat(refused.retryAfters()).containsOnly("1");
    awaitActive(backend, 4); // another consumer is not held back by team-a's cap
    backend.gate.countDown();
    for (Future<Tally> f : held) {
      assertThat(f.get(30, TimeUnit.SECONDS).ok()).isEqualTo(1);
    }
    assertThat(other.get(30, TimeUnit.SECONDS).ok()).isEqualTo(1);

    // Many callers hammering: the backend never sees more than three of team-a's calls at once.
    backend.mostAtOnce.set(0);
    backend.workMillis = 5;
    List<Future<Tally>> hammer = new ArrayList<>();
    for (int t = 0; t < 12; t++) {
      hammer.add(caller(client, chat(server, "team-a"), 15, 0));
    }
    int ok = 0;
    for (Future<Tally> f : hammer) {
      Tally tally = f.get(60, TimeUnit.SECONDS);
      ok += tally.ok();
      assertThat(tally.rejected().keySet()).isSubsetOf("429 in-flight-limit");
    }
    assertThat(backend.mostAtOnce.get()).isBetween(1, 3);
    assertThat(ok).isPositive();
    // Every slot came back: three calls can be held again.
    backend.gate = new CountDownLatch(1);
    backend.mostAtOnce.set(0);
    List<Future<Tally>> again = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      again.add(caller(client, chat(server, "team-a"), 1, 0));
    }
    awaitActive(backend, 3);
    backend.gate.countDown();
    for (Future<Tally> f : again) {
      assertThat(f.get(30, TimeUnit.SECONDS).ok()).isEqualTo(1);
    }
  }

  @Test
  void aStreamHoldsItsSlotUntilTheApplicationClosesIt() throws Exception {
    CountingBackend backend = new CountingBackend();
    MockWebServer server = start(backend);
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().maxInFlight(1)));

    Response stream = client.newCall(streamedChat(server, "team-a")).execute();
    InputStream body = stream.body().byteStream();
    assertThat(body.read()).isNotEqualTo(-1);
    try (Response refused = client.newCall(chat(server, "team-a")).execute()) {
      assertThat(refused.code()).isEqualTo(429);
      assertThat(refused.header("x-ai-gateway-rejected")).isEqualTo("in-flight-limit");
    }
    stream.close();

    try (Response next = client.newCall(chat(server, "team-a")).execute()) {
      assertThat(next.code()).isEqualTo(200);
    }
  }

  @Test
  void aCancelledCallGivesItsSlotBack() throws Exception {
    CountingBackend backend = new CountingBackend();
    MockWebServer server = start(backend);
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().maxInFlight(1)));
    backend.gate = new CountDownLatch(1);
    CountDownLatch failed = new CountDownLatch(1);
    Call call = client.newCall(chat(server, "team-a"));
    call.enqueue(
        new Callback() {
          @Override
          public void onFailure(Call c, IOException e) {
            failed.countDown();
          }

          @Override
          public void onResponse(Call c, Response response) {
            response.close();
          }
        });
    awaitActive(backend, 1);

    call.cancel();

    assertThat(failed.await(30, TimeUnit.SECONDS)).isTrue();
    backend.gate.countDown();
    try (Response next = client.newCall(chat(server, "team-a")).execute()) {
      assertThat(next.code()).isEqualTo(200);
    }
  }

  @Test
  void aBackendAtItsCapSendsTheOverflowToTheNextBackendAndNeverExceedsItsCap() throws Exception {
    CountingBackend capped = new CountingBackend();
    CountingBackend spare = new CountingBackend();
    MockWebServer cappedServer = start(capped);
    MockWebServer spareServer = start(spare);
    OkHttpClient client =
        client(
            AiGateway.builder()
                .backendPool(
                    BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.openAiCompatible(
                                    "capped", cappedServer.url("/").toString())
                                .maxInFlight(2))
                        .backend(
                            dev.aigateway.core.routing.Backend.openAiCompatible(
                                    "spare", spareServer.url("/").toString())
                                .priority(2))));

    capped.gate = new CountDownLatch(1);
    Future<Tally> first = caller(client, chat(cappedServer, "a"), 1, 0);
    Future<Tally> second = caller(client, chat(cappedServer, "a"), 1, 0);
    awaitActive(capped, 2);
    Tally overflow = caller(client, chat(cappedServer, "a"), 3, 0).get(30, TimeUnit.SECONDS);
    assertThat(overflow.ok()).isEqualTo(3);
    assertThat(spare.total.get()).isEqualTo(3);
    capped.gate.countDown();
    assertThat(first.get(30, TimeUnit.SECONDS).ok()).isEqualTo(1);
    assertThat(second.get(30, TimeUnit.SECONDS).ok()).isEqualTo(1);

    capped.workMillis = 5;
    capped.mostAtOnce.set(0);
    List<Future<Tally>> load = new ArrayList<>();
    for (int t = 0; t < 12; t++) {
      load.add(caller(client, chat(cappedServer, "a"), 10, 0));
    }
    for (Future<Tally> f : load) {
      Tally tally = f.get(60, TimeUnit.SECONDS);
      assertThat(tally.ok()).isEqualTo(10); // the spare backend takes what the capped one cannot
    }
    assertThat(capped.mostAtOnce.get()).isBetween(1, 2);
    assertThat(capped.total.get() + spare.total.get()).isEqualTo(2 + 3 + 120);
  }

  @Test
  void everyBackendAtItsCapAnswers503NoBackendAvailableWithRetryAfterOne() throws Exception {
    CountingBackend capped = new CountingBackend();
    MockWebServer server = start(capped);
    OkHttpClient client =
        client(
            AiGateway.builder()
                .backendPool(
                    BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.openAiCompatible(
                                    "capped", server.url("/").toString())
                                .maxInFlight(1))));
    Response stream = client.newCall(streamedChat(server, "a")).execute();
    assertThat(stream.code()).isEqualTo(200);

    try (Response refused = client.newCall(chat(server, "a")).execute()) {
      assertThat(refused.code()).isEqualTo(503);
      assertThat(refused.header("Retry-After")).isEqualTo("1");
      assertThat(refused.header("x-ai-gateway-rejected")).isEqualTo("no-backend-available");
      assertThat(refused.body().string()).contains("no_backend_available");
    }
    stream.close(); // the application closes the stream unread: the backend's slot is free
    try (Response next = client.newCall(chat(server, "a")).execute()) {
      assertThat(next.code()).isEqualTo(200);
    }
    assertThat(capped.total.get()).isEqualTo(2);
  }

  @Test
  void aGatewayThatThrowsRaisesTheRequestRateRejectionAsAnIOException() throws Exception {
    CountingBackend backend = new CountingBackend();
    MockWebServer server = start(backend);
    OkHttpClient client =
        client(
            AiGateway.builder()
                .throwOnRejection(true)
                .tokenLimit(TokenLimit.perConsumer().requestsPerSecond(1)));
    try (Response ok = client.newCall(chat(server, "a")).execute()) {
      assertThat(ok.code()).isEqualTo(200);
    }

    assertThatThrownBy(() -> client.newCall(chat(server, "a")).execute())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Request rate limit 'consumer' (1 requests per PT1S)");
  }

  private static void awaitActive(CountingBackend backend, int calls) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (backend.active.get() < calls) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "the backend never had " + calls + " calls at once: " + backend.active.get());
      }
      Thread.sleep(2);
    }
  }
}
