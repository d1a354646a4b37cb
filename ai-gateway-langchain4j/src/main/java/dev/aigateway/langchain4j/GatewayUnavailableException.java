package dev.aigateway.langchain4j;

import dev.aigateway.api.RejectionReason;
import dev.langchain4j.exception.InternalServerException;
import org.jspecify.annotations.Nullable;

/**
 * The gateway has no backend available for the call, or cannot count or check it (503: {@link
 * RejectionReason#NO_BACKEND_AVAILABLE}, {@link RejectionReason#TOKEN_STORE_UNAVAILABLE}, {@link
 * RejectionReason#CONTENT_CHECK_UNAVAILABLE}) and declared a wait within {@link
 * GovernedHttpClientBuilder#maxRetryWait}: LangChain4j's {@link InternalServerException}, as its
 * models throw for the provider's 5xx, which LangChain4j's retry loop retries. Once the model's
 * retries are spent, the last one reaches the application. See {@link GatewayRejection} for every
 * kind of refusal.
 */
public final class GatewayUnavailableException extends InternalServerException
    implements GatewayRejection {

  private static final long serialVersionUID = 1L;

  /** What {@link GatewayRejection}'s accessors answer. */
  final RejectionDetails details;

  GatewayUnavailableException(RejectionDetails details, String body, @Nullable Throwable cause) {
    super(details.message(body), cause);
    this.details = details;
  }
}
