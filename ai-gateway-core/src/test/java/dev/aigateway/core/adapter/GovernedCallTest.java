package dev.aigateway.core.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Operation;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.AttemptPlan;
import dev.aigateway.core.pipeline.Rejection;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The orchestrator driven as an adapter drives it, without any HTTP client. */
class GovernedCallTest {

  private static final String URL = "https://api.example.com/v1/chat/completions";
  private static final String CHAT =
      "{\"model\":\"gpt-4o\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String ANSWER =
      "{\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"message\":{\"role\":\"assistant\",\"content\":\"hello\"}}],"
          + "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2,\"total_tokens\":10}}";

  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();

  private AiGateway.Builder gateway() {
    return AiGateway.builder().listener(events::add);
  }

  private static GovernedCall begin(AiGateway gateway) {
    return gateway.begin(
        new CallMatch(Operation.CHAT_COMPLETIONS, null), PostedRequest.of(URL, CHAT));
  }

  private static void readWhole(InputStream body) throws IOException {
    body.readAllBytes();
    body.close();
  }

  private static InputStream json(String body) {
    return new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aStageThatFailsEndsTheCallFailedWithOneEventAndAnIOExceptionForTheAdapter() {
    // An application's deny pattern that recurses on every character it repeats overflows the
    // stack on a long prompt, inside the content safety stage. Whatever a stage throws, the call
    // ends with one event, its reservation refunded, and the adapter is handed an IOException to
    // throw, never the stage's own failure.
    AiGateway gateway =
        gateway()
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000_000))
            .contentSafety(
                dev.aigateway.core.safety.ContentSafety.builder()
                    .denyPattern(
                        "repeats",
                        java.util.regex.Pattern.compile("(a|b)*c"),
                        dev.aigateway.core.safety.SafetyAction.BLOCK))
            .build();
    GovernedCall call =
        gateway.begin(
            new CallMatch(Operation.CHAT_COMPLETIONS, null),
            PostedRequest.of(URL, CHAT.replace("\"hi\"", "\"" + "a".repeat(200_000) + "\"")));

    org.assertj.core.api.Assertions.assertThatThrownBy(call::admit)
        .isInstanceOf(java.io.UncheckedIOException.class)
        .cause()
        .isInstanceOf(IOException.class)
        .hasMessageContaining("could not be admitted")
        .hasCauseInstanceOf(StackOverflowError.class);
    assertThat(events).hasSize(1);
    assertThat(events.get(0).outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(events.get(0).errorType()).isEqualTo(StackOverflowError.class.getName());

    // The gateway goes on: the next call is admitted and ends normally.
    GovernedCall next = begin(gateway);
    assertThat(next.admit().admitted()).isTrue();
    next.failed(new IOException("not sent in this test"));
    assertThat(events).hasSize(2);
  }

