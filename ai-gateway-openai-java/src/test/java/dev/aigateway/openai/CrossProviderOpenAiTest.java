package dev.aigateway.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.core.ClientOptions;
import com.openai.core.http.StreamResponse;
import com.openai.models.ChatModel;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Credentials;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.testing.Waiting;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real OpenAI Java SDK calling a pool whose OpenAI backend is rate-limited and whose next
 * backend speaks Anthropic Messages: the call fails over, is translated, and the SDK parses the
 * translated answer and stream as it parses OpenAI's own.
 */
class CrossProviderOpenAiTest {

  private static final ChatCompletionCreateParams PARAMS =
      ChatCompletionCreateParams.builder()
          .model(ChatModel.GPT_4O)
          .addSystemMessage("Be brief.")
          .addUserMessage("Say hello")
          .maxCompletionTokens(50)
          .build();

  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private MockWebServer openai;
  private MockWebServer anthropic;
  private MockWebServer app;

  @BeforeEach
  void start() throws Exception {
    openai = new MockWebServer();
    anthropic = new MockWebServer();
    app = new MockWebServer();
    openai.start();
    anthropic.start();
    app.start();
  }

  @AfterEach
  void stop() throws Exception {
    openai.shutdown();
    anthropic.shutdown();
    app.shutdown();
  }

  private OpenAIClient client() {
    BackendPool pool =
        BackendPool.builder()
            .backend(
                Backend.openAi("openai", openai.url("/").toString())
                    .credential(Credentials.apiKey("sk-test-123"))
                    .priority(1))
            .backend(
                Backend.anthropic("claude", anthropic.url("/").toString().replaceAll("/$", ""))
                    .model("gpt-4o", "claude-sonnet-4-5")
                    .credential(Credentials.apiKey("sk-test-123"))
                    .priority(2))
            .build();
    AiGateway gateway =
        AiGateway.builder()
            .backendPool(pool)
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(10_000))
            .listener(events::add)
            .build();
    return GovernedOpenAi.client(
        gateway,
        ClientOptions.builder()
            .baseUrl(app.url("/v1").toString())
            .apiKey("sk-demo-not-a-real-key")
            .maxRetries(0));
  }

  private static MockResponse rateLimited() {
    return new MockResponse()
        .setResponseCode(429)
        .setHeader("content-type", "application/json")
        .setBody("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}");
  }

  @Test
  void theSdkGetsAnOpenAiCompletionFromAnthropicAfterFailover() throws Exception {
    openai.enqueue(rateLimited());
    anthropic.enqueue(
        new MockResponse()
            .setHeader("content-type", "application/json")
            .setBody(
                "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
                    + "\"claude-sonnet-4-5\",\"content\":[{\"type\":\"text\",\"text\":\"Hello!\"}],"
                    + "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":12,"
                    + "\"cache_creation_input_tokens\":5,\"cache_read_input_tokens\":4,"
                    + "\"output_tokens\":3}}"));

    ChatCompletion completion = client().chat().completions().create(PARAMS);

    assertThat(completion.choices().get(0).message().content()).contains("Hello!");
    assertThat(completion.choices().get(0).finishReason())
        .isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    assertThat(completion.usage().get().promptTokens()).isEqualTo(21);
    assertThat(completion.usage().get().totalTokens()).isEqualTo(24);
    // The answer's extra prompt_tokens_details.cache_write_tokens does not disturb the SDK.
    assertThat(completion.usage().get().promptTokensDetails().get().cachedTokens()).hasValue(4L);
    RecordedRequest sent = anthropic.takeRequest();
    assertThat(sent.getPath()).isEqualTo("/v1/messages");
    assertThat(sent.getBody().readUtf8())
        .contains("\"system\":[{\"type\":\"text\",\"text\":\"Be brief.\"}]");
    GatewayEvent event = Waiting.forSize(events, 1, Duration.ofSeconds(5)).get(0);
    assertThat(event.routing().backendId()).isEqualTo("claude");
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(24);
    assertThat(event.usage().tokens().cacheWriteInputTokens()).isEqualTo(5);
    assertThat(event.limits().settledTokens()).isEqualTo(24);
  }

  @Test
  void theSdkStreamsAnthropicsEventsAsOpenAiChunks() throws Exception {
    openai.enqueue(rateLimited());
    StringBuilder sse = new StringBuilder();
    sse.append("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":")
        .append("\"msg_02\",\"type\":\"message\",\"role\":\"assistant\",\"model\":")
        .append("\"claude-sonnet-4-5\",\"content\":[],\"usage\":{\"input_tokens\":10,")
        .append("\"output_tokens\":1}}}\n\n");
    for (String piece : List.of("Hel", "lo", " there")) {
      sse.append("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",")
          .append("\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"")
          .append(piece)
          .append("\"}}\n\n");
    }
    sse.append("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":")
        .append("{\"stop_reason\":\"max_tokens\"},\"usage\":{\"output_tokens\":6}}\n\n")
        .append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    anthropic.enqueue(
        new MockResponse().setHeader("content-type", "text/event-stream").setBody(sse.toString()));

    StringBuilder text = new StringBuilder();
    String[] finish = new String[1];
    try (StreamResponse<ChatCompletionChunk> stream =
        client().chat().completions().createStreaming(PARAMS)) {
      stream.stream()
          .forEach(
              chunk ->
                  chunk.choices().stream()
                      .findFirst()
                      .ifPresent(
                          choice -> {
                            choice.delta().content().ifPresent(text::append);
                            choice.finishReason().ifPresent(r -> finish[0] = r.toString());
                          }));
    }

    assertThat(text.toString()).isEqualTo("Hello there");
    assertThat(finish[0]).isEqualTo("length");
    GatewayEvent event = Waiting.forSize(events, 1, Duration.ofSeconds(5)).get(0);
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(16);
    assertThat(event.limits().settledTokens()).isEqualTo(16);
  }
}
