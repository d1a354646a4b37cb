package dev.aigateway.azure.identity;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import dev.aigateway.api.LogText;
import dev.aigateway.core.credentials.AccessToken;
import dev.aigateway.core.credentials.CachedTokenCredentials;
import dev.aigateway.core.credentials.RefreshingCredentials;
import dev.aigateway.core.credentials.TokenSource;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * Backend credentials from Microsoft Entra ID: access tokens for a scope (by default {@value
 * #DEFAULT_SCOPE}, which Azure OpenAI and the other Azure AI services accept) from an
 * azure-identity {@link TokenCredential}, sent as {@code Authorization: Bearer}.
 *
 * <pre>{@code
 * Backend.azureOpenAi("eastus", "https://eastus.openai.azure.com", "2024-10-21")
 *     .credential(EntraIdCredentials.managedIdentity())
 *
 * Backend.azureOpenAi("westus", "https://westus.openai.azure.com", "2024-10-21")
 *     .credential(EntraIdCredentials.of(new ClientSecretCredentialBuilder()
 *         .tenantId(tenant).clientId(app).clientSecret(secret).build()))
 * }</pre>
 *
 * <p>Tokens are cached by the core's {@link RefreshingCredentials}: used until five minutes before
 * they expire (then refreshed in the background while calls go on), fetched once however many calls
 * wait, and dropped when a backend answers 401, after which the gateway retries the call once with
 * a new one. The {@code TokenCredential} is asked on the refresh thread with its blocking {@link
 * TokenCredential#getTokenSync}. Note that azure-identity's credentials keep their own cache: after
 * a 401 they may hand back the same token until it expires, in which case the retry is answered 401
 * too and that reaches the application.
 *
 * <p>A token never appears in {@link #toString()}, a log line or an exception message.
 */
public final class EntraIdCredentials extends CachedTokenCredentials {

  /** The scope asked for unless another is given: Azure AI services (Azure OpenAI among them). */
  public static final String DEFAULT_SCOPE = "https://cognitiveservices.azure.com/.default";

  /** The most of an identity library's error message quoted in an exception. */
  private static final int MAX_MESSAGE = 500;

  private EntraIdCredentials(Builder b) {
    super(
        b.tokens,
        new EntraTokens(b.credential, b.scope),
        "Microsoft Entra ID, scope '"
            + b.scope
            + "', from "
            + b.credential.getClass().getSimpleName());
  }

  /** Tokens for {@link #DEFAULT_SCOPE} from {@code credential}, with the default cache settings. */
  public static EntraIdCredentials of(TokenCredential credential) {
    return builder(credential).build();
  }

  /**
   * Tokens for {@link #DEFAULT_SCOPE} from the system-assigned managed identity of the Azure
   * resource the application runs on (App Service, Functions, Container Apps, AKS, a VM).
   */
  public static EntraIdCredentials managedIdentity() {
    return of(new ManagedIdentityCredentialBuilder().build());
  }

  /**
   * Tokens for {@link #DEFAULT_SCOPE} from a user-assigned managed identity.
   *
   * @param clientId the identity's client id
   */
  public static EntraIdCredentials managedIdentity(String clientId) {
    Objects.requireNonNull(clientId, "clientId");
    return of(new ManagedIdentityCredentialBuilder().clientId(clientId).build());
  }

  /**
   * Tokens for {@link #DEFAULT_SCOPE} from azure-identity's {@code DefaultAzureCredential}: the
   * environment's service principal, workload identity, managed identity, then a developer's
   * sign-in (Azure CLI, Azure Developer CLI, PowerShell, IntelliJ), the first that works.
   */
  public static EntraIdCredentials defaultAzure() {
    return of(new DefaultAzureCredentialBuilder().build());
  }

  /** A builder over {@code credential}, to set the scope or the cache settings. */
  public static Builder builder(TokenCredential credential) {
    return new Builder(credential);
  }

  /** Asks a {@code TokenCredential} for a token for one scope. */
  private static final class EntraTokens implements TokenSource {
    private final TokenCredential credential;
    private final String scope;

    EntraTokens(TokenCredential credential, String scope) {
      this.credential = credential;
      this.scope = scope;
    }

    @Override
    public AccessToken fetchToken() throws IOException {
      com.azure.core.credential.AccessToken token;
      try {
        token = credential.getTokenSync(new TokenRequestContext().addScopes(scope));
      } catch (RuntimeException e) {
        throw new IOException(
            credential.getClass().getSimpleName()
                + " gave no token for scope '"
                + scope
                + "': "
                + e.getClass().getName()
                + message(e),
            e);
      }
      if (token == null || token.getToken() == null || token.getToken().isBlank()) {
        throw new IOException(
            credential.getClass().getSimpleName() + " gave no token for scope '" + scope + "'");
      }
      if (token.getExpiresAt() == null) {
        throw new IOException(
            credential.getClass().getSimpleName()
                + " gave a token for scope '"
                + scope
                + "' without an expiry");
      }
      return new AccessToken(token.getToken(), token.getExpiresAt().toInstant());
    }

    /**
     * The failure's message, and its root cause's (azure-identity's often says only "see inner
     * exception"), on one line and shortened as {@link LogText} writes a text.
     */
    private static String message(RuntimeException e) {
      // The last cause not seen before: a chain may lead back to an exception already in it.
      Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
      Throwable root = e;
      seen.add(root);
      while (root.getCause() != null && seen.add(root.getCause())) {
        root = root.getCause();
      }
      String text = e.getMessage() == null ? "" : e.getMessage();
      if (root != e) {
        text += " (cause: " + root.getClass().getName();
        text += root.getMessage() == null ? ")" : ": " + root.getMessage() + ")";
      }
      String stripped = text.strip();
      return stripped.isEmpty()
          ? ""
          : LogText.append(new StringBuilder(": "), stripped, MAX_MESSAGE).toString();
    }
  }

  /** Configures {@link EntraIdCredentials}. Not thread-safe; {@link #build()} copies it. */
  public static final class Builder {
    private final TokenCredential credential;
    private final RefreshingCredentials.Builder tokens = RefreshingCredentials.builder();
    private String scope = DEFAULT_SCOPE;

    private Builder(TokenCredential credential) {
      this.credential = Objects.requireNonNull(credential, "credential");
    }

    /**
     * The scope to ask tokens for (default {@link #DEFAULT_SCOPE}); for example {@code
     * https://ai.azure.com/.default} for Azure AI Foundry, or an application's {@code
     * api://<app-id>/.default} for a service of one's own behind Entra ID.
     */
    public Builder scope(String scope) {
      Objects.requireNonNull(scope, "scope");
      if (scope.isBlank()) {
        throw new IllegalArgumentException("scope must be non-blank");
      }
      this.scope = scope;
      return this;
    }

    /** See {@link RefreshingCredentials.Builder#refreshAhead}. */
    public Builder refreshAhead(Duration refreshAhead) {
      tokens.refreshAhead(refreshAhead);
      return this;
    }

    /** See {@link RefreshingCredentials.Builder#refreshTimeout}. */
    public Builder refreshTimeout(Duration refreshTimeout) {
      tokens.refreshTimeout(refreshTimeout);
      return this;
    }

    /** The clock that tells when a token is due (default: the system clock). */
    public Builder clock(Clock clock) {
      tokens.clock(clock);
      return this;
    }

    /** See {@link RefreshingCredentials.Builder#executor}. */
    public Builder executor(Executor executor) {
      tokens.executor(executor);
      return this;
    }

    /** The credentials; no token is asked for until the first call needs one. */
    public EntraIdCredentials build() {
      return new EntraIdCredentials(this);
    }
  }
}
