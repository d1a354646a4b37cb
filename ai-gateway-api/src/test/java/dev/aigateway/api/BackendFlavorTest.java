package dev.aigateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackendFlavorTest {

  @Test
  void eachFlavourNamesItsProviderAsTheGenAiConventionsDo() {
    assertThat(BackendFlavor.OPENAI.providerName()).isEqualTo("openai");
    assertThat(BackendFlavor.OPENAI_COMPATIBLE.providerName()).isEqualTo("openai");
    assertThat(BackendFlavor.AZURE_OPENAI.providerName()).isEqualTo("azure.ai.openai");
    assertThat(BackendFlavor.AZURE_OPENAI_V1.providerName()).isEqualTo("azure.ai.openai");
    assertThat(BackendFlavor.AZURE_AI_INFERENCE.providerName()).isEqualTo("azure.ai.inference");
    assertThat(BackendFlavor.GEMINI.providerName()).isEqualTo("gcp.gemini");
    assertThat(BackendFlavor.VERTEX_AI.providerName()).isEqualTo("gcp.vertex_ai");
  }

  @Test
  void apiKeysGoInAzuresOrGooglesHeaderElseAsABearerToken() {
    assertThat(BackendFlavor.AZURE_OPENAI.apiKeyHeader()).isEqualTo("api-key");
    assertThat(BackendFlavor.AZURE_OPENAI_V1.apiKeyHeader()).isEqualTo("api-key");
    assertThat(BackendFlavor.AZURE_AI_INFERENCE.apiKeyHeader()).isEqualTo("api-key");
    assertThat(BackendFlavor.GEMINI.apiKeyHeader()).isEqualTo("x-goog-api-key");
    assertThat(BackendFlavor.VERTEX_AI.apiKeyHeader()).isNull();
    assertThat(BackendFlavor.OPENAI.apiKeyHeader()).isNull();
    assertThat(BackendFlavor.GEMINI.usesApiKeyHeader()).isFalse();
    assertThat(BackendFlavor.AZURE_AI_INFERENCE.usesApiKeyHeader()).isTrue();
  }
}
