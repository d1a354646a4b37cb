package dev.aigateway.benchmarks;

import dev.aigateway.api.SemanticHitGuard;
import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.core.cache.AlignmentGuard;
import dev.aigateway.core.cache.LearnedVerifier;
import dev.aigateway.core.cache.SemanticCache;
import dev.aigateway.core.cache.TokenVectorModel;
import dev.aigateway.core.cache.VerifierModel;
import dev.aigateway.embeddings.onnx.MiniLmEmbeddingModel;
import dev.aigateway.testing.KeptEmbeddings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Leave-one-set-out (LOSO) evaluation and training of {@link LearnedVerifier} on the labelled sets
 * of {@code semantic-eval/} (docs/semantic-eval.md). The nine sets were written by different
 * writers and methods, so training on eight and reporting the ninth is the closest thing to an
 * unseen set that can be computed from them.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.VerifierEvaluation \
 *     loso [--context] [--features FILE] [--embeddings FILE]
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.VerifierEvaluation \
 *     train OUT [--features FILE]
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.VerifierEvaluation \
 *     latency SET [--features FILE]
 * </pre>
 *
 * {@code loso} prints, for the chosen configuration, each held-out set's paraphrases and near
 * misses served (95% Wilson intervals), pooled and worst figures, under two ways of choosing the
 * decision threshold: <em>nested</em> (each fold picks its threshold by an inner leave-one-set-out
 * on its own eight training sets, so the held-out set plays no part at all) and <em>pooled</em>
 * (one threshold picked on all the folds' held-out probabilities, the way the shipped threshold is
 * chosen); then (unless {@code --report-only}) the {@code in_context} group added back, the
 * leak-free figures (without the rule guard's objection), the ablation (each feature group left
 * out) and the rule guard's figures on the same sets. The features of every pair are computed with
 * {@link OneRun}, which reads each prompt's words in context in the run that embeds it, on {@value
 * #FEATURE_THREADS} threads. {@code train} fits the model on all nine sets with the configuration
 * and the pooled LOSO threshold and writes it to OUT (the shipped resource is {@code
 * ai-gateway-core/src/main/resources/dev/aigateway/core/cache/learned-verifier.tsv}); {@code
 * latency SET} times the rule guard and the shipped verifier on SET's pairs. Training is
 * deterministic (Newton's method, no random start), so the same sets give the same weights. {@code
 * --embeddings FILE} keeps every text's embedding in FILE (read back on a later run, so a run after
 * a change of the features embeds only new texts); {@code --dump FILE} writes each pair with its
 * held-out probability. {@code --features FILE} keeps the computed features in FILE and reads them
 * back on a later run while the feature code is unchanged (delete it after changing the features).
 */
public final class VerifierEvaluation {

  /** The sets, in the order they were written. */
  static final List<String> SETS =
      List.of(
          "pairs",
          "tuning",
          "judged",
          "judged-2",
          "judged-3",
          "judged-4",
          "judged-5",
          "judged-6",
          "judged-7");

  /** The bound on near misses served, as a share. */
  static final double MAX_FALSE_HIT_SHARE = 0.005;

  /** The configuration chosen by the LOSO figures (docs/semantic-eval.md). */
  static final Config CHOSEN =
      new Config(0.70, 300.0, 1.0, Set.of("context", "in_context"), false, 0);

  /** The depth of each boosted tree. */
  static final int TREE_DEPTH = 3;

  /** The fewest pairs in a leaf of a boosted tree. */
  static final int TREE_MIN_LEAF = 20;

  /** The shrinkage of each boosted tree. */
  static final double TREE_RATE = 0.1;

  /** One labelled pair with its features. */
  record Row(
      String set,
      boolean paraphrase,
      String category,
      String cached,
      String incoming,
      double cosine,
      double[] features) {}

  /**
   * How a model is trained: pairs under the cosine {@code floor} are misses without asking the
   * model (and are not trained on), {@code l2} is the ridge penalty, {@code nearMissWeight} the
   * weight of a near miss in the loss, {@code dropped} the feature groups left out; with {@code
   * guardFirst} a pair the rule guard objects to is refused before the model is asked (the verifier
   * beside the guard rather than instead of it).
   */
  record Config(
      double floor,
      double l2,
      double nearMissWeight,
      Set<String> dropped,
      boolean guardFirst,
      int trees) {
    Config without(String group) {
      Set<String> more = new java.util.HashSet<>(dropped);
      more.add(group);
      return new Config(floor, l2, nearMissWeight, Set.copyOf(more), guardFirst, trees);
    }

    Config guardFirst(boolean on) {
      return new Config(floor, l2, nearMissWeight, dropped, on, trees);
    }

    Config trees(int rounds) {
      return new Config(floor, l2, nearMissWeight, dropped, guardFirst, rounds);
    }

    boolean[] kept() {
      List<String> groups = LearnedVerifier.featureGroups();
      boolean[] kept = new boolean[groups.size()];
      for (int j = 0; j < kept.length; j++) {
        kept[j] = !dropped.contains(groups.get(j));
      }
      return kept;
    }
  }

