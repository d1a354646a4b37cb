package dev.aigateway.api;

import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Resolves a string from a call: who the consumer is, or which counter key a limit counts under.
 * Built-in resolvers are in {@link KeyResolvers}; any lambda works too:
 *
 * <pre>{@code
 * KeyResolver byTenant = request -> request.header("x-tenant");
 * }</pre>
 *
 * <p>Implementations must be thread-safe and fast; returning null means "unknown" and the gateway
 * substitutes a documented fallback.
 */
@FunctionalInterface
public interface KeyResolver {

  /** The key for this call, or null when the call carries none. */
  @Nullable String resolve(LlmRequest request);

  /**
   * Request headers that address only the gateway (for example a consumer-id header). The gateway
   * removes them before the call leaves the process unless configured to forward them.
   */
  default Set<String> gatewayHeaders() {
    return Set.of();
  }
}
