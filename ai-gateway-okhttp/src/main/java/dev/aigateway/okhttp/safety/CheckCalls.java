package dev.aigateway.okhttp.safety;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.core.wire.Json;
import dev.aigateway.core.wire.SafeUrls;
import java.io.IOException;
import java.util.Objects;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/** One JSON POST of an external check: its answer as a tree, or an {@code IOException}. */
final class CheckCalls {

  private static final MediaType JSON = MediaType.get("application/json");

  private CheckCalls() {}

  /**
   * {@code client} as a check uses it: following no redirect, so that the check's key (sent in a
   * header) never goes where a redirect names, which OkHttp allows for every header but {@code
   * Authorization}; the check's service answers with the content, and a redirect fails the check
   * with its status. Shares the client's pool, dispatcher and interceptors.
   */
  static OkHttpClient withoutRedirects(OkHttpClient client) {
    return client.followRedirects()
        ? client.newBuilder().followRedirects(false).followSslRedirects(false).build()
        : client;
  }

  /**
   * A check's endpoint with {@code path} appended.
   *
   * @throws IllegalArgumentException when {@code base} is not an http(s) URL; the message does not
   *     quote it, since its user information or query may hold a secret
   */
  static HttpUrl url(String base, String path) {
    HttpUrl parsed = HttpUrl.parse(Objects.requireNonNull(base, "endpoint"));
    if (parsed == null) {
      throw new IllegalArgumentException(
          "the check's endpoint is not an http(s) URL (a reserved character may need"
              + " percent-encoding)");
    }
    HttpUrl.Builder url = parsed.newBuilder();
    for (String segment : path.split("/")) {
      if (!segment.isEmpty()) {
        url.addPathSegment(segment);
      }
    }
    return url.build();
  }

  /**
   * A check's URL as its {@code toString()} shows it: without user information and with each query
   * value masked ({@link SafeUrls#withoutSecrets}), since an endpoint may carry a signature or a
   * key.
   */
  static String shown(HttpUrl url) {
    return SafeUrls.withoutSecrets(url.toString());
  }

  /**
   * Posts {@code body} and returns the parsed answer. A non-2xx answer or one that is not a JSON
   * object fails with its status only: the answer could quote what was sent.
   */
  static JsonNode post(
      OkHttpClient client, HttpUrl url, String header, String value, Object body, String check)
      throws IOException {
    Request request =
        new Request.Builder()
            .url(url)
            .header(header, value)
            .post(RequestBody.create(Json.MAPPER.writeValueAsBytes(body), JSON))
            .build();
    try (Response response = client.newCall(request).execute()) {
      ResponseBody responseBody = response.body();
      if (!response.isSuccessful()) {
        throw new IOException(check + " answered HTTP " + response.code());
      }
      byte[] bytes = responseBody.bytes();
      JsonNode tree = Json.parseOrNull(bytes, 0, bytes.length);
      if (tree == null || !tree.isObject()) {
        throw new IOException(
            check + " answered HTTP " + response.code() + " without a JSON object");
      }
      return tree;
    }
  }
}
