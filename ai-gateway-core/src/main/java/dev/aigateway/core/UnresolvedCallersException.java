package dev.aigateway.core;

import dev.aigateway.core.access.AccessRule;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Thrown by {@link AiGateway.Builder#build()} when a setting names consumers (other than {@value
 * AiGateway#ANONYMOUS}) while no consumer is ever resolved, or roles while no call has a role: the
 * setting would never apply, so the gateway refuses it rather than leave it inert without a word.
 * It says which setting it is, so that code that configures the builder from its own settings (the
 * Spring Boot starter from properties) can name its own source of it.
 */
public final class UnresolvedCallersException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  /** The kinds of settings that name consumers or roles. */
  public enum Setting {
    /** A token limit {@linkplain dev.aigateway.core.limit.TokenLimit.Builder#onlyFor only for}. */
    TOKEN_LIMIT("apply"),
    /** An access rule for a consumer or a role. */
    ACCESS_RULE("match a call"),
    /** The prompt log's consumers. */
    PROMPT_LOG("log a call"),
    /** An MCP server's tool access. */
    MCP_SERVER("match a call"),
    /** An A2A agent's access. */
    AGENT("match a call");

    private final String effect;

    Setting(String effect) {
      this.effect = effect;
    }
  }

  private final Setting setting;
  private final @Nullable String settingName;
  private final AccessRule.Subject subject;
  private final Set<String> names;

  UnresolvedCallersException(
      Setting setting,
      @Nullable String settingName,
      String described,
      AccessRule.Subject subject,
      Set<String> names) {
    super(message(setting, described, subject, names));
    this.setting = setting;
    this.settingName = settingName;
    this.subject = subject;
    this.names = Set.copyOf(names);
  }

  /** The kind of setting refused. */
  public Setting setting() {
    return setting;
  }

  /**
   * The name of the setting refused: the token limit's or the access rule's name, the MCP server's
   * name, the agent's id; null for the prompt log, of which a gateway has one.
   */
  public @Nullable String settingName() {
    return settingName;
  }

  /** Whether the setting names consumers, while none is resolved, or roles, while none is given. */
  public AccessRule.Subject subject() {
    return subject;
  }

  /** The consumers or roles the setting names. */
  public Set<String> names() {
    return names;
  }

  private static String message(
      Setting setting, String described, AccessRule.Subject subject, Set<String> names) {
    Objects.requireNonNull(setting, "setting");
    String named = described + (subject == AccessRule.Subject.ROLE ? " roles " : " consumers ");
    if (subject == AccessRule.Subject.ROLE) {
      return named
          + names
          + ", but no call has a role: without roleResolver(..) or callerResolver(..)"
          + " it would never "
          + setting.effect
          + "; set roleResolver(RoleResolver.header(\"x-roles\")) or a callerResolver such as"
          + " ai-gateway-jwt's JwtCallerResolver";
    }
    return named
        + names
        + ", but no consumer is ever resolved: without consumerKey(..) (or a"
        + " callerResolver(..) that proves consumers) every call's consumer is '"
        + AiGateway.ANONYMOUS
        + "', so it would never "
        + setting.effect
        + "; set consumerKey(KeyResolvers.header(\"x-consumer-id\")) or another KeyResolver";
  }
}
