package dev.aigateway.core.cache;

import dev.aigateway.api.SemanticHitGuard;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The semantic cache's default {@link SemanticHitGuard}: objects to serving a cached answer when
 * the two prompts differ in a detail that sentence embeddings blur but that changes the answer.
 * Pure JDK, no model: it compares what it reads from each prompt, in the order of {@link Check},
 * and returns the category of the first difference.
 *
 * <pre>{@code
 * SemanticHitGuard guard = FalseHitGuard.defaults();
 * guard.objection("How do I enable 2FA?", "How do I disable 2FA?");        // Optional[opposite]
 * guard.objection("Refund order 1234", "Refund order 1243");                // Optional[number]
 * guard.objection("Translate this email.", "Reply to this email.");         // Optional[intent]
 * guard.objection("How can I reset my password?",
 *     "how do i reset my password");                                         // Optional.empty
 *
 * SemanticHitGuard custom = FalseHitGuard.builder()
 *     .disable(FalseHitGuard.Check.ENTITY)          // names vary freely in this application
 *     .oppositePair("approve", "veto")
 *     .negationWord("sans")
 *     .taskClass("return", "send back")             // a task of this application
 *     .build();
 * }</pre>
 *
 * <p>The checks, and what each one cannot see:
 *
 * <ul>
 *   <li>{@link Check#NEGATION} ({@code negation}): the number of negations differs. Counted are the
 *       cues "not", "no", "non-", "never", "none", "nothing", "without", "cannot", any "n't" (and
 *       the same without the apostrophe), common negative adjectives ("unable", "invalid",
 *       "impossible"), and words that negate by a prefix a word the other prompt has plainly
 *       ("unencrypted" against "encrypted", "non-blocking" against "blocking"); so "can't log in"
 *       and "unable to log in" agree. Blind to negation by other means ("fail to", "lack", "avoid")
 *       and to moved negations ("not all X are Y" / "all X are not Y").
 *   <li>{@link Check#OPPOSITE} ({@code opposite}): one prompt has a word of one pole of an antonym
 *       class the other lacks, and the other has a word of the opposite pole the first lacks:
 *       enable/disable, allow/deny, add/remove, increase/decrease (and more/less, min/max,
 *       above/below), start/stop, open/close, first/last, before/after, buy/sell, upload/download,
 *       import/export, encrypt/decrypt, log in/log out, ascending/descending, and others, with
 *       their inflections (enabled, enabling, disables) and synonyms on the same pole (enable,
 *       activate, turn on). Blind to opposites outside its lists and to swapped roles ("convert A
 *       to B" / "convert B to A").
 *   <li>{@link Check#NUMBER} ({@code number}): the multisets of numbers differ: digits, decimals,
 *       thousands separators, percentages, currency, number words ("twenty-five", "two hundred"),
 *       multipliers ("5k", "3 million"), ordinals ("2nd", "third"), rates ("per hour", "daily"),
 *       each with its unit normalised ("5 km" = "5km" = "five kilometres", "10 min" = "10
 *       minutes"); a unit given on one side only is taken as elided ("a 200,000 loan" = "a $200,000
 *       loan"). "One", "a" and "first" are not counted, so "a paragraph" and "one paragraph" agree.
 *       The same numbers in another order are a difference too when each prompt has at least two
 *       different values ("$49 instead of $39" / "$39 instead of $49"), so a paraphrase that moves
 *       its numbers about is blocked. Blind to vague quantities ("a few", "several").
 *   <li>{@link Check#QUOTED} ({@code quoted}): a span in quotes or backticks on one side does not
 *       occur in the other prompt (case, quote marks and spacing ignored), so dropping the quote
 *       marks is not a difference but changing the quoted text is.
 *   <li>{@link Check#IDENTIFIER} ({@code identifier}): a code-like token on one side (camelCase,
 *       snake_case, dotted.names, {@code foo()}, paths, URLs, e-mail addresses, flags, versions
 *       such as v2 or 1.2.3) is missing from the other, compared case-insensitively.
 *   <li>{@link Check#ENTITY} ({@code entity}): a name on one side is missing from the other,
 *       compared case-insensitively: capitalised words, acronyms (AWS, SQL; one the other prompt
 *       spells out, "PR" for "pull request", counts as present), and tokens mixing letters with
 *       digits or symbols (S3, GPT-4, C++). A capitalised word that starts a sentence is taken for
 *       a name when it is not a common English word (function words, sentence openers and the verbs
 *       prompts start with), and it counts only against another such word: "Paris or Rome?" /
 *       "Berlin or Rome?" differ, while "Compose a haiku" / "Write a haiku" (replaced by a common
 *       word) and "Regex for e-mails" / "A regular expression for e-mails" (dropped) do not. Blind
 *       to a name at a sentence start replaced by a common word, to lower-case names, to title-case
 *       and all-capitals prompts (where capitals say nothing), and it takes a misspelt name for
 *       another one.
 *   <li>{@link Check#INTENT} ({@code intent}): each prompt has a task word of a class the other
 *       lacks, so one task replaced another: "Translate this e-mail" / "Reply to this e-mail",
 *       "Write a poem" / "Write a short story", "cancel" / "pause" a subscription. The classes
 *       group near-synonyms of what people ask a model to do (translate; reply, respond; summarize,
 *       condense, tl;dr; rewrite, rephrase; explain, describe; list; compare; classify, categorize;
 *       extract, pull out; fix, debug; review, critique; write, draft, compose, suggest) and of
 *       what they ask for (poem, haiku, verse; story, tale; e-mail, message, letter; tagline,
 *       slogan; table; chart; code, script, function; regex, regular expression; tests; and more),
 *       with their inflections; see {@link Builder#taskClass(String...)} to add one. A synonym
 *       within a class is no difference, and neither is a task word on one side only ("Summarize
 *       this" / "Write a summary of this", "How do you say X in Spanish?" / "Translate X into
 *       Spanish"). Blind to tasks outside its lists and to intents that are not task words ("How
 *       long does shipping take?" / "How much does shipping cost?"); and a pasted text that happens
 *       to hold the other prompt's task word hides the substitution.
 * </ul>
 *
 * <p>Intent beyond those task words is not understood: "Is the gym open today?" and "Is the gym
 * crowded today?" pass every check. The similarity threshold must still keep such pairs apart.
 *
 * <p>Cost: linear in the prompts' length, without regular expressions: about ten microseconds for a
 * pair of chat-sized prompts, under a millisecond for two 100 KB prompts. Only {@value
 * #MAX_ANALYSED_CHARS} characters of each prompt are read: the first and the last half of that, cut
 * at whitespace (a difference in the middle of a longer prompt is not seen). Immutable and
 * thread-safe.
 */
public final class FalseHitGuard implements SemanticHitGuard {

  /** How many characters of each prompt are analysed: the first and last half of this. */
  public static final int MAX_ANALYSED_CHARS = 8_192;

  /** The checks, in the order they run; each names the category an objection reports. */
  public enum Check {
    /** A negation present on one side only. */
    NEGATION,
    /** Words of opposite poles of an antonym class. */
    OPPOSITE,
    /** Different numbers or units. */
    NUMBER,
    /** Different quoted text. */
    QUOTED,
    /** Different code identifiers. */
    IDENTIFIER,
    /** Different names. */
    ENTITY,
    /** A task word of one class replaced by one of another: another thing asked for. */
    INTENT;

    /** The category recorded on an objection, such as {@code negation}. */
    public String category() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final FalseHitGuard DEFAULTS = builder().build();

  private final Set<Check> checks;
  private final GuardLexicon lexicon;
  private final int extraPairs;
  private final int extraNegations;
  private final int extraTasks;

  private FalseHitGuard(Builder builder) {
    this.checks = EnumSet.copyOf(builder.checks);
    this.lexicon =
        new GuardLexicon(
            List.copyOf(builder.oppositePairs),
            List.copyOf(builder.negationWords),
            List.copyOf(builder.taskClasses));
    this.extraPairs = builder.oppositePairs.size();
    this.extraNegations = builder.negationWords.size();
    this.extraTasks = builder.taskClasses.size();
  }

  /** Every check, with the built-in word lists. */
  public static FalseHitGuard defaults() {
    return DEFAULTS;
  }

  /** A builder with every check on and no extra words. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The category of the first check that finds a difference, or empty.
   *
   * @throws NullPointerException when either prompt is null
   */
  @Override
  public Optional<String> objection(String cachedPrompt, String prompt) {
    Objects.requireNonNull(cachedPrompt, "cachedPrompt");
    Objects.requireNonNull(prompt, "prompt");
    if (checks.isEmpty() || cachedPrompt.equals(prompt)) {
      return Optional.empty();
    }
    PromptMarkers a = PromptMarkers.of(cachedPrompt, lexicon);
    PromptMarkers b = PromptMarkers.of(prompt, lexicon);
    for (Check check : checks) {
      if (differs(check, a, b)) {
        return Optional.of(check.category());
      }
    }
    return Optional.empty();
  }

  private boolean differs(Check check, PromptMarkers a, PromptMarkers b) {
    switch (check) {
      case NEGATION:
        return a.negations + negatedByPrefix(a, b) != b.negations + negatedByPrefix(b, a);
      case OPPOSITE:
        return opposed(a, b);
      case NUMBER:
        return !a.numbers.equals(b.numbers) && !sameNumbers(a.numbers, b.numbers)
            || swapped(a.numberOrder, b.numberOrder);
      case QUOTED:
        return quoteMissing(a, b) || quoteMissing(b, a);
      case IDENTIFIER:
        return missing(a.identifiers, b) || missing(b.identifiers, a);
      case ENTITY:
        return missing(a.entities, a, b)
            || missing(b.entities, b, a)
            || missing(a.openingNames, a, b) && missing(b.openingNames, b, a);
      case INTENT:
        return substituted(a.tasks, b.tasks);
      default:
        throw new AssertionError(check);
    }
  }

  /**
   * The words of {@code a} that negate by a prefix: a common negative adjective ("unable",
   * "invalid"), or a word whose remainder {@code b} has while {@code b} lacks the word itself
   * ("unencrypted" against "encrypted"). Without a dictionary, a prefix alone proves nothing
   * ("information", "install").
   */
  private int negatedByPrefix(PromptMarkers a, PromptMarkers b) {
    int count = 0;
    for (String word : a.words) {
      if (lexicon.isNegativeAdjective(word)
          || !b.vocabulary.contains(word)
              && lexicon.anyPrefixRemainder(
                  word, rest -> b.stems().contains(PromptMarkers.stem(rest)))) {
        count++;
      }
    }
    return count;
  }

  /**
   * Whether the lemmas only {@code a} has sit on one pole of a class and the lemmas only {@code b}
   * has sit on the other; a side with both poles of a class says nothing about it.
   */
  private boolean opposed(PromptMarkers a, PromptMarkers b) {
    if (a.poles.isEmpty() || b.poles.isEmpty()) {
      return false;
    }
    byte[] onlyA = onlyIn(a, b);
    if (onlyA == null) {
      return false;
    }
    byte[] onlyB = onlyIn(b, a);
    if (onlyB == null) {
      return false;
    }
    for (int group = 0; group < onlyA.length; group++) {
      if ((onlyA[group] == 1 && onlyB[group] == 2) || (onlyA[group] == 2 && onlyB[group] == 1)) {
        return true;
      }
    }
    return false;
  }

  /** Per class: 1 (positive pole only), 2 (negative only), 3 (both); null if none at all. */
  private byte[] onlyIn(PromptMarkers a, PromptMarkers b) {
    byte[] poles = null;
    for (Map.Entry<String, Integer> entry : a.poles.entrySet()) {
      if (!b.poles.containsKey(entry.getKey())) {
        if (poles == null) {
          poles = new byte[lexicon.poleCodes() / 2];
        }
        int code = entry.getValue();
        poles[code / 2] |= (byte) (1 << (code % 2));
      }
    }
    return poles;
  }

  /**
   * Whether each side has a task class the other lacks: one task replaced by another ("translate
   * this e-mail" / "reply to this e-mail"). A class added on one side only is no substitution
   * ("summarize this" / "write a summary of this"), nor is a synonym within a class.
   */
  private static boolean substituted(BitSet a, BitSet b) {
    return hasOutside(a, b) && hasOutside(b, a);
  }

  private static boolean hasOutside(BitSet a, BitSet b) {
    for (int task = a.nextSetBit(0); task >= 0; task = a.nextSetBit(task + 1)) {
      if (!b.get(task)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the numbers pair up when a unit given on one side only is taken as elided ("a 200,000
   * loan" and "a $200,000 loan"); a unit on both sides must be the same.
   */
  private static boolean sameNumbers(List<String> a, List<String> b) {
    if (a.size() != b.size()) {
      return false;
    }
    List<String> left = new ArrayList<>(a);
    List<String> right = new ArrayList<>(b);
    for (int i = left.size() - 1; i >= 0; i--) {
      if (right.remove(left.get(i))) {
        left.remove(i);
      }
    }
    for (String number : left) {
      String value = valueOf(number);
      boolean unitless = value.length() == number.length();
      int match = -1;
      for (int j = 0; j < right.size() && match < 0; j++) {
        String other = right.get(j);
        boolean otherUnitless = valueOf(other).length() == other.length();
        if ((unitless || otherUnitless) && valueOf(other).equals(value)) {
          match = j;
        }
      }
      if (match < 0) {
        return false;
      }
      right.remove(match);
    }
    return true;
  }

  /**
   * Whether the same values are written in another order, when each side has at least two different
   * ones ("$49.99 instead of $39.99" / "$39.99 instead of $49.99"): they swap roles. One repeated
   * value ("5 by 5") cannot swap. Only asked when the values are the same.
   */
  private static boolean swapped(List<String> a, List<String> b) {
    return !a.equals(b)
        && a.size() == b.size()
        && new HashSet<>(a).size() >= 2
        && new HashSet<>(b).size() >= 2;
  }

  private static String valueOf(String number) {
    int bar = number.indexOf('|');
    return bar < 0 ? number : number.substring(0, bar);
  }

  private static boolean quoteMissing(PromptMarkers a, PromptMarkers b) {
    for (String span : a.quoted) {
      if (!b.flat().contains(span)) {
        return true;
      }
    }
    return false;
  }

  private static boolean missing(List<String> tokens, PromptMarkers other) {
    for (String token : tokens) {
      if (!other.vocabulary.contains(token)
          && !(token.endsWith("s")
              && other.vocabulary.contains(token.substring(0, token.length() - 1)))
          && !other.spellsOut(token)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Like {@link #missing(List, PromptMarkers)}, and a word of a name that an acronym of the other
   * prompt abbreviates is present too ("Motor" in "Department of Motor Vehicles" against "DMV").
   */
  private static boolean missing(List<String> tokens, PromptMarkers self, PromptMarkers other) {
    for (String token : tokens) {
      if (missing(List.of(token), other) && !abbreviatedIn(token, self, other)) {
        return true;
      }
    }
    return false;
  }

  private static boolean abbreviatedIn(String token, PromptMarkers self, PromptMarkers other) {
    for (String acronym : other.entities) {
      if (self.spellsOutWith(acronym, token.toLowerCase(java.util.Locale.ROOT))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "FalseHitGuard{checks="
        + checks
        + ", extra opposite pairs="
        + extraPairs
        + ", extra negation words="
        + extraNegations
        + ", extra task classes="
        + extraTasks
        + "}";
  }

  /** Chooses the checks and adds words to the built-in lists. Not thread-safe; reusable. */
  public static final class Builder {

    private final EnumSet<Check> checks = EnumSet.allOf(Check.class);
    private final List<String[]> oppositePairs = new ArrayList<>();
    private final List<String> negationWords = new ArrayList<>();
    private final List<List<String>> taskClasses = new ArrayList<>();

    private Builder() {}

    /** Turns the given checks off (every check is on by default). */
    public Builder disable(Check... disabled) {
      for (Check check : disabled) {
        checks.remove(Objects.requireNonNull(check, "check"));
      }
      return this;
    }

    /** Turns the given checks back on. */
    public Builder enable(Check... enabled) {
      for (Check check : enabled) {
        checks.add(Objects.requireNonNull(check, "check"));
      }
      return this;
    }

    /**
     * Adds an antonym pair, each a word or a two-word phrase ("approve", "veto"; "check in", "check
     * out"); regular inflections are matched too (approved, vetoes). An added pair takes precedence
     * over a built-in class that has the same word.
     *
     * @throws IllegalArgumentException when a side is blank, longer than two words, or both sides
     *     are the same
     */
    public Builder oppositePair(String positive, String negative) {
      String a = phrase(positive, "positive side of an opposite pair");
      String b = phrase(negative, "negative side of an opposite pair");
      if (a.equals(b)) {
        throw new IllegalArgumentException(
            "an opposite pair needs two different words, got \"" + positive + "\" twice");
      }
      oppositePairs.add(new String[] {a, b});
      return this;
    }

    /**
     * Adds a negation cue, one word ("sans", "nicht"), matched in any case.
     *
     * @throws IllegalArgumentException when the word is blank or has whitespace
     */
    public Builder negationWord(String word) {
      String w = Objects.requireNonNull(word, "word").strip().toLowerCase(Locale.ROOT);
      if (w.isEmpty() || w.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException(
            "a negation word must be one word, got \"" + word + "\"");
      }
      negationWords.add(w);
      return this;
    }

    /**
     * Adds a class of task words that ask for the same thing, each a word or a two-word phrase
     * ("refund", "money back"), matched with regular inflections (refunded, refunds): a prompt that
     * has a word of this class where the other has a word of another class asks for something else.
     * An added class takes precedence over a built-in class that has the same word; so a built-in
     * word can be moved into an application's own class.
     *
     * @throws IllegalArgumentException when no word is given, or a word is blank or longer than two
     *     words
     */
    public Builder taskClass(String... words) {
      if (Objects.requireNonNull(words, "words").length == 0) {
        throw new IllegalArgumentException("a task class needs at least one word");
      }
      List<String> phrases = new ArrayList<>(words.length);
      for (String word : words) {
        phrases.add(phrase(word, "word of a task class"));
      }
      taskClasses.add(List.copyOf(phrases));
      return this;
    }

    /** The guard; later changes to this builder do not affect it. */
    public FalseHitGuard build() {
      return new FalseHitGuard(this);
    }

    private static String phrase(String phrase, String what) {
      String p =
          Objects.requireNonNull(phrase, what)
              .strip()
              .toLowerCase(Locale.ROOT)
              .replaceAll("\\s+", " ");
      if (p.isEmpty() || p.split(" ").length > 2) {
        throw new IllegalArgumentException(
            "the " + what + " must be one or two words, got \"" + phrase + "\"");
      }
      return p;
    }
  }
}
