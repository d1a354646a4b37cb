package dev.aigateway.azure.sdk;

import static dev.aigateway.testing.OpenAiBodies.completion;
import static dev.aigateway.testing.OpenAiBodies.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.ai.openai.OpenAIClient;
import com.azure.ai.openai.OpenAIClientBuilder;
import com.azure.ai.openai.OpenAIServiceVersion;
import com.azure.ai.openai.models.ChatCompletionStreamOptions;
import com.azure.ai.openai.models.ChatCompletions;
import com.azure.ai.openai.models.ChatCompletionsOptions;
import com.azure.ai.openai.models.ChatRequestUserMessage;
import com.azure.core.credential.AzureKeyCredential;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.FixedDelay;
import com.azure.core.http.policy.RetryPolicy;
import com.azure.core.util.Context;
import com.azure.core.util.IterableStream;
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
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.Waiting;
import java.io.InterruptedIOException;
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
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real Azure OpenAI SDK ({@code azure-ai-openai}, its jars from Maven Central, on OkHttp 4.12.0
 * through {@code azure-core-http-okhttp}) calling a local Azure-OpenAI-shaped backend through the
 * gateway: answers, streams, rejections as the SDK's own errors, cache hits, streams closed early.
 */
class GovernedAzureSdkTest {

  private static final String DEPLOYMENT = "gpt-4o-mini";

  // Azure key credentials are only ever sent over HTTPS, so the local backend speaks TLS.
  private static final HeldCertificate LOCALHOST =
      new HeldCertificate.Builder().addSubjectAlternativeName("localhost").build();
  private static final HandshakeCertificates SERVER =
      new HandshakeCertificates.Builder().heldCertificate(LOCALHOST).build();
  private static final HandshakeCertificates CLIENT =
      new HandshakeCertificates.Builder().addTrustedCertificate(LOCALHOST.certificate()).build();

  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private MockWebServer backend;

  @BeforeEach
  void startBackend() throws Exception {
    backend = new MockWebServer();
    backend.useHttps(SERVER.sslSocketFactory(), false);
    backend.start();
  }

  /** The backend's URL without the trailing slash, as Azure endpoints are written. */
  private String endpoint() {
    String url = backend.url("/").toString();
    return url.substring(0, url.length() - 1);
  }

  /** The application's OkHttp client: trusts the local backend's certificate. */
  private static OkHttpClient.Builder appClient() {
    return new OkHttpClient.Builder()
        .sslSocketFactory(CLIENT.sslSocketFactory(), CLIENT.trustManager());
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

  private OpenAIClient client(AiGateway gateway) {
    return client(gateway, GovernedAzureSdk.retryPolicy());
  }

  private OpenAIClient client(AiGateway gateway, RetryPolicy retryPolicy) {
    return new OpenAIClientBuilder()
        .endpoint(endpoint())
        .credential(new AzureKeyCredential("azure-key-b-SECRET"))
        .serviceVersion(OpenAIServiceVersion.V2024_06_01)
        .httpClient(GovernedAzureSdk.httpClient(OkHttpAiGateway.wrap(appClient().build(), gateway)))
        .retryPolicy(retryPolicy)
        .addPolicy(
            (context, next) -> {
              context.getHttpRequest().setHeader("x-consumer-id", "team-a");
              return next.process();
            })
        .buildClient();
  }

  private static ChatCompletionsOptions options() {
    return new ChatCompletionsOptions(List.of(new ChatRequestUserMessage("Say hello")))
        .setMaxTokens(50);
  }

  // ---------------------------------------------------------------------------- answers

  @Test
  void aNonStreamedCallIsAnsweredAndSettledOnTheReportedUsage() throws Exception {
    backend.enqueue(json(completion("Hello there", 12, 3)));

    ChatCompletions answer = client(gateway().build()).getChatCompletions(DEPLOYMENT, options());

    assertThat(answer.getChoices().get(0).getMessage().getContent()).isEqualTo("Hello there");
    assertThat(answer.getUsage().getTotalTokens()).isEqualTo(15);
    GatewayEvent event = onlyEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.consumer()).isEqualTo("team-a");
    assertThat(event.requestedModel()).isEqualTo(DEPLOYMENT);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(15);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    RecordedRequest sent = backend.takeRequest();
    assertThat(sent.getPath())
        .startsWith("/openai/deployments/" + DEPLOYMENT + "/chat/completions?api-version=");
    assertThat(sent.getHeader("api-key")).isEqualTo("azure-key-b-SECRET");
    assertThat(sent.getHeader("x-consumer-id")).isNull(); // the gateway's header stays local
  }

