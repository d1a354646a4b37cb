package dev.aigateway.core;

import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallMatcher;
import dev.aigateway.api.CallMatchers;
import dev.aigateway.api.CallerResolver;
import dev.aigateway.api.ConsumerTransition;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.KeyResolver;
import dev.aigateway.api.LogText;
import dev.aigateway.api.RoleResolver;
import dev.aigateway.api.StoreTransition;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.access.AccessPolicy;
import dev.aigateway.core.access.AccessRule;
import dev.aigateway.core.access.AccessStage;
import dev.aigateway.core.access.ToolAccess;
import dev.aigateway.core.adapter.BackgroundResponses;
import dev.aigateway.core.adapter.GovernedCall;
import dev.aigateway.core.agent.A2aAgent;
import dev.aigateway.core.agent.AgentGovernance;
import dev.aigateway.core.agent.AgentInventory;
import dev.aigateway.core.agent.McpServer;
import dev.aigateway.core.anomaly.Anomalies;
import dev.aigateway.core.anomaly.AnomalyDetection;
import dev.aigateway.core.anomaly.AnomalyStage;
import dev.aigateway.core.cache.CacheStage;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.inventory.GatewayInventory;
import dev.aigateway.core.inventory.InventoryOptions;
import dev.aigateway.core.inventory.InventorySection;
import dev.aigateway.core.inventory.InventorySource;
import dev.aigateway.core.limit.CallCounters;
import dev.aigateway.core.limit.GuardedStore;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.core.limit.LimitStage;
import dev.aigateway.core.limit.StoreBreakerPolicy;
import dev.aigateway.core.limit.StoreFailurePolicy;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.pipeline.AllowanceStage;
import dev.aigateway.core.pipeline.CallSettings;
import dev.aigateway.core.pipeline.CallStage;
import dev.aigateway.core.pipeline.Pipeline;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.RouteStage;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.core.safety.SafetyStage;
import dev.aigateway.core.telemetry.PriceTable;
import dev.aigateway.core.telemetry.PromptLog;
import dev.aigateway.core.telemetry.TelemetryStage;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.wire.ClientRequest;
import dev.aigateway.core.wire.WireFormat;
import dev.aigateway.core.wire.WireFormats;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * An in-process AI gateway: the configuration and shared state (limits, counters, listeners) that
 * govern every LLM call made through the clients wrapped with it. Immutable and thread-safe; one
 * instance may wrap many clients, and they then share its counters.
 *
 * <pre>{@code
 * AiGateway gateway = AiGateway.builder()
 *     .consumerKey(KeyResolvers.header("x-consumer-id"))
 *     .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(20_000)
 *         .quota(2_000_000, QuotaPeriod.MONTHLY))
 *     .listener(LoggingListener.create())
 *     .build();
 * OkHttpClient client = OkHttpAiGateway.wrap(existingClient, gateway);
 * }</pre>
 */
public final class AiGateway {

  /** The consumer of calls whose consumer key resolves to nothing. */
  public static final String ANONYMOUS = CallSettings.ANONYMOUS;

  /** Output tokens reserved for a call that sets no {@code max_tokens}, by default. */
  public static final long DEFAULT_OUTPUT_ALLOWANCE = 1024;

  /** Request bodies above this size are sent on unparsed, by default (16 MiB). */
  public static final int DEFAULT_MAX_PARSED_BODY_BYTES = 16 << 20;

  /** Non-streamed response bodies above this size are not parsed for usage, by default (16 MiB). */
  public static final int DEFAULT_MAX_OBSERVED_BODY_BYTES = 16 << 20;

  /** How long a call waits for a token store other than the in-memory one, by default. */
  public static final Duration DEFAULT_STORE_TIMEOUT = Duration.ofSeconds(1);

  private static final Function<String, @Nullable String> NO_HEADERS = name -> null;

  private final KeyResolver consumerKey;
  private final List<TokenLimit> limits;
  private final List<GatewayListener> listeners;
  private final TokenLimitStore store;
  private final Clock clock;
  private final TokenCounter tokenCounter;
  private final long defaultOutputAllowance;
  private final ClosedStreamCharge closedStreamCharge;
  private final int quotaRejectionStatus;
  private final @Nullable CallMatcher callMatcher;
  private final WireFormats wireFormats;
  private final boolean throwOnRejection;
  private final boolean injectStreamUsage;
  private final int maxParsedBodyBytes;
  private final int maxObservedBodyBytes;
  private final Set<String> gatewayHeaders;
  private final AtomicLong callIds = new AtomicLong();
  private final BackgroundResponses backgroundResponses;
  private final @Nullable BackendPool backendPool;
  private final @Nullable PromptLog promptLog;
  private final @Nullable PriceTable priceTable;
  private final @Nullable ResponseCache responseCache;
  private final @Nullable Anomalies anomalies;
  private final @Nullable AccessPolicy accessPolicy;

  /** The pipeline: one factory per configured stage, outermost first, with its phases. */
  private final Pipeline stages;

  /** What each call reads of this configuration, handed to it instead of the gateway. */
  private final CallSettings callSettings;

  private final @Nullable AgentGovernance agentGovernance;

