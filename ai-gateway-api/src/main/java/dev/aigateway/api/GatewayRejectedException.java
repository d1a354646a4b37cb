package dev.aigateway.api;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Thrown from {@code Call.execute()} (or passed to {@code Callback.onFailure}) instead of a
 * synthetic error response, when the gateway is configured to throw on rejection. The call never
 * reached a backend. Subclasses say more about the specific reason.
 */
public class GatewayRejectedException extends IOException {

  private static final long serialVersionUID = 1L;

  private final RejectionReason reason;
  private final int status;
  private final @Nullable Duration retryAfter;
  private transient volatile @Nullable RejectedResponse response;

  /**
   * @param message what happened and what to do, free of secrets
   * @param reason why the call was rejected
   * @param retryAfter how long to wait before trying again, or null when waiting will not help
   */
  public GatewayRejectedException(
      String message, RejectionReason reason, @Nullable Duration retryAfter) {
    this(message, reason, reason.status(), retryAfter);
  }

  /**
   * @param message what happened and what to do, free of secrets
   * @param reason why the call was rejected
   * @param status the status the synthetic response would have had, when the gateway is configured
   *     to answer this reason with another than {@link RejectionReason#status()} (a spent quota as
   *     429); 400 to 599
   * @param retryAfter how long to wait before trying again, or null when waiting will not help
   */
  public GatewayRejectedException(
      String message, RejectionReason reason, int status, @Nullable Duration retryAfter) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status must be 400 to 599 but was " + status);
    }
    this.status = status;
    this.retryAfter = retryAfter;
  }

  /** Why the call was rejected. */
  public RejectionReason reason() {
    return reason;
  }

  /** The HTTP status the synthetic response would have had. */
  public int status() {
    return status;
  }

  /** How long to wait before the same call can be admitted, or null when unknown. */
  public @Nullable Duration retryAfter() {
    return retryAfter;
  }

  /**
   * The response the gateway would have answered had it not been configured to throw, in the
   * provider's error shape; empty for an exception the gateway did not make (or not yet completed
   * with {@link #initResponse}).
   */
  public Optional<RejectedResponse> response() {
    return Optional.ofNullable(response);
  }

  /**
   * Records the response this rejection stands for. Like {@link Throwable#initCause}, it can be set
   * once: the gateway sets it when it makes the exception.
   *
   * @return this exception
   * @throws IllegalStateException when a response was already recorded
   */
  public synchronized GatewayRejectedException initResponse(RejectedResponse response) {
    Objects.requireNonNull(response, "response");
    if (this.response != null) {
      throw new IllegalStateException("the rejection's response was already recorded");
    }
    this.response = response;
    return this;
  }
}
