package dev.aigateway.spring;

import dev.aigateway.api.Operation;
import dev.aigateway.core.wire.SafeUrls;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.Resource;

/**
 * The security groups of {@link AiGatewayProperties}: a backend's OAuth 2.0 client credentials and
 * Microsoft Entra ID credential ({@code ai-gateway.pool.backends[i].oauth}, {@code ...entra-id}),
 * the access rules ({@code ai-gateway.access}) and the JWT caller resolver ({@code
 * ai-gateway.jwt}). No {@code toString} here prints a secret: a client secret shows as {@code ****}
 * and a private key by its resource's description only.
 */
public final class SecurityProperties {

  private SecurityProperties() {}

  /** The mask a secret's value shows as. */
  static final String MASK = "****";

  /** How a client proves itself to the token endpoint with a secret. */
  public enum ClientAuthentication {
    /** {@code client_secret_post}: the secret in the form (Entra ID, Okta, Auth0, Keycloak). */
    POST,
    /** {@code client_secret_basic}: HTTP Basic of the form-encoded id and secret. */
    BASIC
  }

  /**
   * OAuth 2.0 client credentials for one backend (RFC 6749 §4.4): on when any of its properties but
   * {@code client-authentication} and {@code private-key-algorithm} is set, and then {@code
   * token-url} and {@code client-id} are required. The client authenticates with {@code
   * client-secret} or with a private-key JWT signed by the PKCS#8 PEM key at {@code private-key}
   * (RFC 7523), not both.
   */
  public static class OAuth {

    /**
     * The signature algorithm of a private-key JWT unless {@code private-key-algorithm} says (the
     * field's default).
     */
    static final String DEFAULT_KEY_ALGORITHM = "RS256";

    /** The token endpoint, https (or http to a loopback address). */
    private @Nullable String tokenUrl;

    /** The client id. */
    private @Nullable String clientId;

    /** The client secret (for example ${LLM_CLIENT_SECRET}); never logged. */
    private @Nullable String clientSecret;

    /** How the secret is sent: post (in the form, the default) or basic (HTTP Basic). */
    private ClientAuthentication clientAuthentication = ClientAuthentication.POST;

    /**
     * The location of a PKCS#8 PEM private key ("-----BEGIN PRIVATE KEY-----") to sign a client
     * assertion with, in place of a secret; for example file:/run/secrets/llm-client.pem. The key
     * itself as the value fails startup, without showing it.
     */
    private @Nullable Resource privateKey;

    /** The kid the token endpoint knows the key's public half by. Unset: none is sent. */
    private @Nullable String privateKeyId;

    /** The assertion's signature algorithm: RS256 (default), RS384, RS512, PS256, ES256, ES384. */
    private String privateKeyAlgorithm = "RS256";

    /** The scopes to ask for. */
    private List<String> scopes = new ArrayList<>();

    /**
     * How long before expiry a token is refreshed, at least 1s (write the unit). Unset: 5 minutes
     * (at most half its life).
     */
    private @Nullable Duration refreshAhead;

    /** The bound on one token request; a bare number is milliseconds. Unset: 10 seconds. */
    private @Nullable Duration refreshTimeout;

    /** The token endpoint; null when unset. */
    public @Nullable String getTokenUrl() {
      return tokenUrl;
    }

    /** Sets the token endpoint. */
    public void setTokenUrl(@Nullable String tokenUrl) {
      this.tokenUrl = tokenUrl;
    }

    /** The client id; null when unset. */
    public @Nullable String getClientId() {
      return clientId;
    }

    /** Sets the client id. */
    public void setClientId(@Nullable String clientId) {
      this.clientId = clientId;
    }

    /** The client secret; null when unset. */
    public @Nullable String getClientSecret() {
      return clientSecret;
    }

    /** Sets the client secret. */
    public void setClientSecret(@Nullable String clientSecret) {
      this.clientSecret = clientSecret;
    }

    /** How the secret is sent. */
    public ClientAuthentication getClientAuthentication() {
      return clientAuthentication;
    }

    /** Sets how the secret is sent. */
    public void setClientAuthentication(ClientAuthentication clientAuthentication) {
      this.clientAuthentication = clientAuthentication;
    }

