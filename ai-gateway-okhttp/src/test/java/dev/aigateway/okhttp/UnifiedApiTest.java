package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Credentials;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.aws.AwsCredentials;
import dev.aigateway.core.aws.AwsCredentialsProvider;
import dev.aigateway.core.aws.AwsSigV4;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.core.telemetry.Price;
import dev.aigateway.core.telemetry.PriceTable;
import dev.aigateway.core.wire.EventStreamMessage;
import dev.aigateway.testing.Closing;
import dev.aigateway.testing.ManualClock;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One API in front of many providers, end to end: an application speaking OpenAI chat completions
 * through a wrapped OkHttp client, a pool whose backends speak OpenAI, Anthropic Messages, Gemini
 * and Bedrock Converse (MockWebServer playing each with fixtures in the shapes the providers
 * document). The call fails over across providers, is translated there and back (JSON and streams,
 * chunks delivered as they arrive), is charged the usage the answering backend reported, once, and
 * is refused with an OpenAI-shaped 400 before any backend is called when it cannot be translated.
 */
class UnifiedApiTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  // The log scan (scripts/scan-logs.sh) fails the build if these values reach any log.
  private static final String APP_KEY = "sk-app-openai-SECRET-unified";
  private static final String ANTHROPIC_KEY = "sk-ant-backend-SECRET-unified";
  private static final String GEMINI_KEY = "gemini-backend-SECRET-unified";

  private static final String REQUEST =
      "{\"model\":\"gpt-4o\",\"messages\":["
          + "{\"role\":\"system\",\"content\":\"Answer briefly.\"},"
          + "{\"role\":\"user\",\"content\":\"Say hello.\"}],"
          + "\"max_tokens\":64,\"temperature\":0.5,\"stop\":[\"END\"]}";

  private static final String ANTHROPIC_ANSWER =
      "{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\",\"type\":\"message\",\"role\":\"assistant\","
          + "\"model\":\"claude-sonnet-4-5\",\"content\":[{\"type\":\"text\",\"text\":\"Hello!\"}],"
          + "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":21,"
          + "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":8,\"output_tokens\":5}}";

  private final List<MockWebServer> servers = new ArrayList<>();
  private final RecordingListener events = new RecordingListener();

  @AfterEach
  void tearDown() {
    Closing.inBackground(servers); // a server holding a late answer back would wait for it
  }

  private MockWebServer server() throws Exception {
    MockWebServer server = new MockWebServer();
    server.start();
    servers.add(server);
    return server;
  }

  private OkHttpClient client(BackendPool.Builder pool, AiGateway.Builder gateway) {
    return OkHttpAiGateway.wrap(
        new OkHttpClient(), gateway.backendPool(pool.build()).listener(events).build());
  }

  private static Request chat(MockWebServer app, String body) {
    return post(
        app.url("/v1/chat/completions").toString(), body, "Authorization", "Bearer " + APP_KEY);
  }

  private static MockResponse status(int code, String body) {
    return new MockResponse.Builder()
        .code(code)
        .addHeader("Content-Type", "application/json")
        .body(body)
        .build();
  }

  private static dev.aigateway.core.routing.Backend.Builder openAi(MockWebServer server) {
    return dev.aigateway.core.routing.Backend.openAi("openai", server.url("/").toString())
        .credential(Credentials.apiKey("sk-openai-backend-SECRET-unified"))
        .priority(1);
  }

  private static dev.aigateway.core.routing.Backend.Builder anthropic(MockWebServer server) {
    return dev.aigateway.core.routing.Backend.anthropic(
            "anthropic", server.url("/").toString().replaceAll("/$", ""))
        .model("gpt-4o", "claude-sonnet-4-5")
        .credential(Credentials.apiKey(ANTHROPIC_KEY))
        .priority(2);
  }

  /** Sends {@code request}, asserts the answer is a 400 and returns its {@code error} object. */
  private static JsonNode errorOf400(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(400);
      return MAPPER.readTree(response.body().string()).path("error");
    }
  }

  /**
   * Asserts that {@code backend} was not called and that the call ended in a REJECTED event for an
   * INVALID_REQUEST, which it returns.
   */
  private GatewayEvent refusedAsInvalidWithoutCalling(MockWebServer backend) throws Exception {
    assertThat(backend.getRequestCount()).isZero();
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(event.rejection()).isEqualTo(RejectionReason.INVALID_REQUEST);
    return event;
  }

  /** {@link #anthropic} with no model mapped and no priority: models pass as the app names them. */
  private static dev.aigateway.core.routing.Backend.Builder anthropicMappingNoModel(
      MockWebServer server) {
    return dev.aigateway.core.routing.Backend.anthropic(
            "anthropic", server.url("/").toString().replaceAll("/$", ""))
        .credential(Credentials.apiKey(ANTHROPIC_KEY));
  }

  private static JsonNode body(RecordedRequest request) throws Exception {
    return MAPPER.readTree(request.getBody().utf8());
  }

  @Test
  void aCallFailsOverFromOpenAiToAnthropicAndGetsAnOpenAiAnswerWithAnthropicsUsage()
      throws Exception {
    MockWebServer app = server();
    MockWebServer openai = server();
    MockWebServer claude = server();
    openai.enqueue(
        status(429, "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}"));
    claude.enqueue(json(ANTHROPIC_ANSWER));
    OkHttpClient client =
        client(
            BackendPool.builder().backend(openAi(openai)).backend(anthropic(claude)),
            AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    JsonNode answer;
    try (Response response = client.newCall(chat(app, REQUEST)).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.header("Content-Type")).startsWith("application/json");
      answer = MAPPER.readTree(response.body().string());
    }

    assertThat(answer.path("object").asText()).isEqualTo("chat.completion");
    assertThat(answer.path("model").asText()).isEqualTo("claude-sonnet-4-5");
    assertThat(answer.at("/choices/0/message/content").asText()).isEqualTo("Hello!");
    assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    assertThat(answer.at("/usage/prompt_tokens").asLong()).isEqualTo(29);
    assertThat(answer.at("/usage/completion_tokens").asLong()).isEqualTo(5);
    assertThat(answer.at("/usage/total_tokens").asLong()).isEqualTo(34);
    assertThat(answer.at("/usage/prompt_tokens_details/cached_tokens").asLong()).isEqualTo(8);

    openai.takeRequest();
    RecordedRequest sent = claude.takeRequest();
    assertThat(sent.getUrl().encodedPath()).isEqualTo("/v1/messages");
    assertThat(sent.getHeaders().get("x-api-key")).isEqualTo(ANTHROPIC_KEY);
    assertThat(sent.getHeaders().get("anthropic-version")).isEqualTo("2023-06-01");
    assertThat(sent.getHeaders().get("Authorization")).isNull(); // the app's OpenAI key stays home
    JsonNode translated = body(sent);
    assertThat(translated.path("model").asText()).isEqualTo("claude-sonnet-4-5");
    assertThat(translated.path("max_tokens").asLong()).isEqualTo(64);
    assertThat(translated.at("/system/0/text").asText()).isEqualTo("Answer briefly.");
    assertThat(translated.at("/messages/0/role").asText()).isEqualTo("user");
    assertThat(translated.at("/messages/0/content/0/text").asText()).isEqualTo("Say hello.");
    assertThat(translated.at("/stop_sequences/0").asText()).isEqualTo("END");
    assertThat(translated.path("temperature").asDouble()).isEqualTo(0.5);

    GatewayEvent event = events.next();
    assertThat(events.none()).isTrue();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.routing().backendId()).isEqualTo("anthropic");
    assertThat(event.routing().attempts()).hasSize(2);
    assertThat(event.routing().provider()).isEqualTo("anthropic");
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().tokens()).isEqualTo(new Usage(29, 5, 34, 8, 0));
    assertThat(event.limits().settledTokens()).isEqualTo(34);
  }

  private static String anthropicStream() {
    StringBuilder s = new StringBuilder();
    event(
        s,
        "message_start",
        "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_stream1\",\"type\":\"message\","
            + "\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5\","
            + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,"
            + "\"cache_creation_input_tokens\":4,\"cache_read_input_tokens\":0,"
            + "\"output_tokens\":1}}}");
    event(
        s,
        "content_block_start",
        "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
            + "\"text\":\"\"}}");
    event(s, "ping", "{\"type\": \"ping\"}");
    for (String piece : List.of("Hel", "lo", " there", ", how", " are", " you", "?")) {
      event(
          s,
          "content_block_delta",
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
              + "\"text\":\""
              + piece
              + "\"}}");
    }
    event(s, "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
    event(
        s,
        "message_delta",
        "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
            + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}");
    event(s, "message_stop", "{\"type\":\"message_stop\"}");
    return s.toString();
  }

  private static void event(StringBuilder s, String name, String data) {
    s.append("event: ").append(name).append('\n').append("data: ").append(data).append("\n\n");
  }

  /** Reads an OpenAI SSE body: each data line's payload, noting when the first one arrived. */
  /** The data lines of the test's chat request sent as a stream through {@code client}. */
  private static List<String> streamed(OkHttpClient client, MockWebServer app) throws Exception {
    String request = REQUEST.replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true");
    try (Response response = client.newCall(chat(app, request)).execute()) {
      return dataLines(response, new long[1]);
    }
  }

  private static List<String> dataLines(Response response, long[] firstAt) throws Exception {
    List<String> data = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(response.body().byteStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.startsWith("data: ")) {
          if (data.isEmpty()) {
            firstAt[0] = System.nanoTime();
          }
          data.add(line.substring(6));
        }
      }
    }
    return data;
  }

  private static String text(List<String> data) throws Exception {
    StringBuilder text = new StringBuilder();
    for (String d : data) {
      if (!d.equals("[DONE]")) {
        text.append(MAPPER.readTree(d).at("/choices/0/delta/content").asText(""));
      }
    }
    return text.toString();
  }

  @Test
  void aStreamFailsOverToAnthropicAndReachesTheAppChunkByChunkAsItArrives() throws Exception {
    MockWebServer app = server();
    MockWebServer openai = server();
    MockWebServer claude = server();
    openai.enqueue(status(503, "{\"error\":{\"message\":\"overloaded\",\"type\":\"server\"}}"));
    String stream = anthropicStream();
    // About 1.6 s for the whole stream: 100 bytes every 100 ms.
    claude.enqueue(
        Backend.sseBuilder(stream).throttleBody(100, 100, TimeUnit.MILLISECONDS).build());
    OkHttpClient client =
        client(
            BackendPool.builder().backend(openAi(openai)).backend(anthropic(claude)),
            AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));
    String request = REQUEST.replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true");

    long[] firstAt = new long[1];
    List<String> data;
    long endedAt;
    try (Response response = client.newCall(chat(app, request)).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.header("Content-Type")).startsWith("text/event-stream");
      data = dataLines(response, firstAt);
      endedAt = System.nanoTime();
    }

    // The first chunk came while most of the backend's stream was still on its way.
    assertThat(TimeUnit.NANOSECONDS.toMillis(endedAt - firstAt[0])).isGreaterThan(700);
    assertThat(text(data)).isEqualTo("Hello there, how are you?");
    JsonNode first = MAPPER.readTree(data.get(0));
    assertThat(first.path("object").asText()).isEqualTo("chat.completion.chunk");
    assertThat(first.path("id").asText()).isEqualTo("msg_stream1");
    assertThat(first.at("/choices/0/delta/role").asText()).isEqualTo("assistant");
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    JsonNode last = MAPPER.readTree(data.get(data.size() - 2));
    assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    // The app did not ask for usage, so it gets none, as from OpenAI; the gateway still counts it.
    assertThat(data).noneMatch(d -> d.contains("\"usage\""));
    assertThat(body(claude.takeRequest()).path("stream").asBoolean()).isTrue();

    GatewayEvent event = events.next();
    assertThat(events.none()).isTrue();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.routing().backendId()).isEqualTo("anthropic");
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    // Anthropic's 4 cache_creation_input_tokens are input, counted apart as cache writes.
    assertThat(event.usage().tokens()).isEqualTo(new Usage(29, 15, 44, 0, 0, 4, 0, 0, 0));
    assertThat(event.limits().settledTokens()).isEqualTo(44);
  }

  @Test
  void aStreamToAnAnthropicBackendPinnedToItsVersionIsStillChargedAnthropicsUsage()
      throws Exception {
    MockWebServer app = server();
    MockWebServer openai = server();
    MockWebServer claude = server();
    openai.enqueue(status(503, "{\"error\":{\"message\":\"overloaded\",\"type\":\"server\"}}"));
    claude.enqueue(Backend.sse(anthropicStream()));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi(openai))
                .backend(
                    dev.aigateway.core.routing.Backend.anthropic(
                            "anthropic",
                            claude.url("/").toString().replaceAll("/$", ""),
                            "2023-06-01")
                        .model("gpt-4o", "claude-sonnet-4-5")
                        .credential(Credentials.apiKey(ANTHROPIC_KEY))
                        .priority(2)),
            AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    List<String> data = streamed(client, app);

    assertThat(text(data)).isEqualTo("Hello there, how are you?");
    assertThat(data).noneMatch(d -> d.contains("\"usage\""));
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().tokens()).isEqualTo(new Usage(29, 15, 44, 0, 0, 4, 0, 0, 0));
    // The OpenAI backend was asked for usage too: an Anthropic version is no Azure api-version.
    assertThat(body(openai.takeRequest()).at("/stream_options/include_usage").asBoolean()).isTrue();
    assertThat(claude.takeRequest().getHeaders().get("anthropic-version")).isEqualTo("2023-06-01");
  }

  @Test
  void aStreamThatAsksForUsageGetsAnOpenAiUsageChunkBeforeDone() throws Exception {
    MockWebServer app = server();
    MockWebServer claude = server();
    claude.enqueue(Backend.sse(anthropicStream()));
    OkHttpClient client =
        client(BackendPool.builder().backend(anthropic(claude)), AiGateway.builder());
    String request =
        REQUEST.replace(
            "\"max_tokens\":64",
            "\"max_tokens\":64,\"stream\":true,\"stream_options\":{\"include_usage\":true}");

    List<String> data;
    try (Response response = client.newCall(chat(app, request)).execute()) {
      data = dataLines(response, new long[1]);
    }

    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    JsonNode usage = MAPPER.readTree(data.get(data.size() - 2));
    assertThat(usage.path("choices")).isEmpty();
    assertThat(usage.at("/usage/prompt_tokens").asLong()).isEqualTo(29);
    assertThat(usage.at("/usage/completion_tokens").asLong()).isEqualTo(15);
    assertThat(events.next().usage().tokens().totalTokens()).isEqualTo(44);
  }

  @Test
  void aTranslatedStreamCutAfterMessageStartIsChargedTheInputAnthropicReported() throws Exception {
    MockWebServer app = server();
    MockWebServer claude = server();
    String whole = anthropicStream();
    // Cut after the text, before message_delta: message_start reported the input exactly.
    claude.enqueue(Backend.sse(whole.substring(0, whole.indexOf("event: message_delta"))));
    OkHttpClient client =
        client(BackendPool.builder().backend(anthropic(claude)), AiGateway.builder());

    List<String> data = streamed(client, app);

    assertThat(text(data)).isEqualTo("Hello there, how are you?");
    assertThat(data).doesNotContain("[DONE]");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    // As for Anthropic's own API: the input as message_start reported it (cache writes included),
    // the output estimated from the text that came.
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(29);
    assertThat(event.usage().tokens().cacheWriteInputTokens()).isEqualTo(4);
    assertThat(event.usage().tokens().outputTokens()).isPositive();
  }

  @Test
  void aTranslatedStreamCutAfterMessageDeltaIsChargedTheUsageAnthropicReported() throws Exception {
    MockWebServer app = server();
    MockWebServer claude = server();
    String whole = anthropicStream();
    // Cut before message_stop: message_delta reported the final counts.
    claude.enqueue(Backend.sse(whole.substring(0, whole.indexOf("event: message_stop"))));
    OkHttpClient client =
        client(BackendPool.builder().backend(anthropic(claude)), AiGateway.builder());
    String request = REQUEST.replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true");

    try (Response response = client.newCall(chat(app, request)).execute()) {
      assertThat(dataLines(response, new long[1])).doesNotContain("[DONE]");
    }

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().tokens()).isEqualTo(new Usage(29, 15, 44, 0, 0, 4, 0, 0, 0));
  }

  @Test
  void aTranslatedStreamOverloadedRightAfterMessageStartIsChargedTheInputAnthropicReported()
      throws Exception {
    MockWebServer app = server();
    MockWebServer claude = server();
    String whole = anthropicStream();
    StringBuilder stream =
        new StringBuilder(whole.substring(0, whole.indexOf("event: content_block_start")));
    event(
        stream,
        "error",
        "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
            + "\"Overloaded\"}}");
    claude.enqueue(Backend.sse(stream.toString()));
    OkHttpClient client =
        client(BackendPool.builder().backend(anthropic(claude)), AiGateway.builder());

    List<String> data = streamed(client, app);

    assertThat(data.get(data.size() - 1)).contains("\"code\":\"overloaded_error\"");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(29);
  }

  @Test
  void aTranslatedStreamWithoutMessageDeltaIsChargedItsTextNotMessageStartsOutputCount()
      throws Exception {
    MockWebServer app = server();
    MockWebServer claude = server();
    String whole = anthropicStream();
    // A server that ends the message without message_delta: message_start's output count (1) is
    // a running count, not the answer's, so the output is estimated, as on Anthropic's own API.
    String stream =
        whole.substring(0, whole.indexOf("event: message_delta"))
            + whole.substring(whole.indexOf("event: message_stop"));
    claude.enqueue(Backend.sse(stream));
    OkHttpClient client =
        client(BackendPool.builder().backend(anthropic(claude)), AiGateway.builder());

    List<String> data = streamed(client, app);

    assertThat(text(data)).isEqualTo("Hello there, how are you?");
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(29);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(event.usage().tokens().outputTokens()).isGreaterThan(1);
  }

  @Test
  void aRequestAnthropicCannotTakeIsRefusedBeforeAnyBackendIsCalled() throws Exception {
    MockWebServer app = server();
    MockWebServer claude = server();
    OkHttpClient client =
        client(
            BackendPool.builder().backend(anthropic(claude)),
            AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    JsonNode error = errorOf400(client, chat(app, REQUEST.replace("\"max_tokens\":64", "\"n\":3")));

    assertThat(error.path("param").asText()).isEqualTo("n");
    assertThat(error.path("code").asText()).isEqualTo("unsupported_parameter");
    assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.path("message").asText()).contains("'n' must be 1").contains("Anthropic");
    GatewayEvent event = refusedAsInvalidWithoutCalling(claude);
    assertThat(event.limits().reservedTokens()).isZero();
  }

  @Test
  void toolCallsThatAreNotAnArrayAreRefusedWithA400AndAnEvent() throws Exception {
    MockWebServer app = server();
    MockWebServer claude = server();
    OkHttpClient client =
        client(
            BackendPool.builder().backend(anthropic(claude)),
            AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));
    String malformed =
        "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
            + "{\"role\":\"assistant\",\"tool_calls\":{\"0\":{\"id\":\"call_1\",\"type\":"
            + "\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{}\"}}}},"
            + "{\"role\":\"user\",\"content\":\"And now?\"}]}";

    JsonNode error = errorOf400(client, chat(app, malformed));

    assertThat(error.path("param").asText()).isEqualTo("messages[1].tool_calls");
    assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    refusedAsInvalidWithoutCalling(claude);
  }

  @Test
  void aCallThatNamesNoModelIsRefusedForABackendThatTranslatesItWithA400() throws Exception {
    MockWebServer app = server();
    MockWebServer claude = server();
    OkHttpClient client =
        client(BackendPool.builder().backend(anthropicMappingNoModel(claude)), AiGateway.builder());

    JsonNode error = errorOf400(client, chat(app, REQUEST.replace("\"model\":\"gpt-4o\",", "")));

    assertThat(error.path("param").asText()).isEqualTo("model");
    assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    refusedAsInvalidWithoutCalling(claude);
  }

  @Test
  void aRequestOnlyOpenAiCanTakeGoesToOpenAiAndNeverToAnthropic() throws Exception {
    MockWebServer app = server();
    MockWebServer openai = server();
    MockWebServer claude = server();
    for (int i = 0; i < 5; i++) {
      openai.enqueue(
          status(429, "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}"));
    }
    OkHttpClient client =
        client(
            BackendPool.builder().backend(openAi(openai)).backend(anthropic(claude)),
            AiGateway.builder());

    try (Response response =
        client
            .newCall(chat(app, REQUEST.replace("\"max_tokens\":64", "\"logprobs\":true")))
            .execute()) {
      // No failover to a backend that cannot give log probabilities: OpenAI's own 429 is the
      // answer.
      assertThat(response.code()).isEqualTo(429);
    }
    assertThat(claude.getRequestCount()).isZero();
  }

  @Test
  void aResponsesApiCallNeverFailsOverToAnAnthropicBackend() throws Exception {
    MockWebServer app = server();
    MockWebServer openai = server();
    MockWebServer claude = server();
    for (int i = 0; i < 5; i++) {
      openai.enqueue(
          status(429, "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}"));
    }
    OkHttpClient client =
        client(
            BackendPool.builder().backend(openAi(openai)).backend(anthropic(claude)),
            AiGateway.builder());

    try (Response response =
        client
            .newCall(
                post(
                    app.url("/v1/responses").toString(),
                    "{\"model\":\"gpt-4o\",\"input\":\"Say hello.\",\"max_output_tokens\":64}",
                    "Authorization",
                    "Bearer " + APP_KEY))
            .execute()) {
      // Anthropic has no Responses API and the gateway does not translate it: OpenAI's own 429 is
      // the answer, not a 404 from a backend that never understood the call.
      assertThat(response.code()).isEqualTo(429);
    }
    assertThat(claude.getRequestCount()).isZero();
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
  }

  @Test
  void anAnthropicMessagesCallGoesToTheAnthropicBackendNeverToOpenAi() throws Exception {
    MockWebServer app = server();
    MockWebServer openai = server();
    MockWebServer claude = server();
    claude.enqueue(json(ANTHROPIC_ANSWER));
    openai.enqueue(status(404, "{\"error\":{\"message\":\"Invalid URL (POST /v1/messages)\"}}"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(openAi(openai))
                .backend(anthropicMappingNoModel(claude).priority(2)),
            AiGateway.builder());

    try (Response response =
        client
            .newCall(
                post(
                    app.url("/v1/messages").toString(),
                    "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"messages\":"
                        + "[{\"role\":\"user\",\"content\":\"Say hello.\"}]}",
                    "x-api-key",
                    "sk-ant-app-SECRET-unified",
                    "anthropic-version",
                    "2023-06-01"))
            .execute()) {
      // The OpenAI backend comes first but does not speak Anthropic Messages.
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.body().string()).isEqualTo(ANTHROPIC_ANSWER);
    }
    assertThat(openai.getRequestCount()).isZero();
    assertThat(claude.takeRequest().getUrl().encodedPath()).isEqualTo("/v1/messages");
  }

  @Test
  void anEmbeddingsCallNoBackendOfThePoolServesIsRefusedBeforeAnyBackendIsCalled()
      throws Exception {
    MockWebServer app = server();
    MockWebServer claude = server();
    OkHttpClient client =
        client(
            BackendPool.builder().backend(anthropicMappingNoModel(claude)),
            AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    JsonNode error =
        errorOf400(
            client,
            post(
                app.url("/v1/embeddings").toString(),
                "{\"model\":\"text-embedding-3-small\",\"input\":\"hello\"}",
                "Authorization",
                "Bearer " + APP_KEY));

    assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.path("code").asText()).isEqualTo("unsupported_operation");
    assertThat(error.path("message").asText())
        .contains("embeddings")
        .contains("text-embedding-3-small")
        .contains("Anthropic");
    GatewayEvent event = refusedAsInvalidWithoutCalling(claude);
    assertThat(event.limits().reservedTokens()).isZero();
  }

  @Test
  void anEmbeddingsCallStillGoesToGeminisOpenAiCompatibleEndpoint() throws Exception {
    MockWebServer app = server();
    MockWebServer google = server();
    google.enqueue(
        json(
            "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                + "\"embedding\":[0.1,0.2]}],\"model\":\"gemini-embedding-001\","
                + "\"usage\":{\"prompt_tokens\":2,\"total_tokens\":2}}"));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(
                    dev.aigateway.core.routing.Backend.gemini(
                            "gemini", google.url("/").toString().replaceAll("/$", ""))
                        .credential(Credentials.apiKey(GEMINI_KEY))),
            AiGateway.builder());

    try (Response response =
        client
            .newCall(
                post(
                    app.url("/v1/embeddings").toString(),
                    "{\"model\":\"gemini-embedding-001\",\"input\":\"hello\"}",
                    "Authorization",
                    "Bearer " + APP_KEY))
            .execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    assertThat(google.takeRequest().getUrl().encodedPath()).isEqualTo("/v1beta/openai/embeddings");
  }

  @Test
  void anOverloadedAnthropicFailsOverToOpenAiAndItsErrorIsOpenAiShapedWhenLast() throws Exception {
    MockWebServer app = server();
    MockWebServer openai = server();
    MockWebServer claude = server();
    String overloaded =
        "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";
    for (int i = 0; i < 6; i++) {
      claude.enqueue(status(529, overloaded)); // the lone backend is retried before giving up
    }
    openai.enqueue(json(chatCompletion("gpt-4o", 7, 3)));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(anthropic(claude).priority(1))
                .backend(openAi(openai).priority(2)),
            AiGateway.builder());

    try (Response response = client.newCall(chat(app, REQUEST)).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(MAPPER.readTree(response.body().string()).at("/usage/total_tokens").asLong())
          .isEqualTo(10);
    }
    assertThat(events.next().routing().backendId()).isEqualTo("openai");

    OkHttpClient alone =
        client(BackendPool.builder().backend(anthropic(claude)), AiGateway.builder());
    try (Response response = alone.newCall(chat(app, REQUEST)).execute()) {
      assertThat(response.code()).isEqualTo(529);
      JsonNode error = MAPPER.readTree(response.body().string()).path("error");
      assertThat(error.path("message").asText()).isEqualTo("Overloaded");
      assertThat(error.path("code").asText()).isEqualTo("overloaded_error");
      assertThat(error.path("type").asText()).isEqualTo("server_error");
    }
  }

  @Test
  void aTranslatedAnswerIsCachedAsTheOpenAiAnswerTheAppSaw() throws Exception {
    MockWebServer app = server();
    MockWebServer claude = server();
    claude.enqueue(json(ANTHROPIC_ANSWER));
    OkHttpClient client =
        client(
            BackendPool.builder().backend(anthropic(claude)),
            AiGateway.builder().responseCache(ResponseCache.builder()));

    String first;
    try (Response response = client.newCall(chat(app, REQUEST)).execute()) {
      first = response.body().string();
    }
    events.next();
    String second;
    try (Response response = client.newCall(chat(app, REQUEST)).execute()) {
      second = response.body().string();
    }

    assertThat(claude.getRequestCount()).isEqualTo(1);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(MAPPER.readTree(second).at("/choices/0/message/content").asText())
        .isEqualTo("Hello!");
    assertThat(MAPPER.readTree(second).path("object").asText()).isEqualTo("chat.completion");
    assertThat(MAPPER.readTree(first).path("id")).isEqualTo(MAPPER.readTree(second).path("id"));
  }

  /**
   * An application that asks for a compressed answer itself ({@code Accept-Encoding: gzip}, which
   * turns OkHttp's transparent decompression off) still gets the translated answer: the translation
   * reads the backend's JSON, so a translated attempt leaves the encoding to OkHttp, which asks for
   * gzip and inflates it before the answer is translated.
   */
  @Test
  void aTranslatedAnswerIsReadWhenTheAppAsksForGzipItself() throws Exception {
    MockWebServer app = server();
    MockWebServer claude = server();
    Buffer gzipped = new Buffer();
    try (okio.BufferedSink gzip = okio.Okio.buffer(new okio.GzipSink(gzipped))) {
      gzip.writeUtf8(ANTHROPIC_ANSWER);
    }
    // Anthropic compresses when asked to, as its API does
    claude.enqueue(
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/json")
            .addHeader("Content-Encoding", "gzip")
            .body(gzipped)
            .build());
    OkHttpClient client =
        client(BackendPool.builder().backend(anthropic(claude)), AiGateway.builder());

    JsonNode answer;
    Request request = chat(app, REQUEST).newBuilder().header("Accept-Encoding", "gzip").build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.header("Content-Encoding")).isNull();
      answer = MAPPER.readTree(response.body().string());
    }

    assertThat(claude.takeRequest().getHeaders().get("Accept-Encoding")).isEqualTo("gzip");
    assertThat(answer.at("/choices/0/message/content").asText()).isEqualTo("Hello!");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().tokens()).isEqualTo(new Usage(29, 5, 34, 8, 0));
  }

  private static dev.aigateway.core.routing.Backend.Builder gemini(MockWebServer server) {
    return dev.aigateway.core.routing.Backend.gemini(
            "gemini", server.url("/").toString().replaceAll("/$", ""))
        .model("gpt-4o", "gemini-2.5-flash")
        .credential(Credentials.apiKey(GEMINI_KEY));
  }

  @Test
  void geminiAnswersAnOpenAiCallWithAToolCallInJson() throws Exception {
    MockWebServer app = server();
    MockWebServer google = server();
    google.enqueue(
        json(
            "{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"get_weather\","
                + "\"args\":{\"city\":\"Paris\"}}}],\"role\":\"model\"},\"finishReason\":\"STOP\","
                + "\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":40,"
                + "\"candidatesTokenCount\":9,\"totalTokenCount\":49},"
                + "\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"resp-g1\"}"));
    OkHttpClient client =
        client(
            BackendPool.builder().backend(gemini(google)),
            AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));
    String request =
        "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in"
            + " Paris?\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"description\":\"Current weather\",\"parameters\":{\"type\":\"object\","
            + "\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}],"
            + "\"tool_choice\":\"required\",\"max_completion_tokens\":100}";

    JsonNode answer;
    try (Response response = client.newCall(chat(app, request)).execute()) {
      assertThat(response.code()).isEqualTo(200);
      answer = MAPPER.readTree(response.body().string());
    }

    JsonNode call = answer.at("/choices/0/message/tool_calls/0");
    assertThat(call.path("type").asText()).isEqualTo("function");
    assertThat(call.at("/function/name").asText()).isEqualTo("get_weather");
    assertThat(MAPPER.readTree(call.at("/function/arguments").asText()).path("city").asText())
        .isEqualTo("Paris");
    assertThat(call.path("id").asText()).startsWith("call_");
    assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    assertThat(answer.at("/choices/0/message/content").isNull()).isTrue();

    RecordedRequest sent = google.takeRequest();
    assertThat(sent.getUrl().encodedPath())
        .isEqualTo("/v1beta/models/gemini-2.5-flash:generateContent");
    assertThat(sent.getHeaders().get("x-goog-api-key")).isEqualTo(GEMINI_KEY);
    assertThat(sent.getHeaders().get("Authorization")).isNull();
    JsonNode translated = body(sent);
    assertThat(translated.at("/contents/0/parts/0/text").asText()).isEqualTo("Weather in Paris?");
    assertThat(translated.at("/tools/0/functionDeclarations/0/name").asText())
        .isEqualTo("get_weather");
    assertThat(translated.at("/toolConfig/functionCallingConfig/mode").asText()).isEqualTo("ANY");
    assertThat(translated.at("/generationConfig/maxOutputTokens").asLong()).isEqualTo(100);

    GatewayEvent event = events.next();
    assertThat(event.usage().tokens()).isEqualTo(new Usage(40, 9, 49, 0, 0));
    assertThat(event.limits().settledTokens()).isEqualTo(49);
  }

  @Test
  void geminiStreamsAnOpenAiStreamWithUsageWhenAskedFor() throws Exception {
    MockWebServer app = server();
    MockWebServer google = server();
    StringBuilder sse = new StringBuilder();
    String[] pieces = {"The sky", " is", " blue."};
    for (int i = 0; i < pieces.length; i++) {
      boolean last = i == pieces.length - 1;
      sse.append("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"")
          .append(pieces[i])
          .append("\"}],\"role\":\"model\"}")
          .append(last ? ",\"finishReason\":\"STOP\"" : "")
          .append(",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":12,")
          .append("\"candidatesTokenCount\":")
          .append(2 * (i + 1))
          .append(",\"thoughtsTokenCount\":3,\"totalTokenCount\":")
          .append(12 + 2 * (i + 1) + 3)
          .append("},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"resp-s1\"}\r\n\r\n");
    }
    google.enqueue(Backend.sse(sse.toString()));
    OkHttpClient client =
        client(
            BackendPool.builder().backend(gemini(google)),
            AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));
    String request =
        REQUEST.replace(
            "\"max_tokens\":64",
            "\"max_tokens\":64,\"stream\":true,\"stream_options\":{\"include_usage\":true}");

    List<String> data;
    try (Response response = client.newCall(chat(app, request)).execute()) {
      assertThat(response.header("Content-Type")).startsWith("text/event-stream");
      data = dataLines(response, new long[1]);
    }

    assertThat(text(data)).isEqualTo("The sky is blue.");
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    JsonNode usage = MAPPER.readTree(data.get(data.size() - 2)).path("usage");
    assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(12);
    assertThat(usage.path("completion_tokens").asLong()).isEqualTo(9);
    assertThat(usage.at("/completion_tokens_details/reasoning_tokens").asLong()).isEqualTo(3);
    RecordedRequest sent = google.takeRequest();
    assertThat(sent.getUrl().encodedPath())
        .isEqualTo("/v1beta/models/gemini-2.5-flash:streamGenerateContent");
    assertThat(sent.getUrl().queryParameter("alt")).isEqualTo("sse");
    assertThat(body(sent).at("/systemInstruction/parts/0/text").asText())
        .isEqualTo("Answer briefly.");

    GatewayEvent event = events.next();
    assertThat(event.usage().tokens()).isEqualTo(new Usage(12, 9, 21, 0, 3));
    assertThat(event.limits().settledTokens()).isEqualTo(21);
  }

  @Test
  void aTranslatedGeminiStreamCutBeforeItsLastResponseIsChargedTheTotalsGeminiReportedSoFar()
      throws Exception {
    MockWebServer app = server();
    MockWebServer google = server();
    StringBuilder sse = new StringBuilder();
    String[] pieces = {"The sky", " is"};
    for (int i = 0; i < pieces.length; i++) {
      // no response carries a finishReason: the stream is cut before its last one
      sse.append("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"")
          .append(pieces[i])
          .append("\"}],\"role\":\"model\"},\"index\":0}],\"usageMetadata\":{")
          .append("\"promptTokenCount\":12,\"candidatesTokenCount\":")
          .append(2 * (i + 1))
          .append(",\"thoughtsTokenCount\":3,\"totalTokenCount\":")
          .append(12 + 2 * (i + 1) + 3)
          .append("},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"resp-c1\"}\r\n\r\n");
    }
    google.enqueue(Backend.sse(sse.toString()));
    OkHttpClient client =
        client(
            BackendPool.builder().backend(gemini(google)),
            AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    List<String> data = streamed(client, app);

    assertThat(text(data)).isEqualTo("The sky is");
    assertThat(data).doesNotContain("[DONE]");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().tokens()).isEqualTo(new Usage(12, 7, 19, 0, 3));
    assertThat(event.limits().settledTokens()).isEqualTo(19);
  }

  @Test
  void aGeminiErrorDocumentAnsweredWith200IsAnOpenAiErrorNeverAnEmptyCompletion() throws Exception {
    // A 200 whose JSON body is Google's error (as a proxy in front of Gemini may answer): the
    // application gets the error in OpenAI's shape, the call is an error answer, never stored.
    MockWebServer app = server();
    MockWebServer google = server();
    String overloaded =
        "{\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again"
            + " later.\",\"status\":\"UNAVAILABLE\"}}";
    google.enqueue(json(overloaded));
    google.enqueue(json(overloaded));
    OkHttpClient client =
        client(
            BackendPool.builder().backend(gemini(google)),
            AiGateway.builder().responseCache(ResponseCache.builder()));

    for (int i = 0; i < 2; i++) {
      JsonNode answer;
      try (Response response = client.newCall(chat(app, REQUEST)).execute()) {
        answer = MAPPER.readTree(response.body().string());
      }
      assertThat(answer.has("choices")).as("no completion: %s", answer).isFalse();
      assertThat(answer.at("/error/message").asText())
          .isEqualTo("The model is overloaded. Please try again later.");
      assertThat(answer.at("/error/code").asText()).isEqualTo("UNAVAILABLE");
      GatewayEvent event = events.next();
      assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
      assertThat(event.cache().outcome()).isEqualTo(CacheOutcome.MISS);
    }
    assertThat(google.getRequestCount()).isEqualTo(2);
  }

  /**
   * A Gemini backend named {@code id} on {@code server}, taking {@code gpt-4o}, at {@code
   * priority}.
   */
  private static dev.aigateway.core.routing.Backend.Builder gemini(
      String id, MockWebServer server, int priority) {
    return dev.aigateway.core.routing.Backend.gemini(
            id, server.url("/").toString().replaceAll("/$", ""))
        .model("gpt-4o", "gemini-2.5-flash")
        .credential(Credentials.apiKey(GEMINI_KEY))
        .priority(priority);
  }

  @Test
  void aTranslatedGeminiStreamsFirstEventErrorIsJudgedByItsCodeAndRetryInfo() throws Exception {
    // Google fails the stream after its 200 but before any chunk: its 503 error, RetryInfo and
    // all, as the first event. The OpenAI call is judged by Google's own code and wait, as a
    // direct Gemini call is: east fails over and is cooled down for the 30 s it asked for.
    ManualClock clock = new ManualClock(Instant.parse("2026-06-01T10:00:00Z"));
    MockWebServer app = server();
    MockWebServer east = server();
    MockWebServer west = server();
    String unavailable =
        "{\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again"
            + " later.\",\"status\":\"UNAVAILABLE\",\"details\":[{\"@type\":"
            + "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"30s\"}]}}";
    answerAlways(east, Backend.sse("data: " + unavailable + "\r\n\r\n"));
    answerAlways(
        west,
        Backend.sse(
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hello!\"}],"
                + "\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],"
                + "\"usageMetadata\":{\"promptTokenCount\":12,\"candidatesTokenCount\":2,"
                + "\"totalTokenCount\":14},\"modelVersion\":\"gemini-2.5-flash\"}\r\n\r\n"));
    // Failover only on 503: a call judged a 500 would not move on.
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(gemini("east", east, 1))
                .backend(gemini("west", west, 2))
                .failover(Failover.builder().retryOn(status -> status == 503).build()),
            AiGateway.builder().clock(clock));

    assertThat(text(streamed(client, app))).isEqualTo("Hello!");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.routing().failoverReason()).isEqualTo("error event from east");
    assertThat(event.routing().attempts()).hasSize(2);
    assertThat(event.routing().attempts().get(0).status()).isEqualTo(200);
    assertThat(event.routing().attempts().get(0).errorType()).isEqualTo("error-event");

    assertThat(text(streamed(client, app))).isEqualTo("Hello!");
    assertThat(east.getRequestCount())
        .as(
            "east asked for 30 s of quiet in its error event's RetryInfo: the next call goes to west")
        .isEqualTo(1);
    assertThat(events.next().routing().attempts()).hasSize(1);

    clock.advance(Duration.ofSeconds(31));
    streamed(client, app);
    assertThat(east.getRequestCount()).as("east has cooled down").isEqualTo(2);
  }

  private static void answerAlways(MockWebServer server, MockResponse response) {
    server.setDispatcher(
        new mockwebserver3.Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return response;
          }
        });
  }

  @Test
  void aTranslatedGeminiStreamCutBeforeAnyCountIsEstimatedNotChargedZeroAsReported()
      throws Exception {
    // Vertex AI's early chunks carry a usageMetadata without a count ({"trafficType":...}): the
    // counts come in the last chunk, which this stream never sends.
    MockWebServer app = server();
    MockWebServer google = server();
    StringBuilder sse = new StringBuilder();
    for (String piece : new String[] {"The sky", " is"}) {
      sse.append("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"")
          .append(piece)
          .append("\"}],\"role\":\"model\"},\"index\":0}],")
          .append("\"usageMetadata\":{\"trafficType\":\"ON_DEMAND\"},")
          .append("\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"resp-v1\"}\r\n\r\n");
    }
    google.enqueue(Backend.sse(sse.toString()));
    OkHttpClient client =
        client(
            BackendPool.builder().backend(gemini(google)),
            AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    List<String> data = streamed(client, app);

    assertThat(text(data)).isEqualTo("The sky is");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.usage().outputSource())
        .as("no count was reported: the usage is estimated, not zero as reported")
        .isEqualTo(UsageSource.ESTIMATED);
    assertThat(event.usage().tokens().inputTokens()).isPositive();
    assertThat(event.usage().tokens().outputTokens()).isPositive();
    assertThat(event.limits().settledTokens()).isPositive();
  }

  /**
   * One Gemini response for a translated call, finished {@code finishReason}: the whole JSON
   * answer, or (when {@code stream}) the same response as an {@code alt=sse} event.
   */
  private static MockResponse geminiFinished(String finishReason, boolean stream) {
    String response =
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hello\"}],\"role\":\"model\"},"
            + "\"finishReason\":\""
            + finishReason
            + "\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":12,"
            + "\"candidatesTokenCount\":2,\"totalTokenCount\":14},"
            + "\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"resp-f1\"}";
    return stream ? Backend.sse("data: " + response + "\r\n\r\n") : json(response);
  }

  /**
   * A Gemini answer that failed to finish (any finish reason but {@code STOP} and {@code
   * MAX_TOKENS}: a function call the model wrote wrong or may not make, {@code OTHER}, a filter's
   * stop) is translated with an OpenAI finish reason the response cache does not read as a failure
   * ({@code stop}, or {@code content_filter} for a filter's): it must still never be stored, as a
   * direct Gemini call's is not, in JSON and in a stream alike; asked again, the call goes to
   * Gemini again.
   */
  @ParameterizedTest
  @CsvSource({
    "MALFORMED_FUNCTION_CALL, false",
    "MALFORMED_FUNCTION_CALL, true",
    "UNEXPECTED_TOOL_CALL, false",
    "UNEXPECTED_TOOL_CALL, true",
    "OTHER, false",
    "OTHER, true",
    "SAFETY, false",
    "SAFETY, true"
  })
  void aTranslatedGeminiAnswerThatFailedToFinishIsNeverCached(String finishReason, boolean stream)
      throws Exception {
    MockWebServer app = server();
    MockWebServer google = server();
    google.enqueue(geminiFinished(finishReason, stream));
    google.enqueue(geminiFinished(finishReason, stream));
    OkHttpClient client =
        client(
            BackendPool.builder().backend(gemini(google)),
            AiGateway.builder().responseCache(ResponseCache.builder()));
    assertAskedTwiceNeverCached(client, app, stream, google, finishReason);
  }

  /**
   * Sends the test's chat request ({@code stream} or not) twice through {@code client}: each call
   * succeeds, answered by {@code backend}, never from the cache, since the answer it ended with
   * ({@code ending}) is no answer to give again.
   */
  private void assertAskedTwiceNeverCached(
      OkHttpClient client, MockWebServer app, boolean stream, MockWebServer backend, String ending)
      throws Exception {
    String request =
        stream
            ? REQUEST.replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true")
            : REQUEST;
    for (int i = 0; i < 2; i++) {
      try (Response response = client.newCall(chat(app, request)).execute()) {
        assertThat(response.code()).isEqualTo(200);
        assertThat(response.body().string()).contains("Hello");
      }
      GatewayEvent event = events.next();
      assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(event.cache().outcome()).as("call %d", i + 1).isEqualTo(CacheOutcome.MISS);
    }
    assertThat(backend.getRequestCount())
        .as("an answer ended %s is no answer to give again", ending)
        .isEqualTo(2);
  }

  /**
   * A translated Converse answer whose output or tool use the model failed to form is never stored:
   * its OpenAI finish reason, {@code stop}, does not show it, as a Gemini answer's does not.
   */
  @ParameterizedTest
  @CsvSource({
    "malformed_model_output, false",
    "malformed_model_output, true",
    "malformed_tool_use, false",
    "malformed_tool_use, true"
  })
  void aTranslatedConverseAnswerTheModelFailedToFormIsNeverCached(String stopReason, boolean stream)
      throws Exception {
    MockWebServer app = server();
    MockWebServer aws = server();
    for (int i = 0; i < 2; i++) {
      aws.enqueue(
          stream
              ? eventStream(
                  message("messageStart", "{\"role\":\"assistant\"}"),
                  message(
                      "contentBlockDelta",
                      "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hello\"}}"),
                  message("contentBlockStop", "{\"contentBlockIndex\":0}"),
                  message("messageStop", "{\"stopReason\":\"" + stopReason + "\"}"),
                  message(
                      "metadata",
                      "{\"usage\":{\"inputTokens\":12,\"outputTokens\":1,\"totalTokens\":13}}"))
              : json(
                  "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":"
                      + "\"Hello\"}]}},\"stopReason\":\""
                      + stopReason
                      + "\",\"usage\":{\"inputTokens\":12,\"outputTokens\":1,"
                      + "\"totalTokens\":13}}"));
    }
    OkHttpClient client =
        client(
            BackendPool.builder().backend(bedrock(aws)),
            AiGateway.builder().responseCache(ResponseCache.builder()));
    assertAskedTwiceNeverCached(client, app, stream, aws, stopReason);
  }

  /**
   * A translated Claude turn the API paused ({@code pause_turn}), or a stream whose {@code
   * message_delta} never gave a stop reason, is never stored: its OpenAI finish reason, {@code
   * stop}, does not show that the turn is not done.
   */
  @ParameterizedTest
  @CsvSource({"pause_turn, false", "pause_turn, true", "null, true"})
  void aTranslatedClaudeTurnThatIsNotDoneIsNeverCached(String stopReason, boolean stream)
      throws Exception {
    MockWebServer app = server();
    MockWebServer claude = server();
    String reason = stopReason.equals("null") ? "null" : "\"" + stopReason + "\"";
    for (int i = 0; i < 2; i++) {
      claude.enqueue(
          stream
              ? Backend.sse(
                  anthropicStream()
                      .replace("\"end_turn\"", reason)
                      .replace("\"text\":\"Hel\"", "\"text\":\"Hello\"")) // one piece
              : json(ANTHROPIC_ANSWER.replace("\"end_turn\"", reason)));
    }
    OkHttpClient client =
        client(
            BackendPool.builder().backend(anthropic(claude)),
            AiGateway.builder().responseCache(ResponseCache.builder()));
    assertAskedTwiceNeverCached(client, app, stream, claude, stopReason);
  }

  /** A translated Gemini answer that finished well is stored, and given again, in either shape. */
  @ParameterizedTest
  @CsvSource({"STOP, false", "STOP, true", "MAX_TOKENS, false", "MAX_TOKENS, true"})
  void aTranslatedGeminiAnswerThatFinishedIsCached(String finishReason, boolean stream)
      throws Exception {
    MockWebServer app = server();
    MockWebServer google = server();
    google.enqueue(geminiFinished(finishReason, stream));
    OkHttpClient client =
        client(
            BackendPool.builder().backend(gemini(google)),
            AiGateway.builder().responseCache(ResponseCache.builder()));
    String request =
        stream
            ? REQUEST.replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true")
            : REQUEST;

    String first;
    try (Response response = client.newCall(chat(app, request)).execute()) {
      first = response.body().string();
    }
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    String second;
    try (Response response = client.newCall(chat(app, request)).execute()) {
      second = response.body().string();
    }

    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(google.getRequestCount()).isEqualTo(1);
    assertThat(second).contains("Hello");
    if (!stream) {
      assertThat(MAPPER.readTree(second)).isEqualTo(MAPPER.readTree(first));
    }
  }

  private static final AwsCredentialsProvider AWS =
      AwsCredentialsProvider.of(
          new AwsCredentials("AKIDUNIFIED", "unified-aws-SECRET-wJalrXUtnFEMI", null));

  private static dev.aigateway.core.routing.Backend.Builder bedrock(MockWebServer server) {
    return bedrock("bedrock", server);
  }

  /** A Bedrock backend named {@code id} on {@code server}, taking {@code gpt-4o}. */
  private static dev.aigateway.core.routing.Backend.Builder bedrock(
      String id, MockWebServer server) {
    return dev.aigateway.core.routing.Backend.bedrock(
            id, server.url("/").toString().replaceAll("/$", ""))
        .model("gpt-4o", "anthropic.claude-3-haiku-20240307-v1:0")
        .signer(AwsSigV4.signer("us-east-1", "bedrock", AWS));
  }

  @Test
  void bedrockConverseAnswersAnOpenAiCallSignedForItsTranslatedBody() throws Exception {
    MockWebServer app = server();
    MockWebServer aws = server();
    aws.enqueue(
        json(
            "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Red.\"}]}},"
                + "\"stopReason\":\"max_tokens\",\"usage\":{\"inputTokens\":14,"
                + "\"outputTokens\":3,\"totalTokens\":17},\"metrics\":{\"latencyMs\":240}}"));
    OkHttpClient client =
        client(
            BackendPool.builder().backend(bedrock(aws)),
            AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    JsonNode answer;
    try (Response response = client.newCall(chat(app, REQUEST)).execute()) {
      assertThat(response.code()).isEqualTo(200);
      answer = MAPPER.readTree(response.body().string());
    }

    assertThat(answer.at("/choices/0/message/content").asText()).isEqualTo("Red.");
    assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    assertThat(answer.at("/usage/total_tokens").asLong()).isEqualTo(17);
    RecordedRequest sent = aws.takeRequest();
    assertThat(sent.getUrl().encodedPath())
        .isEqualTo("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse");
    assertThat(sent.getHeaders().get("Authorization"))
        .startsWith("AWS4-HMAC-SHA256 Credential=AKIDUNIFIED/");
    assertThat(sent.getHeaders().get("x-amz-content-sha256"))
        .isEqualTo(sha256Hex(sent.getBody().toByteArray()));
    JsonNode translated = body(sent);
    assertThat(translated.at("/system/0/text").asText()).isEqualTo("Answer briefly.");
    assertThat(translated.at("/messages/0/content/0/text").asText()).isEqualTo("Say hello.");
    assertThat(translated.at("/inferenceConfig/maxTokens").asLong()).isEqualTo(64);
    assertThat(translated.at("/inferenceConfig/stopSequences/0").asText()).isEqualTo("END");
    assertThat(events.next().limits().settledTokens()).isEqualTo(17);
  }

  @Test
  void aModelOfDotsNeverLeadsABedrockCallOutOfItsModelsPath() throws Exception {
    // A Bedrock backend without a model mapping puts the model the body asks for in the path
    // (/model/{id}/converse). "." or ".." there is a dot segment, which the HTTP client resolves
    // (escaped as %2E too): the signed call would go to /converse, or above an endpoint's base
    // path. No model has such an ID: no backend serves the call.
    MockWebServer app = server();
    MockWebServer aws = server();
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(
                    dev.aigateway.core.routing.Backend.bedrock(
                            "bedrock", aws.url("/base").toString())
                        .signer(AwsSigV4.signer("us-east-1", "bedrock", AWS))),
            AiGateway.builder());

    for (String model : new String[] {"..", "."}) {
      try (Response response =
          client.newCall(chat(app, REQUEST.replace("\"gpt-4o\"", "\"" + model + "\""))).execute()) {
        assertThat(response.code()).as(model).isEqualTo(404);
        assertThat(response.header("x-ai-gateway-rejected"))
            .isEqualTo(RejectionReason.MODEL_NOT_FOUND.headerValue());
      }
      events.next();
    }
    assertThat(aws.getRequestCount()).isZero();
    assertThatThrownBy(
            () ->
                dev.aigateway.core.routing.Backend.bedrock("east", aws.url("/").toString())
                    .model("gpt-4o", ".."))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'..'");
  }

  private static String sha256Hex(byte[] bytes) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void bedrockConverseStreamsItsBinaryEventStreamAsOpenAiChunks() throws Exception {
    MockWebServer app = server();
    MockWebServer aws = server();
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.writeBytes(message("messageStart", "{\"p\":\"ab\",\"role\":\"assistant\"}"));
    for (String piece : List.of("Red", ", ", "of ", "course.")) {
      stream.writeBytes(
          message(
              "contentBlockDelta",
              "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"" + piece + "\"}}"));
    }
    stream.writeBytes(message("contentBlockStop", "{\"contentBlockIndex\":0}"));
    stream.writeBytes(
        message(
            "contentBlockStart",
            "{\"contentBlockIndex\":1,\"start\":{\"toolUse\":{\"toolUseId\":\"tooluse_1\","
                + "\"name\":\"paint\"}}}"));
    stream.writeBytes(
        message(
            "contentBlockDelta",
            "{\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":\"{\\\"colour\\\":\"}}}"));
    stream.writeBytes(
        message(
            "contentBlockDelta",
            "{\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":\"\\\"red\\\"}\"}}}"));
    stream.writeBytes(message("contentBlockStop", "{\"contentBlockIndex\":1}"));
    stream.writeBytes(message("messageStop", "{\"stopReason\":\"tool_use\"}"));
    stream.writeBytes(
        message(
            "metadata",
            "{\"usage\":{\"inputTokens\":20,\"outputTokens\":11,\"totalTokens\":31,"
                + "\"cacheReadInputTokens\":6},\"metrics\":{\"latencyMs\":300}}"));
    aws.enqueue(
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/vnd.amazon.eventstream")
            .body(new Buffer().write(stream.toByteArray()))
            .throttleBody(64, 20, TimeUnit.MILLISECONDS)
            .build());
    OkHttpClient client =
        client(
            BackendPool.builder().backend(bedrock(aws)),
            AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));
    String request =
        REQUEST.replace(
            "\"max_tokens\":64",
            "\"max_tokens\":64,\"stream\":true,\"stream_options\":{\"include_usage\":true}");

    List<String> data;
    try (Response response = client.newCall(chat(app, request)).execute()) {
      assertThat(response.header("Content-Type")).startsWith("text/event-stream");
      data = dataLines(response, new long[1]);
    }

    assertThat(text(data)).isEqualTo("Red, of course.");
    StringBuilder arguments = new StringBuilder();
    String finish = null;
    for (String d : data.subList(0, data.size() - 1)) {
      JsonNode chunk = MAPPER.readTree(d);
      JsonNode call = chunk.at("/choices/0/delta/tool_calls/0");
      if (!call.isMissingNode()) {
        assertThat(call.path("index").asInt()).isZero();
        if (call.has("id")) {
          assertThat(call.path("id").asText()).isEqualTo("tooluse_1");
          assertThat(call.at("/function/name").asText()).isEqualTo("paint");
        }
        arguments.append(call.at("/function/arguments").asText(""));
      }
      if (chunk.at("/choices/0/finish_reason").isTextual()) {
        finish = chunk.at("/choices/0/finish_reason").asText();
      }
    }
    assertThat(MAPPER.readTree(arguments.toString()).path("colour").asText()).isEqualTo("red");
    assertThat(finish).isEqualTo("tool_calls");
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    assertThat(aws.takeRequest().getUrl().encodedPath()).endsWith("/converse-stream");

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens()).isEqualTo(new Usage(26, 11, 37, 6, 0));
    assertThat(event.limits().settledTokens()).isEqualTo(37);
  }

  /** A Bedrock event stream answer of {@code frames}, with a 200. */
  private static MockResponse eventStream(byte[]... frames) {
    Buffer body = new Buffer();
    for (byte[] frame : frames) {
      body.write(frame);
    }
    return new MockResponse.Builder()
        .code(200)
        .addHeader("Content-Type", "application/vnd.amazon.eventstream")
        .body(body)
        .build();
  }

  /** A Bedrock exception message of {@code type}, as Bedrock fails a stream after its 200. */
  private static byte[] exception(String type, String message) {
    return new EventStreamMessage(
            java.util.Map.of(
                ":message-type", "exception",
                ":exception-type", type,
                ":content-type", "application/json"),
            ("{\"message\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8))
        .encode();
  }

  @Test
  void aTranslatedBedrockStreamsFirstExceptionIsJudgedByTheStatusBedrockDocumentsForIt()
      throws Exception {
    // Bedrock fails the ConverseStream after its 200, before any event: a
    // serviceUnavailableException frame, which Bedrock documents as a 503. The OpenAI call is
    // judged by that status, as a direct call's first error event is, not by its OpenAI
    // translation's server_error (a 500): a pool that fails over on 503 alone moves on.
    MockWebServer app = server();
    MockWebServer east = server();
    MockWebServer west = server();
    east.enqueue(eventStream(exception("serviceUnavailableException", "Bedrock is unavailable.")));
    west.enqueue(
        eventStream(
            message("messageStart", "{\"role\":\"assistant\"}"),
            message("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hi\"}}"),
            message("contentBlockStop", "{\"contentBlockIndex\":0}"),
            message("messageStop", "{\"stopReason\":\"end_turn\"}"),
            message(
                "metadata",
                "{\"usage\":{\"inputTokens\":12,\"outputTokens\":1,\"totalTokens\":13}}")));
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(bedrock("east", east).priority(1))
                .backend(bedrock("west", west).priority(2))
                .failover(Failover.builder().retryOn(status -> status == 503).build()),
            AiGateway.builder());

    assertThat(text(streamed(client, app))).isEqualTo("Hi");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.routing().backendId()).isEqualTo("west");
    assertThat(event.routing().failoverReason()).isEqualTo("error event from east");
    assertThat(event.routing().attempts().get(0).errorType()).isEqualTo("error-event");
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(12, 1));
  }

  /**
   * $3 a million input tokens, $0.30 read from the cache, $3.75 written to it, $15 output: the
   * price of every model the cache-write tests answer with.
   */
  private static final Price CACHE_PRICE =
      Price.perMillion("3.00", "0.30", "15.00").withCacheWrite("3.75");

  private static PriceTable.Builder cachePrices() {
    return PriceTable.builder()
        .modelPrefix("claude", CACHE_PRICE)
        .modelPrefix("anthropic.", CACHE_PRICE)
        .model("gpt-4o", CACHE_PRICE);
  }

  /**
   * 100 plain input tokens at $3, 20 cache reads at $0.30, 40 cache writes at $3.75, 10 output
   * tokens at $15, per million: $0.000606 (priced as plain input, the writes would make $0.000576).
   */
  private static final String CACHE_COST = "0.000606";

  @Test
  void anthropicCacheWritesOfATranslatedCallArePricedAsCacheWrites() throws Exception {
    MockWebServer app = server();
    MockWebServer claude = server();
    claude.enqueue(
        json(
            "{\"id\":\"msg_cache\",\"type\":\"message\",\"role\":\"assistant\","
                + "\"model\":\"claude-sonnet-4-5\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"Hi.\"}],\"stop_reason\":\"end_turn\",\"usage\":{"
                + "\"input_tokens\":100,\"cache_creation_input_tokens\":40,"
                + "\"cache_read_input_tokens\":20,\"output_tokens\":10}}"));
    OkHttpClient client =
        client(
            BackendPool.builder().backend(anthropic(claude)),
            AiGateway.builder().priceTable(cachePrices()));

    JsonNode answer;
    try (Response response = client.newCall(chat(app, REQUEST)).execute()) {
      answer = MAPPER.readTree(response.body().string());
    }

    assertThat(answer.at("/usage/prompt_tokens").asLong()).isEqualTo(160);
    assertThat(answer.at("/usage/prompt_tokens_details/cached_tokens").asLong()).isEqualTo(20);
    assertThat(answer.at("/usage/prompt_tokens_details/cache_write_tokens").asLong()).isEqualTo(40);
    GatewayEvent event = events.next();
    assertThat(event.usage().tokens()).isEqualTo(new Usage(160, 10, 170, 20, 0, 40, 0, 0, 0));
    assertThat(event.usage().cost()).isEqualByComparingTo(CACHE_COST);
  }

  @Test
  void bedrockCacheWritesOfATranslatedStreamArePricedAsCacheWrites() throws Exception {
    MockWebServer app = server();
    MockWebServer aws = server();
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.writeBytes(message("messageStart", "{\"role\":\"assistant\"}"));
    stream.writeBytes(
        message("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hi.\"}}"));
    stream.writeBytes(message("messageStop", "{\"stopReason\":\"end_turn\"}"));
    stream.writeBytes(
        message(
            "metadata",
            "{\"usage\":{\"inputTokens\":100,\"outputTokens\":10,\"totalTokens\":170,"
                + "\"cacheReadInputTokens\":20,\"cacheWriteInputTokens\":40}}"));
    aws.enqueue(
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/vnd.amazon.eventstream")
            .body(new Buffer().write(stream.toByteArray()))
            .build());
    OkHttpClient client =
        client(
            BackendPool.builder().backend(bedrock(aws)),
            AiGateway.builder().priceTable(cachePrices()));

    List<String> data = streamed(client, app);

    assertThat(text(data)).isEqualTo("Hi.");
    assertThat(data).noneMatch(d -> d.contains("\"usage\"")); // not asked for: hidden
    GatewayEvent event = events.next();
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().tokens()).isEqualTo(new Usage(160, 10, 170, 20, 0, 40, 0, 0, 0));
    assertThat(event.usage().cost()).isEqualByComparingTo(CACHE_COST);
  }

  private static AiGateway.Builder screening() {
    return AiGateway.builder()
        .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000))
        .contentSafety(
            dev.aigateway.core.safety.ContentSafety.builder()
                .denyWords("forbidden")
                .screenAnswers(10, 6));
  }

  @Test
  void aBedrockAnswerTranslatedForAnOpenAiCallIsWithheldInOpenAisShape() throws Exception {
    MockWebServer app = server();
    MockWebServer aws = server();
    aws.enqueue(
        json(
            "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":"
                + "\"Here is a forbidden word.\"}]}},\"stopReason\":\"end_turn\","
                + "\"usage\":{\"inputTokens\":14,\"outputTokens\":3,\"totalTokens\":17}}"));
    OkHttpClient client = client(BackendPool.builder().backend(bedrock(aws)), screening());

    String appSaw;
    try (Response response = client.newCall(chat(app, REQUEST)).execute()) {
      assertThat(response.code()).isEqualTo(200);
      appSaw = response.body().string();
    }

    assertThat(appSaw).doesNotContain("forbidden");
    JsonNode answer = MAPPER.readTree(appSaw);
    assertThat(answer.at("/object").asText()).isEqualTo("chat.completion");
    assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter");
    assertThat(answer.at("/choices/0/message/content").isNull()).isTrue();
    GatewayEvent event = events.next();
    assertThat(event.safety().outcome()).isEqualTo(dev.aigateway.api.SafetyOutcome.ANSWER_BLOCKED);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(17);
    Thread.sleep(100);
    assertThat(events.none()).as("exactly one event").isTrue();
  }

  @Test
  void aBedrockStreamTranslatedForAnOpenAiCallIsStoppedWithAnOpenAiErrorEvent() throws Exception {
    MockWebServer app = server();
    MockWebServer aws = server();
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.writeBytes(message("messageStart", "{\"role\":\"assistant\"}"));
    for (String piece : List.of("Hello", " forb", "idden", " now", " ok", " a", " long tail")) {
      stream.writeBytes(
          message(
              "contentBlockDelta",
              "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"" + piece + "\"}}"));
    }
    stream.writeBytes(message("contentBlockStop", "{\"contentBlockIndex\":0}"));
    stream.writeBytes(message("messageStop", "{\"stopReason\":\"end_turn\"}"));
    stream.writeBytes(
        message(
            "metadata",
            "{\"usage\":{\"inputTokens\":20,\"outputTokens\":900,\"totalTokens\":920},"
                + "\"metrics\":{\"latencyMs\":300}}"));
    aws.enqueue(
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/vnd.amazon.eventstream")
            .body(new Buffer().write(stream.toByteArray()))
            .throttleBody(64, 5, TimeUnit.MILLISECONDS)
            .build());
    OkHttpClient client = client(BackendPool.builder().backend(bedrock(aws)), screening());
    String request = REQUEST.replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true");

    List<String> data;
    try (Response response = client.newCall(chat(app, request)).execute()) {
      assertThat(response.header("Content-Type")).startsWith("text/event-stream");
      data = dataLines(response, new long[1]);
    }

    assertThat(String.join("\n", data)).doesNotContain("idden").doesNotContain("tail");
    assertThat(text(data.subList(0, data.size() - 1))).startsWith("Hello");
    JsonNode error = MAPPER.readTree(data.get(data.size() - 1));
    assertThat(error.at("/error/code").asText()).as("the last event: %s", data).isNotEmpty();
    assertThat(error.at("/error/message").asText()).contains("content safety");
    GatewayEvent event = events.next();
    assertThat(event.safety().outcome()).isEqualTo(dev.aigateway.api.SafetyOutcome.ANSWER_BLOCKED);
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.errorType()).isEqualTo("content_blocked");
    Thread.sleep(100);
    assertThat(events.none()).as("exactly one event").isTrue();
  }

  private static byte[] message(String type, String json) {
    return EventStreamMessage.event(type, json.getBytes(StandardCharsets.UTF_8)).encode();
  }
}
