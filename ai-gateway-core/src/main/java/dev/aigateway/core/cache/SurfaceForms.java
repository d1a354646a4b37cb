package dev.aigateway.core.cache;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Surface differences that leave a word's meaning as it was, for {@link VerifierFeatures}: an
 * abbreviation against its expansion, British against American spelling, two spellings of one unit,
 * a typing slip, a compound written as one word or two, a clipped word ("info" / "information").
 * Rules over the letters of the words, plus the built-in lists of {@value #RESOURCE} (abbreviations
 * that are not initials; closed classes of function words). Stateless and thread-safe.
 */
final class SurfaceForms {

  /** The resource of the built-in lists, beside this class. */
  static final String RESOURCE = "verifier-forms.txt";

  private static final WordLists LISTS = WordLists.read(SurfaceForms.class, RESOURCE);

  /** Abbreviation → the words of its expansion. */
  private static final Map<String, List<String>> ABBREVIATIONS = abbreviations();

  /** Prepositions, a closed class. */
  static final Set<String> PREPOSITIONS = Set.copyOf(LISTS.words("prepositions"));

  /** Coordinating and subordinating conjunctions, a closed class. */
  static final Set<String> CONJUNCTIONS = Set.copyOf(LISTS.words("conjunctions"));

  /** Quantifiers and determiners of quantity or rank, a closed class. */
  static final Set<String> QUANTIFIERS = Set.copyOf(LISTS.words("quantifiers"));

  /** Unit → its base unit and the factor to it ("km" → "m", 1000). */
  private static final Map<String, Map.Entry<String, Double>> UNIT_FACTORS = unitFactors();

  /** How a differing word is explained by a word (or words) on the other side. */
  enum Kind {
    /** An abbreviation, initialism or numeronym ("k8s") against its expansion. */
    ABBREVIATION,
    /** British against American spelling ("colour" / "color", "metre" / "meter"). */
    SPELLING,
    /** Two spellings of one unit ("km" / "kilometres"). */
    UNIT,
    /** A typing slip: one or two letters changed in a long word. */
    TYPO,
    /** One word against the same letters as two ("glassblowing" / "glass blowing"). */
    COMPOUND,
    /** A clipped word against the whole ("info" / "information", "avg" / "average"). */
    CLIPPING
  }

  private SurfaceForms() {}

  private static Map<String, List<String>> abbreviations() {
    Map<String, List<String>> out = new HashMap<>();
    for (Map.Entry<String, String> e : LISTS.orderedValues("abbreviations").entrySet()) {
      out.put(e.getKey(), List.of(e.getValue().split(" ")));
    }
    return Map.copyOf(out);
  }

  private static Map<String, Map.Entry<String, Double>> unitFactors() {
    Map<String, Map.Entry<String, Double>> out = new HashMap<>();
    for (Map.Entry<String, String> e : LISTS.orderedValues("unit-factors").entrySet()) {
      String[] baseAndFactor = e.getValue().split(" ");
      out.put(e.getKey(), Map.entry(baseAndFactor[0], Double.parseDouble(baseAndFactor[1])));
    }
    return Map.copyOf(out);
  }

  /** How far apart two values of one quantity written in different units may be (rounding). */
  static final double CONVERSION_TOLERANCE = 0.025;

  /** The byte units, whose prefixes are read as powers of 1000 and as powers of 1024. */
  private static final Map<String, Integer> BYTE_POWERS =
      Map.of("b", 0, "kb", 1, "mb", 2, "gb", 3, "tb", 4);

  /**
   * Whether two prompts' numbers ({@link PromptMarkers#numbers}, "2|gb") are the same quantities:
   * each number of one side matched to its own number of the other. Numbers in the same unit (or
   * without one) must be equal; numbers in two units of one base (a table of factors: time, bytes,
   * length, mass, frequency, bit rate) must have the same value in the base unit ("2 km" = "2000
   * m"), or, with {@code conversions}, values that differ by rounding, at most {@value
   * #CONVERSION_TOLERANCE} of the larger ("5 miles" = "8 km"), bytes read both in powers of 1000
   * and of 1024 ("2 GB" = "2048 MB").
   */
  static boolean sameQuantities(List<String> a, List<String> b, boolean conversions) {
    if (a.size() != b.size()) {
      return false;
    }
    boolean[] used = new boolean[b.size()];
    for (String x : a) {
      boolean found = false;
      for (int k = 0; k < b.size() && !found; k++) {
        if (!used[k] && sameQuantity(x, b.get(k), conversions)) {
          used[k] = true;
          found = true;
        }
      }
      if (!found) {
        return false;
      }
    }
    return true;
  }