    /** The PEM private key; null when unset. */
    public @Nullable Resource getPrivateKey() {
      return privateKey;
    }

    /** Sets the PEM private key. */
    public void setPrivateKey(@Nullable Resource privateKey) {
      this.privateKey = privateKey;
    }

    /** The key id; null when unset. */
    public @Nullable String getPrivateKeyId() {
      return privateKeyId;
    }

    /** Sets the key id. */
    public void setPrivateKeyId(@Nullable String privateKeyId) {
      this.privateKeyId = privateKeyId;
    }

    /** The assertion's signature algorithm. */
    public String getPrivateKeyAlgorithm() {
      return privateKeyAlgorithm;
    }

    /** Sets the assertion's signature algorithm. */
    public void setPrivateKeyAlgorithm(String privateKeyAlgorithm) {
      this.privateKeyAlgorithm = privateKeyAlgorithm;
    }

    /** The scopes. */
    public List<String> getScopes() {
      return scopes;
    }

    /** Sets the scopes. */
    public void setScopes(List<String> scopes) {
      this.scopes = scopes;
    }

    /** The refresh-ahead time; null for the default. */
    public @Nullable Duration getRefreshAhead() {
      return refreshAhead;
    }

    /** Sets the refresh-ahead time. */
    public void setRefreshAhead(@Nullable Duration refreshAhead) {
      this.refreshAhead = refreshAhead;
    }

    /** The bound on one token request; null for the default. */
    public @Nullable Duration getRefreshTimeout() {
      return refreshTimeout;
    }

    /** Sets the bound on one token request. */
    public void setRefreshTimeout(@Nullable Duration refreshTimeout) {
      this.refreshTimeout = refreshTimeout;
    }

    /**
     * Whether any of it is set (then the token URL and client id are required): a setting of the
     * group without them fails startup rather than leaving the backend without its credential.
     */
    boolean configured() {
      return tokenUrl != null
          || clientId != null
          || clientSecret != null
          || privateKey != null
          || !scopes.isEmpty()
          || privateKeyId != null
          || refreshAhead != null
          || refreshTimeout != null;
    }

    /**
     * The settings, the secret masked, the token URL without user info and with its query values
     * masked (as the backend URL shows), and the key named by its resource only.
     */
    @Override
    public String toString() {
      return "OAuth{token-url="
          + (tokenUrl == null ? null : SafeUrls.withoutSecrets(tokenUrl))
          + ", client-id="
          + clientId
          + ", client-secret="
          + (clientSecret == null ? null : MASK)
          + ", client-authentication="
          + clientAuthentication
          + ", private-key="
          + (privateKey == null
              ? null
              : SecurityMapper.isPastedPem(privateKey)
                  ? "[a PEM key, not its location]"
                  : privateKey.getDescription())
          + ", scopes="
          + scopes
          + "}";
    }
  }

  /** Which azure-identity credential an Entra ID backend credential asks. */
  public enum EntraCredential {
    /** The managed identity of the Azure resource (user-assigned with {@code client-id}). */
    MANAGED_IDENTITY,
    /** azure-identity's DefaultAzureCredential chain (environment, workload identity, ...). */
    DEFAULT
  }

  /**
   * A Microsoft Entra ID credential for one backend, through {@code ai-gateway-azure-identity}
   * (which must be on the class path): on when {@code enabled}. Any other of its settings without
   * {@code enabled} fails startup, rather than leaving the backend without its credential.
   */
  public static class EntraId {

    /** Whether the backend is called with an Entra ID token. */
    private boolean enabled = false;

    /** The credential asked for tokens: managed-identity (default) or default. */
    private EntraCredential credential = EntraCredential.MANAGED_IDENTITY;

    /** A user-assigned managed identity's client id. Unset: the system-assigned identity. */
    private @Nullable String clientId;

    /** The scope tokens are asked for. Unset: https://cognitiveservices.azure.com/.default. */
    private @Nullable String scope;

    /** Whether Entra ID is on. */
    public boolean isEnabled() {
      return enabled;
    }

    /** Sets whether Entra ID is on. */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /** The credential asked for tokens. */
    public EntraCredential getCredential() {
      return credential;
    }

    /** Sets the credential asked for tokens. */
    public void setCredential(EntraCredential credential) {
      this.credential = credential;
    }

