package dev.aigateway.embeddings.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.SemanticHitGuard;
import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.core.cache.AlignmentGuard;
import dev.aigateway.core.cache.LearnedVerifier;
import dev.aigateway.core.cache.SemanticCache;
import dev.aigateway.core.cache.TokenVectorModel;
import dev.aigateway.testing.KeptEmbeddings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The semantic cache's default (all-MiniLM-L6-v2, {@link SemanticCache#DEFAULT_THRESHOLD}, {@link
 * AlignmentGuard} with its defaults, WordNet relations installed by this module) on the labelled
 * sets of benchmarks/.../semantic-eval/ (docs/semantic-eval.md). Every set here has been read while
 * the guard was changed (tuning sets); a judged set written separately is run once and reported in
 * the docs.
 *
 * <ul>
 *   <li>{@code judged-9.tsv} (756 pairs), written blind and judged once on 2026-12-05 17:43 UTC:
 *       the default served 30 of 459 near misses and 160 of 297 paraphrases, the {@link
 *       LearnedVerifier} of the third round 23 near misses and 167 paraphrases, pair by pair (the
 *       cache now keeps the 135 pairs with a prompt longer than the model reads out of the semantic
 *       lookup; this test checks pairs as the evaluation does, without that rule); the target was
 *       not met by either. Both are held to their judged figures.
 *   <li>{@code judged-8.tsv} (787 pairs), written blind and judged once on 2026-12-05 15:16 UTC:
 *       the default served 31 of 471 near misses and 193 of 316 paraphrases, the {@link
 *       LearnedVerifier} of the third round 4 near misses and 134 paraphrases; the target was not
 *       met by either. Both are held to their judged figures.
 *   <li>{@code judged-7.tsv} (766 pairs), written blind and judged once on 2026-12-05 12:51 UTC:
 *       the default served 33 of 457 near misses and 198 of 309 paraphrases, the {@link
 *       LearnedVerifier} of the second round 12 near misses and 175 paraphrases; the target was not
 *       met by either. The default is held to its judged figures. Since the verifier's third round
 *       it is a tuning set: the shipped model was trained on it (held out: 12 near misses and 175
 *       paraphrases at its nested threshold, 6 and 148 at the shipped one), and it is held to what
 *       the shipped model serves there, in-sample: 7 near misses and 156 paraphrases (fewer than
 *       the second round's model: the threshold chosen over nine sets is higher).
 *   <li>{@code judged-6.tsv} (755 pairs), written blind and judged once on 2026-12-05 10:00 UTC:
 *       the default served 31 of 453 near misses and 209 of 302 paraphrases, the optional {@link
 *       LearnedVerifier} (threshold {@link LearnedVerifier#SIMILARITY_FLOOR}) 5 near misses and 163
 *       paraphrases; the target was not met by either. The default is held to its judged figures.
 *       Since the verifier's second round it is a tuning set: the verifier's shipped model was
 *       trained on it, and it is held to what the shipped model serves there, in-sample: 2 near
 *       misses and 174 paraphrases (the third round's model; the second round's served 194).
 *   <li>{@code judged-5.tsv} (784 pairs), written blind and judged once on 2026-12-05 (25 of 471
 *       near misses served, 222 of 313 paraphrases; the target was not met), a tuning set since
 *       (the verifier was trained on it); the default is held to its judged figures.
 *   <li>{@code judged-4.tsv} (760 pairs), written blind and judged once (18 of 447 near misses
 *       served, 243 of 313 paraphrases; the target was not met), a tuning set since: its false hits
 *       and refused paraphrases were studied. The default now serves 1 near miss and 248
 *       paraphrases there; held to that.
 *   <li>{@code judged-3.tsv} (639 pairs), judged two rounds ago (10 of 408 near misses served, 184
 *       of 231 paraphrases), a tuning set since. The default now serves 1 near miss and 194
 *       paraphrases there; held to that, and to no near miss of any kind but plural / singular.
 *   <li>{@code judged-2.tsv} (535 pairs), tuning: 0 of 327 near misses, 174 of 208 paraphrases;
 *       held to that.
 *   <li>{@code judged.tsv}, the first hand-written set, tuning: there the default meets the target
 *       (0 of 193 near misses, 132 of 153 paraphrases), and this test fails if it stops meeting it.
 * </ul>
 */
class JudgedSetRegressionTest {

  private static final Path SETS =
      Path.of("..", "benchmarks", "src", "main", "resources", "semantic-eval");

  /** The default's false hits in judged-9.tsv's judged run. */
  static final int JUDGED_9_MEASURED_FALSE_HITS = 30;

  /** The default's paraphrase hits in judged-9.tsv's judged run. */
  static final int JUDGED_9_MEASURED_PARAPHRASE_HITS = 160;

  /** The learned verifier's false hits in judged-9.tsv's judged run (its third round's model). */
  static final int JUDGED_9_VERIFIER_FALSE_HITS = 23;

  /**
   * The learned verifier's paraphrase hits in judged-9.tsv's judged run (its third round's model).
   */
  static final int JUDGED_9_VERIFIER_PARAPHRASE_HITS = 167;

  /** The default's false hits in judged-8.tsv's judged run. */
  static final int JUDGED_8_MEASURED_FALSE_HITS = 31;

  /** The default's paraphrase hits in judged-8.tsv's judged run. */
  static final int JUDGED_8_MEASURED_PARAPHRASE_HITS = 193;

  /** The learned verifier's false hits in judged-8.tsv's judged run (its third round's model). */
  static final int JUDGED_8_VERIFIER_FALSE_HITS = 4;

  /**
   * The learned verifier's paraphrase hits in judged-8.tsv's judged run (its third round's model).
   */
  static final int JUDGED_8_VERIFIER_PARAPHRASE_HITS = 134;

  /** The default's false hits in judged-7.tsv's judged run. */
  static final int JUDGED_7_MEASURED_FALSE_HITS = 33;

  /** The default's paraphrase hits in judged-7.tsv's judged run. */
  static final int JUDGED_7_MEASURED_PARAPHRASE_HITS = 198;

  /**
   * The learned verifier's false hits on judged-7.tsv, in-sample since its third round (12 in the
   * judged run of its second model).
   */
  static final int JUDGED_7_VERIFIER_FALSE_HITS = 7;

  /**
   * The learned verifier's paraphrase hits on judged-7.tsv, in-sample since its third round (175 in
   * the judged run of its second model).
   */
  static final int JUDGED_7_VERIFIER_PARAPHRASE_HITS = 156;

  /** The default's false hits in judged-6.tsv's judged run. */
  static final int JUDGED_6_MEASURED_FALSE_HITS = 31;

  /** The default's paraphrase hits in judged-6.tsv's judged run. */
  static final int JUDGED_6_MEASURED_PARAPHRASE_HITS = 209;

  /**
   * The learned verifier's false hits on judged-6.tsv, in-sample since its second round (5 in the
   * judged run of its first model), with the third round's model.
   */
  static final int JUDGED_6_VERIFIER_FALSE_HITS = 2;

  /**
   * The learned verifier's paraphrase hits on judged-6.tsv, in-sample since its second round (163
   * in the judged run of its first model; 194 with the second round's model), with the third
   * round's model.
   */
  static final int JUDGED_6_VERIFIER_PARAPHRASE_HITS = 174;

  /** The default's false hits in judged-5.tsv's judged run. */
  static final int JUDGED_5_MEASURED_FALSE_HITS = 25;

  /** The default's paraphrase hits in judged-5.tsv's judged run. */
  static final int JUDGED_5_MEASURED_PARAPHRASE_HITS = 222;

  /** The default's false hits on judged-4.tsv (a tuning set since its judged run: it served 18). */
  static final int JUDGED_4_MEASURED_FALSE_HITS = 1;

  /** The default's paraphrase hits on judged-4.tsv (243 in its judged run). */
  static final int JUDGED_4_MEASURED_PARAPHRASE_HITS = 248;

  /** The default's false hits on judged-3.tsv (a tuning set since its judged run). */
  static final int JUDGED_3_MEASURED_FALSE_HITS = 1;

  /** The default's paraphrase hits on judged-3.tsv. */
  static final int JUDGED_3_MEASURED_PARAPHRASE_HITS = 194;

  /** The default's false hits on judged-2.tsv (a tuning set). */
  static final int JUDGED_2_MEASURED_FALSE_HITS = 0;

  /** The default's paraphrase hits on judged-2.tsv. */
  static final int JUDGED_2_MEASURED_PARAPHRASE_HITS = 174;

  /** The target: at most this share of near misses served, in percent. */
  static final double MAX_FALSE_HIT_PERCENT = 0.5;

  /** The target: at least this share of paraphrases served, in percent. */
  static final double MIN_PARAPHRASE_HIT_PERCENT = 80.0;

  private record Outcome(boolean paraphrase, String category, boolean hit) {}

  private static List<Outcome> judged9;
  private static List<Outcome> judged9Verified;
  private static List<Outcome> judged8;
  private static List<Outcome> judged8Verified;
  private static List<Outcome> judged7;
  private static List<Outcome> judged7Verified;
  private static List<Outcome> judged6;
  private static List<Outcome> judged6Verified;
  private static List<Outcome> judged5;
  private static List<Outcome> judged4;
  private static List<Outcome> judged3;
  private static List<Outcome> judged2;
  private static List<Outcome> firstJudged;

  /** How many threads decide the pairs: the model runs natively, and a run keeps about one core. */
  private static final int THREADS = 2;

  private static ExecutorService pool;

  @BeforeAll
  static void runTheDefaultOnEveryPair() throws IOException {
    pool = Executors.newFixedThreadPool(THREADS);
    try {
      decideEveryPair();
    } finally {
      pool.shutdown();
    }
  }

  private static void decideEveryPair() throws IOException {
    Memo model = new Memo(MiniLmEmbeddingModel.create());
    model.readKept();
    SemanticHitGuard guard = SemanticCache.builder(model).build().guard();
    assertThat(guard).isInstanceOf(AlignmentGuard.class);
    judged9 = outcomes(model, guard, SemanticCache.DEFAULT_THRESHOLD, "judged-9.tsv");
    judged9Verified = verified(model, "judged-9.tsv");
    judged8 = outcomes(model, guard, SemanticCache.DEFAULT_THRESHOLD, "judged-8.tsv");
    judged8Verified = verified(model, "judged-8.tsv");
    judged7 = outcomes(model, guard, SemanticCache.DEFAULT_THRESHOLD, "judged-7.tsv");
    judged7Verified = verified(model, "judged-7.tsv");
    judged6 = outcomes(model, guard, SemanticCache.DEFAULT_THRESHOLD, "judged-6.tsv");
    judged6Verified = verified(model, "judged-6.tsv");
    judged5 = outcomes(model, guard, "judged-5.tsv");
    judged4 = outcomes(model, guard, "judged-4.tsv");
    judged3 = outcomes(model, guard, "judged-3.tsv");
    judged2 = outcomes(model, guard, "judged-2.tsv");
    firstJudged = outcomes(model, guard, "judged.tsv");
    model.writeKept();
  }

  /**
   * A fingerprint of the code that embeds a text with all-MiniLM-L6-v2: this module's classes, and
   * the versions of LangChain4j's model, ONNX Runtime and the tokenizer (the benchmarks module's
   * evaluations compute the same one, so each reads the vectors the other kept).
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
   * The model with each text's vector kept: the sets' prompts are embedded again for the learned
   * verifier and by it, and the guard embeds the same words pair after pair. The model gives a text
   * the same vector every time, so the outcomes are those of the model itself; its words in context
   * ({@link TokenVectorModel}, which the learned verifier reads when its model has them) are the
   * model's own, not kept. The vectors are also kept for the next test JVM ({@link KeptEmbeddings}:
   * the benchmarks module's evaluations embed most of these prompts again), and read from there
   * when an earlier run kept them with the same code and a sample of them is what the model gives
   * now. Thread-safe: the pairs are decided on {@link #THREADS} threads.
   */
  private static final class Memo implements EmbeddingModel, TokenVectorModel {
    private final MiniLmEmbeddingModel model;
    private final Map<String, float[]> vectors = new ConcurrentHashMap<>();
    private final Map<String, WordVectors> words = new ConcurrentHashMap<>();

    Memo(MiniLmEmbeddingModel model) {
      this.model = model;
    }

    /** Reads the vectors an earlier run kept, when they are still the model's. */
    void readKept() throws IOException {
      vectors.putAll(
          KeptEmbeddings.read(KeptEmbeddings.file(model.name()), embeddingCode(), model::embed));
    }

    /** Keeps every vector read or computed in this run (those read first among them). */
    void writeKept() throws IOException {
      KeptEmbeddings.write(KeptEmbeddings.file(model.name()), embeddingCode(), vectors);
    }

    @Override
    public float[] embed(String text) throws IOException {
      float[] vector = vectors.get(text);
      if (vector == null) {
        vector = model.embed(text);
        vectors.put(text, vector);
      }
      return vector.clone(); // a caller may change what it is given
    }

    @Override
    public WordVectors wordVectors(String text) throws IOException {
      // each text read once: every learned verifier built here starts with empty caches, and the
      // four sets and the single words they look up share many texts (WordVectors is immutable)
      WordVectors read = words.get(text);
      if (read == null) {
        read = model.wordVectors(text);
        words.put(text, read);
      }
      return read;
    }

    @Override
    public int charactersRead(String text) throws IOException {
      return model.charactersRead(text);
    }

    @Override
    public String name() {
      return model.name();
    }
  }

  private static List<Outcome> outcomes(EmbeddingModel model, SemanticHitGuard guard, String set)
      throws IOException {
    return outcomes(model, guard, SemanticCache.DEFAULT_THRESHOLD, set);
  }

  /** Each pair of a set as the semantic cache decides it with the learned verifier. */
  private static List<Outcome> verified(EmbeddingModel model, String set) throws IOException {
    return outcomes(
        model, LearnedVerifier.builder(model).build(), LearnedVerifier.SIMILARITY_FLOOR, set);
  }

  /**
   * Each pair of a set as the semantic cache decides it: served when the prompts' similarity
   * reaches {@code threshold} and the guard, told that similarity, does not object. The pairs are
   * decided on {@link #THREADS} threads (the model, the guard and the verifier are thread-safe, as
   * the cache uses them), each outcome in its pair's place, so the outcomes are those of one
   * thread.
   */
  private static List<Outcome> outcomes(
      EmbeddingModel model, SemanticHitGuard guard, double threshold, String set)
      throws IOException {
    List<String> lines = Files.readAllLines(SETS.resolve(set), StandardCharsets.UTF_8);
    assertThat(lines.get(0)).isEqualTo("label\tcategory\tcached_prompt\tincoming_prompt\tsplit");
    List<Future<Outcome>> decided = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      if (line.isBlank()) {
        continue;
      }
      String[] row = line.split("\t", -1);
      decided.add(
          pool.submit(
              () -> {
                double cosine =
                    MiniLmEmbeddingModelTest.cosine(embed(model, row[2]), embed(model, row[3]));
                boolean hit =
                    cosine >= threshold && guard.objection(row[2], row[3], cosine).isEmpty();
                return new Outcome(row[0].equals("paraphrase"), row[1], hit);
              }));
    }
    List<Outcome> outcomes = new ArrayList<>(decided.size());
    for (Future<Outcome> outcome : decided) {
      try {
        outcomes.add(outcome.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while deciding the pairs of " + set, e);
      } catch (ExecutionException e) {
        throw new IOException("could not decide a pair of " + set, e.getCause());
      }
    }
    return outcomes;
  }

  private static float[] embed(EmbeddingModel model, String text) {
    try {
      return model.embed(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> servedNearMisses(List<Outcome> outcomes) {
    return outcomes.stream()
        .filter(o -> !o.paraphrase() && o.hit())
        .map(Outcome::category)
        .toList();
  }

  private static long servedParaphrases(List<Outcome> outcomes) {
    return outcomes.stream().filter(o -> o.paraphrase() && o.hit()).count();
  }

  private static long count(List<Outcome> outcomes, boolean paraphrase) {
    return outcomes.stream().filter(o -> o.paraphrase() == paraphrase).count();
  }

  @Test
  void onTheNinthSetTheDefaultHoldsItsJudgedFigures() {
    assertThat(judged9).hasSizeGreaterThanOrEqualTo(700);
    assertThat(servedNearMisses(judged9))
        .as("near misses of judged-9.tsv served by the default, by category")
        .hasSizeLessThanOrEqualTo(JUDGED_9_MEASURED_FALSE_HITS);
    assertThat(servedParaphrases(judged9))
        .as("paraphrases of judged-9.tsv served by the default")
        .isGreaterThanOrEqualTo(JUDGED_9_MEASURED_PARAPHRASE_HITS);
  }

  @Test
  void onTheNinthSetTheLearnedVerifierHoldsItsJudgedFigures() {
    assertThat(servedNearMisses(judged9Verified))
        .as("near misses of judged-9.tsv served with the learned verifier, by category")
        .hasSizeLessThanOrEqualTo(JUDGED_9_VERIFIER_FALSE_HITS);
    assertThat(servedParaphrases(judged9Verified))
        .as("paraphrases of judged-9.tsv served with the learned verifier")
        .isGreaterThanOrEqualTo(JUDGED_9_VERIFIER_PARAPHRASE_HITS);
  }

  @Test
  void onTheEighthSetTheDefaultHoldsItsJudgedFigures() {
    assertThat(judged8).hasSizeGreaterThanOrEqualTo(700);
    assertThat(servedNearMisses(judged8))
        .as("near misses of judged-8.tsv served by the default, by category")
        .hasSizeLessThanOrEqualTo(JUDGED_8_MEASURED_FALSE_HITS);
    assertThat(servedParaphrases(judged8))
        .as("paraphrases of judged-8.tsv served by the default")
        .isGreaterThanOrEqualTo(JUDGED_8_MEASURED_PARAPHRASE_HITS);
  }

  @Test
  void onTheEighthSetTheLearnedVerifierHoldsItsJudgedFigures() {
    assertThat(servedNearMisses(judged8Verified))
        .as("near misses of judged-8.tsv served with the learned verifier, by category")
        .hasSizeLessThanOrEqualTo(JUDGED_8_VERIFIER_FALSE_HITS);
    assertThat(servedParaphrases(judged8Verified))
        .as("paraphrases of judged-8.tsv served with the learned verifier")
        .isGreaterThanOrEqualTo(JUDGED_8_VERIFIER_PARAPHRASE_HITS);
  }

  @Test
  void onTheSeventhSetTheDefaultHoldsItsJudgedFigures() {
    assertThat(judged7).hasSizeGreaterThanOrEqualTo(700);
    assertThat(servedNearMisses(judged7))
        .as("near misses of judged-7.tsv served by the default, by category")
        .hasSizeLessThanOrEqualTo(JUDGED_7_MEASURED_FALSE_HITS);
    assertThat(servedParaphrases(judged7))
        .as("paraphrases of judged-7.tsv served by the default")
        .isGreaterThanOrEqualTo(JUDGED_7_MEASURED_PARAPHRASE_HITS);
  }

  @Test
  void onTheSeventhSetTheLearnedVerifierHoldsItsMeasuredFigures() {
    assertThat(servedNearMisses(judged7Verified))
        .as("near misses of judged-7.tsv served with the learned verifier, by category")
        .hasSizeLessThanOrEqualTo(JUDGED_7_VERIFIER_FALSE_HITS);
    assertThat(servedParaphrases(judged7Verified))
        .as("paraphrases of judged-7.tsv served with the learned verifier")
        .isGreaterThanOrEqualTo(JUDGED_7_VERIFIER_PARAPHRASE_HITS);
  }

  @Test
  void onTheSixthSetTheDefaultHoldsItsJudgedFigures() {
    assertThat(judged6).hasSizeGreaterThanOrEqualTo(700);
    assertThat(servedNearMisses(judged6))
        .as("near misses of judged-6.tsv served by the default, by category")
        .hasSizeLessThanOrEqualTo(JUDGED_6_MEASURED_FALSE_HITS);
    assertThat(servedParaphrases(judged6))
        .as("paraphrases of judged-6.tsv served by the default")
        .isGreaterThanOrEqualTo(JUDGED_6_MEASURED_PARAPHRASE_HITS);
  }

  @Test
  void onTheSixthSetTheLearnedVerifierHoldsItsMeasuredFigures() {
    assertThat(servedNearMisses(judged6Verified))
        .as("near misses of judged-6.tsv served with the learned verifier, by category")
        .hasSizeLessThanOrEqualTo(JUDGED_6_VERIFIER_FALSE_HITS);
    assertThat(servedParaphrases(judged6Verified))
        .as("paraphrases of judged-6.tsv served with the learned verifier")
        .isGreaterThanOrEqualTo(JUDGED_6_VERIFIER_PARAPHRASE_HITS);
  }

  @Test
  void onTheFifthSetTheDefaultHoldsItsJudgedFigures() {
    assertThat(judged5).hasSizeGreaterThanOrEqualTo(700);
    assertThat(servedNearMisses(judged5))
        .as("near misses of judged-5.tsv served, by category")
        .hasSizeLessThanOrEqualTo(JUDGED_5_MEASURED_FALSE_HITS);
    assertThat(servedParaphrases(judged5))
        .as("paraphrases of judged-5.tsv served")
        .isGreaterThanOrEqualTo(JUDGED_5_MEASURED_PARAPHRASE_HITS);
  }

  @Test
  void onTheFourthSetTheDefaultHoldsWhatWasMeasured() {
    assertThat(judged4).hasSizeGreaterThanOrEqualTo(700);
    assertThat(servedNearMisses(judged4))
        .as("near misses of judged-4.tsv served, by category")
        .hasSizeLessThanOrEqualTo(JUDGED_4_MEASURED_FALSE_HITS);
    assertThat(servedParaphrases(judged4))
        .as("paraphrases of judged-4.tsv served")
        .isGreaterThanOrEqualTo(JUDGED_4_MEASURED_PARAPHRASE_HITS);
  }

  @Test
  void theThirdSetIsLargeAndMostlyNearMisses() {
    assertThat(judged3).hasSizeGreaterThanOrEqualTo(600);
    assertThat(count(judged3, false)).isGreaterThanOrEqualTo(400);
  }

  @Test
  void onTheThirdSetTheDefaultServesNoMoreNearMissesThanMeasured() {
    assertThat(servedNearMisses(judged3))
        .as("near misses of judged-3.tsv served, by category")
        .hasSizeLessThanOrEqualTo(JUDGED_3_MEASURED_FALSE_HITS);
  }

  @Test
  void onTheThirdSetTheDefaultServesNoFewerParaphrasesThanMeasured() {
    assertThat(servedParaphrases(judged3))
        .as("paraphrases of judged-3.tsv served")
        .isGreaterThanOrEqualTo(JUDGED_3_MEASURED_PARAPHRASE_HITS);
  }

  @Test
  void onTheThirdSetNoNearMissOfTheKindsItCatchesEveryTimeIsServed() {
    List<String> caught =
        List.of(
            "action",
            "antonym",
            "clock_time",
            "comparative",
            "conditional",
            "date",
            "entity",
            "modality",
            "modifier_swap",
            "negation",
            "number_unit",
            "possessive",
            "quantifier",
            "question_word",
            "role_swap",
            "scope",
            "tense",
            "time_range",
            "with_without");

    assertThat(servedNearMisses(judged3)).doesNotContainAnyElementsOf(caught);
  }

  @Test
  void onTheSecondSetTheDefaultHoldsWhatWasMeasured() {
    assertThat(servedNearMisses(judged2))
        .as("near misses of judged-2.tsv served, by category")
        .hasSizeLessThanOrEqualTo(JUDGED_2_MEASURED_FALSE_HITS);
    assertThat(servedParaphrases(judged2))
        .as("paraphrases of judged-2.tsv served")
        .isGreaterThanOrEqualTo(JUDGED_2_MEASURED_PARAPHRASE_HITS);
  }

  @Test
  void onTheFirstJudgedSetTheDefaultMeetsTheTarget() {
    double falseHitPercent =
        100.0 * servedNearMisses(firstJudged).size() / count(firstJudged, false);
    double paraphrasePercent = 100.0 * servedParaphrases(firstJudged) / count(firstJudged, true);

    assertThat(falseHitPercent)
        .as("near misses of judged.tsv served, %s", servedNearMisses(firstJudged))
        .isLessThanOrEqualTo(MAX_FALSE_HIT_PERCENT);
    assertThat(paraphrasePercent).isGreaterThanOrEqualTo(MIN_PARAPHRASE_HIT_PERCENT);
  }
}
