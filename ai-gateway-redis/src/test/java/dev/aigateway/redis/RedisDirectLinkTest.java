package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.CounterId;
import dev.aigateway.api.spi.CounterReading;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.testing.RedisServer;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A reservation that finds its store idle goes over the store's own blocking connection, written
 * and read by the caller's thread: to the same server, user and database as the shared connection;
 * not at all when turned off or for URIs it does not serve; bounded by the command timeout when
 * Redis is frozen, and connected again after.
 */
class RedisDirectLinkTest {

  private static final Duration TIMEOUT = Duration.ofMillis(200);
  private static final LimitSpec QUOTA =
      LimitSpec.quota("team/quota", 1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);

  /** Ids of clients whose last command was FCALL, other than the shared connections' own. */
  private static Set<String> otherFunctionCallers(RedisConnection connection) {
    Set<String> shared =
        Set.of(
            "id=" + connection.strings().sync().clientId(),
            "id=" + connection.bytes().sync().clientId());
    return Arrays.stream(connection.strings().sync().clientList().split("\n"))
        .filter(line -> line.contains(" cmd=fcall "))
        .map(line -> line.substring(0, line.indexOf(' ')))
        .filter(id -> !shared.contains(id))
        .collect(Collectors.toSet());
  }

  /** Three calls one after the other, each reserving 100 and settling 40 but the last. */
  private static void threeCalls(RedisTokenLimitStore store) {
    for (int i = 0; i < 3; i++) {
      ReserveResult result = store.reserve(List.of(new LimitCharge(QUOTA, "alice", 100)));
      assertThat(result.admitted()).isTrue();
      if (i < 2) {
        store.settle(result.reservation(), new long[] {40});
      }
    }
  }

  @Test
  void anIdleStoreReservesOverItsOwnConnectionAsTheSameUserInTheSameDatabase() {
    try (RedisServer redis = RedisServer.start()) {
      redis.command("ACL", "SETUSER", "gateway", "on", ">pw-7781", "~*", "&*", "+@all");
      redis.command("CONFIG", "SET", "requirepass", "default-pw-1");
      try (RedisConnection connection =
              RedisConnection.builder()
                  .uri("redis://gateway:pw-7781@127.0.0.1:" + redis.port() + "/3")
                  .commandTimeout(Duration.ofSeconds(2))
                  .build();
          RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
        connection.connect();

        threeCalls(store);

        assertThat(otherFunctionCallers(connection)).hasSize(1);
        // the shared connection (database 3) reads what the direct one wrote: 40 + 40 + 100
        assertThat(store.peek(List.of(new CounterId(QUOTA, "alice"))).get(0).used()).isEqualTo(180);
        assertThat(connection.strings().sync().dbsize()).isPositive();
      }
    }
  }

  /** Connections Redis has accepted since it started. */
  private static long connectionsAccepted(RedisConnection connection) {
    String stats = connection.strings().sync().info("stats");
    for (String line : stats.split("\r?\n")) {
      if (line.startsWith("total_connections_received:")) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    throw new AssertionError("no total_connections_received in INFO stats");
  }

  @Test
  void connectAtStartUpMakesTheConnectionsTheFirstReservationUses() {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection =
            RedisConnection.builder()
                .uri(redis.uri())
                .commandTimeout(Duration.ofSeconds(2))
                .build();
        // built before connect(): its own link is made by connect()
        RedisTokenLimitStore early = RedisTokenLimitStore.builder(connection).build()) {
      connection.connect(); // at start-up, as the README shows
      // built after connect(), as the README shows: its own link is made with it
      try (RedisTokenLimitStore late = RedisTokenLimitStore.builder(connection).build()) {
        long accepted = connectionsAccepted(connection);

        assertThat(early.reserve(List.of(new LimitCharge(QUOTA, "alice", 1))).admitted()).isTrue();
        assertThat(late.reserve(List.of(new LimitCharge(QUOTA, "bob", 1))).admitted()).isTrue();

        // both went over the stores' own links, and neither made a connection on the call
        assertThat(otherFunctionCallers(connection)).hasSize(2);
        assertThat(connectionsAccepted(connection)).isEqualTo(accepted);
      }
    }
  }