    /** The user-assigned identity's client id; null for the system-assigned one. */
    public @Nullable String getClientId() {
      return clientId;
    }

    /** Sets the user-assigned identity's client id. */
    public void setClientId(@Nullable String clientId) {
      this.clientId = clientId;
    }

    /** The scope; null for the default. */
    public @Nullable String getScope() {
      return scope;
    }

    /** Sets the scope. */
    public void setScope(@Nullable String scope) {
      this.scope = scope;
    }

    /** Whether any setting but {@code enabled} is set (then {@code enabled} is required). */
    boolean configured() {
      return clientId != null || scope != null || credential != EntraCredential.MANAGED_IDENTITY;
    }
  }

  /** What a caller no access rule applies to gets. */
  public enum DefaultDecision {
    /** Refused (403): only what a rule allows is allowed. */
    DENY,
    /** Allowed: the rules restrict only the consumers and roles they name. */
    ALLOW
  }

  /**
   * Consumer access control: {@code default-decision} (required as soon as anything here is set),
   * the rules, and where roles come from ({@code role-header}, or the JWT resolver's role claims).
   */
  public static class Access {

    /** What a caller no rule applies to gets: deny or allow. Required with any rule. */
    private @Nullable DefaultDecision defaultDecision;

    /** A request header listing the caller's roles (comma or space separated), e.g. x-roles. */
    private @Nullable String roleHeader;

    /**
     * The rules; a call is allowed when one rule for its consumer or one of its roles allows it.
     */
    private List<Rule> rules = new ArrayList<>();

    /** The default decision; null when unset. */
    public @Nullable DefaultDecision getDefaultDecision() {
      return defaultDecision;
    }

    /** Sets the default decision. */
    public void setDefaultDecision(@Nullable DefaultDecision defaultDecision) {
      this.defaultDecision = defaultDecision;
    }

    /** The roles header; null when unset. */
    public @Nullable String getRoleHeader() {
      return roleHeader;
    }

    /** Sets the roles header. */
    public void setRoleHeader(@Nullable String roleHeader) {
      this.roleHeader = roleHeader;
    }

    /** The rules. */
    public List<Rule> getRules() {
      return rules;
    }

    /** Sets the rules. */
    public void setRules(List<Rule> rules) {
      this.rules = rules;
    }

    boolean configured() {
      return defaultDecision != null || roleHeader != null || !rules.isEmpty();
    }
  }

  /**
   * One access rule, for one {@code consumer} or one {@code role} (exactly one of them). What it
   * does not restrict it allows.
   */
  public static class Rule {

    /** The consumer id the rule is for. */
    private @Nullable String consumer;

    /** The role the rule is for. */
    private @Nullable String role;

    /** The rule's name in events and denials. Unset: consumer:<id> or role:<name>. */
    private @Nullable String name;

    /** Model patterns allowed ("*" any run of characters, case ignored). Empty: every model. */
    private List<String> models = new ArrayList<>();

    /**
     * Operations allowed: chat-completions, completions, embeddings, responses, messages,
     * generate-content.
     */
    private List<Operation> operations = new ArrayList<>();

    /** Backend ids or the pool's name the calls may go to. Empty: every backend. */
    private List<String> backends = new ArrayList<>();

    /** Whether streamed calls are allowed. Unset: allowed. */
    private @Nullable Boolean streaming;

    /** The largest output allowance (max_tokens × n) one call may ask for. Unset: no bound. */
    private @Nullable Long maxOutputTokens;

    /** The consumer id; null when unset. */
    public @Nullable String getConsumer() {
      return consumer;
    }

    /** Sets the consumer id. */
    public void setConsumer(@Nullable String consumer) {
      this.consumer = consumer;
    }

    /** The role; null when unset. */
    public @Nullable String getRole() {
      return role;
    }

    /** Sets the role. */
    public void setRole(@Nullable String role) {
      this.role = role;
    }

    /** The rule's name; null for the default. */
    public @Nullable String getName() {
      return name;
    }

    /** Sets the rule's name. */
    public void setName(@Nullable String name) {
      this.name = name;
    }

    /** The model patterns. */
    public List<String> getModels() {
      return models;
    }

    /** Sets the model patterns. */
    public void setModels(List<String> models) {
      this.models = models;
    }

