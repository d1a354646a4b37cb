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
   * 503 with {@code Retry-After} set to the soonest time one becomes available. Also when every
   * available one is at its in-flight cap: then {@code Retry-After} is 1 s.
   */
  NO_BACKEND_AVAILABLE(503, "no-backend-available"),
  /**
   * The token store cannot count the call (it fails, or its breaker is open) and the gateway is
   * configured to fail closed: 503 with {@code Retry-After} set to the configured wait, error code
   * {@code token_store_unavailable}.
   */
  TOKEN_STORE_UNAVAILABLE(503, "token-store-unavailable"),
  /**
   * Anomaly detection throttles the consumer (its usage rose far above its baseline) and the call
   * is beyond the lowered rate; 429 with {@code Retry-After}, error code {@code
   * consumer_throttled}.
   */
  CONSUMER_THROTTLED(429, "consumer-throttled"),
  /**
   * The consumer is blocked, by anomaly detection or an operator; 403 with {@code Retry-After} set
   * to when the block is due to end, error code {@code consumer_blocked}.
   */
  CONSUMER_BLOCKED(403, "consumer-blocked"),

  /**
   * A content safety check blocked the prompt (a deny list, personal data, an external check such
   * as Azure AI Content Safety or OpenAI moderation): 400, code {@code content_filter}, as Azure
   * OpenAI answers a prompt its own content filter refuses. No backend was called.
   */
  CONTENT_BLOCKED(400, "content-blocked"),

  /**
   * An external content safety check could not give a verdict (it failed or timed out) and the
   * gateway fails closed: 503, code {@code content_check_unavailable}. No backend was called.
   */
  CONTENT_CHECK_UNAVAILABLE(503, "content-check-unavailable"),

  /**
   * A requests-per-window rate limit has no request left for the counter key; 429 with {@code
   * Retry-After} set to the time until one request fits.
   */
  REQUEST_RATE_LIMIT(429, "request-rate-limit"),
  /**
   * A calendar request quota is spent; 403 (or 429, as the gateway's quota rejection status says)
   * with {@code Retry-After} set to the period's end.
   */
  REQUEST_QUOTA(403, "request-quota"),
  /**
   * The counter key already has as many calls in flight as its limit allows; 429 with a short
   * {@code Retry-After} (1 s), since a slot is freed whenever one of those calls ends.
   */
  IN_FLIGHT_LIMIT(429, "in-flight-limit"),
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
  INVALID_TOKEN(401, "invalid-token"),
  /**
   * A tool call's (or agent call's) arguments are larger than its server's or tool's cap; answered
   * with a JSON-RPC error ({@code docs/agents.md}), never sent.
   */
  TOOL_ARGUMENTS_TOO_LARGE(413, "tool-arguments-too-large"),
  /**
   * A member of a JSON-RPC batch that was itself allowed, not sent because another member of the
   * same batch was refused (a batch is admitted whole or not at all; {@code docs/agents.md}).
   */
  BATCH_MEMBER_REFUSED(409, "batch-member-refused");

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
