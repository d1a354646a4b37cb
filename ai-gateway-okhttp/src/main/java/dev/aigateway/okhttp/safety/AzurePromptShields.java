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
 * <p>Within the service's limits per request (a user prompt of at most {@value #MAX_PROMPT_CHARS}
 * characters; at most {@value #MAX_DOCUMENTS} documents of at most {@value #MAX_DOCUMENTS_CHARS}
 * characters together), whatever the size of the call: the user's texts are cut into pieces as
 * {@link AzureTextAnalysis} cuts its texts (at white space where it can, each continuing piece
 * repeating the end of the one before), a long document likewise, and the documents are sent in
 * batches; as many requests go, one after another, as the longest of the two needs, and the verdict
 * flags what any of them found. A prompt padded past the limit is checked, not answered with the
 * service's 400 (which, as any failed check, would fail open by default).
 *
 * <p>The key goes in {@code Ocp-Apim-Subscription-Key} and nowhere else. Thread-safe.
 */
public final class AzurePromptShields implements ContentCheck {

  /** The most characters of user prompt one request carries: {@value}. */
  public static final int MAX_PROMPT_CHARS = AzureTextAnalysis.MAX_TEXT_CHARS;

  /** The most documents one request carries: {@value}. */
  public static final int MAX_DOCUMENTS = 5;

  /** The most characters the documents of one request hold together: {@value}. */
  public static final int MAX_DOCUMENTS_CHARS = 10_000;

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
    List<ContentText> user = new ArrayList<>();
    List<String> documentPieces = new ArrayList<>();
    for (ContentText text : texts) {
      if (text.document()) {
        documentPieces.addAll(AzureTextAnalysis.pieces(List.of(text)));
      } else {
        user.add(text);
      }
    }
    List<String> prompts = AzureTextAnalysis.pieces(user);
    List<List<String>> batches = batches(documentPieces);
    boolean jailbreak = false;
    boolean indirect = false;
    int requests = Math.max(1, Math.max(prompts.size(), batches.size()));
    for (int i = 0; i < requests && !(jailbreak && indirect); i++) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("userPrompt", i < prompts.size() ? prompts.get(i) : "");
      body.put("documents", i < batches.size() ? batches.get(i) : List.of());
      JsonNode answer =
          CheckCalls.post(client, url, AzureTextAnalysis.KEY_HEADER, key, body, name());
      jailbreak |= answer.path("userPromptAnalysis").path("attackDetected").asBoolean(false);
      for (JsonNode document : answer.path("documentsAnalysis")) {
        indirect |= document.path("attackDetected").asBoolean(false);
      }
    }
    List<ContentFinding> found = new ArrayList<>();
    if (jailbreak) {
      found.add(new ContentFinding("jailbreak", 1));
    }
    if (indirect) {
      found.add(new ContentFinding("indirect_attack", 1));
    }
    return found.isEmpty() ? ContentVerdict.PASSED : ContentVerdict.flagged(found);
  }

  /**
   * The document pieces (each at most {@value #MAX_DOCUMENTS_CHARS} characters) in batches of at
   * most {@value #MAX_DOCUMENTS} holding at most {@value #MAX_DOCUMENTS_CHARS} characters, in
   * order.
   */
  static List<List<String>> batches(List<String> pieces) {
    List<List<String>> batches = new ArrayList<>();
    List<String> batch = new ArrayList<>();
    int chars = 0;
    for (String piece : pieces) {
      if (!batch.isEmpty()
          && (batch.size() == MAX_DOCUMENTS || chars + piece.length() > MAX_DOCUMENTS_CHARS)) {
        batches.add(batch);
        batch = new ArrayList<>();
        chars = 0;
      }
      batch.add(piece);
      chars += piece.length();
    }
    if (!batch.isEmpty()) {
      batches.add(batch);
    }
    return batches;
  }

  @Override
  public String toString() {
    return "AzurePromptShields{" + CheckCalls.shown(url) + "}"; // never the key
  }
}
