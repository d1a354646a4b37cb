package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link LimitAllocation} on a few calls: every case measured, every governed call reported. */
class LimitAllocationTest {

  @Test
  void measuresEveryCaseAndTheLimitsAllocateMoreThanAListenerAlone() throws Exception {
    Map<String, Double> bytes = LimitAllocation.measure(2_000, 500); // throws on a missing event

    assertThat(bytes)
        .containsOnlyKeys(
            "plain json",
            "plain stream",
            "listener only json",
            "listener only stream",
            "limits, no estimate json",
            "limits, no estimate stream",
            "limits, estimate json",
            "limits, estimate stream",
            "store reserve + settle");
    assertThat(bytes.values()).allSatisfy(value -> assertThat(value).isPositive());
    for (String kind : new String[] {" json", " stream"}) {
      assertThat(bytes.get("listener only" + kind)).isGreaterThan(bytes.get("plain" + kind));
      assertThat(bytes.get("limits, no estimate" + kind))
          .isGreaterThan(bytes.get("listener only" + kind));
    }
  }
}
