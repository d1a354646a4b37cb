package dev.aigateway.core.cache;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What {@link FalseHitGuard} reads from one prompt, in one pass over at most {@link
 * FalseHitGuard#MAX_ANALYSED_CHARS} characters: no regular expressions, so the time is linear in
 * the analysed length whatever the input.
 */
final class PromptMarkers {

  private static final String LEADING = "\"'“”‘([{<*_¿¡`";
  private static final String TRAILING = "\"'“”’)]}>,;:!?.*_`";
  private static final int MAX_QUOTE = 300;
  private static final int MAX_FENCE = 4_000;
  private static final int SNAP = 64;
  private static final Set<String> TIME_UNITS = Set.of("ms", "s", "min", "h", "d", "wk", "mo", "y");

  // The kinds of the token stream the number pass reads.
  private static final byte WORD = 0;
  private static final byte NUMBER = 1;
  private static final byte OTHER = 2;
  private static final byte BREAK = 3;

  private final GuardLexicon lexicon;
  private final String text;

  int negations;

  /** Opposite-pole lemmas present, with their pole codes. */
  final Map<String, Integer> poles = new HashMap<>(8);

  /** The task classes of the words and two-word phrases ("translate", "pull out"). */
  final BitSet tasks = new BitSet();

  /** Numbers with their units, canonical ("5|km", "10|%", "3|ord", "per|d"), sorted. */
  final List<String> numbers = new ArrayList<>(4);

  /** The values of the numbers, without units, in the order they are written. */
  final List<String> numberOrder = new ArrayList<>(4);

  /** Quoted spans, lower case, without quote characters, whitespace collapsed. */
  final List<String> quoted = new ArrayList<>(2);

  /** Code-like tokens, lower case. */
  final List<String> identifiers = new ArrayList<>(2);

  /** Names: capitalised words not at a sentence start, acronyms, mixed letter-digit tokens. */
  final List<String> entities = new ArrayList<>(4);

  /**
   * Capitalised words at a sentence start that are not common words: names, or words the lexicon
   * lacks ("Compose a haiku", "Regex for emails").
   */
  final List<String> openingNames = new ArrayList<>(2);

  /** Every form under which the other prompt may mention a token of this one. */
  final Set<String> vocabulary = new HashSet<>(64);

  /** The words, lower case, in order (for affixal negation). */
  final List<String> words = new ArrayList<>(32);

  private final List<String> capitalised = new ArrayList<>(4);
  private int capitalisedCandidates;
  private int midSentenceWords;
  private int upperLetters;
  private int lowerLetters;

  // The token stream for the number pass.
  private final List<String> streamText = new ArrayList<>(32);
  private final List<Byte> streamKind = new ArrayList<>(32);
  private final List<String> streamUnit = new ArrayList<>(32);
  private final List<Double> streamValue = new ArrayList<>(32);

  private String previousWord;
  private String flat;
  private Set<String> stems;
  private String initials;

  private PromptMarkers(GuardLexicon lexicon, String text) {
    this.lexicon = lexicon;
    this.text = text;
  }

  static PromptMarkers of(String prompt, GuardLexicon lexicon) {
    PromptMarkers facts = new PromptMarkers(lexicon, clip(prompt).replace('’', '\''));
    facts.scanQuotes();
    facts.scanTokens();
    facts.scanNumbers();
    facts.finish();
    return facts;
  }

  /**
   * The prompt itself when short enough, else its head and its tail, each half of the cap and each
   * cut at whitespace: the question after a long pasted document is still read.
   */
  static String clip(String prompt) {
    int max = FalseHitGuard.MAX_ANALYSED_CHARS;
    if (prompt.length() <= max) {
      return prompt;
    }
    int headEnd = max / 2;
    for (int i = headEnd; i > headEnd - SNAP; i--) {
      if (Character.isWhitespace(prompt.charAt(i))) {
        headEnd = i;
        break;
      }
    }
    int tailStart = prompt.length() - max / 2;
    for (int i = tailStart; i < tailStart + SNAP; i++) {
      if (Character.isWhitespace(prompt.charAt(i))) {
        tailStart = i;
        break;
      }
    }
    return prompt.substring(0, headEnd) + "\n" + prompt.substring(tailStart);
  }

  /** The text in lower case without quote characters, whitespace collapsed; made on demand. */
  String flat() {
    if (flat == null) {
      flat = normalise(text, 0, text.length());
    }
    return flat;
  }

  /**
   * Whether consecutive words of this prompt have {@code acronym}'s letters as initials ("pull
   * request" for "pr", "single sign-on" for "sso").
   */
  boolean spellsOut(String acronym) {
    int n = acronym.length();
    if (n < 2 || n > 6 || words.size() < n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (!Character.isLetter(acronym.charAt(i))) {
        return false;
      }
    }
    if (initials == null) {
      StringBuilder letters = new StringBuilder(words.size());
      for (String word : words) {
        letters.append(word.charAt(0));
      }
      initials = letters.toString();
    }
    return initials.contains(acronym) || spelledRun(acronym.toLowerCase(Locale.ROOT), null);
  }

  /** Function words an acronym may skip or spell: "DMV" for "Department of Motor Vehicles". */
  private static final Set<String> ACRONYM_JOINERS = Set.of("of", "and", "for", "the", "a", "on");

  /**
   * Whether {@code word} (lower case) is one of a run of this prompt's words whose initials spell
   * {@code acronym}, function words allowed between them ("motor" in "Department of Motor Vehicles"
   * for "DMV").
   */
  boolean spellsOutWith(String acronym, String word) {
    int n = acronym.length();
    if (n < 2 || n > 6) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (!Character.isLetter(acronym.charAt(i))) {
        return false;
      }
    }
    return spelledRun(acronym.toLowerCase(Locale.ROOT), word);
  }

  /** A run of words spelling {@code acronym} (and including {@code word}, unless null). */
  private boolean spelledRun(String acronym, String word) {
    for (int start = 0; start < words.size(); start++) {
      int end = spell(acronym, 0, start);
      if (end > start) {
        if (word == null) {
          return true;
        }
        for (int k = start; k < end; k++) {
          if (words.get(k).equals(word)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** The index after the run from word {@code p} that spells {@code acronym} from {@code k}. */
  private int spell(String acronym, int k, int p) {
    if (k == acronym.length()) {
      return p;
    }
    if (p >= words.size() || words.get(p).isEmpty()) {
      return -1;
    }
    String w = words.get(p);
    if (w.charAt(0) == acronym.charAt(k)) {
      int end = spell(acronym, k + 1, p + 1);
      if (end >= 0) {
        return end;
      }
      if (k + 1 < acronym.length() && compoundPart(w, acronym.charAt(k + 1))) {
        end = spell(acronym, k + 2, p + 1); // "TV" for "television", "HOA" for "homeowners ..."
        if (end >= 0) {
          return end;
        }
      }
    }
    if (k > 0 && ACRONYM_JOINERS.contains(w)) {
      return spell(acronym, k, p + 1);
    }
    return -1;
  }

  /**
   * Whether a long word may be a compound whose second part starts with {@code letter}: the letter
   * stands after at least three letters and before at least three ("tele|vision", "home|owners").
   */
  private static boolean compoundPart(String word, char letter) {
    if (word.length() < 7) {
      return false;
    }
    for (int j = 3; j + 3 <= word.length(); j++) {
      if (word.charAt(j) == letter) {
        return true;
      }
    }
    return false;
  }

  /** The crude stems of the words; made on demand. */
  Set<String> stems() {
    if (stems == null) {
      stems = new HashSet<>();
      for (String word : words) {
        stems.add(stem(word));
      }
    }
    return stems;
  }

  /** Strips the commonest inflections, so "encrypted", "encrypting", "encryption" meet. */
  static String stem(String word) {
    String w = word;
    int n = w.length();
    if (n > 5 && w.endsWith("ing")) {
      w = w.substring(0, n - 3);
    } else if (n > 5 && w.endsWith("ion")) {
      w = w.substring(0, n - 3);
    } else if (n > 4 && w.endsWith("ed")) {
      w = w.substring(0, n - 2);
    } else if (n > 3 && w.endsWith("s") && !w.endsWith("ss")) {
      w = w.substring(0, n - 1);
    }
    if (w.length() > 3 && w.endsWith("e")) {
      w = w.substring(0, w.length() - 1);
    }
    return w;
  }

  // --- quotes ------------------------------------------------------------------------------

  private void scanQuotes() {
    String t = text;
    int n = t.length();
    int i = 0;
    while (i < n) {
      char c = t.charAt(i);
      int close = -1;
      int contentStart = i + 1;
      if (c == '`' && t.startsWith("```", i)) {
        int end = t.indexOf("```", i + 3);
        if (end > 0 && end - i <= MAX_FENCE) {
          addQuote(i + 3, end);
          i = end + 3;
          continue;
        }
      } else if (c == '"' || c == '“' || c == '`') {
        close = closing(t, i + 1, c == '`' ? "`" : "\"”", false);
      } else if ((c == '\'' || c == '‘') && (i == 0 || opensQuote(t.charAt(i - 1)))) {
        close = closing(t, i + 1, "'", true);
      }
      if (close > contentStart) {
        addQuote(contentStart, close);
        i = close + 1;
      } else {
        i++;
      }
    }
  }

  private static boolean opensQuote(char before) {
    return Character.isWhitespace(before)
        || before == '('
        || before == '['
        || before == ':'
        || before == '=';
  }

  /** Where the quote opened before {@code from} closes, or -1 (never across a line). */
  private static int closing(String t, int from, String closers, boolean apostrophes) {
    int limit = Math.min(t.length(), from + MAX_QUOTE);
    if (from >= limit || Character.isWhitespace(t.charAt(from))) {
      return -1;
    }
    for (int j = from; j < limit; j++) {
      char c = t.charAt(j);
      if (c == '\n') {
        return -1;
      }
      if (closers.indexOf(c) >= 0) {
        if (!apostrophes) {
          return j;
        }
        boolean endsWord = j + 1 == t.length() || ",.;:!?)] \t\r\n".indexOf(t.charAt(j + 1)) >= 0;
        if (endsWord && !Character.isWhitespace(t.charAt(j - 1))) {
          return j;
        }
      }
    }
    return -1;
  }

  private void addQuote(int from, int to) {
    String span = normalise(text, from, to);
    if (!span.isEmpty()) {
      quoted.add(span);
    }
  }

  private static String normalise(String t, int from, int to) {
    StringBuilder out = new StringBuilder(to - from);
    boolean space = false;
    for (int i = from; i < to; i++) {
      char c = t.charAt(i);
      if ("\"“”`'‘’".indexOf(c) >= 0) {
        continue;
      }
      if (Character.isWhitespace(c)) {
        space = out.length() > 0;
        continue;
      }
      if (space) {
        out.append(' ');
        space = false;
      }
      out.append(Character.toLowerCase(c));
    }
    return out.toString();
  }

  // --- tokens ------------------------------------------------------------------------------

  private void scanTokens() {
    String t = text;
    int n = t.length();
    boolean sentenceStart = true;
    int i = 0;
    while (i < n) {
      char c = t.charAt(i);
      if (Character.isWhitespace(c)) {
        if (c == '\n') {
          sentenceStart = true;
          breakStream();
        }
        i++;
        continue;
      }
      int j = i;
      while (j < n && !Character.isWhitespace(t.charAt(j))) {
        char d = t.charAt(j);
        if (Character.isUpperCase(d)) {
          upperLetters++;
        } else if (Character.isLowerCase(d)) {
          lowerLetters++;
        }
        j++;
      }
      sentenceStart = token(i, j, sentenceStart);
      i = j;
    }
  }

  /** Reads the token {@code text[start, end)}; returns whether the next one starts a sentence. */
  private boolean token(int start, int end, boolean sentenceStart) {
    String t = text;
    if (sentenceStart && isBullet(t, start, end)) {
      breakStream();
      return true;
    }
    int s = start;
    while (s < end && LEADING.indexOf(t.charAt(s)) >= 0) {
      s++;
    }
    int e = end;
    boolean endsSentence = false;
    while (e > s && TRAILING.indexOf(t.charAt(e - 1)) >= 0) {
      char c = t.charAt(e - 1);
      endsSentence |= c == '.' || c == '!' || c == '?' || c == ':';
      e--;
    }
    if (e > s) {
      core(t.substring(s, e), sentenceStart);
    }
    if (endsSentence || e == s) {
      breakStream();
    }
    return endsSentence || (sentenceStart && e == s);
  }

  private static boolean isBullet(String t, int start, int end) {
    int len = end - start;
    char first = t.charAt(start);
    if (len == 1) {
      return first == '-' || first == '*' || first == '•' || first == '>';
    }
    char last = t.charAt(end - 1);
    if (last != '.' && last != ')') {
      return false;
    }
    for (int i = start; i < end - 1; i++) {
      if (!Character.isLetterOrDigit(t.charAt(i))) {
        return false;
      }
    }
    return len <= 3;
  }

  private void core(String core, boolean sentenceStart) {
    String lower = core.toLowerCase(Locale.ROOT);
    vocabulary.add(lower);
    if (isIdentifier(core)) {
      int paren = lower.indexOf('(');
      String key = paren > 0 ? lower.substring(0, paren) : lower;
      identifiers.add(key);
      vocabulary.add(key);
      addParts(lower);
      stream(OTHER, key, null, 0);
      previousWord = null;
      return;
    }
    if (isLetterHyphenNumber(core)) { // GPT-4, UTF-8, COVID-19: one name
      String key = strip(lower, "-");
      entities.add(key);
      vocabulary.add(key);
      addParts(lower);
      stream(OTHER, key, null, 0);
      previousWord = null;
      return;
    }
    vocabulary.add(strip(lower, "-./"));
    int from = 0;
    boolean start = sentenceStart;
    String previousPart = null;
    for (int i = 0; i <= core.length(); i++) {
      if (i == core.length() || core.charAt(i) == '-' || core.charAt(i) == '/') {
        if (i > from) {
          String part = core.substring(from, i);
          part(part, start);
          String partLower = lower.substring(from, i);
          if (previousPart != null) {
            vocabulary.add(previousPart + partLower);
          }
          previousPart = partLower;
          start = false;
        }
        from = i + 1;
      }
    }
  }

  private void part(String part, boolean sentenceStart) {
    String lower = part.toLowerCase(Locale.ROOT);
    vocabulary.add(lower);
    char first = part.charAt(0);
    if (first == '$' || first == '€' || first == '£' || first == '¥') {
      if (part.length() > 1 && Character.isDigit(part.charAt(1))) {
        number(lower.substring(1), lexicon.unit(String.valueOf(first)));
        return;
      }
    }
    if (Character.isDigit(first)) {
      number(lower, null);
      return;
    }
    int apostrophe = lower.indexOf('\'');
    String word = lower;
    if (apostrophe >= 0) {
      if (lexicon.isNegation(lower)) {
        negations++;
        word = lower.endsWith("n't") ? lower.substring(0, lower.length() - 3) : lower;
        if (word.equals("ca")) {
          word = "can";
        } else if (word.equals("wo")) {
          word = "will";
        }
        addWord(word, part, true);
        return;
      }
      word = lower.substring(0, apostrophe); // Google's, users', it's
      if (lexicon.isFunctionWord(lower) || word.isEmpty()) {
        addWord(word.isEmpty() ? lower : word, part, true);
        return;
      }
      part = part.substring(0, apostrophe);
    }
    boolean letters = true;
    boolean digits = false;
    for (int i = 0; i < word.length(); i++) {
      char c = word.charAt(i);
      if (Character.isDigit(c)) {
        digits = true;
      } else if (!Character.isLetter(c)) {
        letters = false;
      }
    }
    if (letters && !digits) {
      if (lexicon.isNegation(word)) {
        negations++;
      }
      addWord(word, part, sentenceStart);
      return;
    }
    // Letters with digits or symbols: S3, EC2, gpt4o, C++, C#; dotted abbreviations are words.
    if (isAbbreviation(word)) {
      vocabulary.add(strip(word, "."));
      stream(OTHER, word, null, 0);
      return;
    }
    if (lexicon.task(word) >= 0) { // tl;dr
      addTask(word);
      stream(OTHER, word, null, 0);
      previousWord = null;
      return;
    }
    entities.add(word);
    vocabulary.add(strip(word, "."));
    stream(OTHER, word, null, 0);
    previousWord = null;
  }

  private void addWord(String word, String original, boolean sentenceStart) {
    words.add(word);
    vocabulary.add(word);
    if (word.length() > 3 && word.endsWith("s")) {
      vocabulary.add(word.substring(0, word.length() - 1));
    }
    GuardLexicon.Pole pole = lexicon.pole(word);
    if (pole != null) {
      poles.put(pole.lemma(), pole.code());
    }
    addTask(word);
    if (previousWord != null) {
      String twoWords = previousWord + " " + word;
      GuardLexicon.Pole phrase = lexicon.pole(twoWords);
      if (phrase != null) {
        poles.put(phrase.lemma(), phrase.code());
      }
      addTask(twoWords);
    }
    previousWord = word;
    stream(WORD, word, null, 0);
    entityCandidate(word, original, sentenceStart);
  }

  private void addTask(String lower) {
    int task = lexicon.task(lower);
    if (task >= 0) {
      tasks.set(task);
    }
  }

  private void entityCandidate(String word, String original, boolean sentenceStart) {
    if (original.length() < 2 || lexicon.isFunctionWord(word)) {
      return;
    }
    boolean upperFirst = Character.isUpperCase(original.charAt(0));
    boolean allUpper = true;
    for (int i = 1; i < original.length(); i++) {
      if (!Character.isUpperCase(original.charAt(i))) {
        allUpper = false;
        break;
      }
    }
    if (upperFirst && allUpper) {
      entities.add(word); // an acronym (dropped later if the whole prompt shouts)
      capitalised.add(word);
      return;
    }
    if (original.length() < 3) {
      return;
    }
    if (sentenceStart) {
      if (upperFirst && !lexicon.isCommonStarter(word) && !openingNames.contains(word)) {
        openingNames.add(word);
      }
      return;
    }
    midSentenceWords++;
    if (upperFirst) {
      capitalisedCandidates++;
      capitalised.add(word);
    }
  }

  private void number(String lower, String currency) {
    int i = 0;
    int n = lower.length();
    StringBuilder digits = new StringBuilder(n);
    int dots = 0;
    while (i < n) {
      char c = lower.charAt(i);
      if (Character.isDigit(c)) {
        digits.append(c);
      } else if (c == ',' && i + 3 < n + 1 && i > 0 && isDigitRun(lower, i + 1, 3)) {
        // a thousands separator: skip it
      } else if (c == '.' && i + 1 < n && Character.isDigit(lower.charAt(i + 1))) {
        digits.append('.');
        dots++;
      } else {
        break;
      }
      i++;
    }
    String suffix = lower.substring(i);
    if (dots > 1 || digits.length() == 0) { // 1.2.3 is a version, not a number
      identifiers.add(lower);
      stream(OTHER, lower, null, 0);
      return;
    }
    double value = Double.parseDouble(digits.toString());
    String unit = currency;
    if (!suffix.isEmpty()) {
      Double factor = lexicon.multiplier(suffix);
      if (factor != null && !suffix.equals("hundred")) {
        value *= factor;
      } else if (suffix.equals("st")
          || suffix.equals("nd")
          || suffix.equals("rd")
          || suffix.equals("th")) {
        unit = "ord";
      } else if (lexicon.unit(suffix) != null) {
        unit = lexicon.unit(suffix);
      } else {
        // 2FA, 3D, 4o: a name that starts with a digit
        entities.add(lower);
        vocabulary.add(lower);
        stream(OTHER, lower, null, 0);
        previousWord = null;
        return;
      }
    }
    stream(NUMBER, lower, unit, value);
    previousWord = null;
  }

  private static boolean isDigitRun(String s, int from, int count) {
    if (from + count > s.length()) {
      return false;
    }
    for (int i = from; i < from + count; i++) {
      if (!Character.isDigit(s.charAt(i))) {
        return false;
      }
    }
    return from + count == s.length() || !Character.isDigit(s.charAt(from + count));
  }

  private void addParts(String lower) {
    int from = -1;
    for (int i = 0; i <= lower.length(); i++) {
      boolean alnum = i < lower.length() && Character.isLetterOrDigit(lower.charAt(i));
      if (alnum && from < 0) {
        from = i;
      } else if (!alnum && from >= 0) {
        vocabulary.add(lower.substring(from, i));
        from = -1;
      }
    }
  }

  /**
   * Code: URLs, e-mail addresses and handles, snake_case, camelCase, dotted names, calls,
   * command-line flags, paths, versions.
   */
  static boolean isIdentifier(String core) {
    int n = core.length();
    if (n < 2) {
      return false;
    }
    char first = core.charAt(0);
    if (core.contains("://")) {
      return true;
    }
    if ((first == '#' || first == '@') && Character.isLetterOrDigit(core.charAt(1))) {
      return true;
    }
    if (first == '-' && (core.charAt(1) == '-' || Character.isLetter(core.charAt(1)))) {
      return true;
    }
    if (first == '/' || first == '~' || core.startsWith("./") || core.startsWith("../")) {
      return n > 2;
    }
    if ((first == 'v' || first == 'V') && Character.isDigit(core.charAt(1))) {
      return true;
    }
    int slashes = 0;
    boolean letter = false;
    for (int i = 0; i < n; i++) {
      char c = core.charAt(i);
      letter |= Character.isLetter(c);
      if (c == '/') {
        slashes++;
      } else if (c == '_' && i > 0 && i < n - 1) {
        return true;
      } else if (c == '@' && i > 0 && i < n - 1) {
        return true;
      } else if (c == '(' && i > 0 && Character.isLetterOrDigit(core.charAt(i - 1))) {
        return true;
      } else if (i > 0 && Character.isLowerCase(core.charAt(i - 1)) && Character.isUpperCase(c)) {
        return true; // camelCase, iPhone, macOS
      }
    }
    if (slashes >= 2 && letter) {
      return true;
    }
    return letter && isDottedName(core);
  }

  /** os.path.join, config.yaml, example.com, src/app.py; not e.g. or U.S. or 3.5. */
  private static boolean isDottedName(String core) {
    int dot = core.indexOf('.');
    if (dot <= 0 || dot == core.length() - 1) {
      return false;
    }
    int longest = 0;
    int run = 0;
    for (int i = 0; i < core.length(); i++) {
      char c = core.charAt(i);
      if (c == '.') {
        if (run == 0) {
          return false;
        }
        longest = Math.max(longest, run);
        run = 0;
      } else if (Character.isLetterOrDigit(c) || c == '/' || c == '-') {
        run++;
      } else {
        return false;
      }
    }
    return run > 0 && Math.max(longest, run) >= 2;
  }

  private static boolean isLetterHyphenNumber(String core) {
    int hyphen = core.indexOf('-');
    if (hyphen <= 0 || hyphen == core.length() - 1 || !Character.isDigit(core.charAt(hyphen + 1))) {
      return false;
    }
    for (int i = 0; i < hyphen; i++) {
      if (!Character.isLetter(core.charAt(i))) {
        return false;
      }
    }
    for (int i = hyphen + 1; i < core.length(); i++) {
      char c = core.charAt(i);
      if (!Character.isLetterOrDigit(c) && c != '-' && c != '.') {
        return false;
      }
    }
    return true;
  }

  private static boolean isAbbreviation(String word) {
    int run = 0;
    for (int i = 0; i < word.length(); i++) {
      char c = word.charAt(i);
      if (c == '.') {
        run = 0;
      } else if (Character.isLetter(c) && ++run < 2) {
        continue;
      } else {
        return false;
      }
    }
    return word.indexOf('.') > 0;
  }

  private static String strip(String s, String chars) {
    StringBuilder out = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (chars.indexOf(c) >= 0) {
        if (out == null) {
          out = new StringBuilder(s.length()).append(s, 0, i);
        }
      } else if (out != null) {
        out.append(c);
      }
    }
    return out == null ? s : out.toString();
  }

  // --- numbers -----------------------------------------------------------------------------

  private void stream(byte kind, String token, String unit, double value) {
    streamKind.add(kind);
    streamText.add(token);
    streamUnit.add(unit);
    streamValue.add(value);
  }

  private void breakStream() {
    previousWord = null;
    if (!streamKind.isEmpty() && streamKind.get(streamKind.size() - 1) != BREAK) {
      stream(BREAK, "", null, 0);
    }
  }

  private void scanNumbers() {
    int n = streamKind.size();
    for (int k = 0; k < n; k++) {
      byte kind = streamKind.get(k);
      String token = streamText.get(k);
      if (kind == NUMBER) {
        double value = streamValue.get(k);
        String unit = streamUnit.get(k);
        int next = k + 1;
        if (unit == null && isWord(next)) {
          Double factor = lexicon.multiplier(streamText.get(next));
          if (factor != null) {
            value *= factor;
            next++;
          }
        }
        if (unit == null && isWord(next)) {
          unit = unitAt(next);
          if (unit != null) {
            next += streamText.get(next).equals("per") ? 2 : 1;
          }
        }
        emit(value, unit);
        k = next - 1;
      } else if (kind == WORD
          && (lexicon.numberWord(token) != null
              || lexicon.multiplier(token) != null && !token.equals("k"))) {
        double total = 0;
        double current = 0;
        int j = k;
        while (isWord(j)) {
          String w = streamText.get(j);
          Integer small = lexicon.numberWord(w);
          Double factor = lexicon.multiplier(w);
          if (small != null) {
            current += small;
          } else if (factor != null && !w.equals("k")) {
            if (factor == 100) {
              current = Math.max(current, 1) * 100;
            } else {
              total += Math.max(current, 1) * factor;
              current = 0;
            }
          } else if (w.equals("and")
              && isWord(j + 1)
              && lexicon.numberWord(streamText.get(j + 1)) != null) {
            // two hundred and five
          } else {
            break;
          }
          j++;
        }
        String unit = isWord(j) ? unitAt(j) : null;
        if (unit != null) {
          j += streamText.get(j).equals("per") ? 2 : 1;
        }
        emit(total + current, unit);
        k = j - 1;
      } else if (kind == WORD && lexicon.ordinal(token) != null) {
        boolean timeUnit =
            token.equals("second") && k > 0 && isWord(k - 1) && isRateWord(streamText.get(k - 1));
        if (!timeUnit) {
          emit(lexicon.ordinal(token), "ord");
        }
      } else if (kind == WORD && lexicon.frequency(token) != null) {
        numbers.add("per|" + lexicon.frequency(token));
      } else if (kind == WORD && isRateWord(token) && isWord(k + 1)) {
        String unit = lexicon.unit(streamText.get(k + 1));
        if (isTimeUnit(unit)) {
          numbers.add("per|" + unit);
          k++;
        }
      }
    }
    Collections.sort(numbers);
  }

  private static boolean isRateWord(String w) {
    return w.equals("per")
        || w.equals("every")
        || w.equals("a")
        || w.equals("an")
        || w.equals("each");
  }

  private static boolean isTimeUnit(String unit) {
    return unit != null && TIME_UNITS.contains(unit);
  }

  /** The unit at {@code k}: a unit word, or "per cent". */
  private String unitAt(int k) {
    String w = streamText.get(k);
    if (w.equals("per") && isWord(k + 1) && streamText.get(k + 1).equals("cent")) {
      return "%";
    }
    if (w.equals("per")) {
      return null;
    }
    return lexicon.unit(w);
  }

  private boolean isWord(int k) {
    return k >= 0 && k < streamKind.size() && streamKind.get(k) == WORD;
  }

  private void emit(double value, String unit) {
    // "one", "a" and "1" say the same; "first" is an opposite of "last", not a number
    if (value == 1 && (unit == null || unit.equals("ord"))) {
      return;
    }
    String number =
        value == Math.rint(value) && Math.abs(value) < 1e15
            ? Long.toString((long) value)
            : Double.toString(value);
    numbers.add(unit == null ? number : number + "|" + unit);
    numberOrder.add(number);
  }

  // --- after the pass ----------------------------------------------------------------------

  private void finish() {
    boolean shouting = upperLetters >= 12 && upperLetters > lowerLetters;
    // Title Case is told by most words being capitalised; a short question with two names in
    // it ("install the Java SDK on Windows") is not title case.
    boolean titleCase = midSentenceWords >= 4 && capitalisedCandidates * 3 > midSentenceWords * 2;
    if (shouting || titleCase) {
      openingNames.clear();
    }
    if (shouting) {
      entities.removeAll(capitalised);
    } else if (!titleCase) {
      for (String word : capitalised) {
        if (!entities.contains(word)) {
          entities.add(word);
        }
      }
    }
  }
}
