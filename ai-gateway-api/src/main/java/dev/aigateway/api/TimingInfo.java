package dev.aigateway.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * When one governed call started and how long its parts took: part of its {@link GatewayEvent}
 * ({@link GatewayEvent#timing()}), measured for every call.
 *
 * @param startedAt when the gateway started handling the call
 * @param latency from the start of handling to the end of the body (or the failure)
 * @param timeToFirstChunk for a stream, from the start of handling to the first body bytes; null
 *     for anything but a stream that got bytes
 * @param gatewayTime the time the gateway itself spent on the call (admission, routing,
 *     settlement), not counting the backend or the application; reading usage from body bytes as
 *     they pass is not included
 */
public record TimingInfo(
    Instant startedAt,
    Duration latency,
    @Nullable Duration timeToFirstChunk,
    Duration gatewayTime) {

  public TimingInfo {
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(latency, "latency");
    Objects.requireNonNull(gatewayTime, "gatewayTime");
  }
}
