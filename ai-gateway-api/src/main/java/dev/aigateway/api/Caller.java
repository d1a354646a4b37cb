package dev.aigateway.api;

import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Who makes a call, as a {@link CallerResolver} establishes it: a consumer id (which replaces the
 * gateway's consumer key when set), the caller's roles, or the reason its credential was refused.
 *
 * @param consumer the consumer id the credential proves, or null to keep the consumer key's
 * @param roles the caller's roles; empty when it has none
 * @param refusal why the credential was refused (for the 401's message: never the credential
 *     itself), or null when it was accepted
 */
public record Caller(@Nullable String consumer, Set<String> roles, @Nullable String refusal) {

  /** A caller with no identity of its own and no roles. */
  public static final Caller UNKNOWN = new Caller(null, Set.of(), null);

  /** Copies the roles. */
  public Caller {
    roles = Set.copyOf(Objects.requireNonNull(roles, "roles"));
  }

  /** An accepted caller. */
  public static Caller of(@Nullable String consumer, Set<String> roles) {
    return new Caller(consumer, roles, null);
  }

  /**
   * A refused credential: the call is answered 401 {@code invalid_token} and nothing is sent.
   *
   * @param reason what is wrong with it (for example {@code "the token has expired"}); it must not
   *     contain the credential
   */
  public static Caller refused(String reason) {
    Objects.requireNonNull(reason, "reason");
    return new Caller(null, Set.of(), reason);
  }

  /** Whether the credential was refused. */
  public boolean isRefused() {
    return refusal != null;
  }
}
