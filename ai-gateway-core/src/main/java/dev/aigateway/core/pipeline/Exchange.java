package dev.aigateway.core.pipeline;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolver;
import dev.aigateway.api.LlmRequest;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.wire.ResponseReadout;
import dev.aigateway.core.wire.WireRequest;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;

/**
 * One governed call as the pipeline's stages see it: the request, the consumer, the estimate, the
 * route, and once the call has ended its outcome and usage. Stages read and write it; each keeps
 * its own state in its {@link CallStage}.
 *
 * <p>Not thread-safe, and need not be: a call's admission and attempts run on one thread, and its
 * end runs once on the thread that ended it (read the body's end, closed it, saw the failure) after
 * the adapter has handed the body over.
 */
public final class Exchange {

  // Logged under the call's name, where an application configures the gateway's call logging.
  private static final Logger log = CallLog.logger();

  private static final CallStage[] NO_STAGES = {};
  private static final int[] NO_PHASES = {};

  private final CallSettings settings;
  private WireRequest request;
  private boolean bodyRewritten;
  private final long callId;
  private final Instant startedAt;
  private final long startNanos;
  private final boolean stream;
  private String consumer = CallSettings.ANONYMOUS;
  private long promptEstimate = -1;

  /**
   * The output allowance's tokens ({@link OutputAllowance#tokens(WireRequest, long)}), valid once
   * {@link #allowanceRead}: a number, so that a call within the bound builds no {@link
   * OutputAllowance}; only a refused call does, for its answer.
   */
  private long allowanceTokens;

  private boolean allowanceRead;
  private boolean usageCapped;
  private long reservedTokens;
  private Map<String, String> responseHeaders = Map.of();
  private Route route;
  private CallStage[] stages = NO_STAGES;
  private int[] phases = NO_PHASES;
  private Predicate<String> allowedBackends;

  // What the call came to; set once it has ended (or been answered by a stage).
  private CallOutcome outcome;
  private int status;
  private Usage usage = Usage.ZERO;
  private UsageSource usageSource = UsageSource.NONE;

  /** Where the input count came from, when not from where the output's did; else null. */
  private UsageSource inputSource;

  private long settledTokens;
  private String responseModel;
  private RejectionReason rejection;
  private String errorType;
  private ResponseReadout readout;
  private boolean eventStream;
  private boolean answerReplaced;
  private boolean failedAnswer;
  private boolean backendAnswered;
  private boolean promptFiltered;
  private volatile long firstChunkNanos;
  private long gatewayNanos;
  private long endNanos;

  public Exchange(
      CallSettings settings, WireRequest request, long callId, Instant startedAt, long startNanos) {
    this.settings = settings;
    this.request = request;
    this.callId = callId;
    this.startedAt = startedAt;
    this.startNanos = startNanos;
    this.stream = request.stream();
    this.route = Route.direct(this);
  }

  /** What the call reads of its gateway's configuration. */
  public CallSettings settings() {
    return settings;
  }

  public WireRequest request() {
    return request;
  }

  /**
   * Replaces the request with one whose body a stage rewrote (content safety's redaction), before
   * the stages after it read it: the estimate, the cache key, the prompt log and every attempt then
   * see the rewritten body, and it is what is sent.
   */
  public void rewriteRequest(WireRequest rewritten) {
    if (rewritten.format() != request.format()) {
      throw new IllegalArgumentException(
          "a rewritten request must keep its format " + request.format().name());
    }
    request = rewritten;
    bodyRewritten = true;
    promptEstimate = -1;
    allowanceRead = false;
  }

  /** Whether a stage rewrote the request's body ({@link #rewriteRequest}). */
  public boolean bodyRewritten() {
    return bodyRewritten;
  }

  /** The body to send when no other rewrite applies: null (the application's) unless rewritten. */
  public byte[] bodyToSend() {
    return bodyRewritten ? request.rawBody() : null;
  }

  public long callId() {
    return callId;
  }

  public Instant startedAt() {
    return startedAt;
  }

  public long startNanos() {
    return startNanos;
  }

