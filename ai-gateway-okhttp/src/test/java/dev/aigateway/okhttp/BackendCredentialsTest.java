package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.aigateway.api.Attempt;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Credentials;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.credentials.OAuthClientCredentials;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Backends whose credential is an OAuth 2.0 access token, end to end: a wrapped OkHttp client, a
 * MockWebServer per backend that accepts only the token it is told to, and a MockWebServer playing
 * the token endpoint, which hands out access-token-SECRET-1, -2, … valid for an hour.
 */
class BackendCredentialsTest {

  private static final String CLIENT_SECRET = "oauth-client-SECRET";
  private static final int CALLS = 64;

  private final ManualClock clock = new ManualClock(Instant.parse("2026-06-01T10:00:00Z"));
  private final RecordingListener events = new RecordingListener();
  private final MockWebServer tokenEndpoint = new MockWebServer();
  private final MockWebServer backend = new MockWebServer();
  private final MockWebServer appTarget = new MockWebServer();
  private final AtomicInteger tokensIssued = new AtomicInteger();
  private final List<String> bearersSeen = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** A second backend, reached with an API key, that answers every call; what it was sent. */
  private final MockWebServer keyed = new MockWebServer();

  private final List<String> keyedBearers = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** The token the backend accepts; null: none (it answers 401 to every call). */
  private volatile String acceptedToken = "access-token-SECRET-1";

  /** How long the token endpoint takes to answer, so that calls pile up waiting for it. */
  private volatile long tokenDelayMillis;

  private ExecutorService callers;

  /** Further servers a test started, closed after it. */
  private final List<MockWebServer> servers = new ArrayList<>();

  /** Ends every token endpoint's delay at once, at the end of a test. */
  private final CountDownLatch tokensReleased = new CountDownLatch(1);

  /** Counted down when the token endpoint is first asked for a token. */
  private final CountDownLatch tokenAsked = new CountDownLatch(1);

