package dev.aigateway.openai;

import com.openai.client.OpenAIClient;
import com.openai.client.OpenAIClientAsync;
import com.openai.client.OpenAIClientAsyncImpl;
import com.openai.client.OpenAIClientImpl;
import com.openai.core.ClientOptions;
import dev.aigateway.core.AiGateway;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.util.Objects;
import okhttp3.OkHttpClient;

/**
 * Governed clients of the official OpenAI Java SDK in one line: every call the returned client
 * makes goes through the gateway (limits, routing, cache, telemetry) on an OkHttp client the
 * gateway wraps.
 *
 * <pre>{@code
 * OpenAIClient openAi = GovernedOpenAi.client(gateway, ClientOptions.builder()
 *     .apiKey(System.getenv("OPENAI_API_KEY")));          // OpenAI
 *
 * OpenAIClient azure = GovernedOpenAi.client(gateway, ClientOptions.builder()
 *     .baseUrl("https://my-resource.openai.azure.com/openai/v1")
 *     .apiKey(System.getenv("AZURE_OPENAI_API_KEY")));    // Azure OpenAI
 * }</pre>
 *
 * The options are the SDK's own ({@code baseUrl}, {@code apiKey} or {@code credential}, {@code
 * maxRetries}, {@code timeout}, ...); this class only sets their HTTP client, a {@link
 * GovernedHttpClient}. How rejections surface: see {@link GovernedHttpClient}.
 *
 * <p>The shorter road works too, with the SDK's own HTTP client: {@code
 * OpenAIOkHttpClient.builder().okHttpClient(OkHttpAiGateway.wrap(client, gateway))}. It governs the
 * same calls; what it lacks is the rejection handling above (the SDK then retries a rejection whose
 * wait is beyond 8 s after 8 s, into the same rejection, and a gateway that throws on rejection
 * looks like a network error to it).
 */
public final class GovernedOpenAi {

  private GovernedOpenAi() {}

  /**
   * A governed client on a new OkHttp client (its own connection pool and dispatcher, which runs up
   * to 64 calls to the API host at once, as the SDK's own client's does, and no retry of a
   * connection failure behind the SDK's own retries), released when the returned client is closed.
   */
  public static OpenAIClient client(AiGateway gateway, ClientOptions.Builder options) {
    return new OpenAIClientImpl(options(owned(gateway), options));
  }

  /**
   * A governed client on {@code wrappedClient}, a client {@link OkHttpAiGateway#wrap} returned (so
   * the application's pool, dispatcher, TLS and interceptors are kept).
   */
  public static OpenAIClient client(OkHttpClient wrappedClient, ClientOptions.Builder options) {
    return new OpenAIClientImpl(options(wrappedClient, options));
  }

  /**
   * An asynchronous governed client on a new OkHttp client, released when the returned client is
   * closed.
   */
  public static OpenAIClientAsync clientAsync(AiGateway gateway, ClientOptions.Builder options) {
    return new OpenAIClientAsyncImpl(options(owned(gateway), options));
  }

  /** An asynchronous governed client on {@code wrappedClient}. */
  public static OpenAIClientAsync clientAsync(
      OkHttpClient wrappedClient, ClientOptions.Builder options) {
    return new OpenAIClientAsyncImpl(options(wrappedClient, options));
  }

  /** The HTTP client on a new OkHttp client, released when the SDK client is closed. */
  private static GovernedHttpClient owned(AiGateway gateway) {
    return GovernedHttpClient.owning(OkHttpAiGateway.wrap(ownedOkHttpClient(), gateway));
  }

  /**
   * The OkHttp client the governed clients make for themselves, with the SDK's own OkHttp client's
   * connection settings: it runs as many asynchronous calls to one host at once as in all (OkHttp's
   * 64), not OkHttp's default 5, since every call goes to the one API host; and it does not retry a
   * connection failure itself: the SDK retries (counted in {@code X-Stainless-Retry-Count}, at most
   * {@code maxRetries} times, each attempt a call the gateway governs), and a call whose connection
   * drops after it was sent may have reached the backend already, so OkHttp sending it again unseen
   * would make it twice.
   */
  static OkHttpClient ownedOkHttpClient() {
    OkHttpClient client = new OkHttpClient.Builder().retryOnConnectionFailure(false).build();
    client.dispatcher().setMaxRequestsPerHost(client.dispatcher().getMaxRequests());
    return client;
  }

  private static ClientOptions options(OkHttpClient wrappedClient, ClientOptions.Builder options) {
    return options(GovernedHttpClient.of(wrappedClient), options);
  }

  private static ClientOptions options(GovernedHttpClient http, ClientOptions.Builder options) {
    Objects.requireNonNull(options, "options");
    return options.httpClient(http).build();
  }
}
