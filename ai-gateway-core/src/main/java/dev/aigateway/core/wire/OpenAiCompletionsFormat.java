package dev.aigateway.core.wire;

import dev.aigateway.api.Operation;

/**
 * OpenAI's legacy Completions ({@code POST /v1/completions}): a prompt in, text (or a stream of
 * {@code text_completion} chunks) out. Streams report usage only when asked, as chat streams do.
 */
final class OpenAiCompletionsFormat extends OpenAiFormat {

  static final OpenAiCompletionsFormat INSTANCE = new OpenAiCompletionsFormat();

  private OpenAiCompletionsFormat() {
    super(
        Operation.COMPLETIONS,
        "openai.completions",
        "completions",
        AnswerDocuments.Shape.OPENAI_COMPLETIONS);
  }
}