  private AiGateway(Builder b) {
    this.consumerKey = b.consumerKey;
    this.limits = List.copyOf(b.limits);
    this.listeners = List.copyOf(b.listeners);
    this.clock = b.clock;
    this.store =
        b.store != null
            ? b.store
            : new InMemoryTokenLimitStore(b.clock, InMemoryTokenLimitStore.DEFAULT_SWEEP_INTERVAL);
    this.tokenCounter = b.tokenCounter;
    this.defaultOutputAllowance = b.defaultOutputAllowance;
    this.closedStreamCharge = b.closedStreamCharge;
    this.quotaRejectionStatus = b.quotaRejectionStatus;
    this.callMatcher = b.callMatcher;
    this.wireFormats = b.wireFormats;
    this.throwOnRejection = b.throwOnRejection;
    this.injectStreamUsage = b.injectStreamUsage;
    this.maxParsedBodyBytes = b.maxParsedBodyBytes;
    this.maxObservedBodyBytes = b.maxObservedBodyBytes;
    this.backgroundResponses =
        new BackgroundResponses(
            b.maxPendingBackgroundResponses,
            b.maxBackgroundResponseBodyBytes,
            b.backgroundResponseTimeToLive,
            b.clock);
    Set<String> headers = new LinkedHashSet<>();
    if (!b.forwardGatewayHeaders) {
      // The default cache-control header addresses only the gateway whether or not a response
      // cache reads it (none configured, or one that reads another header): it never leaves.
      headers.add(ResponseCache.DEFAULT_CONTROL_HEADER);
      headers.addAll(b.extraGatewayHeaders);
      consumerKey.gatewayHeaders().forEach(h -> headers.add(headerName(h)));
      for (TokenLimit limit : limits) {
        if (limit.counterKey() != null) {
          limit.counterKey().gatewayHeaders().forEach(h -> headers.add(headerName(h)));
        }
      }
    }
    this.promptLog = b.promptLog;
    this.priceTable = b.priceTable;
    this.responseCache = b.responseCache;
    if (responseCache != null && !b.forwardGatewayHeaders) {
      if (responseCache.controlHeader() != null) {
        headers.add(responseCache.controlHeader());
      }
      if (responseCache.varyBy() != null) {
        responseCache.varyBy().gatewayHeaders().forEach(h -> headers.add(headerName(h)));
      }
    }
    this.backendPool = b.backendPool;
    if (backendPool != null && !b.forwardGatewayHeaders) {
      KeyResolver sessionKey = b.backendPool.loadBalancing().sessionKey();
      if (sessionKey != null) {
        sessionKey.gatewayHeaders().forEach(h -> headers.add(headerName(h)));
      }
    }
    this.accessPolicy = b.accessPolicy;
    if (b.callerResolver != null && !b.forwardGatewayHeaders) {
      b.callerResolver.gatewayHeaders().forEach(h -> headers.add(headerName(h)));
    }
    this.gatewayHeaders = Set.copyOf(headers);
    // One guard for the store, shared by the limit stage and the MCP/agent counters: one breaker
    // and one health state, so each change of the store's health is reported once.
    GuardedStore guardedStore =
        GuardedStore.of(
            store,
            b.storeTimeout,
            b.storeFailurePolicy,
            b.storeBreaker,
            clock,
            this::storeTransition);
    this.agentGovernance =
        b.mcpServers.isEmpty() && b.agents.isEmpty()
            ? null
            : AgentGovernance.of(
                b.mcpServers,
                b.agents,
                consumerKey,
                b.callerResolver,
                new CallCounters(guardedStore),
                listeners,
                clock,
                this::nextCallId,
                gatewayHeaders);
    this.anomalies =
        b.anomalyDetection == null
            ? null
            : new Anomalies(b.anomalyDetection, clock, this::consumerTransition);
    this.callSettings =
        new CallSettings(
            wireFormats,
            consumerKey,
            clock,
            tokenCounter,
            defaultOutputAllowance,
            injectStreamUsage,
            responseCache != null,
            quotaRejectionStatus,
            maxParsedBodyBytes,
            maxObservedBodyBytes,
            closedStreamCharge == ClosedStreamCharge.OUTPUT_ALLOWANCE);
    this.stages =
        Pipeline.of(
            pipeline(
                TelemetryStage.of(listeners, promptLog, priceTable, backendPool != null),
                AnomalyStage.witness(anomalies),
                AccessStage.of(accessPolicy, b.callerResolver, backendPool),
                AnomalyStage.of(anomalies),
                SafetyStage.of(b.contentSafety),
                RouteStage.of(backendPool, clock, this::breakerTransition),
                LimitStage.of(limits, guardedStore),
                CacheStage.of(responseCache)));
    List<InventorySection> sections = new ArrayList<>(b.inventorySections);
    if (agentGovernance != null) {
      for (InventorySection own : agentGovernance.inventorySections()) {
        if (b.inventorySectionKeys.contains(own.key())) {
          throw new IllegalArgumentException(
              "inventory section key '"
                  + own.key()
                  + "' is this gateway's own (it governs MCP servers or agents)");
        }
        sections.add(own);
      }
    }
    this.inventorySource =
        new InventorySource(
            clock,
            store,
            limits,
            accessPolicy,
            responseCache,
            anomalies,
            priceTable,
            stages.factories(),
            sections);
  }

  /**
   * The pipeline: telemetry (when configured), the witness of the calls the anomaly stage does not
   * see (when anomaly detection is configured), the allowance check, then the other configured
   * stages in the order given (unconfigured ones are null). Empty when nothing is configured, so
   * calls pass through untouched.
   */
  private static List<CallStage.Factory> pipeline(
      CallStage.@Nullable Factory telemetry,
      CallStage.@Nullable Factory witness,
      CallStage.@Nullable Factory... stages) {
    List<CallStage.Factory> configured = new ArrayList<>(stages.length + 3);
    if (telemetry != null) {
      configured.add(telemetry);
    }
    if (witness != null) {
      configured.add(witness);
    }
    int allowanceAt = configured.size();
    for (CallStage.Factory stage : stages) {
      if (stage != null) {
        configured.add(stage);
      }
    }
    if (configured.isEmpty()) {
      return List.of();
    }
    configured.add(allowanceAt, AllowanceStage.FACTORY);
    return List.copyOf(configured);
  }

  /**
   * Lets a virtual machine error (out of memory, stack overflow) go on; any other failure of a
   * listener, an {@link Error} such as a missing class included, is logged and never reaches the
   * call or the listeners after it.
   */
  private static void rethrowIfFatal(Throwable e) {
    if (e instanceof VirtualMachineError fatal) {
      throw fatal;
    }
  }

  private void breakerTransition(BreakerTransition transition) {
    for (GatewayListener listener : listeners) {
      try {
        listener.onBreakerTransition(transition);
      } catch (RuntimeException | Error e) {
        rethrowIfFatal(e);
        LoggerFactory.getLogger(AiGateway.class)
            .warn(
                "ai-gateway: listener {} failed on a breaker transition of {}",
                listener,
                transition.backendId(),
                e);
      }
    }
  }

