package dev.aigateway.api;

import org.jspecify.annotations.Nullable;

/**
 * Decides which requests the gateway governs. A request it does not match passes through the
 * wrapped client untouched: no parsing, no buffering, no event.
 *
 * <p>The default, {@link CallMatchers#openAiAndAzure()}, matches OpenAI-style and Azure OpenAI
 * paths. Implementations must be fast, thread-safe and must not throw.
 */
@FunctionalInterface
public interface CallMatcher {

  /**
   * Classifies one request line.
   *
   * @param method the HTTP method, upper case
   * @param path the URL's encoded path, for example {@code /v1/chat/completions}
   * @return the match, or null when the gateway should not govern this request
   */
  @Nullable CallMatch match(String method, String path);
}
