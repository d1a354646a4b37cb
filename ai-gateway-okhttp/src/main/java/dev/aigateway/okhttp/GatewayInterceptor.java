package dev.aigateway.okhttp;

import dev.aigateway.api.CallMatch;
import dev.aigateway.core.Admission;
import dev.aigateway.core.AttemptPlan;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.GovernedCall;
import dev.aigateway.core.Rejection;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.io.InputStream;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.Okio;

/** The OkHttp face of the gateway: one per wrapped client, stateless beyond its gateway. */
final class GatewayInterceptor implements Interceptor {

  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
  private static final byte[] NO_BODY = new byte[0];
  private static final int KNOWN_MEDIA_TYPES_MAX = 64;
  private static final ConcurrentHashMap<String, Optional<MediaType>> KNOWN_MEDIA_TYPES =
      new ConcurrentHashMap<>();

  private final AiGateway gateway;

  GatewayInterceptor(AiGateway gateway) {
    this.gateway = gateway;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    if (gateway.governsNothing()) {
      return chain.proceed(request);
    }
    CallMatch match = gateway.match(request.method(), request.url().encodedPath());
    if (match == null) {
      return chain.proceed(request);
    }
    RequestBody body = request.body();
    byte[] bytes = body == null ? NO_BODY : bytesOf(body);
    GovernedCall call = gateway.begin(match, new OkHttpClientRequest(request, bytes));
    Admission admission = call.admit();
    if (!admission.admitted()) {
      Rejection rejection = admission.rejection();
      if (gateway.throwOnRejection()) {
        throw rejection.exception();
      }
      return synthetic(request, rejection);
    }
    if (admission.cachedAnswer() != null) {
      return cached(request, admission);
    }
    if (call.routed()) {
      return routed(chain, call, request, body, bytes, admission);
    }
    Response response;
    try {
      response = chain.proceed(outgoing(request, body, bytes, admission));
    } catch (IOException | RuntimeException e) {
      call.failed(e);
      throw e;
    }
    return observed(chain, call, response, admission);
  }

  /** Sends attempts to the pool's backends until one answers for good or none is left. */
  private Response routed(Chain chain, GovernedCall call, Request request, RequestBody body,
      byte[] bytes, Admission admission) throws IOException {
    while (true) {
      AttemptPlan plan = call.nextAttempt();
      if (plan == null) {
        Rejection rejection = call.unroutable();
        if (gateway.throwOnRejection()) {
          throw rejection.exception();
        }
        return synthetic(request, rejection);
      }
      Response response;
      try {
        pause(plan.backoff());
        response = chain.proceed(attempt(request, body, bytes, plan));
      } catch (IOException e) {
        if (call.retryAfterFailure(e, chain.call().isCanceled())) {
          continue;
        }
        call.failed(e);
        throw e;
      } catch (RuntimeException e) {
        call.failed(e);
        throw e;
      }
      if (call.retryAfterResponse(response.code(), response::header)) {
        response.close(); // nothing of it reached the application
        continue;
      }
      return observed(chain, call, response, admission);
    }
  }

  private Request attempt(Request request, RequestBody body, byte[] bytes, AttemptPlan plan) {
    Request.Builder builder = withoutGatewayHeaders(request).url(plan.url());
    for (String header : plan.removeHeaders()) {
      builder.removeHeader(header);
    }
    plan.setHeaders().forEach(builder::header);
    return withBody(builder, request, body, plan.body() != null ? plan.body() : bytes);
  }

  /** The application's request minus the headers that address only the gateway. */
  private Request.Builder withoutGatewayHeaders(Request request) {
    Request.Builder builder = request.newBuilder();
    for (String header : gateway.gatewayHeaders()) {
      builder.removeHeader(header);
    }
    return builder;
  }

  /** The app's body may be one-shot and was read already: send its bytes (or a rewrite). */
  private static Request withBody(Request.Builder builder, Request request, RequestBody body,
      byte[] send) {
    builder.method(request.method(), RequestBody.create(send,
        body != null ? body.contentType() : JSON));
    return builder.build();
  }

