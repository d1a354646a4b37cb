package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.BreakerState;
import dev.aigateway.api.Credentials;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.Operation;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.RoleResolver;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.access.AccessPolicy;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.inventory.GatewayInventory;
import dev.aigateway.core.inventory.InventoryOptions;
import dev.aigateway.core.inventory.InventorySection;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.CircuitBreakerPolicy;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.core.safety.SafetyAction;
import dev.aigateway.core.telemetry.Price;
import dev.aigateway.core.telemetry.PriceTable;
import dev.aigateway.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's inventory read after real calls through OkHttp to MockWebServer backends: pools and
 * backend health (a tripped breaker, a cool-down after a 429), models and prices, limits and each
 * consumer's exact usage, and no secret anywhere in the document.
 */
class InventoryTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String KEY_A = "sk-flaky-SECRET-key";
  private static final String TOKEN_B = "bearer-limited-SECRET-token";
  private static final String QUERY_KEY = "query-SECRET-api-key";
  private static final String USER_PASSWORD = "userinfo-SECRET-password";
  private static final String APP_KEY = "sk-app-SECRET-own";
  private static final Instant START = Instant.parse("2026-06-01T10:00:00Z");

  private final List<MockWebServer> servers = new ArrayList<>();
  private final ManualClock clock = new ManualClock(START);
  private final MockWebServer appTarget = new MockWebServer();

  @BeforeEach
  void setUp() throws Exception {
    appTarget.start();
  }

  @AfterEach
  void tearDown() {
    servers.forEach(MockWebServer::close);
    appTarget.close();
  }

  private MockWebServer server(MockResponse always) throws Exception {
    MockWebServer server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return always;
          }
        });
    server.start();
    servers.add(server);
    return server;
  }

  private static MockResponse ok() {
    return Backend.jsonBuilder(chatCompletion("gpt-4o-2024-11-20", 7, 3)) // 10 tokens a call
        .build();
  }

  /** The base URL of a server with user information and a query-string credential. */
  private static String withSecrets(MockWebServer server) {
    return "http://inventory:"
        + USER_PASSWORD
        + "@"
        + server.getHostName()
        + ":"
        + server.getPort()
        + "/?api-key="
        + QUERY_KEY;
  }

  /**
   * Three backends in two tiers: "flaky" (500, its breaker trips on the second failure) and
   * "limited" (429 with Retry-After: 30) in tier 1, "steady" in tier 2.
   */
  private AiGateway.Builder gateway() throws Exception {
    MockWebServer flaky =
        server(new MockResponse.Builder().code(500).addHeader("Retry-After", "20").build());
    MockWebServer limited =
        server(
            new MockResponse.Builder()
                .code(429)
                .addHeader("Retry-After", "30")
                .addHeader("Content-Type", "application/json")
                .body("{\"error\":{\"message\":\"slow down\"}}")
                .build());
    MockWebServer steady = server(ok());
    return AiGateway.builder()
        .clock(clock)
        .consumerKey(KeyResolvers.header("x-consumer-id"))
        .backendPool(
            BackendPool.builder()
                .name("chat")
                .backend(
                    dev.aigateway.core.routing.Backend.openAiCompatible("flaky", withSecrets(flaky))
                        .model("gpt-4o", "gpt-4o-2024-11-20")
                        .credential(Credentials.apiKey(KEY_A))
                        .priority(1))
                .backend(
                    dev.aigateway.core.routing.Backend.openAi(
                            "limited", limited.url("/").toString())
                        .model("gpt-4o", "gpt-4o-2024-11-20")
                        .credential(Credentials.bearerToken(TOKEN_B))
                        .priority(1)
                        .weight(2)
                        .maxInFlight(8))
                .backend(
                    dev.aigateway.core.routing.Backend.openAiCompatible(
                            "steady", steady.url("/").toString())
                        .priority(2))
                .circuitBreaker(
                    CircuitBreakerPolicy.builder()
                        .failureCount(2, Duration.ofSeconds(10))
                        .tripDuration(Duration.ofSeconds(60))))
        .tokenLimit(
            TokenLimit.perConsumer()
                .tokensPerMinute(10_000)
                .quota(100_000, QuotaPeriod.DAILY)
                .quotaZone(ZoneId.of("Europe/Paris"))
                .requestsPerMinute(100)
                .maxInFlight(4))
        .tokenLimit(TokenLimit.global().quota(1_000_000, QuotaPeriod.MONTHLY))
        .priceTable(
            PriceTable.builder()
                .model("gpt-4o", Price.perMillion("2.50", "1.25", "10.00"))
                .model("o3-mini", Price.perMillion("1.10", "0.55", "4.40")));
  }

  private void call(OkHttpClient client, String consumer) throws Exception {
    try (Response response =
        client
            .newCall(
                post(
                    appTarget.url("/v1/chat/completions").toString(),
                    chatRequest("gpt-4o", "Hi", "\"max_tokens\":50"),
                    "x-consumer-id",
                    consumer,
                    "Authorization",
                    "Bearer " + APP_KEY))
            .execute()) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }
  }

  private static JsonNode counter(JsonNode consumer, String limit, String counterId) {
    for (JsonNode l : consumer.get("limits")) {
      if (l.get("limit").asText().equals(limit)) {
        for (JsonNode c : l.get("counters")) {
          if (c.get("id").asText().equals(counterId)) {
            return c;
          }
        }
      }
    }
    throw new AssertionError("no counter " + counterId + " of limit " + limit + " in " + consumer);
  }

  private static JsonNode byField(JsonNode array, String field, String value) {
    for (JsonNode node : array) {
      if (node.get(field).asText().equals(value)) {
        return node;
      }
    }
    throw new AssertionError("no " + field + "=" + value + " in " + array);
  }

  @Test
  void listsBackendsWithTheirHealthAfterATripAndA429() throws Exception {
    AiGateway gateway = gateway().build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);

    // flaky fails, limited answers 429 (cools down 30 s), steady answers: three attempts.
    call(client, "team-a");
    // flaky fails again: its breaker trips for Retry-After's 20 s; steady answers.
    call(client, "team-a");

    JsonNode doc = MAPPER.readTree(gateway.inventory().toJson());
    assertThat(doc.get("generatedAt").asText()).isEqualTo("2026-06-01T10:00:00Z");
    JsonNode pool = doc.get("pools").get(0);
    assertThat(pool.get("name").asText()).isEqualTo("chat");
    assertThat(pool.get("loadBalancing").asText()).isEqualTo("ROUND_ROBIN");
    JsonNode flaky = byField(pool.get("backends"), "id", "flaky");
    assertThat(flaky.get("health").get("breaker").asText()).isEqualTo("OPEN");
    assertThat(flaky.get("health").get("available").asBoolean()).isFalse();
    assertThat(flaky.get("health").get("breakerOpenUntil").asText())
        .isEqualTo("2026-06-01T10:00:20Z");
    assertThat(flaky.get("credential").asText()).isEqualTo("gateway");
    assertThat(flaky.get("models").get("gpt-4o").asText()).isEqualTo("gpt-4o-2024-11-20");
    assertThat(flaky.get("servesAnyModel").asBoolean()).isFalse();
    JsonNode limited = byField(pool.get("backends"), "id", "limited");
    assertThat(limited.get("health").get("breaker").asText()).isEqualTo("CLOSED");
    assertThat(limited.get("health").get("coolingDownUntil").asText())
        .isEqualTo("2026-06-01T10:00:30Z");
    assertThat(limited.get("health").get("available").asBoolean()).isFalse();
    assertThat(limited.get("health").get("inFlight").asInt()).isZero();
    assertThat(limited.get("provider").asText()).isEqualTo("openai");
    assertThat(limited.get("weight").asInt()).isEqualTo(2);
    assertThat(limited.get("maxInFlight").asInt()).isEqualTo(8);
    JsonNode steady = byField(pool.get("backends"), "id", "steady");
    assertThat(steady.get("priority").asInt()).isEqualTo(2);
    assertThat(steady.get("health").get("available").asBoolean()).isTrue();
    assertThat(steady.get("health").get("breaker").asText()).isEqualTo("CLOSED");
    assertThat(steady.get("health").get("coolingDownUntil").isNull()).isTrue();
    assertThat(steady.get("servesAnyModel").asBoolean()).isTrue();
    assertThat(steady.get("credential").asText()).isEqualTo("application");

    clock.advance(Duration.ofSeconds(31)); // both waits are over
    GatewayInventory later = gateway.inventory();
    GatewayInventory.BackendEntry cooled =
        later.pools().get(0).backends().stream()
            .filter(b -> b.id().equals("limited"))
            .findFirst()
            .orElseThrow();
    assertThat(cooled.health().coolingDownUntil()).isNull();
    assertThat(cooled.health().available()).isTrue();
    assertThat(later.pools().get(0).backends().get(0).health().breaker())
        .as("an open breaker stays OPEN until a call half-opens it")
        .isEqualTo(BreakerState.OPEN);
  }

  @Test
  void listsModelsWithTheirBackendsAndPrices() throws Exception {
    AiGateway gateway = gateway().build();

    JsonNode models = MAPPER.readTree(gateway.inventory().toJson()).get("models");

    JsonNode gpt4o = byField(models, "name", "gpt-4o");
    assertThat(gpt4o.get("routes").toString())
        .isEqualTo(
            "[{\"pool\":\"chat\",\"backend\":\"flaky\",\"target\":\"gpt-4o-2024-11-20\"},"
                + "{\"pool\":\"chat\",\"backend\":\"limited\",\"target\":\"gpt-4o-2024-11-20\"},"
                + "{\"pool\":\"chat\",\"backend\":\"steady\",\"target\":\"gpt-4o\"}]");
    assertThat(gpt4o.get("price").get("input").decimalValue()).isEqualByComparingTo("2.50");
    assertThat(gpt4o.get("price").get("output").decimalValue()).isEqualByComparingTo("10.00");
    JsonNode priced = byField(models, "name", "o3-mini");
    assertThat(priced.get("routes").toString())
        .as("only the backend serving every model serves it")
        .isEqualTo("[{\"pool\":\"chat\",\"backend\":\"steady\",\"target\":\"o3-mini\"}]");
    assertThat(priced.get("price").get("cachedInput").decimalValue()).isEqualByComparingTo("0.55");
  }

  @Test
  void listsEachConsumerWithItsLimitsAndExactUsage() throws Exception {
    AiGateway gateway = gateway().build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    call(client, "team-a");
    clock.advance(Duration.ofMillis(1));
    call(client, "team-a");
    clock.advance(Duration.ofMillis(1));
    call(client, "team-b");

    JsonNode doc = MAPPER.readTree(gateway.inventory().toJson());

    JsonNode consumers = doc.get("consumers");
    assertThat(consumers.get("tracked").asLong()).isEqualTo(2);
    assertThat(consumers.get("listed").asInt()).isEqualTo(2);
    assertThat(consumers.get("usage").asText()).isEqualTo("INCLUDED");
    JsonNode entries = consumers.get("entries");
    assertThat(entries.get(0).get("id").asText()).as("most recent first").isEqualTo("team-b");
    assertThat(entries.get(0).get("lastSeen").asText()).isEqualTo("2026-06-01T10:00:00.002Z");
    JsonNode teamA = entries.get(1);
    assertThat(teamA.get("id").asText()).isEqualTo("team-a");
    JsonNode consumerLimit = teamA.get("limits").get(0);
    assertThat(consumerLimit.get("limit").asText()).isEqualTo("consumer");
    assertThat(consumerLimit.get("counterKey").asText()).isEqualTo("team-a");

    // The clock stands (but for 2 ms, a fraction of a token at 10,000 a minute): no refill.
    JsonNode rate = counter(teamA, "consumer", "consumer/rate");
    assertThat(rate.get("kind").asText()).isEqualTo("RATE");
    assertThat(rate.get("capacity").asLong()).isEqualTo(10_000);
    assertThat(rate.get("period").asText()).isEqualTo("PT1M");
    assertThat(rate.get("used").asLong()).isEqualTo(20);
    assertThat(rate.get("remaining").asLong()).isEqualTo(9_980);
    JsonNode quota = counter(teamA, "consumer", "consumer/quota/daily");
    assertThat(quota.get("used").asLong()).isEqualTo(20);
    assertThat(quota.get("remaining").asLong()).isEqualTo(99_980);
    assertThat(quota.get("zone").asText()).isEqualTo("Europe/Paris");
    // The day in Paris (UTC+2 in June) ends at 22:00 UTC.
    assertThat(quota.get("resetsAt").asText()).isEqualTo("2026-06-01T22:00:00Z");
    JsonNode requests = counter(teamA, "consumer", "consumer/request-rate");
    assertThat(requests.get("unit").asText()).isEqualTo("REQUESTS");
    assertThat(requests.get("used").asLong()).isEqualTo(2);
    assertThat(requests.get("remaining").asLong()).isEqualTo(98);
    JsonNode inFlight = counter(teamA, "consumer", "consumer/in-flight");
    assertThat(inFlight.get("used").asLong()).isZero();
    assertThat(inFlight.get("remaining").asLong()).isEqualTo(4);
    assertThat(inFlight.get("resetsAt").isNull()).isTrue();
    JsonNode teamB = entries.get(0);
    assertThat(counter(teamB, "consumer", "consumer/rate").get("used").asLong()).isEqualTo(10);
    assertThat(counter(teamB, "consumer", "consumer/quota/daily").get("remaining").asLong())
        .isEqualTo(99_990);
    // The global limit's one counter is shared: it holds every consumer's calls.
    JsonNode global = counter(teamB, "global", "global/quota/monthly");
    assertThat(global.get("used").asLong()).isEqualTo(30);
    assertThat(global.get("remaining").asLong()).isEqualTo(999_970);
    assertThat(teamB.get("limits").get(1).get("counterKey").asText()).isEqualTo("*");

    JsonNode limits = doc.get("limits");
    assertThat(limits.get(0).get("name").asText()).isEqualTo("consumer");
    assertThat(limits.get(0).get("perConsumer").asBoolean()).isTrue();
    assertThat(limits.get(0).get("counters")).hasSize(4);
    assertThat(limits.get(1).get("perConsumer").asBoolean()).isFalse();
  }

  @Test
  void readingUsageChargesNothing() throws Exception {
    AiGateway gateway = gateway().build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    call(client, "team-a");

    for (int i = 0; i < 5; i++) {
      gateway.inventory();
    }
    call(client, "team-a");

    GatewayInventory inventory = gateway.inventory();
    GatewayInventory.ConsumerLimit limit = inventory.consumers().entries().get(0).limits().get(0);
    assertThat(limit.counters())
        .extracting(c -> c.reading().used())
        .containsExactly(20L, 20L, 2L, 0L);
  }

  @Test
  void usageCanBeLeftOutAndConsumersBounded() throws Exception {
    AiGateway gateway = gateway().build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    for (String consumer : List.of("a", "b", "c")) {
      call(client, consumer);
      clock.advance(Duration.ofSeconds(1));
    }

    GatewayInventory without =
        gateway.inventory(InventoryOptions.builder().includeUsage(false).maxConsumers(2));

    assertThat(without.consumers().tracked()).isEqualTo(3);
    assertThat(without.consumers().usage()).isEqualTo(GatewayInventory.UsageStatus.EXCLUDED);
    assertThat(without.consumers().entries())
        .extracting(GatewayInventory.ConsumerEntry::id)
        .containsExactly("c", "b");
    assertThat(without.consumers().entries().get(0).limits().get(0).counters())
        .allSatisfy(counter -> assertThat(counter.reading()).isNull());
    JsonNode doc = MAPPER.readTree(without.toJson());
    assertThat(doc.get("consumers").get("listed").asInt()).isEqualTo(2);
    assertThat(
            counter(doc.get("consumers").get("entries").get(0), "consumer", "consumer/rate")
                .get("used")
                .isNull())
        .isTrue();
    assertThatThrownBy(() -> InventoryOptions.builder().maxConsumers(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
  }

  @Test
  void noSecretAppearsInTheDocument() throws Exception {
    AiGateway gateway = gateway().build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    call(client, "team-a");

    String json = gateway.inventory().toPrettyJson();

    assertThat(json)
        .doesNotContain(KEY_A)
        .doesNotContain(TOKEN_B)
        .doesNotContain(QUERY_KEY)
        .doesNotContain(USER_PASSWORD)
        .doesNotContain(APP_KEY)
        .doesNotContain("SECRET")
        .doesNotContain("inventory:"); // the user name before the password
    JsonNode flaky = MAPPER.readTree(json).get("pools").get(0).get("backends").get(0);
    assertThat(flaky.get("url").asText()).matches("http://[^@/]+:\\d+/\\?api-key=\\*\\*\\*");
  }

  @Test
  void listsAccessRulesCachesAndContentChecksAsConfiguredWithoutTheirWords() throws Exception {
    AiGateway gateway =
        gateway()
            .roleResolver(RoleResolver.header("x-roles"))
            .accessPolicy(
                AccessPolicy.denyByDefault()
                    .role(
                        "analyst",
                        rule ->
                            rule.models("gpt-4o*")
                                .operations(Operation.CHAT_COMPLETIONS)
                                .backends("steady")
                                .maxOutputTokens(500)))
            .responseCache(ResponseCache.builder())
            .contentSafety(
                ContentSafety.builder()
                    .maxPromptTokens(4_000)
                    .denyWords("codename-zebra")
                    .pii(SafetyAction.REDACT))
            .build();

    JsonNode doc = MAPPER.readTree(gateway.inventory().toJson());

    JsonNode access = doc.get("access");
    assertThat(access.get("default").asText()).isEqualTo("deny");
    JsonNode rule = access.get("rules").get(0);
    assertThat(rule.get("subject").asText()).isEqualTo("ROLE");
    assertThat(rule.get("subjectId").asText()).isEqualTo("analyst");
    assertThat(rule.get("models").toString()).isEqualTo("[\"gpt-4o*\"]");
    assertThat(rule.get("operations").toString()).isEqualTo("[\"CHAT_COMPLETIONS\"]");
    assertThat(rule.get("backends").toString()).isEqualTo("[\"steady\"]");
    assertThat(rule.get("maxOutputTokens").asLong()).isEqualTo(500);
    JsonNode caches = doc.get("caches");
    assertThat(caches.get("exact").asBoolean()).isTrue();
    assertThat(caches.get("store").asText()).isEqualTo("InMemoryResponseCacheStore");
    assertThat(caches.get("entries").asLong()).isZero();
    assertThat(caches.get("semantic").isNull()).isTrue();
    JsonNode safety = doc.get("contentSafety");
    assertThat(safety.get("maxPromptTokens").asLong()).isEqualTo(4_000);
    assertThat(safety.get("checks").findValuesAsText("name")).contains("deny-words");
    assertThat(doc.toString()).doesNotContain("codename-zebra");
    assertThat(doc.get("anomalies").isNull()).isTrue();
  }

  @Test
  void reservedSectionsAreEmptyUntilContributedAndContributedOnesAreWritten() throws Exception {
    record Tool(String name, long callsPerMinute, @Nullable Instant lastCalled) {}
    record Server(String name, List<Tool> tools) {}
    InventorySection mcp =
        new InventorySection() {
          @Override
          public String key() {
            return GatewayInventory.MCP_SERVERS;
          }

          @Override
          public Object read(InventoryOptions options) {
            return List.of(
                new Server(
                    "search", List.of(new Tool("lookup", 60, START), new Tool("fetch", 30, null))));
          }
        };
    InventorySection broken =
        new InventorySection() {
          @Override
          public String key() {
            return "broken";
          }

          @Override
          public Object read(InventoryOptions options) {
            return List.of(new Object());
          }
        };

    JsonNode bare = MAPPER.readTree(gateway().build().inventory().toJson());
    assertThat(bare.get("mcpServers").toString()).isEqualTo("[]");
    assertThat(bare.get("agents").toString()).isEqualTo("[]");

    AiGateway gateway = gateway().inventorySection(mcp).inventorySection(broken).build();
    JsonNode doc = MAPPER.readTree(gateway.inventory().toJson());
    assertThat(doc.get("mcpServers").toString())
        .isEqualTo(
            "[{\"name\":\"search\",\"tools\":[{\"name\":\"lookup\",\"callsPerMinute\":60,"
                + "\"lastCalled\":\"2026-06-01T10:00:00Z\"},"
                + "{\"name\":\"fetch\",\"callsPerMinute\":30,\"lastCalled\":null}]}]");
    assertThat(doc.get("agents").toString()).isEqualTo("[]");
    assertThat(doc.get("broken").get("error").asText())
        .isEqualTo("java.lang.IllegalArgumentException");

    assertThatThrownBy(() -> AiGateway.builder().inventorySection(section("pools")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'pools' is a built-in one");
    assertThatThrownBy(
            () -> AiGateway.builder().inventorySection(mcp).inventorySection(section("mcpServers")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("already added");
  }

  private static InventorySection section(String key) {
    return new InventorySection() {
      @Override
      public String key() {
        return key;
      }

      @Override
      public Object read(InventoryOptions options) {
        return List.of();
      }
    };
  }
}
