package dev.aigateway.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.aigateway.api.AnomalyFinding;
import dev.aigateway.api.AnomalySignal;
import dev.aigateway.api.Attempt;
import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.CacheInfo;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.ConsumerState;
import dev.aigateway.api.ConsumerTransition;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.LimitsInfo;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.RoutingInfo;
import dev.aigateway.api.StoreState;
import dev.aigateway.api.StoreTransition;
import dev.aigateway.api.UsageInfo;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The gateway's own meters: rejections, attempts, failovers, breakers, drift, gateway time. */
class GatewayMetersTest {

  private static final Instant AT = Instant.parse("2025-01-01T00:00:00Z");

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final GenAiMetrics metrics = GenAiMetrics.create(registry);

  private static Map<String, String> tags(Meter meter) {
    return meter.getId().getTags().stream().collect(Collectors.toMap(Tag::getKey, Tag::getValue));
  }

  private double rejections(String reason, String limit) {
    return registry
        .get("ai_gateway.rejections")
        .tag("reason", reason)
        .tag("limit", limit)
        .counter()
        .count();
  }

  private double breakerState(String backend) {
    return registry.get("ai_gateway.breaker.state").tag("backend", backend).gauge().value();
  }

  private static Attempt attempt(String backend, int status) {
    return new Attempt(backend, status, null, Duration.ofMillis(50));
  }

