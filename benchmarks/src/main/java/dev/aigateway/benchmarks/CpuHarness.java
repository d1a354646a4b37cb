package dev.aigateway.benchmarks;

import dev.aigateway.core.AiGateway;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import okhttp3.ConnectionPool;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;

/**
 * What the gateway costs one caller in CPU time, measured against a backend in another process
 * ({@link LoopbackBackend}), so that the CPU time this process spends is the client's alone: the
 * plain {@link OkHttpClient} and the same client wrapped with the gateway ({@code
 * OkHttpAiGateway.wrap}, the gateway of {@link Workload#gateway(boolean,
 * dev.aigateway.api.GatewayListener...)} with prompt estimation on and one listener that counts
 * events), one caller on this thread making calls back to back (by default JSON chat and streamed
 * chat alternately, as {@link LoadHarness} does).
 *
 * <p>After a warm-up in which the two clients alternate, the clients run in short rounds, plain and
 * wrapped in pairs whose order flips each pair (plain first, wrapped first, ...), so that drift on
 * the machine hits both alike. Per round: calls, wall time, this process's CPU time (every thread:
 * caller, JIT, GC), the caller thread's own CPU time and the bytes it allocated. Per pair: the
 * added CPU per call (wrapped minus plain, µs), the same for the caller thread and for allocation,
 * and the throughput ratio (wrapped calls/s over plain calls/s). The report gives each quantity's
 * median, interquartile range and mean over the pairs.
 *
 * <p>Two instruments ({@link Instrument}); their figures are comparable only with figures of the
 * same instrument. With {@code v2} (the default) each call builds its own {@link Request}, in the
 * measured loop, the same way for both clients and as openai-java's OkHttp client builds one (a
 * string URL, {@code POST} of a {@link RequestBody} made from the body's bytes with a media type
 * parsed for the call, then the headers), and the backend gives each answer its own id and creation
 * time. With {@code v1} both clients send one {@code Request} object per kind of call again and
 * again (so OkHttp parses its cache control once per run, which a request built per call does not
 * allow) and the backend sends the same bytes every time.
 *
 * <p>The harness uses only what every build of the benchmarks module since the pipeline issue's
 * baseline has ({@code Workload}'s gateway, requests and chat body, {@code OkHttpAiGateway.wrap}),
 * so {@code scripts/harness-cpu.sh} runs these classes in front of an older benchmarks jar to
 * measure that build the same way.
 *
 * <p>Two options help to find where the added CPU goes. {@code --threads} adds, after the report,
 * the CPU time of each group of threads (caller, OkHttp's, okio's watchdog, compilers, GC, VM),
 * user and kernel apart, their context switches, collections and compilation time, per call of each
 * client, summed over the measured rounds ({@link CpuHarnessThreads}; Linux only). {@code
 * --only=plain} or {@code --only=wrapped} makes every round, warm-up included, with that one
 * client, so that a JVM runs only one kind of client (its call sites, profiles and compiled code
 * never see the other); the pairs then compare that client with itself, and the lines that matter
 * are {@code ONLY} and, with {@code --threads}, {@code THREADS}: run one JVM of each kind, side by
 * side in time, and subtract.
 *
 * <p>{@code --floor=step|ask|hide} adds a third client beside the two: the plain client with a
 * {@link FloorInterceptor}, the least that any wrapper counting a stream's tokens exactly must do
 * ({@code hide}: ask a streamed chat for usage and hide it from the application), or a part of it
 * ({@code step}: the interceptor's step alone; {@code ask}: ask without hiding). Each pair then has
 * three rounds, in the six orders in turn; the report adds the floor's added CPU, allocation and
 * throughput ratio against the plain client, and the gateway's added CPU against the floor's
 * ({@code FLOOR} line), so that what the gateway adds above what no gateway can avoid is measured
 * in the same minutes. {@code --floor-extra=spin=N,bytes=M} adds known work to each of the floor
 * client's calls ({@link FloorInterceptor.Extra}: N steps of arithmetic, M bytes of short-lived
 * objects), to calibrate the instrument: the floor's added figures grow by what that work costs
 * here, to be set against what it costs in process ({@link FloorCpuTime}).
 *
 * <pre>
 * java -cp benchmarks.jar dev.aigateway.benchmarks.CpuHarness BASE_URL [warm-up seconds = 20]
 *     [pairs = 60] [round milliseconds = 500] [mixed|json|stream] [--instrument=v1|v2]
 *     [--threads] [--only=plain|wrapped] [--floor=step|ask|hide] [--floor-extra=spin=N,bytes=M]
 * </pre>
 *
 * <p>Exits with status 1 when any call failed or a wrapped call produced no event.
 */
