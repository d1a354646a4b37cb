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
 * Azure AI Content Safety's text analysis ({@code POST
 * {endpoint}/contentsafety/text:analyze?api-version=2024-09-01}) as a {@link ContentCheck}: the
 * texts are analysed for the harm categories asked ({@code Hate}, {@code Sexual}, {@code Violence},
 * {@code SelfHarm}; all four by default) and against your blocklists; the verdict flags when a
 * category's severity reaches its threshold (default {@value #DEFAULT_THRESHOLD}, "medium", where
 * Azure OpenAI's default filter blocks) or a blocklist matches (category {@code blocklist:<name>}).
 *
 * <pre>{@code
 * ContentCheck azure = AzureTextAnalysis.builder(client, "https://my.cognitiveservices.azure.com", key)
 *     .threshold("Hate", 2)                  // low and above
 *     .blocklists("internal-terms")
 *     .build();
 * }</pre>
 *
 * <p>Texts are joined by blank lines and sent in pieces of at most {@value #MAX_TEXT_CHARS}
 * characters (the service's limit per request), one request after another; the verdict is the most
 * severe. A text is cut at white space when there is some in its last {@value #OVERLAP_CHARS}
 * characters before the limit, never inside a character (a surrogate pair), and each piece that
 * continues a text first repeats up to {@value #OVERLAP_CHARS} characters of the one before, from
 * the start of a word: a blocklisted word or phrase, or a sentence, cut by the limit is whole in
 * one piece. The key goes in {@code Ocp-Apim-Subscription-Key} and nowhere else. Thread-safe.
 */
public final class AzureTextAnalysis implements ContentCheck {

  /** The severity at which a category flags unless set otherwise: 4 (medium). */
  public static final int DEFAULT_THRESHOLD = 4;

  /** The most characters one request may carry: {@value}. */
  public static final int MAX_TEXT_CHARS = 10_000;

  /** How many characters a piece that continues a text repeats of the one before, at most. */
  static final int OVERLAP_CHARS = 200;

  /** The API version the requests name: {@value}. */
  public static final String API_VERSION = "2024-09-01";

  static final String KEY_HEADER = "Ocp-Apim-Subscription-Key";

  private final OkHttpClient client;
  private final HttpUrl url;
  private final String key;
  private final List<String> categories;
  private final Map<String, Integer> thresholds;
  private final List<String> blocklists;

  private AzureTextAnalysis(Builder b) {
    this.client = CheckCalls.withoutRedirects(b.client);
    this.url =
        CheckCalls.url(b.endpoint, "contentsafety/text:analyze")
            .newBuilder()
            .addQueryParameter("api-version", API_VERSION)
            .build();
    this.key = b.key;
    this.categories = List.copyOf(b.categories);
    this.thresholds = Map.copyOf(b.thresholds);
    this.blocklists = List.copyOf(b.blocklists);
  }

  /**
   * A builder.
   *
   * @param client the client the checks are sent with (may be the governed one: these calls are not
   *     LLM calls and pass through it)
   * @param endpoint the resource's endpoint, for example {@code
   *     https://my-resource.cognitiveservices.azure.com}
   * @param key the resource's key
   * @throws IllegalArgumentException when the key holds a character no header value may hold (a
   *     trailing line break, say); the message never holds the key
   */
  public static Builder builder(OkHttpClient client, String endpoint, String key) {
    return new Builder(client, endpoint, key);
  }

  @Override
  public String name() {
    return "azure-content-safety";
  }

  @Override
  public ContentVerdict check(Where where, List<ContentText> texts) throws IOException {
    List<ContentFinding> flagged = new ArrayList<>();
    List<ContentFinding> seen = new ArrayList<>();
    for (String piece : pieces(texts)) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("text", piece);
      body.put("categories", categories);
      if (!blocklists.isEmpty()) {
        body.put("blocklistNames", blocklists);
        body.put("haltOnBlocklistHit", false);
      }
      body.put("outputType", "FourSeverityLevels");
      JsonNode answer = CheckCalls.post(client, url, KEY_HEADER, key, body, name());
      for (JsonNode match : answer.path("blocklistsMatch")) {
        flagged.add(new ContentFinding("blocklist:" + match.path("blocklistName").asText(), 1));
      }
      for (JsonNode analysis : answer.path("categoriesAnalysis")) {
        String category = analysis.path("category").asText();
        int severity = analysis.path("severity").asInt(0);
        ContentFinding finding = new ContentFinding(category, severity);
        if (severity >= thresholds.getOrDefault(category, DEFAULT_THRESHOLD)) {
          flagged.add(finding);
        } else if (severity > 0) {
          seen.add(finding);
        }
      }
    }
    if (flagged.isEmpty()) {
      return new ContentVerdict(false, seen);
    }
    flagged.sort(Comparator.comparingDouble(ContentFinding::score).reversed());
    return ContentVerdict.flagged(flagged);
  }

  /**
   * The texts joined by blank lines, cut into pieces the service takes; a text cut in two is cut at
   * white space where it can be, never inside a surrogate pair, and its next piece repeats the end
   * of the one before (see the class comment).
   */
  static List<String> pieces(List<ContentText> texts) {
    List<String> pieces = new ArrayList<>();
    StringBuilder piece = new StringBuilder();
    for (ContentText text : texts) {
      String t = text.text();
      int from = 0;
      while (from < t.length()) {
        if (piece.length() > 0) {
          // A text goes on in the piece only if it fits whole or leaves room to cut it well.
          int needed = Math.min(t.length() - from, 2 * OVERLAP_CHARS);
          if (piece.length() + 2 + needed > MAX_TEXT_CHARS) {
            pieces.add(piece.toString());
            piece.setLength(0);
          } else {
            piece.append("\n\n");
          }
        }
        int room = MAX_TEXT_CHARS - piece.length();
        if (t.length() - from <= room) {
          piece.append(t, from, t.length());
          break;
        }
        int cut = cutAt(t, from, from + room);
        piece.append(t, from, cut);
        pieces.add(piece.toString());
        piece.setLength(0);
        from = restartAt(t, cut);
      }
    }
    if (piece.length() > 0) {
      pieces.add(piece.toString());
    }
    return pieces;
  }

  /**
   * Where to end a piece of {@code t} that starts at {@code from} and may run to {@code max}
   * (exclusive, before the text's end): after the last white space of its last {@value
   * #OVERLAP_CHARS} characters, else at {@code max}, moved back off the middle of a surrogate pair.
   */
  private static int cutAt(String t, int from, int max) {
    for (int k = max; k > max - OVERLAP_CHARS && k > from + 1; k--) {
      if (Character.isWhitespace(t.charAt(k - 1))) {
        return k;
      }
    }
    return Character.isLowSurrogate(t.charAt(max)) && Character.isHighSurrogate(t.charAt(max - 1))
        ? max - 1
        : max;
  }

  /**
   * Where the piece after one that ended at {@code cut} starts: up to {@value #OVERLAP_CHARS}
   * characters back, at the start of a word when the stretch holds white space, never inside a
   * surrogate pair. A piece ends at least {@value #OVERLAP_CHARS} characters after its start, so
   * the next one always starts later.
   */
  private static int restartAt(String t, int cut) {
    int start = cut - OVERLAP_CHARS;
    for (int k = start; k < cut; k++) {
      if (Character.isWhitespace(t.charAt(k))) {
        start = k + 1;
        break;
      }
    }
    if (start < cut && Character.isLowSurrogate(t.charAt(start))) {
      start++;
    }
    return start;
  }

  @Override
  public String toString() {
    return "AzureTextAnalysis{"
        + CheckCalls.shown(url)
        + ", categories="
        + categories
        + "}"; // never the key
  }

  /** Builds an {@link AzureTextAnalysis}. */
  public static final class Builder {
    private final OkHttpClient client;
    private final String endpoint;
    private final String key;
    private List<String> categories = List.of("Hate", "Sexual", "Violence", "SelfHarm");
    private final Map<String, Integer> thresholds = new LinkedHashMap<>();
    private final List<String> blocklists = new ArrayList<>();

    private Builder(OkHttpClient client, String endpoint, String key) {
      this.client = Objects.requireNonNull(client, "client");
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      this.key = Objects.requireNonNull(key, "key");
      HeaderValues.require("the key", KEY_HEADER, key);
      CheckCalls.url(endpoint, ""); // fails now on a bad endpoint
    }

    /** The harm categories analysed (default all four). */
    public Builder categories(String... categories) {
      if (categories.length == 0) {
        throw new IllegalArgumentException("name at least one category");
      }
      this.categories = List.of(categories);
      return this;
    }

    /**
     * The severity from which {@code category} flags, on the scale the service answers with here
     * ({@code FourSeverityLevels}: 0 safe, 2 low, 4 medium, 6 high): 6 flags high only, 2 low and
     * above, 0 every text. An odd value flags from the next level up. Above 6 no answer could ever
     * reach it, so it is refused rather than silently turning the category off.
     *
     * @throws IllegalArgumentException when {@code severity} is not 0 to 6
     */
    public Builder threshold(String category, int severity) {
      if (severity < 0 || severity > 6) {
        throw new IllegalArgumentException(
            "a severity threshold is 0 to 6 (the service answers 0, 2, 4 or 6: 6 flags high"
                + " only), not "
                + severity
                + " (for "
                + category
                + ")");
      }
      thresholds.put(Objects.requireNonNull(category, "category"), severity);
      return this;
    }

    /** Blocklists of the resource to match the texts against; any match flags. */
    public Builder blocklists(String... names) {
      blocklists.addAll(List.of(names));
      return this;
    }

    /** Builds the check. */
    public AzureTextAnalysis build() {
      return new AzureTextAnalysis(this);
    }
  }
}
