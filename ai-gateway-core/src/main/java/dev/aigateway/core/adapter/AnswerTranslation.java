package dev.aigateway.core.adapter;

import java.io.InputStream;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * How one attempt's answer is turned back into the call's own protocol when the attempt went to a
 * backend that speaks another one (an OpenAI chat call sent to an Anthropic, Bedrock or Gemini
 * backend). The {@link AttemptLoop} applies it to the backend's response before anything else reads
 * it, so that holding a stream's first event, observing usage, caching and delivery all see the
 * answer as the application will: in the call's protocol.
 *
 * <p>Implementations are made per attempt and need not be thread-safe; the body they return is read
 * by one thread at a time.
 */
public interface AnswerTranslation {

  /**
   * The {@code Content-Type} the application gets in place of the backend's.
   *
   * @param status the backend's status
   * @param backendContentType the backend's {@code Content-Type}, null when absent
   */
  String contentType(int status, @Nullable String backendContentType);

  /**
   * The body the application reads in place of the backend's: translated as the backend's bytes
   * arrive (a stream is never buffered whole), an error in the call's error shape.
   *
   * @param status the backend's status
   * @param backendContentType the backend's {@code Content-Type}, null when absent
   * @param headers the backend's response headers by name (case-insensitive), null when absent
   * @param body the backend's body
   */
  InputStream body(
      int status,
      @Nullable String backendContentType,
      Function<String, @Nullable String> headers,
      InputStream body);
}
