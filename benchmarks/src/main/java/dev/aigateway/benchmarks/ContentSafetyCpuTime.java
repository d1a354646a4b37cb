package dev.aigateway.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@link ContentSafetyBenchmark}'s operations timed by the calling thread's CPU time instead of
 * wall-clock time: on a machine shared with other work, wall-clock time per operation counts the
 * time the thread waited for a core, CPU time counts only what it ran. Rounds alternate between the
 * operations so that both sides of the pair see the same machine; each round's median of
 * per-operation times is printed, then the median of rounds.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar
 * dev.aigateway.benchmarks.ContentSafetyCpuTime [rounds] [operations per round]}.
 */
public final class ContentSafetyCpuTime {

  private ContentSafetyCpuTime() {}

  /** Runs the rounds and prints the medians. */
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
    int operations = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    ContentSafetyBenchmark b = new ContentSafetyBenchmark();
    b.setUp();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    String[] names = {"governedShort", "governedShortWithSafety", "piiScan1kTokens"};
    Callable<?>[] ops = {b::governedShort, b::governedShortWithSafety, b::piiScan1kTokens};
    for (int w = 0; w < 3; w++) { // warm-up
      for (Callable<?> op : ops) {
        for (int i = 0; i < operations; i++) {
          op.call();
        }
      }
    }
    double[][] perRound = new double[ops.length][rounds];
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < ops.length; k++) {
        long start = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < operations; i++) {
          ops[k].call();
        }
        perRound[k][r] = (threads.getCurrentThreadCpuTime() - start) / 1_000.0 / operations;
      }
    }
    for (int k = 0; k < ops.length; k++) {
      double[] sorted = perRound[k].clone();
      java.util.Arrays.sort(sorted);
      System.out.printf(
          Locale.ROOT,
          "%-26s median %8.2f us/op CPU  (rounds: min %.2f, max %.2f)%n",
          names[k],
          sorted[rounds / 2],
          sorted[0],
          sorted[rounds - 1]);
    }
    double[] added = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      added[r] = perRound[1][r] - perRound[0][r];
    }
    java.util.Arrays.sort(added);
    System.out.printf(
        Locale.ROOT,
        "added by the built-in checks: median %.2f us/op CPU (rounds: %.2f to %.2f)%n",
        added[rounds / 2],
        added[0],
        added[rounds - 1]);
  }
}
