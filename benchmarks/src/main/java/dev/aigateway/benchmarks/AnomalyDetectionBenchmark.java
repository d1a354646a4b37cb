package dev.aigateway.benchmarks;

import dev.aigateway.api.AnomalySignal;
import dev.aigateway.api.ConsumerSnapshot;
import dev.aigateway.api.ConsumerState;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.anomaly.AnomalyDetection;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Locale;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What anomaly detection adds to a governed call of a normal consumer: the short JSON chat of
 * {@link GovernedCallBenchmark} through the same gateway ({@link Workload}, no estimate) without
 * and with {@link AnomalyDetection}, in the same run. The detection uses 1 s buckets and judges
 * after 2, so within the warm-up iterations (6 s) the consumer is learnt and every measured call is
 * judged; the teardown fails the run if the consumer left {@code NORMAL}.
 */
@Warmup(iterations = 3, time = 2) // the other settings: MicroBenchmark's
public class AnomalyDetectionBenchmark extends MicroBenchmark {

  private static final String URL = "http://127.0.0.1:9" + Workload.CHAT_PATH; // never dialled
  private static final String CONSUMER = "team-a";

  private AiGateway detecting;
  private OkHttpClient without;
  private OkHttpClient with;
  private Request shortChat;

  /** Builds both clients over one base client and one canned backend. */
  @Setup
  public void setUp() {
    OkHttpClient base = new OkHttpClient();
    CannedBackend backend = new CannedBackend();
    AnomalyDetection.Builder detection =
        AnomalyDetection.builder().bucket(Duration.ofSeconds(1)).minSamples(2);
    for (AnomalySignal signal : AnomalySignal.values()) {
      // Out of reach, so the JIT's speed-up after the first bucket is not judged a flood; every
      // call is still judged (the comparisons run), which is the normal consumer's path.
      detection.floor(signal, signal.ratio() ? 1.0 : 1e15);
    }
    detecting = Workload.builder(false).anomalyDetection(detection).build();
    without =
        OkHttpAiGateway.wrap(base, Workload.builder(false).build())
            .newBuilder()
            .addInterceptor(backend)
            .build();
    with = OkHttpAiGateway.wrap(base, detecting).newBuilder().addInterceptor(backend).build();
    shortChat = Workload.post(URL, Workload.shortChat(false), CONSUMER);
  }

  /** Fails the run if the consumer was judged anything but normal. */
  @TearDown(Level.Trial)
  public void checkTheConsumerStayedNormal() {
    ConsumerSnapshot consumer = detecting.anomalies().consumer(CONSUMER).orElse(null);
    if (consumer != null && consumer.state() != ConsumerState.NORMAL) {
      throw new IllegalStateException("the benchmark's consumer left NORMAL: " + consumer);
    }
  }

  /** How many buckets the consumer's request rate has learnt (0 before any call). */
  long learntBuckets() {
    return detecting
        .anomalies()
        .consumer(CONSUMER)
        .map(c -> c.signals().get(AnomalySignal.REQUEST_RATE).samples())
        .orElse(0L);
  }

  /** The governed short chat, no anomaly detection. */
  @Benchmark
  public long withoutDetection() throws IOException {
    return Workload.call(without, shortChat);
  }

  /** The same call through a gateway that also runs anomaly detection. */
  @Benchmark
  public long withDetection() throws IOException {
    return Workload.call(with, shortChat);
  }

  /**
   * Thread CPU time per call, without and with detection, in alternating blocks on one thread: a
   * figure a loaded machine disturbs less than JMH's wall-clock time. Arguments: blocks (default
   * 10) and calls per block (default 50,000).
   */
  public static void main(String[] args) throws IOException {
    int blocks = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int calls = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    AnomalyDetectionBenchmark b = new AnomalyDetectionBenchmark();
    b.setUp();
    for (int i = 0; i < 4 * calls; i++) { // warm-up: compiled, and past the detection's warm-up
      b.withoutDetection();
      b.withDetection();
    }
    long[] totals = new long[2];
    for (int block = 0; block < blocks; block++) {
      for (int which = 0; which < 2; which++) {
        boolean detect = (block + which) % 2 == 1; // alternate which goes first
        long start = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < calls; i++) {
          if (detect) {
            b.withDetection();
          } else {
            b.withoutDetection();
          }
        }
        long spent = threads.getCurrentThreadCpuTime() - start;
        totals[detect ? 1 : 0] += spent;
        System.out.printf(
            Locale.ROOT,
            "block %2d %-17s %.3f us CPU/call%n",
            block,
            detect ? "withDetection" : "withoutDetection",
            spent / 1e3 / calls);
      }
    }
    double without = totals[0] / 1e3 / ((double) blocks * calls);
    double with = totals[1] / 1e3 / ((double) blocks * calls);
    System.out.printf(
        Locale.ROOT,
        "mean: without %.3f, with %.3f, added %.3f us CPU/call (learnt buckets: %d)%n",
        without,
        with,
        with - without,
        b.learntBuckets());
    b.checkTheConsumerStayedNormal();
  }
}
