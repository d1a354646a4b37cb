package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.CounterId;
import dev.aigateway.api.spi.CounterReading;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Group commit: concurrent reservations and settlements of one JVM share script runs and still
 * count exactly; settlements never wait for Redis; a JVM that exits without closing its store still
 * applies what it settled.
 */
class RedisBatchingTest {

  private static final LimitSpec RATE =
      LimitSpec.rate("batch/rate", 1_000_000_000L, Duration.ofDays(1));
  private static final LimitSpec QUOTA =
      LimitSpec.quota("batch/quota", 1_000_000_000L, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
  private static final LimitSpec SLOTS = LimitSpec.inFlight("batch/in-flight", 1_000);

  /** A connection whose commands may take 5 s: no timing bound here, only counts. */
  private static RedisConnection connect(RedisServer redis) {
    return RedisConnection.builder().uri(redis.uri()).commandTimeout(Duration.ofSeconds(5)).build();
  }

  @Test
  void concurrentCallsShareScriptRunsAndCountExactly() throws Exception {
    int threads = 16;
    int pairsEach = 200;
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      connection.connect();
      redis.command("CONFIG", "RESETSTAT");
      AtomicLong actualSum = new AtomicLong();
      List<Thread> callers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int caller = t;
        Thread thread =
            new Thread(
                () -> {
                  for (int i = 0; i < pairsEach; i++) {
                    String consumer = "team-" + (i % 2); // two counters shared by every thread
                    ReserveResult result =
                        store.reserve(
                            List.of(
                                new LimitCharge(RATE, consumer, 50),
                                new LimitCharge(QUOTA, consumer, 50),
                                new LimitCharge(SLOTS, consumer, 1)));
                    assertThat(result.admitted()).isTrue();
                    long actual = (caller * 7L + i) % 101; // below, at and above the estimate
                    store.settle(result.reservation(), new long[] {actual, actual, 0});
                    actualSum.addAndGet(actual);
                  }
                });
        thread.start();
        callers.add(thread);
      }
      for (Thread thread : callers) {
        thread.join(TimeUnit.MINUTES.toMillis(2));
      }
      assertThat(store.flush(Duration.ofSeconds(10))).isTrue();

      long pairs = (long) threads * pairsEach;
      long scriptRuns = scriptRuns(redis);
      // One script per reserve and one per settle would be 2 per pair; group commit shares them.
      assertThat(scriptRuns).isPositive().isLessThan(pairs);

      long used = 0;
      for (String consumer : List.of("team-0", "team-1")) {
        ReserveResult probe =
            store.reserve(
                List.of(new LimitCharge(QUOTA, consumer, 0), new LimitCharge(SLOTS, consumer, 1)));
        used += QUOTA.capacity() - probe.remaining().get(0);
        assertThat(probe.remaining().get(1)).as("every slot freed").isEqualTo(SLOTS.capacity() - 1);
      }
      assertThat(used).isEqualTo(actualSum.get()); // exact, however the operations were batched
      assertThat(store.settlements().replayed()).isZero();
      assertThat(store.settlements().dropped()).isZero();
    }
  }

  @Test
  void aBatchOfMoreCountersThanLuaUnpacksAtOnceIsSettledExactly() throws Exception {
    // Lua's unpack refuses some 8000 values: a batch whose counters together pass that (here 64
    // settlements of 140 counters each, queued while Redis is frozen) must still run, not be
    // refused and its settlements dropped.
    int calls = LimitBatcher.MAX_OPERATIONS;
    int countersEach = 140;
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      connection.connect();
      List<ReserveResult> held = new ArrayList<>();
      for (int c = 0; c < calls; c++) {
        List<LimitCharge> charges = new ArrayList<>();
        for (int i = 0; i < countersEach; i++) {
          charges.add(new LimitCharge(QUOTA, "consumer-" + c + "-" + i, 10));
        }
        ReserveResult result = store.reserve(charges);
        assertThat(result.admitted()).isTrue();
        held.add(result);
      }
      redis.pause();
      try {
        for (ReserveResult result : held) {
          long[] actual = new long[countersEach];
          java.util.Arrays.fill(actual, 3);
          store.settle(result.reservation(), actual);
        }
      } finally {
        redis.resume();
      }
      assertThat(store.flush(Duration.ofSeconds(30))).isTrue();

      assertThat(store.settlements().dropped()).isZero();
      List<CounterId> sample = new ArrayList<>();
      for (int c = 0; c < calls; c += 9) {
        sample.add(new CounterId(QUOTA, "consumer-" + c + "-" + (countersEach - 1)));
      }
      assertThat(store.peek(sample)).extracting(CounterReading::used).containsOnly(3L);
    }
  }

  @Test
  void aSettlementReturnsAtOnceWhileRedisIsFrozenAndIsAppliedWhenItRuns() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      connection.connect();
      ReserveResult held = store.reserve(List.of(new LimitCharge(QUOTA, "team-a", 100)));
      redis.pause();
      try {
        long started = System.nanoTime();
        store.settle(held.reservation(), new long[] {30});
        // A settlement that waited for the frozen Redis would take the 5 s command timeout; the
        // bound leaves a loaded machine room for the call's own work.
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        assertThat(store.settlements().pending()).isEqualTo(1);
      } finally {
        redis.resume();
      }
      assertThat(store.flush(Duration.ofSeconds(10))).isTrue();
      ReserveResult probe = store.reserve(List.of(new LimitCharge(QUOTA, "team-a", 0)));
      assertThat(probe.remaining().get(0)).isEqualTo(QUOTA.capacity() - 30);
    }
  }

  @Test
  void aSettlementRidesWithTheNextReservationInOneScriptRun() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      connection.connect();
      // The settlement waits 2 ms of real time for a reservation to ride with; a pause of the
      // test's thread longer than that (a collection, a busy machine) lets the linger timer send it
      // on its own first. Such a round proves nothing either way and is run again, on a counter of
      // its own; a settlement that never rode would fail every round.
      for (int round = 1; ; round++) {
        String team = "team-" + round;
        ReserveResult held = store.reserve(List.of(new LimitCharge(QUOTA, team, 100)));
        redis.command("CONFIG", "RESETSTAT");

        store.settle(held.reservation(), new long[] {30});
        ReserveResult next = store.reserve(List.of(new LimitCharge(QUOTA, team, 10)));

        long runs = scriptRuns(redis);
        if (runs == 2 && round < 5) {
          assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
          continue; // the settlement went first, on its own
        }
        // The settlement went with the reservation: one script run, and the reservation saw it.
        assertThat(runs).isEqualTo(1);
        assertThat(next.remaining().get(0)).isEqualTo(QUOTA.capacity() - 30 - 10);
        break;
      }
      // The batch's bookkeeping ends on Lettuce's thread just after the reservation's caller is
      // answered, so the settlement stops counting as pending a moment later.
      assertThat(pendingAfter(store, Duration.ofSeconds(2))).isZero();
    }
  }

  /** The store's pending settlements once they reach zero, or at {@code within}. */
  private static int pendingAfter(RedisTokenLimitStore store, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    int pending = store.settlements().pending();
    while (pending > 0 && System.nanoTime() - deadline < 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      pending = store.settlements().pending();
    }
    return pending;
  }

  @Test
  void aSettlementWithoutAReservationAfterItIsSentByItselfAndAPeekSeesItAtOnce() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisConnection other = connect(redis);
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build();
        RedisTokenLimitStore otherInstance = RedisTokenLimitStore.builder(other).build()) {
      connection.connect();
      ReserveResult first = store.reserve(List.of(new LimitCharge(QUOTA, "team-a", 100)));
      ReserveResult second = store.reserve(List.of(new LimitCharge(QUOTA, "team-b", 100)));

      // Nothing follows it: the linger timer sends it, and another instance sees it.
      store.settle(first.reservation(), new long[] {30});
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (store.settlements().pending() > 0) {
        assertThat(System.nanoTime()).as("sent without a flush").isLessThan(deadline);
        Thread.sleep(1);
      }
      assertThat(otherInstance.peek(List.of(new CounterId(QUOTA, "team-a"))).get(0).used())
          .isEqualTo(30);

      // A peek of the settling instance right after the settlement sends it first.
      store.settle(second.reservation(), new long[] {40});
      assertThat(store.peek(List.of(new CounterId(QUOTA, "team-b"))))
          .extracting(CounterReading::used)
          .containsExactly(40L);
    }
  }

  @Test
  void aPeekRightAfterASettlementSeesItWhileTwoBatchesAreInFlight() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store =
            RedisTokenLimitStore.builder(connection).reserveOnCallerThread(false).build()) {
      connection.connect();
      ReserveResult held = store.reserve(List.of(new LimitCharge(QUOTA, "team-a", 100)));
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();

      // Two other callers' batches are on their way (Redis is slow to answer them): the most
      // the store has in flight at once.
      redis.pause();
      List<Thread> callers = new ArrayList<>();
      for (int i = 0; i < LimitBatcher.MAX_IN_FLIGHT; i++) {
        Thread caller =
            new Thread(() -> store.reserve(List.of(new LimitCharge(RATE, "team-b", 1))));
        caller.start();
        callers.add(caller);
        Thread.sleep(100);
      }
      store.settle(held.reservation(), new long[] {30});
      java.util.concurrent.CompletableFuture<List<CounterReading>> read =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> store.peek(List.of(new CounterId(QUOTA, "team-a"))));
      Thread.sleep(200);
      redis.resume();

      assertThat(read.get(10, TimeUnit.SECONDS))
          .as("the peek of the thread that settled sees the settlement")
          .extracting(CounterReading::used)
          .containsExactly(30L);
      for (Thread caller : callers) {
        caller.join();
      }
    }
  }

  @Test
  void aReservationSentJustAsTheLingerTimerSendsASettlementStillSeesIt() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      connection.connect();
      long used = 0;
      for (int i = 0; i < 300; i++) {
        ReserveResult held = store.reserve(List.of(new LimitCharge(QUOTA, "team-a", 100)));
        store.settle(held.reservation(), new long[] {i % 7});
        used += i % 7;
        // around the linger: the timer thread and this thread send their batches at about the
        // same time, and the reservation's must still reach Redis after the settlement's
        LockSupport.parkNanos(1_500_000L + (i % 11) * 100_000L);
        ReserveResult probe = store.reserve(List.of(new LimitCharge(QUOTA, "team-a", 0)));
        store.settle(probe.reservation(), new long[] {0});
        assertThat(probe.remaining().get(0))
            .as("after %d pairs", i + 1)
            .isEqualTo(QUOTA.capacity() - used);
      }
    }
  }

  @Test
  void aJvmThatExitsWithoutClosingTheStoreStillAppliesItsSettlements() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = RedisConnection.builder().uri(redis.uri()).build();
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      int calls = 50;
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process worker =
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  ShutdownWorker.class.getName(),
                  redis.uri(),
                  Integer.toString(calls))
              .redirectErrorStream(true)
              .start();
      assertThat(worker.waitFor(60, TimeUnit.SECONDS)).as("the worker ends").isTrue();
      String output = new String(worker.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(output).contains("SETTLED " + calls);
      assertThat(worker.exitValue()).isZero();

      assertThat(redis.command("EVAL", "return #redis.call('KEYS', ARGV[1])", "0", "*:pending:*"))
          .as("no reservation left pending (an empty pending set is no key)")
          .isEqualTo(":0");
      ReserveResult probe =
          store.reserve(List.of(new LimitCharge(ShutdownWorker.QUOTA, "team-a", 0)));
      // Reserved 100 each, settled to 10 each by the shutdown hook: 90 each given back.
      assertThat(probe.remaining().get(0)).isEqualTo(ShutdownWorker.QUOTA.capacity() - 10L * calls);
    }
  }

  /**
   * Runs of the store's functions (FCALL) since the last CONFIG RESETSTAT; the store sends no other
   * script while it reserves and settles.
   */
  private static long scriptRuns(RedisServer redis) {
    String reply =
        redis.command(
            "EVAL",
            "local s = redis.call('INFO', 'commandstats') local calls = 0"
                + " for c in string.gmatch(s, 'cmdstat_fcall%a*:calls=(%d+)')"
                + " do calls = calls + tonumber(c) end return calls",
            "0");
    return Long.parseLong(reply.substring(1));
  }
}
