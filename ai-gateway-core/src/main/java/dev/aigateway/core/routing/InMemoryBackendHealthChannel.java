package dev.aigateway.core.routing;

import dev.aigateway.api.spi.BackendHealthChannel;
import dev.aigateway.api.spi.HealthSignal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BackendHealthChannel} within one JVM: several gateways of one process (one per tenant,
 * say) that route over the same backends share their view of them, and tests exercise shared health
 * without a broker. Signals are delivered to every subscriber in the order published, on the
 * channel's delivery executor, never on the publishing thread. A signal that waited for delivery
 * (behind a slow receiver, say) is passed on {@linkplain HealthSignal#aged aged} by its wait, so
 * waiting never lengthens a pause; one whose time ran out while it waited arrives with nothing
 * remaining, which receivers ignore. Thread-safe.
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

  /** Measures how long a signal waited for delivery; null: {@link System#nanoTime()}. */
  private final @Nullable Clock clock;

  private final List<Registration> receivers = new CopyOnWriteArrayList<>();
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
    this.clock = null;
  }

  /**
   * A channel that delivers through {@code delivery}: each published signal is one task, which
   * hands it to every receiver subscribed when it was published whose subscription is still open
   * when the task runs. The executor must not run the task on the publishing thread (receivers take
   * breaker locks that the publisher may hold); tests pass one that queues tasks and runs them when
   * the test says.
   */
  public InMemoryBackendHealthChannel(Executor delivery) {
    this.delivery = Objects.requireNonNull(delivery, "delivery");
    this.clock = null;
  }

  /**
   * A channel that delivers through {@code delivery}, as {@link
   * #InMemoryBackendHealthChannel(Executor)}, and measures on {@code clock} how long a signal
   * waited between publishing and delivery, to pass it on aged by that wait. The other constructors
   * measure on {@link System#nanoTime()}; tests pass a clock they control.
   */
  public InMemoryBackendHealthChannel(Executor delivery, Clock clock) {
    this.delivery = Objects.requireNonNull(delivery, "delivery");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Hands the signal to the delivery executor, which passes it on aged by the time it waited;
   * dropped (and counted) when the executor refuses it.
   */
  @Override
  public void publish(HealthSignal signal) {
    Objects.requireNonNull(signal, "signal");
    List<Registration> targets = List.copyOf(receivers);
    if (targets.isEmpty()) {
      return;
    }
    try {
      Supplier<Duration> waited = stopwatch();
      delivery.execute(() -> deliver(targets, signal.aged(waited.get())));
      dropping.set(false);
    } catch (RejectedExecutionException e) {
      dropped.incrementAndGet();
      if (dropping.compareAndSet(false, true)) {
        log.warn("ai-gateway: in-memory health channel dropped {}: delivery refused it", signal);
      }
    }
  }

  /**
   * Delivers every signal published from now on to {@code receiver}, until the subscription is
   * closed: a signal still waiting for delivery then is not delivered to it. Closing one
   * subscription ends only that one, also when the same receiver is subscribed more than once.
   */
  @Override
  public Subscription subscribe(Consumer<HealthSignal> receiver) {
    Registration registration = new Registration(receiver);
    receivers.add(registration);
    return () -> {
      registration.closed = true;
      receivers.remove(registration);
    };
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

  /** The time elapsed since this call, on the channel's clock. */
  private Supplier<Duration> stopwatch() {
    Clock measuring = clock;
    if (measuring == null) {
      long start = System.nanoTime();
      return () -> Duration.ofNanos(System.nanoTime() - start);
    }
    Instant start = measuring.instant();
    return () -> Duration.between(start, measuring.instant());
  }

  private static void deliver(List<Registration> targets, HealthSignal signal) {
    for (Registration target : targets) {
      if (target.closed) {
        continue;
      }
      try {
        target.receiver.accept(signal);
      } catch (RuntimeException e) {
        log.warn("ai-gateway: a health signal receiver failed on {}", signal, e);
      }
    }
  }

  /**
   * One subscription's receiver. Compared by identity, so that closing a subscription removes its
   * own registration, never another subscription of the same receiver.
   */
  private static final class Registration {
    final Consumer<HealthSignal> receiver;
    volatile boolean closed;

    Registration(Consumer<HealthSignal> receiver) {
      this.receiver = Objects.requireNonNull(receiver, "receiver");
    }
  }
}