  private void storeTransition(StoreTransition transition) {
    for (GatewayListener listener : listeners) {
      try {
        listener.onStoreTransition(transition);
      } catch (RuntimeException | Error e) {
        rethrowIfFatal(e);
        LoggerFactory.getLogger(AiGateway.class)
            .warn(
                "ai-gateway: listener {} failed on a transition of token store {}",
                listener,
                transition.store(),
                e);
      }
    }
  }

  private void consumerTransition(ConsumerTransition transition) {
    for (GatewayListener listener : listeners) {
      try {
        listener.onConsumerTransition(transition);
      } catch (RuntimeException | Error e) {
        rethrowIfFatal(e);
        LoggerFactory.getLogger(AiGateway.class)
            .warn(
                "ai-gateway: listener {} failed on a transition of consumer {}",
                listener,
                LogText.of(transition.consumer()),
                e);
      }
    }
  }

  // ---------------------------------------------------------------- inventory

  /** What the inventory is read from, handed to it instead of the gateway. */
  private final InventorySource inventorySource;

  /**
   * What this gateway governs, read now, with the default options (usage included, at most {@value
   * InventoryOptions#DEFAULT_MAX_CONSUMERS} consumers): see {@link GatewayInventory} and {@code
   * docs/inventory.md}. Thread-safe; calls go on while it is read.
   *
   * <pre>{@code
   * String json = gateway.inventory().toJson();
   * }</pre>
   */
  public GatewayInventory inventory() {
    return inventory(InventoryOptions.defaults());
  }

  /**
   * What this gateway governs, read now; {@code options} bound what reading usage may cost.
   *
   * @throws IllegalStateException when two contributed sections take one key, or one takes a
   *     built-in key
   */
  public GatewayInventory inventory(InventoryOptions options) {
    return GatewayInventory.read(inventorySource, options);
  }

  /** Builds the options and reads the inventory; see {@link #inventory(InventoryOptions)}. */
  public GatewayInventory inventory(InventoryOptions.Builder options) {
    return inventory(options.build());
  }

  /** A new builder with the defaults documented on each setter. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether (and as what) the gateway governs a request; null means it passes through. */
  public @Nullable CallMatch match(String method, String path) {
    return match(method, path, NO_HEADERS);
  }

  /**
   * Whether (and as what) the gateway governs a request, its headers at hand for formats that
   * recognise their calls by a header; null means it passes through.
   *
   * @param headers the request's headers by name (case-insensitive), null when absent
   */
  public @Nullable CallMatch match(
      String method, String path, Function<String, @Nullable String> headers) {
    return callMatcher != null
        ? callMatcher.match(method, path)
        : wireFormats.recognise(method, path, headers);
  }

  /** The wire formats the gateway reads; each call is read, counted and answered by one. */
  public WireFormats wireFormats() {
    return wireFormats;
  }

  /**
   * True when the gateway has nothing to do for any call (no limits, no listeners), so adapters may
   * pass every request through untouched.
   */
  public boolean governsNothing() {
    return stages.isEmpty();
  }

  /**
   * Starts governing one matched call. For client adapters. Background calls whose time is up are
   * settled first ({@link BackgroundResponses#sweepIfDue()}), when there are any.
   */
  public GovernedCall begin(CallMatch match, ClientRequest request) {
    backgroundResponses.sweepIfDue();
    return new GovernedCall(
        callSettings, stages, backgroundResponses, nextCallId(), match, request);
  }

  /**
   * Settles now every Responses API background call that still waits for a poll to report its usage
   * (see {@link Builder#backgroundResponses}), on its whole allowance, each with its one event, as
   * if its time were up. Call it when the application shuts down, before the listeners, ledger and
   * stores the gateway uses are closed: a call that waits when the process ends is otherwise never
   * settled and sends no event. The Spring Boot starter calls it when its context closes. Calls
   * answered later wait as before. Thread-safe; never throws.
   *
   * @return how many calls this settled
   */
  public int settleBackgroundResponses() {
    return backgroundResponses.settleAll();
  }

  /**
   * The Responses API background calls answered before their response was generated, which wait for
   * a poll to report their usage. For client adapters.
   */
  public BackgroundResponses backgroundResponses() {
    return backgroundResponses;
  }

  /** A request header's name as the gateway removes it: trimmed and in lower case. */
  private static String headerName(String name) {
    return name.trim().toLowerCase(Locale.ROOT);
  }

  /**
   * Request headers (lower case) that address only the gateway: a client adapter removes them from
   * the calls it governs, and from the requests it passes through to an origin the gateway sends
   * LLM calls to. Empty with {@code forwardGatewayHeaders(true)}.
   */
  public Set<String> gatewayHeaders() {
    return gatewayHeaders;
  }

  /** Whether rejections are thrown as exceptions rather than answered as synthetic responses. */
  public boolean throwOnRejection() {
    return throwOnRejection;
  }

  /** The clock the gateway reads time from. */
  public Clock clock() {
    return clock;
  }

  /** The store holding the token counters. */
  public TokenLimitStore tokenLimitStore() {
    return store;
  }

  /** The configured limits, in order. */
  public List<TokenLimit> limits() {
    return limits;
  }

  /** The backend pool calls are routed through, or null when calls go where the app sent them. */
  public @Nullable BackendPool backendPool() {
    return backendPool;
  }

  /** The response cache, or null when none is configured. */
  public @Nullable ResponseCache responseCache() {
    return responseCache;
  }

  /**
   * The running anomaly detection: the inventory of consumers, manual block and release.
   *
   * @throws IllegalStateException when the gateway has no anomaly detection
   */
  public Anomalies anomalies() {
    if (anomalies == null) {
      throw new IllegalStateException(
          "this gateway has no anomaly detection; set AiGateway.Builder.anomalyDetection(..)");
    }
    return anomalies;
  }

  /** The access policy, or null when every caller may make every call. */
  public @Nullable AccessPolicy accessPolicy() {
    return accessPolicy;
  }

