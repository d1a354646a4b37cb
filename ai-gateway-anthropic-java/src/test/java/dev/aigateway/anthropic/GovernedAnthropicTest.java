package dev.aigateway.anthropic;

import static dev.aigateway.testing.AnthropicBodies.message;
import static dev.aigateway.testing.AnthropicBodies.stream;
import static dev.aigateway.testing.SingleConnectionServer.answerOnceThenAwaitClose;
import static dev.aigateway.testing.SingleConnectionServer.streamThenAwaitClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.anthropic.backends.AnthropicBackend;
import com.anthropic.client.AnthropicClient;
import com.anthropic.client.AnthropicClientAsync;
import com.anthropic.core.ClientOptions;
import com.anthropic.core.RequestOptions;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicIoException;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.PermissionDeniedException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.Operation;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.testing.Waiting;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real Anthropic Java SDK (its jars from Maven Central, on its own OkHttp 4.12.0) calling a
 * local backend that answers as Anthropic's API reference documents (messages, event streams),
 * through the gateway: answers, streams, rejections as the SDK's own errors, cache hits, streams
 * closed early, token counting passed through.
 */
class GovernedAnthropicTest {

  private static final MessageCreateParams PARAMS =
      MessageCreateParams.builder()
          .model("claude-sonnet-4-5")
          .maxTokens(50)
          .system("You are a scientist")
          .addUserMessage("Hello, Claude")
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
    backend.shutdown();
  }

  private AiGateway.Builder gateway() {
    return AiGateway.builder()
        .consumerKey(KeyResolvers.header("x-consumer-id"))
        .listener(events::add);
  }

  private ClientOptions.Builder options() {
    return ClientOptions.builder()
        .baseUrl(backend.url("/").toString())
        .putHeader("x-api-key", "sk-ant-test-not-a-real-key")
        .putHeader("x-consumer-id", "team-a")
        .timeout(Duration.ofSeconds(20)); // a test that goes wrong fails instead of hanging
  }

  // ---------------------------------------------------------------------------- answers

  @Test
  void aMessageIsAnsweredAndSettledOnTheReportedUsageWithItsCacheCounts() throws Exception {
    backend.enqueue(json(message("Hi! My name is Claude.", 21, 12, 300, 1_000)));
    AnthropicClient client = GovernedAnthropic.client(gateway().build(), options());

    Message answer = client.messages().create(PARAMS);

    assertThat(answer.content().get(0).text().get().text()).isEqualTo("Hi! My name is Claude.");
    GatewayEvent event = onlyEvent();
    assertThat(event.operation()).isEqualTo(Operation.MESSAGES);
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.consumer()).isEqualTo("team-a");
    assertThat(event.usage().tokens())
        .isEqualTo(new Usage(1_321, 12, 1_333, 1_000, 0, 300, 0, 0, 0));
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    RecordedRequest sent = backend.takeRequest();
    assertThat(sent.getPath()).isEqualTo("/v1/messages");
    assertThat(sent.getHeader("x-consumer-id")).isNull(); // the gateway's header stays local
    assertThat(sent.getHeader("x-api-key")).isEqualTo("sk-ant-test-not-a-real-key");
    assertThat(sent.getHeader("anthropic-version")).isNotNull();
  }

  @Test
  void theSdksTimeoutsAreSentAsTheSdksOwnClientSendsThem() throws Exception {
    backend.enqueue(json(message("Hi", 5, 1, 0, 0)));
    backend.enqueue(json(message("Hi", 5, 1, 0, 0)));
    com.anthropic.core.Timeout timeout =
        com.anthropic.core.Timeout.builder()
            .read(Duration.ofSeconds(42))
            .request(Duration.ofSeconds(90))
            .build();
    AnthropicClient governed =
        GovernedAnthropic.client(gateway().build(), options().timeout(timeout));
    AnthropicClient own =
        com.anthropic.client.okhttp.AnthropicOkHttpClient.builder()
            .baseUrl(backend.url("/").toString())
            .apiKey("sk-ant-test-not-a-real-key")
            .timeout(timeout)
            .build();

    governed.messages().create(PARAMS);
    own.messages().create(PARAMS);

    RecordedRequest viaGateway = backend.takeRequest();
    RecordedRequest viaSdk = backend.takeRequest();
    assertThat(viaSdk.getHeader("X-Stainless-Read-Timeout")).isEqualTo("42");
    assertThat(viaSdk.getHeader("X-Stainless-Timeout")).isEqualTo("90");
    assertThat(viaGateway.getHeader("X-Stainless-Read-Timeout")).isEqualTo("42");
    assertThat(viaGateway.getHeader("X-Stainless-Timeout")).isEqualTo("90");
  }

  @Test
  void anApiKeyAHeaderCannotCarryFailsWithoutQuotingIt() {
    // a key read from a file with its line break: OkHttp refuses it, quoting the value of any
    // header it does not know to be secret
    AnthropicClient client =
        GovernedAnthropic.client(
            gateway().build(), options().putHeader("x-api-key", "sk-ant-SECRET-key-from-a-file\n"));

    Throwable thrown = catchThrowable(() -> client.messages().create(PARAMS));

    assertThat(thrown).isNotNull();
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      assertThat(String.valueOf(t.getMessage())).doesNotContain("SECRET");
      assertThat(t.toString()).doesNotContain("SECRET");
    }
    assertThat(backend.getRequestCount()).isZero();
  }

  @Test
  void theSdksAnthropicBackendGivesTheKeyAndBaseUrlAsUnderItsOwnClient() throws Exception {
    // In 3.16 the key and base URL the SDK reads (AnthropicBackend, as AnthropicOkHttpClient's
    // fromEnv() builds it) are applied by the SDK's own HTTP client; ClientOptions.fromEnv() reads
    // neither ANTHROPIC_API_KEY nor ANTHROPIC_BASE_URL, so a client built on it alone sends no key.
    backend.enqueue(json(message("Hi", 10, 2, 0, 0)));
    backend.enqueue(json(message("Hi again", 10, 3, 0, 0)));
    AnthropicBackend credentials =
        AnthropicBackend.builder()
            .apiKey("sk-ant-from-the-backend")
            .baseUrl(backend.url("/").toString())
            .build();

    Message answer =
        GovernedAnthropic.client(
                gateway().build(),
                credentials,
                ClientOptions.builder().putHeader("x-consumer-id", "team-a"))
            .messages()
            .create(PARAMS);
    Message later =
        GovernedAnthropic.clientAsync(
                gateway().build(),
                credentials,
                ClientOptions.builder().putHeader("x-consumer-id", "team-a"))
            .messages()
            .create(PARAMS)
            .get(60, TimeUnit.SECONDS);

    assertThat(answer.content().get(0).text().get().text()).isEqualTo("Hi");
    assertThat(later.content().get(0).text().get().text()).isEqualTo("Hi again");
    for (int i = 0; i < 2; i++) {
      RecordedRequest sent = backend.takeRequest(5, TimeUnit.SECONDS);
      // as the SDK's own client sends a backend's key (StaticAuthHeaders)
      assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer sk-ant-from-the-backend");
      assertThat(sent.getHeader("x-consumer-id")).isNull(); // read by the gateway, kept local
    }
    assertThat(awaitEvents(2)).extracting(GatewayEvent::consumer).containsOnly("team-a");
  }

  @Test
  void aBackendTheApplicationGaveIsLeftToItWhenTheClientCloses() throws Exception {
    // The SDK's own client closes the backend it was built with; a governed client leaves an
    // AnthropicBackend the application passed to the application, as every resource the
    // application passes in: closing one client (which releases the OkHttp client it made) leaves
    // the backend serving the next one, with its key.
    backend.enqueue(json(message("Hi", 10, 2, 0, 0)));
    backend.enqueue(json(message("Hi again", 10, 3, 0, 0)));
    AnthropicBackend credentials =
        AnthropicBackend.builder()
            .apiKey("sk-ant-from-the-backend")
            .baseUrl(backend.url("/").toString())
            .build();
    AiGateway gateway = gateway().build();
    AnthropicClient first =
        GovernedAnthropic.client(
            gateway, credentials, ClientOptions.builder().putHeader("x-consumer-id", "team-a"));

    assertThat(first.messages().create(PARAMS).content()).hasSize(1);
    first.close();
    AnthropicClient next =
        GovernedAnthropic.client(
            gateway, credentials, ClientOptions.builder().putHeader("x-consumer-id", "team-a"));

    assertThat(next.messages().create(PARAMS).content().get(0).text().get().text())
        .isEqualTo("Hi again");
    backend.takeRequest(5, TimeUnit.SECONDS);
    assertThat(backend.takeRequest(5, TimeUnit.SECONDS).getHeader("Authorization"))
        .isEqualTo("Bearer sk-ant-from-the-backend");
    next.close();
  }

  @Test
  void aRequestThatMustNotFollowRedirectsIsNotRedirectedAsUnderTheSdksOwnClient() throws Exception {
    // The SDK asks its HTTP client not to follow redirects for a request that must stay where it
    // was sent (RequestOptions.followRedirects(false): its token requests, whose body holds a
    // credential); its own OkHttp client then answers the redirect itself instead of re-sending the
    // body to the redirect's target.
    try (MockWebServer elsewhere = new MockWebServer()) {
      elsewhere.start();
      RequestOptions stayHere = RequestOptions.builder().followRedirects(false).build();
      AnthropicClient governed = GovernedAnthropic.client(gateway().build(), options());
      AnthropicClient own =
          com.anthropic.client.okhttp.AnthropicOkHttpClient.builder()
              .baseUrl(backend.url("/").toString())
              .apiKey("sk-ant-test-not-a-real-key")
              .maxRetries(0)
              .build();
      for (int i = 0; i < 2; i++) {
        backend.enqueue(
            new MockResponse()
                .setResponseCode(307)
                .setHeader("Location", elsewhere.url("/v1/messages").toString()));
        elsewhere.enqueue(json(message("Hi from elsewhere", 10, 2, 0, 0)));
      }

      Throwable underOwn = catchThrowable(() -> own.messages().create(PARAMS, stayHere));
      Throwable governedThrown = catchThrowable(() -> governed.messages().create(PARAMS, stayHere));

      assertThat(underOwn).as("the SDK's own client").isInstanceOf(AnthropicServiceException.class);
      assertThat(governedThrown)
          .as("the governed client answers the redirect as the SDK's own client does")
          .isInstanceOf(AnthropicServiceException.class);
      assertThat(((AnthropicServiceException) governedThrown).statusCode()).isEqualTo(307);
      assertThat(elsewhere.getRequestCount())
          .as("requests re-sent to the redirect's target")
          .isZero();
    }
  }

  @Test
  void aRedirectToAnotherOriginCarriesNoKey() throws Exception {
    // OkHttp removes only Authorization from a request redirected to another origin; Anthropic's
    // key travels in x-api-key, which must stay with the origin the application sent it to, on the
    // sync and async clients, with a key of the options or of the SDK's AnthropicBackend. A
    // redirect within the origin keeps it.
    try (MockWebServer elsewhere = new MockWebServer()) {
      elsewhere.start();
      String moved = elsewhere.url("/v1/messages").toString();
      for (int i = 0; i < 3; i++) {
        backend.enqueue(new MockResponse().setResponseCode(307).setHeader("Location", moved));
        elsewhere.enqueue(json(message("Hi from elsewhere", 10, 2, 0, 0)));
      }
      backend.enqueue(
          new MockResponse().setResponseCode(307).setHeader("Location", "/v1/messages?again"));
      backend.enqueue(json(message("Hi from here", 10, 2, 0, 0)));
      AiGateway gateway = gateway().build();

      assertThat(GovernedAnthropic.client(gateway, options()).messages().create(PARAMS).content())
          .hasSize(1);
      assertThat(
              GovernedAnthropic.clientAsync(gateway, options())
                  .messages()
                  .create(PARAMS)
                  .get(20, TimeUnit.SECONDS)
                  .content())
          .hasSize(1);
      AnthropicBackend keyed =
          AnthropicBackend.builder()
              .apiKey("sk-ant-backend-not-a-real-key")
              .baseUrl(backend.url("/").toString())
              .build();
      assertThat(
              GovernedAnthropic.client(
                      gateway, keyed, ClientOptions.builder().putHeader("x-consumer-id", "team-a"))
                  .messages()
                  .create(PARAMS)
                  .content())
          .hasSize(1);
      assertThat(GovernedAnthropic.client(gateway, options()).messages().create(PARAMS).content())
          .hasSize(1);

      for (int i = 0; i < 3; i++) {
        RecordedRequest first = backend.takeRequest(5, TimeUnit.SECONDS);
        assertThat(first.getHeader("x-api-key") != null || first.getHeader("Authorization") != null)
            .as("the key reaches the origin it was sent to")
            .isTrue();
        RecordedRequest redirected = elsewhere.takeRequest(5, TimeUnit.SECONDS);
        assertThat(redirected.getHeader("x-api-key")).as("x-api-key elsewhere").isNull();
        assertThat(redirected.getHeader("Authorization")).as("Authorization elsewhere").isNull();
      }
      backend.takeRequest(5, TimeUnit.SECONDS);
      assertThat(backend.takeRequest(5, TimeUnit.SECONDS).getHeader("x-api-key"))
          .as("a redirect within the origin keeps the key")
          .isEqualTo("sk-ant-test-not-a-real-key");
    }
  }

  @Test
  void closingAClientOnAnOkHttpClientItMadeReleasesItsConnectionsAsTheSdksOwnClientDoes()
      throws Exception {
    // GovernedAnthropic.client(gateway, ..) makes its own OkHttp client; the SDK's own client
    // closes
    // its idle connections and stops its dispatcher when the SDK client is closed.
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Boolean> closedByTheClient =
          CompletableFuture.supplyAsync(
              () -> answerOnceThenAwaitClose(server, message("Hi", 7, 1)));
      AnthropicClient client =
          GovernedAnthropic.client(
              gateway().build(),
              ClientOptions.builder()
                  .baseUrl("http://127.0.0.1:" + server.getLocalPort() + "/")
                  .putHeader("x-api-key", "sk-ant-test-not-a-real-key")
                  .putHeader("x-consumer-id", "team-a")
                  .timeout(Duration.ofSeconds(20)));

      assertThat(client.messages().create(PARAMS).content()).hasSize(1);
      client.close();

      assertThat(closedByTheClient.get(30, TimeUnit.SECONDS))
          .as("the pooled connection is closed when the SDK client is")
          .isTrue();
    }
  }

  @Test
  void aCallWhoseConnectionDropsIsNotSentAgainBehindTheSdksRetriesAsUnderItsOwnClient()
      throws Exception {
    // The SDK's own OkHttp client turns OkHttp's silent retry on a connection failure off: the
    // SDK retries itself, counted and bounded by maxRetries, and a Messages call the backend may
    // already have received is not sent again behind its back.
    backend.enqueue(json(message("first", 14, 2)));
    backend.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST));
    backend.enqueue(json(message("sent again", 14, 2)));
    AnthropicClient client = GovernedAnthropic.client(gateway().build(), options().maxRetries(0));
    client.messages().create(PARAMS); // its connection is pooled, and dropped on the next call

    assertThatThrownBy(() -> client.messages().create(PARAMS))
        .isInstanceOf(AnthropicIoException.class);
    assertThat(backend.getRequestCount()).as("requests the backend received").isEqualTo(2);
  }

  @Test
  void theOkHttpClientItMakesKeepsTheSdksOwnClientsConnectionSettings() throws Exception {
    // GovernedAnthropic.client(gateway, ..) stands in for the SDK's own OkHttp client, so the
    // connection settings the SDK chose for its API host are kept: HTTP/2 pings that find a dead
    // connection under a long stream, no silent resend on a dropped connection, and as many
    // calls at once to the one host as in all.
    okhttp3.OkHttpClient sdks = sdksOwnOkHttpClient();
    GovernedHttpClient governed = GovernedAnthropic.owned(gateway().build());
    try {
      okhttp3.OkHttpClient ours = governed.ownedClient();

      assertThat(ours.pingIntervalMillis())
          .as("ping interval")
          .isEqualTo(sdks.pingIntervalMillis());
      assertThat(sdks.pingIntervalMillis()).as("the SDK's ping interval").isPositive();
      assertThat(ours.retryOnConnectionFailure())
          .as("retry on connection failure")
          .isEqualTo(sdks.retryOnConnectionFailure());
      assertThat(ours.dispatcher().getMaxRequestsPerHost())
          .as("calls to one host at once")
          .isEqualTo(sdks.dispatcher().getMaxRequestsPerHost());
    } finally {
      governed.close();
    }
  }

  /** The OkHttp client inside the SDK's own {@code com.anthropic.client.okhttp.OkHttpClient}. */
  private static okhttp3.OkHttpClient sdksOwnOkHttpClient() throws Exception {
    com.anthropic.client.okhttp.OkHttpClient own =
        com.anthropic.client.okhttp.OkHttpClient.builder()
            .backend(AnthropicBackend.builder().apiKey("sk-ant-test-not-a-real-key").build())
            .build();
    java.lang.reflect.Field inner = own.getClass().getDeclaredField("okHttpClient");
    inner.setAccessible(true);
    okhttp3.OkHttpClient client = (okhttp3.OkHttpClient) inner.get(own);
    own.close();
    return client;
  }

  @Test
  void anAsyncClientIsGovernedToo() throws Exception {
    backend.enqueue(json(message("Hi", 14, 2)));
    AnthropicClientAsync client = GovernedAnthropic.clientAsync(gateway().build(), options());

    Message answer = client.messages().create(PARAMS).get(60, TimeUnit.SECONDS);

    assertThat(answer.content().get(0).text().get().text()).isEqualTo("Hi");
    assertThat(onlyEvent().usage().tokens().totalTokens()).isEqualTo(16);
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
            return json(message("Hi", 10, 2, 0, 0));
          }
        });
    AnthropicClientAsync client =
        GovernedAnthropic.clientAsync(gateway().build(), options().timeout(Duration.ofSeconds(60)));

    List<CompletableFuture<Message>> pending = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      pending.add(client.messages().create(PARAMS));
    }

    allInFlight.await(20, TimeUnit.SECONDS);
    assertThat(mostInFlight.get()).as("calls at the backend at once").isEqualTo(calls);
    for (CompletableFuture<Message> answer : pending) {
      assertThat(answer.get(60, TimeUnit.SECONDS).content().get(0).text().get().text())
          .isEqualTo("Hi");
    }
    client.close();
  }

  @Test
  void aStreamReachesTheAppEventByEventAndIsSettledOnItsReportedUsage() throws Exception {
    backend.enqueue(sse(stream(25, 15, "Hel", "lo", " there")));
    AnthropicClient client = GovernedAnthropic.client(gateway().build(), options());

    List<String> pieces = new ArrayList<>();
    try (StreamResponse<RawMessageStreamEvent> events = client.messages().createStreaming(PARAMS)) {
      events.stream()
          .forEach(
              e ->
                  e.contentBlockDelta()
                      .flatMap(d -> d.delta().text())
                      .ifPresent(t -> pieces.add(t.text())));
    }

    assertThat(String.join("", pieces)).isEqualTo("Hello there");
    GatewayEvent event = onlyEvent();
    assertThat(event.stream()).isTrue();
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(25, 15));
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
  }

  @Test
  void aStreamOverloadedMidWayFailsAsTheSdksErrorAndIsChargedItsReportedInputOnce()
      throws Exception {
    String whole = stream(25, 15, "Hel", "lo", " there");
    String cut =
        whole.substring(0, whole.indexOf("event: content_block_stop"))
            + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
            + "\"message\":\"Overloaded\"}}\n\n";
    backend.enqueue(sse(cut));
    AnthropicClient client = GovernedAnthropic.client(gateway().build(), options());

    List<String> pieces = new ArrayList<>();
    Throwable thrown;
    try (StreamResponse<RawMessageStreamEvent> events = client.messages().createStreaming(PARAMS)) {
      thrown =
          catchThrowable(
              () ->
                  events.stream()
                      .forEach(
                          e ->
                              e.contentBlockDelta()
                                  .flatMap(d -> d.delta().text())
                                  .ifPresent(t -> pieces.add(t.text()))));
    }

    assertThat(String.join("", pieces)).isEqualTo("Hello there");
    assertThat(thrown).isInstanceOf(AnthropicServiceException.class);
    GatewayEvent event = onlyEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(event.errorType()).isEqualTo("error-answer");
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(25);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(backend.getRequestCount()).isEqualTo(1); // the SDK does not retry a stream's error
  }

  @Test
  void aStreamTheAppClosesEarlyEndsInExactlyOneEvent() throws Exception {
    String[] words = new String[200];
    for (int i = 0; i < words.length; i++) {
      words[i] = "word" + i + " ";
    }
    backend.enqueue(sse(stream(9, 200, words)));
    AnthropicClient client = GovernedAnthropic.client(gateway().build(), options());

    try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(PARAMS)) {
      Iterator<RawMessageStreamEvent> it = stream.stream().iterator();
      it.next();
      it.next();
    }

    GatewayEvent event = awaitEvents(1).get(0);
    assertThat(event.stream()).isTrue();
    assertThat(event.outcome()).isIn(CallOutcome.SUCCESS, CallOutcome.CANCELLED);
    assertThat(events).hasSize(1);
  }

  @Test
  void aStreamClosedFromAnotherThreadReleasesItsBlockedReaderAsUnderTheSdksOwnClient()
      throws Exception {
    // An application stops a stream from another thread (a user pressing "stop") while its reader
    // waits for the next event. The SDK's own OkHttp client cancels the call when its body stream
    // is closed under a read, so the reader returns at once; here the backend sends the first
    // events, then nothing until the client closes the connection, and the read timeout is two
    // minutes.
    String body = stream(9, 20, "Hello", " world");
    int firstDelta = body.indexOf("event: content_block_delta");
    String head = body.substring(0, body.indexOf("event: content_block_delta", firstDelta + 1));
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Boolean> connectionClosed =
          CompletableFuture.supplyAsync(() -> streamThenAwaitClose(server, head, body.length()));
      AnthropicClient client =
          GovernedAnthropic.client(
              gateway().build(),
              options()
                  .baseUrl("http://127.0.0.1:" + server.getLocalPort() + "/")
                  .timeout(Duration.ofMinutes(2)));
      StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(PARAMS);
      CountDownLatch firstDeltaRead = new CountDownLatch(1);
      CompletableFuture<Void> reader = new CompletableFuture<>();
      Thread readerThread =
          new Thread(
              () -> {
                try {
                  Iterator<RawMessageStreamEvent> it = stream.stream().iterator();
                  while (it.hasNext()) {
                    if (it.next().isContentBlockDelta()) {
                      firstDeltaRead.countDown();
                    }
                  }
                } catch (RuntimeException expected) {
                  // a stream closed under its reader ends in the SDK's I/O error
                }
                reader.complete(null);
              });
      readerThread.setDaemon(true);
      readerThread.start();

      assertThat(firstDeltaRead.await(20, TimeUnit.SECONDS)).isTrue();
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
  void aRepeatedCallIsAnsweredFromTheCacheAndTheSdkReadsItAlike() throws Exception {
    backend.enqueue(json(message("Cached answer", 14, 3)));
    AnthropicClient client =
        GovernedAnthropic.client(
            gateway().responseCache(ResponseCache.builder()).build(), options());

    Message first = client.messages().create(PARAMS);
    Message second = client.messages().create(PARAMS);

    assertThat(second.content().get(0).text().get().text())
        .isEqualTo(first.content().get(0).text().get().text());
    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(awaitEvents(2).get(1).cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
  }

  @Test
  void aCachedMessageIsReplayedToAStreamingCallAsTheSdkParsesIt() throws Exception {
    backend.enqueue(json(message("Cached answer", 14, 3)));
    AnthropicClient client =
        GovernedAnthropic.client(
            gateway().responseCache(ResponseCache.builder()).build(), options());
    client.messages().create(PARAMS);

    List<String> pieces = new ArrayList<>();
    try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(PARAMS)) {
      stream.stream()
          .forEach(
              e ->
                  e.contentBlockDelta()
                      .flatMap(d -> d.delta().text())
                      .ifPresent(t -> pieces.add(t.text())));
    }

    assertThat(String.join("", pieces)).isEqualTo("Cached answer");
    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(awaitEvents(2).get(1).cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
  }

  @Test
  void tokenCountingPassesThroughUngoverned() throws Exception {
    backend.enqueue(json("{\"input_tokens\":14}"));
    AnthropicClient client =
        GovernedAnthropic.client(
            gateway().tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1)).build(), options());

    long counted =
        client
            .messages()
            .countTokens(
                MessageCountTokensParams.builder()
                    .model("claude-sonnet-4-5")
                    .system("You are a scientist")
                    .addUserMessage("Hello, Claude")
                    .build())
            .inputTokens();

    assertThat(counted).isEqualTo(14);
    assertThat(backend.takeRequest().getPath()).isEqualTo("/v1/messages/count_tokens");
    Thread.sleep(100);
    assertThat(events).isEmpty();
  }

  // ------------------------------------------------------------------------- rejections

  @Test
  void aRateLimitWithinTheSdksWaitIsWaitedOutOnceAndThenAnswered() throws Exception {
    // The first call spends the whole bucket, which refills at 50 tokens a second: the second
    // call's estimate (about 70 tokens) is refused for well over a second after the first call,
    // so a slow first call cannot let the refill admit it.
    backend.enqueue(json(message("first", 90, 10)));
    backend.enqueue(json(message("second", 40, 10)));
    AiGateway gateway =
        gateway()
            .tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofSeconds(2)))
            .build();
    AnthropicClient client = GovernedAnthropic.client(gateway, options().maxRetries(2));

    client.messages().create(PARAMS);
    long start = System.nanoTime();
    Message second = client.messages().create(PARAMS);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(second.content().get(0).text().get().text()).isEqualTo("second");
    assertThat(backend.getRequestCount()).isEqualTo(2);
    List<GatewayEvent> all = awaitEvents(3);
    assertThat(all.get(1).rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
    assertThat(all.get(2).outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(took).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void aRateLimitBeyondTheSdksWaitFailsAtOnceAsRateLimitExceptionInAnthropicsShape() {
    backend.enqueue(json(message("first", 40, 10)));
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofHours(1))).build();
    AnthropicClient client = GovernedAnthropic.client(gateway, options().maxRetries(2));
    client.messages().create(PARAMS);

    long start = System.nanoTime();
    assertThatThrownBy(() -> client.messages().create(PARAMS))
        .isInstanceOfSatisfying(
            RateLimitException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(429);
              assertThat(e.getMessage()).contains("rate_limit_error");
            });
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(awaitEvents(2)).hasSize(2); // one admitted call, one rejection: no SDK retry
    assertThat(took).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void callsKeyedByTheirApiKeyAreCountedPerKey() {
    backend.enqueue(json(message("first", 40, 10)));
    backend.enqueue(json(message("second", 40, 10)));
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.apiKey())
            .listener(events::add)
            .tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofHours(1)))
            .build();
    AnthropicClient alice = GovernedAnthropic.client(gateway, keyed("sk-ant-test-alice"));
    AnthropicClient bob = GovernedAnthropic.client(gateway, keyed("sk-ant-test-bob"));

    alice.messages().create(PARAMS);
    bob.messages().create(PARAMS); // its own key: its own bucket, not the one alice emptied

    List<GatewayEvent> both = awaitEvents(2);
    assertThat(both).extracting(GatewayEvent::outcome).containsOnly(CallOutcome.SUCCESS);
    assertThat(both.get(0).consumer()).startsWith("key-");
    assertThat(both.get(1).consumer()).startsWith("key-").isNotEqualTo(both.get(0).consumer());
    assertThat(both.get(0).consumer()).doesNotContain("alice");
  }

  /** The SDK's options with its own API key (sent as x-api-key) and no retries. */
  private ClientOptions.Builder keyed(String apiKey) {
    return ClientOptions.builder()
        .baseUrl(backend.url("/").toString())
        .putHeader("x-api-key", apiKey)
        .maxRetries(0)
        .timeout(Duration.ofSeconds(20));
  }

  @Test
  void aSpentQuotaFailsAtOnceWithoutRetries() {
    backend.enqueue(json(message("first", 40, 10)));
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().quota(100, QuotaPeriod.MONTHLY)).build();
    AnthropicClient client = GovernedAnthropic.client(gateway, options().maxRetries(2));
    client.messages().create(PARAMS);

    assertThatThrownBy(() -> client.messages().create(PARAMS))
        .isInstanceOf(PermissionDeniedException.class);

    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(awaitEvents(2).get(1).rejection()).isEqualTo(RejectionReason.TOKEN_QUOTA);
    assertThat(events).hasSize(2);
  }

  @Test
  void aGatewayThatThrowsOnRejectionStillGivesTheSdkItsOwnErrorNotANetworkError() {
    backend.enqueue(json(message("first", 40, 10)));
    AiGateway gateway =
        gateway()
            .throwOnRejection(true)
            .tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofHours(1)))
            .build();
    AnthropicClient client = GovernedAnthropic.client(gateway, options().maxRetries(2));
    client.messages().create(PARAMS);

    assertThatThrownBy(() -> client.messages().create(PARAMS))
        .isInstanceOf(RateLimitException.class)
        .isNotInstanceOf(AnthropicIoException.class);

    assertThat(awaitEvents(2)).hasSize(2);
  }

  // ---------------------------------------------------------------------------- helpers

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
