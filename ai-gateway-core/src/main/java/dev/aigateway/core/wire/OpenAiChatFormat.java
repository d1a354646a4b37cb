package dev.aigateway.core.wire;

import dev.aigateway.api.Operation;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * OpenAI Chat Completions ({@code POST /v1/chat/completions}, and Azure OpenAI's deployment and v1
 * paths): messages in, a message (or a stream of {@code chat.completion.chunk}s) out. A stream
 * reports usage only when asked ({@code stream_options.include_usage}), so the gateway asks and
 * hides it; its chunks are read on their bytes ({@link ChatChunkScanner}), and only the ones that
 * may report usage are parsed as they pass.
 */
final class OpenAiChatFormat extends OpenAiFormat {

  static final OpenAiChatFormat INSTANCE = new OpenAiChatFormat();

  private OpenAiChatFormat() {
    super(Operation.CHAT_COMPLETIONS, "openai.chat_completions", "completions");
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
    return AnswerDocuments.texts(AnswerDocuments.Shape.OPENAI_CHAT, document);
  }

  @Override
  public byte[] withheldAnswer(byte @Nullable [] document, String category) {
    return AnswerDocuments.withheld(AnswerDocuments.Shape.OPENAI_CHAT, document, category);
  }
}
