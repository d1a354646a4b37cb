package dev.aigateway.okhttp.safety;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.spi.ContentCheck;
import dev.aigateway.api.spi.ContentText;
import dev.aigateway.okhttp.Backend;
import java.io.IOException;
import java.util.List;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An external check's service that answers with a redirect: the check fails with the status, and
 * its key (sent in {@code Ocp-Apim-Subscription-Key} or {@code Authorization}) never reaches the
 * place the redirect names.
 */
class CheckRedirectTest {

  private static final String KEY = "check-key-SECRET-1";

  private final MockWebServer service = new MockWebServer();
  private final MockWebServer elsewhere = new MockWebServer();
  private final OkHttpClient plain = new OkHttpClient();

  @BeforeEach
  void setUp() throws IOException {
    service.start();
    elsewhere.start();
  }

  @AfterEach
  void tearDown() {
    service.close();
    elsewhere.close();
  }

  private void redirectOnce() {
    service.enqueue(
        new MockResponse.Builder()
            .code(307)
            .addHeader("Location", elsewhere.url("/moved").toString())
            .build());
    elsewhere.enqueue(
        Backend.json(
            "{\"userPromptAnalysis\":{\"attackDetected\":false},\"documentsAnalysis\":[]}"));
  }

  private static final List<ContentText> TEXTS = List.of(new ContentText("user", "Hello"));

  @Test
  void anAzureKeyIsNotSentWhereTheServiceRedirects() {
    redirectOnce();
    ContentCheck shields = AzurePromptShields.of(plain, service.url("/").toString(), KEY);

    assertThatThrownBy(() -> shields.check(ContentCheck.Where.PROMPT, TEXTS))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("307")
        .hasMessageNotContaining(KEY);

    assertThat(elsewhere.getRequestCount()).isZero();
  }

  @Test
  void anOpenAiKeyIsNotSentWhereTheServiceRedirects() {
    redirectOnce();
    ContentCheck moderation =
        OpenAiModeration.builder(plain, KEY).baseUrl(service.url("/").toString()).build();

    assertThatThrownBy(() -> moderation.check(ContentCheck.Where.PROMPT, TEXTS))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("307");

    assertThat(elsewhere.getRequestCount()).isZero();
  }
}
