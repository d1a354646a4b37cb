package dev.aigateway.core.cache;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The closed word lists {@link FalseHitGuard} reads: negation cues, opposite poles, task words,
 * number words and units, and the function words and common sentence openers that are capitalised
 * without being names. Built once per guard; immutable after construction, so shared freely between
 * threads.
 */
final class GuardLexicon {

  /** A surface form of an opposite pole: the word it inflects ({@code lemma}) and its pole. */
  record Pole(String lemma, int code) {}

  /** The resource holding the built-in word lists, one section per list. */
  static final String RESOURCE = "guard-lexicon.txt";

  /** The built-in lists, read once from {@value #RESOURCE} beside this class. */
  private static final WordLists LISTS = WordLists.read(GuardLexicon.class, RESOURCE);

  private static final Set<String> NEGATIONS = Set.copyOf(LISTS.words("negations"));

  /** Each opposition's two poles, each pole words or two-word phrasal verbs of one side. */
  private static final List<List<List<String>>> OPPOSITES = LISTS.pairs("opposites");

  /**
   * Task classes: what a prompt asks to be done (translate, summarize, fix) or made (a poem, an
   * e-mail, a regex); swapping a word for another of its class keeps the task. Left out on purpose,
   * because they ask for anything or name a topic as often as a task: give, make, show, tell, help,
   * find, check, improve, convert, format, simplify, solve, answer, response, document, note,
   * comment, post, order, return.
   */
  private static final List<List<String>> TASKS = LISTS.records("tasks");

  /** Affixal negation: prefix → the shortest remainder that counts ("display" is no "play"). */
  private static final Map<String, String> NEGATIVE_PREFIXES =
      LISTS.orderedValues("negative-prefixes");

  private static final List<List<String>> UNITS = LISTS.records("units");

  /** Words and suffixes that multiply the number before them ("5k", "2 million"). */
  private static final Map<String, Double> MULTIPLIERS = LISTS.numbers("multipliers");

  /** Words that make a number a rate ("daily" → "d"). */
  private static final Map<String, String> FREQUENCIES = LISTS.orderedValues("frequencies");

  private static final Map<String, Double> NUMBER_WORDS = LISTS.numbers("number-words");
  private static final Map<String, Double> ORDINALS = LISTS.numbers("ordinals");

  /** Closed-class words and greetings capitalised without being names. */
  private static final Set<String> FUNCTION_WORDS = Set.copyOf(LISTS.words("function-words"));

  /**
   * Words that commonly open a sentence or prompt without being names. A capitalised first word
   * outside this list, the function words and the words of the other lists is taken for a name
   * ("Paris or Rome?"). Matched with regular inflections ("Using", "Based", "Lists").
   */
  private static final Set<String> SENTENCE_STARTERS = Set.copyOf(LISTS.words("sentence-starters"));

  private static final Set<String> STARTER_STEMS =
      SENTENCE_STARTERS.stream().map(PromptMarkers::stem).collect(Collectors.toUnmodifiableSet());

  /**
   * The commonest adjectives negated by a prefix: counted as negations even when the other prompt
   * does not have the plain word ("unable to log in" against "can't log in").
   */
  private static final Set<String> NEGATIVE_ADJECTIVES =
      Set.copyOf(LISTS.words("negative-adjectives"));

  private final Set<String> negations;
  private final Map<String, Pole> poles;
  private final Map<String, Integer> tasks;
  private final Map<String, String> units;
  private final Map<String, String> frequencies;
  private final Map<String, Integer> numberWords;
  private final Map<String, Integer> ordinals;
  private final int poleCodes;

