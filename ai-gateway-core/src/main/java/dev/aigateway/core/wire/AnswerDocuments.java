package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Whole JSON answers as content safety reads and withholds them, one pair of functions per
 * provider: the answer's texts (what the model wrote for the application to read), and the answer
 * as the provider gives it when its own content filter withholds the output. For the OpenAI formats
 * that is Azure OpenAI's answer for a filtered completion: status 200, each choice's content
 * removed, {@code finish_reason: "content_filter"} and {@code content_filter_results} naming the
 * category; the other providers' equivalents are their own stop reasons for it (Anthropic {@code
 * refusal}, Gemini {@code SAFETY}, Bedrock {@code content_filtered}, the Responses API {@code
 * incomplete} with reason {@code content_filter}). Everything else of the document (id, model,
 * usage) is kept, so the application still sees what the call cost.
 */
public final class AnswerDocuments {

  private AnswerDocuments() {}

  /** Which provider's answer shape ({@link WireFormat#answerShape()}). */
  public enum Shape {
    OPENAI_CHAT,
    OPENAI_COMPLETIONS,
    OPENAI_RESPONSES,
    ANTHROPIC_MESSAGES,
    GEMINI,
    BEDROCK_CONVERSE
  }

  /** The answer texts of {@code document}, in order; empty when it holds none or is not JSON. */
  static List<String> texts(Shape shape, byte[] document) {
    JsonNode doc = Json.parseOrNull(document, 0, document.length);
    List<String> texts = new ArrayList<>();
    if (shape == Shape.GEMINI && doc != null && doc.isArray()) {
      return geminiArrayTexts(doc);
    }
    if (doc == null || !doc.isObject()) {
      return texts;
    }
    Consumer<JsonNode> text =
        node -> {
          if (node != null && node.isTextual() && !node.textValue().isEmpty()) {
            texts.add(node.textValue());
          }
        };
    switch (shape) {
      case OPENAI_CHAT -> {
        for (JsonNode choice : doc.path("choices")) {
          JsonNode content = choice.path("message").path("content");
          if (content.isArray()) {
            content.forEach(part -> text.accept(part.get("text")));
          } else {
            text.accept(content);
          }
        }
      }
      case OPENAI_COMPLETIONS -> doc.path("choices").forEach(c -> text.accept(c.get("text")));
      case OPENAI_RESPONSES -> {
        for (JsonNode item : doc.path("output")) {
          item.path("content").forEach(part -> text.accept(part.get("text")));
        }
      }
      case ANTHROPIC_MESSAGES -> {
        for (JsonNode block : doc.path("content")) {
          if ("text".equals(block.path("type").textValue())) {
            text.accept(block.get("text"));
          }
        }
      }
      case GEMINI -> {
        for (JsonNode candidate : doc.path("candidates")) {
          candidate.path("content").path("parts").forEach(part -> text.accept(part.get("text")));
        }
      }
      case BEDROCK_CONVERSE -> {
        for (JsonNode block : doc.path("output").path("message").path("content")) {
          text.accept(block.get("text"));
          // an answer with citations: its text in the block's generated content (not the
          // citations' quotes of the source, which the caller sent)
          for (JsonNode cited : block.path("citationsContent").path("content")) {
            text.accept(cited.get("text"));
          }
        }
      }
    }
    return texts;
  }