    /** The operations. */
    public List<Operation> getOperations() {
      return operations;
    }

    /** Sets the operations. */
    public void setOperations(List<Operation> operations) {
      this.operations = operations;
    }

    /** The backends. */
    public List<String> getBackends() {
      return backends;
    }

    /** Sets the backends. */
    public void setBackends(List<String> backends) {
      this.backends = backends;
    }

    /** Whether streaming is allowed; null when unset (allowed). */
    public @Nullable Boolean getStreaming() {
      return streaming;
    }

    /** Sets whether streaming is allowed. */
    public void setStreaming(@Nullable Boolean streaming) {
      this.streaming = streaming;
    }

    /** The largest output allowance; null when unset. */
    public @Nullable Long getMaxOutputTokens() {
      return maxOutputTokens;
    }

    /** Sets the largest output allowance. */
    public void setMaxOutputTokens(@Nullable Long maxOutputTokens) {
      this.maxOutputTokens = maxOutputTokens;
    }
  }

  /**
   * The JWT caller resolver of {@code ai-gateway-jwt} (which must be on the class path): on when
   * any of its properties is set; {@code jwks-url}, {@code issuer} and at least one {@code
   * audiences} entry are then required.
   */
  public static class Jwt {

    /** The issuer's JWKS, for example https://login.example.com/.well-known/jwks.json. */
    private @Nullable URI jwksUrl;

    /** The issuer (iss) every token must name. */
    private @Nullable String issuer;

    /** The audiences (aud) a token may name; at least one. */
    private List<String> audiences = new ArrayList<>();

    /** Claims naming the consumer, first present wins. Unset: sub. */
    private List<String> consumerClaims = new ArrayList<>();

    /** Claims holding roles (lists, or space/comma separated strings). Unset: roles. */
    private List<String> roleClaims = new ArrayList<>();

    /** Signature algorithms accepted. Unset: RS256 and ES256. */
    private List<String> algorithms = new ArrayList<>();

    /** The header carrying the bearer token. Unset: Authorization. */
    private @Nullable String header;

    /** Whether a call without a token is refused. Unset: true. */
    private @Nullable Boolean required;

    /**
     * Whether the token is removed before the call is sent. Unset: removed from a header of its
     * own, sent on in Authorization.
     */
    private @Nullable Boolean stripToken;

    /**
     * Whether the key set may be fetched over plain http from a host that is not a loopback address
     * (a service mesh protecting the path to the issuer). Unset: false, only https (or http to a
     * loopback address).
     */
    private @Nullable Boolean allowPlainHttpKeySet;

    /** Clock skew allowed on exp and nbf, 0 or at least 1s (write the unit). Unset: 60s. */
    private @Nullable Duration clockSkew;

    /** How long the key set is cached, at least 1s (write the unit). Unset: 5m. */
    private @Nullable Duration jwksCacheTtl;

    /**
     * The least time between two fetches for an unknown key id, at least 1s (write the unit).
     * Unset: 30s.
     */
    private @Nullable Duration jwksRefetchInterval;

    /** The bound on one key set fetch; a bare number is milliseconds. Unset: 2s. */
    private @Nullable Duration jwksTimeout;

    /**
     * How long after the last good fetch the key set fetched last keeps verifying tokens while
     * fetches fail (the issuer is down); 0 turns it off (write the unit). Unset: 1h.
     */
    private @Nullable Duration jwksOutageTolerance;

    /** The JWKS URL; null when unset. */
    public @Nullable URI getJwksUrl() {
      return jwksUrl;
    }

    /** Sets the JWKS URL. */
    public void setJwksUrl(@Nullable URI jwksUrl) {
      this.jwksUrl = jwksUrl;
    }

    /** The issuer; null when unset. */
    public @Nullable String getIssuer() {
      return issuer;
    }

    /** Sets the issuer. */
    public void setIssuer(@Nullable String issuer) {
      this.issuer = issuer;
    }

    /** The audiences. */
    public List<String> getAudiences() {
      return audiences;
    }

    /** Sets the audiences. */
    public void setAudiences(List<String> audiences) {
      this.audiences = audiences;
    }

    /** The consumer claims. */
    public List<String> getConsumerClaims() {
      return consumerClaims;
    }

