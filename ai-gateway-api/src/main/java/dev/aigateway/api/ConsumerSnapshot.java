package dev.aigateway.api;

import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One consumer as anomaly detection sees it at one moment: recent usage, learnt baseline, state and
 * why. Immutable; an entry of the inventory ({@code gateway.anomalies().inventory()}).
 *
 * <pre>{@code
 * for (ConsumerSnapshot c : gateway.anomalies().inventory()) {
 *   if (c.state() != ConsumerState.NORMAL) {
 *     log.info("{} {} since {}: {}", c.consumer(), c.state(), c.since(), c.reason());
 *   }
 * }
 * }</pre>
 *
 * @param consumer the consumer's id
 * @param state what is done with its calls
 * @param since when it entered {@code state}; null while {@link ConsumerState#NORMAL}
 * @param until when it is due for release; null while {@link ConsumerState#NORMAL}. An automatic
 *     release also waits until the consumer's signals have fallen back (see the detection's
 *     documentation), so it may come later
 * @param why the finding that moved it out of {@link ConsumerState#NORMAL}; null while normal and
 *     for a manual block
 * @param reason why, for people: the finding described, or the operator's reason for a manual
 *     block; null while normal
 * @param manual whether an operator put it in its state
 * @param lastSeen when its last call was made
 * @param signals each measured signal's recent value and baseline
 */
public record ConsumerSnapshot(
    String consumer,
    ConsumerState state,
    @Nullable Instant since,
    @Nullable Instant until,
    @Nullable AnomalyFinding why,
    @Nullable String reason,
    boolean manual,
    Instant lastSeen,
    Map<AnomalySignal, SignalReading> signals) {

  /** Validates the snapshot and copies its signals. */
  public ConsumerSnapshot {
    Objects.requireNonNull(consumer, "consumer");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(lastSeen, "lastSeen");
    Objects.requireNonNull(signals, "signals");
    signals =
        signals.isEmpty()
            ? Map.of()
            : Collections.unmodifiableMap(new EnumMap<AnomalySignal, SignalReading>(signals));
  }

  /** The recent value of {@code signal}, or NaN when it is not measured. */
  public double recent(AnomalySignal signal) {
    SignalReading reading = signals.get(signal);
    return reading == null ? Double.NaN : reading.recent();
  }
}
