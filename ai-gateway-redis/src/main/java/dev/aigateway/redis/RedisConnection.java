package dev.aigateway.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One application's link to the Redis that its gateway instances share: the server's address, the
 * prefix every key of the gateway starts with, and the time any one command may take. The Redis
 * stores of this module are built on it, so they share its connections:
 *
 * <pre>{@code
 * RedisConnection redis = RedisConnection.builder()
 *     .uri("redis://redis.internal:6379")
 *     .keyPrefix("orders-service:")          // one application's keys, apart from others'
 *     .commandTimeout(Duration.ofMillis(50))
 *     .build();
 * // ... build the stores, then, when the application stops:
 * redis.close();
 * }</pre>
 *
 * <p>The connection is made lazily, on first use, and is re-made automatically after Redis restarts
 * or the network drops. While it is down, commands fail at once (they are not queued to be sent
 * later), and no command waits longer than the command timeout: the stores turn such failures into
 * the outcomes their documentation gives. A store call that finds it not made yet waits for it at
 * most the command timeout (it goes on being made in the background, within the connect timeout).
 * Thread-safe; close it once, when the application stops.
 */
public final class RedisConnection implements AutoCloseable {

  /** The default command timeout: a loopback or same-zone Redis answers far within it. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(50);

  /** The default connect timeout: making a connection may take longer than one command. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);

  /**
   * What {@link #connect} allows beyond the timed steps of making its connections (see there): the
   * Redis client's start in a fresh JVM.
   */
  public static final Duration START_UP_GRACE = Duration.ofSeconds(10);

  /** The default key prefix. */
  public static final String DEFAULT_KEY_PREFIX = "aigw:";

  private final RedisClient client;
  private final RedisURI uri;
  private final List<DirectLink> directLinks = new ArrayList<>();
  private final String keyPrefix;
  private final Duration commandTimeout;
  private final Duration connectTimeout;
  private final String description;
  private final Shared<String> strings = new Shared<>(StringCodec.UTF8);
  private final Shared<byte[]> bytes = new Shared<>(ByteArrayCodec.INSTANCE);
  private boolean closed;
  // connect() was called: a direct link made later is connected when it is made
  private boolean connectedAtStartUp;

