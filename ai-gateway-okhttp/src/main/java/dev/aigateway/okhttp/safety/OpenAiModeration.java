package dev.aigateway.okhttp.safety;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.spi.ContentCheck;
import dev.aigateway.api.spi.ContentFinding;
import dev.aigateway.api.spi.ContentText;
import dev.aigateway.api.spi.ContentVerdict;
import dev.aigateway.core.wire.HeaderValues;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;

/**
 * OpenAI's moderation endpoint ({@code POST {baseUrl}/v1/moderations}, {@code
 * {"model":"omni-moderation-latest","input":[...]}}) as a {@link ContentCheck}: the verdict flags
 * each category a result marks {@code true} in {@code categories}, or whose {@code category_scores}
 * entry reaches a threshold you set; findings carry the scores, highest first.
 *
 * <pre>{@code
 * ContentCheck moderation = OpenAiModeration.builder(client, System.getenv("OPENAI_API_KEY"))
 *     .threshold("violence", 0.5)
 *     .build();
 * }</pre>
 *
 * <p>The key goes in {@code Authorization: Bearer} and nowhere else. Thread-safe.
 */
public final class OpenAiModeration implements ContentCheck {

  /** The model asked unless set otherwise: {@value}. */
  public static final String DEFAULT_MODEL = "omni-moderation-latest";

  /** Where requests go unless set otherwise: {@value}. */
  public static final String DEFAULT_BASE_URL = "https://api.openai.com";

  private final OkHttpClient client;
  private final HttpUrl url;
  private final String key;
  private final String model;
  private final Map<String, Double> thresholds;

  private OpenAiModeration(Builder b) {
    this.client = CheckCalls.withoutRedirects(b.client);
    this.url = CheckCalls.url(b.baseUrl, "v1/moderations");
    this.key = b.key;
    this.model = b.model;
    this.thresholds = Map.copyOf(b.thresholds);
  }

  /**
   * A builder.
   *
   * @param client the client the checks are sent with
   * @param apiKey the OpenAI API key
   * @throws IllegalArgumentException when the key holds a character no header value may hold (a
   *     trailing line break, say); the message never holds the key
   */
  public static Builder builder(OkHttpClient client, String apiKey) {
    return new Builder(client, apiKey);
  }

  @Override
  public String name() {
    return "openai-moderation";
  }

  @Override
  public ContentVerdict check(Where where, List<ContentText> texts) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", model);
    body.put("input", texts.stream().map(ContentText::text).toList());
    JsonNode answer = CheckCalls.post(client, url, "Authorization", "Bearer " + key, body, name());
    Map<String, Double> flagged = new LinkedHashMap<>();
    Map<String, Double> seen = new LinkedHashMap<>();
    for (JsonNode result : answer.path("results")) {
      JsonNode categories = result.path("categories");
      JsonNode scores = result.path("category_scores");
      for (var entry : scores.properties()) {
        String category = entry.getKey();
        double score = entry.getValue().asDouble(0);
        Double threshold = thresholds.get(category);
        boolean flags =
            categories.path(category).asBoolean(false) || (threshold != null && score >= threshold);
        (flags ? flagged : seen).merge(category, score, Math::max);
      }
      if (result.path("flagged").asBoolean(false) && flagged.isEmpty()) {
        flagged.put("flagged", 1.0); // flagged without naming a category
      }
    }
    if (flagged.isEmpty()) {
      return new ContentVerdict(false, findings(seen));
    }
    return ContentVerdict.flagged(findings(flagged));
  }

  private static List<ContentFinding> findings(Map<String, Double> scores) {
    List<ContentFinding> findings = new ArrayList<>();
    scores.forEach((category, score) -> findings.add(new ContentFinding(category, score)));
    findings.sort(Comparator.comparingDouble(ContentFinding::score).reversed());
    return findings;
  }

  @Override
  public String toString() {
    return "OpenAiModeration{" + CheckCalls.shown(url) + ", " + model + "}"; // never the key
  }

  /** Builds an {@link OpenAiModeration}. */
  public static final class Builder {
    private final OkHttpClient client;
    private final String key;
    private String baseUrl = DEFAULT_BASE_URL;
    private String model = DEFAULT_MODEL;
    private final Map<String, Double> thresholds = new LinkedHashMap<>();

    private Builder(OkHttpClient client, String key) {
      this.client = Objects.requireNonNull(client, "client");
      this.key = Objects.requireNonNull(key, "apiKey");
      HeaderValues.require("the API key", "Authorization", key);
    }

    /**
     * Where the endpoint is (default {@value #DEFAULT_BASE_URL}); {@code /v1/moderations} is added.
     */
    public Builder baseUrl(String baseUrl) {
      CheckCalls.url(baseUrl, "");
      this.baseUrl = baseUrl;
      return this;
    }

    /** The moderation model (default {@value #DEFAULT_MODEL}). */
    public Builder model(String model) {
      this.model = Objects.requireNonNull(model, "model");
      return this;
    }

    /** Also flags {@code category} when its score reaches {@code score} (0 to 1). */
    public Builder threshold(String category, double score) {
      if (!(score >= 0 && score <= 1)) {
        throw new IllegalArgumentException(
            "a score threshold is 0 to 1, not " + score + " (for " + category + ")");
      }
      thresholds.put(Objects.requireNonNull(category, "category"), score);
      return this;
    }

    /** Builds the check. */
    public OpenAiModeration build() {
      return new OpenAiModeration(this);
    }
  }
}
