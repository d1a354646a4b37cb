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
 */
public record CacheInfo(
    CacheOutcome outcome,
    double score,
    @Nullable String guardObjection,
    long tokensSaved,
    @Nullable String semanticSkip) {

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

  /** What the cache did, the semantic cache having skipped nothing. */
  public CacheInfo(
      CacheOutcome outcome, double score, @Nullable String guardObjection, long tokensSaved) {
    this(outcome, score, guardObjection, tokensSaved, null);
  }
}
