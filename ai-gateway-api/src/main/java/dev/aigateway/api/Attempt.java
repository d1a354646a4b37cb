package dev.aigateway.api;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One try of a routed call against one backend, as its {@link GatewayEvent} records it.
 *
 * @param backendId the backend tried
 * @param status the HTTP status it answered, 0 when it did not answer
 * @param errorType the failure (exception class name) when it did not answer, else null
 * @param duration from sending to the response headers (or the failure)
 */
public record Attempt(String backendId, int status, @Nullable String errorType, Duration duration) {
  public Attempt {
    Objects.requireNonNull(backendId, "backendId");
    Objects.requireNonNull(duration, "duration");
  }

  /** Whether the backend answered with a 2xx status. */
  public boolean succeeded() {
    return status >= 200 && status <= 299;
  }
}
