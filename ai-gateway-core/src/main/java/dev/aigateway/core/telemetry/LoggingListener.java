package dev.aigateway.core.telemetry;

import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.LimitOutcome;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs one line per governed call to SLF4J (logger {@value #LOGGER_NAME}, level INFO; rejections
 * and failures at WARN). The line holds ids, consumer, model, tokens and timings, never request
 * headers or contents, so credentials cannot reach it.
 *
 * <pre>{@code
 * AiGateway.builder().listener(LoggingListener.create())...
 * }</pre>
 */
public final class LoggingListener implements GatewayListener {

  /** The logger the default instance writes to. */
  public static final String LOGGER_NAME = "dev.aigateway.calls";

  private final Logger logger;

  private LoggingListener(Logger logger) {
    this.logger = logger;
  }

  /** A listener on logger {@value #LOGGER_NAME}. */
  public static LoggingListener create() {
    return new LoggingListener(LoggerFactory.getLogger(LOGGER_NAME));
  }

  /** A listener on the given logger. */
  public static LoggingListener to(Logger logger) {
    return new LoggingListener(Objects.requireNonNull(logger, "logger"));
  }

  @Override
  public void onBreakerTransition(BreakerTransition t) {
    if (logger.isWarnEnabled()) {
      logger.warn(
          "ai-gateway breaker backend={} {}->{}{} reason=\"{}\"",
          t.backendId(),
          t.from(),
          t.to(),
          t.openFor() == null ? "" : " for=" + t.openFor().toMillis() + "ms",
          t.reason());
    }
  }

  @Override
  public void onEvent(GatewayEvent event) {
    switch (event.outcome()) {
      case SUCCESS, CANCELLED -> {
        if (logger.isInfoEnabled()) {
          logger.info(format(event));
        }
      }
      default -> {
        if (logger.isWarnEnabled()) {
          logger.warn(format(event));
        }
      }
    }
  }

  /** The line this listener logs for an event. */
  public static String format(GatewayEvent e) {
    StringBuilder line =
        new StringBuilder(192)
            .append("ai-gateway call=")
            .append(e.callId())
            .append(" op=")
            .append(e.operation().conventionName())
            .append(" consumer=")
            .append(e.consumer())
            .append(" model=")
            .append(e.requestedModel());
    if (e.responseModel() != null && !e.responseModel().equals(e.requestedModel())) {
      line.append("->").append(e.responseModel());
    }
    line.append(" stream=")
        .append(e.stream())
        .append(" outcome=")
        .append(e.outcome())
        .append(" status=")
        .append(e.status())
        .append(" tokens=")
        .append(e.usage().inputTokens())
        .append('+')
        .append(e.usage().outputTokens())
        .append('=')
        .append(e.usage().totalTokens())
        .append(e.usageEstimated() ? " (estimated)" : "")
        .append(" reserved=")
        .append(e.reservedTokens())
        .append(" settled=")
        .append(e.settledTokens());
    if (e.limitOutcome() == LimitOutcome.STORE_FAILED
        || e.limitOutcome() == LimitOutcome.SETTLE_FAILED) {
      line.append(" limit=").append(e.limitOutcome());
    }
    if (e.backendId() != null) {
      line.append(" backend=")
          .append(e.backendId())
          .append(" attempts=")
          .append(e.attempts().size());
    }
    if (e.failoverReason() != null) {
      line.append(" failover=\"").append(e.failoverReason()).append('"');
    }
    if (e.variant() != null) {
      line.append(" variant=").append(e.variant());
    }
    if (e.rejection() != null) {
      line.append(" rejected=").append(e.rejection().headerValue());
    }
    if (e.errorType() != null) {
      line.append(" error=").append(e.errorType());
    }
    if (e.cacheOutcome() != dev.aigateway.api.CacheOutcome.NONE) {
      line.append(" cache=").append(e.cacheOutcome().label());
      if (!Double.isNaN(e.cacheScore())) {
        line.append(String.format(java.util.Locale.ROOT, "@%.3f", e.cacheScore()));
      }
      if (e.cacheGuard() != null) {
        line.append(" guard=").append(e.cacheGuard());
      }
      if (e.tokensSaved() > 0) {
        line.append(" saved=").append(e.tokensSaved());
      }
    }
    line.append(" latency=").append(e.latency().toMillis()).append("ms");
    if (e.timeToFirstChunk() != null) {
      line.append(" ttfc=").append(e.timeToFirstChunk().toMillis()).append("ms");
    }
    return line.toString();
  }
}
