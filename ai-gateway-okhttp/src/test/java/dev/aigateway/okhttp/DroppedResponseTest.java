package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.chatStream;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.testing.Closing;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A governed response the application drops without closing it still ends its call. */
class DroppedResponseTest {

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();
  private OkHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    server.start();
    // One call in flight at a time: a call that never ends refuses every later one.
    AiGateway gateway =
        AiGateway.builder()
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000_000).maxInFlight(1))
            .listener(events)
            .build();
    client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
  }

  @AfterEach
  void tearDown() {
    Closing.inBackground(server); // a server holding a late answer back would wait for it
  }

  private okhttp3.Request request() {
    return post(
        server.url("/v1/chat/completions").toString(),
        chatRequest("gpt-4o", "Hi", "\"max_tokens\":600"));
  }

  private okhttp3.Request streamRequest() {
    return post(
        server.url("/v1/chat/completions").toString(),
        chatRequest("gpt-4o", "Hi", "\"stream\":true,\"max_tokens\":600"));
  }

  /** Runs the call and drops its response unread and unclosed. */
  private void callAndDrop() throws Exception {
    Response response = client.newCall(request()).execute();
    assertThat(response.code()).isEqualTo(200);
  }

  /** Runs a streamed call, reads its first line and drops it unclosed. */
  private void streamAndDrop() throws Exception {
    streamAndDrop(client);
  }

  private void streamAndDrop(OkHttpClient client) throws Exception {
    Response response = client.newCall(streamRequest()).execute();
    assertThat(response.body().source().readUtf8Line()).startsWith("data: {");
  }

  /** Collects garbage until an event arrives, for up to 5 s. */
  private GatewayEvent collectedEvent() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (events.all.isEmpty() && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    return events.next();
  }

  @Test
  void aJsonResponseDroppedUnclosedIsEndedAndSettledWhenCollected() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 8, 2)));
    callAndDrop();

    GatewayEvent event = collectedEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.SETTLED);

    // The call's in-flight slot was freed: the consumer's next call is admitted.
    server.enqueue(json(chatCompletion("gpt-4o", 8, 2)));
    try (Response response = client.newCall(request()).execute()) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
    Thread.sleep(200);
    System.gc();
    Thread.sleep(200);
    assertThat(events.all).hasSize(2); // a body closed is not ended again when collected
  }

  private void enqueueSlowStream() {
    server.enqueue(
        Backend.sseBuilder(chatStream("gpt-4o", true, 11, 9, true))
            .throttleBody(64, 50, TimeUnit.MILLISECONDS)
            .build());
  }

  @Test
  void aStreamDroppedUnclosedIsEndedOnceWhenCollected() throws Exception {
    enqueueSlowStream();
    streamAndDrop();

    GatewayEvent event = collectedEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(event.stream()).isTrue();
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
    assertThat(event.limits().settledTokens()).isEqualTo(event.usage().tokens().totalTokens());
    Thread.sleep(200);
    System.gc();
    Thread.sleep(200);
    assertThat(events.all).hasSize(1);

    server.enqueue(json(chatCompletion("gpt-4o", 8, 2)));
    try (Response response = client.newCall(request()).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
  }

  @Test
  void aScreenedStreamDroppedUnclosedIsEndedOnceWhenCollected() throws Exception {
    // Content safety's answer screen reads the observed stream and is what the app reads.
    OkHttpClient screened =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000_000).maxInFlight(1))
                .contentSafety(ContentSafety.builder().denyWords("forbidden").screenAnswers(10, 6))
                .listener(events)
                .build());
    enqueueSlowStream();
    streamAndDrop(screened);

    GatewayEvent event = collectedEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
    Thread.sleep(200);
    System.gc();
    Thread.sleep(200);
    assertThat(events.all).hasSize(1);

    server.enqueue(json(chatCompletion("gpt-4o", 8, 2)));
    try (Response response = screened.newCall(request()).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
  }
}
