package dev.aigateway.langchain4j;

import dev.langchain4j.exception.RateLimitException;
import org.jspecify.annotations.Nullable;

/**
 * A gateway rate limit refused the call and has capacity back within {@link
 * GovernedHttpClientBuilder#maxRetryWait} (429): LangChain4j's {@link RateLimitException}, as its
 * models throw for the provider's 429, which LangChain4j's retry loop retries. Once the model's
 * retries are spent, the last one reaches the application. See {@link GatewayRejection} for every
 * kind of refusal.
 */
public final class GatewayRateLimitException extends RateLimitException
    implements GatewayRejection {

  private static final long serialVersionUID = 1L;

  /** What {@link GatewayRejection}'s accessors answer. */
  final RejectionDetails details;

  GatewayRateLimitException(RejectionDetails details, String body, @Nullable Throwable cause) {
    super(details.message(body), cause);
    this.details = details;
  }
}