  GuardLexicon(
      List<String[]> extraOpposites, List<String> extraNegations, List<List<String>> extraTasks) {
    Set<String> neg = new HashSet<>(NEGATIONS);
    neg.addAll(extraNegations);
    this.negations = Set.copyOf(neg);

    Map<String, Pole> p = new HashMap<>();
    int group = 0;
    for (String[] pair : extraOpposites) { // the application's pairs win over the built-ins
      addPole(p, pair[0], group * 2);
      addPole(p, pair[1], group * 2 + 1);
      group++;
    }
    for (List<List<String>> opposition : OPPOSITES) {
      for (int side = 0; side < 2; side++) {
        for (String word : opposition.get(side)) {
          addPole(p, word, group * 2 + side);
        }
      }
      group++;
    }
    this.poles = Map.copyOf(p);
    this.poleCodes = group * 2;

    Map<String, Integer> t = new HashMap<>();
    int task = 0;
    for (List<String> words : extraTasks) { // the application's classes win over the built-ins
      for (String word : words) {
        addTask(t, word, task);
      }
      task++;
    }
    for (List<String> words : TASKS) {
      for (String word : words) {
        addTask(t, word, task);
      }
      task++;
    }
    this.tasks = Map.copyOf(t);

    Map<String, String> u = new HashMap<>();
    for (List<String> row : UNITS) { // canonical: its spellings
      String first = row.get(0);
      int colon = first.indexOf(':');
      String canonical = first.substring(0, colon).strip();
      u.put(first.substring(colon + 1).strip(), canonical);
      for (String alias : row.subList(1, row.size())) {
        u.put(alias, canonical);
      }
    }
    this.units = Map.copyOf(u);
    this.frequencies = Map.copyOf(FREQUENCIES);
    this.numberWords = intValues(NUMBER_WORDS);
    this.ordinals = intValues(ORDINALS);
  }

  private static Map<String, Integer> intValues(Map<String, Double> numbers) {
    Map<String, Integer> values = new HashMap<>();
    numbers.forEach((word, value) -> values.put(word, value.intValue()));
    return Map.copyOf(values);
  }

  private static void addPole(Map<String, Pole> poles, String phrase, int code) {
    String lemma = phrase.toLowerCase(Locale.ROOT);
    int space = lemma.indexOf(' ');
    String head = space < 0 ? lemma : lemma.substring(0, space);
    String tail = space < 0 ? "" : lemma.substring(space);
    for (String form : inflections(head)) {
      poles.putIfAbsent(form + tail, new Pole(lemma, code));
    }
  }

  /**
   * Maps the regular forms of a task word to its class; of a two-word phrase, the forms of either
   * word with the other as given ("pulled out", "regular expressions").
   */
  private static void addTask(Map<String, Integer> tasks, String phrase, int task) {
    String lemma = phrase.toLowerCase(Locale.ROOT);
    int space = lemma.indexOf(' ');
    if (space < 0) {
      for (String form : regularForms(lemma)) {
        tasks.putIfAbsent(form, task);
      }
      return;
    }
    String head = lemma.substring(0, space);
    String tail = lemma.substring(space + 1);
    for (String form : regularForms(head)) {
      tasks.putIfAbsent(form + " " + tail, task);
    }
    for (String form : regularForms(tail)) {
      tasks.putIfAbsent(head + " " + form, task);
    }
  }

  /**
   * The regular inflections of a word: plural and third person, past, gerund, and the usual noun
   * forms (-ion, -ation, -al, -ment). Over-generation is harmless: a made-up form never occurs in a
   * prompt.
   */
  static Set<String> inflections(String word) {
    Set<String> forms = regularForms(word);
    if (word.length() < 3) {
      return forms;
    }
    String stem = word.endsWith("e") ? word.substring(0, word.length() - 1) : word;
    forms.add(stem + "ion");
    forms.add(stem + "ation");
    forms.add(stem + "al");
    forms.add(word + "ment");
    return forms;
  }