  private static boolean sameQuantity(String x, String y, boolean conversions) {
    if (x.equals(y)) {
      return true;
    }
    int bx = x.indexOf('|');
    int by = y.indexOf('|');
    if (bx < 0 || by < 0) {
      return false;
    }
    String ux = x.substring(bx + 1);
    String uy = y.substring(by + 1);
    Map.Entry<String, Double> fx = UNIT_FACTORS.get(ux);
    Map.Entry<String, Double> fy = UNIT_FACTORS.get(uy);
    if (ux.equals(uy) || fx == null || fy == null || !fx.getKey().equals(fy.getKey())) {
      return false;
    }
    double vx;
    double vy;
    try {
      vx = Double.parseDouble(x.substring(0, bx));
      vy = Double.parseDouble(y.substring(0, by));
    } catch (NumberFormatException e) {
      return false;
    }
    double tolerance = conversions ? CONVERSION_TOLERANCE : 1e-9;
    if (close(vx * fx.getValue(), vy * fy.getValue(), tolerance)) {
      return true;
    }
    Integer px = BYTE_POWERS.get(ux);
    Integer py = BYTE_POWERS.get(uy);
    return conversions
        && px != null
        && py != null
        && close(vx * Math.pow(1024, px), vy * Math.pow(1024, py), tolerance);
  }

  private static boolean close(double x, double y, double tolerance) {
    return Math.abs(x - y) <= tolerance * Math.max(Math.abs(x), Math.abs(y));
  }

  private static final java.util.regex.Pattern THOUSANDS =
      java.util.regex.Pattern.compile("(\\d),(?=\\d{3}(?!\\d))");

  /**
   * The words of a prompt in a normal form: lower case, contractions expanded ({@link
   * AlignedPrompt#tokens}), thousands separators dropped, number words as digits, "%" and "°" as
   * words, units by their canonical name, every other word in American spelling. Two prompts that
   * differ only by case, punctuation, contractions, number forms, unit spellings or British and
   * American spelling have the same normal form.
   */
  static List<String> normalWords(String prompt, GuardLexicon lexicon) {
    String text =
        THOUSANDS.matcher(prompt).replaceAll("$1").replace("%", " percent ").replace("°", " deg ");
    List<String> tokens = AlignedPrompt.tokens(text);
    List<String> out = new ArrayList<>(tokens.size());
    for (String t : tokens) {
      Integer value = lexicon.numberWord(t);
      String unit = lexicon.unit(t);
      if (value != null) {
        out.add(String.valueOf(value));
      } else if (t.equals("one")) {
        out.add("1");
      } else if (unit != null && !t.chars().allMatch(Character::isDigit)) {
        out.add(unit);
      } else {
        out.add(american(t));
      }
    }
    return out;
  }

