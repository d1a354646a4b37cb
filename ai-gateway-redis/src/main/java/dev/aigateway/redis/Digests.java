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
   * "bc")} differ), as 43 base64url characters. A part is hashed as its UTF-8 bytes, or, when it is
   * not well-formed UTF-16 (an unpaired surrogate, which UTF-8 cannot hold), as a mark no byte
   * count can be and its UTF-16 code units: so parts that differ always hash apart (UTF-8 alone
   * would read {@code "a\\ud800"} as {@code "a?"}).
   */
  static String of(String... parts) {
    MessageDigest sha = sha256();
    for (String part : parts) {
      if (Wire.wellFormed(part)) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        update(sha, bytes.length);
        sha.update(bytes);
      } else {
        update(sha, Wire.UTF16);
        update(sha, part.length());
        for (int i = 0; i < part.length(); i++) {
          char c = part.charAt(i);
          sha.update(new byte[] {(byte) (c >>> 8), (byte) c});
        }
      }
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
  }

  private static void update(MessageDigest sha, int n) {
    sha.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
