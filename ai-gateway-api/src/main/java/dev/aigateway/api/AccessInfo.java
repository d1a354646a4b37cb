package dev.aigateway.api;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the access rules decided for one governed call: the access stage's part of its {@link
 * GatewayEvent} ({@link GatewayEvent#access()}). Names only the rule and the check, never the
 * caller's credential.
 *
 * @param decision allowed, denied, or the credential was refused
 * @param rule the name of the rule that allowed the call, or of the rule that came closest to
 *     allowing a denied one; {@code default} when no rule applied; null when none was consulted (an
 *     invalid credential, or {@link #NONE})
 * @param check the check that failed for a denied call, else null
 */
public record AccessInfo(Decision decision, @Nullable String rule, @Nullable AccessCheck check) {

  /** The name {@link #rule()} gives the policy's default, when no rule applies to the caller. */
  public static final String DEFAULT_RULE = "default";

  /** No access policy consulted for the call. */
  public static final AccessInfo NONE = new AccessInfo(Decision.NONE, null, null);

  /** Validates the decision. */
  public AccessInfo {
    Objects.requireNonNull(decision, "decision");
  }

  /** What the access stage decided. */
  public enum Decision {
    /** No access policy was consulted. */
    NONE,
    /** A rule (or the allow-all default) allowed the call. */
    ALLOWED,
    /** The call was refused with 403 {@code access_denied}. */
    DENIED,
    /** The call's credential was refused with 401 {@code invalid_token}. */
    INVALID_CREDENTIAL
  }
}
