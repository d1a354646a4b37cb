package dev.aigateway.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.aws.AwsSdkCredentials;
import dev.aigateway.core.AiGateway;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Pool backends of every flavour the starter configures: an application's OpenAI chat call, sent
 * through the starter's governed client, reaches each kind of backend at its path, with its
 * credential in its header, and comes back as an OpenAI answer; wrong combinations fail startup
 * naming the property.
 */
class BackendFlavorsTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(AiGatewayAutoConfiguration.class))
          .withUserConfiguration(AppBeans.class);

  private MockWebServer backend;

  @BeforeEach
  void startBackend() throws IOException {
    backend = new MockWebServer();
    backend.start();
  }

  @AfterEach
  void stopBackend() throws IOException {
    backend.shutdown();
  }

  @Test
  void anAnthropicBackendGetsTheCallAsAMessagesRequestWithItsKeyAndVersion() throws Exception {
    backend.enqueue(
        AiGatewayAutoConfigurationTest.json(
            "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
                + "\"model\":\"claude-sonnet-4-5\",\"content\":[{\"type\":\"text\",\"text\":"
                + "\"Hello there\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":11,"
                + "\"output_tokens\":4}}"));
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=claude",
            "ai-gateway.pool.backends[0].url=" + base(),
            "ai-gateway.pool.backends[0].flavor=anthropic",
            "ai-gateway.pool.backends[0].api-version=2023-06-01",
            "ai-gateway.pool.backends[0].api-key=anthropic-key-SECRET",
            "ai-gateway.pool.backends[0].models.gpt-4o=claude-sonnet-4-5")
        .run(
            context -> {
              String answer = callChat(context);
              assertThat(answer).contains("\"object\":\"chat.completion\"").contains("Hello there");
              RecordedRequest sent = backend.takeRequest();
              assertThat(sent.getPath()).isEqualTo("/v1/messages");
              assertThat(sent.getHeader("x-api-key")).isEqualTo("anthropic-key-SECRET");
              assertThat(sent.getHeader("anthropic-version")).isEqualTo("2023-06-01");
              assertThat(sent.getHeader("Authorization")).isNull();
              assertThat(sent.getBody().readUtf8()).contains("\"model\":\"claude-sonnet-4-5\"");
              GatewayEvent event = onlyEvent(context);
              assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
              assertThat(event.usage().tokens().totalTokens()).isEqualTo(15);
              assertThat(event.toString()).doesNotContain("SECRET");
            });
  }

  @Test
  void aGeminiBackendGetsTheCallAsGenerateContentWithItsKeyInItsHeader() throws Exception {
    backend.enqueue(
        AiGatewayAutoConfigurationTest.json(
            "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":"
                + "\"Hello there\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{"
                + "\"promptTokenCount\":9,\"candidatesTokenCount\":2,\"totalTokenCount\":11},"
                + "\"modelVersion\":\"gemini-2.0-flash\"}"));
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=gemini",
            "ai-gateway.pool.backends[0].url=" + base(),
            "ai-gateway.pool.backends[0].flavor=gemini",
            "ai-gateway.pool.backends[0].api-key=gemini-key-SECRET",
            "ai-gateway.pool.backends[0].models.gpt-4o=gemini-2.0-flash")
        .run(
            context -> {
              assertThat(callChat(context)).contains("Hello there");
              RecordedRequest sent = backend.takeRequest();
              assertThat(sent.getPath())
                  .isEqualTo("/v1beta/models/gemini-2.0-flash:generateContent");
              assertThat(sent.getHeader("x-goog-api-key")).isEqualTo("gemini-key-SECRET");
              assertThat(sent.getHeader("Authorization")).isNull();
              assertThat(onlyEvent(context).usage().tokens().totalTokens()).isEqualTo(11);
            });
  }

  @Test
  void anAzureAiInferenceBackendGetsTheCallAtItsModelsPathWithItsApiVersionAndKey()
      throws Exception {
    backend.enqueue(
        AiGatewayAutoConfigurationTest.json(AiGatewayAutoConfigurationTest.completion(12, 3)));
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=foundry",
            "ai-gateway.pool.backends[0].url=" + base(),
            "ai-gateway.pool.backends[0].flavor=azure-ai-inference",
            "ai-gateway.pool.backends[0].api-version=2024-05-01-preview",
            "ai-gateway.pool.backends[0].api-key=foundry-key-SECRET")
        .run(
            context -> {
              assertThat(callChat(context)).contains("Hello there");
              RecordedRequest sent = backend.takeRequest();
              assertThat(sent.getPath())
                  .isEqualTo("/models/chat/completions?api-version=2024-05-01-preview");
              assertThat(sent.getHeader("api-key")).isEqualTo("foundry-key-SECRET");
              assertThat(onlyEvent(context).usage().tokens().totalTokens()).isEqualTo(15);
            });
  }

  @Test
  void aBedrockBackendSignsTheConverseCallWithTheAwsSdksCredentials() throws Exception {
    backend.enqueue(
        AiGatewayAutoConfigurationTest.json(
            "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":"
                + "\"Hello there\"}]}},\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":8,"
                + "\"outputTokens\":2,\"totalTokens\":10},\"metrics\":{\"latencyMs\":5}}"));
    // the AWS SDK's default chain reads these system properties first
    String id = System.setProperty("aws.accessKeyId", "AKIDEXAMPLESTARTER");
    String secret = System.setProperty("aws.secretAccessKey", "aws-secret-SECRET");
    try {
      runner
          .withPropertyValues(
              "ai-gateway.pool.backends[0].id=bedrock",
              "ai-gateway.pool.backends[0].url=" + base(),
              "ai-gateway.pool.backends[0].flavor=bedrock",
              "ai-gateway.pool.backends[0].region=eu-central-1",
              "ai-gateway.pool.backends[0].models.gpt-4o=anthropic.claude-3-5-haiku-20241022-v1:0")
          .run(
              context -> {
                assertThat(callChat(context)).contains("Hello there");
                RecordedRequest sent = backend.takeRequest();
                assertThat(sent.getPath())
                    .isEqualTo("/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse");
                assertThat(sent.getHeader("Authorization"))
                    .startsWith(
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLESTARTER/"
                            + sent.getHeader("x-amz-date").substring(0, 8)
                            + "/eu-central-1/bedrock/aws4_request")
                    .doesNotContain("SECRET");
                assertThat(onlyEvent(context).usage().tokens().totalTokens()).isEqualTo(10);
              });
    } finally {
      restore("aws.accessKeyId", id);
      restore("aws.secretAccessKey", secret);
    }
  }

  @Test
  void withoutAiGatewayAwsABedrockBackendSignsWithTheEnvironmentsCredentials() {
    runner
        .withClassLoader(new FilteredClassLoader(AwsSdkCredentials.class))
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=bedrock",
            "ai-gateway.pool.backends[0].url=" + base(),
            "ai-gateway.pool.backends[0].flavor=bedrock",
            "ai-gateway.pool.backends[0].region=us-east-1")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(OptionalModules.AwsSupport.class);
              String signer =
                  context.getBean(AiGateway.class).backendPool().backends().get(0).toString();
              assertThat(signer).contains("AwsCredentialsProvider.environment()");
            });
  }

  @Test
  void wrongCombinationsFailStartupNamingTheProperty() {
    assertFailure(
        "ai-gateway.pool.backends[0].region",
        "needs the AWS region",
        "ai-gateway.pool.backends[0].flavor=bedrock");
    assertFailure(
        "ai-gateway.pool.backends[0].api-key",
        "takes no api-key, oauth or entra-id",
        "ai-gateway.pool.backends[0].flavor=bedrock",
        "ai-gateway.pool.backends[0].region=us-east-1",
        "ai-gateway.pool.backends[0].api-key=some-key-XYZZY");
    assertFailure(
        "ai-gateway.pool.backends[0].region",
        "only a bedrock backend takes a region; backend 'b' is gemini",
        "ai-gateway.pool.backends[0].flavor=gemini",
        "ai-gateway.pool.backends[0].region=us-east-1");
    assertFailure(
        "ai-gateway.pool.backends[0].api-version",
        "only an azure, azure-ai-inference or anthropic backend takes an api-version;"
            + " backend 'b' is gemini",
        "ai-gateway.pool.backends[0].flavor=gemini",
        "ai-gateway.pool.backends[0].api-version=v1beta");
    assertFailure(
        "ai-gateway.pool.backends[0].api-version",
        "needs an api-version",
        "ai-gateway.pool.backends[0].flavor=azure-ai-inference");
    assertFailure(
        "ai-gateway.pool.backends[0].api-version",
        "needs a non-blank anthropic-version",
        "ai-gateway.pool.backends[0].flavor=anthropic",
        "ai-gateway.pool.backends[0].api-version= ");
  }

  private void assertFailure(String property, String message, String... settings) {
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=b", "ai-gateway.pool.backends[0].url=" + base())
        .withPropertyValues(settings)
        .run(
            context -> {
              InvalidGatewayPropertyException failure =
                  AiGatewayAutoConfigurationTest.propertyFailure(context);
              assertThat(failure.property()).isEqualTo(property);
              assertThat(failure.getMessage()).contains(message).doesNotContain("XYZZY");
            });
  }

  private String base() {
    String url = backend.url("/").toString();
    return url.substring(0, url.length() - 1);
  }

  private String callChat(AssertableApplicationContext context) throws IOException {
    Request chat =
        new Request.Builder()
            .url(backend.url("/v1/chat/completions"))
            .post(
                RequestBody.create(
                    "{\"model\":\"gpt-4o\",\"max_tokens\":20,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
                    MediaType.get("application/json")))
            .build();
    try (Response response = context.getBean(OkHttpClient.class).newCall(chat).execute()) {
      String body = response.body().string();
      assertThat(response.code()).as(body).isEqualTo(200);
      return body;
    }
  }

  private static GatewayEvent onlyEvent(AssertableApplicationContext context) {
    List<GatewayEvent> events = context.getBean(AppBeans.class).events;
    assertThat(events).hasSize(1);
    return events.get(0);
  }

  private static void restore(String property, String value) {
    if (value == null) {
      System.clearProperty(property);
    } else {
      System.setProperty(property, value);
    }
  }

  /** The application's OkHttp client and a listener that keeps every event. */
  @Configuration(proxyBeanMethods = false)
  static class AppBeans {
    final List<GatewayEvent> events = new CopyOnWriteArrayList<>();

    @Bean
    OkHttpClient okHttpClient() {
      return new OkHttpClient();
    }

    @Bean
    GatewayListener recorder() {
      return events::add;
    }
  }
}
