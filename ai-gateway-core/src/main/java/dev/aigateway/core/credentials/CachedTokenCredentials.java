package dev.aigateway.core.credentials;

import dev.aigateway.api.spi.Credential;
import dev.aigateway.api.spi.CredentialProvider;
import java.io.IOException;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * A credential provider whose tokens come from one {@link TokenSource} and are cached and refreshed
 * by a {@link RefreshingCredentials}: the base of the library's token credentials ({@link
 * OAuthClientCredentials}, and {@code EntraIdCredentials} in {@code ai-gateway-azure-identity}). A
 * subclass only makes its source and describes it; the cache, the refresh, the one retry after a
 * 401 and a {@link #toString()} without secrets are this class's. Thread-safe.
 */
public abstract class CachedTokenCredentials implements CredentialProvider {

  private final RefreshingCredentials tokens;
  private final String description;

  /**
   * Credentials that cache the tokens of {@code source}.
   *
   * @param cache the cache settings the subclass's users gave (refresh ahead, timeout, clock,
   *     executor); its source and description are set here
   * @param description where the tokens come from, for messages and {@link #toString()}; never a
   *     secret
   */
  protected CachedTokenCredentials(
      RefreshingCredentials.Builder cache, TokenSource source, String description) {
    this.description = Objects.requireNonNull(description, "description");
    this.tokens = cache.source(source).description(description).build();
  }

  /** The cached token as a bearer credential; see {@link RefreshingCredentials#credential()}. */
  @Override
  public final Credential credential() throws IOException {
    return tokens.credential();
  }

  /**
   * The cached token as a bearer credential, for a call that may end while it waits; see {@link
   * RefreshingCredentials#credentialForCall(BooleanSupplier)}.
   */
  @Override
  public final Credential credentialForCall(BooleanSupplier abandoned) throws IOException {
    return tokens.credentialForCall(abandoned);
  }

  /** Drops a token a backend refused; see {@link RefreshingCredentials#invalidate}. */
  @Override
  public final boolean invalidate(Credential refused) {
    return tokens.invalidate(refused);
  }

  /** The class's name and where its tokens come from; never a token. */
  @Override
  public String toString() {
    return getClass().getSimpleName() + "{" + description + "}";
  }
}
