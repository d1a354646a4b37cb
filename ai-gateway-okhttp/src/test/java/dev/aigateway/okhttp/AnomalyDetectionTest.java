package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.AnomalySignal;
import dev.aigateway.api.ConsumerSnapshot;
import dev.aigateway.api.ConsumerState;
import dev.aigateway.api.ConsumerTransition;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.anomaly.AnomalyDetection;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Anomaly detection through a wrapped OkHttp client against MockWebServer: a flood from one
 * consumer is throttled while the others keep their throughput.
 */
class AnomalyDetectionTest {

  private static final String CONSUMER = "x-consumer-id";
  private static final Duration TICK = Duration.ofSeconds(2); // five ticks per 10 s bucket

  private final MockWebServer server = new MockWebServer();
  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final RecordingListener events = new RecordingListener();
  private final List<ConsumerTransition> transitions = new CopyOnWriteArrayList<>();
  private final AtomicInteger backendCalls = new AtomicInteger();
  private final ExecutorService threads = Executors.newFixedThreadPool(6);
  private AiGateway gateway;
  private OkHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            backendCalls.incrementAndGet();
            return Backend.json(chatCompletion("gpt-4o", 7, 3));
          }
        });
    server.start();
    gateway =
        AiGateway.builder()
            .clock(clock)
            .consumerKey(KeyResolvers.header(CONSUMER))
            .listener(events)
            .listener(
                new dev.aigateway.api.GatewayListener() {
                  @Override
                  public void onEvent(GatewayEvent event) {}

                  @Override
                  public void onConsumerTransition(ConsumerTransition transition) {
                    transitions.add(transition);
                  }
                })
            .anomalyDetection(
                AnomalyDetection.builder()
                    .bucket(Duration.ofSeconds(10))
                    .minSamples(5)
                    .actionDuration(Duration.ofMinutes(1)))
            .build();
    client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
  }

  @AfterEach
  void tearDown() {
    threads.shutdownNow();
    server.close();
  }

  /** One call; returns its status, checking what a throttled call carries. */
  private int call(String consumer) throws IOException {
    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    chatRequest("gpt-4o", "Hello there", ""),
                    CONSUMER,
                    consumer))
            .execute()) {
      String body = response.body().string();
      if (response.code() == 429) {
        assertThat(response.header("x-ai-gateway-rejected")).isEqualTo("consumer-throttled");
        assertThat(response.header("Retry-After")).isNotNull();
        assertThat(body).contains("\"code\":\"consumer_throttled\"");
      }
      return response.code();
    }
  }

  /**
   * One tick: each consumer makes its calls, those of one consumer spread over {@code threads}
   * threads, all at once; then the clock moves on by {@link #TICK}. Counts each status by consumer.
   */
  private void tick(Map<String, Integer> callsByConsumer, int threadsPerConsumer, Counts counts)
      throws Exception {
    List<Future<?>> done = new ArrayList<>();
    for (Map.Entry<String, Integer> entry : callsByConsumer.entrySet()) {
      String consumer = entry.getKey();
      int calls = entry.getValue();
      int spread = Math.min(threadsPerConsumer, Math.max(1, calls));
      for (int t = 0; t < spread; t++) {
        int share = calls / spread + (t < calls % spread ? 1 : 0);
        done.add(
            threads.submit(
                () -> {
                  for (int i = 0; i < share; i++) {
                    counts.add(consumer, call(consumer));
                  }
                  return null;
                }));
      }
    }
    for (Future<?> f : done) {
      f.get();
    }
    clock.advance(TICK);
  }

  @Test
  void aFloodFromOneConsumerIsThrottledWhileTheOthersKeepTheirThroughput() throws Exception {
    Counts counts = new Counts();
    // Learning: six buckets in which each consumer makes one call every 2 s (30 calls/min).
    for (int i = 0; i < 30; i++) {
      tick(Map.of("flood", 1, "steady-1", 1, "steady-2", 1), 1, counts);
    }
    assertThat(counts.of("flood", 200)).isEqualTo(30);

    // The flood: 40 calls per 2 s from four threads (20x its baseline) for 20 s, while the two
    // others keep one call per 2 s.
    Counts flood = new Counts();
    for (int i = 0; i < 10; i++) {
      tick(Map.of("flood", 40, "steady-1", 1, "steady-2", 1), 4, flood);
    }

    assertThat(flood.of("steady-1", 200)).isEqualTo(10);
    assertThat(flood.of("steady-2", 200)).isEqualTo(10);
    // Judged after about 11 calls (the sliding count above 3 x 5 per 10 s), then held to its
    // baseline: a bucket's worth (5 calls) and 1 call per 2 s, plus calls already in flight.
    assertThat(flood.of("flood", 200)).isBetween(20, 40);
    assertThat(flood.of("flood", 429)).isEqualTo(400 - flood.of("flood", 200));
    assertThat(transitions)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.consumer()).isEqualTo("flood");
              assertThat(t.from()).isEqualTo(ConsumerState.NORMAL);
              assertThat(t.to()).isEqualTo(ConsumerState.THROTTLED);
              assertThat(t.finding().signal()).isEqualTo(AnomalySignal.REQUEST_RATE);
            });
    List<ConsumerSnapshot> inventory = gateway.anomalies().inventory();
    assertThat(inventory)
        .extracting(ConsumerSnapshot::consumer, ConsumerSnapshot::state)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("flood", ConsumerState.THROTTLED),
            org.assertj.core.groups.Tuple.tuple("steady-1", ConsumerState.NORMAL),
            org.assertj.core.groups.Tuple.tuple("steady-2", ConsumerState.NORMAL));
    assertThat(inventory.get(0).why().signal()).isEqualTo(AnomalySignal.REQUEST_RATE);
    // The refused calls never reached the backend; every call ended in one event.
    int total = 90 + 420;
    assertThat(backendCalls.get()).isEqualTo(total - flood.of("flood", 429));
    assertThat(events.all).hasSize(total);
    assertThat(
            events.all.stream()
                .filter(e -> e.rejection() == RejectionReason.CONSUMER_THROTTLED)
                .allMatch(e -> e.anomaly().state() == ConsumerState.THROTTLED))
        .isTrue();

    // Back to its usual pace: released once the minute is up and its rate is back down.
    Counts after = new Counts();
    for (int i = 0; i < 40; i++) {
      tick(Map.of("flood", 1, "steady-1", 1, "steady-2", 1), 1, after);
    }

    assertThat(transitions)
        .extracting(ConsumerTransition::to)
        .containsExactly(ConsumerState.THROTTLED, ConsumerState.NORMAL);
    assertThat(transitions.get(1).at()).isAfterOrEqualTo(transitions.get(0).until());
    assertThat(gateway.anomalies().consumer("flood").orElseThrow().state())
        .isEqualTo(ConsumerState.NORMAL);
    assertThat(after.of("steady-1", 200)).isEqualTo(40);
  }

  @Test
  void directAzureCallsCountTheDeploymentsTheyReachAsTheirModels() throws Exception {
    // Azure serves the deployment a direct call's path names, whatever model the body writes: a
    // consumer reaching three deployments under one body model asks for three models, and one that
    // writes three body models to one deployment asks for one.
    for (String deployment : new String[] {"gpt-4o", "o3", "gpt-4-1"}) {
      azureCall("spread", deployment, "gpt-4o-mini");
    }
    for (String model : new String[] {"gpt-4o", "o3", "gpt-4-1"}) {
      azureCall("steady", "gpt-4o", model);
    }

    assertThat(
            gateway
                .anomalies()
                .consumer("spread")
                .orElseThrow()
                .recent(AnomalySignal.DISTINCT_MODELS))
        .isEqualTo(3.0);
    assertThat(
            gateway
                .anomalies()
                .consumer("steady")
                .orElseThrow()
                .recent(AnomalySignal.DISTINCT_MODELS))
        .isEqualTo(1.0);
  }

  private void azureCall(String consumer, String deployment, String model) throws IOException {
    try (Response response =
        client
            .newCall(
                post(
                    server
                        .url(
                            "/openai/deployments/"
                                + deployment
                                + "/chat/completions?api-version=2024-10-21")
                        .toString(),
                    chatRequest(model, "Hello there", ""),
                    CONSUMER,
                    consumer))
            .execute()) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }
  }

  @Test
  void aBlockedConsumerGetsA403InOpenAisErrorShapeWithoutReachingTheBackend() throws Exception {
    gateway.anomalies().block("mallory", "stolen key", Duration.ofMinutes(10));

    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    chatRequest("gpt-4o", "Hello there", ""),
                    CONSUMER,
                    "mallory"))
            .execute()) {
      assertThat(response.code()).isEqualTo(403);
      assertThat(response.header("x-ai-gateway-rejected")).isEqualTo("consumer-blocked");
      assertThat(response.header("Retry-After")).isEqualTo("600");
      assertThat(response.body().string())
          .contains("\"type\":\"permission_error\"")
          .contains("\"code\":\"consumer_blocked\"")
          .doesNotContain("stolen");
    }
    assertThat(call("alice")).isEqualTo(200);
    assertThat(backendCalls.get()).isEqualTo(1);
    GatewayEvent blocked = events.next();
    assertThat(blocked.rejection()).isEqualTo(RejectionReason.CONSUMER_BLOCKED);
    assertThat(blocked.anomaly().state()).isEqualTo(ConsumerState.BLOCKED);
    assertThat(blocked.anomaly().until()).isEqualTo(clock.instant().plus(Duration.ofMinutes(10)));
    assertThat(events.next().anomaly().state()).isEqualTo(ConsumerState.NORMAL);
  }

  /** Statuses per consumer, counted from many threads. */
  private static final class Counts {
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    void add(String consumer, int status) {
      counts.computeIfAbsent(consumer + " " + status, k -> new AtomicInteger()).incrementAndGet();
    }

    int of(String consumer, int status) {
      AtomicInteger count = counts.get(consumer + " " + status);
      return count == null ? 0 : count.get();
    }
  }
}
