package dev.aigateway.core.adapter;

import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.LlmRequest;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.AnswerTranslation;
import dev.aigateway.core.pipeline.AttemptPlan;
import dev.aigateway.core.pipeline.CallLog;
import dev.aigateway.core.pipeline.CallSettings;
import dev.aigateway.core.pipeline.CallStage;
import dev.aigateway.core.pipeline.Exchange;
import dev.aigateway.core.pipeline.Pipeline;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.pipeline.StageFailures;
import dev.aigateway.core.tokens.TokenCounts;
import dev.aigateway.core.wire.BodyListener;
import dev.aigateway.core.wire.ClientRequest;
import dev.aigateway.core.wire.ObservedBody;
import dev.aigateway.core.wire.ResponseReadout;
import dev.aigateway.core.wire.WireFormat;
import dev.aigateway.core.wire.WireRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * One governed call, driven by a client adapter through its life, and the orchestrator of the
 * gateway's stages for it. The stages, outermost first (each only when configured):
 *
 * <pre>
 *   Telemetry ( Access ( Route ( TokenLimit ( Cache ( attempts → backend )))))
 * </pre>
 *
 * <p>{@link #admit()} resolves the consumer and runs each stage's admission in that order; a stage
 * that answers (a local rejection, a cached answer) ends the call there. The adapter then sends
 * through {@link AttemptLoop}, which asks {@link #nextAttempt()} where (with a backend pool), and
 * after each response or failure {@link #retryAfterResponse} / {@link #retryAfterFailure} whether
 * to try again. Finally either {@link #failed(Throwable)} (no response) or {@link #observeResponse}
 * (the response's body, read by the application). However the call ends, each admitted stage's end
 * runs once in reverse order (the cache stores, the limits settle, the route releases its backend,
 * telemetry emits the call's one {@link GatewayEvent}). A call answered with a Responses API
 * background response still to be generated runs the ends that read its usage later, when a poll
 * reports it ({@link BackgroundResponses}).
 *
 * <p>Applications do not use this type; client adapters do.
 */
public final class GovernedCall {

  /**
   * The error type of a call whose backend answered 2xx with a body that reported an error ({@link
   * ResponseReadout#errorAnswer}): it ends {@link CallOutcome#BACKEND_ERROR}.
   */
  public static final String ERROR_ANSWER = "error-answer";

  /** The admission of a call with no headers to add: immutable, so one for every such call. */
  private static final Admission GO_AHEAD = new Admission(null, Map.of(), null);

  private static final Logger log = CallLog.logger();

  /** {@link #ended}, set once (compare-and-set): the call ends exactly once, on any thread. */
  private static final VarHandle ENDED;

  static {
    try {
      ENDED = MethodHandles.lookup().findVarHandle(GovernedCall.class, "ended", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Exchange exchange;
  private final CallStage[] stages;

  /**
   * The gateway's stages with the phases each takes part in: a stage is not asked in the others,
   * where it would do nothing.
   */
  private final Pipeline pipeline;

  private final BackgroundResponses backgroundResponses;

  /** Whether the call has ended (a field, not an object of its own: one call, one flag). */
  private volatile boolean ended;

  /** How many stages' admission ran (their ends run when the call ends). */
  private int admitted;

  /**
   * Whether the gateway's time since the call began is still running: an admitted call's admission
   * is timed together with its first attempt's preparation, which the adapter asks for right after,
   * so that the clock is read once for both. Closed by {@link #nextAttempt()}, else by whatever
   * comes first ({@link #observeResponse}, the call's end).
   */
  private boolean admissionOpen;

  /**
   * The translation of the answer delivered, when it came from a backend of another protocol: what
   * its stream reported of the usage before the translated stream carried it ({@link
   * AnswerTranslation#reportedUsage}, {@link AnswerTranslation#startUsage}); null otherwise. Set
   * before the body is observed ({@link #translatedBy}).
   */
  private volatile AnswerTranslation translation;

  /**
   * Begins governing one matched call of a gateway: reads its request and makes each stage's part.
   *
   * @param settings what the call reads of the gateway's configuration
   * @param pipeline the gateway's stages
   * @param backgroundResponses the gateway's Responses API background calls waiting for a poll
   * @param callId the call's id, unique within the gateway
   */
  public GovernedCall(
      CallSettings settings,
      Pipeline pipeline,
      BackgroundResponses backgroundResponses,
      long callId,
      CallMatch match,
      ClientRequest clientRequest) {
    WireRequest request =
        settings
            .wireFormats()
            .formatFor(match, clientRequest)
            .readRequest(match, clientRequest, settings.maxParsedBodyBytes());
    this.exchange =
        new Exchange(settings, request, callId, settings.clock().instant(), System.nanoTime());
    this.pipeline = pipeline;
    this.backgroundResponses = backgroundResponses;
    this.stages = pipeline.begin(exchange);
  }

  /** The request as the gateway understands it. */
  public LlmRequest request() {
    return exchange.request();
  }

  /**
   * Resolves the consumer and runs every stage's admission: reserves tokens under every applicable
   * limit (all or none), looks the response cache up, and decides what to send. A call answered
   * here (rejected, or from the cache) has ended and been reported when this returns. An admitted
   * call's gateway time runs on until its first attempt is asked for ({@link #nextAttempt()}, which
   * an adapter does right away through {@link AttemptLoop}), so that the clock is read once for
   * both.
   *
   * @throws UncheckedIOException when a stage failed with an unexpected exception or error (a
   *     defect, or a part the application plugged in that threw where nothing guards it, an {@code
   *     AssertionError} or a {@code NoClassDefFoundError} included) or overflowed its stack (a
   *     regular expression of the application's that recurses on a long prompt, such as {@code
   *     (a|b)*}): the call has then ended {@link CallOutcome#FAILED}, with its one event naming
   *     that exception's type, and nothing was sent. An adapter throws the {@link IOException} it
   *     holds (whose cause is the stage's exception), so that only an {@code IOException} reaches
   *     the application.
   */
  public Admission admit() {
    long began = exchange.startNanos(); // reading the request when the call began is gateway work
    try {
      exchange.consumer(exchange.resolve(exchange.settings().consumerKey()));
      for (int i = 0; i < stages.length; i++) {
        Admission answer = (pipeline.phases(i) & CallStage.ADMIT) != 0 ? stages[i].admit() : null;
        admitted++;
        if (answer != null) {
          long now = System.nanoTime();
          exchange.addGatewayNanos(now - began);
          ended = true;
          runEnds(now);
          return answer.rejection() != null
              ? answer
              : new Admission(null, exchange.responseHeaders(), answer.cachedAnswer());
        }
      }
    } catch (RuntimeException | Error e) {
      // The stages admitted before it end as for a failed call (the telemetry stage sends the
      // event); the one that threw admitted nothing to end. A stack overflow is a pattern of the
      // application's (a deny pattern, a custom detector) that recursed on a long prompt; another
      // error (an AssertionError, a LinkageError such as NoClassDefFoundError from a part the
      // application plugged in) ends the call alike, so its reservations and in-flight slots are
      // given back. Only the JVM's own failures (out of memory, an internal error) go on up.
      StageFailures.rethrowIfFatal(e);
      admissionOpen = true;
      failed(e);
      throw new UncheckedIOException(
          new IOException(
              "ai-gateway: the call could not be admitted: " + e.getClass().getName(), e));
    }
    admissionOpen = true; // timed up to the first attempt: no clock read here
    return exchange.responseHeaders().isEmpty()
        ? GO_AHEAD
        : new Admission(null, exchange.responseHeaders(), null);
  }

  /** Whether a backend pool decides where this call goes ({@link #nextAttempt()}). */
  public boolean routed() {
    return exchange.route().pooled();
  }

  /**
   * Where to send the call now: the first attempt, or the one prepared when {@link
   * #retryAfterResponse} / {@link #retryAfterFailure} said to retry. Returns null when no backend
   * can take the call; the call has then ended, and {@link #unroutable()} is the answer for the
   * application.
   *
   * @throws IOException when backends were available but none could be given its credential (its
   *     provider failed); the call has then ended, failed with it
   */
  public AttemptPlan nextAttempt() throws IOException {
    return nextAttempt(() -> false);
  }

  /**
   * As {@link #nextAttempt()}, for a call that may end while its attempt is planned: {@code ended}
   * tells whether the application cancelled it or its client's call timeout passed, and a backend's
   * credential provider waiting for a token stops waiting then. A call that ended so gets null and
   * {@link #endedWhilePlanning()} true, and is not ended here: the adapter ends it cancelled or
   * timed out, as the client reports it.
   */
  public AttemptPlan nextAttempt(BooleanSupplier ended) throws IOException {
    // The first attempt is asked for right after admission, by the adapter: timed with it, from
    // when the call began.
    long began = admissionOpen ? exchange.startNanos() : System.nanoTime();
    admissionOpen = false;
    exchange.route().endedWhen(ended);
    AttemptPlan plan;
    try {
      plan = exchange.route().next();
    } catch (VirtualMachineError e) {
      failed(e); // the call ends with its event, as when sending fails so
      throw e;
    }
    exchange.addGatewayNanos(System.nanoTime() - began);
    if (plan == null && !exchange.route().endedWhilePlanning()) {
      IOException unsent = exchange.route().unsentFailure();
      if (unsent != null) {
        failed(unsent);
        throw unsent;
      }
      end(CallOutcome.REJECTED, null, RejectionReason.NO_BACKEND_AVAILABLE.headerValue());
    }
    return plan;
  }

  /**
   * Adds the admission's time, up to {@code now} ({@link System#nanoTime()}), when no attempt has
   * closed it (see {@link #admissionOpen}).
   */
  private void closeAdmission(long now) {
    if (admissionOpen) {
      admissionOpen = false;
      exchange.addGatewayNanos(now - exchange.startNanos());
    }
  }

  /** The call's wire format, which tells a stream and holds its first event. */
  WireFormat format() {
    return exchange.request().format();
  }

  /** How long to hold the current attempt's stream for its first event; null: not at all. */
  Duration firstEventTimeout() {
    return exchange.route().firstEventTimeout();
  }

  /**
   * The backoff to wait out before asking {@link #nextAttempt()}: zero unless a backend already
   * tried is retried. The next attempt, and its backend's credential, is made only after it.
   */
  Duration pendingBackoff() {
    return exchange.route().pendingBackoff();
  }

  /**
   * The call ends in the backoff before its next attempt (cancelled, timed out, interrupted): the
   * backend chosen for that attempt is released without a verdict. End the call after this.
   */
  void abandonPendingAttempt() {
    exchange.route().abandonPending();
  }

  /**
   * Whether {@link #nextAttempt(BooleanSupplier)} found no attempt because the call ended while it
   * waited for a backend's credential.
   */
  public boolean endedWhilePlanning() {
    return exchange.route().endedWhilePlanning();
  }

  /** The 503 answer when {@link #nextAttempt()} found no backend. */
  public Rejection unroutable() {
    return exchange.route().unroutable();
  }

  /**
   * The current attempt's backend answered {@code status}. Records it (breaker, cooldown,
   * rate-limit headers) and returns true when the call should move on: the status is retryable,
   * attempts and time are left, a backend is available (then call {@link #nextAttempt()}), and the
   * call was not cancelled. False: deliver this response ({@link #observeResponse}).
   *
   * @param callCanceled whether the application cancelled the call, or its client's call timeout
   *     ended it, by the time the answer came: it is never moved on, so no other backend is chosen,
   *     asked for a credential, or recorded as an attempt for a call nobody waits for
   */
  public boolean retryAfterResponse(
      int status, Function<String, String> headers, boolean callCanceled) {
    return retryAfterResponse(status, headers, null, callCanceled);
  }

  /**
   * As {@link #retryAfterResponse(int, Function, boolean)}, with the wait the answer's body asked
   * for when its headers name none ({@code bodyRetryAfter}: a Google error's {@code
   * google.rpc.RetryInfo}), which then counts as the answer's retry-after (cool-down, breaker).
   */
  public boolean retryAfterResponse(
      int status,
      Function<String, String> headers,
      @Nullable Duration bodyRetryAfter,
      boolean callCanceled) {
    long began = System.nanoTime();
    // The attempt was marked answered when its status came (attemptAnswered, by the loop).
    boolean retry =
        exchange.route().retryAfterResponse(status, headers, bodyRetryAfter, callCanceled);
    exchange.addGatewayNanos(System.nanoTime() - began);
    return retry;
  }

  /**
   * The current attempt's stream, held for its first event, sent an error event standing for {@code
   * status} instead of an answer. Records it (a failure for the backend's breaker when {@code
   * status} is a failure status) and returns true when the call should move on, as {@link
   * #retryAfterResponse} does for an answer of {@code status}; false: deliver the stream as it
   * came. {@code eventRetryAfter} is the wait the event asked for (a Google error's {@code
   * google.rpc.RetryInfo}), or null: it counts as an answer's retry-after (cool-down, breaker).
   */
  boolean retryAfterErrorEvent(
      int status,
      Function<String, String> headers,
      @Nullable Duration eventRetryAfter,
      boolean callCanceled) {
    long began = System.nanoTime();
    boolean retry =
        exchange.route().retryAfterErrorEvent(status, headers, eventRetryAfter, callCanceled);
    exchange.addGatewayNanos(System.nanoTime() - began);
    return retry;
  }

  /**
   * The current attempt's backend answered (its status came), whatever becomes of the answer: its
   * request is kept by the call's request limits however the call ends, also when the call moves on
   * from its status ({@link #retryAfterResponse}) or the answer's stream ends or breaks before its
   * first event and the call fails over. Called by the attempt loop for every answered attempt,
   * before {@link #retryAfterResponse}.
   */
  void attemptAnswered() {
    exchange.attemptAnswered();
  }

  /**
   * The current attempt failed without a response. Records it and returns true when the call should
   * move on to {@link #nextAttempt()}; false: give up ({@link #failed(Throwable)}).
   *
   * @param callCanceled whether the application cancelled the call (never retried)
   */
  public boolean retryAfterFailure(IOException failure, boolean callCanceled) {
    return exchange.route().retryAfterFailure(failure, callCanceled, false);
  }

  /**
   * As {@link #retryAfterFailure(IOException, boolean)}; {@code callTimedOut}: the cancellation was
   * the client's own call timeout, which ended the attempt while it waited for its backend (a
   * timeout for the backend's breaker; the call is not moved on).
   */
  public boolean retryAfterFailure(
      IOException failure, boolean callCanceled, boolean callTimedOut) {
    return exchange.route().retryAfterFailure(failure, callCanceled, callTimedOut);
  }

  /**
   * The backend answered. Returns the body the application should read instead of {@code body}: one
   * that learns usage as the bytes pass and ends the call when the body ends (read to the end,
   * closed early, or failed). Error statuses end the call at once (refunded) and their body is
   * returned unchanged.
   *
   * @param callCanceled tells whether the application cancelled the call, to tell a cancelled
   *     stream from a truncated one when a read fails
   */
  public InputStream observeResponse(
      int status, String contentType, InputStream body, BooleanSupplier callCanceled) {
    return observeResponse(status, contentType, name -> null, body, callCanceled);
  }

  /**
   * As {@link #observeResponse(int, String, InputStream, BooleanSupplier)}, with the response's
   * headers, which a wire format may learn usage from (Bedrock's InvokeModel reports it there).
   *
   * @param headers the response's headers by name (case-insensitive), null when absent
   */
  public InputStream observeResponse(
      int status,
      String contentType,
      Function<String, String> headers,
      InputStream body,
      BooleanSupplier callCanceled) {
    if (admissionOpen) { // only when no attempt was asked for (an adapter that sends by itself)
      closeAdmission(System.nanoTime());
    }
    exchange.answered(status);
    if (status < 200 || status > 299) {
      end(CallOutcome.BACKEND_ERROR, null, String.valueOf(status));
      return body;
    }
    BodyListener listener =
        new BodyListener() {
          @Override
          public void firstBytes() {
            // Only a stream's event (time to its first bytes) and a backend pool (latency) use
            // the time: a direct JSON call does not read the clock for it.
            if (exchange.stream() || exchange.route().pooled()) {
              long now = System.nanoTime();
              exchange.firstChunkNanos(now);
              exchange.route().firstBytes(now, exchange.stream());
            }
          }

          @Override
          public void firstEvent() {
            exchange.route().firstEvent();
          }

          @Override
          public void bodyEnded(CallOutcome outcome, ResponseReadout readout, Throwable failure) {
            if (readout != null
                && readout.errorAnswer()
                && (outcome == CallOutcome.SUCCESS
                    // the body's error reached the application, which closed it there (as an SDK
                    // that throws on an error event does), or the stream ended cleanly after it
                    // without its end marker: an error answer all the same
                    || (failure == null
                        && (outcome == CallOutcome.CANCELLED
                            || outcome == CallOutcome.TRUNCATED)))) {
              exchange.route().errorAnswered(readout.errorAnswerStatus());
              end(CallOutcome.BACKEND_ERROR, readout, ERROR_ANSWER); // a 2xx that reported an error
              return;
            }
            if (readout != null && readout.errorAnswer()) {
              // An error the body reported before its reading failed is the same verdict as a
              // whole error answer's; the call still ends as its body did.
              exchange.route().errorAnswered(readout.errorAnswerStatus());
            } else if (outcome == CallOutcome.TRUNCATED
                && failure != null
                && !(failure instanceof ObservedBody.Stopped)
                && !exchange.eventStream()
                && !callCanceled.getAsBoolean()) {
              // A document whose read from the backend failed: no answer reached the application.
              // (Not when the call was cancelled or timed out meanwhile: the application may have
              // taken its time to read what the backend had sent.)
              exchange.route().answerBroke();
            }
            String errorType =
                switch (outcome) {
                  case SUCCESS -> null;
                  case CANCELLED -> "cancelled";
                  default ->
                      failure == null
                          ? "truncated"
                          : failure instanceof ObservedBody.Stopped stopped
                              ? stopped.getMessage()
                              : failure.getClass().getName();
                };
            end(outcome, readout, errorType);
          }
        };
    WireFormat format = exchange.request().format();
    boolean eventStream = format.isStream(contentType, exchange.stream());
    exchange.eventStream(eventStream);
    InputStream document = body;
    if (!eventStream && pipeline.anyIn(CallStage.HOLD)) {
      for (int i = 0; i < stages.length; i++) {
        if ((pipeline.phases(i) & CallStage.HOLD) != 0) {
          document = stages[i].hold(document);
        }
      }
    }
    ObservedBody observed =
        eventStream
            ? format.observeStream(body, listener, callCanceled, exchange.hidesStreamUsage())
            : format.observeDocument(
                document,
                listener,
                callCanceled,
                exchange.settings().maxObservedBodyBytes(),
                headers);
    if (pipeline.anyIn(CallStage.OBSERVE)) {
      for (int i = 0; i < stages.length; i++) {
        if ((pipeline.phases(i) & CallStage.OBSERVE) != 0) {
          stages[i].observe(observed);
        }
      }
    }
    if (!pipeline.anyIn(CallStage.DELIVER)) {
      return observed;
    }
    InputStream delivered = observed;
    for (int i = 0; i < stages.length; i++) {
      if ((pipeline.phases(i) & CallStage.DELIVER) != 0) {
        delivered = stages[i].deliver(observed, delivered);
      }
    }
    return delivered;
  }

  /**
   * Whether the body {@link #observeResponse} returned is read as server-sent events: its {@code
   * Content-Type} says so, or, without one, the request asked for a stream. Such a body may be
   * shorter than the backend's (hidden usage), so its length is not the backend's.
   */
  public boolean eventStream() {
    return exchange.eventStream();
  }

  /**
   * Whether the body {@link #observeResponse} returned is one the gateway wrote in place of the
   * backend's (content safety withheld a JSON answer), so that its length is not the backend's.
   */
  public boolean answerReplaced() {
    return exchange.answerReplaced();
  }

  /**
   * The answer about to be observed was translated from a backend of another protocol by {@code
   * translation}: what the backend reported of its usage before the translated body carried it
   * counts when the body carried none (a stream cut short).
   */
  void translatedBy(AnswerTranslation translation) {
    this.translation = translation;
  }

  /**
   * The error answer about to be observed is the backend's refusal of the prompt for its content
   * filter ({@link WireFormat#promptFiltered}): the call's event says {@code contentFiltered()}.
   */
  void promptFiltered() {
    exchange.promptFiltered(true);
  }

  /**
   * The adapter cannot send the call as the application made it (its request body cannot be read
   * whole before it is sent: too large, duplex, not the length it announces, or its own failure to
   * write), so the call ends before its admission: {@link CallOutcome#FAILED}, with {@code
   * failure}'s type as its one event's error type, and nothing reserved, charged or sent. The
   * consumer is resolved for the event as {@link #admit()} would resolve it; of the stages, only
   * those before the first that admits (telemetry, which sends the event) end. Call it instead of
   * {@link #admit()}, on a call begun with whatever of the request could be read (its headers).
   */
  public void refused(Throwable failure) {
    exchange.consumer(exchange.resolve(exchange.settings().consumerKey()));
    while (admitted < stages.length && (pipeline.phases(admitted) & CallStage.ADMIT) == 0) {
      admitted++; // a stage skipped in admission counts as admitted (CallStage.Factory#phases)
    }
    admissionOpen = true; // the time since the call began is the gateway's
    failed(failure);
  }

  /** No response came (connect failure, timeout): refunds and reports the call. */
  public void failed(Throwable failure) {
    end(CallOutcome.FAILED, null, failure.getClass().getName());
  }

  /**
   * The application cancelled the call before any answer was handed on to it (waiting for a
   * response's headers, or in a backoff): refunds it, as nothing came, and reports it cancelled.
   */
  void canceled() {
    end(CallOutcome.CANCELLED, null, "cancelled");
  }

  /**
   * Ends the call once: works out its usage (reported, else estimated; none for a call that did not
   * reach a backend or failed there), then runs the admitted stages' ends.
   */
  private void end(CallOutcome outcome, ResponseReadout readout, String errorType) {
    if (!ENDED.compareAndSet(this, false, true)) {
      return; // a call ends exactly once
    }
    long began = System.nanoTime();
    closeAdmission(began); // admitted, and ended before any attempt was asked for
    Usage usage = Usage.ZERO;
    UsageSource source = UsageSource.NONE;
    UsageSource inputSource = null;
    String responseModel = null;
    Usage reported = null;
    Usage start = null;
    if (readout != null) {
      reported = readout.usage();
      start = readout.startUsage();
      AnswerTranslation translated = translation;
      if (translated != null && translatedFailed(translated)) {
        exchange.failedAnswer(true); // an answer the backend ended as failed is not stored
      }
      if (reported == null && translated != null) {
        // A translated stream cut before it carried the usage the backend had reported
        reported = translatedUsage(translated, true);
        start = start != null ? start : translatedUsage(translated, false);
      }
    }
    boolean charged =
        outcome == CallOutcome.SUCCESS
            || outcome == CallOutcome.CANCELLED
            || outcome == CallOutcome.TRUNCATED
            // a 2xx whose body reported an error: charged for what it reported (its usage, or the
            // input its start reported), or the text it gave
            || (outcome == CallOutcome.BACKEND_ERROR
                && readout != null
                && (reported != null || start != null || readout.text().length() > 0));
    if (charged && readout != null) {
      responseModel = readout.model();
      if (reported != null) {
        usage = reported;
        source = UsageSource.REPORTED;
      } else if (start != null) {
        // A stream cut after its start reported the input (Anthropic's message_start): the input
        // as reported, the output estimated.
        long output = estimatedOutput(readout, outcome);
        usage =
            new Usage(
                start.inputTokens(),
                output,
                TokenCounts.sum(start.inputTokens(), output),
                start.cachedInputTokens(),
                0,
                start.cacheWriteInputTokens(),
                0,
                0,
                0);
        source = UsageSource.ESTIMATED;
        inputSource = UsageSource.REPORTED;
      } else {
        usage = Usage.of(exchange.promptTokens(), estimatedOutput(readout, outcome));
        source = UsageSource.ESTIMATED;
      }
    }
    // Counts above the bound are capped, so the event and the counters see the same numbers.
    exchange.usageCapped(usage.exceedsMaxTokens());
    usage = usage.capped();
    RejectionReason rejection =
        outcome == CallOutcome.REJECTED ? RejectionReason.NO_BACKEND_AVAILABLE : null;
    exchange.readout(readout);
    exchange.ended(
        outcome,
        rejection == null ? exchange.status() : rejection.status(),
        usage,
        source,
        usage.totalTokens(),
        responseModel,
        rejection,
        errorType);
    if (inputSource != null) {
      exchange.inputSource(inputSource);
    }
    if (readout != null && readout.answerPending() && outcome == CallOutcome.SUCCESS) {
      String id = readout.pendingId();
      if (id != null && pipeline.anyIn(CallStage.USAGE)) {
        endInTwo(began, id);
        return;
      }
    }
    runEnds(began);
  }

  /**
   * Whether a translation says its backend ended the answer as failed ({@link
   * AnswerTranslation#failedAnswer}); a translation that fails to tell counts as saying so.
   */
  private static boolean translatedFailed(AnswerTranslation translation) {
    try {
      return translation.failedAnswer();
    } catch (RuntimeException e) {
      return true;
    }
  }

  /**
   * The usage a translation says its backend reported, whole or at its start; null when it says
   * none, or fails to tell.
   */
  private static Usage translatedUsage(AnswerTranslation translation, boolean whole) {
    try {
      return whole ? translation.reportedUsage() : translation.startUsage();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * Ends a call answered with a background response still to be generated ({@code id}): the ends
   * that do not read its usage run now, the others ({@link CallStage#USAGE}: the limits'
   * settlement, the event) once a poll reports the usage ({@link #settleBackground}), or at once,
   * on the whole allowance, when the gateway keeps no more such calls.
   */
  private void endInTwo(long began, String id) {
    long now = System.nanoTime();
    exchange.addGatewayNanos(now - began);
    exchange.endNanos(now); // the call's own end, for its event
    for (int i = admitted - 1; i >= 0; i--) {
      int phases = pipeline.phases(i);
      if ((phases & CallStage.END) != 0 && (phases & CallStage.USAGE) == 0) {
        endStage(i);
      }
    }
    if (!backgroundResponses.keep(id, this)) {
      runUsageEnds();
    }
  }

  /**
   * Settles a call kept by {@link BackgroundResponses}: on {@code reported} usage, else, for a
   * response that {@code failed} (or was cancelled), on its prompt estimate and no output, else on
   * the estimate it ended with (its whole allowance); then runs the ends that waited for it.
   */
  void settleBackground(Usage reported, boolean failed, String model) {
    Usage usage = reported;
    UsageSource source = UsageSource.REPORTED;
    if (usage == null && failed) {
      usage = Usage.of(exchange.promptTokens(), 0);
      source = UsageSource.ESTIMATED;
    }
    if (usage != null) {
      exchange.usageCapped(usage.exceedsMaxTokens());
      usage = usage.capped();
      exchange.ended(
          exchange.outcome(),
          exchange.status(),
          usage,
          source,
          usage.totalTokens(),
          model != null ? model : exchange.responseModel(),
          null,
          null);
    }
    runUsageEnds();
  }

  /** The size of the request's body, which a call kept for its background response holds. */
  long requestBodyBytes() {
    return exchange.request().rawBody().length;
  }

  /** Runs the ends of the stages that read the call's usage, innermost first. */
  private void runUsageEnds() {
    for (int i = admitted - 1; i >= 0; i--) {
      int phases = pipeline.phases(i);
      if ((phases & CallStage.END) != 0 && (phases & CallStage.USAGE) != 0) {
        endStage(i);
      }
    }
  }

  /**
   * Runs the admitted stages' ends, innermost first. The gateway's time for the call is taken
   * before the outermost stage's end, which reports it.
   */
  private void runEnds(long began) {
    for (int i = admitted - 1; i >= 0; i--) {
      if (i == 0) {
        long now = System.nanoTime();
        exchange.addGatewayNanos(now - began);
        exchange.endNanos(now); // the call's end for its event: the clock read once for both
      }
      if ((pipeline.phases(i) & CallStage.END) != 0) {
        endStage(i);
      }
    }
  }

  /**
   * Runs stage {@code i}'s end. A stage's end does not throw; should one still fail (a part the
   * application plugged in that fails with an {@link Error}, such as a response cache store's), the
   * failure's type is logged and the other stages still end: the limits settle (an in-flight slot
   * is freed) and the call's one event is sent. Only a {@link VirtualMachineError} other than a
   * stack overflow is thrown on.
   */
  private void endStage(int i) {
    try {
      stages[i].end();
    } catch (Throwable e) {
      StageFailures.rethrowIfFatal(e);
      endFailed(i, e);
    }
  }

  private void endFailed(int i, Throwable e) {
    // The type only: a failure's message may quote what the stage held (a prompt, a key).
    log.warn(
        "ai-gateway: stage {} failed to end call {}: {}",
        pipeline.factories().get(i).getClass().getName(),
        exchange.callId(),
        e.getClass().getName());
  }

  private long estimatedOutput(ResponseReadout readout, CallOutcome outcome) {
    if (!exchange.stream() && (!readout.complete() || readout.answerPending())) {
      // A JSON answer not read whole: the backend produced it all, so assume the whole allowance;
      // so for a background response still to be generated, whose usage this call never sees.
      return exchange.outputAllowance();
    }
    long read;
    try {
      read =
          exchange
              .settings()
              .tokenCounter()
              .countText(
                  Exchange.orDefault(readout.model(), exchange.request().model()), readout.text());
    } catch (RuntimeException e) {
      return exchange.outputAllowance();
    }
    if (outcome == CallOutcome.CANCELLED && exchange.settings().closedStreamAllowance()) {
      return Math.max(read, exchange.outputAllowance());
    }
    return read;
  }
}
