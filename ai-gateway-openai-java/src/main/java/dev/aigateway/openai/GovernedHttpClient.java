package dev.aigateway.openai;

import com.openai.core.RequestOptions;
import com.openai.core.Timeout;
import com.openai.core.http.Headers;
import com.openai.core.http.HttpClient;
import com.openai.core.http.HttpRequest;
import com.openai.core.http.HttpRequestBody;
import com.openai.core.http.HttpResponse;
import com.openai.errors.OpenAIIoException;
import dev.aigateway.api.GatewayRejectedException;
import dev.aigateway.okhttp.SdkCalls;
import dev.aigateway.okhttp.SdkResponse;
import dev.aigateway.okhttp.SdkRetryAdvice;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * The OpenAI Java SDK's {@link HttpClient} over an OkHttp client the gateway wraps, so every call
 * an {@code OpenAIClient} makes (sync, async, streamed) is governed:
 *
 * <pre>{@code
 * OkHttpClient wrapped = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
 * OpenAIClient client = new OpenAIClientImpl(ClientOptions.builder()
 *     .httpClient(GovernedHttpClient.of(wrapped))
 *     .apiKey(System.getenv("OPENAI_API_KEY"))
 *     .build());
 * }</pre>
 *
 * ({@link GovernedOpenAi#client} does the same in one line.)
 *
 * <p><b>Rejections become the SDK's own errors, retried only when that can help.</b> The SDK
 * retries a 429 after the response's {@code retry-after-ms}/{@code Retry-After} when that wait is
 * at most 8 s, and after 8 s when it is longer, unless the response says {@code x-should-retry:
 * false}. A gateway rejection (a response with {@code x-ai-gateway-rejected}) reaches the SDK
 * unchanged when its wait is within what the SDK honours ({@link
 * dev.aigateway.okhttp.SdkRetryAdvice#OPENAI_JAVA_LONGEST_HONOURED_WAIT}): the SDK waits exactly
 * that long and tries again, which then succeeds if capacity came back. When the wait is longer, or
 * there is none (a spent quota, a call that can never fit), this client adds {@code x-should-retry:
 * false} (through {@link dev.aigateway.okhttp.SdkRetryAdvice}, which it puts outside the gateway's
 * interceptor), so the SDK throws at once ({@code RateLimitException}, {@code
 * PermissionDeniedException}, ...) instead of retrying into the same rejection. A gateway
 * configured with {@code throwOnRejection(true)} throws a {@link GatewayRejectedException} from the
 * OkHttp call; this client turns it back into the rejection's response, so the SDK surfaces the
 * same typed error instead of retrying a "network error".
 *
 * <p>Responses stream: {@link HttpResponse#body()} is the OkHttp body's stream, never buffered, so
 * a streamed completion reaches the application chunk by chunk. Network failures become the SDK's
 * {@link OpenAIIoException}, as with the SDK's own client. A request carries the timeouts it runs
 * with in {@code X-Stainless-Read-Timeout} and {@code X-Stainless-Timeout} (whole seconds), as the
 * SDK's own OkHttp client sends them, unless the client disables the SDK's telemetry headers. A
 * request that a redirect sends to another origin carries neither {@code Authorization} nor {@code
 * api-key}, as with the SDK's own client. Thread-safe.
 */
public final class GovernedHttpClient implements HttpClient {

  private final SdkCalls calls;

  /** The OkHttp client this HTTP client made and so releases on {@link #close}; else null. */
  private final @Nullable OkHttpClient owned;

  private GovernedHttpClient(OkHttpClient client, boolean owns) {
    this.owned = owns ? client : null;
    // no key leaves with a redirect to another origin, as under the SDK's own OkHttp client,
    // which removes Authorization and api-key (Azure's key header) there
    OkHttpClient guarded = SdkCalls.keepingKeysAtTheirOrigin(client, "Authorization", "api-key");
    // the SDK retry advice outside the gateway's interceptor
    this.calls = new SdkCalls(guarded, SdkRetryAdvice.OPENAI_JAVA_LONGEST_HONOURED_WAIT);
  }

  /**
   * An SDK client over {@code wrappedClient}, which should be a client {@code
   * OkHttpAiGateway.wrap(..)} returned (any OkHttp client works; an unwrapped one is simply not
   * governed).
   */
  public static GovernedHttpClient of(OkHttpClient wrappedClient) {
    return new GovernedHttpClient(Objects.requireNonNull(wrappedClient, "wrappedClient"), false);
  }

  /**
   * An SDK client over {@code wrappedClient}, an OkHttp client made for it alone, which {@link
   * #close} releases (its dispatcher stopped once its calls end, its idle connections closed), as
   * the SDK's own OkHttp client is released.
   */
  static GovernedHttpClient owning(OkHttpClient wrappedClient) {
    return new GovernedHttpClient(Objects.requireNonNull(wrappedClient, "wrappedClient"), true);
  }

  /**
   * Runs the request on the calling thread. Its body is closed once the call is made (answered or
   * failed), as the SDK's own OkHttp client closes it: an upload's body holds the stream the
   * application gave, or the file the SDK opened for a {@code Path}.
   */
  @Override
  public HttpResponse execute(HttpRequest request, RequestOptions requestOptions) {
    try {
      return SdkCalls.execute(
          newCall(request, requestOptions), OkHttpResponse::new, GovernedHttpClient::ioError);
    } finally {
      closeBody(request);
    }
  }

  /**
   * Runs the request on OkHttp's dispatcher. Its body is closed once the future completes
   * (answered, failed or cancelled), as the SDK's own OkHttp client closes it.
   */
  @Override
  public CompletableFuture<HttpResponse> executeAsync(
      HttpRequest request, RequestOptions requestOptions) {
    CompletableFuture<HttpResponse> future;
    try {
      future =
          SdkCalls.executeAsync(
              newCall(request, requestOptions), OkHttpResponse::new, GovernedHttpClient::ioError);
    } catch (RuntimeException | Error e) {
      closeBody(request);
      throw e;
    }
    future.whenComplete((response, error) -> closeBody(request));
    return future;
  }

  private static void closeBody(HttpRequest request) {
    HttpRequestBody body = request.body();
    if (body != null) {
      body.close();
    }
  }

  private static RuntimeException ioError(IOException e) {
    return new OpenAIIoException("Request failed", e);
  }

  /**
   * Releases the OkHttp client when this HTTP client made it ({@code GovernedOpenAi.client(gateway,
   * ..)}), as the SDK's own OkHttp client does: calls under way end, no new call is taken, idle
   * connections are closed. An OkHttp client the application gave belongs to it and is left alone.
   */
  @Override
  public void close() {
    OkHttpClient client = owned;
    if (client == null) {
      return;
    }
    SdkCalls.release(client);
  }

  /**
   * The call, telling the server its timeouts as the SDK's own OkHttp client does ({@link
   * SdkCalls#newCallTellingTimeouts}) unless the client disables the SDK's telemetry headers
   * ({@code ClientOptions.disableTelemetry}): the SDK's retrying layer then sends no {@value
   * #RETRY_COUNT_HEADER} either, which it otherwise adds to every request.
   */
  private Call newCall(HttpRequest request, RequestOptions options) {
    Headers headers = request.headers();
    HttpRequestBody body = request.body();
    Timeout timeout = options.getTimeout();
    Request sent =
        SdkCalls.request(
            request.url(),
            request.method().name(),
            headers.names(),
            headers::values,
            body == null
                ? null
                : SdkCalls.body(
                    body.contentType(), body.contentLength(), body.repeatable(), body::writeTo));
    SdkCalls.Timeouts timeouts =
        timeout == null
            ? null
            : new SdkCalls.Timeouts(
                timeout.connect(), timeout.read(), timeout.write(), timeout.request());
    return headers.names().contains(RETRY_COUNT_HEADER)
        ? calls.newCallTellingTimeouts(sent, timeouts)
        : calls.newCall(sent, timeouts);
  }

  /** The header the SDK counts its attempts in, unless its telemetry headers are disabled. */
  private static final String RETRY_COUNT_HEADER = "X-Stainless-Retry-Count";

  /** An OkHttp response as the SDK reads it; the body streams. */
  private static final class OkHttpResponse extends SdkResponse implements HttpResponse {
    private final Headers headers;

    OkHttpResponse(Response response, Call call) {
      super(response, call);
      Headers.Builder builder = Headers.builder();
      forEachHeader(builder::put);
      this.headers = builder.build();
    }

    @Override
    public Headers headers() {
      return headers;
    }
  }
}