    /** Sets the consumer claims. */
    public void setConsumerClaims(List<String> consumerClaims) {
      this.consumerClaims = consumerClaims;
    }

    /** The role claims. */
    public List<String> getRoleClaims() {
      return roleClaims;
    }

    /** Sets the role claims. */
    public void setRoleClaims(List<String> roleClaims) {
      this.roleClaims = roleClaims;
    }

    /** The algorithms. */
    public List<String> getAlgorithms() {
      return algorithms;
    }

    /** Sets the algorithms. */
    public void setAlgorithms(List<String> algorithms) {
      this.algorithms = algorithms;
    }

    /** The token header; null for the default. */
    public @Nullable String getHeader() {
      return header;
    }

    /** Sets the token header. */
    public void setHeader(@Nullable String header) {
      this.header = header;
    }

    /** Whether a token is required; null for the default. */
    public @Nullable Boolean getRequired() {
      return required;
    }

    /** Sets whether a token is required. */
    public void setRequired(@Nullable Boolean required) {
      this.required = required;
    }

    /**
     * Whether the token is stripped; null for the default (stripped from a header of its own, sent
     * on in {@code Authorization}).
     */
    public @Nullable Boolean getStripToken() {
      return stripToken;
    }

    /** Sets whether the token is stripped. */
    public void setStripToken(@Nullable Boolean stripToken) {
      this.stripToken = stripToken;
    }

    /**
     * Whether the key set may be fetched over plain http from a host that is not a loopback address
     * (a service mesh protecting the path to the issuer); null for the default, false.
     */
    public @Nullable Boolean getAllowPlainHttpKeySet() {
      return allowPlainHttpKeySet;
    }

    /** Sets whether the key set may be fetched over plain http from any host. */
    public void setAllowPlainHttpKeySet(@Nullable Boolean allowPlainHttpKeySet) {
      this.allowPlainHttpKeySet = allowPlainHttpKeySet;
    }

    /** The clock skew; null for the default. */
    public @Nullable Duration getClockSkew() {
      return clockSkew;
    }

    /** Sets the clock skew. */
    public void setClockSkew(@Nullable Duration clockSkew) {
      this.clockSkew = clockSkew;
    }

    /** The key set's cache time; null for the default. */
    public @Nullable Duration getJwksCacheTtl() {
      return jwksCacheTtl;
    }

    /** Sets the key set's cache time. */
    public void setJwksCacheTtl(@Nullable Duration jwksCacheTtl) {
      this.jwksCacheTtl = jwksCacheTtl;
    }

    /** The refetch interval; null for the default. */
    public @Nullable Duration getJwksRefetchInterval() {
      return jwksRefetchInterval;
    }

    /** Sets the refetch interval. */
    public void setJwksRefetchInterval(@Nullable Duration jwksRefetchInterval) {
      this.jwksRefetchInterval = jwksRefetchInterval;
    }

    /** The bound on a key set fetch; null for the default. */
    public @Nullable Duration getJwksTimeout() {
      return jwksTimeout;
    }

    /** Sets the bound on a key set fetch. */
    public void setJwksTimeout(@Nullable Duration jwksTimeout) {
      this.jwksTimeout = jwksTimeout;
    }

    /** The key set's outage tolerance; null for the default. */
    public @Nullable Duration getJwksOutageTolerance() {
      return jwksOutageTolerance;
    }

    /** Sets the key set's outage tolerance. */
    public void setJwksOutageTolerance(@Nullable Duration jwksOutageTolerance) {
      this.jwksOutageTolerance = jwksOutageTolerance;
    }

    /**
     * Whether any of it is set (then jwks-url, issuer and audiences are required): a setting of the
     * group without them fails startup rather than leaving callers unchecked.
     */
    boolean configured() {
      return jwksUrl != null
          || issuer != null
          || !audiences.isEmpty()
          || !consumerClaims.isEmpty()
          || !roleClaims.isEmpty()
          || !algorithms.isEmpty()
          || header != null
          || required != null
          || stripToken != null
          || allowPlainHttpKeySet != null
          || clockSkew != null
          || jwksCacheTtl != null
          || jwksRefetchInterval != null
          || jwksTimeout != null
          || jwksOutageTolerance != null;
    }
  }
}
