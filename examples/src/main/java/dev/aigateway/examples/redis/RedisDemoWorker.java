package dev.aigateway.examples.redis;

import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.StoreFailurePolicy;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.redis.RedisBackendHealthChannel;
import dev.aigateway.redis.RedisConnection;
import dev.aigateway.redis.RedisResponseCacheStore;
import dev.aigateway.redis.RedisTokenLimitStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * One instance of the application in {@link RedisDemo}: its own JVM, its own gateway, sharing the
 * consumer's token limit, the response cache and the backend pool's health with the other instances
 * through one Redis. Makes chat calls from a few threads until its time is up, then prints one
 * {@value #RESULT} line with what its gateway saw.
 *
 * <p>Arguments: Redis URI, primary backend URL, secondary backend URL, instance name, run time in
 * milliseconds.
 */
public final class RedisDemoWorker {

  /** The prefix of the line a worker prints its counts on. */
  static final String RESULT = "RESULT";

  /** The line a worker prints when its gateway is built and it starts calling. */
  static final String READY = "READY";

  /** The consumer every instance calls for. */
  static final String CONSUMER = "team-a";

  /** The consumer's shared rate: tokens per minute, over every instance. */
  static final long TOKENS_PER_MINUTE = 6_000;

  /** Instances the demo runs; each falls back to this share of the limit while Redis is away. */
  static final int INSTANCES = 3;

  private static final int THREADS = 4;
  private static final MediaType JSON = MediaType.get("application/json");
  private static final String APP_URL = "https://llm.invalid/v1/chat/completions";
  private static final String[] QUESTIONS = {
    "What is a token bucket?",
    "Summarise the release notes.",
    "Name three uses of Redis.",
    "How does failover work?",
    "What is a calendar quota?",
    "Explain exponential backoff.",
    "What is a circuit breaker?",
    "Write a haiku about caches."
  };

  private final LongAdder calls = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder cacheHits = new LongAdder();
  private final LongAdder primary = new LongAdder();
  private final LongAdder secondary = new LongAdder();
  private final LongAdder sharedTokens = new LongAdder();
  private final LongAdder fallbackTokens = new LongAdder();
  private final LongAdder fallbackCalls = new LongAdder();

  private RedisDemoWorker() {}

  /** Runs one instance; see the class comment for the arguments. */
  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      throw new IllegalArgumentException(
          "usage: RedisDemoWorker <redis-uri> <primary-url> <secondary-url> <name> <millis>");
    }
    new RedisDemoWorker().run(args[0], args[1], args[2], args[3], Long.parseLong(args[4]));
  }

  private void run(
      String redisUri, String primaryUrl, String secondaryUrl, String name, long millis)
      throws InterruptedException {
    try (RedisConnection redis =
            RedisConnection.builder()
                .uri(redisUri)
                .keyPrefix("demo:")
                .commandTimeout(Duration.ofMillis(50))
                // connecting at start-up, with three JVMs starting at once, may take longer than
                // the 2 s default on a busy machine; calls stay bounded by the command timeout
                .connectTimeout(Duration.ofSeconds(15))
                .build();
        RedisTokenLimitStore limits = RedisTokenLimitStore.builder(redis).build();
        RedisBackendHealthChannel health = new RedisBackendHealthChannel(redis)) {
      redis.connect(); // at start-up, not on the first call
      AiGateway gateway =
          AiGateway.builder()
              .consumerKey(KeyResolvers.header("x-consumer-id"))
              .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(TOKENS_PER_MINUTE))
              .tokenLimitStore(limits)
              .storeFailurePolicy(StoreFailurePolicy.fallBackToLocal(1.0 / INSTANCES))
              .responseCache(
                  ResponseCache.builder().store(RedisResponseCacheStore.builder(redis).build()))
              .backendPool(
                  BackendPool.builder()
                      .name("demo-pool")
                      .sharedHealth(health)
                      .backend(
                          Backend.openAiCompatible("primary", primaryUrl)
                              .model("gpt-4o", "gpt-4o")
                              .priority(1))
                      .backend(
                          Backend.openAiCompatible("secondary", secondaryUrl)
                              .model("gpt-4o", "gpt-4o")
                              .priority(2))
                      .failover(Failover.defaults()))
              .listener(this::count)
              .build();
      OkHttpClient client =
          OkHttpAiGateway.wrap(
              new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(10)).build(), gateway);
      // The wall clock, shared by every JVM on the machine and by the Redis server whose clock the
      // limit refills on, marks when this instance began and ended spending the limit.
      long startedAt = System.currentTimeMillis();
      say(READY + " " + name);
      long deadline = System.nanoTime() + Duration.ofMillis(millis).toNanos();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < THREADS; i++) {
        Thread thread = new Thread(() -> callUntil(client, deadline), name + "-caller-" + i);
        thread.start();
        threads.add(thread);
      }
      for (Thread thread : threads) {
        thread.join();
      }
      say(
          String.format(
              Locale.ROOT,
              "%s instance=%s calls=%d rejected=%d cacheHits=%d primary=%d secondary=%d"
                  + " sharedTokens=%d fallbackCalls=%d fallbackTokens=%d startedAt=%d endedAt=%d",
              RESULT,
              name,
              calls.sum(),
              rejected.sum(),
              cacheHits.sum(),
              primary.sum(),
              secondary.sum(),
              sharedTokens.sum(),
              fallbackCalls.sum(),
              fallbackTokens.sum(),
              startedAt,
              System.currentTimeMillis()));
    }
  }

  /**
   * Writes one line for the demo to read, in one write: the worker's log lines share the pipe
   * (standard error is merged into it), and a line written in parts could have one written into its
   * middle, which the demo would then misread.
   */
  private static void say(String line) {
    byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
    System.out.write(bytes, 0, bytes.length);
    System.out.flush();
  }

  private void callUntil(OkHttpClient client, long deadline) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (System.nanoTime() < deadline) {
      // A quarter of the calls repeat a common question (the shared cache answers those); the
      // rest are new, so they reach a backend and spend the shared limit.
      String question = QUESTIONS[random.nextInt(QUESTIONS.length)];
      if (random.nextInt(4) != 0) {
        question = question + " (ticket " + random.nextInt(1_000_000) + ")";
      }
      String body =
          "{\"model\":\"gpt-4o\",\"max_tokens\":40,\"temperature\":0,"
              + "\"messages\":[{\"role\":\"user\",\"content\":\""
              + question
              + "\"}]}";
      Request request =
          new Request.Builder()
              .url(APP_URL)
              .header("x-consumer-id", CONSUMER)
              .post(RequestBody.create(body, JSON))
              .build();
      try (Response response = client.newCall(request).execute()) {
        response.body().string();
      } catch (IOException e) {
        // counted through the event; the demo goes on
      }
      try {
        Thread.sleep(random.nextInt(20, 60));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void count(GatewayEvent event) {
    calls.increment();
    if (event.rejection() != null) {
      rejected.increment();
    }
    if (event.cache().outcome() == CacheOutcome.EXACT_HIT) {
      cacheHits.increment();
    }
    String backend = event.routing().backendId();
    if ("primary".equals(backend)) {
      primary.increment();
    } else if ("secondary".equals(backend)) {
      secondary.increment();
    }
    LimitOutcome outcome = event.limits().outcome();
    if (outcome == LimitOutcome.SETTLED) {
      sharedTokens.add(event.limits().settledTokens());
    } else if (outcome == LimitOutcome.FALLBACK_SETTLED) {
      fallbackCalls.increment();
      fallbackTokens.add(event.limits().settledTokens());
    }
  }
}
