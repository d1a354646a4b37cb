package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.aigateway.api.CacheInfo;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.SemanticHitGuard;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.api.spi.ResponseCacheStore;
import dev.aigateway.api.spi.VectorMatch;
import dev.aigateway.api.spi.VectorStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.InMemoryResponseCacheStore;
import dev.aigateway.core.cache.InMemoryVectorStore;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.cache.SemanticCache;
import dev.aigateway.core.limit.TokenLimit;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The semantic cache end to end, with an embedding model whose vectors each test chooses. */
class SemanticCacheTest {

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();
  private final ChosenVectors model = new ChosenVectors();
  private OkHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    server.start();
    client = clientWith(SemanticCache.builder(model).threshold(0.9).guard(SemanticHitGuard.NONE));
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private OkHttpClient clientWith(SemanticCache.Builder semantic) {
    AiGateway gateway =
        AiGateway.builder()
            .listener(events)
            .responseCache(ResponseCache.builder().semantic(semantic))
            .build();
    return OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
  }

  /** Vectors at a chosen cosine to the first axis: (cos, sin) in two dimensions. */
  private static float[] atCosine(double cosine) {
    return new float[] {(float) cosine, (float) Math.sqrt(1 - cosine * cosine), 0};
  }

  private String chat(String prompt, String extra) {
    return "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
        + "{\"role\":\"user\",\"content\":\""
        + prompt
        + "\"}]"
        + extra
        + "}";
  }

  private String body(String json) throws Exception {
    try (Response response =
        client.newCall(post(server.url("/v1/chat/completions").toString(), json)).execute()) {
      return response.body().string();
    }
  }

  @Test
  void aSimilarEnoughPromptIsAnsweredFromTheCache() throws Exception {
    String answer = chatCompletion("gpt-4o", 20, 30);
    server.enqueue(json(answer));
    model.put("How do I reset my password?", atCosine(1));
    model.put("How can I reset my password?", atCosine(0.95));

    body(chat("How do I reset my password?", ""));
    String replayed = body(chat("How can I reset my password?", ""));

    assertThat(replayed).isEqualTo(answer);
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    GatewayEvent hit = events.next();
    assertThat(hit.cache().outcome()).isEqualTo(CacheOutcome.SEMANTIC_HIT);
    assertThat(hit.cache().score()).isCloseTo(0.95, within(1e-4));
    assertThat(hit.cache().tokensSaved()).isEqualTo(50);
  }

  @Test
  void theEmbeddedMessagesNameAndRoleMustMatchToo() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    server.enqueue(json(chatCompletion("gpt-4o", 21, 31)));
    server.enqueue(json(chatCompletion("gpt-4o", 22, 32)));
    model.put("What is on my calendar today?", atCosine(1));
    String asked =
        "{\"role\":\"user\",\"name\":\"%s\",\"content\":\"What is on my calendar today?\"}";

    body("{\"model\":\"gpt-4o\",\"messages\":[" + asked.formatted("alice") + "]}");
    body("{\"model\":\"gpt-4o\",\"messages\":[" + asked.formatted("bob") + "]}");
    body(
        "{\"model\":\"gpt-4o\",\"messages\":["
            + asked.formatted("alice").replace("\"user\"", "\"assistant\"")
            + "]}");

