package dev.aigateway.api;

import java.util.Set;

/**
 * Receives one {@link GatewayEvent} per governed call, when the call has ended (its body read or
 * closed, or it failed or was rejected). Called on the thread that ended the call; keep it quick.
 * An exception thrown here is caught and logged; it never breaks the call. Breaker transitions of
 * backend pools arrive through {@link #onBreakerTransition}, changes of the token store's health
 * through {@link #onStoreTransition}, consumers' anomaly states through {@link
 * #onConsumerTransition}.
 */
@FunctionalInterface
public interface GatewayListener {

  /** Called once per governed call. */
  void onEvent(GatewayEvent event);

  /**
   * Called when a backend's circuit breaker changes state (opens, half-opens, closes), once per
   * change, in order, on the thread of the call that caused it. Ignored unless overridden. A change
   * that another instance's shared health signal caused has {@link BreakerTransition#origin()} set,
   * and arrives on the health channel's thread. No lock is held meanwhile: a listener that takes
   * its time holds up that thread only (while listeners are still being told of the change before,
   * the thread telling them tells them of this one right after).
   */
  default void onBreakerTransition(BreakerTransition transition) {}

  /**
   * Called when the token store's health changes (it starts failing, is probed, or is healthy
   * again), once per change, in order, on the thread of the call that caused it (or, while
   * listeners are still being told of the change before, on the thread telling them, right after
   * it). No lock is held meanwhile: a listener that takes its time holds up that call only. Ignored
   * unless overridden.
   */
  default void onStoreTransition(StoreTransition transition) {}

  /**
   * Called when anomaly detection changes a consumer's state (flags, throttles or blocks it,
   * escalates, or releases it), once per change, on the thread of the call, sweep or operator
   * request that caused it. Ignored unless overridden.
   */
  default void onConsumerTransition(ConsumerTransition transition) {}

  /**
   * The names of the limits whose counter keys this listener reads from each event ({@link
   * LimitsInfo#counterKeys()}); empty unless overridden. The gateway's builder refuses a listener
   * that names a token limit the gateway does not have, as a typo would otherwise read no key on
   * any call, silently. Names of an MCP server's or an agent's limits (starting {@code mcp:} or
   * {@code a2a:}) are not checked.
   */
  default Set<String> limitsRead() {
    return Set.of();
  }
}
