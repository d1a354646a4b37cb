package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.inventory.GatewayInventory;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.RedisServer;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * The inventory of a gateway whose limits live in Redis: each consumer's usage is read from the
 * real {@code redis-server} exactly, and reading creates no key, changes none and extends no
 * expiry.
 */
class RedisInventoryTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String IN_FLIGHT_KEY_A = "aigw:{limits}:f:18:consumer/in-flight:team-a";
  private static final String RATE_KEY_A =
      "aigw:{limits}:r3:t:1000000:31536000000000000:13:consumer/rate:team-a";

  private final Queue<LimitOutcome> outcomes = new ConcurrentLinkedQueue<>();

  @Test
  void usageIsReadFromRedisWithoutCreatingOrTouchingKeys() throws Exception {
    try (RedisServer redis = RedisServer.start();
        MockWebServer backend = new MockWebServer();
        RedisConnection connection =
            RedisConnection.builder()
                .uri(redis.uri())
                .commandTimeout(Duration.ofSeconds(5))
                .build();
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      backend.setDispatcher(
          new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
              return new MockResponse.Builder()
                  .code(200)
                  .addHeader("Content-Type", "application/json")
                  .body(
                      "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,"
                          + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":"
                          + "{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":"
                          + "\"stop\"}],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,"
                          + "\"total_tokens\":10}}")
                  .build();
            }
          });
      backend.start();
      // Connects before the calls: a first connection slower than the store timeout would let the
      // gateway admit a call uncounted (it fails open).
      LimitSpec warmUp = LimitSpec.inFlight("warm-up", 1);
      store.settle(
          store.reserve(List.of(new LimitCharge(warmUp, "-", 1))).reservation(), new long[1]);
      AiGateway gateway =
          AiGateway.builder()
              .consumerKey(KeyResolvers.header("x-consumer-id"))
              .storeTimeout(Duration.ofSeconds(10))
              .listener(event -> outcomes.add(event.limits().outcome()))
              .tokenLimitStore(store)
              .tokenLimit(
                  TokenLimit.perConsumer()
                      // a year's refill: no whole token comes back while the test runs
                      .tokensPer(1_000_000, Duration.ofDays(365))
                      .quota(100_000, QuotaPeriod.DAILY)
                      .quotaZone(ZoneOffset.UTC)
                      .maxInFlight(4))
              .build();
      OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
      for (String consumer : new String[] {"team-a", "team-a", "team-b"}) {
        Request call =
            new Request.Builder()
                .url(backend.url("/v1/chat/completions"))
                .header("x-consumer-id", consumer)
                .post(
                    RequestBody.create(
                        "{\"model\":\"gpt-4o\",\"max_tokens\":20,"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}",
                        MediaType.get("application/json")))
                .build();
        try (Response response = client.newCall(call).execute()) {
          assertThat(response.code()).isEqualTo(200);
          response.body().string();
        }
      }
      assertThat(outcomes).containsOnly(LimitOutcome.SETTLED).hasSize(3);
      // Settlements are queued and applied by the next script run: wait for the last one, which
      // removes its in-flight entry and its id from the pending set, before counting keys.
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      String keysBefore = redis.command("DBSIZE");
      assertThat(redis.command("EXISTS", IN_FLIGHT_KEY_A))
          .as("a settled in-flight counter holds no key")
          .isEqualTo(":0");
      assertThat(redis.command("EXISTS", RATE_KEY_A)).isEqualTo(":1");
      long ttlBefore = Long.parseLong(redis.command("PTTL", RATE_KEY_A).substring(1));

      GatewayInventory inventory = gateway.inventory();
      for (int i = 0; i < 10; i++) {
        gateway.inventory();
      }

      assertThat(redis.command("DBSIZE")).isEqualTo(keysBefore);
      assertThat(redis.command("EXISTS", IN_FLIGHT_KEY_A)).isEqualTo(":0");
      long ttlAfter = Long.parseLong(redis.command("PTTL", RATE_KEY_A).substring(1));
      assertThat(ttlAfter).as("expiry not extended").isLessThanOrEqualTo(ttlBefore);
      assertThat(inventory.tokenStore()).isEqualTo("RedisTokenLimitStore");
      assertThat(inventory.consumers().usage()).isEqualTo(GatewayInventory.UsageStatus.INCLUDED);
      JsonNode entries = MAPPER.readTree(inventory.toJson()).get("consumers").get("entries");
      JsonNode teamA = entries.get(1);
      assertThat(teamA.get("id").asText()).isEqualTo("team-a");
      JsonNode counters = teamA.get("limits").get(0).get("counters");
      assertThat(counters.get(0).get("used").asLong()).isEqualTo(20);
      assertThat(counters.get(0).get("remaining").asLong()).isEqualTo(999_980);
      assertThat(counters.get(1).get("used").asLong()).isEqualTo(20);
      assertThat(counters.get(1).get("remaining").asLong()).isEqualTo(99_980);
      assertThat(counters.get(1).get("resetsAt").asText()).endsWith("T00:00:00Z");
      assertThat(counters.get(2).get("used").asLong()).isZero();
      assertThat(counters.get(2).get("remaining").asLong()).isEqualTo(4);
      JsonNode teamB = entries.get(0).get("limits").get(0).get("counters");
      assertThat(teamB.get(0).get("used").asLong()).isEqualTo(10);
      assertThat(teamB.get(1).get("used").asLong()).isEqualTo(10);
    }
  }
}
