package dev.aigateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayEventTest {

  private static final Instant STARTED = Instant.parse("2026-06-01T10:00:00Z");

  private static GatewayEvent.Builder event() {
    return GatewayEvent.builder()
        .callId(1)
        .operation(Operation.CHAT_COMPLETIONS)
        .consumer("anonymous")
        .outcome(CallOutcome.SUCCESS)
        .timing(new TimingInfo(STARTED, Duration.ofMillis(120), null, Duration.ofMillis(2)));
  }

  @Test
  void aGroupNoStageDescribedIsItsNone() {
    GatewayEvent event = event().build();

    assertThat(event.limits()).isEqualTo(LimitsInfo.NONE);
    assertThat(event.routing()).isEqualTo(RoutingInfo.NONE);
    assertThat(event.cache()).isEqualTo(CacheInfo.NONE);
    assertThat(event.usage()).isEqualTo(UsageInfo.NONE);
  }

  @Test
  void limitsNoneHasNothingReservedChargedOrRejected() {
    LimitsInfo none = LimitsInfo.NONE;

    assertThat(none.counterKeys()).isEmpty();
    assertThat(none.reservedTokens()).isZero();
    assertThat(none.settledTokens()).isZero();
    assertThat(none.rejectedLimit()).isNull();
    assertThat(none.outcome()).isEqualTo(LimitOutcome.NONE);
  }

  @Test
  void limitsKeepTheirCounterKeysUnmodifiableInTheirOrderAndASingleLimitsWithoutACopy() {
    Map<String, String> several = new java.util.LinkedHashMap<>();
    several.put("z-limit", "z");
    several.put("a-limit", "a");
    several.put("m-limit", null);
    LimitsInfo fromSeveral = new LimitsInfo(several, 1, 1, null, LimitOutcome.SETTLED);
    several.put("later", "x");

    assertThat(fromSeveral.counterKeys().keySet()).containsExactly("z-limit", "a-limit", "m-limit");
    assertThatThrownBy(() -> fromSeveral.counterKeys().put("b", "b"))
        .isInstanceOf(UnsupportedOperationException.class);

    Map<String, String> one = java.util.Collections.singletonMap("team-tpm", "team-a");
    LimitsInfo fromOne = new LimitsInfo(one, 1, 1, null, LimitOutcome.SETTLED);
    assertThat(fromOne.counterKeys()).isSameAs(one).isEqualTo(Map.of("team-tpm", "team-a"));
    assertThat(fromOne.counterKeys().get(null)).isNull(); // as a copy's lookups, null-safe
    assertThat(fromOne.counterKeys().containsKey(null)).isFalse();
    assertThatThrownBy(() -> fromOne.counterKeys().put("b", "b"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(fromOne)
        .isEqualTo(new LimitsInfo(Map.of("team-tpm", "team-a"), 1, 1, null, LimitOutcome.SETTLED));
    assertThat(new LimitsInfo(java.util.Collections.emptyMap(), 0, 0, null, LimitOutcome.NONE))
        .isEqualTo(LimitsInfo.NONE);
  }

  @Test
  void limitsSetByTheStageAreTheEvents() {
    Map<String, String> keys = new HashMap<>(Map.of("team-tpm", "team-a"));
    LimitsInfo limits = new LimitsInfo(keys, 900, 640, null, LimitOutcome.SETTLED);
    keys.clear(); // the event keeps its own copy

    GatewayEvent event = event().limits(limits).build();

    assertThat(event.limits().counterKeys()).containsExactly(Map.entry("team-tpm", "team-a"));
    assertThat(event.limits().reservedTokens()).isEqualTo(900);
    assertThat(event.limits().settledTokens()).isEqualTo(640);
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
    assertThat(event.toString()).contains("reserved=900, settled=640").doesNotContain("team-a");
  }

  @Test
  void aFailedStoreIsNamedInTheEventsText() {
    assertThat(event().limits(limits(LimitOutcome.STORE_FAILED)).build().toString())
        .contains("limit=STORE_FAILED");
    assertThat(event().limits(limits(LimitOutcome.SETTLED)).build().toString())
        .doesNotContain("limit=");
  }

  @Test
  void routingNoneKnowsNoDestination() {
    RoutingInfo none = RoutingInfo.NONE;

    assertThat(none.backendId()).isNull();
    assertThat(none.attempts()).isEmpty();
    assertThat(none.failoverReason()).isNull();
    assertThat(none.variant()).isNull();
    assertThat(none.provider()).isNull();
    assertThat(none.serverAddress()).isNull();
    assertThat(none.serverPort()).isZero();
  }

  @Test
  void aDirectCallHasADestinationButNoBackendOrAttempts() {
    RoutingInfo direct = RoutingInfo.direct("openai", "api.openai.com", 443);

    assertThat(direct)
        .isEqualTo(new RoutingInfo(null, List.of(), null, null, "openai", "api.openai.com", 443));
    assertThat(event().routing(direct).build().toString()).doesNotContain("backend=");
  }

  @Test
  void routingSetByTheStageIsTheEvents() {
    List<Attempt> attempts =
        List.of(
            new Attempt("ptu-east", 429, null, Duration.ofMillis(30)),
            new Attempt("paygo-west", 200, null, Duration.ofMillis(80)));
    RoutingInfo routing =
        new RoutingInfo(
            "paygo-west",
            attempts,
            "429 from ptu-east",
            "gpt-4o-mini",
            "azure.ai.openai",
            "west.example.com",
            443);

    GatewayEvent event = event().routing(routing).build();

    assertThat(event.routing().backendId()).isEqualTo("paygo-west");
    assertThat(event.routing().attempts()).containsExactlyElementsOf(attempts);
    assertThat(event.routing().serverPort()).isEqualTo(443);
    assertThat(event.toString())
        .contains("backend=paygo-west, attempts=2")
        .contains("failover=429 from ptu-east")
        .contains("variant=gpt-4o-mini");
  }

  @Test
  void cacheNoneDidNothing() {
    CacheInfo none = CacheInfo.NONE;

    assertThat(none.outcome()).isEqualTo(CacheOutcome.NONE);
    assertThat(none.score()).isNaN();
    assertThat(none.guardObjection()).isNull();
    assertThat(none.tokensSaved()).isZero();
    assertThat(event().build().toString()).doesNotContain("cache=");
  }

  @Test
  void cacheSetByTheStageIsTheEvents() {
    GatewayEvent hit =
        event().cache(new CacheInfo(CacheOutcome.SEMANTIC_HIT, 0.9712, null, 310)).build();
    GatewayEvent guarded =
        event().cache(new CacheInfo(CacheOutcome.GUARDED_MISS, 0.95, "negation", 0)).build();

    assertThat(hit.cache().tokensSaved()).isEqualTo(310);
    assertThat(hit.toString()).contains("cache=semantic_hit@0.971, saved=310");
    assertThat(guarded.cache().guardObjection()).isEqualTo("negation");
    assertThat(guarded.toString()).contains("cache=guarded_miss@0.950(negation)");
  }

  @Test
  void aSemanticSkipIsRecordedAndShown() {
    GatewayEvent skipped =
        event()
            .cache(
                new CacheInfo(
                    CacheOutcome.MISS, Double.NaN, null, 0, CacheInfo.PROMPT_NOT_READ_WHOLE))
            .build();

    assertThat(new CacheInfo(CacheOutcome.MISS, Double.NaN, null, 0).semanticSkip()).isNull();
    assertThat(skipped.cache().semanticSkip()).isEqualTo("prompt_not_read_whole");
    assertThat(skipped.toString()).contains("cache=miss, semanticSkip=prompt_not_read_whole");
  }

  @Test
  void usageNoneUsedNothing() {
    UsageInfo none = UsageInfo.NONE;

    assertThat(none.tokens()).isEqualTo(Usage.ZERO);
    assertThat(none.inputSource()).isEqualTo(UsageSource.NONE);
    assertThat(none.outputSource()).isEqualTo(UsageSource.NONE);
    assertThat(none.capped()).isFalse();
    assertThat(none.estimated()).isFalse();
    assertThat(none.cost()).isNull();
  }

  @Test
  void usageIsEstimatedWhenEitherSideWas() {
    Usage used = new Usage(17, 5, 22, 0, 0);

    assertThat(new UsageInfo(used, UsageSource.REPORTED, UsageSource.REPORTED, false, null))
        .returns(false, UsageInfo::estimated);
    assertThat(new UsageInfo(used, UsageSource.REPORTED, UsageSource.ESTIMATED, false, null))
        .returns(true, UsageInfo::estimated);
  }

  @Test
  void usageSetByTheTelemetryStageIsTheEvents() {
    UsageInfo usage =
        new UsageInfo(
            new Usage(17, 5, 22, 0, 0),
            UsageSource.REPORTED,
            UsageSource.ESTIMATED,
            true,
            new BigDecimal("0.000093"));

    GatewayEvent event = event().usage(usage).build();

    assertThat(event.usage().tokens().totalTokens()).isEqualTo(22);
    assertThat(event.usage().cost()).isEqualByComparingTo("0.000093");
    assertThat(event.toString()).contains("(REPORTED/ESTIMATED, capped)");
  }

  @Test
  void timingIsRequiredAndKept() {
    TimingInfo timing =
        new TimingInfo(
            STARTED, Duration.ofMillis(900), Duration.ofMillis(150), Duration.ofMillis(3));

    GatewayEvent event = event().timing(timing).stream(true).build();

    assertThat(event.timing()).isEqualTo(timing);
    assertThat(event.toString()).contains("latency=900ms, ttfc=150ms");
    assertThatThrownBy(
            () ->
                GatewayEvent.builder()
                    .operation(Operation.CHAT_COMPLETIONS)
                    .consumer("anonymous")
                    .outcome(CallOutcome.SUCCESS)
                    .build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("timing");
  }

  private static LimitsInfo limits(LimitOutcome outcome) {
    return new LimitsInfo(Map.of(), 0, 0, null, outcome);
  }

  @Test
  void theEventsTextKeepsACallersNamesOnOneBoundedLine() {
    // The consumer (a header) and the model (the body) are the caller's; an application that logs
    // events as they print must not get a forged line or a megabyte one.
    GatewayEvent event =
        event()
            .consumer("team-a\nGatewayEvent{call=2, op=chat, consumer=admin")
            .requestedModel("m".repeat(1 << 20))
            .responseModel("gpt-4o\u0085\u202eforged")
            .build();

    String text = event.toString();

    assertThat(text).doesNotContain("\n", "\u0085", "\u202e").hasSizeLessThan(2_000);
    assertThat(text)
        .contains(
            "consumer=team-a\\nGatewayEvent{call=2, op=chat, consumer=admin, model="
                + "m".repeat(200)
                + "…(+"
                + ((1 << 20) - 200)
                + " chars)->gpt-4o\\u0085\\u202eforged");
  }
}
