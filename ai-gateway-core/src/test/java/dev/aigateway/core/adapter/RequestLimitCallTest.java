package dev.aigateway.core.adapter;

import static dev.aigateway.core.adapter.ScriptedSender.events;
import static dev.aigateway.core.adapter.ScriptedSender.json;
import static dev.aigateway.core.adapter.ScriptedSender.status;
import static dev.aigateway.core.adapter.ScriptedSender.text;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Caller;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.TokenLimitExceededException;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Request rates, request quotas and in-flight caps, driven as an adapter drives a call: the
 * rejections they answer, what the event says, and that an in-flight slot is freed exactly once
 * however the call ends.
 */
class RequestLimitCallTest {

  private static final String URL = "http://app.test/v1/chat/completions";
  private static final String CHAT =
      "{\"model\":\"gpt-4o\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String STREAMED_CHAT = CHAT.replace("}]}", "}],\"stream\":true}");
  private static final String ANSWER =
      "{\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"message\":{\"role\":\"assistant\",\"content\":\"hello\"}}],"
          + "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2,\"total_tokens\":10}}";
  private static final String STREAM =
      "data: {\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}\n\n"
          + "data: {\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"delta\":{\"content\":\"lo\"}}],\"usage\":null}\n\n"
          + "data: [DONE]\n\n";

  private final ManualClock clock = ManualClock.at("2026-06-01T10:00:00Z");
  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private final ScriptedSender sender = new ScriptedSender();

  /** A gateway on the test's clock that reports its events to {@link #events}. */
  private AiGateway.Builder gatewayBuilder() {
    return AiGateway.builder().clock(clock).listener(events::add);
  }

  private AiGateway gateway(TokenLimit.Builder... limits) {
    AiGateway.Builder builder = gatewayBuilder();
    for (TokenLimit.Builder limit : limits) {
      builder.tokenLimit(limit);
    }
    return builder.build();
  }

  private static GovernedCall begin(AiGateway gateway) {
    return begin(gateway, CHAT);
  }

  private static GovernedCall begin(AiGateway gateway, String body) {
    return gateway.begin(
        gateway.match("POST", "/v1/chat/completions"), PostedRequest.of(URL, body));
  }

  private static void readWhole(InputStream body) throws IOException {
    body.readAllBytes();
    body.close();
  }

  /** Sends an admitted call through the loop with the sender's script for the direct route. */
  private AttemptLoop.Answer<ScriptedSender.Reply> send(GovernedCall call) throws IOException {
    return new AttemptLoop<>(call, sender, pause -> {}).run();
  }

  /**
   * Begins a call, sees it admitted, has the direct route answer it with {@link #ANSWER} and reads
   * the answer whole, so that the call is settled.
   */
  private void answeredCall(AiGateway gateway) throws IOException {
    sender.on(null, json(ANSWER));
    GovernedCall call = begin(gateway);
    assertThat(call.admit().admitted()).isTrue();
    readWhole(send(call).body());
  }

  /** A script whose backend cannot be connected to: the request reaches no backend. */
  private static ScriptedSender.Script refusingToConnect() {
    return plan -> {
      throw new ConnectException("refused");
    };
  }

  /**
   * A gateway with one request a minute per consumer, over backends "a" and "b" tried in turn (two
   * attempts at most).
   */
  private AiGateway oneRequestPerMinuteFailingOverFromAToB() {
    return gatewayBuilder()
        .tokenLimit(TokenLimit.perConsumer().requestsPerMinute(1))
        .backendPool(
            BackendPool.builder()
                .backend(Backend.openAiCompatible("a", "http://a.test/"))
                .backend(Backend.openAiCompatible("b", "http://b.test/"))
                .failover(Failover.builder().maxAttempts(2).build()))
        .build();
  }

  private GatewayEvent lastEvent() {
    return events.get(events.size() - 1);
  }

  @Test
  void requestRateAnswers429WithTheWaitUntilOneRequestFits() throws IOException {
    AiGateway gateway = gateway(TokenLimit.perConsumer().requestsPerMinute(3));
    for (int i = 0; i < 3; i++) {
      answeredCall(gateway);
    }

    Rejection rejection = begin(gateway).admit().rejection();

    assertThat(rejection.status()).isEqualTo(429);
    assertThat(rejection.reason()).isEqualTo(RejectionReason.REQUEST_RATE_LIMIT);
    // 3 per minute refill one every 20 s.
    assertThat(rejection.headers())
        .containsEntry("retry-after", "20")
        .containsEntry("x-ai-gateway-rejected", "request-rate-limit");
    String body = new String(rejection.body(), UTF_8);
    assertThat(body)
        .contains("\"type\":\"requests\"")
        .contains("\"code\":\"rate_limit_exceeded\"")
        .contains("Request rate limit 'consumer' (3 requests per PT1M) exceeded for 'anonymous'");
    assertThat(rejection.exception())
        .isInstanceOfSatisfying(
            TokenLimitExceededException.class,
            e -> {
              assertThat(e.limitName()).isEqualTo("consumer");
              assertThat(e.requestedTokens()).isEqualTo(1);
              assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(20));
            });
    GatewayEvent event = lastEvent();
    assertThat(event.rejection()).isEqualTo(RejectionReason.REQUEST_RATE_LIMIT);
    assertThat(event.limits().rejectedLimit()).isEqualTo("consumer");
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.REJECTED);

    clock.advance(Duration.ofSeconds(20));
    assertThat(begin(gateway).admit().admitted()).isTrue();
  }

  @Test
  void aCallNoBackendAnsweredGivesItsRequestBack() throws IOException {
    AiGateway gateway = gateway(TokenLimit.perConsumer().requestsPerMinute(1));
    sender.on(null, refusingToConnect());
    GovernedCall failed = begin(gateway);
    failed.admit();
    assertThatThrownBy(() -> send(failed)).isInstanceOf(ConnectException.class);

    GatewayEvent event = lastEvent();
    assertThat(event.limits().reservedRequests()).isEqualTo(1);
    assertThat(event.limits().settledRequests()).isZero();
    assertThat(begin(gateway).admit().admitted()).isTrue();
  }

  @Test
  void theEventShowsRequestChargesAndInFlightSlotsNextToTokens() throws IOException {
    AiGateway gateway =
        gateway(
            TokenLimit.perConsumer()
                .tokensPerMinute(10_000)
                .requestsPerMinute(60)
                .maxInFlight(4)
                .remainingRequestsHeader("x-remaining-requests")
                .remainingTokensHeader("x-remaining-tokens"));
    sender.on(null, json(ANSWER));
    GovernedCall call = begin(gateway);
    Admission admission = call.admit();
    readWhole(send(call).body());

    assertThat(admission.responseHeaders())
        .containsEntry("x-remaining-requests", "59")
        .containsKey("x-remaining-tokens");
    GatewayEvent event = lastEvent();
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
    assertThat(event.limits().settledTokens()).isEqualTo(10);
    assertThat(event.limits().reservedRequests()).isEqualTo(1);
    assertThat(event.limits().settledRequests()).isEqualTo(1);
    assertThat(event.limits().inFlightSlots()).isEqualTo(1);
  }

  @Test
  void aRemainingHeaderThatSeveralCountersNameSaysTheSmallestRemaining() throws IOException {
    // The application is told what it can still spend: the tighter counter, whatever the order.
    AiGateway gateway =
        gateway(
            TokenLimit.perConsumer()
                .name("own")
                .tokensPerMinute(200)
                .remainingTokensHeader("x-remaining-tokens"),
            TokenLimit.global()
                .name("team")
                .tokensPerMinute(500)
                .quota(1_000_000, QuotaPeriod.MONTHLY)
                .remainingTokensHeader("x-remaining-tokens")
                .remainingQuotaHeader("x-remaining-tokens"));

    Admission admission = begin(gateway).admit();

    assertThat(admission.admitted()).isTrue();
    long charged = 200 - Long.parseLong(admission.responseHeaders().get("x-remaining-tokens"));
    assertThat(charged).isPositive().isLessThan(200);
  }

  @Test
  void aLimitOfRequestsAloneReservesNoTokens() throws IOException {
    AiGateway gateway = gateway(TokenLimit.perConsumer().requestsPerSecond(5));
    answeredCall(gateway);

    assertThat(lastEvent().limits().reservedTokens()).isZero();
    assertThat(lastEvent().limits().settledTokens()).isZero();
    assertThat(lastEvent().limits().settledRequests()).isEqualTo(1);
  }

  @Test
  void tokenAndRequestCountersAreReservedAllOrNothing() throws IOException {
    // Each call reserves its prompt + 100 output tokens; 150 tokens hold one such reservation.
    AiGateway gateway =
        gateway(
            TokenLimit.perConsumer().name("rpm").requestsPerMinute(2),
            TokenLimit.perConsumer().name("tpm").tokensPerMinute(150));
    sender.on(null, json(ANSWER));
    GovernedCall first = begin(gateway);
    assertThat(first.admit().admitted()).isTrue();

    Rejection byTokens = begin(gateway).admit().rejection();
    assertThat(byTokens.reason()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);

    readWhole(send(first).body()); // settles the first call to its 10 tokens
    // The rejected call took no request: the second of two still fits, a third does not (its
    // tokens fit once the second is settled to its 10 as well).
    GovernedCall second = begin(gateway);
    assertThat(second.admit().admitted()).isTrue();
    readWhole(send(second).body());
    Rejection byRequests = begin(gateway).admit().rejection();
    assertThat(byRequests.reason()).isEqualTo(RejectionReason.REQUEST_RATE_LIMIT);
    assertThat(lastEvent().limits().rejectedLimit()).isEqualTo("rpm");
  }

  @Test
  void aSpentRequestQuotaAnswersTheGatewaysQuotaStatusUntilTheWindowEnds() throws IOException {
    AiGateway gateway =
        gatewayBuilder()
            .quotaRejectionStatus(429)
            .tokenLimit(TokenLimit.perConsumer().requestQuota(1, QuotaPeriod.DAILY))
            .build();
    answeredCall(gateway);

    Rejection rejection = begin(gateway).admit().rejection();

    assertThat(rejection.status()).isEqualTo(429);
    assertThat(rejection.reason()).isEqualTo(RejectionReason.REQUEST_QUOTA);
    // 10:00 UTC: the day ends in 14 hours.
    assertThat(rejection.headers()).containsEntry("retry-after", String.valueOf(14 * 3600));
    assertThat(new String(rejection.body(), UTF_8))
        .contains("insufficient_quota")
        .contains("Request quota 'consumer' (1 requests daily) is spent for 'anonymous'");
    clock.advance(Duration.ofHours(14));
    assertThat(begin(gateway).admit().admitted()).isTrue();
  }

  @Test
  void aClientThatWaitsTheAnsweredRetryAfterIsAdmittedWhenTheWaitHasAPartOfAMillisecond()
      throws IOException {
    // One request every 1.5 ms: the second call right after the first waits 1.5 ms.
    AiGateway gateway =
        gateway(TokenLimit.perConsumer().requestsPer(1, Duration.ofNanos(1_500_000)));
    answeredCall(gateway);

    Rejection rejection = begin(gateway).admit().rejection();

    assertThat(rejection.reason()).isEqualTo(RejectionReason.REQUEST_RATE_LIMIT);
    // A client honouring retry-after-ms (the OpenAI SDKs do) waits that long and is admitted.
    long waitMillis = Long.parseLong(rejection.headers().get("retry-after-ms"));
    clock.advance(Duration.ofMillis(waitMillis));
    assertThat(begin(gateway).admit().admitted())
        .as("a call after retry-after-ms: %s ms", waitMillis)
        .isTrue();
    // Retry-After in whole seconds, rounded up from the same wait.
    assertThat(rejection.headers())
        .containsEntry("retry-after-ms", "2")
        .containsEntry("retry-after", "1");
  }

  @Test
  void twoBusyRatesAnswerTheWaitUntilBothAdmitTheCall() throws IOException {
    // The consumer's rate frees a request in 1 s, the global one in 60 s: the call fits in 60 s.
    AiGateway gateway =
        gateway(
            TokenLimit.perConsumer().requestsPerSecond(1),
            TokenLimit.global().name("all-rpm").requestsPerMinute(1));
    answeredCall(gateway);

    Rejection rejection = begin(gateway).admit().rejection();

    assertThat(rejection.reason()).isEqualTo(RejectionReason.REQUEST_RATE_LIMIT);
    assertThat(rejection.headers())
        .containsEntry("retry-after", "60")
        .containsEntry("retry-after-ms", "60000");
    clock.advance(Duration.ofSeconds(59));
    assertThat(begin(gateway).admit().admitted()).isFalse();
    clock.advance(Duration.ofSeconds(1));
    assertThat(begin(gateway).admit().admitted()).isTrue();
  }

  @Test
  void aRetryAfterJustOverWholeSecondsRoundsUpToTheNextSecond() throws IOException {
    // One request every 1.0005 s: Retry-After 1 would send the client back 0.5 ms early.
    AiGateway gateway =
        gateway(TokenLimit.perConsumer().requestsPer(1, Duration.ofNanos(1_000_500_000)));
    answeredCall(gateway);

    Rejection rejection = begin(gateway).admit().rejection();

    long waitSeconds = Long.parseLong(rejection.headers().get("retry-after"));
    clock.advance(Duration.ofSeconds(waitSeconds));
    assertThat(begin(gateway).admit().admitted())
        .as("a call after Retry-After: %s s", waitSeconds)
        .isTrue();
    assertThat(rejection.headers())
        .containsEntry("retry-after", "2")
        .containsEntry("retry-after-ms", "1001");
  }

  @Test
  void aSpentRequestQuotaIs403ByDefault() throws IOException {
    AiGateway gateway = gateway(TokenLimit.perConsumer().requestQuota(1, QuotaPeriod.HOURLY));
    answeredCall(gateway);

    assertThat(begin(gateway).admit().rejection().status()).isEqualTo(403);
  }

  @Test
  void theInFlightCapAnswers429WithAShortRetryAfter() {
    AiGateway gateway = gateway(TokenLimit.perConsumer().maxInFlight(2));
    assertThat(begin(gateway).admit().admitted()).isTrue();
    assertThat(begin(gateway).admit().admitted()).isTrue();

    Rejection rejection = begin(gateway).admit().rejection();

    assertThat(rejection.status()).isEqualTo(429);
    assertThat(rejection.reason()).isEqualTo(RejectionReason.IN_FLIGHT_LIMIT);
    assertThat(rejection.headers())
        .containsEntry("retry-after", "1")
        .containsEntry("retry-after-ms", "1000")
        .containsEntry("x-ai-gateway-rejected", "in-flight-limit");
    assertThat(new String(rejection.body(), UTF_8))
        .contains("\"code\":\"in_flight_limit_exceeded\"")
        .contains("In-flight limit 'consumer' (2 calls at once) reached for 'anonymous'");
    assertThat(lastEvent().rejection()).isEqualTo(RejectionReason.IN_FLIGHT_LIMIT);
    assertThat(TokenLimit.IN_FLIGHT_RETRY_AFTER).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aLimitOnlyForAConsumerAppliesToItsIdResolvedWithSurroundingSpace() {
    // A token's sub claim, or a principal's name, written "team-a " is the consumer team-a: the
    // limit only for team-a holds it, as a header-resolved "team-a" is held.
    TokenLimit gold =
        TokenLimit.perConsumer().name("gold").maxInFlight(1).onlyFor("team-a").build();
    List<AiGateway> gateways =
        List.of(
            gatewayBuilder()
                .callerResolver(request -> Caller.of("team-a ", Set.of()))
                .tokenLimit(gold)
                .build(),
            gatewayBuilder().consumerKey(request -> " team-a").tokenLimit(gold).build());

    for (AiGateway gateway : gateways) {
      assertThat(begin(gateway).admit().admitted()).isTrue();
      Rejection second = begin(gateway).admit().rejection();
      assertThat(second).isNotNull();
      assertThat(second.reason()).isEqualTo(RejectionReason.IN_FLIGHT_LIMIT);
      assertThat(new String(second.body(), UTF_8)).contains("reached for 'team-a'");
      assertThat(lastEvent().consumer()).isEqualTo("team-a");
      assertThat(lastEvent().limits().counterKeys()).containsEntry("gold", "team-a");
    }
  }

  /** The ways an admitted call can end. */
  enum Ending {
    BODY_READ,
    JSON_CLOSED_UNREAD,
    STREAM_CLOSED_EARLY,
    BACKEND_ERROR_STATUS,
    CONNECT_FAILURE,
    CLIENT_EXCEPTION,
    FAILED_BEFORE_SENDING
  }

  @ParameterizedTest
  @EnumSource(Ending.class)
  void anInFlightSlotIsFreedExactlyOnceHoweverTheCallEnds(Ending ending) throws IOException {
    AiGateway gateway = gateway(TokenLimit.perConsumer().maxInFlight(1));
    GovernedCall call = begin(gateway, ending == Ending.STREAM_CLOSED_EARLY ? STREAMED_CHAT : CHAT);
    assertThat(call.admit().admitted()).isTrue();
    assertThat(begin(gateway).admit().rejection().reason())
        .isEqualTo(RejectionReason.IN_FLIGHT_LIMIT);

    switch (ending) {
      case BODY_READ -> {
        sender.on(null, json(ANSWER));
        readWhole(send(call).body());
      }
      case JSON_CLOSED_UNREAD -> {
        sender.on(null, json(ANSWER));
        InputStream body = send(call).body();
        body.close();
        body.close();
      }
      case STREAM_CLOSED_EARLY -> {
        sender.on(null, events(text(STREAM)));
        InputStream body = send(call).body();
        assertThat(body.read()).isNotEqualTo(-1);
        body.close();
      }
      case BACKEND_ERROR_STATUS -> {
        sender.on(null, status(500));
        AttemptLoop.Answer<ScriptedSender.Reply> answer = send(call);
        assertThat(answer.response().status).isEqualTo(500);
      }
      case CONNECT_FAILURE -> {
        sender.on(null, refusingToConnect());
        assertThatThrownBy(() -> send(call)).isInstanceOf(IOException.class);
      }
      case CLIENT_EXCEPTION -> {
        sender.on(null, ScriptedSender.throwing(new IllegalStateException("client bug")));
        assertThatThrownBy(() -> send(call)).isInstanceOf(IOException.class);
      }
      case FAILED_BEFORE_SENDING -> {
        call.failed(new IOException("cancelled before sending"));
        call.failed(new IOException("reported twice"));
      }
    }

    assertThat(events.stream().filter(e -> e.outcome() != CallOutcome.REJECTED))
        .singleElement()
        .satisfies(e -> assertThat(e.limits().inFlightSlots()).isEqualTo(1));
    // Freed once: one call fits again, and only one (a slot freed twice would admit two).
    assertThat(begin(gateway).admit().admitted()).isTrue();
    assertThat(begin(gateway).admit().rejection().reason())
        .isEqualTo(RejectionReason.IN_FLIGHT_LIMIT);
  }

  @Test
  void anInFlightSlotIsFreedWhenTheCacheAnswersAfterTheLimits() throws IOException {
    AiGateway gateway =
        gatewayBuilder()
            .tokenLimit(TokenLimit.perConsumer().maxInFlight(1))
            .responseCache(ResponseCache.builder())
            .build();
    answeredCall(gateway);

    Admission hit = begin(gateway).admit();

    assertThat(hit.cachedAnswer()).isNotNull();
    assertThat(begin(gateway).admit().cachedAnswer()).isNotNull();
  }

  @Test
  void anInFlightSlotIsFreedAndTheCallReportedWhenTheCacheStoreFailsWithAnError()
      throws IOException {
    // A store of the application's that fails with an Error (not a RuntimeException) as the
    // answer is stored, at the call's end.
    dev.aigateway.api.spi.ResponseCacheStore failing =
        new dev.aigateway.api.spi.ResponseCacheStore() {
          @Override
          public java.util.Optional<dev.aigateway.api.spi.CachedResponse> get(
              String partition, String key) {
            return java.util.Optional.empty();
          }

          @Override
          public void put(
              String partition, String key, dev.aigateway.api.spi.CachedResponse response) {
            throw new AssertionError("the store's own defect");
          }

          @Override
          public void remove(String partition, String key) {}
        };
    AiGateway gateway =
        gatewayBuilder()
            .tokenLimit(TokenLimit.perConsumer().maxInFlight(1))
            .responseCache(ResponseCache.builder().store(failing))
            .build();
    answeredCall(gateway);

    assertThat(events).hasSize(1);
    assertThat(lastEvent().outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(begin(gateway).admit().admitted()).as("the slot was freed").isTrue();
  }

  @Test
  void anInFlightSlotIsFreedWhenRoutingRefusesTheCallAfterTheLimits() throws IOException {
    AiGateway gateway =
        gatewayBuilder()
            .tokenLimit(TokenLimit.perConsumer().maxInFlight(2))
            .backendPool(
                BackendPool.builder()
                    .backend(Backend.openAiCompatible("a", "http://a.test/").maxInFlight(1)))
            .build();
    sender.on("a", json(ANSWER));
    GovernedCall first = begin(gateway);
    GovernedCall second = begin(gateway);
    assertThat(first.admit().admitted()).isTrue();
    assertThat(second.admit().admitted()).isTrue(); // the backend's slot is not taken yet
    AttemptLoop.Answer<ScriptedSender.Reply> sent = send(first);

    AttemptLoop.Answer<ScriptedSender.Reply> refused = send(second);

    assertThat(refused.rejection().reason()).isEqualTo(RejectionReason.NO_BACKEND_AVAILABLE);
    assertThat(lastEvent().limits().inFlightSlots()).isEqualTo(1);
    // The second call's slot is free again; the first still holds its own.
    readWhole(sent.body());
    GovernedCall third = begin(gateway);
    GovernedCall fourth = begin(gateway);
    assertThat(third.admit().admitted()).isTrue();
    assertThat(fourth.admit().admitted()).isTrue();
    assertThat(begin(gateway).admit().rejection().reason())
        .isEqualTo(RejectionReason.IN_FLIGHT_LIMIT);
  }

  @Test
  void aCallABackendAnsweredKeepsItsRequestWhenALaterAttemptFails() throws IOException {
    AiGateway gateway = oneRequestPerMinuteFailingOverFromAToB();
    sender
        .on("a", status(503)) // answered: the request reached a backend
        .on("b", refusingToConnect());
    GovernedCall call = begin(gateway);
    assertThat(call.admit().admitted()).isTrue();
    assertThatThrownBy(() -> send(call)).isInstanceOf(ConnectException.class);

    GatewayEvent event = lastEvent();
    assertThat(event.routing().attempts()).hasSize(2);
    assertThat(event.limits().reservedRequests()).isEqualTo(1);
    assertThat(event.limits().settledRequests()).isEqualTo(1);
    assertThat(begin(gateway).admit().rejection().reason())
        .isEqualTo(RejectionReason.REQUEST_RATE_LIMIT);
  }

  @Test
  void aCallWhoseStreamABackendAnsweredKeepsItsRequestWhenItFailsOverAndTheNextAttemptFails()
      throws IOException {
    AiGateway gateway = oneRequestPerMinuteFailingOverFromAToB();
    sender
        // answered 200: the request reached a backend, whose stream then ended before any event
        .on("a", events(text(": keep-alive\n\n")))
        .on("b", refusingToConnect());
    GovernedCall call = begin(gateway, STREAMED_CHAT);
    assertThat(call.admit().admitted()).isTrue();
    assertThatThrownBy(() -> send(call)).isInstanceOf(ConnectException.class);

    GatewayEvent event = lastEvent();
    assertThat(event.routing().attempts()).hasSize(2);
    assertThat(event.limits().settledRequests()).isEqualTo(1);
    assertThat(begin(gateway).admit().rejection().reason())
        .isEqualTo(RejectionReason.REQUEST_RATE_LIMIT);
  }
}