  @BeforeEach
  void setUp() throws Exception {
    tokenEndpoint.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
            tokenAsked.countDown();
            tokensReleased.await(tokenDelayMillis, TimeUnit.MILLISECONDS);
            int n = tokensIssued.incrementAndGet();
            return Backend.json(
                "{\"access_token\":\"access-token-SECRET-"
                    + n
                    + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
          }
        });
    backend.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String authorization = request.getHeaders().get("Authorization");
            bearersSeen.add(authorization);
            if (acceptedToken != null && ("Bearer " + acceptedToken).equals(authorization)) {
              return Backend.json(chatCompletion("gpt-4o", 5, 5));
            }
            return new MockResponse.Builder()
                .code(401)
                .addHeader("Content-Type", "application/json")
                .body("{\"error\":{\"message\":\"invalid token\",\"code\":\"invalid_token\"}}")
                .build();
          }
        });
    keyed.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            keyedBearers.add(request.getHeaders().get("Authorization"));
            return Backend.json(chatCompletion("gpt-4o", 5, 5));
          }
        });
    tokenEndpoint.start();
    backend.start();
    keyed.start();
    appTarget.start();
    callers = Executors.newFixedThreadPool(CALLS);
  }

  @AfterEach
  void tearDown() {
    tokensReleased.countDown();
    servers.forEach(MockWebServer::close);
    callers.shutdownNow();
    tokenEndpoint.close();
    backend.close();
    keyed.close();
    appTarget.close();
  }

  private OAuthClientCredentials oauth(String tokenUrl) {
    return OAuthClientCredentials.builder()
        .tokenUrl(tokenUrl)
        .clientId("gateway-client")
        .clientSecret(CLIENT_SECRET)
        .scope("llm.invoke")
        .clock(clock)
        .build();
  }

  private dev.aigateway.core.routing.Backend.Builder oauthBackend(String id) {
    return dev.aigateway.core.routing.Backend.openAiCompatible(id, backend.url("/").toString())
        .credential(oauth(tokenEndpoint.url("/oauth2/token").toString()));
  }

  /**
   * A pool of {@code first} (priority 1), then the {@link #keyed} backend with an API key (priority
   * 2), to which a call fails over.
   */
  private BackendPool thenKeyed(dev.aigateway.core.routing.Backend.Builder first) {
    return BackendPool.builder()
        .backend(first.priority(1))
        .backend(
            dev.aigateway.core.routing.Backend.openAiCompatible("keyed", keyed.url("/").toString())
                .priority(2)
                .credential(Credentials.apiKey("sk-backend-a-SECRET")))
        .build();
  }

  private OkHttpClient client(BackendPool pool) {
    return OkHttpAiGateway.wrap(
        new OkHttpClient(),
        AiGateway.builder().clock(clock).backendPool(pool).listener(events).build());
  }

  private OkHttpClient client(dev.aigateway.core.routing.Backend.Builder only) {
    return client(BackendPool.builder().backend(only).build());
  }

  private Request chat() {
    return post(
        appTarget.url("/v1/chat/completions").toString(),
        chatRequest("gpt-4o", "Hi", ""),
        "Authorization",
        "Bearer app-own-key");
  }

  private static int status(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      response.body().string();
      return response.code();
    }
  }

  /** Sends {@link #CALLS} calls at once and returns their statuses. */
  private List<Integer> concurrently(OkHttpClient client) throws Exception {
    CyclicBarrier start = new CyclicBarrier(CALLS);
    List<Future<Integer>> calls = new ArrayList<>();
    for (int i = 0; i < CALLS; i++) {
      calls.add(
          callers.submit(
              () -> {
                start.await(5, TimeUnit.SECONDS);
                return status(client, chat());
              }));
    }
    List<Integer> statuses = new ArrayList<>();
    for (Future<Integer> call : calls) {
      statuses.add(call.get(30, TimeUnit.SECONDS));
    }
    return statuses;
  }

  private List<GatewayEvent> eventsOf(int count) throws InterruptedException {
    List<GatewayEvent> list = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      list.add(events.next());
    }
    return list;
  }

  @Test
  void sixtyFourConcurrentCallsShareOneTokenRequest() throws Exception {
    tokenDelayMillis = 300; // every call finds no token and waits for the same request
    OkHttpClient client = client(oauthBackend("a"));

    List<Integer> statuses = concurrently(client);

    assertThat(statuses).hasSize(CALLS).containsOnly(200);
    assertThat(tokensIssued).hasValue(1);
    assertThat(bearersSeen).hasSize(CALLS).containsOnly("Bearer access-token-SECRET-1");
    RecordedRequest tokenRequest = tokenEndpoint.takeRequest();
    assertThat(tokenRequest.getBody().utf8())
        .contains("grant_type=client_credentials", "client_id=gateway-client");
    for (GatewayEvent event : eventsOf(CALLS)) {
      assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(event.routing().attempts()).extracting(Attempt::status).containsExactly(200);
    }
  }

  @Test
  void anExpiredTokenIsRefreshedOnceForSixtyFourCalls() throws Exception {
    OkHttpClient client = client(oauthBackend("a"));
    assertThat(status(client, chat())).isEqualTo(200);

    clock.advance(Duration.ofHours(1)); // expired: every call waits for the one refresh
    acceptedToken = "access-token-SECRET-2";
    tokenDelayMillis = 300;
    List<Integer> statuses = concurrently(client);

    assertThat(statuses).containsOnly(200);
    assertThat(tokensIssued).hasValue(2);
    assertThat(bearersSeen.subList(1, bearersSeen.size()))
        .hasSize(CALLS)
        .containsOnly("Bearer access-token-SECRET-2");
  }

  @Test
  void aBackendThatRefusesTheTokenGetsTheAttemptAgainWithAFreshOne() throws Exception {
    acceptedToken = "access-token-SECRET-2"; // the first token was revoked before it expired
    OkHttpClient client = client(oauthBackend("a"));

    assertThat(status(client, chat())).isEqualTo(200);

    assertThat(bearersSeen)
        .containsExactly("Bearer access-token-SECRET-1", "Bearer access-token-SECRET-2");
    assertThat(tokensIssued).hasValue(2);
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.status()).isEqualTo(200);
    assertThat(event.routing().attempts())
        .extracting(Attempt::backendId, Attempt::status, Attempt::credentialRetry)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("a", 401, false),
            org.assertj.core.groups.Tuple.tuple("a", 200, true));
    assertThat(event.toString()).doesNotContain("SECRET");
  }

  @Test
  void theRetryWithAFreshTokenDoesNotCountAgainstTheFailoversAttempts() throws Exception {
    acceptedToken = "access-token-SECRET-2";
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(oauthBackend("a"))
                .failover(Failover.builder().maxAttempts(1).build())
                .build());

    assertThat(status(client, chat())).isEqualTo(200);

    assertThat(events.next().routing().attempts())
        .extracting(Attempt::status, Attempt::credentialRetry)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(401, false),
            org.assertj.core.groups.Tuple.tuple(200, true));
  }

  @Test
  void aBackendThatRefusesTheFreshTokenTooAnswersTheApplicationWith401() throws Exception {
    acceptedToken = null;
    OkHttpClient client = client(oauthBackend("a"));

    assertThat(status(client, chat())).isEqualTo(401);

    assertThat(bearersSeen)
        .containsExactly("Bearer access-token-SECRET-1", "Bearer access-token-SECRET-2");
    assertThat(tokensIssued).hasValue(2);
    GatewayEvent event = events.next();
    assertThat(event.status()).isEqualTo(401);
    assertThat(event.routing().attempts())
        .extracting(Attempt::status, Attempt::credentialRetry)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(401, false),
            org.assertj.core.groups.Tuple.tuple(401, true));
  }

  @Test
  void sixtyFourCallsRefusedWithTheSameTokenCauseOneNewTokenRequest() throws Exception {
    OkHttpClient client = client(oauthBackend("a"));
    assertThat(status(client, chat())).isEqualTo(200);
    events.next();

    acceptedToken = "access-token-SECRET-2"; // the backend stops accepting the first token
    tokenDelayMillis = 200;
    List<Integer> statuses = concurrently(client);

    assertThat(statuses).containsOnly(200);
    assertThat(tokensIssued).hasValue(2);
    List<GatewayEvent> refused = eventsOf(CALLS);
    assertThat(refused)
        .allSatisfy(e -> assertThat(e.outcome()).isEqualTo(CallOutcome.SUCCESS))
        .allSatisfy(e -> assertThat(e.routing().attempts()).hasSizeBetween(1, 2));
  }

  @Test
  void aStaticKeyRefusedWith401IsNotRetried() throws Exception {
    OkHttpClient client =
        client(
            dev.aigateway.core.routing.Backend.openAiCompatible("a", backend.url("/").toString())
                .credential(Credentials.apiKey("sk-backend-a-SECRET")));

    assertThat(status(client, chat())).isEqualTo(401);

    assertThat(bearersSeen).containsExactly("Bearer sk-backend-a-SECRET");
    assertThat(events.next().routing().attempts()).hasSize(1);
  }

  @Test
  void whenATokenEndpointIsDownTheCallFailsOverToTheNextBackend() throws Exception {
    MockWebServer down = new MockWebServer();
    down.start();
    String deadTokenUrl = down.url("/oauth2/token").toString();
    down.close();
    OkHttpClient client =
        client(
            thenKeyed(
                dev.aigateway.core.routing.Backend.openAiCompatible(
                        "oauth", backend.url("/").toString())
                    .credential(oauth(deadTokenUrl))));

    assertThat(status(client, chat())).isEqualTo(200);

    GatewayEvent event = events.next();
    assertThat(event.routing().backendId()).isEqualTo("keyed");
    assertThat(event.routing().attempts())
        .extracting(Attempt::backendId, Attempt::status, Attempt::errorType)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "oauth", 0, "dev.aigateway.core.credentials.TokenRefreshException"),
            org.assertj.core.groups.Tuple.tuple("keyed", 200, null));
    assertThat(bearersSeen).isEmpty();
  }

  @Test
  void whenNoBackendCanGetATokenTheApplicationGetsAClearIOException() throws Exception {
    MockWebServer down = new MockWebServer();
    down.start();
    String deadTokenUrl = down.url("/oauth2/token").toString();
    down.close();
    OkHttpClient client =
        client(
            dev.aigateway.core.routing.Backend.openAiCompatible("a", backend.url("/").toString())
                .credential(oauth(deadTokenUrl)));

    assertThatThrownBy(() -> status(client, chat()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("client 'gateway-client' at " + deadTokenUrl)
        .hasMessageContaining(
            "the token could not be obtained: the token endpoint "
                + deadTokenUrl
                + " did not answer: java.net.ConnectException")
        .hasMessageNotContaining(CLIENT_SECRET);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo("dev.aigateway.core.credentials.TokenRefreshException");
    assertThat(bearersSeen).isEmpty();
    assertThat(event.toString()).doesNotContain("SECRET");
  }

  @Test
  void theBackendsToStringNamesItsCredentialsWithoutTheSecret() {
    dev.aigateway.core.routing.Backend built = oauthBackend("a").build();

    assertThat(built.toString())
        .contains("OAuthClientCredentials{client 'gateway-client' at ")
        .doesNotContain("SECRET");
  }

  @Test
  void sixtyFourCallsGivenARevokedTokenAtOnceShareOneRefresh() throws Exception {
    acceptedToken = "access-token-SECRET-2"; // the first token is refused by the backend
    tokenDelayMillis = 100;
    OkHttpClient client = client(oauthBackend("a"));

    List<Integer> statuses = concurrently(client);

    assertThat(statuses).containsOnly(200);
    assertThat(tokensIssued).hasValue(2);
    assertThat(bearersSeen).filteredOn("Bearer access-token-SECRET-2"::equals).hasSize(CALLS);
  }

  /**
   * A call whose timeout passes while it waits for a backend's token ends at its timeout, as a call
   * waiting in a failover's backoff does, not when the refresh gives up (10 s by default): the
   * client's cancel does not interrupt the waiting thread.
   */
  @Test
  void aCallWaitingForATokenEndsAtItsTimeoutNotTheRefreshTimeout() throws Exception {
    tokenDelayMillis = 20_000; // the token endpoint hangs past the call's timeout
    OkHttpClient client =
        client(oauthBackend("a")).newBuilder().callTimeout(Duration.ofMillis(300)).build();

    long start = System.nanoTime();
    assertThatThrownBy(() -> status(client, chat()))
        .isInstanceOf(InterruptedIOException.class)
        .hasMessage("timeout");
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(took).isLessThan(Duration.ofSeconds(5));
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo("java.io.InterruptedIOException");
    assertThat(event.routing().attempts()).isEmpty();
    assertThat(bearersSeen).isEmpty();
    assertThat(events.none()).isTrue();
  }

  /** A call the application cancels while it waits for a token ends then, cancelled. */
  @Test
  void aCallCancelledWhileWaitingForATokenEndsCancelled() throws Exception {
    tokenDelayMillis = 20_000;
    OkHttpClient client = client(oauthBackend("a"));
    okhttp3.Call call = client.newCall(chat());
    Future<?> cancel =
        callers.submit(
            () -> {
              Thread.sleep(300);
              call.cancel();
              return null;
            });

    long start = System.nanoTime();
    assertThatThrownBy(() -> call.execute().close())
        .isInstanceOf(IOException.class)
        .hasMessage("Canceled");
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    cancel.get(5, TimeUnit.SECONDS);

    assertThat(took).isLessThan(Duration.ofSeconds(5));
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(bearersSeen).isEmpty();
    assertThat(events.none()).isTrue();
  }

  /**
   * A pool whose first backend drops every connection once it has read the request, and whose
   * second one, a tier behind, needs a token from an endpoint that hangs: a call fails over to the
   * second one and waits for its token.
   */
  private OkHttpClient failingOverToAHangingToken(OkHttpClient base) throws IOException {
    return failingOverToAHangingToken(
        base, new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
  }

  /** As {@link #failingOverToAHangingToken(OkHttpClient)}, the first backend answering so. */
  private OkHttpClient failingOverToAHangingToken(OkHttpClient base, MockResponse answer)
      throws IOException {
    tokenDelayMillis = 20_000;
    MockWebServer dropping = new MockWebServer();
    dropping.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return answer;
          }
        });
    dropping.start();
    servers.add(dropping);
    BackendPool pool =
        BackendPool.builder()
            .backend(
                dev.aigateway.core.routing.Backend.openAiCompatible(
                    "dropping", dropping.url("/").toString()))
            .backend(oauthBackend("a").priority(2))
            .build();
    return OkHttpAiGateway.wrap(
        base, AiGateway.builder().clock(clock).backendPool(pool).listener(events).build());
  }

  /** Cancels the call on another thread once its failover waits for the next backend's token. */
  private Future<?> cancelOnceTheTokenIsAsked(okhttp3.Call call) {
    return callers.submit(
        () -> {
          tokenAsked.await(10, TimeUnit.SECONDS); // the failover waits for its token
          call.cancel();
          return null;
        });
  }

  /**
   * A call the application cancels while its failover attempt waits for the next backend's token
   * ends cancelled, as one cancelled while its first attempt waits does: not failed with the first
   * backend's failure.
   */
  @Test
  void aCallCancelledWhileItsFailoverWaitsForATokenEndsCancelled() throws Exception {
    OkHttpClient client = failingOverToAHangingToken(new OkHttpClient());
    okhttp3.Call call = client.newCall(chat());
    Future<?> cancel = cancelOnceTheTokenIsAsked(call);

    assertThatThrownBy(() -> call.execute().close())
        .isInstanceOf(IOException.class)
        .hasMessage("Canceled");
    cancel.get(5, TimeUnit.SECONDS);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(event.routing().attempts())
        .extracting(Attempt::backendId, Attempt::errorType)
        .containsExactly(tuple("dropping", "java.io.IOException"));
    assertThat(bearersSeen).isEmpty();
    assertThat(events.none()).isTrue();
  }

  /**
   * A call whose first backend's stream ends before its first event fails over; cancelled while
   * that failover waits for the next backend's token, it ends cancelled, nothing of the stream
   * having reached the application.
   */
  @Test
  void aCallCancelledWhileFailingOverFromAHeldStreamEndsCancelled() throws Exception {
    OkHttpClient client =
        failingOverToAHangingToken(
            new OkHttpClient(), Backend.sse("")); // a 200 stream that ends without an event
    Request streamed =
        post(
            appTarget.url("/v1/chat/completions").toString(),
            chatRequest("gpt-4o", "Hi", "\"stream\":true"));
    okhttp3.Call call = client.newCall(streamed);
    Future<?> cancel = cancelOnceTheTokenIsAsked(call);

    assertThatThrownBy(() -> call.execute().close()).isInstanceOf(IOException.class);
    cancel.get(5, TimeUnit.SECONDS);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(event.routing().attempts())
        .extracting(Attempt::backendId, Attempt::status)
        .containsExactly(tuple("dropping", 0));
    assertThat(bearersSeen).isEmpty();
    assertThat(events.none()).isTrue();
  }

  /**
   * A call whose timeout passes while its failover attempt waits for the next backend's token fails
   * as a timed-out call does: its event's error is the timeout, not the first backend's failure.
   */
  @Test
  void aCallTimingOutWhileItsFailoverWaitsForATokenFailsWithTheTimeout() throws Exception {
    OkHttpClient client =
        failingOverToAHangingToken(
            new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(2)).build());

    assertThatThrownBy(() -> status(client, chat()))
        .isInstanceOf(InterruptedIOException.class)
        .hasMessage("timeout");
    assertThat(tokenAsked.getCount()).isZero(); // the timeout came while the token was awaited

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo("java.io.InterruptedIOException");
    assertThat(event.routing().attempts())
        .extracting(Attempt::backendId, Attempt::errorType)
        .containsExactly(tuple("dropping", "java.io.IOException"));
    assertThat(bearersSeen).isEmpty();
    assertThat(events.none()).isTrue();
  }

  /**
   * A provider that throws an {@link Error} (a class of an optional dependency missing, a recursion
   * overflowing its stack) is a backend without a credential, as one that throws an unchecked
   * exception: the call goes to the next backend, and the error never reaches the application.
   */
  @Test
  void aProviderThatThrowsAnErrorIsSkippedAndTheCallGoesToTheNextBackend() throws Exception {
    OkHttpClient client =
        client(
            thenKeyed(
                dev.aigateway.core.routing.Backend.openAiCompatible(
                        "broken", backend.url("/").toString())
                    .credential(
                        () -> {
                          throw new NoClassDefFoundError("com/example/MissingIdentityClass");
                        })));

    assertThat(status(client, chat())).isEqualTo(200);

    GatewayEvent event = events.next();
    assertThat(event.routing().attempts())
        .extracting(Attempt::backendId, Attempt::status, Attempt::errorType)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("broken", 0, "java.lang.NoClassDefFoundError"),
            org.assertj.core.groups.Tuple.tuple("keyed", 200, null));
    assertThat(bearersSeen).isEmpty();
    assertThat(keyedBearers).containsExactly("Bearer sk-backend-a-SECRET");
    assertThat(events.none()).isTrue();
  }

  /**
   * With no other backend, a provider's {@link Error} fails the call with an {@link IOException}
   * caused by it, reported by one event; the backend is released (its breaker's permit and its
   * in-flight slot), so that the next call is routed to it again.
   */
  @Test
  void aProviderErrorWithNoBackendLeftFailsTheCallWithAnIoExceptionAndOneEvent() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    OkHttpClient client =
        client(
            BackendPool.builder()
                .backend(
                    dev.aigateway.core.routing.Backend.openAiCompatible(
                            "broken", backend.url("/").toString())
                        .credential(
                            () -> {
                              asked.incrementAndGet();
                              throw new StackOverflowError();
                            }))
                .circuitBreaker(
                    dev.aigateway.core.routing.CircuitBreakerPolicy.builder()
                        .failureCount(1, Duration.ofMinutes(1))
                        .build())
                .build());

    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> status(client, chat()))
          .isInstanceOf(IOException.class)
          .hasRootCauseInstanceOf(StackOverflowError.class);
      GatewayEvent event = events.next();
      assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
      assertThat(event.routing().attempts())
          .extracting(Attempt::status, Attempt::errorType)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(0, "java.lang.StackOverflowError"));
    }
    assertThat(asked).hasValue(2);
    assertThat(bearersSeen).isEmpty();
    assertThat(events.none()).isTrue();
  }

  /**
   * A provider whose {@code invalidate} throws an {@link Error} after a 401 leaves the 401
   * standing, as one that throws an unchecked exception: the application gets the answer, not the
   * error.
   */
  @Test
  void aProviderWhoseInvalidateThrowsAnErrorLeavesThe401Standing() throws Exception {
    acceptedToken = null; // the backend answers 401 to every call
    dev.aigateway.api.spi.CredentialProvider provider =
        new dev.aigateway.api.spi.CredentialProvider() {
          @Override
          public dev.aigateway.api.spi.Credential credential() {
            return new dev.aigateway.api.spi.Credential(
                dev.aigateway.api.spi.Credential.Kind.BEARER_TOKEN, "access-token-SECRET-x");
          }

          @Override
          public boolean invalidate(dev.aigateway.api.spi.Credential refused) {
            throw new NoClassDefFoundError("com/example/MissingIdentityClass");
          }
        };
    OkHttpClient client =
        client(
            dev.aigateway.core.routing.Backend.openAiCompatible("a", backend.url("/").toString())
                .credential(provider));

    assertThat(status(client, chat())).isEqualTo(401);

    GatewayEvent event = events.next();
    assertThat(event.routing().attempts()).extracting(Attempt::status).containsExactly(401);
    assertThat(bearersSeen).containsExactly("Bearer access-token-SECRET-x");
    assertThat(events.none()).isTrue();
  }
}
