package dev.aigateway.core.pipeline;

import dev.aigateway.core.wire.AzureApiVersions;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/** One attempt to where the application sent the call; see {@link Route#direct}. */
final class DirectRoute implements Route {

  /** The attempt of most direct calls: the application's request as it is. Immutable, shared. */
  private static final AttemptPlan AS_SENT =
      new AttemptPlan(null, null, Map.of(), Set.of(), null, Duration.ZERO);

  private final Exchange exchange;
  private boolean sent;

  /**
   * Whether the provider and API version the URL names take {@code stream_options}; null until
   * first asked.
   */
  private @Nullable Boolean acceptsStreamOptions;

  DirectRoute(Exchange exchange) {
    this.exchange = exchange;
  }

  @Override
  public boolean pooled() {
    return false;
  }

  @Override
  public String routedModel() {
    return exchange.request().model();
  }

  @Override
  public AttemptPlan next() {
    if (sent) {
      throw new IllegalStateException("a direct call has one attempt; it was sent already");
    }
    sent = true;
    byte[] body =
        exchange.hidesStreamUsage()
            ? exchange.request().format().bodyForBackend(exchange.request(), null, true)
            : null;
    if (body == null) {
      body = exchange.bodyToSend(); // a rewritten body, else null: the application's bytes
    }
    return body == null
        ? AS_SENT
        : new AttemptPlan(null, null, Map.of(), Set.of(), body, Duration.ZERO);
  }

  @Override
  public boolean acceptsStreamOptions() {
    if (acceptsStreamOptions == null) { // read from the URL once: asked more than once a call
      acceptsStreamOptions =
          AzureApiVersions.acceptsStreamOptions(
              exchange.request().provider(), AzureApiVersions.of(exchange.request().url()));
    }
    return acceptsStreamOptions;
  }

  @Override
  public Rejection unroutable() {
    throw new IllegalStateException("a direct call always has its one attempt");
  }

  @Override
  public boolean retryAfterResponse(
      int status, Function<String, String> headers, boolean callCanceled) {
    return false;
  }

  @Override
  public boolean retryAfterFailure(IOException failure, boolean callCanceled) {
    return false;
  }

  @Override
  public void firstBytes(long nanos, boolean stream) {}

  @Override
  public Duration firstEventTimeout() {
    return null;
  }

  @Override
  public void callEnded(boolean successfulJson) {}
}
