package dev.aigateway.core.translate;

import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.Operation;
import dev.aigateway.core.wire.WireFormat;
import java.time.Clock;
import org.jspecify.annotations.Nullable;

/**
 * Which calls are translated for which backends: an OpenAI chat completions call sent to a backend
 * that speaks Anthropic Messages ({@code Backend.anthropic}), Amazon Bedrock ({@code
 * Backend.bedrock}: Converse) or Google Gemini ({@code Backend.gemini}, {@code Backend.vertexAi}).
 * Every other pairing goes out untranslated, as before. One instance per gateway; thread-safe.
 */
public final class Translations {

  private final Translator anthropic;
  private final Translator bedrock;
  private final Translator gemini;

  /**
   * The translators of one gateway.
   *
   * @param clock dates the translated answers ({@code created})
   */
  public Translations(Clock clock) {
    this.anthropic = new AnthropicTranslator(clock);
    this.bedrock = new BedrockTranslator(clock);
    this.gemini = new GeminiTranslator(clock);
  }

  /**
   * The translator for a call of {@code format} sent to a backend of {@code flavor}, or null when
   * the backend takes the call as it is.
   */
  public @Nullable Translator forBackend(WireFormat format, BackendFlavor flavor) {
    if (format.operation() != Operation.CHAT_COMPLETIONS
        || !format.name().equals("openai.chat_completions")) {
      return null;
    }
    return forFlavor(flavor);
  }

  /** The translator from OpenAI chat completions for a backend flavour, or null: none needed. */
  public @Nullable Translator forFlavor(BackendFlavor flavor) {
    return switch (flavor) {
      case ANTHROPIC -> anthropic;
      case BEDROCK -> bedrock;
      case GEMINI, VERTEX_AI -> gemini;
      default -> null;
    };
  }
}
