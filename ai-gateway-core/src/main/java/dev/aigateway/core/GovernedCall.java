package dev.aigateway.core;

import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.TokenLimitExceededException;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.core.internal.cache.CallCache;
import dev.aigateway.core.internal.routing.Router;
import dev.aigateway.core.internal.BodyListener;
import dev.aigateway.core.internal.Json;
import dev.aigateway.core.internal.JsonBody;
import dev.aigateway.core.internal.ObservedBody;
import dev.aigateway.core.internal.RequestView;
import dev.aigateway.core.internal.ResponseFacts;
import dev.aigateway.core.internal.SseBody;
import dev.aigateway.core.internal.TokenCounts;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One governed call, driven by a client adapter through its life:
 * {@link #admit()} before sending; then either {@link #failed(Throwable)} when no response came,
 * or {@link #observeResponse} with the response's status and body. When the gateway has a
 * backend pool, the adapter asks {@link #nextAttempt()} where to send, and after each response or
 * failure asks {@link #retryAfterResponse} / {@link #retryAfterFailure} whether to try again. The call settles its token
 * reservation and emits its one {@link GatewayEvent} exactly once, whichever way it ends.
 *
 * <p>Applications do not use this type; the OkHttp adapter does.
 */
public final class GovernedCall {

  private static final Logger log = LoggerFactory.getLogger(GovernedCall.class);
  private static final List<String> CONTENT_FIELDS =
      List.of("instructions", "system", "messages", "input", "prompt", "tools");

  private final AiGateway gateway;
  private final RequestView request;
  private final long callId;
  private final Instant startedAt;
  private final long startNanos;
  private final AtomicBoolean ended = new AtomicBoolean();
  private String consumer;
  private Map<String, String> counterKeys = Map.of();
  private Reservation reservation = Reservation.EMPTY;
  private long promptEstimate = -1;
  private boolean stream;
  private volatile long firstChunkNanos;
  private int status;
  /** Attempts and backends; null without a backend pool. */
  private final CallRouting routing;
  private String rejectedLimit;
  private String completion;
  private Boolean logsPrompt;
  private long gatewayNanos;
  // Response cache (only with one configured).
  private CallCache cache;
  private ObservedBody observedBody;
  private boolean eventStream;
  private boolean usageCapped;

  GovernedCall(AiGateway gateway, CallMatch match, ClientRequest clientRequest) {
    this.gateway = gateway;
    this.request = new RequestView(match, clientRequest, gateway.maxParsedBodyBytes());
    this.callId = gateway.nextCallId();
    this.startedAt = gateway.clock().instant();
    this.startNanos = System.nanoTime();
    Router router = gateway.router();
    this.routing = router == null ? null : new CallRouting(router, gateway.clock(), callId,
        startNanos, request.operation(), () -> reservation.reservedTokens(),
        target -> request.rewrittenBody(target, hidesStreamUsage()));
  }

  /** The request as the gateway understands it. */
  public dev.aigateway.api.LlmRequest request() {
    return request;
  }

  /**
   * Resolves the consumer, reserves tokens under every applicable limit (all or none) and decides
   * what to send. A rejection has already been reported (event emitted) when this returns.
   */
  public Admission admit() {
    long began = System.nanoTime();
    try {
      return decide();
    } finally {
      gatewayNanos += System.nanoTime() - began;
    }
  }

  private Admission decide() {
    consumer = orDefault(safeResolve(gateway.consumerKey()), AiGateway.ANONYMOUS);
    stream = request.stream();
    Rejection invalid = OutputAllowance.of(request, gateway.defaultOutputAllowance()).rejection();
    if (invalid != null) {
      ended.set(true);
      emit(CallOutcome.REJECTED, invalid.status(), Usage.ZERO, UsageSource.NONE, 0,
          invalid.reason(), invalid.reason().headerValue());
      return new Admission(invalid, null, Map.of());
    }
    if (routing != null) {
      Rejection unroutable = routing.route(request.model(), consumer, this::safeResolve);
      if (unroutable != null) {
        ended.set(true);
        emit(CallOutcome.REJECTED, unroutable.status(), Usage.ZERO, UsageSource.NONE, 0,
            unroutable.reason(), unroutable.reason().headerValue());
        return new Admission(unroutable, null, Map.of());
      }
    }
    List<TokenLimit> limits = gateway.limits();
    List<LimitCharge> charges = new ArrayList<>();
    List<TokenLimit> owners = new ArrayList<>();
    if (!limits.isEmpty()) {
      Map<String, String> keys = new LinkedHashMap<>();
      for (TokenLimit limit : limits) {
        if (!limit.appliesTo(consumer)) {
          continue;
        }
        String key = limit.key() == null ? consumer
            : orDefault(safeResolve(limit.key()), TokenLimit.UNKNOWN_KEY);
        keys.put(limit.name(), key);
        long tokens = limit.estimatePromptTokens()
            ? Math.min(Usage.MAX_TOKENS, TokenCounts.sum(promptTokens(), outputAllowance())) : 0;
        for (LimitSpec spec : limit.specs()) {
          charges.add(new LimitCharge(spec, key, tokens));
          owners.add(limit);
        }
      }
      counterKeys = keys;
    }
    ReserveResult result = reserve(charges);
    Map<String, String> headers = limitHeaders(charges, owners, result);
    if (!result.admitted()) {
      Rejection rejection = reject(result, charges, owners, headers);
      ended.set(true);
      emit(CallOutcome.REJECTED, rejection.status(), Usage.ZERO, UsageSource.NONE, 0,
          rejection.reason(), rejection.reason().headerValue());
      return new Admission(rejection, null, Map.of());
    }
    reservation = result.reservation();
    ResponseCache responseCache = gateway.responseCache();
    if (responseCache != null && CallCache.serves(request.operation())) {
      cache = new CallCache(responseCache, request, callId,
          responseCache.varyBy() == null ? consumer : safeResolve(responseCache.varyBy()),
          routing != null ? routing.routedModel() : request.model());
      CallCache.Hit hit = cache.lookup();
      if (responseCache.outcomeHeader() != null) {
        headers = withHeader(headers, responseCache.outcomeHeader(), cache.headerValue());
      }
      if (hit != null) {
        answeredFromCache(hit, responseCache.chargeHits());
        return new Admission(null, null, headers,
            new Admission.CachedAnswer(hit.answer().body(), hit.answer().contentType()));
      }
    }
    return new Admission(null, routing == null ? outgoingBody() : null, headers);
  }

  /** Settles and reports a call the cache answered: no backend, no tokens (unless charged). */
  private void answeredFromCache(CallCache.Hit hit, boolean charge) {
    ended.set(true);
    status = 200;
    long settled = charge ? hit.cached().usage().totalTokens() : 0;
    settleReservation(settled);
    // The prompt log gets no completion for a hit: the backend produced none for this call, and
    // the record's cache outcome says where the answer came from.
    emit(CallOutcome.SUCCESS, 200, Usage.ZERO, UsageSource.NONE, settled, null, null,
        hit.cached().model());
  }

  /** Whether a backend pool decides where this call goes ({@link #nextAttempt()}). */
  public boolean routed() {
    return routing != null;
  }

  /**
   * Where to send the call now: the first attempt, or the one prepared when
   * {@link #retryAfterResponse} / {@link #retryAfterFailure} said to retry. Returns null when no
   * backend can take the call; the call has then ended, and {@link #unroutable()} is the answer
   * for the application.
   */
  public AttemptPlan nextAttempt() {
    long began = System.nanoTime();
    try {
      AttemptPlan plan = routing.next();
      if (plan == null) {
        settleAndEmit(CallOutcome.REJECTED, null, null,
            RejectionReason.NO_BACKEND_AVAILABLE.headerValue());
      }
      return plan;
    } finally {
      gatewayNanos += System.nanoTime() - began;
    }
  }

  /** The 503 answer when {@link #nextAttempt()} found no backend. */
  public Rejection unroutable() {
    return routing.unroutable();
  }

  /**
   * The current attempt's backend answered {@code status}. Records it (breaker, cooldown,
   * rate-limit headers) and returns true when the call should move on: the status is retryable,
   * attempts and time are left, and a backend is available (then call {@link #nextAttempt()}).
   * False: deliver this response ({@link #observeResponse}).
   */
  public boolean retryAfterResponse(int status, Function<String, String> headers) {
    long began = System.nanoTime();
    try {
      return routing.retryAfterResponse(status, headers);
    } finally {
      gatewayNanos += System.nanoTime() - began;
    }
  }

  /**
   * The current attempt failed without a response. Records it and returns true when the call
   * should move on to {@link #nextAttempt()}; false: give up ({@link #failed(Throwable)}).
   *
   * @param callCanceled whether the application cancelled the call (never retried)
   */
  public boolean retryAfterFailure(IOException failure, boolean callCanceled) {
    return routing.retryAfterFailure(failure, callCanceled);
  }

  /**
   * The backend answered. Returns the body the application should read instead of {@code body}:
   * one that learns usage as the bytes pass and settles the call when the body ends (read to the
   * end, closed early, or failed). Error statuses are settled at once (refunded) and their body
   * is returned unchanged.
   *
   * @param callCanceled tells whether the application cancelled the call, to tell a cancelled
   *     stream from a truncated one when a read fails
   */
  public InputStream observeResponse(int status, String contentType, InputStream body,
      BooleanSupplier callCanceled) {
    this.status = status;
    if (status < 200 || status > 299) {
      settleAndEmit(CallOutcome.BACKEND_ERROR, null, null, String.valueOf(status));
      return body;
    }
    BodyListener listener = new BodyListener() {
      @Override
      public void firstBytes() {
        firstChunkNanos = System.nanoTime();
        if (routing != null) {
          routing.firstBytes(firstChunkNanos, stream);
        }
      }

      @Override
      public void bodyEnded(CallOutcome outcome, ResponseFacts facts, Throwable failure) {
        String errorType = switch (outcome) {
          case SUCCESS -> null;
          case CANCELLED -> "cancelled";
          default -> failure == null ? "truncated" : failure.getClass().getName();
        };
        settleAndEmit(outcome, facts, failure, errorType);
      }
    };
    eventStream = contentType != null
        ? contentType.regionMatches(true, 0, "text/event-stream", 0, 17) : stream;
    ObservedBody observed = eventStream
        ? new SseBody(body, listener, callCanceled, request.operation() == Operation.RESPONSES,
            hidesStreamUsage())
        : new JsonBody(body, listener, callCanceled, gateway.maxObservedBodyBytes());
    if (logsPrompt()) {
      observed.keepText();
    }
    if (cache != null && status == 200 && cache.storable()) {
      observed.capture(cache.maximumEntryBytes());
      observedBody = observed;
    }
    return observed;
  }

  /**
   * Whether the body {@link #observeResponse} returned is read as server-sent events: its
   * {@code Content-Type} says so, or, without one, the request asked for a stream. Such a body
   * may be shorter than the backend's (hidden usage), so its length is not the backend's.
   */
  public boolean eventStream() {
    return eventStream;
  }

  /** No response came (connect failure, timeout, cancellation): refunds and reports the call. */
  public void failed(Throwable failure) {
    settleAndEmit(CallOutcome.FAILED, null, failure, failure.getClass().getName());
  }

  private ReserveResult reserve(List<LimitCharge> charges) {
    try {
      return gateway.store().reserve(charges);
    } catch (RuntimeException e) {
      // Fail open: an unavailable store must not take the application down with it.
      log.warn("ai-gateway: token store failed to reserve for call {}; admitting without a "
          + "reservation: {}", callId, e.toString());
      return ReserveResult.admitted(Reservation.EMPTY, java.util.Collections.nCopies(
          charges.size(), 0L));
    }
  }

  private byte[] outgoingBody() {
    if (!hidesStreamUsage()) {
      return null;
    }
    return request.rewrittenBody(null, true);
  }

  /** Whether the gateway adds {@code include_usage} to the request and hides it from the app. */
  private boolean hidesStreamUsage() {
    Operation op = request.operation();
    return gateway.injectStreamUsage() && stream && !request.includeUsageRequested()
        && (op == Operation.CHAT_COMPLETIONS || op == Operation.COMPLETIONS);
  }

  private long promptTokens() {
    if (promptEstimate < 0) {
      try {
        promptEstimate = request.bodyUnderstood()
            ? gateway.tokenCounter().countPrompt(request.model(), request.operation(),
                request.body())
            : 0;
      } catch (RuntimeException e) {
        log.warn("ai-gateway: could not count the prompt of call {}: {}", callId, e.toString());
        promptEstimate = 0;
      }
    }
    return promptEstimate;
  }

  private long outputAllowance() {
    return OutputAllowance.of(request, gateway.defaultOutputAllowance()).tokens();
  }

  private void settleAndEmit(CallOutcome outcome, ResponseFacts facts, Throwable failure,
      String errorType) {
    if (!ended.compareAndSet(false, true)) {
      return; // settled already: a call is settled exactly once
    }
    long began = System.nanoTime();
    if (routing != null) {
      routing.callEnded(outcome == CallOutcome.SUCCESS && !stream);
    }
    Usage usage = Usage.ZERO;
    UsageSource source = UsageSource.NONE;
    String responseModel = null;
    boolean charged = outcome == CallOutcome.SUCCESS || outcome == CallOutcome.CANCELLED
        || outcome == CallOutcome.TRUNCATED;
    if (facts != null && logsPrompt()) {
      completion = facts.text().toString();
    }
    if (charged && facts != null) {
      responseModel = facts.model();
      if (facts.usage() != null) {
        usage = facts.usage();
        source = UsageSource.REPORTED;
      } else {
        usage = Usage.of(promptTokens(), estimatedOutput(facts));
        source = UsageSource.ESTIMATED;
      }
    }
    usageCapped = usage.exceedsMaxTokens();
    usage = usage.capped(); // what a store can take: the event and the counters then agree
    long settled = usage.totalTokens();
    if (observedBody != null && outcome == CallOutcome.SUCCESS && facts != null
        && facts.complete()) {
      byte[] body = observedBody.captured();
      if (body != null) {
        cache.store(eventStream, body, responseModel, usage, gateway.clock().instant());
      }
    }
    settleReservation(settled);
    RejectionReason rejection = outcome == CallOutcome.REJECTED
        ? RejectionReason.NO_BACKEND_AVAILABLE : null;
    gatewayNanos += System.nanoTime() - began;
    emit(outcome, rejection == null ? status : rejection.status(), usage, source, settled,
        rejection, errorType, responseModel);
  }

  /** Settles the call's reservation (if any) to {@code tokens}; a failing store is logged. */
  private void settleReservation(long tokens) {
    if (reservation.charges().isEmpty()) {
      return;
    }
    try {
      gateway.store().settle(reservation, tokens);
    } catch (RuntimeException e) {
      log.warn("ai-gateway: token store failed to settle call {} to {} tokens: {}", callId,
          tokens, e.toString());
    }
  }

  private long estimatedOutput(ResponseFacts facts) {
    if (!stream && !facts.complete()) {
      // A JSON answer not read whole: the backend produced it all, so assume the whole allowance.
      return outputAllowance();
    }
    try {
      return gateway.tokenCounter().countText(orDefault(facts.model(), request.model()),
          facts.text());
    } catch (RuntimeException e) {
      return outputAllowance();
    }
  }

  private void emit(CallOutcome outcome, int status, Usage usage, UsageSource source,
      long settled, RejectionReason rejection, String errorType) {
    emit(outcome, status, usage, source, settled, rejection, errorType, null);
  }

  private void emit(CallOutcome outcome, int status, Usage usage, UsageSource source,
      long settled, RejectionReason rejection, String errorType, String responseModel) {
    List<GatewayListener> listeners = gateway.listeners();
    PromptLog promptLog = gateway.promptLog();
    boolean logPrompt = logsPrompt();
    if (listeners.isEmpty() && !logPrompt) {
      return;
    }
    long now = System.nanoTime();
    Backend backend = routing == null ? null : routing.backend();
    GatewayEvent event = GatewayEvent.builder()
        .callId(callId)
        .startedAt(startedAt)
        .operation(request.operation())
        .consumer(consumer == null ? AiGateway.ANONYMOUS : consumer)
        .counterKeys(counterKeys)
        .requestedModel(request.model())
        .responseModel(responseModel)
        .stream(stream)
        .usage(usage, source, source)
        .usageCapped(usageCapped)
        .reservedTokens(reservation.reservedTokens())
        .settledTokens(settled)
        .status(status)
        .outcome(outcome)
        .rejection(rejection)
        .errorType(errorType)
        .latency(Duration.ofNanos(now - startNanos))
        .timeToFirstChunk(stream && firstChunkNanos != 0
            ? Duration.ofNanos(firstChunkNanos - startNanos) : null)
        .backendId(backend == null ? null : backend.id())
        .attempts(routing == null ? List.of() : routing.attempts())
        .failoverReason(routing == null ? null : routing.failoverReason())
        .variant(routing == null ? null : routing.variant())
        .provider(provider(backend))
        .server(backend != null ? backend.host() : request.host(),
            backend != null ? backend.port() : request.port())
        .rejectedLimit(rejectedLimit)
        .gatewayTime(Duration.ofNanos(gatewayNanos))
        .cost(cost(responseModel, usage))
        .cache(cache == null ? CacheOutcome.NONE : cache.outcome(),
            cache == null ? Double.NaN : cache.score(),
            cache == null ? null : cache.guardObjection(),
            cache == null ? 0 : cache.tokensSaved())
        .build();
    for (GatewayListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (RuntimeException | Error e) {
        if (e instanceof VirtualMachineError) {
          throw e;
        }
        log.warn("ai-gateway: listener {} failed on call {}; the call is unaffected", listener,
            callId, e);
      }
    }
    if (logPrompt) {
      promptLog.log(event, requestContent(), completion);
    }
  }

  /** Whether the prompt log takes this call; decided once, since it samples by call id. */
  private boolean logsPrompt() {
    if (logsPrompt == null) {
      PromptLog promptLog = gateway.promptLog();
      logsPrompt = promptLog != null && promptLog.wants(
          consumer == null ? AiGateway.ANONYMOUS : consumer, request.model(), callId);
    }
    return logsPrompt;
  }

  /** What the application asked, for the prompt log: the body's content fields as JSON. */
  private String requestContent() {
    com.fasterxml.jackson.databind.node.ObjectNode body = request.body();
    if (body == null) {
      return new String(request.rawBody(), java.nio.charset.StandardCharsets.UTF_8);
    }
    com.fasterxml.jackson.databind.node.ObjectNode content = Json.MAPPER.createObjectNode();
    for (String field : CONTENT_FIELDS) {
      if (body.has(field)) {
        content.set(field, body.get(field));
      }
    }
    return content.toString();
  }

  private Map<String, String> limitHeaders(List<LimitCharge> charges, List<TokenLimit> owners,
      ReserveResult result) {
    Map<String, String> headers = Map.of();
    for (int i = 0; i < charges.size(); i++) {
      TokenLimit owner = owners.get(i);
      LimitCharge charge = charges.get(i);
      String remainingHeader = charge.limit().kind() == LimitSpec.Kind.RATE
          ? owner.remainingTokensHeader() : owner.remainingQuotaHeader();
      if (remainingHeader != null) {
        headers = withHeader(headers, remainingHeader,
            String.valueOf(Math.max(0, result.remaining().get(i))));
      }
      if (owner.tokensConsumedHeader() != null && result.admitted()) {
        headers = withHeader(headers, owner.tokensConsumedHeader(),
            String.valueOf(charge.tokens()));
      }
    }
    return headers;
  }

  private static Map<String, String> withHeader(Map<String, String> headers, String name,
      String value) {
    Map<String, String> more = headers.isEmpty() ? new LinkedHashMap<>() : headers;
    more.put(name, value);
    return more;
  }

  private Rejection reject(ReserveResult result, List<LimitCharge> charges,
      List<TokenLimit> owners, Map<String, String> limitHeaders) {
    LimitCharge charge = result.rejectedBy();
    int index = charges.indexOf(charge);
    String limitName = index >= 0 ? owners.get(index).name() : charge.limit().id();
    rejectedLimit = limitName;
    long left = index >= 0 && index < result.remaining().size() ? result.remaining().get(index) : 0;
    return Rejections.tokenLimit(charge, limitName, left, result.retryAfter(), limitHeaders);
  }


  private java.math.BigDecimal cost(String responseModel, Usage usage) {
    PriceTable prices = gateway.priceTable();
    if (prices == null || usage.totalTokens() == 0) {
      return null;
    }
    java.util.Optional<java.math.BigDecimal> answered = responseModel == null
        ? java.util.Optional.empty() : prices.cost(responseModel, usage);
    return answered.or(() -> prices.cost(request.model(), usage)).orElse(null);
  }

  private String provider(Backend backend) {
    if (backend != null) {
      return backend.flavor().providerName();
    }
    boolean azure = request.deployment() != null || request.encodedPath().contains("/openai/");
    return azure ? dev.aigateway.api.BackendFlavor.AZURE_OPENAI.providerName()
        : dev.aigateway.api.BackendFlavor.OPENAI.providerName();
  }

  private String safeResolve(dev.aigateway.api.KeyResolver resolver) {
    try {
      return resolver.resolve(request);
    } catch (RuntimeException e) {
      log.warn("ai-gateway: key resolver {} failed on call {}: {}", resolver, callId,
          e.toString());
      return null;
    }
  }

  private static String orDefault(String value, String fallback) {
    return value == null || value.isBlank() ? fallback : value;
  }
}
