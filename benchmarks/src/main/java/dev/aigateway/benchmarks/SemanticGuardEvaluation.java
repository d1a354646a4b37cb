package dev.aigateway.benchmarks;

import dev.aigateway.api.SemanticHitGuard;
import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.core.cache.AlignmentGuard;
import dev.aigateway.core.cache.FalseHitGuard;
import dev.aigateway.core.cache.LearnedVerifier;
import dev.aigateway.core.cache.SemanticCache;
import dev.aigateway.core.cache.WordRelations;
import dev.aigateway.embeddings.onnx.MiniLmEmbeddingModel;
import dev.aigateway.testing.KeptEmbeddings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Measures the semantic cache's guards on the labelled sets of {@code semantic-eval/}
 * (docs/semantic-eval.md): the latest judged set {@code judged-4.tsv} (written blind, run once to
 * report), and the sets read while the guard was changed: {@code judged-3.tsv}, {@code
 * judged-2.tsv}, {@code judged.tsv} (earlier judged sets), {@code tuning.tsv} (generated from
 * templates) and {@code pairs.tsv}. Prompts are embedded with all-MiniLM-L6-v2; a pair is a hit
 * when its cosine similarity reaches the threshold and the guard does not object.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.SemanticGuardEvaluation \
 *     tune | report SET... [--details]
 * </pre>
 *
 * {@code tune} sweeps the word threshold, the stretch length and the similarity threshold on the
 * tuning sets and prints the ablation there; {@code report judged-4} (or any other set's name
 * without {@code .tsv}) prints, per setting (old guard, default, strict), paraphrase hits and false
 * hits per category with 95% Wilson intervals, the ablation, and the time per lookup (embedding and
 * guard, p50 / p99 / max). The settings include the optional {@link LearnedVerifier} (threshold
 * {@link LearnedVerifier#SIMILARITY_FLOOR}, the shipped model); {@link VerifierEvaluation} trains
 * and judges it leaving one set out.
 */
public final class SemanticGuardEvaluation {

  /** The strict setting documented in docs/semantic-eval.md: a higher similarity threshold. */
  static final double STRICT_THRESHOLD = 0.85;

  /** The strict setting's word threshold. */
  static final double STRICT_WORD_THRESHOLD = 0.90;

  /** One labelled pair with its cosine similarity. */
  record Pair(boolean paraphrase, String category, String cached, String incoming, double cosine) {}

  /** A named guard and threshold. */
  record Setting(String name, double threshold, SemanticHitGuard guard) {}

  private SemanticGuardEvaluation() {}

  /**
   * Runs the evaluation.
   *
   * @param args {@code tune}, or {@code report} and set names, optionally {@code --details}
   */
  public static void main(String[] args) throws IOException {
    if (args.length == 0) {
      throw new IllegalArgumentException("usage: tune | report SET... [--details]");
    }
    boolean details = List.of(args).contains("--details");
    EmbeddingModel raw = MiniLmEmbeddingModel.create();
    EmbeddingModel model = new Memo(raw);
    if (args[0].equals("tune")) {
      List<Pair> pairs = new ArrayList<>();
      pairs.addAll(score(read("tuning"), model));
      pairs.addAll(score(read("pairs"), model));
      tune(pairs, model);
      System.out.print(ablation(pairs, model, SemanticCache.DEFAULT_THRESHOLD));
      if (details) {
        System.out.print(wrong(pairs, defaultSetting(model)));
      }
      return;
    }
    for (int i = 1; i < args.length; i++) {
      if (args[i].startsWith("--")) {
        continue;
      }
      List<Pair> pairs = score(read(args[i]), model);
      System.out.printf(Locale.ROOT, "%n######## %s: %d pairs ########%n", args[i], pairs.size());
      for (Setting setting : settings(model)) {
        System.out.print(report(pairs, setting));
      }
      System.out.print(ablation(pairs, model, SemanticCache.DEFAULT_THRESHOLD));
      System.out.print(latency(pairs, model));
      System.out.print(lookupLatency(pairs, raw));
      if (details) {
        System.out.print(wrong(pairs, defaultSetting(model)));
      }
    }
  }

  static Setting defaultSetting(EmbeddingModel model) {
    return new Setting(
        "default", SemanticCache.DEFAULT_THRESHOLD, AlignmentGuard.builder(model).build());
  }

  static List<Setting> settings(EmbeddingModel model) {
    return List.of(
        new Setting("old guard (FalseHitGuard)", 0.78, FalseHitGuard.defaults()),
        defaultSetting(model),
        new Setting(
            "strict",
            STRICT_THRESHOLD,
            AlignmentGuard.builder(model)
                .wordThreshold(STRICT_WORD_THRESHOLD)
                .enable(AlignmentGuard.Check.ADDITION)
                .build()),
        new Setting(
            "learned verifier (option)",
            LearnedVerifier.SIMILARITY_FLOOR,
            LearnedVerifier.builder(model).build()));
  }

  /** The rows of {@code semantic-eval/NAME.tsv}. */
  static List<String[]> read(String name) {
    String resource = "/semantic-eval/" + name + ".tsv";
    InputStream in = SemanticGuardEvaluation.class.getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalArgumentException(resource + " is not on the classpath");
    }
    List<String[]> rows = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String header = reader.readLine();
      if (!"label\tcategory\tcached_prompt\tincoming_prompt\tsplit".equals(header)) {
        throw new IllegalStateException(resource + " has an unexpected header: " + header);
      }
      String line;
      while ((line = reader.readLine()) != null) {
        if (!line.isBlank()) {
          String[] row = line.split("\t", -1);
          if (row.length != 5) {
            throw new IllegalStateException(resource + " has a malformed line: " + line);
          }
          rows.add(row);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  static List<Pair> score(List<String[]> rows, EmbeddingModel model) throws IOException {
    List<Pair> pairs = new ArrayList<>();
    for (String[] row : rows) {
      pairs.add(
          new Pair(
              row[0].equals("paraphrase"),
              row[1],
              row[2],
              row[3],
              SemanticCacheEvaluation.cosine(model.embed(row[2]), model.embed(row[3]))));
    }
    return pairs;
  }

  /** Hit counts of one setting. */
  record Counts(int paraphrases, int paraphraseHits, int nearMisses, int falseHits) {
    static Counts of(List<Pair> pairs, double threshold, SemanticHitGuard guard) {
      int p = 0;
      int ph = 0;
      int n = 0;
      int fh = 0;
      for (Pair pair : pairs) {
        boolean hit =
            pair.cosine() >= threshold && guard.objection(pair.cached(), pair.incoming()).isEmpty();
        if (pair.paraphrase()) {
          p++;
          ph += hit ? 1 : 0;
        } else {
          n++;
          fh += hit ? 1 : 0;
        }
      }
      return new Counts(p, ph, n, fh);
    }

    String describe() {
      return String.format(
          Locale.ROOT,
          "paraphrase hits %3d/%-3d %5.1f%% %-15s false hits %3d/%-3d %5.1f%% %s",
          paraphraseHits,
          paraphrases,
          percent(paraphraseHits, paraphrases),
          wilson(paraphraseHits, paraphrases),
          falseHits,
          nearMisses,
          percent(falseHits, nearMisses),
          wilson(falseHits, nearMisses));
    }
  }

  private static void tune(List<Pair> pairs, EmbeddingModel model) {
    System.out.println("== tuning: tuning.tsv + pairs.tsv, " + pairs.size() + " pairs ==");
    for (int replaced = 1; replaced <= 3; replaced++) {
      for (int w = 60; w <= 100; w += 5) {
        AlignmentGuard guard =
            AlignmentGuard.builder(model)
                .wordThreshold(Math.min(1.0, w / 100.0))
                .maxReplacedWords(replaced)
                .build();
        for (int t = 70; t <= 90; t += 2) {
          Counts c = Counts.of(pairs, t / 100.0, guard);
          System.out.printf(
              Locale.ROOT,
              "replaced %d word %.2f threshold %.2f  %s%n",
              replaced,
              w / 100.0,
              t / 100.0,
              c.describe());
        }
      }
    }
  }

  static String ablation(List<Pair> pairs, EmbeddingModel model, double threshold) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%n== ablation at threshold %.2f ==%n", threshold));
    Map<String, SemanticHitGuard> guards = new LinkedHashMap<>();
    guards.put("no guard", SemanticHitGuard.NONE);
    guards.put("old guard (FalseHitGuard)", FalseHitGuard.defaults());
    guards.put("default (AlignmentGuard)", AlignmentGuard.builder(model).build());
    guards.put(
        "alignment checks only (no base)",
        AlignmentGuard.builder(model).base(SemanticHitGuard.NONE).build());
    for (AlignmentGuard.Check check : AlignmentGuard.Check.values()) {
      if (check == AlignmentGuard.Check.ADDITION) {
        guards.put("default + addition", AlignmentGuard.builder(model).enable(check).build());
      } else {
        guards.put(
            "default - " + check.name().toLowerCase(Locale.ROOT),
            AlignmentGuard.builder(model).disable(check).build());
      }
    }
    guards.put(
        "default - WordNet relations",
        AlignmentGuard.builder(model).wordRelations(WordRelations.NONE).build());
    guards.put(
        "default, 1-word stretches", AlignmentGuard.builder(model).maxReplacedWords(1).build());
    guards.put(
        "default - base intent check",
        AlignmentGuard.builder(model)
            .base(FalseHitGuard.builder().disable(FalseHitGuard.Check.INTENT).build())
            .build());
    for (Map.Entry<String, SemanticHitGuard> entry : guards.entrySet()) {
      out.append(
          String.format(
              Locale.ROOT,
              "%-34s %s%n",
              entry.getKey(),
              Counts.of(pairs, threshold, entry.getValue()).describe()));
    }
    return out.toString();
  }

  static String report(List<Pair> pairs, Setting setting) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "%n== %s, threshold %.2f ==%n%s%n",
            setting.name(),
            setting.threshold(),
            Counts.of(pairs, setting.threshold(), setting.guard()).describe()));
    Map<String, List<Pair>> byCategory = new TreeMap<>();
    for (Pair pair : pairs) {
      String key = (pair.paraphrase() ? "paraphrase/" : "near_miss/") + pair.category();
      byCategory.computeIfAbsent(key, k -> new ArrayList<>()).add(pair);
    }
    for (Map.Entry<String, List<Pair>> entry : byCategory.entrySet()) {
      Counts c = Counts.of(entry.getValue(), setting.threshold(), setting.guard());
      int hits = c.paraphraseHits() + c.falseHits();
      int total = entry.getValue().size();
      out.append(
          String.format(
              Locale.ROOT,
              "  %-32s %3d/%-3d hits %5.1f%% %s%n",
              entry.getKey(),
              hits,
              total,
              percent(hits, total),
              wilson(hits, total)));
    }
    return out.toString();
  }

  static String latency(List<Pair> pairs, EmbeddingModel model) {
    AlignmentGuard cold = AlignmentGuard.builder(model).build();
    long started = System.nanoTime();
    for (Pair pair : pairs) {
      cold.objection(pair.cached(), pair.incoming());
    }
    double firstMicros = (System.nanoTime() - started) / 1e3 / pairs.size();
    long warm = System.nanoTime();
    int rounds = 20;
    for (int r = 0; r < rounds; r++) {
      for (Pair pair : pairs) {
        cold.objection(pair.cached(), pair.incoming());
      }
    }
    double warmMicros = (System.nanoTime() - warm) / 1e3 / pairs.size() / rounds;
    return String.format(
        Locale.ROOT,
        "%n== guard time per pair: %.0f µs with single-word embeddings already cached by the"
            + " evaluation's memo, %.1f µs warm (own word cache filled) ==%n",
        firstMicros,
        warmMicros);
  }

  /**
   * Per-lookup latency with the guard on, over the set's pairs: the incoming prompt embedded by the
   * model itself (no memo) plus the default guard, with a fresh guard whose word cache starts empty
   * (first pass: every new word embedded on the calling thread) and then warm. Percentiles over the
   * pairs, in milliseconds.
   */
  static String lookupLatency(List<Pair> pairs, EmbeddingModel model) throws IOException {
    AlignmentGuard guard = AlignmentGuard.builder(model).build();
    long[] coldGuard = new long[pairs.size()];
    long[] embed = new long[pairs.size()];
    for (int i = 0; i < pairs.size(); i++) {
      Pair pair = pairs.get(i);
      long t0 = System.nanoTime();
      model.embed(pair.incoming());
      long t1 = System.nanoTime();
      guard.objection(pair.cached(), pair.incoming());
      long t2 = System.nanoTime();
      embed[i] = t1 - t0;
      coldGuard[i] = t2 - t1;
    }
    long[] warmGuard = new long[pairs.size()];
    long[] lookup = new long[pairs.size()];
    for (int i = 0; i < pairs.size(); i++) {
      Pair pair = pairs.get(i);
      long t0 = System.nanoTime();
      guard.objection(pair.cached(), pair.incoming());
      warmGuard[i] = System.nanoTime() - t0;
      lookup[i] = embed[i] + warmGuard[i];
    }
    return String.format(
        Locale.ROOT,
        "%n== per lookup, ms (p50 / p99 / max over %d pairs) ==%n"
            + "prompt embedding            %s%n"
            + "guard, cold word cache      %s%n"
            + "guard, warm word cache      %s%n"
            + "embedding + warm guard      %s%n",
        pairs.size(),
        percentiles(embed),
        percentiles(coldGuard),
        percentiles(warmGuard),
        percentiles(lookup));
  }

  static String percentiles(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return String.format(
        Locale.ROOT,
        "%7.2f / %7.2f / %7.2f",
        sorted[(int) Math.floor(0.50 * (sorted.length - 1))] / 1e6,
        sorted[(int) Math.floor(0.99 * (sorted.length - 1))] / 1e6,
        sorted[sorted.length - 1] / 1e6);
  }

  static String wrong(List<Pair> pairs, Setting setting) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%n== wrong with %s ==%n", setting.name()));
    for (Pair pair : pairs) {
      Optional<String> objection = setting.guard().objection(pair.cached(), pair.incoming());
      boolean hit = pair.cosine() >= setting.threshold() && objection.isEmpty();
      if (hit != pair.paraphrase()) {
        out.append(
            String.format(
                Locale.ROOT,
                "%-9s %-20s cos %.3f %-12s %s | %s%n",
                pair.paraphrase() ? "missed" : "FALSE HIT",
                pair.category(),
                pair.cosine(),
                objection.orElse("-"),
                pair.cached(),
                pair.incoming()));
      }
    }
    return out.toString();
  }

  /** The 95% Wilson score interval of {@code k} successes in {@code n}, in percent. */
  static String wilson(int k, int n) {
    if (n == 0) {
      return "[-]";
    }
    double z = 1.959964;
    double p = (double) k / n;
    double denominator = 1 + z * z / n;
    double centre = (p + z * z / (2.0 * n)) / denominator;
    double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denominator;
    return String.format(
        Locale.ROOT,
        "[%.1f, %.1f]",
        100 * Math.max(0, centre - half),
        100 * Math.min(1, centre + half));
  }

  private static double percent(int part, int whole) {
    return whole == 0 ? 0 : 100.0 * part / whole;
  }

  /** Embeds each distinct text once (prompts and single words recur across settings). */
  static final class Memo implements EmbeddingModel {
    private final EmbeddingModel model;
    private final Map<String, float[]> vectors = new ConcurrentHashMap<>();

    Memo(EmbeddingModel model) {
      this.model = model;
    }

    @Override
    public int charactersRead(String text) throws IOException {
      return model.charactersRead(text);
    }

    /**
     * Reads vectors kept by {@link #save} (one text and its numbers a line, tab-separated) so a
     * later run of an evaluation embeds only the texts it has not seen; nothing when the file does
     * not exist.
     */
    void load(java.nio.file.Path file) throws IOException {
      if (!java.nio.file.Files.exists(file)) {
        return;
      }
      for (String line : java.nio.file.Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String[] c = line.split("\t", -1);
        float[] v = new float[c.length - 1];
        for (int j = 0; j < v.length; j++) {
          v[j] = Float.parseFloat(c[j + 1]);
        }
        vectors.put(c[0], v);
      }
    }

    /**
     * Reads the vectors of {@code model} an earlier test JVM kept with the same code ({@link
     * KeptEmbeddings}; nothing when there are none, or a sample of them is not what the model gives
     * now).
     */
    void readKept(String fingerprint) throws IOException {
      vectors.putAll(
          KeptEmbeddings.read(KeptEmbeddings.file(model.name()), fingerprint, model::embed));
    }

    /** Keeps every vector computed or read so far for the next test JVM ({@link #readKept}). */
    void writeKept(String fingerprint) throws IOException {
      KeptEmbeddings.write(KeptEmbeddings.file(model.name()), fingerprint, vectors);
    }

    /** Writes every vector computed or read so far to {@code file}, for {@link #load}. */
    void save(java.nio.file.Path file) throws IOException {
      StringBuilder out = new StringBuilder();
      for (Map.Entry<String, float[]> e : vectors.entrySet()) {
        if (e.getKey().contains("\t") || e.getKey().contains("\n") || e.getKey().contains("\r")) {
          continue; // not representable in one line; embedded again on the next run
        }
        out.append(e.getKey());
        for (float f : e.getValue()) {
          out.append('\t').append(f);
        }
        out.append('\n');
      }
      java.nio.file.Files.writeString(file, out, StandardCharsets.UTF_8);
    }

    @Override
    public float[] embed(String text) throws IOException {
      float[] vector = vectors.get(text);
      if (vector == null) {
        vector = model.embed(text);
        vectors.put(text, vector);
      }
      return vector;
    }

    @Override
    public String name() {
      return model.name();
    }
  }
}
