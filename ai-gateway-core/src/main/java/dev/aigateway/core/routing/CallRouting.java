package dev.aigateway.core.routing;

import dev.aigateway.api.Attempt;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.KeyResolver;
import dev.aigateway.api.spi.Credential;
import dev.aigateway.api.spi.CredentialProvider;
import dev.aigateway.api.spi.RequestSigner;
import dev.aigateway.core.pipeline.AttemptPlan;
import dev.aigateway.core.pipeline.CallLog;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.pipeline.Rejections;
import dev.aigateway.core.pipeline.Route;
import dev.aigateway.core.pipeline.StageFailures;
import dev.aigateway.core.translate.TranslatedRequest;
import dev.aigateway.core.translate.TranslationRefusedException;
import dev.aigateway.core.translate.Translations;
import dev.aigateway.core.translate.Translator;
import dev.aigateway.core.wire.SendFailedException;
import dev.aigateway.core.wire.WireFormat;
import dev.aigateway.core.wire.WireRequest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * Where one governed call goes when the gateway has a backend pool: the traffic-split variant and
 * session key, each attempt's backend and request, what each answer or failure means for the
 * backend (breaker, cooldown, rate-limit headers, latency) and whether to move on. The {@code
 * GovernedCall} it belongs to keeps the tokens, the response and the event; this class keeps the
 * attempts, which the event reports.
 *
 * <p>Not thread-safe: a call's attempts are made one after another by the adapter.
 */
final class CallRouting implements Route {

  // Logged under the call's name, where an application configures the gateway's call logging.
  private static final Logger log = CallLog.logger();

  /**
   * The error type of an attempt whose stream, held for its first event, sent an error event
   * instead ({@link #retryAfterErrorEvent}).
   */
  static final String ERROR_EVENT = "error-event";

  private static final Set<String> CREDENTIAL_HEADERS =
      Set.of("authorization", "api-key", "x-goog-api-key", "x-api-key");

