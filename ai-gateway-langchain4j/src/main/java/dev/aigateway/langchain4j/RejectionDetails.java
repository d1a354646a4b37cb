package dev.aigateway.langchain4j;

import dev.aigateway.api.RejectionReason;
import java.io.Serializable;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** The gateway's details of one refusal, shared by every {@link GatewayRejection}. */
record RejectionDetails(
    int statusCode, @Nullable RejectionReason reason, @Nullable Duration retryAfter)
    implements Serializable {

  /** The message of the exception that reports this refusal; the body is the gateway's own. */
  String message(String body) {
    return "the gateway rejected the call with status "
        + statusCode
        + (reason == null ? "" : " (" + reason.headerValue() + ")")
        + ": "
        + body;
  }
}
