package dev.aigateway.okhttp;

import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import java.io.IOException;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/**
 * Puts an {@link AiGateway} in front of an {@link OkHttpClient}.
 *
 * <pre>{@code
 * OkHttpClient client = OkHttpAiGateway.wrap(existingClient, gateway);
 * // use client exactly as before: LLM calls are governed, everything else passes through
 * }</pre>
 *
 * <p>The returned client shares the original's connection pool, dispatcher, TLS settings, timeouts
 * and interceptors; the gateway is added as the last application interceptor, so the application's
 * own interceptors see the calls (and any synthetic rejection) as the application does.
 *
 * <p>When the gateway routes calls to a backend pool (whose backends' credentials it sets), the
 * returned client also has {@link #redirectGuard()} among its network interceptors: a call a
 * backend redirects to another origin goes there without the credential the gateway set for the
 * backend (OkHttp itself removes only {@code Authorization}, not Azure's {@code api-key}). A lazily
 * wrapped client ({@link #wrapLazily}) always has it, its gateway not being known yet.
 *
 * <p>A governed call goes to its backend without the headers that address only the gateway (such as
 * a consumer-key header) and without an {@code Accept-Encoding} the application set: the gateway
 * reads the answer (usage, streams) above OkHttp's own decompression, which such a header turns
 * off. OkHttp then asks for gzip itself and inflates, so the application gets the answer inflated,
 * without {@code Content-Encoding}. Calls the gateway does not govern are sent as they are.
 *
 * <p>When the gateway's semantic cache embeds with an {@link OkHttpEmbeddingModel} that has no
 * client of its own, the first wrapped client becomes its client, so embedding calls are governed
 * by the same gateway.
 */
public final class OkHttpAiGateway {

  private OkHttpAiGateway() {}

