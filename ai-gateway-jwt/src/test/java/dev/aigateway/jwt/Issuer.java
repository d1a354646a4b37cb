package dev.aigateway.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/**
 * A token issuer for tests: generates its keys, publishes the public ones as a JWKS from a
 * MockWebServer (which keys it publishes can change, as in a rotation), and signs tokens.
 */
final class Issuer implements AutoCloseable {

  static final String ISSUER = "https://login.example.com/";
  static final String AUDIENCE = "ai-gateway";

  final MockWebServer server = new MockWebServer();
  private final List<JWK> published = new CopyOnWriteArrayList<>();
  private volatile boolean down;

  Issuer() throws Exception {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            if (down) {
              return new MockResponse.Builder().code(503).body("unavailable").build();
            }
            String body = new JWKSet(List.copyOf(published)).toString(true); // public keys only
            return new MockResponse.Builder()
                .code(200)
                .addHeader("Content-Type", "application/json")
                .body(body)
                .build();
          }
        });
    server.start();
  }

  java.net.URI jwksUrl() {
    return server.url("/.well-known/jwks.json").uri();
  }

  /** Fetches of the key set so far. */
  int fetches() {
    return server.getRequestCount();
  }

  static RSAKey rsaKey(String kid) throws JOSEException {
    return new RSAKeyGenerator(2048).keyID(kid).generate();
  }

  static ECKey ecKey(String kid) throws JOSEException {
    return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
  }

  void publish(JWK key) {
    published.add(key);
  }

  /** Whether the key set's URL answers 503, as an issuer in an outage does. */
  void down(boolean down) {
    this.down = down;
  }

  void unpublishAll() {
    published.clear();
  }

  /** Claims valid now for an hour, from the expected issuer for the expected audience. */
  static JWTClaimsSet.Builder validClaims(Instant now) {
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .subject("alice")
        .issueTime(java.util.Date.from(now))
        .notBeforeTime(java.util.Date.from(now.minusSeconds(5)))
        .expirationTime(java.util.Date.from(now.plusSeconds(3600)));
  }

  static String sign(JWK key, JWTClaimsSet claims) throws JOSEException {
    JWSSigner signer;
    JWSAlgorithm algorithm;
    if (key instanceof RSAKey rsa) {
      signer = new RSASSASigner(rsa);
      algorithm = JWSAlgorithm.RS256;
    } else {
      signer = new ECDSASigner((ECKey) key);
      algorithm = JWSAlgorithm.ES256;
    }
    SignedJWT jwt =
        new SignedJWT(new JWSHeader.Builder(algorithm).keyID(key.getKeyID()).build(), claims);
    jwt.sign(signer);
    return jwt.serialize();
  }

  @Override
  public void close() {
    server.close();
  }
}
