package dev.aigateway.api;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where one governed call went: the routing stage's part of its {@link GatewayEvent} ({@link
 * GatewayEvent#routing()}). A call the gateway does not route (it has no backend pool) went where
 * the application sent it: {@link #direct}, with no backend and no attempts. {@link #NONE} when
 * nothing is known of the call's destination.
 *
 * @param backendId the backend that answered (the last one tried), or null when the call was not
 *     routed or no backend was tried
 * @param attempts every try against a backend, in order; empty when the call was not routed or no
 *     backend was tried
 * @param failoverReason why the call moved away from its first backend (for example {@code "429
 *     from ptu-east"}), or null when it did not
 * @param variant the traffic-split variant the call was sent to (the model it was routed as), or
 *     null when no split applied
 * @param provider the provider, as the OpenTelemetry GenAI conventions name it ({@code openai},
 *     {@code azure.ai.openai}): the backend's when routed, else told by the request's path; null
 *     when unknown
 * @param serverAddress the host the call was sent to (the backend's, when routed; the one the
 *     application addressed otherwise), or null when none is known
 * @param serverPort the port the call was sent to, or 0 when none is known
 */
public record RoutingInfo(
    @Nullable String backendId,
    List<Attempt> attempts,
    @Nullable String failoverReason,
    @Nullable String variant,
    @Nullable String provider,
    @Nullable String serverAddress,
    int serverPort) {

  /** Nothing known of where the call went. */
  public static final RoutingInfo NONE =
      new RoutingInfo(null, List.of(), null, null, null, null, 0);

  public RoutingInfo {
    attempts = List.copyOf(Objects.requireNonNull(attempts, "attempts"));
  }

  /**
   * A call the gateway did not route: sent where the application addressed it.
   *
   * @param provider the provider told by the request's path, or null when unknown
   * @param serverAddress the host the application addressed
   * @param serverPort the port the application addressed
   */
  public static RoutingInfo direct(String provider, String serverAddress, int serverPort) {
    return new RoutingInfo(null, List.of(), null, null, provider, serverAddress, serverPort);
  }
}
