package dev.aigateway.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Credentials;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.wire.EventStreamMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Anthropic's Messages API on Amazon Bedrock (InvokeModel and InvokeModelWithResponseStream on a
 * Claude model) and on Google Vertex AI ({@code rawPredict}, {@code streamRawPredict}) through a
 * wrapped OkHttp client against MockWebServer: Anthropic's estimate and {@code max_tokens}
 * reserved, the exact usage Anthropic reports (cache reads and writes included) charged, bytes
 * passed unchanged, refusals in each path's error shape, replays from the cache and a Vertex
 * backend's URL. Bodies follow Bedrock's and Vertex AI's Claude documentation.
 */
class AnthropicProviderPathsTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final MediaType JSON = MediaType.get("application/json");
  private static final String EVENT_STREAM = "application/vnd.amazon.eventstream";
  private static final String BEDROCK_MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";
  private static final String VERTEX_MODEL = "claude-3-5-haiku@20241022";
  private static final String VERTEX_PREFIX =
      "/v1/projects/acme/locations/us-east5/publishers/anthropic/models/";

  private static final String BEDROCK_REQUEST =
      "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":512,"
          + "\"system\":\"You are a scientist\","
          + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello, Claude\"}]}";
  private static final String VERTEX_REQUEST =
      "{\"anthropic_version\":\"vertex-2023-10-16\",\"max_tokens\":512,"
          + "\"system\":\"You are a scientist\","
          + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello, Claude\"}]}";

  /** {@link #VERTEX_REQUEST}, streamed. */
  private static final String VERTEX_STREAM_REQUEST =
      VERTEX_REQUEST.replace("\"max_tokens\":512,", "\"max_tokens\":512,\"stream\":true,");

  /** Anthropic's estimate of the request (16) plus its {@code max_tokens} (512). */
  private static final long RESERVED = 16 + 512;

  private static final String MESSAGE =
      "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\","
          + "\"model\":\"claude-3-5-haiku-20241022\","
          + "\"content\":[{\"type\":\"text\",\"text\":\"Hello! How can I help?\"}],"
          + "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
          + "\"usage\":{\"input_tokens\":14,\"cache_creation_input_tokens\":100,"
          + "\"cache_read_input_tokens\":2000,\"output_tokens\":9}}";

  private static final String[] EVENTS = {
    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"claude-3-5-haiku-20241022\",\"content\":[],"
        + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":14,"
        + "\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":2000,"
        + "\"output_tokens\":1}}}",
    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
        + "\"text\":\"\"}}",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
        + "\"text\":\"Hello! How can I help?\"}}",
    "{\"type\":\"content_block_stop\",\"index\":0}",
    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
        + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":9}}",
  };

  /** 14 + 100 written + 2,000 read in, 9 out. */
  private static final Usage REPORTED = new Usage(2_114, 9, 2_123, 2_000, 0, 100, 0, 0, 0);

  private final List<MockWebServer> servers = new ArrayList<>();
  private final RecordingListener events = new RecordingListener();

  @AfterEach
  void tearDown() {
    servers.forEach(MockWebServer::close);
  }

  private MockWebServer server() throws Exception {
    MockWebServer server = new MockWebServer();
    server.start();
    servers.add(server);
    return server;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private OkHttpClient client(AiGateway.Builder gateway) {
    return OkHttpAiGateway.wrap(new OkHttpClient(), gateway.listener(events).build());
  }

  private static AiGateway.Builder limited() {
    return AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100_000));
  }

  private static Request post(String url, String body) {
    return new Request.Builder().url(url).post(RequestBody.create(body, JSON)).build();
  }

  /**
   * Sends {@code body} through {@code client} to the Vertex model's {@code method} on {@code
   * vertex}.
   */
  private static Response vertex(
      OkHttpClient client, MockWebServer vertex, String method, String body) throws IOException {
    return client
        .newCall(post(vertex.url(VERTEX_PREFIX + VERTEX_MODEL + ":" + method).toString(), body))
        .execute();
  }

  private static MockResponse json(String body) {
    return Backend.json(body);
  }

  private static byte[] bedrockStream() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<String> chunks = new ArrayList<>(List.of(EVENTS));
    chunks.add(
        "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":14,"
            + "\"outputTokenCount\":9,\"invocationLatency\":611,\"firstByteLatency\":287}}");
    for (String chunk : chunks) {
      String bytes = Base64.getEncoder().encodeToString(utf8(chunk));
      out.writeBytes(
          EventStreamMessage.event("chunk", utf8("{\"bytes\":\"" + bytes + "\"}")).encode());
    }
    return out.toByteArray();
  }

  private static String vertexStream() {
    StringBuilder sse = new StringBuilder();
    for (String event : EVENTS) {
      String type = event.substring(9, event.indexOf('"', 9));
      sse.append("event: ").append(type).append("\ndata: ").append(event).append("\n\n");
    }
    return sse.append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n").toString();
  }

  @Test
  void aClaudeInvokeModelCallReservesAnthropicsEstimateAndIsChargedItsMessagesUsage()
      throws Exception {
    MockWebServer bedrock = server();
    bedrock.enqueue(json(MESSAGE));
    OkHttpClient client = client(limited());

    try (Response response =
        client
            .newCall(
                post(
                    bedrock.url("/model/" + BEDROCK_MODEL + "/invoke").toString(), BEDROCK_REQUEST))
            .execute()) {
      assertThat(response.body().string()).isEqualTo(MESSAGE);
    }

    GatewayEvent event = events.next();
    assertThat(event.limits().reservedTokens()).isEqualTo(RESERVED);
    assertThat(event.usage().tokens()).isEqualTo(REPORTED);
    assertThat(event.limits().settledTokens()).isEqualTo(2_123);
    assertThat(event.routing().provider()).isEqualTo("aws.bedrock");
  }

  @Test
  void aClaudeInvokeStreamPassesByteForByteAndIsChargedItsEventsUsage() throws Exception {
    MockWebServer bedrock = server();
    byte[] stream = bedrockStream();
    bedrock.enqueue(
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", EVENT_STREAM)
            .body(new Buffer().write(stream))
            .build());
    OkHttpClient client = client(limited());

    byte[] received;
    try (Response response =
        client
            .newCall(
                post(
                    bedrock
                        .url("/model/" + BEDROCK_MODEL + "/invoke-with-response-stream")
                        .toString(),
                    BEDROCK_REQUEST))
            .execute()) {
      received = response.body().bytes();
    }

    assertThat(received).isEqualTo(stream);
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.limits().reservedTokens()).isEqualTo(RESERVED);
    assertThat(event.usage().tokens()).isEqualTo(REPORTED);
  }

  /**
   * What a stream cut after its text, before {@code message_delta}, is charged: the input counts
   * {@code message_start} reported (prompt-cache reads and writes included), and an estimate of the
   * text that came as output.
   */
  private static void assertChargedItsStartsInputAndItsTextsEstimate(GatewayEvent event) {
    long text =
        dev.aigateway.core.tokens.TokenCounter.defaults()
            .countText("claude-3-5-haiku-20241022", "Hello! How can I help?");
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.usage().tokens())
        .isEqualTo(new Usage(2_114, text, 2_114 + text, 2_000, 0, 100, 0, 0, 0));
    assertThat(event.usage().inputSource()).isEqualTo(dev.aigateway.api.UsageSource.REPORTED);
    assertThat(event.usage().outputSource()).isEqualTo(dev.aigateway.api.UsageSource.ESTIMATED);
    assertThat(event.limits().settledTokens()).isEqualTo(2_114 + text);
  }

  @Test
  void aVertexStreamCutBeforeItsMessageDeltaIsChargedTheInputItsStartReported() throws Exception {
    MockWebServer vertex = server();
    String stream = vertexStream();
    String cut = stream.substring(0, stream.indexOf("event: message_delta"));
    vertex.enqueue(Backend.sse(cut));
    OkHttpClient client = client(limited());

    try (Response response = vertex(client, vertex, "streamRawPredict", VERTEX_STREAM_REQUEST)) {
      assertThat(response.body().string()).isEqualTo(cut);
    }

    assertChargedItsStartsInputAndItsTextsEstimate(events.next());
  }

  @Test
  void aClaudeInvokeStreamCutBeforeItsMessageDeltaIsChargedTheInputItsStartReported()
      throws Exception {
    MockWebServer bedrock = server();
    ByteArrayOutputStream cut = new ByteArrayOutputStream();
    for (int i = 0; i < EVENTS.length - 1; i++) { // up to the block's stop
      String bytes = Base64.getEncoder().encodeToString(utf8(EVENTS[i]));
      cut.writeBytes(
          EventStreamMessage.event("chunk", utf8("{\"bytes\":\"" + bytes + "\"}")).encode());
    }
    bedrock.enqueue(
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", EVENT_STREAM)
            .body(new Buffer().write(cut.toByteArray()))
            .build());
    OkHttpClient client = client(limited());

    try (Response response =
        client
            .newCall(
                post(
                    bedrock
                        .url("/model/" + BEDROCK_MODEL + "/invoke-with-response-stream")
                        .toString(),
                    BEDROCK_REQUEST))
            .execute()) {
      assertThat(response.body().bytes()).isEqualTo(cut.toByteArray());
    }

    assertChargedItsStartsInputAndItsTextsEstimate(events.next());
  }

  @Test
  void aClaudeInvokeCallOverItsLimitIsRefusedInBedrocksShapeAndARepeatIsReplayed()
      throws Exception {
    MockWebServer bedrock = server();
    OkHttpClient tight =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100)));
    String url = bedrock.url("/model/" + BEDROCK_MODEL + "/invoke").toString();

    try (Response response = tight.newCall(post(url, BEDROCK_REQUEST)).execute()) {
      assertThat(response.code()).isEqualTo(429);
      assertThat(response.header("x-amzn-ErrorType")).isEqualTo("ThrottlingException");
      JsonNode body = MAPPER.readTree(response.body().string());
      assertThat(body.size()).isEqualTo(1);
      assertThat(body.get("message").asText()).isNotBlank();
    }
    assertThat(bedrock.getRequestCount()).isZero();
    assertThat(events.next().rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);

    bedrock.enqueue(json(MESSAGE));
    OkHttpClient cached = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    for (int i = 0; i < 2; i++) {
      try (Response response = cached.newCall(post(url, BEDROCK_REQUEST)).execute()) {
        assertThat(response.body().string()).isEqualTo(MESSAGE);
      }
    }
    assertThat(bedrock.getRequestCount()).isEqualTo(1);
    events.next();
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
  }

  @Test
  void aVertexRawPredictCallIsChargedItsMessagesUsage() throws Exception {
    MockWebServer vertex = server();
    vertex.enqueue(json(MESSAGE));
    OkHttpClient client = client(limited());

    try (Response response = vertex(client, vertex, "rawPredict", VERTEX_REQUEST)) {
      assertThat(response.body().string()).isEqualTo(MESSAGE);
    }

    GatewayEvent event = events.next();
    assertThat(event.requestedModel()).isEqualTo(VERTEX_MODEL);
    assertThat(event.limits().reservedTokens()).isEqualTo(RESERVED);
    assertThat(event.usage().tokens()).isEqualTo(REPORTED);
    assertThat(event.routing().provider()).isEqualTo("gcp.vertex_ai");
  }

  @Test
  void aVertexStreamPassesByteForByteAndIsChargedItsEventsUsage() throws Exception {
    MockWebServer vertex = server();
    String stream = vertexStream();
    vertex.enqueue(Backend.sse(stream));
    OkHttpClient client = client(limited());

    try (Response response = vertex(client, vertex, "streamRawPredict", VERTEX_STREAM_REQUEST)) {
      assertThat(response.body().string()).isEqualTo(stream);
    }

    GatewayEvent event = events.next();
    assertThat(event.stream()).isTrue();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens()).isEqualTo(REPORTED);
  }

  @Test
  void aVertexCallOverItsLimitIsRefusedInAnthropicsShape() throws Exception {
    MockWebServer vertex = server();
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100)));

    try (Response response = vertex(client, vertex, "rawPredict", VERTEX_REQUEST)) {
      assertThat(response.code()).isEqualTo(429);
      JsonNode body = MAPPER.readTree(response.body().string());
      assertThat(body.get("type").asText()).isEqualTo("error");
      assertThat(body.at("/error/type").asText()).isEqualTo("rate_limit_error");
      assertThat(body.at("/error/message").asText()).isNotBlank();
    }
    assertThat(vertex.getRequestCount()).isZero();
    assertThat(events.next().rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
  }

  @Test
  void aStoredVertexMessageIsReplayedToAStreamingCallAsAnthropicsEvents() throws Exception {
    MockWebServer vertex = server();
    vertex.enqueue(json(MESSAGE));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    try (Response first = vertex(client, vertex, "rawPredict", VERTEX_REQUEST)) {
      first.body().string();
    }
    events.next();

    String replayed;
    try (Response second = vertex(client, vertex, "streamRawPredict", VERTEX_STREAM_REQUEST)) {
      assertThat(second.header("Content-Type")).startsWith("text/event-stream");
      replayed = second.body().string();
    }

    assertThat(vertex.getRequestCount()).isEqualTo(1);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(replayed)
        .startsWith("event: message_start\n")
        .contains("\"text\":\"Hello! How can I help?\"")
        .contains("event: message_delta\n")
        .endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  }

  @Test
  void aVertexBackendGetsItsAnthropicPublisherPathAndABearerToken() throws Exception {
    MockWebServer vertex = server();
    vertex.enqueue(json(MESSAGE));
    String base = vertex.url("/v1/projects/acme/locations/us-east5").toString();
    OkHttpClient client =
        client(
            AiGateway.builder()
                .backendPool(
                    BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.vertexAi("vertex", base)
                                .model("haiku", VERTEX_MODEL)
                                .credential(Credentials.bearerToken("ya29.token")))));

    try (Response response =
        client
            .newCall(
                post(
                    "https://us-east5-aiplatform.googleapis.com"
                        + VERTEX_PREFIX
                        + "haiku:rawPredict",
                    VERTEX_REQUEST))
            .execute()) {
      assertThat(response.body().string()).isEqualTo(MESSAGE);
    }

    RecordedRequest sent = vertex.takeRequest(5, TimeUnit.SECONDS);
    assertThat(sent.getTarget()).isEqualTo(VERTEX_PREFIX + VERTEX_MODEL + ":rawPredict");
    assertThat(sent.getHeaders().get("Authorization")).isEqualTo("Bearer ya29.token");
    assertThat(sent.getBody().utf8()).isEqualTo(VERTEX_REQUEST);
    assertThat(events.next().usage().tokens()).isEqualTo(REPORTED);
  }
}
