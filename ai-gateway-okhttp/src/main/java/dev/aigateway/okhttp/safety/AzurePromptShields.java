package dev.aigateway.okhttp.safety;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.spi.ContentCheck;
import dev.aigateway.api.spi.ContentFinding;
import dev.aigateway.api.spi.ContentText;
import dev.aigateway.api.spi.ContentVerdict;
import dev.aigateway.core.wire.HeaderValues;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;

/**
 * Azure AI Content Safety's Prompt Shields ({@code POST
 * {endpoint}/contentsafety/text:shieldPrompt?api-version=2024-09-01}) as a {@link ContentCheck}:
 * the user's texts (every text but a tool's output) go as {@code userPrompt}, the outputs of tools
 * as {@code documents}; the verdict flags {@code jailbreak} when {@code
 * userPromptAnalysis.attackDetected}, and {@code indirect_attack} when an entry of {@code
 * documentsAnalysis} detected one (the names Azure OpenAI's content filter gives them).
 *
 * <pre>{@code
 * ContentCheck shields = AzurePromptShields.of(client, "https://my.cognitiveservices.azure.com", key);
 * }</pre>
 *
 * <p>The key goes in {@code Ocp-Apim-Subscription-Key} and nowhere else. Thread-safe.
 */
public final class AzurePromptShields implements ContentCheck {

  private final OkHttpClient client;
  private final HttpUrl url;
  private final String key;

  private AzurePromptShields(OkHttpClient client, String endpoint, String key) {
    this.client = CheckCalls.withoutRedirects(Objects.requireNonNull(client, "client"));
    this.url =
        CheckCalls.url(endpoint, "contentsafety/text:shieldPrompt")
            .newBuilder()
            .addQueryParameter("api-version", AzureTextAnalysis.API_VERSION)
            .build();
    this.key = Objects.requireNonNull(key, "key");
    HeaderValues.require("the key", AzureTextAnalysis.KEY_HEADER, key);
  }

  /**
   * Prompt Shields of a Content Safety resource.
   *
   * @param client the client the checks are sent with
   * @param endpoint the resource's endpoint, for example {@code
   *     https://my-resource.cognitiveservices.azure.com}
   * @param key the resource's key
   * @throws IllegalArgumentException when the key holds a character no header value may hold (a
   *     trailing line break, say); the message never holds the key
   */
  public static AzurePromptShields of(OkHttpClient client, String endpoint, String key) {
    return new AzurePromptShields(client, endpoint, key);
  }

  @Override
  public String name() {
    return "azure-prompt-shields";
  }

  @Override
  public ContentVerdict check(Where where, List<ContentText> texts) throws IOException {
    StringBuilder user = new StringBuilder();
    List<String> documents = new ArrayList<>();
    for (ContentText text : texts) {
      if (text.document()) {
        documents.add(text.text());
      } else {
        if (user.length() > 0) {
          user.append("\n\n");
        }
        user.append(text.text());
      }
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("userPrompt", user.toString());
    body.put("documents", documents);
    JsonNode answer = CheckCalls.post(client, url, AzureTextAnalysis.KEY_HEADER, key, body, name());
    List<ContentFinding> found = new ArrayList<>();
    if (answer.path("userPromptAnalysis").path("attackDetected").asBoolean(false)) {
      found.add(new ContentFinding("jailbreak", 1));
    }
    for (JsonNode document : answer.path("documentsAnalysis")) {
      if (document.path("attackDetected").asBoolean(false)) {
        found.add(new ContentFinding("indirect_attack", 1));
        break;
      }
    }
    return found.isEmpty() ? ContentVerdict.PASSED : ContentVerdict.flagged(found);
  }

  @Override
  public String toString() {
    return "AzurePromptShields{" + url + "}"; // never the key
  }
}
