package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.tokens.TokenEncoding;
import org.jspecify.annotations.Nullable;

/**
 * The prompt estimate of an Anthropic Messages request. Anthropic publishes no tokenizer for its
 * current models, so the text is counted with a public one and scaled, erring high:
 *
 * <pre>
 * estimate = ceil(cl100k tokens of the text x 1.25)
 *          + 3 per request + 3 per message (+ 1 for a system prompt)
 *          + 346 when tools are given (Anthropic's published tool-use system prompt) + 10 per tool
 *          + 1,600 (or the counter's higher image bound) per image, and per document block
 *            that is not text (a PDF)
 * </pre>
 *
 * <p>The text is the system prompt, each message's text, tool-use input and tool-result content,
 * thinking, the text of plain-text documents (and of documents given as content blocks, with their
 * titles and context) and of search results, each tool's name, description and input schema
 * (compact JSON), and a structured output's format with its JSON schema ({@code output_format} or
 * {@code output_config.format}, compact JSON). The factor and the overheads are fitted to the
 * counts Anthropic's documentation publishes for its examples (see {@code docs/providers.md},
 * "Anthropic Messages"): Claude's tokenizers produce more tokens than cl100k for the same English
 * text (the published comparisons put it at 10 to 30 percent), so 1.25 keeps the estimate above the
 * real count for ordinary prose and code; a reservation that is a little high is settled to the
 * reported usage when the call ends.
 */
final class AnthropicPrompt {

  /** The factor scaled by, as a fraction: 5/4. */
  private static final int FACTOR_NUMERATOR = 5;

  private static final int FACTOR_DENOMINATOR = 4;
  private static final int TOKENS_PER_REQUEST = 3;
  private static final int TOKENS_PER_MESSAGE = 3;
  private static final int TOKENS_PER_SYSTEM = 1;

  /**
   * The most an image costs: Anthropic scales images down to about 1.15 megapixels, and an image
   * costs width x height / 750 tokens, about 1,600 at most. The counter's own image bound is used
   * when it is higher.
   */
  static final int IMAGE_TOKENS = 1_600;

  private static final int TOOL_USE_SYSTEM_PROMPT = 346;
  private static final int TOKENS_PER_TOOL = 10;

  private final TokenCounter counter;
  private long textTokens;
  private long fixedTokens;

  private AnthropicPrompt(TokenCounter counter) {
    this.counter = counter;
  }

  /**
   * The estimate of a request body (an object); 0 for anything else, and for a body without a
   * system prompt, messages or tools.
   */
  static long estimate(TokenCounter counter, JsonNode body) {
    if (body == null || !body.isObject()) {
      return 0;
    }
    AnthropicPrompt prompt = new AnthropicPrompt(counter);
    prompt.fixedTokens = TOKENS_PER_REQUEST;
    JsonNode system = body.get("system");
    if (system != null && (system.isTextual() || system.isArray())) {
      prompt.fixedTokens += TOKENS_PER_SYSTEM;
      prompt.content(system);
    }
    JsonNode messages = body.get("messages");
    if (messages != null && messages.isArray()) {
      for (JsonNode message : messages) {
        prompt.fixedTokens += TOKENS_PER_MESSAGE;
        prompt.content(message.get("content"));
      }
    }
    JsonNode tools = body.get("tools");
    if (tools != null && tools.isArray() && !tools.isEmpty()) {
      prompt.fixedTokens += TOOL_USE_SYSTEM_PROMPT;
      for (JsonNode tool : tools) {
        prompt.fixedTokens += TOKENS_PER_TOOL;
        prompt.text(tool.get("name"));
        prompt.text(tool.get("description"));
        JsonNode schema = tool.get("input_schema");
        if (schema != null && !schema.isNull()) {
          prompt.text(schema.toString());
        }
      }
    }
    prompt.outputFormat(body.get("output_format"));
    JsonNode outputConfig = body.get("output_config");
    if (outputConfig != null && outputConfig.isObject()) {
      prompt.outputFormat(outputConfig.get("format"));
    }
    if (prompt.fixedTokens == TOKENS_PER_REQUEST && prompt.textTokens == 0) {
      return 0; // no system prompt, messages or tools: nothing this reads
    }
    long scaled =
        (prompt.textTokens * FACTOR_NUMERATOR + FACTOR_DENOMINATOR - 1) / FACTOR_DENOMINATOR;
    return scaled + prompt.fixedTokens;
  }

  /**
   * A structured output's format ({@code output_format}, or {@code output_config.format}): one that
   * carries a JSON {@code schema} is counted as its compact JSON, which Anthropic renders into the
   * prompt, as it does a tool's input schema.
   */
  private void outputFormat(@Nullable JsonNode format) {
    if (format != null && format.isObject() && format.hasNonNull("schema")) {
      text(format.toString());
    }
  }

  /** A string, or an array of content blocks. */
  private void content(@Nullable JsonNode content) {
    if (content == null) {
      return;
    }
    if (content.isTextual()) {
      text(content.textValue());
      return;
    }
    if (!content.isArray()) {
      return;
    }
    for (JsonNode block : content) {
      if (block.isTextual()) {
        text(block.textValue());
        continue;
      }
      switch (block.path("type").asText("")) {
        case "text" -> text(block.get("text"));
        case "thinking" -> text(block.get("thinking"));
        case "tool_use", "server_tool_use" -> {
          text(block.get("name"));
          JsonNode input = block.get("input");
          if (input != null) {
            text(input.toString());
          }
        }
        case "tool_result" -> content(block.get("content"));
        case "search_result" -> {
          text(block.get("source"));
          text(block.get("title"));
          content(block.get("content"));
        }
        case "document" -> document(block);
        case "redacted_thinking" -> {
          // encrypted: not counted as text (Anthropic does not bill it as input either)
        }
        default -> // image, or something newer
            fixedTokens += imageTokens();
      }
    }
  }

  /**
   * A document block: the text of a plain-text document ({@code source.type} {@code text}: its
   * {@code data}) or of one given as content ({@code source.type} {@code content}), with its title
   * and context; any other (a PDF, a file id, a URL) is counted as an image.
   */
  private void document(JsonNode block) {
    JsonNode source = block.path("source");
    switch (source.path("type").asText("")) {
      case "text" -> text(source.get("data"));
      case "content" -> content(source.get("content"));
      default -> fixedTokens += imageTokens();
    }
    text(block.get("title"));
    text(block.get("context"));
  }

  private int imageTokens() {
    return Math.max(IMAGE_TOKENS, counter.imageTokens());
  }

  private void text(@Nullable JsonNode node) {
    if (node != null && node.isTextual()) {
      text(node.textValue());
    }
  }

  private void text(String text) {
    textTokens += counter.countText(TokenEncoding.CL100K_BASE, text);
  }
}
