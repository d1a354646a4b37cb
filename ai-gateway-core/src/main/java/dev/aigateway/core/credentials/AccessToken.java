package dev.aigateway.core.credentials;

import java.time.Instant;
import java.util.Objects;

/**
 * A bearer token and when it expires, as a {@link TokenSource} fetched it. {@link #toString()}
 * shows the expiry, never the token.
 */
public final class AccessToken {

  private final String token;
  private final Instant expiresAt;

  /**
   * A token and its expiry.
   *
   * @param token the token itself, sent as {@code Authorization: Bearer}
   * @param expiresAt when the token stops being accepted
   * @throws IllegalArgumentException when the token is blank
   */
  public AccessToken(String token, Instant expiresAt) {
    Objects.requireNonNull(token, "token");
    if (token.isBlank()) {
      throw new IllegalArgumentException("an access token must be non-blank");
    }
    this.token = token;
    this.expiresAt = Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** The token itself. Never log it. */
  public String token() {
    return token;
  }

  /** When the token stops being accepted. */
  public Instant expiresAt() {
    return expiresAt;
  }

  @Override
  public String toString() {
    return "AccessToken{****, expires " + expiresAt + "}";
  }
}
