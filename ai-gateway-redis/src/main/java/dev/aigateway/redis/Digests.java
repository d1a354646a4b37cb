package dev.aigateway.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** Redis key parts made from arbitrary strings: fixed length, safe characters, no separators. */
final class Digests {

  private Digests() {}

  /**
   * The SHA-256 of the parts, each preceded by its length (so {@code ("ab", "c")} and {@code ("a",
   * "bc")} differ), as 43 base64url characters.
   */
  static String of(String... parts) {
    MessageDigest sha = sha256();
    for (String part : parts) {
      byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
      int n = bytes.length;
      sha.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
      sha.update(bytes);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
