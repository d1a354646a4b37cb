package dev.aigateway.examples.sdk;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.examples.server.LocalOpenAiServer;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * Spring AI, governed by nothing but properties: {@code ai-gateway-spring-boot-starter} on the
 * class path builds the gateway from {@code ai-gateway.*} and puts it under Spring AI's OpenAI chat
 * model. A chat call, a streamed one, and a call the consumer's token limit (100 tokens an hour)
 * refuses, which Spring AI reports as the SDK's {@code RateLimitException} at once. Runs against
 * the embedded {@link LocalOpenAiServer}; {@link #main} prints what happened, {@link #run} returns
 * it.
 */
public final class SpringAiExample {

  /** The application: auto-configuration and a listener that keeps the gateway's events. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class Application {
    final List<GatewayEvent> events = new CopyOnWriteArrayList<>();

    @Bean
    GatewayListener keepEvents() {
      return events::add;
    }
  }

  private SpringAiExample() {}

  /** Runs the example and prints what happened. */
  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the example against a local server, printing to {@code out}. */
  public static SdkOutcome run(PrintStream out) {
    try (LocalOpenAiServer server = LocalOpenAiServer.builder().completionWords(12).start();
        ConfigurableApplicationContext app =
            new SpringApplicationBuilder(Application.class)
                .web(WebApplicationType.NONE)
                .logStartupInfo(false)
                .properties(
                    // Spring AI's own properties ...
                    "spring.ai.openai.base-url=" + server.url("/v1"),
                    "spring.ai.openai.api-key=sk-local-example",
                    "spring.ai.openai.custom-headers.x-consumer-id=team-a",
                    "spring.ai.openai.chat.options.model=gpt-4o-mini",
                    "spring.ai.openai.chat.options.max-tokens=40",
                    // ... and the gateway's.
                    "ai-gateway.consumer-key.header=x-consumer-id",
                    "ai-gateway.limits[0].tokens-per=100",
                    "ai-gateway.limits[0].period=1h")
                .run()) {
      ChatModel chat = app.getBean(ChatModel.class);
      List<GatewayEvent> events = app.getBean(Application.class).events;

      String answer = chat.call("Write one line about gateways.");
      out.println("answer:   " + answer);

      String streamed =
          chat.stream(new Prompt("Write one line about gateways."))
              .toStream()
              .filter(r -> r.getResult() != null && r.getResult().getOutput().getText() != null)
              .map(r -> r.getResult().getOutput().getText())
              .collect(Collectors.joining());
      out.println("streamed: " + streamed);

      boolean refused = false;
      try {
        chat.call("Write one line about gateways.");
      } catch (RuntimeException e) {
        refused = true;
        out.println("refused:  " + e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      return SdkOutcome.printed(out, answer, streamed, refused, events);
    }
  }
}
