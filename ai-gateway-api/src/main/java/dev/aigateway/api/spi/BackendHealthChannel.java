package dev.aigateway.api.spi;

import java.util.function.Consumer;

/**
 * Carries {@link HealthSignal}s between the gateway instances of an application, so that a backend
 * one instance finds unavailable (a {@code 429} with a retry-after, a tripped breaker) is avoided
 * by every instance, and its recovery is learnt by all. A backend pool uses it when built with
 * {@code BackendPool.Builder.sharedHealth(channel)}; the pool publishes what its own calls found
 * and applies what it receives.
 *
 * <pre>{@code
 * BackendHealthChannel health = new RedisBackendHealthChannel(redis);   // ai-gateway-redis
 * BackendPool pool = BackendPool.builder()
 *     .name("chat")
 *     .backend(east).backend(west)
 *     .sharedHealth(health)
 *     .build();
 * }</pre>
 *
 * <p>What an implementation must do:
 *
 * <ul>
 *   <li><b>Never block or throw on {@link #publish}.</b> It is called on the call path, sometimes
 *       while a breaker's lock is held: hand the signal to another thread (or to an asynchronous
 *       client) and return. A signal that cannot be delivered is dropped; failures are logged by
 *       the channel, once per outage, not thrown.
 *   <li><b>Deliver to every subscriber</b>, in every instance, the publisher's own included (the
 *       gateway ignores its own signals by their {@link HealthSignal#origin}), on a thread of the
 *       channel's and never on the publisher's: a receiver takes a breaker's lock.
 *   <li><b>Best effort.</b> Signals may be lost (the shared medium is down) or arrive late; a
 *       channel that held a signal before passing it on hands over {@link HealthSignal#aged}. Every
 *       signal carries its end, so a lost one costs at most one extra call to the backend, and a
 *       late one never keeps it away longer than its sender asked.
 *   <li><b>Thread-safe</b>: one channel may serve several pools and gateways.
 * </ul>
 *
 * <p>The suite {@code dev.aigateway.store.tck.BackendHealthChannelContract} in {@code
 * ai-gateway-store-tck} checks these, for the in-memory and the Redis channel alike.
 */
public interface BackendHealthChannel {

  /**
   * Sends the signal to every subscriber of the channel, without waiting for it to arrive. Never
   * blocks and never throws for a delivery failure.
   */
  void publish(HealthSignal signal);

  /**
   * Delivers every signal published from now on (by any instance) to {@code receiver} until the
   * returned subscription is closed. Returns at once, also when the shared medium is unreachable:
   * delivery begins when it can.
   */
  Subscription subscribe(Consumer<HealthSignal> receiver);

  /** A receiver's registration with a {@link BackendHealthChannel}; close it to stop receiving. */
  @FunctionalInterface
  interface Subscription extends AutoCloseable {
    /**
     * Stops delivery through this subscription: a signal not yet handed to the receiver is not
     * handed to it any more. Idempotent, and it ends this subscription only: another subscription
     * of the same receiver goes on.
     */
    @Override
    void close();
  }
}
