package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.CounterId;
import dev.aigateway.api.spi.CounterReading;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.testing.RedisServer;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The store's data in Redis (layout version 2): counters as packed strings under versioned keys,
 * reservation ids in one pending set per store, the function library loaded again when Redis lost
 * it, and the upkeep that drops ended ids and ended in-flight leases.
 */
class RedisLimitLayoutTest {

  private static final LimitSpec RATE = LimitSpec.rate("team/rate", 1000, Duration.ofDays(1));
  private static final LimitSpec QUOTA =
      LimitSpec.quota("team/quota", 1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);

  /**
   * A settlement window and an in-flight lease: long, so that an entry a test does not end lives
   * through it however slow a loaded machine is.
   */
  private static final Duration WINDOW = Duration.ofHours(1);

  private static final String RATE_KEY = "aigw:{limits}:r3:t:1000:86400000000000:9:team/rate:alice";
  private static final String QUOTA_KEY = "aigw:{limits}:q3:t:monthly:1:Z:10:team/quota:alice";

  private static RedisConnection connect(RedisServer redis) {
    return RedisConnection.builder().uri(redis.uri()).commandTimeout(Duration.ofSeconds(5)).build();
  }

  private static ReserveResult reserve(RedisTokenLimitStore store, long units) {
    return store.reserve(
        List.of(new LimitCharge(RATE, "alice", units), new LimitCharge(QUOTA, "alice", units)));
  }

  /**
   * Adds a second entry to a sorted set whose entries are scored by their ends in Redis's
   * milliseconds (a reservation's settlement window or an in-flight lease, each {@code WINDOW}
   * long), then ends the first one, {@code id} (a lease's member is the id and its slot), by
   * Redis's own clock: its score becomes the millisecond before Redis's time. The first has ended
   * and the second has its whole window left, with no wait for a window to pass.
   */
  private static void secondThenFirstEnded(
      RedisServer redis, String key, String id, Runnable second) {
    second.run();
    String endFirst =
        "local t = redis.call('TIME') "
            + "local now = t[1] * 1000 + math.floor(t[2] / 1000) "
            + "for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do "
            + "  if m == ARGV[1] or string.sub(m, 1, #ARGV[1] + 1) == ARGV[1] .. ':' then "
            + "    return redis.call('ZADD', KEYS[1], 'XX', 'CH', now - 1, m) "
            + "  end "
            + "end "
            + "return 0";
    assertThat(redis.command("EVAL", endFirst, "1", key, id)).as("%s ended", id).isEqualTo(":1");
  }

  private static String idOf(Reservation reservation) {
    return ((RedisReservation) reservation).id;
  }

  private static String pendingSetOf(Reservation reservation) {
    String id = ((RedisReservation) reservation).id;
    return "aigw:{limits}:pending:" + id.substring(0, id.indexOf('.'));
  }

