package dev.aigateway.core.routing;

import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.spi.Credential;
import dev.aigateway.core.wire.HeaderValues;
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
    int bad = HeaderValues.notAllowedAt(credential.secret());
    if (bad >= 0) {
      throw new IllegalArgumentException(
          "the credential of backend '"
              + backend.id()
              + "' holds a character not allowed in a header value, at index "
              + bad);
    }
    String apiKeyHeader = backend.flavor().apiKeyHeader();
    if (credential.kind() == Credential.Kind.API_KEY && apiKeyHeader != null) {
      return Map.entry(apiKeyHeader, credential.secret());
    }
    return Map.entry("Authorization", "Bearer " + credential.secret());
  }

  /**
   * Checks the headers a backend's signer gives a request (a session token among them).
   *
   * @throws IllegalArgumentException when a value holds a character HTTP clients refuse in a header
   *     value; the message names the header, never its value
   */
  public static void checkSignedHeaders(Backend backend, Map<String, String> headers) {
    headers.forEach(
        (name, value) -> {
          int bad = HeaderValues.notAllowedAt(value);
          if (bad >= 0) {
            throw new IllegalArgumentException(
                "the signer of backend '"
                    + backend.id()
                    + "' gave header "
                    + name
                    + " a character not allowed in a header value, at index "
                    + bad);
          }
        });
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
