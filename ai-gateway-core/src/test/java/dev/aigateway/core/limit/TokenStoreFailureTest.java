package dev.aigateway.core.limit;

import static dev.aigateway.core.adapter.ScriptedSender.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.adapter.AttemptLoop;
import dev.aigateway.core.adapter.GovernedCall;
import dev.aigateway.core.adapter.PostedRequest;
import dev.aigateway.core.adapter.ScriptedSender;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.telemetry.LoggingListener;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A token store that fails, answers nonsense or blocks never fails a call, and is seen to. */
class TokenStoreFailureTest {

  private static final String CHAT =
      "{\"model\":\"gpt-4o\",\"max_tokens\":100,\"messages\":"
          + "[{\"role\":\"user\",\"content\":\"Hi\"}]}";
  private static final String ANSWER =
      "{\"model\":\"gpt-4o\",\"choices\":[],\"usage\":"
          + "{\"prompt_tokens\":8,\"completion_tokens\":1,\"total_tokens\":9}}";
  private static final Duration WAIT = Duration.ofSeconds(5);

  /** How long a blocking store blocks unless released: far longer than any wait here. */
  private static final Duration BLOCK = Duration.ofSeconds(60);

  private final ManualClock clock = ManualClock.at("2026-06-01T10:00:00Z");
  private final InMemoryTokenLimitStore counters =
      new InMemoryTokenLimitStore(clock, InMemoryTokenLimitStore.DEFAULT_SWEEP_INTERVAL);
  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void releaseBlockedStores() {
    release.countDown();
  }

  /** A store that does what {@code reserve} and {@code settle} say, else what the counters do. */
  private final class HostileStore implements TokenLimitStore {
    Supplier<ReserveResult> onReserve;
    Runnable onSettle;
    final AtomicInteger reserves = new AtomicInteger();
    final List<Long> settlements = new CopyOnWriteArrayList<>();
    final CountDownLatch settled = new CountDownLatch(1);

    @Override
    public ReserveResult reserve(List<LimitCharge> charges) {
      reserves.incrementAndGet();
      return onReserve != null ? onReserve.get() : counters.reserve(charges);
    }

    @Override
    public void settle(Reservation reservation, long[] actual) {
      settlements.add(actual[0]); // the gateway's one limit has one charge
      try {
        if (onSettle != null) {
          onSettle.run();
        }
        counters.settle(reservation, actual);
      } finally {
        settled.countDown();
      }
    }
  }

  /** Waits (at most {@link #WAIT}) until {@code store} has seen {@code count} reserves. */
  private static void awaitReserves(HostileStore store, int count) throws InterruptedException {
    long end = System.nanoTime() + WAIT.toNanos();
    while (store.reserves.get() < count && System.nanoTime() < end) {
      Thread.sleep(1);
    }
    assertThat(store.reserves).hasValue(count);
  }

  private AiGateway gateway(TokenLimitStore store, Duration storeTimeout) {
    return AiGateway.builder()
        .clock(clock)
        .tokenLimitStore(store)
        .storeTimeout(storeTimeout)
        .tokenLimit(
            TokenLimit.global()
                .tokensPerMinute(1_000)
                .remainingTokensHeader("x-remaining")
                .tokensConsumedHeader("x-consumed"))
        .listener(events::add)
        .build();
  }

  private AiGateway gateway(TokenLimitStore store) {
    return gateway(store, AiGateway.DEFAULT_STORE_TIMEOUT);
  }

  private static GovernedCall begin(AiGateway gateway) {
    return gateway.begin(
        gateway.match("POST", "/v1/chat/completions"),
        PostedRequest.of("http://app.test/v1/chat/completions", CHAT));
  }

  /** Admits a call, sends it to a backend answering {@link #ANSWER}, reads the answer. */
  private Admission call(AiGateway gateway) throws IOException {
    GovernedCall call = begin(gateway);
    Admission admission = call.admit();
    ScriptedSender sender = new ScriptedSender().on(null, json(ANSWER));
    InputStream body = AttemptLoop.send(call, sender).body();
    body.transferTo(java.io.OutputStream.nullOutputStream());
    body.close();
    return admission;
  }

  private GatewayEvent onlyEvent() {
    assertThat(events).hasSize(1);
    return events.get(0);
  }

  /** A charge of {@code tokens} under the gateway's global limit. */
  private static List<LimitCharge> charges(long tokens) {
    return List.of(
        new LimitCharge(
            TokenLimit.global().tokensPerMinute(1_000).build().specs().get(0), "*", tokens));
  }

