package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.tokens.TokenCounts;

/**
 * An estimate of a Gemini prompt's tokens, erring high. Gemini's tokenizer is not public (a
 * SentencePiece model of about 256k pieces), so text is counted with the counter's encoding for the
 * model (o200k_base unless configured) and scaled by {@link #TEXT_MARGIN}; each content (turn) and
 * the system instruction add {@link #TURN_TOKENS}. Calibration and sources: {@code
 * docs/providers.md}. What is not text: an inline or file part (image, audio, video, document)
 * counts {@link #MEDIA_PART_TOKENS}, what Gemini charges for an image up to 384 px (audio and video
 * cost more, per second, and are under-estimated until usage arrives); function calls, function
 * responses and tool declarations count their compact JSON, scaled as text.
 */
final class GeminiPrompt {

  /**
   * Gemini text tokens per o200k_base token, rounded up with room: see {@code docs/providers.md}.
   */
  static final double TEXT_MARGIN = 1.2;

  /** Per content (turn) and per system instruction: role and turn markers. */
  static final int TURN_TOKENS = 2;

  /** An image, audio, video or document part. */
  static final int MEDIA_PART_TOKENS = 258;

  private GeminiPrompt() {}

  /** The estimate for a parsed request body. */
  static long estimate(TokenCounter counter, String model, ObjectNode body) {
    long tokens = 0;
    long text = 0;
    JsonNode system = body.get("systemInstruction");
    if (system == null) {
      system = body.get("system_instruction");
    }
    if (system != null && system.isObject()) {
      tokens += TURN_TOKENS;
      text += partsText(counter, model, system.get("parts"));
    }
    JsonNode contents = body.get("contents");
    if (contents != null && contents.isArray()) {
      for (JsonNode content : contents) {
        tokens += TURN_TOKENS;
        if (content.isObject()) {
          JsonNode parts = content.get("parts");
          text += partsText(counter, model, parts);
          tokens = TokenCounts.sum(tokens, mediaParts(parts));
        }
      }
    }
    JsonNode tools = body.get("tools");
    if (tools != null && tools.isArray() && !tools.isEmpty()) {
      text += counter.countText(model, tools.toString());
    }
    return TokenCounts.sum(tokens, (long) Math.ceil(text * TEXT_MARGIN));
  }

  /** The counted text of a {@code parts} array: text, function calls and responses. */
  private static long partsText(TokenCounter counter, String model, JsonNode parts) {
    if (parts == null || !parts.isArray()) {
      return 0;
    }
    long count = 0;
    for (JsonNode part : parts) {
      JsonNode text = part.get("text");
      if (text != null && text.isTextual()) {
        count += counter.countText(model, text.textValue());
      }
      for (String structured : new String[] {"functionCall", "functionResponse"}) {
        JsonNode value = part.get(structured);
        if (value != null && value.isObject()) {
          count += counter.countText(model, value.toString());
        }
      }
    }
    return count;
  }

  private static long mediaParts(JsonNode parts) {
    if (parts == null || !parts.isArray()) {
      return 0;
    }
    long count = 0;
    for (JsonNode part : parts) {
      if (part.has("inlineData") || part.has("fileData") || part.has("inline_data")) {
        count += MEDIA_PART_TOKENS;
      }
    }
    return count;
  }
}
