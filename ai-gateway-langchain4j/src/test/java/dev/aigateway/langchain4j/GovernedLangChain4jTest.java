package dev.aigateway.langchain4j;

import static dev.aigateway.testing.OpenAiBodies.completion;
import static dev.aigateway.testing.OpenAiBodies.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.testing.Closing;
import dev.aigateway.testing.Waiting;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j's real OpenAI chat models (jars from Maven Central) on OkHttp 4.12.0 through the
 * gateway, against a local OpenAI-shaped backend.
 */
class GovernedLangChain4jTest {

  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private MockWebServer backend;

  @BeforeEach
  void startBackend() throws Exception {
    backend = new MockWebServer();
    backend.start();
  }

  @AfterEach
  void stopBackend() throws Exception {
    Closing.inBackground(backend); // a server holding a late answer back would wait for it
  }

  private AiGateway.Builder gateway() {
    return AiGateway.builder()
        .consumerKey(KeyResolvers.header("x-consumer-id"))
        .listener(events::add);
  }

  private ChatModel chatModel(AiGateway gateway, int maxRetries) {
    return OpenAiChatModel.builder()
        .httpClientBuilder(GovernedHttpClientBuilder.of(gateway))
        .baseUrl(backend.url("/v1").toString())
        .apiKey("sk-test-not-a-real-key")
        .modelName("gpt-4o")
        .maxTokens(50)
        .maxRetries(maxRetries)
        .customHeaders(Map.of("x-consumer-id", "team-a"))
        .build();
  }

  @Test
  void aChatCallIsAnsweredAndSettledOnTheReportedUsage() throws Exception {
    backend.enqueue(json(completion("Hello there", 12, 3)));

    ChatResponse response =
        chatModel(gateway().build(), 0)
            .chat(
                dev.langchain4j.model.chat.request.ChatRequest.builder()
                    .messages(dev.langchain4j.data.message.UserMessage.from("Say hello"))
                    .build());

    assertThat(response.aiMessage().text()).isEqualTo("Hello there");
    assertThat(response.tokenUsage().totalTokenCount()).isEqualTo(15);
    GatewayEvent event = awaitEvents(1).get(0);
    assertThat(event.consumer()).isEqualTo("team-a");
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(15);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    RecordedRequest sent = backend.takeRequest();
    assertThat(sent.getHeader("x-consumer-id")).isNull();
    assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer sk-test-not-a-real-key");
  }

  @Test
  void modelsBuiltOnTheGatewayShareOnePoolSoNoneLeavesItsOwnConnectionsOpen() throws Exception {
    // LangChain4j has no close for its HTTP client: a model built per request, each on an OkHttp
    // client of its own, would leave each one's idle connection open until OkHttp's keep-alive
    // ends. The clients of(gateway) makes share one pool, so the second model reuses the first's.
    backend.enqueue(json(completion("first", 12, 3)));
    backend.enqueue(json(completion("second", 12, 3)));
    AiGateway gateway = gateway().build();

    assertThat(chatModel(gateway, 0).chat("Say hello")).isEqualTo("first");
    assertThat(chatModel(gateway, 0).chat("Say hello")).isEqualTo("second");

    assertThat(backend.takeRequest().getSequenceNumber()).isZero();
    assertThat(backend.takeRequest().getSequenceNumber())
        .as("the second model's call reuses the first one's connection")
        .isEqualTo(1);
  }

