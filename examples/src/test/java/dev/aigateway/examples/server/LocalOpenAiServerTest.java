package dev.aigateway.examples.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LocalOpenAiServerTest {

  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Encoding O200K =
      Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
  private static final String CHAT =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]";
  // OpenAI's rule: 3 per message, the tokens of each value, 3 to prime the reply.
  private static final int CHAT_PROMPT_TOKENS =
      3 + O200K.countTokens("user") + O200K.countTokens("Say hello") + 3;

  private final OkHttpClient client = new OkHttpClient();
  private LocalOpenAiServer server;

  @BeforeEach
  void start() {
    server = LocalOpenAiServer.builder().start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  // ---- chat completions

  @Test
  void chatCompletionAnswersLikeOpenAiWithConsistentUsage() throws IOException {
    Reply reply = post("/v1/chat/completions", CHAT + "}");

    assertThat(reply.status).isEqualTo(200);
    assertThat(reply.contentType).startsWith("application/json");
    JsonNode body = reply.json();
    assertThat(body.get("id").asText()).startsWith("chatcmpl-");
    assertThat(body.get("object").asText()).isEqualTo("chat.completion");
    assertThat(body.get("created").asLong()).isPositive();
    assertThat(body.get("model").asText()).isEqualTo("gpt-4o-mini");
    JsonNode choice = body.get("choices").get(0);
    assertThat(choice.at("/message/role").asText()).isEqualTo("assistant");
    String content = choice.at("/message/content").asText();
    assertThat(content.split(" ")).hasSize(24);
    assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
    JsonNode usage = body.get("usage");
    assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(CHAT_PROMPT_TOKENS);
    assertThat(usage.get("completion_tokens").asInt()).isEqualTo(O200K.countTokens(content));
    assertThat(usage.get("total_tokens").asInt())
        .isEqualTo(CHAT_PROMPT_TOKENS + O200K.countTokens(content));
    assertThat(usage.at("/prompt_tokens_details/cached_tokens").isInt()).isTrue();
    assertThat(usage.at("/prompt_tokens_details/cached_tokens").asInt()).isZero();
    assertThat(usage.at("/completion_tokens_details/reasoning_tokens").asInt()).isZero();
  }

  @Test
  void equalPromptsGetEqualAnswersAndOtherPromptsOtherAnswers() throws IOException {
    String first =
        post("/v1/chat/completions", CHAT + "}").json().at("/choices/0/message/content").asText();
    String again =
        post("/v1/chat/completions", CHAT + "}").json().at("/choices/0/message/content").asText();
    String other =
        post(
                "/v1/chat/completions",
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Say goodbye\"}]}")
            .json()
            .at("/choices/0/message/content")
            .asText();

    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
  }

  @Test
  void maxTokensCutsTheAnswerToExactlyThatManyTokens() throws IOException {
    JsonNode body = post("/v1/chat/completions", CHAT + ",\"max_tokens\":5}").json();

    String content = body.at("/choices/0/message/content").asText();
    assertThat(O200K.countTokens(content)).isEqualTo(5);
    assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(5);
    assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("length");
  }

  @Test
  void chatStreamWithoutIncludeUsageCarriesNoUsageAndEndsWithDone() throws IOException {
    Reply reply = post("/v1/chat/completions", CHAT + ",\"stream\":true}");

    assertThat(reply.status).isEqualTo(200);
    assertThat(reply.contentType).startsWith("text/event-stream");
    assertThat(reply.body).doesNotContain("usage");
    List<String> data = reply.dataLines();
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    List<JsonNode> chunks = parse(data.subList(0, data.size() - 1));
    assertThat(chunks)
        .allSatisfy(
            chunk -> {
              assertThat(chunk.get("object").asText()).isEqualTo("chat.completion.chunk");
              assertThat(chunk.get("id").asText()).isEqualTo(chunks.get(0).get("id").asText());
            });
    assertThat(chunks.get(0).at("/choices/0/delta/role").asText()).isEqualTo("assistant");
    JsonNode last = chunks.get(chunks.size() - 1);
    assertThat(last.at("/choices/0/delta").size()).isZero();
    assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    assertThat(chunks.subList(0, chunks.size() - 1))
        .allSatisfy(chunk -> assertThat(chunk.at("/choices/0/finish_reason").isNull()).isTrue());
    String json =
        post("/v1/chat/completions", CHAT + "}").json().at("/choices/0/message/content").asText();
    assertThat(chatContent(chunks)).isEqualTo(json);
    assertThat(chunks).hasSizeGreaterThan(24); // a chunk per word, plus role and finish
  }

  @Test
  void chatStreamWithIncludeUsageEndsWithAUsageChunkLikeOpenAi() throws IOException {
    Reply reply =
        post(
            "/v1/chat/completions",
            CHAT + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");

    List<String> data = reply.dataLines();
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    List<String> chunks = data.subList(0, data.size() - 2);
    assertThat(chunks).allSatisfy(chunk -> assertThat(chunk).endsWith(",\"usage\":null}"));
    JsonNode usageChunk = JSON.readTree(data.get(data.size() - 2));
    assertThat(usageChunk.get("choices").isArray()).isTrue();
    assertThat(usageChunk.get("choices").size()).isZero();
    JsonNode usage = usageChunk.get("usage");
    String content = chatContent(parse(chunks));
    assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(CHAT_PROMPT_TOKENS);
    assertThat(usage.get("completion_tokens").asInt()).isEqualTo(O200K.countTokens(content));
    assertThat(usage.get("total_tokens").asInt())
        .isEqualTo(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt());
  }

  @Test
  void streamEventsArriveAsTheyAreGenerated() throws IOException {
    try (LocalOpenAiServer paced =
        LocalOpenAiServer.builder().completionWords(5).chunkDelay(Duration.ofMillis(300)).start()) {
      Request request =
          new Request.Builder()
              .url(paced.url("/v1/chat/completions"))
              .post(RequestBody.create(CHAT + ",\"stream\":true}", JSON_TYPE))
              .build();
      try (Response response = client.newCall(request).execute()) {
        BufferedSource source = response.body().source();
        String first = source.readUtf8Line();
        long firstEventAt = System.nanoTime();
        assertThat(first).startsWith("data: {");
        String rest = source.readUtf8();
        long endAt = System.nanoTime();

        // Four more pieces follow at 300 ms each: had the body been buffered, no time would pass.
        assertThat(Duration.ofNanos(endAt - firstEventAt)).isGreaterThan(Duration.ofMillis(900));
        assertThat(rest).endsWith("data: [DONE]\n\n");
      }
    }
  }

  @Test
  void reportUsageFalsePlaysABackendThatIgnoresStreamOptions() throws IOException {
    try (LocalOpenAiServer silent = LocalOpenAiServer.builder().reportUsage(false).start()) {
      Reply json = post(silent, "/v1/chat/completions", CHAT + "}");
      Reply stream =
          post(
              silent,
              "/v1/chat/completions",
              CHAT + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");

      assertThat(json.json().has("usage")).isFalse();
      assertThat(stream.body).doesNotContain("usage").endsWith("data: [DONE]\n\n");
    }
  }

  // ---- completions

  @Test
  void completionAnswersATextCompletion() throws IOException {
    JsonNode body =
        post(
                "/v1/completions",
                "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Once upon a time\"}")
            .json();

    assertThat(body.get("id").asText()).startsWith("cmpl-");
    assertThat(body.get("object").asText()).isEqualTo("text_completion");
    String text = body.at("/choices/0/text").asText();
    assertThat(text).isNotEmpty();
    assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    assertThat(body.at("/usage/prompt_tokens").asInt())
        .isEqualTo(O200K.countTokens("Once upon a time"));
    assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(O200K.countTokens(text));
    assertThat(body.at("/usage/total_tokens").asInt())
        .isEqualTo(O200K.countTokens("Once upon a time") + O200K.countTokens(text));
  }

  @Test
  void completionStreamSendsTextPiecesAndHonoursIncludeUsage() throws IOException {
    String request = "{\"model\":\"m\",\"prompt\":\"Once upon a time\",\"stream\":true";
    Reply plain = post("/v1/completions", request + "}");
    Reply withUsage =
        post("/v1/completions", request + ",\"stream_options\":{\"include_usage\":true}}");

    assertThat(plain.body).doesNotContain("usage");
    List<String> data = withUsage.dataLines();
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    List<String> chunks = data.subList(0, data.size() - 2);
    assertThat(chunks).allSatisfy(chunk -> assertThat(chunk).endsWith(",\"usage\":null}"));
    StringBuilder text = new StringBuilder();
    for (JsonNode chunk : parse(chunks)) {
      assertThat(chunk.get("object").asText()).isEqualTo("text_completion");
      text.append(chunk.at("/choices/0/text").asText());
    }
    JsonNode last = JSON.readTree(data.get(data.size() - 2));
    assertThat(last.get("choices").size()).isZero();
    assertThat(last.at("/usage/completion_tokens").asInt())
        .isEqualTo(O200K.countTokens(text.toString()));
    assertThat(last.at("/usage/total_tokens").asInt())
        .isEqualTo(
            last.at("/usage/prompt_tokens").asInt() + last.at("/usage/completion_tokens").asInt());
  }

  // ---- embeddings

  @Test
  void embeddingsAreDeterministicUnitVectorsOfTheConfiguredSize() throws IOException {
    String request = "{\"model\":\"text-embedding-3-small\",\"input\":[\"apple\",\"banana\"]}";
    JsonNode body = post("/v1/embeddings", request).json();
    JsonNode again = post("/v1/embeddings", request).json();

    assertThat(body.get("object").asText()).isEqualTo("list");
    assertThat(body.get("model").asText()).isEqualTo("text-embedding-3-small");
    JsonNode data = body.get("data");
    assertThat(data).hasSize(2);
    for (int i = 0; i < 2; i++) {
      assertThat(data.get(i).get("object").asText()).isEqualTo("embedding");
      assertThat(data.get(i).get("index").asInt()).isEqualTo(i);
      assertThat(data.get(i).get("embedding")).hasSize(8);
      assertThat(norm(data.get(i).get("embedding"))).isCloseTo(1.0, within());
    }
    assertThat(data.get(0).get("embedding")).isNotEqualTo(data.get(1).get("embedding"));
    assertThat(again.get("data")).isEqualTo(data);
    int tokens = O200K.countTokens("apple") + O200K.countTokens("banana");
    assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(tokens);
    assertThat(body.at("/usage/total_tokens").asInt()).isEqualTo(tokens);
  }

  @Test
  void embeddingsHonourDimensionsAndBase64Encoding() throws IOException {
    JsonNode floats =
        post("/v1/embeddings", "{\"model\":\"m\",\"input\":\"apple\",\"dimensions\":16}").json();
    JsonNode base64 =
        post(
                "/v1/embeddings",
                "{\"model\":\"m\",\"input\":\"apple\",\"dimensions\":16,\"encoding_format\":\"base64\"}")
            .json();

    JsonNode vector = floats.at("/data/0/embedding");
    assertThat(vector).hasSize(16);
    ByteBuffer bytes =
        ByteBuffer.wrap(Base64.getDecoder().decode(base64.at("/data/0/embedding").asText()))
            .order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 16; i++) {
      assertThat(bytes.getFloat()).isEqualTo(vector.get(i).floatValue());
    }
  }

  @Test
  void dimensionsNoEmbeddingModelGivesAreA400NamingTheParameter() throws IOException {
    // A vector of two billion floats would not fit the server's heap; an OpenAI model answers
    // more dimensions than it has with a 400, and so does this server, as it does for fewer than 1
    for (String dimensions : List.of("2000000000", "600000000", "3073", "0", "-5", "\"16\"")) {
      Reply reply =
          post(
              "/v1/embeddings",
              "{\"model\":\"m\",\"input\":\"apple\",\"dimensions\":" + dimensions + "}");

      assertThat(reply.status).as("dimensions " + dimensions).isEqualTo(400);
      JsonNode error = reply.json().get("error");
      assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
      assertThat(error.get("param").asText()).isEqualTo("dimensions");
      assertThat(error.get("message").asText()).contains("dimensions");
    }
    JsonNode largest =
        post("/v1/embeddings", "{\"model\":\"m\",\"input\":\"apple\",\"dimensions\":3072}").json();
    assertThat(largest.at("/data/0/embedding")).hasSize(3072);
  }

  // ---- responses

  @Test
  void responseAnswersWithOutputTextAndUsage() throws IOException {
    JsonNode body = post("/v1/responses", "{\"model\":\"gpt-4o\",\"input\":\"Say hello\"}").json();

    assertThat(body.get("id").asText()).startsWith("resp_");
    assertThat(body.get("object").asText()).isEqualTo("response");
    assertThat(body.get("status").asText()).isEqualTo("completed");
    JsonNode message = body.at("/output/0");
    assertThat(message.get("type").asText()).isEqualTo("message");
    assertThat(message.get("role").asText()).isEqualTo("assistant");
    assertThat(message.at("/content/0/type").asText()).isEqualTo("output_text");
    String text = message.at("/content/0/text").asText();
    JsonNode usage = body.get("usage");
    assertThat(usage.get("input_tokens").asInt()).isEqualTo(CHAT_PROMPT_TOKENS);
    assertThat(usage.get("output_tokens").asInt()).isEqualTo(O200K.countTokens(text));
    assertThat(usage.get("total_tokens").asInt())
        .isEqualTo(CHAT_PROMPT_TOKENS + O200K.countTokens(text));
    assertThat(usage.at("/input_tokens_details/cached_tokens").asInt()).isZero();
    assertThat(usage.at("/output_tokens_details/reasoning_tokens").asInt()).isZero();
  }

  @Test
  void responseStreamSendsTypedEventsEndingWithCompletedUsage() throws IOException {
    Reply reply =
        post("/v1/responses", "{\"model\":\"gpt-4o\",\"input\":\"Say hello\",\"stream\":true}");

    List<String> types = new ArrayList<>();
    List<JsonNode> events = new ArrayList<>();
    String[] lines = reply.body.split("\n");
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].startsWith("event: ")) {
        String type = lines[i].substring("event: ".length());
        JsonNode event = JSON.readTree(lines[i + 1].substring("data: ".length()));
        assertThat(event.get("type").asText()).isEqualTo(type);
        assertThat(event.get("sequence_number").asInt()).isEqualTo(events.size());
        types.add(type);
        events.add(event);
      }
    }
    assertThat(types.get(0)).isEqualTo("response.created");
    assertThat(types.get(types.size() - 1)).isEqualTo("response.completed");
    StringBuilder deltas = new StringBuilder();
    for (JsonNode event : events) {
      if (event.get("type").asText().equals("response.output_text.delta")) {
        deltas.append(event.get("delta").asText());
      }
    }
    JsonNode done = events.get(types.indexOf("response.output_text.done"));
    assertThat(done.get("text").asText()).isEqualTo(deltas.toString());
    JsonNode completed = events.get(events.size() - 1).get("response");
    assertThat(completed.get("status").asText()).isEqualTo("completed");
    assertThat(completed.at("/output/0/content/0/text").asText()).isEqualTo(deltas.toString());
    assertThat(completed.at("/usage/input_tokens").asInt()).isEqualTo(CHAT_PROMPT_TOKENS);
    assertThat(completed.at("/usage/output_tokens").asInt())
        .isEqualTo(O200K.countTokens(deltas.toString()));
    assertThat(completed.at("/usage/total_tokens").asInt())
        .isEqualTo(CHAT_PROMPT_TOKENS + O200K.countTokens(deltas.toString()));
  }

  @Test
  void responseCutByMaxOutputTokensIsIncomplete() throws IOException {
    JsonNode body =
        post(
                "/v1/responses",
                "{\"model\":\"gpt-4o\",\"input\":\"Say hello\",\"max_output_tokens\":3}")
            .json();

    assertThat(body.get("status").asText()).isEqualTo("incomplete");
    assertThat(body.at("/incomplete_details/reason").asText()).isEqualTo("max_output_tokens");
    assertThat(body.at("/usage/output_tokens").asInt()).isEqualTo(3);
  }

  // ---- Azure OpenAI paths

  @Test
  void azureDeploymentPathsAnswerWithTheDeploymentAsModel() throws IOException {
    JsonNode chat =
        post(
                "/openai/deployments/my-gpt-4o/chat/completions?api-version=2024-10-21",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}")
            .json();
    JsonNode embeddings =
        post(
                "/openai/deployments/my-embedder/embeddings?api-version=2024-10-21",
                "{\"input\":\"apple\"}")
            .json();

    assertThat(chat.get("object").asText()).isEqualTo("chat.completion");
    assertThat(chat.get("model").asText()).isEqualTo("my-gpt-4o");
    assertThat(chat.at("/usage/prompt_tokens").asInt()).isEqualTo(CHAT_PROMPT_TOKENS);
    assertThat(embeddings.get("model").asText()).isEqualTo("my-embedder");
    assertThat(embeddings.at("/data/0/embedding")).hasSize(8);
  }

  // ---- errors

  @Test
  void unknownPathIsA404InOpenAiErrorShape() throws IOException {
    Reply reply = post("/v1/nope", "{}");

    assertThat(reply.status).isEqualTo(404);
    JsonNode error = reply.json().get("error");
    assertThat(error.get("message").asText()).contains("/v1/nope");
    assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.get("param").isNull()).isTrue();
    assertThat(error.get("code").asText()).isEqualTo("not_found");
  }

  @Test
  void getOnAnEndpointIsA404() throws IOException {
    Request request = new Request.Builder().url(server.url("/v1/chat/completions")).build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(404);
      assertThat(JSON.readTree(response.body().string()).at("/error/code").asText())
          .isEqualTo("not_found");
    }
  }

  @Test
  void malformedJsonIsA400InOpenAiErrorShape() throws IOException {
    Reply reply = post("/v1/chat/completions", "{\"model\": \"gpt-4o\", \"messages\": [");

    assertThat(reply.status).isEqualTo(400);
    JsonNode error = reply.json().get("error");
    assertThat(error.get("message").asText()).contains("could not parse the JSON body");
    assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.has("param")).isTrue();
    assertThat(error.has("code")).isTrue();
  }

  @Test
  void missingMessagesIsA400NamingTheParameter() throws IOException {
    JsonNode error = post("/v1/chat/completions", "{\"model\":\"gpt-4o\"}").json().get("error");

    assertThat(error.get("param").asText()).isEqualTo("messages");
    assertThat(error.get("code").asText()).isEqualTo("missing_required_parameter");
  }

  // ---- scripted failures

  @Test
  void enqueuedFailuresAnswerTheNextRequestsThenNormalServiceResumes() throws IOException {
    server.enqueueFailure(429, Map.of("Retry-After", "1"), 2);
    server.enqueueFailure(503, Map.of(), 1);

    for (int i = 0; i < 2; i++) {
      Reply limited = post("/v1/chat/completions", CHAT + "}");
      assertThat(limited.status).isEqualTo(429);
      assertThat(limited.retryAfter).isEqualTo("1");
      assertThat(limited.json().at("/error/code").asText()).isEqualTo("rate_limit_exceeded");
    }
    Reply overloaded = post("/v1/chat/completions", CHAT + "}");
    assertThat(overloaded.status).isEqualTo(503);
    assertThat(overloaded.json().at("/error/type").asText()).isEqualTo("server_error");
    assertThat(post("/v1/chat/completions", CHAT + "}").status).isEqualTo(200);
    assertThat(server.requestCount()).isEqualTo(4);
  }

  @Test
  void enqueueFailureRejectsAStatusThatIsNoError() {
    assertThatThrownBy(() -> server.enqueueFailure(200, Map.of(), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("status must be 400 to 599 but was 200");
  }

  // ---- load and lifecycle

  @Test
  void fiftyConcurrentRequestsAllSucceed() throws Exception {
    try (LocalOpenAiServer paced =
        LocalOpenAiServer.builder()
            .chunkDelay(Duration.ofMillis(20))
            .responseDelay(Duration.ofSeconds(1))
            .start()) {
      ExecutorService callers = Executors.newFixedThreadPool(50);
      try {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          String body = CHAT + (i % 2 == 0 ? "}" : ",\"stream\":true}");
          replies.add(
              callers.submit(
                  () -> {
                    go.await();
                    return post(paced, "/v1/chat/completions", body);
                  }));
        }
        long start = System.nanoTime();
        go.countDown();
        for (Future<Reply> reply : replies) {
          Reply done = reply.get(30, TimeUnit.SECONDS);
          assertThat(done.status).isEqualTo(200);
          assertThat(done.body).contains("assistant");
        }
        // Each call takes over 1 s on the server; served one by one, 50 would take over 50 s, two
        // at a time over 25 s. The bound leaves room for a slow machine's first token count.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        assertThat(paced.requestCount()).isEqualTo(50);
      } finally {
        callers.shutdownNow();
      }
    }
  }

  @Test
  void closeStopsPromptlyEvenWhileAStreamIsOpen() throws Exception {
    LocalOpenAiServer slow =
        LocalOpenAiServer.builder().firstChunkDelay(Duration.ofSeconds(30)).start();
    Call call =
        client.newCall(
            new Request.Builder()
                .url(slow.url("/v1/chat/completions"))
                .post(RequestBody.create(CHAT + ",\"stream\":true}", JSON_TYPE))
                .build());
    Response response = call.execute(); // headers come at once, the first event in 30 s
    assertThat(response.code()).isEqualTo(200);

    long start = System.nanoTime();
    slow.close();

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThatThrownBy(() -> response.body().string()).isInstanceOf(IOException.class);
    response.close();
    assertThatThrownBy(() -> post(slow, "/v1/chat/completions", CHAT + "}"))
        .isInstanceOf(IOException.class);
  }

  @Test
  void builderNamesTheBadValue() {
    assertThatThrownBy(() -> LocalOpenAiServer.builder().completionWords(0))
        .hasMessage("completionWords must be at least 1 but was 0");
    assertThatThrownBy(() -> LocalOpenAiServer.builder().chunkDelay(Duration.ofMillis(-1)))
        .hasMessage("chunkDelay must not be negative but was PT-0.001S");
  }

  @Test
  void baseUrlIsLoopbackOnTheBoundPort() {
    assertThat(server.baseUrl()).isEqualTo("http://127.0.0.1:" + server.port());
    assertThat(server.port()).isPositive();
  }

  // ---- helpers

  private Reply post(String path, String json) throws IOException {
    return post(server, path, json);
  }

  private Reply post(LocalOpenAiServer target, String path, String json) throws IOException {
    Request request =
        new Request.Builder()
            .url(target.url(path))
            .post(RequestBody.create(json, JSON_TYPE))
            .build();
    try (Response response = client.newCall(request).execute()) {
      return new Reply(
          response.code(),
          response.header("Content-Type", ""),
          response.header("Retry-After"),
          response.body().string());
    }
  }

  private static List<JsonNode> parse(List<String> data) throws IOException {
    List<JsonNode> nodes = new ArrayList<>();
    for (String line : data) {
      nodes.add(JSON.readTree(line));
    }
    return nodes;
  }

  private static String chatContent(List<JsonNode> chunks) {
    StringBuilder content = new StringBuilder();
    for (JsonNode chunk : chunks) {
      content.append(chunk.at("/choices/0/delta/content").asText(""));
    }
    return content.toString();
  }

  private static double norm(JsonNode vector) {
    double squares = 0;
    for (JsonNode x : vector) {
      squares += x.doubleValue() * x.doubleValue();
    }
    return Math.sqrt(squares);
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-5);
  }

  private record Reply(int status, String contentType, String retryAfter, String body) {

    JsonNode json() throws IOException {
      return JSON.readTree(body);
    }

    /** The payloads of the {@code data:} lines of an event stream, in order. */
    List<String> dataLines() {
      List<String> data = new ArrayList<>();
      for (String line : body.split("\n")) {
        if (line.startsWith("data: ")) {
          data.add(line.substring("data: ".length()));
        }
      }
      return data;
    }
  }
}
