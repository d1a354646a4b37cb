package dev.aigateway.benchmarks;

import dev.aigateway.api.SemanticHitGuard;
import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.core.cache.FalseHitGuard;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * How well the semantic cache tells paraphrases from near misses, on the labelled pairs in {@code
 * semantic-eval/pairs.tsv} (see docs/semantic-eval.md): every prompt is embedded with one of the
 * in-process models of {@link ComparedModel} (all-MiniLM-L6-v2 unless {@code --model} names
 * another); a pair is a hit when the cosine similarity of its prompts reaches the threshold and, in
 * the guarded columns, {@link FalseHitGuard} does not object.
 *
 * <p>It prints a sweep of thresholds (paraphrase hit rate, near-miss false-hit rate, with and
 * without the guard) for the whole set and each split, then the recommended threshold, chosen on
 * the dev split only: the smallest threshold where guarded false hits are at most {@value
 * #MAX_FALSE_HITS_PERCENT}% and paraphrase hits at least {@value #MIN_PARAPHRASE_HITS_PERCENT}%;
 * and the results at that threshold per split and per category.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.SemanticCacheEvaluation \
 *     [dev|holdout] [--details] [--at=0.85] [--model=minilm|bge-small|bge-small-q|e5-small-q]
 * </pre>
 *
 * With {@code dev} or {@code holdout} only that split is read; {@code --details} lists the pairs
 * the guarded cache gets wrong at the recommended threshold, {@code --at} at another one.
 */
public final class SemanticCacheEvaluation {

  /** The classpath resource with the labelled pairs. */
  static final String PAIRS = "/semantic-eval/pairs.tsv";

  static final double MAX_FALSE_HITS_PERCENT = 1.0;
  static final double MIN_PARAPHRASE_HITS_PERCENT = 80.0;
  static final int FIRST_THRESHOLD_PERCENT = 70;
  static final int LAST_THRESHOLD_PERCENT = 99;

  /** One labelled pair, with its similarity and the guard's objection once scored. */
  record Pair(
      boolean paraphrase,
      String category,
      String cached,
      String incoming,
      String split,
      double cosine,
      Optional<String> objection) {

    boolean hit(double threshold, boolean guarded) {
      return cosine >= threshold && !(guarded && objection.isPresent());
    }
  }

  /** Hit rates over a set of pairs at one threshold. */
  record Rates(
      int paraphrases,
      int nearMisses,
      int paraphraseHits,
      int falseHits,
      int guardedParaphraseHits,
      int guardedFalseHits) {

    static Rates of(List<Pair> pairs, double threshold) {
      int p = 0;
      int n = 0;
      int ph = 0;
      int fh = 0;
      int gph = 0;
      int gfh = 0;
      for (Pair pair : pairs) {
        if (pair.paraphrase()) {
          p++;
          ph += pair.hit(threshold, false) ? 1 : 0;
          gph += pair.hit(threshold, true) ? 1 : 0;
        } else {
          n++;
          fh += pair.hit(threshold, false) ? 1 : 0;
          gfh += pair.hit(threshold, true) ? 1 : 0;
        }
      }
      return new Rates(p, n, ph, fh, gph, gfh);
    }

    double paraphraseHitPercent(boolean guarded) {
      return percent(guarded ? guardedParaphraseHits : paraphraseHits, paraphrases);
    }

    double falseHitPercent(boolean guarded) {
      return percent(guarded ? guardedFalseHits : falseHits, nearMisses);
    }

    boolean meetsTargets() {
      return falseHitPercent(true) <= MAX_FALSE_HITS_PERCENT
          && paraphraseHitPercent(true) >= MIN_PARAPHRASE_HITS_PERCENT;
    }
  }

  private SemanticCacheEvaluation() {}

  /**
   * Runs the evaluation and prints the report.
   *
   * @param args optionally {@code dev} or {@code holdout} (read only that split), {@code
   *     --details}, {@code --at=THRESHOLD} and {@code --model=NAME}
   */
  public static void main(String[] args) throws IOException {
    String only = null;
    boolean details = false;
    Double at = null;
    ComparedModel compared = ComparedModel.MINILM;
    for (String arg : args) {
      if (arg.equals("--details")) {
        details = true;
      } else if (arg.startsWith("--at=")) {
        at = Double.valueOf(arg.substring("--at=".length()));
        details = true;
      } else if (arg.startsWith("--model=")) {
        compared = ComparedModel.of(arg.substring("--model=".length()));
      } else if (arg.equals("dev") || arg.equals("holdout")) {
        only = arg;
      } else {
        throw new IllegalArgumentException(
            "unknown argument "
                + arg
                + "; expected dev, holdout, --details, --at=THRESHOLD or --model="
                + ComparedModel.options());
      }
    }
    List<String[]> rows = readPairs();
    if (only != null) {
      String split = only;
      rows.removeIf(row -> !row[4].equals(split));
    }
    long started = System.nanoTime();
    EmbeddingModel model = compared.create();
    model.embed("Load the model before the clock starts.");
    long loaded = System.nanoTime();
    Map<String, float[]> vectors = new HashMap<>();
    List<Pair> pairs = score(rows, model, FalseHitGuard.defaults(), vectors);
    double millisPerPrompt = (System.nanoTime() - loaded) / 1e6 / vectors.size();
    System.out.printf(Locale.ROOT, "model %s%n", model.name());
    System.out.print(report(pairs, only, details, at));
    System.out.printf(
        Locale.ROOT,
        "%nloaded %s in %.1f s; embedded %d distinct prompts, %.1f ms "
            + "each on average (wall clock, one thread; see EmbeddingBenchmark for steady state)%n",
        model.name(),
        (loaded - started) / 1e9,
        vectors.size(),
        millisPerPrompt);
  }

  /** The rows of {@link #PAIRS}: label, category, cached prompt, incoming prompt, split. */
  static List<String[]> readPairs() {
    InputStream in = SemanticCacheEvaluation.class.getResourceAsStream(PAIRS);
    if (in == null) {
      throw new IllegalStateException(PAIRS + " is not on the classpath");
    }
    List<String[]> rows = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String header = reader.readLine();
      if (!"label\tcategory\tcached_prompt\tincoming_prompt\tsplit".equals(header)) {
        throw new IllegalStateException(PAIRS + " has an unexpected header: " + header);
      }
      String line;
      int number = 1;
      while ((line = reader.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        String[] row = line.split("\t", -1);
        if (row.length != 5
            || !(row[0].equals("paraphrase") || row[0].equals("near_miss"))
            || !(row[4].equals("dev") || row[4].equals("holdout"))) {
          throw new IllegalStateException(PAIRS + " line " + number + " is malformed: " + line);
        }
        rows.add(row);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  /** Embeds both prompts of every row (each distinct prompt once) and asks the guard. */
  static List<Pair> score(
      List<String[]> rows,
      EmbeddingModel model,
      SemanticHitGuard guard,
      Map<String, float[]> vectors)
      throws IOException {
    List<Pair> pairs = new ArrayList<>(rows.size());
    for (String[] row : rows) {
      float[] a = embed(model, row[2], vectors);
      float[] b = embed(model, row[3], vectors);
      pairs.add(
          new Pair(
              row[0].equals("paraphrase"),
              row[1],
              row[2],
              row[3],
              row[4],
              cosine(a, b),
              guard.objection(row[2], row[3])));
    }
    return pairs;
  }

  /** {@code text}'s vector, embedded once and kept in {@code vectors}. */
  static float[] embed(EmbeddingModel model, String text, Map<String, float[]> vectors)
      throws IOException {
    float[] vector = vectors.get(text);
    if (vector == null) {
      vector = model.embed(text);
      vectors.put(text, vector);
    }
    return vector;
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  /** The smallest threshold of the sweep at which {@code pairs} meet both targets, or empty. */
  static Optional<Double> recommendedThreshold(List<Pair> pairs) {
    for (int t = FIRST_THRESHOLD_PERCENT; t <= LAST_THRESHOLD_PERCENT; t++) {
      if (Rates.of(pairs, t / 100.0).meetsTargets()) {
        return Optional.of(t / 100.0);
      }
    }
    return Optional.empty();
  }

  static String report(List<Pair> pairs, String only, boolean details, Double at) {
    StringBuilder out = new StringBuilder();
    Map<String, List<Pair>> sets = new LinkedHashMap<>();
    sets.put("all", pairs);
    for (String split : List.of("dev", "holdout")) {
      List<Pair> subset = filter(pairs, p -> p.split().equals(split));
      if (!subset.isEmpty() && only == null) {
        sets.put(split, subset);
      }
    }
    for (Map.Entry<String, List<Pair>> set : sets.entrySet()) {
      Rates total = Rates.of(set.getValue(), 0);
      out.append(
          String.format(
              Locale.ROOT,
              "%n== %s: %d paraphrases, %d near misses ==%n",
              set.getKey(),
              total.paraphrases(),
              total.nearMisses()));
      out.append(
          String.format(
              Locale.ROOT,
              "%9s %18s %18s %18s %18s%n",
              "threshold",
              "paraphrase hits",
              "false hits",
              "paraphrase hits",
              "false hits"));
      out.append(
          String.format(
              Locale.ROOT,
              "%9s %18s %18s %18s %18s%n",
              "",
              "(no guard)",
              "(no guard)",
              "(guard)",
              "(guard)"));
      for (int t = FIRST_THRESHOLD_PERCENT; t <= LAST_THRESHOLD_PERCENT; t++) {
        Rates r = Rates.of(set.getValue(), t / 100.0);
        out.append(
            String.format(
                Locale.ROOT,
                "%9.2f %9s %7.1f%% %9s %7.1f%% %9s %7.1f%% %9s " + "%7.1f%%%s%n",
                t / 100.0,
                r.paraphraseHits() + "/" + r.paraphrases(),
                r.paraphraseHitPercent(false),
                r.falseHits() + "/" + r.nearMisses(),
                r.falseHitPercent(false),
                r.guardedParaphraseHits() + "/" + r.paraphrases(),
                r.paraphraseHitPercent(true),
                r.guardedFalseHits() + "/" + r.nearMisses(),
                r.falseHitPercent(true),
                r.meetsTargets() ? "  meets targets" : ""));
      }
    }

    List<Pair> tuning = only == null ? filter(pairs, p -> p.split().equals("dev")) : pairs;
    Optional<Double> recommended = recommendedThreshold(tuning);
    double threshold = recommended.orElseGet(() -> bestEffort(tuning));
    out.append(
        String.format(
            Locale.ROOT,
            "%n== recommended threshold (chosen on %s): %s ==%n",
            only == null ? "dev" : only,
            recommended.isPresent()
                ? String.format(
                    Locale.ROOT,
                    "%.2f (smallest with guarded false hits <= %.0f%% and "
                        + "paraphrase hits >= %.0f%%)",
                    threshold,
                    MAX_FALSE_HITS_PERCENT,
                    MIN_PARAPHRASE_HITS_PERCENT)
                : String.format(
                    Locale.ROOT,
                    "none meets both targets; %.2f is the smallest with "
                        + "guarded false hits <= %.0f%%",
                    threshold,
                    MAX_FALSE_HITS_PERCENT)));
    for (Map.Entry<String, List<Pair>> set : sets.entrySet()) {
      Rates r = Rates.of(set.getValue(), threshold);
      out.append(
          String.format(
              Locale.ROOT,
              "summary %-8s threshold %.2f: paraphrase hits "
                  + "%.1f%% (no guard %.1f%%), false hits %.1f%% (no guard %.1f%%) -> %s%n",
              set.getKey(),
              threshold,
              r.paraphraseHitPercent(true),
              r.paraphraseHitPercent(false),
              r.falseHitPercent(true),
              r.falseHitPercent(false),
              r.meetsTargets() ? "targets met" : "targets MISSED"));
    }

    out.append(
        String.format(
            Locale.ROOT,
            "%nper category at %.2f (guard objections counted at " + "any similarity):%n",
            threshold));
    out.append(
        String.format(
            Locale.ROOT,
            "%-26s %5s %14s %14s %17s%n",
            "label/category",
            "pairs",
            "hits no guard",
            "hits guard",
            "guard objected"));
    Map<String, List<Pair>> byCategory = new LinkedHashMap<>();
    for (Pair pair : pairs) {
      String key = (pair.paraphrase() ? "paraphrase/" : "near_miss/") + pair.category();
      byCategory.computeIfAbsent(key, k -> new ArrayList<>()).add(pair);
    }
    byCategory.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            entry -> {
              List<Pair> list = entry.getValue();
              long plain = list.stream().filter(p -> p.hit(threshold, false)).count();
              long guarded = list.stream().filter(p -> p.hit(threshold, true)).count();
              long objected = list.stream().filter(p -> p.objection().isPresent()).count();
              out.append(
                  String.format(
                      Locale.ROOT,
                      "%-26s %5d %8d %4.0f%% %8d %4.0f%% %11d %4.0f%%%n",
                      entry.getKey(),
                      list.size(),
                      plain,
                      percent((int) plain, list.size()),
                      guarded,
                      percent((int) guarded, list.size()),
                      objected,
                      percent((int) objected, list.size())));
            });

    if (details) {
      double shown = at == null ? threshold : at;
      out.append(String.format(Locale.ROOT, "%nwrong at %.2f with the guard:%n", shown));
      for (Pair pair : pairs) {
        boolean hit = pair.hit(shown, true);
        if (hit != pair.paraphrase()) {
          out.append(
              String.format(
                  Locale.ROOT,
                  "%-7s %-10s %-12s cos %.3f guard %-10s %s | %s%n",
                  pair.split(),
                  pair.paraphrase() ? "missed" : "FALSE HIT",
                  pair.category(),
                  pair.cosine(),
                  pair.objection().orElse("-"),
                  pair.cached(),
                  pair.incoming()));
        }
      }
    }
    return out.toString();
  }

  /**
   * With no threshold meeting both targets, safety first: the smallest threshold with guarded false
   * hits within the target, else the one with the fewest.
   */
  static double bestEffort(List<Pair> pairs) {
    double best = LAST_THRESHOLD_PERCENT / 100.0;
    Rates bestRates = Rates.of(pairs, best);
    for (int t = FIRST_THRESHOLD_PERCENT; t <= LAST_THRESHOLD_PERCENT; t++) {
      Rates r = Rates.of(pairs, t / 100.0);
      if (r.falseHitPercent(true) <= MAX_FALSE_HITS_PERCENT) {
        return t / 100.0;
      }
      if (r.guardedFalseHits() < bestRates.guardedFalseHits()) {
        best = t / 100.0;
        bestRates = r;
      }
    }
    return best;
  }

  private static List<Pair> filter(List<Pair> pairs, Predicate<Pair> keep) {
    List<Pair> out = new ArrayList<>();
    for (Pair pair : pairs) {
      if (keep.test(pair)) {
        out.add(pair);
      }
    }
    return out;
  }

  private static double percent(int part, int whole) {
    return whole == 0 ? 0 : 100.0 * part / whole;
  }
}