  /** Served counts on one set. */
  record Counts(int paraphrases, int paraphraseHits, int nearMisses, int falseHits) {
    Counts plus(Counts o) {
      return new Counts(
          paraphrases + o.paraphrases,
          paraphraseHits + o.paraphraseHits,
          nearMisses + o.nearMisses,
          falseHits + o.falseHits);
    }

    double paraphraseShare() {
      return paraphrases == 0 ? 0 : (double) paraphraseHits / paraphrases;
    }

    double falseHitShare() {
      return nearMisses == 0 ? 0 : (double) falseHits / nearMisses;
    }

    String describe() {
      return String.format(
          Locale.ROOT,
          "paraphrases %4d/%-4d %5.1f%% %-14s near misses %3d/%-4d %5.2f%% %s",
          paraphraseHits,
          paraphrases,
          100 * paraphraseShare(),
          SemanticGuardEvaluation.wilson(paraphraseHits, paraphrases),
          falseHits,
          nearMisses,
          100 * falseHitShare(),
          SemanticGuardEvaluation.wilson(falseHits, nearMisses));
    }
  }

  private VerifierEvaluation() {}

  /**
   * Runs the evaluation.
   *
   * @param args {@code loso} or {@code train OUT}, optionally {@code --context} and {@code
   *     --features FILE}
   */
  public static void main(String[] args) throws IOException {
    List<String> list = List.of(args);
    if (list.isEmpty()) {
      throw new IllegalArgumentException("usage: loso | train OUT [--context] [--features FILE]");
    }
    boolean context = list.contains("--context");
    int at = list.indexOf("--features");
    Path cache = at >= 0 ? Path.of(list.get(at + 1)) : null;
    int e = list.indexOf("--embeddings");
    Path embeddings = e >= 0 ? Path.of(list.get(e + 1)) : null;
    long started = System.nanoTime();
    // the loso report measures the in_context group even though the chosen model leaves it out
    boolean inContext = list.get(0).equals("loso") || !CHOSEN.dropped().contains("in_context");
    List<Row> rows = rows(SETS, context, inContext, cache, embeddings);
    System.out.printf(
        Locale.ROOT,
        "%d pairs, features computed or read in %.0f s%n",
        rows.size(),
        (System.nanoTime() - started) / 1e9);
    if (list.get(0).equals("latency")) {
      System.out.print(latency(rows, list.get(1)));
      return;
    }
    if (list.get(0).equals("train")) {
      VerifierModel model = train(rows, CHOSEN);
      Files.writeString(
          Path.of(list.get(1)),
          "# LearnedVerifier weights: VerifierEvaluation train, on "
              + String.join(", ", SETS)
              + "; config "
              + CHOSEN
              + "\n"
              + model.format(),
          StandardCharsets.UTF_8);
      System.out.println("wrote " + list.get(1) + ": " + model);
      return;
    }
    System.out.print(report(rows, CHOSEN, true));
    System.out.print(categories(rows, CHOSEN, SETS.get(SETS.size() - 1)));
    int dump = list.indexOf("--dump");
    if (dump >= 0) {
      dump(rows, CHOSEN, Path.of(list.get(dump + 1)));
    }
    if (list.contains("--report-only")) {
      return;
    }
    System.out.printf(
        Locale.ROOT,
        "%n-- with the group added in the third round (in_context) --%n%s",
        summary(rows, withGroup(CHOSEN, "in_context")));
    System.out.printf(
        Locale.ROOT,
        "%n-- leak-free: without guard --%n%s",
        summary(rows, CHOSEN.without("guard")));
    System.out.printf(
        Locale.ROOT,
        "%n-- leak-free, without guard, with in_context --%n%s",
        summary(rows, withGroup(CHOSEN, "in_context").without("guard")));
    System.out.print(curve(rows, CHOSEN, 0.005, 0.01, 0.02, 0.05));
    System.out.printf(
        Locale.ROOT,
        "%n-- rule guard first, then the verifier --%n%s",
        summary(rows, CHOSEN.guardFirst(true)));
    for (String group : LearnedVerifier.featureGroups().stream().distinct().toList()) {
      System.out.printf(
          Locale.ROOT, "%n-- without %s --%n%s", group, summary(rows, CHOSEN.without(group)));
    }
    System.out.printf(
        Locale.ROOT,
        "%n-- only guard + cosine --%n%s",
        summary(rows, onlyGroups("guard", "cosine")));
    System.out.printf(
        Locale.ROOT,
        "%n-- everything but guard + context --%n%s",
        summary(rows, CHOSEN.without("guard").without("context")));
    for (int rounds : list.contains("--trees") ? new int[] {50, 150, 300} : new int[0]) {
      for (double w : new double[] {1, 3}) {
        Config c = new Config(CHOSEN.floor(), 1, w, Set.of(), false, rounds);
        System.out.printf(
            Locale.ROOT,
            "%n-- %d boosted trees, near-miss weight %.0f --%n%s",
            rounds,
            w,
            summary(rows, c));
        System.out.printf(Locale.ROOT, "   without guard:%n%s", summary(rows, c.without("guard")));
      }
    }
    for (double l2 : new double[] {30, 100, 1000}) {
      Config c =
          new Config(CHOSEN.floor(), l2, CHOSEN.nearMissWeight(), CHOSEN.dropped(), false, 0);
      System.out.printf(Locale.ROOT, "%n-- l2 %.0f --%n%s", l2, summary(rows, c));
    }
    if (list.contains("--sweep")) {
      for (double floor : new double[] {0.60, 0.65, 0.70, 0.78}) {
        for (double l2 : new double[] {1, 10, 30, 100}) {
          for (double w : new double[] {1, 3, 10}) {
            Config c = new Config(floor, l2, w, CHOSEN.dropped(), CHOSEN.guardFirst(), 0);
            System.out.printf(
                Locale.ROOT,
                "%n-- floor %.2f l2 %.1f near-miss weight %.0f --%n%s",
                floor,
                l2,
                w,
                summary(rows, c));
          }
        }
      }
    }
    System.out.print(ruleGuards(rows));
  }

