package dev.aigateway.langchain4j;

import dev.aigateway.core.AiGateway;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
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
 * settles their calls on the usage the backend reports. A stream cancelled with its {@code
 * StreamingHandle}, also from another thread while its reader waits for the backend, ends at once:
 * its call is cancelled and ends in one {@code CANCELLED} event, and the handler gets neither a
 * completion nor an error. A stream that fails midway (the backend drops the connection, or falls
 * silent past the read timeout: LangChain4j's {@code TimeoutException}) ends in the handler's
 * {@code onError} alone, never also in a completion with the text read so far.
 *
 * <p><b>Rejections.</b> A gateway refusal is the exception of LangChain4j's own hierarchy its
 * models throw for the same status from the provider ({@code ContentFilteredException}, {@code
 * AuthenticationException}, {@code ModelNotFoundException}, {@code RateLimitException}, {@code
 * InternalServerException}, ...), from a chat call and in a stream's {@code onError} alike, and a
 * {@link GatewayRejection} with the gateway's reason and wait; see there for every kind. A 429 or
 * 503 that a retry can fix soon (capacity back within {@link #maxRetryWait}, default 1 s) is
 * retried by LangChain4j's retry loop. LangChain4j retries on its own backoff (1 s, then 1.5 s, ...
 * by default) and never reads the gateway's {@code Retry-After}, so only a wait its first retry
 * outlasts is one a retry can fix. One that no retry can fix soon (a spent quota, a call that can
 * never fit, a longer wait) is a {@link GatewayRejectionException}, a {@code
 * NonRetriableException}, so the model fails at once. Not thread-safe (a builder); the clients it
 * builds are.
 */
public final class GovernedHttpClientBuilder implements HttpClientBuilder {

  /**
   * The default {@link #maxRetryWait}: 1 s, the delay before LangChain4j's first retry on its
   * default retry policy (1 s plus up to 20 % jitter, then growing by half each retry). A longer
   * wait would be retried before capacity is back, into the same rejection.
   */
  public static final Duration DEFAULT_MAX_RETRY_WAIT = Duration.ofSeconds(1);

  private final OkHttpClient wrappedClient;
  private @Nullable Duration connectTimeout;
  private @Nullable Duration readTimeout;
  private Duration maxRetryWait = DEFAULT_MAX_RETRY_WAIT;

  private GovernedHttpClientBuilder(OkHttpClient wrappedClient) {
    this.wrappedClient = wrappedClient;
  }

  /**
   * A builder over a new OkHttp client the gateway wraps. The clients this method makes share one
   * connection pool (OkHttp's defaults: at most 5 idle connections, each closed after 5 minutes
   * idle): LangChain4j never closes an HTTP client, so a model built per request on a pool of its
   * own would leave that pool's connections open until they idled out, one set per model. Its
   * dispatcher starts up to 64 streams to one host at once, not OkHttp's default 5 (a stream is an
   * OkHttp asynchronous call until its answer's headers arrive), as LangChain4j's own HTTP client
   * has no such cap. Its streams run on daemon threads (shared by these clients, each ended after
   * 60 s idle), as LangChain4j's own HTTP client's do: OkHttp's default dispatcher threads are not
   * daemons, so a program that streamed would stay up for a minute after its {@code main} returned.
   */
  public static GovernedHttpClientBuilder of(AiGateway gateway) {
    Dispatcher dispatcher = new Dispatcher(SharedPool.STREAMS);
    dispatcher.setMaxRequestsPerHost(dispatcher.getMaxRequests());
    OkHttpClient client =
        new OkHttpClient.Builder().connectionPool(SharedPool.POOL).dispatcher(dispatcher).build();
    return of(OkHttpAiGateway.wrap(client, gateway));
  }

  /** What the clients {@link #of(AiGateway)} makes share, made on first use. */
  private static final class SharedPool {
    static final ConnectionPool POOL = new ConnectionPool();

    /** OkHttp's dispatcher executor (no bound, no queue, 60 s idle), on daemon threads. */
    static final ExecutorService STREAMS =
        new ThreadPoolExecutor(
            0,
            Integer.MAX_VALUE,
            60,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            task -> {
              Thread thread = new Thread(task, "ai-gateway LangChain4j dispatcher");
              thread.setDaemon(true);
              return thread;
            });
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
   * The longest gateway wait that still reaches LangChain4j as a retryable rate limit or 503
   * (default 1 s, {@link #DEFAULT_MAX_RETRY_WAIT}); such a rejection with a longer wait, or none,
   * fails at once with {@link GatewayRejectionException}. LangChain4j's retry waits its own delay,
   * not the gateway's, so set this to at most what the model's retries wait in all, or a rejection
   * is retried before capacity is back.
   */
  public GovernedHttpClientBuilder maxRetryWait(Duration wait) {
    Objects.requireNonNull(wait, "wait");
    if (wait.isNegative()) {
      throw new IllegalArgumentException("maxRetryWait must not be negative but was " + wait);
    }
    this.maxRetryWait = wait;
    return this;
  }

  /**
   * The HTTP client, on the wrapped client with this builder's timeouts and following no redirect,
   * as LangChain4j's own HTTP client (the JDK's, which never follows by default): a 3xx is the
   * answer, an error LangChain4j maps by its status. OkHttp would follow a redirect to another
   * origin with every header but {@code Authorization}, so a model's {@code api-key} or {@code
   * x-api-key} would go to wherever the redirect points.
   */
  @Override
  public HttpClient build() {
    OkHttpClient.Builder client = wrappedClient.newBuilder().followRedirects(false);
    if (connectTimeout != null) {
      client.connectTimeout(connectTimeout);
    }
    if (readTimeout != null) {
      client.readTimeout(readTimeout);
    }
    return new GovernedHttpClient(client.build(), maxRetryWait);
  }
}
