package dev.aigateway.api;

/**
 * Token usage of one call, in the provider-neutral shape the gateway accounts in.
 *
 * @param inputTokens prompt / input tokens
 * @param outputTokens completion / output tokens (0 for embeddings)
 * @param totalTokens what the call is charged; normally input + output
 * @param cachedInputTokens input tokens the provider served from its prompt cache (part of input)
 * @param reasoningTokens reasoning tokens (part of output)
 */
public record Usage(
    long inputTokens, long outputTokens, long totalTokens, long cachedInputTokens,
    long reasoningTokens) {

  /** No tokens at all. */
  public static final Usage ZERO = new Usage(0, 0, 0, 0, 0);

  public Usage {
    if (inputTokens < 0 || outputTokens < 0 || totalTokens < 0 || cachedInputTokens < 0
        || reasoningTokens < 0) {
      throw new IllegalArgumentException("token counts must be >= 0 but were input=" + inputTokens
          + " output=" + outputTokens + " total=" + totalTokens + " cached=" + cachedInputTokens
          + " reasoning=" + reasoningTokens);
    }
  }

  /** Usage with the given input and output and their sum as total. */
  public static Usage of(long inputTokens, long outputTokens) {
    return new Usage(inputTokens, outputTokens, inputTokens + outputTokens, 0, 0);
  }
}
