package dev.aigateway.api;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Thrown from {@code Call.execute()} (or passed to {@code Callback.onFailure}) instead of a
 * synthetic error response, when the gateway is configured to throw on rejection. The call never
 * reached a backend. Subclasses say more about the specific reason.
 */
public class GatewayRejectedException extends IOException {

  private static final long serialVersionUID = 1L;

  private final RejectionReason reason;
  private final @Nullable Duration retryAfter;

  /**
   * @param message what happened and what to do, free of secrets
   * @param reason why the call was rejected
   * @param retryAfter how long to wait before trying again, or null when waiting will not help
   */
  public GatewayRejectedException(
      String message, RejectionReason reason, @Nullable Duration retryAfter) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.retryAfter = retryAfter;
  }

  /** Why the call was rejected. */
  public RejectionReason reason() {
    return reason;
  }

  /** The HTTP status the synthetic response would have had. */
  public int status() {
    return reason.status();
  }

  /** How long to wait before the same call can be admitted, or null when unknown. */
  public @Nullable Duration retryAfter() {
    return retryAfter;
  }
}
