package dev.aigateway.examples.sdk;

import com.azure.ai.openai.OpenAIClient;
import com.azure.ai.openai.OpenAIClientBuilder;
import com.azure.ai.openai.models.ChatCompletionStreamOptions;
import com.azure.ai.openai.models.ChatCompletions;
import com.azure.ai.openai.models.ChatCompletionsOptions;
import com.azure.ai.openai.models.ChatRequestUserMessage;
import com.azure.core.credential.AzureKeyCredential;
import com.azure.core.exception.HttpResponseException;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.azure.sdk.GovernedAzureSdk;
import dev.aigateway.core.AiGateway;
import dev.aigateway.examples.server.LocalOpenAiServer;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * The Azure OpenAI SDK ({@code azure-ai-openai}), governed: a chat call, a streamed one, and a call
 * the consumer's token limit (100 tokens an hour) refuses for minutes, which the SDK reports as its
 * {@code HttpResponseException} at once instead of sleeping through azure-core's retries. Runs
 * against the embedded {@link LocalOpenAiServer} on HTTPS (Azure SDKs send keys over TLS only),
 * with a certificate made for the run; {@link #main} prints what happened, {@link #run} returns it.
 */
public final class AzureOpenAiExample {

  private AzureOpenAiExample() {}

  /** Runs the example and prints what happened. */
  public static void main(String[] args) {
    run(System.out);
  }

  /**
   * The options of one call, made anew for each: the SDK's {@code getChatCompletionsStream} sets
   * {@code stream} on the options it is given and {@code getChatCompletions} does not clear it, so
   * options reused after a stream would send the next chat call as a stream, answered as an event
   * stream, not the JSON document that call expects.
   */
  private static ChatCompletionsOptions options() {
    return new ChatCompletionsOptions(
            List.of(new ChatRequestUserMessage("Write one line about gateways.")))
        .setMaxTokens(40);
  }

  /** Runs the example against a local HTTPS server, printing to {@code out}. */
  public static SdkOutcome run(PrintStream out) {
    HeldCertificate localhost =
        new HeldCertificate.Builder().addSubjectAlternativeName("localhost").build();
    HandshakeCertificates serverTls =
        new HandshakeCertificates.Builder().heldCertificate(localhost).build();
    HandshakeCertificates clientTls =
        new HandshakeCertificates.Builder().addTrustedCertificate(localhost.certificate()).build();
    try (LocalOpenAiServer server =
        LocalOpenAiServer.builder().completionWords(12).startHttps(serverTls.sslContext())) {
      List<GatewayEvent> events = new CopyOnWriteArrayList<>();
      // Consumers by x-consumer-id, 100 tokens an hour each: the third call is refused.
      AiGateway gateway = ExampleGateway.hundredTokensAnHour(events);
      // The application's own OkHttp client (here: trusting the local certificate), wrapped.
      OkHttpClient appClient =
          new OkHttpClient.Builder()
              .sslSocketFactory(clientTls.sslSocketFactory(), clientTls.trustManager())
              .build();
      OpenAIClient client =
          new OpenAIClientBuilder()
              .endpoint(server.baseUrl())
              .credential(new AzureKeyCredential("azure-local-example-key"))
              .httpClient(GovernedAzureSdk.httpClient(OkHttpAiGateway.wrap(appClient, gateway)))
              .retryPolicy(GovernedAzureSdk.retryPolicy())
              .addPolicy(
                  (context, next) -> {
                    context.getHttpRequest().setHeader("x-consumer-id", "team-a");
                    return next.process();
                  })
              .buildClient();
      ChatCompletions completion = client.getChatCompletions("gpt-4o-mini", options());
      String answer = completion.getChoices().get(0).getMessage().getContent();
      out.println("answer:   " + answer);

      StringBuilder streamed = new StringBuilder();
      client
          .getChatCompletionsStream(
              "gpt-4o-mini", options(), new ChatCompletionStreamOptions().setIncludeUsage(true))
          .forEach(
              chunk ->
                  chunk.getChoices().stream()
                      .filter(c -> c.getDelta() != null && c.getDelta().getContent() != null)
                      .forEach(c -> streamed.append(c.getDelta().getContent())));
      out.println("streamed: " + streamed);

      boolean refused = false;
      try {
        client.getChatCompletions("gpt-4o-mini", options());
      } catch (HttpResponseException e) {
        refused = true;
        out.println(
            "refused:  HttpResponseException "
                + e.getResponse().getStatusCode()
                + " ("
                + e.getResponse().getHeaderValue("x-ai-gateway-rejected")
                + ")");
      }
      return SdkOutcome.printed(out, answer, streamed.toString(), refused, events);
    }
  }
}
