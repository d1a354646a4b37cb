package dev.aigateway.okhttp;

import dev.aigateway.core.wire.HeaderValues;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.jspecify.annotations.Nullable;

/**
 * The OkHttp side of an SDK's HTTP seam, for the library's SDK integrations (openai-java,
 * anthropic-java): both SDKs hand their HTTP client a request with a streamed body and per-request
 * timeouts, each in its own types. This holds what those adapters share: the governed client with
 * {@link SdkRetryAdvice} outside the gateway's interceptor, a client per timeout (a few cached),
 * request bodies written straight from the SDK's writer, and running a call synchronously or
 * asynchronously with the SDK's own I/O error. Thread-safe.
 */
public final class SdkCalls {

  private static final int MAX_TIMEOUT_CLIENTS = 16;

  private final OkHttpClient client;
  private final Map<Timeouts, OkHttpClient> clientsByTimeout = new ConcurrentHashMap<>();

  /**
   * An SDK request's own timeouts, as both SDKs' {@code Timeout} gives them.
   *
   * @param connect the connect timeout
   * @param read the read timeout
   * @param write the write timeout
   * @param call the whole call's timeout
   */
  public record Timeouts(Duration connect, Duration read, Duration write, Duration call) {

    /** Checks that every timeout is set. */
    public Timeouts {
      Objects.requireNonNull(connect, "connect");
      Objects.requireNonNull(read, "read");
      Objects.requireNonNull(write, "write");
      Objects.requireNonNull(call, "call");
    }
  }

  /**
   * Calls over {@code wrappedClient} (normally a client {@link OkHttpAiGateway#wrap} returned),
   * with {@link SdkRetryAdvice} added outside its interceptors, so the advice sees (and advises)
   * the gateway's rejections.
   */
  public SdkCalls(OkHttpClient wrappedClient) {
    this(wrappedClient, SdkRetryAdvice.SDK_LONGEST_HONOURED_WAIT);
  }

  /**
   * Calls over {@code wrappedClient} with {@link SdkRetryAdvice#SdkRetryAdvice(Duration) advice}
   * for an SDK that waits a rejection's declared wait only up to {@code longestHonouredWait}.
   */
  public SdkCalls(OkHttpClient wrappedClient, Duration longestHonouredWait) {
    OkHttpClient.Builder advised =
        Objects.requireNonNull(wrappedClient, "wrappedClient").newBuilder();
    advised.interceptors().add(0, new SdkRetryAdvice(longestHonouredWait));
    this.client = advised.build();
  }

  /**
   * {@code wrappedClient} with its key headers kept at their origin: a request that a redirect
   * sends to another origin (scheme, host or port) leaves without any of {@code keyHeaders}, as the
   * SDKs' own OkHttp clients remove theirs (OkHttp itself removes only {@code Authorization}). The
   * origin is the one each attempt leaves the application's interceptors for, after the gateway's
   * routing, so a redirect within the backend the gateway chose keeps the key. Redirects are
   * followed within an attempt, so the origin is kept by call while the attempt runs; the request
   * is sent as the interceptors passed it on, never copied to carry its origin.
   *
   * @param wrappedClient the client (normally one {@link OkHttpAiGateway#wrap} returned); its pool
   *     and dispatcher are shared, not copied
   * @param keyHeaders the headers that carry a credential, such as {@code x-api-key}
   */
  public static OkHttpClient keepingKeysAtTheirOrigin(
      OkHttpClient wrappedClient, String... keyHeaders) {
    SentTo sentTo = new SentTo(List.of(keyHeaders));
    OkHttpClient.Builder guarded =
        Objects.requireNonNull(wrappedClient, "wrappedClient").newBuilder();
    guarded.interceptors().add(sentTo); // innermost: after the gateway's routing
    guarded.networkInterceptors().add(sentTo::keysStayAtTheirOrigin);
    return guarded.build();
  }

  /** The origin each call's attempt is sent to, and the removal of keys a redirect takes away. */
  private static final class SentTo implements Interceptor {

    private final Map<Call, HttpUrl> origins = new ConcurrentHashMap<>();
    private final List<String> keyHeaders;

    SentTo(List<String> keyHeaders) {
      this.keyHeaders = keyHeaders;
    }

    /** Notes the origin each attempt leaves the application's interceptors for. */
    @Override
    public Response intercept(Chain chain) throws IOException {
      Request request = chain.request();
      Call call = chain.call();
      origins.put(call, request.url());
      try {
        return chain.proceed(request);
      } finally {
        origins.remove(call);
      }
    }