  /**
   * The pipeline every governed call runs: its stages, outermost first, and the phases each takes
   * part in. For client adapters and the library's own orchestrator; not meant for applications.
   */
  public Pipeline stages() {
    return stages;
  }

  /**
   * What each governed call reads of this gateway's configuration: the values its exchange hands
   * the stages. For client adapters and the library's own orchestrator; not meant for applications.
   */
  public CallSettings callSettings() {
    return callSettings;
  }

  public KeyResolver consumerKey() {
    return consumerKey;
  }

  public TokenCounter tokenCounter() {
    return tokenCounter;
  }

  public long defaultOutputAllowance() {
    return defaultOutputAllowance;
  }

  /** What a stream the application closes early is charged for; see {@link ClosedStreamCharge}. */
  public ClosedStreamCharge closedStreamCharge() {
    return closedStreamCharge;
  }

  /** The status a spent quota is answered with: 403 (the default) or 429. */
  public int quotaRejectionStatus() {
    return quotaRejectionStatus;
  }

  public boolean injectStreamUsage() {
    return injectStreamUsage;
  }

  public int maxParsedBodyBytes() {
    return maxParsedBodyBytes;
  }

  public int maxObservedBodyBytes() {
    return maxObservedBodyBytes;
  }

  public long nextCallId() {
    return callIds.incrementAndGet();
  }

  /**
   * The MCP servers and A2A agents this gateway governs, the tools they listed and the agent cards
   * fetched through it (see {@code docs/agents.md}); empty when none is configured.
   */
  public AgentInventory agents() {
    return agentGovernance == null ? AgentInventory.empty() : agentGovernance.inventory();
  }

  /** The governance of MCP and A2A calls, or null when none is configured. For client adapters. */
  public @Nullable AgentGovernance agentGovernance() {
    return agentGovernance;
  }

  private static final Duration MAX_STORE_TIMEOUT = Duration.ofDays(1);

  /** Builds an {@link AiGateway}. Settings are validated as they are made. */
  public static final class Builder {
    private KeyResolver consumerKey = request -> null;
    // Whether a consumer is ever resolved: a consumer key is set, or a caller resolver that may
    // prove one (a role resolver proves none).
    private boolean consumerKeySet;
    private boolean callerResolverGivesConsumers;
    private final List<TokenLimit> limits = new ArrayList<>();
    private final List<GatewayListener> listeners = new ArrayList<>();
    private @Nullable TokenLimitStore store;
    private Duration storeTimeout = DEFAULT_STORE_TIMEOUT;
    private StoreFailurePolicy storeFailurePolicy = StoreFailurePolicy.failOpen();
    private StoreBreakerPolicy storeBreaker = StoreBreakerPolicy.defaults();
    private Clock clock = Clock.systemUTC();
    private TokenCounter tokenCounter = TokenCounter.defaults();
    private long defaultOutputAllowance = DEFAULT_OUTPUT_ALLOWANCE;
    private ClosedStreamCharge closedStreamCharge = ClosedStreamCharge.TEXT_READ;
    private int quotaRejectionStatus = 403;
    private @Nullable CallMatcher callMatcher;
    private WireFormats wireFormats = WireFormats.defaults();
    private boolean throwOnRejection;
    private boolean injectStreamUsage = true;
    private boolean forwardGatewayHeaders;
    private int maxParsedBodyBytes = DEFAULT_MAX_PARSED_BODY_BYTES;
    private int maxObservedBodyBytes = DEFAULT_MAX_OBSERVED_BODY_BYTES;
    private int maxPendingBackgroundResponses = BackgroundResponses.DEFAULT_MAX_PENDING;
    private long maxBackgroundResponseBodyBytes = BackgroundResponses.DEFAULT_MAX_BODY_BYTES;
    private Duration backgroundResponseTimeToLive = BackgroundResponses.DEFAULT_TIME_TO_LIVE;
    private final Set<String> extraGatewayHeaders = new HashSet<>();
    private @Nullable BackendPool backendPool;
    private @Nullable PromptLog promptLog;
    private @Nullable PriceTable priceTable;
    private @Nullable ResponseCache responseCache;
    private @Nullable AnomalyDetection anomalyDetection;
    private @Nullable ContentSafety contentSafety;
    private @Nullable AccessPolicy accessPolicy;
    private @Nullable CallerResolver callerResolver;

    private Builder() {}

    /**
     * Who the consumer of a call is (see {@link dev.aigateway.api.KeyResolvers}); calls it resolves
     * to nothing are charged to {@value AiGateway#ANONYMOUS}. Default: everyone is anonymous, and
     * {@link #build()} refuses a limit {@linkplain TokenLimit.Builder#onlyFor only for} other
     * consumers and an access rule for another consumer unless a {@link #callerResolver} proves
     * consumers.
     */
    public Builder consumerKey(KeyResolver consumerKey) {
      this.consumerKey = Objects.requireNonNull(consumerKey, "consumerKey");
      this.consumerKeySet = true;
      return this;
    }

    /** Adds a token limit; every limit must admit a call. Names must be unique. */
    public Builder tokenLimit(TokenLimit limit) {
      Objects.requireNonNull(limit, "limit");
      for (TokenLimit existing : limits) {
        if (existing.name().equals(limit.name())) {
          throw new IllegalArgumentException(
              "a token limit named '"
                  + limit.name()
                  + "' was already added: "
                  + existing
                  + "; give one of them another name(..)");
        }
      }
      limits.add(limit);
      return this;
    }

    /** Builds and adds a token limit. */
    public Builder tokenLimit(TokenLimit.Builder limit) {
      return tokenLimit(limit.build());
    }

    /**
     * Adds a listener told of every governed call once it has ended. Adding the same instance again
     * changes nothing: it is told of each call, and each transition, once (a ledger or metrics
     * added both as an application's listener and by a customizer would otherwise count every call
     * twice).
     */
    public Builder listener(GatewayListener listener) {
      Objects.requireNonNull(listener, "listener");
      for (GatewayListener added : listeners) {
        if (added == listener) {
          return this;
        }
      }
      listeners.add(listener);
      return this;
    }

