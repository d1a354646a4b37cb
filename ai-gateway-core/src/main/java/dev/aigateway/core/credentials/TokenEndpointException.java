package dev.aigateway.core.credentials;

import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * An OAuth 2.0 token endpoint did not give a token: it refused the request (RFC 6749 §5.2: {@code
 * invalid_client}, {@code invalid_scope}, …), answered something that is not a token, or did not
 * answer. The message names the endpoint (without query or user info), the HTTP status and the
 * error code; it never holds the client secret, the assertion or a token.
 */
public final class TokenEndpointException extends IOException {

  private static final long serialVersionUID = 1L;

  private final String tokenUrl;
  private final int status;
  private final @Nullable String error;

  TokenEndpointException(
      String tokenUrl,
      int status,
      @Nullable String error,
      String message,
      @Nullable Throwable cause) {
    super(message, cause);
    this.tokenUrl = tokenUrl;
    this.status = status;
    this.error = error;
  }

  /** The token endpoint, without query or user info. */
  public String tokenUrl() {
    return tokenUrl;
  }

  /** The HTTP status it answered, or 0 when it did not answer. */
  public int status() {
    return status;
  }

  /** The OAuth error code it answered ({@code invalid_client}, …), or null. */
  public @Nullable String error() {
    return error;
  }
}
