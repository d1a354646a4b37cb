package dev.aigateway.anthropic;

import com.anthropic.backends.AnthropicBackend;
import com.anthropic.client.AnthropicClient;
import com.anthropic.client.AnthropicClientAsync;
import com.anthropic.client.AnthropicClientAsyncImpl;
import com.anthropic.client.AnthropicClientImpl;
import com.anthropic.core.ClientOptions;
import dev.aigateway.core.AiGateway;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.time.Duration;
import java.util.Objects;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;

/**
 * Governed clients of the official Anthropic Java SDK in one line: every Messages call the returned
 * client makes goes through the gateway (limits, routing, cache, telemetry) on an OkHttp client the
 * gateway wraps.
 *
 * <pre>{@code
 * AnthropicClient claude = GovernedAnthropic.client(gateway,
 *     AnthropicBackend.fromEnv(),                 // ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, ...
 *     ClientOptions.builder().putHeader("x-consumer-id", "team-a"));
 *
 * Message answer = claude.messages().create(MessageCreateParams.builder()
 *     .model(Model.CLAUDE_SONNET_4_5)
 *     .maxTokens(1024)
 *     .addUserMessage("Hello, Claude")
 *     .build());
 * }</pre>
 *
 * The options are the SDK's own ({@code baseUrl}, {@code maxRetries}, {@code timeout}, headers,
 * ...); this class sets their HTTP client, a {@link GovernedHttpClient}, and, when given an {@link
 * AnthropicBackend}, the base URL and credentials it holds, as the SDK's own {@code
 * AnthropicOkHttpClient} applies them. In SDK 3.16 the key is the backend's, not the options':
 * {@code ClientOptions.Builder.fromEnv()} reads neither {@code ANTHROPIC_API_KEY} nor {@code
 * ANTHROPIC_BASE_URL} (its {@code backend(..)} setter is hidden from Java), so without a backend
 * the options must carry the key themselves ({@code putHeader("x-api-key", key)}) and the base URL
 * ({@code baseUrl(..)}). How rejections surface: see {@link GovernedHttpClient}. Token counting
 * ({@code messages().countTokens}) passes through the same client ungoverned: it is free and
 * produces nothing.
 *
 * <p>What the application passes in stays the application's: closing a client releases only the
 * OkHttp client this class made for it ({@code client(gateway, ..)}), never an OkHttp client the
 * application gave, nor the {@link AnthropicBackend} it gave, which may serve further clients (the
 * SDK's own client closes its backend; {@code AnthropicBackend.close()} releases nothing in 3.16,
 * so closing it stays the application's choice).
 *
 * <p>Unlike openai-java's, the SDK's own {@code AnthropicOkHttpClient} builder takes no OkHttp
 * client of the application's, so an SDK HTTP client of the gateway's is the way to govern it.
 */
public final class GovernedAnthropic {

  private GovernedAnthropic() {}

  /**
   * A governed client on a new OkHttp client (its own connection pool and dispatcher, which runs up
   * to 64 calls to the API host at once, as the SDK's own client's does), released when the
   * returned client is closed.
   */
  public static AnthropicClient client(AiGateway gateway, ClientOptions.Builder options) {
    return new AnthropicClientImpl(options(owned(gateway), null, options));
  }

  /**
   * A governed client on {@code wrappedClient}, a client {@link OkHttpAiGateway#wrap} returned (so
   * the application's pool, dispatcher, TLS and interceptors are kept).
   */
  public static AnthropicClient client(OkHttpClient wrappedClient, ClientOptions.Builder options) {
    return new AnthropicClientImpl(options(wrappedClient, options));
  }

  /**
   * An asynchronous governed client on a new OkHttp client, released when the returned client is
   * closed.
   */
  public static AnthropicClientAsync clientAsync(AiGateway gateway, ClientOptions.Builder options) {
    return new AnthropicClientAsyncImpl(options(owned(gateway), null, options));
  }

