package dev.aigateway.core.translate;

/**
 * Reads one protocol's response stream as its bytes arrive and writes the OpenAI chunks they stand
 * for to a {@link ChunkWriter}. Not thread-safe: one stream, read by one thread at a time.
 */
interface StreamDecoder {

  /** The next bytes of the backend's stream. */
  void feed(byte[] bytes, int from, int length);

  /** The backend's stream ended; writes what a complete stream ends with. */
  void end();
}
