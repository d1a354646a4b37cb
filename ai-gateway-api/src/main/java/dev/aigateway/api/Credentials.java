package dev.aigateway.api;

import dev.aigateway.api.spi.Credential;
import dev.aigateway.api.spi.CredentialProvider;

/**
 * Static credentials for backends.
 *
 * <pre>{@code
 * Backend.azureOpenAi("eastus", "https://eastus.openai.azure.com", "2024-10-21")
 *     .credential(Credentials.apiKey(System.getenv("AZURE_OPENAI_KEY")))
 * }</pre>
 */
public final class Credentials {

  private Credentials() {}

  /**
   * A fixed API key, sent in the header the backend's flavour reads ({@link
   * BackendFlavor#apiKeyHeader()}: {@code api-key} on Azure flavours, {@code x-goog-api-key} on
   * Gemini, {@code x-api-key} on Anthropic), else as {@code Authorization: Bearer}.
   */
  public static CredentialProvider apiKey(String key) {
    return fixed(new Credential(Credential.Kind.API_KEY, key));
  }

  /** A fixed bearer token ({@code Authorization: Bearer}). */
  public static CredentialProvider bearerToken(String token) {
    return fixed(new Credential(Credential.Kind.BEARER_TOKEN, token));
  }

  private static CredentialProvider fixed(Credential credential) {
    return new CredentialProvider() {
      @Override
      public Credential credential() {
        return credential;
      }

      @Override
      public String toString() {
        return credential.toString();
      }
    };
  }
}
