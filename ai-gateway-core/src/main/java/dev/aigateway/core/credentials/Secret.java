package dev.aigateway.core.credentials;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A secret held so that printing its holder cannot show it: {@link #toString()} is {@code ****} and
 * only {@link #reveal()} gives it, where it is sent.
 */
final class Secret {

  private final String value;

  /**
   * The secret in every spelling a URL or a form gives it: each character as it is or
   * percent-encoded (its UTF-8 bytes as {@code %XX}, hex digits in either case), a space also as
   * {@code +}. This covers the secret as it is, as a form encodes it ({@code ~} as {@code %7E},
   * {@code +} as {@code %2B}, a space as {@code +}), as RFC 3986 encodes it (a space as {@code
   * %20}, {@code ~} bare) and as an endpoint re-encodes it in lower case; an endpoint quoting the
   * request it refused may echo any of them.
   */
  private final Pattern spellings;

  Secret(String value) {
    Objects.requireNonNull(value, "secret");
    if (value.isBlank()) {
      throw new IllegalArgumentException("a secret must be non-blank");
    }
    this.value = value;
    this.spellings = spellings(value);
  }

  String reveal() {
    return value;
  }

  /**
   * {@code text} with every occurrence of the secret, as it is or percent-encoded in any of the
   * ways a form or a URL spells it, replaced by {@code ****}.
   */
  String redact(String text) {
    return spellings.matcher(text).replaceAll("****");
  }

  private static Pattern spellings(String value) {
    StringBuilder regex = new StringBuilder(value.length() * 16);
    value
        .codePoints()
        .forEach(
            c -> {
              regex.append("(?:").append(Pattern.quote(new String(Character.toChars(c))));
              regex.append('|');
              for (byte b : new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8)) {
                String hex = String.format(Locale.ROOT, "%02X", b & 0xff);
                regex.append('%');
                for (char h : hex.toCharArray()) {
                  regex.append(
                      Character.isLetter(h)
                          ? "[" + h + Character.toLowerCase(h) + "]"
                          : String.valueOf(h));
                }
              }
              if (c == ' ') {
                regex.append("|\\+");
              }
              regex.append(')');
            });
    return Pattern.compile(regex.toString());
  }

  @Override
  public String toString() {
    return "****";
  }
}
