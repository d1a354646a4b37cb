package dev.aigateway.core.credentials;

import dev.aigateway.core.wire.SafeUrls;
import java.net.URI;
import java.net.http.HttpClient;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * Backend credentials from an OAuth 2.0 token endpoint with the client credentials grant (RFC 6749
 * §4.4): the gateway asks the endpoint for an access token as the client, caches it until shortly
 * before it expires and sends it as {@code Authorization: Bearer}. The client authenticates with a
 * secret (in the form, or as HTTP Basic) or with a private-key JWT assertion (RFC 7523), signed
 * with the JDK's {@link java.security.Signature}.
 *
 * <pre>{@code
 * Backend.openAiCompatible("internal", "https://llm.internal.example.com/v1")
 *     .credential(
 *         OAuthClientCredentials.builder()
 *             .tokenUrl("https://login.example.com/oauth2/token")
 *             .clientId("ai-gateway")
 *             .clientSecret(System.getenv("LLM_CLIENT_SECRET"))
 *             .scope("llm.invoke")
 *             .build())
 * }</pre>
 *
 * <p>Caching, refresh and invalidation are {@link RefreshingCredentials}'s: one token request in
 * flight however many calls wait, a refresh ahead of expiry, and a new token (and one retry of the
 * call) when a backend answers 401. The endpoint is called with the JDK's {@link HttpClient}. When
 * it refuses or fails, calls waiting for a token get a {@link TokenRefreshException} whose cause is
 * a {@link TokenEndpointException} naming the endpoint, status and OAuth error code.
 *
 * <p>Neither the client secret, the private key, an assertion nor a token appears in {@link
 * #toString()}, a log line or an exception message (an error description the endpoint sends is
 * quoted with the client secret, in any spelling the request gave it, and the client assertion
 * masked).
 */
public final class OAuthClientCredentials extends CachedTokenCredentials {

  private OAuthClientCredentials(Builder b) {
    this(
        b,
        new TokenEndpoint(
            b.tokenUrl,
            b.clientId,
            b.secret,
            b.basic,
            b.assertion,
            List.copyOf(b.scopes),
            Map.copyOf(b.parameters),
            b.httpClient,
            b.refreshTimeout,
            b.clock));
  }

  private OAuthClientCredentials(Builder b, TokenEndpoint endpoint) {
    super(b.tokens, endpoint, endpoint.toString());
  }

  /** A builder; a token URL, a client id and one way for the client to authenticate are needed. */
  public static Builder builder() {
    return new Builder();
  }

  /** Configures {@link OAuthClientCredentials}. Not thread-safe; {@link #build()} copies it. */
  public static final class Builder {
    private static final Set<String> RESERVED_PARAMETERS =
        Set.of(
            "grant_type",
            "scope",
            "client_id",
            "client_secret",
            "client_assertion",
            "client_assertion_type");

    private @Nullable URI tokenUrl;
    private @Nullable String clientId;
    private @Nullable Secret secret;
    private boolean basic;
    private @Nullable ClientAssertion assertion;
    private final List<String> scopes = new ArrayList<>();
    private final Map<String, String> parameters = new LinkedHashMap<>();
    private final RefreshingCredentials.Builder tokens = RefreshingCredentials.builder();
    private Duration refreshTimeout = RefreshingCredentials.DEFAULT_REFRESH_TIMEOUT;
    private Clock clock = Clock.systemUTC();
    private @Nullable HttpClient httpClient;

    private Builder() {}

