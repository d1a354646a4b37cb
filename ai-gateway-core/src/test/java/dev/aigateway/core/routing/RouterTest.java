package dev.aigateway.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RouterTest {

  private final Clock clock = Clock.fixed(Instant.parse("2026-06-01T10:00:00Z"), ZoneOffset.UTC);

  private static Backend.Builder backend(String id) {
    return Backend.openAi(id, "https://" + id + ".example.com");
  }

  private Router router(LoadBalancing strategy, Backend.Builder... backends) {
    return router(clock, strategy, backends);
  }

  private static Router router(Clock on, LoadBalancing strategy, Backend.Builder... backends) {
    BackendPool.Builder pool = BackendPool.builder().loadBalancing(strategy);
    for (Backend.Builder b : backends) {
      pool.backend(b);
    }
    return new Router(pool.build(), on, t -> {});
  }

  private static Map<String, Integer> pick(Router router, int calls) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < calls; i++) {
      Selection picked = router.select("gpt-4o", List.of(), null, 0, false);
      counts.merge(picked.backend().id(), 1, Integer::sum);
      picked.backend().breaker().onSuccess(picked.permit());
    }
    return counts;
  }

  @Test
  void aStickySessionReturnsToTheFirstTierOnceItsBackendIsAvailableAgain() {
    dev.aigateway.testing.ManualClock manual =
        new dev.aigateway.testing.ManualClock(Instant.parse("2026-06-01T10:00:00Z"));
    Router router =
        new Router(
            BackendPool.builder()
                .backend(backend("primary").priority(1))
                .backend(backend("fallback").priority(2))
                .loadBalancing(
                    LoadBalancing.sessionSticky(
                        dev.aigateway.api.KeyResolvers.header("x-session"),
                        LoadBalancing.roundRobin()))
                .circuitBreaker(
                    CircuitBreakerPolicy.builder()
                        .failureCount(1, java.time.Duration.ofSeconds(10))
                        .tripDuration(java.time.Duration.ofSeconds(30)))
                .build(),
            manual,
            t -> {});
    Selection first = router.select("gpt-4o", List.of(), "s1", 0, false);
    assertThat(first.backend().id()).isEqualTo("primary");
    first.backend().breaker().onFailure(first.permit(), null); // the primary's breaker opens
    first.backend().callEnded();
    Selection failedOver = router.select("gpt-4o", List.of(), "s1", 0, false);
    assertThat(failedOver.backend().id()).isEqualTo("fallback");
    failedOver.backend().breaker().onSuccess(failedOver.permit());
    failedOver.backend().callEnded();

    manual.advance(java.time.Duration.ofSeconds(30)); // the primary's trip has passed

    // Tiers come first: the session goes back to the first tier, as a call without one does.
    assertThat(router.select("gpt-4o", List.of(), "s1", 0, false).backend().id())
        .isEqualTo("primary");
  }

  @Test
  void concurrentFirstCallsOfOneSessionAllGoToTheBackendTheSessionIsBoundTo() throws Exception {
    Router router =
        router(
            LoadBalancing.sessionSticky(
                dev.aigateway.api.KeyResolvers.header("x-session"), LoadBalancing.roundRobin()),
            backend("a"),
            backend("b"),
            backend("c"));
    int threads = 4;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      int split = 0;
      for (int round = 0; round < 2000; round++) {
        String session = "s" + round;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
        List<java.util.concurrent.Future<String>> picks = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
          picks.add(
              pool.submit(
                  () -> {
                    start.await();
                    Selection picked = router.select("gpt-4o", List.of(), session, 0, false);
                    picked.backend().breaker().onSuccess(picked.permit());
                    picked.backend().callEnded();
                    return picked.backend().id();
                  }));
        }
        java.util.Set<String> backends = new java.util.HashSet<>();
        for (java.util.concurrent.Future<String> pick : picks) {
          backends.add(pick.get(10, java.util.concurrent.TimeUnit.SECONDS));
        }
        String bound = router.select("gpt-4o", List.of(), session, 0, false).backend().id();
        if (backends.size() != 1 || !backends.contains(bound)) {
          split++;
        }
      }
      // Every call of a session goes to the one backend it is bound to, also its first calls
      // racing each other: none is placed on a backend the session then does not stay on.
      assertThat(split)
          .as("sessions whose concurrent first calls went to several backends")
          .isZero();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aSessionThatUsesTwoModelsStaysOnOneBackendForEach() {
    Router router =
        new Router(
            BackendPool.builder()
                .backend(backend("big-1").model("gpt-4o", "gpt-4o"))
                .backend(backend("big-2").model("gpt-4o", "gpt-4o"))
                .backend(backend("big-3").model("gpt-4o", "gpt-4o"))
                .backend(backend("mini-1").model("gpt-4o-mini", "gpt-4o-mini"))
                .backend(backend("mini-2").model("gpt-4o-mini", "gpt-4o-mini"))
                .loadBalancing(
                    LoadBalancing.sessionSticky(
                        dev.aigateway.api.KeyResolvers.header("x-session"),
                        LoadBalancing.roundRobin()))
                .build(),
            clock,
            t -> {});

    // One conversation alternates between a large and a small model, each served by its own
    // backends: each model's calls stay where that model's first call of the session went.
    java.util.Set<String> big = new java.util.TreeSet<>();
    java.util.Set<String> mini = new java.util.TreeSet<>();
    for (int i = 0; i < 6; i++) {
      Selection large = router.select("gpt-4o", List.of(), "s1", 0, false);
      large.backend().breaker().onSuccess(large.permit());
      large.backend().callEnded();
      big.add(large.backend().id());
      Selection small = router.select("gpt-4o-mini", List.of(), "s1", 0, false);
      small.backend().breaker().onSuccess(small.permit());
      small.backend().callEnded();
      mini.add(small.backend().id());
    }

    assertThat(big).as("the backends of the session's gpt-4o calls").hasSize(1);
    assertThat(mini).as("the backends of the session's gpt-4o-mini calls").hasSize(1);
  }

  @Test
  void aSessionStaysWithItsBackendAfterOneCallFailedOverFromIt() {
    Router router =
        new Router(
            BackendPool.builder()
                .backend(backend("a"))
                .backend(backend("b"))
                .loadBalancing(
                    LoadBalancing.sessionSticky(
                        dev.aigateway.api.KeyResolvers.header("x-session"),
                        LoadBalancing.roundRobin()))
                .build(),
            clock,
            t -> {});
    Selection first = router.select("gpt-4o", List.of(), "s1", 0, false);
    assertThat(first.backend().id()).isEqualTo("a");
    first.backend().breaker().onFailure(first.permit(), null); // one 500: a's breaker stays closed
    Selection failedOver =
        router.select("gpt-4o", List.of(first.backend()), "s1", 0, true, first.backend(), null);
    assertThat(failedOver.backend().id()).isEqualTo("b");
    first.backend().callEnded();
    failedOver.backend().breaker().onSuccess(failedOver.permit());
    failedOver.backend().callEnded();
    Selection other = router.select("gpt-4o", List.of(), null, 0, false); // round robin's turn
    other.backend().breaker().onSuccess(other.permit());
    other.backend().callEnded();

    // a is still available: the session's next call goes back to it, not where its turn would.
    assertThat(router.select("gpt-4o", List.of(), "s1", 0, false).backend().id()).isEqualTo("a");
  }

  @Test
  void weightedSplitStaysWithinTwoPointsOfTheWeightsOverTenThousandCalls() {
    Router router =
        router(
            LoadBalancing.weighted(),
            backend("a").weight(5),
            backend("b").weight(3),
            backend("c").weight(2));

    Map<String, Integer> counts = pick(router, 10_000);

    assertThat(counts.get("a") / 100.0).isCloseTo(50.0, org.assertj.core.data.Offset.offset(2.0));
    assertThat(counts.get("b") / 100.0).isCloseTo(30.0, org.assertj.core.data.Offset.offset(2.0));
    assertThat(counts.get("c") / 100.0).isCloseTo(20.0, org.assertj.core.data.Offset.offset(2.0));
  }

  @Test
  void smoothWeightingInterleavesInsteadOfBursting() {
    Router router =
        router(LoadBalancing.weighted(), backend("a").weight(5), backend("b"), backend("c"));

    StringBuilder order = new StringBuilder();
    for (int i = 0; i < 7; i++) {
      order.append(router.select("m", List.of(), null, 0, false).backend().id());
    }

    assertThat(order.toString()).isEqualTo("aabacaa");
  }

  @Test
  void roundRobinIsExactOverTenThousandCalls() {
    Router router =
        router(LoadBalancing.roundRobin(), backend("a"), backend("b"), backend("c"), backend("d"));

    assertThat(pick(router, 10_000))
        .containsEntry("a", 2500)
        .containsEntry("b", 2500)
        .containsEntry("c", 2500)
        .containsEntry("d", 2500);
  }

  /** Strategies that place calls among equal backends in turn. */
  static Stream<LoadBalancing> strategies() {
    return Stream.of(
        LoadBalancing.roundRobin(),
        LoadBalancing.weighted(),
        LoadBalancing.leastBusy(),
        LoadBalancing.latencyAware(),
        LoadBalancing.capacityAware());
  }

  @ParameterizedTest
  @MethodSource("strategies")
  void eachModelIsSpreadOverTheTierWhenTheApplicationAlternatesModels(LoadBalancing strategy) {
    // A retrieval app embeds, then chats, call after call; both models are served by both
    // backends. Each model's calls go to each backend in turn, not all of one model to one.
    Router router = router(strategy, backend("east"), backend("west"));

    Map<String, Integer> embeddings = new HashMap<>();
    Map<String, Integer> chats = new HashMap<>();
    for (int i = 0; i < 100; i++) {
      embeddings.merge(pickOne(router, "text-embedding-3-small"), 1, Integer::sum);
      chats.merge(pickOne(router, "gpt-4o"), 1, Integer::sum);
    }

    assertThat(embeddings).containsEntry("east", 50).containsEntry("west", 50);
    assertThat(chats).containsEntry("east", 50).containsEntry("west", 50);
  }

  /** Picks a backend for one call of the model, which succeeds and ends at once. */
  private static String pickOne(Router router, String model) {
    Selection picked = router.select(model, List.of(), null, 0, false);
    picked.backend().breaker().onSuccess(picked.permit());
    picked.backend().callEnded();
    return picked.backend().id();
  }

  @Test
  void leastBusyPrefersTheBackendWithFewestCallsInFlight() {
    Router router = router(LoadBalancing.leastBusy(), backend("a"), backend("b"));
    BackendState a = router.backends().get(0);
    a.callStarted();
    a.callStarted();

    assertThat(router.select("m", List.of(), null, 0, false).backend().id()).isEqualTo("b");
  }

  @Test
  void latencyAwareTriesUnmeasuredBackendsThenPrefersTheFastest() {
    Router router = router(LoadBalancing.latencyAware(), backend("a"), backend("b"));
    BackendState a = router.backends().get(0);
    BackendState b = router.backends().get(1);
    a.recordLatency(50_000_000, clock.millis());

    assertThat(router.select("m", List.of(), null, 0, false).backend().id()).isEqualTo("b");
    b.recordLatency(90_000_000, clock.millis());
    assertThat(router.select("m", List.of(), null, 0, false).backend().id()).isEqualTo("a");
    assertThat(router.select("m", List.of(), null, 0, false).backend().id()).isEqualTo("a");
  }

  @Test
  void latencyAwareMeasuresAgainABackendWhoseSampleOutlivedItsMinute() {
    // One failure counts as a 30 s sample: the backend ranks last and is never picked, so without
    // a lifetime on samples it never gave the sample that would show it answering again.
    dev.aigateway.testing.ManualClock manual =
        new dev.aigateway.testing.ManualClock(Instant.parse("2026-06-01T10:00:00Z"));
    Router router = router(manual, LoadBalancing.latencyAware(), backend("a"), backend("b"));
    BackendState a = router.backends().get(0);
    BackendState b = router.backends().get(1);
    a.recordLatency(50_000_000, manual.millis());
    b.recordLatency(30_000_000_000L, manual.millis());
    assertThat(pick(router, 4)).isEqualTo(Map.of("a", 4));

    manual.advance(java.time.Duration.ofSeconds(30));
    a.recordLatency(50_000_000, manual.millis()); // a keeps being measured; b is not
    manual.advance(java.time.Duration.ofSeconds(31));

    // b's sample is 61 s old: one call goes to measure it, the others stay on a meanwhile.
    assertThat(pick(router, 4)).isEqualTo(Map.of("b", 1, "a", 3));
    // It answers fast now: its new sample starts its average again, so it wins on its merit.
    b.recordLatency(10_000_000, manual.millis());
    assertThat(pick(router, 3)).isEqualTo(Map.of("b", 3));
  }

  @Test
  void capacityAwareSteersAwayFromABackendWithoutHeadroom() {
    Router router = router(LoadBalancing.capacityAware(), backend("a"), backend("b"));
    Instant reset = clock.instant().plusSeconds(30);
    router
        .backends()
        .get(0)
        .rateLimits(new RateLimitSnapshot(100_000, 900, reset, 1000, 500, reset));
    router
        .backends()
        .get(1)
        .rateLimits(new RateLimitSnapshot(100_000, 40_000, reset, 1000, 500, reset));

    assertThat(router.select("m", List.of(), null, 2_000, false).backend().id()).isEqualTo("b");
    assertThat(router.select("m", List.of(), null, 2_000, false).backend().id()).isEqualTo("b");
  }

  @Test
  void capacityAwareSteersAwayFromABackendOutOfRequestsThatSentNoTokenCounts() {
    Router router = router(LoadBalancing.capacityAware(), backend("a"), backend("b"), backend("c"));
    Instant reset = clock.instant().plusSeconds(30);
    Instant past = clock.instant().minusSeconds(1);
    // a sent its request counts only, b's token counts have reset while its requests have not:
    // neither has a request left until its reset, whatever is known of its tokens.
    router.backends().get(0).rateLimits(new RateLimitSnapshot(-1, -1, null, 1000, 0, reset));
    router.backends().get(1).rateLimits(new RateLimitSnapshot(100_000, 10, past, 1000, 0, reset));
    router
        .backends()
        .get(2)
        .rateLimits(new RateLimitSnapshot(100_000, 40_000, reset, 1000, 500, reset));

    for (int i = 0; i < 3; i++) {
      assertThat(router.select("m", List.of(), null, 2_000, false).backend().id()).isEqualTo("c");
    }
  }

  @Test
  void capacityAwareForgetsHeadroomAfterTheResetTime() {
    Router router = router(LoadBalancing.capacityAware(), backend("a"), backend("b"));
    Instant past = clock.instant().minusSeconds(1);
    router.backends().get(0).rateLimits(new RateLimitSnapshot(100_000, 10, past, -1, -1, null));
    router
        .backends()
        .get(1)
        .rateLimits(
            new RateLimitSnapshot(100_000, 50_000, clock.instant().plusSeconds(60), -1, -1, null));

    assertThat(router.select("m", List.of(), null, 2_000, false).backend().id()).isEqualTo("a");
  }

  @Test
  void capacityAwareForgetsAzureHeadroomAMinuteLaterThoughAzureSendsNoResetTime() {
    // Azure OpenAI answers with x-ratelimit-remaining-tokens and -requests only: no limit, no
    // reset. Its counts are of a window of a minute, so a backend that was short a minute ago
    // is not short any more; it must not stay skipped until every other backend is short too.
    dev.aigateway.testing.ManualClock manual =
        new dev.aigateway.testing.ManualClock(Instant.parse("2026-06-01T10:00:00Z"));
    Router router =
        new Router(
            BackendPool.builder()
                .backend(Backend.azureOpenAi("east", "https://east.openai.azure.com", "2024-10-21"))
                .backend(Backend.azureOpenAi("west", "https://west.openai.azure.com", "2024-10-21"))
                .loadBalancing(LoadBalancing.capacityAware())
                .build(),
            manual,
            t -> {});
    BackendState east = router.backends().get(0);
    BackendState west = router.backends().get(1);
    east.rateLimits(
        BackendHeaders.rateLimits(
            Map.of("x-ratelimit-remaining-tokens", "100", "x-ratelimit-remaining-requests", "0")
                ::get,
            manual));
    west.rateLimits(
        BackendHeaders.rateLimits(
            Map.of("x-ratelimit-remaining-tokens", "90000", "x-ratelimit-remaining-requests", "99")
                ::get,
            manual));
    assertThat(router.select("m", List.of(), null, 2_000, false).backend().id()).isEqualTo("west");

    manual.advance(java.time.Duration.ofSeconds(61));

    Map<String, Integer> picked = new HashMap<>();
    for (int i = 0; i < 4; i++) {
      picked.merge(
          router.select("m", List.of(), null, 2_000, false).backend().id(), 1, Integer::sum);
    }
    assertThat(picked).as("picks a minute later").containsKeys("east", "west");
  }

  @Test
  void backendsThatDoNotServeTheModelAreNeverPicked() {
    Router router =
        router(
            LoadBalancing.roundRobin(),
            backend("a").model("gpt-4o", "x"),
            backend("b").model("gpt-4.1", "y"));

    assertThat(router.serves("gpt-4o")).isTrue();
    assertThat(router.serves("o3")).isFalse();
    for (int i = 0; i < 5; i++) {
      assertThat(router.select("gpt-4.1", List.of(), null, 0, false).backend().id()).isEqualTo("b");
    }
  }

  @Test
  void triedBackendsAreAvoidedUnlessNothingElseIsLeft() {
    Router router = router(LoadBalancing.roundRobin(), backend("a"), backend("b"));
    BackendState a = router.backends().get(0);

    assertThat(router.select("m", List.of(a), null, 0, false).backend().id()).isEqualTo("b");
    BackendState b = router.backends().get(1);
    assertThat(router.select("m", List.of(a, b), null, 0, false)).isNull();
    assertThat(router.select("m", List.of(a, b), null, 0, true)).isNotNull();
  }

  @Test
  void trafficSplitSharesMatchThePercentagesOverTenThousandConsumers() {
    TrafficSplit split =
        TrafficSplit.forModel("gpt-4o").send(10, "gpt-4.1").send(5, "gpt-5").build();
    int toFourOne = 0;
    int toFive = 0;
    for (int i = 0; i < 10_000; i++) {
      String variant = split.variantFor("consumer-" + i);
      if ("gpt-4.1".equals(variant)) {
        toFourOne++;
      } else if ("gpt-5".equals(variant)) {
        toFive++;
      }
      assertThat(split.variantFor("consumer-" + i)).isEqualTo(variant);
    }
    assertThat(toFourOne / 100.0).isCloseTo(10.0, org.assertj.core.data.Offset.offset(1.0));
    assertThat(toFive / 100.0).isCloseTo(5.0, org.assertj.core.data.Offset.offset(1.0));
  }
}
