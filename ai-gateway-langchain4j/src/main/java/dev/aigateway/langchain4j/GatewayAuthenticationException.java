package dev.aigateway.langchain4j;

import dev.aigateway.api.RejectionReason;
import dev.langchain4j.exception.AuthenticationException;
import org.jspecify.annotations.Nullable;

/**
 * The gateway refused the call's credential or access (401 {@link RejectionReason#INVALID_TOKEN},
 * 403 {@link RejectionReason#ACCESS_DENIED} or {@link RejectionReason#CONSUMER_BLOCKED}):
 * LangChain4j's {@link AuthenticationException}, as its models throw for the provider's 401 and
 * 403; never retried. See {@link GatewayRejection} for every kind of refusal.
 */
public final class GatewayAuthenticationException extends AuthenticationException
    implements GatewayRejection {

  private static final long serialVersionUID = 1L;

  /** What {@link GatewayRejection}'s accessors answer. */
  final RejectionDetails details;

  GatewayAuthenticationException(RejectionDetails details, String body, @Nullable Throwable cause) {
    super(details.message(body), cause);
    this.details = details;
  }
}
