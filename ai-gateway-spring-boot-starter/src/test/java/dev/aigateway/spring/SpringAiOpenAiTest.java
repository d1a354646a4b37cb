package dev.aigateway.spring;

import static dev.aigateway.testing.OpenAiBodies.completion;
import static dev.aigateway.testing.OpenAiBodies.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.Closing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import okhttp3.OkHttpClient;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.openai.http.okhttp.OpenAiHttpClientBuilderCustomizer;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot application with Spring AI's OpenAI starter and this starter, configured by
 * properties only: Spring AI's auto-configured {@code OpenAiChatModel} (the real jars, on
 * openai-java over OkHttp 4.12.0) calls a local OpenAI-shaped backend through the gateway.
 */
class SpringAiOpenAiTest {

  private MockWebServer backend;
  private ConfigurableApplicationContext app;

  @BeforeEach
  void startBackend() throws Exception {
    backend = new MockWebServer();
    backend.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    Closing.inBackground(backend); // a server holding a late answer back would wait for it
  }

  /** The application: nothing but auto-configuration, a listener and its own OkHttp client. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    final List<GatewayEvent> events = new CopyOnWriteArrayList<>();

    @Bean
    GatewayListener recordingListener() {
      return events::add;
    }

    @Bean
    OkHttpClient appClient() {
      return new OkHttpClient();
    }
  }

  private ChatModel start(String... gatewayProperties) {
    return start(App.class, gatewayProperties);
  }

  private ChatModel start(Class<?> application, String... gatewayProperties) {
    List<String> properties = new ArrayList<>();
    properties.add("spring.ai.model.chat=openai"); // Anthropic's starter is on the class path too
    properties.add("spring.ai.openai.base-url=" + backend.url("/v1"));
    properties.add("spring.ai.openai.api-key=sk-test-123");
    properties.add("spring.ai.openai.custom-headers.x-consumer-id=team-a");
    properties.add("spring.ai.openai.chat.options.model=gpt-4o");
    properties.add("spring.ai.openai.chat.options.max-tokens=50");
    properties.add("ai-gateway.consumer-key.header=x-consumer-id");
    properties.addAll(List.of(gatewayProperties));
    app =
        new SpringApplicationBuilder(application)
            .web(WebApplicationType.NONE)
            .properties(properties.toArray(String[]::new))
            .run();
    return app.getBean(ChatModel.class);
  }

  private List<GatewayEvent> events() {
    return app.getBean(App.class).events;
  }

  @Test
  void aChatCallIsGovernedAndSettledOnTheReportedUsage() throws Exception {
    backend.enqueue(json(completion("Hello there", 12, 3)));
    ChatModel chat = start("ai-gateway.limits[0].tokens-per-minute=100000");

    String answer = chat.call("Say hello");

    assertThat(answer).isEqualTo("Hello there");
    assertThat(events()).hasSize(1);
    GatewayEvent event = events().get(0);
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.consumer()).isEqualTo("team-a");
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(15);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    RecordedRequest sent = backend.takeRequest();
    assertThat(sent.getPath()).isEqualTo("/v1/chat/completions");
    assertThat(sent.getHeader("x-consumer-id")).isNull(); // a gateway header stays local
    assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer sk-test-123");
  }

  @Test
  void aStreamedCallIsGovernedAndSettledOnTheReportedUsage() {
    backend.enqueue(sse(stream(List.of("Hel", "lo", " there"), 9, 3)));
    ChatModel chat = start("ai-gateway.limits[0].tokens-per-minute=100000");

    List<ChatResponse> chunks = chat.stream(new Prompt("Say hello")).collectList().block();

    String text =
        chunks.stream()
            .filter(r -> r.getResult() != null && r.getResult().getOutput().getText() != null)
            .map(r -> r.getResult().getOutput().getText())
            .collect(Collectors.joining());
    assertThat(text).isEqualTo("Hello there");
    assertThat(events()).hasSize(1);
    GatewayEvent event = events().get(0);
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(12);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
  }

  @Test
  void aStreamTheAppCancelsEarlyEndsInExactlyOneEventChargedForWhatWasRead() throws Exception {
    List<String> words = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      words.add("word" + i + " ");
    }
    // Sent slowly, so the cancellation lands while the backend is still streaming.
    backend.enqueue(sse(stream(words, 9, 200)).throttleBody(256, 20, TimeUnit.MILLISECONDS));
    ChatModel chat = start("ai-gateway.limits[0].tokens-per-minute=100000");

    List<ChatResponse> firstTwo =
        chat.stream(new Prompt("Say hello")).take(2).collectList().block();

    assertThat(firstTwo).hasSize(2);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (events().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    Thread.sleep(300);
    assertThat(events()).hasSize(1);
    GatewayEvent event = events().get(0);
    assertThat(event.stream()).isTrue();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    // Charged on the text the app read (the default closed-stream charge), not the 200 the
    // backend would have reported at the end, and not nothing.
    assertThat(event.usage().tokens().outputTokens()).isPositive().isLessThan(200);
  }

  @Test
  void aRepeatedCallIsAnsweredFromTheCache() {
    backend.enqueue(json(completion("Hello there", 12, 3)));
    ChatModel chat = start("ai-gateway.cache.enabled=true", "ai-gateway.cache.ttl=5m");

    assertThat(chat.call("Say hello")).isEqualTo("Hello there");
    assertThat(chat.call("Say hello")).isEqualTo("Hello there");

    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(events()).hasSize(2);
    assertThat(events().get(1).cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
  }

  @Test
  void aSpentQuotaIsSpringAisPermissionErrorAtOnce() {
    backend.enqueue(json(completion("Hello there", 80, 15)));
    ChatModel chat =
        start("ai-gateway.limits[0].quota=100", "ai-gateway.limits[0].quota-period=daily");
    chat.call("Say hello");

    long start = System.nanoTime();
    Throwable error = catchThrowable(() -> chat.call("Say hello again"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(error).isInstanceOf(PermissionDeniedException.class);
    assertThat(error).hasMessageContaining("quota");
    assertThat(events()).hasSize(2); // one answered, one rejected: no retry
    assertThat(events().get(1).outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(backend.getRequestCount()).isEqualTo(1);
    System.out.println("spent quota: Spring AI error after " + took.toMillis() + " ms");
    assertThat(took).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void aRateLimitWithALongWaitIsSpringAisRateLimitErrorAtOnce() {
    backend.enqueue(json(completion("Hello there", 80, 15)));
    ChatModel chat = start("ai-gateway.limits[0].tokens-per=100", "ai-gateway.limits[0].period=1h");
    chat.call("Say hello");

    long start = System.nanoTime();
    Throwable error = catchThrowable(() -> chat.call("Say hello again"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(error).isInstanceOf(RateLimitException.class);
    assertThat(events()).hasSize(2);
    assertThat(events().get(1).outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(backend.getRequestCount()).isEqualTo(1);
    System.out.println("long rate-limit wait: Spring AI error after " + took.toMillis() + " ms");
    assertThat(took).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void aRateLimitWithAWaitBeyondTheSdksEightSecondsIsSpringAisRateLimitErrorAtOnce() {
    backend.enqueue(json(completion("Hello there", 80, 15)));
    // 100 tokens per minute: the second call's estimate fits again in about half a minute, longer
    // than the 8 s openai-java waits at most (it would retry after 8 s, into the same rejection).
    ChatModel chat = start("ai-gateway.limits[0].tokens-per-minute=100");
    chat.call("Say hello");

    long start = System.nanoTime();
    Throwable error = catchThrowable(() -> chat.call("Say hello again"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(error).isInstanceOf(RateLimitException.class);
    assertThat(took).isLessThan(Duration.ofSeconds(4));
    assertThat(events()).hasSize(2);
    assertThat(events().get(1).outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(backend.getRequestCount()).isEqualTo(1);
  }

  /** The gateway's interceptor alone, as an application could add it by hand: no advice. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class InterceptorOnlyApp extends App {
    @Bean
    OpenAiHttpClientBuilderCustomizer interceptorOnly(AiGateway gateway) {
      return builder -> builder.interceptor(OkHttpAiGateway.interceptor(gateway));
    }
  }

  @Test
  void withoutTheAdviceTheSdkRetriesALongWaitRejectionOnItsOwnBackoff() {
    backend.enqueue(json(completion("Hello there", 80, 15)));
    ChatModel chat =
        start(
            InterceptorOnlyApp.class,
            "ai-gateway.govern-spring-ai=false",
            "ai-gateway.limits[0].tokens-per=100",
            "ai-gateway.limits[0].period=1h",
            "spring.ai.openai.max-retries=1"); // one retry shows it; the default 3 take ~24 s
    chat.call("Say hello");

    long start = System.nanoTime();
    Throwable error = catchThrowable(() -> chat.call("Say hello again"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(error).isInstanceOf(RateLimitException.class);
    // 1 answered, then the rejected call and its retry (spring.ai.openai.max-retries).
    assertThat(events()).hasSize(3);
    assertThat(backend.getRequestCount()).isEqualTo(1);
    System.out.println(
        "long rate-limit wait without the advice: 2 rejected calls, error after "
            + took.toMillis()
            + " ms");
  }

  @Test
  void aThrownRejectionIsStillSpringAisRateLimitErrorAndNotRetried() {
    backend.enqueue(json(completion("Hello there", 80, 15)));
    ChatModel chat =
        start(
            "ai-gateway.limits[0].tokens-per=100",
            "ai-gateway.limits[0].period=1h",
            "ai-gateway.throw-on-rejection=true");
    chat.call("Say hello");

    long start = System.nanoTime();
    Throwable error = catchThrowable(() -> chat.call("Say hello again"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(error).isInstanceOf(RateLimitException.class);
    assertThat(events()).hasSize(2);
    System.out.println("thrown rejection: Spring AI error after " + took.toMillis() + " ms");
    assertThat(took).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void aRateLimitWithAShortWaitIsWaitedOutBySpringAi() {
    backend.enqueue(json(completion("Hello there", 5_950, 40)));
    backend.enqueue(json(completion("Hello again", 12, 3)));
    ChatModel chat = start("ai-gateway.limits[0].tokens-per-minute=6000");
    chat.call("Say hello");

    long start = System.nanoTime();
    String answer = chat.call("Say hello again");
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(answer).isEqualTo("Hello again");
    List<CallOutcome> outcomes = events().stream().map(GatewayEvent::outcome).toList();
    assertThat(outcomes).startsWith(CallOutcome.SUCCESS).endsWith(CallOutcome.SUCCESS);
    assertThat(outcomes).contains(CallOutcome.REJECTED);
    assertThat(backend.getRequestCount()).isEqualTo(2);
    System.out.println(
        "short rate-limit wait: "
            + (outcomes.size() - 1)
            + " gateway calls, answered after "
            + took.toMillis()
            + " ms");
  }

  @Test
  @ExtendWith(OutputCaptureExtension.class)
  void aBadPropertyStopsStartupWithSpringBootsReportNamingIt(CapturedOutput output) {
    Throwable failure = catchThrowable(() -> start("ai-gateway.limits[0].tokens-per-minute=-5"));

    assertThat(failure).hasStackTraceContaining("ai-gateway.limits[0].tokens-per-minute");
    assertThat(output)
        .contains("APPLICATION FAILED TO START")
        .contains("Correct the property 'ai-gateway.limits[0].tokens-per-minute'");
  }

  @Test
  void theApplicationsOkHttpClientBeanIsGovernedBySameGateway() {
    start();
    assertThat(OkHttpAiGateway.isGoverned(app.getBean(OkHttpClient.class))).isTrue();
  }

  /** A listener and a customizer that use Spring AI's chat model (a summarizer, a judge). */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class ChatModelUsingBeansApp extends App {
    @Bean
    GatewayListener summarizer(ChatModel chat) {
      assertThat(chat).isNotNull();
      return event -> {};
    }

    @Bean
    AiGatewayBuilderCustomizer judge(ChatModel chat) {
      return builder -> assertThat(chat).isNotNull();
    }
  }

