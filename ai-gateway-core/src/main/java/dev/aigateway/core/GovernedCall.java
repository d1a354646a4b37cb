package dev.aigateway.core;

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
import dev.aigateway.core.internal.BodyListener;
import dev.aigateway.core.internal.Json;
import dev.aigateway.core.internal.JsonBody;
import dev.aigateway.core.internal.RequestView;
import dev.aigateway.core.internal.ResponseFacts;
import dev.aigateway.core.internal.SseBody;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One governed call, driven by a client adapter through its life:
 * {@link #admit()} before sending; then either {@link #failed(Throwable)} when no response came,
 * or {@link #observeResponse} with the response's status and body. The call settles its token
 * reservation and emits its one {@link GatewayEvent} exactly once, whichever way it ends.
 *
 * <p>Applications do not use this type; the OkHttp adapter does.
 */
public final class GovernedCall {

  private static final Logger log = LoggerFactory.getLogger(GovernedCall.class);

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

  GovernedCall(AiGateway gateway, CallMatch match, ClientRequest clientRequest) {
    this.gateway = gateway;
    this.request = new RequestView(match, clientRequest, gateway.maxParsedBodyBytes());
    this.callId = gateway.nextCallId();
    this.startedAt = gateway.clock().instant();
    this.startNanos = System.nanoTime();
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
    consumer = orDefault(safeResolve(gateway.consumerKey()), AiGateway.ANONYMOUS);
    stream = request.stream();
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
        long tokens = limit.estimatePromptTokens() ? promptTokens() + outputAllowance() : 0;
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
    return new Admission(null, outgoingBody(), headers);
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
    boolean eventStream = contentType != null
        ? contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream") : stream;
    if (eventStream) {
      return new SseBody(body, listener, callCanceled,
          request.operation() == Operation.RESPONSES, hidesStreamUsage());
    }
    return new JsonBody(body, listener, callCanceled, gateway.maxObservedBodyBytes());
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
    return request.bodyWithStreamUsage();
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
    if (request.operation() == Operation.EMBEDDINGS) {
      return 0;
    }
    long perChoice = request.maxOutputTokens().orElse(gateway.defaultOutputAllowance());
    return perChoice * request.choices();
  }

  private void settleAndEmit(CallOutcome outcome, ResponseFacts facts, Throwable failure,
      String errorType) {
    if (!ended.compareAndSet(false, true)) {
      return; // settled already: a call is settled exactly once
    }
    Usage usage = Usage.ZERO;
    UsageSource source = UsageSource.NONE;
    String responseModel = null;
    boolean charged = outcome == CallOutcome.SUCCESS || outcome == CallOutcome.CANCELLED
        || outcome == CallOutcome.TRUNCATED;
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
    long settled = usage.totalTokens();
    if (!reservation.charges().isEmpty()) {
      try {
        gateway.store().settle(reservation, settled);
      } catch (RuntimeException e) {
        log.warn("ai-gateway: token store failed to settle call {} to {} tokens: {}", callId,
            settled, e.toString());
      }
    }
    emit(outcome, status, usage, source, settled, null, errorType, responseModel);
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
    if (listeners.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
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
        .reservedTokens(reservation.reservedTokens())
        .settledTokens(settled)
        .status(status)
        .outcome(outcome)
        .rejection(rejection)
        .errorType(errorType)
        .latency(Duration.ofNanos(now - startNanos))
        .timeToFirstChunk(stream && firstChunkNanos != 0
            ? Duration.ofNanos(firstChunkNanos - startNanos) : null)
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
  }

  private Map<String, String> limitHeaders(List<LimitCharge> charges, List<TokenLimit> owners,
      ReserveResult result) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 0; i < charges.size(); i++) {
      TokenLimit owner = owners.get(i);
      LimitCharge charge = charges.get(i);
      String remainingHeader = charge.limit().kind() == LimitSpec.Kind.RATE
          ? owner.remainingTokensHeader() : owner.remainingQuotaHeader();
      if (remainingHeader != null) {
        headers.put(remainingHeader, String.valueOf(Math.max(0, result.remaining().get(i))));
      }
      if (owner.tokensConsumedHeader() != null && result.admitted()) {
        headers.put(owner.tokensConsumedHeader(), String.valueOf(charge.tokens()));
      }
    }
    return headers;
  }

  private Rejection reject(ReserveResult result, List<LimitCharge> charges,
      List<TokenLimit> owners, Map<String, String> limitHeaders) {
    LimitCharge charge = result.rejectedBy();
    LimitSpec spec = charge.limit();
    int index = charges.indexOf(charge);
    String limitName = index >= 0 ? owners.get(index).name() : spec.id();
    long left = index >= 0 && index < result.remaining().size() ? result.remaining().get(index) : 0;
    Duration wait = result.retryAfter();
    long waitSeconds = Math.max(1, (wait.toMillis() + 999) / 1000);
    boolean quota = spec.kind() == LimitSpec.Kind.QUOTA;
    RejectionReason reason = quota ? RejectionReason.TOKEN_QUOTA : RejectionReason.TOKEN_RATE_LIMIT;
    String message = quota
        ? String.format(Locale.ROOT, "Token quota '%s' (%d tokens %s) is spent for '%s': %d "
            + "tokens needed, %d left. It resets in %d s.", limitName, spec.capacity(),
            spec.quotaPeriod().name().toLowerCase(Locale.ROOT), charge.counterKey(),
            charge.required(), Math.max(0, left), waitSeconds)
        : String.format(Locale.ROOT, "Token rate limit '%s' (%d tokens per %s) exceeded for "
            + "'%s': %d tokens needed, %d left.%s Retry after %d s.", limitName,
            spec.capacity(), spec.refillPeriod(), charge.counterKey(), charge.required(),
            Math.max(0, left), charge.required() > spec.capacity()
                ? " The call needs more than the limit's whole capacity; lower max_tokens or the"
                + " prompt." : "", waitSeconds);
    Map<String, String> headers = new LinkedHashMap<>(limitHeaders);
    headers.put(Rejection.REJECTED_HEADER, reason.headerValue());
    headers.put("Retry-After", String.valueOf(waitSeconds));
    headers.put("retry-after-ms", String.valueOf(Math.max(1, wait.toMillis())));
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("message", message);
    error.put("type", quota ? "insufficient_quota" : "tokens");
    error.put("param", null);
    error.put("code", quota ? "insufficient_quota" : "rate_limit_exceeded");
    byte[] body;
    try {
      body = Json.MAPPER.writeValueAsBytes(Map.of("error", error));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot serialise a map of strings", e);
    }
    TokenLimitExceededException exception = new TokenLimitExceededException(message, reason, wait,
        limitName, charge.counterKey(), charge.required(), left);
    return new Rejection(reason, headers, body, exception);
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
