package dev.aigateway.core.adapter;

import static dev.aigateway.core.adapter.ScriptedSender.json;
import static dev.aigateway.core.adapter.ScriptedSender.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.AttemptPlan;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.wire.tiny.TinyCall;
import dev.aigateway.core.wire.tiny.TinyFormat;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A wire format added to a gateway from outside the library's wire package ({@link TinyFormat}, a
 * made-up protocol) drives governed calls through the real orchestrator and stages: recognised,
 * counted, limited, routed and rewritten, its usage read from JSON and from a stream, its errors
 * and cached answers written in its own shape. Nothing in the orchestrator knows it.
 */
class NewWireFormatCallTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String URL = "https://tiny.example.com/tiny/v1/generate";
  private static final String REQUEST =
      "{\"engine\":\"e1\",\"text\":\"Tell me a tiny story\",\"limit\":20}";
  private static final String ANSWER =
      "{\"engine\":\"e1-0613\",\"output\":\"Once.\",\"spent\":{\"in\":6,\"out\":2}}";
  private static final String STREAM =
      "data: {\"piece\":\"Once\"}\n\n"
          + "data: {\"piece\":\" upon.\"}\n\n"
          + "data: {\"done\":true,\"engine\":\"e1-0613\",\"spent\":{\"in\":6,\"out\":3}}\n\n";

  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private final ScriptedSender sender = new ScriptedSender();
  private final List<Duration> pauses = new ArrayList<>();

  private AiGateway.Builder gateway() {
    return AiGateway.builder().wireFormat(new TinyFormat()).listener(events::add);
  }

  private static GovernedCall begin(AiGateway gateway, String body) {
    TinyCall request = TinyCall.of(URL, body);
    CallMatch match = gateway.match("POST", request.encodedPath(), request::header);
    assertThat(match).as("the gateway recognises a tiny call").isNotNull();
    return gateway.begin(match, request);
  }

  private static String read(InputStream body) throws IOException {
    String text = new String(body.readAllBytes(), StandardCharsets.UTF_8);
    body.close();
    return text;
  }

  /** {@code text} handed out at most {@code size} bytes a read, as a socket may. */
  private static InputStream inReadsOf(int size, String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, size));
      }
    };
  }

  private GatewayEvent onlyEvent() {
    assertThat(events).hasSize(1);
    return events.get(0);
  }

  @Test
  void aJsonAnswerIsSettledOnTheUsageTheFormatRead() throws IOException {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000)).build();
    GovernedCall call = begin(gateway, REQUEST);

    Admission admission = call.admit();
    String seen = read(call.observeResponse(200, "application/json", text(ANSWER), () -> false));

    assertThat(admission.admitted()).isTrue();
    assertThat(seen).isEqualTo(ANSWER);
    GatewayEvent event = onlyEvent();
    assertThat(event.operation()).isEqualTo(Operation.CHAT_COMPLETIONS);
    assertThat(event.requestedModel()).isEqualTo("e1");
    assertThat(event.responseModel()).isEqualTo("e1-0613");
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(6, 2));
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.limits().settledTokens()).isEqualTo(8);
    // The reservation is the format's prompt count plus the request's own allowance ("limit").
    long prompt = gateway.tokenCounter().countText("e1", "Tell me a tiny story") + 1;
    assertThat(event.limits().reservedTokens()).isEqualTo(prompt + 20);
  }

  @Test
  void aStreamIsReadEventByEventAndPassedOnUnchanged() throws IOException {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000)).build();
    GovernedCall call = begin(gateway, REQUEST.replace("}", ",\"stream\":true}"));
    call.admit();

    String seen =
        read(call.observeResponse(200, "text/event-stream", inReadsOf(7, STREAM), () -> false));

    assertThat(seen).isEqualTo(STREAM);
    GatewayEvent event = onlyEvent();
    assertThat(event.stream()).isTrue();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(6, 3));
    assertThat(event.limits().settledTokens()).isEqualTo(9);
  }

  @Test
  void aStreamWithoutUsageIsSettledOnTheTextTheFormatRead() throws IOException {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000)).build();
    GovernedCall call = begin(gateway, REQUEST.replace("}", ",\"stream\":true}"));
    call.admit();

    read(
        call.observeResponse(
            200,
            "text/event-stream",
            text("data: {\"piece\":\"Once upon a time.\"}\n\n"),
            () -> false));

    GatewayEvent event = onlyEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED); // no "done" event came
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(event.usage().tokens().outputTokens())
        .isEqualTo(gateway.tokenCounter().countText("e1", "Once upon a time."));
  }

  @Test
  void aRejectionIsWrittenInTheFormatsOwnErrorShape() throws IOException {
    AiGateway gateway = gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10)).build();

    Admission admission = begin(gateway, REQUEST).admit();

    Rejection rejection = admission.rejection();
    assertThat(rejection.status()).isEqualTo(429);
    assertThat(rejection.contentType()).isEqualTo(TinyFormat.ERROR_TYPE);
    JsonNode problem = JSON.readTree(rejection.body()).get("problem");
    assertThat(problem.get("why").asText()).isEqualTo("token-rate-limit");
    assertThat(problem.get("detail").asText()).contains("tokens needed");
    assertThat(onlyEvent().rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
  }

  @Test
  void anAllowanceAboveTheBoundIsRefusedInTheFormatsShapeNamingItsField() throws IOException {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000)).build();

    Admission admission = begin(gateway, REQUEST.replace("20", "1000000000000000")).admit();

    assertThat(admission.rejection().status()).isEqualTo(400);
    assertThat(admission.rejection().contentType()).isEqualTo(TinyFormat.ERROR_TYPE);
    assertThat(JSON.readTree(admission.rejection().body()).at("/problem/detail").asText())
        .startsWith("Invalid 'limit'");
  }

  @Test
  void aCachedAnswerIsReplayedByTheFormat() throws IOException {
    AiGateway gateway = gateway().responseCache(ResponseCache.builder()).build();
    GovernedCall first = begin(gateway, REQUEST);
    first.admit();
    read(first.observeResponse(200, "application/json", text(ANSWER), () -> false));

    Admission hit = begin(gateway, REQUEST).admit();

    assertThat(hit.cachedAnswer()).isNotNull();
    assertThat(new String(hit.cachedAnswer().body(), StandardCharsets.UTF_8)).isEqualTo(ANSWER);
    assertThat(hit.cachedAnswer().contentType()).isEqualTo("application/json");
    assertThat(events.get(1).cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(begin(gateway, REQUEST.replace("}", ",\"stream\":true}")).admit().cachedAnswer())
        .as("tiny never converts a stored document into a stream")
        .isNull();
  }

  @Test
  void aRoutedCallGoesToTheBackendAtTheFormatsUrlWithItsModelRewritten() throws IOException {
    AiGateway gateway =
        gateway()
            .backendPool(
                BackendPool.builder()
                    .backend(Backend.openAiCompatible("a", "http://a.test").model("e1", "e2")))
            .build();
    sender.on("a", json(ANSWER));
    GovernedCall call = begin(gateway, REQUEST);
    assertThat(call.admit().admitted()).isTrue();

    AttemptLoop.Answer<ScriptedSender.Reply> answer =
        new AttemptLoop<>(call, sender, pauses::add).run();
    read(answer.body());

    AttemptPlan plan = sender.sent.get(0);
    assertThat(plan.url()).isEqualTo("http://a.test" + TinyFormat.PATH_END);
    assertThat(JSON.readTree(plan.body()).get("engine").asText()).isEqualTo("e2");
    assertThat(JSON.readTree(plan.body()).get("text").asText()).isEqualTo("Tell me a tiny story");
    assertThat(onlyEvent().routing().backendId()).isEqualTo("a");
    assertThat(onlyEvent().usage().tokens()).isEqualTo(Usage.of(6, 2));
  }

  @Test
  void openAiCallsOnTheSameGatewayAreStillReadAsOpenAi() throws IOException {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)).build();
    String chat = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    CallMatch match = gateway.match("POST", "/v1/chat/completions");
    GovernedCall call =
        gateway.begin(match, PostedRequest.of("https://api.example.com/v1/chat/completions", chat));
    call.admit();

    read(
        call.observeResponse(
            200,
            "application/json",
            text(
                "{\"model\":\"gpt-4o\",\"choices\":[],"
                    + "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2}}"),
            () -> false));

    assertThat(onlyEvent().usage().tokens()).isEqualTo(Usage.of(8, 2));
    assertThat(gateway.match("POST", "/tiny/v1/generate")).as("no version header").isNull();
  }
}
