package dev.aigateway.core.routing;

/**
 * A backend {@link Router#select chosen} for an attempt, with the permit its breaker handed out:
 * the attempt's verdict goes back to that breaker with this permit.
 */
public record Selection(BackendState backend, long permit) {}
