package dev.aigateway.core.credentials;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A secret held so that printing its holder cannot show it: {@link #toString()} is {@code ****} and
 * only {@link #reveal()} gives it, where it is sent.
 */
final class Secret {

  private final String value;

  /**
   * The secret as a token request's form spells it ({@code ~} as {@code %7E}, {@code +} as {@code
   * %2B}, ...), which an endpoint quoting the request it refused echoes; null when the same.
   */
  private final @Nullable String formEncoded;

  Secret(String value) {
    Objects.requireNonNull(value, "secret");
    if (value.isBlank()) {
      throw new IllegalArgumentException("a secret must be non-blank");
    }
    this.value = value;
    String encoded = URLEncoder.encode(value, StandardCharsets.UTF_8);
    this.formEncoded = encoded.equals(value) ? null : encoded;
  }

  String reveal() {
    return value;
  }

  /**
   * {@code text} with every occurrence of the secret, as it is or as a form encodes it, replaced by
   * {@code ****}.
   */
  String redact(String text) {
    String redacted = text.replace(value, "****");
    return formEncoded == null ? redacted : redacted.replace(formEncoded, "****");
  }

  @Override
  public String toString() {
    return "****";
  }
}
