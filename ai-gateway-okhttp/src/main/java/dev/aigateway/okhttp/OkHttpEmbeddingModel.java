package dev.aigateway.okhttp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.core.wire.HeaderValues;
import dev.aigateway.core.wire.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * An {@link EmbeddingModel} backed by an OpenAI-compatible {@code /v1/embeddings} endpoint, called
 * through the wrapped client, so the semantic cache's own embedding calls are routed, load
 * balanced, credentialed, limited and counted like every other call.
 *
 * <pre>{@code
 * OkHttpEmbeddingModel embeddings = OkHttpEmbeddingModel.builder()
 *     .url("https://api.openai.com/v1/embeddings")
 *     .model("text-embedding-3-small")
 *     .header("x-consumer-id", "semantic-cache")   // whose limits the embedding tokens count on
 *     .build();
 * AiGateway gateway = AiGateway.builder()
 *     .backendPool(pool)                            // credentials for the embeddings backend
 *     .responseCache(ResponseCache.builder().semantic(SemanticCache.builder(embeddings)))
 *     .build();
 * OkHttpClient client = OkHttpAiGateway.wrap(existingClient, gateway); // binds the model to it
 * }</pre>
 *
 * <p>Without {@link Builder#client}, the model uses the client {@link OkHttpAiGateway#wrap} returns
 * for the gateway whose semantic cache uses it (the first such client). Each embedding call has a
 * time limit ({@link Builder#timeout}, default {@value #DEFAULT_TIMEOUT_MILLIS} ms) so a slow
 * embeddings service delays a call by at most that much, then the call is a miss.
 *
 * <p>Failures are {@link IOException}s naming the status and the error type the service gave;
 * response bodies, request headers and credentials never appear in them.
 */
public final class OkHttpEmbeddingModel implements EmbeddingModel {

  /** Default time limit of one embedding call, in milliseconds. */
  public static final long DEFAULT_TIMEOUT_MILLIS = 5_000;

  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
  private static final JsonFactory JSON_FACTORY = new JsonFactory();

  private final HttpUrl url;
  private final String model;
  private final @Nullable Integer dimensions;
  private final Map<String, String> headers;
  private final Duration timeout;
  private volatile @Nullable OkHttpClient client;

  private OkHttpEmbeddingModel(Builder b) {
    this.url = b.url;
    this.model = b.model;
    this.dimensions = b.dimensions;
    this.headers = Map.copyOf(b.headers);
    this.timeout = b.timeout;
    if (b.client != null) {
      this.client = timed(b.client);
    }
  }

  /** A builder; {@link Builder#url} and {@link Builder#model} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Uses {@code wrapped} unless a client was given or bound already. */
  synchronized void bindIfUnbound(OkHttpClient wrapped) {
    if (client == null) {
      client = timed(wrapped);
    }
  }

  private OkHttpClient timed(OkHttpClient base) {
    return base.newBuilder().callTimeout(timeout).build();
  }

  @Override
  public float[] embed(String text) throws IOException {
    OkHttpClient bound = client;
    if (bound == null) {
      throw new IOException(
          "OkHttpEmbeddingModel("
              + model
              + ") has no client: give one with "
              + "Builder.client(...), or wrap a client with OkHttpAiGateway.wrap for the gateway "
              + "that uses this model");
    }
    Request.Builder request =
        new Request.Builder().url(url).post(RequestBody.create(requestJson(text), JSON));
    headers.forEach(request::header);
    try (Response response = bound.newCall(request.build()).execute()) {
      if (!response.isSuccessful()) {
        throw new IOException(
            "embeddings call for model "
                + model
                + " answered "
                + response.code()
                + errorType(response));
      }
      return parse(response.body().byteStream());
    }
  }

  private byte[] requestJson(String text) {
    JsonStringEncoder encoder = JsonStringEncoder.getInstance();
    StringBuilder json =
        new StringBuilder(text.length() + 96)
            .append("{\"model\":\"")
            .append(encoder.quoteAsString(model))
            .append("\",\"input\":\"")
            .append(encoder.quoteAsString(text))
            .append("\",\"encoding_format\":\"float\"");
    if (dimensions != null) {
      json.append(",\"dimensions\":").append(dimensions);
    }
    return json.append('}').toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The first {@code data[].embedding} array of the answer. */
  private float[] parse(InputStream body) throws IOException {
    try (JsonParser parser = JSON_FACTORY.createParser(body)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw malformed("not a JSON object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        if (field.equals("data") && value == JsonToken.START_ARRAY) {
          while (parser.nextToken() == JsonToken.START_OBJECT) {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
              String member = parser.currentName();
              JsonToken memberValue = parser.nextToken();
              if (member.equals("embedding") && memberValue == JsonToken.START_ARRAY) {
                return floats(parser);
              }
              parser.skipChildren();
            }
          }
          throw malformed("no embedding in data");
        }
        parser.skipChildren();
      }
      throw malformed("no data array");
    }
  }

  private static float[] floats(JsonParser parser) throws IOException {
    float[] values = new float[1536];
    int n = 0;
    JsonToken token;
    while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
      if (token != JsonToken.VALUE_NUMBER_FLOAT && token != JsonToken.VALUE_NUMBER_INT) {
        throw new IOException("embeddings answer holds a non-number in its vector");
      }
      if (n == values.length) {
        values = Arrays.copyOf(values, n * 2);
      }
      values[n++] = parser.getFloatValue();
    }
    if (n == 0) {
      throw new IOException("embeddings answer holds an empty vector");
    }
    return Arrays.copyOf(values, n);
  }

  private IOException malformed(String what) {
    return new IOException("embeddings answer for model " + model + " is malformed: " + what);
  }

  /** ", error type x" from an OpenAI error body, or nothing; never the message text. */
  private static String errorType(Response response) {
    try {
      com.fasterxml.jackson.databind.JsonNode error =
          Json.MAPPER.readTree(response.body().byteStream()).path("error");
      for (String member : new String[] {"type", "code"}) {
        if (error.path(member).isTextual()) {
          return ", error "
              + member
              + " "
              + error.get(member).textValue().replaceAll("[^\\w.-]", "");
        }
      }
      return "";
    } catch (IOException | RuntimeException e) {
      return ""; // not JSON: the status says enough
    }
  }

  /**
   * The longest an {@link #embed} takes: this model's time limit ({@link Builder#timeout}). The
   * response cache calls it on the calling thread, without a hand-off, when its own timeout is at
   * least this, and on its threads otherwise.
   */
  @Override
  public Duration callTimeout() {
    return timeout;
  }

  @Override
  public String name() {
    return model + (dimensions == null ? "" : "@" + dimensions);
  }

  @Override
  public String toString() {
    return "OkHttpEmbeddingModel[" + name() + " at " + url.redact() + "]";
  }

  /** Configures an {@link OkHttpEmbeddingModel}. Not thread-safe. */
  public static final class Builder {
    private @Nullable HttpUrl url;
    private @Nullable String model;
    private @Nullable Integer dimensions;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private Duration timeout = Duration.ofMillis(DEFAULT_TIMEOUT_MILLIS);
    private @Nullable OkHttpClient client;

    private Builder() {}

    /**
     * The embeddings endpoint, for example {@code https://api.openai.com/v1/embeddings}. With a
     * backend pool, any URL the gateway governs as an embeddings call will do: the pool decides
     * where it goes.
     *
     * @throws IllegalArgumentException when it is not an http(s) URL; the message does not quote it
     */
    public Builder url(String url) {
      HttpUrl parsed = HttpUrl.parse(Objects.requireNonNull(url, "url"));
      if (parsed == null) {
        // Not quoted: its query or user information may hold a key.
        throw new IllegalArgumentException(
            "the embeddings URL is not an http(s) URL (a reserved character may need"
                + " percent-encoding)");
      }
      this.url = parsed;
      return this;
    }

    /** The embedding model, for example {@code text-embedding-3-small}. */
    public Builder model(String model) {
      if (model == null || model.isBlank()) {
        throw new IllegalArgumentException("model must not be blank: '" + model + "'");
      }
      this.model = model;
      return this;
    }

    /** Asks for vectors of this length (text-embedding-3 models support it). */
    public Builder dimensions(int dimensions) {
      if (dimensions < 1) {
        throw new IllegalArgumentException("dimensions must be positive: " + dimensions);
      }
      this.dimensions = dimensions;
      return this;
    }

    /**
     * Adds a header to every embedding call, for example the consumer header the gateway's limits
     * count by, or credentials when no backend pool supplies them.
     *
     * @throws IllegalArgumentException when the value holds a character not allowed in a header
     *     value (anything but a tab and printable ASCII, such as a key's trailing line break); the
     *     message never holds the value
     */
    public Builder header(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      HeaderValues.require("the value", name, value);
      headers.put(name.toLowerCase(Locale.ROOT), value);
      return this;
    }

    /** The time limit of one embedding call (default 5 s). */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * The client to call with. Default: the client {@link OkHttpAiGateway#wrap} returns for the
     * gateway that uses this model. A client without the gateway bypasses its routing, limits and
     * counting.
     */
    public Builder client(OkHttpClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    public OkHttpEmbeddingModel build() {
      if (url == null) {
        throw new IllegalStateException("url(...) is required");
      }
      if (model == null) {
        throw new IllegalStateException("model(...) is required");
      }
      return new OkHttpEmbeddingModel(this);
    }
  }
}
