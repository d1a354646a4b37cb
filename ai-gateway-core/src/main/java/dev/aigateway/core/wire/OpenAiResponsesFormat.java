package dev.aigateway.core.wire;

import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.Operation;
import java.io.InputStream;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The OpenAI Responses API ({@code POST /v1/responses}): input items in, output items out. Its
 * stream is typed events ({@code response.created}, {@code *.delta}, {@code response.completed}),
 * whose usage comes in the event that ends the response, always. On Azure OpenAI it has no
 * deployment path: the deployment goes in the body's model.
 */
final class OpenAiResponsesFormat extends OpenAiFormat {

  static final OpenAiResponsesFormat INSTANCE = new OpenAiResponsesFormat();

  private OpenAiResponsesFormat() {
    super(
        Operation.RESPONSES,
        "openai.responses",
        "responses",
        AnswerDocuments.Shape.OPENAI_RESPONSES);
  }

  @Override
  public ObservedBody observeStream(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      boolean hideUsage) {
    return new SseBody(upstream, listener, callCanceled, true, false);
  }

  /**
   * The Responses API's {@code error} event: {@code event: error} and {@code
   * {"type":"error","code","message","param"}}.
   */
  @Override
  public byte[] streamErrorEvent(LocalError error) {
    java.util.Map<String, Object> event = new java.util.LinkedHashMap<>();
    event.put("type", "error");
    event.put("code", error.code() != null ? error.code() : "content_filter");
    event.put("message", error.message());
    event.put("param", error.param());
    try {
      return ("event: error\ndata: " + Json.MAPPER.writeValueAsString(event) + "\n\n")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot serialise a map of strings", e);
    }
  }

  @Override
  public String backendUrl(
      BackendFlavor flavor, String baseUrl, @Nullable String apiVersion, String targetModel) {
    return flavor == BackendFlavor.AZURE_OPENAI
        ? baseUrl + "/openai/responses?api-version=" + encode(apiVersion)
        : super.backendUrl(flavor, baseUrl, apiVersion, targetModel);
  }

  @Override
  public boolean modelInBody(BackendFlavor flavor) {
    return true;
  }
}
