package dev.aigateway.redis;

import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisLoadingException;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisBusyException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A blocking connection to Redis (Jedis) that the thread calling {@link #fcall} writes and reads
 * itself: one command, one reply, no other thread in between. Lettuce's shared connection hands
 * every command to its event loop and every reply back to the waiting thread, two thread wake-ups
 * per round trip, which on a loaded or small machine cost more than Redis's own work; here the
 * caller's write goes straight to the socket and the caller itself is woken by the reply.
 *
 * <p>Not thread-safe: one call at a time (the {@link LimitBatcher} sends on it only while nothing
 * else of its store is in flight). Connects on first use and again after any failure; a call that
 * fails on the connection (refused, reset, timed out) closes it, since a reply that comes late
 * would be read as the next call's. Failures are Lettuce's exception types, so the store treats
 * them as it treats those of the shared connection: {@link RedisCommandTimeoutException} and {@link
 * RedisConnectionException} mean Redis could not answer ({@link AnswerLost} when the connection
 * failed after the command was written, so Redis may have run it; {@link NotSent} when the time ran
 * out before it was written, so Redis never saw it), {@link RedisCommandExecutionException} (and
 * its busy and loading kinds) that it answered with an error.
 */
final class DirectLink implements AutoCloseable {

  /**
   * How long the connection may go unused before a command is written to it only after a {@code
   * PING} was answered on it: Redis (its {@code timeout}, a restart, a {@code CLIENT KILL}) or a
   * proxy may have closed it meanwhile, which a blocking connection learns only by using it, and a
   * command written to a closed connection fails although Redis is there.
   */
  static final long IDLE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final HostAndPort address;
  private final @Nullable String user;
  private final @Nullable String password;
  private final int database;
  private final BooleanSupplier open;
  // Held by the one thread that uses the connection (a call); closing does not wait for it:
  // whichever of the two finds the other gone disconnects.
  private final ReentrantLock use = new ReentrantLock();
  private @Nullable Connection jedis;
  private long lastUsedNanos;
  private volatile boolean closed;

  DirectLink(
      String host,
      int port,
      @Nullable String user,
      @Nullable String password,
      int database,
      BooleanSupplier open) {
    this.address = new HostAndPort(host, port);
    this.user = user;
    this.password = password;
    this.database = database;
    this.open = open;
  }

  /**
   * {@code FCALL function numkeys keys... args...}, answered within {@code timeoutNanos} (making
   * the connection included). When Redis does not know the function, {@code library} is loaded
   * ({@code FUNCTION LOAD REPLACE}) and the call sent again, once.
   *
   * @return the reply: a list of integers
   * @throws RedisException as described in the class comment
   */
  List<Object> fcall(
      String function, String library, String[] keys, String[] args, long timeoutNanos) {
    long deadline = System.nanoTime() + timeoutNanos;
    try {
      // free but for a moment while the link is closed (bounded by the timeout)
      if (!use.tryLock(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS)) {
        throw notSent();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisConnectionException("interrupted while waiting for the connection", e);
    }
    try {
      if (closed) {
        throw new RedisConnectionException(
            "the caller's thread connection to Redis at " + address + " is closed");
      }
      return callFunction(function, library, keys, args, deadline);
    } finally {
      release();
    }
  }

  /**
   * Makes the connection now, and checks that Redis answers on it ({@code PING}), within {@code
   * timeoutNanos}, so that the first call does not pay for it; nothing when a call is using the
   * link (it is connected then) or the link is closed.
   *
   * @throws RedisException as described in the class comment
   */
  void connect(long timeoutNanos) {
    long deadline = System.nanoTime() + timeoutNanos;
    if (!use.tryLock()) {
      return;
    }
    try {
      if (!closed) {
        call(Protocol.Command.PING, new String[0], deadline);
      }
    } finally {
      release();
    }
  }

  /** Lets go of the connection; disconnects it when the link was closed meanwhile. */
  private void release() {
    use.unlock();
    if (closed && use.tryLock()) {
      try {
        disconnect();
      } finally {
        use.unlock();
      }
    }
  }

  @SuppressWarnings("unchecked")
  private List<Object> callFunction(
      String function, String library, String[] keys, String[] args, long deadline) {
    String[] command = new String[2 + keys.length + args.length];
    command[0] = function;
    command[1] = Integer.toString(keys.length);
    System.arraycopy(keys, 0, command, 2, keys.length);
    System.arraycopy(args, 0, command, 2 + keys.length, args.length);
    try {
      return (List<Object>) call(Protocol.Command.FCALL, command, deadline);
    } catch (RedisCommandExecutionException e) {
      if (!String.valueOf(e.getMessage()).startsWith("ERR Function not found")) {
        throw e;
      }
      call(Protocol.Command.FUNCTION, new String[] {"LOAD", "REPLACE", library}, deadline);
      return (List<Object>) call(Protocol.Command.FCALL, command, deadline);
    }
  }

  private Object call(Protocol.Command type, String[] arguments, long deadline) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw notSent();
    }
    Connection c;
    boolean sent = false;
    try {
      c = connection(left);
      c.setSoTimeout(millis(deadline - System.nanoTime()));
      c.sendCommand(type, arguments);
      sent = true;
      Object reply = c.getOne();
      lastUsedNanos = System.nanoTime();
      return reply;
    } catch (JedisBusyException e) {
      throw new RedisBusyException(e.getMessage());
    } catch (JedisDataException e) {
      String message = String.valueOf(e.getMessage());
      if (message.startsWith("LOADING")) {
        throw new RedisLoadingException(message);
      }
      throw new RedisCommandExecutionException(message);
    } catch (JedisConnectionException e) {
      disconnect();
      if (causedByTimeout(e)) {
        throw sent ? timedOut() : notSent(); // not sent: connecting or the idle check timed out
      }
      if (sent) {
        throw new AnswerLost(String.valueOf(e.getMessage()), e);
      }
      throw new RedisConnectionException(String.valueOf(e.getMessage()), e);
    } catch (RedisException e) {
      throw e; // the link is closed
    } catch (RuntimeException e) {
      disconnect();
      throw new RedisConnectionException(e.toString(), e);
    }
  }

  /**
   * The time ran out before the command was written (waiting for the connection, making it, or its
   * idle check's {@code PING}): Redis never saw the command.
   */
  static final class NotSent extends RedisCommandTimeoutException {
    NotSent(String message) {
      super(message);
    }
  }

  /**
   * The connection failed after a command was written to it and before its reply was read: Redis
   * may have run the command.
   */
  static final class AnswerLost extends RedisConnectionException {
    AnswerLost(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private Connection connection(long timeoutNanos) {
    if (!open.getAsBoolean()) {
      throw new RedisConnectionException("the connection to Redis at " + address + " is closed");
    }
    Connection c = jedis;
    if (c != null
        && c.isConnected()
        && !c.isBroken()
        && (System.nanoTime() - lastUsedNanos < IDLE_CHECK_NANOS || answersPing(c, timeoutNanos))) {
      return c;
    }
    disconnect();
    int timeout = millis(timeoutNanos);
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(timeout)
            .socketTimeoutMillis(timeout)
            .database(database)
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
            .resp2();
    if (password != null) {
      config.user(user).password(password);
    }
    c = new Connection(address, config.build()); // connects, authenticates, selects the database
    jedis = c;
    lastUsedNanos = System.nanoTime();
    return c;
  }

  /**
   * Whether an idle connection still answers: false when it was closed (the peer's end, a reset); a
   * timeout or an error reply is thrown, as a command's would be.
   */
  private boolean answersPing(Connection c, long timeoutNanos) {
    try {
      c.setSoTimeout(millis(timeoutNanos));
      c.sendCommand(Protocol.Command.PING);
      c.getOne();
      lastUsedNanos = System.nanoTime();
      return true;
    } catch (JedisConnectionException e) {
      if (causedByTimeout(e)) {
        throw e;
      }
      return false;
    }
  }

  private static boolean causedByTimeout(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SocketTimeoutException) {
        return true;
      }
    }
    return false;
  }

  private static RedisCommandTimeoutException timedOut() {
    return new RedisCommandTimeoutException("Command timed out (caller's thread connection)");
  }

  private static NotSent notSent() {
    return new NotSent("Command timed out before it was sent (caller's thread connection)");
  }

  /** At least one millisecond (a socket timeout of 0 would wait forever). */
  private static int millis(long nanos) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(nanos)));
  }

  private void disconnect() {
    Connection c = jedis;
    jedis = null;
    if (c != null) {
      try {
        c.close();
      } catch (RuntimeException e) {
        // already broken: nothing to release
      }
    }
  }

  /**
   * Closes the connection now, or when the call running on it ends (that call still gets its
   * reply); a later call fails.
   */
  @Override
  public void close() {
    closed = true;
    if (use.tryLock()) {
      try {
        disconnect();
      } finally {
        use.unlock();
      }
    }
  }

  @Override
  public String toString() {
    return "DirectLink[" + address + "]"; // never the password
  }
}