public final class CpuHarness {

  static final double DEFAULT_WARM_UP_SECONDS = 20;
  static final int DEFAULT_PAIRS = 60;
  static final long DEFAULT_ROUND_MILLIS = 500;

  private static final String DONE = "data: [DONE]";

  private final Settings settings;
  private final PrintStream out;
  private final LongAdder events = new LongAdder();
  private final int callerTid = CpuHarnessThreads.currentTid();

  private CpuHarness(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /**
   * Runs the harness and prints its report.
   *
   * @param args the backend's base URL, warm-up seconds (20), pairs of rounds (60), milliseconds
   *     per round (500), calls ({@code mixed}, {@code json} or {@code stream}; default mixed), and
   *     anywhere among them {@code --instrument=v1} or {@code --instrument=v2} (the default),
   *     {@code --threads}, {@code --only=plain} or {@code --only=wrapped}, {@code
   *     --floor=step|ask|hide} and {@code --floor-extra=spin=N,bytes=M}
   */
  public static void main(String[] args) throws IOException {
    Report report = run(Settings.parse(args), System.out);
    if (!report.clean()) {
      System.exit(1);
    }
  }

  /** Runs the warm-up and every pair of rounds; prints each pair and the report to {@code out}. */
  static Report run(Settings settings, PrintStream out) throws IOException {
    return new CpuHarness(settings, out).run();
  }

  /**
   * Which calls the callers make; {@link LoadHarness} uses it too. It lives here so that the
   * classes {@code scripts/harness-cpu.sh} copies in front of an older benchmarks jar need nothing
   * of that jar's harness.
   */
  enum Mix {
    /** Each caller alternates JSON chat and streamed chat: half of each. */
    MIXED,
    /** JSON chat only. */
    JSON,
    /** Streamed chat only. */
    STREAM;

    boolean stream(int call) {
      return this == STREAM || (this == MIXED && call % 2 == 1);
    }
  }

  /**
   * How the harness makes its calls and the backend its answers. Figures of one instrument are
   * comparable with each other, not with those of the other.
   */
  enum Instrument {
    /**
     * One {@link Request} object per kind of call, sent again and again by both clients; the
     * backend's answers all alike, id and creation time included.
     */
    V1,
    /**
     * As real traffic: each call builds its own {@link Request} (as openai-java's OkHttp client
     * does), and every answer of the backend has its own id and the creation time of its second.
     */
    V2;

    private static final String FLAG = "--instrument=";

    /** The instrument {@code args} name ({@code --instrument=v1|v2}); v2 when they name none. */
    static Instrument of(String[] args) {
      return valueOf(option(args, FLAG, "V2", "V1", "V2"));
    }

    /** {@code args} without the options ({@code --instrument=}, {@code --threads}, ...). */
    static String[] without(String[] args) {
      return Arrays.stream(args).filter(arg -> !arg.startsWith("--")).toArray(String[]::new);
    }
  }

  /** Which clients the rounds use. */
  enum Clients {
    /** Plain and wrapped in pairs of rounds, the order flipping each pair (the default). */
    ALTERNATE,
    /** The plain client only, in every round, warm-up included. */
    PLAIN,
    /** The wrapped client only, in every round, warm-up included. */
    WRAPPED;

    private static final String FLAG = "--only=";

    /** The clients {@code args} name ({@code --only=plain|wrapped}); both when they name none. */
    static Clients of(String[] args) {
      for (String arg : args) {
        if (arg.startsWith("--")
            && !arg.startsWith(FLAG)
            && !arg.startsWith(Instrument.FLAG)
            && !FloorInterceptor.Mode.names(arg)
            && !FloorInterceptor.Extra.names(arg)
            && !arg.equals(THREADS_FLAG)) {
          throw new IllegalArgumentException("unknown option " + arg);
        }
      }
      return valueOf(option(args, FLAG, "ALTERNATE", "PLAIN", "WRAPPED"));
    }
  }

  private static final String THREADS_FLAG = "--threads";

  /**
   * The value of the last option {@code flag} among {@code args}, in upper case, which must be one
   * of {@code values}; {@code fallback} when {@code args} have no such option.
   */
  static String option(String[] args, String flag, String fallback, String... values) {
    return lastOption(
        args,
        flag,
        fallback,
        value -> {
          String chosen = value.toUpperCase(Locale.ROOT);
          if (!Arrays.asList(values).contains(chosen)) {
            throw new IllegalArgumentException(
                flag
                    + " takes "
                    + String.join(" or ", values).toLowerCase(Locale.ROOT)
                    + ", not "
                    + value);
          }
          return chosen;
        });
  }

  /**
   * What {@code read} makes of the value of the last option {@code flag} among {@code args} (each
   * occurrence is read, so each is checked); {@code fallback} when {@code args} have no such
   * option.
   */
  static <T> T lastOption(String[] args, String flag, T fallback, Function<String, T> read) {
    T chosen = fallback;
    for (String arg : args) {
      if (arg.startsWith(flag)) {
        chosen = read.apply(arg.substring(flag.length()));
      }
    }
    return chosen;
  }

  /**
   * What a run is made of ({@code floor} null: no floor client; {@code floorExtra} the known work
   * added to its calls); validated on construction.
   */
  record Settings(
      String baseUrl,
      Duration warmUp,
      int pairs,
      Duration round,
      Mix mix,
      Instrument instrument,
      boolean threads,
      Clients clients,
      FloorInterceptor.Mode floor,
      FloorInterceptor.Extra floorExtra) {

    Settings {
      if (!baseUrl.startsWith("http://127.0.0.1:")) {
        throw new IllegalArgumentException(
            "the harness talks to a loopback backend (http://127.0.0.1:PORT), not " + baseUrl);
      }
      if (warmUp.isNegative()) {
        throw new IllegalArgumentException("warm-up must not be negative but was " + warmUp);
      }
      if (pairs < 1) {
        throw new IllegalArgumentException("pairs must be at least 1 but was " + pairs);
      }
      if (round.toMillis() < 1) {
        throw new IllegalArgumentException("a round must last at least 1 ms but was " + round);
      }
      if (floor != null && clients != Clients.ALTERNATE) {
        throw new IllegalArgumentException(
            "--floor= measures beside both clients, not with --only=");
      }
      if (floor == null && floorExtra.any()) {
        throw new IllegalArgumentException(
            "--floor-extra= adds work to a floor: name one (--floor=)");
      }
    }

    /** No floor client. */
    Settings(
        String baseUrl,
        Duration warmUp,
        int pairs,
        Duration round,
        Mix mix,
        Instrument instrument,
        boolean threads,
        Clients clients) {
      this(
          baseUrl,
          warmUp,
          pairs,
          round,
          mix,
          instrument,
          threads,
          clients,
          null,
          FloorInterceptor.Extra.NONE);
    }

    /** Both clients alternating, no breakdown by thread. */
    Settings(
        String baseUrl,
        Duration warmUp,
        int pairs,
        Duration round,
        Mix mix,
        Instrument instrument) {
      this(baseUrl, warmUp, pairs, round, mix, instrument, false, Clients.ALTERNATE);
    }

    static Settings parse(String[] all) {
      Instrument instrument = Instrument.of(all);
      Clients clients = Clients.of(all);
      boolean threads = Arrays.asList(all).contains(THREADS_FLAG);
      String[] args = Instrument.without(all);
      if (args.length < 1 || args.length > 5) {
        throw new IllegalArgumentException(
            "usage: CpuHarness BASE_URL [warm-up seconds] [pairs] [round milliseconds] "
                + "[mixed|json|stream] [--instrument=v1|v2] [--threads] [--only=plain|wrapped]"
                + " [--floor=step|ask|hide] [--floor-extra=spin=N,bytes=M],"
                + " but got "
                + Arrays.toString(all));
      }
      double warmUp = args.length > 1 ? Double.parseDouble(args[1]) : DEFAULT_WARM_UP_SECONDS;
      int pairs = args.length > 2 ? Integer.parseInt(args[2]) : DEFAULT_PAIRS;
      long round = args.length > 3 ? Long.parseLong(args[3]) : DEFAULT_ROUND_MILLIS;
      Mix mix = args.length > 4 ? Mix.valueOf(args[4].toUpperCase(Locale.ROOT)) : Mix.MIXED;
      String base = args[0].endsWith("/") ? args[0].substring(0, args[0].length() - 1) : args[0];
      return new Settings(
          base,
          Duration.ofNanos((long) (warmUp * 1e9)),
          pairs,
          Duration.ofMillis(round),
          mix,
          instrument,
          threads,
          clients,
          FloorInterceptor.Mode.of(all),
          FloorInterceptor.Extra.of(all));
    }
  }

  /** One client's round: calls made, failures, and what they cost. */
  record Round(
      long calls, long errors, long wallNanos, long cpuNanos, long threadCpuNanos, long bytes) {

    double callsPerSecond() {
      return calls * 1e9 / wallNanos;
    }

    double cpuMicrosPerCall() {
      return cpuNanos / 1e3 / calls;
    }

    double threadCpuMicrosPerCall() {
      return threadCpuNanos / 1e3 / calls;
    }

    double bytesPerCall() {
      return (double) bytes / calls;
    }
  }

  /** A quantity over the pairs: median, quartiles, mean. */
  record Spread(double median, double q1, double q3, double mean) {

    static Spread of(double[] values) {
      double[] sorted = values.clone();
      Arrays.sort(sorted);
      return new Spread(
          quantile(sorted, 0.5),
          quantile(sorted, 0.25),
          quantile(sorted, 0.75),
          Arrays.stream(sorted).average().orElse(Double.NaN));
    }

    /** Linear interpolation between the closest ranks. */
    static double quantile(double[] sorted, double p) {
      if (sorted.length == 0) {
        return Double.NaN;
      }
      double rank = p * (sorted.length - 1);
      int low = (int) Math.floor(rank);
      int high = Math.min(sorted.length - 1, low + 1);
      return sorted[low] + (rank - low) * (sorted[high] - sorted[low]);
    }

    String format(String unit) {
      return String.format(
          Locale.ROOT, "median %.3f%s (IQR %.3f..%.3f, mean %.3f)", median, unit, q1, q3, mean);
    }

    /**
     * Median, first and third quartile with {@code decimals} decimals, separated by spaces: the
     * form of the machine-readable RESULT and FLOOR lines that scripts/harness-cpu.sh reads.
     */
    String quartiles(int decimals) {
      String one = "%." + decimals + "f";
      return String.format(Locale.ROOT, one + " " + one + " " + one, median, q1, q3);
    }
  }

  /**
   * The floor client's figures over the pairs, null without {@code --floor=}: added to the plain
   * client's, the gateway's added to the floor's, and the floor's throughput over the plain
   * client's.
   */
  record FloorFigures(
      FloorInterceptor.Mode mode,
      Spread addedCpu,
      Spread addedThreadCpu,
      Spread addedBytes,
      Spread ratio,
      Spread gatewayOverFloorCpu,
      Spread gatewayOverFloorThreadCpu) {}

  /**
   * The order of the three clients' rounds in each set with a floor client, the six orders in turn,
   * so that each client takes each place equally often: indices of plain (0), floor (1), wrapped
   * (2).
   */
  private static final int[][] ORDERS = {
    {0, 1, 2}, {2, 1, 0}, {1, 0, 2}, {2, 0, 1}, {0, 2, 1}, {1, 2, 0}
  };

  /** The run's result over its pairs. */
  record Report(
      Spread plainCpu,
      Spread wrappedCpu,
      Spread addedCpu,
      Spread addedThreadCpu,
      Spread addedBytes,
      Spread ratio,
      long errors,
      long wrappedCalls,
      long events,
      FloorFigures floor) {

    /** No call failed and every wrapped call produced one event. */
    boolean clean() {
      return errors == 0 && events == wrappedCalls;
    }
  }

  private Report run() throws IOException {
    AiGateway gateway = Workload.gateway(true, event -> events.increment());
    OkHttpClient plain =
        new OkHttpClient.Builder()
            .connectionPool(new ConnectionPool(2, 5, TimeUnit.MINUTES))
            .callTimeout(Duration.ofSeconds(30))
            .build();
    OkHttpClient governed = OkHttpAiGateway.wrap(plain, gateway);
    FloorInterceptor.Mode floorMode = settings.floor();
    OkHttpClient floor =
        floorMode == null
            ? null
            : plain
                .newBuilder()
                .addInterceptor(new FloorInterceptor(floorMode, settings.floorExtra()))
                .build();
    // With --only=, both slots of a pair hold the one client that this JVM runs.
    OkHttpClient wrapped = settings.clients() == Clients.PLAIN ? plain : governed;
    if (settings.clients() == Clients.WRAPPED) {
      plain = governed;
    }
    Calls calls =
        new Calls(
            settings.baseUrl() + Workload.CHAT_PATH,
            Workload.shortChat(false),
            Workload.shortChat(true),
            settings.instrument());
    out.printf(
        Locale.ROOT,
        "CpuHarness: 1 caller, %s warm-up, %d pairs of %d ms rounds, calls: %s, instrument %s,"
            + " backend %s; gateway from %s; %d core(s) visible to this JVM; clients: %s%s%n",
        seconds(settings.warmUp()),
        settings.pairs(),
        settings.round().toMillis(),
        settings.mix().name().toLowerCase(Locale.ROOT),
        settings.instrument().name().toLowerCase(Locale.ROOT),
        settings.baseUrl(),
        AiGateway.class.getProtectionDomain().getCodeSource().getLocation().getPath(),
        Runtime.getRuntime().availableProcessors(),
        settings.clients().name().toLowerCase(Locale.ROOT),
        floorMode == null
            ? ""
            : ", floor "
                + floorMode.name().toLowerCase(Locale.ROOT)
                + (settings.floorExtra().any() ? " with extra " + settings.floorExtra() : ""));
    long errors = 0;
    long wrappedCalls = 0;
    long warmUpEnd = System.nanoTime() + settings.warmUp().toNanos();
    int kinds = floor == null ? 2 : 3;
    for (int i = 0; System.nanoTime() < warmUpEnd; i++) {
      OkHttpClient client = i % kinds == 0 ? plain : i % kinds == 1 ? wrapped : floor;
      Round r = round(client, calls, null);
      errors += r.errors();
      wrappedCalls += client == governed ? r.calls() + r.errors() : 0;
    }
    boolean threads = settings.threads() && CpuHarnessThreads.available();
    CpuHarnessThreads.Tally plainThreads = threads ? new CpuHarnessThreads.Tally() : null;
    CpuHarnessThreads.Tally wrappedThreads =
        !threads
            ? null
            : settings.clients() == Clients.ALTERNATE
                ? new CpuHarnessThreads.Tally()
                : plainThreads;
    int n = settings.pairs();
    double[] plainCpu = new double[n];
    double[] wrappedCpu = new double[n];
    double[] addedCpu = new double[n];
    double[] addedThread = new double[n];
    double[] addedBytes = new double[n];
    double[] ratio = new double[n];
    double[][] floorFigures = new double[6][n];
    List<Round> only = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean plainFirst = i % 2 == 0;
      Round p;
      Round w;
      if (floor == null) {
        Round first =
            round(plainFirst ? plain : wrapped, calls, plainFirst ? plainThreads : wrappedThreads);
        Round second =
            round(plainFirst ? wrapped : plain, calls, plainFirst ? wrappedThreads : plainThreads);
        p = plainFirst ? first : second;
        w = plainFirst ? second : first;
      } else {
        Round[] three = new Round[3];
        for (int which : ORDERS[i % ORDERS.length]) {
          three[which] =
              round(
                  which == 0 ? plain : which == 1 ? floor : wrapped,
                  calls,
                  which == 0 ? plainThreads : which == 2 ? wrappedThreads : null);
        }
        p = three[0];
        w = three[2];
        Round f = three[1];
        errors += f.errors();
        floorFigures[0][i] = f.cpuMicrosPerCall() - p.cpuMicrosPerCall();
        floorFigures[1][i] = f.threadCpuMicrosPerCall() - p.threadCpuMicrosPerCall();
        floorFigures[2][i] = f.bytesPerCall() - p.bytesPerCall();
        floorFigures[3][i] = f.callsPerSecond() / p.callsPerSecond();
        floorFigures[4][i] = w.cpuMicrosPerCall() - f.cpuMicrosPerCall();
        floorFigures[5][i] = w.threadCpuMicrosPerCall() - f.threadCpuMicrosPerCall();
        out.printf(
            Locale.ROOT,
            "pair %3d floor: %6.0f calls/s %7.2f us cpu/call | added %6.2f us cpu (caller thread"
                + " %6.2f), %6.0f B; ratio %.3f%n",
            i + 1,
            f.callsPerSecond(),
            f.cpuMicrosPerCall(),
            floorFigures[0][i],
            floorFigures[1][i],
            floorFigures[2][i],
            floorFigures[3][i]);
      }
      errors += p.errors() + w.errors();
      wrappedCalls +=
          (plain == governed ? p.calls() + p.errors() : 0)
              + (wrapped == governed ? w.calls() + w.errors() : 0);
      if (settings.clients() != Clients.ALTERNATE) {
        only.add(p);
        only.add(w);
      }
      plainCpu[i] = p.cpuMicrosPerCall();
      wrappedCpu[i] = w.cpuMicrosPerCall();
      addedCpu[i] = w.cpuMicrosPerCall() - p.cpuMicrosPerCall();
      addedThread[i] = w.threadCpuMicrosPerCall() - p.threadCpuMicrosPerCall();
      addedBytes[i] = w.bytesPerCall() - p.bytesPerCall();
      ratio[i] = w.callsPerSecond() / p.callsPerSecond();
      out.printf(
          Locale.ROOT,
          "pair %3d (%s first): plain %6.0f calls/s %7.2f us cpu/call | wrapped %6.0f calls/s"
              + " %7.2f us cpu/call | added %6.2f us cpu (caller thread %6.2f), %6.0f B;"
              + " ratio %.3f%n",
          i + 1,
          plainFirst ? "plain" : "wrapped",
          p.callsPerSecond(),
          plainCpu[i],
          w.callsPerSecond(),
          wrappedCpu[i],
          addedCpu[i],
          addedThread[i],
          addedBytes[i],
          ratio[i]);
    }
    plain.connectionPool().evictAll();
    Report report =
        new Report(
            Spread.of(plainCpu),
            Spread.of(wrappedCpu),
            Spread.of(addedCpu),
            Spread.of(addedThread),
            Spread.of(addedBytes),
            Spread.of(ratio),
            errors,
            wrappedCalls,
            events.sum(),
            floor == null
                ? null
                : new FloorFigures(
                    floorMode,
                    Spread.of(floorFigures[0]),
                    Spread.of(floorFigures[1]),
                    Spread.of(floorFigures[2]),
                    Spread.of(floorFigures[3]),
                    Spread.of(floorFigures[4]),
                    Spread.of(floorFigures[5])));
    if (floor != null) {
      floor.connectionPool().evictAll();
    }
    print(report);
    if (settings.clients() != Clients.ALTERNATE) {
      printOnly(settings.clients(), only);
    }
    if (threads) {
      printThreads(plainThreads, wrappedThreads, settings.clients());
    } else if (settings.threads()) {
      out.println("no breakdown by thread: this system has no /proc/self/task");
    }
    return report;
  }

