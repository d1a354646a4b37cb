package dev.aigateway.embeddings.onnx;

import dev.aigateway.core.cache.WordRelations;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.sf.extjwnl.JWNLException;
import net.sf.extjwnl.data.IndexWord;
import net.sf.extjwnl.data.POS;
import net.sf.extjwnl.data.Pointer;
import net.sf.extjwnl.data.PointerType;
import net.sf.extjwnl.data.Synset;
import net.sf.extjwnl.data.Word;
import net.sf.extjwnl.dictionary.Dictionary;

/**
 * {@link WordRelations} from WordNet 3.1 (Princeton University), read in process with extJWNL from
 * its data artifact: no file or network access beyond the class path. Registered with {@link
 * java.util.ServiceLoader}, so the semantic cache's default {@code AlignmentGuard} uses it whenever
 * this module is on the class path.
 *
 * <ul>
 *   <li><b>Synonyms</b>: the two words (inflected forms are reduced by WordNet's morphology) share
 *       a synset ("mend" / "repair", "put together" / "assemble", "get rid of" / "eliminate"), or,
 *       for verbs, one's synset is the direct hypernym of the other's among their {@value
 *       #HYPERNYM_SENSES} most common senses ("scrub" / "clean"). Adjectives in WordNet's "similar
 *       to" clusters count too ("damp" / "wet" do not: they are only similar).
 *   <li><b>Opposites</b>: WordNet's antonym pointers ("fresh" / "stale", "loose" / "tight").
 *   <li>Two forms of one word ("won" / "win", "child" / "children") are neither: they differ in
 *       tense or number, which the guard judges.
 * </ul>
 *
 * <p>The dictionary (about 11 MB in the jar) loads on first use, about two seconds; each word's
 * senses are then looked up once and kept (up to {@value #CACHE_SIZE} words). Thread-safe.
 */
public final class WordNetRelations implements WordRelations {

  /** How many of a verb's most common senses may relate it to another through a hypernym. */
  static final int HYPERNYM_SENSES = 3;

  /** How many words' senses are kept before the cache starts afresh. */
  static final int CACHE_SIZE = 20_000;

  private record Senses(
      Set<Long> same,
      Set<Long> near,
      Set<String> lemmas,
      Set<String> opposite,
      Set<String> derived) {
    static final Senses NONE = new Senses(Set.of(), Set.of(), Set.of(), Set.of(), Set.of());
  }

  private final Map<String, Senses> senses = new ConcurrentHashMap<>();

  /** Relations over WordNet; the dictionary loads on the first question. */
  public WordNetRelations() {}

  @Override
  public boolean synonyms(String x, String y) {
    if (x.equals(y)) {
      return true;
    }
    Senses a = senses(x);
    Senses b = senses(y);
    if (intersects(a.lemmas(), b.lemmas())) {
      return false; // forms of one word ("won" / "win", "child" / "children"): tense or number
    }
    return intersects(a.same(), b.near()) || intersects(a.near(), b.same());
  }

  @Override
  public boolean antonyms(String x, String y) {
    if (x.equals(y)) {
      return false;
    }
    Senses a = senses(x);
    Senses b = senses(y);
    return intersects(a.opposite(), b.lemmas()) || intersects(b.opposite(), a.lemmas());
  }

  @Override
  public boolean derivations(String x, String y) {
    if (x.equals(y)) {
      return false;
    }
    Senses a = senses(x);
    Senses b = senses(y);
    return intersects(a.derived(), b.lemmas()) || intersects(b.derived(), a.lemmas());
  }

  @Override
  public boolean forms(String x, String y) {
    return !x.equals(y) && intersects(senses(x).lemmas(), senses(y).lemmas());
  }

  private static <T> boolean intersects(Set<T> a, Set<T> b) {
    Set<T> small = a.size() <= b.size() ? a : b;
    Set<T> large = small == a ? b : a;
    for (T t : small) {
      if (large.contains(t)) {
        return true;
      }
    }
    return false;
  }

  private Senses senses(String word) {
    String key = word.strip().toLowerCase(java.util.Locale.ROOT);
    Senses found = senses.get(key);
    if (found != null) {
      return found;
    }
    found = lookUp(key);
    if (key.indexOf(' ') > 0) {
      found = union(found, lookUp(key + " of")); // "get rid" for "get rid of": "of" is skipped
    }
    if (senses.size() >= CACHE_SIZE) {
      senses.clear();
    }
    senses.put(key, found);
    return found;
  }

