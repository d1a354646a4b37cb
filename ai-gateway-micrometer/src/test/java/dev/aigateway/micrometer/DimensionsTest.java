package dev.aigateway.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.Attempt;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.LimitsInfo;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.RoutingInfo;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.testing.CapturingLogger;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Custom dimensions and the cardinality limit. */
class DimensionsTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final CapturingLogger log = new CapturingLogger("capturing");

  private static Map<String, String> tags(Meter meter) {
    return meter.getId().getTags().stream().collect(Collectors.toMap(Tag::getKey, Tag::getValue));
  }

  private Set<String> inputTokenValues(String tagKey) {
    return registry
        .find("gen_ai.client.token.usage")
        .tag("gen_ai.token.type", "input")
        .summaries()
        .stream()
        .map(s -> s.getId().getTag(tagKey))
        .collect(Collectors.toSet());
  }

  /** The tags of the one operation-duration timer. */
  private Map<String, String> durationTags() {
    return tags(registry.get("gen_ai.client.operation.duration").timer());
  }

  /** How many calls the input-token summary with this tag recorded. */
  private long inputTokenCount(String tagKey, String tagValue) {
    return registry
        .get("gen_ai.client.token.usage")
        .tag("gen_ai.token.type", "input")
        .tag(tagKey, tagValue)
        .summary()
        .count();
  }

  /** Records two chat calls through metrics whose one dimension, "broken", is this one. */
  private void twoCallsWithBrokenDimension(Dimension broken) {
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry).dimension("broken", broken).logger(log).build();
    metrics.onEvent(Events.chat().build());
    metrics.onEvent(Events.chat().build());
  }

  @Test
  void customDimensionsTagEveryPerCallMeter() {
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry).dimension("team", Dimension.consumer()).build();

    metrics.onEvent(
        Events.chat().consumer("team-a").stream(true)
            .timing(
                Events.timing(
                    Duration.ofMillis(300), Duration.ofMillis(80), Duration.ofNanos(40_000)))
            .build());
    metrics.onEvent(
        Events.rejected(RejectionReason.TOKEN_QUOTA, "monthly").consumer("team-b").build());

    for (String name :
        List.of(
            "gen_ai.client.token.usage",
            "gen_ai.client.operation.time_to_first_chunk",
            "ai_gateway.reservation.drift")) {
      assertThat(registry.get(name).meters())
          .as(name)
          .allSatisfy(meter -> assertThat(tags(meter)).containsEntry("team", "team-a"));
    }
    assertThat(registry.get("gen_ai.client.operation.duration").meters())
        .extracting(meter -> meter.getId().getTag("team"))
        .containsExactlyInAnyOrder("team-a", "team-b");
    assertThat(tags(registry.get("ai_gateway.rejections").counter()))
        .containsEntry("team", "team-b");
  }

  @Test
  void backendMetersCarryNoCustomDimensions() {
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry).dimension("team", Dimension.consumer()).build();

    metrics.onEvent(
        Events.chat()
            .routing(
                Events.routed(
                    "ptu-east", List.of(new Attempt("ptu-east", 200, null, Duration.ofMillis(9)))))
            .build());

    assertThat(tags(registry.get("ai_gateway.attempts").counter())).doesNotContainKey("team");
    assertThat(tags(registry.get("ai_gateway.gateway.time").timer())).doesNotContainKey("team");
  }

  @Test
  void counterKeyDimensionTakesTheKeyOfTheNamedLimit() {
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry).dimension("team", Dimension.counterKey("per-team")).build();

    metrics.onEvent(
        Events.chat()
            .limits(
                new LimitsInfo(
                    Map.of("per-team", "search", "global", "*"),
                    1041,
                    22,
                    null,
                    LimitOutcome.SETTLED))
            .build());

    assertThat(inputTokenValues("team")).containsExactly("search");
  }

  @Test
  void aCounterKeyDimensionNamingALimitTheGatewayLacksIsRefusedWhenTheGatewayIsBuilt() {
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry).dimension("team", Dimension.counterKey("per-taem")).build();
    AiGateway.Builder gateway =
        AiGateway.builder()
            .tokenLimit(
                TokenLimit.per("per-team", KeyResolvers.header("x-team")).tokensPerMinute(50_000))
            .listener(metrics);

    assertThatThrownBy(gateway::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'per-taem'")
        .hasMessageContaining("[per-team]");
  }

  @Test
  void aCounterKeyDimensionNamingOneOfTheGatewaysLimitsIsAccepted() {
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry).dimension("team", Dimension.counterKey("per-team")).build();

    AiGateway gateway =
        AiGateway.builder()
            .tokenLimit(
                TokenLimit.per("per-team", KeyResolvers.header("x-team")).tokensPerMinute(50_000))
            .listener(metrics)
            .build();

    assertThat(gateway).isNotNull();
    assertThat(metrics.limitsRead()).containsExactly("per-team");
  }

  @Test
  void backendAndVariantDimensionsTakeTheRoute() {
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry)
            .dimension("backend", Dimension.backend())
            .dimension("variant", Dimension.variant())
            .build();

    metrics.onEvent(
        Events.chat()
            .routing(
                new RoutingInfo(
                    "ptu-east", List.of(), null, "gpt-4.1", "openai", "api.openai.com", 443))
            .build());

    assertThat(durationTags())
        .containsEntry("backend", "ptu-east")
        .containsEntry("variant", "gpt-4.1");
  }

  @Test
  void functionDimensionsTakeAnyValueOfTheEvent() {
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry)
            .dimension(
                "tier", Dimension.of(e -> e.consumer().startsWith("free-") ? "free" : "paid"))
            .dimension("streamed", e -> String.valueOf(e.stream()))
            .build();

    metrics.onEvent(Events.chat().consumer("free-42").build());

    assertThat(durationTags()).containsEntry("tier", "free").containsEntry("streamed", "false");
  }

  @Test
  void aMissingDimensionValueIsRecordedAsNone() {
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry)
            .dimension("team", Dimension.counterKey("per-team"))
            .dimension("backend", Dimension.backend())
            .build();

    metrics.onEvent(Events.chat().build());

    assertThat(durationTags()).containsEntry("team", "none").containsEntry("backend", "none");
  }

  @Test
  void valuesBeyondTheLimitFoldIntoOther() {
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry)
            .dimension("team", Dimension.consumer())
            .maxValuesPerDimension(2)
            .logger(log)
            .build();

    for (String consumer : List.of("a", "b", "c", "d", "a")) {
      metrics.onEvent(Events.chat().consumer(consumer).build());
    }

    assertThat(inputTokenValues("team")).containsExactlyInAnyOrder("a", "b", "other");
    assertThat(inputTokenCount("team", "other")).isEqualTo(2);
    assertThat(inputTokenCount("team", "a")).isEqualTo(2);
  }

  @Test
  void foldingWarnsOncePerDimension() {
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry)
            .dimension("team", Dimension.consumer())
            .dimension("app", e -> e.consumer() + "-app")
            .maxValuesPerDimension(1)
            .logger(log)
            .build();

    for (String consumer : List.of("a", "b", "c", "d")) {
      metrics.onEvent(Events.chat().consumer(consumer).build());
    }

    assertThat(log.warnings()).hasSize(2);
    assertThat(log.warnings().get(0)).contains("'team'", "limit of 1", "'other'");
    assertThat(log.warnings().get(1)).contains("'app'");
  }

  @Test
  void requestAndResponseModelsAreLimitedToo() {
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry).maxValuesPerDimension(1).logger(log).build();

    metrics.onEvent(Events.chat().requestedModel("gpt-4o").responseModel("gpt-4o-1").build());
    metrics.onEvent(Events.chat().requestedModel("gpt-4.1").responseModel("gpt-4.1-1").build());

    assertThat(inputTokenValues("gen_ai.request.model"))
        .containsExactlyInAnyOrder("gpt-4o", "other");
    assertThat(inputTokenValues("gen_ai.response.model"))
        .containsExactlyInAnyOrder("gpt-4o-1", "other");
    assertThat(log.warnings())
        .hasSize(2)
        .anySatisfy(w -> assertThat(w).contains("'gen_ai.request.model'"));
  }

  @Test
  void aValueTooLongForATagIsRecordedAsOtherAndTakesNoSlot() {
    // A model name comes from the request body and a counter key from a header: a client that
    // sends a value of a megabyte must not make every series of the call carry it (held by the
    // registry for good, and written on every line of each scrape).
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry)
            .dimension("team", Dimension.consumer())
            .maxValuesPerDimension(2)
            .logger(log)
            .build();
    String huge = "m".repeat(1 << 20);

    metrics.onEvent(Events.chat().requestedModel(huge).responseModel(huge).consumer(huge).build());
    metrics.onEvent(Events.chat().requestedModel("gpt-4o").consumer("team-a").build());

    int longest =
        registry.getMeters().stream()
            .flatMap(meter -> meter.getId().getTags().stream())
            .mapToInt(tag -> tag.getValue().length())
            .max()
            .orElse(0);
    assertThat(longest)
        .as("the longest tag value")
        .isLessThanOrEqualTo(GenAiMetrics.MAX_VALUE_LENGTH);
    assertThat(abbreviated(inputTokenValues("gen_ai.request.model")))
        .containsExactlyInAnyOrder("other", "gpt-4o");
    assertThat(abbreviated(inputTokenValues("team"))).containsExactlyInAnyOrder("other", "team-a");
    assertThat(log.warnings())
        .anySatisfy(w -> assertThat(w).contains("'team'", "longer than", "'other'"))
        .allSatisfy(w -> assertThat(w.length()).isLessThan(1_000));
  }

  /** Tag values with the long ones shortened, so that a failure message stays readable. */
  private static Set<String> abbreviated(Set<String> values) {
    return values.stream()
        .map(v -> v.length() > 40 ? v.substring(0, 10) + "...(" + v.length() + " chars)" : v)
        .collect(Collectors.toSet());
  }

  @Test
  void aDimensionThatThrowsIsRecordedAsNoneAndLoggedOnce() {
    twoCallsWithBrokenDimension(
        e -> {
          throw new IllegalStateException("boom");
        });

    assertThat(inputTokenCount("broken", "none")).isEqualTo(2);
    assertThat(log.warnings()).hasSize(1).first().asString().contains("'broken'");
  }

  @Test
  void aDimensionThatFailsWithAnErrorIsRecordedAsNoneToo() {
    // a dimension using a class the application's runtime lacks, say
    twoCallsWithBrokenDimension(
        e -> {
          throw new NoClassDefFoundError("com/example/Tiers");
        });

    assertThat(
            registry.get("gen_ai.client.operation.duration").tag("broken", "none").timer().count())
        .isEqualTo(2);
    assertThat(inputTokenCount("broken", "none")).isEqualTo(2);
    assertThat(log.warnings()).hasSize(1).first().asString().contains("'broken'");
  }

  @Test
  void dimensionNamesMustBeNewAndNotBuiltIn() {
    GenAiMetrics.Builder builder =
        GenAiMetrics.builder(registry).dimension("team", Dimension.consumer());

    assertThatThrownBy(() -> builder.dimension("team", Dimension.backend()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("dimension 'team' was already added");
    assertThatThrownBy(() -> builder.dimension("error.type", Dimension.backend()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("dimension name 'error.type' is a built-in attribute; choose another name");
    assertThatThrownBy(() -> builder.dimension(" ", Dimension.backend()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a dimension name must not be blank but was ' '");
  }

  @Test
  void aDimensionCannotTakeTheCacheMetersOutcomeTag() {
    // ai_gateway.cache.lookups and ai_gateway.cache.semantic.score carry the custom dimensions
    // beside their own outcome tag: a dimension of that name would replace it, merging hits and
    // misses into one series.
    assertThatThrownBy(
            () -> GenAiMetrics.builder(registry).dimension("outcome", event -> "interactive"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("dimension name 'outcome' is a built-in attribute; choose another name");
  }

  @Test
  void aDimensionCannotTakeABuiltInTagUnderTheKeyARegistryExportsIt() {
    // Prometheus writes tag keys with dots and dashes as underscores: a dimension named so would
    // be a second label error_type beside error.type's, which the registry refuses for every
    // call's meters, long after the gateway was built.
    assertThatThrownBy(() -> GenAiMetrics.builder(registry).dimension("error_type", e -> "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "dimension name 'error_type' is exported as 'error_type', as built-in attribute"
                + " 'error.type' is by registries that write tag keys with underscores"
                + " (Prometheus); choose another name");
    assertThatThrownBy(
            () -> GenAiMetrics.builder(registry).dimension("gen_ai-request_model", e -> "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'gen_ai.request.model'");
  }

  @Test
  void twoDimensionsCannotShareTheKeyARegistryExportsThemUnder() {
    GenAiMetrics.Builder builder =
        GenAiMetrics.builder(registry).dimension("team.name", Dimension.consumer());

    assertThatThrownBy(() -> builder.dimension("team_name", Dimension.backend()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "dimension name 'team_name' is exported as 'team_name', as dimension 'team.name' is"
                + " by registries that write tag keys with underscores (Prometheus); choose"
                + " another name");
  }

  @Test
  void maxValuesPerDimensionMustBePositive() {
    assertThatThrownBy(() -> GenAiMetrics.builder(registry).maxValuesPerDimension(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxValuesPerDimension must be >= 1 but was 0");
  }

  @Test
  void theBuiltMetricsNameTheirDimensions() {
    GenAiMetrics metrics =
        GenAiMetrics.builder(registry)
            .dimension("team", Dimension.consumer())
            .maxValuesPerDimension(7)
            .build();

    assertThat(metrics).hasToString("GenAiMetrics{dimensions=[team], maxValuesPerDimension=7}");
  }
}