    /**
     * The listeners added so far, in order, as an unmodifiable view: for code that configures a
     * builder others have configured too (a framework adding default metrics unless a listener of
     * that kind is there already).
     */
    public List<GatewayListener> listeners() {
      return Collections.unmodifiableList(listeners);
    }

    /**
     * Where token counters live (default: {@link InMemoryTokenLimitStore} on this clock). A store
     * that fails (throws, answers nothing, or does not answer within {@link #storeTimeout}) never
     * fails a call by surprise: the call gets the {@link #storeFailurePolicy} (by default it goes
     * on without its limits, nothing is charged, and its event says {@link
     * dev.aigateway.api.LimitOutcome#STORE_FAILED}). A store other than the in-memory one is called
     * on the gateway's own threads (at most 64; while a hung store holds them all, calls get the
     * policy at once), behind a {@link #storeBreaker}.
     */
    public Builder tokenLimitStore(TokenLimitStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * How long a call waits for the token store to reserve or settle before it goes on without it
     * (default {@link AiGateway#DEFAULT_STORE_TIMEOUT}, 1 s). Keep it well below the client's call
     * timeout. A reservation that arrives later is refunded. The in-memory store is not bounded: it
     * answers without I/O.
     *
     * @throws IllegalArgumentException when not positive, or longer than one day
     */
    public Builder storeTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_STORE_TIMEOUT) > 0) {
        throw new IllegalArgumentException(
            "storeTimeout must be positive and at most "
                + MAX_STORE_TIMEOUT
                + " but was "
                + timeout);
      }
      this.storeTimeout = timeout;
      return this;
    }

