package dev.aigateway.api;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What anomaly detection had decided about the call's consumer when the call was admitted: the
 * anomaly stage's part of its {@link GatewayEvent} ({@link GatewayEvent#anomaly()}). {@link #NONE}
 * for a consumer in {@link ConsumerState#NORMAL} and when the gateway has no anomaly detection. A
 * call the state refused also says so in {@link GatewayEvent#rejection()}.
 *
 * @param state the consumer's state
 * @param signal the signal that moved it out of normal; null for a manual block and for {@link
 *     #NONE}
 * @param since when the consumer entered {@code state}; null for {@link #NONE}
 * @param until when it is due for release; null for {@link #NONE}
 */
public record AnomalyInfo(
    ConsumerState state,
    @Nullable AnomalySignal signal,
    @Nullable Instant since,
    @Nullable Instant until) {

  /** A normal consumer (or no anomaly detection). */
  public static final AnomalyInfo NONE = new AnomalyInfo(ConsumerState.NORMAL, null, null, null);

  /** Validates the group. */
  public AnomalyInfo {
    Objects.requireNonNull(state, "state");
  }
}
