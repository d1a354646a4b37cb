package dev.aigateway.api;

import java.time.Duration;

/**
 * A limit rejected the call (a token or request rate or quota, or an in-flight cap; {@link
 * #reason()} says which): it carries the limit, the counter key and how long to wait. The amounts
 * are in the limit's unit: tokens for a token limit, requests for a request limit (1), calls for an
 * in-flight cap (1 needed, the free slots left).
 *
 * <pre>{@code
 * try (Response response = client.newCall(request).execute()) { ... }
 * catch (TokenLimitExceededException e) {
 *   log.warn("limit {} for {} spent; retry in {}", e.limitName(), e.counterKey(), e.retryAfter());
 * }
 * }</pre>
 */
public final class TokenLimitExceededException extends GatewayRejectedException {

  private static final long serialVersionUID = 1L;

  private final String limitName;
  private final String counterKey;
  private final long requestedTokens;
  private final long remainingTokens;

  /** Creates the exception; the gateway builds it, applications only catch it. */
  public TokenLimitExceededException(
      String message,
      RejectionReason reason,
      Duration retryAfter,
      String limitName,
      String counterKey,
      long requestedTokens,
      long remainingTokens) {
    this(
        message,
        reason,
        reason.status(),
        retryAfter,
        limitName,
        counterKey,
        requestedTokens,
        remainingTokens);
  }

  /**
   * Creates the exception with the status the gateway answered with (a spent quota may be
   * configured to answer 429); the gateway builds it, applications only catch it.
   */
  public TokenLimitExceededException(
      String message,
      RejectionReason reason,
      int status,
      Duration retryAfter,
      String limitName,
      String counterKey,
      long requestedTokens,
      long remainingTokens) {
    super(message, reason, status, retryAfter);
    this.limitName = limitName;
    this.counterKey = counterKey;
    this.requestedTokens = requestedTokens;
    this.remainingTokens = remainingTokens;
  }

  /** The name of the limit that rejected the call. */
  public String limitName() {
    return limitName;
  }

  /** The counter key the limit counted under, for example the consumer id. */
  public String counterKey() {
    return counterKey;
  }

  /** The units the call needed to reserve: tokens, or 1 for a request limit or in-flight cap. */
  public long requestedTokens() {
    return requestedTokens;
  }

  /**
   * The units the limit had left, in its unit (negative when a settled call overdrew it; the free
   * slots of an in-flight cap).
   */
  public long remainingTokens() {
    return remainingTokens;
  }
}