  @Test
  void aConnectionRedisClosedWhileTheStoreWasIdleFailsNoReservation() throws Exception {
    // Redis closes connections idle for a second (its "timeout" setting; a proxy or a managed
    // Redis that drops idle connections, a CLIENT KILL or a restart do the same).
    try (RedisServer redis = RedisServer.start(List.of("--timeout", "1"));
        RedisConnection connection =
            RedisConnection.builder().uri(redis.uri()).commandTimeout(TIMEOUT).build();
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      connection.connect();
      threeCalls(store);
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      String before = otherFunctionCallers(connection).iterator().next();

      // Redis closes it once it has been idle a second (it checks a few times a second).
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (redis.command("CLIENT", "LIST", "ID", before.substring(3)).startsWith(before + " ")) {
        assertThat(System.nanoTime()).as("Redis closed the idle connection").isLessThan(deadline);
        Thread.sleep(20);
      }

      // The store's own connection is gone; Redis is there: the reservation is answered.
      ReserveResult result = store.reserve(List.of(new LimitCharge(QUOTA, "bob", 1)));
      assertThat(result.admitted()).isTrue();
      assertThat(result.remaining()).containsExactly(999L);
    }
  }

  @Test
  void turnedOffEveryReservationGoesOverTheSharedConnection() {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection =
            RedisConnection.builder()
                .uri(redis.uri())
                .commandTimeout(Duration.ofSeconds(2))
                .build();
        RedisTokenLimitStore store =
            RedisTokenLimitStore.builder(connection).reserveOnCallerThread(false).build()) {
      connection.connect();

      threeCalls(store);

      assertThat(otherFunctionCallers(connection)).isEmpty();
      assertThat(store.peek(List.of(new CounterId(QUOTA, "alice"))).get(0).used()).isEqualTo(180);
    }
  }

  @Test
  void aFrozenRedisFailsTheCallersRoundTripWithinTheCommandTimeoutAndTheLinkComesBack()
      throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection =
            RedisConnection.builder().uri(redis.uri()).commandTimeout(TIMEOUT).build();
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      connection.connect();
      threeCalls(store); // connects the store's own link and loads the library
      Set<String> before = otherFunctionCallers(connection);
      assertThat(before).hasSize(1);

      redis.pause();
      long started = System.nanoTime();
      try {
        assertThatThrownBy(() -> store.reserve(List.of(new LimitCharge(QUOTA, "bob", 1))))
            .isInstanceOf(RedisStoreException.class)
            .hasMessageContaining("timed out")
            .hasMessageContaining("not charged");
        // the slack is for a machine whose cores other builds share; a hang would be seconds
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .isLessThan(TIMEOUT.plusMillis(800));
      } finally {
        redis.resume();
      }

      // the timed-out link was closed; a later idle reservation connects a new one
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      Set<String> after = Set.of();
      while (System.nanoTime() < deadline) {
        try {
          store.reserve(List.of(new LimitCharge(QUOTA, "carol", 1)));
          after = otherFunctionCallers(connection);
          if (!after.isEmpty() && !after.equals(before)) {
            break;
          }
        } catch (RedisStoreException notYet) {
          // the link waits a moment after a failure; the shared connection may still be catching up
        }
        Thread.sleep(20);
      }
      assertThat(after).hasSize(1).doesNotContainAnyElementsOf(before);
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
    }
  }

  @Test
  void aPeekMadeWhileABatchIsOutOnTheCallersThreadSeesTheSettlementItHolds() throws Exception {
    // The settlement waits 2 ms of real time for a reservation to ride with; on a busy machine the
    // linger timer may send it first, and then the reservation goes out behind it on the shared
    // connection, not on the direct link. Such a round proves nothing either way and is run again.
    int rounds = 1;
    while (!peekSeesTheHeldSettlement()) {
      rounds++;
      assertThat(rounds).as("rounds until the batch went out on the direct link").isLessThan(6);
    }
  }

  /**
   * One round: false when the batch did not go out on the caller's thread (the settlement had been
   * sent on its own), else the peek's reading is checked.
   */
  private static boolean peekSeesTheHeldSettlement() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection =
            RedisConnection.builder()
                .uri(redis.uri())
                .commandTimeout(Duration.ofSeconds(3))
                .build();
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      connection.connect();
      ReserveResult first = store.reserve(List.of(new LimitCharge(QUOTA, "alice", 100)));
      store.settle(first.reservation(), new long[] {10}); // rides with the next reservation

      redis.pause();
      ExecutorService threads = Executors.newFixedThreadPool(2);
      try {
        // its batch (the settlement, then this reservation) goes out on the direct link and waits
        AtomicReference<Thread> reserver = new AtomicReference<>();
        Future<ReserveResult> reserving =
            threads.submit(
                () -> {
                  reserver.set(Thread.currentThread());
                  return store.reserve(List.of(new LimitCharge(QUOTA, "alice", 1)));
                });
        if (!waitingForAnAnswer(reserver, Duration.ofSeconds(2))) {
          redis.resume();
          assertThat(reserving.get(10, TimeUnit.SECONDS).admitted()).isTrue();
          return false;
        }
        Future<List<CounterReading>> peeking =
            threads.submit(() -> store.peek(List.of(new CounterId(QUOTA, "alice"))));
        Thread.sleep(200);
        redis.resume();

        assertThat(reserving.get(10, TimeUnit.SECONDS).admitted()).isTrue();
        // 10 settled + 1 reserved: the read came after the batch that held the settlement
        assertThat(peeking.get(10, TimeUnit.SECONDS).get(0).used()).isEqualTo(11);
        return true;
      } finally {
        redis.resume();
        threads.shutdownNow();
      }
    }
  }

  @Test
  void aPeekBehindABatchOnAFrozenRedisFailsWithinOneCommandTimeoutNotTwo() throws Exception {
    Duration timeout = Duration.ofSeconds(3);
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection =
            RedisConnection.builder().uri(redis.uri()).commandTimeout(timeout).build();
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      connection.connect();
      store.reserve(List.of(new LimitCharge(QUOTA, "alice", 1))); // loads the library

      redis.pause();
      ExecutorService threads = Executors.newSingleThreadExecutor();
      try {
        // a batch out on the direct link: the read waits for it, then reads on a frozen server
        AtomicReference<Thread> reserver = new AtomicReference<>();
        Future<ReserveResult> reserving =
            threads.submit(
                () -> {
                  reserver.set(Thread.currentThread());
                  return store.reserve(List.of(new LimitCharge(QUOTA, "alice", 1)));
                });
        awaitWaitingForAnAnswer(reserver);
        long started = System.nanoTime();
        assertThatThrownBy(() -> store.peek(List.of(new CounterId(QUOTA, "alice"))))
            .isInstanceOf(RedisStoreException.class)
            .hasMessageContaining("timed out");
        // one command timeout (waiting for the batch included), with slack for a loaded
        // machine; waiting for the batch and then a command timeout of its own would be two
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .isLessThan(timeout.multipliedBy(3).dividedBy(2));
        assertThatThrownBy(() -> reserving.get(10, TimeUnit.SECONDS))
            .hasCauseInstanceOf(RedisStoreException.class);
      } finally {
        redis.resume();
        threads.shutdownNow();
      }
    }
  }

  /**
   * Waits until the thread has sent its command on the direct link and waits for Redis's answer (a
   * fixed sleep could end before a loaded machine ran the thread that far).
   */
  private static void awaitWaitingForAnAnswer(AtomicReference<Thread> caller)
      throws InterruptedException {
    assertThat(waitingForAnAnswer(caller, Duration.ofSeconds(10)))
        .as("the batch is out on the direct link")
        .isTrue();
  }

  /** Whether {@code caller} waits for Redis's answer on its direct link within {@code limit}. */
  private static boolean waitingForAnAnswer(AtomicReference<Thread> caller, Duration limit)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      Thread thread = caller.get();
      if (thread != null
          && Arrays.stream(thread.getStackTrace())
              .anyMatch(
                  frame ->
                      frame.getClassName().startsWith("redis.clients.jedis.")
                          && frame.getMethodName().equals("getOne"))) {
        return true;
      }
      if (System.nanoTime() >= deadline) {
        return false;
      }
      Thread.sleep(5);
    }
  }

  @Test
  void onlyPlainTcpUrisGetALinkOfTheirOwn() {
    for (String uri :
        List.of("redis://127.0.0.1:6379", "redis://:secret@127.0.0.1:6379/2", "redis://u:p@h:1")) {
      try (RedisConnection connection = RedisConnection.builder().uri(uri).build()) {
        DirectLink link = connection.newDirectLink();
        assertThat(link).as(uri).isNotNull();
        assertThat(link.toString()).doesNotContain("secret").doesNotContain(":p@");
      }
    }
    for (String uri :
        List.of(
            "rediss://127.0.0.1:6379",
            "redis-socket:///tmp/redis.sock",
            "redis-sentinel://h:26379#mymaster")) {
      try (RedisConnection connection = RedisConnection.builder().uri(uri).build()) {
        assertThat(connection.newDirectLink()).as(uri).isNull();
      }
    }
  }
}
