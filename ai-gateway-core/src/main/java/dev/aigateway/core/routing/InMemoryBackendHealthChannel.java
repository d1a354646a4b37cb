package dev.aigateway.core.routing;

import dev.aigateway.api.spi.BackendHealthChannel;
import dev.aigateway.api.spi.HealthSignal;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BackendHealthChannel} within one JVM: several gateways of one process (one per tenant,
 * say) that route over the same backends share their view of them, and tests exercise shared health
 * without a broker. Signals are delivered to every subscriber in the order published, on the
 * channel's delivery executor, never on the publishing thread. Thread-safe.
 *
 * <pre>{@code
 * InMemoryBackendHealthChannel health = new InMemoryBackendHealthChannel();
 * AiGateway tenantA = AiGateway.builder().backendPool(pool(health)).build();
 * AiGateway tenantB = AiGateway.builder().backendPool(pool(health)).build();
 * }</pre>
 */
public final class InMemoryBackendHealthChannel implements BackendHealthChannel {

  private static final Logger log = LoggerFactory.getLogger(InMemoryBackendHealthChannel.class);

  /** Signals waiting for the default delivery thread; more are dropped. */
  static final int MAX_PENDING = 10_000;

  private final Executor delivery;
  private final List<Consumer<HealthSignal>> receivers = new CopyOnWriteArrayList<>();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicBoolean dropping = new AtomicBoolean();

  /**
   * A channel that delivers on one daemon thread of its own, started when a signal is published and
   * ended after 30 s without one.
   */
  public InMemoryBackendHealthChannel() {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            0,
            1,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(MAX_PENDING),
            task -> {
              Thread thread = new Thread(task, "ai-gateway-health-delivery");
              thread.setDaemon(true);
              return thread;
            });
    this.delivery = executor;
  }

  /**
   * A channel that delivers through {@code delivery}: each published signal is one task, which
   * hands it to every receiver subscribed when it was published. The executor must not run the task
   * on the publishing thread (receivers take breaker locks that the publisher may hold); tests pass
   * one that queues tasks and runs them when the test says.
   */
  public InMemoryBackendHealthChannel(Executor delivery) {
    this.delivery = Objects.requireNonNull(delivery, "delivery");
  }

  /** Hands the signal to the delivery executor; dropped (and counted) when it refuses. */
  @Override
  public void publish(HealthSignal signal) {
    Objects.requireNonNull(signal, "signal");
    List<Consumer<HealthSignal>> targets = List.copyOf(receivers);
    if (targets.isEmpty()) {
      return;
    }
    try {
      delivery.execute(() -> deliver(targets, signal));
      dropping.set(false);
    } catch (RejectedExecutionException e) {
      dropped.incrementAndGet();
      if (dropping.compareAndSet(false, true)) {
        log.warn("ai-gateway: in-memory health channel dropped {}: delivery refused it", signal);
      }
    }
  }

  @Override
  public Subscription subscribe(Consumer<HealthSignal> receiver) {
    Objects.requireNonNull(receiver, "receiver");
    receivers.add(receiver);
    return () -> receivers.remove(receiver);
  }

  /** Receivers subscribed now. */
  public int subscribers() {
    return receivers.size();
  }

  /** Signals dropped because the delivery executor refused them. */
  public long dropped() {
    return dropped.get();
  }

  @Override
  public String toString() {
    return "InMemoryBackendHealthChannel[" + receivers.size() + " subscribers]";
  }

  private static void deliver(List<Consumer<HealthSignal>> targets, HealthSignal signal) {
    for (Consumer<HealthSignal> receiver : targets) {
      try {
        receiver.accept(signal);
      } catch (RuntimeException e) {
        log.warn("ai-gateway: a health signal receiver failed on {}", signal, e);
      }
    }
  }
}
