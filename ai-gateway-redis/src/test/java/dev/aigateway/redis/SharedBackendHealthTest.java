package dev.aigateway.redis;

import static dev.aigateway.redis.RedisBackendHealthChannelTest.await;
import static dev.aigateway.redis.RedisBackendHealthChannelTest.connect;
import static dev.aigateway.redis.RedisBackendHealthChannelTest.serverSubscribers;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.spi.BackendHealthChannel;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.CircuitBreakerPolicy;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two gateway instances, each with its own OkHttp client, Redis link and view of one pool of two
 * backends (MockWebServers), share backend health through a real redis-server.
 */
class SharedBackendHealthTest {

  private static final MediaType JSON = MediaType.get("application/json");
  private static final String CHAT =
      "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
  private static final String ANSWER =
      "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":\"stop\"}],"
          + "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":1,\"total_tokens\":9}}";

  /** A backend that answers 200, or once, to instance A, what the test arms it with. */
  private static final class ScriptedBackend extends Dispatcher {
    final MockWebServer server = new MockWebServer();
    final String name;
    volatile MockResponse armedForA;
    final AtomicLong armedSentAt = new AtomicLong();

    ScriptedBackend(String name) throws IOException {
      this.name = name;
      server.setDispatcher(this);
      server.setServerSocketFactory(new NoDelayServerSockets());
      server.start();
    }

    void arm(int status, String... headers) {
      MockResponse.Builder response =
          new MockResponse.Builder().code(status).body("{\"error\":{\"message\":\"busy\"}}");
      for (int i = 0; i < headers.length; i += 2) {
        response.addHeader(headers[i], headers[i + 1]);
      }
      armedForA = response.build();
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      MockResponse armed = armedForA;
      if (armed != null && "A".equals(request.getHeaders().get("x-instance"))) {
        armedForA = null;
        armedSentAt.set(System.nanoTime());
        return armed;
      }
      return new MockResponse.Builder()
          .code(200)
          .addHeader("Content-Type", "application/json")
          .addHeader("X-Served-By", name)
          .body(ANSWER)
          .build();
    }
  }

  /** One instance: its Redis link and channel (made once) and its gateway (made per round). */
  private static final class Instance {
    final String name;
    final RedisConnection link;
    final RedisBackendHealthChannel health;
    // This round's gateway's; the gateways of earlier rounds keep their own lists.
    volatile List<BreakerTransition> transitions = new CopyOnWriteArrayList<>();
    volatile List<Long> transitionNanos = new CopyOnWriteArrayList<>();
    OkHttpClient client;

    Instance(String name, RedisServer redis) {
      this(name, connect(redis));
    }

    Instance(String name, RedisConnection link) {
      this.name = name;
      this.link = link;
      this.health = new RedisBackendHealthChannel(link);
    }

    void gateway(BackendPool.Builder pool) {
      List<BreakerTransition> seen = new CopyOnWriteArrayList<>();
      List<Long> seenAt = new CopyOnWriteArrayList<>();
      transitions = seen;
      transitionNanos = seenAt;
      GatewayListener listener =
          new GatewayListener() {
            @Override
            public void onEvent(GatewayEvent event) {}

            @Override
            public void onBreakerTransition(BreakerTransition transition) {
              seenAt.add(System.nanoTime());
              seen.add(transition);
            }
          };
      AiGateway gateway =
          AiGateway.builder()
              .backendPool(pool.sharedHealth(health).build())
              .listener(listener)
              .build();
      client = OkHttpAiGateway.wrap(SHARED_CLIENT, gateway);
    }

    /** One chat call; the backend that answered 200, else "status N". */
    String call() throws IOException {
      Request request =
          new Request.Builder()
              .url("http://app.invalid/v1/chat/completions")
              .header("x-instance", name)
              .post(RequestBody.create(CHAT, JSON))
              .build();
      try (Response response = client.newCall(request).execute()) {
        response.body().string();
        return response.code() == 200
            ? response.header("X-Served-By")
            : "status " + response.code();
      }
    }

    void close() {
      health.close();
      link.close();
    }
  }

  private static final OkHttpClient SHARED_CLIENT = new OkHttpClient();

  /**
   * Server sockets that send at once (TCP_NODELAY): MockWebServer writes a response in several
   * small writes, and with Nagle's algorithm each call would wait some 40 ms for the client's
   * delayed acknowledgement, which would hide the propagation time being measured.
   */
  private static final class NoDelayServerSockets extends javax.net.ServerSocketFactory {
    @Override
    public java.net.ServerSocket createServerSocket() throws IOException {
      return new java.net.ServerSocket() {
        @Override
        public java.net.Socket accept() throws IOException {
          java.net.Socket socket = super.accept();
          socket.setTcpNoDelay(true);
          return socket;
        }
      };
    }

