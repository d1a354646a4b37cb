package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.spi.ContentText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The texts of an OpenAI-shaped request that a person or a tool wrote, for content safety: message
 * contents ({@code messages[].content}, a string or text parts), the Responses API's {@code input}
 * and {@code instructions} (and a tool's {@code output}), the completions {@code prompt}, the
 * embeddings {@code input}. Roles, types, names, tool definitions and arguments, numbers and images
 * are not texts.
 *
 * <p>The rule, applied alike to the tree ({@link #of}) and to the bytes ({@link #redact}): a string
 * is a text when it lies under one of the top-level fields {@value #FIELDS_DOC} and is the value of
 * (or an element of an array under) a key in {@code content}, {@code text}, {@code output}, {@code
 * input}, {@code prompt}, {@code instructions}.
 */
public final class PromptTexts {

  static final String FIELDS_DOC = "messages, input, prompt, instructions";
  private static final Set<String> TOP_FIELDS =
      Set.of("messages", "input", "prompt", "instructions");
  private static final Set<String> TEXT_KEYS =
      Set.of("content", "text", "output", "input", "prompt", "instructions");

  private PromptTexts() {}

  /** The request's texts in document order, each with its message's role when it has one. */
  public static List<ContentText> of(ObjectNode body) {
    List<ContentText> texts = new ArrayList<>();
    for (var field : body.properties()) {
      if (TOP_FIELDS.contains(field.getKey())) {
        String role = "instructions".equals(field.getKey()) ? "system" : null;
        collect(field.getValue(), field.getKey(), role, texts);
      }
    }
    return texts;
  }

  private static void collect(JsonNode node, String key, String role, List<ContentText> out) {
    if (node.isTextual()) {
      if (TEXT_KEYS.contains(key)) {
        out.add(new ContentText(role, node.textValue()));
      }
    } else if (node.isArray()) {
      for (JsonNode element : node) {
        collect(element, key, role, out);
      }
    } else if (node.isObject()) {
      JsonNode r = node.get("role");
      String itemRole = r != null && r.isTextual() ? r.textValue() : role;
      JsonNode type = node.get("type");
      if (type != null && "function_call_output".equals(type.textValue())) {
        itemRole = "tool";
      }
      for (var member : node.properties()) {
        collect(member.getValue(), member.getKey(), itemRole, out);
      }
    }
  }

  /**
   * The text parts of each message (a chat message's or a Responses API input item's {@code
   * content} array) that has two or more, in order: the texts a model reads as one. A part is a
   * string element or an object's {@code text} string; other parts (images, files) are skipped.
   */
  public static List<List<String>> parts(ObjectNode body) {
    List<List<String>> runs = List.of();
    for (String field : List.of("messages", "input")) {
      JsonNode items = body.get(field);
      if (items == null || !items.isArray()) {
        continue;
      }
      for (JsonNode item : items) {
        JsonNode content = item.isObject() ? item.get("content") : null;
        if (content == null || !content.isArray() || content.size() < 2) {
          continue;
        }
        List<String> texts = new ArrayList<>(content.size());
        for (JsonNode part : content) {
          JsonNode text = part.isObject() ? part.get("text") : part;
          if (text != null && text.isTextual()) {
            texts.add(text.textValue());
          }
        }
        if (texts.size() >= 2) {
          runs = runs.isEmpty() ? new ArrayList<>() : runs;
          runs.add(texts);
        }
      }
    }
    return runs;
  }

  /**
   * The number of messages (chat {@code messages}, or the items of an {@code input} array); 1 for a
   * prompt or input given as one string, 0 when there are none.
   */
  public static int messageCount(ObjectNode body) {
    int count = 0;
    for (String field : List.of("messages", "input", "prompt")) {
      JsonNode node = body.get(field);
      if (node != null) {
        count += node.isArray() ? node.size() : node.isTextual() ? 1 : 0;
      }
    }
    return count;
  }

  /**
   * The body with every text rewritten by {@code redactor} (which returns its argument itself when
   * it changes nothing), or null when no text changed or the body is not JSON. Only the string
   * values that change are written again, each as a JSON string; every other byte (numbers above
   * all) stays exactly as the application wrote it.
   */
  public static byte[] redact(byte[] body, UnaryOperator<String> redactor) {
    ByteArrayOutputStream out = null;
    int copied = 0;
    try (JsonParser p = Json.MAPPER.getFactory().createParser(body)) {
      // For each open container: the key it was opened under (an array's elements take it).
      String[] keys = new String[16];
      int depth = 0;
      String topField = null;
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        switch (t) {
          case START_OBJECT, START_ARRAY -> {
            String key =
                depth == 0
                    ? null
                    : p.getParsingContext().getParent().inArray()
                        ? keys[depth - 1]
                        : p.currentName();
            if (depth == 1) {
              topField = key;
            }
            if (depth == keys.length) {
              keys = java.util.Arrays.copyOf(keys, depth * 2);
            }
            keys[depth++] = t == JsonToken.START_ARRAY ? key : null;
          }
          case END_OBJECT, END_ARRAY -> depth--;
          case VALUE_STRING -> {
            String key = p.getParsingContext().inArray() ? keys[depth - 1] : p.currentName();
            String top = depth == 1 ? p.currentName() : topField;
            if (depth >= 1 && top != null && TOP_FIELDS.contains(top) && TEXT_KEYS.contains(key)) {
              int start = (int) p.currentTokenLocation().getByteOffset();
              String text = p.getText();
              String redacted = redactor.apply(text);
              if (redacted != text && !redacted.equals(text)) {
                p.finishToken();
                int end = (int) p.currentLocation().getByteOffset();
                if (out == null) {
                  out = new ByteArrayOutputStream(body.length + 64);
                }
                out.write(body, copied, start - copied);
                out.write(Json.MAPPER.writeValueAsBytes(redacted));
                copied = end;
              }
            }
          }
          default -> {}
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    if (out == null) {
      return null;
    }
    out.write(body, copied, body.length - copied);
    return out.toByteArray();
  }
}
