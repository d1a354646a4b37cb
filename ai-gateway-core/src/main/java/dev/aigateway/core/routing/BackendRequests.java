package dev.aigateway.core.routing;

import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.Operation;
import dev.aigateway.api.spi.Credential;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** How a call is rewritten for one backend: its URL, its credential header, its model field. */
final class BackendRequests {

  private BackendRequests() {}

  /** The URL a call for {@code targetModel} goes to on {@code backend}. */
  public static String url(Backend backend, Operation operation, String targetModel) {
    String base = backend.baseUrl();
    return switch (backend.flavor()) {
      case OPENAI, OPENAI_COMPATIBLE ->
          (base.endsWith("/v1") ? base : base + "/v1") + "/" + operation.pathSuffix();
      case AZURE_OPENAI_V1 ->
          (base.endsWith("/openai/v1") ? base : base + "/openai/v1") + "/" + operation.pathSuffix();
      case AZURE_OPENAI ->
          operation == Operation.RESPONSES
              // The Responses API has no deployment path; the deployment goes in the body's model.
              ? base + "/openai/responses?api-version=" + encode(backend.apiVersion())
              : base
                  + "/openai/deployments/"
                  + encode(targetModel)
                  + "/"
                  + operation.pathSuffix()
                  + "?api-version="
                  + encode(backend.apiVersion());
    };
  }

  /** Whether the backend reads the model from the body (false: from the URL). */
  public static boolean modelInBody(Backend backend, Operation operation) {
    return backend.flavor() != BackendFlavor.AZURE_OPENAI || operation == Operation.RESPONSES;
  }

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
    if (credential.kind() == Credential.Kind.API_KEY && backend.flavor().usesApiKeyHeader()) {
      return Map.entry("api-key", credential.secret());
    }
    return Map.entry("Authorization", "Bearer " + credential.secret());
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
