package dev.aigateway.mcp;

import dev.aigateway.core.wire.HeaderValues;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;

/**
 * A {@link java.net.http.HttpClient} whose every exchange is an OkHttp call on the governed client,
 * so the MCP Java SDK's own Streamable HTTP transport (which speaks only the JDK client's API)
 * sends through the gateway unchanged. It implements the part of the JDK client's contract the SDK
 * uses: {@code sendAsync}/{@code send} with any {@link HttpResponse.BodyHandler}, the body handed
 * to the handler's subscriber as it arrives and only as fast as the subscriber asks for it,
 * cancellation, the request's timeout (until the response headers, as the JDK client has it) and
 * the builder's connect timeout. Cookies, proxies, authenticators and TLS belong to the OkHttp
 * client; setting them on this builder is refused.
 *
 * <p>Each exchange runs {@link Call#execute()} on a daemon thread of {@link McpThreads}, which then
 * reads the body: a long-lived event stream never holds one of OkHttp's dispatcher slots.
 */
final class OkHttpBackedHttpClient extends HttpClient {

  private static final int CHUNK = 8 * 1024;
  private static final java.util.Set<String> BODY_METHODS =
      java.util.Set.of("POST", "PUT", "PATCH");

  private final OkHttpClient client;
  private final @Nullable Duration connectTimeout;
  private final ResponseRewriter rewriter;

  /** Rewrites a response before the SDK sees it (a gateway rejection into a JSON-RPC error). */
  interface ResponseRewriter {
    /** The response to hand on: {@code response} itself, or one made from it. */
    Response rewrite(Request request, byte @Nullable [] requestBody, Response response)
        throws IOException;

    /** The response that stands for an exception the governed client threw, or null to throw it. */
    @Nullable Response onFailure(
        Request request, byte @Nullable [] requestBody, IOException failure);
  }

