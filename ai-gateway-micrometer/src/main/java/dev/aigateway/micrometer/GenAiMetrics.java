package dev.aigateway.micrometer;

import dev.aigateway.api.AnomalySignal;
import dev.aigateway.api.Attempt;
import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.CacheInfo;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.ConsumerState;
import dev.aigateway.api.ConsumerTransition;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.LimitsInfo;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RoutingInfo;
import dev.aigateway.api.SafetyInfo;
import dev.aigateway.api.SafetyOutcome;
import dev.aigateway.api.StoreState;
import dev.aigateway.api.StoreTransition;
import dev.aigateway.api.TimingInfo;
import dev.aigateway.api.ToolCallInfo;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageInfo;
import dev.aigateway.api.UsageSource;
import dev.aigateway.micrometer.CallMeters.Slot;
import dev.aigateway.micrometer.GenAiMetricNames.Attribute;
import dev.aigateway.micrometer.GenAiMetricNames.Metric;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records every governed call into a Micrometer {@link MeterRegistry}, with the OpenTelemetry GenAI
 * metric names ({@code gen_ai.client.token.usage}, {@code gen_ai.client.operation.duration}, {@code
 * gen_ai.client.operation.time_to_first_chunk}) and the gateway's own meters (rejections, backend
 * attempts, failovers, breaker state, token store health, reservation drift, gateway time). All
 * names are in {@link GenAiMetricNames}; {@code docs/metrics.md} lists every meter.
 *
 * <pre>{@code
 * GenAiMetrics metrics = GenAiMetrics.builder(registry)
 *     .dimension("team", Dimension.consumer())
 *     .dimension("tier", event -> event.consumer().startsWith("free-") ? "free" : "paid")
 *     .maxValuesPerDimension(100)
 *     .build();
 * AiGateway gateway = AiGateway.builder().listener(metrics).build();
 * }</pre>
 *
 * <p>Only usage the backend reported is recorded as {@code gen_ai.client.token.usage}; usage the
 * gateway estimated goes to {@code ai_gateway.token.usage.estimated}, never mixed in. Reported
 * prompt-cache reads and writes, reasoning, audio and image tokens (parts of the input and output
 * already recorded) go to {@code ai_gateway.token.usage.detail} by {@code gen_ai.token.type}.
 * Rejected calls record no tokens.
 *
 * <p>Every meter of one name has the same tag keys (as Prometheus requires): an attribute a call
 * does not have is recorded as {@code none}. Custom dimensions, {@code gen_ai.request.model},
 * {@code gen_ai.response.model} and the safety {@code category} (an external check may name any)
 * each admit at most {@link Builder#maxValuesPerDimension(int)} distinct values; later values are
 * recorded as {@code other}, and a warning is logged once.
 *
 * <p>MCP tool calls and A2A agent calls ({@link GatewayEvent#tool()}) are recorded apart, as {@code
 * mcp.client.operation.duration} and {@code ai_gateway.agent.operation.duration} with their payload
 * sizes ({@code ai_gateway.tool.payload.size}); they never reach the LLM meters.
 *
 * <p>Thread-safe. Recording runs on the thread that ended the call, without locks; meters are
 * looked up once per distinct tuple of attribute values and then reused.
 */
public final class GenAiMetrics implements GatewayListener {

  /** The default limit of distinct values per dimension. */
  public static final int DEFAULT_MAX_VALUES_PER_DIMENSION = 100;

  /**
   * The longest value, in characters, a tag takes from a call (a custom dimension, a model, a tool
   * name, ...); a longer value is recorded as {@code other}.
   */
  public static final int MAX_VALUE_LENGTH = 256;

  private static final Operation[] OPERATIONS = Operation.values();
  private static final CallOutcome[] OUTCOMES = CallOutcome.values();
  private static final String[] OUTCOME_NAMES = lowerCaseNames(OUTCOMES);
  private static final String[] STATE_NAMES = lowerCaseNames(BreakerState.values());
  private static final String[] STORE_STATE_NAMES = lowerCaseNames(StoreState.values());
  private static final LimitOutcome[] LIMIT_OUTCOMES = LimitOutcome.values();
  private static final String[] LIMIT_OUTCOME_NAMES = lowerCaseNames(LIMIT_OUTCOMES);
  private static final ConsumerState[] CONSUMER_STATES = ConsumerState.values();
  private static final String[] CONSUMER_STATE_NAMES = lowerCaseNames(CONSUMER_STATES);
  private static final AnomalySignal[] SIGNALS = AnomalySignal.values();

  private final MeterRegistry registry;
  private final String[] dimensionNames;
  private final Dimension[] dimensions;
  private final ValueLimit[] dimensionLimits;
  private final AtomicBoolean[] dimensionFailed;
  private final ValueLimit requestModels;
  private final ValueLimit responseModels;
  private final ValueLimit safetyCategories;
  private final int maxValuesPerDimension;
  private final Logger log;

  private final ConcurrentHashMap<CallMeters.Key, CallMeters> calls = new ConcurrentHashMap<>();
  private final AtomicReferenceArray<Timer> gatewayTimes =
      new AtomicReferenceArray<>(OPERATIONS.length * OUTCOMES.length);
  private final ConcurrentHashMap<AttemptKey, Counter> attempts = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<FailoverKey, Counter> failovers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<TransitionKey, Counter> transitions = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> breakerStates = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> storeStates = new ConcurrentHashMap<>();
  // One counter per (operation, limit outcome), made on first use.
  private final AtomicReferenceArray<Counter> storeFailures =
      new AtomicReferenceArray<>(OPERATIONS.length * LIMIT_OUTCOMES.length);
  // One counter per (from, to, signal or none), made on first use.
  private final AtomicReferenceArray<Counter> consumerTransitions =
      new AtomicReferenceArray<>(
          CONSUMER_STATES.length * CONSUMER_STATES.length * (SIGNALS.length + 1));
  private final ConcurrentHashMap<SafetyKey, Counter> safetyActions = new ConcurrentHashMap<>();
  private volatile @Nullable Timer safetyDuration;
  private final ToolMeters tools;

  private GenAiMetrics(Builder b) {
    this.registry = b.registry;
    this.maxValuesPerDimension = b.maxValuesPerDimension;
    this.log = b.log;
    int n = b.dimensions.size();
    this.dimensionNames = b.dimensions.keySet().toArray(new String[0]);
    this.dimensions = b.dimensions.values().toArray(new Dimension[0]);
    this.dimensionLimits = new ValueLimit[n];
    this.dimensionFailed = new AtomicBoolean[n];
    for (int i = 0; i < n; i++) {
      dimensionLimits[i] = new ValueLimit(dimensionNames[i], maxValuesPerDimension, log);
      dimensionFailed[i] = new AtomicBoolean();
    }
    this.requestModels = new ValueLimit(Attribute.REQUEST_MODEL.key(), maxValuesPerDimension, log);
    this.responseModels =
        new ValueLimit(Attribute.RESPONSE_MODEL.key(), maxValuesPerDimension, log);
    this.safetyCategories = new ValueLimit(Attribute.CATEGORY.key(), maxValuesPerDimension, log);
    this.tools = new ToolMeters(registry, maxValuesPerDimension, log);
  }

  /**
   * Metrics into {@code registry} with no custom dimensions: the one call that binds a registry.
   *
   * <pre>{@code
   * AiGateway.builder().listener(GenAiMetrics.create(registry)).build();
   * }</pre>
   */
  public static GenAiMetrics create(MeterRegistry registry) {
    return builder(registry).build();
  }

  /** A builder of metrics recorded into {@code registry}. */
  public static Builder builder(MeterRegistry registry) {
    return new Builder(registry);
  }

  /** Records one call. Called by the gateway; never throws for a well-formed event. */
  @Override
  public void onEvent(GatewayEvent event) {
    recordStoreFailure(event);
    if (event.tool().kind() != ToolCallInfo.Kind.NONE) {
      tools.record(event); // MCP and A2A calls have meters of their own, no tokens
      recordSafety(event.safety()); // content checks of arguments and results count as any
      return;
    }
    CallMeters meters = callMeters(event);
    if (event.outcome() == CallOutcome.REJECTED) {
      meters.counter(Slot.REJECTIONS).increment();
    } else {
      recordUsage(event, meters);
      recordDrift(event, meters);
      if (event.contentFiltered()) {
        meters.counter(Slot.CONTENT_FILTERED).increment();
      }
    }
    TimingInfo timing = event.timing();
    meters.timer(Slot.DURATION).record(timing.latency());
    if (event.stream() && timing.timeToFirstChunk() != null) {
      meters.timer(Slot.TIME_TO_FIRST_CHUNK).record(timing.timeToFirstChunk());
    }
    gatewayTime(event).record(timing.gatewayTime());
    recordAttempts(event.routing().attempts());
    recordCache(event.cache(), meters);
    recordSafety(event.safety());
  }

  private void recordSafety(SafetyInfo safety) {
    if (safety.externalLatency() != null) {
      Timer timer = safetyDuration;
      if (timer == null) {
        timer =
            Timer.builder(Metric.SAFETY_CHECK_DURATION.meterName())
                .description(Metric.SAFETY_CHECK_DURATION.description())
                .register(registry);
        safetyDuration = timer;
      }
      timer.record(safety.externalLatency());
    }
    if (safety.outcome() == SafetyOutcome.NONE || safety.outcome() == SafetyOutcome.PASSED) {
      return;
    }
    safetyActions
        .computeIfAbsent(
            new SafetyKey(
                orNone(safety.check()),
                safetyCategories.admit(safety.category()),
                safety.outcome().name().toLowerCase(Locale.ROOT)),
            k ->
                Counter.builder(Metric.SAFETY_ACTIONS.meterName())
                    .description(Metric.SAFETY_ACTIONS.description())
                    .tag(Attribute.CHECK.key(), k.check())
                    .tag(Attribute.CATEGORY.key(), k.category())
                    .tag(Attribute.ACTION.key(), k.action())
                    .register(registry))
        .increment();
  }

  private record SafetyKey(String check, String category, String action) {}

  private static void recordCache(CacheInfo cache, CallMeters meters) {
    Slot lookup =
        switch (cache.outcome()) {
          case NONE -> null;
          case BYPASSED -> Slot.CACHE_BYPASSED;
          case MISS -> Slot.CACHE_MISS;
          case EXACT_HIT -> Slot.CACHE_EXACT_HIT;
          case SEMANTIC_HIT -> Slot.CACHE_SEMANTIC_HIT;
          case GUARDED_MISS -> Slot.CACHE_GUARDED_MISS;
        };
    if (lookup == null) {
      return;
    }
    meters.counter(lookup).increment();
    if (cache.semanticSkip() != null) {
      meters.semanticSkips(cache.semanticSkip()).increment();
    }
    if (cache.failure() != null) {
      meters.cacheFailures(cache.failure()).increment();
    }
    if (cache.outcome().hit()) {
      meters.summary(Slot.CACHE_TOKENS_SAVED).record(cache.tokensSaved());
    }
    Slot score =
        switch (cache.outcome()) {
          case SEMANTIC_HIT -> Slot.CACHE_SCORE_SEMANTIC_HIT;
          case MISS -> Slot.CACHE_SCORE_MISS;
          case GUARDED_MISS -> Slot.CACHE_SCORE_GUARDED_MISS;
          default -> null;
        };
    if (score != null && !Double.isNaN(cache.score())) {
      meters.summary(score).record(cache.score());
    }
  }

  /** Records a breaker's new state and counts the transition. Called by the gateway. */
  @Override
  public void onBreakerTransition(BreakerTransition transition) {
    breakerState(transition.backendId()).set(stateCode(transition.to()));
    countTransition(
        new TransitionKey(
            Metric.BREAKER_TRANSITIONS,
            Attribute.BACKEND,
            transition.backendId(),
            STATE_NAMES[transition.from().ordinal()],
            STATE_NAMES[transition.to().ordinal()]));
  }

  /**
   * Records the token store's new health ({@code ai_gateway.token_store.state}: 0 healthy, 1
   * probing, 2 failing) and counts the change. Called by the gateway.
   */
  @Override
  public void onStoreTransition(StoreTransition transition) {
    stateGauge(storeStates, Metric.TOKEN_STORE_STATE, Attribute.STORE, transition.store())
        .set(storeStateCode(transition.to()));
    countTransition(
        new TransitionKey(
            Metric.TOKEN_STORE_TRANSITIONS,
            Attribute.STORE,
            transition.store(),
            STORE_STATE_NAMES[transition.from().ordinal()],
            STORE_STATE_NAMES[transition.to().ordinal()]));
  }

  /** Counts a breaker's or the token store's state change. */
  private void countTransition(TransitionKey key) {
    transitions
        .computeIfAbsent(
            key,
            k ->
                Counter.builder(k.metric().meterName())
                    .description(k.metric().description())
                    .tag(k.subject().key(), k.name())
                    .tag(Attribute.FROM.key(), k.from())
                    .tag(Attribute.TO.key(), k.to())
                    .register(registry))
        .increment();
  }

  /**
   * The state holder of the gauge {@code metric} of {@code name} (tagged {@code subject}),
   * registered at 0 when {@code name} is first seen.
   */
  private AtomicInteger stateGauge(
      ConcurrentHashMap<String, AtomicInteger> states,
      Metric metric,
      Attribute subject,
      String name) {
    AtomicInteger state = states.get(name);
    if (state != null) {
      return state;
    }
    return states.computeIfAbsent(
        name,
        id -> {
          AtomicInteger created = new AtomicInteger();
          Gauge.builder(metric.meterName(), created, AtomicInteger::get)
              .description(metric.description())
              .tag(subject.key(), id)
              .strongReference(true)
              .register(registry);
          return created;
        });
  }

  /**
   * Counts a consumer's anomaly-state change by {@code from}, {@code to} and {@code signal} (the
   * finding's, {@code none} for releases and manual blocks). Never tagged by consumer: there may be
   * many; the inventory and the transition itself name it. Called by the gateway.
   */
  @Override
  public void onConsumerTransition(ConsumerTransition transition) {
    AnomalySignal signal = transition.finding() == null ? null : transition.finding().signal();
    int index =
        (transition.from().ordinal() * CONSUMER_STATES.length + transition.to().ordinal())
                * (SIGNALS.length + 1)
            + (signal == null ? SIGNALS.length : signal.ordinal());
    Counter counter = consumerTransitions.get(index);
    if (counter == null) {
      counter =
          Counter.builder(Metric.CONSUMER_TRANSITIONS.meterName())
              .description(Metric.CONSUMER_TRANSITIONS.description())
              .tag(Attribute.FROM.key(), CONSUMER_STATE_NAMES[transition.from().ordinal()])
              .tag(Attribute.TO.key(), CONSUMER_STATE_NAMES[transition.to().ordinal()])
              .tag(Attribute.SIGNAL.key(), signal == null ? GenAiMetricNames.NONE : signal.label())
              .register(registry); // registering twice returns the same counter
      consumerTransitions.set(index, counter);
    }
    counter.increment();
  }

  private CallMeters callMeters(GatewayEvent event) {
    RoutingInfo routing = event.routing();
    String[] values = new String[CallMeters.FIXED + dimensions.length];
    values[CallMeters.OPERATION] = event.operation().conventionName();
    values[CallMeters.PROVIDER] = orNone(routing.provider());
    values[CallMeters.REQUEST_MODEL] = requestModels.admit(event.requestedModel());
    values[CallMeters.RESPONSE_MODEL] = responseModels.admit(event.responseModel());
    values[CallMeters.SERVER_ADDRESS] = orNone(routing.serverAddress());
    values[CallMeters.SERVER_PORT] =
        routing.serverPort() > 0 ? Integer.toString(routing.serverPort()) : GenAiMetricNames.NONE;
    values[CallMeters.ERROR_TYPE] = errorType(event);
    values[CallMeters.REASON] =
        event.rejection() == null ? GenAiMetricNames.NONE : event.rejection().headerValue();
    values[CallMeters.LIMIT] = orNone(event.limits().rejectedLimit());
    for (int i = 0; i < dimensions.length; i++) {
      values[CallMeters.FIXED + i] = dimensionLimits[i].admit(dimensionValue(i, event));
    }
    CallMeters.Key key = new CallMeters.Key(values);
    CallMeters meters = calls.get(key);
    if (meters == null) {
      meters =
          calls.computeIfAbsent(key, k -> new CallMeters(registry, dimensionNames, k.values()));
    }
    return meters;
  }

  private @Nullable String dimensionValue(int i, GatewayEvent event) {
    try {
      return dimensions[i].valueOf(event);
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError fatal) {
        throw fatal; // out of memory, stack overflow: not the dimension's doing alone
      }
      // An error such as a missing class fails the dimension, not the call's other meters.
      if (!dimensionFailed[i].getAndSet(true)) {
        log.warn(
            "ai-gateway metrics: dimension '{}' threw; recording '{}' whenever it does",
            dimensionNames[i],
            GenAiMetricNames.NONE,
            e);
      }
      return null;
    }
  }

  private static String errorType(GatewayEvent event) {
    if (event.outcome() == CallOutcome.SUCCESS) {
      return GenAiMetricNames.NONE;
    }
    if (event.errorType() != null) {
      return event.errorType();
    }
    return event.rejection() != null
        ? event.rejection().headerValue()
        : GenAiMetricNames.ERROR_TYPE_OTHER;
  }

  private static void recordUsage(GatewayEvent event, CallMeters meters) {
    UsageInfo usage = event.usage();
    record(
        meters,
        usage.inputSource(),
        Slot.REPORTED_INPUT,
        Slot.ESTIMATED_INPUT,
        usage.tokens().inputTokens());
    if (event.operation() != Operation.EMBEDDINGS) { // embeddings have no output tokens
      record(
          meters,
          usage.outputSource(),
          Slot.REPORTED_OUTPUT,
          Slot.ESTIMATED_OUTPUT,
          usage.tokens().outputTokens());
    }
    Usage tokens = usage.tokens();
    if (usage.inputSource() == UsageSource.REPORTED) {
      detail(meters, Slot.DETAIL_CACHE_READ, tokens.cachedInputTokens());
      detail(meters, Slot.DETAIL_CACHE_CREATION, tokens.cacheWriteInputTokens());
      detail(meters, Slot.DETAIL_INPUT_AUDIO, tokens.audioInputTokens());
      detail(meters, Slot.DETAIL_INPUT_IMAGE, tokens.imageInputTokens());
    }
    if (usage.outputSource() == UsageSource.REPORTED) {
      detail(meters, Slot.DETAIL_REASONING, tokens.reasoningTokens());
      detail(meters, Slot.DETAIL_OUTPUT_AUDIO, tokens.audioOutputTokens());
    }
  }

  /** Records a reported kind of tokens, when the call reported any. */
  private static void detail(CallMeters meters, Slot slot, long tokens) {
    if (tokens > 0) {
      meters.summary(slot).record(tokens);
    }
  }

  private static void record(
      CallMeters meters, UsageSource source, Slot reported, Slot estimated, long tokens) {
    switch (source) {
      case REPORTED -> meters.summary(reported).record(tokens);
      case ESTIMATED -> meters.summary(estimated).record(tokens);
      case NONE -> {}
    }
  }

  private static void recordDrift(GatewayEvent event, CallMeters meters) {
    // Refunded calls settle to 0 by design; only calls that kept their charge say how good the
    // reservation was (a call cancelled before any answer came kept none). Limits that reserve
    // nothing up front have no drift to speak of.
    boolean settled =
        event.outcome() == CallOutcome.SUCCESS
            || event.outcome() == CallOutcome.TRUNCATED
            || (event.outcome() == CallOutcome.CANCELLED
                && event.usage().inputSource() != UsageSource.NONE);
    LimitsInfo limits = event.limits();
    if (!settled
        || limits.reservedTokens() <= 0
        || event.cache().outcome().hit()
        || limits.outcome() == LimitOutcome.SETTLE_FAILED) {
      // A cache hit is refunded (or charged its old cost) by design, not estimated; a store that
      // failed to settle charged something else than settledTokens.
      return;
    }
    long drift = limits.settledTokens() - limits.reservedTokens();
    if (drift > 0) {
      meters.summary(Slot.DRIFT_UNDER).record(drift);
    } else {
      meters.summary(Slot.DRIFT_OVER).record(-drift);
    }
  }

  /**
   * Counts a call the token store failed (reservation or settlement), by what the gateway did
   * instead: a store that fails now and then stays below its breaker's threshold, so no transition
   * tells of those calls.
   */
  private void recordStoreFailure(GatewayEvent event) {
    LimitOutcome outcome = event.limits().outcome();
    if (outcome != LimitOutcome.STORE_FAILED
        && outcome != LimitOutcome.SETTLE_FAILED
        && outcome != LimitOutcome.FALLBACK_SETTLED
        && outcome != LimitOutcome.FALLBACK_REJECTED) {
      return;
    }
    int index = event.operation().ordinal() * LIMIT_OUTCOMES.length + outcome.ordinal();
    Counter counter = storeFailures.get(index);
    if (counter == null) {
      counter =
          Counter.builder(Metric.TOKEN_STORE_FAILURES.meterName())
              .description(Metric.TOKEN_STORE_FAILURES.description())
              .tag(Attribute.OPERATION_NAME.key(), event.operation().conventionName())
              .tag(Attribute.OUTCOME.key(), LIMIT_OUTCOME_NAMES[outcome.ordinal()])
              .register(registry); // registering twice returns the same counter
      storeFailures.set(index, counter);
    }
    counter.increment();
  }

  private Timer gatewayTime(GatewayEvent event) {
    int index = event.operation().ordinal() * OUTCOMES.length + event.outcome().ordinal();
    Timer timer = gatewayTimes.get(index);
    if (timer == null) {
      timer =
          Timer.builder(Metric.GATEWAY_TIME.meterName())
              .description(Metric.GATEWAY_TIME.description())
              .tag(Attribute.OPERATION_NAME.key(), event.operation().conventionName())
              .tag(Attribute.OUTCOME.key(), OUTCOME_NAMES[event.outcome().ordinal()])
              .register(registry);
      gatewayTimes.set(index, timer);
    }
    return timer;
  }

  private void recordAttempts(List<Attempt> tries) {
    Attempt previous = null;
    for (Attempt attempt : tries) {
      breakerState(attempt.backendId());
      attempts
          .computeIfAbsent(
              new AttemptKey(attempt.backendId(), attempt.status(), attempt.errorType()),
              k ->
                  Counter.builder(Metric.ATTEMPTS.meterName())
                      .description(Metric.ATTEMPTS.description())
                      .tag(Attribute.BACKEND.key(), k.backend())
                      .tag(
                          Attribute.STATUS.key(),
                          k.status() > 0 ? Integer.toString(k.status()) : GenAiMetricNames.NONE)
                      .tag(Attribute.ERROR_TYPE.key(), orNone(k.errorType()))
                      .register(registry))
          .increment();
      if (previous != null && !previous.backendId().equals(attempt.backendId())) {
        String reason =
            previous.status() > 0
                ? Integer.toString(previous.status())
                : orNone(previous.errorType());
        failovers
            .computeIfAbsent(
                new FailoverKey(previous.backendId(), attempt.backendId(), reason),
                k ->
                    Counter.builder(Metric.FAILOVERS.meterName())
                        .description(Metric.FAILOVERS.description())
                        .tag(Attribute.FROM.key(), k.from())
                        .tag(Attribute.TO.key(), k.to())
                        .tag(Attribute.REASON.key(), k.reason())
                        .register(registry))
            .increment();
      }
      previous = attempt;
    }
  }

  /**
   * The state holder of a backend's gauge, registered (closed, 0) when the backend is first seen.
   */
  private AtomicInteger breakerState(String backendId) {
    return stateGauge(breakerStates, Metric.BREAKER_STATE, Attribute.BACKEND, backendId);
  }

  private static int stateCode(BreakerState state) {
    return switch (state) {
      case CLOSED -> 0;
      case HALF_OPEN -> 1;
      case OPEN -> 2;
    };
  }

  private static int storeStateCode(StoreState state) {
    return switch (state) {
      case HEALTHY -> 0;
      case PROBING -> 1;
      case FAILING -> 2;
    };
  }

  private static String orNone(String value) {
    return value == null || value.isEmpty() ? GenAiMetricNames.NONE : value;
  }

  private static String[] lowerCaseNames(Enum<?>[] constants) {
    String[] names = new String[constants.length];
    for (Enum<?> constant : constants) {
      names[constant.ordinal()] = constant.name().toLowerCase(Locale.ROOT);
    }
    return names;
  }

  /**
   * The limits whose counter keys the {@link Dimension#counterKey} dimensions read, in the order
   * they were added; the gateway refuses the metrics when it has no token limit of one of these
   * names.
   */
  @Override
  public Set<String> limitsRead() {
    Set<String> names = new LinkedHashSet<>();
    for (Dimension dimension : dimensions) {
      if (dimension instanceof CounterKeyDimension counterKey) {
        names.add(counterKey.limitName());
      }
    }
    return Collections.unmodifiableSet(names);
  }

  @Override
  public String toString() {
    return "GenAiMetrics{dimensions="
        + List.of(dimensionNames)
        + ", maxValuesPerDimension="
        + maxValuesPerDimension
        + "}";
  }

  private record AttemptKey(String backend, int status, String errorType) {}

  private record FailoverKey(String from, String to, String reason) {}

  /** A state change's counter: its meter, what changed (a backend, a store), from and to. */
  private record TransitionKey(
      Metric metric, Attribute subject, String name, String from, String to) {}

  /**
   * Builds {@link GenAiMetrics}. Not thread-safe; the built metrics keep a copy of the
   * configuration.
   */
  public static final class Builder {
    private final MeterRegistry registry;
    private final Map<String, Dimension> dimensions = new LinkedHashMap<>();
    private int maxValuesPerDimension = DEFAULT_MAX_VALUES_PER_DIMENSION;
    private Logger log = LoggerFactory.getLogger(GenAiMetrics.class);

    private Builder(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /**
     * Adds a custom dimension: a tag named {@code name} on the token usage, duration, time to first
     * chunk, rejection, drift and cache meters, valued per call by {@code dimension}.
     *
     * <pre>{@code
     * builder.dimension("team", Dimension.counterKey("per-team"))
     *     .dimension("backend", Dimension.backend());
     * }</pre>
     *
     * @throws IllegalArgumentException when the name is blank, is already a tag key of those meters
     *     (such as {@code gen_ai.request.model}, {@code error.type} or the cache meters' {@code
     *     outcome}; see {@link GenAiMetricNames.Attribute}) or was already added, or when a
     *     registry that writes tag keys with underscores (Prometheus) would export it under the
     *     same key as one of those or as a dimension added before ({@code error_type} as {@code
     *     error.type}, {@code team_name} as {@code team.name})
     */
    public Builder dimension(String name, Dimension dimension) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(dimension, "dimension");
      if (name.isBlank()) {
        throw new IllegalArgumentException(
            "a dimension name must not be blank but was '" + name + "'");
      }
      if (CallMeters.BUILT_IN_KEYS.contains(name)) {
        throw new IllegalArgumentException(
            "dimension name '" + name + "' is a built-in attribute; choose another name");
      }
      if (dimensions.containsKey(name)) {
        throw new IllegalArgumentException("dimension '" + name + "' was already added");
      }
      String exported = exportedKey(name);
      for (String builtIn : CallMeters.BUILT_IN_KEYS) {
        if (exportedKey(builtIn).equals(exported)) {
          throw exportClash(name, exported, "built-in attribute '" + builtIn + "'");
        }
      }
      for (String added : dimensions.keySet()) {
        if (exportedKey(added).equals(exported)) {
          throw exportClash(name, exported, "dimension '" + added + "'");
        }
      }
      dimensions.put(name, dimension);
      return this;
    }

    /**
     * The key {@code name} is exported under by a registry that writes tag keys with underscores,
     * as Prometheus does ({@code error.type} as {@code error_type}): every character other than a
     * letter, a digit or an underscore made an underscore.
     */
    private static String exportedKey(String name) {
      StringBuilder key = new StringBuilder(name.length());
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        boolean kept =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        key.append(kept ? c : '_');
      }
      return key.toString();
    }

    private static IllegalArgumentException exportClash(
        String name, String exported, String other) {
      return new IllegalArgumentException(
          "dimension name '"
              + name
              + "' is exported as '"
              + exported
              + "', as "
              + other
              + " is by registries that write tag keys with underscores (Prometheus); choose"
              + " another name");
    }

    /**
     * How many distinct values each custom dimension, {@code gen_ai.request.model}, {@code
     * gen_ai.response.model} and the safety {@code category} may take (default {@value
     * GenAiMetrics#DEFAULT_MAX_VALUES_PER_DIMENSION}); later values are recorded as {@code other}
     * and a warning is logged once per dimension.
     *
     * @throws IllegalArgumentException when {@code max} is below 1
     */
    public Builder maxValuesPerDimension(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxValuesPerDimension must be >= 1 but was " + max);
      }
      this.maxValuesPerDimension = max;
      return this;
    }

    /** Where warnings go; tests capture them here. */
    Builder logger(Logger log) {
      this.log = Objects.requireNonNull(log, "log");
      return this;
    }

    /** The metrics, ready to pass to {@code AiGateway.Builder.listener}. */
    public GenAiMetrics build() {
      return new GenAiMetrics(this);
    }
  }
}