    /**
     * What a call gets when the token store cannot reserve for it (default {@link
     * StoreFailurePolicy#failOpen()}): admitted uncounted, refused with 503 ({@link
     * StoreFailurePolicy#failClosed()}), or counted locally on a share of each limit ({@link
     * StoreFailurePolicy#fallBackToLocal(double)}).
     *
     * <pre>{@code
     * AiGateway.builder()
     *     .tokenLimitStore(redisStore)
     *     .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(20_000))
     *     .storeFailurePolicy(StoreFailurePolicy.fallBackToLocal(1.0 / replicas))
     *     .build();
     * }</pre>
     */
    public Builder storeFailurePolicy(StoreFailurePolicy policy) {
      this.storeFailurePolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * When the gateway stops asking a failing token store (other than the in-memory one), and for
     * how long (default {@link StoreBreakerPolicy#defaults()}: 5 failed reservations in a row, a 1
     * s cool-down doubling per failed probe up to 30 s). While it is open, calls get the {@link
     * #storeFailurePolicy} at once, without waiting for the store timeout.
     */
    public Builder storeBreaker(StoreBreakerPolicy breaker) {
      this.storeBreaker = Objects.requireNonNull(breaker, "breaker");
      return this;
    }

    /** Builds and sets the store breaker; see {@link #storeBreaker(StoreBreakerPolicy)}. */
    public Builder storeBreaker(StoreBreakerPolicy.Builder breaker) {
      return storeBreaker(breaker.build());
    }

    /** The clock for windows and timestamps (default: system UTC); inject one in tests. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** How tokens are counted locally (default: {@link TokenCounter#defaults()}). */
    public Builder tokenCounter(TokenCounter tokenCounter) {
      this.tokenCounter = Objects.requireNonNull(tokenCounter, "tokenCounter");
      return this;
    }

    /** Builds and sets the token counter; see {@link #tokenCounter(TokenCounter)}. */
    public Builder tokenCounter(TokenCounter.Builder tokenCounter) {
      return tokenCounter(tokenCounter.build());
    }

    /**
     * Output tokens reserved per choice for a call that sets no {@code max_tokens} / {@code
     * max_completion_tokens} / {@code max_output_tokens} (default {@value
     * AiGateway#DEFAULT_OUTPUT_ALLOWANCE}), at most {@link Usage#MAX_TOKENS}. Embeddings reserve
     * none.
     */
    public Builder defaultOutputAllowance(long tokens) {
      if (tokens < 0 || tokens > Usage.MAX_TOKENS) {
        throw new IllegalArgumentException(
            "defaultOutputAllowance must be between 0 and "
                + Usage.MAX_TOKENS
                + " (Usage.MAX_TOKENS) but was "
                + tokens);
      }
      this.defaultOutputAllowance = tokens;
      return this;
    }

    /**
     * What a stream the application closes before its end is charged for when the backend has not
     * reported usage yet (default {@link ClosedStreamCharge#TEXT_READ}); see {@link
     * ClosedStreamCharge}.
     */
    public Builder closedStreamCharge(ClosedStreamCharge charge) {
      this.closedStreamCharge = Objects.requireNonNull(charge, "charge");
      return this;
    }

    /**
     * The status a spent quota is answered with (default 403, as Azure API Management's quota
     * policies answer). 429 answers as OpenAI does for a spent account ({@code 429
     * insufficient_quota}), so applications and SDKs that handle only rate-limit errors see it too;
     * the body says {@code insufficient_quota} either way, and {@code Retry-After} gives the
     * window's end.
     *
     * @param status 403 or 429
     */
    public Builder quotaRejectionStatus(int status) {
      if (status != 403 && status != 429) {
        throw new IllegalArgumentException(
            "quotaRejectionStatus must be 403 or 429 but was " + status);
      }
      this.quotaRejectionStatus = status;
      return this;
    }

    /**
     * Which requests are governed (default: those a wire format recognises, which for the library's
     * OpenAI formats are those {@link CallMatchers#openAiAndAzure()} matches). A call this matcher
     * matches is read by the wire format its path and operation name, else by OpenAI's.
     */
    public Builder callMatcher(CallMatcher callMatcher) {
      this.callMatcher = Objects.requireNonNull(callMatcher, "callMatcher");
      return this;
    }

    /**
     * Adds a wire format (a provider protocol), recognised before the ones added earlier and the
     * library's own. For the library's modules and its tests: {@link WireFormat} is internal and
     * may change in any release.
     */
    public Builder wireFormat(WireFormat format) {
      this.wireFormats = wireFormats.with(Objects.requireNonNull(format, "format"));
      return this;
    }

    /**
     * False (default): a rejected call gets a synthetic response in OpenAI's error shape. True: the
     * call throws a {@link dev.aigateway.api.GatewayRejectedException} instead (a {@link
     * dev.aigateway.api.TokenLimitExceededException} for a limit).
     */
    public Builder throwOnRejection(boolean throwOnRejection) {
      this.throwOnRejection = throwOnRejection;
      return this;
    }

    /**
     * True (default): when a streamed chat or completions call does not ask for {@code
     * stream_options.include_usage}, the gateway asks for it, reads the usage, and removes it from
     * what the application sees. False: such streams are settled on a local count.
     */
    public Builder injectStreamUsage(boolean inject) {
      this.injectStreamUsage = inject;
      return this;
    }

    /**
     * True: headers that address only the gateway (the consumer-id header, …) are sent on to the
     * backend. False (default): they are removed from the calls the gateway governs, and from the
     * requests a client adapter passes through (files, models, …) to an origin the gateway sends
     * LLM calls to (a pool backend's, or one the adapter has sent a governed call to).
     */
    public Builder forwardGatewayHeaders(boolean forward) {
      this.forwardGatewayHeaders = forward;
      return this;
    }

    /**
     * Declares another request header as addressing only the gateway (removed before sending); the
     * name is trimmed and read in any case. {@link #build()} refuses it with {@code
     * forwardGatewayHeaders(true)}, which would send it on.
     */
    public Builder gatewayHeader(String name) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("header name must be non-blank but was '" + name + "'");
      }
      extraGatewayHeaders.add(headerName(name));
      return this;
    }

    /**
     * Request bodies larger than this are sent on without being parsed (default 16 MiB); their
     * calls reserve only the output allowance and are settled on the reported usage.
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder maxParsedBodyBytes(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("maxParsedBodyBytes must be >= 0 but was " + bytes);
      }
      this.maxParsedBodyBytes = bytes;
      return this;
    }

    /**
     * Non-streamed response bodies larger than this are passed on without reading their usage
     * (default 16 MiB); their calls are settled on an estimate.
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder maxObservedBodyBytes(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("maxObservedBodyBytes must be >= 0 but was " + bytes);
      }
      this.maxObservedBodyBytes = bytes;
      return this;
    }

    /**
     * How a Responses API background call ({@code "background": true}) answered {@code queued} or
     * {@code in_progress}, its usage still to come, is settled: its reservation stays open and its
     * event unsent until the application polls the response through a wrapped client ({@code GET
     * …/responses/{id}}, {@code POST …/responses/{id}/cancel}) and the answer is terminal; the call
     * is then settled on the usage reported (a failed or cancelled response without usage: its
     * prompt estimate). At most {@code maxPending} calls wait (default {@value
     * BackgroundResponses#DEFAULT_MAX_PENDING}), holding at most {@code maxBodyBytes} of request
     * bodies in all (default 64 MiB: a waiting call keeps its request for its event); a call beyond
     * either bound, and every call with 0, is settled at once on its whole allowance (prompt
     * estimate plus output allowance). Each waits at most {@code timeToLive} (default 1 hour),
     * after which it is settled on its whole allowance; at shutdown, {@link
     * AiGateway#settleBackgroundResponses()} settles the calls that wait so. See {@link
     * BackgroundResponses}.
     *
     * @throws IllegalArgumentException if {@code maxPending} or {@code maxBodyBytes} is negative,
     *     or {@code timeToLive} is not positive
     */
    public Builder backgroundResponses(int maxPending, long maxBodyBytes, Duration timeToLive) {
      BackgroundResponses.checkBounds(maxPending, maxBodyBytes, timeToLive);
      this.maxPendingBackgroundResponses = maxPending;
      this.maxBackgroundResponseBodyBytes = maxBodyBytes;
      this.backgroundResponseTimeToLive = timeToLive;
      return this;
    }

    /**
     * Routes every governed call through this pool of backends: the application keeps calling one
     * URL and model name; the gateway picks the backend, rewrites the call for it, and fails over.
     * Without a pool, calls go where the application sent them.
     */
    public Builder backendPool(BackendPool pool) {
      this.backendPool = Objects.requireNonNull(pool, "pool");
      return this;
    }

    /** Builds and sets the backend pool; see {@link #backendPool(BackendPool)}. */
    public Builder backendPool(BackendPool.Builder pool) {
      return backendPool(pool.build());
    }

    /**
     * Logs the prompts and completions of the calls {@code promptLog} selects (consumers, models,
     * sampling), redacted, to a dedicated logger, off the call path. Off unless set.
     */
    public Builder promptLog(PromptLog promptLog) {
      this.promptLog = Objects.requireNonNull(promptLog, "promptLog");
      return this;
    }

    /** Builds and sets the prompt log; see {@link #promptLog(PromptLog)}. */
    public Builder promptLog(PromptLog.Builder promptLog) {
      return promptLog(promptLog.build());
    }

    /**
     * Prices usage: each event then carries its {@link dev.aigateway.api.UsageInfo#cost()} (the
     * answering model's price, else the requested model's). No prices are built in.
     */
    public Builder priceTable(PriceTable priceTable) {
      this.priceTable = Objects.requireNonNull(priceTable, "priceTable");
      return this;
    }

    /** Builds and sets the price table; see {@link #priceTable(PriceTable)}. */
    public Builder priceTable(PriceTable.Builder priceTable) {
      return priceTable(priceTable.build());
    }

    /**
     * Answers repeated (and, with {@link ResponseCache.Builder#semantic}, similar) calls from a
     * cache, without calling any backend. Off unless set.
     */
    public Builder responseCache(ResponseCache cache) {
      this.responseCache = Objects.requireNonNull(cache, "cache");
      return this;
    }

    /** Answers repeated calls from a cache; see {@link #responseCache(ResponseCache)}. */
    public Builder responseCache(ResponseCache.Builder cache) {
      return responseCache(cache.build());
    }

    /**
     * Learns each consumer's usual usage and flags, throttles or blocks a consumer far from it (see
     * {@link AnomalyDetection}); {@link AiGateway#anomalies()} lists consumers and releases them.
     * Off unless set.
     */
    public Builder anomalyDetection(AnomalyDetection detection) {
      this.anomalyDetection = Objects.requireNonNull(detection, "detection");
      return this;
    }

    /** Builds and sets anomaly detection; see {@link #anomalyDetection(AnomalyDetection)}. */
    public Builder anomalyDetection(AnomalyDetection.Builder detection) {
      return anomalyDetection(detection.build());
    }

    /**
     * Checks prompts before they are sent, and streamed answers as they pass (caps, deny lists,
     * personal data, external checks such as Azure AI Content Safety): see {@link ContentSafety}.
     * Off unless set.
     */
    public Builder contentSafety(ContentSafety safety) {
      this.contentSafety = Objects.requireNonNull(safety, "safety");
      return this;
    }

    /** Checks prompts and streamed answers; see {@link #contentSafety(ContentSafety)}. */
    public Builder contentSafety(ContentSafety.Builder safety) {
      return contentSafety(safety.build());
    }

    /**
     * Checks every call against per-consumer and per-role access rules before anything else is done
     * for it; a call no rule allows is answered 403 {@code access_denied} and never sent. Off
     * unless set. Roles come from {@link #roleResolver} or {@link #callerResolver}.
     *
     * @throws IllegalArgumentException from {@link #build()} when a rule names backends the pool
     *     does not have
     */
    public Builder accessPolicy(AccessPolicy policy) {
      this.accessPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Builds and sets the access policy; see {@link #accessPolicy(AccessPolicy)}. */
    public Builder accessPolicy(AccessPolicy.Builder policy) {
      return accessPolicy(policy.build());
    }

    /**
     * Where a call's roles come from, for the access policy's role rules (a header, a tag, a
     * lambda; see {@link RoleResolver}). Replaces a {@link #callerResolver}. Default: no roles.
     */
    public Builder roleResolver(RoleResolver roles) {
      this.callerResolver = Objects.requireNonNull(roles, "roles").asCallerResolver();
      this.callerResolverGivesConsumers = false;
      return this;
    }

    /**
     * Establishes each call's caller: its roles and, where a credential proves one, its consumer id
     * (which then replaces the {@link #consumerKey}'s). A caller it refuses is answered 401 {@code
     * invalid_token} and never sent, with or without an access policy. {@code ai-gateway-jwt}'s
     * {@code JwtCallerResolver} validates bearer tokens. Replaces a {@link #roleResolver}.
     */
    public Builder callerResolver(CallerResolver callers) {
      this.callerResolver = Objects.requireNonNull(callers, "callers");
      this.callerResolverGivesConsumers = true;
      return this;
    }

    private final List<McpServer> mcpServers = new ArrayList<>();
    private final List<A2aAgent> agents = new ArrayList<>();

    /**
     * Governs the JSON-RPC calls made through wrapped clients to this MCP server (Streamable HTTP):
     * per-tool access, calls per minute, in-flight caps, argument caps, content checks, {@code
     * tools/list} filtering, one event per call. See {@code docs/agents.md}.
     *
     * @throws IllegalArgumentException from {@link #build()} when two servers or agents share a
     *     name or URL
     */
    public Builder mcpServer(McpServer server) {
      mcpServers.add(Objects.requireNonNull(server, "server"));
      return this;
    }

    /** Builds and adds an MCP server; see {@link #mcpServer(McpServer)}. */
    public Builder mcpServer(McpServer.Builder server) {
      return mcpServer(server.build());
    }

    /**
     * Governs the JSON-RPC calls made through wrapped clients to this A2A agent, and remembers its
     * agent card when fetched. See {@code docs/agents.md}.
     *
     * @throws IllegalArgumentException from {@link #build()} when two servers or agents share a
     *     name or URL
     */
    public Builder agent(A2aAgent agent) {
      agents.add(Objects.requireNonNull(agent, "agent"));
      return this;
    }

    /** Builds and adds an A2A agent; see {@link #agent(A2aAgent)}. */
    public Builder agent(A2aAgent.Builder agent) {
      return agent(agent.build());
    }

    // -------------------------------------------------------------- inventory

    private final List<InventorySection> inventorySections = new ArrayList<>();
    // Each section's key as read when it was added: a key read again may have changed.
    private final Set<String> inventorySectionKeys = new HashSet<>();

    /**
     * Adds a section to the gateway's {@linkplain AiGateway#inventory() inventory}, under its own
     * top-level key (for example {@link GatewayInventory#MCP_SERVERS}). A stage whose factory
     * implements {@link InventorySection} contributes without this.
     *
     * @throws IllegalArgumentException when the key is a built-in one or was already added
     */
    public Builder inventorySection(InventorySection section) {
      Objects.requireNonNull(section, "section");
      String key = Objects.requireNonNull(section.key(), "section.key()");
      if (GatewayInventory.BUILT_IN_KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "inventory section key '"
                + key
                + "' is a built-in one: "
                + GatewayInventory.BUILT_IN_KEYS);
      }
      if (!inventorySectionKeys.add(key)) {
        throw new IllegalArgumentException(
            "an inventory section with key '" + key + "' was already added");
      }
      inventorySections.add(section);
      return this;
    }

    /**
     * Builds the gateway.
     *
     * @throws UnresolvedCallersException when a token limit or the prompt log is only for consumers
     *     other than {@value AiGateway#ANONYMOUS}, or an access rule is for such a consumer, while
     *     no consumer is ever resolved (no {@link #consumerKey}, no {@link #callerResolver}): every
     *     call would be {@value AiGateway#ANONYMOUS}'s, so the setting would never apply; likewise
     *     when an MCP server's or an agent's {@link dev.aigateway.core.access.ToolAccess} names
     *     such a consumer; or when an access rule or a tool access entry is for a role while no
     *     {@link #roleResolver} or {@link #callerResolver} gives calls roles
     * @throws IllegalArgumentException when a {@link #gatewayHeader} is declared while {@link
     *     #forwardGatewayHeaders} is true (the header would be sent on, not removed), when a
     *     listener reads the counter key of a token limit the gateway does not have ({@link
     *     GatewayListener#limitsRead()}, a metrics dimension {@code Dimension.counterKey}), or
     *     another setting is refused
     */
    public AiGateway build() {
      requireCallersResolved();
      requireLimitsListenersRead();
      if (forwardGatewayHeaders && !extraGatewayHeaders.isEmpty()) {
        throw new IllegalArgumentException(
            "gatewayHeader(..) declares "
                + new TreeSet<>(extraGatewayHeaders)
                + " as addressing only the gateway, to be removed before sending, but"
                + " forwardGatewayHeaders(true) sends every such header on, so none would be"
                + " removed; drop one of the two settings");
      }
      return new AiGateway(this);
    }

    /**
     * Refuses a listener that reads the counter key of a token limit the gateway does not have
     * ({@link GatewayListener#limitsRead()}): a typo in the name would read no key on any call.
     */
    private void requireLimitsListenersRead() {
      Set<String> names = new LinkedHashSet<>();
      for (TokenLimit limit : limits) {
        names.add(limit.name());
      }
      for (GatewayListener listener : listeners) {
        for (String read : listener.limitsRead()) {
          if (!names.contains(read) && !read.startsWith("mcp:") && !read.startsWith("a2a:")) {
            throw new IllegalArgumentException(
                "listener "
                    + listener
                    + " reads the counter key of limit '"
                    + read
                    + "', but the gateway has no token limit of that name (its token limits are "
                    + names
                    + "): every call would have none; name one of them, or add the limit");
          }
        }
      }
    }

    /**
     * Whether calls' consumers are resolved: a {@link #consumerKey} is set, or a {@link
     * #callerResolver} that may prove them (a {@link #roleResolver} proves none). Without either,
     * every call is {@value AiGateway#ANONYMOUS}'s. For code that configures a builder others
     * configure too, to name its own setting that needs consumers before {@link #build()} refuses
     * it.
     */
    public boolean resolvesConsumers() {
      return consumerKeySet || callerResolverGivesConsumers;
    }

    /**
     * Whether calls' roles are resolved: a {@link #roleResolver} or a {@link #callerResolver} is
     * set. Without either, no call has a role. For code that configures a builder others configure
     * too, as {@link #resolvesConsumers()}.
     */
    public boolean resolvesRoles() {
      return callerResolver != null;
    }

    /**
     * Refuses the first setting that names consumers or roles no call ever has ({@link
     * #namedCallers()}): consumers other than {@value AiGateway#ANONYMOUS} while none is resolved,
     * roles while none is given.
     */
    private void requireCallersResolved() {
      boolean consumers = resolvesConsumers();
      boolean roles = resolvesRoles();
      for (NamedCallers named : namedCallers()) {
        if (!consumers && namesOthersThanAnonymous(named.consumers())) {
          throw named.refused(AccessRule.Subject.CONSUMER, named.consumers());
        }
        if (!roles && !named.roles().isEmpty()) {
          throw named.refused(AccessRule.Subject.ROLE, named.roles());
        }
      }
    }

    /**
     * Every setting that names consumers or roles, with the names: the one list {@link #build()}
     * checks against what resolves them, so that a setting added here is checked as the others.
     */
    private List<NamedCallers> namedCallers() {
      List<NamedCallers> all = new ArrayList<>();
      for (TokenLimit limit : limits) {
        all.add(
            new NamedCallers(
                UnresolvedCallersException.Setting.TOKEN_LIMIT,
                limit.name(),
                "token limit '" + limit.name() + "' applies only to",
                limit.onlyFor(),
                Set.of()));
      }
      if (accessPolicy != null) {
        for (AccessRule rule : accessPolicy.rules()) {
          boolean forRole = rule.subject() == AccessRule.Subject.ROLE;
          all.add(
              new NamedCallers(
                  UnresolvedCallersException.Setting.ACCESS_RULE,
                  rule.name(),
                  "access rule '" + rule.name() + "' is for",
                  forRole ? Set.of() : Set.of(rule.subjectId()),
                  forRole ? Set.of(rule.subjectId()) : Set.of()));
        }
      }
      if (promptLog != null) {
        all.add(
            new NamedCallers(
                UnresolvedCallersException.Setting.PROMPT_LOG,
                null,
                "the prompt log logs only",
                promptLog.consumers(),
                Set.of()));
      }
      for (McpServer server : mcpServers) {
        all.add(
            toolAccess(
                UnresolvedCallersException.Setting.MCP_SERVER,
                server.name(),
                "MCP server '" + server.name() + "' has tool access for",
                server.access()));
      }
      for (A2aAgent agent : agents) {
        all.add(
            toolAccess(
                UnresolvedCallersException.Setting.AGENT,
                agent.id(),
                "agent '" + agent.id() + "' has access for",
                agent.access()));
      }
      return all;
    }

    /** A peer's tool access, which names consumers and roles alike. */
    private static NamedCallers toolAccess(
        UnresolvedCallersException.Setting setting,
        String name,
        String described,
        ToolAccess access) {
      return new NamedCallers(setting, name, described, access.consumers(), access.roles());
    }

    /** One setting that names consumers or roles; {@code described} names the setting. */
    private record NamedCallers(
        UnresolvedCallersException.Setting setting,
        @Nullable String name,
        String described,
        Set<String> consumers,
        Set<String> roles) {

      UnresolvedCallersException refused(AccessRule.Subject subject, Set<String> names) {
        return new UnresolvedCallersException(setting, name, described, subject, names);
      }
    }

    private static boolean namesOthersThanAnonymous(Set<String> consumers) {
      return !consumers.isEmpty() && !Set.of(ANONYMOUS).containsAll(consumers);
    }
  }
}
