package dev.aigateway.benchmarks;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.examples.server.LocalOpenAiServer;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/**
 * A loopback load test: the same workload through a plain {@link OkHttpClient} and through the same
 * client wrapped with the gateway, against one {@link LocalOpenAiServer} on 127.0.0.1 that answers
 * at once (no artificial delays).
 *
 * <p>N callers each make calls back to back, by default half of them JSON chat and half streamed
 * chat (the application does not ask for stream usage, so the gateway asks for it and hides it).
 * The gateway has a per-consumer token limit (rate and monthly quota, prompt estimated) and a
 * listener that counts its events; callers are spread over 4 consumers ({@link #CONSUMERS}). A
 * round ends after its duration or its request count, whichever comes first. Rounds alternate
 * between the clients (one warm-up round each, then plain/wrapped pairs whose order flips every
 * round) so that drift on the machine hits both alike. The wrapped client is {@code wrap(plain,
 * ..)}: it shares the plain client's dispatcher and connection pool, as an application's would.
 *
 * <p>The server runs in this JVM, so both clients share the CPU with it: the throughput ratio is
 * what the gateway costs an application whose backend is as fast as a loopback server, which is far
 * faster than any LLM.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.LoadHarness [callers]
 *     [seconds per round] [rounds] [max requests per round] [mixed|json|stream]
 * </pre>
 */
public final class LoadHarness {

  static final int DEFAULT_CALLERS = 16;
  static final double DEFAULT_ROUND_SECONDS = 10;
  static final int DEFAULT_ROUNDS = 3;
  static final long DEFAULT_MAX_REQUESTS_PER_ROUND = 2_000_000;

  /** The target for wrapped throughput over plain throughput at 16 callers. */
  static final double TARGET_RATIO = 0.95;

  /**
   * Consumers the callers are spread over (caller i is consumer {@code team-(i % n)}): 4, or {@code
   * -Dharness.consumers=n} (more consumers, fewer callers sharing each counter).
   */
  static final int CONSUMERS = Math.max(1, Integer.getInteger("harness.consumers", 4));

  /**
   * With {@code -Dharness.telemetry=true} the wrapped client also records Micrometer GenAI metrics
   * (a SimpleMeterRegistry) and feeds a usage ledger, to measure what telemetry adds.
   */
  static final boolean TELEMETRY = Boolean.getBoolean("harness.telemetry");

  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private final Settings settings;
  private final PrintStream out;