  private static Config withGroup(Config config, String group) {
    Set<String> dropped = new java.util.HashSet<>(config.dropped());
    dropped.remove(group);
    return new Config(
        config.floor(),
        config.l2(),
        config.nearMissWeight(),
        Set.copyOf(dropped),
        config.guardFirst(),
        config.trees());
  }

  private static Config onlyGroups(String... groups) {
    Set<String> dropped = new java.util.HashSet<>(LearnedVerifier.featureGroups());
    dropped.removeAll(List.of(groups));
    return new Config(
        CHOSEN.floor(), CHOSEN.l2(), CHOSEN.nearMissWeight(), Set.copyOf(dropped), false, 0);
  }

  /**
   * The labelled pairs of {@code sets} with the features {@link #CHOSEN} reads (the {@code
   * in_context} group at zero when it drops it), for this run only; the prompts' embeddings are
   * read from, and kept for, other test JVMs ({@link KeptEmbeddings}: the embeddings module's
   * JudgedSetRegressionTest embeds most of these prompts with the same model and code).
   */
  static List<Row> rows(List<String> sets) throws IOException {
    return rows(sets, false, !CHOSEN.dropped().contains("in_context"), null, null, true);
  }

  /**
   * A fingerprint of the code that embeds a text with all-MiniLM-L6-v2 ({@link
   * KeptEmbeddings#fingerprint}), the same as the embeddings module's JudgedSetRegressionTest
   * computes, so that each reads the vectors the other kept.
   */
  static String embeddingCode() throws IOException {
    return KeptEmbeddings.fingerprint(
        List.of(MiniLmEmbeddingModel.class),
        List.of(
            dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel.class,
            dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder.class,
            ai.onnxruntime.OrtSession.class,
            ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.class));
  }

  /**
   * The labelled pairs of {@code sets} with their features (read from / kept in {@code cache}); the
   * texts' embeddings read from / kept in {@code embeddings} (null: for this run only), so a run
   * after a change of the features embeds only the texts not seen before. With {@code inContext}
   * each prompt's words are read in context ({@link OneRun}); without, those features stay at zero
   * and the prompts are embedded as the semantic cache embeds them.
   */
  static List<Row> rows(
      List<String> sets, boolean context, boolean inContext, Path cache, Path embeddings)
      throws IOException {
    return rows(sets, context, inContext, cache, embeddings, false);
  }

