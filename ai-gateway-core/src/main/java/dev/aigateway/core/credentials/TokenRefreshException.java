package dev.aigateway.core.credentials;

import java.io.IOException;

/**
 * A call needed a token and {@link RefreshingCredentials} could not give it one: the refresh failed
 * (the cause says why: a {@link TokenEndpointException}, an identity library's error), took longer
 * than the refresh timeout, or could not be started. When no other backend takes the call, the
 * application gets this exception; a call's event names it as the failed attempt's error type. Its
 * message names the credentials (never a secret or a token) and why.
 */
public final class TokenRefreshException extends IOException {

  private static final long serialVersionUID = 1L;

  TokenRefreshException(String message, Throwable cause) {
    super(message, cause);
  }

  TokenRefreshException(String message) {
    super(message);
  }
}