  @Test
  void countersArePackedStringsUnderVersionedKeysAndKeysOfTheOldLayoutAreNotRead() {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      // Hashes an instance of the earlier layout left: neither read nor changed.
      redis.command("HSET", "aigw:{limits}:r:9:team/rate:alice", "u", "900", "p", "0", "t", "1");
      redis.command("HSET", "aigw:{limits}:q:10:team/quota:alice", "w", "0", "u", "900");
      // A quota counter of layout version 2 (no unit, period or zone in its key) holding 900 of
      // the current window: not read either (it expires at the window's end).
      long windowStart =
          QuotaPeriod.MONTHLY.windowStart(java.time.Instant.now(), ZoneOffset.UTC).toEpochMilli();
      redis.command(
          "EVAL",
          "return redis.call('SET', KEYS[1], struct.pack('<dd', tonumber(ARGV[1]), 900))",
          "1",
          "aigw:{limits}:q2:10:team/quota:alice",
          Long.toString(windowStart));

      ReserveResult first = reserve(store, 100);

      assertThat(first.admitted()).isTrue();
      assertThat(first.remaining()).containsExactly(900L, 900L);
      assertThat(redis.command("TYPE", RATE_KEY)).isEqualTo("+string");
      assertThat(redis.command("TYPE", QUOTA_KEY)).isEqualTo("+string");
      // rate: three doubles (used, progress, time); quota: two (window start, used)
      assertThat(redis.command("STRLEN", RATE_KEY)).isEqualTo(":24");
      assertThat(redis.command("STRLEN", QUOTA_KEY)).isEqualTo(":16");
      assertThat(Long.parseLong(redis.command("PTTL", RATE_KEY).substring(1))).isPositive();
      assertThat(Long.parseLong(redis.command("PTTL", QUOTA_KEY).substring(1))).isPositive();
      assertThat(redis.command("HGET", "aigw:{limits}:q:10:team/quota:alice", "u"))
          .isEqualTo("900");
      assertThat(redis.command("STRLEN", "aigw:{limits}:q2:10:team/quota:alice")).isEqualTo(":16");

      store.settle(first.reservation(), new long[] {40, 40});
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      assertThat(reserve(store, 0).remaining()).containsExactly(960L, 960L);
    }
  }

  /**
   * A quota's key names its unit, period and zone: a quota of the same id in another zone (another
   * gateway's configuration) has a counter of its own, and zones with one set of rules ({@code
   * UTC}, {@code Etc/UTC}, {@code Z}) share one. A rate of requests names its unit ({@code r3:r:})
   * beside the rate of tokens' key.
   */
  @Test
  void aQuotaKeyNamesItsUnitPeriodAndNormalizedZone() {
    LimitSpec tokyo =
        LimitSpec.quota("team/quota", 1000, QuotaPeriod.MONTHLY, java.time.ZoneId.of("Asia/Tokyo"));
    LimitSpec utcByName =
        LimitSpec.quota("team/quota", 1000, QuotaPeriod.MONTHLY, java.time.ZoneId.of("Etc/UTC"));
    LimitSpec requests =
        LimitSpec.quota(
            "team/quota", LimitSpec.Unit.REQUESTS, 1000, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      for (LimitSpec quota : List.of(QUOTA, tokyo, utcByName, requests)) {
        assertThat(store.reserve(List.of(new LimitCharge(quota, "alice", 100))).admitted())
            .isTrue();
      }

      assertThat(redis.command("EXISTS", QUOTA_KEY)).isEqualTo(":1");
      assertThat(
              redis.command(
                  "EXISTS", "aigw:{limits}:q3:t:monthly:10:Asia/Tokyo:10:team/quota:alice"))
          .isEqualTo(":1");
      assertThat(redis.command("EXISTS", "aigw:{limits}:q3:r:monthly:1:Z:10:team/quota:alice"))
          .isEqualTo(":1");
      LimitSpec requestRate =
          LimitSpec.rate("team/rate", LimitSpec.Unit.REQUESTS, 1000, Duration.ofDays(1));
      assertThat(store.reserve(List.of(new LimitCharge(requestRate, "alice", 1))).admitted())
          .isTrue();
      assertThat(
              redis.command("EXISTS", "aigw:{limits}:r3:r:1000:86400000000000:9:team/rate:alice"))
          .isEqualTo(":1");
      assertThat(redis.command("EXISTS", RATE_KEY)).as("the rate of tokens").isEqualTo(":0");
      assertThat(store.peek(List.of(new CounterId(QUOTA, "alice"), new CounterId(tokyo, "alice"))))
          .extracting(CounterReading::used)
          .containsExactly(200L, 100L);
    }
  }

  /**
   * Two rates of one id that differ in capacity or refill period (gateways sharing Redis that
   * configure one limit name otherwise: a batch service's and an interactive service's {@code
   * consumer/rate}) are counters of their own: the larger one's use never spends the smaller one's
   * bucket, nor does a slow rate's state (its units used, its progress towards the next unit in the
   * other's fractions, its key's expiry) govern a fast one's. Each key names the rate's unit,
   * capacity and refill period (nanoseconds).
   */
  @Test
  void ratesOfOneIdWithOtherCapacitiesOrPeriodsCountApartUnderKeysNamingThem() {
    // periods so long that no unit refills while the test runs: every count is exact
    Duration twoCenturies = Duration.ofDays(73_000);
    Duration oneCentury = Duration.ofDays(36_500);
    LimitSpec batch = LimitSpec.rate("team/rate", 1_000_000, twoCenturies);
    LimitSpec interactive = LimitSpec.rate("team/rate", 1000, twoCenturies);
    LimitSpec faster = LimitSpec.rate("team/rate", 1000, oneCentury);
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      assertThat(store.reserve(List.of(new LimitCharge(batch, "alice", 500_000))).admitted())
          .as("500,000 of the batch rate's 1,000,000")
          .isTrue();
      assertThat(store.reserve(List.of(new LimitCharge(faster, "alice", 600))).admitted())
          .as("600 of the faster rate's 1,000")
          .isTrue();

      ReserveResult small = store.reserve(List.of(new LimitCharge(interactive, "alice", 100)));

      assertThat(small.admitted()).as("the interactive rate, untouched by the others").isTrue();
      assertThat(small.remaining()).containsExactly(900L);
      assertThat(
              store.peek(
                  List.of(
                      new CounterId(batch, "alice"),
                      new CounterId(faster, "alice"),
                      new CounterId(interactive, "alice"))))
          .extracting(CounterReading::used)
          .containsExactly(500_000L, 600L, 100L);
      String periods = twoCenturies.toNanos() + ":9:team/rate:alice";
      assertThat(redis.command("EXISTS", "aigw:{limits}:r3:t:1000000:" + periods)).isEqualTo(":1");
      assertThat(redis.command("EXISTS", "aigw:{limits}:r3:t:1000:" + periods)).isEqualTo(":1");
      assertThat(
              redis.command(
                  "EXISTS",
                  "aigw:{limits}:r3:t:1000:" + oneCentury.toNanos() + ":9:team/rate:alice"))
          .isEqualTo(":1");
    }
  }

  @Test
  void aCounterKeyHoldingWhatTheStoreDidNotWriteCountsAsNoneAndIsReplacedNotFailingEveryCall() {
    LimitSpec slots = LimitSpec.inFlight("team/slots", 4);
    String slotKey = "aigw:{limits}:f:10:team/slots:alice";
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      // Keys of alice's counters another writer left: strings of another length than the
      // store's packed values, and a string where an in-flight set belongs.
      redis.command("SET", RATE_KEY, "1");
      redis.command("SET", QUOTA_KEY, "not a quota");
      redis.command("SET", slotKey, "3");
      List<LimitCharge> charges =
          List.of(
              new LimitCharge(RATE, "alice", 100),
              new LimitCharge(QUOTA, "alice", 100),
              new LimitCharge(slots, "alice", 1));

      assertThat(
              store.peek(
                  List.of(
                      new CounterId(RATE, "alice"),
                      new CounterId(QUOTA, "alice"),
                      new CounterId(slots, "alice"))))
          .extracting(CounterReading::used)
          .containsExactly(0L, 0L, 0L);
      ReserveResult first = store.reserve(charges);

      assertThat(first.admitted()).isTrue();
      assertThat(first.remaining()).containsExactly(900L, 900L, 3L);
      assertThat(redis.command("STRLEN", RATE_KEY)).isEqualTo(":24");
      assertThat(redis.command("STRLEN", QUOTA_KEY)).isEqualTo(":16");
      assertThat(redis.command("TYPE", slotKey)).isEqualTo("+zset");

      // A settlement whose counters were overwritten meanwhile is applied, not refused and dropped
      // (a refused batch drops every settlement that rode in it, of any consumer).
      redis.command("SET", RATE_KEY, "1");
      redis.command("SET", QUOTA_KEY, "not a quota");
      redis.command("SET", slotKey, "3");
      store.settle(first.reservation(), new long[] {40, 40, 0});
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      assertThat(store.settlements()).isEqualTo(new RedisTokenLimitStore.Settlements(0, 0, 0));
      assertThat(store.reserve(charges).remaining()).containsExactly(900L, 900L, 3L);

      // A string of the packed value's length that is no counter (three doubles of about 10^282:
      // units used beyond any counter's, refilled from a time that never comes) counts as none too,
      // instead of a rate spent for good.
      redis.command("SET", RATE_KEY, "z".repeat(24));
      ReserveResult third = store.reserve(charges);
      assertThat(third.admitted()).isTrue();
      assertThat(third.remaining().get(0)).isEqualTo(900L);
    }
  }

  @Test
  void aPendingSetKeyHoldingAnotherTypeHoldsNoIdAndIsReplacedNotFailingEveryCall() {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      Reservation before = reserve(store, 100).reservation();
      String pendingSet = pendingSetOf(before);
      // Another writer put a string at the store's pending set: its ids are gone.
      assertThat(redis.command("SET", pendingSet, "not a set")).isEqualTo("+OK");

      ReserveResult during = reserve(store, 100);
      assertThat(during.admitted()).isTrue();
      assertThat(during.remaining()).containsExactly(800L, 800L);
      assertThat(redis.command("TYPE", pendingSet)).isEqualTo("+zset");

      // The settlement of a reservation whose id was lost changes nothing (as after an eviction);
      // one made after it is applied; neither is refused and dropped.
      store.settle(before, new long[] {40, 40});
      store.settle(during.reservation(), new long[] {10, 10});
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      assertThat(store.settlements()).isEqualTo(new RedisTokenLimitStore.Settlements(0, 0, 0));
      assertThat(reserve(store, 0).remaining()).containsExactly(890L, 890L);

      // A hash there while settlements only are queued: they are applied, not dropped.
      Reservation held = reserve(store, 50).reservation();
      assertThat(redis.command("DEL", pendingSet)).isEqualTo(":1");
      assertThat(redis.command("HSET", pendingSet, "f", "v")).isEqualTo(":1");
      store.settle(held, new long[] {0, 0});
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      assertThat(store.settlements()).isEqualTo(new RedisTokenLimitStore.Settlements(0, 0, 0));
      assertThat(reserve(store, 0).remaining()).containsExactly(840L, 840L);
    }
  }

  @Test
  void aLibraryRedisLostIsLoadedAgainAndCountingGoesOn() {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      Reservation held = reserve(store, 100).reservation();
      assertThat(redis.command("FUNCTION", "FLUSH")).isEqualTo("+OK");

      store.settle(held, new long[] {30, 30}); // the library is missing: loaded, then applied
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      assertThat(redis.command("FUNCTION", "FLUSH")).isEqualTo("+OK");
      ReserveResult next = reserve(store, 100); // and again for a reservation

      assertThat(next.admitted()).isTrue();
      assertThat(next.remaining()).containsExactly(870L, 870L);
      assertThat(store.settlements()).isEqualTo(new RedisTokenLimitStore.Settlements(0, 0, 0));
    }
  }

  @Test
  void aLibraryTheRedisUserMayNotLoadFailsTheCallNamingWhyNotThatTheFunctionIsMissing() {
    try (RedisServer redis = RedisServer.start()) {
      // An ACL user who may call functions but not load them, on a Redis without the library.
      assertThat(
              redis.command(
                  "ACL",
                  "SETUSER",
                  "limited",
                  "on",
                  ">s3cret-pw",
                  "~*",
                  "&*",
                  "+@all",
                  "-function"))
          .isEqualTo("+OK");
      for (boolean onCallerThread : List.of(true, false)) {
        try (RedisConnection connection =
                RedisConnection.builder()
                    .uri("redis://limited:s3cret-pw@127.0.0.1:" + redis.port())
                    .commandTimeout(Duration.ofSeconds(5))
                    .build();
            RedisTokenLimitStore store =
                RedisTokenLimitStore.builder(connection)
                    .reserveOnCallerThread(onCallerThread)
                    .build()) {
          assertThatThrownBy(() -> reserve(store, 1))
              .as("on the caller's thread: %s", onCallerThread)
              .isInstanceOf(RedisStoreException.class)
              .hasMessageContaining("NOPERM")
              .hasMessageContaining("function")
              .hasMessageNotContaining("s3cret-pw");
        }
      }
    }
  }

  @Test
  void aSettlementAfterItsWindowChangesNothingAndUpkeepDropsTheEndedId() throws Exception {
    // Each new id keeps the set one window longer, so an ended id and a live one share it.
    Duration window = WINDOW;
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store =
            RedisTokenLimitStore.builder(connection)
                .settlementWindow(window)
                .upkeepEvery(Duration.ofHours(1)) // the first batch only
                .build()) {
      Reservation late = reserve(store, 100).reservation();
      String pendingSet = pendingSetOf(late);
      // the first id's window has ended, the second's has not
      secondThenFirstEnded(redis, pendingSet, idOf(late), () -> reserve(store, 0));

      store.settle(late, new long[] {10, 10}); // after its window: changes nothing
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      assertThat(redis.command("ZCARD", pendingSet))
          .as("the ended id stays until an upkeep batch")
          .isEqualTo(":2");
      assertThat(reserve(store, 0).remaining()).containsExactly(900L, 900L);
    }
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore upkeeping =
            RedisTokenLimitStore.builder(connection)
                .settlementWindow(window)
                .upkeepEvery(Duration.ZERO) // every batch
                .build()) {
      Reservation ended = reserve(upkeeping, 1).reservation();
      String pendingSet = pendingSetOf(ended);
      secondThenFirstEnded(redis, pendingSet, idOf(ended), () -> reserve(upkeeping, 1));

      reserve(upkeeping, 1); // an upkeep batch: drops the ended id

      assertThat(redis.command("ZCARD", pendingSet)).isEqualTo(":2");
      assertThat(redis.command("ZSCORE", pendingSet, ((RedisReservation) ended).id))
          .isEqualTo("$-1");
    }
  }

  /**
   * A settlement window shorter than the in-flight lease: a call that ends after its window is no
   * longer settled (its tokens stay as reserved), but it has ended, so its slot is free again at
   * once rather than held until its lease runs out.
   */
  @Test
  void aSettlementAfterItsWindowStillFreesTheCallsInFlightSlot() throws Exception {
    LimitSpec oneSlot = LimitSpec.inFlight("team/one-slot", 1);
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store =
            RedisTokenLimitStore.builder(connection)
                .settlementWindow(WINDOW)
                .inFlightLease(Duration.ofHours(1))
                .build()) {
      Reservation longCall =
          store.reserve(List.of(new LimitCharge(oneSlot, "alice", 1))).reservation();
      secondThenFirstEnded(
          redis,
          pendingSetOf(longCall),
          idOf(longCall),
          () -> store.reserve(List.of(new LimitCharge(oneSlot, "bob", 1))));

      store.settle(longCall, new long[] {0}); // the call ended after its settlement window
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();

      ReserveResult next = store.reserve(List.of(new LimitCharge(oneSlot, "alice", 1)));
      assertThat(next.admitted()).as("alice's slot was freed when her call ended").isTrue();
    }
  }

  @Test
  void anEndedLeaseNeverCountsAndUpkeepDropsIt() throws Exception {
    // Each new lease keeps the set one lease longer, so an ended lease and live ones share it.
    LimitSpec twoSlots = LimitSpec.inFlight("team/two-slots", 2);
    String key = "aigw:{limits}:f:14:team/two-slots:alice";
    List<LimitCharge> slot = List.of(new LimitCharge(twoSlots, "alice", 1));
    Duration lease = WINDOW;
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store =
            RedisTokenLimitStore.builder(connection)
                .inFlightLease(lease)
                .upkeepEvery(Duration.ofHours(1)) // the first batch only
                .build();
        RedisTokenLimitStore upkeeping =
            RedisTokenLimitStore.builder(connection)
                .inFlightLease(lease)
                .upkeepEvery(Duration.ZERO) // every batch
                .build()) {
      ReserveResult first = store.reserve(slot); // never settled: its JVM "died"
      assertThat(first.admitted()).isTrue();
      // the first lease has ended, the second has not
      secondThenFirstEnded(
          redis,
          key,
          idOf(first.reservation()),
          () -> assertThat(store.reserve(slot).admitted()).isTrue());

      ReserveResult third = store.reserve(slot);
      assertThat(third.admitted()).as("an ended lease does not count").isTrue();
      assertThat(third.remaining()).containsExactly(0L);
      assertThat(redis.command("ZCARD", key))
          .as("the ended lease is still in the set: no upkeep yet")
          .isEqualTo(":3");

      ReserveResult fourth = upkeeping.reserve(slot); // an upkeep batch: drops the ended lease
      assertThat(fourth.admitted()).as("two live leases fill the limit").isFalse();
      assertThat(redis.command("ZCARD", key)).isEqualTo(":2");

      store.settle(third.reservation(), new long[] {0});
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      assertThat(redis.command("ZCARD", key)).isEqualTo(":1");
    }
  }

  @Test
  void anInFlightSetLivesAsLongAsItsNewestLeaseAndGoesWhenItsLastSlotIsFreed() throws Exception {
    LimitSpec slots = LimitSpec.inFlight("team/slots", 10);
    String key = "aigw:{limits}:f:10:team/slots:alice";
    Duration lease = Duration.ofMinutes(5);
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = connect(redis);
        RedisTokenLimitStore store =
            RedisTokenLimitStore.builder(connection).inFlightLease(lease).build()) {
      // Two slots of one set in one call, then a second call: one extension per batch suffices.
      ReserveResult first =
          store.reserve(
              List.of(new LimitCharge(slots, "alice", 1), new LimitCharge(slots, "alice", 1)));
      ReserveResult second = store.reserve(List.of(new LimitCharge(slots, "alice", 1)));
      assertThat(first.admitted()).isTrue();
      assertThat(second.admitted()).isTrue();
      assertThat(redis.command("ZCARD", key)).isEqualTo(":3");
      long ttl = Long.parseLong(redis.command("PTTL", key).substring(1));
      assertThat(ttl).isPositive().isLessThanOrEqualTo(lease.toMillis());

      store.settle(first.reservation(), new long[] {0, 0});
      store.settle(second.reservation(), new long[] {0});
      assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      assertThat(redis.command("EXISTS", key)).as("an empty set is no key").isEqualTo(":0");

      // Freed and taken again in one batch: the settlement empties the set, the reservation makes
      // it again, and it gets its expiry.
      ReserveResult third = store.reserve(List.of(new LimitCharge(slots, "alice", 1)));
      store.settle(third.reservation(), new long[] {0});
      assertThat(store.reserve(List.of(new LimitCharge(slots, "alice", 1))).admitted()).isTrue();
      assertThat(redis.command("ZCARD", key)).isEqualTo(":1");
      assertThat(Long.parseLong(redis.command("PTTL", key).substring(1)))
          .isPositive()
          .isLessThanOrEqualTo(lease.toMillis());
    }
  }

  @Test
  void aLeaseAndASettlementWindowAsLongAsADurationGoesAreKeptAsLongAsRedisCan() {
    LimitSpec slots = LimitSpec.inFlight("team/slots", 2);
    // "As long as possible": the longest whose milliseconds fit a long, and the longest Duration.
    for (Duration longest :
        List.of(Duration.ofMillis(Long.MAX_VALUE), ChronoUnit.FOREVER.getDuration())) {
      try (RedisServer redis = RedisServer.start();
          RedisConnection connection = connect(redis);
          RedisTokenLimitStore store =
              RedisTokenLimitStore.builder(connection)
                  .inFlightLease(longest)
                  .settlementWindow(longest)
                  .build()) {
        ReserveResult held =
            store.reserve(
                List.of(
                    new LimitCharge(RATE, "alice", 100),
                    new LimitCharge(QUOTA, "alice", 100),
                    new LimitCharge(slots, "alice", 1)));
        assertThat(held.admitted()).as("%s", longest).isTrue();
        String slotKey = "aigw:{limits}:f:10:team/slots:alice";
        assertThat(Long.parseLong(redis.command("PTTL", slotKey).substring(1))).isPositive();
        assertThat(
                Long.parseLong(
                    redis.command("PTTL", pendingSetOf(held.reservation())).substring(1)))
            .isPositive();

        store.settle(held.reservation(), new long[] {10, 10, 0});
        assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
        assertThat(store.settlements()).isEqualTo(new RedisTokenLimitStore.Settlements(0, 0, 0));
        assertThat(reserve(store, 0).remaining()).containsExactly(990L, 990L);
        assertThat(redis.command("ZCARD", slotKey)).as("the slot freed").isEqualTo(":0");
      }
    }
  }
}