  private LoadHarness(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /**
   * Runs the harness and prints its report; exits with status 1 when any call failed.
   *
   * @param args callers (default 16), seconds per round (10), measured rounds per client (3),
   *     maximum requests per round (2,000,000), calls ({@code mixed}, {@code json} or {@code
   *     stream}; default mixed)
   */
  public static void main(String[] args) throws Exception {
    Report report = run(Settings.parse(args), System.out);
    if (report.plain().errors() + report.wrapped().errors() > 0) {
      System.exit(1);
    }
  }

  /** Runs every round and returns the totals; prints progress and the report to {@code out}. */
  static Report run(Settings settings, PrintStream out) throws InterruptedException {
    return new LoadHarness(settings, out).run();
  }

  /** What a run is made of; validated on construction. */
  record Settings(
      int callers, Duration round, int rounds, long maxRequestsPerRound, CpuHarness.Mix mix) {

    Settings {
      if (callers < 1) {
        throw new IllegalArgumentException("callers must be at least 1 but was " + callers);
      }
      if (round.isNegative() || round.isZero()) {
        throw new IllegalArgumentException("round duration must be positive but was " + round);
      }
      if (rounds < 1) {
        throw new IllegalArgumentException("rounds must be at least 1 but was " + rounds);
      }
      if (maxRequestsPerRound < 1) {
        throw new IllegalArgumentException(
            "max requests per round must be at least 1 but was " + maxRequestsPerRound);
      }
      Objects.requireNonNull(mix, "mix");
    }

    static Settings parse(String[] args) {
      if (args.length > 5) {
        throw new IllegalArgumentException(
            "usage: LoadHarness [callers] [seconds per round] "
                + "[rounds] [max requests per round] [mixed|json|stream], but got "
                + Arrays.toString(args));
      }
      int callers = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_CALLERS;
      double seconds = args.length > 1 ? Double.parseDouble(args[1]) : DEFAULT_ROUND_SECONDS;
      int rounds = args.length > 2 ? Integer.parseInt(args[2]) : DEFAULT_ROUNDS;
      long max = args.length > 3 ? Long.parseLong(args[3]) : DEFAULT_MAX_REQUESTS_PER_ROUND;
      CpuHarness.Mix mix =
          args.length > 4
              ? CpuHarness.Mix.valueOf(args[4].toUpperCase(Locale.ROOT))
              : CpuHarness.Mix.MIXED;
      return new Settings(callers, Duration.ofNanos((long) (seconds * 1e9)), rounds, max, mix);
    }
  }

  /** The totals of one client over its measured rounds. */
  record Totals(
      String client,
      long requests,
      long errors,
      double seconds,
      double cpuSeconds,
      long[] sortedLatencyNanos) {

    double requestsPerSecond() {
      return requests / seconds;
    }

    /** Process CPU time (server, client, GC) per request, in microseconds. */
    double cpuMicrosPerRequest() {
      return requests == 0 ? 0 : cpuSeconds * 1e6 / requests;
    }

    double percentileMillis(double p) {
      if (sortedLatencyNanos.length == 0) {
        return 0;
      }
      int index = (int) Math.ceil(p * sortedLatencyNanos.length) - 1;
      return sortedLatencyNanos[Math.max(0, index)] / 1e6;
    }

    static Totals of(String client, List<Round> rounds) {
      long requests = 0;
      long errors = 0;
      double seconds = 0;
      double cpu = 0;
      LongList latencies = new LongList();
      for (Round round : rounds) {
        requests += round.requests();
        errors += round.errors();
        seconds += round.seconds();
        cpu += round.cpuSeconds();
        latencies.addAll(round.latencies());
      }
      return new Totals(client, requests, errors, seconds, cpu, latencies.sorted());
    }
  }

  /** Both clients' totals. */
  record Report(Totals plain, Totals wrapped, long governedCalls, long usageReported) {

    /** Wrapped requests per second over plain requests per second. */
    double throughputRatio() {
      return wrapped.requestsPerSecond() / plain.requestsPerSecond();
    }
  }

  private record Round(
      long requests, long errors, double seconds, double cpuSeconds, LongList latencies) {}

  private Report run() throws InterruptedException {
    EventCounter events = new EventCounter();
    AiGateway gateway =
        TELEMETRY
            ? Workload.gateway(
                true,
                events,
                dev.aigateway.micrometer.GenAiMetrics.create(
                    new io.micrometer.core.instrument.simple.SimpleMeterRegistry()),
                dev.aigateway.core.telemetry.UsageLedger.builder().build())
            : Workload.gateway(true, events);
    ExecutorService callers = Executors.newFixedThreadPool(settings.callers(), daemonThreads());
    try (LocalOpenAiServer server = LocalOpenAiServer.builder().start()) {
      HttpUrl url = HttpUrl.get(server.url(Workload.CHAT_PATH));
      if (!url.host().equals("127.0.0.1")) {
        throw new IllegalStateException("the harness talks to 127.0.0.1 only, not " + url);
      }
      OkHttpClient plain = client(settings.callers());
      OkHttpClient wrapped = OkHttpAiGateway.wrap(plain, gateway);
      Request[][] calls = calls(url.toString());
      out.printf(
          Locale.ROOT,
          "LoadHarness: %d callers, %s per round, %d measured rounds per "
              + "client after 1 warm-up round each, max %d requests per round; calls: %s; "
              + "server %s (in this JVM); %d cores%n",
          settings.callers(),
          seconds(settings.round()),
          settings.rounds(),
          settings.maxRequestsPerRound(),
          describe(settings.mix()),
          server.baseUrl(),
          Runtime.getRuntime().availableProcessors());
      try {
        runRound(callers, plain, calls);
        runRound(callers, wrapped, calls);
        out.println("warm-up done");
        List<Round> plainRounds = new ArrayList<>();
        List<Round> wrappedRounds = new ArrayList<>();
        for (int r = 1; r <= settings.rounds(); r++) {
          boolean plainFirst = r % 2 == 1;
          Round first = runRound(callers, plainFirst ? plain : wrapped, calls);
          Round second = runRound(callers, plainFirst ? wrapped : plain, calls);
          Round p = plainFirst ? first : second;
          Round w = plainFirst ? second : first;
          plainRounds.add(p);
          wrappedRounds.add(w);
          out.printf(
              Locale.ROOT,
              "round %d (%s first): plain %.0f req/s, wrapped %.0f req/s," + " ratio %.3f%n",
              r,
              plainFirst ? "plain" : "wrapped",
              p.requests() / p.seconds(),
              w.requests() / w.seconds(),
              (w.requests() / w.seconds()) / (p.requests() / p.seconds()));
        }
        Report report =
            new Report(
                Totals.of("plain", plainRounds),
                Totals.of("wrapped", wrappedRounds),
                events.calls.sum(),
                events.reported.sum());
        print(report, events);
        return report;
      } finally {
        plain.dispatcher().executorService().shutdown();
        plain.connectionPool().evictAll();
      }
    } finally {
      callers.shutdownNow();
    }
  }

  /** One client; the wrapped one is made from it and so shares its dispatcher and pool. */
  private static OkHttpClient client(int callers) {
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(Math.max(64, 2 * callers));
    dispatcher.setMaxRequestsPerHost(Math.max(64, 2 * callers));
    return new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .connectionPool(new ConnectionPool(2 * callers, 5, TimeUnit.MINUTES))
        .callTimeout(CALL_TIMEOUT)
        .build();
  }

  /** Per consumer: a JSON chat and a streamed chat, built once and reused. */
  private static Request[][] calls(String url) {
    Request[][] calls = new Request[CONSUMERS][];
    for (int c = 0; c < CONSUMERS; c++) {
      String consumer = "team-" + c;
      calls[c] =
          new Request[] {
            Workload.post(url, Workload.shortChat(false), consumer),
            Workload.post(url, Workload.shortChat(true), consumer)
          };
    }
    return calls;
  }

  private Round runRound(ExecutorService pool, OkHttpClient client, Request[][] calls)
      throws InterruptedException {
    int n = settings.callers();
    AtomicLong issued = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Caller>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Caller caller = new Caller(client, calls[i % CONSUMERS], i, issued);
      futures.add(
          pool.submit(
              () -> {
                start.await();
                caller.run();
                return caller;
              }));
    }
    long cpuBefore = processCpuNanos();
    long startNanos = System.nanoTime();
    long deadline = startNanos + settings.round().toNanos();
    start.countDown();
    long requests = 0;
    long errors = 0;
    LongList latencies = new LongList();
    for (Future<Caller> future : futures) {
      Caller caller;
      try {
        long wait = deadline - System.nanoTime() + CALL_TIMEOUT.toNanos() + 5_000_000_000L;
        caller = future.get(Math.max(0, wait), TimeUnit.NANOSECONDS);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("a caller did not finish: " + e, e);
      }
      requests += caller.latencies.size();
      errors += caller.errors;
      latencies.addAll(caller.latencies);
    }
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    double cpuSeconds = (processCpuNanos() - cpuBefore) / 1e9;
    return new Round(requests, errors, seconds, cpuSeconds, latencies);
  }