  @Test
  void aStreamedCallReachesTheAppChunkByChunkAndIsSettledOnReportedUsage() {
    backend.enqueue(sse(stream(List.of("Hel", "lo", " there"), 9, 3)));

    List<String> pieces = new ArrayList<>();
    IterableStream<ChatCompletions> chunks =
        client(gateway().build())
            .getChatCompletionsStream(
                DEPLOYMENT, options(), new ChatCompletionStreamOptions().setIncludeUsage(true));
    chunks.forEach(
        chunk ->
            chunk.getChoices().stream()
                .filter(c -> c.getDelta() != null && c.getDelta().getContent() != null)
                .forEach(c -> pieces.add(c.getDelta().getContent())));

    assertThat(String.join("", pieces)).isEqualTo("Hello there");
    GatewayEvent event = onlyEvent();
    assertThat(event.stream()).isTrue();
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(9);
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(3);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
  }

  @Test
  void aStreamTheAppStopsReadingEarlyEndsInExactlyOneEvent() {
    List<String> words = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      words.add("word" + i + " ");
    }
    backend.enqueue(sse(stream(words, 9, 200)));

    Iterator<ChatCompletions> chunks =
        client(gateway().build()).getChatCompletionsStream(DEPLOYMENT, options()).iterator();
    chunks.next();
    chunks.next();
    // The SDK's iterator has no close: the app walks away; azure-core drains or cancels the body.

