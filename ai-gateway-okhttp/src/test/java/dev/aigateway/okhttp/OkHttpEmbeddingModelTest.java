package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Operation;
import dev.aigateway.api.SemanticHitGuard;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.cache.SemanticCache;
import dev.aigateway.testing.Closing;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OkHttpEmbeddingModelTest {

  private static final String SECRET = "sk-test-embeddings-secret-123";

  private final MockWebServer server = new MockWebServer();

  @BeforeEach
  void setUp() throws Exception {
    server.start();
  }

  @AfterEach
  void tearDown() {
    Closing.inBackground(server); // a server holding a late answer back would wait for it
  }

  private static String embedding(String vector) {
    return "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":["
        + vector
        + "]}],\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":3,"
        + "\"total_tokens\":3}}";
  }

  private OkHttpEmbeddingModel.Builder model() {
    return OkHttpEmbeddingModel.builder()
        .url(server.url("/v1/embeddings").toString())
        .model("text-embedding-3-small");
  }

  @Test
  void postsTheTextAndReadsTheVector() throws Exception {
    server.enqueue(json(embedding("0.25,-1,3e-2")));
    OkHttpEmbeddingModel model =
        model()
            .dimensions(3)
            .header("Authorization", "Bearer " + SECRET)
            .client(new OkHttpClient())
            .build();

    float[] vector = model.embed("Reset my \"password\"\n");

    assertThat(vector).containsExactly(0.25f, -1f, 0.03f);
    RecordedRequest sent = server.takeRequest();
    assertThat(sent.getBody().utf8())
        .isEqualTo(
            "{\"model\":\"text-embedding-3-small\","
                + "\"input\":\"Reset my \\\"password\\\"\\n\",\"encoding_format\":\"float\","
                + "\"dimensions\":3}");
    assertThat(sent.getHeaders().get("Authorization")).isEqualTo("Bearer " + SECRET);
    assertThat(model.name()).isEqualTo("text-embedding-3-small@3");
  }

  @Test
  void errorsNameTheStatusAndTypeButNeverTheBodyOrCredentials() {
    server.enqueue(
        new MockResponse.Builder()
            .code(401)
            .body(
                "{\"error\":{\"message\":\"Incorrect "
                    + "API key provided: "
                    + SECRET
                    + "\",\"type\":\"invalid_request_error\"}}")
            .build());
    OkHttpEmbeddingModel model =
        model().header("Authorization", "Bearer " + SECRET).client(new OkHttpClient()).build();

    assertThatThrownBy(() -> model.embed("x"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("401")
        .hasMessageContaining("invalid_request_error")
        .hasMessageNotContaining(SECRET);
    assertThat(model.toString()).doesNotContain(SECRET);
  }

  @Test
  void malformedAnswersAreIoExceptions() {
    server.enqueue(json("{\"data\":[{\"embedding\":[]}]}"));
    server.enqueue(json("[1,2]"));
    server.enqueue(json("{\"data\":[{\"embedding\":[\"a\"]}]}"));
    OkHttpEmbeddingModel model = model().client(new OkHttpClient()).build();

    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> model.embed("x")).isInstanceOf(IOException.class);
    }
  }

  @Test
  void aSlowServiceFailsWithinTheTimeout() {
    server.enqueue(
        json(embedding("1"))
            .newBuilder()
            // 4 s: OkHttp 4.12's MockWebServer waits at most 5 s at close for an answer it is
            // still delaying, and fails the test after that
            .headersDelay(4, java.util.concurrent.TimeUnit.SECONDS)
            .build());
    OkHttpEmbeddingModel model =
        model().timeout(Duration.ofMillis(200)).client(new OkHttpClient()).build();

    long start = System.nanoTime();
    assertThatThrownBy(() -> model.embed("x")).isInstanceOf(IOException.class);
    // not the service's 4 s: the rest is room for a loaded machine
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(3_500));
  }

  @Test
  void aKeyWithACharacterNoHeaderMayHoldIsRefusedWithoutShowingIt() {
    // A key read from a file often ends in a line break. OkHttp's own error would quote the value
    // of any header but Authorization, and a failed embedding is logged with its message.
    assertThatThrownBy(
            () ->
                model()
                    .header("api-key", SECRET + "\n")
                    .client(new OkHttpClient())
                    .build()
                    .embed("x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "the value of header 'api-key' holds a character not allowed in a header value, at"
                + " index "
                + SECRET.length())
        .hasMessageNotContaining(SECRET);
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void aUrlThatDoesNotParseIsRefusedWithoutQuotingIt() {
    // Its query (an Azure key, a SAS signature) or user information may hold a secret.
    assertThatThrownBy(
            () -> OkHttpEmbeddingModel.builder().url("embeddings.example/v1?api-key=" + SECRET))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("http(s) URL")
        .hasMessageNotContaining(SECRET);
  }

  @Test
  void withoutAClientItSaysHowToGetOne() {
    assertThatThrownBy(() -> model().build().embed("x"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("OkHttpAiGateway.wrap");
  }

  @Test
  void embeddingCallsGoThroughTheGatewayThatUsesTheModel() throws Exception {
    RecordingListener events = new RecordingListener();
    OkHttpEmbeddingModel model = model().build();
    AiGateway gateway =
        AiGateway.builder()
            .listener(events)
            .responseCache(
                ResponseCache.builder()
                    .semantic(SemanticCache.builder(model).guard(SemanticHitGuard.NONE)))
            .build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    server.enqueue(json(embedding("1,0"))); // embeds "How do I reset my password?"
    server.enqueue(json(chatCompletion("gpt-4o", 20, 30)));
    server.enqueue(json(embedding("0.96,0.28"))); // embeds the paraphrase
    String chatUrl = server.url("/v1/chat/completions").toString();

    for (String prompt : List.of("How do I reset my password?", "How can I reset my password?")) {
      try (Response response =
          client
              .newCall(
                  post(
                      chatUrl,
                      "{\"model\":\"gpt-4o\",\"messages\":"
                          + "[{\"role\":\"user\",\"content\":\""
                          + prompt
                          + "\"}]}"))
              .execute()) {
        assertThat(response.body().string()).contains("Hello there");
      }
    }

    assertThat(server.getRequestCount()).isEqualTo(3);
    List<GatewayEvent> all = events.all;
    assertThat(all)
        .extracting(GatewayEvent::operation)
        .containsExactly(
            Operation.EMBEDDINGS,
            Operation.CHAT_COMPLETIONS,
            Operation.EMBEDDINGS,
            Operation.CHAT_COMPLETIONS);
    // Embedding tokens are counted
    assertThat(all.get(0).usage().tokens().inputTokens()).isEqualTo(3);
    assertThat(all.get(3).cache().outcome()).isEqualTo(CacheOutcome.SEMANTIC_HIT);
  }
}
