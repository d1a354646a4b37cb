package dev.aigateway.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.RoutingInfo;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageInfo;
import dev.aigateway.api.UsageSource;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The OpenTelemetry GenAI meters: names, units, attributes, buckets and what goes into them. */
class GenAiConventionMetricsTest {

  private static final double[] TOKEN_BUCKETS = {
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864
  };
  private static final double[] SECONDS_BUCKETS = {
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92
  };

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final GenAiMetrics metrics = GenAiMetrics.create(registry);

  private DistributionSummary tokens(String type) {
    return registry.get("gen_ai.client.token.usage").tag("gen_ai.token.type", type).summary();
  }

  private Timer duration() {
    return registry.get("gen_ai.client.operation.duration").timer();
  }

  private static Map<String, String> tags(Meter meter) {
    return meter.getId().getTags().stream().collect(Collectors.toMap(Tag::getKey, Tag::getValue));
  }

  private static double[] buckets(CountAtBucket[] counts, TimeUnit unit) {
    return Arrays.stream(counts)
        .mapToDouble(c -> unit == null ? c.bucket() : c.bucket(unit))
        .toArray();
  }

  @Test
  void reportedUsageIsRecordedAsTokenUsagePerTokenType() {
    metrics.onEvent(Events.chat().build());

    assertThat(tokens("input").count()).isEqualTo(1);
    assertThat(tokens("input").totalAmount()).isEqualTo(17);
    assertThat(tokens("output").count()).isEqualTo(1);
    assertThat(tokens("output").totalAmount()).isEqualTo(5);
  }