  /** The one client's figures over all its measured rounds, for a run with {@code --only=}. */
  private void printOnly(Clients clients, List<Round> rounds) {
    double[] cpu = rounds.stream().mapToDouble(Round::cpuMicrosPerCall).toArray();
    double[] thread = rounds.stream().mapToDouble(Round::threadCpuMicrosPerCall).toArray();
    double[] bytes = rounds.stream().mapToDouble(Round::bytesPerCall).toArray();
    double[] rate = rounds.stream().mapToDouble(Round::callsPerSecond).toArray();
    String kind = clients.name().toLowerCase(Locale.ROOT);
    out.println();
    out.println("only " + kind + ", cpu per call:     " + Spread.of(cpu).format(" us"));
    out.println("only " + kind + ", caller thread:    " + Spread.of(thread).format(" us"));
    out.println("only " + kind + ", allocation:       " + Spread.of(bytes).format(" B"));
    out.println("only " + kind + ", calls per second: " + Spread.of(rate).format(""));
    out.printf(
        Locale.ROOT,
        "ONLY %s cpu_us %.3f thread_cpu_us %.3f bytes %.0f calls_per_s %.1f%n",
        kind,
        Spread.of(cpu).median(),
        Spread.of(thread).median(),
        Spread.of(bytes).median(),
        Spread.of(rate).median());
  }

