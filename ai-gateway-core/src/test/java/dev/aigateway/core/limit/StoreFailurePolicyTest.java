package dev.aigateway.core.limit;

import static dev.aigateway.core.adapter.ScriptedSender.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayRejectedException;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.TokenLimitExceededException;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.adapter.AttemptLoop;
import dev.aigateway.core.adapter.GovernedCall;
import dev.aigateway.core.adapter.PostedRequest;
import dev.aigateway.core.adapter.ScriptedSender;
import dev.aigateway.core.limit.FaultyStore.Mode;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.telemetry.LoggingListener;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** What each store-failure policy does with a call its store cannot count, seen end to end. */
class StoreFailurePolicyTest {

  private static final String CHAT =
      "{\"model\":\"gpt-4o\",\"max_tokens\":100,\"messages\":"
          + "[{\"role\":\"user\",\"content\":\"Hi\"}]}";
  private static final String ANSWER =
      "{\"model\":\"gpt-4o\",\"choices\":[],\"usage\":"
          + "{\"prompt_tokens\":8,\"completion_tokens\":1,\"total_tokens\":9}}";

  /** What {@link #CHAT} reserves: its prompt estimate and its max_tokens. */
  private static final long RESERVED = 108;

  private final ManualClock clock = ManualClock.at("2026-06-01T10:00:00Z");
  private final FaultyStore store = new FaultyStore(clock);
  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();

  private AiGateway.Builder gateway(StoreFailurePolicy policy) {
    return AiGateway.builder()
        .clock(clock)
        .tokenLimitStore(store)
        .storeFailurePolicy(policy)
        .tokenLimit(
            TokenLimit.global()
                .tokensPerMinute(1_000)
                .remainingTokensHeader("x-remaining")
                .tokensConsumedHeader("x-consumed"))
        .listener(events::add);
  }

  private static GovernedCall begin(AiGateway gateway) {
    return gateway.begin(
        gateway.match("POST", "/v1/chat/completions"),
        PostedRequest.of("http://app.test/v1/chat/completions", CHAT));
  }

  /** Sends an admitted call to a backend answering {@link #ANSWER} and reads the answer. */
  private static void finish(GovernedCall call) throws IOException {
    InputStream body = AttemptLoop.send(call, new ScriptedSender().on(null, json(ANSWER))).body();
    body.transferTo(OutputStream.nullOutputStream());
    body.close();
  }

  private Admission call(AiGateway gateway) throws IOException {
    GovernedCall call = begin(gateway);
    Admission admission = call.admit();
    if (admission.admitted()) {
      finish(call);
    }
    return admission;
  }

  private GatewayEvent lastEvent() {
    assertThat(events).isNotEmpty();
    return events.get(events.size() - 1);
  }

  @Test
  void failOpenIsTheDefaultAndAdmitsTheCallUncounted() throws IOException {
    store.mode(Mode.THROWING);
    AiGateway gateway =
        AiGateway.builder()
            .clock(clock)
            .tokenLimitStore(store)
            .tokenLimit(TokenLimit.global().tokensPerMinute(1_000))
            .listener(events::add)
            .build();

    Admission admission = call(gateway);

    assertThat(admission.admitted()).isTrue();
    assertThat(lastEvent().outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(lastEvent().limits().outcome()).isEqualTo(LimitOutcome.STORE_FAILED);
    assertThat(lastEvent().limits().settledTokens()).isZero();
    assertThat(store.settlements).hasValue(0);
  }

  @Test
  void failClosedAnswers503InOpenAisErrorShapeWithRetryAfter() throws IOException {
    store.mode(Mode.THROWING);
    AiGateway gateway = gateway(StoreFailurePolicy.failClosed()).build();

    Admission admission = call(gateway);

    Rejection rejection = admission.rejection();
    assertThat(rejection).isNotNull();
    assertThat(rejection.status()).isEqualTo(503);
    assertThat(rejection.reason()).isEqualTo(RejectionReason.TOKEN_STORE_UNAVAILABLE);
    assertThat(rejection.headers())
        .containsEntry(Rejection.RETRY_AFTER, "5")
        .containsEntry(Rejection.RETRY_AFTER_MS, "5000")
        .containsEntry(Rejection.REJECTED_HEADER, "token-store-unavailable")
        .doesNotContainKeys("x-remaining", "x-consumed");
    JsonNode error = new ObjectMapper().readTree(rejection.body()).get("error");
    assertThat(error.get("type").asText()).isEqualTo("server_error");
    assertThat(error.get("code").asText()).isEqualTo("token_store_unavailable");
    assertThat(error.get("param").isNull()).isTrue();
    assertThat(error.get("message").asText())
        .contains("token limit store is unavailable")
        .contains("Retry after 5 s")
        .doesNotContain("secret");
  }

  @Test
  void aFailClosedCallIsRejectedInItsEventAndNothingIsCharged() throws IOException {
    store.mode(Mode.THROWING);

    call(gateway(StoreFailurePolicy.failClosed()).build());

    GatewayEvent event = lastEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(event.status()).isEqualTo(503);
    assertThat(event.rejection()).isEqualTo(RejectionReason.TOKEN_STORE_UNAVAILABLE);
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.STORE_FAILED);
    assertThat(event.limits().reservedTokens()).isZero();
    assertThat(event.limits().settledTokens()).isZero();
    assertThat(LoggingListener.format(event)).contains("limit=STORE_FAILED");
  }

