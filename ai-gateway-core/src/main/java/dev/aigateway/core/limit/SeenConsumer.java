package dev.aigateway.core.limit;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A consumer the gateway's limits have counted a call of: the counter key each applicable limit
 * counted it under on its latest call, and when that was. What the gateway's inventory lists
 * consumers and reads their usage from.
 *
 * @param consumer the consumer's id
 * @param lastSeen when its latest call was counted (admitted or refused)
 * @param counterKeys per limit name, the counter key of its latest call (the consumer id itself for
 *     a per-consumer limit)
 */
public record SeenConsumer(String consumer, Instant lastSeen, Map<String, String> counterKeys) {

  /** Copies the counter keys. */
  public SeenConsumer {
    Objects.requireNonNull(consumer, "consumer");
    Objects.requireNonNull(lastSeen, "lastSeen");
    counterKeys = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(counterKeys));
  }
}
