package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Operation;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UsageExtractionTest {

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();
  private OkHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    server.start();
    AiGateway gateway =
        AiGateway.builder()
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000_000))
            .listener(events)
            .build();
    client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private GatewayEvent call(String path, String requestJson) throws Exception {
    try (Response response =
        client.newCall(post(server.url(path).toString(), requestJson)).execute()) {
      response.body().string();
    }
    return events.next();
  }

  @Test
  void chatCompletionUsageIsReportedExactly() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o-2024-08-06", 17, 5)));

    GatewayEvent event = call("/v1/chat/completions", chatRequest("gpt-4o", "Hi", ""));

    assertThat(event.operation()).isEqualTo(Operation.CHAT_COMPLETIONS);
    assertThat(event.usage().tokens()).isEqualTo(new Usage(17, 5, 22, 0, 0));
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.requestedModel()).isEqualTo("gpt-4o");
    assertThat(event.responseModel()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(event.limits().settledTokens()).isEqualTo(22);
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.status()).isEqualTo(200);
  }

  @Test
  void anAzureStreamItsContentFilterCutIsReportedContentFilteredOnItsUsage() throws Exception {
    // Every chunk carries the choice's content_filter_results; the filter ends the choice with
    // finish_reason "content_filter" after the text it let through, then comes the usage chunk
    // the gateway asked for (and hides).
    String safe = "{\"hate\":{\"filtered\":false,\"severity\":\"safe\"}}";
    StringBuilder stream =
        new StringBuilder(
            "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
                + "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":"
                + safe
                + "}]}\n\n");
    stream.append(Backend.azureChunk("{}", "{\"role\":\"assistant\",\"content\":\"\"}", "null"));
    for (int i = 0; i < 40; i++) {
      stream.append(Backend.azureChunk(safe, "{\"content\":\" word" + i + "\"}", "null"));
    }
    stream
        .append(
            Backend.azureChunk(
                "{\"violence\":{\"filtered\":true,\"severity\":\"medium\"}}",
                "{}",
                "\"content_filter\""))
        .append(
            "data: {\"choices\":[],\"created\":1,\"id\":\"chatcmpl-2\",\"model\":"
                + "\"gpt-4o-2024-08-06\",\"object\":\"chat.completion.chunk\",\"usage\":"
                + "{\"prompt_tokens\":8,\"completion_tokens\":40,\"total_tokens\":48}}\n\n")
        .append("data: [DONE]\n\n");
    String whole = stream.toString().replace("\"content_filter\"", "\"stop\"");
    server.enqueue(Backend.sse(stream.toString()));
    server.enqueue(Backend.sse(whole));
    String path = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";

    GatewayEvent cut = call(path, chatRequest("gpt-4o", "Hi", "\"stream\":true"));
    GatewayEvent answered = call(path, chatRequest("gpt-4o", "Hi", "\"stream\":true"));

    assertThat(cut.contentFiltered()).isTrue();
    assertThat(cut.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(cut.usage().tokens().totalTokens()).isEqualTo(48);
    assertThat(answered.contentFiltered()).isFalse();
    assertThat(answered.usage().tokens().totalTokens()).isEqualTo(48);
  }

  /** Azure OpenAI's answer to a prompt its content filter refuses: a 400 naming the filter. */
  static final String AZURE_PROMPT_FILTERED =
      "{\"error\":{\"message\":\"The response was filtered due to the prompt triggering Azure"
          + " OpenAI's content management policy.\",\"type\":null,\"param\":\"prompt\","
          + "\"code\":\"content_filter\",\"status\":400,\"innererror\":{\"code\":"
          + "\"ResponsibleAIPolicyViolation\",\"content_filter_result\":{\"hate\":{\"filtered\":"
          + "false,\"severity\":\"safe\"},\"violence\":{\"filtered\":true,\"severity\":"
          + "\"medium\"}}}}}";

  @Test
  void anAzurePromptItsContentFilterRefusesIsReportedContentFilteredAsABackendError()
      throws Exception {
    // Azure refuses a prompt its filter flags with a 400 naming the filter (code content_filter,
    // innererror ResponsibleAIPolicyViolation); another 400 (a context too long) is no filter's.
    String tooLong =
        "{\"error\":{\"message\":\"This model's maximum context length is 128000 tokens.\","
            + "\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":"
            + "\"context_length_exceeded\"}}";
    server.enqueue(Backend.jsonBuilder(AZURE_PROMPT_FILTERED).code(400).build());
    server.enqueue(Backend.jsonBuilder(AZURE_PROMPT_FILTERED).code(400).build());
    server.enqueue(Backend.jsonBuilder(tooLong).code(400).build());
    String path = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";
    String[] bodies = new String[3];
    GatewayEvent[] seen = new GatewayEvent[3];
    String[] requests = {
      chatRequest("gpt-4o", "Hi", ""),
      chatRequest("gpt-4o", "Hi", "\"stream\":true"),
      chatRequest("gpt-4o", "Hi", "")
    };
    for (int i = 0; i < 3; i++) {
      try (Response response =
          client.newCall(post(server.url(path).toString(), requests[i])).execute()) {
        assertThat(response.code()).isEqualTo(400);
        bodies[i] = response.body().string();
      }
      seen[i] = events.next();
    }

    for (int i = 0; i < 2; i++) {
      assertThat(bodies[i]).isEqualTo(AZURE_PROMPT_FILTERED); // the application gets it as it came
      GatewayEvent refused = seen[i];
      assertThat(refused.contentFiltered()).as(refused.toString()).isTrue();
      assertThat(refused.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
      assertThat(refused.errorType()).isEqualTo("400");
      assertThat(refused.status()).isEqualTo(400);
      assertThat(refused.usage().tokens().totalTokens()).isZero();
      assertThat(refused.limits().settledTokens()).isZero();
      assertThat(refused.toString()).contains(", contentFiltered");
      assertThat(dev.aigateway.core.telemetry.LoggingListener.format(refused))
          .contains(" content_filtered=true");
    }
    assertThat(bodies[2]).isEqualTo(tooLong);
    assertThat(seen[2].contentFiltered()).isFalse();
    assertThat(seen[2].outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(dev.aigateway.core.telemetry.LoggingListener.format(seen[2]))
        .doesNotContain("content_filtered");
  }

  @Test
  void anAzurePromptRefusedByTheContentFilterOfAPoolsBackendIsReportedContentFiltered()
      throws Exception {
    RecordingListener pooled = new RecordingListener();
    OkHttpClient routed =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .backendPool(
                    dev.aigateway.core.routing.BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.azureOpenAi(
                                    "east", server.url("/").toString(), "2024-10-21")
                                .model("gpt-4o", "gpt4o-east")))
                .listener(pooled)
                .build());
    server.enqueue(Backend.jsonBuilder(AZURE_PROMPT_FILTERED).code(400).build());

    try (Response response =
        routed
            .newCall(
                post("https://api.openai.com/v1/chat/completions", chatRequest("gpt-4o", "Hi", "")))
            .execute()) {
      assertThat(response.code()).isEqualTo(400);
      assertThat(response.body().string()).isEqualTo(AZURE_PROMPT_FILTERED);
    }
    GatewayEvent refused = pooled.next();

    assertThat(server.takeRequest().getTarget())
        .startsWith("/openai/deployments/gpt4o-east/chat/completions");
    assertThat(refused.contentFiltered()).as(refused.toString()).isTrue();
    assertThat(refused.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(refused.routing().backendId()).isEqualTo("east");
  }

  @Test
  void eventNamesTheServerAndProviderTheApplicationAddressed() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o-2024-08-06", 17, 5)));
    server.enqueue(json(chatCompletion("gpt-4o-2024-08-06", 17, 5)));

    GatewayEvent openAi = call("/v1/chat/completions", chatRequest("gpt-4o", "Hi", ""));
    GatewayEvent azure =
        call(
            "/openai/deployments/chat-4o/chat/completions?api-version=2024-10-21",
            chatRequest("gpt-4o", "Hi", ""));

    assertThat(openAi.routing().serverAddress()).isEqualTo(server.getHostName());
    assertThat(openAi.routing().serverPort()).isEqualTo(server.getPort());
    assertThat(openAi.routing().provider()).isEqualTo("openai");
    assertThat(azure.routing().serverAddress()).isEqualTo(server.getHostName());
    assertThat(azure.routing().serverPort()).isEqualTo(server.getPort());
    assertThat(azure.routing().provider()).isEqualTo("azure.ai.openai");
  }

  @Test
  void legacyCompletionsUsageIsReported() throws Exception {
    server.enqueue(
        json(
            "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"model\":"
                + "\"gpt-3.5-turbo-instruct\",\"choices\":[{\"text\":\"ok\",\"index\":0}],"
                + "\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1,\"total_tokens\":5}}"));

    GatewayEvent event =
        call("/v1/completions", "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Say ok\"}");

    assertThat(event.operation()).isEqualTo(Operation.COMPLETIONS);
    assertThat(event.usage().tokens()).isEqualTo(Usage.of(4, 1));
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
  }

  @Test
  void embeddingsUsageHasNoOutputTokens() throws Exception {
    server.enqueue(
        json(
            "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                + "\"embedding\":[0.1,0.2]}],\"model\":\"text-embedding-3-small\","
                + "\"usage\":{\"prompt_tokens\":8,\"total_tokens\":8}}"));

    GatewayEvent event =
        call(
            "/v1/embeddings",
            "{\"model\":\"text-embedding-3-small\",\"input\":\"The food was delicious\"}");

    assertThat(event.operation()).isEqualTo(Operation.EMBEDDINGS);
    assertThat(event.usage().tokens()).isEqualTo(new Usage(8, 0, 8, 0, 0));
    assertThat(event.limits().settledTokens()).isEqualTo(8);
  }

  @Test
  void responsesApiUsageFieldNamesAreRead() throws Exception {
    server.enqueue(
        json(
            "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\","
                + "\"model\":\"gpt-4.1-2025-04-14\",\"output\":[{\"type\":\"message\",\"role\":"
                + "\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Hi\"}]}],"
                + "\"usage\":{\"input_tokens\":36,\"input_tokens_details\":{\"cached_tokens\":12},"
                + "\"output_tokens\":87,\"output_tokens_details\":{\"reasoning_tokens\":40},"
                + "\"total_tokens\":123}}"));

    GatewayEvent event = call("/v1/responses", "{\"model\":\"gpt-4.1\",\"input\":\"Hi\"}");

    assertThat(event.operation()).isEqualTo(Operation.RESPONSES);
    assertThat(event.usage().tokens()).isEqualTo(new Usage(36, 87, 123, 12, 40));
    assertThat(event.responseModel()).isEqualTo("gpt-4.1-2025-04-14");
  }

  @Test
  void azureDeploymentPathNamesTheModel() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o-2024-11-20", 9, 3)));

    GatewayEvent event =
        call(
            "/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

    assertThat(event.requestedModel()).isEqualTo("prod-gpt4o");
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(12);
  }

  @Test
  void aDirectAzureDeploymentCallNamesThePathsDeploymentAsItsRequestedModel() throws Exception {
    // Azure serves the deployment the path names, whatever model the body writes (a caller may
    // write anything there): the event, its log line and its metrics name the deployment, as
    // TokenLimit.perModel() counts the call under it.
    server.enqueue(json(chatCompletion("gpt-4o-2024-11-20", 9, 3)));
    server.enqueue(json(chatCompletion("gpt-4o-2024-11-20", 9, 3)));

    GatewayEvent event =
        call(
            "/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21",
            chatRequest("gpt-4o-mini", "Hi", ""));
    GatewayEvent escaped =
        call(
            "/openai/deployments/prod%2Dgpt4o/chat/completions?api-version=2024-10-21",
            chatRequest("anything-at-all", "Hi", ""));

    assertThat(event.requestedModel()).isEqualTo("prod-gpt4o");
    assertThat(escaped.requestedModel()).isEqualTo("prod-gpt4o");
    assertThat(dev.aigateway.core.telemetry.LoggingListener.format(event))
        .contains("prod-gpt4o")
        .doesNotContain("gpt-4o-mini");
    assertThat(event.responseModel()).isEqualTo("gpt-4o-2024-11-20");
  }

  @Test
  void aPooledCallNamesTheModelItAskedForAsItsRequestedModel() throws Exception {
    // Through a pool the body's model is what the call asks for: the pool routes by it and writes
    // the backend's deployment into the path, whatever deployment the application's path named.
    RecordingListener pooled = new RecordingListener();
    OkHttpClient routed =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .backendPool(
                    dev.aigateway.core.routing.BackendPool.builder()
                        .backend(
                            dev.aigateway.core.routing.Backend.azureOpenAi(
                                    "east", server.url("/").toString(), "2024-10-21")
                                .model("gpt-4o", "gpt4o-east")))
                .listener(pooled)
                .build());
    server.enqueue(json(chatCompletion("gpt-4o-2024-11-20", 9, 3)));

    try (Response response =
        routed
            .newCall(
                post(
                    server
                        .url("/openai/deployments/other/chat/completions?api-version=2024-10-21")
                        .toString(),
                    chatRequest("gpt-4o", "Hi", "")))
            .execute()) {
      response.body().string();
    }

    assertThat(server.takeRequest().getTarget())
        .startsWith("/openai/deployments/gpt4o-east/chat/completions");
    assertThat(pooled.next().requestedModel()).isEqualTo("gpt-4o");
  }

  @Test
  void responseWithoutUsageIsSettledOnALocalCount() throws Exception {
    server.enqueue(
        json(
            "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                + "\"Hello there friend\"}}]}"));

    GatewayEvent event = call("/v1/chat/completions", chatRequest("gpt-4o", "Hi", ""));

    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(event.usage().estimated()).isTrue();
    assertThat(event.usage().tokens().outputTokens()).isEqualTo(3);
    assertThat(event.usage().tokens().inputTokens()).isEqualTo(8); // 3 + "user" + "Hi" + 3 priming
  }

  @Test
  void aRefusalWithoutUsageIsSettledOnACountOfItsText() throws Exception {
    // A refusal's text is in the message's refusal member (a Responses API output's refusal
    // part), not its content: without usage, it is what is counted.
    String refusal = "I'm sorry, but I can't help with that request.";
    int counted = dev.aigateway.core.tokens.TokenCounter.defaults().countText("gpt-4o", refusal);
    server.enqueue(
        json(
            "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                + "null,\"refusal\":\""
                + refusal
                + "\"},\"finish_reason\":\"stop\"}]}"));
    server.enqueue(
        json(
            "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\","
                + "\"model\":\"gpt-4o\",\"output\":[{\"type\":\"message\",\"role\":"
                + "\"assistant\",\"content\":[{\"type\":\"refusal\",\"refusal\":\""
                + refusal
                + "\"}]}]}"));

    GatewayEvent chat = call("/v1/chat/completions", chatRequest("gpt-4o", "Hi", ""));
    GatewayEvent responses = call("/v1/responses", "{\"model\":\"gpt-4o\",\"input\":\"Hi\"}");

    assertThat(chat.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(chat.usage().tokens().outputTokens()).isEqualTo(counted);
    assertThat(responses.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(responses.usage().tokens().outputTokens()).isEqualTo(counted);
  }

  @Test
  void aLegacyFunctionCallWithoutUsageIsSettledOnACountOfItsText() throws Exception {
    // The legacy functions parameter answers with message.function_call, not tool_calls.
    String name = "get_weather";
    String arguments = "{\"city\":\"Paris\",\"unit\":\"celsius\"}";
    server.enqueue(
        json(
            "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                + "null,\"function_call\":{\"name\":\""
                + name
                + "\",\"arguments\":\""
                + arguments.replace("\"", "\\\"")
                + "\"}},\"finish_reason\":\"function_call\"}]}"));

    GatewayEvent event = call("/v1/chat/completions", chatRequest("gpt-4o", "Hi", ""));

    assertThat(event.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
    assertThat(event.usage().tokens().outputTokens())
        .isEqualTo(
            dev.aigateway.core.tokens.TokenCounter.defaults()
                .countText("gpt-4o", name + arguments));
  }

  @Test
  void eventsCarryTheExactCostOfTheAnsweringModel() throws Exception {
    OkHttpClient priced =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .priceTable(
                    dev.aigateway.core.telemetry.PriceTable.builder()
                        .model(
                            "gpt-4o-2024-08-06",
                            dev.aigateway.core.telemetry.Price.perMillion("2.50", "1.25", "10.00"))
                        .build())
                .listener(events)
                .build());
    server.enqueue(json(chatCompletion("gpt-4o-2024-08-06", 1_000, 300)));

    try (Response response =
        priced
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(), chatRequest("gpt-4o", "Hi", "")))
            .execute()) {
      response.body().string();
    }

    // 1000 x 2.50 / 1e6 + 300 x 10.00 / 1e6 = 0.0025 + 0.003
    assertThat(events.next().usage().cost()).isEqualByComparingTo("0.0055");
  }
}
