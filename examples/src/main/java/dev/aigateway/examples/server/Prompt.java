package dev.aigateway.examples.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * What the server takes from a prompt: its token count, as OpenAI counts it, and a hash that picks
 * the answer (so equal prompts get equal answers).
 */
record Prompt(int tokens, int hash) {

  // OpenAI's counting rule for chat messages (the openai-cookbook "num_tokens_from_messages").
  private static final int TOKENS_PER_MESSAGE = 3;
  private static final int TOKENS_PER_NAME = 1;
  private static final int REPLY_PRIMING = 3;

  /** A chat prompt: 3 per message, the tokens of each of its values, 1 per name, 3 to prime. */
  static Prompt ofMessages(JsonNode messages) {
    Meter meter = new Meter();
    for (JsonNode message : messages) {
      meter.message(message);
    }
    return meter.primed();
  }

  /**
   * A Responses API prompt, counted as chat: {@code instructions} as a system message, a string
   * {@code input} as a user message, an array {@code input} as its items.
   */
  static Prompt ofResponseInput(JsonNode input, JsonNode instructions) {
    Meter meter = new Meter();
    if (instructions != null && instructions.isTextual()) {
      meter.message("system", instructions.textValue());
    }
    if (input != null && input.isTextual()) {
      meter.message("user", input.textValue());
    } else if (input != null && input.isArray()) {
      for (JsonNode item : input) {
        meter.message(item);
      }
    }
    return meter.primed();
  }

  /**
   * A plain-text prompt ({@code /v1/completions} {@code prompt}, one embedding input): a string, an
   * array of strings, or token arrays (one token per number).
   */
  static Prompt ofText(JsonNode text) {
    Meter meter = new Meter();
    if (text == null) {
      return meter.done();
    }
    if (text.isTextual()) {
      meter.text(text.textValue());
    } else if (text.isArray()) {
      for (JsonNode element : text) {
        if (element.isTextual()) {
          meter.text(element.textValue());
        } else if (element.isNumber()) {
          meter.tokens(1, element.intValue());
        } else if (element.isArray()) {
          meter.tokens(element.size(), element.hashCode());
        }
      }
    }
    return meter.done();
  }

  private static final class Meter {
    private int tokens;
    private int hash = 17;

    void message(String role, String content) {
      tokens += TOKENS_PER_MESSAGE;
      text(role);
      text(content);
    }

    void message(JsonNode message) {
      tokens += TOKENS_PER_MESSAGE;
      for (Map.Entry<String, JsonNode> field : message.properties()) {
        value(field.getValue());
        if (field.getKey().equals("name")) {
          tokens += TOKENS_PER_NAME;
        }
      }
    }

    /** A string counts whole; content parts count their text; other structures their JSON. */
    private void value(JsonNode value) {
      if (value.isTextual()) {
        text(value.textValue());
      } else if (value.isArray()) {
        for (JsonNode part : value) {
          if (part.isTextual()) {
            text(part.textValue());
          } else if (part.path("text").isTextual()) {
            text(part.get("text").textValue());
          } else if (part.isContainerNode()) {
            text(part.toString());
          }
        }
      } else if (value.isObject()) {
        text(value.toString());
      }
    }

    void text(String text) {
      tokens += LoremModel.countTokens(text);
      hash = 31 * hash + text.hashCode();
    }

    void tokens(int count, int valueHash) {
      tokens += count;
      hash = 31 * hash + valueHash;
    }

    Prompt primed() {
      tokens += REPLY_PRIMING;
      return done();
    }

    Prompt done() {
      return new Prompt(tokens, hash);
    }
  }
}
