package dev.aigateway.micrometer;

import dev.aigateway.api.GatewayEvent;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@link Dimension#counterKey}: the counter key of one named limit. A type of its own, so that
 * {@link GenAiMetrics#limitsRead()} can name the limit for the gateway to check.
 */
record CounterKeyDimension(String limitName) implements Dimension {

  CounterKeyDimension {
    Objects.requireNonNull(limitName, "limitName");
  }

  @Override
  public @Nullable String valueOf(GatewayEvent event) {
    return event.limits().counterKeys().get(limitName);
  }
}
