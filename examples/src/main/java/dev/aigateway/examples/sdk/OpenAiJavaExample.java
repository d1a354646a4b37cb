package dev.aigateway.examples.sdk;

import com.openai.client.OpenAIClient;
import com.openai.core.ClientOptions;
import com.openai.core.http.StreamResponse;
import com.openai.errors.RateLimitException;
import com.openai.models.ChatModel;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.core.AiGateway;
import dev.aigateway.examples.server.LocalOpenAiServer;
import dev.aigateway.openai.GovernedOpenAi;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The official OpenAI Java SDK, governed: a chat call, a streamed one, and a call the consumer's
 * token limit (100 tokens an hour) refuses for minutes, which the SDK reports as its own {@code
 * RateLimitException} at once instead of retrying into the same refusal. Runs against the embedded
 * {@link LocalOpenAiServer}; {@link #main} prints what happened, {@link #run} returns it.
 */
public final class OpenAiJavaExample {

  private OpenAiJavaExample() {}

  /** Runs the example and prints what happened. */
  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the example against a local server, printing to {@code out}. */
  public static SdkOutcome run(PrintStream out) {
    try (LocalOpenAiServer server = LocalOpenAiServer.builder().completionWords(12).start()) {
      List<GatewayEvent> events = new CopyOnWriteArrayList<>();
      // Consumers by x-consumer-id, 100 tokens an hour each: the third call is refused.
      AiGateway gateway = ExampleGateway.hundredTokensAnHour(events);
      // The SDK's own options; the gateway only supplies the HTTP client.
      OpenAIClient client =
          GovernedOpenAi.client(
              gateway,
              ClientOptions.builder()
                  .baseUrl(server.url("/v1"))
                  .apiKey("sk-local-example")
                  .putHeader("x-consumer-id", "team-a"));
      ChatCompletionCreateParams params =
          ChatCompletionCreateParams.builder()
              .model(ChatModel.GPT_4O_MINI)
              .addUserMessage("Write one line about gateways.")
              .maxCompletionTokens(40)
              .build();

      ChatCompletion completion = client.chat().completions().create(params);
      String answer = completion.choices().get(0).message().content().orElse("");
      out.println("answer:   " + answer);

      StringBuilder streamed = new StringBuilder();
      try (StreamResponse<ChatCompletionChunk> stream =
          client.chat().completions().createStreaming(params)) {
        stream.stream()
            .forEach(
                c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(streamed::append)));
      }
      out.println("streamed: " + streamed);

      boolean refused = false;
      try {
        client.chat().completions().create(params);
      } catch (RateLimitException e) {
        refused = true;
        out.println("refused:  RateLimitException, status " + e.statusCode());
      }
      return SdkOutcome.printed(out, answer, streamed.toString(), refused, events);
    }
  }
}
