package dev.aigateway.examples.sdk;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.examples.server.LocalOpenAiServer;
import dev.aigateway.langchain4j.GatewayRejectionException;
import dev.aigateway.langchain4j.GovernedHttpClientBuilder;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * LangChain4j's OpenAI chat models, governed: a chat call, a streamed one, and a call a spent
 * hourly quota refuses, which fails at once as a non-retriable {@link GatewayRejectionException}.
 * Runs against the embedded {@link LocalOpenAiServer}.
 */
public final class LangChain4jExample {

  private LangChain4jExample() {}

  /** Runs the example and prints what happened. */
  public static void main(String[] args) throws Exception {
    run(System.out);
  }

  /** Runs the example against a local server, printing to {@code out}. */
  public static SdkOutcome run(PrintStream out)
      throws InterruptedException, ExecutionException, TimeoutException {
    try (LocalOpenAiServer server = LocalOpenAiServer.builder().completionWords(12).start()) {
      List<GatewayEvent> events = new CopyOnWriteArrayList<>();
      AiGateway gateway =
          AiGateway.builder()
              .consumerKey(KeyResolvers.header("x-consumer-id"))
              .tokenLimit(TokenLimit.perConsumer().quota(100, dev.aigateway.api.QuotaPeriod.HOURLY))
              .listener(events::add)
              .build();
      GovernedHttpClientBuilder http = GovernedHttpClientBuilder.of(gateway);
      Map<String, String> consumer = Map.of("x-consumer-id", "team-a");
      ChatModel chat =
          OpenAiChatModel.builder()
              .httpClientBuilder(http)
              .baseUrl(server.url("/v1"))
              .apiKey("sk-local-example")
              .modelName("gpt-4o-mini")
              .maxTokens(40)
              .customHeaders(consumer)
              .timeout(Duration.ofSeconds(10))
              .build();
      StreamingChatModel streaming =
          OpenAiStreamingChatModel.builder()
              .httpClientBuilder(http)
              .baseUrl(server.url("/v1"))
              .apiKey("sk-local-example")
              .modelName("gpt-4o-mini")
              .maxTokens(40)
              .customHeaders(consumer)
              .build();

      String answer = chat.chat("Write one line about gateways.");
      out.println("answer:   " + answer);

      StringBuilder streamed = new StringBuilder();
      CompletableFuture<ChatResponse> done = new CompletableFuture<>();
      streaming.chat(
          "Write one line about gateways.",
          new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
              streamed.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
              done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
              done.completeExceptionally(error);
            }
          });
      done.get(10, TimeUnit.SECONDS);
      out.println("streamed: " + streamed);

      boolean refused = false;
      try {
        chat.chat("Write one more line about gateways.");
      } catch (GatewayRejectionException e) {
        refused = true;
        out.println("refused:  GatewayRejectionException, status " + e.statusCode());
      }
      return SdkOutcome.printed(out, answer, streamed.toString(), refused, events);
    }
  }
}
