package dev.aigateway.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.SafetyOutcome;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.core.wire.EventStreamMessage;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeAsyncClient;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.bedrockruntime.model.ContentBlock;
import software.amazon.awssdk.services.bedrockruntime.model.ConversationRole;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseRequest;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseStreamRequest;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseStreamResponseHandler;
import software.amazon.awssdk.services.bedrockruntime.model.InvokeModelRequest;
import software.amazon.awssdk.services.bedrockruntime.model.Message;
import software.amazon.awssdk.services.bedrockruntime.model.ThrottlingException;
import software.amazon.awssdk.services.bedrockruntime.model.ValidationException;

/**
 * What the AWS SDK for Java 2's own Bedrock Runtime client makes of the gateway's answers: the
 * SDK's {@code BedrockRuntimeClient} and {@code BedrockRuntimeAsyncClient}, their requests
 * marshalled and signed by the SDK, sent through a governed OkHttp ({@link OkHttpSdkTransport}) to
 * a MockWebServer standing in for Bedrock. A call the gateway refuses must be the SDK's modelled
 * exception of its kind, and a stream content safety stops mid-way must reach the application as
 * the text before the stop and then the SDK's {@code ValidationException}, with nothing after it.
 */
class BedrockRuntimeSdkTest {

  private static final String MODEL = "anthropic.claude-3-haiku-20240307-v1:0";

  private final MockWebServer bedrock = new MockWebServer();
  private final LinkedBlockingQueue<GatewayEvent> events = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() throws Exception {
    bedrock.start();
  }

  @AfterEach
  void stop() throws Exception {
    bedrock.close();
  }

  private OkHttpClient governed(AiGateway.Builder gateway) {
    return OkHttpAiGateway.wrap(new OkHttpClient(), gateway.listener(events::add).build());
  }

  private StaticCredentialsProvider credentials() {
    return StaticCredentialsProvider.create(
        AwsBasicCredentials.create("AKIDEXAMPLE", "bedrock-test-SECRET"));
  }

