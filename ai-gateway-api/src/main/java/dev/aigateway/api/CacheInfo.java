package dev.aigateway.api;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the response cache did for one governed call: the cache stage's part of its {@link
 * GatewayEvent} ({@link GatewayEvent#cache()}). {@link #NONE} when the gateway has no cache, the
 * call's operation is not one the cache serves, or the call ended before the cache was consulted.
 *
 * @param outcome what the cache did ({@link CacheOutcome#NONE} when it did nothing)
 * @param score the cosine similarity of the nearest cached prompt when the semantic cache looked:
 *     for a semantic hit the one served, for a guarded miss the best one the guard refused, for a
 *     miss the best one found even below the threshold (so the threshold can be tuned from real
 *     traffic); {@code NaN} for an exact hit and when the semantic cache compared nothing (no
 *     semantic cache, nothing cached in the partition, or the embedding failed)
 * @param guardObjection the false-hit guard's objection for a {@link CacheOutcome#GUARDED_MISS} (a
 *     category such as {@code negation}, {@code number}, {@code entity}), else null; never prompt
 *     text
 * @param tokensSaved the tokens a hit saved (the total tokens the cached answer cost when it was
 *     first produced); 0 for anything but a hit
 * @param semanticSkip why the semantic cache neither looked the call up nor stored its prompt, when
 *     a reason is recorded: {@value #PROMPT_NOT_READ_WHOLE} (the embedding model would read only
 *     the beginning of the prompt); else null. The exact cache is not affected.
 * @param failure what part of the cache failed the call's lookup, making it a miss (the call went
 *     on to the backend): {@value #STORE_TIMEOUT}, {@value #STORE_FAILED}, {@value
 *     #EMBEDDING_TIMEOUT}, {@value #EMBEDDING_FAILED}, {@value #VECTOR_STORE_TIMEOUT}, {@value
 *     #VECTOR_STORE_FAILED}, {@value #GUARD_TIMEOUT} or {@value #GUARD_FAILED}; the first failure
 *     when there were several; null when no part failed. A part "times out" when it did not answer
 *     within the cache's timeout ({@code ResponseCache.Builder.timeout}), or when every thread the
 *     cache keeps for it was still held by calls it had not answered. Storing the answer afterwards
 *     is not reported here (it may end after the event): its failures are logged.
 */
public record CacheInfo(
    CacheOutcome outcome,
    double score,
    @Nullable String guardObjection,
    long tokensSaved,
    @Nullable String semanticSkip,
    @Nullable String failure) {

  /** The {@link #failure} of a lookup the response cache store did not answer in time. */
  public static final String STORE_TIMEOUT = "store_timeout";

  /** The {@link #failure} of a lookup the response cache store failed (threw). */
  public static final String STORE_FAILED = "store_failed";

  /** The {@link #failure} of a lookup whose prompt the embedding model did not embed in time. */
  public static final String EMBEDDING_TIMEOUT = "embedding_timeout";

  /** The {@link #failure} of a lookup whose prompt the embedding model failed to embed. */
  public static final String EMBEDDING_FAILED = "embedding_failed";

  /** The {@link #failure} of a lookup the vector store did not answer in time. */
  public static final String VECTOR_STORE_TIMEOUT = "vector_store_timeout";

  /** The {@link #failure} of a lookup the vector store failed (threw). */
  public static final String VECTOR_STORE_FAILED = "vector_store_failed";

  /** The {@link #failure} of a lookup whose hit the false-hit guard did not judge in time. */
  public static final String GUARD_TIMEOUT = "guard_timeout";

  /** The {@link #failure} of a lookup whose hit the false-hit guard failed (threw) on. */
  public static final String GUARD_FAILED = "guard_failed";

  /**
   * The {@link #semanticSkip} of a call whose prompt is longer than the embedding model reads: two
   * such prompts that begin alike would get the same vector however they end, so the semantic cache
   * keeps them out unless configured otherwise.
   */
  public static final String PROMPT_NOT_READ_WHOLE = "prompt_not_read_whole";

  /** The cache did nothing for the call. */
  public static final CacheInfo NONE = new CacheInfo(CacheOutcome.NONE, Double.NaN, null, 0);

  public CacheInfo {
    Objects.requireNonNull(outcome, "outcome");
  }

  /** What the cache did, no part of it having failed. */
  public CacheInfo(
      CacheOutcome outcome,
      double score,
      @Nullable String guardObjection,
      long tokensSaved,
      @Nullable String semanticSkip) {
    this(outcome, score, guardObjection, tokensSaved, semanticSkip, null);
  }

  /** What the cache did, the semantic cache having skipped nothing. */
  public CacheInfo(
      CacheOutcome outcome, double score, @Nullable String guardObjection, long tokensSaved) {
    this(outcome, score, guardObjection, tokensSaved, null, null);
  }
}
