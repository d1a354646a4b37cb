package dev.aigateway.core.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.Usage;
import dev.aigateway.core.pipeline.AnswerTranslation;
import dev.aigateway.core.wire.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Translates OpenAI chat completions calls for backends of one other protocol, and their answers
 * back. Immutable and thread-safe; {@link Translations} holds one per protocol.
 */
public abstract class Translator {

  private final Target target;
  private final Clock clock;

  Translator(Target target, Clock clock) {
    this.target = target;
    this.clock = clock;
  }

  /** The protocol translated to, for messages. */
  public String protocol() {
    return target.label;
  }

  /**
   * Checks that a request can be translated for this protocol, without translating it.
   *
   * @throws TranslationRefusedException naming the first field that cannot be
   */
  public void check(ObjectNode openAiRequest) {
    ChatRequest.read(openAiRequest, target);
  }

  /**
   * Translates an OpenAI chat request for one attempt.
   *
   * @param openAiBody the body as it would go to an OpenAI backend (the gateway's own rewrites,
   *     such as asking for stream usage, included)
   * @param targetModel the backend's model for the call
   * @param flavor the backend's flavour (Gemini's and Vertex AI's paths differ)
   * @param baseUrl the backend's base URL, without a trailing slash
   * @param apiVersion the API version the backend pins (Anthropic's {@code anthropic-version}), or
   *     null
   * @throws TranslationRefusedException when the request cannot be translated
   */
  public TranslatedRequest translate(
      byte[] openAiBody,
      String targetModel,
      BackendFlavor flavor,
      String baseUrl,
      @Nullable String apiVersion) {
    ChatRequest request = ChatRequest.parse(openAiBody, target);
    byte[] body = ChatAnswer.bytes(requestBody(request, targetModel));
    Context context =
        new Context(
            clock.millis() / 1000,
            request.includeUsage,
            "chatcmpl-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1),
            targetModel);
    return new TranslatedRequest(
        url(flavor, baseUrl, targetModel, request.stream),
        headers(apiVersion),
        body,
        new Answers(request.stream, context));
  }

  /** What the answer's translation needs of its request. */
  record Context(long created, boolean includeUsage, String fallbackId, String model) {}

  /** The target's request body. */
  abstract ObjectNode requestBody(ChatRequest request, String targetModel);

  /** The attempt's URL on a backend of {@code flavor} at {@code baseUrl}. */
  abstract String url(BackendFlavor flavor, String baseUrl, String targetModel, boolean stream);

  /** Headers the protocol needs besides the credential, the backend pinning {@code apiVersion}. */
  Map<String, String> headers(@Nullable String apiVersion) {
    return Map.of();
  }

  /**
   * A 2xx JSON answer as an OpenAI chat completion.
   *
   * @param backendAnswer the answer's reading, at its first value
   * @throws IOException when the answer is not JSON
   */
  abstract ChatAnswer answer(BackendJson backendAnswer, Context context) throws IOException;

  /** A decoder of the target's stream, writing to {@code chunks}. */
  abstract StreamDecoder decoder(ChunkWriter chunks, Context context);

  /** What a backend's error says: its message and its own name for the error, each or null. */
  record BackendError(@Nullable String message, @Nullable String code) {}

  /** The backend's error, read from its error body (and headers). */
  abstract BackendError error(@Nullable JsonNode body, Function<String, @Nullable String> headers);

  /** An error answer in OpenAI's error shape, the status kept. */
  byte[] errorBody(int status, byte[] body, Function<String, @Nullable String> headers) {
    JsonNode parsed = Json.parseOrNull(body, 0, body.length);
    BackendError error = error(parsed, headers);
    String message =
        error.message() != null && !error.message().isEmpty()
            ? error.message()
            : target.label + " backend answered " + status;
    ObjectNode doc = Json.MAPPER.createObjectNode();
    ObjectNode e = doc.putObject("error");
    e.put("message", message);
    e.put("type", openAiType(status));
    e.putNull("param");
    if (error.code() != null && !error.code().isEmpty()) {
      e.put("code", error.code());
    } else {
      e.putNull("code");
    }
    return ChatAnswer.bytes(doc);
  }

