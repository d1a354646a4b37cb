package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
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
import okhttp3.ConnectionPool;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * Two gateway instances, each with its own Redis connection and store, share one consumer's request
 * rate and in-flight cap through {@link RedisTokenLimitStore}: together they never admit more.
 */
class SharedRequestLimitGatewayTest {

  private static final String CONSUMER = "x-consumer-id";
  private static final int CALLERS = 16;

  private final Queue<LimitOutcome> outcomes = new ConcurrentLinkedQueue<>();

  /** A backend that counts the calls it works on at once, each held until its gate opens. */
  private static final class CountingBackend extends Dispatcher {
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();
    final AtomicInteger total = new AtomicInteger();
    volatile CountDownLatch gate = new CountDownLatch(0);
    volatile long workMillis;

    @Override
    public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
      mostAtOnce.accumulateAndGet(active.incrementAndGet(), Math::max);
      total.incrementAndGet();
      try {
        gate.await(30, TimeUnit.SECONDS);
        if (workMillis > 0) {
          Thread.sleep(workMillis);
        }
      } finally {
        active.decrementAndGet();
      }
      return new MockResponse.Builder()
          .code(200)
          .addHeader("Content-Type", "application/json")
          .body(
              "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o\","
                  + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                  + "\"Hi\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":8,"
                  + "\"completion_tokens\":2,\"total_tokens\":10}}")
          .build();
    }
  }

  private OkHttpClient gateway(RedisTokenLimitStore store, TokenLimit.Builder limit) {
    okhttp3.Dispatcher dispatcher = new okhttp3.Dispatcher();
    dispatcher.setMaxRequests(CALLERS);
    dispatcher.setMaxRequestsPerHost(CALLERS);
    return OkHttpAiGateway.wrap(
        new OkHttpClient.Builder()
            .dispatcher(dispatcher)
            .connectionPool(new ConnectionPool(CALLERS, 1, TimeUnit.MINUTES))
            .build(),
        AiGateway.builder()
            .consumerKey(KeyResolvers.header(CONSUMER))
            .listener(event -> outcomes.add(event.limits().outcome()))
            .storeTimeout(Duration.ofSeconds(5))
            .tokenLimitStore(store)
            .tokenLimit(limit)
            .build());
  }

  private static Request chat(MockWebServer backend) {
    return new Request.Builder()
        .url(backend.url("/v1/chat/completions"))
        .header(CONSUMER, "team-a")
        .post(
            RequestBody.create(
                "{\"model\":\"gpt-4o\",\"max_tokens\":2,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}",
                MediaType.get("application/json")))
        .build();
  }

  private static Future<List<String>> caller(
      ExecutorService callers, OkHttpClient client, Request call, int calls) {
    return callers.submit(
        () -> {
          List<String> statuses = new ArrayList<>();
          for (int i = 0; i < calls; i++) {
            try (Response response = client.newCall(call).execute()) {
              response.body().string();
              statuses.add(
                  response.code() == 200
                      ? "200"
                      : response.code()
                          + " "
                          + response.header("x-ai-gateway-rejected")
                          + " retry-after="
                          + response.header("Retry-After"));
            }
          }
          return statuses;
        });
  }

  @Test
  void twoGatewaysSharingOneRedisRequestRateNeverAdmitMoreThanItHolds() throws Exception {
    try (RedisServer redis = RedisServer.start();
        MockWebServer backend = new MockWebServer();
        RedisConnection first = connection(redis);
        RedisConnection second = connection(redis);
        RedisTokenLimitStore firstStore = RedisTokenLimitStore.builder(first).build();
        RedisTokenLimitStore secondStore = RedisTokenLimitStore.builder(second).build()) {
      CountingBackend counting = new CountingBackend();
      backend.setDispatcher(counting);
      backend.start();
      warmUp(firstStore, secondStore);
      // Ten requests an hour: one refills every 6 minutes, so none during the test.
      TokenLimit.Builder limit = TokenLimit.perConsumer().requestsPer(10, Duration.ofHours(1));
      List<OkHttpClient> gateways =
          List.of(gateway(firstStore, limit), gateway(secondStore, limit));
      ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
      try {
        List<Future<List<String>>> results = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) {
          results.add(caller(callers, gateways.get(i % 2), chat(backend), 4));
        }
        List<String> statuses = new ArrayList<>();
        for (Future<List<String>> result : results) {
          statuses.addAll(result.get(60, TimeUnit.SECONDS));
        }

        assertThat(outcomes).doesNotContain(LimitOutcome.STORE_FAILED).hasSize(CALLERS * 4);
        assertThat(statuses).filteredOn("200"::equals).hasSize(10);
        assertThat(statuses)
            .filteredOn(s -> !s.equals("200"))
            .hasSize(CALLERS * 4 - 10)
            .allSatisfy(
                s ->
                    assertThat(s)
                        .startsWith("429 request-rate-limit retry-after=")
                        .satisfies(
                            r ->
                                assertThat(Long.parseLong(r.substring(r.indexOf('=') + 1)))
                                    .isBetween(300L, 360L)));
        assertThat(counting.total.get()).isEqualTo(10);
      } finally {
        callers.shutdownNow();
      }
    }
  }

  @Test
  void twoGatewaysSharingOneRedisInFlightCapNeverSendMoreAtOnce() throws Exception {
    try (RedisServer redis = RedisServer.start();
        MockWebServer backend = new MockWebServer();
        RedisConnection first = connection(redis);
        RedisConnection second = connection(redis);
        RedisTokenLimitStore firstStore = RedisTokenLimitStore.builder(first).build();
        RedisTokenLimitStore secondStore = RedisTokenLimitStore.builder(second).build()) {
      CountingBackend counting = new CountingBackend();
      backend.setDispatcher(counting);
      backend.start();
      warmUp(firstStore, secondStore);
      TokenLimit.Builder limit = TokenLimit.perConsumer().maxInFlight(2);
      List<OkHttpClient> gateways =
          List.of(gateway(firstStore, limit), gateway(secondStore, limit));
      ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
      try {
        // One call held at the backend through each gateway: both slots are taken.
        counting.gate = new CountDownLatch(1);
        Future<List<String>> heldFirst = caller(callers, gateways.get(0), chat(backend), 1);
        Future<List<String>> heldSecond = caller(callers, gateways.get(1), chat(backend), 1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (counting.active.get() < 2 && System.nanoTime() < deadline) {
          Thread.sleep(2);
        }
        assertThat(counting.active.get()).isEqualTo(2);
        for (OkHttpClient gateway : gateways) {
          assertThat(caller(callers, gateway, chat(backend), 1).get(30, TimeUnit.SECONDS))
              .containsExactly("429 in-flight-limit retry-after=1");
        }
        counting.gate.countDown();
        assertThat(heldFirst.get(30, TimeUnit.SECONDS)).containsExactly("200");
        assertThat(heldSecond.get(30, TimeUnit.SECONDS)).containsExactly("200");

        // Many callers on both gateways: the backend never works on more than two at once.
        counting.mostAtOnce.set(0);
        counting.workMillis = 5;
        List<Future<List<String>>> results = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) {
          results.add(caller(callers, gateways.get(i % 2), chat(backend), 8));
        }
        int admitted = 0;
        for (Future<List<String>> result : results) {
          for (String status : result.get(60, TimeUnit.SECONDS)) {
            if (status.equals("200")) {
              admitted++;
            } else {
              assertThat(status).isEqualTo("429 in-flight-limit retry-after=1");
            }
          }
        }
        assertThat(admitted).isPositive();
        assertThat(counting.mostAtOnce.get()).isBetween(1, 2);
        assertThat(outcomes).doesNotContain(LimitOutcome.STORE_FAILED);
      } finally {
        callers.shutdownNow();
      }
    }
  }

  /** Connects both stores before the calls start (the first command of a JVM is slow). */
  private static void warmUp(RedisTokenLimitStore... stores) {
    for (RedisTokenLimitStore store : stores) {
      LimitSpec warmUp = LimitSpec.inFlight("warm-up", 1);
      store.settle(
          store.reserve(List.of(new LimitCharge(warmUp, "-", 1))).reservation(), new long[1]);
      // applied now (and the shared connection made), before the other store takes the same slot
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
    }
  }

  private static RedisConnection connection(RedisServer redis) {
    // Generous: a store failure would let the gateway admit the call (it fails open), which these
    // tests would read as over-admission.
    return RedisConnection.builder().uri(redis.uri()).commandTimeout(Duration.ofSeconds(5)).build();
  }
}
