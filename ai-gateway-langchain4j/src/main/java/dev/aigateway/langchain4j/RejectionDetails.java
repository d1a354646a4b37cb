package dev.aigateway.langchain4j;

import dev.aigateway.api.RejectionReason;
import java.io.Serializable;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** The gateway's details of one refusal, shared by every {@link GatewayRejection}. */
record RejectionDetails(
    int statusCode, @Nullable RejectionReason reason, @Nullable Duration retryAfter)
    implements Serializable {

  /**
   * The details {@code rejection} holds: each kind is a subclass of a different LangChain4j
   * exception, so none can inherit them, and {@link GatewayRejection}'s accessors read them here.
   */
  static RejectionDetails of(GatewayRejection rejection) {
    if (rejection instanceof GatewayRateLimitException e) {
      return e.details;
    } else if (rejection instanceof GatewayUnavailableException e) {
      return e.details;
    } else if (rejection instanceof GatewayRejectionException e) {
      return e.details;
    } else if (rejection instanceof GatewayContentFilteredException e) {
      return e.details;
    } else if (rejection instanceof GatewayAuthenticationException e) {
      return e.details;
    } else if (rejection instanceof GatewayModelNotFoundException e) {
      return e.details;
    }
    return ((GatewayInvalidRequestException) rejection).details; // the interface is sealed
  }

  /** The message of the exception that reports this refusal; the body is the gateway's own. */
  String message(String body) {
    return "the gateway rejected the call with status "
        + statusCode
        + (reason == null ? "" : " (" + reason.headerValue() + ")")
        + ": "
        + body;
  }
}
