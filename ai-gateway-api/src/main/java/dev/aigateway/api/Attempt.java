package dev.aigateway.api;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One try of a routed call against one backend, as its {@link GatewayEvent} records it.
 *
 * @param backendId the backend tried
 * @param status the HTTP status it answered, 0 when it did not answer
 * @param errorType the failure (exception class name) when it did not answer; {@code error-event}
 *     when it answered 2xx with a stream whose first event reported an error (the call may then
 *     have failed over, nothing of that stream having reached the application); else null
 * @param duration from sending to the response headers (or the failure)
 * @param credentialRetry whether this attempt repeated the one before it, to the same backend, with
 *     a fresh credential because the backend had answered 401 to the earlier one (see {@link
 *     dev.aigateway.api.spi.CredentialProvider#invalidate})
 */
public record Attempt(
    String backendId,
    int status,
    @Nullable String errorType,
    Duration duration,
    boolean credentialRetry) {
  public Attempt {
    Objects.requireNonNull(backendId, "backendId");
    Objects.requireNonNull(duration, "duration");
  }

  /** An attempt that was not a {@linkplain #credentialRetry() credential retry}. */
  public Attempt(String backendId, int status, @Nullable String errorType, Duration duration) {
    this(backendId, status, errorType, duration, false);
  }

  /** Whether the backend answered with a 2xx status, and not with an error event. */
  public boolean succeeded() {
    return status >= 200 && status <= 299 && errorType == null;
  }
}