  /**
   * Each group of threads' CPU time per call, user and kernel, its time on a CPU and its context
   * switches, then the process's ticks, collections and compilation: a table of plain against
   * wrapped, then one {@code THREADS} line per figure and client for scripts.
   */
  private void printThreads(
      CpuHarnessThreads.Tally plainThreads,
      CpuHarnessThreads.Tally wrappedThreads,
      Clients clients) {
    out.println();
    out.printf(
        Locale.ROOT,
        "by thread group, per call, summed over the measured rounds (%s; user and kernel time"
            + " counted in clock ticks of %d ms: one tick is %.3f us a call):%n",
        clients == Clients.ALTERNATE
            ? plainThreads.calls + " plain calls, " + wrappedThreads.calls + " wrapped"
            : plainThreads.calls + " calls, " + clients.name().toLowerCase(Locale.ROOT) + " only",
        1000 / CpuHarnessThreads.TICKS_PER_SECOND,
        plainThreads.microsPerCall(1));
    if (clients == Clients.ALTERNATE) {
      for (CpuHarnessThreads.Group group : CpuHarnessThreads.Group.values()) {
        String name = group.name().toLowerCase(Locale.ROOT);
        row(
            plainThreads,
            wrappedThreads,
            name + " user",
            t -> t.microsPerCall(t.cost(group).userTicks),
            " us");
        row(
            plainThreads,
            wrappedThreads,
            name + " kernel",
            t -> t.microsPerCall(t.cost(group).systemTicks),
            " us");
        row(
            plainThreads,
            wrappedThreads,
            name + " on cpu",
            t -> t.cost(group).runNanos / 1e3 / t.calls,
            " us");
        row(
            plainThreads,
            wrappedThreads,
            name + " voluntary switches",
            t -> t.perCall(t.cost(group).voluntary),
            "");
        row(
            plainThreads,
            wrappedThreads,
            name + " involuntary switches",
            t -> t.perCall(t.cost(group).involuntary),
            "");
      }
      row(
          plainThreads,
          wrappedThreads,
          "process user",
          t -> t.microsPerCall(t.processUserTicks),
          " us");
      row(
          plainThreads,
          wrappedThreads,
          "process kernel",
          t -> t.microsPerCall(t.processSystemTicks),
          " us");
      row(
          plainThreads,
          wrappedThreads,
          "collections per 1000 calls",
          t -> t.perCall(t.collections) * 1000,
          "");
      row(
          plainThreads,
          wrappedThreads,
          "collection time",
          t -> t.perCall(t.collectionMillis) * 1000,
          " us");
      row(
          plainThreads,
          wrappedThreads,
          "compilation time",
          t -> t.perCall(t.compilationMillis) * 1000,
          " us");
    }
    String[] kinds =
        clients == Clients.ALTERNATE
            ? new String[] {"plain", "wrapped"}
            : new String[] {clients.name().toLowerCase(Locale.ROOT)};
    CpuHarnessThreads.Tally[] tallies = {plainThreads, wrappedThreads};
    for (int k = 0; k < kinds.length; k++) {
      CpuHarnessThreads.Tally t = tallies[k];
      for (CpuHarnessThreads.Group group : CpuHarnessThreads.Group.values()) {
        CpuHarnessThreads.Cost c = t.groups.get(group);
        out.printf(
            Locale.ROOT,
            "THREADS %s %s user_us %.3f kernel_us %.3f on_cpu_us %.3f voluntary %.4f"
                + " involuntary %.4f%n",
            kinds[k],
            group.name().toLowerCase(Locale.ROOT),
            t.microsPerCall(c.userTicks),
            t.microsPerCall(c.systemTicks),
            c.runNanos / 1e3 / t.calls,
            t.perCall(c.voluntary),
            t.perCall(c.involuntary));
      }
      out.printf(
          Locale.ROOT,
          "THREADS %s process user_us %.3f kernel_us %.3f gc_per_1000_calls %.3f gc_us %.3f"
              + " jit_us %.3f calls %d%n",
          kinds[k],
          t.microsPerCall(t.processUserTicks),
          t.microsPerCall(t.processSystemTicks),
          t.perCall(t.collections) * 1000,
          t.perCall(t.collectionMillis) * 1000,
          t.perCall(t.compilationMillis) * 1000,
          t.calls);
    }
  }

