package dev.aigateway.core.credentials;

import java.security.InvalidAlgorithmParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;

/**
 * How a private-key JWT client assertion (RFC 7523) is signed: the JWS algorithms of RFC 7518 that
 * token endpoints accept for it. Signing uses the JDK's {@link Signature}; ECDSA signatures are
 * produced in the fixed-length form JWS requires (IEEE P1363), not DER.
 */
public enum JwsAlgorithm {
  /** RSASSA-PKCS1-v1_5 with SHA-256 (the one every endpoint accepts). */
  RS256("SHA256withRSA", true),
  /** RSASSA-PKCS1-v1_5 with SHA-384. */
  RS384("SHA384withRSA", true),
  /** RSASSA-PKCS1-v1_5 with SHA-512. */
  RS512("SHA512withRSA", true),
  /** RSASSA-PSS with SHA-256 and MGF1 with SHA-256. */
  PS256("RSASSA-PSS", true),
  /** ECDSA on P-256 with SHA-256. */
  ES256("SHA256withECDSAinP1363Format", false),
  /** ECDSA on P-384 with SHA-384. */
  ES384("SHA384withECDSAinP1363Format", false);

  private final String jdkName;
  private final boolean rsa;

  JwsAlgorithm(String jdkName, boolean rsa) {
    this.jdkName = jdkName;
    this.rsa = rsa;
  }

  /** Whether {@code key} is of the kind this algorithm signs with (RSA or EC). */
  boolean fits(PrivateKey key) {
    return rsa ? key instanceof RSAKey : key instanceof ECKey;
  }

  /** The kind of key this algorithm needs. */
  String keyKind() {
    return rsa ? "RSA" : "EC";
  }

  /** A fresh signature engine for this algorithm. */
  Signature signature() throws NoSuchAlgorithmException, InvalidAlgorithmParameterException {
    Signature signature = Signature.getInstance(jdkName);
    if (this == PS256) {
      signature.setParameter(
          new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
    }
    return signature;
  }
}
