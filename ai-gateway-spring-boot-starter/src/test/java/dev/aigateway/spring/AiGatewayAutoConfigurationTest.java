package dev.aigateway.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.ResponseCacheStore;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.InMemoryResponseCacheStore;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.limit.UnusedLimitSettingException;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.LoadBalancing;
import dev.aigateway.core.telemetry.PromptLog;
import dev.aigateway.micrometer.Dimension;
import dev.aigateway.micrometer.GenAiMetrics;
import dev.aigateway.okhttp.OkHttpAiGateway;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.ai.openai.http.okhttp.OpenAiHttpClientBuilderCustomizer;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The auto-configuration started from properties alone, on a real Spring context. */
class AiGatewayAutoConfigurationTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(AiGatewayAutoConfiguration.class));

  private MockWebServer backend;

  @BeforeEach
  void startBackend() throws Exception {
    backend = new MockWebServer();
    backend.start();
  }

  @AfterEach
  void stopBackend() throws Exception {
    backend.shutdown();
  }

  // ------------------------------------------------------------------ built from properties

  @Test
  void withoutPropertiesTheGatewayGovernsNothing() {
    runner.run(
        context -> {
          assertThat(context).hasSingleBean(AiGateway.class);
          AiGateway gateway = context.getBean(AiGateway.class);
          assertThat(gateway.governsNothing()).isTrue();
          assertThat(gateway.throwOnRejection()).isFalse();
          assertThat(context).doesNotHaveBean(PromptLog.class);
        });
  }

  @Test
  void aMisspelledKeyIsNamedInAWarningAtStartupButNotAnEnvironmentVariableOrSystemProperty() {
    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(AiGatewayAutoConfiguration.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> records =
        new ch.qos.logback.core.read.ListAppender<>();
    records.start();
    logger.addAppender(records);
    try {
      runner
          .withPropertyValues(
              "ai-gateway.limits[0].tokens-per-minute=20000",
              "ai-gateway.limits[0].remaining-token-header=x-remaining-9f41",
              "ai-gateway.throw-on-rejections=true")
          .withSystemProperties("ai-gateway.mcp.tomcat-mbeans=true")
          .withInitializer(
              context ->
                  context
                      .getEnvironment()
                      .getPropertySources()
                      .replace(
                          org.springframework.core.env.StandardEnvironment
                              .SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                          new org.springframework.core.env.SystemEnvironmentPropertySource(
                              org.springframework.core.env.StandardEnvironment
                                  .SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                              java.util.Map.of("AI_GATEWAY_TEAM_TOKEN", "app-own-value"))))
          .run(context -> assertThat(context).hasNotFailed());
      assertThat(records.list)
          .filteredOn(record -> record.getLevel() == ch.qos.logback.classic.Level.WARN)
          .extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
          .singleElement()
          .satisfies(
              warning ->
                  assertThat(warning)
                      .contains("ai-gateway.limits[0].remaining-token-header")
                      .contains("ai-gateway.throw-on-rejections")
                      .doesNotContain("tokens-per-minute")
                      .doesNotContain("x-remaining-9f41")
                      .doesNotContain("tomcat-mbeans")
                      .doesNotContain("team-token"));
    } finally {
      logger.detachAppender(records);
    }
  }

  @Test
  void everyDocumentedKindOfKeyIsKnown() {
    java.util.Map<String, String> properties = new java.util.LinkedHashMap<>();
    for (String property :
        List.of(
            "ai-gateway.enabled=true",
            "ai-gateway.wrap-okhttp-beans=true",
            "ai-gateway.govern-spring-ai=true",
            "ai-gateway.metrics.enabled=true",
            "ai-gateway.throw-on-rejection=true",
            "ai-gateway.consumer-key.header=x-consumer-id",
            "ai-gateway.limits[0].scope=consumer",
            "ai-gateway.limits[0].tokens-per-minute=20000",
            "ai-gateway.limits[0].remaining-tokens-header=x-remaining-tokens",
            "ai-gateway.limits[1].name=team-a-burst",
            "ai-gateway.limits[1].tokens-per=500",
            "ai-gateway.limits[1].period=10s",
            "ai-gateway.limits[1].only-for=team-a",
            "ai-gateway.limits[2].quota=5000000",
            "ai-gateway.limits[2].quota-period=monthly",
            "ai-gateway.limits[2].quota-zone=Europe/Paris",
            "ai-gateway.pool.name=chat",
            "ai-gateway.pool.load-balancing=weighted",
            "ai-gateway.pool.failover.max-attempts=2",
            "ai-gateway.pool.backends[0].id=east",
            "ai-gateway.pool.backends[0].url=https://east.example.com",
            "ai-gateway.pool.backends[0].flavor=azure",
            "ai-gateway.pool.backends[0].api-version=2024-10-21",
            "ai-gateway.pool.backends[0].api-key=azure-key",
            "ai-gateway.pool.backends[0].models.gpt-4o=gpt4o-deployment",
            "ai-gateway.pool.backends[0].models.[gpt-4.1]=gpt41-deployment",
            "ai-gateway.pool.backends[0].weight=3",
            "ai-gateway.pool.backends[1].id=internal",
            "ai-gateway.pool.backends[1].url=https://llm.internal.example.com",
            "ai-gateway.pool.backends[1].oauth.token-url=https://login.example.com/token",
            "ai-gateway.pool.backends[1].oauth.client-id=ai-gateway",
            "ai-gateway.pool.backends[1].oauth.client-secret=secret",
            "ai-gateway.pool.backends[1].oauth.scopes[0]=llm",
            "ai-gateway.cache.enabled=true",
            "ai-gateway.cache.ttl=5m",
            "ai-gateway.cache.vary-by-header=x-tenant",
            "ai-gateway.cache.maximum-entry-bytes=2048",
            "ai-gateway.prompt-log.enabled=true",
            "ai-gateway.prompt-log.sample-rate=0.5")) {
      int equals = property.indexOf('=');
      properties.put(property.substring(0, equals), property.substring(equals + 1));
    }
    assertThat(UnknownPropertiesWarning.unknownKeys(binder(properties))).isEmpty();
    properties.put("ai-gateway.pool.backends[1].api-keys", "secret");
    properties.put("ai-gateway.pool.failover.max-attemps", "3");
    assertThat(UnknownPropertiesWarning.unknownKeys(binder(properties)))
        .containsExactly(
            "ai-gateway.pool.backends[1].api-keys (property source source)",
            "ai-gateway.pool.failover.max-attemps (property source source)");
  }

  private static org.springframework.boot.context.properties.bind.Binder binder(
      java.util.Map<String, String> properties) {
    return new org.springframework.boot.context.properties.bind.Binder(
        new org.springframework.boot.context.properties.source.MapConfigurationPropertySource(
            properties));
  }

  @Test
  void limitsAreBuiltAsConfigured() {
    runner
        .withPropertyValues(
            "ai-gateway.consumer-key.header=x-consumer-id",
            "ai-gateway.limits[0].scope=consumer",
            "ai-gateway.limits[0].tokens-per-minute=20000",
            "ai-gateway.limits[0].remaining-tokens-header=x-remaining-tokens",
            "ai-gateway.limits[1].name=team-a-burst",
            "ai-gateway.limits[1].tokens-per=500",
            "ai-gateway.limits[1].period=10s",
            "ai-gateway.limits[1].only-for=team-a",
            "ai-gateway.limits[2].scope=global",
            "ai-gateway.limits[2].quota=5000000",
            "ai-gateway.limits[2].quota-period=monthly",
            "ai-gateway.limits[2].quota-zone=Europe/Paris",
            "ai-gateway.throw-on-rejection=true")
        .run(
            context -> {
              AiGateway gateway = context.getBean(AiGateway.class);
              assertThat(gateway.throwOnRejection()).isTrue();
              List<TokenLimit> limits = gateway.limits();
              assertThat(limits).extracting(TokenLimit::name).hasSize(3);
              LimitSpec perMinute = limits.get(0).specs().get(0);
              assertThat(perMinute.kind()).isEqualTo(LimitSpec.Kind.RATE);
              assertThat(perMinute.capacity()).isEqualTo(20_000);
              assertThat(perMinute.refillPeriod()).isEqualTo(Duration.ofMinutes(1));
              TokenLimit burst = limits.get(1);
              assertThat(burst.name()).isEqualTo("team-a-burst");
              assertThat(burst.appliesTo("team-a")).isTrue();
              assertThat(burst.appliesTo("team-b")).isFalse();
              assertThat(burst.specs().get(0).capacity()).isEqualTo(500);
              assertThat(burst.specs().get(0).refillPeriod()).isEqualTo(Duration.ofSeconds(10));
              LimitSpec quota = limits.get(2).specs().get(0);
              assertThat(quota.kind()).isEqualTo(LimitSpec.Kind.QUOTA);
              assertThat(quota.capacity()).isEqualTo(5_000_000);
              assertThat(quota.quotaPeriod()).isEqualTo(QuotaPeriod.MONTHLY);
              assertThat(quota.zone()).isEqualTo(ZoneId.of("Europe/Paris"));
            });
  }

  @Test
  void requestLimitsAndInFlightCapsAreBuiltAsConfigured() {
    runner
        .withPropertyValues(
            "ai-gateway.limits[0].requests-per-second=10",
            "ai-gateway.limits[0].max-in-flight=4",
            "ai-gateway.limits[0].remaining-requests-header=x-remaining-requests",
            "ai-gateway.limits[1].scope=global",
            "ai-gateway.limits[1].requests-per-minute=600",
            "ai-gateway.limits[1].request-quota=100000",
            "ai-gateway.limits[1].request-quota-period=daily",
            "ai-gateway.pool.backends[0].id=local",
            "ai-gateway.pool.backends[0].url=http://localhost:11434",
            "ai-gateway.pool.backends[0].max-in-flight=8")
        .run(
            context -> {
              AiGateway gateway = context.getBean(AiGateway.class);
              List<TokenLimit> limits = gateway.limits();
              assertThat(limits.get(0).specs())
                  .containsExactly(
                      LimitSpec.rate(
                          "consumer/request-rate",
                          LimitSpec.Unit.REQUESTS,
                          10,
                          Duration.ofSeconds(1)),
                      LimitSpec.inFlight("consumer/in-flight", 4));
              assertThat(limits.get(1).specs())
                  .containsExactly(
                      LimitSpec.rate(
                          "global/request-rate",
                          LimitSpec.Unit.REQUESTS,
                          600,
                          Duration.ofMinutes(1)),
                      LimitSpec.quota(
                          "global/request-quota/daily",
                          LimitSpec.Unit.REQUESTS,
                          100_000,
                          QuotaPeriod.DAILY,
                          java.time.ZoneOffset.UTC));
              assertThat(gateway.backendPool().backends().get(0).maxInFlight()).isEqualTo(8);
            });
  }

  @Test
  void twoRequestRatesInOneLimitFailStartupNamingTheProperty() {
    runner
        .withPropertyValues(
            "ai-gateway.limits[0].requests-per-second=10",
            "ai-gateway.limits[0].requests-per-minute=100")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .isInstanceOf(InvalidGatewayPropertyException.class)
                    .hasMessageContaining("ai-gateway.limits[0].requests-per-second")
                    .hasMessageContaining("not both"));
  }

  @Test
  void aCredentialHeaderAsTheConsumerKeyFailsStartupNamingThePropertyAndTheFingerprint() {
    runner
        .withPropertyValues("ai-gateway.consumer-key.header=Authorization")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .isInstanceOf(InvalidGatewayPropertyException.class)
                    .hasMessageContaining("ai-gateway.consumer-key.header")
                    .hasMessageContaining("KeyResolvers.apiKey()"));
  }

  @Test
  void aLimitOnlyForConsumersWithoutAConsumerKeyFailsStartupNamingTheProperty() {
    runner
        .withPropertyValues(
            "ai-gateway.limits[0].tokens-per-minute=20000",
            "ai-gateway.limits[1].name=gold",
            "ai-gateway.limits[1].tokens-per-minute=50000",
            "ai-gateway.limits[1].only-for=team-a")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.limits[1].only-for")
                    .hasMessageContaining("[team-a]")
                    .hasMessageContaining("ai-gateway.consumer-key")
                    .hasMessageContaining("'anonymous'"));
  }

  @Test
  void aPromptLogOnlyForConsumersWithoutAConsumerKeyFailsStartupNamingTheProperty() {
    runner
        .withPropertyValues(
            "ai-gateway.prompt-log.enabled=true", "ai-gateway.prompt-log.consumers=team-a")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.prompt-log.consumers")
                    .hasMessageContaining("[team-a]")
                    .hasMessageContaining("ai-gateway.consumer-key"));
  }

  @Test
  void anAccessRuleForAConsumerWithoutAConsumerKeyFailsStartupNamingTheProperty() {
    runner
        .withPropertyValues(
            "ai-gateway.access.default-decision=allow",
            "ai-gateway.access.rules[0].consumer=indexer",
            "ai-gateway.access.rules[0].operations=embeddings")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.access.rules[0].consumer")
                    .hasMessageContaining("ai-gateway.consumer-key"));
  }

  @Test
  void aConsumerKeyFromACustomizerServesTheLimitsOnlyForConsumers() {
    runner
        .withPropertyValues(
            "ai-gateway.limits[0].tokens-per-minute=50000", "ai-gateway.limits[0].only-for=team-a")
        .withBean(
            AiGatewayBuilderCustomizer.class,
            () -> builder -> builder.consumerKey(request -> "team-a"))
        .run(
            context ->
                assertThat(context.getBean(AiGateway.class).limits().get(0).onlyFor())
                    .containsExactly("team-a"));
  }

  @Test
  void aZeroInFlightCapFailsStartupNamingTheProperty() {
    runner
        .withPropertyValues("ai-gateway.limits[0].max-in-flight=0")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .isInstanceOf(InvalidGatewayPropertyException.class)
                    .hasMessageContaining("ai-gateway.limits[0].max-in-flight")
                    .hasMessageContaining("but was 0"));
  }

  @Test
  void aNegativeBackendTokenRateFailsStartupNamingThatProperty() {
    runner
        .withPropertyValues(
            "ai-gateway.pool.load-balancing=capacity-aware",
            "ai-gateway.pool.backends[0].id=east",
            "ai-gateway.pool.backends[0].url=https://east.example.com",
            "ai-gateway.pool.backends[0].tokens-per-minute=-1")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.pool.backends[0].tokens-per-minute:")
                    .hasMessageContaining("must be >= 0"));
  }

  @Test
  void aBackendRequestRateFailsStartupNamingWhatToUseInstead() throws Exception {
    // No balancing reads a backend's requests per minute and nothing counts requests per backend:
    // a value meant as a cap would let every call through without a word.
    backend.enqueue(json(completion(12, 3)));
    backend.enqueue(json(completion(12, 3)));
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=east",
            "ai-gateway.pool.backends[0].url=" + backend.url("/"),
            "ai-gateway.pool.backends[0].requests-per-minute=1")
        .withUserConfiguration(AppBeans.class)
        .run(
            context -> {
              if (context.getStartupFailure() == null) {
                OkHttpClient client = context.getBean(OkHttpClient.class);
                int first;
                int second;
                try (Response response = client.newCall(chat()).execute()) {
                  first = response.code();
                }
                try (Response response = client.newCall(chat()).execute()) {
                  second = response.code();
                }
                throw new AssertionError(
                    "started with requests-per-minute: 1, and two calls in a row were answered "
                        + first
                        + " and "
                        + second);
              }
              assertThat(propertyFailure(context))
                  .hasMessageStartingWith("ai-gateway.pool.backends[0].requests-per-minute:")
                  .hasMessageContaining("max-in-flight")
                  .hasMessageContaining("ai-gateway.limits");
            });
  }

  @Test
  void aBackendTokenRateOutsideCapacityAwareBalancingFailsStartupNamingWhatToUseInstead()
      throws Exception {
    // A backend's tokens per minute is its known capacity, read by capacity-aware balancing
    // only: under any other balancing a call over it would go to the backend all the same.
    backend.enqueue(json(completion(12, 3)));
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=east",
            "ai-gateway.pool.backends[0].url=" + backend.url("/"),
            "ai-gateway.pool.backends[0].tokens-per-minute=10")
        .withUserConfiguration(AppBeans.class)
        .run(
            context -> {
              if (context.getStartupFailure() == null) {
                try (Response response =
                    context.getBean(OkHttpClient.class).newCall(chat()).execute()) {
                  throw new AssertionError(
                      "started with tokens-per-minute: 10 under round-robin balancing, and a call"
                          + " reserving more was answered "
                          + response.code());
                }
              }
              assertThat(propertyFailure(context))
                  .hasMessageStartingWith("ai-gateway.pool.backends[0].tokens-per-minute:")
                  .hasMessageContaining("load-balancing: capacity-aware")
                  .hasMessageContaining("max-in-flight")
                  .hasMessageContaining("ai-gateway.limits");
            });
  }

  @Test
  void aBackendTokenRateSteersCapacityAwareBalancing() throws Exception {
    // Under capacity-aware balancing the configured capacity is read: a call whose reservation
    // (a token limit's: the prompt and its max_tokens of 20) does not fit a backend's tokens per
    // minute goes to the other backend.
    try (MockWebServer large = new MockWebServer()) {
      large.start();
      large.enqueue(json(completion(12, 3)));
      runner
          .withPropertyValues(
              "ai-gateway.limits[0].scope=global",
              "ai-gateway.limits[0].tokens-per-minute=100000",
              "ai-gateway.pool.load-balancing=capacity-aware",
              "ai-gateway.pool.backends[0].id=small",
              "ai-gateway.pool.backends[0].url=" + backend.url("/"),
              "ai-gateway.pool.backends[0].tokens-per-minute=10",
              "ai-gateway.pool.backends[1].id=large",
              "ai-gateway.pool.backends[1].url=" + large.url("/"),
              "ai-gateway.pool.backends[1].tokens-per-minute=100000")
          .withUserConfiguration(AppBeans.class)
          .run(
              context -> {
                assertThat(context).hasNotFailed();
                try (Response response =
                    context.getBean(OkHttpClient.class).newCall(chat()).execute()) {
                  assertThat(response.code()).isEqualTo(200);
                }
                assertThat(large.getRequestCount()).isEqualTo(1);
                assertThat(backend.getRequestCount()).isZero();
              });
    }
  }

  @Test
  void theInventoryBeanListsThePoolWithoutItsKey() {
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=east",
            "ai-gateway.pool.backends[0].url=https://east.example.com",
            "ai-gateway.pool.backends[0].flavor=azure",
            "ai-gateway.pool.backends[0].api-version=2024-10-21",
            "ai-gateway.pool.backends[0].api-key=azure-key-b-SECRET",
            "ai-gateway.pool.backends[0].models.gpt-4o=gpt4o-deployment")
        .run(
            context -> {
              assertThat(context).hasSingleBean(AiGatewayInventory.class);
              AiGatewayInventory inventory = context.getBean(AiGatewayInventory.class);
              String json = inventory.json();
              assertThat(json)
                  .contains("\"id\":\"east\"")
                  .contains("\"url\":\"https://east.example.com\"")
                  .contains("\"gpt-4o\":\"gpt4o-deployment\"")
                  .doesNotContain("SECRET");
              assertThat(inventory.read().pools().get(0).backends().get(0).credential())
                  .isEqualTo("gateway");
            });
  }

  @Test
  void thePoolIsBuiltAsConfiguredAndItsKeysNeverShow() {
    runner
        .withPropertyValues(
            "ai-gateway.pool.name=chat",
            "ai-gateway.pool.load-balancing=weighted",
            "ai-gateway.pool.failover.max-attempts=2",
            "ai-gateway.pool.backends[0].id=east",
            "ai-gateway.pool.backends[0].url=https://east.example.com",
            "ai-gateway.pool.backends[0].flavor=azure",
            "ai-gateway.pool.backends[0].api-version=2024-10-21",
            "ai-gateway.pool.backends[0].api-key=azure-key-b-SECRET",
            "ai-gateway.pool.backends[0].models.gpt-4o=gpt4o-deployment",
            "ai-gateway.pool.backends[0].models.[gpt-4.1]=gpt41-deployment",
            "ai-gateway.pool.backends[0].weight=3",
            "ai-gateway.pool.backends[1].id=openai",
            "ai-gateway.pool.backends[1].url=https://api.openai.com",
            "ai-gateway.pool.backends[1].priority=2")
        .run(
            context -> {
              BackendPool pool = context.getBean(AiGateway.class).backendPool();
              assertThat(pool).isNotNull();
              assertThat(pool.name()).isEqualTo("chat");
              assertThat(pool.loadBalancing().kind()).isEqualTo(LoadBalancing.Kind.WEIGHTED);
              assertThat(pool.failover().maxAttempts()).isEqualTo(2);
              Backend east = pool.backends().get(0);
              assertThat(east.id()).isEqualTo("east");
              assertThat(east.apiVersion()).isEqualTo("2024-10-21");
              assertThat(east.targetModel("gpt-4o")).isEqualTo("gpt4o-deployment");
              assertThat(east.targetModel("gpt-4.1")).isEqualTo("gpt41-deployment");
              assertThat(east.weight()).isEqualTo(3);
              assertThat(east.credential()).isNotNull();
              assertThat(east.credential().credential().secret()).isEqualTo("azure-key-b-SECRET");
              assertThat(pool.toString()).doesNotContain("azure-key-b-SECRET");
              Backend openAi = pool.backends().get(1);
              assertThat(openAi.priority()).isEqualTo(2);
              assertThat(openAi.credential()).isNull();
            });
  }

  @Test
  void theCacheAndThePromptLogAreBuiltAsConfigured() {
    runner
        .withPropertyValues(
            "ai-gateway.cache.enabled=true",
            "ai-gateway.cache.ttl=5m",
            "ai-gateway.cache.vary-by-header=x-tenant",
            "ai-gateway.cache.maximum-entry-bytes=2048",
            "ai-gateway.prompt-log.enabled=true",
            "ai-gateway.prompt-log.sample-rate=0.5")
        .run(
            context -> {
              AiGateway gateway = context.getBean(AiGateway.class);
              assertThat(gateway.responseCache()).isNotNull();
              assertThat(gateway.responseCache().varyBy()).isNotNull();
              assertThat(gateway.responseCache().maximumEntryBytes()).isEqualTo(2048);
              assertThat(gateway.responseCache().store())
                  .isInstanceOf(InMemoryResponseCacheStore.class)
                  .hasToString(
                      InMemoryResponseCacheStore.builder()
                          .timeToLive(Duration.ofMinutes(5))
                          .build()
                          .toString());
              assertThat(context).hasSingleBean(PromptLog.class);
            });
  }

  @Test
  void byteSizesTakeSpringsDataSizeUnitsAndABareNumberIsBytes() {
    runner
        .withPropertyValues(
            "ai-gateway.cache.enabled=true",
            "ai-gateway.cache.maximum-bytes=256MB",
            "ai-gateway.cache.maximum-entry-bytes=2MB",
            "ai-gateway.prompt-log.enabled=true",
            "ai-gateway.prompt-log.max-part-bytes=8KB")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              AiGateway gateway = context.getBean(AiGateway.class);
              assertThat(gateway.responseCache().maximumEntryBytes()).isEqualTo(2 << 20);
              assertThat(gateway.responseCache().store())
                  .hasToString(
                      InMemoryResponseCacheStore.builder()
                          .maximumBytes(256L << 20)
                          .build()
                          .toString());
              assertThat(context.getBean(PromptLog.class).toString()).contains("maxPartBytes=8192");
            });
    runner
        .withPropertyValues(
            "ai-gateway.cache.enabled=true",
            "ai-gateway.cache.maximum-bytes=1048576",
            "ai-gateway.cache.maximum-entry-bytes=4096")
        .run(
            context -> {
              AiGateway gateway = context.getBean(AiGateway.class);
              assertThat(gateway.responseCache().maximumEntryBytes()).isEqualTo(4096);
              assertThat(gateway.responseCache().store())
                  .hasToString(
                      InMemoryResponseCacheStore.builder()
                          .maximumBytes(1L << 20)
                          .build()
                          .toString());
            });
  }

  @Test
  void anEntrySizeOverTwoGigabytesFailsStartupNamingTheProperty() {
    runner
        .withPropertyValues(
            "ai-gateway.cache.enabled=true", "ai-gateway.cache.maximum-entry-bytes=3GB")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .isInstanceOf(InvalidGatewayPropertyException.class)
                    .hasMessageContaining("ai-gateway.cache.maximum-entry-bytes"));
  }

  // ------------------------------------------------------------------ bad properties

  @Test
  void aNegativeRateFailsStartupNamingTheProperty() {
    runner
        .withPropertyValues("ai-gateway.limits[0].tokens-per-minute=-5")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .isInstanceOf(InvalidGatewayPropertyException.class)
                    .hasMessageContaining("ai-gateway.limits[0].tokens-per-minute")
                    .hasMessageContaining("-5"));
  }

  @Test
  void anUnknownQuotaPeriodFailsStartupNamingTheProperty() {
    runner
        .withPropertyValues(
            "ai-gateway.limits[0].quota=1000", "ai-gateway.limits[0].quota-period=fortnightly")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining("ai-gateway.limits[0].quota-period")
                    .hasStackTraceContaining("fortnightly"));
  }

  @Test
  void aQuotaWithoutPeriodFailsStartupNamingTheMissingProperty() {
    runner
        .withPropertyValues("ai-gateway.limits[0].quota=1000")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.limits[0].quota-period:"));
  }

  @Test
  void aBackendWithoutUrlFailsStartupNamingTheProperty() {
    runner
        .withPropertyValues("ai-gateway.pool.backends[0].id=east")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .isInstanceOf(InvalidGatewayPropertyException.class)
                    .hasMessageStartingWith("ai-gateway.pool.backends[0].url:")
                    .hasMessageContaining("east"));
  }

  @Test
  void anApiKeyWithALineBreakFailsStartupNamingThePropertyButNotTheKey() {
    // A key read from a file or a variable often ends in a line break, which no header may hold:
    // every call through the backend would fail, so startup does, naming where the key is set.
    backend.enqueue(json(completion(12, 3)));
    runner
        .withInitializer(
            context ->
                context
                    .getEnvironment()
                    .getPropertySources()
                    .addFirst(
                        new org.springframework.core.env.MapPropertySource(
                            "secret-file",
                            java.util.Map.of(
                                "ai-gateway.pool.backends[0].id",
                                "east",
                                "ai-gateway.pool.backends[0].url",
                                backend.url("/").toString(),
                                "ai-gateway.pool.backends[0].flavor",
                                "azure-v1",
                                "ai-gateway.pool.backends[0].api-key",
                                "azure-key-c-SECRET\n"))))
        .withUserConfiguration(AppBeans.class)
        .run(
            context -> {
              if (context.getStartupFailure() == null) {
                try (Response response =
                    context.getBean(OkHttpClient.class).newCall(chat()).execute()) {
                  throw new AssertionError(
                      "started, and a call was answered "
                          + response.code()
                          + " "
                          + response.body().string());
                } catch (java.io.IOException e) {
                  throw new AssertionError("started, and a call failed: " + e, e);
                }
              }
              assertThat(propertyFailure(context))
                  .hasMessageStartingWith("ai-gateway.pool.backends[0].api-key:")
                  .hasMessageContaining("line break");
              assertThat(stackTrace(context.getStartupFailure()))
                  .doesNotContain("azure-key-c-SECRET");
            });
  }

  @Test
  void aBadBackendFailsStartupWithoutPrintingItsKey() {
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=east",
            "ai-gateway.pool.backends[0].url=https://east.example.com",
            "ai-gateway.pool.backends[0].flavor=azure",
            "ai-gateway.pool.backends[0].api-key=azure-key-b-SECRET")
        .run(
            context -> {
              assertThat(propertyFailure(context))
                  .hasMessageStartingWith("ai-gateway.pool.backends[0].api-version:");
              assertThat(stackTrace(context.getStartupFailure()))
                  .contains("api-version")
                  .doesNotContain("azure-key-b-SECRET");
            });
  }

  @Test
  void cacheSettingsWithoutEnabledFailStartupInsteadOfLeavingTheCacheOff() {
    runner
        .withPropertyValues("ai-gateway.cache.ttl=30m", "ai-gateway.cache.vary-by-header=x-tenant")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.cache.enabled:")
                    .hasMessageContaining("enabled: true"));
  }

  @Test
  void promptLogSettingsWithoutEnabledFailStartupInsteadOfLoggingNothing() {
    runner
        .withPropertyValues("ai-gateway.prompt-log.consumers=team-a")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.prompt-log.enabled:")
                    .hasMessageContaining("enabled: true"));
  }

  @Test
  void failoverSettingsWithoutBackendsFailStartupInsteadOfBeingIgnored() {
    runner
        .withPropertyValues("ai-gateway.pool.failover.max-attempts=3")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.pool.backends:"));
  }

  @Test
  void promptLogSettingsBesideTheApplicationsOwnPromptLogFailStartupInsteadOfBeingIgnored() {
    // The application's PromptLog bean is the log the gateway writes to; the properties' filters
    // would be silently unused, logging every consumer's prompts where the YAML says team-a only.
    PromptLog own = PromptLog.builder().build();
    runner
        .withBean("applicationPromptLog", PromptLog.class, () -> own)
        .withPropertyValues(
            "ai-gateway.prompt-log.enabled=true", "ai-gateway.prompt-log.consumers=team-a")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.prompt-log.consumers:")
                    .hasMessageContaining("applicationPromptLog"));
    runner
        .withBean("applicationPromptLog", PromptLog.class, () -> own)
        .withPropertyValues("ai-gateway.prompt-log.enabled=true")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(PromptLog.class)).isSameAs(own);
            });
  }

  @Test
  void aLoadBalancingChoiceWithoutBackendsFailsStartupInsteadOfBeingIgnored() {
    runner
        .withPropertyValues("ai-gateway.pool.load-balancing=least-busy")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.pool.backends:"));
  }

  @Test
  void aBackendWeightWithoutWeightedBalancingFailsStartupInsteadOfBeingIgnored() {
    // Only weighted balancing reads a weight: under the default round-robin, weights of 3 and 1
    // would share the calls evenly without a word.
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=east",
            "ai-gateway.pool.backends[0].url=https://east.example.com",
            "ai-gateway.pool.backends[0].weight=3",
            "ai-gateway.pool.backends[1].id=west",
            "ai-gateway.pool.backends[1].url=https://west.example.com",
            "ai-gateway.pool.backends[1].weight=1")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.pool.backends[0].weight:")
                    .hasMessageContaining("load-balancing: weighted"));
    runner
        .withPropertyValues(
            "ai-gateway.pool.load-balancing=weighted",
            "ai-gateway.pool.session-header=x-session-id",
            "ai-gateway.pool.backends[0].id=east",
            "ai-gateway.pool.backends[0].url=https://east.example.com",
            "ai-gateway.pool.backends[0].weight=3")
        .run(context -> assertThat(context).hasNotFailed());
  }

  @Test
  void aCacheOrPromptLogTurnedOffExplicitlyKeepsItsSettingsUnused() {
    runner
        .withPropertyValues(
            "ai-gateway.cache.enabled=false",
            "ai-gateway.cache.ttl=30m",
            "ai-gateway.prompt-log.enabled=false",
            "ai-gateway.prompt-log.sample-rate=0.5")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(AiGateway.class).responseCache()).isNull();
              assertThat(context).doesNotHaveBean(PromptLog.class);
            });
  }

  @Test
  void aBareNumberPeriodIsMillisecondsAndFailsStartupNamingThePropertyAndTheUnit() {
    // "period: 60" meant a minute; Spring Boot reads a bare number as milliseconds, which would
    // have made the limit a thousand times too loose (and one per 60 ms).
    runner
        .withPropertyValues(
            "ai-gateway.limits[0].tokens-per=1000", "ai-gateway.limits[0].period=60")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.limits[0].period:")
                    .hasMessageContaining("60 ms")
                    .hasMessageContaining("60s"));
  }

  @Test
  void aBareNumberFailoverDeadlineFailsStartupNamingTheProperty() {
    // "deadline: 60" meant a minute; as 60 ms every call would run out of time before an answer.
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=openai",
            "ai-gateway.pool.backends[0].url=https://api.openai.com",
            "ai-gateway.pool.failover.deadline=60")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.pool.failover.deadline:")
                    .hasMessageContaining("60 ms"));
  }

  @Test
  void aBareNumberCacheTtlFailsStartupNamingTheProperty() {
    runner
        .withPropertyValues("ai-gateway.cache.enabled=true", "ai-gateway.cache.ttl=300")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.cache.ttl:")
                    .hasMessageContaining("300 ms"));
  }

  @Test
  void springBootsFailureReportNamesThePropertyToCorrect() {
    runner
        .withPropertyValues("ai-gateway.pool.backends[0].id=east")
        .run(
            context -> {
              FailureAnalysis analysis =
                  new InvalidGatewayPropertyFailureAnalyzer().analyze(context.getStartupFailure());
              assertThat(analysis).isNotNull();
              assertThat(analysis.getDescription())
                  .contains("ai-gateway.pool.backends[0].url: backend 'east' needs a url");
              assertThat(analysis.getAction())
                  .contains("Correct the property 'ai-gateway.pool.backends[0].url'");
            });
  }

  @Test
  void anUnknownZoneFailsStartupNamingTheProperty() {
    runner
        .withPropertyValues(
            "ai-gateway.limits[0].quota=1000",
            "ai-gateway.limits[0].quota-period=daily",
            "ai-gateway.limits[0].quota-zone=Mars/Olympus")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.limits[0].quota-zone")
                    .hasMessageContaining("Mars/Olympus"));
  }

  @Test
  void aLimitSettingForACounterTheLimitDoesNotHaveFailsStartupNamingThePropertiesOfTheCounter() {
    // Each header or zone names a counter of its own: on a limit without that counter the gateway
    // never sends the header nor uses the zone, so the setting would do nothing without a word.
    // The limit's builder refuses it; startup names the property and the properties to add.
    String[][] cases = {
      {"quota-zone=Europe/Paris", "tokens-per-minute=1000"},
      {"remaining-tokens-header=x-remaining-tokens", "quota=1000", "quota-period=daily"},
      {"remaining-quota-header=x-remaining-quota", "tokens-per-minute=1000"},
      {
        "remaining-requests-header=x-remaining-requests",
        "request-quota=100",
        "request-quota-period=daily"
      },
      {"tokens-consumed-header=x-tokens-consumed", "requests-per-second=10"},
    };
    String[] counters = {
      "a quota (quota or request-quota)",
      "a token rate (tokens-per-minute, or tokens-per with period)",
      "a token quota (quota with quota-period)",
      "a request rate (requests-per-second or requests-per-minute)",
      "a token rate or a token quota (tokens-per-minute, tokens-per with period, or quota)",
    };
    for (int i = 0; i < cases.length; i++) {
      String[] settings = cases[i];
      String unused = settings[0].substring(0, settings[0].indexOf('='));
      String counter = counters[i];
      runner
          .withPropertyValues(
              java.util.Arrays.stream(settings)
                  .map(setting -> "ai-gateway.limits[0]." + setting)
                  .toArray(String[]::new))
          .run(
              context -> {
                InvalidGatewayPropertyException failure = propertyFailure(context);
                assertThat(failure.property())
                    .as(unused)
                    .isEqualTo("ai-gateway.limits[0]." + unused);
                assertThat(failure)
                    .as(unused)
                    .hasMessage(
                        "ai-gateway.limits[0]."
                            + unused
                            + ": applies to "
                            + counter
                            + ", which this limit does not have, so it would never be used; add"
                            + " the counter or remove the setting")
                    .hasCauseInstanceOf(UnusedLimitSettingException.class);
              });
    }
  }

  @Test
  void twoLimitsOfOneNameFailStartup() {
    runner
        .withPropertyValues(
            "ai-gateway.limits[0].tokens-per-minute=100",
            "ai-gateway.limits[1].tokens-per-minute=200")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.limits[1].name:"));
  }

  // ------------------------------------------------------------------ the application's beans

  @Test
  void theApplicationsOwnGatewayWins() {
    AiGateway own = AiGateway.builder().build();
    runner
        .withPropertyValues("ai-gateway.limits[0].tokens-per-minute=100")
        .withBean(AiGateway.class, () -> own)
        .run(context -> assertThat(context.getBean(AiGateway.class)).isSameAs(own));
  }

  @Test
  void springAiIsGovernedOnlyWhenItIsThereAndNotTurnedOff() {
    runner.run(
        context -> assertThat(context).hasSingleBean(OpenAiHttpClientBuilderCustomizer.class));
    runner
        .withPropertyValues("ai-gateway.govern-spring-ai=false")
        .run(
            context ->
                assertThat(context).doesNotHaveBean(OpenAiHttpClientBuilderCustomizer.class));
    runner
        .withClassLoader(new FilteredClassLoader(OpenAiHttpClientBuilderCustomizer.class))
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(AiGateway.class);
              assertThat(context).doesNotHaveBean("aiGatewayOpenAiHttpClientCustomizer");
            });
  }

  @Test
  void enabledFalseCreatesNoGateway() {
    runner
        .withPropertyValues("ai-gateway.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(AiGateway.class));
  }

  @Test
  void metricsListenersAndOkHttpBeansWorkTogether() throws Exception {
    backend.enqueue(json(completion(12, 3)));
    runner
        .withPropertyValues(
            "ai-gateway.consumer-key.header=x-consumer-id",
            "ai-gateway.limits[0].tokens-per-minute=100000")
        .withUserConfiguration(AppBeans.class)
        .run(
            context -> {
              OkHttpClient client = context.getBean(OkHttpClient.class);
              assertThat(OkHttpAiGateway.isGoverned(client)).isTrue();
              assertThat(client.readTimeoutMillis()).isEqualTo(7_000); // the app's settings kept
              try (Response response = client.newCall(chat()).execute()) {
                assertThat(response.code()).isEqualTo(200);
                response.body().string();
              }
              AppBeans beans = context.getBean(AppBeans.class);
              assertThat(beans.events).hasSize(1);
              GatewayEvent event = beans.events.get(0);
              assertThat(event.consumer()).isEqualTo("team-a");
              assertThat(event.usage().tokens().totalTokens()).isEqualTo(15);
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              assertThat(registry.find("gen_ai.client.token.usage").meters()).isNotEmpty();
              assertThat(
                      registry
                          .find("gen_ai.client.token.usage")
                          .tag("gen_ai.token.type", "input")
                          .summary()
                          .totalAmount())
                  .isEqualTo(12.0);
              assertThat(backend.takeRequest().getHeader("x-consumer-id")).isNull();
            });
  }

  @Test
  void metricsCanBeTurnedOff() throws Exception {
    backend.enqueue(json(completion(12, 3)));
    runner
        .withPropertyValues(
            "ai-gateway.limits[0].tokens-per-minute=100000", "ai-gateway.metrics.enabled=false")
        .withUserConfiguration(AppBeans.class)
        .run(
            context -> {
              try (Response response =
                  context.getBean(OkHttpClient.class).newCall(chat()).execute()) {
                response.body().string();
              }
              assertThat(context.getBean(AppBeans.class).events).hasSize(1);
              assertThat(
                      context
                          .getBean(MeterRegistry.class)
                          .find("gen_ai.client.token.usage")
                          .meters())
                  .isEmpty();
            });
  }

  @Test
  void theApplicationsOwnMetricsBeanRecordsEachCallOnceInPlaceOfTheDefaultOne() throws Exception {
    backend.enqueue(json(completion(12, 3)));
    runner
        .withPropertyValues(
            "ai-gateway.consumer-key.header=x-consumer-id",
            "ai-gateway.limits[0].tokens-per-minute=100000")
        .withUserConfiguration(AppBeans.class, AppMetrics.class)
        .run(
            context -> {
              try (Response response =
                  context.getBean(OkHttpClient.class).newCall(chat()).execute()) {
                response.body().string();
              }
              assertThat(context.getBean(AppBeans.class).events).hasSize(1);
              List<DistributionSummary> input =
                  List.copyOf(
                      context
                          .getBean(MeterRegistry.class)
                          .find("gen_ai.client.token.usage")
                          .tag("gen_ai.token.type", "input")
                          .summaries());
              // One call, one recording: by the application's metrics, with its dimension.
              assertThat(input).hasSize(1);
              assertThat(input.get(0).getId().getTag("team")).isEqualTo("team-a");
              assertThat(input.get(0).count()).isEqualTo(1);
              assertThat(input.get(0).totalAmount()).isEqualTo(12.0);
            });
  }

  @Test
  void metricsACustomizerAddsRecordEachCallOnceInPlaceOfTheDefaultOnes() throws Exception {
    backend.enqueue(json(completion(12, 3)));
    runner
        .withPropertyValues(
            "ai-gateway.consumer-key.header=x-consumer-id",
            "ai-gateway.limits[0].tokens-per-minute=100000")
        .withUserConfiguration(AppBeans.class, CustomizerMetrics.class)
        .run(
            context -> {
              try (Response response =
                  context.getBean(OkHttpClient.class).newCall(chat()).execute()) {
                response.body().string();
              }
              assertThat(context.getBean(AppBeans.class).events).hasSize(1);
              List<DistributionSummary> input =
                  List.copyOf(
                      context
                          .getBean(MeterRegistry.class)
                          .find("gen_ai.client.token.usage")
                          .tag("gen_ai.token.type", "input")
                          .summaries());
              // One call, one recording: by the customizer's metrics, with its dimension.
              assertThat(input).hasSize(1);
              assertThat(input.get(0).getId().getTag("team")).isEqualTo("team-a");
              assertThat(input.get(0).count()).isEqualTo(1);
            });
  }

  @Test
  void twoMeterRegistryBeansWithoutAPrimaryFailStartupInsteadOfRecordingNothing() {
    runner
        .withBean("firstRegistry", MeterRegistry.class, SimpleMeterRegistry::new)
        .withBean("secondRegistry", MeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            context -> {
              Throwable failure = context.getStartupFailure();
              if (failure == null) {
                throw new AssertionError(
                    "started with metrics on and in neither of the application's registries");
              }
              assertThat(stackTrace(failure))
                  .contains("NoUniqueBeanDefinitionException")
                  .contains("firstRegistry")
                  .contains("secondRegistry");
            });
  }

  @Test
  void ofSeveralMeterRegistryBeansThePrimaryOneRecords() throws Exception {
    backend.enqueue(json(completion(12, 3)));
    SimpleMeterRegistry primary = new SimpleMeterRegistry();
    SimpleMeterRegistry other = new SimpleMeterRegistry();
    runner
        .withBean("primaryRegistry", MeterRegistry.class, () -> primary, d -> d.setPrimary(true))
        .withBean("otherRegistry", MeterRegistry.class, () -> other)
        .withBean(OkHttpClient.class, OkHttpClient::new)
        .run(
            context -> {
              try (Response response =
                  context.getBean(OkHttpClient.class).newCall(chat()).execute()) {
                response.body().string();
              }
              assertThat(primary.find("gen_ai.client.token.usage").meters()).isNotEmpty();
              assertThat(other.find("gen_ai.client.token.usage").meters()).isEmpty();
            });
  }

  @Test
  void twoMeterRegistryBeansAreNoConcernWhileMetricsAreOff() {
    runner
        .withPropertyValues("ai-gateway.metrics.enabled=false")
        .withBean("firstRegistry", MeterRegistry.class, SimpleMeterRegistry::new)
        .withBean("secondRegistry", MeterRegistry.class, SimpleMeterRegistry::new)
        .run(context -> assertThat(context).hasNotFailed());
  }

  @Test
  void twoTokenLimitStoreBeansFailStartupInsteadOfLeavingTheLimitsInMemory() {
    InMemoryTokenLimitStore first = new InMemoryTokenLimitStore();
    InMemoryTokenLimitStore second = new InMemoryTokenLimitStore();
    runner
        .withPropertyValues("ai-gateway.limits[0].tokens-per-minute=100000")
        .withBean("firstStore", TokenLimitStore.class, () -> first)
        .withBean("secondStore", TokenLimitStore.class, () -> second)
        .run(
            context -> {
              Throwable failure = context.getStartupFailure();
              if (failure == null) {
                throw new AssertionError(
                    "started with neither of the application's stores: "
                        + context.getBean(AiGateway.class).tokenLimitStore());
              }
              assertThat(stackTrace(failure))
                  .contains("NoUniqueBeanDefinitionException")
                  .contains("firstStore")
                  .contains("secondStore");
            });
  }

  @Test
  void twoResponseCacheStoreBeansFailStartupInsteadOfCachingInMemory() {
    runner
        .withPropertyValues("ai-gateway.cache.enabled=true")
        .withBean(
            "firstCache",
            ResponseCacheStore.class,
            () -> InMemoryResponseCacheStore.builder().build())
        .withBean(
            "secondCache",
            ResponseCacheStore.class,
            () -> InMemoryResponseCacheStore.builder().build())
        .run(
            context -> {
              Throwable failure = context.getStartupFailure();
              if (failure == null) {
                throw new AssertionError(
                    "started with neither of the application's cache stores: "
                        + context.getBean(AiGateway.class).responseCache());
              }
              assertThat(stackTrace(failure))
                  .contains("NoUniqueBeanDefinitionException")
                  .contains("firstCache")
                  .contains("secondCache");
            });
  }

  @Test
  void twoResponseCacheStoreBeansAreNoConcernWhileTheCacheIsOff() {
    runner
        .withBean(
            "firstCache",
            ResponseCacheStore.class,
            () -> InMemoryResponseCacheStore.builder().build())
        .withBean(
            "secondCache",
            ResponseCacheStore.class,
            () -> InMemoryResponseCacheStore.builder().build())
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(AiGateway.class).responseCache()).isNull();
            });
  }

  @Test
  void twoPromptLogBeansFailStartupInsteadOfLoggingNothing() {
    runner
        .withBean("firstLog", PromptLog.class, () -> PromptLog.builder().build())
        .withBean("secondLog", PromptLog.class, () -> PromptLog.builder().build())
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(stackTrace(context.getStartupFailure()))
                  .contains("NoUniqueBeanDefinitionException")
                  .contains("firstLog")
                  .contains("secondLog");
            });
  }

  @Test
  void aPrimaryTokenLimitStoreAmongSeveralIsTheOneUsed() {
    InMemoryTokenLimitStore primary = new InMemoryTokenLimitStore();
    runner
        .withPropertyValues("ai-gateway.limits[0].tokens-per-minute=100000")
        .withBean("primaryStore", TokenLimitStore.class, () -> primary, d -> d.setPrimary(true))
        .withBean("otherStore", TokenLimitStore.class, InMemoryTokenLimitStore::new)
        .run(
            context ->
                assertThat(context.getBean(AiGateway.class).tokenLimitStore()).isSameAs(primary));
  }

  @Test
  void okHttpBeansAreLeftAloneWhenWrappingIsOff() {
    runner
        .withPropertyValues("ai-gateway.wrap-okhttp-beans=false")
        .withUserConfiguration(AppBeans.class)
        .run(
            context ->
                assertThat(OkHttpAiGateway.isGoverned(context.getBean(OkHttpClient.class)))
                    .isFalse());
  }

  @Test
  void anAlreadyWrappedClientIsNotWrappedTwice() {
    runner
        .withBean(
            OkHttpClient.class,
            () -> OkHttpAiGateway.wrap(new OkHttpClient(), AiGateway.builder().build()))
        .run(context -> assertThat(context.getBean(OkHttpClient.class).interceptors()).hasSize(1));
  }

  /** An application's beans: a registry, a listener, its own OkHttp client. */
  @Configuration(proxyBeanMethods = false)
  static class AppBeans {
    final List<GatewayEvent> events = new CopyOnWriteArrayList<>();

    @Bean
    MeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }

    @Bean
    GatewayListener recordingListener() {
      return events::add;
    }

    @Bean
    OkHttpClient appClient() {
      return new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(7)).build();
    }
  }

  /** An application's own metrics, with a dimension, in its registry. */
  @Configuration(proxyBeanMethods = false)
  static class AppMetrics {
    @Bean
    GenAiMetrics appMetrics(MeterRegistry registry) {
      return GenAiMetrics.builder(registry).dimension("team", Dimension.consumer()).build();
    }
  }

  /** An application's own metrics, with a dimension, added by a customizer. */
  @Configuration(proxyBeanMethods = false)
  static class CustomizerMetrics {
    @Bean
    AiGatewayBuilderCustomizer metricsCustomizer(MeterRegistry registry) {
      return builder ->
          builder.listener(
              GenAiMetrics.builder(registry).dimension("team", Dimension.consumer()).build());
    }
  }

  private Request chat() {
    return new Request.Builder()
        .url(backend.url("/v1/chat/completions"))
        .header("x-consumer-id", "team-a")
        .post(
            RequestBody.create(
                "{\"model\":\"gpt-4o\",\"max_tokens\":20,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
                MediaType.get("application/json")))
        .build();
  }

  static MockResponse json(String body) {
    return new MockResponse().setHeader("content-type", "application/json").setBody(body);
  }

  static String completion(int input, int output) {
    return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1700000000,"
        + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
        + "\"assistant\",\"content\":\"Hello there\",\"refusal\":null},\"logprobs\":null,"
        + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":"
        + input
        + ",\"completion_tokens\":"
        + output
        + ",\"total_tokens\":"
        + (input + output)
        + "}}";
  }

  /** The startup failure's InvalidGatewayPropertyException; fails when there is none. */
  static InvalidGatewayPropertyException propertyFailure(AssertableApplicationContext context) {
    Throwable failure = context.getStartupFailure();
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof InvalidGatewayPropertyException invalid) {
        return invalid;
      }
    }
    throw new AssertionError("startup did not fail on a property", failure);
  }

  private static String stackTrace(Throwable t) {
    java.io.StringWriter out = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(out));
    return out.toString();
  }
}
