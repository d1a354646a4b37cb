package dev.aigateway.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.spi.BackendHealthChannel;
import dev.aigateway.api.spi.HealthSignal;
import dev.aigateway.testing.CapturingLogger;
import dev.aigateway.testing.ManualClock;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Two routers (two gateway instances) over one pool, sharing health through an in-memory channel
 * whose deliveries the test runs by hand: no threads, no sleeping.
 */
class SharedHealthTest {

  /** Queues deliveries until {@link #runAll()}. */
  private static final class QueuedExecutor implements Executor {
    final Queue<Runnable> tasks = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable task) {
      tasks.add(task);
    }

    synchronized int runAll() {
      int n = 0;
      Runnable task;
      while ((task = tasks.poll()) != null) {
        task.run();
        n++;
      }
      return n;
    }
  }

  /** Records what is published, then passes it on. */
  private static final class RecordingChannel implements BackendHealthChannel {
    final BackendHealthChannel inner;
    final List<HealthSignal> published = new CopyOnWriteArrayList<>();

    RecordingChannel(BackendHealthChannel inner) {
      this.inner = inner;
    }

    @Override
    public void publish(HealthSignal signal) {
      published.add(signal);
      inner.publish(signal);
    }

    @Override
    public Subscription subscribe(Consumer<HealthSignal> receiver) {
      return inner.subscribe(receiver);
    }
  }

  private final QueuedExecutor deliveries = new QueuedExecutor();
  // The channel measures a signal's wait on a clock of its own, which stands still unless a test
  // moves it: a delivery run by hand passes the signal on with the time it was sent with.
  private final ManualClock channelClock = ManualClock.at("2026-06-01T10:00:00Z");
  private final InMemoryBackendHealthChannel inMemory =
      new InMemoryBackendHealthChannel(deliveries, channelClock);
  private final RecordingChannel channel = new RecordingChannel(inMemory);
  private final ManualClock clockA = ManualClock.at("2026-06-01T10:00:00Z");
  // Instance B's clock is an hour off: received signals count from their remaining time.
  private final ManualClock clockB = ManualClock.at("2026-06-01T11:00:00Z");
  private final List<BreakerTransition> transitionsA = new CopyOnWriteArrayList<>();
  private final List<BreakerTransition> transitionsB = new CopyOnWriteArrayList<>();

  private BackendPool pool(String name, CircuitBreakerPolicy policy) {
    return BackendPool.builder()
        .name(name)
        .backend(Backend.openAi("east", "https://east.example.com"))
        .backend(Backend.openAi("west", "https://west.example.com"))
        .circuitBreaker(policy)
        .sharedHealth(channel)
        .build();
  }

  private static CircuitBreakerPolicy oneFailureTrips() {
    return CircuitBreakerPolicy.builder()
        .failureCount(1, Duration.ofSeconds(10))
        .tripDuration(Duration.ofSeconds(20))
        .maxTripDuration(Duration.ofMinutes(1))
        .build();
  }

  private Router routerA(BackendPool pool) {
    return new Router(pool, clockA, transitionsA::add);
  }

  private Router routerB(BackendPool pool) {
    return new Router(pool, clockB, transitionsB::add);
  }

  private static BackendState state(Router router, String id) {
    return router.backends().stream().filter(b -> b.id().equals(id)).findFirst().orElseThrow();
  }

  /** The backends of {@code calls} successful calls in a row. */
  private static List<String> route(Router router, int calls) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      Selection picked = router.select("gpt-4o", List.of(), null, 0, false);
      if (picked == null) {
        ids.add("none");
        continue;
      }
      ids.add(picked.backend().id());
      picked.backend().breaker().onSuccess(picked.permit());
    }
    return ids;
  }

  /** One call to {@code id} on {@code router} that fails with a retry-after. */
  private static void fail(Router router, String id, Duration retryAfter) {
    BackendState backend = state(router, id);
    backend.breaker().onFailure(backend.breaker().tryAcquire(), retryAfter);
  }

  private HealthSignal foreign(String pool, String backend, HealthSignal.Kind kind, Duration left) {
    return new HealthSignal(pool, backend, kind, Instant.EPOCH, left, "gw-elsewhere");
  }

  @Test
  void aCoolDownOnOneInstanceKeepsTheOtherOffTheBackendForItsRemainingTimeOnItsOwnClock() {
    BackendPool pool = pool("chat", oneFailureTrips());
    Router a = routerA(pool);
    Router b = routerB(pool);

    a.coolDown(state(a, "east"), Duration.ofSeconds(30));
    assertThat(deliveries.runAll()).isEqualTo(1);

    assertThat(route(b, 4)).containsOnly("west");
    clockB.advance(Duration.ofMillis(29_999));
    assertThat(route(b, 2)).containsOnly("west");
    clockB.advance(Duration.ofMillis(1));
    assertThat(route(b, 4)).containsExactly("east", "west", "east", "west");
    assertThat(channel.published)
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.kind()).isEqualTo(HealthSignal.Kind.COOL_DOWN);
              assertThat(s.pool()).isEqualTo("chat");
              assertThat(s.backendId()).isEqualTo("east");
              assertThat(s.remaining()).isEqualTo(Duration.ofSeconds(30));
              assertThat(s.until()).isEqualTo(Instant.parse("2026-06-01T10:00:30Z"));
              assertThat(s.origin()).isEqualTo(a.healthOrigin());
            });
  }

  @Test
  void aTripOnOneInstanceOpensTheOtherBreakerAsARemoteTransitionThatEndsInAProbe() {
    BackendPool pool = pool("chat", oneFailureTrips());
    Router a = routerA(pool);
    Router b = routerB(pool);

    fail(a, "east", Duration.ofSeconds(20));
    deliveries.runAll();

    assertThat(transitionsB)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.from()).isEqualTo(BreakerState.CLOSED);
              assertThat(t.to()).isEqualTo(BreakerState.OPEN);
              assertThat(t.openFor()).isEqualTo(Duration.ofSeconds(20));
              assertThat(t.origin()).isEqualTo(a.healthOrigin());
              assertThat(t.reason()).contains(a.healthOrigin());
              assertThat(t.at()).isEqualTo(clockB.instant());
            });
    assertThat(route(b, 3)).containsOnly("west");

    clockB.advance(Duration.ofSeconds(20));
    assertThat(route(b, 2))
        .containsExactlyInAnyOrder("east", "west"); // east: a probe, which succeeds
    assertThat(transitionsB)
        .extracting(BreakerTransition::from, BreakerTransition::to, BreakerTransition::remote)
        .containsExactly(
            tuple(BreakerState.CLOSED, BreakerState.OPEN, true),
            tuple(BreakerState.OPEN, BreakerState.HALF_OPEN, false),
            tuple(BreakerState.HALF_OPEN, BreakerState.CLOSED, false));
    assertThat(channel.published)
        .extracting(HealthSignal::kind, HealthSignal::origin)
        .containsExactly(
            tuple(HealthSignal.Kind.TRIPPED, a.healthOrigin()),
            tuple(HealthSignal.Kind.RECOVERED, b.healthOrigin()));

    // A, still open for 20 s on its own clock, hears of B's successful probe: its next call probes.
    assertThat(route(a, 1)).containsExactly("west");
    deliveries.runAll();
    assertThat(route(a, 2)).containsExactlyInAnyOrder("east", "west");
    assertThat(state(a, "east").breaker().state()).isEqualTo(BreakerState.CLOSED);
  }

  @Test
  void aReceivedSignalNeverOutlastsTheReceiversMaxTripDurationAndAlwaysEnds() {
    Router b = routerB(pool("chat", oneFailureTrips())); // max trip 1 minute

    channel.publish(foreign("chat", "east", HealthSignal.Kind.TRIPPED, Duration.ofDays(3650)));
    channel.publish(foreign("chat", "west", HealthSignal.Kind.COOL_DOWN, Duration.ofHours(10)));
    deliveries.runAll();

    assertThat(route(b, 1)).containsExactly("none");
    assertThat(transitionsB)
        .singleElement()
        .extracting(BreakerTransition::openFor)
        .isEqualTo(Duration.ofMinutes(1));
    clockB.advance(Duration.ofMinutes(1));
    assertThat(route(b, 4)).containsExactly("east", "west", "east", "west");
  }

  @Test
  void signalsOfAnotherPoolAnUnknownBackendOrTheInstanceItselfAreIgnored() {
    Router b = routerB(pool("chat", oneFailureTrips()));

    channel.publish(
        foreign("embeddings", "east", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(9)));
    channel.publish(foreign("chat", "north", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(9)));
    channel.publish(
        new HealthSignal(
            "chat",
            "east",
            HealthSignal.Kind.COOL_DOWN,
            Instant.EPOCH,
            Duration.ofSeconds(9),
            b.healthOrigin()));
    channel.publish(foreign("chat", "west", HealthSignal.Kind.TRIPPED, Duration.ZERO));
    channel.publish(foreign("chat", "west", HealthSignal.Kind.RECOVERED, Duration.ZERO));
    deliveries.runAll();

    assertThat(route(b, 4)).containsExactly("east", "west", "east", "west");
    assertThat(transitionsB).isEmpty();
  }

  @Test
  void whatAnInstanceReceivesItNeverPublishes() {
    BackendPool pool = pool("chat", oneFailureTrips());
    Router a = routerA(pool);
    routerB(pool);
    Router c = new Router(pool, clockB, t -> {});

    fail(a, "east", Duration.ofSeconds(20));
    a.coolDown(state(a, "west"), Duration.ofSeconds(5));
    assertThat(deliveries.runAll()).isEqualTo(2);

    assertThat(channel.published)
        .extracting(HealthSignal::kind, HealthSignal::origin)
        .containsExactly(
            tuple(HealthSignal.Kind.TRIPPED, a.healthOrigin()),
            tuple(HealthSignal.Kind.COOL_DOWN, a.healthOrigin()));
    assertThat(deliveries.runAll()).isZero();
    assertThat(state(c, "east").breaker().state()).isEqualTo(BreakerState.OPEN);
    assertThat(transitionsA).extracting(BreakerTransition::remote).containsOnly(false);
  }

  @Test
  void aZeroCoolDownIsNoCoolDownAndHidesNoShortOneAfterIt() {
    BackendPool pool = pool("chat", oneFailureTrips());
    Router a = routerA(pool);

    a.coolDown(state(a, "east"), Duration.ZERO); // a 429 or 503 with Retry-After: 0
    clockA.advance(Duration.ofMillis(100));
    a.coolDown(state(a, "east"), Duration.ofMillis(800)); // then retry-after-ms: 800

    assertThat(channel.published)
        .extracting(HealthSignal::kind, HealthSignal::remaining)
        .containsExactly(tuple(HealthSignal.Kind.COOL_DOWN, Duration.ofMillis(800)));
  }

  @Test
  void aBurstOfCoolDownsIsAnnouncedOnceUntilOneEndsMoreThanASecondLater() {
    BackendPool pool = pool("chat", oneFailureTrips());
    Router a = routerA(pool);
    Router b = routerB(pool);

    for (int i = 0; i < 10; i++) {
      a.coolDown(state(a, "east"), Duration.ofSeconds(30));
      clockA.advance(Duration.ofMillis(100));
    }
    a.coolDown(state(a, "east"), Duration.ofSeconds(32));
    // B hears of a cool-down it would only repeat: it does not announce its own.
    deliveries.runAll();
    b.coolDown(state(b, "east"), Duration.ofSeconds(30));

    assertThat(channel.published)
        .extracting(HealthSignal::origin, HealthSignal::remaining)
        .containsExactly(
            tuple(a.healthOrigin(), Duration.ofSeconds(30)),
            tuple(a.healthOrigin(), Duration.ofSeconds(32)));
  }

  @Test
  void aReceivedTripReopensAHalfOpenBreakerAndItsProbesVerdictNoLongerCounts() {
    BackendPool pool = pool("chat", oneFailureTrips());
    Router b = routerB(pool);
    fail(b, "east", Duration.ofSeconds(1));
    clockB.advance(Duration.ofSeconds(1));
    BackendState east = state(b, "east");
    long probe = east.breaker().tryAcquire();
    assertThat(east.breaker().state()).isEqualTo(BreakerState.HALF_OPEN);

    channel.publish(foreign("chat", "east", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(15)));
    deliveries.runAll();
    east.breaker().onSuccess(probe);

    assertThat(east.breaker().state()).isEqualTo(BreakerState.OPEN);
    assertThat(transitionsB.get(transitionsB.size() - 1))
        .extracting(BreakerTransition::from, BreakerTransition::to, BreakerTransition::origin)
        .containsExactly(BreakerState.HALF_OPEN, BreakerState.OPEN, "gw-elsewhere");
    clockB.advance(Duration.ofSeconds(15));
    assertThat(route(b, 2)).containsExactly("east", "west");
  }

  @Test
  void anOpenBreakerIsKeptOpenForTheLongerOfItsOwnTripAndTheSignalsWithoutANewTransition() {
    Router b = routerB(pool("chat", oneFailureTrips()));
    fail(b, "east", Duration.ofSeconds(5));
    int before = transitionsB.size();

    channel.publish(foreign("chat", "east", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(12)));
    channel.publish(foreign("chat", "east", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(2)));
    deliveries.runAll();

    assertThat(transitionsB).hasSize(before);
    clockB.advance(Duration.ofSeconds(11));
    assertThat(route(b, 2)).containsOnly("west");
    clockB.advance(Duration.ofSeconds(1));
    assertThat(route(b, 2)).containsExactly("east", "west");
  }

  @Test
  void aChannelThatThrowsOnPublishNeverFailsTheCallAndIsLoggedOncePerOutage() {
    BackendHealthChannel broken =
        new BackendHealthChannel() {
          boolean failing = true;

          @Override
          public void publish(HealthSignal signal) {
            if (failing) {
              throw new IllegalStateException("down; password=hunter2");
            }
            failing = true;
          }

          @Override
          public Subscription subscribe(Consumer<HealthSignal> receiver) {
            return () -> {};
          }

          @Override
          public String toString() {
            return "broken-channel";
          }
        };
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.openAi("east", "https://east.example.com"))
            .sharedHealth(broken)
            .build();
    CapturingLogger log = new CapturingLogger("health");
    SharedHealth health = new SharedHealth(broken, pool, clockA, log);
    Router router = new Router(pool, clockA, t -> {});
    health.start(router.backends());

    for (int i = 0; i < 5; i++) {
      health.cooledDown(state(router, "east"), clockA.millis(), Duration.ofSeconds(10));
      clockA.advance(Duration.ofSeconds(20));
    }

    assertThat(log.warnings())
        .singleElement()
        .satisfies(
            line ->
                assertThat(line)
                    .contains("broken-channel", "'default'", "IllegalStateException")
                    .doesNotContain("hunter2"));
  }

  @Test
  void aDiscardedGatewaysSubscriptionEndsWithTheNextSignal() throws Exception {
    BackendPool pool = pool("chat", oneFailureTrips());
    Router kept = routerA(pool);
    WeakReference<Router> dropped = new WeakReference<>(routerB(pool));
    assertThat(inMemory.subscribers()).isEqualTo(2);

    for (int i = 0; i < 50 && dropped.get() != null; i++) {
      System.gc();
      Thread.sleep(10);
    }
    assertThat(dropped.get()).as("the discarded router was collected").isNull();
    kept.coolDown(state(kept, "east"), Duration.ofSeconds(5));
    deliveries.runAll();

    assertThat(inMemory.subscribers()).isEqualTo(1);
  }

  @Test
  void theInMemoryChannelDeliversInOrderToEverySubscriberOffThePublishingThread() throws Exception {
    InMemoryBackendHealthChannel threaded = new InMemoryBackendHealthChannel();
    List<String> first = new CopyOnWriteArrayList<>();
    List<Thread> threads = new CopyOnWriteArrayList<>();
    List<String> second = new CopyOnWriteArrayList<>();
    threaded.subscribe(
        s -> {
          first.add(s.backendId());
          threads.add(Thread.currentThread());
        });
    BackendHealthChannel.Subscription closed = threaded.subscribe(s -> second.add(s.backendId()));
    closed.close();
    closed.close();
    threaded.subscribe(
        s -> {
          throw new IllegalStateException("a failing receiver does not stop the others");
        });

    for (int i = 0; i < 100; i++) {
      threaded.publish(foreign("chat", "b" + i, HealthSignal.Kind.COOL_DOWN, Duration.ZERO));
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (first.size() < 100 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }

    assertThat(first).hasSize(100).startsWith("b0", "b1", "b2").endsWith("b98", "b99");
    assertThat(threads).doesNotContain(Thread.currentThread());
    assertThat(second).isEmpty();
    assertThat(threaded.subscribers()).isEqualTo(2);
    assertThat(threaded.dropped()).isZero();
  }

  @Test
  void aSignalThatWaitedInTheInMemoryChannelIsPassedOnAgedByItsWait() {
    List<HealthSignal> received = new CopyOnWriteArrayList<>();
    inMemory.subscribe(received::add);
    Router b = routerB(pool("chat", oneFailureTrips()));

    channel.publish(foreign("chat", "east", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(20)));
    channel.publish(foreign("chat", "west", HealthSignal.Kind.COOL_DOWN, Duration.ofSeconds(5)));
    channel.publish(foreign("chat", "west", HealthSignal.Kind.RECOVERED, Duration.ZERO));
    channelClock.advance(Duration.ofSeconds(8)); // the signals wait behind a slow receiver
    assertThat(deliveries.runAll()).isEqualTo(3);

    assertThat(received)
        .extracting(HealthSignal::backendId, HealthSignal::kind, HealthSignal::remaining)
        .containsExactly(
            tuple("east", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(12)),
            tuple("west", HealthSignal.Kind.COOL_DOWN, Duration.ZERO),
            tuple("west", HealthSignal.Kind.RECOVERED, Duration.ZERO));
    assertThat(transitionsB)
        .singleElement()
        .extracting(BreakerTransition::openFor)
        .isEqualTo(Duration.ofSeconds(12));
    assertThat(route(b, 2)).containsExactly("west", "west"); // the cool-down ran out while queued
    clockB.advance(Duration.ofSeconds(12));
    assertThat(route(b, 2)).containsExactlyInAnyOrder("east", "west"); // east: a probe
  }

  @Test
  void theInMemoryChannelCountsSignalsItsExecutorRefuses() {
    InMemoryBackendHealthChannel refusing =
        new InMemoryBackendHealthChannel(
            task -> {
              throw new java.util.concurrent.RejectedExecutionException("full");
            });
    refusing.subscribe(s -> {});

    refusing.publish(foreign("chat", "east", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(1)));
    refusing.publish(foreign("chat", "east", HealthSignal.Kind.TRIPPED, Duration.ofSeconds(1)));

    assertThat(refusing.dropped()).isEqualTo(2);
  }

  @Test
  void aPoolNeedsANonBlankNameAndOneChannel() {
    BackendPool.Builder builder = BackendPool.builder();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> builder.name(" "))
        .hasMessageContaining("must not be blank but was ' '");
    builder.sharedHealth(channel);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> builder.sharedHealth(inMemory))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already set");
    assertThat(builder.backend(Backend.openAi("east", "https://east.example.com")).build().name())
        .isEqualTo(BackendPool.DEFAULT_NAME);
  }
}
