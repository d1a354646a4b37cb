package dev.aigateway.api;

import java.util.Set;

/**
 * Establishes who makes a call, for the gateway's access rules: its roles, and optionally a
 * consumer id proved by a credential (a validated JWT, in {@code ai-gateway-jwt}). A resolver that
 * only reads roles is a {@link RoleResolver}, which is simpler to write.
 *
 * <p>Implementations must be thread-safe and must not throw for a bad credential: they answer
 * {@link Caller#refused(String)}. A resolver that throws anyway refuses the call the same way,
 * without its exception's message.
 */
@FunctionalInterface
public interface CallerResolver {

  /** The call's caller; {@link Caller#UNKNOWN} when it carries nothing to go by. */
  Caller resolve(LlmRequest request);

  /**
   * Request headers that address only the gateway (for example a roles header), removed before the
   * call is sent unless the gateway forwards gateway headers.
   */
  default Set<String> gatewayHeaders() {
    return Set.of();
  }
}
