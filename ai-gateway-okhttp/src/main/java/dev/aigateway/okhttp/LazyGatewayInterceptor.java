package dev.aigateway.okhttp;

import dev.aigateway.core.AiGateway;
import java.io.IOException;
import java.util.function.Supplier;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's interceptor for a client built before its gateway ({@link
 * OkHttpAiGateway#wrapLazily}): the gateway is looked up on the first call through the client and
 * kept, so each later call costs one volatile read more than {@link GatewayInterceptor}'s.
 */
final class LazyGatewayInterceptor implements Interceptor {

  private final Supplier<AiGateway> lookup;

  /** The interceptor of the gateway looked up; null until the first call finds it. */
  private volatile @Nullable GatewayInterceptor resolved;

  /** The client this interceptor was built into, for the semantic cache's embedding model. */
  private volatile @Nullable OkHttpClient client;

  LazyGatewayInterceptor(Supplier<AiGateway> lookup) {
    this.lookup = lookup;
  }

  /** Records the client this interceptor is part of (once, right after it is built). */
  void builtInto(OkHttpClient wrapped) {
    client = wrapped;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    GatewayInterceptor interceptor = resolved;
    return (interceptor != null ? interceptor : resolve()).intercept(chain);
  }

  /**
   * The gateway's interceptor, looking the gateway up if no call has yet. Not locked: the lookup
   * may wait for a container that is building the gateway on another thread, and two threads that
   * both look it up get the same gateway (an interceptor holds nothing else).
   *
   * @throws IOException when the lookup fails or finds nothing (the gateway is not built yet, or
   *     could not be): the call is not sent, as it could not be governed
   */
  GatewayInterceptor resolve() throws IOException {
    GatewayInterceptor interceptor = resolved;
    if (interceptor != null) {
      return interceptor;
    }
    AiGateway gateway;
    try {
      gateway = lookup.get();
    } catch (RuntimeException e) {
      throw new IOException(
          "the gateway that governs this client is not available (yet): " + e.getMessage(), e);
    }
    if (gateway == null) {
      throw new IOException("the gateway that governs this client is not available (yet)");
    }
    interceptor = new GatewayInterceptor(gateway);
    OkHttpClient wrapped = client;
    if (wrapped != null) {
      OkHttpAiGateway.bindEmbeddings(wrapped, gateway);
    }
    resolved = interceptor;
    return interceptor;
  }
}