  /** One caller's loop: back-to-back calls, alternating JSON and stream, until the round ends. */
  private final class Caller {
    private final OkHttpClient client;
    private final Request[] calls;
    private final int index;
    private final AtomicLong issued;
    private final LongList latencies = new LongList();
    private long errors;

    Caller(OkHttpClient client, Request[] calls, int index, AtomicLong issued) {
      this.client = client;
      this.calls = calls;
      this.index = index;
      this.issued = issued;
    }

    void run() {
      long deadline = System.nanoTime() + settings.round().toNanos();
      for (int i = index;
          System.nanoTime() < deadline && issued.getAndIncrement() < settings.maxRequestsPerRound();
          i++) {
        boolean stream = settings.mix().stream(i);
        long t0 = System.nanoTime();
        boolean ok = CpuHarness.call(client, calls[stream ? 1 : 0], stream);
        long elapsed = System.nanoTime() - t0;
        if (ok) {
          latencies.add(elapsed);
        } else {
          errors++;
        }
      }
    }
  }

  private void print(Report report, EventCounter events) {
    out.println();
    out.printf(
        Locale.ROOT,
        "%-8s %10s %10s %8s %8s %8s %7s %12s%n",
        "client",
        "requests",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "errors",
        "cpu us/req");
    for (Totals t : List.of(report.plain(), report.wrapped())) {
      out.printf(
          Locale.ROOT,
          "%-8s %10d %10.0f %8.3f %8.3f %8.3f %7d %12.1f%n",
          t.client(),
          t.requests(),
          t.requestsPerSecond(),
          t.percentileMillis(0.50),
          t.percentileMillis(0.90),
          t.percentileMillis(0.99),
          t.errors(),
          t.cpuMicrosPerRequest());
    }
    double ratio = report.throughputRatio();
    out.printf(
        Locale.ROOT,
        "wrapped/plain: throughput %.3f, p50 latency %.3f, p99 latency "
            + "%.3f, cpu per request %.3f%n",
        ratio,
        report.wrapped().percentileMillis(0.5) / report.plain().percentileMillis(0.5),
        report.wrapped().percentileMillis(0.99) / report.plain().percentileMillis(0.99),
        report.wrapped().cpuMicrosPerRequest() / report.plain().cpuMicrosPerRequest());
    out.printf(
        Locale.ROOT,
        "target: wrapped/plain throughput >= %.2f at 16 callers: %s%n",
        TARGET_RATIO,
        settings.callers() != 16
            ? "(not 16 callers here)"
            : ratio >= TARGET_RATIO ? "met" : "MISSED");
    out.printf(
        Locale.ROOT,
        "gateway: %d governed calls (warm-up included), usage reported by "
            + "the server for %d, other outcomes %d%n",
        events.calls.sum(),
        events.reported.sum(),
        events.notSuccess.sum());
  }