    @Override
    public java.net.ServerSocket createServerSocket(int port) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.net.ServerSocket createServerSocket(int port, int backlog) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.net.ServerSocket createServerSocket(
        int port, int backlog, java.net.InetAddress address) {
      throw new UnsupportedOperationException();
    }
  }

  private RedisServer redis;
  private ScriptedBackend east;
  private ScriptedBackend west;
  private Instance a;
  private Instance b;

  @BeforeEach
  void setUp() throws Exception {
    redis = RedisServer.start();
    east = new ScriptedBackend("east");
    west = new ScriptedBackend("west");
    a = new Instance("A", redis);
    b = new Instance("B", redis);
  }

  @AfterEach
  void tearDown() {
    a.close();
    b.close();
    east.server.close();
    west.server.close();
    redis.close();
  }

  private BackendPool.Builder pool(CircuitBreakerPolicy policy) {
    return BackendPool.builder()
        .name("chat")
        .backend(Backend.openAiCompatible("east", east.server.url("/").toString()))
        .backend(Backend.openAiCompatible("west", west.server.url("/").toString()))
        .circuitBreaker(policy);
  }

  private void gateways(CircuitBreakerPolicy policy) throws InterruptedException {
    a.gateway(pool(policy));
    b.gateway(pool(policy));
    await(
        "both instances subscribed",
        Duration.ofSeconds(10),
        () -> a.health.isSubscribed() && b.health.isSubscribed());
  }

  /** Calls instance B in a loop on its own thread, recording when each call began and where. */
  private static final class Caller implements AutoCloseable {
    final List<Long> starts = new ArrayList<>();
    final List<String> servedBy = new ArrayList<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final Thread thread;

    Caller(Instance instance) {
      thread =
          new Thread(
              () -> {
                while (!stop.get()) {
                  long start = System.nanoTime();
                  String to;
                  try {
                    to = instance.call();
                  } catch (IOException e) {
                    to = "failed " + e;
                  }
                  synchronized (Caller.this) {
                    starts.add(start);
                    servedBy.add(to);
                  }
                }
              },
              "caller-" + instance.name);
      thread.start();
    }

    synchronized int calls() {
      return servedBy.size();
    }

    /** Calls begun after {@code nanos}, in order. */
    synchronized List<String> after(long nanos) {
      List<String> to = new ArrayList<>();
      for (int i = 0; i < starts.size(); i++) {
        if (starts.get(i) > nanos) {
          to.add(servedBy.get(i));
        }
      }
      return to;
    }

    /**
     * An upper bound of when the caller stopped using {@code backend} after {@code t0}: the start
     * of the first call after its last call to that backend.
     */
    synchronized long stoppedUsing(String backend, long t0) {
      long bound = Long.MAX_VALUE;
      for (int i = starts.size() - 1; i >= 0 && starts.get(i) > t0; i--) {
        if (servedBy.get(i).equals(backend)) {
          break;
        }
        bound = starts.get(i);
      }
      return bound - t0;
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join(10_000);
    }
  }