  private static void pause(Duration backoff) throws InterruptedIOException {
    if (backoff.isZero()) {
      return;
    }
    try {
      Thread.sleep(backoff.toMillis(), backoff.toNanosPart() % 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException interrupted = new InterruptedIOException("interrupted during backoff");
      interrupted.initCause(e);
      throw interrupted;
    }
  }

  private Request outgoing(Request request, RequestBody body, byte[] bytes, Admission admission) {
    Request.Builder builder = withoutGatewayHeaders(request);
    if (body == null) {
      return builder.build();
    }
    return withBody(builder, request, body,
        admission.outgoingBody() != null ? admission.outgoingBody() : bytes);
  }

  private static Response observed(Chain chain, GovernedCall call, Response response,
      Admission admission) {
    ResponseBody body = response.body();
    InputStream upstream = body.byteStream();
    String contentType = response.header("Content-Type");
    InputStream observed = call.observeResponse(response.code(), contentType, upstream,
        () -> chain.call().isCanceled());
    if (observed == upstream && admission.responseHeaders().isEmpty()) {
      return response;
    }
    Response.Builder builder = response.newBuilder();
    admission.responseHeaders().forEach(builder::header);
    if (observed != upstream) {
      boolean eventStream = call.eventStream();
      long length = eventStream ? -1 : body.contentLength();
      if (eventStream) {
        builder.removeHeader("Content-Length"); // hidden usage chunks change the length
      }
      builder.body(ResponseBody.create(Okio.buffer(Okio.source(observed)),
          mediaType(contentType), length));
    }
    return builder.build();
  }

  /**
   * The parsed media type of a Content-Type value, or null. Backends answer with a handful of
   * values, so the parses are kept (up to {@link #KNOWN_MEDIA_TYPES_MAX}) instead of repeated.
   */
  private static MediaType mediaType(String contentType) {
    if (contentType == null) {
      return null;
    }
    Optional<MediaType> known = KNOWN_MEDIA_TYPES.get(contentType);
    if (known == null) {
      known = Optional.ofNullable(MediaType.parse(contentType));
      if (KNOWN_MEDIA_TYPES.size() < KNOWN_MEDIA_TYPES_MAX) {
        KNOWN_MEDIA_TYPES.putIfAbsent(contentType, known);
      }
    }
    return known.orElse(null);
  }

  private static Response synthetic(Request request, Rejection rejection) {
    return local(request, rejection.status(), reasonPhrase(rejection.status()), rejection.body(),
        JSON, rejection.headers());
  }

  /** The cache's answer, as the backend would have given it: 200, the body, its type. */
  private static Response cached(Request request, Admission admission) {
    Admission.CachedAnswer answer = admission.cachedAnswer();
    return local(request, 200, "OK", answer.body(), MediaType.get(answer.contentType()),
        admission.responseHeaders());
  }

  /** A response the gateway gives itself, without any backend. */
  private static Response local(Request request, int status, String message, byte[] body,
      MediaType type, java.util.Map<String, String> headers) {
    long now = System.currentTimeMillis();
    Response.Builder builder = new Response.Builder()
        .request(request)
        .protocol(Protocol.HTTP_1_1)
        .code(status)
        .message(message)
        .sentRequestAtMillis(now)
        .receivedResponseAtMillis(now)
        .body(ResponseBody.create(body, type));
    builder.header("Content-Type", type.toString());
    headers.forEach(builder::header);
    return builder.build();
  }

  private static String reasonPhrase(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 429 -> "Too Many Requests";
      case 503 -> "Service Unavailable";
      default -> "Rejected";
    };
  }

  private static byte[] bytesOf(RequestBody body) throws IOException {
    Buffer buffer = new Buffer();
    body.writeTo(buffer);
    return buffer.readByteArray();
  }
}
