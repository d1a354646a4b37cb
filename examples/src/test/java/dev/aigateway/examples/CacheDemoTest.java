package dev.aigateway.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CacheOutcome;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CacheDemoTest {

  @Test
  void showsAnExactHitASemanticHitAndGuardedNearMisses() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    CacheDemo.Summary summary =
        CacheDemo.run(new PrintStream(printed, true, StandardCharsets.UTF_8));

    assertThat(summary.outcomes())
        .containsExactly(
            CacheOutcome.MISS,
            CacheOutcome.EXACT_HIT,
            CacheOutcome.EXACT_HIT,
            CacheOutcome.SEMANTIC_HIT,
            CacheOutcome.MISS,
            CacheOutcome.GUARDED_MISS,
            CacheOutcome.MISS,
            CacheOutcome.GUARDED_MISS);
    assertThat(summary.backendCalls()).isEqualTo(5);
    assertThat(summary.tokensSaved()).isPositive();
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("semantic_hit")
        .contains("the cache saved " + summary.tokensSaved() + " tokens");
  }
}
