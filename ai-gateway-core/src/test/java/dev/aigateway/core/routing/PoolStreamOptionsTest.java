package dev.aigateway.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PoolStreamOptionsTest {

  @Test
  void aPoolWithAnAzureVersionThatRefusesStreamOptionsNeverAsksForThem() {
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.openAi("openai", "https://api.openai.com"))
            .backend(Backend.azureOpenAi("old", "https://old.openai.azure.com", "2024-06-01"))
            .build();

    assertThat(pool.acceptsStreamOptions()).isFalse();
  }

  @Test
  void aPoolWhoseBackendsAllTakeStreamOptionsAsksForThem() {
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.openAi("openai", "https://api.openai.com"))
            .backend(Backend.azureOpenAi("new", "https://new.openai.azure.com", "2024-10-21"))
            .backend(Backend.azureOpenAiV1("v1", "https://v1.openai.azure.com"))
            .build();

    assertThat(pool.acceptsStreamOptions()).isTrue();
  }

  @Test
  void anAnthropicVersionIsNoAzureApiVersion() {
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.openAi("openai", "https://api.openai.com"))
            .backend(Backend.anthropic("claude", "https://api.anthropic.com", "2023-06-01"))
            .build();

    assertThat(pool.acceptsStreamOptions()).isTrue();
  }
}
