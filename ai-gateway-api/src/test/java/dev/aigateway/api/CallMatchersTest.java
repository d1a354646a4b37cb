package dev.aigateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CallMatchersTest {

  private final CallMatcher matcher = CallMatchers.openAiAndAzure();

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    // OpenAI
    "/v1/chat/completions, CHAT_COMPLETIONS",
    "/v1/completions, COMPLETIONS",
    "/v1/embeddings, EMBEDDINGS",
    "/v1/responses, RESPONSES",
    // trailing slash
    "/v1/chat/completions/, CHAT_COMPLETIONS",
    "/v1/completions/, COMPLETIONS",
    "/v1/embeddings/, EMBEDDINGS",
    "/v1/responses/, RESPONSES",
    // mounted under a prefix
    "/proxy/v1/chat/completions, CHAT_COMPLETIONS",
    "/api/llm/v1/embeddings, EMBEDDINGS",
    "/openrouter/api/v1/responses, RESPONSES",
    "/groq/openai/v1/chat/completions, CHAT_COMPLETIONS",
    // Azure OpenAI v1
    "/openai/v1/chat/completions, CHAT_COMPLETIONS",
    "/openai/v1/completions, COMPLETIONS",
    "/openai/v1/embeddings, EMBEDDINGS",
    "/openai/v1/responses, RESPONSES",
    "/openai/v1/responses/, RESPONSES",
    // Azure OpenAI Responses API with an api-version (the query is not part of the path)
    "/openai/responses, RESPONSES",
    "/openai/responses/, RESPONSES",
    // Azure AI Foundry model inference: the model is in the body
    "/models/chat/completions, CHAT_COMPLETIONS",
    "/models/embeddings, EMBEDDINGS",
    "/models/chat/completions/, CHAT_COMPLETIONS"
  })
  void matchesOpenAiStylePathsWithoutADeployment(String path, Operation operation) {
    assertThat(matcher.match("POST", path)).isEqualTo(new CallMatch(operation, null));
  }

  @ParameterizedTest(name = "{0} -> {1} on {2}")
  @CsvSource({
    "/openai/deployments/gpt4o/chat/completions, CHAT_COMPLETIONS, gpt4o",
    "/openai/deployments/gpt-35-instruct/completions, COMPLETIONS, gpt-35-instruct",
    "/openai/deployments/embed-small/embeddings, EMBEDDINGS, embed-small",
    "/openai/deployments/o4-mini/responses, RESPONSES, o4-mini",
    "/openai/deployments/gpt4o/chat/completions/, CHAT_COMPLETIONS, gpt4o",
    "/gateway/openai/deployments/my.deploy_1/embeddings, EMBEDDINGS, my.deploy_1",
    "/openai/deployments/v1/chat/completions, CHAT_COMPLETIONS, v1",
    "/openai/deployments/gpt%2D4o/chat/completions, CHAT_COMPLETIONS, gpt-4o",
    "/openai/deployments/my%20deploy+1/embeddings, EMBEDDINGS, my deploy+1",
    "/openai/deployments/bad%zz/embeddings, EMBEDDINGS, bad%zz"
  })
  void matchesAzureDeploymentPathsAndExtractsTheDeployment(
      String path, Operation operation, String deployment) {
    assertThat(matcher.match("POST", path)).isEqualTo(new CallMatch(operation, deployment));
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "GET, /v1/chat/completions",
    "GET, /v1/models",
    "GET, /v1/responses/resp_123",
    "DELETE, /v1/responses/resp_123",
    "PUT, /v1/embeddings",
    "GET, /openai/deployments/gpt4o/chat/completions",
    "post, /v1/chat/completions"
  })
  void otherMethodsAreNotMatched(String method, String path) {
    assertThat(matcher.match(method, path)).isNull();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "/v1/models",
    "/v1/audio/transcriptions",
    "/v1/images/generations",
    "/v1/files",
    "/v1/moderations",
    "/v1/responses/resp_123/cancel",
    "/v1/responses/input_tokens",
    "/v1/chat/completions/extra",
    "/v1/chat",
    "/v2/chat/completions",
    "/chat/completions",
    "/v1chat/completions",
    "/",
    "''",
    "/openai/deployments/gpt4o",
    "/openai/deployments/gpt4o/",
    "/openai/deployments//chat/completions",
    "/openai/deployments/gpt4o/audio/speech",
    "/openai/deployments/gpt4o/extensions/chat/completions",
    "/openai/v1/models",
    "/openai/responses/resp_123",
    "/models/completions",
    "/models/responses",
    "/models/images/embeddings",
    "/models/info",
    "/v1beta/models/gemini-2.0-flash:generateContent",
    "/models/chat/completions/extra",
    "/v1/chat/completions//",
    "/v1/xcompletions",
    "/v1/completionsx",
    "/v1/",
    "/v1//",
    "/openai/deployments/gpt4o/embeddingsx",
    "/openai/deployments/gpt4o//"
  })
  void unknownPathsAreNotMatched(String path) {
    assertThat(matcher.match("POST", path)).isNull();
  }

  @Test
  void openAiAndAzureIsOneSharedMatcher() {
    assertThat(CallMatchers.openAiAndAzure()).isSameAs(CallMatchers.openAiAndAzure());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "/azure/openai/deployments/gpt4o/chat/completions, CHAT_COMPLETIONS, gpt4o",
    "/azure/v1/embeddings, EMBEDDINGS, ''"
  })
  void underPathMatchesWhatTheInnerMatcherMatchesBelowThePrefix(
      String path, Operation operation, String deployment) {
    CallMatcher azureOnly = CallMatchers.underPath("/azure/", matcher);

    assertThat(azureOnly.match("POST", path))
        .isEqualTo(new CallMatch(operation, deployment.isEmpty() ? null : deployment));
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "POST, /v1/chat/completions",
    "POST, /other/azure/openai/deployments/gpt4o/chat/completions",
    "GET, /azure/v1/chat/completions",
    "POST, /azure/v1/models"
  })
  void underPathIgnoresPathsOutsideThePrefixOrUnmatchedByTheInnerMatcher(
      String method, String path) {
    CallMatcher azureOnly = CallMatchers.underPath("/azure/", matcher);

    assertThat(azureOnly.match(method, path)).isNull();
  }

  @Test
  void underPathRequiresAPrefixAndAMatcher() {
    assertThatThrownBy(() -> CallMatchers.underPath(null, matcher))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> CallMatchers.underPath("/x", null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void callMatchRequiresAnOperation() {
    assertThatThrownBy(() -> new CallMatch(null, "gpt4o")).isInstanceOf(NullPointerException.class);
  }
}
