package dev.aigateway.api.spi;

import java.util.Objects;

/**
 * A secret to present to a backend. How it is sent depends on its kind and the backend's flavour: a
 * bearer token always as {@code Authorization: Bearer}; an API key in the header the flavour reads
 * ({@link dev.aigateway.api.BackendFlavor#apiKeyHeader()}: Azure's {@code api-key}, Gemini's {@code
 * x-goog-api-key}, Anthropic's {@code x-api-key}), else as {@code Authorization: Bearer}. {@link
 * #toString()} never shows the secret.
 *
 * @param kind API key or bearer token
 * @param secret the secret itself
 */
public record Credential(Kind kind, String secret) {

  /** The two kinds of credential a backend accepts. */
  public enum Kind {
    /** A static API key. */
    API_KEY,
    /** An OAuth 2.0 / Entra ID access token (or any bearer token). */
    BEARER_TOKEN
  }

  public Credential {
    Objects.requireNonNull(kind, "kind");
    if (secret == null || secret.isBlank()) {
      throw new IllegalArgumentException("a credential's secret must be non-blank");
    }
  }

  @Override
  public String toString() {
    return "Credential{" + kind + ", ****}";
  }
}
