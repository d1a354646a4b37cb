package dev.aigateway.core.access;

import dev.aigateway.api.Operation;
import dev.aigateway.api.Usage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What one consumer, or every caller with one role, may do: which models (patterns such as {@code
 * gpt-4o*}), which operations, which backends or pools, whether it may stream, and the largest
 * output allowance one call may ask for. Whatever a rule does not restrict it allows: a rule with
 * no model patterns allows every model. Immutable and thread-safe.
 *
 * <pre>{@code
 * AccessRule.forRole("analyst")
 *     .models("gpt-4o-mini*", "text-embedding-3-*")
 *     .operations(Operation.CHAT_COMPLETIONS, Operation.EMBEDDINGS)
 *     .streaming(false)
 *     .maxOutputTokens(2_000)
 *     .build();
 * }</pre>
 */
public final class AccessRule {

  /** Whom a rule applies to. */
  public enum Subject {
    /** One consumer, by its consumer id. */
    CONSUMER,
    /** Every caller that has the role. */
    ROLE
  }

  private final String name;
  private final Subject subject;
  private final String subjectId;
  private final List<String> models;
  private final Set<Operation> operations;
  private final Set<String> backends;
  private final boolean streaming;
  private final long maxOutputTokens;

  private AccessRule(Builder b) {
    this.subject = b.subject;
    this.subjectId = b.subjectId;
    this.name =
        b.name != null ? b.name : (subject == Subject.CONSUMER ? "consumer:" : "role:") + subjectId;
    this.models = List.copyOf(b.models);
    this.operations =
        b.operations.isEmpty()
            ? Collections.unmodifiableSet(EnumSet.allOf(Operation.class))
            : Collections.unmodifiableSet(EnumSet.copyOf(b.operations));
    this.backends = Collections.unmodifiableSet(new LinkedHashSet<>(b.backends));
    this.streaming = b.streaming;
    this.maxOutputTokens = b.maxOutputTokens;
  }

  /**
   * A rule for one consumer (its consumer id, as the gateway's consumer key resolves it: trimmed,
   * as {@code KeyResolvers.header} reads it, so {@code "batch "} is the rule of {@code batch}).
   */
  public static Builder forConsumer(String consumerId) {
    return new Builder(Subject.CONSUMER, requireText(consumerId, "consumer id").strip());
  }

  /**
   * A rule for every caller with the role (as the gateway's role resolver resolves it: trimmed, as
   * {@code RoleResolver.header} splits roles at white space).
   */
  public static Builder forRole(String role) {
    return new Builder(Subject.ROLE, requireText(role, "role").strip());
  }

  /** The rule's name, which a denial and the event report; {@code consumer:<id>} by default. */
  public String name() {
    return name;
  }

  /** Whether the rule is for a consumer or a role. */
  public Subject subject() {
    return subject;
  }

  /** The consumer id or role the rule is for. */
  public String subjectId() {
    return subjectId;
  }

  /** The model patterns allowed; empty: every model. */
  public List<String> models() {
    return models;
  }

  /** The operations allowed (every operation unless restricted). */
  public Set<Operation> operations() {
    return operations;
  }

  /** The backend ids and pool names allowed; empty: every backend. */
  public Set<String> backends() {
    return backends;
  }

  /** Whether the rule allows streamed calls. */
  public boolean streaming() {
    return streaming;
  }

  /**
   * The largest output allowance ({@code max_tokens} × {@code n}) a call may ask for, if bounded.
   */
  public OptionalLong maxOutputTokens() {
    return maxOutputTokens < 0 ? OptionalLong.empty() : OptionalLong.of(maxOutputTokens);
  }

  @Override
  public String toString() {
    return "AccessRule{"
        + name
        + ", models="
        + (models.isEmpty() ? "*" : models)
        + ", operations="
        + operations
        + ", backends="
        + (backends.isEmpty() ? "*" : backends)
        + ", streaming="
        + streaming
        + (maxOutputTokens < 0 ? "" : ", maxOutputTokens=" + maxOutputTokens)
        + "}";
  }

  static String requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must be non-blank but was '" + value + "'");
    }
    return value;
  }

  /** Builds an {@link AccessRule}; every setter validates at once. */
  public static final class Builder {
    private final Subject subject;
    private final String subjectId;
    private String name;
    private final List<String> models = new ArrayList<>();
    private final Set<Operation> operations = EnumSet.noneOf(Operation.class);
    private final Set<String> backends = new LinkedHashSet<>();
    private boolean streaming = true;
    private long maxOutputTokens = -1;

    private Builder(Subject subject, String subjectId) {
      this.subject = subject;
      this.subjectId = subjectId;
    }

    /** Names the rule (default {@code consumer:<id>} or {@code role:<role>}). */
    public Builder name(String name) {
      this.name = requireText(name, "rule name");
      return this;
    }

    /**
     * Adds model patterns the rule allows: {@code *} stands for any run of characters, case is
     * ignored ({@code gpt-4o*}, {@code *-mini}, {@code *}). An Azure OpenAI call that names a
     * deployment in its path must have the deployment match too, whatever model its body names
     * (Azure serves the deployment). Without any, every model is allowed.
     */
    public Builder models(String... patterns) {
      Objects.requireNonNull(patterns, "patterns");
      for (String pattern : patterns) {
        ModelPattern.compile(pattern); // validates
        if (!models.contains(pattern.trim())) {
          models.add(pattern.trim());
        }
      }
      return this;
    }

    /** Adds operations the rule allows. Without any, every operation is allowed. */
    public Builder operations(Operation... operations) {
      Objects.requireNonNull(operations, "operations");
      for (Operation operation : operations) {
        this.operations.add(Objects.requireNonNull(operation, "operation"));
      }
      return this;
    }

    /**
     * Adds backends the rule allows, by backend id or by pool name (a pool's name allows all of its
     * backends). Calls are then routed only to these backends; a call whose model none of them
     * serves is denied. Needs a backend pool on the gateway, and every name must be the pool's or
     * one of its backends' (checked when the gateway is built). Without any, every backend is
     * allowed.
     */
    public Builder backends(String... names) {
      Objects.requireNonNull(names, "names");
      for (String backend : names) {
        backends.add(requireText(backend, "backend name"));
      }
      return this;
    }

    /** Whether streamed calls ({@code "stream": true}) are allowed (default true). */
    public Builder streaming(boolean allowed) {
      this.streaming = allowed;
      return this;
    }

    /**
     * The largest output allowance one call may ask for: its {@code max_tokens} (or {@code
     * max_completion_tokens}, {@code max_output_tokens}) times its choices {@code n}. A call above
     * it is denied (403, not clamped: the application learns its bound instead of getting silently
     * shortened answers), and so is a call that sets no bound at all, since the backend would then
     * answer with as many tokens as the model allows. Embeddings produce no output and always pass.
     * Unbounded unless set.
     */
    public Builder maxOutputTokens(long tokens) {
      if (tokens < 1 || tokens > Usage.MAX_TOKENS) {
        throw new IllegalArgumentException(
            "maxOutputTokens must be between 1 and "
                + Usage.MAX_TOKENS
                + " (Usage.MAX_TOKENS) but was "
                + tokens);
      }
      this.maxOutputTokens = tokens;
      return this;
    }

    /** Builds the rule. */
    public AccessRule build() {
      return new AccessRule(this);
    }
  }
}