  /** One line of the table: a figure per call of the plain and the wrapped client's rounds. */
  private void row(
      CpuHarnessThreads.Tally plain,
      CpuHarnessThreads.Tally wrapped,
      String label,
      ToDoubleFunction<CpuHarnessThreads.Tally> figure,
      String unit) {
    out.println(
        CpuHarnessThreads.line(
            label, figure.applyAsDouble(plain), figure.applyAsDouble(wrapped), unit));
  }

  /**
   * The requests of the calls: with {@link Instrument#V2} built anew for every call, the same way
   * for both clients; with {@link Instrument#V1} one object per kind of call, sent again and again.
   */
  static final class Calls {
    /** The media type openai-java's OkHttp client parses for each JSON body it sends. */
    private static final String JSON = "application/json";

    private static final String CONSUMER = "team-0";

    private final String url;
    private final byte[] chat;
    private final byte[] streamedChat;
    private final Request chatRequest;
    private final Request streamedChatRequest;

    Calls(String url, byte[] chat, byte[] streamedChat, Instrument instrument) {
      this.url = url;
      this.chat = chat;
      this.streamedChat = streamedChat;
      boolean reused = instrument == Instrument.V1;
      this.chatRequest = reused ? Workload.post(url, chat, CONSUMER) : null;
      this.streamedChatRequest = reused ? Workload.post(url, streamedChat, CONSUMER) : null;
    }

