package dev.aigateway.api;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * The response the gateway answers a rejected call with when it is not configured to throw: the
 * status, headers and body in the error shape of the call's provider protocol (OpenAI's {@code
 * {"error":{...}}}, Anthropic's, ...). A {@link GatewayRejectedException} the gateway throws
 * carries it, so code that turns the exception back into a response (an SDK integration) answers
 * exactly what the provider's clients expect.
 *
 * @param status the HTTP status, 400 to 599
 * @param headers the response headers by name (the rejection header, {@code Retry-After}, limit
 *     headers); never the caller's credentials
 * @param body the error body
 * @param contentType the body's {@code Content-Type}
 */
public record RejectedResponse(
    int status, Map<String, String> headers, byte[] body, String contentType) {

  /** Validates and copies. */
  public RejectedResponse {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status must be 400 to 599 but was " + status);
    }
    headers = Map.copyOf(headers);
    body = body.clone();
    Objects.requireNonNull(contentType, "contentType");
  }

  /** A copy of the body. */
  @Override
  public byte[] body() {
    return body.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RejectedResponse other
        && status == other.status
        && headers.equals(other.headers)
        && Arrays.equals(body, other.body)
        && contentType.equals(other.contentType);
  }

  @Override
  public int hashCode() {
    return Objects.hash(status, headers, Arrays.hashCode(body), contentType);
  }

  @Override
  public String toString() {
    return "RejectedResponse[status="
        + status
        + ", headers="
        + headers
        + ", body="
        + body.length
        + " bytes, contentType="
        + contentType
        + "]";
  }
}
