package dev.aigateway.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.GeminiBodies;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real call through a wrapped OkHttpClient lands in the registry with the reported usage. */
class GenAiMetricsEndToEndTest {

  /** An OpenAI chat request for gpt-4o that says "Hi". */
  private static final String OPENAI_HI =
      "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

  private final MockWebServer server = new MockWebServer();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @BeforeEach
  void setUp() throws Exception {
    server.start();
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  @Test
  void aGovernedCallRecordsTheReportedTokenUsage() throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000_000))
            .listener(
                GenAiMetrics.builder(registry).dimension("team", Dimension.consumer()).build())
            .build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    answerWith(
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"message\":"
            + "{\"role\":\"assistant\",\"content\":\"Hello there\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":17,\"completion_tokens\":5,\"total_tokens\":22}}");

    assertThat(post(client, "/v1/chat/completions", OPENAI_HI)).contains("Hello there");

    DistributionSummary input =
        registry
            .get("gen_ai.client.token.usage")
            .tag("gen_ai.token.type", "input")
            .tag("gen_ai.operation.name", "chat")
            .tag("gen_ai.provider.name", "openai")
            .tag("gen_ai.request.model", "gpt-4o")
            .tag("gen_ai.response.model", "gpt-4o-2024-08-06")
            .tag("server.address", server.getHostName())
            .tag("server.port", String.valueOf(server.getPort()))
            .tag("team", "anonymous")
            .summary();
    assertThat(input.count()).isEqualTo(1);
    assertThat(input.totalAmount()).isEqualTo(17);
    assertThat(
            registry
                .get("gen_ai.client.token.usage")
                .tag("gen_ai.token.type", "output")
                .summary()
                .totalAmount())
        .isEqualTo(5);
    assertThat(registry.find("ai_gateway.token.usage.estimated").meters()).isEmpty();
    assertThat(
            registry
                .get("gen_ai.client.operation.duration")
                .tag("error.type", "none")
                .timer()
                .count())
        .isEqualTo(1);
  }

  @Test
  void aGeminiGenerateContentCallIsNamedGenerateContentAsTheConventionsNameIt() throws Exception {
    AiGateway gateway = AiGateway.builder().listener(GenAiMetrics.create(registry)).build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    answerWith(GeminiBodies.ANSWER);

    post(client, GeminiBodies.GENERATE_PATH, GeminiBodies.REQUEST);

    assertThat(inputTokensOf("generate_content", GeminiBodies.MODEL)).isEqualTo(15);
  }

  @Test
  void aResponsesApiCallIsNamedChatAsTheConventionsNameIt() throws Exception {
    AiGateway gateway = AiGateway.builder().listener(GenAiMetrics.create(registry)).build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    answerWith(
        "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\","
            + "\"model\":\"gpt-4o\",\"output\":[{\"type\":\"message\",\"role\":\"assistant\","
            + "\"content\":[{\"type\":\"output_text\",\"text\":\"Hello\"}]}],"
            + "\"usage\":{\"input_tokens\":9,\"output_tokens\":2,\"total_tokens\":11}}");

    post(client, "/v1/responses", "{\"model\":\"gpt-4o\",\"input\":\"Hi\"}");

    assertThat(inputTokensOf("chat", "gpt-4o")).isEqualTo(9);
  }

  @Test
  void anAnswerTheProvidersContentFilterCutIsCountedAsContentFiltered() throws Exception {
    // Azure OpenAI's output filter ends the choice with finish_reason "content_filter" under the
    // 200 the answer began with: a success with a partial answer, counted apart.
    AiGateway gateway = AiGateway.builder().listener(GenAiMetrics.create(registry)).build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    for (String finish : new String[] {"content_filter", "stop"}) {
      answerWith(
          "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
              + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"message\":"
              + "{\"role\":\"assistant\",\"content\":\"The first\"},\"finish_reason\":\""
              + finish
              + "\",\"content_filter_results\":{\"violence\":{\"filtered\":"
              + finish.equals("content_filter")
              + ",\"severity\":\"medium\"}}}],\"usage\":{\"prompt_tokens\":5,"
              + "\"completion_tokens\":2,\"total_tokens\":7}}");
      assertThat(
              post(
                  client,
                  "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"))
          .contains("The first");
    }

    assertThat(
            registry
                .get("ai_gateway.content_filtered")
                .tag("gen_ai.operation.name", "chat")
                .tag("gen_ai.provider.name", "azure.ai.openai")
                .tag("gen_ai.request.model", "gpt-4o")
                .tag("gen_ai.response.model", "gpt-4o-2024-08-06")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("gen_ai.client.operation.duration")
                .tag("error.type", "none")
                .timer()
                .count())
        .isEqualTo(2);
  }

  @Test
  void aPromptTheProvidersContentFilterRefusesIsCountedAsContentFiltered() throws Exception {
    // Azure OpenAI refuses a prompt its filter flags with a 400 naming the filter: a backend error,
    // counted apart as filtered, on the deployment the path names (the body's model is ignored).
    AiGateway gateway = AiGateway.builder().listener(GenAiMetrics.create(registry)).build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    server.enqueue(
        new MockResponse.Builder()
            .code(400)
            .addHeader("Content-Type", "application/json")
            .body(
                "{\"error\":{\"message\":\"The response was filtered due to the prompt"
                    + " triggering Azure OpenAI's content management policy.\",\"type\":null,"
                    + "\"param\":\"prompt\",\"code\":\"content_filter\",\"status\":400,"
                    + "\"innererror\":{\"code\":\"ResponsibleAIPolicyViolation\","
                    + "\"content_filter_result\":{\"violence\":{\"filtered\":true,"
                    + "\"severity\":\"medium\"}}}}}")
            .build());
    Request request =
        new Request.Builder()
            .url(server.url("/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"))
            .post(
                RequestBody.create(
                    "{\"model\":\"whatever\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Hi\"}]}",
                    MediaType.get("application/json")))
            .build();

    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(400);
      assertThat(response.body().string()).contains("ResponsibleAIPolicyViolation");
    }

    assertThat(
            registry
                .get("ai_gateway.content_filtered")
                .tag("gen_ai.operation.name", "chat")
                .tag("gen_ai.provider.name", "azure.ai.openai")
                .tag("gen_ai.request.model", "gpt-4o")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("gen_ai.client.operation.duration")
                .tag("error.type", "400")
                .tag("gen_ai.request.model", "gpt-4o")
                .timer()
                .count())
        .isEqualTo(1);
  }

  @Test
  void aJsonAnswerContentSafetyWithholdsIsCountedAsAnAnswerBlock() throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .contentSafety(
                dev.aigateway.core.safety.ContentSafety.builder()
                    .denyWords("forbidden")
                    .screenAnswers(400, 64))
            .listener(GenAiMetrics.create(registry))
            .build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    answerWith(
        "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":"
            + "{\"role\":\"assistant\",\"content\":\"the forbidden answer\"},"
            + "\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":17,\"completion_tokens\":5,\"total_tokens\":22}}");

    assertThat(post(client, "/v1/chat/completions", OPENAI_HI))
        .contains("content_filter")
        .doesNotContain("forbidden");

    assertThat(
            registry
                .get("ai_gateway.safety.actions")
                .tags("check", "deny-words", "category", "denied-word", "action", "answer_blocked")
                .counter()
                .count())
        .isEqualTo(1);
  }

  /** The input tokens recorded for calls of this operation name to this model. */
  private double inputTokensOf(String operationName, String model) {
    return registry
        .get("gen_ai.client.token.usage")
        .tag("gen_ai.token.type", "input")
        .tag("gen_ai.operation.name", operationName)
        .tag("gen_ai.request.model", model)
        .summary()
        .totalAmount();
  }

  /** Enqueues a 200 answer with this JSON body. */
  private void answerWith(String json) {
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/json")
            .body(json)
            .build());
  }

  /** Posts this JSON to the server's path through the client and returns the answer's body. */
  private String post(OkHttpClient client, String path, String json) throws Exception {
    Request request =
        new Request.Builder()
            .url(server.url(path))
            .post(RequestBody.create(json, MediaType.get("application/json")))
            .build();
    try (Response response = client.newCall(request).execute()) {
      return response.body().string();
    }
  }
}
