package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.spi.BackendHealthChannel;
import dev.aigateway.api.spi.HealthSignal;
import dev.aigateway.testing.CapturingLogger;
import dev.aigateway.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The channel over a real redis-server: the wire format, delivery, outages and restarts. */
class RedisBackendHealthChannelTest {

  private static final Instant UNTIL = Instant.parse("2026-06-01T10:00:30Z");

  static HealthSignal signal(String backend, HealthSignal.Kind kind, Duration remaining) {
    return new HealthSignal("chat", backend, kind, UNTIL, remaining, "gw-test");
  }

  static RedisConnection connect(RedisServer redis) {
    return RedisConnection.builder()
        .uri(redis.uri())
        .keyPrefix("app:")
        .commandTimeout(Duration.ofSeconds(1))
        .build();
  }

  static void await(String what, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    await(what, timeout, Duration.ofMillis(5), condition);
  }

  static void await(String what, Duration timeout, Duration every, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout + ": " + what);
      }
      Thread.sleep(every.toMillis());
    }
  }

  /** Subscribers of the channel as the server counts them; -1 while it does not answer. */
  static long serverSubscribers(RedisServer redis, String channel) {
    RedisClient client = RedisClient.create(redis.uri());
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      return c.sync().pubsubNumsub(channel).getOrDefault(channel, 0L);
    } catch (RuntimeException notUpYet) {
      return -1;
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
  }

  @Test
  void aSignalSurvivesTheWireExactlyAndItsMessageIsCompactJson() {
    HealthSignal tripped = signal("east", HealthSignal.Kind.TRIPPED, Duration.ofMillis(30_000));

    String message = RedisBackendHealthChannel.encode(tripped);

    assertThat(message)
        .isEqualTo(
            "{\"v\":1,\"pool\":\"chat\",\"backend\":\"east\",\"kind\":\"TRIPPED\","
                + "\"until\":1780308030000,\"remaining\":30000,\"origin\":\"gw-test\"}");
    assertThat(RedisBackendHealthChannel.decode(message)).isEqualTo(tripped);
    HealthSignal quoted =
        new HealthSignal(
            "c\"h|a\\t", "e:ast\n", HealthSignal.Kind.RECOVERED, UNTIL, Duration.ZERO, "gw-\u00e9");
    assertThat(RedisBackendHealthChannel.decode(RedisBackendHealthChannel.encode(quoted)))
        .isEqualTo(quoted);
    // Sub-millisecond remainders round up, so a pause is never shortened.
    assertThat(
            RedisBackendHealthChannel.decode(
                    RedisBackendHealthChannel.encode(
                        signal("east", HealthSignal.Kind.COOL_DOWN, Duration.ofNanos(1_000_001))))
                .remaining())
        .isEqualTo(Duration.ofMillis(2));
  }

  @Test
  void anythingButASignalOfThisVersionDecodesToNothing() {
    String good =
        RedisBackendHealthChannel.encode(
            signal("east", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(1)));
    List<String> bad =
        List.of(
            "",
            "not json",
            "[1,2]",
            "null",
            good.replace("\"v\":1", "\"v\":2"),
            good.replace("\"v\":1,", ""),
            good.replace("TRIPPED", "EXPLODED"),
            good.replace("\"remaining\":1000", "\"remaining\":-1000"),
            good.replace("\"remaining\":1000", "\"remaining\":\"1000\""),
            good.replace("\"remaining\":1000", "\"remaining\":1.5"),
            good.replace("\"remaining\":1000", "\"remaining\":1e400"),
            good.replace("\"pool\":\"chat\"", "\"pool\":\" \""),
            good.replace("\"origin\":\"gw-test\"", "\"origin\":7"),
            good.replace("\"backend\":\"east\",", ""),
            good.substring(0, good.length() - 1),
            "{\"v\":1,\"pool\":\"" + "x".repeat(5_000) + "\"}");

    for (String message : bad) {
      assertThat(RedisBackendHealthChannel.decode(message)).as(message).isNull();
    }
  }

  @Test
  void everySubscriberOfEveryInstanceGetsEachSignalOnTheChannelsThreadAndMalformedOnesAreCounted()
      throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection linkA = connect(redis);
        RedisConnection linkB = connect(redis);
        RedisBackendHealthChannel a = new RedisBackendHealthChannel(linkA);
        RedisBackendHealthChannel b = new RedisBackendHealthChannel(linkB)) {
      List<HealthSignal> atA = new CopyOnWriteArrayList<>();
      List<HealthSignal> atB = new CopyOnWriteArrayList<>();
      List<String> threads = new CopyOnWriteArrayList<>();
      a.subscribe(atA::add);
      b.subscribe(
          s -> {
            atB.add(s);
            threads.add(Thread.currentThread().getName());
          });
      BackendHealthChannel.Subscription closed = b.subscribe(s -> atB.add(s));
      closed.close();
      await("both subscribed", Duration.ofSeconds(10), () -> a.isSubscribed() && b.isSubscribed());
      assertThat(a.channel()).isEqualTo("app:backend-health");

      HealthSignal cooled = signal("east", HealthSignal.Kind.COOL_DOWN, Duration.ofSeconds(30));
      a.publish(cooled);
      assertThat(redis.command("PUBLISH", "app:backend-health", "{\"v\":1,\"kind\":\"oops\"}"))
          .isEqualTo(":2");
      redis.command("PUBLISH", "app:backend-health", "garbage");
      redis.command("PUBLISH", "app:other-channel", "not ours");
      await("delivered", Duration.ofSeconds(5), () -> atA.size() == 1 && atB.size() == 1);
      // each instance counts on its own channel thread: wait for both, not only the one read first
      await(
          "malformed counted",
          Duration.ofSeconds(5),
          () -> a.malformed() == 2 && b.malformed() == 2);

      for (List<HealthSignal> got : List.of(atA, atB)) {
        assertThat(got)
            .singleElement()
            .satisfies(
                s -> {
                  assertThat(s.backendId()).isEqualTo("east");
                  assertThat(s.kind()).isEqualTo(HealthSignal.Kind.COOL_DOWN);
                  assertThat(s.origin()).isEqualTo("gw-test");
                  assertThat(s.until()).isEqualTo(UNTIL);
                  // aged by its trip through Redis, but never by more than a moment
                  assertThat(s.remaining())
                      .isLessThanOrEqualTo(Duration.ofSeconds(30))
                      .isGreaterThan(Duration.ofSeconds(29));
                });
      }
      assertThat(threads).containsOnly("ai-gateway-redis-health");
      // counted once PUBLISH has returned, which can be after a subscriber already has it
      await("publish counted", Duration.ofSeconds(5), () -> a.published() >= 1);
      assertThat(a.published()).isEqualTo(1);
      assertThat(b.received()).isEqualTo(3);
      assertThat(a.malformed()).isEqualTo(2);
      assertThat(a.dropped()).isZero();
    }
  }

  @Test
  void aSignalWithTimesBeyondMillisecondsSaturatesAndIsDeliveredNotLostUncounted()
      throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection linkA = connect(redis);
        RedisConnection linkB = connect(redis);
        RedisBackendHealthChannel a = new RedisBackendHealthChannel(linkA);
        RedisBackendHealthChannel b = new RedisBackendHealthChannel(linkB)) {
      List<HealthSignal> atB = new CopyOnWriteArrayList<>();
      a.subscribe(s -> {});
      b.subscribe(atB::add);
      await("both subscribed", Duration.ofSeconds(10), () -> a.isSubscribed() && b.isSubscribed());

      // A pause "for good" (a backend's Retry-After far in the future, a breaker held open): its
      // end and what remains of it do not fit in a long of milliseconds.
      a.publish(
          new HealthSignal(
              "chat",
              "east",
              HealthSignal.Kind.COOL_DOWN,
              Instant.MAX,
              Duration.ofSeconds(Long.MAX_VALUE),
              "gw-test"));
      a.publish(
          new HealthSignal(
              "chat",
              "west",
              HealthSignal.Kind.TRIPPED,
              UNTIL,
              Duration.ofMillis(Long.MAX_VALUE).plusNanos(1),
              "gw-test"));
      await("delivered", Duration.ofSeconds(5), () -> atB.size() == 2);

      assertThat(atB.get(0).backendId()).isEqualTo("east");
      assertThat(atB.get(0).until()).isEqualTo(Instant.ofEpochMilli(Long.MAX_VALUE));
      assertThat(atB.get(1).backendId()).isEqualTo("west");
      for (HealthSignal s : atB) {
        // the longest pause the wire carries, aged by a moment
        assertThat(s.remaining()).isGreaterThan(Duration.ofMillis(Long.MAX_VALUE).minusDays(1));
      }
      // counted once PUBLISH has returned, which can be after a subscriber already has it
      await("publish counted", Duration.ofSeconds(5), () -> a.published() >= 2);
      assertThat(a.published()).isEqualTo(2);
      assertThat(a.publishFailures()).isZero();
      assertThat(a.dropped()).isZero();
      assertThat(b.malformed()).isZero();
    }
  }

  @Test
  void aSignalTooLongForReceiversIsNotPublishedButCountedAndLoggedOnce() throws Exception {
    CapturingLogger log = new CapturingLogger("health");
    try (RedisServer redis = RedisServer.start();
        RedisConnection linkA = connect(redis);
        RedisConnection linkB = connect(redis);
        RedisBackendHealthChannel a = new RedisBackendHealthChannel(linkA, log);
        RedisBackendHealthChannel b = new RedisBackendHealthChannel(linkB)) {
      List<HealthSignal> atB = new CopyOnWriteArrayList<>();
      a.subscribe(s -> {});
      b.subscribe(atB::add);
      await("both subscribed", Duration.ofSeconds(10), () -> a.isSubscribed() && b.isSubscribed());
      String longId = "east-" + "x".repeat(RedisBackendHealthChannel.MAX_MESSAGE_CHARS);

      a.publish(signal(longId, HealthSignal.Kind.TRIPPED, Duration.ofSeconds(30)));
      a.publish(signal(longId, HealthSignal.Kind.COOL_DOWN, Duration.ofSeconds(30)));
      a.publish(signal("west", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(30)));
      await("the short one delivered", Duration.ofSeconds(5), () -> atB.size() == 1);
      await("publish counted", Duration.ofSeconds(5), () -> a.published() >= 1);

      assertThat(atB.get(0).backendId()).isEqualTo("west");
      assertThat(b.received()).isEqualTo(1); // the long ones never reached Redis
      assertThat(b.malformed()).isZero();
      assertThat(a.published()).isEqualTo(1);
      assertThat(a.dropped()).isEqualTo(2);
      assertThat(log.warnings()).hasSize(1);
      assertThat(log.warnings().get(0))
          .contains("not publishing", "pool chat", "east-xxx", "shorten")
          .hasSizeLessThan(1_000);
    }
  }

  @Test
  void aPublishRedisRefusesIsLoggedWithItsRefusalNotAsRedisBeingAway() throws Exception {
    // A reachable Redis that answers PUBLISH with an error (an ACL that does not allow it) is not
    // "unreachable": the warning says what Redis answered, so the operator fixes the permission
    // instead of looking for an outage.
    CapturingLogger log = new CapturingLogger("health");
    try (RedisServer redis = RedisServer.start();
        RedisConnection link = connect(redis);
        RedisBackendHealthChannel channel = new RedisBackendHealthChannel(link, log)) {
      redis.command("ACL", "SETUSER", "default", "-publish");

      channel.publish(signal("east", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(5)));
      channel.publish(signal("east", HealthSignal.Kind.COOL_DOWN, Duration.ofSeconds(5)));
      await("publishes failed", Duration.ofSeconds(10), () -> channel.publishFailures() == 2);

      assertThat(log.warnings()).hasSize(1);
      assertThat(log.warnings().get(0))
          .contains("refuses", "NOPERM", "127.0.0.1")
          .doesNotContain("cannot reach");

      redis.command("ACL", "SETUSER", "default", "+publish");
      channel.publish(signal("west", HealthSignal.Kind.RECOVERED, Duration.ZERO));
      await("published", Duration.ofSeconds(10), () -> channel.published() == 1);
      assertThat(log.warnings()).hasSize(1);
      assertThat(log.lines()).anySatisfy(line -> assertThat(line).contains("reach", "again"));
    }
  }

  @Test
  void aSignalCrossesFromOneInstanceToAnotherInMillisecondsOverLoopback() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection linkA = connect(redis);
        RedisConnection linkB = connect(redis);
        RedisBackendHealthChannel a = new RedisBackendHealthChannel(linkA);
        RedisBackendHealthChannel b = new RedisBackendHealthChannel(linkB)) {
      java.util.concurrent.BlockingQueue<Long> arrivals =
          new java.util.concurrent.LinkedBlockingQueue<>();
      a.subscribe(s -> {});
      b.subscribe(s -> arrivals.add(System.nanoTime()));
      await("both subscribed", Duration.ofSeconds(10), () -> a.isSubscribed() && b.isSubscribed());

      List<Long> latencies = new java.util.ArrayList<>();
      for (int i = 0; i < 300; i++) {
        long sent = System.nanoTime();
        a.publish(signal("east", HealthSignal.Kind.COOL_DOWN, Duration.ofSeconds(1)));
        Long arrived = arrivals.poll(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(arrived).as("signal %s arrived", i).isNotNull();
        if (i >= 100) { // the first hundred warm the path up
          latencies.add(arrived - sent);
        }
      }

      java.util.Collections.sort(latencies);
      System.out.printf(
          "publish to delivery over Redis, 200 signals: p50 %.3f ms, p99 %.3f ms%n",
          latencies.get(100) / 1e6, latencies.get(198) / 1e6);
      assertThat(Duration.ofNanos(latencies.get(198))).isLessThan(Duration.ofSeconds(1));
    }
  }

  @Test
  void aChannelMadeWhileRedisIsDownSubscribesOnceItIsUpAndLogsTheOutageOnce() throws Exception {
    try (RedisServer redis = RedisServer.start()) {
      redis.stop();
      CapturingLogger log = new CapturingLogger("health");
      try (RedisConnection link = connect(redis);
          RedisBackendHealthChannel channel = new RedisBackendHealthChannel(link, log)) {
        List<HealthSignal> got = new CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        channel.subscribe(got::add);
        for (int i = 0; i < 5; i++) {
          channel.publish(signal("east", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(5)));
        }
        // Publishing only queues a signal for the channel's thread; a send on the caller's thread
        // could wait for the connection up to the 1 s command timeout. The bound leaves a loaded
        // machine room for the calls' own work.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(900));
        await("publishes failed", Duration.ofSeconds(10), () -> channel.publishFailures() == 5);
        Thread.sleep(2_500); // two more subscription attempts fail meanwhile

        assertThat(channel.isSubscribed()).isFalse();
        assertThat(log.warnings()).hasSize(2);
        assertThat(log.warnings())
            .anySatisfy(line -> assertThat(line).contains("cannot subscribe", "127.0.0.1"))
            .anySatisfy(line -> assertThat(line).contains("cannot reach", "own view"));

        redis.restart();
        await("subscribed", Duration.ofSeconds(10), channel::isSubscribed);
        channel.publish(signal("west", HealthSignal.Kind.RECOVERED, Duration.ZERO));
        await("delivered", Duration.ofSeconds(5), () -> got.size() == 1);

        assertThat(got.get(0).backendId()).isEqualTo("west");
        assertThat(log.warnings()).hasSize(2);
        assertThat(log.lines())
            .anySatisfy(line -> assertThat(line).contains("subscribed to backend health", "again"))
            .anySatisfy(line -> assertThat(line).contains("reach", "again"));
      }
    }
  }

  @Test
  void afterRedisIsKilledAndRestartedLettuceResubscribesAndSignalsFlowAgain() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection linkA = connect(redis);
        RedisConnection linkB = connect(redis);
        RedisBackendHealthChannel a = new RedisBackendHealthChannel(linkA);
        RedisBackendHealthChannel b = new RedisBackendHealthChannel(linkB)) {
      List<HealthSignal> atB = new CopyOnWriteArrayList<>();
      a.subscribe(s -> {});
      b.subscribe(atB::add);
      await("both subscribed", Duration.ofSeconds(10), () -> a.isSubscribed() && b.isSubscribed());

      redis.kill();
      a.publish(signal("east", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(5)));
      await("lost while down", Duration.ofSeconds(5), () -> a.publishFailures() == 1);
      redis.restart();
      await(
          "re-subscribed on the server",
          Duration.ofSeconds(30),
          Duration.ofMillis(200),
          () -> serverSubscribers(redis, b.channel()) == 2);
      a.publish(signal("west", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(5)));
      await("delivered after the restart", Duration.ofSeconds(5), () -> atB.size() == 1);

      assertThat(atB).extracting(HealthSignal::backendId).containsExactly("west");
    }
  }

  @Test
  void aClosedChannelDropsWhatIsPublishedAndRefusesNewSubscribers() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection link = connect(redis)) {
      RedisBackendHealthChannel channel = new RedisBackendHealthChannel(link);
      channel.subscribe(s -> {});
      await("subscribed", Duration.ofSeconds(10), channel::isSubscribed);
      channel.close();
      channel.close();

      channel.publish(signal("east", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(5)));

      assertThat(channel.dropped()).isEqualTo(1);
      assertThat(channel.isSubscribed()).isFalse();
      assertThat(serverSubscribers(redis, channel.channel())).isZero();
      assertThatThrownBy(() -> channel.subscribe(s -> {}))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
      assertThat(channel.toString()).contains("127.0.0.1", "app:backend-health");
    }
  }
}
