package dev.aigateway.core.wire;

import dev.aigateway.api.RejectionReason;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A local error the gateway answers with, before a {@link WireFormat} writes it in its provider's
 * shape ({@link WireFormat#errorBody}).
 *
 * @param reason why the call is refused; a format maps it to its own error type and code
 * @param message what happened and what to do, for the application's developer
 * @param param the request field at fault, or null
 * @param code a more precise code than the reason gives (for example {@code
 *     integer_above_max_value}), or null for the reason's own
 */
public record LocalError(
    RejectionReason reason, String message, @Nullable String param, @Nullable String code) {

  public LocalError {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
  }
}
