package dev.aigateway.core.internal.routing;

import java.time.Instant;

/**
 * A backend's rate-limit headers at one response ({@code x-ratelimit-*}); -1 or null where a
 * header was absent.
 */
public record RateLimitSnapshot(long limitTokens, long remainingTokens, Instant tokensResetAt,
    long limitRequests, long remainingRequests, Instant requestsResetAt) {}
