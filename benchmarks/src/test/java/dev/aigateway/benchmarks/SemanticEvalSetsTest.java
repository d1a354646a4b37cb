package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The evaluation sets of docs/semantic-eval.md: reproducible, well-formed and apart. */
class SemanticEvalSetsTest {

  private static final Path RESOURCES = Path.of("src", "main", "resources", "semantic-eval");

  @Test
  void theCommittedTuningSetIsWhatTheGeneratorWrites() throws IOException {
    List<String> committed = Files.readAllLines(RESOURCES.resolve("tuning.tsv"));

    assertThat(committed.subList(1, committed.size()))
        .containsExactlyElementsOf(TuningSetGenerator.generate());
  }

  @Test
  void everySetReadsWithItsLabelsAndTheTuningAndJudgedSetsAreLargeEnough() {
    for (String name : List.of("judged-3", "judged-2", "judged", "tuning", "pairs")) {
      List<String[]> rows = SemanticGuardEvaluation.read(name);

      assertThat(rows)
          .as(name)
          .allSatisfy(row -> assertThat(row[0]).isIn("paraphrase", "near_miss"));
      if (!name.equals("pairs")) {
        assertThat(rows).as(name).hasSizeGreaterThanOrEqualTo(300);
      }
    }
  }

  @Test
  void noPairOfTheJudgedSetIsInTheTuningSet() throws IOException {
    Set<String> tuning = new HashSet<>();
    for (String[] row : SemanticGuardEvaluation.read("tuning")) {
      tuning.add(row[2] + "\t" + row[3]);
    }
    List<String> judged =
        Files.readAllLines(RESOURCES.resolve("judged.tsv"), StandardCharsets.UTF_8);

    assertThat(judged.stream().skip(1).map(line -> line.split("\t")))
        .noneMatch(row -> tuning.contains(row[2] + "\t" + row[3]));
  }

  @Test
  void noPairOfTheSecondJudgedSetIsInAnyTuningSet() {
    Set<String> tuning = new HashSet<>();
    for (String name : List.of("judged", "tuning", "pairs")) {
      for (String[] row : SemanticGuardEvaluation.read(name)) {
        tuning.add(row[2].toLowerCase(java.util.Locale.ROOT));
        tuning.add(row[3].toLowerCase(java.util.Locale.ROOT));
      }
    }
    List<String[]> judged2 = SemanticGuardEvaluation.read("judged-2");

    assertThat(judged2).hasSizeGreaterThanOrEqualTo(500);
    assertThat(judged2.stream().filter(row -> row[0].equals("near_miss")).count())
        .isGreaterThanOrEqualTo(300);
    assertThat(judged2)
        .as("no prompt of judged-2.tsv is a prompt of a tuning set")
        .noneMatch(
            row ->
                tuning.contains(row[2].toLowerCase(java.util.Locale.ROOT))
                    || tuning.contains(row[3].toLowerCase(java.util.Locale.ROOT)));
  }

  @Test
  void noPromptOfTheThirdJudgedSetIsInAnyOtherSet() {
    Set<String> others = new HashSet<>();
    for (String name : List.of("judged-2", "judged", "tuning", "pairs")) {
      for (String[] row : SemanticGuardEvaluation.read(name)) {
        others.add(row[2].toLowerCase(java.util.Locale.ROOT));
        others.add(row[3].toLowerCase(java.util.Locale.ROOT));
      }
    }
    List<String[]> judged3 = SemanticGuardEvaluation.read("judged-3");

    assertThat(judged3).hasSizeGreaterThanOrEqualTo(600);
    assertThat(judged3.stream().filter(row -> row[0].equals("near_miss")).count())
        .isGreaterThanOrEqualTo(300);
    assertThat(judged3)
        .as("both methods, hand-written in new domains and word-swap pairs, are represented")
        .anyMatch(row -> row[4].equals("judged3-hand"))
        .anyMatch(row -> row[4].equals("judged3-paws"))
        .allMatch(row -> row[4].equals("judged3-hand") || row[4].equals("judged3-paws"));
    assertThat(judged3.stream().map(row -> row[2] + "\t" + row[3]).distinct().count())
        .as("no pair is repeated")
        .isEqualTo(judged3.size());
    assertThat(judged3)
        .as("no prompt of judged-3.tsv is a prompt of another set")
        .noneMatch(
            row ->
                others.contains(row[2].toLowerCase(java.util.Locale.ROOT))
                    || others.contains(row[3].toLowerCase(java.util.Locale.ROOT)));
  }

  @Test
  void wilsonIntervalsMatchKnownValues() {
    assertThat(SemanticGuardEvaluation.wilson(0, 193)).isEqualTo("[0.0, 2.0]");
    assertThat(SemanticGuardEvaluation.wilson(2, 193)).isEqualTo("[0.3, 3.7]");
    assertThat(SemanticGuardEvaluation.wilson(132, 153)).isEqualTo("[79.9, 90.8]");
  }
}
