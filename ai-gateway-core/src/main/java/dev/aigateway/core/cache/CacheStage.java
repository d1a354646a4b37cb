package dev.aigateway.core.cache;

import dev.aigateway.api.CacheInfo;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.CallStage;
import dev.aigateway.core.pipeline.Exchange;
import dev.aigateway.core.wire.ObservedBody;
import dev.aigateway.core.wire.ResponseReadout;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The response-cache stage: looks the call up before it is sent (exact, then semantic) and answers
 * a hit itself; keeps a copy of a storable 200 body as it passes and stores it once the call has
 * ended complete.
 */
public final class CacheStage implements CallStage {

  private static final Logger log = LoggerFactory.getLogger(CacheStage.class);

  private final Exchange exchange;
  private final ResponseCache config;
  private CallCache cache;
  private ObservedBody observed;

  private CacheStage(Exchange exchange, ResponseCache config) {
    this.exchange = exchange;
    this.config = config;
  }

  /** The stage for a gateway's response cache, or null when it has none. */
  public static CallStage.@Nullable Factory of(@Nullable ResponseCache config) {
    return config == null ? null : exchange -> new CacheStage(exchange, config);
  }

  @Override
  public @Nullable Admission admit() {
    if (!CallCache.serves(exchange.request().operation())
        || CallCache.answeredFromServerState(exchange.request())) {
      return null;
    }
    String partition;
    if (config.varyBy() == null) {
      partition = exchange.consumer();
    } else {
      try {
        partition = config.varyBy().resolve(exchange.request());
      } catch (RuntimeException | Error e) {
        if (e instanceof VirtualMachineError fatal) {
          throw fatal;
        }
        // No partition is known: sharing the one of calls without a value could serve one tenant
        // another's answer, so the cache takes no part in the call. The exception's class only: a
        // resolver that parses a token may quote it in its message.
        log.warn(
            "ai-gateway: cache vary-by resolver {} failed on call {}; the call is not cached: {}",
            config.varyBy(),
            exchange.callId(),
            e.getClass().getName());
        return null;
      }
    }
    cache =
        new CallCache(
            config, exchange.request(), exchange.callId(), partition, exchange.routedModel());
    CallCache.Hit hit = cache.lookup();
    if (config.outcomeHeader() != null) {
      exchange.responseHeader(config.outcomeHeader(), cache.headerValue());
    }
    if (hit == null) {
      return null;
    }
    // No backend answers a hit and it costs no tokens, unless hits are charged. The prompt log
    // gets no completion for it: the event's cache outcome says where the answer came from.
    long settled = config.chargeHits() ? hit.cached().usage().capped().totalTokens() : 0;
    if (exchange.stream()) {
      // A replayed stream's bytes are all there as it is answered: its first chunk comes now, so
      // the event's time to first chunk is set for it as for a backend's stream.
      exchange.firstChunkNanos(System.nanoTime());
    }
    exchange.ended(
        CallOutcome.SUCCESS,
        200,
        Usage.ZERO,
        UsageSource.NONE,
        settled,
        hit.cached().model(),
        null,
        null);
    return Admission.cached(
        new Admission.CachedAnswer(hit.answer().body(), hit.answer().contentType()));
  }

  @Override
  public void observe(ObservedBody body) {
    if (cache != null && exchange.status() == 200 && cache.storable()) {
      body.capture(cache.maximumEntryBytes());
      observed = body;
    }
  }

  @Override
  public void end() {
    ResponseReadout readout = exchange.readout();
    if (observed == null
        || exchange.outcome() != CallOutcome.SUCCESS
        || readout == null
        || !readout.complete()
        || readout.answerPending()
        || readout.errorAnswer()) {
      return;
    }
    if (exchange.failedAnswer()) {
      // A translated answer the backend ended as failed (Gemini's MALFORMED_FUNCTION_CALL, ...),
      // its translation's finish reason OpenAI's stop: no answer to give again.
      log.debug(
          "ai-gateway: call {} was answered with an answer its backend ended as failed; not"
              + " storing",
          exchange.callId());
      return;
    }
    byte[] body = observed.captured();
    if (body != null) {
      cache.store(
          exchange.eventStream(),
          body,
          exchange.responseModel(),
          exchange.usage(),
          exchange.settings().clock().instant());
    }
  }

  @Override
  public void describe(GatewayEvent.Builder event) {
    event.cache(
        cache == null
            ? CacheInfo.NONE
            : new CacheInfo(
                cache.outcome(),
                cache.score(),
                cache.guardObjection(),
                cache.tokensSaved(),
                cache.semanticSkip(),
                cache.failure()));
  }
}
