package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.core.tokens.TokenCounter;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Anthropic's Messages API on Google Vertex AI: {@code POST
 * .../projects/{p}/locations/{l}/publishers/anthropic/models/{model}:rawPredict} (a message) and
 * {@code :streamRawPredict} (server-sent events). The body is Anthropic's Messages request with
 * {@code anthropic_version: "vertex-2023-10-16"} and without {@code model} (it is in the path); the
 * answer is Anthropic's, byte for byte: a message, or Anthropic's stream of typed events.
 *
 * <ul>
 *   <li><b>Request</b>: model from the path (percent-decoded, {@code claude-sonnet-4@20250514}),
 *       allowance {@code max_tokens}, the prompt estimated by {@link AnthropicPrompt}. The call
 *       streams when the method is {@code streamRawPredict} or the body sets {@code stream}.
 *   <li><b>Usage</b>, <b>errors</b> and <b>cache replay</b> as for Anthropic's own API ({@link
 *       AnthropicMessagesFormat}): {@link AnthropicUsage}, Anthropic's error shape, {@link
 *       AnthropicReplay} (a message replayed to a streaming call as Anthropic's events, a stored
 *       stream to a JSON call as the message it amounts to).
 *   <li><b>Routing</b>: a backend's URL is {@code
 *       {base}/publishers/anthropic/models/{model}:{method}} for every flavour (the base names
 *       project and location, as for {@link BackendFlavor#VERTEX_AI}); the body goes out as the
 *       application wrote it.
 * </ul>
 *
 * <p>One instance per method, so that a backend's URL keeps the method the application called.
 */
final class VertexAnthropicFormat implements AnthropicProtocol, ModelInPath {

  static final VertexAnthropicFormat RAW_PREDICT =
      new VertexAnthropicFormat("vertex.anthropic.raw_predict", ":rawPredict", false);
  static final VertexAnthropicFormat STREAM_RAW_PREDICT =
      new VertexAnthropicFormat("vertex.anthropic.stream_raw_predict", ":streamRawPredict", true);

  private static final String MODELS = "/publishers/anthropic/models/";

  private final String name;
  private final String method;
  private final List<String> endings;
  private final boolean stream;
  private final CallMatch match;

  private VertexAnthropicFormat(String name, String method, boolean stream) {
    this.name = name;
    this.method = method;
    this.endings = List.of(method);
    this.stream = stream;
    this.match = new CallMatch(Operation.MESSAGES, null);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<String> pathEndings() {
    return endings;
  }

  /** Whether the method streams ({@code streamRawPredict}). */
  boolean streams() {
    return stream;
  }

  /** A POST to {@code .../publishers/anthropic/models/{model}:{method}}, a model named. */
  @Override
  public @Nullable CallMatch recognise(
      String method, String path, Function<String, @Nullable String> headers) {
    return "POST".equals(method) && modelIn(path) != null ? match : null;
  }

  /**
   * The model of {@code path} ({@code .../publishers/anthropic/models/{model}:{method}}, a trailing
   * slash ignored, the colon also as {@code %3A}), percent-decoded; null when the path is not this
   * method's.
   */
  @Nullable String modelIn(String path) {
    int end = path.length();
    if (end > 0 && path.charAt(end - 1) == '/') {
      end--;
    }
    int methodStart = end - method.length();
    if (methodStart < 0 || !path.regionMatches(methodStart, method, 0, method.length())) {
      // the colon percent-encoded (%3ArawPredict), as some clients write it and Google reads it
      int name = end - (method.length() - 1);
      if (name < 3
          || !path.regionMatches(name, method, 1, method.length() - 1)
          || WireFormats.encodedColon(path, name - 3, name) != name - 3) {
        return null;
      }
      methodStart = name - 3;
    }
    int models = path.lastIndexOf(MODELS, methodStart);
    int modelStart = models + MODELS.length();
    if (models < 0 || modelStart >= methodStart) {
      return null;
    }
    String model = path.substring(modelStart, methodStart);
    return model.indexOf('/') >= 0 ? null : BedrockFormat.decode(model);
  }

  @Override
  public WireRequest readRequest(CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
    return new VertexAnthropicRequest(this, match, request, maxParsedBodyBytes);
  }

  /** Anthropic's estimate ({@link AnthropicPrompt}). */
  @Override
  public long countPrompt(TokenCounter counter, WireRequest request) {
    ObjectNode body = request.body();
    return body == null ? 0 : AnthropicPrompt.estimate(counter, body);
  }

  /** Vertex AI backends, and OpenAI-compatible servers (proxies); no other. */
  @Override
  public boolean servedBy(BackendFlavor flavor) {
    return flavor == BackendFlavor.VERTEX_AI || flavor == BackendFlavor.OPENAI_COMPATIBLE;
  }

  /**
   * {@code {base}/publishers/anthropic/models/{model}:{method}}, the model percent-encoded but for
   * its {@code @} (legal in a path, and how Google's documentation writes Claude's versions), for
   * every flavour.
   */
  @Override
  public String backendUrl(
      BackendFlavor flavor, String baseUrl, @Nullable String apiVersion, String targetModel) {
    return baseUrl + MODELS + OpenAiFormat.encode(targetModel).replace("%40", "@") + method;
  }

  @Override
  public String toString() {
    return name;
  }

  @Override
  public @Nullable WireRequest withBody(WireRequest request, byte[] body) {
    return request instanceof VertexAnthropicRequest read && read.format() == this
        ? read.withBody(body)
        : null;
  }
}
