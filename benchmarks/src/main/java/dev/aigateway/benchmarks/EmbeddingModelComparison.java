package dev.aigateway.benchmarks;

import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.core.cache.AlignmentGuard;
import dev.aigateway.embeddings.onnx.MiniLmEmbeddingModel;
import dev.aigateway.embeddings.onnx.OnnxEmbeddingModel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Compares the in-process sentence models on the labelled sets of {@code semantic-eval/}
 * (docs/semantic-eval.md, "Other embedding models (LOSO)"): the shipped all-MiniLM-L6-v2 and the
 * choices of {@link OnnxEmbeddingModel}, whose jars are on the class path when the benchmarks are
 * built with {@code -Pcompare-models}.
 *
 * <pre>
 * mvn -B -ntp -o -q install -DskipTests -pl benchmarks -am -Pcompare-models
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.EmbeddingModelComparison \
 *     [--models=all-MiniLM-L6-v2,bge-small-en-v1.5-q,...] [--no-times | --times-only=PROMPTS]
 * </pre>
 *
 * For each model and each of the eight sets it prints the ROC AUC of the raw cosine (paraphrase
 * against near miss: the chance that a random paraphrase scores above a random near miss), and,
 * leaving one set out, the paraphrases and near misses served on that set at the similarity
 * threshold chosen on the other seven: the lowest threshold that serves at most 5% of their near
 * misses pooled. This is done three ways: the cosine alone; with the default rule guard ({@link
 * AlignmentGuard}, which embeds single words with the same model) at its word threshold 0.85; and
 * with the guard's word threshold chosen by the same seven sets from {@link #WORD_THRESHOLDS} (the
 * one that serves the most of their paraphrases within the bound). Every distinct prompt is
 * embedded by every model in turn (the order rotating from prompt to prompt), so the times per
 * prompt (wall and CPU, p50 / p99, and bytes allocated) are measured side by side in the same
 * minutes.
 */
public final class EmbeddingModelComparison {

  /** The sets, each held out in turn. Written by different writers and methods. */
  static final List<String> SETS =
      List.of(
          "pairs", "tuning", "judged", "judged-2", "judged-3", "judged-4", "judged-5", "judged-6");

  /** The share of the training sets' near misses a chosen threshold may serve. */
  static final double NEAR_MISS_BOUND = 0.05;

  /** The rule guard's word thresholds the third way chooses from. */
  static final List<Double> WORD_THRESHOLDS = List.of(0.80, 0.85, 0.90, 0.95);

  /** One labelled pair: its label, its cosine and whether a guard lets it through. */
  record Scored(boolean paraphrase, double cosine, boolean allowed) {}

  /** What one held-out set got: the threshold chosen without it and the counts it served. */
  record Fold(
      String heldOut,
      double threshold,
      int candidate,
      int paraphrases,
      int paraphrasesServed,
      int nearMisses,
      int nearMissesServed) {}

  private EmbeddingModelComparison() {}