  @Test
  void a429WithRetryAfterOnOneInstanceTurnsTheOtherAwayFromThatBackendWithinASecond()
      throws Exception {
    List<Long> latencies = new ArrayList<>();
    List<Long> arrivals = new ArrayList<>();
    for (int round = 0; round < 20; round++) {
      gateways(CircuitBreakerPolicy.defaults());
      // Subscribed after B's gateway, so it hears the signal just after B's router applied it.
      AtomicLong arrived = new AtomicLong();
      BackendHealthChannel.Subscription probe =
          b.health.subscribe(s -> arrived.compareAndSet(0, System.nanoTime()));
      try (probe;
          Caller caller = new Caller(b)) {
        await("B warmed up", Duration.ofSeconds(10), () -> caller.calls() >= 10);
        east.arm(429, "Retry-After", "30");

        assertThat(a.call()).isEqualTo("west"); // A fails over at once
        long t0 = east.armedSentAt.get();
        // B's latency is measured below (stoppedUsing); this wait only has to see it happen, so
        // it is generous: 30 calls after the signal take seconds on a loaded machine
        await(
            "B calls only west",
            Duration.ofSeconds(30),
            () -> {
              List<String> after = caller.after(t0);
              return after.size() >= 30
                  && after.subList(after.size() - 30, after.size()).stream()
                      .allMatch("west"::equals);
            });
        latencies.add(caller.stoppedUsing("east", t0));
        arrivals.add(arrived.get() - t0);
        assertThat(caller.after(t0)).doesNotContain("status 429").allMatch(s -> !s.startsWith("f"));
      }
    }

    Collections.sort(latencies);
    Collections.sort(arrivals);
    long p50 = latencies.get(latencies.size() / 2);
    long max = latencies.get(latencies.size() - 1);
    System.out.printf(
        "cool-down over Redis, 20 rounds, from east's 429 to B's routing around east:"
            + " p50 %.2f ms, max %.2f ms; to the signal applied at B: p50 %.2f ms, max %.2f ms%n",
        p50 / 1e6,
        max / 1e6,
        arrivals.get(arrivals.size() / 2) / 1e6,
        arrivals.get(arrivals.size() - 1) / 1e6);
    // Every round but the slowest within a second (one round may meet a loaded machine's stall of
    // a thread; it is still bounded by the round's 5 s wait).
    assertThat(Duration.ofNanos(latencies.get(latencies.size() - 2)))
        .isLessThanOrEqualTo(Duration.ofSeconds(1));
    assertThat(arrivals.get(0)).isPositive();
    // The 429 came from east for A only: B reached east until the signal came, never after.
    assertThat(east.server.getRequestCount()).isGreaterThan(20);
  }

