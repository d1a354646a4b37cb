package dev.aigateway.core.wire;

import dev.aigateway.api.RejectionReason;
import java.util.Map;
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
 * @param findings for a content block, what each category found (category to its details, for
 *     example {@code {"filtered":true,"severity":"high"}}), written where the provider puts its own
 *     content filter's results; empty otherwise
 */
public record LocalError(
    RejectionReason reason,
    String message,
    @Nullable String param,
    @Nullable String code,
    Map<String, Map<String, Object>> findings) {

  public LocalError {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
    findings = Map.copyOf(findings);
  }

  /** An error without content filter findings. */
  public LocalError(
      RejectionReason reason, String message, @Nullable String param, @Nullable String code) {
    this(reason, message, param, code, Map.of());
  }
}
