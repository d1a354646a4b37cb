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

  /** Every set, the newest first. */
  private static final List<String> SETS =
      List.of(
          "judged-9",
          "judged-8",
          "judged-7",
          "judged-6",
          "judged-5",
          "judged-4",
          "judged-3",
          "judged-2",
          "judged",
          "tuning",
          "pairs");

  /** The methods of judged-7.tsv, each written apart and holding about 40% paraphrases. */
  private static final List<String> JUDGED7_METHODS =
      List.of("judged7-support", "judged7-dev", "judged7-context", Judged7TemplateGenerator.SPLIT);

  /** The methods of judged-8.tsv, each written apart and holding about 40% paraphrases. */
  private static final List<String> JUDGED8_METHODS =
      List.of("judged8-search", "judged8-wrapped", "judged8-learner", Judged8PairGenerator.SPLIT);

  /** The methods of judged-9.tsv, each written apart and holding about 40% paraphrases. */
  private static final List<String> JUDGED9_METHODS =
      List.of(
          "judged9-ticket",
          "judged9-long",
          "judged9-register",
          "judged9-code",
          Judged9PairGenerator.SPLIT);

  /** A sentence ends at a full stop, question mark or exclamation mark followed by a space. */
  private static final java.util.regex.Pattern SENTENCE_END =
      java.util.regex.Pattern.compile("(?<=[.?!])\\s+");

  @Test
  void theCommittedTuningSetIsWhatTheGeneratorWrites() throws IOException {
    List<String> committed = Files.readAllLines(RESOURCES.resolve("tuning.tsv"));

    assertThat(committed.subList(1, committed.size()))
        .containsExactlyElementsOf(TuningSetGenerator.generate());
  }

  @Test
  void everySetReadsWithItsLabelsAndTheTuningAndJudgedSetsAreLargeEnough() {
    for (String name : SETS) {
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
    Set<String> others = promptsOf("judged-2", "judged", "tuning", "pairs");
    List<String[]> judged3 = SemanticGuardEvaluation.read("judged-3");

    assertThat(judged3).hasSizeGreaterThanOrEqualTo(600);
    assertThat(judged3.stream().filter(row -> row[0].equals("near_miss")).count())
        .isGreaterThanOrEqualTo(300);
    assertEveryMethodAndNoRepeatedPair(judged3, "judged3-hand", "judged3-paws");
    assertThat(judged3)
        .as("no prompt of judged-3.tsv is a prompt of another set")
        .noneMatch(row -> others.contains(lower(row[2])) || others.contains(lower(row[3])));
  }

  @Test
  void noPromptOfTheFourthJudgedSetIsInAnyOtherSet() {
    assertNoPromptIsInTheOtherSets("judged-4", "judged-3", "judged-2", "judged", "tuning", "pairs");
  }

  @Test
  void theFourthJudgedSetIsWellFormed() {
    List<String[]> judged4 = SemanticGuardEvaluation.read("judged-4");

    assertThat(judged4).hasSizeGreaterThanOrEqualTo(650);
    assertJudgedSetShape(judged4, "judged4-hand", "judged4-qqp");
  }

  @Test
  void noPromptOfTheFifthJudgedSetIsInAnyOtherSet() {
    assertNoPromptIsInTheOtherSets(
        "judged-5", "judged-4", "judged-3", "judged-2", "judged", "tuning", "pairs");
  }

  @Test
  void theFifthJudgedSetIsWellFormed() {
    List<String[]> judged5 = SemanticGuardEvaluation.read("judged-5");

    assertThat(judged5).hasSizeGreaterThanOrEqualTo(700);
    assertJudgedSetShape(judged5, "judged5-hand", "judged5-chat");
  }

  @Test
  void theFifthJudgedSetHasKindsOfNearMissNoEarlierSetNames() {
    assertThat(newKindsOfNearMiss("judged-5", setsBefore("judged-5")))
        .as("kinds of near miss that no earlier set names")
        .hasSizeGreaterThanOrEqualTo(6);
  }

  @Test
  void noPromptOfTheSixthJudgedSetIsInAnyOtherSet() {
    assertNoPromptIsInTheOtherSets("judged-6", setsBefore("judged-6"));
  }

  @Test
  void theSixthJudgedSetIsWellFormed() {
    List<String[]> judged6 = SemanticGuardEvaluation.read("judged-6");

    assertThat(judged6).hasSizeGreaterThanOrEqualTo(700);
    assertJudgedSetShape(judged6, "judged6-task", "judged6-templ", "judged6-hand");
    assertEachMethodIsLargeWithAbout40PercentParaphrases(
        judged6, 200, List.of("judged6-task", "judged6-templ", "judged6-hand"));
  }

  @Test
  void theSixthJudgedSetHasAtLeastEightKindsOfNearMissNoEarlierSetNames() {
    Set<String> kinds = newKindsOfNearMiss("judged-6", setsBefore("judged-6"));

    assertThat(kinds)
        .as("kinds of near miss that no earlier set names")
        .hasSizeGreaterThanOrEqualTo(8)
        .contains(
            "output_language",
            "output_format",
            "item_count",
            "tone",
            "audience_level",
            "programming_language",
            "quoted_input_word",
            "quoted_data_value",
            "time_zone",
            "currency",
            "rounding_precision",
            "match_scope",
            "case_sensitivity",
            "and_or");
  }

  @Test
  void theSixthJudgedSetsTemplateRowsAreWhatTheGeneratorWrites() throws IOException {
    assertGeneratedRows(
        "judged-6", Judged6TemplateGenerator.SPLIT, Judged6TemplateGenerator.generate());
  }

  @Test
  void noPromptOfTheSeventhJudgedSetIsInAnyOtherSet() {
    assertNoPromptIsInTheOtherSets("judged-7", setsBefore("judged-7"));
  }

  @Test
  void theSeventhJudgedSetIsWellFormed() {
    assertFourMethodSetIsWellFormed("judged-7", JUDGED7_METHODS);
  }

  @Test
  void theSeventhJudgedSetHasAtLeastEightKindsOfNearMissNoEarlierSetNames() {
    Set<String> kinds = newKindsOfNearMiss("judged-7", setsBefore("judged-7"));

    assertThat(kinds)
        .as("kinds of near miss that no earlier set names")
        .hasSizeGreaterThanOrEqualTo(8)
        .contains(
            "sync_async",
            "recurring_one_off",
            "refund_exchange",
            "upgrade_downgrade",
            "permission_level",
            "threshold_side",
            "platform",
            "file_type",
            "domestic_international",
            "library_version",
            "error_message",
            "http_method");
  }

  @Test
  void theSeventhJudgedSetsContextPairsAreWrittenAsPassageAndQuestion() {
    assertBothPromptsHaveWords("judged-7", "judged7-context", 15, 60);
  }

  @Test
  void theSeventhJudgedSetsGeneratedRowsAreWhatTheGeneratorWrites() throws IOException {
    assertGeneratedRows(
        "judged-7", Judged7TemplateGenerator.SPLIT, Judged7TemplateGenerator.rows());
  }

  @Test
  void noPromptOfTheEighthJudgedSetIsInAnyOtherSet() {
    assertNoPromptIsInTheOtherSets("judged-8", setsBefore("judged-8"));
  }

  @Test
  void theEighthJudgedSetIsWellFormed() {
    assertFourMethodSetIsWellFormed("judged-8", JUDGED8_METHODS);
  }

  @Test
  void theEighthJudgedSetHasAtLeastEightKindsOfNearMissNoEarlierSetNames() {
    Set<String> kinds = newKindsOfNearMiss("judged-8", setsBefore("judged-8"));

    assertThat(kinds)
        .as("kinds of near miss that no earlier set names")
        .hasSizeGreaterThanOrEqualTo(8)
        .contains(
            "season",
            "gender",
            "dietary",
            "indoor_outdoor",
            "weekday_weekend",
            "new_used",
            "body_part",
            "material",
            "kinship",
            "transport_mode",
            "fuel_type",
            "employment_type",
            "extraction_target",
            "language_variant",
            "orientation",
            "product_variant",
            "raw_cooked",
            "marital_status");
  }

  @Test
  void theEighthJudgedSetsSearchQueriesAreTerse() {
    assertBothPromptsHaveWords("judged-8", "judged8-search", 2, 15);
  }

  @Test
  void theEighthJudgedSetsGeneratedRowsAreWhatTheGeneratorWrites() throws IOException {
    assertGeneratedRows("judged-8", Judged8PairGenerator.SPLIT, Judged8PairGenerator.rows());
  }

  @Test
  void noPromptOfTheNinthJudgedSetIsInAnyOtherSet() {
    assertNoPromptIsInTheOtherSets("judged-9", setsBefore("judged-9"));
  }

  @Test
  void theNinthJudgedSetIsNoneOfTheSetsTheVerifierIsFittedOn() {
    assertThat(VerifierEvaluation.SETS)
        .as("judged-9.tsv is judged once, at the end; nothing is fitted on it before")
        .noneMatch(name -> name.startsWith("judged-9"));
  }

  @Test
  void theNinthJudgedSetIsWellFormed() {
    List<String[]> judged9 = SemanticGuardEvaluation.read("judged-9");

    assertThat(judged9).hasSizeGreaterThanOrEqualTo(700);
    assertJudgedSetShape(judged9, JUDGED9_METHODS.toArray(String[]::new));
    assertEachMethodIsLargeWithAbout40PercentParaphrases(judged9, 120, JUDGED9_METHODS);
  }

  @Test
  void theNinthJudgedSetHasAtLeastEightKindsOfNearMissNoEarlierSetNames() {
    Set<String> kinds = newKindsOfNearMiss("judged-9", setsBefore("judged-9"));

    assertThat(kinds)
        .as("kinds of near miss that no earlier set names")
        .hasSizeGreaterThanOrEqualTo(8)
        .contains(
            "warranty_status",
            "plan_tier",
            "partial_full",
            "prior_attempt",
            "order_status",
            "approval_status",
            "service_level",
            "contact_channel",
            "jurisdiction",
            "device_ownership",
            "first_repeat",
            "howto_or_do",
            "operator",
            "index_base",
            "encoding",
            "in_place_copy",
            "age_group",
            "transmission",
            "ceremony_type",
            "water_treatment");
  }

  @Test
  void theNinthJudgedSetsTicketsHaveTwoToFourSentences() {
    assertBothPromptsCount(
        "judged-9", "judged9-ticket", "sentences", SemanticEvalSetsTest::sentences, 2, 4);
  }

  @Test
  void theNinthJudgedSetsLongPromptsHave120To220Words() {
    assertBothPromptsHaveWords("judged-9", "judged9-long", 120, 220);
  }

  @Test
  void theNinthJudgedSetsLongNearMissesDifferInTheFirstTheMiddleAndTheLastPart() {
    java.util.Map<String, Long> parts =
        SemanticGuardEvaluation.read("judged-9").stream()
            .filter(row -> row[4].equals("judged9-long") && row[0].equals("near_miss"))
            .collect(
                java.util.stream.Collectors.groupingBy(
                    row -> partThatDiffers(row[2], row[3]),
                    java.util.stream.Collectors.counting()));
    long all = parts.values().stream().mapToLong(Long::longValue).sum();

    assertThat(parts.keySet()).containsExactlyInAnyOrder("first", "middle", "last");
    assertThat(parts.values())
        .as("each part holds at least a fifth of the %d long near misses: %s", all, parts)
        .allSatisfy(count -> assertThat(count * 5).isGreaterThanOrEqualTo(all));
  }

  @Test
  void theNinthJudgedSetsGeneratedRowsAreWhatTheGeneratorWrites() throws IOException {
    assertGeneratedRows("judged-9", Judged9PairGenerator.SPLIT, Judged9PairGenerator.rows());
  }

  @Test
  void aQuarterOfTheNinthJudgedSetsGeneratedPairsIsOver100WordsLong() {
    List<String> rows = Judged9PairGenerator.rows();
    long longPairs =
        rows.stream()
            .map(row -> row.split("\t"))
            .filter(row -> words(row[2]) > 100 && words(row[3]) > 100)
            .count();

    assertThat(longPairs * 4)
        .as("%d of %d pairs", longPairs, rows.size())
        .isGreaterThanOrEqualTo(rows.size());
    assertThat(rows)
        .as("no generated prompt is blank, doubled in space or left with a slot")
        .allSatisfy(
            row -> {
              String[] cells = row.split("\t");
              assertThat(cells).hasSize(5);
              assertThat(cells[2] + cells[3]).doesNotContain("@").doesNotContain("  ");
            });
  }

  /**
   * Where two prompts of nearly the same words differ: "first" when every differing word lies in
   * the first half of the cached prompt, "last" when every one lies in its last quarter, and
   * "middle" otherwise (after the longest common prefix and suffix of words are set aside).
   */
  private static String partThatDiffers(String cached, String incoming) {
    String[] a = cached.split("\\s+");
    String[] b = incoming.split("\\s+");
    int prefix = 0;
    while (prefix < Math.min(a.length, b.length) && a[prefix].equals(b[prefix])) {
      prefix++;
    }
    int suffix = 0;
    while (suffix < Math.min(a.length, b.length) - prefix
        && a[a.length - 1 - suffix].equals(b[b.length - 1 - suffix])) {
      suffix++;
    }
    double start = (double) prefix / a.length;
    double end = (double) (a.length - suffix) / a.length;
    if (end <= 0.5) {
      return "first";
    }
    return start >= 0.75 ? "last" : "middle";
  }

  private static int sentences(String prompt) {
    return SENTENCE_END.split(prompt.strip()).length;
  }

  /** The rows of the set {@code name} with the split {@code split} are, in order, {@code rows}. */
  private static void assertGeneratedRows(String name, String split, List<String> rows)
      throws IOException {
    List<String> generated =
        Files.readAllLines(RESOURCES.resolve(name + ".tsv"), StandardCharsets.UTF_8).stream()
            .skip(1)
            .filter(line -> line.endsWith("\t" + split))
            .toList();

    assertThat(generated).as("%s's %s rows", name, split).containsExactlyElementsOf(rows);
  }

  /** A set of at least 700 pairs, of four methods of at least 150 pairs each. */
  private static void assertFourMethodSetIsWellFormed(String name, List<String> methods) {
    List<String[]> set = SemanticGuardEvaluation.read(name);

    assertThat(methods).hasSize(4);
    assertThat(set).as(name).hasSizeGreaterThanOrEqualTo(700);
    assertJudgedSetShape(set, methods.toArray(String[]::new));
    assertEachMethodIsLargeWithAbout40PercentParaphrases(set, 150, methods);
  }

  /**
   * Both prompts of every pair of {@code split} in the set have {@code min} to {@code max} words.
   */
  private static void assertBothPromptsHaveWords(String name, String split, int min, int max) {
    assertBothPromptsCount(name, split, "words", SemanticEvalSetsTest::words, min, max);
  }

  /**
   * Both prompts of every pair of {@code split} in the set have {@code min} to {@code max} of what
   * {@code count} counts ({@code unit}: words, sentences).
   */
  private static void assertBothPromptsCount(
      String name,
      String split,
      String unit,
      java.util.function.ToIntFunction<String> count,
      int min,
      int max) {
    List<String[]> rows =
        SemanticGuardEvaluation.read(name).stream().filter(row -> row[4].equals(split)).toList();

    assertThat(rows)
        .as("%s: both prompts have %d to %d %s", split, min, max, unit)
        .isNotEmpty()
        .allSatisfy(
            row -> {
              assertThat(count.applyAsInt(row[2])).as(row[2]).isBetween(min, max);
              assertThat(count.applyAsInt(row[3])).as(row[3]).isBetween(min, max);
            });
  }

  /** Each method has at least {@code minimum} rows, 35% to 45% of them paraphrases. */
  private static void assertEachMethodIsLargeWithAbout40PercentParaphrases(
      List<String[]> set, int minimum, List<String> methods) {
    for (String method : methods) {
      List<String[]> rows = set.stream().filter(row -> row[4].equals(method)).toList();
      long paraphrases = rows.stream().filter(row -> row[0].equals("paraphrase")).count();
      assertThat(rows).as(method).hasSizeGreaterThanOrEqualTo(minimum);
      assertThat(paraphrases * 100.0 / rows.size())
          .as("%s: about 40%% paraphrases", method)
          .isBetween(35.0, 45.0);
    }
  }

  /** The sets written before the set {@code name}. */
  private static String[] setsBefore(String name) {
    return SETS.subList(SETS.indexOf(name) + 1, SETS.size()).toArray(String[]::new);
  }

  /** The kinds of near miss of the set {@code name} that none of the {@code earlier} sets names. */
  private static Set<String> newKindsOfNearMiss(String name, String... earlier) {
    Set<String> earlierKinds = new HashSet<>();
    for (String set : earlier) {
      for (String[] row : SemanticGuardEvaluation.read(set)) {
        earlierKinds.add(row[1]);
      }
    }
    Set<String> kinds = new java.util.TreeSet<>();
    for (String[] row : SemanticGuardEvaluation.read(name)) {
      if (row[0].equals("near_miss") && !earlierKinds.contains(row[1])) {
        kinds.add(row[1]);
      }
    }
    return kinds;
  }

  @Test
  void theFifthJudgedSetsChatPairsAreWrittenAtChatLength() {
    List<String[]> chat =
        SemanticGuardEvaluation.read("judged-5").stream()
            .filter(row -> row[4].equals("judged5-chat"))
            .toList();

    assertThat(chat)
        .as("chat pairs: the longer prompt has 15 to 60 words, neither prompt more than 60")
        .isNotEmpty()
        .allSatisfy(
            row -> {
              int cached = words(row[2]);
              int incoming = words(row[3]);
              assertThat(Math.max(cached, incoming)).as(row[2]).isBetween(15, 60);
              assertThat(Math.min(cached, incoming)).as(row[3]).isPositive();
            });
  }

  /**
   * The shape of a judged set: labels, a category in snake case and two different prompts on every
   * row, about 40% paraphrases, every method and no repeated pair, no prompt used twice (in any
   * case), and at least 30 kinds of near miss.
   */
  private static void assertJudgedSetShape(List<String[]> rows, String... methods) {
    long paraphrases = rows.stream().filter(row -> row[0].equals("paraphrase")).count();

    assertThat(rows)
        .as("labels, a category in snake case and two prompts on every row")
        .allSatisfy(
            row -> {
              assertThat(row[0]).isIn("paraphrase", "near_miss");
              assertThat(row[1]).matches("[a-z]+(_[a-z]+)*");
              assertThat(row[2]).isNotBlank().isEqualTo(row[2].strip());
              assertThat(row[3]).isNotBlank().isEqualTo(row[3].strip());
              assertThat(lower(row[2])).isNotEqualTo(lower(row[3]));
            });
    assertThat(paraphrases * 100.0 / rows.size())
        .as("about 40% paraphrases, 60% near misses")
        .isBetween(35.0, 45.0);
    assertEveryMethodAndNoRepeatedPair(rows, methods);
    assertThat(
            rows.stream()
                .flatMap(row -> java.util.stream.Stream.of(lower(row[2]), lower(row[3])))
                .distinct()
                .count())
        .as("no prompt is used twice, even in another case")
        .isEqualTo(2L * rows.size());
    assertThat(
            rows.stream()
                .filter(row -> row[0].equals("near_miss"))
                .map(row -> row[1])
                .distinct()
                .count())
        .as("kinds of near miss")
        .isGreaterThanOrEqualTo(30);
  }

  private static int words(String prompt) {
    return prompt.strip().split("\\s+").length;
  }

  /** Every row is of one of the methods, each method has rows, and no pair is repeated. */
  private static void assertEveryMethodAndNoRepeatedPair(List<String[]> rows, String... methods) {
    List<String> names = List.of(methods);
    for (String method : names) {
      assertThat(rows)
          .as("method %s is represented", method)
          .anyMatch(row -> row[4].equals(method));
    }
    assertThat(rows)
        .as("every row is of one of the methods %s", names)
        .allMatch(row -> names.contains(row[4]));
    assertThat(rows.stream().map(row -> row[2] + "\t" + row[3]).distinct().count())
        .as("no pair is repeated")
        .isEqualTo(rows.size());
  }

  /** No prompt of the set {@code name}, in any case, is a prompt of one of the {@code others}. */
  private static void assertNoPromptIsInTheOtherSets(String name, String... others) {
    Set<String> prompts = promptsOf(others);

    assertThat(SemanticGuardEvaluation.read(name))
        .as("no prompt of %s.tsv is a prompt of another set", name)
        .noneMatch(row -> prompts.contains(lower(row[2])) || prompts.contains(lower(row[3])));
  }

  private static Set<String> promptsOf(String... names) {
    Set<String> prompts = new HashSet<>();
    for (String name : names) {
      for (String[] row : SemanticGuardEvaluation.read(name)) {
        prompts.add(lower(row[2]));
        prompts.add(lower(row[3]));
      }
    }
    return prompts;
  }

  private static String lower(String prompt) {
    return prompt.toLowerCase(java.util.Locale.ROOT);
  }

  @Test
  void wilsonIntervalsMatchKnownValues() {
    assertThat(SemanticGuardEvaluation.wilson(0, 193)).isEqualTo("[0.0, 2.0]");
    assertThat(SemanticGuardEvaluation.wilson(2, 193)).isEqualTo("[0.3, 3.7]");
    assertThat(SemanticGuardEvaluation.wilson(132, 153)).isEqualTo("[79.9, 90.8]");
  }
}
