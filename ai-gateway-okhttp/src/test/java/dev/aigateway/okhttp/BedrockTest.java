package dev.aigateway.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallOutcome;
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
import dev.aigateway.core.wire.EventStreamDecoder;
import dev.aigateway.core.wire.EventStreamMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Amazon Bedrock through a wrapped OkHttp client against MockWebServer backends: calls signed with
 * AWS Signature Version 4 (the backend checks each signature by recomputing it from the request it
 * received), re-signed when they fail over to another region and model, charged exactly the usage
 * Bedrock reports (JSON, response headers, binary event streams passed byte for byte), refused in
 * Bedrock's error shape, and replayed from the cache as valid event stream frames.
 */
class BedrockTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final MediaType JSON = MediaType.get("application/json");
  private static final String EVENT_STREAM = "application/vnd.amazon.eventstream";
  private static final String ACCESS_KEY = "AKIDBEDROCKTEST";
  // The log scan (scripts/scan-logs.sh) fails the build if these values reach any log.
  private static final String SECRET = "bedrock-test-SECRET-wJalrXUtnFEMI";
  private static final String TOKEN = "bedrock-test-SESSION-TOKEN-FQoGZXIvYXdz";
  private static final AwsCredentialsProvider CREDENTIALS =
      AwsCredentialsProvider.of(new AwsCredentials(ACCESS_KEY, SECRET, TOKEN));
  private static final String MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
  private static final String CONVERSE_REQUEST =
      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Name a primary colour.\"}]}],"
          + "\"inferenceConfig\":{\"maxTokens\":100}}";
  private static final String CONVERSE_ANSWER =
      "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Red.\"}]}},"
          + "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":14,\"outputTokens\":3,"
          + "\"totalTokens\":17},\"metrics\":{\"latencyMs\":240}}";

  private final List<MockWebServer> servers = new ArrayList<>();
  private final RecordingListener events = new RecordingListener();

  @BeforeEach
  void setUp() {}

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

  private static MockResponse json(String body, String... headers) {
    MockResponse.Builder builder =
        new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json");
    for (int i = 0; i < headers.length; i += 2) {
      builder.addHeader(headers[i], headers[i + 1]);
    }
    return builder.body(body).build();
  }

  private static MockResponse eventStream(byte[] body) {
    return new MockResponse.Builder()
        .code(200)
        .addHeader("Content-Type", EVENT_STREAM)
        .body(new Buffer().write(body))
        .build();
  }

  private static byte[] converseStream(long input, long output) {
    return converseStream(input, output, "end_turn");
  }

  /** A ConverseStream answer ended with {@code stopReason}; without a messageStop when null. */
  private static byte[] converseStream(long input, long output, @Nullable String stopReason) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        EventStreamMessage.event("messageStart", utf8("{\"p\":\"ab\",\"role\":\"assistant\"}"))
            .encode());
    for (String piece : List.of("Red", ", ", "of ", "course.")) {
      out.writeBytes(
          EventStreamMessage.event(
                  "contentBlockDelta",
                  utf8("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"" + piece + "\"}}"))
              .encode());
    }
    out.writeBytes(
        EventStreamMessage.event("contentBlockStop", utf8("{\"contentBlockIndex\":0}")).encode());
    if (stopReason != null) {
      out.writeBytes(
          EventStreamMessage.event("messageStop", utf8("{\"stopReason\":\"" + stopReason + "\"}"))
              .encode());
    }
    out.writeBytes(
        EventStreamMessage.event(
                "metadata",
                utf8(
                    "{\"usage\":{\"inputTokens\":"
                        + input
                        + ",\"outputTokens\":"
                        + output
                        + ",\"totalTokens\":"
                        + (input + output)
                        + "},\"metrics\":{\"latencyMs\":300}}"))
            .encode());
    return out.toByteArray();
  }

  private OkHttpClient client(AiGateway.Builder gateway) {
    return OkHttpAiGateway.wrap(new OkHttpClient(), gateway.listener(events).build());
  }

  private static dev.aigateway.core.routing.Backend.Builder bedrock(
      String id, MockWebServer server, String region) {
    return dev.aigateway.core.routing.Backend.bedrock(id, server.url("/").toString())
        .signer(AwsSigV4.signer(region, "bedrock", CREDENTIALS));
  }

  private static Request post(String url, String body, String... headers) {
    Request.Builder builder = new Request.Builder().url(url).post(RequestBody.create(body, JSON));
    for (int i = 0; i < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    return builder.build();
  }

  /** An InvokeModel call of this body under version {@code version} of guardrail gr-kids. */
  private static Request underKidsGuardrail(String url, String body, String version) {
    return post(
        url,
        body,
        "X-Amzn-Bedrock-GuardrailIdentifier",
        "gr-kids",
        "X-Amzn-Bedrock-GuardrailVersion",
        version);
  }

  /** Sends the request through the client and returns the answer's body as text. */
  private static String answerText(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return response.body().string();
    }
  }

  /** Sends the request through the client and returns the answer's body as bytes. */
  private static byte[] answerBytes(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return response.body().bytes();
    }
  }

  /** The application's call: to Bedrock's public endpoint, which a pool replaces. */
  private static Request converseCall(String operation) {
    return post(
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/" + MODEL + "/" + operation,
        CONVERSE_REQUEST,
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=APPKEY/stale",
        "X-Amz-Date",
        "20200101T000000Z");
  }

  /**
   * Checks a received request's SigV4 signature by recomputing it here, independently of the
   * library: canonical request over the path as received (encoded once more), the signed headers'
   * values as received, the body's SHA-256; then the key chain and HMAC.
   */
  private static void assertSignedFor(RecordedRequest received, String region) throws Exception {
    String authorization = received.getHeaders().get("Authorization");
    assertThat(authorization).startsWith("AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY + "/");
    String date = received.getHeaders().get("X-Amz-Date");
    assertThat(date).matches("\\d{8}T\\d{6}Z");
    Instant signedAt =
        DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssX", Locale.ROOT)
            .withZone(ZoneOffset.UTC)
            .parse(date, Instant::from);
    assertThat(Duration.between(signedAt, Instant.now()).abs()).isLessThan(Duration.ofMinutes(5));
    String scope = date.substring(0, 8) + "/" + region + "/bedrock/aws4_request";
    String signedHeaders =
        authorization.substring(
            authorization.indexOf("SignedHeaders=") + 14, authorization.indexOf(", Signature="));
    assertThat(signedHeaders)
        .isEqualTo("host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
    byte[] body = received.getBody().toByteArray();
    String bodyHash = hex(MessageDigest.getInstance("SHA-256").digest(body));
    assertThat(received.getHeaders().get("X-Amz-Content-Sha256")).isEqualTo(bodyHash);
    assertThat(received.getHeaders().get("X-Amz-Security-Token")).isEqualTo(TOKEN);
    TreeMap<String, String> signed = new TreeMap<>();
    for (String name : signedHeaders.split(";")) {
      signed.put(name, received.getHeaders().get(name).trim());
    }
    StringBuilder canonical = new StringBuilder();
    canonical.append(received.getMethod()).append('\n');
    String path = received.getUrl().encodedPath();
    canonical
        .append(URLEncoder.encode(path, StandardCharsets.UTF_8).replace("%2F", "/"))
        .append('\n');
    canonical.append('\n');
    signed.forEach((name, value) -> canonical.append(name).append(':').append(value).append('\n'));
    canonical.append('\n').append(signedHeaders).append('\n').append(bodyHash);
    String toSign =
        "AWS4-HMAC-SHA256\n"
            + date
            + "\n"
            + scope
            + "\n"
            + hex(
                MessageDigest.getInstance("SHA-256")
                    .digest(canonical.toString().getBytes(StandardCharsets.UTF_8)));
    byte[] key = hmac(utf8("AWS4" + SECRET), date.substring(0, 8));
    for (String part : List.of(region, "bedrock", "aws4_request")) {
      key = hmac(key, part);
    }
    assertThat(authorization)
        .isEqualTo(
            "AWS4-HMAC-SHA256 Credential="
                + ACCESS_KEY
                + "/"
                + scope
                + ", SignedHeaders="
                + signedHeaders
                + ", Signature="
                + hex(hmac(key, toSign)));
  }

  private static byte[] hmac(byte[] key, String data) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(utf8(data));
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  @Test
  void aSignedConverseCallCarriesAValidSignatureAndIsChargedItsReportedUsage() throws Exception {
    MockWebServer east = server();
    east.enqueue(json(CONVERSE_ANSWER));
    OkHttpClient client =
        client(
            AiGateway.builder()
                .backendPool(BackendPool.builder().backend(bedrock("east", east, "us-east-1")))
                .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    try (Response response = client.newCall(converseCall("converse")).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.body().string()).isEqualTo(CONVERSE_ANSWER);
    }

    RecordedRequest sent = east.takeRequest();
    assertThat(sent.getUrl().encodedPath())
        .isEqualTo("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse");
    assertThat(sent.getBody().utf8()).isEqualTo(CONVERSE_REQUEST);
    assertSignedFor(sent, "us-east-1");
    GatewayEvent event = events.next();
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(14, 3));
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.limits().settledTokens()).isEqualTo(17);
    assertThat(event.routing().provider()).isEqualTo("aws.bedrock");
    assertThat(event.requestedModel()).isEqualTo(MODEL);
  }

  @Test
  void aLlamaPromptIsRedactedThenSignedByThePoolsSigner() throws Exception {
    MockWebServer east = server();
    String answer = "{\"generation\":\"Done.\",\"stop_reason\":\"stop\"}";
    east.enqueue(json(answer));
    OkHttpClient client =
        client(
            AiGateway.builder()
                .backendPool(BackendPool.builder().backend(bedrock("east", east, "us-east-1")))
                .contentSafety(
                    dev.aigateway.core.safety.ContentSafety.builder()
                        .pii(
                            dev.aigateway.core.safety.PiiDetector.email(),
                            dev.aigateway.core.safety.SafetyAction.REDACT)));
    String body =
        "{\"prompt\":\"Write to ann@corp.example today\",\"max_gen_len\":64,"
            + "\"temperature\":0.50}";
    String llama = "meta.llama3-8b-instruct-v1:0";

    // The application's request carries no signature: the pool's signer signs the masked body.
    try (Response response =
        client
            .newCall(
                post(
                    "https://bedrock-runtime.us-east-1.amazonaws.com/model/" + llama + "/invoke",
                    body))
            .execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.body().string()).isEqualTo(answer);
    }

    RecordedRequest sent = east.takeRequest();
    assertThat(sent.getBody().utf8())
        .isEqualTo(body.replace("ann@corp.example", "[REDACTED:EMAIL]"));
    assertSignedFor(sent, "us-east-1");
    GatewayEvent event = events.next();
    assertThat(event.safety().outcome()).isEqualTo(dev.aigateway.api.SafetyOutcome.REDACTED);
    assertThat(event.safety().redactions()).isEqualTo(1);
  }

  @Test
  void anEndpointWrittenWithCapitalsIsSignedForTheHostTheClientSends() throws Exception {
    MockWebServer east = server();
    east.enqueue(json(CONVERSE_ANSWER));
    String endpoint = east.url("/").toString().replace("localhost", "LocalHost");
    assertThat(endpoint).contains("LocalHost"); // host names are case-insensitive
    OkHttpClient client =
        client(
            AiGateway.builder()
                .backendPool(
                    BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.bedrock("east", endpoint)
                                .signer(AwsSigV4.signer("us-east-1", "bedrock", CREDENTIALS)))));

    try (Response response = client.newCall(converseCall("converse")).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }

    RecordedRequest sent = east.takeRequest();
    assertThat(sent.getHeaders().get("Host")).startsWith("localhost:");
    assertSignedFor(sent, "us-east-1");
  }

  @Test
  void aSessionTokenNoHeaderMayHoldFailsTheCallWithoutShowingIt() throws Exception {
    MockWebServer east = server();
    // A token from an environment variable filled from a file can end in a line break.
    AwsCredentialsProvider broken =
        AwsCredentialsProvider.of(new AwsCredentials(ACCESS_KEY, SECRET, TOKEN + "\n"));
    OkHttpClient client =
        client(
            AiGateway.builder()
                .backendPool(
                    BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.bedrock(
                                    "east", east.url("/").toString())
                                .signer(AwsSigV4.signer("us-east-1", "bedrock", broken)))));

    Throwable thrown =
        org.assertj.core.api.Assertions.catchThrowable(
            () -> client.newCall(converseCall("converse")).execute().close());

    assertThat(thrown).isInstanceOf(java.io.IOException.class);
    java.io.StringWriter trace = new java.io.StringWriter();
    thrown.printStackTrace(new java.io.PrintWriter(trace));
    assertThat(trace.toString()).doesNotContain(TOKEN).doesNotContain(SECRET);
    assertThat(east.getRequestCount()).isZero();
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.toString()).doesNotContain(TOKEN);
    assertThat(events.all).hasSize(1);
  }

  @Test
  void aCallThatFailsOverToAnotherRegionIsSignedAgainForItsRegionAndModel() throws Exception {
    MockWebServer east = server();
    MockWebServer west = server();
    east.enqueue(
        new MockResponse.Builder()
            .code(503)
            .addHeader("x-amzn-ErrorType", "ServiceUnavailableException")
            .body("{\"message\":\"Service unavailable\"}")
            .build());
    west.enqueue(json(CONVERSE_ANSWER));
    OkHttpClient client =
        client(
            AiGateway.builder()
                .backendPool(
                    BackendPool.builder()
                        .backend(
                            bedrock("east", east, "us-east-1")
                                .model(MODEL, "us.anthropic.claude-3-haiku-20240307-v1:0")
                                .priority(1))
                        .backend(
                            bedrock("west", west, "us-west-2")
                                .model(
                                    MODEL,
                                    "arn:aws:bedrock:us-west-2:123456789012:"
                                        + "inference-profile/us.anthropic.claude-3-haiku")
                                .priority(2))));

    try (Response response = client.newCall(converseCall("converse")).execute()) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }

    RecordedRequest first = east.takeRequest();
    RecordedRequest second = west.takeRequest();
    assertThat(first.getUrl().encodedPath())
        .isEqualTo("/model/us.anthropic.claude-3-haiku-20240307-v1%3A0/converse");
    assertSignedFor(first, "us-east-1");
    assertThat(second.getUrl().encodedPath())
        .isEqualTo(
            "/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile"
                + "%2Fus.anthropic.claude-3-haiku/converse");
    assertSignedFor(second, "us-west-2");
    GatewayEvent event = events.next();
    assertThat(event.routing().backendId()).isEqualTo("west");
    assertThat(event.routing().attempts()).hasSize(2);
  }

  @Test
  void aConverseStreamPassesByteForByteAndIsChargedItsMetadataUsage() throws Exception {
    MockWebServer bedrock = server();
    byte[] stream = converseStream(25, 6);
    bedrock.enqueue(eventStream(stream));
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    byte[] received;
    try (Response response =
        client
            .newCall(
                post(
                    bedrock.url("/model/" + MODEL + "/converse-stream").toString(),
                    CONVERSE_REQUEST))
            .execute()) {
      assertThat(response.header("Content-Type")).isEqualTo(EVENT_STREAM);
      received = response.body().bytes();
    }

    assertThat(received).isEqualTo(stream);
    GatewayEvent event = events.next();
    assertThat(event.stream()).isTrue();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(25, 6));
    assertThat(event.limits().settledTokens()).isEqualTo(31);
  }

  /**
   * The bytes the application's ConverseStream call receives through a pool that sends to {@code
   * east} (us-east-1) first, then to {@code west} (us-west-2).
   */
  private byte[] converseStreamEastThenWest(MockWebServer east, MockWebServer west)
      throws IOException {
    OkHttpClient client =
        client(
            AiGateway.builder()
                .backendPool(
                    BackendPool.builder()
                        .backend(bedrock("east", east, "us-east-1").priority(1))
                        .backend(bedrock("west", west, "us-west-2").priority(2))));
    try (Response response = client.newCall(converseCall("converse-stream")).execute()) {
      return response.body().bytes();
    }
  }

  @Test
  void aRoutedStreamThatEndsBeforeItsFirstFrameFailsOverAndTheNextRegionStreams() throws Exception {
    MockWebServer east = server();
    MockWebServer west = server();
    byte[] stream = converseStream(25, 6);
    east.enqueue(eventStream(java.util.Arrays.copyOf(stream, 10))); // cut inside the first frame
    west.enqueue(eventStream(stream));
    byte[] received = converseStreamEastThenWest(east, west);

    assertThat(received).isEqualTo(stream);
    assertSignedFor(west.takeRequest(), "us-west-2");
    GatewayEvent event = events.next();
    assertThat(event.routing().backendId()).isEqualTo("west");
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(25, 6));
  }

  @Test
  void aRoutedStreamWhoseFirstFrameIsAThrottlingExceptionFailsOverAsA429() throws Exception {
    // Bedrock answers 200, then fails the stream at once with a throttlingException frame (the
    // status Bedrock documents for it: 429). Nothing reached the application yet: the call fails
    // over to the next region, as a 429 answer or an SSE stream's first error event does.
    MockWebServer east = server();
    MockWebServer west = server();
    byte[] stream = converseStream(25, 6);
    east.enqueue(
        eventStream(
            new EventStreamMessage(
                    java.util.Map.of(
                        ":message-type", "exception",
                        ":exception-type", "throttlingException",
                        ":content-type", "application/json"),
                    utf8("{\"message\":\"Too many tokens, please wait before trying again.\"}"))
                .encode()));
    west.enqueue(eventStream(stream));
    byte[] received = converseStreamEastThenWest(east, west);

    assertThat(received).isEqualTo(stream);
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.routing().backendId()).isEqualTo("west");
    assertThat(event.routing().failoverReason()).isEqualTo("error event from east");
    assertThat(event.routing().attempts().get(0).errorType()).isEqualTo("error-event");
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(25, 6));
  }

  @Test
  void invokeModelIsChargedTheTokenCountsOfItsResponseHeaders() throws Exception {
    MockWebServer bedrock = server();
    String answer =
        "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"Blue.\"}],\"stop_reason\":\"end_turn\"}";
    bedrock.enqueue(
        json(
            answer,
            "X-Amzn-Bedrock-Input-Token-Count",
            "19",
            "X-Amzn-Bedrock-Output-Token-Count",
            "4"));
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));
    String body =
        "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":200,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Name a colour.\"}]}";

    assertThat(
            answerText(client, post(bedrock.url("/model/" + MODEL + "/invoke").toString(), body)))
        .isEqualTo(answer);

    GatewayEvent event = events.next();
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(19, 4));
    assertThat(event.limits().settledTokens()).isEqualTo(23);
  }

  @Test
  void anInvokeStreamIsChargedTheInvocationMetricsOfItsLastChunk() throws Exception {
    MockWebServer bedrock = server();
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (String chunk :
        List.of(
            "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}",
            "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":"
                + "{\"inputTokenCount\":12,\"outputTokenCount\":2,\"invocationLatency\":90,"
                + "\"firstByteLatency\":40}}")) {
      String bytes = Base64.getEncoder().encodeToString(utf8(chunk));
      stream.writeBytes(
          EventStreamMessage.event("chunk", utf8("{\"bytes\":\"" + bytes + "\"}")).encode());
    }
    bedrock.enqueue(eventStream(stream.toByteArray()));
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)));

    byte[] received;
    try (Response response =
        client
            .newCall(
                post(
                    bedrock.url("/model/" + MODEL + "/invoke-with-response-stream").toString(),
                    "{\"max_tokens\":50,\"messages\":[]}"))
            .execute()) {
      received = response.body().bytes();
    }

    assertThat(received).isEqualTo(stream.toByteArray());
    assertThat(events.next().usage().tokens()).isEqualTo(Usage.of(12, 2));
  }

  @Test
  void aCallOverItsLimitIsRefusedLocallyInBedrocksErrorShape() throws Exception {
    MockWebServer bedrock = server();
    OkHttpClient client =
        client(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(50)));

    try (Response response =
        client
            .newCall(
                post(bedrock.url("/model/" + MODEL + "/converse").toString(), CONVERSE_REQUEST))
            .execute()) {
      assertThat(response.code()).isEqualTo(429);
      assertThat(response.header("x-amzn-ErrorType")).isEqualTo("ThrottlingException");
      assertThat(response.header("Retry-After")).isNotNull();
      JsonNode body = MAPPER.readTree(response.body().string());
      assertThat(body.size()).isEqualTo(1);
      assertThat(body.get("message").asText()).isNotBlank();
    }

    assertThat(bedrock.getRequestCount()).isZero();
    assertThat(events.next().rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
  }

  @Test
  void converseAndInvokeModelAnswersNeverAnswerEachOther() throws Exception {
    // Nova reads the same body on both operations; their streams are shaped differently.
    String nova = "amazon.nova-lite-v1:0";
    MockWebServer bedrock = server();
    bedrock.enqueue(eventStream(converseStream(25, 6)));
    ByteArrayOutputStream invokeStream = new ByteArrayOutputStream();
    String last =
        "{\"messageStop\":{\"stopReason\":\"end_turn\"},\"amazon-bedrock-invocationMetrics\":"
            + "{\"inputTokenCount\":25,\"outputTokenCount\":6,\"invocationLatency\":90,"
            + "\"firstByteLatency\":40}}";
    invokeStream.writeBytes(
        EventStreamMessage.event(
                "chunk",
                utf8("{\"bytes\":\"" + Base64.getEncoder().encodeToString(utf8(last)) + "\"}"))
            .encode());
    bedrock.enqueue(eventStream(invokeStream.toByteArray()));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    answerBytes(
        client,
        post(bedrock.url("/model/" + nova + "/converse-stream").toString(), CONVERSE_REQUEST));
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);

    byte[] received =
        answerBytes(
            client,
            post(
                bedrock.url("/model/" + nova + "/invoke-with-response-stream").toString(),
                CONVERSE_REQUEST));

    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(bedrock.getRequestCount()).isEqualTo(2);
    assertThat(received).isEqualTo(invokeStream.toByteArray());
  }

  @Test
  void anInvokeModelCallWithAGuardrailIsNeverAnsweredWithAnotherGuardrailsAnswer()
      throws Exception {
    // InvokeModel names its guardrail in headers, not in the body: the same body asked under a
    // guardrail (or another one, or with its trace) must not be answered with the answer the
    // backend gave without it.
    MockWebServer bedrock = server();
    String unguarded =
        "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"Unfiltered.\"}],"
            + "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":9,\"output_tokens\":3}}";
    String guarded =
        "{\"id\":\"msg_02\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"Sorry.\"}],"
            + "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":9,\"output_tokens\":2},"
            + "\"amazon-bedrock-guardrailAction\":\"INTERVENED\"}";
    bedrock.enqueue(json(unguarded));
    bedrock.enqueue(json(guarded));
    bedrock.enqueue(json(guarded));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    String body =
        "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":200,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Name a colour.\"}]}";
    String url = bedrock.url("/model/" + MODEL + "/invoke").toString();

    assertThat(answerText(client, post(url, body))).isEqualTo(unguarded);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);

    assertThat(answerText(client, underKidsGuardrail(url, body, "1"))).isEqualTo(guarded);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);

    assertThat(answerText(client, underKidsGuardrail(url, body, "2"))).isEqualTo(guarded);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(bedrock.getRequestCount()).isEqualTo(3);

    // The same guardrail asked again is answered from the cache.
    assertThat(answerText(client, underKidsGuardrail(url, body, "1"))).isEqualTo(guarded);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(bedrock.getRequestCount()).isEqualTo(3);
  }

  @Test
  void aClaudeAnswerItsClassifierRefusedIsNeverStored() throws Exception {
    // Claude's classifiers stop an answer mid-way under the 200 it began with (stop_reason
    // "refusal", the text partial): asked again, the call may well be answered whole.
    MockWebServer bedrock = server();
    String refused =
        "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"The first step\"}],"
            + "\"stop_reason\":\"refusal\",\"usage\":{\"input_tokens\":9,\"output_tokens\":3}}";
    String answer = refused.replace("\"refusal\"", "\"end_turn\"");
    bedrock.enqueue(json(refused));
    bedrock.enqueue(json(answer));
    bedrock.enqueue(eventStream(claudeStream("refusal")));
    bedrock.enqueue(eventStream(claudeStream("end_turn")));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    String body =
        "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":200,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"How is it done?\"}]}";
    String url = bedrock.url("/model/" + MODEL + "/invoke").toString();
    String streamUrl = bedrock.url("/model/" + MODEL + "/invoke-with-response-stream").toString();

    assertThat(answerText(client, post(url, body))).isEqualTo(refused);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(answerText(client, post(url, body))).isEqualTo(answer);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);

    assertThat(answerBytes(client, post(streamUrl, body))).isEqualTo(claudeStream("refusal"));
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(answerBytes(client, post(streamUrl, body))).isEqualTo(claudeStream("end_turn"));
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(bedrock.getRequestCount()).isEqualTo(4);
  }

  @Test
  void aClaudeTurnPausedOrWithoutAStopReasonIsNeverStored() throws Exception {
    // A message whose stop reason is null (its message_delta lost, the stream still ending with
    // message_stop) or pause_turn (the API paused a long turn of server tools, for the client to
    // continue) is not the call's whole answer: asked again, the call is sent again, in the JSON
    // form (InvokeModel) and in the stream (InvokeModelWithResponseStream).
    MockWebServer bedrock = server();
    String whole =
        "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"Search first.\"}],"
            + "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":9,\"output_tokens\":3}}";
    String paused = whole.replace("\"end_turn\"", "\"pause_turn\"");
    String unstopped = whole.replace("\"end_turn\"", "null");
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    String url = bedrock.url("/model/" + MODEL + "/invoke").toString();
    String streamUrl = bedrock.url("/model/" + MODEL + "/invoke-with-response-stream").toString();
    int asked = 0;
    for (String cut : new String[] {paused, unstopped}) {
      String body =
          "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":200,"
              + "\"messages\":[{\"role\":\"user\",\"content\":\"Asked when "
              + asked
              + ".\"}]}";
      bedrock.enqueue(json(cut));
      bedrock.enqueue(json(whole));
      bedrock.enqueue(eventStream(claudeStream(cut == paused ? "pause_turn" : null)));
      bedrock.enqueue(eventStream(claudeStream("end_turn")));

      assertThat(answerText(client, post(url, body))).isEqualTo(cut);
      assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(answerText(client, post(url, body))).isEqualTo(whole);
      assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
      assertThat(answerBytes(client, post(streamUrl, body)))
          .isEqualTo(claudeStream(cut == paused ? "pause_turn" : null));
      assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(answerBytes(client, post(streamUrl, body))).isEqualTo(claudeStream("end_turn"));
      assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
      asked += 4;
      assertThat(bedrock.getRequestCount()).isEqualTo(asked);
    }
    // the whole answers were kept
    String body =
        "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":200,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Asked when 0.\"}]}";
    assertThat(answerBytes(client, post(streamUrl, body))).isEqualTo(claudeStream("end_turn"));
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(bedrock.getRequestCount()).isEqualTo(asked);
  }

  /**
   * Claude's events on InvokeModel's stream, each a chunk, ending in {@code stopReason} (its
   * message_delta's stop reason null when it is null).
   */
  private static byte[] claudeStream(@Nullable String stopReason) {
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (String chunk :
        List.of(
            "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_02\",\"type\":\"message\","
                + "\"role\":\"assistant\",\"content\":[],\"stop_reason\":null,"
                + "\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                + "\"text\":\"The first\"}}",
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
                + (stopReason == null ? "null" : "\"" + stopReason + "\"")
                + "},\"usage\":{\"output_tokens\":2}}",
            "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":"
                + "{\"inputTokenCount\":9,\"outputTokenCount\":2,\"invocationLatency\":90,"
                + "\"firstByteLatency\":40}}")) {
      String bytes = Base64.getEncoder().encodeToString(utf8(chunk));
      stream.writeBytes(
          EventStreamMessage.event("chunk", utf8("{\"bytes\":\"" + bytes + "\"}")).encode());
    }
    return stream.toByteArray();
  }

  @Test
  void anInvokeModelAnswerTheModelsContentFilterCutIsNeverStored() throws Exception {
    // Other models than Claude on InvokeModel end an answer their content filter cut off in their
    // own words (Titan's completionReason CONTENT_FILTERED, Llama's stop_reason content_filtered),
    // the text partial or none: asked again, the call may well be answered whole.
    MockWebServer bedrock = server();
    String titan = "amazon.titan-text-express-v1";
    String filtered =
        "{\"inputTextTokenCount\":5,\"results\":[{\"tokenCount\":1,\"outputText\":\"I\","
            + "\"completionReason\":\"CONTENT_FILTERED\"}]}";
    String whole = filtered.replace("CONTENT_FILTERED", "FINISH");
    bedrock.enqueue(json(filtered));
    bedrock.enqueue(json(whole));
    String llama = "meta.llama3-8b-instruct-v1:0";
    bedrock.enqueue(eventStream(llamaStream("content_filtered")));
    bedrock.enqueue(eventStream(llamaStream("stop")));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    String titanUrl = bedrock.url("/model/" + titan + "/invoke").toString();
    String llamaUrl = bedrock.url("/model/" + llama + "/invoke-with-response-stream").toString();
    String titanBody = "{\"inputText\":\"How is it done?\"}";
    String llamaBody = "{\"prompt\":\"How is it done?\",\"max_gen_len\":50}";

    assertThat(answerText(client, post(titanUrl, titanBody))).isEqualTo(filtered);
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(answerText(client, post(titanUrl, titanBody))).isEqualTo(whole);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(answerBytes(client, post(llamaUrl, llamaBody)))
        .isEqualTo(llamaStream("content_filtered"));
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(answerBytes(client, post(llamaUrl, llamaBody))).isEqualTo(llamaStream("stop"));
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(bedrock.getRequestCount()).isEqualTo(4);
    // the whole answers were kept
    assertThat(answerText(client, post(titanUrl, titanBody))).isEqualTo(whole);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(answerBytes(client, post(llamaUrl, llamaBody))).isEqualTo(llamaStream("stop"));
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(bedrock.getRequestCount()).isEqualTo(4);
  }

  /** Llama's chunks on InvokeModel's stream, the last ending in {@code stopReason}. */
  private static byte[] llamaStream(String stopReason) {
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (String chunk :
        List.of(
            "{\"generation\":\"First\",\"prompt_token_count\":6,\"generation_token_count\":1,"
                + "\"stop_reason\":null}",
            "{\"generation\":\"\",\"prompt_token_count\":null,\"generation_token_count\":2,"
                + "\"stop_reason\":\""
                + stopReason
                + "\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":6,"
                + "\"outputTokenCount\":2,\"invocationLatency\":90,\"firstByteLatency\":40}}")) {
      String bytes = Base64.getEncoder().encodeToString(utf8(chunk));
      stream.writeBytes(
          EventStreamMessage.event("chunk", utf8("{\"bytes\":\"" + bytes + "\"}")).encode());
    }
    return stream.toByteArray();
  }

  @ParameterizedTest
  @ValueSource(strings = {"malformed_model_output", "malformed_tool_use"})
  void aConverseAnswerTheModelFailedToFormIsNeverStored(String stopReason) throws Exception {
    // Converse ends an answer whose output or tool use the model failed to form with one of these
    // stop reasons: asked again, the call may well be answered whole, as a Gemini answer finished
    // MALFORMED_FUNCTION_CALL may.
    assertAnswersEndedSoAreNeverStored(stopReason);
  }

  @Test
  void aConverseAnswerTheContentFilterCutIsNeverStored() throws Exception {
    // Converse ends an answer its content filter cut off with stopReason "content_filtered", the
    // text partial or none: asked again, the call may well be answered whole.
    assertAnswersEndedSoAreNeverStored("content_filtered");
  }

  @Test
  void aConverseStreamWithoutItsMessageStopIsNeverStored() throws Exception {
    // The messageStop event says the message ended and why: a stream that lost it (to a proxy, or
    // the service's own failure) and still ends with its metadata is not known to be whole.
    MockWebServer bedrock = server();
    bedrock.enqueue(eventStream(converseStream(14, 3, null)));
    bedrock.enqueue(eventStream(converseStream(14, 3)));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    String streamUrl = bedrock.url("/model/" + MODEL + "/converse-stream").toString();

    assertThat(answerBytes(client, post(streamUrl, CONVERSE_REQUEST)))
        .isEqualTo(converseStream(14, 3, null));
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(answerBytes(client, post(streamUrl, CONVERSE_REQUEST)))
        .isEqualTo(converseStream(14, 3));
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(bedrock.getRequestCount()).isEqualTo(2);
  }

  /**
   * A Converse answer and a ConverseStream ended with {@code stopReason}, each answered again by
   * the backend when asked again: each call succeeds, charged its usage, and none is stored.
   */
  private void assertAnswersEndedSoAreNeverStored(String stopReason) throws Exception {
    MockWebServer bedrock = server();
    String failed = CONVERSE_ANSWER.replace("\"end_turn\"", "\"" + stopReason + "\"");
    bedrock.enqueue(json(failed));
    bedrock.enqueue(json(CONVERSE_ANSWER));
    bedrock.enqueue(eventStream(converseStream(14, 3, stopReason)));
    bedrock.enqueue(eventStream(converseStream(14, 3)));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    String url = bedrock.url("/model/" + MODEL + "/converse").toString();
    String streamUrl = bedrock.url("/model/" + MODEL + "/converse-stream").toString();
    String other = CONVERSE_REQUEST.replace("primary colour", "secondary colour");

    assertThat(answerText(client, post(url, CONVERSE_REQUEST))).isEqualTo(failed);
    GatewayEvent first = events.next();
    assertThat(first.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(first.usage().tokens()).isEqualTo(Usage.of(14, 3));
    assertThat(answerText(client, post(url, CONVERSE_REQUEST))).isEqualTo(CONVERSE_ANSWER);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);

    assertThat(answerBytes(client, post(streamUrl, other)))
        .isEqualTo(converseStream(14, 3, stopReason));
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(answerBytes(client, post(streamUrl, other))).isEqualTo(converseStream(14, 3));
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(bedrock.getRequestCount()).isEqualTo(4);
  }

  @Test
  void theTemperatureStoreRuleReadsConversesInferenceConfig() throws Exception {
    MockWebServer bedrock = server();
    for (int i = 0; i < 4; i++) {
      bedrock.enqueue(json(CONVERSE_ANSWER));
    }
    OkHttpClient client =
        client(
            AiGateway.builder()
                .responseCache(
                    ResponseCache.builder().storeIf(ResponseCache.temperatureAtMost(0.2))));
    String url = bedrock.url("/model/" + MODEL + "/converse").toString();
    String creative =
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"A poem.\"}]}],"
            + "\"inferenceConfig\":{\"maxTokens\":100,\"temperature\":0.9}}";
    String exact =
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"A poem.\"}]}],"
            + "\"inferenceConfig\":{\"maxTokens\":100,\"temperature\":0}}";

    for (String body : List.of(creative, creative, exact, exact)) {
      answerText(client, post(url, body));
    }

    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(events.next().cache().outcome())
        .as("inferenceConfig.temperature 0 is at most 0.2: the answer was kept")
        .isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(bedrock.getRequestCount()).isEqualTo(3);
  }

  @Test
  void theTemperatureStoreRuleReadsAnInvokeModelBodysTemperature() throws Exception {
    MockWebServer bedrock = server();
    String answer =
        "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"Blue.\"}],\"stop_reason\":\"end_turn\","
            + "\"usage\":{\"input_tokens\":19,\"output_tokens\":4}}";
    bedrock.enqueue(json(answer));
    bedrock.enqueue(json(answer));
    OkHttpClient client =
        client(
            AiGateway.builder()
                .responseCache(
                    ResponseCache.builder().storeIf(ResponseCache.temperatureAtMost(0))));
    String body =
        "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":200,\"temperature\":0,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Name a colour.\"}]}";
    String url = bedrock.url("/model/" + MODEL + "/invoke").toString();

    for (int i = 0; i < 2; i++) {
      assertThat(answerText(client, post(url, body))).isEqualTo(answer);
    }

    events.next();
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(bedrock.getRequestCount()).isEqualTo(1);
  }

  @Test
  void aCachedAnswerIsReplayedToAStreamCallAsValidEventStreamFrames() throws Exception {
    MockWebServer bedrock = server();
    bedrock.enqueue(json(CONVERSE_ANSWER));
    OkHttpClient client = client(AiGateway.builder().responseCache(ResponseCache.builder()));
    try (Response first =
        client
            .newCall(
                post(bedrock.url("/model/" + MODEL + "/converse").toString(), CONVERSE_REQUEST))
            .execute()) {
      first.body().string();
    }
    events.next();

    byte[] replayed;
    try (Response second =
        client
            .newCall(
                post(
                    bedrock.url("/model/" + MODEL + "/converse-stream").toString(),
                    CONVERSE_REQUEST))
            .execute()) {
      assertThat(second.header("Content-Type")).startsWith(EVENT_STREAM);
      replayed = second.body().bytes();
    }

    assertThat(bedrock.getRequestCount()).isEqualTo(1);
    assertThat(events.next().cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    List<EventStreamMessage> frames = new ArrayList<>();
    EventStreamDecoder decoder = new EventStreamDecoder(frames::add);
    decoder.feed(replayed, 0, replayed.length);
    assertThat(decoder.corrupt()).isFalse();
    assertThat(decoder.midMessage()).isFalse();
    assertThat(frames)
        .extracting(EventStreamMessage::eventType)
        .containsExactly(
            "messageStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata");
    JsonNode metadata = MAPPER.readTree(frames.get(4).payload());
    assertThat(metadata.at("/usage/totalTokens").asInt()).isEqualTo(17);
  }
}
