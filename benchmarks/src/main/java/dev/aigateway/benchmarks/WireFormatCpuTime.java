package dev.aigateway.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@link WireFormatBenchmark}'s calls timed by the calling thread's CPU time instead of wall-clock
 * time: on a machine shared with other work, wall-clock time counts the time the thread waited for
 * a core, CPU time only what it ran. Rounds alternate between the ten benchmarks, so that each sees
 * the same machine; each is also timed with its request part alone (recognise, choose the format,
 * read the request and its allowance: {@link WireFormatBenchmark#requestOnly}), so that what
 * reading the answer costs is the difference. Prints, per benchmark, the median over the second
 * half of the rounds (the first half warms up) of the whole call, of the request part, and of the
 * answer part, each with its ratio to the OpenAI benchmark of the same kind (JSON to {@code
 * openAiJson}, streams to {@code openAiStream}).
 *
 * <p>Run: {@code java -Xms1g -Xmx1g -cp benchmarks/target/benchmarks.jar
 * dev.aigateway.benchmarks.WireFormatCpuTime [rounds] [calls per round]}.
 */
public final class WireFormatCpuTime {

  private WireFormatCpuTime() {}

  /** Runs the rounds and prints the medians. */
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    int calls = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
    WireFormatBenchmark benchmark = new WireFormatBenchmark();
    benchmark.setUp();
    String[] names = WireFormatBenchmark.BENCHMARKS;
    Callable<?>[] whole = new Callable<?>[names.length];
    Callable<?>[] request = new Callable<?>[names.length];
    for (int k = 0; k < names.length; k++) {
      Method method = WireFormatBenchmark.class.getMethod(names[k]);
      int index = k;
      whole[k] = () -> method.invoke(benchmark);
      request[k] = () -> benchmark.requestOnly(index);
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    double[][] wholeTimes = new double[names.length][rounds];
    double[][] requestTimes = new double[names.length][rounds];
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < names.length; k++) {
        wholeTimes[k][r] = cpuMicros(threads, whole[k], calls);
        requestTimes[k][r] = cpuMicros(threads, request[k], calls);
      }
    }
    double[] wholeMedian = new double[names.length];
    double[] requestMedian = new double[names.length];
    for (int k = 0; k < names.length; k++) {
      wholeMedian[k] = medianOfSecondHalf(wholeTimes[k]);
      requestMedian[k] = medianOfSecondHalf(requestTimes[k]);
    }
    System.out.printf(
        Locale.ROOT,
        "%-22s %9s %7s %9s %7s %9s %7s%n",
        "benchmark",
        "call us",
        "x",
        "request",
        "x",
        "answer",
        "x");
    for (int k = 0; k < names.length; k++) {
      int reference = names[k].endsWith("Json") ? 0 : 4;
      double answer = wholeMedian[k] - requestMedian[k];
      double referenceAnswer = wholeMedian[reference] - requestMedian[reference];
      System.out.printf(
          Locale.ROOT,
          "%-22s %9.2f %7.2f %9.2f %7.2f %9.2f %7.2f%n",
          names[k],
          wholeMedian[k],
          wholeMedian[k] / wholeMedian[reference],
          requestMedian[k],
          requestMedian[k] / requestMedian[reference],
          answer,
          answer / referenceAnswer);
    }
  }

  private static double cpuMicros(ThreadMXBean threads, Callable<?> call, int calls)
      throws Exception {
    long start = threads.getCurrentThreadCpuTime();
    for (int i = 0; i < calls; i++) {
      call.call();
    }
    return (threads.getCurrentThreadCpuTime() - start) / 1_000.0 / calls;
  }

  /** The median of the second half of {@code values} (the first half warms up). */
  static double medianOfSecondHalf(double[] values) {
    double[] late = Arrays.copyOfRange(values, values.length / 2, values.length);
    Arrays.sort(late);
    return late[late.length / 2];
  }
}
