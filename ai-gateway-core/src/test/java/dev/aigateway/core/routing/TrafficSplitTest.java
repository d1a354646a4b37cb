package dev.aigateway.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TrafficSplitTest {

  /**
   * A share below the split's step (0.01 %) would round to no consumer at all: the variant would
   * silently get no traffic, so it is refused at build time, naming the step.
   */
  @Test
  void aShareTooSmallToReachAnyConsumerIsRefused() {
    assertThatThrownBy(() -> TrafficSplit.forModel("gpt-4o").send(0.004, "gpt-4.1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0.004")
        .hasMessageContaining("0.01");
  }

  /** The smallest share that rounds to one step reaches about one consumer in ten thousand. */
  @Test
  void theSmallestShareReachesSomeConsumers() {
    TrafficSplit split = TrafficSplit.forModel("gpt-4o").send(0.005, "gpt-4.1").build();
    int variant = 0;
    for (int i = 0; i < 200_000; i++) {
      if (split.variantFor("consumer-" + i) != null) {
        variant++;
      }
    }
    assertThat(variant).isBetween(5, 60); // about 20 of 200,000
  }
}
