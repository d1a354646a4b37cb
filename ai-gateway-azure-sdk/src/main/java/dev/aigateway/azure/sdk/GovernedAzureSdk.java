package dev.aigateway.azure.sdk;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.okhttp.OkHttpAsyncHttpClientBuilder;
import com.azure.core.http.policy.ExponentialBackoff;
import com.azure.core.http.policy.RequestRetryCondition;
import com.azure.core.http.policy.RetryPolicy;
import com.azure.core.http.policy.RetryStrategy;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.okhttp.SdkCalls;
import dev.aigateway.okhttp.SdkRetryAdvice;
import java.time.Duration;
import java.util.Objects;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;

/**
 * Governed Azure SDK clients: the HTTP client and the retry policy to give an {@code azure-core}
 * client builder, such as {@code azure-ai-openai}'s {@code OpenAIClientBuilder}.
 *
 * <pre>{@code
 * OpenAIClient client = new OpenAIClientBuilder()
 *     .endpoint("https://my-resource.openai.azure.com")
 *     .credential(new AzureKeyCredential(System.getenv("AZURE_OPENAI_API_KEY")))
 *     .httpClient(GovernedAzureSdk.httpClient(gateway))
 *     .retryPolicy(GovernedAzureSdk.retryPolicy())
 *     .buildClient();
 * }</pre>
 *
 * <p>The HTTP client is {@code azure-core-http-okhttp}'s {@code OkHttpAsyncHttpClientBuilder} over
 * an OkHttp client the gateway wraps, so every call the SDK makes (answers, streams) goes through
 * the gateway; the application's own OkHttp (4.12 or 5.x) is used. The azure-core builder keeps the
 * wrapped client's interceptors, pool and dispatcher; {@link #httpClient(OkHttpClient)} keeps its
 * timeouts too, and {@link #httpClient(AiGateway)} has azure-core's own.
 *
 * <p>Rejections: azure-core's default retry policy waits any {@code retry-after-ms}/{@code
 * Retry-After} a 429 or 503 carries, however long, and retries three times; a spent quota or a call
 * that can never fit would be retried for nothing. The {@link #retryPolicy() retry policy} here
 * keeps azure-core's behaviour for everything else and never retries a gateway rejection marked not
 * retryable ({@code x-should-retry: false}: no wait, or one beyond {@link
 * SdkRetryAdvice#SDK_LONGEST_HONOURED_WAIT}), which the HTTP client adds through {@link
 * SdkRetryAdvice}. A rejection the SDK can wait out is waited out once, exactly as long as the
 * gateway said. A gateway configured to throw on rejection has its exception turned back into its
 * response, so the SDK raises its usual {@code HttpResponseException} (status, body in the
 * provider's error shape) rather than a network error.
 *
 * <p>Streams that end in an error event: a stream the gateway's content check stops midway ends
 * with {@code data: {"error":{...,"code":"content_filter"}}} (as OpenAI-compatible servers such as
 * vLLM end a stream that failed after its status), which the Azure OpenAI SDK would read as a chunk
 * without choices, so the application would take the text before it for the whole answer. The HTTP
 * client fails the body's read at such an event instead (an {@code IOException} naming the error's
 * code and message, which the SDK raises as its stream's error); the stream otherwise passes byte
 * for byte as it arrives.
 *
 * <p>A header value no header can carry (a key read from a file with its line break) fails the
 * request before it is sent, with an {@code IllegalArgumentException} that names the header and
 * never the value (OkHttp's own refusal would quote an {@code api-key}); the retry policy here does
 * not retry it.
 */
public final class GovernedAzureSdk {

  private GovernedAzureSdk() {}

  /**
   * An azure-core HTTP client on a new OkHttp client the gateway wraps. The clients this method
   * makes share one connection pool (OkHttp's defaults: at most 5 idle connections, each closed
   * after 5 minutes idle): azure-core never closes an HTTP client, so SDK clients built one after
   * another on pools of their own would each leave their connections open until they idled out. Its
   * dispatcher runs up to 64 asynchronous calls to one host at once, not OkHttp's default 5: an
   * asynchronous SDK client's calls are OkHttp's asynchronous calls, to its one endpoint. Its
   * timeouts are azure-core's own (changed by {@code AZURE_REQUEST_*_TIMEOUT}); to set others, give
   * a wrapped client with them to {@link #httpClient(OkHttpClient)}.
   */
  public static HttpClient httpClient(AiGateway gateway) {
    OkHttpClient client = new OkHttpClient.Builder().connectionPool(SharedPool.POOL).build();
    client.dispatcher().setMaxRequestsPerHost(client.dispatcher().getMaxRequests());
    // azure-core's own timeouts (and its AZURE_REQUEST_* settings), as on a client it builds
    return httpClient(
        new OkHttpAsyncHttpClientBuilder(advised(OkHttpAiGateway.wrap(client, gateway))));
  }

