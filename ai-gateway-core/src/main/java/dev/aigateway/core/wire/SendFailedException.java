package dev.aigateway.core.wire;

import java.io.IOException;

/**
 * Sending one attempt of a governed call failed with an unchecked exception from the HTTP client
 * beneath the gateway (a bug, or a client choking on a hostile answer: OkHttp's retry interceptor
 * throws {@code NumberFormatException} on a 503 with an out-of-range {@code Retry-After}). The
 * gateway treats it as a failed attempt, like a connection failure: the backend's breaker hears of
 * it and the call fails over when it can. When it cannot, the application gets this exception, an
 * {@link IOException} as from any failed call, with the client's exception as its cause. Its
 * message names the backend, never a credential.
 *
 * <p>It lives with the wire readers, the lowest of the packages that throw it (the attempt loop,
 * the routing, and {@link HeldBody} when the body's source throws while the first event is held).
 */
public final class SendFailedException extends IOException {

  private static final long serialVersionUID = 1L;

  /**
   * @param backendId the backend the attempt went to, or null when the call has no backend pool
   * @param cause what the client threw
   */
  public SendFailedException(String backendId, Throwable cause) {
    super(
        "ai-gateway: sending the call"
            + (backendId == null ? "" : " to backend '" + backendId + "'")
            + " failed with "
            + cause.getClass().getName(),
        cause);
  }
}
