package dev.aigateway.benchmarks;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The settings the per-call benchmarks share, and what their {@code main} methods do with JMH's
 * results. JMH reads its annotations up the class hierarchy, so a benchmark that extends this runs
 * in average time, in microseconds, with 3 warm-up iterations of 1 s and 5 measured of 2 s, in one
 * fork with a fixed 1 GB heap, on one state shared by its threads; a subclass's own annotation
 * replaces the one here.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Benchmark)
public abstract class MicroBenchmark {

  /** For subclasses only. */
  protected MicroBenchmark() {}

  /**
   * Runs {@code benchmark}'s benchmarks with JMH's command-line options {@code args} (all of them
   * unless {@code args} names some).
   */
  static Collection<RunResult> run(Class<?> benchmark, String[] args)
      throws RunnerException, CommandLineOptionException {
    CommandLineOptions cli = new CommandLineOptions(args);
    OptionsBuilder options = new OptionsBuilder();
    options.parent(cli);
    if (cli.getIncludes().isEmpty()) {
      options.include(benchmark.getName() + "\\.");
    }
    return new Runner(options.build()).run();
  }

  /** The results by benchmark method name (without its class). */
  static Map<String, RunResult> byMethod(Collection<RunResult> results) {
    Map<String, RunResult> byName = new HashMap<>();
    for (RunResult result : results) {
      String benchmark = result.getParams().getBenchmark();
      byName.put(benchmark.substring(benchmark.lastIndexOf('.') + 1), result);
    }
    return byName;
  }

  /** {@code value}, or 0 where it is not a number (JMH's error of a single iteration). */
  static double finite(double value) {
    return Double.isFinite(value) ? value : 0;
  }

  /** Fails the set-up of a benchmark whose {@code condition} does not hold. */
  static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException("benchmark set-up is wrong: " + message);
    }
  }
}