  /**
   * Runs the comparison and prints it as Markdown tables.
   *
   * @param args optionally {@code --models=NAME,...} (names as {@link EmbeddingModel#name()}), and
   *     {@code --no-times} to leave out the times (each model then embeds its prompts as its report
   *     needs them, one model after the other), or {@code --times-only=N} for the times alone, on N
   *     of the distinct prompts spread evenly over the sets
   */
  public static void main(String[] args) throws IOException {
    Map<String, Supplier<EmbeddingModel>> all = new LinkedHashMap<>();
    all.put(MiniLmEmbeddingModel.NAME, MiniLmEmbeddingModel::create);
    for (OnnxEmbeddingModel.Choice choice : OnnxEmbeddingModel.Choice.values()) {
      all.put(choice.modelName(), () -> OnnxEmbeddingModel.create(choice));
    }
    List<String> names = new ArrayList<>(all.keySet());
    boolean times = true;
    boolean reports = true;
    int sample = Integer.MAX_VALUE;
    for (String arg : args) {
      if (arg.startsWith("--models=")) {
        names = List.of(arg.substring("--models=".length()).split(","));
      } else if (arg.equals("--no-times")) {
        times = false;
      } else if (arg.startsWith("--times-only=")) {
        reports = false;
        sample = Integer.parseInt(arg.substring("--times-only=".length()));
      } else {
        throw new IllegalArgumentException(
            "usage: [--models="
                + String.join(",", all.keySet())
                + "] [--no-times | --times-only=PROMPTS]");
      }
    }
    Map<String, List<String[]>> sets = new LinkedHashMap<>();
    for (String set : SETS) {
      sets.put(set, SemanticGuardEvaluation.read(set));
    }
    List<SemanticGuardEvaluation.Memo> models = new ArrayList<>();
    for (String name : names) {
      Supplier<EmbeddingModel> model = all.get(name);
      if (model == null) {
        throw new IllegalArgumentException("unknown model " + name + "; expected " + all.keySet());
      }
      models.add(new SemanticGuardEvaluation.Memo(model.get()));
    }
    System.out.printf(
        Locale.ROOT,
        "started %s, load average %s%n",
        Instant.now().truncatedTo(ChronoUnit.SECONDS),
        loadAverage());
    if (times) {
      for (EmbeddingModel model : models) {
        model.embed("Load the model before the clock starts.");
      }
      System.out.print(timeSideBySide(sets, models, sample));
      System.out.printf(
          Locale.ROOT,
          "embedded %s, load average %s%n",
          Instant.now().truncatedTo(ChronoUnit.SECONDS),
          loadAverage());
    }
    for (EmbeddingModel model : reports ? models : List.<EmbeddingModel>of()) {
      System.out.print(report(model, sets));
      System.out.flush();
      System.out.printf(
          Locale.ROOT,
          "done %s, load average %s%n",
          Instant.now().truncatedTo(ChronoUnit.SECONDS),
          loadAverage());
    }
  }