  /**
   * Plural and third person, past and gerund only: the task words list their derived nouns
   * themselves, since a derived form may be another word ("verse", "version").
   */
  private static Set<String> regularForms(String word) {
    Set<String> forms = new HashSet<>();
    forms.add(word);
    if (word.length() < 3) {
      return forms;
    }
    char last = word.charAt(word.length() - 1);
    String stem = last == 'e' ? word.substring(0, word.length() - 1) : word;
    forms.add(word + (last == 's' || last == 'x' || last == 'h' ? "es" : "s"));
    forms.add(stem + "ed");
    forms.add(stem + "ing");
    if (last == 'y' && !isVowel(word.charAt(word.length() - 2))) {
      String root = word.substring(0, word.length() - 1);
      forms.add(root + "ies");
      forms.add(root + "ied");
    }
    if (isConsonantVowelConsonant(word)) {
      forms.add(word + last + "ed");
      forms.add(word + last + "ing");
    }
    return forms;
  }

  private static boolean isConsonantVowelConsonant(String w) {
    int n = w.length();
    char c = w.charAt(n - 1);
    return n >= 3
        && !isVowel(c)
        && c != 'w'
        && c != 'x'
        && c != 'y'
        && isVowel(w.charAt(n - 2))
        && !isVowel(w.charAt(n - 3));
  }

  private static boolean isVowel(char c) {
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
  }

  boolean isNegation(String lower) {
    return negations.contains(lower) || lower.endsWith("n't");
  }

  boolean isNegativeAdjective(String lower) {
    return NEGATIVE_ADJECTIVES.contains(lower);
  }

  /** The pole of a word or two-word phrase (lower case), or null. */
  Pole pole(String lower) {
    return poles.get(lower);
  }

  int poleCodes() {
    return poleCodes;
  }

  /** The task class of a word or two-word phrase (lower case), or -1. */
  int task(String lower) {
    Integer task = tasks.get(lower);
    return task == null ? -1 : task;
  }

  /** The canonical unit of an alias ("minutes" → "min"), or null. */
  String unit(String lower) {
    return units.get(lower);
  }

  /** The period of a frequency word ("daily" → "d"), or null. */
  String frequency(String lower) {
    return frequencies.get(lower);
  }

  /** The value of a cardinal number word below a hundred, or null. */
  Integer numberWord(String lower) {
    return numberWords.get(lower);
  }

  /** The factor of a multiplier word or suffix ("thousand", "k"), or null. */
  Double multiplier(String lower) {
    return MULTIPLIERS.get(lower);
  }

  /** The value of an ordinal word from "second" on, or null. */
  Integer ordinal(String lower) {
    return ordinals.get(lower);
  }

  boolean isFunctionWord(String lower) {
    return FUNCTION_WORDS.contains(lower);
  }

  /**
   * Whether a capitalised word at the start of a sentence is an ordinary word rather than a name: a
   * function word, a common sentence starter (inflected or not), or a word of the other lists.
   */
  boolean isCommonStarter(String lower) {
    return FUNCTION_WORDS.contains(lower)
        || SENTENCE_STARTERS.contains(lower)
        || STARTER_STEMS.contains(PromptMarkers.stem(lower))
        || isNegation(lower)
        || isNegativeAdjective(lower)
        || poles.containsKey(lower)
        || tasks.containsKey(lower)
        || units.containsKey(lower)
        || frequencies.containsKey(lower)
        || numberWords.containsKey(lower)
        || ordinals.containsKey(lower)
        || MULTIPLIERS.containsKey(lower);
  }

  /**
   * The word {@code lower} negates by a prefix ("unencrypted" → "encrypted"), tried in order of the
   * prefixes; each candidate is returned through {@code sink} until it answers true.
   */
  boolean anyPrefixRemainder(String lower, java.util.function.Predicate<String> sink) {
    for (Map.Entry<String, String> rule : NEGATIVE_PREFIXES.entrySet()) {
      String prefix = rule.getKey();
      if (lower.startsWith(prefix)) {
        int from = prefix.length();
        if (from < lower.length() && lower.charAt(from) == '-') {
          from++;
        }
        if (lower.length() - from >= Integer.parseInt(rule.getValue())
            && sink.test(lower.substring(from))) {
          return true;
        }
      }
    }
    return false;
  }
}