    /** The request of the next call: a JSON chat, or a streamed one when {@code stream}. */
    Request next(boolean stream) {
      Request reused = stream ? streamedChatRequest : chatRequest;
      return reused != null ? reused : build(url, stream ? streamedChat : chat);
    }

    /**
     * A request as openai-java's OkHttp client builds one for each call: a new builder, the URL as
     * a string, the method with a body made from the serialised bytes and a media type parsed for
     * this body, then the headers one by one.
     */
    private static Request build(String url, byte[] body) {
      return new Request.Builder()
          .url(url)
          .method("POST", RequestBody.create(body, MediaType.get(JSON)))
          .addHeader(Workload.CONSUMER_HEADER, CONSUMER)
          .build();
    }
  }

  /** One client's calls, back to back, for one round. */
  private Round round(OkHttpClient client, Calls calls, CpuHarnessThreads.Tally tally) {
    CpuHarnessThreads.Snapshot before = tally != null ? CpuHarnessThreads.snapshot() : null;
    long calls0 = 0;
    long errors = 0;
    long cpu = processCpuNanos();
    long thread = threadCpuNanos();
    long bytes = allocatedBytes();
    long start = System.nanoTime();
    long deadline = start + settings.round().toNanos();
    long now = start;
    for (int i = 0; now < deadline; i++) {
      boolean stream = settings.mix().stream(i);
      if (call(client, calls.next(stream), stream)) {
        calls0++;
      } else {
        errors++;
      }
      now = System.nanoTime();
    }
    Round round =
        new Round(
            calls0,
            errors,
            now - start,
            processCpuNanos() - cpu,
            threadCpuNanos() - thread,
            allocatedBytes() - bytes);
    if (tally != null) {
      tally.add(before, CpuHarnessThreads.snapshot(), calls0 + errors, callerTid);
    }
    return round;
  }

