package dev.aigateway.core.limit;

import static dev.aigateway.core.adapter.ScriptedSender.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.StoreState;
import dev.aigateway.api.StoreTransition;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.adapter.AttemptLoop;
import dev.aigateway.core.adapter.GovernedCall;
import dev.aigateway.core.adapter.PostedRequest;
import dev.aigateway.core.adapter.ScriptedSender;
import dev.aigateway.core.limit.FaultyStore.Mode;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.testing.CapturingLogger;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The store breaker: it stops asking a failing store, probes it, and says so once per change. */
class StoreBreakerTest {

  private static final String CHAT =
      "{\"model\":\"gpt-4o\",\"max_tokens\":100,\"messages\":"
          + "[{\"role\":\"user\",\"content\":\"Hi\"}]}";
  private static final String ANSWER =
      "{\"model\":\"gpt-4o\",\"choices\":[],\"usage\":"
          + "{\"prompt_tokens\":8,\"completion_tokens\":1,\"total_tokens\":9}}";

  /** An answer whose usage is exactly what {@link #CHAT} reserves: settling refunds nothing. */
  private static final String ANSWER_AS_RESERVED =
      "{\"model\":\"gpt-4o\",\"choices\":[],\"usage\":"
          + "{\"prompt_tokens\":8,\"completion_tokens\":100,\"total_tokens\":108}}";

  private static final long RESERVED = 108;

  private final ManualClock clock = ManualClock.at("2026-06-01T10:00:00Z");
  private final FaultyStore store = new FaultyStore(clock);
  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private final List<StoreTransition> transitions = new CopyOnWriteArrayList<>();
  private final GatewayListener listener =
      new GatewayListener() {
        @Override
        public void onEvent(GatewayEvent event) {
          events.add(event);
        }

        @Override
        public void onStoreTransition(StoreTransition transition) {
          transitions.add(transition);
        }
      };

  @AfterEach
  void releaseBlockedStores() {
    store.release();
  }

  private AiGateway.Builder gateway(StoreBreakerPolicy.Builder breaker) {
    return AiGateway.builder()
        .clock(clock)
        .tokenLimitStore(store)
        .storeBreaker(breaker)
        .tokenLimit(TokenLimit.global().tokensPerMinute(1_000))
        .listener(listener);
  }

  private static GovernedCall begin(AiGateway gateway) {
    return gateway.begin(
        gateway.match("POST", "/v1/chat/completions"),
        PostedRequest.of("http://app.test/v1/chat/completions", CHAT));
  }

  private static void finish(GovernedCall call, String answer) throws IOException {
    InputStream body = AttemptLoop.send(call, new ScriptedSender().on(null, json(answer))).body();
    body.transferTo(OutputStream.nullOutputStream());
    body.close();
  }

  private static Admission call(AiGateway gateway) throws IOException {
    return call(gateway, ANSWER);
  }

  private static Admission call(AiGateway gateway, String answer) throws IOException {
    GovernedCall call = begin(gateway);
    Admission admission = call.admit();
    if (admission.admitted()) {
      finish(call, answer);
    }
    return admission;
  }

  private static void calls(AiGateway gateway, int n) throws IOException {
    for (int i = 0; i < n; i++) {
      call(gateway);
    }
  }

  private List<String> path() {
    List<String> path = new ArrayList<>();
    for (StoreTransition t : transitions) {
      path.add(t.from() + "->" + t.to());
    }
    return path;
  }

  @Test
  void theBreakerOpensAfterTheThresholdAndStopsCallingTheStore() throws IOException {
    store.mode(Mode.THROWING);
    AiGateway gateway = gateway(StoreBreakerPolicy.builder().failureThreshold(3)).build();

    calls(gateway, 10);

    assertThat(store.reserves).hasValue(3);
    assertThat(events).hasSize(10);
    assertThat(events)
        .allSatisfy(e -> assertThat(e.limits().outcome()).isEqualTo(LimitOutcome.STORE_FAILED));
    assertThat(path()).containsExactly("HEALTHY->FAILING");
  }

