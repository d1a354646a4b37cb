package dev.aigateway.core.credentials;

import dev.aigateway.core.wire.HeaderValues;
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
   * A token and its expiry. Whitespace around the token (a trailing newline read from a token file
   * or answered by an endpoint) is removed: it is no part of a bearer token, and no header could
   * carry it.
   *
   * @param token the token itself, sent as {@code Authorization: Bearer}
   * @param expiresAt when the token stops being accepted
   * @throws IllegalArgumentException when the token is blank, or holds (within it) a character a
   *     header value may not hold; the message gives the character's index, never the token, and a
   *     {@link RefreshingCredentials} refresh that meets it fails, so the next call fetches again
   */
  public AccessToken(String token, Instant expiresAt) {
    Objects.requireNonNull(token, "token");
    String stripped = token.strip();
    if (stripped.isEmpty()) {
      throw new IllegalArgumentException("an access token must be non-blank");
    }
    int bad = HeaderValues.notAllowedAt(stripped);
    if (bad >= 0) {
      throw new IllegalArgumentException(
          "an access token holds a character not allowed in a header value, at index " + bad);
    }
    this.token = stripped;
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
