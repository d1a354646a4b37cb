package dev.aigateway.api;

import java.util.Optional;

/**
 * The semantic cache's last check before a hit is served: whether two prompts that embed close
 * together may still differ in a detail that changes the answer ("enable 2FA" / "disable 2FA", "3
 * days" / "5 days", "Paris" / "Berlin").
 *
 * <p>The default guard ({@code dev.aigateway.core.cache.AlignmentGuard}) aligns the two prompts'
 * content words and compares what differs (a replaced word, swapped roles, quantifiers, modals,
 * tense, clock times), then asks {@code dev.aigateway.core.cache.FalseHitGuard} about negations and
 * opposites, numbers and units, quoted strings, names and code identifiers. Implementations must be
 * thread-safe and fast (they run on the calling thread, before the hit is served).
 */
@FunctionalInterface
public interface SemanticHitGuard {

  /** A guard that never objects. */
  SemanticHitGuard NONE = (cached, incoming) -> Optional.empty();

  /**
   * Why {@code cachedPrompt}'s answer must not serve {@code prompt}, or empty when it may.
   *
   * @return a short category such as {@code negation}, {@code number} or {@code substitution}; it
   *     is recorded on the call's event, so it must never contain prompt text
   */
  Optional<String> objection(String cachedPrompt, String prompt);

  /**
   * As {@link #objection(String, String)}, told the cosine similarity the semantic cache found
   * between the two prompts' embeddings, so that a guard using it need not embed them again. The
   * default ignores it.
   *
   * @param similarity the cosine similarity of the two prompts' embeddings
   */
  default Optional<String> objection(String cachedPrompt, String prompt, double similarity) {
    return objection(cachedPrompt, prompt);
  }
}
