package dev.aigateway.core.telemetry;

import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.CacheInfo;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.LimitsInfo;
import dev.aigateway.api.LogText;
import dev.aigateway.api.RoutingInfo;
import dev.aigateway.api.TimingInfo;
import dev.aigateway.api.UsageInfo;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs one line per governed call to SLF4J (logger {@value #LOGGER_NAME}, level INFO; rejections
 * and failures at WARN). The line holds ids, consumer, model, tokens and timings, never request
 * headers or contents, so credentials cannot reach it. Names that come from requests, backends or
 * other instances (consumer, models, backends, errors, a breaker's reason and origin) are written
 * with their line breaks, other control characters (C0 and C1), the Unicode line and paragraph
 * separators and the text direction controls escaped ({@code \n}, {@code \r}, {@code \t}, the
 * others as Unicode escapes), so a call is always one line and reads as written; and each is cut at
 * {@value #MAX_VALUE_CHARS} characters as written, the cut shown as {@code …(+N chars)} with the
 * number of characters left out, so a caller's megabyte model name or consumer header is not a
 * megabyte line.
 *
 * <pre>{@code
 * AiGateway.builder().listener(LoggingListener.create())...
 * }</pre>
 */
public final class LoggingListener implements GatewayListener {

  /** The logger the default instance writes to. */
  public static final String LOGGER_NAME = "dev.aigateway.calls";

  /**
   * The most characters of one name written on a line (escapes counted as written); the rest is
   * left out and counted.
   */
  public static final int MAX_VALUE_CHARS = LogText.MAX_CHARS;

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
      logger.warn(format(t));
    }
  }

  /** The line this listener logs for a breaker transition. */
  public static String format(BreakerTransition t) {
    StringBuilder line = new StringBuilder(128).append("ai-gateway breaker backend=");
    LogText.append(line, t.backendId()).append(' ').append(t.from()).append("->").append(t.to());
    if (t.openFor() != null) {
      line.append(" for=").append(t.openFor().toMillis()).append("ms");
    }
    LogText.append(line.append(" reason=\""), t.reason()).append('"');
    if (t.origin() != null) {
      LogText.append(line.append(" origin="), t.origin());
    }
    return line.toString();
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
    UsageInfo usage = e.usage();
    LimitsInfo limits = e.limits();
    RoutingInfo routing = e.routing();
    CacheInfo cache = e.cache();
    TimingInfo timing = e.timing();
    StringBuilder line =
        new StringBuilder(192)
            .append("ai-gateway call=")
            .append(e.callId())
            .append(" op=")
            .append(e.operation().conventionName())
            .append(" consumer=");
    LogText.append(line, e.consumer()).append(" model=");
    LogText.append(line, e.requestedModel());
    if (e.responseModel() != null && !e.responseModel().equals(e.requestedModel())) {
      LogText.append(line.append("->"), e.responseModel());
    }
    line.append(" stream=")
        .append(e.stream())
        .append(" outcome=")
        .append(e.outcome())
        .append(" status=")
        .append(e.status())
        .append(" tokens=")
        .append(usage.tokens().inputTokens())
        .append('+')
        .append(usage.tokens().outputTokens())
        .append('=')
        .append(usage.tokens().totalTokens())
        .append(usage.estimated() ? " (estimated)" : "")
        .append(" reserved=")
        .append(limits.reservedTokens())
        .append(" settled=")
        .append(limits.settledTokens());
    if (limits.reservedRequests() > 0) {
      line.append(" requests=").append(limits.settledRequests());
    }
    if (limits.inFlightSlots() > 0) {
      line.append(" inFlightSlots=").append(limits.inFlightSlots());
    }
    if (limits.outcome() != LimitOutcome.NONE
        && limits.outcome() != LimitOutcome.SETTLED
        && limits.outcome() != LimitOutcome.REJECTED) {
      line.append(" limit=").append(limits.outcome());
    }
    if (routing.backendId() != null) {
      LogText.append(line.append(" backend="), routing.backendId())
          .append(" attempts=")
          .append(routing.attempts().size());
    }
    if (routing.failoverReason() != null) {
      LogText.append(line.append(" failover=\""), routing.failoverReason()).append('"');
    }
    if (routing.variant() != null) {
      LogText.append(line.append(" variant="), routing.variant());
    }
    if (e.rejection() != null) {
      line.append(" rejected=").append(e.rejection().headerValue());
    }
    if (e.errorType() != null) {
      LogText.append(line.append(" error="), e.errorType());
    }
    if (e.contentFiltered()) {
      line.append(" content_filtered=true");
    }
    if (cache.outcome() != CacheOutcome.NONE) {
      line.append(" cache=").append(cache.outcome().label());
      if (!Double.isNaN(cache.score())) {
        line.append(String.format(Locale.ROOT, "@%.3f", cache.score()));
      }
      if (cache.guardObjection() != null) {
        LogText.append(line.append(" guard="), cache.guardObjection());
      }
      if (cache.semanticSkip() != null) {
        LogText.append(line.append(" semantic_skip="), cache.semanticSkip());
      }
      if (cache.failure() != null) {
        LogText.append(line.append(" cache_failure="), cache.failure());
      }
      if (cache.tokensSaved() > 0) {
        line.append(" saved=").append(cache.tokensSaved());
      }
    }
    line.append(" latency=").append(timing.latency().toMillis()).append("ms");
    if (timing.timeToFirstChunk() != null) {
      line.append(" ttfc=").append(timing.timeToFirstChunk().toMillis()).append("ms");
    }
    return line.toString();
  }
}
