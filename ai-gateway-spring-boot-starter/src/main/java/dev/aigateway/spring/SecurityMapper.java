package dev.aigateway.spring;

import dev.aigateway.api.Operation;
import dev.aigateway.api.RoleResolver;
import dev.aigateway.api.spi.CredentialProvider;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.access.AccessPolicy;
import dev.aigateway.core.access.AccessRule;
import dev.aigateway.core.credentials.JwsAlgorithm;
import dev.aigateway.core.credentials.OAuthClientCredentials;
import dev.aigateway.spring.SecurityProperties.Access;
import dev.aigateway.spring.SecurityProperties.OAuth;
import dev.aigateway.spring.SecurityProperties.Rule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.Resource;

/**
 * Turns the security properties into the core's configuration: OAuth client credentials (a PEM
 * private key read from its resource), the access policy and where roles and callers come from.
 * Messages name the property and never its secret value.
 */
final class SecurityMapper {

  private static final String P = AiGatewayProperties.PREFIX;
  private static final int MAX_PEM_BYTES = 64 * 1024;

  /** Fewer characters than the base64 of the smallest key (an EC P-256 PKCS#8 key: 92). */
  private static final int MIN_KEY_BASE64_CHARS = 64;

  /** Base64 (with line breaks), as a key's is: no dot, no colon. */
  private static final Pattern KEY_BASE64 = Pattern.compile("[A-Za-z0-9+/=\\s]+");

  private SecurityMapper() {}

  /** A backend's OAuth 2.0 client credentials; {@code path} is the {@code oauth} group's. */
  static CredentialProvider oauth(OAuth oauth, String path) {
    String tokenUrl = oauth.getTokenUrl();
    if (tokenUrl == null || tokenUrl.isBlank()) {
      throw new InvalidGatewayPropertyException(
          path + ".token-url",
          "OAuth client credentials need the token endpoint, for example"
              + " https://login.example.com/oauth2/token",
          null);
    }
    String clientId = oauth.getClientId();
    if (clientId == null || clientId.isBlank()) {
      throw new InvalidGatewayPropertyException(
          path + ".client-id", "OAuth client credentials need the client id", null);
    }
    OAuthClientCredentials.Builder builder = OAuthClientCredentials.builder();
    GatewayPropertiesMapper.check(path + ".token-url", () -> builder.tokenUrl(tokenUrl));
    GatewayPropertiesMapper.check(path + ".client-id", () -> builder.clientId(clientId));
    String secret = oauth.getClientSecret();
    Resource key = oauth.getPrivateKey();
    if ((secret == null) == (key == null)) {
      throw new InvalidGatewayPropertyException(
          path + (secret == null ? ".client-secret" : ".private-key"),
          secret == null
              ? "set client-secret or private-key (a PKCS#8 PEM key for a private-key JWT)"
              : "set client-secret or private-key, not both",
          null);
    }
    if (secret != null) {
      if (secret.isBlank()) {
        throw new InvalidGatewayPropertyException(
            path + ".client-secret", "is blank; set the client secret or remove it", null);
      }
      if (oauth.getPrivateKeyId() != null) {
        throw new InvalidGatewayPropertyException(
            path + ".private-key-id",
            "is the kid of a private-key JWT, but the client authenticates with client-secret;"
                + " remove it, or set private-key in place of client-secret",
            null);
      }
      if (!oauth.getPrivateKeyAlgorithm().trim().equalsIgnoreCase(OAuth.DEFAULT_KEY_ALGORITHM)) {
        throw new InvalidGatewayPropertyException(
            path + ".private-key-algorithm",
            "signs a private-key JWT, but the client authenticates with client-secret; remove it,"
                + " or set private-key in place of client-secret",
            null);
      }
      // The builder's messages never quote the secret; still, name only the property.
      switch (oauth.getClientAuthentication()) {
        case POST -> builder.clientSecret(secret);
        case BASIC -> builder.clientSecretBasic(secret);
      }
    } else {
      if (oauth.getClientAuthentication() != SecurityProperties.ClientAuthentication.POST) {
        throw new InvalidGatewayPropertyException(
            path + ".client-authentication",
            "says how a client-secret is sent, but the client signs a private-key JWT with"
                + " private-key; remove it, or set client-secret in place of private-key",
            null);
      }
      JwsAlgorithm algorithm = algorithm(oauth.getPrivateKeyAlgorithm(), path);
      PrivateKey privateKey = pemPrivateKey(key, algorithm, path + ".private-key");
      GatewayPropertiesMapper.check(
          path + ".private-key",
          () -> builder.privateKeyJwt(privateKey, oauth.getPrivateKeyId(), algorithm));
    }
    if (!oauth.getScopes().isEmpty()) {
      GatewayPropertiesMapper.check(
          path + ".scopes", () -> builder.scope(oauth.getScopes().toArray(String[]::new)));
    }
    Duration ahead = oauth.getRefreshAhead();
    if (ahead != null) {
      GatewayPropertiesMapper.atLeastASecond(
          path + ".refresh-ahead", ahead, "refreshing a token before it expires");
      GatewayPropertiesMapper.check(path + ".refresh-ahead", () -> builder.refreshAhead(ahead));
    }
    Duration timeout = oauth.getRefreshTimeout();
    if (timeout != null) {
      GatewayPropertiesMapper.check(
          path + ".refresh-timeout", () -> builder.refreshTimeout(timeout));
    }
    return GatewayPropertiesMapper.check(path, builder::build);
  }

