package dev.aigateway.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * Reported usage detail (prompt-cache reads and writes, reasoning, audio, image) goes to its own
 * meter by token type, apart from the input and output it is part of.
 */
class TokenUsageDetailTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final GenAiMetrics metrics = GenAiMetrics.create(registry);

  private double detail(String type) {
    return registry
        .get(GenAiMetricNames.Metric.TOKEN_USAGE_DETAIL.meterName())
        .tag(GenAiMetricNames.Attribute.TOKEN_TYPE.key(), type)
        .summary()
        .totalAmount();
  }

  @Test
  void eachReportedKindIsRecordedByTokenTypeAndInputAndOutputStayWhole() {
    Usage usage = new Usage(1_200, 300, 1_500, 800, 100, 250, 40, 30, 20);

    metrics.onEvent(
        Events.chat()
            .usage(Events.usage(usage, UsageSource.REPORTED, UsageSource.REPORTED))
            .build());

    assertThat(detail(GenAiMetricNames.TOKEN_TYPE_CACHE_READ)).isEqualTo(800);
    assertThat(detail(GenAiMetricNames.TOKEN_TYPE_CACHE_CREATION)).isEqualTo(250);
    assertThat(detail(GenAiMetricNames.TOKEN_TYPE_REASONING)).isEqualTo(100);
    assertThat(detail(GenAiMetricNames.TOKEN_TYPE_INPUT_AUDIO)).isEqualTo(40);
    assertThat(detail(GenAiMetricNames.TOKEN_TYPE_OUTPUT_AUDIO)).isEqualTo(30);
    assertThat(detail(GenAiMetricNames.TOKEN_TYPE_INPUT_IMAGE)).isEqualTo(20);
    assertThat(
            registry
                .get("gen_ai.client.token.usage")
                .tag("gen_ai.token.type", "input")
                .summary()
                .totalAmount())
        .isEqualTo(1_200);
  }

  @Test
  void kindsNotReportedOrEstimatedAreNotRecorded() {
    Usage usage = new Usage(1_200, 300, 1_500, 800, 100, 0, 0, 0, 0);

    metrics.onEvent(
        Events.chat()
            .usage(Events.usage(usage, UsageSource.REPORTED, UsageSource.ESTIMATED))
            .build());

    assertThat(detail(GenAiMetricNames.TOKEN_TYPE_CACHE_READ)).isEqualTo(800);
    assertThat(
            registry
                .find(GenAiMetricNames.Metric.TOKEN_USAGE_DETAIL.meterName())
                .tag("gen_ai.token.type", GenAiMetricNames.TOKEN_TYPE_REASONING)
                .summary())
        .as("reasoning of an estimated output")
        .isNull();
    assertThat(
            registry
                .find(GenAiMetricNames.Metric.TOKEN_USAGE_DETAIL.meterName())
                .tag("gen_ai.token.type", GenAiMetricNames.TOKEN_TYPE_CACHE_CREATION)
                .summary())
        .as("no cache writes reported")
        .isNull();
  }
}