  @Test
  void rejectionsAreCountedByReasonAndLimit() {
    metrics.onEvent(Events.rejected(RejectionReason.TOKEN_RATE_LIMIT, "per-consumer").build());
    metrics.onEvent(Events.rejected(RejectionReason.TOKEN_RATE_LIMIT, "per-consumer").build());
    metrics.onEvent(Events.rejected(RejectionReason.TOKEN_QUOTA, "monthly").build());

    assertThat(rejections("token-rate-limit", "per-consumer")).isEqualTo(2);
    assertThat(rejections("token-quota", "monthly")).isEqualTo(1);
    assertThat(tags(registry.get("ai_gateway.rejections").tag("limit", "monthly").counter()))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "gen_ai.operation.name", "chat",
                "gen_ai.provider.name", "openai",
                "gen_ai.request.model", "gpt-4o",
                "reason", "token-quota",
                "limit", "monthly"));
  }

  @Test
  void requestLimitRejectionsAreCountedUnderTheirOwnReasons() {
    metrics.onEvent(Events.rejected(RejectionReason.REQUEST_RATE_LIMIT, "consumer").build());
    metrics.onEvent(Events.rejected(RejectionReason.REQUEST_RATE_LIMIT, "consumer").build());
    metrics.onEvent(Events.rejected(RejectionReason.REQUEST_QUOTA, "consumer").build());
    metrics.onEvent(Events.rejected(RejectionReason.IN_FLIGHT_LIMIT, "consumer").build());
    metrics.onEvent(Events.rejected(RejectionReason.TOKEN_RATE_LIMIT, "consumer").build());

    assertThat(rejections("request-rate-limit", "consumer")).isEqualTo(2);
    assertThat(rejections("request-quota", "consumer")).isEqualTo(1);
    assertThat(rejections("in-flight-limit", "consumer")).isEqualTo(1);
    assertThat(rejections("token-rate-limit", "consumer")).isEqualTo(1);
  }

  @Test
  void accessDenialsAndRefusedCredentialsAreCountedLikeEveryRejection() {
    metrics.onEvent(
        Events.rejected(RejectionReason.ACCESS_DENIED, null)
            .access(
                new dev.aigateway.api.AccessInfo(
                    dev.aigateway.api.AccessInfo.Decision.DENIED,
                    "role:analyst",
                    dev.aigateway.api.AccessCheck.MODEL))
            .build());
    metrics.onEvent(Events.rejected(RejectionReason.INVALID_TOKEN, null).build());

    assertThat(rejections("access-denied", "none")).isEqualTo(1);
    assertThat(rejections("invalid-token", "none")).isEqualTo(1);
  }

  @Test
  void rejectionsWithoutALimitAreTaggedNone() {
    metrics.onEvent(Events.rejected(RejectionReason.NO_BACKEND_AVAILABLE, null).build());

    assertThat(rejections("no-backend-available", "none")).isEqualTo(1);
  }

  @Test
  void cacheLookupsAreCountedByOutcomeAndHitsRecordTheTokensSaved() {
    metrics.onEvent(
        Events.chat().cache(new CacheInfo(CacheOutcome.MISS, Double.NaN, null, 0)).build());
    metrics.onEvent(
        Events.chat()
            .usage(UsageInfo.NONE)
            .limits(Events.limits(1041, 0, LimitOutcome.SETTLED))
            .cache(new CacheInfo(CacheOutcome.EXACT_HIT, Double.NaN, null, 42))
            .build());
    metrics.onEvent(
        Events.chat()
            .usage(UsageInfo.NONE)
            .limits(Events.limits(1041, 0, LimitOutcome.SETTLED))
            .cache(new CacheInfo(CacheOutcome.SEMANTIC_HIT, 0.95, null, 8))
            .build());
    metrics.onEvent(
        Events.chat().cache(new CacheInfo(CacheOutcome.GUARDED_MISS, 0.93, "negation", 0)).build());

    assertThat(registry.get("ai_gateway.cache.lookups").tag("outcome", "miss").counter().count())
        .isEqualTo(1);
    assertThat(
            registry.get("ai_gateway.cache.lookups").tag("outcome", "exact_hit").counter().count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("ai_gateway.cache.lookups")
                .tag("outcome", "guarded_miss")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(registry.get("ai_gateway.cache.tokens.saved").summary().totalAmount()).isEqualTo(50);
    assertThat(registry.get("ai_gateway.cache.tokens.saved").summary().count()).isEqualTo(2);
    // Hits are refunded by design: they say nothing about how good reservations are.
    assertThat(
            registry.find("ai_gateway.reservation.drift").summaries().stream()
                .mapToLong(s -> s.count())
                .sum())
        .isEqualTo(2);
  }

  @Test
  void semanticScoresAreRecordedByOutcomeWhenTheCacheComparedAPrompt() {
    metrics.onEvent(Events.chat().cache(new CacheInfo(CacheOutcome.MISS, 0.61, null, 0)).build());
    metrics.onEvent(
        Events.chat().cache(new CacheInfo(CacheOutcome.MISS, Double.NaN, null, 0)).build());
    metrics.onEvent(
        Events.chat()
            .usage(UsageInfo.NONE)
            .limits(Events.limits(1041, 0, LimitOutcome.SETTLED))
            .cache(new CacheInfo(CacheOutcome.SEMANTIC_HIT, 0.95, null, 8))
            .build());
    metrics.onEvent(
        Events.chat()
            .cache(new CacheInfo(CacheOutcome.GUARDED_MISS, 0.93, "substitution", 0))
            .build());
    metrics.onEvent(
        Events.chat()
            .usage(UsageInfo.NONE)
            .limits(Events.limits(1041, 0, LimitOutcome.SETTLED))
            .cache(new CacheInfo(CacheOutcome.EXACT_HIT, Double.NaN, null, 42))
            .build());

    var miss = registry.get("ai_gateway.cache.semantic.score").tag("outcome", "miss").summary();
    assertThat(miss.count()).as("a miss that compared nothing records no score").isEqualTo(1);
    assertThat(miss.totalAmount()).isCloseTo(0.61, within(1e-9));
    assertThat(
            registry
                .get("ai_gateway.cache.semantic.score")
                .tag("outcome", "semantic_hit")
                .summary()
                .totalAmount())
        .isCloseTo(0.95, within(1e-9));
    assertThat(
            registry
                .get("ai_gateway.cache.semantic.score")
                .tag("outcome", "guarded_miss")
                .summary()
                .totalAmount())
        .isCloseTo(0.93, within(1e-9));
    assertThat(
            registry
                .find("ai_gateway.cache.semantic.score")
                .tag("outcome", "exact_hit")
                .summaries())
        .isEmpty();
  }

  @Test
  void callsKeptOutOfTheSemanticCacheAreCountedByReason() {
    metrics.onEvent(skippedFor(CacheInfo.PROMPT_NOT_READ_WHOLE));
    metrics.onEvent(skippedFor(CacheInfo.PROMPT_NOT_READ_WHOLE));
    metrics.onEvent(skippedFor("another_reason"));
    metrics.onEvent(Events.chat().cache(new CacheInfo(CacheOutcome.MISS, 0.61, null, 0)).build());

    assertThat(skips(CacheInfo.PROMPT_NOT_READ_WHOLE)).isEqualTo(2);
    assertThat(skips("another_reason")).isEqualTo(1);
    assertThat(registry.find("ai_gateway.cache.semantic.skips").counters())
        .as("a call the semantic cache looked up adds no skip")
        .hasSize(2);
    assertThat(registry.get("ai_gateway.cache.lookups").tag("outcome", "miss").counter().count())
        .as("a skipped call is still a lookup of the exact cache")
        .isEqualTo(4);
  }

  /** A call the semantic cache kept out for {@code reason}: a miss of the exact cache. */
  private static GatewayEvent skippedFor(String reason) {
    return Events.chat()
        .cache(new CacheInfo(CacheOutcome.MISS, Double.NaN, null, 0, reason))
        .build();
  }

  private double skips(String reason) {
    return registry.get("ai_gateway.cache.semantic.skips").tag("reason", reason).counter().count();
  }

  @Test
  void lookupsAPartOfTheCacheFailedOrTimedOutAreCountedByWhatFailed() {
    metrics.onEvent(failedFor(CacheInfo.STORE_TIMEOUT));
    metrics.onEvent(failedFor(CacheInfo.STORE_TIMEOUT));
    metrics.onEvent(failedFor(CacheInfo.EMBEDDING_FAILED));
    metrics.onEvent(Events.chat().cache(new CacheInfo(CacheOutcome.MISS, 0.61, null, 0)).build());

    assertThat(
            registry
                .get("ai_gateway.cache.failures")
                .tag("reason", "store_timeout")
                .counter()
                .count())
        .isEqualTo(2);
    assertThat(
            registry
                .get("ai_gateway.cache.failures")
                .tag("reason", "embedding_failed")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(registry.find("ai_gateway.cache.failures").counters())
        .as("a lookup no part failed adds none")
        .hasSize(2);
    assertThat(registry.get("ai_gateway.cache.lookups").tag("outcome", "miss").counter().count())
        .isEqualTo(4);
  }

  /** A miss whose lookup {@code failure} failed. */
  private static GatewayEvent failedFor(String failure) {
    return Events.chat()
        .cache(new CacheInfo(CacheOutcome.MISS, Double.NaN, null, 0, null, failure))
        .build();
  }

  @Test
  void callsWithoutACacheRecordNoCacheMeters() {
    metrics.onEvent(Events.chat().build());

    assertThat(registry.find("ai_gateway.cache.lookups").meters()).isEmpty();
  }

  @Test
  void admittedCallsCountNoRejection() {
    metrics.onEvent(Events.chat().build());

    assertThat(registry.find("ai_gateway.rejections").meters()).isEmpty();
  }

  @Test
  void attemptsAreCountedPerBackendAndStatus() {
    metrics.onEvent(
        Events.chat()
            .routing(
                Events.routed("openai", List.of(attempt("ptu-east", 429), attempt("openai", 200))))
            .build());
    metrics.onEvent(
        Events.chat()
            .routing(Events.routed("ptu-east", List.of(attempt("ptu-east", 200))))
            .build());

    assertThat(
            registry
                .get("ai_gateway.attempts")
                .tag("backend", "ptu-east")
                .tag("status", "429")
                .tag("error.type", "none")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("ai_gateway.attempts")
                .tag("backend", "ptu-east")
                .tag("status", "200")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("ai_gateway.attempts")
                .tag("backend", "openai")
                .tag("status", "200")
                .counter()
                .count())
        .isEqualTo(1);
  }

  @Test
  void attemptsWithoutAResponseCarryTheirErrorType() {
    metrics.onEvent(
        Events.chat()
            .routing(
                Events.routed(
                    "openai",
                    List.of(
                        new Attempt(
                            "ptu-east", 0, "java.net.ConnectException", Duration.ofMillis(3)),
                        attempt("openai", 200))))
            .build());

    assertThat(
            registry
                .get("ai_gateway.attempts")
                .tag("backend", "ptu-east")
                .tag("status", "none")
                .tag("error.type", "java.net.ConnectException")
                .counter()
                .count())
        .isEqualTo(1);
  }

  @Test
  void failoversAreCountedFromBackendToBackendWithTheirCause() {
    metrics.onEvent(
        Events.chat()
            .routing(
                new RoutingInfo(
                    "paygo",
                    List.of(
                        attempt("ptu-east", 429),
                        new Attempt(
                            "ptu-west",
                            0,
                            "java.net.SocketTimeoutException",
                            Duration.ofSeconds(1)),
                        attempt("paygo", 200)),
                    "429 from ptu-east",
                    null,
                    "openai",
                    "api.openai.com",
                    443))
            .build());

    assertThat(
            registry
                .get("ai_gateway.failovers")
                .tag("from", "ptu-east")
                .tag("to", "ptu-west")
                .tag("reason", "429")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("ai_gateway.failovers")
                .tag("from", "ptu-west")
                .tag("to", "paygo")
                .tag("reason", "java.net.SocketTimeoutException")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(registry.find("ai_gateway.failovers").counters()).hasSize(2);
  }

  @Test
  void aRetryOnTheSameBackendIsNoFailover() {
    metrics.onEvent(
        Events.chat()
            .routing(Events.routed("only", List.of(attempt("only", 503), attempt("only", 200))))
            .build());

    assertThat(registry.find("ai_gateway.failovers").meters()).isEmpty();
    assertThat(registry.get("ai_gateway.attempts").tag("backend", "only").counters()).hasSize(2);
  }

  @Test
  void breakerStateGaugeFollowsTransitions() {
    metrics.onBreakerTransition(
        new BreakerTransition(
            "ptu-east",
            BreakerState.CLOSED,
            BreakerState.OPEN,
            AT,
            Duration.ofSeconds(30),
            "3 failures in PT10S"));
    assertThat(breakerState("ptu-east")).isEqualTo(2);

    metrics.onBreakerTransition(
        new BreakerTransition(
            "ptu-east",
            BreakerState.OPEN,
            BreakerState.HALF_OPEN,
            AT.plusSeconds(30),
            null,
            "trip passed"));
    assertThat(breakerState("ptu-east")).isEqualTo(1);

    metrics.onBreakerTransition(
        new BreakerTransition(
            "ptu-east",
            BreakerState.HALF_OPEN,
            BreakerState.CLOSED,
            AT.plusSeconds(31),
            null,
            "probe succeeded"));
    assertThat(breakerState("ptu-east")).isEqualTo(0);
  }

  @Test
  void breakerTransitionsAreCountedPerBackendFromAndTo() {
    metrics.onBreakerTransition(
        new BreakerTransition(
            "ptu-east",
            BreakerState.CLOSED,
            BreakerState.OPEN,
            AT,
            Duration.ofSeconds(30),
            "3 failures in PT10S"));
    metrics.onBreakerTransition(
        new BreakerTransition(
            "ptu-east",
            BreakerState.HALF_OPEN,
            BreakerState.OPEN,
            AT,
            Duration.ofSeconds(30),
            "probe failed"));

    assertThat(
            registry
                .get("ai_gateway.breaker.transitions")
                .tag("backend", "ptu-east")
                .tag("from", "closed")
                .tag("to", "open")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("ai_gateway.breaker.transitions")
                .tag("backend", "ptu-east")
                .tag("from", "half_open")
                .tag("to", "open")
                .counter()
                .count())
        .isEqualTo(1);
  }

  @Test
  void tokenStoreStateGaugeFollowsItsHealthAndTransitionsAreCounted() {
    String store = "dev.aigateway.redis.RedisTokenLimitStore";
    metrics.onStoreTransition(
        new StoreTransition(
            store,
            StoreState.HEALTHY,
            StoreState.FAILING,
            AT,
            Duration.ofSeconds(1),
            false,
            "5 reservations failed in a row; last: java.net.ConnectException"));
    assertThat(storeState(store)).isEqualTo(2);

    metrics.onStoreTransition(
        new StoreTransition(
            store,
            StoreState.FAILING,
            StoreState.PROBING,
            AT.plusSeconds(1),
            null,
            false,
            "cool-down of PT1S passed"));
    assertThat(storeState(store)).isEqualTo(1);

    metrics.onStoreTransition(
        new StoreTransition(
            store,
            StoreState.PROBING,
            StoreState.FAILING,
            AT.plusSeconds(1),
            Duration.ofSeconds(2),
            false,
            "probe failed: java.net.ConnectException"));
    metrics.onStoreTransition(
        new StoreTransition(
            store,
            StoreState.FAILING,
            StoreState.PROBING,
            AT.plusSeconds(3),
            null,
            false,
            "cool-down of PT2S passed"));
    metrics.onStoreTransition(
        new StoreTransition(
            store, StoreState.PROBING, StoreState.HEALTHY, AT.plusSeconds(3), null, false, "ok"));
    assertThat(storeState(store)).isEqualTo(0);

    assertThat(storeTransitions(store, "healthy", "failing")).isEqualTo(1);
    assertThat(storeTransitions(store, "failing", "probing")).isEqualTo(2);
    assertThat(storeTransitions(store, "probing", "failing")).isEqualTo(1);
    assertThat(storeTransitions(store, "probing", "healthy")).isEqualTo(1);
  }

  @Test
  void callsTheTokenStoreFailedAreCountedByWhatTheGatewayDidInstead() {
    // below the breaker's threshold a store that fails now and then never changes state: each
    // such call went on uncharged (fail open), was refused, or was counted locally
    metrics.onEvent(Events.chat().limits(Events.limits(0, 0, LimitOutcome.STORE_FAILED)).build());
    metrics.onEvent(Events.chat().limits(Events.limits(0, 0, LimitOutcome.STORE_FAILED)).build());
    metrics.onEvent(
        Events.rejected(RejectionReason.TOKEN_STORE_UNAVAILABLE, null)
            .limits(Events.limits(0, 0, LimitOutcome.STORE_FAILED))
            .build());
    metrics.onEvent(
        Events.chat().limits(Events.limits(1041, 22, LimitOutcome.SETTLE_FAILED)).build());
    metrics.onEvent(
        Events.chat().limits(Events.limits(1041, 22, LimitOutcome.FALLBACK_SETTLED)).build());
    metrics.onEvent(
        Events.rejected(RejectionReason.TOKEN_RATE_LIMIT, "per-consumer")
            .limits(new LimitsInfo(Map.of(), 0, 0, "per-consumer", LimitOutcome.FALLBACK_REJECTED))
            .build());
    metrics.onEvent(Events.chat().build()); // settled: the store answered

    assertThat(storeFailures("store_failed")).isEqualTo(3);
    assertThat(storeFailures("settle_failed")).isEqualTo(1);
    assertThat(storeFailures("fallback_settled")).isEqualTo(1);
    assertThat(storeFailures("fallback_rejected")).isEqualTo(1);
    assertThat(registry.get("ai_gateway.token_store.failures").counters())
        .hasSize(4)
        .allSatisfy(
            c ->
                assertThat(tags(c))
                    .containsOnlyKeys("gen_ai.operation.name", "outcome")
                    .containsEntry("gen_ai.operation.name", "chat"));
  }

  private double storeFailures(String outcome) {
    return registry
        .get("ai_gateway.token_store.failures")
        .tag("outcome", outcome)
        .counter()
        .count();
  }

  private double storeState(String store) {
    return registry.get("ai_gateway.token_store.state").tag("store", store).gauge().value();
  }

  private double storeTransitions(String store, String from, String to) {
    return registry
        .get("ai_gateway.token_store.transitions")
        .tag("store", store)
        .tag("from", from)
        .tag("to", to)
        .counter()
        .count();
  }

  @Test
  void consumerTransitionsAreCountedByFromToAndSignalNeverByConsumer() {
    AnomalyFinding finding = new AnomalyFinding(AnomalySignal.REQUEST_RATE, 412, 40, 5, 120);
    for (String consumer : List.of("alice", "bob")) {
      metrics.onConsumerTransition(
          new ConsumerTransition(
              consumer,
              ConsumerState.NORMAL,
              ConsumerState.THROTTLED,
              AT,
              AT.plusSeconds(600),
              finding,
              false,
              finding.describe()));
    }
    metrics.onConsumerTransition(
        new ConsumerTransition(
            "alice", ConsumerState.THROTTLED, ConsumerState.NORMAL, AT, null, null, true, "ok"));

    assertThat(
            registry
                .get("ai_gateway.consumer.transitions")
                .tag("from", "normal")
                .tag("to", "throttled")
                .tag("signal", "request_rate")
                .counter()
                .count())
        .isEqualTo(2);
    assertThat(
            registry
                .get("ai_gateway.consumer.transitions")
                .tag("from", "throttled")
                .tag("to", "normal")
                .tag("signal", "none")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(registry.get("ai_gateway.consumer.transitions").counters())
        .allSatisfy(
            c ->
                assertThat(c.getId().getTags())
                    .extracting(Tag::getKey)
                    .containsExactlyInAnyOrder("from", "to", "signal"));
  }

  @Test
  void backendsSeenInAttemptsReportAClosedBreaker() {
    metrics.onEvent(
        Events.chat()
            .routing(Events.routed("ptu-east", List.of(attempt("ptu-east", 200))))
            .build());

    assertThat(breakerState("ptu-east")).isEqualTo(0);
  }

  @Test
  void overReservationIsRecordedAsDriftOver() {
    metrics.onEvent(Events.chat().limits(Events.limits(1041, 22, LimitOutcome.SETTLED)).build());

    var drift = registry.get("ai_gateway.reservation.drift").tag("direction", "over").summary();
    assertThat(drift.totalAmount()).isEqualTo(1019);
    assertThat(drift.getId().getBaseUnit()).isEqualTo("{token}");
    assertThat(tags(drift))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "gen_ai.operation.name", "chat",
                "gen_ai.provider.name", "openai",
                "gen_ai.request.model", "gpt-4o",
                "direction", "over"));
  }

  @Test
  void underReservationIsRecordedAsDriftUnder() {
    metrics.onEvent(Events.chat().limits(Events.limits(10, 22, LimitOutcome.SETTLED)).build());

    assertThat(
            registry
                .get("ai_gateway.reservation.drift")
                .tag("direction", "under")
                .summary()
                .totalAmount())
        .isEqualTo(12);
    assertThat(registry.find("ai_gateway.reservation.drift").tag("direction", "over").meters())
        .isEmpty();
  }

  @Test
  void refundedCallsRecordNoDrift() {
    metrics.onEvent(
        Events.chat()
            .outcome(CallOutcome.BACKEND_ERROR)
            .errorType("500")
            .usage(UsageInfo.NONE)
            .limits(Events.limits(1041, 0, LimitOutcome.SETTLED))
            .build());

    assertThat(registry.find("ai_gateway.reservation.drift").meters()).isEmpty();
  }

  @Test
  void callsCancelledBeforeAnyAnswerRecordNoDrift() {
    metrics.onEvent(
        Events.chat()
            .outcome(CallOutcome.CANCELLED)
            .errorType("cancelled")
            .usage(UsageInfo.NONE)
            .limits(Events.limits(1041, 0, LimitOutcome.SETTLED))
            .build());

    assertThat(registry.find("ai_gateway.reservation.drift").meters()).isEmpty();
  }

  @Test
  void callsWhoseStoreFailedToSettleRecordNoDrift() {
    metrics.onEvent(
        Events.chat().limits(Events.limits(1041, 22, LimitOutcome.SETTLE_FAILED)).build());

    assertThat(registry.find("ai_gateway.reservation.drift").meters()).isEmpty();
  }

  @Test
  void callsThatReservedNothingRecordNoDrift() {
    metrics.onEvent(Events.chat().limits(Events.limits(0, 22, LimitOutcome.SETTLED)).build());

    assertThat(registry.find("ai_gateway.reservation.drift").meters()).isEmpty();
  }

  @Test
  void gatewayTimeIsRecordedPerOperationAndOutcome() {
    metrics.onEvent(Events.chat().build());
    metrics.onEvent(
        Events.rejected(RejectionReason.TOKEN_QUOTA, "monthly")
            .timing(Events.timing(Duration.ofMillis(2), null, Duration.ofNanos(10_000)))
            .build());

    Timer success = registry.get("ai_gateway.gateway.time").tag("outcome", "success").timer();
    assertThat(success.totalTime(TimeUnit.NANOSECONDS)).isEqualTo(40_000);
    assertThat(tags(success))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("gen_ai.operation.name", "chat", "outcome", "success"));
    assertThat(
            registry
                .get("ai_gateway.gateway.time")
                .tag("outcome", "rejected")
                .timer()
                .totalTime(TimeUnit.NANOSECONDS))
        .isEqualTo(10_000);
  }

  @Test
  void noCacheMetersAreRegisteredWhileEventsCarryNoCacheOutcome() {
    metrics.onEvent(Events.chat().build());

    assertThat(registry.getMeters())
        .extracting(meter -> meter.getId().getName())
        .noneMatch(name -> name.startsWith("ai_gateway.cache"));
  }

  @Test
  void contentSafetyActionsAreCountedByCheckCategoryAndActionAndExternalChecksTimed() {
    metrics.onEvent(
        Events.chat()
            .safety(
                new dev.aigateway.api.SafetyInfo(
                    dev.aigateway.api.SafetyOutcome.REDACTED, "pii.email", "EMAIL", 2, null))
            .build());
    metrics.onEvent(
        Events.rejected(RejectionReason.CONTENT_BLOCKED, null)
            .safety(
                new dev.aigateway.api.SafetyInfo(
                    dev.aigateway.api.SafetyOutcome.BLOCKED,
                    "azure-prompt-shields",
                    "jailbreak",
                    0,
                    Duration.ofMillis(40)))
            .build());
    metrics.onEvent(
        Events.chat()
            .safety(
                new dev.aigateway.api.SafetyInfo(
                    dev.aigateway.api.SafetyOutcome.PASSED, null, null, 0, Duration.ofMillis(20)))
            .build());

    assertThat(
            registry
                .get("ai_gateway.safety.actions")
                .tags("check", "pii.email", "category", "EMAIL", "action", "redacted")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("ai_gateway.safety.actions")
                .tags("check", "azure-prompt-shields", "category", "jailbreak", "action", "blocked")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(registry.get("ai_gateway.safety.actions").counters()).hasSize(2);
    io.micrometer.core.instrument.Timer checks =
        registry.get("ai_gateway.safety.check.duration").timer();
    assertThat(checks.count()).isEqualTo(2);
    assertThat(checks.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(60);
  }

  @Test
  void safetyCategoriesAreBoundedLikeEveryOtherFreeTextTag() {
    SimpleMeterRegistry bounded = new SimpleMeterRegistry();
    GenAiMetrics limited = GenAiMetrics.builder(bounded).maxValuesPerDimension(3).build();
    for (int i = 0; i < 50; i++) {
      limited.onEvent(
          Events.chat()
              .safety(
                  new dev.aigateway.api.SafetyInfo(
                      dev.aigateway.api.SafetyOutcome.FLAGGED,
                      "external-moderation",
                      "reason " + i, // as an external service may phrase it, call by call
                      0,
                      null))
              .build());
    }

    List<io.micrometer.core.instrument.Counter> counters =
        List.copyOf(bounded.get("ai_gateway.safety.actions").counters());
    assertThat(counters)
        .extracting(counter -> counter.getId().getTag("category"))
        .containsExactlyInAnyOrder("reason 0", "reason 1", "reason 2", "other");
    assertThat(counters.stream().mapToDouble(io.micrometer.core.instrument.Counter::count).sum())
        .isEqualTo(50);
  }
}
