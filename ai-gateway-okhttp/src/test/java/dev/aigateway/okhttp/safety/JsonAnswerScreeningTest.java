package dev.aigateway.okhttp.safety;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.SafetyOutcome;
import dev.aigateway.api.UsageSource;
import dev.aigateway.api.spi.ContentCheck;
import dev.aigateway.api.spi.ContentFinding;
import dev.aigateway.api.spi.ContentText;
import dev.aigateway.api.spi.ContentVerdict;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.core.safety.SafetyAction;
import dev.aigateway.core.wire.Json;
import dev.aigateway.okhttp.Backend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttp;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import okio.BufferedSink;
import okio.BufferedSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Non-streamed JSON answers screened by content safety, end to end: OkHttp through the gateway to a
 * MockWebServer backend. A blocked answer reaches the application as the provider's own filtered
 * answer (status 200, {@code finish_reason: "content_filter"} for OpenAI's shape), the call is
 * charged the backend's reported usage, and it ends in exactly one event; without answer screening
 * nothing is held.
 */
class JsonAnswerScreeningTest {

  @RegisterExtension final ScreenedBackend screened = new ScreenedBackend();
  private final MockWebServer backend = screened.backend;

  private static MockResponse json(String body) {
    return Backend.json(body);
  }

  private static JsonNode tree(String json) {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    return Json.parseOrNull(bytes, 0, bytes.length);
  }

  private static final String CHAT =
      "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me\"}]}";

  private static String chatAnswer(String text) {
    return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o\","
        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
        + text
        + "\"},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":340,\"total_tokens\":361}}";
  }

  /** Records every settlement the limits make. */
  private static final class RecordingStore implements TokenLimitStore {
    final TokenLimitStore delegate =
        new InMemoryTokenLimitStore(Clock.systemUTC(), Duration.ofMinutes(1));
    final List<Long> settled = new CopyOnWriteArrayList<>();

    @Override
    public ReserveResult reserve(List<LimitCharge> charges) {
      return delegate.reserve(charges);
    }

    @Override
    public void settle(Reservation reservation, long[] actual) {
      settled.add(actual[0]);
      delegate.settle(reservation, actual);
    }
  }

  @Test
  void aBlockedJsonAnswerIsWithheldAsAzureAnswersAFilteredCompletionAndChargedItsUsage()
      throws Exception {
    RecordingStore store = new RecordingStore();
    OkHttpClient client =
        screened.governed(
            AiGateway.builder()
                .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000_000))
                .tokenLimitStore(store)
                .contentSafety(
                    ContentSafety.builder().denyWords("forbidden").screenAnswers(400, 64)));
    backend.enqueue(json(chatAnswer("Here is the forbidden recipe.")));

    String body;
    try (Response response = screened.post(client, "/v1/chat/completions", CHAT)) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.header("Content-Length")).isNull(); // the backend's length is not ours
      body = response.body().string();
    }

    assertThat(body).doesNotContain("recipe").doesNotContain("forbidden");
    JsonNode answer = tree(body);
    JsonNode choice = answer.path("choices").path(0);
    assertThat(choice.path("finish_reason").textValue()).isEqualTo("content_filter");
    assertThat(choice.path("message").path("content").isNull()).isTrue();
    assertThat(choice.path("message").path("role").textValue()).isEqualTo("assistant");
    assertThat(
            choice
                .path("content_filter_results")
                .path("denied-word")
                .path("filtered")
                .booleanValue())
        .isTrue();
    assertThat(answer.path("id").textValue()).isEqualTo("chatcmpl-1");
    assertThat(answer.path("usage").path("total_tokens").longValue()).isEqualTo(361);

    GatewayEvent event = screened.event();
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.ANSWER_BLOCKED);
    assertThat(event.safety().check()).isEqualTo("deny-words");
    assertThat(event.safety().category()).isEqualTo("denied-word");
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.errorType()).isEqualTo("content_blocked");
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(361);
    assertThat(event.limits().settledTokens()).isEqualTo(361);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (store.settled.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(store.settled).containsExactly(361L);
    screened.noMoreEvents();
  }

  @Test
  void aCleanJsonAnswerPassesByteForByte() throws Exception {
    OkHttpClient client =
        screened.governed(ContentSafety.builder().denyWords("forbidden").screenAnswers(400, 64));
    String original = chatAnswer("All fine here.");
    backend.enqueue(json(original));

    try (Response response = screened.post(client, "/v1/chat/completions", CHAT)) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.body().string()).isEqualTo(original);
    }

    GatewayEvent event = screened.event();
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.PASSED);
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(361);
    screened.noMoreEvents();
  }

  @Test
  void anAnswerCheckSeesTheWholeAnswerAndItsBlockWithholdsIt() throws Exception {
    List<List<ContentText>> seen = new CopyOnWriteArrayList<>();
    ContentCheck harm =
        new ContentCheck() {
          @Override
          public String name() {
            return "harm-classifier";
          }

          @Override
          public ContentVerdict check(Where where, List<ContentText> texts) {
            seen.add(texts);
            boolean harmful = texts.stream().anyMatch(t -> t.text().contains("explosive"));
            return harmful
                ? ContentVerdict.flagged(List.of(new ContentFinding("violence", 0.97)))
                : ContentVerdict.PASSED;
          }
        };
    OkHttpClient client =
        screened.governed(
            ContentSafety.builder().answerCheck(harm, SafetyAction.BLOCK).screenAnswers(400, 64));
    backend.enqueue(json(chatAnswer("Mix the explosive compounds slowly.")));

    String body;
    try (Response response = screened.post(client, "/v1/chat/completions", CHAT)) {
      body = response.body().string();
    }

    assertThat(seen).hasSize(1);
    assertThat(seen.get(0))
        .containsExactly(new ContentText("assistant", "Mix the explosive compounds slowly."));
    assertThat(tree(body).path("choices").path(0).path("finish_reason").textValue())
        .isEqualTo("content_filter");
    assertThat(body).doesNotContain("explosive");
    GatewayEvent event = screened.event();
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.ANSWER_BLOCKED);
    assertThat(event.safety().check()).isEqualTo("harm-classifier");
    assertThat(event.safety().category()).isEqualTo("violence");
    assertThat(event.safety().externalLatency()).isNotNull();
  }

  @Test
  void withoutAnswerScreeningNothingIsHeld() throws Exception {
    // a body written from a callback needs OkHttp 5's MockWebServer (the okhttp4 profile's lacks
    // it)
    assumeTrue(OkHttp.VERSION.startsWith("5."), "needs OkHttp 5's MockResponseBody");
    // Prompt checks only: the backend sends the answer's first 32 bytes and then waits until the
    // application has read them. Were the answer held, the application could read nothing before
    // all of it came, and the backend would time out waiting.
    OkHttpClient client = screened.governed(ContentSafety.builder().denyWords("forbidden"));
    String answer = chatAnswer("All fine here.");
    CountDownLatch appReadTheStart = new CountDownLatch(1);
    backend.enqueue(
        Backend.json(
            new MockResponseBody() {
              @Override
              public long getContentLength() {
                return answer.length();
              }

              @Override
              public void writeTo(BufferedSink sink) throws IOException {
                sink.writeUtf8(answer.substring(0, 32)).flush();
                try {
                  if (!appReadTheStart.await(5, TimeUnit.SECONDS)) {
                    return; // the test fails below: the application never saw the start
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
                sink.writeUtf8(answer.substring(32)).flush();
              }
            }));

    try (Response response = screened.post(client, "/v1/chat/completions", CHAT)) {
      BufferedSource source = response.body().source();
      assertThat(source.readUtf8(32)).isEqualTo(answer.substring(0, 32));
      appReadTheStart.countDown();
      assertThat(source.readUtf8()).isEqualTo(answer.substring(32));
      assertThat(response.header("Content-Length")).isEqualTo(String.valueOf(answer.length()));
    }
    GatewayEvent event = screened.event();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.PASSED);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(361);
  }

  @Test
  void aScreenedAnswerIsHeldWholeBeforeTheApplicationReadsAByte() throws Exception {
    // a body written from a callback needs OkHttp 5's MockWebServer (the okhttp4 profile's lacks
    // it)
    assumeTrue(OkHttp.VERSION.startsWith("5."), "needs OkHttp 5's MockResponseBody");
    // The counterpart: with answers screened, the response reaches the application only once the
    // backend has sent all of it.
    OkHttpClient client =
        screened.governed(ContentSafety.builder().denyWords("forbidden").screenAnswers(400, 64));
    String answer = chatAnswer("All fine here.");
    CountDownLatch sentAll = new CountDownLatch(1);
    backend.enqueue(
        Backend.json(
            new MockResponseBody() {
              @Override
              public long getContentLength() {
                return answer.length();
              }

              @Override
              public void writeTo(BufferedSink sink) throws IOException {
                sink.writeUtf8(answer.substring(0, 32)).flush();
                try {
                  Thread.sleep(300);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                sentAll.countDown();
                sink.writeUtf8(answer.substring(32)).flush();
              }
            }));

    try (Response response = screened.post(client, "/v1/chat/completions", CHAT)) {
      assertThat(sentAll.getCount()).as("the whole answer was sent first").isZero();
      assertThat(response.body().string()).isEqualTo(answer);
    }
    assertThat(screened.event().safety().outcome()).isEqualTo(SafetyOutcome.PASSED);
  }

  @Test
  void anAnswerAboveTheBoundPassesFlaggedByDefault() throws Exception {
    OkHttpClient client =
        screened.governed(
            ContentSafety.builder()
                .denyWords("forbidden")
                .screenAnswers(400, 64)
                .maxHeldAnswerBytes(100, SafetyAction.FLAG));
    String original = chatAnswer("the forbidden part is past the bound " + "y".repeat(200));
    backend.enqueue(json(original));

    try (Response response = screened.post(client, "/v1/chat/completions", CHAT)) {
      assertThat(response.body().string()).isEqualTo(original);
    }

    GatewayEvent event = screened.event();
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.FLAGGED);
    assertThat(event.safety().check()).isEqualTo("answer-size");
    assertThat(event.safety().category()).isEqualTo("too-large");
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(361);
  }

  @Test
  void anAnswerAboveTheBoundIsWithheldWhenToldToBlock() throws Exception {
    OkHttpClient client =
        screened.governed(
            ContentSafety.builder()
                .denyWords("forbidden")
                .screenAnswers(400, 64)
                .maxHeldAnswerBytes(100, SafetyAction.BLOCK));
    backend.enqueue(json(chatAnswer("harmless but long " + "z".repeat(300))));

    String body;
    try (Response response = screened.post(client, "/v1/chat/completions", CHAT)) {
      assertThat(response.code()).isEqualTo(200);
      body = response.body().string();
    }

    assertThat(body).doesNotContain("zzz");
    assertThat(tree(body).path("choices").path(0).path("finish_reason").textValue())
        .isEqualTo("content_filter");
    GatewayEvent event = screened.event();
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.ANSWER_BLOCKED);
    assertThat(event.safety().check()).isEqualTo("answer-size");
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(361);
    screened.noMoreEvents();
  }

  @Test
  void otherProvidersAnswersAreWithheldInTheirOwnShapes() throws Exception {
    OkHttpClient client =
        screened.governed(ContentSafety.builder().denyWords("forbidden").screenAnswers(400, 64));

    // Anthropic Messages: stop_reason "refusal", no content, usage kept.
    backend.enqueue(
        json(
            "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"The forbidden word.\"}],"
                + "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
                + "\"usage\":{\"input_tokens\":12,\"output_tokens\":30}}"));
    String anthropic;
    try (Response response =
        screened.post(
            client,
            "/v1/messages",
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")) {
      assertThat(response.code()).isEqualTo(200);
      anthropic = response.body().string();
    }
    JsonNode message = tree(anthropic);
    assertThat(message.path("stop_reason").textValue()).isEqualTo("refusal");
    assertThat(message.path("content").isEmpty()).isTrue();
    assertThat(message.path("usage").path("output_tokens").longValue()).isEqualTo(30);
    GatewayEvent first = screened.event();
    assertThat(first.safety().outcome()).isEqualTo(SafetyOutcome.ANSWER_BLOCKED);
    assertThat(first.usage().tokens().totalTokens()).isEqualTo(42);

    // Gemini generateContent: finishReason SAFETY, the candidate's content removed.
    backend.enqueue(
        json(
            "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"A forbidden"
                + " answer\"}]},\"finishReason\":\"STOP\",\"index\":0}],"
                + "\"usageMetadata\":{\"promptTokenCount\":5,\"candidatesTokenCount\":7,"
                + "\"totalTokenCount\":12},\"modelVersion\":\"gemini-2.0-flash\"}"));
    String gemini;
    try (Response response =
        screened.post(
            client,
            "/v1beta/models/gemini-2.0-flash:generateContent",
            "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]}]}")) {
      gemini = response.body().string();
    }
    JsonNode candidate = tree(gemini).path("candidates").path(0);
    assertThat(candidate.path("finishReason").textValue()).isEqualTo("SAFETY");
    assertThat(candidate.has("content")).isFalse();
    assertThat(gemini).doesNotContain("forbidden");
    GatewayEvent second = screened.event();
    assertThat(second.safety().outcome()).isEqualTo(SafetyOutcome.ANSWER_BLOCKED);
    assertThat(second.usage().tokens().totalTokens()).isEqualTo(12);

    // OpenAI Responses API: status incomplete, reason content_filter, no output.
    backend.enqueue(
        json(
            "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\",\"model\":\"gpt-4o\","
                + "\"output\":[{\"type\":\"message\",\"role\":\"assistant\",\"content\":"
                + "[{\"type\":\"output_text\",\"text\":\"forbidden text\"}]}],"
                + "\"usage\":{\"input_tokens\":9,\"output_tokens\":4,\"total_tokens\":13}}"));
    String responses;
    try (Response response =
        screened.post(client, "/v1/responses", "{\"model\":\"gpt-4o\",\"input\":\"Hi\"}")) {
      responses = response.body().string();
    }
    JsonNode resp = tree(responses);
    assertThat(resp.path("status").textValue()).isEqualTo("incomplete");
    assertThat(resp.path("incomplete_details").path("reason").textValue())
        .isEqualTo("content_filter");
    assertThat(resp.path("output").isEmpty()).isTrue();
    assertThat(screened.event().usage().tokens().totalTokens()).isEqualTo(13);
    screened.noMoreEvents();
  }
}