    assertThat(server.getRequestCount()).isEqualTo(3);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
  }

  @Test
  void aPromptBelowTheThresholdMissesAndIsStoredItself() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    server.enqueue(json(chatCompletion("gpt-4o", 21, 31)));
    model.put("How do I reset my password?", atCosine(1));
    model.put("How do I delete my account?", atCosine(0.8));

    body(chat("How do I reset my password?", ""));
    body(chat("How do I delete my account?", ""));
    body(chat("How do I delete my account?", ""));

    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(events.next().cache().score()).as("nothing cached to compare").isNaN();
    GatewayEvent below = events.next();
    assertThat(below.cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(below.cache().score())
        .as("a miss reports the best score found below the threshold")
        .isCloseTo(0.8, within(1e-4));
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
  }

  @Test
  void theGuardTurnsAnObjectedHitIntoAGuardedMiss() throws Exception {
    client =
        clientWith(
            SemanticCache.builder(model)
                .threshold(0.9)
                .guard(
                    (cached, incoming) ->
                        cached.contains("enable") != incoming.contains("enable")
                            ? Optional.of("opposite")
                            : Optional.empty()));
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    server.enqueue(json(chatCompletion("gpt-4o", 20, 31)));
    model.put("How do I enable 2FA?", atCosine(1));
    model.put("How do I disable 2FA?", atCosine(0.97));

    body(chat("How do I enable 2FA?", ""));
    String answer;
    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    chat("How do I disable 2FA?", "")))
            .execute()) {
      assertThat(response.header("x-ai-gateway-cache")).isEqualTo("guarded_miss");
      answer = response.body().string();
    }

    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(answer).contains("\"completion_tokens\":31");
    events.next();
    GatewayEvent guarded = events.next();
    assertThat(guarded.cache().outcome()).isEqualTo(CacheOutcome.GUARDED_MISS);
    assertThat(guarded.cache().guardObjection()).isEqualTo("opposite");
    assertThat(guarded.cache().score()).isCloseTo(0.97, within(1e-4));
    assertThat(guarded.cache().tokensSaved()).isZero();
  }

  @Test
  void theGuardIsToldTheSimilarityTheCacheFound() throws Exception {
    java.util.List<Double> told = new java.util.concurrent.CopyOnWriteArrayList<>();
    client =
        clientWith(
            SemanticCache.builder(model)
                .threshold(0.9)
                .guard(
                    new SemanticHitGuard() {
                      @Override
                      public Optional<String> objection(String cached, String incoming) {
                        return Optional.of("asked without the similarity");
                      }

                      @Override
                      public Optional<String> objection(
                          String cached, String incoming, double similarity) {
                        told.add(similarity);
                        return Optional.empty();
                      }
                    }));
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    model.put("How do I turn on 2FA?", atCosine(1));
    model.put("How can I turn on 2FA?", atCosine(0.95));

    body(chat("How do I turn on 2FA?", ""));
    body(chat("How can I turn on 2FA?", ""));

    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(told).hasSize(1);
    assertThat(told.get(0)).isCloseTo(0.95, within(1e-4));
    events.next();
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.SEMANTIC_HIT);
  }

  @Test
  void theGuardMayPassOverTheNearestToASecondCandidate() throws Exception {
    client =
        clientWith(
            SemanticCache.builder(model)
                .threshold(0.9)
                .guard(
                    (cached, incoming) ->
                        cached.contains("disable") != incoming.contains("disable")
                            ? Optional.of("opposite")
                            : Optional.empty()));
    server.enqueue(json(chatCompletion("gpt-4o", 1, 1)));
    server.enqueue(json(chatCompletion("gpt-4o", 2, 2)));
    model.put("Please disable 2FA", new float[] {1, 0, 0});
    model.put("Please turn on 2FA", new float[] {0.9f, 0.436f, 0});
    model.put("Turn on 2FA please", new float[] {0.99f, 0.14f, 0});

    body(chat("Please disable 2FA", ""));
    body(chat("Please turn on 2FA", ""));
    body(chat("Turn on 2FA please", ""));

    assertThat(server.getRequestCount()).isEqualTo(2);
    events.next();
    events.next();
    GatewayEvent third = events.next();
    assertThat(third.cache().outcome()).isEqualTo(CacheOutcome.SEMANTIC_HIT);
    assertThat(third.cache().tokensSaved()).isEqualTo(4);
  }

  @Test
  void theRestOfTheRequestMustMatchExactly() throws Exception {
    for (int i = 0; i < 3; i++) {
      server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    }
    model.put("Hi", atCosine(1));

    body(chat("Hi", ""));
    body(chat("Hi", ",\"temperature\":0.2"));
    body(
        "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":\"Be verbose.\"},"
            + "{\"role\":\"user\",\"content\":\"Hi\"}]}");

    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void aSemanticHitIsReplayedAsAStreamWhenOneIsAskedFor() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    model.put("What is our refund policy?", atCosine(1));
    model.put("What's the refund policy?", atCosine(0.93));

    body(chat("What is our refund policy?", ""));
    String stream = body(chat("What's the refund policy?", ",\"stream\":true"));

    assertThat(stream)
        .contains("\"delta\":{\"content\":\"Hello there\"}")
        .endsWith("data: [DONE]\n\n");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void anEmbeddingFailureIsAMissAndTheCallGoesOn() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    model.failing = true;

    String answer = body(chat("Anything", ""));

    assertThat(answer).contains("Hello there");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.cache().outcome()).isEqualTo(CacheOutcome.MISS);
  }

  @Test
  void anEmbeddingModelThatThrowsAnErrorIsAMissAndItsCallsEndAndFreeTheirSlots() throws Exception {
    // docs/caching.md: every cache failure makes the call a miss and the call goes on. A model
    // whose
    // runtime could not load throws an Error (NoClassDefFoundError, UnsatisfiedLinkError), not an
    // exception: it must not reach the application, leave the call without its event, or keep the
    // call's reservation and in-flight slot for ever.
    AiGateway gateway =
        AiGateway.builder()
            .listener(events)
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000_000).maxInFlight(1))
            .responseCache(
                ResponseCache.builder()
                    .semantic(
                        SemanticCache.builder(new ThrowsError()).guard(SemanticHitGuard.NONE)))
            .build();
    client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    server.enqueue(json(chatCompletion("gpt-4o", 21, 31)));

    assertThat(body(chat("First question", ""))).contains("Hello there");
    assertThat(body(chat("Second question", ""))).contains("Hello there");

    assertThat(server.getRequestCount()).isEqualTo(2);
    for (int i = 0; i < 2; i++) {
      GatewayEvent event = events.next();
      assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(event.cache().outcome()).isEqualTo(CacheOutcome.MISS);
      assertThat(event.limits().settledTokens()).isPositive();
    }
  }

  /** An embedding model whose runtime could not be loaded. */
  private static final class ThrowsError implements EmbeddingModel {
    @Override
    public float[] embed(String text) {
      throw new NoClassDefFoundError("ai/onnxruntime/OrtEnvironment");
    }

    @Override
    public String name() {
      return "throws-error";
    }
  }

  @Test
  void aPromptTheModelFailedToEmbedIsNotEmbeddedAgainWhenItsAnswerIsStored() throws Exception {
    // The answer is stored on the thread that reads the body's end: asking a model that just failed
    // (or timed out) again there holds the application's last read for another embedding call.
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    model.failing = true;

    body(chat("Anything", ""));

    assertThat(model.calls.get()).isEqualTo(1);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
  }

  @Test
  void longConversationsSkipTheSemanticCache() throws Exception {
    client = clientWith(SemanticCache.builder(model).maxMessages(2).guard(SemanticHitGuard.NONE));
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    String conversation =
        "{\"model\":\"gpt-4o\",\"messages\":["
            + "{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
            + "{\"role\":\"user\",\"content\":\"c\"}]}";

    body(conversation);

    assertThat(model.calls.get()).isZero();
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
  }

  @Test
  void aPromptLongerThanTheModelReadsIsKeptOutOfTheSemanticCache() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    server.enqueue(json(chatCompletion("gpt-4o", 21, 31)));
    model.reads = 40;
    String first = "Here is our refund policy in full. Does it cover opened items?";
    String second = "Here is our refund policy in full. Does it cover items bought on sale?";
    model.put(first, atCosine(1)); // what a model reading the common beginning only gives
    model.put(second, atCosine(1));

    body(chat(first, ""));
    body(chat(second, ""));
    body(chat(second, ""));

    assertThat(server.getRequestCount())
        .as("the second prompt's ending, which the model does not read, is another question")
        .isEqualTo(2);
    assertThat(model.calls.get()).as("neither prompt is embedded, nor stored as a vector").isZero();
    for (int i = 0; i < 2; i++) {
      GatewayEvent skipped = events.next();
      assertThat(skipped.cache().outcome()).isEqualTo(CacheOutcome.MISS);
      assertThat(skipped.cache().semanticSkip()).isEqualTo(CacheInfo.PROMPT_NOT_READ_WHOLE);
      assertThat(skipped.cache().score()).isNaN();
    }
    GatewayEvent repeated = events.next();
    assertThat(repeated.cache().outcome())
        .as("the exact cache still serves a long prompt")
        .isEqualTo(CacheOutcome.EXACT_HIT);
  }

  @Test
  void promptsTheModelReadsWholeAreNotSkipped() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    model.reads = 40;
    model.put("How do I reset my password?", atCosine(1));
    model.put("How can I reset my password?", atCosine(0.95));

    body(chat("How do I reset my password?", ""));
    body(chat("How can I reset my password?", ""));

    assertThat(events.next().cache().semanticSkip()).isNull();
    GatewayEvent hit = events.next();
    assertThat(hit.cache().outcome()).isEqualTo(CacheOutcome.SEMANTIC_HIT);
    assertThat(hit.cache().semanticSkip()).isNull();
  }

  @Test
  void truncatedPromptsCanBeLetBackIntoTheSemanticCache() throws Exception {
    client =
        clientWith(
            SemanticCache.builder(model)
                .threshold(0.9)
                .guard(SemanticHitGuard.NONE)
                .truncatedPrompts(true));
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    model.reads = 40;
    String first = "Here is our refund policy in full. Does it cover opened items?";
    String second = "Here is our refund policy in full. Does it cover items bought on sale?";
    model.put(first, atCosine(1));
    model.put(second, atCosine(1));

    body(chat(first, ""));
    body(chat(second, ""));

    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(events.next().cache().semanticSkip()).isNull();
    GatewayEvent hit = events.next();
    assertThat(hit.cache().outcome())
        .as("opted in: the unread endings no longer count, as documented")
        .isEqualTo(CacheOutcome.SEMANTIC_HIT);
    assertThat(hit.cache().score()).isCloseTo(1.0, within(1e-4));
  }

  @Test
  void exactLookupsCanBeTurnedOffLeavingOnlyTheSemanticOne() throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .listener(events)
            .responseCache(
                ResponseCache.builder()
                    .exact(false)
                    .semantic(SemanticCache.builder(model).guard(SemanticHitGuard.NONE)))
            .build();
    client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    model.put("Hi", atCosine(1));

    body(chat("Hi", ""));
    body(chat("Hi", ""));

    events.next();
    GatewayEvent second = events.next();
    assertThat(second.cache().outcome()).isEqualTo(CacheOutcome.SEMANTIC_HIT);
    assertThat(second.cache().score()).isCloseTo(1.0, within(1e-6));
  }

  @Test
  void aThresholdOfOneServesTheSamePromptWhateverTheRoundingOfItsScore() throws Exception {
    // threshold(1) asks for the same prompt only; the dot product of a unit vector with itself
    // comes out a rounding below 1 for many vectors (this one gives 0.99999994 in floats).
    AiGateway gateway =
        AiGateway.builder()
            .listener(events)
            .responseCache(
                ResponseCache.builder()
                    .exact(false)
                    .semantic(
                        SemanticCache.builder(model).threshold(1.0).guard(SemanticHitGuard.NONE)))
            .build();
    client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    server.enqueue(json(chatCompletion("gpt-4o", 21, 31)));
    server.enqueue(json(chatCompletion("gpt-4o", 22, 32)));
    model.put("Hi", new float[] {1, 1, 1});
    model.put("Hello", new float[] {1, 1, 0.99f}); // 0.99999 to "Hi"

    body(chat("Hi", ""));
    body(chat("Hi", ""));
    body(chat("Hello", ""));

    events.next();
    GatewayEvent same = events.next();
    assertThat(same.cache().outcome()).isEqualTo(CacheOutcome.SEMANTIC_HIT);
    assertThat(same.cache().score()).isCloseTo(1.0, within(1e-6));
    assertThat(events.next().cache().outcome())
        .as("a prompt a little apart still misses")
        .isEqualTo(CacheOutcome.MISS);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  /** Returns the vector each test put for a text; an unknown text gets its own axis. */
  // ------------------------------------------------- provider formats: a reworded call hits

  /** Calls {@code path} with {@code json}; returns the answer's body. */
  private String call(String path, String json) throws Exception {
    try (Response response = client.newCall(post(server.url(path).toString(), json)).execute()) {
      return response.body().string();
    }
  }

  /** Two calls differing only in the user's words: the second is a semantic hit, replayed. */
  private void rewordedCallHits(String path, String first, String second, String answer)
      throws Exception {
    server.enqueue(json(answer));
    model.put("How do I reset my password?", atCosine(1));
    model.put("How can I reset my password?", atCosine(0.95));

    call(path, first);
    String replayed = call(path, second);

    assertThat(replayed).isEqualTo(answer);
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    GatewayEvent hit = events.next();
    assertThat(hit.cache().outcome()).isEqualTo(CacheOutcome.SEMANTIC_HIT);
    assertThat(hit.cache().score()).isCloseTo(0.95, within(1e-4));
    assertThat(hit.cache().tokensSaved()).isEqualTo(50);
  }

  private static String anthropic(String prompt) {
    return "{\"model\":\"claude-3-5-haiku-20241022\",\"max_tokens\":64,\"system\":\"Be brief.\","
        + "\"messages\":[{\"role\":\"user\",\"content\":\""
        + prompt
        + "\"}]}";
  }

  private static String gemini(String prompt) {
    return "{\"systemInstruction\":{\"parts\":[{\"text\":\"Be brief.\"}]},\"contents\":[{"
        + "\"role\":\"user\",\"parts\":[{\"text\":\""
        + prompt
        + "\"}]}],\"generationConfig\":{\"maxOutputTokens\":64}}";
  }

  private static String converse(String prompt) {
    return "{\"system\":[{\"text\":\"Be brief.\"}],\"messages\":[{\"role\":\"user\","
        + "\"content\":[{\"text\":\""
        + prompt
        + "\"}]}],\"inferenceConfig\":{\"maxTokens\":64}}";
  }

  @Test
  void aRewordedAnthropicCallIsAnsweredFromTheCache() throws Exception {
    rewordedCallHits(
        "/v1/messages",
        anthropic("How do I reset my password?"),
        anthropic("How can I reset my password?"),
        "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
            + "\"claude-3-5-haiku-20241022\",\"content\":[{\"type\":\"text\",\"text\":"
            + "\"Use the reset link.\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
            + "\"usage\":{\"input_tokens\":20,\"output_tokens\":30}}");
  }

  @Test
  void aRewordedGeminiCallIsAnsweredFromTheCache() throws Exception {
    rewordedCallHits(
        "/v1beta/models/gemini-2.0-flash:generateContent",
        gemini("How do I reset my password?"),
        gemini("How can I reset my password?"),
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Use the reset link.\"}],"
            + "\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{"
            + "\"promptTokenCount\":20,\"candidatesTokenCount\":30,\"totalTokenCount\":50},"
            + "\"modelVersion\":\"gemini-2.0-flash-001\"}");
  }

  @Test
  void aRewordedConverseCallIsAnsweredFromTheCache() throws Exception {
    rewordedCallHits(
        "/model/amazon.nova-lite-v1:0/converse",
        converse("How do I reset my password?"),
        converse("How can I reset my password?"),
        "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":"
            + "\"Use the reset link.\"}]}},\"stopReason\":\"end_turn\",\"usage\":{"
            + "\"inputTokens\":20,\"outputTokens\":30,\"totalTokens\":50}}");
  }

  @Test
  void aGeminiCallWithAnImageOrAnotherSystemInstructionIsNotServedSemantically() throws Exception {
    String answer =
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"ok\"}],\"role\":\"model\"},"
            + "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":2,"
            + "\"candidatesTokenCount\":1,\"totalTokenCount\":3}}";
    String path = "/v1beta/models/gemini-2.0-flash:generateContent";
    server.enqueue(json(answer));
    server.enqueue(json(answer));
    server.enqueue(json(answer));
    model.put("How do I reset my password?", atCosine(1));
    model.put("How can I reset my password?", atCosine(0.99));

    call(path, gemini("How do I reset my password?"));
    // another system instruction: another context, so no semantic match
    call(path, gemini("How can I reset my password?").replace("Be brief.", "Be thorough."));
    // an image in the turn: not embedded at all
    call(
        path,
        gemini("How can I reset my password?")
            .replace(
                "}]}],", "},{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"AAAA\"}}]}],"));

    assertThat(server.getRequestCount()).isEqualTo(3);
    events.next();
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
  }

  @Test
  void aMatchWhoseScoreIsNotANumberIsNoHit() throws Exception {
    // A store's score of NaN (a cosine divided by a zero norm, say) is no similarity of at least
    // the threshold: the unrelated prompt must go to the backend, not get the cached answer.
    client =
        clientWith(
            SemanticCache.builder(model)
                .threshold(0.9)
                .guard(SemanticHitGuard.NONE)
                .vectorStore(new NotANumberScores()));
    String first = chatCompletion("gpt-4o", 20, 30);
    String second = chatCompletion("gpt-4o", 21, 31);
    server.enqueue(json(first));
    server.enqueue(json(second));
    model.put("How do I reset my password?", atCosine(1));
    model.put("What is the capital of France?", atCosine(0));

    body(chat("How do I reset my password?", ""));
    String answered = body(chat("What is the capital of France?", ""));

    assertThat(answered).isEqualTo(second);
    assertThat(server.getRequestCount()).isEqualTo(2);
    events.next();
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
  }

  @Test
  void anAnswerStoreThatFailsToAnswerLeavesTheMatchedPromptInTheVectorStore() throws Exception {
    // A store that fails a read (a Redis timeout) says nothing of whether the answer is there: the
    // prompt's vector must stay, or one slow read forgets a cached answer for every instance.
    FlakyAnswers answers = new FlakyAnswers();
    InMemoryVectorStore vectors = InMemoryVectorStore.builder().build();
    client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .listener(events)
                .responseCache(
                    ResponseCache.builder()
                        .store(answers)
                        .semantic(
                            SemanticCache.builder(model)
                                .threshold(0.9)
                                .guard(SemanticHitGuard.NONE)
                                .vectorStore(vectors)))
                .build());
    String first = chatCompletion("gpt-4o", 20, 30);
    String second = chatCompletion("gpt-4o", 21, 31);
    server.enqueue(json(first));
    server.enqueue(json(second));
    model.put("How do I reset my password?", atCosine(1));
    model.put("How can I reset my password?", atCosine(0.95));
    model.put("How do I reset my password, please?", atCosine(1));

    body(chat("How do I reset my password?", ""));
    answers.failingReads = true;
    body(chat("How can I reset my password?", ""));
    answers.failingReads = false;
    String replayed = body(chat("How do I reset my password, please?", ""));

    assertThat(vectors.size()).isEqualTo(2);
    assertThat(replayed).isEqualTo(first);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void anAnswerStoredWhileALookupFindsItsPromptsAnswerGoneKeepsItsPromptInTheVectorStore()
      throws Exception {
    // Call B finds prompt P's vector but not its answer (expired, evicted) and removes the vector;
    // call C, the same prompt P, stores a fresh answer and vector in between: B must not remove
    // the vector C just added, or reworded prompts miss P's fresh answer for as long as it lives.
    RacingAnswers answers = new RacingAnswers();
    InMemoryVectorStore vectors = InMemoryVectorStore.builder().build();
    client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .listener(events)
                .responseCache(
                    ResponseCache.builder()
                        .store(answers)
                        .semantic(
                            SemanticCache.builder(model)
                                .threshold(0.9)
                                .guard(SemanticHitGuard.NONE)
                                .vectorStore(vectors)))
                .build());
    String expired = chatCompletion("gpt-4o", 20, 30);
    String fresh = chatCompletion("gpt-4o", 21, 31);
    server.enqueue(json(expired));
    server.enqueue(json(fresh));
    server.enqueue(json(chatCompletion("gpt-4o", 22, 32)));
    server.enqueue(json(chatCompletion("gpt-4o", 23, 33)));
    model.put("How do I reset my password?", atCosine(1));
    model.put("How can I reset my password?", atCosine(0.95));
    // At 0.95 to the first prompt, at 0.8 to the second: only the first prompt's entry answers it.
    model.put("How would I reset my password?", new float[] {0.95f, -0.31224990f, 0});

    body(chat("How do I reset my password?", ""));
    answers.expireLastPut();
    answers.whenGone =
        () -> {
          try {
            body(chat("How do I reset my password?", "")); // stores a fresh answer and vector
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        };
    body(chat("How can I reset my password?", ""));
    String reworded = body(chat("How would I reset my password?", ""));

    assertThat(answers.raced).as("the interleaving happened").isTrue();
    assertThat(reworded).as("answered by the fresh answer of the first prompt").isEqualTo(fresh);
  }

  /**
   * An in-memory answer store that forgets its last answer on demand ({@link #expireLastPut}), and
   * then, on the first read that finds that answer gone, runs {@link #whenGone} on another thread
   * and waits for it before it answers: a call that stores meanwhile. It is held in process and
   * waits on nothing ({@link #callTimeout} zero), so the gateway calls it on the calling thread, as
   * it does its in-memory store: an answer is stored on the thread of its call, and the
   * interleaving is the one the test sets up, not one with the cache's own threads.
   */
  private static final class RacingAnswers implements ResponseCacheStore {
    private final InMemoryResponseCacheStore answers = InMemoryResponseCacheStore.create();
    private volatile String lastPartition;
    private volatile String lastKey;
    private volatile String goneKey;
    volatile Runnable whenGone;
    volatile boolean raced;

    @Override
    public Duration callTimeout() {
      return Duration.ZERO; // in process: called on the calling thread, stored before the event
    }

    void expireLastPut() {
      answers.remove(lastPartition, lastKey);
      goneKey = lastKey;
    }

    @Override
    public Optional<CachedResponse> get(String partition, String key) {
      Optional<CachedResponse> found = answers.get(partition, key);
      Runnable race = whenGone;
      if (found.isEmpty() && key.equals(goneKey) && race != null) {
        whenGone = null;
        Thread other = new Thread(race);
        other.start();
        try {
          other.join(10_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        raced = true;
      }
      return found;
    }

    @Override
    public void put(String partition, String key, CachedResponse response) {
      lastPartition = partition;
      lastKey = key;
      answers.put(partition, key, response);
    }

    @Override
    public void remove(String partition, String key) {
      answers.remove(partition, key);
    }
  }

  /** An in-memory vector store that reports every match's score as NaN. */
  private static final class NotANumberScores implements VectorStore {
    private final InMemoryVectorStore vectors = InMemoryVectorStore.builder().build();

    @Override
    public Duration callTimeout() {
      return Duration.ZERO; // in process: called on the calling thread, stored before the event
    }

    @Override
    public void add(String partition, String id, float[] vector, String text) {
      vectors.add(partition, id, vector, text);
    }

    @Override
    public List<VectorMatch> nearest(String partition, float[] vector, int limit, double minScore) {
      return vectors.nearest(partition, vector, limit, -1.0).stream()
          .map(match -> new VectorMatch(match.id(), Double.NaN, match.text()))
          .toList();
    }

    @Override
    public void remove(String partition, String id) {
      vectors.remove(partition, id);
    }

    @Override
    public long size() {
      return vectors.size();
    }
  }

  /** An in-memory answer store whose reads fail while {@link #failingReads}. */
  private static final class FlakyAnswers implements ResponseCacheStore {
    private final InMemoryResponseCacheStore answers = InMemoryResponseCacheStore.create();
    volatile boolean failingReads;

    @Override
    public Duration callTimeout() {
      return Duration.ZERO; // in process: called on the calling thread, stored before the event
    }

    @Override
    public Optional<CachedResponse> get(String partition, String key) {
      if (failingReads) {
        throw new IllegalStateException("answer store timed out");
      }
      return answers.get(partition, key);
    }

    @Override
    public void put(String partition, String key, CachedResponse response) {
      answers.put(partition, key, response);
    }

    @Override
    public void remove(String partition, String key) {
      answers.remove(partition, key);
    }
  }

  private static final class ChosenVectors implements EmbeddingModel {
    private final Map<String, float[]> vectors = new ConcurrentHashMap<>();
    final AtomicInteger calls = new AtomicInteger();
    volatile boolean failing;
    volatile int reads = Integer.MAX_VALUE;

    @Override
    public Duration callTimeout() {
      return Duration.ZERO; // in process: called on the calling thread, stored before the event
    }

    @Override
    public int charactersRead(String text) {
      return Math.min(text.length(), reads);
    }

    void put(String text, float[] vector) {
      vectors.put(text, vector);
    }

    @Override
    public float[] embed(String text) throws IOException {
      calls.incrementAndGet();
      if (failing) {
        throw new IOException("embedding service unavailable");
      }
      float[] vector = vectors.get(text);
      return vector != null ? vector : new float[] {0, 0, 1};
    }

    @Override
    public String name() {
      return "chosen-vectors";
    }
  }
}
