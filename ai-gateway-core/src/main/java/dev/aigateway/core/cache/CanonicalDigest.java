package dev.aigateway.core.cache;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A SHA-256 digest of JSON values in canonical form: object members in key order, numbers by value
 * ({@code 1}, {@code 1.0} and {@code 1e0} are one number), strings by their characters (any
 * escaping), no whitespace. Every value is written with a type tag and strings with their length,
 * so distinct values never run together into the same bytes.
 *
 * <p>Not thread-safe; one per key computed.
 */
final class CanonicalDigest {

  private static final Base64.Encoder KEY_ENCODING = Base64.getUrlEncoder().withoutPadding();

  private final MessageDigest digest;

  /** Bytes not yet given to the digest: one update per buffer, not per value. */
  private final byte[] buffer = new byte[512];

  private int buffered;

  /** Cloning a fresh digest is cheaper than looking the algorithm up among the providers. */
  private static final MessageDigest PROTOTYPE = sha256();

  public CanonicalDigest() {
    MessageDigest fresh;
    try {
      fresh = (MessageDigest) PROTOTYPE.clone();
    } catch (CloneNotSupportedException e) {
      fresh = sha256();
    }
    digest = fresh;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** Adds a labelled string (labels keep fields apart: "model" then "gpt-4o"). */
  public CanonicalDigest add(String label, String value) {
    string(label);
    if (value == null) {
      put((byte) 'n');
    } else {
      string(value);
    }
    return this;
  }

  /** Adds a JSON value in canonical form. */
  public CanonicalDigest add(JsonNode node) {
    value(node);
    return this;
  }

  /**
   * Adds an object's members, in key order, leaving out {@code ignored} top-level names and {@code
   * alsoIgnored} (may be null).
   */
  public CanonicalDigest addMembers(
      JsonNode object, Collection<String> ignored, @Nullable String alsoIgnored) {
    List<String> names = new ArrayList<>(object.size());
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!ignored.contains(name) && !name.equals(alsoIgnored)) {
        names.add(name);
      }
    }
    Collections.sort(names);
    put((byte) '{');
    for (String name : names) {
      string(name);
      value(object.get(name));
    }
    put((byte) '}');
    return this;
  }

  /** Adds an object's members, in key order, leaving out {@code ignored} top-level names. */
  public CanonicalDigest addMembers(JsonNode object, Collection<String> ignored) {
    return addMembers(object, ignored, null);
  }

  /** The digest as a 43-character URL-safe key; the digest cannot be used afterwards. */
  public String key() {
    flush();
    return KEY_ENCODING.encodeToString(digest.digest());
  }

  private void value(JsonNode node) {
    switch (node.getNodeType()) {
      case OBJECT -> addMembers(node, Collections.emptySet(), null);
      case ARRAY -> {
        put((byte) '[');
        int n = node.size();
        lengthOf(n);
        for (int i = 0; i < n; i++) {
          value(node.get(i));
        }
        put((byte) ']');
      }
      case STRING -> string(node.textValue());
      case NUMBER -> {
        put((byte) '#');
        put(canonicalNumber(node).getBytes(StandardCharsets.US_ASCII));
        put((byte) ';');
      }
      case BOOLEAN -> put((byte) (node.booleanValue() ? 't' : 'f'));
      case NULL, MISSING -> put((byte) 'n');
      default -> {
        // Binary or POJO nodes never come from parsing JSON text.
        string(node.toString());
      }
    }
  }

  /** The largest power of ten a whole number is written out to in full (a double's is 308). */
  private static final int MAX_WHOLE_EXPONENT = 400;

  /**
   * Numbers by value: {@code 1}, {@code 1.0} and {@code 1E+0} give the same text, as {@code 100},
   * {@code 100.0} and {@code 1e2} do.
   */
  static String canonicalNumber(JsonNode node) {
    BigDecimal value;
    if (node.isIntegralNumber()) {
      return node.bigIntegerValue().toString();
    }
    if (node.isBigDecimal()) {
      value = node.decimalValue();
    } else {
      double d = node.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        return Double.toString(d);
      }
      value = BigDecimal.valueOf(d);
    }
    BigDecimal stripped = value.stripTrailingZeros();
    if (stripped.signum() == 0) {
      return "0";
    }
    // A whole number is written as an integer is (100.0 and 1e2 as 100, not 1E+2); a double's
    // exponent stays below 309, so the digits written are bounded.
    return stripped.scale() <= 0 && stripped.scale() > -MAX_WHOLE_EXPONENT
        ? stripped.toBigInteger().toString()
        : stripped.toString();
  }

  /** A string as its UTF-8 bytes, after their count (so strings never run together). */
  private void string(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    put((byte) '"');
    lengthOf(utf8.length);
    put(utf8);
  }

  private void lengthOf(int n) {
    if (buffered + 4 > buffer.length) {
      flush();
    }
    buffer[buffered++] = (byte) (n >>> 24);
    buffer[buffered++] = (byte) (n >>> 16);
    buffer[buffered++] = (byte) (n >>> 8);
    buffer[buffered++] = (byte) n;
  }

  private void put(byte b) {
    if (buffered == buffer.length) {
      flush();
    }
    buffer[buffered++] = b;
  }

  private void put(byte[] bytes) {
    if (bytes.length > buffer.length - buffered) {
      flush();
      if (bytes.length > buffer.length) {
        digest.update(bytes);
        return;
      }
    }
    System.arraycopy(bytes, 0, buffer, buffered, bytes.length);
    buffered += bytes.length;
  }

  private void flush() {
    if (buffered > 0) {
      digest.update(buffer, 0, buffered);
      buffered = 0;
    }
  }
}
