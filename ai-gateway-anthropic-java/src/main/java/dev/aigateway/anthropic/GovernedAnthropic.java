package dev.aigateway.anthropic;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.AnthropicClientAsync;
import com.anthropic.client.AnthropicClientAsyncImpl;
import com.anthropic.client.AnthropicClientImpl;
import com.anthropic.core.ClientOptions;
import dev.aigateway.core.AiGateway;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.util.Objects;
import okhttp3.OkHttpClient;

/**
 * Governed clients of the official Anthropic Java SDK in one line: every Messages call the returned
 * client makes goes through the gateway (limits, routing, cache, telemetry) on an OkHttp client the
 * gateway wraps.
 *
 * <pre>{@code
 * AnthropicClient claude = GovernedAnthropic.client(gateway, ClientOptions.builder()
 *     .backend(AnthropicBackend.builder().apiKey(System.getenv("ANTHROPIC_API_KEY")).build()));
 *
 * Message answer = claude.messages().create(MessageCreateParams.builder()
 *     .model(Model.CLAUDE_SONNET_4_5)
 *     .maxTokens(1024)
 *     .addUserMessage("Hello, Claude")
 *     .build());
 * }</pre>
 *
 * The options are the SDK's own ({@code backend}, {@code maxRetries}, {@code timeout}, ...); this
 * class only sets their HTTP client, a {@link GovernedHttpClient}. How rejections surface: see
 * {@link GovernedHttpClient}. Token counting ({@code messages().countTokens}) passes through the
 * same client ungoverned: it is free and produces nothing.
 *
 * <p>Unlike openai-java's, the SDK's own {@code AnthropicOkHttpClient} builder takes no OkHttp
 * client of the application's, so an SDK HTTP client of the gateway's is the way to govern it.
 */
public final class GovernedAnthropic {

  private GovernedAnthropic() {}

  /** A governed client on a new OkHttp client (its own connection pool and dispatcher). */
  public static AnthropicClient client(AiGateway gateway, ClientOptions.Builder options) {
    return client(OkHttpAiGateway.wrap(new OkHttpClient(), gateway), options);
  }

  /**
   * A governed client on {@code wrappedClient}, a client {@link OkHttpAiGateway#wrap} returned (so
   * the application's pool, dispatcher, TLS and interceptors are kept).
   */
  public static AnthropicClient client(OkHttpClient wrappedClient, ClientOptions.Builder options) {
    return new AnthropicClientImpl(options(wrappedClient, options));
  }

  /** An asynchronous governed client on a new OkHttp client. */
  public static AnthropicClientAsync clientAsync(AiGateway gateway, ClientOptions.Builder options) {
    return clientAsync(OkHttpAiGateway.wrap(new OkHttpClient(), gateway), options);
  }

  /** An asynchronous governed client on {@code wrappedClient}. */
  public static AnthropicClientAsync clientAsync(
      OkHttpClient wrappedClient, ClientOptions.Builder options) {
    return new AnthropicClientAsyncImpl(options(wrappedClient, options));
  }

  private static ClientOptions options(OkHttpClient wrappedClient, ClientOptions.Builder options) {
    Objects.requireNonNull(options, "options");
    return options.httpClient(GovernedHttpClient.of(wrappedClient)).build();
  }
}
