package dev.aigateway.examples.sdk;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.ClientOptions;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.RateLimitException;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.aigateway.anthropic.GovernedAnthropic;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.core.AiGateway;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The official Anthropic Java SDK, governed: a message, a streamed one, and a call the consumer's
 * token limit (100 tokens an hour) refuses for minutes, which the SDK reports as its own {@code
 * RateLimitException} at once instead of retrying into the same refusal. Runs against a small
 * embedded server that answers {@code POST /v1/messages} as Anthropic's API reference shows (a
 * message, or its event stream); {@link #main} prints what happened, {@link #run} returns it.
 */
public final class AnthropicJavaExample {

  private static final String ANSWER = "Gateways keep every call within its budget.";

  private AnthropicJavaExample() {}

  /** Runs the example and prints what happened. */
  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the example against a local server, printing to {@code out}. */
  public static SdkOutcome run(PrintStream out) {
    HttpServer server = localMessagesServer();
    try {
      List<GatewayEvent> events = new CopyOnWriteArrayList<>();
      // Consumers by x-consumer-id, 100 tokens an hour each: the third call is refused.
      AiGateway gateway = ExampleGateway.hundredTokensAnHour(events);
      // The SDK's own options; the gateway only supplies the HTTP client.
      AnthropicClient client =
          GovernedAnthropic.client(
              gateway,
              ClientOptions.builder()
                  .baseUrl("http://127.0.0.1:" + server.getAddress().getPort())
                  .putHeader("x-api-key", "sk-ant-local-example")
                  .putHeader("x-consumer-id", "team-a"));
      MessageCreateParams params =
          MessageCreateParams.builder()
              .model("claude-sonnet-4-5")
              .maxTokens(40)
              .addUserMessage("Write one line about gateways.")
              .build();

      Message message = client.messages().create(params);
      String answer = message.content().get(0).text().map(t -> t.text()).orElse("");
      out.println("answer:   " + answer);

      StringBuilder streamed = new StringBuilder();
      try (StreamResponse<RawMessageStreamEvent> stream =
          client.messages().createStreaming(params)) {
        stream.stream()
            .forEach(
                e ->
                    e.contentBlockDelta()
                        .flatMap(d -> d.delta().text())
                        .ifPresent(t -> streamed.append(t.text())));
      }
      out.println("streamed: " + streamed);

      boolean refused = false;
      try {
        client.messages().create(params);
      } catch (RateLimitException e) {
        refused = true;
        out.println("refused:  RateLimitException, status " + e.statusCode());
      }
      return SdkOutcome.printed(out, answer, streamed.toString(), refused, events);
    } finally {
      server.stop(0);
    }
  }

  /** A server on a free local port answering Messages calls with fixed, documented shapes. */
  private static HttpServer localMessagesServer() {
    try {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext("/v1/messages", AnthropicJavaExample::answer);
      server.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void answer(HttpExchange exchange) throws IOException {
    String request = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    boolean stream = request.replace(" ", "").contains("\"stream\":true");
    String body = stream ? stream() : message();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange
        .getResponseHeaders()
        .set("content-type", stream ? "text/event-stream" : "application/json");
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String message() {
    return "{\"id\":\"msg_local\",\"type\":\"message\",\"role\":\"assistant\","
        + "\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[{\"type\":\"text\",\"text\":\""
        + ANSWER
        + "\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
        + "\"usage\":{\"input_tokens\":14,\"output_tokens\":10}}";
  }

  private static String stream() {
    StringBuilder s = new StringBuilder();
    event(
        s,
        "message_start",
        "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_local\",\"type\":\"message\","
            + "\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5-20250929\","
            + "\"stop_reason\":null,\"stop_sequence\":null,"
            + "\"usage\":{\"input_tokens\":14,\"output_tokens\":1}}}");
    event(
        s,
        "content_block_start",
        "{\"type\":\"content_block_start\",\"index\":0,"
            + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
    for (String word : ANSWER.split("(?<= )")) {
      event(
          s,
          "content_block_delta",
          "{\"type\":\"content_block_delta\",\"index\":0,"
              + "\"delta\":{\"type\":\"text_delta\",\"text\":\""
              + word
              + "\"}}");
    }
    event(s, "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
    event(
        s,
        "message_delta",
        "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
            + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":10}}");
    event(s, "message_stop", "{\"type\":\"message_stop\"}");
    return s.toString();
  }

  private static void event(StringBuilder s, String name, String data) {
    s.append("event: ").append(name).append("\ndata: ").append(data).append("\n\n");
  }
}