  private static String describe(CpuHarness.Mix mix) {
    return switch (mix) {
      case MIXED -> "half JSON chat, half streamed chat";
      case JSON -> "JSON chat only";
      case STREAM -> "streamed chat only";
    };
  }

  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return 0;
  }

  private static String seconds(Duration duration) {
    return String.format(Locale.ROOT, "%.1f s", duration.toNanos() / 1e9);
  }

  private static java.util.concurrent.ThreadFactory daemonThreads() {
    AtomicInteger number = new AtomicInteger();
    return task -> {
      Thread thread = new Thread(task, "load-caller-" + number.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /** Counts the gateway's events, to show that every wrapped call was governed. */
  private static final class EventCounter implements GatewayListener {
    final LongAdder calls = new LongAdder();
    final LongAdder reported = new LongAdder();
    final LongAdder notSuccess = new LongAdder();

    @Override
    public void onEvent(GatewayEvent event) {
      calls.increment();
      if (event.usage().outputSource() == UsageSource.REPORTED) {
        reported.increment();
      }
      if (event.outcome() != CallOutcome.SUCCESS) {
        notSuccess.increment();
      }
    }
  }

  /** A growable list of longs, so latencies are kept without boxing. */
  private static final class LongList {
    private long[] values = new long[1024];
    private int size;

    void add(long value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = value;
    }

    void addAll(LongList other) {
      if (size + other.size > values.length) {
        values = Arrays.copyOf(values, Math.max(size + other.size, values.length * 2));
      }
      System.arraycopy(other.values, 0, values, size, other.size);
      size += other.size;
    }

    int size() {
      return size;
    }

    long[] sorted() {
      long[] copy = Arrays.copyOf(values, size);
      Arrays.sort(copy);
      return copy;
    }
  }
}