  /**
   * {@code document} with its output withheld, as the provider answers when its own filter
   * withholds it, {@code category} named where the shape has room for it; from a minimal document
   * of the shape when {@code document} is null or not a JSON object (an answer too large to hold).
   */
  static byte[] withheld(Shape shape, byte @Nullable [] document, String category) {
    JsonNode parsed = document == null ? null : Json.parseOrNull(document, 0, document.length);
    boolean geminiArray = shape == Shape.GEMINI && parsed instanceof ArrayNode;
    if (geminiArray) {
      // A Gemini array stream: withheld as an array of one response, the last one's (it carries
      // the usage and the model version), so the client still reads the array it asked for.
      JsonNode last = parsed.isEmpty() ? null : parsed.get(parsed.size() - 1);
      parsed = last;
    }
    ObjectNode doc = parsed instanceof ObjectNode object ? object : Json.MAPPER.createObjectNode();
    switch (shape) {
      case OPENAI_CHAT, OPENAI_COMPLETIONS -> {
        ArrayNode choices = choices(doc, shape);
        for (JsonNode node : choices) {
          ObjectNode choice = (ObjectNode) node;
          if (shape == Shape.OPENAI_CHAT) {
            ObjectNode message = object(choice, "message");
            message.put("role", "assistant");
            message.putNull("content");
            message.remove("tool_calls");
            message.remove("function_call");
          } else {
            choice.put("text", "");
          }
          choice.put("finish_reason", "content_filter");
          ObjectNode results = choice.putObject("content_filter_results");
          results.putObject(category).put("filtered", true).put("detected", true);
        }
      }
      case OPENAI_RESPONSES -> {
        doc.putIfAbsent("object", doc.textNode("response"));
        doc.put("status", "incomplete");
        doc.putObject("incomplete_details").put("reason", "content_filter");
        doc.putArray("output");
        doc.remove("output_text");
      }
      case ANTHROPIC_MESSAGES -> {
        doc.putIfAbsent("type", doc.textNode("message"));
        doc.putIfAbsent("role", doc.textNode("assistant"));
        doc.putArray("content");
        doc.put("stop_reason", "refusal");
        doc.putNull("stop_sequence");
      }
      case GEMINI -> {
        ArrayNode candidates =
            doc.get("candidates") instanceof ArrayNode array && !array.isEmpty()
                ? array
                : doc.putArray("candidates").add(doc.objectNode().put("index", 0));
        for (JsonNode node : candidates) {
          ObjectNode candidate = (ObjectNode) node;
          candidate.remove("content");
          candidate.put("finishReason", "SAFETY");
        }
      }
      case BEDROCK_CONVERSE -> {
        ObjectNode message = object(object(doc, "output"), "message");
        message.put("role", "assistant");
        message.putArray("content");
        doc.put("stopReason", "content_filtered");
      }
    }
    try {
      return Json.MAPPER.writeValueAsBytes(
          geminiArray ? Json.MAPPER.createArrayNode().add(doc) : doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree could not be written", e);
    }
  }

  /**
   * The texts of a Gemini array stream (a {@code streamGenerateContent} call without {@code
   * alt=sse}): each candidate's text parts, across the array's responses, joined into one text per
   * candidate index, since each response carries the next piece of the same answers.
   */
  private static List<String> geminiArrayTexts(JsonNode array) {
    Map<Integer, StringBuilder> answers = new TreeMap<>();
    for (JsonNode response : array) {
      for (JsonNode candidate : response.path("candidates")) {
        for (JsonNode part : candidate.path("content").path("parts")) {
          JsonNode text = part.get("text");
          if (text != null && text.isTextual() && !part.path("thought").asBoolean(false)) {
            answers
                .computeIfAbsent(candidate.path("index").asInt(0), i -> new StringBuilder())
                .append(text.textValue());
          }
        }
      }
    }
    List<String> texts = new ArrayList<>(answers.size());
    for (StringBuilder answer : answers.values()) {
      if (answer.length() > 0) {
        texts.add(answer.toString());
      }
    }
    return texts;
  }

  private static ArrayNode choices(ObjectNode doc, Shape shape) {
    if (doc.get("choices") instanceof ArrayNode array && !array.isEmpty()) {
      for (JsonNode choice : array) {
        if (!choice.isObject()) {
          return doc.putArray("choices").add(doc.objectNode().put("index", 0));
        }
      }
      return array;
    }
    doc.putIfAbsent(
        "object", doc.textNode(shape == Shape.OPENAI_CHAT ? "chat.completion" : "text_completion"));
    return doc.putArray("choices").add(doc.objectNode().put("index", 0));
  }

  private static ObjectNode object(ObjectNode parent, String name) {
    return parent.get(name) instanceof ObjectNode child ? child : parent.putObject(name);
  }
}