  /** The connection pool of the clients {@link #httpClient(AiGateway)} makes, made on first use. */
  private static final class SharedPool {
    static final ConnectionPool POOL = new ConnectionPool();
  }

  /**
   * An azure-core HTTP client on {@code wrappedClient}, a client {@link OkHttpAiGateway#wrap}
   * returned (any OkHttp client works; an unwrapped one is simply not governed). Its connect, read,
   * write and call timeouts are kept, where azure-core's builder would set its own (10 s to
   * connect, 60 s to read or write): its read timeout also bounds the wait for an answer's headers,
   * which azure-core otherwise cuts at 60 s, so a slow model's answer is waited for as long as the
   * application's client says.
   */
  public static HttpClient httpClient(OkHttpClient wrappedClient) {
    OkHttpClient advised = advised(wrappedClient);
    // azure-core's builder sets its own connect, read and write timeouts (10 s, 60 s, 60 s) and a
    // 60 s wait for the answer's headers on the client it is given: the application's are kept
    // (0 stays none), its read timeout bounding the wait for the headers as under OkHttp alone
    Duration read = Duration.ofMillis(advised.readTimeoutMillis());
    OkHttpAsyncHttpClientBuilder builder =
        new OkHttpAsyncHttpClientBuilder(advised)
            .connectionTimeout(Duration.ofMillis(advised.connectTimeoutMillis()))
            .readTimeout(read)
            .writeTimeout(Duration.ofMillis(advised.writeTimeoutMillis()))
            .responseTimeout(read);
    if (advised.callTimeoutMillis() != 0) {
      builder.callTimeout(Duration.ofMillis(advised.callTimeoutMillis()));
    }
    return httpClient(builder);
  }

  /**
   * {@code wrappedClient} with the SDK retry advice outside the gateway's interceptor, so it
   * advises its rejections, and a stream that ends in an error event failing (the SDK would read it
   * as a whole answer).
   */
  private static OkHttpClient advised(OkHttpClient wrappedClient) {
    OkHttpClient.Builder advised = new SdkCalls(wrappedClient).client().newBuilder();
    advised.interceptors().add(0, new StreamErrorEvents());
    return advised.build();
  }

  private static HttpClient httpClient(OkHttpAsyncHttpClientBuilder builder) {
    // every header value checked first: OkHttp's refusal of one would quote it (an api-key)
    return new HeaderCheckingClient(builder.build());
  }

  /**
   * azure-core's default retry policy (exponential backoff, three retries, the server's wait
   * honoured) that does not retry a gateway rejection which cannot succeed.
   */
  public static RetryPolicy retryPolicy() {
    return retryPolicy(new ExponentialBackoff());
  }

  /**
   * A retry policy on {@code strategy} (the application's own backoff and retry count) that does
   * not retry a gateway rejection which cannot succeed.
   */
  public static RetryPolicy retryPolicy(RetryStrategy strategy) {
    return new RetryPolicy(new GatewayAwareStrategy(Objects.requireNonNull(strategy, "strategy")));
  }

  /** Whether a response is a gateway rejection marked not retryable. */
  static boolean futileRejection(HttpResponse response) {
    return response.getHeaderValue(Rejection.REJECTED_HEADER) != null
        && "false".equalsIgnoreCase(response.getHeaderValue(Rejection.SHOULD_RETRY));
  }

  /** Delegates everything, except that a futile gateway rejection is never retried. */
  private record GatewayAwareStrategy(RetryStrategy delegate) implements RetryStrategy {

    @Override
    public int getMaxRetries() {
      return delegate.getMaxRetries();
    }

    @Override
    public Duration calculateRetryDelay(int retryAttempts) {
      return delegate.calculateRetryDelay(retryAttempts);
    }

    @Override
    public Duration calculateRetryDelay(RequestRetryCondition condition) {
      return delegate.calculateRetryDelay(condition);
    }

    @Override
    public boolean shouldRetry(HttpResponse response) {
      return !futileRejection(response) && delegate.shouldRetry(response);
    }

    @Override
    public boolean shouldRetryException(Throwable throwable) {
      return !(throwable instanceof HeaderCheckingClient.UnsendableHeaderException)
          && delegate.shouldRetryException(throwable);
    }

    @Override
    public boolean shouldRetryCondition(RequestRetryCondition condition) {
      HttpResponse response = condition.getResponse();
      if (response != null && futileRejection(response)) {
        return false;
      }
      if (condition.getThrowable() instanceof HeaderCheckingClient.UnsendableHeaderException) {
        return false; // never sendable: a header's value holds a character no header can carry
      }
      return delegate.shouldRetryCondition(condition);
    }
  }
}
