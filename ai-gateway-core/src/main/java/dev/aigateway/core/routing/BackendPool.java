package dev.aigateway.core.routing;

import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.spi.BackendHealthChannel;
import dev.aigateway.core.wire.AzureApiVersions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The backends a gateway routes calls to, and how: load balancing within priority tiers, a circuit
 * breaker per backend, failover, and traffic splits. Immutable.
 *
 * <pre>{@code
 * BackendPool pool = BackendPool.builder()
 *     .backend(ptu)                                     // priority 1
 *     .backend(paygoEast).backend(paygoWest)            // priority 2
 *     .loadBalancing(LoadBalancing.weighted())
 *     .circuitBreaker(CircuitBreakerPolicy.builder().failureCount(3, Duration.ofSeconds(10)).build())
 *     .failover(Failover.builder().maxAttempts(3).build())
 *     .split(TrafficSplit.forModel("gpt-4o").send(10, "gpt-4.1").build())
 *     .build();
 * AiGateway gateway = AiGateway.builder().backendPool(pool).build();
 * }</pre>
 *
 * <p>With a pool, the application keeps calling one URL and one model name: every governed call is
 * sent to a backend of the pool, rewritten for it (URL, model or deployment, credential).
 *
 * <p>Each gateway keeps its own state of the pool's backends (breakers, cool-downs). With {@link
 * Builder#sharedHealth}, the gateways of every instance of the application tell each other when a
 * backend cools down, trips or recovers (see {@code docs/scale-out-health.md}).
 */
public final class BackendPool {

  /** The name of a pool that was given none. */
  public static final String DEFAULT_NAME = "default";

  private final String name;
  private final @Nullable BackendHealthChannel sharedHealth;

  private final List<Backend> backends;
  private final LoadBalancing loadBalancing;
  private final CircuitBreakerPolicy circuitBreaker;
  private final Failover failover;
  private final Map<String, TrafficSplit> splits;

  /** Whether no backend is an Azure OpenAI API version that refuses {@code stream_options}. */
  private final boolean acceptsStreamOptions;

  private BackendPool(Builder b) {
    this.name = b.name;
    this.sharedHealth = b.sharedHealth;
    this.backends = List.copyOf(b.backends);
    this.loadBalancing = b.loadBalancing;
    this.circuitBreaker = b.circuitBreaker;
    this.failover = b.failover;
    this.splits = Map.copyOf(b.splits);
    this.acceptsStreamOptions = backends.stream().allMatch(BackendPool::acceptsStreamOptions);
  }

  /**
   * Whether a backend takes {@code stream_options}: every one but an Azure OpenAI backend pinned to
   * an api-version from before {@value AzureApiVersions#FIRST_WITH_STREAM_OPTIONS} and an Azure AI
   * Foundry backend, whose model inference API has none ({@link
   * AzureApiVersions#acceptsStreamOptions(String, String)}). Another flavour's version is no Azure
   * api-version (an Anthropic backend's is its {@code anthropic-version}, such as 2023-06-01, and
   * its calls are translated, their usage written from Anthropic's counts).
   */
  private static boolean acceptsStreamOptions(Backend backend) {
    boolean azure =
        backend.flavor() == BackendFlavor.AZURE_OPENAI
            || backend.flavor() == BackendFlavor.AZURE_AI_INFERENCE;
    return AzureApiVersions.acceptsStreamOptions(
        backend.flavor().providerName(), azure ? backend.apiVersion() : null);
  }

