package dev.aigateway.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What an attempt's {@code toString()} shows: never a header's value or a URL's secret. */
class AttemptPlanTest {

  @Test
  void toStringShowsHeaderNamesAndTheUrlWithoutItsQueryValues() {
    AttemptPlan plan =
        new AttemptPlan(
            "eastus",
            "https://eastus.openai.azure.com/openai/deployments/gpt-4o/chat/completions"
                + "?api-version=2024-10-21&api-key=url-key-SECRET&sig=sas-SECRET",
            Map.of("api-key", "header-key-SECRET"),
            Set.of("authorization"),
            null,
            Duration.ZERO);

    assertThat(plan.toString())
        .contains("eastus", "/openai/deployments/gpt-4o/chat/completions", "api-key")
        .contains("api-version=***")
        .doesNotContain("SECRET");
  }
}
