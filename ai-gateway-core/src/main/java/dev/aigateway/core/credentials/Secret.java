package dev.aigateway.core.credentials;

import java.util.Objects;

/**
 * A secret held so that printing its holder cannot show it: {@link #toString()} is {@code ****} and
 * only {@link #reveal()} gives it, where it is sent.
 */
final class Secret {

  private final String value;

  Secret(String value) {
    Objects.requireNonNull(value, "secret");
    if (value.isBlank()) {
      throw new IllegalArgumentException("a secret must be non-blank");
    }
    this.value = value;
  }

  String reveal() {
    return value;
  }

  /** {@code text} with every occurrence of the secret replaced by {@code ****}. */
  String redact(String text) {
    return text.replace(value, "****");
  }

  @Override
  public String toString() {
    return "****";
  }
}
