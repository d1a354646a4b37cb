package dev.aigateway.core.routing;

import dev.aigateway.api.spi.Credential;
import java.util.Map;

/**
 * How a call presents a backend's credential. The rest of the rewrite for a backend (URL, model,
 * body) is the call's wire format's ({@link dev.aigateway.core.wire.WireFormat#backendUrl}).
 */
final class BackendRequests {

  private BackendRequests() {}

  /**
   * The header that presents the credential to the backend.
   *
   * @throws IllegalArgumentException when the secret holds a character HTTP clients refuse in a
   *     header value (anything but a tab and printable ASCII); the message never holds the secret,
   *     unlike the error a client would raise (OkHttp hides only some headers' values)
   */
  public static Map.Entry<String, String> credentialHeader(Backend backend, Credential credential) {
    String secret = credential.secret();
    for (int i = 0; i < secret.length(); i++) {
      char c = secret.charAt(i);
      if (c != '\t' && (c < ' ' || c > '~')) {
        throw new IllegalArgumentException(
            "the credential of backend '"
                + backend.id()
                + "' holds a character not allowed in a header value, at index "
                + i);
      }
    }
    String apiKeyHeader = backend.flavor().apiKeyHeader();
    if (credential.kind() == Credential.Kind.API_KEY && apiKeyHeader != null) {
      return Map.entry(apiKeyHeader, credential.secret());
    }
    return Map.entry("Authorization", "Bearer " + credential.secret());
  }
}
