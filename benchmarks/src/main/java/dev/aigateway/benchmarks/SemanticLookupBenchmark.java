package dev.aigateway.benchmarks;

import dev.aigateway.api.spi.VectorMatch;
import dev.aigateway.core.cache.InMemoryVectorStore;
import dev.aigateway.core.cache.Vectors;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.util.Statistics;

/**
 * One semantic-cache lookup: {@link InMemoryVectorStore#nearest} for the best 3 with a minimum
 * score of 0, in one partition of {@link #entries} unit vectors of {@value #DIMENSIONS} dimensions
 * (all-MiniLM-L6-v2's), one thread.
 *
 * <ul>
 *   <li>{@code vectors}: {@code random}, uniformly random directions, queried with more of the
 *       same: the worst case for a graph (every vector is almost equally far from every other);
 *       {@code clustered}, vectors drawn around {@value #CENTRES} random centres with noise (cosine
 *       ~0.86 to their centre), queried with fresh draws: closer to real prompt embeddings, which
 *       crowd around topics.
 *   <li>{@code search}: {@code exact}, every partition scanned; {@code approximate}, every
 *       partition searched through the HNSW graph; {@code default}, the default store, which scans
 *       up to {@link InMemoryVectorStore#DEFAULT_APPROXIMATE_ABOVE} entries and uses the graph
 *       above.
 * </ul>
 *
 * <p>Sample time, so JMH prints percentiles; {@link #main} prints the medians, with the recall of
 * the best 3 against a brute-force reference and the time the store took to fill (graph included)
 * from the same run. Target: a median of at most 1 ms at 100,000 entries with the default store.
 * See docs/vector-store.md.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@State(Scope.Benchmark)
public class SemanticLookupBenchmark {

  static final int DIMENSIONS = 384;
  static final int CENTRES = 1_000;

  /** Spread of a clustered vector around its centre, per component. */
  static final double NOISE = 0.03;

  static final int LIMIT = 3;
  static final double TARGET_MEDIAN_MICROS = 1_000;
  private static final String PARTITION = "tenant|model|context";
  private static final int QUERIES = 1_024; // a power of two: the index wraps with a mask
  private static final int RECALL_QUERIES = 100;

  @Param({"1000", "10000", "100000"})
  public int entries;

  @Param({"clustered", "random"})
  public String vectors;

  @Param({"exact", "approximate", "default"})
  public String search;

  private InMemoryVectorStore store;
  private float[][] queries;
  private int next;

  /** Share of the true best 3 found, over {@value #RECALL_QUERIES} queries. */
  double recall;

  /** How long filling the store took, graph included. */
  double fillSeconds;

  /** Fills the store (graph built on this thread) and measures its recall. */
  @Setup
  public void setUp() {
    Random random = new Random(20250115);
    float[][] centres = new float[CENTRES][];
    for (int i = 0; i < CENTRES; i++) {
      centres[i] = unit(random);
    }
    boolean clustered =
        switch (vectors) {
          case "clustered" -> true;
          case "random" -> false;
          default -> throw new IllegalArgumentException("vectors must be clustered or random");
        };
    float[][] data = new float[entries][];
    for (int i = 0; i < entries; i++) {
      data[i] = clustered ? around(random, centres[random.nextInt(CENTRES)]) : unit(random);
    }
    queries = new float[QUERIES][];
    for (int i = 0; i < QUERIES; i++) {
      queries[i] = clustered ? around(random, centres[random.nextInt(CENTRES)]) : unit(random);
    }
    InMemoryVectorStore.Builder builder =
        InMemoryVectorStore.builder().maximumEntries(entries).executor(Runnable::run);
    switch (search) {
      case "exact" -> builder.approximateAbove(Integer.MAX_VALUE);
      case "approximate" -> builder.approximateAbove(0);
      case "default" -> {}
      default -> throw new IllegalArgumentException("search must be exact, approximate or default");
    }
    store = builder.build();
    long start = System.nanoTime();
    for (int i = 0; i < entries; i++) {
      store.add(PARTITION, Integer.toString(i), data[i], "prompt " + i);
    }
    fillSeconds = (System.nanoTime() - start) / 1e9;
    recall = recall(data);
    System.out.printf(
        Locale.ROOT,
        "%n%s, %d %s vectors: filled in %.1f s, recall@%d %.3f%n",
        search,
        entries,
        vectors,
        fillSeconds,
        LIMIT,
        recall);
    if (store.size() != entries || (search.equals("exact") && recall < 1.0)) {
      throw new IllegalStateException(
          "benchmark set-up is wrong: size " + store.size() + ", recall " + recall);
    }
  }

  /** The lookup a semantic cache makes. */
  @Benchmark
  public List<VectorMatch> nearest() {
    float[] query = queries[next++ & (QUERIES - 1)];
    return store.nearest(PARTITION, query, LIMIT, 0.0);
  }

  /** Compares the store's answers with a brute-force scan in double precision. */
  private double recall(float[][] data) {
    int found = 0;
    for (int q = 0; q < RECALL_QUERIES; q++) {
      float[] query = queries[q];
      int[] best = new int[LIMIT];
      double[] bestScores = {
        Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY
      };
      for (int i = 0; i < data.length; i++) {
        double score = 0;
        for (int d = 0; d < DIMENSIONS; d++) {
          score += query[d] * data[i][d];
        }
        for (int k = 0; k < LIMIT; k++) {
          if (score > bestScores[k]) {
            System.arraycopy(bestScores, k, bestScores, k + 1, LIMIT - k - 1);
            System.arraycopy(best, k, best, k + 1, LIMIT - k - 1);
            bestScores[k] = score;
            best[k] = i;
            break;
          }
        }
      }
      Set<String> got = new HashSet<>();
      for (VectorMatch match : store.nearest(PARTITION, query, LIMIT, 0.0)) {
        got.add(match.id());
      }
      for (int i : best) {
        found += got.contains(Integer.toString(i)) ? 1 : 0;
      }
    }
    return found / (double) (RECALL_QUERIES * LIMIT);
  }

  private static float[] unit(Random random) {
    float[] vector = new float[DIMENSIONS];
    for (int i = 0; i < DIMENSIONS; i++) {
      vector[i] = (float) random.nextGaussian();
    }
    return Vectors.normalised(vector);
  }

  private static float[] around(Random random, float[] centre) {
    float[] vector = centre.clone();
    for (int i = 0; i < DIMENSIONS; i++) {
      vector[i] += (float) (NOISE * random.nextGaussian());
    }
    return Vectors.normalised(vector);
  }

  /**
   * Runs the benchmark and prints the median and 90th percentile per case.
   *
   * @param args JMH command-line options, such as {@code -f 1 -wi 3 -i 5 -p entries=100000}; by
   *     default every case with the settings of the annotations
   */
  public static void main(String[] args) throws Exception {
    CommandLineOptions cli = new CommandLineOptions(args);
    OptionsBuilder options = new OptionsBuilder();
    options.parent(cli);
    if (cli.getIncludes().isEmpty()) {
      options.include(SemanticLookupBenchmark.class.getName() + "\\.");
    }
    Collection<RunResult> results = new Runner(options.build()).run();
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "%-10s %8s %-12s %12s %12s%n",
        "vectors",
        "entries",
        "search",
        "median us",
        "p90 us");
    for (RunResult result : results) {
      Statistics statistics = result.getPrimaryResult().getStatistics();
      String entries = result.getParams().getParam("entries");
      String search = result.getParams().getParam("search");
      double median = statistics.getPercentile(50);
      String verdict =
          entries.equals("100000") && search.equals("default")
              ? (median <= TARGET_MEDIAN_MICROS
                  ? "  target <= 1 ms: met"
                  : "  target <= 1 ms: MISSED")
              : "";
      System.out.printf(
          Locale.ROOT,
          "%-10s %8s %-12s %12.1f %12.1f%s%n",
          result.getParams().getParam("vectors"),
          entries,
          search,
          median,
          statistics.getPercentile(90),
          verdict);
    }
  }
}
