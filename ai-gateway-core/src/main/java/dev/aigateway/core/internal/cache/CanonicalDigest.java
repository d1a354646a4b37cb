package dev.aigateway.core.internal.cache;

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


/**
 * A SHA-256 digest of JSON values in canonical form: object members in key order, numbers by
 * value ({@code 1}, {@code 1.0} and {@code 1e0} are one number), strings by their characters (any
 * escaping), no whitespace. Every value is written with a type tag and strings with their length,
 * so distinct values never run together into the same bytes.
 *
 * <p>Not thread-safe; one per key computed.
 */
public final class CanonicalDigest {

  private static final Base64.Encoder KEY_ENCODING = Base64.getUrlEncoder().withoutPadding();

  private final MessageDigest digest;
  private final byte[] scratch = new byte[256];

  public CanonicalDigest() {
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** Adds a labelled string (labels keep fields apart: "model" then "gpt-4o"). */
  public CanonicalDigest add(String label, String value) {
    string(label);
    if (value == null) {
      digest.update((byte) 'n');
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
   * Adds an object's members, in key order, leaving out {@code ignored} top-level names.
   */
  public CanonicalDigest addMembers(JsonNode object, Collection<String> ignored) {
    List<String> names = new ArrayList<>(object.size());
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!ignored.contains(name)) {
        names.add(name);
      }
    }
    Collections.sort(names);
    digest.update((byte) '{');
    for (String name : names) {
      string(name);
      value(object.get(name));
    }
    digest.update((byte) '}');
    return this;
  }

  /** The digest as a 43-character URL-safe key; the digest cannot be used afterwards. */
  public String key() {
    return KEY_ENCODING.encodeToString(digest.digest());
  }

  private void value(JsonNode node) {
    switch (node.getNodeType()) {
      case OBJECT -> addMembers(node, Collections.emptySet());
      case ARRAY -> {
        digest.update((byte) '[');
        int n = node.size();
        lengthOf(n);
        for (int i = 0; i < n; i++) {
          value(node.get(i));
        }
        digest.update((byte) ']');
      }
      case STRING -> string(node.textValue());
      case NUMBER -> {
        digest.update((byte) '#');
        ascii(canonicalNumber(node));
      }
      case BOOLEAN -> digest.update((byte) (node.booleanValue() ? 't' : 'f'));
      case NULL, MISSING -> digest.update((byte) 'n');
      default -> {
        // Binary or POJO nodes never come from parsing JSON text.
        string(node.toString());
      }
    }
  }

  /** Numbers by value: {@code 1}, {@code 1.0} and {@code 1E+0} give the same text. */
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
    return stripped.signum() == 0 ? "0" : stripped.toString();
  }

  private void string(String s) {
    digest.update((byte) '"');
    lengthOf(s.length());
    int length = s.length();
    int i = 0;
    while (i < length) {
      // ASCII runs go straight in; anything else is encoded in UTF-8.
      int n = 0;
      while (i < length && n < scratch.length) {
        char c = s.charAt(i);
        if (c >= 0x80) {
          break;
        }
        scratch[n++] = (byte) c;
        i++;
      }
      digest.update(scratch, 0, n);
      if (i < length && s.charAt(i) >= 0x80) {
        int end = i;
        while (end < length && s.charAt(end) >= 0x80) {
          end++;
        }
        digest.update(s.substring(i, end).getBytes(StandardCharsets.UTF_8));
        i = end;
      }
    }
  }

  private void ascii(String s) {
    for (int i = 0; i < s.length(); i++) {
      digest.update((byte) s.charAt(i));
    }
    digest.update((byte) ';');
  }

  private void lengthOf(int n) {
    digest.update((byte) (n >>> 24));
    digest.update((byte) (n >>> 16));
    digest.update((byte) (n >>> 8));
    digest.update((byte) n);
  }

}