  @Test
  void aStreamingChatCallStreamsAndIsSettledOnTheReportedUsage() throws Exception {
    backend.enqueue(sse(stream(List.of("Hel", "lo", " there"), 9, 3)));
    StreamingChatModel model =
        OpenAiStreamingChatModel.builder()
            .httpClientBuilder(GovernedHttpClientBuilder.of(gateway().build()))
            .baseUrl(backend.url("/v1").toString())
            .apiKey("sk-test-not-a-real-key")
            .modelName("gpt-4o")
            .customHeaders(Map.of("x-consumer-id", "team-a"))
            .build();
    List<String> partials = new CopyOnWriteArrayList<>();
    CompletableFuture<ChatResponse> done = new CompletableFuture<>();

    model.chat(
        "Say hello",
        new StreamingChatResponseHandler() {
          @Override
          public void onPartialResponse(String partial) {
            partials.add(partial);
          }

          @Override
          public void onCompleteResponse(ChatResponse response) {
            done.complete(response);
          }

          @Override
          public void onError(Throwable error) {
            done.completeExceptionally(error);
          }
        });

    ChatResponse response = done.get(20, TimeUnit.SECONDS);
    assertThat(partials).containsExactly("Hel", "lo", " there");
    assertThat(response.tokenUsage().totalTokenCount()).isEqualTo(12);
    GatewayEvent event = awaitEvents(1).get(0);
    assertThat(event.stream()).isTrue();
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(9);
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(3);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
  }

