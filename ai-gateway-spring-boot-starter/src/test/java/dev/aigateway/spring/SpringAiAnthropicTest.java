package dev.aigateway.spring;

import static dev.aigateway.testing.AnthropicBodies.message;
import static dev.aigateway.testing.AnthropicBodies.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.UsageSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot application with Spring AI's Anthropic starter and this starter, configured by
 * properties only: Spring AI's auto-configured {@code AnthropicChatModel} (the real jars, on the
 * Anthropic Java SDK over OkHttp 4.12.0) calls a local Anthropic-shaped backend through the
 * gateway, which reads the Messages format's usage and answers its rejections in Anthropic's error
 * shape.
 */
class SpringAiAnthropicTest {

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
    backend.shutdown();
  }

  /** The application: nothing but auto-configuration and a listener. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    final List<GatewayEvent> events = new CopyOnWriteArrayList<>();

    @Bean
    GatewayListener recordingListener() {
      return events::add;
    }
  }

  private ChatModel start(String... gatewayProperties) {
    String url = backend.url("/").toString();
    List<String> properties = new ArrayList<>();
    properties.add("spring.ai.model.chat=anthropic");
    // OpenAI's starter is on the class path too; its other models want a key to start.
    properties.add("spring.ai.openai.api-key=sk-unused-openai-key");
    properties.add("spring.ai.anthropic.base-url=" + url.substring(0, url.length() - 1));
    properties.add("spring.ai.anthropic.api-key=sk-ant-test-not-a-real-key");
    properties.add("spring.ai.anthropic.chat.options.model=claude-sonnet-4-5");
    properties.add("spring.ai.anthropic.chat.options.max-tokens=50");
    properties.addAll(List.of(gatewayProperties));
    app =
        new SpringApplicationBuilder(App.class)
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
    backend.enqueue(json(message("Hello there", 12, 3)));
    ChatModel chat = start("ai-gateway.limits[0].tokens-per-minute=100000");

    String answer = chat.call("Say hello");

    assertThat(answer).isEqualTo("Hello there");
    assertThat(events()).hasSize(1);
    GatewayEvent event = events().get(0);
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(12);
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(3);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    RecordedRequest sent = backend.takeRequest();
    assertThat(sent.getPath()).isEqualTo("/v1/messages");
    assertThat(sent.getHeader("x-api-key")).isEqualTo("sk-ant-test-not-a-real-key");
  }

  @Test
  void aStreamedCallIsGovernedAndSettledOnTheReportedUsage() {
    backend.enqueue(sse(stream(9, 3, "Hel", "lo", " there")));
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
    assertThat(event.stream()).isTrue();
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(9);
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(3);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
  }

  @Test
  void aSpentQuotaFailsAtOnceInAnthropicsErrorShapeWithoutRetries() {
    backend.enqueue(json(message("first", 40, 10)));
    ChatModel chat =
        start("ai-gateway.limits[0].quota=60", "ai-gateway.limits[0].quota-period=monthly");
    chat.call("Say hello");

    Throwable refused = catchThrowable(() -> chat.call("Say hello"));

    assertThat(refused).isNotNull();
    assertThat(refused.toString() + causes(refused)).contains("rate_limit_error");
    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(events()).hasSize(2); // the SDK did not retry the refusal
    assertThat(events().get(1).rejection()).isEqualTo(RejectionReason.TOKEN_QUOTA);
  }

  private static String causes(Throwable t) {
    StringBuilder s = new StringBuilder();
    for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
      s.append(" / ").append(c);
    }
    return s.toString();
  }

  private static MockResponse json(String body) {
    return new MockResponse().setHeader("content-type", "application/json").setBody(body);
  }

  private static MockResponse sse(String body) {
    return new MockResponse().setHeader("content-type", "text/event-stream").setBody(body);
  }
}
