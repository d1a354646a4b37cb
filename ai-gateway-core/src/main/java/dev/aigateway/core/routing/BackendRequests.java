package dev.aigateway.core.routing;

import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.spi.Credential;
import java.util.Map;
import org.jspecify.annotations.Nullable;

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

  /**
   * The API-version header a backend pins on every call ({@code anthropic-version} for an Anthropic
   * backend built with a version), or null when the application's own header goes through.
   */
  public static Map.@Nullable Entry<String, String> versionHeader(Backend backend) {
    return backend.flavor() == BackendFlavor.ANTHROPIC && backend.apiVersion() != null
        ? Map.entry("anthropic-version", backend.apiVersion())
        : null;
  }
}
