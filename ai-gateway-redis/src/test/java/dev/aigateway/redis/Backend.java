package dev.aigateway.redis;

import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** OpenAI-shaped requests and answers for tests that drive gateways over MockWebServer. */
final class Backend {

  private static final MediaType JSON = MediaType.get("application/json");

  private Backend() {}

  /** A chat completion answer reporting the given usage. */
  static MockResponse chatCompletion(String model, long prompt, long completion, String text) {
    String body =
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\""
            + model
            + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
            + text
            + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":"
            + prompt
            + ",\"completion_tokens\":"
            + completion
            + ",\"total_tokens\":"
            + (prompt + completion)
            + "}}";
    return new MockResponse.Builder()
        .code(200)
        .addHeader("Content-Type", "application/json")
        .body(body)
        .build();
  }

  /** A chat request body with one user message. */
  static String chat(String model, String prompt) {
    return "{\"model\":\""
        + model
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\""
        + prompt
        + "\"}]}";
  }

  /** Posts {@code json} to the server's chat completions path and returns the answer's body. */
  static String post(OkHttpClient client, MockWebServer server, String json, String... headers)
      throws Exception {
    Request.Builder request =
        new Request.Builder()
            .url(server.url("/v1/chat/completions"))
            .post(RequestBody.create(json, JSON));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    try (Response response = client.newCall(request.build()).execute()) {
      return response.body().string();
    }
  }
}