  @Test
  void failClosedTakesItsRetryAfterAndCarriesItInTheException() throws IOException {
    store.mode(Mode.THROWING);

    Rejection rejection =
        call(gateway(StoreFailurePolicy.failClosed(Duration.ofMillis(1_500))).build()).rejection();

    assertThat(rejection.headers())
        .containsEntry(Rejection.RETRY_AFTER, "2")
        .containsEntry(Rejection.RETRY_AFTER_MS, "1500");
    GatewayRejectedException exception = rejection.exception();
    assertThat(exception).isNotInstanceOf(TokenLimitExceededException.class);
    assertThat(exception.reason()).isEqualTo(RejectionReason.TOKEN_STORE_UNAVAILABLE);
    assertThat(exception.status()).isEqualTo(503);
    assertThat(exception.retryAfter()).isEqualTo(Duration.ofMillis(1_500));
  }

  @Test
  void failClosedAdmitsCallsAsUsualWhileTheStoreIsHealthy() throws IOException {
    Admission admission = call(gateway(StoreFailurePolicy.failClosed()).build());

    assertThat(admission.admitted()).isTrue();
    assertThat(admission.responseHeaders()).containsEntry("x-remaining", "892");
    assertThat(lastEvent().limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
    assertThat(store.settlements).hasValue(1);
  }

  @Test
  void theFallbackAdmitsAtMostItsShareOfTheLimit() {
    store.mode(Mode.THROWING);
    AiGateway gateway = gateway(StoreFailurePolicy.fallBackToLocal(0.5)).build();

    // Calls that hold their reservations (not ended): 500 of the 1,000 tokens fit 4 of 108.
    List<Admission> admissions = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      admissions.add(begin(gateway).admit());
    }

    assertThat(admissions.subList(0, 4)).allMatch(Admission::admitted);
    assertThat(admissions.get(0).responseHeaders())
        .containsEntry("x-remaining", String.valueOf(500 - RESERVED))
        .containsEntry("x-consumed", String.valueOf(RESERVED));
    assertThat(admissions.get(3).responseHeaders())
        .containsEntry("x-remaining", String.valueOf(500 - 4 * RESERVED));
    Rejection rejection = admissions.get(4).rejection();
    assertThat(rejection.status()).isEqualTo(429);
    assertThat(rejection.reason()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
    assertThat(rejection.headers()).doesNotContainKey(Rejection.SHOULD_RETRY);
    assertThat(rejection.exception().getMessage())
        .contains("(500 tokens per PT1M)")
        .contains("68 left")
        .contains("local share of the limit");
    assertThat(((TokenLimitExceededException) rejection.exception()).limitName())
        .isEqualTo("global");
    GatewayEvent rejected = lastEvent();
    assertThat(rejected.limits().outcome()).isEqualTo(LimitOutcome.FALLBACK_REJECTED);
    assertThat(rejected.limits().rejectedLimit()).isEqualTo("global");
    assertThat(rejected.rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
  }

  @Test
  void fallbackReservationsSettleToTheFallbackAndTheEventSaysSo() throws IOException {
    store.mode(Mode.THROWING);
    AiGateway gateway = gateway(StoreFailurePolicy.fallBackToLocal(0.5)).build();

    call(gateway);
    Admission second = call(gateway);

    GatewayEvent event = events.get(0);
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.FALLBACK_SETTLED);
    assertThat(event.limits().reservedTokens()).isEqualTo(RESERVED);
    assertThat(event.limits().settledTokens()).isEqualTo(9);
    assertThat(LoggingListener.format(event)).contains("limit=FALLBACK_SETTLED");
    // The first call was settled to 9 in the fallback before the second reserved there.
    assertThat(second.responseHeaders())
        .containsEntry("x-remaining", String.valueOf(500 - 9 - RESERVED));
    assertThat(store.settlements).hasValue(0); // the store never saw them
  }

  @Test
  void aFallbackReservationSettlesToTheFallbackAfterTheStoreRecovers() throws IOException {
    store.failNext(1, Mode.THROWING);
    AiGateway gateway = gateway(StoreFailurePolicy.fallBackToLocal(0.5)).build();
    GovernedCall duringOutage = begin(gateway);
    assertThat(duringOutage.admit().admitted()).isTrue();

    Admission afterRecovery = call(gateway); // the store is healthy again
    finish(duringOutage);

    assertThat(afterRecovery.responseHeaders()).containsEntry("x-remaining", "892");
    assertThat(events).hasSize(2);
    assertThat(events.get(0).limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
    assertThat(events.get(1).limits().outcome()).isEqualTo(LimitOutcome.FALLBACK_SETTLED);
    assertThat(store.settlements).hasValue(1); // only the call the store reserved for
    assertThat(store.counters.reserve(global(0)).remaining()).containsExactly(991L);
  }

  @Test
  void theFallbackIsUsedOnlyForCallsTheStoreFailed() throws IOException {
    AiGateway gateway = gateway(StoreFailurePolicy.fallBackToLocal(0.5)).build();

    Admission admission = call(gateway);

    assertThat(admission.responseHeaders()).containsEntry("x-remaining", "892");
    assertThat(lastEvent().limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
  }

  @Test
  void theFallbackSharesQuotasToo() {
    store.mode(Mode.THROWING);
    AiGateway gateway =
        AiGateway.builder()
            .clock(clock)
            .tokenLimitStore(store)
            .storeFailurePolicy(StoreFailurePolicy.fallBackToLocal(0.25))
            .tokenLimit(TokenLimit.global().quota(1_000, QuotaPeriod.DAILY))
            .listener(events::add)
            .build();

    // A quarter of the daily 1,000 tokens (250) fits 2 calls of 108.
    assertThat(begin(gateway).admit().admitted()).isTrue();
    assertThat(begin(gateway).admit().admitted()).isTrue();
    Rejection third = begin(gateway).admit().rejection();

    assertThat(third.status()).isEqualTo(403);
    assertThat(third.exception().getMessage()).contains("(250 tokens daily)").contains("34 left");
    assertThat(lastEvent().limits().outcome()).isEqualTo(LimitOutcome.FALLBACK_REJECTED);
  }

  @Test
  void aFailingSettlementIsStillReportedAndTheCallWasCharged() throws IOException {
    store.settleFails(true);

    call(gateway(StoreFailurePolicy.fallBackToLocal(0.5)).build());

    assertThat(lastEvent().limits().outcome()).isEqualTo(LimitOutcome.SETTLE_FAILED);
    assertThat(store.settlements).hasValue(1);
  }

  @Test
  void sharesOfACapacityAreRoundedDownButNeverToZero() {
    assertThat(LocalFallback.sharedCapacity(1_000, 0.5)).isEqualTo(500);
    assertThat(LocalFallback.sharedCapacity(1_000, 1.0 / 3)).isEqualTo(333);
    assertThat(LocalFallback.sharedCapacity(100, 0.29)).isEqualTo(29);
    assertThat(LocalFallback.sharedCapacity(3, 0.1)).isEqualTo(1);
    assertThat(LocalFallback.sharedCapacity(Long.MAX_VALUE, 1)).isEqualTo(Long.MAX_VALUE);
    assertThat(LocalFallback.sharedCapacity(Long.MAX_VALUE, 0.5)).isEqualTo(Long.MAX_VALUE / 2);
  }

  @Test
  void policiesRefuseSettingsTheyCannotKeep() {
    for (double share : new double[] {0, -0.5, 1.5, Double.NaN}) {
      assertThatThrownBy(() -> StoreFailurePolicy.fallBackToLocal(share))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("share must be greater than 0 and at most 1")
          .hasMessageContaining(String.valueOf(share));
    }
    assertThatThrownBy(() -> StoreFailurePolicy.failClosed(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retryAfter must be positive")
        .hasMessageContaining("PT0S");
    assertThat(StoreFailurePolicy.failClosed().retryAfter())
        .isEqualTo(StoreFailurePolicy.DEFAULT_RETRY_AFTER);
    assertThat(StoreFailurePolicy.fallBackToLocal(0.25))
        .isEqualTo(StoreFailurePolicy.fallBackToLocal(0.25))
        .hasToString("StoreFailurePolicy{fallBackToLocal, share=0.25}");
  }

  /** A charge of {@code tokens} under the gateway's global limit, to read the store's counter. */
  private static List<LimitCharge> global(long tokens) {
    return List.of(
        new LimitCharge(
            TokenLimit.global().tokensPerMinute(1_000).build().specs().get(0), "*", tokens));
  }
}
