package dev.aigateway.okhttp;

import java.io.IOException;
import java.util.Set;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The headers the gateway set on an attempt for its backend (its credential, a signature, a pinned
 * version), and the URL the attempt was sent to: a tag on the attempt's request, which OkHttp keeps
 * on the request a redirect makes of it. {@link #KEPT_AT_THEIR_ORIGIN}, a network interceptor,
 * removes those headers from a request a redirect sends to another origin (scheme, host or port),
 * since they were meant for the backend only: OkHttp itself removes {@code Authorization} there,
 * but not Azure's {@code api-key}, Gemini's {@code x-goog-api-key}, Anthropic's {@code x-api-key}
 * or an AWS session token.
 *
 * @param sentTo the URL the attempt was sent to
 * @param names the names of the headers the gateway set
 */
record BackendHeaders(HttpUrl sentTo, Set<String> names) {

  /**
   * Removes the gateway's backend headers from a request that a redirect sends to another origin;
   * every other request goes on as it is.
   */
  static final Interceptor KEPT_AT_THEIR_ORIGIN = BackendHeaders::intercept;

  private static Response intercept(Interceptor.Chain chain) throws IOException {
    Request request = chain.request();
    BackendHeaders set = request.tag(BackendHeaders.class);
    if (set == null || set.sameOrigin(request.url())) {
      return chain.proceed(request);
    }
    Request.Builder builder = request.newBuilder();
    for (String name : set.names) {
      builder.removeHeader(name);
    }
    return chain.proceed(builder.build());
  }

  /** Whether {@code url} has the scheme, host and port the attempt was sent to. */
  private boolean sameOrigin(HttpUrl url) {
    return sentTo.port() == url.port()
        && sentTo.host().equals(url.host())
        && sentTo.scheme().equals(url.scheme());
  }
}
