package dev.aigateway.core.wire;

import dev.aigateway.api.Operation;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * OpenAI's legacy Completions ({@code POST /v1/completions}): a prompt in, text (or a stream of
 * {@code text_completion} chunks) out. Streams report usage only when asked, as chat streams do.
 */
final class OpenAiCompletionsFormat extends OpenAiFormat {

  static final OpenAiCompletionsFormat INSTANCE = new OpenAiCompletionsFormat();

  private OpenAiCompletionsFormat() {
    super(Operation.COMPLETIONS, "openai.completions", "completions");
  }

  @Override
  public boolean asksForStreamUsage() {
    return true;
  }

  @Override
  public boolean readsAnswers() {
    return true;
  }

  @Override
  public List<String> answerTexts(byte[] document) {
    return AnswerDocuments.texts(AnswerDocuments.Shape.OPENAI_COMPLETIONS, document);
  }

  @Override
  public byte[] withheldAnswer(byte @Nullable [] document, String category) {
    return AnswerDocuments.withheld(AnswerDocuments.Shape.OPENAI_COMPLETIONS, document, category);
  }
}
