package dev.aigateway.examples.redis;

import dev.aigateway.examples.server.LocalOpenAiServer;
import dev.aigateway.testing.RedisServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Scale-out demo: {@value RedisDemoWorker#INSTANCES} instances of an application, each its own JVM,
 * share one Redis, and through it one token limit for their consumer, one response cache and one
 * view of their backends' health. Partway, the primary backend answers one call with 429 and {@code
 * Retry-After: 30}; the instance that meets it tells the others, and they all move to the
 * secondary. Then Redis stops answering for two seconds: each instance falls back to its share of
 * the limit, and when Redis is back they share it again. The program prints each instance's counts
 * and the total the shared limit admitted against what it allows.
 *
 * <p>{@code bash scripts/demo-redis.sh} installs {@code redis-server} when it is missing, starts it
 * on a free port and runs this; {@link #main} needs a {@code redis-server} on the machine.
 */
public final class RedisDemo {

  /** How long the instances make calls. */
  static final Duration RUN = Duration.ofSeconds(12);

  /** When, after the start, the primary answers 429 once. */
  static final Duration THROTTLE_AT = Duration.ofSeconds(3);

  /** When Redis stops answering, and for how long. */
  static final Duration PAUSE_AT = Duration.ofSeconds(6);

  static final Duration PAUSE_FOR = Duration.ofSeconds(2);

  /** What the demo saw: one map of counts per instance, by the names the workers print. */
  public record Outcome(Map<String, Map<String, Long>> instances, long allowedTokens) {

    /** The sum of one count over every instance. */
    public long total(String count) {
      return instances.values().stream().mapToLong(m -> m.getOrDefault(count, 0L)).sum();
    }
  }

  private RedisDemo() {}

  /** Runs the demo and prints what happened. */
  public static void main(String[] args) throws Exception {
    run(System.out);
  }

  /** Runs the demo, printing to {@code out}. */
  public static Outcome run(PrintStream out) throws IOException, InterruptedException {
    try (RedisServer redis = RedisServer.start();
        LocalOpenAiServer primary = backend();
        LocalOpenAiServer secondary = backend()) {
      out.printf(
          Locale.ROOT,
          "redis-server on %s; %d instances share consumer '%s': %,d tokens per minute%n",
          redis.uri(),
          RedisDemoWorker.INSTANCES,
          RedisDemoWorker.CONSUMER,
          RedisDemoWorker.TOKENS_PER_MINUTE);
      List<Process> workers = new ArrayList<>();
      List<CompletableFuture<Map<String, Long>>> results = new ArrayList<>();
      CountDownLatch ready = new CountDownLatch(RedisDemoWorker.INSTANCES);
      for (int i = 1; i <= RedisDemoWorker.INSTANCES; i++) {
        Process worker = startWorker(redis.uri(), primary, secondary, "instance-" + i);
        workers.add(worker);
        results.add(CompletableFuture.supplyAsync(() -> readResult(worker, ready, out)));
      }
      // The timeline starts when every instance calls (starting a JVM takes seconds).
      awaitReady(ready, workers, results);
      long start = System.nanoTime();
      out.printf(Locale.ROOT, "%5.1f s  every instance is calling%n", 0.0);

      sleepUntil(start, THROTTLE_AT);
      primary.enqueueFailure(429, Map.of("Retry-After", "30"), 1);
      out.printf(
          Locale.ROOT, "%5.1f s  primary answers the next call 429, Retry-After 30%n", at(start));

      sleepUntil(start, PAUSE_AT);
      redis.pause();
      out.printf(Locale.ROOT, "%5.1f s  Redis stops answering%n", at(start));
      Thread.sleep(PAUSE_FOR.toMillis());
      redis.resume();
      out.printf(Locale.ROOT, "%5.1f s  Redis answers again%n", at(start));

      Map<String, Map<String, Long>> instances = new LinkedHashMap<>();
      for (int i = 0; i < workers.size(); i++) {
        Map<String, Long> counts = results.get(i).join();
        if (!workers.get(i).waitFor(30, TimeUnit.SECONDS) || workers.get(i).exitValue() != 0) {
          throw new IllegalStateException("instance-" + (i + 1) + " did not finish cleanly");
        }
        instances.put("instance-" + (i + 1), counts);
      }
      // The limit allows its capacity plus what refills while any instance spends it: from the
      // first instance's start (JVMs start seconds apart, and each calls as soon as it is ready)
      // to the last one's end, not only while the timeline above ran.
      long firstStart =
          instances.values().stream().mapToLong(c -> c.get("startedAt")).min().orElseThrow();
      long lastEnd =
          instances.values().stream().mapToLong(c -> c.get("endedAt")).max().orElseThrow();
      double seconds = (lastEnd - firstStart) / 1000.0;
      long allowed =
          RedisDemoWorker.TOKENS_PER_MINUTE
              + (long) (RedisDemoWorker.TOKENS_PER_MINUTE * seconds / 60.0);
      Outcome outcome = new Outcome(instances, allowed);
      print(out, outcome, seconds);
      return outcome;
    }
  }

  private static LocalOpenAiServer backend() {
    return LocalOpenAiServer.builder()
        .completionWords(20)
        .responseDelay(Duration.ofMillis(10))
        .start();
  }

  private static Process startWorker(
      String redisUri, LocalOpenAiServer primary, LocalOpenAiServer secondary, String name)
      throws IOException {
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    ProcessBuilder builder =
        new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            RedisDemoWorker.class.getName(),
            redisUri,
            primary.baseUrl(),
            secondary.baseUrl(),
            name,
            Long.toString(RUN.toMillis()));
    builder.redirectErrorStream(true);
    return builder.start();
  }

  /** The worker's counts from its result line; its other output is passed on, prefixed. */
  /**
   * Waits until every instance calls; fails at once, with the worker's last output, when one ends
   * before that (for example when it cannot reach Redis), and after 60 s otherwise.
   */
  private static void awaitReady(
      CountDownLatch ready,
      List<Process> workers,
      List<CompletableFuture<Map<String, Long>>> results)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!ready.await(200, TimeUnit.MILLISECONDS)) {
      for (CompletableFuture<Map<String, Long>> result : results) {
        if (result.isDone()) {
          workers.forEach(Process::destroyForcibly);
          result.join(); // a worker that ended early: throws with its last output
          throw new IllegalStateException("an instance ended before every instance was calling");
        }
      }
      if (System.nanoTime() > deadline) {
        workers.forEach(Process::destroyForcibly);
        throw new IllegalStateException("the instances did not start within 60 s");
      }
    }
  }

  private static Map<String, Long> readResult(
      Process worker, CountDownLatch ready, PrintStream out) {
    Map<String, Long> counts = new LinkedHashMap<>();
    java.util.ArrayDeque<String> lastLines = new java.util.ArrayDeque<>();
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        lastLines.addLast(line);
        if (lastLines.size() > 20) {
          lastLines.removeFirst();
        }
        // A worker writes these lines whole, but a log line written in parts may have begun
        // before one on the same line: read them from where they start.
        int result = line.indexOf(RedisDemoWorker.RESULT + " instance=");
        if (line.contains(RedisDemoWorker.READY + " ")) {
          ready.countDown();
        } else if (result >= 0) {
          String fields = line.substring(result + RedisDemoWorker.RESULT.length() + 1);
          for (String field : fields.split(" ")) {
            String[] pair = field.split("=", 2);
            if (!pair[0].equals("instance")) {
              counts.put(pair[0], Long.parseLong(pair[1]));
            }
          }
        } else if (line.contains("token store") && !line.contains(" for call ")) {
          // the store's health transitions; per-call warnings stay in the worker
          synchronized (out) {
            out.println("          | " + line.replaceFirst("^\\[[^]]*\\] ", ""));
          }
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    if (counts.isEmpty()) {
      throw new IllegalStateException(
          "a worker ended without its result line; its last output:\n"
              + String.join("\n", lastLines));
    }
    return counts;
  }

  private static void print(PrintStream out, Outcome outcome, double seconds) {
    out.println();
    out.printf(
        Locale.ROOT,
        "%-11s %6s %8s %6s %8s %10s %13s %15s%n",
        "instance",
        "calls",
        "rejected",
        "cached",
        "primary",
        "secondary",
        "shared tokens",
        "fallback tokens");
    outcome
        .instances()
        .forEach(
            (name, c) ->
                out.printf(
                    Locale.ROOT,
                    "%-11s %6d %8d %6d %8d %10d %,13d %,15d%n",
                    name,
                    c.get("calls"),
                    c.get("rejected"),
                    c.get("cacheHits"),
                    c.get("primary"),
                    c.get("secondary"),
                    c.get("sharedTokens"),
                    c.get("fallbackTokens")));
    out.printf(
        Locale.ROOT,
        "%-11s %6d %8d %6d %8d %10d %,13d %,15d%n",
        "total",
        outcome.total("calls"),
        outcome.total("rejected"),
        outcome.total("cacheHits"),
        outcome.total("primary"),
        outcome.total("secondary"),
        outcome.total("sharedTokens"),
        outcome.total("fallbackTokens"));
    out.println();
    out.printf(
        Locale.ROOT,
        "Shared limit: %,d tokens admitted and settled through Redis in %.1f s, of %,d allowed"
            + " (%,d per minute, refilling); %s.%n",
        outcome.total("sharedTokens"),
        seconds,
        outcome.allowedTokens(),
        RedisDemoWorker.TOKENS_PER_MINUTE,
        outcome.total("sharedTokens") <= outcome.allowedTokens() ? "never over" : "OVER THE LIMIT");
    out.printf(
        Locale.ROOT,
        "While Redis was away: %d calls counted on the instances' local shares (1/%d of the"
            + " limit each), %,d tokens; counting went back to Redis when it answered.%n",
        outcome.total("fallbackCalls"),
        RedisDemoWorker.INSTANCES,
        outcome.total("fallbackTokens"));
    out.printf(
        Locale.ROOT,
        "Cache: %d answers served from the shared cache; backend health: the primary's 429 moved"
            + " every instance to the secondary (%d calls to the primary, %d to the secondary).%n",
        outcome.total("cacheHits"),
        outcome.total("primary"),
        outcome.total("secondary"));
  }

  private static double at(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  private static void sleepUntil(long start, Duration offset) throws InterruptedException {
    long wait = start + offset.toNanos() - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }
}
