package dev.aigateway.core.cache;

import java.util.ServiceLoader;

/**
 * What a lexical database knows about two words, for {@link AlignmentGuard}'s substitution check:
 * whether they can mean the same ("mend" / "repair", "put together" / "assemble") and whether they
 * are opposites ("fresh" / "stale"). The guard asks it about the words that differ between two
 * prompts, after its own lists and before the embedding model.
 *
 * <p>The guard's builder uses {@link #installed()} unless told otherwise: the first implementation
 * registered with {@link ServiceLoader} (module {@code ai-gateway-embeddings-onnx} registers one
 * over WordNet), else {@link #NONE}. Implementations must be thread-safe and should answer from
 * memory; an exception counts the words as different (a miss, never a wrong answer).
 */
public interface WordRelations {

  /** Knows no word: every pair is neither synonyms nor opposites. */
  WordRelations NONE =
      new WordRelations() {
        @Override
        public boolean synonyms(String x, String y) {
          return false;
        }

        @Override
        public boolean antonyms(String x, String y) {
          return false;
        }

        @Override
        public String toString() {
          return "WordRelations.NONE";
        }
      };

  /**
   * Whether the two words or short phrases (lower case, as written: "thawed", "put together") have
   * a sense in common, or one names a direct kind of the other in a sense where that is the same
   * request ("scrub" / "clean").
   */
  boolean synonyms(String x, String y);

  /** Whether the two words (lower case, as written) are opposites in some sense. */
  boolean antonyms(String x, String y);

  /**
   * Whether the two different words (lower case, as written) are forms of one word, regular or not
   * ("taught" / "teach", "mice" / "mouse"). The default knows none.
   */
  default boolean forms(String x, String y) {
    return false;
  }

  /**
   * Whether one of the two words (lower case, as written) is derived from the other in a sense they
   * share ("deduct" / "deductible", "mean" / "meaning", "navigate" / "navigation"). The default
   * knows none.
   */
  default boolean derivations(String x, String y) {
    return false;
  }

  /**
   * The first implementation registered with {@link ServiceLoader} on this class's class loader, or
   * {@link #NONE}; looked up once.
   */
  static WordRelations installed() {
    return InstalledWordRelations.RELATIONS;
  }
}
