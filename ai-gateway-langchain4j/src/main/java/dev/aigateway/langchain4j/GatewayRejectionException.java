package dev.aigateway.langchain4j;

import dev.langchain4j.exception.NonRetriableException;
import org.jspecify.annotations.Nullable;

/**
 * The gateway refused a call that no retry can turn into an answer soon: a spent quota (403, or 429
 * when so configured), or a 429 or 503 whose wait is longer than {@link
 * GovernedHttpClientBuilder#maxRetryWait}, unknown, or that can never fit a limit. A {@link
 * NonRetriableException}, so LangChain4j's retry loop gives up at once instead of sending the same
 * call into the same rejection. Refusals a retry can fix soon are {@link GatewayRateLimitException}
 * and {@link GatewayUnavailableException} (retried); see {@link GatewayRejection} for every kind.
 */
public final class GatewayRejectionException extends NonRetriableException
    implements GatewayRejection {

  private static final long serialVersionUID = 1L;

  /** What {@link GatewayRejection}'s accessors answer. */
  final RejectionDetails details;

  GatewayRejectionException(RejectionDetails details, String body, @Nullable Throwable cause) {
    super(details.message(body), cause);
    this.details = details;
  }
}
