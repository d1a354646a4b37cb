package dev.aigateway.core.credentials;

import java.io.IOException;

/**
 * Fetches a new access token: a token endpoint, an identity library, a file a sidecar renews.
 * {@link RefreshingCredentials} calls it when its token is due, one call at a time, on its refresh
 * thread, and caches what it returns. It is not called on a call's thread, so it may block; the
 * refresh timeout bounds how long calls wait for it.
 */
@FunctionalInterface
public interface TokenSource {

  /**
   * A new token.
   *
   * @throws IOException when none can be obtained; its message must say why without holding a
   *     secret (it reaches logs and the application, on one line and cut at 1,000 characters)
   */
  AccessToken fetchToken() throws IOException;
}
