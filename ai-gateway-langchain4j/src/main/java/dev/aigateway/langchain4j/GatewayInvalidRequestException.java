package dev.aigateway.langchain4j;

import dev.aigateway.api.RejectionReason;
import dev.langchain4j.exception.InvalidRequestException;
import org.jspecify.annotations.Nullable;

/**
 * The gateway refused a request it cannot govern (400, {@link RejectionReason#INVALID_REQUEST}), or
 * refused with another 4xx status no other kind covers: LangChain4j's {@link
 * InvalidRequestException}, as its models throw for the provider's 4xx; never retried. See {@link
 * GatewayRejection} for every kind of refusal.
 */
public final class GatewayInvalidRequestException extends InvalidRequestException
    implements GatewayRejection {

  private static final long serialVersionUID = 1L;

  /** What {@link GatewayRejection}'s accessors answer. */
  final RejectionDetails details;

  GatewayInvalidRequestException(RejectionDetails details, String body, @Nullable Throwable cause) {
    super(details.message(body), cause);
    this.details = details;
  }
}
