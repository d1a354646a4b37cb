package dev.aigateway.core;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.internal.routing.Router;

/**
 * The routing stage's admission and end: before anything is reserved, a call whose model no
 * backend serves (404) or whose backends are all unavailable (503) is answered locally; once the
 * call has ended, its attempt no longer counts against its backend. The attempts in between
 * are the call's {@link CallRouting}, which the adapter drives through {@link GovernedCall}.
 */
final class RouteStage implements CallStage {

  private final Exchange exchange;
  private final CallRouting routing;

  private RouteStage(Exchange exchange, Router router) {
    this.exchange = exchange;
    this.routing = new CallRouting(router, exchange.gateway().clock(), exchange.callId(),
        exchange.startNanos(), exchange.request().operation(), exchange::reservedTokens,
        target -> exchange.request().rewrittenBody(target, exchange.hidesStreamUsage()));
    exchange.routing(routing);
  }

  /** The stage for a gateway's backend pool, or null when it has none. */
  static CallStage.Factory of(Router router) {
    return router == null ? null : exchange -> new RouteStage(exchange, router);
  }

  @Override
  public Admission admit() {
    Rejection unroutable = routing.route(exchange.request().model(), exchange.consumer(),
        exchange::resolve);
    if (unroutable == null) {
      return null;
    }
    exchange.ended(CallOutcome.REJECTED, unroutable.status(), Usage.ZERO, UsageSource.NONE, 0,
        null, unroutable.reason(), unroutable.reason().headerValue());
    return Admission.rejected(unroutable);
  }

  @Override
  public void end() {
    routing.callEnded(exchange.outcome() == CallOutcome.SUCCESS && !exchange.stream());
  }

  @Override
  public void describe(GatewayEvent.Builder event) {
    Backend backend = routing.backend();
    event.attempts(routing.attempts())
        .failoverReason(routing.failoverReason())
        .variant(routing.variant());
    if (backend != null) {
      event.backendId(backend.id())
          .provider(backend.flavor().providerName())
          .server(backend.host(), backend.port());
    }
  }
}
