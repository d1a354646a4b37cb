package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.testing.CapturingLogger;
import dev.aigateway.testing.RedisServer;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The store against a redis-server that dies, comes back, freezes or fills up: reservations fail
 * fast with a clear exception and charge nothing; settlements are queued and applied exactly once.
 */
class RedisTokenLimitStoreFaultTest {

  private static final Duration TIMEOUT = Duration.ofMillis(200);
  private static final LimitSpec QUOTA =
      LimitSpec.quota("team/quota", 1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
  private static final LimitSpec RATE = LimitSpec.rate("team/rate", 1000, Duration.ofDays(1));
  private static final LimitSpec SLOTS = LimitSpec.inFlight("team/in-flight", 4);

  private static RedisConnection connect(RedisServer redis, String uri) {
    return RedisConnection.builder().uri(uri).commandTimeout(TIMEOUT).build();
  }

  /** The units left (free slots of an in-flight limit), read with a charge that takes nothing. */
  private static long remaining(RedisTokenLimitStore store, LimitSpec limit) {
    boolean slot = limit.kind() == LimitSpec.Kind.IN_FLIGHT;
    ReserveResult probe = store.reserve(List.of(new LimitCharge(limit, "alice", slot ? 1 : 0)));
    if (!probe.admitted()) {
      return probe.remaining().get(0);
    }
    store.settle(probe.reservation(), new long[] {0});
    return probe.remaining().get(0) + (slot ? 1 : 0);
  }

  /**
   * {@code connection} with Lettuce's shared connection made, so that a store's caller's-thread
   * connection, made by its first reservation, is the second one.
   */
  private static RedisConnection lettuceFirst(RedisConnection connection) {
    connection.strings(Duration.ofSeconds(10).toNanos());
    return connection;
  }

  /**
   * A store whose connection is made (the first connection of a JVM can take a while, and on a
   * loaded machine several attempts within the command timeout).
   */
  private static RedisTokenLimitStore warm(RedisTokenLimitStore store) throws Exception {
    await(() -> answers(store), Duration.ofSeconds(30));
    return store;
  }

  private static void await(BooleanSupplier condition, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within %s", within).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static boolean answers(RedisTokenLimitStore store) {
    try {
      remaining(store, RATE);
      return true;
    } catch (RedisStoreException notYet) {
      return false;
    }
  }

  @Test
  void killedRedisFailsReservationsFastAndClearlyAndARestartReplaysQueuedSettlementsOnce()
      throws Exception {
    // Append-only with fsync on every write, so a restart after SIGKILL finds the counters again.
    try (RedisServer redis =
            RedisServer.start(List.of("--appendonly", "yes", "--appendfsync", "always"));
        RedisConnection connection = connect(redis, redis.uri());
        RedisTokenLimitStore store = warm(RedisTokenLimitStore.builder(connection).build())) {

      Reservation held =
          store
              .reserve(
                  List.of(new LimitCharge(QUOTA, "alice", 100), new LimitCharge(SLOTS, "alice", 1)))
              .reservation();

      redis.kill();
      // Each reserve fails within one command timeout (never two, nor a wait for the connection to
      // come back). The fastest of three attempts is compared, so that one stall of a loaded
      // machine's scheduler does not fail the test while a store that waits too long fails all
      // three.
      long fastest = Long.MAX_VALUE;
      for (int attempt = 0; attempt < 3; attempt++) {
        long started = System.nanoTime();
        assertThatThrownBy(() -> store.reserve(List.of(new LimitCharge(QUOTA, "alice", 10))))
            .isInstanceOf(RedisStoreException.class)
            .hasMessageContaining("could not reserve at 127.0.0.1:" + redis.port())
            .hasMessageContaining("not charged");
        fastest = Math.min(fastest, System.nanoTime() - started);
      }
      assertThat(Duration.ofNanos(fastest)).isLessThan(TIMEOUT.plusMillis(300));

      store.settle(held, new long[] {500, 0}); // Redis is away: queued, not thrown
      // Queued with the cancellation of the first reserve if it was written to the caller's-thread
      // connection before that found it closed (for all this JVM can tell, Redis ran it); not if
      // the connection had been idle long enough to be checked first. The others went through
      // Lettuce, which refused them unsent.
      int cancellations = store.settlements().pending() - 1;
      assertThat(cancellations).isBetween(0, 1);
      assertThat(store.settlements())
          .isEqualTo(new RedisTokenLimitStore.Settlements(1 + cancellations, 0, 0));

      redis.restart();
      await(() -> store.settlements().pending() == 0, Duration.ofSeconds(15));
      await(() -> answers(store), Duration.ofSeconds(15));
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue(); // the probes' own settlements

      assertThat(store.settlements())
          .isEqualTo(new RedisTokenLimitStore.Settlements(0, 1 + cancellations, 0));
      assertThat(remaining(store, QUOTA)).isEqualTo(500); // the 500 used, counted once
      assertThat(remaining(store, SLOTS)).isEqualTo(4); // the slot freed
      store.replay(); // nothing left to replay; a second application would show here
      assertThat(remaining(store, QUOTA)).isEqualTo(500);
    }
  }

  @Test
  void aFrozenRedisAnswersEveryReserveWithinTheCommandTimeoutAndASettlementSentTwiceAppliesOnce()
      throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis, redis.uri());
        RedisTokenLimitStore store = warm(RedisTokenLimitStore.builder(connection).build())) {
      Reservation held = store.reserve(List.of(new LimitCharge(QUOTA, "alice", 100))).reservation();

      redis.pause();
      ExecutorService callers = Executors.newFixedThreadPool(8);
      try {
        List<Future<Long>> took = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          took.add(
              callers.submit(
                  () -> {
                    long started = System.nanoTime();
                    try {
                      store.reserve(List.of(new LimitCharge(RATE, "alice", 10)));
                    } catch (RedisStoreException expected) {
                      assertThat(expected).hasMessageContaining("timed out");
                    }
                    return System.nanoTime() - started;
                  }));
        }
        for (Future<Long> nanos : took) {
          // Bounded by the command timeout; the slack is for a machine whose cores other builds
          // share (a hang would be the connect timeout or longer).
          assertThat(Duration.ofNanos(nanos.get())).isLessThan(TIMEOUT.plusSeconds(1));
        }
      } finally {
        callers.shutdownNow();
      }
      // The settlement reaches the frozen Redis, times out here and is queued: once Redis runs
      // again it gets both the late original and the replay, and applies one.
      // (Queued with the cancellations of the reservations that were sent and timed out.)
      int cancellations = store.settlements().pending();
      store.settle(held, new long[] {500});
      assertThat(store.settlements().pending()).isEqualTo(cancellations + 1);
      // Once the batches before it timed out, it is sent to the frozen Redis and times out too.
      Thread.sleep(TIMEOUT.multipliedBy(4).toMillis());
      redis.resume();

      await(() -> store.settlements().pending() == 0, Duration.ofSeconds(10));
      assertThat(remaining(store, QUOTA)).isEqualTo(500);
      assertThat(remaining(store, RATE)).isEqualTo(1000); // the timed-out reservations: nothing
      // the settlement, and the cancellation of each reservation sent but not answered in time
      assertThat(store.settlements().replayed()).isGreaterThanOrEqualTo(2);
    }
  }

  @ParameterizedTest(name = "on the caller''s thread: {0}")
  @ValueSource(booleans = {true, false})
  void aReservationRedisRunsAfterItsCallerTimedOutChargesNothing(boolean callerThread)
      throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis, redis.uri());
        RedisTokenLimitStore store =
            warm(
                RedisTokenLimitStore.builder(connection)
                    .reserveOnCallerThread(callerThread)
                    .build())) {
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      // Redis stalls (a slow command, a fork, a busy host): the reservation is sent, its caller
      // gives up after the command timeout, and Redis runs it once it goes on.
      redis.pause();
      assertThatThrownBy(
              () ->
                  store.reserve(
                      List.of(
                          new LimitCharge(QUOTA, "alice", 100),
                          new LimitCharge(RATE, "alice", 100),
                          new LimitCharge(SLOTS, "alice", 1))))
          .isInstanceOf(RedisStoreException.class)
          .hasMessageContaining("not charged");
      Thread.sleep(TIMEOUT.multipliedBy(2).toMillis());
      redis.resume();

      await(() -> store.settlements().pending() == 0, Duration.ofSeconds(10));
      assertThat(remaining(store, QUOTA)).isEqualTo(1000);
      assertThat(remaining(store, RATE)).isEqualTo(1000);
      assertThat(remaining(store, SLOTS)).isEqualTo(4);
      assertThat(store.settlements().dropped()).isZero();
    }
  }

  @Test
  void aReservationThatReachesRedisOnlyAfterItsCancellationDoesNothing() throws Exception {
    try (RedisServer redis = RedisServer.start();
        HoldingProxy proxy = new HoldingProxy(redis.port());
        // a timeout long enough that the reservation is written (and held) before it ends
        RedisConnection connection =
            lettuceFirst(
                RedisConnection.builder()
                    .uri("redis://127.0.0.1:" + proxy.port())
                    .commandTimeout(Duration.ofSeconds(2))
                    .build());
        RedisTokenLimitStore store = warm(RedisTokenLimitStore.builder(connection).build())) {
      // Every connection but the first (Lettuce's) is the store's caller's-thread one, whichever
      // it made last (a loaded machine may have timed out an earlier one): a reservation goes on
      // it once one went on it (it is connected, not resting after a failure) and nothing is in
      // flight.
      await(
          () -> {
            int before = proxy.functionCallsBeyondTheFirst();
            return answers(store) && proxy.functionCallsBeyondTheFirst() > before;
          },
          Duration.ofSeconds(10));
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      // What the caller's-thread connection sends now is held on the way from its FCALL on (an
      // idle check's PING before it goes through), as by a congested link, while Lettuce's goes
      // through.
      proxy.hold(c -> c != 1);
      assertThatThrownBy(
              () ->
                  store.reserve(
                      List.of(
                          new LimitCharge(QUOTA, "alice", 100),
                          new LimitCharge(RATE, "alice", 100),
                          new LimitCharge(SLOTS, "alice", 1))))
          .isInstanceOf(RedisStoreException.class)
          .hasMessageContaining("timed out")
          .hasMessageNotContaining("before it was sent");
      int heldOn = proxy.heldOn();
      assertThat(heldOn).as("the connection the reservation was held on").isGreaterThan(1);
      // its cancellation reaches Redis first, through Lettuce
      await(() -> store.settlements().pending() == 0, Duration.ofSeconds(10));
      long answeredBefore = proxy.answered(heldOn);
      proxy.release(); // then the reservation itself, which Redis runs and answers
      await(() -> proxy.answered(heldOn) > answeredBefore, Duration.ofSeconds(10));
      await(() -> answers(store), Duration.ofSeconds(10)); // the dropped connection made again

      assertThat(remaining(store, QUOTA)).isEqualTo(1000);
      assertThat(remaining(store, RATE)).isEqualTo(1000);
      assertThat(remaining(store, SLOTS)).isEqualTo(4);
    }
  }

  @ParameterizedTest(name = "on the caller''s thread: {0}")
  @ValueSource(booleans = {true, false})
  void aReservationRedisRanWhoseAnswerWasLostWithItsConnectionChargesNothing(boolean callerThread)
      throws Exception {
    try (RedisServer redis = RedisServer.start();
        HoldingProxy proxy = new HoldingProxy(redis.port());
        RedisConnection connection =
            lettuceFirst(
                RedisConnection.builder()
                    .uri("redis://127.0.0.1:" + proxy.port())
                    .commandTimeout(Duration.ofSeconds(2))
                    .build());
        RedisTokenLimitStore store =
            warm(
                RedisTokenLimitStore.builder(connection)
                    .reserveOnCallerThread(callerThread)
                    .build())) {
      remaining(store, RATE); // the connections were used just now: no check for an idle one
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      // The connection the reservation goes on (the caller's-thread one is the store's second,
      // Lettuce's the first) drops after Redis ran it, before its answer arrives: a failover, a
      // load balancer or a network that resets the connection.
      proxy.cut(callerThread ? 2 : 1);
      assertThatThrownBy(
              () ->
                  store.reserve(
                      List.of(
                          new LimitCharge(QUOTA, "alice", 100),
                          new LimitCharge(RATE, "alice", 100),
                          new LimitCharge(SLOTS, "alice", 1))))
          .isInstanceOf(RedisStoreException.class)
          .hasMessageContaining("not charged");
      assertThat(redis.command("EXISTS", "aigw:{limits}:q3:t:monthly:1:Z:10:team/quota:alice"))
          .isEqualTo(":1");

      await(() -> answers(store), Duration.ofSeconds(10));
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      assertThat(remaining(store, QUOTA)).isEqualTo(1000);
      assertThat(remaining(store, RATE)).isEqualTo(1000);
      assertThat(remaining(store, SLOTS)).isEqualTo(4);
    }
  }

  @Test
  void aReservationInFlightWhenItsConnectionIsClosedCountsItsCancellation() throws Exception {
    try (RedisServer redis = RedisServer.start();
        HoldingProxy proxy = new HoldingProxy(redis.port())) {
      RedisConnection connection =
          lettuceFirst(
              RedisConnection.builder()
                  .uri("redis://127.0.0.1:" + proxy.port())
                  .commandTimeout(Duration.ofSeconds(5))
                  .build());
      RedisTokenLimitStore store =
          warm(RedisTokenLimitStore.builder(connection).reserveOnCallerThread(false).build());
      try {
        assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
        RedisTokenLimitStore.Settlements before = store.settlements();
        // The reservation is written to Lettuce's connection and held on the way, as by a slow
        // link; the application closes the connection meanwhile (it stops), then the reservation
        // reaches Redis, which runs it.
        proxy.hold(1);
        ExecutorService caller = Executors.newSingleThreadExecutor();
        Future<?> reserve =
            caller.submit(
                () ->
                    store.reserve(
                        List.of(
                            new LimitCharge(QUOTA, "alice", 100),
                            new LimitCharge(SLOTS, "alice", 1))));
        await(() -> proxy.held() > 0, Duration.ofSeconds(5));
        connection.close();
        assertThatThrownBy(() -> reserve.get(5, TimeUnit.SECONDS))
            .hasCauseInstanceOf(RedisStoreException.class)
            .hasMessageContaining("not charged");
        caller.shutdown();
        proxy.release();
        await(
            () ->
                redis
                    .command("EXISTS", "aigw:{limits}:q3:t:monthly:1:Z:10:team/quota:alice")
                    .equals(":1"),
            Duration.ofSeconds(5));

        // Redis ran it: its cancellation is owed, and counted as not applied, not lost silently.
        assertThat(store.settlements())
            .isEqualTo(
                new RedisTokenLimitStore.Settlements(
                    before.pending() + 1, before.replayed(), before.dropped()));
      } finally {
        store.close();
      }
    }
  }

  @Test
  void aReserveWhoseQuotaWindowsAreProposedAgainStillEndsWithinOneCommandTimeout()
      throws Exception {
    Duration timeout = Duration.ofMillis(1000);
    try (RedisServer redis = RedisServer.start();
        RedisConnection near = connect(redis, redis.uri());
        // loads the limit library into Redis
        RedisTokenLimitStore loaded = warm(RedisTokenLimitStore.builder(near).build());
        DelayingProxy proxy = new DelayingProxy(redis.port(), Duration.ofMillis(800));
        RedisConnection connection =
            RedisConnection.builder()
                .uri("redis://127.0.0.1:" + proxy.port())
                .commandTimeout(timeout)
                .connectTimeout(Duration.ofSeconds(30)) // each step of the handshake is late too
                .build();
        RedisTokenLimitStore store =
            RedisTokenLimitStore.builder(connection)
                .reserveOnCallerThread(false)
                // this JVM's clock is hours off: its first proposal holds no window of Redis's
                .jvmClock(Clock.offset(Clock.systemUTC(), Duration.ofHours(3).plusMinutes(17)))
                .build()) {
      assertThat(loaded.flush(Duration.ofSeconds(5))).isTrue();
      connection.connect();
      LimitSpec hourly = LimitSpec.quota("hourly", 100, QuotaPeriod.HOURLY, ZoneOffset.UTC);

      // Redis is slow (each command reaches it 800 ms late): the first attempt's answer says
      // which window holds Redis's time; the second attempt has what is left of the timeout.
      long started = System.nanoTime();
      try {
        store.reserve(List.of(new LimitCharge(hourly, "alice", 1)));
      } catch (RedisStoreException timedOut) {
        assertThat(timedOut).hasMessageContaining("timed out").hasMessageContaining("not charged");
      }
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      assertThat(took).isLessThan(timeout.plusMillis(500));
    }
  }

  @Test
  void closingTheConnectionWhileManyThreadsReserveEndsEveryCall() throws Exception {
    try (RedisServer redis = RedisServer.start()) {
      for (int round = 0; round < 30; round++) {
        RedisConnection connection = connect(redis, redis.uri());
        RedisTokenLimitStore store =
            warm(RedisTokenLimitStore.builder(connection).reserveOnCallerThread(false).build());
        java.util.concurrent.atomic.AtomicBoolean stop =
            new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          Thread caller =
              new Thread(
                  () -> {
                    while (!stop.get()) {
                      try {
                        ReserveResult r = store.reserve(List.of(new LimitCharge(RATE, "alice", 0)));
                        store.settle(r.reservation(), new long[] {0});
                      } catch (RuntimeException closed) {
                        // the connection is closing or closed
                      }
                    }
                  });
          caller.setDaemon(true);
          caller.start();
          callers.add(caller);
        }
        Thread.sleep(30);
        Thread closer = new Thread(connection::close);
        closer.setDaemon(true);
        closer.start();
        closer.join(10_000);
        assertThat(closer.isAlive()).as("close of round %s still running", round).isFalse();
        stop.set(true);
        for (Thread caller : callers) {
          caller.join(10_000);
          assertThat(caller.isAlive()).as("a call of round %s still running", round).isFalse();
        }
        store.close();
      }
    }
  }

  /** A TCP proxy to Redis that delivers what the client sends {@code delay} late. */
  private static final class DelayingProxy implements AutoCloseable {
    private final java.net.ServerSocket server = new java.net.ServerSocket(0);
    private final List<java.net.Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

    DelayingProxy(int target, Duration delay) throws java.io.IOException {
      Thread accept =
          new Thread(
              () -> {
                try {
                  while (true) {
                    java.net.Socket client = server.accept();
                    java.net.Socket upstream = new java.net.Socket("127.0.0.1", target);
                    sockets.add(client);
                    sockets.add(upstream);
                    pump(client.getInputStream(), upstream.getOutputStream(), delay);
                    pump(upstream.getInputStream(), client.getOutputStream(), Duration.ZERO);
                  }
                } catch (java.io.IOException closed) {
                  // the proxy was closed
                }
              },
              "delaying-proxy");
      accept.setDaemon(true);
      accept.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private static void pump(java.io.InputStream in, java.io.OutputStream out, Duration delay) {
      Thread pump =
          new Thread(
              () -> {
                byte[] buffer = new byte[8192];
                try {
                  for (int n; (n = in.read(buffer)) >= 0; ) {
                    Thread.sleep(delay.toMillis());
                    out.write(buffer, 0, n);
                    out.flush();
                  }
                } catch (java.io.IOException | InterruptedException ended) {
                  // either side closed
                }
              },
              "delaying-proxy-pump");
      pump.setDaemon(true);
      pump.start();
    }

    @Override
    public void close() throws java.io.IOException {
      server.close();
      for (java.net.Socket socket : sockets) {
        socket.close();
      }
    }
  }

  /**
   * A TCP proxy to Redis that holds back what the client sends on one of its connections (by the
   * order they were made, from 1) until released: then it delivers it, even if the client has
   * closed that connection meanwhile.
   */
  private static final class HoldingProxy implements AutoCloseable {
    private final java.net.ServerSocket server = new java.net.ServerSocket(0);
    private final int target;
    private final List<java.net.Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.io.ByteArrayOutputStream heldBytes = new java.io.ByteArrayOutputStream();
    private volatile java.util.function.@org.jspecify.annotations.Nullable IntPredicate holding;
    private volatile int cutting;
    private volatile int made;
    private java.io.OutputStream heldTo;
    // the connection whose bytes are held (0: none yet)
    private int heldOn;
    // per connection (from 1): FCALL commands sent, bytes Redis answered
    private final java.util.Map<Integer, Integer> functionCalls = new java.util.HashMap<>();
    private final java.util.Map<Integer, Long> answeredBytes = new java.util.HashMap<>();

    HoldingProxy(int target) throws java.io.IOException {
      this.target = target;
      Thread accept = new Thread(this::accept, "holding-proxy");
      accept.setDaemon(true);
      accept.start();
    }

    int port() {
      return server.getLocalPort();
    }

    /** Holds what the client sends on {@code connection} (from 1), from its next FCALL on. */
    void hold(int connection) {
      hold(c -> c == connection);
    }

    /**
     * Holds what the client sends from the next FCALL on, on the first connection {@code
     * connections} accepts that sends one (what it sent before, a PING, goes through).
     */
    synchronized void hold(java.util.function.IntPredicate connections) {
      heldOn = 0;
      holding = connections;
    }

    /** The connection whose bytes are held, or were until {@link #release}; 0 if none. */
    synchronized int heldOn() {
      return heldOn;
    }

    /** How many FCALL commands were sent on every connection but the first. */
    synchronized int functionCallsBeyondTheFirst() {
      int n = 0;
      for (var calls : functionCalls.entrySet()) {
        n += calls.getKey() == 1 ? 0 : calls.getValue();
      }
      return n;
    }

    /** How many bytes Redis answered on {@code connection}, passed on to the client or not. */
    synchronized long answered(int connection) {
      return answeredBytes.getOrDefault(connection, 0L);
    }

    /**
     * Drops what Redis answers next on a connection (by the order they were made, from 1) and
     * closes that connection to the client instead: Redis ran the command, the client never hears.
     */
    void cut(int connection) {
      cutting = connection;
    }

    synchronized int held() {
      return heldBytes.size();
    }

    synchronized void release() throws java.io.IOException {
      holding = null;
      if (heldTo != null) {
        heldTo.write(heldBytes.toByteArray());
        heldTo.flush();
        heldBytes.reset();
      }
    }

    private void accept() {
      try {
        while (true) {
          java.net.Socket client = server.accept();
          java.net.Socket upstream = new java.net.Socket("127.0.0.1", target);
          sockets.add(client);
          sockets.add(upstream);
          int index = ++made;
          pump(client.getInputStream(), upstream.getOutputStream(), index);
          pump(upstream.getInputStream(), client.getOutputStream(), -index);
        }
      } catch (java.io.IOException closed) {
        // the proxy was closed
      }
    }

    private void pump(java.io.InputStream in, java.io.OutputStream out, int index) {
      Thread pump =
          new Thread(
              () -> {
                byte[] buffer = new byte[8192];
                try {
                  for (int n; (n = in.read(buffer)) >= 0; ) {
                    synchronized (this) {
                      if (index < 0) {
                        answeredBytes.merge(-index, (long) n, Long::sum);
                      }
                      if (index < 0 && -index == cutting) {
                        cutting = 0;
                        out.close(); // closes the client's connection

                        return;
                      }
                      boolean functionCall = index > 0 && sendsFunctionCall(buffer, n);
                      if (functionCall) {
                        functionCalls.merge(index, 1, Integer::sum);
                      }
                      var hold = holding;
                      if (hold != null
                          && index > 0
                          && (heldOn == index
                              || (heldOn == 0 && functionCall && hold.test(index)))) {
                        heldOn = index;
                        heldTo = out;
                        heldBytes.write(buffer, 0, n);
                      } else {
                        out.write(buffer, 0, n);
                        out.flush();
                      }
                    }
                  }
                } catch (java.io.IOException ended) {
                  // either side closed
                }
              },
              "holding-proxy-pump");
      pump.setDaemon(true);
      pump.start();
    }

    /** Whether the first {@code n} bytes of {@code buffer} hold an FCALL command. */
    private static boolean sendsFunctionCall(byte[] buffer, int n) {
      return new String(buffer, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1)
          .toUpperCase(java.util.Locale.ROOT)
          .contains("\r\nFCALL\r\n");
    }

    @Override
    public void close() throws java.io.IOException {
      server.close();
      for (java.net.Socket socket : sockets) {
        socket.close();
      }
    }
  }

  @Test
  void aRedisThatTakesNoNewConnectionFailsConcurrentReservesWithinTheirTimeoutNotOneByOne()
      throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis, redis.uri());
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      // Frozen before the store's first call: connections are accepted by the kernel but never
      // answered, so none is made (as with a host that drops packets) until it goes on.
      redis.pause();
      ExecutorService callers = Executors.newFixedThreadPool(4);
      try {
        for (int round = 0; round < 3; round++) {
          List<Future<Long>> took = new ArrayList<>();
          for (int i = 0; i < 4; i++) {
            took.add(
                callers.submit(
                    () -> {
                      long started = System.nanoTime();
                      assertThatThrownBy(
                              () -> store.reserve(List.of(new LimitCharge(RATE, "alice", 10))))
                          .isInstanceOf(RedisStoreException.class)
                          .hasMessageContaining("not charged");
                      return System.nanoTime() - started;
                    }));
          }
          for (Future<Long> nanos : took) {
            Duration tookNow = Duration.ofNanos(nanos.get());
            if (round > 0) { // the first round may load Netty's classes
              // Within the command timeout, the connection's wait included (the connect timeout
              // is 2 s, and callers used to wait for it one after the other); the slack is for a
              // loaded machine.
              assertThat(tookNow).isLessThan(TIMEOUT.multipliedBy(2).plusMillis(500));
            }
          }
        }
      } finally {
        callers.shutdownNow();
      }
      redis.resume();
      await(() -> answers(store), Duration.ofSeconds(10));
    }
  }

  @Test
  void aReserveWhileRedisWasNeverConnectedFailsWithinOneCommandTimeoutNotTwo() throws Exception {
    Duration timeout = Duration.ofMillis(400);
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection =
            RedisConnection.builder().uri(redis.uri()).commandTimeout(timeout).build();
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      // Frozen before the store's first call: no connection is ever made while it lasts.
      redis.pause();
      // The fastest of three, so that one stall of a loaded machine does not fail the test (the
      // first may also load Netty's classes), while a store that waits twice fails all three.
      long fastest = Long.MAX_VALUE;
      for (int attempt = 0; attempt < 3; attempt++) {
        long started = System.nanoTime();
        assertThatThrownBy(() -> store.reserve(List.of(new LimitCharge(RATE, "alice", 10))))
            .isInstanceOf(RedisStoreException.class)
            .hasMessageContaining("not charged");
        fastest = Math.min(fastest, System.nanoTime() - started);
      }
      // Reserve's javadoc: it returns or throws within the command timeout, waiting for the
      // connection included.
      assertThat(Duration.ofNanos(fastest)).isLessThan(timeout.plusMillis(250));
      redis.resume();
      await(() -> answers(store), Duration.ofSeconds(10));
    }
  }

  @Test
  void aReserveThatTimesOutBeforeItIsSentQueuesNoCancellation() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis, redis.uri());
        RedisTokenLimitStore store = warm(RedisTokenLimitStore.builder(connection).build())) {
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      RedisTokenLimitStore.Settlements before = store.settlements(); // the warm-up's
      // The caller's-thread connection has been idle long enough to be checked with a PING
      // before the next reservation is written to it; Redis freezes, so the PING times out and
      // the reservation is never written.
      Thread.sleep(TimeUnit.NANOSECONDS.toMillis(DirectLink.IDLE_CHECK_NANOS) + 200);
      redis.pause();
      try {
        assertThatThrownBy(() -> store.reserve(List.of(new LimitCharge(RATE, "alice", 10))))
            .isInstanceOf(RedisStoreException.class)
            .hasMessageContaining("timed out")
            .hasMessageContaining("not charged");
        // Redis never saw the reservation: there is nothing to cancel, and nothing to replay.
        assertThat(store.settlements()).isEqualTo(before);
      } finally {
        redis.resume();
      }
      await(() -> answers(store), Duration.ofSeconds(10));
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      assertThat(remaining(store, RATE)).isEqualTo(1000);
    }
  }

  @Test
  void closingTheConnectionBeforeTheStoreClosesItAtOnceAndCountsWhatIsLeft() throws Exception {
    try (RedisServer redis = RedisServer.start()) {
      RedisConnection connection = connect(redis, redis.uri());
      RedisTokenLimitStore store = warm(RedisTokenLimitStore.builder(connection).build());
      Reservation held = store.reserve(List.of(new LimitCharge(QUOTA, "alice", 100))).reservation();
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      redis.stop();
      store.settle(held, new long[] {50}); // Redis is away: queued
      // A container that closes the connection before the store (beans in another order).
      connection.close();

      long started = System.nanoTime();
      store.close();
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      // Nothing can reach Redis once the connection is closed: no waiting for the close timeout
      // (2 s), and the settlement is counted as not applied, not lost silently.
      assertThat(took).isLessThan(Duration.ofMillis(500));
      assertThat(store.settlements().pending()).isEqualTo(1);
      assertThat(store.flush(Duration.ofSeconds(2))).isFalse();
    }
  }

  @Test
  void aFullRedisRefusesAReservationWholeWithAClearErrorAndStillTakesSettlements()
      throws Exception {
    try (RedisServer redis =
            RedisServer.start(List.of("--maxmemory", "2mb", "--maxmemory-policy", "noeviction"));
        RedisConnection connection = connect(redis, redis.uri());
        RedisTokenLimitStore store = warm(RedisTokenLimitStore.builder(connection).build())) {
      Reservation before =
          store.reserve(List.of(new LimitCharge(QUOTA, "alice", 300))).reservation();
      String filler = "x".repeat(64 * 1024);
      for (int i = 0; !redis.command("SET", "filler:" + i, filler).startsWith("-OOM"); i++) {
        assertThat(i).as("Redis fills 2 MB").isLessThan(10_000);
      }
      // A write that would pass the limit fails, but leaves Redis just below it: lower the limit
      // under what is used, so every write that could need memory is refused.
      redis.command("CONFIG", "SET", "maxmemory", "1mb");
      String keysBefore = redis.command("DBSIZE");

      assertThatThrownBy(
              () ->
                  store.reserve(
                      List.of(
                          new LimitCharge(RATE, "alice", 10),
                          new LimitCharge(QUOTA, "alice", 10),
                          new LimitCharge(SLOTS, "alice", 1))))
          .isInstanceOf(RedisStoreException.class)
          .hasMessageContaining("OOM")
          .hasMessageContaining("out of memory")
          .hasMessageContaining("nothing was charged");
      assertThat(redis.command("DBSIZE")).isEqualTo(keysBefore);

      store.settle(before, new long[] {100}); // a settlement still lands: it frees memory
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      assertThat(store.settlements()).isEqualTo(new RedisTokenLimitStore.Settlements(0, 0, 0));

      redis.command("CONFIG", "SET", "maxmemory", "0");
      assertThat(remaining(store, QUOTA)).isEqualTo(900); // 300 reserved, settled to 100
      assertThat(remaining(store, RATE)).isEqualTo(1000);
      assertThat(remaining(store, SLOTS)).isEqualTo(4);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"allkeys-lru", "volatile-lru"})
  void aRedisThatEvictsKeysWhenFullIsNamedInAWarningSinceItDropsLimitCounters(String policy)
      throws Exception {
    CapturingLogger log = new CapturingLogger("limits");
    try (RedisServer redis =
            RedisServer.start(List.of("--maxmemory", "4mb", "--maxmemory-policy", policy));
        RedisConnection connection = connect(redis, redis.uri());
        RedisTokenLimitStore store =
            warm(RedisTokenLimitStore.builder(connection).logger(log).build())) {
      store.reserve(List.of(new LimitCharge(QUOTA, "alice", 1000))); // the quota is spent
      assertThat(remaining(store, QUOTA)).isZero();

      // What the warning is about: answers cached on the same Redis fill it, Redis evicts to make
      // room, and the counters of the limits go with the answers (each has a time to live, as the
      // answers have), so the spent quota admits again.
      RedisResponseCacheStore cache = RedisResponseCacheStore.builder(connection).build();
      CachedResponse answer =
          new CachedResponse(
              CachedResponse.Format.JSON,
              new byte[32 * 1024],
              "gpt-4o",
              Usage.ZERO,
              java.time.Instant.now());
      String quotaKey =
          "aigw:{limits}:q3:t:monthly:1:Z:" + QUOTA.id().length() + ":" + QUOTA.id() + ":alice";
      for (int i = 0; ":1".equals(redis.command("EXISTS", quotaKey)); i++) {
        assertThat(i).as("Redis evicts within 64 MB of answers").isLessThan(2_000);
        cache.put("tenant", "answer-" + i, answer);
      }
      assertThat(remaining(store, QUOTA)).isEqualTo(1000);

      await(() -> !log.warnings().isEmpty(), Duration.ofSeconds(5));
      assertThat(log.warnings())
          .singleElement()
          .satisfies(
              line ->
                  assertThat(line)
                      .contains(redis.uri().substring("redis://".length()))
                      .contains("maxmemory-policy " + policy)
                      .contains("noeviction"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"noeviction", "allkeys-lru"})
  void aRedisThatNeverEvictsLimitCountersGivesNoWarning(String policy) throws Exception {
    CapturingLogger log = new CapturingLogger("limits");
    // noeviction refuses writes when full; without maxmemory nothing is ever evicted
    List<String> settings =
        policy.equals("noeviction")
            ? List.of("--maxmemory", "4mb", "--maxmemory-policy", policy)
            : List.of("--maxmemory-policy", policy);
    try (RedisServer redis = RedisServer.start(settings);
        RedisConnection connection = connect(redis, redis.uri());
        RedisTokenLimitStore store =
            warm(RedisTokenLimitStore.builder(connection).logger(log).build())) {
      store.reserve(List.of(new LimitCharge(QUOTA, "alice", 10)));

      await(
          () -> log.lines().stream().anyMatch(line -> line.contains("does not evict")),
          Duration.ofSeconds(5));
      assertThat(log.warnings()).isEmpty();
    }
  }

  @Test
  void aSettlementRefusedByAServerThatIsAReplicaForAWhileIsReplayedNotDropped() throws Exception {
    // A full copy to a new replica starts at once, not after Redis's default five seconds of
    // waiting for more replicas to join (repl-diskless-sync-delay).
    List<String> copyAtOnce = List.of("--repl-diskless-sync-delay", "0");
    try (RedisServer primary = RedisServer.start(copyAtOnce);
        RedisServer standby = RedisServer.start(copyAtOnce);
        RedisConnection connection = connect(primary, primary.uri());
        RedisTokenLimitStore store = warm(RedisTokenLimitStore.builder(connection).build())) {
      Reservation held =
          store
              .reserve(
                  List.of(new LimitCharge(QUOTA, "alice", 100), new LimitCharge(SLOTS, "alice", 1)))
              .reservation();
      // A failover the application's address does not follow at once: the standby takes over
      // with a copy of the data, and the server this store talks to becomes its replica, which
      // answers every write "READONLY You can't write against a read only replica".
      replicate(standby, primary);
      standby.command("REPLICAOF", "NO", "ONE");
      replicate(primary, standby);

      store.settle(held, new long[] {500, 0});
      assertThat(store.flush(Duration.ofMillis(500))).as("not applied while read-only").isFalse();
      assertThat(store.settlements().dropped()).isZero();

      primary.command("REPLICAOF", "NO", "ONE"); // it takes writes again
      await(() -> store.settlements().pending() == 0, Duration.ofSeconds(10));
      assertThat(store.settlements()).isEqualTo(new RedisTokenLimitStore.Settlements(0, 1, 0));
      assertThat(remaining(store, QUOTA)).isEqualTo(500); // the 500 used, counted once
      assertThat(remaining(store, SLOTS)).isEqualTo(4); // the slot freed
    }
  }

  /** Makes {@code replica} a replica of {@code source} and waits until it holds its data. */
  private static void replicate(RedisServer replica, RedisServer source) throws Exception {
    String mark = java.util.UUID.randomUUID().toString();
    source.command("SET", "replication-mark", mark);
    replica.command("REPLICAOF", "127.0.0.1", Integer.toString(source.port()));
    await(() -> mark.equals(replica.command("GET", "replication-mark")), Duration.ofSeconds(10));
  }

  @Test
  void aReserveThatCannotConnectNamesTheServerButNeverThePassword() throws Exception {
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort(); // closed again: nothing listens there
    }
    try (RedisConnection connection =
            RedisConnection.builder()
                .uri("redis://:s3cret-pw@127.0.0.1:" + port)
                .commandTimeout(TIMEOUT)
                .build();
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      assertThatThrownBy(() -> store.reserve(List.of(new LimitCharge(RATE, "alice", 1))))
          .isInstanceOf(RedisStoreException.class)
          .hasMessageContaining("127.0.0.1:" + port)
          .hasMessageNotContaining("s3cret");
    }
  }

  @Test
  void settlementsBeyondTheQueueBoundDropTheOldestAndCountThem() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis, redis.uri());
        RedisTokenLimitStore store =
            warm(RedisTokenLimitStore.builder(connection).settlementQueueBound(2).build())) {
      List<Reservation> held = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        held.add(store.reserve(List.of(new LimitCharge(QUOTA, "alice", 100))).reservation());
      }
      redis.stop();
      for (Reservation reservation : held) {
        store.settle(reservation, new long[] {0});
      }

      assertThat(store.settlements()).isEqualTo(new RedisTokenLimitStore.Settlements(2, 0, 1));
    }
  }
}
