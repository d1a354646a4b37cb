package dev.aigateway.core.cache;

import dev.aigateway.api.SemanticHitGuard;
import dev.aigateway.api.spi.EmbeddingModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What differs between two prompts, as numbers for {@link LearnedVerifier}: general measures of the
 * difference (how many aligned content words differ and where, how close the differing words are by
 * the embedding model and the word relations, whether numbers, names or the order of shared words
 * changed, how much of the sentence's embedding the differing words carry) rather than lists of
 * words. The names of the features are {@link #NAMES}; each belongs to a {@link Group}, so an
 * evaluation can leave a group out and measure what it buys.
 *
 * <p>Single words and short spans are embedded once and cached ({@value #CACHE_SIZE} texts);
 * features of the {@link Group#CONTEXT} group embed both whole prompts with their differing words
 * left out (two embeddings per pair, not cached). Thread-safe.
 */
final class VerifierFeatures {

  /** Groups of features, for ablation: a group left out is set to zero for every pair. */
  enum Group {
    /** The two prompts' cosine similarity. */
    COSINE,
    /** Lengths and the overlap of character trigrams. */
    SHAPE,
    /** Counts and shares of aligned content words that differ, and on which side. */
    ALIGNMENT,
    /** The embedding similarity of the differing words to their best counterpart, and of spans. */
    WORDS,
    /** Opposites and same-meaning words among the differing words, by the word relations. */
    RELATIONS,
    /** Numbers, names, function words and negations that differ. */
    TOKENS,
    /** Shared content words in another order. */
    ORDER,
    /** The rule guard's objection, by kind. */
    GUARD,
    /**
     * Differing words explained as the same word in another surface form (abbreviation, spelling,
     * unit, typing slip, compound, clipping), numbers compared by value, names by their words.
     */
    SURFACE,
    /** Which closed class of function words differs, and shared words swapped around a pivot. */
    FUNCTION,
    /** How much the differing words carry of each whole prompt's embedding. */
    CONTEXT,
    /**
     * Words read in context ({@link TokenVectorModel}): each prompt's words aligned to the other's
     * by the cosine of their contextual vectors, and how far the same word's vector moved.
     */
    IN_CONTEXT,
    /** The numbers are the same quantities once converted between units (rounding allowed). */
    CONVERSION
  }

  /** The kinds of the rule guard's objection that get a feature of their own. */
  static final List<String> GUARD_KINDS =
      List.of(
          "substitution",
          "order",
          "number",
          "negation",
          "entity",
          "antonym",
          "quantifier",
          "modality",
          "tense",
          "question",
          "relation",
          "owner",
          "condition");

  /** The feature names, in the order of {@link #features}. */
  static final List<String> NAMES;

  /** The group of each feature, in the order of {@link #NAMES}. */
  static final List<Group> GROUPS;

  static {
    List<String> names = new ArrayList<>();
    List<Group> groups = new ArrayList<>();
    add(names, groups, Group.COSINE, "cosine", "cosine_squared");
    add(names, groups, Group.SHAPE, "log_words", "length_ratio", "trigram_jaccard");
    add(
        names,
        groups,
        Group.ALIGNMENT,
        "differing_a",
        "differing_b",
        "differing_share",
        "one_side_only",
        "no_difference",
        "differing_at_start");
    add(
        names,
        groups,
        Group.WORDS,
        "worst_word_match",
        "mean_word_match",
        "words_below_half",
        "span_cosine",
        "worst_match_squared");
    add(names, groups, Group.RELATIONS, "opposites", "explained_share", "unexplained_words");
    add(
        names,
        groups,
        Group.TOKENS,
        "numbers_differ",
        "names_differ",
        "function_words_differ",
        "negations_differ",
        "capital_words_differ");
    add(names, groups, Group.ORDER, "discordant_share", "same_words_other_order");
    List<String> kinds = new ArrayList<>();
    kinds.add("guard_objects");
    for (String kind : GUARD_KINDS) {
      kinds.add("guard_" + kind);
    }
    add(names, groups, Group.GUARD, kinds.toArray(String[]::new));
    add(
        names,
        groups,
        Group.SURFACE,
        "surface_explained",
        "abbreviations",
        "unexplained_after_surface",
        "all_explained",
        "number_values_differ",
        "names_missing",
        "same_normal_words",
        "same_normal_word_bag");
    add(
        names,
        groups,
        Group.FUNCTION,
        "function_only",
        "prepositions_differ",
        "conjunctions_differ",
        "quantifiers_differ",
        "swapped_around_pivot",
        "one_function_word_swapped");
    add(names, groups, Group.CONTEXT, "context_carried_a", "context_carried_b", "context_max");
    add(names, groups, Group.CONVERSION, "same_quantities_converted");
    add(
        names,
        groups,
        Group.IN_CONTEXT,
        "greedy_f",
        "greedy_min_side",
        "worst_content_in_context",
        "same_word_min",
        "same_word_shift_min",
        "same_word_shift_mean",
        "same_word_misaligned");
    NAMES = List.copyOf(names);
    GROUPS = List.copyOf(groups);
  }

  private static void add(List<String> names, List<Group> groups, Group group, String... more) {
    for (String name : more) {
      names.add(name);
      groups.add(group);
    }
  }

  /** How many single words and spans are kept before the cache starts afresh. */
  static final int CACHE_SIZE = 20_000;

  /** How many prompts' words in context are kept before that cache starts afresh. */
  static final int IN_CONTEXT_CACHE_SIZE = 1_000;

  private static final Pattern TOKEN = Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{N}'.:%-]*");
  private static final Set<String> NEGATIONS =
      Set.of("not", "no", "never", "none", "nobody", "nothing", "without", "n't", "cannot");

  /** The built-in word lists of the base guard, for numbers, units and initials. */
  private static final GuardLexicon UNITS = new GuardLexicon(List.of(), List.of(), List.of());

  private final EmbeddingModel model;
  private final WordRelations relations;
  private final SemanticHitGuard ruleGuard;
  private final boolean context;
  private final TokenVectorModel tokenVectors;
  private final Map<String, float[]> vectors = new ConcurrentHashMap<>();
  private final Map<String, float[]> alone = new ConcurrentHashMap<>();
  private final Map<String, TokenVectorModel.WordVectors> inContext = new ConcurrentHashMap<>();

  /**
   * Features computed with {@code model} (for words, spans and, when {@code context}, whole
   * prompts), {@code relations} and the objections of {@code ruleGuard} ({@link
   * SemanticHitGuard#NONE} leaves the guard's features at zero) and the words in context of {@code
   * tokenVectors} (null leaves the {@link Group#IN_CONTEXT} features at zero).
   */
  VerifierFeatures(
      EmbeddingModel model,
      WordRelations relations,
      SemanticHitGuard ruleGuard,
      boolean context,
      TokenVectorModel tokenVectors) {
    this.model = model;
    this.relations = relations;
    this.ruleGuard = ruleGuard;
    this.context = context;
    this.tokenVectors = tokenVectors;
  }

  /** The features of a pair whose prompts embed at {@code cosine}, in the order of NAMES. */
  double[] features(String cached, String prompt, double cosine) {
    return features(cached, prompt, cosine, true);
  }

  /**
   * The features of a pair, in the order of NAMES; without {@code inContext} the {@link
   * Group#IN_CONTEXT} features stay at zero and no words are read in context (for a model that
   * gives them no weight).
   */
  double[] features(String cached, String prompt, double cosine, boolean inContext) {
    double[] f = new double[NAMES.size()];
    int i = 0;
    f[i++] = cosine;
    f[i++] = cosine * cosine;
    AlignedPrompt a = AlignedPrompt.of(cached);
    AlignedPrompt b = AlignedPrompt.of(prompt);
    int na = a.lemmas.size();
    int nb = b.lemmas.size();
    f[i++] = Math.log1p(na + nb);
    f[i++] = (double) Math.min(na, nb) / Math.max(1, Math.max(na, nb));
    f[i++] = trigramJaccard(cached, prompt);
    // content words aligned by their lemmas (longest common subsequence)
    boolean[] sharedA = new boolean[na];
    boolean[] sharedB = new boolean[nb];
    align(a.lemmas, b.lemmas, sharedA, sharedB);
    List<String> onlyA = unshared(a.words, sharedA);
    List<String> onlyB = unshared(b.words, sharedB);
    // a word of one side that only moved is not a difference of words
    List<String> movedA = new ArrayList<>(onlyA);
    List<String> movedB = new ArrayList<>(onlyB);
    removeCommonLemmas(movedA, movedB);
    int da = movedA.size();
    int db = movedB.size();
    f[i++] = da;
    f[i++] = db;
    f[i++] = (double) (da + db) / Math.max(1, na + nb);
    f[i++] = (da == 0) != (db == 0) ? 1 : 0;
    f[i++] = da + db == 0 ? 1 : 0;
    f[i++] = firstDifferenceAtStart(sharedA, sharedB) ? 1 : 0;
    // embedding similarity of each differing word to its best counterpart on the other side
    double worst = 1;
    double sum = 0;
    int below = 0;
    int counted = 0;
    for (List<String>[] sides : pairsOfSides(movedA, movedB)) {
      for (String x : sides[0]) {
        double best = sides[1].isEmpty() ? 0 : -1;
        for (String y : sides[1]) {
          best = Math.max(best, similarity(x, y));
        }
        worst = Math.min(worst, best);
        sum += best;
        below += best < 0.5 ? 1 : 0;
        counted++;
      }
    }
    f[i++] = worst;
    f[i++] = counted == 0 ? 1 : sum / counted;
    f[i++] = below;
    f[i++] = spanCosine(movedA, movedB);
    f[i++] = worst * worst;
    // word relations among the differing words
    boolean opposite = false;
    int explained = 0;
    boolean[][] related = {new boolean[da], new boolean[db]};
    List<String>[][] sidePairs = pairsOfSides(movedA, movedB);
    for (int side = 0; side < 2; side++) {
      List<String>[] sides = sidePairs[side];
      for (int k = 0; k < sides[0].size(); k++) {
        String x = sides[0].get(k);
        boolean same = false;
        for (String y : sides[1]) {
          opposite |= opposites(x, y);
          same |= sameMeaning(x, y);
        }
        related[side][k] = same;
        explained += same ? 1 : 0;
      }
    }
    f[i++] = opposite ? 1 : 0;
    f[i++] = counted == 0 ? 1 : (double) explained / counted;
    f[i++] = counted - explained;
    // tokens the content words leave out: numbers, names, function words, negations
    List<String> ta = tokens(cached);
    List<String> tb = tokens(prompt);
    f[i++] = numbers(cached).equals(numbers(prompt)) ? 0 : 1;
    f[i++] = names(cached).equals(names(prompt)) ? 0 : 1;
    f[i++] = functionWordsDiffering(ta, tb);
    f[i++] = negations(ta) == negations(tb) ? 0 : 1;
    f[i++] = capitalsDiffering(cached, prompt);
    // order of the shared content words
    double discordant = discordantShare(a.lemmas, b.lemmas);
    f[i++] = discordant;
    f[i++] = da + db == 0 && discordant > 0 ? 1 : 0;
    // the rule guard's objection
    Optional<String> objection = objection(cached, prompt);
    f[i++] = objection.isPresent() ? 1 : 0;
    for (String kind : GUARD_KINDS) {
      f[i++] = objection.isPresent() && objection.get().equals(kind) ? 1 : 0;
    }
    // surface forms: the differing words that are another form of a word on the other side
    PromptMarkers ma = PromptMarkers.of(cached, UNITS);
    PromptMarkers mb = PromptMarkers.of(prompt, UNITS);
    SurfaceForms.Kind[] ka = new SurfaceForms.Kind[da];
    SurfaceForms.Kind[] kb = new SurfaceForms.Kind[db];
    List<String> wa = AlignedPrompt.tokens(cached);
    List<String> wb = AlignedPrompt.tokens(prompt);
    SurfaceForms.explain(movedA, ka, movedB, kb, wb, mb);
    SurfaceForms.explain(movedB, kb, movedA, ka, wa, ma);
    int unexplained = 0;
    for (int k = 0; k < da; k++) {
      unexplained += ka[k] == null && !related[0][k] ? 1 : 0;
    }
    for (int k = 0; k < db; k++) {
      unexplained += kb[k] == null && !related[1][k] ? 1 : 0;
    }
    f[i++] = SurfaceForms.count(ka, null) + SurfaceForms.count(kb, null);
    f[i++] =
        SurfaceForms.count(ka, SurfaceForms.Kind.ABBREVIATION)
            + SurfaceForms.count(kb, SurfaceForms.Kind.ABBREVIATION);
    f[i++] = unexplained;
    f[i++] = unexplained == 0 ? 1 : 0;
    boolean sameValues = SurfaceForms.sameQuantities(ma.numbers, mb.numbers, false);
    f[i++] = sameValues ? 0 : 1;
    f[i++] = namesMissing(cached, wb) + namesMissing(prompt, wa);
    List<String> normalA = SurfaceForms.normalWords(cached, UNITS);
    List<String> normalB = SurfaceForms.normalWords(prompt, UNITS);
    f[i++] = normalA.equals(normalB) ? 1 : 0;
    List<String> sortedA = new ArrayList<>(normalA);
    List<String> sortedB = new ArrayList<>(normalB);
    sortedA.sort(null);
    sortedB.sort(null);
    f[i++] = sortedA.equals(sortedB) ? 1 : 0;
    // which closed class of function words differs; shared words swapped around a pivot
    f[i++] = da + db == 0 && functionWordsDiffering(ta, tb) > 0 ? 1 : 0;
    f[i++] = SurfaceForms.classDiffering(wa, wb, SurfaceForms.PREPOSITIONS::contains);
    f[i++] = SurfaceForms.classDiffering(wa, wb, SurfaceForms.CONJUNCTIONS::contains);
    f[i++] = SurfaceForms.classDiffering(wa, wb, SurfaceForms.QUANTIFIERS::contains);
    f[i++] = SurfaceForms.swappedAroundPivot(a.lemmas, b.lemmas) ? 1 : 0;
    f[i++] = SurfaceForms.oneFunctionWordSwapped(normalA, normalB) ? 1 : 0;
    // how much of each prompt's embedding the differing words carry
    if (context) {
      double ca = carried(cached, onlyA);
      double cb = carried(prompt, onlyB);
      f[i++] = ca;
      f[i++] = cb;
      f[i++] = Math.max(ca, cb);
    } else {
      i += 3;
    }
    // a quantity written in another unit
    f[i++] = !sameValues && SurfaceForms.sameQuantities(ma.numbers, mb.numbers, true) ? 1 : 0;
    // words read in context
    if (inContext) {
      inContext(cached, prompt, f, i);
    }
    return f;
  }

  /**
   * Writes the {@link Group#IN_CONTEXT} features from {@code f[i]} on: the greedy alignment of each
   * side's words to the other's by the cosine of their contextual vectors (the F measure of the two
   * directions' mean best cosine, and the lower of the two); the worst best cosine of a content
   * word; and for content words both prompts share (paired by lemma, in order), the lowest cosine
   * of the pair's contextual vectors, the lowest and mean cosine of what context added to each (the
   * vector in the prompt less the word's vector alone), and the share of them whose best match on
   * the other side is another word. Without token vectors, or when they fail, all stay at zero.
   */
  private void inContext(String cached, String prompt, double[] f, int i) {
    if (tokenVectors == null) {
      return;
    }
    TokenVectorModel.WordVectors a = wordsInContext(cached);
    TokenVectorModel.WordVectors b = wordsInContext(prompt);
    if (a == null || b == null) {
      return;
    }
    List<Integer> ia = wordIndices(a);
    List<Integer> ib = wordIndices(b);
    if (ia.isEmpty() || ib.isEmpty()) {
      return;
    }
    double[][] sim = new double[ia.size()][ib.size()];
    for (int x = 0; x < ia.size(); x++) {
      for (int y = 0; y < ib.size(); y++) {
        sim[x][y] = cosine(a.vectors().get(ia.get(x)), b.vectors().get(ib.get(y)));
      }
    }
    double[] bestA = new double[ia.size()];
    int[] argA = new int[ia.size()];
    double[] bestB = new double[ib.size()];
    java.util.Arrays.fill(bestA, -1);
    java.util.Arrays.fill(bestB, -1);
    for (int x = 0; x < ia.size(); x++) {
      for (int y = 0; y < ib.size(); y++) {
        if (sim[x][y] > bestA[x]) {
          bestA[x] = sim[x][y];
          argA[x] = y;
        }
        bestB[y] = Math.max(bestB[y], sim[x][y]);
      }
    }
    double precision = mean(bestA);
    double recall = mean(bestB);
    f[i] = precision + recall <= 0 ? 0 : 2 * precision * recall / (precision + recall);
    f[i + 1] = Math.min(precision, recall);
    double worst = 1;
    for (int x = 0; x < ia.size(); x++) {
      worst = isContent(a.words().get(ia.get(x))) ? Math.min(worst, bestA[x]) : worst;
    }
    for (int y = 0; y < ib.size(); y++) {
      worst = isContent(b.words().get(ib.get(y))) ? Math.min(worst, bestB[y]) : worst;
    }
    f[i + 2] = worst;
    // content words on both sides, paired by lemma in order of appearance
    boolean[] used = new boolean[ib.size()];
    double pairMin = 1;
    double shiftMin = 1;
    double shiftSum = 0;
    int pairs = 0;
    int misaligned = 0;
    for (int x = 0; x < ia.size(); x++) {
      String word = a.words().get(ia.get(x));
      if (!isContent(word)) {
        continue;
      }
      String lemma = AlignedPrompt.lemma(word);
      for (int y = 0; y < ib.size(); y++) {
        String other = b.words().get(ib.get(y));
        if (!used[y] && AlignedPrompt.lemma(other).equals(lemma)) {
          used[y] = true;
          pairs++;
          pairMin = Math.min(pairMin, sim[x][y]);
          misaligned += argA[x] != y && sim[x][argA[x]] > sim[x][y] ? 1 : 0;
          float[] own = aloneVector(word);
          double shift =
              own == null
                  ? sim[x][y]
                  : cosine(
                      minus(a.vectors().get(ia.get(x)), own),
                      minus(b.vectors().get(ib.get(y)), own));
          shiftMin = Math.min(shiftMin, shift);
          shiftSum += shift;
          break;
        }
      }
    }
    f[i + 3] = pairMin;
    f[i + 4] = shiftMin;
    f[i + 5] = pairs == 0 ? 1 : shiftSum / pairs;
    f[i + 6] = pairs == 0 ? 0 : (double) misaligned / pairs;
  }

  /** The positions of the words that hold a letter or a digit (punctuation marks left out). */
  private static List<Integer> wordIndices(TokenVectorModel.WordVectors v) {
    List<Integer> out = new ArrayList<>(v.size());
    for (int k = 0; k < v.size(); k++) {
      String w = v.words().get(k);
      for (int c = 0; c < w.length(); c++) {
        if (Character.isLetterOrDigit(w.charAt(c))) {
          out.add(k);
          break;
        }
      }
    }
    return out;
  }

  private static boolean isContent(String word) {
    return !AlignedPrompt.isFunctionWord(word);
  }

  private static double mean(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return values.length == 0 ? 0 : sum / values.length;
  }

  private static float[] minus(float[] a, float[] b) {
    float[] out = new float[a.length];
    for (int d = 0; d < a.length && d < b.length; d++) {
      out[d] = a[d] - b[d];
    }
    return out;
  }

  /**
   * The words of a prompt in context, kept for the last {@value #IN_CONTEXT_CACHE_SIZE} prompts.
   */
  private TokenVectorModel.WordVectors wordsInContext(String text) {
    return cached(inContext, IN_CONTEXT_CACHE_SIZE, text, tokenVectors::wordVectors);
  }

  /** What {@link #cached} computes: may fail, may return null. */
  private interface Source<T> {
    T get(String text) throws IOException;
  }

  /**
   * {@code text}'s value in {@code cache}, else computed by {@code source} and kept (the cache
   * starts afresh at {@code size} entries); null when the source fails or gives nothing.
   */
  private static <T> T cached(Map<String, T> cache, int size, String text, Source<T> source) {
    T v = cache.get(text);
    if (v != null) {
      return v;
    }
    try {
      v = source.get(text);
    } catch (IOException | RuntimeException e) {
      return null;
    }
    if (v == null || v instanceof float[] f && f.length == 0) {
      return null;
    }
    if (cache.size() >= size) {
      cache.clear();
    }
    cache.put(text, v);
    return v;
  }

  /** A word's contextual vector when it is the whole text (its pieces averaged), cached. */
  private float[] aloneVector(String word) {
    float[] v = alone.get(word);
    if (v != null) {
      return v;
    }
    TokenVectorModel.WordVectors w;
    try {
      w = tokenVectors.wordVectors(word);
    } catch (IOException | RuntimeException e) {
      return null;
    }
    if (w == null || w.size() == 0) {
      return null;
    }
    v = new float[w.vectors().get(0).length];
    for (float[] piece : w.vectors()) {
      for (int d = 0; d < v.length && d < piece.length; d++) {
        v[d] += piece[d] / w.size();
      }
    }
    if (alone.size() >= CACHE_SIZE) {
      alone.clear();
    }
    alone.put(word, v);
    return v;
  }

  private Optional<String> objection(String cached, String prompt) {
    try {
      Optional<String> objection = ruleGuard.objection(cached, prompt);
      return objection == null ? Optional.empty() : objection;
    } catch (RuntimeException e) {
      return Optional.of("failed");
    }
  }

  @SuppressWarnings("unchecked")
  private static List<String>[][] pairsOfSides(List<String> a, List<String> b) {
    return new List[][] {{a, b}, {b, a}};
  }

  /** Marks the lemmas of a longest common subsequence of {@code a} and {@code b}. */
  static void align(List<String> a, List<String> b, boolean[] sharedA, boolean[] sharedB) {
    int n = a.size();
    int m = b.size();
    int[][] lcs = new int[n + 1][m + 1];
    for (int x = n - 1; x >= 0; x--) {
      for (int y = m - 1; y >= 0; y--) {
        lcs[x][y] =
            a.get(x).equals(b.get(y))
                ? lcs[x + 1][y + 1] + 1
                : Math.max(lcs[x + 1][y], lcs[x][y + 1]);
      }
    }
    int x = 0;
    int y = 0;
    while (x < n && y < m) {
      if (a.get(x).equals(b.get(y))) {
        sharedA[x++] = true;
        sharedB[y++] = true;
      } else if (lcs[x + 1][y] >= lcs[x][y + 1]) {
        x++;
      } else {
        y++;
      }
    }
  }

  private static List<String> unshared(List<String> words, boolean[] shared) {
    List<String> out = new ArrayList<>();
    for (int k = 0; k < words.size(); k++) {
      if (!shared[k]) {
        out.add(words.get(k));
      }
    }
    return out;
  }

  private static void removeCommonLemmas(List<String> a, List<String> b) {
    for (int x = a.size() - 1; x >= 0; x--) {
      String lemma = AlignedPrompt.lemma(a.get(x));
      for (int y = 0; y < b.size(); y++) {
        if (AlignedPrompt.lemma(b.get(y)).equals(lemma)) {
          a.remove(x);
          b.remove(y);
          break;
        }
      }
    }
  }

  private static boolean firstDifferenceAtStart(boolean[] sharedA, boolean[] sharedB) {
    return sharedA.length > 0 && !sharedA[0] || sharedB.length > 0 && !sharedB[0];
  }

  /**
   * The share of character trigrams (lower case, spaces squeezed) the two prompts have in common.
   */
  static double trigramJaccard(String x, String y) {
    Set<String> a = trigrams(x);
    Set<String> b = trigrams(y);
    if (a.isEmpty() && b.isEmpty()) {
      return 1;
    }
    int common = 0;
    for (String t : a) {
      common += b.contains(t) ? 1 : 0;
    }
    return (double) common / (a.size() + b.size() - common);
  }

  private static Set<String> trigrams(String text) {
    String s = " " + text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ").trim() + " ";
    Set<String> out = new HashSet<>();
    for (int k = 0; k + 3 <= s.length(); k++) {
      out.add(s.substring(k, k + 3));
    }
    return out;
  }

  /** Lower-case word tokens of a prompt, with "n't" split off. */
  static List<String> tokens(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = TOKEN.matcher(text.toLowerCase(Locale.ROOT));
    while (m.find()) {
      String t = m.group().replaceAll("[.:'-]+$", "");
      if (t.endsWith("n't") && t.length() > 3) {
        out.add(t.substring(0, t.length() - 3));
        out.add("n't");
      } else if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  /**
   * The numbers of a prompt, sorted: each run of ASCII digits groups joined by single dots, commas
   * or colons ({@code 1,000}, {@code 3.14}, {@code 10:30}), its commas dropped. Read by a scan, not
   * a regular expression: a group repeated per separator recurses once per group, and a prompt
   * listing some thousands of numbers (7,3,9,…) would exhaust the stack.
   */
  static List<String> numbers(String text) {
    List<String> out = new ArrayList<>();
    int n = text.length();
    int i = 0;
    while (i < n) {
      if (!asciiDigit(text.charAt(i))) {
        i++;
        continue;
      }
      int start = i;
      i = digitsEnd(text, i);
      while (i + 1 < n && separator(text.charAt(i)) && asciiDigit(text.charAt(i + 1))) {
        i = digitsEnd(text, i + 1);
      }
      out.add(text.substring(start, i).replace(",", ""));
    }
    out.sort(null);
    return out;
  }

  private static int digitsEnd(String text, int i) {
    while (i < text.length() && asciiDigit(text.charAt(i))) {
      i++;
    }
    return i;
  }

  private static boolean asciiDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean separator(char c) {
    return c == '.' || c == ',' || c == ':';
  }

  /** Capitalised words that do not open a sentence, lower case, sorted. */
  private static List<String> names(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = TOKEN.matcher(text);
    boolean opening = true;
    int last = 0;
    while (m.find()) {
      String between = text.substring(last, m.start());
      opening |= between.contains(".") || between.contains("?") || between.contains("!");
      String t = m.group();
      if (!opening && Character.isUpperCase(t.charAt(0)) && !t.equals("I")) {
        out.add(t.toLowerCase(Locale.ROOT));
      }
      opening = false;
      last = m.end();
    }
    out.sort(null);
    return out;
  }

  /** Names of {@code text} (capitalised words) whose word is not among {@code otherTokens}. */
  private static int namesMissing(String text, List<String> otherTokens) {
    int n = 0;
    for (String name : names(text)) {
      n += otherTokens.contains(name) ? 0 : 1;
    }
    return n;
  }

  /** Words written in capitals on one side only, lower case, counted. */
  private static int capitalsDiffering(String x, String y) {
    return SurfaceForms.unmatched(names(x), names(y));
  }

  /** Function words (in the guard's list) that one side has more often than the other. */
  private static int functionWordsDiffering(List<String> a, List<String> b) {
    return SurfaceForms.classDiffering(a, b, AlignedPrompt::isFunctionWord);
  }

  private static int negations(List<String> tokens) {
    int n = 0;
    for (String t : tokens) {
      n += NEGATIONS.contains(t) ? 1 : 0;
    }
    return n;
  }

  /**
   * The share of pairs of shared content words (each once on both sides) whose order differs
   * between the two prompts: 0 for the same order, 1 for the reverse.
   */
  static double discordantShare(List<String> a, List<String> b) {
    List<Integer> positions = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String w : a) {
      if (seen.add(w) && a.indexOf(w) == a.lastIndexOf(w) && b.indexOf(w) >= 0) {
        if (b.indexOf(w) == b.lastIndexOf(w)) {
          positions.add(b.indexOf(w));
        }
      }
    }
    int pairs = 0;
    int discordant = 0;
    for (int x = 0; x < positions.size(); x++) {
      for (int y = x + 1; y < positions.size(); y++) {
        pairs++;
        discordant += positions.get(x) > positions.get(y) ? 1 : 0;
      }
    }
    return pairs == 0 ? 0 : (double) discordant / pairs;
  }

  private boolean opposites(String x, String y) {
    try {
      return relations.antonyms(x, y);
    } catch (RuntimeException e) {
      return false;
    }
  }

  private boolean sameMeaning(String x, String y) {
    if (AlignedPrompt.knownSynonyms(x, y) || AlignmentGuard.misspelt(x, y)) {
      return true;
    }
    try {
      return relations.synonyms(x, y) || relations.forms(x, y) || relations.derivations(x, y);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The cosine similarity of two words or spans by the embedding model; 0 when it fails. */
  double similarity(String x, String y) {
    float[] vx = vector(x);
    float[] vy = vector(y);
    return vx == null || vy == null ? 0 : cosine(vx, vy);
  }

  /** The differing words of each side embedded as one span each: 1 when none, 0 for one side. */
  private double spanCosine(List<String> a, List<String> b) {
    if (a.isEmpty() && b.isEmpty()) {
      return 1;
    }
    if (a.isEmpty() || b.isEmpty()) {
      return 0;
    }
    return similarity(String.join(" ", a), String.join(" ", b));
  }

  /** 1 − the cosine of the prompt and the prompt without {@code words}; 0 when nothing differs. */
  private double carried(String prompt, List<String> words) {
    if (words.isEmpty()) {
      return 0;
    }
    Set<String> left = new HashSet<>(words);
    StringBuilder rest = new StringBuilder();
    for (String t : prompt.split("\\s+")) {
      String bare =
          t.toLowerCase(Locale.ROOT).replaceAll("^[^\\p{L}\\p{N}]+|[^\\p{L}\\p{N}]+$", "");
      if (!left.contains(bare)) {
        rest.append(t).append(' ');
      }
    }
    try {
      float[] whole = model.embed(prompt);
      float[] without = model.embed(rest.length() == 0 ? "?" : rest.toString().trim());
      return 1 - cosine(whole, without);
    } catch (IOException | RuntimeException e) {
      return 1;
    }
  }

  private float[] vector(String text) {
    return cached(vectors, CACHE_SIZE, text, model::embed);
  }

  static double cosine(float[] a, float[] b) {
    if (a.length != b.length) {
      return 0;
    }
    double dot = VectorMath.dot(a, 0, b, 0, a.length);
    double norms = VectorMath.dot(a, 0, a, 0, a.length) * VectorMath.dot(b, 0, b, 0, b.length);
    return norms == 0 ? 0 : dot / Math.sqrt(norms);
  }
}
