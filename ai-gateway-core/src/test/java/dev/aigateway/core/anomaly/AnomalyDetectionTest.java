package dev.aigateway.core.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.aigateway.api.AnomalySignal;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.ConsumerSnapshot;
import dev.aigateway.api.ConsumerState;
import dev.aigateway.api.ConsumerTransition;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.SignalReading;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.adapter.GovernedCall;
import dev.aigateway.core.adapter.PostedRequest;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.testing.ManualClock;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Anomaly detection driven through the gateway's real pipeline (the stage, the orchestrator), as an
 * adapter drives it, on a {@link ManualClock}: 10 s buckets, judged after 5 learnt buckets.
 */
class AnomalyDetectionTest {

  private static final String URL = "https://api.example.com/v1/chat/completions";
  private static final String ANSWER =
      "{\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"message\":{\"role\":\"assistant\",\"content\":\"hello\"}}],"
          + "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2,\"total_tokens\":10}}";
  private static final Duration BUCKET = Duration.ofSeconds(10);
  private static final ThreadLocal<String> CONSUMER = new ThreadLocal<>();

  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private final List<ConsumerTransition> transitions = new CopyOnWriteArrayList<>();
  private AiGateway gateway;

  @AfterEach
  void tearDown() {
    CONSUMER.remove();
  }

  private static AnomalyDetection.Builder detection() {
    return AnomalyDetection.builder().bucket(BUCKET).minSamples(5).minCallsForShares(5);
  }

  private Anomalies start(AnomalyDetection.Builder detection) {
    return start(detection, AiGateway.builder());
  }

  private Anomalies start(AnomalyDetection.Builder detection, AiGateway.Builder builder) {
    gateway =
        builder
            .clock(clock)
            .consumerKey(request -> CONSUMER.get())
            .listener(
                new GatewayListener() {
                  @Override
                  public void onEvent(GatewayEvent event) {
                    events.add(event);
                  }

                  @Override
                  public void onConsumerTransition(ConsumerTransition transition) {
                    transitions.add(transition);
                  }
                })
            .anomalyDetection(detection)
            .build();
    return gateway.anomalies();
  }

