package dev.aigateway.api;

/**
 * Why the gateway answered a call itself instead of sending it to a backend. Each reason has the
 * HTTP status of its synthetic response and the value of the {@code x-ai-gateway-rejected} header.
 */
public enum RejectionReason {
  /** A tokens-per-window rate limit has too few tokens left; 429 with {@code Retry-After}. */
  TOKEN_RATE_LIMIT(429, "token-rate-limit"),
  /** A calendar token quota is spent; 403 with {@code Retry-After} set to the period's end. */
  TOKEN_QUOTA(403, "token-quota"),
  /**
   * The request asks for more than the gateway can govern in one call (an output allowance above
   * {@link Usage#MAX_TOKENS}); 400 with an {@code invalid_request_error} naming the field. A
   * backend would refuse it too.
   */
  INVALID_REQUEST(400, "invalid-request"),
  /** No backend of the pool serves the requested model; 404. */
  MODEL_NOT_FOUND(404, "model-not-found"),
  /**
   * Every backend that serves the model is unavailable (breaker open, or cooling down after a 429);
   * 503 with {@code Retry-After} set to the soonest time one becomes available.
   */
  NO_BACKEND_AVAILABLE(503, "no-backend-available"),
  /**
   * The token store cannot count the call (it fails, or its breaker is open) and the gateway is
   * configured to fail closed: 503 with {@code Retry-After} set to the configured wait, error code
   * {@code token_store_unavailable}.
   */
  TOKEN_STORE_UNAVAILABLE(503, "token-store-unavailable"),
  /**
   * The consumer's access rules do not allow the call (its model, operation, backend, streaming or
   * output allowance); 403 with error code {@code access_denied}, naming the rule and the check.
   */
  ACCESS_DENIED(403, "access-denied"),
  /**
   * The call's credential (a bearer token) is missing, malformed, expired, not yet valid, wrongly
   * signed or meant for another issuer or audience; 401 with error code {@code invalid_token}. The
   * token itself is never echoed.
   */
  INVALID_TOKEN(401, "invalid-token");

  private final int status;
  private final String headerValue;

  RejectionReason(int status, String headerValue) {
    this.status = status;
    this.headerValue = headerValue;
  }

  /** The HTTP status of the synthetic response. */
  public int status() {
    return status;
  }

  /** The value of the {@code x-ai-gateway-rejected} response header. */
  public String headerValue() {
    return headerValue;
  }
}
