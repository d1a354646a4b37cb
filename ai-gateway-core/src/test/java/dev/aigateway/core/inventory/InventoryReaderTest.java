package dev.aigateway.core.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.CounterId;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class InventoryReaderTest {

  @Test
  void urlsLoseUserInformationFragmentsAndQueryValues() {
    assertThat(
            GatewayInventory.urlWithoutSecrets(
                "https://user:pa55@east.example.com:8443/openai/v1?api-key=k3y&sig=abc#frag"))
        .isEqualTo("https://east.example.com:8443/openai/v1?api-key=***&sig=***");
    assertThat(GatewayInventory.urlWithoutSecrets("https://api.openai.com"))
        .isEqualTo("https://api.openai.com");
    assertThat(GatewayInventory.urlWithoutSecrets("http://localhost:11434/v1?flag"))
        .isEqualTo("http://localhost:11434/v1?***");
  }

  @Test
  void peekingTheInMemoryStoreCreatesNoCounter() {
    InMemoryTokenLimitStore store =
        new InMemoryTokenLimitStore(
            new ManualClock(Instant.parse("2026-06-01T10:00:00Z")), Duration.ofMinutes(1));
    LimitSpec rate = LimitSpec.rate("r", 100, Duration.ofMinutes(1));
    LimitSpec quota = LimitSpec.quota("q", 100, QuotaPeriod.DAILY, ZoneOffset.UTC);
    LimitSpec inFlight = LimitSpec.inFlight("f", 2);

    store.peek(
        List.of(
            new CounterId(rate, "alice"),
            new CounterId(quota, "alice"),
            new CounterId(inFlight, "alice")));

    assertThat(store.size()).isZero();
  }

  @Test
  void aGatewayWithNothingConfiguredHasAnEmptyInventoryWithItsReservedSections() {
    AiGateway gateway =
        AiGateway.builder().clock(new ManualClock(Instant.parse("2026-06-01T10:00:00Z"))).build();

    GatewayInventory inventory = gateway.inventory();

    assertThat(inventory.pools()).isEmpty();
    assertThat(inventory.models()).isEmpty();
    assertThat(inventory.consumers().entries()).isEmpty();
    assertThat(inventory.access()).isNull();
    assertThat(inventory.anomalies()).isNull();
    assertThat(inventory.caches()).isNull();
    assertThat(inventory.contentSafety()).isNull();
    assertThat(inventory.toJson())
        .isEqualTo(
            "{\"generatedAt\":\"2026-06-01T10:00:00Z\",\"tokenStore\":\"InMemoryTokenLimitStore\","
                + "\"pools\":[],\"models\":[],\"limits\":[],\"consumers\":{\"tracked\":0,"
                + "\"listed\":0,\"usage\":\"INCLUDED\",\"usageProblem\":null,\"entries\":[]},"
                + "\"access\":null,\"anomalies\":null,\"caches\":null,\"contentSafety\":null,"
                + "\"mcpServers\":[],\"agents\":[]}");
  }
}
