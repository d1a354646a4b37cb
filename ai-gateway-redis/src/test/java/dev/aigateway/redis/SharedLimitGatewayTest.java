package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.Operation;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.Prompts;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * Two gateway instances, each with its own Redis connection and store, share one consumer quota:
 * however their calls interleave, together they admit what the quota holds and no more.
 */
class SharedLimitGatewayTest {

  private static final String CONSUMER = "x-consumer-id";

  /** The prompt's tokens as the gateway counts them. */
  private static final long PROMPT =
      Prompts.countTokens(
          TokenCounter.defaults(),
          "gpt-4o",
          Operation.CHAT_COMPLETIONS,
          "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");

  /** What a call reserves (prompt + max_tokens) and, as the backend reports it, uses. */
  private static final long PER_CALL = PROMPT + 100;

  private final Queue<LimitOutcome> outcomes = new ConcurrentLinkedQueue<>();

  private OkHttpClient gateway(RedisTokenLimitStore store) {
    return OkHttpAiGateway.wrap(
        new OkHttpClient(),
        AiGateway.builder()
            .consumerKey(KeyResolvers.header(CONSUMER))
            .listener(event -> outcomes.add(event.limits().outcome()))
            .storeTimeout(Duration.ofSeconds(5))
            .tokenLimitStore(store)
            .tokenLimit(
                TokenLimit.perConsumer()
                    .quota(10 * PER_CALL, QuotaPeriod.MONTHLY)) // ten calls' worth
            .build());
  }

  private static MockResponse completion() {
    // each call uses exactly what it reserved, so only the quota decides, however calls interleave
    return new MockResponse.Builder()
        .code(200)
        .addHeader("Content-Type", "application/json")
        .body(
            "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                + "\"Hi\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":"
                + PROMPT
                + ",\"completion_tokens\":100,\"total_tokens\":"
                + PER_CALL
                + "}}")
        .build();
  }

  @Test
  void twoGatewaysSharingOneRedisQuotaNeverAdmitMoreThanItHolds() throws Exception {
    try (RedisServer redis = RedisServer.start();
        MockWebServer backend = new MockWebServer();
        RedisConnection first = connection(redis);
        RedisConnection second = connection(redis);
        RedisTokenLimitStore firstStore = RedisTokenLimitStore.builder(first).build();
        RedisTokenLimitStore secondStore = RedisTokenLimitStore.builder(second).build()) {
      for (int i = 0; i < 64; i++) {
        backend.enqueue(completion());
      }
      backend.start();
      for (RedisTokenLimitStore store : List.of(firstStore, secondStore)) {
        LimitSpec warmUp = LimitSpec.inFlight("warm-up", 1); // connects before the calls start
        // a slot of its own per store: the first store's settlement may reach Redis up to 2 ms
        // after it returns (it waits for a reservation to ride with), so the second store could
        // still find a shared slot taken
        String key = store == firstStore ? "first" : "second";
        store.settle(
            store.reserve(List.of(new LimitCharge(warmUp, key, 1))).reservation(), new long[1]);
      }
      List<OkHttpClient> gateways = List.of(gateway(firstStore), gateway(secondStore));
      Request call =
          new Request.Builder()
              .url(backend.url("/v1/chat/completions"))
              .header(CONSUMER, "team-a")
              .post(
                  RequestBody.create(
                      "{\"model\":\"gpt-4o\",\"max_tokens\":100,"
                          + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}",
                      MediaType.get("application/json")))
              .build();

      ExecutorService callers = Executors.newFixedThreadPool(16);
      List<Future<Integer>> codes = new ArrayList<>();
      try {
        for (int i = 0; i < 32; i++) {
          OkHttpClient client = gateways.get(i % 2);
          codes.add(
              callers.submit(
                  () -> {
                    try (Response response = client.newCall(call).execute()) {
                      response.body().string();
                      return response.code();
                    }
                  }));
        }
        int admitted = 0;
        int refused = 0;
        for (Future<Integer> code : codes) {
          int status = code.get();
          if (status == 200) {
            admitted++;
          } else {
            assertThat(status).isEqualTo(403); // the quota is spent
            refused++;
          }
        }

        assertThat(outcomes).doesNotContain(LimitOutcome.STORE_FAILED).hasSize(32);
        assertThat(admitted).isEqualTo(10);
        assertThat(refused).isEqualTo(22);
        assertThat(backend.getRequestCount()).isEqualTo(10);
      } finally {
        callers.shutdownNow();
      }
    }
  }

  private static RedisConnection connection(RedisServer redis) {
    // Generous: the JVM's first connection is slow on a busy machine, and a store failure would
    // let the gateway admit the call (it fails open), which this test would read as over-admission.
    return RedisConnection.builder().uri(redis.uri()).commandTimeout(Duration.ofSeconds(5)).build();
  }
}
