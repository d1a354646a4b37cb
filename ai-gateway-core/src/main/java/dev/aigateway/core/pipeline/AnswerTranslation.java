package dev.aigateway.core.pipeline;

import dev.aigateway.api.Usage;
import java.io.InputStream;
import java.time.Duration;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * How one attempt's answer is turned back into the call's own protocol when the attempt went to a
 * backend that speaks another one (an OpenAI chat call sent to an Anthropic, Bedrock or Gemini
 * backend). The attempt loop ({@code core.adapter.AttemptLoop}) applies it to the backend's
 * response before anything else reads it, so that holding a stream's first event, observing usage,
 * caching and delivery all see the answer as the application will: in the call's protocol.
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

  /**
   * The usage the backend's stream reported whole (Anthropic's {@code message_delta}: its final
   * counts) before the translated stream wrote it, which it does only at the backend's end ({@code
   * message_stop}): for a stream cut between the two, which is then charged this usage as reported.
   * Null when the backend reported none, or the translation does not tell. May be asked on any
   * thread, while or after the body is read.
   */
  default @Nullable Usage reportedUsage() {
    return null;
  }

  /**
   * The input the backend's stream reported at its start (Anthropic's {@code message_start}: its
   * input counts, prompt-cache reads and writes included), for a stream cut before it reported its
   * usage whole: charged as reported, its output estimated, as for a stream of the backend's own
   * protocol. Null when the backend reported none, or the translation does not tell. May be asked
   * on any thread, while or after the body is read.
   */
  default @Nullable Usage startUsage() {
    return null;
  }

  /**
   * Whether the backend's answer, however well-formed its translation, is no answer to give again:
   * the backend ended it as failed in a way the call's protocol has no word for (Gemini's {@code
   * MALFORMED_FUNCTION_CALL}, {@code UNEXPECTED_TOOL_CALL}, {@code OTHER}, ...: any finish reason
   * but {@code STOP} and {@code MAX_TOKENS}, which OpenAI's {@code stop} would hide), or left not
   * done (Anthropic's turn paused, {@code pause_turn}, or a message without a stop reason). The
   * response cache does not store such an answer, as it does not store the backend's own. Asked
   * once the body has ended, on any thread.
   */
  default boolean failedAnswer() {
    return false;
  }

  /**
   * The status of the backend's error event that ended the translated stream, as the backend's own
   * event gave it (a Gemini error's {@code code}, say 503), 0 when the stream ended with none or
   * the translation does not tell. The call's protocol may have no room for it (OpenAI's error
   * event names no status), so a stream whose first event is such an error is judged by this status
   * rather than by its translation's. May be asked on any thread, while or after the body is read.
   */
  default int errorEventStatus() {
    return 0;
  }

  /**
   * The wait the backend's error event that ended the translated stream asked for (a Google error's
   * {@code google.rpc.RetryInfo} {@code retryDelay}), null when none, or the translation does not
   * tell: its translation drops it. May be asked on any thread, while or after the body is read.
   */
  default @Nullable Duration errorEventRetryDelay() {
    return null;
  }
}