  OkHttpBackedHttpClient(
      OkHttpClient client, @Nullable Duration connectTimeout, ResponseRewriter rewriter) {
    this.client = client;
    this.connectTimeout = connectTimeout;
    this.rewriter = rewriter;
  }

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return Optional.empty();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return Optional.ofNullable(connectTimeout);
  }

  @Override
  public Redirect followRedirects() {
    return client.followRedirects() ? Redirect.NORMAL : Redirect.NEVER;
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return Optional.empty();
  }

  @Override
  public SSLContext sslContext() {
    try {
      return SSLContext.getDefault();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no default SSLContext", e);
    }
  }

  @Override
  public SSLParameters sslParameters() {
    return new SSLParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return Optional.empty();
  }

  @Override
  public Version version() {
    return Version.HTTP_1_1;
  }

  @Override
  public Optional<Executor> executor() {
    return Optional.of(McpThreads.EXECUTOR);
  }

  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    CompletableFuture<HttpResponse<T>> future = sendAsync(request, handler);
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException(cause == null ? "request failed" : cause.getMessage(), cause);
    }
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
    byte[] body;
    Request okRequest;
    try {
      body = requestBody(request);
      okRequest = toOkHttp(request, body);
    } catch (IOException | RuntimeException e) {
      result.completeExceptionally(e);
      return result;
    }
    Call call = client.newCall(okRequest);
    result.whenComplete(
        (response, failure) -> {
          if (failure instanceof CancellationException) {
            call.cancel();
          }
        });
    McpThreads.EXECUTOR.execute(() -> exchange(request, okRequest, body, call, handler, result));
    return result;
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request,
      HttpResponse.BodyHandler<T> handler,
      HttpResponse.@Nullable PushPromiseHandler<T> pushPromiseHandler) {
    return sendAsync(request, handler);
  }

  private <T> void exchange(
      HttpRequest request,
      Request okRequest,
      byte @Nullable [] body,
      Call call,
      HttpResponse.BodyHandler<T> handler,
      CompletableFuture<HttpResponse<T>> result) {
    AtomicBoolean timedOut = new AtomicBoolean();
    ScheduledFuture<?> deadline =
        request
            .timeout()
            .<ScheduledFuture<?>>map(
                timeout ->
                    McpThreads.TIMER.schedule(
                        () -> {
                          timedOut.set(true);
                          call.cancel();
                        },
                        timeout.toNanos(),
                        TimeUnit.NANOSECONDS))
            .orElse(null);
    Response response;
    try {
      try {
        response = rewriter.rewrite(okRequest, body, call.execute());
      } catch (IOException e) {
        Response standIn = timedOut.get() ? null : rewriter.onFailure(okRequest, body, e);
        if (standIn == null) {
          throw e;
        }
        response = standIn;
      } finally {
        if (deadline != null) {
          deadline.cancel(false);
        }
      }
    } catch (IOException e) {
      result.completeExceptionally(
          timedOut.get()
              ? new HttpTimeoutException("request timed out after " + request.timeout().get())
              : e);
      return;
    } catch (RuntimeException | Error e) {
      // An interceptor that broke its contract: the SDK must hear of it, not wait for ever.
      result.completeExceptionally(
          new IOException("the OkHttp client failed the request: " + e, e));
      return;
    }
    if (result.isDone()) {
      response.close();
      return;
    }
    HttpHeaders headers = headers(response);
    int status = response.code();
    Version version = response.protocol() == Protocol.HTTP_2 ? Version.HTTP_2 : Version.HTTP_1_1;
    HttpResponse.BodySubscriber<T> subscriber;
    try {
      subscriber = handler.apply(new Info(status, headers, version));
    } catch (RuntimeException e) {
      response.close();
      result.completeExceptionally(e);
      return;
    }
    BodyPump pump = new BodyPump(call, response, subscriber);
    subscriber
        .getBody()
        .whenComplete(
            (value, failure) -> {
              if (failure != null) {
                result.completeExceptionally(failure);
              } else {
                result.complete(
                    new Answer<>(request, status, headers, value, request.uri(), version));
              }
            });
    subscriber.onSubscribe(pump);
    pump.run();
  }

  private static HttpHeaders headers(Response response) {
    Map<String, List<String>> map = new LinkedHashMap<>();
    for (String name : response.headers().names()) {
      map.put(name.toLowerCase(Locale.ROOT), response.headers(name));
    }
    // A response an interceptor made (a gateway's own answer) may carry its type on the body only.
    MediaType bodyType = response.body() == null ? null : response.body().contentType();
    if (bodyType != null) {
      map.putIfAbsent("content-type", List.of(bodyType.toString()));
    }
    return HttpHeaders.of(map, (name, value) -> true);
  }

  private static byte @Nullable [] requestBody(HttpRequest request) throws IOException {
    Optional<HttpRequest.BodyPublisher> publisher = request.bodyPublisher();
    if (publisher.isEmpty() || publisher.get().contentLength() == 0) {
      return null;
    }
    CompletableFuture<byte[]> bytes = new CompletableFuture<>();
    publisher
        .get()
        .subscribe(
            new Flow.Subscriber<ByteBuffer>() {
              private final okio.Buffer buffer = new okio.Buffer();

              @Override
              public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
              }

              @Override
              public void onNext(ByteBuffer item) {
                byte[] chunk = new byte[item.remaining()];
                item.get(chunk);
                buffer.write(chunk);
              }

              @Override
              public void onError(Throwable throwable) {
                bytes.completeExceptionally(throwable);
              }

              @Override
              public void onComplete() {
                bytes.complete(buffer.readByteArray());
              }
            });
    try {
      return bytes.get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading the request body");
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("could not read the request body", e);
    }
  }

  /**
   * The request for OkHttp.
   *
   * @throws IOException when a header's value holds a character OkHttp refuses (the JDK's request
   *     builder takes bytes 0x80-0xFF): named by the header only, since OkHttp's own error would
   *     quote the value, a credential perhaps
   */
  private static Request toOkHttp(HttpRequest request, byte @Nullable [] body) throws IOException {
    Request.Builder builder = new Request.Builder().url(request.uri().toString());
    String contentType = null;
    for (Map.Entry<String, List<String>> header : request.headers().map().entrySet()) {
      String name = header.getKey();
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("content-length") || lower.equals("host") || lower.equals("connection")) {
        continue;
      }
      if (lower.equals("content-type")) {
        contentType = header.getValue().isEmpty() ? null : header.getValue().get(0);
      }
      for (String value : header.getValue()) {
        int bad = HeaderValues.notAllowedAt(value);
        if (bad >= 0) {
          throw new IOException(
              "the value of request header '"
                  + name
                  + "' holds a character not allowed in a header value, at index "
                  + bad);
        }
        builder.addHeader(name, value);
      }
    }
    RequestBody requestBody = null;
    if (body != null) {
      requestBody =
          RequestBody.create(body, contentType == null ? null : MediaType.parse(contentType));
    } else if (BODY_METHODS.contains(request.method())) {
      requestBody = RequestBody.create(new byte[0], null);
    }
    return builder.method(request.method(), requestBody).build();
  }

  /**
   * Reads the response body on the exchange's thread and hands it to the subscriber chunk by chunk,
   * never more chunks than it asked for and never two at once; cancelling closes the call.
   */
  private static final class BodyPump implements Flow.Subscription {
    private final Call call;
    private final Response response;
    private final HttpResponse.BodySubscriber<?> subscriber;
    private final AtomicLong demand = new AtomicLong();
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final Object lock = new Object();

    BodyPump(Call call, Response response, HttpResponse.BodySubscriber<?> subscriber) {
      this.call = call;
      this.response = response;
      this.subscriber = subscriber;
    }

    @Override
    public void request(long n) {
      if (n <= 0) {
        cancel();
        subscriber.onError(new IllegalArgumentException("request(" + n + "): must be positive"));
        return;
      }
      demand.getAndAccumulate(
          n, (current, add) -> current + add < 0 ? Long.MAX_VALUE : current + add);
      synchronized (lock) {
        lock.notifyAll();
      }
    }

    @Override
    public void cancel() {
      if (cancelled.compareAndSet(false, true)) {
        call.cancel();
        synchronized (lock) {
          lock.notifyAll();
        }
      }
    }

    void run() {
      try (response) {
        BufferedSource source = response.body() == null ? null : response.body().source();
        while (true) {
          synchronized (lock) {
            while (demand.get() == 0 && !cancelled.get()) {
              lock.wait();
            }
          }
          if (cancelled.get()) {
            return;
          }
          if (source == null) {
            subscriber.onComplete();
            return;
          }
          byte[] chunk = readChunk(source);
          if (chunk == null) {
            subscriber.onComplete();
            return;
          }
          demand.decrementAndGet();
          subscriber.onNext(List.of(ByteBuffer.wrap(chunk)));
        }
      } catch (IOException e) {
        if (!cancelled.get()) {
          subscriber.onError(e);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        subscriber.onError(new InterruptedIOException("interrupted while reading the response"));
      } catch (RuntimeException e) {
        if (!cancelled.get()) {
          subscriber.onError(e);
        }
      }
    }

    /** What is available now (at least one byte, waiting for it), or null at the end. */
    private static byte @Nullable [] readChunk(BufferedSource source) throws IOException {
      if (!source.request(1)) {
        return null;
      }
      long available = Math.min(source.getBuffer().size(), CHUNK);
      return source.readByteArray(available);
    }
  }

  private record Info(int statusCode, HttpHeaders headers, Version version)
      implements HttpResponse.ResponseInfo {}

  private record Answer<T>(
      HttpRequest request, int statusCode, HttpHeaders headers, T body, URI uri, Version version)
      implements HttpResponse<T> {
    @Override
    public Optional<HttpResponse<T>> previousResponse() {
      return Optional.empty();
    }

    @Override
    public Optional<SSLSession> sslSession() {
      return Optional.empty();
    }
  }

  /**
   * The builder the SDK's transport builder calls: it keeps the connect timeout (applied to the
   * OkHttp client) and the version (OkHttp negotiates its own); everything else belongs to the
   * OkHttp client and is refused with a message that says so.
   */
  static final class Builder implements HttpClient.Builder {
    private final OkHttpClient client;
    private final ResponseRewriter rewriter;
    private @Nullable Duration connectTimeout;

    Builder(OkHttpClient client, ResponseRewriter rewriter) {
      this.client = client;
      this.rewriter = rewriter;
    }

    private static UnsupportedOperationException belongsToOkHttp(String setting) {
      return new UnsupportedOperationException(
          setting
              + " is the OkHttp client's: configure it on the OkHttpClient given to GovernedMcp");
    }

    @Override
    public HttpClient.Builder cookieHandler(CookieHandler cookieHandler) {
      throw belongsToOkHttp("a cookie handler");
    }

    @Override
    public HttpClient.Builder connectTimeout(Duration duration) {
      this.connectTimeout = duration;
      return this;
    }

    @Override
    public HttpClient.Builder sslContext(SSLContext sslContext) {
      throw belongsToOkHttp("TLS");
    }

    @Override
    public HttpClient.Builder sslParameters(SSLParameters sslParameters) {
      throw belongsToOkHttp("TLS");
    }

    @Override
    public HttpClient.Builder executor(Executor executor) {
      throw belongsToOkHttp("the executor");
    }

    @Override
    public HttpClient.Builder followRedirects(Redirect policy) {
      throw belongsToOkHttp("the redirect policy");
    }

    @Override
    public HttpClient.Builder version(Version version) {
      return this;
    }

    @Override
    public HttpClient.Builder priority(int priority) {
      return this;
    }

    @Override
    public HttpClient.Builder proxy(ProxySelector proxySelector) {
      throw belongsToOkHttp("the proxy");
    }

    @Override
    public HttpClient.Builder authenticator(Authenticator authenticator) {
      throw belongsToOkHttp("the authenticator");
    }

    @Override
    public HttpClient build() {
      OkHttpClient configured = client;
      if (connectTimeout != null) {
        configured = client.newBuilder().connectTimeout(connectTimeout).build();
      }
      return new OkHttpBackedHttpClient(configured, connectTimeout, rewriter);
    }
  }
}
