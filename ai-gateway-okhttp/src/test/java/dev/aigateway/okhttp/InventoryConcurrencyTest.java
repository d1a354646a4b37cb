package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.testing.ManualClock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * The inventory read over and over while 16 threads make calls: every read succeeds, and every
 * number is within what the calls could have taken; once they are done, the numbers are exact.
 */
class InventoryConcurrencyTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final int THREADS = 16;
  private static final int CALLS_PER_THREAD = 20;
  private static final int CONSUMERS = 4;
  private static final int CALLS_PER_CONSUMER = THREADS / CONSUMERS * CALLS_PER_THREAD;
  private static final long TOKENS_PER_CALL = 10; // what each answer reports
  private static final long MAX_RESERVED_PER_CALL = 100; // max_tokens 20 plus a short prompt

  @Test
  void inventoryReadWhileSixteenThreadsCallStaysWithinBoundsAndEndsExact() throws Exception {
    try (MockWebServer backend = new MockWebServer();
        MockWebServer app = new MockWebServer()) {
      backend.setDispatcher(
          new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
              return json(chatCompletion("gpt-4o", 6, 4));
            }
          });
      backend.start();
      app.start();
      AiGateway gateway =
          AiGateway.builder()
              .clock(new ManualClock(Instant.parse("2026-06-01T10:00:00Z")))
              .consumerKey(KeyResolvers.header("x-consumer-id"))
              .backendPool(
                  BackendPool.builder()
                      .backend(Backend.openAiCompatible("only", backend.url("/").toString())))
              .tokenLimit(
                  TokenLimit.perConsumer()
                      .tokensPerMinute(1_000_000)
                      .quota(10_000_000, QuotaPeriod.DAILY)
                      .maxInFlight(THREADS))
              .build();
      OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        String consumer = "consumer-" + (t % CONSUMERS);
        workers.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < CALLS_PER_THREAD; i++) {
                    try (Response response =
                        client
                            .newCall(
                                post(
                                    app.url("/v1/chat/completions").toString(),
                                    chatRequest("gpt-4o", "Hi", "\"max_tokens\":20"),
                                    "x-consumer-id",
                                    consumer))
                            .execute()) {
                      assertThat(response.code()).isEqualTo(200);
                      response.body().string();
                    }
                  }
                  return null;
                }));
      }
      start.countDown();
      int reads = 0;
      while (workers.stream().anyMatch(f -> !f.isDone()) || reads == 0) {
        checkWithinBounds(MAPPER.readTree(gateway.inventory().toJson()));
        reads++;
      }
      for (Future<?> worker : workers) {
        worker.get(1, TimeUnit.MINUTES);
      }
      pool.shutdown();

      JsonNode done = MAPPER.readTree(gateway.inventory().toJson());
      JsonNode entries = done.get("consumers").get("entries");
      assertThat(entries).hasSize(CONSUMERS);
      for (JsonNode consumer : entries) {
        JsonNode counters = consumer.get("limits").get(0).get("counters");
        assertThat(counters.get(0).get("used").asLong())
            .as("rate of %s", consumer.get("id"))
            .isEqualTo(CALLS_PER_CONSUMER * TOKENS_PER_CALL);
        assertThat(counters.get(1).get("used").asLong())
            .as("quota of %s", consumer.get("id"))
            .isEqualTo(CALLS_PER_CONSUMER * TOKENS_PER_CALL);
        assertThat(counters.get(2).get("used").asLong()).as("in flight").isZero();
      }
      JsonNode only = done.get("pools").get(0).get("backends").get(0).get("health");
      assertThat(only.get("inFlight").asInt()).isZero();
      assertThat(reads).isPositive();
    }
  }

  private static void checkWithinBounds(JsonNode doc) {
    for (JsonNode consumer : doc.get("consumers").get("entries")) {
      JsonNode counters = consumer.get("limits").get(0).get("counters");
      for (int i = 0; i < 2; i++) {
        JsonNode tokens = counters.get(i);
        long used = tokens.get("used").asLong();
        assertThat(used).isBetween(0L, CALLS_PER_CONSUMER * MAX_RESERVED_PER_CALL);
        assertThat(tokens.get("remaining").asLong())
            .isEqualTo(tokens.get("capacity").asLong() - used);
      }
      long inFlight = counters.get(2).get("used").asLong();
      assertThat(inFlight).isBetween(0L, (long) THREADS / CONSUMERS);
    }
    int backendInFlight =
        doc.get("pools").get(0).get("backends").get(0).get("health").get("inFlight").asInt();
    assertThat(backendInFlight).isBetween(0, THREADS);
  }
}