  /**
   * One call, its body read whole; false when it failed or its body was not whole. {@link
   * LoadHarness}'s callers make theirs through it too.
   */
  static boolean call(OkHttpClient client, Request request, boolean stream) {
    try (Response response = client.newCall(request).execute()) {
      if (response.code() != 200) {
        return false;
      }
      if (!stream) {
        return response.body().string().contains("\"choices\"");
      }
      BufferedSource source = response.body().source();
      String last = null;
      for (String line; (line = source.readUtf8Line()) != null; ) {
        if (!line.isEmpty()) {
          last = line;
        }
      }
      return DONE.equals(last);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** What a client adds to the plain client's figures, and its throughput over the plain's. */
  private void printAdded(String client, Spread cpu, Spread thread, Spread bytes, Spread ratio) {
    out.println(client + "added cpu per call:   " + cpu.format(" us"));
    out.println(client + "  of it caller thread: " + thread.format(" us"));
    out.println(client + "added allocation:     " + bytes.format(" B"));
    out.println(client + "throughput ratio:     " + ratio.format(""));
  }

  private void print(Report r) {
    out.println();
    out.println("plain cpu per call:   " + r.plainCpu().format(" us"));
    out.println("wrapped cpu per call: " + r.wrappedCpu().format(" us"));
    printAdded("", r.addedCpu(), r.addedThreadCpu(), r.addedBytes(), r.ratio());
    out.printf(
        Locale.ROOT,
        "errors %d; wrapped calls %d, gateway events %d%n",
        r.errors(),
        r.wrappedCalls(),
        r.events());
    // One line for scripts/harness-cpu.sh.
    out.printf(
        Locale.ROOT,
        "RESULT added_cpu_us %s added_thread_cpu_us %.3f added_bytes %.0f"
            + " ratio %s plain_cpu_us %.3f wrapped_cpu_us %.3f clean %s%n",
        r.addedCpu().quartiles(3),
        r.addedThreadCpu().median(),
        r.addedBytes().median(),
        r.ratio().quartiles(4),
        r.plainCpu().median(),
        r.wrappedCpu().median(),
        r.clean());
    FloorFigures f = r.floor();
    if (f != null) {
      String mode = f.mode().name().toLowerCase(Locale.ROOT);
      printAdded(
          "floor (" + mode + ") ", f.addedCpu(), f.addedThreadCpu(), f.addedBytes(), f.ratio());
      out.println("gateway over floor, cpu:   " + f.gatewayOverFloorCpu().format(" us"));
      out.println("  of it caller thread:     " + f.gatewayOverFloorThreadCpu().format(" us"));
      // One line for scripts/harness-cpu.sh.
      out.printf(
          Locale.ROOT,
          "FLOOR %s added_cpu_us %s added_thread_cpu_us %.3f added_bytes %.0f"
              + " ratio %s gateway_over_floor_cpu_us %.3f thread %.3f%n",
          mode,
          f.addedCpu().quartiles(3),
          f.addedThreadCpu().median(),
          f.addedBytes().median(),
          f.ratio().quartiles(4),
          f.gatewayOverFloorCpu().median(),
          f.gatewayOverFloorThreadCpu().median());
    }
  }

  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    throw new IllegalStateException("this JVM does not report its process CPU time");
  }

  private static long threadCpuNanos() {
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  private static long allocatedBytes() {
    if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads) {
      return threads.getThreadAllocatedBytes(Thread.currentThread().getId());
    }
    return 0;
  }

  private static String seconds(Duration duration) {
    return String.format(Locale.ROOT, "%.1f s", duration.toNanos() / 1e9);
  }
}