  static String openAiType(int status) {
    return switch (status) {
      case 400, 404, 409, 413, 422 -> "invalid_request_error";
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 429 -> "rate_limit_error";
      // Bedrock: the model failed (ModelErrorException, its stream's) or timed out
      case 408, 424 -> "server_error";
      default -> status >= 500 ? "server_error" : "invalid_request_error";
    };
  }

  static @Nullable String text(@Nullable JsonNode node) {
    return node != null && node.isTextual() ? node.asText() : null;
  }

  static String orElse(@Nullable String value, String fallback) {
    return value == null || value.isEmpty() ? fallback : value;
  }

  /** The answer of one attempt, translated back by this translator. */
  private final class Answers implements AnswerTranslation {
    private final boolean stream;
    private final Context context;

    /** The decoder of the answer's stream, once its body is asked for; null before, or for JSON. */
    private volatile @Nullable StreamDecoder decoder;

    /** Whether the JSON answer, translated, was one the backend ended as failed. */
    private volatile boolean failedDocument;

    Answers(boolean stream, Context context) {
      this.stream = stream;
      this.context = context;
    }

    @Override
    public String contentType(int status, @Nullable String backendContentType) {
      return status >= 200 && status <= 299 && stream ? "text/event-stream" : "application/json";
    }

    @Override
    public InputStream body(
        int status,
        @Nullable String backendContentType,
        Function<String, @Nullable String> headers,
        InputStream body) {
      if (status < 200 || status > 299) {
        return new TranslatedDocument(body, bytes -> errorBody(status, bytes, headers));
      }
      if (stream) {
        ByteArrayOutputStream produced = new ByteArrayOutputStream();
        ChunkWriter chunks =
            new ChunkWriter(
                produced,
                context.created(),
                context.includeUsage(),
                context.fallbackId(),
                context.model());
        StreamDecoder streamDecoder = decoder(chunks, context);
        decoder = streamDecoder;
        return new TranslatedStream(body, streamDecoder, produced);
      }
      return new TranslatedDocument(
          body,
          bytes -> {
            try {
              ChatAnswer answer = BackendJson.read(bytes, 0, bytes.length, this::answer);
              if (answer.errorStatus != 0) {
                // an error under the 2xx: OpenAI's error shape, which the call reads as one
                return errorBody(answer.errorStatus, bytes, headers);
              }
              failedDocument = answer.failed;
              return answer.toJson(context.created());
            } catch (IOException e) {
              throw new IllegalStateException("the backend's answer is not JSON", e);
            }
          });
    }

    @Override
    public @Nullable Usage reportedUsage() {
      StreamDecoder streamDecoder = decoder;
      return streamDecoder == null ? null : streamDecoder.reportedUsage();
    }

    @Override
    public @Nullable Usage startUsage() {
      StreamDecoder streamDecoder = decoder;
      return streamDecoder == null ? null : streamDecoder.startUsage();
    }

    @Override
    public boolean failedAnswer() {
      StreamDecoder streamDecoder = decoder;
      return streamDecoder != null ? streamDecoder.failedAnswer() : failedDocument;
    }

    @Override
    public int errorEventStatus() {
      StreamDecoder streamDecoder = decoder;
      return streamDecoder == null ? 0 : streamDecoder.errorEventStatus();
    }

    @Override
    public @Nullable Duration errorEventRetryDelay() {
      StreamDecoder streamDecoder = decoder;
      return streamDecoder == null ? null : streamDecoder.errorEventRetryDelay();
    }

    /**
     * The answer of a 2xx JSON document, which must be a JSON object: an empty body, or another
     * value, is no answer, and fails the read rather than become an empty completion.
     */
    private ChatAnswer answer(BackendJson json) throws IOException {
      if (!json.isObject()) {
        throw new IOException("the backend's answer is not a JSON object");
      }
      return Translator.this.answer(json, context);
    }
  }
}
