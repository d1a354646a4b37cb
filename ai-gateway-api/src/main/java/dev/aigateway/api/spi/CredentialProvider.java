package dev.aigateway.api.spi;

import java.io.IOException;
import java.util.function.BooleanSupplier;

/**
 * Supplies the credential for each call to one backend. Static keys return the same value every
 * time; token-based providers (OAuth 2.0 client credentials, Microsoft Entra ID) cache a token and
 * refresh it before it expires. Implementations must be thread-safe and should be fast when a valid
 * token is cached, since this is called on every attempt.
 *
 * <p>When a backend answers 401 to a credential, the gateway calls {@link #invalidate} with it; a
 * provider that can get another (a token provider) drops the refused one and returns true, and the
 * gateway then sends that attempt once more, with the credential {@link #credential()} gives next.
 * That happens at most once per call.
 *
 * <p>Neither a provider's {@code toString()} nor the message of an exception it throws may hold a
 * secret: both can reach logs.
 */
@FunctionalInterface
public interface CredentialProvider {

  /**
   * The credential to send now.
   *
   * @throws IOException when none can be obtained (the attempt fails and the call moves to the next
   *     backend; when no backend is left, the application gets this exception)
   */
  Credential credential() throws IOException;

  /**
   * The credential to send now, for a call that may end while this waits: once {@code abandoned}
   * says true (the application cancelled the call, or its client's call timeout passed), a provider
   * that waits (for a token being fetched) should stop waiting and throw, since nobody waits for
   * the credential any more. The gateway asks this one.
   *
   * <p>The default ignores {@code abandoned} and returns {@link #credential()}: right for a
   * provider that never waits, such as a static key.
   *
   * @param abandoned whether the call the credential is for has ended; cheap to ask, and asked from
   *     the thread that called this
   * @throws IOException when none can be obtained, as {@link #credential()}; an {@link
   *     java.io.InterruptedIOException} when the wait was given up because the call ended
   */
  default Credential credentialForCall(BooleanSupplier abandoned) throws IOException {
    return credential();
  }

  /**
   * The backend refused {@code refused} (it answered 401). A provider that can obtain a different
   * credential forgets {@code refused}, if it is still the one it holds, so that the next {@link
   * #credential()} gets a fresh one, and returns true; the gateway then retries the attempt once.
   * Calls refused with the same credential at the same time each call this, and a provider must
   * fetch once for all of them, not once each.
   *
   * <p>The default returns false: a static credential cannot change, so the 401 stands.
   *
   * @param refused the credential the backend refused, as {@link #credential()} gave it
   * @return whether a retry can present another credential
   */
  default boolean invalidate(Credential refused) {
    return false;
  }
}