    /**
     * Removes the keys from a request that a redirect sends to another origin (a network
     * interceptor).
     */
    Response keysStayAtTheirOrigin(Interceptor.Chain chain) throws IOException {
      Request request = chain.request();
      HttpUrl origin = origins.get(chain.call());
      HttpUrl url = request.url();
      if (origin == null
          || (origin.scheme().equals(url.scheme())
              && origin.host().equals(url.host())
              && origin.port() == url.port())) {
        return chain.proceed(request);
      }
      Request.Builder without = request.newBuilder();
      for (String name : keyHeaders) {
        without.removeHeader(name);
      }
      return chain.proceed(without.build());
    }
  }

  /** The advised client, for a request without timeouts of its own. */
  public OkHttpClient client() {
    return client;
  }

  /**
   * The advised client with a request's own timeouts. Clients for up to {@value
   * #MAX_TIMEOUT_CLIENTS} distinct timeouts are kept (they share the pool and dispatcher); more are
   * made per request.
   */
  public OkHttpClient client(Duration connect, Duration read, Duration write, Duration call) {
    return client(new Timeouts(connect, read, write, call));
  }

  private OkHttpClient client(Timeouts timeouts) {
    OkHttpClient existing = clientsByTimeout.get(timeouts);
    if (existing != null) {
      return existing;
    }
    OkHttpClient withTimeouts =
        client
            .newBuilder()
            .connectTimeout(timeouts.connect())
            .readTimeout(timeouts.read())
            .writeTimeout(timeouts.write())
            .callTimeout(timeouts.call())
            .build();
    if (clientsByTimeout.size() < MAX_TIMEOUT_CLIENTS) {
      clientsByTimeout.putIfAbsent(timeouts, withTimeouts);
    }
    return withTimeouts;
  }

  /**
   * A call of {@code request} on the advised client, with the SDK request's own {@code timeouts},
   * or the client's where it sets none.
   */
  public Call newCall(Request request, @Nullable Timeouts timeouts) {
    return (timeouts == null ? client : client(timeouts)).newCall(request);
  }

  /** The header the Stainless SDKs' own OkHttp clients tell the read timeout in. */
  public static final String READ_TIMEOUT_HEADER = "X-Stainless-Read-Timeout";

  /** The header the Stainless SDKs' own OkHttp clients tell the whole call's timeout in. */
  public static final String TIMEOUT_HEADER = "X-Stainless-Timeout";

  /**
   * As {@link #newCall(Request, Timeouts)}, the request carrying the timeouts the SDKs' own OkHttp
   * clients tell the server (informational headers): {@value #READ_TIMEOUT_HEADER} and {@value
   * #TIMEOUT_HEADER}, the read and whole-call timeouts of the client that runs the call in whole
   * seconds (rounded down), each unless that timeout is zero (none) or the request has the header
   * already.
   */
  public Call newCallTellingTimeouts(Request request, @Nullable Timeouts timeouts) {
    return newCallTellingTimeouts(request, timeouts, null);
  }

  /**
   * As {@link #newCallTellingTimeouts(Request, Timeouts)}, following redirects as the SDK request
   * asks ({@code followRedirects}: the SDK's per-request option, which anthropic-java sets to
   * {@code false} for a request whose body holds a credential, such as its token requests), or as
   * the client does when it asks nothing. A redirect not followed is the call's answer, as under
   * the SDK's own OkHttp client.
   */
  public Call newCallTellingTimeouts(
      Request request, @Nullable Timeouts timeouts, @Nullable Boolean followRedirects) {
    OkHttpClient runs = timeouts == null ? client : client(timeouts);
    if (followRedirects != null && runs.followRedirects() != followRedirects) {
      // rare (token requests): a client for this call alone, on the same pool and dispatcher
      runs = runs.newBuilder().followRedirects(followRedirects).build();
    }
    Request.Builder told = null;
    if (request.header(READ_TIMEOUT_HEADER) == null && runs.readTimeoutMillis() != 0) {
      told = request.newBuilder();
      told.addHeader(READ_TIMEOUT_HEADER, String.valueOf(runs.readTimeoutMillis() / 1000));
    }
    if (request.header(TIMEOUT_HEADER) == null && runs.callTimeoutMillis() != 0) {
      told = told == null ? request.newBuilder() : told;
      told.addHeader(TIMEOUT_HEADER, String.valueOf(runs.callTimeoutMillis() / 1000));
    }
    return runs.newCall(told == null ? request : told.build());
  }

