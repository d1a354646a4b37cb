package dev.aigateway.core.access;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Which callers may make which calls: {@link AccessRule}s per consumer and per role, and what a
 * caller no rule applies to gets. Built once, immutable and thread-safe; the gateway compiles it
 * when it is built ({@code AiGateway.Builder.accessPolicy}).
 *
 * <p><b>Evaluation.</b> The rules that apply to a call are those for its consumer and those for
 * each of its roles. The call is allowed when one of them allows all of it (operation, model,
 * streaming, backend and output allowance): rules are alternatives, not pieces to combine, so a
 * role that may stream {@code gpt-4o-mini} and another that may call {@code gpt-4o} without
 * streaming do not together allow a streamed {@code gpt-4o} call. Rules are tried in the order they
 * were added; the first that allows the call is the one the event names, and its backends are the
 * ones the call may be routed to. When none allows it, the call is denied with the rule that came
 * closest (whose failing check comes latest in {@link dev.aigateway.api.AccessCheck}'s order). When
 * no rule applies, the default decides: {@link #denyByDefault()} or {@link #allowByDefault()},
 * chosen explicitly.
 *
 * <pre>{@code
 * AccessPolicy policy = AccessPolicy.denyByDefault()
 *     .role("analyst", rule -> rule.models("gpt-4o-mini*").streaming(false).maxOutputTokens(2_000))
 *     .role("engineer", rule -> rule.models("gpt-4o*", "text-embedding-3-*"))
 *     .consumer("batch-job", rule -> rule.operations(Operation.EMBEDDINGS))
 *     .build();
 * }</pre>
 */
public final class AccessPolicy {

  private final boolean allowByDefault;
  private final List<AccessRule> rules;

  private AccessPolicy(Builder b) {
    this.allowByDefault = b.allowByDefault;
    this.rules = List.copyOf(b.rules);
  }

  /** A policy under which a caller no rule applies to may make no call at all. */
  public static Builder denyByDefault() {
    return new Builder(false);
  }

  /**
   * A policy under which a caller no rule applies to may make any call; rules restrict only the
   * consumers and roles they are for.
   */
  public static Builder allowByDefault() {
    return new Builder(true);
  }

  /** Whether a caller no rule applies to is allowed every call. */
  public boolean allowsByDefault() {
    return allowByDefault;
  }

  /** The rules, in the order they are tried. */
  public List<AccessRule> rules() {
    return rules;
  }

  @Override
  public String toString() {
    return "AccessPolicy{" + (allowByDefault ? "allow" : "deny") + " by default, " + rules + "}";
  }

  /** Builds an {@link AccessPolicy}. */
  public static final class Builder {
    private final boolean allowByDefault;
    private final List<AccessRule> rules = new ArrayList<>();

    private Builder(boolean allowByDefault) {
      this.allowByDefault = allowByDefault;
    }

    /** Adds a rule; rule names must be unique. */
    public Builder rule(AccessRule rule) {
      Objects.requireNonNull(rule, "rule");
      for (AccessRule existing : rules) {
        if (existing.name().equals(rule.name())) {
          throw new IllegalArgumentException(
              "an access rule named '"
                  + rule.name()
                  + "' was already added: "
                  + existing
                  + "; give one of them another name(..)");
        }
      }
      rules.add(rule);
      return this;
    }

    /** Builds and adds a rule. */
    public Builder rule(AccessRule.Builder rule) {
      return rule(rule.build());
    }

    /** Adds a rule for one consumer, configured by {@code rule}. */
    public Builder consumer(String consumerId, Consumer<AccessRule.Builder> rule) {
      AccessRule.Builder builder = AccessRule.forConsumer(consumerId);
      Objects.requireNonNull(rule, "rule").accept(builder);
      return rule(builder);
    }

    /** Adds a rule for every caller with {@code role}, configured by {@code rule}. */
    public Builder role(String role, Consumer<AccessRule.Builder> rule) {
      AccessRule.Builder builder = AccessRule.forRole(role);
      Objects.requireNonNull(rule, "rule").accept(builder);
      return rule(builder);
    }

    /** Builds the policy. */
    public AccessPolicy build() {
      return new AccessPolicy(this);
    }
  }
}
