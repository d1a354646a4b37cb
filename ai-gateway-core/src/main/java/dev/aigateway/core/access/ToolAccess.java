package dev.aigateway.core.access;

import dev.aigateway.api.AccessInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which consumers and roles may call which tools (of an MCP server) or methods (of an A2A agent):
 * allow and deny lists of name patterns per consumer and per role. The consumer and roles are the
 * ones the gateway resolves for every call (its consumer key, its {@code RoleResolver} or {@code
 * CallerResolver}), and the patterns are those of {@link AccessRule#models}: {@code *} stands for
 * any run of characters, case is ignored. Immutable and thread-safe.
 *
 * <pre>{@code
 * ToolAccess tools = ToolAccess.denyByDefault()
 *     .allowRole("developer", "*")
 *     .denyRole("intern", "delete_*", "merge_*")
 *     .allowConsumer("ci-bot", "list_*", "get_*")
 *     .build();
 * }</pre>
 *
 * <p><b>Evaluation.</b> A deny entry that applies to the caller (its consumer or one of its roles)
 * and matches the name refuses the call, whatever allows it; otherwise an allow entry that applies
 * and matches allows it; otherwise the default decides ({@link #denyByDefault()} or {@link
 * #allowByDefault()}, chosen explicitly). The decision names the entry, as the event reports it.
 */
public final class ToolAccess {

  /** The rule name a decision gives when no entry applied and the default decided. */
  public static final String DEFAULT_RULE = AccessInfo.DEFAULT_RULE;

  private final boolean allowByDefault;
  private final List<Entry> entries;

  private ToolAccess(Builder b) {
    this.allowByDefault = b.allowByDefault;
    this.entries = List.copyOf(b.entries);
  }

  /** Access under which a name no allow entry matches for the caller is refused. */
  public static Builder denyByDefault() {
    return new Builder(false);
  }

  /** Access under which only deny entries refuse anything. */
  public static Builder allowByDefault() {
    return new Builder(true);
  }

  /** Everyone may call everything: the access of a server or agent configured without any. */
  public static ToolAccess allowAll() {
    return allowByDefault().build();
  }

  /** Whether a name no entry matches is allowed. */
  public boolean allowsByDefault() {
    return allowByDefault;
  }

  /** The consumer ids the entries name (trimmed), in the order they were added. */
  public Set<String> consumers() {
    return subjects(AccessRule.Subject.CONSUMER);
  }

  /** The roles the entries name (trimmed), in the order they were added. */
  public Set<String> roles() {
    return subjects(AccessRule.Subject.ROLE);
  }

  private Set<String> subjects(AccessRule.Subject subject) {
    Set<String> named = new java.util.LinkedHashSet<>();
    for (Entry entry : entries) {
      if (entry.subject == subject) {
        named.add(entry.subjectId);
      }
    }
    return java.util.Collections.unmodifiableSet(named);
  }

  /** Whether every caller may call every name: allowed by default, with no deny entry. */
  public boolean allowsEverything() {
    if (!allowByDefault) {
      return false;
    }
    for (Entry entry : entries) {
      if (!entry.allow) {
        return false;
      }
    }
    return true;
  }

  /**
   * What the entries decide for one call.
   *
   * @param consumer the call's consumer id
   * @param roles the caller's roles
   * @param name the tool's name (MCP) or the JSON-RPC method (A2A)
   */
  public Decision check(String consumer, Set<String> roles, String name) {
    Entry allowing = null;
    for (Entry entry : entries) {
      if (!entry.appliesTo(consumer, roles) || !entry.matches(name)) {
        continue;
      }
      if (!entry.allow) {
        return new Decision(false, entry.name);
      }
      if (allowing == null) {
        allowing = entry;
      }
    }
    if (allowing != null) {
      return new Decision(true, allowing.name);
    }
    return new Decision(allowByDefault, DEFAULT_RULE);
  }

  @Override
  public String toString() {
    return "ToolAccess{"
        + (allowByDefault ? "allow" : "deny")
        + " by default, "
        + entries.stream().map(e -> e.name + "=" + e.patternTexts).toList()
        + "}";
  }

  /**
   * A decision.
   *
   * @param allowed whether the call may go
   * @param rule the entry that decided ({@code allow:role:developer}, {@code deny:consumer:bot}),
   *     or {@link #DEFAULT_RULE}
   */
  public record Decision(boolean allowed, String rule) {}

  /** One allow or deny list for one consumer or role. */
  private static final class Entry {
    final boolean allow;
    final AccessRule.Subject subject;
    final String subjectId;
    final String name;
    final List<String> patternTexts;
    final ModelPattern[] patterns;

    Entry(boolean allow, AccessRule.Subject subject, String subjectId, String... patterns) {
      this.allow = allow;
      this.subject = subject;
      // Trimmed, as the resolvers give consumer ids and roles (and AccessRule reads them).
      this.subjectId = AccessRule.requireText(subjectId, "consumer id or role").strip();
      this.name =
          (allow ? "allow:" : "deny:")
              + (subject == AccessRule.Subject.CONSUMER ? "consumer:" : "role:")
              + this.subjectId;
      Objects.requireNonNull(patterns, "patterns");
      if (patterns.length == 0) {
        throw new IllegalArgumentException(
            name + " needs at least one name pattern (\"*\" for every name)");
      }
      this.patterns = new ModelPattern[patterns.length];
      for (int i = 0; i < patterns.length; i++) {
        this.patterns[i] = ModelPattern.compile(patterns[i]);
      }
      this.patternTexts = List.of(patterns);
    }

    boolean appliesTo(String consumer, Set<String> roles) {
      return subject == AccessRule.Subject.CONSUMER
          ? subjectId.equals(consumer)
          : roles.contains(subjectId);
    }

    boolean matches(String toolName) {
      for (ModelPattern pattern : patterns) {
        if (pattern.matches(toolName)) {
          return true;
        }
      }
      return false;
    }
  }

  /** Builds a {@link ToolAccess}; entries are checked as they are added. */
  public static final class Builder {
    private final boolean allowByDefault;
    private final List<Entry> entries = new ArrayList<>();

    private Builder(boolean allowByDefault) {
      this.allowByDefault = allowByDefault;
    }

    /** Allows one consumer the tools (or methods) matching any of the patterns. */
    public Builder allowConsumer(String consumerId, String... patterns) {
      return add(new Entry(true, AccessRule.Subject.CONSUMER, consumerId, patterns));
    }

    /** Allows every caller with the role the tools (or methods) matching any of the patterns. */
    public Builder allowRole(String role, String... patterns) {
      return add(new Entry(true, AccessRule.Subject.ROLE, role, patterns));
    }

    /** Refuses one consumer the tools (or methods) matching any of the patterns. */
    public Builder denyConsumer(String consumerId, String... patterns) {
      return add(new Entry(false, AccessRule.Subject.CONSUMER, consumerId, patterns));
    }

    /** Refuses every caller with the role the tools (or methods) matching any of the patterns. */
    public Builder denyRole(String role, String... patterns) {
      return add(new Entry(false, AccessRule.Subject.ROLE, role, patterns));
    }

    private Builder add(Entry entry) {
      for (Entry existing : entries) {
        if (existing.name.equals(entry.name)) {
          throw new IllegalArgumentException(
              "an entry "
                  + entry.name
                  + " was already added with "
                  + existing.patternTexts
                  + "; list all of its patterns in one call");
        }
      }
      entries.add(entry);
      return this;
    }

    /** Builds the access rules. */
    public ToolAccess build() {
      return new ToolAccess(this);
    }
  }
}
