package dev.aigateway.core.adapter;

import dev.aigateway.api.GatewayRejectedException;
import dev.aigateway.api.RejectionReason;
import java.util.Map;

/**
 * The gateway's own answer to a call it will not send: an HTTP status, headers and a body in
 * OpenAI's error shape ({@code {"error":{"message","type","param","code"}}}), so SDKs surface it as
 * they would the provider's own; or, when configured, the exception to throw instead.
 *
 * @param reason why
 * @param headers response headers: {@code x-ai-gateway-rejected}, {@code Retry-After}, {@code
 *     retry-after-ms} and any configured limit headers
 * @param body the JSON error body
 * @param exception the equivalent exception, for gateways configured to throw
 */
public record Rejection(
    RejectionReason reason,
    Map<String, String> headers,
    byte[] body,
    GatewayRejectedException exception) {

  /** The header every synthetic rejection carries; its value is the reason's header value. */
  public static final String REJECTED_HEADER = "x-ai-gateway-rejected";

  /** Seconds to wait before retrying (RFC 9110), on every rejection that has a wait. */
  public static final String RETRY_AFTER = "retry-after";

  /** Milliseconds to wait before retrying, as OpenAI and Azure OpenAI send it. */
  public static final String RETRY_AFTER_MS = "retry-after-ms";

  public Rejection {
    headers = Map.copyOf(headers);
  }

  /** The HTTP status of the synthetic response. */
  public int status() {
    return reason.status();
  }
}
