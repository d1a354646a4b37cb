package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestSideAllocationTest {

  @Test
  void measuresEveryStepAndTheCountAllocatesLessThanTheTree() {
    Map<String, Double> bytes = RequestSideAllocation.measure(20_000, 2_000);

    assertThat(bytes)
        .containsOnlyKeys(
            "WireFormats.recognise",
            "CallMatchers match",
            "request view + model",
            "request view + model + countPrompt",
            "request view + model + tree",
            "Prompts.countTokens(String)");
    assertThat(bytes.values()).allSatisfy(value -> assertThat(value).isNotNegative());
    // The prompt is counted without building the body's tree.
    assertThat(bytes.get("request view + model + countPrompt"))
        .isLessThan(bytes.get("request view + model + tree"));
  }
}