    /**
     * The token endpoint. HTTPS, or HTTP to a loopback address only (a secret never crosses a
     * network in clear text). Its query, if any, is sent but never shown in messages.
     *
     * @throws IllegalArgumentException when it is not an absolute HTTPS URL (or loopback HTTP), or
     *     holds user info
     */
    public Builder tokenUrl(String tokenUrl) {
      Objects.requireNonNull(tokenUrl, "tokenUrl");
      URI uri;
      try {
        uri = URI.create(tokenUrl);
      } catch (IllegalArgumentException e) {
        // Not chained: URI's own message quotes the whole URL, query and user info included.
        throw new IllegalArgumentException(
            "the token URL is not a URL (a reserved character may need percent-encoding)");
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (uri.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
        throw new IllegalArgumentException(
            "the token URL must be an absolute https URL, was " + TokenEndpoint.shown(uri));
      }
      if (uri.getRawUserInfo() != null) {
        throw new IllegalArgumentException(
            "the token URL must not hold user info (give the client's credentials to the builder),"
                + " was "
                + TokenEndpoint.shown(uri));
      }
      if (scheme.equals("http") && !SafeUrls.isLoopbackHost(uri.getHost())) {
        throw new IllegalArgumentException(
            "the token URL must use https (http only to a loopback address), was "
                + TokenEndpoint.shown(uri));
      }
      this.tokenUrl = uri;
      return this;
    }

    /** The client's id at the authorization server. */
    public Builder clientId(String clientId) {
      this.clientId = nonBlank(clientId, "clientId");
      return this;
    }

    /**
     * Authenticates with a client secret sent in the request body ({@code client_secret_post}, as
     * Microsoft Entra ID, Okta, Auth0 and Keycloak accept). Replaces an earlier way to
     * authenticate.
     */
    public Builder clientSecret(String clientSecret) {
      return secret(clientSecret, false);
    }

    /**
     * Authenticates with a client secret sent as HTTP Basic ({@code client_secret_basic}, RFC 6749
     * §2.3.1, which every server supports). Replaces an earlier way to authenticate.
     */
    public Builder clientSecretBasic(String clientSecret) {
      return secret(clientSecret, true);
    }

    /**
     * Authenticates with a JWT assertion signed by {@code privateKey} ({@code private_key_jwt}, RFC
     * 7523): issuer and subject the client id, audience the token URL, valid for five minutes, a
     * new one per token request. Replaces an earlier way to authenticate.
     *
     * @param keyId the {@code kid} the server knows the public key by, or null to send none
     * @param algorithm how to sign; must fit the key (RSA for {@code RS*}/{@code PS256}, EC for
     *     {@code ES*})
     * @throws IllegalArgumentException when the key does not fit the algorithm
     */
    public Builder privateKeyJwt(
        PrivateKey privateKey, @Nullable String keyId, JwsAlgorithm algorithm) {
      this.assertion = new ClientAssertion(privateKey, keyId, algorithm);
      this.secret = null;
      this.basic = false;
      return this;
    }

    /** Adds scopes to request (sent space-separated; none by default). */
    public Builder scope(String... scopes) {
      for (String scope : scopes) {
        String s = nonBlank(scope, "scope");
        if (s.chars().anyMatch(c -> c == ' ' || c < 0x21 || c > 0x7e || c == '"' || c == '\\')) {
          throw new IllegalArgumentException(
              "a scope is one token of printable ASCII without spaces, quotes or backslashes, was '"
                  + s
                  + "'");
        }
        this.scopes.add(s);
      }
      return this;
    }

    /**
     * Adds a parameter to the token request, for servers that want more than RFC 6749 asks ({@code
     * audience} at Auth0, {@code resource} at Entra ID v1). A later value of a name replaces an
     * earlier one.
     *
     * @throws IllegalArgumentException for a parameter this builder sets itself ({@code
     *     grant_type}, {@code scope}, {@code client_*})
     */
    public Builder parameter(String name, String value) {
      String n = nonBlank(name, "name");
      if (RESERVED_PARAMETERS.contains(n)) {
        throw new IllegalArgumentException(
            "'" + n + "' is set by the builder's own methods, not by parameter()");
      }
      parameters.put(n, Objects.requireNonNull(value, "value"));
      return this;
    }

    /** See {@link RefreshingCredentials.Builder#refreshAhead}. */
    public Builder refreshAhead(Duration refreshAhead) {
      tokens.refreshAhead(refreshAhead);
      return this;
    }

    /**
     * See {@link RefreshingCredentials.Builder#refreshTimeout}; also the timeout of each token
     * request.
     */
    public Builder refreshTimeout(Duration refreshTimeout) {
      tokens.refreshTimeout(refreshTimeout);
      this.refreshTimeout = refreshTimeout;
      return this;
    }

    /** The clock that dates tokens and assertions (default: the system clock). */
    public Builder clock(Clock clock) {
      tokens.clock(clock);
      this.clock = clock;
      return this;
    }

    /**
     * The client that calls the token endpoint (default: one shared by every instance, which never
     * follows redirects). Give one for a proxy, TLS settings or client certificates.
     */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    /** See {@link RefreshingCredentials.Builder#executor}. */
    public Builder executor(Executor executor) {
      tokens.executor(executor);
      return this;
    }

    /**
     * The credentials; no token is requested until the first call asks for one.
     *
     * @throws IllegalStateException when the token URL, the client id or the way to authenticate is
     *     missing
     */
    public OAuthClientCredentials build() {
      if (tokenUrl == null) {
        throw new IllegalStateException("tokenUrl is required");
      }
      if (clientId == null) {
        throw new IllegalStateException("clientId is required");
      }
      if (secret == null && assertion == null) {
        throw new IllegalStateException(
            "a way to authenticate is required: clientSecret, clientSecretBasic or privateKeyJwt");
      }
      return new OAuthClientCredentials(this);
    }

    private Builder secret(String clientSecret, boolean basic) {
      Objects.requireNonNull(clientSecret, "clientSecret");
      if (clientSecret.isBlank()) {
        throw new IllegalArgumentException("the client secret must be non-blank");
      }
      this.secret = new Secret(clientSecret);
      this.basic = basic;
      this.assertion = null;
      return this;
    }

    private static String nonBlank(String value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isBlank()) {
        throw new IllegalArgumentException(name + " must be non-blank");
      }
      return value;
    }
  }
}
