package dev.aigateway.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.cache.SemanticCache;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.okhttp.OkHttpEmbeddingModel;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The application's OkHttpClient beans wrapped, on a real Spring context. */
class WrappedClientBeansTest {

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

  @Test
  void aListenerThatUsesTheApplicationsClientStartsAndItsClientIsGoverned() throws Exception {
    backend.enqueue(
        AiGatewayAutoConfigurationTest.json(AiGatewayAutoConfigurationTest.completion(12, 3)));
    backend.enqueue(new okhttp3.mockwebserver.MockResponse().setBody("ok"));
    runner
        .withPropertyValues("ai-gateway.limits[0].tokens-per-minute=100000")
        .withUserConfiguration(ClientAndSink.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              OkHttpClient client = context.getBean(OkHttpClient.class);
              assertThat(OkHttpAiGateway.isGoverned(client)).isTrue();
              HttpSink sink = context.getBean(HttpSink.class);
              sink.target = backend;
              try (Response response = client.newCall(chat()).execute()) {
                assertThat(response.code()).isEqualTo(200);
                response.body().string();
              }
              assertThat(sink.events).hasSize(1);
              assertThat(sink.events.get(0).usage().tokens().totalTokens()).isEqualTo(15);
              // The sink's own call went through the same (governed) client, to a path the
              // gateway does not govern.
              assertThat(backend.takeRequest().getPath()).isEqualTo("/v1/chat/completions");
              assertThat(backend.takeRequest().getPath()).isEqualTo("/events");
            });
  }

  @Test
  void aStoreAndACustomizerThatUseTheApplicationsClientStart() {
    runner
        .withPropertyValues("ai-gateway.limits[0].tokens-per-minute=100000")
        .withUserConfiguration(ClientStoreAndCustomizer.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(OkHttpAiGateway.isGoverned(context.getBean(OkHttpClient.class))).isTrue();
              assertThat(context.getBean(AiGateway.class).tokenLimitStore())
                  .isSameAs(context.getBean(TokenLimitStore.class));
            });
  }

  @Test
  void aSemanticCachesEmbeddingModelIsBoundToTheApplicationsClientAtStartup() throws Exception {
    backend.enqueue(
        AiGatewayAutoConfigurationTest.json(
            "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                + "\"embedding\":[1.0,0.0]}],\"model\":\"text-embedding-3-small\","
                + "\"usage\":{\"prompt_tokens\":2,\"total_tokens\":2}}"));
    OkHttpEmbeddingModel embeddings =
        OkHttpEmbeddingModel.builder()
            .url(backend.url("/v1/embeddings").toString())
            .model("text-embedding-3-small")
            .build();
    runner
        .withBean(
            AiGatewayBuilderCustomizer.class,
            () ->
                builder ->
                    builder.responseCache(
                        ResponseCache.builder().semantic(SemanticCache.builder(embeddings))))
        .withUserConfiguration(OnlyClient.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              // No call has gone through the application's client yet (the application's LLM
              // calls may all go through Spring AI's clients): the model has its client already.
              assertThat(embeddings.embed("hello")).containsExactly(1.0f, 0.0f);
              assertThat(backend.takeRequest().getPath()).isEqualTo("/v1/embeddings");
            });
  }

  @Test
  void aPrototypeClientMadeAfterStartupIsGovernedByTheGateway() {
    runner
        .withBean(
            "prototypeClient",
            OkHttpClient.class,
            OkHttpClient::new,
            d ->
                d.setScope(org.springframework.beans.factory.config.BeanDefinition.SCOPE_PROTOTYPE))
        .run(
            context -> {
              OkHttpClient first = context.getBean(OkHttpClient.class);
              OkHttpClient second = context.getBean(OkHttpClient.class);
              assertThat(first).isNotSameAs(second);
              AiGateway gateway = context.getBean(AiGateway.class);
              assertThat(OkHttpAiGateway.wrap(first, gateway)).isSameAs(first);
              assertThat(OkHttpAiGateway.wrap(second, gateway)).isSameAs(second);
            });
  }

  @Test
  void twoGatewayBeansWithoutAPrimaryOneFailStartupNamingThem() {
    runner
        .withPropertyValues("ai-gateway.govern-spring-ai=false")
        .withBean("firstGateway", AiGateway.class, () -> AiGateway.builder().build())
        .withBean("secondGateway", AiGateway.class, () -> AiGateway.builder().build())
        .withBean(
            AiGatewayInventory.class,
            () ->
                new AiGatewayInventory(
                    AiGateway.builder().build(),
                    dev.aigateway.core.inventory.InventoryOptions.defaults()))
        .withUserConfiguration(OnlyClient.class)
        .run(
            context -> {
              Throwable failure = context.getStartupFailure();
              if (failure == null) {
                throw new AssertionError(
                    "started; the client is governed: "
                        + OkHttpAiGateway.isGoverned(context.getBean(OkHttpClient.class)));
              }
              assertThat(stackTrace(failure))
                  .contains("NoUniqueBeanDefinitionException")
                  .contains("firstGateway")
                  .contains("secondGateway");
            });
  }

  @Test
  void twoGatewayBeansWithoutAPrimaryOneFailStartupNamingThemWhenOnlySpringAiIsGoverned() {
    runner
        .withPropertyValues("ai-gateway.wrap-okhttp-beans=false")
        .withBean("firstGateway", AiGateway.class, () -> AiGateway.builder().build())
        .withBean("secondGateway", AiGateway.class, () -> AiGateway.builder().build())
        .withBean(
            AiGatewayInventory.class,
            () ->
                new AiGatewayInventory(
                    AiGateway.builder().build(),
                    dev.aigateway.core.inventory.InventoryOptions.defaults()))
        .run(
            context -> {
              Throwable failure = context.getStartupFailure();
              if (failure == null) {
                throw new AssertionError("started with Spring AI's clients ungoverned");
              }
              assertThat(stackTrace(failure))
                  .contains("NoUniqueBeanDefinitionException")
                  .contains("firstGateway")
                  .contains("secondGateway");
            });
  }

  @Test
  void ofTwoGatewayBeansThePrimaryOneGovernsTheClients() throws Exception {
    backend.enqueue(
        AiGatewayAutoConfigurationTest.json(AiGatewayAutoConfigurationTest.completion(12, 3)));
    List<GatewayEvent> primaryEvents = new CopyOnWriteArrayList<>();
    List<GatewayEvent> otherEvents = new CopyOnWriteArrayList<>();
    runner
        .withBean(
            "primaryGateway",
            AiGateway.class,
            () -> AiGateway.builder().listener(primaryEvents::add).build(),
            d -> d.setPrimary(true))
        .withBean(
            "otherGateway",
            AiGateway.class,
            () -> AiGateway.builder().listener(otherEvents::add).build())
        .withUserConfiguration(OnlyClient.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              try (Response response =
                  context.getBean(OkHttpClient.class).newCall(chat()).execute()) {
                response.body().string();
              }
              assertThat(primaryEvents).hasSize(1);
              assertThat(otherEvents).isEmpty();
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class OnlyClient {
    @Bean
    OkHttpClient appClient() {
      return new OkHttpClient();
    }
  }

  @Test
  void aCallThatEndsWhileTheContextClosesIsStillInThePromptLog() throws Exception {
    String completion =
        AiGatewayAutoConfigurationTest.completion(12, 3).replace("Hello there", "Ending-7f3a");
    backend.enqueue(
        AiGatewayAutoConfigurationTest.json(completion)
            .setBodyDelay(700, java.util.concurrent.TimeUnit.MILLISECONDS));
    ch.qos.logback.classic.Logger prompts =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(dev.aigateway.core.telemetry.PromptLog.LOGGER_NAME);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> records =
        new ch.qos.logback.core.read.ListAppender<>();
    records.start();
    ch.qos.logback.classic.Level level = prompts.getLevel();
    prompts.setLevel(ch.qos.logback.classic.Level.INFO);
    prompts.addAppender(records);
    try {
      runner
          .withPropertyValues("ai-gateway.prompt-log.enabled=true")
          .withUserConfiguration(ClientAndWorker.class)
          .run(
              context -> {
                assertThat(context).hasNotFailed();
                context.getBean(Worker.class).submit(chat());
                // The call is in flight (its answer delayed) when the context closes.
                assertThat(backend.takeRequest(60, java.util.concurrent.TimeUnit.SECONDS))
                    .isNotNull();
              });
      // Closing the context waited for the worker's call (its close method); the prompt log must
      // still have been open when the call ended.
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
      while (records.list.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(records.list)
          .extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
          .anySatisfy(record -> assertThat(record).contains("Ending-7f3a"));
    } finally {
      prompts.detachAppender(records);
      prompts.setLevel(level);
    }
  }

  @Test
  void aCallThatEndsWhileTheContextClosesIsSettledAndSeenBeforeTheStoreAndListenerClose()
      throws Exception {
    String completion =
        AiGatewayAutoConfigurationTest.completion(12, 3).replace("Hello there", "Ending-5d1b");
    backend.enqueue(
        AiGatewayAutoConfigurationTest.json(completion)
            .setBodyDelay(700, java.util.concurrent.TimeUnit.MILLISECONDS));
    List<String> order = StoreAndListener.ORDER;
    order.clear();
    runner
        .withPropertyValues("ai-gateway.limits[0].tokens-per-minute=100000")
        // The store and the listener are made after the worker (a configuration read later).
        .withUserConfiguration(ClientAndWorker.class, StoreAndListener.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(AiGateway.class).tokenLimitStore())
                  .isSameAs(context.getBean(ClosingStore.class));
              context.getBean(Worker.class).submit(chat());
              // The call is in flight (its answer delayed) when the context closes.
              assertThat(backend.takeRequest(60, java.util.concurrent.TimeUnit.SECONDS))
                  .isNotNull();
            });
    // Closing the context waited for the worker's call (its close method): the store and the
    // listener must still have been open when the call was settled and its event sent.
    assertThat(order)
        .containsSubsequence("settle", "store closed")
        .containsSubsequence("event", "listener closed");
  }

  @Test
  void aBackgroundCallStillWaitingWhenTheContextClosesIsSettledBeforeTheStoreAndListenerClose()
      throws Exception {
    String queued =
        "{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1,\"status\":\"queued\","
            + "\"background\":true,\"model\":\"gpt-4.1\",\"output\":[],\"usage\":null}";
    backend.enqueue(AiGatewayAutoConfigurationTest.json(queued));
    List<String> order = StoreAndListener.ORDER;
    order.clear();
    runner
        .withPropertyValues("ai-gateway.limits[0].tokens-per-minute=100000")
        // The store and the listener are made after the client (a configuration read later).
        .withUserConfiguration(ClientAndWorker.class, StoreAndListener.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              OkHttpClient client = context.getBean(OkHttpClient.class);
              Request request =
                  new Request.Builder()
                      .url(backend.url("/v1/responses"))
                      .post(
                          RequestBody.create(
                              "{\"model\":\"gpt-4.1\",\"input\":\"Hi\",\"background\":true,"
                                  + "\"max_output_tokens\":300}",
                              MediaType.get("application/json")))
                      .build();
              try (Response response = client.newCall(request).execute()) {
                assertThat(response.body().string()).isEqualTo(queued);
              }
              // The response is generated in the background: its call waits for a poll.
              assertThat(context.getBean(AiGateway.class).backgroundResponses().size())
                  .isEqualTo(1);
              assertThat(order).doesNotContain("settle", "event");
            });
    // Closing the context settled the waiting call, and sent its event, while the store and the
    // listener were still open.
    assertThat(order)
        .containsSubsequence("settle", "store closed")
        .containsSubsequence("event", "listener closed");
    assertThat(order).filteredOn("event"::equals).hasSize(1);
  }

  @Test
  void aCallThatEndsWhileTheContextClosesIsRecordedBeforeTheMeterRegistryCloses() throws Exception {
    backend.enqueue(
        AiGatewayAutoConfigurationTest.json(AiGatewayAutoConfigurationTest.completion(12, 3))
            .setBodyDelay(700, java.util.concurrent.TimeUnit.MILLISECONDS));
    ClosingRegistry.ORDER.clear();
    runner
        // The registry is made after the worker (a configuration read later).
        .withUserConfiguration(ClientAndWorker.class, ClosingRegistry.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              context.getBean(Worker.class).submit(chat());
              // The call is in flight (its answer delayed) when the context closes.
              assertThat(backend.takeRequest(60, java.util.concurrent.TimeUnit.SECONDS))
                  .isNotNull();
            });
    // Closing the context waited for the worker's call: the registry must still have been open
    // when the call's token usage was recorded.
    assertThat(ClosingRegistry.ORDER).containsExactly("input tokens 12.0", "registry closed");
  }

  /** A meter registry that records, when it closes, what it had recorded. */
  @Configuration(proxyBeanMethods = false)
  static class ClosingRegistry {
    static final List<String> ORDER = new CopyOnWriteArrayList<>();

    @Bean
    io.micrometer.core.instrument.MeterRegistry closingRegistry() {
      return new io.micrometer.core.instrument.simple.SimpleMeterRegistry() {
        @Override
        public void close() {
          io.micrometer.core.instrument.DistributionSummary input =
              find("gen_ai.client.token.usage").tag("gen_ai.token.type", "input").summary();
          if (input != null) {
            ORDER.add("input tokens " + input.totalAmount());
          }
          ORDER.add("registry closed");
          super.close();
        }
      };
    }
  }

  /** A store and a listener with close methods, which record what they see in {@link #ORDER}. */
  @Configuration(proxyBeanMethods = false)
  static class StoreAndListener {
    static final List<String> ORDER = new CopyOnWriteArrayList<>();

    @Bean
    ClosingStore closingStore() {
      return new ClosingStore(ORDER);
    }

    @Bean
    ClosingListener closingListener() {
      return new ClosingListener(ORDER);
    }
  }

  /** A token limit store that records its settlements and its closing. */
  static final class ClosingStore implements TokenLimitStore, AutoCloseable {
    private final TokenLimitStore delegate = new InMemoryTokenLimitStore();
    private final List<String> order;

    ClosingStore(List<String> order) {
      this.order = order;
    }

    @Override
    public ReserveResult reserve(List<dev.aigateway.api.spi.LimitCharge> charges) {
      return delegate.reserve(charges);
    }

    @Override
    public void settle(Reservation reservation, long[] actual) {
      order.add("settle");
      delegate.settle(reservation, actual);
    }

    @Override
    public void close() {
      order.add("store closed");
    }
  }

  /** A listener that records its events and its closing. */
  static final class ClosingListener implements GatewayListener, AutoCloseable {
    private final List<String> order;

    ClosingListener(List<String> order) {
      this.order = order;
    }

    @Override
    public void onEvent(GatewayEvent event) {
      order.add("event");
    }

    @Override
    public void close() {
      order.add("listener closed");
    }
  }

  /** A client, and a worker that calls the LLM with it on its own threads. */
  @Configuration(proxyBeanMethods = false)
  static class ClientAndWorker {
    @Bean
    OkHttpClient appClient() {
      return new OkHttpClient();
    }

    @Bean
    Worker worker(OkHttpClient client) {
      return new Worker(client);
    }
  }

  /** Runs calls on its own thread; closing it waits for the calls it has started. */
  static final class Worker implements AutoCloseable {
    private final OkHttpClient client;
    private final java.util.concurrent.ExecutorService threads =
        java.util.concurrent.Executors.newSingleThreadExecutor();

    Worker(OkHttpClient client) {
      this.client = client;
    }

    void submit(Request request) {
      threads.execute(
          () -> {
            try (Response response = client.newCall(request).execute()) {
              response.body().string();
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
    }

    @Override
    public void close() throws InterruptedException {
      threads.shutdown();
      threads.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  /** A client, and a store and a customizer that hold it (as a store over HTTP would). */
  @Configuration(proxyBeanMethods = false)
  static class ClientStoreAndCustomizer {
    @Bean
    OkHttpClient appClient() {
      return new OkHttpClient();
    }

    @Bean
    TokenLimitStore httpStore(OkHttpClient client) {
      assertThat(client).isNotNull();
      return new InMemoryTokenLimitStore();
    }

    @Bean
    AiGatewayBuilderCustomizer httpCustomizer(OkHttpClient client) {
      return builder -> assertThat(client).isNotNull();
    }
  }

  /** An application's client, and an event sink that posts each event with it. */
  @Configuration(proxyBeanMethods = false)
  static class ClientAndSink {
    @Bean
    OkHttpClient appClient() {
      return new OkHttpClient();
    }

    @Bean
    HttpSink httpSink(OkHttpClient client) {
      return new HttpSink(client);
    }
  }

  /** A listener that sends each event to a collector over HTTP with the application's client. */
  static final class HttpSink implements GatewayListener {
    final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
    private final OkHttpClient client;
    volatile MockWebServer target;

    HttpSink(OkHttpClient client) {
      this.client = client;
    }

    @Override
    public void onEvent(GatewayEvent event) {
      events.add(event);
      Request post =
          new Request.Builder()
              .url(target.url("/events"))
              .post(RequestBody.create(event.consumer(), MediaType.get("text/plain")))
              .build();
      try (Response response = client.newCall(post).execute()) {
        response.body().string();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  private Request chat() {
    return new Request.Builder()
        .url(backend.url("/v1/chat/completions"))
        .post(
            RequestBody.create(
                "{\"model\":\"gpt-4o\",\"max_tokens\":20,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
                MediaType.get("application/json")))
        .build();
  }

  private static String stackTrace(Throwable t) {
    java.io.StringWriter out = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(out));
    return out.toString();
  }
}