  /**
   * Whether a call may ask its stream for usage whichever backend takes it: false when a backend is
   * an Azure OpenAI API version from before {@value AzureApiVersions#FIRST_WITH_STREAM_OPTIONS} or
   * Azure AI Foundry, which refuse {@code stream_options} (such a pool's streams are settled on a
   * count of their text unless the application asks for usage itself).
   */
  boolean acceptsStreamOptions() {
    return acceptsStreamOptions;
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The pool's name, which its shared health signals are addressed by. */
  public String name() {
    return name;
  }

  /** The channel the pool shares backend health over, or null when each gateway keeps its own. */
  public @Nullable BackendHealthChannel sharedHealth() {
    return sharedHealth;
  }

  /** The backends, in the order added. */
  public List<Backend> backends() {
    return backends;
  }

  /** The strategy within a priority tier. */
  public LoadBalancing loadBalancing() {
    return loadBalancing;
  }

  /** The circuit breaker policy every backend gets its own breaker from. */
  public CircuitBreakerPolicy circuitBreaker() {
    return circuitBreaker;
  }

  /** When calls move to another backend. */
  public Failover failover() {
    return failover;
  }

  /** The traffic split for a model alias, or null. */
  public @Nullable TrafficSplit splitFor(@Nullable String model) {
    return model == null ? null : splits.get(model);
  }

  @Override
  public String toString() {
    return "BackendPool{" + name + ", " + backends + ", " + loadBalancing + "}";
  }

  /** Builds a {@link BackendPool}. */
  public static final class Builder {
    private final List<Backend> backends = new ArrayList<>();
    private final Set<String> ids = new HashSet<>();
    private LoadBalancing loadBalancing = LoadBalancing.roundRobin();
    private CircuitBreakerPolicy circuitBreaker = CircuitBreakerPolicy.defaults();
    private Failover failover = Failover.defaults();
    private final Map<String, TrafficSplit> splits = new HashMap<>();
    private String name = DEFAULT_NAME;
    private @Nullable BackendHealthChannel sharedHealth;

    private Builder() {}

    /**
     * The pool's name (default {@value #DEFAULT_NAME}): the health signals of {@link #sharedHealth}
     * are addressed by it, so pools that share a channel but not their backends need different
     * names, and the same pool in every instance needs the same one.
     */
    public Builder name(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException(
            "a pool's name must not be blank but was '" + name + "'");
      }
      this.name = name;
      return this;
    }

    /**
     * Shares backend health with the other instances of the application over {@code channel}: when
     * a call finds a backend cooling down (a 429, 503 or 529 with a retry-after) or its breaker
     * trips or recovers, the gateway publishes it, and it applies what other instances publish for
     * this pool ({@link #name}): a received cool-down or trip keeps the backend unavailable for the
     * signal's remaining time (capped by the breaker policy's {@code maxTripDuration}), then it
     * comes back as after a local one. Publishing never blocks or fails a call; when the channel is
     * down, each instance goes on with its own view.
     *
     * <pre>{@code
     * RedisConnection redis = RedisConnection.builder().uri("redis://redis.internal:6379").build();
     * BackendPool pool = BackendPool.builder()
     *     .name("chat")
     *     .backend(east).backend(west)
     *     .sharedHealth(new RedisBackendHealthChannel(redis))
     *     .build();
     * }</pre>
     *
     * <p>It is set on the pool, not on the gateway, because it is health of the pool's backends:
     * signals are addressed by the pool's name and backend ids, and capped by the pool's breaker
     * policy. Each gateway built with the pool subscribes for as long as it is reachable.
     */
    public Builder sharedHealth(BackendHealthChannel channel) {
      if (sharedHealth != null) {
        throw new IllegalStateException("shared health was already set to " + sharedHealth);
      }
      this.sharedHealth = Objects.requireNonNull(channel, "channel");
      return this;
    }

    /** Adds a backend; ids must be unique. */
    public Builder backend(Backend backend) {
      Objects.requireNonNull(backend, "backend");
      if (!ids.add(backend.id())) {
        throw new IllegalArgumentException(
            "a backend with id '" + backend.id() + "' was already added");
      }
      backends.add(backend);
      return this;
    }

    /** Builds and adds a backend. */
    public Builder backend(Backend.Builder backend) {
      return backend(backend.build());
    }

    /** The strategy within a priority tier (default round-robin). */
    public Builder loadBalancing(LoadBalancing loadBalancing) {
      this.loadBalancing = Objects.requireNonNull(loadBalancing, "loadBalancing");
      return this;
    }

    /** The breaker policy (default {@link CircuitBreakerPolicy#defaults()}). */
    public Builder circuitBreaker(CircuitBreakerPolicy policy) {
      this.circuitBreaker = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Builds and sets the breaker policy; see {@link #circuitBreaker(CircuitBreakerPolicy)}. */
    public Builder circuitBreaker(CircuitBreakerPolicy.Builder policy) {
      return circuitBreaker(policy.build());
    }

    /** The failover policy (default {@link Failover#defaults()}). */
    public Builder failover(Failover failover) {
      this.failover = Objects.requireNonNull(failover, "failover");
      return this;
    }

    /** Builds and sets the failover policy; see {@link #failover(Failover)}. */
    public Builder failover(Failover.Builder failover) {
      return failover(failover.build());
    }

    /** Adds a traffic split; one per model alias. */
    public Builder split(TrafficSplit split) {
      Objects.requireNonNull(split, "split");
      if (splits.putIfAbsent(split.model(), split) != null) {
        throw new IllegalArgumentException(
            "model '" + split.model() + "' already has a split: " + splits.get(split.model()));
      }
      return this;
    }

    /** Builds and sets a traffic split; see {@link #split(TrafficSplit)}. */
    public Builder split(TrafficSplit.Builder split) {
      return split(split.build());
    }

    /** Builds the pool; it needs at least one backend. */
    public BackendPool build() {
      if (backends.isEmpty()) {
        throw new IllegalStateException("a backend pool needs at least one backend(..)");
      }
      return new BackendPool(this);
    }
  }
}