  /**
   * Whether two normal forms ({@link #normalWords}) differ in exactly one place, a word of one
   * closed class of function words (preposition, conjunction, quantifier) against another word of
   * that class: "to" / "by", "and" / "or", "first" / "every".
   */
  static boolean oneFunctionWordSwapped(List<String> a, List<String> b) {
    if (a.size() != b.size()) {
      return false;
    }
    int at = -1;
    for (int k = 0; k < a.size(); k++) {
      if (!a.get(k).equals(b.get(k))) {
        if (at >= 0) {
          return false;
        }
        at = k;
      }
    }
    if (at < 0) {
      return false;
    }
    String x = a.get(at);
    String y = b.get(at);
    for (Set<String> clazz : List.of(PREPOSITIONS, CONJUNCTIONS, QUANTIFIERS)) {
      if (clazz.contains(x) && clazz.contains(y)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Marks, for each differing word of one side ({@code words}), the kind of surface difference that
   * explains it against the other side, and marks the other side's differing words ({@code others})
   * that explain it. Entries already marked stay as they are.
   *
   * @param words the differing words of one side, lower case
   * @param kinds the kinds found so far for {@code words} (null: none), updated
   * @param others the differing words of the other side, lower case
   * @param otherKinds the kinds found so far for {@code others}, updated
   * @param otherTokens every word token of the other prompt, lower case, in order
   * @param otherMarkers the other prompt's markers (for the initials of its words)
   */
  static void explain(
      List<String> words,
      Kind[] kinds,
      List<String> others,
      Kind[] otherKinds,
      List<String> otherTokens,
      PromptMarkers otherMarkers) {
    for (int i = 0; i < words.size(); i++) {
      String x = words.get(i);
      if (initialism(x) && otherMarkers.spellsOut(x)) {
        kinds[i] = first(kinds[i], Kind.ABBREVIATION);
        for (int j = 0; j < others.size(); j++) {
          if (otherMarkers.spellsOutWith(x, others.get(j))) {
            otherKinds[j] = first(otherKinds[j], Kind.ABBREVIATION);
          }
        }
      }
      List<String> expansion = ABBREVIATIONS.get(x);
      if (expansion != null && containsLemmas(otherTokens, expansion)) {
        kinds[i] = first(kinds[i], Kind.ABBREVIATION);
        for (int j = 0; j < others.size(); j++) {
          if (containsLemmas(expansion, List.of(others.get(j)))) {
            otherKinds[j] = first(otherKinds[j], Kind.ABBREVIATION);
          }
        }
      }
      if (compound(x, otherTokens)) {
        kinds[i] = first(kinds[i], Kind.COMPOUND);
        for (int j = 0; j < others.size(); j++) {
          String y = others.get(j);
          if (y.length() >= 2 && (x.startsWith(y) || x.endsWith(y))) {
            otherKinds[j] = first(otherKinds[j], Kind.COMPOUND);
          }
        }
      }
      for (int j = 0; j < others.size(); j++) {
        Kind kind = pairKind(x, others.get(j));
        if (kind != null) {
          kinds[i] = first(kinds[i], kind);
          otherKinds[j] = first(otherKinds[j], kind);
        }
      }
    }
  }

  private static Kind first(Kind old, Kind found) {
    return old != null ? old : found;
  }

  /** How {@code x} and {@code y} (lower case, different) are one word in two forms, or null. */
  static Kind pairKind(String x, String y) {
    if (x.equals(y)) {
      return null;
    }
    if (numeronym(x, y) || numeronym(y, x)) {
      return Kind.ABBREVIATION;
    }
    if (american(x).equals(american(y))) {
      return Kind.SPELLING;
    }
    if (AlignmentGuard.sameUnit(x, y)) {
      return Kind.UNIT;
    }
    if (typo(x, y)) {
      return Kind.TYPO;
    }
    if (clipped(x, y) || clipped(y, x)) {
      return Kind.CLIPPING;
    }
    return null;
  }

  /** Letters only, two to six of them: the shape of an initialism. */
  private static boolean initialism(String x) {
    if (x.length() < 2 || x.length() > 6) {
      return false;
    }
    for (int k = 0; k < x.length(); k++) {
      if (!Character.isLetter(x.charAt(k))) {
        return false;
      }
    }
    return true;
  }

  private static boolean containsLemmas(List<String> tokens, List<String> words) {
    for (String w : words) {
      String lemma = AlignedPrompt.lemma(w);
      boolean found = false;
      for (String t : tokens) {
        if (t.equals(w) || AlignedPrompt.lemma(t).equals(lemma)) {
          found = true;
          break;
        }
      }
      if (!found) {
        return false;
      }
    }
    return true;
  }

  /** "k8s" for "kubernetes": first letter, the count of the letters between, last letter. */
  static boolean numeronym(String x, String y) {
    int n = x.length();
    if (n < 3 || !Character.isLetter(x.charAt(0)) || !Character.isLetter(x.charAt(n - 1))) {
      return false;
    }
    String middle = x.substring(1, n - 1);
    if (middle.isEmpty() || middle.length() > 2 || !middle.chars().allMatch(Character::isDigit)) {
      return false;
    }
    return y.length() == Integer.parseInt(middle) + 2
        && y.charAt(0) == x.charAt(0)
        && y.charAt(y.length() - 1) == x.charAt(n - 1);
  }

  /**
   * A word in American spelling by general rules of British spelling: "-ise" / "-isation" → "-ize"
   * / "-ization", "-yse" → "-yze", "-tre" → "-ter", "-our" → "-or", "-ogue" → "-og", a doubled "l"
   * before "-ed" / "-ing" / "-er" single, "-mme" → "-m", "licence" → "license". Applied to both
   * sides, a rule can only join words that differ by it.
   */
  static String american(String w) {
    int n = w.length();
    if (n < 5) {
      return w;
    }
    String out = w;
    out = replaceEnding(out, "isation", "ization", 3);
    out = replaceEnding(out, "isations", "izations", 3);
    for (String ending : new String[] {"ise", "ises", "ised", "ising", "iser", "isers"}) {
      out = replaceEnding(out, ending, "iz" + ending.substring(2), 3);
    }
    for (String ending : new String[] {"yse", "yses", "ysed", "ysing"}) {
      out = replaceEnding(out, ending, "yz" + ending.substring(2), 3);
    }
    out = replaceEnding(out, "tre", "ter", 2);
    out = replaceEnding(out, "tres", "ters", 2);
    for (String ending :
        new String[] {
          "our", "ours", "oured", "ouring", "ourful", "ourite", "ourites", "ourable", "ourer"
        }) {
      out = replaceEnding(out, ending, "or" + ending.substring(3), 3);
    }
    out = replaceEnding(out, "ogue", "og", 3);
    out = replaceEnding(out, "ogues", "ogs", 3);
    for (String ending : new String[] {"elled", "elling", "eller", "ellers"}) {
      out = replaceEnding(out, ending, "el" + ending.substring(3), 4);
    }
    out = replaceEnding(out, "amme", "am", 3);
    out = replaceEnding(out, "ammes", "ams", 3);
    for (String stem : new String[] {"licen", "defen", "offen", "preten"}) {
      if (out.equals(stem + "ce") || out.equals(stem + "ces")) {
        out = stem + "se" + out.substring(stem.length() + 2);
      }
    }
    return out;
  }

  private static String replaceEnding(String w, String ending, String by, int minStem) {
    return w.endsWith(ending) && w.length() - ending.length() >= minStem
        ? w.substring(0, w.length() - ending.length()) + by
        : w;
  }

  /**
   * A typing slip: one edit in a word of at least five letters ({@link AlignmentGuard#misspelt}),
   * or two in words of at least eight letters with the same first letter.
   */
  static boolean typo(String x, String y) {
    if (AlignmentGuard.misspelt(x, y)) {
      return true;
    }
    return Math.min(x.length(), y.length()) >= 8
        && Math.abs(x.length() - y.length()) <= 2
        && x.charAt(0) == y.charAt(0)
        && AlignmentGuard.editDistance(x, y) <= 2;
  }

  /**
   * {@code x} is {@code y} clipped: at least three letters, the first letter the same, its letters
   * in order within {@code y}, and {@code y} at least two letters longer ("info" / "information",
   * "avg" / "average", "erg" / "ergometer").
   */
  static boolean clipped(String x, String y) {
    if (x.length() < 3 || y.length() < x.length() + 2 || x.charAt(0) != y.charAt(0)) {
      return false;
    }
    for (int k = 0; k < x.length(); k++) {
      if (!Character.isLetter(x.charAt(k))) {
        return false;
      }
    }
    int p = 1;
    for (int k = 1; k < x.length(); k++) {
      p = y.indexOf(x.charAt(k), p) + 1;
      if (p == 0) {
        return false;
      }
    }
    return true;
  }

  /** {@code x} is two neighbouring words of {@code tokens} written as one. */
  private static boolean compound(String x, List<String> tokens) {
    if (x.length() < 6) {
      return false;
    }
    for (int k = 0; k + 1 < tokens.size(); k++) {
      String a = tokens.get(k);
      if (a.length() >= 2 && x.startsWith(a) && x.equals(a + tokens.get(k + 1))) {
        return true;
      }
    }
    return false;
  }

  /** Counts the words of {@code kinds} that are of {@code kind} (any kind when null). */
  static int count(Kind[] kinds, Kind kind) {
    int n = 0;
    for (Kind k : kinds) {
      n += k != null && (kind == null || k == kind) ? 1 : 0;
    }
    return n;
  }

  /**
   * How many tokens of a class one side has more often than the other, summed over both sides: the
   * function words of one closed class that differ.
   */
  static int classDiffering(
      List<String> a, List<String> b, java.util.function.Predicate<String> clazz) {
    List<String> left = new ArrayList<>();
    for (String t : a) {
      if (clazz.test(t)) {
        left.add(t);
      }
    }
    List<String> right = new ArrayList<>();
    for (String t : b) {
      if (clazz.test(t)) {
        right.add(t);
      }
    }
    return unmatched(left, right);
  }

  /**
   * How many tokens of {@code a} and {@code b} are left when each token of one is matched with an
   * equal token of the other at most once (the size of their difference as multisets).
   */
  static int unmatched(List<String> a, List<String> b) {
    List<String> aOnly = new ArrayList<>(a);
    for (String t : b) {
      aOnly.remove(t);
    }
    List<String> bOnly = new ArrayList<>(b);
    for (String t : a) {
      bOnly.remove(t);
    }
    return aOnly.size() + bOnly.size();
  }

  /**
   * Whether the shared content words ({@code a} and {@code b}, lemmas) swap sides around a word
   * both prompts share: some word before the pivot in one prompt comes after it in the other, and
   * some word after it comes before it ("A causes B" / "B causes A", "from X to Y" / "from Y to
   * X").
   */
  static boolean swappedAroundPivot(List<String> a, List<String> b) {
    for (int p = 0; p < a.size(); p++) {
      String pivot = a.get(p);
      int q = b.indexOf(pivot);
      if (q < 0 || a.lastIndexOf(pivot) != p || b.lastIndexOf(pivot) != q) {
        continue;
      }
      boolean beforeToAfter = false;
      boolean afterToBefore = false;
      for (int k = 0; k < a.size(); k++) {
        String w = a.get(k);
        int at = b.indexOf(w);
        if (k == p || at < 0 || a.indexOf(w) != a.lastIndexOf(w) || at != b.lastIndexOf(w)) {
          continue;
        }
        beforeToAfter |= k < p && at > q;
        afterToBefore |= k > p && at < q;
      }
      if (beforeToAfter && afterToBefore) {
        return true;
      }
    }
    return false;
  }
}
