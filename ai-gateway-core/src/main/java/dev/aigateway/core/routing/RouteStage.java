package dev.aigateway.core.routing;

import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.RoutingInfo;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.CallStage;
import dev.aigateway.core.pipeline.Exchange;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.translate.Translations;
import dev.aigateway.core.wire.WireRequest;
import java.time.Clock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The routing stage's admission and end: before anything is reserved, a call whose model no backend
 * serves (404) or whose backends are all unavailable (503) is answered locally; once the call has
 * ended, its attempt no longer counts against its backend. The attempts in between are the call's
 * {@link CallRouting}, which the adapter drives through {@code core.adapter.GovernedCall}.
 */
public final class RouteStage implements CallStage {

  private final Exchange exchange;
  private final CallRouting routing;

  private RouteStage(Exchange exchange, Router router, @Nullable Translations translations) {
    this.exchange = exchange;
    this.routing =
        new CallRouting(
            router,
            exchange.settings().clock(),
            exchange.callId(),
            exchange.startNanos(),
            exchange.request().format(),
            exchange::reservedTokens,
            target -> {
              byte[] rewritten =
                  exchange
                      .request()
                      .format()
                      .bodyForBackend(exchange.request(), target, exchange.hidesStreamUsage());
              return rewritten != null ? rewritten : exchange.bodyToSend();
            },
            exchange.request().method(),
            exchange.request().rawBody(),
            translations);
    exchange.route(routing);
  }

  /**
   * The stage for a gateway's backend pool, or null when it has none.
   *
   * @param transitions told of every breaker transition of the pool's backends
   */
  public static CallStage.@Nullable Factory of(
      @Nullable BackendPool pool, Clock clock, Consumer<BreakerTransition> transitions) {
    if (pool == null) {
      return null;
    }
    // Translation is looked at per call only when some backend of the pool needs it: a pool of
    // backends that all take the call as it is pays nothing for it.
    Translations translations = new Translations(clock);
    boolean translates =
        pool.backends().stream().anyMatch(b -> translations.forFlavor(b.flavor()) != null);
    return new PoolFactory(new Router(pool, clock, transitions), translates ? translations : null);
  }

  /**
   * The routing stage's factory: one router per gateway, whose live backend states (breakers,
   * cool-downs, calls in flight) the gateway's inventory reads.
   */
  public static final class PoolFactory implements CallStage.Factory {
    private final Router router;
    private final @Nullable Translations translations;

    private PoolFactory(Router router, @Nullable Translations translations) {
      this.router = router;
      this.translations = translations;
    }

    /** The gateway's router over its pool. */
    public Router router() {
      return router;
    }

    @Override
    public CallStage begin(Exchange exchange) {
      return new RouteStage(exchange, router, translations);
    }
  }

  @Override
  public @Nullable Admission admit() {
    routing.restrict(exchange.allowedBackends());
    Rejection unroutable =
        routing.route(exchange.request().model(), exchange.consumer(), exchange::resolve);
    if (unroutable == null) {
      unroutable = routing.refuseUntranslatable(exchange.request());
    }
    if (unroutable == null) {
      return null;
    }
    return exchange.rejected(unroutable);
  }

  @Override
  public void end() {
    CallOutcome outcome = exchange.outcome();
    routing.streamEnded(outcome);
    routing.callEnded(outcome == CallOutcome.SUCCESS && !exchange.stream());
  }

  @Override
  public void describe(GatewayEvent.Builder event) {
    Backend backend = routing.backend();
    WireRequest request = exchange.request();
    // Without a backend (rejected before one was chosen), the call's destination is the request's.
    event.routing(
        new RoutingInfo(
            backend == null ? null : backend.id(),
            routing.attempts(),
            routing.failoverReason(),
            routing.variant(),
            backend == null ? request.provider() : backend.flavor().providerName(),
            backend == null ? request.host() : backend.host(),
            backend == null ? request.port() : backend.port()));
  }
}