  /**
   * Embeds the distinct prompts of the sets (all of them, or {@code sample} of them spread evenly
   * over the sets) with every model, one model after the other on each prompt (the first model
   * rotating), and tells the time and allocation per prompt of each.
   */
  static String timeSideBySide(
      Map<String, List<String[]>> sets, List<? extends EmbeddingModel> models, int sample)
      throws IOException {
    Set<String> distinct = new LinkedHashSet<>();
    for (List<String[]> rows : sets.values()) {
      for (String[] row : rows) {
        distinct.add(row[2]);
        distinct.add(row[3]);
      }
    }
    List<String> all = new ArrayList<>(distinct);
    List<String> prompts = new ArrayList<>();
    double step = Math.max(1.0, (double) all.size() / sample);
    for (double at = 0; at < all.size(); at += step) {
      prompts.add(all.get((int) at));
    }
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    int n = prompts.size();
    long[][] wall = new long[models.size()][n];
    long[][] cpu = new long[models.size()][n];
    long[] allocated = new long[models.size()];
    int i = 0;
    for (String prompt : prompts) {
      for (int k = 0; k < models.size(); k++) {
        int m = (i + k) % models.size();
        long bytes = threads.getThreadAllocatedBytes(thread);
        long cpuStart = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        models.get(m).embed(prompt);
        wall[m][i] = System.nanoTime() - start;
        cpu[m][i] = threads.getCurrentThreadCpuTime() - cpuStart;
        allocated[m] += threads.getThreadAllocatedBytes(thread) - bytes;
      }
      i++;
    }
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "%n### Time per prompt embedding (%d distinct prompts, models side by side)%n%n"
                + "| model | wall ms p50 / p99 / max | CPU ms p50 / p99 / max "
                + "| KB allocated per prompt |%n|---|---|---|---|%n",
            n));
    for (int m = 0; m < models.size(); m++) {
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %.1f |%n",
              models.get(m).name(),
              SemanticGuardEvaluation.percentiles(wall[m]),
              SemanticGuardEvaluation.percentiles(cpu[m]),
              allocated[m] / 1024.0 / n));
    }
    return out.toString();
  }

  /**
   * The table of one model: per held-out set (each of {@code sets} in turn) the AUC and the three
   * ways' threshold and counts, and the counts pooled over the held-out sets.
   */
  static String report(EmbeddingModel model, Map<String, List<String[]>> sets) throws IOException {
    Map<String, List<Scored>> raw = new LinkedHashMap<>();
    List<Map<String, List<Scored>>> guarded = new ArrayList<>();
    List<AlignmentGuard> guards = new ArrayList<>();
    for (double word : WORD_THRESHOLDS) {
      guarded.add(new LinkedHashMap<>());
      guards.add(AlignmentGuard.builder(model).wordThreshold(word).build());
    }
    for (Map.Entry<String, List<String[]>> set : sets.entrySet()) {
      List<Scored> plain = new ArrayList<>();
      List<List<Scored>> withGuard = new ArrayList<>();
      for (int g = 0; g < guards.size(); g++) {
        withGuard.add(new ArrayList<>());
      }
      for (String[] row : set.getValue()) {
        boolean paraphrase = row[0].equals("paraphrase");
        double cosine = SemanticCacheEvaluation.cosine(model.embed(row[2]), model.embed(row[3]));
        plain.add(new Scored(paraphrase, cosine, true));
        for (int g = 0; g < guards.size(); g++) {
          boolean allowed = guards.get(g).objection(row[2], row[3]).isEmpty();
          withGuard.get(g).add(new Scored(paraphrase, cosine, allowed));
        }
      }
      raw.put(set.getKey(), plain);
      for (int g = 0; g < guards.size(); g++) {
        guarded.get(g).put(set.getKey(), withGuard.get(g));
      }
    }
    int defaultWord = WORD_THRESHOLDS.indexOf(AlignmentGuard.DEFAULT_WORD_THRESHOLD);
    List<Fold> plainFolds = leaveOneSetOut(List.of(raw));
    List<Fold> guardFolds = leaveOneSetOut(List.of(guarded.get(defaultWord)));
    List<Fold> wordFolds = leaveOneSetOut(guarded);

    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "%n### %s%n%n| held-out set | AUC | cosine alone: threshold, paraphrases, near misses "
                + "| + rule guard (word 0.85) | + rule guard, word threshold chosen too |%n"
                + "|---|---|---|---|---|%n",
            model.name()));
    List<Scored> pooled = new ArrayList<>();
    List<String> names = new ArrayList<>(sets.keySet());
    for (int s = 0; s < names.size(); s++) {
      List<Scored> scored = raw.get(names.get(s));
      pooled.addAll(scored);
      out.append(
          String.format(
              Locale.ROOT,
              "| `%s` | %.3f | %s | %s | %s (word %.2f) |%n",
              names.get(s),
              auc(scored),
              fold(plainFolds.get(s)),
              fold(guardFolds.get(s)),
              fold(wordFolds.get(s)),
              WORD_THRESHOLDS.get(wordFolds.get(s).candidate())));
    }
    out.append(
        String.format(
            Locale.ROOT,
            "| **pooled** | %.3f | %s | %s | %s |%n",
            auc(pooled),
            pooledFolds(plainFolds),
            pooledFolds(guardFolds),
            pooledFolds(wordFolds)));
    return out.toString();
  }

  /**
   * The ROC AUC of the cosine as a score of paraphrase against near miss: the share of (paraphrase,
   * near miss) pairs in which the paraphrase scores higher, ties counting half.
   */
  static double auc(List<Scored> scored) {
    List<Scored> sorted = new ArrayList<>(scored);
    sorted.sort((a, b) -> Double.compare(a.cosine(), b.cosine()));
    double rankSum = 0;
    long positives = 0;
    int i = 0;
    while (i < sorted.size()) {
      int j = i;
      while (j < sorted.size() && sorted.get(j).cosine() == sorted.get(i).cosine()) {
        j++;
      }
      double meanRank = (i + 1 + j) / 2.0; // ranks i+1 .. j share their mean
      for (int k = i; k < j; k++) {
        if (sorted.get(k).paraphrase()) {
          rankSum += meanRank;
          positives++;
        }
      }
      i = j;
    }
    long negatives = sorted.size() - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }

  /**
   * The lowest similarity threshold at which the pairs the guard allows serve at most {@link
   * #NEAR_MISS_BOUND} of all the near misses ({@code cosine >= threshold} is served); negative
   * infinity when the guard alone keeps within the bound.
   */
  static double threshold(List<Scored> training) {
    long nearMisses = training.stream().filter(s -> !s.paraphrase()).count();
    int allowedNearMisses = (int) Math.floor(NEAR_MISS_BOUND * nearMisses);
    double[] served =
        training.stream()
            .filter(s -> !s.paraphrase() && s.allowed())
            .mapToDouble(Scored::cosine)
            .sorted()
            .toArray();
    if (served.length <= allowedNearMisses) {
      return Double.NEGATIVE_INFINITY;
    }
    // The (allowed + 1)-th highest near miss must not be served: the threshold goes just above it.
    return Math.nextUp(served[served.length - 1 - allowedNearMisses]);
  }

  /**
   * Leaves each set out in turn: for each candidate (one way of scoring the same pairs), the
   * threshold from the other sets, and the candidate that serves the most of their paraphrases (the
   * first on a tie); then what that candidate and threshold serve on the held-out set.
   *
   * @param candidates each maps every set to its scored pairs, all with the same sets in the same
   *     order
   */
  static List<Fold> leaveOneSetOut(List<Map<String, List<Scored>>> candidates) {
    List<Fold> folds = new ArrayList<>();
    for (String heldOut : candidates.get(0).keySet()) {
      int best = -1;
      double bestThreshold = Double.NaN;
      long bestServed = -1;
      for (int c = 0; c < candidates.size(); c++) {
        List<Scored> training = new ArrayList<>();
        for (Map.Entry<String, List<Scored>> set : candidates.get(c).entrySet()) {
          if (!set.getKey().equals(heldOut)) {
            training.addAll(set.getValue());
          }
        }
        double t = threshold(training);
        long served = training.stream().filter(s -> s.paraphrase() && served(s, t)).count();
        if (served > bestServed) {
          best = c;
          bestThreshold = t;
          bestServed = served;
        }
      }
      double t = bestThreshold;
      List<Scored> test = candidates.get(best).get(heldOut);
      folds.add(
          new Fold(
              heldOut,
              t,
              best,
              (int) test.stream().filter(Scored::paraphrase).count(),
              (int) test.stream().filter(s -> s.paraphrase() && served(s, t)).count(),
              (int) test.stream().filter(s -> !s.paraphrase()).count(),
              (int) test.stream().filter(s -> !s.paraphrase() && served(s, t)).count()));
    }
    return folds;
  }

  private static boolean served(Scored scored, double threshold) {
    return scored.allowed() && scored.cosine() >= threshold;
  }

  private static String fold(Fold f) {
    return String.format(
        Locale.ROOT,
        "%s: %d/%d = %.1f%%, %d/%d = %.1f%%",
        f.threshold() == Double.NEGATIVE_INFINITY
            ? "any"
            : String.format(Locale.ROOT, "%.3f", f.threshold()),
        f.paraphrasesServed(),
        f.paraphrases(),
        100.0 * f.paraphrasesServed() / f.paraphrases(),
        f.nearMissesServed(),
        f.nearMisses(),
        100.0 * f.nearMissesServed() / f.nearMisses());
  }

  private static String pooledFolds(List<Fold> folds) {
    int p = folds.stream().mapToInt(Fold::paraphrases).sum();
    int ps = folds.stream().mapToInt(Fold::paraphrasesServed).sum();
    int n = folds.stream().mapToInt(Fold::nearMisses).sum();
    int ns = folds.stream().mapToInt(Fold::nearMissesServed).sum();
    return String.format(
        Locale.ROOT,
        "**%d/%d = %.1f%%** %s, **%d/%d = %.2f%%** %s",
        ps,
        p,
        100.0 * ps / p,
        SemanticGuardEvaluation.wilson(ps, p),
        ns,
        n,
        100.0 * ns / n,
        SemanticGuardEvaluation.wilson(ns, n));
  }

  private static String loadAverage() {
    try {
      String[] fields =
          Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).split(" ");
      return String.join(" ", Arrays.asList(fields).subList(0, 3));
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
