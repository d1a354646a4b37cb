package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The answers of Bedrock InvokeModel on the models other than Claude whose bodies content safety
 * reads ({@link BedrockInvokeFormat#modelShape}), as AWS's Bedrock model parameter pages give them:
 * the texts of a JSON answer and of a stream chunk's JSON, and the JSON answer withheld as the
 * model's own content filter answers where it has one.
 *
 * <table>
 *   <caption>Answer texts by model</caption>
 *   <tr><th>model</th><th>JSON answer</th><th>stream chunk</th><th>withheld</th></tr>
 *   <tr><td>Titan text</td><td>{@code results[].outputText}</td><td>{@code outputText}</td>
 *       <td>{@code completionReason: "CONTENT_FILTERED"}</td></tr>
 *   <tr><td>Titan text embeddings</td><td>(none)</td><td>(none)</td>
 *       <td>{@code embedding: []} when too large to hold</td></tr>
 *   <tr><td>Nova</td><td>{@code output.message.content[].text}</td>
 *       <td>{@code contentBlockDelta.delta.text}</td>
 *       <td>{@code stopReason: "content_filtered"}</td></tr>
 *   <tr><td>Llama</td><td>{@code generation}</td><td>{@code generation}</td>
 *       <td>{@code stop_reason: "content_filtered"}</td></tr>
 *   <tr><td>Mistral</td><td>{@code outputs[].text}, {@code choices[].message.content}</td>
 *       <td>the same</td><td>{@code stop_reason: "content_filtered"}</td></tr>
 *   <tr><td>Cohere Command</td><td>{@code generations[].text}</td>
 *       <td>{@code generations[].text} (by its {@code index}, given when more than one streams)</td>
 *       <td>{@code finish_reason: "ERROR_TOXIC"}</td></tr>
 *   <tr><td>Cohere Command R</td><td>{@code text}</td><td>{@code text}</td>
 *       <td>{@code finish_reason: "ERROR_TOXIC"}</td></tr>
 *   <tr><td>AI21 Jurassic</td><td>{@code completions[].data.text}</td><td>(none)</td>
 *       <td>{@code finishReason.reason: "content_filtered"}</td></tr>
 *   <tr><td>AI21 Jamba</td><td>{@code choices[].message.content}</td>
 *       <td>{@code choices[].delta.content}</td><td>{@code finish_reason: "content_filter"}</td></tr>
 *   <tr><td>DeepSeek</td><td>{@code choices[].text}</td><td>{@code choices[].text}</td>
 *       <td>{@code stop_reason: "content_filtered"}</td></tr>
 * </table>
 */
final class InvokeAnswers {

  private InvokeAnswers() {}

  /** The model families whose answers are read. */
  enum Family {
    TITAN,
    /** Titan's text embeddings: an answer without text, read as holding none. */
    TITAN_EMBEDDINGS,
    NOVA,
    LLAMA,
    MISTRAL,
    COHERE,
    COHERE_R,
    AI21_J2,
    AI21_JAMBA,
    DEEPSEEK
  }

  /**
   * The family of {@code model} (a foundation model's ID, or an inference profile's or ARN naming
   * it) whose answers are read; null for any other (image models and the embedding models whose
   * prompts are not read included).
   */
  static @Nullable Family family(@Nullable String model) {
    if (model == null) {
      return null;
    }
    String id = model.toLowerCase(Locale.ROOT);
    if (id.contains("amazon.titan-text") || id.contains("amazon.titan-tg1")) {
      return Family.TITAN;
    }
    if (id.contains("amazon.titan-embed-text")) {
      return Family.TITAN_EMBEDDINGS;
    }
    if (id.contains("amazon.nova-micro")
        || id.contains("amazon.nova-lite")
        || id.contains("amazon.nova-pro")
        || id.contains("amazon.nova-premier")) {
      return Family.NOVA;
    }
    if (id.contains("meta.llama")) {
      return Family.LLAMA;
    }
    if (id.contains("deepseek.")) {
      return Family.DEEPSEEK;
    }
    if (id.contains("mistral.")) {
      return Family.MISTRAL;
    }
    if (id.contains("cohere.command-r")) {
      return Family.COHERE_R;
    }
    if (id.contains("cohere.command-text") || id.contains("cohere.command-light")) {
      return Family.COHERE;
    }
    if (id.contains("ai21.j2")) {
      return Family.AI21_J2;
    }
    if (id.contains("ai21.jamba")) {
      return Family.AI21_JAMBA;
    }
    return null;
  }

  /** The texts of the JSON answer {@code document}, in order; empty when it holds none. */
  static List<String> texts(byte[] document) {
    JsonNode doc = Json.parseOrNull(document, 0, document.length);
    List<String> texts = new ArrayList<>();
    if (doc == null || !doc.isObject()) {
      return texts;
    }
    for (JsonNode result : doc.path("results")) {
      add(texts, result.get("outputText"));
    }
    for (JsonNode block : doc.path("output").path("message").path("content")) {
      add(texts, block.get("text"));
    }
    add(texts, doc.get("generation"));
    add(texts, doc.get("text"));
    for (JsonNode output : doc.path("outputs")) {
      add(texts, output.get("text"));
    }
    for (JsonNode generation : doc.path("generations")) {
      add(texts, generation.get("text"));
    }
    for (JsonNode completion : doc.path("completions")) {
      add(texts, completion.path("data").get("text"));
    }
    for (JsonNode choice : doc.path("choices")) {
      add(texts, choice.get("text"));
      JsonNode content = choice.path("message").path("content");
      if (content.isArray()) {
        content.forEach(part -> add(texts, part.get("text")));
      } else {
        add(texts, content);
      }
    }
    return texts;
  }

  private static void add(List<String> texts, @Nullable JsonNode node) {
    if (node != null && node.isTextual() && !node.textValue().isEmpty()) {
      texts.add(node.textValue());
    }
  }

  /**
   * Hands {@code sink} the texts of one stream chunk's JSON (the model's own, decoded from the
   * chunk's base64 {@code bytes}): answer 0's, or an array element's by its {@code index} (else its
   * place).
   */
  static void chunkTexts(JsonNode chunk, WireFormat.EventTexts sink) {
    if (!chunk.isObject()) {
      return;
    }
    text(sink, 0, chunk.get("outputText"));
    text(sink, 0, chunk.path("contentBlockDelta").path("delta").get("text"));
    text(sink, 0, chunk.get("generation"));
    text(sink, 0, chunk.get("text"));
    int place = 0;
    for (JsonNode output : chunk.path("outputs")) {
      text(sink, place++, output.get("text"));
    }
    for (JsonNode generation : chunk.path("generations")) {
      // Cohere Command: index only when more than one generation streams; else all are answer 0's
      JsonNode index = generation.get("index");
      int choice = index != null && index.canConvertToInt() ? index.asInt() : 0;
      if (choice >= 0) {
        text(sink, choice, generation.get("text"));
      }
    }
    place = 0;
    for (JsonNode choice : chunk.path("choices")) {
      int index = choice.path("index").canConvertToInt() ? choice.path("index").asInt() : place;
      place++;
      if (index < 0) {
        continue;
      }
      text(sink, index, choice.get("text"));
      text(sink, index, choice.path("message").get("content"));
      text(sink, index, choice.path("delta").get("content"));
    }
  }

  private static void text(WireFormat.EventTexts sink, int choice, @Nullable JsonNode node) {
    if (node != null && node.isTextual() && !node.textValue().isEmpty()) {
      sink.text(choice, node.textValue());
    }
  }

  /**
   * {@code document} with its texts removed and its stop reason saying the output was filtered, the
   * rest (ids, counts) kept; from a minimal answer of {@code family} when {@code document} is null
   * or not a JSON object (an answer too large to hold).
   */
  static byte[] withheld(Family family, byte @Nullable [] document) {
    JsonNode parsed = document == null ? null : Json.parseOrNull(document, 0, document.length);
    ObjectNode doc = parsed instanceof ObjectNode object ? object : minimal(family);
    for (JsonNode node : doc.path("results")) {
      if (node instanceof ObjectNode result) {
        result.put("outputText", "");
        result.put("completionReason", "CONTENT_FILTERED");
      }
    }
    if (doc.path("output").path("message") instanceof ObjectNode message) {
      message.putArray("content");
      doc.put("stopReason", "content_filtered");
    }
    if (doc.has("generation")) {
      doc.put("generation", "");
      doc.put("stop_reason", "content_filtered");
    }
    if (doc.has("text")) {
      // Cohere Command R: its chat history repeats the answer, its citations quote it
      doc.put("text", "");
      doc.put("finish_reason", "ERROR_TOXIC");
      doc.remove(List.of("chat_history", "citations", "tool_calls", "search_results"));
    }
    for (JsonNode node : doc.path("outputs")) {
      if (node instanceof ObjectNode output) {
        output.put("text", "");
        output.put("stop_reason", "content_filtered");
      }
    }
    for (JsonNode node : doc.path("generations")) {
      if (node instanceof ObjectNode generation) {
        generation.put("text", "");
        generation.put("finish_reason", "ERROR_TOXIC");
        generation.remove(List.of("token_likelihoods", "likelihood"));
      }
    }
    for (JsonNode node : doc.path("completions")) {
      if (node instanceof ObjectNode completion) {
        ObjectNode data = completion.putObject("data");
        data.put("text", "");
        data.putArray("tokens");
        completion.putObject("finishReason").put("reason", "content_filtered");
      }
    }
    for (JsonNode node : doc.path("choices")) {
      if (node instanceof ObjectNode choice) {
        if (choice.has("text")) {
          choice.put("text", "");
        }
        if (choice.get("message") instanceof ObjectNode message) {
          message.put("content", "");
          message.remove("tool_calls");
        }
        if (choice.has("finish_reason")) {
          choice.put("finish_reason", "content_filter"); // AI21 Jamba, in OpenAI's words
        } else {
          choice.put("stop_reason", "content_filtered");
        }
      }
    }
    try {
      return Json.MAPPER.writeValueAsBytes(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree could not be written", e);
    }
  }

  /** The least answer of {@code family} that the withholding above fills in. */
  private static ObjectNode minimal(Family family) {
    ObjectNode doc = Json.MAPPER.createObjectNode();
    switch (family) {
      case TITAN -> doc.putArray("results").addObject();
      case TITAN_EMBEDDINGS -> doc.putArray("embedding");
      case NOVA -> doc.putObject("output").putObject("message").put("role", "assistant");
      case LLAMA -> doc.put("generation", "");
      case MISTRAL -> doc.putArray("outputs").addObject();
      case COHERE -> doc.putArray("generations").addObject();
      case COHERE_R -> doc.put("text", "");
      case AI21_J2 -> doc.putArray("completions").addObject();
      case AI21_JAMBA -> {
        ObjectNode choice = doc.putArray("choices").addObject().put("index", 0);
        choice.putObject("message").put("role", "assistant");
        choice.put("finish_reason", "");
      }
      case DEEPSEEK -> doc.putArray("choices").addObject().put("text", "");
    }
    return doc;
  }
}
