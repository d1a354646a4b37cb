package dev.aigateway.okhttp.safety;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.spi.ContentCheck;
import java.util.List;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/**
 * An external check's endpoint may carry a secret of its own (user information, a SAS signature or
 * a key in its query): neither a check's {@code toString()} nor the error of an endpoint that does
 * not parse shows it.
 */
class CheckEndpointSecretsTest {

  private static final String KEY = "check-key-SECRET-1";
  private static final String ENDPOINT =
      "https://svc-user:password-SECRET@my.cognitiveservices.azure.com/?sig=sas-SECRET";

  private final OkHttpClient plain = new OkHttpClient();

  @Test
  void aChecksToStringShowsItsEndpointWithoutUserInformationOrQueryValues() {
    List<ContentCheck> checks =
        List.of(
            AzurePromptShields.of(plain, ENDPOINT, KEY),
            AzureTextAnalysis.builder(plain, ENDPOINT, KEY).build(),
            OpenAiModeration.builder(plain, KEY).baseUrl(ENDPOINT).build());

    for (ContentCheck check : checks) {
      assertThat(check.toString())
          .contains("my.cognitiveservices.azure.com")
          .contains("sig=***")
          .doesNotContain("SECRET");
    }
  }

  @Test
  void anEndpointThatDoesNotParseIsRefusedWithoutQuotingIt() {
    String notAUrl = "my.cognitiveservices.azure.com/?sig=sas-SECRET";

    assertThatThrownBy(() -> AzurePromptShields.of(plain, notAUrl, KEY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("http(s) URL")
        .hasMessageNotContaining("SECRET");
  }
}