  private long remaining() {
    return counters.reserve(charges(0)).remaining().get(0);
  }

  static Stream<Throwable> failures() {
    return Stream.of(
        new IllegalStateException("store down"),
        new AssertionError("store bug"),
        new NoClassDefFoundError("redis/clients/Jedis"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("failures")
  void aStoreThatThrowsOnReserveAdmitsTheCallChargesNothingAndSaysSo(Throwable failure)
      throws IOException {
    HostileStore store = new HostileStore();
    store.onReserve =
        () -> {
          if (failure instanceof RuntimeException e) {
            throw e;
          }
          throw (Error) failure;
        };

    Admission admission = call(gateway(store));

    assertThat(admission.responseHeaders()).doesNotContainKeys("x-remaining", "x-consumed");
    GatewayEvent event = onlyEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.STORE_FAILED);
    assertThat(event.limits().reservedTokens()).isZero();
    assertThat(event.limits().settledTokens()).isZero();
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(9);
    assertThat(store.settlements).isEmpty();
    assertThat(LoggingListener.format(event)).contains(" settled=0 limit=STORE_FAILED");
  }

  @Test
  void aRejectionWhoseWaitIsBeyondWhatMillisecondsHoldIsAnsweredWithTheLongestWait()
      throws IOException {
    // A store may answer "never" with the longest Duration there is.
    HostileStore store = new HostileStore();
    store.onReserve =
        () ->
            ReserveResult.rejected(
                charges(100).get(0), Duration.ofSeconds(Long.MAX_VALUE), List.of(0L));

    Admission admission = begin(gateway(store)).admit();

    assertThat(admission.rejection()).isNotNull();
    assertThat(admission.rejection().status()).isEqualTo(429);
    assertThat(admission.rejection().headers())
        .containsEntry(Rejection.RETRY_AFTER, String.valueOf(Long.MAX_VALUE))
        .containsEntry(Rejection.RETRY_AFTER_MS, String.valueOf(Long.MAX_VALUE));
    GatewayEvent event = onlyEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.REJECTED);
  }

  @Test
  void aStoreThatAnswersNothingFailsOpenLikeOneThatThrows() throws IOException {
    HostileStore store = new HostileStore();
    store.onReserve = () -> null;

    Admission admission = call(gateway(store));

    assertThat(admission.admitted()).isTrue();
    assertThat(onlyEvent().limits().outcome()).isEqualTo(LimitOutcome.STORE_FAILED);
  }

  @Test
  void anAnswerThatDoesNotFitTheChargesFailsOpenAndItsReservationIsRefunded() throws IOException {
    HostileStore store = new HostileStore();
    store.onReserve =
        () ->
            ReserveResult.admitted(
                Reservation.EMPTY, List.of()); // one charge asked, no remaining count answered

    call(gateway(store));

    assertThat(onlyEvent().limits().outcome()).isEqualTo(LimitOutcome.STORE_FAILED);
  }

  @Test
  void aVirtualMachineErrorFromTheStoreIsNotSwallowed() {
    // The store guard does not fail open on it; the call ends failed, with its event, and the
    // adapter is handed an IOException whose cause is the error (GovernedCall#admit).
    HostileStore store = new HostileStore();
    store.onReserve =
        () -> {
          throw new StackOverflowError();
        };
    GovernedCall call = begin(gateway(store));

    assertThatThrownBy(call::admit)
        .isInstanceOf(java.io.UncheckedIOException.class)
        .rootCause()
        .isInstanceOf(StackOverflowError.class);
    assertThat(onlyEvent().outcome()).isEqualTo(dev.aigateway.api.CallOutcome.FAILED);
    assertThat(onlyEvent().limits().outcome()).isNotEqualTo(LimitOutcome.STORE_FAILED);
  }

  @Test
  void aStoreThatBlocksIsWaitedForOnlyUntilTheStoreTimeout() {
    HostileStore store = new HostileStore();
    store.onReserve =
        () -> {
          awaitRelease();
          return null;
        };
    GuardedStore guarded = new GuardedStore(store, Duration.ofMillis(20));

    GuardedStore.Reserved reserved =
        assertTimeoutPreemptively(WAIT, () -> guarded.reserve(charges(10), 1));

    assertThat(reserved.failed()).isTrue();
    assertThat(reserved.result().reservation()).isEqualTo(Reservation.EMPTY);
  }

  @Test
  void aCallWhoseStoreBlocksGoesOnWithoutItsLimitsAndSaysSo() {
    HostileStore store = new HostileStore();
    store.onReserve =
        () -> {
          awaitRelease();
          return null;
        };
    AiGateway gateway = gateway(store, Duration.ofMillis(20));

    Admission admission = assertTimeoutPreemptively(BLOCK.dividedBy(2), () -> call(gateway));

    assertThat(admission.admitted()).isTrue();
    assertThat(onlyEvent().limits().outcome()).isEqualTo(LimitOutcome.STORE_FAILED);
    assertThat(onlyEvent().limits().settledTokens()).isZero();
  }

  @Test
  void aReservationThatLandsAfterItsCallStoppedWaitingIsRefunded() throws Exception {
    HostileStore store = new HostileStore();
    AiGateway gateway = gateway(store, Duration.ofMillis(20));
    List<LimitCharge> taken = new ArrayList<>();
    store.onReserve =
        () -> {
          awaitRelease();
          ReserveResult late = counters.reserve(charges(108));
          taken.addAll(late.reservation().charges());
          return late;
        };
    call(gateway);

    release.countDown();

    assertThat(store.settled.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    assertThat(taken).hasSize(1);
    assertThat(store.settlements).containsExactly(0L);
    assertThat(remaining()).isEqualTo(1_000);
  }

  @Test
  void whileEveryStoreThreadIsHeldCallsFailOpenWithoutWaiting() throws InterruptedException {
    HostileStore store = new HostileStore();
    store.onReserve =
        () -> {
          awaitRelease();
          return null;
        };
    GuardedStore guarded = new GuardedStore(store, Duration.ofMillis(20), 1);

    GuardedStore.Reserved first = guarded.reserve(charges(10), 1); // times out; its thread stays
    GuardedStore.Reserved second =
        assertTimeoutPreemptively(WAIT, () -> guarded.reserve(charges(10), 2));

    assertThat(first.failed()).isTrue();
    assertThat(second.failed()).isTrue();
    // The first reaches the store on its thread, which a loaded machine may start after the 20 ms
    // the call waited; the second never does.
    awaitReserves(store, 1);
    assertThat(store.reserves).hasValue(1);
  }

  @Test
  void aSettlementMadeWhileEveryStoreThreadIsHeldLandsOnceAThreadIsFree() throws Exception {
    HostileStore store = new HostileStore();
    GuardedStore guarded = new GuardedStore(store, Duration.ofMillis(20), 1);
    Reservation reservation = counters.reserve(charges(108)).reservation();
    store.onReserve =
        () -> {
          awaitRelease();
          return null;
        };
    guarded.reserve(charges(10), 2); // times out; the only store thread stays held
    awaitReserves(store, 1);

    boolean confirmed =
        assertTimeoutPreemptively(
            WAIT, () -> guarded.settle(reservation, new long[] {7}, GuardedStore.Source.STORE, 1));
    release.countDown();

    assertThat(confirmed).isFalse(); // not confirmed in time: the event says SETTLE_FAILED
    assertThat(store.settled.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    assertThat(store.settlements).containsExactly(7L);
    assertThat(remaining()).isEqualTo(993);
  }

  @Test
  void aStoreThatFailsToSettleIsVisibleInTheEvent() throws IOException {
    HostileStore store = new HostileStore();
    store.onSettle =
        () -> {
          throw new IllegalStateException("connection lost");
        };

    call(gateway(store));

    GatewayEvent event = onlyEvent();
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.SETTLE_FAILED);
    assertThat(event.limits().reservedTokens()).isEqualTo(108);
    assertThat(event.toString()).contains("limit=SETTLE_FAILED");
  }

  @Test
  void aHealthyStoreSettlesTheCallAndSaysSo() throws IOException {
    HostileStore store = new HostileStore();

    Admission admission = call(gateway(store));

    assertThat(admission.responseHeaders()).containsEntry("x-remaining", "892");
    assertThat(onlyEvent().limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
    assertThat(onlyEvent().limits().settledTokens()).isEqualTo(9);
    assertThat(store.settlements).containsExactly(9L);
  }

  @Test
  void aCallNoLimitAppliesToHasNoLimitOutcome() throws IOException {
    AiGateway gateway = AiGateway.builder().clock(clock).listener(events::add).build();

    call(gateway);

    assertThat(onlyEvent().limits().outcome()).isEqualTo(LimitOutcome.NONE);
  }

  @Test
  void theStoreTimeoutMustBePositive() {
    assertThatThrownBy(() -> AiGateway.builder().storeTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("storeTimeout must be positive")
        .hasMessageContaining("PT0S");
  }

  private void awaitRelease() {
    try {
      release.await(BLOCK.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
