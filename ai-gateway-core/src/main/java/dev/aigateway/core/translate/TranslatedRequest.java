package dev.aigateway.core.translate;

import dev.aigateway.core.pipeline.AnswerTranslation;
import java.util.Map;

/**
 * An OpenAI chat call translated for one attempt to a backend of another protocol.
 *
 * @param url where the attempt goes (the backend's path for the protocol, the model in it where the
 *     protocol puts it there, the stream method when the call streams)
 * @param headers headers the protocol needs besides the credential ({@code anthropic-version})
 * @param body the translated body
 * @param answer how the backend's answer is translated back to OpenAI chat completions
 */
public record TranslatedRequest(
    String url, Map<String, String> headers, byte[] body, AnswerTranslation answer) {

  public TranslatedRequest {
    headers = Map.copyOf(headers);
  }
}
