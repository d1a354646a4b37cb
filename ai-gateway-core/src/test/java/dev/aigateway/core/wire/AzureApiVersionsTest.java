package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AzureApiVersionsTest {

  @ParameterizedTest
  @CsvSource({
    "https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-06-01, false",
    "https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2023-05-15, false",
    "https://x/openai/deployments/d/chat/completions?a=1&api-version=2024-08-01-preview, false",
    "https://x/openai/deployments/d/chat/completions?api-version=2024-09-01-preview, true",
    "https://x/openai/deployments/d/chat/completions?api-version=2024-10-21&a=1, true",
    "https://x/openai/deployments/d/chat/completions?api-version=2025-04-01-preview, true",
    "https://x/openai/deployments/d/chat/completions?api-version=latest, true",
    "https://x/openai/deployments/d/chat/completions?xapi-version=2023-05-15, true",
    "https://x/openai/v1/chat/completions, true",
    "https://api.openai.com/v1/chat/completions, true",
    "https://x/api-version=2023-05-15/chat/completions, true"
  })
  void aDatedApiVersionBeforeStreamOptionsRefusesThem(String url, boolean accepts) {
    assertThat(AzureApiVersions.acceptsStreamOptions(url)).isEqualTo(accepts);
  }
}
