package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.chatStream;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static dev.aigateway.okhttp.Backend.sse;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.CacheControl;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolver;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.InMemoryResponseCacheStore;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okio.BufferedSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The exact response cache, end to end through a wrapped client against MockWebServer. */
class ResponseCacheTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();
  private final ManualClock clock = ManualClock.at("2026-01-01T00:00:00Z");
  private OkHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    server.start();
    client = clientWith(ResponseCache.builder());
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private OkHttpClient clientWith(ResponseCache.Builder cache) {
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer"))
            .tokenLimit(
                TokenLimit.perConsumer()
                    .quota(1_000_000, QuotaPeriod.DAILY)
                    .remainingQuotaHeader("x-remaining"))
            .listener(events)
            .responseCache(cache)
            .build();
    return OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
  }

  private String url() {
    return server.url("/v1/chat/completions").toString();
  }

  private Response call(String json, String... headers) throws Exception {
    return client.newCall(post(url(), json, headers)).execute();
  }

  private String body(String json, String... headers) throws Exception {
    try (Response response = call(json, headers)) {
      return response.body().string();
    }
  }

  @Test
  void secondIdenticalCallIsAnsweredByteForByteWithoutTheBackend() throws Exception {
    String answer = chatCompletion("gpt-4o-2024-08-06", 12, 30);
    server.enqueue(json(answer));
    String request = chatRequest("gpt-4o", "What is 2+2?", "");

    try (Response first = call(request)) {
      assertThat(first.body().string()).isEqualTo(answer);
      assertThat(first.header("x-ai-gateway-cache")).isEqualTo("miss");
    }
    GatewayEvent miss = events.next();
    try (Response second = call(request)) {
      assertThat(second.code()).isEqualTo(200);
      assertThat(second.header("Content-Type")).startsWith("application/json");
      assertThat(second.header("x-ai-gateway-cache")).isEqualTo("exact_hit");
      assertThat(second.body().bytes())
          .isEqualTo(answer.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(miss.cache().outcome()).isEqualTo(CacheOutcome.MISS);
    GatewayEvent hit = events.next();
    assertThat(hit.cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(hit.cache().tokensSaved()).isEqualTo(42);
    assertThat(hit.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(hit.status()).isEqualTo(200);
    assertThat(hit.usage().tokens().totalTokens()).isZero();
    assertThat(hit.responseModel()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(hit.routing().backendId()).isNull();
    assertThat(dev.aigateway.core.telemetry.LoggingListener.format(hit))
        .contains(" cache=exact_hit saved=42 ");
  }

  @Test
  void keyIgnoresMemberOrderWhitespaceNumberSpellingAndTransportFields() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    body(
        "{\"model\":\"gpt-4o\",\"temperature\":0,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"Hi\"}],\"user\":\"alice\"}");
    events.next();

    body(
        "{ \"messages\" : [ {\"content\":\"Hi\", \"role\":\"user\"} ],\n \"temperature\": 0.0,"
            + " \"model\": \"gpt-4o\", \"user\": \"bob\"}");

    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void anythingThatChangesTheAnswerIsADifferentKey() throws Exception {
    for (int i = 0; i < 4; i++) {
      server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    }
    body(chatRequest("gpt-4o", "Hi", "\"temperature\":0"));
    body(chatRequest("gpt-4o", "Hi", "\"temperature\":0.5"));
    body(chatRequest("gpt-4o-mini", "Hi", "\"temperature\":0"));
    body(chatRequest("gpt-4o", "Hi!", "\"temperature\":0"));

    assertThat(server.getRequestCount()).isEqualTo(4);
    for (int i = 0; i < 4; i++) {
      assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    }
  }

  @Test
  void azureDeploymentsInThePathNeverShareAnswers() throws Exception {
    // Azure answers with the deployment in the path; the body's model does not choose it.
    server.enqueue(json(chatCompletion("gpt-4o-2024-08-06", 5, 5)));
    server.enqueue(json(chatCompletion("gpt-4o-mini-2024-07-18", 6, 6)));
    String request = chatRequest("gpt-4o", "Hi", "");

    try (Response first =
        client
            .newCall(
                post(
                    server
                        .url("/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21")
                        .toString(),
                    request))
            .execute()) {
      first.body().string();
    }
    String second;
    try (Response response =
        client
            .newCall(
                post(
                    server
                        .url(
                            "/openai/deployments/prod-mini/chat/completions?api-version=2024-10-21")
                        .toString(),
                    request))
            .execute()) {
      second = response.body().string();
    }

    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(second).contains("gpt-4o-mini-2024-07-18");
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
  }

  @Test
  void azureApiVersionsNeverShareAnswersAndOneVersionStillHits() throws Exception {
    // An api-version chooses what Azure answers (fields, features, the answer's shape).
    server.enqueue(json(chatCompletion("gpt-4o-2024-05-13", 5, 5)));
    server.enqueue(json(chatCompletion("gpt-4o-2024-08-06", 6, 6)));
    String request = chatRequest("gpt-4o", "Hi", "");
    String path = "/openai/deployments/prod-4o/chat/completions?api-version=";

    azure(path + "2024-06-01", request);
    String second = azure(path + "2025-01-01-preview", request);
    String third = azure(path + "2025-01-01-preview", request);

    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(second).contains("gpt-4o-2024-08-06");
    assertThat(third).contains("gpt-4o-2024-08-06");
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
  }

  private String azure(String path, String request) throws Exception {
    try (Response response = client.newCall(post(server.url(path).toString(), request)).execute()) {
      return response.body().string();
    }
  }

  @Test
  void answersNeverCrossVaryByPartitions() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    server.enqueue(json(chatCompletion("gpt-4o", 6, 6)));
    String request = chatRequest("gpt-4o", "Summarise our roadmap", "");

    body(request, "x-consumer", "tenant-a");
    body(request, "x-consumer", "tenant-b");
    body(request, "x-consumer", "tenant-a");

    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    GatewayEvent third = events.next();
    assertThat(third.consumer()).isEqualTo("tenant-a");
    assertThat(third.cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(third.cache().tokensSaved()).isEqualTo(10);
  }

  @Test
  void varyByResolverPartitionsAcrossConsumersAndItsHeaderStaysInTheProcess() throws Exception {
    client = clientWith(ResponseCache.builder().varyBy(KeyResolvers.header("x-tenant")));
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    String request = chatRequest("gpt-4o", "Hi", "");

    body(request, "x-consumer", "alice", "x-tenant", "acme");
    body(request, "x-consumer", "bob", "x-tenant", "acme");

    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(server.takeRequest().getHeaders().get("x-tenant")).isNull();
  }

  @Test
  void aCallWhoseVaryByResolverFailsIsNeitherAnsweredFromNorStoredInTheCache() throws Exception {
    // A tenant resolver that fails (a token it cannot parse) knows no tenant: sharing the one
    // partition of calls without a value would hand one tenant's answer to another.
    KeyResolver tenant =
        request -> {
          String token = request.header("x-tenant-token");
          if (token.startsWith("broken")) {
            throw new IllegalStateException("cannot read the tenant of " + token);
          }
          return token;
        };
    client = clientWith(ResponseCache.builder().varyBy(tenant));
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    server.enqueue(json(chatCompletion("gpt-4o", 6, 6)));
    String request = chatRequest("gpt-4o", "Summarise our roadmap", "");

    body(request, "x-tenant-token", "broken-for-acme");
    body(request, "x-tenant-token", "broken-for-globex");

    assertThat(server.getRequestCount()).isEqualTo(2);
    events.next();
    assertThat(events.next().cache().outcome()).isNotEqualTo(CacheOutcome.EXACT_HIT);
  }

  @Test
  void nonOkAnswersAreNeverStored() throws Exception {
    server.enqueue(new MockResponse.Builder().code(500).body("{\"error\":{}}").build());
    server.enqueue(new MockResponse.Builder().code(429).body("{\"error\":{}}").build());
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    String request = chatRequest("gpt-4o", "Hi", "");

    assertThat(call(request).code()).isEqualTo(500);
    assertThat(call(request).code()).isEqualTo(429);
    body(request);

    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void aSuccessStatusWhoseBodyIsAnErrorDocumentIsNeverStored() throws Exception {
    // Some OpenAI-compatible services and proxies answer an error with a 200 status: its body is
    // no answer, and serving it again from the cache would repeat a transient failure.
    String error =
        "{\"error\":{\"message\":\"The server is overloaded\",\"type\":\"server_error\","
            + "\"param\":null,\"code\":\"overloaded\"}}";
    String answer = chatCompletion("gpt-4o", 12, 30);
    server.enqueue(json(error));
    server.enqueue(json(answer));
    String request = chatRequest("gpt-4o", "What is 2+2?", "");

    assertThat(body(request)).isEqualTo(error);
    events.next();
    assertThat(body(request)).isEqualTo(answer);

    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
  }

  @Test
  void anAnthropicOrGeminiErrorDocumentAnsweredWithASuccessStatusIsNeverStored() throws Exception {
    String[][] cases = {
      {
        "/v1/messages",
        "{\"model\":\"claude-3-5-haiku-20241022\",\"max_tokens\":64,\"messages\":[{\"role\":"
            + "\"user\",\"content\":\"Hi\"}]}",
        "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
            + "\"Overloaded\"}}",
        "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
            + "\"claude-3-5-haiku-20241022\",\"content\":[{\"type\":\"text\",\"text\":"
            + "\"Hello\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":8,"
            + "\"output_tokens\":2}}"
      },
      {
        "/v1beta/models/gemini-2.0-flash:generateContent",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]}],"
            + "\"generationConfig\":{\"maxOutputTokens\":64}}",
        "{\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":"
            + "\"UNAVAILABLE\"}}",
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hello\"}],\"role\":"
            + "\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":2,"
            + "\"candidatesTokenCount\":1,\"totalTokenCount\":3}}"
      }
    };
    for (String[] c : cases) {
      server.enqueue(json(c[2]));
      server.enqueue(json(c[3]));
      String url = server.url(c[0]).toString();
      try (Response first = client.newCall(post(url, c[1])).execute()) {
        assertThat(first.body().string()).isEqualTo(c[2]);
      }
      events.next();
      try (Response second = client.newCall(post(url, c[1])).execute()) {
        assertThat(second.body().string()).as(c[0]).isEqualTo(c[3]);
      }
      assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    }
    assertThat(server.getRequestCount()).isEqualTo(4);
  }

  @Test
  void aStreamThatReportsAnErrorBeforeItsEndMarkerIsNeverStored() throws Exception {
    // vLLM and other OpenAI-compatible servers report a failure during a stream as an event
    // holding an error object, then end the stream with [DONE] as usual.
    String head =
        "data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
            + "\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n";
    String failed =
        head
            + "data: {\"error\":{\"message\":\"CUDA out of memory\",\"type\":"
            + "\"InternalServerError\",\"param\":null,\"code\":500}}\n\n"
            + "data: [DONE]\n\n";
    server.enqueue(sse(failed));
    server.enqueue(sse(chatStream("gpt-4o", true, 11, 9, true)));
    String request = chatRequest("gpt-4o", "Hi", "\"stream\":true");

    assertThat(body(request)).isEqualTo(failed);
    events.next();
    assertThat(body(request)).isEqualTo(chatStream("gpt-4o", false, 0, 0, true));

    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
  }

  @Test
  void aStoredStreamIsReplayedAsTheStreamTheAppWouldHaveSeen() throws Exception {
    server.enqueue(sse(chatStream("gpt-4o", true, 11, 9, true)));
    String request = chatRequest("gpt-4o", "Hi", "\"stream\":true");
    String live = body(request);
    events.next();

    String replayed;
    try (Response response = call(request)) {
      assertThat(response.header("Content-Type")).startsWith("text/event-stream");
      assertThat(response.header("x-ai-gateway-cache")).isEqualTo("exact_hit");
      replayed = response.body().string();
    }

    assertThat(replayed).isEqualTo(live).isEqualTo(chatStream("gpt-4o", false, 0, 0, true));
    GatewayEvent hit = events.next();
    assertThat(hit.stream()).isTrue();
    assertThat(hit.cache().tokensSaved()).isEqualTo(20);
  }

  @Test
  void aReplayedStreamHasATimeToFirstChunkAndAJsonHitNone() throws Exception {
    // TimingInfo: time to first chunk is null "for anything but a stream that got bytes". A
    // streamed hit is a stream whose bytes were all there when it was answered, so its first
    // chunk came then; without it the time-to-first-chunk histogram counted no hit while the
    // duration histogram counted them all.
    server.enqueue(sse(chatStream("gpt-4o", true, 11, 9, true)));
    server.enqueue(json(chatCompletion("gpt-4o", 12, 30)));
    String streamed = chatRequest("gpt-4o", "Hi", "\"stream\":true");
    String plain = chatRequest("gpt-4o", "Hello", "");
    body(streamed);
    events.next();
    body(plain);
    events.next();

    body(streamed);
    GatewayEvent streamedHit = events.next();
    body(plain);
    GatewayEvent jsonHit = events.next();

    assertThat(streamedHit.cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(streamedHit.timing().timeToFirstChunk())
        .isNotNull()
        .isPositive()
        .isLessThanOrEqualTo(streamedHit.timing().latency());
    assertThat(jsonHit.cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(jsonHit.timing().timeToFirstChunk()).isNull();
  }

  @Test
  void aStoredStreamKeepsItsUsageChunkForAppsThatAskForIt() throws Exception {
    String backend = chatStream("gpt-4o", true, 11, 9, true);
    server.enqueue(sse(backend));
    body(chatRequest("gpt-4o", "Hi", "\"stream\":true"));

    String replayed =
        body(
            chatRequest(
                "gpt-4o", "Hi", "\"stream\":true,\"stream_options\":{\"include_usage\":true}"));

    assertThat(replayed).isEqualTo(backend);
  }

  @Test
  void aStoredStreamWithoutUsageIsNotReplayedToAnAppThatAsksForUsage() throws Exception {
    // Without injection, a stream the app did not ask usage for is stored without a usage chunk.
    client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .consumerKey(KeyResolvers.header("x-consumer"))
                .injectStreamUsage(false)
                .listener(events)
                .responseCache(ResponseCache.builder())
                .build());
    String withUsage = chatStream("gpt-4o", true, 11, 9, true);
    server.enqueue(sse(chatStream("gpt-4o", false, 0, 0, true)));
    server.enqueue(sse(withUsage));
    body(chatRequest("gpt-4o", "Hi", "\"stream\":true"));
    events.next();

    String asked;
    try (Response response =
        call(
            chatRequest(
                "gpt-4o", "Hi", "\"stream\":true,\"stream_options\":{\"include_usage\":true}"))) {
      assertThat(response.header("x-ai-gateway-cache")).isEqualTo("miss");
      asked = response.body().string();
    }

    // The app that asked for usage gets the usage chunk the backend sends, not a stored stream
    // without one.
    assertThat(asked).isEqualTo(withUsage);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aStoredStreamAnswersJsonCallsWithTheAssembledCompletion() throws Exception {
    server.enqueue(sse(chatStream("gpt-4o", true, 11, 9, true)));
    body(chatRequest("gpt-4o", "Hi", "\"stream\":true"));

    String replayed;
    try (Response response = call(chatRequest("gpt-4o", "Hi", ""))) {
      assertThat(response.header("Content-Type")).startsWith("application/json");
      replayed = response.body().string();
    }

    JsonNode document = JSON.readTree(replayed);
    assertThat(document.path("object").asText()).isEqualTo("chat.completion");
    assertThat(document.path("model").asText()).isEqualTo("gpt-4o");
    assertThat(document.at("/choices/0/message/content").asText())
        .isEqualTo(String.join("", Backend.PIECES));
    assertThat(document.at("/choices/0/message/role").asText()).isEqualTo("assistant");
    assertThat(document.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    assertThat(document.at("/usage/total_tokens").asLong()).isEqualTo(20);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void anAzureStreamAnswersJsonCallsWithItsCompletionsIdAndModel() throws Exception {
    // Azure OpenAI opens a stream with a chunk of prompt filter results: no choices, empty id and
    // model, created 0.
    String head =
        "\"created\":1733,\"id\":\"chatcmpl-A\",\"model\":\"gpt-4o-2024-08-06\","
            + "\"object\":\"chat.completion.chunk\",\"system_fingerprint\":\"fp_1\"";
    String stream =
        "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
            + "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{}}]}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\"\",\"role\":\"assistant\"},"
            + "\"finish_reason\":null,\"index\":0,\"logprobs\":null}],"
            + head
            + "}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null,"
            + "\"index\":0}],"
            + head
            + "}\n\n"
            + "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\",\"index\":0}],"
            + head
            + "}\n\n"
            + "data: {\"choices\":[],"
            + head
            + ",\"usage\":{\"prompt_tokens\":9,"
            + "\"completion_tokens\":1,\"total_tokens\":10}}\n\n"
            + "data: [DONE]\n\n";
    server.enqueue(sse(stream));
    body(chatRequest("gpt-4o", "Hi", "\"stream\":true"));
    events.next();

    JsonNode assembled = JSON.readTree(body(chatRequest("gpt-4o", "Hi", "")));

    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(assembled.path("id").asText()).isEqualTo("chatcmpl-A");
    assertThat(assembled.path("model").asText()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(assembled.path("created").asLong()).isEqualTo(1733);
    assertThat(assembled.path("system_fingerprint").asText()).isEqualTo("fp_1");
    assertThat(assembled.at("/choices/0/message/content").asText()).isEqualTo("Hello");
    assertThat(assembled.at("/usage/total_tokens").asInt()).isEqualTo(10);
  }

  @Test
  void aStoredJsonAnswerIsReplayedAsAStreamWhenOneIsAskedFor() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 12, 30)));
    body(chatRequest("gpt-4o", "Hi", ""));

    String withoutUsage = body(chatRequest("gpt-4o", "Hi", "\"stream\":true"));
    String withUsage =
        body(
            chatRequest(
                "gpt-4o", "Hi", "\"stream\":true,\"stream_options\":{\"include_usage\":true}"));

    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(contentOf(withoutUsage)).isEqualTo("Hello there");
    assertThat(withoutUsage).doesNotContain("\"usage\"").endsWith("data: [DONE]\n\n");
    assertThat(contentOf(withUsage)).isEqualTo("Hello there");
    assertThat(withUsage).contains("\"usage\":{\"prompt_tokens\":12");
  }

  /** The concatenated delta content of a chat stream. */
  private static String contentOf(String stream) throws Exception {
    StringBuilder content = new StringBuilder();
    for (String line : stream.split("\n")) {
      if (line.startsWith("data: {")) {
        for (JsonNode choice : JSON.readTree(line.substring(6)).path("choices")) {
          content.append(choice.path("delta").path("content").asText(""));
        }
      }
    }
    return content.toString();
  }

  @Test
  void anAnswerWithLogprobsIsNotConvertedToTheOtherForm() throws Exception {
    // Replayed in the other form, the token log probabilities the call asked for would be lost.
    String answer =
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},"
            + "\"logprobs\":{\"content\":[{\"token\":\"Hi\",\"logprob\":-0.01,\"bytes\":[72,105],"
            + "\"top_logprobs\":[]}],\"refusal\":null},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}";
    server.enqueue(json(answer));
    server.enqueue(sse(chatStream("gpt-4o", true, 5, 1, true)));
    body(chatRequest("gpt-4o", "Hi", "\"logprobs\":true"));
    events.next();

    String streamed = body(chatRequest("gpt-4o", "Hi", "\"logprobs\":true,\"stream\":true"));

    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(streamed).contains("data: [DONE]");
  }

  @Test
  void aStreamedLegacyFunctionCallIsNotAssembledIntoAnAnswerWithoutIt() throws Exception {
    // The deprecated functions API streams its call in delta.function_call, which the assembled
    // document would leave out: an empty answer ending in finish_reason "function_call".
    String head =
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":";
    String stream =
        head
            + "{\"role\":\"assistant\",\"content\":null,\"function_call\":{\"name\":"
            + "\"get_weather\",\"arguments\":\"\"}},\"finish_reason\":null}],\"usage\":null}\n\n"
            + head
            + "{\"function_call\":{\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
            + "\"finish_reason\":null}],\"usage\":null}\n\n"
            + head
            + "{},\"finish_reason\":\"function_call\"}],\"usage\":null}\n\n"
            + "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,"
            + "\"completion_tokens\":7,\"total_tokens\":27}}\n\n"
            + "data: [DONE]\n\n";
    String functions =
        "\"functions\":[{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}]";
    assertAJsonCallAfterTheStreamMisses("gpt-4o", functions, stream);
  }

  /**
   * Stores {@code stream} as the answer to a streamed call of {@code model} asking "Weather in
   * Paris?" with {@code extra} members, then asserts the same call made for JSON reaches the
   * backend (a miss) and gets its answer, not the stream assembled.
   */
  private void assertAJsonCallAfterTheStreamMisses(String model, String extra, String stream)
      throws Exception {
    server.enqueue(sse(stream));
    server.enqueue(json(chatCompletion(model, 20, 7)));
    body(chatRequest(model, "Weather in Paris?", extra + ",\"stream\":true"));
    events.next();

    String document = body(chatRequest(model, "Weather in Paris?", extra));

    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(document).isEqualTo(chatCompletion(model, 20, 7));
  }

  @Test
  void aStreamedToolCallWithAMemberTheAssemblyWouldDropIsNotAssembledWithoutIt() throws Exception {
    // Gemini's OpenAI-compatible API (and the gateway's own translation of Gemini) gives a tool
    // call's thought signature in extra_content.google.thought_signature, which Gemini requires
    // back on the next turn: an assembled tool call without it would make that turn fail.
    String head =
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gemini-3-pro\",\"choices\":[{\"index\":0,\"delta\":";
    String stream =
        head
            + "{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
            + head
            + "{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":"
            + "{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"},"
            + "\"extra_content\":{\"google\":{\"thought_signature\":\"c2lnbmF0dXJl\"}}}]},"
            + "\"finish_reason\":null}]}\n\n"
            + head
            + "{},\"finish_reason\":\"tool_calls\"}]}\n\n"
            + "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gemini-3-pro\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,"
            + "\"completion_tokens\":7,\"total_tokens\":27}}\n\n"
            + "data: [DONE]\n\n";
    String tools =
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"parameters\":{\"type\":\"object\"}}}]";
    assertAJsonCallAfterTheStreamMisses("gemini-3-pro", tools, stream);
  }

  @Test
  void anAudioAnswerIsNotReplayedAsAStreamWithoutItsAudio() throws Exception {
    // An answer spoken (modalities text and audio) has null content and the reply in
    // message.audio, which the stream written from it would leave out: an empty answer.
    String answer =
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":"
            + "\"gpt-4o-audio-preview\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
            + "\"assistant\",\"content\":null,\"refusal\":null,\"annotations\":[],\"audio\":"
            + "{\"id\":\"audio_1\",\"data\":\"UklGRg==\",\"expires_at\":1,\"transcript\":"
            + "\"Hello there\"}},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,"
            + "\"completion_tokens\":9,\"total_tokens\":14}}";
    String audio =
        "\"modalities\":[\"text\",\"audio\"],\"audio\":{\"voice\":\"alloy\",\"format\":"
            + "\"pcm16\"}";
    server.enqueue(json(answer));
    server.enqueue(sse(chatStream("gpt-4o-audio-preview", true, 5, 9, true)));
    body(chatRequest("gpt-4o-audio-preview", "Hi", audio));
    events.next();

    String streamed = body(chatRequest("gpt-4o-audio-preview", "Hi", audio + ",\"stream\":true"));

    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(streamed).isEqualTo(chatStream("gpt-4o-audio-preview", false, 0, 0, true));
  }

  @Test
  void anAnswerWhoseContentIsAListOfPartsIsNotReplayedAsAnEmptyStream() throws Exception {
    // Some OpenAI-compatible servers (Mistral's reasoning models) answer with content as a list of
    // parts; the stream written from it would carry no content at all.
    String answer =
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":"
            + "\"magistral-medium\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":[{\"type\":\"thinking\",\"thinking\":[{\"type\":\"text\",\"text\":"
            + "\"Two and two.\"}]},{\"type\":\"text\",\"text\":\"4\"}]},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":9,\"total_tokens\":14}}";
    server.enqueue(json(answer));
    server.enqueue(sse(chatStream("magistral-medium", true, 5, 9, true)));
    body(chatRequest("magistral-medium", "What is 2+2?", ""));
    events.next();

    String streamed = body(chatRequest("magistral-medium", "What is 2+2?", "\"stream\":true"));

    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(streamed).isEqualTo(chatStream("magistral-medium", false, 0, 0, true));
  }

  @Test
  void aTruncatedStreamIsNeverStored() throws Exception {
    server.enqueue(sse(chatStream("gpt-4o", true, 11, 9, false))); // no [DONE]
    server.enqueue(sse(chatStream("gpt-4o", true, 11, 9, true)));
    String request = chatRequest("gpt-4o", "Hi", "\"stream\":true");

    body(request);
    assertThat(events.next().outcome()).isNotEqualTo(CallOutcome.SUCCESS);
    body(request);

    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
  }

  @Test
  void aStreamThatEndsInAnErrorEventIsNeverStored() throws Exception {
    // vLLM and other OpenAI-compatible servers report a failure that happens mid-stream in an error
    // chunk, still under the 200 they began with, and then end the stream with [DONE] as usual.
    String failed =
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
            + "\"assistant\",\"content\":\"The\"},\"finish_reason\":null}]}\n\n"
            + "data: {\"error\":{\"message\":\"The engine failed.\",\"type\":"
            + "\"InternalServerError\",\"param\":null,\"code\":500}}\n\n"
            + "data: [DONE]\n\n";
    String whole = chatStream("gpt-4o", true, 11, 9, true);
    server.enqueue(sse(failed));
    server.enqueue(sse(whole));
    String request = chatRequest("gpt-4o", "Hi", "\"stream\":true");

    assertThat(body(request)).isEqualTo(failed);
    events.next();
    String second;
    try (Response response = call(request)) {
      assertThat(response.header("x-ai-gateway-cache")).isEqualTo("miss");
      second = response.body().string();
    }

    assertThat(second).isEqualTo(chatStream("gpt-4o", false, 0, 0, true));
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aJsonErrorAnsweredWithStatus200IsNeverStored() throws Exception {
    String error =
        "{\"error\":{\"message\":\"Upstream provider failed.\",\"type\":\"server_error\","
            + "\"param\":null,\"code\":502}}";
    String answer = chatCompletion("gpt-4o", 5, 5);
    server.enqueue(json(error));
    server.enqueue(json(answer));
    String request = chatRequest("gpt-4o", "Hi", "");

    assertThat(body(request)).isEqualTo(error);
    events.next();
    try (Response response = call(request)) {
      assertThat(response.header("x-ai-gateway-cache")).isEqualTo("miss");
      assertThat(response.body().string()).isEqualTo(answer);
    }

    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aJsonDocumentWithAnErrorObjectIsNeverStoredEvenWhenItReportsUsage() throws Exception {
    // A proxy that failed part way reports the usage it was billed beside OpenAI's error object.
    String error =
        "{\"error\":{\"message\":\"Upstream provider failed.\",\"type\":\"server_error\","
            + "\"param\":null,\"code\":502},\"usage\":{\"prompt_tokens\":5,"
            + "\"completion_tokens\":0,\"total_tokens\":5}}";
    String answer = chatCompletion("gpt-4o", 5, 5);
    server.enqueue(json(error));
    server.enqueue(json(answer));
    String request = chatRequest("gpt-4o", "Hi", "");

    assertThat(body(request)).isEqualTo(error);
    assertThat(events.next().usage().tokens().totalTokens()).isEqualTo(5);
    try (Response response = call(request)) {
      assertThat(response.header("x-ai-gateway-cache")).isEqualTo("miss");
      assertThat(response.body().string()).isEqualTo(answer);
    }

    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void anAnswerTheProvidersContentFilterCutIsNeverStored() throws Exception {
    // Azure OpenAI's (and OpenAI's) output filter cuts an answer off mid-way under the 200 it
    // began with: the choice ends in finish_reason "content_filter", its text partial or empty.
    String filtered =
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":"
            + "\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"The first step is\"},\"finish_reason\":\"content_filter\","
            + "\"content_filter_results\":{\"violence\":{\"filtered\":true,\"severity\":"
            + "\"medium\"}}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4,"
            + "\"total_tokens\":9}}";
    String head =
        "data: {\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":";
    String filteredStream =
        head
            + "{\"role\":\"assistant\",\"content\":\"The first\"},\"finish_reason\":null}],"
            + "\"usage\":null}\n\n"
            + head
            + "{},\"finish_reason\":\"content_filter\"}],\"usage\":null}\n\n"
            + "data: {\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
            + "\"completion_tokens\":2,\"total_tokens\":7}}\n\n"
            + "data: [DONE]\n\n";
    String answer = chatCompletion("gpt-4o", 5, 5);
    server.enqueue(json(filtered));
    server.enqueue(json(answer));
    server.enqueue(sse(filteredStream));
    server.enqueue(sse(chatStream("gpt-4o", true, 5, 5, true)));
    String request = chatRequest("gpt-4o", "How do I do it?", "");
    String streamed = chatRequest("gpt-4o", "How do I do it again?", "\"stream\":true");

    assertThat(body(request)).isEqualTo(filtered);
    events.next();
    try (Response response = call(request)) {
      assertThat(response.header("x-ai-gateway-cache")).isEqualTo("miss");
      assertThat(response.body().string()).isEqualTo(answer);
    }
    events.next();
    body(streamed);
    events.next();
    try (Response response = call(streamed)) {
      assertThat(response.header("x-ai-gateway-cache")).isEqualTo("miss");
      assertThat(response.body().string()).isEqualTo(chatStream("gpt-4o", false, 0, 0, true));
    }

    assertThat(server.getRequestCount()).isEqualTo(4);
  }

  @Test
  void anAzureAnswerItsContentFilterCutIsReportedContentFilteredAndNeverStored() throws Exception {
    // Azure OpenAI's output filter ends a choice with finish_reason "content_filter" under the 200
    // the answer began with; every chunk of its streams carries content_filter_results, the first
    // the prompt's prompt_filter_results. A Responses API response it cut is incomplete for
    // "content_filter".
    String chat =
        server.url("/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21").toString();
    String responses = server.url("/openai/responses?api-version=2025-04-01-preview").toString();
    String safe = "{\"hate\":{\"filtered\":false,\"severity\":\"safe\"}}";
    String filtered =
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":"
            + "\"gpt-4o-2024-08-06\",\"prompt_filter_results\":[{\"prompt_index\":0,"
            + "\"content_filter_results\":"
            + safe
            + "}],\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"The first step is\"},\"finish_reason\":\"content_filter\","
            + "\"content_filter_results\":{\"violence\":{\"filtered\":true,\"severity\":"
            + "\"medium\"}}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4,"
            + "\"total_tokens\":9}}";
    StringBuilder stream =
        new StringBuilder(
            "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
                + "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":"
                + safe
                + "}]}\n\n");
    String[] pieces = {"The", " first", " step", " is"};
    for (String piece : pieces) {
      stream.append(Backend.azureChunk(safe, "{\"content\":\"" + piece + "\"}", "null"));
    }
    stream
        .append(
            Backend.azureChunk(
                "{\"violence\":{\"filtered\":true,\"severity\":\"medium\"}}",
                "{}",
                "\"content_filter\""))
        .append("data: [DONE]\n\n");
    String incomplete =
        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":"
            + "{\"id\":\"resp_1\",\"status\":\"in_progress\",\"model\":\"gpt-4.1\"}}\n\n"
            + "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
            + "\"delta\":\"The first\"}\n\n"
            + "event: response.incomplete\ndata: {\"type\":\"response.incomplete\",\"response\":"
            + "{\"id\":\"resp_1\",\"status\":\"incomplete\",\"incomplete_details\":"
            + "{\"reason\":\"content_filter\"},\"model\":\"gpt-4.1\",\"usage\":"
            + "{\"input_tokens\":5,\"output_tokens\":2,\"total_tokens\":7}}}\n\n";
    String answer = chatCompletion("gpt-4o", 5, 5);
    server.enqueue(json(filtered));
    server.enqueue(sse(stream.toString()));
    server.enqueue(sse(incomplete));
    server.enqueue(json(answer));
    String request = chatRequest("gpt-4o", "How do I do it?", "");
    String streamed = chatRequest("gpt-4o", "How do I do it again?", "\"stream\":true");
    String responsesRequest = "{\"model\":\"gpt-4.1\",\"input\":\"Hi\",\"stream\":true}";

    try (Response response = client.newCall(post(chat, request)).execute()) {
      assertThat(response.body().string()).isEqualTo(filtered);
    }
    GatewayEvent document = events.next();
    try (Response response = client.newCall(post(chat, streamed)).execute()) {
      assertThat(response.body().string()).contains("\"finish_reason\":\"content_filter\"");
    }
    GatewayEvent chunks = events.next();
    try (Response response = client.newCall(post(responses, responsesRequest)).execute()) {
      assertThat(response.body().string()).isEqualTo(incomplete);
    }
    GatewayEvent responsesStream = events.next();
    try (Response response = client.newCall(post(chat, request)).execute()) {
      assertThat(response.header("x-ai-gateway-cache")).isEqualTo("miss");
      assertThat(response.body().string()).isEqualTo(answer);
    }
    GatewayEvent whole = events.next();

    for (GatewayEvent cut : List.of(document, chunks, responsesStream)) {
      assertThat(cut.contentFiltered()).as(cut.toString()).isTrue();
      assertThat(cut.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(cut.toString()).contains(", contentFiltered");
      assertThat(dev.aigateway.core.telemetry.LoggingListener.format(cut))
          .contains(" content_filtered=true");
    }
    assertThat(document.usage().tokens().totalTokens()).isEqualTo(9);
    assertThat(whole.contentFiltered()).isFalse();
    assertThat(dev.aigateway.core.telemetry.LoggingListener.format(whole))
        .doesNotContain("content_filtered");
    assertThat(server.getRequestCount()).isEqualTo(4);
  }

  @Test
  void anAnthropicAnswerItsClassifierRefusedIsNeverStored() throws Exception {
    // Claude's streaming classifiers stop an answer mid-way under the 200 it began with: the
    // message ends in stop_reason "refusal", its text partial. Asked again, the call may well be
    // answered whole, so the cut answer is no answer to give again.
    String url = server.url("/v1/messages").toString();
    String refused =
        "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
            + "\"claude-sonnet-4-20250514\",\"content\":[{\"type\":\"text\",\"text\":"
            + "\"The first step is\"}],\"stop_reason\":\"refusal\",\"stop_sequence\":null,"
            + "\"usage\":{\"input_tokens\":8,\"output_tokens\":4}}";
    String answer =
        "{\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
            + "\"claude-sonnet-4-20250514\",\"content\":[{\"type\":\"text\",\"text\":"
            + "\"Hello\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
            + "\"usage\":{\"input_tokens\":8,\"output_tokens\":2}}";
    String refusedStream = claudeStream("\"refusal\"");
    String answerStream = refusedStream.replace("\"refusal\"", "\"end_turn\"");
    server.enqueue(json(refused));
    server.enqueue(json(answer));
    server.enqueue(sse(refusedStream));
    server.enqueue(sse(answerStream));
    String request =
        "{\"model\":\"claude-sonnet-4-20250514\",\"max_tokens\":64,\"messages\":[{\"role\":"
            + "\"user\",\"content\":\"How do I do it?\"}]}";
    String streamed =
        request
            .replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true")
            .replace("do it?", "do it again?");

    for (String[] c :
        new String[][] {{request, refused, answer}, {streamed, refusedStream, answerStream}}) {
      try (Response first = client.newCall(post(url, c[0])).execute()) {
        assertThat(first.body().string()).isEqualTo(c[1]);
      }
      assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
      try (Response second = client.newCall(post(url, c[0])).execute()) {
        assertThat(second.header("x-ai-gateway-cache")).isEqualTo("miss");
        assertThat(second.body().string()).isEqualTo(c[2]);
      }
      assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    }
    assertThat(server.getRequestCount()).isEqualTo(4);
  }

  /**
   * A Claude message stream whose text is "The first", its {@code message_delta} giving {@code
   * stopReason} (a JSON value).
   */
  private static String claudeStream(String stopReason) {
    return anthropicEvent(
            "message_start",
            "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_3\",\"type\":\"message\","
                + "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-20250514\","
                + "\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":"
                + "{\"input_tokens\":8,\"output_tokens\":1}}}")
        + anthropicEvent(
            "content_block_start",
            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
                + "\"text\",\"text\":\"\"}}")
        + anthropicEvent(
            "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                + "\"text_delta\",\"text\":\"The first\"}}")
        + anthropicEvent("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
        + anthropicEvent(
            "message_delta",
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
                + stopReason
                + ",\"stop_sequence\":null},\"usage\":{\"output_tokens\":3}}")
        + anthropicEvent("message_stop", "{\"type\":\"message_stop\"}");
  }

  @Test
  void anAnthropicTurnPausedOrWithoutAStopReasonIsNeverStored() throws Exception {
    // With server tools (web search, web fetch) the API may pause a long turn: stop_reason
    // "pause_turn", the client meant to send the paused answer back for the turn to go on. Nor is
    // a stream whose message_delta never gave a stop reason known to be whole.
    String url = server.url("/v1/messages").toString();
    String paused =
        "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
            + "\"claude-sonnet-4-20250514\",\"content\":[{\"type\":\"server_tool_use\",\"id\":"
            + "\"srvtoolu_1\",\"name\":\"web_search\",\"input\":{\"query\":\"news\"}}],"
            + "\"stop_reason\":\"pause_turn\",\"stop_sequence\":null,"
            + "\"usage\":{\"input_tokens\":8,\"output_tokens\":4}}";
    String request =
        "{\"model\":\"claude-sonnet-4-20250514\",\"max_tokens\":64,\"messages\":[{\"role\":"
            + "\"user\",\"content\":\"What is new?\"}]}";
    String streamed = request.replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true");
    String[][] cases = {
      {request, paused, paused.replace("\"pause_turn\"", "\"end_turn\"")},
      {
        streamed.replace("new?", "new today?"),
        claudeStream("\"pause_turn\""),
        claudeStream("\"end_turn\"")
      },
      {streamed.replace("new?", "news?"), claudeStream("null"), claudeStream("\"end_turn\"")}
    };

    for (String[] c : cases) {
      boolean stream = c[0].contains("\"stream\":true");
      server.enqueue(stream ? sse(c[1]) : json(c[1]));
      server.enqueue(stream ? sse(c[2]) : json(c[2]));
      try (Response first = client.newCall(post(url, c[0])).execute()) {
        assertThat(first.body().string()).isEqualTo(c[1]);
      }
      assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
      try (Response second = client.newCall(post(url, c[0])).execute()) {
        assertThat(second.header("x-ai-gateway-cache")).as(c[1]).isEqualTo("miss");
        assertThat(second.body().string()).isEqualTo(c[2]);
      }
      assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    }
    assertThat(server.getRequestCount()).isEqualTo(6);
  }

  private static String anthropicEvent(String type, String data) {
    return "event: " + type + "\ndata: " + data + "\n\n";
  }

  @Test
  void aGeminiAnswerToAPromptItsFiltersBlockedIsNeverStored() throws Exception {
    // Gemini answers a prompt its safety filters blocked with a 200 that holds no candidate,
    // only promptFeedback.blockReason: no answer to give again (another turn of the filters may
    // well let the same prompt through), as a candidate they stopped is none.
    String url = server.url("/v1beta/models/gemini-2.0-flash:generateContent").toString();
    String blocked =
        "{\"promptFeedback\":{\"blockReason\":\"SAFETY\",\"safetyRatings\":[{\"category\":"
            + "\"HARM_CATEGORY_DANGEROUS_CONTENT\",\"probability\":\"HIGH\"}]},"
            + "\"usageMetadata\":{\"promptTokenCount\":6,\"totalTokenCount\":6}}";
    String answer =
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hello\"}],\"role\":"
            + "\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":6,"
            + "\"candidatesTokenCount\":1,\"totalTokenCount\":7}}";
    server.enqueue(json(blocked));
    server.enqueue(json(answer));
    String request = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"How to?\"}]}]}";

    try (Response first = client.newCall(post(url, request)).execute()) {
      assertThat(first.body().string()).isEqualTo(blocked);
    }
    try (Response second = client.newCall(post(url, request)).execute()) {
      assertThat(second.header("x-ai-gateway-cache")).isEqualTo("miss");
      assertThat(second.body().string()).isEqualTo(answer);
    }
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aStreamThatEndsWithAChoiceNeverFinishedIsNeverStored() throws Exception {
    // A backend or a proxy that loses the end of a choice may still send [DONE]: a choice without
    // its finish_reason is a cut answer, whichever of the call's n choices it is.
    String whole = chatStream("gpt-4o", true, 11, 9, true);
    String unfinished = whole.replace("\"finish_reason\":\"stop\"", "\"finish_reason\":null");
    String head =
        "data: {\"id\":\"chatcmpl-3\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o\",\"choices\":[";
    String oneOfTwo =
        head
            + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Yes\"},"
            + "\"finish_reason\":null}]}\n\n"
            + head
            + "{\"index\":1,\"delta\":{\"role\":\"assistant\",\"content\":\"No\"},"
            + "\"finish_reason\":null}]}\n\n"
            + head
            + "{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
            + "data: [DONE]\n\n";
    String completion =
        "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":"
            + "\"gpt-3.5-turbo-instruct\",\"choices\":[{\"index\":0,\"text\":\"Hello\","
            + "\"logprobs\":null,\"finish_reason\":null}]}\n\n"
            + "data: [DONE]\n\n";
    String completions = server.url("/v1/completions").toString();
    String[][] cases = {
      {url(), chatRequest("gpt-4o", "Hi", "\"stream\":true"), unfinished},
      {url(), chatRequest("gpt-4o", "Yes or no?", "\"stream\":true,\"n\":2"), oneOfTwo},
      {
        completions,
        "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Say hello\",\"stream\":true}",
        completion
      }
    };

    for (String[] c : cases) {
      server.enqueue(sse(c[2]));
      server.enqueue(sse(whole));
      try (Response first = client.newCall(post(c[0], c[1])).execute()) {
        assertThat(first.body().string()).endsWith("data: [DONE]\n\n");
      }
      assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
      try (Response second = client.newCall(post(c[0], c[1])).execute()) {
        assertThat(second.header("x-ai-gateway-cache")).as(c[2]).isEqualTo("miss");
        second.body().string();
      }
      assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    }
    assertThat(server.getRequestCount()).isEqualTo(6);
  }

  @Test
  void aStreamTheAppCancelledIsNeverStored() throws Exception {
    server.enqueue(sse(chatStream("gpt-4o", true, 11, 9, true)));
    server.enqueue(sse(chatStream("gpt-4o", true, 11, 9, true)));
    String request = chatRequest("gpt-4o", "Hi", "\"stream\":true");

    try (Response response = call(request)) {
      BufferedSource source = response.body().source();
      source.readUtf8Line(); // the first event only, then close
    }
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.CANCELLED);
    body(request);

    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aHitRefundsItsReservation() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 12, 30)));
    String request = chatRequest("gpt-4o", "Hi", "\"max_tokens\":100");
    body(request);
    events.next();

    String remainingBefore;
    try (Response hit = call(request)) {
      remainingBefore = hit.header("x-remaining");
    }
    GatewayEvent hitEvent = events.next();
    String remainingAfter;
    try (Response hit = call(request)) {
      remainingAfter = hit.header("x-remaining");
    }

    assertThat(hitEvent.limits().reservedTokens()).isPositive();
    assertThat(hitEvent.limits().settledTokens()).isZero();
    // Each hit reserved the same estimate; had the first kept it, the second would see less.
    assertThat(remainingAfter).isEqualTo(remainingBefore);
  }

  @Test
  void hitsCanBeChargedWhatTheirAnswerCost() throws Exception {
    client = clientWith(ResponseCache.builder().chargeHits(true));
    server.enqueue(json(chatCompletion("gpt-4o", 12, 30)));
    String request = chatRequest("gpt-4o", "Hi", "");
    body(request);
    events.next();

    body(request);

    GatewayEvent hit = events.next();
    assertThat(hit.cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(hit.limits().settledTokens()).isEqualTo(42);
  }

  @Test
  void noCacheHeaderSkipsTheLookupButStoresAndNeverLeavesTheProcess() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    server.enqueue(json(chatCompletion("gpt-4o", 6, 6)));
    String request = chatRequest("gpt-4o", "Hi", "");
    body(request);
    events.next();

    try (Response bypassed = call(request, "x-ai-gateway-cache-control", "no-cache")) {
      assertThat(bypassed.header("x-ai-gateway-cache")).isEqualTo("bypassed");
      bypassed.body().string();
    }
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.BYPASSED);
    server.takeRequest();
    assertThat(server.takeRequest().getHeaders().get("x-ai-gateway-cache-control")).isNull();

    body(request);
    GatewayEvent hit = events.next();
    assertThat(hit.cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    // The bypassing call's answer replaced the first
    assertThat(hit.cache().tokensSaved()).isEqualTo(12);
  }

  @Test
  void theCacheControlHeaderNeverLeavesTheProcessWithoutACacheOrWithAnotherControlHeader()
      throws Exception {
    String request = chatRequest("gpt-4o", "Hi", "");
    OkHttpClient withoutCache =
        OkHttpAiGateway.wrap(new OkHttpClient(), AiGateway.builder().listener(events).build());
    OkHttpClient lazily =
        OkHttpAiGateway.wrapLazily(
            new OkHttpClient(), () -> AiGateway.builder().listener(events).build());
    OkHttpClient otherHeader =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .listener(events)
                .responseCache(ResponseCache.builder().controlHeader("x-my-cache-control"))
                .build());
    for (OkHttpClient each : List.of(withoutCache, lazily, otherHeader)) {
      server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
      Request call = post(url(), request, "x-ai-gateway-cache-control", "no-store");
      try (Response response = each.newCall(call).execute()) {
        assertThat(response.code()).isEqualTo(200);
        response.body().string();
      }
      assertThat(server.takeRequest().getHeaders().get("x-ai-gateway-cache-control")).isNull();
      assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
    }
  }

  @Test
  void cacheControlDirectivesOnSeparateHeaderLinesAllCount() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    server.enqueue(json(chatCompletion("gpt-4o", 6, 6)));
    String request = chatRequest("gpt-4o", "Hi", "");
    Request twoLines =
        post(url(), request)
            .newBuilder()
            .addHeader("x-ai-gateway-cache-control", "no-cache")
            .addHeader("x-ai-gateway-cache-control", "no-store")
            .build();
    try (Response response = client.newCall(twoLines).execute()) {
      assertThat(response.header("x-ai-gateway-cache")).isEqualTo("bypassed");
      response.body().string();
    }
    events.next();

    body(request); // no-store on its own line kept the first answer out of the cache

    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
  }

  @Test
  void noStoreTagKeepsTheAnswerOutOfTheCache() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    server.enqueue(json(chatCompletion("gpt-4o", 6, 6)));
    String request = chatRequest("gpt-4o", "Hi", "");
    Request tagged =
        post(url(), request).newBuilder().tag(CacheControl.class, CacheControl.NO_STORE).build();
    try (Response response = client.newCall(tagged).execute()) {
      response.body().string();
    }

    body(request);

    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void storeRuleDecidesWhichAnswersAreKept() throws Exception {
    client = clientWith(ResponseCache.builder().storeIf(ResponseCache.temperatureAtMost(0)));
    for (int i = 0; i < 3; i++) {
      server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    }
    String creative = chatRequest("gpt-4o", "Write a poem", "\"temperature\":0.9");
    String exact = chatRequest("gpt-4o", "Write a poem", "\"temperature\":0");

    body(creative);
    body(creative);
    body(exact);
    body(exact);

    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void aTemperatureRuleKeepsEmbeddingsWhichHaveNoTemperature() throws Exception {
    client = clientWith(ResponseCache.builder().storeIf(ResponseCache.temperatureAtMost(0)));
    String answer =
        "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
            + "\"embedding\":[0.1,0.2]}],\"model\":\"text-embedding-3-small\",\"usage\":"
            + "{\"prompt_tokens\":4,\"total_tokens\":4}}";
    server.enqueue(json(answer));
    server.enqueue(json(answer));
    String request = "{\"model\":\"text-embedding-3-small\",\"input\":\"hello world\"}";
    String embeddings = server.url("/v1/embeddings").toString();

    for (int i = 0; i < 2; i++) {
      try (Response response = client.newCall(post(embeddings, request)).execute()) {
        assertThat(response.body().string()).isEqualTo(answer);
      }
    }

    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void entriesExpireAfterTheirTimeToLive() throws Exception {
    client =
        clientWith(
            ResponseCache.builder()
                .store(
                    InMemoryResponseCacheStore.builder()
                        .timeToLive(Duration.ofMinutes(10))
                        .clock(clock)
                        .build()));
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    String request = chatRequest("gpt-4o", "Hi", "");

    body(request);
    clock.advance(Duration.ofMinutes(9));
    body(request);
    clock.advance(Duration.ofMinutes(2));
    body(request);

    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void answersLargerThanTheEntryBoundPassUncached() throws Exception {
    client = clientWith(ResponseCache.builder().maximumEntryBytes(100));
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    String request = chatRequest("gpt-4o", "Hi", "");

    body(request);
    body(request);

    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void embeddingsAreCachedToo() throws Exception {
    String answer =
        "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
            + "\"embedding\":[0.1,0.2]}],\"model\":\"text-embedding-3-small\",\"usage\":"
            + "{\"prompt_tokens\":4,\"total_tokens\":4}}";
    server.enqueue(json(answer));
    String request = "{\"model\":\"text-embedding-3-small\",\"input\":\"hello world\"}";
    String embeddings = server.url("/v1/embeddings").toString();

    try (Response first = client.newCall(post(embeddings, request)).execute()) {
      first.body().string();
    }
    try (Response second = client.newCall(post(embeddings, request)).execute()) {
      assertThat(second.body().string()).isEqualTo(answer);
    }

    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void responsesApiAnswersAreCachedInTheFormTheyCameIn() throws Exception {
    String answer =
        "{\"id\":\"resp_1\",\"object\":\"response\",\"model\":\"gpt-4.1\","
            + "\"output\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":7,"
            + "\"total_tokens\":12}}";
    String stream =
        "event: response.completed\ndata: {\"type\":\"response.completed\","
            + "\"response\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":7,"
            + "\"total_tokens\":12}}}\n\n";
    server.enqueue(json(answer));
    server.enqueue(sse(stream));
    String responses = server.url("/v1/responses").toString();
    String request = "{\"model\":\"gpt-4.1\",\"input\":\"Hi\"}";

    try (Response first = client.newCall(post(responses, request)).execute()) {
      first.body().string();
    }
    try (Response hit = client.newCall(post(responses, request)).execute()) {
      assertThat(hit.body().string()).isEqualTo(answer);
    }
    // The Responses API's stream form is not converted from JSON: a miss, sent on.
    try (Response streamed =
        client
            .newCall(post(responses, "{\"model\":\"gpt-4.1\",\"input\":\"Hi\",\"stream\":true}"))
            .execute()) {
      assertThat(streamed.header("x-ai-gateway-cache")).isEqualTo("miss");
      assertThat(streamed.body().string()).isEqualTo(stream);
    }

    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aQueuedBackgroundResponseIsNotStoredAndIsSettledWhenPolled() throws Exception {
    String queued =
        "{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1,\"status\":\"queued\","
            + "\"background\":true,\"model\":\"gpt-4.1\",\"output\":[],\"usage\":null}";
    String inProgress = queued.replace("resp_1", "resp_2").replace("queued", "in_progress");
    server.enqueue(json(queued));
    server.enqueue(json(inProgress));
    String responses = server.url("/v1/responses").toString();
    String request =
        "{\"model\":\"gpt-4.1\",\"input\":\"Hi\",\"background\":true,\"max_output_tokens\":300}";

    try (Response first = client.newCall(post(responses, request)).execute()) {
      assertThat(first.body().string()).isEqualTo(queued);
    }
    try (Response second = client.newCall(post(responses, request)).execute()) {
      assertThat(second.header("x-ai-gateway-cache")).isEqualTo("miss");
      assertThat(second.body().string()).isEqualTo(inProgress);
    }
    assertThat(server.getRequestCount()).isEqualTo(2);
    // The answers are still to be generated: their calls wait for a poll to report the usage.
    assertThat(events.none()).isTrue();
    for (String id : List.of("resp_1", "resp_2")) {
      server.enqueue(
          json(
              queued
                  .replace("resp_1", id)
                  .replace("queued", "completed")
                  .replace(
                      "null}", "{\"input_tokens\":5,\"output_tokens\":40,\"total_tokens\":45}}")));
      try (Response polled =
          client
              .newCall(new Request.Builder().url(server.url("/v1/responses/" + id)).build())
              .execute()) {
        assertThat(polled.body().string()).contains("completed");
      }
    }

    GatewayEvent firstEvent = events.next();
    GatewayEvent secondEvent = events.next();
    assertThat(firstEvent.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(firstEvent.cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(firstEvent.usage().tokens().outputTokens()).isEqualTo(40);
    assertThat(secondEvent.usage().tokens().outputTokens()).isEqualTo(40);
  }

  @Test
  void aResponsesCallInAConversationTheServerKeepsIsNeitherAnsweredFromNorStoredInTheCache()
      throws Exception {
    // A Responses API call naming a conversation is answered with that conversation's items as
    // they are now, and its turn is added to them: the same body a turn later asks something else,
    // and an answer from the cache would add nothing to the conversation.
    String first =
        "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\",\"model\":"
            + "\"gpt-4.1\",\"output\":[{\"type\":\"message\",\"role\":\"assistant\",\"content\":"
            + "[{\"type\":\"output_text\",\"text\":\"Step one.\"}]}],\"usage\":{\"input_tokens\":"
            + "5,\"output_tokens\":3,\"total_tokens\":8}}";
    String second = first.replace("resp_1", "resp_2").replace("Step one.", "Step two.");
    server.enqueue(json(first));
    server.enqueue(json(second));
    String responses = server.url("/v1/responses").toString();
    String request =
        "{\"model\":\"gpt-4.1\",\"conversation\":\"conv_689667905b048191b4740501625afd94\","
            + "\"input\":\"Go on.\"}";

    try (Response response = client.newCall(post(responses, request)).execute()) {
      assertThat(response.body().string()).isEqualTo(first);
    }
    try (Response response = client.newCall(post(responses, request)).execute()) {
      assertThat(response.body().string()).isEqualTo(second);
      assertThat(response.header("x-ai-gateway-cache")).isNull();
    }
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.NONE);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.NONE);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aFailedResponsesStreamIsNeverStored() throws Exception {
    String failed =
        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":"
            + "{\"id\":\"resp_1\",\"status\":\"in_progress\",\"model\":\"gpt-4.1\"}}\n\n"
            + "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":"
            + "{\"id\":\"resp_1\",\"status\":\"failed\",\"error\":{\"code\":"
            + "\"server_error\",\"message\":\"The model failed to generate a response.\"},"
            + "\"model\":\"gpt-4.1\",\"usage\":{\"input_tokens\":5,\"output_tokens\":0,"
            + "\"total_tokens\":5}}}\n\n";
    String completed =
        "event: response.completed\ndata: {\"type\":\"response.completed\","
            + "\"response\":{\"id\":\"resp_2\",\"status\":\"completed\",\"model\":"
            + "\"gpt-4.1\",\"usage\":{\"input_tokens\":5,\"output_tokens\":7,"
            + "\"total_tokens\":12}}}\n\n";
    server.enqueue(sse(failed));
    server.enqueue(sse(completed));
    String responses = server.url("/v1/responses").toString();
    String request = "{\"model\":\"gpt-4.1\",\"input\":\"Hi\",\"stream\":true}";

    try (Response first = client.newCall(post(responses, request)).execute()) {
      assertThat(first.body().string()).isEqualTo(failed);
    }
    GatewayEvent failure = events.next();
    try (Response second = client.newCall(post(responses, request)).execute()) {
      assertThat(second.header("x-ai-gateway-cache")).isEqualTo("miss");
      assertThat(second.body().string()).isEqualTo(completed);
    }

    assertThat(failure.outcome()).isNotEqualTo(CallOutcome.SUCCESS);
    assertThat(failure.usage().tokens().totalTokens()).isEqualTo(5);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aFailedResponsesDocumentThatReportsUsageIsNeverStored() throws Exception {
    // A Responses API response that failed is answered whole with its status, error and the
    // usage it was billed: no answer, though it reports usage.
    String failed =
        "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"failed\","
            + "\"error\":{\"code\":\"server_error\",\"message\":\"The model failed.\"},"
            + "\"model\":\"gpt-4.1\",\"output\":[],\"usage\":{\"input_tokens\":5,"
            + "\"output_tokens\":0,\"total_tokens\":5}}";
    String completed =
        "{\"id\":\"resp_2\",\"object\":\"response\",\"status\":\"completed\","
            + "\"error\":null,\"model\":\"gpt-4.1\",\"output\":[],\"usage\":"
            + "{\"input_tokens\":5,\"output_tokens\":7,\"total_tokens\":12}}";
    server.enqueue(json(failed));
    server.enqueue(json(completed));
    String responses = server.url("/v1/responses").toString();
    String request = "{\"model\":\"gpt-4.1\",\"input\":\"Hi\"}";

    try (Response first = client.newCall(post(responses, request)).execute()) {
      assertThat(first.body().string()).isEqualTo(failed);
    }
    GatewayEvent failure = events.next();
    try (Response second = client.newCall(post(responses, request)).execute()) {
      assertThat(second.header("x-ai-gateway-cache")).isEqualTo("miss");
      assertThat(second.body().string()).isEqualTo(completed);
    }

    // Charged what it reports, as any 200 whose body reports an error, and never stored.
    assertThat(failure.usage().tokens().totalTokens()).isEqualTo(5);
    assertThat(failure.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(failure.errorType()).isEqualTo("error-answer");
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void routedCallsAreAnsweredBeforeAnyBackendIsChosen() throws Exception {
    RecordingListener routedEvents = new RecordingListener();
    AiGateway gateway =
        AiGateway.builder()
            .backendPool(
                dev.aigateway.core.routing.BackendPool.builder()
                    .backend(
                        dev.aigateway.core.routing.Backend.openAiCompatible(
                                "only", server.url("/").toString())
                            .model("gpt-4o", "gpt-4o-2024-11-20"))
                    .build())
            .listener(routedEvents)
            .responseCache(ResponseCache.builder())
            .build();
    OkHttpClient routed = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    server.enqueue(json(chatCompletion("gpt-4o-2024-11-20", 5, 5)));
    Request request =
        post("https://llm.invalid/v1/chat/completions", chatRequest("gpt-4o", "Hi", ""));

    for (int i = 0; i < 2; i++) {
      try (Response response = routed.newCall(request).execute()) {
        assertThat(response.code()).isEqualTo(200);
        response.body().string();
      }
    }

    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(routedEvents.next().routing().backendId()).isEqualTo("only");
    GatewayEvent hit = routedEvents.next();
    assertThat(hit.cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(hit.routing().backendId()).isNull();
    assertThat(hit.routing().attempts()).isEmpty();
  }

  @Test
  void manyThreadsShareOneCachedAnswer() throws Exception {
    String answer = chatCompletion("gpt-4o", 12, 30);
    server.enqueue(json(answer));
    String request = chatRequest("gpt-4o", "Hi", "");
    body(request);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        results.add(pool.submit(() -> body(request)));
      }
      for (Future<String> result : results) {
        assertThat(result.get()).isEqualTo(answer);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(events.all).hasSize(401);
    assertThat(events.all.stream().filter(e -> e.cache().outcome() == CacheOutcome.EXACT_HIT))
        .hasSize(400);
  }

  /**
   * Asks {@code request} on {@code path} twice, the backend answering {@code mangled} first and
   * {@code whole} second, and returns what the second call got: a mangled answer, ended with its
   * end marker, must not be kept to be given again.
   */
  private byte[] askedAgainAfterAMangledStream(
      String path, String request, MockResponse mangled, MockResponse whole) throws Exception {
    server.enqueue(mangled);
    server.enqueue(whole);
    try (Response first = client.newCall(post(server.url(path).toString(), request)).execute()) {
      first.body().bytes();
    }
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
    byte[] second;
    try (Response again = client.newCall(post(server.url(path).toString(), request)).execute()) {
      second = again.body().bytes();
    }
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(server.getRequestCount()).isEqualTo(2);
    return second;
  }

  @Test
  void anAnthropicStreamWithAMangledEventIsNotStored() throws Exception {
    String whole =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
            + "\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n\n"
            + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
            + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
            + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
            + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello there\"}}\n\n"
            + "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
            + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
            + "{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":3}}\n\n"
            + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    // the delta's bytes mangled on the way (a stray line end cuts its JSON), the stream still
    // ending with message_stop
    String mangled = whole.replace("Hello there", "Hel\rlo there");
    String request =
        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}";

    assertThat(askedAgainAfterAMangledStream("/v1/messages", request, sse(mangled), sse(whole)))
        .isEqualTo(whole.getBytes(UTF_8));
  }

  @Test
  void aGeminiArrayStreamWithAMangledElementIsNotStored() throws Exception {
    String element =
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"}}],"
            + "\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":1,"
            + "\"totalTokenCount\":4},\"modelVersion\":\"gemini-2.0-flash\"}";
    String whole = "[" + element + ",\r\n" + element + "]";
    String mangled = "[" + element + ",\r\n" + element.replace("{\"parts\"", "{9pa") + "]";
    String request = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]}]}";

    assertThat(
            askedAgainAfterAMangledStream(
                "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
                request,
                json(mangled),
                json(whole)))
        .isEqualTo(whole.getBytes(UTF_8));
  }

  @Test
  void aGeminiDocumentWithBytesThatAreNotJsonIsNotStored() throws Exception {
    String whole =
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"}}],"
            + "\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":1,"
            + "\"totalTokenCount\":4},\"modelVersion\":\"gemini-2.0-flash\"}";
    // bytes that are not UTF-8 inside a count: the braces still match
    java.io.ByteArrayOutputStream mangled = new java.io.ByteArrayOutputStream();
    int at = whole.indexOf(":3,") + 2;
    mangled.writeBytes(whole.substring(0, at).getBytes(UTF_8));
    mangled.writeBytes(new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF});
    mangled.writeBytes(whole.substring(at).getBytes(UTF_8));
    String request = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]}]}";

    assertThat(
            askedAgainAfterAMangledStream(
                "/v1beta/models/gemini-2.0-flash:generateContent",
                request,
                new MockResponse.Builder()
                    .code(200)
                    .addHeader("Content-Type", "application/json")
                    .body(new okio.Buffer().write(mangled.toByteArray()))
                    .build(),
                json(whole)))
        .isEqualTo(whole.getBytes(UTF_8));
  }

  @Test
  void aBedrockStreamWithAFrameWhosePayloadIsNotJsonIsNotStored() throws Exception {
    java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream mangled = new java.io.ByteArrayOutputStream();
    String[][] frames = {
      {"messageStart", "{\"role\":\"assistant\"}"},
      {"contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Red.\"}}"},
      {"messageStop", "{\"stopReason\":\"end_turn\"}"},
      {"metadata", "{\"usage\":{\"inputTokens\":9,\"outputTokens\":2,\"totalTokens\":11}}"}
    };
    for (String[] frame : frames) {
      whole.writeBytes(
          dev.aigateway.core.wire.EventStreamMessage.event(frame[0], frame[1].getBytes(UTF_8))
              .encode());
      // the delta's payload mangled before it was framed: its checksums fit, its JSON does not
      String payload = frame[0].equals("contentBlockDelta") ? frame[1].substring(3) : frame[1];
      mangled.writeBytes(
          dev.aigateway.core.wire.EventStreamMessage.event(frame[0], payload.getBytes(UTF_8))
              .encode());
    }
    String request =
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Name a colour.\"}]}]}";

    byte[] second =
        askedAgainAfterAMangledStream(
            "/model/anthropic.claude-3-haiku-20240307-v1:0/converse-stream",
            request,
            eventStream(mangled.toByteArray()),
            eventStream(whole.toByteArray()));

    assertThat(second).isEqualTo(whole.toByteArray());
  }

  private static MockResponse eventStream(byte[] body) {
    return new MockResponse.Builder()
        .code(200)
        .addHeader("Content-Type", "application/vnd.amazon.eventstream")
        .body(new okio.Buffer().write(body))
        .build();
  }
}