  private RedisConnection(Builder b) {
    RedisURI uri = parse(Objects.requireNonNull(b.uri, "uri"));
    // The URI's timeout bounds making a connection (socket and handshake); every command is bounded
    // by the command timeout below, however long the URI's is.
    Duration connectTimeout =
        b.connectTimeout.compareTo(b.commandTimeout) < 0 ? b.commandTimeout : b.connectTimeout;
    uri.setTimeout(connectTimeout);
    this.description = uri.getHost() + ":" + uri.getPort();
    this.uri = uri;
    this.client = RedisClient.create(uri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).build())
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(
                TimeoutOptions.builder()
                    .timeoutSource(new CommandTimeouts(b.commandTimeout, connectTimeout))
                    .build())
            .build());
    this.keyPrefix = b.keyPrefix;
    this.commandTimeout = b.commandTimeout;
    this.connectTimeout = connectTimeout;
  }

  /** A builder; {@link Builder#uri} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The prefix every key of the gateway starts with. */
  public String keyPrefix() {
    return keyPrefix;
  }

  /** The longest any one command may take before it fails. */
  public Duration commandTimeout() {
    return commandTimeout;
  }

  /**
   * Connects now, and checks that the server answers, instead of on the first store call: an
   * application calls it at start-up so its first governed calls do not pay for the connection
   * (which may take longer than the gateway's store timeout). The shared connections are made, and
   * so is the blocking connection of each {@link RedisTokenLimitStore} on it that reserves on the
   * caller's thread ({@link RedisTokenLimitStore.Builder#reserveOnCallerThread}): those of stores
   * built before this call now, those of stores built after it when they are built (a store whose
   * connection cannot be made then makes it on its first call). Safe to call again.
   *
   * @return how long the server took to answer {@code PING}
   *     <p>The socket's connect and the connection's handshake are each bounded by the connect
   *     timeout ({@link Builder#connectTimeout}, not the shorter command timeout: a fresh
   *     connection's first answer may take longer). This method waits for them, and in all at most
   *     twice the connect timeout plus {@link #START_UP_GRACE}: the first connection in a JVM also
   *     loads and starts the Redis client's network layer, which on a loaded machine takes seconds
   *     before any timed step begins.
   * @throws RedisStoreException when the server cannot be reached, or does not answer its handshake
   *     or {@code PING} in time; the message names the host and port, never a password
   */
  public Duration connect() {
    long wait = connectTimeout.multipliedBy(2).plus(START_UP_GRACE).toNanos();
    try {
      strings.get(wait);
      bytes.get(wait);
      List<DirectLink> links;
      synchronized (this) {
        requireOpen();
        connectedAtStartUp = true;
        links = List.copyOf(directLinks);
      }
      for (DirectLink link : links) {
        link.connect(connectTimeout.toNanos());
      }
      long start = System.nanoTime();
      strings().sync().ping();
      return Duration.ofNanos(System.nanoTime() - start);
    } catch (RuntimeException e) {
      if (e instanceof IllegalStateException) {
        throw e;
      }
      throw new RedisStoreException(
          "could not connect to Redis at " + description + ": " + e.getClass().getSimpleName(), e);
    }
  }

  /** The longest making a connection may take (never less than the command timeout). */
  Duration connectTimeout() {
    return connectTimeout;
  }

  /** Host and port of the server, for messages: never a password. */
  String address() {
    return description;
  }

  /**
   * The shared connection with string keys and values (counters, scripts, streams). Until it is
   * first made, waits for it at most the command timeout (see {@link Shared#get}).
   */
  StatefulRedisConnection<String, String> strings() {
    return strings.get(commandTimeout.toNanos());
  }

  /**
   * The shared connection with string keys and values, waiting at most {@code waitNanos} for it to
   * be made (zero: only if it is made already; else it is being made, and this fails at once).
   */
  StatefulRedisConnection<String, String> strings(long waitNanos) {
    return strings.get(waitNanos);
  }

  /**
   * The shared connection with binary keys and values (cached answers, vectors). Until it is first
   * made, waits for it at most the command timeout (see {@link Shared#get}).
   */
  StatefulRedisConnection<byte[], byte[]> bytes() {
    return bytes.get(commandTimeout.toNanos());
  }

  /**
   * A shared connection, made on first use in the background (within the connect timeout, as
   * Lettuce makes it), never while holding this connection's lock: a caller waits for it at most
   * its own bound, so no store call takes longer than the command timeout because Redis does not
   * accept or answer a new connection, and callers do not queue one behind the other for it. A
   * failed attempt is made again by the next caller; once made, Lettuce re-makes it itself.
   */
  private final class Shared<V> {
    private final RedisCodec<V, V> codec;
    private @Nullable StatefulRedisConnection<V, V> made;
    private @Nullable CompletableFuture<StatefulRedisConnection<V, V>> making;

    Shared(RedisCodec<V, V> codec) {
      this.codec = codec;
    }

    /**
     * The connection, waiting at most {@code waitNanos} for it to be made.
     *
     * @throws RedisConnectionException when it is not made in time (it is still being made) or
     *     could not be made
     * @throws IllegalStateException when this connection is closed
     */
    StatefulRedisConnection<V, V> get(long waitNanos) {
      CompletableFuture<StatefulRedisConnection<V, V>> pending;
      synchronized (RedisConnection.this) {
        requireOpen();
        if (made != null) {
          return made;
        }
        if (making == null || making.isCompletedExceptionally()) {
          making = client.connectAsync(codec, uri).toCompletableFuture();
        }
        pending = making;
      }
      StatefulRedisConnection<V, V> connection;
      try {
        connection = pending.get(Math.max(0, waitNanos), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw new RedisConnectionException(
            "not connected to Redis at " + description + " yet (still connecting)");
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RedisException redis) {
          throw redis;
        }
        throw new RedisConnectionException("could not connect to Redis at " + description, cause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RedisConnectionException(
            "interrupted while connecting to Redis at " + description, e);
      }
      synchronized (RedisConnection.this) {
        if (!closed) {
          if (made == null) {
            made = connection;
          }
          return made;
        }
      }
      // Closed meanwhile: closed outside the lock, as close() does (see closing()), since closing
      // waits for Lettuce's event loop, where a reply's callback may be waiting for the lock.
      connection.close();
      throw closedFailure();
    }

    /**
     * What closes the connection, and the one being made once it is: taken under the connection's
     * lock once it is closed (nothing is made after), run outside it. Closing waits for Lettuce's
     * event loop, where replies run callbacks that may use this connection (and so take its lock).
     */
    Runnable closing() {
      StatefulRedisConnection<V, V> connection = made;
      CompletableFuture<StatefulRedisConnection<V, V>> pending = making;
      return () -> {
        if (connection != null) {
          connection.close();
        } else if (pending != null) {
          pending.thenAccept(StatefulRedisConnection::close);
        }
      };
    }
  }

  /**
   * A new binary connection of its own, for a reader that blocks on it ({@code XREAD BLOCK}); the
   * caller closes it. Blocking reads may take up to {@link #MAX_BLOCK} beyond the command timeout.
   */
  StatefulRedisConnection<byte[], byte[]> newBytes() {
    synchronized (this) {
      requireOpen();
    }
    return client.connect(ByteArrayCodec.INSTANCE);
  }

  /** A new publish/subscribe connection; the caller closes it. */
  StatefulRedisPubSubConnection<String, String> newPubSub() {
    synchronized (this) {
      requireOpen();
    }
    return client.connectPubSub(StringCodec.UTF8);
  }

  /**
   * A blocking connection of its own that the calling thread writes and reads ({@link DirectLink}),
   * to the same server, user and database; connected on first use and closed with this connection.
   * Null when the URI asks for what it does not do: TLS, a Unix socket or Sentinel (the caller then
   * uses the shared connection only). Once {@link #connect} was called, it is connected here,
   * within the connect timeout (when that fails, its first call connects it).
   */
  @Nullable DirectLink newDirectLink() {
    if (uri.isSsl() || uri.getSocket() != null || !uri.getSentinels().isEmpty()) {
      return null;
    }
    String user = null;
    String password = null;
    RedisCredentialsProvider provider = uri.getCredentialsProvider();
    if (provider != null) {
      // the URI's own user and password: a provider that answers at once
      RedisCredentials credentials = provider.resolveCredentials().block(Duration.ofSeconds(1));
      if (credentials != null && credentials.hasPassword()) {
        user = credentials.hasUsername() ? credentials.getUsername() : null;
        password = new String(credentials.getPassword());
      }
    }
    DirectLink link;
    boolean connectNow;
    synchronized (this) {
      // made also when closed: its calls then fail like those of the shared connection
      link =
          new DirectLink(
              uri.getHost(), uri.getPort(), user, password, uri.getDatabase(), this::isOpen);
      directLinks.add(link);
      connectNow = connectedAtStartUp && !closed;
    }
    if (connectNow) {
      try {
        link.connect(connectTimeout.toNanos());
      } catch (RuntimeException e) {
        // not reachable now: its first call connects it, within that call's timeout
      }
    }
    return link;
  }

  /** Forgets a link its store closed. */
  synchronized void release(DirectLink link) {
    directLinks.remove(link);
  }

  /** Whether it is not closed yet. */
  synchronized boolean isOpen() {
    return !closed;
  }

  /**
   * The parsed URI. One that does not parse, or whose user name or password a reserved character
   * cut short (so that the rest of it would be read as the host, and named in messages), fails with
   * a message that quotes no part of it: the parser's own message quotes it whole, password
   * included, so neither that message nor its exception is passed on.
   */
  static RedisURI parse(String uri) {
    RedisURI parsed;
    try {
      parsed = RedisURI.create(uri);
    } catch (RuntimeException e) {
      throw invalidUri(e.getClass().getSimpleName());
    }
    if (credentialsCutShort(uri)) {
      throw invalidUri("an '@' after the host");
    }
    return parsed;
  }

  private static IllegalArgumentException invalidUri(String why) {
    return new IllegalArgumentException(
        "uri is not a valid Redis URI ("
            + why
            + "); reserved characters in a user name or password (such as '#', '?', '/', '%',"
            + " '^', '@' or a space) must be percent-encoded. The URI is not shown: it may hold a"
            + " password");
  }

  /**
   * Whether an {@code '@'} comes after the authority has ended at a {@code '/'}, {@code '?'} or
   * {@code '#'}: that character was part of the user name or password, unless the {@code '@'} is in
   * a query parameter's value.
   */
  private static boolean credentialsCutShort(String uri) {
    int start = uri.indexOf("://");
    if (start < 0) {
      return false;
    }
    start += 3;
    int end = start;
    while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
      end++;
    }
    int at = uri.indexOf('@', end);
    if (at < 0) {
      return false;
    }
    return uri.charAt(end) != '?' || uri.substring(end + 1, at).indexOf('=') < 0;
  }

  /** The prefixed key made of {@code parts} joined by {@code ':'}. */
  String key(String... parts) {
    StringBuilder key = new StringBuilder(keyPrefix);
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        key.append(':');
      }
      key.append(parts[i]);
    }
    return key.toString();
  }

  private void requireOpen() {
    if (closed) {
      throw closedFailure();
    }
  }

  private IllegalStateException closedFailure() {
    return new IllegalStateException("RedisConnection to " + description + " is closed");
  }

  /** Closes the connections and releases the client's threads. */
  @Override
  public void close() {
    Runnable closeStrings;
    Runnable closeBytes;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      closeStrings = strings.closing();
      closeBytes = bytes.closing();
      // an idle link closes now, one in use when its call ends (see DirectLink)
      for (DirectLink link : directLinks) {
        link.close();
      }
    }
    // outside the lock: a reply handled on Lettuce's event loop meanwhile may ask for a connection
    closeStrings.run();
    closeBytes.run();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  /** The longest a blocking stream read ({@code XREAD BLOCK}) may wait on the server. */
  static final Duration MAX_BLOCK = Duration.ofSeconds(2);

  /**
   * Every command times out after the command timeout, except a stream read, which may block on the
   * server for up to {@link #MAX_BLOCK} first (the stores only block on connections of their own,
   * never on the shared ones), and the start-up {@code PING} of {@link #connect()}, which has the
   * connect timeout.
   */
  static final class CommandTimeouts extends TimeoutOptions.TimeoutSource {
    private final long commandNanos;
    private final long connectNanos;

    CommandTimeouts(Duration commandTimeout, Duration connectTimeout) {
      this.commandNanos = commandTimeout.toNanos();
      this.connectNanos = connectTimeout.toNanos();
    }

    @Override
    public long getTimeout(RedisCommand<?, ?, ?> command) {
      if (command.getType() == CommandType.XREAD) {
        return commandNanos + MAX_BLOCK.toNanos();
      }
      // PING is sent only by connect(), the start-up check: a fresh connection's first answer may
      // take longer than a store command is allowed, so it has the time a connection has
      return command.getType() == CommandType.PING ? connectNanos : commandNanos;
    }

    @Override
    public TimeUnit getTimeUnit() {
      return TimeUnit.NANOSECONDS;
    }
  }

  /** Host and port only: never a password. */
  @Override
  public String toString() {
    return "RedisConnection[" + description + ", keyPrefix=" + keyPrefix + "]";
  }

  /** Builds a {@link RedisConnection}; each setter replaces the earlier value. */
  public static final class Builder {
    private @Nullable String uri;
    private String keyPrefix = DEFAULT_KEY_PREFIX;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;

    private Builder() {}

    /**
     * The server, as a Redis URI: {@code redis://host:port}, {@code rediss://} for TLS, with an
     * optional password ({@code redis://:secret@host:6379}) that never appears in logs or {@link
     * #toString}. Reserved characters in the user name or password ({@code #}, {@code ?}, {@code
     * /}, {@code %}, {@code ^}, {@code @}, a space, ...) must be percent-encoded ({@code %23} for
     * {@code #}).
     *
     * @throws IllegalArgumentException when it is not a valid Redis URI, or a reserved character
     *     cuts its user name or password short; the message quotes no part of the URI
     */
    public Builder uri(String uri) {
      Objects.requireNonNull(uri, "uri");
      parse(uri); // fails here, not later, on a malformed URI
      this.uri = uri;
      return this;
    }

    /**
     * The prefix of every key the gateway writes (default {@value #DEFAULT_KEY_PREFIX}), so several
     * applications or environments can share one Redis.
     *
     * @throws IllegalArgumentException when it holds '{' or '}' (a Redis Cluster hash tag) or an
     *     unpaired surrogate (which UTF-8, and so Redis, cannot carry)
     */
    public Builder keyPrefix(String keyPrefix) {
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      if (keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
        throw new IllegalArgumentException(
            "keyPrefix must not contain '{' or '}', which Redis Cluster reads as a hash tag: "
                + keyPrefix);
      }
      int unpaired = Wire.unpairedSurrogate(keyPrefix);
      if (unpaired >= 0) {
        throw new IllegalArgumentException(
            "keyPrefix holds an unpaired surrogate at index "
                + unpaired
                + ", which Redis keys and channels cannot carry (UTF-8 writes it as '?', so"
                + " another prefix would share its keys)");
      }
      this.keyPrefix = keyPrefix;
      return this;
    }

    /**
     * The longest any one command may take (default 50 ms, at most 1 hour); a command that takes
     * longer fails, and the store then applies its failure outcome instead of holding the call.
     */
    public Builder commandTimeout(Duration commandTimeout) {
      this.commandTimeout = Settings.timeout("commandTimeout", commandTimeout);
      return this;
    }

    /**
     * The longest making a connection (TCP, TLS and the Redis handshake) may take (default 2 s, at
     * most 1 hour, never less than the command timeout). A store call waiting on a connection is
     * still bounded by the command timeout; this only keeps a slow start-up or reconnect from
     * failing the connection itself.
     */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = Settings.timeout("connectTimeout", connectTimeout);
      return this;
    }

    /** Builds the connection; nothing is connected until a store first uses it. */
    public RedisConnection build() {
      if (uri == null) {
        throw new IllegalStateException("RedisConnection needs a uri");
      }
      return new RedisConnection(this);
    }
  }
}
