package dev.aigateway.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.aigateway.api.SemanticHitGuard;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LearnedVerifierTest {

  /** Knows "hot" / "cold" as opposites and "mend" / "repair" as synonyms. */
  private static final WordRelations RELATIONS =
      new WordRelations() {
        @Override
        public boolean synonyms(String x, String y) {
          return x.equals("mend") && y.equals("repair") || x.equals("repair") && y.equals("mend");
        }

        @Override
        public boolean antonyms(String x, String y) {
          return x.equals("hot") && y.equals("cold") || x.equals("cold") && y.equals("hot");
        }
      };

  private final AxisEmbeddings axes = new AxisEmbeddings("axes");

  private double[] features(String cached, String prompt) {
    return features(cached, prompt, SemanticHitGuard.NONE, false);
  }

  private double[] features(String cached, String prompt, SemanticHitGuard rules, boolean context) {
    return LearnedVerifier.builder(axes)
        .wordRelations(RELATIONS)
        .ruleGuard(rules)
        .context(context)
        .build()
        .features(cached, prompt, 0.9);
  }

  private static double feature(double[] f, String name) {
    int at = LearnedVerifier.featureNames().indexOf(name);
    assertThat(at).as(name).isNotNegative();
    return f[at];
  }

  @Test
  void surfaceFormsOfOneWordAreExplainedAndOtherWordsAreNot() {
    double[] acronym =
        features(
            "What does a BCD do on a scuba dive?",
            "What does a buoyancy control device do on a scuba dive?");
    assertThat(feature(acronym, "abbreviations")).isEqualTo(4);
    assertThat(feature(acronym, "unexplained_after_surface")).isZero();
    assertThat(feature(acronym, "all_explained")).isEqualTo(1);

    double[] spelling =
        features("What colour is the sky at dusk?", "What color is the sky at dusk?");
    assertThat(feature(spelling, "surface_explained")).isEqualTo(2);
    assertThat(feature(spelling, "all_explained")).isEqualTo(1);

    double[] swapped = features("How do I pin a chat?", "How do I mute a chat?");
    assertThat(feature(swapped, "surface_explained")).isZero();
    assertThat(feature(swapped, "unexplained_after_surface")).isEqualTo(2);
    assertThat(feature(swapped, "all_explained")).isZero();
  }

  @Test
  void aLongRunOfSeparatedNumbersIsReadWithoutExhaustingTheStack() {
    // A prompt listing thousands of numbers joined by commas (or dots, as in a long version or
    // address) is one number run: read without a regular expression's recursion per separator.
    String numbers = "Sort these: " + "7,".repeat(20_000) + "7";
    String other = "Sort these: " + "7,".repeat(19_999) + "8,7";

    double[] same = features(numbers, numbers);
    double[] differ = features(numbers, other);

    assertThat(feature(same, "numbers_differ")).isZero();
    assertThat(feature(differ, "numbers_differ")).isEqualTo(1);
    assertThat(
            LearnedVerifier.builder(axes)
                .wordRelations(RELATIONS)
                .build()
                .objection(numbers, other, 0.95))
        .isPresent();
  }

  @Test
  void numbersAreComparedByValueAndNamesByTheirWords() {
    double[] words = features("List five ideas for a party.", "List 5 ideas for a party.");
    assertThat(feature(words, "number_values_differ")).isZero();
    assertThat(feature(words, "numbers_differ")).isEqualTo(1);
    assertThat(feature(words, "same_normal_words")).isEqualTo(1);
    double[] other = features("List five ideas for a party.", "List 6 ideas for a party.");
    assertThat(feature(other, "number_values_differ")).isEqualTo(1);
    double[] units = features("Can my drone fly 2 km away?", "Can my drone fly 2,000 metres away?");
    assertThat(feature(units, "number_values_differ")).isZero();
    assertThat(feature(units, "same_quantities_converted")).isZero();
    double[] converted = features("Set a JVM heap of 2 GB.", "Set a JVM heap of 2048 MB.");
    assertThat(feature(converted, "number_values_differ")).isEqualTo(1);
    assertThat(feature(converted, "same_quantities_converted")).isEqualTo(1);
    double[] other6 = features("Set a JVM heap of 2 GB.", "Set a JVM heap of 200 MB.");
    assertThat(feature(other6, "same_quantities_converted")).isZero();
    double[] moved = features("Why won't my nozzle heat up?", "Why will my nozzle not heat up?");
    assertThat(feature(moved, "same_normal_words")).isZero();
    assertThat(feature(moved, "same_normal_word_bag")).isEqualTo(1);

    double[] casing =
        features("Translate this into Italian please.", "translate this into italian please");
    assertThat(feature(casing, "names_missing")).isZero();
    double[] language =
        features("Translate this into Italian please.", "Translate this into Spanish please.");
    assertThat(feature(language, "names_missing")).isEqualTo(2);
  }

  @Test
  void aChangedFunctionWordAndASwapAroundAPivotAreSeen() {
    double[] preposition =
        features(
            "Move the savings to the checking account",
            "Move the savings from the checking account");
    assertThat(feature(preposition, "function_only")).isEqualTo(1);
    assertThat(feature(preposition, "prepositions_differ")).isEqualTo(2);
    assertThat(feature(preposition, "conjunctions_differ")).isZero();

    double[] conjunction =
        features("Find users who are admins and active", "Find users who are admins or active");
    assertThat(feature(conjunction, "conjunctions_differ")).isEqualTo(2);
    assertThat(feature(conjunction, "one_function_word_swapped")).isEqualTo(1);
    assertThat(feature(preposition, "one_function_word_swapped")).isEqualTo(1);

    double[] quantifier =
        features("Return the first match in the list", "Return every match in the list");
    assertThat(feature(quantifier, "quantifiers_differ")).isEqualTo(2);

    double[] causal =
        features(
            "Does a dull tool cause tear-out on end grain?",
            "Does tear-out on end grain cause a dull tool?");
    assertThat(feature(causal, "swapped_around_pivot")).isEqualTo(1);
    double[] same =
        features(
            "Does a dull tool cause tear-out on end grain?",
            "Can a dull tool cause tear-out on end grain?");
    assertThat(feature(same, "swapped_around_pivot")).isZero();
  }

  private static final List<String> VOCABULARY =
      List.of("translate", "this", "from", "english", "to", "german", "please");

  /**
   * Words split at spaces; each word's vector is its own axis (its place in the vocabulary) plus,
   * within a text of several words, half an axis for its context: one axis after "from", another
   * after any other word or at the start.
   */
  private static final TokenVectorModel CONTEXTUAL =
      text -> {
        List<String> words = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        String previous = "";
        for (String w : text.toLowerCase(java.util.Locale.ROOT).split("[^a-z]+")) {
          if (w.isEmpty()) {
            continue;
          }
          float[] v = new float[VOCABULARY.size() + 2];
          v[VOCABULARY.indexOf(w)] = 1;
          if (text.indexOf(' ') >= 0) {
            v[VOCABULARY.size() + (previous.equals("from") ? 0 : 1)] = 0.5f;
          }
          words.add(w);
          vectors.add(v);
          previous = w;
        }
        return new TokenVectorModel.WordVectors(words, vectors);
      };

  private double[] inContext(String cached, String prompt, TokenVectorModel tokens) {
    return LearnedVerifier.builder(axes)
        .wordRelations(RELATIONS)
        .ruleGuard(SemanticHitGuard.NONE)
        .tokenVectors(tokens)
        .build()
        .features(cached, prompt, 0.9);
  }

  @Test
  void aSharedWordThatMovedToAnotherContextIsSeenInContext() {
    double[] same =
        inContext(
            "translate this from english to german",
            "translate this from english to german",
            CONTEXTUAL);
    assertThat(feature(same, "greedy_f")).isCloseTo(1.0, within(1e-9));
    assertThat(feature(same, "same_word_min")).isCloseTo(1.0, within(1e-9));
    assertThat(feature(same, "same_word_shift_min")).isCloseTo(1.0, within(1e-9));
    assertThat(feature(same, "same_word_misaligned")).isZero();

    double[] swapped =
        inContext(
            "translate this from english to german",
            "translate this from german to english",
            CONTEXTUAL);
    // "english" follows "from" on one side only: what context added to it points elsewhere
    assertThat(feature(swapped, "same_word_shift_min")).isCloseTo(0.0, within(1e-9));
    assertThat(feature(swapped, "same_word_min")).isLessThan(1.0);
    assertThat(feature(swapped, "same_word_shift_mean")).isLessThan(1.0);

    double[] polite =
        inContext(
            "translate this from english to german",
            "please translate this from english to german",
            CONTEXTUAL);
    assertThat(feature(polite, "same_word_shift_min")).isCloseTo(1.0, within(1e-9));
    assertThat(feature(polite, "greedy_f")).isLessThan(1.0).isGreaterThan(0.5);
  }

  @Test
  void withoutTokenVectorsTheInContextFeaturesStayAtZero() {
    double[] without = features("translate from english to german", "translate to german");
    double[] failing =
        inContext(
            "translate from english to german",
            "translate to german",
            text -> {
              throw new java.io.IOException("no model");
            });
    for (int j = 0; j < without.length; j++) {
      if (LearnedVerifier.featureGroups().get(j).equals("in_context")) {
        assertThat(without[j]).as(LearnedVerifier.featureNames().get(j)).isZero();
        assertThat(failing[j]).as(LearnedVerifier.featureNames().get(j)).isZero();
      }
    }
    assertThat(LearnedVerifier.featureGroups()).contains("in_context");
  }

  @Test
  void wordsAreReadInContextOnlyForAModelThatWeighsThem() {
    java.util.concurrent.atomic.AtomicInteger calls =
        new java.util.concurrent.atomic.AtomicInteger();
    TokenVectorModel counting =
        text -> {
          calls.incrementAndGet();
          return CONTEXTUAL.wordVectors(text);
        };
    LearnedVerifier.builder(axes)
        .wordRelations(RELATIONS)
        .tokenVectors(counting)
        .build()
        .objection("translate this from english to german", "translate this to german", 0.9);
    assertThat(calls).as("the shipped model gives the in_context group no weight").hasValue(0);

    // a model whose weight is on a feature of the in_context group
    int at = LearnedVerifier.featureNames().indexOf("same_word_shift_min");
    Random random = new Random(3);
    List<double[]> rows = new ArrayList<>();
    boolean[] labels = new boolean[100];
    for (int i = 0; i < labels.length; i++) {
      double[] row = new double[LearnedVerifier.featureNames().size()];
      labels[i] = i % 2 == 0;
      row[at] = (labels[i] ? 0.9 : 0.2) + 0.1 * random.nextGaussian();
      rows.add(row);
    }
    VerifierModel reading = VerifierModel.train(rows, labels, 1.0, 1.0, 0.5, null);
    LearnedVerifier verifier =
        LearnedVerifier.builder(axes)
            .wordRelations(RELATIONS)
            .ruleGuard(SemanticHitGuard.NONE)
            .tokenVectors(counting)
            .model(reading)
            .build();
    assertThat(
            verifier.objection(
                "translate this from english to german",
                "translate this from german to english",
                0.9))
        .as("english moved out of its place")
        .contains(LearnedVerifier.CATEGORY);
    assertThat(calls.get()).isPositive();
    assertThat(
            verifier.objection(
                "translate this from english to german",
                "please translate this from english to german",
                0.9))
        .isEmpty();
  }

  @Test
  void everyFeatureHasANameAndAGroup() {
    assertThat(LearnedVerifier.featureNames()).doesNotHaveDuplicates();
    assertThat(LearnedVerifier.featureGroups()).hasSameSizeAs(LearnedVerifier.featureNames());
    assertThat(LearnedVerifier.featureGroups())
        .containsOnly(
            "cosine",
            "shape",
            "alignment",
            "words",
            "relations",
            "tokens",
            "order",
            "guard",
            "surface",
            "function",
            "context",
            "conversion",
            "in_context");
    assertThat(features("How do I pin a chat?", "How do I mute a chat?"))
        .hasSize(LearnedVerifier.featureNames().size());
  }

  @Test
  void aReplacedWordIsOneDifferenceOnEachSide() {
    double[] f = features("Board games for toddlers", "Board games for teenagers");

    assertThat(feature(f, "cosine")).isEqualTo(0.9);
    assertThat(feature(f, "differing_a")).isEqualTo(1);
    assertThat(feature(f, "differing_b")).isEqualTo(1);
    assertThat(feature(f, "one_side_only")).isZero();
    assertThat(feature(f, "no_difference")).isZero();
    assertThat(feature(f, "worst_word_match")).isZero(); // two axes
    assertThat(feature(f, "words_below_half")).isEqualTo(2);
    assertThat(feature(f, "span_cosine")).isZero();
  }

  @Test
  void anAddedWordIsADifferenceOnOneSideOnly() {
    double[] f = features("Board games for toddlers", "Board games for shy toddlers");

    assertThat(feature(f, "differing_a")).isZero();
    assertThat(feature(f, "differing_b")).isEqualTo(1);
    assertThat(feature(f, "one_side_only")).isEqualTo(1);
    assertThat(feature(f, "worst_word_match")).isZero();
  }

  @Test
  void closeWordsByTheEmbeddingCountAsAGoodMatch() {
    axes.vectors.put("toddlers", new float[] {1, 0, 0});
    axes.vectors.put("infants", new float[] {0.96f, 0.28f, 0});

    double[] f = features("Board games for toddlers", "Board games for infants");

    assertThat(feature(f, "worst_word_match"))
        .isCloseTo(0.96, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(feature(f, "words_below_half")).isZero();
  }

  @Test
  void theSameContentWordsInAnotherOrderAreAnOrderChange() {
    double[] f = features("Translate from English to German", "Translate from German to English");

    assertThat(feature(f, "no_difference")).isEqualTo(1);
    assertThat(feature(f, "discordant_share")).isGreaterThan(0);
    assertThat(feature(f, "same_words_other_order")).isEqualTo(1);

    double[] same = features("Translate from English to German", "Translate English to German");
    assertThat(feature(same, "discordant_share")).isZero();
    assertThat(feature(same, "same_words_other_order")).isZero();
  }

  @Test
  void numbersNamesAndNegationsThatDifferAreSeen() {
    double[] numbers = features("Refund within 3 days", "Refund within 5 days");
    assertThat(feature(numbers, "numbers_differ")).isEqualTo(1);

    double[] names = features("Cheap flights to Paris", "Cheap flights to Berlin");
    assertThat(feature(names, "names_differ")).isEqualTo(1);
    assertThat(feature(names, "capital_words_differ")).isEqualTo(2);

    double[] negation = features("Does the plan include SSO?", "Does the plan not include SSO?");
    assertThat(feature(negation, "negations_differ")).isEqualTo(1);

    double[] plain = features("How do I reset my password?", "how do i reset my password");
    assertThat(feature(plain, "numbers_differ")).isZero();
    assertThat(feature(plain, "names_differ")).isZero();
    assertThat(feature(plain, "negations_differ")).isZero();
  }

  @Test
  void theWordRelationsTellOppositesAndSameMeanings() {
    double[] opposite = features("Why is my soup hot?", "Why is my soup cold?");
    assertThat(feature(opposite, "opposites")).isEqualTo(1);
    assertThat(feature(opposite, "explained_share")).isZero();
    assertThat(feature(opposite, "unexplained_words")).isEqualTo(2);

    double[] same = features("How do I mend a bike tyre?", "How do I repair a bike tyre?");
    assertThat(feature(same, "opposites")).isZero();
    assertThat(feature(same, "explained_share")).isEqualTo(1);

    double[] listed = features("How do I modify my settings?", "How do I change my settings?");
    assertThat(feature(listed, "explained_share")).isEqualTo(1);
  }

  @Test
  void theRuleGuardsObjectionIsAFeatureByKind() {
    SemanticHitGuard order = (a, b) -> Optional.of("order");

    double[] f = features("Is Rust faster than Go?", "Is Go faster than Rust?", order, false);

    assertThat(feature(f, "guard_objects")).isEqualTo(1);
    assertThat(feature(f, "guard_order")).isEqualTo(1);
    assertThat(feature(f, "guard_negation")).isZero();
    double[] none = features("Is Rust faster than Go?", "Is Go faster than Rust?");
    assertThat(feature(none, "guard_objects")).isZero();
  }

  @Test
  void contextFeaturesEmbedThePromptWithoutItsDifferingWordsOnlyWhenAskedTo() {
    double[] off = features("Board games for toddlers", "Board games for teenagers");
    assertThat(feature(off, "context_max")).isZero();
    int before = axes.calls.get();

    double[] on =
        features(
            "Board games for toddlers", "Board games for teenagers", SemanticHitGuard.NONE, true);

    assertThat(feature(on, "context_carried_a")).isEqualTo(1); // two different axes
    assertThat(feature(on, "context_max")).isEqualTo(1);
    assertThat(axes.calls.get() - before).isGreaterThanOrEqualTo(4);
  }

  @Test
  void anEmbeddingFailureIsNoSimilarityNeverAnException() {
    axes.failing = true;

    double[] f = features("Board games for toddlers", "Board games for teenagers");

    assertThat(feature(f, "worst_word_match")).isZero();
    LearnedVerifier verifier = LearnedVerifier.builder(axes).model(model(0.5)).build();
    assertThat(verifier.objection("Board games for toddlers", "Board games for teenagers"))
        .contains(LearnedVerifier.CATEGORY);
  }

  /** A model trained on pairs separated by their cosine alone. */
  private static VerifierModel model(double threshold) {
    Random random = new Random(7);
    List<double[]> rows = new ArrayList<>();
    boolean[] labels = new boolean[200];
    int d = LearnedVerifier.featureNames().size();
    for (int i = 0; i < 200; i++) {
      double[] row = new double[d];
      labels[i] = i % 2 == 0;
      row[0] = (labels[i] ? 0.9 : 0.7) + 0.15 * random.nextGaussian();
      row[1] = random.nextGaussian(); // noise in another feature
      rows.add(row);
    }
    return VerifierModel.train(rows, labels, 1.0, 1.0, threshold, null);
  }

  @Test
  void aTrainedModelLearnsWhatSeparatesTheLabels() {
    VerifierModel model = model(0.5);
    double[] high = new double[LearnedVerifier.featureNames().size()];
    double[] low = high.clone();
    high[0] = 0.95;
    low[0] = 0.6;

    assertThat(model.probability(high)).isGreaterThan(0.8);
    assertThat(model.probability(low)).isLessThan(0.2);
    assertThat(Math.abs(model.weights()[0])).isGreaterThan(Math.abs(model.weights()[1]));
    assertThat(model(0.5).format()).as("deterministic").isEqualTo(model.format());
  }

  @Test
  void aModelReadsBackFromItsTextForm() {
    VerifierModel model = model(0.42);
    double[] row = new double[LearnedVerifier.featureNames().size()];
    row[0] = 0.8;

    VerifierModel read = VerifierModel.parse(model.format());

    assertThat(read.threshold()).isEqualTo(0.42);
    assertThat(read.probability(row)).isEqualTo(model.probability(row));
    assertThatThrownBy(() -> VerifierModel.parse("cosine\t0\t1\t1\nbias\t0\nthreshold\t0.5\n"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> model.withThreshold(1.5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theVerifierObjectsBelowItsThresholdAndNeverOnTheSamePrompt() {
    LearnedVerifier never = LearnedVerifier.builder(axes).model(model(0.0)).build();
    LearnedVerifier always = LearnedVerifier.builder(axes).model(model(1.0)).build();

    assertThat(never.objection("Board games for toddlers", "Board games for teenagers", 0.8))
        .isEmpty();
    assertThat(always.objection("Board games for toddlers", "Board games for teenagers", 0.8))
        .contains("verifier");
    assertThat(always.objection("Board games", "Board games", 0.8)).isEmpty();
    LearnedVerifier byCosine = LearnedVerifier.builder(axes).model(model(0.5)).build();
    assertThat(byCosine.objection("Board games for toddlers", "Board games for kids", 0.95))
        .isEmpty();
    assertThat(byCosine.objection("Board games for toddlers", "Board games for kids", 0.69))
        .as("under the floor")
        .contains("verifier");
    assertThat(never.objection("Board games for toddlers", "Board games for kids", 0.69))
        .contains("verifier");
  }

  @Test
  void theShippedModelReadsAndFitsTheseFeatures() {
    VerifierModel shipped = VerifierModel.shipped();

    assertThat(shipped.names()).isEqualTo(LearnedVerifier.featureNames());
    assertThat(shipped.threshold()).isBetween(0.0, 1.0);
    assertThat(LearnedVerifier.builder(axes).build().model()).isSameAs(shipped);
  }

  @Test
  void theDefaultGuardIgnoresTheSimilarityItIsTold() {
    SemanticHitGuard guard = (a, b) -> a.equals(b) ? Optional.empty() : Optional.of("x");

    assertThat(guard.objection("a", "b", 0.99)).contains("x");
    assertThat(SemanticHitGuard.NONE.objection("a", "b", 0.1)).isEmpty();
  }
}
