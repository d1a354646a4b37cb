package dev.aigateway.core.cache;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@link AlignmentGuard} reads from one prompt: its clock times, the closed-class words that
 * change what it asks (quantifiers, modals, tense), the role markers with the word each governs,
 * and its content words in order, lemmatised, with courtesy and function words left out. Made once
 * per prompt and compared pairwise.
 */
final class AlignedPrompt {

  private static final WordLists LISTS = WordLists.read(AlignedPrompt.class, GuardLexicon.RESOURCE);

  private static final Map<String, String> CONTRACTIONS =
      Map.ofEntries(
          Map.entry("cant", "can not"),
          Map.entry("cannot", "can not"),
          Map.entry("wont", "will not"),
          Map.entry("shant", "shall not"),
          Map.entry("dont", "do not"),
          Map.entry("doesnt", "does not"),
          Map.entry("didnt", "did not"),
          Map.entry("isnt", "is not"),
          Map.entry("arent", "are not"),
          Map.entry("wasnt", "was not"),
          Map.entry("werent", "were not"),
          Map.entry("hasnt", "has not"),
          Map.entry("havent", "have not"),
          Map.entry("hadnt", "had not"),
          Map.entry("couldnt", "could not"),
          Map.entry("shouldnt", "should not"),
          Map.entry("wouldnt", "would not"),
          Map.entry("mustnt", "must not"),
          Map.entry("im", "i am"),
          Map.entry("ive", "i have"),
          Map.entry("whats", "what is"),
          Map.entry("hows", "how is"));
  private static final Set<String> IS_BEFORE_S =
      Set.of("what", "it", "that", "there", "here", "who", "where", "how", "he", "she", "when");

  private static final List<Phrases> QUANTIFIERS = classes("quantifiers");
  private static final List<Phrases> MODALS = classes("modals");
  private static final List<Phrases> TENSES = classes("tenses");
  private static final int PAST = 0;
  private static final Map<String, String> DIRECTIONS = markerClasses();
  private static final List<Phrases> QUESTIONS = classes("questions");
  private static final List<Phrases> DEGREES = classes("degrees");
  private static final List<Phrases> HEDGES = classes("hedges");
  private static final List<Phrases> MOTIONS = classes("motions");

  /**
   * Numbers written as words ("three", "forty", "nineteenth", "hundred"): compared as numbers by
   * the base guard, so the alignment skips them as it skips digits. "One" and "second" are left as
   * words ("which one", "a second opinion").
   */
  private static final Set<String> NUMBER_WORDS = numberWords();

  private static Set<String> numberWords() {
    Set<String> words = new HashSet<>();
    words.addAll(LISTS.numbers("number-words").keySet());
    words.addAll(LISTS.numbers("ordinals").keySet());
    words.addAll(LISTS.numbers("multipliers").keySet());
    words.removeAll(Set.of("one", "second", "k", "mn"));
    return Set.copyOf(words);
  }

  private static final Phrases CONDITIONS = phrases(LISTS.words("conditions"));
  private static final Set<String> WHETHER_VERBS = Set.copyOf(LISTS.words("whether-verbs"));
  private static final Phrases COURTEOUS_IFS = phrases(LISTS.words("courteous-ifs"));

  /** The canonical markers that place something in time: "before", "after", "during", ... */
  static final Set<String> TIME_MARKERS =
      Set.of("before", "after", "during", "until", "since", "within");

  /** The role marker of a possessive "'s": it governs the word owned. */
  static final String POSSESSIVE = "'s";

  /** Words whose next content word is an owner or a beneficiary ("the dog of my neighbor"). */
  private static final Set<String> OWNER_MARKERS = Set.of("of", "for", "by", "belonging");

  private static final Phrases FILLERS = phrases(LISTS.words("filler-phrases"));
  private static final Phrases LEAD_IN_CUES = phrases(LISTS.words("lead-in-cues"));
  private static final Set<String> STOP_WORDS = Set.copyOf(LISTS.words("alignment-stop-words"));

  /** Whether the word is one the alignment skips (articles, pronouns, auxiliaries, ...). */
  static boolean isFunctionWord(String word) {
    return STOP_WORDS.contains(word);
  }

  /** The words the alignment skips. */
  static Set<String> functionWords() {
    return STOP_WORDS;
  }

  /** Words that ask nothing more when added on one side only ("honestly", "explain"). */
  static final Set<String> ADDITION_FILLERS = Set.copyOf(LISTS.words("addition-fillers"));

  private static final Map<String, BitSet> SYNONYMS = synonymGroups();

  /** Places that add nothing to a superlative ("the tallest building in the world"). */
  private static final Pattern EMPTY_PLACES =
      Pattern.compile(
          "\\b(in the (whole )?world|on (the )?earth|on the planet)\\b", Pattern.CASE_INSENSITIVE);

  private static final Map<String, Integer> HOUR_WORDS =
      Map.ofEntries(
          Map.entry("one", 1),
          Map.entry("two", 2),
          Map.entry("three", 3),
          Map.entry("four", 4),
          Map.entry("five", 5),
          Map.entry("six", 6),
          Map.entry("seven", 7),
          Map.entry("eight", 8),
          Map.entry("nine", 9),
          Map.entry("ten", 10),
          Map.entry("eleven", 11),
          Map.entry("twelve", 12));

  /** h:mm with an optional am/pm; h am/pm; h o'clock; noon, midnight; half/quarter past/to h. */
  private static final Pattern CLOCK =
      Pattern.compile(
          "(?<![\\d.:])(\\d{1,2}):([0-5]\\d)(?![\\d:])\\s*(a\\.?m\\.?|p\\.?m\\.?)?(?![a-z])"
              + "|(?<![\\d.:])(\\d{1,2})\\s*(a\\.?m\\.?|p\\.?m\\.?)(?![a-z])"
              + "|(?<![\\d.:])(\\d{1,2})\\s*o['’]clock"
              + "|\\b(noon|midday|midnight)\\b"
              + "|\\b(half|quarter)\\s+(past|to)\\s+(\\d{1,2}|[a-z]+)\\b"
              + "|(?<![\\d.:])12\\s+(noon|midnight)\\b"
              + "|(?<![\\d.:])(\\d{1,2})(?=\\s+(?:(?:in\\s+the|this)\\s+(?:morning|afternoon|evening)"
              + "|at\\s+night|tonight))",
          Pattern.CASE_INSENSITIVE);