  @Test
  void tokenUsageHasTheConventionsUnitAndAttributes() {
    metrics.onEvent(Events.chat().build());

    DistributionSummary input = tokens("input");
    assertThat(input.getId().getBaseUnit()).isEqualTo("{token}");
    assertThat(tags(input))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "gen_ai.operation.name", "chat",
                "gen_ai.provider.name", "openai",
                "gen_ai.request.model", "gpt-4o",
                "gen_ai.response.model", "gpt-4o-2024-08-06",
                "server.address", "api.openai.com",
                "server.port", "443",
                "gen_ai.token.type", "input"));
  }

  @Test
  void tokenUsageHasTheConventionsBucketBoundaries() {
    metrics.onEvent(Events.chat().build());

    CountAtBucket[] counts = tokens("input").takeSnapshot().histogramCounts();
    assertThat(buckets(counts, null)).containsExactly(TOKEN_BUCKETS);
    assertThat(counts[2].count()).as("cumulative count up to 16").isEqualTo(0);
    assertThat(counts[3].count()).as("cumulative count up to 64").isEqualTo(1);
  }

  @Test
  void operationDurationIsATimerInSecondsWithTheConventionsBuckets() {
    metrics.onEvent(Events.chat().build());

    Timer duration = duration();
    assertThat(duration.baseTimeUnit()).isEqualTo(TimeUnit.SECONDS);
    assertThat(duration.count()).isEqualTo(1);
    assertThat(duration.totalTime(TimeUnit.SECONDS)).isEqualTo(0.3);
    assertThat(buckets(duration.takeSnapshot().histogramCounts(), TimeUnit.SECONDS))
        .containsExactly(SECONDS_BUCKETS);
  }

  @Test
  void operationDurationHasTheConventionsAttributesWithErrorTypeNoneOnSuccess() {
    metrics.onEvent(Events.chat().build());

    assertThat(tags(duration()))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "gen_ai.operation.name", "chat",
                "gen_ai.provider.name", "openai",
                "gen_ai.request.model", "gpt-4o",
                "gen_ai.response.model", "gpt-4o-2024-08-06",
                "server.address", "api.openai.com",
                "server.port", "443",
                "error.type", "none"));
  }

  @Test
  void backendErrorsCarryTheirErrorTypeAndRecordNoTokens() {
    metrics.onEvent(
        Events.chat()
            .outcome(CallOutcome.BACKEND_ERROR)
            .status(503)
            .errorType("503")
            .usage(UsageInfo.NONE)
            .responseModel(null)
            .limits(Events.limits(1041, 0, LimitOutcome.SETTLED))
            .build());

    assertThat(
            registry
                .get("gen_ai.client.operation.duration")
                .tag("error.type", "503")
                .timer()
                .count())
        .isEqualTo(1);
    assertThat(registry.find("gen_ai.client.token.usage").meters()).isEmpty();
  }

  @Test
  void failuresWithoutAnErrorTypeAreRecordedAsOther() {
    metrics.onEvent(
        Events.chat()
            .outcome(CallOutcome.FAILED)
            .status(0)
            .errorType(null)
            .usage(UsageInfo.NONE)
            .build());

    assertThat(tags(duration())).containsEntry("error.type", "_OTHER");
  }

  @Test
  void rejectedCallsCarryTheRejectionAsErrorTypeAndRecordNoTokens() {
    metrics.onEvent(Events.rejected(RejectionReason.TOKEN_RATE_LIMIT, "per-consumer").build());

    assertThat(tags(duration())).containsEntry("error.type", "token-rate-limit");
    assertThat(registry.find("gen_ai.client.token.usage").meters()).isEmpty();
    assertThat(registry.find("ai_gateway.token.usage.estimated").meters()).isEmpty();
  }

  @Test
  void timeToFirstChunkIsRecordedForStreams() {
    metrics.onEvent(
        Events.chat().stream(true)
            .timing(
                Events.timing(
                    Duration.ofMillis(300), Duration.ofMillis(120), Duration.ofNanos(40_000)))
            .build());

    Timer ttfc = registry.get("gen_ai.client.operation.time_to_first_chunk").timer();
    assertThat(ttfc.count()).isEqualTo(1);
    assertThat(ttfc.totalTime(TimeUnit.SECONDS)).isEqualTo(0.12);
    assertThat(buckets(ttfc.takeSnapshot().histogramCounts(), TimeUnit.SECONDS))
        .containsExactly(SECONDS_BUCKETS);
    assertThat(tags(ttfc))
        .containsEntry("gen_ai.request.model", "gpt-4o")
        .containsEntry("error.type", "none");
  }

  @Test
  void timeToFirstChunkIsNotRecordedForNonStreamedCalls() {
    metrics.onEvent(Events.chat().stream(false).build());

    assertThat(registry.find("gen_ai.client.operation.time_to_first_chunk").meters()).isEmpty();
  }

  @Test
  void estimatedUsageIsKeptApartFromReportedUsage() {
    metrics.onEvent(
        Events.chat()
            .usage(Events.usage(Usage.of(17, 40), UsageSource.ESTIMATED, UsageSource.ESTIMATED))
            .build());

    assertThat(registry.find("gen_ai.client.token.usage").meters()).isEmpty();
    DistributionSummary estimated =
        registry
            .get("ai_gateway.token.usage.estimated")
            .tag("gen_ai.token.type", "output")
            .summary();
    assertThat(estimated.totalAmount()).isEqualTo(40);
    assertThat(estimated.getId().getBaseUnit()).isEqualTo("{token}");
    assertThat(buckets(estimated.takeSnapshot().histogramCounts(), null))
        .containsExactly(TOKEN_BUCKETS);
    assertThat(
            registry
                .get("ai_gateway.token.usage.estimated")
                .tag("gen_ai.token.type", "input")
                .summary()
                .totalAmount())
        .isEqualTo(17);
  }

  @Test
  void usageOfMixedSourcesIsSplitPerTokenType() {
    metrics.onEvent(
        Events.chat()
            .usage(Events.usage(Usage.of(17, 40), UsageSource.REPORTED, UsageSource.ESTIMATED))
            .build());

    assertThat(tokens("input").totalAmount()).isEqualTo(17);
    assertThat(
            registry.find("gen_ai.client.token.usage").tag("gen_ai.token.type", "output").meters())
        .isEmpty();
    assertThat(
            registry
                .get("ai_gateway.token.usage.estimated")
                .tag("gen_ai.token.type", "output")
                .summary()
                .totalAmount())
        .isEqualTo(40);
  }

  @Test
  void embeddingsRecordInputTokensOnly() {
    metrics.onEvent(
        Events.chat()
            .operation(Operation.EMBEDDINGS)
            .responseModel("text-embedding-3-small")
            .usage(Events.usage(Usage.of(8, 0), UsageSource.REPORTED, UsageSource.REPORTED))
            .build());

    assertThat(
            registry
                .get("gen_ai.client.token.usage")
                .tag("gen_ai.token.type", "input")
                .tag("gen_ai.operation.name", "embeddings")
                .summary()
                .totalAmount())
        .isEqualTo(8);
    assertThat(
            registry.find("gen_ai.client.token.usage").tag("gen_ai.token.type", "output").meters())
        .isEmpty();
  }

  @Test
  void attributesACallDoesNotHaveAreRecordedAsNone() {
    metrics.onEvent(
        Events.chat().requestedModel(null).responseModel(null).routing(RoutingInfo.NONE).build());

    assertThat(tags(tokens("input")))
        .containsEntry("gen_ai.request.model", "none")
        .containsEntry("gen_ai.response.model", "none")
        .containsEntry("gen_ai.provider.name", "none")
        .containsEntry("server.address", "none")
        .containsEntry("server.port", "none");
  }

  @Test
  void everyMeterOfOneNameHasTheSameTagKeys() {
    metrics.onEvent(Events.chat().build());
    metrics.onEvent(
        Events.chat().requestedModel(null).routing(RoutingInfo.direct("openai", null, 0)).build());
    metrics.onEvent(Events.chat().outcome(CallOutcome.BACKEND_ERROR).errorType("500").build());
    metrics.onEvent(Events.rejected(RejectionReason.TOKEN_QUOTA, "monthly").build());

    for (String name :
        new String[] {
          "gen_ai.client.token.usage",
          "gen_ai.client.operation.duration",
          "ai_gateway.gateway.time",
          "ai_gateway.rejections"
        }) {
      assertThat(registry.find(name).meters())
          .as(name)
          .isNotEmpty()
          .extracting(meter -> tags(meter).keySet())
          .as(name)
          .containsOnly(tags(registry.get(name).meters().iterator().next()).keySet());
    }
    assertThat(registry.find("gen_ai.client.operation.duration").timers()).hasSize(4);
  }

  @Test
  void callsWithTheSameAttributesShareTheirMeters() {
    metrics.onEvent(Events.chat().build());
    int meters = registry.getMeters().size();

    metrics.onEvent(Events.chat().build());
    metrics.onEvent(Events.chat().build());

    assertThat(registry.getMeters()).hasSize(meters);
    assertThat(tokens("input").count()).isEqualTo(3);
  }

  @Test
  void theNamesAreTheConventions() {
    assertThat(GenAiMetricNames.Metric.TOKEN_USAGE.meterName())
        .isEqualTo("gen_ai.client.token.usage");
    assertThat(GenAiMetricNames.Metric.OPERATION_DURATION.meterName())
        .isEqualTo("gen_ai.client.operation.duration");
    assertThat(GenAiMetricNames.Metric.TIME_TO_FIRST_CHUNK.meterName())
        .isEqualTo("gen_ai.client.operation.time_to_first_chunk");
    assertThat(GenAiMetricNames.Metric.TOKEN_USAGE.histogramBuckets())
        .containsExactly(TOKEN_BUCKETS);
    assertThat(GenAiMetricNames.Metric.OPERATION_DURATION.histogramBuckets())
        .containsExactly(SECONDS_BUCKETS);
  }
}
