package dev.aigateway.embeddings.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.SemanticHitGuard;
import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.core.cache.AlignmentGuard;
import dev.aigateway.core.cache.SemanticCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The semantic cache's default (all-MiniLM-L6-v2, {@link SemanticCache#DEFAULT_THRESHOLD}, {@link
 * AlignmentGuard} with its defaults) on the hand-written judged set,
 * benchmarks/.../semantic-eval/judged.tsv, which no setting was tuned on (docs/semantic-eval.md).
 *
 * <p>The target, at most 0.5% of near misses served, was not reached: measured 2 of 193
 * (1.0%, 95% Wilson interval 0.3% to 3.7%), with 132 of 153 paraphrases served (86.3%). This test
 * holds the default to what was measured: it fails when more than 2 of the 193 near misses are
 * served, or fewer than 80% of the paraphrases.
 */
class JudgedSetRegressionTest {

  private static final Path JUDGED =
      Path.of("..", "benchmarks", "src", "main", "resources", "semantic-eval", "judged.tsv");

  /** The measured false hits of the default on the judged set (docs/semantic-eval.md). */
  static final int MEASURED_FALSE_HITS = 2;

  static final double MIN_PARAPHRASE_HIT_PERCENT = 80.0;

  private record Outcome(boolean paraphrase, String category, boolean hit) {}

  private static List<Outcome> outcomes;

  @BeforeAll
  static void runTheDefaultOnEveryPair() throws IOException {
    EmbeddingModel model = MiniLmEmbeddingModel.create();
    SemanticHitGuard guard = SemanticCache.builder(model).build().guard();
    assertThat(guard).isInstanceOf(AlignmentGuard.class);
    List<String> lines = Files.readAllLines(JUDGED, StandardCharsets.UTF_8);
    assertThat(lines.get(0)).isEqualTo("label\tcategory\tcached_prompt\tincoming_prompt\tsplit");
    outcomes = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      if (line.isBlank()) {
        continue;
      }
      String[] row = line.split("\t", -1);
      double cosine = MiniLmEmbeddingModelTest.cosine(embed(model, row[2]), embed(model, row[3]));
      boolean hit =
          cosine >= SemanticCache.DEFAULT_THRESHOLD && guard.objection(row[2], row[3]).isEmpty();
      outcomes.add(new Outcome(row[0].equals("paraphrase"), row[1], hit));
    }
  }

  private static float[] embed(EmbeddingModel model, String text) {
    try {
      return model.embed(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void theJudgedSetIsLargeAndMostlyNearMisses() {
    long nearMisses = outcomes.stream().filter(o -> !o.paraphrase()).count();

    assertThat(outcomes).hasSizeGreaterThanOrEqualTo(300);
    assertThat(100.0 * nearMisses / outcomes.size()).isBetween(50.0, 65.0);
  }

  @Test
  void theDefaultServesNoMoreNearMissesThanMeasured() {
    List<String> served =
        outcomes.stream().filter(o -> !o.paraphrase() && o.hit()).map(Outcome::category).toList();

    assertThat(served)
        .as("near misses served, by category")
        .hasSizeLessThanOrEqualTo(MEASURED_FALSE_HITS);
  }

  @Test
  void theDefaultServesAtLeastFourFifthsOfTheParaphrases() {
    List<Outcome> paraphrases = outcomes.stream().filter(Outcome::paraphrase).toList();
    long served = paraphrases.stream().filter(Outcome::hit).count();

    assertThat(100.0 * served / paraphrases.size())
        .isGreaterThanOrEqualTo(MIN_PARAPHRASE_HIT_PERCENT);
  }

  @Test
  void noQuantifierModalTenseClockNegationAntonymOrActionNearMissIsServed() {
    List<String> targeted =
        List.of("quantifier", "modality", "tense", "clock_time", "negation", "antonym", "action");

    assertThat(
            outcomes.stream()
                .filter(o -> !o.paraphrase() && o.hit() && targeted.contains(o.category())))
        .isEmpty();
  }
}