    GatewayEvent event = awaitEvents(1).get(0);
    assertThat(event.stream()).isTrue();
    assertThat(event.outcome()).isIn(CallOutcome.SUCCESS, CallOutcome.CANCELLED);
    assertThat(events).hasSize(1);
  }

  @Test
  void aStreamedAnswerTheGatewayStopsMidwayFailsInTheSdkInsteadOfEndingAsAnAnswer() {
    // A content check stops the answer midway: the gateway ends the stream with its error event
    // (data: {"error":{...,"code":"content_filter"}}), which the SDK would read as a chunk without
    // choices. The application must not take the text before the block for the whole answer: its
    // stream fails, as a stream cut midway does, with the error's code and message.
    backend.enqueue(sse(stream(List.of("The plan:", " is secret", " and more"), 9, 3)));
    OpenAIClient client =
        client(
            gateway()
                .contentSafety(
                    dev.aigateway.core.safety.ContentSafety.builder()
                        .denyWords("secret")
                        .screenAnswers(8, 4))
                .build());
    List<String> pieces = new ArrayList<>();

    Throwable failure =
        org.assertj.core.api.Assertions.catchThrowable(
            () ->
                client
                    .getChatCompletionsStream(DEPLOYMENT, options())
                    .forEach(
                        chunk -> {
                          if (chunk.getChoices() != null) {
                            chunk.getChoices().stream()
                                .filter(
                                    c -> c.getDelta() != null && c.getDelta().getContent() != null)
                                .forEach(c -> pieces.add(c.getDelta().getContent()));
                          }
                        }));

    assertThat(String.join("", pieces)).doesNotContain("secret");
    assertThat(failure)
        .as("how the stream ended for the application (it read: %s)", pieces)
        .isNotNull()
        .hasRootCauseInstanceOf(java.io.IOException.class)
        .rootCause()
        .hasMessageContaining("content_filter");
    GatewayEvent event = onlyEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
  }

  @Test
  void aPromptAzuresContentFilterRefusesIsTheSdksErrorAndAFilteredEvent() {
    // Azure refuses a prompt its content filter flags with a 400 naming the filter: the SDK raises
    // it as its HttpResponseException with the body as it came (read by the gateway to tell the
    // filter), without a retry, and the call's one event says contentFiltered.
    String refused =
        "{\"error\":{\"message\":\"The response was filtered due to the prompt triggering Azure"
            + " OpenAI's content management policy.\",\"type\":null,\"param\":\"prompt\","
            + "\"code\":\"content_filter\",\"status\":400,\"innererror\":{\"code\":"
            + "\"ResponsibleAIPolicyViolation\",\"content_filter_result\":{\"violence\":"
            + "{\"filtered\":true,\"severity\":\"medium\"}}}}}";
    backend.enqueue(json(refused).setResponseCode(400));
    OpenAIClient client = client(gateway().build());

    assertThatThrownBy(() -> client.getChatCompletions(DEPLOYMENT, options()))
        .isInstanceOfSatisfying(
            HttpResponseException.class,
            e -> {
              assertThat(e.getResponse().getStatusCode()).isEqualTo(400);
              assertThat(e.getMessage()).contains("content_filter");
              assertThat(e.getValue().toString()).contains("ResponsibleAIPolicyViolation");
            });

    GatewayEvent event = onlyEvent();
    assertThat(event.contentFiltered()).as(event.toString()).isTrue();
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(event.errorType()).isEqualTo("400");
    assertThat(event.requestedModel()).isEqualTo(DEPLOYMENT);
    assertThat(backend.getRequestCount()).isEqualTo(1);
  }

  @Test
  void aKeyAHeaderCannotCarryFailsWithoutQuotingIt() {
    // a key read from a file with its line break: OkHttp refuses it, quoting the value of any
    // header it does not know to be secret (it knows Authorization, not Azure's api-key)
    OpenAIClient client =
        new OpenAIClientBuilder()
            .endpoint(endpoint())
            .credential(new AzureKeyCredential("azure-key-SECRET-from-a-file\n"))
            .serviceVersion(OpenAIServiceVersion.V2024_06_01)
            .httpClient(
                GovernedAzureSdk.httpClient(
                    OkHttpAiGateway.wrap(appClient().build(), gateway().build())))
            .retryPolicy(GovernedAzureSdk.retryPolicy())
            .buildClient();

    Throwable thrown =
        org.assertj.core.api.Assertions.catchThrowable(
            () -> client.getChatCompletions(DEPLOYMENT, options()));

    assertThat(thrown).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("api-key");
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      assertThat(String.valueOf(t.getMessage())).doesNotContain("SECRET");
      assertThat(t.toString()).doesNotContain("SECRET");
      for (Throwable suppressed : t.getSuppressed()) {
        assertThat(suppressed.toString()).doesNotContain("SECRET");
      }
    }
    assertThat(backend.getRequestCount()).isZero();
  }

  @Test
  void aRepeatedCallIsAnsweredFromTheCacheAndTheSdkReadsItAlike() {
    backend.enqueue(json(completion("Cached answer", 12, 3)));
    OpenAIClient client = client(gateway().responseCache(ResponseCache.builder()).build());

    ChatCompletions first = client.getChatCompletions(DEPLOYMENT, options());
    ChatCompletions second = client.getChatCompletions(DEPLOYMENT, options());

    assertThat(second.getChoices().get(0).getMessage().getContent())
        .isEqualTo(first.getChoices().get(0).getMessage().getContent());
    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(awaitEvents(2).get(1).cache().outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
  }

  @Test
  void clientsMadeOnTheGatewayShareOnePoolSoNoneLeavesItsOwnConnectionsOpen() throws Exception {
    // azure-core never closes an HTTP client: SDK clients built one after another, each on an
    // OkHttp client of its own, would each leave an idle connection open until OkHttp's keep-alive
    // ends. The clients httpClient(gateway) makes share one pool, so the second reuses the first's.
    // (Over plain HTTP, which needs no trust in the test's certificate: no key is sent.)
    try (MockWebServer plain = new MockWebServer()) {
      plain.start();
      plain.enqueue(json(completion("first", 12, 3)));
      plain.enqueue(json(completion("second", 12, 3)));
      AiGateway gateway = gateway().build();
      String url = plain.url("/openai/deployments/" + DEPLOYMENT + "/models").toString();

      for (int i = 0; i < 2; i++) {
        try (HttpResponse response =
            GovernedAzureSdk.httpClient(gateway)
                .sendSync(new HttpRequest(HttpMethod.GET, url), Context.NONE)) {
          assertThat(response.getStatusCode()).isEqualTo(200);
          assertThat(response.getBodyAsBinaryData().toString()).contains("chat.completion");
        }
      }

      assertThat(plain.takeRequest().getSequenceNumber()).isZero();
      assertThat(plain.takeRequest().getSequenceNumber())
          .as("the second client's call reuses the first one's connection")
          .isEqualTo(1);
    }
  }

  @Test
  void anAsyncClientRunsMoreThanFiveCallsToItsEndpointAtOnce() throws Exception {
    // azure-core's asynchronous calls are OkHttp's asynchronous calls, of which OkHttp runs at most
    // 5 per host unless told otherwise: an OpenAIAsyncClient would run 5 chat calls at once. The
    // backend holds each answer until 8 calls are in flight together (or 20 s pass).
    int calls = 8;
    CountDownLatch allInFlight = new CountDownLatch(calls);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger mostInFlight = new AtomicInteger();
    try (MockWebServer plain = new MockWebServer()) {
      plain.setDispatcher(
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
      plain.start();
      HttpClient client = GovernedAzureSdk.httpClient(gateway().build());
      String url = plain.url("/openai/deployments/" + DEPLOYMENT + "/models").toString();

      List<CompletableFuture<Integer>> pending = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        pending.add(
            client
                .send(new HttpRequest(HttpMethod.GET, url))
                .map(
                    response -> {
                      try (response) {
                        return response.getStatusCode();
                      }
                    })
                .toFuture());
      }

      allInFlight.await(20, TimeUnit.SECONDS);
      assertThat(mostInFlight.get()).as("calls at the backend at once").isEqualTo(calls);
      for (CompletableFuture<Integer> status : pending) {
        assertThat(status.get(30, TimeUnit.SECONDS)).isEqualTo(200);
      }
    }
  }

  // ------------------------------------------------------------------------- rejections

  @Test
  void aRateLimitTheSdkCanWaitOutIsWaitedOutOnceAndThenAnswered() {
    backend.enqueue(json(completion("first", 80, 10)));
    backend.enqueue(json(completion("second", 40, 10)));
    // 100 tokens per 2 s: the first call leaves 10, too little for the second (59 estimated)
    // for about a second; azure-core waits exactly the declared retry-after-ms.
    AiGateway gateway =
        gateway()
            .tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofSeconds(2)))
            .build();
    OpenAIClient client = client(gateway);
    client.getChatCompletions(DEPLOYMENT, options());

    long start = System.nanoTime();
    ChatCompletions second = client.getChatCompletions(DEPLOYMENT, options());
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(second.getChoices().get(0).getMessage().getContent()).isEqualTo("second");
    assertThat(backend.getRequestCount()).isEqualTo(2);
    List<GatewayEvent> all = awaitEvents(3);
    assertThat(all.get(1).rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
    assertThat(all.get(2).outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(took).isLessThan(Duration.ofSeconds(6));
  }

  @Test
  void aRateLimitBeyondWhatIsWorthWaitingFailsAtOnceAsTheSdksHttpResponseException() {
    backend.enqueue(json(completion("first", 40, 10)));
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofHours(1))).build();
    OpenAIClient client = client(gateway);
    client.getChatCompletions(DEPLOYMENT, options());

    long start = System.nanoTime();
    assertThatThrownBy(() -> client.getChatCompletions(DEPLOYMENT, options()))
        .isInstanceOfSatisfying(
            HttpResponseException.class,
            e -> {
              assertThat(e.getResponse().getStatusCode()).isEqualTo(429);
              assertThat(e.getResponse().getHeaderValue("x-ai-gateway-rejected"))
                  .isEqualTo("token-rate-limit");
            });
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(awaitEvents(2)).hasSize(2); // one admitted call, one rejection: no SDK retry
    assertThat(took).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void aSpentQuotaFailsAtOnceWithoutRetriesInTheProvidersErrorShape() {
    backend.enqueue(json(completion("first", 40, 10)));
    AiGateway gateway =
        gateway()
            .quotaRejectionStatus(429)
            .tokenLimit(TokenLimit.perConsumer().quota(60, QuotaPeriod.MONTHLY))
            .build();
    OpenAIClient client = client(gateway);
    client.getChatCompletions(DEPLOYMENT, options());

    assertThatThrownBy(() -> client.getChatCompletions(DEPLOYMENT, options()))
        .isInstanceOfSatisfying(
            HttpResponseException.class,
            e -> {
              assertThat(e.getResponse().getStatusCode()).isEqualTo(429);
              assertThat(e.getMessage()).contains("insufficient_quota");
            });

    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(awaitEvents(2).get(1).rejection()).isEqualTo(RejectionReason.TOKEN_QUOTA);
    assertThat(events).hasSize(2);
  }

  @Test
  void aGatewayThatThrowsOnRejectionStillGivesTheSdkItsOwnErrorNotANetworkError() {
    backend.enqueue(json(completion("first", 40, 10)));
    AiGateway gateway =
        gateway()
            .throwOnRejection(true)
            .tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofHours(1)))
            .build();
    OpenAIClient client = client(gateway);
    client.getChatCompletions(DEPLOYMENT, options());

    assertThatThrownBy(() -> client.getChatCompletions(DEPLOYMENT, options()))
        .isInstanceOfSatisfying(
            HttpResponseException.class,
            e -> assertThat(e.getResponse().getStatusCode()).isEqualTo(429));

    assertThat(awaitEvents(2)).hasSize(2);
  }

  @Test
  void anApplicationsOwnWrappedClientKeepsItsInterceptors() throws Exception {
    backend.enqueue(json(completion("Hello", 5, 1)));
    OkHttpClient base =
        appClient()
            .addInterceptor(
                chain ->
                    chain.proceed(chain.request().newBuilder().header("x-app", "kept").build()))
            .build();
    OpenAIClient client =
        new OpenAIClientBuilder()
            .endpoint(endpoint())
            .credential(new AzureKeyCredential("azure-key-b-SECRET"))
            .httpClient(GovernedAzureSdk.httpClient(OkHttpAiGateway.wrap(base, gateway().build())))
            .retryPolicy(GovernedAzureSdk.retryPolicy())
            .buildClient();

    client.getChatCompletions(DEPLOYMENT, options());

    assertThat(backend.takeRequest().getHeader("x-app")).isEqualTo("kept");
    assertThat(onlyEvent().usage().tokens().totalTokens()).isEqualTo(6);
  }

  @Test
  void anApplicationsOwnWrappedClientKeepsItsReadTimeoutWhereAzureCoreWouldSetItsOwn()
      throws Exception {
    // the answer's headers come after 3 s: past the application's 1 s read timeout, well within
    // the 60 s azure-core sets on a client it builds
    backend.enqueue(json(completion("Hello", 5, 1)).setHeadersDelay(3, TimeUnit.SECONDS));
    OkHttpClient base = appClient().readTimeout(Duration.ofSeconds(1)).build();
    OpenAIClient client =
        new OpenAIClientBuilder()
            .endpoint(endpoint())
            .credential(new AzureKeyCredential("azure-key-b-SECRET"))
            .httpClient(GovernedAzureSdk.httpClient(OkHttpAiGateway.wrap(base, gateway().build())))
            .retryPolicy(GovernedAzureSdk.retryPolicy(new FixedDelay(0, Duration.ofMillis(1))))
            .buildClient();

    assertThatThrownBy(() -> client.getChatCompletions(DEPLOYMENT, options()))
        .hasRootCauseInstanceOf(InterruptedIOException.class);
    assertThat(onlyEvent().outcome()).isNotEqualTo(CallOutcome.SUCCESS);
  }

  // ---------------------------------------------------------------------------- helpers

  private GatewayEvent onlyEvent() {
    List<GatewayEvent> all = awaitEvents(1);
    assertThat(all).hasSize(1);
    return all.get(0);
  }

  /** Events are emitted when a call ends, which for a stream is when its body is closed. */
  private List<GatewayEvent> awaitEvents(int count) {
    List<GatewayEvent> seen = Waiting.forSize(events, count, Duration.ofSeconds(10));
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
