package dev.aigateway.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BackendUrlSecretsTest {

  @Test
  void toStringShowsTheBaseUrlWithoutUserInfoOrQueryValues() {
    Backend backend =
        Backend.openAiCompatible(
                "east", "https://user:url-PASSWORD@llm.example.com/v1?api-key=url-KEY&region=eu")
            .build();

    assertThat(backend.toString())
        .contains("https://llm.example.com/v1?api-key=***&region=***")
        .doesNotContain("url-PASSWORD")
        .doesNotContain("url-KEY");
  }

  @Test
  void aBaseUrlThatIsNotHttpIsRefusedWithoutItsSecrets() {
    assertThatThrownBy(
            () -> Backend.openAiCompatible("east", "ftp://user:url-PASSWORD@host/?key=url-KEY"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ftp://host/?key=***")
        .hasMessageNotContaining("url-PASSWORD")
        .hasMessageNotContaining("url-KEY");
  }

  @Test
  void aBaseUrlThatDoesNotParseIsRefusedWithoutQuotingIt() {
    assertThatThrownBy(
            () -> Backend.openAiCompatible("east", "https://llm.example.com/v1?api-key=url KEY"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("backend 'east'")
        .hasMessageNotContaining("url KEY")
        .hasNoCause();
  }
}
