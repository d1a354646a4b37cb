package dev.aigateway.core.adapter;

import static dev.aigateway.core.adapter.ScriptedSender.events;
import static dev.aigateway.core.adapter.ScriptedSender.json;
import static dev.aigateway.core.adapter.ScriptedSender.status;
import static dev.aigateway.core.adapter.ScriptedSender.text;
import static dev.aigateway.core.adapter.ScriptedSender.throwing;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.AttemptPlan;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.CircuitBreakerPolicy;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.core.wire.SendFailedException;
import dev.aigateway.testing.ManualClock;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.SequenceInputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The attempt loop, driven through a scripted sender: no HTTP client, no sleeping. */
class AttemptLoopTest {

  private static final String CHAT =
      "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\"," + "\"content\":\"Hi\"}]}";
  private static final String STREAMED_CHAT = CHAT.replace("]}", "],\"stream\":true}");
  private static final String ANSWER =
      "{\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"}}],\"usage\":"
          + "{\"prompt_tokens\":8,\"completion_tokens\":1,\"total_tokens\":9}}";
  private static final String FIRST_EVENT =
      "data: {\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}\n\n";
  private static final String REST =
      "data: {\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"delta\":{\"content\":\"lo\"}}],\"usage\":null}\n\n"
          + "data: {\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":8,"
          + "\"completion_tokens\":2,\"total_tokens\":10}}\n\ndata: [DONE]\n\n";
  private static final String SEEN_STREAM =
      (FIRST_EVENT + REST)
          .replace(",\"usage\":null", "")
          .replace(
              "data: {\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":8,"
                  + "\"completion_tokens\":2,\"total_tokens\":10}}\n\n",
              "");

  private final ManualClock clock = ManualClock.at("2026-06-01T10:00:00Z");
  private final List<GatewayEvent> events = new ArrayList<>();
  private final List<BreakerTransition> transitions = new ArrayList<>();
  private final List<Duration> pauses = new ArrayList<>();
  private final ScriptedSender sender = new ScriptedSender();

  @AfterEach
  void clearInterrupt() {
    Thread.interrupted();
  }

  private AiGateway.Builder gateway() {
    return AiGateway.builder()
        .clock(clock)
        .listener(
            new GatewayListener() {
              @Override
              public void onEvent(GatewayEvent event) {
                events.add(event);
              }

              @Override
              public void onBreakerTransition(BreakerTransition transition) {
                transitions.add(transition);
              }
            });
  }

  private static BackendPool.Builder pool(String... ids) {
    BackendPool.Builder pool = BackendPool.builder();
    for (String id : ids) {
      pool.backend(Backend.openAiCompatible(id, "http://" + id + ".test/"));
    }
    return pool;
  }

  private AiGateway routed(BackendPool.Builder pool) {
    return gateway().backendPool(pool.build()).build();
  }

  /** Admits a call and sends it through the loop, backoffs recorded instead of slept. */
  private AttemptLoop.Answer<ScriptedSender.Reply> send(AiGateway gateway, String body)
      throws IOException {
    GovernedCall call =
        gateway.begin(
            gateway.match("POST", "/v1/chat/completions"),
            PostedRequest.of("http://app.test/v1/chat/completions", body));
    Admission admission = call.admit();
    assertThat(admission.admitted()).isTrue();
    return new AttemptLoop<>(call, sender, pauses::add).run();
  }

  private static String read(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    in.close();
    return out.toString(UTF_8);
  }

  private GatewayEvent onlyEvent() {
    assertThat(events).hasSize(1);
    return events.get(0);
  }

  /** A body that serves {@code first}, then fails as a broken connection does. */
  private static InputStream breakingAfter(String first) {
    return failingAfter(
        first,
        () -> {
          throw new IOException("connection reset");
        });
  }

  /** What a body's failing read does; it throws. */
  @FunctionalInterface
  private interface FailingRead {
    void fail() throws IOException;
  }

  /** A body that serves {@code first}, then fails its next read as {@code failure} does. */
  private static InputStream failingAfter(String first, FailingRead failure) {
    return new SequenceInputStream(
        text(first),
        new InputStream() {
          @Override
          public int read() throws IOException {
            failure.fail();
            throw new AssertionError("the failing read returned");
          }
        });
  }

  // ---------------------------------------------------------------- failover

  @Test
  void aRetryableStatusMovesTheCallToTheNextBackendAndItsResponseIsDiscarded() throws IOException {
    sender.on("a", status(503)).on("b", json(ANSWER));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(routed(pool("a", "b")), CHAT);
    read(answer.body());

    assertThat(answer.response().backendId).isEqualTo("b");
    assertThat(sender.replies.get(0).discarded).isTrue();
    assertThat(onlyEvent().routing().attempts())
        .extracting(a -> a.backendId() + ":" + a.status())
        .containsExactly("a:503", "b:200");
    assertThat(onlyEvent().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @Test
  void a503WithARetryAfterCoolsItsBackendDownForThatLongBeforeTheBreakerTrips() throws IOException {
    sender.on("a", status(503, "Retry-After", "30"), json(ANSWER)).on("b", json(ANSWER));
    AiGateway gateway = routed(pool("a", "b"));

    for (int i = 0; i < 3; i++) {
      read(send(gateway, CHAT).body());
    }
    clock.advance(Duration.ofSeconds(30));
    read(send(gateway, CHAT).body());
    read(send(gateway, CHAT).body());

    assertThat(sender.backendsTried()).containsExactly("a", "b", "b", "b", "a", "b");
    assertThat(transitions).isEmpty();
  }

  @Test
  void a429WithASubMillisecondRetryAfterCoolsItsBackendDownForAMillisecond() throws IOException {
    sender.on("a", status(429, "retry-after-ms", "0.5"), json(ANSWER)).on("b", json(ANSWER));
    AiGateway gateway = routed(pool("a", "b"));

    for (int i = 0; i < 3; i++) { // all within the same millisecond
      read(send(gateway, CHAT).body());
    }
    clock.advance(Duration.ofMillis(1));
    read(send(gateway, CHAT).body());
    read(send(gateway, CHAT).body());

    // a cools down for 0.5 ms, kept as 1 ms (not none): skipped until that millisecond has passed
    assertThat(sender.backendsTried()).containsExactly("a", "b", "b", "b", "a", "b");
    assertThat(transitions).isEmpty();
  }

  @Test
  void anUncheckedExceptionFromTheClientIsAFailedAttemptThatFailsOver() throws IOException {
    sender
        .on("a", throwing(new NumberFormatException("For input string: \"99999999999\"")))
        .on("b", json(ANSWER));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(routed(pool("a", "b")), CHAT);
    read(answer.body());

    assertThat(answer.response().backendId).isEqualTo("b");
    GatewayEvent event = onlyEvent();
    assertThat(event.routing().attempts().get(0).errorType())
        .isEqualTo("java.lang.NumberFormatException");
    assertThat(event.routing().failoverReason()).isEqualTo("NumberFormatException from a");
  }

  @Test
  void anUncheckedExceptionOnTheLastAttemptReachesTheAppAsAnIoException() throws IOException {
    IllegalStateException bug = new IllegalStateException("client bug");
    sender.on("a", throwing(bug));
    AiGateway gateway = routed(pool("a").failover(Failover.disabled()));

    assertThatThrownBy(() -> send(gateway, CHAT))
        .isInstanceOf(SendFailedException.class)
        .hasCause(bug)
        .hasMessageContaining("backend 'a'")
        .hasMessageContaining("java.lang.IllegalStateException");
    assertThat(onlyEvent().outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(onlyEvent().errorType()).isEqualTo("java.lang.IllegalStateException");
  }

  @Test
  void anErrorThatIsNotTheVirtualMachinesIsAFailedAttemptToo() throws IOException {
    sender
        .on(
            "a",
            plan -> {
              throw new AssertionError("interceptor bug");
            })
        .on("b", json(ANSWER));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(routed(pool("a", "b")), CHAT);

    assertThat(answer.response().backendId).isEqualTo("b");
  }

  @Test
  void aNullResponseIsAFailedAttempt() throws IOException {
    sender.on("a", plan -> null).on("b", json(ANSWER));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(routed(pool("a", "b")), CHAT);

    assertThat(answer.response().backendId).isEqualTo("b");
    assertThat(sender.backendsTried()).containsExactly("a", "b");
  }

  @Test
  void aHalfOpenProbeThatThrowsOpensTheBreakerAgainInsteadOfHoldingItsSlotForever()
      throws IOException {
    AiGateway gateway =
        routed(
            pool("a", "b")
                .circuitBreaker(
                    CircuitBreakerPolicy.builder()
                        .failureCount(1, Duration.ofSeconds(10))
                        .tripDuration(Duration.ofSeconds(30))
                        .build()));
    sender
        .on("a", status(503), throwing(new NumberFormatException("99999999999")), json(ANSWER))
        .on("b", json(ANSWER));
    send(gateway, CHAT); // a trips, b answers
    clock.advance(Duration.ofSeconds(31));

    send(gateway, CHAT); // a's probe throws: a opens again, b answers
    clock.advance(Duration.ofSeconds(31));
    send(gateway, CHAT); // a's next probe answers: closed

    assertThat(transitions)
        .extracting(BreakerTransition::to)
        .containsExactly(
            BreakerState.OPEN,
            BreakerState.HALF_OPEN,
            BreakerState.OPEN,
            BreakerState.HALF_OPEN,
            BreakerState.CLOSED);
    assertThat(transitions.get(2).reason()).isEqualTo("probe failed");
  }

  @Test
  void aCredentialNoHeaderMayHoldSkipsItsBackendWithoutShowingTheSecret() throws IOException {
    sender.on("b", json(ANSWER));
    AiGateway gateway =
        routed(
            BackendPool.builder()
                .backend(
                    Backend.openAi("a", "http://a.test/")
                        .credential(
                            dev.aigateway.api.Credentials.apiKey("sk-SECRET\r\nX-Injected: 1")))
                .backend(Backend.openAi("b", "http://b.test/")));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(gateway, CHAT);
    read(answer.body());

    assertThat(sender.backendsTried()).containsExactly("b");
    assertThat(onlyEvent().routing().attempts().get(0).errorType())
        .isEqualTo(IllegalArgumentException.class.getName());
    assertThat(onlyEvent().toString()).doesNotContain("SECRET");
  }

  /** A token provider whose first token is refused and whose fresh token cannot be obtained. */
  private static dev.aigateway.api.spi.CredentialProvider tokenThenNoFreshOne() {
    return new dev.aigateway.api.spi.CredentialProvider() {
      private boolean invalidated;

      @Override
      public dev.aigateway.api.spi.Credential credential() throws IOException {
        if (invalidated) {
          throw new IOException("the token endpoint is down");
        }
        return new dev.aigateway.api.spi.Credential(
            dev.aigateway.api.spi.Credential.Kind.BEARER_TOKEN, "token-SECRET-1");
      }

      @Override
      public boolean invalidate(dev.aigateway.api.spi.Credential refused) {
        invalidated = true;
        return true;
      }
    };
  }

  @Test
  void aFreshTokenThatCannotBeObtainedLeavesThe401ToTheApplicationWithoutFailover()
      throws IOException {
    sender.on("a", status(401)).on("b", json(ANSWER));
    AiGateway gateway =
        routed(
            BackendPool.builder()
                .backend(
                    Backend.openAi("a", "http://a.test/")
                        .credential(tokenThenNoFreshOne())
                        .priority(1))
                .backend(Backend.openAi("b", "http://b.test/").priority(2))
                .failover(Failover.disabled()));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(gateway, CHAT);

    assertThat(sender.backendsTried()).as("backends sent to").containsExactly("a");
    assertThat(answer.response().status).isEqualTo(401);
    assertThat(answer.response().discarded).as("the 401 handed on").isFalse();
    GatewayEvent event = onlyEvent();
    assertThat(event.status()).isEqualTo(401);
    assertThat(event.routing().attempts())
        .extracting(a -> a.backendId() + ":" + a.status() + ":" + a.credentialRetry())
        .containsExactly("a:401:false", "a:0:true");
    assertThat(event.toString()).doesNotContain("SECRET");
  }

  @Test
  void aFreshTokenThatCannotBeObtainedFailsOverWhenTheFailoverRetriesOn401() throws IOException {
    sender.on("a", status(401)).on("b", json(ANSWER));
    AiGateway gateway =
        routed(
            BackendPool.builder()
                .backend(
                    Backend.openAi("a", "http://a.test/")
                        .credential(tokenThenNoFreshOne())
                        .priority(1))
                .backend(Backend.openAi("b", "http://b.test/").priority(2))
                .failover(Failover.builder().retryOn(s -> s == 401).build()));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(gateway, CHAT);
    read(answer.body());

    assertThat(sender.backendsTried()).containsExactly("a", "b");
    assertThat(onlyEvent().status()).isEqualTo(200);
  }

  @Test
  void aBackendWhoseCredentialCannotBeObtainedUsesUpNoAttempt() throws IOException {
    sender.on("b", status(500)).on("c", json(ANSWER));
    AiGateway gateway =
        routed(
            BackendPool.builder()
                .backend(
                    Backend.openAi("a", "http://a.test/")
                        .credential(
                            () -> {
                              throw new IOException("the token endpoint is down");
                            })
                        .priority(1))
                .backend(Backend.openAi("b", "http://b.test/").priority(2))
                .backend(Backend.openAi("c", "http://c.test/").priority(3))
                .failover(Failover.builder().maxAttempts(2).build()));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(gateway, CHAT);

    assertThat(sender.backendsTried()).as("backends sent to").containsExactly("b", "c");
    read(answer.body());
    GatewayEvent event = onlyEvent();
    assertThat(event.status()).isEqualTo(200);
    assertThat(event.routing().attempts())
        .extracting(a -> a.backendId() + ":" + a.status())
        .containsExactly("a:0", "b:500", "c:200");
  }

  @Test
  void aCancelledCallIsNeverRetried() {
    sender
        .on(
            "a",
            plan -> {
              sender.canceled = true;
              throw new IOException("Canceled");
            })
        .on("b", json(ANSWER));

    assertThatThrownBy(() -> send(routed(pool("a", "b")), CHAT)).hasMessage("Canceled");
    assertThat(sender.backendsTried()).containsExactly("a");
    assertThat(onlyEvent().outcome()).isEqualTo(CallOutcome.CANCELLED); // the application's
    assertThat(onlyEvent().errorType()).isEqualTo("cancelled");
    assertThat(onlyEvent().usage().tokens().totalTokens()).isZero(); // no answer came
  }

  @Test
  void aCallTheClientsCallTimeoutCancelledFailsAndIsNeverRetried() {
    sender
        .on(
            "a",
            plan -> {
              sender.canceled = true; // the client implements its call timeout by cancelling
              sender.timedOut = true;
              throw new IOException("Canceled");
            })
        .on("b", json(ANSWER));

    assertThatThrownBy(() -> send(routed(pool("a", "b")), CHAT)).hasMessage("Canceled");
    assertThat(sender.backendsTried()).containsExactly("a");
    assertThat(onlyEvent().outcome()).isEqualTo(CallOutcome.FAILED);
  }

  @Test
  void noAttemptStartsOnceTheDeadlineHasPassed() throws IOException {
    sender.on("a", status(503)).on("b", json(ANSWER));
    AiGateway gateway =
        routed(pool("a", "b").failover(Failover.builder().deadline(Duration.ofNanos(1)).build()));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(gateway, CHAT);

    assertThat(answer.response().status).isEqualTo(503); // the last answer goes to the app
    assertThat(answer.response().discarded).isFalse();
    assertThat(sender.backendsTried()).containsExactly("a");
  }

  // ---------------------------------------------------------------- backoff

  @Test
  void aBackendAlreadyTriedIsRetriedAfterAJitteredBackoff() throws IOException {
    sender.on("a", status(500), json(ANSWER));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(routed(pool("a")), CHAT);

    assertThat(answer.response().status).isEqualTo(200);
    assertThat(pauses)
        .singleElement()
        .satisfies(pause -> assertThat(pause).isBetween(Duration.ZERO, Failover.DEFAULT_BACKOFF));
  }

  @Test
  void anInterruptedBackoffEndsTheCallWithoutAVerdictAgainstTheBackend() throws IOException {
    AiGateway gateway =
        routed(
            pool("a")
                .circuitBreaker(
                    CircuitBreakerPolicy.builder()
                        .failureCount(2, Duration.ofSeconds(10))
                        .build()));
    sender.on("a", status(500), json(ANSWER));
    GovernedCall call =
        gateway.begin(
            gateway.match("POST", "/v1/chat/completions"),
            PostedRequest.of("http://app.test/v1/chat/completions", CHAT));
    Admission admission = call.admit();
    AttemptLoop<ScriptedSender.Reply> loop =
        new AttemptLoop<>(
            call,
            sender,
            backoff -> {
              throw new InterruptedException();
            });

    assertThatThrownBy(loop::run).isInstanceOf(InterruptedIOException.class);
    assertThat(Thread.currentThread().isInterrupted()).isTrue();
    assertThat(onlyEvent().outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(transitions).isEmpty(); // one failure (the 500) of two needed: still closed
  }

  @Test
  void aCallCancelledDuringItsBackoffNeverAsksForTheRetrysCredential() {
    java.util.concurrent.atomic.AtomicInteger credentialsAsked =
        new java.util.concurrent.atomic.AtomicInteger();
    dev.aigateway.api.spi.CredentialProvider counting =
        () -> {
          credentialsAsked.incrementAndGet();
          return new dev.aigateway.api.spi.Credential(
              dev.aigateway.api.spi.Credential.Kind.API_KEY, "sk-test");
        };
    AiGateway gateway =
        routed(
            BackendPool.builder()
                .backend(Backend.openAi("a", "http://a.test/").credential(counting)));
    // A cancelled call fails when sent, as a client fails it.
    ScriptedSender.Script answer = json(ANSWER);
    sender.on(
        "a",
        status(500),
        plan -> {
          if (sender.canceled) {
            throw new IOException("Canceled");
          }
          return answer.answer(plan);
        });
    GovernedCall call =
        gateway.begin(
            gateway.match("POST", "/v1/chat/completions"),
            PostedRequest.of("http://app.test/v1/chat/completions", CHAT));
    call.admit();
    // The application cancels the call while it waits out the backoff before retrying a.
    AttemptLoop<ScriptedSender.Reply> loop =
        new AttemptLoop<>(call, sender, backoff -> sender.canceled = true);

    assertThatThrownBy(loop::run).isInstanceOf(IOException.class).hasMessage("Canceled");
    assertThat(credentialsAsked).as("credentials asked for, the first attempt's only").hasValue(1);
    assertThat(sender.backendsTried()).containsExactly("a");
    GatewayEvent event = onlyEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(event.routing().attempts()).hasSize(1);
  }

  private static final String ERROR_EVENT =
      "data: {\"error\":{\"message\":\"The server had an error while processing your"
          + " request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";

  /** A pool of one backend, no failover (its stream is handed on unheld), opened by one failure. */
  private AiGateway lastAttempt() {
    return routed(
        pool("a")
            .failover(Failover.disabled())
            .circuitBreaker(
                CircuitBreakerPolicy.builder().failureCount(1, Duration.ofSeconds(10)).build()));
  }

  @Test
  void aStreamWhoseErrorEventIsFollowedByABrokenConnectionIsAFailureForItsBreaker()
      throws IOException {
    sender.on("a", events(breakingAfter(ERROR_EVENT)));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(lastAttempt(), STREAMED_CHAT);

    assertThatThrownBy(() -> read(answer.body())).isInstanceOf(IOException.class);
    assertThat(onlyEvent().outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(transitions)
        .as("the breaker of a backend whose stream sent an error event, then broke off")
        .extracting(BreakerTransition::to)
        .containsExactly(BreakerState.OPEN);
  }

  // ---------------------------------------------------------------- a stream's first event

  @Test
  void aStreamThatBreaksBeforeItsFirstEventFailsOver() throws IOException {
    sender
        .on("a", events(breakingAfter(": keep-alive\n\n")))
        .on("b", events(text(FIRST_EVENT + REST)));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(routed(pool("a", "b")), STREAMED_CHAT);

    assertFailedOverFromAToB(answer, "java.io.IOException");
  }

  @Test
  void anUncheckedExceptionReadingAHeldStreamIsAFailedAttemptThatFailsOver() throws IOException {
    sender
        .on(
            "a",
            events(
                failingAfter(
                    ": keep-alive\n\n",
                    () -> {
                      throw new IllegalStateException("the body's source broke");
                    })))
        .on("b", events(text(FIRST_EVENT + REST)));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(routed(pool("a", "b")), STREAMED_CHAT);

    assertFailedOverFromAToB(answer, "java.lang.IllegalStateException");
  }

  @Test
  void aCallCancelledWhileItsStreamIsHeldForItsFirstEventFailsWithOneCancelledEvent() {
    GatewayEvent event =
        heldStreamEndingIn(
            () -> {
              sender.canceled = true; // the application cancels the call meanwhile
              throw new IOException("Canceled");
            });

    assertThat(event.outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(transitions).isEmpty();
  }

  @Test
  void aCallTheClientsCallTimeoutEndsWhileItsStreamIsHeldFailsWithOneEvent() {
    GatewayEvent event =
        heldStreamEndingIn(
            () -> {
              sender.canceled = true; // the client's call timeout cancels the call
              sender.timedOut = true;
              throw new IOException("Canceled");
            });

    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.usage().tokens().totalTokens()).isZero();
    assertThat(transitions).isEmpty();
  }

  /**
   * Asserts that the streamed call failed over from a, whose reply was discarded after it failed
   * with {@code aErrorType}, to b, whose stream the application reads as it came.
   */
  private void assertFailedOverFromAToB(
      AttemptLoop.Answer<ScriptedSender.Reply> answer, String aErrorType) throws IOException {
    assertThat(read(answer.body())).isEqualTo(SEEN_STREAM);
    assertThat(sender.replies.get(0).discarded).isTrue();
    GatewayEvent event = onlyEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.routing().attempts())
        .extracting(a -> a.backendId() + ":" + a.errorType())
        .containsExactly("a:" + aErrorType, "b:null");
  }

  /**
   * Sends a streamed call whose stream from a, held for its first event, sends a keep-alive and
   * then fails its read as {@code failure} does (b would answer); asserts that the call ends in
   * "Canceled" with only a tried and its reply discarded, and returns the call's one event.
   */
  private GatewayEvent heldStreamEndingIn(FailingRead failure) {
    sender
        .on("a", events(failingAfter(": keep-alive\n\n", failure)))
        .on("b", events(text(FIRST_EVENT + REST)));

    assertThatThrownBy(() -> send(routed(pool("a", "b")), STREAMED_CHAT))
        .isInstanceOf(IOException.class)
        .hasMessage("Canceled");

    assertThat(sender.backendsTried()).containsExactly("a");
    assertThat(sender.replies.get(0).discarded).isTrue();
    return onlyEvent();
  }

  @Test
  void aStreamThatEndsBeforeItsFirstEventFailsOver() throws IOException {
    sender
        .on("a", events(text("data: {\"model\":\"gpt-4o\"")))
        .on("b", events(text(FIRST_EVENT + REST)));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(routed(pool("a", "b")), STREAMED_CHAT);

    assertThat(read(answer.body())).isEqualTo(SEEN_STREAM);
    assertThat(onlyEvent().routing().attempts().get(0).errorType())
        .isEqualTo(EOFException.class.getName());
  }

  @Test
  void aStreamSilentPastTheFirstEventTimeoutFailsOver() throws IOException {
    sender
        .on(
            "a",
            events(
                new InputStream() {
                  @Override
                  public int read() throws IOException {
                    throw new SocketTimeoutException(
                        "timeout"); // as the client's deadline makes it
                  }
                }))
        .on("b", events(text(FIRST_EVENT + REST)));

    AttemptLoop.Answer<ScriptedSender.Reply> answer =
        send(
            routed(
                pool("a", "b")
                    .failover(Failover.builder().firstEventTimeout(Duration.ofSeconds(5)).build())),
            STREAMED_CHAT);

    assertThat(read(answer.body())).isEqualTo(SEEN_STREAM);
    assertThat(sender.replies.get(0).deadlines).containsExactly(Duration.ofSeconds(5));
    assertThat(onlyEvent().routing().failoverReason()).isEqualTo("SocketTimeoutException from a");
  }

  @Test
  void theFirstEventsBoundIsLiftedOnceItArrived() throws IOException {
    sender.on("a", events(text(FIRST_EVENT + REST)));

    read(send(routed(pool("a", "b")), STREAMED_CHAT).body());

    assertThat(sender.replies.get(0).deadlines)
        .containsExactly(Failover.DEFAULT_FIRST_EVENT_TIMEOUT, null);
  }

  @Test
  void aStreamThatBreaksAfterItsFirstEventReachesTheAppAndIsNotRetried() throws IOException {
    sender.on("a", events(breakingAfter(FIRST_EVENT))).on("b", events(text(FIRST_EVENT + REST)));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(routed(pool("a", "b")), STREAMED_CHAT);

    assertThat(answer.response().backendId).isEqualTo("a");
    byte[] buffer = new byte[8192];
    int n = answer.body().read(buffer);
    assertThat(new String(buffer, 0, n, UTF_8))
        .isEqualTo(FIRST_EVENT.replace(",\"usage\":null", ""));
    assertThatThrownBy(() -> answer.body().read(buffer)).hasMessage("connection reset");
    assertThat(sender.backendsTried()).containsExactly("a");
    assertThat(onlyEvent().outcome()).isEqualTo(CallOutcome.TRUNCATED);
  }

  @Test
  void aTimeoutThatWouldLeaveNoTimeForAnotherAttemptDoesNotBoundTheStream() throws IOException {
    sender.on("a", events(text(FIRST_EVENT + REST)));
    AiGateway gateway =
        routed(
            pool("a", "b")
                .failover(
                    Failover.builder()
                        .deadline(Duration.ofSeconds(20))
                        .firstEventTimeout(Duration.ofSeconds(30))
                        .build()));

    read(send(gateway, STREAMED_CHAT).body());

    assertThat(sender.replies.get(0).deadlines).isEmpty();
  }

  @Test
  void theLastPossibleAttemptsStreamIsPassedOnAsItComes() throws IOException {
    InputStream stream = text(FIRST_EVENT + REST);
    sender.on("a", events(stream));

    AttemptLoop.Answer<ScriptedSender.Reply> answer =
        send(routed(pool("a").failover(Failover.disabled())), STREAMED_CHAT);

    assertThat(stream.available()).isEqualTo((FIRST_EVENT + REST).length()); // nothing held
    assertThat(read(answer.body())).isEqualTo(SEEN_STREAM);
    assertThat(sender.replies.get(0).deadlines).isEmpty();
  }

  @Test
  void aStreamThatBreaksEarlyOnTheLastPossibleAttemptReachesTheAppAsItCame() throws IOException {
    sender
        .on("a", events(breakingAfter(": keep-alive\n\n")))
        .on("b", events(breakingAfter(": keep-alive\n\n")));

    AttemptLoop.Answer<ScriptedSender.Reply> answer =
        send(
            routed(pool("a", "b").failover(Failover.builder().maxAttempts(2).build())),
            STREAMED_CHAT);

    assertThat(answer.response().backendId).isEqualTo("b");
    byte[] buffer = new byte[8192];
    assertThat(answer.body().read(buffer)).isEqualTo(": keep-alive\n\n".length());
    assertThatThrownBy(() -> answer.body().read(buffer)).hasMessage("connection reset");
    assertThat(onlyEvent().outcome()).isEqualTo(CallOutcome.TRUNCATED);
  }

  // ---------------------------------------------------------------- without a pool

  @Test
  void aCallWithoutAPoolIsOneAttemptWhereTheAppSentIt() throws IOException {
    sender.on(null, json(ANSWER));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(gateway().build(), STREAMED_CHAT);

    AttemptPlan plan = sender.sent.get(0);
    assertThat(plan.url()).isNull();
    assertThat(plan.setHeaders()).isEmpty();
    assertThat(new String(plan.body(), UTF_8)).contains("\"include_usage\":true");
    read(answer.body());
    assertThat(onlyEvent().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @Test
  void aCallWithoutAPoolIsNotRetried() {
    sender.on(
        null,
        plan -> {
          throw new IOException("connection refused");
        });

    assertThatThrownBy(() -> send(gateway().build(), CHAT)).hasMessage("connection refused");
    assertThat(sender.sent).hasSize(1);
    assertThat(onlyEvent().errorType()).isEqualTo(IOException.class.getName());
  }

  @Test
  void anErrorStatusIsHandedOnWithItsOwnBody() throws IOException {
    sender.on(null, status(400));

    AttemptLoop.Answer<ScriptedSender.Reply> answer = send(gateway().build(), CHAT);

    assertThat(answer.body()).isNull();
    assertThat(onlyEvent().outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
  }
}