  /** A part of the day after a clock time: "9 o'clock in the evening", "10 in the morning". */
  private static final Pattern DAY_PART =
      Pattern.compile(
          "^\\s+(?:(?:in\\s+the|this)\\s+(morning|afternoon|evening)|at\\s+(night)|(tonight))\\b",
          Pattern.CASE_INSENSITIVE);

  /** The prompt with its courtesy lead-in and clock times taken out, for the base guard. */
  final String cleaned;

  /** Minutes after midnight of each clock time, sorted. */
  final List<Integer> times = new ArrayList<>(2);

  /** Classes of the quantifiers, modals and tenses present (bit = class index). */
  final BitSet quantifiers = new BitSet();

  final BitSet modals = new BitSet();
  final BitSet tenses = new BitSet();

  /** Classes of the adverbs of degree present ("slightly", "very"). */
  final BitSet degrees = new BitSet();

  /** Classes of the question words present ("why", "how long", "where"). */
  final BitSet questions = new BitSet();

  /** The owners named with a possessive "'s" ("neighbor" in "my neighbor's dog"), as lemmas. */
  final List<String> possessors = new ArrayList<>(2);

  /** The lemma of the word each of {@link #possessors} owns ("dog"), in the same order. */
  final List<String> owned = new ArrayList<>(2);

  /** Lemmas of the words that follow "of", "for" or "by": owners said without "'s". */
  final Set<String> ownerWords = new HashSet<>();

  /** Lemmas of the words that follow "of" ("the week of Thanksgiving"). */
  final Set<String> ofWords = new HashSet<>();

  /** How many condition clauses ("if ...", "unless ...") the prompt has. */
  int conditionCount;

  /** The content words of its condition clauses, lower case. */
  final List<String> conditionWords = new ArrayList<>(4);

  /** "marker→word" for each role marker (canonical) and the word (or number) it governs. */
  final List<String> roles = new ArrayList<>(4);

  /** Adjectives made weaker by "less" ("less safe": "safe"), lower case. */
  final Set<String> lessened = new HashSet<>(2);

  /**
   * Adjectives made stronger: "more X", or the possible positives of an "-er" comparative ("safer":
   * "safe", "safr", "saf"), lower case.
   */
  final Set<String> heightened = new HashSet<>(4);

  /** The words asked for after "how" outside the listed classes ("fast" in "how fast"). */
  final Set<String> dimensions = new HashSet<>(2);

  /** How many negation words ("not", "never", "without") the prompt has. */
  int negations;

  /** How many negations said by a verb ("fail to", "forgot to", "refuse to"). */
  int implicitNegations;

  /** Lemmas of the nouns said to be one: "a single star", "one chicken". */
  final Set<String> singles = new HashSet<>(2);

  /** Lemmas of the nouns said to be many: plurals, "a flock of chickens", "a star cluster". */
  final Set<String> groups = new HashSet<>(4);

  /** The person of the possessive before each noun, by lemma ("card" → 2 in "your card"). */
  final Map<String, Integer> persons = new HashMap<>(4);

  /** The persons who ask: 1 for "I" or "we", 2 for "you" (not in courtesy: "could you"). */
  final BitSet askers = new BitSet(3);

  /** Words after "in" ("the longest river in Africa"): a place that may be said as an owner. */
  final Set<String> placeWords = new HashSet<>(4);

  /** Whether the prompt opens with a word of a question class ("Why did ...", "When do ..."). */
  boolean opensWithQuestion;

  /** Nouns after the article "a" alone ("a bee"): one, but only against a group of them. */
  final Set<String> articled = new HashSet<>(4);

  /**
   * Nouns said to be many by a word for a group or a multiple ("a swarm of bees", "a star cluster",
   * "a double kidney transplant"), not by a plural alone.
   */
  final Set<String> collected = new HashSet<>(4);

  /** When time nouns are placed: 0 "this week", 1 "next week", 2 "last week". */
  final BitSet deictics = new BitSet(3);

  /**
   * How numbers are bounded, by the classes of the list {@code hedges}: 0 approximate ("about 15
   * percent"), 1 exact ("exactly 15 percent"), 2 a lower bound ("at least 3"), 3 an upper bound
   * ("up to 12", "under 12"). Read only before (or, for "or more", after) a number.
   */
  final BitSet hedges = new BitSet(4);

  /** The classes of {@code hedges} that bound a number (lower, upper): never unsaid. */
  static final int FIRST_BOUND = 2;

  /** Directions of motion, by the classes of the list {@code motions}: "toward" / "away from". */
  final BitSet motions = new BitSet(4);

  /** The agent and the patient of a passive with "by" ({@code null} without one). */
  String agent;

  String patient;

  /** Words that point at another referent than the plain noun: "the other team's schedule". */
  private static final Set<String> CONTRASTIVES = Set.of("other", "another", "else", "same");

  /** The contrastive words the prompt has ("other" for "another"). */
  final Set<String> contrastives = new HashSet<>(2);

  /** Whether the asker is named as a subject ("I", "we") and as an object ("me", "us"). */
  boolean subject;

  boolean object;

  /** 1: opens with a question for the subject ("Who called Ann?"), 2: for the object, 0: no. */
  int whOpening;

  /** The modal of an opening "can you", "should you", ... ({@code null} without one). */
  String openingModal;

  /** Per content word (same index as {@link #words}): the function words just before it. */
  final List<String> gaps = new ArrayList<>(24);

  /** Every word that is not a function word, numbers included, as written (lower case). */
  final Set<String> allWords = new HashSet<>();

  /** The content words, lower case, in order, and their lemmas. */
  final List<String> words = new ArrayList<>(24);

  final List<String> lemmas = new ArrayList<>(24);

  /** A day's abbreviation after a word that places it ("on Sat.", "every Fri"). */
  private static final Pattern DAY_ABBREVIATION =
      Pattern.compile(
          "(?i:\\b(on|every|next|last|this|by|until|from|before|after)\\s+)"
              + "(Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\\.?(?![A-Za-z])");

  /** A month's abbreviation next to a day of the month ("Nov 11", "3 Dec."). */
  private static final Pattern MONTH_ABBREVIATION =
      Pattern.compile(
          "\\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\\.?(?=\\s+\\d{1,2}(?!\\d))"
              + "|(?<=\\b\\d{1,2}(?:st|nd|rd|th)?\\s)(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\\b\\.?");