  private static String chat(String model) {
    return "{\"model\":\""
        + model
        + "\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  /** One call through the pipeline; returns the status the application got. */
  private Admission call(String consumer, String model) {
    return call(consumer, model, ANSWER);
  }

  /** One call through the pipeline, answered with {@code answer} when admitted. */
  private Admission call(String consumer, String model, String answer) {
    CONSUMER.set(consumer);
    GovernedCall call =
        gateway.begin(
            new CallMatch(Operation.CHAT_COMPLETIONS, null), PostedRequest.of(URL, chat(model)));
    Admission admission = call.admit();
    if (admission.admitted()) {
      InputStream body =
          call.observeResponse(
              200,
              "application/json",
              new ByteArrayInputStream(answer.getBytes(StandardCharsets.UTF_8)),
              () -> false);
      try {
        body.readAllBytes();
        body.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return admission;
  }

  private int status(String consumer) {
    Admission admission = call(consumer, "gpt-4o");
    return admission.admitted() ? 200 : admission.rejection().status();
  }

  /** {@code calls} calls spread evenly over one bucket; returns how many were admitted. */
  private int bucketOf(String consumer, int calls) {
    int admitted = 0;
    long step = BUCKET.toMillis() / calls;
    for (int i = 0; i < calls; i++) {
      if (status(consumer) == 200) {
        admitted++;
      }
      clock.advance(Duration.ofMillis(step));
    }
    clock.set(clock.instant().plusMillis(BUCKET.toMillis() - step * calls));
    return admitted;
  }

  /** Six buckets of five calls: a baseline of 30 calls/min and 300 tokens/min, learnt. */
  private void warmUp(String... consumers) {
    for (int bucket = 0; bucket < 6; bucket++) {
      for (String consumer : consumers) {
        CONSUMER.set(consumer);
      }
      int step = 2_000;
      for (int i = 0; i < 5; i++) {
        for (String consumer : consumers) {
          assertThat(status(consumer)).isEqualTo(200);
        }
        clock.advance(Duration.ofMillis(step));
      }
    }
  }

  private List<ConsumerTransition> transitionsOf(String consumer) {
    return transitions.stream().filter(t -> t.consumer().equals(consumer)).toList();
  }

  private ConsumerSnapshot snapshot(Anomalies anomalies, String consumer) {
    return anomalies.consumer(consumer).orElseThrow();
  }

  @Test
  void learnsEachSignalsBaselinePerConsumer() {
    Anomalies anomalies = start(detection());

    warmUp("alice");
    call("alice", "gpt-4o"); // a call in the seventh bucket closes the sixth

    ConsumerSnapshot alice = snapshot(anomalies, "alice");
    assertThat(alice.state()).isEqualTo(ConsumerState.NORMAL);
    assertThat(alice.signals()).hasSize(AnomalySignal.values().length);
    SignalReading requests = alice.signals().get(AnomalySignal.REQUEST_RATE);
    assertThat(requests.samples()).isEqualTo(6);
    assertThat(requests.baseline()).isCloseTo(30.0, within(1e-9)); // 5 per 10 s
    assertThat(requests.deviation()).isCloseTo(0.0, within(1e-9));
    assertThat(alice.signals().get(AnomalySignal.TOKEN_RATE).baseline())
        .isCloseTo(300.0, within(1e-9));
    assertThat(alice.signals().get(AnomalySignal.PROMPT_SIZE).baseline())
        .isCloseTo(8.0, within(1e-9));
    assertThat(alice.signals().get(AnomalySignal.ERROR_RATE).baseline()).isZero();
    assertThat(alice.signals().get(AnomalySignal.DISTINCT_MODELS).baseline()).isEqualTo(1.0);
    assertThat(alice.lastSeen()).isEqualTo(clock.instant());
    assertThat(transitions).isEmpty();
  }

  @Test
  void aTenfoldFloodIsFlaggedOnceAndItsCallsGoOn() {
    Anomalies anomalies = start(detection().action(AnomalyAction.FLAG));
    warmUp("alice", "bob");

    int admitted = bucketOf("alice", 50);
    bucketOf("bob", 5);

    assertThat(admitted).isEqualTo(50);
    assertThat(transitions).hasSize(1);
    ConsumerTransition flagged = transitions.get(0);
    assertThat(flagged.consumer()).isEqualTo("alice");
    assertThat(flagged.from()).isEqualTo(ConsumerState.NORMAL);
    assertThat(flagged.to()).isEqualTo(ConsumerState.FLAGGED);
    assertThat(flagged.manual()).isFalse();
    assertThat(flagged.finding().signal()).isEqualTo(AnomalySignal.REQUEST_RATE);
    assertThat(flagged.finding().observed()).isGreaterThan(flagged.finding().threshold());
    assertThat(flagged.finding().threshold()).isCloseTo(90.0, within(1e-9)); // 3 x 30 calls/min
    assertThat(flagged.until())
        .isEqualTo(flagged.at().plus(AnomalyDetection.DEFAULT_ACTION_DURATION));
    assertThat(flagged.reason()).startsWith("request_rate ").contains("threshold 90");
    assertThat(snapshot(anomalies, "alice").state()).isEqualTo(ConsumerState.FLAGGED);
    assertThat(snapshot(anomalies, "bob").state()).isEqualTo(ConsumerState.NORMAL);
    GatewayEvent last = events.get(events.size() - 1);
    assertThat(last.consumer()).isEqualTo("bob");
    assertThat(last.anomaly().state()).isEqualTo(ConsumerState.NORMAL);
    GatewayEvent aliceLast =
        events.stream().filter(e -> e.consumer().equals("alice")).reduce((a, b) -> b).orElseThrow();
    assertThat(aliceLast.anomaly().state()).isEqualTo(ConsumerState.FLAGGED);
    assertThat(aliceLast.anomaly().signal()).isEqualTo(AnomalySignal.REQUEST_RATE);
  }

  @Test
  void callsAStageBeforeItRefusesAreCountedAndJudged() {
    Anomalies anomalies = start(detection().action(AnomalyAction.FLAG));
    warmUp("alice");

    // 50 calls in one bucket, each refused by the allowance check (an output allowance above what
    // the gateway governs) before the anomaly stage: a flood of refused calls.
    CONSUMER.set("alice");
    String invalid =
        "{\"model\":\"gpt-4o\",\"max_tokens\":5000000000000,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    for (int i = 0; i < 50; i++) {
      Admission admission =
          gateway
              .begin(
                  new CallMatch(Operation.CHAT_COMPLETIONS, null), PostedRequest.of(URL, invalid))
              .admit();
      assertThat(admission.rejection().status()).isEqualTo(400);
      clock.advance(Duration.ofMillis(200));
    }

    SignalReading requests = snapshot(anomalies, "alice").signals().get(AnomalySignal.REQUEST_RATE);
    assertThat(requests.recent()).as("calls/min in the sliding window").isGreaterThan(250);
    assertThat(transitionsOf("alice"))
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.to()).isEqualTo(ConsumerState.FLAGGED);
              assertThat(t.finding().signal())
                  .isIn(AnomalySignal.REQUEST_RATE, AnomalySignal.REJECTION_RATE);
            });
    assertThat(snapshot(anomalies, "alice").signals().get(AnomalySignal.REJECTION_RATE).recent())
        .isGreaterThan(0.5);
    assertThat(events).hasSize(30 + 50); // one event per call, as before
  }

  @Test
  void noOneIsJudgedDuringTheWarmUp() {
    Anomalies anomalies = start(detection().minSamples(10));
    warmUp("alice"); // six buckets: fewer than ten

    assertThat(bucketOf("alice", 100)).isEqualTo(100);

    assertThat(transitions).isEmpty();
    assertThat(snapshot(anomalies, "alice").state()).isEqualTo(ConsumerState.NORMAL);
  }

  @Test
  void aThrottledConsumerIsHeldToItsBaselineRate() {
    start(detection());
    warmUp("alice");

    int floodBucket = bucketOf("alice", 100);
    int nextBucket = bucketOf("alice", 100);

    assertThat(transitionsOf("alice"))
        .singleElement()
        .satisfies(t -> assertThat(t.to()).isEqualTo(ConsumerState.THROTTLED));
    // Judged at the 11th call, once the sliding count passes 15 (3 x 5 per bucket); then one
    // bucket's worth of its baseline (5 calls) and the refill at 5 per 10 s over the rest of the
    // bucket (~4); then 5 per bucket: a twentieth of what it asks for.
    assertThat(floodBucket).isBetween(18, 22);
    assertThat(nextBucket).isBetween(4, 6);
    GatewayEvent refused =
        events.stream().filter(e -> e.rejection() != null).findFirst().orElseThrow();
    assertThat(refused.rejection()).isEqualTo(RejectionReason.CONSUMER_THROTTLED);
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.anomaly().state()).isEqualTo(ConsumerState.THROTTLED);
  }

  @Test
  void aThrottleStillRefillsAfterTheClockSteppedBack() {
    start(detection());
    warmUp("alice");
    bucketOf("alice", 100); // throttled
    clock.advance(Duration.ofMinutes(-2)); // the clock steps back, within the throttle's time

    int nextBucket = bucketOf("alice", 100);
    int bucketAfter = bucketOf("alice", 100);

    assertThat(transitionsOf("alice"))
        .extracting(ConsumerTransition::to)
        .containsExactly(ConsumerState.THROTTLED);
    assertThat(nextBucket + bucketAfter).isBetween(8, 12); // its baseline: 5 per 10 s
  }

  @Test
  void aConsumerThrottledOnItsTokenRateAloneKeepsItsUsualCallRate() {
    // Only tokens are judged; the throttle still holds the consumer to its usual 5 calls per
    // bucket (and 50 tokens), not to the one call per bucket a throttle allows at the least.
    start(detection().signals(AnomalySignal.TOKEN_RATE).floor(AnomalySignal.TOKEN_RATE, 100));
    warmUp("alice");

    bucketOf("alice", 100);
    bucketOf("alice", 5);
    int usualBucket = bucketOf("alice", 5);

    assertThat(transitionsOf("alice"))
        .singleElement()
        .satisfies(t -> assertThat(t.to()).isEqualTo(ConsumerState.THROTTLED))
        .satisfies(t -> assertThat(t.finding().signal()).isEqualTo(AnomalySignal.TOKEN_RATE));
    assertThat(usualBucket).isEqualTo(5);
  }

  @Test
  void aCallALaterStageRefusesGivesItsThrottleRequestBack() {
    start(
        detection(),
        AiGateway.builder().contentSafety(ContentSafety.builder().denyWords("forbidden")));
    warmUp("alice");
    bucketOf("alice", 40);
    assertThat(transitionsOf("alice"))
        .singleElement()
        .satisfies(t -> assertThat(t.to()).isEqualTo(ConsumerState.THROTTLED));
    clock.advance(BUCKET); // the throttle refills: five calls

    CONSUMER.set("alice");
    String refused =
        "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"say forbidden\"}]}";
    for (int i = 0; i < 10; i++) {
      Admission admission =
          gateway
              .begin(
                  new CallMatch(Operation.CHAT_COMPLETIONS, null), PostedRequest.of(URL, refused))
              .admit();
      assertThat(admission.rejection().status())
          .as("call %d: refused by content safety, not by the throttle", i)
          .isEqualTo(400);
    }

    assertThat(status("alice")).isEqualTo(200); // the refused calls used nothing
  }

  @Test
  void aThrottleRefusalSaysWhyAndHowLongToWait() {
    start(detection());
    warmUp("alice");
    bucketOf("alice", 40);

    Rejection rejection = call("alice", "gpt-4o").rejection();

    assertThat(rejection).isNotNull();
    assertThat(rejection.status()).isEqualTo(429);
    assertThat(rejection.headers()).containsEntry(Rejection.REJECTED_HEADER, "consumer-throttled");
    assertThat(rejection.headers()).containsKey(Rejection.RETRY_AFTER);
    String body = new String(rejection.body(), StandardCharsets.UTF_8);
    assertThat(body)
        .contains("\"code\":\"consumer_throttled\"")
        .contains("Consumer 'alice' is throttled to 30.0 calls per minute")
        .contains("request_rate");
  }

  @Test
  void aThrottledConsumersDebtNeverAsksItToWaitPastTheThrottlesEnd() {
    start(detection());
    warmUp("alice");
    bucketOf("alice", 100);
    Instant until = transitions.get(0).until();
    clock.advance(BUCKET); // a bucket's allowance back
    String large =
        ANSWER.replace(
            "\"prompt_tokens\":8,\"completion_tokens\":2,\"total_tokens\":10",
            "\"prompt_tokens\":8,\"completion_tokens\":999992,\"total_tokens\":1000000");
    assertThat(call("alice", "gpt-4o", large).admitted()).isTrue();

    Rejection rejection = call("alice", "gpt-4o").rejection();

    // A million tokens at its 300 a minute would take 55 hours to repay; the throttle ends at
    // `until` (and is then lifted once the consumer is calm), so that is when it may call again.
    long untilSeconds = Duration.between(clock.instant(), until).toSeconds();
    assertThat(rejection.status()).isEqualTo(429);
    assertThat(Long.parseLong(rejection.headers().get(Rejection.RETRY_AFTER)))
        .isBetween(1L, untilSeconds + 1);
    assertThat(Long.parseLong(rejection.headers().get(Rejection.RETRY_AFTER_MS)))
        .isBetween(1L, Duration.between(clock.instant(), until).toMillis());
  }

  @Test
  void releasedWhenTheDurationIsUpAndItsSignalsAreBackKeepingItsBaseline() {
    Anomalies anomalies = start(detection().actionDuration(Duration.ofSeconds(30)));
    warmUp("alice");
    bucketOf("alice", 100);
    Instant throttledAt = transitions.get(0).at();

    for (int bucket = 0; bucket < 4; bucket++) {
      bucketOf("alice", 5);
    }

    assertThat(transitionsOf("alice")).hasSize(2);
    ConsumerTransition release = transitions.get(1);
    assertThat(release.from()).isEqualTo(ConsumerState.THROTTLED);
    assertThat(release.to()).isEqualTo(ConsumerState.NORMAL);
    assertThat(release.manual()).isFalse();
    assertThat(release.until()).isNull();
    assertThat(release.reason()).isEqualTo("signals back below the release level");
    assertThat(release.at()).isAfterOrEqualTo(throttledAt.plusSeconds(30));
    ConsumerSnapshot alice = snapshot(anomalies, "alice");
    assertThat(alice.state()).isEqualTo(ConsumerState.NORMAL);
    // The flood was never learnt: the baseline is still 5 calls per 10 s.
    assertThat(alice.signals().get(AnomalySignal.REQUEST_RATE).baseline())
        .isCloseTo(30.0, within(1e-9));
    assertThat(bucketOf("alice", 5)).isEqualTo(5);
  }

  @Test
  void hysteresisKeepsAConsumerRestrictedUntilItFallsBelowTheReleaseLevel() {
    // Threshold 15 calls per bucket, release level halfway down to the baseline: 10.
    Anomalies anomalies = start(detection().actionDuration(Duration.ofSeconds(20)));
    warmUp("alice");
    bucketOf("alice", 100);

    for (int bucket = 0; bucket < 5; bucket++) {
      bucketOf("alice", 12); // below the threshold, above the release level
    }
    ConsumerSnapshot stillThrottled = snapshot(anomalies, "alice");
    for (int bucket = 0; bucket < 3; bucket++) {
      bucketOf("alice", 5);
    }

    assertThat(stillThrottled.state()).isEqualTo(ConsumerState.THROTTLED);
    assertThat(stillThrottled.until()).isAfter(transitions.get(0).until()); // extended
    assertThat(transitionsOf("alice"))
        .extracting(ConsumerTransition::to)
        .containsExactly(ConsumerState.THROTTLED, ConsumerState.NORMAL);
  }

  @Test
  void anOperatorBlocksAndReleasesAConsumer() {
    Anomalies anomalies = start(detection());
    warmUp("alice");

    anomalies.block("alice", "key leaked in a public repository", Duration.ofMinutes(5));
    Rejection blocked = call("alice", "gpt-4o").rejection();
    ConsumerSnapshot whileBlocked = snapshot(anomalies, "alice");
    boolean released = anomalies.release("alice");

    assertThat(blocked.status()).isEqualTo(403);
    assertThat(blocked.reason()).isEqualTo(RejectionReason.CONSUMER_BLOCKED);
    assertThat(new String(blocked.body(), StandardCharsets.UTF_8))
        .contains("\"code\":\"consumer_blocked\"")
        .contains("blocked until 2026-01-01T00:06:00Z by the gateway's operator")
        .doesNotContain("leaked");
    assertThat(blocked.headers()).containsEntry(Rejection.RETRY_AFTER, "300");
    assertThat(whileBlocked.state()).isEqualTo(ConsumerState.BLOCKED);
    assertThat(whileBlocked.manual()).isTrue();
    assertThat(whileBlocked.reason()).isEqualTo("key leaked in a public repository");
    assertThat(whileBlocked.why()).isNull();
    assertThat(released).isTrue();
    assertThat(anomalies.release("alice")).isFalse();
    assertThat(status("alice")).isEqualTo(200);
    assertThat(transitions)
        .extracting(ConsumerTransition::to, ConsumerTransition::manual)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(ConsumerState.BLOCKED, true),
            org.assertj.core.groups.Tuple.tuple(ConsumerState.NORMAL, true));
    assertThat(transitions.get(0).reason()).isEqualTo("key leaked in a public repository");
    assertThat(transitions.get(1).reason()).isEqualTo("released by the operator");
  }

  @Test
  void anOperatorsBlockOfAnAutomaticallyBlockedConsumerAndEachLaterChangeAreToldOnce() {
    Anomalies anomalies = start(detection().action(AnomalyAction.BLOCK)); // 10 min blocks
    warmUp("alice");
    bucketOf("alice", 50); // blocked on its request rate
    Instant autoUntil = transitions.get(0).until();

    Instant takenOver = clock.instant();
    anomalies.block("alice", "confirmed: key leaked", Duration.ofHours(1));
    clock.set(autoUntil.plusSeconds(1)); // the detector's block would have ended here
    List<ConsumerSnapshot> stillBlocked = anomalies.inventory();
    anomalies.block("alice", "rotating the key takes longer", Duration.ofHours(2));
    boolean released = anomalies.release("alice");
    boolean releasedAgain = anomalies.release("alice");
    anomalies.block("alice", "one more minute", Duration.ofMinutes(1));
    clock.advance(Duration.ofMinutes(2));
    anomalies.inventory();

    assertThat(stillBlocked).singleElement().satisfies(c -> assertThat(c.manual()).isTrue());
    assertThat(released).isTrue();
    assertThat(releasedAgain).isFalse();
    assertThat(transitions)
        .extracting(
            ConsumerTransition::from,
            ConsumerTransition::to,
            ConsumerTransition::manual,
            ConsumerTransition::reason)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                ConsumerState.NORMAL,
                ConsumerState.BLOCKED,
                false,
                transitions.get(0).finding().describe()),
            org.assertj.core.groups.Tuple.tuple(
                ConsumerState.BLOCKED, ConsumerState.BLOCKED, true, "confirmed: key leaked"),
            org.assertj.core.groups.Tuple.tuple(
                ConsumerState.BLOCKED,
                ConsumerState.BLOCKED,
                true,
                "rotating the key takes longer"),
            org.assertj.core.groups.Tuple.tuple(
                ConsumerState.BLOCKED, ConsumerState.NORMAL, true, "released by the operator"),
            org.assertj.core.groups.Tuple.tuple(
                ConsumerState.NORMAL, ConsumerState.BLOCKED, true, "one more minute"),
            org.assertj.core.groups.Tuple.tuple(
                ConsumerState.BLOCKED, ConsumerState.NORMAL, false, "the block's duration is up"));
    assertThat(transitions.get(1).until()).isEqualTo(takenOver.plus(Duration.ofHours(1)));
    assertThat(transitions.get(1).finding()).isNull();
  }

  @Test
  void aManualBlockEndsWhenItsDurationIsUpEvenWithoutCalls() {
    Anomalies anomalies = start(detection());
    anomalies.block("mallory", "testing", Duration.ofSeconds(20));

    clock.advance(Duration.ofSeconds(21));
    List<ConsumerSnapshot> inventory = anomalies.inventory();

    assertThat(inventory).isEmpty(); // it never called: nothing is left to list
    assertThat(transitions)
        .extracting(ConsumerTransition::to)
        .containsExactly(ConsumerState.BLOCKED, ConsumerState.NORMAL);
    assertThat(transitions.get(1).reason()).isEqualTo("the block's duration is up");
    assertThat(transitions.get(1).manual()).isFalse();
  }

  @Test
  void theInventoryReviewsABlockThatEndedSinceTheLastReadInTheSameBucket() {
    Anomalies anomalies = start(detection());
    anomalies.inventory(); // a dashboard polling it
    anomalies.block("mallory", "testing", Duration.ofSeconds(1));

    clock.advance(Duration.ofSeconds(2)); // the block is over; the bucket is not
    List<ConsumerSnapshot> inventory = anomalies.inventory();

    assertThat(inventory).isEmpty();
    assertThat(transitions)
        .extracting(ConsumerTransition::to)
        .containsExactly(ConsumerState.BLOCKED, ConsumerState.NORMAL);
  }

  @Test
  void modelNamesWithTheSameHashCodeAreCountedAsDifferentModels() {
    Anomalies anomalies = start(detection().signals(AnomalySignal.DISTINCT_MODELS));
    assertThat("Aa".hashCode()).isEqualTo("BB".hashCode());

    call("alice", "Aa");
    call("alice", "BB");

    assertThat(snapshot(anomalies, "alice").signals().get(AnomalySignal.DISTINCT_MODELS).recent())
        .isEqualTo(2.0);
  }

  @Test
  void aClockFarFromTheEpochDoesNotBreakTheTrackingOfConsumers() {
    clock.set(Instant.parse("3000-01-01T00:00:00Z")); // beyond 2262: epoch nanos overflow a long
    Anomalies anomalies = start(detection());

    int answered = status("alice");

    assertThat(answered).isEqualTo(200);
    assertThat(anomalies.consumer("alice")).isPresent();
  }

  @Test
  void aBlockEndsOnOtherConsumersCallsAfterTheClockSteppedBack() {
    start(detection());
    Instant start = clock.instant();
    status("bob");
    clock.advance(Duration.ofDays(1)); // a clock stepped forward by mistake
    status("bob");
    clock.set(start.plusSeconds(1)); // and back
    gateway.anomalies().block("mallory", "testing", Duration.ofSeconds(20));

    clock.set(start.plusSeconds(25));
    status("bob");

    assertThat(transitionsOf("mallory"))
        .extracting(ConsumerTransition::to)
        .containsExactly(ConsumerState.BLOCKED, ConsumerState.NORMAL);
  }

  @Test
  void aConsumerAtItsUsualRateIsNotJudgedAfterTheClockSteppedBack() {
    Anomalies anomalies = start(detection());
    warmUp("alice");
    Instant back = clock.instant();
    clock.advance(Duration.ofMinutes(3)); // a clock stepped forward by mistake
    assertThat(status("alice")).isEqualTo(200);
    clock.set(back); // and back

    int admitted = 0;
    for (int bucket = 0; bucket < 10; bucket++) {
      admitted += bucketOf("alice", 5); // its usual rate
    }

    assertThat(admitted).isEqualTo(50);
    assertThat(transitionsOf("alice")).isEmpty();
    assertThat(snapshot(anomalies, "alice").state()).isEqualTo(ConsumerState.NORMAL);
  }

  @Test
  void aBlockActionRefusesEveryCallAndEscalatesAFlaggedConsumer() {
    Anomalies anomalies =
        start(
            detection()
                .action(AnomalyAction.FLAG)
                .action(AnomalySignal.DISTINCT_MODELS, AnomalyAction.BLOCK));
    warmUp("alice");
    bucketOf("alice", 50); // flagged on its request rate

    for (String model : List.of("m1", "m2", "m3", "m4")) {
      call("alice", model);
    }

    assertThat(transitions)
        .extracting(ConsumerTransition::from, ConsumerTransition::to)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(ConsumerState.NORMAL, ConsumerState.FLAGGED),
            org.assertj.core.groups.Tuple.tuple(ConsumerState.FLAGGED, ConsumerState.BLOCKED));
    assertThat(transitions.get(1).finding().signal()).isEqualTo(AnomalySignal.DISTINCT_MODELS);
    assertThat(status("alice")).isEqualTo(403);
    assertThat(snapshot(anomalies, "alice").why().signal())
        .isEqualTo(AnomalySignal.DISTINCT_MODELS);
  }

  @Test
  void forgettingAConsumerDropsItsBaselineAndReleasesIt() {
    Anomalies anomalies = start(detection());
    warmUp("alice");
    bucketOf("alice", 100);

    assertThat(anomalies.forget("alice")).isTrue();
    assertThat(bucketOf("alice", 100)).isEqualTo(100); // learnt anew: in its warm-up

    // Its new level is its baseline now: one bucket of 100 calls per 10 s learnt.
    SignalReading requests = snapshot(anomalies, "alice").signals().get(AnomalySignal.REQUEST_RATE);
    assertThat(requests.samples()).isEqualTo(1);
    assertThat(requests.baseline()).isCloseTo(600.0, within(1e-9));
    assertThat(transitionsOf("alice"))
        .extracting(ConsumerTransition::to)
        .containsExactly(ConsumerState.THROTTLED, ConsumerState.NORMAL);
  }

  @Test
  void theNumberOfTrackedConsumersIsBounded() {
    Anomalies anomalies = start(detection().maxConsumers(10));

    for (int i = 0; i < 200; i++) {
      status("consumer-" + i);
    }
    clock.advance(BUCKET);

    assertThat(anomalies.inventory()).hasSizeLessThanOrEqualTo(10);
  }

  @Test
  void idleConsumersAreDropped() {
    Anomalies anomalies = start(detection().idleEviction(Duration.ofMinutes(5)));
    status("alice");
    clock.advance(Duration.ofMinutes(4));
    status("bob");

    clock.advance(Duration.ofMinutes(2));

    assertThat(anomalies.inventory()).extracting(ConsumerSnapshot::consumer).containsExactly("bob");
  }

  @Test
  void readingTheInventoryDoesNotKeepAnIdleConsumer() {
    Anomalies anomalies = start(detection().idleEviction(Duration.ofMinutes(5)));
    status("alice");

    for (int minute = 0; minute < 6; minute++) {
      clock.advance(Duration.ofMinutes(1));
      anomalies.inventory(); // a dashboard polling it
      anomalies.consumer("alice");
    }

    assertThat(anomalies.inventory()).isEmpty();
    assertThat(anomalies.consumer("alice")).isEmpty();
  }

  @Test
  void theInventoryListsTheMostSevereFirst() {
    Anomalies anomalies = start(detection());
    status("carol");
    status("alice");
    anomalies.block("bob", "abuse report", Duration.ofMinutes(1));

    assertThat(anomalies.inventory())
        .extracting(ConsumerSnapshot::consumer)
        .containsExactly("bob", "alice", "carol");
    assertThat(anomalies.consumer("nobody")).isEmpty();
  }

  @Test
  void manyThreadsCountEveryCallAndTripOneTransition() throws Exception {
    Anomalies anomalies = start(detection());
    warmUp("alice");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    AtomicInteger admitted = new AtomicInteger();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 250; i++) {
                    if (status("alice") == 200) {
                      admitted.incrementAndGet();
                    }
                    status("worker-" + thread);
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }

    assertThat(transitionsOf("alice"))
        .singleElement()
        .satisfies(t -> assertThat(t.to()).isEqualTo(ConsumerState.THROTTLED));
    assertThat(transitions).hasSize(1); // the workers are in their warm-up
    // 2,000 calls in one frozen instant: counted to the last one (the previous bucket weighs 1).
    assertThat(snapshot(anomalies, "alice").recent(AnomalySignal.REQUEST_RATE))
        .isCloseTo((2_000 + 5) * 6.0, within(1e-6));
    assertThat(snapshot(anomalies, "worker-3").recent(AnomalySignal.REQUEST_RATE))
        .isCloseTo(250 * 6.0, within(1e-6));
    // Up to the trip (sliding count above 15), one bucket's worth, and the calls in flight.
    assertThat(admitted.get()).isBetween(10, 30);
    assertThat(events).hasSize(6 * 5 + 4_000);
  }

  @Test
  void settingsAreCheckedAsTheyAreMade() {
    AnomalyDetection.Builder b = AnomalyDetection.builder();
    assertThatThrownBy(() -> b.bucket(Duration.ofMillis(10)))
        .hasMessage("bucket must be between 1 s and 1 h but was PT0.01S");
    assertThatThrownBy(() -> b.minSamples(1))
        .hasMessageContaining("minSamples must be >= 2")
        .hasMessageContaining("but was 1");
    assertThatThrownBy(() -> b.sensitivity(AnomalySignal.TOKEN_RATE, 3, 0.5))
        .hasMessage("ratio of TOKEN_RATE must be finite and >= 1 but was 0.5");
    assertThatThrownBy(() -> b.floor(AnomalySignal.ERROR_RATE, 2))
        .hasMessage("floor of ERROR_RATE must be between 0 and 1 but was 2.0");
    assertThatThrownBy(() -> b.throttleFactor(0))
        .hasMessage("throttleFactor must be above 0 and at most 100 but was 0.0");
    assertThatThrownBy(() -> b.releaseFraction(1.5))
        .hasMessage("releaseFraction must be between 0 and 1 but was 1.5");
    assertThatThrownBy(() -> b.signals()).hasMessageContaining("at least one signal");
    Anomalies anomalies = start(detection());
    assertThatThrownBy(() -> anomalies.block("alice", " ", Duration.ofMinutes(1)))
        .hasMessage("reason must be non-blank but was ' '");
    assertThatThrownBy(() -> anomalies.block("alice", "x", Duration.ZERO))
        .hasMessageContaining("duration must be between 1 ms and");
    assertThatThrownBy(() -> AiGateway.builder().build().anomalies())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("anomalyDetection");
  }

  @Test
  void onlyTheConfiguredSignalsAreLearnt() {
    Anomalies anomalies = start(detection().signals(AnomalySignal.REQUEST_RATE));
    warmUp("alice");

    assertThat(snapshot(anomalies, "alice").signals()).containsOnlyKeys(AnomalySignal.REQUEST_RATE);
  }
}