  /**
   * {@link #rows(List, boolean, boolean, Path, Path)}, with {@code kept}: the prompts' embeddings
   * read from and kept for other test JVMs ({@link KeptEmbeddings}) when they are the plain model's
   * (not read in context, whose embeddings come from another run of the model).
   */
  static List<Row> rows(
      List<String> sets,
      boolean context,
      boolean inContext,
      Path cache,
      Path embeddings,
      boolean kept)
      throws IOException {
    if (cache != null && Files.exists(cache)) {
      return readRows(cache);
    }
    OneRun once = inContext ? new OneRun() : null;
    SemanticGuardEvaluation.Memo model =
        new SemanticGuardEvaluation.Memo(inContext ? once : MiniLmEmbeddingModel.create());
    if (embeddings != null) {
      model.load(embeddings);
    }
    boolean keep = kept && !inContext;
    if (keep) {
      model.readKept(embeddingCode());
    }
    LearnedVerifier.Builder builder = LearnedVerifier.builder(model).context(context);
    LearnedVerifier extractor = inContext ? builder.tokenVectors(once).build() : builder.build();
    List<String> setOf = new ArrayList<>();
    List<String[]> pairs = new ArrayList<>();
    for (String set : sets) {
      for (String[] row : SemanticGuardEvaluation.read(set)) {
        setOf.add(set);
        pairs.add(row);
      }
    }
    // the pairs on two threads (the model, the guard and the features are thread-safe; each pair's
    // features do not depend on the order), kept in the order of the sets
    Row[] computed = new Row[pairs.size()];
    java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(FEATURE_THREADS);
    try {
      pool.submit(
              () ->
                  java.util.stream.IntStream.range(0, computed.length)
                      .parallel()
                      .forEach(
                          i -> computed[i] = row(setOf.get(i), pairs.get(i), model, extractor)))
          .get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while computing the features", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("could not compute the features", e.getCause());
    } finally {
      pool.shutdown();
    }
    List<Row> rows = List.of(computed);
    if (cache != null) {
      writeRows(cache, rows);
    }
    if (embeddings != null) {
      model.save(embeddings);
    }
    if (keep) {
      model.writeKept(embeddingCode());
    }
    return rows;
  }

  /**
   * all-MiniLM-L6-v2 embedding a text and reading its words in context in one run of the model
   * ({@link MiniLmEmbeddingModel#embedWithWords}), so that computing the features embeds each
   * prompt once, not twice: the words of the last {@value #RECENT} texts embedded are kept for the
   * {@link #wordVectors} call that follows. A text too long for one run is embedded by {@link
   * MiniLmEmbeddingModel#embed}.
   */
  static final class OneRun implements EmbeddingModel, TokenVectorModel {
    static final int RECENT = 256;

    private final MiniLmEmbeddingModel model = MiniLmEmbeddingModel.create();
    private final Map<String, WordVectors> recent =
        java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(RECENT * 2, 0.75f, true) {
              @Override
              protected boolean removeEldestEntry(Map.Entry<String, WordVectors> eldest) {
                return size() > RECENT;
              }
            });

    @Override
    public float[] embed(String text) throws IOException {
      MiniLmEmbeddingModel.EmbeddedWords run = model.embedWithWords(text);
      recent.put(text, run.words());
      return run.embedding() != null ? run.embedding() : model.embed(text);
    }

    @Override
    public int charactersRead(String text) throws IOException {
      return model.charactersRead(text);
    }

    @Override
    public WordVectors wordVectors(String text) throws IOException {
      WordVectors kept = recent.get(text);
      return kept != null ? kept : model.wordVectors(text);
    }

