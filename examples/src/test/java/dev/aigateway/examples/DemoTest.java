package dev.aigateway.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.examples.server.LocalOpenAiServer;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoTest {

  @Test
  void demoGovernsEachConsumerByItsOwnLimit() throws Exception {
    try (LocalOpenAiServer server = LocalOpenAiServer.builder().completionWords(40).start()) {
      dev.aigateway.core.telemetry.UsageLedger[] ledger =
          new dev.aigateway.core.telemetry.UsageLedger[1];
      Map<String, Demo.ConsumerCounts> counts = Demo.run(server, ledger);

      Demo.ConsumerCounts gold = counts.get("team-gold");
      Demo.ConsumerCounts silver = counts.get("team-silver");
      Demo.ConsumerCounts bronze = counts.get("team-bronze");
      assertThat(gold.admitted.sum()).isEqualTo(13); // 12 calls + the streamed example
      assertThat(gold.rejected.sum()).isZero();
      assertThat(silver.rateLimited.sum()).isPositive();
      assertThat(silver.quotaSpent.sum()).isZero();
      assertThat(bronze.quotaSpent.sum()).isPositive();
      assertThat(bronze.tokens.sum()).isGreaterThanOrEqualTo(800);
      for (String consumer : counts.keySet()) {
        assertThat(
                ledger[0]
                    .total(consumer, dev.aigateway.api.QuotaPeriod.MONTHLY, java.time.Instant.now())
                    .totalTokens())
            .isEqualTo(counts.get(consumer).tokens.sum());
        // the usage report's calls column, as the demo says under it, counts the rejected calls too
        assertThat(
                ledger[0]
                    .total(consumer, dev.aigateway.api.QuotaPeriod.MONTHLY, java.time.Instant.now())
                    .calls())
            .isEqualTo(counts.get(consumer).admitted.sum() + counts.get(consumer).rejected.sum());
      }
      assertThat(server.requestCount())
          .isEqualTo(gold.admitted.sum() + silver.admitted.sum() + bronze.admitted.sum());
    }
  }
}
