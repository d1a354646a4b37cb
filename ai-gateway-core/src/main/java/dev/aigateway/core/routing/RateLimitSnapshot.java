package dev.aigateway.core.routing;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * What a backend's {@code x-ratelimit-*} headers said on one response, read by {@link
 * BackendHeaders#rateLimits}. A count is -1 and a reset time null where the header was absent or
 * unreadable. Counts sent without their reset (Azure OpenAI sends {@code
 * x-ratelimit-remaining-tokens} and {@code -requests} only) are given a reset a minute after the
 * response, the window such limits are counted in, after which they no longer count.
 *
 * @param limitTokens tokens allowed per window
 * @param remainingTokens tokens left in the current window
 * @param tokensResetAt when the token window resets (the response's time plus the reset delay, or
 *     plus a minute when the backend sent token counts without one)
 * @param limitRequests requests allowed per window
 * @param remainingRequests requests left in the current window
 * @param requestsResetAt when the request window resets (likewise)
 */
public record RateLimitSnapshot(
    long limitTokens,
    long remainingTokens,
    @Nullable Instant tokensResetAt,
    long limitRequests,
    long remainingRequests,
    @Nullable Instant requestsResetAt) {}
