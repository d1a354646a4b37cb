package dev.aigateway.api;

/**
 * Token usage of one call, in the provider-neutral shape the gateway accounts in.
 *
 * @param inputTokens prompt / input tokens
 * @param outputTokens completion / output tokens (0 for embeddings)
 * @param totalTokens what the call is charged; normally input + output
 * @param cachedInputTokens input tokens the provider read from its prompt cache (part of input)
 * @param reasoningTokens reasoning tokens (part of output)
 * @param cacheWriteInputTokens input tokens the provider wrote to its prompt cache (part of input;
 *     Anthropic's {@code cache_creation_input_tokens}, priced above plain input)
 * @param audioInputTokens input tokens that were audio (part of input)
 * @param audioOutputTokens output tokens that were audio (part of output)
 * @param imageInputTokens input tokens that were images (part of input), where a provider says
 */
public record Usage(
    long inputTokens,
    long outputTokens,
    long totalTokens,
    long cachedInputTokens,
    long reasoningTokens,
    long cacheWriteInputTokens,
    long audioInputTokens,
    long audioOutputTokens,
    long imageInputTokens) {

  /** No tokens at all. */
  public static final Usage ZERO = new Usage(0, 0, 0, 0, 0);

  /**
   * The most tokens the gateway accounts for one call, in any one count: 10<sup>12</sup>, far above
   * what any model takes or produces in a call. The gateway reserves and settles at most this many
   * tokens per call, and caps reported usage above it to it (the event then says {@link
   * UsageInfo#capped()}), so that an absurd count from a backend cannot overflow a counter, and the
   * event and the counters always agree. Token stores must take any amount up to it.
   */
  public static final long MAX_TOKENS = 1_000_000_000_000L;

  /**
   * Usage without cache-write, audio or image detail: the counts most providers report.
   *
   * @param inputTokens prompt / input tokens
   * @param outputTokens completion / output tokens
   * @param totalTokens what the call is charged; normally input + output
   * @param cachedInputTokens input tokens read from the provider's prompt cache (part of input)
   * @param reasoningTokens reasoning tokens (part of output)
   */
  public Usage(
      long inputTokens,
      long outputTokens,
      long totalTokens,
      long cachedInputTokens,
      long reasoningTokens) {
    this(inputTokens, outputTokens, totalTokens, cachedInputTokens, reasoningTokens, 0, 0, 0, 0);
  }

  public Usage {
    if (inputTokens < 0
        || outputTokens < 0
        || totalTokens < 0
        || cachedInputTokens < 0
        || reasoningTokens < 0
        || cacheWriteInputTokens < 0
        || audioInputTokens < 0
        || audioOutputTokens < 0
        || imageInputTokens < 0) {
      throw new IllegalArgumentException(
          "token counts must be >= 0 but were input="
              + inputTokens
              + " output="
              + outputTokens
              + " total="
              + totalTokens
              + " cached="
              + cachedInputTokens
              + " reasoning="
              + reasoningTokens
              + " cacheWrite="
              + cacheWriteInputTokens
              + " audioInput="
              + audioInputTokens
              + " audioOutput="
              + audioOutputTokens
              + " imageInput="
              + imageInputTokens);
    }
  }

  /**
   * Usage with the given input and output and their sum as total ({@link Long#MAX_VALUE} when the
   * sum does not fit in a long).
   */
  public static Usage of(long inputTokens, long outputTokens) {
    long total = inputTokens + outputTokens;
    return new Usage(inputTokens, outputTokens, total < 0 ? Long.MAX_VALUE : total, 0, 0);
  }

  /** Whether any count is above {@link #MAX_TOKENS}. */
  public boolean exceedsMaxTokens() {
    return inputTokens > MAX_TOKENS
        || outputTokens > MAX_TOKENS
        || totalTokens > MAX_TOKENS
        || cachedInputTokens > MAX_TOKENS
        || reasoningTokens > MAX_TOKENS
        || cacheWriteInputTokens > MAX_TOKENS
        || audioInputTokens > MAX_TOKENS
        || audioOutputTokens > MAX_TOKENS
        || imageInputTokens > MAX_TOKENS;
  }

  /** This usage with every count above {@link #MAX_TOKENS} lowered to it; itself if none is. */
  public Usage capped() {
    if (!exceedsMaxTokens()) {
      return this;
    }
    return new Usage(
        Math.min(inputTokens, MAX_TOKENS),
        Math.min(outputTokens, MAX_TOKENS),
        Math.min(totalTokens, MAX_TOKENS),
        Math.min(cachedInputTokens, MAX_TOKENS),
        Math.min(reasoningTokens, MAX_TOKENS),
        Math.min(cacheWriteInputTokens, MAX_TOKENS),
        Math.min(audioInputTokens, MAX_TOKENS),
        Math.min(audioOutputTokens, MAX_TOKENS),
        Math.min(imageInputTokens, MAX_TOKENS));
  }

  /**
   * Input tokens billed at the plain input rate: input less what was read from or written to the
   * provider's prompt cache (never below 0).
   */
  public long uncachedInputTokens() {
    return Math.max(0, inputTokens - cachedInputTokens - cacheWriteInputTokens);
  }
}
