package dev.aigateway.api.spi;

import java.io.IOException;

/**
 * Supplies the credential for each call to one backend. Static keys return the same value every
 * time; token-based providers (OAuth 2.0 client credentials, managed identity) cache a token and
 * refresh it before it expires. Implementations must be thread-safe and should be fast when a valid
 * token is cached, since this is called on every attempt.
 */
@FunctionalInterface
public interface CredentialProvider {

  /**
   * The credential to send now.
   *
   * @throws IOException when none can be obtained (the attempt fails and the call moves to the next
   *     backend)
   */
  Credential credential() throws IOException;
}
