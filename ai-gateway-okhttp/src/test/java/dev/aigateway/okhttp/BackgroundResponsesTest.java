package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.UsageSource;
import dev.aigateway.api.spi.CounterId;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Responses API background responses ({@code "background": true}): answered {@code queued} or
 * {@code in_progress} at once, their usage reported later to a {@code GET} of the response.
 */
class BackgroundResponsesTest {

  private static final String CONSUMER = "x-consumer-id";
  private static final String REQUEST =
      "{\"model\":\"gpt-4.1\",\"input\":\"Hi\",\"background\":true,\"max_output_tokens\":300}";

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();
  private final ManualClock clock = new ManualClock(Instant.parse("2026-03-31T10:00:00Z"));

  /** A quota: what it counts does not refill while the test's clock moves. */
  private final TokenLimit limit =
      TokenLimit.perConsumer().quota(10_000_000, QuotaPeriod.MONTHLY).build();

  @BeforeEach
  void setUp() throws Exception {
    server.start();
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private AiGateway.Builder gateway() {
    return AiGateway.builder()
        .clock(clock)
        .listener(events)
        .consumerKey(KeyResolvers.header(CONSUMER))
        .tokenLimit(limit);
  }

  private static String response(String id, String status, String usage) {
    return "{\"id\":\""
        + id
        + "\",\"object\":\"response\",\"created_at\":1,\"status\":\""
        + status
        + "\",\"background\":true,\"model\":\"gpt-4.1-2025-04-14\",\"output\":[],\"usage\":"
        + usage
        + "}";
  }

  private static String usage(long input, long output) {
    return "{\"input_tokens\":"
        + input
        + ",\"output_tokens\":"
        + output
        + ",\"total_tokens\":"
        + (input + output)
        + "}";
  }

  private String start(OkHttpClient client, String id) throws Exception {
    String queued = response(id, "queued", "null");
    server.enqueue(json(queued));
    try (Response response =
        client
            .newCall(post(server.url("/v1/responses").toString(), REQUEST, CONSUMER, "alice"))
            .execute()) {
      assertThat(response.body().string()).isEqualTo(queued);
    }
    return queued;
  }

  private String get(OkHttpClient client, String path, String answer) throws Exception {
    server.enqueue(json(answer));
    try (Response response =
        client.newCall(new Request.Builder().url(server.url(path)).build()).execute()) {
      return response.body().string();
    }
  }

  private long used(AiGateway gateway) {
    return gateway
        .tokenLimitStore()
        .peek(List.of(new CounterId(limit.specs().get(0), "alice")))
        .get(0)
        .used();
  }

  @Test
  void aCompletedPollSettlesTheBackgroundCallOnTheUsageItReports() throws Exception {
    AiGateway gateway = gateway().build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);

    start(client, "resp_1");
    String inProgress = response("resp_1", "in_progress", "null");
    assertThat(get(client, "/v1/responses/resp_1", inProgress)).isEqualTo(inProgress);
    assertThat(events.none()).isTrue(); // still to be generated: nothing known yet
    String completed = response("resp_1", "completed", usage(12, 42));
    assertThat(get(client, "/v1/responses/resp_1", completed)).isEqualTo(completed);

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.consumer()).isEqualTo("alice");
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(12);
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(42);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.responseModel()).isEqualTo("gpt-4.1-2025-04-14");
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
    assertThat(event.limits().settledTokens()).isEqualTo(54);
    assertThat(used(gateway)).isEqualTo(54);
    assertThat(events.none()).isTrue();

    // A later poll of the settled response changes nothing.
    assertThat(get(client, "/v1/responses/resp_1", completed)).isEqualTo(completed);
    assertThat(used(gateway)).isEqualTo(54);
    assertThat(events.none()).isTrue();
  }

  @Test
  void aResponseCancelledWithoutUsageIsSettledOnItsPromptAndNoOutput() throws Exception {
    AiGateway gateway = gateway().build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    start(client, "resp_1");
    String cancelled = response("resp_1", "cancelled", "null");
    server.enqueue(json(cancelled));

    try (Response response =
        client
            .newCall(post(server.url("/v1/responses/resp_1/cancel").toString(), "{}"))
            .execute()) {
      assertThat(response.body().string()).isEqualTo(cancelled);
    }

    GatewayEvent event = events.next();
    long prompt = event.usage().tokens().inputTokens();
    assertThat(prompt).isPositive();
    assertThat(event.usage().tokens().outputTokens()).isZero();
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(event.limits().settledTokens()).isEqualTo(prompt);
    assertThat(used(gateway)).isEqualTo(prompt);
  }

  @Test
  void aBackgroundCallNeverPolledIsSettledOnItsWholeAllowanceOnceItsTimeIsUp() throws Exception {
    AiGateway gateway = gateway().backgroundResponses(10, 1 << 20, Duration.ofMinutes(5)).build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    start(client, "resp_1");
    clock.advance(Duration.ofMinutes(4));
    start(client, "resp_2");
    assertThat(events.none()).isTrue();
    assertThat(gateway.backgroundResponses().size()).isEqualTo(2);

    clock.advance(Duration.ofMinutes(2)); // resp_1's time is up, not resp_2's
    start(client, "resp_3");

    GatewayEvent expired = events.next();
    assertThat(expired.usage().tokens().outputTokens()).isEqualTo(300);
    assertThat(expired.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    long allowance = expired.limits().settledTokens();
    assertThat(allowance).isEqualTo(expired.usage().tokens().inputTokens() + 300);
    assertThat(events.none()).isTrue();
    assertThat(gateway.backgroundResponses().size()).isEqualTo(2);
    // The other two are still held at their reservations, the expired one settled at its own.
    assertThat(used(gateway)).isEqualTo(3 * allowance);
  }

  @Test
  void aTimeToLiveOfCenturiesOrForeverKeepsACallUntilItIsPolled() throws Exception {
    // Longer than a long of milliseconds (ChronoUnit.FOREVER's), a time to live saturates: the
    // call waits for its poll however long that takes, it is neither refused nor expired at once.
    for (Duration forever :
        List.of(
            java.time.temporal.ChronoUnit.FOREVER.getDuration(),
            Duration.ofSeconds(Long.MAX_VALUE),
            Duration.ofMillis(Long.MAX_VALUE))) {
      AiGateway gateway = gateway().backgroundResponses(10, 1 << 20, forever).build();
      OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
      start(client, "resp_1");
      clock.advance(Duration.ofDays(3650));
      start(client, "resp_2");

      assertThat(events.none()).as("%s", forever).isTrue();
      assertThat(gateway.backgroundResponses().size()).as("%s", forever).isEqualTo(2);
      String completed = response("resp_1", "completed", usage(12, 42));
      get(client, "/v1/responses/resp_1", completed);
      assertThat(events.next().usage().outputSource()).isEqualTo(UsageSource.REPORTED);
      assertThat(gateway.settleBackgroundResponses()).isEqualTo(1); // resp_2
      events.next();
    }
  }

  /**
   * A background call never polled, on a gateway that makes no other call after it (an application
   * gone idle): once its time is up it is settled, with its event, by the gateway's timer, not left
   * waiting for a next call that may never come.
   */
  @Test
  void aBackgroundCallNeverPolledIsSettledWhenItsTimeIsUpWithoutAnotherCall() throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .listener(events)
            .consumerKey(KeyResolvers.header(CONSUMER))
            .tokenLimit(limit)
            .backgroundResponses(10, 1 << 20, Duration.ofMillis(200))
            .build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    start(client, "resp_1");

    GatewayEvent expired = events.next(); // no other call: the timer settles it

    assertThat(expired.usage().tokens().outputTokens()).isEqualTo(300);
    assertThat(expired.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(expired.limits().settledTokens())
        .isEqualTo(expired.usage().tokens().inputTokens() + 300);
    assertThat(gateway.backgroundResponses().size()).isZero();
  }

  @Test
  void atShutdownEveryWaitingBackgroundCallIsSettledOnItsWholeAllowanceOnce() throws Exception {
    AiGateway gateway = gateway().build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    start(client, "resp_1");
    start(client, "resp_2");
    assertThat(events.none()).isTrue();

    assertThat(gateway.settleBackgroundResponses()).isEqualTo(2);

    List<GatewayEvent> settled = List.of(events.next(), events.next());
    for (GatewayEvent event : settled) {
      assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(event.usage().tokens().outputTokens()).isEqualTo(300);
      assertThat(event.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
      assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.SETTLED);
    }
    long allowance = settled.get(0).limits().settledTokens();
    assertThat(allowance).isEqualTo(settled.get(0).usage().tokens().inputTokens() + 300);
    assertThat(used(gateway)).isEqualTo(2 * allowance);
    assertThat(gateway.backgroundResponses().size()).isZero();

    // Settled once: neither a second call nor a later terminal poll changes anything.
    assertThat(gateway.settleBackgroundResponses()).isZero();
    assertThat(get(client, "/v1/responses/resp_1", response("resp_1", "completed", usage(5, 5))))
        .contains("completed");
    assertThat(events.none()).isTrue();
    assertThat(used(gateway)).isEqualTo(2 * allowance);

    // A call answered later waits as before.
    start(client, "resp_3");
    assertThat(events.none()).isTrue();
    assertThat(gateway.backgroundResponses().size()).isEqualTo(1);
  }

  @Test
  void beyondItsBoundABackgroundCallIsSettledAtOnceOnItsWholeAllowance() throws Exception {
    AiGateway gateway = gateway().backgroundResponses(1, 1 << 20, Duration.ofMinutes(5)).build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    start(client, "resp_1");
    assertThat(events.none()).isTrue();

    start(client, "resp_2");

    GatewayEvent atOnce = events.next();
    assertThat(atOnce.usage().tokens().outputTokens()).isEqualTo(300);
    assertThat(atOnce.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(gateway.backgroundResponses().size()).isEqualTo(1);
    // resp_2 was not kept: its poll passes through and changes nothing.
    String completed2 = response("resp_2", "completed", usage(12, 42));
    assertThat(get(client, "/v1/responses/resp_2", completed2)).isEqualTo(completed2);
    assertThat(events.none()).isTrue();
    String completed1 = response("resp_1", "completed", usage(12, 7));
    assertThat(get(client, "/v1/responses/resp_1", completed1)).isEqualTo(completed1);
    assertThat(events.next().usage().tokens().outputTokens()).isEqualTo(7);
    assertThat(gateway.backgroundResponses().size()).isZero();
  }

  @Test
  void beyondItsBodyBytesABackgroundCallIsSettledAtOnceOnItsWholeAllowance() throws Exception {
    int oneBody = REQUEST.getBytes(StandardCharsets.UTF_8).length;
    // room for one waiting call's request body, not for two
    AiGateway gateway =
        gateway().backgroundResponses(10, 2L * oneBody - 1, Duration.ofMinutes(5)).build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    start(client, "resp_1");
    assertThat(events.none()).isTrue();

    start(client, "resp_2");

    GatewayEvent atOnce = events.next();
    assertThat(atOnce.usage().tokens().outputTokens()).isEqualTo(300);
    assertThat(atOnce.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(gateway.backgroundResponses().size()).isEqualTo(1);
    String completed1 = response("resp_1", "completed", usage(12, 7));
    assertThat(get(client, "/v1/responses/resp_1", completed1)).isEqualTo(completed1);
    assertThat(events.next().usage().tokens().outputTokens()).isEqualTo(7);
    assertThat(gateway.backgroundResponses().size()).isZero();

    // the settled call gave its body's bytes back: the next one waits again
    start(client, "resp_3");
    assertThat(events.none()).isTrue();
    assertThat(gateway.backgroundResponses().size()).isEqualTo(1);
  }

  @Test
  void concurrentTerminalPollsOfOneResponseSettleItOnce() throws Exception {
    AiGateway gateway = gateway().build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    start(client, "resp_1");
    String completed = response("resp_1", "completed", usage(12, 42));
    int threads = 8;
    for (int i = 0; i < threads; i++) {
      server.enqueue(json(completed));
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> polls = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        polls.add(
            pool.submit(
                () -> {
                  go.await();
                  try (Response response =
                      client
                          .newCall(
                              new Request.Builder().url(server.url("/v1/responses/resp_1")).build())
                          .execute()) {
                    return response.body().string();
                  }
                }));
      }
      go.countDown();
      for (Future<String> poll : polls) {
        assertThat(poll.get(10, TimeUnit.SECONDS)).isEqualTo(completed);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(events.next().limits().settledTokens()).isEqualTo(54);
    assertThat(events.none()).isTrue();
    assertThat(used(gateway)).isEqualTo(54);
  }

  @Test
  void otherRequestsAndPollsNotAnsweredWithTheWholeResponseChangeNothing() throws Exception {
    AiGateway gateway = gateway().build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    start(client, "resp_1");
    String completed = response("resp_1", "completed", usage(12, 42));

    // Another response's id, the response's input items, a poll answered with an error.
    assertThat(get(client, "/v1/responses/resp_9", completed.replace("resp_1", "resp_9")))
        .contains("resp_9");
    assertThat(get(client, "/v1/responses/resp_1/input_items", completed)).isEqualTo(completed);
    server.enqueue(new MockResponse.Builder().code(500).body(completed).build());
    try (Response failed =
        client
            .newCall(new Request.Builder().url(server.url("/v1/responses/resp_1")).build())
            .execute()) {
      assertThat(failed.body().string()).isEqualTo(completed);
    }
    // A streamed poll (its events are not read), a poll whose answer is not a whole document.
    String stream =
        "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":"
            + completed
            + "}\n\n";
    server.enqueue(Backend.sse(stream));
    try (Response streamed =
        client
            .newCall(
                new Request.Builder().url(server.url("/v1/responses/resp_1?stream=true")).build())
            .execute()) {
      assertThat(streamed.body().string()).isEqualTo(stream);
    }
    String cut = completed.substring(0, completed.length() - 2);
    assertThat(get(client, "/v1/responses/resp_1", cut)).isEqualTo(cut);
    assertThat(events.none()).isTrue();
    assertThat(gateway.backgroundResponses().size()).isEqualTo(1);

    assertThat(get(client, "/v1/responses/resp_1", completed)).isEqualTo(completed);
    assertThat(events.next().usage().tokens().outputTokens()).isEqualTo(42);
    assertThat(used(gateway)).isEqualTo(54);
  }
}
