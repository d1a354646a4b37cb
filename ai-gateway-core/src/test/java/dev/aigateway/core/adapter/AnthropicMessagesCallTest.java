package dev.aigateway.core.adapter;

import static dev.aigateway.core.adapter.ScriptedSender.json;
import static dev.aigateway.core.adapter.ScriptedSender.status;
import static dev.aigateway.core.adapter.ScriptedSender.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Credentials;
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
import dev.aigateway.core.wire.ClientRequest;
import dev.aigateway.testing.AnthropicBodies;
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
 * Anthropic Messages calls through the real orchestrator and stages, with the answers Anthropic's
 * API reference documents: recognised, estimated, limited, routed and rewritten, their usage read
 * from JSON and from the event stream (prompt-cache counts included), their errors and cached
 * answers written in Anthropic's shapes.
 */
class AnthropicMessagesCallTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String URL = "https://api.anthropic.com/v1/messages";
  private static final String REQUEST =
      "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,"
          + "\"system\":\"You are a scientist\","
          + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello, Claude\"}]}";
  private static final String STREAM_REQUEST =
      REQUEST.replace("{\"model\"", "{\"stream\":true,\"model\"");

  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private final ScriptedSender sender = new ScriptedSender();
  private final List<Duration> pauses = new ArrayList<>();

  private AiGateway.Builder gateway() {
    return AiGateway.builder().listener(events::add);
  }

  private static GovernedCall begin(AiGateway gateway, String body) {
    PostedRequest request = PostedRequest.of(URL, body);
    CallMatch match = gateway.match("POST", request.encodedPath());
    assertThat(match).as("the gateway recognises a Messages call").isNotNull();
    return gateway.begin(match, request);
  }

  private static String read(InputStream body) throws IOException {
    String text = new String(body.readAllBytes(), StandardCharsets.UTF_8);
    body.close();
    return text;
  }

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
  void messagesCallsAreRecognisedUnderAnyPrefixAndTokenCountingIsNot() {
    AiGateway gateway = gateway().build();

    assertThat(gateway.match("POST", "/v1/messages").operation()).isEqualTo(Operation.MESSAGES);
    assertThat(gateway.match("POST", "/anthropic/v1/messages/").operation())
        .isEqualTo(Operation.MESSAGES);
    assertThat(gateway.match("POST", "/v1/messages/count_tokens")).isNull();
    // Message Batches run later, their usage in results the gateway never reads: not governed
    assertThat(gateway.match("POST", "/v1/messages/batches")).isNull();
    assertThat(gateway.match("POST", "/v1/messages/batches/msgbatch_01/cancel")).isNull();
    assertThat(gateway.match("GET", "/v1/messages")).isNull();
    assertThat(gateway.match("POST", "/v2/messages")).isNull();
    assertThat(gateway.match("POST", "/v1/chat/completions").operation())
        .isEqualTo(Operation.CHAT_COMPLETIONS);
  }

  @Test
  void aJsonAnswerIsSettledOnItsUsageWithPromptCacheTokensPartOfInput() throws IOException {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000_000)).build();
    GovernedCall call = begin(gateway, REQUEST);
    String answer = AnthropicBodies.message("Hi! My name is Claude.", 21, 393, 188_086, 1_000);

    assertThat(call.admit().admitted()).isTrue();
    String seen = read(call.observeResponse(200, "application/json", text(answer), () -> false));

    assertThat(seen).isEqualTo(answer);
    GatewayEvent event = onlyEvent();
    assertThat(event.operation()).isEqualTo(Operation.MESSAGES);
    assertThat(event.requestedModel()).isEqualTo("claude-sonnet-4-5");
    assertThat(event.responseModel()).isEqualTo("claude-sonnet-4-5-20250929");
    assertThat(event.usage().tokens())
        .isEqualTo(new Usage(189_107, 393, 189_500, 1_000, 0, 188_086, 0, 0, 0));
    assertThat(event.usage().tokens().uncachedInputTokens()).isEqualTo(21);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.limits().settledTokens()).isEqualTo(189_500);
  }

  @Test
  void theReservationIsThePromptEstimatePlusMaxTokens() throws IOException {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100_000)).build();
    GovernedCall call = begin(gateway, REQUEST);

    call.admit();
    read(
        call.observeResponse(
            200, "application/json", text(AnthropicBodies.message("Hi", 14, 2)), () -> false));

    long estimate = onlyEvent().limits().reservedTokens() - 1024;
    assertThat(estimate)
        .as("Anthropic counts 14 for this prompt; the estimate errs high")
        .isBetween(14L, 17L);
    assertThat(onlyEvent().limits().settledTokens()).isEqualTo(16);
  }

  @Test
  void aStreamIsPassedOnByteForByteAndSettledOnItsStartAndDeltaUsage() throws IOException {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100_000)).build();
    GovernedCall call = begin(gateway, STREAM_REQUEST);
    call.admit();
    String stream = AnthropicBodies.stream(25, 15, "Hello", "!");

    String seen =
        read(call.observeResponse(200, "text/event-stream", inReadsOf(7, stream), () -> false));

    assertThat(seen).isEqualTo(stream);
    GatewayEvent event = onlyEvent();
    assertThat(event.stream()).isTrue();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(25, 15));
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.limits().settledTokens()).isEqualTo(40);
  }

  @Test
  void aStreamCutBeforeItsMessageDeltaIsSettledOnItsStartsInputAndAnEstimateOfItsText()
      throws IOException {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100_000)).build();
    GovernedCall call = begin(gateway, STREAM_REQUEST);
    call.admit();
    String whole = AnthropicBodies.stream(25, 15, "Once upon a time.");
    String cut = whole.substring(0, whole.indexOf("event: content_block_stop"));

    read(call.observeResponse(200, "text/event-stream", text(cut), () -> false));

    GatewayEvent event = onlyEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(25); // message_start's
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(event.usage().tokens().outputTokens())
        .isEqualTo(gateway.tokenCounter().countText("claude-sonnet-4-5", "Once upon a time."));
  }

  @Test
  void aRejectionIsWrittenInAnthropicsErrorShape() throws IOException {
    AiGateway gateway = gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100)).build();

    Admission admission = begin(gateway, REQUEST).admit();

    Rejection rejection = admission.rejection();
    assertThat(rejection.status()).isEqualTo(429);
    assertThat(rejection.contentType()).isEqualTo("application/json");
    JsonNode body = JSON.readTree(rejection.body());
    assertThat(body.get("type").asText()).isEqualTo("error");
    assertThat(body.at("/error/type").asText()).isEqualTo("rate_limit_error");
    assertThat(body.at("/error/message").asText()).contains("tokens");
    assertThat(onlyEvent().rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
  }

  @Test
  void aMaxTokensAboveTheBoundIsAnInvalidRequestNamingIt() throws IOException {
    AiGateway gateway = gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100)).build();

    Admission admission = begin(gateway, REQUEST.replace("1024", "1000000000000000")).admit();

    assertThat(admission.rejection().status()).isEqualTo(400);
    JsonNode body = JSON.readTree(admission.rejection().body());
    assertThat(body.at("/error/type").asText()).isEqualTo("invalid_request_error");
    assertThat(body.at("/error/message").asText()).contains("max_tokens");
  }

  @Test
  void aCachedMessageIsReplayedAsItWasAndAsTheEventStreamAnthropicSends() throws IOException {
    AiGateway gateway = gateway().responseCache(ResponseCache.builder()).build();
    String answer = AnthropicBodies.message("Hi! My name is Claude.", 14, 10);
    GovernedCall first = begin(gateway, REQUEST);
    first.admit();
    read(first.observeResponse(200, "application/json", text(answer), () -> false));

    Admission hit = begin(gateway, REQUEST).admit();
    Admission streamHit = begin(gateway, STREAM_REQUEST).admit();

    assertThat(new String(hit.cachedAnswer().body(), StandardCharsets.UTF_8)).isEqualTo(answer);
    assertThat(events.get(1).cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    String replayed = new String(streamHit.cachedAnswer().body(), StandardCharsets.UTF_8);
    assertThat(streamHit.cachedAnswer().contentType()).startsWith("text/event-stream");
    assertThat(replayed.lines().filter(l -> l.startsWith("event: ")).toList())
        .containsExactly(
            "event: message_start",
            "event: content_block_start",
            "event: content_block_delta",
            "event: content_block_stop",
            "event: message_delta",
            "event: message_stop");
    assertThat(replayed).contains("\"text_delta\",\"text\":\"Hi! My name is Claude.\"");
    assertThat(replayed).contains("\"stop_reason\":\"end_turn\"");
  }

  @Test
  void aCallAskingForBetaFeaturesIsNeverAnsweredWithAnAnswerGivenWithoutThem() throws IOException {
    // anthropic-beta turns on features (a longer output, another tool version) that change what
    // the same body is answered with.
    AiGateway gateway = gateway().responseCache(ResponseCache.builder()).build();
    String plain = AnthropicBodies.message("Without betas.", 14, 3);
    String beta = AnthropicBodies.message("With output-128k.", 14, 4);
    GovernedCall first = begin(gateway, REQUEST);
    first.admit();
    read(first.observeResponse(200, "application/json", text(plain), () -> false));

    GovernedCall asked = begin(gateway, REQUEST, "output-128k-2025-02-19");
    Admission betaMiss = asked.admit();
    assertThat(betaMiss.cachedAnswer()).isNull();
    read(asked.observeResponse(200, "application/json", text(beta), () -> false));
    Admission betaHit = begin(gateway, REQUEST, "output-128k-2025-02-19").admit();
    Admission otherBeta = begin(gateway, REQUEST, "context-1m-2025-08-07").admit();
    Admission plainHit = begin(gateway, REQUEST).admit();

    assertThat(events.get(1).cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(new String(betaHit.cachedAnswer().body(), StandardCharsets.UTF_8)).isEqualTo(beta);
    assertThat(otherBeta.cachedAnswer()).isNull();
    assertThat(new String(plainHit.cachedAnswer().body(), StandardCharsets.UTF_8)).isEqualTo(plain);
  }

  @Test
  void betaFeaturesAskedForOnHeaderLinesOfTheirOwnAllChangeTheKey() throws IOException {
    // An application may send each beta on an anthropic-beta line of its own: a call asking for
    // two is never answered with the answer to a call that asked for the first alone.
    AiGateway gateway = gateway().responseCache(ResponseCache.builder()).build();
    String one = AnthropicBodies.message("With output-128k.", 14, 4);
    String two = AnthropicBodies.message("With output-128k and context-1m.", 14, 6);
    GovernedCall first = begin(gateway, REQUEST, List.of("output-128k-2025-02-19"));
    first.admit();
    read(first.observeResponse(200, "application/json", text(one), () -> false));

    GovernedCall both =
        begin(gateway, REQUEST, List.of("output-128k-2025-02-19", "context-1m-2025-08-07"));
    Admission bothMiss = both.admit();
    assertThat(bothMiss.cachedAnswer()).isNull();
    read(both.observeResponse(200, "application/json", text(two), () -> false));
    Admission bothHit =
        begin(gateway, REQUEST, List.of("output-128k-2025-02-19", "context-1m-2025-08-07")).admit();
    Admission joinedHit =
        begin(gateway, REQUEST, "output-128k-2025-02-19, context-1m-2025-08-07").admit();
    Admission oneHit = begin(gateway, REQUEST, "output-128k-2025-02-19").admit();

    assertThat(new String(bothHit.cachedAnswer().body(), StandardCharsets.UTF_8)).isEqualTo(two);
    assertThat(new String(joinedHit.cachedAnswer().body(), StandardCharsets.UTF_8)).isEqualTo(two);
    assertThat(new String(oneHit.cachedAnswer().body(), StandardCharsets.UTF_8)).isEqualTo(one);
  }

  /** A Messages call of {@code body} with the {@code anthropic-beta} header {@code betas}. */
  private static GovernedCall begin(AiGateway gateway, String body, String betas) {
    return begin(gateway, body, List.of(betas));
  }

  /** A Messages call of {@code body} with one {@code anthropic-beta} header line per value. */
  private static GovernedCall begin(AiGateway gateway, String body, List<String> betas) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ClientRequest request =
        new ClientRequest() {
          @Override
          public String method() {
            return "POST";
          }

          @Override
          public String url() {
            return URL;
          }

          @Override
          public String header(String name) {
            return name.equalsIgnoreCase("anthropic-beta") ? betas.get(0) : null;
          }

          @Override
          public List<String> headers(String name) {
            return name.equalsIgnoreCase("anthropic-beta") ? betas : List.of();
          }

          @Override
          public byte[] body() {
            return bytes;
          }

          @Override
          public <T> T tag(Class<? extends T> type) {
            return null;
          }
        };
    return gateway.begin(gateway.match("POST", request.encodedPath()), request);
  }

  @Test
  void aCachedStreamIsReplayedByteForByteAndAssembledIntoAMessageForAJsonCall() throws IOException {
    AiGateway gateway = gateway().responseCache(ResponseCache.builder()).build();
    String stream = AnthropicBodies.stream(25, 15, "Hello", "!");
    GovernedCall first = begin(gateway, STREAM_REQUEST);
    first.admit();
    read(first.observeResponse(200, "text/event-stream", text(stream), () -> false));

    Admission streamHit = begin(gateway, STREAM_REQUEST).admit();
    Admission jsonHit = begin(gateway, REQUEST).admit();

    assertThat(new String(streamHit.cachedAnswer().body(), StandardCharsets.UTF_8))
        .isEqualTo(stream);
    JsonNode message = JSON.readTree(jsonHit.cachedAnswer().body());
    assertThat(message.get("type").asText()).isEqualTo("message");
    assertThat(message.at("/content/0/text").asText()).isEqualTo("Hello!");
    assertThat(message.get("stop_reason").asText()).isEqualTo("end_turn");
    assertThat(message.at("/usage/input_tokens").asLong()).isEqualTo(25);
    assertThat(message.at("/usage/output_tokens").asLong()).isEqualTo(15);
  }

  @Test
  void anOpenAiChatCallWithTheSameBodyIsNotAnsweredWithTheStoredMessage() throws IOException {
    AiGateway gateway = gateway().responseCache(ResponseCache.builder()).build();
    String body =
        "{\"model\":\"m\",\"max_tokens\":10,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    GovernedCall first = begin(gateway, body);
    first.admit();
    read(
        first.observeResponse(
            200, "application/json", text(AnthropicBodies.message("Hi", 8, 2)), () -> false));

    GovernedCall chat =
        gateway.begin(
            gateway.match("POST", "/v1/chat/completions"),
            PostedRequest.of("https://api.openai.com/v1/chat/completions", body));

    assertThat(chat.admit().cachedAnswer()).isNull();
    assertThat(begin(gateway, body).admit().cachedAnswer()).isNotNull();
  }

  @Test
  void aRoutedCallGoesToTheAnthropicBackendWithItsKeyVersionAndModel() throws IOException {
    AiGateway gateway =
        gateway()
            .backendPool(
                BackendPool.builder()
                    .backend(
                        Backend.anthropic("a", "https://a.test", "2023-06-01")
                            .model("claude-sonnet-4-5", "claude-sonnet-4-5-20250929")
                            .credential(Credentials.apiKey("sk-ant-test"))))
            .build();
    sender.on("a", json(AnthropicBodies.message("Hi", 14, 2)));
    GovernedCall call = begin(gateway, REQUEST);
    assertThat(call.admit().admitted()).isTrue();

    read(new AttemptLoop<>(call, sender, pauses::add).run().body());

    AttemptPlan plan = sender.sent.get(0);
    assertThat(plan.url()).isEqualTo("https://a.test/v1/messages");
    assertThat(plan.setHeaders())
        .containsEntry("x-api-key", "sk-ant-test")
        .containsEntry("anthropic-version", "2023-06-01");
    assertThat(plan.removeHeaders()).contains("x-api-key", "authorization");
    JsonNode sent = JSON.readTree(plan.body());
    assertThat(sent.get("model").asText()).isEqualTo("claude-sonnet-4-5-20250929");
    assertThat(new String(plan.body(), StandardCharsets.UTF_8))
        .isEqualTo(REQUEST.replace("claude-sonnet-4-5\"", "claude-sonnet-4-5-20250929\""));
    assertThat(onlyEvent().routing().provider()).isEqualTo("anthropic");
  }

  @Test
  void anOverloadedBackendFailsOverToTheNextOne() throws IOException {
    AiGateway gateway =
        gateway()
            .backendPool(
                BackendPool.builder()
                    .backend(Backend.anthropic("a", "https://a.test").priority(1))
                    .backend(Backend.anthropic("b", "https://b.test/v1").priority(2)))
            .build();
    sender.on("a", status(529)).on("b", json(AnthropicBodies.message("Hi", 14, 2)));
    GovernedCall call = begin(gateway, REQUEST);
    call.admit();

    read(new AttemptLoop<>(call, sender, pauses::add).run().body());

    assertThat(sender.sent)
        .extracting(AttemptPlan::url)
        .containsExactly("https://a.test/v1/messages", "https://b.test/v1/messages");
    assertThat(sender.sent.get(0).setHeaders()).doesNotContainKey("anthropic-version");
    assertThat(onlyEvent().routing().attempts())
        .extracting(a -> a.backendId() + ":" + a.status())
        .containsExactly("a:529", "b:200");
    assertThat(onlyEvent().usage().tokens()).isEqualTo(Usage.of(14, 2));
  }
}