  /** An asynchronous governed client on {@code wrappedClient}. */
  public static AnthropicClientAsync clientAsync(
      OkHttpClient wrappedClient, ClientOptions.Builder options) {
    return new AnthropicClientAsyncImpl(options(wrappedClient, options));
  }

  /**
   * A governed client on a new OkHttp client, with the base URL and credentials of {@code backend}
   * ({@code AnthropicBackend.fromEnv()}: {@code ANTHROPIC_API_KEY} or {@code ANTHROPIC_AUTH_TOKEN},
   * {@code ANTHROPIC_BASE_URL}, ...), as the SDK's own client applies them.
   */
  public static AnthropicClient client(
      AiGateway gateway, AnthropicBackend backend, ClientOptions.Builder options) {
    return new AnthropicClientImpl(
        options(owned(gateway), Objects.requireNonNull(backend, "backend"), options));
  }

  /**
   * A governed client on {@code wrappedClient}, a client {@link OkHttpAiGateway#wrap} returned,
   * with the base URL and credentials of {@code backend}.
   */
  public static AnthropicClient client(
      OkHttpClient wrappedClient, AnthropicBackend backend, ClientOptions.Builder options) {
    return new AnthropicClientImpl(
        options(
            GovernedHttpClient.of(wrappedClient),
            Objects.requireNonNull(backend, "backend"),
            options));
  }

  /**
   * An asynchronous governed client on a new OkHttp client, with the base URL and credentials of
   * {@code backend}.
   */
  public static AnthropicClientAsync clientAsync(
      AiGateway gateway, AnthropicBackend backend, ClientOptions.Builder options) {
    return new AnthropicClientAsyncImpl(
        options(owned(gateway), Objects.requireNonNull(backend, "backend"), options));
  }

  /**
   * An asynchronous governed client on {@code wrappedClient}, with the base URL and credentials of
   * {@code backend}.
   */
  public static AnthropicClientAsync clientAsync(
      OkHttpClient wrappedClient, AnthropicBackend backend, ClientOptions.Builder options) {
    return new AnthropicClientAsyncImpl(
        options(
            GovernedHttpClient.of(wrappedClient),
            Objects.requireNonNull(backend, "backend"),
            options));
  }

  private static ClientOptions options(OkHttpClient wrappedClient, ClientOptions.Builder options) {
    return options(GovernedHttpClient.of(wrappedClient), null, options);
  }

  /**
   * The HTTP client on a new OkHttp client, released when the SDK client is closed. As the SDK's
   * own OkHttp client, it runs as many asynchronous calls to one host at once as in all (OkHttp's
   * 64), not OkHttp's default 5: every call goes to the one API host; and it does not retry a
   * connection failure itself: the SDK retries (counted in {@code X-Stainless-Retry-Count}, at most
   * {@code maxRetries} times), and a call whose connection drops after it was sent may have reached
   * the backend already, so OkHttp sending it again unseen would make it twice. It pings an HTTP/2
   * connection every minute, as the SDK's own client does, so a connection that died under a long
   * stream (a model thinking for minutes between events) fails the call instead of leaving it to
   * the read timeout.
   */
  static GovernedHttpClient owned(AiGateway gateway) {
    OkHttpClient client =
        new OkHttpClient.Builder()
            .retryOnConnectionFailure(false)
            .pingInterval(Duration.ofMinutes(1))
            .build();
    client.dispatcher().setMaxRequestsPerHost(client.dispatcher().getMaxRequests());
    return GovernedHttpClient.owning(OkHttpAiGateway.wrap(client, gateway));
  }

  /**
   * The options with the governed HTTP client and, when {@code backend} is given, its base URL and
   * credentials, applied as the SDK's own {@code AnthropicOkHttpClient} applies them (a static key
   * sent as the SDK sends it; a token provider asked through the governed client).
   */
  private static ClientOptions options(
      GovernedHttpClient http, @Nullable AnthropicBackend backend, ClientOptions.Builder options) {
    Objects.requireNonNull(options, "options");
    if (backend != null) {
      options.baseUrl(backend.baseUrl());
      backend.applyCredentials(http, options);
    }
    return options.httpClient(http).build();
  }
}