  private BedrockRuntimeClient sdk(OkHttpClient http) {
    return BedrockRuntimeClient.builder()
        .region(Region.US_EAST_1)
        .endpointOverride(bedrock.url("/").uri())
        .credentialsProvider(credentials())
        .httpClient(OkHttpSdkTransport.sync(http))
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  private BedrockRuntimeAsyncClient asyncSdk(OkHttpClient http) {
    return BedrockRuntimeAsyncClient.builder()
        .region(Region.US_EAST_1)
        .endpointOverride(bedrock.url("/").uri())
        .credentialsProvider(credentials())
        .httpClient(OkHttpSdkTransport.async(http))
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  private GatewayEvent event() throws InterruptedException {
    GatewayEvent event = events.poll(10, TimeUnit.SECONDS);
    assertThat(event).as("an event within 10 s").isNotNull();
    return event;
  }

  private static Message user(String text) {
    return Message.builder()
        .role(ConversationRole.USER)
        .content(ContentBlock.fromText(text))
        .build();
  }

  private static byte[] frame(String eventType, String json) {
    return EventStreamMessage.event(eventType, json.getBytes(StandardCharsets.UTF_8)).encode();
  }

  /** A ConverseStream answer whose text deltas are {@code pieces}, as Bedrock frames it. */
  private static byte[] converseStream(List<String> pieces) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(frame("messageStart", "{\"p\":\"ab\",\"role\":\"assistant\"}"));
    for (String piece : pieces) {
      out.writeBytes(
          frame(
              "contentBlockDelta",
              "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"" + piece + "\"},\"p\":\"abc\"}"));
    }
    out.writeBytes(frame("contentBlockStop", "{\"contentBlockIndex\":0}"));
    out.writeBytes(frame("messageStop", "{\"stopReason\":\"end_turn\"}"));
    out.writeBytes(
        frame(
            "metadata",
            "{\"usage\":{\"inputTokens\":9,\"outputTokens\":90,\"totalTokens\":99},"
                + "\"metrics\":{\"latencyMs\":10}}"));
    return out.toByteArray();
  }

  @Test
  void aConverseCallOverItsLimitIsTheSdksThrottlingException() throws Exception {
    OkHttpClient http =
        governed(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(50)));

    Throwable thrown;
    try (BedrockRuntimeClient sdk = sdk(http)) {
      thrown =
          catchThrowable(
              () ->
                  sdk.converse(
                      ConverseRequest.builder()
                          .modelId(MODEL)
                          .messages(user("Hello"))
                          .inferenceConfig(c -> c.maxTokens(1000))
                          .build()));
    }

    assertThat(thrown).isInstanceOf(ThrottlingException.class);
    ThrottlingException throttled = (ThrottlingException) thrown;
    assertThat(throttled.statusCode()).isEqualTo(429);
    assertThat(throttled.awsErrorDetails().errorCode()).isEqualTo("ThrottlingException");
    assertThat(throttled.awsErrorDetails().errorMessage()).isNotBlank();
    assertThat(bedrock.getRequestCount()).isZero();
    assertThat(event().rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
  }

  @Test
  void anInvokeModelPromptContentSafetyBlocksIsTheSdksValidationException() throws Exception {
    OkHttpClient http =
        governed(AiGateway.builder().contentSafety(ContentSafety.builder().denyWords("forbidden")));

    Throwable thrown;
    try (BedrockRuntimeClient sdk = sdk(http)) {
      thrown =
          catchThrowable(
              () ->
                  sdk.invokeModel(
                      InvokeModelRequest.builder()
                          .modelId("meta.llama3-70b-instruct-v1:0")
                          .contentType("application/json")
                          .body(
                              SdkBytes.fromUtf8String(
                                  "{\"prompt\":\"Say a forbidden thing\",\"max_gen_len\":50}"))
                          .build()));
    }

    assertThat(thrown).isInstanceOf(ValidationException.class);
    assertThat(((ValidationException) thrown).statusCode()).isEqualTo(400);
    assertThat(bedrock.getRequestCount()).isZero();
    assertThat(event().safety().outcome()).isEqualTo(SafetyOutcome.BLOCKED);
  }

  @Test
  void aConverseStreamOverItsLimitIsTheSdksThrottlingException() throws Exception {
    OkHttpClient http =
        governed(AiGateway.builder().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(50)));
    ConverseStreamResponseHandler handler =
        ConverseStreamResponseHandler.builder().subscriber(event -> {}).build();

    Throwable thrown = converseStream(http, "Hello", 1000, handler);

    assertThat(thrown).isInstanceOf(ExecutionException.class);
    assertThat(thrown.getCause()).isInstanceOf(ThrottlingException.class);
    assertThat(bedrock.getRequestCount()).isZero();
    assertThat(event().rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
  }

  @Test
  void aConverseStreamStoppedByContentSafetyGivesTheSdkItsTextThenAValidationException()
      throws Exception {
    bedrock.enqueue(
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/vnd.amazon.eventstream")
            .body(
                new Buffer()
                    .write(
                        converseStream(
                            List.of("Hello", " there", " forb", "idden", " now", " long tail"))))
            .build());
    OkHttpClient http =
        governed(
            AiGateway.builder()
                .contentSafety(
                    ContentSafety.builder().denyWords("forbidden").screenAnswers(10, 6)));
    StringBuilder text = new StringBuilder();
    List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    ConverseStreamResponseHandler handler =
        ConverseStreamResponseHandler.builder()
            .subscriber(
                ConverseStreamResponseHandler.Visitor.builder()
                    .onContentBlockDelta(delta -> text.append(delta.delta().text()))
                    .build())
            .onError(errors::add)
            .build();

    Throwable thrown = converseStream(http, "Tell me", 100, handler);

    assertThat(thrown).as("the call fails").isInstanceOf(ExecutionException.class);
    Throwable cause = thrown.getCause();
    if (cause instanceof CompletionException wrapped) {
      cause = wrapped.getCause();
    }
    assertThat(cause)
        .as("the SDK's modelled exception of the gateway's exception message")
        .isInstanceOf(ValidationException.class);
    assertThat(cause.getMessage()).contains("content safety");
    // the deltas before the one whose window found the word reached the SDK; none after it did
    assertThat(text.toString()).startsWith("Hello there").doesNotContain("tail");
    // the SDK tells its handler of the failure (from the stream, and again from its pipeline)
    assertThat(errors)
        .isNotEmpty()
        .allSatisfy(
            error ->
                assertThat(error instanceof CompletionException ? error.getCause() : error)
                    .isInstanceOf(ValidationException.class));
    GatewayEvent event = event();
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.ANSWER_BLOCKED);
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(events.poll(200, TimeUnit.MILLISECONDS)).as("exactly one event").isNull();
  }

  /**
   * Streams a Converse call of {@code prompt} through the SDK's async client on {@code http} and
   * returns what waiting for it threw (null when it ended well).
   */
  private Throwable converseStream(
      OkHttpClient http, String prompt, int maxTokens, ConverseStreamResponseHandler handler) {
    try (BedrockRuntimeAsyncClient sdk = asyncSdk(http)) {
      CompletableFuture<Void> call =
          sdk.converseStream(
              ConverseStreamRequest.builder()
                  .modelId(MODEL)
                  .messages(user(prompt))
                  .inferenceConfig(c -> c.maxTokens(maxTokens))
                  .build(),
              handler);
      return catchThrowable(() -> call.get(30, TimeUnit.SECONDS));
    }
  }
}
