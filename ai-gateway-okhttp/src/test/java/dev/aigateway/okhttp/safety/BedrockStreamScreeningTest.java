package dev.aigateway.okhttp.safety;

import static dev.aigateway.okhttp.safety.ScreenedBackend.eventStream;
import static dev.aigateway.okhttp.safety.ScreenedBackend.forbiddenInWindowsOfTen;
import static dev.aigateway.okhttp.safety.ScreenedBackend.frame;
import static dev.aigateway.okhttp.safety.ScreenedBackend.messages;
import static dev.aigateway.okhttp.safety.ScreenedBackend.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.SafetyOutcome;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.wire.EventStreamMessage;
import dev.aigateway.core.wire.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
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
 * Content safety's answer screen on Bedrock's binary event streams (ConverseStream, and
 * InvokeModelWithResponseStream on Claude), end to end: OkHttp through the gateway to a
 * MockWebServer that serves real AWS event stream frames, read back frame by frame with their CRCs.
 */
class BedrockStreamScreeningTest {

  private static final String CONVERSE_STREAM =
      "/model/anthropic.claude-3-haiku-20240307-v1:0/converse-stream";
  private static final String CLAUDE_STREAM =
      "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke-with-response-stream";
  private static final String CONVERSE_BODY =
      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Say it\"}]}]}";
  private static final String CLAUDE_BODY =
      "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":50,"
          + "\"messages\":[{\"role\":\"user\",\"content\":\"Say it\"}]}";

  /** "forb|idden" falls across two windows of 10: found through the overlap. */
  private static final List<String> PIECES =
      List.of("Hello", " forb", "idden", " now", " ok", " and", " a", " long", " tail");

  @RegisterExtension final ScreenedBackend screened = new ScreenedBackend();
  private final MockWebServer backend = screened.backend;

  private OkHttpClient governed() {
    return screened.governed(forbiddenInWindowsOfTen());
  }