  /** Writes an SDK request body to a stream. */
  @FunctionalInterface
  public interface BodyWriter {
    /** Writes the whole body. */
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * An SDK request body as OkHttp writes it: streamed from {@code writer}, never copied.
   *
   * @param contentType the body's content type, or null
   * @param length its length, or -1 when unknown
   * @param repeatable whether it can be written more than once (else OkHttp does not retry it)
   */
  public static RequestBody body(
      @Nullable String contentType, long length, boolean repeatable, BodyWriter writer) {
    MediaType type = contentType == null ? null : MediaType.parse(contentType);
    return new RequestBody() {
      @Override
      public @Nullable MediaType contentType() {
        return type;
      }

      @Override
      public long contentLength() {
        return length;
      }

      @Override
      public boolean isOneShot() {
        return !repeatable;
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        writer.writeTo(sink.outputStream());
      }
    };
  }

  /**
   * The body to send when the SDK gives none: empty on methods OkHttp requires one for ({@code
   * POST}, {@code PUT}, {@code PATCH}; the SDK sends none on, for example, a cancel), else none.
   */
  public static @Nullable RequestBody emptyBodyFor(String method) {
    return switch (method) {
      case "POST", "PUT", "PATCH" -> RequestBody.create(new byte[0], null);
      default -> null;
    };
  }

  /**
   * An OkHttp request for an SDK request: its URL, every value of every header (as {@code valuesOf}
   * gives them for each of {@code headerNames}), its method and body ({@code null} for none: {@link
   * #emptyBodyFor} fills in the empty body OkHttp needs).
   *
   * @throws IllegalArgumentException when a header's value holds a character a header cannot carry
   *     (a line break, say): the message names the header, never the value, a credential perhaps
   */
  public static Request request(
      String url,
      String method,
      Iterable<String> headerNames,
      Function<String, List<String>> valuesOf,
      @Nullable RequestBody body) {
    Request.Builder builder = new Request.Builder().url(url);
    for (String name : headerNames) {
      for (String value : valuesOf.apply(name)) {
        // before OkHttp, whose error would quote the value (an API key) of most headers
        HeaderValues.require("the value", name, value);
        builder.addHeader(name, value);
      }
    }
    return builder.method(method, body == null ? emptyBodyFor(method) : body).build();
  }

  /**
   * Releases an OkHttp client an SDK integration made for itself, as the SDK's own OkHttp client
   * does when it is closed: calls under way end, no new call is taken, idle connections are closed
   * and a response cache, if any, is closed. Never call it with a client the application gave.
   */
  public static void release(OkHttpClient client) {
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
    okhttp3.Cache cache = client.cache();
    if (cache != null) {
      try {
        cache.close();
      } catch (IOException e) {
        // closed as far as it could be: nothing is left to release
      }
    }
  }

  /**
   * Runs {@code call} on the calling thread and wraps its response for the SDK ({@code wrap} is
   * given the response and the call, which an {@link SdkResponse} cancels when it is closed under a
   * read); an {@link IOException} becomes what {@code ioError} makes of it (the SDK's own I/O
   * exception).
   */
  public static <R> R execute(
      Call call,
      BiFunction<Response, Call, R> wrap,
      Function<IOException, ? extends RuntimeException> ioError) {
    try {
      return wrap.apply(call.execute(), call);
    } catch (IOException e) {
      throw ioError.apply(e);
    }
  }

  /**
   * Runs {@code call} on OkHttp's dispatcher: the future completes with the wrapped response, or
   * exceptionally with what {@code ioError} makes of an {@link IOException}. Cancelling the future
   * cancels the call; a response that arrives after the future was completed otherwise is closed.
   */
  public static <R> CompletableFuture<R> executeAsync(
      Call call,
      BiFunction<Response, Call, R> wrap,
      Function<IOException, ? extends RuntimeException> ioError) {
    CompletableFuture<R> future = new CompletableFuture<>();
    future.whenComplete(
        (response, error) -> {
          if (future.isCancelled()) {
            call.cancel();
          }
        });
    call.enqueue(
        new Callback() {
          @Override
          public void onResponse(Call call, Response response) {
            if (!future.complete(wrap.apply(response, call))) {
              response.close();
            }
          }

          @Override
          public void onFailure(Call call, IOException e) {
            future.completeExceptionally(ioError.apply(e));
          }
        });
    return future;
  }
}