  private static Senses union(Senses a, Senses b) {
    if (b.lemmas().isEmpty()) {
      return a;
    }
    if (a.lemmas().isEmpty()) {
      return b;
    }
    return new Senses(
        union(a.same(), b.same()),
        union(a.near(), b.near()),
        union(a.lemmas(), b.lemmas()),
        union(a.opposite(), b.opposite()),
        union(a.derived(), b.derived()));
  }

  private static <T> Set<T> union(Set<T> a, Set<T> b) {
    Set<T> all = new HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }

  private static Senses lookUp(String word) {
    Dictionary dictionary = Holder.DICTIONARY;
    Set<Long> same = new HashSet<>();
    Set<Long> near = new HashSet<>();
    Set<String> lemmas = new HashSet<>();
    Set<String> opposite = new HashSet<>();
    Set<String> derived = new HashSet<>();
    try {
      synchronized (dictionary) {
        for (IndexWord index : dictionary.lookupAllIndexWords(word).getIndexWordArray()) {
          if (word.indexOf(' ') > 0 && index.getLemma().indexOf(' ') < 0) {
            continue; // "get rid" found as "get": a phrase counts only as a phrase
          }
          lemmas.add(index.getLemma());
          List<Synset> synsets = index.getSenses();
          for (int i = 0; i < synsets.size(); i++) {
            Synset synset = synsets.get(i);
            same.add(key(synset));
            near.add(key(synset));
            if (synset.getPOS() == POS.VERB && i < HYPERNYM_SENSES) {
              for (Pointer p : synset.getPointers(PointerType.HYPERNYM)) {
                near.add(key(p.getTargetSynset()));
              }
            }
            if (synset.getPOS() == POS.ADJECTIVE) {
              for (Pointer p : synset.getPointers(PointerType.SIMILAR_TO)) {
                near.add(key(p.getTargetSynset()));
              }
            }
            for (Pointer p : synset.getPointers(PointerType.ANTONYM)) {
              for (Word w : p.getTargetSynset().getWords()) {
                opposite.add(w.getLemma().toLowerCase(java.util.Locale.ROOT));
              }
            }
            if (synset.getPOS() == POS.ADJECTIVE) {
              indirectOpposites(synset, opposite);
            }
            for (Word w : synset.getWords()) {
              if (w.getLemma().equalsIgnoreCase(index.getLemma())) {
                for (Pointer p : w.getPointers(PointerType.DERIVATION)) {
                  if (p.getTarget() instanceof Word target) {
                    derived.add(target.getLemma().toLowerCase(java.util.Locale.ROOT));
                  }
                }
              }
            }
          }
        }
      }
    } catch (JWNLException e) {
      return Senses.NONE; // no senses: the guard counts the words as different
    }
    return new Senses(
        Set.copyOf(same),
        Set.copyOf(near),
        Set.copyOf(lemmas),
        Set.copyOf(opposite),
        Set.copyOf(derived));
  }

  /**
   * The opposites WordNet reaches only through an adjective cluster: the antonyms of the cluster's
   * head that {@code synset} is similar to, and the adjectives similar to those antonyms ("opaque"
   * is the antonym of "clear", to which "transparent" is similar).
   */
  private static void indirectOpposites(Synset synset, Set<String> opposite) throws JWNLException {
    List<Synset> heads = new ArrayList<>();
    heads.add(synset);
    for (Pointer p : synset.getPointers(PointerType.SIMILAR_TO)) {
      heads.add(p.getTargetSynset());
    }
    for (Synset head : heads) {
      for (Pointer antonym : head.getPointers(PointerType.ANTONYM)) {
        Synset other = antonym.getTargetSynset();
        addLemmas(other, opposite);
        for (Pointer similar : other.getPointers(PointerType.SIMILAR_TO)) {
          addLemmas(similar.getTargetSynset(), opposite);
        }
      }
    }
  }

  private static void addLemmas(Synset synset, Set<String> out) {
    for (Word w : synset.getWords()) {
      out.add(w.getLemma().toLowerCase(java.util.Locale.ROOT));
    }
  }

  private static long key(Synset synset) {
    return synset.getOffset() * 8 + synset.getPOS().getId();
  }

  @Override
  public String toString() {
    return "WordNetRelations{WordNet 3.1}";
  }

  /** Loads the dictionary on first use. */
  private static final class Holder {
    static final Dictionary DICTIONARY = load();

    private static Dictionary load() {
      try {
        return Dictionary.getDefaultResourceInstance();
      } catch (JWNLException e) {
        throw new IllegalStateException("WordNet data could not be read from the class path", e);
      }
    }
  }
}