  /** A Claude chunk: Anthropic's stream event, base64-encoded in {@code bytes}. */
  private static byte[] chunk(String anthropicEvent) {
    String bytes = Base64.getEncoder().encodeToString(utf8(anthropicEvent));
    return frame("chunk", "{\"bytes\":\"" + bytes + "\",\"p\":\"abcd\"}");
  }

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
            "{\"usage\":{\"inputTokens\":9,\"outputTokens\":900,\"totalTokens\":909},"
                + "\"metrics\":{\"latencyMs\":10}}"));
    return out.toByteArray();
  }

  private static byte[] claudeStream(List<String> pieces) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        chunk(
            "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                + "\"role\":\"assistant\",\"model\":\"claude-3-haiku\",\"content\":[],"
                + "\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}"));
    out.writeBytes(
        chunk(
            "{\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"));
    for (String piece : pieces) {
      out.writeBytes(
          chunk(
              "{\"type\":\"content_block_delta\",\"index\":0,"
                  + "\"delta\":{\"type\":\"text_delta\",\"text\":\""
                  + piece
                  + "\"}}"));
    }
    out.writeBytes(chunk("{\"type\":\"content_block_stop\",\"index\":0}"));
    out.writeBytes(
        chunk(
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                + "\"usage\":{\"output_tokens\":900}}"));
    out.writeBytes(
        chunk(
            "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":"
                + "{\"inputTokenCount\":9,\"outputTokenCount\":900}}"));
    return out.toByteArray();
  }

  private void assertStoppedWithAnExceptionFrame(byte[] appSaw, List<EventStreamMessage> frames)
      throws InterruptedException {
    String text = new String(appSaw, StandardCharsets.ISO_8859_1);
    assertThat(text).doesNotContain("idden").doesNotContain("tail");
    EventStreamMessage last = frames.get(frames.size() - 1);
    assertThat(last.messageType()).isEqualTo("exception");
    assertThat(last.exceptionType()).isEqualTo("validationException");
    assertThat(last.contentType()).isEqualTo("application/json");
    JsonNode error = Json.parseOrNull(last.payload(), 0, last.payload().length);
    assertThat(error.path("message").textValue())
        .contains("content safety")
        .contains("denied-word");
    assertThat(frames.subList(0, frames.size() - 1))
        .allSatisfy(message -> assertThat(message.messageType()).isEqualTo("event"));

    GatewayEvent event = screened.event();
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.ANSWER_BLOCKED);
    assertThat(event.safety().check()).isEqualTo("deny-words");
    assertThat(event.safety().category()).isEqualTo("denied-word");
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.errorType()).isEqualTo("content_blocked");
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(event.usage().tokens().outputTokens()).isBetween(1L, 10L); // not the 900 reported
    screened.noMoreEvents();
  }

  @Test
  void aConverseStreamIsStoppedMidWayWithAnExceptionFrame() throws Exception {
    backend.enqueue(eventStream(converseStream(PIECES)));
    byte[] appSaw;
    try (Response response = screened.post(governed(), CONVERSE_STREAM, CONVERSE_BODY)) {
      assertThat(response.code()).isEqualTo(200);
      appSaw = response.body().bytes();
    }
    List<EventStreamMessage> frames = messages(appSaw);
    // "Hello forb" fills the first window inside a word: " forb" is held back until "idden"
    // comes, then dropped with everything after it; the frames before it reached the app.
    assertThat(frames.get(0).eventType()).isEqualTo("messageStart");
    assertThat(new String(frames.get(1).payload(), StandardCharsets.UTF_8)).contains("Hello");
    assertThat(frames).hasSize(3);
    assertStoppedWithAnExceptionFrame(appSaw, frames);
  }

  @Test
  void aClaudeInvokeStreamIsStoppedMidWayWithAnExceptionFrame() throws Exception {
    backend.enqueue(eventStream(claudeStream(PIECES)));
    byte[] appSaw;
    try (Response response = screened.post(governed(), CLAUDE_STREAM, CLAUDE_BODY)) {
      assertThat(response.code()).isEqualTo(200);
      appSaw = response.body().bytes();
    }
    List<EventStreamMessage> frames = messages(appSaw);
    assertThat(frames).extracting(EventStreamMessage::eventType).startsWith("chunk", "chunk");
    assertThat(frames).hasSize(4); // message_start, content_block_start, "Hello", the exception
    assertStoppedWithAnExceptionFrame(appSaw, frames);
  }

  @Test
  void aCleanConverseStreamPassesFrameByFrameAsItComesAndIsSaidToPass() throws Exception {
    assumeTrue(OkHttp.VERSION.startsWith("5."), "needs OkHttp 5's MockResponseBody");
    // The backend sends its first frames, then waits until the application has read them: the
    // screen must never hold the whole stream.
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    first.writeBytes(frame("messageStart", "{\"role\":\"assistant\"}"));
    first.writeBytes(
        frame(
            "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hello there\"}}"));
    first.writeBytes(frame("contentBlockStop", "{\"contentBlockIndex\":0}"));
    ByteArrayOutputStream rest = new ByteArrayOutputStream();
    rest.writeBytes(frame("messageStop", "{\"stopReason\":\"end_turn\"}"));
    rest.writeBytes(
        frame(
            "metadata",
            "{\"usage\":{\"inputTokens\":9,\"outputTokens\":2,\"totalTokens\":11},"
                + "\"metrics\":{\"latencyMs\":10}}"));
    byte[] head = first.toByteArray();
    byte[] tail = rest.toByteArray();
    CountDownLatch appReadTheStart = new CountDownLatch(1);
    backend.enqueue(
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/vnd.amazon.eventstream")
            .body(
                new MockResponseBody() {
                  @Override
                  public long getContentLength() {
                    return head.length + tail.length;
                  }

                  @Override
                  public void writeTo(BufferedSink sink) throws IOException {
                    sink.write(head).flush();
                    try {
                      if (!appReadTheStart.await(5, TimeUnit.SECONDS)) {
                        return; // the test fails below: the application never saw the start
                      }
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                      return;
                    }
                    sink.write(tail).flush();
                  }
                })
            .build());

    try (Response response = screened.post(governed(), CONVERSE_STREAM, CONVERSE_BODY)) {
      assertThat(response.code()).isEqualTo(200);
      BufferedSource source = response.body().source();
      assertThat(source.readByteArray(head.length)).isEqualTo(head);
      appReadTheStart.countDown();
      assertThat(source.readByteArray()).isEqualTo(tail);
    }
    GatewayEvent event = screened.event();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(11);
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.PASSED);
    screened.noMoreEvents();
  }

  @Test
  void aCleanClaudeStreamPassesByteForByte() throws Exception {
    byte[] stream = claudeStream(List.of("Hello", " there", ", all", " fine"));
    backend.enqueue(eventStream(stream));
    try (Response response = screened.post(governed(), CLAUDE_STREAM, CLAUDE_BODY)) {
      assertThat(response.body().bytes()).isEqualTo(stream);
    }
    GatewayEvent event = screened.event();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(900);
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.PASSED);
  }

  @Test
  void anInvokeStreamOfAModelWhoseChunksAreNotReadPassesAndIsNotSaidToPass() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        frame(
            "chunk",
            "{\"bytes\":\""
                + Base64.getEncoder()
                    .encodeToString(
                        utf8(
                            "{\"outputText\":\"a forbidden word\",\"index\":0,"
                                + "\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":5,"
                                + "\"outputTokenCount\":3}}"))
                + "\"}"));
    byte[] stream = out.toByteArray();
    backend.enqueue(eventStream(stream));
    try (Response response =
        screened.post(
            governed(),
            "/model/writer.palmyra-x5-v1:0/invoke-with-response-stream",
            "{\"inputText\":\"Hi\"}")) {
      assertThat(response.body().bytes()).isEqualTo(stream);
    }
    GatewayEvent event = screened.event();
    // the prompt, read by no check either, is the first said so
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.FLAGGED);
    assertThat(event.safety().check()).isIn("unreadable-prompt", "unreadable-answer");
    assertThat(event.safety().category()).isEqualTo("format-not-read");
  }
}
