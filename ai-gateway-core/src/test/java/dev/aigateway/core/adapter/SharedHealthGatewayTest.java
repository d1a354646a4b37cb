package dev.aigateway.core.adapter;

import static dev.aigateway.core.adapter.ScriptedSender.json;
import static dev.aigateway.core.adapter.ScriptedSender.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.CircuitBreakerPolicy;
import dev.aigateway.core.routing.InMemoryBackendHealthChannel;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import org.junit.jupiter.api.Test;

/**
 * Two gateways of one JVM (say, one per tenant) over the same backends, sharing health through an
 * in-memory channel: what one learns from a call, the other's next call already knows.
 */
class SharedHealthGatewayTest {

  private static final String CHAT =
      "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
  private static final String ANSWER =
      "{\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"}}],\"usage\":"
          + "{\"prompt_tokens\":8,\"completion_tokens\":1,\"total_tokens\":9}}";

  private final ManualClock clock = ManualClock.at("2026-06-01T10:00:00Z");
  private final Queue<Runnable> deliveries = new ArrayDeque<>();
  // The channel measures a signal's wait on the gateways' clock: deliveries run by hand while it
  // stands still pass a signal on with the time it was sent with.
  private final InMemoryBackendHealthChannel health =
      new InMemoryBackendHealthChannel(deliveries::add, clock);

  private AiGateway gateway(CircuitBreakerPolicy policy, List<BreakerTransition> transitions) {
    BackendPool pool =
        BackendPool.builder()
            .name("chat")
            .backend(Backend.openAiCompatible("a", "http://a.test/"))
            .backend(Backend.openAiCompatible("b", "http://b.test/"))
            .circuitBreaker(policy)
            .sharedHealth(health)
            .build();
    return AiGateway.builder()
        .clock(clock)
        .backendPool(pool)
        .listener(
            new GatewayListener() {
              @Override
              public void onEvent(dev.aigateway.api.GatewayEvent event) {}

              @Override
              public void onBreakerTransition(BreakerTransition transition) {
                transitions.add(transition);
              }
            })
        .build();
  }

  /** Sends one chat call through the gateway and returns the backends it tried. */
  private static List<String> call(AiGateway gateway, ScriptedSender sender) throws IOException {
    int before = sender.sent.size();
    GovernedCall call =
        gateway.begin(
            gateway.match("POST", "/v1/chat/completions"),
            PostedRequest.of("http://app.test/v1/chat/completions", CHAT));
    assertThat(call.admit().admitted()).isTrue();
    AttemptLoop.Answer<ScriptedSender.Reply> answer =
        new AttemptLoop<>(call, sender, pause -> {}).run();
    try (InputStream body = answer.body() != null ? answer.body() : answer.response().body) {
      body.readAllBytes();
    }
    return sender.backendsTried().subList(before, sender.sent.size());
  }

  private void deliver() {
    Runnable task;
    while ((task = deliveries.poll()) != null) {
      task.run();
    }
  }

  @Test
  void a429WithRetryAfterSeenByOneGatewayKeepsTheOthersCallsOffThatBackend() throws IOException {
    List<BreakerTransition> ignored = new ArrayList<>();
    AiGateway first = gateway(CircuitBreakerPolicy.defaults(), ignored);
    AiGateway second = gateway(CircuitBreakerPolicy.defaults(), ignored);
    ScriptedSender toFirst =
        new ScriptedSender().on("a", status(429, "Retry-After", "30")).on("b", json(ANSWER));
    ScriptedSender toSecond = new ScriptedSender().on("a", json(ANSWER)).on("b", json(ANSWER));

    assertThat(call(first, toFirst)).containsExactly("a", "b");
    deliver();
    List<String> tried = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      tried.addAll(call(second, toSecond));
    }
    clock.advance(Duration.ofSeconds(30));
    List<String> after = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      after.addAll(call(second, toSecond));
    }

    assertThat(tried).containsOnly("b");
    assertThat(after).containsExactlyInAnyOrder("a", "b");
  }

  @Test
  void aTripInOneGatewayReachesTheOthersListenersAsRemoteAndIsNotSentBack() throws IOException {
    CircuitBreakerPolicy oneFailure =
        CircuitBreakerPolicy.builder().failureCount(1, Duration.ofSeconds(10)).build();
    List<BreakerTransition> atFirst = new ArrayList<>();
    List<BreakerTransition> atSecond = new ArrayList<>();
    AiGateway first = gateway(oneFailure, atFirst);
    AiGateway second = gateway(oneFailure, atSecond);
    ScriptedSender toFirst = new ScriptedSender().on("a", status(500)).on("b", json(ANSWER));

    call(first, toFirst);
    deliver();
    deliver(); // anything the second gateway sent back would be delivered now

    assertThat(atSecond)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.backendId()).isEqualTo("a");
              assertThat(t.to()).isEqualTo(BreakerState.OPEN);
              assertThat(t.openFor()).isEqualTo(CircuitBreakerPolicy.DEFAULT_TRIP_DURATION);
              assertThat(t.remote()).isTrue();
            });
    assertThat(atFirst).singleElement().extracting(BreakerTransition::remote).isEqualTo(false);
    ScriptedSender toSecond = new ScriptedSender().on("a", json(ANSWER)).on("b", json(ANSWER));
    assertThat(call(second, toSecond)).containsExactly("b");
    assertThat(call(second, toSecond)).containsExactly("b");
  }
}
