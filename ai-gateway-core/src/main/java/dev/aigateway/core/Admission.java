package dev.aigateway.core;

import java.util.Map;

/**
 * The gateway's decision on a call before it is sent: either a {@link Rejection}, or what to send
 * and what to add to the response.
 *
 * @param rejection the rejection, or null when admitted
 * @param outgoingBody the body to send instead of the application's (the gateway asked the backend
 *     for stream usage), or null to send the application's bytes unchanged
 * @param responseHeaders headers to add to the backend's response (configured limit headers)
 */
public record Admission(Rejection rejection, byte[] outgoingBody, Map<String, String> responseHeaders) {

  public Admission {
    responseHeaders = Map.copyOf(responseHeaders);
  }

  /** Whether the call may be sent. */
  public boolean admitted() {
    return rejection == null;
  }
}
