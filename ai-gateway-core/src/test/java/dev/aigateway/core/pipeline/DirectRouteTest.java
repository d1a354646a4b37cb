package dev.aigateway.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.adapter.PostedRequest;
import dev.aigateway.core.wire.OpenAiRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A call without a backend pool: one attempt to where the application sent it. */
class DirectRouteTest {

  private static final String URL = "https://api.example.com/v1/chat/completions";

  private static Exchange exchange(String body) {
    AiGateway gateway = AiGateway.builder().listener(event -> {}).build();
    OpenAiRequest request =
        new OpenAiRequest(
            new CallMatch(Operation.CHAT_COMPLETIONS, null),
            PostedRequest.of(URL, body),
            AiGateway.DEFAULT_MAX_PARSED_BODY_BYTES);
    return new Exchange(gateway.callSettings(), request, 1, Instant.EPOCH, System.nanoTime());
  }

  @Test
  void everyCallHasARouteAndADirectOneIsNotAPool() {
    Exchange exchange = exchange("{\"model\":\"gpt-4o\",\"messages\":[]}");

    assertThat(exchange.route().pooled()).isFalse();
    assertThat(exchange.routedModel()).isEqualTo("gpt-4o");
    assertThat(exchange.route().firstEventTimeout()).isNull();
  }

  @Test
  void itsOneAttemptSendsTheApplicationsBytesToTheApplicationsUrl() {
    AttemptPlan plan = exchange("{\"model\":\"gpt-4o\",\"messages\":[]}").route().next();

    assertThat(plan.url()).isNull();
    assertThat(plan.backendId()).isNull();
    assertThat(plan.body()).isNull();
    assertThat(plan.backoff()).isZero();
  }

  @Test
  void aStreamThatDidNotAskForUsageIsSentTheRewriteThatAsks() {
    AttemptPlan plan =
        exchange("{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[]}").route().next();

    assertThat(new String(plan.body(), StandardCharsets.UTF_8)).contains("\"include_usage\":true");
  }

  @Test
  void itNeverRetriesAndHasNoSecondAttempt() {
    Route route = exchange("{\"model\":\"gpt-4o\",\"messages\":[]}").route();
    route.next();

    assertThat(route.retryAfterResponse(503, name -> null, false)).isFalse();
    assertThat(route.retryAfterFailure(new IOException("reset"), false)).isFalse();
    assertThatThrownBy(route::next).hasMessageContaining("one attempt");
  }
}
