package dev.aigateway.benchmarks;

import com.sun.management.ThreadMXBean;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.OkHttpClient;

/**
 * {@link CpuHarness}'s clients in one process, without a socket: the plain client, the floor client
 * in each {@link FloorInterceptor.Mode} and the gateway's, each in front of a paced, varying {@link
 * CannedBackend} (one event per read, each answer its own id and time), making the harness's mixed
 * calls (JSON chat and streamed chat alternately; or JSON chat only, or streamed chat only), each
 * request built for its call as instrument {@code v2} builds it. What the calling thread spends per
 * call, in CPU time and in allocated bytes: the floor's and the gateway's work above the plain
 * client's, measured without the kernel's network path and the other process that make the
 * harness's figures noisy. The canned backend runs on the calling thread too: what it does more for
 * a stream that asks for usage (a longer answer, one more event) counts here as reading those bytes
 * from a socket counts in the harness.
 *
 * <p>Rounds run the clients in turn, the order shifting by one each round; the figures are each
 * client's medians over the second half of the rounds (the first half warms up). A fourth argument,
 * {@code spin=N,bytes=M} ({@link FloorInterceptor.Extra}), adds known work to every floor client's
 * calls: what it costs here, set against what {@link CpuHarness} reports for it beside the socket
 * ({@code --floor-extra=}), calibrates that instrument.
 *
 * <pre>
 * java -Xms1g -Xmx1g -cp benchmarks.jar dev.aigateway.benchmarks.FloorCpuTime [rounds=40]
 *     [calls per round=4000] [mixed|json|stream] [spin=N,bytes=M]
 * </pre>
 *
 * <p>Exits with status 1 when a call failed or a gateway call produced no event.
 */
public final class FloorCpuTime {

  /** The clients, in the order of the first round and of the printed table. */
  static final String[] CLIENTS = {"plain", "step", "ask", "hide", "gateway"};

  /** Where in {@link #CLIENTS} the floor that hides the usage is, and the gateway's client. */
  private static final int HIDE = 1 + FloorInterceptor.Mode.HIDE.ordinal();

  private static final int GATEWAY = CLIENTS.length - 1;

  private FloorCpuTime() {}

  /** Each client's median CPU time and allocation per call, and whether every call went well. */
  record Result(double[] cpuMicros, double[] bytes, long errors, long gatewayCalls, long events) {

    boolean clean() {
      return errors == 0 && gatewayCalls == events;
    }
  }

  /** Runs the rounds and prints the table. */
  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    int calls = args.length > 1 ? Integer.parseInt(args[1]) : 4_000;
    CpuHarness.Mix mix =
        args.length > 2
            ? CpuHarness.Mix.valueOf(args[2].toUpperCase(Locale.ROOT))
            : CpuHarness.Mix.MIXED;
    FloorInterceptor.Extra extra =
        args.length > 3 ? FloorInterceptor.Extra.parse(args[3]) : FloorInterceptor.Extra.NONE;
    Result result = run(rounds, calls, mix, extra);
    System.out.printf(
        Locale.ROOT,
        "FloorCpuTime: %d rounds of %d %s calls per client, medians of rounds %d-%d%s%n",
        rounds,
        calls,
        mix.name().toLowerCase(Locale.ROOT),
        rounds / 2 + 1,
        rounds,
        extra.any() ? ", floors with extra " + extra : "");
    System.out.printf(
        Locale.ROOT,
        "%-8s %10s %10s %10s %10s%n",
        "client",
        "us/call",
        "added",
        "B/call",
        "added B");
    for (int k = 0; k < CLIENTS.length; k++) {
      System.out.printf(
          Locale.ROOT,
          "%-8s %10.3f %10.3f %10.0f %10.0f%n",
          CLIENTS[k],
          result.cpuMicros()[k],
          result.cpuMicros()[k] - result.cpuMicros()[0],
          result.bytes()[k],
          result.bytes()[k] - result.bytes()[0]);
    }
    System.out.printf(
        Locale.ROOT,
        "gateway over hide: %.3f us, %.0f B a call; errors %d, gateway calls %d, events %d%n",
        result.cpuMicros()[GATEWAY] - result.cpuMicros()[HIDE],
        result.bytes()[GATEWAY] - result.bytes()[HIDE],
        result.errors(),
        result.gatewayCalls(),
        result.events());
    if (!result.clean()) {
      System.exit(1);
    }
  }

  /** Runs {@code rounds} rounds of {@code calls} calls of {@code mix} per client. */
  static Result run(int rounds, int calls, CpuHarness.Mix mix) {
    return run(rounds, calls, mix, FloorInterceptor.Extra.NONE);
  }

  /** The same, with {@code extra} work added to every call of each floor client. */
  static Result run(int rounds, int calls, CpuHarness.Mix mix, FloorInterceptor.Extra extra) {
    LongAdder events = new LongAdder();
    OkHttpClient base = new OkHttpClient();
    CannedBackend backend = new CannedBackend(true, true);
    OkHttpClient[] clients = new OkHttpClient[CLIENTS.length];
    clients[0] = Workload.withBackend(base, backend);
    FloorInterceptor.Mode[] modes = FloorInterceptor.Mode.values();
    for (int m = 0; m < modes.length; m++) {
      OkHttpClient floor =
          base.newBuilder().addInterceptor(new FloorInterceptor(modes[m], extra)).build();
      clients[1 + m] = Workload.withBackend(floor, backend);
    }
    clients[GATEWAY] =
        Workload.withBackend(
            OkHttpAiGateway.wrap(base, Workload.gateway(true, event -> events.increment())),
            backend);
    CpuHarness.Calls requests =
        new CpuHarness.Calls(
            "http://127.0.0.1:1" + Workload.CHAT_PATH,
            Workload.shortChat(false),
            Workload.shortChat(true),
            CpuHarness.Instrument.V2);
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    double[][] cpu = new double[CLIENTS.length][rounds];
    double[][] bytes = new double[CLIENTS.length][rounds];
    long errors = 0;
    long gatewayCalls = 0;
    for (int r = 0; r < rounds; r++) {
      for (int j = 0; j < CLIENTS.length; j++) {
        int k = (r + j) % CLIENTS.length;
        long allocated = threads.getThreadAllocatedBytes(thread);
        long time = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < calls; i++) {
          boolean stream = mix.stream(i);
          if (!CpuHarness.call(clients[k], requests.next(stream), stream)) {
            errors++;
          }
        }
        cpu[k][r] = (threads.getCurrentThreadCpuTime() - time) / 1e3 / calls;
        bytes[k][r] = (double) (threads.getThreadAllocatedBytes(thread) - allocated) / calls;
        gatewayCalls += k == GATEWAY ? calls : 0;
      }
    }
    double[] cpuMedian = new double[CLIENTS.length];
    double[] bytesMedian = new double[CLIENTS.length];
    for (int k = 0; k < CLIENTS.length; k++) {
      cpuMedian[k] = WireFormatCpuTime.medianOfSecondHalf(cpu[k]);
      bytesMedian[k] = WireFormatCpuTime.medianOfSecondHalf(bytes[k]);
    }
    return new Result(cpuMedian, bytesMedian, errors, gatewayCalls, events.sum());
  }
}
