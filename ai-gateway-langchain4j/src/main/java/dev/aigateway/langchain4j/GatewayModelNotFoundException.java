package dev.aigateway.langchain4j;

import dev.aigateway.api.RejectionReason;
import dev.langchain4j.exception.ModelNotFoundException;
import org.jspecify.annotations.Nullable;

/**
 * No backend of the gateway serves the requested model (404, {@link
 * RejectionReason#MODEL_NOT_FOUND}): LangChain4j's {@link ModelNotFoundException}, as its models
 * throw for the provider's 404; never retried. See {@link GatewayRejection} for every kind of
 * refusal.
 */
public final class GatewayModelNotFoundException extends ModelNotFoundException
    implements GatewayRejection {

  private static final long serialVersionUID = 1L;

  /** What {@link GatewayRejection}'s accessors answer. */
  final RejectionDetails details;

  GatewayModelNotFoundException(RejectionDetails details, String body, @Nullable Throwable cause) {
    super(details.message(body), cause);
    this.details = details;
  }
}
