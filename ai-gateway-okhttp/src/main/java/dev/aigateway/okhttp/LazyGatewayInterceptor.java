package dev.aigateway.okhttp;

import dev.aigateway.core.AiGateway;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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

  /** Sets {@link #resolved} once, whichever thread's lookup ends first. */
  private static final VarHandle RESOLVED;

  static {
    try {
      RESOLVED =
          MethodHandles.lookup()
              .findVarHandle(LazyGatewayInterceptor.class, "resolved", GatewayInterceptor.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

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
   * may wait for a container that is building the gateway on another thread. Two threads that both
   * look it up keep the interceptor the first of them set: an interceptor learns the origins of the
   * calls it governs (to keep the headers that address only the gateway from the calls it passes
   * through there), so every call goes through the one interceptor later calls use.
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
    OkHttpClient wrapped = client;
    if (wrapped != null) { // before any call can find the interceptor (binding it twice is a no-op)
      OkHttpAiGateway.bindEmbeddings(wrapped, gateway);
    }
    interceptor = new GatewayInterceptor(gateway);
    GatewayInterceptor first =
        (GatewayInterceptor) RESOLVED.compareAndExchange(this, null, interceptor);
    return first != null ? first : interceptor; // another thread's lookup may have set it first
  }
}