  @Test
  void aSuccessInBetweenStartsTheCountAgain() throws IOException {
    AiGateway gateway = gateway(StoreBreakerPolicy.builder().failureThreshold(3)).build();

    store.failNext(2, Mode.THROWING);
    calls(gateway, 3); // two failures, one success
    store.failNext(2, Mode.THROWING);
    calls(gateway, 3);

    assertThat(store.reserves).hasValue(6);
    assertThat(transitions).isEmpty();
  }

  @Test
  void whileOpenCallsDoNotWaitForTheStoreTimeout() {
    store.mode(Mode.BLOCKING);
    AiGateway gateway =
        gateway(StoreBreakerPolicy.builder().failureThreshold(2))
            .storeTimeout(Duration.ofMillis(300))
            .build();
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> calls(gateway, 2)); // pay 2 timeouts

    long started = System.nanoTime();
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> calls(gateway, 20));
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertThat(store.reserves).hasValue(2);
    assertThat(took).isLessThan(Duration.ofMillis(300 * 20 / 4)); // waiting would take 6 s
    assertThat(events.subList(2, 22))
        .allSatisfy(e -> assertThat(e.limits().outcome()).isEqualTo(LimitOutcome.STORE_FAILED));
  }

  @Test
  void afterTheCoolDownOneCallProbesTheStoreAndItsSuccessClosesTheBreaker() throws IOException {
    store.failNext(1, Mode.THROWING);
    AiGateway gateway =
        gateway(StoreBreakerPolicy.builder().failureThreshold(1).coolDown(Duration.ofSeconds(1)))
            .build();
    call(gateway); // fails and opens the breaker; the store is healthy from now on

    clock.advance(Duration.ofMillis(999));
    call(gateway);
    assertThat(store.reserves).hasValue(1);

    clock.advance(Duration.ofMillis(1));
    call(gateway); // the probe
    call(gateway);

    assertThat(store.reserves).hasValue(3);
    assertThat(events.get(1).limits().outcome()).isEqualTo(LimitOutcome.STORE_FAILED);
    assertThat(events.get(2).limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
    assertThat(events.get(3).limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
    assertThat(path()).containsExactly("HEALTHY->FAILING", "FAILING->PROBING", "PROBING->HEALTHY");
    StoreTransition opened = transitions.get(0);
    assertThat(opened.coolDown()).isEqualTo(Duration.ofSeconds(1));
    assertThat(opened.at()).isEqualTo(Instant.parse("2026-06-01T10:00:00Z"));
    assertThat(opened.store()).isEqualTo(FaultyStore.class.getName());
    assertThat(opened.reason())
        .isEqualTo("reservation failed: java.lang.IllegalStateException")
        .doesNotContain("secret");
    assertThat(transitions.get(1).reason()).isEqualTo("cool-down of PT1S passed");
    assertThat(transitions.get(1).at()).isEqualTo(Instant.parse("2026-06-01T10:00:01Z"));
    assertThat(transitions.get(2).reason()).isEqualTo("probe succeeded");
    assertThat(transitions).noneMatch(StoreTransition::fallbackActive);
  }

  @Test
  void aFailedProbeOpensTheBreakerAgainForTwiceAsLongUpToTheCap() throws IOException {
    store.mode(Mode.THROWING);
    AiGateway gateway =
        gateway(
                StoreBreakerPolicy.builder()
                    .failureThreshold(2)
                    .coolDown(Duration.ofSeconds(1))
                    .maxCoolDown(Duration.ofSeconds(3)))
            .build();
    calls(gateway, 2);

    List<Duration> coolDowns = new ArrayList<>();
    for (int probe = 0; probe < 3; probe++) {
      Duration coolDown = transitions.get(transitions.size() - 1).coolDown();
      coolDowns.add(coolDown);
      clock.advance(coolDown.minusMillis(1));
      call(gateway);
      assertThat(store.reserves).hasValue(2 + probe); // still cooling down: no call
      clock.advance(Duration.ofMillis(1));
      call(gateway); // the probe, which fails
    }
    store.mode(Mode.HEALTHY);
    clock.advance(Duration.ofSeconds(3));
    call(gateway);

    coolDowns.add(transitions.get(transitions.size() - 3).coolDown());
    assertThat(coolDowns)
        .containsExactly(
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Duration.ofSeconds(3),
            Duration.ofSeconds(3));
    assertThat(transitions.get(2).reason())
        .isEqualTo("probe failed: java.lang.IllegalStateException");
    assertThat(path())
        .containsExactly(
            "HEALTHY->FAILING",
            "FAILING->PROBING",
            "PROBING->FAILING",
            "FAILING->PROBING",
            "PROBING->FAILING",
            "FAILING->PROBING",
            "PROBING->FAILING",
            "FAILING->PROBING",
            "PROBING->HEALTHY");
  }

  @Test
  void aHealthyStoreStartsAgainFromTheFirstCoolDown() throws IOException {
    AiGateway gateway =
        gateway(StoreBreakerPolicy.builder().failureThreshold(1).coolDown(Duration.ofSeconds(1)))
            .build();
    store.mode(Mode.THROWING);
    call(gateway);
    clock.advance(Duration.ofSeconds(1));
    call(gateway); // failed probe: 2 s
    clock.advance(Duration.ofSeconds(2));
    store.mode(Mode.HEALTHY);
    call(gateway); // closes

    store.mode(Mode.THROWING);
    call(gateway);

    assertThat(transitions.get(transitions.size() - 1).coolDown()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void whileTheProbeIsOutOtherCallsDoNotReachTheStore() throws Exception {
    store.failNext(1, Mode.THROWING);
    AiGateway gateway =
        gateway(StoreBreakerPolicy.builder().failureThreshold(1))
            .storeTimeout(Duration.ofSeconds(20))
            .build();
    call(gateway);
    clock.advance(StoreBreakerPolicy.DEFAULT_COOL_DOWN);
    store.mode(Mode.BLOCKING);
    ExecutorService probeThread = Executors.newSingleThreadExecutor();
    try {
      Future<Admission> probe = probeThread.submit(() -> begin(gateway).admit());
      while (store.reserves.get() < 2) {
        Thread.onSpinWait(); // the probe has reached the store
      }

      Admission meanwhile =
          assertTimeoutPreemptively(Duration.ofSeconds(5), () -> begin(gateway).admit());

      assertThat(meanwhile.admitted()).isTrue();
      assertThat(store.reserves).hasValue(2);
      assertThat(path()).containsExactly("HEALTHY->FAILING", "FAILING->PROBING");
      store.release(); // the probe fails
      assertThat(probe.get(10, TimeUnit.SECONDS).admitted()).isTrue();
      assertThat(path()).endsWith("PROBING->FAILING");
    } finally {
      probeThread.shutdownNow();
    }
  }

  @Test
  void settlementsAreStillAttemptedWhileTheBreakerIsOpen() throws IOException {
    AiGateway gateway = gateway(StoreBreakerPolicy.builder().failureThreshold(2)).build();
    GovernedCall reservedWhileHealthy = begin(gateway);
    reservedWhileHealthy.admit();
    store.mode(Mode.THROWING);
    calls(gateway, 2);
    assertThat(path()).containsExactly("HEALTHY->FAILING");

    finish(reservedWhileHealthy, ANSWER);

    assertThat(store.settlements).hasValue(1);
    assertThat(events.get(2).limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
    assertThat(events.get(2).limits().settledTokens()).isEqualTo(9);
  }

  @Test
  void aSlowSuccessFromBeforeTheBreakerOpenedDoesNotCloseIt() {
    CapturingLogger log = new CapturingLogger("test");
    StoreBreaker breaker =
        new StoreBreaker(
            StoreBreakerPolicy.builder().failureThreshold(2).build(),
            StoreFailurePolicy.failOpen(),
            clock,
            "store",
            transitions::add,
            log);
    long slow = breaker.acquire();
    breaker.failed(breaker.acquire(), "x");
    breaker.failed(breaker.acquire(), "x");

    breaker.succeeded(slow);
    breaker.failed(slow, "x");

    assertThat(breaker.state()).isEqualTo(StoreState.FAILING);
    assertThat(path()).containsExactly("HEALTHY->FAILING");
  }

  @Test
  void everyTransitionIsLoggedOnceWithoutSecrets() {
    CapturingLogger log = new CapturingLogger("test");
    StoreBreaker breaker =
        new StoreBreaker(
            StoreBreakerPolicy.defaults(),
            StoreFailurePolicy.fallBackToLocal(0.5),
            clock,
            "com.example.RedisStore",
            transitions::add,
            log);

    for (int i = 0; i < 50; i++) {
      long permit = breaker.acquire();
      if (permit != StoreBreaker.SKIP) {
        breaker.failed(permit, "java.net.ConnectException");
      }
    }
    clock.advance(Duration.ofSeconds(1));
    breaker.succeeded(breaker.acquire());
    for (int i = 0; i < 50; i++) {
      breaker.succeeded(breaker.acquire());
    }

    assertThat(log.warnings())
        .containsExactly(
            "ai-gateway: token store com.example.RedisStore is failing (5 reservations failed in a"
                + " row; last: java.net.ConnectException); for PT1S calls are limited locally on"
                + " 50% of each limit, then one call probes it");
    assertThat(log.lines())
        .hasSize(3)
        .element(2)
        .asString()
        .contains("com.example.RedisStore is healthy again (probe succeeded)");
    assertThat(path()).containsExactly("HEALTHY->FAILING", "FAILING->PROBING", "PROBING->HEALTHY");
    assertThat(transitions)
        .extracting(StoreTransition::fallbackActive)
        .containsExactly(true, true, false);
  }

  @Test
  void eachTransitionReachesEveryListenerOnceAndAFailingListenerBreaksNothing() throws IOException {
    List<StoreTransition> other = new CopyOnWriteArrayList<>();
    AiGateway gateway =
        gateway(StoreBreakerPolicy.builder().failureThreshold(2))
            .listener(
                new GatewayListener() {
                  @Override
                  public void onEvent(GatewayEvent event) {}

                  @Override
                  public void onStoreTransition(StoreTransition transition) {
                    throw new IllegalStateException("listener bug");
                  }
                })
            .listener(
                new GatewayListener() {
                  @Override
                  public void onEvent(GatewayEvent event) {}

                  @Override
                  public void onStoreTransition(StoreTransition transition) {
                    other.add(transition);
                  }
                })
            .storeFailurePolicy(StoreFailurePolicy.fallBackToLocal(0.5))
            .build();
    store.mode(Mode.THROWING);

    calls(gateway, 30);
    clock.advance(Duration.ofSeconds(1));
    store.mode(Mode.HEALTHY);
    calls(gateway, 30);

    assertThat(path()).containsExactly("HEALTHY->FAILING", "FAILING->PROBING", "PROBING->HEALTHY");
    assertThat(other).isEqualTo(transitions);
    assertThat(events).hasSize(60);
    Map<LimitOutcome, Long> outcomes =
        events.stream()
            .collect(Collectors.groupingBy(e -> e.limits().outcome(), Collectors.counting()));
    assertThat(outcomes)
        .containsEntry(LimitOutcome.FALLBACK_SETTLED, 30L)
        .containsEntry(LimitOutcome.SETTLED, 30L);
  }

  @Test
  void aListenerThatBlocksOnATransitionHoldsUpNoOtherCall() throws Exception {
    CountDownLatch told = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AiGateway gateway =
        gateway(StoreBreakerPolicy.builder().failureThreshold(1))
            .listener(
                new GatewayListener() {
                  @Override
                  public void onEvent(GatewayEvent event) {}

                  @Override
                  public void onStoreTransition(StoreTransition transition) {
                    told.countDown();
                    try {
                      release.await(); // pages someone, over a slow network
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }
                })
            .build();
    store.mode(Mode.THROWING);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Admission> tripping = pool.submit(() -> call(gateway));
      assertThat(told.await(30, TimeUnit.SECONDS)).isTrue();

      // The breaker is open while the listener is being told: the next call skips the store.
      Future<Admission> next = pool.submit(() -> call(gateway));
      assertThat(next.get(30, TimeUnit.SECONDS).admitted()).isTrue();
      assertThat(tripping.isDone()).isFalse();

      release.countDown();
      assertThat(tripping.get(30, TimeUnit.SECONDS).admitted()).isTrue();
      assertThat(path()).containsExactly("HEALTHY->FAILING");
      assertThat(store.reserves).hasValue(1);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void manyThreadsWhileTheStoreFlipsNeverOverAdmitAndNeverHang() throws Exception {
    // A daily quota (no refill while the clock moves on for the breaker's cool-downs), answers
    // that use all they reserved: every admission takes 108 tokens for good, so the store admits
    // at most 9 calls and the fallback, on half the quota, at most 4, however calls interleave.
    AiGateway gateway =
        AiGateway.builder()
            .clock(clock)
            .tokenLimitStore(store)
            .storeTimeout(Duration.ofMillis(20)) // shorter than a SLOW answer: some land late
            .storeFailurePolicy(StoreFailurePolicy.fallBackToLocal(0.5))
            .storeBreaker(StoreBreakerPolicy.builder().failureThreshold(2))
            .tokenLimit(TokenLimit.global().quota(1_000, QuotaPeriod.DAILY))
            .listener(listener)
            .build();
    int threads = 8;
    int callsPerThread = 60;
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
    try {
      Future<?> flipper =
          pool.submit(
              () -> {
                Mode[] modes = {Mode.HEALTHY, Mode.THROWING, Mode.SLOW, Mode.THROWING};
                for (int i = 0; running.get(); i++) {
                  store.mode(modes[i % modes.length]);
                  clock.advance(Duration.ofMillis(700)); // lets probes through now and then
                  sleep(2);
                }
              });
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> callers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        callers.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < callsPerThread; i++) {
                    call(gateway, ANSWER_AS_RESERVED);
                  }
                  return null;
                }));
      }
      start.countDown();
      assertTimeoutPreemptively(
          Duration.ofSeconds(60),
          () -> {
            for (Future<?> caller : callers) {
              caller.get();
            }
          });
      running.set(false);
      flipper.get(10, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }

    assertThat(events).hasSize(threads * callsPerThread);
    Map<LimitOutcome, Long> outcomes =
        events.stream()
            .collect(Collectors.groupingBy(e -> e.limits().outcome(), Collectors.counting()));
    assertThat(outcomes.keySet())
        .isSubsetOf(
            LimitOutcome.SETTLED,
            LimitOutcome.SETTLE_FAILED, // a settlement slower than the 20 ms timeout: it lands late
            LimitOutcome.REJECTED,
            LimitOutcome.FALLBACK_SETTLED,
            LimitOutcome.FALLBACK_REJECTED);
    assertThat(outcomes.getOrDefault(LimitOutcome.FALLBACK_SETTLED, 0L)).isBetween(1L, 4L);
    long admittedByStore =
        outcomes.getOrDefault(LimitOutcome.SETTLED, 0L)
            + outcomes.getOrDefault(LimitOutcome.SETTLE_FAILED, 0L);
    assertThat(admittedByStore).isLessThanOrEqualTo(9L);
    // The store keeps exactly what its admitted calls used (their settlements change nothing, late
    // or not); answers that landed too late were refunded (on the store threads, which may still
    // be finishing).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (remainingInStore() != 1_000 - RESERVED * admittedByStore
        && System.nanoTime() < deadline) {
      sleep(10);
    }
    assertThat(remainingInStore()).isEqualTo(1_000 - RESERVED * admittedByStore);
    // Transitions came one at a time, each from where the last one went.
    StoreState at = StoreState.HEALTHY;
    for (StoreTransition transition : transitions) {
      assertThat(transition.from()).isEqualTo(at);
      at = transition.to();
    }
    assertThat(transitions).isNotEmpty();
  }

  @Test
  void breakerSettingsAreCheckedWhenMade() {
    assertThatThrownBy(() -> StoreBreakerPolicy.builder().failureThreshold(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failureThreshold must be >= 1 but was 0");
    assertThatThrownBy(() -> StoreBreakerPolicy.builder().coolDown(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("coolDown must be positive")
        .hasMessageContaining("PT-0.001S");
    assertThatThrownBy(() -> StoreBreakerPolicy.builder().coolDown(Duration.ofMinutes(1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("coolDown (PT1M) must not be longer than maxCoolDown (PT30S)");
    assertThat(StoreBreakerPolicy.defaults())
        .hasToString("StoreBreakerPolicy{failureThreshold=5, coolDown=PT1S, maxCoolDown=PT30S}");
  }

  private long remainingInStore() {
    List<LimitCharge> none =
        List.of(
            new LimitCharge(
                TokenLimit.global().quota(1_000, QuotaPeriod.DAILY).build().specs().get(0),
                "*",
                0));
    return store.counters.reserve(none).remaining().get(0);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
