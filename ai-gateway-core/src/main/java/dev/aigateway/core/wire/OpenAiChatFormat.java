package dev.aigateway.core.wire;

import dev.aigateway.api.Operation;

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
    super(
        Operation.CHAT_COMPLETIONS,
        "openai.chat_completions",
        "completions",
        AnswerDocuments.Shape.OPENAI_CHAT);
  }
}