  /** Day and month abbreviations ("tue", "sept") and the names they stand for. */
  private static final Map<String, String> FULL_NAMES =
      Map.copyOf(LISTS.orderedValues("date-abbreviations"));

  /** Holidays on a fixed day of the year, by name: "Christmas Eve" is December 24. */
  private static final Map<String, String> HOLIDAY_DATES = holidayDates();

  private static final Pattern HOLIDAYS = holidayPattern();

  /** The holidays' names, longest first, each apostrophe matching ' or ’. */
  private static Pattern holidayPattern() {
    List<String> names = new ArrayList<>(HOLIDAY_DATES.keySet());
    names.sort((x, y) -> y.length() - x.length() != 0 ? y.length() - x.length() : x.compareTo(y));
    List<String> alternatives = new ArrayList<>(names.size());
    for (String name : names) {
      List<String> parts = new ArrayList<>();
      for (String part : name.split("'", -1)) {
        parts.add(Pattern.quote(part));
      }
      alternatives.add(String.join("['’]", parts));
    }
    return Pattern.compile(
        "\\b(" + String.join("|", alternatives) + ")(?![A-Za-z])", Pattern.CASE_INSENSITIVE);
  }

  private static Map<String, String> holidayDates() {
    Map<String, String> dates = new HashMap<>();
    for (List<String> record : LISTS.records("holidays")) {
      for (String name : record.subList(1, record.size())) {
        dates.put(name.toLowerCase(Locale.ROOT), record.get(0));
      }
    }
    return Map.copyOf(dates);
  }

  /**
   * The prompt with the holidays of a fixed date written as dates ("Christmas Eve" = December 24)
   * and the abbreviated days and months of dates written out ("Sat." = Saturday).
   */
  static String fullDates(String text) {
    Matcher holidays = HOLIDAYS.matcher(text);
    if (holidays.find()) {
      StringBuilder named = new StringBuilder(text.length() + 16);
      do {
        String date =
            HOLIDAY_DATES.get(holidays.group(1).toLowerCase(Locale.ROOT).replace('’', '\''));
        holidays.appendReplacement(named, Matcher.quoteReplacement(date));
      } while (holidays.find());
      holidays.appendTail(named);
      text = named.toString();
    }
    Matcher days = DAY_ABBREVIATION.matcher(text);
    StringBuilder out = new StringBuilder(text.length() + 16);
    while (days.find()) {
      days.appendReplacement(
          out, Matcher.quoteReplacement(days.group(1) + " " + fullName(days.group(2))));
    }
    days.appendTail(out);
    Matcher months = MONTH_ABBREVIATION.matcher(out.toString());
    StringBuilder result = new StringBuilder(out.length() + 16);
    while (months.find()) {
      String abbreviation = months.group(1) != null ? months.group(1) : months.group(2);
      months.appendReplacement(result, Matcher.quoteReplacement(fullName(abbreviation)));
    }
    months.appendTail(result);
    return result.toString();
  }

  private static String fullName(String abbreviation) {
    return FULL_NAMES.get(abbreviation.toLowerCase(Locale.ROOT));
  }

  private AlignedPrompt(String prompt) {
    String text = stripLeadIn(fullDates(PromptMarkers.clip(prompt)));
    StringBuilder rest = new StringBuilder(text.length());
    // the clock times as words ("t1260") for the role markers: "until 9 pm" / "since 9 pm"
    StringBuilder placed = new StringBuilder(text.length());
    Matcher m = CLOCK.matcher(text);
    int last = 0;
    while (m.find()) {
      int minutes = minutes(m);
      if (minutes >= 0) {
        int end = m.end();
        Matcher part = DAY_PART.matcher(text).region(end, text.length());
        if (part.lookingAt()) {
          boolean morning = part.group(1) != null && part.group(1).equalsIgnoreCase("morning");
          if (!morning && minutes >= 60 && minutes < 12 * 60) {
            minutes += 12 * 60; // "9 in the evening" = 21:00; "12 at night" is read as written
          }
          end = part.end();
        }
        times.add(minutes);
        rest.append(text, last, m.start()).append(' ');
        placed.append(text, last, m.start()).append(" t").append(minutes).append(' ');
        last = end;
      }
    }
    rest.append(text, last, text.length());
    placed.append(text, last, text.length());
    this.cleaned = EMPTY_PLACES.matcher(rest).replaceAll(" ");
    times.sort(null);
    read(tokens(EMPTY_PLACES.matcher(placed).replaceAll(" ")));
    readConditions(cleaned);
  }

  static AlignedPrompt of(String prompt) {
    return new AlignedPrompt(prompt);
  }

  /** The lemma words are compared by: regular inflections stripped ("policies" = "policy"). */
  static String lemma(String word) {
    if (word.length() > 4 && word.endsWith("ies")) {
      return word.substring(0, word.length() - 3) + "y";
    }
    return PromptMarkers.stem(word);
  }

  /** Whether two words (lower case) are of one group of the built-in synonyms. */
  static boolean knownSynonyms(String x, String y) {
    if (inGroup(lemma(x), lemma(y))) {
      return true;
    }
    for (String suffix : new String[] {"est", "er"}) {
      if (x.endsWith(suffix) && y.endsWith(suffix)) {
        return inGroup(positive(x, suffix), positive(y, suffix)); // "fastest" / "quickest"
      }
    }
    return false;
  }

  private static boolean inGroup(String x, String y) {
    BitSet gx = SYNONYMS.get(x);
    BitSet gy = SYNONYMS.get(y);
    return gx != null && gy != null && gx.intersects(gy);
  }

  /** The positive of a comparative or superlative: "easiest" → "easy", "biggest" → "big". */
  static String positive(String word, String suffix) {
    String stem = word.substring(0, word.length() - suffix.length());
    if (stem.endsWith("i")) {
      return stem.substring(0, stem.length() - 1) + "y";
    }
    int n = stem.length();
    if (n > 2 && stem.charAt(n - 1) == stem.charAt(n - 2)) {
      return stem.substring(0, n - 1);
    }
    return SYNONYMS.containsKey(stem) ? stem : stem + "e";
  }

  private static Map<String, BitSet> synonymGroups() {
    Map<String, BitSet> groups = new HashMap<>();
    List<List<String>> records = LISTS.records("synonyms");
    for (int g = 0; g < records.size(); g++) {
      for (String word : records.get(g)) {
        groups.computeIfAbsent(lemma(word), k -> new BitSet()).set(g);
      }
    }
    return Map.copyOf(groups);
  }

