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
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The texts of a request that a person or a tool wrote, for content safety, by the rule of the
 * request's {@link Shape}. For OpenAI's shapes ({@link Shape#OPENAI}, the methods without a shape):
 * message contents ({@code messages[].content}, a string or text parts), the Responses API's {@code
 * input} and {@code instructions} (and a tool's {@code output}), the completions {@code prompt},
 * the embeddings {@code input}. For Anthropic's Messages ({@link Shape#ANTHROPIC}): the {@code
 * system} prompt (a string or text blocks) and {@code messages[].content} (a string, text blocks,
 * and the contents of {@code tool_result} blocks, as a tool's). For Gemini ({@link Shape#GEMINI}):
 * the {@code text} of the parts of {@code contents[]} and of the system instruction. Roles, types,
 * names, tool definitions and arguments, numbers and images are not texts.
 *
 * <p>The rule, applied alike to the tree ({@link #of}) and to the bytes ({@link #redact}): a string
 * is a text when it lies under one of the shape's top-level fields (OpenAI: {@value #FIELDS_DOC})
 * and is the value of (or an element of an array under) one of its text keys (OpenAI: {@code
 * content}, {@code text}, {@code output}, {@code input}, {@code prompt}, {@code instructions}).
 */
public final class PromptTexts {

  static final String FIELDS_DOC = "messages, input, prompt, instructions";

  /**
   * Where a request shape's texts are: the top-level fields they lie under, the keys whose string
   * values (or arrays of strings) are texts, the role of a top-level field's texts when it implies
   * one, the object types whose texts a tool wrote, the fields whose items are messages (counted,
   * and read part by part) with the key of a message's parts, and the fields that are one message's
   * parts themselves.
   *
   * @param topFields the top-level fields texts lie under
   * @param textKeys the keys whose string values are texts
   * @param fieldRoles the role of the texts of a top-level field that implies one
   * @param toolTypes the {@code type}s of objects whose texts a tool wrote
   * @param messageFields the fields whose items are messages
   * @param partsKey the key of a message's array of parts
   * @param partFields the top-level fields that are one message's parts: an array of them, or an
   *     object holding them under {@code partsKey}
   * @param countedFields the fields counted as messages (an array by its items, a string as one)
   * @param skippedKeys the keys whose values hold no text of the caller's and are neither read nor
   *     rewritten (Converse's {@code reasoningContent}: the model's own, signed by it; its {@code
   *     toolUse}: a tool call's arguments)
   */
  record Shape(
      Set<String> topFields,
      Set<String> textKeys,
      Map<String, String> fieldRoles,
      Set<String> toolTypes,
      List<String> messageFields,
      String partsKey,
      List<String> partFields,
      List<String> countedFields,
      Set<String> skippedKeys) {

    /** OpenAI's chat, Responses, completions and embeddings requests. */
    static final Shape OPENAI =
        new Shape(
            Set.of("messages", "input", "prompt", "instructions"),
            Set.of("content", "text", "output", "input", "prompt", "instructions"),
            Map.of("instructions", "system"),
            Set.of("function_call_output"),
            List.of("messages", "input"),
            "content",
            List.of(),
            List.of("messages", "input", "prompt"),
            Set.of());

    /** Anthropic's Messages requests: {@code system} and {@code messages}. */
    static final Shape ANTHROPIC =
        new Shape(
            Set.of("system", "messages"),
            Set.of("system", "content", "text"),
            Map.of("system", "system"),
            Set.of("tool_result"),
            List.of("messages"),
            "content",
            List.of("system"),
            List.of("messages"),
            Set.of());

    /**
     * Gemini's requests: the parts of {@code contents} and of the system instruction (either
     * spelling).
     */
    static final Shape GEMINI =
        new Shape(
            Set.of("contents", "systemInstruction", "system_instruction"),
            Set.of("text"),
            Map.of("systemInstruction", "system", "system_instruction", "system"),
            Set.of(),
            List.of("contents"),
            "parts",
            List.of("systemInstruction", "system_instruction"),
            List.of("contents"),
            Set.of());

    /**
     * Bedrock's Converse requests: the {@code text} of the content blocks of {@code system} and
     * {@code messages} (a guard block's {@code guardContent.text.text} and a {@code toolResult}'s
     * text blocks included); not a {@code reasoningContent} block's, which the model wrote and
     * signed (a rewritten one would fail Bedrock's signature check), nor a {@code toolUse} block's
     * {@code input} (a tool call's arguments); and the {@code text} of each of its {@code
     * promptVariables} (a call on a prompt from Prompt management: the caller's values, which the
     * prompt's template embeds).
     */
    static final Shape CONVERSE =
        new Shape(
            Set.of("system", "messages", "promptVariables"),
            Set.of("text"),
            Map.of("system", "system"),
            Set.of(),
            List.of("messages"),
            "content",
            List.of("system"),
            List.of("messages"),
            Set.of("reasoningContent", "toolUse"));

    /** InvokeModel on Amazon Titan text (and Titan's text embeddings): {@code inputText}. */
    static final Shape TITAN_TEXT = topLevel(Set.of("inputText"), Map.of());

    /**
     * InvokeModel on a model whose body is one {@code prompt} string (Meta Llama, DeepSeek, Cohere
     * Command and AI21 Jurassic's text models, Mistral's text completion).
     */
    static final Shape PROMPT = topLevel(Set.of("prompt"), Map.of());

    /**
     * InvokeModel on Mistral's and AI21 Jamba's chat bodies: a {@code prompt} string, or {@code
     * messages} whose {@code content} is a string or text parts ({@code text}); not a tool call's
     * arguments.
     */
    static final Shape CHAT_MESSAGES =
        new Shape(
            Set.of("prompt", "messages"),
            Set.of("prompt", "content", "text"),
            Map.of(),
            Set.of(),
            List.of("messages"),
            "content",
            List.of(),
            List.of("prompt", "messages"),
            Set.of("tool_calls"));

    /**
     * InvokeModel on Cohere Command R: the {@code message}, the {@code preamble} (the system
     * prompt), each {@code chat_history} turn's {@code message}, and the {@code snippet} and {@code
     * text} of the {@code documents}; a {@code prompt} string (Cohere Command's text models).
     */
    static final Shape COHERE_CHAT =
        new Shape(
            Set.of("message", "preamble", "chat_history", "documents", "prompt"),
            Set.of("message", "preamble", "snippet", "text", "prompt"),
            Map.of("preamble", "system", "message", "user"),
            Set.of(),
            List.of(),
            "content",
            List.of(),
            List.of("chat_history", "message", "prompt"),
            Set.of("tool_calls", "tool_results"));

    /** A shape whose texts are top-level strings of {@code fields}, each one message. */
    private static Shape topLevel(Set<String> fields, Map<String, String> roles) {
      return new Shape(
          fields,
          fields,
          roles,
          Set.of(),
          List.of(),
          "content",
          List.of(),
          List.copyOf(fields),
          Set.of());
    }
  }

  private PromptTexts() {}

  /**
   * The texts of an OpenAI-shaped request in document order, each with its message's role when it
   * has one.
   */
  public static List<ContentText> of(ObjectNode body) {
    return of(body, Shape.OPENAI);
  }

  /** The request's texts by {@code shape}'s rule, in document order, each with its role. */
  static List<ContentText> of(ObjectNode body, Shape shape) {
    List<ContentText> texts = new ArrayList<>();
    for (var field : body.properties()) {
      if (shape.topFields().contains(field.getKey())) {
        String role = shape.fieldRoles().get(field.getKey());
        collect(field.getValue(), field.getKey(), role, shape, texts);
      }
    }
    return texts;
  }

  private static void collect(
      JsonNode node, String key, String role, Shape shape, List<ContentText> out) {
    if (node.isTextual()) {
      if (shape.textKeys().contains(key)) {
        out.add(new ContentText(role, node.textValue()));
      }
    } else if (node.isArray()) {
      for (JsonNode element : node) {
        collect(element, key, role, shape, out);
      }
    } else if (node.isObject()) {
      JsonNode r = node.get("role");
      String itemRole = r != null && r.isTextual() ? r.textValue() : role;
      JsonNode type = node.get("type");
      if (type != null && type.isTextual() && shape.toolTypes().contains(type.textValue())) {
        itemRole = "tool";
      }
      for (var member : node.properties()) {
        if (!shape.skippedKeys().contains(member.getKey())) {
          collect(member.getValue(), member.getKey(), itemRole, shape, out);
        }
      }
    }
  }

  /**
   * The text parts of each message of an OpenAI-shaped request (a chat message's or a Responses API
   * input item's {@code content} array) that has two or more, in order: the texts a model reads as
   * one. A part is a string element or an object's {@code text} string; other parts (images, files)
   * are skipped.
   */
  public static List<List<String>> parts(ObjectNode body) {
    return parts(body, Shape.OPENAI);
  }

  /**
   * The text parts of each message of a request of {@code shape} (the array under its parts key, or
   * a top-level field that is one message's parts) that has two or more, in order.
   */
  static List<List<String>> parts(ObjectNode body, Shape shape) {
    List<List<String>> runs = new ArrayList<>();
    for (String field : shape.partFields()) {
      JsonNode parts = body.get(field);
      // An array of parts (Anthropic's, Converse's system), or one message holding them (Gemini's
      // system instruction, {"parts": [...]}).
      addParts(
          parts != null && parts.isObject() ? parts.get(shape.partsKey()) : parts, shape, runs);
    }
    for (String field : shape.messageFields()) {
      JsonNode items = body.get(field);
      if (items == null || !items.isArray()) {
        continue;
      }
      for (JsonNode item : items) {
        addParts(item.isObject() ? item.get(shape.partsKey()) : null, shape, runs);
      }
    }
    return runs.isEmpty() ? List.of() : runs;
  }

  /**
   * Adds the text parts of {@code content} as one run when it holds two or more, and the runs of
   * the parts a part holds itself: a tool result's text blocks (Anthropic's {@code tool_result}
   * {@code content}, Converse's {@code toolResult.content}) are one text the model reads, as a
   * message's parts are.
   */
  private static void addParts(@Nullable JsonNode content, Shape shape, List<List<String>> runs) {
    if (content == null || !content.isArray()) {
      return;
    }
    for (JsonNode part : content) {
      if (part.isObject()) {
        nestedParts(part, shape, runs, 0);
      }
    }
    if (content.size() < 2) {
      return;
    }
    List<String> texts = new ArrayList<>(content.size());
    for (JsonNode part : content) {
      JsonNode text = part.isObject() ? part.get("text") : part;
      if (text != null && text.isTextual()) {
        texts.add(text.textValue());
      }
    }
    if (texts.size() >= 2) {
      runs.add(texts);
    }
  }

  /** How deep in a part its own parts are looked for (Converse's lie two objects down). */
  private static final int NESTED_PARTS_DEPTH = 3;

  /**
   * Adds the runs of the arrays of parts under {@code part}'s {@code content} keys (at any of its
   * first {@link #NESTED_PARTS_DEPTH} object levels), skipping the shape's skipped keys.
   */
  private static void nestedParts(JsonNode part, Shape shape, List<List<String>> runs, int depth) {
    for (var member : part.properties()) {
      JsonNode value = member.getValue();
      if (shape.skippedKeys().contains(member.getKey())) {
        continue;
      }
      if (value.isArray() && member.getKey().equals("content")) {
        addParts(value, shape, runs);
      } else if (value.isObject() && depth + 1 < NESTED_PARTS_DEPTH) {
        nestedParts(value, shape, runs, depth + 1);
      }
    }
  }

  /**
   * The number of messages of an OpenAI-shaped request (chat {@code messages}, or the items of an
   * {@code input} array); 1 for a prompt or input given as one string, 0 when there are none.
   */
  public static int messageCount(ObjectNode body) {
    return messageCount(body, Shape.OPENAI);
  }

  /** The number of messages of a request of {@code shape}. */
  static int messageCount(ObjectNode body, Shape shape) {
    int count = 0;
    for (String field : shape.countedFields()) {
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
    return redact(body, Shape.OPENAI, redactor);
  }

  /** The body of a request of {@code shape} with every text rewritten, as {@link #redact}. */
  static byte @Nullable [] redact(byte[] body, Shape shape, UnaryOperator<String> redactor) {
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
            if (key != null && shape.skippedKeys().contains(key)) {
              p.skipChildren(); // its end token is consumed: the depth stays as it was
              continue;
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
            if (depth >= 1
                && top != null
                && shape.topFields().contains(top)
                && shape.textKeys().contains(key)) {
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
