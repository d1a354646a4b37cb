package dev.aigateway.langchain4j;

import dev.aigateway.core.AiGateway;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import java.time.Duration;
import java.util.Objects;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;

/**
 * LangChain4j's {@link HttpClientBuilder} over an OkHttp client the gateway wraps: give it to any
 * LangChain4j model built on the HTTP client SPI, and every call the model makes is governed.
 *
 * <pre>{@code
 * ChatModel model = OpenAiChatModel.builder()
 *     .httpClientBuilder(GovernedHttpClientBuilder.of(gateway))
 *     .apiKey(System.getenv("OPENAI_API_KEY"))
 *     .modelName("gpt-4o-mini")
 *     .build();
 * }</pre>
 *
 * Streaming models ({@code OpenAiStreamingChatModel}) stream chunk by chunk, and the gateway
 * settles their calls on the usage the backend reports.
 *
 * <p><b>Rejections.</b> A gateway rejection that a retry can fix soon (a rate limit with capacity
 * back within {@link #maxRetryWait}, default 60 s) reaches LangChain4j as the HTTP error it maps to
 * its own {@code RateLimitException}, which its retry loop retries. One that no retry can fix soon
 * (a spent quota, a call that can never fit, a longer wait) is a {@link GatewayRejectionException},
 * a {@code NonRetriableException}, so the model fails at once. Not thread-safe (a builder); the
 * clients it builds are.
 */
public final class GovernedHttpClientBuilder implements HttpClientBuilder {

  /** The default {@link #maxRetryWait}. */
  public static final Duration DEFAULT_MAX_RETRY_WAIT = Duration.ofSeconds(60);

  private final OkHttpClient wrappedClient;
  private @Nullable Duration connectTimeout;
  private @Nullable Duration readTimeout;
  private Duration maxRetryWait = DEFAULT_MAX_RETRY_WAIT;

  private GovernedHttpClientBuilder(OkHttpClient wrappedClient) {
    this.wrappedClient = wrappedClient;
  }

  /** A builder over a new OkHttp client the gateway wraps. */
  public static GovernedHttpClientBuilder of(AiGateway gateway) {
    return of(OkHttpAiGateway.wrap(new OkHttpClient(), gateway));
  }

  /**
   * A builder over {@code wrappedClient}, a client {@link OkHttpAiGateway#wrap} returned (its pool,
   * dispatcher and interceptors are kept).
   */
  public static GovernedHttpClientBuilder of(OkHttpClient wrappedClient) {
    return new GovernedHttpClientBuilder(Objects.requireNonNull(wrappedClient, "wrappedClient"));
  }

  @Override
  public @Nullable Duration connectTimeout() {
    return connectTimeout;
  }

  @Override
  public GovernedHttpClientBuilder connectTimeout(@Nullable Duration timeout) {
    this.connectTimeout = timeout;
    return this;
  }

  @Override
  public @Nullable Duration readTimeout() {
    return readTimeout;
  }

  @Override
  public GovernedHttpClientBuilder readTimeout(@Nullable Duration timeout) {
    this.readTimeout = timeout;
    return this;
  }

  /**
   * The longest gateway wait that still reaches LangChain4j as a retryable rate limit (default 60
   * s); a rejection with a longer wait, or none, fails at once with {@link
   * GatewayRejectionException}.
   */
  public GovernedHttpClientBuilder maxRetryWait(Duration wait) {
    Objects.requireNonNull(wait, "wait");
    if (wait.isNegative()) {
      throw new IllegalArgumentException("maxRetryWait must not be negative but was " + wait);
    }
    this.maxRetryWait = wait;
    return this;
  }

  @Override
  public HttpClient build() {
    OkHttpClient.Builder client = wrappedClient.newBuilder();
    if (connectTimeout != null) {
      client.connectTimeout(connectTimeout);
    }
    if (readTimeout != null) {
      client.readTimeout(readTimeout);
    }
    return new GovernedHttpClient(client.build(), maxRetryWait);
  }
}