  @Test
  void moreThanFiveStreamsStartAtOnceAsUnderLangChain4jsOwnClient() throws Exception {
    // A stream is an OkHttp asynchronous call until its answer's headers arrive, and OkHttp runs at
    // most 5 of those per host unless told otherwise; LangChain4j's own (JDK) client has no such
    // cap. The backend holds each answer until 8 streams are waiting together (or 20 s pass).
    int calls = 8;
    CountDownLatch allInFlight = new CountDownLatch(calls);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger mostInFlight = new AtomicInteger();
    backend.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            allInFlight.countDown();
            allInFlight.await(20, TimeUnit.SECONDS);
            inFlight.decrementAndGet();
            return sse(stream(List.of("Hi"), 9, 1));
          }
        });
    StreamingChatModel model =
        OpenAiStreamingChatModel.builder()
            .httpClientBuilder(GovernedHttpClientBuilder.of(gateway().build()))
            .baseUrl(backend.url("/v1").toString())
            .apiKey("sk-test-not-a-real-key")
            .modelName("gpt-4o")
            .customHeaders(Map.of("x-consumer-id", "team-a"))
            .build();

    List<CompletableFuture<ChatResponse>> pending = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      CompletableFuture<ChatResponse> done = new CompletableFuture<>();
      pending.add(done);
      model.chat(
          "Say hello",
          new StreamingChatResponseHandler() {
            @Override
            public void onCompleteResponse(ChatResponse response) {
              done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
              done.completeExceptionally(error);
            }
          });
    }

    allInFlight.await(20, TimeUnit.SECONDS);
    assertThat(mostInFlight.get()).as("streams at the backend at once").isEqualTo(calls);
    for (CompletableFuture<ChatResponse> done : pending) {
      assertThat(done.get(30, TimeUnit.SECONDS).aiMessage().text()).isEqualTo("Hi");
    }
  }

  @Test
  void aStreamTheAppCancelsEarlyEndsInExactlyOneEventChargedForWhatWasRead() throws Exception {
    List<String> words = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      words.add("word" + i + " ");
    }
    // Sent slowly, so the cancellation lands while the backend is still streaming.
    backend.enqueue(sse(stream(words, 9, 200)).throttleBody(256, 20, TimeUnit.MILLISECONDS));
    StreamingChatModel model =
        OpenAiStreamingChatModel.builder()
            .httpClientBuilder(GovernedHttpClientBuilder.of(gateway().build()))
            .baseUrl(backend.url("/v1").toString())
            .apiKey("sk-test-not-a-real-key")
            .modelName("gpt-4o")
            .customHeaders(Map.of("x-consumer-id", "team-a"))
            .build();
    List<String> partials = new CopyOnWriteArrayList<>();
    CountDownLatch cancelled = new CountDownLatch(1);

    model.chat(
        "Say hello",
        new StreamingChatResponseHandler() {
          @Override
          public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
            partials.add(partial.text());
            if (partials.size() == 2) {
              context.streamingHandle().cancel();
              cancelled.countDown();
            }
          }

          @Override
          public void onCompleteResponse(ChatResponse response) {}

          @Override
          public void onError(Throwable error) {}
        });

    assertThat(cancelled.await(20, TimeUnit.SECONDS)).isTrue();
    GatewayEvent event = awaitEvents(1).get(0);
    Thread.sleep(300);
    assertThat(events).hasSize(1);
    assertThat(event.stream()).isTrue();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    // Charged on the text the app read (the default ClosedStreamCharge), not the 200 the backend
    // would have reported at the end, and not nothing.
    assertThat(event.usage().tokens().outputTokens()).isPositive().isLessThan(200);
    assertThat(partials.size()).isLessThan(200);
  }

  @Test
  void aRedirectIsNotFollowedAsUnderLangChain4jsOwnClientSoNoKeyGoesElsewhere() throws Exception {
    // LangChain4j's own HTTP client (the JDK's, whose default is never to follow) answers a
    // redirect with the redirect. OkHttp would follow it to another origin with every header but
    // Authorization: a model's api-key or x-api-key (Azure-style and Anthropic-style keys, which
    // LangChain4j models send) would go to wherever the redirect points.
    try (MockWebServer elsewhere = new MockWebServer()) {
      elsewhere.start();
      for (int i = 0; i < 2; i++) {
        backend.enqueue(
            new MockResponse()
                .setResponseCode(307)
                .setHeader("Location", elsewhere.url("/v1/chat/completions").toString()));
        elsewhere.enqueue(json(completion("Hi from elsewhere", 9, 3)));
      }
      OpenAiChatModel.OpenAiChatModelBuilder model =
          OpenAiChatModel.builder()
              .baseUrl(backend.url("/v1").toString())
              .apiKey("sk-test-not-a-real-key")
              .modelName("gpt-4o")
              .maxRetries(0)
              .customHeaders(Map.of("x-consumer-id", "team-a", "api-key", "azure-key-not-real"));

      Throwable underOwn = catchThrowable(() -> model.build().chat("Say hello"));
      Throwable governed =
          catchThrowable(
              () ->
                  model
                      .httpClientBuilder(GovernedHttpClientBuilder.of(gateway().build()))
                      .build()
                      .chat("Say hello"));

      assertThat(underOwn).as("under LangChain4j's own client").isNotNull();
      assertThat(governed)
          .as("the governed client answers the redirect as LangChain4j's own client does")
          .isNotNull()
          .hasSameClassAs(underOwn);
      assertThat(elsewhere.getRequestCount()).as("requests sent to the redirect's target").isZero();
      assertThat(backend.takeRequest(5, TimeUnit.SECONDS).getHeader("api-key"))
          .isEqualTo("azure-key-not-real");
    }
  }

  @Test
  void aStreamCancelledFromAnotherThreadWhileItsReaderWaitsEndsAtOnce() throws Exception {
    // An application keeps the StreamingHandle and cancels from another thread (a "stop" button)
    // while the stream's reader waits for the backend's next chunk. LangChain4j's cancel() closes
    // the body's stream from that thread; the read must end then, not when the backend sends more
    // or the read timeout (two minutes here) fires, and the call must end in one CANCELLED event.
    String body = stream(List.of("Hel", "lo", " there"), 9, 3);
    String head = body.substring(0, body.indexOf("data:", body.indexOf("data:") + 1));
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Boolean> connectionClosed =
          CompletableFuture.supplyAsync(() -> streamThenAwaitClose(server, head, body.length()));
      StreamingChatModel model =
          OpenAiStreamingChatModel.builder()
              .httpClientBuilder(GovernedHttpClientBuilder.of(gateway().build()))
              .baseUrl("http://127.0.0.1:" + server.getLocalPort() + "/v1")
              .apiKey("sk-test-not-a-real-key")
              .modelName("gpt-4o")
              .timeout(Duration.ofMinutes(2))
              .customHeaders(Map.of("x-consumer-id", "team-a"))
              .build();
      CompletableFuture<StreamingHandle> firstPartial = new CompletableFuture<>();
      List<String> endings = new CopyOnWriteArrayList<>();

      model.chat(
          "Say hello",
          new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
              firstPartial.complete(context.streamingHandle());
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
              endings.add("completed");
            }

            @Override
            public void onError(Throwable error) {
              endings.add("error: " + error);
            }
          });
      StreamingHandle handle = firstPartial.get(20, TimeUnit.SECONDS);
      CompletableFuture<Void> cancelled = CompletableFuture.runAsync(handle::cancel);

      assertThat(catchThrowable(() -> cancelled.get(20, TimeUnit.SECONDS)))
          .as("cancel() from another thread while the reader waits for the backend")
          .isNull();
      assertThat(connectionClosed.get(30, TimeUnit.SECONDS))
          .as("the connection is closed at the cancel, not at the read timeout")
          .isTrue();
      GatewayEvent event = awaitEvents(1).get(0);
      assertThat(event.stream()).isTrue();
      assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
      Thread.sleep(300);
      assertThat(events).hasSize(1);
      assertThat(endings)
          .as("a cancelled stream neither completes nor fails: the application stopped it")
          .isEmpty();
    }
  }

  /**
   * Answers one request with the first {@code head} of a stream {@code length} bytes long, then
   * sends nothing more and waits up to a minute for the client to close the connection: true when
   * it did.
   */
  private static boolean streamThenAwaitClose(ServerSocket server, String head, int length) {
    try (Socket socket = server.accept()) {
      socket.setSoTimeout(60_000);
      InputStream in = socket.getInputStream();
      int last = 0;
      for (int b; (b = in.read()) != -1; ) { // to the end of the request's headers
        last = (last << 8 | b) & 0xFFFFFFFF;
        if (last == 0x0D0A0D0A) {
          break;
        }
      }
      OutputStream out = socket.getOutputStream();
      out.write(
          ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: "
                  + length
                  + "\r\n\r\n"
                  + head)
              .getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (in.read() != -1) {
        // the rest of the request body; then the end of the stream once the client closes it
      }
      return true;
    } catch (IOException stillOpen) {
      return false;
    }
  }

  @Test
  void moreStreamsThanOkHttpsPerHostLimitAllStreamAtOnce() throws Exception {
    List<String> words = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      words.add("word" + i + " ");
    }
    // Each stream lasts about ten seconds: its first chunk comes at once, the rest slowly.
    String body = stream(words, 9, 200);
    backend.setDispatcher(
        new okhttp3.mockwebserver.Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return sse(body).throttleBody(256, 100, TimeUnit.MILLISECONDS);
          }
        });
    StreamingChatModel model =
        OpenAiStreamingChatModel.builder()
            .httpClientBuilder(GovernedHttpClientBuilder.of(gateway().build()))
            .baseUrl(backend.url("/v1").toString())
            .apiKey("sk-test-not-a-real-key")
            .modelName("gpt-4o")
            .customHeaders(Map.of("x-consumer-id", "team-a"))
            .build();
    // One more stream than OkHttp runs at once per host (5) for calls still in their callback.
    int streams = 6;
    CountDownLatch started = new CountDownLatch(streams);
    List<dev.langchain4j.model.chat.response.StreamingHandle> handles =
        new CopyOnWriteArrayList<>();
    for (int i = 0; i < streams; i++) {
      model.chat(
          "Say hello",
          new StreamingChatResponseHandler() {
            private boolean first = true;

            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
              if (first) {
                first = false;
                handles.add(context.streamingHandle());
                started.countDown();
              }
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {}

            @Override
            public void onError(Throwable error) {}
          });
    }

    boolean allStarted = started.await(5, TimeUnit.SECONDS);
    handles.forEach(dev.langchain4j.model.chat.response.StreamingHandle::cancel);

    assertThat(allStarted).as("every stream's first partial within 5 s").isTrue();
    assertThat(backend.getRequestCount()).isEqualTo(streams);
    assertThat(awaitEvents(streams)).hasSize(streams);
  }

  @Test
  void aTimedOutCallIsLangChain4jsTimeoutExceptionAsUnderItsOwnHttpClient() throws Exception {
    // LangChain4j's own (JDK) HTTP client reports a timeout as its TimeoutException, which
    // applications catch by that type; a timeout is not a generic I/O failure.
    backend.enqueue(json(completion("Too late", 7, 1)).setHeadersDelay(5, TimeUnit.SECONDS));
    backend.enqueue(
        sse(stream(List.of("Too", " late"), 7, 2)).setHeadersDelay(5, TimeUnit.SECONDS));
    AiGateway gateway = gateway().build();
    ChatModel model =
        OpenAiChatModel.builder()
            .httpClientBuilder(GovernedHttpClientBuilder.of(gateway))
            .baseUrl(backend.url("/v1").toString())
            .apiKey("sk-test-not-a-real-key")
            .modelName("gpt-4o")
            .maxRetries(0)
            .timeout(Duration.ofMillis(300))
            .build();
    StreamingChatModel streaming =
        OpenAiStreamingChatModel.builder()
            .httpClientBuilder(GovernedHttpClientBuilder.of(gateway))
            .baseUrl(backend.url("/v1").toString())
            .apiKey("sk-test-not-a-real-key")
            .modelName("gpt-4o")
            .timeout(Duration.ofMillis(300))
            .build();

    assertThatThrownBy(() -> model.chat("Say hello"))
        .isInstanceOf(dev.langchain4j.exception.TimeoutException.class);
    CompletableFuture<Throwable> streamError = new CompletableFuture<>();
    streaming.chat(
        "Say hello",
        new StreamingChatResponseHandler() {
          @Override
          public void onCompleteResponse(ChatResponse response) {
            streamError.complete(null);
          }

          @Override
          public void onError(Throwable error) {
            streamError.complete(error);
          }
        });
    assertThat(streamError.get(20, TimeUnit.SECONDS))
        .isInstanceOf(dev.langchain4j.exception.TimeoutException.class);
  }

  @Test
  void aStreamThatBreaksOffMidwayEndsInItsErrorAloneNotAlsoInACompletion() throws Exception {
    // The backend drops the connection halfway through the stream: the handler must get the
    // error, and not also a completion built from the partials read so far (which an application
    // would take for the whole answer).
    List<String> words = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      words.add("word" + i + " ");
    }
    backend.enqueue(
        sse(stream(words, 9, 40))
            .setSocketPolicy(okhttp3.mockwebserver.SocketPolicy.DISCONNECT_DURING_RESPONSE_BODY));
    List<String> endings = new CopyOnWriteArrayList<>();

    streamingModel(Duration.ofSeconds(10)).chat("Say hello", recordingEndings(endings));

    Waiting.forSize(endings, 1, Duration.ofSeconds(20));
    GatewayEvent event = awaitEvents(1).get(0);
    Thread.sleep(300); // anything the stream would still deliver
    assertThat(endings).as("how the stream ended, as the handler saw it").hasSize(1);
    assertThat(endings.get(0)).startsWith("error: ");
    assertThat(events).hasSize(1);
    assertThat(event.stream()).isTrue();
    assertThat(event.outcome()).isNotEqualTo(CallOutcome.SUCCESS);
  }

  @Test
  void aStreamWhoseBackendFallsSilentMidwayIsLangChain4jsTimeoutExceptionAlone() throws Exception {
    // The backend sends the first chunk and then nothing within the read timeout: as before the
    // answer's headers, the handler gets LangChain4j's TimeoutException, and no completion.
    String body = stream(List.of("Too", " late", " again"), 7, 3);
    int head = body.indexOf("data:", body.indexOf("data:") + 1);
    backend.enqueue(sse(body).throttleBody(head, 5, TimeUnit.SECONDS));
    List<String> endings = new CopyOnWriteArrayList<>();

    streamingModel(Duration.ofMillis(500)).chat("Say hello", recordingEndings(endings));

    Waiting.forSize(endings, 1, Duration.ofSeconds(20));
    awaitEvents(1);
    Thread.sleep(300); // anything the stream would still deliver
    assertThat(endings)
        .as("how the stream ended, as the handler saw it")
        .containsExactly("error: " + dev.langchain4j.exception.TimeoutException.class.getName());
    assertThat(events).hasSize(1);
  }

  @Test
  void aStreamedAnswerTheGatewayStopsMidwayEndsInContentFilteredExceptionNotACompletion()
      throws Exception {
    // A content check stops the answer midway: the gateway ends the stream with its error event
    // (data: {"error":{...,"code":"content_filter"}}), which openai-java raises; the handler must
    // get an error, not a completion that passes the text before the block off as the answer.
    backend.enqueue(sse(stream(List.of("The plan:", " is secret", " and more"), 9, 3)));
    StreamingChatModel model =
        OpenAiStreamingChatModel.builder()
            .httpClientBuilder(
                GovernedHttpClientBuilder.of(
                    gateway()
                        .contentSafety(
                            dev.aigateway.core.safety.ContentSafety.builder()
                                .denyWords("secret")
                                .screenAnswers(8, 4))
                        .build()))
            .baseUrl(backend.url("/v1").toString())
            .apiKey("sk-test-not-a-real-key")
            .modelName("gpt-4o")
            .customHeaders(Map.of("x-consumer-id", "team-a"))
            .build();
    List<String> endings = new CopyOnWriteArrayList<>();

    model.chat("Say hello", recordingEndings(endings));

    Waiting.forSize(endings, 1, Duration.ofSeconds(20));
    GatewayEvent event = awaitEvents(1).get(0);
    Thread.sleep(300); // anything the stream would still deliver
    assertThat(endings)
        .as("how the stream ended, as the handler saw it")
        .containsExactly("error: " + GatewayContentFilteredException.class.getName());
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
  }

  @Test
  void theThreadsAStreamIsReadOnDoNotKeepTheJvmAliveAfterMainReturns() throws Exception {
    backend.enqueue(sse(stream(List.of("Hel", "lo"), 9, 2)));
    List<Boolean> daemon = new CopyOnWriteArrayList<>();
    CompletableFuture<ChatResponse> done = new CompletableFuture<>();

    streamingModel(Duration.ofSeconds(20))
        .chat(
            "Say hello",
            new StreamingChatResponseHandler() {
              @Override
              public void onPartialResponse(String partial) {
                daemon.add(Thread.currentThread().isDaemon());
              }

              @Override
              public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
              }

              @Override
              public void onError(Throwable error) {
                done.completeExceptionally(error);
              }
            });

    done.get(20, TimeUnit.SECONDS);
    assertThat(daemon).as("each partial answer's thread is a daemon").containsExactly(true, true);
  }

  private StreamingChatModel streamingModel(Duration timeout) {
    return OpenAiStreamingChatModel.builder()
        .httpClientBuilder(GovernedHttpClientBuilder.of(gateway().build()))
        .baseUrl(backend.url("/v1").toString())
        .apiKey("sk-test-not-a-real-key")
        .modelName("gpt-4o")
        .timeout(timeout)
        .customHeaders(Map.of("x-consumer-id", "team-a"))
        .build();
  }

  /** A handler that adds "completed" or "error: " and the error's class to {@code endings}. */
  private static StreamingChatResponseHandler recordingEndings(List<String> endings) {
    return new StreamingChatResponseHandler() {
      @Override
      public void onCompleteResponse(ChatResponse response) {
        endings.add("completed: " + response.aiMessage().text());
      }

      @Override
      public void onError(Throwable error) {
        endings.add("error: " + error.getClass().getName());
      }
    };
  }

  @Test
  void aRepeatedCallIsAnsweredFromTheCache() {
    backend.enqueue(json(completion("Cached", 12, 3)));
    ChatModel model = chatModel(gateway().responseCache(ResponseCache.builder()).build(), 0);

    String first = model.chat("Say hello");
    String second = model.chat("Say hello");

    assertThat(second).isEqualTo(first);
    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(awaitEvents(2).get(1).cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
  }

  @Test
  void aRateLimitThatCanClearSoonIsLangChain4jsRetriedRateLimitException() {
    backend.enqueue(json(completion("first", 40, 10)));
    backend.enqueue(json(completion("second", 40, 10)));
    AiGateway gateway =
        gateway()
            // a window long enough that the second call is refused even on a loaded machine,
            // short enough that the wait (about half of it) is within what the SDK retries
            .tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofSeconds(4)))
            .build();
    ChatModel model = chatModel(gateway, 2);
    model.chat("Say hello");

    String second = model.chat("Say hello");

    // rejected once, then admitted on LangChain4j's own retry
    assertThat(second).isEqualTo("second");
    List<GatewayEvent> all = awaitEvents(3);
    assertThat(all.get(1).rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
    assertThat(all.get(2).outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @Test
  void aRateLimitWaitLongerThanLangChain4jsBackoffIsNotRetriedIntoTheSameRejection()
      throws Exception {
    backend.enqueue(json(completion("first", 80, 10)));
    backend.enqueue(json(completion("second", 40, 10)));
    // a wait of about 4 s (49 tokens short at 100 per 8 s): beyond the about 2.5 s that
    // LangChain4j's two default retries wait in all, on its own backoff
    AiGateway gateway =
        gateway()
            .tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofSeconds(8)))
            .build();
    ChatModel model = chatModel(gateway, 2);
    model.chat("Say hello");

    try {
      assertThat(model.chat("Say hello")).isEqualTo("second");
    } catch (GatewayRejectionException rejected) {
      assertThat(rejected.statusCode()).isEqualTo(429);
      assertThat(rejected.retryAfter()).isPositive();
    }

    Thread.sleep(300);
    // one answered, one rejected, and at most the one retry that is then admitted: no retry sent
    // into the same rejection
    assertThat(events.stream().filter(e -> e.rejection() != null).count()).isLessThanOrEqualTo(1);
  }

  @Test
  void aRateLimitThatCannotClearSoonFailsAtOnceWithoutRetries() throws Exception {
    backend.enqueue(json(completion("first", 40, 10)));
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofHours(1))).build();
    ChatModel model = chatModel(gateway, 2);
    model.chat("Say hello");

    assertThatThrownBy(() -> model.chat("Say hello"))
        .isInstanceOf(GatewayRejectionException.class)
        .satisfies(e -> assertThat(((GatewayRejectionException) e).statusCode()).isEqualTo(429));

    Thread.sleep(300);
    assertThat(events).hasSize(2); // one answered, one rejected: no retry
    assertThat(backend.getRequestCount()).isEqualTo(1);
  }

  @Test
  void aSpentQuotaFailsAtOnceWithoutRetries() throws Exception {
    backend.enqueue(json(completion("first", 40, 10)));
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().quota(60, QuotaPeriod.MONTHLY)).build();
    ChatModel model = chatModel(gateway, 2);
    model.chat("Say hello");

    assertThatThrownBy(() -> model.chat("Say hello"))
        .isInstanceOf(GatewayRejectionException.class)
        .satisfies(e -> assertThat(((GatewayRejectionException) e).statusCode()).isEqualTo(403));

    Thread.sleep(300);
    assertThat(events).hasSize(2);
  }

  @Test
  void aGatewayThatThrowsOnRejectionGivesTheSameErrors() {
    backend.enqueue(json(completion("first", 40, 10)));
    backend.enqueue(json(completion("second", 40, 10)));
    AiGateway gateway =
        gateway()
            .throwOnRejection(true)
            .tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofSeconds(1)))
            .build();
    ChatModel model = chatModel(gateway, 0);
    model.chat("Say hello");

    assertThatThrownBy(() -> model.chat("Say hello")).isInstanceOf(RateLimitException.class);
  }

  // ---------------------------------------------------------------------------- helpers

  private List<GatewayEvent> awaitEvents(int count) {
    List<GatewayEvent> seen = Waiting.forSize(events, count, Duration.ofSeconds(5));
    assertThat(seen).hasSizeGreaterThanOrEqualTo(count);
    return seen;
  }

  private static MockResponse json(String body) {
    return new MockResponse().setHeader("content-type", "application/json").setBody(body);
  }

  private static MockResponse sse(String body) {
    return new MockResponse().setHeader("content-type", "text/event-stream").setBody(body);
  }
}
