package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.Operation;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.tokens.TokenEncoding;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The prompt tokens of an OpenAI-shaped request body, counted by the rules {@link
 * TokenCounter#countPrompt} documents. The gateway counts the tree its request view has already
 * parsed; applications give {@link TokenCounter} the JSON text.
 */
public final class PromptTokens {

  private static final int TOKENS_PER_MESSAGE = 3;
  private static final int TOKENS_PER_NAME = 1;
  private static final int REPLY_PRIMING_TOKENS = 3;

  // Tool definitions are rendered by OpenAI in an unpublished format. The cookbook fits 7 to 10
  // tokens per function and 12 per request on top of the names and descriptions; the compact JSON
  // counted here also holds braces, quotes and schema keywords the rendering drops, so the
  // estimate errs high.
  private static final int TOKENS_PER_TOOL = 10;
  private static final int TOKENS_PER_TOOL_LIST = 12;

  // Content parts whose "text" (or "refusal") string is the content; every other part type is an
  // image, audio clip, file or something newer, and counts the image bound.
  private static final Set<String> TEXT_PART_TYPES =
      Set.of("text", "input_text", "output_text", "refusal", "summary_text", "reasoning_text");

  // Responses items carry bookkeeping that is not model input; ids alone are ~20 tokens per item.
  private static final Set<String> RESPONSES_BOOKKEEPING_FIELDS = Set.of("type", "id", "status");

  private final TokenCounter counter;
  private final TokenEncoding encoding;

  private PromptTokens(TokenCounter counter, TokenEncoding encoding) {
    this.counter = counter;
    this.encoding = encoding;
  }

  /**
   * The prompt tokens of a request body for an operation, as {@link TokenCounter#countPrompt}
   * counts them: 0 for a null body or operation, a body that is not an object, and missing or odd
   * fields; never throws on the shape of the body.
   */
  public static int count(
      TokenCounter counter,
      @Nullable String model,
      @Nullable Operation operation,
      @Nullable JsonNode requestBody) {
    if (requestBody == null || !requestBody.isObject() || operation == null) {
      return 0;
    }
    String effectiveModel =
        model == null || model.isBlank() ? requestBody.path("model").textValue() : model;
    PromptTokens prompt = new PromptTokens(counter, counter.encodingFor(effectiveModel));
    long tokens =
        switch (operation) {
          case CHAT_COMPLETIONS ->
              prompt.messages(requestBody.get("messages"))
                  + prompt.tools(requestBody.get("tools"))
                  + prompt.tools(requestBody.get("functions"));
          case COMPLETIONS ->
              prompt.promptInput(requestBody.get("prompt"))
                  + prompt.text(requestBody.get("suffix"));
          case EMBEDDINGS -> prompt.promptInput(requestBody.get("input"));
          case RESPONSES ->
              prompt.responsesInput(requestBody) + prompt.tools(requestBody.get("tools"));
          case MESSAGES -> AnthropicPrompt.estimate(counter, requestBody);
          case EXECUTE_TOOL, INVOKE_AGENT -> 0; // no prompt: tool and agent calls
        };
    return (int) Math.min(Integer.MAX_VALUE, tokens);
  }

  private long messages(@Nullable JsonNode messages) {
    if (messages == null || !messages.isArray()) {
      return 0;
    }
    long tokens = REPLY_PRIMING_TOKENS;
    for (JsonNode message : messages) {
      tokens += message(message, Set.of());
    }
    return tokens;
  }

  private long message(JsonNode message, Set<String> ignoredFields) {
    if (!message.isObject()) {
      return 0;
    }
    long tokens = TOKENS_PER_MESSAGE;
    for (Map.Entry<String, JsonNode> field : message.properties()) {
      String key = field.getKey();
      JsonNode value = field.getValue();
      if (ignoredFields.contains(key)) {
        continue;
      }
      if (value.isTextual()) {
        tokens += text(value.textValue());
        if (key.equals("name")) {
          tokens += TOKENS_PER_NAME;
        }
      } else if (key.equals("tool_calls")) {
        tokens += toolCalls(value);
      } else if (key.equals("function_call")) {
        tokens += stringValues(value);
      } else if (value.isArray()) {
        tokens += contentParts(value);
      }
    }
    return tokens;
  }

  private long contentParts(JsonNode parts) {
    long tokens = 0;
    for (JsonNode part : parts) {
      if (part.isTextual()) {
        tokens += text(part.textValue());
      } else if (part.isObject()) {
        String type = part.path("type").asText("");
        if (TEXT_PART_TYPES.contains(type) || (type.isEmpty() && part.has("text"))) {
          tokens += text(part.get("text")) + text(part.get("refusal"));
        } else {
          tokens += counter.imageTokens();
        }
      }
    }
    return tokens;
  }

  private long toolCalls(JsonNode calls) {
    if (!calls.isArray()) {
      return 0;
    }
    long tokens = 0;
    for (JsonNode call : calls) {
      // "function" holds name and arguments; "custom" (custom tools) holds name and input.
      tokens += stringValues(call.get("function"));
      tokens += stringValues(call.get("custom"));
    }
    return tokens;
  }

  private long stringValues(@Nullable JsonNode object) {
    if (object == null || !object.isObject()) {
      return 0;
    }
    long tokens = 0;
    for (JsonNode value : object) {
      tokens += text(value);
    }
    return tokens;
  }

  private long tools(@Nullable JsonNode tools) {
    if (tools == null || !tools.isArray() || tools.isEmpty()) {
      return 0;
    }
    long tokens = TOKENS_PER_TOOL_LIST;
    for (JsonNode tool : tools) {
      if (!tool.isObject()) {
        continue;
      }
      JsonNode function = tool.get("function");
      JsonNode definition = function != null && function.isObject() ? function : tool;
      // JsonNode.toString() is compact JSON.
      tokens += TOKENS_PER_TOOL + text(definition.toString());
    }
    return tokens;
  }

  private long promptInput(@Nullable JsonNode input) {
    if (input == null) {
      return 0;
    }
    if (input.isTextual()) {
      return text(input.textValue());
    }
    if (!input.isArray()) {
      return 0;
    }
    long tokens = 0;
    for (JsonNode element : input) {
      if (element.isArray()) {
        for (JsonNode inner : element) {
          tokens += textOrTokenId(inner);
        }
      } else {
        tokens += textOrTokenId(element);
      }
    }
    return tokens;
  }

  private long textOrTokenId(JsonNode element) {
    if (element.isTextual()) {
      return text(element.textValue());
    }
    return element.isIntegralNumber() ? 1 : 0;
  }

  private long responsesInput(JsonNode body) {
    JsonNode instructions = body.get("instructions");
    JsonNode input = body.get("input");
    boolean hasInstructions = instructions != null && instructions.isTextual();
    boolean hasInput = input != null && (input.isTextual() || input.isArray());
    if (!hasInstructions && !hasInput) {
      return 0;
    }
    long tokens = REPLY_PRIMING_TOKENS;
    if (hasInstructions) {
      tokens += impliedMessage("developer", instructions.textValue());
    }
    if (input != null && input.isTextual()) {
      tokens += impliedMessage("user", input.textValue());
    } else if (input != null && input.isArray()) {
      for (JsonNode item : input) {
        tokens +=
            item.isTextual() ? text(item.textValue()) : message(item, RESPONSES_BOOKKEEPING_FIELDS);
      }
    }
    return tokens;
  }

  // A string the Responses API turns into a message, counted as that message would be.
  private long impliedMessage(String role, String content) {
    return TOKENS_PER_MESSAGE + text(role) + text(content);
  }

  private long text(@Nullable JsonNode node) {
    return node != null && node.isTextual() ? text(node.textValue()) : 0;
  }

  private long text(String text) {
    return counter.countText(encoding, text);
  }
}
