package dev.aigateway.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.Usage;

/**
 * What the gateway learns from a response body as it passes: the reported usage (if any), the
 * answering model and the generated text (to estimate output tokens when no usage comes).
 * Filled by one reader thread; read after the body ended.
 */
public final class ResponseFacts {

  private Usage usage;
  private String model;
  private final StringBuilder text = new StringBuilder();
  private boolean complete;

  public Usage usage() {
    return usage;
  }

  public String model() {
    return model;
  }

  public CharSequence text() {
    return text;
  }

  /** Whether the body carried its end marker ({@code [DONE]}, {@code response.completed}, or a whole JSON document). */
  public boolean complete() {
    return complete;
  }

  void markComplete() {
    complete = true;
  }

  /** Reads a whole non-streamed response document. */
  void readDocument(JsonNode doc) {
    readModelAndUsage(doc);
    for (JsonNode choice : doc.path("choices")) {
      appendText(choice.path("message").get("content"));
      appendText(choice.get("text"));
      appendToolCalls(choice.path("message").path("tool_calls"));
    }
    for (JsonNode item : doc.path("output")) {
      for (JsonNode part : item.path("content")) {
        appendText(part.get("text"));
      }
      appendText(item.get("arguments"));
    }
  }

  /** Reads one chat or completions stream chunk. */
  void readChunk(JsonNode chunk) {
    readModelAndUsage(chunk);
    for (JsonNode choice : chunk.path("choices")) {
      JsonNode delta = choice.path("delta");
      appendText(delta.get("content"));
      appendText(delta.get("reasoning_content"));
      appendToolCalls(delta.path("tool_calls"));
      appendText(choice.get("text"));
    }
  }

  /** Reads one Responses API stream event. */
  void readResponsesEvent(JsonNode event) {
    String type = Json.text(event, "type");
    if (type == null) {
      return;
    }
    if (type.endsWith(".delta")) {
      appendText(event.get("delta"));
    } else if (type.equals("response.completed") || type.equals("response.incomplete")
        || type.equals("response.failed")) {
      readModelAndUsage(event.path("response"));
      complete = true;
    } else if (type.equals("response.created")) {
      readModelAndUsage(event.path("response"));
    }
  }

  private void readModelAndUsage(JsonNode node) {
    String m = Json.text(node, "model");
    if (m != null) {
      model = m;
    }
    Usage u = parseUsage(node.get("usage"));
    if (u != null) {
      usage = u;
    }
  }

  private void appendToolCalls(JsonNode toolCalls) {
    for (JsonNode call : toolCalls) {
      JsonNode function = call.path("function");
      appendText(function.get("name"));
      appendText(function.get("arguments"));
    }
  }

  private void appendText(JsonNode node) {
    if (node != null && node.isTextual()) {
      text.append(node.textValue());
    }
  }

  /**
   * Reads a {@code usage} object in any of the OpenAI shapes (chat and completions:
   * prompt/completion tokens; Responses API: input/output tokens; embeddings: prompt and total
   * only). Returns null when the node holds no token count.
   */
  public static Usage parseUsage(JsonNode usage) {
    if (usage == null || !usage.isObject()) {
      return null;
    }
    long input = firstCount(usage, "prompt_tokens", "input_tokens");
    long output = firstCount(usage, "completion_tokens", "output_tokens");
    long total = firstCount(usage, "total_tokens", null);
    if (input < 0 && total < 0) {
      return null;
    }
    input = Math.max(input, 0);
    output = Math.max(output, 0);
    if (total < 0) {
      total = input + output;
    }
    long cached = Math.max(0, firstCount(usage.path("prompt_tokens_details").isObject()
        ? usage.path("prompt_tokens_details") : usage.path("input_tokens_details"),
        "cached_tokens", null));
    long reasoning = Math.max(0, firstCount(usage.path("completion_tokens_details").isObject()
        ? usage.path("completion_tokens_details") : usage.path("output_tokens_details"),
        "reasoning_tokens", null));
    return new Usage(input, output, total, cached, reasoning);
  }

  private static long firstCount(JsonNode node, String first, String second) {
    JsonNode value = node.get(first);
    if ((value == null || !value.canConvertToLong()) && second != null) {
      value = node.get(second);
    }
    return value != null && value.isNumber() && value.canConvertToLong() && value.longValue() >= 0
        ? value.longValue() : -1;
  }
}
