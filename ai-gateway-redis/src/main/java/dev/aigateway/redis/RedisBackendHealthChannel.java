package dev.aigateway.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.LogText;
import dev.aigateway.api.spi.BackendHealthChannel;
import dev.aigateway.api.spi.HealthSignal;
import io.lettuce.core.RedisException;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backend health shared by every instance of an application over Redis publish/subscribe: the
 * {@link BackendHealthChannel} for {@code BackendPool.Builder.sharedHealth} when the instances run
 * in several JVMs.
 *
 * <pre>{@code
 * RedisConnection redis = RedisConnection.builder().uri("redis://redis.internal:6379").build();
 * RedisBackendHealthChannel health = new RedisBackendHealthChannel(redis);
 * BackendPool pool = BackendPool.builder().name("chat").backend(east).backend(west)
 *     .sharedHealth(health).build();
 * // when the application stops:
 * health.close();
 * redis.close();
 * }</pre>
 *
 * <p>Signals travel on the Redis channel {@code <keyPrefix>backend-health}, one small JSON object
 * each ({@code {"v":1,"pool":"chat","backend":"east","kind":"TRIPPED","until":1780308030000,
 * "remaining":30000,"origin":"gw-3k9x"}}; times in milliseconds, saturated at a {@code long}'s
 * bounds: a pause "for good", such as {@link Instant#MAX}, travels as the longest one that fits; a
 * signal with a name that is not well-formed UTF-16 travels with every character beyond ASCII
 * escaped, so that the name arrives as it was sent, not with '?' where UTF-8 lost a surrogate). A
 * message that is not such an object, or is longer than {@value #MAX_MESSAGE_CHARS} characters, is
 * ignored and counted ({@link #malformed()}); a signal whose message would be that long is not
 * published at all, but counted in {@link #dropped()} and logged once.
 *
 * <p>The channel has one daemon thread of its own: {@link #publish} queues the signal for it and
 * returns (at most {@value #MAX_PENDING} signals wait; more are dropped and counted), and received
 * signals are handed to the receivers on it, never on Lettuce's I/O threads. A signal that waited
 * is passed on {@linkplain HealthSignal#aged aged} by the wait. The subscription is made on that
 * thread too, retried every second until Redis answers; once made, Lettuce re-makes the connection
 * and re-subscribes after Redis restarts or the network drops. While Redis is unreachable signals
 * are lost, and each instance goes on with its own view of the backends; failures are logged once
 * per outage, never thrown.
 *
 * <p>Thread-safe. Closing it ends the subscription and the thread; the {@link RedisConnection} is
 * the application's to close.
 */
public final class RedisBackendHealthChannel implements BackendHealthChannel, AutoCloseable {

  /** The channel's name after the key prefix. */
  public static final String CHANNEL = "backend-health";

  /** Signals waiting for the channel's thread, at most; more are dropped. */
  public static final int MAX_PENDING = 1_000;

  /** How long after a failed attempt the subscription is tried again. */
  static final Duration RESUBSCRIBE_DELAY = Duration.ofSeconds(1);

  /** Messages longer than this are malformed without being parsed. */
  static final int MAX_MESSAGE_CHARS = 4_096;

  private static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Writes every character beyond ASCII as a JSON escape: for a name that is not well-formed UTF-16
   * (an unpaired surrogate), which Redis's UTF-8 would carry as '?', so that it arrives as sent.
   */
  private static final ObjectWriter ESCAPED =
      JSON.writer().with(JsonWriteFeature.ESCAPE_NON_ASCII.mappedFeature());

  private final RedisConnection redis;
  private final String channel;
  private final Logger log;
  private final ScheduledThreadPoolExecutor worker;
  private final List<Registration> receivers = new CopyOnWriteArrayList<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong publishFailures = new AtomicLong();
  private final AtomicBoolean publishDown = new AtomicBoolean();
  private final AtomicBoolean subscribeDown = new AtomicBoolean();
  private final AtomicBoolean malformedLogged = new AtomicBoolean();
  private final AtomicBoolean oversizedLogged = new AtomicBoolean();
  private final AtomicBoolean subscribing = new AtomicBoolean();
  private volatile @Nullable StatefulRedisPubSubConnection<String, String> pubSub;
  private volatile boolean closed;

  /** A channel over {@code redis}, on {@code <keyPrefix>backend-health}; connects when used. */
  public RedisBackendHealthChannel(RedisConnection redis) {
    this(redis, LoggerFactory.getLogger(RedisBackendHealthChannel.class));
  }

  RedisBackendHealthChannel(RedisConnection redis, Logger log) {
    this.redis = Objects.requireNonNull(redis, "redis");
    this.channel = redis.key(CHANNEL);
    this.log = log;
    this.worker =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread thread = new Thread(task, "ai-gateway-redis-health");
              thread.setDaemon(true);
              return thread;
            });
    worker.setRemoveOnCancelPolicy(true);
  }

  /** The Redis channel signals travel on. */
  public String channel() {
    return channel;
  }

  /**
   * Queues the signal for publishing and returns; it is dropped (and counted in {@link #dropped()})
   * when {@value #MAX_PENDING} signals are waiting already or the channel is closed.
   */
  @Override
  public void publish(HealthSignal signal) {
    Objects.requireNonNull(signal, "signal");
    long queuedAt = System.nanoTime();
    if (!enqueue(() -> send(signal.aged(Duration.ofNanos(System.nanoTime() - queuedAt))))) {
      dropped.incrementAndGet();
    }
  }

  /**
   * Delivers signals published by any instance (this one included) to {@code receiver}, on the
   * channel's thread, until the subscription is closed: a signal not yet handed to it then is not
   * delivered to it. Closing one subscription ends only that one, also when the same receiver is
   * subscribed more than once. The first subscription starts the Redis subscription in the
   * background; this method never waits for Redis.
   */
  @Override
  public Subscription subscribe(Consumer<HealthSignal> receiver) {
    Registration registration = new Registration(receiver);
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
    receivers.add(registration);
    if (subscribing.compareAndSet(false, true)) {
      worker.execute(this::connect);
    }
    return () -> {
      registration.closed = true;
      receivers.remove(registration);
    };
  }

  /** Whether the Redis subscription is made and its connection is up now. */
  public boolean isSubscribed() {
    StatefulRedisPubSubConnection<String, String> connection = pubSub;
    return connection != null && connection.isOpen();
  }

  /** Signals this channel published to Redis. */
  public long published() {
    return published.get();
  }

  /** Messages received from Redis on the channel, well-formed or not. */
  public long received() {
    return received.get();
  }

  /** Messages received that were not a health signal, and were ignored. */
  public long malformed() {
    return malformed.get();
  }

  /**
   * Signals not published or not delivered because too many were waiting or it was closed, and
   * signals not published because their message would be longer than {@value #MAX_MESSAGE_CHARS}
   * characters, which every receiver ignores (a pool name or backend id of thousands of characters;
   * the first one is logged).
   */
  public long dropped() {
    return dropped.get();
  }

  /** Signals that Redis did not take (it was down or did not answer in time). */
  public long publishFailures() {
    return publishFailures.get();
  }

  /** Ends the subscription and the channel's thread; signals still waiting are dropped. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    worker.shutdown();
    try {
      if (!worker.awaitTermination(2, TimeUnit.SECONDS)) {
        worker.shutdownNow();
      }
    } catch (InterruptedException e) {
      worker.shutdownNow();
      Thread.currentThread().interrupt();
    }
    StatefulRedisPubSubConnection<String, String> connection = pubSub;
    pubSub = null;
    if (connection != null) {
      closeQuietly(connection);
    }
  }

  /** The server (never a password) and the channel. */
  @Override
  public String toString() {
    return "RedisBackendHealthChannel[" + redis + ", channel=" + channel + "]";
  }

  // ---------------------------------------------------------------- on the channel's thread

  private boolean enqueue(Runnable task) {
    if (closed || pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      return false;
    }
    try {
      worker.execute(
          () -> {
            pending.decrementAndGet();
            task.run();
          });
      return true;
    } catch (RejectedExecutionException shutDown) {
      pending.decrementAndGet();
      return false;
    }
  }

  private void send(HealthSignal signal) {
    String message = encode(signal);
    if (message.length() > MAX_MESSAGE_CHARS) {
      // every receiver would drop it as malformed: not sent, so the sender is the one who knows
      dropped.incrementAndGet();
      if (oversizedLogged.compareAndSet(false, true)) {
        log.warn(
            "ai-gateway: not publishing the backend health signal of pool {}, backend {}: its"
                + " message has {} characters, more than the {} receivers take; shorten the pool"
                + " name or the backend id (further ones are counted in dropped(), not logged)",
            LogText.of(signal.pool()),
            LogText.of(signal.backendId()),
            message.length(),
            MAX_MESSAGE_CHARS);
      }
      return;
    }
    try {
      redis.strings().sync().publish(channel, message);
      published.incrementAndGet();
      if (publishDown.compareAndSet(true, false)) {
        log.info("ai-gateway: backend health signals reach {} again", redis);
      }
    } catch (RuntimeException e) {
      publishFailures.incrementAndGet();
      if (!publishDown.compareAndSet(false, true)) {
        return;
      }
      if (e instanceof RedisException refused && !RedisTokenLimitStore.unreachable(refused)) {
        // Redis answered, with an error (an ACL without PUBLISH, ...): what it said is the cause
        log.warn(
            "ai-gateway: {} refuses backend health signals ({}); each instance keeps its own view"
                + " of the backends until it takes them",
            redis,
            LogText.of(e.getMessage()));
      } else {
        log.warn(
            "ai-gateway: backend health signals cannot reach {} ({}); each instance keeps its own"
                + " view of the backends until Redis is back",
            redis,
            e.getClass().getName());
      }
    }
  }

  private void connect() {
    if (closed || pubSub != null) {
      return;
    }
    StatefulRedisPubSubConnection<String, String> connection = null;
    try {
      connection = redis.newPubSub();
      connection.addListener(
          new RedisPubSubAdapter<>() {
            @Override
            public void message(String from, String message) {
              onMessage(from, message);
            }
          });
      connection.sync().subscribe(channel);
      pubSub = connection;
      if (subscribeDown.compareAndSet(true, false)) {
        log.info("ai-gateway: subscribed to backend health on {} again", redis);
      }
    } catch (RuntimeException e) {
      if (connection != null) {
        closeQuietly(connection);
      }
      if (subscribeDown.compareAndSet(false, true)) {
        log.warn(
            "ai-gateway: cannot subscribe to backend health on {} ({}); trying every {} s, each"
                + " instance keeps its own view of the backends meanwhile",
            redis,
            e.getClass().getName(),
            RESUBSCRIBE_DELAY.toSeconds());
      }
      if (!closed) {
        try {
          worker.schedule(this::connect, RESUBSCRIBE_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shutDown) {
          // closed meanwhile
        }
      }
      return;
    }
    try {
      redis.strings(); // connects for publishing now, so the first signal need not wait for it
    } catch (RuntimeException e) {
      // Redis went away meanwhile: the first publish tries again, and says so if it fails.
    }
  }

  /** On a Lettuce I/O thread: count it and hand it to the channel's thread. */
  private void onMessage(String from, String message) {
    if (!channel.equals(from)) {
      return;
    }
    received.incrementAndGet();
    long arrivedAt = System.nanoTime();
    if (!enqueue(() -> deliver(message, arrivedAt))) {
      dropped.incrementAndGet();
    }
  }

  private void deliver(String message, long arrivedAt) {
    HealthSignal signal = decode(message);
    if (signal == null) {
      malformed.incrementAndGet();
      if (malformedLogged.compareAndSet(false, true)) {
        log.warn(
            "ai-gateway: ignoring a message on {} that is not a backend health signal (further"
                + " ones are counted, not logged)",
            channel);
      }
      return;
    }
    HealthSignal aged = signal.aged(Duration.ofNanos(System.nanoTime() - arrivedAt));
    for (Registration target : receivers) {
      if (target.closed) {
        continue;
      }
      try {
        target.receiver.accept(aged);
      } catch (RuntimeException e) {
        log.warn("ai-gateway: a backend health receiver failed on {}", aged, e);
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

  // ---------------------------------------------------------------- the message

  static String encode(HealthSignal signal) {
    ObjectNode node = JSON.createObjectNode();
    node.put("v", VERSION);
    node.put("pool", signal.pool());
    node.put("backend", signal.backendId());
    node.put("kind", signal.kind().name());
    node.put("until", epochMillis(signal.until()));
    node.put("remaining", RedisResponseCacheStore.ceilMillis(signal.remaining()));
    node.put("origin", signal.origin());
    try {
      return Wire.wellFormed(signal.pool())
              && Wire.wellFormed(signal.backendId())
              && Wire.wellFormed(signal.origin())
          ? JSON.writeValueAsString(node)
          : ESCAPED.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings and numbers always serializes", e);
    }
  }

  /** {@code instant} in epoch milliseconds, saturated at a {@code long}'s bounds. */
  private static long epochMillis(Instant instant) {
    try {
      return instant.toEpochMilli();
    } catch (ArithmeticException beyond) {
      return instant.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  /** The signal in {@code message}, or null when it is not one of this version. */
  static @Nullable HealthSignal decode(String message) {
    if (message.length() > MAX_MESSAGE_CHARS) {
      return null;
    }
    try {
      JsonNode node = JSON.readTree(message);
      if (node == null || !node.isObject() || !node.path("v").isInt()) {
        return null;
      }
      if (node.get("v").intValue() != VERSION) {
        return null;
      }
      String pool = text(node, "pool");
      String backend = text(node, "backend");
      String kind = text(node, "kind");
      String origin = text(node, "origin");
      JsonNode until = node.get("until");
      JsonNode remaining = node.get("remaining");
      if (pool == null
          || backend == null
          || kind == null
          || origin == null
          || until == null
          || !until.canConvertToLong()
          || !until.isIntegralNumber()
          || remaining == null
          || !remaining.canConvertToLong()
          || !remaining.isIntegralNumber()) {
        return null;
      }
      return new HealthSignal(
          pool,
          backend,
          HealthSignal.Kind.valueOf(kind),
          Instant.ofEpochMilli(until.longValue()),
          Duration.ofMillis(remaining.longValue()),
          origin);
    } catch (JsonProcessingException | RuntimeException e) {
      return null; // not JSON, an unknown kind, an instant out of range, a blank or negative field
    }
  }

  private static @Nullable String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && value.isTextual() ? value.textValue() : null;
  }

  private static void closeQuietly(StatefulRedisPubSubConnection<String, String> connection) {
    try {
      connection.close();
    } catch (RuntimeException ignored) {
      // closing a broken connection
    }
  }
}