  /**
   * A client that is {@code client} plus the gateway. {@code client} itself is not changed.
   *
   * <p>A client that this gateway governs already (one {@code wrap} returned, or a client built
   * from one with {@code newBuilder()}) is returned as it is: its calls are governed once, not
   * twice (two events and two charges for each).
   *
   * @throws IllegalArgumentException when another gateway governs {@code client} already: each call
   *     would be charged and reported by both; also when a gateway looked up on the client's first
   *     call ({@link #wrapLazily}) governs it and cannot be looked up now
   */
  public static OkHttpClient wrap(OkHttpClient client, AiGateway gateway) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(gateway, "gateway");
    for (Interceptor interceptor : client.interceptors()) {
      AiGateway governing = null;
      if (interceptor instanceof GatewayInterceptor eager) {
        governing = eager.gateway();
      } else if (interceptor instanceof LazyGatewayInterceptor lazy) {
        try {
          governing = lazy.resolve().gateway();
        } catch (IOException e) {
          throw new IllegalArgumentException(
              "the client is governed already, by a gateway looked up on its first call"
                  + " (wrapLazily) that cannot be looked up now, so whether it is this one is not"
                  + " known; each call would be charged and reported by both if it is another:"
                  + " wrap the client that gateway was given instead ("
                  + e.getMessage()
                  + ")",
              e);
        }
      } else {
        continue;
      }
      if (governing == gateway) {
        return client;
      }
      throw new IllegalArgumentException(
          "the client is governed by another gateway already; each call would be charged and"
              + " reported by both: wrap the client that gateway was given instead");
    }
    OkHttpClient.Builder builder = client.newBuilder().addInterceptor(interceptor(gateway));
    // Only a routed call's attempt carries headers the gateway set for its backend: a gateway
    // without a backend pool sets none, and its calls pass no network interceptor of its own.
    OkHttpClient wrapped =
        gateway.backendPool() != null ? guarded(builder, client) : builder.build();
    bindEmbeddings(wrapped, gateway);
    return wrapped;
  }

  /**
   * A client that is {@code client} plus the gateway {@code gateway} supplies on the first call
   * through it: for a container that builds the clients before the gateway, whose own listeners or
   * stores may use them (the Spring Boot starter's wrapping of {@code OkHttpClient} beans). The
   * gateway found is kept; each call costs one volatile read more than through {@link #wrap}. A
   * call made while {@code gateway} fails (or gives null), as before the container has built it,
   * fails with an {@link IOException} and is not sent; a later call looks again. {@code client}
   * itself is not changed, and a client a gateway governs already ({@link #isGoverned}) is returned
   * as it is.
   */
  public static OkHttpClient wrapLazily(OkHttpClient client, Supplier<AiGateway> gateway) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(gateway, "gateway");
    if (isGoverned(client)) {
      return client;
    }
    LazyGatewayInterceptor interceptor = new LazyGatewayInterceptor(gateway);
    OkHttpClient wrapped = guarded(client.newBuilder().addInterceptor(interceptor), client);
    interceptor.builtInto(wrapped);
    return wrapped;
  }

  /**
   * {@code builder} built with {@link #redirectGuard()} among its network interceptors (once: a
   * client that has it already keeps the one it has).
   */
  private static OkHttpClient guarded(OkHttpClient.Builder builder, OkHttpClient client) {
    return withRedirectGuard(builder).build();
  }

  /**
   * The network interceptor that keeps a backend's credential from a redirect to another origin: a
   * request that a backend redirects to another scheme, host or port goes there without the headers
   * the gateway set for that backend (its {@code Authorization}, {@code api-key}, {@code x-api-key}
   * or {@code x-goog-api-key}, an AWS signature and session token, a pinned version). OkHttp itself
   * removes only {@code Authorization} there. {@link #wrap} adds it for a gateway with a backend
   * pool (only routed attempts carry such headers), {@link #wrapLazily} always; a client assembled
   * by hand with {@link #interceptor} adds it with {@code addNetworkInterceptor}. Requests the
   * gateway sets no header on pass as they are.
   */
  public static Interceptor redirectGuard() {
    return BackendHeaders.KEPT_AT_THEIR_ORIGIN;
  }

  /**
   * Tags {@code request} so that {@link #redirectGuard()}, on its client, keeps the headers {@code
   * names} (a credential the caller set on it) at the origin of {@code url}: a redirect to another
   * scheme, host or port goes without them. For integrations that set headers of their own, as the
   * gateway sets a backend's (the MCP module's configured server headers, for example).
   *
   * @return {@code request}
   */
  public static Request.Builder keepAtOrigin(
      Request.Builder request, HttpUrl url, Set<String> names) {
    return request.tag(BackendHeaders.class, new BackendHeaders(url, Set.copyOf(names)));
  }

  /**
   * {@code builder} with {@link #redirectGuard()} among its network interceptors, unless it has it.
   */
  public static OkHttpClient.Builder withRedirectGuard(OkHttpClient.Builder builder) {
    if (!builder.networkInterceptors().contains(BackendHeaders.KEPT_AT_THEIR_ORIGIN)) {
      builder.addNetworkInterceptor(BackendHeaders.KEPT_AT_THEIR_ORIGIN);
    }
    return builder;
  }

  /** Binds the semantic cache's OkHttp embedding model, if it has no client, to {@code wrapped}. */
  static void bindEmbeddings(OkHttpClient wrapped, AiGateway gateway) {
    ResponseCache cache = gateway.responseCache();
    if (cache != null
        && cache.semantic() != null
        && cache.semantic().embeddingModel() instanceof OkHttpEmbeddingModel embeddings) {
      embeddings.bindIfUnbound(wrapped);
    }
  }

  /**
   * The gateway as an OkHttp application interceptor, for clients assembled by hand. Add it with
   * {@code addInterceptor}, never {@code addNetworkInterceptor}: only an application interceptor
   * may answer a call itself (and send it to another host). Added as a network interceptor, it
   * fails every call through it with an {@link IOException} that says so, before sending anything.
   * Add {@link #redirectGuard()} with {@code addNetworkInterceptor} too, so that a backend's
   * redirect to another origin does not carry the backend's credential there.
   */
  public static Interceptor interceptor(AiGateway gateway) {
    return new GatewayInterceptor(Objects.requireNonNull(gateway, "gateway"));
  }

  /**
   * Whether {@code client} already has a gateway's interceptor among its application interceptors
   * (as a client {@link #wrap} or {@link #wrapLazily} returned has), so wrapping it again would
   * govern each call twice.
   */
  public static boolean isGoverned(OkHttpClient client) {
    for (Interceptor interceptor : client.interceptors()) {
      if (interceptor instanceof GatewayInterceptor
          || interceptor instanceof LazyGatewayInterceptor) {
        return true;
      }
    }
    return false;
  }
}