  // --- reading -------------------------------------------------------------------------------

  private void read(List<String> tokens) {
    boolean[] skip = new boolean[tokens.size()];
    FILLERS.mark(tokens, skip, null);
    boolean[] classWords = skip.clone();
    boolean[] classSkip = skip.clone();
    markNouns(tokens, classSkip);
    markClasses(tokens, classSkip, classWords, QUANTIFIERS, quantifiers);
    markClasses(tokens, classSkip, classWords, MODALS, modals);
    markClasses(tokens, classSkip, classWords, TENSES, tenses);
    markClasses(tokens, classSkip, classWords, QUESTIONS, questions);
    for (Phrases question : QUESTIONS) {
      opensWithQuestion |= !tokens.isEmpty() && question.matchAt(tokens, 0, skip) > 0;
    }
    // adverbs of degree stay content words: "slightly" / "badly" is a substitution
    markClasses(tokens, classSkip, new boolean[tokens.size()], DEGREES, degrees);
    markClasses(tokens, classSkip, new boolean[tokens.size()], MOTIONS, motions);
    readHedges(tokens, classWords);
    readDimensions(tokens, classWords);
    readNegations(tokens);
    readCounts(tokens);
    readOpening(tokens);
    markKnowing(tokens, classWords);
    readPersons(tokens, classSkip);
    freeChoice(tokens);
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      if (CONTRASTIVES.contains(t) && !skip[i]) {
        contrastives.add(t.equals("another") || t.equals("else") ? "other" : t);
      }
      if (!skip[i]) { // "tell me how to" is courtesy
        subject |= t.equals("i") || t.equals("we");
        object |= t.equals("me") || t.equals("us");
      }
    }
    skip = classWords;
    perfect(tokens);
    readComparisons(tokens);
    if (tokens.size() > 2
        && tokens.get(1).equals("you")
        && OPENING_MODALS.containsKey(tokens.get(0))) {
      openingModal = OPENING_MODALS.get(tokens.get(0));
    }
    StringBuilder gap = new StringBuilder();
    String pendingMarker = null;
    String pendingPossessor = null;
    String pendingOwnerMarker = null;
    boolean pendingPlace = false;
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      pendingPlace |= t.equals("in");
      if (skip[i]
          || STOP_WORDS.contains(t)
          || DIRECTIONS.containsKey(t)
          || OWNER_MARKERS.contains(t)
          || t.equals(POSSESSIVE)) {
        gap.append(t).append(' ');
      }
      if (t.equals(POSSESSIVE)) {
        String owner = i > 0 ? tokens.get(i - 1) : "";
        if (allWords.contains(owner) && !hasDigit(owner)) {
          pendingPossessor = lemma(owner);
          pendingMarker = POSSESSIVE;
        }
        continue;
      }
      String marker = DIRECTIONS.get(t);
      if (marker != null) {
        pendingMarker = marker;
        continue;
      }
      if (OWNER_MARKERS.contains(t)) {
        // "for my boss to record my calls": the boss is the one who acts, not an owner
        pendingOwnerMarker = t.equals("for") && agentOfInfinitive(tokens, i) ? null : t;
        continue;
      }
      if (skip[i] || STOP_WORDS.contains(t)) {
        continue;
      }
      allWords.add(t);
      if (pendingPlace) {
        placeWords.add(lemma(t)); // "the longest river in Africa"
        pendingPlace = false;
      }
      if (pendingOwnerMarker != null) {
        ownerWords.add(lemma(t));
        if (pendingOwnerMarker.equals("of")) {
          ofWords.add(lemma(t));
        }
        pendingOwnerMarker = null;
      }
      if (pendingPossessor != null) {
        possessors.add(pendingPossessor);
        owned.add(lemma(t));
        pendingPossessor = null;
      }
      if (pendingMarker != null) {
        roles.add(pendingMarker + "→" + t); // the word as written: "http" / "https" differ
        pendingMarker = null;
      }
      if (hasDigit(t) || NUMBER_WORDS.contains(t)) {
        continue; // numbers are the base guard's
      }
      String lemma = lemma(t);
      words.add(t);
      lemmas.add(lemma);
      gaps.add(gap.toString());
      gap.setLength(0);
    }
    readPassive(tokens);
  }

  private static final Set<String> BE_FORMS =
      Set.of("is", "are", "was", "were", "be", "been", "being", "get", "gets", "got", "gotten");

  /**
   * A passive with its agent ("Was the dog bitten by the cat?"): the agent is the word after "by",
   * the patient the first content word.
   */
  private void readPassive(List<String> tokens) {
    if (lemmas.size() < 3) {
      return;
    }
    boolean be = false;
    for (int i = 1; i + 1 < tokens.size(); i++) {
      be |= BE_FORMS.contains(tokens.get(i - 1));
      if (be && tokens.get(i + 1).equals("by") && !STOP_WORDS.contains(tokens.get(i))) {
        int j = i + 2;
        while (j < tokens.size() && STOP_WORDS.contains(tokens.get(j))) {
          j++;
        }
        if (j < tokens.size() && !hasDigit(tokens.get(j))) {
          agent = lemma(tokens.get(j));
          patient = lemmas.get(0);
        }
        return;
      }
    }
  }

  /**
   * A verb of knowing before "if" or "whether" ("know if", "tell whether", "check if", "figure out
   * if") asks whether something holds, whichever verb it is: such verbs are left out of the content
   * words.
   */
  private static void markKnowing(List<String> tokens, boolean[] classWords) {
    for (int i = 0; i + 1 < tokens.size(); i++) {
      String next = tokens.get(i + 1);
      if ((next.equals("if") || next.equals("whether")) && WHETHER_VERBS.contains(tokens.get(i))) {
        classWords[i] = true;
        if (i > 0 && tokens.get(i).equals("out") && tokens.get(i - 1).equals("figure")) {
          classWords[i - 1] = true;
        }
      }
    }
  }

  /** The grammatical person of each possessive determiner: "my" 1, "your" 2, "her" 3. */
  private static final Map<String, Integer> POSSESSIVE_PERSONS =
      Map.of("my", 1, "our", 1, "your", 2, "his", 3, "her", 3, "their", 3, "its", 3);

  /** Time nouns after which "this", "next" and "last" place a question in time. */
  private static final Set<String> TIME_NOUNS = Set.copyOf(LISTS.words("time-nouns"));

  /** "this week" (0), "next week" (1), "last week" (2). */
  private static final Map<String, Integer> DEICTICS =
      Map.of(
          "this",
          0,
          "current",
          0,
          "next",
          1,
          "coming",
          1,
          "following",
          1,
          "last",
          2,
          "previous",
          2,
          "past",
          2);

  /**
   * Reads whose each noun is ("my card": 1, "your card": 2), who asks ("I", "you" as a subject),
   * and which week or month a time noun is ("this week", "next week").
   */
  private void readPersons(List<String> tokens, boolean[] skip) {
    for (int i = 0; i + 1 < tokens.size(); i++) {
      String t = tokens.get(i);
      Integer person = POSSESSIVE_PERSONS.get(t);
      String next = tokens.get(i + 1);
      if (person != null && !STOP_WORDS.contains(next) && !skip[i]) {
        persons.put(lemma(next), person);
      }
      Integer deictic = DEICTICS.get(t);
      if (deictic != null && TIME_NOUNS.contains(next)) {
        deictics.set(deictic);
      }
      if (!skip[i]) {
        if (t.equals("you")) {
          askers.set(2);
        } else if (t.equals("i") || t.equals("we")) {
          askers.set(1);
        }
      }
    }
  }

  /** Index of the universal class ("all", "every", "everyone") in the quantifier list. */
  private static final int UNIVERSAL = 0;

  /** Index of the class of "can", "may", "possible to" in the modal list. */
  private static final int POSSIBILITY = 0;

  private static final Set<String> FREE_CHOICE = Set.of("any", "anyone", "anybody", "anything");

  /**
   * "Can anybody join?" asks whether everybody may: "any" under a modal of possibility is
   * universal, so it also counts as "all".
   */
  private void freeChoice(List<String> tokens) {
    if (!modals.get(POSSIBILITY)) {
      return;
    }
    for (String t : tokens) {
      if (FREE_CHOICE.contains(t)) {
        quantifiers.set(UNIVERSAL);
        return;
      }
    }
  }

  /** Whether the words after a "for" at {@code i} name who does an infinitive ("for X to ..."). */
  private static boolean agentOfInfinitive(List<String> tokens, int i) {
    int j = i + 1;
    while (j < tokens.size() && STOP_WORDS.contains(tokens.get(j))) {
      j++;
    }
    return j + 1 < tokens.size() && tokens.get(j + 1).equals("to");
  }

  /** Words after which a modal or an auxiliary is a noun: "sign the will", "a can of paint". */
  private static final Set<String> DETERMINERS =
      Set.of("the", "a", "an", "my", "your", "his", "her", "their", "our", "its", "this", "that");

  /** Marks the closed-class words used as nouns ("the will") so no class reads them. */
  private static void markNouns(List<String> tokens, boolean[] skip) {
    for (int i = 1; i < tokens.size(); i++) {
      if (DETERMINERS.contains(tokens.get(i - 1)) && NOUN_LIKE_MODALS.contains(tokens.get(i))) {
        skip[i] = true;
      }
    }
  }

  private static final Set<String> NOUN_LIKE_MODALS = Set.of("will", "can", "may", "must", "might");

  /**
   * Words after "how" that ask for no dimension: "how do", "how exactly", "how come" (the listed
   * question classes are read first).
   */
  private static final Set<String> HOW_FRAMES = Set.copyOf(LISTS.words("how-frames"));

  /**
   * "how fast", "how heavy", "how bright": a "how" before a word that is no auxiliary asks for a
   * dimension, named by that word; two prompts asking for different ones ask different questions.
   */
  private void readDimensions(List<String> tokens, boolean[] classWords) {
    for (int i = 0; i + 2 < tokens.size(); i++) {
      if (tokens.get(i).equals("how") && !classWords[i] && !classWords[i + 1]) {
        String next = tokens.get(i + 1);
        if (!HOW_FRAMES.contains(next)
            && !STOP_WORDS.contains(next)
            && !hasDigit(next)
            && AUXILIARIES.contains(tokens.get(i + 2))) { // "how fast can", not "how tides work"
          dimensions.add(next);
          classWords[i] = true;
          classWords[i + 1] = true;
        }
      }
    }
  }

  /** The auxiliaries and modals a "how fast" question goes on with. */
  private static final Set<String> AUXILIARIES =
      Set.of(
          "is", "are", "was", "were", "do", "does", "did", "can", "could", "will", "would",
          "should", "must", "might", "may", "has", "have", "had", "shall");

  private static final Set<String> NEGATION_WORDS =
      Set.of("not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without");

  private static final Phrases IMPLICIT_NEGATIONS = phrases(LISTS.words("implicit-negations"));

  /** Counts the negations, and those said by a verb ("fail to sign", "forgot to pay"). */
  private void readNegations(List<String> tokens) {
    boolean[] found = new boolean[tokens.size()];
    for (int i = 0; i < tokens.size(); i++) {
      if (NEGATION_WORDS.contains(tokens.get(i))) {
        negations++;
      }
      int length = IMPLICIT_NEGATIONS.matchAt(tokens, i, found);
      if (length > 0) {
        implicitNegations++;
        i += length - 1;
      }
    }
  }

  /** Whether the token is a number: digits or a number written as a word. */
  private static boolean number(String t) {
    return hasDigit(t) || NUMBER_WORDS.contains(t) || t.equals("one") || t.equals("half");
  }

  /**
   * The bounds of numbers: a phrase of the list {@code hedges} right before a number (one function
   * word may come between: "about a dozen"), or, for a phrase opening with "or" ("or more"), right
   * after one; its words are then no content words. "What is it about?" and "what exactly is" bound
   * no number.
   */
  private void readHedges(List<String> tokens, boolean[] classWords) {
    boolean[] none = new boolean[tokens.size()];
    for (int i = 0; i < tokens.size(); i++) {
      for (int c = 0; c < HEDGES.size(); c++) {
        int length = HEDGES.get(c).matchAt(tokens, i, none);
        if (length == 0) {
          continue;
        }
        int next = i + length;
        boolean bounds =
            tokens.get(i).equals("or")
                ? i > 0 && number(tokens.get(i - 1))
                : next < tokens.size() && number(tokens.get(next))
                    || next + 1 < tokens.size()
                        && !number(tokens.get(next))
                        && number(tokens.get(next + 1))
                        && STOP_WORDS.contains(tokens.get(next));
        if (bounds
            && tokens.get(i).equals("over")
            && next + 1 < tokens.size()
            && TIME_NOUNS.contains(lemma(tokens.get(next + 1)))) {
          bounds = false; // "over 30 years": a span
        }
        if (bounds) {
          hedges.set(c);
          for (int k = i; k < i + length; k++) {
            classWords[k] = true; // judged by the hedge check, not aligned: "about" / "roughly"
          }
          i += length - 1;
          break;
        }
      }
    }
  }

  /** Words that make the noun after them one thing: "a single star", "one chicken". */
  private static final Set<String> SINGULAR_MARKERS = Set.of("single", "one", "lone", "sole");

  /** Words that make the noun after them more than one: "a double transplant", "twin engines". */
  private static final Set<String> MULTIPLES =
      Set.of("double", "triple", "quadruple", "twin", "dual", "multiple");

  /** Nouns that name a group of the noun beside them: "a flock of chickens", "a star cluster". */
  private static final Set<String> COLLECTIVES = Set.copyOf(LISTS.words("collectives"));

  /**
   * Which nouns are said to be one ("a single goldfish", "one chicken"; "a" alone is generic: "how
   * do I remove a stain" asks about stains) and which many: a plural ("twins", "bees"), a noun
   * after "a ... of" ("a tank of goldfish") or beside a collective noun ("a flock of chickens", "a
   * star cluster").
   */
  private void readCounts(List<String> tokens) {
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      if (t.equals("of") && i >= 2 && i + 1 < tokens.size()) {
        String head = tokens.get(i - 1);
        String before = tokens.get(i - 2);
        if ((before.equals("a") || before.equals("an")) && !STOP_WORDS.contains(head)) {
          groups.add(lemma(tokens.get(i + 1))); // "a tank of goldfish"
          collected.add(lemma(tokens.get(i + 1)));
        }
      }
      if (STOP_WORDS.contains(t) && !t.equals("a") && !t.equals("an") || hasDigit(t)) {
        continue;
      }
      if (SINGULAR_MARKERS.contains(t) || t.equals("a") || t.equals("an")) {
        int k = i + 1;
        boolean counted = SINGULAR_MARKERS.contains(t);
        if (k < tokens.size() && SINGULAR_MARKERS.contains(tokens.get(k))) {
          k++; // "a single"
          counted = true;
        }
        if (k < tokens.size() && !STOP_WORDS.contains(tokens.get(k)) && !hasDigit(tokens.get(k))) {
          String noun = tokens.get(k);
          boolean of = k + 1 < tokens.size() && tokens.get(k + 1).equals("of");
          if (counted && !of && !COLLECTIVES.contains(noun)) {
            singles.add(lemma(noun)); // not after "a" alone: "a stain" / "stains" is generic
          } else if (!of && !COLLECTIVES.contains(noun) && !MULTIPLES.contains(noun)) {
            articled.add(lemma(noun)); // "a bee": one, against a group only ("a swarm of bees")
          }
        }
        continue;
      }
      if (COLLECTIVES.contains(t)) {
        if (i > 0 && !STOP_WORDS.contains(tokens.get(i - 1))) {
          groups.add(lemma(tokens.get(i - 1))); // "a star cluster"
          collected.add(lemma(tokens.get(i - 1)));
        }
      }
      if (MULTIPLES.contains(t)
          && i + 1 < tokens.size()
          && !STOP_WORDS.contains(tokens.get(i + 1))) {
        groups.add(lemma(tokens.get(i + 1))); // "a double kidney transplant"
        collected.add(lemma(tokens.get(i + 1)));
      }
      String lemma = lemma(t);
      if (!lemma.equals(t) && t.endsWith("s") && !t.endsWith("ss")) {
        groups.add(lemma); // "twins"
      }
    }
  }

  /** Auxiliaries after which an opening "who" or "which team" asks for the object. */
  private static final Set<String> DO_FORMS = Set.of("do", "does", "did");

  /**
   * Whether the prompt opens with a question for the subject ("Which team beat Brazil?", 1), for
   * the object ("Which team did Brazil beat?", 2), or neither (0).
   */
  private void readOpening(List<String> tokens) {
    if (tokens.size() < 3 || !WH_OPENERS.contains(tokens.get(0))) {
      return;
    }
    String second = tokens.get(1);
    String third = tokens.get(2);
    if (DO_FORMS.contains(second)) {
      whOpening = 2; // "who did", "what did"
    } else if (AUXILIARIES.contains(second) || STOP_WORDS.contains(second) || hasDigit(second)) {
      whOpening = 0; // "who is", "what can", "what a"
    } else if (tokens.get(0).equals("who")) {
      whOpening = 1; // "who beat"
    } else if (DO_FORMS.contains(third)) {
      whOpening = 2; // "which team did"
    } else if (!AUXILIARIES.contains(third) && !hasDigit(third)) {
      whOpening = 1; // "which team beat", "what chased the dog"
    }
  }

  private static final Set<String> WH_OPENERS = Set.of("who", "which", "what");

  /** Classes of the modal of an opening "can you ...": a generic question, not courtesy. */
  private static final Map<String, String> OPENING_MODALS =
      Map.of(
          "can", "can", "could", "can", "may", "can", "might", "can", "should", "should", "ought",
          "should", "must", "must", "will", "will", "would", "will");

  /** "less safe" (weaker), "safer" and "more reliable" (stronger). */
  private void readComparisons(List<String> tokens) {
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      if (i + 1 < tokens.size() && (t.equals("less") || t.equals("more"))) {
        (t.equals("less") ? lessened : heightened).add(tokens.get(i + 1));
      } else if (t.length() > 4 && t.endsWith("er")) {
        String stem = t.substring(0, t.length() - 2);
        heightened.add(stem);
        heightened.add(stem + "e");
        heightened.add(positive(t, "er"));
      }
    }
  }

  /**
   * Finds the condition clauses: from a condition word ("if", "unless", "in case") to the end of
   * its sentence part. An "if" after a verb of knowing ("tell if", "not sure if") means "whether"
   * and opens no condition.
   */
  private void readConditions(String text) {
    for (String part : text.split("[,;:.?!]+")) {
      List<String> tokens = tokens(part);
      for (int i = 0; i < tokens.size(); i++) {
        int length = CONDITIONS.matchAt(tokens, i, new boolean[tokens.size()]);
        if (length == 0) {
          continue;
        }
        if (tokens.get(i).equals("if")
            && (whether(tokens, i)
                || COURTEOUS_IFS.matchAt(tokens, i, new boolean[tokens.size()]) > 0)) {
          continue;
        }
        conditionCount++;
        for (int k = i + length; k < tokens.size(); k++) {
          String t = tokens.get(k);
          if (!STOP_WORDS.contains(t) && !DIRECTIONS.containsKey(t) && !t.equals(POSSESSIVE)) {
            conditionWords.add(t);
          }
        }
        break;
      }
    }
  }

  private static boolean whether(List<String> tokens, int i) {
    for (int k = Math.max(0, i - 2); k < i; k++) {
      if (WHETHER_VERBS.contains(tokens.get(k))) {
        return true;
      }
    }
    return false;
  }

  /** Each marker of the directions list mapped to the first marker of its class. */
  private static Map<String, String> markerClasses() {
    Map<String, String> classes = new HashMap<>();
    for (List<String> record : LISTS.records("directions")) {
      for (String marker : record) {
        classes.put(marker, record.get(0));
      }
    }
    return Map.copyOf(classes);
  }

  /** "has the candidate accepted": a perfect tense without "been" is past too. */
  private void perfect(List<String> tokens) {
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      if (t.equals("has") || t.equals("have") || t.equals("had")) {
        // "has the refund cleared": a question that opens with the auxiliary puts its subject,
        // however long, before the participle
        int window = i == 0 ? 8 : 4;
        for (int j = i + 1; j < Math.min(tokens.size(), i + window); j++) {
          String next = tokens.get(j);
          if (next.length() > 4 && next.endsWith("ed")) {
            tenses.set(PAST);
            return;
          }
        }
      }
    }
  }

  /**
   * Finds the classes of one list among the tokens not skipped (each list reads the tokens afresh:
   * "will" is a modal and a tense) and adds the words found to {@code classWords}.
   */
  private static void markClasses(
      List<String> tokens,
      boolean[] skip,
      boolean[] classWords,
      List<Phrases> classes,
      BitSet found) {
    boolean[] marked = skip.clone();
    for (int c = 0; c < classes.size(); c++) {
      boolean[] hit = new boolean[1];
      classes.get(c).mark(tokens, marked, hit);
      if (hit[0]) {
        found.set(c);
      }
    }
    for (int i = 0; i < marked.length; i++) {
      classWords[i] |= marked[i];
    }
  }

  private static boolean hasDigit(String t) {
    for (int i = 0; i < t.length(); i++) {
      if (Character.isDigit(t.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Drops up to two opening clauses that are courtesy ("I'm not sure, but", "Thanks in advance,",
   * "Quick question:") when more prompt follows, so a "not" in them is no negation.
   */
  private static String stripLeadIn(String prompt) {
    String text = prompt.strip();
    int first = leadInEnd(text);
    if (first > 0) { // two clauses read as one lead-in: "Forgive me, I'm not an art person: what"
      int second = leadInEnd(text.substring(first));
      if (second > 0) {
        String rest = text.substring(first + second).strip();
        List<String> restTokens = tokens(rest);
        if (restTokens.size() >= 3
            && aboutTheAsker(tokens(text.substring(0, first + second)), restTokens)) {
          text = rest;
        }
      }
    }
    for (int round = 0; round < 2; round++) {
      int end = leadInEnd(text);
      if (end < 0) {
        break;
      }
      String clause = text.substring(0, end);
      String rest = text.substring(end).strip();
      List<String> clauseTokens = tokens(clause);
      List<String> restTokens = tokens(rest);
      if (restTokens.size() < 3
          || !LEAD_IN_CUES.containsIn(clauseTokens) && !aboutTheAsker(clauseTokens, restTokens)) {
        break;
      }
      text = rest;
    }
    return text;
  }

  /**
   * Words that make a lead-in clause speak of the asker ("I can't remember", "don't ask me"); "my"
   * alone does not ("My package never arrived, what now?" speaks of the package).
   */
  private static final Set<String> ASKER = Set.of("i", "me", "we", "us");

  private static final Set<String> CLAUSE_NEGATIONS = Set.of("not", "never", "nobody", "no");

  /**
   * A short opening clause with a negation that speaks of the asker or the asking, none of whose
   * content words the question after it uses, before a question: "I can't remember, how many ...",
   * "Don't laugh, but how do I ...", "Nobody in my family knows: how do I ...". Its negation is not
   * the question's.
   */
  private static boolean aboutTheAsker(List<String> clause, List<String> rest) {
    if (clause.isEmpty() || clause.size() > 12 || !QUESTION_OPENERS.contains(rest.get(0))) {
      return false;
    }
    boolean negated = false;
    boolean asker =
        clause.get(0).equals("do")
            || clause.get(0).equals("not")
            || clause.get(0).equals("nobody") && clause.contains("my"); // "Nobody in my family"
    for (String t : clause) {
      negated |= CLAUSE_NEGATIONS.contains(t);
      asker |= ASKER.contains(t);
    }
    if (!negated || !asker) {
      return false;
    }
    Set<String> restLemmas = new HashSet<>();
    for (String t : rest) {
      restLemmas.add(lemma(t));
    }
    for (String t : clause) {
      if (!STOP_WORDS.contains(t)
          && !CLAUSE_NEGATIONS.contains(t)
          && restLemmas.contains(lemma(t))) {
        return false; // the clause speaks of what is asked: "I'm not vegan, is this vegan?"
      }
    }
    return true;
  }

  /** Words a question or a request starts with. */
  private static final Set<String> QUESTION_OPENERS =
      Set.of(
          "how", "what", "why", "when", "where", "who", "which", "whats", "is", "are", "can",
          "could", "do", "does", "did", "should", "will", "would", "please", "explain", "tell");

  private static int leadInEnd(String text) {
    int limit = Math.min(text.length(), 120);
    for (int i = 0; i < limit; i++) {
      char c = text.charAt(i);
      if (c == ',' || c == ':' || c == ';' || c == '!' || c == '.' || c == '?') {
        if (c == '.' && i + 1 < text.length() && !Character.isWhitespace(text.charAt(i + 1))) {
          continue; // a decimal point or a dotted name
        }
        int end = i + 1;
        String after = text.substring(end).stripLeading().toLowerCase(Locale.ROOT);
        for (String joiner : new String[] {"but ", "so ", "so:", "so,"}) {
          if (after.startsWith(joiner)) {
            end = text.length() - after.length() + joiner.length();
          }
        }
        return end;
      }
      if ((c == ' ') && text.regionMatches(true, i, " but ", 0, 5)) {
        return i + 5;
      }
    }
    return -1;
  }

  private static int minutes(Matcher m) {
    if (m.group(1) != null) {
      return clock(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), m.group(3));
    }
    if (m.group(4) != null) {
      return clock(Integer.parseInt(m.group(4)), 0, m.group(5));
    }
    if (m.group(6) != null) {
      return clock(Integer.parseInt(m.group(6)), 0, null);
    }
    if (m.group(7) != null) {
      return m.group(7).equalsIgnoreCase("midnight") ? 0 : 12 * 60;
    }
    if (m.group(11) != null) {
      return m.group(11).equalsIgnoreCase("midnight") ? 0 : 12 * 60; // "12 midnight"
    }
    if (m.group(12) != null) {
      return clock(Integer.parseInt(m.group(12)), 0, null); // "10 in the morning"
    }
    String hourText = m.group(10).toLowerCase(Locale.ROOT);
    Integer hour =
        hourText.chars().allMatch(Character::isDigit)
            ? Integer.valueOf(hourText)
            : HOUR_WORDS.get(hourText);
    if (hour == null || hour > 24) {
      return -1;
    }
    int offset = m.group(8).equalsIgnoreCase("half") ? 30 : 15;
    return clock(hour, 0, null) + (m.group(9).equalsIgnoreCase("past") ? offset : -offset);
  }

  /** Minutes after midnight; an hour without am/pm is read as written (7:00 is 07:00). */
  private static int clock(int hour, int minute, String meridiem) {
    if (hour > 24) {
      return -1;
    }
    int h = hour % 24;
    if (meridiem != null) {
      boolean pm = Character.toLowerCase(meridiem.charAt(0)) == 'p';
      h = hour % 12 + (pm ? 12 : 0);
    }
    return h * 60 + minute;
  }

  /** Lower-case word tokens with contractions expanded ("can't" = "can not", "it's" = "it is"). */
  static List<String> tokens(String text) {
    List<String> out = new ArrayList<>(text.length() / 5 + 1);
    String t = text.toLowerCase(Locale.ROOT).replace('’', '\'');
    int n = t.length();
    int i = 0;
    while (i < n) {
      char c = t.charAt(i);
      if (!Character.isLetterOrDigit(c)) {
        i++;
        continue;
      }
      int start = i;
      while (i < n
          && (Character.isLetterOrDigit(t.charAt(i))
              || t.charAt(i) == '\''
                  && i + 1 < n
                  && Character.isLetter(t.charAt(i + 1))
                  && i > start)) {
        i++;
      }
      add(out, t.substring(start, i));
    }
    return out;
  }

  private static void add(List<String> out, String word) {
    int apostrophe = word.indexOf('\'');
    if (apostrophe < 0) {
      String expanded = CONTRACTIONS.get(word);
      if (expanded == null) {
        out.add(word);
      } else {
        for (String part : expanded.split(" ")) {
          out.add(part);
        }
      }
      return;
    }
    String head = word.substring(0, apostrophe);
    String tail = word.substring(apostrophe + 1);
    if (head.equals("let") && tail.equals("s")) {
      out.add("let");
      out.add("us");
      return;
    }
    if (tail.equals("t") && head.endsWith("n")) {
      add(out, head + "t"); // can't → cant → can not
      return;
    }
    out.add(head);
    switch (tail) {
      case "ll":
        out.add("will");
        break;
      case "re":
        out.add("are");
        break;
      case "m":
        out.add("am");
        break;
      case "ve":
        out.add("have");
        break;
      case "d":
        out.add("would");
        break;
      case "s":
        out.add(IS_BEFORE_S.contains(head) ? "is" : POSSESSIVE);
        break;
      default:
        break;
    }
  }

  // --- phrase lists ----------------------------------------------------------------------------

  private static List<Phrases> classes(String list) {
    List<Phrases> classes = new ArrayList<>();
    for (List<String> record : LISTS.records(list)) {
      classes.add(phrases(record));
    }
    return List.copyOf(classes);
  }

  private static Phrases phrases(List<String> entries) {
    Map<String, List<List<String>>> byFirst = new HashMap<>();
    for (String entry : entries) {
      List<String> words = tokens(entry);
      if (!words.isEmpty()) {
        byFirst.computeIfAbsent(words.get(0), k -> new ArrayList<>()).add(words);
      }
    }
    for (List<List<String>> options : byFirst.values()) {
      options.sort((x, y) -> y.size() - x.size()); // longest first
    }
    return new Phrases(byFirst);
  }

  /** Phrases of whole words, matched longest first. */
  private record Phrases(Map<String, List<List<String>>> byFirst) {

    /** Marks the tokens of each phrase found (not already marked) in {@code skip}. */
    void mark(List<String> tokens, boolean[] skip, boolean[] found) {
      for (int i = 0; i < tokens.size(); i++) {
        if (skip[i]) {
          continue;
        }
        int length = matchAt(tokens, i, skip);
        if (length > 0) {
          for (int k = 0; k < length; k++) {
            skip[i + k] = true;
          }
          if (found != null) {
            found[0] = true;
          }
          i += length - 1;
        }
      }
    }

    boolean containsIn(List<String> tokens) {
      boolean[] none = new boolean[tokens.size()];
      for (int i = 0; i < tokens.size(); i++) {
        if (matchAt(tokens, i, none) > 0) {
          return true;
        }
      }
      return false;
    }

    int matchAt(List<String> tokens, int i, boolean[] skip) {
      List<List<String>> options = byFirst.get(tokens.get(i));
      if (options == null) {
        return 0;
      }
      for (List<String> phrase : options) {
        int k = 0;
        while (k < phrase.size()
            && i + k < tokens.size()
            && !skip[i + k]
            && tokens.get(i + k).equals(phrase.get(k))) {
          k++;
        }
        if (k == phrase.size()) {
          return k;
        }
      }
      return 0;
    }
  }
}
