package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.LedgerEntry;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.telemetry.Price;
import dev.aigateway.core.telemetry.PriceTable;
import dev.aigateway.core.telemetry.UsageLedger;
import java.math.BigDecimal;
import java.time.Instant;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How the listeners a gateway is built with are told of its calls. */
class ListenerRegistrationTest {

  private final MockWebServer server = new MockWebServer();

  @BeforeEach
  void setUp() throws Exception {
    server.start();
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  @Test
  void aListenerAddedTwiceIsToldOfEachCallOnce() throws Exception {
    // As when an application's ledger bean is a listener and a customizer adds it again.
    UsageLedger ledger =
        UsageLedger.builder()
            .priceTable(
                PriceTable.builder().modelPrefix("gpt-4o", Price.perMillion("2.50", "10.00")))
            .build();
    AiGateway.Builder builder = AiGateway.builder().listener(ledger).listener(ledger);
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), builder.build());
    server.enqueue(json(chatCompletion("gpt-4o-2024-08-06", 1_000, 100)));

    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(), chatRequest("gpt-4o", "Hi", "")))
            .execute()) {
      response.body().string();
    }

    LedgerEntry total = ledger.total(AiGateway.ANONYMOUS, QuotaPeriod.MONTHLY, Instant.now());
    assertThat(total.calls()).isEqualTo(1);
    assertThat(total.totalTokens()).isEqualTo(1_100);
    assertThat(total.cost()).isEqualByComparingTo(new BigDecimal("0.0035"));
    assertThat(builder.listeners()).containsExactly(ledger);
  }
}