    @Override
    public String name() {
      return model.name();
    }
  }

  /** How many threads compute the features of the pairs. */
  static final int FEATURE_THREADS = 2;

  private static Row row(
      String set, String[] row, EmbeddingModel model, LearnedVerifier extractor) {
    double cosine;
    try {
      cosine = SemanticCacheEvaluation.cosine(model.embed(row[2]), model.embed(row[3]));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new Row(
        set,
        row[0].equals("paraphrase"),
        row[1],
        row[2],
        row[3],
        cosine,
        extractor.features(row[2], row[3], cosine));
  }

  private static void writeRows(Path file, List<Row> rows) throws IOException {
    StringBuilder out = new StringBuilder();
    for (Row r : rows) {
      out.append(r.set())
          .append('\t')
          .append(r.paraphrase())
          .append('\t')
          .append(r.category())
          .append('\t')
          .append(r.cached())
          .append('\t')
          .append(r.incoming())
          .append('\t')
          .append(r.cosine());
      for (double f : r.features()) {
        out.append('\t').append(f);
      }
      out.append('\n');
    }
    Files.writeString(file, out, StandardCharsets.UTF_8);
  }

  private static List<Row> readRows(Path file) throws IOException {
    List<Row> rows = new ArrayList<>();
    int d = LearnedVerifier.featureNames().size();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String[] c = line.split("\t", -1);
      if (c.length != 6 + d) {
        throw new IllegalStateException(file + " was written with other features; delete it");
      }
      double[] f = new double[d];
      for (int j = 0; j < d; j++) {
        f[j] = Double.parseDouble(c[6 + j]);
      }
      rows.add(
          new Row(c[0], Boolean.parseBoolean(c[1]), c[2], c[3], c[4], Double.parseDouble(c[5]), f));
    }
    return rows;
  }

  /**
   * Per-pair time of the rule guard, of the shipped verifier and of a verifier whose model reads
   * words in context, over the pairs of {@code set}, side by side in one run, with the model itself
   * (no memo): the prompt embedding for scale, then each check with its caches empty (first pass)
   * and warm (second pass). The in-context model is trained here on {@code rows}, which must carry
   * those features.
   */
  static String latency(List<Row> rows, String set) throws IOException {
    EmbeddingModel model = MiniLmEmbeddingModel.create();
    AlignmentGuard guard = AlignmentGuard.builder(model).build();
    LearnedVerifier verifier = LearnedVerifier.builder(model).build();
    // a model that reads words in context (trained on rows that carry those features)
    LearnedVerifier inContext =
        LearnedVerifier.builder(model).model(train(rows, withGroup(CHOSEN, "in_context"))).build();
    List<Row> pairs = rows.stream().filter(r -> r.set().equals(set)).toList();
    int n = pairs.size();
    long[] embed = new long[n];
    long[][] guardTimes = new long[2][n];
    long[][] verifierTimes = new long[2][n];
    long[][] inContextTimes = new long[2][n];
    for (int pass = 0; pass < 2; pass++) {
      for (int i = 0; i < n; i++) {
        Row r = pairs.get(i);
        long t0 = System.nanoTime();
        if (pass == 0) {
          model.embed(r.incoming());
        }
        long t1 = System.nanoTime();
        guard.objection(r.cached(), r.incoming());
        long t2 = System.nanoTime();
        verifier.objection(r.cached(), r.incoming(), r.cosine());
        long t3 = System.nanoTime();
        inContext.objection(r.cached(), r.incoming(), r.cosine());
        long t4 = System.nanoTime();
        if (pass == 0) {
          embed[i] = t1 - t0;
        }
        guardTimes[pass][i] = t2 - t1;
        verifierTimes[pass][i] = t3 - t2;
        inContextTimes[pass][i] = t4 - t3;
      }
    }
    return String.format(
        Locale.ROOT,
        "%n== per checked pair, ms (p50 / p99 / max over %d pairs of %s) ==%n"
            + "prompt embedding              %s%n"
            + "rule guard, cold word cache   %s%n"
            + "verifier, cold word cache     %s%n"
            + "verifier reading words in context, cold   %s%n"
            + "rule guard, warm              %s%n"
            + "verifier (with its rule guard), warm %s%n"
            + "verifier reading words in context, warm   %s%n",
        n,
        set,
        SemanticGuardEvaluation.percentiles(embed),
        SemanticGuardEvaluation.percentiles(guardTimes[0]),
        SemanticGuardEvaluation.percentiles(verifierTimes[0]),
        SemanticGuardEvaluation.percentiles(inContextTimes[0]),
        SemanticGuardEvaluation.percentiles(guardTimes[1]),
        SemanticGuardEvaluation.percentiles(verifierTimes[1]),
        SemanticGuardEvaluation.percentiles(inContextTimes[1]));
  }

  /** A model trained on all {@code rows} with the pooled LOSO threshold. */
  static VerifierModel train(List<Row> rows, Config config) {
    double[] heldOut = loso(rows, config);
    double threshold = threshold(rows, heldOut, config.floor());
    return fit(rows, config, null).withThreshold(threshold);
  }

  /** A model fitted on the rows of sets other than {@code left} (null: all) above the floor. */
  static VerifierModel fit(List<Row> rows, Config config, Set<String> left) {
    List<double[]> x = new ArrayList<>();
    List<Boolean> y = new ArrayList<>();
    for (Row r : rows) {
      if ((left == null || !left.contains(r.set())) && r.cosine() >= config.floor()) {
        x.add(r.features());
        y.add(r.paraphrase());
      }
    }
    boolean[] labels = new boolean[y.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = y.get(i);
    }
    if (config.trees() > 0) {
      return VerifierModel.trainTrees(
          x,
          labels,
          config.trees(),
          TREE_DEPTH,
          TREE_MIN_LEAF,
          TREE_RATE,
          config.nearMissWeight(),
          0.5,
          config.kept());
    }
    return VerifierModel.train(x, labels, config.l2(), config.nearMissWeight(), 0.5, config.kept());
  }

  /**
   * Each row's probability from the model trained on the other sets of {@code rows} (NaN under the
   * floor: never served).
   */
  static double[] loso(List<Row> rows, Config config) {
    double[] p = new double[rows.size()];
    Arrays.fill(p, Double.NaN);
    for (String set : setsOf(rows)) {
      VerifierModel model = fit(rows, config, Set.of(set));
      for (int i = 0; i < rows.size(); i++) {
        Row r = rows.get(i);
        if (r.set().equals(set)
            && r.cosine() >= config.floor()
            && !(config.guardFirst() && objected(r))) {
          p[i] = model.probability(r.features());
        }
      }
    }
    return p;
  }

  /** Whether the rule guard objected to the pair (its feature {@code guard_objects}). */
  static boolean objected(Row r) {
    return r.features()[LearnedVerifier.featureNames().indexOf("guard_objects")] != 0;
  }

  /**
   * Paraphrases served, pooled over the held-out sets, at the threshold that keeps the pooled near
   * misses served within each budget (shares of the near misses).
   */
  static String curve(List<Row> rows, Config config, double... budgets) {
    double[] p = loso(rows, config);
    StringBuilder out = new StringBuilder("  LOSO trade-off:");
    int nearMisses = 0;
    int paraphrases = 0;
    for (Row r : rows) {
      nearMisses += r.paraphrase() ? 0 : 1;
      paraphrases += r.paraphrase() ? 1 : 0;
    }
    Integer[] order = new Integer[rows.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Double.compare(value(p[y]), value(p[x])));
    for (double budget : budgets) {
      int allowed = (int) Math.floor(budget * nearMisses);
      int falseHits = 0;
      int hits = 0;
      int best = 0;
      int bestFalse = 0;
      for (int k = 0; k < order.length && !Double.isNaN(p[order[k]]); k++) {
        if (rows.get(order[k]).paraphrase()) {
          hits++;
        } else if (++falseHits > allowed) {
          break;
        }
        if (k + 1 == order.length || value(p[order[k + 1]]) < p[order[k]]) {
          best = hits;
          bestFalse = falseHits;
        }
      }
      out.append(
          String.format(
              Locale.ROOT,
              "  FH<=%.1f%%: %d/%d = %.1f%% (%d FH)",
              100 * budget,
              best,
              paraphrases,
              100.0 * best / paraphrases,
              bestFalse));
    }
    return out.append('\n').toString();
  }

  private static List<String> setsOf(List<Row> rows) {
    List<String> sets = new ArrayList<>();
    for (Row r : rows) {
      if (!sets.contains(r.set())) {
        sets.add(r.set());
      }
    }
    return sets;
  }

  /**
   * The threshold that serves the most paraphrases of {@code rows} while the near misses served,
   * pooled, stay within {@link #MAX_FALSE_HIT_SHARE}.
   */
  static double threshold(List<Row> rows, double[] p, double floor) {
    int nearMisses = 0;
    for (Row r : rows) {
      nearMisses += r.paraphrase() ? 0 : 1;
    }
    int allowed = (int) Math.floor(MAX_FALSE_HIT_SHARE * nearMisses);
    Integer[] order = new Integer[rows.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Double.compare(value(p[y]), value(p[x])));
    // serve from the most probable down; stop before the near miss that breaks the bound
    int falseHits = 0;
    double threshold = 1.0;
    for (int k = 0; k < order.length; k++) {
      int i = order[k];
      if (Double.isNaN(p[i])) {
        break;
      }
      if (!rows.get(i).paraphrase()) {
        falseHits++;
        if (falseHits > allowed) {
          break;
        }
      }
      double next = k + 1 < order.length ? value(p[order[k + 1]]) : 0;
      threshold = next < p[i] ? (p[i] + Math.max(next, 0)) / 2 : p[i];
    }
    return Math.max(threshold, 1e-6);
  }

  private static double value(double p) {
    return Double.isNaN(p) ? -1 : p;
  }

  /** Counts per set at per-row thresholds. */
  static Map<String, Counts> counts(List<Row> rows, double[] p, Map<String, Double> thresholds) {
    Map<String, Counts> out = new LinkedHashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      boolean hit = !Double.isNaN(p[i]) && p[i] >= thresholds.get(r.set());
      Counts c =
          r.paraphrase() ? new Counts(1, hit ? 1 : 0, 0, 0) : new Counts(0, 0, 1, hit ? 1 : 0);
      out.merge(r.set(), c, Counts::plus);
    }
    return out;
  }

  /** Nested LOSO: each fold's threshold from an inner LOSO on its own training sets. */
  static Map<String, Counts> nested(List<Row> rows, Config config, Map<String, Double> chosen) {
    double[] p = loso(rows, config);
    for (String set : setsOf(rows)) {
      List<Row> training = rows.stream().filter(r -> !r.set().equals(set)).toList();
      chosen.put(set, threshold(training, loso(training, config), config.floor()));
    }
    return counts(rows, p, chosen);
  }

  /** Pooled LOSO: one threshold chosen on every fold's held-out probabilities. */
  static Map<String, Counts> pooled(List<Row> rows, Config config, double[] threshold) {
    double[] p = loso(rows, config);
    threshold[0] = threshold(rows, p, config.floor());
    Map<String, Double> same = new HashMap<>();
    for (String set : setsOf(rows)) {
      same.put(set, threshold[0]);
    }
    return counts(rows, p, same);
  }

  static String table(Map<String, Counts> perSet, Map<String, Double> thresholds) {
    StringBuilder out = new StringBuilder();
    Counts all = new Counts(0, 0, 0, 0);
    String worstFalse = null;
    String worstParaphrase = null;
    for (Map.Entry<String, Counts> e : perSet.entrySet()) {
      Counts c = e.getValue();
      all = all.plus(c);
      out.append(
          String.format(
              Locale.ROOT,
              "  held out %-9s t=%.3f  %s%n",
              e.getKey(),
              thresholds.get(e.getKey()),
              c.describe()));
      if (worstFalse == null || c.falseHitShare() > perSet.get(worstFalse).falseHitShare()) {
        worstFalse = e.getKey();
      }
      if (worstParaphrase == null
          || c.paraphraseShare() < perSet.get(worstParaphrase).paraphraseShare()) {
        worstParaphrase = e.getKey();
      }
    }
    out.append(String.format(Locale.ROOT, "  pooled                    %s%n", all.describe()));
    out.append(
        String.format(
            Locale.ROOT,
            "  worst near-miss set %s (%.2f%%), worst paraphrase set %s (%.1f%%)%n",
            worstFalse,
            100 * perSet.get(worstFalse).falseHitShare(),
            worstParaphrase,
            100 * perSet.get(worstParaphrase).paraphraseShare()));
    return out.toString();
  }

  /** The nested and pooled tables of one configuration. */
  static String report(List<Row> rows, Config config, boolean weights) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%n== LOSO, %s ==%n", config));
    Map<String, Double> chosen = new LinkedHashMap<>();
    Map<String, Counts> nested = nested(rows, config, chosen);
    out.append("nested (each fold's threshold by an inner LOSO on its eight training sets):\n");
    out.append(table(nested, chosen));
    double[] t = new double[1];
    Map<String, Counts> pooled = pooled(rows, config, t);
    Map<String, Double> same = new HashMap<>();
    for (String set : pooled.keySet()) {
      same.put(set, t[0]);
    }
    out.append(
        String.format(
            Locale.ROOT, "pooled (one threshold %.3f on all folds' held-out scores):%n", t[0]));
    out.append(table(pooled, same));
    if (weights) {
      VerifierModel model = fit(rows, config, null);
      double[] w = model.weights();
      out.append("weights of the model on all sets (standardised features):\n");
      for (int j = 0; j < w.length; j++) {
        out.append(
            String.format(
                Locale.ROOT, "  %-26s %+.3f%n", LearnedVerifier.featureNames().get(j), w[j]));
      }
    }
    return out.toString();
  }

  /**
   * Per category of {@code set}, pairs served when it is held out (nested LOSO: the threshold from
   * an inner LOSO on the other sets), so the held-out figures of a kind can be compared with a
   * judged run's.
   */
  static String categories(List<Row> rows, Config config, String set) {
    Map<String, Double> chosen = new LinkedHashMap<>();
    nested(rows, config, chosen);
    double[] p = loso(rows, config);
    Map<String, int[]> perCategory = new java.util.TreeMap<>();
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      if (r.set().equals(set)) {
        boolean hit = !Double.isNaN(p[i]) && p[i] >= chosen.get(set);
        int[] c =
            perCategory.computeIfAbsent(
                (r.paraphrase() ? "paraphrase " : "near miss ") + r.category(), k -> new int[2]);
        c[0] += hit ? 1 : 0;
        c[1]++;
      }
    }
    StringBuilder out =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%n== %s held out, nested threshold %.3f: served per category ==%n",
                set,
                chosen.get(set)));
    for (Map.Entry<String, int[]> e : perCategory.entrySet()) {
      out.append(
          String.format(
              Locale.ROOT, "  %-40s %3d / %3d%n", e.getKey(), e.getValue()[0], e.getValue()[1]));
    }
    return out.toString();
  }

  /** Writes each pair with its LOSO probability (its set held out; NaN under the floor). */
  static void dump(List<Row> rows, Config config, Path file) throws IOException {
    double[] p = loso(rows, config);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      out.append(
          String.join(
              "\t",
              r.set(),
              r.paraphrase() ? "paraphrase" : "near_miss",
              r.category(),
              String.format(Locale.ROOT, "%.4f", r.cosine()),
              String.format(Locale.ROOT, "%.4f", p[i]),
              r.cached(),
              r.incoming()));
      out.append('\n');
    }
    Files.writeString(file, out, StandardCharsets.UTF_8);
  }

  /** One line each for nested and pooled LOSO figures, pooled over the sets, and the worst set. */
  static String summary(List<Row> rows, Config config) {
    Map<String, Double> chosen = new LinkedHashMap<>();
    Map<String, Counts> nested = nested(rows, config, chosen);
    double[] t = new double[1];
    Map<String, Counts> pooled = pooled(rows, config, t);
    return String.format(
            Locale.ROOT, "  nested  %s  worst %s%n", total(nested).describe(), worst(nested))
        + String.format(
            Locale.ROOT,
            "  pooled  %s  worst %s (t=%.3f)%n",
            total(pooled).describe(),
            worst(pooled),
            t[0])
        + curve(rows, config, 0.005, 0.01, 0.02, 0.05);
  }

  static Counts total(Map<String, Counts> perSet) {
    Counts all = new Counts(0, 0, 0, 0);
    for (Counts c : perSet.values()) {
      all = all.plus(c);
    }
    return all;
  }

  private static String worst(Map<String, Counts> perSet) {
    double fh = 0;
    double ph = 1;
    for (Counts c : perSet.values()) {
      fh = Math.max(fh, c.falseHitShare());
      ph = Math.min(ph, c.paraphraseShare());
    }
    return String.format(Locale.ROOT, "FH %.2f%% / PH %.1f%%", 100 * fh, 100 * ph);
  }

  /** The rule guard's default and strict settings on each set (in-sample: tuned on them). */
  static String ruleGuards(List<Row> rows) {
    EmbeddingModel model = new SemanticGuardEvaluation.Memo(MiniLmEmbeddingModel.create());
    SemanticHitGuard strict =
        AlignmentGuard.builder(model)
            .wordThreshold(SemanticGuardEvaluation.STRICT_WORD_THRESHOLD)
            .enable(AlignmentGuard.Check.ADDITION)
            .build();
    int objects = LearnedVerifier.featureNames().indexOf("guard_objects");
    Map<String, Counts> byDefault = new LinkedHashMap<>();
    Map<String, Counts> byStrict = new LinkedHashMap<>();
    for (Row r : rows) {
      boolean d = r.cosine() >= SemanticCache.DEFAULT_THRESHOLD && r.features()[objects] == 0;
      boolean s =
          r.cosine() >= SemanticGuardEvaluation.STRICT_THRESHOLD
              && strict.objection(r.cached(), r.incoming()).isEmpty();
      byDefault.merge(r.set(), one(r.paraphrase(), d), Counts::plus);
      byStrict.merge(r.set(), one(r.paraphrase(), s), Counts::plus);
    }
    StringBuilder out = new StringBuilder("\n== rule guard, in-sample (tuned on these sets) ==\n");
    for (String set : byDefault.keySet()) {
      out.append(
          String.format(Locale.ROOT, "  default %-9s %s%n", set, byDefault.get(set).describe()));
      out.append(
          String.format(Locale.ROOT, "  strict  %-9s %s%n", set, byStrict.get(set).describe()));
    }
    out.append(String.format(Locale.ROOT, "  default pooled    %s%n", total(byDefault).describe()));
    out.append(String.format(Locale.ROOT, "  strict  pooled    %s%n", total(byStrict).describe()));
    return out.toString();
  }

  private static Counts one(boolean paraphrase, boolean hit) {
    return paraphrase ? new Counts(1, hit ? 1 : 0, 0, 0) : new Counts(0, 0, 1, hit ? 1 : 0);
  }
}
