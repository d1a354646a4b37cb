package dev.aigateway.langchain4j;

import dev.aigateway.api.RejectionReason;
import dev.langchain4j.exception.ContentFilteredException;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's content check blocked the prompt (400, {@link RejectionReason#CONTENT_BLOCKED}):
 * LangChain4j's {@link ContentFilteredException}, as its models throw for a prompt the provider's
 * own content filter refuses; never retried. A streamed answer a content check stopped midway ends
 * in the stream handler's {@code onError} with this exception (status 200, the stream's), not in a
 * completion with the text before the block. See {@link GatewayRejection} for every kind of
 * refusal.
 */
public final class GatewayContentFilteredException extends ContentFilteredException
    implements GatewayRejection {

  private static final long serialVersionUID = 1L;

  /** What {@link GatewayRejection}'s accessors answer. */
  final RejectionDetails details;

  GatewayContentFilteredException(
      RejectionDetails details, String body, @Nullable Throwable cause) {
    super(details.message(body), cause);
    this.details = details;
  }
}