  @Test
  void aListenerAndACustomizerThatUseSpringAisChatModelStartAndItsCallsAreGoverned() {
    backend.enqueue(json(completion("Hello there", 12, 3)));
    ChatModel chat =
        start(ChatModelUsingBeansApp.class, "ai-gateway.limits[0].tokens-per-minute=100000");

    assertThat(chat.call("Say hello")).isEqualTo("Hello there");

    assertThat(events()).hasSize(1);
    assertThat(events().get(0).usage().tokens().totalTokens()).isEqualTo(15);
    assertThat(events().get(0).consumer()).isEqualTo("team-a");
  }

  /** A worker that calls Spring AI's chat model on its own thread and waits for it on close. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class ChatWorkerApp extends App {
    @Bean
    ChatWorker chatWorker(ChatModel chat) {
      return new ChatWorker(chat);
    }
  }

  static final class ChatWorker implements AutoCloseable {
    private final ChatModel chat;
    private final java.util.concurrent.ExecutorService threads =
        java.util.concurrent.Executors.newSingleThreadExecutor();

    ChatWorker(ChatModel chat) {
      this.chat = chat;
    }

    void submit(String prompt) {
      threads.execute(() -> chat.call(prompt));
    }

    @Override
    public void close() throws InterruptedException {
      threads.shutdown();
      threads.awaitTermination(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void aChatCallThatEndsWhileTheApplicationClosesIsStillInThePromptLog() throws Exception {
    backend.enqueue(
        json(completion("Ending-9c2e", 12, 3)).setBodyDelay(700, TimeUnit.MILLISECONDS));
    start(ChatWorkerApp.class, "ai-gateway.prompt-log.enabled=true");
    // Attached after startup: Spring Boot's logging system configures logback at startup.
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
      app.getBean(ChatWorker.class).submit("Say hello");
      // The call is in flight (its answer delayed) when the application closes.
      assertThat(backend.takeRequest(60, TimeUnit.SECONDS)).isNotNull();
      app.close();
      app = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (records.list.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(records.list)
          .extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
          .anySatisfy(record -> assertThat(record).contains("Ending-9c2e"));
    } finally {
      prompts.detachAppender(records);
      prompts.setLevel(level);
    }
  }

  private static MockResponse json(String body) {
    return new MockResponse().setHeader("content-type", "application/json").setBody(body);
  }

  private static MockResponse sse(String body) {
    return new MockResponse().setHeader("content-type", "text/event-stream").setBody(body);
  }
}
