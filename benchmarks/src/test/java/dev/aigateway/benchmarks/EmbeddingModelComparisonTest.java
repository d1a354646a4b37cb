package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.benchmarks.EmbeddingModelComparison.Fold;
import dev.aigateway.benchmarks.EmbeddingModelComparison.Scored;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmbeddingModelComparisonTest {

  @Test
  void aucIsTheShareOfParaphraseNearMissPairsOrderedRightWithTiesHalf() {
    assertThat(EmbeddingModelComparison.auc(scored(new double[] {0.9, 0.8}, new double[] {0.1})))
        .isEqualTo(1.0);
    assertThat(EmbeddingModelComparison.auc(scored(new double[] {0.1}, new double[] {0.9, 0.8})))
        .isEqualTo(0.0);
    // paraphrases 0.9, 0.5; near misses 0.7, 0.5: (1 + 1 + 0 + 0.5) / 4
    assertThat(
            EmbeddingModelComparison.auc(scored(new double[] {0.9, 0.5}, new double[] {0.7, 0.5})))
        .isCloseTo(0.625, offset(1e-12));
    assertThat(EmbeddingModelComparison.auc(scored(new double[] {0.9}, new double[0]))).isNaN();
  }

  @Test
  void theThresholdIsTheLowestThatServesAtMostFivePercentOfTheNearMisses() {
    double[] nearMisses = new double[40];
    for (int i = 0; i < nearMisses.length; i++) {
      nearMisses[i] = 0.50 + i * 0.01; // 0.50 .. 0.89
    }
    List<Scored> training = scored(new double[] {0.95, 0.88, 0.60}, nearMisses);

    double t = EmbeddingModelComparison.threshold(training);

    // 5% of 40 = 2 may be served (0.89 and 0.88); 0.87 must not be.
    assertThat(t).isGreaterThan(0.87).isLessThan(0.8701);
    assertThat(training.stream().filter(s -> !s.paraphrase() && s.cosine() >= t)).hasSize(2);
  }

  @Test
  void whenTheGuardAloneKeepsWithinTheBoundEveryCosineIsServed() {
    List<Scored> training = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      training.add(new Scored(false, 0.99, i == 0)); // the guard objects to all but one
    }
    training.add(new Scored(true, 0.10, true));

    assertThat(EmbeddingModelComparison.threshold(training)).isEqualTo(Double.NEGATIVE_INFINITY);
  }

  @Test
  void eachSetIsJudgedWithTheThresholdAndTheCandidateChosenOnTheOthers() {
    // Candidate 0 scores every pair as it is; candidate 1's guard objects to every near miss.
    Map<String, List<Scored>> plain = new LinkedHashMap<>();
    Map<String, List<Scored>> guarded = new LinkedHashMap<>();
    for (String set : List.of("a", "b", "c")) {
      List<Scored> pairs = new ArrayList<>();
      List<Scored> withGuard = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        double nearMiss = set.equals("c") ? 0.95 : 0.60 + i * 0.01;
        pairs.add(new Scored(false, nearMiss, true));
        withGuard.add(new Scored(false, nearMiss, false));
        pairs.add(new Scored(true, 0.70 + i * 0.01, true));
        withGuard.add(new Scored(true, 0.70 + i * 0.01, true));
      }
      plain.put(set, pairs);
      guarded.put(set, withGuard);
    }

    List<Fold> alone = EmbeddingModelComparison.leaveOneSetOut(List.of(plain));
    List<Fold> chosen = EmbeddingModelComparison.leaveOneSetOut(List.of(plain, guarded));

    assertThat(alone).extracting(Fold::heldOut).containsExactly("a", "b", "c");
    // Held out "a": "b" and "c" hold 40 near misses, 2 may be served; c's twenty at 0.95 push the
    // threshold above 0.95, over every paraphrase of "a" (0.70 .. 0.89).
    Fold a = alone.get(0);
    assertThat(a.threshold()).isGreaterThan(0.95);
    assertThat(a.nearMissesServed()).isZero();
    assertThat(a.paraphrasesServed()).isZero();
    assertThat(a.paraphrases()).isEqualTo(20);
    assertThat(a.nearMisses()).isEqualTo(20);
    // Held out "c": "a" and "b" allow 2 near misses (their two 0.79s): threshold just above 0.78.
    Fold c = alone.get(2);
    assertThat(c.threshold()).isGreaterThan(0.78).isLessThan(0.79);
    assertThat(c.nearMissesServed()).isEqualTo(20);
    assertThat(c.paraphrasesServed()).isEqualTo(11); // 0.79 .. 0.89
    assertThat(chosen).allSatisfy(f -> assertThat(f.candidate()).isEqualTo(1));
    assertThat(chosen)
        .allSatisfy(
            f -> {
              assertThat(f.paraphrasesServed()).isEqualTo(20);
              assertThat(f.nearMissesServed()).isZero();
            });
  }

  @Test
  void theReportAndTheTimesNameEveryModelAndSet() throws IOException {
    Map<String, List<String[]>> sets = new LinkedHashMap<>();
    sets.put(
        "one",
        List.of(
            row("paraphrase", "How do I reset my password?", "How can I reset my password?"),
            row("near_miss", "How do I reset my password?", "How do I reset my username?")));
    sets.put(
        "two",
        List.of(
            row("paraphrase", "Translate this into German.", "Translate this to German."),
            row("near_miss", "Translate this into German.", "Translate this into French.")));
    EmbeddingModel model = new WordCounts();

    String report = EmbeddingModelComparison.report(model, sets);
    String times =
        EmbeddingModelComparison.timeSideBySide(
            sets, List.of(model, new WordCounts()), Integer.MAX_VALUE);
    String sampled = EmbeddingModelComparison.timeSideBySide(sets, List.of(model), 3);

    assertThat(report).contains("### word-counts", "| `one` |", "| `two` |", "| **pooled** |");
    assertThat(times).contains("6 distinct prompts").contains("| word-counts |");
    assertThat(sampled).contains("3 distinct prompts");
  }

  private static String[] row(String label, String cached, String incoming) {
    return new String[] {label, "test", cached, incoming, "holdout"};
  }

  private static List<Scored> scored(double[] paraphrases, double[] nearMisses) {
    List<Scored> scored = new ArrayList<>();
    for (double p : paraphrases) {
      scored.add(new Scored(true, p, true));
    }
    for (double n : nearMisses) {
      scored.add(new Scored(false, n, true));
    }
    return scored;
  }

  /** A bag of words hashed into 64 dimensions: similar texts share words. */
  private static final class WordCounts implements EmbeddingModel {
    @Override
    public float[] embed(String text) {
      float[] vector = new float[64];
      for (String word : text.toLowerCase(Locale.ROOT).split("\\W+")) {
        if (!word.isEmpty()) {
          vector[Math.floorMod(word.hashCode(), 64)] += 1;
        }
      }
      vector[0] += 0.01f;
      return vector;
    }

    @Override
    public String name() {
      return "word-counts";
    }
  }
}