  @Test
  void aCallRefusedBeforeItsAdmissionEndsInOneFailedEventHoldingNoLimit() {
    // The adapter could not read the request's body (a duplex body, say): the call ends before
    // any stage admits it, with its one event, and takes no request and no in-flight slot.
    AiGateway gateway =
        gateway()
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000).requestsPerMinute(1))
            .tokenLimit(TokenLimit.global().maxInFlight(1))
            .build();

    begin(gateway).refused(new IOException("duplex"));

    assertThat(events).hasSize(1);
    GatewayEvent event = events.get(0);
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo(IOException.class.getName());
    assertThat(event.consumer()).isEqualTo(AiGateway.ANONYMOUS);
    assertThat(event.limits()).isEqualTo(dev.aigateway.api.LimitsInfo.NONE);
    assertThat(begin(gateway).admit().admitted()).isTrue();
  }

  @Test
  void answeredCallEndsInOneEventWithReportedUsageSettled() throws IOException {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000)).build();
    GovernedCall call = begin(gateway);

    Admission admission = call.admit();
    readWhole(call.observeResponse(200, "application/json", json(ANSWER), () -> false));

    assertThat(admission.admitted()).isTrue();
    assertThat(events).hasSize(1);
    GatewayEvent event = events.get(0);
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.limits().settledTokens()).isEqualTo(10);
    assertThat(event.limits().reservedTokens()).isGreaterThan(10);
    assertThat(event.limits().counterKeys()).containsEntry("consumer", AiGateway.ANONYMOUS);
  }

  @Test
  void settlementFreesTheUnusedReservationForTheNextCall() throws IOException {
    // Each call reserves its prompt + 100 output tokens; the bucket holds one such reservation,
    // so a second call fits only if the first was settled down to its 10 reported tokens.
    AiGateway gateway = gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(150)).build();
    GovernedCall first = begin(gateway);
    first.admit();
    readWhole(first.observeResponse(200, "application/json", json(ANSWER), () -> false));

    assertThat(begin(gateway).admit().admitted()).isTrue();
  }

  @Test
  void rejectedCallIsReportedWithTheGatewaysTimeAndNoLaterStage() {
    AiGateway gateway =
        gateway()
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(50))
            .responseCache(ResponseCache.builder())
            .build();

    Admission admission = begin(gateway).admit();

    assertThat(admission.admitted()).isFalse();
    assertThat(events)
        .singleElement()
        .satisfies(
            event -> {
              assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
              assertThat(event.rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
              assertThat(event.timing().gatewayTime()).isPositive();
              assertThat(event.cache().outcome()).isEqualTo(CacheOutcome.NONE);
            });
  }

  @Test
  void cacheHitIsReportedWithTheGatewaysTime() throws IOException {
    AiGateway gateway = gateway().responseCache(ResponseCache.builder()).build();
    GovernedCall first = begin(gateway);
    first.admit();
    readWhole(first.observeResponse(200, "application/json", json(ANSWER), () -> false));

    Admission hit = begin(gateway).admit();

    assertThat(hit.cachedAnswer()).isNotNull();
    assertThat(events).hasSize(2);
    assertThat(events.get(1).cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(events.get(1).timing().gatewayTime()).isPositive();
  }

  @Test
  void callThatCanNeverFitTellsClientsNotToRetry() {
    AiGateway gateway = gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(50)).build();

    Rejection rejection = begin(gateway).admit().rejection();

    assertThat(rejection.headers()).containsEntry("x-should-retry", "false");
    assertThat(new String(rejection.body(), StandardCharsets.UTF_8)).contains("can never fit");
  }

  @Test
  void aCallThatCanNeverFitOneLimitSaysSoWhileAnotherLimitIsOnlyBusy() {
    // The request rate is spent by the first call and refills in a minute; the second call asks
    // for more tokens than the token rate ever holds, so no wait lets it through.
    AiGateway gateway =
        gateway()
            .tokenLimit(TokenLimit.global().name("calls").requestsPerMinute(1))
            .tokenLimit(TokenLimit.perConsumer().name("tokens").tokensPerMinute(500))
            .build();
    assertThat(begin(gateway).admit().admitted()).isTrue(); // never settled: holds the request

    Rejection rejection =
        gateway
            .begin(
                new CallMatch(Operation.CHAT_COMPLETIONS, null),
                PostedRequest.of(URL, CHAT.replace("\"max_tokens\":100", "\"max_tokens\":5000")))
            .admit()
            .rejection();

    assertThat(rejection.reason()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
    assertThat(rejection.headers()).containsEntry("x-should-retry", "false");
    assertThat(new String(rejection.body(), StandardCharsets.UTF_8)).contains("can never fit");
    assertThat(events.get(events.size() - 1).limits().rejectedLimit()).isEqualTo("tokens");
  }

  @Test
  void aCallThatCanNeverFitARateIsNotToldToWaitForASpentQuota() {
    AiGateway gateway =
        gateway()
            .tokenLimit(TokenLimit.perConsumer().name("month").quota(5_500, QuotaPeriod.MONTHLY))
            .tokenLimit(TokenLimit.perModel().name("tokens").tokensPerMinute(1_000))
            .build();
    // Another model's call leaves less of the quota than the next call needs: the quota waits for
    // its next window, while the next call's model's rate can never hold its 5,000 tokens.
    String other = CHAT.replace("gpt-4o", "gpt-4o-mini").replace("100", "900");
    assertThat(
            gateway
                .begin(
                    new CallMatch(Operation.CHAT_COMPLETIONS, null), PostedRequest.of(URL, other))
                .admit()
                .admitted())
        .isTrue();

    Rejection rejection =
        gateway
            .begin(
                new CallMatch(Operation.CHAT_COMPLETIONS, null),
                PostedRequest.of(URL, CHAT.replace("\"max_tokens\":100", "\"max_tokens\":5000")))
            .admit()
            .rejection();

    assertThat(rejection.reason()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
    assertThat(rejection.headers()).containsEntry("x-should-retry", "false");
    assertThat(new String(rejection.body(), StandardCharsets.UTF_8)).contains("can never fit");
  }

  @Test
  void callThatMustWaitStaysRetryable() throws IOException {
    AiGateway gateway = gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(150)).build();
    begin(gateway).admit(); // reserves most of the bucket and is never settled

    Rejection rejection = begin(gateway).admit().rejection();

    assertThat(rejection).isNotNull();
    assertThat(rejection.headers()).doesNotContainKey("x-should-retry").containsKey("retry-after");
  }

  @Test
  void backendErrorRefundsAndEndsOnce() {
    AiGateway gateway = gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(150)).build();
    GovernedCall call = begin(gateway);
    call.admit();

    call.observeResponse(500, "application/json", json("{}"), () -> false);
    call.failed(new IOException("late"));

    assertThat(events)
        .singleElement()
        .satisfies(
            event -> {
              assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
              assertThat(event.limits().settledTokens()).isZero();
            });
    assertThat(begin(gateway).admit().admitted()).isTrue();
  }

  @Test
  void aSuccessStatusWhoseDocumentIsAnErrorEndsAsABackendErrorAndRefunds() throws IOException {
    AiGateway gateway = gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(150)).build();
    GovernedCall call = begin(gateway);
    call.admit();

    // Some OpenAI-compatible services and proxies answer a failure with a 200.
    readWhole(
        call.observeResponse(
            200,
            "application/json",
            json("{\"error\":{\"message\":\"upstream failed\",\"type\":\"server_error\"}}"),
            () -> false));

    assertThat(events)
        .singleElement()
        .satisfies(
            event -> {
              assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
              assertThat(event.status()).isEqualTo(200);
              assertThat(event.errorType()).isEqualTo("error-answer");
              assertThat(event.limits().settledTokens()).isZero();
            });
    assertThat(begin(gateway).admit().admitted()).isTrue();
  }

  @Test
  void aSuccessStatusWhoseDocumentIsAnErrorBesideUsageEndsAsABackendErrorChargedItsUsage()
      throws IOException {
    AiGateway gateway = gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(150)).build();
    GovernedCall call = begin(gateway);
    call.admit();

    // A proxy's failure that still reports what the backend counted.
    readWhole(
        call.observeResponse(
            200,
            "application/json",
            json(
                "{\"error\":{\"message\":\"upstream failed\",\"type\":\"server_error\"},"
                    + "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":0,"
                    + "\"total_tokens\":7}}"),
            () -> false));

    assertThat(events)
        .singleElement()
        .satisfies(
            event -> {
              assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
              assertThat(event.errorType()).isEqualTo("error-answer");
              assertThat(event.limits().settledTokens()).isEqualTo(7);
            });
  }

  @Test
  void failureWithoutResponseRefunds() {
    AiGateway gateway = gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(150)).build();
    GovernedCall call = begin(gateway);
    call.admit();

    call.failed(new ConnectException("refused"));

    assertThat(events)
        .singleElement()
        .satisfies(
            event -> {
              assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
              assertThat(event.errorType()).isEqualTo(ConnectException.class.getName());
            });
    assertThat(begin(gateway).admit().admitted()).isTrue();
  }

  /**
   * The gateway's time counts its own work (the request read, admission, the attempt's plan, the
   * end) and not the backend's: a slow backend's time shows in the latency alone. A JSON answer has
   * no time to its first chunk; a stream has one.
   */
  @Test
  void theGatewaysTimeLeavesTheBackendsOutAndOnlyAStreamHasATimeToItsFirstChunk()
      throws IOException {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100_000)).build();
    GovernedCall first = begin(gateway); // loads what a first call loads (the token encoding)
    first.admit();
    readWhole(first.observeResponse(200, "application/json", json(ANSWER), () -> false));
    events.clear();
    GovernedCall json = begin(gateway);
    json.admit();
    readWhole(AttemptLoop.send(json, new SlowBackend(ANSWER, "application/json")).body());

    String stream =
        "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
            + "\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n";
    GovernedCall streamed =
        gateway.begin(
            new CallMatch(Operation.CHAT_COMPLETIONS, null),
            PostedRequest.of(
                URL,
                "{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":"
                    + "[{\"role\":\"user\",\"content\":\"hi\"}]}"));
    streamed.admit();
    readWhole(AttemptLoop.send(streamed, new SlowBackend(stream, "text/event-stream")).body());

    assertThat(events).hasSize(2);
    for (GatewayEvent event : events) {
      assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(event.timing().gatewayTime()).isPositive().isLessThan(SlowBackend.TAKES);
      assertThat(event.timing().latency()).isGreaterThanOrEqualTo(SlowBackend.TAKES);
    }
    assertThat(events.get(0).timing().timeToFirstChunk()).isNull();
    assertThat(events.get(1).timing().timeToFirstChunk())
        .isNotNull()
        .isGreaterThanOrEqualTo(SlowBackend.TAKES)
        .isLessThanOrEqualTo(events.get(1).timing().latency());
  }

  /** Each call's event names the counter key its own consumer was charged under. */
  @Test
  void eachEventNamesItsOwnConsumersCounterKeyWhateverTheCallBefore() throws IOException {
    AiGateway gateway =
        gateway()
            .consumerKey(request -> request.model())
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000_000))
            .build();
    String[] consumers = {"a", "a", "b", "a", "b", "b", "c", "a"};
    for (String consumer : consumers) {
      GovernedCall call =
          gateway.begin(
              new CallMatch(Operation.CHAT_COMPLETIONS, null),
              PostedRequest.of(URL, CHAT.replace("gpt-4o", consumer)));
      call.admit();
      readWhole(call.observeResponse(200, "application/json", json(ANSWER), () -> false));
    }

    assertThat(events).hasSize(consumers.length);
    for (int i = 0; i < consumers.length; i++) {
      assertThat(events.get(i).limits().counterKeys())
          .as("call %d", i)
          .containsExactly(java.util.Map.entry("consumer", consumers[i]));
    }
  }

  /**
   * An admitted call's admission is timed with its first attempt's preparation; a call that gets no
   * attempt (an adapter that sends by itself, or a failure before sending) still has it counted,
   * once: the gateway's time is positive and within the call's latency.
   */
  @Test
  void admissionIsTimedWhetherOrNotAnAttemptFollows() throws IOException {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000_000)).build();
    GovernedCall answered = begin(gateway);
    answered.admit();
    readWhole(answered.observeResponse(200, "application/json", json(ANSWER), () -> false));
    GovernedCall failed = begin(gateway);
    failed.admit();
    failed.failed(new ConnectException("refused"));
    GovernedCall sent = begin(gateway);
    sent.admit();
    readWhole(AttemptLoop.send(sent, new SlowBackend(ANSWER, "application/json")).body());

    assertThat(events).hasSize(3);
    for (GatewayEvent event : events) {
      assertThat(event.timing().gatewayTime())
          .isPositive()
          .isLessThanOrEqualTo(event.timing().latency());
    }
    assertThat(events.get(2).timing().gatewayTime()).isLessThan(SlowBackend.TAKES);
  }

  /**
   * A backend that answers {@code body} after {@link #TAKES}: long enough that the gateway's own
   * time, first uses of a path included, stays below it on a loaded machine.
   */
  private static final class SlowBackend implements AttemptSender<byte[]> {
    static final java.time.Duration TAKES = java.time.Duration.ofSeconds(2);
    private final byte[] body;
    private final String contentType;

    SlowBackend(String body, String contentType) {
      this.body = body.getBytes(StandardCharsets.UTF_8);
      this.contentType = contentType;
    }

    @Override
    public byte[] send(AttemptPlan plan) throws IOException {
      try {
        Thread.sleep(TAKES.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException();
      }
      return body;
    }

    @Override
    public int status(byte[] response) {
      return 200;
    }

    @Override
    public String header(byte[] response, String name) {
      return name.equalsIgnoreCase("Content-Type") ? contentType : null;
    }

    @Override
    public InputStream body(byte[] response) {
      return new ByteArrayInputStream(response);
    }

    @Override
    public void readDeadline(byte[] response, java.time.Duration timeout) {}

    @Override
    public void discard(byte[] response) {}

    @Override
    public boolean canceled() {
      return false;
    }
  }

  @Test
  void failingListenerNeitherBreaksTheCallNorStopsOtherListeners() throws IOException {
    AiGateway gateway =
        AiGateway.builder()
            .listener(
                event -> {
                  throw new IllegalStateException("listener bug");
                })
            .listener(events::add)
            .build();
    GovernedCall call = begin(gateway);
    call.admit();

    readWhole(call.observeResponse(200, "application/json", json(ANSWER), () -> false));

    assertThat(events).hasSize(1);
  }
}
