package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.chatStream;
import static dev.aigateway.okhttp.Backend.post;
import static dev.aigateway.okhttp.Backend.sse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.ClosedStreamCharge;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.testing.Closing;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import okio.BufferedSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StreamingTest {

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();
  private OkHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    server.start();
    AiGateway gateway =
        AiGateway.builder()
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000_000))
            .listener(events)
            .build();
    client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
  }

  @AfterEach
  void tearDown() {
    Closing.inBackground(server); // a server holding a late answer back would wait for it
  }

  /**
   * A chat stream (11 prompt, 9 completion tokens) whose first event comes at once, the rest later.
   */
  private static MockResponse firstEventThenTheRest(long delay, TimeUnit unit) {
    String stream = chatStream("gpt-4o", true, 11, 9, true);
    return Backend.sseBuilder(stream).throttleBody(stream.indexOf("\n\n") + 2, delay, unit).build();
  }

  /**
   * Sends a streamed chat call ("Hi" to gpt-4o) through the wrapped client; the caller closes it.
   */
  private Response streamChat() throws IOException {
    return streamCall().execute();
  }

  /** A streamed chat call ("Hi" to gpt-4o) on the wrapped client, not yet sent. */
  private Call streamCall() {
    return client.newCall(
        post(
            server.url("/v1/chat/completions").toString(),
            chatRequest("gpt-4o", "Hi", "\"stream\":true")));
  }

  /**
   * Sends a streamed Anthropic Messages call ("Hi" to claude-sonnet-4-5) through the wrapped client
   * and returns the stream it read.
   */
  private String readAnthropicStream() throws IOException {
    String request =
        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"stream\":true,\"messages\":"
            + "[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1/messages").toString(),
                    request,
                    "anthropic-version",
                    "2023-06-01"))
            .execute()) {
      return response.body().string();
    }
  }

  private String read(String requestJson) throws Exception {
    try (Response response =
        client
            .newCall(post(server.url("/v1/chat/completions").toString(), requestJson))
            .execute()) {
      return response.body().string();
    }
  }

  @Test
  void appThatAsksForUsageGetsTheStreamUnchanged() throws Exception {
    String backendStream = chatStream("gpt-4o", true, 11, 9, true);
    server.enqueue(sse(backendStream));
    String request =
        chatRequest(
            "gpt-4o", "Hi", "\"stream\":true,\"stream_options\":" + "{\"include_usage\":true}");

    String appSaw = read(request);

    assertThat(appSaw).isEqualTo(backendStream);
    assertThat(server.takeRequest().getBody().utf8()).isEqualTo(request);
    GatewayEvent event = events.next();
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(11, 9));
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.stream()).isTrue();
    assertThat(event.timing().timeToFirstChunk()).isNotNull();
  }

  @Test
  void gatewayAsksForUsageAndTheAppSeesTheStreamItWouldHaveSeen() throws Exception {
    server.enqueue(sse(chatStream("gpt-4o", true, 11, 9, true)));

    String appSaw = read(chatRequest("gpt-4o", "Hi", "\"stream\":true"));

    RecordedRequest sent = server.takeRequest();
    assertThat(sent.getBody().utf8()).contains("\"stream_options\":{\"include_usage\":true}");
    assertThat(appSaw).isEqualTo(chatStream("gpt-4o", false, 0, 0, true));
    GatewayEvent event = events.next();
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(11, 9));
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @Test
  void streamWithoutAContentTypeIsStillFilteredAndLosesItsStaleLength() throws Exception {
    String backendStream = chatStream("gpt-4o", true, 11, 9, true);
    server.enqueue(new MockResponse.Builder().code(200).body(backendStream).build());

    String expected = chatStream("gpt-4o", false, 0, 0, true);
    try (Response response = streamChat()) {
      assertThat(response.header("Content-Length")).isNull(); // the backend's counted the usage
      assertThat(response.body().contentLength()).isEqualTo(-1);
      assertThat(response.body().string()).isEqualTo(expected);
    }
    assertThat(events.next().usage().tokens()).isEqualTo(Usage.of(11, 9));
  }

  @Test
  void anAzureApiVersionBeforeStreamOptionsIsNotAskedForUsage() throws Exception {
    // Azure OpenAI refuses stream_options (400) before api-version 2024-09-01-preview: such a
    // stream goes as the application sent it and is settled on a count of its text.
    String url = server.url("/openai/deployments/gpt-4o/chat/completions").toString();
    for (String version : new String[] {"2024-06-01", "2024-05-01-preview", "2023-05-15"}) {
      server.enqueue(sse(chatStream("gpt-4o", false, 0, 0, true)));
      String request = chatRequest("gpt-4o", "Hi", "\"stream\":true");
      try (Response response =
          client.newCall(post(url + "?api-version=" + version, request)).execute()) {
        assertThat(response.body().string()).isEqualTo(chatStream("gpt-4o", false, 0, 0, true));
      }
      assertThat(server.takeRequest().getBody().utf8()).as(version).isEqualTo(request);
      GatewayEvent event = events.next();
      assertThat(event.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
      assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    }
    for (String version : new String[] {"2024-10-21", "2024-09-01-preview", "2025-04-01-preview"}) {
      server.enqueue(sse(chatStream("gpt-4o", true, 11, 9, true)));
      try (Response response =
          client
              .newCall(
                  post(
                      url + "?api-version=" + version,
                      chatRequest("gpt-4o", "Hi", "\"stream\":true")))
              .execute()) {
        assertThat(response.body().string()).isEqualTo(chatStream("gpt-4o", false, 0, 0, true));
      }
      assertThat(server.takeRequest().getBody().utf8())
          .as(version)
          .contains("\"stream_options\":{\"include_usage\":true}");
      assertThat(events.next().usage().tokens()).isEqualTo(Usage.of(11, 9));
    }
  }

  @Test
  void explicitIncludeUsageFalseIsOverriddenAndHidden() throws Exception {
    server.enqueue(sse(chatStream("gpt-4o", true, 5, 9, true)));

    String appSaw =
        read(
            chatRequest(
                "gpt-4o", "Hi", "\"stream\":true,\"stream_options\":{\"include_usage\":false}"));

    assertThat(server.takeRequest().getBody().utf8())
        .contains("\"stream_options\":{\"include_usage\":true}");
    assertThat(appSaw).isEqualTo(chatStream("gpt-4o", false, 0, 0, true));
    assertThat(events.next().usage().tokens().totalTokens()).isEqualTo(14);
  }

  @Test
  void backendThatIgnoresTheOptionIsSettledOnACountOfTheStreamedText() throws Exception {
    server.enqueue(sse(chatStream("gpt-4o", false, 0, 0, true)));

    read(chatRequest("gpt-4o", "Hi", "\"stream\":true"));

    GatewayEvent event = events.next();
    int streamed = TokenCounter.defaults().countText("gpt-4o", String.join("", Backend.PIECES));
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(streamed);
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(8);
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @Test
  void aStreamedRefusalWithoutUsageIsSettledOnACountOfItsText() throws Exception {
    // The model refuses: its text comes in the deltas' refusal member, not their content. A
    // backend that ignores stream_options reports no usage, so the refusal's text is counted.
    String refusal = "I'm sorry, but I can't help with that request.";
    String head =
        "data: {\"id\":\"chatcmpl-3\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":";
    StringBuilder stream = new StringBuilder();
    stream.append(head).append("{\"role\":\"assistant\",\"content\":null,\"refusal\":\"\"}");
    stream.append(",\"finish_reason\":null}]}\n\n");
    for (String piece : refusal.split("(?<= )")) {
      stream.append(head).append("{\"refusal\":\"").append(piece).append("\"}");
      stream.append(",\"finish_reason\":null}]}\n\n");
    }
    stream.append(head).append("{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    server.enqueue(sse(stream.toString()));

    assertThat(read(chatRequest("gpt-4o", "Hi", "\"stream\":true"))).isEqualTo(stream.toString());

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(event.usage().tokens().outputTokens())
        .isEqualTo(TokenCounter.defaults().countText("gpt-4o", refusal));
  }

  @Test
  void aStreamedLegacyFunctionCallWithoutUsageIsSettledOnACountOfItsText() throws Exception {
    // A call made with the legacy functions parameter streams its call in delta.function_call
    // (name, then arguments in pieces), not in tool_calls; without usage, that text is counted.
    String name = "get_weather";
    String arguments = "{\\\"city\\\":\\\"Paris\\\",\\\"unit\\\":\\\"celsius\\\"}";
    String head =
        "data: {\"id\":\"chatcmpl-4\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":";
    String stream =
        head
            + "{\"role\":\"assistant\",\"content\":null,\"function_call\":{\"name\":\""
            + name
            + "\",\"arguments\":\"\"}},\"finish_reason\":null}]}\n\n"
            + head
            + "{\"function_call\":{\"arguments\":\""
            + arguments
            + "\"}},\"finish_reason\":null}]}\n\n"
            + head
            + "{},\"finish_reason\":\"function_call\"}]}\n\ndata: [DONE]\n\n";
    server.enqueue(sse(stream));

    read(chatRequest("gpt-4o", "Hi", "\"stream\":true"));

    GatewayEvent event = events.next();
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(event.usage().tokens().outputTokens())
        .isEqualTo(
            TokenCounter.defaults()
                .countText("gpt-4o", name + "{\"city\":\"Paris\",\"unit\":\"celsius\"}"));
  }

  @Test
  void truncatedStreamIsSettledOnWhatStreamedAndMarkedEstimated() throws Exception {
    String full = chatStream("gpt-4o", true, 11, 9, true);
    String cut = full.substring(0, full.indexOf(" can"));
    server.enqueue(sse(cut.substring(0, cut.lastIndexOf("data:"))));

    read(chatRequest("gpt-4o", "Hi", "\"stream\":true"));

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.usage().estimated()).isTrue();
    assertThat(event.usage().tokens().outputTokens())
        .isEqualTo(TokenCounter.defaults().countText("gpt-4o", "Hello there, how"));
    assertThat(event.limits().settledTokens()).isEqualTo(event.usage().tokens().totalTokens());
  }

  @Test
  void streamCancelledByTheAppIsSettledOnWhatItRead() throws Exception {
    server.enqueue(
        Backend.sseBuilder(chatStream("gpt-4o", true, 11, 9, true))
            .throttleBody(64, 50, TimeUnit.MILLISECONDS)
            .build());

    try (Response response = streamChat()) {
      BufferedSource source = response.body().source();
      String first = source.readUtf8Line();
      assertThat(first).startsWith("data: {");
    }

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(event.usage().estimated()).isTrue();
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(8);
    assertThat(event.limits().settledTokens()).isEqualTo(event.usage().tokens().totalTokens());
  }

  @Test
  void eventsAfterTheEndMarkerReachTheAppButAreNotCounted() throws Exception {
    // The stream is over at [DONE], as SDKs that stop reading there see it: what a backend sends
    // after it (here a second answer with its own usage) is passed on, not charged.
    String stream =
        chatStream("gpt-4o", true, 11, 9, true) + chatStream("gpt-4o", true, 100, 90, true);
    server.enqueue(sse(stream));

    String request =
        chatRequest("gpt-4o", "Hi", "\"stream\":true,\"stream_options\":{\"include_usage\":true}");
    try (Response response =
        client.newCall(post(server.url("/v1/chat/completions").toString(), request)).execute()) {
      assertThat(response.body().string()).isEqualTo(stream);
    }

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(11);
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(9);
    assertThat(event.limits().settledTokens()).isEqualTo(20);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aStreamClosedOnceTheAppReadItsEndMarkerLineSucceeded() throws Exception {
    // A client that reads line by line stops at the "data: [DONE]" line and closes the stream,
    // before the blank line that ends that event has arrived.
    String stream = chatStream("gpt-4o", true, 11, 9, true);
    server.enqueue(
        Backend.sseBuilder(stream).throttleBody(stream.length() - 1, 5, TimeUnit.SECONDS).build());

    String request =
        chatRequest("gpt-4o", "Hi", "\"stream\":true,\"stream_options\":{\"include_usage\":true}");
    try (Response response =
        client.newCall(post(server.url("/v1/chat/completions").toString(), request)).execute()) {
      BufferedSource source = response.body().source();
      String line;
      do {
        line = source.readUtf8Line();
      } while (line != null && !line.equals("data: [DONE]"));
      assertThat(line).isEqualTo("data: [DONE]");
    }

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(11, 9));
  }

  @Test
  void streamClosedEarlyCanBeChargedItsWholeOutputAllowance() throws Exception {
    RecordingListener charged = new RecordingListener();
    OkHttpClient safe =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000_000))
                .closedStreamCharge(ClosedStreamCharge.OUTPUT_ALLOWANCE)
                .listener(charged)
                .build());
    server.enqueue(
        Backend.sseBuilder(chatStream("gpt-4o", true, 11, 9, true))
            .throttleBody(64, 50, TimeUnit.MILLISECONDS)
            .build());

    try (Response response =
        safe.newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    chatRequest("gpt-4o", "Hi", "\"stream\":true,\"max_tokens\":300")))
            .execute()) {
      assertThat(response.body().source().readUtf8Line()).startsWith("data: {");
    }

    GatewayEvent event = charged.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(event.usage().estimated()).isTrue();
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(8);
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(300);
    assertThat(event.limits().settledTokens()).isEqualTo(308);
  }

  @Test
  void aStreamPastTheClientsCallTimeoutEndsTruncatedNotCancelled() throws Exception {
    TokenCounter.defaults().countText("gpt-4o", "Hi"); // loaded before the call's time runs
    OkHttpClient timed = client.newBuilder().callTimeout(java.time.Duration.ofSeconds(2)).build();
    server.enqueue(firstEventThenTheRest(5, TimeUnit.SECONDS)); // the rest after the call timeout

    Throwable failure = null;
    try (Response response =
        timed
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    chatRequest("gpt-4o", "Hi", "\"stream\":true")))
            .execute()) {
      BufferedSource source = response.body().source();
      assertThat(source.readUtf8Line()).startsWith("data: {"); // the answer was handed on
      try {
        source.readUtf8(); // the rest outlasts the call timeout
      } catch (java.io.IOException e) {
        failure = e;
      }
    }

    assertThat(failure).isInstanceOf(java.io.InterruptedIOException.class).hasMessage("timeout");
    // The application cancelled nothing: its client's call timeout ended the stream early, as a
    // read timeout does.
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.errorType()).isEqualTo("java.io.InterruptedIOException");
    assertThat(event.usage().estimated()).isTrue();
    assertThat(event.limits().settledTokens()).isEqualTo(event.usage().tokens().totalTokens());
  }

  /** A chat stream whose first chunk carries text, then an error event, as OpenAI sends one. */
  private static final String TEXT_THEN_ERROR =
      "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
          + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
          + "\"assistant\",\"content\":\"The answer\"},\"finish_reason\":null}]}\n\n"
          + "data: {\"error\":{\"message\":\"The server had an error while processing your"
          + " request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";

  @Test
  void aStreamThatEndsAfterItsErrorEventWithoutDoneIsAnErrorAnswer() throws Exception {
    // The backend reports its failure in an error event and ends the stream there, no [DONE].
    server.enqueue(sse(TEXT_THEN_ERROR));

    assertThat(read(chatRequest("gpt-4o", "Hi", "\"stream\":true"))).isEqualTo(TEXT_THEN_ERROR);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(event.errorType()).isEqualTo("error-answer");
    // charged the text it streamed before its error, estimated
    assertThat(event.usage().estimated()).isTrue();
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(2);
  }

  @Test
  void aStreamClosedByTheAppAtItsErrorEventIsAnErrorAnswerNotACancel() throws Exception {
    // An SDK that meets an error event throws and closes the stream; the [DONE] the backend sends
    // after it has not arrived yet.
    String stream = TEXT_THEN_ERROR + "data: [DONE]\n\n";
    server.enqueue(
        Backend.sseBuilder(stream)
            .throttleBody(TEXT_THEN_ERROR.length(), 2, TimeUnit.SECONDS)
            .build());

    try (Response response = streamChat()) {
      BufferedSource source = response.body().source();
      assertThat(source.readUtf8Line()).startsWith("data: {\"id\"");
      assertThat(source.readUtf8Line()).isEmpty();
      assertThat(source.readUtf8Line()).startsWith("data: {\"error\"");
    }

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(event.errorType()).isEqualTo("error-answer");
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(2);
  }

  @Test
  void anAnthropicStreamThatEndsInAnErrorEventIsAnErrorAnswer() throws Exception {
    // Anthropic reports a failure mid-stream (overloaded) in an error event and ends the stream.
    String stream =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":"
            + "\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
            + "\"model\":\"claude-sonnet-4-5\",\"stop_reason\":null,\"stop_sequence\":null,"
            + "\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
            + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
            + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
            + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
            + "\"delta\":{\"type\":\"text_delta\",\"text\":\"The answer\"}}\n\n"
            + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
            + "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    server.enqueue(sse(stream));

    assertThat(readAnthropicStream()).isEqualTo(stream);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(event.errorType()).isEqualTo("error-answer");
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(2);
  }

  @Test
  void anAnthropicStreamThatFailsRightAfterMessageStartIsChargedTheInputItReported()
      throws Exception {
    // Overloaded before any text: message_start had already reported the input exactly.
    String stream =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":"
            + "\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
            + "\"model\":\"claude-sonnet-4-5\",\"stop_reason\":null,\"stop_sequence\":null,"
            + "\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":100,"
            + "\"output_tokens\":1}}}\n\n"
            + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
            + "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    server.enqueue(sse(stream));

    assertThat(readAnthropicStream()).isEqualTo(stream);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(event.errorType()).isEqualTo("error-answer");
    // As when some text had come: the input as reported (the cache reads included), not nothing.
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(125);
    assertThat(event.usage().tokens().cachedInputTokens()).isEqualTo(100);
  }

  @Test
  void chunksReachTheAppAsTheyArriveNotAtTheEnd() throws Exception {
    server.enqueue(
        Backend.sseBuilder(chatStream("gpt-4o", true, 11, 9, true))
            .throttleBody(200, 300, TimeUnit.MILLISECONDS)
            .build());

    long start = System.nanoTime();
    try (Response response = streamChat()) {
      BufferedSource source = response.body().source();
      assertThat(source.readUtf8Line()).startsWith("data: {");
      long firstChunkMillis = (System.nanoTime() - start) / 1_000_000;
      source.readUtf8(); // the rest, several throttle periods later
      long allMillis = (System.nanoTime() - start) / 1_000_000;
      assertThat(firstChunkMillis).isLessThan(allMillis - 600);
    }
    assertThat(events.next().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @Test
  void responsesApiStreamIsSettledFromResponseCompleted() throws Exception {
    String stream =
        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":"
            + "{\"id\":\"resp_1\",\"model\":\"gpt-4.1\",\"status\":\"in_progress\"}}\n\n"
            + "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
            + "\"delta\":\"Hi\"}\n\n"
            + "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{"
            + "\"id\":\"resp_1\",\"model\":\"gpt-4.1-2025-04-14\",\"status\":\"completed\","
            + "\"usage\":{\"input_tokens\":10,\"output_tokens\":2,\"total_tokens\":12}}}\n\n";
    server.enqueue(sse(stream));

    String appSaw;
    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1/responses").toString(),
                    "{\"model\":\"gpt-4.1\",\"input\":\"Hi\",\"stream\":true}"))
            .execute()) {
      appSaw = response.body().string();
    }

    assertThat(appSaw).isEqualTo(stream);
    assertThat(server.takeRequest().getBody().utf8()).doesNotContain("stream_options");
    GatewayEvent event = events.next();
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(10, 2));
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.responseModel()).isEqualTo("gpt-4.1-2025-04-14");
  }

  /** Sends a streamed Responses API call; returns what the application read. */
  private String readResponses() throws IOException {
    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1/responses").toString(),
                    "{\"model\":\"gpt-4.1\",\"input\":\"Hi\",\"stream\":true}"))
            .execute()) {
      return response.body().string();
    }
  }

  private static final String RESPONSE_CREATED =
      "event: response.created\ndata: {\"type\":\"response.created\",\"response\":"
          + "{\"id\":\"resp_1\",\"model\":\"gpt-4.1\",\"status\":\"in_progress\"}}\n\n"
          + "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
          + "\"delta\":\"The answer\"}\n\n";

  @Test
  void aResponsesStreamThatEndsInResponseFailedIsAnErrorAnswer() throws Exception {
    // The response failed midway: the stream ends with response.failed (status failed, its error,
    // the usage billed), as a failed Responses API document answered whole reports it.
    String stream =
        RESPONSE_CREATED
            + "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":"
            + "{\"id\":\"resp_1\",\"model\":\"gpt-4.1\",\"status\":\"failed\",\"error\":"
            + "{\"code\":\"server_error\",\"message\":\"The model failed to generate a"
            + " response.\"},\"usage\":{\"input_tokens\":10,\"output_tokens\":2,"
            + "\"total_tokens\":12}}}\n\n";
    server.enqueue(sse(stream));

    assertThat(readResponses()).isEqualTo(stream);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(event.errorType()).isEqualTo("error-answer");
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(10, 2));
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
  }

  @Test
  void aResponsesStreamThatEndsAfterItsErrorEventIsAnErrorAnswer() throws Exception {
    // The Responses API reports a failure mid-stream in an error event (type "error", its code
    // and message at the top level) and ends the stream there.
    String stream =
        RESPONSE_CREATED
            + "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\","
            + "\"message\":\"The server had an error.\",\"param\":null,"
            + "\"sequence_number\":3}\n\n";
    server.enqueue(sse(stream));

    assertThat(readResponses()).isEqualTo(stream);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(event.errorType()).isEqualTo("error-answer");
    assertThat(event.usage().estimated()).isTrue();
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(2); // "The answer", estimated
  }

  @Test
  void aClientsUncheckedFailureAfterTheFirstEventReachesTheAppAsAnIoException() throws Exception {
    // A network interceptor of the application's client whose body fails with an unchecked
    // exception once the first event was handed on (a decoder's bug, a closed source's
    // IllegalStateException): the application gets an IOException, as from any failed read.
    String stream = chatStream("gpt-4o", true, 11, 9, true);
    int firstEvent = stream.indexOf("\n\n") + 2;
    OkHttpClient failing =
        OkHttpAiGateway.wrap(
            new OkHttpClient.Builder()
                .addNetworkInterceptor(
                    chain -> {
                      Response response = chain.proceed(chain.request());
                      okhttp3.ResponseBody body = response.body();
                      okio.Source failsAfterFirstEvent =
                          new okio.ForwardingSource(body.source()) {
                            private long passed;

                            @Override
                            public long read(okio.Buffer sink, long byteCount)
                                throws java.io.IOException {
                              if (passed >= firstEvent) {
                                throw new IllegalStateException("decoder failed");
                              }
                              long n = super.read(sink, Math.min(byteCount, firstEvent - passed));
                              passed += Math.max(n, 0);
                              return n;
                            }
                          };
                      return response
                          .newBuilder()
                          .body(
                              okhttp3.ResponseBody.create(
                                  okio.Okio.buffer(failsAfterFirstEvent), body.contentType(), -1))
                          .build();
                    })
                .build(),
            AiGateway.builder()
                .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000_000))
                .listener(events)
                .build());
    server.enqueue(sse(stream));

    Throwable failure = null;
    try (Response response =
        failing
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    chatRequest("gpt-4o", "Hi", "\"stream\":true")))
            .execute()) {
      BufferedSource source = response.body().source();
      assertThat(source.readUtf8Line()).startsWith("data: {"); // the first event was handed on
      try {
        source.readUtf8();
      } catch (Throwable e) {
        failure = e;
      }
    }

    assertThat(failure)
        .isInstanceOf(java.io.IOException.class)
        .hasCauseInstanceOf(IllegalStateException.class);
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.errorType()).isEqualTo("java.lang.IllegalStateException");
    assertThat(event.usage().estimated()).isTrue();
    assertThat(events.none()).isTrue();
  }

  /** A stream whose headers the backend holds back (for longer than any test waits). */
  private static MockResponse headersHeldBack() {
    return Backend.sseBuilder(chatStream("gpt-4o", true, 11, 9, true))
        .headersDelay(1, TimeUnit.HOURS)
        .build();
  }

  @Test
  void aCallCancelledBeforeItsHeadersFailsWithOneCancelledEventChargedNothing() throws Exception {
    server.enqueue(headersHeldBack());
    Call call = streamCall();
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    Thread caller =
        new Thread(
            () -> {
              try (Response response = call.execute()) {
                failure.complete(null);
              } catch (Throwable e) {
                failure.complete(e);
              }
            });
    caller.start();
    server.takeRequest(); // the request reached the backend, which holds its headers back
    call.cancel();

    assertThat(failure.get(10, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(event.limits().settledTokens()).isZero();
    assertThat(events.none()).isTrue();
  }

  @Test
  void aStreamCancelledWhileTheAppReadsItFailsTheReadWithOneCancelledEvent() throws Exception {
    server.enqueue(firstEventThenTheRest(1, TimeUnit.HOURS));
    Call call = streamCall();
    try (Response response = call.execute()) {
      BufferedSource source = response.body().source();
      assertThat(source.readUtf8Line()).startsWith("data: {");
      Thread canceller = new Thread(call::cancel);
      canceller.start();
      canceller.join();
      assertThatThrownBy(source::readUtf8).isInstanceOf(IOException.class);
    }

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(event.limits().settledTokens()).isEqualTo(event.usage().tokens().totalTokens());
    assertThat(events.none()).isTrue();
  }

  @Test
  void aTimeoutTheAppSetsOnAStreamsSourceBoundsItsReadsAndTheCallEndsTruncated() throws Exception {
    // The rest of the stream comes 5 s after its first event: within the client's read timeout.
    server.enqueue(firstEventThenTheRest(5, TimeUnit.SECONDS));
    try (Response response = streamChat()) {
      BufferedSource source = response.body().source();
      source.timeout().timeout(100, TimeUnit.MILLISECONDS);
      assertThat(source.readUtf8Line()).startsWith("data: {");
      assertThatThrownBy(source::readUtf8).isInstanceOf(InterruptedIOException.class);
    }

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.errorType()).isEqualTo(SocketTimeoutException.class.getName());
    assertThat(events.none()).isTrue();
  }

  @Test
  void aDeadlineTheAppSetsOnAJsonAnswersSourceBoundsItsReads() throws Exception {
    String answer = Backend.chatCompletion("gpt-4o", 11, 9);
    server.enqueue(Backend.jsonBuilder(answer).bodyDelay(5, TimeUnit.SECONDS).build());
    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(), chatRequest("gpt-4o", "Hi", "")))
            .execute()) {
      BufferedSource source = response.body().source();
      source.timeout().deadline(100, TimeUnit.MILLISECONDS);
      assertThatThrownBy(source::readUtf8).isInstanceOf(InterruptedIOException.class);
    }

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(events.none()).isTrue();
  }

  @Test
  void anEnqueuedCallCancelledBeforeItsHeadersFailsItsCallbackWithOneCancelledEvent()
      throws Exception {
    server.enqueue(headersHeldBack());
    Call call = streamCall();
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    call.enqueue(
        new Callback() {
          @Override
          public void onFailure(Call c, IOException e) {
            failure.complete(e);
          }

          @Override
          public void onResponse(Call c, Response response) {
            response.close();
            failure.complete(null);
          }
        });
    server.takeRequest();
    call.cancel();

    assertThat(failure.get(10, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(events.none()).isTrue();
  }
}