  /** Whether the application asked for a stream. */
  public boolean stream() {
    return stream;
  }

  /** Who is charged for the call ({@value CallSettings#ANONYMOUS} until resolved or when none). */
  public String consumer() {
    return consumer;
  }

  /**
   * Sets who is charged for the call: {@code resolved} trimmed, as a limit's {@code onlyFor} and an
   * access rule read their consumer ids (a token's {@code sub} written {@code "team-a "} is
   * team-a); {@value CallSettings#ANONYMOUS} when it is null or blank.
   */
  public void consumer(String resolved) {
    String id = CallSettings.resolvedId(resolved);
    consumer = id == null ? CallSettings.ANONYMOUS : id;
  }

  /**
   * Resolves a key for this call, trimmed; null when the resolver yields nothing or fails (a
   * failing resolver is logged, never thrown).
   */
  public String resolve(KeyResolver resolver) {
    try {
      return CallSettings.resolvedId(resolver.resolve(request));
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError fatal) {
        throw fatal;
      }
      // The exception's class only: a resolver that parses a token may quote it in its message.
      // An error (an AssertionError, a NoClassDefFoundError) is ignored alike: logged, no key.
      log.warn(
          "ai-gateway: key resolver {} failed on call {}: {}",
          resolver,
          callId,
          e.getClass().getName());
      return null;
    }
  }

  /** The prompt's estimated tokens, counted once (0 when the body is not understood). */
  public long promptTokens() {
    if (promptEstimate < 0) {
      try {
        if (settings.cachesResponses() && request.bodyUnderstood()) {
          // The cache keys the call on the body's tree after the limits count the prompt: the
          // count reads that tree instead of reading the body a second time.
          request.body();
        }
        promptEstimate =
            request.bodyUnderstood()
                ? request.format().countPrompt(settings.tokenCounter(), request)
                : 0;
      } catch (RuntimeException e) {
        log.warn(
            "ai-gateway: could not count the prompt of call {}: {}",
            callId,
            e.getClass().getName()); // its message could quote the prompt
        promptEstimate = 0;
      }
    }
    return promptEstimate;
  }

  /**
   * The output tokens the call may produce: its own bound (× choices), else the default; saturating
   * at {@link Long#MAX_VALUE} (such a call is refused by {@link AllowanceStage}).
   */
  public long outputAllowance() {
    if (!allowanceRead) {
      allowanceTokens = OutputAllowance.tokens(request, settings.defaultOutputAllowance());
      allowanceRead = true;
    }
    return allowanceTokens;
  }

  /** How the request bounds its output, in full (for the answer to a call refused for it). */
  OutputAllowance allowance() {
    return OutputAllowance.of(request, settings.defaultOutputAllowance());
  }

  /**
   * Whether the gateway asks the stream for its usage and hides it from the app: the app asked for
   * a stream without usage, its format reports usage only when asked, and every backend the call
   * may go to takes the question ({@link Route#acceptsStreamOptions()}).
   */
  public boolean hidesStreamUsage() {
    return settings.injectStreamUsage()
        && stream
        && !request.includeUsageRequested()
        && request.format().asksForStreamUsage()
        && route.acceptsStreamOptions();
  }

  /** The largest number of tokens reserved under any one limit (0 when none was). */
  public long reservedTokens() {
    return reservedTokens;
  }

  public void reservedTokens(long tokens) {
    reservedTokens = tokens;
  }

  /** Headers to add to the response the application gets. */
  public Map<String, String> responseHeaders() {
    return responseHeaders;
  }

  public void responseHeader(String name, String value) {
    if (responseHeaders.isEmpty()) {
      responseHeaders = new LinkedHashMap<>(4);
    }
    responseHeaders.put(name, value);
  }

  /** Where the call's attempts go: the pool's routing, else the direct route. Never null. */
  public Route route() {
    return route;
  }

  /** Replaces the direct route (the routing stage, for a gateway with a backend pool). */
  public void route(Route route) {
    this.route = route;
  }

  /**
   * The backends (by id) the caller's access rule lets the call be routed to; null when it does not
   * restrict them.
   */
  public Predicate<String> allowedBackends() {
    return allowedBackends;
  }

  /** Restricts the backends the call may be routed to (the access stage). */
  public void allowedBackends(Predicate<String> allowed) {
    this.allowedBackends = allowed;
  }

  /**
   * The call's stages in pipeline order (each describes its part of the event): a view of the
   * orchestrator's array, made when asked for (only telemetry asks, once per call).
   */
  public List<CallStage> stages() {
    return Arrays.asList(stages);
  }

  /**
   * Has every stage of the call, in pipeline order, describe its part of the event: the stages'
   * array walked as it is, without a view of it.
   */
  public void describeStages(GatewayEvent.Builder event) {
    CallStage[] all = stages;
    int[] told = phases;
    for (int i = 0; i < all.length; i++) {
      if ((told[i] & CallStage.DESCRIBE) != 0) {
        all[i].describe(event);
      }
    }
  }

  /**
   * Sets the call's stages and, per stage, the phases it takes part in ({@link
   * CallStage.Factory#phases()}): only those with {@link CallStage#DESCRIBE} describe their part of
   * the event. Both arrays are kept, not copied.
   */
  public void stages(CallStage[] stages, int[] phases) {
    if (phases.length != stages.length) {
      throw new IllegalArgumentException(
          phases.length + " stages' phases for " + stages.length + " stages");
    }
    this.stages = stages;
    this.phases = phases;
  }

  /**
   * The model the call asked for, as its event names it and anomaly detection counts it: the
   * deployment a direct Azure OpenAI call's path names ({@code
   * /openai/deployments/{deployment}/...}), which Azure serves whatever model the body writes (as
   * {@code TokenLimit.perModel()} counts it); else, and for a call a backend pool routes (by the
   * model its body asks for), the request's model.
   */
  public String requestedModel() {
    return requestedModel(request, route.pooled());
  }

  /**
   * The model {@code request} asks for: the deployment a direct Azure OpenAI call's path names,
   * which Azure serves whatever model the body writes; else, and for a call a backend pool routes
   * ({@code pooled}: by the model its body asks for), the request's model. The one rule that both
   * {@link #requestedModel()} and {@code TokenLimit.perModel()}'s counter key follow.
   */
  public static String requestedModel(LlmRequest request, boolean pooled) {
    String deployment = request.deployment();
    return deployment != null && !pooled ? deployment : request.model();
  }

  /** The model the call is for: the traffic split's variant, else the model asked for. */
  public String routedModel() {
    return route.routedModel();
  }

  // ---- the call's end

  /**
   * Ends the call with the gateway's own answer: outcome {@code REJECTED}, the rejection's status
   * and reason, nothing used; for a stage's {@code admit} to return.
   */
  public Admission rejected(Rejection rejection) {
    ended(
        CallOutcome.REJECTED,
        rejection.status(),
        Usage.ZERO,
        UsageSource.NONE,
        0,
        null,
        rejection.reason(),
        rejection.reason().headerValue());
    return Admission.rejected(rejection);
  }

  /**
   * Records how the call ended. Called once, by the stage that answered the call or by the
   * orchestrator when a backend's answer or a failure ended it.
   */
  public void ended(
      CallOutcome outcome,
      int status,
      Usage usage,
      UsageSource source,
      long settled,
      String responseModel,
      RejectionReason rejection,
      String errorType) {
    this.outcome = outcome;
    this.status = status;
    this.usage = usage;
    this.usageSource = source;
    this.inputSource = null;
    this.settledTokens = settled;
    this.responseModel = responseModel;
    this.rejection = rejection;
    this.errorType = errorType;
  }

  /** How the call ended; null while it runs. */
  public CallOutcome outcome() {
    return outcome;
  }

  public int status() {
    return status;
  }

  public Usage usage() {
    return usage;
  }

  /** Where the usage came from: its output count's, and its input count's unless told apart. */
  public UsageSource usageSource() {
    return usageSource;
  }

  /** Where the input count came from: {@link #usageSource} unless {@link #inputSource} told. */
  public UsageSource inputSource() {
    return inputSource != null ? inputSource : usageSource;
  }

  /**
   * Tells where the input count came from when not from where the output's did (a stream cut after
   * it reported its input), after {@link #ended}.
   */
  public void inputSource(UsageSource source) {
    this.inputSource = source;
  }

  /** Whether reported counts above {@link Usage#MAX_TOKENS} were capped to it. */
  public boolean usageCapped() {
    return usageCapped;
  }

  public void usageCapped(boolean capped) {
    this.usageCapped = capped;
  }

  /** The tokens every limit's reservation settles to. */
  public long settledTokens() {
    return settledTokens;
  }

  public String responseModel() {
    return responseModel;
  }

  public RejectionReason rejection() {
    return rejection;
  }

  public String errorType() {
    return errorType;
  }

  /** What the body told (usage, model, text, whether it was complete); null without a body. */
  public ResponseReadout readout() {
    return readout;
  }

  public void readout(ResponseReadout readout) {
    this.readout = readout;
  }

  /**
   * Whether the backend refused the prompt for its content filter: an error answer (Azure OpenAI's
   * and Azure AI Foundry's 400 with code {@code content_filter}) the application got as it came.
   */
  public boolean promptFiltered() {
    return promptFiltered;
  }

  /**
   * Records that the backend refused the prompt for its content filter ({@link #promptFiltered}).
   */
  public void promptFiltered(boolean filtered) {
    this.promptFiltered = filtered;
  }

  /**
   * Whether a backend answered the call (any status), on the attempt that ended it or one the call
   * moved on from, as against none (a connection failure on every attempt) or a cache.
   */
  public boolean backendAnswered() {
    return backendAnswered;
  }

  /** Records that a backend answered the call with {@code status}. */
  public void answered(int status) {
    this.status = status;
    this.backendAnswered = true;
  }

  /**
   * Records that a backend answered one of the call's attempts (its status came): the call reached
   * a backend, whatever that answer and its later attempts come to.
   */
  public void attemptAnswered() {
    this.backendAnswered = true;
  }

  /** Whether a stage replaced the backend's JSON answer with one of its own. */
  public boolean answerReplaced() {
    return answerReplaced;
  }

  /**
   * Notes that a stage replaced the backend's JSON answer (its length is then not the backend's).
   */
  public void answerReplaced(boolean replaced) {
    this.answerReplaced = replaced;
  }

  /**
   * Whether the backend ended the answer as failed in a way its body, as the application got it,
   * does not show (a translated answer: {@link
   * dev.aigateway.core.pipeline.AnswerTranslation#failedAnswer}), so that it is not stored.
   */
  public boolean failedAnswer() {
    return failedAnswer;
  }

  /** Notes that the answer is one the backend ended as failed ({@link #failedAnswer()}). */
  public void failedAnswer(boolean failed) {
    this.failedAnswer = failed;
  }

  /** Whether the response body is read as server-sent events. */
  public boolean eventStream() {
    return eventStream;
  }

  public void eventStream(boolean eventStream) {
    this.eventStream = eventStream;
  }

  /** When the first body bytes arrived ({@link System#nanoTime()}), 0 before. */
  public long firstChunkNanos() {
    return firstChunkNanos;
  }

  public void firstChunkNanos(long nanos) {
    firstChunkNanos = nanos;
  }

  /** Time spent in the gateway's own work for this call. */
  public long gatewayNanos() {
    return gatewayNanos;
  }

  public void addGatewayNanos(long nanos) {
    gatewayNanos += nanos;
  }

  /**
   * When the call ended ({@link System#nanoTime()}), taken once the inner stages' ends have run and
   * before the outermost's, which reports it; 0 before.
   */
  public long endNanos() {
    return endNanos;
  }

  /** Sets {@link #endNanos()}. */
  public void endNanos(long nanos) {
    endNanos = nanos;
  }

  public static String orDefault(String value, String fallback) {
    return value == null || value.isBlank() ? fallback : value;
  }
}
