package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.management.ThreadMXBean;
import dev.aigateway.api.spi.VectorMatch;
import dev.aigateway.api.spi.VectorStore;
import dev.aigateway.store.tck.TimeControl;
import dev.aigateway.store.tck.VectorStoreContract;
import dev.aigateway.testing.ManualClock;
import dev.aigateway.testing.RedisServer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The vector store suite against a real redis-server, and the sharing between instances: each
 * "instance" is a store with a Redis connection of its own.
 */
class RedisVectorStoreTest extends VectorStoreContract {

  private static final AtomicInteger NAMES = new AtomicInteger();
  private static RedisServer server;
  private static RedisConnection redis;

  private final ManualClock clock = ManualClock.at("2026-11-24T10:00:00Z");
  private final List<AutoCloseable> opened = new ArrayList<>();
  private String name;

  @BeforeAll
  static void startRedis() {
    server = RedisServer.start();
    redis = connection();
    warmUp(redis);
  }

  /** The first connection of a JVM loads Netty; on a busy machine that can take seconds. */
  static void warmUp(RedisConnection connection) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        connection.bytes().sync().ping();
        return;
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
    }
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
    server.close();
  }

  private static RedisConnection connection() {
    return RedisConnection.builder()
        .uri(server.uri())
        .commandTimeout(Duration.ofSeconds(2))
        .build();
  }

  @AfterEach
  void closeStores() throws Exception {
    for (AutoCloseable c : opened) {
      c.close();
    }
  }

  @Override
  protected VectorStore newStore(Duration timeToLive, long maximumEntries) {
    name = "t" + NAMES.incrementAndGet(); // a namespace of its own: empty
    return open(redis, timeToLive, maximumEntries);
  }

  @Override
  protected TimeControl time() {
    return clock::advance;
  }

  /** Another instance of the store under test, on a connection of its own. */
  private RedisVectorStore instance() {
    return instance(clock);
  }

  /** Another instance of the store under test, on a connection and {@code clock} of its own. */
  private RedisVectorStore instance(ManualClock clock) {
    RedisConnection own = connection();
    opened.add(own);
    return open(own, TIME_TO_LIVE, 10_000, clock);
  }

  private RedisVectorStore open(RedisConnection connection, Duration ttl, long max) {
    return open(connection, ttl, max, clock);
  }

  private RedisVectorStore open(
      RedisConnection connection, Duration ttl, long max, ManualClock clock) {
    RedisVectorStore store =
        RedisVectorStore.builder(connection)
            .name(name)
            .timeToLive(ttl)
            .maximumEntries(max)
            .clock(clock)
            .build();
    opened.add(0, store);
    return store;
  }

  @Test
  void anEntryIsEncodedIntoOneArrayOfExactlyItsLength() throws Exception {
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    float[] vector = new float[384];
    RedisVectorStore.encode("p", "warm-up", "t\u4e2d\ud800", 0, vector); // classes, not the text
    for (String text : List.of("x".repeat(1 << 20), "\u4e2d".repeat(1 << 18))) {
      long exact = 4 + 1 + Wire.stringBytes("p") + Wire.stringBytes("id") + Wire.stringBytes(text);
      exact += 8 + 4 + 4L * vector.length;

      long before = threads.getThreadAllocatedBytes(thread);
      byte[] value = RedisVectorStore.encode("p", "id", text, 42, vector);
      long allocated = threads.getThreadAllocatedBytes(thread) - before;

      assertThat(value).hasSize((int) exact);
      // The value's array and a few small objects: no buffer of a guessed size copied into it, no
      // UTF-8 copy of the text on the way.
      assertThat(allocated).as(text.substring(0, 1)).isLessThan(exact + 4096);
      assertThat(RedisVectorStore.decode(value).text()).isEqualTo(text);
    }
    for (String text : List.of("", "a\u00e9\u07ff\u0800\u4e2d\uffff\ud83d\ude00\udbff\udfffz")) {
      byte[] value = RedisVectorStore.encode("p", "id", text, 42, vector);
      assertThat(RedisVectorStore.decode(value).text()).isEqualTo(text);
      assertThat(new Wire.Writer(0).string(text).toByteArray())
          .endsWith(text.getBytes(StandardCharsets.UTF_8))
          .hasSize(4 + text.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  /** Polls until {@code condition} holds; returns how long it took. */
  private static Duration await(Supplier<Boolean> condition, Duration atMost) throws Exception {
    long start = System.nanoTime();
    while (!condition.get()) {
      if (System.nanoTime() - start > atMost.toNanos()) {
        throw new AssertionError("not within " + atMost);
      }
      Thread.sleep(1);
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  private static boolean finds(VectorStore store, String partition, float[] v, String id) {
    return ids(store.nearest(partition, v, 5, 0.99)).contains(id);
  }

  @Test
  void itsCallsAreBoundedByTheCommandTimeoutSoTheCacheCallsItWithoutAHandOff() {
    assertThat(open(redis, Duration.ofMinutes(1), 10).callTimeout())
        .isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void aTimeToLiveOfCenturiesKeepsEntriesAsInMemory() {
    // 250 years in nanoseconds fits a long; added to today's epoch nanoseconds, it does not
    Duration centuries = Duration.ofDays(365L * 250);
    float[] vector = {0.6f, 0.8f};
    VectorStore reference =
        dev.aigateway.core.cache.InMemoryVectorStore.builder()
            .timeToLive(centuries)
            .clock(clock)
            .build();
    VectorStore store = newStore(centuries, 100);

    reference.add("p", "a", vector, "a");
    store.add("p", "a", vector, "a");

    assertThat(reference.nearest("p", vector, 1, 0.5))
        .extracting(VectorMatch::id)
        .containsExactly("a");
    assertThat(store.nearest("p", vector, 1, 0.5)).extracting(VectorMatch::id).containsExactly("a");
  }

  @Test
  void aTimeToLiveBeyondALongOfNanosecondsKeepsEntriesForAsLongAsRedisCan() {
    for (Duration forever :
        List.of(
            Duration.ofMillis(Long.MAX_VALUE),
            java.time.temporal.ChronoUnit.FOREVER.getDuration())) {
      VectorStore kept = newStore(forever, 100);
      float[] first = atAngle(0);
      float[] second = atAngle(90);

      kept.add("p", "a", first, "a");
      kept.add("p", "b", second, "b"); // sweeps what Redis holds as expired

      assertThat(ids(kept.nearest("p", first, 1, 0.99))).containsExactly("a");
      assertThat(kept.size()).isEqualTo(2);
      String entry = redis.key("{" + name + "}", "e:") + Digests.of("p", "a");
      assertThat(redis.bytes().sync().pttl(entry.getBytes(StandardCharsets.UTF_8)))
          .isGreaterThan(Duration.ofDays(365L * 10_000).toMillis());
    }
  }

  @Test
  void anEntryAddedByOneInstanceIsFoundByAnotherWithinASecond() throws Exception {
    RedisVectorStore a = instance();
    RedisVectorStore b = instance();
    float[] v = randomUnit();

    a.add("tenant-a|gpt-4o", "answer-1", v, "How do I reset my password?");
    Duration lag = await(() -> finds(b, "tenant-a|gpt-4o", v, "answer-1"), Duration.ofSeconds(5));

    assertThat(lag).isLessThanOrEqualTo(Duration.ofSeconds(1));
    VectorMatch match = b.nearest("tenant-a|gpt-4o", v, 1, 0.5).get(0);
    assertThat(match.text()).isEqualTo("How do I reset my password?");
    assertThat(match.score()).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-6));
  }

  @Test
  void anEntryWhosePartitionIdAndTextHoldUnpairedSurrogatesReachesAnotherInstanceAsItWas()
      throws Exception {
    RedisVectorStore a = instance();
    RedisVectorStore b = instance();
    float[] v = randomUnit();

    // strings a JSON escape can make; UTF-8 would carry each lone surrogate as '?'
    a.add("tenant\ud800", "answer\udc00", v, "Is it \ud83d safe?");
    await(() -> finds(b, "tenant\ud800", v, "answer\udc00"), Duration.ofSeconds(5));

    assertThat(b.nearest("tenant\ud800", v, 1, 0.5).get(0).text()).isEqualTo("Is it \ud83d safe?");
    assertThat(b.nearest("tenant?", v, 1, 0.5)).isEmpty();
  }

  @Test
  void removalsAndReplacementsReachTheOtherInstances() throws Exception {
    RedisVectorStore a = instance();
    RedisVectorStore b = instance();
    float[] first = atAngle(0);
    float[] second = atAngle(90);
    a.add("p", "x", first, "old");
    a.add("p", "y", atAngle(45), "y");
    await(() -> finds(b, "p", first, "x"), Duration.ofSeconds(5));

    b.add("p", "x", second, "new");
    await(() -> finds(a, "p", second, "x"), Duration.ofSeconds(5));
    assertThat(finds(a, "p", first, "x")).isFalse();

    b.remove("p", "y");
    await(() -> a.nearest("p", atAngle(45), 5, 0.99).isEmpty(), Duration.ofSeconds(5));
    assertThat(a.size()).isEqualTo(1);
  }

  @Test
  void aNewInstanceLoadsWhatIsStoredBeforeItsBuildReturns() {
    RedisVectorStore a = instance();
    for (int i = 0; i < 1_200; i++) { // more than one load batch
      a.add("p" + (i % 3), "e" + i, atAngle(i * 0.05), "text " + i);
    }
    a.remove("p0", "e0");

    RedisVectorStore late = instance();

    assertThat(ids(late.nearest("p1", atAngle(0.05), 1, 0.99))).containsExactly("e1");
    assertThat(late.nearest("p0", atAngle(0), 1, 0.99999999)).isEmpty();
    assertThat(late.size()).isEqualTo(1_199);
    assertThat(late.reloads()).isEqualTo(1);
  }

  @Test
  void anInstanceLoadingWhileTheOldestEntriesAreEvictedLoadsEveryEntry() throws Exception {
    int max = 3_000; // six load batches
    RedisConnection own = connection();
    opened.add(own);
    RedisVectorStore a = open(own, TIME_TO_LIVE, max);
    for (int i = 0; i < max; i++) {
      a.add("p", "e" + i, atAngle(i * 0.01), "text " + i);
    }
    // Another instance keeps adding while this one loads: each add evicts the oldest entry, so the
    // entries move down the index's ranks between two load batches.
    java.util.concurrent.atomic.AtomicBoolean adding =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread adder =
        new Thread(
            () -> {
              for (int i = max; adding.get(); i++) {
                a.add("p", "e" + i, atAngle(i * 0.01), "text " + i);
              }
            });
    adder.start();
    RedisVectorStore late;
    try {
      RedisConnection lateConnection = connection();
      opened.add(lateConnection);
      late = open(lateConnection, TIME_TO_LIVE, max);
    } finally {
      adding.set(false);
      adder.join();
    }

    assertThat(a.size()).isEqualTo(max);
    try {
      await(() -> late.localSize() == max, Duration.ofSeconds(5));
    } catch (AssertionError e) {
      throw new AssertionError(
          "the loading instance holds " + late.localSize() + " of the " + max + " entries");
    }
  }

  @Test
  void anInstanceThatMissedChangesReloadsEverything() throws Exception {
    RedisVectorStore a = instance();
    RedisVectorStore b = instance();
    float[] lost = atAngle(10);
    // An entry whose change was trimmed from the stream before b read it: in Redis, not announced.
    String digest = Digests.of("p", "lost");
    var commands = redis.bytes().sync();
    long seq = commands.incr(bytes("aigw:{" + name + "}:seq"));
    commands.hset(bytes("aigw:{" + name + "}:e:" + digest), "s".getBytes(), bytes("" + seq));
    commands.hset(
        bytes("aigw:{" + name + "}:e:" + digest),
        "v".getBytes(),
        RedisVectorStore.encode("p", "lost", "lost text", Long.MAX_VALUE, lost));
    commands.zadd(bytes("aigw:{" + name + "}:index"), seq, bytes(digest));

    a.add("p", "next", atAngle(80), "next");

    await(() -> finds(b, "p", lost, "lost"), Duration.ofSeconds(5));
    assertThat(finds(b, "p", atAngle(80), "next")).isTrue();
    assertThat(b.reloads()).isEqualTo(2);
  }

  @Test
  void afterRedisRestartsEmptyAnInstanceDropsWhatRedisLost() throws Exception {
    RedisServer own = RedisServer.start();
    try (RedisConnection ca = RedisConnection.builder().uri(own.uri()).build();
        RedisConnection cb = RedisConnection.builder().uri(own.uri()).build();
        RedisVectorStore a = RedisVectorStore.builder(ca).clock(clock).build();
        RedisVectorStore b = RedisVectorStore.builder(cb).clock(clock).build()) {
      float[] before = atAngle(0);
      float[] after = atAngle(60);
      // The connections may still be connecting (a loaded machine): add once they take it.
      await(() -> adds(a, "p", "before", before), Duration.ofSeconds(10));
      await(() -> finds(b, "p", before, "before"), Duration.ofSeconds(5));

      own.restart();
      await(() -> adds(a, "p", "after", after), Duration.ofSeconds(10));

      await(() -> finds(b, "p", after, "after"), Duration.ofSeconds(10));
      assertThat(finds(b, "p", before, "before")).isFalse();
    } finally {
      own.close();
    }
  }

  @Test
  void afterRedisRestartsFromAnOlderSnapshotEveryInstanceDropsWhatRedisLost() throws Exception {
    RedisServer own = RedisServer.start();
    try (RedisConnection ca = RedisConnection.builder().uri(own.uri()).build();
        RedisConnection cb = RedisConnection.builder().uri(own.uri()).build();
        RedisVectorStore a = RedisVectorStore.builder(ca).clock(clock).build();
        RedisVectorStore b = RedisVectorStore.builder(cb).clock(clock).build()) {
      float[] kept = atAngle(0);
      float[] lost = atAngle(60);
      float[] after = atAngle(120);
      await(() -> adds(a, "p", "kept", kept), Duration.ofSeconds(10));
      await(() -> finds(b, "p", kept, "kept"), Duration.ofSeconds(5));
      assertThat(own.command("SAVE")).isEqualTo("+OK"); // the snapshot Redis restarts from
      a.add("p", "lost", lost, "lost");
      await(() -> finds(b, "p", lost, "lost"), Duration.ofSeconds(5));
      long reloadsA = a.reloads();
      long reloadsB = b.reloads();

      own.restart(); // loads the snapshot: "lost" and the write number it took are gone
      await(() -> a.reloads() > reloadsA && b.reloads() > reloadsB, Duration.ofSeconds(10));

      assertThat(finds(a, "p", lost, "lost")).as("the writer still finds the lost entry").isFalse();
      assertThat(finds(b, "p", lost, "lost")).as("the follower still finds it").isFalse();
      assertThat(finds(b, "p", kept, "kept")).isTrue();
      // the next write takes the lost entry's write number; it reaches every instance
      await(() -> adds(a, "p", "after", after), Duration.ofSeconds(10));
      await(() -> finds(b, "p", after, "after"), Duration.ofSeconds(5));
      assertThat(finds(b, "p", lost, "lost")).isFalse();
    } finally {
      own.close();
    }
  }

  /** Adds the entry (the id is also its answer); false while the store cannot reach Redis. */
  private static boolean adds(RedisVectorStore store, String partition, String id, float[] vector) {
    try {
      store.add(partition, id, vector, id);
      return true;
    } catch (RuntimeException notConnected) {
      return false;
    }
  }

  @Test
  void aVectorWithANonFiniteComponentIsRefusedBeforeItReachesRedis() {
    RedisVectorStore a = instance();
    float[] broken = atAngle(0);
    broken[3] = Float.NaN;

    assertThatThrownBy(() -> a.add("p", "nan", broken, "nan"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("vector component 3 is NaN; vectors must be finite");
    assertThat(
            redis.bytes().sync().exists(bytes("aigw:{" + name + "}:e:" + Digests.of("p", "nan"))))
        .isZero();
  }

  @Test
  void anUnreadableEntryIsSkippedOnLoad() {
    RedisVectorStore a = instance();
    a.add("p", "good", atAngle(0), "good");
    a.add("p", "bad", atAngle(40), "bad");
    redis
        .bytes()
        .sync()
        .hset(
            bytes("aigw:{" + name + "}:e:" + Digests.of("p", "bad")),
            "v".getBytes(),
            "not an entry".getBytes());

    RedisVectorStore late = instance();

    assertThat(ids(late.nearest("p", atAngle(0), 5, -1.0))).containsExactly("good");
  }

  @Test
  void keysOfAnotherTypeWhereTheStoreKeepsItsStateAreReplacedOrSkippedNotFailingEveryAddAndLoad()
      throws Exception {
    // Another writer left keys of other types where the store keeps its write counter, index,
    // stream, expiry index and epoch mark.
    String base = "aigw:{" + name + "}:";
    server.command("HSET", base + "seq", "f", "v");
    server.command("SET", base + "index", "not a sorted set");
    server.command("SET", base + "log", "not a stream");
    server.command("SET", base + "expiry", "not a sorted set");
    server.command("HSET", base + "epoch", "f", "v");
    RedisVectorStore a = instance();
    RedisVectorStore b = instance();
    float[] x = atAngle(0);

    a.add("p", "x", x, "x");
    await(() -> finds(b, "p", x, "x"), Duration.ofSeconds(5));
    assertThat(a.size()).isEqualTo(1);

    // An entry of another type is skipped by a load, which goes on with the others.
    server.command("SET", base + "e:" + Digests.of("p", "x"), "not a hash");
    RedisVectorStore c = instance();
    float[] y = atAngle(60);
    a.add("p", "y", y, "y");
    await(() -> finds(c, "p", y, "y"), Duration.ofSeconds(5));
    assertThat(finds(c, "p", x, "x")).isFalse();

    // A write counter that is no integer, or would overflow, begins again; the others reload.
    for (String counter : List.of("not a number", Long.toString(Long.MAX_VALUE))) {
      server.command("SET", base + "seq", counter);
      float[] z = atAngle(counter.length() * 2);
      a.add("p", "z" + counter, z, "z");
      await(() -> finds(b, "p", z, "z" + counter), Duration.ofSeconds(5));
    }
  }

  @Test
  void expiryIsOnTheStoresClockOnEveryInstance() throws Exception {
    RedisVectorStore a = instance();
    RedisVectorStore b = instance();
    float[] v = atAngle(0);
    a.add("p", "x", v, "x");
    await(() -> finds(b, "p", v, "x"), Duration.ofSeconds(5));

    clock.advance(TIME_TO_LIVE);

    assertThat(b.nearest("p", v, 5, -1.0)).isEmpty();
    assertThat(a.nearest("p", v, 5, -1.0)).isEmpty();
  }

  @Test
  void anEntryFromAnInstanceWhoseClockIsBehindLivesItsTimeToLiveOnEveryInstance() throws Exception {
    // Two instances whose clocks disagree by more than the time to live: the writer's is 20
    // minutes behind the reader's. The entry lives 10 minutes in Redis, and so on each instance,
    // counted on that instance's own clock from when it learned of the entry.
    ManualClock behind = ManualClock.at("2026-11-24T09:40:00Z");
    RedisVectorStore writer = instance(behind);
    RedisVectorStore reader = instance(clock);
    float[] v = atAngle(0);

    writer.add("p", "x", v, "x");

    await(() -> reader.localSize() == 1, Duration.ofSeconds(5));
    assertThat(ids(reader.nearest("p", v, 5, -1.0))).as("live on the reader").containsExactly("x");
    clock.advance(TIME_TO_LIVE.minusMinutes(1));
    assertThat(ids(reader.nearest("p", v, 5, -1.0))).containsExactly("x");
    clock.advance(Duration.ofMinutes(1));
    assertThat(reader.nearest("p", v, 5, -1.0)).as("expired on the reader").isEmpty();
    assertThat(ids(writer.nearest("p", v, 5, -1.0)))
        .as("the writer's own clock")
        .containsExactly("x");
  }

  @Test
  void entriesCarryARedisTimeToLive() {
    store.add("p", "x", atAngle(0), "x");

    long pttl = redis.bytes().sync().pttl(bytes("aigw:{" + name + "}:e:" + Digests.of("p", "x")));

    assertThat(pttl).isBetween(TIME_TO_LIVE.toMillis() - 5_000, TIME_TO_LIVE.toMillis());
  }

  @Test
  void theStoresSharedKeysExpireWithItsNewestEntrySoNoKeyOutlivesItsEntries() throws Exception {
    RedisVectorStore other = instance(); // its reload made the epoch mark
    store.add("p", "x", atAngle(0), "x");
    store.add("p", "y", atAngle(1), "y");
    store.remove("p", "y");
    await(() -> other.localSize() == 1, Duration.ofSeconds(5));

    // the index, the expiry index, the counter, the change stream and the epoch mark: each goes
    // when the newest entry does, not never (an unused store left them in Redis for good)
    for (String key : List.of("index", "expiry", "seq", "log", "epoch")) {
      long pttl = redis.bytes().sync().pttl(bytes("aigw:{" + name + "}:" + key));
      assertThat(pttl)
          .as("time to live of %s", key)
          .isBetween(TIME_TO_LIVE.toMillis() - 5_000, TIME_TO_LIVE.toMillis());
    }
  }

  @Test
  void onConnectionsWithAShortCommandTimeoutTheFollowerBlocksWithoutFailing() throws Exception {
    // 250 ms: far below the follower's 1 s blocking read, yet safe on a busy build machine.
    Duration timeout = Duration.ofMillis(250);
    try (RedisConnection fastA =
            RedisConnection.builder().uri(server.uri()).commandTimeout(timeout).build();
        RedisConnection fastB =
            RedisConnection.builder().uri(server.uri()).commandTimeout(timeout).build()) {
      warmUp(fastA);
      warmUp(fastB);
      RedisVectorStore a = RedisVectorStore.builder(fastA).name(name).clock(clock).build();
      RedisVectorStore b = RedisVectorStore.builder(fastB).name(name).clock(clock).build();
      opened.add(0, a);
      opened.add(0, b);

      Thread.sleep(2_500); // two blocking reads of 1 s each, longer than the command timeout
      float[] v = atAngle(30);
      a.add("p", "x", v, "x");

      Duration lag = await(() -> finds(b, "p", v, "x"), Duration.ofSeconds(5));
      assertThat(lag).isLessThanOrEqualTo(Duration.ofSeconds(1));
      // A read that timed out would make the follower reload after every read.
      assertThat(b.reloads()).isLessThanOrEqualTo(2);
    }
  }

  @Test
  void settingsAreChecked() {
    assertThatThrownBy(() -> RedisVectorStore.builder(redis).name("a{b}"))
        .hasMessageContaining("but was 'a{b}'");
    assertThatThrownBy(() -> RedisVectorStore.builder(redis).maximumEntries(0))
        .hasMessageContaining("maximumEntries must be at least 1 but was 0");
    assertThatThrownBy(() -> RedisVectorStore.builder(redis).streamLength(10))
        .hasMessageContaining("streamLength must be at least 100 but was 10");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
