package dev.aigateway.openai;

import static dev.aigateway.testing.OpenAiBodies.completion;
import static dev.aigateway.testing.OpenAiBodies.stream;
import static dev.aigateway.testing.SingleConnectionServer.answerOnceThenAwaitClose;
import static dev.aigateway.testing.SingleConnectionServer.streamThenAwaitClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.openai.client.OpenAIClient;
import com.openai.client.OpenAIClientAsync;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.ClientOptions;
import com.openai.core.http.AsyncStreamResponse;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.models.ChatModel;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.Closing;
import dev.aigateway.testing.ManualClock;
import dev.aigateway.testing.Waiting;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real OpenAI Java SDK (its jars from Maven Central, on its own OkHttp 4.12.0) calling a local
 * OpenAI-shaped backend through the gateway: answers, streams, rejections as the SDK's own errors,
 * cache hits, streams closed early.
 */
class GovernedOpenAiTest {

  private static final ChatCompletionCreateParams PARAMS =
      ChatCompletionCreateParams.builder()
          .model(ChatModel.GPT_4O)
          .addUserMessage("Say hello")
          .maxCompletionTokens(50)
          .build();

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

  private ClientOptions.Builder options() {
    return ClientOptions.builder()
        .baseUrl(backend.url("/v1").toString())
        .apiKey("sk-test-not-a-real-key")
        .putHeader("x-consumer-id", "team-a");
  }

  // ---------------------------------------------------------------------------- answers

