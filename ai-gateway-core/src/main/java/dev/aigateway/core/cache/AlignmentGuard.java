package dev.aigateway.core.cache;

import dev.aigateway.api.SemanticHitGuard;
import dev.aigateway.api.spi.EmbeddingModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The semantic cache's default {@link SemanticHitGuard}: decides from what actually differs between
 * the two prompts. It lines up their content words (lower case, lemmatised, without courtesy,
 * function words and the closed-class words it judges on their own) and objects when what is left
 * over changes the question; then it asks a base guard ({@link FalseHitGuard#defaults()} unless
 * told otherwise) about negations, opposites, numbers, quotes, identifiers and names.
 *
 * <pre>{@code
 * SemanticHitGuard guard = AlignmentGuard.builder(embeddingModel).build();
 * guard.objection("Games for toddlers", "Games for teenagers");              // Optional[substitution]
 * guard.objection("Translate from English to German",
 *     "Translate from German to English");                                   // Optional[order]
 * guard.objection("Do all plans include SSO?", "Do some plans include SSO?"); // Optional[quantifier]
 * guard.objection("How do I modify the alert settings?",
 *     "How do I adjust the alert settings?");                                // Optional.empty
 * }</pre>
 *
 * <p>The checks, in the order they run ({@link Check}):
 *
 * <ul>
 *   <li>{@code number}: clock times, read as minutes after midnight ("6:30 pm" = "18:30", but not
 *       "6:30 am"; "7:15" is not "7:45"; "half past six", "noon", "9 o'clock").
 *   <li>the base guard, on the prompts without their clock times and without a courtesy lead-in
 *       ("I'm not sure, but could you ..." has no negation).
 *   <li>{@code quantifier}, {@code modality}, {@code tense}: both prompts have a word of the closed
 *       class and no class in common: all/every/each against some/any, most, few, many, none;
 *       can/may/able to against should, must/have to/need to, might, will; did/was/been against
 *       will/going to against is/does. A class on one side only says nothing ("How can I ..." /
 *       "How do I ..."). Without auxiliaries, a regular past of a main verb against its present is
 *       a tense too ("What happened when I missed it?" / "What happens if I miss it?").
 *   <li>{@code order}: the same words in other roles: a role marker (from, to, into, than, before,
 *       after, instead, during, until, since, a possessive "'s") governs a word on one side and
 *       another word of both prompts on the other ("from English to German" / "from German to
 *       English", "Rust faster than Go"), or two words trade sides of a third in prompts of the
 *       same content words ("the customer sues the company" / "the company sues the customer").
 *       Swapping the two sides of "and", "or" or "between" is no difference. Also: a question for
 *       the subject against one for the object with the same words ("Which team beat Brazil?" /
 *       "Which team did Brazil beat?"), the asker as subject against object ("Can I claim my
 *       parents?" / "Can my parents claim me?"), and a passive whose agent is the active side's
 *       object ("Was the cat bitten by the dog?" / "Did the cat bite the dog?").
 *   <li>{@code degree}: adverbs of degree of different classes (slightly / very / moderately /
 *       completely: "slightly salty" / "very salty").
 *   <li>{@code question}: both prompts have a question word and no class in common: why / how
 *       (manner) / when / where / who / how long / how much / how often / how far ("Why do cats
 *       purr?" / "How do cats purr?"); "what causes" is "why", "how many days" is "how long". A
 *       "how" before any other word and an auxiliary asks for that dimension ("how fast can", "how
 *       heavy is"): two different dimensions that are not synonyms differ. A question for the
 *       object ("What do hedgehogs eat?") differs from a when / where / why with the same words.
 *   <li>{@code negation} (check {@link Check#IMPLICIT_NEGATION}): a negation said by a verb ("fail
 *       to", "forget to", "refuse to") on one side only, unless the other says it with "not".
 *   <li>{@code hedge}: a number bounded otherwise: approximate, exact, at least, at most ("about 15
 *       percent" / "exactly 15 percent", "up to 2 bags" / "at least 2 bags"), or a bound on one
 *       side only ("3 to 12" / "3 to under 12"); an approximate or exact number against a bare one
 *       is no difference.
 *   <li>{@code count}: a noun said to be one ("a single star", "one chicken") against the same noun
 *       said to be many ("a star cluster", "a flock of chickens", "bees"); after the article alone
 *       ("a bee") against a group or a multiple only ("a swarm of bees", "a double transplant").
 *   <li>{@code relation}: a word of both prompts governed by role markers of different classes
 *       ("before the exam" / "after the exam", "until Friday" / "since Friday"), by a time marker
 *       on one side and "of" on the other ("the week after" / "the week of Thanksgiving"), or by
 *       "before" / "after" on one side only ("on Thanksgiving" / "the day after Thanksgiving");
 *       directions of motion of different classes ("toward" / "away from" / "parallel to").
 *   <li>{@code owner}: an owner named with "'s" on one side that the other does not name as an
 *       owner ("my sister's card" / "my card", "my neighbor's dog on my lawn" / "my dog on my
 *       neighbor's lawn"); "the dog of my neighbor" and "my phone battery" name the same owner. And
 *       a noun owned by another person ("my card" / "your card"), unless the asker changes person
 *       with it ("How do I change my password?" / "How do you change your password?").
 *   <li>{@code referent}: "other", "another", "else" or "same" on one side only ("my team's
 *       schedule" / "the other team's schedule").
 *   <li>{@code condition}: a condition ("if", "unless", "in case") on one side only whose words the
 *       other prompt lacks ("Is sushi safe if I'm pregnant?" / "Is sushi safe?"), or two conditions
 *       whose content words differ beyond synonyms; "tell if" (whether) and "if you could"
 *       (courtesy) are no conditions.
 *   <li>{@code comparison}: "less" before an adjective on one side, its comparative ("safer") or
 *       "more" before it on the other.
 *   <li>{@code substitution}: where the aligned prompts differ by a stretch of at most {@link
 *       Builder#maxReplacedWords} content words on each side (default two), a word of one is
 *       replaced by a word of the other that is not the same lemma, not a typing slip of it
 *       ("cancle"), not an abbreviation of it ("info", "DB", "PTO" for "paid time off"), not the
 *       same compound ("wifi", "wi-fi"), not derived from it ("invite" / "invitation"), not of one
 *       of the built-in synonym groups (change / modify / adjust, see / view, buy / purchase, ...),
 *       not a synonym by the {@link WordRelations} (WordNet when installed: "mend" / "repair", "put
 *       together" / "assemble"; its opposites are never synonyms) and not a synonym by the
 *       embedding model: the single words are embedded with the configured {@link EmbeddingModel}
 *       (once each, cached) and their cosine similarity must reach {@link Builder#wordThreshold}.
 *       This is what catches antonyms and scope words outside any list: "fresh" / "stale",
 *       "toddlers" / "teenagers", "pin" / "mute", "at night" / "in the morning". A longer rewording
 *       is left to the similarity threshold.
 *   <li>{@code addition} (off by default, see {@link Builder#enable}): content words inserted on
 *       one side only that nothing explains: courtesy ("please", "in the world", "could you"),
 *       fillers and verbs of asking ("honestly", "explain"), number words ("five" / "5") and words
 *       with a counterpart of the same meaning anywhere among the other side's words (a synonym, a
 *       form or a derivation by the word relations: "deduct" / "deductible") explain a word.
 * </ul>
 *
 * <p>What it cannot see: a difference spread over a long rewording, words the embedding model takes
 * for synonyms though they are not (short words of one topic), and everything the base guard cannot
 * see; docs/semantic-eval.md lists what it missed and wrongly refused on the last set it was never
 * tuned on (4.0% of near misses served, 78% of paraphrases, before that set's misses were fixed by
 * kind). Cost: about 0.05 ms per pair of chat-sized prompts once the words are cached (p50,
 * measured in docs/semantic-eval.md), plus one embedding per word not yet cached (the cache holds
 * {@value #WORD_CACHE_SIZE} words); with a remote embedding model that is a network call on the
 * calling thread. An embedding failure counts the words as different (a miss, never a wrong
 * answer). Immutable and thread-safe.
 */
public final class AlignmentGuard implements SemanticHitGuard {

  /**
   * The default cosine similarity two single words need to count as synonyms. High on purpose:
   * sentence models put antonyms and sibling words close ("wide" / "narrow" 0.82, "landlords" /
   * "tenants" 0.82 with all-MiniLM-L6-v2) and some synonyms far ("see" / "view" 0.41), so the
   * embedding only rescues near-identical words; the built-in synonym groups do the rest. Tuned on
   * the generated tuning set (docs/semantic-eval.md).
   */
  public static final double DEFAULT_WORD_THRESHOLD = 0.85;

  /**
   * The default largest stretch judged as a substitution: up to two words against up to two words
   * ("small teams" / "large enterprises"), each word needing a counterpart of the same meaning.
   * Longer stretches are mostly rewordings and are left to the similarity threshold. On the tuning
   * sets two-word stretches served no near miss where one-word stretches served two, for 4 points
   * of paraphrases (docs/semantic-eval.md).
   */
  public static final int DEFAULT_MAX_REPLACED_WORDS = 2;

  /** How many single-word embeddings are kept before the cache starts afresh. */
  public static final int WORD_CACHE_SIZE = 20_000;

  /** How many content words of each prompt are aligned; longer prompts skip the alignment. */
  static final int MAX_ALIGNED_WORDS = 400;

  /** The checks of this guard; each names the category an objection reports. */
  public enum Check {
    /** Different clock times. */
    CLOCK_TIME {
      @Override
      public String category() {
        return "number";
      }
    },
    /** Quantifiers of different classes (all / some / none / most / few / many). */
    QUANTIFIER,
    /** Modals of different classes (can / should / must / might / will). */
    MODALITY,
    /** Auxiliaries of different tenses (did / will / is). */
    TENSE,
    /** The same words in swapped roles. */
    ORDER,
    /** A content word replaced by one that is not a synonym. */
    SUBSTITUTION,
    /** Content words added on one side only (off by default). */
    ADDITION,
    /** Question words of different classes (why / how / when / where / who / how long). */
    QUESTION,
    /**
     * The same word under role markers of different classes ("before the test" / "after the test",
     * "from Lyon" / "to Lyon"), or placed in time on one side only.
     */
    RELATION,
    /** An owner ("my sister's card") added, dropped or moved to another word. */
    OWNER,
    /** A condition ("if ...", "unless ...") on one side only, or conditions that differ. */
    CONDITION,
    /** "Less" against a comparative of the same adjective ("safer" / "less safe"). */
    COMPARISON,
    /**
     * A negation said by a verb on one side only ("Did the driver fail to sign?" / "Did the driver
     * sign?"), unless the other says it with "not"; reported as {@code negation}.
     */
    IMPLICIT_NEGATION {
      @Override
      public String category() {
        return "negation";
      }
    },
    /**
     * A noun said to be one on one side and many on the other ("a single star" / "a star cluster",
     * "one chicken" / "a flock of chickens").
     */
    COUNT,
    /** Adverbs of degree of different classes ("slightly salty" / "very salty"). */
    DEGREE,
    /**
     * A number bounded differently: approximate, exact, at least, at most ("about 15 percent" /
     * "exactly 15 percent"), or a bound on one side only ("3 to 12" / "3 to under 12").
     */
    HEDGE,
    /**
     * "Other", "another", "else" or "same" on one side only: another referent ("my team's schedule"
     * / "the other team's schedule").
     */
    REFERENT;

    /** The category recorded on an objection, such as {@code substitution}. */
    public String category() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** First letters of the function words an acronym may spell: of, on, and, as, a, for, to, in. */
  private static final String FUNCTION_INITIALS = "oaftiw";

  private final EmbeddingModel wordModel;
  private final SemanticHitGuard base;
  private final Set<Check> checks;
  private final double wordThreshold;
  private final int maxReplacedWords;
  private final WordRelations relations;
  private final Map<String, float[]> wordVectors = new ConcurrentHashMap<>();

  private AlignmentGuard(Builder b) {
    this.wordModel = b.wordModel;
    this.base = b.base;
    this.checks = EnumSet.copyOf(b.checks);
    this.wordThreshold = b.wordThreshold;
    this.maxReplacedWords = b.maxReplacedWords;
    this.relations = b.relations;
  }

  /**
   * A builder whose substitution check tells synonyms by embedding single words with {@code
   * wordModel} (normally the semantic cache's own model).
   */
  public static Builder builder(EmbeddingModel wordModel) {
    return new Builder(wordModel);
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
    if (cachedPrompt.equals(prompt)) {
      return Optional.empty();
    }
    AlignedPrompt a = AlignedPrompt.of(cachedPrompt);
    AlignedPrompt b = AlignedPrompt.of(prompt);
    if (checks.contains(Check.CLOCK_TIME) && !a.times.equals(b.times)) {
      return Optional.of(Check.CLOCK_TIME.category());
    }
    Optional<String> fromBase = base.objection(a.cleaned, b.cleaned);
    if (fromBase.isPresent()) {
      return fromBase;
    }
    if (checks.contains(Check.QUANTIFIER) && disjoint(a.quantifiers, b.quantifiers)) {
      return Optional.of(Check.QUANTIFIER.category());
    }
    if (checks.contains(Check.MODALITY)
        && (disjoint(a.modals, b.modals)
            || a.openingModal != null
                && b.openingModal != null
                && !a.openingModal.equals(b.openingModal))) {
      return Optional.of(Check.MODALITY.category());
    }
    if (checks.contains(Check.TENSE)
        && (disjoint(a.tenses, b.tenses) || pastAgainstPresent(a, b) || pastAgainstPresent(b, a))) {
      return Optional.of(Check.TENSE.category());
    }
    if (checks.contains(Check.DEGREE) && disjoint(a.degrees, b.degrees)) {
      return Optional.of(Check.DEGREE.category());
    }
    if (checks.contains(Check.HEDGE)
        && (disjoint(a.hedges, b.hedges) || boundAdded(a, b) || boundAdded(b, a))) {
      return Optional.of(Check.HEDGE.category());
    }
    if (checks.contains(Check.RELATION)
        && (disjoint(a.deictics, b.deictics) || disjoint(a.motions, b.motions))) {
      return Optional.of(Check.RELATION.category()); // "this week" / "next week"
    }
    if (checks.contains(Check.QUESTION)
        && (disjoint(a.questions, b.questions)
            || dimensionsDiffer(a, b)
            || objectAsked(a, b)
            || objectAsked(b, a))) {
      return Optional.of(Check.QUESTION.category());
    }
    if (checks.contains(Check.IMPLICIT_NEGATION)
        && a.implicitNegations != b.implicitNegations
        && a.negations + a.implicitNegations != b.negations + b.implicitNegations) {
      return Optional.of(Check.IMPLICIT_NEGATION.category());
    }
    if (checks.contains(Check.COUNT) && (countChanged(a, b) || countChanged(b, a))) {
      return Optional.of(Check.COUNT.category());
    }
    if (checks.contains(Check.ORDER)) {
      boolean same = sameWords(a, b);
      boolean voices = (a.agent == null) != (b.agent == null);
      Boolean swap = same && !voices ? blocksSwapped(a, b) : null;
      if (voices // a passive against an active: its agent says who does what, not the word order
          ? voiceSwapped(a, b) || voiceSwapped(b, a) || rolesSwapped(a, b)
          : swap == Boolean.TRUE
              || swap == null && (rolesSwapped(a, b) || same && sidesTraded(a, b))
              || same && askerRoleSwapped(a, b)
              || questionRoleSwapped(a, b) && sameForms(a, b)) {
        return Optional.of(Check.ORDER.category());
      }
    }
    if (checks.contains(Check.COMPARISON)
        && (intersects(a.lessened, b.heightened) && !intersects(a.lessened, b.lessened)
            || intersects(b.lessened, a.heightened) && !intersects(b.lessened, a.lessened))) {
      return Optional.of(Check.COMPARISON.category());
    }
    if (checks.contains(Check.RELATION) && (markerChanged(a, b) || markerChanged(b, a))) {
      return Optional.of(Check.RELATION.category());
    }
    if (checks.contains(Check.REFERENT) && !a.contrastives.equals(b.contrastives)) {
      return Optional.of(Check.REFERENT.category());
    }
    if (checks.contains(Check.OWNER)
        && (ownerChanged(a, b) || ownerChanged(b, a) || personChanged(a, b))) {
      return Optional.of(Check.OWNER.category());
    }
    if (checks.contains(Check.CONDITION) && conditionsDiffer(a, b)) {
      return Optional.of(Check.CONDITION.category());
    }
    if (checks.contains(Check.SUBSTITUTION) || checks.contains(Check.ADDITION)) {
      Check found = alignmentDifference(a, b);
      if (found != null) {
        return Optional.of(found.category());
      }
    }
    return Optional.empty();
  }

  /**
   * A main verb in the past on one side ("What happened when I missed a payment?") and in the
   * present on the other ("What happens if I miss a payment?"), neither side having a tense
   * auxiliary (with one, "Did the driver sign?", the auxiliaries judge and "-ed" may be a
   * participle).
   */
  private static boolean pastAgainstPresent(AlignedPrompt a, AlignedPrompt b) {
    if (!a.tenses.isEmpty() || !b.tenses.isEmpty()) {
      return false;
    }
    for (int i = 0; i < a.words.size(); i++) {
      String x = a.words.get(i);
      if (x.length() < 5 || !x.endsWith("ed") || participle(a.gaps.get(i))) {
        continue;
      }
      for (int k = 0; k < b.words.size(); k++) {
        String y = b.words.get(k);
        if (!y.endsWith("ed") && b.lemmas.get(k).equals(a.lemmas.get(i)) && !y.equals(x)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Words before which an "-ed" form is a participle or an adjective, not a past tense: "should it
   * be served", "have you tried", "a balanced diet", "my saved passwords".
   */
  private static final Set<String> PARTICIPLE_MARKERS =
      Set.of(
          "be", "been", "being", "get", "got", "gotten", "have", "has", "had", "having", "a", "an",
          "the", "my", "your", "our", "their", "his", "her", "its", "this", "that", "these",
          "those");

  private static boolean participle(String gap) {
    for (String word : gap.split(" ")) {
      if (PARTICIPLE_MARKERS.contains(word)) {
        return true;
      }
    }
    return false;
  }

  /** A number bounded ("at least", "under") in {@code a} and not hedged at all in {@code b}. */
  private static boolean boundAdded(AlignedPrompt a, AlignedPrompt b) {
    return b.hedges.isEmpty() && a.hedges.nextSetBit(AlignedPrompt.FIRST_BOUND) >= 0;
  }

  /**
   * The same words, asking for the object on one side ("What do hedgehogs eat?") and for a time, a
   * place, a reason or a manner on the other ("When do hedgehogs eat?"), or asking for a reason
   * with more words ("What did the Egyptians eat?" / "Why did the Egyptians eat so much bread?").
   */
  private static boolean objectAsked(AlignedPrompt a, AlignedPrompt b) {
    return a.whOpening == 2
        && a.questions.isEmpty()
        && a.dimensions.isEmpty()
        && !b.questions.isEmpty()
        && (sameWords(a, b) || b.opensWithQuestion && minus(a.lemmas, b.lemmas).isEmpty());
  }

  /**
   * Both prompts ask a question and one asks for a dimension ("how fast") the other does not ask
   * for in the same or a synonymous word ("How far can a bee fly?" / "How fast can a bee fly?").
   */
  private boolean dimensionsDiffer(AlignedPrompt a, AlignedPrompt b) {
    if (a.dimensions.isEmpty() && b.dimensions.isEmpty()) {
      return false;
    }
    if (a.questions.isEmpty() && a.dimensions.isEmpty()
        || b.questions.isEmpty() && b.dimensions.isEmpty()) {
      return false; // a question on one side only: "How fast is it?" / "Is it fast?"
    }
    return unasked(a.dimensions, b.dimensions) || unasked(b.dimensions, a.dimensions);
  }

  private boolean unasked(Set<String> dimensions, Set<String> other) {
    for (String x : dimensions) {
      boolean found = false;
      for (String y : other) {
        found |= x.equals(y) || sameMeaning(x, y);
      }
      if (!found) {
        return true;
      }
    }
    return false;
  }

  /** Whether two single words mean the same by the lists, the word relations or the embedding. */
  private boolean sameMeaning(String x, String y) {
    return AlignedPrompt.knownSynonyms(x, y)
        || misspelt(x, y)
        || !opposites(x, y) && (related(x, y) || synonyms(x, y));
  }

  /**
   * A noun said to be one on one side ("a single goldfish", "one chicken") and many on the other
   * ("a tank of goldfish", "a flock of chickens", "bees"), where the other does not also say it is
   * one.
   */
  private static boolean countChanged(AlignedPrompt a, AlignedPrompt b) {
    for (String noun : a.singles) {
      if (b.groups.contains(noun) && !b.singles.contains(noun) && !a.groups.contains(noun)) {
        return true;
      }
    }
    for (String noun : a.articled) { // "a bee" / "a swarm of bees", not "a stain" / "stains"
      if (b.collected.contains(noun) && !a.collected.contains(noun)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A passive on one side ("Was the cat bitten by the dog?") whose agent comes after its patient in
   * the active other side ("Did the cat bite the dog?"): the roles are swapped. "Did the dog bite
   * the cat?" keeps them.
   */
  private static boolean voiceSwapped(AlignedPrompt passive, AlignedPrompt active) {
    if (passive.agent == null
        || active.agent != null
        || active.whOpening == 2 // "Which planet did the probes visit?" names its object first
        || passive.agent.equals(passive.patient)) {
      return false;
    }
    int agent = active.lemmas.indexOf(passive.agent);
    int patient = active.lemmas.indexOf(passive.patient);
    return agent >= 0 && patient >= 0 && patient < agent;
  }

  /**
   * The same words asked of the subject on one side ("Which team beat Brazil?") and of the object
   * on the other ("Which team did Brazil beat?").
   */
  private static boolean questionRoleSwapped(AlignedPrompt a, AlignedPrompt b) {
    return a.whOpening != 0 && b.whOpening != 0 && a.whOpening != b.whOpening;
  }

  /**
   * The same content words, or words that are forms of one word by the word relations ("Which
   * painter taught Rembrandt?" / "Which painter did Rembrandt teach?").
   */
  private boolean sameForms(AlignedPrompt a, AlignedPrompt b) {
    if (a.lemmas.size() != b.lemmas.size()) {
      return false;
    }
    List<String> onlyA = minus(a.words, b.words);
    List<String> onlyB = minus(b.words, a.words);
    if (onlyA.size() != onlyB.size()) {
      return false;
    }
    for (String x : onlyA) {
      boolean found = false;
      for (int k = 0; k < onlyB.size() && !found; k++) {
        if (AlignedPrompt.lemma(x).equals(AlignedPrompt.lemma(onlyB.get(k)))
            || sameForm(x, onlyB.get(k))) {
          onlyB.remove(k);
          found = true;
        }
      }
      if (!found) {
        return false;
      }
    }
    return true;
  }

  private boolean sameForm(String x, String y) {
    try {
      return relations.forms(x, y);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * The asker is the subject on one side only and the object on the other only, with the same
   * content words ("Can I claim my parents?" / "Can my parents claim me?").
   */
  private static boolean askerRoleSwapped(AlignedPrompt a, AlignedPrompt b) {
    return a.subject != b.subject
        && a.object != b.object
        && a.subject != a.object
        && b.subject != b.object;
  }

  private static boolean intersects(Set<String> a, Set<String> b) {
    for (String x : a) {
      if (b.contains(x)) {
        return true;
      }
    }
    return false;
  }

  /** Words that join two things symmetrically: swapping their sides changes nothing. */
  private static final Set<String> COORDINATORS = Set.of("and", "or", "nor", "vs", "versus", "&");

  /**
   * Whether two adjacent blocks of content words, joined by the same words on both sides, trade
   * places across a word that is not a coordinator (true) or across "and", "or" (false, no
   * difference, whatever the role markers before them: "to rent or buy" / "to buy or rent"), or
   * {@code null} when the prompts are not such a swap. True: "substitute butter for coconut oil" /
   * "substitute coconut oil for butter", "replace honey with sugar" / "replace sugar with honey". A
   * clause moved ("In Java, how do I sort" / "How do I sort in Java") is no such swap: its blocks
   * are joined by different words on the two sides.
   */
  private static @Nullable Boolean blocksSwapped(AlignedPrompt a, AlignedPrompt b) {
    int n = a.lemmas.size();
    if (n != b.lemmas.size()) {
      return null;
    }
    int start = 0;
    while (start < n && a.lemmas.get(start).equals(b.lemmas.get(start))) {
      start++;
    }
    int end = n;
    while (end > start && a.lemmas.get(end - 1).equals(b.lemmas.get(end - 1))) {
      end--;
    }
    if (end - start < 2) {
      return null;
    }
    for (int split = start + 1; split < end; split++) {
      int first = split - start;
      boolean swapped = true;
      for (int k = start; k < end && swapped; k++) {
        int from =
            k < start + (end - split) ? split + (k - start) : start + (k - start - (end - split));
        swapped = b.lemmas.get(k).equals(a.lemmas.get(from));
      }
      if (swapped) {
        String gapA = a.gaps.get(split);
        String gapB = b.gaps.get(start + (end - split));
        if (first == 0 || gapA.isBlank() || !gapA.equals(gapB)) {
          return null; // a clause moved: the other order checks judge
        }
        return !coordinated(gapA);
      }
    }
    return null;
  }

  private static boolean coordinated(String gap) {
    for (String word : gap.split(" ")) {
      if (COORDINATORS.contains(word)) {
        return true;
      }
    }
    return false;
  }

  /** Both sides have a class of the list, and none in common. */
  private static boolean disjoint(BitSet a, BitSet b) {
    return !a.isEmpty() && !b.isEmpty() && !a.intersects(b);
  }

  // --- order -----------------------------------------------------------------------------------

  /**
   * A marker governs a word on one side only and another word on the other side only, and each of
   * those words is in both prompts: "from English to German" / "from German to English".
   */
  private static boolean rolesSwapped(AlignedPrompt a, AlignedPrompt b) {
    if (a.roles.isEmpty() || b.roles.isEmpty()) {
      return false;
    }
    List<String> onlyA = minus(a.roles, b.roles);
    List<String> onlyB = minus(b.roles, a.roles);
    for (String x : onlyA) {
      String marker = x.substring(0, x.indexOf('→'));
      String wordX = x.substring(x.indexOf('→') + 1);
      for (String y : onlyB) {
        String wordY = y.substring(y.indexOf('→') + 1);
        if (y.startsWith(marker + "→")
            && !wordX.equals(wordY)
            && b.allWords.contains(wordX)
            && a.allWords.contains(wordY)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * A word of both prompts is governed in {@code a} by markers none of whose classes govern it in
   * {@code b}, where it is governed too ("before the exam" / "after the exam"), or, for a marker of
   * time, governed by "of" ("the week after Thanksgiving" / "the week of Thanksgiving").
   */
  private static boolean markerChanged(AlignedPrompt a, AlignedPrompt b) {
    Map<String, Set<String>> markersA = governed(a);
    Map<String, Set<String>> markersB = governed(b);
    for (Map.Entry<String, Set<String>> entry : markersA.entrySet()) {
      String word = entry.getKey();
      if (!b.allWords.contains(word)) {
        continue;
      }
      Set<String> other = markersB.get(word);
      if (other == null) {
        String lemma = AlignedPrompt.lemma(word);
        boolean of = b.ofWords.contains(lemma);
        for (String marker : entry.getValue()) {
          if (of && AlignedPrompt.TIME_MARKERS.contains(marker)
              || !b.ownerWords.contains(lemma) && ORDER_IN_TIME.contains(marker)) {
            return true; // "the week of Thanksgiving", "on Thanksgiving" / "the day after it"
          }
        }
      } else if (disjointSets(entry.getValue(), other)) {
        return true;
      }
    }
    return false;
  }

  /** Markers that place a thing before or after another: never unsaid ("the day after X"). */
  private static final Set<String> ORDER_IN_TIME = Set.of("before", "after");

  private static Map<String, Set<String>> governed(AlignedPrompt p) {
    Map<String, Set<String>> markers = new HashMap<>();
    for (String role : p.roles) {
      int arrow = role.indexOf('→');
      String marker = role.substring(0, arrow);
      if (!marker.equals(AlignedPrompt.POSSESSIVE)) {
        markers.computeIfAbsent(role.substring(arrow + 1), k -> new HashSet<>()).add(marker);
      }
    }
    return markers;
  }

  private static boolean disjointSets(Set<String> a, Set<String> b) {
    for (String x : a) {
      if (b.contains(x)) {
        return false;
      }
    }
    return true;
  }

  /**
   * An owner of {@code a} ("sister" in "my sister's card") that {@code b} does not name as an owner
   * ("'s", "of", "for", "by"): either {@code b} has the word in another role ("my sister uses my
   * card"), or {@code b} names no owner at all and lacks the word ("my card").
   */
  private static boolean ownerChanged(AlignedPrompt a, AlignedPrompt b) {
    for (int i = 0; i < a.possessors.size(); i++) {
      String owner = a.possessors.get(i);
      if (b.possessors.contains(owner)
          || b.ownerWords.contains(owner)
          || b.placeWords.contains(
              owner) // "Africa's longest river" = "the longest river in Africa"
          || compound(b.lemmas, owner, a.owned.get(i))) {
        continue; // "my phone's battery" = "my phone battery"
      }
      if (b.lemmas.contains(owner) || b.possessors.isEmpty()) {
        return true;
      }
    }
    return false;
  }

  /**
   * A noun owned by another person on each side ("my card" / "your card"), unless the asker changes
   * person with it: "How do I change my password?" / "How do you change your password?" asks the
   * same (a generic "you").
   */
  private static boolean personChanged(AlignedPrompt a, AlignedPrompt b) {
    for (Map.Entry<String, Integer> entry : a.persons.entrySet()) {
      Integer other = b.persons.get(entry.getKey());
      if (other == null || other.equals(entry.getValue())) {
        continue;
      }
      int pa = entry.getValue();
      boolean generic =
          pa != 3
              && other != 3
              && a.askers.get(pa)
              && b.askers.get(other)
              && !a.askers.get(other)
              && !b.askers.get(pa);
      if (!generic) {
        return true;
      }
    }
    return false;
  }

  /**
   * A condition on one side only, or conditions whose content words differ beyond synonyms,
   * inflections and typing slips.
   */
  private boolean conditionsDiffer(AlignedPrompt a, AlignedPrompt b) {
    if ((a.conditionCount == 0) != (b.conditionCount == 0)) {
      AlignedPrompt with = a.conditionCount == 0 ? b : a;
      AlignedPrompt without = a.conditionCount == 0 ? a : b;
      for (String word : with.conditionWords) {
        if (without.lemmas.contains(AlignedPrompt.lemma(word))) {
          return false; // the other prompt says it another way: the alignment judges
        }
      }
      return !with.conditionWords.isEmpty();
    }
    if (a.conditionCount == 0) {
      return false;
    }
    List<String> onlyA = unmatched(a.conditionWords, b.conditionWords);
    List<String> onlyB = unmatched(b.conditionWords, a.conditionWords);
    if (onlyA.isEmpty() && onlyB.isEmpty()) {
      return false;
    }
    consumeSameWords(onlyA, onlyB, a, b);
    return !onlyA.isEmpty() || !onlyB.isEmpty();
  }

  private static boolean compound(List<String> lemmas, String first, String second) {
    for (int i = 0; i + 1 < lemmas.size(); i++) {
      if (lemmas.get(i).equals(first) && lemmas.get(i + 1).equals(second)) {
        return true;
      }
    }
    return false;
  }

  /** The words of {@code words} whose lemmas {@code other} lacks (counted), numbers left out. */
  private static List<String> unmatched(List<String> words, List<String> other) {
    List<String> left = new ArrayList<>(other.size());
    for (String word : other) {
      left.add(AlignedPrompt.lemma(word));
    }
    List<String> out = new ArrayList<>();
    for (String word : words) {
      if (!left.remove(AlignedPrompt.lemma(word)) && word.chars().noneMatch(Character::isDigit)) {
        out.add(word);
      }
    }
    return out;
  }

  /** Whether both prompts have the same content words, in any order. */
  private static boolean sameWords(AlignedPrompt a, AlignedPrompt b) {
    return a.lemmas.size() == b.lemmas.size() && minus(a.lemmas, b.lemmas).isEmpty();
  }

  /**
   * Two words, each once in both prompts, trade sides of a third: one goes from before it to after
   * it while another goes from after to before ("customer sue company" / "company sue customer").
   * Moving a clause ("In Java, how do I sort" / "How do I sort ... in Java") moves words one way
   * only, and swapping "A and B" has no word between them.
   */
  private static boolean sidesTraded(AlignedPrompt a, AlignedPrompt b) {
    Map<String, Integer> posA = uniquePositions(a.lemmas);
    Map<String, Integer> posB = uniquePositions(b.lemmas);
    posA.keySet().retainAll(posB.keySet());
    if (posA.size() < 3) {
      return false;
    }
    for (String pivot : posA.keySet()) {
      int pa = posA.get(pivot);
      int pb = posB.get(pivot);
      boolean forward = false;
      boolean backward = false;
      for (String word : posA.keySet()) {
        if (word.equals(pivot)) {
          continue;
        }
        boolean beforeA = posA.get(word) < pa;
        boolean beforeB = posB.get(word) < pb;
        forward |= beforeA && !beforeB;
        backward |= !beforeA && beforeB;
      }
      if (forward && backward) {
        return true;
      }
    }
    return false;
  }

  private static Map<String, Integer> uniquePositions(List<String> lemmas) {
    Map<String, Integer> positions = new HashMap<>();
    Set<String> repeated = new HashSet<>();
    for (int i = 0; i < lemmas.size(); i++) {
      if (positions.put(lemmas.get(i), i) != null) {
        repeated.add(lemmas.get(i));
      }
    }
    positions.keySet().removeAll(repeated);
    return positions;
  }

  // --- alignment -------------------------------------------------------------------------------

  /**
   * Aligns the content words (longest common subsequence of lemmas) and judges each stretch where
   * they differ, ignoring words that only moved.
   */
  private Check alignmentDifference(AlignedPrompt a, AlignedPrompt b) {
    int n = a.lemmas.size();
    int m = b.lemmas.size();
    if (n > MAX_ALIGNED_WORDS || m > MAX_ALIGNED_WORDS) {
      return null;
    }
    List<String> onlyA = minus(a.lemmas, b.lemmas);
    List<String> onlyB = minus(b.lemmas, a.lemmas);
    if (onlyA.isEmpty() && onlyB.isEmpty()) {
      return null;
    }
    int[][] lcs = new int[n + 1][m + 1];
    for (int i = n - 1; i >= 0; i--) {
      for (int j = m - 1; j >= 0; j--) {
        lcs[i][j] =
            a.lemmas.get(i).equals(b.lemmas.get(j))
                ? lcs[i + 1][j + 1] + 1
                : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    List<String> removed = new ArrayList<>();
    List<String> inserted = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a.lemmas.get(i).equals(b.lemmas.get(j))) {
        Check found = judge(removed, inserted, onlyA, onlyB, a, b);
        if (found != null) {
          return found;
        }
        removed.clear();
        inserted.clear();
        i++;
        j++;
      } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
        inserted.add(b.words.get(j) + "\t" + b.lemmas.get(j));
        j++;
      } else {
        removed.add(a.words.get(i) + "\t" + a.lemmas.get(i));
        i++;
      }
    }
    return judge(removed, inserted, onlyA, onlyB, a, b);
  }

  /** One stretch: words of {@code a} replaced by words of {@code b} (either may be empty). */
  private Check judge(
      List<String> removedEntries,
      List<String> insertedEntries,
      List<String> onlyA,
      List<String> onlyB,
      AlignedPrompt a,
      AlignedPrompt b) {
    List<String> removed = differing(removedEntries, onlyA);
    List<String> inserted = differing(insertedEntries, onlyB);
    if (removed.isEmpty() && inserted.isEmpty()) {
      return null;
    }
    if (!removed.isEmpty() && !inserted.isEmpty()) {
      if (Math.max(removedEntries.size(), insertedEntries.size()) > maxReplacedWords) {
        return null; // a rewording: the similarity threshold judges it
      }
      consumeSameWords(removed, inserted, a, b);
      if (removed.isEmpty() || inserted.isEmpty() || !checks.contains(Check.SUBSTITUTION)) {
        return null;
      }
      return Check.SUBSTITUTION;
    }
    List<String> added = removed.isEmpty() ? inserted : removed;
    List<String> entries = removed.isEmpty() ? insertedEntries : removedEntries;
    AlignedPrompt other = removed.isEmpty() ? a : b;
    return checks.contains(Check.ADDITION)
            && entries.size() <= maxReplacedWords
            && !spelledOut(added, other)
            && !explained(added, other, removed.isEmpty() ? onlyA : onlyB)
        ? Check.ADDITION
        : null;
  }

  /**
   * Whether every word added on one side asks nothing more: a filler or a verb of asking
   * ("Honestly, ...", "Explain how ..."), or a word with a counterpart of the same meaning among
   * the words only the other side has, wherever they stand ("Can I deduct ...?" / "Is ...
   * deductible?", "my dog ate" / "my dog has eaten").
   */
  private boolean explained(List<String> added, AlignedPrompt other, List<String> otherOnly) {
    for (String x : added) {
      if (AlignedPrompt.ADDITION_FILLERS.contains(x)
          || AlignedPrompt.ADDITION_FILLERS.contains(AlignedPrompt.lemma(x))
          || misspeltFunctionWord(x)) {
        continue;
      }
      boolean found = false;
      for (int k = 0; k < other.words.size() && !found; k++) {
        String y = other.words.get(k);
        found = otherOnly.contains(other.lemmas.get(k)) && counterpart(x, y);
      }
      if (!found) {
        return false;
      }
    }
    return true;
  }

  /** Whether two words mean the same, one derives from the other, or they are forms of one word. */
  private boolean counterpart(String x, String y) {
    return AlignedPrompt.knownSynonyms(x, y)
        || misspelt(x, y)
        || derived(x, y)
        || abbreviates(x, y)
        || abbreviates(y, x)
        || sameForm(x, y)
        || derivation(x, y)
        || !opposites(x, y) && (related(x, y) || synonyms(x, y));
  }

  private boolean derivation(String x, String y) {
    try {
      return relations.derivations(x, y);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * A word of at least three letters one typing slip away from a function word ("teh", "wher",
   * "frm"): the alignment skips function words, so their misspellings stand alone.
   */
  static boolean misspeltFunctionWord(String x) {
    if (x.length() < 3 || x.length() > 6 || AlignedPrompt.isFunctionWord(x)) {
      return false;
    }
    for (String w : AlignedPrompt.functionWords()) {
      if (w.length() >= 3 && Math.abs(w.length() - x.length()) <= 1 && editDistance(x, w) <= 1) {
        return true;
      }
    }
    return false;
  }

  /** The words of a stretch that the other prompt lacks (not merely moved), lower case. */
  private static List<String> differing(List<String> entries, List<String> only) {
    List<String> left = new ArrayList<>(only);
    List<String> words = new ArrayList<>(entries.size());
    for (String entry : entries) {
      int tab = entry.indexOf('\t');
      if (left.remove(entry.substring(tab + 1))) {
        words.add(entry.substring(0, tab));
      }
    }
    return words;
  }

  /** Removes pairs that mean the same: compounds, abbreviations, synonyms by embedding. */
  private void consumeSameWords(
      List<String> removed, List<String> inserted, AlignedPrompt a, AlignedPrompt b) {
    consumeCompounds(removed, inserted);
    consumeCompounds(inserted, removed);
    consumeInitials(removed, inserted);
    consumeInitials(inserted, removed);
    consumePhrase(removed, inserted);
    consumePhrase(inserted, removed);
    for (int r = removed.size() - 1; r >= 0; r--) {
      String x = removed.get(r);
      int best = -1;
      for (int k = 0; k < inserted.size() && best < 0; k++) {
        String y = inserted.get(k);
        if (AlignedPrompt.knownSynonyms(x, y)
            || sameUnit(x, y)
            || misspelt(x, y)
            || derived(x, y)
            || abbreviates(x, y)
            || abbreviates(y, x)
            || !opposites(x, y) && (related(x, y) || synonyms(x, y))) {
          best = k;
        }
      }
      if (best >= 0) {
        removed.remove(r);
        inserted.remove(best);
      }
    }
  }

  /** The built-in word lists of the base guard, for the spellings of units. */
  private static final GuardLexicon UNITS = new GuardLexicon(List.of(), List.of(), List.of());

  /** Two spellings of one unit ("oz" / "ounces", "lb" / "pound", "km" / "kilometres"). */
  static boolean sameUnit(String x, String y) {
    String unit = UNITS.unit(x);
    return unit != null && unit.equals(UNITS.unit(y));
  }

  /**
   * One letter added, dropped, changed or two neighbours swapped, in words of at least five letters
   * ("cancle", "recieve", "ordr" for "order"): a typing slip, not another word.
   */
  static boolean misspelt(String x, String y) {
    if (Math.min(x.length(), y.length()) < 4 || Math.abs(x.length() - y.length()) > 1) {
      return false;
    }
    return editDistance(x, y) <= 1 && Math.max(x.length(), y.length()) >= 5;
  }

  /**
   * Edits (a letter added, dropped, changed, or two neighbours swapped) from one word to the other.
   */
  static int editDistance(String x, String y) {
    int n = x.length();
    int m = y.length();
    int[][] d = new int[n + 1][m + 1];
    for (int i = 0; i <= n; i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= m; j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= n; i++) {
      for (int j = 1; j <= m; j++) {
        int cost = x.charAt(i - 1) == y.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && x.charAt(i - 1) == y.charAt(j - 2)
            && x.charAt(i - 2) == y.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[n][m];
  }

  /**
   * One word derived from the other: a common start of at least five letters that is most of the
   * shorter word ("invite" / "invitation", "apology" / "apologizing", "install" / "installation").
   */
  static boolean derived(String x, String y) {
    int common = 0;
    int max = Math.min(x.length(), y.length());
    while (common < max && x.charAt(common) == y.charAt(common)) {
      common++;
    }
    return common >= 5 && common * 4 >= max * 3;
  }

  /** "wifi" against "wi" "fi", "email" against "e" "mail". */
  private static void consumeCompounds(List<String> whole, List<String> parts) {
    for (int w = whole.size() - 1; w >= 0; w--) {
      for (int p = 0; p + 1 < parts.size(); p++) {
        if (whole.get(w).equals(parts.get(p) + parts.get(p + 1))) {
          whole.remove(w);
          parts.remove(p + 1);
          parts.remove(p);
          break;
        }
      }
    }
  }

  /**
   * "pto" against "paid" "time" "off": the initials of consecutive words. A letter that may stand
   * for a function word the alignment skips ("o" of "on" in "roi", "a" of "as" in "asap") may match
   * no word.
   */
  private static void consumeInitials(List<String> acronyms, List<String> words) {
    for (int w = acronyms.size() - 1; w >= 0; w--) {
      String acronym = acronyms.get(w);
      int len = acronym.length();
      if (len < 2 || len > 6) {
        continue;
      }
      for (int p = 0; p < words.size(); p++) {
        int used = initials(acronym, 0, words, p);
        if (used >= 2) {
          acronyms.remove(w);
          for (int k = used - 1; k >= 0; k--) {
            words.remove(p + k);
          }
          break;
        }
      }
    }
  }

  /** How many words from {@code p} on spell {@code acronym} from letter {@code k}, or -1. */
  private static int initials(String acronym, int k, List<String> words, int p) {
    if (k == acronym.length()) {
      return 0;
    }
    char c = acronym.charAt(k);
    if (p < words.size() && !words.get(p).isEmpty() && words.get(p).charAt(0) == c) {
      int rest = initials(acronym, k + 1, words, p + 1);
      if (rest >= 0) {
        return rest + 1;
      }
    }
    if (k > 0 && FUNCTION_INITIALS.indexOf(c) >= 0) {
      return initials(acronym, k + 1, words, p);
    }
    return -1;
  }

  /** "info" for "information", "db" for "database", "stmt" for "statement". */
  static boolean abbreviates(String shorter, String longer) {
    if (shorter.length() < 2
        || shorter.length() > 5
        || longer.length() < shorter.length() + 2
        || shorter.charAt(0) != longer.charAt(0)) {
      return false;
    }
    int k = 0;
    for (int i = 0; i < longer.length() && k < shorter.length(); i++) {
      if (longer.charAt(i) == shorter.charAt(k)) {
        k++;
      }
    }
    return k == shorter.length();
  }

  /** Whether added words are the letters of an acronym the other prompt has ("HR"). */
  private static boolean spelledOut(List<String> added, AlignedPrompt other) {
    for (String word : other.words) {
      if (word.length() == added.size()) {
        boolean match = true;
        for (int k = 0; k < added.size() && match; k++) {
          match = added.get(k).charAt(0) == word.charAt(k);
        }
        if (match) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Two words of one side that the word relations take for the single word of the other ("put
   * together" / "assemble", "get rid" / "eliminate").
   */
  private void consumePhrase(List<String> phrase, List<String> single) {
    if (phrase.size() != 2 || single.size() != 1) {
      return;
    }
    if (related(phrase.get(0) + " " + phrase.get(1), single.get(0))) {
      phrase.clear();
      single.clear();
    }
  }

  /** Whether the word relations (WordNet when installed) give the two a sense in common. */
  private boolean related(String x, String y) {
    try {
      return relations.synonyms(x, y);
    } catch (RuntimeException e) {
      return false; // counted as different: a miss, never a wrong answer
    }
  }

  /** Whether the word relations know the two as opposites ("fresh" / "stale"). */
  private boolean opposites(String x, String y) {
    try {
      return relations.antonyms(x, y);
    } catch (RuntimeException e) {
      return true; // counted as different: a miss, never a wrong answer
    }
  }

  /** Whether the embedding model puts the two single words close enough to be synonyms. */
  boolean synonyms(String x, String y) {
    float[] vx = wordVector(x);
    float[] vy = wordVector(y);
    return vx != null && vy != null && cosine(vx, vy) >= wordThreshold;
  }

  private static double cosine(float[] a, float[] b) {
    if (a.length != b.length) {
      return Double.NaN;
    }
    double dot = VectorMath.dot(a, 0, b, 0, a.length);
    double norms = VectorMath.dot(a, 0, a, 0, a.length) * VectorMath.dot(b, 0, b, 0, b.length);
    return norms == 0 ? 0 : dot / Math.sqrt(norms);
  }

  private float[] wordVector(String word) {
    float[] vector = wordVectors.get(word);
    if (vector != null) {
      return vector;
    }
    try {
      vector = wordModel.embed(word);
    } catch (IOException | RuntimeException e) {
      return null; // counted as different: a miss, never a wrong answer
    }
    if (vector == null || vector.length == 0) {
      return null;
    }
    if (wordVectors.size() >= WORD_CACHE_SIZE) {
      wordVectors.clear();
    }
    wordVectors.put(word, vector);
    return vector;
  }

  private static List<String> minus(List<String> a, List<String> b) {
    List<String> left = new ArrayList<>(a);
    for (String x : b) {
      left.remove(x);
    }
    return left;
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "AlignmentGuard{checks=%s, wordThreshold=%.2f, maxReplacedWords=%d, words=%s,"
            + " relations=%s, base=%s}",
        checks,
        wordThreshold,
        maxReplacedWords,
        wordModel.name(),
        relations,
        base);
  }

  /** Configures an {@link AlignmentGuard}. Not thread-safe; reusable. */
  public static final class Builder {
    private final EmbeddingModel wordModel;
    private SemanticHitGuard base = FalseHitGuard.defaults();
    private final EnumSet<Check> checks = EnumSet.complementOf(EnumSet.of(Check.ADDITION));
    private double wordThreshold = DEFAULT_WORD_THRESHOLD;
    private int maxReplacedWords = DEFAULT_MAX_REPLACED_WORDS;
    private WordRelations relations = WordRelations.installed();

    private Builder(EmbeddingModel wordModel) {
      this.wordModel = Objects.requireNonNull(wordModel, "wordModel");
    }

    /**
     * The guard asked after the clock times and before the alignment (default {@link
     * FalseHitGuard#defaults()}); {@link SemanticHitGuard#NONE} leaves only this guard's checks.
     */
    public Builder base(SemanticHitGuard base) {
      this.base = Objects.requireNonNull(base, "base");
      return this;
    }

    /**
     * The cosine similarity two single words need, by the embedding model, to count as synonyms
     * (default {@value AlignmentGuard#DEFAULT_WORD_THRESHOLD}); higher refuses more.
     *
     * @throws IllegalArgumentException unless in (0, 1]
     */
    public Builder wordThreshold(double threshold) {
      if (!(threshold > 0 && threshold <= 1)) {
        throw new IllegalArgumentException("wordThreshold must be in (0, 1]: " + threshold);
      }
      this.wordThreshold = threshold;
      return this;
    }

    /**
     * The longest stretch of content words judged as a substitution: up to this many words on each
     * side (default {@value AlignmentGuard#DEFAULT_MAX_REPLACED_WORDS}); a longer rewording is left
     * to the similarity threshold.
     *
     * @throws IllegalArgumentException unless in [1, 10]
     */
    public Builder maxReplacedWords(int words) {
      if (words < 1 || words > 10) {
        throw new IllegalArgumentException("maxReplacedWords must be in [1, 10]: " + words);
      }
      this.maxReplacedWords = words;
      return this;
    }

    /**
     * The lexical database the substitution check consults for synonyms and opposites (default
     * {@link WordRelations#installed()}: WordNet when {@code ai-gateway-embeddings-onnx} is on the
     * class path); {@link WordRelations#NONE} leaves the built-in groups and the embedding model.
     */
    public Builder wordRelations(WordRelations relations) {
      this.relations = Objects.requireNonNull(relations, "relations");
      return this;
    }

    /** Turns the given checks off. */
    public Builder disable(Check... disabled) {
      for (Check check : disabled) {
        checks.remove(Objects.requireNonNull(check, "check"));
      }
      return this;
    }

    /** Turns the given checks on ({@link Check#ADDITION} is off by default). */
    public Builder enable(Check... enabled) {
      for (Check check : enabled) {
        checks.add(Objects.requireNonNull(check, "check"));
      }
      return this;
    }

    /** The guard; later changes to this builder do not affect it. */
    public AlignmentGuard build() {
      return new AlignmentGuard(this);
    }
  }
}