  @Test
  void aBreakerTripOnOneInstanceOpensTheOthersAsARemoteTransitionWithoutAnEcho() throws Exception {
    List<String> onTheWire = new CopyOnWriteArrayList<>();
    RedisClient spyClient = RedisClient.create(redis.uri());
    List<Long> latencies = new ArrayList<>();
    try (StatefulRedisPubSubConnection<String, String> spy = spyClient.connectPubSub()) {
      spy.addListener(
          new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
              onTheWire.add(message);
            }
          });
      spy.sync().subscribe(a.health.channel());
      for (int round = 0; round < 10; round++) {
        gateways(CircuitBreakerPolicy.builder().failureCount(1, Duration.ofSeconds(10)).build());
        onTheWire.clear();
        long receivedByA = a.health.received();
        east.arm(500);

        assertThat(a.call()).isEqualTo("west");
        long t0 = east.armedSentAt.get();
        await("B's breaker opened", Duration.ofSeconds(10), () -> !b.transitions.isEmpty());
        latencies.add(b.transitionNanos.get(0) - t0);
        // A and the spy hear the trip on connections of their own, which may lag B's
        await(
            "A and the spy heard the trip",
            Duration.ofSeconds(10),
            () -> a.health.received() > receivedByA && !onTheWire.isEmpty());
        Thread.sleep(100); // room for any echo to show

        assertThat(b.transitions)
            .singleElement()
            .satisfies(
                t -> {
                  assertThat(t.backendId()).isEqualTo("east");
                  assertThat(t.to()).isEqualTo(BreakerState.OPEN);
                  // the trip's 30 s, less the moment it spent on its way
                  assertThat(t.openFor())
                      .isLessThanOrEqualTo(CircuitBreakerPolicy.DEFAULT_TRIP_DURATION)
                      .isGreaterThan(Duration.ofSeconds(29));
                  assertThat(t.remote()).isTrue();
                  assertThat(t.origin()).startsWith("gw-");
                });
        assertThat(a.transitions).extracting(BreakerTransition::remote).containsExactly(false);
        assertThat(onTheWire)
            .singleElement()
            .satisfies(m -> assertThat(m).contains("\"kind\":\"TRIPPED\"", "\"backend\":\"east\""));
        assertThat(a.health.received() - receivedByA).isEqualTo(1); // its own, ignored
        for (int i = 0; i < 4; i++) {
          assertThat(b.call()).isEqualTo("west");
        }
      }
    } finally {
      spyClient.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
    Collections.sort(latencies);
    System.out.printf(
        "trip over Redis, 10 rounds, from east's 500 to B's listener told: first %.2f ms,"
            + " p50 %.2f ms, max %.2f ms%n",
        latencies.get(0) / 1e6,
        latencies.get(latencies.size() / 2) / 1e6,
        latencies.get(latencies.size() - 1) / 1e6);
    // Every round but the slowest within a second (one round may meet a loaded machine's stall of
    // a thread; it is still bounded by the round's 10 s wait).
    assertThat(Duration.ofNanos(latencies.get(latencies.size() - 2)))
        .isLessThanOrEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void whileRedisIsDownEachInstanceKeepsItsOwnViewAndAfterARestartSignalsFlowAgain()
      throws Exception {
    // Links whose commands may wait 10 s: a call that waited for the Redis that is down would take
    // that long, far beyond what a loaded machine adds to a call that does not.
    a.close();
    b.close();
    a = new Instance("A", longWaitLink());
    b = new Instance("B", longWaitLink());
    gateways(CircuitBreakerPolicy.defaults());
    redis.kill();

    east.arm(429, "Retry-After", "30");
    assertThat(a.call()).isEqualTo("west");
    List<String> fromB = new ArrayList<>();
    long slowest = 0;
    for (int i = 0; i < 6; i++) {
      long start = System.nanoTime();
      fromB.add(b.call());
      slowest = Math.max(slowest, System.nanoTime() - start);
    }
    assertThat(fromB).containsExactly("east", "west", "east", "west", "east", "west");
    // No call waits for the Redis that is down (a wait for its connection would be the 10 s
    // command timeout); each call is bounded alone, so a loaded machine's pauses do not add up.
    assertThat(Duration.ofNanos(slowest)).isLessThan(Duration.ofSeconds(5));
    await("A's signal was lost", Duration.ofSeconds(5), () -> a.health.publishFailures() == 1);

    redis.restart();
    await(
        "both re-subscribed",
        Duration.ofSeconds(30),
        Duration.ofMillis(200),
        () -> serverSubscribers(redis, a.health.channel()) == 2);
    west.arm(429, "Retry-After", "30");
    assertThat(a.call()).isEqualTo("status 429"); // east cools down on A, west now too
    await(
        "B turns away from west",
        Duration.ofSeconds(10),
        () -> {
          try {
            return b.call().equals("east") && b.call().equals("east") && b.call().equals("east");
          } catch (IOException e) {
            return false;
          }
        });
  }

  private RedisConnection longWaitLink() {
    return RedisConnection.builder()
        .uri(redis.uri())
        .keyPrefix("app:")
        .commandTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** The longest trip of the breakers in the test of a received trip. */
  private static final Duration MAX_TRIP = Duration.ofSeconds(3);

  @Test
  void malformedMessagesAreIgnoredAndAReceivedTripAlwaysEndsAtItsCappedEnd() throws Exception {
    gateways(
        CircuitBreakerPolicy.builder()
            .maxTripDuration(MAX_TRIP)
            .tripDuration(MAX_TRIP.dividedBy(2))
            .build());
    String channel = b.health.channel();

    redis.command("PUBLISH", channel, "{\"v\":1,\"pool\":\"chat\",\"backend\":\"east\"}");
    redis.command("PUBLISH", channel, "east is down!!");
    await("malformed counted", Duration.ofSeconds(10), () -> b.health.malformed() == 2);
    assertThat(List.of(b.call(), b.call())).containsExactlyInAnyOrder("east", "west");

    // Another instance says east tripped for an hour, and its recovery is never heard of.
    long sent = System.nanoTime();
    redis.command(
        "PUBLISH",
        channel,
        "{\"v\":1,\"pool\":\"chat\",\"backend\":\"east\",\"kind\":\"TRIPPED\","
            + "\"until\":4102444800000,\"remaining\":3600000,\"origin\":\"gw-lost\"}");
    await("B's breaker opened", Duration.ofSeconds(10), () -> !b.transitions.isEmpty());
    assertThat(b.transitions.get(0).openFor()).isEqualTo(MAX_TRIP);
    // made within the capped trip (a loaded machine has most of it for the three calls)
    assertThat(List.of(b.call(), b.call(), b.call())).containsOnly("west");

    await(
        "east is back",
        MAX_TRIP.multipliedBy(5),
        () -> {
          try {
            return b.call().equals("east");
          } catch (IOException e) {
            return false;
          }
        });
    long back = System.nanoTime() - sent;
    assertThat(Duration.ofNanos(back)).isGreaterThanOrEqualTo(MAX_TRIP);
    assertThat(b.transitions)
        .extracting(BreakerTransition::to, BreakerTransition::remote)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(BreakerState.OPEN, true),
            org.assertj.core.groups.Tuple.tuple(BreakerState.HALF_OPEN, false),
            org.assertj.core.groups.Tuple.tuple(BreakerState.CLOSED, false));
  }
}
