package dev.aigateway.core.credentials;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.core.wire.Json;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A private-key JWT client assertion (RFC 7523 §2.2, OpenID Connect's {@code private_key_jwt}): a
 * JWT the client signs to authenticate at the token endpoint instead of sending a secret. Each
 * assertion is new (its own {@code jti}) and short-lived. Holds the key; prints neither it nor an
 * assertion.
 */
final class ClientAssertion {

  /** {@code client_assertion_type} for a JWT assertion (RFC 7523 §2.2). */
  static final String TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

  /** How long an assertion is valid: long enough for one token request, no more. */
  static final Duration LIFETIME = Duration.ofMinutes(5);

  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

  private final PrivateKey key;
  private final @Nullable String keyId;
  private final JwsAlgorithm algorithm;

  ClientAssertion(PrivateKey key, @Nullable String keyId, JwsAlgorithm algorithm) {
    this.key = Objects.requireNonNull(key, "privateKey");
    this.keyId = keyId;
    this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
    if (!algorithm.fits(key)) {
      throw new IllegalArgumentException(
          algorithm
              + " signs with an "
              + algorithm.keyKind()
              + " private key; the key given is "
              + key.getAlgorithm());
    }
  }

  /**
   * A signed assertion that {@code clientId} (issuer and subject) makes to {@code audience} (the
   * token endpoint), issued {@code now}.
   *
   * @throws GeneralSecurityException when the key cannot sign
   */
  String sign(String clientId, String audience, Instant now) throws GeneralSecurityException {
    ObjectNode header = Json.MAPPER.createObjectNode();
    header.put("alg", algorithm.name());
    header.put("typ", "JWT");
    if (keyId != null) {
      header.put("kid", keyId);
    }
    long issuedAt = now.getEpochSecond();
    ObjectNode claims = Json.MAPPER.createObjectNode();
    claims.put("iss", clientId);
    claims.put("sub", clientId);
    claims.put("aud", audience);
    claims.put("jti", UUID.randomUUID().toString());
    claims.put("iat", issuedAt);
    claims.put("nbf", issuedAt);
    claims.put("exp", issuedAt + LIFETIME.getSeconds());
    String signingInput = encode(header) + "." + encode(claims);
    Signature signature = algorithm.signature();
    signature.initSign(key);
    signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + BASE64URL.encodeToString(signature.sign());
  }

  JwsAlgorithm algorithm() {
    return algorithm;
  }

  private static String encode(ObjectNode node) {
    return BASE64URL.encodeToString(node.toString().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "private_key_jwt " + algorithm + (keyId == null ? "" : " kid " + keyId);
  }
}