  /** What a signed attempt removes of the application's request: its own signature, if any. */
  private static final Set<String> SIGNATURE_HEADERS =
      Set.of(
          "authorization", "api-key", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token");

  /**
   * What a translated attempt removes of the application's request: every credential and signature
   * header, so that a credential meant for one provider never reaches another; and the encoding the
   * application asked for, since the translation reads the backend's answer and gives the
   * application another one (the HTTP client negotiates and inflates the encoding itself then).
   */
  private static final Set<String> TRANSLATED_REMOVED =
      union(union(CREDENTIAL_HEADERS, SIGNATURE_HEADERS), Set.of("accept-encoding"));

  /**
   * {@link #verdictAwaitsFirstEvent}, taken once (compare-and-set) by whichever thread comes first.
   */
  private static final VarHandle VERDICT_AWAITS_FIRST_EVENT;

  static {
    try {
      VERDICT_AWAITS_FIRST_EVENT =
          MethodHandles.lookup()
              .findVarHandle(CallRouting.class, "verdictAwaitsFirstEvent", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Router router;
  private final Clock clock;
  private final long callId;
  private final long callStartNanos;
  private final WireFormat format;

  /** Translates the call for backends of another protocol; null: none is. */
  private final @Nullable Translations translations;

  /** The call's reserved tokens, which capacity-aware balancing weighs. */
  private final LongSupplier estimate;

  /** The body for a backend: the target model to write into it (or null), the bytes to send. */
  private final Function<String, byte[]> bodyFor;

  /** The application's method and body, which a signer signs when the body goes out unchanged. */
  private final String method;

  private final byte[] applicationBody;

  private String routedModel;
  private String variant;
  private String sessionKey;
  private final List<BackendState> tried = new ArrayList<>(2);
  private final List<Attempt> attempts = new ArrayList<>(2);
  private BackendState current;

  /** The permit the current attempt's breaker handed out; its verdict goes back with it. */
  private long permit;

  private boolean currentInFlight;

  /**
   * Whether the current attempt's stream is handed on unheld ({@link #firstEventTimeout()} said
   * null), so that its answer's verdict waits for its first event.
   */
  private boolean unheldStream;

  /**
   * Whether the current attempt's breaker verdict waits for its stream's first event ({@link
   * #firstEvent()}) or, failing that, for the call's end ({@link #streamEnded}).
   */
  private volatile boolean verdictAwaitsFirstEvent;

  /**
   * Whether the current attempt's breaker heard a success before its body was read (its status, or
   * its unheld stream's first event, arrived), so that a body that turns out to be an error answer
   * corrects the verdict ({@link #errorAnswered}).
   */
  private volatile boolean successBeforeBody;

  private long attemptStartNanos;
  private int sameBackendRetries;
  private Duration pendingBackoff = Duration.ZERO;
  private AttemptPlan pendingPlan;

  /**
   * The backend (breaker permit and in-flight slot held) of the next attempt when it follows a
   * backoff: its request, and so its credential, is made only once the backoff is over ({@link
   * #next()}).
   */
  private Selection pendingSelection;

  private String failoverReason;

  /** Whether the call has ended (cancelled, timed out): a credential's wait stops then. */
  private BooleanSupplier callEnded = () -> false;

  /** Whether planning found the call ended while it waited for a credential. */
  private boolean endedWhilePlanning;

  /** The credential the current attempt presented, or null (the backend has no provider). */
  private Credential currentCredential;

  /** Whether the current attempt repeats a 401 with a fresh credential. */
  private boolean currentIsCredentialRetry;

  /** Whether the call has had its one retry with a fresh credential. */
  private boolean credentialRetried;

  /** The backend whose attempt is being repeated with a fresh credential, while planning it. */
  private BackendState retryingCredentialOf;

  /**
   * The attempts recorded for backends skipped because their credential or signature could not be
   * made: nothing was sent to them, so they do not count against the failover's maximum.
   */
  private int unsentAttempts;

  /** The last failure to obtain a backend's credential, or null. */
  private IOException credentialFailure;

  /** The backends the caller's access rule allows, by id; null: all of the pool's. */
  private @Nullable Predicate<String> allowed;

  /**
   * Routes one call, translating it for backends of another protocol with {@code translations}
   * (null: never).
   */
  CallRouting(
      Router router,
      Clock clock,
      long callId,
      long callStartNanos,
      WireFormat format,
      LongSupplier estimate,
      Function<@Nullable String, byte[]> bodyFor,
      String method,
      byte[] applicationBody,
      @Nullable Translations translations) {
    this.translations = translations;
    this.router = router;
    this.method = method;
    this.applicationBody = applicationBody;
    this.clock = clock;
    this.callId = callId;
    this.callStartNanos = callStartNanos;
    this.format = format;
    this.estimate = estimate;
    this.bodyFor = bodyFor;
  }

  /**
   * Resolves the call's variant (traffic split) and session key, and rejects a call no backend can
   * serve: 404 for a model no backend has, 503 when none is available now. Null: routable.
   *
   * @param resolve resolves a key for this call, null when the resolver failed
   */
  public @Nullable Rejection route(
      @Nullable String model, String consumer, Function<KeyResolver, @Nullable String> resolve) {
    TrafficSplit split = router.pool().splitFor(model);
    variant = split == null ? null : split.variantFor(consumer);
    routedModel = variant != null ? variant : model;
    LoadBalancing balancing = router.pool().loadBalancing();
    if (balancing.sessionKey() != null) {
      sessionKey = resolve.apply(balancing.sessionKey());
    }
    if (!router.serves(routedModel, allowed)) {
      return Rejections.modelNotFound(format, routedModel);
    }
    if (!router.anyAvailable(routedModel, allowed)) {
      return unroutable();
    }
    return null;
  }

  /**
   * Leaves out the backends that would need the call translated into their protocol when it cannot
   * be (a field they have no equivalent of: see {@link TranslationRefusedException}), and answers
   * 400 {@code unsupported_parameter} in the call's error shape, naming the field, when that leaves
   * no backend serving the model; null otherwise. Call after {@link #route} admitted the call; no
   * backend has been called yet.
   */
  public @Nullable Rejection refuseUntranslatable(WireRequest request) {
    if (translations == null) {
      return null;
    }
    Map<Translator, TranslationRefusedException> verdicts = null;
    Set<String> refused = null;
    TranslationRefusedException first = null;
    BackendFlavor unserved = null;
    for (Backend backend : router.pool().backends()) {
      if (!backend.serves(routedModel) || (allowed != null && !allowed.test(backend.id()))) {
        continue;
      }
      Translator translator = translations.forBackend(format, backend.flavor());
      if (translator == null) {
        if (!format.servedBy(backend.flavor())) {
          // Not translated and not spoken there (a Responses API call for an Anthropic backend).
          if (refused == null) {
            refused = new HashSet<>();
          }
          refused.add(backend.id());
          if (unserved == null) {
            unserved = backend.flavor();
          }
        }
        continue;
      }
      if (verdicts == null) {
        verdicts = new HashMap<>(4);
      }
      TranslationRefusedException verdict =
          verdicts.containsKey(translator) ? verdicts.get(translator) : check(translator, request);
      if (verdict == null && backend.targetModel(routedModel) == null) {
        verdict = noModel(translator); // the translated request would name none
      }
      verdicts.put(translator, verdict);
      if (verdict != null) {
        if (refused == null) {
          refused = new HashSet<>();
        }
        if (first == null) {
          first = verdict;
        }
        refused.add(backend.id());
      }
    }
    if (refused == null) {
      return null;
    }
    Set<String> untranslatable = refused;
    Predicate<String> translatable = id -> !untranslatable.contains(id);
    allowed = allowed == null ? translatable : allowed.and(translatable);
    if (!router.serves(routedModel, allowed)) {
      if (first == null) {
        return Rejections.invalidRequest(
            format, unservedMessage(unserved), null, "unsupported_operation");
      }
      return Rejections.invalidRequest(
          format, first.getMessage(), first.param(), "unsupported_parameter");
    }
    return router.anyAvailable(routedModel, allowed) ? null : unroutable();
  }

  /**
   * Why a call no backend serving its model speaks is refused: what the call is, and which kind of
   * backend it would have gone to. Names the model, as a 404 for an unknown model does, and nothing
   * else of the request.
   */
  private String unservedMessage(BackendFlavor flavor) {
    String provider =
        switch (flavor) {
          case ANTHROPIC -> "an Anthropic";
          case BEDROCK -> "an Amazon Bedrock";
          case GEMINI -> "a Gemini";
          case VERTEX_AI -> "a Vertex AI";
          default -> "an OpenAI or Azure";
        };
    return "No backend serving '"
        + routedModel
        + "' takes "
        + format.name()
        + " calls: the pool would send this one to "
        + provider
        + " backend, which does not speak this API, and the gateway translates only OpenAI chat"
        + " completions (docs/providers.md, \"One API in front of many providers\"). Map the"
        + " model to a backend that speaks it.";
  }

  /** The refusal of a call that names no model, for a backend that would translate it. */
  private static TranslationRefusedException noModel(Translator translator) {
    return new TranslationRefusedException(
        "model",
        "'model' is missing: the gateway translates this call for a "
            + translator.protocol()
            + " backend, which needs the model the call is for (docs/providers.md, \"One API in"
            + " front of many providers\").");
  }

  private static @Nullable TranslationRefusedException check(
      Translator translator, WireRequest request) {
    if (request.body() == null) {
      return new TranslationRefusedException(
          "body",
          "The request body is not a JSON object the gateway could read, so it cannot be"
              + " translated for "
              + translator.protocol());
    }
    try {
      translator.check(request.body());
      return null;
    } catch (TranslationRefusedException e) {
      return e;
    }
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }

  /**
   * Restricts the call to the backends {@code allowed} admits by id (the caller's access rule);
   * null leaves every backend of the pool. Set before {@link #route}.
   */
  public void restrict(@Nullable Predicate<String> allowed) {
    this.allowed = allowed;
  }

  /**
   * Where to send the call now: the attempt prepared by {@link #retryAfterResponse} or {@link
   * #retryAfterFailure}, else the first one. Null when no backend can take it.
   */
  @Override
  public @Nullable AttemptPlan next() {
    if (pendingSelection != null) {
      Selection selection = pendingSelection;
      pendingSelection = null;
      return planFor(selection);
    }
    if (pendingPlan != null) {
      AttemptPlan plan = pendingPlan;
      pendingPlan = null;
      return plan;
    }
    return planFor(
        router.select(routedModel, tried, sessionKey, estimate.getAsLong(), false, null, allowed));
  }

  @Override
  public void endedWhen(BooleanSupplier ended) {
    this.callEnded = Objects.requireNonNull(ended, "ended");
  }

  @Override
  public boolean endedWhilePlanning() {
    return endedWhilePlanning;
  }

  /** The backoff before the attempt {@link #next()} plans now; zero unless a backend is retried. */
  @Override
  public Duration pendingBackoff() {
    return pendingSelection != null ? pendingBackoff : Duration.ZERO;
  }

  /**
   * The call ended in the backoff before its next attempt: the backend chosen for it is released
   * (no verdict, its in-flight slot freed), and no attempt is recorded, since none was sent.
   */
  @Override
  public void abandonPending() {
    Selection selection = pendingSelection;
    if (selection == null) {
      return;
    }
    pendingSelection = null;
    pendingBackoff = Duration.ZERO;
    selection.backend().breaker().onIgnored(selection.permit());
    selection.backend().callEnded(); // counted in flight when selected
  }

  /**
   * The failure to obtain a backend's credential when {@link #next()} found no backend it could
   * send to; null when it found none available at all.
   */
  @Override
  public @Nullable IOException unsentFailure() {
    return credentialFailure;
  }

  /** The 503 answer when {@link #next()} found no backend. */
  @Override
  public Rejection unroutable() {
    if (router.anyAtCapacity(routedModel, allowed)) {
      return Rejections.backendsAtCapacity(format, routedModel);
    }
    return Rejections.noBackend(
        format, routedModel, router.soonestAvailable(routedModel, allowed), clock);
  }

  /**
   * Records the current attempt's answer (breaker, cooldown, rate-limit headers) and returns true
   * when the call moves on to {@link #next()}; a call the application cancelled never does (no
   * other backend is chosen for it, nor a fresh credential fetched).
   */
  @Override
  public boolean retryAfterResponse(
      int status, Function<String, String> headers, boolean callCanceled) {
    return retryAfterResponse(status, headers, null, callCanceled);
  }

  /**
   * As {@link #retryAfterResponse(int, Function, boolean)}; a 429 or 5xx answer without a
   * retry-after header that asked for a wait in its body ({@code bodyRetryAfter}, a Google error's
   * {@code RetryInfo}) cools its backend down and sets its breaker's trip as the header would.
   */
  @Override
  public boolean retryAfterResponse(
      int status,
      Function<String, String> headers,
      @Nullable Duration bodyRetryAfter,
      boolean callCanceled) {
    BackendState backend = current;
    attempts.add(
        new Attempt(backend.id(), status, null, sinceAttemptStart(), currentIsCredentialRetry));
    backend.rateLimits(BackendHeaders.rateLimits(headers, clock));
    Duration retryAfter =
        status == 429 || status >= 500 ? BackendHeaders.retryAfter(headers, clock) : null;
    if (retryAfter == null && (status == 429 || status >= 500)) {
      retryAfter = bodyRetryAfter; // a Google error's RetryInfo
    }
    if (retryAfter == null && status == 429) {
      // Azure OpenAI's token-rate 429s may say when only in x-ratelimit-reset-tokens.
      retryAfter = BackendHeaders.resetOfSpentWindow(headers);
    }
    CircuitBreakerPolicy policy = router.pool().circuitBreaker();
    if (asksForPause(status) && retryAfter != null) {
      router.coolDown(backend, policy.coolDown(retryAfter));
    }
    successBeforeBody = false;
    if (policy.isFailureStatus(status)) {
      failed(retryAfter);
    } else if (unheldStream) {
      verdictAwaitsFirstEvent = true; // a stream that breaks before its first event failed
    } else {
      backend.breaker().onSuccess(permit);
      successBeforeBody = status >= 200 && status <= 299;
    }
    unheldStream = false;
    if (callCanceled) {
      return false;
    }
    if (status == 401 && retryWithFreshCredential(backend)) {
      return true;
    }
    if (endedWhilePlanning) {
      return false; // the call ended while the retry's fresh credential was awaited
    }
    if (!router.pool().failover().retriesOn(status)) {
      return false;
    }
    return moveOn(status + " from " + backend.id());
  }

  /**
   * Records that the current attempt's held stream sent an error event as its first event, standing
   * for {@code status}: the attempt is recorded as answered 200 with the error type {@link
   * #ERROR_EVENT}, its backend's breaker hears a failure when {@code status} is a failure status
   * (else a success), and the call moves on as after an answer of {@code status} (never when
   * cancelled, nor to repeat a 401 with a fresh credential). The reason is {@code error event from
   * <backend>}.
   */
  @Override
  public boolean retryAfterErrorEvent(
      int status, Function<String, String> headers, boolean callCanceled) {
    return retryAfterErrorEvent(status, headers, null, callCanceled);
  }

  /**
   * As {@link #retryAfterErrorEvent(int, Function, boolean)}; an error event standing for a 429 or
   * 5xx that asked for a wait ({@code eventRetryAfter}, a Google error's {@code RetryInfo}) cools
   * its backend down (429, 503, 529) and sets its breaker's trip, as the same error answered as a
   * JSON document does ({@link #retryAfterResponse(int, Function, Duration, boolean)}).
   */
  @Override
  public boolean retryAfterErrorEvent(
      int status,
      Function<String, String> headers,
      @Nullable Duration eventRetryAfter,
      boolean callCanceled) {
    BackendState backend = current;
    attempts.add(
        new Attempt(backend.id(), 200, ERROR_EVENT, sinceAttemptStart(), currentIsCredentialRetry));
    backend.rateLimits(BackendHeaders.rateLimits(headers, clock));
    successBeforeBody = false; // the verdict heard the error event already
    Duration retryAfter = status == 429 || status >= 500 ? eventRetryAfter : null;
    CircuitBreakerPolicy policy = router.pool().circuitBreaker();
    if (asksForPause(status) && retryAfter != null) {
      router.coolDown(backend, policy.coolDown(retryAfter));
    }
    if (policy.isFailureStatus(status)) {
      failed(retryAfter);
    } else {
      backend.breaker().onSuccess(permit);
    }
    unheldStream = false;
    if (callCanceled || !router.pool().failover().retriesOn(status)) {
      return false;
    }
    return moveOn("error event from " + backend.id());
  }

  /**
   * Whether an answer of {@code status} with a retry-after asks for its backend to be left alone
   * for that long: 429 (too many requests), 503 (unavailable) and 529 (overloaded, as Anthropic
   * answers when its API is busy for everyone).
   */
  private static boolean asksForPause(int status) {
    return status == 429 || status == 503 || status == 529;
  }

  /**
   * Records that the current attempt failed without an answer and returns true when the call moves
   * on to {@link #next()}; a call the application cancelled never does.
   */
  @Override
  public boolean retryAfterFailure(IOException failure, boolean callCanceled) {
    return retryAfterFailure(failure, callCanceled, false);
  }

  /**
   * As {@link #retryAfterFailure(IOException, boolean)}. A call its client's own call timeout ended
   * ({@code callTimedOut}) while the attempt waited for its backend (its answer's headers, or a
   * held stream's first event) is not moved on either, but the attempt is a timeout: it is recorded
   * as one ({@code java.io.InterruptedIOException}) and counts against the backend's breaker as a
   * read timeout does (unless the policy ignores connection failures), so a backend that never
   * answers within the clients' call timeout trips its breaker instead of taking its share of calls
   * for ever. A call the application cancelled gives its backend no verdict.
   */
  @Override
  public boolean retryAfterFailure(
      IOException failure, boolean callCanceled, boolean callTimedOut) {
    BackendState backend = current;
    // A client's unchecked exception is named for itself, not for the gateway's wrapper; an attempt
    // the call's timeout ended as the timeout the call fails with.
    Throwable named =
        failure instanceof SendFailedException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    String errorType =
        callCanceled && callTimedOut && !(named instanceof InterruptedIOException)
            ? InterruptedIOException.class.getName()
            : named.getClass().getName();
    attempts.add(
        new Attempt(backend.id(), 0, errorType, sinceAttemptStart(), currentIsCredentialRetry));
    successBeforeBody = false;
    if (callCanceled) {
      if (callTimedOut && router.pool().circuitBreaker().tripsOnConnectionFailures()) {
        failed(null); // the backend did not answer in the call's time
      } else {
        backend.breaker().onIgnored(permit);
      }
      return false;
    }
    if (router.pool().circuitBreaker().tripsOnConnectionFailures()) {
      failed(null);
    } else {
      backend.breaker().onIgnored(permit);
    }
    return moveOn(named.getClass().getSimpleName() + " from " + backend.id());
  }

  @Override
  public boolean acceptsStreamOptions() {
    return router.pool().acceptsStreamOptions();
  }

  /**
   * How long the current attempt's stream may take to send its first event, held back until then so
   * that the call can still move on: null when it could not move on anyway (no attempt or time
   * left), so the stream need not be held; zero when it may take as long as it takes (a timeout
   * would leave no time for another attempt); else the failover's first-event timeout. A stream not
   * held is handed on as it comes, and its backend's breaker hears how it went once its first event
   * arrived ({@link #firstEvent()}: a success) or the call ended without one ({@link
   * #streamEnded}).
   */
  @Override
  public @Nullable Duration firstEventTimeout() {
    Failover failover = router.pool().failover();
    if (countedAttempts() + 1 >= failover.maxAttempts()) {
      unheldStream = true;
      return null;
    }
    long left = failover.deadlineNanos() - (System.nanoTime() - callStartNanos);
    if (left <= 0) {
      unheldStream = true;
      return null;
    }
    return failover.firstEventTimeoutNanos() < left ? failover.firstEventTimeout() : Duration.ZERO;
  }

  /** The stream handed on unheld sent its first event: its attempt succeeded. */
  @Override
  public void firstEvent() {
    if (verdictAwaitsFirstEvent && VERDICT_AWAITS_FIRST_EVENT.compareAndSet(this, true, false)) {
      current.breaker().onSuccess(permit);
      successBeforeBody = true;
    }
  }

  /**
   * The delivered 2xx answer's body reported an error standing for {@code status} (an error
   * document, or a stream's error event, sent with a 200), whether the body then ended complete or
   * broke off: when its backend's breaker heard a success for it before its body was read, and
   * {@code status} is a failure status, the verdict is corrected to a failure ({@link
   * CircuitBreaker#onLateFailure}). A held stream whose first event was the error was judged on it
   * already, and is not judged again.
   */
  @Override
  public void errorAnswered(int status) {
    if (!successBeforeBody) {
      return;
    }
    successBeforeBody = false;
    if (router.pool().circuitBreaker().isFailureStatus(status)) {
      failedLate();
    }
  }

  /**
   * The delivered 2xx document's read from its backend failed (the connection broke off, a read
   * timed out) before it arrived whole: when its backend's breaker heard a success for it as its
   * status arrived, the verdict is corrected to a failure ({@link CircuitBreaker#onLateFailure}),
   * as for a connection failure (none when the policy ignores those). A stream is judged by its
   * first event instead ({@link #firstEvent()}, {@link #streamEnded}).
   */
  @Override
  public void answerBroke() {
    if (!successBeforeBody) {
      return;
    }
    successBeforeBody = false;
    if (router.pool().circuitBreaker().tripsOnConnectionFailures()) {
      failedLate();
    }
  }

  /**
   * The call ended {@code outcome}: a stream handed on unheld that never sent its first event
   * ended, broke or was cancelled before it. Its attempt failed as a held stream's would have (a
   * connection failure), unless the application cancelled it (no verdict) or it ended complete.
   */
  void streamEnded(CallOutcome outcome) {
    if (!verdictAwaitsFirstEvent || !VERDICT_AWAITS_FIRST_EVENT.compareAndSet(this, true, false)) {
      return;
    }
    CircuitBreaker breaker = current.breaker();
    if (outcome == CallOutcome.SUCCESS) {
      breaker.onSuccess(permit);
    } else if (outcome == CallOutcome.CANCELLED
        || !router.pool().circuitBreaker().tripsOnConnectionFailures()) {
      breaker.onIgnored(permit);
    } else {
      failed(null);
    }
  }

  /** The answer's first bytes came at {@code nanos}: a stream's latency for latency balancing. */
  @Override
  public void firstBytes(long nanos, boolean stream) {
    if (current != null && stream) {
      current.recordLatency(nanos - attemptStartNanos, clock.millis());
    }
  }

  /**
   * The call ended: a complete JSON answer's latency is recorded for latency balancing, and the
   * attempt in flight no longer counts against its backend.
   */
  @Override
  public void callEnded(boolean successfulJson) {
    abandonPending(); // a backend chosen for an attempt that was never planned is released
    if (current == null) {
      return;
    }
    if (successfulJson) {
      current.recordLatency(System.nanoTime() - attemptStartNanos, clock.millis());
    }
    endCurrentAttempt();
  }

  /** The model after the traffic split: the variant, or the model asked for. */
  @Override
  public boolean pooled() {
    return true;
  }

  @Override
  public @Nullable String routedModel() {
    return routedModel;
  }

  /** The traffic-split variant, or null. */
  public @Nullable String variant() {
    return variant;
  }

  /** The backend of the last attempt, or null before any. */
  public @Nullable Backend backend() {
    return current == null ? null : current.backend();
  }

  /** Every attempt that got an answer or failed, in order. */
  public List<Attempt> attempts() {
    return attempts;
  }

  /** Why the call first moved on to another attempt, or null. */
  public @Nullable String failoverReason() {
    return failoverReason;
  }

  /**
   * Repeats the current attempt once per call, with a fresh credential, when the backend refused
   * the one it was sent (401) and its provider can get another. The repeat does not count against
   * the failover's attempts; the deadline still holds. When the fresh credential cannot be
   * obtained, the repeat is recorded (the provider's exception, a credential retry) and the 401
   * stands: it reaches the application, or the call fails over when the failover retries on 401;
   * the failure never moves the call to another backend by itself.
   */
  private boolean retryWithFreshCredential(BackendState backend) {
    CredentialProvider provider = backend.backend().credential();
    if (credentialRetried || provider == null || currentCredential == null) {
      return false;
    }
    if (System.nanoTime() - callStartNanos >= router.pool().failover().deadlineNanos()) {
      return false;
    }
    boolean fresh;
    try {
      fresh = provider.invalidate(currentCredential);
    } catch (RuntimeException | LinkageError | AssertionError | StackOverflowError e) {
      log.warn(
          "ai-gateway: the credential provider of backend {} failed to invalidate a refused"
              + " credential on call {}: {}",
          backend.id(),
          callId,
          e.getClass().getName());
      return false;
    }
    if (!fresh) {
      return false;
    }
    long retryPermit = backend.breaker().tryAcquire();
    if (retryPermit == CircuitBreaker.DENIED) {
      return false;
    }
    credentialRetried = true;
    log.debug(
        "ai-gateway: backend {} refused its credential (401) on call {}; retrying with a fresh one",
        backend.id(),
        callId);
    endCurrentAttempt();
    backend.callStarted(); // the repeat holds the in-flight slot the refused attempt held
    retryingCredentialOf = backend;
    pendingPlan = planFor(new Selection(backend, retryPermit));
    retryingCredentialOf = null;
    return pendingPlan != null;
  }

  /**
   * The attempts that count against the failover's maximum: all but a credential retry and the
   * backends skipped unsent (no credential or signature).
   */
  private int countedAttempts() {
    return (credentialRetried ? attempts.size() - 1 : attempts.size()) - unsentAttempts;
  }

  private boolean moveOn(String reason) {
    Failover failover = router.pool().failover();
    long left = failover.deadlineNanos() - (System.nanoTime() - callStartNanos);
    if (countedAttempts() >= failover.maxAttempts() || left <= 0) {
      return false;
    }
    // The attempt in flight is over once the call moves on: at its backend, its slot may serve
    // the next attempt, even when the backend's cap is reached.
    Selection next =
        router.select(
            routedModel,
            tried,
            sessionKey,
            estimate.getAsLong(),
            true,
            currentInFlight ? current : null,
            allowed);
    if (next == null) {
      return false;
    }
    if (currentInFlight && next.backend() == current) {
      currentInFlight = false; // the slot carries over to the next attempt
    } else {
      endCurrentAttempt();
    }
    if (tried.contains(next.backend())) {
      sameBackendRetries++;
      Duration backoff =
          failover.backoff(sameBackendRetries, ThreadLocalRandom.current().nextDouble());
      // No attempt starts after the deadline: the backoff ends by it at the latest.
      pendingBackoff = backoff.toNanos() > left ? Duration.ofNanos(left) : backoff;
    }
    if (failoverReason == null) {
      failoverReason = reason;
    }
    if (!pendingBackoff.isZero()) {
      // Planned after the backoff (next()): a call that ends in it asks for no credential.
      pendingSelection = next;
      return true;
    }
    pendingPlan = planFor(next);
    return pendingPlan != null;
  }

  /** Builds the request for a selected backend (whose breaker is acquired); null when none. */
  private AttemptPlan planFor(Selection selected) {
    Selection selection = selected;
    while (selection != null) {
      BackendState backend = selection.backend();
      Backend config = backend.backend();
      boolean credentialRetry = backend == retryingCredentialOf;
      Map<String, String> set = new LinkedHashMap<>(2);
      Set<String> remove = Set.of();
      Credential credential = null;
      Map.Entry<String, String> version = BackendRequests.versionHeader(config);
      if (version != null) {
        set.put(version.getKey(), version.getValue());
      }
      String target = config.targetModel(routedModel);
      Translator translator =
          translations == null ? null : translations.forBackend(format, config.flavor());
      byte[] body;
      String url;
      dev.aigateway.core.pipeline.AnswerTranslation answer = null;
      try {
        if (translator != null) {
          if (target == null) {
            throw new TranslationRefusedException("model", "the call names no model");
          }
          byte[] openAiBody = bodyFor.apply(null);
          TranslatedRequest translated =
              translator.translate(
                  openAiBody != null ? openAiBody : applicationBody,
                  target,
                  config.flavor(),
                  config.requestBaseUrl(),
                  config.apiVersion());
          body = translated.body();
          url = config.withBaseQuery(translated.url());
          answer = translated.answer();
          set.putAll(translated.headers());
          remove = TRANSLATED_REMOVED;
        } else {
          body = bodyFor.apply(format.modelInBody(config.flavor()) ? target : null);
          url =
              config.withBaseQuery(
                  format.backendUrl(
                      config.flavor(), config.requestBaseUrl(), config.apiVersion(), target));
        }
        if (config.credential() != null) {
          credential = config.credential().credentialForCall(callEnded);
          if (credential == null) {
            throw new IllegalStateException(
                "the credential provider of backend '" + config.id() + "' returned null");
          }
          Map.Entry<String, String> header = BackendRequests.credentialHeader(config, credential);
          set.put(header.getKey(), header.getValue());
          remove = translator != null ? TRANSLATED_REMOVED : CREDENTIAL_HEADERS;
        }
        RequestSigner signer = config.signer();
        if (signer != null) {
          // Signed last, over exactly what this attempt sends: its URL and its body.
          Map<String, String> signed =
              signer.sign(method, url, body != null ? body : applicationBody);
          BackendRequests.checkSignedHeaders(config, signed);
          set.putAll(signed);
          remove = translator != null ? TRANSLATED_REMOVED : SIGNATURE_HEADERS;
        }
      } catch (IOException | RuntimeException | Error e) {
        if (StageFailures.isFatal(e)) {
          // Out of memory, or the JVM broken: released, and the call ends failed (nextAttempt).
          backend.breaker().onIgnored(selection.permit());
          backend.callEnded(); // counted in flight when selected
          throw (Error) e;
        }
        if (e instanceof InterruptedIOException && callEnded.getAsBoolean()) {
          // The call ended while the credential was awaited: nobody waits for an attempt, so none
          // is recorded and no other backend is tried; the backend is released without a verdict.
          backend.breaker().onIgnored(selection.permit());
          backend.callEnded(); // counted in flight when selected
          endedWhilePlanning = true;
          return null;
        }
        // The class name only: a provider's or signer's message is not ours to vouch for. An
        // error (a class of a missing dependency, a stack overflowed) is a failure like any other.
        log.warn(
            "ai-gateway: no credential or signature for backend {} on call {}: {}",
            config.id(),
            callId,
            e.getClass().getName());
        credentialFailure =
            e instanceof IOException io ? io : new SendFailedException(config.id(), e);
        attempts.add(
            new Attempt(config.id(), 0, e.getClass().getName(), Duration.ZERO, credentialRetry));
        backend.breaker().onIgnored(selection.permit());
        backend.callEnded(); // counted in flight when selected
        if (credentialRetry) {
          return null; // the refused attempt's 401 stands (retryWithFreshCredential)
        }
        unsentAttempts++;
        tried.add(backend);
        selection =
            router.select(
                routedModel, tried, sessionKey, estimate.getAsLong(), false, null, allowed);
        continue;
      }
      current = backend;
      currentCredential = credential;
      currentIsCredentialRetry = credentialRetry;
      permit = selection.permit();
      currentInFlight = true; // counted in flight when selected
      if (!tried.contains(backend)) {
        tried.add(backend);
      }
      Duration backoff = pendingBackoff; // waited out already (pendingBackoff())
      pendingBackoff = Duration.ZERO;
      attemptStartNanos = System.nanoTime();
      return new AttemptPlan(config.id(), url, set, remove, body, backoff, answer);
    }
    return null;
  }

  /**
   * The current attempt failed, as its breaker hears: the breaker counts it, and latency-aware
   * balancing takes it as a sample of the failover's first-event timeout, or of the time it took
   * when that was longer. A failure gives no latency of its own worth ranking by (a backend that
   * refuses at once would rank fastest, or, never measured, be tried first on every call), and the
   * first-event timeout is the longest the gateway waits for an answer to start.
   */
  private void failed(@Nullable Duration retryAfter) {
    current.breaker().onFailure(permit, retryAfter);
    recordFailedLatency();
  }

  /**
   * The current attempt, counted a success when its answer began, failed after all: the breaker's
   * verdict is corrected, and the attempt counts for latency as {@link #failed} says.
   */
  private void failedLate() {
    current.breaker().onLateFailure(permit);
    recordFailedLatency();
  }

  private void recordFailedLatency() {
    long penalty = router.pool().failover().firstEventTimeoutNanos();
    current.recordLatency(Math.max(System.nanoTime() - attemptStartNanos, penalty), clock.millis());
  }

  private void endCurrentAttempt() {
    if (currentInFlight) {
      currentInFlight = false;
      current.callEnded();
    }
  }

  private Duration sinceAttemptStart() {
    return Duration.ofNanos(Math.max(0, System.nanoTime() - attemptStartNanos));
  }
}
