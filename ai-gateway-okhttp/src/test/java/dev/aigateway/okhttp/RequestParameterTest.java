package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code LlmRequest.parameter(name)} as a key resolver (the response cache's partition) sees it on
 * the formats whose requests are read as a tree: a top-level scalar of the body, and for Bedrock
 * Converse, as for Gemini, one of the body's settings object ({@code inferenceConfig}) when the top
 * level lacks it.
 */
class RequestParameterTest {

  private static final String MESSAGE =
      "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\","
          + "\"model\":\"claude-3-5-haiku-20241022\","
          + "\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}],\"stop_reason\":\"end_turn\","
          + "\"usage\":{\"input_tokens\":14,\"output_tokens\":1}}";
  private static final String CONVERSE_ANSWER =
      "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Red.\"}]}},"
          + "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":14,\"outputTokens\":3,"
          + "\"totalTokens\":17}}";

  private final MockWebServer server = new MockWebServer();
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private OkHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    server.start();
    client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .responseCache(
                    ResponseCache.builder()
                        .varyBy(
                            request -> {
                              String key =
                                  request.parameter("top_k")
                                      + "/"
                                      + request.parameter("temperature")
                                      + "/"
                                      + request.parameter("stream");
                              seen.add(key);
                              return key;
                            }))
                .build());
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private void call(String path, String body) throws Exception {
    try (Response response = client.newCall(post(server.url(path).toString(), body)).execute()) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }
  }

  @Test
  void aBedrockInvokeModelBodysTopLevelScalarsAreItsParameters() throws Exception {
    server.enqueue(json(MESSAGE));

    call(
        "/model/anthropic.claude-3-5-haiku-20241022-v1:0/invoke",
        "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":64,\"top_k\":5,"
            + "\"temperature\":0.25,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

    assertThat(seen).containsOnly("5/0.25/null");
  }

  @Test
  void aClaudeOnVertexBodysTopLevelScalarsAreItsParameters() throws Exception {
    server.enqueue(json(MESSAGE));

    call(
        "/v1/projects/acme/locations/us-east5/publishers/anthropic/models/"
            + "claude-3-5-haiku@20241022:rawPredict",
        "{\"anthropic_version\":\"vertex-2023-10-16\",\"max_tokens\":64,\"top_k\":5,"
            + "\"temperature\":0.25,\"stream\":false,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

    assertThat(seen).containsOnly("5/0.25/false");
  }

  @Test
  void aConverseCallsInferenceConfigSettingsAreItsParameters() throws Exception {
    server.enqueue(json(CONVERSE_ANSWER));

    call(
        "/model/amazon.nova-lite-v1:0/converse",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hi\"}]}],"
            + "\"inferenceConfig\":{\"maxTokens\":64,\"temperature\":0.25}}");

    assertThat(seen).containsOnly("null/0.25/null");
  }
}
