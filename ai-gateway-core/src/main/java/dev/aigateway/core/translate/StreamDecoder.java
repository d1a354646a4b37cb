package dev.aigateway.core.translate;

import dev.aigateway.api.Usage;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Reads one protocol's response stream as its bytes arrive and writes the OpenAI chunks they stand
 * for to a {@link ChunkWriter}. Not thread-safe: one stream, read by one thread at a time.
 */
interface StreamDecoder {

  /** The next bytes of the backend's stream. */
  void feed(byte[] bytes, int from, int length);

  /** The backend's stream ended; writes what a complete stream ends with. */
  void end();

  /**
   * The usage the backend's stream has reported whole so far, in the gateway's terms, or null: what
   * a stream cut before its end, and so before its usage chunk, is charged. Read on any thread
   * ({@link dev.aigateway.core.pipeline.AnswerTranslation#reportedUsage}).
   */
  default @Nullable Usage reportedUsage() {
    return null;
  }

  /**
   * The input the backend's stream reported at its start, in the gateway's terms, or null. Read on
   * any thread ({@link dev.aigateway.core.pipeline.AnswerTranslation#startUsage}).
   */
  default @Nullable Usage startUsage() {
    return null;
  }

  /**
   * Whether the stream so far ended an answer as failed ({@link
   * dev.aigateway.core.pipeline.AnswerTranslation#failedAnswer}). Read on any thread.
   */
  default boolean failedAnswer() {
    return false;
  }

  /**
   * The status of the backend's error event the stream ended with, as the backend's own event gave
   * it (Gemini's {@code code}, Anthropic's error type, the status Bedrock documents for its
   * exception), 0 when it ended with none ({@link
   * dev.aigateway.core.pipeline.AnswerTranslation#errorEventStatus}). Read on any thread.
   */
  default int errorEventStatus() {
    return 0;
  }

  /**
   * The wait the backend's error event asked for (a Google error's {@code google.rpc.RetryInfo}
   * {@code retryDelay}), null when none ({@link
   * dev.aigateway.core.pipeline.AnswerTranslation#errorEventRetryDelay}). Read on any thread.
   */
  default @Nullable Duration errorEventRetryDelay() {
    return null;
  }
}