  @Test
  void aNonStreamedCallIsAnsweredAndSettledOnTheReportedUsage() throws Exception {
    backend.enqueue(json(completion("Hello there", 12, 3)));
    OpenAIClient client = GovernedOpenAi.client(gateway().build(), options());

    ChatCompletion completion = client.chat().completions().create(PARAMS);

    assertThat(completion.choices().get(0).message().content()).contains("Hello there");
    assertThat(completion.usage().get().totalTokens()).isEqualTo(15);
    GatewayEvent event = onlyEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.consumer()).isEqualTo("team-a");
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(15);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    RecordedRequest sent = backend.takeRequest();
    assertThat(sent.getHeader("x-consumer-id")).isNull(); // the gateway's header stays local
    assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer sk-test-not-a-real-key");
  }

  @Test
  void aCallWhoseConnectionDropsIsNotSentAgainBehindTheSdksRetriesAsUnderItsOwnClient()
      throws Exception {
    // The SDK's own OkHttp client turns OkHttp's silent retry on a connection failure off: the
    // SDK retries itself, counted and bounded by maxRetries, and a completion the backend may
    // already have received is not sent again behind its back (nor behind the gateway's).
    backend.enqueue(json(completion("first", 9, 2)));
    backend.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST));
    backend.enqueue(json(completion("sent again", 9, 2)));
    OpenAIClient client = GovernedOpenAi.client(gateway().build(), options().maxRetries(0));
    client.chat().completions().create(PARAMS); // its connection is pooled, dropped on the next

    assertThatThrownBy(() -> client.chat().completions().create(PARAMS))
        .isInstanceOf(OpenAIIoException.class);
    assertThat(backend.getRequestCount()).as("requests the backend received").isEqualTo(2);
  }

  @Test
  void theOkHttpClientItMakesDoesNotRetryAConnectionFailureItselfAsTheSdksOwnClient() {
    OkHttpClient sdks = sdksOwnOkHttpClient();
    OkHttpClient ours = GovernedOpenAi.ownedOkHttpClient();

    assertThat(ours.retryOnConnectionFailure())
        .as("retry on connection failure")
        .isEqualTo(sdks.retryOnConnectionFailure());
    assertThat(ours.dispatcher().getMaxRequestsPerHost())
        .as("calls to one host at once")
        .isEqualTo(sdks.dispatcher().getMaxRequestsPerHost());
  }

  /** The OkHttp client inside the SDK's own {@code com.openai.client.okhttp.OkHttpClient}. */
  private static OkHttpClient sdksOwnOkHttpClient() {
    com.openai.client.okhttp.OkHttpClient own =
        com.openai.client.okhttp.OkHttpClient.builder().build();
    try {
      return own.getOkHttpClient$openai_java_client_okhttp();
    } finally {
      own.close();
    }
  }

  @Test
  void closingAClientOnAnOkHttpClientItMadeReleasesItsConnectionsAsTheSdksOwnClientDoes()
      throws Exception {
    // GovernedOpenAi.client(gateway, ..) makes its own OkHttp client; the SDK's own client closes
    // its idle connections and stops its dispatcher when the SDK client is closed.
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Boolean> closedByTheClient =
          CompletableFuture.supplyAsync(
              () -> answerOnceThenAwaitClose(server, completion("Hi", 7, 1)));
      OpenAIClient client =
          GovernedOpenAi.client(
              gateway().build(),
              ClientOptions.builder()
                  .baseUrl("http://127.0.0.1:" + server.getLocalPort() + "/v1")
                  .apiKey("sk-test-not-a-real-key")
                  .putHeader("x-consumer-id", "team-a"));

      assertThat(client.chat().completions().create(PARAMS).choices()).hasSize(1);
      client.close();

      assertThat(closedByTheClient.get(30, TimeUnit.SECONDS))
          .as("the pooled connection is closed when the SDK client is")
          .isTrue();
    }
  }

  @Test
  void anAsyncClientIsGovernedToo() throws Exception {
    backend.enqueue(json(completion("Hi", 7, 1)));
    OpenAIClientAsync client = GovernedOpenAi.clientAsync(gateway().build(), options());

    ChatCompletion completion =
        client.chat().completions().create(PARAMS).get(60, TimeUnit.SECONDS);

    assertThat(completion.choices().get(0).message().content()).contains("Hi");
    assertThat(onlyEvent().usage().tokens().totalTokens()).isEqualTo(8);
  }

  @Test
  void anAsyncClientRunsMoreThanFiveCallsToItsHostAtOnceAsTheSdksOwnClientDoes() throws Exception {
    // OkHttp runs at most 5 asynchronous calls per host unless told otherwise; the SDK's own
    // OkHttp client lets all of its dispatcher's calls (64) go to its one host. The backend holds
    // each answer until 8 calls are in flight together (or 20 s pass).
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
            return json(completion("Hi", 7, 1));
          }
        });
    OpenAIClientAsync client = GovernedOpenAi.clientAsync(gateway().build(), options());

    List<CompletableFuture<ChatCompletion>> pending = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      pending.add(client.chat().completions().create(PARAMS));
    }

    allInFlight.await(20, TimeUnit.SECONDS);
    assertThat(mostInFlight.get()).as("calls at the backend at once").isEqualTo(calls);
    for (CompletableFuture<ChatCompletion> answer : pending) {
      assertThat(answer.get(60, TimeUnit.SECONDS).choices().get(0).message().content())
          .contains("Hi");
    }
    client.close();
  }

  @Test
  void anAsyncCallTheApplicationCancelsIsStillEndedAndSettled() throws Exception {
    // The SDK's future is built on the HTTP client's and does not pass a cancellation down: the
    // response still arrives, and nothing in the SDK reads or closes it.
    backend.enqueue(json(completion("Too late", 7, 1)).setHeadersDelay(300, TimeUnit.MILLISECONDS));
    OpenAIClientAsync client =
        GovernedOpenAi.clientAsync(
            gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000)).build(),
            options());

    CompletableFuture<ChatCompletion> pending = client.chat().completions().create(PARAMS);
    assertThat(pending.cancel(true)).isTrue();
    assertThat(backend.takeRequest(10, TimeUnit.SECONDS)).isNotNull();
    pending = null;

    // the response, unreachable and never closed, is closed when collected: the call ends (here
    // 8-12 s after the cancellation; the bound is for slow machines)
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (events.isEmpty() && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(50);
    }
    GatewayEvent event = onlyEvent();
    assertThat(event.limits().reservedTokens()).isPositive();
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
    assertThat(event.outcome()).isNotEqualTo(CallOutcome.SUCCESS);
  }

  @Test
  void aStreamedCallReachesTheAppChunkByChunkAndIsSettledOnReportedUsage() throws Exception {
    backend.enqueue(sse(stream(List.of("Hel", "lo", " there"), 9, 3)));
    OpenAIClient client = GovernedOpenAi.client(gateway().build(), options());

    List<String> pieces = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream =
        client.chat().completions().createStreaming(PARAMS)) {
      stream.stream()
          .forEach(
              chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(pieces::add)));
    }

    assertThat(String.join("", pieces)).isEqualTo("Hello there");
    GatewayEvent event = onlyEvent();
    assertThat(event.stream()).isTrue();
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(9);
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(3);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
  }

  @Test
  void aStreamTheAppClosesEarlyEndsInExactlyOneEvent() throws Exception {
    List<String> words = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      words.add("word" + i + " ");
    }
    backend.enqueue(sse(stream(words, 9, 200)));
    OpenAIClient client = GovernedOpenAi.client(gateway().build(), options());

    try (StreamResponse<ChatCompletionChunk> stream =
        client.chat().completions().createStreaming(PARAMS)) {
      Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
      chunks.next();
      chunks.next();
    }

    GatewayEvent event = awaitEvents(1).get(0);
    assertThat(event.stream()).isTrue();
    assertThat(event.outcome()).isIn(CallOutcome.SUCCESS, CallOutcome.CANCELLED);
    assertThat(events).hasSize(1);
  }

  @Test
  void aStreamClosedFromAnotherThreadReleasesItsBlockedReader() throws Exception {
    // An application stops a stream from another thread (a user pressing "stop") while its reader
    // waits for the next chunk: the close cancels the call, so the reader returns at once; here the
    // backend sends the first chunks, then nothing until the client closes the connection.
    String body = stream(List.of("Hel", "lo", " there"), 9, 3);
    String head = body.substring(0, body.indexOf("data:", body.indexOf("data:") + 1));
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Boolean> connectionClosed =
          CompletableFuture.supplyAsync(() -> streamThenAwaitClose(server, head, body.length()));
      OpenAIClient client =
          GovernedOpenAi.client(
              gateway().build(),
              options()
                  .baseUrl("http://127.0.0.1:" + server.getLocalPort() + "/v1")
                  .timeout(Duration.ofMinutes(2)));
      StreamResponse<ChatCompletionChunk> stream =
          client.chat().completions().createStreaming(PARAMS);
      CountDownLatch firstChunkRead = new CountDownLatch(1);
      CompletableFuture<Void> reader = new CompletableFuture<>();
      Thread readerThread =
          new Thread(
              () -> {
                try {
                  Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
                  while (chunks.hasNext()) {
                    chunks.next();
                    firstChunkRead.countDown();
                  }
                } catch (RuntimeException expected) {
                  // a stream closed under its reader ends in the SDK's I/O error
                }
                reader.complete(null);
              });
      readerThread.setDaemon(true);
      readerThread.start();

      assertThat(firstChunkRead.await(20, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Void> closed = CompletableFuture.runAsync(stream::close);

      assertThat(catchThrowable(() -> closed.get(20, TimeUnit.SECONDS)))
          .as("close() from another thread while the reader waits for the backend")
          .isNull();
      assertThat(catchThrowable(() -> reader.get(20, TimeUnit.SECONDS)))
          .as("the reader returned once its stream was closed")
          .isNull();
      assertThat(connectionClosed.get(30, TimeUnit.SECONDS))
          .as("the connection is closed")
          .isTrue();
      GatewayEvent event = awaitEvents(1).get(0);
      assertThat(event.stream()).isTrue();
      assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
      assertThat(events).hasSize(1);
    }
  }

  @Test
  void anAsyncStreamTheAppClosesWhileItWaitsForTheNextChunkEndsAtOnceInOneEvent() throws Exception {
    // The async client reads a stream on the SDK's own threads; the application's close comes from
    // another thread while that read waits for the backend.
    String body = stream(List.of("Hel", "lo", " there"), 9, 3);
    String head = body.substring(0, body.indexOf("data:", body.indexOf("data:") + 1));
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Boolean> connectionClosed =
          CompletableFuture.supplyAsync(() -> streamThenAwaitClose(server, head, body.length()));
      OpenAIClientAsync client =
          GovernedOpenAi.clientAsync(
              gateway().build(),
              options()
                  .baseUrl("http://127.0.0.1:" + server.getLocalPort() + "/v1")
                  .timeout(Duration.ofMinutes(2)));
      CountDownLatch firstChunkRead = new CountDownLatch(1);
      AsyncStreamResponse<ChatCompletionChunk> stream =
          client.chat().completions().createStreaming(PARAMS);
      stream.subscribe(chunk -> firstChunkRead.countDown());

      assertThat(firstChunkRead.await(20, TimeUnit.SECONDS)).isTrue();
      stream.close();

      assertThat(catchThrowable(() -> stream.onCompleteFuture().get(20, TimeUnit.SECONDS)))
          .as("the stream's end once the application closed it")
          .satisfiesAnyOf(
              t -> assertThat(t).isNull(),
              t -> assertThat(t).isInstanceOf(java.util.concurrent.ExecutionException.class));
      assertThat(connectionClosed.get(30, TimeUnit.SECONDS))
          .as("the connection is closed")
          .isTrue();
      GatewayEvent event = awaitEvents(1).get(0);
      assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
      assertThat(events).hasSize(1);
      client.close();
    }
  }

  @Test
  void aRepeatedCallIsAnsweredFromTheCacheAndTheSdkReadsItAlike() throws Exception {
    backend.enqueue(json(completion("Cached answer", 12, 3)));
    OpenAIClient client =
        GovernedOpenAi.client(gateway().responseCache(ResponseCache.builder()).build(), options());

    ChatCompletion first = client.chat().completions().create(PARAMS);
    ChatCompletion second = client.chat().completions().create(PARAMS);

    assertThat(second.choices().get(0).message().content())
        .isEqualTo(first.choices().get(0).message().content());
    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(awaitEvents(2).get(1).cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
  }

  @Test
  void aRedirectToAnotherOriginCarriesNoKeyAsUnderTheSdksOwnClient() throws Exception {
    // openai-java's own OkHttp client removes Authorization and api-key (Azure's key header) from a
    // request redirected to another origin; OkHttp alone removes only Authorization.
    MockWebServer elsewhere = new MockWebServer();
    elsewhere.start();
    try {
      elsewhere.enqueue(json(completion("Moved", 10, 2)));
      elsewhere.enqueue(json(completion("Moved", 10, 2)));
      String moved = elsewhere.url("/openai/v1/chat/completions").toString();
      backend.enqueue(new MockResponse().setResponseCode(307).setHeader("Location", moved));
      backend.enqueue(new MockResponse().setResponseCode(307).setHeader("Location", moved));
      OpenAIClient azure =
          GovernedOpenAi.client(
              gateway().build(),
              ClientOptions.builder()
                  .baseUrl(backend.url("/openai/v1").toString())
                  .apiKey("azure-key-not-real")
                  .putHeader("api-key", "azure-key-not-real")
                  .putHeader("x-consumer-id", "team-a"));
      OpenAIClient openAi = GovernedOpenAi.client(gateway().build(), options());

      assertThat(azure.chat().completions().create(PARAMS).choices().get(0).message().content())
          .contains("Moved");
      assertThat(openAi.chat().completions().create(PARAMS).choices().get(0).message().content())
          .contains("Moved");

      assertThat(backend.takeRequest().getHeader("api-key")).isEqualTo("azure-key-not-real");
      for (int i = 0; i < 2; i++) {
        RecordedRequest redirected = elsewhere.takeRequest(5, TimeUnit.SECONDS);
        assertThat(redirected.getHeader("api-key")).isNull();
        assertThat(redirected.getHeader("Authorization")).isNull();
      }
    } finally {
      elsewhere.shutdown();
    }
  }

  @Test
  void aRequestIsSentAsTheApplicationsInterceptorsPassedItOnWithNoCopyOfItsOwn() throws Exception {
    // Keeping keys at their origin needs the origin each attempt leaves for, not a copy of each
    // request to carry it: the request OkHttp sends (the one its response names) is the very one
    // an interceptor after the gateway's passed on.
    backend.enqueue(json(completion("Hello there", 12, 3)));
    List<Boolean> sentAsPassedOn = new CopyOnWriteArrayList<>();
    OkHttpClient wrapped =
        OkHttpAiGateway.wrap(new OkHttpClient(), gateway().build())
            .newBuilder()
            .addInterceptor(
                chain -> {
                  Response response = chain.proceed(chain.request());
                  sentAsPassedOn.add(response.request() == chain.request());
                  return response;
                })
            .build();

    GovernedOpenAi.client(wrapped, options()).chat().completions().create(PARAMS);

    assertThat(sentAsPassedOn).containsExactly(true);
    assertThat(backend.takeRequest().getHeader("Authorization"))
        .isEqualTo("Bearer sk-test-not-a-real-key");
  }

  @Test
  void azureOpenAiBaseUrlsAreGovernedAlike() throws Exception {
    backend.enqueue(json(completion("From Azure", 10, 2)));
    OpenAIClient client =
        GovernedOpenAi.client(
            gateway().build(),
            ClientOptions.builder()
                .baseUrl(backend.url("/openai/v1").toString())
                .apiKey("azure-key-not-real")
                .putHeader("x-consumer-id", "team-a"));

    client.chat().completions().create(PARAMS);

    assertThat(backend.takeRequest().getPath()).startsWith("/openai/v1/chat/completions");
    GatewayEvent event = onlyEvent();
    assertThat(event.requestedModel()).isEqualTo("gpt-4o");
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(12);
  }

  // ------------------------------------------------------------------------- rejections

  @Test
  void aRateLimitWithinTheSdksWaitIsWaitedOutOnceAndThenAnswered() throws Exception {
    backend.enqueue(json(completion("first", 40, 10)));
    backend.enqueue(json(completion("second", 40, 10)));
    // 100 tokens per second: the first call's estimate and usage leave too little for the second
    // for 90 ms, a wait the SDK honours exactly. The limit's clock stands still but for that wait
    // (a slow machine's own pauses would refill the bucket and let the second call through), and
    // moves on when the gateway rejects the call, as the wait would.
    ManualClock clock = ManualClock.at("2026-01-05T10:00:00Z");
    AiGateway gateway =
        AiGateway.builder()
            .clock(clock)
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .listener(
                event -> {
                  events.add(event);
                  if (event.rejection() != null) {
                    clock.advance(Duration.ofSeconds(1));
                  }
                })
            .tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofSeconds(1)))
            .build();
    OpenAIClient client = GovernedOpenAi.client(gateway, options().maxRetries(2));

    client.chat().completions().create(PARAMS);
    long start = System.nanoTime();
    ChatCompletion second = client.chat().completions().create(PARAMS);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(second.choices().get(0).message().content()).contains("second");
    assertThat(backend.getRequestCount()).isEqualTo(2);
    List<GatewayEvent> all = awaitEvents(3);
    assertThat(all.get(1).rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
    assertThat(all.get(2).outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(took).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void aRateLimitBeyondTheSdksWaitFailsAtOnceAsRateLimitException() {
    backend.enqueue(json(completion("first", 40, 10)));
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofHours(1))).build();
    OpenAIClient client = GovernedOpenAi.client(gateway, options().maxRetries(2));
    client.chat().completions().create(PARAMS);

    long start = System.nanoTime();
    assertThatThrownBy(() -> client.chat().completions().create(PARAMS))
        .isInstanceOf(RateLimitException.class);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(awaitEvents(2)).hasSize(2); // one admitted call, one rejection: no SDK retry
    assertThat(took).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void aRateLimitBeyondTheEightSecondsTheSdkWaitsFailsAtOnceInsteadOfRetryingIntoIt() {
    backend.enqueue(json(completion("first", 40, 10)));
    // one request per 30 s: the second call is told to wait about 30 s. openai-java waits at most
    // 8 s whatever the response declares, so a retry would come too early and be rejected again.
    AiGateway gateway =
        gateway()
            .tokenLimit(TokenLimit.perConsumer().requestsPer(1, Duration.ofSeconds(30)))
            .build();
    OpenAIClient client = GovernedOpenAi.client(gateway, options().maxRetries(2));
    client.chat().completions().create(PARAMS);

    long start = System.nanoTime();
    assertThatThrownBy(() -> client.chat().completions().create(PARAMS))
        .isInstanceOf(RateLimitException.class);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(took).isLessThan(Duration.ofSeconds(4));
    assertThat(awaitEvents(2).get(1).rejection()).isEqualTo(RejectionReason.REQUEST_RATE_LIMIT);
    assertThat(events).hasSize(2); // one admitted call, one rejection: no SDK retry
    assertThat(backend.getRequestCount()).isEqualTo(1);
  }

  @Test
  void aSpentQuotaFailsAtOnceWithoutRetries() {
    backend.enqueue(json(completion("first", 40, 10)));
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().quota(60, QuotaPeriod.MONTHLY)).build();
    OpenAIClient client = GovernedOpenAi.client(gateway, options().maxRetries(2));
    client.chat().completions().create(PARAMS);

    assertThatThrownBy(() -> client.chat().completions().create(PARAMS))
        .isInstanceOf(PermissionDeniedException.class);

    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(awaitEvents(2).get(1).rejection()).isEqualTo(RejectionReason.TOKEN_QUOTA);
    assertThat(events).hasSize(2);
  }

  @Test
  void aCallThatCanNeverFitFailsAtOnceWithoutReachingTheBackend() throws Exception {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPer(20, Duration.ofSeconds(1))).build();
    OpenAIClient client = GovernedOpenAi.client(gateway, options().maxRetries(2));

    assertThatThrownBy(() -> client.chat().completions().create(PARAMS))
        .isInstanceOf(RateLimitException.class)
        .hasMessageContaining("never");

    // one rejection and no SDK retry (a retry would be a second event)
    assertThat(backend.getRequestCount()).isZero();
    Thread.sleep(300);
    assertThat(events).hasSize(1);
  }

  @Test
  void aQuotaAnsweredAs429IsARateLimitExceptionWithoutRetries() throws Exception {
    backend.enqueue(json(completion("first", 40, 10)));
    AiGateway gateway =
        gateway()
            .quotaRejectionStatus(429)
            .tokenLimit(TokenLimit.perConsumer().quota(60, QuotaPeriod.MONTHLY))
            .build();
    OpenAIClient client = GovernedOpenAi.client(gateway, options().maxRetries(2));
    client.chat().completions().create(PARAMS);

    assertThatThrownBy(() -> client.chat().completions().create(PARAMS))
        .isInstanceOfSatisfying(
            RateLimitException.class, e -> assertThat(e.code()).contains("insufficient_quota"));

    Thread.sleep(300);
    assertThat(events).hasSize(2); // the window ends far beyond 60 s: no SDK retry
    assertThat(events.get(1).rejection()).isEqualTo(RejectionReason.TOKEN_QUOTA);
  }

  @Test
  void aThrownQuotaRejectionReachesTheSdkInTheProvidersErrorShape() {
    backend.enqueue(json(completion("first", 40, 10)));
    AiGateway gateway =
        gateway()
            .throwOnRejection(true)
            .quotaRejectionStatus(429)
            .tokenLimit(TokenLimit.perConsumer().quota(60, QuotaPeriod.MONTHLY))
            .build();
    OpenAIClient client = GovernedOpenAi.client(gateway, options().maxRetries(2));
    client.chat().completions().create(PARAMS);

    assertThatThrownBy(() -> client.chat().completions().create(PARAMS))
        .isInstanceOfSatisfying(
            RateLimitException.class,
            e -> {
              assertThat(e.code()).contains("insufficient_quota");
              assertThat(e.type()).contains("insufficient_quota");
            });
    assertThat(awaitEvents(2).get(1).rejection()).isEqualTo(RejectionReason.TOKEN_QUOTA);
  }

  @Test
  void aGatewayThatThrowsOnRejectionStillGivesTheSdkItsOwnErrorNotANetworkError() {
    backend.enqueue(json(completion("first", 40, 10)));
    AiGateway gateway =
        gateway()
            .throwOnRejection(true)
            .tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofHours(1)))
            .build();
    OpenAIClient client = GovernedOpenAi.client(gateway, options().maxRetries(2));
    client.chat().completions().create(PARAMS);

    assertThatThrownBy(() -> client.chat().completions().create(PARAMS))
        .isInstanceOf(RateLimitException.class)
        .isNotInstanceOf(OpenAIIoException.class);

    assertThat(awaitEvents(2)).hasSize(2);
  }

  @Test
  void theSdksOwnOkHttpClientOverAWrappedClientIsGovernedToo() throws Exception {
    backend.enqueue(json(completion("Hello", 5, 1)));
    OkHttpClient wrapped = OkHttpAiGateway.wrap(new OkHttpClient(), gateway().build());
    OpenAIClient client =
        OpenAIOkHttpClient.builder()
            .okHttpClient(wrapped)
            .baseUrl(backend.url("/v1").toString())
            .apiKey("sk-test-not-a-real-key")
            .putHeader("x-consumer-id", "team-a")
            .build();

    client.chat().completions().create(PARAMS);

    assertThat(onlyEvent().usage().tokens().totalTokens()).isEqualTo(6);
  }

  @Test
  void onTheShorterRoadTheSdkRetriesARejectionItCannotWaitOut() {
    backend.enqueue(json(completion("first", 40, 10)));
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofHours(1))).build();
    OpenAIClient client =
        OpenAIOkHttpClient.builder()
            .okHttpClient(OkHttpAiGateway.wrap(new OkHttpClient(), gateway))
            .baseUrl(backend.url("/v1").toString())
            .apiKey("sk-test-not-a-real-key")
            .putHeader("x-consumer-id", "team-a")
            .maxRetries(1)
            .build();
    client.chat().completions().create(PARAMS);

    long start = System.nanoTime();
    assertThatThrownBy(() -> client.chat().completions().create(PARAMS))
        .isInstanceOf(RateLimitException.class);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    // the first attempt and a retry after the SDK's own backoff (8 s at most), rejected again
    assertThat(awaitEvents(3)).hasSize(3);
    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(took).isGreaterThan(Duration.ofMillis(400));
  }

  // ---------------------------------------------------------------------------- timeouts

  @Test
  void theSdksTimeoutBeforeTheAnswerEndsTheCallFailedAsATimeout() throws Exception {
    backend.enqueue(json(completion("Too late", 7, 1)).setHeadersDelay(5, TimeUnit.SECONDS));
    OpenAIClient client =
        GovernedOpenAi.client(
            gateway().build(), options().timeout(Duration.ofMillis(500)).maxRetries(0));

    assertThatThrownBy(() -> client.chat().completions().create(PARAMS))
        .isInstanceOf(OpenAIIoException.class);
    GatewayEvent event = onlyEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertTimeout(event);
  }

  @Test
  void theSdksTimeoutWhileTheAnswerIsReadEndsTheCallTruncatedAsATimeout() throws Exception {
    backend.enqueue(json(completion("Too late", 7, 1)).setBodyDelay(5, TimeUnit.SECONDS));
    OpenAIClient client =
        GovernedOpenAi.client(
            gateway().build(), options().timeout(Duration.ofMillis(500)).maxRetries(0));

    long started = System.nanoTime();
    // the SDK reports a body it could not read as invalid data, the timeout as its cause
    assertThatThrownBy(() -> client.chat().completions().create(PARAMS))
        .isInstanceOf(OpenAIInvalidDataException.class)
        .hasCauseInstanceOf(InterruptedIOException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
    GatewayEvent event = onlyEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertTimeout(event);
  }

  /**
   * The SDK's timeout sets OkHttp's read and call timeouts alike, so either may fire first: the
   * event names OkHttp's call timeout ({@code InterruptedIOException}) or the socket's read timeout
   * ({@code SocketTimeoutException}, a subclass), never another failure.
   */
  private static void assertTimeout(GatewayEvent event) throws ClassNotFoundException {
    assertThat(InterruptedIOException.class.isAssignableFrom(Class.forName(event.errorType())))
        .as("error type %s is a timeout", event.errorType())
        .isTrue();
  }

  @Test
  void theSdksTimeoutsAreSentAsTheSdksOwnClientSendsThem() throws Exception {
    backend.enqueue(json(completion("Hi", 7, 1)));
    backend.enqueue(json(completion("Hi", 7, 1)));
    OpenAIClient governed =
        GovernedOpenAi.client(
            gateway().build(),
            options()
                .timeout(
                    com.openai.core.Timeout.builder()
                        .read(Duration.ofSeconds(42))
                        .request(Duration.ofSeconds(90))
                        .build()));
    OpenAIClient own =
        OpenAIOkHttpClient.builder()
            .baseUrl(backend.url("/v1").toString())
            .apiKey("sk-test-not-a-real-key")
            .timeout(
                com.openai.core.Timeout.builder()
                    .read(Duration.ofSeconds(42))
                    .request(Duration.ofSeconds(90))
                    .build())
            .build();

    governed.chat().completions().create(PARAMS);
    own.chat().completions().create(PARAMS);

    RecordedRequest viaGateway = backend.takeRequest();
    RecordedRequest viaSdk = backend.takeRequest();
    assertThat(viaSdk.getHeader("X-Stainless-Read-Timeout")).isEqualTo("42");
    assertThat(viaSdk.getHeader("X-Stainless-Timeout")).isEqualTo("90");
    assertThat(viaGateway.getHeader("X-Stainless-Read-Timeout")).isEqualTo("42");
    assertThat(viaGateway.getHeader("X-Stainless-Timeout")).isEqualTo("90");
  }

  @Test
  void aClientWithTelemetryDisabledSendsNoTimeoutHeadersAsTheSdksOwnClient() throws Exception {
    backend.enqueue(json(completion("Hi", 7, 1)));
    OpenAIClient governed =
        GovernedOpenAi.client(gateway().build(), options().disableTelemetry(true));

    governed.chat().completions().create(PARAMS);

    RecordedRequest sent = backend.takeRequest();
    assertThat(sent.getHeader("X-Stainless-Read-Timeout")).isNull();
    assertThat(sent.getHeader("X-Stainless-Timeout")).isNull();
  }

  // ---------------------------------------------------------------------------- helpers

  // ------------------------------------------------------------------ background responses

  private static String backgroundResponse(String status, String usage) {
    return "{\"id\":\"resp_bg1\",\"object\":\"response\",\"created_at\":1741476542,"
        + "\"status\":\""
        + status
        + "\",\"background\":true,\"error\":null,\"incomplete_details\":null,"
        + "\"instructions\":null,\"max_output_tokens\":300,\"model\":\"gpt-4.1-2025-04-14\","
        + "\"output\":[],\"parallel_tool_calls\":true,\"temperature\":1.0,"
        + "\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,\"metadata\":{},"
        + "\"usage\":"
        + usage
        + "}";
  }

  @Test
  void aBackgroundResponseIsSettledOnTheUsageItsRetrievalReports() throws Exception {
    backend.enqueue(json(backgroundResponse("queued", "null")));
    backend.enqueue(json(backgroundResponse("in_progress", "null")));
    backend.enqueue(
        json(
            backgroundResponse(
                "completed",
                "{\"input_tokens\":11,\"input_tokens_details\":{\"cached_tokens\":0},"
                    + "\"output_tokens\":25,\"output_tokens_details\":"
                    + "{\"reasoning_tokens\":0},\"total_tokens\":36}")));
    OpenAIClient client =
        GovernedOpenAi.client(
            gateway()
                .tokenLimit(TokenLimit.perConsumer().quota(1_000_000, QuotaPeriod.MONTHLY))
                .build(),
            options());

    com.openai.models.responses.Response queued =
        client
            .responses()
            .create(
                com.openai.models.responses.ResponseCreateParams.builder()
                    .model(ChatModel.GPT_4_1)
                    .input("Write a haiku")
                    .background(true)
                    .maxOutputTokens(300)
                    .build());
    assertThat(queued.id()).isEqualTo("resp_bg1");
    assertThat(client.responses().retrieve("resp_bg1").status())
        .hasValue(com.openai.models.responses.ResponseStatus.IN_PROGRESS);
    Thread.sleep(200);
    assertThat(events).isEmpty(); // the usage is still to come
    com.openai.models.responses.Response done = client.responses().retrieve("resp_bg1");

    assertThat(done.usage().get().totalTokens()).isEqualTo(36);
    GatewayEvent event = onlyEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(36);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.limits().settledTokens()).isEqualTo(36);
  }

  // ---------------------------------------------------------------------------- uploads

  private static final String FILE_OBJECT =
      "{\"id\":\"file-abc123\",\"object\":\"file\",\"bytes\":11,\"created_at\":1700000000,"
          + "\"filename\":\"notes.jsonl\",\"purpose\":\"batch\",\"status\":\"processed\"}";

  /** A stream an application uploads, which tells whether it was closed. */
  private static final class UploadStream extends FilterInputStream {
    final CountDownLatch closed = new CountDownLatch(1);

    UploadStream() {
      super(new ByteArrayInputStream("{\"a\":\"b\"}\n".getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void close() throws IOException {
      closed.countDown();
      super.close();
    }
  }

  @Test
  void anUploadedStreamIsClosedWhenTheCallEndsAsTheSdksOwnClientClosesIt() throws Exception {
    // The SDK hands its HTTP client a multipart body over the stream it was given (or opened, for
    // a Path), and its own OkHttp client closes that body once the call is made.
    backend.enqueue(json(FILE_OBJECT));
    backend.enqueue(json(FILE_OBJECT));
    UploadStream sync = new UploadStream();
    UploadStream async = new UploadStream();

    OpenAIClient client = GovernedOpenAi.client(gateway().build(), options());
    FileObject file =
        client
            .files()
            .create(FileCreateParams.builder().file(sync).purpose(FilePurpose.BATCH).build());
    FileObject later =
        GovernedOpenAi.clientAsync(gateway().build(), options())
            .files()
            .create(FileCreateParams.builder().file(async).purpose(FilePurpose.BATCH).build())
            .get(60, TimeUnit.SECONDS);

    assertThat(file.id()).isEqualTo("file-abc123");
    assertThat(later.id()).isEqualTo("file-abc123");
    assertThat(backend.takeRequest().getBody().readUtf8()).contains("{\"a\":\"b\"}");
    assertThat(sync.closed.getCount()).as("the stream of a sync upload is closed").isZero();
    assertThat(async.closed.await(5, TimeUnit.SECONDS))
        .as("the stream of an async upload is closed")
        .isTrue();
  }

  private GatewayEvent onlyEvent() {
    List<GatewayEvent> all = awaitEvents(1);
    assertThat(all).hasSize(1);
    return all.get(0);
  }

  /** Events are emitted when a call ends, which for a stream is when the SDK closes it. */
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
