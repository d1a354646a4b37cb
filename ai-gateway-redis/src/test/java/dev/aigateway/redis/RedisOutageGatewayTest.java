package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.StoreTransition;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.StoreBreakerPolicy;
import dev.aigateway.core.limit.StoreFailurePolicy;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.ConnectionPool;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A gateway on the Redis store while redis-server is killed (SIGKILL) with calls in flight and
 * started again, under each failure policy: no call hangs, every call ends in exactly one event
 * whose limit outcome shows the policy, the store reconnects by itself, the settlements Redis
 * missed are replayed, and the shared quota loses nothing to the outage.
 */
class RedisOutageGatewayTest {

  private static final String CONSUMER = "x-consumer-id";
  private static final int CALLERS = 8;
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);
  private static final long TOKENS_PER_CALL = 10; // what the backend reports: 8 + 2

  /** The backend: answers every call after a few milliseconds, so calls are in flight. */
  private static final class Backend extends Dispatcher {
    @Override
    public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
      Thread.sleep(3);
      return new MockResponse.Builder()
          .code(200)
          .addHeader("Content-Type", "application/json")
          .body(
              "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o\","
                  + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                  + "\"Hi\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":8,"
                  + "\"completion_tokens\":2,\"total_tokens\":10}}")
          .build();
    }
  }

  static Stream<Arguments> policies() {
    return Stream.of(
        Arguments.of("fail open", StoreFailurePolicy.failOpen()),
        Arguments.of("fail closed", StoreFailurePolicy.failClosed(Duration.ofSeconds(1))),
        Arguments.of("local fallback", StoreFailurePolicy.fallBackToLocal(0.5)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void killedAndRestartedRedisWithCallsInFlight(String name, StoreFailurePolicy policy)
      throws Exception {
    TokenLimit limit = TokenLimit.perConsumer().quota(1_000_000_000L, QuotaPeriod.MONTHLY).build();
    LimitSpec quota = limit.specs().get(0);
    Queue<GatewayEvent> events = new ConcurrentLinkedQueue<>();
    Queue<StoreTransition> transitions = new ConcurrentLinkedQueue<>();
    // Append-only with fsync on every write: the restarted server has what the killed one took.
    try (RedisServer redis =
            RedisServer.start(List.of("--appendonly", "yes", "--appendfsync", "always"));
        MockWebServer backend = new MockWebServer();
        RedisConnection connection =
            RedisConnection.builder().uri(redis.uri()).commandTimeout(COMMAND_TIMEOUT).build();
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      backend.setDispatcher(new Backend());
      backend.start();
      connection.connect();
      // The store's first answers (its script library loaded, its connections made) can take
      // longer than the command timeout on a loaded machine: it is warm before the calls begin.
      await(
          "the store answers",
          () -> {
            try {
              ReserveResult warm = store.reserve(List.of(new LimitCharge(quota, "warm-up", 0)));
              store.settle(warm.reservation(), new long[] {0});
              return true;
            } catch (RedisStoreException notYet) {
              return false;
            }
          });
      OkHttpClient client =
          OkHttpAiGateway.wrap(
              new OkHttpClient.Builder()
                  .connectionPool(new ConnectionPool(CALLERS, 1, TimeUnit.MINUTES))
                  .build(),
              AiGateway.builder()
                  .consumerKey(KeyResolvers.header(CONSUMER))
                  .listener(
                      new GatewayListener() {
                        @Override
                        public void onEvent(GatewayEvent event) {
                          events.add(event);
                        }

                        @Override
                        public void onStoreTransition(StoreTransition transition) {
                          transitions.add(transition);
                        }
                      })
                  .tokenLimitStore(store)
                  .tokenLimit(limit)
                  .storeTimeout(Duration.ofSeconds(1))
                  .storeFailurePolicy(policy)
                  .storeBreaker(
                      StoreBreakerPolicy.builder()
                          .failureThreshold(3)
                          .coolDown(Duration.ofMillis(100))
                          .maxCoolDown(Duration.ofMillis(200)))
                  .build());

      try (Response warmUp = client.newCall(chat(backend)).execute()) {
        assertThat(warmUp.code()).isEqualTo(200); // the JVM's first call loads the token counter
      }
      events.clear();

      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong calls = new AtomicLong();
      AtomicLong slowest = new AtomicLong();
      Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
      List<Thread> callers = new ArrayList<>();
      for (int t = 0; t < CALLERS; t++) {
        Thread caller =
            new Thread(
                () -> {
                  while (!stop.get()) {
                    long started = System.nanoTime();
                    int status;
                    try (Response response = client.newCall(chat(backend)).execute()) {
                      response.body().string();
                      status = response.code();
                    } catch (java.io.IOException e) {
                      status = -1;
                    }
                    slowest.accumulateAndGet(System.nanoTime() - started, Math::max);
                    statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
                    calls.incrementAndGet();
                  }
                });
        caller.start();
        callers.add(caller);
      }

      await("calls settled in the store", () -> count(events, LimitOutcome.SETTLED) >= CALLERS);
      redis.kill(); // calls in flight: reserved, at the backend, settling
      await("calls met the outage", () -> outageOutcomes(events) >= CALLERS);
      redis.restart();
      await("the store is healthy again", () -> healthyAgain(transitions));
      // Calls go to the store again, and keep going: the first probe can succeed on one of the
      // store's connections while Lettuce's is still reconnecting, so the store may fail once more.
      await("calls settle in the store again", () -> lastAllSettled(events, 2 * CALLERS));
      stop.set(true);
      for (Thread caller : callers) {
        caller.join(10_000);
        assertThat(caller.isAlive()).as("a caller hangs").isFalse();
      }

      // No call hangs: bounded by the command timeout (the store) and the backend, with slack for
      // a loaded machine.
      assertThat(Duration.ofNanos(slowest.get())).isLessThan(Duration.ofSeconds(3));
      assertThat(statuses).doesNotContainKey(-1);
      // Exactly one event per call.
      long deadlineEvents = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (events.size() < calls.get() && System.nanoTime() < deadlineEvents) {
        Thread.sleep(10);
      }
      assertThat((long) events.size()).isEqualTo(calls.get());
      assertThat(events.stream().map(GatewayEvent::callId).distinct().count())
          .isEqualTo(calls.get());

      // The policy, visible in the events of the outage; the store back in use after it.
      List<LimitOutcome> outcomes = events.stream().map(e -> e.limits().outcome()).toList();
      assertThat(outcomes).contains(LimitOutcome.SETTLED);
      assertThat(healthyAgain(transitions)).as("the store is healthy again").isTrue();
      switch (policy.mode()) {
        case FAIL_OPEN -> {
          assertThat(outcomes).contains(LimitOutcome.STORE_FAILED);
          assertThat(statuses.keySet()).containsOnly(200);
        }
        case FAIL_CLOSED -> {
          assertThat(statuses.keySet()).containsOnly(200, 503);
          assertThat(
                  events.stream()
                      .filter(e -> e.status() == 503)
                      .allMatch(
                          e ->
                              e.limits().outcome() == LimitOutcome.STORE_FAILED
                                  && e.rejection() != null
                                  && e.rejection().name().equals("TOKEN_STORE_UNAVAILABLE")))
              .isTrue();
          assertThat(statuses.get(503).get()).isPositive();
        }
        case FALL_BACK_TO_LOCAL -> {
          assertThat(outcomes).contains(LimitOutcome.FALLBACK_SETTLED);
          assertThat(statuses.keySet()).containsOnly(200);
        }
      }

      // Quota: every call the store settled is counted in Redis, once; what it counts beyond that
      // can only be reservations that Redis took but whose answer the outage swallowed (the
      // connection reset under them): their calls went on under the policy, and Redis keeps
      // their estimates, which bounds the excess.
      assertThat(store.flush(Duration.ofSeconds(10))).isTrue();
      assertThat(store.settlements().dropped()).isZero();
      long settledInStore =
          events.stream()
              .filter(
                  e ->
                      e.limits().outcome() == LimitOutcome.SETTLED
                          || e.limits().outcome() == LimitOutcome.SETTLE_FAILED)
              .mapToLong(e -> e.limits().settledTokens())
              .sum();
      assertThat(settledInStore)
          .isEqualTo(
              TOKENS_PER_CALL * outcomes.stream().filter(o -> o == LimitOutcome.SETTLED).count());
      long reservedButFailed =
          events.stream()
              .filter(
                  e ->
                      switch (e.limits().outcome()) {
                        case STORE_FAILED, FALLBACK_SETTLED, FALLBACK_REJECTED -> true;
                        default -> false;
                      })
              .count();
      ReserveResult probe = store.reserve(List.of(new LimitCharge(quota, "team-a", 0)));
      long used = quota.capacity() - probe.remaining().get(0);
      assertThat(used).isGreaterThanOrEqualTo(settledInStore);
      assertThat(used - settledInStore)
          .as("counted beyond what calls settled: only swallowed reservations")
          .isLessThanOrEqualTo(reservedButFailed * estimatePerCall());
    }
  }

  /** At most what one call reserves: its prompt estimate and its output allowance. */
  private static long estimatePerCall() {
    return 200;
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() < deadline).as("within 20 s: %s", what).isTrue();
      Thread.sleep(10);
    }
  }

  /** Whether the last {@code n} calls to end were settled in the store. */
  private static boolean lastAllSettled(Queue<GatewayEvent> events, int n) {
    List<GatewayEvent> ended = List.copyOf(events);
    return ended.size() >= n
        && ended.subList(ended.size() - n, ended.size()).stream()
            .allMatch(e -> e.limits().outcome() == LimitOutcome.SETTLED);
  }

  private static long count(Queue<GatewayEvent> events, LimitOutcome outcome) {
    return events.stream().filter(e -> e.limits().outcome() == outcome).count();
  }

  /** Calls that met the store's outage: failed over to the policy. */
  private static long outageOutcomes(Queue<GatewayEvent> events) {
    return events.stream()
        .filter(
            e ->
                switch (e.limits().outcome()) {
                  case STORE_FAILED, FALLBACK_SETTLED, FALLBACK_REJECTED -> true;
                  default -> false;
                })
        .count();
  }

  private static boolean healthyAgain(Queue<StoreTransition> transitions) {
    List<StoreTransition> seen = List.copyOf(transitions);
    return !seen.isEmpty() && seen.get(seen.size() - 1).to().name().equals("HEALTHY");
  }

  private static Request chat(MockWebServer backend) {
    return new Request.Builder()
        .url(backend.url("/v1/chat/completions"))
        .header(CONSUMER, "team-a")
        .post(
            RequestBody.create(
                "{\"model\":\"gpt-4o\",\"max_tokens\":20,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}",
                MediaType.get("application/json")))
        .build();
  }
}
