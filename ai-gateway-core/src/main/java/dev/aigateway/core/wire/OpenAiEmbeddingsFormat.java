package dev.aigateway.core.wire;

import dev.aigateway.api.Operation;

/**
 * OpenAI Embeddings ({@code POST /v1/embeddings}): text in, vectors out, usage with prompt tokens
 * only. Nothing is generated, so there is no output allowance and never a stream to convert.
 */
final class OpenAiEmbeddingsFormat extends OpenAiFormat {

  static final OpenAiEmbeddingsFormat INSTANCE = new OpenAiEmbeddingsFormat();

  private OpenAiEmbeddingsFormat() {
    super(Operation.EMBEDDINGS, "openai.embeddings", "embeddings", null);
  }
}
