package dev.aigateway.core.adapter;

import static dev.aigateway.core.adapter.ScriptedSender.events;
import static dev.aigateway.core.adapter.ScriptedSender.json;
import static dev.aigateway.core.adapter.ScriptedSender.status;
import static dev.aigateway.core.adapter.ScriptedSender.text;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.spi.Credential;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A backend's in-flight cap ({@code Backend.Builder.maxInFlight}), driven without HTTP. */
class BackendInFlightCapTest {

  private static final String CHAT =
      "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
  private static final String STREAMED_CHAT = CHAT.replace("]}", "],\"stream\":true}");
  private static final String ANSWER =
      "{\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"}}],\"usage\":"
          + "{\"prompt_tokens\":8,\"completion_tokens\":1,\"total_tokens\":9}}";
  private static final String STREAM =
      "data: {\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}\n\n"
          + "data: [DONE]\n\n";

  private final ManualClock clock = ManualClock.at("2026-06-01T10:00:00Z");
  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private final ScriptedSender sender = new ScriptedSender();

  private AiGateway gateway(BackendPool.Builder pool) {
    return AiGateway.builder().clock(clock).listener(events::add).backendPool(pool).build();
  }

  private GovernedCall admitted(AiGateway gateway, String body) {
    GovernedCall call =
        gateway.begin(
            gateway.match("POST", "/v1/chat/completions"),
            PostedRequest.of("http://app.test/v1/chat/completions", body));
    assertThat(call.admit().admitted()).isTrue();
    return call;
  }

  private AttemptLoop.Answer<ScriptedSender.Reply> send(AiGateway gateway, String body)
      throws IOException {
    return new AttemptLoop<>(admitted(gateway, body), sender, pause -> {}).run();
  }

  private static void readWhole(InputStream body) throws IOException {
    body.readAllBytes();
    body.close();
  }

  @Test
  void aBackendAtItsCapIsSkippedForTheNextTier() throws IOException {
    AiGateway gateway =
        gateway(
            BackendPool.builder()
                .backend(Backend.openAiCompatible("a", "http://a.test/").maxInFlight(2))
                .backend(Backend.openAiCompatible("b", "http://b.test/").priority(2)));
    sender.on("a", json(ANSWER)).on("b", json(ANSWER));

    InputStream first = send(gateway, CHAT).body();
    InputStream second = send(gateway, CHAT).body();
    AttemptLoop.Answer<ScriptedSender.Reply> third = send(gateway, CHAT);

    assertThat(sender.backendsTried()).containsExactly("a", "a", "b");
    readWhole(third.body());
    readWhole(first);
    readWhole(send(gateway, CHAT).body());
    assertThat(sender.backendsTried()).containsExactly("a", "a", "b", "a");
    readWhole(second);
  }

  @Test
  void everyBackendAtItsCapAnswers503WithAShortRetryAfterBeforeAnythingIsSent() throws IOException {
    AiGateway gateway =
        gateway(
            BackendPool.builder()
                .backend(Backend.openAiCompatible("a", "http://a.test/").maxInFlight(1)));
    sender.on("a", json(ANSWER));
    InputStream held = send(gateway, CHAT).body();

    GovernedCall refused =
        gateway.begin(
            gateway.match("POST", "/v1/chat/completions"),
            PostedRequest.of("http://app.test/v1/chat/completions", CHAT));
    Rejection rejection = refused.admit().rejection();

    assertThat(rejection.status()).isEqualTo(503);
    assertThat(rejection.reason()).isEqualTo(RejectionReason.NO_BACKEND_AVAILABLE);
    assertThat(rejection.headers()).containsEntry("retry-after", "1");
    assertThat(new String(rejection.body(), UTF_8))
        .contains("no_backend_available")
        .contains("has as many calls in flight as its cap allows");
    assertThat(sender.backendsTried()).containsExactly("a");
    readWhole(held);
    readWhole(send(gateway, CHAT).body());
    assertThat(sender.backendsTried()).containsExactly("a", "a");
  }

  @Test
  void aStreamHoldsItsSlotUntilTheApplicationClosesIt() throws IOException {
    AiGateway gateway =
        gateway(
            BackendPool.builder()
                .backend(Backend.openAiCompatible("a", "http://a.test/").maxInFlight(1))
                .backend(Backend.openAiCompatible("b", "http://b.test/").priority(2)));
    sender.on("a", events(text(STREAM)), json(ANSWER)).on("b", json(ANSWER));
    InputStream stream = send(gateway, STREAMED_CHAT).body();
    assertThat(stream.read()).isNotEqualTo(-1);

    readWhole(send(gateway, CHAT).body());
    stream.close();
    readWhole(send(gateway, CHAT).body());

    assertThat(sender.backendsTried()).containsExactly("a", "b", "a");
  }

  @Test
  void aRetryOnTheSameBackendKeepsTheSlotOfTheAttemptItReplaces() throws IOException {
    AiGateway gateway =
        gateway(
            BackendPool.builder()
                .backend(Backend.openAiCompatible("a", "http://a.test/").maxInFlight(1))
                .failover(Failover.builder().maxAttempts(3)));
    sender.on("a", status(500), json(ANSWER));

    readWhole(send(gateway, CHAT).body());

    assertThat(sender.backendsTried()).containsExactly("a", "a");
    // Every slot was given back: the next call is sent, not refused.
    readWhole(send(gateway, CHAT).body());
    assertThat(sender.backendsTried()).containsExactly("a", "a", "a");
  }

  @Test
  void aFailedAttemptFreesItsSlotForTheFailover() throws IOException {
    AiGateway gateway =
        gateway(
            BackendPool.builder()
                .backend(Backend.openAiCompatible("a", "http://a.test/").maxInFlight(1))
                .backend(Backend.openAiCompatible("b", "http://b.test/").maxInFlight(1)));
    sender.on("a", status(503)).on("b", status(503));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(gateway, CHAT);

    // Back to a for the third attempt: its slot was freed when the call moved on to b.
    assertThat(answer.response().status).isEqualTo(503);
    assertThat(sender.backendsTried()).containsExactly("a", "b", "a");
    sender.on("a", json(ANSWER)).on("b", json(ANSWER));
    InputStream one = send(gateway, CHAT).body();
    InputStream two = send(gateway, CHAT).body();
    assertThat(sender.backendsTried().subList(3, 5)).containsExactlyInAnyOrder("a", "b");
    readWhole(one);
    readWhole(two);
  }

  @Test
  void aBackendWhoseCredentialFailsGivesItsSlotBack() throws IOException {
    AtomicInteger asked = new AtomicInteger();
    AiGateway gateway =
        gateway(
            BackendPool.builder()
                .backend(
                    Backend.openAiCompatible("a", "http://a.test/")
                        .maxInFlight(1)
                        .credential(
                            () -> {
                              if (asked.getAndIncrement() == 0) {
                                throw new IOException("vault down");
                              }
                              return new Credential(Credential.Kind.BEARER_TOKEN, "k");
                            }))
                .backend(Backend.openAiCompatible("b", "http://b.test/").priority(2)));
    sender.on("a", json(ANSWER)).on("b", json(ANSWER));

    readWhole(send(gateway, CHAT).body()); // a's credential fails: sent to b
    readWhole(send(gateway, CHAT).body()); // a's slot was given back

    assertThat(sender.backendsTried()).containsExactly("b", "a");
  }

  @Test
  void aCapMustBePositive() {
    assertThatThrownBy(() -> Backend.openAiCompatible("a", "http://a.test/").maxInFlight(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxInFlight of backend 'a' must be > 0 but was 0");
    assertThat(Backend.openAiCompatible("a", "http://a.test/").maxInFlight(3).build().toString())
        .contains("maxInFlight=3");
  }
}