  private static JwsAlgorithm algorithm(String name, String path) {
    try {
      return JwsAlgorithm.valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidGatewayPropertyException(
          path + ".private-key-algorithm",
          "'" + name + "' is not one of " + Arrays.toString(JwsAlgorithm.values()),
          null);
    }
  }

  /**
   * Whether {@code resource} is a PEM key pasted where its location goes, with or without its
   * {@code -----BEGIN} line (the key's base64 alone): Spring reads the value as a class path
   * location, whose description would then show the key. The key's base64 is told from a location
   * by its length (64 characters or more) and its alphabet: a URL has a colon, and a path that long
   * has a dot (a file name's extension).
   */
  static boolean isPastedPem(Resource resource) {
    String description = resource.getDescription();
    if (description.contains("-----BEGIN")) {
      return true;
    }
    int open = description.indexOf('[');
    int close = description.lastIndexOf(']');
    String location =
        open >= 0 && close > open ? description.substring(open + 1, close) : description;
    return location.length() >= MIN_KEY_BASE64_CHARS && KEY_BASE64.matcher(location).matches();
  }

  /**
   * The PKCS#8 private key in the PEM at {@code resource}, of the algorithm's family (RSA or EC).
   * Failures name the property and the resource, never the key's bytes.
   */
  static PrivateKey pemPrivateKey(Resource resource, JwsAlgorithm algorithm, String property) {
    if (isPastedPem(resource)) {
      throw new InvalidGatewayPropertyException(
          property,
          "is a PEM key (or its base64) itself, not its location (the key is not shown): put it"
              + " in a file, such as a mounted secret, and write that file's location, for example"
              + " file:/run/secrets/llm-client.pem",
          null);
    }
    String pem;
    try (InputStream in = resource.getInputStream()) {
      byte[] bytes = in.readNBytes(MAX_PEM_BYTES + 1);
      if (bytes.length > MAX_PEM_BYTES) {
        throw new InvalidGatewayPropertyException(
            property,
            resource.getDescription() + " is larger than " + MAX_PEM_BYTES + " bytes: not a key",
            null);
      }
      pem = new String(bytes, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new InvalidGatewayPropertyException(
          property, resource.getDescription() + " cannot be read: " + e.getClass().getName(), e);
    }
    String begin = "-----BEGIN PRIVATE KEY-----";
    String end = "-----END PRIVATE KEY-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf(end);
    if (from < 0 || to < from) {
      String hint =
          pem.contains("-----BEGIN RSA PRIVATE KEY-----")
                  || pem.contains("-----BEGIN EC PRIVATE KEY-----")
              ? " (it holds a PKCS#1 or SEC 1 key: convert it with openssl pkcs8 -topk8 -nocrypt)"
              : pem.contains("ENCRYPTED")
                  ? " (an encrypted key is not supported: store it unencrypted, as a secret)"
                  : "";
      throw new InvalidGatewayPropertyException(
          property,
          resource.getDescription() + " holds no PKCS#8 PEM key (" + begin + ")" + hint,
          null);
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
    } catch (IllegalArgumentException e) {
      throw new InvalidGatewayPropertyException(
          property, resource.getDescription() + " is not valid base64 PEM", null);
    }
    String family = algorithm.name().startsWith("ES") ? "EC" : "RSA";
    try {
      return KeyFactory.getInstance(family).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new InvalidGatewayPropertyException(
          property,
          resource.getDescription()
              + " is not an "
              + family
              + " private key, which "
              + algorithm
              + " needs",
          null);
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  /**
   * Sets the access policy, the role header and the JWT caller resolver on {@code builder}, as
   * configured.
   */
  static void apply(
      AiGatewayProperties properties, OptionalModules modules, AiGateway.Builder builder) {
    Access access = properties.getAccess();
    SecurityProperties.Jwt jwt = properties.getJwt();
    String roleHeader = access.getRoleHeader();
    if (jwt.configured()) {
      if (roleHeader != null) {
        throw new InvalidGatewayPropertyException(
            P + ".access.role-header",
            "roles come from the JWT's role claims when ai-gateway.jwt is set; remove role-header"
                + " or set ai-gateway.jwt.role-claims",
            null);
      }
      OptionalModules.JwtSupport support = modules.jwt();
      if (support == null) {
        throw new InvalidGatewayPropertyException(
            P + ".jwt",
            "validating JWTs needs dev.aigateway:ai-gateway-jwt on the class path; add it as a"
                + " dependency",
            null);
      }
      builder.callerResolver(support.callerResolver(jwt, P + ".jwt"));
    } else if (roleHeader != null) {
      builder.roleResolver(
          GatewayPropertiesMapper.check(
              P + ".access.role-header", () -> RoleResolver.header(roleHeader)));
    }
    AccessPolicy policy = accessPolicy(access);
    if (policy != null) {
      builder.accessPolicy(policy);
    }
  }

  private static @Nullable AccessPolicy accessPolicy(Access access) {
    String path = P + ".access";
    if (access.getDefaultDecision() == null) {
      if (!access.getRules().isEmpty()) {
        throw new InvalidGatewayPropertyException(
            path + ".default-decision",
            "set what a caller no rule applies to gets: deny (only what a rule allows) or allow",
            null);
      }
      return null;
    }
    AccessPolicy.Builder policy =
        switch (access.getDefaultDecision()) {
          case DENY -> AccessPolicy.denyByDefault();
          case ALLOW -> AccessPolicy.allowByDefault();
        };
    List<Rule> rules = access.getRules();
    for (int i = 0; i < rules.size(); i++) {
      String at = path + ".rules[" + i + "]";
      AccessRule rule = rule(rules.get(i), at);
      GatewayPropertiesMapper.check(at, () -> policy.rule(rule));
    }
    return GatewayPropertiesMapper.check(path, policy::build);
  }

  static AccessRule rule(Rule rule, String path) {
    String consumer = rule.getConsumer();
    String role = rule.getRole();
    if ((consumer == null) == (role == null)) {
      throw new InvalidGatewayPropertyException(
          path + (consumer == null ? ".role" : ".consumer"),
          consumer == null
              ? "a rule is for one consumer or one role; set consumer or role"
              : "a rule is for one consumer or one role, not both",
          null);
    }
    AccessRule.Builder builder =
        consumer != null
            ? GatewayPropertiesMapper.check(
                path + ".consumer", () -> AccessRule.forConsumer(consumer))
            : GatewayPropertiesMapper.check(path + ".role", () -> AccessRule.forRole(role));
    String name = rule.getName();
    if (name != null) {
      GatewayPropertiesMapper.check(path + ".name", () -> builder.name(name));
    }
    if (!rule.getModels().isEmpty()) {
      GatewayPropertiesMapper.check(
          path + ".models", () -> builder.models(rule.getModels().toArray(String[]::new)));
    }
    if (!rule.getOperations().isEmpty()) {
      GatewayPropertiesMapper.check(
          path + ".operations",
          () -> builder.operations(rule.getOperations().toArray(Operation[]::new)));
    }
    if (!rule.getBackends().isEmpty()) {
      GatewayPropertiesMapper.check(
          path + ".backends", () -> builder.backends(rule.getBackends().toArray(String[]::new)));
    }
    Boolean streaming = rule.getStreaming();
    if (streaming != null) {
      builder.streaming(streaming);
    }
    Long max = rule.getMaxOutputTokens();
    if (max != null) {
      GatewayPropertiesMapper.check(
          path + ".max-output-tokens", () -> builder.maxOutputTokens(max));
    }
    return GatewayPropertiesMapper.check(path, builder::build);
  }
}
